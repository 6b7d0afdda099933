/**
 * A store whose container is a module constant of another file (`dest.push(b)`, `export const
 * dest = pool.items` in target.ts): which container the store fills is that constant's
 * initializer, which neither the storing declaration's code nor the reader's own reach holds.
 * Every commit — the initializer alone switched to another container and back — gives a fresh
 * analysis's answer, walked in one run and commit by commit on one cache.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveSpec } from '../../src/model/builtin.ts';
import { BLOBWORLD, buildHistory, type BuiltHistory, readerKind, trackEachCommit, writePoolOfTwoLists } from './history.ts';

let dir: string;
let repo: string;
const spec = resolveSpec(join(BLOBWORLD, 'spec.json'));
let steps: BuiltHistory['steps'];
let fresh: BuiltHistory['fresh'];

const targetOf = (field: string): string => `import { Pool } from './pool.ts';

export const shared = new Pool();
export const dest = shared.${field};
`;

beforeAll(() => {
  ({ dir, repo, steps, fresh } = buildHistory('track-constinit', spec, (w, step) => {
    writePoolOfTwoLists(w);
    w('target.ts', targetOf('spare'));
    w('stash.ts', `import { alloc_cache_blob } from './cache.ts';
import { dest } from './target.ts';

export function stash(c: number): void {
  dest.push(alloc_cache_blob(c));
}
`);
    step('base: the stash fills the spare list');
    w('target.ts', targetOf('items'));
    step('target: the constant names the pool\'s items (nothing else changes)');
    w('target.ts', targetOf('spare'));
    step('target: the spare list again');
  }));
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('track: a store into another file\'s module constant', () => {
  it('the fresh analysis follows the constant\'s initializer', () => {
    const kinds = steps.map((s) => readerKind(fresh.get(s.sha)!));
    expect(kinds[0]).toBe('net');
    expect(kinds[1]).not.toBe('net');
    expect(kinds[2]).toBe('net');
  });

  it('every commit equals a fresh analysis, in one walk and commit by commit', async () => {
    await trackEachCommit(spec, repo, steps, fresh, join(dir, 'cache'));
  });
});
