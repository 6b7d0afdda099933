/**
 * What a dependent reads of another file's function: its signature always, its body only when
 * the analysis can look inside (returns provenance follows, wrappers, parameter marks).
 *
 * - A body edit of a function whose returns provenance follows (an address: `addr_to_blob(f())`)
 *   changes its callers' findings: the tracker must re-analyze them (it once reused them, taking a
 *   function returning `number` for one whose body nobody reads).
 * - An edit of an export nobody uses, in a file every other file imports, re-analyzes that file
 *   alone (counted by the tracker's own figures, never timed).
 * - A name imported or re-exported in one statement with others reaches its own declaration
 *   only: a body edit of one of them leaves the users of the others alone.
 * At every commit the tracker's findings equal a fresh analysis of the checkout.
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
let spec: ReturnType<typeof resolveSpec>;
const shas: string[] = [];
const fresh = new Map<string, AnalysisResult>();

const edit = (file: string, from: string, to: string): void => editIn(repo, file, from, to);
const commit = (msg: string): void => {
  shas.push(commitIn(repo, msg));
};

/** Kind, confidence and evidence of every finding of a file. */
function findingsOf(r: AnalysisResult, file: string): string[] {
  return r.findings.filter((f) => f.file === file).map((f) => `${f.line}:${f.column} ${f.field} ${f.kind} ${f.confidence}: ${f.evidence.join(' | ')}`);
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'memdesc-track-bodies-'));
  repo = join(dir, 'repo');
  cpSync(BLOBWORLD, join(repo, 'proj'), { recursive: true });
  spec = resolveSpec(join(BLOBWORLD, 'spec.json'));
  // probe_addr() returns a number: an address, which provenance follows through addr_to_blob().
  writeFileSync(join(repo, 'proj/src/probe_src.ts'), `import { blob_addr } from './helpers.ts';
import { alloc_netbuf } from './net/buf.ts';

/** An address: where it comes from is this body's business. */
export function probe_addr(a: number): number {
  return a;
}
`);
  writeFileSync(join(repo, 'proj/src/probe_use.ts'), `import { addr_to_blob, IsCacheBlob } from './helpers.ts';
import { probe_addr } from './probe_src.ts';

export function probe_use(a: number): number {
  const b = addr_to_blob(probe_addr(a));
  if (!IsCacheBlob(b)) return 0;
  return b.slot;
}
`);
  gitIn(repo, 'init', '-q');
  commit('base: the guard alone decides probe_use()');
  // Two statements, no parameter passed on: still a body a caller's provenance reads.
  edit('src/probe_src.ts', '  return a;\n', '  const b = a;\n  return blob_addr(alloc_netbuf(b, 0));\n');
  commit('probe_src: the address is a network buffer\'s (against the guard)');
  // helpers.ts is imported by most files; this export is used by none.
  writeFileSync(join(repo, 'proj/src/helpers.ts'), `${gitIn(repo, 'show', 'HEAD:proj/src/helpers.ts')}
export function helpers_unused(x: number): number {
  return x + 1;
}
`);
  commit('helpers: an export nobody uses');
  edit('src/helpers.ts', 'export function helpers_unused(x: number): number {\n  return x + 1;', 'export function helpers_unused(x: number, y: number): string {\n  return `${x + y}`;');
  commit('helpers: the unused export changes its signature and body');
  // One statement re-exporting two functions, each used by its own file.
  writeFileSync(join(repo, 'proj/src/api.ts'), `export { addr_to_blob, blob_alloc } from './helpers.ts';\n`);
  writeFileSync(join(repo, 'proj/src/hub_a.ts'), `import { IsNetBlob } from './helpers.ts';
import { addr_to_blob } from './api.ts';

export function hub_a(x: number): number {
  const b = addr_to_blob(x);
  if (!IsNetBlob(b)) return 0;
  return b.slot;
}
`);
  writeFileSync(join(repo, 'proj/src/hub_b.ts'), `import { IsNetBlob } from './helpers.ts';
import { blob_alloc } from './api.ts';

export function hub_b(): number {
  const b = blob_alloc(2);
  if (!IsNetBlob(b)) return 0;
  return b.slot;
}
`);
  commit('api: one re-export of two functions');
  edit('src/helpers.ts', '  b.flags = flags;', '  b.flags = flags | 0;');
  commit('helpers: a body edit of blob_alloc()');
  for (const [sha, r] of analyzeEachCommit(repo, join(dir, 'checkout'), shas, spec)) fresh.set(sha, r);
}, 120_000);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('track: what a dependent reads of another file\'s functions', () => {
  it('the history decides probe_use() differently at each end (there is something to miss)', () => {
    expect(findingsOf(fresh.get(shas[0]!)!, 'src/probe_use.ts').join('\n')).toMatch(/ cache guard:/);
    expect(findingsOf(fresh.get(shas[1]!)!, 'src/probe_use.ts').join('\n')).toMatch(/ unknown unknown: conflicting code evidence/);
  });

  it('a body edit of a function whose returns provenance follows re-analyzes its callers; every commit equals a fresh analysis', async () => {
    const { report, newest } = await trackHistory({ spec, repo, path: 'proj', cacheDir: join(dir, 'cache-all') });
    expect(report.points).toHaveLength(shas.length);
    expect(newest.findings).toEqual(fresh.get(shas.at(-1)!)!.findings);
    // Commit by commit, each measured with the cache the walk before it left.
    const steps = join(dir, 'cache-steps');
    for (const sha of shas) {
      const r = await trackHistory({ spec, repo, path: 'proj', range: sha, cacheDir: steps });
      expect(findingsOf(r.newest, 'src/probe_use.ts'), sha).toEqual(findingsOf(fresh.get(sha)!, 'src/probe_use.ts'));
      expect(r.newest.findings, sha).toEqual(fresh.get(sha)!.findings);
    }
  }, 120_000);

  it('an edit of an export nobody uses re-analyzes only the file that declares it (the tracker\'s own count)', async () => {
    const cacheDir = join(dir, 'cache-unused');
    const before = shas[2]!;
    const after = shas[3]!;
    const first = await trackHistory({ spec, repo, path: 'proj', range: before, cacheDir });
    expect(first.newest.findings).toEqual(fresh.get(before)!.findings);
    // The newest commit is always measured in full: only helpers.ts misses the per-file cache.
    const second = await trackHistory({ spec, repo, path: 'proj', range: `${before}^..${after}`, cacheDir });
    expect(second.newest.findings).toEqual(fresh.get(after)!.findings);
    expect(second.report.points).toHaveLength(2);
    expect(second.stats.pointHits).toBe(1);
    expect(second.report.cache.analyzedFiles).toBe(1);
    expect(second.report.cache.reusedFiles).toBeGreaterThan(5);
  }, 120_000);

  it('a name imported or re-exported beside others reaches its own declaration only: a body edit of one function leaves the users of the other alone', async () => {
    const cacheDir = join(dir, 'cache-hub');
    const before = shas[4]!;
    const after = shas[5]!;
    await trackHistory({ spec, repo, path: 'proj', range: before, cacheDir });
    const old = new Set(entryFiles(cacheDir).keys());
    const second = await trackHistory({ spec, repo, path: 'proj', range: `${before}^..${after}`, cacheDir });
    expect(second.newest.findings).toEqual(fresh.get(after)!.findings);
    // The entries this commit wrote are the files it re-analyzed (the tracker's own record).
    const analyzed = [...entryFiles(cacheDir)].filter(([p]) => !old.has(p)).map(([, f]) => f).sort();
    expect(analyzed).toHaveLength(second.report.cache.analyzedFiles);
    expect(analyzed).toContain('src/helpers.ts');
    expect(analyzed).toContain('src/hub_b.ts');
    expect(analyzed).not.toContain('src/hub_a.ts');
  }, 120_000);
});
