/**
 * Allocator-independent slab code (mm/slab_common.c), v5.10 era: the slab_caches list, cache
 * creation and destruction, the kmalloc caches and their size-to-index table, large kmalloc
 * from the page allocator, and /proc/slabinfo.
 *
 * Simplifications: no cache merging (as with slab_nomerge), no kmalloc-rcl-* or dma-kmalloc-*
 * caches (every kmalloc uses the KMALLOC_NORMAL caches), no memcg.
 *
 * Stage 2 (dormant): the memdesc descriptor caches, one per descriptor type, created on demand
 * (memdesc_cache_create()), never at boot: their 16-byte-aligned objects are the descriptors the
 * memdesc word points to (include/linux/memdesc.ts), allocated with memdesc_alloc().
 */
import { ListHead, INIT_LIST_HEAD, list_add, list_del, list_entries } from '../include/linux/list.ts';
import { page_address } from '../include/linux/mm.ts';
import { KernelBug, formatKernelAddress } from '../sim/errors.ts';
import { static_alloc } from '../sim/kernel_image.ts';
import { register_report } from '../sim/reports.ts';
import { write32, memset } from '../sim/memory.ts';
import {
  placement_preserving, arena_alloc, arena_cache_create, arena_cache_alloc, arena_cache_free, note_descriptor_cache,
  type ArenaCache,
} from '../sim/arena.ts';
import { trace_event, tracepoints_enabled } from '../sim/trace.ts';
import { __GFP_COMP, __GFP_NOWARN, __GFP_DMA32, __GFP_HIGHMEM, GFP_KERNEL, GFP_NOWAIT, format_gfp } from '../include/linux/gfp.ts';
import { MAX_PAGE_ORDER } from '../include/linux/mmzone.ts';
import { PAGE_SIZE } from '../arch/x86/include/asm/page_64_types.ts';
import { alloc_pages_misc } from './page_alloc.ts';
import {
  MEMDESC_ALIGN, MEMDESC_DESC_HEADER, MEMDESC_TYPE_SLAB, memdesc_type_has_desc, memdesc_type_name, memdesc_cache_addr,
  memdesc_register_cache, memdesc_unregister_cache, memdesc_account, memdesc_set_desc_page, MEMDESC_MISC_KMALLOC_LARGE,
} from '../include/linux/memdesc.ts';
import { BUG } from '../include/linux/mmdebug.ts';
import {
  SLAB_HWCACHE_ALIGN, SLAB_PANIC, SLAB_TYPESAFE_BY_RCU, SLAB_RED_ZONE, SLAB_POISON, SLAB_STORE_USER, SLAB_TRACE, SLAB_CONSISTENCY_CHECKS,
  SLAB_CORE_FLAGS, SLAB_MEM_SPREAD, SLAB_NOLEAKTRACE, SLAB_RECLAIM_ACCOUNT, SLAB_ACCOUNT, SLAB_FAILSLAB,
  CACHE_CREATE_MASK, ARCH_KMALLOC_MINALIGN, ARCH_SLAB_MINALIGN, KMALLOC_SHIFT_LOW, KMALLOC_SHIFT_HIGH,
  KMALLOC_MAX_SIZE, KMALLOC_MAX_CACHE_SIZE,
} from '../include/linux/slab.ts';
import {
  KmemCache, KMEM_CACHE_LIST, KMEM_CACHE_REFCOUNT, kmem_cache, kmem_cache_zalloc, kmem_cache_free,
  __kmem_cache_create, __kmem_cache_shutdown, kmem_cache_release_nodes, kmem_cache_find, register_kmem_cache,
  unregister_kmem_cache, get_slabinfo, get_order, fls, prep_large_kmalloc, kmem_cache_from_addr, slab_desc_cache,
  slab_desc_cache_attach, slab_desc_new_caches, set_slab_desc_cache, slab_desc_cache_create, calculate_sizes,
  KMEM_CACHE_STRUCT_SIZE, KMEM_CACHE_FLAGS,
} from './slub.ts';

/* ---- the list of all caches ---- */

/** LIST_HEAD(slab_caches): static data; each cache is linked through its struct's `list`. */
let slab_caches: ListHead | null = null;

/** kmalloc_caches[KMALLOC_NORMAL][index]. */
let kmalloc_caches: Array<KmemCache | null> = [];

/** Reset at kmem_cache_init(). */
export function slab_common_init(): void {
  slab_caches = new ListHead(static_alloc(16));
  INIT_LIST_HEAD(slab_caches);
  kmalloc_caches = new Array<KmemCache | null>(KMALLOC_SHIFT_HIGH + 1).fill(null);
  arena_caches = new Map();
}

function cache_list(s: KmemCache): ListHead {
  return new ListHead(s.addr + KMEM_CACHE_LIST);
}

export function slab_caches_add(s: KmemCache): void {
  list_add(cache_list(s), slab_caches!);
}

/** Every cache on slab_caches, newest first (the order /proc/slabinfo prints). */
export function all_kmem_caches(): KmemCache[] {
  if (slab_caches === null) return [];
  return list_entries(slab_caches).map((pos) => {
    const s = kmem_cache_find(pos - KMEM_CACHE_LIST);
    if (!s) throw new KernelBug(`slab_caches: entry ${pos.toString(16)} is not a kmem_cache`);
    return s;
  });
}

function set_refcount(s: KmemCache, refcount: number): void {
  s.refcount = refcount;
  write32(s.addr + KMEM_CACHE_REFCOUNT, refcount);
}

/* ---- kmalloc caches ---- */

/** kmalloc_info[]: index to size and name (KMALLOC_NORMAL). */
export const kmalloc_info: ReadonlyArray<{ name: string; size: number }> = [
  { name: '', size: 0 },
  { name: 'kmalloc-96', size: 96 },
  { name: 'kmalloc-192', size: 192 },
  { name: 'kmalloc-8', size: 8 },
  { name: 'kmalloc-16', size: 16 },
  { name: 'kmalloc-32', size: 32 },
  { name: 'kmalloc-64', size: 64 },
  { name: 'kmalloc-128', size: 128 },
  { name: 'kmalloc-256', size: 256 },
  { name: 'kmalloc-512', size: 512 },
  { name: 'kmalloc-1k', size: 1024 },
  { name: 'kmalloc-2k', size: 2048 },
  { name: 'kmalloc-4k', size: 4096 },
  { name: 'kmalloc-8k', size: 8192 },
];

/**
 * size_index[]: the kmalloc index for sizes up to 192, by (size - 1) / 8. Sizes 65-96 use
 * kmalloc-96 (index 1) and 129-192 use kmalloc-192 (index 2).
 */
const size_index = new Uint8Array([
  3, // 8
  4, // 16
  5, // 24
  5, // 32
  6, // 40
  6, // 48
  6, // 56
  6, // 64
  1, // 72
  1, // 80
  1, // 88
  1, // 96
  7, // 104
  7, // 112
  7, // 120
  7, // 128
  2, // 136
  2, // 144
  2, // 152
  2, // 160
  2, // 168
  2, // 176
  2, // 184
  2, // 192
]);

function size_index_elem(bytes: number): number {
  return (bytes - 1) >>> 3;
}

/** With KMALLOC_MIN_SIZE 8 the table needs no patching; kept for the boot sequence. */
export function setup_kmalloc_cache_index_table(): void {
  // KMALLOC_MIN_SIZE is 8 on x86-64: every entry already names an existing cache.
}

/** The kmalloc cache index for `size` bytes (1..KMALLOC_MAX_CACHE_SIZE). */
export function kmalloc_index(size: number): number {
  if (size <= 192) return size_index[size_index_elem(size)]!;
  return fls(size - 1);
}

/** The kmalloc cache serving `size` bytes (null before kmem_cache_init or for size 0). */
export function kmalloc_slab(size: number, _flags: number): KmemCache | null {
  if (size <= 192) {
    if (size === 0) return null;
    return kmalloc_caches[size_index[(size - 1) >>> 3]!]!;
  }
  if (size > KMALLOC_MAX_CACHE_SIZE) return null;
  return kmalloc_caches[fls(size - 1)]!;
}

/** kmalloc_caches[KMALLOC_NORMAL][index]. */
export function kmalloc_cache(index: number): KmemCache | null {
  return kmalloc_caches[index] ?? null;
}

/** calculate_alignment(): at least ARCH_SLAB_MINALIGN, cache-line aligned on request. */
export function calculate_alignment(flags: number, align: number, size: number): number {
  if (flags & SLAB_HWCACHE_ALIGN) {
    let ralign = 64; // cache_line_size()
    while (size <= ralign / 2) ralign /= 2;
    align = Math.max(align, ralign);
  }
  if (align < ARCH_SLAB_MINALIGN) align = ARCH_SLAB_MINALIGN;
  return Math.ceil(align / 8) * 8;
}

function is_power_of_2(n: number): boolean {
  return n > 0 && (n & (n - 1)) === 0;
}

/** Set up a cache whose struct is already allocated (boot caches and kmalloc caches). */
export function create_boot_cache(s: KmemCache, name: string, size: number, flags: number): void {
  s.name = name;
  s.size = s.object_size = size;
  // kmalloc caches of power-of-two sizes guarantee natural alignment.
  let align = ARCH_KMALLOC_MINALIGN;
  if (is_power_of_2(size)) align = Math.max(align, size);
  s.align = calculate_alignment(flags, align, size);
  s.useroffset = 0;
  s.usersize = 0;
  const err = __kmem_cache_create(s, flags);
  if (err) throw new KernelBug(`Kernel panic - not syncing: Creation of kmalloc slab ${name} size=${size} failed. Reason ${err}`);
  set_refcount(s, -1); // exempt from merging for now
}

function create_kmalloc_cache(name: string, size: number, flags: number): KmemCache {
  const addr = kmem_cache_zalloc(kmem_cache!, GFP_NOWAIT);
  if (addr === 0) throw new KernelBug(`Kernel panic - not syncing: Out of memory when creating slab ${name}`);
  const s = new KmemCache(addr);
  register_kmem_cache(s);
  create_boot_cache(s, name, size, flags);
  slab_caches_add(s);
  set_refcount(s, 1);
  return s;
}

function new_kmalloc_cache(idx: number, flags: number): void {
  const info = kmalloc_info[idx]!;
  kmalloc_caches[idx] = create_kmalloc_cache(info.name, info.size, flags);
}

/** Create kmalloc-8 .. kmalloc-8k; kmalloc-96 follows kmalloc-64 and kmalloc-192 follows kmalloc-128. */
export function create_kmalloc_caches(flags: number): void {
  for (let i = KMALLOC_SHIFT_LOW; i <= KMALLOC_SHIFT_HIGH; i++) {
    if (!kmalloc_caches[i]) new_kmalloc_cache(i, flags);
    if (i === 6 && !kmalloc_caches[1]) new_kmalloc_cache(1, flags);
    if (i === 7 && !kmalloc_caches[2]) new_kmalloc_cache(2, flags);
  }
}

/* ---- large kmalloc ---- */

/**
 * kmalloc above KMALLOC_MAX_CACHE_SIZE: a compound block from the page allocator, typed
 * PGTY_large_kmalloc so that kfree() can tell it from a slab.
 */
export function kmalloc_large(size: number, flags: number): number {
  if (!(size >= 0 && size <= KMALLOC_MAX_SIZE)) {
    if (!(flags & __GFP_NOWARN)) trace_event('warn_alloc', `kmalloc_large: size ${size} above KMALLOC_MAX_SIZE`);
    return 0;
  }
  const order = get_order(size);
  if (order > MAX_PAGE_ORDER) return 0;
  if (flags & (__GFP_DMA32 | __GFP_HIGHMEM)) flags &= ~(__GFP_DMA32 | __GFP_HIGHMEM);
  flags |= __GFP_COMP;
  // Its pages carry the misc word kmalloc_large (their type; freed by __free_pages()).
  const page = alloc_pages_misc(flags, order, MEMDESC_MISC_KMALLOC_LARGE);
  let ret = 0;
  if (page) {
    prep_large_kmalloc(page, order);
    ret = page_address(page);
  }
  if (tracepoints_enabled) {
    trace_event('kmalloc', `ptr=${formatKernelAddress(ret)} bytes_req=${size} bytes_alloc=${PAGE_SIZE << order} gfp_flags=${format_gfp(flags)}`);
  }
  return ret;
}

/* ---- kmem_cache_create / kmem_cache_destroy ---- */

/** SLAB_FLAGS_PERMITTED: what kmem_cache_create() accepts. */
function flags_permitted(): number {
  return SLAB_CORE_FLAGS | SLAB_RED_ZONE | SLAB_POISON | SLAB_STORE_USER | SLAB_TRACE | SLAB_CONSISTENCY_CHECKS |
    SLAB_MEM_SPREAD | SLAB_NOLEAKTRACE | SLAB_RECLAIM_ACCOUNT | SLAB_ACCOUNT | SLAB_FAILSLAB;
}

function kmem_cache_sanity_check(name: string, size: number): number {
  if (!name || !Number.isInteger(size) || size < 8 || size > KMALLOC_MAX_SIZE) return -22; // -EINVAL
  return 0;
}

/**
 * Create a cache of `size`-byte objects. `ctor` runs on every object when its slab is
 * allocated. A failure is a bug here (the kernel returns NULL, or panics with SLAB_PANIC).
 */
export function kmem_cache_create(name: string, size: number, align: number, flags: number, ctor?: (obj: number) => void): KmemCache {
  let err = kmem_cache_sanity_check(name, size);
  let s: KmemCache | null = null;
  if (!err && (flags & ~flags_permitted())) err = -22;
  if (!err) {
    flags &= CACHE_CREATE_MASK;
    const addr = kmem_cache_zalloc(kmem_cache!, GFP_KERNEL);
    if (addr === 0) {
      err = -12; // -ENOMEM
    } else {
      s = new KmemCache(addr);
      s.name = name;
      s.size = s.object_size = size;
      s.align = calculate_alignment(flags, align, size);
      s.ctor = ctor ?? null;
      s.useroffset = 0;
      s.usersize = 0;
      register_kmem_cache(s);
      err = __kmem_cache_create(s, flags);
      if (err) {
        unregister_kmem_cache(s);
        kmem_cache_free(kmem_cache!, addr);
        s = null;
      } else {
        set_refcount(s, 1);
        slab_caches_add(s);
        // With struct slabs allocated separately, a new cache's slabs get them from the start.
        if (slab_desc_new_caches) slab_desc_cache_attach(s);
      }
    }
  }
  if (err || s === null) {
    if (flags & SLAB_PANIC) {
      throw new KernelBug(`Kernel panic - not syncing: kmem_cache_create: Failed to create slab '${name}'. Error ${err}`);
    }
    throw new KernelBug(`kmem_cache_create(${name}) failed with error ${err}`);
  }
  return s;
}

function shutdown_cache(s: KmemCache): void {
  if (__kmem_cache_shutdown(s) !== 0) {
    throw new KernelBug(`BUG ${s.name} (Not tainted): Objects remaining in ${s.name} on __kmem_cache_shutdown()\n` +
      `kmem_cache_destroy ${s.name}: Slab cache still has objects`);
  }
  list_del(cache_list(s));
  kmem_cache_release_nodes(s);
  unregister_kmem_cache(s);
  kmem_cache_free(kmem_cache!, s.addr);
}

/** Destroy a cache; every object must have been freed (BUG otherwise). */
export function kmem_cache_destroy(s: KmemCache | null | undefined): void {
  if (!s) return;
  set_refcount(s, s.refcount - 1);
  if (s.refcount) return;
  shutdown_cache(s);
}

/* ---- memdesc descriptor caches (stage 2) ---- */

/**
 * Create the cache of `type` descriptors (include/linux/memdesc.ts): `size` bytes each, the
 * back pointer first (MEMDESC_DESC_PAGE), rounded up to and aligned on 16 bytes so that the
 * word's low 4 bits are free for the tag. `flags` default to SLAB_TYPESAFE_BY_RCU, as the plan
 * asks of descriptor caches (pfn walkers look a memdesc up under RCU only): a freed
 * descriptor stays one of its type, its free pointer outside the object, at 8 bytes more per
 * object. One cache per type; a second is a bug.
 */
export function memdesc_cache_create(name: string, size: number, type: number, flags = SLAB_TYPESAFE_BY_RCU): KmemCache {
  if (!memdesc_type_has_desc(type)) BUG(`memdesc_cache_create(${name}): type ${type} carries no descriptor`);
  if (!Number.isInteger(size) || size < MEMDESC_DESC_HEADER) BUG(`memdesc_cache_create(${name}): size ${size} leaves no room for the back pointer`);
  if (memdesc_cache_addr(type) !== 0) BUG(`memdesc_cache_create(${name}): type ${type} (${memdesc_type_name(type)}) already has a cache`);
  note_descriptor_cache(name);
  const bytes = Math.ceil(size / MEMDESC_ALIGN) * MEMDESC_ALIGN;
  if (placement_preserving()) {
    const a = arena_memdesc_cache_create(name, bytes, type, flags | SLAB_PANIC);
    if (type === MEMDESC_TYPE_SLAB) set_slab_desc_cache(a);
    return a;
  }
  if (type === MEMDESC_TYPE_SLAB) {
    // struct slab's own cache: static and self-describing (slub.ts), as the first slab needs it.
    const cflags = (flags | SLAB_PANIC) & CACHE_CREATE_MASK;
    const d = slab_desc_cache_create(name, bytes, calculate_alignment(cflags, MEMDESC_ALIGN, bytes), cflags);
    if (d.size % MEMDESC_ALIGN !== 0 || d.red_left_pad % MEMDESC_ALIGN !== 0) BUG(`memdesc_cache_create(${name}): objects not 16-byte aligned`);
    slab_caches_add(d);
    memdesc_register_cache(type, name, d.addr, d.size);
    return d;
  }
  const s = kmem_cache_create(name, Math.ceil(size / MEMDESC_ALIGN) * MEMDESC_ALIGN, MEMDESC_ALIGN, flags | SLAB_PANIC);
  if (s.size % MEMDESC_ALIGN !== 0 || s.red_left_pad % MEMDESC_ALIGN !== 0) BUG(`memdesc_cache_create(${name}): objects not 16-byte aligned`);
  memdesc_register_cache(type, name, s.addr, s.size);
  return s;
}

/** The cache of `type` descriptors, or null when none was created. */
export function memdesc_cache(type: number): KmemCache | null {
  const addr = memdesc_cache_addr(type);
  return addr === 0 ? null : arena_caches.get(addr)?.s ?? kmem_cache_from_addr(addr);
}

/** Destroy the cache of `type` descriptors: every descriptor must have been freed. Not the slab descriptors' own. */
export function memdesc_cache_destroy(type: number): void {
  const s = memdesc_cache(type);
  if (s === null) return;
  if (type === MEMDESC_TYPE_SLAB && s === slab_desc_cache) BUG('memdesc_cache_destroy: the struct slab cache describes slabs');
  const arena = arena_caches.get(s.addr);
  if (arena !== undefined) {
    if (arena.c.live.size !== 0) throw new KernelBug(`kmem_cache_destroy ${s.name}: Slab cache still has objects`);
    arena_caches.delete(s.addr);
  } else {
    kmem_cache_destroy(s);
  }
  memdesc_unregister_cache(type);
}

/**
 * A new descriptor of `type`: zeroed, so its back pointer is 0 until the owner fills it
 * (memdesc_set_desc_page()); 16-byte aligned; counted in memdesc_stats(). 0 on failure.
 */
export function memdesc_alloc(type: number, gfp: number): number {
  const s = memdesc_cache(type);
  if (s === null) BUG(`memdesc_alloc: no ${memdesc_type_name(type)} descriptor cache`);
  const arena = arena_caches.get(s.addr);
  const desc = arena !== undefined ? arena_cache_alloc(arena.c, (addr, len) => memset(addr, 0, len)) : kmem_cache_zalloc(s, gfp);
  if (desc === 0) return 0;
  if (desc % MEMDESC_ALIGN !== 0) BUG(`memdesc_alloc: ${s.name} descriptor ${formatKernelAddress(desc)} not 16-byte aligned`);
  memdesc_account(type, 1);
  return desc;
}

/** Free a descriptor of `type`; its back pointer is cleared first, so a stale memdesc word no longer round-trips. */
export function memdesc_free(type: number, desc: number): void {
  const s = memdesc_cache(type);
  if (s === null) BUG(`memdesc_free: no ${memdesc_type_name(type)} descriptor cache`);
  if (desc === 0 || desc % MEMDESC_ALIGN !== 0) BUG(`memdesc_free: ${formatKernelAddress(desc)} is not a ${s.name} descriptor`);
  memdesc_set_desc_page(desc, null);
  const arena = arena_caches.get(s.addr);
  if (arena !== undefined) arena_cache_free(arena.c, desc);
  else kmem_cache_free(s, desc);
  memdesc_account(type, -1);
}

/*
 * Placement-preserving runs (sim/arena.ts): a descriptor cache is an arena cache. Its struct
 * kmem_cache and its objects live in the metadata arena above RAM; the object size is the one
 * the slab cache would have (calculate_sizes()), so memdesc_stats() reads the same. It is on no
 * list (not in /proc/slabinfo), has no slabs, takes no page from the buddy allocator and emits
 * no event: separating a kind moves no other allocation.
 */

/** The arena caches of this machine, by the address of their struct kmem_cache. */
let arena_caches = new Map<number, { s: KmemCache; c: ArenaCache }>();

function arena_memdesc_cache_create(name: string, size: number, type: number, flags: number): KmemCache {
  const s = new KmemCache(arena_alloc(KMEM_CACHE_STRUCT_SIZE, 64));
  s.name = name;
  s.object_size = size;
  s.align = calculate_alignment(flags, MEMDESC_ALIGN, size);
  s.flags = (flags & CACHE_CREATE_MASK) >>> 0;
  calculate_sizes(s, -1);
  write32(s.addr + KMEM_CACHE_FLAGS, s.flags);
  if (s.size % MEMDESC_ALIGN !== 0) BUG(`memdesc_cache_create(${name}): objects not 16-byte aligned`);
  arena_caches.set(s.addr, { s, c: arena_cache_create(s.size, MEMDESC_ALIGN) });
  memdesc_register_cache(type, name, s.addr, s.size);
  return s;
}

/* ---- /proc/slabinfo ---- */

export interface SlabinfoRow {
  name: string;
  active_objs: number;
  num_objs: number;
  objsize: number;
  objperslab: number;
  pagesperslab: number;
  active_slabs: number;
  num_slabs: number;
}

/** One row of /proc/slabinfo per cache, as data. */
export function slabinfo_stats(): SlabinfoRow[] {
  return all_kmem_caches().map((s) => {
    const info = get_slabinfo(s);
    return {
      name: s.name,
      active_objs: info.active_objs,
      num_objs: info.num_objs,
      objsize: s.size,
      objperslab: info.objects_per_slab,
      pagesperslab: 1 << info.cache_order,
      active_slabs: info.active_slabs,
      num_slabs: info.num_slabs,
    };
  });
}

function pad(v: number, w: number): string {
  return String(v).padStart(w);
}

/** /proc/slabinfo (version 2.1; SLUB has no tunables). */
export function slabinfo(): string {
  const lines = [
    'slabinfo - version: 2.1',
    '# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab>' +
      ' : tunables <limit> <batchcount> <sharedfactor> : slabdata <active_slabs> <num_slabs> <sharedavail>',
  ];
  for (const r of slabinfo_stats()) {
    lines.push(
      `${r.name.padEnd(17)} ${pad(r.active_objs, 6)} ${pad(r.num_objs, 6)} ${pad(r.objsize, 6)} ${pad(r.objperslab, 4)} ${pad(r.pagesperslab, 4)}` +
        ` : tunables ${pad(0, 4)} ${pad(0, 4)} ${pad(0, 4)} : slabdata ${pad(r.active_slabs, 6)} ${pad(r.num_slabs, 6)} ${pad(0, 6)}`,
    );
  }
  return lines.join('\n');
}

register_report({ name: 'slabinfo', title: '/proc/slabinfo', text: slabinfo, json: slabinfo_stats });
