/**
 * Verification of every step against the base, made cheap: the base is built and run once per
 * plan (its runs are the same for every step), each step's tree is built by content (the
 * verifier's cache), and all runs share one pool, so the runs of one step overlap the planning
 * of the next. Steps run a short plan (by default the workload that exercises every subsystem,
 * when the tree has one, 2 seeds, a quarter of verify's operations); the tip runs verify's full
 * plan (every workload, 16 seeds).
 */
import { availableParallelism } from 'node:os';
import { outcomeDifference } from '../verify/compare.ts';
import { Pool } from '../verify/run.ts';
import { makePlan, prepareTree, runMatrices, VERIFY_OPS, type Matrix, type Plan, type PreparedTree } from '../verify/verify.ts';
import type { TreeTexts } from './steps.ts';

export interface SeriesVerifyOptions {
  /** Per-step seeds (default [1, 2]). */
  seeds?: number[];
  /** Per-step workloads (default: 'mixed' when the tree has it, else all). */
  workloads?: string[];
  /** Per-step operations (default: a quarter of VERIFY_OPS). */
  ops?: number | 'default';
  /** The tip's seeds (default 1..16). */
  tipSeeds?: number[];
  tipWorkloads?: string[];
  tipOps?: number | 'default';
  jobs?: number;
  cacheDir?: string;
}

export interface StepVerification {
  ok: boolean;
  workloads: string[];
  seeds: number[];
  /** Operations per workload run. */
  ops: Record<string, number | undefined>;
  pairs: number;
  mismatches: number;
  /** The first differing pair and why. */
  first?: string;
  /** This step's own cost: its build and its runs (waiting for the shared pool not counted). */
  ms: number;
}

/** The workload that runs every subsystem at once, when the simulation has one. */
const ALL_IN_ONE = 'mixed';

export class SeriesVerifier {
  private ref?: PreparedTree;
  private readonly refRuns = new Map<Plan, Promise<Matrix>>();
  private stepPlan?: Plan;
  private tipPlan?: Plan;
  readonly pool: Pool;

  constructor(private readonly baseDir: string, private readonly opts: SeriesVerifyOptions = {}) {
    this.pool = new Pool(opts.jobs ?? availableParallelism());
  }

  async init(): Promise<void> {
    this.ref = await prepareTree({ dir: this.baseDir, label: 'base' }, { cacheDir: this.opts.cacheDir });
    const known = this.ref.workloads;
    const stepOps = this.opts.ops ?? undefined;
    const quarter = Object.fromEntries(known.map((w) => [w, Math.max(1, Math.round((VERIFY_OPS[w] ?? 1000) / 4))]));
    this.stepPlan = makePlan(this.ref, {
      workloads: this.opts.workloads ?? (known.includes(ALL_IN_ONE) ? [ALL_IN_ONE] : known),
      seeds: this.opts.seeds ?? [1, 2],
      ...(stepOps !== undefined ? { ops: stepOps } : {}),
    });
    if (stepOps === undefined) for (const w of this.stepPlan.workloads) this.stepPlan.ops[w] = quarter[w];
    this.tipPlan = makePlan(this.ref, {
      ...(this.opts.tipWorkloads ? { workloads: this.opts.tipWorkloads } : {}),
      ...(this.opts.tipSeeds ? { seeds: this.opts.tipSeeds } : {}),
      ...(this.opts.tipOps !== undefined ? { ops: this.opts.tipOps } : {}),
    });
  }

  private reference(plan: Plan): Promise<Matrix> {
    let m = this.refRuns.get(plan);
    if (!m) {
      m = runMatrices([this.ref!], plan, this.pool).then(([x]) => x!);
      this.refRuns.set(plan, m);
    }
    return m;
  }

  /** Verify the base with `texts` applied (the step's whole tree), under the step or the tip plan. */
  async verify(texts: TreeTexts, tip: boolean): Promise<StepVerification> {
    const plan = tip ? this.tipPlan! : this.stepPlan!;
    const refRuns = this.reference(plan);
    const cand = await prepareTree({ dir: this.baseDir, overrides: Object.fromEntries(texts), label: 'step' }, { cacheDir: this.opts.cacheDir });
    try {
      const [cm] = await runMatrices([cand], plan, this.pool);
      const rm = await refRuns;
      let pairs = 0;
      let mismatches = 0;
      let first: string | undefined;
      let ms = cand.build.ms;
      for (const w of plan.workloads) {
        for (const seed of plan.seeds) {
          pairs++;
          ms += cm!.get(w)!.get(seed)!.ms;
          const why = outcomeDifference(cm!.get(w)!.get(seed)!, rm.get(w)!.get(seed)!);
          if (why) { mismatches++; first ??= `${w} seed ${seed}: ${why}`; }
        }
      }
      return { ok: mismatches === 0, workloads: plan.workloads, seeds: plan.seeds, ops: plan.ops, pairs, mismatches, ...(first ? { first } : {}), ms };
    } finally {
      cand.cleanup();
    }
  }

  cleanup(): void {
    this.ref?.cleanup();
  }
}
