/**
 * Hand-labelled raw struct page accesses of the whole bundled corpus (corpus/), one entry per
 * access site, decided by reading the code against the Stage-0 table (docs/contracts.md), not
 * copied from the analyzer. Sites are [enclosing function, raw field, access, kind] per file: robust to line
 * shifts; a function with two identical accesses is listed twice; a changed function fails the
 * test and must be re-read.
 *
 * How each kind was decided (the union word's meaning at that site):
 *   buddy   mm/page_alloc.ts: free_area and per-cpu lists through page.lru. The order of a
 *           free block is in the flags word (the memdesc infrastructure, page_free_order()), not in
 *           page.private as in v5.10: the spec and docs/contracts.md still describe Linux's
 *           private, so STAGE0_FIELDS keeps it and CORPUS_ELSEWHERE says the corpus does not.
 *           Not buddy: memmap init's INIT_LIST_HEAD(page.lru) in __init_single_page (mm/mm_init.ts),
 *           which runs on every struct page, reserved ones included ("unknown" below). Not buddy: the free-time check that
 *           page.mapping is 0 and its clearing (page_bad_reason, free_tail_page_prepare,
 *           free_pages_prepare) run on pages of every kind before they become buddy pages:
 *           generic code (the spec's page.generic names the free-time checks), "unknown" below.
 *   slab    mm/slub.ts: node partial/full lists, kmem_cache in mapping, freelist in index, the
 *           inuse/objects/frozen counters in private. mm/slab_common.ts has no raw access (it
 *           reaches pages only through slub.ts and page_address()).
 *   ptdesc  arch/x86/mm: pgd_list through page.lru, the owning mm in a pgd page's index;
 *           include/linux/mm.ts and mm/memory.ts: the split PTL pointer in private (ptlock_*,
 *           pte_lockptr/pmd_lockptr, the PTE-table walk of count_user_pgtables).
 *   zpdesc  mm/zsmalloc.ts: zspage in private, next page / huge handle in index, movable-ops tag
 *           in mapping, first_obj_offset in the low 24 bits of page_type.
 *   vmalloc mm/vmalloc.ts: the owning vm_struct in private (find_vm_area_of_page only trusts the
 *           word after finding the page in a vm_struct's pages array).
 *   folio   rmap/vmscan/swap/zswap and the LRU helpers: LRU lists, anon_vma | PAGE_MAPPING_ANON
 *           in mapping, the linear index, the swap entry in private (swap cache). The fault path
 *           of mm/memory.ts reaches these fields only through rmap and swap_state. PageAnon()
 *           reads a folio's mapping (its anon bit is the folio test itself).
 *   generic mm/memory-failure.ts decides by its type tests: head.mapping under PageSlab(head) is
 *           slab, page_private(p) under PageZsmalloc(p) is zpdesc; its pgd_list walks are ptdesc.
 *           fs/proc/page.ts has no raw access (type tests only).
 *   unknown memmap init's INIT_LIST_HEAD(page.lru). dump_page(), __PageMovable() and the
 *           free-time checks read a page's mapping, index, private and memcg_data through the
 *           layout (page_own_word(), Page.OWN_WORDS; only on pages without a memdesc word), never
 *           by member: no raw access.
 *
 * Not findings, by design (listed below so that every raw access of the corpus is accounted for):
 *   - wrapper bodies (WRAPPER_DEFS): the access inside page_private() & co. is the wrapper's
 *     definition; its call sites are the findings (access "call"); a wrapper-shaped function
 *     with no caller is no wrapper, its access is a finding (slab_freelist);
 *   - page_type outside zsmalloc code (page_has_type, page_type_is, __set_page_type,
 *     __clear_page_type, dump_page): the PGTY_* byte itself, which stays in struct page; the
 *     spec tracks page_type only in code of kinds that keep data in it (zpdesc's low 24 bits).
 */
/** [enclosing function, field, access, kind]; one entry per access (a function with two is listed twice). */
export type Label = [fn: string, field: string, access: string, kind: string];

/** Every raw struct page access of the corpus, file by file (files not listed have none). */
export const SITE_LABELS: Record<string, Label[]> = {
  'mm/page_alloc.ts': [
    ['add_to_free_list', 'lru', 'reference', 'buddy'], // list_add(page.lru, area.free_list(migratetype));
    ['add_to_free_list_tail', 'lru', 'reference', 'buddy'], // list_add_tail(page.lru, area.free_list(migratetype));
    ['move_to_free_list', 'lru', 'reference', 'buddy'], // list_move(page.lru, area.free_list(migratetype));
    ['del_page_from_free_list', 'lru', 'reference', 'buddy'], // list_del(page.lru);
    ['get_page_from_free_area', 'lru', 'reference', 'buddy'], // return list_first_entry_or_null(zone_free_area(zone, order).free_list(migratetyp
    ['free_pcppages_bulk', 'lru', 'reference', 'buddy'], // const page = list_last_entry(list, Page, 'lru');
    ['free_pcppages_bulk', 'lru', 'reference', 'buddy'], // list_del(page.lru);
    ['free_unref_page_commit', 'lru', 'reference', 'buddy'], // list_add(page.lru, pcp_list(pcp, order_to_pindex(migratetype, order)));
    ['rmqueue_bulk', 'lru', 'reference', 'buddy'], // list_add_tail(page.lru, list);
    ['rmqueue_pcplist', 'lru', 'reference', 'buddy'], // let page = list_first_entry_or_null(list, Page, 'lru');
    ['rmqueue_pcplist', 'lru', 'reference', 'buddy'], // page = list_first_entry_or_null(list, Page, 'lru');
    ['rmqueue_pcplist', 'lru', 'reference', 'buddy'], // list_del(page.lru);
    ['free_blocks', 'lru', 'reference', 'buddy'], // for (const page of list_for_each_entry(zone_free_area(zone, order).free_list(mt)
  ],
  'mm/mm_init.ts': [
    // Not buddy: it initialises every struct page of the memmap, reserved pages that never reach
    // the allocator included (memmap_init walks every pfn), so its INIT_LIST_HEAD(page.lru) is no
    // kind's word; mm/mm_init.ts is no longer a buddy owner file in the spec.
    ['__init_single_page', 'lru', 'reference', 'unknown'], // INIT_LIST_HEAD(page.lru);
  ],
  'mm/slub.ts': [
    // No caller: a one-line function nobody calls is no wrapper, so its access is a finding
    // (it used to be taken for a wrapper and reported nowhere). page.index of a slab page is its freelist.
    ['slab_freelist', 'index', 'read', 'slab'], // return page.index;
    ['slab_inuse', 'private', 'read', 'slab'], // return counters_inuse(page.private);
    ['slab_objects', 'private', 'read', 'slab'], // return counters_objects(page.private);
    ['slab_frozen', 'private', 'read', 'slab'], // return counters_frozen(page.private);
    ['set_slab_inuse', 'private', 'read', 'slab'], // const c = page.private;
    ['set_slab_inuse', 'private', 'write', 'slab'], // page.private = slab_counters(inuse, counters_objects(c), counters_frozen(c));
    ['set_slab_objects', 'private', 'read', 'slab'], // const c = page.private;
    ['set_slab_objects', 'private', 'write', 'slab'], // page.private = slab_counters(counters_inuse(c), objects, counters_frozen(c));
    ['set_slab_frozen', 'private', 'read', 'slab'], // const c = page.private;
    ['set_slab_frozen', 'private', 'write', 'slab'], // page.private = slab_counters(counters_inuse(c), counters_objects(c), frozen);
    ['check_valid_pointer', 'private', 'read', 'slab'], // return !(p < base || p >= base + counters_objects(page.private) * s.size || (p -
    ['object_err', 'index', 'read', 'slab'], // `used=${slab_inuse(page)} fp=${formatKernelAddress(page.index)}\n` +
    ['check_slab', 'private', 'read', 'slab'], // const counters = page.private;
    ['on_freelist', 'index', 'read', 'slab'], // let fp = page.index;
    ['free_debug_processing', 'mapping', 'read', 'slab'], // if (page.mapping !== s.addr) object_err(s, page, object, 'page slab pointer corr
    ['__add_partial', 'lru', 'reference', 'slab'], // if (tail === DEACTIVATE_TO_TAIL) list_add_tail(page.lru, n.partial);
    ['__add_partial', 'lru', 'reference', 'slab'], // else list_add(page.lru, n.partial);
    ['remove_partial', 'lru', 'reference', 'slab'], // list_del(page.lru);
    ['allocate_slab', 'mapping', 'write', 'slab'], // page.mapping = s.addr;
    ['allocate_slab', 'index', 'write', 'slab'], // page.index = p;
    ['allocate_slab', 'private', 'write', 'slab'], // page.private = slab_counters(objects, objects, 1);
    ['__free_slab', 'mapping', 'write', 'slab'], // page.mapping = 0;
    ['__free_slab', 'index', 'write', 'slab'], // page.index = 0;
    ['__free_slab', 'private', 'write', 'slab'], // page.private = 0;
    ['set_cpu_slab', 'private', 'read', 'slab'], // s.cpu_end = s.cpu_base + counters_objects(page.private) * s.size;
    ['acquire_slab', 'index', 'read', 'slab'], // const freelist = page.index;
    ['acquire_slab', 'private', 'read', 'slab'], // const counters = page.private;
    ['acquire_slab', 'index', 'write', 'slab'], // page.index = 0;
    ['acquire_slab', 'private', 'write', 'slab'], // page.private = slab_counters(objects, objects, 1);
    ['get_partial_node', 'lru', 'reference', 'slab'], // const page = list_first_entry(n.partial, Page, 'lru');
    ['deactivate_slab', 'index', 'read', 'slab'], // if (page.index !== 0) tail = DEACTIVATE_TO_TAIL;
    ['deactivate_slab', 'index', 'read', 'slab'], // const prior = page.index;
    ['deactivate_slab', 'private', 'read', 'slab'], // const counters = page.private;
    ['deactivate_slab', 'index', 'write', 'slab'], // page.index = freelist;
    ['deactivate_slab', 'private', 'write', 'slab'], // page.private = slab_counters(counters_inuse(counters) - 1, counters_objects(coun
    ['deactivate_slab', 'index', 'read', 'slab'], // const old_freelist = page.index;
    ['deactivate_slab', 'private', 'read', 'slab'], // const old_counters = page.private;
    ['deactivate_slab', 'index', 'write', 'slab'], // page.index = new_freelist;
    ['deactivate_slab', 'private', 'write', 'slab'], // page.private = slab_counters(inuse, counters_objects(old_counters), 0);
    ['get_freelist', 'index', 'read', 'slab'], // const freelist = page.index;
    ['get_freelist', 'private', 'read', 'slab'], // const counters = page.private;
    ['get_freelist', 'index', 'write', 'slab'], // page.index = 0;
    ['get_freelist', 'private', 'write', 'slab'], // page.private = slab_counters(objects, objects, freelist !== 0 ? 1 : 0);
    ['new_slab_objects', 'index', 'read', 'slab'], // freelist = page.index;
    ['new_slab_objects', 'index', 'write', 'slab'], // page.index = 0;
    ['__slab_free', 'index', 'read', 'slab'], // const prior = page.index;
    ['__slab_free', 'private', 'read', 'slab'], // const counters = page.private;
    ['__slab_free', 'index', 'write', 'slab'], // page.index = object;
    ['__slab_free', 'private', 'write', 'slab'], // page.private = slab_counters(inuse, counters_objects(counters), was_frozen);
    ['cache_from_obj', 'mapping', 'read', 'slab'], // if (page.mapping !== s.addr) {
    ['cache_from_obj', 'mapping', 'read', 'slab'], // const from = kmem_cache_find(page.mapping);
    ['cache_from_obj', 'mapping', 'read', 'slab'], // throw new KernelBug(`WARNING: cache_from_obj: Wrong slab cache. ${s.name} but ob
    ['kfree', 'mapping', 'read', 'slab'], // slab_free(kmem_cache_from_addr(page.mapping), page, x);
    ['ksize', 'mapping', 'read', 'slab'], // return slab_ksize(kmem_cache_from_addr(page.mapping));
    ['early_kmem_cache_node_alloc', 'index', 'read', 'slab'], // const obj = page.index;
    ['early_kmem_cache_node_alloc', 'index', 'write', 'slab'], // page.index = get_freepointer(cache, obj);
    ['early_kmem_cache_node_alloc', 'private', 'write', 'slab'], // page.private = slab_counters(1, slab_objects(page), 0);
    ['free_partial', 'lru', 'reference', 'slab'], // for (const page of list_for_each_entry(n.partial, Page, 'lru')) {
    ['__kmem_cache_shrink', 'lru', 'reference', 'slab'], // for (const page of list_for_each_entry(n.partial, Page, 'lru')) {
    ['get_slabinfo', 'lru', 'reference', 'slab'], // for (const page of list_for_each_entry(n.partial, Page, 'lru')) {
    ['bootstrap', 'lru', 'reference', 'slab'], // for (const page of list_for_each_entry(n.partial, Page, 'lru')) page.mapping = s
    ['bootstrap', 'mapping', 'write', 'slab'], // for (const page of list_for_each_entry(n.partial, Page, 'lru')) page.mapping = s
    ['bootstrap', 'lru', 'reference', 'slab'], // for (const page of list_for_each_entry(n.full, Page, 'lru')) page.mapping = s.ad
    ['bootstrap', 'mapping', 'write', 'slab'], // for (const page of list_for_each_entry(n.full, Page, 'lru')) page.mapping = s.ad
  ],
  'arch/x86/mm/init_64.ts': [
    ['sync_global_pgds', 'lru', 'reference', 'ptdesc'], // for (const page of list_for_each_entry(pgd_list, Page, 'lru')) {
  ],
  'arch/x86/mm/pgtable.ts': [
    ['pgd_list_add', 'lru', 'reference', 'ptdesc'], // list_add(page.lru, pgd_list);
    ['pgd_list_del', 'lru', 'reference', 'ptdesc'], // list_del(page.lru);
    ['pgd_set_mm', 'index', 'write', 'ptdesc'], // virt_to_page(pgd).index = mm.addr;
    ['pgd_page_get_mm', 'index', 'read', 'ptdesc'], // return mm_structs.get(page.index);
  ],
  'include/linux/mm.ts': [
    ['ptlock_init', 'private', 'read', 'ptdesc'], // VM_BUG_ON_PAGE(page.private !== 0, page, 'ptlock_init: page->ptl already set');
    ['ptlock_init', 'private', 'call', 'ptdesc'], // spin_lock_init(ptlock_ptr(page));
    ['pte_lockptr', 'private', 'call', 'ptdesc'], // return ptlock_ptr(pmd_page(read64(pmd)));
    ['pmd_lockptr', 'private', 'call', 'ptdesc'], // return ptlock_ptr(pmd_to_page(pmd));
  ],
  'mm/memory.ts': [
    ['ptlock_alloc', 'private', 'write', 'ptdesc'], // page.private = ptl;
    ['ptlock_free', 'private', 'read', 'ptdesc'], // kmem_cache_free(page_ptl_cachep!, page.private);
    ['count_user_pgtables', 'private', 'call', 'ptdesc'], // if (!ptlock_ptr(page)) BUG('user PTE table without a split lock');
  ],
  'mm/zsmalloc.ts': [
    ['get_first_obj_offset', 'page_type', 'read', 'zpdesc'], // return page.page_type & FIRST_OBJ_PAGE_TYPE_MASK;
    ['set_first_obj_offset', 'page_type', 'write', 'zpdesc'], // page.page_type = ((page.page_type & ~FIRST_OBJ_PAGE_TYPE_MASK) | (offset & FIRST
    ['set_first_obj_offset', 'page_type', 'read', 'zpdesc'], // page.page_type = ((page.page_type & ~FIRST_OBJ_PAGE_TYPE_MASK) | (offset & FIRST
    ['get_zspage', 'private', 'call', 'zpdesc'], // const zspage = zspages.find(page_private(page));
    ['zspage_next_page', 'index', 'read', 'zpdesc'], // const next = page.index;
    ['obj_allocated', 'index', 'read', 'zpdesc'], // handle = page.index;
    ['__SetPageMovable', 'mapping', 'write', 'zpdesc'], // page.mapping = mops + PAGE_MAPPING_MOVABLE;
    ['reset_page', 'mapping', 'write', 'zpdesc'], // page.mapping = 0; // __ClearPageMovable
    ['reset_page', 'private', 'call', 'zpdesc'], // set_page_private(page, 0);
    ['reset_page', 'index', 'write', 'zpdesc'], // page.index = 0;
    ['__free_zspage', 'private', 'read', 'zpdesc'], // VM_BUG_ON_PAGE(page.private !== zspage.addr, page, '__free_zspage: page of anoth
    ['create_page_chain', 'private', 'call', 'zpdesc'], // set_page_private(page, zspage.addr);
    ['create_page_chain', 'index', 'write', 'zpdesc'], // page.index = 0;
    ['create_page_chain', 'index', 'write', 'zpdesc'], // prev_page!.index = page.addr;
    ['obj_malloc', 'index', 'write', 'zpdesc'], // zspage.first_page!.index = tagged;
    ['obj_free', 'index', 'write', 'zpdesc'], // else f_page.index = 0;
    ['zs_free', 'index', 'read', 'zpdesc'], // const tag = zspage.huge ? f_page.index : read64(page_address(f_page) + ((cls.siz
    ['replace_sub_page', 'index', 'write', 'zpdesc'], // if (zspage.huge) newpage.index = oldpage.index;
    ['replace_sub_page', 'index', 'read', 'zpdesc'], // if (zspage.huge) newpage.index = oldpage.index;
  ],
  'mm/vmalloc.ts': [
    ['__vunmap', 'private', 'read', 'vmalloc'], // VM_BUG_ON_PAGE(page.private !== area.ptr, page, 'vmalloc page not owned by its v
    ['__vunmap', 'private', 'write', 'vmalloc'], // page.private = 0;
    ['__vmalloc_area_node', 'private', 'write', 'vmalloc'], // page.private = area.ptr;
    ['find_vm_area_of_page', 'private', 'read', 'vmalloc'], // if (page.private !== v.ptr) BUG(`vmalloc page of ${v.caller} does not point back
  ],
  'mm/rmap.ts': [
    ['page_anon_vma', 'mapping', 'read', 'folio'], // const mapping = page.mapping;
    ['__page_set_anon_rmap', 'mapping', 'write', 'folio'], // page.mapping = anon_vma.addr + PAGE_MAPPING_ANON;
    ['__page_set_anon_rmap', 'index', 'write', 'folio'], // page.index = linear_page_index(vma, address);
    ['__page_check_anon_rmap', 'index', 'read', 'folio'], // VM_BUG_ON_PAGE(page.index !== linear_page_index(vma, address), page, 'page_add_a
    ['page_move_anon_rmap', 'mapping', 'write', 'folio'], // page.mapping = anon_vma.addr + PAGE_MAPPING_ANON;
    ['vma_address', 'index', 'read', 'folio'], // const address = vma.vm_start + (page.index - vma.vm_pgoff) * PAGE_SIZE;
    ['rmap_walk', 'index', 'read', 'folio'], // const pgoff = page.index;
    ['page_referenced', 'mapping', 'read', 'folio'], // if (!page.mapping) return 0;
    ['try_to_unmap_one', 'private', 'read', 'folio'], // const entry = page.private;
  ],
  'mm/vmscan.ts': [
    ['lru_to_page', 'lru', 'reference', 'folio'], // return list_last_entry(head, Page, 'lru');
    ['isolate_lru_pages', 'lru', 'reference', 'folio'], // list_move(page.lru, src); // busy: rotate to the head
    ['isolate_lru_pages', 'lru', 'reference', 'folio'], // list_add(page.lru, dst);
    ['free_unref_page_list', 'lru', 'reference', 'folio'], // const page = list_first_entry(list, Page, 'lru');
    ['free_unref_page_list', 'lru', 'reference', 'folio'], // list_del(page.lru);
    ['move_pages_to_lru', 'lru', 'reference', 'folio'], // list_del(page.lru);
    ['__remove_mapping', 'private', 'call', 'folio'], // const swap = page_private(page);
    ['shrink_one_page', 'private', 'call', 'folio'], // const swap = page_private(page);
    ['shrink_page_list', 'lru', 'reference', 'folio'], // list_del(page.lru);
    ['shrink_page_list', 'lru', 'reference', 'folio'], // list_add(page.lru, free_pages);
    ['shrink_page_list', 'lru', 'reference', 'folio'], // list_add(page.lru, ret_pages);
    ['shrink_active_list', 'lru', 'reference', 'folio'], // list_del(page.lru);
    ['shrink_active_list', 'lru', 'reference', 'folio'], // list_add(page.lru, l_active);
    ['shrink_active_list', 'lru', 'reference', 'folio'], // list_add(page.lru, l_inactive);
  ],
  'mm/swap_state.ts': [
    ['add_to_swap_cache', 'private', 'call', 'folio'], // set_page_private(page, entry);
    ['__delete_from_swap_cache', 'private', 'call', 'folio'], // set_page_private(page, 0);
    ['delete_from_swap_cache', 'private', 'call', 'folio'], // const entry = page_private(page);
    ['swap_readpage', 'private', 'call', 'folio'], // `swap_readpage: swap entry ${page_private(page).toString(16)} has no zswap copy 
    ['do_swap_page', 'private', 'call', 'folio'], // if (!PageSwapCache(page) || page_private(page) !== entry) {
  ],
  'mm/swapfile.ts': [
    ['page_swapcount', 'private', 'call', 'folio'], // const entry = page_private(page);
  ],
  'mm/zswap.ts': [
    ['zswap_store', 'private', 'call', 'folio'], // const swp: swp_entry_t = page_private(page);
    ['zswap_load', 'private', 'call', 'folio'], // const swp: swp_entry_t = page_private(page);
  ],
  'include/linux/mm_inline.ts': [
    ['add_page_to_lru_list', 'lru', 'reference', 'folio'], // list_add(page.lru, lruvec.lists(lru));
    ['add_page_to_lru_list_tail', 'lru', 'reference', 'folio'], // list_add_tail(page.lru, lruvec.lists(lru));
    ['del_page_from_lru_list', 'lru', 'reference', 'folio'], // list_del(page.lru);
  ],
  'mm/memory-failure.ts': [
    ['pgd_page_owner', 'lru', 'reference', 'ptdesc'], // for (const pgd of list_for_each_entry(pgd_list, Page, 'lru')) {
    ['pgtable_owner', 'lru', 'reference', 'ptdesc'], // for (const pgd of list_for_each_entry(pgd_list, Page, 'lru')) {
    ['memory_failure', 'mapping', 'read', 'slab'], // const cache = kmem_cache_from_addr(head.mapping);
    ['memory_failure', 'private', 'call', 'zpdesc'], // const zspage = zs_zspage(page_private(p));
  ],
  'include/linux/page-flags.ts': [
    ['PageAnon', 'mapping', 'read', 'folio'], // return (compound_head(page).mapping & PAGE_MAPPING_ANON) !== 0;
  ],
};

/** Wrapper definitions: [file, function, field, access]. (slab_freelist() has no caller: no wrapper, a finding.) */
export const WRAPPER_DEFS: Array<[file: string, fn: string, field: string, access: string]> = [
  ['include/linux/mm.ts', 'page_private', 'private', 'read'],
  ['include/linux/mm.ts', 'set_page_private', 'private', 'write'],
  ['include/linux/mm.ts', 'ptlock_ptr', 'private', 'read'],
];

/**
 * The corpus golden: findings per kind x raw field (the sum of SITE_LABELS, kept as a literal so
 * that a label edit and an analyzer change cannot drift together unnoticed).
 */
export const GOLDEN_COUNTS: Record<string, Record<string, number>> = {
  buddy: { lru: 13 },
  slab: { lru: 9, mapping: 11, index: 20, private: 25 },
  ptdesc: { lru: 5, index: 2, private: 7 },
  zpdesc: { mapping: 2, index: 10, private: 5, page_type: 3 },
  vmalloc: { private: 4 },
  folio: { lru: 15, mapping: 5, index: 4, private: 11 },
  unknown: { lru: 1 },
};

/**
 * How the corpus' kinds are decided (summary.byConfidence): most still by the spec's owner lists
 * (issue 13 moves them to code evidence slice by slice; this golden shows the progress).
 */
export const GOLDEN_CONFIDENCE = { guard: 17, provenance: 46, callgraph: 83, 'owner-hint': 5, unknown: 1 };

/** Stage-0 fields the corpus keeps elsewhere (its memdesc infrastructure): buddy's order is in the flags word. */
export const CORPUS_ELSEWHERE: Record<string, string[]> = { buddy: ['private'] };

/** The Stage-0 table (docs/contracts.md, checked by test/model/stage0-doc.test.ts): which raw fields each kind keeps something in. */
export const STAGE0_FIELDS: Record<string, string[]> = {
  // "mapping must be 0" is checked by the generic free-time code, not kept by buddy
  buddy: ['lru', 'private'],
  slab: ['lru', 'mapping', 'index', 'private'],
  ptdesc: ['lru', 'index', 'private'],
  zpdesc: ['mapping', 'index', 'private', 'page_type'],
  vmalloc: ['private'],
  folio: ['lru', 'mapping', 'index', 'private'],
};

/**
 * Corpus types with members named like struct page fields or descriptor fields (the finder's
 * names): none of their accesses may be reported. The test finds every such access by type and
 * checks that these owners are among them (so the check keeps meaning something).
 */
export const NON_PAGE_OWNERS = [
  'SizeClass.index', 'ZsClassInfo.index', 'ListHead.next', 'ListHead.prev', 'ZsListHead.next', 'VmStruct.pages',
  'VmapArea.vm', 'VmFault.ptl', 'KmemCache.order', 'Block.order', 'SwapInfoStruct.pages',
];
