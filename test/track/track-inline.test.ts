/**
 * A test written in place (`netBits(b) === 0`, `(b.flags & 2) !== 0`: testAtoms.ts) is a kind's
 * test by what it computes: that rests on the helper it reads (`netBits()`, in another file) and
 * on the kinds' tests whose computation it may match (`IsNetBlob` in helpers.ts). A body-only
 * edit of either must re-analyze the guarded files; at every commit the tracker equals a fresh
 * analysis, in one walk and commit by commit on one cache.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveSpec } from '../../src/model/builtin.ts';
import { BLOBWORLD, buildHistory, editIn, type BuiltHistory, trackEachCommit } from './history.ts';

let dir: string;
let repo: string;
const spec = resolveSpec(join(BLOBWORLD, 'spec.json'));
let steps: BuiltHistory['steps'];
let fresh: BuiltHistory['fresh'];

const kindIn = (sha: string, file: string): string | undefined => fresh.get(sha)!.findings.find((f) => f.file === file)?.kind;

beforeAll(() => {
  ({ dir, repo, steps, fresh } = buildHistory('track-inline', spec, (w, step, repo) => {
    w('probe_bits.ts', `import type { Blob } from './blob.ts';
import { FLAG_NET } from './helpers.ts';

export function netBits(b: Blob): number {
  return b.flags & FLAG_NET;
}
`);
    w('probe_guarded.ts', `import type { Blob } from './blob.ts';
import { netBits } from './probe_bits.ts';

export function probe_guarded(b: Blob): number {
  if (netBits(b) === 0) return 0;
  return b.slot;
}
`);
    w('probe_direct.ts', `import type { Blob } from './blob.ts';

export function probe_direct(b: Blob): number {
  return (b.flags & 2) !== 0 ? b.slot : 0;
}
`);
    step('base: netBits(b) === 0 and (b.flags & 2) !== 0 are the net test, written in place');
    editIn(repo, 'src/probe_bits.ts', 'return b.flags & FLAG_NET;', 'return b.flags & 4;');
    step('probe_bits: the helper reads another bit (body only)');
    editIn(repo, 'src/helpers.ts', '(b.flags & FLAG_NET) !== 0;', '(b.flags & 4) !== 0;');
    // (probe_direct.ts's bit 2 is no kind's test any more.)
    step('helpers: the net test reads that bit too (body only)');
  }));
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('track: a test written in place rests on its helper and on the kinds\' tests', () => {
  it('the fresh analyses decide probe_guarded() as net, unknown, net again, and probe_direct() as net, net, unknown', () => {
    expect(steps.map((s) => kindIn(s.sha, 'src/probe_guarded.ts'))).toEqual(['net', 'unknown', 'net']);
    expect(steps.map((s) => kindIn(s.sha, 'src/probe_direct.ts'))).toEqual(['net', 'net', 'unknown']);
  });

  it('every commit equals a fresh analysis, in one walk and commit by commit', async () => {
    await trackEachCommit(spec, repo, steps, fresh, join(dir, 'cache'));
  });
});
