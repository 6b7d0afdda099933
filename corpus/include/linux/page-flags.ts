/**
 * Page flags and page types (include/linux/page-flags.h).
 * PG_* bits live in the low half of page->flags. Page types live in the top byte of the
 * low half of w6 (page_type, shared with _mapcount, asked of the layout: page_own_count()):
 * set = PGTY_x << 24, clear = 0xffffffff;
 * except buddy (a flag bit, with the free block's order, in the flags word) and, on a page that
 * carries a memdesc word (stage 2), the type its tag stands for. Tests go through
 * page_type_of(), so callers never care where a type is kept.
 */
import { Page, page_word_is_tail, page_own_word, page_own_count, page_set_own_count } from './mm_types.ts';
import { VM_BUG_ON_PAGE } from './mmdebug.ts';
import { compound_head } from './mm.ts';
import {
  PageMemdesc, memdesc_movable_ops, memdesc_valid, memdesc_type, memdesc_ptr, memdesc_desc_page, memdesc_misc_subtype, MEMDESC_TYPE_MISC,
  MEMDESC_TYPE_PTDESC, MEMDESC_TYPE_SLAB, MEMDESC_TYPE_ZPDESC, MEMDESC_TYPE_ANON, MEMDESC_MISC_KMALLOC_LARGE, MEMDESC_MISC_OFFLINE, MEMDESC_MISC_GUARD,
} from './memdesc.ts';

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

/**
 * The page type a memdesc word stands for (stage 2): a page that carries a word has its type in
 * the word's tag, not in page_type (which a separated descriptor leaves to struct page's past).
 * Only the first page of the allocation (the one its descriptor points back at, or any page of a
 * misc allocation's first) has the type, as __SetPage*() set it on the first page only.
 */
function memdesc_page_type(page: Page): number {
  const md = page.memdesc;
  const tag = memdesc_type(md);
  if (tag === MEMDESC_TYPE_MISC) {
    const sub = memdesc_misc_subtype(md);
    return sub === MEMDESC_MISC_KMALLOC_LARGE ? PGTY_large_kmalloc : sub === MEMDESC_MISC_OFFLINE ? PGTY_offline :
      sub === MEMDESC_MISC_GUARD ? PGTY_guard : 0;
  }
  if (!memdesc_valid(md)) return 0;
  const first = memdesc_desc_page(memdesc_ptr(md));
  if (first !== null && first.addr !== page.addr) return 0;
  return tag === MEMDESC_TYPE_PTDESC ? PGTY_table : tag === MEMDESC_TYPE_SLAB ? PGTY_slab :
    tag === MEMDESC_TYPE_ZPDESC ? PGTY_zsmalloc : 0;
}

/**
 * The page's type (PGTY_*), 0 when it has none: buddy from the flags, a page that carries a
 * memdesc word from its tag, any other page from page_type's top byte.
 */
export function page_type_of(page: Page): number {
  if (PageBuddy(page)) return PGTY_buddy;
  if (PageMemdesc(page)) return memdesc_page_type(page);
  // A page without a word: its own page_type, or none where struct page keeps none.
  const top = (page_own_count(page, 'page_type') ?? PAGE_TYPE_NONE) >>> 24;
  return top >= PGTY_buddy && top < PGTY_mapcount_underflow ? top : 0;
}

/** True when the page has a type (and so the low half of w6, stage 0, holds no mapcount). */
export function page_has_type(page: Page): boolean {
  return page_type_of(page) !== 0;
}

function page_type_is(page: Page, type: number): boolean {
  return page_type_of(page) === type;
}
/** A page carrying a memdesc word has its type in the tag already: only checked, page_type untouched. */
function __set_page_type(page: Page, type: number, name: string): void {
  if (PageMemdesc(page)) {
    VM_BUG_ON_PAGE(!page_type_is(page, type), page, `__SetPage${name}: memdesc type is not ${name}`);
    return;
  }
  const own = page_own_count(page, 'page_type');
  VM_BUG_ON_PAGE(own === undefined, page, `__SetPage${name}: struct page keeps no page_type: a typed page needs a memdesc word`);
  VM_BUG_ON_PAGE(own! >>> 0 !== PAGE_TYPE_NONE, page, `__SetPage${name}: page_type already set`);
  page_set_own_count(page, 'page_type', (type << 24) >>> 0);
}
/** On a memdesc page nothing to clear: the word goes with the pages, and the kind's free checks it (its typed accessor). */
function __clear_page_type(page: Page, type: number, name: string): void {
  if (PageMemdesc(page)) return;
  VM_BUG_ON_PAGE(!page_type_is(page, type), page, `__ClearPage${name}: not a ${name} page`);
  page_set_own_count(page, 'page_type', PAGE_TYPE_NONE);
}

/*
 * Free pages keep what the allocator needs in the flags word, in bits no PG_* flag uses
 * (NR_PAGEFLAGS..31 of the low half): PageBuddy() and the order of a free block (on a buddy
 * free list or a per-cpu list). Not page_type/private: the memdesc plan (§5.1) keeps buddy data
 * in struct page, and a 24-byte struct page has only {flags, next, prev} for it. prev's low bits
 * cannot hold it: 24-byte struct pages leave list heads 8-byte aligned, 3 bits, and MAX_PAGE_ORDER
 * is 10. Bits above the PG_* flags are never set on an allocated page (cleared as the block
 * leaves the free lists), so the free and allocation checks and dump_page()'s flag names are
 * unaffected.
 */
export const PG_buddy = 22;
export const PAGE_FREE_ORDER_SHIFT = 24;
export const PAGE_FREE_ORDER_MASK = 0xf;
const PAGE_FREE_BITS = (1 << PG_buddy) | (PAGE_FREE_ORDER_MASK << PAGE_FREE_ORDER_SHIFT);

export const PageBuddy = (p: Page) => test_bit(PG_buddy, p);
export function __SetPageBuddy(page: Page): void {
  VM_BUG_ON_PAGE(PageBuddy(page), page, '__SetPageBuddy: page_type already set');
  set_bit(PG_buddy, page);
}
export function __ClearPageBuddy(page: Page): void {
  VM_BUG_ON_PAGE(!PageBuddy(page), page, '__ClearPageBuddy: not a Buddy page');
  clear_bit(PG_buddy, page);
}
/** The order of a free block, on its first page (buddy lists and per-cpu lists). */
export function page_free_order(page: Page): number {
  return (page.flags >>> PAGE_FREE_ORDER_SHIFT) & PAGE_FREE_ORDER_MASK;
}
export function set_page_free_order(page: Page, order: number): void {
  VM_BUG_ON_PAGE(!Number.isInteger(order) || order < 0 || order > PAGE_FREE_ORDER_MASK, page, `set_page_free_order: bad order ${order}`);
  page.flags = (page.flags & ~(PAGE_FREE_ORDER_MASK << PAGE_FREE_ORDER_SHIFT)) | (order << PAGE_FREE_ORDER_SHIFT);
}
/** The block leaves the free lists: nothing of the allocator's stays in its flags. */
export function clear_page_free_bits(page: Page): void {
  page.flags = page.flags & ~PAGE_FREE_BITS;
}
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

/**
 * Anonymous pages have PAGE_MAPPING_ANON set in page->mapping (of the head page). A page that
 * carries a memdesc word (stage 2) can be anonymous only when the word's tag is anon; the tag is
 * fixed at allocation, so the mapping still says whether it is anonymous yet (a swap-cache page
 * is read in before the rmap gives it its anon_vma).
 */
export function PageAnon(page: Page): boolean {
  if (PageMemdesc(compound_head(page)) && memdesc_type(compound_head(page).memdesc) !== MEMDESC_TYPE_ANON) return false;
  return (compound_head(page).mapping & PAGE_MAPPING_ANON) !== 0;
}

/**
 * pages with movable_ops (zsmalloc, balloon): mapping carries PAGE_MAPPING_MOVABLE. A page with
 * a memdesc word (stage 2) keeps its mapping in its descriptor: its type says it (memdesc.ts).
 */
export function __PageMovable(page: Page): boolean {
  if (PageMemdesc(page)) return memdesc_movable_ops(page);
  return (page_own_word(page, 'mapping') & PAGE_MAPPING_FLAGS) === PAGE_MAPPING_MOVABLE;
}
