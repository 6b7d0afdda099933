/**
 * Classifier rule table: each layer of evidence (descriptor type, page-type guard, provenance,
 * owner function / file), their order, and the conflicts that give "unknown".
 */
import { describe, it } from 'vitest';
import { caseFile, checkInvalid, runTable, type RuleTable } from './helpers.ts';
import { builtinSpec } from '../../src/model/builtin.ts';
import { validateSpec } from '../../src/model/spec-validate.ts';

const table: RuleTable = {
  valid: [],
  invalid: [
    /* ---- owners ---- */
    { name: 'owner file', file: 'mm/slub.ts', code: `
export function f(page: Page): void { page.index = 0; page.lru.next = 0; }`,
    expect: [{ field: 'index', access: 'write', kind: 'slab', evidence: 'in mm/slub.ts, owned by slab' }, { field: 'lru', access: 'write', kind: 'slab' }] },
    { name: 'owner function beats owner file in a shared file', file: 'mm/memory.ts', code: `
export function __pte_alloc(page: Page): void { page.private = 0; page.lru.next = 0; }
export function do_anonymous_page(page: Page): void { page.index = 1; page.mapping = 1; }`,
    expect: [
      { field: 'private', access: 'write', kind: 'ptdesc', evidence: 'in `__pte_alloc()` (mm/memory.ts), owned by ptdesc' },
      { field: 'lru', access: 'write', kind: 'ptdesc' },
      { field: 'index', access: 'write', kind: 'folio', evidence: 'in mm/memory.ts, owned by folio' },
      { field: 'mapping', access: 'write', kind: 'folio' },
    ] },
    { name: 'owner globs and function globs', file: 'include/linux/mm_owned.ts', code: `
export function ptlock_init(page: Page): void { page.private = 1; page.index = 0; }`,
    expect: [{ field: 'private', access: 'write', kind: 'unknown' }, { field: 'index', access: 'write', kind: 'unknown' }] },
    { name: 'arch glob', file: 'arch/x86/mm/pgtable.ts', code: `
export function pgd_ctor(page: Page, mm: number): void { page.index = mm; page.lru.next = 0; }`,
    expect: [{ field: 'index', access: 'write', kind: 'ptdesc', evidence: 'in arch/x86/mm/pgtable.ts, owned by ptdesc' }, { field: 'lru', access: 'write', kind: 'ptdesc' }] },
    { name: 'generic code without evidence is unknown, with the reason', code: `
export function dump(page: Page): string { return String(page.mapping) + String(page.index); }`,
    expect: [
      { field: 'mapping', access: 'read', kind: 'unknown', evidence: 'no page-type test guards `page`' },
      { field: 'index', access: 'read', kind: 'unknown', evidence: 'is not owned by any kind' },
    ] },

    /* ---- page-type guards ---- */
    { name: 'if (PageTable(page))', code: `
export function f(page: Page): number { if (PageTable(page)) { return page.private + 1; } return 0; }`,
    expect: [{ field: 'private', access: 'read', kind: 'ptdesc', evidence: 'guarded by `PageTable(page)` at cases/' }] },
    { name: 'early return on the negated test', code: `
export function f(page: Page): number { if (!PageSlab(page)) return 0; const x = 1; return page.index + x; }`,
    expect: [{ field: 'index', access: 'read', kind: 'slab', evidence: 'after the early exit on `!PageSlab(page)` at cases/' }] },
    { name: 'early exit through a never-returning call and a block', code: `
export function f(page: Page): number {
  if (!PageSlab(page)) BUG('not slab');
  if (!PageSlab(page)) { const y = 2; throw new Error(String(y)); }
  return page.index + 1;
}`, expect: [{ field: 'index', access: 'read', kind: 'slab' }] },
    { name: 'else branch of a negated test', code: `
export function f(page: Page): number { if (!PageBuddy(page)) { return 0; } else { return page.private + 1; } }`,
    expect: [{ field: 'private', access: 'read', kind: 'buddy' }] },
    { name: 'ternary and &&', code: `
export function f(page: Page): number { return (PageZsmalloc(page) ? page.private : 0) + (PageSlab(page) && page.index ? 1 : 0); }`,
    expect: [{ field: 'private', access: 'read', kind: 'zpdesc' }, { field: 'index', access: 'read', kind: 'slab' }] },
    { name: 'assertion VM_BUG_ON_PAGE(!PageBuddy(page))', code: `
export function f(page: Page): number { VM_BUG_ON_PAGE(!PageBuddy(page), page, 'x'); return page.private + 1; }`,
    expect: [{ field: 'private', access: 'read', kind: 'buddy', evidence: "asserted by `VM_BUG_ON_PAGE(!PageBuddy(page), page, 'x')` at cases/" }] },
    { name: 'while loop condition', code: `
export function f(page: Page): void { while (PageBuddy(page)) { page.private = 0; page = pfn_to_page(page.index); } }`,
    expect: [{ field: 'private', access: 'write', kind: 'buddy' }, { field: 'index', access: 'read', kind: 'buddy' }] },
    { name: 'a test on another page does not guard', code: `
export function f(a: Page, b: Page): number { if (PageSlab(a)) return b.index + 1; return 0; }`,
    expect: [{ field: 'index', access: 'read', kind: 'unknown' }] },
    { name: 'A || B is one of two kinds: unknown with the reason', code: `
export function f(page: Page): number { if (PageSlab(page) || PageTable(page)) return page.private + 1; return 0; }`,
    expect: [{ field: 'private', access: 'read', kind: 'unknown', evidence: 'one of slab, ptdesc' }] },
    { name: 'nested contradictory tests conflict', code: `
export function f(p: Page): number { if (PageSlab(p)) { if (PageTable(p)) return p.index + 1; } return 0; }`,
    expect: [{ field: 'index', access: 'read', kind: 'unknown', evidence: 'conflicting guard evidence' }] },
    { name: 'guard beats owner file and says so', file: 'mm/vmalloc.ts', code: `
export function f(page: Page): number { if (PageSlab(page)) return page.index + 1; return 0; }`,
    expect: [{ field: 'index', access: 'read', kind: 'slab', evidence: 'overrides: in mm/vmalloc.ts, owned by vmalloc' }] },
    { name: 'a negative guard rules out the owner', file: 'mm/page_alloc.ts', code: `
export function f(page: Page): void { if (PageBuddy(page)) return; page.private = 0; page.index = 0; }`,
    expect: [
      { field: 'private', access: 'write', kind: 'unknown', evidence: 'owned by buddy, but after the early exit on `PageBuddy(page)`' },
      { field: 'index', access: 'write', kind: 'unknown' },
    ] },

    /* ---- provenance ---- */
    { name: 'local from a kind allocator', code: `
export function f(): void { const page = alloc_slab_page(0); page.index = 1; page.mapping = 2; }`,
    expect: [
      { field: 'index', access: 'write', kind: 'slab', evidence: '`page` comes from `alloc_slab_page()` at cases/' },
      { field: 'mapping', access: 'write', kind: 'slab' },
    ] },
    { name: 'through a returning helper', code: `
function mk(): Page { const p = pte_alloc_one(0); return p; }
export function f(): number { const t = mk(); return t.private + mk().index; }`,
    expect: [
      { field: 'private', access: 'read', kind: 'ptdesc', evidence: '`t` comes from `pte_alloc_one()` at cases/c18.ts:4, via the return of `mk()`' },
      { field: 'index', access: 'read', kind: 'ptdesc', evidence: 'the page comes from `pte_alloc_one()`' },
    ] },
    { name: 'through a parameter: every caller agrees', code: `
function helper(p: Page): void { p.index = 0; p.mapping = 0; }
export function f(): void { helper(alloc_slab_page(1)); const q = alloc_slab_page(2); helper(q); }`,
    expect: [
      { field: 'index', access: 'write', kind: 'slab', evidence: 'via the parameter of `helper()` (2 callers)' },
      { field: 'mapping', access: 'write', kind: 'slab' },
    ] },
    { name: 'through a parameter: callers disagree', code: `
function helper2(p: Page): void { p.index = 0; p.mapping = 0; }
export function f(): void { helper2(alloc_slab_page(1)); helper2(pte_alloc_one(0)); }`,
    expect: [{ field: 'index', access: 'write', kind: 'unknown', evidence: 'generic: pages of slab, ptdesc reach' }, { field: 'mapping', access: 'write', kind: 'unknown' }] },
    { name: 'through a parameter: a guard at the call site', code: `
function helper3(p: Page): void { p.private = 0; p.index = 0; }
export function f(p: Page): void { if (PageTable(p)) helper3(p); }`,
    expect: [
      { field: 'private', access: 'write', kind: 'ptdesc', evidence: '`p` comes from a ptdesc page (guarded by `PageTable(p)` at cases/c21.ts:5), via the parameter of `helper3()` (1 caller)' },
      { field: 'index', access: 'write', kind: 'ptdesc' },
    ] },
    { name: 'converters and spec provenance with an argument pattern', code: `
export function f(s: Slab, pgd: number, addr: number): number {
  return slab_page(s).index + virt_to_page(pgd).private + virt_to_page(addr).mapping;
}`,
    expect: [
      { field: 'index', access: 'read', kind: 'slab', evidence: '`slab_page()`' },
      { field: 'private', access: 'read', kind: 'ptdesc', evidence: '`virt_to_page()`' },
      { field: 'mapping', access: 'read', kind: 'unknown', evidence: 'hands out pages of no kind' },
    ] },
    { name: 'pages taken from free lists (for-of over list_for_each_entry)', code: `
export function f(area: { free_list: ListHead }): number {
  let n = 0;
  for (const p of list_for_each_entry(area.free_list, Page, 'lru')) n += p.private;
  return n;
}`,
    expect: [{ field: 'lru', access: 'reference', kind: 'buddy' }, { field: 'private', access: 'read', kind: 'buddy', evidence: 'an element of' }] },
    { name: 'null alternatives do not hide provenance', code: `
export function f(x: boolean): number { const p = x ? alloc_slab_page(0) : null; let q: Page | null = null; q = alloc_slab_page(1); return (p?.index ?? 0) + q.index; }`,
    expect: [{ field: 'index', access: 'read', kind: 'slab' }, { field: 'index', access: 'read', kind: 'slab' }] },
    { name: 'definitions of a let that disagree conflict', code: `
export function f(x: boolean): number { let p = alloc_slab_page(0); if (x) p = pte_alloc_one(0); return p.index + 1; }`,
    expect: [{ field: 'index', access: 'read', kind: 'unknown', evidence: 'generic: pages of slab, ptdesc reach' }] },
    { name: 'a zspage chain', file: 'mm/zs_helpers.ts', code: `
export function f(zspage: { first: Page }): number { const page = get_first_page(zspage); return page.private + page.index; }`,
    expect: [{ field: 'private', access: 'read', kind: 'zpdesc' }, { field: 'index', access: 'read', kind: 'zpdesc' }] },
    { name: 'provenance beats the owner file', file: 'mm/slab_common.ts', code: `
export function f(): void { const p = pte_alloc_one(0); p.private = 1; p.index = 1; }`,
    expect: [{ field: 'private', access: 'write', kind: 'ptdesc', evidence: 'overrides: in mm/slab_common.ts, owned by slab' }, { field: 'index', access: 'write', kind: 'ptdesc' }] },
    { name: 'a guard against the provenance is conflicting code evidence: unknown with both sides', code: `
export function f(): number { const p = alloc_slab_page(0); if (PageTable(p)) return p.index + 1; return 0; }`,
    expect: [{ field: 'index', access: 'read', kind: 'unknown', evidence: 'conflicting code evidence: guarded by `PageTable(p)` at cases/c28.ts:4 (ptdesc), but `p` comes from `alloc_slab_page()` at cases/c28.ts:4 (slab)' }] },

    /* ---- descriptors (converted) ---- */
    { name: 'accesses through a descriptor type are converted', code: `
export function f(s: Slab, pt: Ptdesc): number { s.freelist = 0; list_add(s.slab_list, pt.pt_list); return pt.pt_mm + s.slab_cache; }`,
    expect: [
      { field: 'index', access: 'write', kind: 'slab', converted: true, evidence: 'has descriptor type `Slab`' },
      { field: 'lru', access: 'reference', kind: 'slab', converted: true },
      { field: 'lru', access: 'reference', kind: 'ptdesc', converted: true },
      { field: 'index', access: 'read', kind: 'ptdesc', converted: true },
      { field: 'mapping', access: 'read', kind: 'slab', converted: true },
    ] },

    /* ---- wrappers and tracked-in-owner fields ---- */
    { name: 'wrapper call sites are classified like accesses', file: 'mm/slab.ts', code: `
export function f(page: Page): number { if (!PageSlab(page)) return 0; set_page_private(page, 1); return page_private(page); }`,
    expect: [{ field: 'private', access: 'call', kind: 'slab' }, { field: 'private', access: 'call', kind: 'slab' }] },
    { name: 'page_type is tracked inside code of a kind that maps it', file: 'mm/zsmalloc.ts', code: `
export function set_first_obj_offset(page: Page, off: number): void { page.page_type = (page.page_type & ~0xffffff) | off; }`,
    expect: [{ field: 'page_type', access: 'write', kind: 'zpdesc' }, { field: 'page_type', access: 'read', kind: 'zpdesc' }] },
  ],
};

describe('classifier: layers of evidence', () => {
  const { byFile } = runTable(table);
  for (const c of table.invalid) it(c.name, () => checkInvalid(byFile.get(caseFile(table, c)), c));
});

/** The spec's generic code (page.generic): functions for pages of every kind, in an owned file. */
const genericTable: RuleTable = {
  valid: [],
  invalid: [
    { name: 'spec generic code in an owned file is unknown, with the spec reason', file: 'mm/page_alloc.ts', code: `
export function check_new_page(page: Page): string | null { return page.mapping !== 0 ? 'non-NULL mapping' : null; }
export function add_to_free_list(page: Page): void { page.private = 0; page.lru.next = 0; }
export function check_free_page(page: Page): number { if (PageBuddy(page)) return page.private; return 0; }`,
    expect: [
      { field: 'mapping', access: 'read', kind: 'unknown', evidence: '`check_new_page()` in mm/page_alloc.ts is generic code: it checks pages of every kind' },
      { field: 'private', access: 'write', kind: 'buddy', evidence: 'in mm/page_alloc.ts, owned by buddy' },
      { field: 'lru', access: 'write', kind: 'buddy' },
      // a page-type test still decides inside generic code
      { field: 'private', access: 'read', kind: 'buddy', evidence: 'guarded by `PageBuddy(page)`' },
    ] },
  ],
};

describe('classifier: generic code', () => {
  const spec = validateSpec({ extends: 'builtin', page: { generic: [{ files: 'mm/page_alloc.ts', functions: 'check_*', reason: 'it checks pages of every kind' }] } }, 'generic.json', builtinSpec());
  const { byFile } = runTable(genericTable, spec);
  for (const c of genericTable.invalid) it(c.name, () => checkInvalid(byFile.get(caseFile(genericTable, c)), c));
});
