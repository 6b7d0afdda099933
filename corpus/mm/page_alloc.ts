/**
 * The buddy page allocator (mm/page_alloc.c).
 *
 * Free blocks sit on zone->free_area[order].free_list[migratetype], threaded through
 * page->lru of the block's first page; the block's order and PageBuddy() are kept in the flags
 * word, above the PG_* bits (set_buddy_order; include/linux/page-flags.ts says why not in
 * private/page_type). Buddies are found by pfn ^ (1 << order).
 *
 * Stage 2 (dormant): alloc_pages_memdesc() and __free_pages_memdesc() allocate and free blocks
 * whose every page carries a memdesc word (include/linux/memdesc.ts); the free and allocation
 * checks refuse a page that still carries one.
 */
import { Page, STRUCT_PAGE_SIZE, page_own_word, page_reset_own_word } from '../include/linux/mm_types.ts';
import {
  ListHead, LIST_HEAD_SIZE, INIT_LIST_HEAD, list_add, list_add_tail, list_del, list_move, list_empty,
  list_for_each_entry, list_first_entry_or_null, list_last_entry,
} from '../include/linux/list.ts';
import { static_alloc } from '../sim/kernel_image.ts';
import {
  PageBuddy, __SetPageBuddy, __ClearPageBuddy, PageHead, __SetPageHead, __ClearPageHead, ClearPageReserved,
  __PageMovable, PAGE_MAPPING_FLAGS, PAGE_FLAGS_CHECK_AT_FREE, PAGE_FLAGS_CHECK_AT_PREP, PAGEFLAG_NAMES,
  PageHWPoison, set_page_free_order, page_free_order, clear_page_free_bits,
} from '../include/linux/page-flags.ts';
import {
  pfn_to_page, page_to_pfn, page_address, set_page_count, page_ref_count, page_mapcount_raw,
  put_page_testzero, set_compound_head, clear_compound_head, compound_head, compound_order, page_zone,
  page_zonenum, virt_to_page,
} from '../include/linux/mm.ts';
import { VM_BUG_ON_PAGE, dump_page, BUG } from '../include/linux/mmdebug.ts';
import {
  PageMemdesc, set_page_memdesc, clear_page_memdesc, memdesc_valid, memdesc_type, memdesc_type_name, MEMDESC_TYPE_MISC,
  memdesc_misc, MEMDESC_MISC_UNKNOWN,
} from '../include/linux/memdesc.ts';
import { PAGE_MEMDESC_OFFSET } from '../include/linux/mm_types.ts';
import {
  type Zone, MAX_PAGE_ORDER, NR_PAGE_ORDERS, MIGRATE_TYPES, MIGRATE_UNMOVABLE, MIGRATE_MOVABLE,
  MIGRATE_RECLAIMABLE, MIGRATE_HIGHATOMIC, MIGRATE_PCPTYPES, PAGE_ALLOC_COSTLY_ORDER, pageblock_order, pageblock_nr_pages, ZONE_DMA32, ZONE_NORMAL,
  ZoneStat, zone_free_area, zone_end_pfn, zone_page_state, __mod_zone_page_state, ZONE_NAMES,
} from '../include/linux/mmzone.ts';
import { __GFP_ZERO, __GFP_COMP, __GFP_DMA32, __GFP_HIGH, __GFP_ATOMIC, __GFP_NOFAIL, __GFP_NOWARN,
  __GFP_DIRECT_RECLAIM, gfp_migratetype, format_gfp } from '../include/linux/gfp.ts';
import { PAGE_SIZE } from '../arch/x86/include/asm/page_64_types.ts';
import { PAGE_POISON } from '../include/linux/poison.ts';
import { phys_bytes, phys_fill, phys_equals, read32 } from '../sim/memory.ts';
import { KernelBug, formatKernelAddress } from '../sim/errors.ts';
import { trace_event, tracepoints_enabled } from '../sim/trace.ts';

/** The single NUMA node's data (struct pglist_data contig_page_data). */
export const contig_page_data = {
  node_id: 0,
  node_zones: [] as Zone[],
  /** Per-pageblock migratetype (the pageblock_flags bitmap). */
  pageblock_mt: new Uint8Array(0),
  totalram_pages: 0,
};

/** Debug options on the command line: page_poison=1 is the default in the simulation. */
export const page_alloc_debug = {
  page_poisoning: true,
  /**
   * CONFIG_DEBUG_VM: check every page as it enters and leaves the per-cpu lists. Without it
   * (production kernels) the same checks run in batches, when pages move between the per-cpu
   * lists and the buddy lists (bulkfree_pcp_prepare / check_pcp_refill).
   */
  debug_vm: true,
};

const POISON_PAGE = new Uint8Array(PAGE_SIZE).fill(PAGE_POISON);

/* ---- pageblock migratetypes ---- */

export function get_pageblock_migratetype(page: Page): number {
  return contig_page_data.pageblock_mt[page_to_pfn(page) >>> pageblock_order]!;
}

export function set_pageblock_migratetype(page: Page, migratetype: number): void {
  contig_page_data.pageblock_mt[page_to_pfn(page) >>> pageblock_order] = migratetype;
}

/* ---- buddy order and free lists ---- */

/** A free block's order lives in the flags word of its first page (page_free_order()). */
export function set_buddy_order(page: Page, order: number): void {
  set_page_free_order(page, order);
  __SetPageBuddy(page);
}

export function buddy_order(page: Page): number {
  return page_free_order(page);
}

/** Is `buddy` the free buddy of `page` at `order`? */
function page_is_buddy(page: Page, buddy: Page, order: number): boolean {
  if (!PageBuddy(buddy)) return false;
  if (buddy_order(buddy) !== order) return false;
  if (page_zonenum(page) !== page_zonenum(buddy)) return false;
  VM_BUG_ON_PAGE(page_ref_count(buddy) !== 0, buddy, 'free buddy with nonzero refcount');
  return true;
}

function add_to_free_list(page: Page, zone: Zone, order: number, migratetype: number): void {
  const area = zone_free_area(zone, order);
  list_add(page.lru, area.free_list(migratetype));
  area.nr_free = area.nr_free + 1;
}

/** Used for pages which are on another list (the buddy is likely to merge soon). */
function add_to_free_list_tail(page: Page, zone: Zone, order: number, migratetype: number): void {
  const area = zone_free_area(zone, order);
  list_add_tail(page.lru, area.free_list(migratetype));
  area.nr_free = area.nr_free + 1;
}

function move_to_free_list(page: Page, zone: Zone, order: number, migratetype: number): void {
  const area = zone_free_area(zone, order);
  list_move(page.lru, area.free_list(migratetype));
}

export function del_page_from_free_list(page: Page, zone: Zone, order: number): void {
  list_del(page.lru);
  __ClearPageBuddy(page);
  clear_page_free_bits(page);
  const area = zone_free_area(zone, order);
  area.nr_free = area.nr_free - 1;
}

function get_page_from_free_area(zone: Zone, order: number, migratetype: number): Page | null {
  return list_first_entry_or_null(zone_free_area(zone, order).free_list(migratetype), Page, 'lru');
}

/* ---- freeing ---- */

/** Merge the block at `pfn` with its free buddies and put the result on a free list. */
function __free_one_page(page: Page, pfn: number, zone: Zone, order: number, migratetype: number): void {
  const end = zone_end_pfn(zone);
  VM_BUG_ON_PAGE((pfn & ((1 << order) - 1)) !== 0, page, 'free block not aligned to its order');
  while (order < MAX_PAGE_ORDER) {
    const buddy_pfn = pfn ^ (1 << order);
    if (buddy_pfn < zone.zone_start_pfn || buddy_pfn >= end) break;
    const buddy = new Page(page.addr + (buddy_pfn - pfn) * STRUCT_PAGE_SIZE);
    if (!page_is_buddy(page, buddy, order)) break;
    del_page_from_free_list(buddy, zone, order);
    const combined_pfn = buddy_pfn & pfn;
    page = new Page(page.addr + (combined_pfn - pfn) * STRUCT_PAGE_SIZE);
    pfn = combined_pfn;
    order++;
  }
  set_buddy_order(page, order);
  if (order < MAX_PAGE_ORDER - 1 && buddy_merge_likely(pfn, page, zone, order)) {
    add_to_free_list_tail(page, zone, order, migratetype);
  } else {
    add_to_free_list(page, zone, order, migratetype);
  }
}

/** If the next-order buddy is free, this block will probably merge soon: queue it at the tail. */
function buddy_merge_likely(pfn: number, page: Page, zone: Zone, order: number): boolean {
  const buddy_pfn = pfn ^ (1 << order);
  const combined_pfn = buddy_pfn & pfn;
  const higher_buddy_pfn = combined_pfn ^ (1 << (order + 1));
  if (higher_buddy_pfn < zone.zone_start_pfn || higher_buddy_pfn >= zone_end_pfn(zone)) return false;
  const higher_page = new Page(page.addr + (combined_pfn - pfn) * STRUCT_PAGE_SIZE);
  const higher_buddy = new Page(higher_page.addr + (higher_buddy_pfn - combined_pfn) * STRUCT_PAGE_SIZE);
  return page_is_buddy(higher_page, higher_buddy, order + 1);
}

function bad_page(page: Page, reason: string): never {
  throw new KernelBug(`BUG: Bad page state: pfn:0x${page_to_pfn(page).toString(16)}`, dump_page(page, reason));
}

/** page_expected_state(): what a page must look like when it is freed or handed out. */
function page_bad_reason(page: Page, flags: number): string | null {
  if (page_mapcount_raw(page) !== -1) return 'nonzero mapcount';
  if (page_own_word(page, 'mapping') !== 0) return 'non-NULL mapping';
  if (page_ref_count(page) !== 0) return 'nonzero _refcount';
  if (page.flags & flags) {
    const names = PAGEFLAG_NAMES.filter((_, bit) => page.flags & flags & (1 << bit));
    return `${flags === PAGE_FLAGS_CHECK_AT_FREE ? 'PAGE_FLAGS_CHECK_AT_FREE' : 'PAGE_FLAGS_CHECK_AT_PREP'} flag(s) set: ${names.join('|')}`;
  }
  if (page_own_word(page, 'memcg_data') !== 0) return 'page still charged to cgroup';
  return null;
}

function free_tail_page_prepare(head: Page, page: Page): void {
  if (compound_head(page).addr !== head.addr) bad_page(page, 'compound_head not consistent');
  if (page_own_word(page, 'mapping') !== 0) bad_page(page, 'nonzero mapping in tail page');
  clear_compound_head(page);
}

/** Checks, clears and poisons pages on their way back to the allocator; false: keep it out. */
function free_pages_prepare(page: Page, order: number, check_free = true): boolean {
  // Stage 2: a page of a separated kind gives its memdesc word back first (__free_pages_memdesc());
  // what this reads and clears below is then struct page's own, never the descriptor's.
  if (PageMemdesc(page)) bad_page(page, 'memdesc page freed without __free_pages_memdesc()');
  if (PageHWPoison(page)) return false;
  if (order > 0) {
    const compound = PageHead(page);
    if (compound) {
      const first_tail = new Page(page.addr + STRUCT_PAGE_SIZE);
      first_tail.compound_dtor = 0;
      first_tail.compound_order = 0;
      first_tail.compound_mapcount = 0;
      __ClearPageHead(page);
    }
    for (let i = 1; i < 1 << order; i++) {
      const tail = new Page(page.addr + i * STRUCT_PAGE_SIZE);
      if (compound) free_tail_page_prepare(page, tail);
      if (check_free) check_free_page(tail);
      tail.flags = tail.flags & ~PAGE_FLAGS_CHECK_AT_PREP;
    }
  }
  if (page_own_word(page, 'mapping') & PAGE_MAPPING_FLAGS) page_reset_own_word(page, 'mapping');
  if (check_free) check_free_page(page);
  page.flags = page.flags & ~PAGE_FLAGS_CHECK_AT_PREP;
  if (page_alloc_debug.page_poisoning) {
    phys_fill(page_to_pfn(page) * PAGE_SIZE, PAGE_SIZE << order, PAGE_POISON);
  }
  return true;
}

function check_free_page(page: Page): void {
  if (PageMemdesc(page)) bad_page(page, 'memdesc page freed without __free_pages_memdesc()');
  const why = page_bad_reason(page, PAGE_FLAGS_CHECK_AT_FREE);
  if (why) bad_page(page, why);
}

function free_one_page(zone: Zone, page: Page, pfn: number, order: number, migratetype: number): void {
  __free_one_page(page, pfn, zone, order, migratetype);
  __mod_zone_page_state(zone, ZoneStat.NR_FREE_PAGES, 1 << order);
}

function __free_pages_ok(page: Page, order: number): void {
  if (!free_pages_prepare(page, order)) return;
  const pfn = page_to_pfn(page);
  if (tracepoints_enabled) trace_event('mm_page_free', `pfn=0x${pfn.toString(16)} order=${order}`);
  free_one_page(page_zone(page), page, pfn, order, get_pageblock_migratetype(page));
}

/** Freeing of small blocks goes through the pcp lists (free_unref_page). */
function free_the_page(page: Page, order: number): void {
  if (order > PAGE_ALLOC_COSTLY_ORDER) {
    __free_pages_ok(page, order);
    return;
  }
  if (!free_pages_prepare(page, order, page_alloc_debug.debug_vm)) return;
  if (tracepoints_enabled) trace_event('mm_page_free', `pfn=0x${page_to_pfn(page).toString(16)} order=${order}`);
  const migratetype = get_pageblock_migratetype(page);
  if (migratetype >= MIGRATE_PCPTYPES) {
    free_one_page(page_zone(page), page, page_to_pfn(page), order, migratetype);
    return;
  }
  free_unref_page_commit(page, order, migratetype);
}

/** Release a boot-time page range to the allocator (__free_pages_core). */
export function __free_pages_core(page: Page, order: number): void {
  const nr = 1 << order;
  for (let i = 0; i < nr; i++) {
    const p = new Page(page.addr + i * STRUCT_PAGE_SIZE);
    ClearPageReserved(p);
    set_page_count(p, 0);
  }
  page_zone(page).managed_pages += nr;
  contig_page_data.totalram_pages += nr;
  __free_pages_ok(page, order);
}

/**
 * Drop a reference; free the block when it was the last one. A block whose pages carry a misc
 * word (alloc_pages_memdesc() with memdesc_misc(): a driver's pages, kmalloc_large) goes back
 * through __free_pages_memdesc(): its word has no descriptor for the caller to give back first.
 */
export function __free_pages(page: Page, order: number): void {
  if (PageMemdesc(page) && memdesc_type(read32(page.addr + PAGE_MEMDESC_OFFSET)) === MEMDESC_TYPE_MISC) {
    __free_pages_memdesc(page, order);
    return;
  }
  if (put_page_testzero(page)) {
    free_the_page(page, order);
  } else if (!PageHead(page) && !PageMemdesc(page)) {
    // Someone else holds the first page: free the rest of a non-compound block (a block with a
    // memdesc word goes back whole, through __free_pages_memdesc()).
    while (order-- > 0) __free_pages(new Page(page.addr + (1 << order) * STRUCT_PAGE_SIZE), order);
  }
}

export function __free_page(page: Page): void {
  __free_pages(page, 0);
}

/** free_pages(): by direct-map address. */
export function free_pages(addr: number, order: number): void {
  if (addr !== 0) __free_pages(virt_to_page(addr), order);
}

export function free_page(addr: number): void {
  free_pages(addr, 0);
}

/** Free an order-0 page whose refcount already dropped to zero. */
export function free_unref_page(page: Page): void {
  free_the_page(page, 0);
}

/** Destructor of compound pages: free the whole block. */
export function free_compound_page(page: Page): void {
  free_the_page(page, compound_order(page));
}

/* ---- per-cpu page lists (one CPU) ---- */

/**
 * struct per_cpu_pages: small blocks (order <= PAGE_ALLOC_COSTLY_ORDER) are freed to and
 * allocated from these lists without touching the buddy free lists; they move in batches.
 * Pages on a pcp list are threaded through page->lru and keep their order in the flags word
 * (page_free_order(), as buddy pages do).
 */
export interface PerCpuPages {
  count: number;
  high: number;
  batch: number;
  /** Address of lists[0]; NR_PCP_LISTS list heads. */
  readonly lists_addr: number;
}

export const NR_PCP_LISTS = MIGRATE_PCPTYPES * (PAGE_ALLOC_COSTLY_ORDER + 1);

export function pcp_list(pcp: PerCpuPages, pindex: number): ListHead {
  return new ListHead(pcp.lists_addr + pindex * LIST_HEAD_SIZE);
}

function order_to_pindex(migratetype: number, order: number): number {
  return order * MIGRATE_PCPTYPES + migratetype;
}

function rounddown_pow_of_two(n: number): number {
  return 2 ** Math.floor(Math.log2(n));
}

/** zone_batchsize() and the pcp high mark derived from it. */
export function zone_pcp_init(zone: Zone): void {
  let batch = Math.floor(zone.managed_pages / 1024);
  if (batch * PAGE_SIZE > 1024 * 1024) batch = (1024 * 1024) / PAGE_SIZE;
  batch = Math.max(1, Math.floor(batch / 4));
  batch = rounddown_pow_of_two(batch + (batch >>> 1)) - 1;
  batch = Math.max(1, batch);
  const pcp = zone_pcp(zone);
  pcp.batch = batch;
  pcp.high = 6 * batch;
}

export function zone_pcp_alloc(zone: Zone): void {
  const lists_addr = static_alloc(NR_PCP_LISTS * LIST_HEAD_SIZE);
  for (let i = 0; i < NR_PCP_LISTS; i++) INIT_LIST_HEAD(new ListHead(lists_addr + i * LIST_HEAD_SIZE));
  zone.pcp = { count: 0, high: 0, batch: 1, lists_addr };
}

export function zone_pcp(zone: Zone): PerCpuPages {
  return zone.pcp as PerCpuPages;
}

/** Return `count` pages from the pcp lists to the buddy lists (free_pcppages_bulk). */
function free_pcppages_bulk(zone: Zone, count: number, pcp: PerCpuPages): void {
  let pindex = 0;
  while (count > 0 && pcp.count > 0) {
    let list = pcp_list(pcp, pindex);
    while (list_empty(list)) {
      pindex = (pindex + 1) % NR_PCP_LISTS;
      list = pcp_list(pcp, pindex);
    }
    const page = list_last_entry(list, Page, 'lru');
    const order = page_free_order(page);
    list_del(page.lru);
    clear_page_free_bits(page);
    pcp.count -= 1 << order;
    count -= 1 << order;
    // bulkfree_pcp_prepare(): the free-time check deferred from free_unref_page.
    if (!page_alloc_debug.debug_vm) check_free_page(page);
    free_one_page(zone, page, page_to_pfn(page), order, get_pageblock_migratetype(page));
    pindex = (pindex + 1) % NR_PCP_LISTS;
  }
}

/** Free a prepared block of order <= PAGE_ALLOC_COSTLY_ORDER to the pcp lists. */
function free_unref_page_commit(page: Page, order: number, migratetype: number): void {
  const zone = page_zone(page);
  const pcp = zone_pcp(zone);
  set_page_free_order(page, order);
  list_add(page.lru, pcp_list(pcp, order_to_pindex(migratetype, order)));
  pcp.count += 1 << order;
  if (pcp.count >= pcp.high) free_pcppages_bulk(zone, pcp.batch, pcp);
}

/** Refill a pcp list with `count` blocks from the buddy lists (rmqueue_bulk). */
function rmqueue_bulk(zone: Zone, order: number, count: number, list: ListHead, migratetype: number): number {
  let allocated = 0;
  for (let i = 0; i < count; i++) {
    const page = __rmqueue(zone, order, migratetype);
    if (!page) break;
    // check_pcp_refill(): without DEBUG_VM pages are checked as they enter the pcp lists.
    if (!page_alloc_debug.debug_vm) check_new_pages(page, order);
    set_page_free_order(page, order);
    list_add_tail(page.lru, list);
    allocated++;
  }
  __mod_zone_page_state(zone, ZoneStat.NR_FREE_PAGES, -(allocated << order));
  return allocated;
}

function rmqueue_pcplist(zone: Zone, order: number, migratetype: number): Page | null {
  const pcp = zone_pcp(zone);
  const list = pcp_list(pcp, order_to_pindex(migratetype, order));
  let page = list_first_entry_or_null(list, Page, 'lru');
  if (!page) {
    const batch = Math.max(1, pcp.batch >>> order);
    pcp.count += rmqueue_bulk(zone, order, batch, list, migratetype) << order;
    page = list_first_entry_or_null(list, Page, 'lru');
    if (!page) return null;
  }
  list_del(page.lru);
  clear_page_free_bits(page);
  pcp.count -= 1 << order;
  if (page_alloc_debug.debug_vm) check_new_pages(page, order);
  return page;
}

/** Give every pcp page back to the buddy lists (drain_all_pages). */
export function drain_all_pages(): void {
  for (const zone of contig_page_data.node_zones) {
    if (!zone || zone.managed_pages === 0) continue;
    const pcp = zone_pcp(zone);
    if (pcp.count) free_pcppages_bulk(zone, pcp.count, pcp);
  }
}

export function pcp_pages(): number {
  let n = 0;
  for (const zone of contig_page_data.node_zones) if (zone?.pcp) n += zone_pcp(zone).count;
  return n;
}

/* ---- allocating ---- */

/** Split a free block of order `high` down to `low`, returning the upper halves to the lists. */
function expand(zone: Zone, page: Page, low: number, high: number, migratetype: number): void {
  let size = 1 << high;
  while (high > low) {
    high--;
    size >>= 1;
    const half = new Page(page.addr + size * STRUCT_PAGE_SIZE);
    add_to_free_list(half, zone, high, migratetype);
    set_buddy_order(half, high);
  }
}

function __rmqueue_smallest(zone: Zone, order: number, migratetype: number): Page | null {
  for (let current_order = order; current_order < NR_PAGE_ORDERS; current_order++) {
    const page = get_page_from_free_area(zone, current_order, migratetype);
    if (!page) continue;
    del_page_from_free_list(page, zone, current_order);
    expand(zone, page, order, current_order, migratetype);
    return page;
  }
  return null;
}

/** Which migratetypes may be stolen from when a type runs out (fallbacks[]). */
const fallbacks: readonly number[][] = [
  [MIGRATE_RECLAIMABLE, MIGRATE_MOVABLE], // UNMOVABLE
  [MIGRATE_RECLAIMABLE, MIGRATE_UNMOVABLE], // MOVABLE
  [MIGRATE_UNMOVABLE, MIGRATE_MOVABLE], // RECLAIMABLE
];

/** Move every free block inside the pageblock of `page` to `migratetype`'s lists; returns pages moved. */
function move_freepages_block(zone: Zone, page: Page, migratetype: number): number {
  const start_pfn = page_to_pfn(page) & ~(pageblock_nr_pages - 1);
  const end_pfn = Math.min(start_pfn + pageblock_nr_pages, zone_end_pfn(zone));
  let moved = 0;
  for (let pfn = Math.max(start_pfn, zone.zone_start_pfn); pfn < end_pfn;) {
    const p = pfn_to_page(pfn);
    if (!PageBuddy(p)) { pfn++; continue; }
    const order = buddy_order(p);
    move_to_free_list(p, zone, order, migratetype);
    pfn += 1 << order;
    moved += 1 << order;
  }
  return moved;
}

/** Steal the largest suitable block of another migratetype (__rmqueue_fallback). */
function __rmqueue_fallback(zone: Zone, order: number, start_migratetype: number): boolean {
  for (let current_order = MAX_PAGE_ORDER; current_order >= order; current_order--) {
    for (const fallback_mt of fallbacks[start_migratetype]!) {
      const page = get_page_from_free_area(zone, current_order, fallback_mt);
      if (!page) continue;
      // Whole pageblocks (and big chunks for unmovable requests) change ownership, limiting fragmentation.
      if (current_order >= pageblock_order / 2 || start_migratetype !== MIGRATE_MOVABLE) {
        const moved = move_freepages_block(zone, page, start_migratetype);
        if (current_order >= pageblock_order || moved >= pageblock_nr_pages / 2) {
          set_pageblock_migratetype(page, start_migratetype);
        }
      } else {
        move_to_free_list(page, zone, current_order, start_migratetype);
      }
      if (tracepoints_enabled) {
        trace_event('mm_page_alloc_extfrag', `pfn=0x${page_to_pfn(page).toString(16)} alloc_order=${order} fallback_order=${current_order} alloc_migratetype=${start_migratetype} fallback_migratetype=${fallback_mt}`);
      }
      return true;
    }
  }
  return false;
}

function __rmqueue(zone: Zone, order: number, migratetype: number): Page | null {
  for (;;) {
    const page = __rmqueue_smallest(zone, order, migratetype);
    if (page || migratetype >= MIGRATE_HIGHATOMIC) return page;
    if (!__rmqueue_fallback(zone, order, migratetype)) return null;
  }
}

function rmqueue(zone: Zone, order: number, migratetype: number): Page | null {
  if (order <= PAGE_ALLOC_COSTLY_ORDER && migratetype < MIGRATE_PCPTYPES) {
    return rmqueue_pcplist(zone, order, migratetype);
  }
  const page = __rmqueue(zone, order, migratetype);
  if (page) {
    __mod_zone_page_state(zone, ZoneStat.NR_FREE_PAGES, -(1 << order));
    check_new_pages(page, order);
  }
  return page;
}

function prep_compound_page(page: Page, order: number): void {
  const nr = 1 << order;
  __SetPageHead(page);
  for (let i = 1; i < nr; i++) {
    const p = new Page(page.addr + i * STRUCT_PAGE_SIZE);
    set_page_count(p, 0);
    set_compound_head(p, page);
  }
  const first_tail = new Page(page.addr + STRUCT_PAGE_SIZE);
  first_tail.compound_dtor = 1; // COMPOUND_PAGE_DTOR
  first_tail.compound_order = order;
  first_tail.compound_mapcount = -1;
}

function check_new_page(page: Page): void {
  if (PageMemdesc(page)) bad_page(page, 'free page still carries a memdesc');
  const why = page_bad_reason(page, PAGE_FLAGS_CHECK_AT_PREP);
  if (why) bad_page(page, why);
}

function check_poison(page: Page, order: number): void {
  const pa = page_to_pfn(page) * PAGE_SIZE;
  for (let i = 0; i < 1 << order; i++) {
    if (!phys_equals(pa + i * PAGE_SIZE, PAGE_SIZE, POISON_PAGE)) {
      const off = phys_bytes(pa + i * PAGE_SIZE, PAGE_SIZE).findIndex((b) => b !== PAGE_POISON);
      throw new KernelBug(
        `pagealloc: memory corruption at pfn 0x${(page_to_pfn(page) + i).toString(16)} offset 0x${off.toString(16)}`,
        dump_page(new Page(page.addr + i * STRUCT_PAGE_SIZE), 'pagealloc: corrupted page details'),
      );
    }
  }
}

function check_new_pages(page: Page, order: number): void {
  for (let i = 0; i < 1 << order; i++) check_new_page(new Page(page.addr + i * STRUCT_PAGE_SIZE));
}

/**
 * `memdesc`: the word every page of the block gets (alloc_pages_memdesc()), or 0 for none. It is
 * stored before the refcount: the block's one reference is then the word's to keep (in its
 * descriptor, or the state of a word without counts, include/linux/mm.ts).
 */
function prep_new_page(page: Page, order: number, gfp: number, memdesc = 0): void {
  // Fresh from the free lists: a page there never carries a memdesc word (free_pages_prepare()).
  VM_BUG_ON_PAGE(PageMemdesc(page), page, 'prep_new_page: free page carries a memdesc word');
  page_reset_own_word(page, 'private');
  if (memdesc) {
    // A compound block (__GFP_COMP, a slab's) keeps its tails' links to the head: its head alone carries the word.
    const nr = order && gfp & __GFP_COMP ? 1 : 1 << order;
    for (let i = 0; i < nr; i++) set_page_memdesc(new Page(page.addr + i * STRUCT_PAGE_SIZE), memdesc);
  }
  set_page_count(page, 1);
  if (page_alloc_debug.page_poisoning) check_poison(page, order);
  if (gfp & __GFP_ZERO) {
    phys_fill(page_to_pfn(page) * PAGE_SIZE, PAGE_SIZE << order, 0);
  }
  if (order && gfp & __GFP_COMP) prep_compound_page(page, order);
}

/** Highest usable zone for this gfp mask, and the zonelist walked from it down. */
function zonelist(gfp: number): Zone[] {
  return gfp & __GFP_DMA32 ? zonelist_dma32 : zonelist_normal;
}

let zonelist_normal: Zone[] = [];
let zonelist_dma32: Zone[] = [];

/** build_all_zonelists(): fallback order from the highest zone down, populated zones only. */
export function build_all_zonelists(): void {
  const build = (high: number) => {
    const zones: Zone[] = [];
    for (let z = high; z >= 0; z--) {
      const zone = contig_page_data.node_zones[z];
      if (zone && zone.managed_pages > 0) zones.push(zone);
    }
    return zones;
  };
  zonelist_normal = build(ZONE_NORMAL);
  zonelist_dma32 = build(ZONE_DMA32);
}

const ALLOC_WMARK_MIN = 0;
const ALLOC_WMARK_LOW = 1;
const ALLOC_NO_WATERMARKS = 2;

function zone_watermark_ok(zone: Zone, order: number, mark: number, alloc_harder: boolean): boolean {
  const free = zone_page_state(zone, ZoneStat.NR_FREE_PAGES) - (1 << order) + 1;
  let min = mark;
  if (alloc_harder) min -= min / 2;
  if (free <= min) return false;
  if (order === 0) return true;
  for (let o = order; o < NR_PAGE_ORDERS; o++) {
    const area = zone_free_area(zone, o);
    if (area.nr_free === 0) continue;
    for (let mt = 0; mt < MIGRATE_TYPES; mt++) if (!list_empty(area.free_list(mt))) return true;
  }
  return false;
}

function get_page_from_freelist(gfp: number, order: number, wmark: number, memdesc: number): Page | null {
  const migratetype = gfp_migratetype(gfp);
  const harder = (gfp & (__GFP_HIGH | __GFP_ATOMIC)) !== 0;
  for (const zone of zonelist(gfp)) {
    if (wmark !== ALLOC_NO_WATERMARKS) {
      const mark = wmark === ALLOC_WMARK_LOW ? zone.watermark_low : zone.watermark_min;
      if (!zone_watermark_ok(zone, order, mark, harder)) continue;
    }
    const page = rmqueue(zone, order, migratetype);
    if (!page) continue;
    prep_new_page(page, order, gfp, memdesc);
    return page;
  }
  return null;
}

/** The page allocator's entry point (__alloc_pages). Returns null on failure. `memdesc`: see prep_new_page(). */
export function __alloc_pages(gfp: number, order: number, memdesc = 0): Page | null {
  if (order > MAX_PAGE_ORDER) BUG(`__alloc_pages: order ${order} > MAX_PAGE_ORDER`);
  let page = get_page_from_freelist(gfp, order, ALLOC_WMARK_LOW, memdesc);
  if (!page) page = __alloc_pages_slowpath(gfp, order, memdesc);
  if (page && tracepoints_enabled) {
    trace_event('mm_page_alloc', `pfn=0x${page_to_pfn(page).toString(16)} order=${order} migratetype=${gfp_migratetype(gfp)} gfp_flags=${format_gfp(gfp)}`);
  }
  return page;
}

/**
 * Direct reclaim (try_to_free_pages in mm/vmscan.c) registers itself here at boot; the
 * indirection keeps the allocator free of an import cycle with reclaim.
 */
let direct_reclaim: ((order: number, gfp: number) => number) | null = null;

export function set_direct_reclaim(fn: ((order: number, gfp: number) => number) | null): void {
  direct_reclaim = fn;
}

function __alloc_pages_slowpath(gfp: number, order: number, memdesc: number): Page | null {
  let page = get_page_from_freelist(gfp, order, ALLOC_WMARK_MIN, memdesc);
  if (page) return page;
  if (gfp & __GFP_DIRECT_RECLAIM && direct_reclaim) {
    for (let retries = 0; retries < 4 && !page; retries++) {
      const reclaimed = direct_reclaim(order, gfp);
      page = get_page_from_freelist(gfp, order, ALLOC_WMARK_MIN, memdesc);
      if (!reclaimed) break;
    }
    if (page) return page;
  }
  drain_all_pages();
  page = get_page_from_freelist(gfp, order, ALLOC_WMARK_MIN, memdesc);
  if (page) return page;
  if (gfp & (__GFP_HIGH | __GFP_NOFAIL)) page = get_page_from_freelist(gfp, order, ALLOC_NO_WATERMARKS, memdesc);
  if (page) return page;
  if (gfp & __GFP_NOFAIL) BUG(`page allocation failure with __GFP_NOFAIL: order:${order}`);
  if (!(gfp & __GFP_NOWARN)) {
    trace_event('warn_alloc', `page allocation failure: order:${order}, mode:0x${gfp.toString(16)}(${format_gfp(gfp)})`);
  }
  return null;
}

export function alloc_pages(gfp: number, order: number): Page | null {
  return __alloc_pages(gfp, order);
}

export function alloc_page(gfp: number): Page | null {
  return __alloc_pages(gfp, 0);
}

/* ---- memdesc allocations (stage 2; the RFC's "mm: Add alloc_pages_memdesc family of APIs") ---- */

/**
 * Allocate 2^order pages described by `memdesc` (a word from memdesc_create() or
 * memdesc_misc()): every page of the block carries it and PAGE_MEMDESC_FLAG, so the descriptor
 * is found from any pfn of the block. The refcount is alloc_pages()'s (1 on the first page).
 * A compound block (__GFP_COMP, a slab's) keeps its tails' links to the head (w1 of a tail,
 * which compound_head() follows, as every slab lookup does): its head alone carries the word.
 * Free with __free_pages_memdesc().
 */
export function alloc_pages_memdesc(gfp: number, order: number, memdesc: number): Page | null {
  if (!memdesc_valid(memdesc)) {
    BUG(`alloc_pages_memdesc: ${formatKernelAddress(memdesc)} is not a memdesc (type ${memdesc_type_name(memdesc_type(memdesc))})`);
  }
  return __alloc_pages(gfp, order, memdesc);
}

/**
 * 2^order pages whose every page carries the misc word of `subtype` (no descriptor): what a
 * plain allocation is in the memdesc plan (the 2025 table's "unknown" for a driver's pages;
 * kmalloc_large), so that the one reference the block holds is its word's, which struct page
 * need not store. __free_pages() gives them back.
 */
export function alloc_pages_misc(gfp: number, order: number, subtype = MEMDESC_MISC_UNKNOWN): Page | null {
  return alloc_pages_memdesc(gfp, order, memdesc_misc(subtype, order));
}

export function alloc_page_memdesc(gfp: number, memdesc: number): Page | null {
  return alloc_pages_memdesc(gfp, 0, memdesc);
}

/** The word of a memdesc page as two exact halves (a clobbered word may exceed 2^53). */
function memdesc_word_equal(a: Page, b: Page): boolean {
  return read32(a.addr + PAGE_MEMDESC_OFFSET) === read32(b.addr + PAGE_MEMDESC_OFFSET) &&
    read32(a.addr + PAGE_MEMDESC_OFFSET + 4) === read32(b.addr + PAGE_MEMDESC_OFFSET + 4);
}

/**
 * Free a block from alloc_pages_memdesc(): drop its reference; on the last one, check that
 * every page still carries the block's word (another word means something wrote w1 while the
 * block was allocated, a stale page->lru or compound_head use: VM_BUG_ON_PAGE with the dump of
 * the page that differs), clear the words and the marks, and give the block back as
 * __free_pages() does. The free pages then hold in w1 what the buddy allocator keeps there:
 * 0, or the free-list link of the block's first page.
 */
export function __free_pages_memdesc(page: Page, order: number): void {
  VM_BUG_ON_PAGE(!PageMemdesc(page), page, '__free_pages_memdesc: page carries no memdesc');
  // A compound block's word is on its head only (alloc_pages_memdesc()).
  const nr = PageHead(page) ? 1 : 1 << order;
  // The first page's word is the block's unless it is the one overwritten: then it is no memdesc.
  let good = page;
  if (!memdesc_valid(page.memdesc) && nr > 1) good = new Page(page.addr + STRUCT_PAGE_SIZE);
  for (let i = 0; i < nr; i++) {
    const p = new Page(page.addr + i * STRUCT_PAGE_SIZE);
    VM_BUG_ON_PAGE(!PageMemdesc(p) || !memdesc_word_equal(p, good) || !memdesc_valid(p.memdesc), p,
      '__free_pages_memdesc: memdesc changed while allocated');
  }
  if (!put_page_testzero(page)) return;
  for (let i = 0; i < nr; i++) clear_page_memdesc(new Page(page.addr + i * STRUCT_PAGE_SIZE));
  free_the_page(page, order);
}

export function __free_page_memdesc(page: Page): void {
  __free_pages_memdesc(page, 0);
}

/** Direct-map address of newly allocated pages, or 0. */
export function __get_free_pages(gfp: number, order: number): number {
  const page = __alloc_pages(gfp, order);
  return page ? page_address(page) : 0;
}

export function get_zeroed_page(gfp: number): number {
  return __get_free_pages(gfp | __GFP_ZERO, 0);
}

/** Turn a non-compound high-order block into independent order-0 pages (split_page). */
export function split_page(page: Page, order: number): void {
  VM_BUG_ON_PAGE(PageHead(page), page, 'split_page of a compound page');
  for (let i = 1; i < 1 << order; i++) set_page_count(new Page(page.addr + i * STRUCT_PAGE_SIZE), 1);
}

/** Take a free page out of the buddy lists for good (memory failure). Returns true on success. */
export function take_page_off_buddy(page: Page): boolean {
  drain_all_pages();
  const zone = page_zone(page);
  const pfn = page_to_pfn(page);
  for (let order = 0; order < NR_PAGE_ORDERS; order++) {
    const head_pfn = pfn & ~((1 << order) - 1);
    const head = pfn_to_page(head_pfn);
    if (PageBuddy(head) && buddy_order(head) >= order) {
      const head_order = buddy_order(head);
      const mt = get_pageblock_migratetype(head);
      del_page_from_free_list(head, zone, head_order);
      // Give back everything in the block except the poisoned page.
      break_down_buddy_pages(zone, head, pfn, head_order, mt);
      __mod_zone_page_state(zone, ZoneStat.NR_FREE_PAGES, -1);
      return true;
    }
  }
  return false;
}

function break_down_buddy_pages(zone: Zone, head: Page, target_pfn: number, high: number, mt: number): void {
  let page = head;
  let size = 1 << high;
  while (high > 0) {
    high--;
    size >>= 1;
    const upper = new Page(page.addr + size * STRUCT_PAGE_SIZE);
    let free_half: Page;
    if (page_to_pfn(upper) <= target_pfn) {
      free_half = page;
      page = upper;
    } else {
      free_half = upper;
    }
    add_to_free_list(free_half, zone, high, mt);
    set_buddy_order(free_half, high);
  }
}

/* ---- reports ---- */

export function nr_free_pages(): number {
  let n = 0;
  for (const zone of contig_page_data.node_zones) if (zone) n += zone_page_state(zone, ZoneStat.NR_FREE_PAGES);
  return n;
}

export function global_zone_page_state(item: ZoneStat): number {
  let n = 0;
  for (const zone of contig_page_data.node_zones) if (zone) n += zone_page_state(zone, item);
  return n;
}

/** /proc/buddyinfo */
export function buddyinfo(): string {
  const lines: string[] = [];
  for (const zone of contig_page_data.node_zones) {
    if (!zone || zone.present_pages === 0) continue;
    let line = `Node ${contig_page_data.node_id}, zone ${ZONE_NAMES[zone.zone_idx]!.padStart(8)} `;
    for (let order = 0; order < NR_PAGE_ORDERS; order++) {
      line += `${String(zone_free_area(zone, order).nr_free).padStart(6)} `;
    }
    lines.push(line);
  }
  return lines.join('\n');
}

/** Every free block on every list, for consistency checks: [pfn, order, migratetype]. */
export function free_blocks(): Array<[number, number, number]> {
  const out: Array<[number, number, number]> = [];
  for (const zone of contig_page_data.node_zones) {
    if (!zone) continue;
    for (let order = 0; order < NR_PAGE_ORDERS; order++) {
      for (let mt = 0; mt < MIGRATE_TYPES; mt++) {
        for (const page of list_for_each_entry(zone_free_area(zone, order).free_list(mt), Page, 'lru')) {
          out.push([page_to_pfn(page), order, mt]);
        }
      }
    }
  }
  return out;
}

