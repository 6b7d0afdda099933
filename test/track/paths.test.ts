/**
 * track and status wherever the user keeps the code: a repository whose folder names have dots
 * and spaces, the project in a sub-folder (also dotted and spaced), --path given relative to
 * the top level, absolute, or not at all (the nearest tsconfig.json from the folder given, as
 * tsc finds it). The numbers equal a fresh analysis of each commit's checkout; TypeScript's
 * dotted-folder quirk (`"include": ["."]` in `linux-5.10.y` includes nothing) is named in the
 * error, with the fix.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { analyzeProgram } from '../../src/analyzers/analyze.ts';
import { loadProgram } from '../../src/analyzers/project.ts';
import { resolveSpec } from '../../src/model/builtin.ts';
import type { AnalysisResult } from '../../src/model/findings.ts';
import type { ProgressPoint, TrackReport } from '../../src/model/progress.ts';
import { progressPoint } from '../../src/track/progress.ts';
import { trackHistory } from '../../src/track/track.ts';
import { BLOBWORLD, gitIn, gitNoise } from './history.ts';

const SPEC_FILE = join(BLOBWORLD, 'spec.json');
/** The project's folder inside the repository: a space and a dotted name. */
const PROJ = 'sub dir/linux-5.10.y';
let dir: string;
let repo: string;
let spec: ReturnType<typeof resolveSpec>;
const shas: string[] = [];
const fresh = new Map<string, AnalysisResult>();

function commit(msg: string): void {
  gitIn(repo, 'add', '-A');
  gitIn(repo, 'commit', '-qm', msg);
  shas.push(gitIn(repo, 'rev-parse', 'HEAD').trim());
}

function counts(p: ProgressPoint): unknown {
  return { kinds: p.kinds, unknown: p.unknown, residue: p.residue, files: p.files };
}

async function cli(cwd: string | undefined, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const { main } = await import('../../src/cli.ts');
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  const before = process.cwd();
  try {
    if (cwd) process.chdir(cwd);
    const code = await main(args);
    return { code, out: out.mock.calls.map((c) => String(c[0])).join(''), err: err.mock.calls.map((c) => String(c[0])).join('') };
  } finally {
    process.chdir(before);
    out.mockRestore();
    err.mockRestore();
  }
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'memdesc-track-paths-'));
  repo = join(dir, 'my repo.v2');
  mkdirSync(repo);
  cpSync(BLOBWORLD, join(repo, PROJ), { recursive: true });
  gitIn(repo, 'init', '-q');
  commit('base');
  const helpers = join(repo, PROJ, 'src/helpers.ts');
  writeFileSync(helpers, readFileSync(helpers, 'utf8').replace('export function blob_owner(blob: Blob): number', 'export function blob_owner(blob: { owner: number }): number'));
  commit('helpers: blob_owner takes any owner holder');
  spec = resolveSpec(SPEC_FILE);
  const work = join(dir, 'check out.d');
  execFileSync('git', ['clone', '-q', repo, work]);
  for (const sha of shas) {
    execFileSync('git', ['checkout', '-q', sha], { cwd: work });
    const { program, root } = loadProgram(join(work, PROJ));
    fresh.set(sha, analyzeProgram(program, root, { spec }));
  }
  // The project leaves the tree at the newest commit: that commit is a gap, found by path with a space.
  rmSync(join(repo, PROJ, 'tsconfig.json'));
  commit('drop the tsconfig');
}, 60_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('track and status in dotted and spaced folders', () => {
  it('--path relative to the top level: every commit equals a fresh analysis of its checkout', async () => {
    const { report } = await trackHistory({ spec, repo, path: PROJ, cacheDir: false });
    expect(report.path).toBe(PROJ);
    expect(report.points.map((p) => p.commit)).toEqual(shas);
    for (const p of report.points.slice(0, 2)) expect(counts(p), p.subject).toEqual(counts(progressPoint(fresh.get(p.commit)!, spec, p)));
    expect(report.points[2]!.gap).toBe(`no tsconfig.json at ${PROJ}/tsconfig.json`);
    expect(report.residue).toEqual(fresh.get(shas[1]!)!.residue);
  });

  it('--path absolute, or none: the project is found from the folder given, as tsc finds it', async () => {
    const want = (await trackHistory({ spec, repo, path: PROJ, cacheDir: false })).report.points;
    for (const opts of [{ repo, path: join(repo, PROJ) }, { repo: join(repo, PROJ) }, { repo: join(repo, PROJ, 'src', 'net') }]) {
      const { report } = await trackHistory({ spec, ...opts, cacheDir: false });
      expect(report.path, JSON.stringify(opts)).toBe(PROJ);
      expect(report.points).toEqual(want);
    }
    // From the shell: `memdesc track` inside the project's folder.
    const r = await cli(join(repo, PROJ, 'src'), 'track', '--no-cache', '--json', '--spec', SPEC_FILE);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect((JSON.parse(r.out) as TrackReport).points).toEqual(want);
  });

  it('--path outside the repository is a usage error', async () => {
    await expect(trackHistory({ spec, repo, path: dir, cacheDir: false })).rejects.toThrow(/--path must be a directory inside the repository/);
    await expect(trackHistory({ spec, repo, path: '../x', cacheDir: false })).rejects.toThrow(/--path must be a directory inside the repository/);
  });

  it('memdesc status on the project folder: the same numbers as track at that commit', async () => {
    const work = join(dir, 'status here.v1');
    execFileSync('git', ['clone', '-q', repo, work]);
    execFileSync('git', ['checkout', '-q', shas[1]!], { cwd: work });
    const r = await cli(undefined, 'status', join(work, PROJ), '--json', '--spec', SPEC_FILE);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const point = JSON.parse(r.out) as ProgressPoint;
    expect(counts(point)).toEqual(counts(progressPoint(fresh.get(shas[1]!)!, spec, point)));
  });

  it('"include": ["."] in a dotted folder: the error names TypeScript\'s quirk and the fix', async () => {
    const other = join(dir, 'dotted.repo');
    mkdirSync(other);
    cpSync(BLOBWORLD, join(other, PROJ), { recursive: true });
    const cfg = join(other, PROJ, 'tsconfig.json');
    writeFileSync(cfg, readFileSync(cfg, 'utf8').replace('"include": ["src"]', '"include": ["."]'));
    gitIn(other, 'init', '-q');
    gitIn(other, 'add', '-A');
    gitIn(other, 'commit', '-qm', 'base');
    const r = await cli(undefined, 'track', other, '--path', PROJ, '--no-cache', '--spec', SPEC_FILE);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^memdesc: nothing to track: .*no TypeScript files in sub dir\/linux-5\.10\.y\/tsconfig\.json: TypeScript reads the include entry "\." as a file name because the folder name "linux-5\.10\.y" has a dot; write "\*\*\/\*" instead\)\n$/);
    // The fix it names works.
    writeFileSync(cfg, readFileSync(cfg, 'utf8').replace('"include": ["."]', '"include": ["**/*"]'));
    gitIn(other, 'commit', '-qam', 'include everything');
    const { report } = await trackHistory({ spec, repo: other, path: PROJ, cacheDir: false });
    expect(report.points[0]!.gap).toMatch(/has a dot/);
    expect(report.points[1]!.gap).toBeUndefined();
    expect(report.points[1]!.files).toBe(8);
    expect(gitNoise(other)).toBe('');
  });

  it('leaves the repository as committed', () => {
    expect(gitNoise(repo)).toBe('');
  });
});
