/**
 * mixed: every subsystem at once, at ratios like a busy server's, under memory pressure.
 * Processes come and go and touch anonymous memory (more of it than RAM, so reclaim compresses
 * pages into zswap and faults bring them back); kernel code churns slab objects and vmalloc
 * buffers; drivers take page blocks; zsmalloc compaction runs; hardware errors are injected.
 * The machine is left running at the end so the reports describe a live system.
 */
import type { Workload, WorkloadContext } from './types.ts';
import { buddy_step } from './buddy.ts';
import { slab_setup, slab_step } from './slab.ts';
import { mm_setup, mm_step } from './mm.ts';
import { zswap_setup, zswap_step } from './zswap.ts';
import { inject_failure, type VmallocArea } from './hwpoison.ts';
import { vmalloc, vfree } from '../../include/linux/vmalloc.ts';
import { zswap_pool_compact } from '../../mm/zswap.ts';
import { read32, write32 } from '../memory.ts';
import { trace_event } from '../trace.ts';
import { buddyinfo } from '../../mm/page_alloc.ts';
import { KernelBug, formatKernelAddress } from '../errors.ts';
import { PAGE_SIZE } from '../../arch/x86/include/asm/page_64_types.ts';

interface Component {
  name: string;
  weight: number;
  step: (ctx: WorkloadContext, op: number) => void;
}

interface VmallocBuffer extends VmallocArea {
  stamp: number;
}

/** Callers named after real vmalloc users. */
const VMALLOC_CALLERS = ['load_module', 'alloc_large_system_hash', 'bpf_prog_alloc', 'n_tty_open', 'xt_alloc_table_info'];

function stamp_of(buf: VmallocBuffer, page: number): number {
  return (buf.stamp + Math.imul(page, 0x9e3779b1)) >>> 0;
}

/** A kernel vmalloc user: buffers of 1..32 pages, first word of each page stamped and checked. */
function vmalloc_step(ctx: WorkloadContext, live: VmallocBuffer[], op: number): void {
  const { rng } = ctx;
  if (live.length < 24 && (live.length === 0 || rng.chance(0.55))) {
    const pages = rng.range(1, 32);
    const caller = rng.pick(VMALLOC_CALLERS);
    const addr = vmalloc(pages * PAGE_SIZE, caller);
    if (!addr) { trace_event('vmalloc', `op=${op} ${caller} pages=${pages} failed`); return; }
    const buf: VmallocBuffer = { addr, pages, stamp: rng.u32() };
    // The first word of each page (little-endian, as the machine's memory): no view per page.
    for (let i = 0; i < pages; i++) write32(addr + i * PAGE_SIZE, stamp_of(buf, i));
    live.push(buf);
    trace_event('vmalloc', `op=${op} ${caller} ${formatKernelAddress(addr)} pages=${pages}`);
  } else {
    const i = rng.below(live.length);
    const buf = live[i]!;
    for (let p = 0; p < buf.pages; p++) {
      if (read32(buf.addr + p * PAGE_SIZE) !== stamp_of(buf, p)) {
        throw new KernelBug(`vmalloc buffer ${formatKernelAddress(buf.addr)} page ${p} corrupted`);
      }
    }
    vfree(buf.addr);
    live[i] = live[live.length - 1]!;
    live.pop();
    trace_event('vmalloc', `op=${op} vfree ${formatKernelAddress(buf.addr)}`);
  }
}

export function mixed_components(): Component[] {
  const buddy_live: Parameters<typeof buddy_step>[1] = [];
  const slab = slab_setup();
  const mm = mm_setup(8, 128, 1024);
  const zs = zswap_setup('long');
  const vbufs: VmallocBuffer[] = [];
  return [
    { name: 'mm', weight: 30, step: (c, op) => mm_step(c, mm, op) },
    { name: 'zswap', weight: 25, step: (c, op) => zswap_step(c, zs, op) },
    { name: 'slab', weight: 25, step: (c, op) => slab_step(c, slab, op) },
    { name: 'buddy', weight: 8, step: (c, op) => { if (buddy_live.length < 48 || c.rng.chance(0.5)) buddy_step(c, buddy_live, op); } },
    { name: 'vmalloc', weight: 8, step: (c, op) => vmalloc_step(c, vbufs, op) },
    { name: 'compact', weight: 0.3, step: (_c, op) => trace_event('zs_compact', `op=${op} freed=${zswap_pool_compact()}`) },
    // Rare hardware errors; never into the buddy workload's blocks (their owner is a bare driver).
    { name: 'hwpoison', weight: 0.1, step: (c, op) => inject_failure(c, mm, op, ['free', 'slab', 'pgtable', 'zsmalloc', 'vmalloc', 'anon'], vbufs) },
  ];
}

export const mixedWorkload: Workload = {
  name: 'mixed',
  description: 'all subsystems together under memory pressure; the machine stays live for the reports',
  defaultOps: 20000,
  run(ctx) {
    const components = mixed_components();
    const weights = components.map((c) => c.weight);
    for (let op = 0; op < ctx.ops; op++) {
      components[ctx.rng.weighted(weights)]!.step(ctx, op);
      if (op % 5000 === 4999) trace_event('buddyinfo', buddyinfo().replace(/\s+/g, ' '));
      ctx.after_op?.(op);
    }
  },
};
