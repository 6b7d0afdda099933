/**
 * Value use taught through a renamed re-export: the teacher calls `lookup(b.owner)`, imported
 * from a barrel that exports `sock_lookup as lookup`, so it never spells the name the learner's
 * use meets (`sock_lookup(b.owner)`). The tracker finds the teachers by the names the uses meet and
 * the names imports and exports give them; every commit — the learner alone edited, the teacher
 * changing kind — gives a fresh analysis's answer, walked in one run and commit by commit on one
 * cache.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveSpec } from '../../src/model/builtin.ts';
import type { AnalysisResult } from '../../src/model/findings.ts';
import { BLOBWORLD, buildHistory, type BuiltHistory, trackEachCommit } from './history.ts';

let dir: string;
let repo: string;
const spec = resolveSpec(join(BLOBWORLD, 'spec.json'));
let steps: BuiltHistory['steps'];
let fresh: BuiltHistory['fresh'];

const knownOf = (alloc: string): string => `import { ${alloc} } from './${alloc === 'alloc_netbuf' ? 'net/buf' : 'cache'}.ts';
import { lookup } from './barrel.ts';

export function known(): number {
  const b = ${alloc}(1${alloc === 'alloc_netbuf' ? ', 2' : ''});
  return lookup(b.owner);
}
`;

beforeAll(() => {
  ({ dir, repo, steps, fresh } = buildHistory('track-valuealias', spec, (w, step) => {
    w('sock.ts', `export function sock_lookup(sock: number): number {
  return sock * 2;
}
`);
    w('barrel.ts', `export { sock_lookup as lookup } from './sock.ts';
`);
    const openOf = (note: string): string => `import { Blob } from './blob.ts';
import { sock_lookup } from './sock.ts';

export function open_sock(b: Blob): number {
  // ${note}
  return sock_lookup(b.owner);
}
`;
    w('open.ts', openOf('the socket'));
    w('known.ts', knownOf('alloc_netbuf'));
    step('base: known.ts teaches net through the barrel\'s name');
    w('open.ts', openOf('the socket of the blob'));
    step('open: a comment (the learner alone is analyzed)');
    w('known.ts', knownOf('alloc_cache_blob'));
    step('known: a cache blob');
    w('known.ts', knownOf('alloc_netbuf'));
    step('known: net again');
    w('open.ts', openOf('the socket'));
    step('open: a comment again');
  }));
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const openKind = (r: AnalysisResult): string | undefined => r.findings.find((f) => f.file === 'src/open.ts')?.kind;

describe('track: value use taught through a renamed re-export', () => {
  it('the fresh analysis decides open.ts by value use, as at known.ts', () => {
    expect(steps.map((s) => openKind(fresh.get(s.sha)!))).toEqual(['net', 'net', 'cache', 'net', 'net']);
  });

  it('every commit equals a fresh analysis, in one walk and commit by commit', async () => {
    await trackEachCommit(spec, repo, steps, fresh, join(dir, 'cache'));
  });
});
