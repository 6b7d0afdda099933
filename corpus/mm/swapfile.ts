/**
 * Swap devices and the reference counts of swap entries (mm/swapfile.c).
 *
 * One swap device is switched on at boot. Its swap_map (vzalloc'ed, one byte per slot, as
 * sys_swapon() does) counts the references to each slot: the low bits count the page-table
 * entries (and other users) holding the swap entry, SWAP_HAS_CACHE says a page for the slot
 * sits in the swap cache. A slot is free when its byte is 0; slot 0 holds the swap header
 * and is marked bad.
 *
 * Every page written to this device is stored in zswap (frontswap), and there is no block
 * device behind it: this is zswap with writeback disabled (memory.zswap.writeback=0), where
 * a page zswap rejects stays in memory and is activated. The slot and zswap entry of an
 * offset live and die together: freeing the slot invalidates the zswap entry
 * (frontswap_invalidate_page in swap_range_free).
 *
 * Simplifications: one device, no swap clusters or per-cpu slot caches (slots are found by
 * next-fit from cluster_next, as on a rotating disk), no swap count continuation pages (a
 * slot takes at most SWAP_MAP_MAX references; swap_duplicate() then fails with -ENOMEM).
 */
import { Page } from '../include/linux/mm_types.ts';
import { page_private, page_mapcount, page_mapped, put_page } from '../include/linux/mm.ts';
import {
  PageLocked, PageSwapCache, SetPageDirty, test_bit, PG_writeback, SetPageLocked, ClearPageLocked,
} from '../include/linux/page-flags.ts';
import { VM_BUG_ON_PAGE, BUG } from '../include/linux/mmdebug.ts';
import { PAGE_SIZE } from '../arch/x86/include/asm/page_64_types.ts';
import {
  type swp_entry_t, swp_entry, swp_type, swp_offset, non_swap_entry, MAX_SWAPFILES,
} from '../arch/x86/include/asm/pgtable.ts';
import { vzalloc, vfree } from '../include/linux/vmalloc.ts';
import { read8, write8 } from '../sim/memory.ts';
import { KernelBug } from '../sim/errors.ts';
import { register_initcall, InitLevel } from '../sim/initcall.ts';
import { register_report } from '../sim/reports.ts';
import { contig_page_data } from './page_alloc.ts';
import { zswap_swapon, zswap_swapoff, zswap_invalidate } from './zswap.ts';
import {
  find_get_page, delete_from_swap_cache, init_swap_address_space, exit_swap_address_space, total_swapcache_pages,
} from './swap_state.ts';

/* swap_map values (include/linux/swap.h). */
/** Flag: a page for this slot is in the swap cache. */
export const SWAP_HAS_CACHE = 0x40;
/** Flag: the count continues in a continuation page (not modelled). */
export const COUNT_CONTINUED = 0x80;
/** Maximum count held in the map byte itself. */
export const SWAP_MAP_MAX = 0x3e;
/** The slot is bad (slot 0 holds the swap header). */
export const SWAP_MAP_BAD = 0x3f;
/** Owned by shmem/tmpfs (not modelled). */
export const SWAP_MAP_SHMEM = 0xbf;

/* swap_info_struct flags (enum in include/linux/swap.h). */
export const SWP_USED = 1 << 0;
export const SWP_WRITEOK = 1 << 1;
export const SWP_SOLIDSTATE = 1 << 4;
export const SWP_SYNCHRONOUS_IO = 1 << 12;
export const SWP_VALID = 1 << 13;

const ENOMEM = 12;
const ENOENT = 2;
const EEXIST = 17;
const EINVAL = 22;

/** struct swap_info_struct: one swap device. */
export class SwapInfoStruct {
  flags = 0;
  prio = -2;
  type = 0;
  /** Slots on the device, including the header slot 0. */
  max = 0;
  /** Address of the vzalloc'ed swap_map: one count byte per slot. */
  swap_map = 0;
  /** Index of the first and last slot that may be free (the scan range). */
  lowest_bit = 0;
  highest_bit = 0;
  /** Usable slots (max minus the header and bad slots). */
  pages = 0;
  inuse_pages = 0;
  /** Where the next-fit scan for a free slot starts. */
  cluster_next = 1;
  swap_file = '/swapfile';
}

/** swap_info[]: the devices, by type. */
export const swap_info: Array<SwapInfoStruct | null> = [];
export let nr_swapfiles = 0;
/** Free slots on all writable devices (nr_swap_pages) and their size (total_swap_pages). */
export let nr_swap_pages = 0;
export let total_swap_pages = 0;

export function get_nr_swap_pages(): number {
  return nr_swap_pages;
}

/** More than half of swap is in use (vm_swap_full): swap cache is then dropped eagerly. */
export function vm_swap_full(): boolean {
  return nr_swap_pages * 2 < total_swap_pages;
}

/* ---- swap_map access ---- */

function map_get(si: SwapInfoStruct, offset: number): number {
  return read8(si.swap_map + offset);
}

function map_set(si: SwapInfoStruct, offset: number, v: number): void {
  write8(si.swap_map + offset, v);
}

/** The number of references in a map byte, without SWAP_HAS_CACHE. */
export function swap_count(ent: number): number {
  return ent & ~SWAP_HAS_CACHE;
}

function entry_str(entry: swp_entry_t): string {
  return entry.toString(16).padStart(8, '0');
}

/** swp_swap_info(): the device of an entry, or null. */
export function swp_swap_info(entry: swp_entry_t): SwapInfoStruct | null {
  const type = swp_type(entry);
  if (type >= nr_swapfiles) return null;
  return swap_info[type] ?? null;
}

/**
 * get_swap_device(): the device of `entry` if the entry can be valid, else null (the
 * kernel pins the device against swapoff; one CPU needs no pinning).
 */
export function get_swap_device(entry: swp_entry_t): SwapInfoStruct | null {
  if (!entry) return null;
  const si = swp_swap_info(entry);
  if (!si || !(si.flags & SWP_VALID)) return null;
  if (swp_offset(entry) >= si.max) return null;
  return si;
}

/**
 * _swap_info_get(): the device of an entry that must be in use. The kernel prints
 * "Bad swap file entry" / "Unused swap offset entry" and carries on; in the simulation a
 * reference to a bad or unused slot is a bug.
 */
function _swap_info_get(entry: swp_entry_t, who: string): SwapInfoStruct {
  if (!entry) throw new KernelBug(`${who}: Bad swap file entry ${entry_str(entry)}`);
  const si = swp_swap_info(entry);
  if (!si || !(si.flags & SWP_USED)) throw new KernelBug(`${who}: Bad swap file entry ${entry_str(entry)}`);
  if (swp_offset(entry) >= si.max) throw new KernelBug(`${who}: Bad swap offset entry ${entry_str(entry)}`);
  if (!map_get(si, swp_offset(entry))) throw new KernelBug(`${who}: Unused swap offset entry ${entry_str(entry)}`);
  return si;
}

/* ---- allocating and freeing slots ---- */

function swap_range_alloc(si: SwapInfoStruct, offset: number, nr: number): void {
  const end = offset + nr - 1;
  if (offset === si.lowest_bit) si.lowest_bit += nr;
  if (end === si.highest_bit) si.highest_bit -= nr;
  si.inuse_pages += nr;
  if (si.inuse_pages === si.pages) {
    si.lowest_bit = si.max;
    si.highest_bit = 0;
  }
}

function swap_range_free(si: SwapInfoStruct, offset: number, nr: number): void {
  const end = offset + nr - 1;
  if (offset < si.lowest_bit) si.lowest_bit = offset;
  if (end > si.highest_bit) si.highest_bit = end;
  nr_swap_pages += nr;
  si.inuse_pages -= nr;
  // frontswap_invalidate_page(): the compressed copy goes with the slot.
  for (let i = 0; i < nr; i++) zswap_invalidate(si.type, offset + i);
}

/** Find a free slot and give it `usage` (scan_swap_map_slots for one slot); 0 when full. */
function scan_swap_map_slot(si: SwapInfoStruct, usage: number): number {
  if (si.inuse_pages === si.pages) return 0;
  let offset = si.cluster_next;
  if (offset < si.lowest_bit || offset > si.highest_bit) offset = si.lowest_bit;
  const start = offset;
  while (map_get(si, offset)) {
    if (++offset > si.highest_bit) offset = si.lowest_bit;
    if (offset === start) return 0;
  }
  map_set(si, offset, usage);
  swap_range_alloc(si, offset, 1);
  si.cluster_next = offset + 1;
  return offset;
}

/**
 * Allocate a swap slot for `page`, owned by the swap cache (SWAP_HAS_CACHE). Returns the
 * swap entry, or 0 when swap is full.
 */
export function get_swap_page(_page: Page): swp_entry_t {
  if (nr_swap_pages <= 0) return 0;
  nr_swap_pages -= 1;
  for (let type = 0; type < nr_swapfiles; type++) {
    const si = swap_info[type];
    if (!si || (si.flags & (SWP_USED | SWP_WRITEOK)) !== (SWP_USED | SWP_WRITEOK)) continue;
    const offset = scan_swap_map_slot(si, SWAP_HAS_CACHE);
    if (offset) return swp_entry(type, offset);
  }
  nr_swap_pages += 1;
  return 0;
}

/** The slot's count and cache bit are gone: free it (swap_entry_free). */
function swap_entry_free(si: SwapInfoStruct, entry: swp_entry_t): void {
  const offset = swp_offset(entry);
  const count = map_get(si, offset);
  if (count !== SWAP_HAS_CACHE) BUG(`swap_entry_free: slot ${entry_str(entry)} still has count 0x${count.toString(16)}`);
  map_set(si, offset, 0);
  swap_range_free(si, offset, 1);
}

/** Drop `usage` (1 or SWAP_HAS_CACHE) from a slot; returns what is left (__swap_entry_free_locked). */
function __swap_entry_free_locked(si: SwapInfoStruct, offset: number, usage: number): number {
  let count = map_get(si, offset);
  let has_cache = count & SWAP_HAS_CACHE;
  count &= ~SWAP_HAS_CACHE;
  if (usage === SWAP_HAS_CACHE) {
    if (!has_cache) BUG(`swap cache bit clear on slot ${offset}`);
    has_cache = 0;
  } else if (count === SWAP_MAP_SHMEM) {
    count = 0;
  } else if ((count & ~COUNT_CONTINUED) <= SWAP_MAP_MAX) {
    if (count === 0) BUG(`swap count underflow on slot ${offset}`);
    count--;
  }
  const left = count | has_cache;
  // A slot about to be freed keeps SWAP_HAS_CACHE for swap_entry_free()'s check.
  map_set(si, offset, left || SWAP_HAS_CACHE);
  return left;
}

function __swap_entry_free(si: SwapInfoStruct, entry: swp_entry_t): number {
  const usage = __swap_entry_free_locked(si, swp_offset(entry), 1);
  if (!usage) swap_entry_free(si, entry);
  return usage;
}

/** Drop one reference to a swap entry (a PTE was faulted back in or zapped). */
export function swap_free(entry: swp_entry_t): void {
  const si = _swap_info_get(entry, 'swap_free');
  __swap_entry_free(si, entry);
}

/** The swap cache lets go of `entry` (put_swap_page, swapcache_free). */
export function put_swap_page(_page: Page, entry: swp_entry_t): void {
  const si = _swap_info_get(entry, 'put_swap_page');
  const offset = swp_offset(entry);
  if (!__swap_entry_free_locked(si, offset, SWAP_HAS_CACHE)) swap_entry_free(si, entry);
}

/**
 * Add `usage` to a slot's map byte (__swap_duplicate): 1 for another PTE (fork, unmap),
 * SWAP_HAS_CACHE for a page entering the swap cache (swapcache_prepare). 0 or -errno:
 * -EEXIST when the cache bit is already set, -ENOENT for an unused slot, -ENOMEM when the
 * count would need a continuation page.
 */
function __swap_duplicate(entry: swp_entry_t, usage: number): number {
  const si = get_swap_device(entry);
  if (!si) return -EINVAL;
  const offset = swp_offset(entry);
  let count = map_get(si, offset);
  if (swap_count(count) === SWAP_MAP_BAD) return -ENOENT;
  let has_cache = count & SWAP_HAS_CACHE;
  count &= ~SWAP_HAS_CACHE;
  let err = 0;
  if (usage === SWAP_HAS_CACHE) {
    if (!has_cache && count) has_cache = SWAP_HAS_CACHE;
    else if (has_cache) err = -EEXIST;
    else err = -ENOENT;
  } else if (count || has_cache) {
    if ((count & ~COUNT_CONTINUED) < SWAP_MAP_MAX) count += usage;
    else if ((count & ~COUNT_CONTINUED) > SWAP_MAP_MAX) err = -EINVAL;
    else err = -ENOMEM; // add_swap_count_continuation() is not modelled
  } else {
    err = -ENOENT;
  }
  if (!err) map_set(si, offset, count | has_cache);
  return err;
}

/** One more reference to a swap entry (copy_nonpresent_pte at fork, try_to_unmap). 0 or -errno. */
export function swap_duplicate(entry: swp_entry_t): number {
  return __swap_duplicate(entry, 1);
}

/** Claim the swap-cache bit of an in-use slot before reading it in (swapcache_prepare). */
export function swapcache_prepare(entry: swp_entry_t): number {
  return __swap_duplicate(entry, SWAP_HAS_CACHE);
}

/** References to `entry` from page tables (__swap_count). */
export function __swap_count(entry: swp_entry_t): number {
  const si = get_swap_device(entry);
  return si ? swap_count(map_get(si, swp_offset(entry))) : 0;
}

/** Same, for an entry that may be stale (__swp_swapcount; no continuation pages). */
export function __swp_swapcount(entry: swp_entry_t): number {
  return __swap_count(entry);
}

/** References to the swap entry of a swap-cache page (page_swapcount). */
export function page_swapcount(page: Page): number {
  const entry = page_private(page);
  const si = get_swap_device(entry);
  return si ? swap_count(map_get(si, swp_offset(entry))) : 0;
}

function page_swapped(page: Page): boolean {
  return page_swapcount(page) !== 0;
}

/**
 * If no page table references the page's swap entry any more, remove the page from the
 * swap cache and free the slot (the page is dirty again: its only copy is in memory).
 * The page must be locked. Returns true when it was freed from the swap cache.
 */
export function try_to_free_swap(page: Page): boolean {
  VM_BUG_ON_PAGE(!PageLocked(page), page, 'try_to_free_swap: page not locked');
  if (!PageSwapCache(page)) return false;
  if (test_bit(PG_writeback, page)) return false;
  if (page_swapped(page)) return false;
  delete_from_swap_cache(page);
  SetPageDirty(page);
  return true;
}

/**
 * A write fault on a swap-cache page: can the faulting mapping have it to itself? True when
 * it is the only mapping and the only swap reference; the page then leaves the swap cache
 * (and its slot) and may be written in place. The page must be locked (reuse_swap_page).
 */
export function reuse_swap_page(page: Page): boolean {
  VM_BUG_ON_PAGE(!PageLocked(page), page, 'reuse_swap_page: page not locked');
  const count = page_mapcount(page) + (PageSwapCache(page) ? page_swapcount(page) : 0);
  if (count === 1 && PageSwapCache(page) && !test_bit(PG_writeback, page)) {
    delete_from_swap_cache(page);
    SetPageDirty(page);
  }
  return count <= 1;
}

const TTRS_ANYWAY = 0x1;
const TTRS_UNMAPPED = 0x2;
const TTRS_FULL = 0x4;

/** Drop the swap cache page of a slot whose last page-table reference went (__try_to_reclaim_swap). */
function __try_to_reclaim_swap(si: SwapInfoStruct, offset: number, flags: number): boolean {
  const page = find_get_page(swp_entry(si.type, offset));
  if (!page) return false;
  let ret = false;
  // trylock_page(): a locked page is busy elsewhere (isolated by reclaim, being faulted in).
  if (!PageLocked(page)) {
    SetPageLocked(page);
    if ((flags & TTRS_ANYWAY) || ((flags & TTRS_UNMAPPED) && !page_mapped(page)) || ((flags & TTRS_FULL) && vm_swap_full())) {
      ret = try_to_free_swap(page);
    }
    ClearPageLocked(page);
  }
  put_page(page);
  return ret;
}

/**
 * A page-table entry holding `entry` is being zapped: drop its reference, and free the
 * swap-cache page too if nothing else needs it. False when the entry was bad.
 */
export function free_swap_and_cache(entry: swp_entry_t): boolean {
  if (non_swap_entry(entry)) return true;
  const si = get_swap_device(entry);
  if (!si) return false;
  if (!map_get(si, swp_offset(entry))) return false; // WARN_ON: unused slot
  const count = __swap_entry_free(si, entry);
  if (count === SWAP_HAS_CACHE) __try_to_reclaim_swap(si, swp_offset(entry), TTRS_UNMAPPED | TTRS_FULL);
  return true;
}

/* ---- swapon / swapoff ---- */

/** Switch on a swap device of `nr_slots` slots (sys_swapon, without the file). */
export function swapon(nr_slots: number, swap_file = '/swapfile'): SwapInfoStruct {
  let type = 0;
  while (type < nr_swapfiles && swap_info[type]) type++;
  if (type >= MAX_SWAPFILES) BUG('swapon: too many swap files');
  const si = new SwapInfoStruct();
  si.type = type;
  si.swap_file = swap_file;
  si.max = nr_slots;
  si.swap_map = vzalloc(nr_slots, '__do_sys_swapon');
  if (!si.swap_map) BUG(`swapon: cannot allocate swap_map for ${nr_slots} slots`);
  map_set(si, 0, SWAP_MAP_BAD); // the swap header
  si.pages = nr_slots - 1;
  si.lowest_bit = 1;
  si.highest_bit = nr_slots - 1;
  si.cluster_next = 1;
  si.flags = SWP_USED | SWP_WRITEOK | SWP_VALID | SWP_SOLIDSTATE | SWP_SYNCHRONOUS_IO;
  swap_info[type] = si;
  if (type >= nr_swapfiles) nr_swapfiles = type + 1;
  init_swap_address_space(type, nr_slots);
  zswap_swapon(type, nr_slots); // frontswap_init()
  nr_swap_pages += si.pages;
  total_swap_pages += si.pages;
  return si;
}

/** Switch a device off. Only an unused device: try_to_unuse() (swapping everything in) is not modelled. */
export function swapoff(si: SwapInfoStruct): void {
  if (si.inuse_pages) BUG(`swapoff ${si.swap_file}: ${si.inuse_pages} slots still in use`);
  si.flags &= ~(SWP_WRITEOK | SWP_VALID);
  nr_swap_pages -= si.pages;
  total_swap_pages -= si.pages;
  zswap_swapoff(si.type);
  exit_swap_address_space(si.type);
  vfree(si.swap_map);
  si.swap_map = 0;
  si.flags = 0;
  swap_info[si.type] = null;
}

/** Slots in use on all devices (for tests and reports). */
export function swap_slots_in_use(): number {
  let n = 0;
  for (let type = 0; type < nr_swapfiles; type++) n += swap_info[type]?.inuse_pages ?? 0;
  return n;
}

/** The map byte of an entry (tests and debugging). */
export function swap_map_value(entry: swp_entry_t): number {
  const si = get_swap_device(entry);
  return si ? map_get(si, swp_offset(entry)) : 0;
}

/**
 * What boot does about swap (userspace's `swapon -a`): switch on one device of twice the RAM.
 * Unlike module state this survives boot(), like a command line: a test that needs a
 * machine without swap sets `swapon` to false before booting.
 */
export const swap_boot_params = { swapon: true };

/** Default device size: twice the RAM, in slots (plus the header slot). */
function default_swap_slots(): number {
  return 2 * contig_page_data.totalram_pages + 1;
}

function swapfile_init(): void {
  swap_info.length = 0;
  nr_swapfiles = 0;
  nr_swap_pages = 0;
  total_swap_pages = 0;
  if (swap_boot_params.swapon) swapon(default_swap_slots());
}

// swapon at the end of boot (userspace's swapon -a), after zswap_init.
register_initcall(InitLevel.LATE, 'swapfile_init', swapfile_init);

/* ---- reports ---- */

function kb(pages: number): number {
  return pages * (PAGE_SIZE >> 10);
}

/** /proc/swaps */
export function swaps_text(): string {
  const lines = ['Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority'];
  for (let type = 0; type < nr_swapfiles; type++) {
    const si = swap_info[type];
    if (!si || !(si.flags & SWP_WRITEOK)) continue;
    lines.push(`${si.swap_file.padEnd(40)}file\t\t${kb(si.pages)}\t\t${kb(si.inuse_pages)}\t\t${si.prio}`);
  }
  lines.push('');
  lines.push(`SwapTotal: ${String(kb(total_swap_pages)).padStart(8)} kB`);
  lines.push(`SwapFree:  ${String(kb(nr_swap_pages)).padStart(8)} kB`);
  lines.push(`SwapCached:${String(kb(total_swapcache_pages())).padStart(8)} kB`);
  return lines.join('\n');
}

register_report({
  name: 'swaps',
  title: '/proc/swaps',
  text: swaps_text,
  json: () => ({
    devices: swap_info.filter((si): si is SwapInfoStruct => !!si).map((si) => ({
      filename: si.swap_file, size_kb: kb(si.pages), used_kb: kb(si.inuse_pages), priority: si.prio,
    })),
    SwapTotal: kb(total_swap_pages),
    SwapFree: kb(nr_swap_pages),
    SwapCached: kb(total_swapcache_pages()),
  }),
});

