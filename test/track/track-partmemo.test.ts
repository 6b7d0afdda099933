/**
 * A dependency's part carried from one measured commit to the next (cache.ts PartMemo) must not
 * outlive what it read. take()'s kind is what its callers pass: in one walk (no disk cache, so
 * every commit is measured and the parts carry), an unrelated edit keeps its entry, a new file
 * calling it, the removal of its caller and an edit of the remaining caller each change its kind,
 * and every commit's point equals a fresh analysis of the checkout.
 */
import { mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnalysisResult } from '../../src/model/findings.ts';
import { resolveSpec } from '../../src/model/builtin.ts';
import { progressPoint } from '../../src/track/progress.ts';
import { trackHistory } from '../../src/track/track.ts';
import { analyzeEachCommit, BLOBWORLD, blobworldWriter, commitIn, editIn, gitIn } from './history.ts';

let dir: string;
let repo: string;
const spec = resolveSpec(join(BLOBWORLD, 'spec.json'));
const shas: string[] = [];
const fresh = new Map<string, AnalysisResult>();

const caller = (file: string, alloc: 'net' | 'cache'): string => `${alloc === 'net' ? "import { alloc_netbuf } from './net/buf.ts';" : "import { alloc_cache_blob } from './cache.ts';"}
import { take } from './take.ts';

export function feed_${file}(): number {
  return take(${alloc === 'net' ? 'alloc_netbuf(1, 2)' : 'alloc_cache_blob(1)'});
}
`;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'memdesc-track-partmemo-'));
  repo = join(dir, 'repo');
  const w = blobworldWriter(repo);
  w('take.ts', `import { Blob } from './blob.ts';

export function take(t: Blob): number {
  return t.owner + 1;
}
`);
  w('caller.ts', caller('a', 'net'));
  gitIn(repo, 'init', '-q');
  shas.push(commitIn(repo, 'base: one caller passes a net buffer'));
  editIn(repo, 'src/net/buf.ts', '/** Network buffers', '/** Network buffers (comment only)');
  shas.push(commitIn(repo, 'net: comment'));
  w('caller2.ts', caller('b', 'cache'));
  shas.push(commitIn(repo, 'a new file calls take() with a cache blob'));
  unlinkSync(join(repo, 'proj/src/caller.ts'));
  shas.push(commitIn(repo, 'the net caller goes'));
  w('caller2.ts', caller('b', 'net'));
  shas.push(commitIn(repo, 'the remaining caller passes a net buffer'));
  for (const [sha, r] of analyzeEachCommit(repo, join(dir, 'checkout'), shas, spec)) fresh.set(sha, r);
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const takeKind = (r: AnalysisResult): string => r.findings.filter((f) => f.file === 'src/take.ts').map((f) => f.kind).join(',');

describe('track: dependency parts carried across commits', () => {
  it('the history changes take()\'s kind at every step but the comment edit', () => {
    const kinds = shas.map((s) => takeKind(fresh.get(s)!));
    expect(kinds[1]).toBe(kinds[0]);
    for (const i of [2, 3, 4]) expect(kinds[i], `commit ${i + 1}`).not.toBe(kinds[i - 1]);
  });

  it('one walk equals a fresh analysis at every commit, and the comment edit re-analyzes its file alone', async () => {
    const analyzed: number[] = [];
    const { report, newest } = await trackHistory({ spec, repo, path: 'proj', cacheDir: false, onReanalyze: (_c, files) => analyzed.push(files.length) });
    report.points.forEach((p, i) => {
      const want = progressPoint(fresh.get(shas[i]!)!, spec, { commit: p.commit, subject: p.subject, date: p.date });
      expect({ kinds: p.kinds, unknown: p.unknown, residue: p.residue }, `commit ${i + 1}: ${p.subject}`).toEqual({ kinds: want.kinds, unknown: want.unknown, residue: want.residue });
    });
    expect(newest.findings).toEqual(fresh.get(shas.at(-1)!)!.findings);
    expect(analyzed[1]).toBe(1);
  });
});
