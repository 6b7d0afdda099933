/**
 * Verification of every step against the base, made cheap: the base is built and run once per
 * plan (its runs are the same for every step), each step's tree is built by content (the
 * verifier's cache), and all runs share one pool, so the runs of one step overlap the planning
 * of the next. Steps run a short plan (by default the workload that exercises every subsystem,
 * when the tree has one, 2 seeds, a quarter of verify's operations); the tip runs verify's full
 * plan (every workload, 16 seeds).
 *
 * Coverage selection (on unless `all`): a step runs a workload's seeds (one process, all the
 * plan's seeds in order, as on the base) only when that batch's last verified run entered a
 * function the step's build changed; a change coverage cannot judge (a module's top-level code,
 * modules added or reordered) runs every batch. Every run records which functions it entered, so
 * the next step is judged against the newest verified build of each batch (docs/verify.md,
 * "Coverage-selected verification"). The tip always runs its whole plan.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { outcomeDifference } from '../verify/compare.ts';
import { loadCoverage, pairKey, runCoveredBatch, runCoveredCommand, saveCoverage, type BatchSettings, type CoveredBatch, type CoverageTable } from '../verify/coverage.ts';
import { closeCoveredWorkers } from '../verify/coverageWorker.ts';
import { manifestOf, type TreeManifest } from '../simulate/manifest.ts';
import type { Build } from '../verify/build.ts';
import { formatSeeds } from '../verify/run.ts';
import { cachedOutcomes, storeOutcomes, type RunSetting } from '../verify/runCache.ts';
import { mapBundle, type BundleMap } from '../verify/coverageMap.ts';
import { bundleChange, listFunctions, reached, type BundleChange } from '../verify/coverageSelect.ts';
import { Pool } from '../verify/run.ts';
import { layoutArgs, makePlan, preparedBuild, prepareTree, runMatrices, VERIFY_OPS, type Matrix, type Plan, type PreparedTree } from '../verify/verify.ts';
import { OverlayBuilder } from '../verify/overlayBuild.ts';
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
  /** Run every pair of every step's plan (`--verify-all`): no coverage selection. */
  all?: boolean;
}

/** Which of a step's planned runs ran, and why (coverage selection). */
export interface StepSelection {
  /** The pairs that ran, as `workload:seed`. */
  ran: string[];
  /** Pairs in the step's plan. */
  of: number;
  /** Why: "all: module-level change in mm/slub.ts", "1 of 2 runs: they execute free_slab()", "none: …". */
  why: string;
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
  /** Set when coverage chose the runs (steps before the tip, unless --verify-all). */
  selection?: StepSelection;
  /** Runs whose results came from the run cache (this build ran them before with these settings). */
  reused?: number;
}

/** The newest build of the tree on which a workload's batch is known to give the base's results, and what the batch executes there. */
interface Known {
  map: BundleMap;
  texts: TreeTexts;
  /** Undefined: no coverage for it (the run crashed or was killed): the batch runs at every change. */
  executed?: Set<string>;
}

/** Where a series' verification spent its time (wall ms of this process, summed over the steps). */
export interface SeriesVerifyStats {
  /** Step builds made (not from the cache) and their time (the incremental esbuild context). */
  builds: number;
  buildMs: number;
  /** Step manifests read by running the step's bundle, and derived from the base's without a process. */
  manifestsRun: number;
  manifestsDerived: number;
  manifestMs: number;
  /** Step bundles mapped to their functions (coverageMap.ts) and the time it took. */
  maps: number;
  mapMs: number;
  /**
   * Batches started ahead of their step's choice (while the step before still ran the
   * workload), and of those the ones the choice then did not want (killed, their results unused).
   */
  runsAhead: number;
  runsAheadDropped: number;
  /**
   * The steps' batches over time (wall ms of their processes): summed, while at least one ran,
   * and while two or more ran at once (with runs ahead the steps' runs overlap, one per core).
   */
  stepRunMs: number;
  stepRunSpanMs: number;
  stepRunOverlapMs: number;
}

/** A workload's batch chosen by a step and not yet settled: what a later step's run ahead is predicted from. */
interface Pending {
  map: BundleMap;
  texts: TreeTexts;
  /** What the workload's batch executed on the build that step was judged against. */
  executed?: Set<string>;
}

/** The coverage-cache key under which the base's `--manifest` run is kept. */
const MANIFEST_RUN = '--manifest';

/** Files whose text differs between two trees (both as changes to the base). */
function differingFiles(a: TreeTexts, b: TreeTexts): string[] {
  return [...new Set([...a.keys(), ...b.keys()])].filter((f) => a.get(f) !== b.get(f));
}

/** The workload that runs every subsystem at once, for trees whose manifest names none. */
const ALL_IN_ONE = 'mixed';

export class SeriesVerifier {
  private ref?: PreparedTree;
  private readonly refRuns = new Map<Plan, Promise<Matrix>>();
  private stepPlan?: Plan;
  private tipPlan?: Plan;
  readonly pool: Pool;
  /**
   * Work started ahead of need (the base's runs of the tip's plan): at most one slot fewer than
   * the pool, so the steps' runs always have one; closed at cleanup.
   */
  private ahead?: Pool;
  // Coverage selection: the base's build and recorded coverage, each pair's newest verified build,
  // and each pair's run in flight (a step's choice waits for the runs of the step before).
  private baseMap?: BundleMap;
  private baseCoverage: CoverageTable = new Map();
  /** Per workload: the base's batch (every seed of the step plan, in one process). */
  private readonly baseRuns = new Map<string, Promise<CoveredBatch>>();
  private readonly known = new Map<string, Known>();
  private readonly inflight = new Map<string, Promise<void>>();
  private selecting: Promise<unknown> = Promise.resolve();
  /** The functions the base's `--manifest` run entered (undefined: it left no coverage). */
  private manifestRun?: Promise<Set<string> | undefined>;
  /** The newest build whose `--manifest` run is known: its map, texts, manifest and what the run entered. */
  private manifestKnown?: { map: BundleMap; texts: TreeTexts; manifest: TreeManifest; executed: Set<string> };
  private manifestTurn: Promise<unknown> = Promise.resolve();
  /** Step bundles' maps by build key (a step's is used by its manifest and its choice). */
  private readonly maps = new Map<string, BundleMap>();
  readonly stats: SeriesVerifyStats = { builds: 0, buildMs: 0, manifestsRun: 0, manifestsDerived: 0, manifestMs: 0, maps: 0, mapMs: 0, runsAhead: 0, runsAheadDropped: 0, stepRunMs: 0, stepRunSpanMs: 0, stepRunOverlapMs: 0 };
  /** Step batches running now, and since when that count holds (for the stats above). */
  private stepRunning = 0;
  private stepRunSince = 0;
  /** Per workload: the step whose batch is in flight (its choice made, its verdict not known yet). */
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly baseDir: string, private readonly opts: SeriesVerifyOptions = {}) {
    this.pool = new Pool(opts.jobs ?? availableParallelism());
  }

  /** The steps' trees: one copy of the base brought to each step, rebuilt incrementally. */
  private builder?: OverlayBuilder;

  async init(): Promise<void> {
    // The copy is taken now: the series commits into the base's work tree later.
    this.builder = new OverlayBuilder(this.baseDir, { cacheDir: this.opts.cacheDir });
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
    // The base's map serves the steps' manifests (with or without selection) and coverage selection.
    this.baseMap = mapBundle(readFileSync(this.ref.build.file, 'utf8'));
    if (!this.opts.all) {
      this.baseCoverage = loadCoverage(this.ref.build.key, this.coverageSettings());
      // Coverage not recorded yet: the base's runs start now, side by side, while the steps are planned.
      for (const w of this.stepPlan.workloads) void this.baseRun(w).catch(() => {});
    }
    // The base's --manifest coverage, recorded while the steps are planned (the first step asks for it).
    if (this.ref.manifest) void this.manifestCoverage();
    this.tipPlan = makePlan(this.ref, {
      ...(this.opts.tipWorkloads ? { workloads: this.opts.tipWorkloads } : {}),
      ...(this.opts.tipSeeds ? { seeds: this.opts.tipSeeds } : {}),
      ...(this.opts.tipOps !== undefined ? { ops: this.opts.tipOps } : {}),
    });
    // The base's runs of the tip's plan do not depend on any step: they start now, beside the
    // steps' runs, and fill the cores while this process plans (the tip then runs its own tree only).
    if (this.pool.size >= 2) {
      this.ahead = new Pool(this.pool.size - 1);
      void this.reference(this.tipPlan, this.ahead).catch(() => {});
    }
  }

  private reference(plan: Plan, pool: Pool = this.pool): Promise<Matrix> {
    let m = this.refRuns.get(plan);
    if (!m) {
      m = runMatrices([this.ref!], plan, pool).then(([x]) => x!);
      this.refRuns.set(plan, m);
    }
    return m;
  }

  /**
   * A step's tree built and interrogated: its manifest derived from the newest build whose
   * `--manifest` run is known when the step's change cannot reach that run, else read by running
   * the step's bundle (with coverage: later steps derive from it). The builder's copy is shared:
   * nothing to clean up per step.
   */
  async prepareStep(texts: TreeTexts): Promise<PreparedTree> {
    const build = await this.builder!.build(texts);
    if (!build.cached) {
      this.stats.builds++;
      this.stats.buildMs += build.ms;
    }
    const tree = { label: 'step', dir: this.builder!.dir, cleanup() {} };
    const t0 = performance.now();
    // One step at a time, in the order asked: each may become the next one's known run.
    const turn = this.manifestTurn.then(() => this.stepManifest(build, texts, tree.label));
    this.manifestTurn = turn.catch(() => {});
    const got = await turn;
    this.stats.manifestMs += performance.now() - t0;
    if (got.derived) this.stats.manifestsDerived++;
    else this.stats.manifestsRun++;
    if (got.manifest) return { ...tree, build, workloads: got.manifest.workloads.map((w) => w.name), multiSeed: true, manifest: got.manifest };
    // A tree without a manifest is probed as verify probes it.
    return preparedBuild(tree, build);
  }

  /** A build's map (memoized by content key: a step's bundle is mapped once for its manifest and its choice). */
  private mapOf(build: Build): BundleMap {
    if (build.key === this.ref!.build.key) return this.baseMap!;
    let m = this.maps.get(build.key);
    if (!m) {
      const t0 = performance.now();
      m = mapBundle(readFileSync(build.file, 'utf8'));
      this.stats.maps++;
      this.stats.mapMs += performance.now() - t0;
      // Steps are chosen in order: only the last few are asked for again.
      if (this.maps.size >= 8) this.maps.delete(this.maps.keys().next().value!);
      this.maps.set(build.key, m);
    }
    return m;
  }

  /**
   * The step's manifest. A `--manifest` run is deterministic, and a run that enters none of the
   * functions changed since a build whose run is known (and no module-level code changed, which
   * bundleChange reports as "all") executes exactly what it executed there, so it prints that
   * build's manifest (the argument of coverage selection, docs/verify.md): derived. Else the
   * step's bundle runs `--manifest` with coverage, and becomes the known run. `manifest`
   * undefined: a tree without one (probed by the caller).
   */
  private async stepManifest(build: Build, texts: TreeTexts, label: string): Promise<{ manifest?: TreeManifest; derived: boolean }> {
    const ref = this.ref!;
    if (!ref.manifest || !this.baseMap) return { derived: false };
    if (build.key === ref.build.key) return { manifest: ref.manifest, derived: true };
    const executed = await this.manifestCoverage();
    this.manifestKnown ??= executed ? { map: this.baseMap, texts: new Map(), manifest: ref.manifest, executed } : undefined;
    const known = this.manifestKnown;
    const map = this.mapOf(build);
    if (known) {
      const ch = bundleChange(known.map, map, differingFiles(known.texts, texts));
      if (ch.kind === 'none' || (ch.kind === 'functions' && reached(ch, known.executed).length === 0)) return { manifest: known.manifest, derived: true };
    }
    const r = await runCoveredCommand(build.file, map, ['--manifest']);
    const manifest = manifestOf(r, label);
    if (manifest && r.executed) this.manifestKnown = { map, texts, manifest, executed: r.executed };
    return { ...(manifest ? { manifest } : {}), derived: false };
  }

  /**
   * What the base's `--manifest` run enters: from the coverage cache, else one run with the
   * hook whose output must be the manifest the base was prepared with (else no derivation).
   */
  manifestCoverage(): Promise<Set<string> | undefined> {
    this.manifestRun ??= (async () => {
      const ref = this.ref!;
      const cached = loadCoverage(ref.build.key, MANIFEST_RUN).get(MANIFEST_RUN);
      if (cached) return cached;
      const r = await runCoveredCommand(ref.build.file, this.baseMap!, ['--manifest']);
      let same = false;
      try {
        same = JSON.stringify(manifestOf(r, ref.label)) === JSON.stringify(ref.manifest);
      } catch {
        // a run that fails here derives nothing: each step runs its own
      }
      if (!same || !r.executed) return undefined;
      saveCoverage(ref.build.key, MANIFEST_RUN, new Map([[MANIFEST_RUN, r.executed]]));
      return r.executed;
    })().catch(() => undefined);
    return this.manifestRun;
  }

  /** What the step runs depend on besides the tree: the cache key of the base's coverage. */
  private coverageSettings(): unknown {
    const p = this.stepPlan!;
    return { ops: p.ops, ram: p.ram ?? null, tracepoints: p.tracepoints ?? null, ...layoutArgs(this.ref!, p) };
  }

  /** A workload's batch: every seed of the step plan, in order, in one process. */
  private batchSettings(tree: PreparedTree, workload: string): BatchSettings {
    const p = this.stepPlan!;
    return {
      workload, seeds: p.seeds, timeoutMs: p.timeoutMs, ...layoutArgs(tree, p),
      ...(p.ops[workload] !== undefined ? { ops: p.ops[workload] } : {}),
      ...(p.ram !== undefined ? { ram: p.ram } : {}),
      ...(p.tracepoints !== undefined ? { tracepoints: p.tracepoints } : {}),
    };
  }

  /** The key of a workload's batch in the coverage table (`mixed:1,2`; `mixed:1` for one seed, a pair's key). */
  private batchKey(workload: string): string {
    return `${workload}:${formatSeeds(this.stepPlan!.seeds)}`;
  }

  /** The base's batch of a workload, with its coverage (once per series). */
  private baseRun(workload: string): Promise<CoveredBatch> {
    let r = this.baseRuns.get(workload);
    if (!r) {
      r = this.coveredBatch(this.ref!, this.baseMap!, workload);
      this.baseRuns.set(workload, r);
    }
    return r;
  }

  /**
   * A workload's batch on a build, with its coverage: from the caches when this build ran it
   * before with these settings (its outcomes, runCache.ts, kept apart from runs batched otherwise;
   * its coverage, coverage.ts), else run and recorded in both. Runs are deterministic, so a
   * series repeated on unchanged steps runs nothing again.
   */
  private coveredBatch(tree: PreparedTree, map: BundleMap, workload: string, signal?: AbortSignal): Promise<CoveredBatch> {
    const s = this.batchSettings(tree, workload);
    const setting: RunSetting = {
      workload, batch: formatSeeds(s.seeds),
      ...(s.ops !== undefined ? { ops: s.ops } : {}), ...(s.ram !== undefined ? { ram: s.ram } : {}),
      ...(s.tracepoints !== undefined ? { tracepoints: s.tracepoints } : {}),
      ...(s.placement !== undefined ? { placement: s.placement } : {}), ...(s.check ? { check: true } : {}),
    };
    const key = this.batchKey(workload);
    const table = (): CoverageTable => (tree === this.ref ? this.baseCoverage : loadCoverage(tree.build.key, this.coverageSettings()));
    const executed = table().get(key);
    const cached = cachedOutcomes(tree.build.key, setting, s.seeds);
    if (executed && cached.size === s.seeds.length) return Promise.resolve({ outcomes: s.seeds.map((seed) => cached.get(seed)!), executed });
    // Urgent: each step's choice waits for the runs of the step before (the chain), the tip's runs do not.
    const r = this.pool.run(() => (tree === this.ref ? runCoveredBatch(tree.build.file, map, s, signal) : this.timedStepRun(runCoveredBatch(tree.build.file, map, s, signal))), undefined, true);
    r.then((x) => {
      storeOutcomes(tree.build.key, setting, x.outcomes);
      if (!x.executed || !x.outcomes.every((o) => o.status === 'ok' || o.status === 'bug')) return;
      const t = table();
      t.set(key, x.executed);
      saveCoverage(tree.build.key, this.coverageSettings(), t);
    }, () => {});
    return r;
  }

  /** A step's batch, counted in the stats while its process runs. */
  private async timedStepRun<T>(run: Promise<T>): Promise<T> {
    const t0 = this.stepRunTick(1);
    try {
      return await run;
    } finally {
      this.stats.stepRunMs += this.stepRunTick(-1) - t0;
    }
  }

  private stepRunTick(delta: number): number {
    const now = performance.now();
    if (this.stepRunning >= 1) this.stats.stepRunSpanMs += now - this.stepRunSince;
    if (this.stepRunning >= 2) this.stats.stepRunOverlapMs += now - this.stepRunSince;
    this.stepRunning += delta;
    this.stepRunSince = now;
    return now;
  }

  /** The base's recorded coverage so far: `workload:seeds` -> the identities of the functions the batch entered. */
  recordedCoverage(): CoverageTable {
    return new Map(this.baseCoverage);
  }

  /** The newest build on which the workload's batch gives the base's results (the base itself at first). */
  private async knownOf(workload: string): Promise<Known> {
    await this.inflight.get(workload);
    const k = this.known.get(workload);
    if (k) return k;
    const executed = this.baseCoverage.get(this.batchKey(workload)) ?? (await this.baseRun(workload)).executed;
    const base: Known = { map: this.baseMap!, texts: new Map(), ...(executed ? { executed } : {}) };
    if (!this.known.has(workload)) this.known.set(workload, base);
    return this.known.get(workload)!;
  }

  /** Verify the base with `texts` applied (the step's whole tree), under the step or the tip plan. */
  /** `pool`: where the tree's own runs go (a Lane of this.pool for checks started ahead). */
  async verify(texts: TreeTexts, tip: boolean, pool: Pool = this.pool): Promise<StepVerification> {
    if (!tip && !this.opts.all) return this.verifySelected(texts);
    const plan = tip ? this.tipPlan! : this.stepPlan!;
    const refRuns = this.reference(plan);
    const cand = await this.prepareStep(texts);
    try {
      const [cm] = await runMatrices([cand], plan, pool);
      const rm = await refRuns;
      let pairs = 0;
      let mismatches = 0;
      let reused = 0;
      let first: string | undefined;
      let ms = cand.build.ms;
      for (const w of plan.workloads) {
        for (const seed of plan.seeds) {
          pairs++;
          ms += cm!.get(w)!.get(seed)!.ms;
          if (cm!.get(w)!.get(seed)!.cached) reused++;
          const why = outcomeDifference(cm!.get(w)!.get(seed)!, rm.get(w)!.get(seed)!);
          if (why) { mismatches++; first ??= `${w} seed ${seed}: ${why}`; }
        }
      }
      return { ok: mismatches === 0, workloads: plan.workloads, seeds: plan.seeds, ops: plan.ops, pairs, mismatches, ...(first ? { first } : {}), ms, ...(reused ? { reused } : {}) };
    } finally {
      cand.cleanup();
    }
  }

  /**
   * A step under coverage selection. Steps choose in order (each waits for the choice, and the
   * runs, of the step before for the same pair); the runs then go on while later steps are planned.
   */
  private async verifySelected(texts: TreeTexts): Promise<StepVerification> {
    const plan = this.stepPlan!;
    // The build goes on at once; the choice waits its turn.
    const built = this.prepareStep(texts);
    built.catch(() => {});
    const turn = this.selecting.then(() => this.choose(texts, built));
    this.selecting = turn.catch(() => {});
    const { cand, runs, why } = await turn;
    try {
      let mismatches = 0;
      let pairs = 0;
      let reused = 0;
      let first: string | undefined;
      let ms = cand.build.ms;
      for (const r of runs) {
        const [c, ref] = await Promise.all([r.run, this.baseRun(r.workload)]);
        for (const [i, o] of c.outcomes.entries()) {
          pairs++;
          ms += o.ms;
          if (o.cached) reused++;
          const diff = outcomeDifference(o, ref.outcomes[i]!);
          if (diff) { mismatches++; first ??= `${r.workload} seed ${o.seed}: ${diff}`; }
        }
      }
      const ran = runs.flatMap((r) => plan.seeds.map((seed) => pairKey(r.workload, seed)));
      return {
        ok: mismatches === 0, workloads: plan.workloads, seeds: plan.seeds, ops: plan.ops, pairs, mismatches,
        ...(first ? { first } : {}), ms, selection: { ran, of: plan.workloads.length * plan.seeds.length, why }, ...(reused ? { reused } : {}),
      };
    } finally {
      cand.cleanup();
    }
  }

  /**
   * Build the step, decide which workloads' batches it must run, and start them. A batch runs
   * whole (every seed of the plan, in order, in one process) as on the base, so each run starts
   * from what the same seeds before it left, and its coverage is the whole process's.
   */
  private async choose(texts: TreeTexts, built: Promise<PreparedTree>): Promise<{ cand: PreparedTree; map: BundleMap; runs: Array<{ workload: string; run: Promise<CoveredBatch> }>; why: string }> {
    const plan = this.stepPlan!;
    const cand = await built;
    const ahead = new Map<string, { run: Promise<CoveredBatch>; abort: AbortController }>();
    try {
      const map = this.mapOf(cand.build);
      for (const w of plan.workloads) {
        const a = this.runAhead(cand, map, texts, w);
        if (a) ahead.set(w, a);
      }
      const changes = new Map<Known, BundleChange>();
      const chosen: Array<{ workload: string; why: string; hit: string[] }> = [];
      const quiet: BundleChange[] = [];
      for (const w of plan.workloads) {
        const k = await this.knownOf(w);
        let ch = changes.get(k);
        if (!ch) {
          ch = bundleChange(k.map, map, differingFiles(k.texts, texts));
          changes.set(k, ch);
        }
        const fns = ch.kind === 'functions' ? ch : undefined;
        const hit = fns && k.executed ? reached(fns, k.executed) : [];
        if (ch.kind === 'all') chosen.push({ workload: w, why: ch.why, hit });
        else if (fns && !k.executed) chosen.push({ workload: w, why: 'no coverage recorded for it', hit });
        else if (fns && hit.length) chosen.push({ workload: w, why: '', hit: hit.map((id) => fns.display.get(id) ?? id) });
        else {
          // Cannot see the change: it executes on this build exactly what it executed on the known one.
          this.known.set(w, { map, texts, ...(k.executed ? { executed: k.executed } : {}) });
          quiet.push(ch);
        }
      }
      // Runs started ahead that the choice does not want are killed: they were only a guess.
      for (const [w, a] of ahead) {
        if (chosen.some((c) => c.workload === w)) continue;
        a.abort.abort();
        this.stats.runsAheadDropped++;
      }
      const runs = chosen.map((c) => {
        const run = ahead.get(c.workload)?.run ?? this.coveredBatch(cand, map, c.workload);
        const pending: Pending = { map, texts, ...(this.known.get(c.workload)?.executed ? { executed: this.known.get(c.workload)!.executed! } : {}) };
        this.pending.set(c.workload, pending);
        // The batch's newest verified build is this one once every seed gives the base's result.
        const settled = Promise.all([run, this.baseRun(c.workload)]).then(([r, ref]) => {
          if (r.executed && r.outcomes.every((o, i) => !outcomeDifference(o, ref.outcomes[i]!))) this.known.set(c.workload, { map, texts, executed: r.executed });
        }, () => {}).finally(() => {
          if (this.pending.get(c.workload) === pending) this.pending.delete(c.workload);
        });
        this.inflight.set(c.workload, settled);
        return { workload: c.workload, run };
      });
      return { cand, map, runs, why: selectionWhy(chosen, plan.seeds.length, plan.workloads.length * plan.seeds.length, quiet) };
    } catch (e) {
      for (const a of ahead.values()) a.abort.abort();
      cand.cleanup();
      throw e;
    }
  }

  /**
   * A step's batch of a workload started before its choice, while the step before still runs that
   * workload (the choice waits for that run's verdict and coverage, and the steps' runs would
   * otherwise go one at a time): when the change since the step before reaches what the batch
   * executed on the build that step was judged against, the choice will almost surely want it.
   * Only the start moves: the choice is made as before, from the verdicts and coverage it waits
   * for, and a run it does not want is killed unused. Runs are deterministic, so a run started
   * ahead gives what the same run started later gives.
   */
  private runAhead(cand: PreparedTree, map: BundleMap, texts: TreeTexts, workload: string): { run: Promise<CoveredBatch>; abort: AbortController } | undefined {
    const p = this.pending.get(workload);
    if (!p) return undefined;
    const ch = bundleChange(p.map, map, differingFiles(p.texts, texts));
    const likely = ch.kind === 'all' || (ch.kind === 'functions' && (!p.executed || reached(ch, p.executed).length > 0));
    if (!likely) return undefined;
    const abort = new AbortController();
    const run = this.coveredBatch(cand, map, workload, abort.signal);
    run.catch(() => {});
    this.stats.runsAhead++;
    return { run, abort };
  }

  cleanup(): void {
    this.ahead?.close();
    this.ref?.cleanup();
    this.builder?.dispose();
    closeCoveredWorkers();
  }
}

/** One line on what a step ran and why (`seeds`: runs per chosen workload). */
function selectionWhy(chosen: Array<{ workload: string; why: string; hit: string[] }>, seeds: number, of: number, quiet: BundleChange[]): string {
  if (chosen.length === 0) {
    const fns = quiet.flatMap((c) => (c.kind === 'functions' ? [...c.display.values()] : []));
    return fns.length ? `none: no run enters ${listFunctions(fns)}` : 'none: the built simulation is unchanged';
  }
  const all = chosen.find((c) => c.why);
  const runs = chosen.length * seeds;
  const n = runs === of ? 'all' : `${runs} of ${of} runs`;
  if (all) return `${n}: ${all.why}`;
  const fns = chosen.flatMap((c) => c.hit);
  return `${n}: ${runs === 1 ? 'it executes' : 'they execute'} ${listFunctions(fns)}`;
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
