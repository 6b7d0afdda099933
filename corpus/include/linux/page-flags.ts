/**
 * Page flags and page types (include/linux/page-flags.h).
 * PG_* bits live in the low half of page->flags. Page types live in the top byte of the
 * low half of w6 (page_type, shared with _mapcount): set = PGTY_x << 24, clear = 0xffffffff.
 */
import { Page, page_word_is_tail } from './mm_types.ts';
import { VM_BUG_ON_PAGE } from './mmdebug.ts';
import { compound_head } from './mm.ts';
import { PageMemdesc, memdesc_movable_ops } from './memdesc.ts';

export const PG_locked = 0;
export const PG_writeback = 1;
export const PG_referenced = 2;
export const PG_uptodate = 3;
export const PG_dirty = 4;
export const PG_lru = 5;
export const PG_head = 6;
export const PG_waiters = 7;
export const PG_active = 8;
export const PG_workingset = 9;
export const PG_owner_priv_1 = 10;
export const PG_owner_2 = 11;
export const PG_arch_1 = 12;
export const PG_reserved = 13;
export const PG_private = 14;
export const PG_private_2 = 15;
export const PG_reclaim = 16;
export const PG_swapbacked = 17;
export const PG_unevictable = 18;
export const PG_dropbehind = 19;
export const PG_mlocked = 20;
export const PG_hwpoison = 21;
export const NR_PAGEFLAGS = 22;
/** Aliases. */
export const PG_swapcache = PG_owner_priv_1;
export const PG_anon_exclusive = PG_owner_2;

export const PAGEFLAG_NAMES: readonly string[] = [
  'locked', 'writeback', 'referenced', 'uptodate', 'dirty', 'lru', 'head', 'waiters', 'active',
  'workingset', 'owner_priv_1', 'owner_2', 'arch_1', 'reserved', 'private', 'private_2', 'reclaim',
  'swapbacked', 'unevictable', 'dropbehind', 'mlocked', 'hwpoison',
];

/** Flags that must be clear when a page is freed (PAGE_FLAGS_CHECK_AT_FREE). */
export const PAGE_FLAGS_CHECK_AT_FREE =
  (1 << PG_lru) | (1 << PG_locked) | (1 << PG_private) | (1 << PG_private_2) | (1 << PG_writeback) |
  (1 << PG_reserved) | (1 << PG_active) | (1 << PG_unevictable) | (1 << PG_mlocked);
/** Flags that must be clear when a page is handed out (PAGE_FLAGS_CHECK_AT_PREP). */
export const PAGE_FLAGS_CHECK_AT_PREP = ((1 << NR_PAGEFLAGS) - 1) & ~(1 << PG_hwpoison);

export function test_bit(nr: number, page: Page): boolean {
  return (page.flags & (1 << nr)) !== 0;
}
export function set_bit(nr: number, page: Page): void {
  page.flags = page.flags | (1 << nr);
}
export function clear_bit(nr: number, page: Page): void {
  page.flags = page.flags & ~(1 << nr);
}

export const PageLocked = (p: Page) => test_bit(PG_locked, p);
export const SetPageLocked = (p: Page) => set_bit(PG_locked, p);
export const ClearPageLocked = (p: Page) => clear_bit(PG_locked, p);
export const PageReferenced = (p: Page) => test_bit(PG_referenced, p);
export const SetPageReferenced = (p: Page) => set_bit(PG_referenced, p);
export const ClearPageReferenced = (p: Page) => clear_bit(PG_referenced, p);
export const PageUptodate = (p: Page) => test_bit(PG_uptodate, p);
export const SetPageUptodate = (p: Page) => set_bit(PG_uptodate, p);
export const PageDirty = (p: Page) => test_bit(PG_dirty, p);
export const SetPageDirty = (p: Page) => set_bit(PG_dirty, p);
export const ClearPageDirty = (p: Page) => clear_bit(PG_dirty, p);
export const PageLRU = (p: Page) => test_bit(PG_lru, p);
export const SetPageLRU = (p: Page) => set_bit(PG_lru, p);
export const ClearPageLRU = (p: Page) => clear_bit(PG_lru, p);
export const PageActive = (p: Page) => test_bit(PG_active, p);
export const SetPageActive = (p: Page) => set_bit(PG_active, p);
export const ClearPageActive = (p: Page) => clear_bit(PG_active, p);
export const PageWorkingset = (p: Page) => test_bit(PG_workingset, p);
export const SetPageWorkingset = (p: Page) => set_bit(PG_workingset, p);
export const PageReserved = (p: Page) => test_bit(PG_reserved, p);
export const SetPageReserved = (p: Page) => set_bit(PG_reserved, p);
export const ClearPageReserved = (p: Page) => clear_bit(PG_reserved, p);
export const PagePrivate = (p: Page) => test_bit(PG_private, p);
export const SetPagePrivate = (p: Page) => set_bit(PG_private, p);
export const ClearPagePrivate = (p: Page) => clear_bit(PG_private, p);
export const PageSwapBacked = (p: Page) => test_bit(PG_swapbacked, p);
export const SetPageSwapBacked = (p: Page) => set_bit(PG_swapbacked, p);
export const ClearPageSwapBacked = (p: Page) => clear_bit(PG_swapbacked, p);
export const PageSwapCache = (p: Page) => PageSwapBacked(p) && test_bit(PG_swapcache, p);
export const SetPageSwapCache = (p: Page) => set_bit(PG_swapcache, p);
export const ClearPageSwapCache = (p: Page) => clear_bit(PG_swapcache, p);
export const PageUnevictable = (p: Page) => test_bit(PG_unevictable, p);
export const PageMlocked = (p: Page) => test_bit(PG_mlocked, p);
export const PageHWPoison = (p: Page) => test_bit(PG_hwpoison, p);
export const SetPageHWPoison = (p: Page) => set_bit(PG_hwpoison, p);
export const TestSetPageHWPoison = (p: Page) => {
  const was = PageHWPoison(p);
  SetPageHWPoison(p);
  return was;
};
export const PageHead = (p: Page) => test_bit(PG_head, p);
export const __SetPageHead = (p: Page) => set_bit(PG_head, p);
export const __ClearPageHead = (p: Page) => clear_bit(PG_head, p);

/** Tail pages have bit 0 of compound_head set (and point into the vmemmap: not a memdesc word). @memdesc-aware */
export function PageTail(page: Page): boolean {
  return page_word_is_tail(page.compound_head);
}
export function PageCompound(page: Page): boolean {
  return PageHead(page) || PageTail(page);
}

/** mapping low bits: anonymous (anon_vma | 1) and movable-ops (2) pages. */
export const PAGE_MAPPING_ANON = 0x1;
export const PAGE_MAPPING_MOVABLE = 0x2;
export const PAGE_MAPPING_KSM = PAGE_MAPPING_ANON | PAGE_MAPPING_MOVABLE;
export const PAGE_MAPPING_FLAGS = PAGE_MAPPING_ANON | PAGE_MAPPING_MOVABLE;

/** Page types (enum pagetype): the top byte of page_type. */
export const PGTY_buddy = 0xf0;
export const PGTY_offline = 0xf1;
export const PGTY_table = 0xf2;
export const PGTY_guard = 0xf3;
export const PGTY_hugetlb = 0xf4;
export const PGTY_slab = 0xf5;
export const PGTY_zsmalloc = 0xf6;
export const PGTY_unaccepted = 0xf7;
export const PGTY_large_kmalloc = 0xf8;
export const PGTY_mapcount_underflow = 0xff;
export const PAGE_TYPE_NONE = 0xffffffff;

const PGTY_NAMES: Record<number, string> = {
  [PGTY_buddy]: 'buddy', [PGTY_offline]: 'offline', [PGTY_table]: 'table', [PGTY_guard]: 'guard',
  [PGTY_hugetlb]: 'hugetlb', [PGTY_slab]: 'slab', [PGTY_zsmalloc]: 'zsmalloc',
  [PGTY_unaccepted]: 'unaccepted', [PGTY_large_kmalloc]: 'large_kmalloc',
};

export function page_type_name(type: number): string {
  return PGTY_NAMES[type >>> 24] ?? 'unknown';
}

/** True when the low half of w6 holds a page type rather than a mapcount. */
export function page_has_type(page: Page): boolean {
  const top = page.page_type >>> 24;
  return top >= PGTY_buddy && top < PGTY_mapcount_underflow;
}

function page_type_is(page: Page, type: number): boolean {
  return page.page_type >>> 24 === type;
}
function __set_page_type(page: Page, type: number, name: string): void {
  VM_BUG_ON_PAGE(page.page_type !== PAGE_TYPE_NONE, page, `__SetPage${name}: page_type already set`);
  page.page_type = (type << 24) >>> 0;
}
function __clear_page_type(page: Page, type: number, name: string): void {
  VM_BUG_ON_PAGE(!page_type_is(page, type), page, `__ClearPage${name}: not a ${name} page`);
  page.page_type = PAGE_TYPE_NONE;
}

export const PageBuddy = (p: Page) => page_type_is(p, PGTY_buddy);
export const __SetPageBuddy = (p: Page) => __set_page_type(p, PGTY_buddy, 'Buddy');
export const __ClearPageBuddy = (p: Page) => __clear_page_type(p, PGTY_buddy, 'Buddy');
export const PageTable = (p: Page) => page_type_is(p, PGTY_table);
export const __SetPageTable = (p: Page) => __set_page_type(p, PGTY_table, 'Table');
export const __ClearPageTable = (p: Page) => __clear_page_type(p, PGTY_table, 'Table');
export const PageSlab = (p: Page) => page_type_is(p, PGTY_slab);
export const __SetPageSlab = (p: Page) => __set_page_type(p, PGTY_slab, 'Slab');
export const __ClearPageSlab = (p: Page) => __clear_page_type(p, PGTY_slab, 'Slab');
export const PageZsmalloc = (p: Page) => page_type_is(p, PGTY_zsmalloc);
export const __SetPageZsmalloc = (p: Page) => __set_page_type(p, PGTY_zsmalloc, 'Zsmalloc');
export const __ClearPageZsmalloc = (p: Page) => __clear_page_type(p, PGTY_zsmalloc, 'Zsmalloc');
export const PageLargeKmalloc = (p: Page) => page_type_is(p, PGTY_large_kmalloc);
export const __SetPageLargeKmalloc = (p: Page) => __set_page_type(p, PGTY_large_kmalloc, 'LargeKmalloc');
export const __ClearPageLargeKmalloc = (p: Page) => __clear_page_type(p, PGTY_large_kmalloc, 'LargeKmalloc');
export const PageOffline = (p: Page) => page_type_is(p, PGTY_offline);

/** Anonymous pages have PAGE_MAPPING_ANON set in page->mapping (of the head page). */
export function PageAnon(page: Page): boolean {
  return (compound_head(page).mapping & PAGE_MAPPING_ANON) !== 0;
}

/**
 * pages with movable_ops (zsmalloc, balloon): mapping carries PAGE_MAPPING_MOVABLE. A page with
 * a memdesc word (stage 2) keeps its mapping in its descriptor: its type says it (memdesc.ts).
 */
export function __PageMovable(page: Page): boolean {
  if (PageMemdesc(page)) return memdesc_movable_ops(page);
  return (page.mapping & PAGE_MAPPING_FLAGS) === PAGE_MAPPING_MOVABLE;
}
