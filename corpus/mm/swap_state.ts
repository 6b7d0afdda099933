/**
 * The swap cache (mm/swap_state.c), swap I/O (mm/page_io.c) and the swap-in fault
 * (do_swap_page from mm/memory.c), registered with the fault path as its SwapOps.
 *
 * A page in the swap cache is an anonymous page that has a swap slot: PG_swapcache (an
 * alias of PG_owner_priv_1) and PG_swapbacked are set, page->private holds the swap entry
 * (set_page_private in __add_to_swap_cache), and the cache holds one reference. The cache
 * is the swap device's address_space, whose i_pages index pages by swap offset (a JS map
 * here, as the design allows for fields that no struct page word points to). NR_SWAPCACHE
 * counts its pages per zone.
 *
 * Swap I/O goes to zswap only (writeback disabled, see mm/swapfile.ts): swap_writepage()
 * stores the page compressed or asks reclaim to activate it; swap_readpage() decompresses.
 * Both are synchronous, so PG_writeback and PG_locked for I/O begin and end at once.
 */
import { Page, type VmAreaStruct, MM_ANONPAGES, MM_SWAPENTS, VM_WRITE, VM_LOCKED, VM_FAULT_OOM, VM_FAULT_SIGBUS,
  VM_FAULT_MAJOR, VM_FAULT_WRITE, FAULT_FLAG_WRITE } from '../include/linux/mm_types.ts';
import {
  page_private, set_page_private, get_page, put_page, page_mapped, page_ref_count, set_page_count, page_to_pfn, page_zone,
  pte_offset_map_lock, pte_unmap_unlock, inc_mm_counter, dec_mm_counter,
} from '../include/linux/mm.ts';
import {
  PageLocked, SetPageLocked, ClearPageLocked, PageSwapCache, SetPageSwapCache, ClearPageSwapCache, PageSwapBacked,
  SetPageSwapBacked, PageUptodate, SetPageUptodate, SetPageDirty, PageMlocked, test_bit, PG_writeback,
} from '../include/linux/page-flags.ts';
import { ZoneStat, __mod_zone_page_state } from '../include/linux/mmzone.ts';
import { VM_BUG_ON_PAGE, BUG, dump_page } from '../include/linux/mmdebug.ts';
import { GFP_HIGHUSER_MOVABLE } from '../include/linux/gfp.ts';
import {
  type swp_entry_t, swp_type, swp_offset, pte_to_swp_entry, mk_pte, pte_mkdirty, pte_mkwrite, pte_same, set_pte_at,
  update_mmu_cache, type pte_t,
} from '../arch/x86/include/asm/pgtable.ts';
import { read64 } from '../sim/memory.ts';
import { KernelBug } from '../sim/errors.ts';
import { register_initcall, InitLevel } from '../sim/initcall.ts';
import { trace_event, tracepoints_enabled } from '../sim/trace.ts';
import { register_swap_ops, alloc_page_vma, type VmFault, type SwapOps } from './memory.ts';
import { page_add_anon_rmap } from './rmap.ts';
import { lru_cache_add } from './swap.ts';
import {
  get_swap_page, put_swap_page, swapcache_prepare, swap_free, swap_duplicate, free_swap_and_cache, try_to_free_swap,
  reuse_swap_page, get_swap_device, __swp_swapcount, vm_swap_full,
} from './swapfile.ts';
import { zswap_store, zswap_load } from './zswap.ts';
import { count_vm_event } from './vmscan.ts';

/* ======================================================================================
 * The swap cache
 * ====================================================================================== */

/** struct address_space of a swap device: i_pages (offset -> page) and nrpages. */
export class SwapAddressSpace {
  readonly i_pages = new Map<number, Page>();
  nrpages = 0;
  constructor(readonly type: number) {}
}

/** swapper_spaces[type] (one address space per device here, not one per 64 MiB). */
const swapper_spaces: Array<SwapAddressSpace | null> = [];

export function swap_address_space(entry: swp_entry_t): SwapAddressSpace {
  const space = swapper_spaces[swp_type(entry)];
  if (!space) BUG(`swap_address_space: no swap device of type ${swp_type(entry)}`);
  return space;
}

export function init_swap_address_space(type: number, _nr_pages: number): void {
  swapper_spaces[type] = new SwapAddressSpace(type);
}

export function exit_swap_address_space(type: number): void {
  const space = swapper_spaces[type];
  if (space && space.nrpages) BUG(`exit_swap_address_space: ${space.nrpages} pages still cached`);
  swapper_spaces[type] = null;
}

/** swap_cache_info (show_swap_cache_info). */
export const swap_cache_info = { add_total: 0, del_total: 0, find_success: 0, find_total: 0 };

/** Pages in all swap caches (total_swapcache_pages). */
export function total_swapcache_pages(): number {
  let n = 0;
  for (const space of swapper_spaces) n += space?.nrpages ?? 0;
  return n;
}

/** The swap-cache page of `entry` with a reference taken (find_get_page on the swap address space), or null. */
export function find_get_page(entry: swp_entry_t): Page | null {
  const space = swapper_spaces[swp_type(entry)];
  const page = space?.i_pages.get(swp_offset(entry));
  if (!page) return null;
  get_page(page);
  return page;
}

/** Insert a locked, swap-backed page into the swap cache under `entry`; 0 or -errno. */
export function add_to_swap_cache(page: Page, entry: swp_entry_t, _gfp: number): number {
  VM_BUG_ON_PAGE(!PageLocked(page), page, 'add_to_swap_cache: page not locked');
  VM_BUG_ON_PAGE(PageSwapCache(page), page, 'add_to_swap_cache: page already in the swap cache');
  VM_BUG_ON_PAGE(!PageSwapBacked(page), page, 'add_to_swap_cache: page not swap-backed');
  const space = swap_address_space(entry);
  const offset = swp_offset(entry);
  if (space.i_pages.has(offset)) return -17; // -EEXIST
  get_page(page); // page_ref_add(page, nr): the cache's reference
  SetPageSwapCache(page);
  space.i_pages.set(offset, page);
  set_page_private(page, entry);
  space.nrpages++;
  __mod_zone_page_state(page_zone(page), ZoneStat.NR_SWAPCACHE, 1);
  swap_cache_info.add_total++;
  return 0;
}

/** Take a locked page out of the swap cache; the caller drops the cache's reference and the slot. */
export function __delete_from_swap_cache(page: Page, entry: swp_entry_t): void {
  VM_BUG_ON_PAGE(!PageLocked(page), page, '__delete_from_swap_cache: page not locked');
  VM_BUG_ON_PAGE(!PageSwapCache(page), page, '__delete_from_swap_cache: page not in the swap cache');
  VM_BUG_ON_PAGE(test_bit(PG_writeback, page), page, '__delete_from_swap_cache: page under writeback');
  const space = swap_address_space(entry);
  const offset = swp_offset(entry);
  if (space.i_pages.get(offset)?.addr !== page.addr) {
    VM_BUG_ON_PAGE(true, page, `__delete_from_swap_cache: i_pages[${offset}] is not this page`);
  }
  space.i_pages.delete(offset);
  set_page_private(page, 0);
  ClearPageSwapCache(page);
  space.nrpages--;
  __mod_zone_page_state(page_zone(page), ZoneStat.NR_SWAPCACHE, -1);
  swap_cache_info.del_total++;
}

/** Remove a locked page from the swap cache and free its slot; the caller still holds a reference. */
export function delete_from_swap_cache(page: Page): void {
  const entry = page_private(page);
  __delete_from_swap_cache(page, entry);
  put_swap_page(page, entry);
  // page_ref_sub(): the caller holds another reference, so this is never the last.
  VM_BUG_ON_PAGE(page_ref_count(page) <= 1, page, 'delete_from_swap_cache: dropping the last reference');
  set_page_count(page, page_ref_count(page) - 1);
}

/**
 * Give a locked, uptodate anonymous page a swap slot and put it in the swap cache (reclaim,
 * before unmapping it). True on success.
 */
export function add_to_swap(page: Page): boolean {
  VM_BUG_ON_PAGE(!PageLocked(page), page, 'add_to_swap: page not locked');
  VM_BUG_ON_PAGE(!PageUptodate(page), page, 'add_to_swap: page not uptodate');
  const entry = get_swap_page(page);
  if (!entry) return false;
  // __GFP_HIGH | __GFP_NOMEMALLOC | __GFP_NOWARN: the radix tree must not recurse into reclaim.
  if (add_to_swap_cache(page, entry, 0)) {
    put_swap_page(page, entry);
    return false;
  }
  // The page is now the only copy of its data until zswap stores it (set_page_dirty).
  SetPageDirty(page);
  return true;
}

/** The swap-cache page of `entry` with a reference, or null (lookup_swap_cache). */
export function lookup_swap_cache(entry: swp_entry_t, _vma: VmAreaStruct | null, _addr: number): Page | null {
  const si = get_swap_device(entry);
  if (!si) return null;
  const page = find_get_page(entry);
  swap_cache_info.find_total++;
  if (page) swap_cache_info.find_success++;
  return page;
}

/** trylock_page(): one CPU, so a locked page is held by a caller up the stack. */
export function trylock_page(page: Page): boolean {
  if (PageLocked(page)) return false;
  SetPageLocked(page);
  return true;
}

/** lock_page(): nothing can release a lock while we wait on one CPU. */
export function lock_page(page: Page): void {
  if (!trylock_page(page)) VM_BUG_ON_PAGE(true, page, 'lock_page: deadlock (page already locked)');
}

export function unlock_page(page: Page): void {
  VM_BUG_ON_PAGE(!PageLocked(page), page, 'unlock_page: page not locked');
  ClearPageLocked(page);
}

/** An unmapped page's swap slot is not needed if no page table references it (free_swap_cache). */
export function free_swap_cache(page: Page): void {
  if (PageSwapCache(page) && !page_mapped(page) && trylock_page(page)) {
    try_to_free_swap(page);
    unlock_page(page);
  }
}

/** Release a page and its swap cache (free_page_and_swap_cache). */
export function free_page_and_swap_cache(page: Page): void {
  free_swap_cache(page);
  put_page(page);
}

/**
 * The swap-cache page of `entry`, allocating and inserting a new one if there is none. The
 * new page comes back locked, on the LRU, with `allocated.new` set: the caller reads it in.
 * Returns the page with a reference, or null (__read_swap_cache_async).
 */
export function __read_swap_cache_async(entry: swp_entry_t, gfp: number, vma: VmAreaStruct, addr: number,
  allocated: { new: boolean }): Page | null {
  allocated.new = false;
  let page: Page | null;
  for (;;) {
    if (!get_swap_device(entry)) return null;
    page = find_get_page(entry);
    if (page) return page;
    // The entry was freed under us (its last reference went): nothing to read.
    if (!__swp_swapcount(entry)) return null;
    page = alloc_page_vma(gfp, vma, addr);
    if (!page) return null;
    const err = swapcache_prepare(entry);
    if (!err) break;
    put_page(page);
    if (err !== -17) return null; // -EEXIST: someone added it meanwhile, look again
  }
  SetPageLocked(page); // __SetPageLocked
  SetPageSwapBacked(page); // __SetPageSwapBacked
  if (add_to_swap_cache(page, entry, gfp)) {
    put_swap_page(page, entry);
    unlock_page(page);
    put_page(page);
    return null;
  }
  lru_cache_add(page);
  allocated.new = true;
  return page;
}

/** The swap-cache page of `entry`, read in if it was not cached (read_swap_cache_async). */
export function read_swap_cache_async(entry: swp_entry_t, gfp: number, vma: VmAreaStruct, addr: number): Page | null {
  const allocated = { new: false };
  const page = __read_swap_cache_async(entry, gfp, vma, addr, allocated);
  if (page && allocated.new) swap_readpage(page, true);
  return page;
}

/** Swap-in with readahead (swapin_readahead); page-cluster is 0: only the faulting entry. */
export function swapin_readahead(entry: swp_entry_t, gfp: number, vmf: VmFault): Page | null {
  return read_swap_cache_async(entry, gfp, vmf.vma, vmf.address);
}

/* ======================================================================================
 * Swap I/O (mm/page_io.c): zswap is the only backend
 * ====================================================================================== */

/** AOP_WRITEPAGE_ACTIVATE: the page could not be written; keep it and activate it. */
export const AOP_WRITEPAGE_ACTIVATE = 0x80000;

/**
 * Write a locked, dirty swap-cache page out (swap_writepage). On return the page is
 * unlocked, except with AOP_WRITEPAGE_ACTIVATE, when it stays locked and dirty.
 */
export function swap_writepage(page: Page): number {
  if (try_to_free_swap(page)) {
    // No page table references the slot any more: the data need not be written.
    unlock_page(page);
    return 0;
  }
  if (zswap_store(page)) {
    // set_page_writeback(); unlock_page(); end_page_writeback(): synchronous.
    count_vm_event('zswpout');
    unlock_page(page);
    return 0;
  }
  // No swap device behind zswap (writeback disabled): the page stays in memory.
  SetPageDirty(page);
  return AOP_WRITEPAGE_ACTIVATE;
}

/** Read a locked, new swap-cache page in from zswap and unlock it (swap_readpage). */
export function swap_readpage(page: Page, _synchronous: boolean): void {
  VM_BUG_ON_PAGE(!PageSwapCache(page), page, 'swap_readpage: page not in the swap cache');
  VM_BUG_ON_PAGE(!PageLocked(page), page, 'swap_readpage: page not locked');
  VM_BUG_ON_PAGE(PageUptodate(page), page, 'swap_readpage: page already uptodate');
  if (!zswap_load(page)) {
    throw new KernelBug(
      `swap_readpage: swap entry ${page_private(page).toString(16)} has no zswap copy and there is no swap device`,
      dump_page(page, 'swap_readpage: data lost'),
    );
  }
  count_vm_event('zswpin');
  SetPageUptodate(page);
  unlock_page(page);
}

/* ======================================================================================
 * The swap-in fault (do_swap_page, mm/memory.c)
 * ====================================================================================== */

function maybe_mkwrite(pte: pte_t, vma: VmAreaStruct): pte_t {
  return vma.vm_flags & VM_WRITE ? pte_mkwrite(pte) : pte;
}

/**
 * Fault on a PTE holding a swap entry (vmf.orig_pte; the ptl is not held): find the page in
 * the swap cache or read it in from zswap, map it, and drop the PTE's swap reference. A
 * write fault maps the page writable when nothing else references it (reuse_swap_page);
 * otherwise it is mapped read-only and the retried access breaks COW in do_wp_page().
 */
export function do_swap_page(vmf: VmFault): number {
  const vma = vmf.vma;
  const mm = vma.vm_mm;
  const entry = pte_to_swp_entry(vmf.orig_pte);
  let ret = 0;

  let page = lookup_swap_cache(entry, vma, vmf.address);
  if (!page) {
    page = swapin_readahead(entry, GFP_HIGHUSER_MOVABLE, vmf);
    if (!page) {
      // Back out if somebody else faulted in this PTE; else we are out of memory.
      vmf.pte = pte_offset_map_lock(mm, vmf.pmd, vmf.address, vmf);
      if (pte_same(read64(vmf.pte), vmf.orig_pte)) ret = VM_FAULT_OOM;
      pte_unmap_unlock(vmf.pte, vmf.ptl);
      return ret;
    }
    ret = VM_FAULT_MAJOR;
    count_vm_event('pgmajfault');
  }

  lock_page(page);
  // The page was removed from the swap cache, or its slot reused, while we looked: retry.
  if (!PageSwapCache(page) || page_private(page) !== entry) {
    unlock_page(page);
    put_page(page);
    return ret;
  }

  vmf.pte = pte_offset_map_lock(mm, vmf.pmd, vmf.address, vmf);
  if (!pte_same(read64(vmf.pte), vmf.orig_pte) || !PageUptodate(page)) {
    if (pte_same(read64(vmf.pte), vmf.orig_pte)) ret = VM_FAULT_SIGBUS;
    pte_unmap_unlock(vmf.pte, vmf.ptl);
    unlock_page(page);
    put_page(page);
    return ret;
  }

  // The reference from the lookup becomes the mapping's reference.
  inc_mm_counter(mm, MM_ANONPAGES);
  dec_mm_counter(mm, MM_SWAPENTS);
  let pte = mk_pte(page, vma.vm_page_prot);
  if ((vmf.flags & FAULT_FLAG_WRITE) && reuse_swap_page(page)) {
    pte = maybe_mkwrite(pte_mkdirty(pte), vma);
    ret |= VM_FAULT_WRITE;
  }
  set_pte_at(mm, vmf.address, vmf.pte, pte);
  vmf.orig_pte = pte;
  page_add_anon_rmap(page, vma, vmf.address, false);

  swap_free(entry);
  if (vm_swap_full() || (vma.vm_flags & VM_LOCKED) || PageMlocked(page)) try_to_free_swap(page);
  if (tracepoints_enabled) {
    trace_event('mm_swapin', `pfn=0x${page_to_pfn(page).toString(16)} swap=0x${swp_offset(entry).toString(16)} ` +
      `major=${ret & VM_FAULT_MAJOR ? 1 : 0} write=${ret & VM_FAULT_WRITE ? 1 : 0}`);
  }
  unlock_page(page);

  update_mmu_cache(vma, vmf.address, vmf.pte);
  pte_unmap_unlock(vmf.pte, vmf.ptl);
  return ret;
}

/* ======================================================================================
 * Registration with the fault path
 * ====================================================================================== */

/** The swap operations memory.ts calls (SwapOps), plus reuse_swap_page for do_wp_page(). */
export const swap_ops: SwapOps & { reuse_swap_page(page: Page): boolean } = {
  do_swap_page,
  swap_duplicate,
  free_swap_and_cache,
  free_swap_cache,
  reuse_swap_page,
};

function swap_state_init(): void {
  swapper_spaces.length = 0;
  swap_cache_info.add_total = 0;
  swap_cache_info.del_total = 0;
  swap_cache_info.find_success = 0;
  swap_cache_info.find_total = 0;
  register_swap_ops(swap_ops);
}

// CORE: the swap address spaces must be reset before swapon() (SUBSYS) creates them.
register_initcall(InitLevel.CORE, 'swap_state_init', swap_state_init);

/** show_swap_cache_info() */
export function show_swap_cache_info(): string {
  const i = swap_cache_info;
  return `Swap cache stats: add ${i.add_total}, delete ${i.del_total}, find ${i.find_success}/${i.find_total}`;
}

