/**
 * A type test may hand a word of the page's state to a helper instead of testing it in place
 * (`page_word_is_tail(page.compound_head)`, `memdesc_type(read32(page.addr + 8)) === T`):
 * typeTests.ts follows the word into the helper's parameter (by symbol, per function) and asks
 * what the helper's code does with it. Valid rows: the helper tests the word's bits, or hands
 * back the word or bits of it that the caller then tests, under any name and through an import
 * alias; the site is a guard. Invalid rows: a helper that compares the word with 0, answers a
 * constant, ignores the word or computes something else of it tests no bit, however the functions
 * are named, and the site says `unknown` with the reason.
 */
import { describe, it } from 'vitest';
import { caseFile, checkInvalid, checkValid, runTable, type RuleTable } from './helpers.ts';

const G = 'guard';
const U = 'unknown';
const OWN = `import { Page } from '../include/linux/kernel.ts';\n`;
const NOT_TEST = 'is named like ptdesc\'s type test, but its code tests no type or flags bit';

const LIB = `
function type_bits(w: number): number { return w & 0xf; }
export function word_tests_table(w: number): boolean { return type_bits(w) === 2; }
`;

const table: RuleTable = {
  // The aliased row's helpers, in a module of their own: they read no field of the page.
  valid: [{ name: 'the helpers themselves are no findings', code: LIB, file: 'cases/words-lib.ts', noPrelude: true }],
  invalid: [
    { name: 'the word handed to a helper that tests its bits', noPrelude: true, code: `${OWN}
function word_is_table(w: number): boolean { return (w & 0xff) === 3; }
function PageTable(p: Page): boolean { return word_is_table(p.flags); }
export function f(page: Page): number { if (PageTable(page)) return page.private; return 0; }`,
    expect: [{ field: 'private', access: 'read', kind: 'ptdesc', confidence: G, evidence: 'guarded by `PageTable(page)`' }] },
    { name: 'a helper that hands back bits of the word, tested by the caller (through a const)', noPrelude: true, code: `${OWN}
function type_of_word(w: number): number { return w & 0xff; }
function PageTable(p: Page): boolean { const t = type_of_word(p.flags); return t === 3 || t === 4; }
export function f(page: Page): number { if (!PageTable(page)) return 0; return page.private; }`,
    expect: [{ field: 'private', access: 'read', kind: 'ptdesc', confidence: G }] },
    { name: 'helpers of helpers: a word tester built on a word passer, under an import alias', noPrelude: true, file: 'cases/words-alias.ts', code: `${OWN}
import { word_tests_table as wt } from './words-lib.ts';
function PageTable(p: Page): boolean { return wt(p.flags >>> 8); }
export function f(page: Page): number { if (!PageTable(page)) return 0; return page.private; }`,
    expect: [{ field: 'private', access: 'read', kind: 'ptdesc', confidence: G }] },
    { name: 'a word read at the page\'s address handed to a passer', noPrelude: true, code: `${OWN}
const mem = new Float64Array(64);
function read_word(addr: number): number { return mem[addr]!; }
function tag(md: number): number { return md & 7; }
function PageTable(p: Page): boolean { return tag(read_word(p.addr + 2)) === 5; }
export function f(page: Page): number { if (PageTable(page)) return page.private; return 0; }`,
    expect: [{ field: 'private', access: 'read', kind: 'ptdesc', confidence: G }] },
    { name: 'a helper that compares the word with 0 tests no bit', noPrelude: true, code: `${OWN}
function word_set(w: number): boolean { return w !== 0; }
function PageTable(p: Page): boolean { return word_set(p.flags); }
export function f(page: Page): number { if (PageTable(page)) return page.private; return 0; }`,
    expect: [{ field: 'private', access: 'read', kind: U, confidence: U, evidence: NOT_TEST }] },
    { name: 'a helper that answers a constant whatever the word tests no bit', noPrelude: true, code: `${OWN}
function word_is_table(w: number): boolean { return w === w || true; }
function PageTable(p: Page): boolean { return word_is_table(p.flags); }
export function f(page: Page): number { if (PageTable(page)) return page.private; return 0; }`,
    expect: [{ field: 'private', access: 'read', kind: U, confidence: U, evidence: NOT_TEST }] },
    { name: 'a helper that tests its other argument, not the word', noPrelude: true, code: `${OWN}
function pick(w: number, k: number): boolean { return (k & 4) !== 0 && w === w; }
function PageTable(p: Page): boolean { return pick(p.flags, 9); }
export function f(page: Page): number { if (PageTable(page)) return page.private; return 0; }`,
    expect: [{ field: 'private', access: 'read', kind: U, confidence: U, evidence: NOT_TEST }] },
    { name: 'a helper that computes something else of the word hands back no state', noPrelude: true, code: `${OWN}
function scaled(w: number): number { return w * 2 + 1; }
function PageTable(p: Page): boolean { return scaled(p.flags) === 7; }
export function f(page: Page): number { if (PageTable(page)) return page.private; return 0; }`,
    expect: [{ field: 'private', access: 'read', kind: U, confidence: U, evidence: NOT_TEST }] },
    { name: 'a helper handed a number that is no word of the page tests nothing of it', noPrelude: true, code: `${OWN}
function word_is_table(w: number): boolean { return (w & 0xff) === 3; }
let counter = 3;
function PageTable(p: Page): boolean { return p !== null && word_is_table(counter); }
export function f(page: Page): number { if (PageTable(page)) return page.private; return 0; }`,
    expect: [{ field: 'private', access: 'read', kind: U, confidence: U, evidence: NOT_TEST }] },
  ],
};

describe('type tests through a helper handed a word of the page (typeTests.ts)', () => {
  const { byFile } = runTable(table);
  for (const c of table.valid) it(`valid: ${c.name}`, () => checkValid(byFile.get(caseFile(table, c)), c));
  for (const c of table.invalid) it(`${c.expect[0]!.confidence === G ? 'a test' : 'no test'}: ${c.name}`, () => checkInvalid(byFile.get(caseFile(table, c)), c));
});
