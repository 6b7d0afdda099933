/**
 * A guard is a guard by its test's code (typeTests.ts): a body-only edit of a wrapper of a type
 * test, in another file, can turn it into no test at all. The tracker must then re-analyze the
 * files guarded by it (their analysis read that body: a `body:` dependency), and at every commit
 * its findings equal a fresh analysis of the checkout.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnalysisResult } from '../../src/model/findings.ts';
import { resolveSpec } from '../../src/model/builtin.ts';
import { trackHistory } from '../../src/track/track.ts';
import { analyzeEachCommit, BLOBWORLD, commitIn, editIn, gitIn } from './history.ts';

let dir: string;
let repo: string;
let spec: ReturnType<typeof resolveSpec>;
const shas: string[] = [];
const fresh = new Map<string, AnalysisResult>();

function findingsOf(r: AnalysisResult, file: string): string[] {
  return r.findings.filter((f) => f.file === file).map((f) => `${f.line}:${f.column} ${f.field} ${f.kind} ${f.confidence}: ${f.evidence.join(' | ')}`);
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'memdesc-track-guards-'));
  repo = join(dir, 'repo');
  cpSync(BLOBWORLD, join(repo, 'proj'), { recursive: true });
  spec = resolveSpec(join(BLOBWORLD, 'spec.json'));
  writeFileSync(join(repo, 'proj/src/probe_test.ts'), `import { IsNetBlob } from './helpers.ts';
import type { Blob } from './blob.ts';

/** A wrapper of net's type test, under a name the spec does not know. */
export function is_wire(b: Blob): boolean {
  return IsNetBlob(b);
}
`);
  writeFileSync(join(repo, 'proj/src/probe_guarded.ts'), `import type { Blob } from './blob.ts';
import { is_wire } from './probe_test.ts';

export function probe_guarded(b: Blob): number {
  if (!is_wire(b)) return 0;
  return b.slot;
}
`);
  gitIn(repo, 'init', '-q');
  shas.push(commitIn(repo, 'base: a wrapper of the net test guards probe_guarded()'));
  // Body only: same signature, but it tests nothing of the blob's flags any more.
  editIn(repo, 'src/probe_test.ts', '  return IsNetBlob(b);\n', '  return b !== null && IsNetBlob !== undefined;\n');
  shas.push(commitIn(repo, 'probe_test: the wrapper no longer tests the flags'));
  for (const [sha, r] of analyzeEachCommit(repo, join(dir, 'checkout'), shas, spec)) fresh.set(sha, r);
}, 120_000);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('track: a guard rests on its test\'s body', () => {
  it('the history decides probe_guarded() differently at each end', () => {
    expect(findingsOf(fresh.get(shas[0]!)!, 'src/probe_guarded.ts').join('\n')).toMatch(/ net guard:/);
    expect(findingsOf(fresh.get(shas[1]!)!, 'src/probe_guarded.ts').join('\n')).not.toMatch(/ guard:/);
  });

  it('a body-only edit of the wrapper re-analyzes the file it guards; every commit equals a fresh analysis', async () => {
    const steps = join(dir, 'cache-steps');
    for (const sha of shas) {
      const r = await trackHistory({ spec, repo, path: 'proj', range: sha, cacheDir: steps });
      expect(findingsOf(r.newest, 'src/probe_guarded.ts'), sha).toEqual(findingsOf(fresh.get(sha)!, 'src/probe_guarded.ts'));
      expect(r.newest.findings, sha).toEqual(fresh.get(sha)!.findings);
    }
  }, 120_000);
});
