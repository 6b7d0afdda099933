/**
 * zswap: a compressed cache for swap pages (mm/zswap.c).
 *
 * Reclaim hands zswap each anonymous page it swaps out (zswap_store, the frontswap store
 * hook in swap_writepage); zswap compresses it (raw deflate with the parameters of the
 * kernel's crypto/deflate.c, through node:zlib) into an object of the "zswap" zsmalloc pool
 * and records a zswap_entry for the page's swap offset. A swap-in decompresses the object
 * back into a new page (zswap_load); freeing the swap slot frees the entry
 * (zswap_invalidate). Pages whose words are all equal are stored as that value, without an
 * object (same-filled pages).
 *
 * Entries are found through a per-device table indexed by swap offset, vzalloc'ed at swapon
 * (as zram's table and the swap_map are): the 5.10 kernel used an rbtree per swap type, later
 * kernels an xarray; a flat vmalloc'ed array of entry pointers serves the same lookup. Each
 * zswap_entry is a slab object (kmem_cache "zswap_entry") with real fields:
 *
 *   0  swp_entry_t swpentry     8  int refcount     12 unsigned int length (0: same-filled)
 *   16 struct zswap_pool *pool  24 unsigned long handle / value           32 obj_cgroup *objcg
 *   40 u32 checksum (simulation debug check: a hash of the page, verified on every load)
 *
 * There is no swap device behind zswap (writeback disabled), so the pool never shrinks by
 * writing entries back: a store that would exceed max_pool_percent is rejected and reclaim
 * keeps the page. As in v5.10, a page that compresses badly still goes to zsmalloc, which
 * keeps it in a huge class (one object per page, the handle in the page); only output larger
 * than zsmalloc's largest object is rejected (reject_compress_poor).
 *
 * Allocations happen inside reclaim. The kernel runs reclaim with PF_MEMALLOC, which gives
 * them the memory reserves and keeps them from recursing into reclaim; here they pass
 * __GFP_HIGH without __GFP_DIRECT_RECLAIM, which the allocator treats the same way.
 */
import { inflateRawSync, constants as zlib_constants } from 'node:zlib';
import { deflate_raw } from '../sim/compress.ts';
import { Page } from '../include/linux/mm_types.ts';
import { page_private, page_to_pfn, page_address } from '../include/linux/mm.ts';
import { PageLocked, PageSwapCache } from '../include/linux/page-flags.ts';
import { VM_BUG_ON_PAGE, BUG, dump_page } from '../include/linux/mmdebug.ts';
import {
  __GFP_HIGH, __GFP_NOWARN, __GFP_NORETRY, __GFP_KSWAPD_RECLAIM, __GFP_HIGHMEM, __GFP_MOVABLE, GFP_KERNEL,
} from '../include/linux/gfp.ts';
import {
  kmem_cache_create, kmem_cache_alloc, kmem_cache_free, kzalloc, kfree, type KmemCache,
} from '../include/linux/slab.ts';
import { PAGE_SIZE } from '../arch/x86/include/asm/page_64_types.ts';
import { swp_type, swp_offset, type swp_entry_t, MAX_SWAPFILES } from '../arch/x86/include/asm/pgtable.ts';
import { ZS_MM_RO, ZS_MM_WO } from '../include/linux/zsmalloc.ts';
import {
  type ZsPool, zs_create_pool, zs_destroy_pool, zs_malloc, zs_free, zs_map_object, zs_unmap_object, zs_get_total_pages, zs_compact,
  ZS_MAX_ALLOC_SIZE,
} from './zsmalloc.ts';
import { vzalloc, vfree } from '../include/linux/vmalloc.ts';
import { read32, read32s, write32, read64, write64, bytes, copy_to, copy_from } from '../sim/memory.ts';
import { KernelBug } from '../sim/errors.ts';
import { register_initcall, InitLevel } from '../sim/initcall.ts';
import { register_report } from '../sim/reports.ts';
import { trace_event, tracepoints_enabled } from '../sim/trace.ts';
import { contig_page_data } from './page_alloc.ts';

/* ---- tunables (module parameters) ---- */

export const zswap_params = {
  enabled: true,
  compressor: 'deflate',
  zpool: 'zsmalloc',
  /** The maximum percentage of RAM the compressed pool may occupy. */
  max_pool_percent: 20,
  /** After hitting the limit, accept new pages again below this percentage of it. */
  accept_threshold_percent: 90,
  same_filled_pages_enabled: true,
};

/* ---- statistics (/sys/kernel/debug/zswap) ---- */

export const zswap_stats = {
  pool_limit_hit: 0,
  reject_reclaim_fail: 0,
  reject_alloc_fail: 0,
  reject_kmemcache_fail: 0,
  reject_compress_fail: 0,
  reject_compress_poor: 0,
  written_back_pages: 0,
  duplicate_entry: 0,
  /** Bytes used by the compressed pool (zs_get_total_pages() << PAGE_SHIFT). */
  pool_total_size: 0,
  stored_pages: 0,
  same_filled_pages: 0,
};

let zswap_pool_reached_full = false;

/* ---- struct zswap_entry ---- */

export const ZSWAP_ENTRY_SIZE = 48;
const E_SWPENTRY = 0;
const E_REFCOUNT = 8;
const E_LENGTH = 12;
const E_POOL = 16;
const E_HANDLE = 24; // union { handle; value }
const E_OBJCG = 32;
const E_CHECKSUM = 40;

/** struct zswap_pool: the zpool and the compressor; kzalloc'ed, entries point to it. */
const ZSWAP_POOL_SIZE = 8 + 128; // struct zpool *zpool; char tfm_name[CRYPTO_MAX_ALG_NAME]

interface ZswapPool {
  addr: number;
  zpool: ZsPool;
  tfm_name: string;
}

let zswap_pool: ZswapPool | null = null;
let zswap_entry_cache: KmemCache | null = null;

/** zswap_trees[type]: the vzalloc'ed table of entry pointers, one per swap offset. */
interface ZswapTree {
  table: number;
  nr: number;
}
const zswap_trees: Array<ZswapTree | null> = [];

/** crypto/deflate.c: raw deflate, Z_DEFAULT_COMPRESSION, a 2 KiB window, MAX_MEM_LEVEL (8). */
const DEFLATE_DEF_WINBITS = 11;
const DEFLATE_PARAMS = {
  level: zlib_constants.Z_DEFAULT_COMPRESSION,
  windowBits: DEFLATE_DEF_WINBITS,
  memLevel: 8,
};

/** Allocation flags inside reclaim (see the header: PF_MEMALLOC). */
const ZSWAP_GFP_RECLAIM = __GFP_HIGH | __GFP_NOWARN | __GFP_NORETRY | __GFP_KSWAPD_RECLAIM;

/* ---- the page checksum (simulation debug check) ---- */

/** FNV-1a over the page's 32-bit words: cheap, and any changed word changes it. */
export function zswap_page_checksum(data: Uint8Array): number {
  const words = new Uint32Array(data.buffer, data.byteOffset, data.length >>> 2);
  let h = 0x811c9dc5;
  for (let i = 0; i < words.length; i++) h = Math.imul(h ^ words[i]!, 0x01000193);
  return h >>> 0;
}

/* ---- pool size ---- */

function zswap_update_total_size(): void {
  zswap_stats.pool_total_size = zswap_pool ? zs_get_total_pages(zswap_pool.zpool) * PAGE_SIZE : 0;
}

function zswap_is_full(): boolean {
  return Math.floor((contig_page_data.totalram_pages * zswap_params.max_pool_percent) / 100) <
    Math.ceil(zswap_stats.pool_total_size / PAGE_SIZE);
}

function zswap_can_accept(): boolean {
  return Math.floor(
    (Math.floor((contig_page_data.totalram_pages * zswap_params.accept_threshold_percent) / 100) *
      zswap_params.max_pool_percent) / 100,
  ) > Math.ceil(zswap_stats.pool_total_size / PAGE_SIZE);
}

/* ---- entries and the table ---- */

function tree_slot(tree: ZswapTree, offset: number): number {
  if (offset >= tree.nr) BUG(`zswap: swap offset ${offset} beyond the table (${tree.nr})`);
  return tree.table + offset * 8;
}

function zswap_tree_search(tree: ZswapTree, offset: number): number {
  return read64(tree_slot(tree, offset));
}

function zswap_entry_cache_alloc(gfp: number): number {
  const entry = kmem_cache_alloc(zswap_entry_cache!, gfp);
  if (!entry) return 0;
  write32(entry + E_REFCOUNT, 1);
  return entry;
}

/** Free an entry's object (or same-filled count), the entry, and update the stats. */
function zswap_free_entry(entry: number): void {
  const length = read32(entry + E_LENGTH);
  if (!length) {
    zswap_stats.same_filled_pages--;
  } else {
    zs_free(zswap_pool!.zpool, read64(entry + E_HANDLE));
  }
  kmem_cache_free(zswap_entry_cache!, entry);
  zswap_stats.stored_pages--;
  zswap_update_total_size();
}

function zswap_entry_get(entry: number): void {
  write32(entry + E_REFCOUNT, read32s(entry + E_REFCOUNT) + 1);
}

/** Drop a reference; the last one frees the entry (it must be out of the table by then). */
function zswap_entry_put(entry: number): void {
  const refcount = read32s(entry + E_REFCOUNT) - 1;
  if (refcount < 0) BUG('zswap_entry_put: refcount underflow');
  write32(entry + E_REFCOUNT, refcount);
  if (refcount === 0) zswap_free_entry(entry);
}

/** Take the entry at `offset` out of the table and drop the table's reference. */
function zswap_invalidate_entry(tree: ZswapTree, offset: number, entry: number): void {
  write64(tree_slot(tree, offset), 0);
  zswap_entry_put(entry);
}

/* ---- same-filled pages ---- */

/** If every 64-bit word of the page is the same, that value as [lo, hi]; else null. */
function zswap_is_page_same_filled(data: Uint8Array): [number, number] | null {
  const w = new Uint32Array(data.buffer, data.byteOffset, data.length >>> 2);
  const lo = w[0]!;
  const hi = w[1]!;
  const last = w.length - 2;
  if (w[last] !== lo || w[last + 1] !== hi) return null;
  for (let i = 2; i < last; i += 2) {
    if (w[i] !== lo || w[i + 1] !== hi) return null;
  }
  return [lo, hi];
}

function zswap_fill_page(data: Uint8Array, lo: number, hi: number): void {
  const w = new Uint32Array(data.buffer, data.byteOffset, data.length >>> 2);
  for (let i = 0; i < w.length; i += 2) {
    w[i] = lo;
    w[i + 1] = hi;
  }
}

function page_data(page: Page): Uint8Array {
  return bytes(page_address(page), PAGE_SIZE); // kmap_atomic(): the direct map
}

function trace_zswap(what: string, page: Page, offset: number, detail: string): void {
  if (tracepoints_enabled) {
    trace_event(what, `pfn=0x${page_to_pfn(page).toString(16)} offset=0x${offset.toString(16)} ${detail}`);
  }
}

/* ---- store, load, invalidate ---- */

/**
 * Store the contents of a locked swap-cache page under its swap entry (page->private).
 * True when stored; false when rejected (the page must then stay in memory).
 */
export function zswap_store(page: Page): boolean {
  VM_BUG_ON_PAGE(!PageLocked(page), page, 'zswap_store: page not locked');
  VM_BUG_ON_PAGE(!PageSwapCache(page), page, 'zswap_store: page not in the swap cache');
  const swp: swp_entry_t = page_private(page);
  const type = swp_type(swp);
  const offset = swp_offset(swp);
  const tree = zswap_trees[type] ?? null;
  if (!zswap_params.enabled || !tree || !zswap_pool || !zswap_entry_cache) return false;

  // A stale entry for this offset must go first, or a failed store would leave it behind.
  const dupentry = zswap_tree_search(tree, offset);
  if (dupentry) {
    zswap_stats.duplicate_entry++;
    zswap_invalidate_entry(tree, offset, dupentry);
  }

  // Reclaim space if needed: with no swap device there is nothing to write entries back to.
  if (zswap_is_full()) {
    zswap_stats.pool_limit_hit++;
    zswap_pool_reached_full = true;
    zswap_stats.reject_reclaim_fail++;
    trace_zswap('zswap_reject', page, offset, 'reason=pool_limit_hit');
    return false;
  }
  if (zswap_pool_reached_full) {
    if (!zswap_can_accept()) {
      zswap_stats.reject_reclaim_fail++;
      trace_zswap('zswap_reject', page, offset, 'reason=pool_limit_hit');
      return false;
    }
    zswap_pool_reached_full = false;
  }

  const entry = zswap_entry_cache_alloc(ZSWAP_GFP_RECLAIM);
  if (!entry) {
    zswap_stats.reject_kmemcache_fail++;
    trace_zswap('zswap_reject', page, offset, 'reason=kmemcache_fail');
    return false;
  }

  const src = page_data(page);
  const checksum = zswap_page_checksum(src);
  let length = 0;
  const same = zswap_params.same_filled_pages_enabled ? zswap_is_page_same_filled(src) : null;
  if (same) {
    write32(entry + E_HANDLE, same[0]);
    write32(entry + E_HANDLE + 4, same[1]);
    zswap_stats.same_filled_pages++;
  } else {
    // compress
    let dst: Buffer;
    try {
      // The host's deflate (node:zlib; sim/compress.ts keeps results of inputs seen before).
      dst = deflate_raw(src, DEFLATE_PARAMS);
    } catch {
      zswap_stats.reject_compress_fail++;
      kmem_cache_free(zswap_entry_cache!, entry);
      trace_zswap('zswap_reject', page, offset, 'reason=compress_fail');
      return false;
    }
    length = dst.length;
    // zs_malloc() cannot take more than ZS_MAX_ALLOC_SIZE; huge-class sizes below it are kept.
    if (length > ZS_MAX_ALLOC_SIZE) {
      zswap_stats.reject_compress_poor++;
      kmem_cache_free(zswap_entry_cache!, entry);
      trace_zswap('zswap_reject', page, offset, `reason=compress_poor length=${length}`);
      return false;
    }
    // store
    const handle = zs_malloc(zswap_pool.zpool, length, ZSWAP_GFP_RECLAIM | __GFP_HIGHMEM | __GFP_MOVABLE);
    if (!handle) {
      zswap_stats.reject_alloc_fail++;
      kmem_cache_free(zswap_entry_cache!, entry);
      trace_zswap('zswap_reject', page, offset, 'reason=alloc_fail');
      return false;
    }
    const buf = zs_map_object(zswap_pool.zpool, handle, ZS_MM_WO);
    copy_to(buf, dst);
    zs_unmap_object(zswap_pool.zpool, handle);
    write64(entry + E_HANDLE, handle);
  }

  // populate entry
  write64(entry + E_SWPENTRY, swp);
  write32(entry + E_LENGTH, length);
  write64(entry + E_POOL, zswap_pool.addr);
  write64(entry + E_OBJCG, 0);
  write32(entry + E_CHECKSUM, checksum);
  write32(entry + E_CHECKSUM + 4, 0);

  // map
  write64(tree_slot(tree, offset), entry);
  zswap_stats.stored_pages++;
  zswap_update_total_size();
  trace_zswap('zswap_store', page, offset, `length=${length}`);
  return true;
}

/** The checksum failed or the data does not decompress: the stored copy is corrupt. */
function zswap_corrupt(page: Page, offset: number, why: string): never {
  throw new KernelBug(
    `zswap: ${why} (swap offset 0x${offset.toString(16)})`,
    dump_page(page, `zswap_load: ${why}`),
  );
}

/**
 * Decompress the stored copy of a locked swap-cache page's swap entry into the page. True
 * when found; a copy that fails its checksum is a KernelBug. The entry stays in the table
 * (the slot may be read again until it is freed).
 */
export function zswap_load(page: Page): boolean {
  VM_BUG_ON_PAGE(!PageLocked(page), page, 'zswap_load: page not locked');
  const swp: swp_entry_t = page_private(page);
  const type = swp_type(swp);
  const offset = swp_offset(swp);
  const tree = zswap_trees[type] ?? null;
  if (!tree || !zswap_pool) return false;

  // find
  const entry = zswap_tree_search(tree, offset);
  if (!entry) return false;
  zswap_entry_get(entry);
  if (read64(entry + E_SWPENTRY) !== swp) zswap_corrupt(page, offset, 'entry belongs to another swap entry');

  const dst = page_data(page);
  const length = read32(entry + E_LENGTH);
  if (!length) {
    zswap_fill_page(dst, read32(entry + E_HANDLE), read32(entry + E_HANDLE + 4));
  } else {
    // decompress
    const handle = read64(entry + E_HANDLE);
    const src = copy_from(zs_map_object(zswap_pool.zpool, handle, ZS_MM_RO), length);
    zs_unmap_object(zswap_pool.zpool, handle);
    let out: Buffer;
    try {
      out = inflateRawSync(src, { windowBits: DEFLATE_DEF_WINBITS });
    } catch (err) {
      zswap_entry_put(entry);
      zswap_corrupt(page, offset, `decompression failed: ${(err as Error).message}`);
    }
    if (out.length !== PAGE_SIZE) {
      zswap_entry_put(entry);
      zswap_corrupt(page, offset, `decompressed ${out.length} bytes, expected ${PAGE_SIZE}`);
    }
    dst.set(out);
  }
  const checksum = zswap_page_checksum(dst);
  if (checksum !== read32(entry + E_CHECKSUM)) {
    const stored = read32(entry + E_CHECKSUM);
    zswap_entry_put(entry);
    zswap_corrupt(page, offset, `checksum mismatch: stored ${stored.toString(16)}, loaded ${checksum.toString(16)}`);
  }
  trace_zswap('zswap_load', page, offset, `length=${length}`);
  zswap_entry_put(entry);
  return true;
}

/** The swap slot at `offset` was freed: drop its stored copy, if any. */
export function zswap_invalidate(type: number, offset: number): void {
  const tree = zswap_trees[type] ?? null;
  if (!tree) return;
  const entry = zswap_tree_search(tree, offset);
  if (!entry) return;
  zswap_invalidate_entry(tree, offset, entry);
}

/** A swap device of `nr_pages` slots was switched on: allocate its entry table (frontswap_init). */
export function zswap_swapon(type: number, nr_pages: number): void {
  if (type >= MAX_SWAPFILES) BUG(`zswap_swapon: bad swap type ${type}`);
  const table = vzalloc(nr_pages * 8, 'zswap_swapon');
  if (!table) {
    // pr_err("alloc failed, zswap disabled for swap type %d\n")
    trace_event('zswap', `alloc failed, zswap disabled for swap type ${type}`);
    zswap_trees[type] = null;
    return;
  }
  zswap_trees[type] = { table, nr: nr_pages };
}

/** The device is going away: free every entry and the table. */
export function zswap_swapoff(type: number): void {
  const tree = zswap_trees[type];
  if (!tree) return;
  for (let offset = 0; offset < tree.nr; offset++) {
    const entry = zswap_tree_search(tree, offset);
    if (entry) zswap_invalidate_entry(tree, offset, entry);
  }
  vfree(tree.table);
  zswap_trees[type] = null;
}

/* ---- queries for tests, reclaim traces and reports ---- */

/** The entry address stored for (type, offset), or 0. */
export function zswap_entry_at(type: number, offset: number): number {
  const tree = zswap_trees[type];
  return tree ? zswap_tree_search(tree, offset) : 0;
}

/** Compressed length of the copy at (type, offset): 0 for same-filled, -1 when none. */
export function zswap_entry_length(type: number, offset: number): number {
  const entry = zswap_entry_at(type, offset);
  return entry ? read32(entry + E_LENGTH) : -1;
}

/** The zsmalloc handle of the copy at (type, offset), or 0 (same-filled or none). */
export function zswap_entry_handle(type: number, offset: number): number {
  const entry = zswap_entry_at(type, offset);
  return entry && read32(entry + E_LENGTH) ? read64(entry + E_HANDLE) : 0;
}

/** The zsmalloc pool behind zswap. */
export function zswap_zpool(): ZsPool | null {
  return zswap_pool?.zpool ?? null;
}

/** Address of the vmalloc'ed entry table of a swap type, or 0. */
export function zswap_table_addr(type: number): number {
  return zswap_trees[type]?.table ?? 0;
}

/* ---- init and debugfs ---- */

/**
 * The kernel command line's zswap.enabled= (CONFIG_ZSWAP_DEFAULT_ON here). It survives
 * boot(): with it false, zswap_init() sets nothing up and every store is rejected.
 */
export const zswap_boot_params = { enabled: true };

function zswap_init(): void {
  for (const k of Object.keys(zswap_stats) as Array<keyof typeof zswap_stats>) zswap_stats[k] = 0;
  zswap_pool_reached_full = false;
  zswap_trees.length = 0;
  zswap_pool = null;
  zswap_entry_cache = null;
  zswap_params.enabled = zswap_boot_params.enabled;
  zswap_params.max_pool_percent = 20;
  zswap_params.accept_threshold_percent = 90;
  zswap_params.same_filled_pages_enabled = true;
  if (!zswap_params.enabled) return;
  zswap_entry_cache = kmem_cache_create('zswap_entry', ZSWAP_ENTRY_SIZE, 0, 0);
  const addr = kzalloc(ZSWAP_POOL_SIZE, GFP_KERNEL);
  if (!addr) BUG('zswap: pool creation failed');
  const zpool = zs_create_pool('zswap');
  write64(addr, zpool.addr);
  copy_to(addr + 8, new TextEncoder().encode(zswap_params.compressor));
  zswap_pool = { addr, zpool, tfm_name: zswap_params.compressor };
  zswap_update_total_size();
}

register_initcall(InitLevel.SUBSYS, 'zswap_init', zswap_init);

/** Tear the pool down (used by tests that need a pool-less zswap). */
export function zswap_pool_destroy(): void {
  if (!zswap_pool) return;
  if (zswap_stats.stored_pages) BUG(`zswap_pool_destroy: ${zswap_stats.stored_pages} pages still stored`);
  zs_destroy_pool(zswap_pool.zpool);
  kfree(zswap_pool.addr);
  zswap_pool = null;
}

/** The debugfs files in /sys/kernel/debug/zswap, as `grep . *` prints them. */
export function zswap_debugfs(): Record<string, number> {
  const s = zswap_stats;
  return {
    pool_limit_hit: s.pool_limit_hit,
    reject_reclaim_fail: s.reject_reclaim_fail,
    reject_alloc_fail: s.reject_alloc_fail,
    reject_kmemcache_fail: s.reject_kmemcache_fail,
    reject_compress_fail: s.reject_compress_fail,
    reject_compress_poor: s.reject_compress_poor,
    written_back_pages: s.written_back_pages,
    duplicate_entry: s.duplicate_entry,
    pool_total_size: s.pool_total_size,
    stored_pages: s.stored_pages,
    same_filled_pages: s.same_filled_pages,
  };
}

register_report({
  name: 'zswap',
  title: '/sys/kernel/debug/zswap',
  text: () => Object.entries(zswap_debugfs()).map(([k, v]) => `${k}:${v}`).join('\n'),
  json: zswap_debugfs,
});

/**
 * Compact the zswap pool's zsmalloc zspages (what zsmalloc's shrinker does under memory
 * pressure, zs_shrinker_scan -> zs_compact). Returns the pages freed.
 */
export function zswap_pool_compact(): number {
  return zswap_pool ? zs_compact(zswap_pool.zpool) : 0;
}
