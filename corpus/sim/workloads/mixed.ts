/**
 * mixed: every subsystem at once, at ratios like a busy server's: processes come and go and
 * touch anonymous memory, kernel code churns slab objects, drivers take page blocks. The
 * machine is left running at the end so the reports describe a live system.
 */
import type { Workload, WorkloadContext } from './types.ts';
import { buddy_step } from './buddy.ts';
import { slab_setup, slab_step } from './slab.ts';
import { mm_setup, mm_step } from './mm.ts';
import { inject_failure } from './hwpoison.ts';
import { trace_event } from '../trace.ts';
import { buddyinfo } from '../../mm/page_alloc.ts';

interface Component {
  name: string;
  weight: number;
  step: (ctx: WorkloadContext, op: number) => void;
}

export function mixed_components(ctx: WorkloadContext): Component[] {
  const buddy_live: Parameters<typeof buddy_step>[1] = [];
  const slab = slab_setup();
  const mm = mm_setup(8, 128, 1024);
  return [
    { name: 'mm', weight: 50, step: (c, op) => mm_step(c, mm, op) },
    { name: 'slab', weight: 35, step: (c, op) => slab_step(c, slab, op) },
    { name: 'buddy', weight: 15, step: (c, op) => { if (buddy_live.length < 64 || c.rng.chance(0.5)) buddy_step(c, buddy_live, op); } },
    // Rare hardware errors; never into the buddy workload's blocks (their owner is a bare driver).
    { name: 'hwpoison', weight: 0.1, step: (c, op) => inject_failure(c, mm, op, ['free', 'slab', 'pgtable', 'anon']) },
  ];
}

export const mixedWorkload: Workload = {
  name: 'mixed',
  description: 'all subsystems together at realistic ratios; the machine stays live for the reports',
  defaultOps: 30000,
  run(ctx) {
    const components = mixed_components(ctx);
    const weights = components.map((c) => c.weight);
    for (let op = 0; op < ctx.ops; op++) {
      components[ctx.rng.weighted(weights)]!.step(ctx, op);
      if (op % 5000 === 4999) trace_event('buddyinfo', buddyinfo().replace(/\s+/g, ' '));
    }
  },
};
