/**
 * Why a walk re-analyzes a file (TrackOptions.onReanalyze): what changed since the commit before
 * for each file the cache missed. Only made when asked (it reads every entry's dependencies again):
 * it is for finding which dependency makes a cold walk re-analyze what, never for the results.
 */
import type { ts } from '@ts-morph/common';
import type { CommitKeys, FileEntry } from './cache.ts';
import type { CommitProgram } from './program.ts';

export interface Reanalysis {
  /** Path relative to the project. */
  file: string;
  /**
   * `new`: not in the commit before; `text`: its own text changed; `reach`: a declaration it
   * reaches by name changed (its key); `signature`: what its entry read beyond its key changed
   * (`deps`: those dependency names, `cites` among them when a cited line did).
   */
  why: 'new' | 'text' | 'reach' | 'signature';
  deps?: string[];
}

interface State {
  id: string;
  reach: string;
  parts: Map<string, string>;
  cites: string[];
  citePart: string;
}

/** The state of the commit before, per file, and what a commit's misses differ in from it. */
export class WhyTracker {
  private prev = new Map<string, State>();

  /** Why each of `missed` (this commit's misses) was missed. */
  explain(keys: CommitKeys, cp: CommitProgram, missed: readonly ts.SourceFile[]): Reanalysis[] {
    return missed.map((sf): Reanalysis => {
      const file = keys.rel(sf);
      const p = this.prev.get(file);
      if (!p) return { file, why: 'new' };
      if (p.id !== (cp.ids.get(sf.fileName) ?? '?')) return { file, why: 'text' };
      if (p.reach !== keys.reach(sf)) return { file, why: 'reach' };
      const deps = [...p.parts].filter(([name, part]) => keys.depPart(name) !== part).map(([name]) => name);
      if (p.citePart !== keys.citePart(p.cites)) deps.push('cites');
      return { file, why: 'signature', deps };
    });
  }

  /** Remember this commit's files with their entries (after its analysis). */
  record(keys: CommitKeys, cp: CommitProgram, entries: readonly FileEntry[]): void {
    const byFile = new Map(entries.map((e) => [e.file, e]));
    const now = new Map<string, State>();
    for (const sf of keys.files) {
      const file = keys.rel(sf);
      const e = byFile.get(file);
      now.set(file, {
        id: cp.ids.get(sf.fileName) ?? '?', reach: keys.reach(sf),
        parts: new Map((e?.callers ?? []).map((n) => [n, keys.depPart(n)])), cites: e?.cites ?? [], citePart: keys.citePart(e?.cites ?? []),
      });
    }
    this.prev = now;
  }
}
