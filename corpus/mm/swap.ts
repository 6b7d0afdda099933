/**
 * Page release and LRU insertion (mm/swap.c).
 */
import {
  PageLRU, SetPageLRU, ClearPageLRU, PageHead, PageActive, SetPageActive, ClearPageActive, PageReferenced,
  ClearPageReferenced, SetPageReferenced, PageHWPoison,
} from '../include/linux/page-flags.ts';
import { add_page_to_lru_list, del_page_from_lru_list, page_lru } from '../include/linux/mm_inline.ts';
import { Lruvec, LRUVEC_SIZE, NR_LRU_LISTS } from '../include/linux/mmzone.ts';
import { INIT_LIST_HEAD } from '../include/linux/list.ts';
import { free_unref_page, free_compound_page } from './page_alloc.ts';
import { VM_BUG_ON_PAGE } from '../include/linux/mmdebug.ts';
import { static_alloc } from '../sim/kernel_image.ts';
import { read32 } from '../sim/memory.ts';
import { Page, PAGE_MEMDESC_OFFSET } from '../include/linux/mm_types.ts';
import {
  PageMemdesc, clear_page_memdesc, memdesc_ptr, memdesc_type, memdesc_type_has_desc, memdesc_valid,
} from '../include/linux/memdesc.ts';
import { memdesc_free } from './slab_common.ts';

/** The node's lruvec (pgdat->__lruvec); its list heads are static data. */
let node_lruvec_: Lruvec | null = null;

export function lruvec_init(): void {
  node_lruvec_ = new Lruvec(static_alloc(LRUVEC_SIZE));
  for (let lru = 0; lru < NR_LRU_LISTS; lru++) INIT_LIST_HEAD(node_lruvec_.lists(lru));
}

/** The node's lruvec (no memcg: one per node). */
export function node_lruvec(): Lruvec {
  return node_lruvec_!;
}

export function mem_cgroup_page_lruvec(_page: Page): Lruvec {
  return node_lruvec_!;
}

/** Take a page off the LRU before it goes back to the allocator. */
function __page_cache_release(page: Page): void {
  if (PageLRU(page)) {
    const lruvec = mem_cgroup_page_lruvec(page);
    ClearPageLRU(page);
    del_page_from_lru_list(page, lruvec, page_lru(page));
  }
  if (PageActive(page)) ClearPageActive(page);
}

/**
 * Stage 2: the last reference to a page that still carries a memdesc word (a folio's, whose
 * descriptor held the counts that just reached zero) is gone: the word and the mark go and the
 * descriptor goes back to its cache, so that what reaches the allocator is a plain page
 * (free_pages_prepare() refuses one still carrying a word). A large folio's word is on its head
 * only (__GFP_COMP: the tails keep their link to the head). False for a poisoned frame: it never
 * goes back (free_pages_prepare() keeps it out) and keeps its word and descriptor, as before
 * stage 2 it keeps its mapping (kpageflags still says anonymous). Dormant until a kind's pages
 * are allocated with alloc_pages_memdesc() and released by put_page(). (Not named after the word:
 * a boolean page function so named is taken for a test of it, `memdesc audit`'s guards.)
 */
function page_word_release(page: Page): boolean {
  if (!PageMemdesc(page)) return true;
  if (PageHWPoison(page)) return false;
  const md = page.memdesc;
  const type = memdesc_type(read32(page.addr + PAGE_MEMDESC_OFFSET));
  VM_BUG_ON_PAGE(!memdesc_valid(md) || !memdesc_type_has_desc(type), page, 'page_word_release: not a descriptor word');
  clear_page_memdesc(page);
  memdesc_free(type, memdesc_ptr(md));
  return true;
}

/** An order-0 page whose references are all gone goes back to the allocator (with its word, above). */
export function free_unref_page_memdesc(page: Page): void {
  if (page_word_release(page)) free_unref_page(page);
}

/** The last reference to `page` is gone: release it. */
export function __put_page(page: Page): void {
  __page_cache_release(page);
  if (!page_word_release(page)) return;
  if (PageHead(page)) free_compound_page(page);
  else free_unref_page(page);
}

/** Add a newly faulted page to the LRU (lru_cache_add; no pagevec batching). */
export function lru_cache_add(page: Page): void {
  VM_BUG_ON_PAGE(PageLRU(page), page, 'lru_cache_add: page already on the LRU');
  const lruvec = mem_cgroup_page_lruvec(page);
  SetPageLRU(page);
  add_page_to_lru_list(page, lruvec, page_lru(page));
}

/** A referenced inactive page moves to the active list (mark_page_accessed). */
export function mark_page_accessed(page: Page): void {
  if (!PageActive(page) && PageReferenced(page) && PageLRU(page)) {
    const lruvec = mem_cgroup_page_lruvec(page);
    del_page_from_lru_list(page, lruvec, page_lru(page));
    SetPageActive(page);
    add_page_to_lru_list(page, lruvec, page_lru(page));
    ClearPageReferenced(page);
  } else if (!PageReferenced(page)) {
    SetPageReferenced(page);
  }
}
