/**
 * hwpoison: hardware memory errors injected into a running machine. Processes and kernel
 * caches keep working in the background; every so often a pfn of a chosen kind (free, slab,
 * page table, zsmalloc, anonymous, or any pfn at all) is handed to memory_failure(), and now
 * and then a zsmalloc or free page is soft-offlined (a correctable error: zsmalloc pages migrate
 * and their objects are checked afterwards). The candidates are found the generic way, through
 * the kpageflags walker.
 */
import type { Workload, WorkloadContext } from './types.ts';
import { slab_setup, slab_step, slab_teardown } from './slab.ts';
import { mm_setup, mm_step, mm_reap, mm_teardown, type MmState } from './mm.ts';
import { memory_failure, soft_offline_page } from '../../mm/memory-failure.ts';
import { kpageflags, KPF_SLAB, KPF_PGTABLE, KPF_ANON, KPF_LRU, KPF_ZSMALLOC, KPF_COMPOUND_TAIL, KPF_COMPOUND_HEAD, KPF_HWPOISON } from '../../fs/proc/page.ts';
import { free_blocks, drain_all_pages } from '../../mm/page_alloc.ts';
import { max_pfn } from '../../include/linux/mm.ts';
import { zs_create_pool, zs_malloc, zs_free, zs_destroy_pool, zs_map_object, zs_unmap_object, ZS_MAX_ALLOC_SIZE, type ZsPool } from '../../mm/zsmalloc.ts';
import { ZS_MM_RO, ZS_MM_WO } from '../../include/linux/zsmalloc.ts';
import { copy_to, copy_from } from '../memory.ts';
import { KernelBug } from '../errors.ts';
import { GFP_KERNEL, __GFP_NOWARN } from '../../include/linux/gfp.ts';
import { trace_event } from '../trace.ts';
import type { Rng } from '../random.ts';
import { vmalloc, vfree, vmalloc_to_page } from '../../include/linux/vmalloc.ts';
import { page_to_pfn } from '../../include/linux/mm.ts';
import { PAGE_SIZE } from '../../arch/x86/include/asm/page_64_types.ts';

/**
 * Bits of a kpageflags value as masks of its two 32-bit halves: values are exact integers below
 * 2^53, so `f >>> 0` is the low half exactly and (f - lo) / 2^32 the high half. The pfn scan tests
 * each of its 16k values with a mask or two, not a division per bit.
 */
interface Masks {
  lo: number;
  hi: number;
}

function masks(bits: readonly number[]): Masks {
  const m = { lo: 0, hi: 0 };
  for (const b of bits) {
    if (b < 32) m.lo |= 1 << b;
    else m.hi |= 1 << (b - 32);
  }
  return m;
}

/** A pfn that is no candidate of any kind: poisoned already, or part of a compound page. */
const SKIP = masks([KPF_HWPOISON, KPF_COMPOUND_TAIL, KPF_COMPOUND_HEAD]);
/** What a candidate of a kind has: every bit of its masks. */
const WANT: Partial<Record<Kind, Masks>> = {
  slab: masks([KPF_SLAB]),
  pgtable: masks([KPF_PGTABLE]),
  zsmalloc: masks([KPF_ZSMALLOC]),
  anon: masks([KPF_ANON, KPF_LRU]),
};

const KINDS = ['free', 'slab', 'pgtable', 'zsmalloc', 'vmalloc', 'anon', 'any'] as const;
type Kind = (typeof KINDS)[number];

/** A random pfn of the given kind, or null when there is none right now. */
export function pick_pfn(rng: Rng, kind: Kind, vmalloc_areas: readonly VmallocArea[] = []): number | null {
  if (kind === 'any') return rng.below(max_pfn());
  if (kind === 'vmalloc') {
    // vmalloc pages have no page type: the workload knows its own buffers.
    if (vmalloc_areas.length === 0) return null;
    const area = rng.pick(vmalloc_areas);
    const page = vmalloc_to_page(area.addr + rng.below(area.pages) * PAGE_SIZE);
    return page ? page_to_pfn(page) : null;
  }
  if (kind === 'free') {
    drain_all_pages();
    const blocks = free_blocks();
    if (blocks.length === 0) return null;
    const [pfn, order] = rng.pick(blocks);
    return pfn + rng.below(1 << order);
  }
  const flags = kpageflags();
  const candidates: number[] = [];
  const want = WANT[kind];
  if (want) {
    for (let pfn = 0; pfn < flags.length; pfn++) {
      const f = flags[pfn]!;
      const lo = f >>> 0;
      // Only order-0 pages or compound heads: a tail pfn is its head's business.
      if ((lo & SKIP.lo) !== 0 || (lo & want.lo) !== want.lo) continue;
      if (SKIP.hi !== 0 || want.hi !== 0) {
        const hi = (f - lo) / 4294967296;
        if ((hi & SKIP.hi) !== 0 || (hi & want.hi) !== want.hi) continue;
      }
      candidates.push(pfn);
    }
  }
  return candidates.length ? rng.pick(candidates) : null;
}

export interface VmallocArea {
  addr: number;
  pages: number;
}

export function inject_failure(ctx: WorkloadContext, mm: MmState, op: number, kinds: readonly Kind[] = KINDS, vmalloc_areas: readonly VmallocArea[] = []): void {
  const kind = ctx.rng.pick(kinds);
  const pfn = pick_pfn(ctx.rng, kind, vmalloc_areas);
  if (pfn === null) {
    trace_event('hwpoison', `op=${op} no ${kind} page to poison`);
    return;
  }
  const r = memory_failure(pfn);
  const reaped = mm_reap(mm);
  trace_event('hwpoison', `op=${op} inject ${kind} pfn=0x${pfn.toString(16)} -> ${r.type}: ${r.result} killed=[${r.killed.join(',')}] reaped=[${reaped.join(',')}]`);
}

/** A zsmalloc object of the workload: its handle, size and the stamp its bytes derive from. */
export interface ZsObject {
  handle: number;
  size: number;
  stamp: number;
}

/** The bytes of an object: a stamp-derived sequence, unique per object and offset. */
function zs_pattern(o: ZsObject): Uint8Array {
  const out = new Uint8Array(o.size);
  let x = (o.stamp | 1) >>> 0;
  for (let i = 0; i < o.size; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** The object still holds its bytes (read through zs_map_object, wherever compaction or migration put it). */
export function zs_check(pool: ZsPool, o: ZsObject): void {
  const buf = zs_map_object(pool, o.handle, ZS_MM_RO);
  const got = copy_from(buf, o.size);
  zs_unmap_object(pool, o.handle);
  const want = zs_pattern(o);
  for (let i = 0; i < o.size; i++) {
    if (got[i] !== want[i]) throw new KernelBug(`hwpoison workload: zsmalloc object ${o.handle.toString(16)} (${o.size} bytes) changed at offset ${i}`);
  }
}

/**
 * A small zsmalloc user so that there are zsmalloc pages to hit: objects of every size class,
 * huge ones included, written on allocation and checked before they are freed.
 */
function zs_step(ctx: WorkloadContext, pool: ZsPool, objs: ZsObject[]): void {
  if (objs.length < 200 && (objs.length === 0 || ctx.rng.chance(0.6))) {
    const size = ctx.rng.range(32, ZS_MAX_ALLOC_SIZE);
    const handle = zs_malloc(pool, size, GFP_KERNEL | __GFP_NOWARN);
    if (!handle) return;
    const o = { handle, size, stamp: ctx.rng.u32() };
    const buf = zs_map_object(pool, handle, ZS_MM_WO);
    copy_to(buf, zs_pattern(o));
    zs_unmap_object(pool, handle);
    objs.push(o);
  } else {
    const i = ctx.rng.below(objs.length);
    zs_check(pool, objs[i]!);
    zs_free(pool, objs[i]!.handle);
    objs[i] = objs[objs.length - 1]!;
    objs.pop();
  }
}

/** A correctable-error report: soft-offline a zsmalloc page (its objects move) or a free page. */
function soft_offline(ctx: WorkloadContext, op: number): void {
  const kind = ctx.rng.chance(0.75) ? 'zsmalloc' : 'free';
  const pfn = pick_pfn(ctx.rng, kind);
  if (pfn === null) {
    trace_event('hwpoison', `op=${op} no ${kind} page to soft-offline`);
    return;
  }
  const r = soft_offline_page(pfn);
  trace_event('hwpoison', `op=${op} soft-offline ${kind} pfn=0x${pfn.toString(16)} -> ${r.type}: ${r.result} ${r.owner}`);
}

export const hwpoisonWorkload: Workload = {
  name: 'hwpoison',
  description: 'memory failure injected into free, slab, page-table, zsmalloc and anonymous pages of a running machine',
  defaultOps: 6000,
  run(ctx) {
    const slab = slab_setup();
    const mm = mm_setup(8, 64, 256);
    const pool = zs_create_pool('hwpoison');
    const objs: ZsObject[] = [];
    // A driver's buffers: vmalloc areas that live for the whole run.
    const areas: VmallocArea[] = [];
    for (let i = 0; i < 4; i++) {
      const pages = ctx.rng.range(1, 16);
      const addr = vmalloc(pages * PAGE_SIZE, 'hwpoison_driver_init');
      if (addr) areas.push({ addr, pages });
    }
    for (let op = 0; op < ctx.ops; op++) {
      const w = ctx.rng.weighted([55, 25, 10, 2, 1]);
      if (w === 0) mm_step(ctx, mm, op);
      else if (w === 1) slab_step(ctx, slab, op);
      else if (w === 2) zs_step(ctx, pool, objs);
      else if (w === 3) inject_failure(ctx, mm, op, KINDS, areas);
      else soft_offline(ctx, op);
      ctx.after_op?.(op);
    }
    for (const a of areas) vfree(a.addr);
    mm_reap(mm);
    mm_teardown(mm);
    slab_teardown(slab);
    for (const o of objs) {
      zs_check(pool, o);
      zs_free(pool, o.handle);
    }
    zs_destroy_pool(pool);
  },
};
