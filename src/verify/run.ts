/**
 * Run built simulations as child processes: batches of seeds of one workload (one JSON line per
 * finished seed), each seed under a timeout, and a pool that keeps N = os.availableParallelism()
 * of them busy. A tree whose main.ts has `--serve` runs its batches in warm workers (simWorker.ts:
 * one process runs batch after batch, its compiled code warm, which saves a third of the CPU
 * time a fresh process per batch spends); older trees get a process per batch (`main.mjs
 * --seeds ... --json`). A process that dies or hangs costs only the seed it was on: the rest of
 * the batch goes on in a fresh process (after a hang they are reported as not run, so a tree
 * that hangs everywhere fails fast).
 */
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { runInWorker, simNodeFlags, type WorkerJob } from './simWorker.ts';

export interface SimBug {
  message: string;
  dump: string;
}

/** A run's memory layout as main.ts reports it (trees with a `layout` manifest section). */
export interface SeedLayout {
  struct_page_bytes: number;
  /** Descriptor kinds allocated separately during the run ([] on a stage-1 machine). */
  descriptors: string[];
  placement?: string;
}

/** One seed's result as main.ts prints it. */
export interface SeedResult {
  workload: string;
  seed: number;
  ram: number;
  ops: number;
  eventCount: number;
  digest: string;
  /** sha256 of the struct page array at the end of the run (trees whose main.ts prints it). */
  memmap?: string;
  bug: SimBug | null;
  /** The digest with the manifest's layout-dependent lines masked (trees that print it). */
  layoutDigest?: string;
  layout?: SeedLayout;
}

export type RunStatus = 'ok' | 'bug' | 'crash' | 'timeout' | 'not-run' | 'error';

export interface RunOutcome {
  seed: number;
  status: RunStatus;
  result?: SeedResult;
  /** crash / error: the tail of stderr; timeout: what was killed. */
  detail?: string;
  /** With BatchJob.keepStderr: everything the process that ran this seed wrote to stderr. */
  stderr?: string;
  exitCode?: number | null;
  ms: number;
  /** Taken from the run cache (runCache.ts): not run again, no time of its own. */
  cached?: boolean;
}

export interface BatchJob {
  bundle: string;
  workload: string;
  seeds: number[];
  ram?: string;
  ops?: number;
  tracepoints?: boolean;
  /** Per seed: a seed that runs longer is killed (default 60 s). */
  timeoutMs?: number;
  /** The tree's main.ts has no --seeds (older revisions): one process per seed. */
  singleSeed?: boolean;
  /** Attach each process's stderr to its outcomes. */
  keepStderr?: boolean;
  /** `--placement`: where descriptors go (only for trees whose manifest lists it). */
  placement?: string;
  /** `--check`: the machine's invariants after every operation. */
  check?: boolean;
  /** A fresh process for this batch even when the tree has warm workers (keepStderr implies it). */
  fresh?: boolean;
}

export const DEFAULT_TIMEOUT_MS = 60_000;

/** "1..4,9" for [1,2,3,4,9]. */
export function formatSeeds(seeds: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < seeds.length; ) {
    let j = i;
    while (j + 1 < seeds.length && seeds[j + 1] === seeds[j]! + 1) j++;
    parts.push(j > i ? `${seeds[i]}..${seeds[j]}` : `${seeds[i]}`);
    i = j + 1;
  }
  return parts.join(',');
}

function simArgs(job: { workload: string; ram?: string; ops?: number; tracepoints?: boolean; placement?: string; check?: boolean }): string[] {
  const a = ['--workload', job.workload];
  if (job.ram !== undefined) a.push('--ram', job.ram);
  if (job.ops !== undefined) a.push('--ops', String(job.ops));
  if (job.tracepoints === false) a.push('--no-tracepoints');
  if (job.placement !== undefined) a.push('--placement', job.placement);
  if (job.check) a.push('--check');
  return a;
}

function tail(text: string, lines = 12): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** What a crashed process said: the error line and the top of its stack. */
function crashText(stderr: string): string {
  const lines = stderr.trimEnd().split('\n');
  const i = lines.findIndex((l) => /^\w*(Error|Bug|Exception)\b/.test(l.trim()) || /^Uncaught/.test(l));
  return (i >= 0 ? lines.slice(i, i + 8) : lines.slice(-12)).join('\n');
}

export interface ProcessRun {
  lines: SeedResult[];
  exitCode: number | null;
  stderr: string;
  timedOut: boolean;
  ms: number;
}

/** One process over `seeds`; the timer restarts whenever a seed finishes. */
function runProcess(job: BatchJob, seeds: number[]): Promise<ProcessRun> {
  const timeout = job.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const t0 = performance.now();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [...simNodeFlags(), job.bundle, ...simArgs(job), '--seeds', formatSeeds(seeds), '--json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: SeedResult[] = [];
    let buf = '';
    let stderr = '';
    let timedOut = false;
    let timer = setTimeout(onTimeout, timeout);
    function onTimeout(): void {
      timedOut = true;
      child.kill('SIGKILL');
    }
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (!line.startsWith('{')) continue;
        try {
          lines.push(JSON.parse(line) as SeedResult);
        } catch {
          continue;
        }
        clearTimeout(timer);
        timer = setTimeout(onTimeout, timeout);
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      if (stderr.length < 1 << 20) stderr += chunk;
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ lines, exitCode: code, stderr, timedOut, ms: performance.now() - t0 });
    });
  });
}

/** A batch as a `--serve` job line. */
function workerJob(job: BatchJob): WorkerJob {
  return {
    bundle: job.bundle, workload: job.workload, timeoutMs: job.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    ...(job.ram !== undefined ? { ram: job.ram } : {}),
    ...(job.ops !== undefined ? { ops: job.ops } : {}),
    ...(job.tracepoints === false ? { tracepoints: false } : {}),
    ...(job.placement !== undefined ? { placement: job.placement } : {}),
    ...(job.check ? { check: true } : {}),
  };
}

/** A seed run on its own (`--seed S --json`), for trees without --seeds. */
async function runSingle(job: BatchJob, seed: number): Promise<RunOutcome> {
  const t0 = performance.now();
  const r = await runJson(job.bundle, [...simArgs(job), '--seed', String(seed), '--json'], job.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const ms = performance.now() - t0;
  if (r.timedOut) return { seed, status: 'timeout', detail: `killed after ${((job.timeoutMs ?? DEFAULT_TIMEOUT_MS) / 1000).toFixed(1)} s without finishing`, exitCode: null, ms };
  const p = r.json as Partial<SeedResult> | undefined;
  if (!p || typeof p.digest !== 'string' || (r.exitCode !== 0 && r.exitCode !== 1)) {
    return { seed, status: r.exitCode === 2 ? 'error' : 'crash', detail: (r.exitCode === 2 ? tail(r.stderr, 1) : crashText(r.stderr)) || `exit code ${r.exitCode}`, exitCode: r.exitCode, ms };
  }
  const result: SeedResult = { workload: p.workload ?? job.workload, seed, ram: p.ram ?? 0, ops: p.ops ?? 0, eventCount: p.eventCount ?? 0, digest: p.digest, bug: p.bug ?? null };
  return { seed, status: result.bug ? 'bug' : 'ok', result, ms };
}

/** Run every seed of a batch; always one outcome per seed, in order. */
export async function runBatch(job: BatchJob): Promise<RunOutcome[]> {
  if (job.singleSeed) {
    const out: RunOutcome[] = [];
    for (const seed of job.seeds) {
      const o = await runSingle(job, seed);
      out.push(o);
      if (o.status === 'error') {
        for (const s of job.seeds.slice(out.length)) out.push({ seed: s, status: 'error', detail: o.detail, exitCode: 2, ms: 0 });
        break;
      }
    }
    return out;
  }
  const out: RunOutcome[] = [];
  let remaining = [...job.seeds];
  while (remaining.length > 0) {
    // A warm worker when the tree has them (its stderr would mix batches: not with keepStderr).
    const warm = job.fresh || job.keepStderr ? undefined : await runInWorker(workerJob(job), remaining);
    const p = warm ?? await runProcess(job, remaining);
    const per = p.lines.length > 0 ? p.ms / (p.lines.length + 1) : p.ms;
    for (const r of p.lines) {
      if (r.seed !== remaining[0]) break;
      out.push({ seed: r.seed, status: r.bug ? 'bug' : 'ok', result: r, ms: per, ...(job.keepStderr ? { stderr: p.stderr } : {}) });
      remaining.shift();
    }
    if (remaining.length === 0) break;
    const seed = remaining.shift()!;
    if (p.timedOut) {
      out.push({ seed, status: 'timeout', detail: `killed after ${((job.timeoutMs ?? DEFAULT_TIMEOUT_MS) / 1000).toFixed(1)} s without finishing`, exitCode: null, ms: job.timeoutMs ?? DEFAULT_TIMEOUT_MS });
      for (const s of remaining) out.push({ seed: s, status: 'not-run', detail: `not run: seed ${seed} of this batch timed out`, ms: 0 });
      break;
    }
    if (p.exitCode === 2 && p.lines.length === 0) {
      // main.ts rejected the arguments (unknown workload, bad --ram): the same for every seed.
      const detail = tail(p.stderr, 1);
      out.push({ seed, status: 'error', detail, exitCode: 2, ms: p.ms });
      for (const s of remaining) out.push({ seed: s, status: 'error', detail, exitCode: 2, ms: 0 });
      break;
    }
    out.push({ seed, status: 'crash', detail: crashText(p.stderr) || `exit code ${p.exitCode}`, exitCode: p.exitCode, ms: p.ms });
  }
  return out;
}

/** A full single-seed run with its trace (for diffs). */
export interface TracedRun {
  status: RunStatus;
  events: string[];
  reports: Record<string, unknown>;
  digest?: string;
  bug: SimBug | null;
  detail?: string;
  exitCode?: number | null;
}

interface JsonRun {
  json: unknown;
  exitCode: number | null;
  stderr: string;
  timedOut: boolean;
}

/** Run a bundle and capture everything (stdout as text). */
export async function runCapture(bundle: string, args: string[], timeout: number): Promise<{ stdout: string; stderr: string; exitCode: number | null; timedOut: boolean }> {
  const r = await runJson(bundle, args, timeout, true);
  return { stdout: r.text, stderr: r.stderr, exitCode: r.exitCode, timedOut: r.timedOut };
}

/** Run the bundle with a JSON-printing command line; stdout parsed as one JSON document. */
function runJson(bundle: string, args: string[], timeout: number, raw = false): Promise<JsonRun & { text: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [...simNodeFlags(), bundle, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeout);
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (c: string) => {
      if (stderr.length < 1 << 20) stderr += c;
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const text = Buffer.concat(out).toString('utf8');
      let json: unknown;
      try {
        json = timedOut || raw ? undefined : JSON.parse(text);
      } catch {
        json = undefined;
      }
      resolvePromise({ json, text: raw ? text : '', exitCode: code, stderr, timedOut });
    });
  });
}

export async function runTraced(bundle: string, job: { workload: string; seed: number; ram?: string; ops?: number; tracepoints?: boolean; timeoutMs?: number; placement?: string }): Promise<TracedRun> {
  const timeout = job.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const r = await runJson(bundle, [...simArgs(job), '--seed', String(job.seed), '--trace', '--json'], timeout);
  const empty = { events: [], reports: {}, bug: null, exitCode: r.exitCode };
  if (r.timedOut) return { ...empty, status: 'timeout', detail: `killed after ${(timeout / 1000).toFixed(1)} s without finishing` };
  const parsed = r.json as { events?: string[]; reports?: Record<string, unknown>; digest?: string; bug?: SimBug | null } | undefined;
  if (!parsed || typeof parsed !== 'object' || (r.exitCode !== 0 && r.exitCode !== 1)) {
    return { ...empty, status: r.exitCode === 2 ? 'error' : 'crash', detail: (r.exitCode === 2 ? tail(r.stderr, 1) : crashText(r.stderr)) || `exit code ${r.exitCode}` };
  }
  return {
    status: parsed.bug ? 'bug' : 'ok',
    events: parsed.events ?? [],
    reports: parsed.reports ?? {},
    digest: parsed.digest,
    bug: parsed.bug ?? null,
    exitCode: r.exitCode,
  };
}

export interface TreeProbe {
  workloads: string[];
  /** main.ts understands --seeds. */
  multiSeed: boolean;
}

/**
 * What a built tree offers: its workloads (read from main.ts's own "unknown workload" message)
 * and whether it runs several seeds per process.
 */
export async function probeTree(bundle: string): Promise<TreeProbe> {
  const first = await stderrOf(bundle, ['--workload', '?', '--seeds', '0', '--ops', '0']);
  const multiSeed = !/unknown option '--seeds'/i.test(first);
  const text = multiSeed ? first : await stderrOf(bundle, ['--workload', '?', '--seed', '0', '--ops', '0']);
  const m = /choose from ([^)]*)\)/.exec(text);
  return { workloads: m ? m[1]!.split(',').map((s) => s.trim()).filter(Boolean) : [], multiSeed };
}

function stderrOf(bundle: string, args: string[]): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [bundle, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', () => resolvePromise(stderr));
  });
}

/**
 * A concurrency limit: at most `size` tasks at a time, started in submission order, except that
 * a slot freed by a task with an affinity (the bundle it ran) starts the first waiting task with
 * the same affinity: that task finds the bundle's warm worker idle (simWorker.ts) instead of
 * starting and warming up another process.
 */
export class Pool {
  readonly size: number;
  private active = 0;
  private queue: Array<{ affinity?: string; urgent?: boolean; start: () => void; cancel: (e: Error) => void }> = [];
  private closed = false;

  constructor(size = availableParallelism()) {
    this.size = Math.max(1, Math.floor(size));
  }

  /**
   * `urgent`: the task goes before every waiting task that is not (in order among the urgent
   * ones), and a freed slot goes to it before a batch of the same bundle: work on a chain of
   * dependent steps (a series' step runs) is not held up behind work nothing waits for.
   */
  async run<T>(task: () => Promise<T>, affinity?: string, urgent = false): Promise<T> {
    if (this.closed) throw new Error('pool closed');
    if (this.active >= this.size) {
      await new Promise<void>((start, cancel) => {
        const at = urgent ? this.queue.findIndex((q) => !q.urgent) : -1;
        this.queue.splice(at < 0 ? this.queue.length : at, 0, { affinity, urgent, start, cancel });
      });
    }
    this.active++;
    try {
      return await task();
    } finally {
      this.active--;
      const i = this.queue[0]?.urgent ? 0 : affinity === undefined ? -1 : this.queue.findIndex((q) => q.affinity === affinity);
      this.queue.splice(Math.max(0, i), 1)[0]?.start();
    }
  }

  /**
   * Start nothing more: tasks still waiting for a slot fail (work started ahead of need whose
   * caller is gone), tasks running go on to their end.
   */
  close(): void {
    this.closed = true;
    for (const q of this.queue.splice(0)) q.cancel(new Error('pool closed'));
  }
}
