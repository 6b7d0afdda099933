/**
 * A module variable marked by another file's function: its readers' marks come from that file,
 * which they need not reach by name (the reader names the variable's own file). A reader depends
 * on every declaration that may mark the variable (provenance.ts MARKED_DEP, cache.ts), so every
 * commit — the marking function's kind changed in its own file, the mark gone, back — gives a
 * fresh analysis's answer, walked in one run and commit by commit on one cache.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveSpec } from '../../src/model/builtin.ts';
import type { AnalysisResult } from '../../src/model/findings.ts';
import { analyzeEachCommit, BLOBWORLD, blobworldWriter, commitIn, gitIn, trackEachCommit } from './history.ts';

let dir: string;
let repo: string;
const spec = resolveSpec(join(BLOBWORLD, 'spec.json'));
const steps: Array<{ sha: string; what: string }> = [];
const fresh = new Map<string, AnalysisResult>();

const setupOf = (flag: string | undefined): string => `import { FLAG_CACHE, FLAG_NET } from './helpers.ts';
import { current as cur } from './cur.ts';

export function setup(): void {
  void FLAG_CACHE;
  void FLAG_NET;
  ${flag ? `cur.flags = ${flag};` : 'void cur;'}
}
`;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'memdesc-track-modvar-'));
  repo = join(dir, 'repo');
  const w = blobworldWriter(repo);
  const step = (what: string): void => {
    steps.push({ sha: commitIn(repo, what), what });
  };
  w('cur.ts', `import { Blob } from './blob.ts';

export const current = new Blob(0x2000);
`);
  w('reader.ts', `import { current } from './cur.ts';

export function cur_slot(): number {
  return current.slot;
}
`);
  w('setup.ts', setupOf('FLAG_NET'));
  gitIn(repo, 'init', '-q');
  step('base: setup() marks the current blob net');
  w('setup.ts', setupOf('FLAG_CACHE'));
  step('setup: it marks it cache');
  w('setup.ts', setupOf(undefined));
  step('setup: no mark');
  w('setup.ts', setupOf('FLAG_NET'));
  step('setup: net again');
  for (const [sha, r] of analyzeEachCommit(repo, join(dir, 'checkout'), steps.map((s) => s.sha), spec)) fresh.set(sha, r);
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const readerKind = (r: AnalysisResult): string | undefined => r.findings.find((f) => f.file === 'src/reader.ts')?.kind;

describe('track: a module variable marked by another file', () => {
  it('the fresh analysis reads the mark', () => {
    expect(steps.map((s) => readerKind(fresh.get(s.sha)!))).toEqual(['net', 'cache', 'unknown', 'net']);
  });

  it('every commit equals a fresh analysis, in one walk and commit by commit', async () => {
    await trackEachCommit(spec, repo, steps, fresh, join(dir, 'cache'));
  });
});
