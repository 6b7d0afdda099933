/**
 * scripts/build.mjs: the built CLI is an entry (dist/cli.mjs) holding the command definitions and
 * chunks beside it holding each command's library code, loaded when its action runs. Run on a copy
 * of the checkout (its src/ is edited here), so the checkout's own dist/ is never touched.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.ts';
import { runMain } from '../inProcess.ts';

interface Startup { outputs: string[]; bytes: number; inputs: string[]; packages: string[] }
interface Built { outputs: string[]; pruned: string[]; startup: Startup }
interface BuildModule {
  build(opts?: { pruneAll?: boolean }): Promise<Built>;
  isStale(): boolean;
  BANNER: string;
  GRACE_MS: number;
}

const base = mkdtempSync(join(tmpdir(), 'memdesc-build-'));
const checkout = join(base, 'checkout');
const dist = join(checkout, 'dist');
let b: BuildModule;
let first: Built;

beforeAll(async () => {
  for (const part of ['src', 'scripts', 'bin', 'package.json']) cpSync(join(PACKAGE_ROOT, part), join(checkout, part), { recursive: true });
  symlinkSync(join(PACKAGE_ROOT, 'node_modules'), join(checkout, 'node_modules'), 'dir');
  b = await import(pathToFileURL(join(checkout, 'scripts', 'build.mjs')).href) as BuildModule;
  first = await b.build();
}, 180_000);
afterAll(() => rmSync(base, { recursive: true, force: true }));

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [join(checkout, 'bin', 'memdesc.mjs'), ...args], { cwd: base, encoding: 'utf8', timeout: 120_000 });
}

/** The library modules src/commands/* load with import() in their actions: what start-up must not load (a command's own module is a definition too). */
function lazyModules(): string[] {
  const dir = join(checkout, 'src', 'commands');
  const found = new Set<string>();
  for (const f of readdirSync(dir)) {
    for (const m of readFileSync(join(dir, f), 'utf8').matchAll(/\bimport\(\s*'(\.\.?\/[^']+\.ts)'\s*\)/g)) {
      found.add(join('src', 'commands', m[1]!).split('\\').join('/').replace(/^src\/commands\/\.\.\//, 'src/'));
    }
  }
  return [...found].filter((f) => !f.startsWith('src/commands/')).sort();
}

describe('the entry and its chunks', () => {
  it('start-up loads the command definitions only: no module an action imports, no package but commander', () => {
    const s = first.startup;
    expect(s.outputs).toContain('cli.mjs');
    const lazy = lazyModules();
    expect(lazy.length).toBeGreaterThan(20);
    expect(lazy).toContain('src/analyzers/analyze.ts');
    expect(s.inputs.filter((i) => lazy.includes(i))).toEqual([]);
    // TypeScript's facade (scripts/build.mjs LAZY) and every other package load with a command's chunk.
    expect(s.inputs.filter((i) => i.includes(':'))).toEqual([]);
    expect(s.packages.filter((p) => p !== 'commander' && !p.startsWith('node:'))).toEqual([]);
    const total = first.outputs.filter((f) => f.endsWith('.mjs')).reduce((n, f) => n + statSync(join(dist, f)).size, 0);
    expect(s.bytes).toBeLessThan(total * 0.15);
    // Every output is on disk and recorded; every JavaScript output carries the banner.
    const info = JSON.parse(readFileSync(join(dist, 'build-info.json'), 'utf8')) as { outputs: string[]; startup: Startup };
    expect(info.outputs).toEqual(first.outputs);
    expect(info.startup).toEqual(s);
    for (const f of first.outputs) {
      expect(existsSync(join(dist, f))).toBe(true);
      if (f.endsWith('.mjs')) expect(readFileSync(join(dist, f), 'utf8').startsWith(`${b.BANNER}\n`)).toBe(true);
    }
    expect(first.outputs).toContain('specs/linux.json');
  });

  it('the built CLI says what src/cli.ts says: --help, a command\'s --help, a bad flag, a command that loads its chunk', async () => {
    for (const args of [['--help'], ['analyze', '--help'], ['plan', 'import', '--help'], ['--bogus'], ['analyze', '--bogus'], ['nosuchcommand'],
      ['plan', 'import', join(PACKAGE_ROOT, 'test', 'fixtures', 'plan', 'archive-rfc-ptdesc.txt')], ['plan', 'import', join(base, 'missing.txt')]]) {
      const got = cli(args);
      const want = await runMain(args, base);
      expect({ args, status: got.status, stdout: got.stdout, stderr: got.stderr }).toEqual({ args, ...want });
    }
    // Bad usage stays one line on stderr, exit 2.
    const bad = cli(['analyze', '--bogus']);
    expect(bad.status).toBe(2);
    expect(bad.stderr.trimEnd().split('\n')).toHaveLength(1);
  }, 120_000);
});

describe('staleness and rebuilds', () => {
  it('a build is fresh; a touched input (same content) stays fresh; an edited one makes it stale, and bin/memdesc.mjs rebuilds it', async () => {
    expect(b.isStale()).toBe(false);
    const file = join(checkout, 'src', 'errors.ts');
    const later = new Date(Date.now() + 60_000);
    utimesSync(file, later, later);
    expect(b.isStale()).toBe(false);
    appendFileSync(file, '\n// edited\n');
    expect(b.isStale()).toBe(true);
    const r = cli(['--help']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Usage: memdesc/);
    expect(b.isStale()).toBe(false);
  }, 180_000);

  it('a missing chunk makes the build stale', () => {
    const info = JSON.parse(readFileSync(join(dist, 'build-info.json'), 'utf8')) as { outputs: string[] };
    const chunk = info.outputs.find((f) => f !== 'cli.mjs' && f.endsWith('.mjs'))!;
    const keep = readFileSync(join(dist, chunk));
    rmSync(join(dist, chunk));
    expect(b.isStale()).toBe(true);
    writeFileSync(join(dist, chunk), keep);
    expect(b.isStale()).toBe(false);
  });

  it('an entry another build put in place (same name, another write) makes the build stale', () => {
    const entry = join(dist, 'cli.mjs');
    const text = readFileSync(entry);
    writeFileSync(`${entry}.other`, text);
    renameSync(`${entry}.other`, entry);
    expect(b.isStale()).toBe(true);
  });

  it('earlier builds\' chunks go once unused for the grace period (at once with pruneAll); files the build did not write stay', async () => {
    const old = new Date(Date.now() - 2 * b.GRACE_MS);
    const plant = (name: string, text: string, when?: Date): void => {
      writeFileSync(join(dist, name), text);
      if (when) utimesSync(join(dist, name), when, when);
    };
    plant('chunk-OLDBUILD.mjs', `${b.BANNER}\nexport const x = 1;\n`, old);
    plant('chunk-RECENT1.mjs', `${b.BANNER}\nexport const y = 2;\n`);
    plant('mine.mjs', 'export const z = 3;\n', old);
    // A current chunk untouched for long is refreshed by the build that makes it again, never pruned.
    const current = readdirSync(dist).find((f) => f.startsWith('chunk-') && JSON.parse(readFileSync(join(dist, 'build-info.json'), 'utf8')).outputs.includes(f))!;
    utimesSync(join(dist, current), old, old);
    const again = await b.build();
    expect(again.pruned).toEqual(['chunk-OLDBUILD.mjs']);
    expect(existsSync(join(dist, 'chunk-RECENT1.mjs'))).toBe(true);
    expect(existsSync(join(dist, 'mine.mjs'))).toBe(true);
    expect(existsSync(join(dist, current))).toBe(true);
    expect(statSync(join(dist, current)).mtimeMs).toBeGreaterThan(old.getTime());
    // The first build's chunks that the edit above changed are recent too: pruneAll takes them with it.
    const all = await b.build({ pruneAll: true });
    expect(all.pruned).toContain('chunk-RECENT1.mjs');
    expect(all.pruned).not.toContain('mine.mjs');
    expect(readdirSync(dist).filter((f) => f.endsWith('.mjs')).sort()).toEqual([...all.outputs.filter((f) => f.endsWith('.mjs')), 'mine.mjs'].sort());
    expect(cli(['--help']).status).toBe(0);
  }, 180_000);
});
