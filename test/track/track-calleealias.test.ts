/**
 * A store through a call (`items_of(p).push(b)`) names a container only when the called name is
 * a function: an alias of one (`export const items_of: … = pick_items`) calls none the analysis
 * follows. Which it is lies in the called name's declaration, which the storing declaration's
 * own code does not hold, in another file or beside it. Every commit — that declaration alone
 * turned into a function and back, in either file — gives a fresh analysis's answer, walked in
 * one run and commit by commit on one cache.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveSpec } from '../../src/model/builtin.ts';
import { BLOBWORLD, buildHistory, type BuiltHistory, readerKind, trackEachCommit } from './history.ts';

let dir: string;
let repo: string;
const spec = resolveSpec(join(BLOBWORLD, 'spec.json'));
let steps: BuiltHistory['steps'];
let fresh: BuiltHistory['fresh'];

const poolOf = (itemsOf: string): string => `import { Blob } from './blob.ts';
import { alloc_netbuf } from './net/buf.ts';

export class Pool {
  items: Blob[] = [];
}

export function keep_net(p: Pool, seq: number): void {
  p.items.push(alloc_netbuf(seq, 1));
}

export function pick_items(p: Pool): Blob[] {
  return p.items;
}

${itemsOf}
`;
const ALIAS = 'export const items_of: (p: Pool) => Blob[] = pick_items;';
const FUNCTION = 'export const items_of = (p: Pool): Blob[] => pick_items(p);';

beforeAll(() => {
  ({ dir, repo, steps, fresh } = buildHistory('track-calleealias', spec, (w, step) => {
    w('pool.ts', poolOf(ALIAS));
    w('reader.ts', `import { Pool } from './pool.ts';

export function first_slot(p: Pool): number {
  const b = p.items[0]!;
  return b.slot;
}
`);
    const stashOf = (own: string): string => `import { Blob } from './blob.ts';
import { alloc_cache_blob } from './cache.ts';
import { Pool, items_of, pick_items } from './pool.ts';

${own}

export function stash(p: Pool, c: number): void {
  items_of(p).push(alloc_cache_blob(c));
}

export function stash_own(p: Pool, c: number): void {
  own_items(p).push(alloc_cache_blob(c + 1));
}
`;
    const OWN_ALIAS = 'const own_items: (p: Pool) => Blob[] = pick_items;';
    w('stash.ts', stashOf(OWN_ALIAS));
    step('base: items_of and own_items are aliases of a function');
    w('pool.ts', poolOf(FUNCTION));
    step('pool: items_of is a function (the stash\'s text stays)');
    w('pool.ts', poolOf(ALIAS));
    step('pool: an alias again');
    w('stash.ts', stashOf('const own_items = (p: Pool): Blob[] => pick_items(p);'));
    step('stash: own_items, beside the storing function, is a function (that function\'s text stays)');
    w('stash.ts', stashOf(OWN_ALIAS));
    step('stash: an alias again');
  }));
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('track: a store through a call whose name is an alias, in another file or beside it', () => {
  it('the fresh analysis follows the call only when its name is a function', () => {
    const kinds = steps.map((s) => readerKind(fresh.get(s.sha)!));
    expect(kinds[0]).toBe('net');
    expect(kinds[1]).not.toBe('net');
    expect(kinds[2]).toBe('net');
    expect(kinds[3]).not.toBe('net');
    expect(kinds[4]).toBe('net');
  });

  it('every commit equals a fresh analysis, in one walk and commit by commit', async () => {
    await trackEachCommit(spec, repo, steps, fresh, join(dir, 'cache'));
  });
});
