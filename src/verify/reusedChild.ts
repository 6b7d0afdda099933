/**
 * What the verifier's two kinds of reused processes share (simWorker.ts's warm workers,
 * coverageWorker.ts's covered workers): busy, a worker keeps the caller alive like any child it
 * waits for; idle, it does not (it sees its stdin close when the caller exits, and ends), and it
 * is closed after IDLE_MS unless taken again; `idle` is its kind's list of idle workers.
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';

const IDLE_MS = 10_000;

/** Whether a child and its pipes keep this process alive. */
function refChild(child: ChildProcessWithoutNullStreams, on: boolean): void {
  if (on) child.ref();
  else child.unref();
  for (const s of [child.stdin, child.stdout, child.stderr]) {
    const pipe = s as unknown as { ref?(): void; unref?(): void };
    if (on) pipe.ref?.();
    else pipe.unref?.();
  }
}

export abstract class ReusedChild {
  abstract readonly child: ChildProcessWithoutNullStreams;
  dead = false;
  private idleTimer: NodeJS.Timeout | undefined;
  /** Stdout after its last newline: the start of a line still coming. */
  private partial = '';

  constructor(private readonly idle: ReusedChild[]) {}

  /** Busy: it keeps the caller alive. */
  hold(): void {
    clearTimeout(this.idleTimer);
    refChild(this.child, true);
  }

  /** Idle: the caller may exit; closed after IDLE_MS unless taken again. */
  release(): void {
    refChild(this.child, false);
    this.idleTimer = setTimeout(() => this.close(), IDLE_MS);
    this.idleTimer.unref();
  }

  close(): void {
    clearTimeout(this.idleTimer);
    this.forget();
    if (!this.dead) this.child.stdin.end();
  }

  /** The lines of stdout `chunk` completes, in order; the rest waits for its newline. */
  protected linesOf(chunk: string): string[] {
    const lines = (this.partial + chunk).split('\n');
    this.partial = lines.pop()!;
    return lines;
  }

  /** What stdout left after its last newline (given once). */
  protected takePartial(): string {
    const rest = this.partial;
    this.partial = '';
    return rest;
  }

  /** Off the idle list (taken, closed, or dead). */
  protected forget(): void {
    const i = this.idle.indexOf(this);
    if (i >= 0) this.idle.splice(i, 1);
  }
}
