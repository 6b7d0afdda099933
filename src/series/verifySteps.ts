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
import type { OracleSpec } from '../model/spec.ts';
import { checkOracle, compareRuns, describeOracle, oracleSettings, runOracle, runReference, type OracleRun } from '../verify/oracle.ts';
import { overlayTree, type Tree } from '../verify/revision.ts';

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

/** The workload that runs every subsystem at once, for trees whose manifest names none. */
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
    // The tree's own verify figures and all-in-one workload (its manifest), else memdesc's fallbacks.
    const full = makePlan(this.ref, { workloads: known, seeds: [1] }).ops;
    const quarter = Object.fromEntries(known.map((w) => [w, Math.max(1, Math.round((full[w] ?? VERIFY_OPS[w] ?? 1000) / 4))]));
    const allInOne = this.ref.manifest?.defaultWorkload ?? ALL_IN_ONE;
    this.stepPlan = makePlan(this.ref, {
      workloads: this.opts.workloads ?? (known.includes(allInOne) ? [allInOne] : known),
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

/** A step checked with the project's own oracle (a spec's "oracle"): one run of each tree, compared. */
export interface OracleStepVerification {
  kind: 'oracle';
  ok: boolean;
  /** What ran: the command, or node and the entry. */
  oracle: string;
  /** The reference's exit code and the lines compared. */
  exitCode: number | null;
  lines: number;
  /** The difference, in one line. */
  first?: string;
  ms: number;
}

/**
 * Series verification with the project's own oracle, for projects without the corpus simulation.
 * The base runs once, in a copy (a test suite may leave files behind, which must not reach a
 * commit); each step runs in a copy of the base with the step's texts. Runs go one at a time by
 * default: a user's test suite may use every core, or ports and files of its own.
 */
export class OracleSeriesVerifier {
  private ref?: OracleRun;
  private base?: Tree;
  readonly pool: Pool;

  constructor(private readonly baseDir: string, private readonly oracle: OracleSpec, private readonly opts: { jobs?: number; cacheDir?: string } = {}) {
    this.pool = new Pool(opts.jobs ?? 1);
  }

  /** Runs the base now: an oracle that cannot start fails the series before any step is made. */
  async init(): Promise<void> {
    checkOracle(this.oracle);
    this.base = overlayTree({ dir: this.baseDir, label: 'base', copy: true }, true);
    const { run } = oracleSettings(this.oracle, this.opts);
    this.ref = await this.pool.run(() => runReference(this.base!, this.oracle, run));
  }

  async verify(texts: TreeTexts): Promise<OracleStepVerification> {
    const { compare, timeoutMs, run } = oracleSettings(this.oracle, this.opts);
    return this.pool.run(async () => {
      const cand = overlayTree({ dir: this.baseDir, overrides: Object.fromEntries(texts), label: 'step', copy: true }, true);
      try {
        const r = await runOracle(cand.dir, this.oracle, run);
        const { difference, lines } = compareRuns(r, this.ref!, compare, timeoutMs);
        const d = difference;
        const at = d?.line ? `; line ${d.line.candidateLine ?? d.line.referenceLine}: ${JSON.stringify(d.line.reference ?? '(end)')} -> ${JSON.stringify(d.line.candidate ?? '(end)')}` : '';
        return {
          kind: 'oracle', ok: !d, oracle: describeOracle(this.oracle), exitCode: this.ref!.exitCode, lines,
          ...(d ? { first: `${d.detail}${at}` } : {}), ms: Math.round(r.ms),
        };
      } finally {
        cand.cleanup();
      }
    });
  }

  cleanup(): void {
    this.base?.cleanup();
  }
}
