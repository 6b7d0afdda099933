/** The workload registry: name -> workload. */
import type { Workload } from './types.ts';
import { buddyWorkload } from './buddy.ts';
import { slabWorkload } from './slab.ts';
import { mmWorkload } from './mm.ts';
import { mixedWorkload } from './mixed.ts';
import { hwpoisonWorkload } from './hwpoison.ts';
import { zswapWorkload } from './zswap.ts';
import { vmallocWorkload } from './vmalloc.ts';

export const WORKLOADS: readonly Workload[] = [buddyWorkload, slabWorkload, mmWorkload, hwpoisonWorkload, zswapWorkload, vmallocWorkload, mixedWorkload];

export function find_workload(name: string): Workload | undefined {
  return WORKLOADS.find((w) => w.name === name);
}
