/**
 * Where track keeps its cache: in the user's cache folder ($MEMDESC_CACHE_DIR, else
 * $XDG_CACHE_HOME/memdesc, else ~/.cache/memdesc), never in the repository it walks — a
 * tracked repository stays clean for `convert --write`. A cache that cannot be used costs time,
 * never the run or a byte in the repository; entries are keyed by content, so one cache serves
 * many repositories without mixing them up, and two tracks may share it at once.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { resolveSpec } from '../../src/model/builtin.ts';
import type { TrackReport } from '../../src/model/progress.ts';
import { trackHistory } from '../../src/track/track.ts';
import { BLOBWORLD, blobworldHistory, commitIn, editIn, gitNoise, cli } from './history.ts';

const SPEC_FILE = join(BLOBWORLD, 'spec.json');
const ENV_KEYS = ['MEMDESC_CACHE_DIR', 'XDG_CACHE_HOME', 'HOME'] as const;
let dir: string;
let repo: string;
let spec: ReturnType<typeof resolveSpec>;
let saved: Record<string, string | undefined>;
/** The walk without any disk cache: what every cached run must equal. */
let plain: TrackReport;

function setEnv(vars: Partial<Record<(typeof ENV_KEYS)[number], string | undefined>>): void {
  for (const k of ENV_KEYS) {
    if (!(k in vars)) continue;
    if (vars[k] === undefined) delete process.env[k];
    else process.env[k] = vars[k];
  }
}

/** Files below `root` (recursively), relative; [] when it does not exist. */
function filesUnder(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { recursive: true, withFileTypes: true }).filter((d) => d.isFile()).map((d) => join(d.parentPath, d.name).slice(root.length + 1));
}

/** What a run measured (not how: cache statistics differ between runs). */
function measured(r: TrackReport): unknown {
  return { points: r.points, residue: r.residue };
}

beforeAll(async () => {
  saved = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));
  dir = mkdtempSync(join(tmpdir(), 'memdesc-track-cache-'));
  repo = join(dir, 'repo');
  blobworldHistory(repo);
  spec = resolveSpec(SPEC_FILE);
  plain = (await trackHistory({ spec, repo, path: 'proj', cacheDir: false })).report;
}, 60_000);

beforeEach(() => {
  // No test may fall back on the real ~/.cache.
  setEnv({ MEMDESC_CACHE_DIR: join(dir, 'unused-cache'), XDG_CACHE_HOME: undefined, HOME: join(dir, 'unused-home') });
});

afterEach(() => {
  expect(gitNoise(repo), 'the repository must stay exactly as committed').toBe('');
});

afterAll(() => {
  setEnv(saved);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('track cache location', () => {
  it('memdesc track leaves the repository clean and caches in $MEMDESC_CACHE_DIR/track', async () => {
    const cache = join(dir, 'cache-env');
    setEnv({ MEMDESC_CACHE_DIR: cache });
    const first = await cli('track', repo, '--path', 'proj', '--json', '--spec', SPEC_FILE);
    expect(first.err).toBe('');
    expect(first.code).toBe(0);
    expect(gitNoise(repo)).toBe('');
    expect(filesUnder(join(cache, 'track')).filter((f) => f.endsWith('.json')).length).toBeGreaterThan(0);
    // The second run is answered by that cache.
    const second = await cli('track', repo, '--path', 'proj', '--json', '--spec', SPEC_FILE);
    const report = JSON.parse(second.out) as TrackReport;
    expect(report.cache.analyzedFiles).toBe(0);
    expect(measured(report)).toEqual(measured(plain));
  });

  it('convert --write accepts the tree right after a track (the reported defect: .cache/ made it dirty)', async () => {
    const own = join(dir, 'convert-after-track');
    blobworldHistory(own);
    setEnv({ MEMDESC_CACHE_DIR: join(dir, 'cache-convert') });
    expect((await cli('track', own, '--path', 'proj', '--spec', SPEC_FILE)).code).toBe(0);
    const r = await cli('convert', '--all', join(own, 'proj'), '--write', '--spec', SPEC_FILE);
    expect(r.err).not.toMatch(/dirty|uncommitted|untracked/i);
    expect(r.code).toBe(0);
    // What changed is the conversion alone: source files under proj/, nothing else.
    const changed = gitNoise(own).split('\n').filter(Boolean).map((l) => l.slice(3));
    expect(changed.length).toBeGreaterThan(0);
    for (const f of changed) expect(f).toMatch(/^proj\/src\/.*\.ts$/);
  });

  it('without $MEMDESC_CACHE_DIR: $XDG_CACHE_HOME/memdesc/track, else ~/.cache/memdesc/track', async () => {
    const xdg = join(dir, 'xdg');
    setEnv({ MEMDESC_CACHE_DIR: undefined, XDG_CACHE_HOME: xdg });
    await trackHistory({ spec, repo, path: 'proj' });
    expect(filesUnder(join(xdg, 'memdesc', 'track')).length).toBeGreaterThan(0);
    const home = join(dir, 'home');
    mkdirSync(home);
    setEnv({ XDG_CACHE_HOME: undefined, HOME: home });
    await trackHistory({ spec, repo, path: 'proj' });
    expect(filesUnder(join(home, '.cache', 'memdesc', 'track')).length).toBeGreaterThan(0);
  });

  it('--no-cache writes nothing anywhere', async () => {
    const cache = join(dir, 'cache-none');
    setEnv({ MEMDESC_CACHE_DIR: cache });
    const r = await cli('track', repo, '--path', 'proj', '--no-cache', '--json', '--spec', SPEC_FILE);
    expect(r.code).toBe(0);
    expect(existsSync(cache)).toBe(false);
    expect(measured(JSON.parse(r.out) as TrackReport)).toEqual(measured(plain));
  });

  it('a cache folder that cannot be made: the run succeeds in memory and says so once', async () => {
    const blocker = join(dir, 'a-file');
    writeFileSync(blocker, 'not a folder\n');
    setEnv({ MEMDESC_CACHE_DIR: join(blocker, 'cache') });
    const r = await cli('track', repo, '--path', 'proj', '--json', '--spec', SPEC_FILE);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/^memdesc: warning: .*a-file\/cache.*memory.*\n$/);
    expect(measured(JSON.parse(r.out) as TrackReport)).toEqual(measured(plain));
  });

  it('a cache folder inside the repository (directly or through a symlink) is not used', async () => {
    for (const cache of [join(repo, 'proj', '.cache'), join(dir, 'link-to-repo', 'cache')]) {
      if (cache.includes('link-to-repo') && !existsSync(join(dir, 'link-to-repo'))) symlinkSync(repo, join(dir, 'link-to-repo'));
      setEnv({ MEMDESC_CACHE_DIR: cache });
      const r = await cli('track', repo, '--path', 'proj', '--json', '--spec', SPEC_FILE);
      expect(r.code).toBe(0);
      expect(r.err).toMatch(/^memdesc: warning: .*inside the repository.*MEMDESC_CACHE_DIR.*\n$/);
      expect(gitNoise(repo)).toBe('');
      expect(measured(JSON.parse(r.out) as TrackReport)).toEqual(measured(plain));
    }
  });

  it('one cache serves several repositories: keys tell them apart, also a new history at the same path', async () => {
    const cacheDir = join(dir, 'cache-shared');
    const other = join(dir, 'other');
    const otherShas = blobworldHistory(other);
    // Same relative paths, different contents: a findings change in the middle of main.ts.
    editIn(other, 'src/main.ts', 'cache_drop(blob_addr(a));', 'cache_drop(blob_addr(a));\nout.push(describe(b));');
    otherShas.push(commitIn(other, 'main: one more describe'));
    const otherPlain = (await trackHistory({ spec, repo: other, path: 'proj', cacheDir: false })).report;
    expect(measured((await trackHistory({ spec, repo, path: 'proj', cacheDir })).report)).toEqual(measured(plain));
    expect(measured((await trackHistory({ spec, repo: other, path: 'proj', cacheDir })).report)).toEqual(measured(otherPlain));
    // A different history at a path the cache has seen: nothing of the old one is believed.
    rmSync(other, { recursive: true, force: true });
    mkdirSync(other);
    blobworldHistory(other);
    editIn(other, 'src/cache.ts', 'export function cache_sum(): number {', 'export function cache_sum(: number {');
    commitIn(other, 'cache: syntax error');
    const again = (await trackHistory({ spec, repo: other, path: 'proj', cacheDir })).report;
    const againPlain = (await trackHistory({ spec, repo: other, path: 'proj', cacheDir: false })).report;
    expect(measured(again)).toEqual(measured(againPlain));
    expect(gitNoise(other)).toBe('');
  });

  it('two tracks at once on one cache: both right, the cache whole afterwards', async () => {
    const cacheDir = join(dir, 'cache-together');
    const [a, b] = await Promise.all([
      trackHistory({ spec, repo, path: 'proj', cacheDir }),
      trackHistory({ spec, repo, path: 'proj', cacheDir }),
    ]);
    expect(measured(a.report)).toEqual(measured(plain));
    expect(measured(b.report)).toEqual(measured(plain));
    expect(filesUnder(cacheDir).filter((f) => !f.endsWith('.json'))).toEqual([]);
    const third = await trackHistory({ spec, repo, path: 'proj', cacheDir });
    expect(third.report.cache.analyzedFiles).toBe(0);
    expect(third.stats.discarded).toBe(0);
  });

  it('two track processes at once on one cache: both right, no torn or temporary files left', async () => {
    const cache = join(dir, 'cache-processes');
    // The CLI from source through tsx (a devDependency), as bin/ did before any build step.
    const tsx = import.meta.resolve('tsx/esm/api');
    const cliTs = pathToFileURL(join(import.meta.dirname, '../../src/cli.ts')).href;
    const script = `import { register } from ${JSON.stringify(tsx)}; register();
const { main } = await import(${JSON.stringify(cliTs)});
process.exitCode = await main(process.argv.slice(1));`;
    const env = { ...process.env, MEMDESC_CACHE_DIR: cache };
    const run = (): Promise<{ stdout: string; stderr: string }> =>
      promisify(execFile)(process.execPath, ['--input-type=module', '-e', script, 'track', repo, '--path', 'proj', '--json', '--spec', SPEC_FILE], { env, maxBuffer: 1 << 26 });
    const [a, b] = await Promise.all([run(), run()]);
    for (const r of [a, b]) {
      expect(r.stderr).toBe('');
      expect(measured(JSON.parse(r.stdout) as TrackReport)).toEqual(measured(plain));
    }
    expect(filesUnder(cache).filter((f) => !f.endsWith('.json'))).toEqual([]);
    const third = await trackHistory({ spec, repo, path: 'proj', cacheDir: join(cache, 'track') });
    expect(third.report.cache.analyzedFiles).toBe(0);
    expect(third.stats.discarded).toBe(0);
  }, 120_000);

});
