/**
 * Function-entry coverage of simulation runs: one workload's batch of seeds (a series step's
 * seeds, in order) runs in its own process with a small hook loaded first (`node --import`) that starts V8's precise coverage in its binary,
 * per-function mode (what NODE_V8_COVERAGE records, without its per-block counters, which cost
 * the run about a fifth more CPU) and writes the bundle's functions at exit; the functions
 * entered are mapped onto the bundle's functions (coverageMap.ts). The base's
 * coverage is cached per bundle content and run settings in the user's cache
 * (`userCacheDir('coverage')`), so a series records it once.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { userCacheDir } from '../paths.ts';
import { prune } from './runCache.ts';
import { executedFunctions, type BundleMap, type V8Function } from './coverageMap.ts';
import { DEFAULT_TIMEOUT_MS, formatSeeds, type RunOutcome, type SeedResult } from './run.ts';
import { simNodeFlags } from './simWorker.ts';
import { acquireWorker, releaseWorker, type JobEnd } from './coverageWorker.ts';
import { contentNamedScript } from './scriptFile.ts';

/** Bumped when function identities or the recording change, so old cache entries are not reused. */
const COVERAGE_FORMAT = 'memdesc-coverage/4';

/** What one pair runs with (the series' step plan, for one workload). */
export interface PairSettings {
  workload: string;
  seed: number;
  ops?: number;
  ram?: string;
  tracepoints?: boolean;
  timeoutMs?: number;
  /** `--placement` and `--check`, for trees whose manifest offers them (verify.ts layoutArgs). */
  placement?: string;
  check?: boolean;
}

export interface CoveredRun {
  outcome: RunOutcome;
  /** Identities of the functions the run entered; undefined when the run left no coverage (killed, crashed early). */
  executed?: Set<string>;
}

function simArgs(p: BatchSettings): string[] {
  const a = ['--workload', p.workload, '--seeds', formatSeeds(p.seeds), '--json'];
  if (p.ram !== undefined) a.push('--ram', p.ram);
  if (p.ops !== undefined) a.push('--ops', String(p.ops));
  if (p.tracepoints === false) a.push('--no-tracepoints');
  if (p.placement !== undefined) a.push('--placement', p.placement);
  if (p.check) a.push('--check');
  return a;
}

/** What a crashed process said: the error line and a little of its stack. */
function crashText(stderr: string): string {
  const lines = stderr.trimEnd().split('\n');
  const i = lines.findIndex((l) => /^\w*(Error|Bug|Exception)\b/.test(l.trim()) || /^Uncaught/.test(l));
  return (i >= 0 ? lines.slice(i, i + 8) : lines.slice(-12)).join('\n');
}

/**
 * The hook: precise coverage from the first line of the run (before the bundle loads), taken at
 * exit, the bundle's entry alone written to $MEMDESC_COVERAGE_OUT. Without an inspector it
 * writes nothing, and the run counts as one without coverage.
 */
const HOOK = `import { writeFileSync } from 'node:fs';
const out = process.env.MEMDESC_COVERAGE_OUT;
const url = process.env.MEMDESC_COVERAGE_URL;
try {
  const { Session } = await import('node:inspector');
  const s = new Session();
  s.connect();
  s.post('Profiler.enable');
  s.post('Profiler.startPreciseCoverage', { callCount: false, detailed: false });
  process.on('exit', () => {
    s.post('Profiler.takePreciseCoverage', (err, r) => {
      const mine = err ? undefined : r.result.find((x) => x.url === url);
      if (mine && out) writeFileSync(out, JSON.stringify(mine.functions));
    });
  });
} catch {}
`;

/** The hook's file (content-named, written once). */
function hookFile(): string {
  return contentNamedScript('hook', HOOK);
}

/** The bundle's functions as the hook wrote them. */
function readCoverage(file: string): V8Function[] | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as V8Function[];
  } catch {
    return undefined;
  }
}

/** Run one workload x seed of a built tree in its own process, recording which functions it entered. */
export async function runCovered(bundle: string, map: BundleMap, p: PairSettings): Promise<CoveredRun> {
  const { seed, ...rest } = p;
  const b = await runCoveredBatch(bundle, map, { ...rest, seeds: [seed] });
  return { outcome: b.outcomes[0]!, ...(b.executed ? { executed: b.executed } : {}) };
}

/** One workload's seeds run in one process, in order (a series step's runs of a workload). */
export interface BatchSettings extends Omit<PairSettings, 'seed'> {
  seeds: number[];
}

export interface CoveredBatch {
  /** One per seed, in order. */
  outcomes: RunOutcome[];
  /**
   * The functions the process entered, all seeds together (each seed's run may depend on what
   * the seeds before it left behind, so each seed's coverage is the whole process's);
   * undefined when the process left no coverage (killed, crashed early).
   */
  executed?: Set<string>;
}

/**
 * Run a batch of seeds of one workload in one process, recording which functions it entered. A
 * seed that runs longer than the timeout kills the process; a seed the process did not finish
 * (it crashed or was killed before) is a crash, a timeout or not run, as in runBatch. The batch
 * runs in a reused covered worker (coverageWorker.ts: a fresh module instance of the bundle, as
 * in a new process), or in a process of its own when the worker says the batch left work a
 * process would still have done before it ended.
 */
export async function runCoveredBatch(bundle: string, map: BundleMap, p: BatchSettings, signal?: AbortSignal): Promise<CoveredBatch> {
  const r = await runCoveredBatchInWorker(bundle, map, p, signal);
  return r === 'pending' ? runCoveredBatchFresh(bundle, map, p, signal) : r;
}

/** The outcomes of a batch from the seed lines it printed and how its process (or job) ended. */
function batchOutcomes(p: BatchSettings, results: SeedResult[], code: number | null, timedOut: boolean, stderr: string, ms: number, timeout: number): RunOutcome[] {
  const outcomes: RunOutcome[] = [];
  const per = ms / Math.max(1, results.length + (results.length < p.seeds.length ? 1 : 0));
  let failedAt: number | undefined;
  for (const [i, seed] of p.seeds.entries()) {
    const r = results[i];
    if (failedAt === undefined && r && r.seed === seed) {
      outcomes.push({ seed, status: r.bug ? 'bug' : 'ok', result: r, ms: per });
    } else if (failedAt !== undefined) {
      outcomes.push({ seed, status: 'not-run', detail: `not run: seed ${failedAt} of this batch did not finish`, ms: 0 });
    } else {
      failedAt = seed;
      if (timedOut) outcomes.push({ seed, status: 'timeout', detail: `killed after ${(timeout / 1000).toFixed(1)} s without finishing`, exitCode: null, ms: per });
      else outcomes.push({ seed, status: code === 2 ? 'error' : 'crash', detail: (code === 2 ? stderr.trimEnd().split('\n').pop() : crashText(stderr)) || `exit code ${code}`, exitCode: code, ms: per });
    }
  }
  return outcomes;
}

/** Seed lines as a batch prints them: each finished seed restarts the per-seed timer. */
function seedLines(onSeed: () => void): { results: SeedResult[]; line(l: string): boolean } {
  const results: SeedResult[] = [];
  return {
    results,
    line(l: string): boolean {
      if (!l.startsWith('{')) return false;
      try {
        results.push(JSON.parse(l) as SeedResult);
      } catch {
        return false;
      }
      onSeed();
      return true;
    },
  };
}

/** How a job in a covered worker ended, what it wrote to stderr and the coverage it left. */
interface WorkerRun {
  end: JobEnd;
  stderr: string;
  timedOut: boolean;
  v8?: V8Function[];
}

/**
 * `bundle args…` as a job of a covered worker: each stdout line to `onLine` (true: the timer
 * restarts, a batch's seed finished); 'pending' when the job left work behind (run it in a
 * process of its own). Aborted: the worker is killed and the promise rejects with an AbortError.
 */
function runInCoveredWorker(bundle: string, args: string[], timeoutMs: number, onLine: (l: string) => boolean, signal?: AbortSignal): Promise<WorkerRun | 'pending'> {
  if (signal?.aborted) return Promise.reject(abortError());
  return new Promise<WorkerRun | 'pending'>((resolvePromise, reject) => {
    const dir = mkdtempSync(join(tmpdir(), 'memdesc-v8cov-'));
    const file = join(dir, 'coverage.json');
    const w = acquireWorker();
    let aborted = false;
    let timedOut = false;
    const onAbort = (): void => {
      aborted = true;
      w.kill();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const kill = (): void => {
      timedOut = true;
      w.kill();
    };
    let timer = setTimeout(kill, timeoutMs);
    let stderr = '';
    w.start(bundle, args, file, {
      onLine: (l) => {
        if (!onLine(l)) return;
        clearTimeout(timer);
        timer = setTimeout(kill, timeoutMs);
      },
      onStderr: (c) => {
        if (stderr.length < 1 << 20) stderr += c;
      },
      onEnd: (end) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const v8 = aborted || timedOut ? undefined : readCoverage(file);
        rmSync(dir, { recursive: true, force: true });
        if (end.how === 'done') releaseWorker(w, end);
        if (aborted) return reject(abortError());
        if (end.how === 'done' && end.pending) return resolvePromise('pending');
        resolvePromise({ end, stderr, timedOut, ...(v8 ? { v8 } : {}) });
      },
    });
  });
}

/** The batch in a reused covered worker; 'pending' when its job left work behind (run it in a process of its own). */
async function runCoveredBatchInWorker(bundle: string, map: BundleMap, p: BatchSettings, signal?: AbortSignal): Promise<CoveredBatch | 'pending'> {
  const timeout = p.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const t0 = performance.now();
  const seeds = seedLines(() => {});
  const r = await runInCoveredWorker(bundle, simArgs(p), timeout, seeds.line, signal);
  if (r === 'pending') return r;
  const executed = r.v8 ? executedFunctions(map, r.v8) : undefined;
  return { outcomes: batchOutcomes(p, seeds.results, r.end.code, r.timedOut, r.stderr, performance.now() - t0, timeout), ...(executed ? { executed } : {}) };
}

/** The batch in a process of its own, under the coverage hook (what every batch ran in before covered workers). */
export function runCoveredBatchFresh(bundle: string, map: BundleMap, p: BatchSettings, signal?: AbortSignal): Promise<CoveredBatch> {
  const timeout = p.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const t0 = performance.now();
  if (signal?.aborted) return Promise.reject(abortError());
  return new Promise<CoveredBatch>((resolvePromise, reject) => {
    const { child, stderr, finish } = spawnCovered(bundle, simArgs(p), reject);
    // Aborted (a run started ahead that turned out not to be needed): killed, and it gives
    // nothing, neither outcomes nor coverage, so nothing is cached from it.
    let aborted = false;
    const onAbort = (): void => {
      aborted = true;
      child.kill('SIGKILL');
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    let buf = '';
    let timedOut = false;
    const kill = (): void => {
      timedOut = true;
      child.kill('SIGKILL');
    };
    // The timer restarts whenever a seed finishes: the limit is per seed.
    let timer = setTimeout(kill, timeout);
    const seeds = seedLines(() => {
      clearTimeout(timer);
      timer = setTimeout(kill, timeout);
    });
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (c: string) => {
      buf += c;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        seeds.line(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
      }
    });
    child.on('error', () => clearTimeout(timer));
    child.on('close', (code) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (aborted) {
        finish(true);
        reject(abortError());
        return;
      }
      const v8 = finish(timedOut);
      const executed = v8 ? executedFunctions(map, v8) : undefined;
      resolvePromise({ outcomes: batchOutcomes(p, seeds.results, code, timedOut, stderr(), performance.now() - t0, timeout), ...(executed ? { executed } : {}) });
    });
  });
}

/** The rejection of a batch whose signal aborted. */
export function abortError(): Error {
  return Object.assign(new Error('run aborted: not needed'), { name: 'AbortError' });
}

/** A run of a bundle with arguments of its own (`--manifest`), with its coverage. */
export interface CoveredCommand {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Undefined when the process left no coverage (killed, crashed early, no inspector). */
  executed?: Set<string>;
}

/**
 * Run `bundle args…` once with coverage (a short command such as `--manifest`, whose output is
 * all it gives): its exit, its output and the functions it entered. In a covered worker, or in a
 * process of its own under the hook when the job leaves work pending.
 */
export async function runCoveredCommand(bundle: string, map: BundleMap, args: string[], timeoutMs = 60_000): Promise<CoveredCommand> {
  const lines: string[] = [];
  const r = await runInCoveredWorker(bundle, args, timeoutMs, (l) => {
    lines.push(l);
    return false;
  });
  if (r === 'pending') return runCoveredCommandFresh(bundle, map, args, timeoutMs);
  // The worker ends the job's output with a newline of its own before its last line: one empty line is its.
  if (lines.at(-1) === '') lines.pop();
  const stdout = lines.map((l) => `${l}\n`).join('');
  const code = r.end.code;
  const signal = r.end.how === 'exit' ? r.end.signal : null;
  return { code, signal, stdout, stderr: r.stderr, ...(r.v8 ? { executed: executedFunctions(map, r.v8) } : {}) };
}

/** The command in a process of its own under the coverage hook. */
export function runCoveredCommandFresh(bundle: string, map: BundleMap, args: string[], timeoutMs = 60_000): Promise<CoveredCommand> {
  return new Promise<CoveredCommand>((resolvePromise, reject) => {
    const { child, stderr, finish } = spawnCovered(bundle, args, reject);
    let stdout = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (c: string) => (stdout += c));
    child.on('error', () => clearTimeout(timer));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const v8 = finish(timedOut);
      resolvePromise({ code, signal, stdout, stderr: stderr(), ...(v8 ? { executed: executedFunctions(map, v8) } : {}) });
    });
  });
}

/**
 * `bundle args…` in a child under the coverage hook (shared by batches and single commands): its
 * stderr so far (capped at 1 MiB), and `finish`, which reads the coverage the process left (none
 * when it was killed) and removes its folder. A process that cannot start rejects with the folder gone.
 */
function spawnCovered(bundle: string, args: string[], reject: (e: Error) => void) {
  const dir = mkdtempSync(join(tmpdir(), 'memdesc-v8cov-'));
  const file = join(dir, 'coverage.json');
  const child = spawn(process.execPath, [...simNodeFlags(), '--import', pathToFileURL(hookFile()).href, bundle, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, MEMDESC_COVERAGE_OUT: file, MEMDESC_COVERAGE_URL: pathToFileURL(bundle).href },
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (c: string) => {
    if (stderr.length < 1 << 20) stderr += c;
  });
  const finish = (killed: boolean): V8Function[] | undefined => {
    const v8 = killed ? undefined : readCoverage(file);
    rmSync(dir, { recursive: true, force: true });
    return v8;
  };
  child.on('error', (e) => {
    finish(true);
    reject(e);
  });
  return { child, stderr: () => stderr, finish };
}

/** Recorded coverage of a tree's pairs: `workload:seed` -> executed function identities. */
export type CoverageTable = Map<string, Set<string>>;

export function pairKey(workload: string, seed: number): string {
  return `${workload}:${seed}`;
}

/** The cache file of one bundle under one run setting (ops, RAM, tracepoints per workload). */
function cacheFile(buildKey: string, settings: unknown): string {
  const key = createHash('sha256').update(`${COVERAGE_FORMAT}\0${buildKey}\0${JSON.stringify(settings)}`).digest('hex');
  return join(userCacheDir('coverage'), `${key}.json`);
}

/** The recorded coverage of a build (by its content key) under `settings`, or what of it there is. */
export function loadCoverage(buildKey: string, settings: unknown): CoverageTable {
  try {
    const j = JSON.parse(readFileSync(cacheFile(buildKey, settings), 'utf8')) as { format?: string; pairs?: Record<string, string[]> };
    if (j.format !== COVERAGE_FORMAT || !j.pairs) return new Map();
    return new Map(Object.entries(j.pairs).map(([k, v]) => [k, new Set(v)]));
  } catch {
    return new Map();
  }
}

/** Store coverage (written to a temporary name and renamed; a cache that cannot be written is no error). */
export function saveCoverage(buildKey: string, settings: unknown, table: CoverageTable): void {
  const file = cacheFile(buildKey, settings);
  try {
    mkdirSync(userCacheDir('coverage'), { recursive: true });
    const tmp = `${file}.tmp-${process.pid}`;
    writeFileSync(tmp, JSON.stringify({ format: COVERAGE_FORMAT, pairs: Object.fromEntries([...table].map(([k, v]) => [k, [...v].sort()])) }));
    renameSync(tmp, file);
    // A series records every step's build: the least recently written beyond 1,024 go.
    prune(userCacheDir('coverage'));
  } catch {
    // the next series records it again
  }
}
