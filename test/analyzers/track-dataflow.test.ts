/**
 * Data flow crosses files that do not import each other: a blob stored into a struct field in
 * one file decides the kind of a blob read back from that field in another. The file that reads
 * records the storing declaration and the field's name as dependencies (`store:REL#NAME`,
 * `stored:N` in callerDeps), so `memdesc track` re-analyzes it when the store changes or a new file stores
 * into the field, and at every commit the tracker's findings equal a
 * fresh analysis of the checkout.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveSpec } from '../../src/model/builtin.ts';
import type { AnalysisResult } from '../../src/model/findings.ts';
import { trackHistory } from '../../src/track/track.ts';
import { analyzeEachCommit, BLOBWORLD, commitIn, editIn, gitIn } from '../track/history.ts';

let dir: string;
let repo: string;
let cacheDir: string;
const spec = resolveSpec(join(BLOBWORLD, 'spec.json'));
const shas: string[] = [];
const fresh = new Map<string, AnalysisResult>();

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'memdesc-track-dataflow-'));
  repo = join(dir, 'repo');
  cacheDir = join(dir, 'cache');
  cpSync(BLOBWORLD, join(repo, 'proj'), { recursive: true });
  writeFileSync(join(repo, 'proj/src/holder.ts'), `import { Blob } from './blob.ts';

export class Holder {
  b: Blob | null = null;
}
`);
  // keep.ts stores into the holder; peek.ts reads it back and imports only holder.ts.
  writeFileSync(join(repo, 'proj/src/keep.ts'), `import { Holder } from './holder.ts';
import { alloc_netbuf } from './net/buf.ts';
import { alloc_cache_blob } from './cache.ts';

export function fill(h: Holder): void {
  h.b = alloc_netbuf(1, 2);
}

export function other(): number {
  return alloc_cache_blob(0).flags;
}
`);
  writeFileSync(join(repo, 'proj/src/peek.ts'), `import { Holder } from './holder.ts';

export function peek(h: Holder): number {
  const b = h.b;
  return b ? b.slot : 0;
}
`);
  gitIn(repo, 'init', '-q');
  shas.push(commitIn(repo, 'base'));
  editIn(repo, 'src/keep.ts', 'h.b = alloc_netbuf(1, 2);', 'h.b = alloc_cache_blob(3);');
  shas.push(commitIn(repo, 'keep: the holder keeps a cache blob now'));
  // A new file storing another kind into the same field: the reader becomes generic.
  writeFileSync(join(repo, 'proj/src/keep2.ts'), `import { Holder } from './holder.ts';
import { alloc_netbuf } from './net/buf.ts';

export function fill_net(h: Holder): void {
  h.b = alloc_netbuf(4, 5);
}
`);
  shas.push(commitIn(repo, 'keep2: a second store of a net buffer'));
  for (const [sha, r] of analyzeEachCommit(repo, join(dir, 'checkout'), shas, spec)) fresh.set(sha, r);
}, 60_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('track: a kind decided through a field stored in another file', () => {
  it('the fresh analysis follows the stores: net, then cache, then both (unknown)', () => {
    const kind = (sha: string) => fresh.get(sha)!.findings.find((f) => f.file === 'src/peek.ts')?.kind;
    expect(shas.map(kind)).toEqual(['net', 'cache', 'unknown']);
  });

  it('the tracker re-analyzes the reader when the store changes, and equals a fresh analysis', async () => {
    for (const sha of shas) {
      const { newest } = await trackHistory({ spec, repo, path: 'proj', range: sha, cacheDir });
      expect(newest.findings.filter((f) => f.file === 'src/peek.ts')).toEqual(fresh.get(sha)!.findings.filter((f) => f.file === 'src/peek.ts'));
      expect(newest.findings).toEqual(fresh.get(sha)!.findings);
    }
  });
});
