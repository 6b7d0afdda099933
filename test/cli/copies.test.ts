/**
 * Copies of the bundled corpus where users put code: a folder whose name has a dot (TypeScript
 * once read `"include": ["."]` there as a file pattern), one with a space, and plain folders
 * outside the project with no node_modules above them (the corpus once needed the project's
 * @types/node, and tsx needed a package.json beside it), and a copy inside node_modules as in an
 * installed package (whose files the analyzer once skipped as a dependency's). Every command must behave exactly as on
 * the bundled corpus: same findings, no residue, same status, same digest, same conversion.
 * Every command spawns bin/memdesc.mjs, as a user runs it. The converted copy is the run's shared
 * stage-1 tree (test/stage1.ts: the CLI's convert --all --write in a dotted folder).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLED_CORPUS, PACKAGE_ROOT } from '../../src/paths.ts';
import { copyOfStage1, stage1Corpus } from '../stage1.ts';

const BIN = join(PACKAGE_ROOT, 'bin', 'memdesc.mjs');
// series commits; CI may have no global git config.
const GIT_ID = { GIT_AUTHOR_NAME: 'Copies Test', GIT_AUTHOR_EMAIL: 'copies@example.com', GIT_COMMITTER_NAME: 'Copies Test', GIT_COMMITTER_EMAIL: 'copies@example.com' };
let base = '';
let cache = '';

function memdesc(args: string[], cwd = base): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd, encoding: 'utf8', timeout: 180_000, maxBuffer: 1 << 28,
    // Builds of the copies go to a cache of this test, not the user's.
    env: { ...process.env, ...GIT_ID, MEMDESC_CACHE_DIR: cache },
  });
  return { status: r.status ?? 1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

function ok(args: string[], cwd?: string): string {
  const r = memdesc(args, cwd);
  if (r.status !== 0) throw new Error(`memdesc ${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
  return r.stdout;
}

/** Every node_modules folder a resolver walking up from `dir` would find. */
function nodeModulesAbove(dir: string): string[] {
  const found: string[] = [];
  for (let d = dir; ; d = dirname(d)) {
    if (existsSync(join(d, 'node_modules'))) found.push(join(d, 'node_modules'));
    if (dirname(d) === d) return found;
  }
}

/** The analysis without where it ran (the root folder). */
function analysisOf(stdout: string): unknown {
  const j = JSON.parse(stdout) as Record<string, unknown>;
  delete j.root;
  return j;
}

function statusOf(stdout: string): unknown {
  const j = JSON.parse(stdout) as Record<string, unknown>;
  delete j.date;
  return j;
}

const SIM = ['--workload', 'mixed', '--seed', '3', '--ops', '400', '--json'];
const ref: { analysis?: unknown; status?: unknown; digest?: string; diff?: string } = {};

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'memdesc-copies-'));
  cache = join(base, '.cache');
  ref.analysis = analysisOf(ok(['analyze', BUNDLED_CORPUS, '--json']));
  ref.status = statusOf(ok(['status', BUNDLED_CORPUS, '--json']));
  ref.digest = (JSON.parse(ok(['simulate', BUNDLED_CORPUS, ...SIM])) as { digest: string }).digest;
  ref.diff = ok(['convert', '--all', BUNDLED_CORPUS, '--dry-run']);
}, 300_000);
afterAll(() => { if (base) rmSync(base, { recursive: true, force: true }); });

/** A copy of the corpus at `rel` under the test's temp folder (outside the project). */
function copyAt(rel: string): string {
  const dir = join(base, rel);
  mkdirSync(dirname(dir), { recursive: true });
  cpSync(BUNDLED_CORPUS, dir, { recursive: true });
  return dir;
}

describe('a copy of the corpus anywhere works like the bundled one', () => {
  it.each([
    ['a dotted folder', 'linux-5.10.y'],
    ['a folder with a space', 'my corpus'],
    ['a dotted parent (mktemp -d style)', 'tmp.AbC123/corpus'],
    ['a plain folder outside the project', 'plain/corpus'],
    // Where an installed memdesc keeps its bundled corpus: files under node_modules are still the project's own.
    ['a folder inside node_modules', 'node_modules/memdesc/corpus'],
  ])('%s (%s): analyze, status, simulate, convert --dry-run', (_what, rel) => {
    const dir = copyAt(rel);
    expect(dir.startsWith(PACKAGE_ROOT + '/')).toBe(false);
    // Nothing above the copy provides @types/node or tsx: the copy must bring what it needs.
    expect(nodeModulesAbove(dir).filter((p) => existsSync(join(p, '@types', 'node')))).toEqual([]);

    const analyze = memdesc(['analyze', dir, '--json']);
    expect(analyze.stderr).toBe('');
    expect(analyze.status).toBe(0);
    const analysis = analysisOf(analyze.stdout) as { residue: unknown[] };
    expect(analysis.residue).toEqual([]);
    expect(analysis).toEqual(ref.analysis);

    // status loads the program as analyze does; once is enough (it costs a full analysis).
    if (rel === 'linux-5.10.y') expect(statusOf(ok(['status', dir, '--json']))).toEqual(ref.status);

    const sim = memdesc(['simulate', dir, ...SIM]);
    expect(sim.stderr).toBe('');
    expect(sim.status).toBe(0);
    expect((JSON.parse(sim.stdout) as { digest: string }).digest).toBe(ref.digest);

    // The relative spelling of the path, from the folder that holds it, as a user would type it.
    expect(ok(['convert', '--all', rel, '--dry-run'], base)).toBe(ref.diff);
  }, 240_000);

  it('track and series in a dotted git copy', () => {
    const dir = copyAt('git/linux-5.10.y');
    for (const args of [['init', '-q'], ['add', '-A'], ['commit', '-q', '-m', 'base']]) {
      const r = spawnSync('git', args, { cwd: dir, encoding: 'utf8', env: { ...process.env, ...GIT_ID } });
      if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
    }
    const track = JSON.parse(ok(['track', dir, '--json'])) as { points: Array<{ kinds: unknown; gap?: unknown }> };
    expect(track.points).toHaveLength(1);
    expect(track.points[0]!.gap).toBeUndefined();
    expect(track.points[0]!.kinds).toEqual((ref.status as { kinds: unknown }).kinds);
    const out = join(base, 'series-out');
    const series = memdesc(['series', 'vmalloc', 'git/linux-5.10.y', '--out', out, '--seeds', '1', '--tip-seeds', '1', '--workloads', 'buddy', '--ops', '200']);
    if (series.status !== 0) throw new Error(`series: exit ${series.status}\n${series.stderr}`);
    const patches = readdirSync(out).filter((f) => /^\d{4}-.*\.patch$/.test(f));
    expect(patches[0]).toBe('0000-cover-letter.patch');
    expect(patches.length).toBeGreaterThan(2);
  }, 180_000);

  it('convert --all --write then verify --against the original, in a dotted folder', async () => {
    // The run's shared stage-1 tree is that conversion: the CLI's convert --all --write in a dotted folder.
    expect(basename(dirname(await stage1Corpus()))).toContain('.');
    const orig = copyAt('orig-5.10.y/corpus');
    const dir = await copyOfStage1(join(base, 'conv-5.10.y/corpus'));
    const kinds = (JSON.parse(ok(['status', dir, '--json'])) as { kinds: Record<string, { remaining: number; converted: number }> }).kinds;
    for (const [kind, k] of Object.entries(kinds)) expect({ kind, remaining: k.remaining }).toEqual({ kind, remaining: 0 });
    const v = memdesc(['verify', dir, '--against', orig, '--workloads', 'buddy,slab', '--seeds', '1', '--json']);
    if (v.status !== 0) throw new Error(`verify: exit ${v.status}\n${v.stderr}\n${v.stdout}`);
    const report = JSON.parse(v.stdout) as { ok: boolean; pairs: number; mismatches: unknown[] };
    expect(report).toMatchObject({ ok: true, pairs: 2, mismatches: [] });
  }, 180_000);
});
