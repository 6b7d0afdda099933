/** What a workload gets to run with, and what it declares about itself. */
import type { Rng } from '../random.ts';

export interface WorkloadContext {
  rng: Rng;
  /** Number of operations to perform. */
  ops: number;
  seed: number;
}

export interface Workload {
  name: string;
  description: string;
  defaultOps: number;
  run(ctx: WorkloadContext): void;
}
