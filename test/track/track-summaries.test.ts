/**
 * Callers reach what a function marks, not its body (track/marks.ts): `mk` passes its parameter
 * on and marks it, and `use` reaches it through `relay`. A body edit that keeps what `mk` marks
 * re-analyzes `mk`'s file alone; every edit that changes it — the mark moving to another line,
 * another kind, a second mark that conflicts, the mark coming from a callee in another file that
 * starts and stops marking while `mk`'s own text stays, no mark at all — gives the fresh answer.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveSpec } from '../../src/model/builtin.ts';
import type { AnalysisResult } from '../../src/model/findings.ts';
import { trackHistory } from '../../src/track/track.ts';
import { analyzeEachCommit, BLOBWORLD, blobworldWriter, commitIn, gitIn, trackEachCommit, writeRelayAndUser } from './history.ts';

let dir: string;
let repo: string;
const spec = resolveSpec(join(BLOBWORLD, 'spec.json'));
const steps: Array<{ sha: string; what: string }> = [];
const fresh = new Map<string, AnalysisResult>();

/** `mk`: its body's statements around a call of `inner` that passes the parameter on. */
const mark = (body: string): string => `import { Blob } from './blob.ts';
import { FLAG_CACHE, FLAG_NET } from './helpers.ts';
import { inner } from './inner.ts';

export function mk(b: Blob, n: number): void {
  if (n < 0) throw new Error('n');
${body}
  inner(b);
}
`;
const innerOf = (flag: string | undefined): string => `import { Blob } from './blob.ts';
import { FLAG_CACHE, FLAG_NET } from './helpers.ts';

export function inner(b: Blob): void {
  void FLAG_CACHE;
  void FLAG_NET;
  ${flag ? `b.flags = ${flag};` : 'void b;'}
}
`;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'memdesc-track-summaries-'));
  repo = join(dir, 'repo');
  const w = blobworldWriter(repo);
  const step = (what: string): void => {
    steps.push({ sha: commitIn(repo, what), what });
  };
  w('inner.ts', innerOf(undefined));
  w('mark.ts', mark('  b.flags = FLAG_NET;'));
  writeRelayAndUser(w, 'n');
  gitIn(repo, 'init', '-q');
  step('base: mk marks net');
  w('mark.ts', mark('  b.flags = FLAG_NET;\n  const twice = n * 2;\n  void twice;'));
  step('mk: a body edit below the mark (what it marks stays)');
  w('mark.ts', mark('  const twice = n * 2;\n  void twice;\n  b.flags = FLAG_NET;'));
  step('mk: the mark moves down two lines');
  w('mark.ts', mark('  const twice = n * 2;\n  void twice;\n  b.flags = FLAG_CACHE;'));
  step('mk: marks cache');
  w('mark.ts', mark('  b.flags = FLAG_NET;\n  b.flags = FLAG_CACHE;'));
  step('mk: marks both (a conflict)');
  w('mark.ts', mark('  void FLAG_CACHE;\n  void FLAG_NET;'));
  step('mk: marks nothing itself');
  w('inner.ts', innerOf('FLAG_NET'));
  step('inner: marks net (mk unchanged)');
  w('inner.ts', innerOf('FLAG_CACHE'));
  step('inner: marks cache');
  w('inner.ts', innerOf(undefined));
  step('inner: marks nothing again');
  for (const [sha, r] of analyzeEachCommit(repo, join(dir, 'checkout'), steps.map((s) => s.sha), spec)) fresh.set(sha, r);
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const useKind = (r: AnalysisResult): string | undefined => r.findings.find((f) => f.file === 'src/user.ts')?.kind;

describe('track: callers reach what a function marks (its summary), not its body', () => {
  it('the fresh analysis reads each mark through relay()', () => {
    expect(steps.map((s) => useKind(fresh.get(s.sha)!))).toEqual(['net', 'net', 'net', 'cache', 'unknown', 'unknown', 'net', 'cache', 'unknown']);
  });

  it('every commit equals a fresh analysis, in one walk and commit by commit; a body edit that keeps the marks redoes only its file', async () => {
    const cacheDir = join(dir, 'cache');
    const analyzed = await trackEachCommit(spec, repo, steps, fresh, cacheDir);
    // Walked again: the newest commit's summaries come from its point entry (no mark pass), and every file hits.
    const again = await trackHistory({ spec, repo, path: 'proj', range: steps.at(-1)!.sha, cacheDir });
    expect(again.newest.findings).toEqual(fresh.get(steps.at(-1)!.sha)!.findings);
    expect(again.report.cache.analyzedFiles).toBe(0);
    // Without plan status the newest commit too is read back (its point entry and its files' entries): no program.
    const read = await trackHistory({ spec, repo, path: 'proj', range: steps.at(-1)!.sha, cacheDir, facts: false });
    expect(read.newest.findings).toEqual(fresh.get(steps.at(-1)!.sha)!.findings);
    expect(read.newest.residue).toEqual(fresh.get(steps.at(-1)!.sha)!.residue);
    expect(read.report.points).toEqual(again.report.points);
    expect(read.stats.pointHits).toBe(steps.length);
    expect(() => read.newestFacts()).toThrow(/facts: true/);
    // Commit 1 edits mk's body below its mark: mark.ts alone (relay and user reach mk's signature and summary).
    expect(analyzed[1]).toBe(1);
    // The mark moved: mk's summary cites its new line, so relay (which reaches it) is redone; relay's
    // own summary cites its call of mk, unchanged, so use (which reaches relay's) keeps its entry.
    expect(analyzed[2]).toBe(2);
  });
});
