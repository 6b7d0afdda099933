/**
 * verifyTrees(): prove a conversion changed nothing. Both trees are built (cached by content),
 * every workload x seed runs on both in parallel child processes, digests are compared pair by
 * pair, and for the first pair that differs the traces are diffed to the first diverging event.
 * Library code: returns a VerifyReport, throws UsageError/InputError for bad input.
 *
 * Across layouts (stage 2, docs/verify.md): trees that support it run placement-preserving
 * (`--placement preserve`: descriptor memory and the memmap saving move no other allocation; a
 * stage-1 tree runs exactly as in real placement). Every run says which descriptors it allocated
 * separately; a pair whose layouts differ is compared by the layout-blind digest (the declared
 * layout-dependent lines masked). When either tree is a stage-2 tree, its real placement is
 * then run too, with `--check` (the machine's invariants after every operation), and every run
 * must pass its workload's content checks, the debug checks and those invariants.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { UsageError } from '../errors.ts';
import { buildTree, type Build } from './build.ts';
import { bugNotes, comparedAcrossLayouts, describeStatus, firstDivergence, outcomeDifference, type BugNote, type Divergence } from './compare.ts';
import { resolveTree, type Tree, type TreeInput } from './revision.ts';
import { DEFAULT_TIMEOUT_MS, probeTree, Pool, runBatch, runTraced, type RunOutcome, type RunStatus } from './run.ts';
import { BUNDLED_CORPUS } from '../paths.ts';
import { readManifest, type LayoutDependentLine, type TreeManifest } from '../simulate/manifest.ts';
import { cachedOutcomes, storeOutcomes, type RunSetting } from './runCache.ts';
import { closeIdleWorkers } from './simWorker.ts';

/**
 * Operations per workload when verifying a tree WITHOUT a manifest (corpus trees from before
 * `sim/main.ts --manifest`). A tree with one declares its own figures (`verify_ops`, in
 * corpus/sim/workloads/index.ts, where the reasoning lives) and they win; this table is the
 * figures those trees were verified with, kept so that old revisions verify as they always did.
 * `--ops N` overrides all, `--ops default` restores the workloads' defaults. A workload missing
 * from the table runs its default.
 */
export const VERIFY_OPS: Readonly<Record<string, number>> = {
  buddy: 3000,
  slab: 8000,
  mm: 5000,
  hwpoison: 1200,
  zswap: 1500,
  vmalloc: 2000,
  mixed: 4000,
};

/**
 * Rough CPU cost per operation (ms, measured) for scheduling the longest batches first: the
 * fallback for trees whose manifest gives no `cost_ms_per_op` (or that have no manifest).
 */
const COST_PER_OP: Readonly<Record<string, number>> = { buddy: 0.12, slab: 0.03, mm: 0.07, hwpoison: 0.35, zswap: 0.5, vmalloc: 0.12, mixed: 0.2 };
const BOOT_MS = 120;

export const DEFAULT_SEEDS: readonly number[] = Array.from({ length: 16 }, (_, i) => i + 1);

export interface VerifyOptions {
  /** Default: every workload of the reference tree. */
  workloads?: string[];
  /** Default: 1..16. */
  seeds?: number[];
  ram?: string;
  /** A number for every workload, 'default' for the workloads' own defaults; default VERIFY_OPS. */
  ops?: number | 'default';
  /** Per seed (default 60 s). */
  timeoutMs?: number;
  /** Parallel child processes (default os.availableParallelism()). */
  jobs?: number;
  /** Events shown before the first divergence (default 10). */
  context?: number;
  tracepoints?: boolean;
  /**
   * Also compare the struct page arrays the runs leave behind (default true). Right while
   * descriptors overlay struct page; turn off for conversions that move data out of it.
   */
  memmap?: boolean;
  cacheDir?: string;
  /** Where a bare git revision is looked up (default: the candidate tree's directory). */
  relativeTo?: string;
  /** Called after each finished batch. */
  onProgress?: (done: number, total: number) => void;
  /**
   * Where descriptors go in the compared runs, for trees that support it (default 'preserve',
   * the placement-preserving mode; 'real' compares the kernel's own placement).
   */
  placement?: 'preserve' | 'real';
  /** Run a stage-2 tree's real placement with --check as well (default true). */
  layoutChecks?: boolean;
}

export interface PreparedTree {
  label: string;
  dir: string;
  commit?: string;
  build: Build;
  workloads: string[];
  /** main.ts runs several seeds per process (--seeds). */
  multiSeed: boolean;
  /** What the tree declares about itself (`main.ts --manifest`); undefined for older trees. */
  manifest?: TreeManifest;
  cleanup(): void;
}

export interface Plan {
  workloads: string[];
  seeds: number[];
  /** undefined = the workload's default. */
  ops: Record<string, number | undefined>;
  /** CPU ms per operation, for scheduling (the tree's manifest; else memdesc's fallback table). */
  cost?: Record<string, number>;
  /** Where the operation counts came from: the tree's manifest, memdesc's fallback table, or --ops. */
  opsSource?: OpsSource;
  ram?: string;
  tracepoints?: boolean;
  timeoutMs: number;
  /** `--placement` for the trees whose manifest lists it (older trees run as they always did). */
  placement?: string;
  /** `--check` for the trees whose manifest offers it. */
  check?: boolean;
}

export type OpsSource = 'manifest' | 'fallback' | 'option';

export interface TreeInfo {
  label: string;
  commit?: string;
  buildKey: string;
  cached: boolean;
}

export interface PairMismatch {
  workload: string;
  seed: number;
  reason: string;
}

export interface FirstMismatch extends PairMismatch {
  divergence?: Divergence;
  candidate: { status: RunStatus; detail?: string };
  reference: { status: RunStatus; detail?: string };
}

/** One tree's memory layout, as its runs reported it. */
export interface TreeLayout {
  /** sizeof(struct page); undefined for a tree that does not report its layout. */
  structPageBytes?: number;
  /** Descriptor kinds allocated separately in some run (stage 2), in the order first seen. */
  descriptors: string[];
  /** A stage-2 tree: descriptors allocated separately, or a smaller struct page than the other tree's. */
  stage2: boolean;
}

/** A run of the real placement that failed its checks. */
export interface CheckFailure {
  workload: string;
  seed: number;
  reason: string;
  bug?: SimBugText;
}

interface SimBugText {
  message: string;
  dump: string;
}

/** Part (b) across layouts: the stage-2 tree in its real placement, checked after every operation. */
export interface LayoutChecks {
  side: 'candidate' | 'reference';
  label: string;
  placement: 'real';
  /** --check ran (the tree offers it); false: only the workloads' content checks and the debug checks. */
  invariants: boolean;
  runs: number;
  failures: CheckFailure[];
  ok: boolean;
  ms: number;
}

export interface LayoutSummary {
  candidate: TreeLayout;
  reference: TreeLayout;
  /** The placement the compared runs ran in (undefined: the trees' default, for trees without the option). */
  placement?: string;
  /** Pairs compared by the layout-blind digest (their layouts differ). */
  maskedPairs: number;
  /** Part (b), when either tree is a stage-2 tree (and not turned off). */
  checks?: LayoutChecks;
}

export interface VerifyReport {
  ok: boolean;
  candidate: TreeInfo;
  reference: TreeInfo;
  workloads: string[];
  seeds: number[];
  ops: Record<string, number>;
  ram?: string;
  /** workload x seed pairs compared. */
  pairs: number;
  /** Simulated operations compared (per pair, counted once). */
  opsCompared: number;
  eventsCompared: number;
  mismatches: PairMismatch[];
  first?: FirstMismatch;
  /**
   * Report lines the trees' manifests declare layout-dependent (both trees' lists, merged):
   * they may legitimately differ between a tree and its stage-2 conversion (docs/verify.md).
   */
  layoutDependent: LayoutDependentLine[];
  /** Where the operation counts came from: the reference tree's manifest, memdesc's fallback table, or --ops. */
  opsSource: OpsSource;
  /** Debug checks that fired (dump_page text), from either side; identical ones included. */
  bugs: BugNote[];
  /** The trees' memory layouts and, for a stage-2 tree, the checks of its real placement. */
  layouts?: LayoutSummary;
  jobs: number;
  /** checksMs: the real-placement runs of a stage-2 tree (part (b) across layouts). */
  timings: { buildMs: number; runMs: number; diffMs: number; checksMs?: number; wallMs: number };
}

function candidateBase(input: TreeInput): string {
  return typeof input === 'string' ? input : input.dir;
}

/** Resolve, build and interrogate a tree. */
export async function prepareTree(input: TreeInput, opts: { relativeTo?: string; cacheDir?: string } = {}): Promise<PreparedTree> {
  const tree: Tree = resolveTree(input, { relativeTo: opts.relativeTo ?? BUNDLED_CORPUS });
  try {
    const build = await buildTree(tree.dir, { cacheDir: opts.cacheDir });
    return await preparedBuild(tree, build);
  } catch (e) {
    tree.cleanup();
    throw e;
  }
}

/** A built tree interrogated: its manifest, else its workloads probed. */
export async function preparedBuild(tree: Tree, build: Build): Promise<PreparedTree> {
  // A tree that has a manifest lists its workloads there (and runs --seeds: it is newer);
  // an older one is probed through its own error messages.
  const manifest = await readManifest(build.file, tree.label);
  const probe = manifest ? { workloads: manifest.workloads.map((w) => w.name), multiSeed: true } : await probeTree(build.file);
  return { label: tree.label, dir: tree.dir, commit: tree.commit, build, ...probe, ...(manifest ? { manifest } : {}), cleanup: () => tree.cleanup() };
}

export function makePlan(reference: PreparedTree, opts: VerifyOptions): Plan {
  const known = reference.workloads;
  if (known.length === 0) throw new UsageError(`${reference.label}: cannot list the workloads of this tree`);
  const workloads = opts.workloads?.length ? [...new Set(opts.workloads)] : known;
  for (const w of workloads) {
    if (!known.includes(w)) throw new UsageError(`unknown workload '${w}' (${reference.label} has ${known.join(', ')})`);
  }
  const seeds = opts.seeds ?? [...DEFAULT_SEEDS];
  if (seeds.length === 0) throw new UsageError('no seeds to run');
  const declared = new Map((reference.manifest?.workloads ?? []).map((w) => [w.name, w]));
  const ops: Record<string, number | undefined> = {};
  const cost: Record<string, number> = {};
  for (const w of workloads) {
    const verifyOps = reference.manifest ? declared.get(w)?.verifyOps : VERIFY_OPS[w];
    ops[w] = opts.ops === 'default' ? undefined : (opts.ops ?? verifyOps);
    cost[w] = declared.get(w)?.costPerOpMs ?? COST_PER_OP[w] ?? DEFAULT_COST_PER_OP;
  }
  return {
    workloads, seeds, ops, cost,
    opsSource: opts.ops !== undefined ? 'option' : reference.manifest ? 'manifest' : 'fallback',
    ram: opts.ram, tracepoints: opts.tracepoints, timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    // Placement-preserving by default: a stage-1 tree runs exactly as in real placement, a
    // stage-2 tree without moving any allocation (only trees that list it get the option).
    placement: opts.placement ?? 'preserve',
  };
}

/** The operation count a workload runs when none is given: its default (manifest), else 20000. */
function defaultOpsOf(plan: Plan, workload: string, tree?: PreparedTree): number | undefined {
  return plan.ops[workload] ?? tree?.manifest?.workloads.find((w) => w.name === workload)?.defaultOps;
}

/** Both trees' layout-dependent lines, once each, the reference's first. */
export function mergeLayoutDependent(...trees: PreparedTree[]): LayoutDependentLine[] {
  const out: LayoutDependentLine[] = [];
  for (const t of trees) {
    for (const l of t.manifest?.layoutDependent ?? []) {
      if (!out.some((x) => x.report === l.report && x.line === l.line)) out.push(l);
    }
  }
  return out;
}

/**
 * Seeds split into batches: enough batches to keep every worker busy, few enough to amortise
 * start-up (a process's first boot also pays the host's page faults on a fresh RAM buffer).
 */
export function chunkSeeds(seeds: number[], size = 8): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < seeds.length; i += size) out.push(seeds.slice(i, i + size));
  return out;
}

const DEFAULT_COST_PER_OP = 0.1;

export function estimateMs(workload: string, ops: number | undefined, seeds: number, costPerOpMs?: number): number {
  return seeds * (BOOT_MS + (costPerOpMs ?? COST_PER_OP[workload] ?? DEFAULT_COST_PER_OP) * (ops ?? 20000));
}

export type Matrix = Map<string, Map<number, RunOutcome>>;

interface Job {
  tree: PreparedTree;
  workload: string;
  seeds: number[];
  cost: number;
}

/** Run the plan on several trees through one pool, longest batches first. */
export async function runMatrices(trees: PreparedTree[], plan: Plan, pool: Pool, onProgress?: (done: number, total: number) => void, opts: { chunk?: number; keepStderr?: boolean } = {}): Promise<Matrix[]> {
  const matrices: Matrix[] = trees.map(() => new Map(plan.workloads.map((w) => [w, new Map()])));
  const jobs: Array<Job & { m: Matrix }> = [];
  for (const w of plan.workloads) {
    for (const chunk of chunkSeeds(plan.seeds, opts.chunk)) {
      trees.forEach((tree, i) => jobs.push({ tree, workload: w, seeds: chunk, cost: estimateMs(w, defaultOpsOf(plan, w, tree), chunk.length, plan.cost?.[w]), m: matrices[i]! }));
    }
  }
  jobs.sort((a, b) => b.cost - a.cost);
  let done = 0;
  const shared = new Map<string, Promise<RunOutcome[]>>();
  const settle = (job: Job & { m: Matrix }, outcomes: RunOutcome[]): void => {
    for (const o of outcomes) job.m.get(job.workload)!.set(o.seed, o);
    onProgress?.(++done, jobs.length);
  };
  await Promise.all(jobs.map(async (job) => {
    if (!job.tree.workloads.includes(job.workload)) {
      return settle(job, job.seeds.map((seed): RunOutcome => ({ seed, status: 'error', detail: `no workload '${job.workload}' in ${job.tree.label}`, ms: 0 })));
    }
    const setting: RunSetting = { workload: job.workload, ops: plan.ops[job.workload], ram: plan.ram, tracepoints: plan.tracepoints, ...layoutArgs(job.tree, plan) };
    // Seeds this bundle already ran with these settings are not run again (runCache.ts); a run
    // that must show its stderr always runs.
    const cached = opts.keepStderr ? new Map<number, RunOutcome>() : cachedOutcomes(job.tree.build.key, setting, job.seeds);
    const missing = job.seeds.filter((s) => !cached.has(s));
    // Trees whose builds are identical (the same content key) run a batch once between them.
    const same = JSON.stringify([job.tree.build.key, setting, missing, !job.tree.multiSeed]);
    let batch = opts.keepStderr ? undefined : shared.get(same);
    if (!batch) {
      // The bundle as the pool's affinity: a freed slot goes on with the same tree's warm worker.
      batch = missing.length === 0 ? Promise.resolve([]) : pool.run(() => runBatch({ bundle: job.tree.build.file, seeds: missing, timeoutMs: plan.timeoutMs, singleSeed: !job.tree.multiSeed, keepStderr: opts.keepStderr, ...setting }), job.tree.build.file);
      shared.set(same, batch);
      if (!opts.keepStderr) batch.then((ran) => storeOutcomes(job.tree.build.key, setting, ran), () => {});
    }
    const ran = await batch;
    const bySeed = new Map([...cached, ...ran.map((o) => [o.seed, o] as const)]);
    settle(job, job.seeds.map((s) => bySeed.get(s)!));
  }));
  return matrices;
}

/** The placement and check options a tree gets under a plan: only what its manifest offers. */
export function layoutArgs(tree: PreparedTree, plan: Plan): { placement?: string; check?: boolean } {
  const support = tree.manifest?.layout;
  if (!support) return {};
  return {
    ...(plan.placement !== undefined && support.placements.includes(plan.placement) ? { placement: plan.placement } : {}),
    ...(plan.check && support.check ? { check: true } : {}),
  };
}

/** A tree's layout from its runs (`other`: the struct page size of the tree it is compared with). */
export function treeLayout(m: Matrix, otherStructPage?: number): TreeLayout {
  let structPageBytes: number | undefined;
  const descriptors: string[] = [];
  for (const seeds of m.values()) {
    for (const o of seeds.values()) {
      const l = o.result?.layout;
      if (!l) continue;
      structPageBytes ??= l.struct_page_bytes;
      for (const d of l.descriptors) if (!descriptors.includes(d)) descriptors.push(d);
    }
  }
  const smaller = structPageBytes !== undefined && otherStructPage !== undefined && structPageBytes < otherStructPage;
  return { ...(structPageBytes !== undefined ? { structPageBytes } : {}), descriptors, stage2: descriptors.length > 0 || smaller };
}

function structPageOf(m: Matrix): number | undefined {
  for (const seeds of m.values()) for (const o of seeds.values()) if (o.result?.layout) return o.result.layout.struct_page_bytes;
  return undefined;
}

/**
 * Part (b) across layouts: run `tree` in its real placement with --check (when it offers it) and
 * judge every run by its own checks. A run fails when it crashes, times out, or hits a debug
 * check (a workload's content check, a VM_BUG_ON, an invariant) that its placement-preserving
 * run `preserved` did not hit the same way (that one is judged by the comparison).
 */
export async function runLayoutChecks(tree: PreparedTree, side: 'candidate' | 'reference', preserved: Matrix, plan: Plan, pool: Pool, onProgress?: (done: number, total: number) => void): Promise<LayoutChecks> {
  const t0 = performance.now();
  const checkPlan: Plan = { ...plan, placement: 'real', check: true };
  const [m] = await runMatrices([tree], checkPlan, pool, onProgress);
  const failures: CheckFailure[] = [];
  let runs = 0;
  for (const w of plan.workloads) {
    for (const seed of plan.seeds) {
      const o = m!.get(w)!.get(seed)!;
      const p = preserved.get(w)?.get(seed);
      runs++;
      if (o.status === 'ok') continue;
      if (o.status === 'bug' && p?.status === 'bug' && p.result?.bug?.message === o.result?.bug?.message) continue;
      failures.push({
        workload: w, seed, reason: o.status === 'bug' ? `debug check: ${o.result!.bug!.message}` : describeStatus(o),
        ...(o.result?.bug ? { bug: { message: o.result.bug.message, dump: o.result.bug.dump } } : {}),
      });
    }
  }
  return {
    side, label: tree.label, placement: 'real', invariants: tree.manifest?.layout?.check === true,
    runs, failures, ok: failures.length === 0, ms: performance.now() - t0,
  };
}

function info(t: PreparedTree): TreeInfo {
  return { label: t.label, ...(t.commit ? { commit: t.commit } : {}), buildKey: t.build.key, cached: t.build.cached };
}

/** Compare two prepared trees under a plan (the trees are not cleaned up). */
export async function verifyPrepared(candidate: PreparedTree, reference: PreparedTree, plan: Plan, opts: VerifyOptions & { pool?: Pool } = {}): Promise<VerifyReport> {
  const t0 = performance.now();
  const pool = opts.pool ?? new Pool(opts.jobs ?? availableParallelism());
  const [cm, rm] = await runMatrices([candidate, reference], plan, pool, opts.onProgress);
  const t1 = performance.now();
  const mismatches: PairMismatch[] = [];
  const bugs: BugNote[] = [];
  const ops: Record<string, number> = {};
  let opsCompared = 0;
  let eventsCompared = 0;
  let pairs = 0;
  let maskedPairs = 0;
  for (const w of plan.workloads) {
    for (const seed of plan.seeds) {
      const c = cm!.get(w)!.get(seed)!;
      const r = rm!.get(w)!.get(seed)!;
      pairs++;
      const why = outcomeDifference(c, r, { memmap: opts.memmap });
      if (comparedAcrossLayouts(c, r)) maskedPairs++;
      if (why) mismatches.push({ workload: w, seed, reason: why });
      else if (c.result) {
        opsCompared += c.result.ops;
        eventsCompared += c.result.eventCount;
        ops[w] = c.result.ops;
      }
      if (bugs.length < 20) bugs.push(...bugNotes(w, seed, c.result, r.result));
    }
  }
  for (const w of plan.workloads) ops[w] ??= plan.ops[w] ?? 0;
  let first: FirstMismatch | undefined;
  if (mismatches.length > 0) {
    const m = mismatches[0]!;
    const c = cm!.get(m.workload)!.get(m.seed)!;
    const r = rm!.get(m.workload)!.get(m.seed)!;
    first = { ...m, candidate: { status: c.status, ...(c.detail ? { detail: c.detail } : {}) }, reference: { status: r.status, ...(r.detail ? { detail: r.detail } : {}) } };
    const finished = (o: RunOutcome): boolean => o.status === 'ok' || o.status === 'bug';
    if (finished(c) && finished(r)) {
      const job = { workload: m.workload, seed: m.seed, ram: plan.ram, ops: plan.ops[m.workload], tracepoints: plan.tracepoints, timeoutMs: plan.timeoutMs };
      const [ct, rt] = await Promise.all([
        pool.run(() => runTraced(candidate.build.file, { ...job, ...layoutArgs(candidate, plan) })),
        pool.run(() => runTraced(reference.build.file, { ...job, ...layoutArgs(reference, plan) })),
      ]);
      if ((ct.status === 'ok' || ct.status === 'bug') && (rt.status === 'ok' || rt.status === 'bug')) {
        // Runs of different layouts: the declared layout-dependent lines are no difference.
        const mask = comparedAcrossLayouts(c, r) ? mergeLayoutDependent(reference, candidate) : [];
        first.divergence = firstDivergence(ct, rt, opts.context ?? 10, mask);
      }
      for (const b of bugNotes(m.workload, m.seed, ct, rt)) {
        if (!bugs.some((x) => x.side === b.side && x.workload === b.workload && x.seed === b.seed)) bugs.unshift(b);
      }
    }
  }
  // Bugs of the first mismatch first, then the rest.
  if (first) bugs.sort((a, b) => Number(b.workload === first!.workload && b.seed === first!.seed) - Number(a.workload === first!.workload && a.seed === first!.seed));
  const t2 = performance.now();
  const layouts = await layoutSummary(candidate, reference, cm!, rm!, plan, pool, maskedPairs, opts);
  const t3 = performance.now();
  return {
    ok: mismatches.length === 0 && (layouts?.checks?.ok ?? true),
    candidate: info(candidate),
    reference: info(reference),
    workloads: plan.workloads,
    seeds: plan.seeds,
    ops,
    ...(plan.ram ? { ram: plan.ram } : {}),
    pairs,
    opsCompared,
    eventsCompared,
    mismatches,
    ...(first ? { first } : {}),
    layoutDependent: mergeLayoutDependent(reference, candidate),
    opsSource: plan.opsSource ?? (reference.manifest ? 'manifest' : 'fallback'),
    bugs,
    ...(layouts ? { layouts } : {}),
    jobs: pool.size,
    timings: { buildMs: 0, runMs: t1 - t0, diffMs: t2 - t1, ...(layouts?.checks ? { checksMs: t3 - t2 } : {}), wallMs: t3 - t0 },
  };
}

/**
 * The layouts of both trees, as their runs reported them, and part (b) for a stage-2 tree: the
 * candidate when it is one, else the reference. undefined when neither tree reports a layout
 * (trees from before stage 2).
 */
async function layoutSummary(candidate: PreparedTree, reference: PreparedTree, cm: Matrix, rm: Matrix, plan: Plan, pool: Pool, maskedPairs: number, opts: VerifyOptions): Promise<LayoutSummary | undefined> {
  const cl = treeLayout(cm, structPageOf(rm));
  const rl = treeLayout(rm, structPageOf(cm));
  if (cl.structPageBytes === undefined && rl.structPageBytes === undefined) return undefined;
  const placement = [candidate, reference].some((t) => layoutArgs(t, plan).placement !== undefined) ? plan.placement : undefined;
  const summary: LayoutSummary = { candidate: cl, reference: rl, ...(placement ? { placement } : {}), maskedPairs };
  if (opts.layoutChecks === false) return summary;
  const target = cl.stage2 ? { tree: candidate, side: 'candidate' as const, m: cm } : rl.stage2 ? { tree: reference, side: 'reference' as const, m: rm } : undefined;
  if (target) summary.checks = await runLayoutChecks(target.tree, target.side, target.m, plan, pool, opts.onProgress);
  return summary;
}

/**
 * Verify `candidate` (e.g. a converted corpus) against `reference` (the original): directories,
 * git revisions, or a directory with in-memory overrides ({ dir, overrides }).
 */
export async function verifyTrees(candidate: TreeInput, reference: TreeInput, opts: VerifyOptions = {}): Promise<VerifyReport> {
  const t0 = performance.now();
  const base = candidateBase(candidate);
  const relativeTo = opts.relativeTo ?? (existsSync(base) ? base : BUNDLED_CORPUS);
  const prepared: PreparedTree[] = [];
  try {
    // Both trees are built side by side; whichever is made is cleaned up whatever the other does.
    const both = [prepareTree(candidate, { relativeTo, cacheDir: opts.cacheDir }), prepareTree(reference, { relativeTo, cacheDir: opts.cacheDir })];
    for (const p of both) p.then((t) => prepared.push(t), () => {});
    const settled = await Promise.allSettled(both);
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    const [cand, ref] = await Promise.all(both) as [PreparedTree, PreparedTree];
    const plan = makePlan(ref, opts);
    const t1 = performance.now();
    const report = await verifyPrepared(cand, ref, plan, opts);
    report.timings.buildMs = t1 - t0;
    report.timings.wallMs = performance.now() - t0;
    return report;
  } finally {
    for (const p of prepared) p.cleanup();
    // This verification's warm workers are done (src/verify/simWorker.ts).
    await closeIdleWorkers();
  }
}
