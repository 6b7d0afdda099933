/**
 * Core page helpers (include/linux/mm.h, page_ref.h): pfn/page/virtual conversions,
 * compound pages, reference counts, and the page_private() accessors.
 */
import { Page, STRUCT_PAGE_SIZE, STRUCT_PAGE_SHIFT } from './mm_types.ts';
import { PAGE_OFFSET, PAGE_SHIFT, PAGE_SIZE, VMEMMAP_START } from '../../arch/x86/include/asm/page_64_types.ts';
import { read32, write32, ram_size } from '../../sim/memory.ts';
import { PageHead } from './page-flags.ts';
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

export function page_to_pfn(page: Page): number {
  return (page.addr - VMEMMAP_START) >>> STRUCT_PAGE_SHIFT;
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

/** The head page of a compound page, or the page itself. */
export function compound_head(page: Page): Page {
  const head = page.compound_head;
  if (head & 1) return new Page(head - 1);
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

/* Reference counts (include/linux/page_ref.h): _refcount is the high half of w6. */

export function page_ref_count(page: Page): number {
  return page._refcount;
}

export function set_page_count(page: Page, v: number): void {
  page._refcount = v;
}

export function init_page_count(page: Page): void {
  set_page_count(page, 1);
}

export function page_ref_inc(page: Page): void {
  page._refcount = page._refcount + 1;
}

export function page_ref_dec_and_test(page: Page): boolean {
  const v = page._refcount - 1;
  page._refcount = v;
  return v === 0;
}

export function page_count(page: Page): number {
  return compound_head(page)._refcount;
}

export function get_page(page: Page): void {
  const head = compound_head(page);
  VM_BUG_ON_PAGE(head._refcount <= 0, head, 'get_page on a page with refcount <= 0');
  page_ref_inc(head);
}

export function put_page_testzero(page: Page): boolean {
  VM_BUG_ON_PAGE(page._refcount === 0, page, 'put_page on a page with refcount 0');
  return page_ref_dec_and_test(page);
}

export function put_page(page: Page): void {
  const head = compound_head(page);
  if (put_page_testzero(head)) __put_page(head);
}

/** page_mapcount(): _mapcount is -1 when unmapped. Typed pages are never mapped. */
export function page_mapcount(page: Page): number {
  return page._mapcount + 1;
}

export function page_mapped(page: Page): boolean {
  return page._mapcount >= 0;
}

export function reset_page_mapcount(page: Page): void {
  page._mapcount = -1;
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

