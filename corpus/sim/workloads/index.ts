/** The workload registry: name -> workload. */
import type { Workload } from './types.ts';
import { buddyWorkload } from './buddy.ts';
import { slabWorkload } from './slab.ts';

export const WORKLOADS: readonly Workload[] = [buddyWorkload, slabWorkload];

export function find_workload(name: string): Workload | undefined {
  return WORKLOADS.find((w) => w.name === name);
}
