/**
 * The whole pipeline on a corpus tree (what `memdesc start` and `npm start` run), as a library:
 *  1. analyze: find and classify every raw struct page access (the series' own analysis of the
 *     base, made once for the conversion and every step: the corpus is not analyzed twice);
 *  2. series: the conversion of every kind as a patch series, each patch type-checked and
 *     verified against the base, in a scratch repository `out/corpus` (base commit + branch
 *     memdesc/all; the corpus is never written), patches in `out/series`, cover letter beside;
 *     With the built-in spec it goes on into stage 2 (separate every kind whose audit is clean,
 *     then shrink), each patch verified too;
 *  3. track: every commit of that series measured, the cover letter's patches judged at the tip,
 *     and the HTML report `out/report.html`;
 *  4. metadata: struct page, memmap and descriptors at the end of a `mixed` run, base vs tip.
 * Returns every phase's result, timings and a status; never prints. Progress goes through the
 * callbacks. `out`'s four outputs are replaced only when memdesc can prove start made them
 * (out.ts); anything else is refused before any work, and nothing else in `out` is touched.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from '../errors.ts';
import type { AnalysisResult } from '../model/findings.ts';
import type { SeriesPlan, TrackReport } from '../model/progress.ts';
import type { Spec } from '../model/spec.ts';
import type { Person, SeriesIdentity } from '../series/identity.ts';
import type { SeriesResult } from '../series/series.ts';
import type { SeriesVerifyOptions } from '../series/verifySteps.ts';
import { BUNDLED_CORPUS } from '../paths.ts';
import { specWords } from '../model/words.ts';
import { isLink, prepareOut, START_FILES, type StartPaths } from './out.ts';
import type { MetadataRow } from './metadata.ts';

import { BRANCH, DEMO_IDENTITY } from './names.ts';

// Declared in names.ts, which `memdesc start --help` loads without the pipeline.
export { BRANCH, DEMO_IDENTITY };

export interface PipelineOptions {
  /** The corpus tree (read, never written; default: the bundled corpus). */
  corpus?: string;
  /** Where the results go (absolute or relative to the current directory). */
  out: string;
  spec?: Spec;
  /** Each patch's and the tip's verification (series defaults when left out). */
  verify?: SeriesVerifyOptions;
  /** 2 (default): the series goes on into stage 2; 1: it stops after the conversion. */
  stage?: 1 | 2;
  /** RAM sizes of the metadata table (default 64M and 1G); empty: no table. */
  metadataRams?: string[];
  /** Author and committer (default: the git identity at the corpus, else DEMO_IDENTITY). */
  author?: Person;
  /** Signed-off-by: trailer on every patch (default true). */
  signoff?: boolean;
  /** Once every check has passed, before any work (e.g. to say who the patches are by). */
  onStart?: (info: PipelineStart) => void;
  /** After each phase, with its result and time. */
  onPhase?: (event: PipelinePhase) => void;
  /** Series: after each planned step (awaited). */
  onSeriesStep?: (done: number, total: number, step: string) => void | Promise<void>;
  /** Series: after each commit (awaited). */
  onSeriesCommit?: (done: number, total: number, sha: string) => void | Promise<void>;
  /** Track: after each commit measured. */
  onTrackCommit?: (done: number, total: number, commit: { subject: string }) => void;
  /**
   * Runs the series phase (the one that creates a repository and branches): the CLI passes its
   * interrupt handler, which undoes the series' work on SIGINT/SIGTERM before exiting.
   */
  guardSeries?: <T>(run: () => Promise<T>) => Promise<T>;
}

export interface PipelineStart {
  corpus: string;
  out: string;
  paths: StartPaths;
  identity: SeriesIdentity;
  spec: Spec;
}

export type PipelinePhase =
  | { phase: 'analyze'; ms: number; analysis: AnalysisResult }
  | { phase: 'series'; ms: number; series: SeriesResult }
  | { phase: 'track'; ms: number; report: TrackReport; coverPlan: SeriesPlan }
  | { phase: 'metadata'; ms: number; rows: MetadataRow[] };

export interface PipelineResult {
  corpus: string;
  out: string;
  paths: StartPaths;
  branch: string;
  identity: SeriesIdentity;
  spec: Spec;
  analysis: AnalysisResult;
  series: SeriesResult;
  /** The track report of the series (base + every patch), its `plan` judged at the tip. */
  report: TrackReport;
  /** The cover letter read back as a plan. */
  coverPlan: SeriesPlan;
  /** Base vs tip at the end of a `mixed` run, per RAM size (simulate --report metadata). */
  metadata: MetadataRow[];
  timings: { analyzeMs: number; seriesMs: number; trackMs: number; metadataMs: number; totalMs: number };
  /** CPU per phase (the analysis is the series' first part: counted there) and in all. */
  cpu: { series: CpuTimes; track: CpuTimes; metadata: CpuTimes; total: CpuTimes };
  /** ok; incomplete: the series stops short; different: a patch does not verify. */
  status: 'ok' | 'incomplete' | 'different';
  /** With a status other than ok: the one-line reason (what the CLI exits 1 with). */
  failure?: string;
}

/**
 * CPU milliseconds so far: this process's, and its child processes' (simulations, git, esbuild):
 * those that have ended and, where /proc lists them, those still running (the verifier's warm
 * workers live until the series ends: counted by their exit alone, a phase's runs would show up
 * in whichever phase ended them).
 */
export interface CpuTimes {
  selfMs: number;
  /** From /proc (cutime + cstime, and the CPU of the live descendants); undefined where there is none. */
  childrenMs?: number;
}

/** utime + stime (own) and cutime + cstime (ended children) of a /proc/PID/stat, in ticks. */
function statTicks(pid: string): { own: number; ended: number } | undefined {
  // After the command name (which may hold spaces): state is field 3, utime..cstime 14 to 17, in USER_HZ (100 on Linux).
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const [own, ended] = [Number(f[11]) + Number(f[12]), Number(f[13]) + Number(f[14])];
  return Number.isFinite(own) && Number.isFinite(ended) ? { own, ended } : undefined;
}

/** The ticks of `pid`'s live descendants (their own and their ended children's); 0 where /proc does not list children. */
function liveChildTicks(pid: string, depth = 0): number {
  let sum = 0;
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return 0;
  }
  for (const tid of tasks) {
    let kids: string[];
    try {
      kids = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ').filter(Boolean);
    } catch {
      continue;
    }
    for (const k of kids) {
      try {
        const t = statTicks(k);
        if (t) sum += t.own + t.ended + (depth < 8 ? liveChildTicks(k, depth + 1) : 0);
      } catch {
        // ended meanwhile: its parent's cutime has it (or will: counted at the next reading)
      }
    }
  }
  return sum;
}

export function cpuTimes(): CpuTimes {
  const c = process.cpuUsage();
  const selfMs = (c.user + c.system) / 1000;
  try {
    const t = statTicks('self');
    return t ? { selfMs, childrenMs: (t.ended + liveChildTicks('self')) * 10 } : { selfMs };
  } catch {
    return { selfMs };
  }
}

/** CPU spent between two readings. */
function cpuSince(a: CpuTimes, b: CpuTimes): CpuTimes {
  return { selfMs: b.selfMs - a.selfMs, ...(a.childrenMs !== undefined && b.childrenMs !== undefined ? { childrenMs: b.childrenMs - a.childrenMs } : {}) };
}

/** A copy of `corpus` holding `texts` (its changes, project-relative) in a new temporary folder (the copy is its `corpus` child). */
function plannedTipCopy(corpus: string, texts: Map<string, string>): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'memdesc-start-tip-')), 'corpus');
  cpSync(corpus, dir, { recursive: true });
  for (const [f, t] of texts) {
    const p = join(dir, ...f.split('/'));
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, t);
  }
  return dir;
}

/** A corpus tree: a folder with a tsconfig and the simulation the series verifies with. */
export function resolveCorpus(path: string): string {
  const abs = resolve(path);
  if (!existsSync(abs) || !statSync(abs).isDirectory()) throw new UsageError(`${path}: no such folder`);
  if (!existsSync(join(abs, 'tsconfig.json')) || !existsSync(join(abs, 'sim', 'main.ts'))) {
    throw new UsageError(`${path} is not a corpus tree (start needs tsconfig.json and sim/main.ts; for another project use analyze, convert and series)`);
  }
  return abs;
}

export async function runPipeline(opts: PipelineOptions): Promise<PipelineResult> {
  const corpus = resolveCorpus(opts.corpus ?? BUNDLED_CORPUS);
  const out = resolve(opts.out);
  const [{ resolveIdentity }, { projectGuards }, { builtinSpec }] = await Promise.all([
    import('../series/identity.ts'), import('../series/git.ts'), import('../model/builtin.ts'),
  ]);
  const identity = resolveIdentity(corpus, { ...(opts.author ? { author: opts.author } : {}), fallback: DEMO_IDENTITY });
  // The corpus is never written: `out` may not be inside it either.
  const paths = await prepareOut(out, projectGuards(corpus).map((g) => (g.path === corpus ? { ...g, whole: true } : g)));
  const spec = opts.spec ?? builtinSpec();
  opts.onStart?.({ corpus, out, paths, identity, spec });
  const t0 = performance.now();
  const c0 = cpuTimes();
  // The metadata table's base runs need nothing from the series: they start now, on the core the
  // series' planning leaves idle, and the tip's overlap track.
  const { startMetadata } = await import('./metadata.ts');
  const rams = opts.metadataRams ?? ['64M', '1G'];
  const metadataRuns = rams.length ? startMetadata(corpus, { rams, background: true, ...(opts.verify?.cacheDir ? { cacheDir: opts.verify.cacheDir } : {}) }) : undefined;
  // The series begins with seconds of this thread's own work (the scratch repository, the
  // one-shot conversion) that never yields: the runs' build and start would wait for all of it,
  // and the other core with them. They are running before it begins (their build is the base's,
  // which the verifier then finds in the build cache).
  await metadataRuns?.started;

  // The analysis is the series' own: the base's, which the one-shot conversion and every step
  // plan with (the scratch repository holds the corpus as it is), reported when it is made instead
  // of analyzing the corpus once more before the series.
  const { buildSeries } = await import('../series/series.ts');
  const guard = opts.guardSeries ?? (<T>(run: () => Promise<T>) => run());
  let analysis: AnalysisResult | undefined;
  let analyzeMs = 0;
  // Track warmed up on the planned trees while the series waits for its runs (warmTrack.ts).
  const { warmTrack, treeOf } = await import('./warmTrack.ts');
  let warm: ReturnType<typeof warmTrack> | undefined;
  let earlyTipDir: string | undefined;
  let earlyMetadata: Promise<MetadataRow[]> | undefined;
  try {
    const series = await guard(() => buildSeries({
      path: corpus, spec, kinds: [], all: true, stage: opts.stage ?? 2, out: paths.series, coverLetter: paths.cover, force: true, scratchAt: paths.repo,
      ...(opts.verify ? { verify: opts.verify } : {}),
      identity, signoff: opts.signoff !== false,
      onAnalysis: (a, ms) => {
        analysis = a;
        analyzeMs = ms;
        opts.onPhase?.({ phase: 'analyze', ms, analysis: a });
      },
      onTrees: ({ repo, trees }) => {
        warm = warmTrack(spec, repo, trees);
        // The metadata table's tip runs start now too, on a copy holding the planned tip: used
        // when the branch ends at exactly that tree (every patch verified), else run on the tip.
        const tip = trees.at(-1);
        if (metadataRuns && tip) {
          earlyTipDir = plannedTipCopy(corpus, tip);
          earlyMetadata = metadataRuns.compare(earlyTipDir);
          earlyMetadata.catch(() => {});
        }
      },
      ...(opts.onSeriesStep ? { onStep: opts.onSeriesStep } : {}),
      ...(opts.onSeriesCommit ? { onCommit: opts.onSeriesCommit } : {}),
    }));
    if (!analysis) throw new Error('the series made no analysis of the base');
    // The series' time is its own: the analysis it made first is the analyze phase's.
    const t1 = t0 + analyzeMs;
    const t2 = performance.now();
    const c2 = cpuTimes();
    opts.onPhase?.({ phase: 'series', ms: t2 - t1, series });
    // The tip is the scratch repository's work tree (the series leaves it at the branch head).
    // Equal trees run alike (the simulation is deterministic): the early runs stand for the tip's.
    const plannedTip = earlyMetadata ? await (warm as ReturnType<typeof warmTrack> | undefined)?.plannedTip : undefined;
    const sameTip = plannedTip !== undefined && plannedTip === treeOf(paths.repo, `refs/heads/${BRANCH}`);
    const metadataRows = sameTip ? earlyMetadata : metadataRuns?.compare(paths.repo);
    metadataRows?.catch(() => {});

    const [{ trackHistory }, { readPlanFile }, { planProgress }, { renderTrackHtml }, { provenFile, writeMarker }, { writeAtomic }] = await Promise.all([
      import('../track/track.ts'), import('../track/planImport.ts'), import('../track/planStatus.ts'), import('../track/html.ts'),
      import('../series/ownedOut.ts'), import('../commands/write-atomic.ts'),
    ]);
    // The warm-up's cache (its trees measured) when there was one, else memory only.
    const warmed = warm as ReturnType<typeof warmTrack> | undefined;
    await warmed?.done;
    const tr = await trackHistory({
      spec, repo: paths.repo, range: BRANCH, cacheDir: warmed ? warmed.cacheDir : false,
      ...(opts.onTrackCommit ? { onProgress: opts.onTrackCommit } : {}),
    });
    const report = tr.report;
    const coverPlan = readPlanFile(paths.cover);
    report.plan = planProgress(coverPlan, tr.newestFacts(), spec);
    // Checked again: the report is replaced only if it is still the one start wrote.
    if ((existsSync(paths.html) || isLink(paths.html)) && !provenFile(paths.html)) {
      throw new UsageError(`${paths.html} was written by someone else during the run: it is left as it is`);
    }
    writeAtomic(paths.html, renderTrackHtml(report, { object: specWords(spec).object }), 'the HTML report');
    writeMarker(out, 'start', START_FILES.filter((f) => existsSync(join(out, f))));
    const t3 = performance.now();
    const c3 = cpuTimes();
    opts.onPhase?.({ phase: 'track', ms: t3 - t2, report, coverPlan });

    // Started after the series, run beside track: what it adds is the wait beyond track.
    const metadata = (await metadataRows) ?? [];
    const t4 = performance.now();
    const c4 = cpuTimes();
    if (metadata.length) opts.onPhase?.({ phase: 'metadata', ms: t4 - t3, rows: metadata });

    const bad = series.commits.find((c) => typeof c.verification !== 'string' && !c.verification.ok);
    const status: PipelineResult['status'] = !series.complete ? 'incomplete' : bad ? 'different' : 'ok';
    const failure = status === 'incomplete' ? series.stage2?.failed?.message ?? 'the series stops short: a step up to the one-shot result does not type-check or verify'
      : bad ? `${bad.subject}: does not verify` : undefined;
    return {
      corpus, out, paths, branch: BRANCH, identity, spec, analysis, series, report, coverPlan, metadata,
      timings: { analyzeMs: t1 - t0, seriesMs: t2 - t1, trackMs: t3 - t2, metadataMs: t4 - t3, totalMs: t4 - t0 },
      cpu: { series: cpuSince(c0, c2), track: cpuSince(c2, c3), metadata: cpuSince(c3, c4), total: cpuSince(c0, c4) },
      status, ...(failure ? { failure } : {}),
    };
  } finally {
    // A warm-up still going (the series failed) is stopped and waited for: nothing runs on after the pipeline returns.
    const w = warm as ReturnType<typeof warmTrack> | undefined;
    if (w) {
      w.stop();
      await w.done;
      w.dispose();
    }
    if (earlyMetadata) await earlyMetadata.catch(() => {});
    if (earlyTipDir) rmSync(dirname(earlyTipDir), { recursive: true, force: true });
  }
}
