/**
 * `verify --mutants`: the verifier's self-check. Wrong conversions are generated from the spec
 * and the analyzer's findings on the tree (mutants-gen.ts) and from the descriptor layer of the
 * rewriter's output (runConvert in process on a copy; mutants-desc.ts). Each must type-check (the ones that
 * do not are skipped and counted) and is run against its unmutated tree under the same plan as
 * `verify`, stopping at the first pair that differs (killed). A mutant that matches on every
 * pair survived: the workloads miss the behaviour it breaks.
 *
 * The reference runs are made with a probe at every candidate's sites (probes record which
 * mutants' code ran, per workload x seed, and change nothing else: the digests are the
 * original's). A mutant then runs only where its code ran; one whose code never runs survives
 * without running, and the report says so.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { MemdescError, UsageError } from '../errors.ts';
import { builtinSpec } from '../model/builtin.ts';
import type { Spec } from '../model/spec.ts';
import { buildTree } from './build.ts';
import { outcomeDifference } from './compare.ts';
import { generateDescriptorCandidates } from './mutants-desc.ts';
import { applySplices, generateCandidates, operatorNamed, OPERATORS, PROBE_MARKER, probeSplices, selectionOrder, type Mutant, type Operator } from './mutants-gen.ts';
import { overlayTree, resolveTree, type Tree, type TreeInput } from './revision.ts';
import { Pool, runBatch, type RunOutcome } from './run.ts';
import { VariantChecker } from './typecheck.ts';
import type { CompareMode, LineDifference, OracleSpec } from './oracle.ts';
import { chunkSeeds, makePlan, prepareTree, runMatrices, type Matrix, type Plan, type VerifyOptions } from './verify.ts';

export interface MutantsOptions extends Omit<VerifyOptions, 'onProgress'> {
  /** Mutants to run (type-checking ones; default 64). */
  count?: number;
  /** Selection seed (default 1). */
  selectionSeed?: number;
  operators?: string[];
  spec?: Spec;
  /**
   * The project's own oracle (--run/--entry; default: the spec's "oracle"): mutants are then
   * judged by it, not by the simulation (mutants-oracle.ts).
   */
  oracle?: OracleSpec;
  /** With an oracle: how its outputs are compared (default: the oracle's own setting). */
  compare?: CompareMode;
  /** One line per finished mutant. */
  onProgress?: (line: string) => void;
}

export interface KilledBy {
  /** The simulation: the workload x seed that told the mutant apart (absent under a project's oracle). */
  workload?: string;
  seed?: number;
  reason: string;
  /** The debug check the mutant hit, if that is how it showed. */
  bug?: string;
  /** A project's oracle: the first differing line of its output. */
  line?: LineDifference;
}

export interface MutantResult {
  id: string;
  operator: Operator;
  kind: string;
  file: string;
  line: number;
  function?: string;
  description: string;
  status: 'killed' | 'survived';
  killedBy?: KilledBy;
  /** Seed runs it took. */
  runs: number;
  /** Pairs (workload x seed) in which the mutated code ran (from the probes); null when unknown. Under an oracle: 1 or 0 (its one run). */
  reachedPairs?: number | null;
  /** Survivors: why (never executed, or executed without a visible change). */
  explanation?: string;
}

export interface SkippedMutant {
  id: string;
  operator: Operator;
  file: string;
  line: number;
  description: string;
  error: string;
}

export interface MutantsReport {
  tree: string;
  spec: string;
  candidates: number;
  /** Run (type-checking, distinct) mutants. */
  run: number;
  killed: MutantResult[];
  survived: MutantResult[];
  /** Did not type-check. */
  skipped: SkippedMutant[];
  /** Same text as an earlier mutant. */
  duplicates: number;
  /** Selected but equivalent by construction (not run): `error` says why. */
  equivalent: SkippedMutant[];
  /** The converter's output, whose descriptor layer the desc-* operators mutate. */
  converted?: { ok: boolean; identical?: boolean; error?: string };
  /** killed / run. */
  score: number;
  /**
   * killed / (run - never executed): the score over the mutants whose code the runs reached (the
   * probes tell), i.e. how well the check sees what it runs; the gap to `score` is coverage.
   */
  coveredScore: number;
  /** Survivors whose code no run reached (probes). */
  neverExecuted: number;
  byOperator: Record<string, { run: number; killed: number; skipped: number }>;
  /** The simulation's plan (absent when a project's oracle judged the mutants). */
  plan?: { workloads: string[]; seeds: number[]; ops: Record<string, number | undefined> };
  /** A project's own oracle, run once per mutant (absent for the simulation). */
  oracle?: {
    description: string; compare: string; timeoutMs: number; referenceMs: number;
    /** Per tree: whether the objects of the spec's classes at exit were compared too (and how many), or why not. */
    state: Array<{ tree: string; compared: boolean; objects?: number; why?: string }>;
  };
  jobs: number;
  timings: { analyzeMs: number; referenceMs: number; mutantsMs: number; wallMs: number };
}

/**
 * The order a mutant's workloads are tried in (it only affects speed): the cheapest first, by the
 * mean time of the reference's runs. Which workloads reach the mutated code at all comes from its
 * probes (stagesFor), not from file names.
 */
export function workloadOrder(workloads: string[], meanMs: (w: string) => number): string[] {
  return workloads.map((w, i) => ({ w, i, ms: meanMs(w) })).sort((a, b) => a.ms - b.ms || a.i - b.i).map((x) => x.w);
}

function meanRunMs(ref: Matrix | undefined, w: string): number {
  const runs = [...(ref?.get(w)?.values() ?? [])];
  return runs.length ? runs.reduce((n, o) => n + o.ms, 0) / runs.length : Infinity;
}

function toRel(root: string, abs: string): string {
  return relative(root, abs).split(sep).join('/');
}

/** One tree whose mutants are generated: its files, a type checker, its probed reference runs. */
export interface MutantSet {
  name: 'original' | 'converted';
  dir: string;
  root: string;
  texts: Map<string, string>;
  checker: VariantChecker;
  program: import('ts-morph').ts.Program;
  files: Map<string, import('ts-morph').ts.SourceFile>;
  candidates: Mutant[];
  /** Ids whose every site carries a probe. */
  probed: Set<string>;
  /** Probe site index -> mutant ids. */
  sites: string[][];
  reference?: Matrix;
  /** id -> workload -> seeds where its code ran. */
  reach: Map<string, Map<string, Set<number>>>;
}

export async function loadSet(name: MutantSet['name'], dir: string): Promise<MutantSet> {
  const { loadProgram, isProjectFile } = await import('../analyzers/project.ts');
  const { program, root } = loadProgram(dir);
  const files = new Map<string, import('ts-morph').ts.SourceFile>();
  const texts = new Map<string, string>();
  for (const sf of program.getSourceFiles()) {
    if (!isProjectFile(root, sf.fileName)) continue;
    const rel = relative(root, sf.fileName).split(sep).join('/');
    files.set(rel, sf);
    texts.set(rel, sf.text);
  }
  return { name, dir, root, texts, checker: new VariantChecker(program, root), program, files, candidates: [], probed: new Set(), sites: [], reach: new Map() };
}

/**
 * The rewriter, in process, on a copy of `dir`: what `memdesc convert --all COPY --write` does
 * (same spec, every kind, retire on, the copy's write lock taken and released by runConvert).
 * The converted copy, or why not: a failed conversion only means no desc-* mutants.
 */
export async function convertCopy(dir: string, spec: Spec): Promise<{ tree?: Tree; error?: string }> {
  const copy = overlayTree({ dir, copy: true, label: 'converted' }, true);
  try {
    const { runConvert } = await import('../rewrite/driver.ts');
    runConvert({ path: copy.dir, spec, kinds: [], all: true, write: true, force: false, retire: true });
  } catch (e) {
    copy.cleanup();
    // A typed error is the rewriter's verdict; anything else is its bug, still reported, not fatal here.
    const msg = e instanceof MemdescError ? e.message : `internal error: ${(e as Error)?.message ?? String(e)}`;
    return { error: msg.split('\n').find((l) => l.trim()) ?? 'convert failed' };
  }
  return { tree: copy };
}

/** The mutants whose probes fired in a run (its process's PROBE_MARKER line lists site indices). */
function probeHits(o: RunOutcome, sites: string[][]): string[] {
  const line = o.stderr?.split('\n').find((l) => l.startsWith(PROBE_MARKER));
  if (!line) return [];
  return line.slice(PROBE_MARKER.length).trim().split(',').filter(Boolean).flatMap((i) => sites[Number(i)] ?? []);
}

/** The set's tree with every candidate's probes, built; its runs are the reference. */
async function probedTree(set: MutantSet, cacheDir: string): Promise<Awaited<ReturnType<typeof prepareTree>>> {
  const { splices, placed, sites } = probeSplices(set.candidates);
  const changed = applySplices(set.texts, splices);
  if (!changed) throw new UsageError(`${set.name} tree: the reachability probes do not apply`);
  set.probed = placed;
  set.sites = sites;
  const copy = overlayTree({ dir: set.dir, overrides: Object.fromEntries(changed), label: `${set.name} (probed)` });
  try {
    const t = await prepareTree(copy.dir, { cacheDir });
    return { ...t, cleanup() {} };
  } finally {
    copy.cleanup();
  }
}

export async function runMutants(path: TreeInput, opts: MutantsOptions = {}): Promise<MutantsReport> {
  const t0 = performance.now();
  const count = opts.count ?? 64;
  const operators: Operator[] = (opts.operators ?? [...OPERATORS]).map((o) => {
    const op = operatorNamed(o);
    if (!op) throw new UsageError(`unknown mutation operator '${o}' (known: ${OPERATORS.join(', ')})`);
    return op;
  });
  const spec = opts.spec ?? builtinSpec();
  const oracle = opts.oracle ?? spec.oracle;
  if (oracle) {
    const { runOracleMutants } = await import('./mutants-oracle.ts');
    return runOracleMutants(path, {
      spec, oracle, count, operators,
      ...(opts.compare ? { compare: opts.compare } : {}), ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
      ...(opts.selectionSeed !== undefined ? { selectionSeed: opts.selectionSeed } : {}), ...(opts.jobs !== undefined ? { jobs: opts.jobs } : {}),
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}), ...(opts.memmap === false ? { state: false } : {}),
    });
  }
  const dir = typeof path === 'string' ? path : path.dir;
  if (existsSync(dir) && !existsSync(join(dir, 'sim', 'main.ts'))) {
    throw new UsageError(`${dir}: not a corpus tree (no sim/main.ts) and no oracle to judge mutants: give the spec an "oracle", or use --run/--entry`);
  }
  const resolved = resolveTree(path, { relativeTo: typeof path === 'string' ? path : path.dir });
  // A snapshot: others may be editing the tree while the mutants run.
  let tree: Tree;
  try {
    tree = overlayTree({ dir: resolved.dir, copy: true, label: resolved.label });
  } finally {
    resolved.cleanup();
  }
  const cacheDir = mkdtempSync(join(tmpdir(), 'memdesc-mutants-'));
  let converted: Tree | undefined;
  try {
    // The analyzer (ts-morph) loads only for this mode.
    const { analyzeDetailed } = await import('../analyzers/analyze.ts');
    const orig = await loadSet('original', tree.dir);
    // Its context reads assertions and never-returning calls by their code for the mutants (mutants-gen.ts).
    const { result: analysis, ctx } = analyzeDetailed(orig.program, orig.root, { spec });
    const nthPageFile = [...orig.texts].find(([, t]) => /export function nth_page\s*\(/.test(t))?.[0];
    const sets: MutantSet[] = [orig];
    let convertedInfo: MutantsReport['converted'];
    if (operators.some((o) => o.startsWith('desc-'))) {
      const c = await convertCopy(tree.dir, spec);
      converted = c.tree;
      if (c.tree) {
        const conv = await loadSet('converted', c.tree.dir);
        conv.candidates = generateDescriptorCandidates(spec, conv.files, conv.program.getTypeChecker());
        sets.push(conv);
        convertedInfo = { ok: true, identical: false };
      } else {
        convertedInfo = { ok: false, error: c.error! };
      }
    }
    orig.candidates = generateCandidates({ spec, files: orig.files, findings: analysis.findings, ctx, nthPageFile });
    const setOf = new Map<Mutant, MutantSet>();
    for (const set of sets) for (const m of set.candidates) setOf.set(m, set);
    // Ids are assigned here, over every set: the probes below carry them.
    const candidates = selectionOrder(sets.flatMap((x) => x.candidates), opts.selectionSeed ?? 1).filter((m) => operators.includes(m.operator));
    const t1 = performance.now();

    // Reference runs (probed), one process per seed so that probe hits are per seed.
    const pool = new Pool(opts.jobs ?? availableParallelism());
    const probed = [];
    for (const set of sets) probed.push(await probedTree(set, cacheDir));
    const plan = makePlan(probed[0]!, { ...opts, onProgress: undefined });
    const refRuns = runMatrices(probed, plan, pool, undefined, { chunk: 1, keepStderr: true });

    // Meanwhile: type-check candidates in selection order until `count` of them pass.
    const { chosen, skipped, equivalent, duplicates } = await chooseMutants(candidates, setOf, count);

    const matrices = await refRuns;
    sets.forEach((set, i) => {
      set.reference = matrices[i];
      for (const [w, bySeed] of matrices[i]!) {
        for (const [seed, o] of bySeed) {
          for (const id of probeHits(o, set.sites)) {
            const perW = set.reach.get(id) ?? new Map<string, Set<number>>();
            set.reach.set(id, perW);
            perW.set(w, (perW.get(w) ?? new Set()).add(seed));
          }
        }
      }
    });
    const refMatrix = orig.reference!;
    for (const w of plan.workloads) {
      const bad = [...refMatrix.get(w)!.values()].find((o) => o.status !== 'ok' && o.status !== 'bug');
      if (bad) throw new UsageError(`the original tree does not run cleanly (${w} seed ${bad.seed}: ${bad.status}); fix it before the self-check`);
    }
    const conv = sets[1];
    if (conv && convertedInfo?.ok) {
      // The converted tree must itself verify before its mutants mean anything.
      const diff = plan.workloads.flatMap((w) => plan.seeds.filter((sd) => outcomeDifference(conv.reference!.get(w)!.get(sd)!, refMatrix.get(w)!.get(sd)!)).map((sd) => `${w} seed ${sd}`));
      convertedInfo.identical = diff.length === 0;
      if (diff.length) {
        convertedInfo.error = `the converted tree differs from the original (${diff.slice(0, 3).join(', ')}${diff.length > 3 ? ', …' : ''}): its mutants are not run`;
        conv.reference = undefined;
      }
    }
    const t2 = performance.now();

    const results = await Promise.all(chosen.filter((c) => c.set.reference).map(async ({ m, set, overrides }): Promise<MutantResult | SkippedMutant> => {
      try {
        const r = await runOne(m, overrides, set, plan, pool, cacheDir);
        opts.onProgress?.(`${r.id} ${r.status === 'killed' ? 'killed  ' : 'SURVIVED'} ${r.operator} ${r.file}:${r.line}${r.killedBy ? ` (${r.killedBy.workload} seed ${r.killedBy.seed}: ${r.killedBy.reason})` : r.explanation ? ` (${r.explanation})` : ''}`);
        return r;
      } catch (e) {
        return { id: m.id, operator: m.operator, file: m.file, line: m.line, description: m.description, error: `does not build: ${(e as Error).message}` };
      }
    }));
    const t3 = performance.now();
    return {
      tree: tree.label,
      spec: spec.name,
      candidates: candidates.length,
      ...(convertedInfo ? { converted: convertedInfo } : {}),
      ...tally(results, skipped, operators),
      duplicates,
      equivalent,
      plan: { workloads: plan.workloads, seeds: plan.seeds, ops: plan.ops },
      jobs: pool.size,
      timings: { analyzeMs: t1 - t0, referenceMs: t2 - t1, mutantsMs: t3 - t2, wallMs: performance.now() - t0 },
    };
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
    converted?.cleanup();
    tree.cleanup();
  }
}

/**
 * The report's counts from every mutant's outcome (the simulation's and the oracle's runs alike):
 * finished ones sorted by id, the ones that did not build or start added to `skipped`, scores and
 * a row per operator.
 */
export function tally(results: Array<MutantResult | SkippedMutant>, skipped: SkippedMutant[], operators: readonly string[]): Pick<MutantsReport, 'run' | 'killed' | 'survived' | 'skipped' | 'score' | 'coveredScore' | 'neverExecuted' | 'byOperator'> {
  for (const x of results) if ('error' in x) skipped.push(x);
  const done = results.filter((x): x is MutantResult => 'status' in x).sort((a, b) => a.id.localeCompare(b.id));
  skipped.sort((a, b) => a.id.localeCompare(b.id));
  const killed = done.filter((r) => r.status === 'killed');
  const survived = done.filter((r) => r.status === 'survived');
  const neverExecuted = survived.filter((r) => r.reachedPairs === 0).length;
  const covered = done.length - neverExecuted;
  const byOperator: MutantsReport['byOperator'] = {};
  for (const op of operators) byOperator[op] = { run: 0, killed: 0, skipped: 0 };
  for (const r of done) {
    byOperator[r.operator]!.run++;
    if (r.status === 'killed') byOperator[r.operator]!.killed++;
  }
  for (const sk of skipped) byOperator[sk.operator]!.skipped++;
  return {
    run: done.length, killed, survived, skipped,
    score: done.length ? killed.length / done.length : 0, coveredScore: covered ? killed.length / covered : 0, neverExecuted,
    byOperator,
  };
}

export interface Chosen {
  m: Mutant;
  set: MutantSet;
  overrides: Record<string, string>;
}

/**
 * Take candidates in selection order until `count` of them type-check: equivalent ones are
 * counted, not run; the same text as an earlier mutant is a duplicate; a type error skips one.
 */
export async function chooseMutants(candidates: Mutant[], setOf: Map<Mutant, MutantSet>, count: number): Promise<{ chosen: Chosen[]; skipped: SkippedMutant[]; equivalent: SkippedMutant[]; duplicates: number }> {
  const skipped: SkippedMutant[] = [];
  const equivalent: SkippedMutant[] = [];
  const chosen: Chosen[] = [];
  const seen = new Set<string>();
  let duplicates = 0;
  for (const m of candidates) {
    if (chosen.length >= count) break;
    const set = setOf.get(m)!;
    if (m.equivalent) {
      equivalent.push({ id: m.id, operator: m.operator, file: m.file, line: m.line, description: m.description, error: m.equivalent });
      continue;
    }
    const changed = applySplices(set.texts, m.splices);
    if (!changed) continue;
    const key = createHash('sha256').update(`${set.name}\0${[...changed].map(([f, t]) => `${f}\0${t}`).join('\0')}`).digest('hex');
    if (seen.has(key)) {
      duplicates++;
      continue;
    }
    seen.add(key);
    const error = set.checker.check(new Map([...changed].map(([f, t]) => [join(set.root, ...f.split('/')), t])));
    // Type-checking is synchronous: let the reference runs' child processes be serviced between mutants.
    await yieldToLoop();
    if (error) skipped.push({ id: m.id, operator: m.operator, file: m.file, line: m.line, description: m.description, error });
    else chosen.push({ m, set, overrides: Object.fromEntries(changed) });
  }
  return { chosen, skipped, equivalent, duplicates };
}

async function buildVariant(dir: string, overrides: Record<string, string>, cacheDir: string): Promise<string> {
  const copy = overlayTree({ dir, overrides });
  try {
    return (await buildTree(copy.dir, { cacheDir })).file;
  } finally {
    copy.cleanup();
  }
}

/**
 * The pairs a mutant must run on, most telling first: where its code ran (each workload's first
 * such seed, then the rest), or every pair when its probes cannot tell.
 */
function stagesFor(m: Mutant, set: MutantSet, plan: Plan): { stages: Array<{ workload: string; seeds: number[] }>; reached: number | null } {
  const order = workloadOrder(plan.workloads, (w) => meanRunMs(set.reference, w));
  const covered = set.probed.has(m.id) && m.probeCovers !== false;
  const seedsOf = (w: string): number[] => (covered ? plan.seeds.filter((sd) => set.reach.get(m.id)?.get(w)?.has(sd)) : plan.seeds);
  const per = order.map((w) => [w, seedsOf(w)] as const).filter(([, s]) => s.length > 0);
  const stages: Array<{ workload: string; seeds: number[] }> = per.map(([w, s]) => ({ workload: w, seeds: [s[0]!] }));
  for (const [w, s] of per) for (const chunk of chunkSeeds(s.slice(1), 5)) stages.push({ workload: w, seeds: chunk });
  return { stages, reached: covered ? per.reduce((n, [, s]) => n + s.length, 0) : null };
}

async function runOne(m: Mutant, overrides: Record<string, string>, set: MutantSet, plan: Plan, pool: Pool, cacheDir: string): Promise<MutantResult> {
  const base: MutantResult = {
    id: m.id, operator: m.operator, kind: m.kind, file: m.file, line: m.line, ...(m.function ? { function: m.function } : {}),
    description: m.description, status: 'survived', runs: 0,
  };
  const { stages, reached } = stagesFor(m, set, plan);
  base.reachedPairs = reached;
  const total = plan.workloads.length * plan.seeds.length;
  if (stages.length === 0) {
    return { ...base, explanation: `never executed: no workload x seed (of ${total}) runs the mutated code, so no run can differ` };
  }
  const ref = set.reference!;
  const bundle = await buildVariant(set.dir, overrides, cacheDir);
  for (const st of stages) {
    const slowest = Math.max(...st.seeds.map((sd) => ref.get(st.workload)!.get(sd)!.ms));
    const outcomes = await pool.run(() => runBatch({
      bundle, workload: st.workload, seeds: st.seeds, ram: plan.ram, ops: plan.ops[st.workload], tracepoints: plan.tracepoints,
      timeoutMs: Math.min(plan.timeoutMs, Math.max(10_000, 10 * slowest)),
    }));
    for (const o of outcomes) {
      base.runs++;
      const why = outcomeDifference(o, ref.get(st.workload)!.get(o.seed)!);
      if (why) return { ...base, status: 'killed', killedBy: { workload: st.workload, seed: o.seed, reason: why, ...(o.result?.bug ? { bug: o.result.bug.message } : {}) } };
    }
  }
  const first = stages[0]!;
  return {
    ...base,
    explanation: reached === null
      ? `no run of ${total} differs (its probes cannot tell where its code ran)`
      : `executed in ${reached} of ${total} pairs (first: ${first.workload} seed ${first.seeds[0]}) and no digest changed: equivalent on these runs, or its effect never reaches an event or report`,
  };
}
