/**
 * A store whose container is an imported module constant (`dest.push(b)`): which declaration
 * `dest` is lies in the storing file's import of it, a unit the storing declaration's own code
 * does not hold. Every commit — that import alone switched to another module's `dest` (another
 * container) and back — gives a fresh analysis's answer, walked in one run and commit by commit
 * on one cache.
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
  ({ dir, repo, steps, fresh } = buildHistory('track-importswitch', spec, (w, step) => {
    writePoolOfTwoLists(w);
    w('target.ts', targetOf('spare'));
    w('target2.ts', targetOf('items'));
    const stashOf = (from: string): string => `import { alloc_cache_blob } from './cache.ts';
import { dest } from './${from}';

export function stash(c: number): void {
  dest.push(alloc_cache_blob(c));
}
`;
    w('stash.ts', stashOf('target.ts'));
    step('base: the stash fills the spare list');
    w('stash.ts', stashOf('target2.ts'));
    step('stash: its import names another module\'s constant, the pool\'s items (the storing function stays)');
    w('stash.ts', stashOf('target.ts'));
    step('stash: the spare list again');
  }));
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('track: a store through an import switched to another module', () => {
  it('the fresh analysis follows the import', () => {
    const kinds = steps.map((s) => readerKind(fresh.get(s.sha)!));
    expect(kinds[0]).toBe('net');
    expect(kinds[1]).not.toBe('net');
    expect(kinds[2]).toBe('net');
  });

  it('every commit equals a fresh analysis, in one walk and commit by commit', async () => {
    await trackEachCommit(spec, repo, steps, fresh, join(dir, 'cache'));
  });
});
