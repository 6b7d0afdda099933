/**
 * SLUB: the slab allocator (mm/slub.c), v5.10 era, one CPU and one node.
 *
 * A slab is a (possibly compound) block of pages cut into objects of s->size bytes. The slab's
 * state lives in its head page's struct page, in the union words:
 *
 *   page->lru       the slab's place on the node's partial list (slab_list)
 *   page->mapping   the kmem_cache the slab belongs to (slab_cache)
 *   page->index     the first free object (freelist), 0 when none
 *   page->private   counters: inuse (bits 0-15), objects (bits 16-30), frozen (bit 31)
 *   page_type       PGTY_slab
 *
 * Free objects are chained through a free pointer stored inside each free object at
 * object + s->offset. The CPU slab is frozen: its free objects are on the lockless
 * c->freelist (kmem_cache_cpu) and page->freelist is empty. Partially used slabs are on the
 * node's partial list; full slabs are on no list (no SLAB_STORE_USER tracking). There are
 * no per-CPU partial slabs (CONFIG_SLUB_CPU_PARTIAL off) and no freelist hardening or
 * randomisation; a naive double-free check (the object is the current freelist head) is on.
 *
 * Caches with SLAB_RED_ZONE or SLAB_POISON are debug caches: they never keep a CPU slab,
 * every allocation and free goes through the slow paths and checks red zones, poison and
 * free pointers, as with slub_debug.
 *
 * Stage 2 (dormant until slab_memdesc_init() is called; no workload does): separately
 * allocated struct slabs. Caches created after it have __SLAB_SLAB_DESC: each new slab gets a
 * struct slab (SLAB_DESC_*) from the 'slab' descriptor cache, the slab's first page carries the
 * memdesc word pointing at it, and the slab's place on the partial list is the descriptor's
 * slab_list instead of page->lru (which is the memdesc word). The mutual recursion of 000_*
 * (a slab of struct slabs needs a struct slab) is broken by self-description: a slab of the
 * slab descriptor cache keeps its own struct slab in its first object, so allocating one never
 * allocates a descriptor; such a slab is empty when that object is the only one in use.
 * Freelist and counters stay in struct page until the slab kind is separated.
 */
import { Page } from '../include/linux/mm_types.ts';
import {
  ListHead, INIT_LIST_HEAD, list_add, list_add_tail, list_del, list_for_each_entry, list_first_entry, list_entries,
} from '../include/linux/list.ts';
import {
  MEMDESC_TYPE_SLAB, PageMemdesc, set_page_memdesc, clear_page_memdesc, memdesc_create,
  memdesc_slab, memdesc_desc_page, memdesc_set_desc_page, memdesc_account, memdesc_caches_init,
} from '../include/linux/memdesc.ts';
import {
  PageSlab, __SetPageSlab, __ClearPageSlab, PageLargeKmalloc, __SetPageLargeKmalloc, __ClearPageLargeKmalloc,
} from '../include/linux/page-flags.ts';
import {
  virt_to_page, compound_head, compound_order, page_address, page_zone, page_size, page_to_pfn, pfn_to_page, __pa, PAGE_SIZE,
} from '../include/linux/mm.ts';
import { VM_BUG_ON_PAGE, VM_BUG_ON, BUG, dump_page } from '../include/linux/mmdebug.ts';
import { ZoneStat, __mod_zone_page_state, MAX_PAGE_ORDER } from '../include/linux/mmzone.ts';
import {
  __GFP_COMP, __GFP_ZERO, __GFP_NOWARN, __GFP_NORETRY, __GFP_NOFAIL, __GFP_RECLAIM, __GFP_DIRECT_RECLAIM,
  __GFP_RECLAIMABLE, __GFP_DMA32, __GFP_HIGHMEM, __GFP_HIGH, __GFP_IO, __GFP_FS, __GFP_RETRY_MAYFAIL,
  __GFP_ATOMIC, __GFP_HARDWALL, GFP_KERNEL, GFP_NOWAIT, format_gfp,
} from '../include/linux/gfp.ts';
import {
  SLAB_HWCACHE_ALIGN, SLAB_RECLAIM_ACCOUNT, SLAB_TYPESAFE_BY_RCU, SLAB_POISON, SLAB_RED_ZONE,
  SLAB_STORE_USER, SLAB_CACHE_DMA32, SLAB_DEBUG_FLAGS, ZERO_SIZE_PTR, KMALLOC_MAX_CACHE_SIZE,
} from '../include/linux/slab.ts';
import { POISON_FREE, POISON_END, POISON_INUSE } from '../include/linux/poison.ts';
import { alloc_pages, alloc_pages_misc, __free_pages, __free_pages_memdesc } from './page_alloc.ts';
import { read64, write64, write32, memcpy, phys_fill, phys_bytes } from '../sim/memory.ts';
import { KernelBug, formatKernelAddress } from '../sim/errors.ts';
import { ObjectRegistry } from '../sim/objects.ts';
import { register_initcall, InitLevel } from '../sim/initcall.ts';
import { static_alloc } from '../sim/kernel_image.ts';
import { trace_event, tracepoints_enabled } from '../sim/trace.ts';
import {
  slab_common_init, slab_caches_add, create_boot_cache, create_kmalloc_caches, setup_kmalloc_cache_index_table,
  kmalloc_slab, kmalloc_large, memdesc_cache_create, memdesc_alloc, memdesc_free,
} from './slab_common.ts';

/* ------------------------------------------------------------------------------------------
 * struct kmem_cache and struct kmem_cache_node
 * ---------------------------------------------------------------------------------------- */

/**
 * Byte offsets inside struct kmem_cache (include/linux/slub_def.h, x86-64, one node). The
 * allocator works on the JS fields of KmemCache; the struct's image in simulated memory is
 * written when the cache is set up, so that the object the slab pages point to is real.
 */
export const KMEM_CACHE_CPU_SLAB = 0;
export const KMEM_CACHE_FLAGS = 8;
export const KMEM_CACHE_MIN_PARTIAL = 16;
export const KMEM_CACHE_SIZE_OFF = 24;
export const KMEM_CACHE_OBJECT_SIZE = 28;
export const KMEM_CACHE_OFFSET = 40;
export const KMEM_CACHE_OO = 48;
export const KMEM_CACHE_MAX = 52;
export const KMEM_CACHE_MIN = 56;
export const KMEM_CACHE_ALLOCFLAGS = 60;
export const KMEM_CACHE_REFCOUNT = 64;
export const KMEM_CACHE_CTOR = 72;
export const KMEM_CACHE_INUSE = 80;
export const KMEM_CACHE_ALIGN = 84;
export const KMEM_CACHE_RED_LEFT_PAD = 88;
export const KMEM_CACHE_NAME = 96;
/** struct list_head list: the cache's place on slab_caches. */
export const KMEM_CACHE_LIST = 104;
export const KMEM_CACHE_USEROFFSET = 184;
export const KMEM_CACHE_USERSIZE = 188;
/** struct kmem_cache_node *node[MAX_NUMNODES]. */
export const KMEM_CACHE_NODE = 192;
/** offsetof(struct kmem_cache, node) + nr_node_ids * sizeof(struct kmem_cache_node *). */
export const KMEM_CACHE_STRUCT_SIZE = KMEM_CACHE_NODE + 8;

/** struct kmem_cache_node (mm/slab.h, SLUB with CONFIG_SLUB_DEBUG): 64 bytes. */
export const KMEM_CACHE_NODE_LIST_LOCK = 0;
export const KMEM_CACHE_NODE_NR_PARTIAL = 8;
export const KMEM_CACHE_NODE_PARTIAL = 16;
export const KMEM_CACHE_NODE_NR_SLABS = 32;
export const KMEM_CACHE_NODE_TOTAL_OBJECTS = 40;
export const KMEM_CACHE_NODE_FULL = 48;
export const KMEM_CACHE_NODE_STRUCT_SIZE = 64;

/** The per-node slab lists of a cache: a view over the kmem_cache_node object. */
export class KmemCacheNode {
  /** Partially used slabs, threaded through page->lru. */
  readonly partial: ListHead;
  /** Full slabs (only tracked with SLAB_STORE_USER, which the simulation does not model). */
  readonly full: ListHead;
  constructor(readonly addr: number) {
    this.partial = new ListHead(addr + KMEM_CACHE_NODE_PARTIAL);
    this.full = new ListHead(addr + KMEM_CACHE_NODE_FULL);
  }
  get nr_partial(): number {
    return read64(this.addr + KMEM_CACHE_NODE_NR_PARTIAL);
  }
  set nr_partial(v: number) {
    write64(this.addr + KMEM_CACHE_NODE_NR_PARTIAL, v);
  }
  get nr_slabs(): number {
    return read64(this.addr + KMEM_CACHE_NODE_NR_SLABS);
  }
  set nr_slabs(v: number) {
    write64(this.addr + KMEM_CACHE_NODE_NR_SLABS, v);
  }
  get total_objects(): number {
    return read64(this.addr + KMEM_CACHE_NODE_TOTAL_OBJECTS);
  }
  set total_objects(v: number) {
    write64(this.addr + KMEM_CACHE_NODE_TOTAL_OBJECTS, v);
  }
}

/** struct kmem_cache: the JS side of a cache whose struct lives at `addr`. */
export class KmemCache {
  name = '';
  flags = 0;
  /** Keep at least this many empty slabs on the partial list. */
  min_partial = 0;
  /** Bytes per object including metadata (the stride in the slab). */
  size = 0;
  /** Bytes the user asked for. */
  object_size = 0;
  /** Offset of the free pointer inside an object. */
  offset = 0;
  /** Preferred slab order and objects per slab, and the packed kmem_cache_order_objects. */
  order = 0;
  objects = 0;
  oo = 0;
  /** Fallback (minimum) order/objects, and the largest objects count of any slab. */
  min = 0;
  max = 0;
  /** gfp flags added to every slab allocation (__GFP_COMP, __GFP_RECLAIMABLE). */
  allocflags = 0;
  refcount = 0;
  ctor: ((obj: number) => void) | null = null;
  /** Offset to metadata after the object (object size plus right red zone). */
  inuse = 0;
  align = 0;
  red_left_pad = 0;
  useroffset = 0;
  usersize = 0;
  /** node[0]. */
  node: KmemCacheNode | null = null;

  /* struct kmem_cache_cpu of the only CPU. */
  /** The CPU slab (frozen), or null. */
  cpu_page: Page | null = null;
  /**
   * Its first page's pfn (-1 when none): the free fast path compares against it. A pfn, not the
   * address of struct page or struct slab, so the test holds however struct slab is allocated.
   */
  cpu_slab_pfn = -1;
  /** The lockless freelist of the CPU slab. */
  cpu_freelist = 0;
  /** Start and end of the CPU slab's objects, for free pointer checks. */
  cpu_base = 0;
  cpu_end = 0;

  constructor(readonly addr: number) {}
}

/* ------------------------------------------------------------------------------------------
 * Module state (reset by kmem_cache_init)
 * ---------------------------------------------------------------------------------------- */

/** Every live struct kmem_cache, by address: page->mapping of a slab page resolves here. */
const kmem_caches = new ObjectRegistry<KmemCache>('kmem_cache');

/** The cache of struct kmem_cache and the cache of struct kmem_cache_node. */
export let kmem_cache: KmemCache | null = null;
export let kmem_cache_node: KmemCache | null = null;

export enum SlabState {
  DOWN,
  PARTIAL,
  PARTIAL_NODE,
  UP,
  FULL,
}
export let slab_state = SlabState.DOWN;

/** The last page->mapping resolved by kfree(): most frees hit the same cache again. */
let last_cache: KmemCache | null = null;

/** The cache whose struct kmem_cache is at `addr` (page->slab_cache to the cache). */
export function kmem_cache_from_addr(addr: number): KmemCache {
  const s = last_cache;
  if (s !== null && s.addr === addr) return s;
  const found = kmem_caches.get(addr);
  last_cache = found;
  return found;
}

export function kmem_cache_find(addr: number): KmemCache | undefined {
  return kmem_caches.find(addr);
}

export function register_kmem_cache(s: KmemCache): void {
  kmem_caches.register(s.addr, s);
}

export function unregister_kmem_cache(s: KmemCache): void {
  kmem_caches.unregister(s.addr);
  if (last_cache === s) last_cache = null;
}

/* ------------------------------------------------------------------------------------------
 * Tunables and geometry
 * ---------------------------------------------------------------------------------------- */

export const slub_min_order = 0;
export const slub_max_order = 3; // PAGE_ALLOC_COSTLY_ORDER
export const slub_min_objects = 0;
const nr_cpu_ids = 1;
const MIN_PARTIAL = 5;
const MAX_PARTIAL = 10;
export const OO_SHIFT = 16;
export const OO_MASK = (1 << OO_SHIFT) - 1;
export const MAX_OBJS_PER_PAGE = 32767;
/** Internal flag: poison the object (SLAB_POISON without a ctor or RCU). */
export const __OBJECT_POISON = 0x80000000;

/** SLUB debug: red zone bytes of free and of allocated objects. */
export const SLUB_RED_INACTIVE = 0xbb;
export const SLUB_RED_ACTIVE = 0xcc;

export const DEACTIVATE_TO_HEAD = 0;
export const DEACTIVATE_TO_TAIL = 1;

export function fls(x: number): number {
  return x === 0 ? 0 : 32 - Math.clz32(x);
}

export function ilog2(x: number): number {
  return 31 - Math.clz32(x);
}

/** get_order(): the smallest order whose block holds `size` bytes. */
export function get_order(size: number): number {
  let order = 0;
  while (PAGE_SIZE * 2 ** order < size) order++;
  return order;
}

function ALIGN(x: number, a: number): number {
  return Math.ceil(x / a) * a;
}

export function order_objects(order: number, size: number): number {
  return Math.floor((PAGE_SIZE * 2 ** order) / size);
}

export function oo_make(order: number, size: number): number {
  return order * 2 ** OO_SHIFT + order_objects(order, size);
}

export function oo_order(x: number): number {
  return x >>> OO_SHIFT;
}

export function oo_objects(x: number): number {
  return x & OO_MASK;
}

export function kmem_cache_debug(s: KmemCache): boolean {
  return (s.flags & SLAB_DEBUG_FLAGS) !== 0;
}

/* ------------------------------------------------------------------------------------------
 * page->private as the slab's counters, page->index as its freelist
 * ---------------------------------------------------------------------------------------- */

const FROZEN_BIT = 0x80000000;

/** Pack inuse:16, objects:15, frozen:1 into the counters word. */
export function slab_counters(inuse: number, objects: number, frozen: number): number {
  return (inuse & 0xffff) + (objects & 0x7fff) * 0x10000 + (frozen ? FROZEN_BIT : 0);
}

export function counters_inuse(counters: number): number {
  return counters & 0xffff;
}

export function counters_objects(counters: number): number {
  return (counters >>> 16) & 0x7fff;
}

export function counters_frozen(counters: number): number {
  return counters >>> 31;
}

/** page->inuse: objects handed out (all of them while the slab is a CPU slab). */
export function slab_inuse(page: Page): number {
  return counters_inuse(page.private);
}

/** page->objects: objects in the slab. */
export function slab_objects(page: Page): number {
  return counters_objects(page.private);
}

/** page->frozen: the slab is a CPU slab. */
export function slab_frozen(page: Page): number {
  return counters_frozen(page.private);
}

export function set_slab_inuse(page: Page, inuse: number): void {
  const c = page.private;
  page.private = slab_counters(inuse, counters_objects(c), counters_frozen(c));
}

export function set_slab_objects(page: Page, objects: number): void {
  const c = page.private;
  page.private = slab_counters(counters_inuse(c), objects, counters_frozen(c));
}

export function set_slab_frozen(page: Page, frozen: number): void {
  const c = page.private;
  page.private = slab_counters(counters_inuse(c), counters_objects(c), frozen);
}

/** The slab's first free object (page->freelist). */
export function slab_freelist(page: Page): number {
  return page.index;
}

/* ------------------------------------------------------------------------------------------
 * Free pointers: stored inside free objects at object + s->offset
 * ---------------------------------------------------------------------------------------- */

export function get_freepointer(s: KmemCache, object: number): number {
  return read64(object + s.offset);
}

export function set_freepointer(s: KmemCache, object: number, fp: number): void {
  if (object === fp) double_free(s, object);
  write64(object + s.offset, fp);
}

function double_free(s: KmemCache, object: number): never {
  const page = compound_head(virt_to_page(object));
  throw new KernelBug(
    `kernel BUG at mm/slub.c: double free or corruption: ${s.name} object ${formatKernelAddress(object)} is already the freelist head`,
    dump_page(page, 'double free or corruption'),
  );
}

/** Objects start after the left red zone. */
function fixup_red_left(s: KmemCache, p: number): number {
  return p + s.red_left_pad;
}

/** Is `object` 0 or the start of an object of this slab? */
export function check_valid_pointer(s: KmemCache, page: Page, object: number): boolean {
  if (object === 0) return true;
  const base = page_address(page);
  const p = object - s.red_left_pad;
  return !(p < base || p >= base + counters_objects(page.private) * s.size || (p - base) % s.size !== 0);
}

/* ------------------------------------------------------------------------------------------
 * Error reports (slab_err / object_err): a KernelBug carrying the slab page's dump
 * ---------------------------------------------------------------------------------------- */

export function slab_err(s: KmemCache, page: Page, msg: string): never {
  throw new KernelBug(`BUG ${s.name} (Not tainted): ${msg}`, dump_page(page, `slab_err: ${msg}`));
}

function object_err(s: KmemCache, page: Page, object: number, reason: string): never {
  const base = page_address(page);
  // The slab's first struct page, by pfn: the same however struct slab is allocated.
  const first = pfn_to_page(page_to_pfn(page));
  throw new KernelBug(
    `BUG ${s.name} (Not tainted): ${reason}\nINFO: Slab ${formatKernelAddress(first.addr)} objects=${slab_objects(page)} ` +
      `used=${slab_inuse(page)} fp=${formatKernelAddress(page.index)}\n` +
      `INFO: Object ${formatKernelAddress(object)} @offset=${object - base}`,
    dump_page(page, reason),
  );
}

/** check_slab(): the counters must describe this slab. */
export function check_slab(s: KmemCache, page: Page): void {
  if (!PageSlab(page)) slab_err(s, page, 'Not a valid slab page');
  const counters = page.private;
  const maxobj = order_objects(compound_order(page), s.size);
  const objects = counters_objects(counters);
  const inuse = counters_inuse(counters);
  if (objects > maxobj) slab_err(s, page, `objects ${objects} > max ${maxobj}`);
  if (objects === 0) slab_err(s, page, 'objects 0');
  if (inuse > objects) slab_err(s, page, `inuse ${inuse} > max ${objects}`);
}

/** The freelist of a slab taken off a list must point into it. */
function check_freelist(s: KmemCache, page: Page, freelist: number): void {
  if (!check_valid_pointer(s, page, freelist)) {
    slab_err(s, page, `Freechain corrupt: freelist ${formatKernelAddress(freelist)} is not an object of this slab`);
  }
}

function freelist_corrupted(s: KmemCache, object: number, nextfree: number): never {
  const page = compound_head(virt_to_page(object));
  object_err(s, page, object, `Freechain corrupt: free pointer ${formatKernelAddress(nextfree)}`);
}

/* ---- SLUB debug: red zones and poison (debug caches only) ---- */

function init_object(s: KmemCache, object: number, val: number): void {
  const p = __pa(object);
  if (s.flags & SLAB_RED_ZONE) phys_fill(p - s.red_left_pad, s.red_left_pad, val);
  if (s.flags & __OBJECT_POISON) {
    phys_fill(p, s.object_size - 1, POISON_FREE);
    phys_fill(p + s.object_size - 1, 1, POISON_END);
  }
  if (s.flags & SLAB_RED_ZONE) phys_fill(p + s.object_size, s.inuse - s.object_size, val);
}

function check_bytes_and_report(s: KmemCache, page: Page, object: number, what: string, start: number, value: number, bytes: number): void {
  if (bytes <= 0) return;
  const mem = phys_bytes(__pa(start), bytes);
  let i = 0;
  while (i < bytes && mem[i] === value) i++;
  if (i === bytes) return;
  let end = bytes;
  while (end > i && mem[end - 1] === value) end--;
  const base = page_address(page);
  throw new KernelBug(
    `BUG ${s.name} (Not tainted): ${what} overwritten\n` +
      `INFO: ${formatKernelAddress(start + i)}-${formatKernelAddress(start + end - 1)} @offset=${start + i - base}. ` +
      `First byte 0x${mem[i]!.toString(16)} instead of 0x${value.toString(16)}\n` +
      `INFO: Object ${formatKernelAddress(object)} @offset=${object - base}`,
    dump_page(page, `${what} overwritten`),
  );
}

function check_object(s: KmemCache, page: Page, object: number, val: number): void {
  if (s.flags & SLAB_RED_ZONE) {
    check_bytes_and_report(s, page, object, 'Left Redzone', object - s.red_left_pad, val, s.red_left_pad);
    check_bytes_and_report(s, page, object, 'Right Redzone', object + s.object_size, val, s.inuse - s.object_size);
  }
  if ((s.flags & SLAB_POISON) && val !== SLUB_RED_ACTIVE && (s.flags & __OBJECT_POISON)) {
    check_bytes_and_report(s, page, object, 'Poison', object, POISON_FREE, s.object_size - 1);
    check_bytes_and_report(s, page, object, 'End Poison', object + s.object_size - 1, POISON_END, 1);
  }
  // The free pointer of an allocated object may be user data when it overlays the object.
  if (s.offset < s.inuse && val === SLUB_RED_ACTIVE) return;
  if (!check_valid_pointer(s, page, get_freepointer(s, object))) object_err(s, page, object, 'Freepointer corrupt');
}

/** Is `search` on the slab's page->freelist? */
function on_freelist(s: KmemCache, page: Page, search: number): boolean {
  let fp = page.index;
  let nr = 0;
  const objects = slab_objects(page);
  while (fp !== 0 && nr <= objects) {
    if (fp === search) return true;
    if (!check_valid_pointer(s, page, fp)) object_err(s, page, fp, 'Freechain corrupt');
    fp = get_freepointer(s, fp);
    nr++;
  }
  return false;
}

function alloc_debug_processing(s: KmemCache, page: Page, object: number): void {
  check_slab(s, page);
  if (!check_valid_pointer(s, page, object)) object_err(s, page, object, 'Freelist Pointer check fails');
  check_object(s, page, object, SLUB_RED_INACTIVE);
  init_object(s, object, SLUB_RED_ACTIVE);
}

function free_debug_processing(s: KmemCache, page: Page, object: number): void {
  check_slab(s, page);
  if (!check_valid_pointer(s, page, object)) object_err(s, page, object, `Invalid object pointer ${formatKernelAddress(object)}`);
  if (on_freelist(s, page, object)) object_err(s, page, object, 'Object already free');
  check_object(s, page, object, SLUB_RED_ACTIVE);
  if (page.mapping !== s.addr) object_err(s, page, object, 'page slab pointer corrupt.');
  init_object(s, object, SLUB_RED_INACTIVE);
}

/* ------------------------------------------------------------------------------------------
 * Node lists and slab counts
 * ---------------------------------------------------------------------------------------- */

export function init_kmem_cache_node(n: KmemCacheNode): void {
  write32(n.addr + KMEM_CACHE_NODE_LIST_LOCK, 0);
  n.nr_partial = 0;
  INIT_LIST_HEAD(n.partial);
  n.nr_slabs = 0;
  n.total_objects = 0;
  INIT_LIST_HEAD(n.full);
}

function __add_partial(n: KmemCacheNode, page: Page, tail: number): void {
  n.nr_partial = n.nr_partial + 1;
  if (PageMemdesc(page)) slab_desc_list_add(n, page, tail);
  else if (tail === DEACTIVATE_TO_TAIL) list_add_tail(page.lru, n.partial);
  else list_add(page.lru, n.partial);
}

function add_partial(n: KmemCacheNode, page: Page, tail: number): void {
  __add_partial(n, page, tail);
}

function remove_partial(n: KmemCacheNode, page: Page): void {
  if (PageMemdesc(page)) list_del(slab_desc_list(memdesc_slab(page)));
  else list_del(page.lru);
  n.nr_partial = n.nr_partial - 1;
}

function inc_slabs_node(s: KmemCache, objects: number): void {
  const n = s.node;
  // Early in boot the kmem_cache_node slab exists before its node: counted afterwards.
  if (n !== null) {
    n.nr_slabs = n.nr_slabs + 1;
    n.total_objects = n.total_objects + objects;
  }
}

function dec_slabs_node(s: KmemCache, objects: number): void {
  const n = s.node!;
  n.nr_slabs = n.nr_slabs - 1;
  n.total_objects = n.total_objects - objects;
}

/* ------------------------------------------------------------------------------------------
 * Slab allocation and freeing
 * ---------------------------------------------------------------------------------------- */

function cache_vmstat_idx(s: KmemCache): ZoneStat {
  return s.flags & SLAB_RECLAIM_ACCOUNT ? ZoneStat.NR_SLAB_RECLAIMABLE : ZoneStat.NR_SLAB_UNRECLAIMABLE;
}

function account_slab_page(page: Page, order: number, s: KmemCache): void {
  __mod_zone_page_state(page_zone(page), cache_vmstat_idx(s), 1 << order);
}

function unaccount_slab_page(page: Page, order: number, s: KmemCache): void {
  __mod_zone_page_state(page_zone(page), cache_vmstat_idx(s), -(1 << order));
}

function alloc_slab_page(s: KmemCache, flags: number, oo: number): Page | null {
  const order = oo_order(oo);
  // A slab of struct slabs describes itself: it never waits for a struct slab from its own cache.
  if (s === slab_desc_cache) return alloc_slab_desc_page(s, flags, order);
  const page = alloc_pages(flags, order);
  if (page) account_slab_page(page, order, s);
  return page;
}

function setup_object(s: KmemCache, object: number): void {
  if (s.flags & (SLAB_RED_ZONE | __OBJECT_POISON)) init_object(s, object, SLUB_RED_INACTIVE);
  if (s.ctor) s.ctor(object);
}

/** GFP_RECLAIM_MASK | GFP_CONSTRAINT_MASK: what a slab allocation keeps of the caller's gfp. */
function gfp_slab_mask(): number {
  return __GFP_RECLAIM | __GFP_HIGH | __GFP_IO | __GFP_FS | __GFP_NOWARN | __GFP_RETRY_MAYFAIL |
    __GFP_NOFAIL | __GFP_NORETRY | __GFP_ATOMIC | __GFP_HARDWALL;
}

function allocate_slab(s: KmemCache, flags: number): Page | null {
  // Stage 2: the struct slab first (a slab of struct slabs describes itself, see below).
  let desc = 0;
  if ((s.flags & __SLAB_SLAB_DESC) && s !== slab_desc_cache) {
    desc = memdesc_alloc(MEMDESC_TYPE_SLAB, flags & gfp_slab_mask());
    if (desc === 0) return null;
  }
  flags |= s.allocflags;
  let oo = s.oo;
  // Let the higher-order attempt fail quietly under pressure: the minimum order is the fallback.
  let alloc_gfp = (flags | __GFP_NOWARN | __GFP_NORETRY) & ~__GFP_NOFAIL;
  if ((alloc_gfp & __GFP_DIRECT_RECLAIM) && oo_order(oo) > oo_order(s.min)) {
    alloc_gfp &= ~(__GFP_RECLAIM | __GFP_NOFAIL);
  }
  let page = alloc_slab_page(s, alloc_gfp, oo);
  if (!page) {
    oo = s.min;
    alloc_gfp = flags;
    page = alloc_slab_page(s, alloc_gfp, oo);
    if (!page) {
      if (desc !== 0) memdesc_free(MEMDESC_TYPE_SLAB, desc);
      return null;
    }
  }
  const objects = oo_objects(oo);
  page.mapping = s.addr;
  __SetPageSlab(page);
  const start = page_address(page);
  if (s.flags & SLAB_POISON) phys_fill(__pa(start), PAGE_SIZE << oo_order(oo), POISON_INUSE);

  let p = fixup_red_left(s, start);
  // Self-description: a slab of the struct slab cache holds its own struct slab in object 0.
  let first = 0;
  if (s === slab_desc_cache) {
    VM_BUG_ON_PAGE(objects < 2, page, 'allocate_slab: a self-described slab needs room for more than itself');
    setup_object(s, p);
    if (kmem_cache_debug(s)) init_object(s, p, SLUB_RED_ACTIVE);
    desc = p;
    p += s.size;
    first = 1;
  }
  setup_object(s, p);
  page.index = p;
  for (let idx = first; idx < objects - 1; idx++) {
    const next = p + s.size;
    setup_object(s, next);
    set_freepointer(s, p, next);
    p = next;
  }
  set_freepointer(s, p, 0);
  page.private = slab_counters(objects, objects, 1);
  inc_slabs_node(s, objects);
  if (desc !== 0) slab_desc_attach(s, page, desc, first === 1);
  return page;
}

/** kmalloc_fix_flags(): gfp bits a slab allocation must not carry. */
function slab_fix_flags(flags: number): number {
  const invalid = flags & (__GFP_DMA32 | __GFP_HIGHMEM);
  flags &= ~invalid;
  trace_event('slab_warn', `Unexpected gfp: 0x${invalid.toString(16)} (${format_gfp(invalid)}). Fixing up to gfp: 0x${flags.toString(16)} (${format_gfp(flags)}). Fix your code!`);
  return flags;
}

export function new_slab(s: KmemCache, flags: number): Page | null {
  if (flags & (__GFP_DMA32 | __GFP_HIGHMEM)) flags = slab_fix_flags(flags);
  return allocate_slab(s, flags & gfp_slab_mask());
}

function __free_slab(s: KmemCache, page: Page): void {
  const order = compound_order(page);
  const desc = s.flags & __SLAB_SLAB_DESC ? slab_desc_detach(s, page) : 0;
  __ClearPageSlab(page);
  page.mapping = 0;
  page.index = 0;
  page.private = 0;
  unaccount_slab_page(page, order, s);
  if (s === slab_desc_cache) free_slab_desc_page(page, order);
  else __free_pages(page, order);
  // A separately allocated struct slab goes after its slab (a self-described one went with it).
  if (desc !== 0) memdesc_free(MEMDESC_TYPE_SLAB, desc);
}

function free_slab(s: KmemCache, page: Page): void {
  // SLAB_TYPESAFE_BY_RCU would defer this to an RCU callback; there are no readers to wait for.
  __free_slab(s, page);
}

function discard_slab(s: KmemCache, page: Page): void {
  dec_slabs_node(s, slab_objects(page));
  free_slab(s, page);
}

/* ------------------------------------------------------------------------------------------
 * CPU slab management
 * ---------------------------------------------------------------------------------------- */

function set_cpu_slab(s: KmemCache, page: Page): void {
  s.cpu_page = page;
  s.cpu_slab_pfn = page_to_pfn(page);
  s.cpu_base = page_address(page);
  s.cpu_end = s.cpu_base + counters_objects(page.private) * s.size;
}

function clear_cpu_slab(s: KmemCache): void {
  s.cpu_page = null;
  s.cpu_slab_pfn = -1;
  s.cpu_freelist = 0;
  s.cpu_base = 0;
  s.cpu_end = 0;
}

/**
 * Take a slab off the partial list and freeze it for the CPU: its whole freelist moves to
 * the CPU (page->freelist becomes empty, inuse = objects).
 */
function acquire_slab(s: KmemCache, n: KmemCacheNode, page: Page): number {
  check_slab(s, page);
  const freelist = page.index;
  const counters = page.private;
  VM_BUG_ON_PAGE(counters_frozen(counters) !== 0, page, 'acquire_slab: partial slab is frozen');
  check_freelist(s, page, freelist);
  VM_BUG_ON_PAGE(freelist === 0, page, 'acquire_slab: partial slab without free objects');
  const objects = counters_objects(counters);
  page.index = 0;
  page.private = slab_counters(objects, objects, 1);
  remove_partial(n, page);
  return freelist;
}

function get_partial_node(s: KmemCache, n: KmemCacheNode | null): number {
  if (n === null || n.nr_partial === 0) return 0;
  const page = s.flags & __SLAB_SLAB_DESC ? slab_desc_partial_first(n) : list_first_entry(n.partial, Page, 'lru');
  const object = acquire_slab(s, n, page);
  set_cpu_slab(s, page);
  return object;
}

function get_partial(s: KmemCache): number {
  return get_partial_node(s, s.node);
}

/**
 * Give the CPU slab back: its CPU freelist is merged into page->freelist, it is unfrozen and
 * goes to the partial list, to no list (full), or back to the page allocator (empty, and the
 * node already keeps min_partial slabs).
 */
export function deactivate_slab(s: KmemCache, page: Page, freelist: number): void {
  const n = s.node!;
  let tail = DEACTIVATE_TO_HEAD;
  if (page.index !== 0) tail = DEACTIVATE_TO_TAIL;

  // Stage one: move all CPU-free objects but the last to the page freelist (still frozen).
  let nextfree: number;
  while (freelist !== 0 && (nextfree = get_freepointer(s, freelist)) !== 0) {
    if (!check_valid_pointer(s, page, nextfree)) {
      // The object at freelist is corrupted: isolate everything from it on.
      freelist_corrupted(s, freelist, nextfree);
    }
    const prior = page.index;
    const counters = page.private;
    VM_BUG_ON_PAGE(counters_frozen(counters) === 0, page, 'deactivate_slab: slab not frozen');
    set_freepointer(s, freelist, prior);
    page.index = freelist;
    page.private = slab_counters(counters_inuse(counters) - 1, counters_objects(counters), 1);
    freelist = nextfree;
  }

  // Stage two: unfreeze, with the list placement matching the object count.
  const old_freelist = page.index;
  const old_counters = page.private;
  VM_BUG_ON_PAGE(counters_frozen(old_counters) === 0, page, 'deactivate_slab: slab not frozen');
  let inuse = counters_inuse(old_counters);
  let new_freelist = old_freelist;
  if (freelist !== 0) {
    inuse--;
    set_freepointer(s, freelist, old_freelist);
    new_freelist = freelist;
  }
  page.index = new_freelist;
  page.private = slab_counters(inuse, counters_objects(old_counters), 0);

  if (s.cpu_slab_pfn === page_to_pfn(page)) clear_cpu_slab(s);

  if (inuse === slab_empty_inuse(s) && n.nr_partial >= s.min_partial) {
    discard_slab(s, page);
  } else if (new_freelist !== 0) {
    add_partial(n, page, tail);
  }
  // else: full, and full slabs are on no list.
}

function flush_slab(s: KmemCache): void {
  const page = s.cpu_page!;
  const freelist = s.cpu_freelist;
  clear_cpu_slab(s);
  deactivate_slab(s, page, freelist);
}

/** __flush_cpu_slab / flush_all(): deactivate the CPU slab. */
export function flush_all(s: KmemCache): void {
  if (s.cpu_page !== null) flush_slab(s);
}

/**
 * Take the frozen CPU slab's page->freelist (objects freed to it remotely) for the CPU;
 * unfreeze the slab if there are none (it is then full and on no list).
 */
function get_freelist(s: KmemCache, page: Page): number {
  const freelist = page.index;
  const counters = page.private;
  VM_BUG_ON_PAGE(counters_frozen(counters) === 0, page, 'get_freelist: CPU slab not frozen');
  const objects = counters_objects(counters);
  page.index = 0;
  page.private = slab_counters(objects, objects, freelist !== 0 ? 1 : 0);
  return freelist;
}

function new_slab_objects(s: KmemCache, flags: number): number {
  let freelist = get_partial(s);
  if (freelist !== 0) return freelist;
  const page = new_slab(s, flags);
  if (page) {
    // The page allocator may have reclaimed (and allocated from this cache) meanwhile.
    if (s.cpu_page !== null) flush_slab(s);
    freelist = page.index;
    page.index = 0;
    set_cpu_slab(s, page);
  }
  return freelist;
}

function slab_out_of_memory(s: KmemCache, gfpflags: number): void {
  if (gfpflags & __GFP_NOWARN) return;
  const n = s.node;
  trace_event('slab_out_of_memory', `SLUB: Unable to allocate memory on node -1, gfp=0x${gfpflags.toString(16)}(${format_gfp(gfpflags)}) ` +
    `cache: ${s.name}, object size: ${s.object_size}, buffer size: ${s.size}, default order: ${s.order}, min order: ${oo_order(s.min)} ` +
    `node 0: slabs: ${n ? n.nr_slabs : 0}, objs: ${n ? n.total_objects : 0}`);
}

/** The slow path: the CPU freelist is empty. */
function ___slab_alloc(s: KmemCache, gfpflags: number): number {
  let freelist = 0;
  const page = s.cpu_page;
  if (page !== null) {
    freelist = s.cpu_freelist;
    if (freelist === 0) {
      freelist = get_freelist(s, page);
      if (freelist === 0) clear_cpu_slab(s);
    }
    if (freelist !== 0) {
      s.cpu_freelist = get_freepointer(s, freelist);
      return freelist;
    }
  }

  freelist = new_slab_objects(s, gfpflags);
  if (freelist === 0) {
    slab_out_of_memory(s, gfpflags);
    return 0;
  }
  const cpu = s.cpu_page!;
  if (!kmem_cache_debug(s)) {
    VM_BUG_ON_PAGE(slab_frozen(cpu) === 0, cpu, '___slab_alloc: CPU slab not frozen');
    s.cpu_freelist = get_freepointer(s, freelist);
    return freelist;
  }
  // Debug caches: check the object, then give the rest of the slab back at once.
  alloc_debug_processing(s, cpu, freelist);
  clear_cpu_slab(s);
  deactivate_slab(s, cpu, get_freepointer(s, freelist));
  return freelist;
}

/** The allocation fast path: pop the CPU freelist. */
function slab_alloc(s: KmemCache, gfpflags: number): number {
  let object = s.cpu_freelist;
  if (object === 0 || s.cpu_page === null) {
    object = ___slab_alloc(s, gfpflags);
  } else {
    const next = read64(object + s.offset);
    if (next !== 0 && (next < s.cpu_base || next >= s.cpu_end || (next - s.cpu_base) % s.size !== 0)) {
      freelist_corrupted(s, object, next);
    }
    s.cpu_freelist = next;
  }
  if (object !== 0 && (gfpflags & __GFP_ZERO)) phys_fill(__pa(object), s.object_size, 0);
  return object;
}

/**
 * The slow path of freeing: the object's slab is not the CPU slab. Objects go on the slab's
 * own freelist; a full slab gains a free object and goes back on the partial list; an empty
 * slab is discarded once the node keeps min_partial slabs.
 */
function __slab_free(s: KmemCache, page: Page, object: number): void {
  if (kmem_cache_debug(s)) free_debug_processing(s, page, object);
  else check_slab(s, page);
  const prior = page.index;
  const counters = page.private;
  check_freelist(s, page, prior);
  if (!check_valid_pointer(s, page, object)) object_err(s, page, object, `Invalid object pointer ${formatKernelAddress(object)}`);
  const was_inuse = counters_inuse(counters);
  if (was_inuse === 0) object_err(s, page, object, 'Object already free (slab has no objects in use)');
  set_freepointer(s, object, prior);
  const inuse = was_inuse - 1;
  const was_frozen = counters_frozen(counters);
  page.index = object;
  page.private = slab_counters(inuse, counters_objects(counters), was_frozen);

  if (was_frozen) return;
  const empty = slab_empty_inuse(s);
  if (inuse !== empty && prior !== 0) return;

  const n = s.node!;
  if (inuse === empty && n.nr_partial >= s.min_partial) {
    // slab_empty: on the partial list if it had free objects before, else full (on no list).
    if (prior !== 0) remove_partial(n, page);
    discard_slab(s, page);
    return;
  }
  if (prior === 0) add_partial(n, page, DEACTIVATE_TO_TAIL);
}

/** Free fast path: the object belongs to the CPU slab. */
function slab_free(s: KmemCache, page: Page, object: number): void {
  if (page_to_pfn(page) === s.cpu_slab_pfn) {
    const freelist = s.cpu_freelist;
    if (object === freelist) double_free(s, object);
    if (object >= s.cpu_end || (object - s.cpu_base) % s.size !== 0) {
      object_err(s, page, object, `Invalid object pointer ${formatKernelAddress(object)}`);
    }
    write64(object + s.offset, freelist);
    s.cpu_freelist = object;
  } else {
    __slab_free(s, page, object);
  }
}

/* ------------------------------------------------------------------------------------------
 * Public allocation interface
 * ---------------------------------------------------------------------------------------- */

function fmt_ptr(p: number): string {
  return formatKernelAddress(p);
}

export function kmem_cache_alloc(s: KmemCache, gfpflags: number): number {
  const ret = slab_alloc(s, gfpflags);
  if (tracepoints_enabled) {
    trace_event('kmem_cache_alloc', `ptr=${fmt_ptr(ret)} bytes_req=${s.object_size} bytes_alloc=${s.size} gfp_flags=${format_gfp(gfpflags)}`);
  }
  return ret;
}

export function kmem_cache_zalloc(s: KmemCache, gfpflags: number): number {
  return kmem_cache_alloc(s, gfpflags | __GFP_ZERO);
}

/** virt_to_cache() with the cache_from_obj() check: the object must be from `s`. */
function cache_from_obj(s: KmemCache, x: number, page: Page): KmemCache {
  if (!PageSlab(page)) {
    throw new KernelBug(`WARNING: virt_to_cache: Object is not a Slab page! (kmem_cache_free(${s.name}, ${fmt_ptr(x)}))`, dump_page(page, 'virt_to_cache: Object is not a Slab page!'));
  }
  if (page.mapping !== s.addr) {
    const from = kmem_cache_find(page.mapping);
    throw new KernelBug(`WARNING: cache_from_obj: Wrong slab cache. ${s.name} but object is from ${from ? from.name : fmt_ptr(page.mapping)}`, dump_page(page, 'cache_from_obj: wrong slab cache'));
  }
  return s;
}

export function kmem_cache_free(s: KmemCache, x: number): void {
  const page = compound_head(virt_to_page(x));
  s = cache_from_obj(s, x, page);
  slab_free(s, page, x);
  if (tracepoints_enabled) trace_event('kmem_cache_free', `ptr=${fmt_ptr(x)}`);
}

/** kmalloc() proper: a kmalloc cache, or the page allocator above KMALLOC_MAX_CACHE_SIZE. */
export function __kmalloc(size: number, flags: number): number {
  if (!(size >= 1 && size <= KMALLOC_MAX_CACHE_SIZE)) {
    if (size === 0) return ZERO_SIZE_PTR;
    return kmalloc_large(size, flags);
  }
  const s = kmalloc_slab(size, flags);
  if (s === null) BUG(`kmalloc(${size}) with no kmalloc cache (before kmem_cache_init?)`);
  const ret = slab_alloc(s, flags);
  if (tracepoints_enabled) {
    trace_event('kmalloc', `ptr=${fmt_ptr(ret)} bytes_req=${size} bytes_alloc=${s.size} gfp_flags=${format_gfp(flags)}`);
  }
  return ret;
}

/** Free a large kmalloc (pages straight from the page allocator). */
function free_large_kmalloc(page: Page, object: number): void {
  if (!PageLargeKmalloc(page)) {
    throw new KernelBug(`kernel BUG at mm/slub.c: kfree(${fmt_ptr(object)}): not a slab object or large kmalloc`, dump_page(page, 'kfree of a page that is neither slab nor large kmalloc'));
  }
  const order = compound_order(page);
  __mod_zone_page_state(page_zone(page), ZoneStat.NR_KMALLOC_LARGE, -(1 << order));
  __ClearPageLargeKmalloc(page);
  __free_pages(page, order);
}

/** Mark and account pages allocated for a large kmalloc (kmalloc_order). */
export function prep_large_kmalloc(page: Page, order: number): void {
  __SetPageLargeKmalloc(page);
  __mod_zone_page_state(page_zone(page), ZoneStat.NR_KMALLOC_LARGE, 1 << order);
}

export function kfree(x: number): void {
  if (tracepoints_enabled) trace_event('kfree', `ptr=${fmt_ptr(x)}`);
  if (x <= ZERO_SIZE_PTR) return;
  const page = compound_head(virt_to_page(x));
  if (!PageSlab(page)) {
    free_large_kmalloc(page, x);
    return;
  }
  slab_free(kmem_cache_from_addr(page.mapping), page, x);
}

/** slab_ksize(): how much of an object the user may use. */
function slab_ksize(s: KmemCache): number {
  if (s.flags & (SLAB_RED_ZONE | SLAB_POISON)) return s.object_size;
  if (s.flags & (SLAB_TYPESAFE_BY_RCU | SLAB_STORE_USER)) return s.inuse;
  return s.size;
}

export function ksize(objp: number): number {
  if (objp <= ZERO_SIZE_PTR) return 0;
  const page = compound_head(virt_to_page(objp));
  if (!PageSlab(page)) {
    VM_BUG_ON_PAGE(!PageLargeKmalloc(page), page, 'ksize: not a slab object or large kmalloc');
    return page_size(page);
  }
  return slab_ksize(kmem_cache_from_addr(page.mapping));
}

/* ------------------------------------------------------------------------------------------
 * Cache setup
 * ---------------------------------------------------------------------------------------- */

/**
 * slab_order(): the lowest order between min_objects' need and max_order that wastes at
 * most 1/fract_leftover of the slab.
 */
function slab_order(size: number, min_objects: number, max_order: number, fract_leftover: number): number {
  const min_order = slub_min_order;
  if (order_objects(min_order, size) > MAX_OBJS_PER_PAGE) return get_order(size * MAX_OBJS_PER_PAGE) - 1;
  let order: number;
  for (order = Math.max(min_order, get_order(min_objects * size)); order <= max_order; order++) {
    const slab_size = PAGE_SIZE * 2 ** order;
    const rem = slab_size % size;
    if (rem <= slab_size / fract_leftover) break;
  }
  return order;
}

export function calculate_order(size: number): number {
  let min_objects = slub_min_objects;
  if (!min_objects) min_objects = 4 * (fls(nr_cpu_ids) + 1);
  const max_objects = order_objects(slub_max_order, size);
  min_objects = Math.min(min_objects, max_objects);

  while (min_objects > 1) {
    let fraction = 16;
    while (fraction >= 4) {
      const order = slab_order(size, min_objects, slub_max_order, fraction);
      if (order <= slub_max_order) return order;
      fraction /= 2;
    }
    min_objects--;
  }
  // A single object per slab: try max_order, then anything the buddy allocator has.
  let order = slab_order(size, 1, slub_max_order, 1);
  if (order <= slub_max_order) return order;
  order = slab_order(size, 1, MAX_PAGE_ORDER, 1);
  if (order <= MAX_PAGE_ORDER) return order;
  return -1;
}

/** Object layout: free pointer placement, red zones, alignment, slab order. */
export function calculate_sizes(s: KmemCache, forced_order: number): boolean {
  const flags = s.flags;
  let size = ALIGN(s.object_size, 8);

  if ((flags & SLAB_POISON) && !(flags & SLAB_TYPESAFE_BY_RCU) && !s.ctor) s.flags = (s.flags | __OBJECT_POISON) >>> 0;
  else s.flags = (s.flags & ~__OBJECT_POISON) >>> 0;

  // A right red zone needs room when the object fills its last word.
  if ((flags & SLAB_RED_ZONE) && size === s.object_size) size += 8;

  s.inuse = size;

  if ((flags & (SLAB_TYPESAFE_BY_RCU | SLAB_POISON)) || s.ctor ||
      ((flags & SLAB_RED_ZONE) && s.object_size < 8)) {
    // The object must stay intact while free: the free pointer goes after it.
    s.offset = size;
    size += 8;
  } else {
    // Near the middle of the object, away from small overflows at its edges (and inside
    // object_size, clear of the right red zone).
    s.offset = Math.floor(s.object_size / 2 / 8) * 8;
  }

  s.red_left_pad = 0;
  if (flags & SLAB_RED_ZONE) {
    // Padding after the metadata, and a left red zone before the object.
    size += 8;
    s.red_left_pad = ALIGN(8, s.align);
    size += s.red_left_pad;
  }

  size = ALIGN(size, s.align);
  s.size = size;
  const order = forced_order >= 0 ? forced_order : calculate_order(size);
  if (order < 0) return false;

  s.allocflags = 0;
  if (order) s.allocflags |= __GFP_COMP;
  if (s.flags & SLAB_CACHE_DMA32) s.allocflags |= __GFP_DMA32;
  if (s.flags & SLAB_RECLAIM_ACCOUNT) s.allocflags |= __GFP_RECLAIMABLE;

  s.oo = oo_make(order, size);
  s.min = oo_make(get_order(size), size);
  if (oo_objects(s.oo) > oo_objects(s.max)) s.max = s.oo;
  s.order = order;
  s.objects = oo_objects(s.oo);
  return oo_objects(s.oo) !== 0;
}

function set_min_partial(s: KmemCache, min: number): void {
  if (min < MIN_PARTIAL) min = MIN_PARTIAL;
  else if (min > MAX_PARTIAL) min = MAX_PARTIAL;
  s.min_partial = min;
}

/**
 * The very first kmem_cache_node comes from a slab of the boot kmem_cache_node cache that
 * cannot allocate through the normal path yet: take its first object by hand.
 */
function early_kmem_cache_node_alloc(): void {
  const cache = kmem_cache_node!;
  VM_BUG_ON(cache.size < KMEM_CACHE_NODE_STRUCT_SIZE, 'early_kmem_cache_node_alloc: kmem_cache_node too small');
  const page = new_slab(cache, GFP_NOWAIT);
  if (!page) BUG('early_kmem_cache_node_alloc: no memory for the first kmem_cache_node slab');
  const obj = page.index;
  VM_BUG_ON_PAGE(obj === 0, page, 'early_kmem_cache_node_alloc: empty slab');
  if (kmem_cache_debug(cache)) init_object(cache, obj, SLUB_RED_ACTIVE);
  page.index = get_freepointer(cache, obj);
  page.private = slab_counters(1, slab_objects(page), 0);
  const n = new KmemCacheNode(obj);
  cache.node = n;
  write64(cache.addr + KMEM_CACHE_NODE, n.addr);
  init_kmem_cache_node(n);
  inc_slabs_node(cache, slab_objects(page));
  __add_partial(n, page, DEACTIVATE_TO_HEAD);
}

function free_kmem_cache_nodes(s: KmemCache): void {
  const n = s.node;
  if (n === null) return;
  s.node = null;
  write64(s.addr + KMEM_CACHE_NODE, 0);
  kmem_cache_free(kmem_cache_node!, n.addr);
}

function init_kmem_cache_nodes(s: KmemCache): boolean {
  if (slab_state === SlabState.DOWN) {
    early_kmem_cache_node_alloc();
    return true;
  }
  const addr = kmem_cache_alloc(kmem_cache_node!, GFP_KERNEL);
  if (addr === 0) {
    free_kmem_cache_nodes(s);
    return false;
  }
  const n = new KmemCacheNode(addr);
  init_kmem_cache_node(n);
  s.node = n;
  write64(s.addr + KMEM_CACHE_NODE, addr);
  return true;
}

/** Write the struct kmem_cache image the cache's address points to. */
export function kmem_cache_write_struct(s: KmemCache): void {
  const a = s.addr;
  write64(a + KMEM_CACHE_CPU_SLAB, 0);
  write32(a + KMEM_CACHE_FLAGS, s.flags >>> 0);
  write64(a + KMEM_CACHE_MIN_PARTIAL, s.min_partial);
  write32(a + KMEM_CACHE_SIZE_OFF, s.size);
  write32(a + KMEM_CACHE_OBJECT_SIZE, s.object_size);
  write32(a + KMEM_CACHE_OFFSET, s.offset);
  write32(a + KMEM_CACHE_OO, s.oo);
  write32(a + KMEM_CACHE_MAX, s.max);
  write32(a + KMEM_CACHE_MIN, s.min);
  write32(a + KMEM_CACHE_ALLOCFLAGS, s.allocflags);
  write32(a + KMEM_CACHE_REFCOUNT, s.refcount);
  write64(a + KMEM_CACHE_CTOR, 0);
  write32(a + KMEM_CACHE_INUSE, s.inuse);
  write32(a + KMEM_CACHE_ALIGN, s.align);
  write32(a + KMEM_CACHE_RED_LEFT_PAD, s.red_left_pad);
  write64(a + KMEM_CACHE_NAME, 0);
  write32(a + KMEM_CACHE_USEROFFSET, s.useroffset);
  write32(a + KMEM_CACHE_USERSIZE, s.usersize);
  write64(a + KMEM_CACHE_NODE, s.node ? s.node.addr : 0);
}

function __kmem_cache_release(s: KmemCache): void {
  clear_cpu_slab(s);
  free_kmem_cache_nodes(s);
}

function kmem_cache_open(s: KmemCache, flags: number): number {
  s.flags = flags >>> 0;
  if (!calculate_sizes(s, -1)) return -22; // -EINVAL
  // Bigger objects keep more partial slabs around to spare the page allocator.
  set_min_partial(s, ilog2(s.size) >> 1);
  if (!init_kmem_cache_nodes(s)) {
    __kmem_cache_release(s);
    return -22;
  }
  clear_cpu_slab(s);
  kmem_cache_write_struct(s);
  return 0;
}

/** __kmem_cache_create(): lay out and open a cache whose name, sizes, align and ctor are set. */
export function __kmem_cache_create(s: KmemCache, flags: number): number {
  return kmem_cache_open(s, flags);
}

/** Free the empty partial slabs; report (BUG) partial slabs that still have objects. */
function free_partial(s: KmemCache, n: KmemCacheNode): void {
  if (s.flags & __SLAB_SLAB_DESC) {
    slab_desc_free_partial(s, n);
    return;
  }
  const discard: Page[] = [];
  for (const page of list_for_each_entry(n.partial, Page, 'lru')) {
    if (slab_inuse(page) === 0) {
      remove_partial(n, page);
      discard.push(page);
    } else {
      slab_err(s, page, `Objects remaining in ${s.name} on __kmem_cache_shutdown()`);
    }
  }
  for (const page of discard) discard_slab(s, page);
}

/** Release every slab of a cache that is about to be destroyed; nonzero if objects remain. */
export function __kmem_cache_shutdown(s: KmemCache): number {
  flush_all(s);
  const n = s.node;
  if (n !== null) {
    free_partial(s, n);
    if (n.nr_partial !== 0 || n.nr_slabs !== 0) return 1;
  }
  return 0;
}

/** Free the cache's per-node and per-cpu structures (kmem_cache_release). */
export function kmem_cache_release_nodes(s: KmemCache): void {
  __kmem_cache_release(s);
}

/** Give back every empty slab of the cache (the CPU slab is flushed first). */
export function __kmem_cache_shrink(s: KmemCache): number {
  flush_all(s);
  const n = s.node;
  if (n === null) return 0;
  if (s.flags & __SLAB_SLAB_DESC) return slab_desc_shrink(s, n);
  for (const page of list_for_each_entry(n.partial, Page, 'lru')) {
    const free = slab_objects(page) - slab_inuse(page);
    VM_BUG_ON_PAGE(free <= 0, page, '__kmem_cache_shrink: full slab on the partial list');
    if (free === slab_objects(page)) {
      remove_partial(n, page);
      discard_slab(s, page);
    }
  }
  return n.nr_slabs !== 0 ? 1 : 0;
}

export function kmem_cache_shrink(s: KmemCache): number {
  return __kmem_cache_shrink(s);
}

/** Data for /proc/slabinfo (get_slabinfo). */
export interface SlabInfo {
  active_objs: number;
  num_objs: number;
  active_slabs: number;
  num_slabs: number;
  objects_per_slab: number;
  cache_order: number;
}

export function get_slabinfo(s: KmemCache): SlabInfo {
  let nr_slabs = 0;
  let nr_objs = 0;
  let nr_free = 0;
  const n = s.node;
  if (n !== null) {
    nr_slabs += n.nr_slabs;
    nr_objs += n.total_objects;
    if (s.flags & __SLAB_SLAB_DESC) {
      nr_free += slab_desc_partial_free(n);
    } else {
      for (const page of list_for_each_entry(n.partial, Page, 'lru')) {
        nr_free += slab_objects(page) - slab_inuse(page);
      }
    }
  }
  return {
    active_objs: nr_objs - nr_free,
    num_objs: nr_objs,
    active_slabs: nr_slabs,
    num_slabs: nr_slabs,
    objects_per_slab: oo_objects(s.oo),
    cache_order: oo_order(s.oo),
  };
}

/* ------------------------------------------------------------------------------------------
 * Stage 2: separately allocated struct slab and its bootstrap (dormant)
 * ---------------------------------------------------------------------------------------- */

/**
 * struct slab as a separate descriptor (64-bit): the memdesc header (back pointer to the
 * slab's first page), slab_list, slab_cache, then freelist and counters, which stay in struct
 * page (index, private) until the slab kind is separated and are reserved here for it. The
 * fields keep the offsets they have in struct page (w1-w5, the header where the flags are):
 * the layout `memdesc separate slab` gives struct slab, so the code here and the separated
 * struct slab agree on every field.
 */
// A literal, not MEMDESC_DESC_HEADER: this module can be evaluated before memdesc.ts in an import
// cycle (a separated tree's imports differ), and the header's 8 bytes are fixed.
export const SLAB_DESC_LIST = 8;
export const SLAB_DESC_SLAB_CACHE = 24;
export const SLAB_DESC_FREELIST = 32;
export const SLAB_DESC_COUNTERS = 40;
export const SLAB_DESC_SIZE = 48;

/** Internal cache flag (like __OBJECT_POISON): the cache's slabs have separately allocated struct slabs. */
export const __SLAB_SLAB_DESC = 0x40000000;

/**
 * The cache of struct slab descriptors; null while struct slab lives in struct page (stages 0
 * and 1). Created by memdesc_cache_create() of the slab type: by slab_memdesc_init(), or, once
 * the slab kind is separated (its slabs allocated with their struct slab by `memdesc separate`'s
 * slab_alloc_pages()), when the first slab is allocated at boot.
 */
export let slab_desc_cache: KmemCache | null = null;

/** slab_memdesc_init() was called: caches created from now on get separately allocated struct slabs here. */
export let slab_desc_new_caches = false;

/**
 * Allocate struct slab separately for every cache created from now on: create the 'slab'
 * descriptor cache, whose own slabs describe themselves. Idempotent. Not called at boot: the
 * caches that exist keep their struct slab in struct page.
 */
export function slab_memdesc_init(): KmemCache {
  if (slab_desc_new_caches) return slab_desc_cache!;
  const s = slab_desc_cache ?? memdesc_cache_create('slab', SLAB_DESC_SIZE, MEMDESC_TYPE_SLAB);
  slab_desc_cache_attach(s);
  slab_desc_new_caches = true;
  return s;
}

/** memdesc_cache_create() of the slab type: this is struct slab's cache. */
export function set_slab_desc_cache(s: KmemCache): void {
  slab_desc_cache = s;
}

/**
 * struct slab's own cache in real placement (memdesc_cache_create() of the slab type): static
 * data like the boot caches, its kmem_cache_node too, so that it exists before any other cache
 * (once slab is separated the very first slab at boot needs a struct slab, before kmem_cache and
 * kmem_cache_node can allocate). Its slabs describe themselves (alloc_slab_desc_page()), so
 * allocating from it never needs a struct slab from it: the mutual recursion of 000_* ends here.
 * `align` and `flags` as kmem_cache_create() computes them.
 */
export function slab_desc_cache_create(name: string, size: number, align: number, flags: number): KmemCache {
  const s = new KmemCache(static_alloc(KMEM_CACHE_STRUCT_SIZE, 64));
  s.name = name;
  s.size = s.object_size = size;
  s.align = align;
  s.flags = flags >>> 0;
  if (!calculate_sizes(s, -1)) BUG(`slab_desc_cache_create(${name}): no slab order for ${size}-byte objects`);
  set_min_partial(s, ilog2(s.size) >> 1);
  const n = new KmemCacheNode(static_alloc(KMEM_CACHE_NODE_STRUCT_SIZE, 64));
  init_kmem_cache_node(n);
  s.node = n;
  clear_cpu_slab(s);
  s.refcount = 1;
  kmem_cache_write_struct(s);
  register_kmem_cache(s);
  slab_desc_cache = s;
  return s;
}

/**
 * The pages of a slab of struct slabs: its struct slab is its own object 0, so its first page
 * gets the memdesc word naming that object here, with the back pointer, and no descriptor is
 * allocated for it (one would need a slab of this very cache). Counted as a slab descriptor.
 */
function alloc_slab_desc_page(s: KmemCache, flags: number, order: number): Page | null {
  // Its descriptor's address is known once the pages are: a misc word holds the block's
  // reference until the slab's own word replaces it.
  const page = alloc_pages_misc(flags, order);
  if (!page) return null;
  const self = fixup_red_left(s, page_address(page));
  set_page_memdesc(page, memdesc_create(self, MEMDESC_TYPE_SLAB));
  memdesc_set_desc_page(self, page);
  memdesc_account(MEMDESC_TYPE_SLAB, 1);
  account_slab_page(page, order, s);
  return page;
}

/** Give back the pages of a slab of struct slabs: its struct slab (object 0) goes with them. */
function free_slab_desc_page(page: Page, order: number): void {
  memdesc_set_desc_page(memdesc_slab(page), null);
  memdesc_account(MEMDESC_TYPE_SLAB, -1);
  __free_pages_memdesc(page, order);
}

/** Mark a cache that has no slab yet as one whose slabs get separately allocated struct slabs. */
export function slab_desc_cache_attach(s: KmemCache): void {
  VM_BUG_ON(s.node !== null && s.node.nr_slabs !== 0, `slab_desc_cache_attach: ${s.name} already has slabs`);
  s.flags = (s.flags | __SLAB_SLAB_DESC) >>> 0;
  write32(s.addr + KMEM_CACHE_FLAGS, s.flags);
}

/** Objects in use in an empty slab: a self-described slab's own struct slab stays. */
function slab_empty_inuse(s: KmemCache): number {
  return s === slab_desc_cache ? 1 : 0;
}

function slab_desc_list(desc: number): ListHead {
  return new ListHead(desc + SLAB_DESC_LIST);
}

/** Link a new slab and its struct slab: back pointer, cache, and the memdesc word of its first page. */
function slab_desc_attach(s: KmemCache, page: Page, desc: number, self: boolean): void {
  memdesc_set_desc_page(desc, page);
  write64(desc + SLAB_DESC_SLAB_CACHE, s.addr);
  INIT_LIST_HEAD(slab_desc_list(desc));
  // The first page only: tails of a compound slab keep compound_head, as kfree() finds the head through it.
  // A self-described slab's word and count were set with its pages (alloc_slab_desc_page()).
  if (!self) set_page_memdesc(page, memdesc_create(desc, MEMDESC_TYPE_SLAB));
}

/**
 * Unlink a slab being freed from its struct slab: check the round trip, clear the word.
 * Returns the descriptor the caller frees after the pages, or 0 for a self-described slab,
 * whose descriptor goes with the slab's pages.
 */
function slab_desc_detach(s: KmemCache, page: Page): number {
  const desc = memdesc_slab(page);
  VM_BUG_ON_PAGE(memdesc_desc_page(desc)?.addr !== page.addr || read64(desc + SLAB_DESC_SLAB_CACHE) !== s.addr, page,
    '__free_slab: struct slab does not point back at this slab');
  // A self-described slab keeps its word until its pages go (free_slab_desc_page()).
  if (s === slab_desc_cache && desc === fixup_red_left(s, page_address(page))) return 0;
  clear_page_memdesc(page);
  return desc;
}

function slab_desc_list_add(n: KmemCacheNode, page: Page, tail: number): void {
  const list = slab_desc_list(memdesc_slab(page));
  if (tail === DEACTIVATE_TO_TAIL) list_add_tail(list, n.partial);
  else list_add(list, n.partial);
}

/** free_partial() of a cache whose partial list goes through struct slabs. */
function slab_desc_free_partial(s: KmemCache, n: KmemCacheNode): void {
  const discard: Page[] = [];
  for (const page of slab_desc_partial(n)) {
    if (slab_inuse(page) === slab_empty_inuse(s)) {
      remove_partial(n, page);
      discard.push(page);
    } else {
      slab_err(s, page, `Objects remaining in ${s.name} on __kmem_cache_shutdown()`);
    }
  }
  for (const page of discard) discard_slab(s, page);
}

/** __kmem_cache_shrink() of a cache whose partial list goes through struct slabs. */
function slab_desc_shrink(s: KmemCache, n: KmemCacheNode): number {
  for (const page of slab_desc_partial(n)) {
    const free = slab_objects(page) - slab_inuse(page);
    VM_BUG_ON_PAGE(free <= 0, page, '__kmem_cache_shrink: full slab on the partial list');
    if (free === slab_objects(page) - slab_empty_inuse(s)) {
      remove_partial(n, page);
      discard_slab(s, page);
    }
  }
  return n.nr_slabs !== 0 ? 1 : 0;
}

/** Free objects on the partial slabs of a list that goes through struct slabs (get_slabinfo()). */
function slab_desc_partial_free(n: KmemCacheNode): number {
  let nr_free = 0;
  for (const page of slab_desc_partial(n)) nr_free += slab_objects(page) - slab_inuse(page);
  return nr_free;
}

/** The slab whose struct slab's slab_list is at `pos` (container_of, then the back pointer). */
function slab_desc_list_page(pos: number): Page {
  const page = memdesc_desc_page(pos - SLAB_DESC_LIST);
  if (page === null) BUG(`slab partial list: struct slab ${formatKernelAddress(pos - SLAB_DESC_LIST)} has no slab`);
  return page;
}

/** The slabs on a partial list threaded through their struct slabs, first to last. */
function slab_desc_partial(n: KmemCacheNode): Page[] {
  return list_entries(n.partial).map(slab_desc_list_page);
}

/** The first slab on a non-empty partial list threaded through struct slabs. */
function slab_desc_partial_first(n: KmemCacheNode): Page {
  return slab_desc_list_page(n.partial.next);
}

/* ------------------------------------------------------------------------------------------
 * Boot
 * ---------------------------------------------------------------------------------------- */

/**
 * Move a boot cache (static data) into a kmem_cache object: copy the struct, flush the CPU
 * slab, and point every slab at the new address.
 */
function bootstrap(static_cache: KmemCache): KmemCache {
  const addr = kmem_cache_zalloc(kmem_cache!, GFP_NOWAIT);
  if (addr === 0) BUG(`bootstrap: no memory for ${static_cache.name}`);
  memcpy(addr, static_cache.addr, kmem_cache!.object_size);
  const s = new KmemCache(addr);
  Object.assign(s, static_cache, { addr });
  unregister_kmem_cache(static_cache);
  register_kmem_cache(s);
  clear_cpu_slab(static_cache);
  flush_all(s);
  const n = s.node;
  if (n !== null) {
    for (const page of list_for_each_entry(n.partial, Page, 'lru')) page.mapping = s.addr;
    for (const page of list_for_each_entry(n.full, Page, 'lru')) page.mapping = s.addr;
  }
  slab_caches_add(s);
  return s;
}

/** kmem_cache_init(): boot caches, bootstrap, then the kmalloc caches. Resets all state. */
export function kmem_cache_init(): void {
  kmem_caches.clear();
  last_cache = null;
  kmem_cache = null;
  kmem_cache_node = null;
  slab_state = SlabState.DOWN;
  slab_desc_cache = null;
  slab_desc_new_caches = false;
  memdesc_caches_init();
  slab_common_init();

  // static __initdata struct kmem_cache boot_kmem_cache, boot_kmem_cache_node;
  const boot_kmem_cache_node = new KmemCache(static_alloc(KMEM_CACHE_STRUCT_SIZE, 64));
  const boot_kmem_cache = new KmemCache(static_alloc(KMEM_CACHE_STRUCT_SIZE, 64));
  register_kmem_cache(boot_kmem_cache_node);
  register_kmem_cache(boot_kmem_cache);
  kmem_cache_node = boot_kmem_cache_node;
  kmem_cache = boot_kmem_cache;

  create_boot_cache(kmem_cache_node, 'kmem_cache_node', KMEM_CACHE_NODE_STRUCT_SIZE, SLAB_HWCACHE_ALIGN);
  // Able to allocate the per-node structures.
  slab_state = SlabState.PARTIAL;
  create_boot_cache(kmem_cache, 'kmem_cache', KMEM_CACHE_STRUCT_SIZE, SLAB_HWCACHE_ALIGN);

  kmem_cache = bootstrap(boot_kmem_cache);
  kmem_cache_node = bootstrap(boot_kmem_cache_node);

  // Now the kmem_cache cache can allocate the kmalloc caches.
  setup_kmalloc_cache_index_table();
  create_kmalloc_caches(0);
  slab_state = SlabState.FULL;
}

register_initcall(InitLevel.MM_CORE, 'kmem_cache_init', kmem_cache_init);
