/**
 * Warm simulation workers: `main.mjs --serve` processes (corpus/sim/main.ts) that run batch after
 * batch, so that a verification pays node's start-up and the JIT's warm-up once per worker, not
 * once per batch (a fresh process runs its first seeds at half speed or worse). A worker is
 * the bundle's own program: it boots a fresh machine for every seed, as `--seeds` does, so its
 * lines are the ones a process per batch prints.
 *
 * Workers are kept per bundle while idle (unreferenced, so they never keep the caller alive;
 * they end when their stdin closes, also when the caller exits or dies), at most MAX_IDLE of
 * them and each for 10 s unused (reusedChild.ts). A worker that crashes, hangs (killed at the timeout) or misbehaves
 * is not reused. A worker first says `{"serve":1}`; a program that says anything else first, or
 * ends without saying it (a tree whose main.ts has no `--serve`), is remembered and runBatch()
 * gives its bundle a process per batch, as before.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { availableParallelism } from 'node:os';
import type { ProcessRun, SeedResult } from './run.ts';
import { ReusedChild } from './reusedChild.ts';
import { knownV8, V8_FLAGS } from '../v8Flags.ts';

let flagsAccepted: boolean | undefined;

/**
 * What a simulation process is started with before its bundle: memdesc's V8 flags (v8Flags.ts)
 * when this node accepts them. A V8 that no longer knows a flag refuses to start, and the simulation then runs
 * without them: this node (the children run process.execPath) is asked once per process, unless
 * its V8 is one known to define them (v8Flags.ts knownV8()), which needs no process to ask.
 */
export function simNodeFlags(): string[] {
  if (flagsAccepted === undefined) {
    flagsAccepted = knownV8(process.versions.v8) ||
      spawnSync(process.execPath, [...V8_FLAGS, '-e', '0'], { stdio: 'ignore', timeout: 30_000 }).status === 0;
  }
  return flagsAccepted ? [...V8_FLAGS] : [];
}

/** What one `--serve` job runs (the batch's flags; the seeds are given per call). */
export interface WorkerJob {
  bundle: string;
  workload: string;
  ram?: string;
  ops?: number;
  tracepoints?: boolean;
  placement?: string;
  check?: boolean;
  /** Per seed: the timer restarts whenever a seed finishes. */
  timeoutMs: number;
}

/**
 * Idle workers kept (all bundles; a worker holds a few hundred MB): one per core. A verification
 * leaves its workers idle only between two batches (the pool gives a freed slot the same tree's
 * next batch), and a series' step bundle is not used again after its step.
 */
const MAX_IDLE = Math.max(2, availableParallelism());
/** stderr kept per job for crash reports. */
const MAX_STDERR = 1 << 20;

interface Waiting {
  lines: SeedResult[];
  error?: string;
  stderr: string;
  timedOut: boolean;
  onLine(): void;
  finish(exitCode: number | null, ended: boolean): void;
}

class SimWorker extends ReusedChild {
  readonly child: ChildProcessWithoutNullStreams;
  /** Whether the program is a worker: its first line, or its end without one. */
  readonly hello: Promise<boolean>;
  private greeted: ((yes: boolean) => void) | undefined;
  private current: Waiting | undefined;

  constructor(readonly bundle: string) {
    super(idle);
    this.hello = new Promise((r) => (this.greeted = r));
    this.child = spawn(process.execPath, [...simNodeFlags(), bundle, '--serve'], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdin.on('error', () => {}); // a worker that died: its close says so
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (chunk: string) => this.onData(chunk));
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (chunk: string) => {
      const w = this.current;
      if (w && w.stderr.length < MAX_STDERR) w.stderr += chunk;
    });
    this.child.on('close', (code) => {
      this.dead = true;
      this.forget();
      this.greet(false);
      this.current?.finish(code, true);
    });
    this.child.on('error', () => this.greet(false));
  }

  private greet(yes: boolean): void {
    this.greeted?.(yes);
    this.greeted = undefined;
  }

  private onData(chunk: string): void {
    for (const line of this.linesOf(chunk)) {
      if (this.greeted) {
        const yes = line === '{"serve":1}';
        this.greet(yes);
        if (!yes) this.child.kill('SIGKILL');
        continue;
      }
      const w = this.current;
      if (!w || !line.startsWith('{')) continue;
      let msg: SeedResult & { done?: true; error?: string };
      try {
        msg = JSON.parse(line) as typeof msg;
      } catch {
        continue;
      }
      if (msg.done) w.finish(w.error ? 2 : 0, false);
      else if (typeof msg.error === 'string') w.error = msg.error;
      else {
        w.lines.push(msg);
        w.onLine();
      }
    }
  }

  /** Run one job; resolves with what a process per batch would have given. */
  run(job: WorkerJob, seeds: number[]): Promise<ProcessRun> {
    const t0 = performance.now();
    return new Promise((resolvePromise) => {
      let timer: NodeJS.Timeout | undefined;
      const onTimeout = (): void => {
        w.timedOut = true;
        this.child.kill('SIGKILL');
      };
      const w: Waiting = {
        lines: [], stderr: '', timedOut: false,
        onLine: () => {
          clearTimeout(timer);
          timer = setTimeout(onTimeout, job.timeoutMs);
        },
        finish: (exitCode, ended) => {
          clearTimeout(timer);
          this.current = undefined;
          const stderr = w.error !== undefined ? `simulate: ${w.error}\n` : w.stderr;
          // A worker that ended mid-job reports as its process would: the exit code, what it said.
          resolvePromise({ lines: w.lines, exitCode: ended ? exitCode : w.error !== undefined ? 2 : 0, stderr, timedOut: w.timedOut, ms: performance.now() - t0 });
        },
      };
      this.current = w;
      timer = setTimeout(onTimeout, job.timeoutMs);
      const line = {
        workload: job.workload, seeds,
        ...(job.ram !== undefined ? { ram: job.ram } : {}),
        ...(job.ops !== undefined ? { ops: job.ops } : {}),
        ...(job.tracepoints === false ? { tracepoints: false } : {}),
        ...(job.placement !== undefined ? { placement: job.placement } : {}),
        ...(job.check ? { check: true } : {}),
      };
      this.child.stdin.write(`${JSON.stringify(line)}\n`);
    });
  }
}

/** Idle workers, oldest first. */
const idle: SimWorker[] = [];
/** Bundles whose main.ts has no --serve. */
const noServe = new Set<string>();

/** An idle worker of the bundle, or a new one. */
function acquire(bundle: string): SimWorker {
  const i = idle.findIndex((w) => w.bundle === bundle && !w.dead);
  const w = i >= 0 ? idle.splice(i, 1)[0]! : new SimWorker(bundle);
  w.hold();
  return w;
}

function putBack(w: SimWorker): void {
  if (w.dead) return;
  idle.push(w);
  w.release();
  while (idle.length > MAX_IDLE) idle[0]!.close();
}

/**
 * Run `seeds` of a job in a warm worker of its bundle. undefined when the bundle has no
 * --serve (the caller runs a process per batch instead).
 */
export async function runInWorker(job: WorkerJob, seeds: number[]): Promise<ProcessRun | undefined> {
  if (noServe.has(job.bundle)) return undefined;
  const w = acquire(job.bundle);
  if (!(await greeting(w, job.timeoutMs))) {
    noServe.add(job.bundle);
    w.close();
    return undefined;
  }
  // It may have died since it said hello (a worker that ends between jobs): nothing ran; this
  // batch gets a process of its own, which shows what happens.
  if (w.dead) return undefined;
  const p = await w.run(job, seeds);
  // A worker whose job did not end cleanly (it died or was killed) is not reused.
  if (p.timedOut || w.dead) w.close();
  else putBack(w);
  return p;
}

/** The worker's hello, or false when it ends, says something else or nothing within `ms`. */
async function greeting(w: SimWorker, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms)));
  try {
    const yes = await Promise.race([w.hello, late]);
    if (!yes) w.child.kill('SIGKILL');
    return yes;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * End every idle worker now and wait until they have exited (a verification done with its
 * bundles: its process then has them reaped, and their CPU time counts as its children's).
 */
export async function closeIdleWorkers(): Promise<void> {
  const ending = [...idle].map((w) => new Promise<void>((r) => {
    if (w.dead) return r();
    w.child.once('close', () => r());
    // Referenced again: an idle worker does not keep the loop alive, and this wait must
    // (a top-level await on it would otherwise end the process unsettled, exit 13).
    w.hold();
    w.close();
  }));
  await Promise.all(ending);
}
