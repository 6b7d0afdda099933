/**
 * A function's body stays apart from its signature while it cannot mark a parameter, decided at
 * each commit (deps.ts mayMarkFixpoint): when an edit makes it mark one — here `mk`, reached from
 * `use` only through `relay`, which passes its parameter on — its callers reach its body again,
 * and every commit still gives a fresh analysis's answer: none, net, cache, none again.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveSpec } from '../../src/model/builtin.ts';
import type { AnalysisResult } from '../../src/model/findings.ts';
import { analyzeEachCommit, BLOBWORLD, blobworldWriter, commitIn, gitIn, trackEachCommit, writeRelayAndUser } from './history.ts';

let dir: string;
let repo: string;
const spec = resolveSpec(join(BLOBWORLD, 'spec.json'));
const shas: string[] = [];
const fresh = new Map<string, AnalysisResult>();

// No marker constant in its text until an edit writes one.
const marker = (flag: string | undefined): string => `import { Blob } from './blob.ts';
${flag ? `import { ${flag} } from './helpers.ts';\n` : ''}
export function mk(b: Blob, ok: boolean): void {
  if (!ok) {
    throw new Error('no');
  } else {
    ${flag ? `b.flags = ${flag};` : 'void b;'}
  }
}
`;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'memdesc-track-markflip-'));
  repo = join(dir, 'repo');
  const w = blobworldWriter(repo);
  w('mark.ts', marker(undefined));
  writeRelayAndUser(w, 'true');
  gitIn(repo, 'init', '-q');
  shas.push(commitIn(repo, 'base'));
  w('mark.ts', marker('FLAG_NET'));
  shas.push(commitIn(repo, 'mark: a net blob'));
  w('mark.ts', marker('FLAG_CACHE'));
  shas.push(commitIn(repo, 'mark: a cache blob'));
  w('mark.ts', marker(undefined));
  shas.push(commitIn(repo, 'mark: nothing again'));
  for (const [sha, r] of analyzeEachCommit(repo, join(dir, 'checkout'), shas, spec)) fresh.set(sha, r);
}, 60_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('track: a function that starts (and stops) marking its parameter', () => {
  it('the fresh analysis reads the mark through relay(): none, net, cache, none', () => {
    const kind = (sha: string): string | undefined => fresh.get(sha)!.findings.find((f) => f.file === 'src/user.ts')?.kind;
    expect(shas.map(kind)).toEqual(['unknown', 'net', 'cache', 'unknown']);
  });

  it('the tracker equals a fresh analysis at every commit, walked in one run and commit by commit', async () => {
    await trackEachCommit(spec, repo, shas.map((sha) => ({ sha, what: sha })), fresh, join(dir, 'cache'));
  });
});
