/**
 * A container's seeds: a spec allocator that returns what a container holds (`return p.items[0]`)
 * says that container holds its kind's pages. The allocators are found by name in the whole
 * program, so a namesake declared in a new file, which the container's reader never names, seeds
 * it too. Every commit — such a file added, then removed — gives a fresh analysis's answer,
 * walked in one run and commit by commit on one cache.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveSpec } from '../../src/model/builtin.ts';
import { BLOBWORLD, buildHistory, type BuiltHistory, readerKind, trackEachCommit } from './history.ts';

let dir: string;
let repo: string;
const base = resolveSpec(join(BLOBWORLD, 'spec.json'));
// The net kind gains an allocator no commit declares at first.
const spec = { ...base, kinds: base.kinds.map((k) => (k.name === 'net' ? { ...k, provenance: [...k.provenance, { call: 'net_take' }] } : k)) };
let steps: BuiltHistory['steps'];
let fresh: BuiltHistory['fresh'];

beforeAll(() => {
  ({ dir, repo, steps, fresh } = buildHistory('track-seeds', spec, (w, step, repo) => {
    w('pool.ts', `import { Blob } from './blob.ts';
import { alloc_cache_blob } from './cache.ts';

export class Pool {
  items: Blob[] = [];
}

export function keep_cache(p: Pool, c: number): void {
  p.items.push(alloc_cache_blob(c));
}
`);
    w('reader.ts', `import { Pool } from './pool.ts';

export function first_slot(p: Pool): number {
  const b = p.items[0]!;
  return b.slot;
}
`);
    step('base: the pool holds cache blobs');
    w('netpool.ts', `import { Blob } from './blob.ts';
import { Pool } from './pool.ts';

export function net_take(p: Pool): Blob {
  return p.items[0]!;
}
`);
    step('netpool: the first net_take, a net allocator by the spec, hands out what the pool holds');
    rmSync(join(repo, 'proj/src/netpool.ts'));
    step('netpool: gone');
  }));
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('track: a container seeded by an allocator declared in a new file', () => {
  it('the fresh analysis seeds the pool from the namesake', () => {
    const kinds = steps.map((s) => readerKind(fresh.get(s.sha)!));
    expect(kinds[0]).toBe('cache');
    expect(kinds[1]).not.toBe('cache');
    expect(kinds[2]).toBe('cache');
  });

  it('every commit equals a fresh analysis, in one walk and commit by commit', async () => {
    await trackEachCommit(spec, repo, steps, fresh, join(dir, 'cache'));
  });
});
