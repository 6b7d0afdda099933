/**
 * zswap: anonymous memory larger than RAM. A few processes each map a big region and keep
 * writing and re-reading pages; reclaim ages the LRU, compresses cold pages into zswap and
 * leaves swap entries behind; faults bring them back, and every read is checked against the
 * shadow copy. Forks share swapped pages; exits must release every swap slot.
 */
import type { Workload, WorkloadContext } from './types.ts';
import { mm_setup, mm_teardown, verify_page, page_pattern_scratch, mm_reap, type MmState, type Proc } from './mm.ts';
import { process_create, fork_process } from '../../kernel/fork.ts';
import { process_exit } from '../../kernel/exit.ts';
import { do_mmap_anon, PROT_READ, PROT_WRITE } from '../../mm/mmap.ts';
import { access_process_vm_write } from '../../mm/memory.ts';
import { kswapd_needed, wakeup_kswapd, shrink_node_anon } from '../../mm/vmscan.ts';
import { zswap_stats } from '../../mm/zswap.ts';
import { swap_slots_in_use } from '../../mm/swapfile.ts';
import { PAGE_SIZE } from '../../arch/x86/include/asm/page_64_types.ts';
import { max_pfn } from '../../include/linux/mm.ts';
import { trace_event } from '../trace.ts';
import { KernelBug, hex } from '../errors.ts';
import { Shadow } from './shadow.ts';

/** Each process maps this share of RAM; together they map well over all of it. */
const PROCS = 4;
const REGION_SHARE = 0.4;

function spawn(st: MmState, pages: number, op: number): Proc | null {
  const task = process_create('swapper-user');
  if (!task) return null;
  const start = do_mmap_anon(task, pages * PAGE_SIZE, PROT_READ | PROT_WRITE);
  if (start < 0) {
    process_exit(task);
    return null;
  }
  const p: Proc = { task, regions: [{ start, pages }], shadow: new Shadow() };
  st.procs.push(p);
  trace_event('zswap-wl', `op=${op} spawn pid=${task.pid} pages=${pages}`);
  return p;
}

export interface ZswapState {
  mm: MmState;
  regionPages: number;
  /** Relative weights of write, read, fork, exit, proactive reclaim. */
  weights: readonly number[];
}

/** `lifetime`: 'short' processes exit and respawn often; 'long' ones build up memory. */
export function zswap_setup(lifetime: 'short' | 'long' = 'short'): ZswapState {
  const regionPages = Math.floor(max_pfn() * REGION_SHARE);
  const weights = lifetime === 'short' ? [40, 52, 2, 2, 4] : [45, 50, 0.3, 0.1, 2];
  return { mm: mm_setup(PROCS + 2, regionPages, regionPages), regionPages, weights };
}

export function zswap_step(ctx: WorkloadContext, zs: ZswapState, op: number): void {
  const { rng } = ctx;
  const st = zs.mm;
  mm_reap(st);
  if (st.procs.length < PROCS) {
    spawn(st, zs.regionPages, op);
    return;
  }
  const p = rng.pick(st.procs);
  const r = p.regions[0]!;
  const w = rng.weighted(zs.weights);
  if (w === 0) {
    // Write a short run of pages (a process filling a buffer).
    const first = rng.below(r.pages);
    for (let k = 0; k < 4 && first + k < r.pages; k++) {
      const addr = r.start + (first + k) * PAGE_SIZE;
      const stamp = rng.u32();
      if (access_process_vm_write(p.task, addr, page_pattern_scratch(stamp)) !== PAGE_SIZE) {
        throw new KernelBug(`zswap workload: write fault failed at 0x${hex(addr)} with swap available`);
      }
      p.shadow.set(addr, stamp);
    }
    trace_event('zswap-wl', `op=${op} write pid=${p.task.pid} page=${first}`);
  } else if (w === 1) {
    // Re-read pages written before: most of them were swapped out since.
    const written = p.shadow.size;
    const addr = written ? p.shadow.keyAt(rng.below(written))! : r.start + rng.below(r.pages) * PAGE_SIZE;
    verify_page(p, addr, 'zswap workload');
    trace_event('zswap-wl', `op=${op} read pid=${p.task.pid} addr=0x${hex(addr)} ok`);
  } else if (w === 2) {
    if (st.procs.length < st.maxProcs) {
      const child = fork_process(p.task);
      if (child) st.procs.push({ task: child, regions: p.regions.map((x) => ({ ...x })), shadow: new Shadow(p.shadow) });
      trace_event('zswap-wl', `op=${op} fork pid=${p.task.pid} child=${child?.pid ?? 'failed'}`);
    }
  } else if (w === 3) {
    process_exit(p.task);
    st.procs.splice(st.procs.indexOf(p), 1);
    trace_event('zswap-wl', `op=${op} exit pid=${p.task.pid} slots=${swap_slots_in_use()}`);
  } else {
    const n = shrink_node_anon(32);
    trace_event('zswap-wl', `op=${op} proactive reclaim ${n}`);
  }
  if (kswapd_needed()) trace_event('kswapd', `op=${op} reclaimed=${wakeup_kswapd()}`);
}

export const zswapWorkload: Workload = {
  name: 'zswap',
  description: 'anonymous memory beyond RAM: LRU reclaim into zswap, refaults checked byte for byte',
  defaultOps: 12000,
  run(ctx) {
    const zs = zswap_setup();
    for (let op = 0; op < ctx.ops; op++) {
      zswap_step(ctx, zs, op);
      ctx.after_op?.(op);
    }
    trace_event('zswap-wl', `stored=${zswap_stats.stored_pages} slots=${swap_slots_in_use()}`);
    mm_reap(zs.mm);
    mm_teardown(zs.mm);
    if (swap_slots_in_use() !== 0) throw new KernelBug(`zswap workload: ${swap_slots_in_use()} swap slots leaked`);
  },
};
