/**
 * The V8 code cache for TypeScript (src/ts/codeCache.ts): the module it loads behaves as when
 * required plainly, a run without a usable cache leaves one behind in the user's cache folder,
 * a later run uses it without rewriting it, a cache V8 rejects is replaced, and
 * MEMDESC_NO_CODE_CACHE turns it off. Each run is its own process (the cache is written at exit).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mayWrite } from '../../src/ts/codeCache.ts';
import { buildSync } from 'esbuild';

const dir = mkdtempSync(join(tmpdir(), 'memdesc-codecache-'));
const cacheDir = join(dir, 'cache');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const heavy = join(dir, 'heavy.cjs');
writeFileSync(heavy, [
  "const { basename } = require('node:path');",
  'exports.sum = (xs) => xs.reduce((a, b) => a + b, 0);',
  'exports.where = basename(__filename) + " " + basename(__dirname) + " " + (module.exports === exports);',
  'exports.kids = require("./helper.cjs").twice(21);',
].join('\n'));
writeFileSync(join(dir, 'helper.cjs'), 'exports.twice = (x) => x * 2;\n');
// Plain JavaScript, as in the built CLI: the module bundled on its own, a driver importing it.
// absWorkingDir: not the folder esbuild was loaded in (in a shared worker, maybe a removed temp folder).
buildSync({ entryPoints: [join(import.meta.dirname, '..', '..', 'src', 'ts', 'codeCache.ts')], outfile: join(dir, 'codeCache.mjs'), bundle: true, platform: 'node', format: 'esm', logLevel: 'silent', absWorkingDir: import.meta.dirname });
const driver = join(dir, 'driver.mjs');
writeFileSync(driver, [
  "import { createRequire } from 'node:module';",
  "import { requireWithCodeCache } from './codeCache.mjs';",
  `const req = createRequire(${JSON.stringify(heavy)});`,
  `const m = requireWithCodeCache(req, ${JSON.stringify(heavy)}, new Set([${JSON.stringify(heavy)}]));`,
  'process.stdout.write(JSON.stringify({ sum: m.sum([1, 2, 3]), where: m.where, kids: m.kids }));',
].join('\n'));

function run(env: Record<string, string> = {}): unknown {
  const r = spawnSync(process.execPath, [driver], { encoding: 'utf8', env: { ...process.env, MEMDESC_CACHE_DIR: cacheDir, ...env } });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout);
}

const expected = { sum: 6, where: `heavy.cjs ${dir.split('/').pop()} true`, kids: 42 };
const cacheFiles = (): string[] => (existsSync(join(cacheDir, 'v8')) ? readdirSync(join(cacheDir, 'v8')).map((f) => join(cacheDir, 'v8', f)) : []);

describe('code cache', () => {
  it('is off with MEMDESC_NO_CODE_CACHE', () => {
    expect(run({ MEMDESC_NO_CODE_CACHE: '1' })).toEqual(expected);
    expect(cacheFiles()).toEqual([]);
  });

  it('is written by the first run, used unchanged by the next, replaced when V8 rejects it', () => {
    expect(run()).toEqual(expected);
    const [file, ...more] = cacheFiles();
    expect(more).toEqual([]);
    expect(statSync(file!).size).toBeGreaterThan(0);
    const before = statSync(file!).mtimeMs;
    expect(run()).toEqual(expected);
    expect(statSync(file!).mtimeMs).toBe(before);
    writeFileSync(file!, 'not a code cache');
    expect(run()).toEqual(expected);
    expect(cacheFiles()).toEqual([file]);
    expect(statSync(file!).size).toBeGreaterThan('not a code cache'.length);
  });
});

describe('where a code cache may be written', () => {
  it('not with --no-cache, not inside a project, a git work tree or a path named on the command line', () => {
    const free = join(dir, 'free', 'v8', 'x.bin');
    expect(mayWrite(free, ['analyze', '--json'], dir)).toBe(true);
    expect(mayWrite(free, ['track', '--no-cache'], dir)).toBe(false);
    const project = join(dir, 'project');
    mkdirSync(join(project, 'sub'), { recursive: true });
    writeFileSync(join(project, 'tsconfig.json'), '{}');
    expect(mayWrite(join(project, 'sub', '.cache', 'v8', 'x.bin'), ['analyze'], dir)).toBe(false);
    const repo = join(dir, 'repo');
    mkdirSync(join(repo, '.git'), { recursive: true });
    expect(mayWrite(join(repo, 'cache', 'v8', 'x.bin'), ['status'], dir)).toBe(false);
    const named = join(dir, 'named');
    mkdirSync(named);
    expect(mayWrite(join(named, 'cache', 'v8', 'x.bin'), ['analyze', 'named'], dir)).toBe(false);
    expect(mayWrite(join(named, 'cache', 'v8', 'x.bin'), ['analyze', 'elsewhere'], dir)).toBe(true);
  });
});
