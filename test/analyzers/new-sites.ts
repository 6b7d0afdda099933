/**
 * New code written as a reviewer would write it, for issue 13's held-out measurement: each
 * raw struct page access labelled by hand (from reading the code against the Stage-0 table),
 * before the analyzer was run on it. The file is dropped into a temporary copy of the corpus as
 * mm/review_sites.ts; nothing in it is known to the spec (no owner file, no generic entry).
 * Forms: a type test kept in a local, aliases, reassignment, destructuring, pages gathered into
 * an array / a Map / a Set and found again, a page-table page reached through another object's
 * field, a zspage's chain, list heads owned by a struct (free areas, a node's partial list,
 * pgd_list, an lruvec), the address of a page and back, type marks, value use, the call graph
 * (one kind, several kinds), switch (true), assertions, and generic pfn walkers.
 */
import type { Label } from './corpus-labels.ts';

export const NEW_SITES_FILE = 'mm/review_sites.ts';

export const NEW_SITES_SOURCE = `
import { Page, type MmStruct, type VmAreaStruct } from '../include/linux/mm_types.ts';
import { list_first_entry, list_for_each_entry, list_last_entry } from '../include/linux/list.ts';
import { PageSlab, PageTable, PageZsmalloc, PageBuddy, PageSwapCache, __SetPageTable, __SetPageBuddy } from '../include/linux/page-flags.ts';
import { pfn_to_page, page_private, set_page_private, virt_to_page, page_address } from '../include/linux/mm.ts';
import { VM_BUG_ON_PAGE } from '../include/linux/mmdebug.ts';
import { zone_free_area, type Zone, type Lruvec } from '../include/linux/mmzone.ts';
import { new_slab, type KmemCache, type KmemCacheNode } from './slub.ts';
import { type Zspage } from './zsmalloc.ts';
import { pte_alloc_one, pgd_list } from '../arch/x86/mm/pgtable.ts';
import { vmalloc_to_page } from './vmalloc.ts';
import { alloc_page_vma } from './memory.ts';

/* A type test kept in a local. */
export function rv_slab_cache_of(page: Page): number {
  const isSlab = PageSlab(page);
  if (!isSlab) return 0;
  return page.mapping;
}

/* An alias of a page-table page. */
export function rv_table_lock(mm: MmStruct): number {
  const pte = pte_alloc_one(mm);
  if (!pte) return 0;
  const table = pte;
  return table.private;
}

/* Pages gathered into an array, walked by the caller. */
export function rv_collect_slabs(s: KmemCache, n: number): Page[] {
  const slabs: Page[] = [];
  for (let i = 0; i < n; i++) {
    const page = new_slab(s, 0);
    if (page) slabs.push(page);
  }
  return slabs;
}

export function rv_count_inuse(s: KmemCache): number {
  let total = 0;
  for (const page of rv_collect_slabs(s, 4)) total += page.private & 0xffff;
  return total;
}

/* Found again through a Map. */
const rv_tables = new Map<number, Page>();

export function rv_remember_table(mm: MmStruct): void {
  const page = pte_alloc_one(mm);
  if (page) rv_tables.set(mm.addr, page);
}

export function rv_table_of(mm: MmStruct): number {
  const page = rv_tables.get(mm.addr);
  return page ? page.private : 0;
}

/* A page-table page reached through another object's field. */
export class RvWalk {
  table: Page | null = null;
  depth = 0;
}

export function rv_walk_start(w: RvWalk, mm: MmStruct): void {
  w.table = pte_alloc_one(mm);
}

export function rv_walk_lock(w: RvWalk): number {
  const t = w.table;
  return t ? t.private : 0;
}

/* A generic pfn walker: any page. */
export function rv_count_mapped(start: number, end: number): number {
  let n = 0;
  for (let pfn = start; pfn < end; pfn++) {
    const page = pfn_to_page(pfn);
    if (page.mapping !== 0) n++;
  }
  return n;
}

/* A pfn walker that tells the kinds apart. */
export function rv_describe(start: number, end: number): string[] {
  const out: string[] = [];
  for (let pfn = start; pfn < end; pfn++) {
    const page = pfn_to_page(pfn);
    if (PageSlab(page)) out.push('slab cache ' + page.mapping);
    else if (PageTable(page)) out.push('table lock ' + page.private);
    else if (PageZsmalloc(page)) out.push('zspage ' + page_private(page));
    else if (PageBuddy(page)) out.push('free order ' + page_private(page));
    else out.push('index ' + page.index);
  }
  return out;
}

/* Reassignment: the second read is of another page. */
export function rv_first_free(s: KmemCache): number {
  let page = new_slab(s, 0);
  if (!page) return 0;
  const fl = page.index;
  page = pfn_to_page(0);
  return fl + page.index;
}

/* Destructuring. */
export function rv_pair(mm: MmStruct): number {
  const [a, b] = [pte_alloc_one(mm), pte_alloc_one(mm)];
  return (a ? a.private : 0) + (b ? b.private : 0);
}

/* A zspage's chain: its first page is what zsmalloc's allocator stored there. */
export function rv_first_obj(zspage: Zspage): number {
  const first = zspage.first_page;
  return first ? first.index : 0;
}

/* List heads typed by the struct that owns them. */
export function rv_partial_objects(n: KmemCacheNode): number {
  let objects = 0;
  for (const page of list_for_each_entry(n.partial, Page, 'lru')) objects += page.private >>> 16;
  return objects;
}

export function rv_first_free_block(zone: Zone, order: number): number {
  const page = list_first_entry(zone_free_area(zone, order).free_list(0), Page, 'lru');
  return page.private;
}

export function rv_pgd_owners(): number[] {
  const out: number[] = [];
  for (const page of list_for_each_entry(pgd_list, Page, 'lru')) out.push(page.index);
  return out;
}

export function rv_oldest_anon(lruvec: Lruvec, lru: number): number {
  const page = list_last_entry(lruvec.lists(lru), Page, 'lru');
  return page.mapping;
}

/* Kind-specific allocators. */
export function rv_vmalloc_owner(addr: number): number {
  const page = vmalloc_to_page(addr);
  return page ? page.private : 0;
}

export function rv_anon_index(vma: VmAreaStruct, addr: number): number {
  const page = alloc_page_vma(0, vma, addr);
  if (!page) return 0;
  return page.index;
}

export function rv_swap_entry(page: Page): number {
  return PageSwapCache(page) ? page_private(page) : 0;
}

/* The call graph: a helper reached by two kinds is generic; one reached by one kind is that kind. */
function rv_word(page: Page): number {
  return page.index;
}

export function rv_use_word(s: KmemCache, mm: MmStruct): number {
  const a = new_slab(s, 0);
  const b = pte_alloc_one(mm);
  return (a ? rv_word(a) : 0) + (b ? rv_word(b) : 0);
}

function rv_slab_counters(page: Page): number {
  return page.private;
}

export function rv_use_counters(s: KmemCache, n: KmemCacheNode): number {
  const a = new_slab(s, 0);
  const first = list_first_entry(n.partial, Page, 'lru');
  return (a ? rv_slab_counters(a) : 0) + rv_slab_counters(first);
}

/* Assertions and early exits. */
export function rv_zs_handle(page: Page): number {
  VM_BUG_ON_PAGE(!PageZsmalloc(page), page);
  return page.index;
}

export function rv_table_mm(page: Page): number {
  if (!PageTable(page)) return 0;
  return page.index;
}

/* switch (true) */
export function rv_kind_word(page: Page): number {
  switch (true) {
    case PageSlab(page): return page.index;
    case PageTable(page): return page.private;
    default: return page.private;
  }
}

/* Type marks. */
export function rv_make_table(page: Page): void {
  __SetPageTable(page);
  page.private = 0;
}

export function rv_mark_free(page: Page, order: number): void {
  __SetPageBuddy(page);
  set_page_private(page, order);
}

/* Value use: the slab cache's address in mapping. */
export function rv_owned_by(page: Page, s: KmemCache): boolean {
  return page.mapping === s.addr;
}

/* Indexing an array of gathered tables. */
export function rv_sum_tables(mm: MmStruct): number {
  const tables: Page[] = [];
  const t = pte_alloc_one(mm);
  if (t) tables.push(t);
  let sum = 0;
  for (let i = 0; i < tables.length; i++) sum += tables[i]!.private;
  return sum;
}

/* A Set of slabs. */
const rv_seen = new Set<Page>();

export function rv_track_slab(s: KmemCache): void {
  const p = new_slab(s, 0);
  if (p) rv_seen.add(p);
}

export function rv_seen_freelists(): number {
  let n = 0;
  for (const p of rv_seen) n += p.index;
  return n;
}

/* The address of a table page, and back. */
export function rv_table_by_addr(mm: MmStruct): number {
  const t = pte_alloc_one(mm);
  if (!t) return 0;
  const addr = page_address(t);
  return virt_to_page(addr).private;
}

/* Generic: prints any page. */
export function rv_dump(page: Page): string {
  return page.mapping + ' ' + page.index;
}

/* Only "not buddy" is known. */
export function rv_not_buddy(page: Page): number {
  if (PageBuddy(page)) return 0;
  return page.index;
}

/* Chains of tests. */
export function rv_has_free(page: Page): boolean {
  return PageSlab(page) && page.index !== 0;
}

export function rv_lockless(page: Page): boolean {
  if (!PageTable(page) || page.private === 0) return true;
  return false;
}

/* Helpers that are no wrappers (more than one statement): one reached by two kinds, one by slabs only. */
function rv_word_sum(page: Page, n: number): number {
  const w = page.index;
  return w + n;
}

export function rv_use_word_sum(s: KmemCache, mm: MmStruct): number {
  const a = new_slab(s, 0);
  const b = pte_alloc_one(mm);
  return (a ? rv_word_sum(a, 1) : 0) + (b ? rv_word_sum(b, 2) : 0);
}

function rv_slab_objects(page: Page): number {
  const c = page.private;
  return c >>> 16;
}

export function rv_use_objects(s: KmemCache, n: KmemCacheNode): number {
  const a = new_slab(s, 0);
  return (a ? rv_slab_objects(a) : 0) + rv_slab_objects(list_first_entry(n.partial, Page, 'lru'));
}
`;

/** [function, field, access, kind], one per raw access, in source order; labelled before the tool ran. */
export const NEW_SITE_LABELS: Label[] = [
  ['rv_slab_cache_of', 'mapping', 'read', 'slab'],
  ['rv_table_lock', 'private', 'read', 'ptdesc'],
  ['rv_count_inuse', 'private', 'read', 'slab'],
  ['rv_table_of', 'private', 'read', 'ptdesc'],
  ['rv_walk_lock', 'private', 'read', 'ptdesc'],
  ['rv_count_mapped', 'mapping', 'read', 'unknown'],
  ['rv_describe', 'mapping', 'read', 'slab'],
  ['rv_describe', 'private', 'read', 'ptdesc'],
  ['rv_describe', 'private', 'call', 'zpdesc'],
  ['rv_describe', 'private', 'call', 'buddy'],
  ['rv_describe', 'index', 'read', 'unknown'],
  ['rv_first_free', 'index', 'read', 'slab'],
  ['rv_first_free', 'index', 'read', 'unknown'],
  ['rv_pair', 'private', 'read', 'ptdesc'],
  ['rv_pair', 'private', 'read', 'ptdesc'],
  ['rv_first_obj', 'index', 'read', 'zpdesc'],
  ['rv_partial_objects', 'lru', 'reference', 'slab'],
  ['rv_partial_objects', 'private', 'read', 'slab'],
  ['rv_first_free_block', 'lru', 'reference', 'buddy'],
  ['rv_first_free_block', 'private', 'read', 'buddy'],
  ['rv_pgd_owners', 'lru', 'reference', 'ptdesc'],
  ['rv_pgd_owners', 'index', 'read', 'ptdesc'],
  ['rv_oldest_anon', 'lru', 'reference', 'folio'],
  ['rv_oldest_anon', 'mapping', 'read', 'folio'],
  ['rv_vmalloc_owner', 'private', 'read', 'vmalloc'],
  ['rv_anon_index', 'index', 'read', 'folio'],
  ['rv_swap_entry', 'private', 'call', 'folio'],
  // rv_word() and rv_slab_counters() are one-line wrappers (their whole body is a raw access of
  // their page parameter): the findings are their call sites, each with its argument's kind
  // (first labelled at the definitions, relabelled to the finding model after the first run; the
  // generic and one-kind callees are rv_word_sum() and rv_slab_objects() below, added then).
  ['rv_use_word', 'index', 'call', 'slab'],
  ['rv_use_word', 'index', 'call', 'ptdesc'],
  ['rv_use_counters', 'private', 'call', 'slab'],
  ['rv_use_counters', 'lru', 'reference', 'slab'],
  ['rv_use_counters', 'private', 'call', 'slab'],
  ['rv_zs_handle', 'index', 'read', 'zpdesc'],
  ['rv_table_mm', 'index', 'read', 'ptdesc'],
  ['rv_kind_word', 'index', 'read', 'slab'],
  ['rv_kind_word', 'private', 'read', 'ptdesc'],
  ['rv_kind_word', 'private', 'read', 'unknown'],
  ['rv_make_table', 'private', 'write', 'ptdesc'],
  ['rv_mark_free', 'private', 'call', 'buddy'],
  ['rv_owned_by', 'mapping', 'read', 'slab'],
  ['rv_sum_tables', 'private', 'read', 'ptdesc'],
  ['rv_seen_freelists', 'index', 'read', 'slab'],
  ['rv_table_by_addr', 'private', 'read', 'ptdesc'],
  ['rv_dump', 'mapping', 'read', 'unknown'],
  ['rv_dump', 'index', 'read', 'unknown'],
  ['rv_not_buddy', 'index', 'read', 'unknown'],
  ['rv_has_free', 'index', 'read', 'slab'],
  ['rv_lockless', 'private', 'read', 'ptdesc'],
  ['rv_word_sum', 'index', 'read', 'unknown'],
  ['rv_slab_objects', 'private', 'read', 'slab'],
  ['rv_use_objects', 'lru', 'reference', 'slab'],
];
