/**
 * What every file's key no longer holds (deps.ts): top-level code that declares nothing (a
 * `CACHE_MATCH(…)` check, a mark written at load time) and the descriptor classes. Top-level
 * code reaches another file's analysis through a module variable it marks — read with a `file:`
 * dependency, whose signature holds such code (cache.ts) — and a descriptor class through types a
 * file reaches by name. So a commit adding or editing either re-analyzes only the files that read
 * them, and every commit still gives a fresh analysis's answer: a module variable of one file
 * marked net, then cache, by a top-level write in another file that its reader does not import;
 * a descriptor class gaining a member that a typed reader then uses.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveSpec } from '../../src/model/builtin.ts';
import type { AnalysisResult } from '../../src/model/findings.ts';
import { trackHistory } from '../../src/track/track.ts';
import { analyzeEachCommit, BLOBWORLD, commitIn, gitIn } from './history.ts';

let dir: string;
let repo: string;
const spec = resolveSpec(join(BLOBWORLD, 'spec.json'));
const shas: string[] = [];
const subjects: string[] = [];
const fresh = new Map<string, AnalysisResult>();

const netbuf = (extra: string): string => `import { Blob } from '../blob.ts';
import { rd } from '../mem.ts';

export class NetBuf {
  constructor(readonly base: number) {}
  get seq(): number {
    return rd(this.base + 16);
  }
${extra}}

export function blob_netbuf(b: Blob): NetBuf {
  return new NetBuf(b.base);
}
`;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'memdesc-track-toplevel-'));
  repo = join(dir, 'repo');
  cpSync(BLOBWORLD, join(repo, 'proj'), { recursive: true });
  const w = (f: string, text: string): void => {
    mkdirSync(join(repo, 'proj/src', f, '..'), { recursive: true });
    writeFileSync(join(repo, 'proj/src', f), text);
  };
  const commit = (msg: string): void => {
    shas.push(commitIn(repo, msg));
    subjects.push(msg);
  };
  w('shared.ts', `import { Blob } from './blob.ts';

export const shared = new Blob(64);
`);
  w('reader.ts', `import { shared } from './shared.ts';

export function shared_slot(): number {
  return shared.slot;
}
`);
  w('boot.ts', `import { shared } from './shared.ts';

void shared;
`);
  // Files that read neither: their entries outlive every commit below.
  w('plain.ts', `import { Blob } from './blob.ts';

export function plain_slot(b: Blob): number {
  return b.slot;
}
`);
  w('net/netbuf.ts', netbuf(''));
  w('netuser.ts', `import { Blob } from './blob.ts';
import { blob_netbuf } from './net/netbuf.ts';

export function net_seq(b: Blob): number {
  return blob_netbuf(b).seq;
}
`);
  gitIn(repo, 'init', '-q');
  commit('base');
  w('boot.ts', `import { FLAG_NET } from './helpers.ts';
import { shared } from './shared.ts';

shared.flags = FLAG_NET;
`);
  commit('boot: a net blob');
  w('boot.ts', `import { FLAG_CACHE } from './helpers.ts';
import { shared } from './shared.ts';

shared.flags = FLAG_CACHE;
`);
  commit('boot: a cache blob');
  w('check.ts', `import { BLOB_SIZE } from './blob.ts';

if (BLOB_SIZE !== 20) throw new Error('BLOB_MATCH');
`);
  commit('check: a load-time check');
  w('net/netbuf.ts', netbuf(`  get sock(): number {
    return rd(this.base + 12);
  }
`));
  w('netuser.ts', `import { Blob } from './blob.ts';
import { blob_netbuf } from './net/netbuf.ts';

export function net_seq(b: Blob): number {
  return blob_netbuf(b).seq + blob_netbuf(b).sock;
}
`);
  commit('net: NetBuf gets sock');
  for (const [sha, r] of analyzeEachCommit(repo, join(dir, 'checkout'), shas, spec)) fresh.set(sha, r);
}, 90_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('track: top-level code and descriptor classes are read where they are used', () => {
  it('a fresh analysis reads the top-level mark and the new descriptor member', () => {
    const kind = (sha: string): string | undefined => fresh.get(sha)!.findings.find((f) => f.file === 'src/reader.ts')?.kind;
    expect(shas.slice(0, 3).map(kind)).toEqual(['unknown', 'net', 'cache']);
    const converted = fresh.get(shas[4]!)!.findings.filter((f) => f.file === 'src/netuser.ts' && f.converted).map((f) => f.descriptorField).sort();
    expect(converted).toEqual(['seq', 'sock']);
  });

  it('the tracker equals a fresh analysis at every commit, re-analyzing only the files that read what changed', async () => {
    const cacheDir = join(dir, 'cache');
    const analyzed: number[] = [];
    for (const sha of shas) {
      const { newest, report } = await trackHistory({ spec, repo, path: 'proj', range: sha, cacheDir });
      expect(newest.findings, sha).toEqual(fresh.get(sha)!.findings);
      expect(newest.residue, sha).toEqual(fresh.get(sha)!.residue);
      analyzed.push(report.cache.analyzedFiles);
    }
    const files = fresh.get(shas[0]!)!.summary.files;
    // Each commit after the first is measured against the previous one's entries: the files
    // whose text changed or that read what changed, never the whole project.
    for (let i = 1; i < shas.length; i++) expect(analyzed[i], subjects[i]).toBeLessThan(files / 2);
    // The load-time check names nothing any other file reads: it alone is analyzed.
    // The descriptor's new member: its own file and the one file using it, nothing else.
    expect(analyzed[4], subjects[4]).toBe(2);
  });
});
