/**
 * The tracker against a fresh analysis when the evidence of a file comes from other files that
 * it does not import or whose edits it must see: a caller starts passing a blob of another kind,
 * a value stored into a struct field in another file changes kind, an imported declaration
 * changes shape, the body of an imported function that a file's provenance follows changes, a
 * function above it moves the code a file's evidence cites. At every commit the tracker's findings
 * (evidence included) equal a fresh analysis of the checkout; edits elsewhere reuse the cache.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnalysisResult } from '../../src/model/findings.ts';
import { resolveSpec } from '../../src/model/builtin.ts';
import { trackHistory } from '../../src/track/track.ts';
import { analyzeEachCommit, BLOBWORLD, commitIn, editIn, gitIn } from './history.ts';

let dir: string;
let repo: string;
let spec: ReturnType<typeof resolveSpec>;
const shas: string[] = [];
const subjects: string[] = [];
const fresh = new Map<string, AnalysisResult>();

function commit(msg: string): void {
  shas.push(commitIn(repo, msg));
  subjects.push(msg);
}

const kindIn = (r: AnalysisResult, file: string): string => r.findings.filter((f) => f.file === file).map((f) => `${f.line} ${f.kind}`).join(', ');

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'memdesc-track-xfile-'));
  repo = join(dir, 'repo');
  cpSync(BLOBWORLD, join(repo, 'proj'), { recursive: true });
  spec = resolveSpec(join(BLOBWORLD, 'spec.json'));
  const w = (f: string, text: string): void => writeFileSync(join(repo, 'proj/src', f), text);
  // take(): no import of its caller; what it reads is what its one caller passes.
  w('take.ts', `import { Blob } from './blob.ts';

export function take(t: Blob): number {
  return t.owner + 1;
}
`);
  w('caller.ts', `import { alloc_netbuf } from './net/buf.ts';
import { take } from './take.ts';

export function feed(): number {
  return take(alloc_netbuf(1, 2));
}
`);
  // A struct field: stored in store.ts, read back in reader.ts (which does not import store.ts).
  w('holder.ts', `import { Blob } from './blob.ts';

export class Holder {
  constructor(public held: Blob) {}
}
`);
  w('store.ts', `import { alloc_netbuf } from './net/buf.ts';
import { Holder } from './holder.ts';

export function fill(h: Holder): void {
  h.held = alloc_netbuf(3, 4);
}
`);
  w('reader.ts', `import { Holder } from './holder.ts';

export function read_back(h: Holder): number {
  return h.held.slot;
}
`);
  // mk() returns a net buffer; user.ts follows its return. bump() is unrelated arithmetic.
  w('make.ts', `import { Blob } from './blob.ts';
import { alloc_netbuf } from './net/buf.ts';

export function above(x: number): number {
  return x * 2;
}

export function mk(): Blob {
  return alloc_netbuf(5, 6);
}

export function bump(x: number): number {
  return x + 1;
}

export function as_blob(b: Blob): Blob {
  return b;
}
`);
  w('user.ts', `import { as_blob, bump, mk } from './make.ts';

export function use_mk(): number {
  const b = mk();
  return b.slot;
}

export function use_as(): number {
  return as_blob(mk()).slot;
}
`);
  w('counter.ts', `import { bump } from './make.ts';

export function count(n: number): number {
  return bump(n);
}
`);
  gitIn(repo, 'init', '-q');
  commit('base');
  editIn(repo, 'src/caller.ts', 'take(alloc_netbuf(1, 2))', 'take(alloc_cache_blob(1))');
  editIn(repo, 'src/caller.ts', "import { alloc_netbuf } from './net/buf.ts';", "import { alloc_cache_blob } from './cache.ts';");
  commit('caller: passes a cache blob (take.ts unchanged)');
  editIn(repo, 'src/store.ts', 'h.held = alloc_netbuf(3, 4);', 'h.held = alloc_cache_blob(3);');
  editIn(repo, 'src/store.ts', "import { alloc_netbuf } from './net/buf.ts';", "import { alloc_cache_blob } from './cache.ts';");
  commit('store: the field holds a cache blob (reader.ts unchanged)');
  editIn(repo, 'src/make.ts', 'export function as_blob(b: Blob): Blob {', 'export function as_blob(b: Blob): { slot: number } {');
  commit('make: as_blob() changes shape');
  editIn(repo, 'src/make.ts', 'return x + 1;', 'return x + 2;');
  commit('make: body-only edit of bump()');
  editIn(repo, 'src/make.ts', 'return alloc_netbuf(5, 6);', 'return alloc_cache_blob(5);');
  editIn(repo, 'src/make.ts', "import { alloc_netbuf } from './net/buf.ts';", "import { alloc_cache_blob } from './cache.ts';");
  commit('make: body edit of mk() that user.ts follows');
  editIn(repo, 'src/make.ts', '  return x * 2;\n', '  const y = x * 2;\n  return y;\n');
  commit('make: a function above mk() grows a line (the cited line moves)');
  for (const [sha, r] of analyzeEachCommit(repo, join(dir, 'checkout'), shas, spec)) fresh.set(sha, r);
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('trackHistory: evidence from other files', () => {
  it('the history changes the kinds of files that did not change', () => {
    const at = (i: number, f: string): string => kindIn(fresh.get(shas[i]!)!, f);
    expect(at(0, 'src/take.ts')).toMatch(/net/);
    expect(at(1, 'src/take.ts')).toMatch(/cache/);
    expect(at(1, 'src/reader.ts')).toMatch(/net/);
    expect(at(2, 'src/reader.ts')).toMatch(/cache/);
    expect(at(4, 'src/user.ts')).toMatch(/net/);
    expect(at(5, 'src/user.ts')).toMatch(/cache/);
    const cites = (i: number): string => fresh.get(shas[i]!)!.findings.filter((f) => f.file === 'src/user.ts').map((f) => f.evidence.join(' ')).join(' ');
    expect(cites(6)).not.toBe(cites(5));
  });

  it('every commit equals a fresh analysis; an edit re-analyzes what can see it', async () => {
    const cacheDir = join(dir, 'cache');
    const analyzed: number[] = [];
    for (const [i, sha] of shas.entries()) {
      const { report, newest } = await trackHistory({ spec, repo, path: 'proj', range: sha, cacheDir });
      analyzed.push(report.cache.analyzedFiles);
      const want = fresh.get(sha)!;
      expect(newest.findings, subjects[i]).toEqual(want.findings);
      expect(newest.residue, subjects[i]).toEqual(want.residue);
    }
    const files = fresh.get(shas[0]!)!.summary.files;
    // The edited file and the one that sees the edit: take.ts (its caller), reader.ts (the field
    // it reads back), user.ts (as_blob()'s new shape; mk()'s body, which its provenance follows;
    // the line its evidence cites moving). bump()'s body edit: make.ts alone — counter.ts and
    // user.ts use only its signature (numbers in, a number out).
    expect(analyzed).toEqual([files, 2, 2, 2, 1, 2, 2]);
    // A second walk of the whole history reads everything from the cache.
    const again = await trackHistory({ spec, repo, path: 'proj', cacheDir });
    expect(again.report.cache.analyzedFiles).toBe(0);
  });
});
