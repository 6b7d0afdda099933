/**
 * The tracker's cache never lies: on a generated history of the blobworld fixture, every
 * commit's counts equal a fresh analyzeProgram() of that commit's checkout, including commits
 * that change a file's findings without changing its blob (a wrapper's type in the file it
 * imports; a caller in a file it does not import), and with the disk cache warm or corrupted.
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { InputError } from '../../src/errors.ts';
import type { AnalysisResult } from '../../src/model/findings.ts';
import { resolveSpec } from '../../src/model/builtin.ts';
import type { ProgressPoint } from '../../src/model/progress.ts';
import { progressPoint } from '../../src/track/progress.ts';
import { trackHistory } from '../../src/track/track.ts';
import { analyzeEachCommit, BLOBWORLD, commitIn, editIn, gitIn } from './history.ts';

const FIXTURE = BLOBWORLD;
let dir: string;
let repo: string;
let spec: ReturnType<typeof resolveSpec>;
const shas: string[] = [];
const fresh = new Map<string, AnalysisResult>();

const git = (...args: string[]): string => gitIn(repo, ...args);
const edit = (file: string, from: string, to: string): void => editIn(repo, file, from, to);

function commit(msg: string): void {
  shas.push(commitIn(repo, msg));
}

function counts(p: ProgressPoint): unknown {
  return { kinds: p.kinds, unknown: p.unknown, residue: p.residue, files: p.files };
}

function findingAt(r: AnalysisResult, file: string, line: number): string | undefined {
  return r.findings.find((f) => f.file === file && f.line === line)?.kind;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'memdesc-track-'));
  repo = join(dir, 'repo');
  cpSync(FIXTURE, join(repo, 'proj'), { recursive: true });
  spec = resolveSpec(join(FIXTURE, 'spec.json'));
  // Generic code whose blob gets its kind from its one caller (parameter provenance).
  writeFileSync(join(repo, 'proj/src/generic.ts'), `${readFileSync(join(repo, 'proj/src/generic.ts'), 'utf8')}
export function owner_plus(b: Blob): number {
  const o = b.owner;
  return o + 1;
}
`);
  edit('src/main.ts', "import { describe } from './generic.ts';", "import { describe, owner_plus } from './generic.ts';");
  edit('src/main.ts', 'cache_drop(blob_addr(a));', 'out.push(String(owner_plus(a)));\ncache_drop(blob_addr(a));');
  git('init', '-q');
  commit('base');
  // The wrapper's parameter is no longer the page class: cache.ts's call is no finding any more.
  edit('src/helpers.ts', 'export function blob_owner(blob: Blob): number', 'export function blob_owner(blob: { owner: number }): number');
  commit('helpers: blob_owner takes any owner holder');
  // owner_plus()'s one caller now passes a net blob: generic.ts (unchanged, and not importing
  // main.ts) changes kind through parameter provenance.
  edit('src/main.ts', 'owner_plus(a)', 'owner_plus(n)');
  commit('main: owner_plus of a net blob');
  edit('src/net/buf.ts', '/** Network buffers', '/** Network buffers (comment only)');
  commit('net: comment');
  edit('src/cache.ts', 'export function cache_sum(): number {', 'export function cache_sum(: number {');
  commit('cache: syntax error');
  edit('src/cache.ts', 'export function cache_sum(: number {', 'export function cache_sum(): number {');
  edit('src/helpers.ts', 'export function blob_owner(blob: { owner: number }): number', 'export function blob_owner(blob: Blob): number');
  commit('back to the start');
  // A fresh analysis of every commit's checkout: the oracle.
  for (const [sha, r] of analyzeEachCommit(repo, join(dir, 'checkout'), shas, spec)) fresh.set(sha, r);
}, 60_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('trackHistory', () => {
  it('the generated history really changes findings without changing the files they are in', () => {
    const [base, wrapper, caller] = shas.map((s) => fresh.get(s)!);
    expect(findingAt(base!, 'src/cache.ts', 18)).toBe('cache');
    expect(findingAt(wrapper!, 'src/cache.ts', 18)).toBeUndefined();
    expect(findingAt(wrapper!, 'src/generic.ts', 12)).toBe('cache');
    expect(findingAt(caller!, 'src/generic.ts', 12)).toBe('net');
    expect(fresh.get(shas[4]!)!.residue.some((r) => r.file === 'src/cache.ts' && /does not parse/.test(r.reason))).toBe(true);
  });

  it('equals a fresh analysis of every commit, and reuses unchanged files', async () => {
    const { report, newest } = await trackHistory({ spec, repo, path: 'proj', cacheDir: false });
    expect(report.points.map((p) => p.commit)).toEqual(shas);
    for (const p of report.points) {
      expect(counts(p), p.subject).toEqual(counts(progressPoint(fresh.get(p.commit)!, spec, p)));
    }
    const last = fresh.get(shas[shas.length - 1]!)!;
    expect(newest.findings).toEqual(last.findings);
    expect(newest.residue).toEqual(last.residue);
    // 8 files x 6 commits; the comment-only commit (a header comment of buf.ts) re-analyzes buf.ts alone.
    expect(report.cache.analyzedFiles + report.cache.reusedFiles).toBe(8 * shas.length);
    expect(report.cache.reusedFiles).toBeGreaterThanOrEqual(7);
  });

  it('a second run reads everything from the disk cache; a corrupted cache is discarded, not believed', async () => {
    const cacheDir = join(dir, 'cache');
    const first = await trackHistory({ spec, repo, path: 'proj', cacheDir });
    const second = await trackHistory({ spec, repo, path: 'proj', cacheDir });
    expect(second.report.cache.analyzedFiles).toBe(0);
    expect(second.report.points).toEqual(first.report.points);
    // Corrupt every entry: drop findings (checksum left stale) or write garbage.
    let n = 0;
    for (const sub of readdirSync(cacheDir)) {
      for (const f of readdirSync(join(cacheDir, sub))) {
        const p = join(cacheDir, sub, f);
        if (n++ % 2 === 0) writeFileSync(p, '{"sum":');
        else {
          // An index (the dependency sets of a key) or an entry.
          const doc = JSON.parse(readFileSync(p, 'utf8')) as { body: Array<{ callers: string[] }> | { findings: unknown[] } };
          if (Array.isArray(doc.body)) doc.body[0]!.callers = [];
          else doc.body.findings = [];
          writeFileSync(p, JSON.stringify(doc));
        }
      }
    }
    const third = await trackHistory({ spec, repo, path: 'proj', cacheDir });
    expect(third.stats.discarded).toBeGreaterThan(0);
    expect(third.report.points).toEqual(first.report.points);
  });

  it('a range walks only its commits', async () => {
    const { report } = await trackHistory({ spec, repo, path: 'proj', range: `${shas[1]}..${shas[3]}`, cacheDir: false });
    expect(report.points.map((p) => p.commit)).toEqual([shas[2], shas[3]]);
    expect(counts(report.points[0]!)).toEqual(counts(progressPoint(fresh.get(shas[2]!)!, spec, report.points[0]!)));
  });

  it('bad input: one clear error', async () => {
    await expect(trackHistory({ spec, repo: dir, path: 'proj', cacheDir: false })).rejects.toThrow(/not a git repository/);
    await expect(trackHistory({ spec, repo, path: 'proj', range: 'nope..HEAD', cacheDir: false })).rejects.toThrow(InputError);
    await expect(trackHistory({ spec, repo, path: 'proj/src', cacheDir: false })).rejects.toThrow(/no tsconfig.json in proj\/src/);
  });

  it('memdesc track prints one table row per commit, or the TrackReport JSON', async () => {
    const { main } = await import('../../src/cli.ts');
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      expect(await main(['track', repo, '--path', 'proj', '--no-cache', '--spec', join(FIXTURE, 'spec.json')])).toBe(0);
      const text = out.mock.calls.map((c) => String(c[0])).join('');
      expect(text).toMatch(new RegExp(`\\n${shas[1]!.slice(0, 7)}  helpers: blob_owner takes any owner hol… +\\d+/0 0% +\\d+/0 0% +\\d+ +\\d+\\n`));
      out.mockClear();
      expect(await main(['track', repo, '--path', 'proj', '--no-cache', '--json', '--spec', join(FIXTURE, 'spec.json')])).toBe(0);
      const report = JSON.parse(out.mock.calls.map((c) => String(c[0])).join('')) as { points: ProgressPoint[]; kinds: string[] };
      expect(report.kinds).toEqual(['cache', 'net']);
      expect(report.points.map((p) => p.commit)).toEqual(shas);
    } finally {
      out.mockRestore();
    }
  });

  it('memdesc track exits 2 with one error line', async () => {
    const { main } = await import('../../src/cli.ts');
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await main(['track', repo, '--path', 'proj/src', '--no-cache'])).toBe(2);
      expect(err.mock.calls.map((c) => String(c[0])).join('')).toMatch(/^memdesc: no tsconfig.json in proj\/src in any of the 6 commits \(newest [0-9a-f]{12}\): .*\n$/);
    } finally {
      err.mockRestore();
    }
  });
});
