/**
 * The slab allocator's public interface (include/linux/slab.h, v5.10 era): cache flags,
 * kmalloc size limits, the kmalloc()/kzalloc() family and kmem_cache_*(). The allocator is
 * SLUB (mm/slub.ts); kmalloc caches, cache creation and /proc/slabinfo are in
 * mm/slab_common.ts.
 *
 * Objects are kernel virtual addresses (numbers); 0 is NULL. A cache is a KmemCache, the JS
 * side of a struct kmem_cache that has a real address (KmemCache.addr) in simulated memory.
 */
import { __kmalloc } from '../../mm/slub.ts';
import { __GFP_ZERO } from './gfp.ts';
import { PAGE_SHIFT } from '../../arch/x86/include/asm/page_64_types.ts';
import { MAX_PAGE_ORDER } from './mmzone.ts';

/* Flags to pass to kmem_cache_create() (slab_flags_t). */

/** DEBUG: perform (expensive) checks on alloc/free. */
export const SLAB_CONSISTENCY_CHECKS = 0x00000100;
/** DEBUG: red zone objects in a cache. */
export const SLAB_RED_ZONE = 0x00000400;
/** DEBUG: poison objects. */
export const SLAB_POISON = 0x00000800;
/** Align objects on cache lines. */
export const SLAB_HWCACHE_ALIGN = 0x00002000;
/** Use GFP_DMA memory (no ZONE_DMA in the simulation: accepted, ignored). */
export const SLAB_CACHE_DMA = 0x00004000;
/** Use GFP_DMA32 memory. */
export const SLAB_CACHE_DMA32 = 0x00008000;
/** DEBUG: store the last owner for bug hunting (not modelled). */
export const SLAB_STORE_USER = 0x00010000;
/** Objects are reclaimable: slab pages count as NR_SLAB_RECLAIMABLE. */
export const SLAB_RECLAIM_ACCOUNT = 0x00020000;
export const SLAB_TEMPORARY = SLAB_RECLAIM_ACCOUNT;
/** Panic if kmem_cache_create() fails. */
export const SLAB_PANIC = 0x00040000;
/**
 * Defer freeing slabs to RCU: the memory stays a slab of the same type while readers may
 * look at it, so the free pointer must not overlay the object. (The simulation has no RCU
 * grace periods; the layout consequence is modelled.)
 */
export const SLAB_TYPESAFE_BY_RCU = 0x00080000;
export const SLAB_MEM_SPREAD = 0x00100000;
/** DEBUG: trace allocations and frees. */
export const SLAB_TRACE = 0x00200000;
export const SLAB_DEBUG_OBJECTS = 0x00400000;
export const SLAB_NOLEAKTRACE = 0x00800000;
export const SLAB_FAILSLAB = 0x02000000;
/** Account objects to memcg (no memcg in the simulation: accepted, recorded). */
export const SLAB_ACCOUNT = 0x04000000;

/** Flags the allocator understands (mm/slab.h SLAB_CORE_FLAGS | SLAB_DEBUG_FLAGS | SLAB_CACHE_FLAGS). */
export const SLAB_DEBUG_FLAGS = SLAB_RED_ZONE | SLAB_POISON | SLAB_STORE_USER | SLAB_TRACE | SLAB_CONSISTENCY_CHECKS;
export const SLAB_CACHE_FLAGS = SLAB_NOLEAKTRACE | SLAB_RECLAIM_ACCOUNT | SLAB_TEMPORARY | SLAB_ACCOUNT;
export const SLAB_CORE_FLAGS = SLAB_HWCACHE_ALIGN | SLAB_CACHE_DMA | SLAB_CACHE_DMA32 | SLAB_PANIC |
  SLAB_TYPESAFE_BY_RCU | SLAB_DEBUG_OBJECTS;
export const CACHE_CREATE_MASK = SLAB_CORE_FLAGS | SLAB_DEBUG_FLAGS | SLAB_CACHE_FLAGS | SLAB_MEM_SPREAD | SLAB_FAILSLAB;

/**
 * kmalloc(0) returns ZERO_SIZE_PTR: dereferencing it faults, kfree() accepts it.
 */
export const ZERO_SIZE_PTR = 16;

export function ZERO_OR_NULL_PTR(x: number): boolean {
  return x <= ZERO_SIZE_PTR;
}

/** ARCH_KMALLOC_MINALIGN / ARCH_SLAB_MINALIGN: __alignof__(unsigned long long). */
export const ARCH_KMALLOC_MINALIGN = 8;
export const ARCH_SLAB_MINALIGN = 8;

/** SLUB kmalloc geometry on x86-64: caches from 8 bytes (2^3) to 8 KiB (2^13). */
export const KMALLOC_SHIFT_LOW = 3;
export const KMALLOC_SHIFT_HIGH = PAGE_SHIFT + 1;
/** Largest kmalloc() request: MAX_ORDER pages (the top order of the buddy allocator). */
export const KMALLOC_SHIFT_MAX = MAX_PAGE_ORDER + PAGE_SHIFT;
export const KMALLOC_MAX_SIZE = 2 ** KMALLOC_SHIFT_MAX;
export const KMALLOC_MAX_CACHE_SIZE = 2 ** KMALLOC_SHIFT_HIGH;
export const KMALLOC_MIN_SIZE = 2 ** KMALLOC_SHIFT_LOW;

/** Allocate `size` bytes; 0 on failure, ZERO_SIZE_PTR for size 0. */
export function kmalloc(size: number, flags: number): number {
  return __kmalloc(size, flags);
}

/** kmalloc() with the memory zeroed. */
export function kzalloc(size: number, flags: number): number {
  return __kmalloc(size, flags | __GFP_ZERO);
}

/** Allocate an array of `n` elements of `size` bytes; 0 if n * size overflows size_t. */
export function kmalloc_array(n: number, size: number, flags: number): number {
  const bytes = n * size;
  if (size !== 0 && (bytes / size !== n || bytes >= 2 ** 64)) return 0;
  return __kmalloc(bytes, flags);
}

export function kcalloc(n: number, size: number, flags: number): number {
  return kmalloc_array(n, size, flags | __GFP_ZERO);
}

export {
  KmemCache, KmemCacheNode, kmem_cache_alloc, kmem_cache_zalloc, kmem_cache_free, kmem_cache_shrink, kfree, ksize,
  __kmalloc, kmem_cache_from_addr,
} from '../../mm/slub.ts';
export {
  kmem_cache_create, kmem_cache_destroy, kmalloc_slab, kmalloc_index, slabinfo_stats, type SlabinfoRow,
} from '../../mm/slab_common.ts';
