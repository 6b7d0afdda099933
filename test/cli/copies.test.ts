/**
 * Copies of the bundled corpus where users put code: a folder whose name has a dot (TypeScript
 * once read `"include": ["."]` there as a file pattern), one with a space in a dotted parent (as
 * `mktemp -d` makes), all outside the project with no node_modules above them (the corpus once
 * needed the project's @types/node, and tsx needed a package.json beside it), and inside
 * node_modules as in an installed package (whose files the analyzer once skipped as a
 * dependency's): the copy with the space is that one too. Every command must behave exactly as
 * on the bundled corpus: same findings, no residue, same status, same digest, same conversion.
 * The dotted copy is analyzed by a spawned bin/memdesc.mjs, as a user runs it; everything else
 * runs through the CLI's main() in-process
 * (test/inProcess.ts: the same output without a process and a parse of TypeScript's lib files
 * per command), except `simulate`, which always spawns (its machine writes straight to the
 * process's stdout). The converted copy is the run's shared stage-1 tree (test/stage1.ts: the CLI's
 * convert --all --write in a dotted folder); the series in a dotted git copy is
 * test/series/corpus.test.ts's (its repository is `linux-5.10.y`).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUNDLED_CORPUS, PACKAGE_ROOT } from '../../src/paths.ts';
import { runMain } from '../inProcess.ts';
import { useIsolatedGit } from '../series/helpers.ts';
import { copyOfStage1, stage1Corpus } from '../stage1.ts';

const BIN = join(PACKAGE_ROOT, 'bin', 'memdesc.mjs');
// The git copy's commit; CI may have no global git config (useIsolatedGit
// gives this file its own, and a temp folder of its own that it removes).
useIsolatedGit({ name: 'Copies Test', email: 'copies@example.com' });
let base = '';

interface Ran { status: number; stdout: string; stderr: string }

function spawned(args: string[], cwd = base): Ran {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', timeout: 180_000, maxBuffer: 1 << 28 });
  return { status: r.status ?? 1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** `memdesc ...args` from `cwd`: a spawned process or the CLI's main() in this one. */
async function memdesc(args: string[], how: 'spawn' | 'in-process', cwd = base): Promise<Ran> {
  return how === 'spawn' ? spawned(args, cwd) : runMain(args, cwd);
}

async function ok(args: string[], how: 'spawn' | 'in-process' = 'in-process', cwd?: string): Promise<string> {
  const r = await memdesc(args, how, cwd);
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

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), 'memdesc-copies-'));
  // The reference: the bundled corpus (in-process; the copies are what is under test).
  ref.analysis = analysisOf(await ok(['analyze', BUNDLED_CORPUS, '--json']));
  ref.status = statusOf(await ok(['status', BUNDLED_CORPUS, '--json']));
  ref.digest = (JSON.parse(spawned(['simulate', BUNDLED_CORPUS, ...SIM]).stdout) as { digest: string }).digest;
  ref.diff = await ok(['convert', '--all', BUNDLED_CORPUS, '--dry-run']);
}, 300_000);

/** A copy of the corpus at `rel` under the test's temp folder (outside the project). */
function copyAt(rel: string): string {
  const dir = join(base, rel);
  mkdirSync(dirname(dir), { recursive: true });
  cpSync(BUNDLED_CORPUS, dir, { recursive: true });
  return dir;
}

describe('a copy of the corpus anywhere works like the bundled one', () => {
  // Each folder shape once; shapes that used to be copies of their own share one (a space in a
  // dotted parent, inside node_modules), since every copy is also a plain folder outside the
  // project: a shape that breaks a command breaks it in the shared copy too.
  it.each([
    // Analyzed by a spawned CLI: what a user starts (the program loaded in a process of its own).
    ['a dotted folder', 'linux-5.10.y', 'spawn'],
    // A space in the folder's own name, its parent dotted (mktemp -d style), and both inside
    // node_modules, as an installed memdesc keeps its bundled corpus (files under node_modules
    // are still the project's own).
    ['a folder with a space in a dotted parent (mktemp -d style), inside node_modules', 'node_modules/tmp.AbC123/my corpus', 'in-process'],
  ] as const)('%s (%s): analyze (%s), status, simulate, convert --dry-run', async (_what, rel, how) => {
    const dir = copyAt(rel);
    expect(dir.startsWith(PACKAGE_ROOT + '/')).toBe(false);
    // Nothing above the copy provides @types/node or tsx: the copy must bring what it needs.
    expect(nodeModulesAbove(dir).filter((p) => existsSync(join(p, '@types', 'node')))).toEqual([]);

    const analyze = await memdesc(['analyze', dir, '--json'], how);
    expect(analyze.stderr).toBe('');
    expect(analyze.status).toBe(0);
    const analysis = analysisOf(analyze.stdout) as { residue: unknown[] };
    expect(analysis.residue).toEqual([]);
    expect(analysis).toEqual(ref.analysis);

    // status loads the program as analyze does; once is enough (it costs a full analysis).
    if (rel === 'linux-5.10.y') expect(statusOf(await ok(['status', dir, '--json']))).toEqual(ref.status);

    const sim = spawned(['simulate', dir, ...SIM]);
    expect(sim.stderr).toBe('');
    expect(sim.status).toBe(0);
    expect((JSON.parse(sim.stdout) as { digest: string }).digest).toBe(ref.digest);

    // The relative spelling of the path, from the folder that holds it, as a user would type it.
    expect(await ok(['convert', '--all', rel, '--dry-run'], 'in-process', base)).toBe(ref.diff);
  }, 240_000);

  // A series in a dotted git copy: test/series/corpus.test.ts builds its corpus series in `linux-5.10.y`.
  it('track in a dotted git copy', async () => {
    const dir = copyAt('git/linux-5.10.y');
    for (const args of [['init', '-q'], ['add', '-A'], ['commit', '-q', '-m', 'base']]) {
      const r = spawnSync('git', args, { cwd: dir, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
    }
    const track = JSON.parse(await ok(['track', dir, '--json'])) as { points: Array<{ kinds: unknown; gap?: unknown }> };
    expect(track.points).toHaveLength(1);
    expect(track.points[0]!.gap).toBeUndefined();
    expect(track.points[0]!.kinds).toEqual((ref.status as { kinds: unknown }).kinds);
  }, 180_000);

  it('convert --all --write then verify --against the original, in a dotted folder', async () => {
    // The run's shared stage-1 tree is that conversion: the CLI's convert --all --write in a dotted folder.
    expect(basename(dirname(await stage1Corpus()))).toContain('.');
    const orig = copyAt('orig-5.10.y/corpus');
    const dir = await copyOfStage1(join(base, 'conv-5.10.y/corpus'));
    const kinds = (JSON.parse(await ok(['status', dir, '--json'])) as { kinds: Record<string, { remaining: number; converted: number }> }).kinds;
    for (const [kind, k] of Object.entries(kinds)) expect({ kind, remaining: k.remaining }).toEqual({ kind, remaining: 0 });
    const v = await memdesc(['verify', dir, '--against', orig, '--workloads', 'buddy,slab', '--seeds', '1', '--json'], 'in-process');
    if (v.status !== 0) throw new Error(`verify: exit ${v.status}\n${v.stderr}\n${v.stdout}`);
    const report = JSON.parse(v.stdout) as { ok: boolean; pairs: number; mismatches: unknown[] };
    expect(report).toMatchObject({ ok: true, pairs: 2, mismatches: [] });
  }, 180_000);
});
