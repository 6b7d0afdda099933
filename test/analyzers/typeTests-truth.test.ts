/**
 * A type test may take the truth value of its bits in any of the ways TypeScript spells it:
 * `!!(w & M)`, `Boolean(w & M)`, `(w & M) !== 0`, `w & M ? true : false` (typeTests.ts). Valid
 * forms make the site a guard; `Boolean` is the global conversion by symbol, so a local function
 * named `Boolean` is not it, and the truth value of a whole word (`Boolean(p.flags)`: the word
 * against 0) or of a conditional answering something else tests no bit: the site says `unknown`
 * and why.
 */
import { describe, it } from 'vitest';
import { caseFile, checkInvalid, checkValid, runTable, type RuleTable } from './helpers.ts';

const G = 'guard';
const U = 'unknown';
const OWN = `import { Page } from '../include/linux/kernel.ts';\n`;
const NOT_TEST = 'is named like ptdesc\'s type test, but its code tests no type or flags bit';
const use = `export function f(page: Page): number { if (PageTable(page)) return page.private; return 0; }`;

const table: RuleTable = {
  valid: [],
  invalid: [
    { name: 'Boolean(w & M)', noPrelude: true, code: `${OWN}
function PageTable(p: Page): boolean { return Boolean(p.flags & 0x40); }
${use}`,
    expect: [{ field: 'private', access: 'read', kind: 'ptdesc', confidence: G, evidence: 'guarded by `PageTable(page)`' }] },
    { name: '!!(w & M)', noPrelude: true, code: `${OWN}
function PageTable(p: Page): boolean { return !!(p.flags & 0x40); }
${use}`,
    expect: [{ field: 'private', access: 'read', kind: 'ptdesc', confidence: G }] },
    { name: '(w & M) !== 0', noPrelude: true, code: `${OWN}
function PageTable(p: Page): boolean { return (p.flags & 0x40) !== 0; }
${use}`,
    expect: [{ field: 'private', access: 'read', kind: 'ptdesc', confidence: G }] },
    { name: 'w & M ? true : false, and the negated Boolean() of a shifted word', noPrelude: true, code: `${OWN}
function PageTable(p: Page): boolean { return p.flags & 0x40 ? true : false; }
function PageSlab(p: Page): boolean { return !Boolean((p.flags >>> 4) & 1); }
export function f(page: Page): number { if (PageTable(page)) return page.private; if (PageSlab(page)) return page.index; return 0; }`,
    expect: [{ field: 'private', access: 'read', kind: 'ptdesc', confidence: G }, { field: 'index', access: 'read', kind: 'slab', confidence: G }] },
    { name: 'a wrapper without a spec name taking the truth value of a test', noPrelude: true, code: `${OWN}
import { PageTable } from '../include/linux/page-flags.ts';
const is_pt = (q: Page): boolean => Boolean(PageTable(q));
export function f(page: Page): number { if (is_pt(page)) return page.private; return 0; }`,
    expect: [{ field: 'private', access: 'read', kind: 'ptdesc', confidence: G, evidence: 'guarded by `is_pt(page)`' }] },
    { name: 'a local function named Boolean is not the conversion', noPrelude: true, code: `${OWN}
function Boolean(v: number): boolean { return v === v; }
function PageTable(p: Page): boolean { return Boolean(p.flags & 0x40); }
${use}`,
    expect: [{ field: 'private', access: 'read', kind: U, confidence: U, evidence: NOT_TEST }] },
    { name: 'Boolean() of the whole word is the word against 0: no bit', noPrelude: true, code: `${OWN}
function PageTable(p: Page): boolean { return Boolean(p.flags); }
${use}`,
    expect: [{ field: 'private', access: 'read', kind: U, confidence: U, evidence: NOT_TEST }] },
    { name: 'a conditional that answers the same either way tests nothing', noPrelude: true, code: `${OWN}
function PageTable(p: Page): boolean { return p.flags & 0x40 ? true : true; }
${use}`,
    expect: [{ field: 'private', access: 'read', kind: U, confidence: U, evidence: NOT_TEST }] },
  ],
};

describe('the truth value of a type test, in any spelling (typeTests.ts)', () => {
  const { byFile } = runTable(table);
  for (const c of table.valid) it(`valid: ${c.name}`, () => checkValid(byFile.get(caseFile(table, c)), c));
  for (const c of table.invalid) it(`invalid: ${c.name}`, () => checkInvalid(byFile.get(caseFile(table, c)), c));
});
