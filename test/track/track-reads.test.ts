/**
 * A dependent is keyed by what its analysis read of other files: declarations' signatures by
 * name, and the bodies its queries looked into (`body:` dependencies: the returns provenance
 * followed, the functions a variable is passed to that may mark it). A body edit of a function
 * re-analyzes the callers whose results read that body, and no other caller.
 *
 * - pick_blob()'s returns decide read_picked()'s finding; other_use() calls it too but its finding
 *   is another blob's: an edit of pick_blob()'s body re-analyzes read_picked.ts, not other_use.ts.
 * - tag_blob() starts marking its parameter (under a branch whose other side throws): what a
 *   function does to its parameters is computed for the whole program, not read per query, so a
 *   body that may mark one stays with its signature and every caller is re-analyzed.
 *
 * Counted by the tracker's own figures (files analyzed, the entries a commit wrote), never timed;
 * at every commit the tracker's findings equal a fresh analysis of the checkout.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnalysisResult } from '../../src/model/findings.ts';
import { resolveSpec } from '../../src/model/builtin.ts';
import { trackHistory } from '../../src/track/track.ts';
import { analyzeEachCommit, BLOBWORLD, commitIn, editIn, entryFiles, gitIn } from './history.ts';

let dir: string;
let repo: string;
const spec = resolveSpec(join(BLOBWORLD, 'spec.json'));
const shas: string[] = [];
const fresh = new Map<string, AnalysisResult>();

function findingsOf(r: AnalysisResult, file: string): string[] {
  return r.findings.filter((f) => f.file === file).map((f) => `${f.line}:${f.column} ${f.field} ${f.kind} ${f.confidence}`);
}

/** The files commit `i` re-analyzes after a walk up to commit i - 1 (the entries it wrote), checked against a fresh analysis. */
async function reanalyzed(i: number, name: string): Promise<string[]> {
  const cacheDir = join(dir, `cache-${name}`);
  const first = await trackHistory({ spec, repo, path: 'proj', range: shas[i - 1]!, cacheDir });
  expect(first.newest.findings).toEqual(fresh.get(shas[i - 1]!)!.findings);
  const old = new Set(entryFiles(cacheDir).keys());
  const second = await trackHistory({ spec, repo, path: 'proj', range: `${shas[i - 1]}..${shas[i]}`, cacheDir });
  expect(second.newest.findings).toEqual(fresh.get(shas[i]!)!.findings);
  const files = [...entryFiles(cacheDir)].filter(([p]) => !old.has(p)).map(([, f]) => f).sort();
  expect(files).toHaveLength(second.report.cache.analyzedFiles);
  return files;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'memdesc-track-reads-'));
  repo = join(dir, 'repo');
  cpSync(BLOBWORLD, join(repo, 'proj'), { recursive: true });
  const src = (f: string, text: string): void => writeFileSync(join(repo, 'proj/src', f), text);
  src('pick.ts', `import { Blob } from './blob.ts';
import { alloc_cache_blob } from './cache.ts';
import { alloc_netbuf } from './net/buf.ts';

/** Where a blob comes from is this body's business (two statements, its return type declared). */
export function pick_blob(n: number): Blob {
  const b = alloc_netbuf(n, 0);
  return b;
}

export function pick_spare(n: number): Blob {
  return alloc_cache_blob(n);
}
`);
  src('read_picked.ts', `import { pick_blob } from './pick.ts';

export function read_picked(): number {
  const b = pick_blob(1);
  return b.slot;
}
`);
  src('other_use.ts', `import { alloc_cache_blob } from './cache.ts';
import { pick_blob } from './pick.ts';

export function other_use(): number {
  pick_blob(2);
  const c = alloc_cache_blob(3);
  return c.owner;
}
`);
  src('tag.ts', `import { Blob } from './blob.ts';
import { FLAG_CACHE, FLAG_NET } from './helpers.ts';

export function tag_blob(b: Blob, ok: boolean): void {
  const n = FLAG_CACHE + FLAG_NET;
  if (!ok) {
    throw new Error('no');
  } else {
    void b;
  }
  void n;
}
`);
  src('tagged.ts', `import { Blob } from './blob.ts';
import { tag_blob } from './tag.ts';

export function tagged_owner(b: Blob): number {
  tag_blob(b, true);
  return b.owner;
}
`);
  src('untagged.ts', `import { alloc_cache_blob } from './cache.ts';
import { alloc_netbuf } from './net/buf.ts';
import { tag_blob } from './tag.ts';

export function untagged(): number {
  const c = alloc_cache_blob(3);
  tag_blob(alloc_netbuf(1, 2), true);
  return c.slot;
}
`);
  gitIn(repo, 'init', '-q');
  shas.push(commitIn(repo, 'base'));
  editIn(repo, 'src/pick.ts', '  const b = alloc_netbuf(n, 0);\n', '  const b = pick_spare(n);\n');
  shas.push(commitIn(repo, 'pick: pick_blob() hands out a cache blob (body only)'));
  editIn(repo, 'src/tag.ts', '    void b;\n', '    b.flags = FLAG_NET;\n');
  shas.push(commitIn(repo, 'tag: tag_blob() marks its blob a network buffer (body only)'));
  for (const [sha, r] of analyzeEachCommit(repo, join(dir, 'checkout'), shas, spec)) fresh.set(sha, r);
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('track: a dependent is redone when a body its analysis read changes, and only then', () => {
  it('the edits change what the readers find (there is something to miss), and nothing of the others', () => {
    const [base, picked, tagged] = shas.map((s) => fresh.get(s)!);
    expect(findingsOf(base!, 'src/read_picked.ts').join('\n')).toMatch(/slot net provenance/);
    expect(findingsOf(picked!, 'src/read_picked.ts').join('\n')).toMatch(/slot cache provenance/);
    expect(findingsOf(tagged!, 'src/tagged.ts').join('\n')).toMatch(/owner net provenance/);
    expect(findingsOf(picked!, 'src/tagged.ts')).not.toEqual(findingsOf(tagged!, 'src/tagged.ts'));
    for (const f of ['src/other_use.ts', 'src/untagged.ts']) {
      expect(findingsOf(picked!, f), f).toEqual(findingsOf(base!, f));
      expect(findingsOf(tagged!, f), f).toEqual(findingsOf(picked!, f));
      expect(findingsOf(base!, f), f).toHaveLength(1);
    }
  });

  it('a body edit of a function whose returns one caller follows re-analyzes that caller, not a caller that never asked', async () => {
    expect(await reanalyzed(1, 'returns')).toEqual(['src/pick.ts', 'src/read_picked.ts']);
  }, 120_000);

  it('a function that starts marking its parameter re-analyzes its callers', async () => {
    expect(await reanalyzed(2, 'marks')).toEqual(['src/tag.ts', 'src/tagged.ts', 'src/untagged.ts']);
  }, 120_000);

  it('every commit equals a fresh analysis, walked cold in one go', async () => {
    const { report, newest } = await trackHistory({ spec, repo, path: 'proj', cacheDir: join(dir, 'cache-all') });
    expect(report.points).toHaveLength(shas.length);
    expect(newest.findings).toEqual(fresh.get(shas.at(-1)!)!.findings);
  }, 120_000);
});
