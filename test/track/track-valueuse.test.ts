/**
 * Value use across files: a site with no code evidence of its own takes the kind its value's use
 * has at a site the code decided in another file (`sock_lookup(b.owner)` in both). The tracker
 * analyzes the teachers with the learner (they may be cached), re-analyzes the learner when a
 * teacher changes kind or a new one appears, and not when an unrelated file changes; at every
 * commit its findings equal a fresh analysis of the checkout.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveSpec } from '../../src/model/builtin.ts';
import type { AnalysisResult } from '../../src/model/findings.ts';
import { trackHistory } from '../../src/track/track.ts';
import { analyzeEachCommit, BLOBWORLD, commitIn, gitIn } from './history.ts';

let dir: string;
let repo: string;
const spec = resolveSpec(join(BLOBWORLD, 'spec.json'));
const shas: string[] = [];
const fresh = new Map<string, AnalysisResult>();

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'memdesc-track-valueuse-'));
  repo = join(dir, 'repo');
  cpSync(BLOBWORLD, join(repo, 'proj'), { recursive: true });
  const w = (f: string, text: string): void => writeFileSync(join(repo, 'proj/src', f), text);
  w('sock.ts', `export function sock_lookup(sock: number): number {
  return sock * 2;
}
`);
  w('known.ts', `import { alloc_netbuf } from './net/buf.ts';
import { sock_lookup } from './sock.ts';

export function known(): number {
  const b = alloc_netbuf(1, 2);
  return sock_lookup(b.owner);
}
`);
  w('open.ts', `import { Blob } from './blob.ts';
import { sock_lookup } from './sock.ts';

export function open_sock(b: Blob): number {
  return sock_lookup(b.owner);
}
`);
  w('other.ts', `export function other(x: number): number {
  return x + 1;
}
`);
  gitIn(repo, 'init', '-q');
  shas.push(commitIn(repo, 'base'));
  w('other.ts', `export function other(x: number): number {
  return x + 2;
}

export function more(): number {
  return 3;
}
`);
  shas.push(commitIn(repo, 'other: unrelated'));
  // The teacher changes kind: the learner follows.
  w('known.ts', `import { alloc_cache_blob } from './cache.ts';
import { sock_lookup } from './sock.ts';

export function known(): number {
  const b = alloc_cache_blob(3);
  return sock_lookup(b.owner);
}
`);
  shas.push(commitIn(repo, 'known: a cache blob'));
  w('other.ts', `export function other(x: number): number {
  return x + 3;
}
`);
  shas.push(commitIn(repo, 'other: unrelated again'));
  // A second teacher of the other kind, in a new file: the learner is left open.
  w('known2.ts', `import { alloc_netbuf } from './net/buf.ts';
import { sock_lookup } from './sock.ts';

export function known2(): number {
  return sock_lookup(alloc_netbuf(4, 5).owner);
}
`);
  shas.push(commitIn(repo, 'known2: a net teacher'));
  for (const [sha, r] of analyzeEachCommit(repo, join(dir, 'checkout'), shas, spec)) fresh.set(sha, r);
}, 60_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('track: value use learned in another file', () => {
  it('the fresh analysis decides open.ts by value use, as at known.ts', () => {
    const f = fresh.get(shas[0]!)!.findings.find((x) => x.file === 'src/open.ts');
    expect(f?.kind).toBe('net');
    expect(f?.evidence[0]).toMatch(/^value use: .*known\.ts/);
  });

  it('the learner follows its teachers: net, net, cache, cache, open', () => {
    const kind = (sha: string): string | undefined => fresh.get(sha)!.findings.find((x) => x.file === 'src/open.ts')?.kind;
    expect(shas.map(kind)).toEqual(['net', 'net', 'cache', 'cache', 'unknown']);
  });

  it('an unrelated edit re-analyzes the edited file alone: the learner depends on its teachers, not on every file', async () => {
    const cacheDir = join(dir, 'cache-unrelated');
    for (const i of [1, 3]) {
      await trackHistory({ spec, repo, path: 'proj', range: shas[i - 1], cacheDir });
      const r = await trackHistory({ spec, repo, path: 'proj', range: shas[i], cacheDir });
      expect(r.report.cache.analyzedFiles, `commit ${i + 1}`).toBe(1);
    }
  });

  it('the tracker equals a fresh analysis at every commit', async () => {
    const cacheDir = join(dir, 'cache');
    for (const sha of shas) {
      const { newest } = await trackHistory({ spec, repo, path: 'proj', range: sha, cacheDir });
      expect(newest.findings).toEqual(fresh.get(sha)!.findings);
    }
    const { report, newest } = await trackHistory({ spec, repo, path: 'proj', cacheDir: false });
    expect(report.points.map((p) => p.commit)).toEqual(shas);
    expect(newest.findings).toEqual(fresh.get(shas[shas.length - 1]!)!.findings);
  });
});
