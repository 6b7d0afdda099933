/**
 * Covered batches in reused processes. A series step runs its batch on a bundle of its own, so
 * simWorker.ts's warm workers (one bundle each) do not serve it, and a fresh process per batch
 * pays node's start-up, its module loader's warm-up and the coverage session again each time
 * (about 0.05 of a batch's 0.4 CPU-s on the corpus). A covered worker is a small loader
 * (LOADER) that starts precise coverage once, then for each job imports the job's bundle under
 * a URL of its own (`main.mjs?batch=N`): a new module record, evaluated from the start, so the
 * batch's module state is as fresh as in a new process (the bundle's `main()` reads
 * `process.argv`, set for the job; its seed lines go to stdout as before). When the import has
 * settled, the loader takes the coverage of that URL alone and says it is done.
 *
 * What a reused process cannot give as a fresh one would, it does not pretend to: a batch that
 * leaves work pending (timers, handles, exit listeners: a fresh process would run them before it
 * ended) is reported as `pending` and run again in a fresh process by the caller; a batch that
 * adds globals retires its worker after it. A worker is retired after MAX_BATCHES jobs (each
 * import's code stays in memory; the simulated RAM goes back to the program's pool at the end of
 * a batch: six corpus batches peak at about 180 MB), and when it crashes, exits, hangs
 * or is aborted (killed, like a fresh process).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { simNodeFlags } from './simWorker.ts';
import { ReusedChild } from './reusedChild.ts';
import { contentNamedScript } from './scriptFile.ts';

/** Jobs per worker before it is retired (the imports it holds stay in memory). */
export const MAX_BATCHES = 6;
/** A worker holding more than this after a job is retired too (batches with a larger RAM). */
const MAX_RSS = 768 << 20;
/** Idle workers kept (each closed after reusedChild.ts's idle time). */
const MAX_IDLE = Math.max(2, availableParallelism());

/**
 * The loader. Coverage starts before any bundle loads (as the fresh process's hook does); a job
 * is `{bundle, args, out}`; its end is one line `{"memdesc-covered":…}` on stdout after the
 * bundle's own lines (a leading newline ends a last line the bundle left open). A bundle that
 * exits the process, or throws while it loads (an uncaught error, as in a fresh process), ends
 * the worker: the exit handler still writes the coverage of the job it was running.
 */
const LOADER = `import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
let s;
try {
  s = new Session();
  s.connect();
  s.post('Profiler.enable');
  s.post('Profiler.startPreciseCoverage', { callCount: false, detailed: false });
} catch { s = undefined; }
let current;
const take = (job) => {
  if (!s) return;
  s.post('Profiler.takePreciseCoverage', (err, r) => {
    const mine = err ? undefined : r.result.find((x) => x.url === job.url);
    if (mine) writeFileSync(job.out, JSON.stringify(mine.functions));
  });
};
process.on('exit', () => { if (current) take(current); });
const turn = () => new Promise((r) => setImmediate(r));
const emitters = [process, process.stdout, process.stderr];
const listeners = () => emitters.map((e) => new Map(e.eventNames().map((n) => [n, e.listeners(n)])));
// A close in progress (CloseReq) is no work a process would still do.
const resources = () => {
  const n = new Map();
  for (const r of process.getActiveResourcesInfo()) if (r !== 'CloseReq') n.set(r, (n.get(r) ?? 0) + 1);
  return n;
};
let n = 0;
const queue = [];
let busy = false;
async function runJob(job) {
  job.url = pathToFileURL(job.bundle).href + '?batch=' + (++n);
  const globals = new Set(Object.getOwnPropertyNames(globalThis));
  await turn();
  const before = listeners();
  const res0 = resources();
  process.argv = [process.argv[0], job.bundle, ...job.args];
  process.exitCode = undefined;
  current = job;
  try {
    await import(job.url);
  } catch (e) {
    // What a fresh process does with an error thrown while its module loads.
    process.exitCode = 1;
    process.stderr.write((e && e.stack ? e.stack : String(e)) + '\\n');
    process.exit(1);
  }
  await turn();
  current = undefined;
  const code = process.exitCode ?? 0;
  process.exitCode = undefined;
  take(job);
  // Listeners the bundle added: on stdout/stderr ('error', for EPIPE) removed; anywhere else, work a fresh process would still do.
  const after = listeners();
  // More of some resource than before the import (the loader's own may have ended meanwhile): work left pending.
  let pending = [...resources()].some(([r, k]) => k > (res0.get(r) ?? 0));
  for (const [i, e] of emitters.entries()) {
    for (const [name, fns] of after[i]) {
      const old = before[i].get(name) ?? [];
      for (const f of fns) {
        if (old.includes(f)) continue;
        if (i > 0 && name === 'error') e.removeListener(name, f);
        else pending = true;
      }
    }
  }
  const dirty = Object.getOwnPropertyNames(globalThis).some((g) => !globals.has(g));
  process.stdout.write('\\n' + JSON.stringify({ 'memdesc-covered': 'done', code, rss: process.memoryUsage.rss(), ...(pending ? { pending: true } : {}), ...(dirty ? { dirty: true } : {}) }) + '\\n');
}
async function drain() {
  if (busy) return;
  busy = true;
  while (queue.length) await runJob(queue.shift());
  busy = false;
}
let buf = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (c) => {
  buf += c;
  let nl;
  while ((nl = buf.indexOf('\\n')) >= 0) {
    const line = buf.slice(0, nl);
    buf = buf.slice(nl + 1);
    if (line.trim()) queue.push(JSON.parse(line));
  }
  void drain();
});
process.stdin.on('end', () => { if (!busy && !queue.length) process.exit(0); });
`;

/** The loader's file (content-named, written once). */
function loaderFile(): string {
  return contentNamedScript('covered-worker', LOADER);
}

/** How a job ended: `done` (the import settled, the worker goes on) or `exit` (the process ended). */
export type JobEnd =
  | { how: 'done'; code: number; pending: boolean; dirty: boolean; rss: number }
  | { how: 'exit'; code: number | null; signal: NodeJS.Signals | null };

/** What the caller sees of a job while it runs. */
export interface JobHandlers {
  /** A line the bundle wrote to stdout (without its newline). */
  onLine(line: string): void;
  onStderr(chunk: string): void;
  onEnd(end: JobEnd): void;
}

const DONE_PREFIX = '{"memdesc-covered":';

export class CoveredWorker extends ReusedChild {
  readonly child: ChildProcessWithoutNullStreams;
  private job?: JobHandlers;
  /** Jobs given to it so far. */
  jobs = 0;

  constructor() {
    super(idle);
    coveredWorkerStats.workers++;
    this.child = spawn(process.execPath, [...simNodeFlags(), loaderFile()], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdin.on('error', () => {}); // a worker that died: its close says so
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (c: string) => this.onData(c));
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (c: string) => this.job?.onStderr(c));
    this.child.on('close', (code, signal) => {
      this.dead = true;
      this.forget();
      const j = this.job;
      this.job = undefined;
      // A last line the process left open is output too, as a process of its own would have given it.
      const rest = this.takePartial();
      if (j && rest) j.onLine(rest);
      j?.onEnd({ how: 'exit', code, signal });
    });
    this.child.on('error', () => {});
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  private onData(chunk: string): void {
    for (const line of this.linesOf(chunk)) {
      const j = this.job;
      if (!j) continue;
      if (line.startsWith(DONE_PREFIX)) {
        let m: { code?: number; pending?: boolean; dirty?: boolean; rss?: number };
        try {
          m = JSON.parse(line) as typeof m;
        } catch {
          j.onLine(line);
          continue;
        }
        this.job = undefined;
        j.onEnd({ how: 'done', code: m.code ?? 0, pending: !!m.pending, dirty: !!m.dirty, rss: m.rss ?? 0 });
      } else j.onLine(line);
    }
  }

  /** Start a job: `bundle args…` as a fresh process would run it, its coverage written to `out`. */
  start(bundle: string, args: string[], out: string, handlers: JobHandlers): void {
    this.jobs++;
    coveredWorkerStats.jobs++;
    this.job = handlers;
    this.child.stdin.write(`${JSON.stringify({ bundle, args, out })}\n`);
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }

  /** Close it and wait for its exit (held meanwhile: an idle worker does not keep the loop alive). */
  ended(): Promise<void> {
    return new Promise<void>((r) => {
      if (this.dead) return r();
      this.child.once('close', () => r());
      this.hold();
      this.close();
    });
  }
}

const idle: CoveredWorker[] = [];

/** Covered workers started, jobs they ran, and jobs they gave back as pending (run again in a process of their own). */
export const coveredWorkerStats = { workers: 0, jobs: 0, pending: 0 };

/** An idle worker, or a new one. */
export function acquireWorker(): CoveredWorker {
  let w = idle.pop();
  while (w && w.dead) w = idle.pop();
  w ??= new CoveredWorker();
  w.hold();
  return w;
}

/** A worker whose job ended `done`: kept for the next job unless it has run its share or the job changed its globals. */
export function releaseWorker(w: CoveredWorker, end: JobEnd): void {
  if (end.how === 'done' && end.pending) coveredWorkerStats.pending++;
  if (w.dead || end.how !== 'done' || end.pending || end.dirty || w.jobs >= MAX_BATCHES || end.rss > MAX_RSS) {
    w.kill();
    return;
  }
  idle.push(w);
  w.release();
  while (idle.length > MAX_IDLE) idle[0]!.close();
}

/** End every idle covered worker (a verification done). */
export function closeCoveredWorkers(): void {
  for (const w of [...idle]) w.close();
}

/** End every idle covered worker and wait until they have exited (reaped: their CPU counts as this process's children's). */
export async function endCoveredWorkers(): Promise<void> {
  await Promise.all([...idle].map((w) => w.ended()));
}
