/**
 * slab: kernel object churn. A few named caches (as a filesystem and the network stack would
 * create) plus kmalloc of every size class and large kmalloc; every object is filled with a
 * pattern and checked before it is freed; caches are shrunk now and then and destroyed at the end.
 */
import type { Workload, WorkloadContext } from './types.ts';
import {
  kmem_cache_create, kmem_cache_alloc, kmem_cache_free, kmem_cache_destroy, kmalloc, kfree, kmem_cache_shrink,
  SLAB_HWCACHE_ALIGN, SLAB_RECLAIM_ACCOUNT, type KmemCache,
} from '../../include/linux/slab.ts';
import { GFP_KERNEL, __GFP_NOWARN } from '../../include/linux/gfp.ts';
import { bytes } from '../memory.ts';
import { trace_event } from '../trace.ts';
import { KernelBug, formatKernelAddress } from '../errors.ts';
import { drain_all_pages, nr_free_pages } from '../../mm/page_alloc.ts';

interface Obj {
  addr: number;
  size: number;
  cache: KmemCache | null;
  seed: number;
}

/** Deterministic byte pattern for an object: cheap, and different for every object. */
function pattern_byte(seed: number, i: number): number {
  return (Math.imul(seed ^ i, 0x9e3779b1) >>> 24) & 0xff;
}

export function fill_object(o: Obj): void {
  const mem = bytes(o.addr, o.size);
  for (let i = 0; i < o.size; i++) mem[i] = pattern_byte(o.seed, i);
}

export function check_object(o: Obj, what: string): void {
  const mem = bytes(o.addr, o.size);
  for (let i = 0; i < o.size; i++) {
    if (mem[i] !== pattern_byte(o.seed, i)) {
      throw new KernelBug(`${what}: object ${formatKernelAddress(o.addr)} (${o.size} bytes) corrupted at offset ${i}`);
    }
  }
}

/** Object sizes of kmalloc users: mostly small, sometimes page-sized, rarely large. */
const KMALLOC_SIZES = [8, 16, 24, 32, 40, 64, 72, 96, 100, 128, 150, 192, 200, 256, 300, 512, 700, 1024, 1500, 2048, 3000, 4096, 6000, 8192, 12000, 20000, 40000];
const KMALLOC_WEIGHTS = [6, 6, 4, 8, 3, 10, 3, 6, 2, 8, 2, 5, 2, 6, 2, 5, 2, 4, 2, 3, 1, 2, 1, 1, 1, 1, 1];

export interface SlabState {
  caches: KmemCache[];
  live: Obj[];
}

export function slab_setup(): SlabState {
  return {
    caches: [
      kmem_cache_create('dentry', 192, 8, SLAB_RECLAIM_ACCOUNT),
      kmem_cache_create('inode_cache', 600, 8, SLAB_RECLAIM_ACCOUNT),
      kmem_cache_create('buffer_head', 104, 8, SLAB_RECLAIM_ACCOUNT),
      kmem_cache_create('skbuff_head_cache', 232, 0, SLAB_HWCACHE_ALIGN),
      kmem_cache_create('task_struct', 3456, 64, SLAB_HWCACHE_ALIGN),
    ],
    live: [],
  };
}

export function slab_step(ctx: WorkloadContext, st: SlabState, op: number): void {
  const { rng } = ctx;
  const r = rng.u32() / 4294967296;
  if (st.live.length === 0 || r < 0.52) {
    let o: Obj;
    if (rng.chance(0.4)) {
      const cache = rng.pick(st.caches);
      const addr = kmem_cache_alloc(cache, GFP_KERNEL | __GFP_NOWARN);
      if (!addr) {
        trace_event('slab', `op=${op} alloc ${cache.name} failed`);
        return;
      }
      o = { addr, size: cache.object_size, cache, seed: rng.u32() };
      trace_event('slab', `op=${op} alloc ${cache.name} ${formatKernelAddress(addr)}`);
    } else {
      const size = KMALLOC_SIZES[rng.weighted(KMALLOC_WEIGHTS)]!;
      const addr = kmalloc(size, GFP_KERNEL | __GFP_NOWARN);
      if (!addr) {
        trace_event('slab', `op=${op} kmalloc ${size} failed`);
        return;
      }
      o = { addr, size, cache: null, seed: rng.u32() };
      trace_event('slab', `op=${op} kmalloc ${size} ${formatKernelAddress(addr)}`);
    }
    fill_object(o);
    st.live.push(o);
  } else if (r < 0.995) {
    const i = rng.below(st.live.length);
    const o = st.live[i]!;
    st.live[i] = st.live[st.live.length - 1]!;
    st.live.pop();
    check_object(o, 'slab workload');
    if (o.cache) kmem_cache_free(o.cache, o.addr);
    else kfree(o.addr);
    trace_event('slab', `op=${op} free ${formatKernelAddress(o.addr)}`);
  } else {
    const cache = rng.pick(st.caches);
    kmem_cache_shrink(cache);
    trace_event('slab', `op=${op} shrink ${cache.name}`);
  }
}

export function slab_teardown(st: SlabState): void {
  for (const o of st.live) {
    check_object(o, 'slab workload teardown');
    if (o.cache) kmem_cache_free(o.cache, o.addr);
    else kfree(o.addr);
  }
  st.live = [];
  for (const cache of st.caches) kmem_cache_destroy(cache);
  st.caches = [];
}

export const slabWorkload: Workload = {
  name: 'slab',
  description: 'SLUB: named caches and kmalloc of every size, contents checked, caches destroyed',
  defaultOps: 20000,
  run(ctx) {
    const st = slab_setup();
    for (let op = 0; op < ctx.ops; op++) {
      slab_step(ctx, st, op);
      ctx.after_op?.(op);
    }
    slab_teardown(st);
    drain_all_pages();
    trace_event('slab', `teardown free=${nr_free_pages()}`);
  },
};
