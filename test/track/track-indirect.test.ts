/**
 * A store reached only through a call (`items_of(p).push(b)`, `link_push(b.link, head_of())`) in a
 * file that does not name the container: the container's readers depend on it too
 * (cache.ts `stored:`: every store whose container is named through a local, a parameter or a
 * call). Every commit — such a store added in a new file, its value changed, the called function
 * handing out another container and back, the store gone, a list node linked into a head a call
 * hands out (`link_push(b.link, head_of())`) — gives a fresh analysis's answer, walked in one run and commit by commit on one cache.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

const stashOf = (alloc: string): string => `import { alloc_cache_blob } from './cache.ts';
import { alloc_netbuf } from './net/buf.ts';
import { Pool, items_of } from './pool.ts';

export function stash(p: Pool, c: number): void {
  items_of(p).push(${alloc});
}
`;

const itemsOf = (what: string): string => `export function items_of(p: Pool): Blob[] {
  return ${what};
}
`;

const poolOf = (what: string): string => `import { Blob } from './blob.ts';
import { alloc_netbuf } from './net/buf.ts';

export class Pool {
  items: Blob[] = [];
  spare: Blob[] = [];
}

export function keep_net(p: Pool, seq: number): void {
  p.items.push(alloc_netbuf(seq, 1));
}

${itemsOf(what)}`;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'memdesc-track-indirect-'));
  repo = join(dir, 'repo');
  const w = blobworldWriter(repo);
  const step = (what: string): void => {
    steps.push({ sha: commitIn(repo, what), what });
  };
  w('pool.ts', poolOf('p.items'));
  w('reader.ts', `import { Pool } from './pool.ts';

export function first_slot(p: Pool): number {
  const b = p.items[0]!;
  return b.slot;
}
`);
  // The cache list's head through a call, for a store that links into it without naming it.
  const cacheTs = join(repo, 'proj/src/cache.ts');
  writeFileSync(cacheTs, `${readFileSync(cacheTs, 'utf8')}\nexport function head_of(): Link {\n  return cache_head;\n}\n`);
  gitIn(repo, 'init', '-q');
  step('base: the pool holds net buffers');
  w('stash.ts', stashOf('alloc_cache_blob(c)'));
  step('stash: a cache store through a call, in a file that does not name the container');
  w('stash.ts', stashOf('alloc_netbuf(c, 2)'));
  step('stash: it stores a net buffer');
  w('stash.ts', stashOf('alloc_cache_blob(c + 1)'));
  step('stash: a cache buffer again');
  w('pool.ts', poolOf('p.spare'));
  step('pool: items_of() hands out another container (the stash\'s text stays)');
  w('pool.ts', poolOf('p.items'));
  step('pool: items_of() hands out the pool\'s items again');
  rmSync(join(repo, 'proj/src/stash.ts'));
  step('stash: gone');
  w('lstash.ts', `import { head_of } from './cache.ts';
import { link_push } from './link.ts';
import { alloc_netbuf } from './net/buf.ts';

export function lstash(seq: number): void {
  link_push(alloc_netbuf(seq, 3).link, head_of());
}
`);
  step('lstash: a net buffer linked into the cache list through a call (the file never names the head)');
  rmSync(join(repo, 'proj/src/lstash.ts'));
  step('lstash: gone');
  for (const [sha, r] of analyzeEachCommit(repo, join(dir, 'checkout'), steps.map((s) => s.sha), spec)) fresh.set(sha, r);
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const readerKind = (r: AnalysisResult): string | undefined => r.findings.find((f) => f.file === 'src/reader.ts')?.kind;

describe('track: a store through a call in a file that does not name the container', () => {
  it('the fresh analysis sees the store', () => {
    const kinds = steps.map((s) => readerKind(fresh.get(s.sha)!));
    expect(kinds[0]).toBe('net');
    expect(kinds[1]).not.toBe('net');
    expect(kinds[2]).toBe('net');
    expect(kinds[3]).not.toBe('net');
    expect(kinds[4]).toBe('net');
    expect(kinds[5]).not.toBe('net');
    expect(kinds[6]).toBe('net');
    // The cache list's readers (cache.ts) see the linked net buffer, and lose it again.
    const cacheKinds = steps.map((s) => JSON.stringify(fresh.get(s.sha)!.findings.filter((f) => f.file === 'src/cache.ts').map((f) => f.kind)));
    expect(cacheKinds[7]).not.toBe(cacheKinds[6]);
    expect(cacheKinds[8]).toBe(cacheKinds[6]);
  });

  it('every commit equals a fresh analysis, in one walk and commit by commit', async () => {
    await trackEachCommit(spec, repo, steps, fresh, join(dir, 'cache'));
  });
});
