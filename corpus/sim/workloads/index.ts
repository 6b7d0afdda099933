/** The workload registry: name -> workload. */
import type { Workload } from './types.ts';
import { buddyWorkload } from './buddy.ts';

export const WORKLOADS: readonly Workload[] = [buddyWorkload];

export function find_workload(name: string): Workload | undefined {
  return WORKLOADS.find((w) => w.name === name);
}
