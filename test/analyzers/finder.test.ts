/**
 * Finder rule table (typescript-eslint RuleTester style): every access form is reported with its
 * field and access; decoys with the same member names are never reported; what cannot be
 * decided is residue.
 */
import { describe, it, expect } from 'vitest';
import { caseFile, checkInvalid, checkValid, runTable, type RuleTable } from './helpers.ts';

const table: RuleTable = {
  valid: [
    { name: 'decoy class with the same member names', code: `
export function f(): number {
  const d = new Decoy();
  d.index = 1; d.lru.next = 2; d.private = 3; d.mapping++;
  const { index, lru } = d;
  return index + lru.next + d['private'];
}` },
    { name: 'a different class named Page in another module', code: `
export function f(p: OtherPage): number {
  p.index++; p.mapping = 1; list_add_like(p.lru);
  const { private: x } = p;
  return p['private'] + x;
}
function list_add_like(l: { next: number }): void { l.next = 0; }` },
    // Page satisfies PageLike, so a PageLike may be a Page (q is one): residue, never a finding, never silent.
    { name: 'structural interface with the same names', code: `
export function f(p: PageLike): number { return p.index + p.private; }
export function g(page: Page): number { const q: PageLike = page; return q.index; }`,
    residue: ['Page satisfies PageLike structurally: may be a Page', 'may be a Page', 'may be a Page'] },
    { name: 'untracked page fields', code: `
export function f(page: Page): number {
  page.flags = 1; page._mapcount = -1;
  return page.compound_head + page.flags;
}` },
    { name: 'page_type outside code owned by a kind that maps it', code: `
export function f(page: Page): void { page.page_type = 0xf0000000; }` },
    { name: 'object literals and arrays', code: `
export function f(): number {
  const o = { index: 1, lru: 2, private: 3 };
  const a = [1, 2, 3];
  const i = 1;
  return o.index + o.lru + a[i]! + a[0]! + o['private'];
}` },
    { name: 'the in operator and member names as strings elsewhere', code: `
export function f(page: Page): boolean { return 'index' in page && String('lru').length > 0; }` },
    { name: 'a member-name argument after a class that is not Page', code: `
function pick(_t: unknown, _m: string): number { return 0; }
export const x = pick(Decoy, 'lru') + pick(OtherPage, 'index');` },
    { name: 'a function named like a wrapper that takes another type', noPrelude: true, code: `
import { Decoy } from '../lib/decoy.ts';
export function page_private(d: Decoy): number { return d.private; }
export function set_page_private(d: Decoy, v: number): void { d.private = v; }
export function use(d: Decoy): number { set_page_private(d, 1); return page_private(d); }` },
    { name: 'static members of Page', code: `
export const off = Page.OFFSETOF.lru;` },
  ],
  invalid: [
    { name: 'read', code: `
export function f(page: Page): number { return page.index + 1; }`, expect: [{ field: 'index', access: 'read', line: 2 }] },
    { name: 'write', code: `
export function f(page: Page): void { page.mapping = 0; page.mapping = 1; }`, expect: [{ field: 'mapping', access: 'write' }, { field: 'mapping', access: 'write' }] },
    { name: 'compound assignments', code: `
export function f(page: Page): void { page.index += 1; page.private |= 2; page.mapping ??= 3; }`,
    expect: [{ field: 'index', access: 'readwrite' }, { field: 'private', access: 'readwrite' }, { field: 'mapping', access: 'readwrite' }] },
    { name: '++ and --', code: `
export function f(page: Page): void { page.index++; --page.private; }`,
    expect: [{ field: 'index', access: 'readwrite' }, { field: 'private', access: 'readwrite' }] },
    { name: 'reference: the embedded list_head handed to a list helper', code: `
export function f(page: Page, head: ListHead): void { list_add(page.lru, head); list_del(page.lru); }`,
    expect: [{ field: 'lru', access: 'reference' }, { field: 'lru', access: 'reference' }] },
    { name: 'members of the embedded list_head', code: `
export function f(page: Page): number { page.lru.next = 0; const a = page.lru.addr; return page.lru.prev + a; }`,
    expect: [{ field: 'lru', access: 'write' }, { field: 'lru', access: 'reference' }, { field: 'lru', access: 'read' }] },
    { name: 'optional chaining', code: `
export function f(page: Page | null): number | undefined { const x = page?.index; return page?.lru.next ?? x; }`,
    expect: [{ field: 'index', access: 'read' }, { field: 'lru', access: 'read' }] },
    { name: 'element access with literal keys', code: `
export function f(page: Page): number { page['index'] = 3; return page['private'] + page[\`mapping\`]; }`,
    expect: [{ field: 'index', access: 'write' }, { field: 'private', access: 'read' }, { field: 'mapping', access: 'read' }] },
    { name: 'element access with a constant key', code: `
const K = 'index' as const;
export function f(page: Page): number { return page[K] + 1; }`, expect: [{ field: 'index', access: 'read' }] },
    { name: 'destructuring', code: `
export function f(page: Page): number { const { index, private: priv, lru } = page; return index + priv + lru.next; }`,
    expect: [{ field: 'index', access: 'read' }, { field: 'private', access: 'read' }, { field: 'lru', access: 'reference' }] },
    { name: 'destructuring a parameter', code: `
export function f({ index, mapping }: Page): number { return index + mapping; }`,
    expect: [{ field: 'index', access: 'read' }, { field: 'mapping', access: 'read' }] },
    { name: 'destructuring assignment', code: `
export function f(page: Page): number { let index = 0; ({ index } = page); return index; }`,
    expect: [{ field: 'index', access: 'read' }] },
    { name: 'written through a destructuring target', code: `
export function f(page: Page, v: number[]): void { [page.index] = v; }`,
    expect: [{ field: 'index', access: 'write' }] },
    { name: 'receivers through aliases, locals and returns', code: `
type PagePtr = Page;
function get(): PagePtr { return pfn_to_page(1); }
export function f(p: PagePtr): number { const q = p; const r = q; return r.index + get().mapping; }`,
    expect: [{ field: 'index', access: 'read' }, { field: 'mapping', access: 'read' }] },
    { name: 'generic helper constrained to Page', code: `
export function g<T extends Page>(p: T): number { const x = p.index; return x + p.mapping; }`,
    expect: [{ field: 'index', access: 'read' }, { field: 'mapping', access: 'read' }] },
    { name: 'subclass receiver and this in a subclass', code: `
class HugePage extends Page { m(): number { return this.index + this.private; } }
export function f(h: HugePage): void { h.index = 1; h.mapping = 2; }`,
    expect: [{ field: 'index', access: 'read' }, { field: 'private', access: 'read' }, { field: 'index', access: 'write' }, { field: 'mapping', access: 'write' }] },
    { name: 'non-null, parentheses and type assertions', code: `
export function f(page: Page | undefined, x: unknown): number { return page!.index + (x as Page).private + (<Page>x).mapping; }`,
    expect: [{ field: 'index', access: 'read' }, { field: 'private', access: 'read' }, { field: 'mapping', access: 'read' }] },
    { name: 'spec wrappers: page_private / set_page_private call sites', code: `
export function f(page: Page): number { set_page_private(page, 3); return page_private(page); }`,
    expect: [{ field: 'private', access: 'call' }, { field: 'private', access: 'call' }] },
    { name: 'discovered wrappers (function and arrow) are reported at their call sites', code: `
function page_index(p: Page): number { return p.index; }
const set_mapping = (p: Page, v: number): void => { p.mapping = v; };
function lru_of(p: Page): ListHead { return p.lru; }
export function f(page: Page): number { set_mapping(page, 1); list_add(lru_of(page), page.lru); return page_index(page) + page_index(page); }`,
    expect: [{ field: 'mapping', access: 'call' }, { field: 'lru', access: 'call' }, { field: 'lru', access: 'reference' },
      { field: 'index', access: 'call' }, { field: 'index', access: 'call' }] },
    { name: 'the member name of list_entry-style helpers', code: `
export function f(head: ListHead): Page | null { const a = list_first_entry(head, Page, 'lru'); void a; return list_first_entry_or_null(head, Page, 'lru'); }`,
    expect: [{ field: 'lru', access: 'reference' }, { field: 'lru', access: 'reference' }] },
    { name: 'computed keys are residue', code: `
export function f(page: Page, k: 'index' | 'private', s: string): unknown { return page[k] ?? (page as unknown as Record<string, number>)[s]; }`,
    expect: [], residue: ['computed key `k`'] },
    { name: 'receivers typed any are residue', code: `
export function f(x: any): number { return x.index + x.lru; }`,
    expect: [], residue: ['has type any', 'has type any'] },
    { name: 'a union of Page and a decoy is residue', code: `
export function f(p: Page | Decoy): number { return p.index; }`,
    expect: [], residue: ['may or may not be a Page'] },
    { name: 'an import that does not resolve is residue', code: `
import { get_page } from './not-written-yet.ts';
export function f(): number { return get_page().index; }`,
    expect: [], residue: ["module './not-written-yet.ts' cannot be resolved", 'could not be resolved'] },
    { name: 'a wrapper used as a value is residue', code: `
export function f(pages: Page[]): number[] { return pages.map(page_private); }`,
    expect: [], residue: ['used as a value'] },
  ],
};

describe('finder: access forms', () => {
  const { byFile } = runTable(table);
  for (const c of table.valid) it(`valid: ${c.name}`, () => checkValid(byFile.get(caseFile(table, c)), c));
  for (const c of table.invalid) it(`invalid: ${c.name}`, () => checkInvalid(byFile.get(caseFile(table, c)), c));
  it('reports the position of the member name', () => {
    const got = byFile.get(caseFile(table, table.invalid[0]!))!.findings[0]!;
    expect(got.column).toBe('export function f(page: Page): number { return page.'.length + 1);
  });
});
