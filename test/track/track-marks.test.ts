/**
 * A function marks its page parameter when a mark lies on every normal path through it — also
 * inside a branch whose other side throws. Its callers read that from its body, so an edit of the
 * mark there must re-analyze them: at every commit the tracker's findings equal a fresh analysis.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveSpec } from '../../src/model/builtin.ts';
import type { AnalysisResult } from '../../src/model/findings.ts';
import { trackHistory } from '../../src/track/track.ts';
import { analyzeEachCommit, BLOBWORLD, blobworldWriter, commitIn, gitIn } from './history.ts';

let dir: string;
let repo: string;
const spec = resolveSpec(join(BLOBWORLD, 'spec.json'));
const shas: string[] = [];
const fresh = new Map<string, AnalysisResult>();

const marker = (flag: string | undefined): string => `import { Blob } from './blob.ts';
import { FLAG_CACHE, FLAG_NET } from './helpers.ts';

export function mk(b: Blob, ok: boolean): void {
  const n = FLAG_CACHE + FLAG_NET;
  if (!ok) {
    throw new Error('no');
  } else {
    ${flag ? `b.flags = ${flag};` : 'void b;'}
  }
  void n;
}
`;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'memdesc-track-marks-'));
  repo = join(dir, 'repo');
  const w = blobworldWriter(repo);
  w('mark.ts', marker(undefined));
  w('user.ts', `import { Blob } from './blob.ts';
import { mk } from './mark.ts';

export function use(b: Blob): number {
  mk(b, true);
  return b.slot;
}
`);
  gitIn(repo, 'init', '-q');
  shas.push(commitIn(repo, 'base'));
  w('mark.ts', marker('FLAG_NET'));
  shas.push(commitIn(repo, 'mark: a net blob'));
  w('mark.ts', marker('FLAG_CACHE'));
  shas.push(commitIn(repo, 'mark: a cache blob'));
  for (const [sha, r] of analyzeEachCommit(repo, join(dir, 'checkout'), shas, spec)) fresh.set(sha, r);
}, 60_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('track: a mark on every path, inside a branch', () => {
  it('the fresh analysis reads the mark: none, net, then cache', () => {
    const kind = (sha: string): string | undefined => fresh.get(sha)!.findings.find((f) => f.file === 'src/user.ts')?.kind;
    expect(shas.map(kind)).toEqual(['unknown', 'net', 'cache']);
  });

  it('the tracker equals a fresh analysis at every commit', async () => {
    const cacheDir = join(dir, 'cache');
    for (const sha of shas) {
      const { newest } = await trackHistory({ spec, repo, path: 'proj', range: sha, cacheDir });
      expect(newest.findings).toEqual(fresh.get(sha)!.findings);
    }
  });
});
