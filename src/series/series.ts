/**
 * buildSeries(): the conversion as a patch series, the way the kernel does it. Per kind, create
 * the descriptor, convert its functions one (or one call cycle) per patch, callees first, then
 * whatever is left; retire the dead union members last. Every step is applied, type-checked,
 * verified against the base (with the corpus simulation, or the spec's own oracle) and committed on its own branch; a step
 * that fails is carried by the next one. Then `git format-patch` files and a cover letter.
 * Library code: returns a SeriesResult, throws typed errors.
 */
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import type { AnalysisResult } from '../model/findings.ts';
import { InputError, MemdescError, UsageError } from '../errors.ts';
import type { Spec } from '../model/spec.ts';
import { runConvert } from '../rewrite/driver.ts';
import { kindPlans, selectKinds } from '../rewrite/kinds.ts';
import type { ConvertReport } from '../rewrite/plan.ts';
import { baseText, changedFiles, checkBranch, commit, createRepo, formatPatches, guardedPaths, inspectRepo, markOwned, type SeriesRepo } from './git.ts';
import { resolveIdentity, type Person, type SeriesIdentity } from './identity.ts';
import { fileHash, guardedClash, isInside, outState, parentProblem, provenFile, realPath, replaceOut, writeMarker, type Guarded, type OutState } from './ownedOut.ts';
import { makeDirs, Rollback } from './rollback.ts';
import { commitMessage, mergedSubject, ranAndWhy, seriesMethod, seriesTitle, type MessageContext } from './messages.ts';
import { subjectPrefixer } from './prefix.ts';
import { specWords } from '../model/words.ts';
import { buildTrees, groupCommits, lastCommittable, seriesSteps, type CommitGroup, type StepTree, type TreeTexts } from './steps.ts';
import { overlayTree } from '../verify/revision.ts';
import { planUnits } from './units.ts';
import { OracleSeriesVerifier, SeriesVerifier, type OracleStepVerification, type SeriesVerifyOptions, type StepVerification } from './verifySteps.ts';
import { blockedLines, planStage2, stage2Body, stage2Done, stage2Subject, type Stage2Plan } from './stage2.ts';
import { checkStage2, lanesOf, layoutChecksText, stage2StopText, tipLayoutChecks, type Stage2Checked } from './stage2Verify.ts';
import type { LayoutChecks } from '../verify/verify.ts';
import { coveredWorkerStats } from '../verify/coverageWorker.ts';
import { sharedParseStats } from '../ts/sharedParse.ts';

/** What a commit's verification was: the corpus simulation's, the spec's oracle's, or none. */
export type CommitVerification = StepVerification | OracleStepVerification | typeof NOT_VERIFIED;
/** A project without the corpus simulation whose spec names no oracle: nothing ran, and the series says so. */
export const NOT_VERIFIED = 'not verified (no oracle)';

export interface SeriesOptions {
  /** The project: a directory with tsconfig.json. */
  path: string;
  spec: Spec;
  kinds: string[];
  all?: boolean;
  /**
   * Where the patch files go: a new or empty folder, or (with `force`) the output of an earlier
   * series, proven by its marker. Never the project, its git work tree or git directory, nor a
   * folder holding them; inside the project it is left out of the series.
   */
  out: string;
  /** Base revision (default HEAD) when `path` is in a git repository. */
  base?: string;
  /** Replace the output of an earlier series in `out` and a branch an earlier series made; nothing else. */
  force?: boolean;
  /** Author and committer (default: the user's git identity, see identity.ts). */
  author?: Person;
  /** Already resolved (a caller that reports it before the work); wins over `author`. */
  identity?: SeriesIdentity;
  /** Used when git has no identity and no `author` is given (else that is an error). */
  identityFallback?: Person;
  /** `Signed-off-by:` the committer on every patch (default true). */
  signoff?: boolean;
  /** Commit into a new scratch repository at this directory (kept), even when `path` is in git. */
  scratchAt?: string;
  /**
   * Write the cover letter to this file instead of `out/0000-cover-letter.patch`, so that
   * `git am out/*.patch` takes the patches alone (git am stops at a cover letter: it has no diff).
   */
  coverLetter?: string;
  verify?: SeriesVerifyOptions;
  /**
   * 2 (the default with `all`): after stage 1, the stage-2 patches (separate every kind whose
   * audit is clean, then shrink). 1: stop after stage 1 (overlays only; the default for named kinds).
   */
  stage?: 1 | 2;
  /** Progress lines (the library never prints). */
  onProgress?: (line: string) => void;
  /** After each planned step: steps done, steps in all, and what the step was. */
  onStep?: (done: number, total: number, step: string) => void | Promise<void>;
  /**
   * After each commit, in order: commits made, commits in all, its sha (awaited: an error here
   * fails the run like any other). Stage-1 commits are made while later steps still verify, and
   * reported once every verdict, and so the count, is known.
   */
  onCommit?: (done: number, total: number, sha: string) => void | Promise<void>;
  /** The base's analysis, once made (the one the conversion and every step plan with), and what loading and analyzing took: `memdesc start` reports it instead of analyzing the tree again. */
  onAnalysis?: (analysis: AnalysisResult, ms: number) => void;
  /**
   * Once every tree is planned, while their runs go on: the trees the branch will hold if every
   * step verifies (each a whole tree as its changes to the base, in commit order). A guess made
   * ahead of the verdicts, for work that only warms something up (`memdesc start` measures them
   * for track meanwhile); never anything the series' result depends on.
   */
  onTrees?: (planned: { repo: SeriesRepo; trees: TreeTexts[] }) => void;
}

export interface SeriesCommit {
  sha: string;
  subject: string;
  /** Project-relative files the commit changes. */
  files: string[];
  /** Steps this commit carries (more than one when earlier steps could not stand alone). */
  steps: number;
  typecheck: { ok: true; files: number; ms: number };
  verification: CommitVerification;
  /** The tip of a series with stage-2 patches: its real placement, checked (docs/verify.md). */
  layoutChecks?: LayoutChecks;
  /** 1: a conversion patch; 2: a separate or shrink patch. */
  stage: 1 | 2;
}

/** What stage 2 of a series did. */
export interface SeriesStage2 {
  /** Kinds separated, in order, and the shrink's new size when it ran. */
  separated: string[];
  shrunkTo?: number;
  blocked: Stage2Plan['blocked'];
  problems: Stage2Plan['problems'];
  /** Why there is no stage 2 (the spec has none). */
  none?: string;
  /** The stage-2 patch that did not verify and stopped stage 2 (its subject and why), with the exit message. */
  failed?: { patch: string; reason: string; message: string };
}

export interface SeriesProblem {
  step: string;
  reason: string;
}

export interface SeriesResult {
  repo: string;
  branch: string;
  base: string;
  /** A scratch repository made for a project outside git (kept: it holds the branch). */
  scratch: boolean;
  /** Who the patches are by, and where that came from. */
  identity: SeriesIdentity;
  signoff: boolean;
  commits: SeriesCommit[];
  /** Absolute paths: the cover letter first (wherever it was written), then the patches in order. */
  patches: string[];
  out: string;
  title: string;
  /** Steps that changed nothing (their work was done by an earlier step). */
  empty: string[];
  /** Steps that did not type-check or verify on their own (merged into the next commit), or never committed. */
  problems: SeriesProblem[];
  /** The branch head's tree equals the one-shot `convert --write` result, file by file. */
  tipEqualsOneShot: boolean;
  /** Every step up to the one-shot result (and every stage-2 patch planned) was committed. */
  complete: boolean;
  /** Undefined with `stage: 1`. */
  stage2?: SeriesStage2;
  timings: Record<string, number>;
}

/**
 * Refuse a bad --out (and --cover-letter) before any work: it may not be or hold the project,
 * its work tree or git directory; it must be new, empty, or (with `force`) an earlier series'
 * output that nobody added to or changed. Returns what `out` is now.
 */
function checkOut(out: string, coverLetter: string | undefined, force: boolean, guards: Guarded[]): OutState {
  const clash = guardedClash(out, guards);
  if (clash) throw new UsageError(`--out ${out} ${clash}: choose a new directory for the patches`);
  const parent = parentProblem(out);
  if (parent) throw new UsageError(`--out ${out}: ${parent}`);
  const st = outState(out, 'series');
  if (st.kind === 'foreign') throw new UsageError(`--out ${out} ${st.why}: choose a new or empty directory for the patches`);
  if (st.kind === 'owned' && !force) throw new UsageError(`--out ${out} holds the patches of an earlier memdesc series: pass --force to replace them, or choose a new directory`);
  if (coverLetter !== undefined) checkCoverLetter(resolve(coverLetter), out, force, guards);
  return st;
}

function checkCoverLetter(file: string, out: string, force: boolean, guards: Guarded[]): void {
  const clash = guardedClash(file, guards);
  if (clash) throw new UsageError(`--cover-letter ${file} ${clash}: choose a new file`);
  if (isInside(realPath(file), realPath(out))) throw new UsageError(`--cover-letter ${file} is inside --out: leave --cover-letter out to have it there as 0000-cover-letter.patch`);
  const parent = parentProblem(file);
  if (parent) throw new UsageError(`--cover-letter ${file}: ${parent}`);
  let st;
  try {
    st = lstatSync(file);
  } catch {
    return;
  }
  if (!st.isFile()) throw new UsageError(`--cover-letter ${file} exists and is not a file memdesc wrote: choose a new file`);
  if (!provenFile(file, out)) throw new UsageError(`--cover-letter ${file} exists and memdesc did not write it (or it was changed since): choose a new file`);
  if (!force) throw new UsageError(`--cover-letter ${file} holds the cover letter of an earlier memdesc series: pass --force to replace it, or choose a new file`);
}

/** A failure after a partial rollback says what is left. */
function withLeftovers(e: unknown, left: string[]): unknown {
  if (left.length === 0) return e;
  const note = `; could not undo: ${left.join('; ')}`;
  if (e instanceof MemdescError) return new (e.constructor as new (m: string) => MemdescError)(`${e.message}${note}`);
  return new Error(`${(e as Error)?.message ?? String(e)}${note}`);
}

function secs(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

export function verdictText(v: CommitVerification): string {
  if (typeof v === 'string') return v;
  if ('kind' in v) return `${v.oracle}, run once: ${v.ok ? `identical (exit ${v.exitCode}, ${v.lines} line${v.lines === 1 ? '' : 's'})` : `DIFFERENT (${v.first})`}, ${secs(v.ms)}`;
  const ops = [...new Set(Object.values(v.ops))];
  const opsText = ops.length === 1 ? `${ops[0] ?? 'default'} ops` : 'verify ops';
  const what = `${v.workloads.length === 1 ? v.workloads[0] : `${v.workloads.length} workloads`} x ${v.seeds.length} seed${v.seeds.length === 1 ? '' : 's'} (${opsText})`;
  return `${what}: ${v.ok ? 'identical' : `DIFFERENT in ${v.mismatches} of ${v.pairs} (${v.first})`}, ${secs(v.ms)}${v.selection ? ` (ran ${v.selection.why})` : ''}`;
}

export async function buildSeries(opts: SeriesOptions): Promise<SeriesResult> {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const covered0 = { ...coveredWorkerStats };
  const parse0 = { ...sharedParseStats };
  const timings: Record<string, number> = {};
  const progress = opts.onProgress ?? (() => {});
  const out = resolve(opts.out);
  const kinds = selectKinds(opts.spec, opts.kinds, !!opts.all);
  if (!existsSync(opts.path)) throw new InputError(`${opts.path}: no such project directory`);
  const projectDir = statSync(opts.path).isDirectory() ? opts.path : dirname(opts.path);
  if (!existsSync(join(projectDir, 'tsconfig.json'))) throw new InputError(`${opts.path}: not a TypeScript project (no tsconfig.json)`);
  const branch = `memdesc/${opts.all ? 'all' : kinds.map((k) => k.name).join('-')}`;
  // Every check before anything is made: repository and branch, outputs, identity.
  const plan = inspectRepo(projectDir, {
    branch, force: !!opts.force,
    ...(opts.base !== undefined ? { base: opts.base } : {}),
    ...(opts.scratchAt !== undefined ? { scratchAt: opts.scratchAt } : {}),
  });
  const guards = guardedPaths(plan);
  if (plan.scratchAt !== undefined) {
    // Inside the project the copy would hold itself; elsewhere in its work tree (out/corpus of a
    // checkout) it is a new nested repository the user's git sees as one untracked folder.
    const clash = guardedClash(plan.scratchAt, guards.map((g) => (g.path === plan.project ? { ...g, whole: true } : g)));
    if (clash) throw new UsageError(`${plan.scratchAt} ${clash}: the scratch repository needs a new directory outside it`);
  }
  checkOut(out, opts.coverLetter, !!opts.force, guards);
  checkBranch(plan);
  const identity = opts.identity ?? resolveIdentity(projectDir, {
    ...(opts.author ? { author: opts.author } : {}), ...(opts.identityFallback ? { fallback: opts.identityFallback } : {}),
  });
  const signoff = opts.signoff ?? true;
  const undo = new Rollback();
  let result: SeriesResult;
  try {
    const repo = createRepo(plan, identity, signoff, undo, [out, ...(opts.coverLetter !== undefined ? [opts.coverLetter] : [])]);
    // The one-shot conversion, with all of convert's checks: the series must end exactly here.
    const one = runConvert({ path: repo.project, spec: opts.spec, kinds: opts.kinds, all: !!opts.all, retire: true });
    // The spec's own oracle when it names one, else the corpus simulation when the tree has it.
    // Started once the conversion is known to be good: the base's build and its runs go on in
    // child processes while the steps and stage 2 are planned here (the pool would sit idle until the first step otherwise).
    const hasSim = existsSync(join(repo.project, 'sim', 'main.ts'));
    const verifications = new Map<number, Promise<StepVerification | OracleStepVerification>>();
    const verifier = opts.spec.oracle
      ? new OracleSeriesVerifier(repo.project, opts.spec.oracle, { ...(opts.verify?.cacheDir ? { cacheDir: opts.verify.cacheDir } : {}) })
      : hasSim ? new SeriesVerifier(repo.project, opts.verify) : undefined;
    if (verifier) {
      undo.always('verifier builds', () => verifier.cleanup());
      await verifier.init();
    }
    // The one-shot's own program (the base as loaded) and its one analysis (the conversion's) serve every step.
    const { program, root } = one;
    const det = one.analysis;
    opts.onAnalysis?.(det.result, (one.timings.load ?? 0) + (one.timings.analyze ?? 0));
    const units = planUnits(det, kinds, one.plan.report);
    const retires = one.plan.report.retired.helpers.length + one.plan.report.retired.members.length > 0;
    const steps = seriesSteps(kinds, units, retires);
    // Stage 2 is planned on the one-shot result before the stage-1 trees, so the stage-1 tip
    // knows whether it is the series' tip; its passes give the event loop turns, in which the
    // base's runs started by the verifier above are handed their next batches.
    const wantStage2 = (opts.stage ?? (opts.all ? 2 : 1)) === 2;
    const stage2 = wantStage2
      ? await planStage2(repo.project, opts.spec, new Map(one.plan.changes.map((c) => [c.file.slice(root.length + 1), c.after] as const)), opts.all ? undefined : kinds.map((k) => k.name), { program: one.converted, root })
      : undefined;
    const stage2Steps = stage2?.steps ?? [];
    if (stage2 && !stage2.none) {
      progress(`series: stage 2: ${stage2Steps.length} patch${stage2Steps.length === 1 ? '' : 'es'} planned (${stage2Steps.map((s) => s.kind ?? s.role).join(', ') || 'none'})` +
        (stage2.blocked.length ? `; not separated: ${stage2.blocked.map((b) => `${b.kind} (${b.blockers} blocker${b.blockers === 1 ? '' : 's'})`).join(', ')}` : ''));
    }
    timings.plan = Math.round(performance.now() - t0);
    progress(`series: ${steps.length} steps planned (${[...units].map(([k, u]) => `${k} ${u.length}`).join(', ')} units) in ${secs(timings.plan)}`);

    const t1 = performance.now();
    const trees = await buildTrees(program, root, steps, {
      spec: opts.spec, oneShot: one.plan, analysis: det, oneShotChecked: true,
      onTree: async (t, i) => {
        if (verifier && !t.empty && t.typecheck.ok) {
          const p = verifier.verify(t.texts, i === steps.length - 1 && stage2Steps.length === 0);
          p.catch(() => {});
          verifications.set(i, p);
        }
        const what = `${t.step.role}${t.step.unit ? ` ${t.step.unit.names.join(', ')}` : t.step.kind ? ` ${t.step.kind}` : ''}`;
        await opts.onStep?.(i + 1, steps.length, what);
        progress(`  step ${i + 1}/${steps.length} ${what}: ` +
          (t.empty ? 'no change' : t.typecheck.ok ? `type-checks (${t.typecheck.files} file${t.typecheck.files === 1 ? '' : 's'} checked, ${secs(t.typecheck.ms)})` : `does not type-check (${t.typecheck.first})`));
        // Let the verifier's child processes be served while planning goes on.
        await new Promise<void>((r) => setImmediate(r));
      },
    });
    timings.steps = Math.round(performance.now() - t1);
    // The steps' own split (this process's CPU): planning each tree and type-checking it.
    timings.stepPlanCpu = Math.round(trees.reduce((n, t) => n + t.planCpuMs, 0));
    timings.typecheckCpu = Math.round(trees.reduce((n, t) => n + t.typecheck.cpuMs, 0));
    // The tip keeps its whole plan: when the last steps changed nothing (or did not type-check),
    // the last tree that can be committed is the tip, and was verified under the step plan only.
    const lastGood = lastCommittable(trees);
    if (verifier && stage2Steps.length === 0 && lastGood >= 0 && lastGood !== steps.length - 1) {
      const p = verifier.verify(trees[lastGood]!.texts, true);
      p.catch(() => {});
      verifications.set(lastGood, p);
    }
    // Stage 2's checks start now, beside the steps' runs still going (every step has made its
    // choice, in order, so stage 2's come after them), with its tip's whole plan and real
    // placement started at once (ahead): the cores do not wait for the steps' last runs first.
    const t3 = performance.now();
    // Checks started ahead run in a background Lane (stage2Verify.ts): they leave the steps' runs a
    // slot until every step is judged, and are cancelled when a stage-2 patch fails.
    const lanes = verifier instanceof SeriesVerifier ? lanesOf(verifier.pool) : undefined;
    // The stage-1 commits start while stage 2 is checked (below), and change the work tree: the
    // tip's layout checks, which build the base with a tree's texts, read a copy taken now.
    let layoutBase: string | undefined;
    const baseCopy = (): string => {
      if (layoutBase === undefined) {
        const copy = overlayTree({ dir: repo.project, label: 'base', copy: true }, true);
        undo.always(`base copy ${copy.dir}`, () => copy.cleanup());
        layoutBase = copy.dir;
      }
      return layoutBase!;
    };
    if (verifier instanceof SeriesVerifier && stage2Steps.length) baseCopy();
    const checking2: Promise<Stage2Checked<(typeof stage2Steps)[number], CommitVerification>> | undefined = verifier
      ? checkStage2<(typeof stage2Steps)[number], CommitVerification>(stage2Steps, {
        verify: async (texts, tip, signal) => {
          const v = await (lanes && verifier instanceof SeriesVerifier ? verifier.verify(texts, tip, lanes.of(signal)) : verifier.verify(texts, tip));
          return { value: v, ...(v.ok ? {} : { bad: verdictText(v) }) };
        },
        ...(verifier instanceof SeriesVerifier ? { layout: (texts: TreeTexts, signal?: AbortSignal) => tipLayoutChecks(baseCopy(), texts, opts.verify, lanes!.of(signal)) } : {}),
        ahead: true,
        onStepsJudged: () => lanes?.widen(),
      })
      : undefined;
    checking2?.catch(() => {});
    if (opts.onTrees) {
      const planned = groupCommits(trees, (t) => (t.typecheck.ok ? undefined : 'does not type-check')).groups.map((g) => g.trees[g.trees.length - 1]!.texts);
      opts.onTrees({ repo, trees: [...planned, ...stage2Steps.map((s) => s.texts)] });
    }
    // Commits: a step that does not type-check or verify waits for the next one that does.
    const kindMap = new Map(kindPlans(opts.spec).map((k) => [k.name, k] as const));
    // Subject prefixes from the project's own history: the user's repository up to the base (a scratch repository has none).
    const history = repo.scratch ? undefined : { repo: repo.repo, project: repo.prefix, rev: repo.base };
    const m: MessageContext = {
      kinds: kindMap, pageClass: opts.spec.page.class, pageFile: opts.spec.page.file, placement: (k) => k.placement,
      words: specWords(opts.spec), prefix: subjectPrefixer(opts.spec, root, history),
    };
    const commits: SeriesCommit[] = [];
    const label = (i: number): string => mergedSubject([trees[i]!], m, trees[i]!.changed);
    const subject2 = (s: (typeof stage2Steps)[number]): string => `${m.prefix(s.changed)}: ${stage2Subject(s, opts.spec, m.words.kernel, m.words.object)}`;
    // Base contents, read before the first commit changes the work tree.
    const base = new Map<string, string | undefined>();
    for (const t of trees) for (const f of t.texts.keys()) if (!base.has(f)) base.set(f, baseText(repo, f));
    for (const t of stage2Steps) for (const f of t.texts.keys()) if (!base.has(f)) base.set(f, baseText(repo, f));
    const results = new Map<number, StepVerification | OracleStepVerification>();
    const failure = (t: StepTree, i: number): string | undefined => {
      const v = results.get(i);
      return !t.typecheck.ok ? `does not type-check on its own (${t.typecheck.first})` : v && !v.ok ? `does not verify on its own (${verdictText(v)})` : undefined;
    };
    let committed: TreeTexts = new Map();
    let prevReport: ConvertReport | undefined;
    let commitMs = 0;
    const commitGroup = (g: CommitGroup): void => {
      const c0 = performance.now();
      const t = g.trees[g.trees.length - 1]!;
      const files = new Map<string, string | null>();
      for (const f of new Set([...t.texts.keys(), ...committed.keys()])) {
        const text = t.texts.get(f) ?? base.get(f) ?? null;
        if (text !== (committed.get(f) ?? base.get(f) ?? null)) files.set(f, text);
      }
      const verification: CommitVerification = results.get(g.indices[g.indices.length - 1]!) ?? NOT_VERIFIED;
      // Files whose diagnostics were computed for this tree (the rest carried over: src/ts/incremental.ts).
      const verdict = `type-check passed (${t.typecheck.files} file${t.typecheck.files === 1 ? '' : 's'} checked); ${verdictText(verification)}`;
      const changed = [...files.keys()].sort();
      const msg = commitMessage(g.trees, prevReport, m, changed, verdict, g.carried.map((c) => `${label(c.index)}: ${c.reason}`));
      const sha = commit(repo, files, msg);
      commits.push({ sha, subject: msg.split('\n')[0]!, files: changed, steps: g.trees.length, typecheck: { ok: true, files: t.typecheck.files, ms: Math.round(t.typecheck.ms) }, verification, stage: 1 });
      committed = new Map(t.texts);
      prevReport = t.report;
      commitMs += performance.now() - c0;
    };
    // A commit is made as soon as the verdicts up to it are known, while later steps (and stage 2)
    // still run: a group closes at a step that passes, and no later verdict changes it. The group
    // of the stage-1 tip waits: a stage 2 that fails whole has the tip verified again. Not with
    // the project's own oracle: each of its runs copies the project's work tree.
    const commitAhead = !(verifier instanceof OracleSeriesVerifier);
    const ahead: string[] = [];
    for (const [i, p] of verifications) {
      results.set(i, await p);
      const { groups } = groupCommits(trees.slice(0, i + 1), failure);
      for (let g = groups[ahead.length]; commitAhead && g && g.indices[g.indices.length - 1]! < lastGood; g = groups[ahead.length]) {
        commitGroup(g);
        ahead.push(g.indices.join());
      }
    }
    timings.verify = Math.round(performance.now() - t1);
    // Verification's own split (wall ms in this process, all steps): builds, manifests, bundle maps.
    if (verifier instanceof SeriesVerifier) {
      const st = verifier.stats;
      Object.assign(timings, { verifyBuild: Math.round(st.buildMs), verifyManifest: Math.round(st.manifestMs), verifyMap: Math.round(st.mapMs), manifestsRun: st.manifestsRun, manifestsDerived: st.manifestsDerived, runsAhead: st.runsAhead, runsAheadDropped: st.runsAheadDropped,
        stepRuns: Math.round(st.stepRunMs), stepRunSpan: Math.round(st.stepRunSpanMs), stepRunOverlap: Math.round(st.stepRunOverlapMs),
        // Covered batches in reused processes (coverageWorker.ts): processes started, batches, batches run again alone.
        coveredWorkers: coveredWorkerStats.workers - covered0.workers, coveredJobs: coveredWorkerStats.jobs - covered0.jobs, coveredPending: coveredWorkerStats.pending - covered0.pending });
    }

    // Stage 2 is verified before anything of it is committed (stage2Verify.ts checkStage2()): the first
    // stage-2 patch that does not verify stops stage 2, and the last one that did — or the stage-1
    // tip — is verified again as the series' tip (whole plan; real placement with stage-2 patches).
    const checked2: Stage2Checked<(typeof stage2Steps)[number], CommitVerification> = checking2
      ? await checking2
      : { kept: stage2Steps.map((step) => ({ step, verification: NOT_VERIFIED })), failed: [], skipped: [], stage1IsTip: false };
    if (verifier && checked2.stage1IsTip && lastGood >= 0) results.set(lastGood, await verifier.verify(trees[lastGood]!.texts, true));
    for (const f of checked2.failed) progress(`  stage 2: ${subject2(stage2Steps[f.index]!)}: does not verify (${f.reason})`);
    if (stage2Steps.length) timings.stage2 = Math.round(performance.now() - t3);
    const t2 = performance.now();
    const { groups, empty, leftover } = groupCommits(trees, failure);
    const problems: SeriesProblem[] = groups.flatMap((g) => g.carried).map((c) => ({ step: label(c.index), reason: c.reason }));
    for (const c of leftover) problems.push({ step: label(c.index), reason: `never committed: ${c.reason}, and no later step type-checks and verifies` });
    // The groups committed ahead are the first of these (a group depends only on the verdicts up to its end).
    for (const [gi, g] of ahead.entries()) if (groups[gi]?.indices.join() !== g) throw new Error(`internal: commit ${gi + 1}, made ahead, is not the series' group ${gi + 1}`);
    for (let gi = ahead.length; gi < groups.length; gi++) commitGroup(groups[gi]!);
    // After each commit, in order, once the count is known (the ones made ahead are reported now).
    for (const [gi, c] of commits.entries()) await opts.onCommit?.(gi + 1, groups.length + stage2Steps.length, c.sha);
    // Committing after the last verdict (the wall the commits still add), and in all (made ahead included).
    timings.commit = Math.round(performance.now() - t2);
    timings.commitWork = Math.round(commitMs);

    // Stage 2, on the stage-1 tip: the verified prefix checkStage2() kept, the tip in its real
    // placement. The patch that did not verify and the ones built on it are recorded, never committed.
    let full = new Map(one.plan.changes.map((c) => [c.file.slice(root.length + 1), c.after] as const));
    const stopped = checked2.failed[0];
    const stage2Failed = stopped !== undefined;
    const stage2Problems = [...(stage2?.problems ?? [])];
    for (const f of [...checked2.failed].sort((a, b) => a.index - b.index)) {
      stage2Problems.push({ what: subject2(stage2Steps[f.index]!), reason: `never committed: does not verify (${f.reason})` });
    }
    for (const i of checked2.skipped) stage2Problems.push({ what: subject2(stage2Steps[i]!), reason: `never committed: not tried, it builds on ${subject2(stage2Steps[stopped!.index]!)}` });
    const separated: string[] = [];
    let shrunkTo: number | undefined;
    for (const [si, { step: s, verification, layoutChecks, retipped }] of checked2.kept.entries()) {
      const subject = subject2(s);
      progress(`  stage 2 ${si + 1}/${stage2Steps.length} ${subject}: type-checks (${s.typecheck.files} files, ${secs(s.typecheck.ms)}), ${typeof verification === 'string' ? verification : 'verified'}`);
      const files = new Map<string, string | null>();
      for (const f of new Set([...s.texts.keys(), ...committed.keys()])) {
        const text = s.texts.get(f) ?? base.get(f) ?? null;
        if (text !== (committed.get(f) ?? base.get(f) ?? null)) files.set(f, text);
      }
      const changed = [...files.keys()].sort();
      const verdicts = [`type-check passed (${s.typecheck.files} files checked)`, verdictText(verification), ...(layoutChecks ? [layoutChecksText(layoutChecks)] : []),
        ...(retipped && stopped ? [`checked again as the series' tip (${subject2(stage2Steps[stopped.index]!)} did not verify)`] : [])];
      const msg = `${subject}\n\n${wrapText(stage2Body(s, opts.spec, m.words.object)).join('\n')}\n\nChecked by memdesc series:\n${verdicts.map((v) => `  ${v}`).join('\n')}\n`;
      const sha = commit(repo, files, msg);
      commits.push({ sha, subject, files: changed, steps: 1, typecheck: { ok: true, files: s.typecheck.files, ms: Math.round(s.typecheck.ms) }, verification, ...(layoutChecks ? { layoutChecks } : {}), stage: 2 });
      committed = new Map(s.texts);
      full = new Map(s.texts);
      if (s.kind) separated.push(s.kind);
      if (s.shrink) shrunkTo = s.shrink.newSize;
      await opts.onCommit?.(groups.length + si + 1, groups.length + stage2Steps.length, sha);
    }
    const complete = leftover.length === 0 && !stage2Failed;
    const tipEqualsOneShot = complete && sameTree(repo, full);
    const title = seriesTitle(kinds.map((k) => k.name), m, !!opts.all);
    // The cover letter lists what was committed (a stage-2 patch that did not verify ends stage 2).
    const stage2Text = stage2 && !stage2.none ? blockedLines({ ...stage2, problems: stage2Problems }, stage2Done(checked2.kept.map((k) => k.step)), m.words.object) : [];
    const patches = writePatches(repo, out, title, blurb(title, seriesMethod(m), commits, problems, empty.length, performance.now() - t0, stage2Text), undo, progress, opts.coverLetter);
    markOwned(repo);
    timings.total = Math.round(performance.now() - t0);
    // This process's CPU (the simulation runs and esbuild are other processes): what the cores were left with.
    const cpu = process.cpuUsage(cpu0);
    timings.cpu = Math.round((cpu.user + cpu.system) / 1000);
    // New texts parsed for planning and overlays, and parses one of them reused (src/ts/sharedParse.ts).
    timings.textsParsed = sharedParseStats.parsed - parse0.parsed;
    timings.parsesShared = sharedParseStats.shared - parse0.shared;
    result = {
      repo: repo.repo, branch, base: repo.base, scratch: repo.scratch, identity, signoff, commits, patches, out, title, empty: empty.map(label), problems, tipEqualsOneShot, complete, timings,
      ...(stage2 ? {
        stage2: {
          separated, ...(shrunkTo !== undefined ? { shrunkTo } : {}), blocked: stage2.blocked, problems: stage2Problems, ...(stage2.none ? { none: stage2.none } : {}),
          ...(stopped ? { failed: { patch: subject2(stage2Steps[stopped.index]!), reason: stopped.reason, message: stage2StopText(subject2(stage2Steps[stopped.index]!), stopped.reason, checked2.kept.length) } } : {}),
        },
      } : {}),
    };
  } catch (e) {
    throw withLeftovers(e, undo.finish(true));
  }
  undo.finish(false);
  return result;
}

/** The branch head against the one-shot texts: the same files changed, with the same content. */
function sameTree(repo: SeriesRepo, full: Map<string, string>): boolean {
  const changed = changedFiles(repo);
  const want = [...full.keys()].sort();
  if (changed.join('\n') !== want.join('\n')) return false;
  // The tree keeps each file's byte order mark; the text computed has none (TypeScript's reading).
  const text = (t: string): string => t.replace(/^\uFEFF/, '');
  return want.every((f) => text(readFileSync(join(repo.project, ...f.split('/')), 'utf8')) === text(full.get(f)!));
}

function wrapText(text: string, width = 72): string[] {
  const out: string[] = [];
  let line = '';
  for (const w of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + w.length > width) { out.push(line); line = w; } else line = line ? `${line} ${w}` : w;
  }
  if (line) out.push(line);
  return out;
}

/** What the cover letter claims about verification: only what ran. */
function verificationClaim(commits: SeriesCommit[]): string {
  const vs = commits.map((c) => c.verification);
  const ran = vs.filter((v) => typeof v !== 'string');
  const oracle = ran.find((v): v is OracleStepVerification => 'kind' in v);
  const how = oracle ? `with the project's own oracle (${oracle.oracle}, run once in each tree)` : 'with the simulation';
  if (ran.length === 0) return 'Every patch type-checks; none was verified (no oracle: the project has no corpus simulation and the spec names no "oracle").';
  if (ran.length === vs.length) return `Every patch type-checks and was run against the base ${how}.`;
  return `Every patch type-checks; ${ran.length} of ${vs.length} were run against the base ${how} (the table says which).`;
}

function blurb(title: string, method: string, commits: SeriesCommit[], problems: SeriesProblem[], empty: number, elapsedMs: number, stage2: string[] = []): string {
  const lines: string[] = [];
  const two = commits.filter((c) => c.stage === 2).length;
  const end = two === 0 ? 'The last one leaves the tree exactly as a one-shot `memdesc convert --write` does.'
    : `The last stage-1 patch leaves the tree exactly as a one-shot \`memdesc convert --write\` does; the ${two} stage-2 patch${two === 1 ? '' : 'es'} after it give descriptors whose audit is clean their own storage (\`memdesc separate\`) and shrink the page (\`memdesc shrink\`), in the plan's order; the tip also ran in its real placement, checked.`;
  lines.push(...wrapText(`${title}, one reviewable step at a time. ${method} ${verificationClaim(commits)} ${end}`));
  lines.push('');
  lines.push('Verification (each patch against the base):');
  lines.push('');
  const oracleRun = commits.some((c) => typeof c.verification !== 'string' && 'kind' in c.verification);
  // Coverage chose the runs of some patch: say for each what ran and why.
  const selected = commits.some((c) => typeof c.verification !== 'string' && 'selection' in c.verification && c.verification.selection);
  const rows = commits.map((c, i) => {
    const v = c.verification;
    const what = typeof v === 'string' ? v : 'kind' in v ? v.oracle : `${v.workloads.length === 1 ? v.workloads[0] : `${v.workloads.length} workloads`} x ${v.seeds.length}`;
    const res = typeof v === 'string' ? '-' : v.ok ? 'identical' : 'DIFFERENT';
    const time = typeof v === 'string' ? '-' : secs(v.ms);
    const row = [String(i + 1).padStart(3, '0'), `passed (${c.typecheck.files})`, what, res, time];
    return selected ? [...row, typeof v === 'string' || 'kind' in v ? '-' : ranAndWhy(v, i === commits.length - 1)] : row;
  });
  const head = ['#', 'type-check (files)', oracleRun ? 'oracle' : 'workloads x seeds', 'result', 'time', ...(selected ? ['what ran and why'] : [])];
  const widths = head.map((h, j) => Math.max(h.length, ...rows.map((r) => r[j]!.length)));
  const fmt = (r: string[]): string => `  ${r.map((c, j) => c.padEnd(widths[j]!)).join('  ')}`.trimEnd();
  lines.push(fmt(head));
  lines.push(fmt(widths.map((w) => '-'.repeat(w))));
  for (const r of rows) lines.push(fmt(r));
  if (problems.length) {
    lines.push('');
    lines.push('Steps that could not stand on their own (carried by the next patch):');
    for (const p of problems) lines.push(`  ${p.step}: ${p.reason}`);
  }
  if (empty) lines.push('', `${empty} planned step${empty === 1 ? '' : 's'} changed nothing (done by an earlier patch).`);
  const tip = commits[commits.length - 1]?.layoutChecks;
  if (tip) lines.push('', `The tip in its real placement: ${layoutChecksText(tip)}.`);
  if (stage2.length) lines.push('', ...stage2);
  lines.push('', `Built by memdesc series in ${secs(elapsedMs)}.`);
  return lines.join('\n');
}

/**
 * format-patch into a temp folder beside `out`, fill the cover letter, list every file in the
 * folder's marker (the cover letter too, when it goes elsewhere), then put the folder in place:
 * it replaces only an earlier series' output that is still exactly what memdesc wrote.
 */
function writePatches(repo: SeriesRepo, out: string, title: string, about: string, undo: Rollback, progress: (line: string) => void, coverLetter?: string): string[] {
  makeDirs(dirname(out), undo);
  const tmp = mkdtempSync(join(dirname(out), `.${basename(out)}.tmp-`));
  undo.always(`temporary folder ${tmp}`, () => rmSync(tmp, { recursive: true, force: true }));
  const cover = coverLetter !== undefined ? resolve(coverLetter) : undefined;
  const coverTmp = cover !== undefined ? `${cover}.${process.pid}.tmp` : undefined;
  if (coverTmp !== undefined) undo.always(`temporary file ${coverTmp}`, () => rmSync(coverTmp, { force: true }));
  const names = formatPatches(repo, tmp);
  const known: Record<string, string> = {};
  const first = names.find((n) => n.startsWith('0000-'));
  if (first) {
    const p = join(tmp, first);
    const text = readFileSync(p, 'utf8')
      .replace('*** SUBJECT HERE ***', title)
      .replace('*** BLURB HERE ***', about);
    writeFileSync(p, text);
    if (coverTmp !== undefined) {
      makeDirs(dirname(cover!), undo);
      renameSync(p, coverTmp);
      known[relative(out, cover!).split(sep).join('/')] = fileHash(coverTmp)!;
    } else if (first !== '0000-cover-letter.patch') renameSync(p, join(tmp, '0000-cover-letter.patch'));
  }
  const files = readdirSync(tmp).filter((f) => f.endsWith('.patch'));
  writeMarker(tmp, 'series', files, known);
  // Checked again now: minutes have passed since the checks before the work.
  const refuse = (what: string) => (why: string) => new UsageError(`${what} ${why}: nothing was replaced; the branch is not kept`);
  if (cover !== undefined && existsSync(cover) && !provenFile(cover, out)) throw refuse(`--cover-letter ${cover}`)('was written by someone else during the run');
  const kept = replaceOut(tmp, out, 'series', refuse(`--out ${out}`));
  if (kept) progress(`note: files added to the earlier output of ${out} during the run are kept in ${kept}`);
  if (coverTmp !== undefined && existsSync(coverTmp)) renameSync(coverTmp, cover!);
  const written = readdirSync(out).filter((f) => f.endsWith('.patch')).sort().map((f) => join(out, f));
  return cover !== undefined && existsSync(cover) ? [cover, ...written] : written;
}
