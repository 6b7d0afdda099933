/**
 * `verify --mutants` on a project that is not the corpus: the same wrong conversions (mutants-gen.ts
 * on the original tree, mutants-desc.ts on the converter's output), judged by the project's own
 * oracle (the spec's "oracle", or --run/--entry) instead of the simulation. The oracle runs once
 * on the original (twice, in fact: a program whose two runs differ cannot judge anything), once on
 * a probed copy (which mutants' code its run reaches, to explain survivors), then once per mutant;
 * a mutant is killed when its run differs from the original's (exit code, timeout or output, under
 * the oracle's compare mode).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../errors.ts';
import type { Spec } from '../model/spec.ts';
import { generateDescriptorCandidates } from './mutants-desc.ts';
import { applySplices, generateCandidates, neighbourOf, operatorNamed, OPERATORS, PROBE_MARKER, probeSplices, selectionOrder, type Mutant, type Operator, type Splice } from './mutants-gen.ts';
import { chooseMutants, convertCopy, loadSet, tally, type MutantResult, type MutantSet, type MutantsReport, type SkippedMutant } from './mutants.ts';
import { checkOracle, compareRuns, describeCompare, describeOracle, oracleSettings, runOracle, runReference, type CompareMode, type OracleRun, type OracleSpec, type RunOracleOptions } from './oracle.ts';
import { overlayTree, resolveTree, type Tree, type TreeInput } from './revision.ts';
import { Pool } from './run.ts';
import { splitState, stateClasses, stateSplices } from './mutants-state.ts';

export interface OracleMutantsOptions {
  spec: Spec;
  oracle: OracleSpec;
  /** Flags given to verify win over the oracle's own settings. */
  compare?: CompareMode;
  timeoutMs?: number;
  count?: number;
  selectionSeed?: number;
  operators?: string[];
  /** Compare the objects of the spec's classes at exit too (default true; --no-memmap turns it off). */
  state?: boolean;
  /** Mutants run at once (default: 1 for a command, which may use every core or fixed ports; the cores for an entry program). */
  jobs?: number;
  onProgress?: (line: string) => void;
}

/** The original's run with the probe line taken out, and the probed sites that ran (undefined: the probes cannot tell). */
function splitProbes(r: OracleRun, sites: string[][]): { run: OracleRun; hits?: Set<string> } {
  const lines = r.output.split('\n');
  const marker = lines.filter((l) => l.startsWith(PROBE_MARKER));
  const run = { ...r, output: lines.filter((l) => !l.startsWith(PROBE_MARKER)).join('\n') };
  if (marker.length === 0) return { run };
  const hits = new Set<string>();
  for (const l of marker) {
    for (const i of l.slice(PROBE_MARKER.length).trim().split(',').filter(Boolean)) for (const id of sites[Number(i)] ?? []) hits.add(id);
  }
  return { run, hits };
}

interface OracleSet {
  set: MutantSet;
  ref?: OracleRun;
  /** Ids whose code the original's run reached; undefined when the probes could not tell. */
  reached?: Set<string>;
  /** Why the probes could not tell. */
  noProbe?: string;
  /** The classes whose objects are the state (the spec's class and its descriptors). */
  classes: string[];
  /** Splices that make the state classes' objects register (mutants-state.ts). */
  stateSplices: Splice[];
  /** The digest of those objects at the original's exit; undefined when it cannot be had or does not repeat. */
  state?: string;
  /** Why there is no state digest. */
  noState?: string;
}

export async function runOracleMutants(path: TreeInput, opts: OracleMutantsOptions): Promise<MutantsReport> {
  const t0 = performance.now();
  const { spec, oracle } = opts;
  checkOracle(oracle);
  const count = opts.count ?? 64;
  const operators: Operator[] = (opts.operators ?? [...OPERATORS]).map((o) => {
    const op = operatorNamed(o);
    if (!op) throw new UsageError(`unknown mutation operator '${o}' (known: ${OPERATORS.join(', ')})`);
    return op;
  });
  const resolved = resolveTree(path, { relativeTo: typeof path === 'string' ? path : path.dir, anyTree: true });
  let tree: Tree;
  try {
    // A snapshot: others may be editing the tree while the mutants run.
    tree = overlayTree({ dir: resolved.dir, copy: true, label: resolved.label }, true);
  } finally {
    resolved.cleanup();
  }
  const cacheDir = mkdtempSync(join(tmpdir(), 'memdesc-mutants-'));
  const { compare, timeoutMs, run: runOpts } = oracleSettings(oracle, { ...(opts.compare ? { compare: opts.compare } : {}), ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}), cacheDir });
  const pool = new Pool(opts.jobs ?? ('run' in oracle ? 1 : availableParallelism()));
  let converted: Tree | undefined;
  try {
    const { analyzeDetailed } = await import('../analyzers/analyze.ts');
    const orig = await loadSet('original', tree.dir);
    // Its context reads assertions and never-returning calls by their code for the mutants (mutants-gen.ts).
    const { result: analysis, ctx } = analyzeDetailed(orig.program, orig.root, { spec });
    const wantState = opts.state !== false;
    const setState = (set: MutantSet): OracleSet => ({ set, classes: [...stateClasses(spec)], stateSplices: wantState ? stateSplices(spec, set.files) : [], ...(wantState ? {} : { noState: 'not asked for (--no-memmap)' }) });
    const sets: OracleSet[] = [setState(orig)];
    let convertedInfo: MutantsReport['converted'];
    if (operators.some((o) => o.startsWith('desc-'))) {
      const c = await convertCopy(tree.dir, spec);
      converted = c.tree;
      if (c.tree) {
        const conv = await loadSet('converted', c.tree.dir);
        conv.candidates = generateDescriptorCandidates(spec, conv.files, conv.program.getTypeChecker());
        sets.push(setState(conv));
        convertedInfo = { ok: true, identical: false };
      } else {
        convertedInfo = { ok: false, error: c.error! };
      }
    }
    // The neighbouring object through the class's own constructor (no nth_page() outside the corpus).
    const neighbour = neighbourOf(spec, orig.files);
    orig.candidates = generateCandidates({ spec, files: orig.files, findings: analysis.findings, ctx, ...(neighbour ? { neighbour } : {}) });
    const setOf = new Map<Mutant, MutantSet>();
    for (const { set } of sets) for (const m of set.candidates) setOf.set(m, set);
    const candidates = selectionOrder(sets.flatMap((x) => x.set.candidates), opts.selectionSeed ?? 1).filter((m) => operators.includes(m.operator));
    const t1 = performance.now();

    // The original, twice: a mutant is killed by a difference, so the oracle must not differ from itself.
    const first = await runReference(tree, oracle, runOpts);
    if (first.exitCode !== 0) {
      // As for the simulation: a check that fails on the original says nothing about the mutants.
      const lines = first.output.trim().split('\n').filter(Boolean);
      const last = lines.find((l) => /error/i.test(l)) ?? lines.at(-1);
      const how = first.timedOut ? `timed out after ${timeoutMs / 1000} s` : first.signal ? `killed by ${first.signal}` : `exit ${first.exitCode}`;
      throw new UsageError(`the oracle ${describeOracle(oracle)} fails on the original (${how}${last ? `: ${last.slice(0, 160)}` : ''}); fix it before the self-check`);
    }
    const again = await runOracle(tree.dir, oracle, runOpts);
    const self = compareRuns(again, first, compare, timeoutMs).difference;
    if (self) {
      const at = self.line ? ` (line ${self.line.candidateLine ?? self.line.referenceLine}: ${JSON.stringify(self.line.reference ?? '(end)')} then ${JSON.stringify(self.line.candidate ?? '(end)')})` : '';
      throw new UsageError(`the oracle ${describeOracle(oracle)} does not repeat itself on the original: ${self.detail}${at}; make its output deterministic or select stable lines with --compare`);
    }
    sets[0]!.ref = first;
    const conv = sets[1];
    if (conv && convertedInfo?.ok) {
      // The converted tree must itself verify before its mutants mean anything.
      const c = await runOracle(conv.set.dir, oracle, runOpts);
      const d = compareRuns(c, first, compare, timeoutMs).difference;
      convertedInfo.identical = !d;
      if (d) convertedInfo.error = `the converted tree differs from the original under the oracle (${d.detail}): its mutants are not run`;
      else conv.ref = c;
    }
    for (const s of sets) if (s.ref) await probe(s, oracle, runOpts, compare, timeoutMs);
    const { chosen, skipped, equivalent, duplicates } = await chooseMutants(candidates, setOf, count);
    const t2 = performance.now();

    const bySet = new Map(sets.map((s) => [s.set, s]));
    const mutantTimeout = Math.min(timeoutMs, Math.max(10_000, 10 * first.ms));
    const results = await Promise.all(chosen.filter((c) => bySet.get(c.set)!.ref).map(({ m, set, overrides }) => pool.run(async (): Promise<MutantResult | SkippedMutant> => {
      const os = bySet.get(set)!;
      // The mutant's run carries the same state registration as the original's instrumented run.
      const withState = os.state !== undefined ? applySplices(set.texts, [...m.splices, ...os.stateSplices]) : undefined;
      const copy = overlayTree({ dir: set.dir, overrides: withState ? Object.fromEntries(withState) : overrides }, true);
      try {
        const r = await runOracle(copy.dir, oracle, { ...runOpts, timeoutMs: mutantTimeout });
        const res = judge(m, r, os, compare, mutantTimeout, !!withState);
        opts.onProgress?.(`${res.id} ${res.status === 'killed' ? 'killed  ' : 'SURVIVED'} ${res.operator} ${res.file}:${res.line}${res.killedBy ? ` (${res.killedBy.reason})` : ` (${res.explanation})`}`);
        return res;
      } catch (e) {
        return { id: m.id, operator: m.operator, file: m.file, line: m.line, description: m.description, error: `does not build or start: ${(e as Error).message}` };
      } finally {
        copy.cleanup();
      }
    })));
    const t3 = performance.now();
    return {
      tree: tree.label,
      spec: spec.name,
      candidates: candidates.length,
      ...(convertedInfo ? { converted: convertedInfo } : {}),
      ...tally(results, skipped, operators),
      duplicates,
      equivalent,
      oracle: {
        description: describeOracle(oracle), compare: describeCompare(compare), timeoutMs: mutantTimeout, referenceMs: Math.round(first.ms),
        state: sets.map((s) => ({ tree: s.set.name, compared: s.state !== undefined, ...(s.state !== undefined ? { objects: Number(s.state.split(' ')[1]) } : { why: s.noState ?? 'not run' }) })),
      },
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
 * Run the oracle on the set's tree with a probe at every candidate's sites and the state
 * registration, twice. The probes only print one line at exit: when the run otherwise differs from
 * the set's reference (a command that type-checks first, a runner that hides its children's
 * stderr) they cannot tell, and say why. The state digest counts only when both runs agree on it.
 */
async function probe(s: OracleSet, oracle: OracleSpec, runOpts: RunOracleOptions, compare: CompareMode, timeoutMs: number): Promise<void> {
  const { splices, placed, sites } = probeSplices(s.set.candidates);
  const changed = applySplices(s.set.texts, [...splices, ...s.stateSplices]);
  if (!changed) {
    s.noProbe = 'the probes do not apply';
    s.noState ??= 'the state registration does not apply';
    return;
  }
  if (placed.size === 0) s.noProbe = 'no probe could be placed';
  if (s.stateSplices.length === 0) s.noState ??= `no class of the spec (${s.classes.join(', ')}) is declared in the tree`;
  const copy = overlayTree({ dir: s.set.dir, overrides: Object.fromEntries(changed) }, true);
  try {
    const runs: Array<{ run: OracleRun; hits?: Set<string>; state?: string }> = [];
    for (let i = 0; i < (s.stateSplices.length ? 2 : 1); i++) {
      const r = await runOracle(copy.dir, oracle, runOpts);
      const st = splitState(r.output);
      runs.push({ ...splitProbes({ ...r, output: st.output }, sites), ...(st.state !== undefined ? { state: st.state } : {}) });
    }
    const [a, b] = runs;
    if (compareRuns(a!.run, s.ref!, compare, timeoutMs).difference) {
      s.noProbe ??= "the probed run's output differs from the original's";
      s.noState ??= "the instrumented run's output differs from the original's";
      return;
    }
    if (placed.size > 0) {
      if (!a!.hits) s.noProbe = 'the probes printed nothing the oracle shows';
      else {
        s.reached = new Set([...a!.hits].filter((id) => placed.has(id)));
        s.set.probed = placed;
      }
    }
    if (s.stateSplices.length) {
      if (a!.state === undefined) s.noState ??= 'the state line is not in what the oracle shows';
      else if (a!.state !== b?.state) s.noState ??= 'the objects differ between two runs of the original';
      else s.state = a!.state;
    }
  } catch (e) {
    const why = `the instrumented copy does not run (${(e as Error).message.split('\n')[0]})`;
    s.noProbe ??= why;
    s.noState ??= why;
  } finally {
    copy.cleanup();
  }
}

function judge(m: Mutant, raw: OracleRun, s: OracleSet, compare: CompareMode, timeoutMs: number, withState: boolean): MutantResult {
  const { output, state } = splitState(raw.output);
  const r = { ...raw, output };
  const base: MutantResult = {
    id: m.id, operator: m.operator, kind: m.kind, file: m.file, line: m.line, ...(m.function ? { function: m.function } : {}),
    description: m.description, status: 'survived', runs: 1,
  };
  const known = s.reached !== undefined && s.set.probed.has(m.id) && m.probeCovers !== false;
  base.reachedPairs = known ? (s.reached!.has(m.id) ? 1 : 0) : null;
  const d = compareRuns(r, s.ref!, compare, timeoutMs).difference;
  if (d) {
    const at = d.line ? `; line ${d.line.candidateLine ?? d.line.referenceLine}: ${JSON.stringify(d.line.reference ?? '(end of output)')} -> ${JSON.stringify(d.line.candidate ?? '(end of output)')}` : '';
    return { ...base, status: 'killed', killedBy: { reason: `${d.what}: ${d.detail}${at}`, ...(d.line ? { line: d.line } : {}) } };
  }
  if (withState && state !== s.state) {
    const what = s.classes.join('/');
    return { ...base, status: 'killed', killedBy: { reason: `state: the same output, but the ${what} objects left at exit differ (digest ${s.state!.split(' ')[0]} -> ${state?.split(' ')[0] ?? 'none'})` } };
  }
  return {
    ...base,
    explanation: !known
      ? `the oracle's output did not change (whether its code ran is unknown: ${s.noProbe ?? 'its sites carry no probe'})`
      : base.reachedPairs === 0
        ? "never executed: the oracle's run of the original never reaches the mutated code, so no output can differ"
        : `executed in the oracle's run and its output did not change: equivalent for this program, or its effect never reaches what the oracle prints${m.operator === 'desc-swap-words' ? ' (getter and setter move together, so every value reads back as written; only a reader of the words themselves could tell)' : ''}`,
  };
}
