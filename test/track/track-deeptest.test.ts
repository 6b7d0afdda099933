/**
 * A type test whose verdict rests on a helper body two calls deep: `IsNetBlob` tests the word
 * `flags_word()` hands back, which hands back what `word_of()` returns. Whether `IsNetBlob` is a
 * test decides the marker constants (dataflow.ts findMarkerConsts) that every file's marks are
 * read against, so every key holds the bodies a type test's verdict may read, however deep
 * (deps.ts DepGraph.commit): an edit of `word_of()` that makes it no test, and back, gives a fresh
 * analysis's answer at every commit, walked in one run and commit by commit on one cache.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveSpec } from '../../src/model/builtin.ts';
import type { AnalysisResult } from '../../src/model/findings.ts';
import { analyzeEachCommit, BLOBWORLD, blobworldWriter, commitIn, gitIn, NETMARK, netmarkKind, routeNetTest, trackEachCommit } from './history.ts';

let dir: string;
let repo: string;
const spec = resolveSpec(join(BLOBWORLD, 'spec.json'));
const steps: Array<{ sha: string; what: string }> = [];
const fresh = new Map<string, AnalysisResult>();

const wordOf = (ret: string): string => `/** The word itself, for the tests to mask. */
export function word_of(w: number): number {
  return ${ret};
}
`;
const bitsOf = (ret: string): string => `import { word_of } from './word.ts';

export function flags_word(w: number): number {
  return ${ret};
}
`;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'memdesc-track-deeptest-'));
  repo = join(dir, 'repo');
  const w = blobworldWriter(repo);
  const step = (what: string): void => {
    steps.push({ sha: commitIn(repo, what), what });
  };
  routeNetTest(repo, "import { flags_word } from './bits.ts';", (f) => `flags_word(${f})`);
  w('word.ts', wordOf('w'));
  w('bits.ts', bitsOf('word_of(w)'));
  w('netmark.ts', NETMARK);
  gitIn(repo, 'init', '-q');
  step('base: IsNetBlob tests the word word_of() hands back through flags_word()');
  w('word.ts', wordOf('7'));
  step('word: word_of() hands back a constant (IsNetBlob is no test)');
  w('word.ts', wordOf('w'));
  step('word: the word again');
  w('bits.ts', bitsOf('3'));
  step('bits: flags_word() hands back a constant');
  w('bits.ts', bitsOf('word_of(w)'));
  step('bits: the word again');
  for (const [sha, r] of analyzeEachCommit(repo, join(dir, 'checkout'), steps.map((s) => s.sha), spec)) fresh.set(sha, r);
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('track: a type test whose verdict rests on a helper two calls deep', () => {
  it('the fresh analysis reads the mark only while IsNetBlob is a test', () => {
    const kinds = steps.map((s) => netmarkKind(fresh.get(s.sha)!));
    expect(kinds[0]).toBe('net');
    expect(kinds[1]).not.toBe('net');
    expect(kinds[2]).toBe('net');
    expect(kinds[3]).not.toBe('net');
    expect(kinds[4]).toBe('net');
  });

  it('every commit equals a fresh analysis, in one walk and commit by commit', async () => {
    await trackEachCommit(spec, repo, steps, fresh, join(dir, 'cache'));
  });
});
