/**
 * Page reclaim (mm/vmscan.c), for anonymous memory: the LRU lists of the node's lruvec,
 * aging with page_referenced(), and swap-out into zswap.
 *
 * Anonymous pages enter the inactive anon list when they are faulted in (lru_cache_add),
 * threaded through page->lru. Reclaim isolates pages from the tail of a list onto a local
 * list (its list_head in static data: the kernel's on-stack LIST_HEAD), then:
 *   - shrink_active_list() ages the active list: every page goes to the inactive list,
 *     its young bits cleared through the rmap (page_referenced(): page->mapping is the
 *     anon_vma, page->index the linear page index);
 *   - shrink_page_list() decides per inactive page: referenced pages are kept or activated
 *     (PG_referenced gives them a second round), cold ones get a swap slot and enter the
 *     swap cache (add_to_swap: PG_swapcache, page->private = the swap entry), are unmapped
 *     from every PTE (try_to_unmap: each PTE becomes the swap entry, rss counters move from
 *     MM_ANONPAGES to MM_SWAPENTS), are written to zswap (pageout -> swap_writepage), then
 *     leave the swap cache and are freed (__remove_mapping). A page zswap rejects is
 *     activated and stays in memory.
 *
 * Triggers: the page allocator's slow path calls try_to_free_pages() (direct reclaim,
 * registered with set_direct_reclaim() at boot); workloads call wakeup_kswapd() (kswapd's
 * balance_pgdat() up to the high watermark, run to completion: one CPU) or
 * shrink_node_anon(n) (proactive reclaim of n pages, like memory.reclaim).
 *
 * Reclaim allocates (zswap entries, zsmalloc pages). The kernel sets PF_MEMALLOC on the
 * reclaiming task so that those allocations use the reserves and never recurse into reclaim;
 * here `current_reclaim` plays that role for recursion, and zswap allocates with __GFP_HIGH.
 *
 * Simplifications: one node and one lruvec (no memcg), no file LRU, no unevictable/mlock
 * handling beyond the checks, no workingset shadow entries, no writeback throttling.
 */
import { Page, VM_LOCKED, VM_EXEC } from '../include/linux/mm_types.ts';
import {
  get_page, put_page_testzero, page_ref_count, set_page_count, page_mapped, page_private, page_to_pfn,
} from '../include/linux/mm.ts';
import {
  PageLRU, SetPageLRU, ClearPageLRU, PageActive, SetPageActive, ClearPageActive, PageReferenced, SetPageReferenced,
  ClearPageReferenced, SetPageWorkingset, PageSwapBacked, PageSwapCache, PageAnon, PageDirty, ClearPageDirty,
  PageUnevictable, PageMlocked, test_bit, set_bit, clear_bit, PG_reclaim, PG_writeback,
} from '../include/linux/page-flags.ts';
import {
  ListHead, LIST_HEAD_SIZE, INIT_LIST_HEAD, list_add, list_del, list_empty, list_last_entry, list_first_entry,
  list_move, list_move_tail,
} from '../include/linux/list.ts';
import {
  type Lruvec, type Zone, LRU_INACTIVE_ANON, LRU_ACTIVE_ANON, ZoneStat, zone_page_state,
} from '../include/linux/mmzone.ts';
import { add_page_to_lru_list, del_page_from_lru_list, page_lru } from '../include/linux/mm_inline.ts';
import { VM_BUG_ON_PAGE } from '../include/linux/mmdebug.ts';
import { GFP_KERNEL, __GFP_IO, __GFP_FS, format_gfp } from '../include/linux/gfp.ts';
import { PAGE_SHIFT } from '../arch/x86/include/asm/page_64_types.ts';
import { swp_type, swp_offset } from '../arch/x86/include/asm/pgtable.ts';
import { static_alloc } from '../sim/kernel_image.ts';
import { register_initcall, InitLevel } from '../sim/initcall.ts';
import { register_report } from '../sim/reports.ts';
import { trace_event, tracepoints_enabled } from '../sim/trace.ts';
import { contig_page_data, set_direct_reclaim } from './page_alloc.ts';
import { page_referenced, try_to_unmap, TTU_BATCH_FLUSH } from './rmap.ts';
import { node_lruvec, free_unref_page_memdesc } from './swap.ts';
import {
  add_to_swap, __delete_from_swap_cache, swap_writepage, trylock_page, unlock_page, AOP_WRITEPAGE_ACTIVATE,
  show_swap_cache_info,
} from './swap_state.ts';
import { put_swap_page, try_to_free_swap, vm_swap_full, get_nr_swap_pages, total_swap_pages } from './swapfile.ts';
import { zswap_entry_length } from './zswap.ts';

export const SWAP_CLUSTER_MAX = 32;
export const DEF_PRIORITY = 12;

/* ======================================================================================
 * vm events (the reclaim and swap lines of /proc/vmstat)
 * ====================================================================================== */

export const vm_events = {
  pgactivate: 0,
  pgdeactivate: 0,
  pgrefill: 0,
  pgscan_kswapd: 0,
  pgscan_direct: 0,
  pgscan_anon: 0,
  pgsteal_kswapd: 0,
  pgsteal_direct: 0,
  pgsteal_anon: 0,
  pgmajfault: 0,
  pswpin: 0,
  pswpout: 0,
  zswpin: 0,
  zswpout: 0,
  pageoutrun: 0,
  allocstall_normal: 0,
};

export type VmEvent = keyof typeof vm_events;

export function count_vm_events(item: VmEvent, delta: number): void {
  vm_events[item] += delta;
}

export function count_vm_event(item: VmEvent): void {
  vm_events[item]++;
}

/* ======================================================================================
 * struct scan_control
 * ====================================================================================== */

const DEACTIVATE_ANON = 1;

export class ScanControl {
  /** How many pages shrink_list() should reclaim. */
  nr_to_reclaim = SWAP_CLUSTER_MAX;
  gfp_mask = GFP_KERNEL;
  order = 0;
  /** Scan (total_size >> priority) pages at once. */
  priority = DEF_PRIORITY;
  may_writepage = true;
  may_unmap = true;
  may_swap = true;
  /** Can active pages be deactivated as part of reclaim? */
  may_deactivate = 0;
  force_deactivate = false;
  skipped_deactivate = false;
  /** Incremented by the number of inactive pages that were scanned. */
  nr_scanned = 0;
  /** Number of pages freed so far during a call to shrink_zones(). */
  nr_reclaimed = 0;
}

/** struct reclaim_stat (per shrink_page_list call). */
class ReclaimStat {
  nr_dirty = 0;
  nr_congested = 0;
  nr_writeback = 0;
  nr_immediate = 0;
  nr_pageout = 0;
  nr_activate = 0;
  nr_ref_keep = 0;
  nr_unmap_fail = 0;
}

/** Who is reclaiming (PF_MEMALLOC on `current`, and current_is_kswapd()). */
let current_reclaim: 'kswapd' | 'direct' | null = null;

/** pgdat->kswapd_failures: balance_pgdat() runs in a row that reclaimed nothing. */
let kswapd_failures = 0;

/** memory_reclaim() and kswapd give up after this many rounds that reclaimed nothing. */
export const MAX_RECLAIM_RETRIES = 16;

function current_is_kswapd(): boolean {
  return current_reclaim === 'kswapd';
}

/** The local list heads (LIST_HEAD on the kernel stack), in static data. */
interface ReclaimLists {
  page_list: ListHead;
  l_hold: ListHead;
  l_active: ListHead;
  l_inactive: ListHead;
  ret_pages: ListHead;
  free_pages: ListHead;
}
let lists: ReclaimLists | null = null;

function local_list(): ReclaimLists {
  if (!lists) {
    const base = static_alloc(6 * LIST_HEAD_SIZE);
    const head = (i: number) => new ListHead(base + i * LIST_HEAD_SIZE);
    lists = {
      page_list: head(0), l_hold: head(1), l_active: head(2), l_inactive: head(3), ret_pages: head(4),
      free_pages: head(5),
    };
  }
  return lists;
}

/* ======================================================================================
 * LRU helpers
 * ====================================================================================== */

/** lru_to_page(): the page at the tail of a list. */
function lru_to_page(head: ListHead): Page {
  return list_last_entry(head, Page, 'lru');
}

function page_evictable(page: Page): boolean {
  return !PageUnevictable(page) && !PageMlocked(page);
}

function lruvec_lru_size(lruvec: Lruvec, lru: number): number {
  return lruvec.nr_pages[lru]!;
}

/** int_sqrt() */
function int_sqrt(x: number): number {
  return Math.floor(Math.sqrt(x));
}

/**
 * The inactive anon list should be small enough that the VM never has to do too much work
 * (inactive_is_low): 1:1 up to 1 GiB, then sqrt(10 * GiB) : 1.
 */
export function inactive_is_low(lruvec: Lruvec, inactive_lru: number): boolean {
  const inactive = lruvec_lru_size(lruvec, inactive_lru);
  const active = lruvec_lru_size(lruvec, inactive_lru + 1);
  const gb = (inactive + active) >>> (30 - PAGE_SHIFT);
  const inactive_ratio = gb ? int_sqrt(10 * gb) : 1;
  return inactive * inactive_ratio < active;
}

/**
 * Take up to nr_to_scan pages from the tail of `lru` onto `dst` (isolate_lru_pages). Each
 * isolated page has PG_lru cleared and an extra reference. Returns [nr_taken, nr_scanned].
 */
function isolate_lru_pages(nr_to_scan: number, lruvec: Lruvec, dst: ListHead, lru: number): [number, number] {
  const src = lruvec.lists(lru);
  let nr_taken = 0;
  let scan = 0;
  while (scan < nr_to_scan && nr_taken < nr_to_scan && !list_empty(src)) {
    const page = lru_to_page(src);
    scan++;
    // __isolate_lru_page_prepare() + get_page_unless_zero() + TestClearPageLRU()
    if (!PageLRU(page) || page_ref_count(page) === 0) {
      list_move(page.lru, src); // busy: rotate to the head
      continue;
    }
    get_page(page);
    ClearPageLRU(page);
    del_page_from_lru_list(page, lruvec, lru);
    list_add(page.lru, dst);
    nr_taken++;
  }
  return [nr_taken, scan];
}

/** Free a list of pages whose references are all gone (free_unref_page_list). */
function free_unref_page_list(list: ListHead): void {
  while (!list_empty(list)) {
    const page = list_first_entry(list, Page, 'lru');
    list_del(page.lru);
    free_unref_page_memdesc(page);
  }
}

/**
 * Put isolated pages back on their LRU list (move_pages_to_lru), dropping the isolation
 * reference; a page whose last reference that was is freed. Returns the pages moved.
 */
function move_pages_to_lru(lruvec: Lruvec, list: ListHead): number {
  let nr_moved = 0;
  while (!list_empty(list)) {
    const page = lru_to_page(list);
    VM_BUG_ON_PAGE(PageLRU(page), page, 'move_pages_to_lru: page already on the LRU');
    list_del(page.lru);
    SetPageLRU(page);
    const lru = page_lru(page);
    add_page_to_lru_list(page, lruvec, lru);
    if (put_page_testzero(page)) {
      // The isolation reference was the last one (one CPU: no lru_lock to drop first).
      ClearPageLRU(page);
      ClearPageActive(page);
      del_page_from_lru_list(page, lruvec, lru);
      free_unref_page_memdesc(page);
      continue;
    }
    nr_moved++;
  }
  return nr_moved;
}

/* ======================================================================================
 * shrink_page_list
 * ====================================================================================== */

const PAGEREF_RECLAIM = 0;
const PAGEREF_RECLAIM_CLEAN = 1;
const PAGEREF_KEEP = 2;
const PAGEREF_ACTIVATE = 3;

/** Should an inactive page be reclaimed, kept, or activated (page_check_references)? */
function page_check_references(page: Page): number {
  const vm_flags = { vm_flags: 0 };
  const referenced_ptes = page_referenced(page, true, null, vm_flags);
  const referenced_page = PageReferenced(page);
  ClearPageReferenced(page); // TestClearPageReferenced
  // mlock lost the isolation race with us: let try_to_unmap() move the page.
  if (vm_flags.vm_flags & VM_LOCKED) return PAGEREF_RECLAIM;
  if (referenced_ptes) {
    // All mapped pages start out with page table references: give them a second round
    // on the inactive list, and activate them if they are used again (or shared).
    SetPageReferenced(page);
    if (referenced_page || referenced_ptes > 1) return PAGEREF_ACTIVATE;
    if (vm_flags.vm_flags & VM_EXEC) return PAGEREF_ACTIVATE;
    return PAGEREF_KEEP;
  }
  if (referenced_page && !PageSwapBacked(page)) return PAGEREF_RECLAIM_CLEAN;
  return PAGEREF_RECLAIM;
}

const PAGE_KEEP = 0;
const PAGE_ACTIVATE = 1;
const PAGE_SUCCESS = 2;
const PAGE_CLEAN = 3;

/** Only the isolation reference and the swap cache's remain (is_page_cache_freeable). */
function is_page_cache_freeable(page: Page): boolean {
  return page_ref_count(page) === 2;
}

/** Write a dirty swap-cache page out to zswap (pageout). */
function pageout(page: Page): number {
  if (!is_page_cache_freeable(page)) return PAGE_KEEP;
  if (!PageSwapCache(page)) return PAGE_KEEP; // no mapping to write to
  if (PageDirty(page)) {
    ClearPageDirty(page); // clear_page_dirty_for_io()
    set_bit(PG_reclaim, page);
    const res = swap_writepage(page);
    if (res === AOP_WRITEPAGE_ACTIVATE) {
      clear_bit(PG_reclaim, page);
      return PAGE_ACTIVATE;
    }
    if (!test_bit(PG_writeback, page)) clear_bit(PG_reclaim, page); // synchronous: done
    return PAGE_SUCCESS;
  }
  return PAGE_CLEAN;
}

/**
 * Detach a clean, locked swap-cache page from the swap cache if nobody else holds it
 * (__remove_mapping): the refcount is frozen from 2 (isolation + cache) to 0.
 */
function __remove_mapping(page: Page): boolean {
  const refcount = 2;
  if (page_ref_count(page) !== refcount) return false; // page_ref_freeze()
  set_page_count(page, 0);
  if (PageDirty(page)) {
    set_page_count(page, refcount); // page_ref_unfreeze()
    return false;
  }
  const swap = page_private(page);
  __delete_from_swap_cache(page, swap);
  put_swap_page(page, swap);
  return true;
}

const FREE_IT = 0;
const ACTIVATE_LOCKED = 1;
const KEEP_LOCKED = 2;
const KEEP = 3;

/** The body of shrink_page_list() for one page; returns where the page goes. */
function shrink_one_page(page: Page, sc: ScanControl, stat: ReclaimStat): number {
  if (!trylock_page(page)) return KEEP;
  VM_BUG_ON_PAGE(PageActive(page), page, 'shrink_page_list: active page on the inactive list');
  sc.nr_scanned++;
  if (!page_evictable(page)) return ACTIVATE_LOCKED;
  if (!sc.may_unmap && page_mapped(page)) return KEEP_LOCKED;
  let may_enter_fs = (sc.gfp_mask & __GFP_FS) !== 0 || (PageSwapCache(page) && (sc.gfp_mask & __GFP_IO) !== 0);

  const references = page_check_references(page);
  if (references === PAGEREF_ACTIVATE) return ACTIVATE_LOCKED;
  if (references === PAGEREF_KEEP) {
    stat.nr_ref_keep++;
    return KEEP_LOCKED;
  }

  // Anonymous process memory needs a swap slot and the swap cache before it is unmapped.
  if (PageAnon(page) && PageSwapBacked(page) && !PageSwapCache(page)) {
    if (!(sc.gfp_mask & __GFP_IO)) return KEEP_LOCKED;
    if (!add_to_swap(page)) return ACTIVATE_LOCKED; // swap is full
    may_enter_fs = true;
  }

  // The page is mapped into the page tables of one or more processes: unmap it from all.
  if (page_mapped(page)) {
    if (!try_to_unmap(page, TTU_BATCH_FLUSH)) {
      stat.nr_unmap_fail++;
      return ACTIVATE_LOCKED;
    }
  }

  if (PageDirty(page)) {
    if (!may_enter_fs || !sc.may_writepage) return KEEP_LOCKED;
    switch (pageout(page)) {
      case PAGE_KEEP:
        return KEEP_LOCKED;
      case PAGE_ACTIVATE:
        return ACTIVATE_LOCKED;
      case PAGE_SUCCESS:
        stat.nr_pageout++;
        // swap_writepage() unlocked the page; the write is already complete.
        if (PageDirty(page)) return KEEP;
        if (!trylock_page(page)) return KEEP;
        if (PageDirty(page)) return KEEP_LOCKED;
        break;
      case PAGE_CLEAN:
        break;
    }
  }

  // The page is clean and unmapped, its data in zswap: drop it from the swap cache.
  if (!PageSwapCache(page)) return KEEP_LOCKED;
  const swap = page_private(page);
  if (!__remove_mapping(page)) return KEEP_LOCKED;
  if (tracepoints_enabled) {
    const length = zswap_entry_length(swp_type(swap), swp_offset(swap));
    trace_event('mm_vmscan_reclaim_page',
      `pfn=0x${page_to_pfn(page).toString(16)} swap=0x${swp_offset(swap).toString(16)} length=${length}`);
  }
  unlock_page(page);
  return FREE_IT;
}

/** Try to reclaim the isolated pages on `page_list`; the survivors stay on it. Returns pages freed. */
function shrink_page_list(page_list: ListHead, sc: ScanControl, stat: ReclaimStat): number {
  const { ret_pages, free_pages } = local_list();
  INIT_LIST_HEAD(ret_pages);
  INIT_LIST_HEAD(free_pages);
  let nr_reclaimed = 0;
  while (!list_empty(page_list)) {
    const page = lru_to_page(page_list);
    list_del(page.lru);
    switch (shrink_one_page(page, sc, stat)) {
      case FREE_IT:
        nr_reclaimed++;
        list_add(page.lru, free_pages);
        continue;
      case ACTIVATE_LOCKED:
        // Not worth keeping a swap slot for a page that stays in memory when swap is tight.
        if (PageSwapCache(page) && (vm_swap_full() || PageMlocked(page))) try_to_free_swap(page);
        VM_BUG_ON_PAGE(PageActive(page), page, 'shrink_page_list: activating an active page');
        if (!PageMlocked(page)) {
          SetPageActive(page);
          stat.nr_activate++;
          count_vm_event('pgactivate');
        }
        unlock_page(page);
        break;
      case KEEP_LOCKED:
        unlock_page(page);
        break;
      case KEEP:
        break;
    }
    list_add(page.lru, ret_pages);
    VM_BUG_ON_PAGE(PageLRU(page) || PageUnevictable(page), page, 'shrink_page_list: kept page on the LRU');
  }
  free_unref_page_list(free_pages);
  // list_splice(&ret_pages, page_list)
  while (!list_empty(ret_pages)) list_move_tail(new ListHead(ret_pages.next), page_list);
  return nr_reclaimed;
}

/* ======================================================================================
 * Shrinking the lists
 * ====================================================================================== */

/** Reclaim from the inactive list (shrink_inactive_list); returns pages reclaimed. */
export function shrink_inactive_list(nr_to_scan: number, lruvec: Lruvec, sc: ScanControl, lru: number): number {
  const { page_list } = local_list();
  INIT_LIST_HEAD(page_list);
  const [nr_taken, nr_scanned] = isolate_lru_pages(nr_to_scan, lruvec, page_list, lru);
  count_vm_events(current_is_kswapd() ? 'pgscan_kswapd' : 'pgscan_direct', nr_scanned);
  count_vm_events('pgscan_anon', nr_scanned);
  if (nr_taken === 0) return 0;

  const stat = new ReclaimStat();
  const nr_reclaimed = shrink_page_list(page_list, sc, stat);
  move_pages_to_lru(lruvec, page_list);
  count_vm_events(current_is_kswapd() ? 'pgsteal_kswapd' : 'pgsteal_direct', nr_reclaimed);
  count_vm_events('pgsteal_anon', nr_reclaimed);
  if (tracepoints_enabled) {
    trace_event('mm_vmscan_lru_shrink_inactive', `nid=0 nr_scanned=${nr_scanned} nr_reclaimed=${nr_reclaimed} ` +
      `nr_dirty=${stat.nr_dirty} nr_writeback=${stat.nr_writeback} nr_congested=${stat.nr_congested} ` +
      `nr_immediate=${stat.nr_immediate} nr_activate_anon=${stat.nr_activate} nr_activate_file=0 ` +
      `nr_ref_keep=${stat.nr_ref_keep} nr_unmap_fail=${stat.nr_unmap_fail} priority=${sc.priority} ` +
      'flags=RECLAIM_WB_ANON|RECLAIM_WB_ASYNC');
  }
  return nr_reclaimed;
}

/**
 * Age the active list (shrink_active_list): every isolated page goes to the inactive list
 * with its young bits cleared; anonymous pages are not kept active for being referenced.
 */
export function shrink_active_list(nr_to_scan: number, lruvec: Lruvec, sc: ScanControl, lru: number): void {
  const { l_hold, l_active, l_inactive } = local_list();
  INIT_LIST_HEAD(l_hold);
  INIT_LIST_HEAD(l_active);
  INIT_LIST_HEAD(l_inactive);
  const [nr_taken, nr_scanned] = isolate_lru_pages(nr_to_scan, lruvec, l_hold, lru);
  count_vm_events('pgrefill', nr_scanned);
  let nr_referenced = 0;
  while (!list_empty(l_hold)) {
    const page = lru_to_page(l_hold);
    list_del(page.lru);
    if (!page_evictable(page)) {
      list_add(page.lru, l_active);
      continue;
    }
    const vm_flags = { vm_flags: 0 };
    if (page_referenced(page, false, null, vm_flags)) {
      nr_referenced++;
      // Only executable file pages stay active; anonymous ones always age.
    }
    ClearPageActive(page);
    SetPageWorkingset(page);
    list_add(page.lru, l_inactive);
  }
  const nr_activate = move_pages_to_lru(lruvec, l_active);
  const nr_deactivate = move_pages_to_lru(lruvec, l_inactive);
  count_vm_events('pgdeactivate', nr_deactivate);
  if (tracepoints_enabled) {
    trace_event('mm_vmscan_lru_shrink_active', `nid=0 nr_taken=${nr_taken} nr_active=${nr_activate} ` +
      `nr_deactivated=${nr_deactivate} nr_referenced=${nr_referenced} priority=${sc.priority} ` +
      'flags=RECLAIM_WB_ANON|RECLAIM_WB_ASYNC');
  }
}

function shrink_list(lru: number, nr_to_scan: number, lruvec: Lruvec, sc: ScanControl): number {
  if (lru === LRU_ACTIVE_ANON) {
    if (sc.may_deactivate & DEACTIVATE_ANON) shrink_active_list(nr_to_scan, lruvec, sc, lru);
    else sc.skipped_deactivate = true;
    return 0;
  }
  return shrink_inactive_list(nr_to_scan, lruvec, sc, lru);
}

/**
 * How many pages of each anon list to scan at this priority (get_scan_count). With no file
 * LRU the file lists are "tiny" and everything goes to anon (SCAN_ANON) while there is swap.
 */
function get_scan_count(lruvec: Lruvec, sc: ScanControl): number[] {
  const nr = [0, 0];
  if (!sc.may_swap || get_nr_swap_pages() <= 0) return nr;
  nr[LRU_INACTIVE_ANON] = lruvec_lru_size(lruvec, LRU_INACTIVE_ANON) >>> sc.priority;
  nr[LRU_ACTIVE_ANON] = lruvec_lru_size(lruvec, LRU_ACTIVE_ANON) >>> sc.priority;
  return nr;
}

function shrink_lruvec(lruvec: Lruvec, sc: ScanControl): void {
  const nr = get_scan_count(lruvec, sc);
  const nr_to_reclaim = sc.nr_to_reclaim;
  // Direct reclaim at the first priority scans everything it planned to (scan_adjusted).
  const scan_adjusted = !current_is_kswapd() && sc.priority === DEF_PRIORITY;
  let nr_reclaimed = 0;
  while (nr[LRU_INACTIVE_ANON]!) {
    for (const lru of [LRU_INACTIVE_ANON, LRU_ACTIVE_ANON]) {
      if (!nr[lru]) continue;
      const nr_to_scan = Math.min(nr[lru]!, SWAP_CLUSTER_MAX);
      nr[lru] = nr[lru]! - nr_to_scan;
      nr_reclaimed += shrink_list(lru, nr_to_scan, lruvec, sc);
    }
    if (nr_reclaimed < nr_to_reclaim || scan_adjusted) continue;
    break; // no file pages to balance against: done
  }
  sc.nr_reclaimed += nr_reclaimed;
  // Even if no anon page was evicted, rebalance the anon lru active/inactive ratio.
  if (total_swap_pages && inactive_is_low(lruvec, LRU_INACTIVE_ANON)) {
    shrink_active_list(SWAP_CLUSTER_MAX, lruvec, sc, LRU_ACTIVE_ANON);
  }
}

/** Reclaim from the node (shrink_node; one node, one lruvec). */
function shrink_node(sc: ScanControl): void {
  const lruvec = node_lruvec();
  const nr_reclaimed = sc.nr_reclaimed;
  if (sc.force_deactivate) sc.may_deactivate = DEACTIVATE_ANON;
  else sc.may_deactivate = inactive_is_low(lruvec, LRU_INACTIVE_ANON) ? DEACTIVATE_ANON : 0;
  shrink_lruvec(lruvec, sc);
  // Kswapd gives up on a node when it fails too many times; any progress resets that.
  if (sc.nr_reclaimed > nr_reclaimed) kswapd_failures = 0;
}


/**
 * The main entry point to direct page reclaim (do_try_to_free_pages): scan at decreasing
 * priority until sc.nr_to_reclaim pages are freed. Returns the pages reclaimed.
 */
function do_try_to_free_pages(sc: ScanControl): number {
  const initial_priority = sc.priority;
  for (;;) {
    do {
      sc.nr_scanned = 0;
      shrink_node(sc);
      if (sc.nr_reclaimed >= sc.nr_to_reclaim) break;
      if (sc.priority < DEF_PRIORITY - 2) sc.may_writepage = true;
    } while (--sc.priority >= 0);
    if (sc.nr_reclaimed) return sc.nr_reclaimed;
    // Deactivation was skipped to protect the active list: try again, deactivating.
    if (sc.skipped_deactivate) {
      sc.priority = initial_priority;
      sc.force_deactivate = true;
      sc.skipped_deactivate = false;
      continue;
    }
    return 0;
  }
}

/**
 * Direct reclaim from the page allocator's slow path (try_to_free_pages): free up to
 * SWAP_CLUSTER_MAX pages. Returns the pages reclaimed; 0 when called from inside reclaim.
 */
export function try_to_free_pages(order: number, gfp_mask: number): number {
  if (current_reclaim) return 0; // PF_MEMALLOC: allocations in reclaim do not reclaim
  const sc = new ScanControl();
  sc.nr_to_reclaim = SWAP_CLUSTER_MAX;
  sc.gfp_mask = gfp_mask;
  sc.order = order;
  sc.priority = DEF_PRIORITY;
  count_vm_event('allocstall_normal');
  if (tracepoints_enabled) trace_event('mm_vmscan_direct_reclaim_begin', `order=${order} gfp_flags=${format_gfp(gfp_mask)}`);
  current_reclaim = 'direct';
  let nr_reclaimed: number;
  try {
    nr_reclaimed = do_try_to_free_pages(sc);
  } finally {
    current_reclaim = null;
  }
  if (tracepoints_enabled) trace_event('mm_vmscan_direct_reclaim_end', `nr_reclaimed=${nr_reclaimed}`);
  return nr_reclaimed;
}

/* ======================================================================================
 * kswapd
 * ====================================================================================== */

function managed_zones(): Zone[] {
  return contig_page_data.node_zones.filter((z): z is Zone => !!z && z.managed_pages > 0);
}

/** zone_watermark_ok_safe() for order 0: free pages above the mark. */
function zone_watermark_ok_safe(zone: Zone, _order: number, mark: number): boolean {
  return zone_page_state(zone, ZoneStat.NR_FREE_PAGES) > mark;
}

/** Is any eligible zone above its high watermark (pgdat_balanced)? */
export function pgdat_balanced(order = 0): boolean {
  for (const zone of managed_zones()) {
    if (zone_watermark_ok_safe(zone, order, zone.watermark_high)) return true;
  }
  return false;
}

/**
 * Every zone is below its low watermark: the allocator's fast path fails and it would wake
 * kswapd (wake_all_kswapds). Workloads call wakeup_kswapd() when this is true.
 */
export function kswapd_needed(): boolean {
  return !managed_zones().some((zone) => zone_watermark_ok_safe(zone, 0, zone.watermark_low));
}

/** Age the active anon list when it outweighs the inactive one (age_active_anon). */
function age_active_anon(sc: ScanControl): void {
  if (!total_swap_pages) return;
  const lruvec = node_lruvec();
  if (inactive_is_low(lruvec, LRU_INACTIVE_ANON)) shrink_active_list(SWAP_CLUSTER_MAX, lruvec, sc, LRU_ACTIVE_ANON);
}

/** One kswapd pass at sc.priority; true when it scanned enough (kswapd_shrink_node). */
function kswapd_shrink_node(sc: ScanControl): boolean {
  sc.nr_to_reclaim = 0;
  for (const zone of managed_zones()) sc.nr_to_reclaim += Math.max(zone.watermark_high, SWAP_CLUSTER_MAX);
  shrink_node(sc);
  return sc.nr_scanned >= sc.nr_to_reclaim;
}

/**
 * kswapd's main loop (balance_pgdat): reclaim at rising priority until some zone is above
 * its high watermark. Returns the pages reclaimed.
 */
function balance_pgdat(order: number): number {
  const sc = new ScanControl();
  sc.gfp_mask = GFP_KERNEL;
  sc.order = order;
  sc.may_unmap = true;
  sc.priority = DEF_PRIORITY;
  count_vm_event('pageoutrun');
  do {
    const nr_reclaimed = sc.nr_reclaimed;
    let raise_priority = true;
    if (pgdat_balanced(order)) break;
    sc.may_writepage = true;
    sc.may_swap = true;
    age_active_anon(sc);
    sc.nr_scanned = 0;
    if (kswapd_shrink_node(sc)) raise_priority = false;
    if (raise_priority || sc.nr_reclaimed === nr_reclaimed) sc.priority--;
  } while (sc.priority >= 1);
  return sc.nr_reclaimed;
}

/**
 * Wake kswapd if the node is not balanced (wakeup_kswapd). One CPU: kswapd runs now, before
 * this returns, doing what its loop would do: balance_pgdat() again while the node is not
 * balanced, until MAX_RECLAIM_RETRIES passes in a row reclaim nothing (a hopeless node is
 * left to direct reclaim). Returns the pages it reclaimed.
 */
export function wakeup_kswapd(order = 0): number {
  if (current_reclaim) return 0;
  if (kswapd_failures >= MAX_RECLAIM_RETRIES || pgdat_balanced(order)) return 0;
  if (tracepoints_enabled) trace_event('mm_vmscan_kswapd_wake', `nid=0 order=${order}`);
  current_reclaim = 'kswapd';
  let nr_reclaimed = 0;
  try {
    while (!pgdat_balanced(order) && kswapd_failures < MAX_RECLAIM_RETRIES) {
      const got = balance_pgdat(order);
      if (!got) kswapd_failures++;
      nr_reclaimed += got;
    }
  } finally {
    current_reclaim = null;
  }
  if (tracepoints_enabled) trace_event('mm_vmscan_kswapd_sleep', `nid=0 nr_reclaimed=${nr_reclaimed}`);
  return nr_reclaimed;
}

/**
 * Proactive reclaim of `nr_to_reclaim` anonymous pages (memory_reclaim(), the memory.reclaim
 * file, without the cgroup): rounds of do_try_to_free_pages() until enough are freed, giving
 * up after MAX_RECLAIM_RETRIES rounds that freed nothing. Young pages need a round to age
 * first. Returns the pages reclaimed.
 */
export function shrink_node_anon(nr_to_reclaim: number): number {
  if (current_reclaim) return 0;
  let nr_reclaimed = 0;
  let nr_retries = MAX_RECLAIM_RETRIES;
  current_reclaim = 'direct';
  try {
    while (nr_reclaimed < nr_to_reclaim) {
      const sc = new ScanControl();
      sc.nr_to_reclaim = Math.min(nr_to_reclaim - nr_reclaimed, SWAP_CLUSTER_MAX);
      sc.gfp_mask = GFP_KERNEL;
      const got = do_try_to_free_pages(sc);
      if (!got && !nr_retries--) break;
      nr_reclaimed += got;
    }
  } finally {
    current_reclaim = null;
  }
  return nr_reclaimed;
}

/** Pages on the anon LRU lists: [inactive, active]. */
export function anon_lru_sizes(): [number, number] {
  const lruvec = node_lruvec();
  return [lruvec_lru_size(lruvec, LRU_INACTIVE_ANON), lruvec_lru_size(lruvec, LRU_ACTIVE_ANON)];
}

/* ======================================================================================
 * init and reports
 * ====================================================================================== */

function kswapd_init(): void {
  for (const k of Object.keys(vm_events) as VmEvent[]) vm_events[k] = 0;
  current_reclaim = null;
  kswapd_failures = 0;
  lists = null;
  local_list();
  set_direct_reclaim(try_to_free_pages);
}

register_initcall(InitLevel.SUBSYS, 'kswapd_init', kswapd_init);

function vmstat_reclaim_text(): string {
  const lruvec = node_lruvec();
  const lines = [
    `nr_inactive_anon ${lruvec_lru_size(lruvec, LRU_INACTIVE_ANON)}`,
    `nr_active_anon ${lruvec_lru_size(lruvec, LRU_ACTIVE_ANON)}`,
    ...Object.entries(vm_events).map(([k, v]) => `${k} ${v}`),
    show_swap_cache_info(),
  ];
  return lines.join('\n');
}

register_report({
  name: 'vmscan',
  title: '/proc/vmstat (reclaim and swap)',
  text: vmstat_reclaim_text,
  json: () => ({ ...vm_events, nr_inactive_anon: anon_lru_sizes()[0], nr_active_anon: anon_lru_sizes()[1] }),
});

