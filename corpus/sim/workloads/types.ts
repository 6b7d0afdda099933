/** What a workload gets to run with, and what it declares about itself. */
import type { Rng } from '../random.ts';

export interface WorkloadContext {
  rng: Rng;
  /** Number of operations to perform. */
  ops: number;
  seed: number;
  /**
   * Call once after every operation: in a --check run it checks the machine's invariants
   * (sim/check.ts), otherwise it does nothing. Optional so that a hand-made context may leave it out.
   */
  after_op?: (op: number) => void;
}

export interface Workload {
  name: string;
  description: string;
  defaultOps: number;
  run(ctx: WorkloadContext): void;
}
