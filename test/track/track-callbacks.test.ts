/**
 * A function passed as a callback over elements (`[…].map(lockOf)`) is handed each element: its
 * parameter's kind is the join of its calls and of those callbacks, and a callback over elements
 * of no known kind leaves it undecided. The callback may appear in any file naming the function,
 * one its file never imports: the tracker must re-analyze the function's file when such a file
 * comes or goes. At every commit it equals a fresh analysis, in one walk and commit by commit.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveSpec } from '../../src/model/builtin.ts';
import { BLOBWORLD, buildHistory, type BuiltHistory, trackEachCommit } from './history.ts';

let dir: string;
let repo: string;
const spec = resolveSpec(join(BLOBWORLD, 'spec.json'));
let steps: BuiltHistory['steps'];
let fresh: BuiltHistory['fresh'];

const lockKind = (sha: string): string | undefined => fresh.get(sha)!.findings.find((f) => f.file === 'src/probe_lock.ts')?.kind;

beforeAll(() => {
  ({ dir, repo, steps, fresh } = buildHistory('track-callbacks', spec, (w, step, repo) => {
    w('probe_lock.ts', `import type { Blob } from './blob.ts';

export function lockOf(b: Blob): number {
  const v = b.slot;
  return v + 1;
}
`);
    w('probe_caller.ts', `import { alloc_netbuf } from './net/buf.ts';
import { lockOf } from './probe_lock.ts';

export function first(): number {
  return lockOf(alloc_netbuf(1, 1));
}
`);
    step('base: lockOf() is called with a net blob');
    w('probe_cb.ts', `import { blob_alloc } from './helpers.ts';
import { lockOf } from './probe_lock.ts';

export function all(): number[] {
  return [blob_alloc(0)].map(lockOf);
}
`);
    step('probe_cb: lockOf() passed as a callback over blobs of no kind');
    rmSync(join(repo, 'proj/src/probe_cb.ts'));
    step('probe_cb: gone');
  }));
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('track: a callback over elements is a caller', () => {
  it('the fresh analyses decide lockOf() as net, unknown, net', () => {
    expect(steps.map((s) => lockKind(s.sha))).toEqual(['net', 'unknown', 'net']);
  });

  it('every commit equals a fresh analysis, in one walk and commit by commit', async () => {
    await trackEachCommit(spec, repo, steps, fresh, join(dir, 'cache'));
  });
});
