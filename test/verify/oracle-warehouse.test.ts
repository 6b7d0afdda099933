/**
 * The user's oracle end to end on a made-up warehouse project (a Shelf class whose words mean a
 * supplier's stock or an order's hold; no corpus): `convert --verify --write` checks the
 * conversion with the spec's oracle before writing, `verify --entry --against HEAD` proves the
 * committed conversion identical, and a later behaviour change is caught at its first line.
 * The commands run in-process (the CLI's main(), test/inProcess.ts: the same output and exit codes);
 * the oracle runs are the child processes they are.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.ts';
import { runMain as cli } from '../inProcess.ts';
import { git, isolateGitConfig, repoOf } from '../series/helpers.ts';

const WAREHOUSE = join(PACKAGE_ROOT, 'test', 'fixtures', 'oracle', 'warehouse');

describe('warehouse: convert --verify and verify --entry with the project oracle', () => {
  let repo: string;
  let env: ReturnType<typeof isolateGitConfig>;
  beforeAll(() => {
    env = isolateGitConfig({ name: 'Warehouse Tester', email: 'wh@example.org' });
    repo = repoOf(WAREHOUSE);
  });
  afterAll(() => {
    env.restore();
    rmSync(dirname(repo), { recursive: true, force: true });
  });

  it('convert stock --write --verify: the oracle agrees, the conversion is written', async () => {
    const r = await cli(['convert', 'stock', repo, '--spec', join(repo, 'spec.json'), '--write', '--verify']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("verified with the spec's oracle, run once in each tree: node src/main.ts: identical (exit 0, 7 lines)");
    expect(readFileSync(join(repo, 'src', 'stock.ts'), 'utf8')).toContain('Stock');
  });

  it('convert --all retires both words every kind covers (adjacent members) and still verifies', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'memdesc-wh-')), 'warehouse');
    cpSync(WAREHOUSE, dir, { recursive: true });
    try {
      const r = await cli(['convert', '--all', dir, '--spec', join(dir, 'spec.json'), '--write', '--verify']);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('retired: Shelf.qty, Shelf.owner');
      const shelf = readFileSync(join(dir, 'src', 'shelf.ts'), 'utf8');
      expect(shelf).not.toMatch(/\b(qty|owner)\(/);
      expect(shelf).toContain('get flags()');
    } finally {
      rmSync(dirname(dir), { recursive: true, force: true });
    }
  });

  it('verify --entry against HEAD: the converted tree is identical; a behaviour change is caught at its first line', async () => {
    const ok = await cli(['verify', repo, '--against', 'HEAD', '--entry', 'src/main.ts']);
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain('identical: 7 lines compared');
    const file = join(repo, 'src', 'stock.ts');
    const text = readFileSync(file, 'utf8');
    const broken = text.replace(/-= n;/, '-= n - 1;');
    expect(broken).not.toBe(text);
    writeFileSync(file, broken);
    const bad = await cli(['verify', repo, '--against', 'HEAD', '--entry', 'src/main.ts']);
    expect(bad.status).toBe(1);
    // take(a, 4) leaves 17 instead of 16: the summary line, the last one, is the first to differ.
    expect(bad.stdout).toContain('first differing line: 7');
    expect(bad.stdout).toContain('reference line 7: stock from 7: 16;');
    expect(bad.stdout).toContain('candidate line 7: stock from 7: 17;');
    writeFileSync(file, text);
    expect(git(repo, 'status', '--porcelain', '--', 'src/stock.ts')).not.toBe('');
  });
});
