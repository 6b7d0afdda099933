/**
 * Hand-labelled raw struct page accesses of the bundled corpus, checked by reading the code
 * (not copied from the analyzer). Site labels: [function, field, access, kind] per file (robust
 * to line shifts; a changed function still fails the test and must be re-read). Every
 * access in a labelled file must be here (recall) and nothing else may be reported there
 * (precision).
 *
 * Labelled so far (corpus as of commit c2c805e plus the files being written):
 *   - site by site: the buddy allocator, memmap init, LRU helpers, the generic debug / flag code,
 *     the split page-table lock helpers of include/linux/mm.ts;
 *   - whole files: mm/slub.ts (all slab) and mm/zsmalloc.ts (all zpdesc), by the Stage-0
 *     table's rule that these files use the union only for their own kind.
 * TO RE-LABEL when the corpus settles: site by site for mm/slub.ts, mm/zsmalloc.ts, and add
 * arch/x86/mm/*.ts, mm/memory.ts, mm/rmap.ts, mm/vmscan.ts, mm/zswap.ts, mm/vmalloc.ts,
 * mm/memory-failure.ts, kernel/fork.ts.
 */
/** [enclosing function, field, access, kind]; one entry per access (a function with two is listed twice). */
export type Label = [fn: string, field: string, access: string, kind: string];

export const SITE_LABELS: Record<string, Label[]> = {
  'mm/page_alloc.ts': [
    ['set_buddy_order', 'private', 'call', 'buddy'], // set_page_private(page, order)
    ['buddy_order', 'private', 'call', 'buddy'], // page_private(page)
    ['add_to_free_list', 'lru', 'reference', 'buddy'], // list_add(page.lru, free_list)
    ['add_to_free_list_tail', 'lru', 'reference', 'buddy'],
    ['move_to_free_list', 'lru', 'reference', 'buddy'],
    ['del_page_from_free_list', 'lru', 'reference', 'buddy'], // list_del(page.lru)
    ['del_page_from_free_list', 'private', 'call', 'buddy'], // set_page_private(page, 0)
    ['get_page_from_free_area', 'lru', 'reference', 'buddy'], // list_first_entry_or_null(.., Page, 'lru')
    ['page_bad_reason', 'mapping', 'read', 'buddy'], // mapping must be 0
    ['free_tail_page_prepare', 'mapping', 'read', 'buddy'],
    ['free_pages_prepare', 'mapping', 'read', 'buddy'], // if (page.mapping & FLAGS)
    ['free_pages_prepare', 'mapping', 'write', 'buddy'], // page.mapping = 0
    ['free_pcppages_bulk', 'lru', 'reference', 'buddy'], // list_last_entry(list, Page, 'lru')
    ['free_pcppages_bulk', 'private', 'call', 'buddy'], // page_private(page): a pcp page's order
    ['free_pcppages_bulk', 'lru', 'reference', 'buddy'], // list_del(page.lru)
    ['free_pcppages_bulk', 'private', 'call', 'buddy'], // set_page_private(page, 0)
    ['free_unref_page_commit', 'private', 'call', 'buddy'],
    ['free_unref_page_commit', 'lru', 'reference', 'buddy'],
    ['rmqueue_bulk', 'private', 'call', 'buddy'],
    ['rmqueue_bulk', 'lru', 'reference', 'buddy'],
    ['rmqueue_pcplist', 'lru', 'reference', 'buddy'], // list_first_entry_or_null(list, Page, 'lru') x2
    ['rmqueue_pcplist', 'lru', 'reference', 'buddy'],
    ['rmqueue_pcplist', 'lru', 'reference', 'buddy'], // list_del(page.lru)
    ['prep_new_page', 'private', 'call', 'buddy'], // set_page_private(page, 0)
    ['free_blocks', 'lru', 'reference', 'buddy'], // list_for_each_entry(free_list, Page, 'lru')
  ],
  'mm/mm_init.ts': [
    ['__init_single_page', 'lru', 'reference', 'buddy'], // INIT_LIST_HEAD(page.lru)
  ],
  'include/linux/mm_inline.ts': [
    ['add_page_to_lru_list', 'lru', 'reference', 'folio'],
    ['add_page_to_lru_list_tail', 'lru', 'reference', 'folio'],
    ['del_page_from_lru_list', 'lru', 'reference', 'folio'],
  ],
  'include/linux/mmdebug.ts': [
    ['dump_page', 'mapping', 'read', 'unknown'], // generic, no type test
    ['dump_page', 'index', 'read', 'unknown'],
  ],
  'include/linux/page-flags.ts': [
    ['PageAnon', 'mapping', 'read', 'folio'], // the anon test itself
    ['__PageMovable', 'mapping', 'read', 'unknown'], // generic movable-ops test
  ],
  'include/linux/mm.ts': [
    ['ptlock_init', 'private', 'read', 'ptdesc'], // page->ptl must be 0
    ['ptlock_init', 'private', 'call', 'ptdesc'], // ptlock_ptr(page)
    ['pte_lockptr', 'private', 'call', 'ptdesc'], // ptlock_ptr(pmd_page(..))
    ['pmd_lockptr', 'private', 'call', 'ptdesc'],
  ],
};

/** Files whose every access belongs to one kind (to be re-labelled site by site). */
export const FILE_LABELS: Record<string, string> = {
  'mm/slub.ts': 'slab',
  'mm/zsmalloc.ts': 'zpdesc',
};

/** DESIGN.md's Stage-0 table: which raw fields each kind keeps something in. */
export const STAGE0_FIELDS: Record<string, string[]> = {
  buddy: ['lru', 'mapping', 'private'],
  slab: ['lru', 'mapping', 'index', 'private'],
  ptdesc: ['lru', 'index', 'private'],
  zpdesc: ['mapping', 'index', 'private', 'page_type'],
  vmalloc: ['private'],
  folio: ['lru', 'mapping', 'index', 'private'],
};
