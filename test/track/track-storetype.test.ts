/**
 * A store through a call (`items_of(p).push(thing)`) counts only when its value is a page, by the
 * value's type; that type may come from another file (`export const thing: unknown = …` in
 * thing.ts), which the storing declaration's own code does not hold. Every commit — the value's
 * declared type alone dropped and put back — gives a fresh analysis's answer, walked in one run
 * and commit by commit on one cache.
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

const thingOf = (type: string): string => `import { alloc_cache_blob } from './cache.ts';

export const thing${type} = alloc_cache_blob(1);
`;

beforeAll(() => {
  ({ dir, repo, steps, fresh } = buildHistory('track-storetype', spec, (w, step) => {
    w('pool.ts', `import { alloc_netbuf } from './net/buf.ts';

export class Pool {
  items: unknown[] = [];
}

export function keep_net(p: Pool, seq: number): void {
  p.items.push(alloc_netbuf(seq, 1));
}

export function items_of(p: Pool): unknown[] {
  return p.items;
}
`);
    w('reader.ts', `import { Blob } from './blob.ts';
import { Pool } from './pool.ts';

export function first_slot(p: Pool): number {
  const b = p.items[0] as Blob;
  return b.slot;
}
`);
    w('thing.ts', thingOf(': unknown'));
    w('stash.ts', `import { Pool, items_of } from './pool.ts';
import { thing } from './thing.ts';

export function stash(p: Pool): void {
  items_of(p).push(thing);
}
`);
    step('base: the stashed value is no page by its type');
    w('thing.ts', thingOf(''));
    step('thing: its type is the cache blob it holds (the stash\'s text stays)');
    w('thing.ts', thingOf(': unknown'));
    step('thing: no page by its type again');
  }));
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('track: a store through a call, refused by its value\'s type declared in another file', () => {
  it('the fresh analysis counts the store only when its value is a page', () => {
    const kinds = steps.map((s) => readerKind(fresh.get(s.sha)!));
    expect(kinds[0]).toBe('net');
    expect(kinds[1]).not.toBe('net');
    expect(kinds[2]).toBe('net');
  });

  it('every commit equals a fresh analysis, in one walk and commit by commit', async () => {
    await trackEachCommit(spec, repo, steps, fresh, join(dir, 'cache'));
  });
});
