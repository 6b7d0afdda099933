/**
 * Dependencies count by their shape: a comment-only edit in an imported file re-analyzes that
 * file alone, while a code edit, a line shift or a comment inside an expression re-analyzes its
 * importers, whose evidence cites the imported file's line numbers. At every commit the tracker's
 * findings (evidence included) equal a fresh analysis of the checkout.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnalysisResult } from '../../src/model/findings.ts';
import { resolveSpec } from '../../src/model/builtin.ts';
import { trackHistory } from '../../src/track/track.ts';
import { analyzeEachCommit, BLOBWORLD, commitIn, editIn, gitIn } from './history.ts';

const FIXTURE = BLOBWORLD;
let dir: string;
let repo: string;
let cacheDir: string;
let spec: ReturnType<typeof resolveSpec>;
const shas: string[] = [];
const subjects: string[] = [];
const fresh = new Map<string, AnalysisResult>();

const git = (...args: string[]): string => gitIn(repo, ...args);
const edit = (file: string, from: string, to: string): void => editIn(repo, file, from, to);

function commit(msg: string): void {
  shas.push(commitIn(repo, msg));
  subjects.push(msg);
}

/** The finding in `file`: kind and evidence. */
function evidence(r: AnalysisResult, file: string): string {
  const f = r.findings.find((x) => x.file === file);
  return `${f?.kind}: ${f?.evidence.join(' | ')}`;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'memdesc-track-deps-'));
  repo = join(dir, 'repo');
  cacheDir = join(dir, 'cache');
  cpSync(FIXTURE, join(repo, 'proj'), { recursive: true });
  spec = resolveSpec(join(FIXTURE, 'spec.json'));
  writeFileSync(join(repo, 'proj/src/dep.ts'), `import { Blob } from './blob.ts';
import { alloc_netbuf } from './net/buf.ts';

export function get_buf(): Blob {
  // where the buffer comes from
  return alloc_netbuf(1, 2); // one buffer
}
`);
  writeFileSync(join(repo, 'proj/src/user.ts'), `import { get_buf } from './dep.ts';
import { IsNetBlob } from './helpers.ts';
import { take } from './take.ts';

export function use_buf(): number {
  const b = get_buf();
  return b.slot;
}

export function pass_buf(): number {
  const b = get_buf();
  if (IsNetBlob(b)) return take(b);
  return 0;
}
`);
  // take() does not import user.ts: its one caller's guard is its evidence.
  writeFileSync(join(repo, 'proj/src/take.ts'), `import { Blob } from './blob.ts';

export function take(t: Blob): number {
  const o = t.owner;
  return o + 1;
}
`);
  git('init', '-q');
  commit('base');
  edit('src/dep.ts', '// where the buffer comes from', '// where the buffer comes from: the network code');
  edit('src/dep.ts', '// one buffer', '// exactly one buffer');
  writeFileSync(join(repo, 'proj/src/dep.ts'), `${readFileSync(join(repo, 'proj/src/dep.ts'), 'utf8')}// the end\n`);
  commit('dep: comments only');
  edit('src/dep.ts', '// where the buffer comes from: the network code\n', '// where the buffer comes from:\n// the network code\n');
  commit('dep: a comment line more (the call moves down a line)');
  edit('src/dep.ts', 'alloc_netbuf(1, 2)', 'alloc_netbuf(1, /* sock */ 2)');
  commit('dep: a comment inside the call');
  edit('src/dep.ts', 'alloc_netbuf(1, /* sock */ 2)', 'alloc_netbuf(3, /* sock */ 2)');
  commit('dep: code edit on the same line');
  edit('src/user.ts', '  return 0;\n}', '  return 0; // not a net buffer\n}');
  commit('user: a comment between statements');
  edit('src/user.ts', 'IsNetBlob(b)', 'IsNetBlob(/* checked */ b)');
  commit('user: a comment inside the guard take() is classified by');
  edit('src/user.ts', '/* checked */', '/* tested! */');
  commit('user: that comment edited in place (no token moves)');
  for (const [sha, r] of analyzeEachCommit(repo, join(dir, 'checkout'), shas, spec)) fresh.set(sha, r);
}, 60_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('trackHistory: dependencies by shape', () => {
  it('the history moves the evidence of files that did not change', () => {
    const ev = shas.map((s) => evidence(fresh.get(s)!, 'src/user.ts'));
    expect(ev[0]).toMatch(/^net: .*`alloc_netbuf\(\)` at src\/dep\.ts:6, via the return of `get_buf\(\)`/);
    expect(ev[1]).toBe(ev[0]);
    expect(ev[2]).toMatch(/src\/dep\.ts:7/);
    const take = shas.map((s) => evidence(fresh.get(s)!, 'src/take.ts'));
    expect(take[0]).toMatch(/^net: .*guarded by `IsNetBlob\(b\)` at src\/user\.ts:12/);
    expect(take[5]).toBe(take[0]);
    expect(take[6]).toMatch(/guarded by `IsNetBlob\(\/\* checked \*\/ b\)` at src\/user\.ts:12/);
    expect(take[7]).toMatch(/guarded by `IsNetBlob\(\/\* tested! \*\/ b\)` at src\/user\.ts:12/);
  });

  it('each commit re-analyzes what it must, and its findings equal a fresh analysis', async () => {
    const analyzed: number[] = [];
    for (const [i, sha] of shas.entries()) {
      // Commits before this one come from the disk cache: what is left is this commit's work.
      const { report, newest } = await trackHistory({ spec, repo, path: 'proj', range: sha, cacheDir });
      analyzed.push(report.cache.analyzedFiles);
      const want = fresh.get(sha)!;
      expect(newest.findings, subjects[i]).toEqual(want.findings);
      expect(newest.residue, subjects[i]).toEqual(want.residue);
    }
    const files = fresh.get(shas[0]!)!.summary.files;
    expect(analyzed[0]).toBe(files);
    // Comments only: dep.ts itself (its own text is its findings' positions), not user.ts.
    expect(analyzed[1]).toBe(1);
    // A line shift, a comment inside an expression, a code edit: dep.ts, user.ts, and take.ts
    // (its caller's closure holds dep.ts).
    expect(analyzed.slice(2, 5)).toEqual([3, 3, 3]);
    // A comment between statements of user.ts: user.ts alone, not take.ts whose classification reads its call.
    expect(analyzed[5]).toBe(1);
    // A comment inside the guard take()'s evidence quotes: user.ts and take.ts.
    expect(analyzed.slice(6)).toEqual([2, 2]);
  });
});
