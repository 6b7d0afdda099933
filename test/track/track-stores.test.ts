/**
 * A reader of a container depends on the declarations storing into it, not on their whole file
 * (provenance.ts STORE_DEP), and on the declarations naming the container that hold a store, not
 * on every one naming it (STORED_DEP): an edit elsewhere in the storing file, or of a function that
 * only reads the container, keeps the reader's entry, and
 * every edit that changes what the container holds — a store added in another declaration of the
 * same file, removed again, one added in another file, the storing declaration itself edited —
 * gives a fresh analysis's answer.
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

const poolOf = (opts: { other: string; cacheStore?: boolean; netSeq?: number }): string => `import { Blob } from './blob.ts';
import { alloc_cache_blob } from './cache.ts';
import { alloc_netbuf } from './net/buf.ts';

export class Pool {
  items: Blob[] = [];
}

export function keep_net(p: Pool, seq: number): void {
  const b = alloc_netbuf(seq + ${opts.netSeq ?? 0}, 1);
  p.items.push(b);
}
${opts.cacheStore ? `
export function keep_cache(p: Pool, c: number): void {
  p.items.push(alloc_cache_blob(c));
}
` : ''}
export function other(n: number): number {
  ${opts.other}
}
`;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'memdesc-track-stores-'));
  repo = join(dir, 'repo');
  const w = blobworldWriter(repo);
  const step = (what: string): void => {
    steps.push({ sha: commitIn(repo, what), what });
  };
  w('pool.ts', poolOf({ other: 'return n + 1;' }));
  w('reader.ts', `import { Pool } from './pool.ts';

export function first_slot(p: Pool): number {
  const b = p.items[0]!;
  return b.slot;
}
`);
  const stats = (body: string): string => `import { Pool } from './pool.ts';

export function count(p: Pool): number {
  ${body}
}
`;
  w('stats.ts', stats('return p.items.length;'));
  gitIn(repo, 'init', '-q');
  step('base: the pool holds net buffers');
  w('stats.ts', stats('const n = p.items.length;\n  return n;'));
  step('stats: an edit of a declaration naming the container that stores nothing');
  w('pool.ts', poolOf({ other: 'const twice = n * 2;\n  return twice + 1;' }));
  step('pool: an edit of another declaration of the storing file');
  w('pool.ts', poolOf({ other: 'const twice = n * 2;\n  return twice + 1;', cacheStore: true }));
  step('pool: a cache store beside the net one');
  w('pool.ts', poolOf({ other: 'const twice = n * 2;\n  return twice + 1;' }));
  step('pool: the cache store goes');
  w('pool.ts', poolOf({ other: 'const twice = n * 2;\n  return twice + 1;', netSeq: 1 }));
  step('pool: the storing declaration edited');
  w('extra.ts', `import { alloc_cache_blob } from './cache.ts';
import { Pool } from './pool.ts';

export function stash(p: Pool, c: number): void {
  p.items.push(alloc_cache_blob(c));
}
`);
  step('extra: a cache store in another file');
  for (const [sha, r] of analyzeEachCommit(repo, join(dir, 'checkout'), steps.map((s) => s.sha), spec)) fresh.set(sha, r);
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const readerKind = (r: AnalysisResult): string | undefined => r.findings.find((f) => f.file === 'src/reader.ts')?.kind;

describe('track: a container reader depends on the declarations storing into it', () => {
  it('the fresh analysis reads the pool by its stores', () => {
    const kinds = steps.map((s) => readerKind(fresh.get(s.sha)!));
    expect(kinds[0]).toBe('net');
    expect(kinds[3]).not.toBe('net');
    expect(kinds[4]).toBe('net');
    expect(kinds[6]).not.toBe('net');
  });

  it('every commit equals a fresh analysis, in one walk and commit by commit; an edit elsewhere in the storing file keeps the reader', async () => {
    const analyzed = await trackEachCommit(spec, repo, steps, fresh, join(dir, 'cache'));
    // Commit 1 edits count(), which names the container but stores nothing: stats.ts alone.
    expect(analyzed[1]).toBe(1);
    // Commit 2 edits other(), which stores nothing: pool.ts alone.
    expect(analyzed[2]).toBe(1);
  });
});
