/**
 * The project a command works on when none is named: the current directory when it holds a
 * tsconfig.json, the bundled corpus only by name (--corpus); neither is one line and exit 2 with
 * nothing written. `convert --write` still needs the path spelled out and never writes the corpus.
 * The commands run in-process from the folder under test (the CLI's main() with its own working
 * directory, test/inProcess.ts); one refusal also spawns bin/memdesc.mjs, for the real process.
 */
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLED_CORPUS, PACKAGE_ROOT } from '../../src/paths.ts';
import { runMain as cli } from '../inProcess.ts';
import { cli as spawnCli, copyTree, git } from '../rewrite/helpers.ts';
import { snapshot } from '../series/helpers.ts';

const WAREHOUSE = join(PACKAGE_ROOT, 'test', 'fixtures', 'oracle', 'warehouse');

function oneLine(r: { status: number; stdout: string; stderr: string }): string {
  expect(r.status, r.stderr).toBe(2);
  expect(r.stdout).toBe('');
  expect(r.stderr.trimEnd().split('\n'), r.stderr).toHaveLength(1);
  return r.stderr;
}

describe('commands default to the current directory', () => {
  let project: string;
  let empty: string;
  beforeAll(() => {
    project = copyTree(WAREHOUSE);
    empty = mkdtempSync(join(tmpdir(), 'memdesc-noproject-'));
    writeFileSync(join(empty, 'notes.txt'), 'not a project\n');
  });
  afterAll(() => {
    rmSync(dirname(project), { recursive: true, force: true });
    rmSync(empty, { recursive: true, force: true });
  });

  it('analyze, status and a convert dry run work on the current directory when it holds a tsconfig.json', async () => {
    const a = await cli(['analyze', '--spec', 'spec.json', '--json'], project);
    expect(a.status, a.stderr).toBe(0);
    const j = JSON.parse(a.stdout) as { root: string; findings: Array<{ file: string }> };
    expect(j.findings.length).toBeGreaterThan(0);
    expect(new Set(j.findings.map((f) => f.file))).toContain('src/stock.ts');
    // The same as naming it.
    expect(JSON.parse((await cli(['analyze', project, '--spec', join(project, 'spec.json'), '--json'])).stdout).findings).toEqual(j.findings);

    const s = await cli(['status', '--spec', 'spec.json', '--json'], project);
    expect(s.status, s.stderr).toBe(0);
    expect((JSON.parse(s.stdout) as { kinds: Record<string, { remaining: number }> }).kinds.stock!.remaining).toBeGreaterThan(0);

    const before = snapshot(project);
    const c = await cli(['convert', '--all', '--spec', 'spec.json'], project);
    expect(c.status, c.stderr).toBe(0);
    expect(c.stdout).toMatch(/^\+\+\+ b\/src\/stock\.ts$/m);
    expect(snapshot(project)).toEqual(before);
  });

  it('a directory without tsconfig.json and no path: one line naming the way out, exit 2, nothing written', async () => {
    const before = snapshot(empty);
    // The real process says the same: one line, exit 2.
    expect(spawnCli(['analyze'], empty)).toEqual(await cli(['analyze'], empty));
    for (const args of [['analyze'], ['status'], ['convert', '--all'], ['series', '--all', '--out', join(empty, 'out')], ['verify', '--against', 'HEAD'], ['verify', '--mutants']]) {
      const err = oneLine(await cli(args, empty));
      expect(err, args.join(' ')).toMatch(/has no tsconfig\.json: give the project's path .*, or --corpus for the bundled corpus/);
      expect(err).toContain(empty);
    }
    expect(snapshot(empty)).toEqual(before);
  });

  it('--corpus names the bundled corpus; with a path as well it is refused', async () => {
    const byName = await cli(['analyze', '--corpus', '--json'], empty);
    expect(byName.status, byName.stderr).toBe(0);
    const byPath = await cli(['analyze', BUNDLED_CORPUS, '--json'], empty);
    expect(JSON.parse(byName.stdout).findings).toEqual(JSON.parse(byPath.stdout).findings);
    expect(oneLine(await cli(['analyze', project, '--corpus'], empty))).toMatch(/give the project's path or --corpus, not both/);
  }, 120_000);

  it('convert --write: a default never decides what is rewritten, and the bundled corpus is never written', async () => {
    const before = snapshot(project);
    expect(oneLine(await cli(['convert', '--all', '--spec', 'spec.json', '--write'], project))).toMatch(/--write needs the project to write as an explicit path/);
    expect(oneLine(await cli(['convert', '--all', '--corpus', '--write'], empty))).toMatch(/--write never writes the bundled corpus/);
    expect(snapshot(project)).toEqual(before);
  });

  it("the project's own memdesc.spec.json is its spec when no --spec is given", async () => {
    const own = copyTree(WAREHOUSE);
    try {
      renameSync(join(own, 'spec.json'), join(own, 'memdesc.spec.json'));
      const a = await cli(['analyze', '--json'], own);
      expect(a.status, a.stderr).toBe(0);
      const j = JSON.parse(a.stdout) as { spec: string; findings: unknown[] };
      expect(j.spec).toBe('warehouse');
      expect(j.findings.length).toBeGreaterThan(0);
      // Named by path too, from anywhere.
      expect((JSON.parse((await cli(['status', own, '--json'], empty)).stdout) as { kinds: Record<string, unknown> }).kinds).toHaveProperty('stock');
      const c = await cli(['convert', 'stock', '.'], own);
      expect(c.status, c.stderr).toBe(0);
      expect(c.stdout).toMatch(/Stock/);
      // A kind named like a folder of the project is still the kind (the folder is no project).
      mkdirSync(join(own, 'stock'));
      const k = await cli(['convert', 'stock'], own);
      expect(k.status, k.stderr).toBe(0);
      expect(k.stdout).toBe(c.stdout);
      // audit, separate and track read it too (they took the built-in spec and found no Page class).
      expect(oneLine(await cli(['audit', '--all', '.'], own))).toMatch(/spec memdesc\.spec\.json has no page field 'memdesc'/);
      expect(oneLine(await cli(['separate', '--all', '.'], own))).toMatch(/to separate stock into/);
      git(own, 'init', '-q');
      git(own, 'add', '-A');
      git(own, '-c', 'user.name=t', '-c', 'user.email=t@example.org', 'commit', '-qm', 'base');
      const t = await cli(['track', '--json', '--no-cache'], own);
      expect(t.status, t.stderr).toBe(0);
      expect((JSON.parse(t.stdout) as { kinds: string[] }).kinds).toContain('stock');
      // --spec still wins: the built-in spec finds no Page class here, and says where a spec goes.
      const builtin = join(PACKAGE_ROOT, 'src', 'model', 'specs', 'linux.json');
      expect(oneLine(await cli(['analyze', '--spec', builtin], own))).toMatch(/the spec's class Page is not declared/);
    } finally {
      rmSync(dirname(own), { recursive: true, force: true });
    }
  });

  it('--help of every command that takes a project says what the default is', async () => {
    for (const c of ['analyze', 'status', 'convert', 'series', 'verify']) {
      const h = await cli([c, '--help'], empty);
      expect(h.status).toBe(0);
      expect(h.stdout.replace(/\s+/g, ' '), c).toMatch(/default[^)]*: the current directory when it holds a tsconfig\.json/);
      expect(h.stdout, c).toMatch(/--corpus/);
    }
  });
});
