/**
 * Shared by the tracker tests: a git history built by editing a copy of the blobworld fixture,
 * and the oracle — a fresh analyzeProgram() of every commit's checkout.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, vi } from 'vitest';
import { analyzeProgram } from '../../src/analyzers/analyze.ts';
import { loadProgram } from '../../src/analyzers/project.ts';
import type { AnalysisResult } from '../../src/model/findings.ts';
import type { Spec } from '../../src/model/spec.ts';
import { trackHistory } from '../../src/track/track.ts';

export const BLOBWORLD = join(import.meta.dirname, '../fixtures/rewrite/blobworld');

const GIT_ENV = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' };

export function gitIn(repo: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd: repo, encoding: 'utf8', env: GIT_ENV });
}

/** Replace the first `from` in `repo/proj/file` (which must contain it) with `to`. */
export function editIn(repo: string, file: string, from: string, to: string): void {
  const p = join(repo, 'proj', file);
  const text = readFileSync(p, 'utf8');
  if (!text.includes(from)) throw new Error(`${file}: no ${from}`);
  writeFileSync(p, text.replace(from, to));
}

/** Commit everything; returns the new commit id. */
export function commitIn(repo: string, msg: string): string {
  gitIn(repo, 'add', '-A');
  gitIn(repo, 'commit', '-qm', msg);
  return gitIn(repo, 'rev-parse', 'HEAD').trim();
}

/** A fresh analysis of `proj` at every commit, in a clone of `repo` made at `work`. */
export function analyzeEachCommit(repo: string, work: string, shas: readonly string[], spec: Spec): Map<string, AnalysisResult> {
  const fresh = new Map<string, AnalysisResult>();
  execFileSync('git', ['clone', '-q', repo, work]);
  for (const sha of shas) {
    execFileSync('git', ['checkout', '-q', sha], { cwd: work });
    const { program, root } = loadProgram(join(work, 'proj'));
    fresh.set(sha, analyzeProgram(program, root, { spec }));
  }
  return fresh;
}

/** Copy the blobworld fixture to `repo/proj`; returns a writer of its `src/` files. */
export function blobworldWriter(repo: string): (file: string, text: string) => void {
  cpSync(BLOBWORLD, join(repo, 'proj'), { recursive: true });
  return (file, text) => writeFileSync(join(repo, 'proj/src', file), text);
}

/** A history a test built commit by commit in a blobworld copy, with every commit's fresh analysis. */
export interface BuiltHistory {
  dir: string;
  repo: string;
  steps: Array<{ sha: string; what: string }>;
  fresh: Map<string, AnalysisResult>;
}

/**
 * A new temporary folder holding a repository of blobworld's copy: `build` writes its `src/`
 * files and commits them (`step`), then every commit is analyzed fresh. The caller removes `dir`.
 */
export function buildHistory(name: string, spec: Spec,
  build: (write: (file: string, text: string) => void, step: (what: string) => void, repo: string) => void): BuiltHistory {
  const dir = mkdtempSync(join(tmpdir(), `memdesc-${name}-`));
  const repo = join(dir, 'repo');
  const steps: BuiltHistory['steps'] = [];
  const write = blobworldWriter(repo);
  gitIn(repo, 'init', '-q');
  build(write, (what) => { steps.push({ sha: commitIn(repo, what), what }); }, repo);
  return { dir, repo, steps, fresh: analyzeEachCommit(repo, join(dir, 'checkout'), steps.map((s) => s.sha), spec) };
}

/**
 * A pool with two lists, `items` filled with net blobs and `spare`, and `reader.ts` reading the
 * first of `items`: a store into either list decides the reader's kind.
 */
export function writePoolOfTwoLists(w: (file: string, text: string) => void): void {
  w('pool.ts', `import { Blob } from './blob.ts';
import { alloc_netbuf } from './net/buf.ts';

export class Pool {
  items: Blob[] = [];
  spare: Blob[] = [];
}

export function keep_net(p: Pool, seq: number): void {
  p.items.push(alloc_netbuf(seq, 1));
}
`);
  w('reader.ts', `import { Pool } from './pool.ts';

export function first_slot(p: Pool): number {
  const b = p.items[0]!;
  return b.slot;
}
`);
}

/** The kind of `src/reader.ts`'s first finding. */
export const readerKind = (r: AnalysisResult): string | undefined => r.findings.find((f) => f.file === 'src/reader.ts')?.kind;

/** blobworld's plain net test, which routeNetTest() replaces. */
const NET_TEST = 'export const IsNetBlob = (b: Blob) => (b.flags & FLAG_NET) !== 0;';

/**
 * Make blobworld's `IsNetBlob` test the word `wrap('b.flags')` hands back instead of the flags
 * themselves, `importLine` added to `helpers.ts`: whether it is a test then rests on that code.
 */
export function routeNetTest(repo: string, importLine: string, wrap: (flags: string) => string): void {
  const helpers = join(repo, 'proj/src/helpers.ts');
  const text = readFileSync(helpers, 'utf8');
  if (!text.includes(NET_TEST)) throw new Error('helpers.ts: no IsNetBlob as expected');
  writeFileSync(helpers, `${importLine}\n${text.replace(NET_TEST, `export const IsNetBlob = (b: Blob) => (${wrap('b.flags')} & FLAG_NET) !== 0;`)}`);
}

/** `netmark.ts`: a net mark on a local (not a parameter: no mark summary of mk_net's own). */
export const NETMARK = `import { blob_alloc, FLAG_NET } from './helpers.ts';

export function mk_net(): number {
  const b = blob_alloc(0);
  b.flags = FLAG_NET;
  return b.slot;
}
`;

/** The kind of NETMARK's finding in one analysis. */
export const netmarkKind = (r: AnalysisResult): string | undefined => r.findings.find((f) => f.file === 'src/netmark.ts')?.kind;

/** `relay.ts`, whose `relay(b, n)` calls `mk(b, <mkArg>)` of `mark.ts`, and `user.ts`, whose `use(b)` reaches mk only through it. */
export function writeRelayAndUser(write: (file: string, text: string) => void, mkArg: string): void {
  write('relay.ts', `import { Blob } from './blob.ts';
import { mk } from './mark.ts';

export function relay(b: Blob, n: number): void {
  if (n < 0) throw new Error('n');
  mk(b, ${mkArg});
}
`);
  write('user.ts', `import { Blob } from './blob.ts';
import { relay } from './relay.ts';

export function use(b: Blob): number {
  relay(b, 1);
  return b.slot;
}
`);
}

/**
 * Track the whole history once without a cache, then each commit alone on one cache: every point
 * must equal its fresh analysis. Returns the files analyzed at each commit.
 */
export async function trackEachCommit(spec: Spec, repo: string, steps: ReadonlyArray<{ sha: string; what: string }>, fresh: ReadonlyMap<string, AnalysisResult>, cacheDir: string): Promise<number[]> {
  const all = await trackHistory({ spec, repo, path: 'proj', cacheDir: false });
  expect(all.newest.findings).toEqual(fresh.get(steps.at(-1)!.sha)!.findings);
  const analyzed: number[] = [];
  for (const { sha, what } of steps) {
    const { newest, report } = await trackHistory({ spec, repo, path: 'proj', range: sha, cacheDir });
    expect(newest.findings, what).toEqual(fresh.get(sha)!.findings);
    expect(newest.residue, what).toEqual(fresh.get(sha)!.residue);
    analyzed.push(report.cache.analyzedFiles);
  }
  return analyzed;
}

/**
 * A small history of the blobworld fixture under `repo/proj`: the base and two edits that
 * change findings. Returns the commit ids, oldest first.
 */
export function blobworldHistory(repo: string): string[] {
  cpSync(BLOBWORLD, join(repo, 'proj'), { recursive: true });
  gitIn(repo, 'init', '-q');
  const shas = [commitIn(repo, 'base')];
  editIn(repo, 'src/helpers.ts', 'export function blob_owner(blob: Blob): number', 'export function blob_owner(blob: { owner: number }): number');
  shas.push(commitIn(repo, 'helpers: blob_owner takes any owner holder'));
  editIn(repo, 'src/net/buf.ts', '/** Network buffers', '/** Network buffers (comment only)');
  shas.push(commitIn(repo, 'net: comment'));
  return shas;
}

/** Everything git sees in the work tree besides committed files: untracked and ignored ones too. */
export function gitNoise(repo: string): string {
  return gitIn(repo, 'status', '--porcelain', '--ignored', '--untracked-files=all');
}

/** Run the CLI in-process with its output captured (the exit code as main() returns it). */
export async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const { main } = await import('../../src/cli.ts');
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    const code = await main(args);
    return { code, out: out.mock.calls.map((c) => String(c[0])).join(''), err: err.mock.calls.map((c) => String(c[0])).join('') };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

/** Per-file entries in a track cache folder: path -> the file it is for. */
export function entryFiles(cacheDir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const d of readdirSync(cacheDir)) {
    if (!/^[0-9a-f]{2}$/.test(d)) continue;
    for (const n of readdirSync(join(cacheDir, d))) {
      if (!/^[0-9a-f]{40}-[0-9a-f]{40}\.json$/.test(n)) continue;
      const body = (JSON.parse(readFileSync(join(cacheDir, d, n), 'utf8')) as { body: { file?: string } }).body;
      if (body.file) out.set(join(d, n), body.file);
    }
  }
  return out;
}
