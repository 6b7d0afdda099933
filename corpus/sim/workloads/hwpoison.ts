/**
 * hwpoison: hardware memory errors injected into a running machine. Processes and kernel
 * caches keep working in the background; every so often a pfn of a chosen kind (free, slab,
 * page table, zsmalloc, anonymous, or any pfn at all) is handed to memory_failure(). The
 * candidates are found the generic way, through the kpageflags walker.
 */
import type { Workload, WorkloadContext } from './types.ts';
import { slab_setup, slab_step, slab_teardown } from './slab.ts';
import { mm_setup, mm_step, mm_reap, mm_teardown, type MmState } from './mm.ts';
import { memory_failure } from '../../mm/memory-failure.ts';
import { kpageflags, KPF_SLAB, KPF_PGTABLE, KPF_ANON, KPF_LRU, KPF_ZSMALLOC, KPF_COMPOUND_TAIL, KPF_COMPOUND_HEAD, KPF_HWPOISON } from '../../fs/proc/page.ts';
import { free_blocks, drain_all_pages } from '../../mm/page_alloc.ts';
import { max_pfn } from '../../include/linux/mm.ts';
import { zs_create_pool, zs_malloc, zs_free, zs_destroy_pool, type ZsPool } from '../../mm/zsmalloc.ts';
import { GFP_KERNEL, __GFP_NOWARN } from '../../include/linux/gfp.ts';
import { trace_event } from '../trace.ts';
import type { Rng } from '../random.ts';
import { vmalloc, vfree, vmalloc_to_page } from '../../include/linux/vmalloc.ts';
import { page_to_pfn } from '../../include/linux/mm.ts';
import { PAGE_SIZE } from '../../arch/x86/include/asm/page_64_types.ts';

/** Bit `bit` of a kpageflags value (up to 64 bits, exact below 2^53). */
function has(flags: number, bit: number): boolean {
  // The low word by remainder, then a shift: the pfn scan tests 16k values several times.
  return bit < 32 ? (((flags % 4294967296) >>> bit) & 1) === 1 : Math.floor(flags / 2 ** bit) % 2 === 1;
}

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
  for (let pfn = 0; pfn < flags.length; pfn++) {
    const f = flags[pfn]!;
    // Only order-0 pages or compound heads: a tail pfn is its head's business.
    if (has(f, KPF_HWPOISON) || has(f, KPF_COMPOUND_TAIL) || has(f, KPF_COMPOUND_HEAD)) continue;
    if ((kind === 'slab' && has(f, KPF_SLAB)) || (kind === 'pgtable' && has(f, KPF_PGTABLE)) ||
        (kind === 'zsmalloc' && has(f, KPF_ZSMALLOC)) || (kind === 'anon' && has(f, KPF_ANON) && has(f, KPF_LRU))) {
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

/** A small zsmalloc user so that there are zsmalloc pages to hit. */
function zs_step(ctx: WorkloadContext, pool: ZsPool, handles: number[]): void {
  if (handles.length < 200 && (handles.length === 0 || ctx.rng.chance(0.6))) {
    const h = zs_malloc(pool, ctx.rng.range(32, 3000), GFP_KERNEL | __GFP_NOWARN);
    if (h) handles.push(h);
  } else {
    const i = ctx.rng.below(handles.length);
    zs_free(pool, handles[i]!);
    handles[i] = handles[handles.length - 1]!;
    handles.pop();
  }
}

export const hwpoisonWorkload: Workload = {
  name: 'hwpoison',
  description: 'memory failure injected into free, slab, page-table, zsmalloc and anonymous pages of a running machine',
  defaultOps: 6000,
  run(ctx) {
    const slab = slab_setup();
    const mm = mm_setup(8, 64, 256);
    const pool = zs_create_pool('hwpoison');
    const handles: number[] = [];
    // A driver's buffers: vmalloc areas that live for the whole run.
    const areas: VmallocArea[] = [];
    for (let i = 0; i < 4; i++) {
      const pages = ctx.rng.range(1, 16);
      const addr = vmalloc(pages * PAGE_SIZE, 'hwpoison_driver_init');
      if (addr) areas.push({ addr, pages });
    }
    for (let op = 0; op < ctx.ops; op++) {
      const w = ctx.rng.weighted([55, 25, 10, 2]);
      if (w === 0) mm_step(ctx, mm, op);
      else if (w === 1) slab_step(ctx, slab, op);
      else if (w === 2) zs_step(ctx, pool, handles);
      else inject_failure(ctx, mm, op, KINDS, areas);
    }
    for (const a of areas) vfree(a.addr);
    mm_reap(mm);
    mm_teardown(mm);
    slab_teardown(slab);
    for (const h of handles) zs_free(pool, h);
    zs_destroy_pool(pool);
  },
};
