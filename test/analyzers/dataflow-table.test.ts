/**
 * Provenance by data flow, the call graph and value use (issue 13), one rule per form a reviewer
 * writes, each with its expected kind and confidence and a negative twin that must be
 * "unknown": aliases, reassignment, destructuring, arrays (push / index / for…of / a function
 * returning one), Map and Set, object fields, list heads typed by the struct field that owns
 * them, the address of a page and back, type marks (a kind's own type constant set on a page),
 * callers joined, value use. Snippets live in unowned files, so only the code decides.
 */
import { describe, expect, it } from 'vitest';
import { validateSpec } from '../../src/model/spec-validate.ts';
import { builtinSpec } from '../../src/model/builtin.ts';
import { caseFile, checkInvalid, runTable, type RuleTable } from './helpers.ts';

const P = 'provenance';
const C = 'callgraph';
const G = 'guard';
const U = 'unknown';

const table: RuleTable = {
  valid: [],
  invalid: [
    /* ---- locals ---- */
    { name: 'alias', code: `
export function f(): number { const p = alloc_slab_page(0); const q = p; return q.index; }`,
    expect: [{ field: 'index', access: 'read', kind: 'slab', confidence: P, evidence: '`alloc_slab_page()`' }] },
    { name: 'alias: twin, aliasing a page of no kind', code: `
export function f(): number { const p = pfn_to_page(3); const q = p; return q.index; }`,
    expect: [{ field: 'index', access: 'read', kind: U, confidence: U }] },
    { name: 'reassignment: each read sees the definition that reaches it', code: `
export function f(): number { let p = alloc_slab_page(0); const a = p.index; p = pfn_to_page(0); return a + p.index; }`,
    expect: [{ field: 'index', access: 'read', kind: 'slab', confidence: P }, { field: 'index', access: 'read', kind: U, confidence: U }] },
    { name: 'destructuring an array literal', code: `
export function f(): number { const [a, b] = [pte_alloc_one(0), alloc_slab_page(0)]; return a.private + b.index; }`,
    expect: [{ field: 'private', access: 'read', kind: 'ptdesc', confidence: P }, { field: 'index', access: 'read', kind: 'slab', confidence: P }] },
    { name: 'destructuring: twin, an element of no kind', code: `
export function f(): number { const [a] = [pfn_to_page(0)]; return a.private; }`,
    expect: [{ field: 'private', access: 'read', kind: U, confidence: U }] },
    { name: 'destructuring an object literal', code: `
export function f(): number { const { p } = { p: alloc_slab_page(0) }; return p.index; }`,
    expect: [{ field: 'index', access: 'read', kind: 'slab', confidence: P }] },

    /* ---- arrays and collections ---- */
    { name: 'pages pushed into an array, walked with for…of', code: `
export function f(): number { const pages: Page[] = []; pages.push(alloc_slab_page(0)); let n = 0; for (const p of pages) n += p.index; return n; }`,
    expect: [{ field: 'index', access: 'read', kind: 'slab', confidence: P, evidence: 'what `pages` holds' }] },
    { name: 'array: twin, pages of no kind pushed', code: `
export function f(): number { const pages: Page[] = []; pages.push(pfn_to_page(1)); let n = 0; for (const p of pages) n += p.index; return n; }`,
    expect: [{ field: 'index', access: 'read', kind: U, confidence: U }] },
    { name: 'array: twin, pages of two kinds pushed', code: `
export function f(): number { const pages: Page[] = []; pages.push(alloc_slab_page(0)); pages.push(pte_alloc_one(0)); let n = 0; for (const p of pages) n += p.index; return n; }`,
    expect: [{ field: 'index', access: 'read', kind: U, confidence: U, evidence: 'generic: pages of slab, ptdesc' }] },
    { name: 'array element stored and read by index', code: `
export function f(): number { const t: Page[] = []; t[0] = pte_alloc_one(0); return t[0]!.private; }`,
    expect: [{ field: 'private', access: 'read', kind: 'ptdesc', confidence: P }] },
    { name: 'an array a function returns', code: `
function mk(): Page[] { const a: Page[] = []; a.push(alloc_slab_page(0)); return a; }
export function f(): number { let n = 0; for (const p of mk()) n += p.index; return n; }`,
    expect: [{ field: 'index', access: 'read', kind: 'slab', confidence: P }] },
    { name: 'Map.set / Map.get', code: `
const tables = new Map<number, Page>();
export function put(k: number): void { tables.set(k, pte_alloc_one(0)); }
export function get(k: number): number { const p = tables.get(k); return p ? p.private : 0; }`,
    expect: [{ field: 'private', access: 'read', kind: 'ptdesc', confidence: P, evidence: 'what `tables` holds' }] },
    { name: 'Map: twin, another map of pages of no kind', code: `
const anyPages = new Map<number, Page>();
export function put(k: number): void { anyPages.set(k, pfn_to_page(k)); }
export function get(k: number): number { const p = anyPages.get(k); return p ? p.private : 0; }`,
    expect: [{ field: 'private', access: 'read', kind: U, confidence: U }] },
    { name: 'Set.add / for…of', code: `
const seen = new Set<Page>();
export function track(): void { seen.add(alloc_slab_page(0)); }
export function walk(): number { let n = 0; for (const p of seen) n += p.index; return n; }`,
    expect: [{ field: 'index', access: 'read', kind: 'slab', confidence: P }] },

    /* ---- object fields, list heads ---- */
    { name: 'a page reached through another object’s field', code: `
export class Walk { table: Page | null = null; }
export function start(w: Walk): void { w.table = pte_alloc_one(0); }
export function lock(w: Walk): number { const t = w.table; return t ? t.private : 0; }`,
    expect: [{ field: 'private', access: 'read', kind: 'ptdesc', confidence: P, evidence: 'what `w.table` holds' }] },
    { name: 'field: twin, a field of another struct holding pages of no kind', code: `
export class Cursor { page: Page | null = null; }
export function seek(c: Cursor, pfn: number): void { c.page = pfn_to_page(pfn); }
export function peek(c: Cursor): number { const t = c.page; return t ? t.private : 0; }`,
    expect: [{ field: 'private', access: 'read', kind: U, confidence: U }] },
    { name: 'a list typed by the struct field owning its head', code: `
export class SlabNode { readonly partial = new ListHead(0); }
export function add(n: SlabNode): void { const p = alloc_slab_page(0); list_add(p.lru, n.partial); }
export function first(n: SlabNode): number { return list_first_entry(n.partial, Page, 'lru').index; }`,
    expect: [
      { field: 'lru', access: 'reference', kind: 'slab', confidence: P },
      { field: 'lru', access: 'reference', kind: 'slab', confidence: P, evidence: 'what `n.partial` holds' },
      { field: 'index', access: 'read', kind: 'slab', confidence: P },
    ] },
    { name: 'list: twin, a list fed with pages of no kind', code: `
export class Pool { readonly free = new ListHead(0); }
export function give(q: Pool, pfn: number): void { list_add(pfn_to_page(pfn).lru, q.free); }
export function take(q: Pool): number { return list_first_entry(q.free, Page, 'lru').index; }`,
    expect: [
      { field: 'lru', access: 'reference', kind: U, confidence: U },
      { field: 'lru', access: 'reference', kind: U, confidence: U },
      { field: 'index', access: 'read', kind: U, confidence: U },
    ] },
    { name: 'a list head passed as a parameter is the caller’s list', code: `
export class TableList { readonly head = new ListHead(0); }
function oldest(h: ListHead): Page { return list_first_entry(h, Page, 'lru'); }
export function keep(t: TableList): void { list_add(pte_alloc_one(0).lru, t.head); }
export function use(t: TableList): number { return oldest(t.head).private; }`,
    expect: [
      { field: 'lru', access: 'reference', kind: 'ptdesc', confidence: P },
      { field: 'lru', access: 'reference', kind: 'ptdesc', confidence: P },
      { field: 'private', access: 'read', kind: 'ptdesc', confidence: P },
    ] },

    /* ---- addresses ---- */
    { name: 'the address of a page and back', code: `
export function f(): number { const t = pte_alloc_one(0); const a = page_address(t); return virt_to_page(a).private; }`,
    expect: [{ field: 'private', access: 'read', kind: 'ptdesc', confidence: P }] },
    { name: 'address: twin, an address of no known page', code: `
export function f(a: number): number { return virt_to_page(a).private; }`,
    expect: [{ field: 'private', access: 'read', kind: U, confidence: U }] },
    { name: 'new Page(addr) of a page’s own address', code: `
export function f(): number { const s = alloc_slab_page(0); const again = new Page(s.addr); return again.index; }`,
    expect: [{ field: 'index', access: 'read', kind: 'slab', confidence: P }] },

    /* ---- type marks ---- */
    { name: 'a page the code makes a kind (its type constant set)', code: `
export function ctor(page: Page): void { __SetPageTable(page); page.private = 0; }`,
    expect: [{ field: 'private', access: 'write', kind: 'ptdesc', confidence: P, evidence: '`__SetPageTable(page)`' }] },
    { name: 'type mark: twin, another page marked', code: `
export function ctor(page: Page, other: Page): void { __SetPageTable(other); page.private = 0; }`,
    expect: [{ field: 'private', access: 'write', kind: U, confidence: U }] },
    { name: 'a function that does more than mark: the page is that kind from the call on', code: `
function init_table(p: Page): void { __SetPageTable(p); p.index = 0; }
export function f(): void { const p = alloc_pages(0, 0)!; p.private = 1; init_table(p); p.private = 2; }`,
    expect: [
      { field: 'index', access: 'write', kind: 'ptdesc', confidence: P },
      { field: 'private', access: 'write', kind: U, confidence: U },
      { field: 'private', access: 'write', kind: 'ptdesc', confidence: P, evidence: '`init_table()` marks its parameter ptdesc' },
    ] },

    /* ---- the call graph ---- */
    { name: 'callers joined: one passes a slab, one passes a page of unknown origin', code: `
function cnt(p: Page, n: number): number { const v = p.private; return v + n; }
export function f(x: Page): number { return cnt(alloc_slab_page(0), 1) + cnt(x, 2); }`,
    expect: [{ field: 'private', access: 'read', kind: 'slab', confidence: C, evidence: 'via the parameter of `cnt()` (2 callers)' }] },
    { name: 'callers joined: twin, one caller passes a page known not to be a slab', code: `
function cnt2(p: Page, n: number): number { const v = p.private; return v + n; }
export function f(x: Page): number { if (PageSlab(x)) return 0; return cnt2(alloc_slab_page(0), 1) + cnt2(x, 2); }`,
    expect: [{ field: 'private', access: 'read', kind: U, confidence: U, evidence: 'the callers of `cnt2()` disagree' }] },

    /* ---- value use ---- */
    { name: 'value use: compared with the same struct field as at a decided site', code: `
export class Cache { addr = 0; }
export function owner(c: Cache): boolean { const p = alloc_slab_page(0); return p.mapping === c.addr; }
export function same(page: Page, c: Cache): boolean { return page.mapping === c.addr; }`,
    expect: [
      { field: 'mapping', access: 'read', kind: 'slab', confidence: P },
      { field: 'mapping', access: 'read', kind: 'slab', confidence: P, evidence: 'value use: `page.mapping` is compared with `c.addr`' },
    ] },
    { name: 'value use: twin, compared with another struct’s field', code: `
export class Area { addr = 0; }
export function same(page: Page, a: Area): boolean { return page.mapping === a.addr; }`,
    expect: [{ field: 'mapping', access: 'read', kind: U, confidence: U }] },
    { name: 'value use contradicting provenance: both sides listed, unknown', code: `
export class MmLike { addr = 0; }
export function a(m: MmLike): boolean { const p = pte_alloc_one(0); return p.index === m.addr; }
export function b(m: MmLike): boolean { const q = alloc_slab_page(0); return q.index === m.addr; }`,
    expect: [
      { field: 'index', access: 'read', kind: U, confidence: U, evidence: '(ptdesc), but value use: `p.index` is compared with `m.addr`' },
      { field: 'index', access: 'read', kind: U, confidence: U, evidence: '(slab), but value use: `q.index` is compared with `m.addr`' },
    ] },
    { name: 'value use: twin, the same use by sites of one kind corroborates', code: `
export class MmLike2 { addr = 0; }
export function a(m: MmLike2): boolean { const p = pte_alloc_one(0); return p.index === m.addr; }
export function b(m: MmLike2): boolean { const q = pte_alloc_one(1); return q.index === m.addr; }`,
    expect: [{ field: 'index', access: 'read', kind: 'ptdesc', confidence: P }, { field: 'index', access: 'read', kind: 'ptdesc', confidence: P }] },
    { name: 'value use: a flag test is no use', code: `
export class Vma { flags = 0; }
export function owner(v: Vma): boolean { const p = alloc_slab_page(0); return (p.private & v.flags) !== 0; }
export function other(page: Page, v: Vma): boolean { return (page.private & v.flags) !== 0; }`,
    expect: [{ field: 'private', access: 'read', kind: 'slab', confidence: P }, { field: 'private', access: 'read', kind: U, confidence: U }] },
  ],
};

describe('data flow, call graph and value use: every form, each with a negative twin', () => {
  const { byFile } = runTable(table);
  for (const c of table.invalid) it(c.name, () => checkInvalid(byFile.get(caseFile(table, c)), c));
});

/** The spec's assertions say what they mean: fails-if (VM_BUG_ON_PAGE, the default) or holds (ensure). */
const senseTable: RuleTable = {
  valid: [],
  invalid: [
    { name: 'an assertion that means "holds" is a positive guard', code: `
export function f(page: Page): number { ensure(PageSlab(page)); return page.index; }`,
    expect: [{ field: 'index', access: 'read', kind: 'slab', confidence: G, evidence: 'asserted by `ensure(PageSlab(page))`' }] },
    { name: '"holds": twin, ensuring the page is not of the kind', code: `
export function f(page: Page): number { ensure(!PageSlab(page)); return page.index; }`,
    expect: [{ field: 'index', access: 'read', kind: U, confidence: U }] },
    { name: 'fails-if (the default) keeps the BUG_ON sense', code: `
export function f(page: Page): number { VM_BUG_ON_PAGE(!PageTable(page), page); return page.private; }`,
    expect: [{ field: 'private', access: 'read', kind: 'ptdesc', confidence: G }] },
    { name: 'fails-if: twin, the positive test under VM_BUG_ON_PAGE rules the kind out', code: `
export function f(page: Page): number { VM_BUG_ON_PAGE(PageTable(page), page); return page.private; }`,
    expect: [{ field: 'private', access: 'read', kind: U, confidence: U }] },
  ],
};

describe('assertions: "means": "holds" | "fails-if"', () => {
  const spec = validateSpec({ extends: 'builtin', page: { assertions: ['VM_BUG_ON_PAGE', 'VM_BUG_ON', 'BUG_ON', { name: 'ensure', means: 'holds' }] } }, 'sense.json', builtinSpec());
  const { byFile } = runTable(senseTable, spec);
  for (const c of senseTable.invalid) it(c.name, () => checkInvalid(byFile.get(caseFile(senseTable, c)), c));
  it('without the spec entry, ensure() is still an assertion by its code (`if (!cond) throw`: holds; assertions.ts)', () => {
    const { byFile: plain } = runTable({ valid: [], invalid: [senseTable.invalid[0]!] });
    checkInvalid(plain.get(caseFile({ valid: [], invalid: [senseTable.invalid[0]!] }, senseTable.invalid[0]!)), senseTable.invalid[0]!);
  });
});

/**
 * A wrapper used as a value (residue): its page parameter's kind where it is used, when the code
 * decides it — the elements it is handed (a `filter` by a type test: guard), or else what every
 * caller passes (call graph); otherwise unknown, with the reason.
 */
const valueTable: RuleTable = {
  valid: [
    { name: 'handed the elements of a filter by a type test: that kind (guard)', code: `
function wv_a(p: Page): number { return p.private; }
export function g(): number { return wv_a(alloc_slab_page(0)); }
export function f(pages: Page[]): number[] { return pages.filter(PageTable).map(wv_a); }`,
    residue: ['used as a value'] },
    { name: 'handed the elements of an array of known pages: their kind (provenance)', code: `
function wv_b(p: Page): number { return p.private; }
export function g(): number { return wv_b(pte_alloc_one(0)); }
export function f(): number[] { const ps: Page[] = [alloc_slab_page(0)]; return ps.map(wv_b); }`,
    residue: ['used as a value'] },
    { name: 'handed on as a value (not over elements): what every caller passes (call graph)', code: `
function wv_c(p: Page): number { return p.private; }
export function g(): number { return wv_c(alloc_slab_page(0)); }
export function f(): (p: Page) => number { return wv_c; }`,
    residue: ['used as a value'] },
    { name: 'twin: a callback over elements of no known kind: the callers decide nothing either', code: `
function wv_e(p: Page): number { return p.private; }
export function g(): number { return wv_e(alloc_slab_page(0)); }
export function f(pages: Page[]): number[] { return pages.map(wv_e); }`,
    residue: ['used as a value'] },
    { name: 'twin: neither the elements nor the callers decide: unknown, with the reason', code: `
function wv_d(p: Page): number { return p.private; }
export function g(x: Page): number { return wv_d(x); }
export function f(pages: Page[]): number[] { return pages.map(wv_d); }`,
    residue: ['used as a value'] },
  ],
  invalid: [],
};

describe('a wrapper used as a value gets the kind its parameter receives there', () => {
  const { byFile } = runTable(valueTable);
  const want: Array<[string, string, string]> = [['ptdesc', G, 'type test `PageTable`'], ['slab', P, 'the elements of `ps`'], ['slab', C, 'decided by the call graph'],
    [U, U, 'is passed as a callback at'], [U, U, 'cannot be traced']];
  valueTable.valid.forEach((c, i) => it(c.name, () => {
    const got = byFile.get(caseFile(valueTable, c));
    // The direct call in g() is a finding of its own; the value use is residue.
    expect((got?.findings ?? []).map((f) => f.access)).toEqual(['call']);
    const r = got?.residue ?? [];
    expect(r.map((x) => x.reason)).toEqual([expect.stringContaining('used as a value')]);
    const [kind, confidence, why] = want[i]!;
    expect({ kind: r[0]!.kind, confidence: r[0]!.confidence }, r[0]!.evidence?.join(' | ')).toEqual({ kind, confidence });
    expect(r[0]!.evidence?.[0]).toContain(why);
  }));
});
