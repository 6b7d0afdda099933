/**
 * What a series run has made so far, and how to take it back. A run registers each thing as it
 * makes it (the branch, its worktree, a scratch repository, temp folders): on success only the
 * `always` entries run (the worktree goes, the branch stays); on an error or an interrupt
 * everything runs, newest first, so nothing the run made outlives it. Synchronous, so that a
 * signal handler can run it before the process exits.
 */
import { mkdirSync, rmdirSync } from 'node:fs';
import { dirname } from 'node:path';

interface Entry {
  what: string;
  always: boolean;
  fn: () => void;
}

const active = new Set<Rollback>();

export class Rollback {
  private entries: Entry[] = [];

  constructor() {
    active.add(this);
  }

  /** Undo `fn` when the run fails. */
  onFailure(what: string, fn: () => void): void {
    this.entries.push({ what, always: false, fn });
  }

  /** Run `fn` at the end either way (temp folders, the worktree). */
  always(what: string, fn: () => void): void {
    this.entries.push({ what, always: true, fn });
  }

  /**
   * Run the entries (all of them when `failed`), newest first; each runs at most once and a
   * failing one does not stop the others. Returns what could not be undone.
   */
  finish(failed: boolean): string[] {
    active.delete(this);
    const left: string[] = [];
    while (this.entries.length) {
      const e = this.entries.pop()!;
      if (!failed && !e.always) continue;
      try {
        e.fn();
      } catch (err) {
        left.push(`${e.what}: ${(err as Error).message}`);
      }
    }
    return left;
  }
}

/** Undo every run still in progress (an interrupt): returns what could not be undone. */
export function rollbackActive(): string[] {
  return [...active].flatMap((r) => r.finish(true));
}

/** Runs in progress (tests: none may be left behind). */
export function activeRollbacks(): number {
  return active.size;
}

/** mkdir -p `dir`; on failure the folders it made are removed again (each only while empty). */
export function makeDirs(dir: string, undo: Rollback): void {
  const first = mkdirSync(dir, { recursive: true });
  if (first === undefined) return;
  undo.onFailure(`folder ${first}`, () => {
    for (let d = dir; ; d = dirname(d)) {
      try {
        rmdirSync(d);
      } catch {
        return;
      }
      if (d === first || dirname(d) === d) return;
    }
  });
}
