/**
 * Core page helpers (include/linux/mm.h, page_ref.h): pfn/page/virtual conversions,
 * compound pages, reference counts, and the page_private() accessors.
 */
import { Page, STRUCT_PAGE_SIZE, PAGE_MEMDESC_OFFSET, page_own_count, page_set_own_count } from './mm_types.ts';
import { PAGE_OFFSET, PAGE_SHIFT, PAGE_SIZE, VMEMMAP_START } from '../../arch/x86/include/asm/page_64_types.ts';
import { read32, read32s, write32, ram_size } from '../../sim/memory.ts';
import {
  memdesc_counts, memdesc_type, memdesc_type_counted, memdesc_misc_order, PageMemdesc, MEMDESC_COUNTS_REFCOUNT, MEMDESC_COUNTS_MAPCOUNT,
  MEMDESC_TYPE_MISC,
} from './memdesc.ts';
import { PageHead, PageReserved } from './page-flags.ts';
import { VM_BUG_ON_PAGE } from './mmdebug.ts';
import { __put_page } from '../../mm/swap.ts';
import type { Zone } from './mmzone.ts';
import { contig_page_data } from '../../mm/page_alloc.ts';

export { PAGE_SIZE, PAGE_SHIFT };

/** max_pfn: one past the last page frame of RAM. */
export function max_pfn(): number {
  return ram_size() >>> PAGE_SHIFT;
}

export function pfn_valid(pfn: number): boolean {
  return Number.isInteger(pfn) && pfn >= 0 && pfn < max_pfn();
}

export function pfn_to_page(pfn: number): Page {
  return new Page(VMEMMAP_START + pfn * STRUCT_PAGE_SIZE);
}

/** A division, not a shift: a shrunken struct page (stage 2, `memdesc shrink`) need not be a power of two. */
export function page_to_pfn(page: Page): number {
  return Math.floor((page.addr - VMEMMAP_START) / STRUCT_PAGE_SIZE);
}

/** __pa() on the direct map. */
export function __pa(vaddr: number): number {
  return vaddr - PAGE_OFFSET;
}

/** __va(): physical address to its direct-map address. */
export function __va(paddr: number): number {
  return paddr + PAGE_OFFSET;
}

/** virt_to_page(): only for direct-map addresses, as in the kernel. */
export function virt_to_page(vaddr: number): Page {
  return pfn_to_page(Math.floor(__pa(vaddr) / PAGE_SIZE));
}

export function virt_addr_valid(vaddr: number): boolean {
  const pa = vaddr - PAGE_OFFSET;
  return pa >= 0 && pa < ram_size();
}

export function page_address(page: Page): number {
  return PAGE_OFFSET + page_to_pfn(page) * PAGE_SIZE;
}

export function pfn_to_virt(pfn: number): number {
  return PAGE_OFFSET + pfn * PAGE_SIZE;
}

/** The head page of a compound page, or the page itself (a memdesc word is no tail). @memdesc-aware */
export function compound_head(page: Page): Page {
  const head = page.compound_head;
  // A memdesc word with an odd tag is no tail: only vmemmap links are (page_word_is_tail).
  if ((head & 1) && head > VMEMMAP_START) return new Page(head - 1);
  return page;
}

export function compound_order(page: Page): number {
  if (!PageHead(page)) return 0;
  return new Page(page.addr + STRUCT_PAGE_SIZE).compound_order;
}

export function compound_nr(page: Page): number {
  return 1 << compound_order(page);
}

export function page_size(page: Page): number {
  return PAGE_SIZE << compound_order(page);
}

/** Tail pages point at their head: compound_head = head | 1. */
export function set_compound_head(page: Page, head: Page): void {
  page.compound_head = head.addr + 1;
}

export function clear_compound_head(page: Page): void {
  page.compound_head = 0;
}

/*
 * Reference and map counts (include/linux/page_ref.h): _refcount is the high half of w6,
 * _mapcount the low half. A page that carries the word of a descriptor with counts (stage 2: a
 * folio's, a zpdesc's) has none of its own: its descriptor's (memdesc_counts(),
 * include/linux/memdesc.ts), and every accessor below reads and writes those. A page that
 * carries another word (a misc word, a slab's, a page table's) is never mapped and holds only its
 * allocation's reference. Other pages use their own counts, through the layout
 * (page_own_count(), Page.OWN_COUNTS) rather than the members; where struct page keeps none (a
 * shrunken struct page, `memdesc shrink`), the page's state answers (page_frozen_refcount()), and
 * a write the state would not answer the same way is a kernel BUG: it needed the word.
 */

/**
 * The refcount a page has without counts of its own, from its state: a page of an allocation
 * whose word has no counts holds the allocation's one reference on its first page (a misc word:
 * aligned to the order the word records; a descriptor's word: the page before it carries another
 * word); a page whose descriptor keeps the counts has a free page's own (0); a reserved page one;
 * any other page without a word is free, a tail or inside a free block: 0. Reads no descriptor
 * and fires nothing (dump_page() asks it).
 */
export function page_frozen_refcount(page: Page): number {
  if (PageMemdesc(page)) {
    const low = read32(page.addr + PAGE_MEMDESC_OFFSET);
    const type = memdesc_type(low);
    if (type === MEMDESC_TYPE_MISC) return page_to_pfn(page) % (1 << memdesc_misc_order(low)) === 0 ? 1 : 0;
    if (memdesc_type_counted(type)) return 0;
    const prev = new Page(page.addr - STRUCT_PAGE_SIZE);
    const same = page_to_pfn(page) > 0 && PageMemdesc(prev) && read32(prev.addr + PAGE_MEMDESC_OFFSET) === low &&
      read32(prev.addr + PAGE_MEMDESC_OFFSET + 4) === read32(page.addr + PAGE_MEMDESC_OFFSET + 4);
    return same ? 0 : 1;
  }
  // Reserved pages (boot, never freed) hold their one reference (__init_single_page()).
  return PageReserved(page) ? 1 : 0;
}

/** A count struct page keeps none of: only what the page's state says may be stored. */
function no_own_count(page: Page, name: string, v: number, state: number): void {
  VM_BUG_ON_PAGE(v !== state, page, `${name} ${v} on a page whose state says ${state}: struct page keeps no ${name} and the page carries no word that would`);
}

function ref_read(page: Page): number {
  const desc = memdesc_counts(page);
  if (desc) return read32s(desc + MEMDESC_COUNTS_REFCOUNT);
  return page_own_count(page, '_refcount') ?? page_frozen_refcount(page);
}

function ref_write(page: Page, v: number): void {
  const desc = memdesc_counts(page);
  if (desc) write32(desc + MEMDESC_COUNTS_REFCOUNT, v);
  else if (!page_set_own_count(page, '_refcount', v)) {
    // The last reference of an allocation without counts goes as its pages are freed.
    if (!(v === 0 && PageMemdesc(page))) no_own_count(page, '_refcount', v, page_frozen_refcount(page));
  }
}

/** The raw _mapcount (-1 when unmapped): the descriptor's for a page carrying a word with counts. */
export function page_mapcount_raw(page: Page): number {
  const desc = memdesc_counts(page);
  if (desc) return read32s(desc + MEMDESC_COUNTS_MAPCOUNT);
  // Another word: its pages are never mapped (and their own low half of w6 is never written).
  if (PageMemdesc(page)) return -1;
  return page_own_count(page, '_mapcount') ?? -1;
}

export function set_page_mapcount_raw(page: Page, v: number): void {
  const desc = memdesc_counts(page);
  if (desc) write32(desc + MEMDESC_COUNTS_MAPCOUNT, v);
  else if (PageMemdesc(page)) no_own_count(page, '_mapcount', v, -1);
  else if (!page_set_own_count(page, '_mapcount', v)) no_own_count(page, '_mapcount', v, -1);
}

export function page_ref_count(page: Page): number {
  return ref_read(page);
}

export function set_page_count(page: Page, v: number): void {
  ref_write(page, v);
}

export function init_page_count(page: Page): void {
  set_page_count(page, 1);
}

export function page_ref_inc(page: Page): void {
  ref_write(page, ref_read(page) + 1);
}

export function page_ref_dec_and_test(page: Page): boolean {
  const v = ref_read(page) - 1;
  ref_write(page, v);
  return v === 0;
}

export function page_count(page: Page): number {
  return ref_read(compound_head(page));
}

export function get_page(page: Page): void {
  const head = compound_head(page);
  VM_BUG_ON_PAGE(ref_read(head) <= 0, head, 'get_page on a page with refcount <= 0');
  page_ref_inc(head);
}

export function put_page_testzero(page: Page): boolean {
  const v = ref_read(page);
  VM_BUG_ON_PAGE(v === 0, page, 'put_page on a page with refcount 0');
  ref_write(page, v - 1);
  return v === 1;
}

export function put_page(page: Page): void {
  const head = compound_head(page);
  if (put_page_testzero(head)) __put_page(head);
}

/** page_mapcount(): _mapcount is -1 when unmapped. Typed pages are never mapped. */
export function page_mapcount(page: Page): number {
  return page_mapcount_raw(page) + 1;
}

export function page_mapped(page: Page): boolean {
  return page_mapcount_raw(page) >= 0;
}

export function reset_page_mapcount(page: Page): void {
  set_page_mapcount_raw(page, -1);
}

/* The page_private() accessors: the wrappers every subsystem used for w5. */

export function page_private(page: Page): number {
  return page.private;
}

export function set_page_private(page: Page, v: number): void {
  page.private = v;
}

/* Zone membership: the zone id is kept in the top bits of page->flags (ZONES_PGSHIFT 62). */

export const ZONES_PGSHIFT = 62;
const ZONES_HI_SHIFT = ZONES_PGSHIFT - 32;

export function page_zonenum(page: Page): number {
  return (read32(page.addr + 4) >>> ZONES_HI_SHIFT) & 3;
}

export function set_page_zone(page: Page, zone: number): void {
  const hi = read32(page.addr + 4) & ~(3 << ZONES_HI_SHIFT);
  write32(page.addr + 4, (hi | (zone << ZONES_HI_SHIFT)) >>> 0);
}

export function page_zone(page: Page): Zone {
  return contig_page_data.node_zones[page_zonenum(page)]!;
}


/* ======================================================================================
 * Page tables and address spaces (the parts of include/linux/mm.h that page-table code
 * uses). Owned by the page-table / process code; appended as one section.
 *
 * Every page-table page carries PGTY_table and counts in NR_PAGETABLE. PTE and PMD tables
 * of user address spaces have a split page-table lock: a spinlock_t allocated from the
 * "page->ptl" kmem_cache (ALLOC_SPLIT_PTLOCKS: a debug spinlock does not fit in a long),
 * its address kept in page->ptl, which is page->private. init_mm's tables skip it.
 * ====================================================================================== */

import { read64 } from '../../sim/memory.ts';
import { ZoneStat, __mod_zone_page_state } from './mmzone.ts';
import { BUG } from './mmdebug.ts';
import { __SetPageTable, __ClearPageTable, PageAnon } from './page-flags.ts';
import { MmStruct, MM_FILEPAGES, MM_ANONPAGES, MM_SHMEMPAGES } from './mm_types.ts';
import { PTRS_PER_PTE, PTRS_PER_PMD, PTRS_PER_PUD } from '../../arch/x86/include/asm/pgtable_64_types.ts';
import {
  pmd_page, p4d_offset, p4d_none, pud_none, pmd_none, pud_offset, pmd_offset, pte_offset_map, pte_offset_kernel,
  pte_unmap,
} from '../../arch/x86/include/asm/pgtable.ts';
import { ptlock_alloc, ptlock_free, __pud_alloc, __pmd_alloc, __pte_alloc, __pte_alloc_kernel } from '../../mm/memory.ts';

/** spinlock_t with CONFIG_DEBUG_SPINLOCK: raw_lock, magic, owner_cpu, owner. */
export const SPINLOCK_T_SIZE = 24;
export const SPINLOCK_MAGIC = 0xdead4ead;

export function spin_lock_init(lock: number): void {
  write32(lock, 0);
  write32(lock + 4, SPINLOCK_MAGIC);
  write32(lock + 8, 0xffffffff);
  write32(lock + 12, 0);
  write32(lock + 16, 0xffffffff);
  write32(lock + 20, 0xffffffff);
}

/** One CPU: taking a held lock can only be a recursion (deadlock) bug. */
export function spin_lock(lock: number): void {
  if (read32(lock + 4) !== SPINLOCK_MAGIC) BUG(`spinlock bad magic on lock ${lock.toString(16)}`);
  if (read32(lock) !== 0) BUG(`spinlock recursion on lock ${lock.toString(16)}`);
  write32(lock, 1);
  write32(lock + 8, 0);
}

export function spin_unlock(lock: number): void {
  if (read32(lock) === 0) BUG(`spin_unlock of unlocked lock ${lock.toString(16)}`);
  write32(lock, 0);
  write32(lock + 8, 0xffffffff);
}

export function spin_is_locked(lock: number): boolean {
  return read32(lock) !== 0;
}

/* vmstat (include/linux/vmstat.h) for the page-table counters. */

export function inc_zone_page_state(page: Page, item: ZoneStat): void {
  __mod_zone_page_state(page_zone(page), item, 1);
}

export function dec_zone_page_state(page: Page, item: ZoneStat): void {
  __mod_zone_page_state(page_zone(page), item, -1);
}

/* Split page-table locks. ptlock_alloc()/ptlock_free() live in mm/memory.ts. */

/** The lock of a PTE or PMD table: page->ptl, which is page->private. */
export function ptlock_ptr(page: Page): number {
  return page.private;
}

export function ptlock_init(page: Page): boolean {
  // prep_new_page() cleared page->private (page->ptl); nobody may have used it since.
  VM_BUG_ON_PAGE(page.private !== 0, page, 'ptlock_init: page->ptl already set');
  if (!ptlock_alloc(page)) return false;
  spin_lock_init(ptlock_ptr(page));
  return true;
}

/** The lock protecting the PTE table that the pmd entry at `pmd` points to. */
export function pte_lockptr(_mm: MmStruct, pmd: number): number {
  return ptlock_ptr(pmd_page(read64(pmd)));
}

/** The PMD table page containing the entry at `pmd`. */
export function pmd_to_page(pmd: number): Page {
  return virt_to_page(pmd - (pmd % PAGE_SIZE));
}

export function pmd_lockptr(_mm: MmStruct, pmd: number): number {
  return ptlock_ptr(pmd_to_page(pmd));
}

export function pmd_lock(mm: MmStruct, pmd: number): number {
  const ptl = pmd_lockptr(mm, pmd);
  spin_lock(ptl);
  return ptl;
}

/** PUD and above are protected by mm->page_table_lock. */
export function pud_lockptr(mm: MmStruct, _pud: number): number {
  return mm.page_table_lock;
}

export function pud_lock(mm: MmStruct, pud: number): number {
  const ptl = pud_lockptr(mm, pud);
  spin_lock(ptl);
  return ptl;
}

/** Type and account a page-table page (shared by every level). */
export function __pgtable_page_ctor(page: Page): void {
  __SetPageTable(page);
  inc_zone_page_state(page, ZoneStat.NR_PAGETABLE);
}

export function __pgtable_page_dtor(page: Page): void {
  __ClearPageTable(page);
  dec_zone_page_state(page, ZoneStat.NR_PAGETABLE);
}

export function pgtable_pte_page_ctor(page: Page): boolean {
  if (!ptlock_init(page)) return false;
  __pgtable_page_ctor(page);
  return true;
}

export function pgtable_pte_page_dtor(page: Page): void {
  ptlock_free(page);
  __pgtable_page_dtor(page);
}

export function pgtable_pmd_page_ctor(page: Page): boolean {
  if (!ptlock_init(page)) return false;
  __pgtable_page_ctor(page);
  return true;
}

export function pgtable_pmd_page_dtor(page: Page): void {
  ptlock_free(page);
  __pgtable_page_dtor(page);
}

/** PUD and PGD tables have no split lock. */
export function pgtable_pud_page_ctor(page: Page): void {
  __pgtable_page_ctor(page);
}

export function pgtable_pud_page_dtor(page: Page): void {
  __pgtable_page_dtor(page);
}

export function pgtable_pgd_page_ctor(page: Page): void {
  __pgtable_page_ctor(page);
}

export function pgtable_pgd_page_dtor(page: Page): void {
  __pgtable_page_dtor(page);
}

/* mm->pgtables_bytes */

export function mm_pgtables_bytes(mm: MmStruct): number {
  return mm.pgtables_bytes;
}
export function mm_inc_nr_ptes(mm: MmStruct): void {
  mm.pgtables_bytes += PTRS_PER_PTE * 8;
}
export function mm_dec_nr_ptes(mm: MmStruct): void {
  mm.pgtables_bytes -= PTRS_PER_PTE * 8;
}
export function mm_inc_nr_pmds(mm: MmStruct): void {
  mm.pgtables_bytes += PTRS_PER_PMD * 8;
}
export function mm_dec_nr_pmds(mm: MmStruct): void {
  mm.pgtables_bytes -= PTRS_PER_PMD * 8;
}
export function mm_inc_nr_puds(mm: MmStruct): void {
  mm.pgtables_bytes += PTRS_PER_PUD * 8;
}
export function mm_dec_nr_puds(mm: MmStruct): void {
  mm.pgtables_bytes -= PTRS_PER_PUD * 8;
}

/* Per-mm rss counters. */

export function get_mm_counter(mm: MmStruct, member: number): number {
  return mm.rss_stat[member]!;
}
export function add_mm_counter(mm: MmStruct, member: number, value: number): void {
  mm.rss_stat[member] = mm.rss_stat[member]! + value;
}
export function inc_mm_counter(mm: MmStruct, member: number): void {
  add_mm_counter(mm, member, 1);
}
export function dec_mm_counter(mm: MmStruct, member: number): void {
  add_mm_counter(mm, member, -1);
}
export function get_mm_rss(mm: MmStruct): number {
  return get_mm_counter(mm, MM_FILEPAGES) + get_mm_counter(mm, MM_ANONPAGES) + get_mm_counter(mm, MM_SHMEMPAGES);
}
/** Which rss counter a mapped page counts in (anonymous memory only here). */
export function mm_counter(page: Page): number {
  return PageAnon(page) ? MM_ANONPAGES : MM_FILEPAGES;
}

/* Allocate the next level if missing (the __*_alloc() slow paths are in mm/memory.ts). */

/** Folded P4D: the p4d is the pgd entry. */
export function p4d_alloc(_mm: MmStruct, pgd: number, addr: number): number {
  return p4d_offset(pgd, addr);
}

/** The pud entry for `addr`, allocating the PUD table; 0 on failure. */
export function pud_alloc(mm: MmStruct, p4d: number, addr: number): number {
  if (p4d_none(read64(p4d)) && __pud_alloc(mm, p4d, addr)) return 0;
  return pud_offset(p4d, addr);
}

export function pmd_alloc(mm: MmStruct, pud: number, addr: number): number {
  if (pud_none(read64(pud)) && __pmd_alloc(mm, pud, addr)) return 0;
  return pmd_offset(pud, addr);
}

/** Non-zero (true) when the PTE table could not be allocated. */
export function pte_alloc(mm: MmStruct, pmd: number): boolean {
  return pmd_none(read64(pmd)) && __pte_alloc(mm, pmd) !== 0;
}

export function pte_alloc_map(mm: MmStruct, pmd: number, addr: number): number {
  return pte_alloc(mm, pmd) ? 0 : pte_offset_map(pmd, addr);
}

/** The pte for `addr` in a kernel PTE table, allocating it; 0 on failure. */
export function pte_alloc_kernel(pmd: number, addr: number): number {
  if (pmd_none(read64(pmd)) && __pte_alloc_kernel(pmd)) return 0;
  return pte_offset_kernel(pmd, addr);
}

/** Map and lock the PTE for `addr`; the lock is returned through ptlp. */
export function pte_offset_map_lock(mm: MmStruct, pmd: number, addr: number, ptlp: { ptl: number }): number {
  const ptl = pte_lockptr(mm, pmd);
  const pte = pte_offset_map(pmd, addr);
  ptlp.ptl = ptl;
  spin_lock(ptl);
  return pte;
}

export function pte_unmap_unlock(ptep: number, ptl: number): void {
  spin_unlock(ptl);
  pte_unmap(ptep);
}

export function pte_alloc_map_lock(mm: MmStruct, pmd: number, addr: number, ptlp: { ptl: number }): number {
  return pte_alloc(mm, pmd) ? 0 : pte_offset_map_lock(mm, pmd, addr, ptlp);
}
