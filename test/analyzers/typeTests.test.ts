/**
 * A guard is a guard because of what its test does (typeTests.ts), not because of its name: the
 * spec's names only say which kind a test that reads the page's type or flags bits stands for.
 * Valid rows are guards whatever the call is spelled (an import alias, a wrapper, a copy of the
 * computation under another name, a namespace); invalid rows are not, however they are named (a
 * same-named local answering something else, a spec-named function returning a constant or a
 * word against 0), and the site then says `unknown` with the reason. A test with no body to read
 * is taken by its name, and the evidence says so.
 */
import { describe, expect, it } from 'vitest';
import { caseFile, checkInvalid, checkValid, runTable, type RuleTable } from './helpers.ts';

const G = 'guard';
const U = 'unknown';
/** The own imports of rows that declare a name the prelude would import. */
const OWN = `import { Page } from '../include/linux/kernel.ts';\n`;

const table: RuleTable = {
  valid: [
    { name: 'a test under an import alias is still a type test, not a raw access', code: `
import { PageTable as isTable } from '../include/linux/page-flags.ts';
export function f(page: Page): boolean { return isTable(page); }` },
  ],
  invalid: [
    { name: 'renamed by an import alias', code: `
import { PageTable as isTable } from '../include/linux/page-flags.ts';
export function f(page: Page): number { if (isTable(page)) return page.private; return 0; }`,
    expect: [{ field: 'private', access: 'read', kind: 'ptdesc', confidence: G, evidence: 'guarded by `isTable(page)`' }] },
    { name: 'through a namespace import', code: `
import * as pf from '../include/linux/page-flags.ts';
export function f(page: Page): number { if (!pf.PageZsmalloc(page)) return 0; return page.private; }`,
    expect: [{ field: 'private', access: 'read', kind: 'zpdesc', confidence: G }] },
    { name: 'a wrapper of a test, under any name (and a wrapper of the wrapper)', code: `
function is_pt(p: Page): boolean { return PageTable(p); }
const really_pt = (q: Page): boolean => is_pt(q) === true;
export function f(page: Page): number { if (really_pt(page)) return page.private; return 0; }`,
    expect: [{ field: 'private', access: 'read', kind: 'ptdesc', confidence: G, evidence: 'guarded by `really_pt(page)`' }] },
    { name: 'the same computation as a test, under another name', code: `
function anonymous_page(x: Page): boolean { return (x.flags & 0x8) !== 0; }
export function f(page: Page): number { if (anonymous_page(page)) return page.mapping; return 0; }`,
    expect: [{ field: 'mapping', access: 'read', kind: 'folio', confidence: G }] },
    { name: 'a same-named local that answers something else is not the guard', noPrelude: true, code: `${OWN}
function PageTable(p: Page): boolean { return p._mapcount > 0; }
export function f(page: Page): number { if (PageTable(page)) return page.private; return 0; }`,
    expect: [{ field: 'private', access: 'read', kind: U, confidence: U, evidence: 'is named like ptdesc\'s type test, but its code tests no type or flags bit' }] },
    { name: 'a function the spec names that returns a constant is no test', noPrelude: true, code: `${OWN}
export const PageSlab = (p: Page): boolean => p !== null && true;
export function f(page: Page): number { if (PageSlab(page)) return page.index; return 0; }`,
    expect: [{ field: 'index', access: 'read', kind: U, confidence: U, evidence: '`PageSlab(page)` at cases/c6.ts:6 is no guard' }] },
    { name: 'a function the spec names that compares a word with 0 is no test (a value, not a type bit)', noPrelude: true, code: `${OWN}
function PageZsmalloc(p: Page): boolean { return p.compound_head !== 0; }
export function f(page: Page): number { if (!PageZsmalloc(page)) return 0; return page.index; }`,
    expect: [{ field: 'index', access: 'read', kind: U, confidence: U, evidence: 'no guard' }] },
    { name: 'a wrapper of a function that is no test is none either', noPrelude: true, code: `${OWN}
function PageTable(p: Page): boolean { return p._mapcount > 0; }
function is_table(p: Page): boolean { return PageTable(p); }
export function f(page: Page): number { if (is_table(page)) return page.private; return 0; }`,
    expect: [{ field: 'private', access: 'read', kind: U, confidence: U }] },
    { name: 'the constants of a namesake that is no test mark no page (type marks come from real tests only)', noPrelude: true, code: `${OWN}
const ZS_LIMIT = 77;
function set_limit(p: Page, v: number): void { p.flags = v; }
function PageZsmalloc(p: Page): boolean { return p._mapcount > ZS_LIMIT; }
export function f(page: Page): number { set_limit(page, ZS_LIMIT); return page.private + (PageZsmalloc(page) ? 0 : 0); }`,
    expect: [{ field: 'private', access: 'read', kind: U, confidence: U }] },
    { name: 'a parameter named like a test is not the guard (nothing to read, and not the spec\'s function)', noPrelude: true, code: `${OWN}
export function f(page: Page, PageTable: (p: Page) => boolean): number { if (PageTable(page)) return page.private; return 0; }`,
    expect: [{ field: 'private', access: 'read', kind: U, confidence: U }] },
    { name: 'no body to read: taken by the spec\'s name, and the evidence says so', noPrelude: true, code: `${OWN}
declare function PageTable(p: Page): boolean;
export function f(page: Page): number { if (PageTable(page)) return page.private; return 0; }`,
    expect: [{ field: 'private', access: 'read', kind: 'ptdesc', confidence: G, evidence: '`PageTable()` has no body to read (declared at cases/c11.ts:5): taken as ptdesc\'s type test by its name alone' }] },
  ],
};

describe('type tests from the code (typeTests.ts)', () => {
  const { byFile } = runTable(table);
  for (const c of table.valid) it(`valid: ${c.name}`, () => checkValid(byFile.get(caseFile(table, c)), c));
  for (const c of table.invalid) it(`invalid: ${c.name}`, () => checkInvalid(byFile.get(caseFile(table, c)), c));

  it('the fixture\'s own tests stay guards (a control for the rows above)', () => {
    const r = runTable({ valid: [], invalid: [{ name: 'control', code: `
export function f(page: Page): number { if (PageTable(page)) return page.private; return 0; }`, expect: [] }] });
    const f = r.result.findings.filter((x) => x.file === 'cases/c0.ts');
    expect(f.map((x) => `${x.kind} ${x.confidence}`)).toEqual(['ptdesc guard']);
  });
});
