/**
 * convert --verify on a project without the corpus simulation: the spec's "oracle" is run in the
 * original and in the converted copy; a difference writes nothing and exits 1; a project with
 * neither a simulation nor an oracle cannot be verified (exit 2, nothing written).
 * The commands run in-process (the CLI's main(), test/inProcess.ts: the same output and exit codes);
 * the oracle runs are the child processes they are.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runMain as cli } from '../inProcess.ts';
import { BLOBWORLD, copyTree } from '../rewrite/helpers.ts';

/** A copy of blob world whose spec names `oracle` (undefined: none). */
function project(oracle: unknown): { dir: string; spec: string } {
  const dir = copyTree(BLOBWORLD);
  const spec = join(dir, 'spec.json');
  const json = JSON.parse(readFileSync(spec, 'utf8'));
  if (oracle === undefined) delete json.oracle;
  else json.oracle = oracle;
  writeFileSync(spec, JSON.stringify(json, null, 2));
  made.push(dir);
  return { dir, spec };
}
const made: string[] = [];
afterAll(() => { for (const d of made) rmSync(dirname(d), { recursive: true, force: true }); });

describe('convert --verify with the spec oracle', () => {
  it('an oracle that agrees: the conversion is written and the check says what ran', async () => {
    const p = project({ entry: 'src/main.ts' });
    const before = readFileSync(join(p.dir, 'src', 'cache.ts'), 'utf8');
    const r = await cli(['convert', '--all', p.dir, '--spec', p.spec, '--write', '--verify']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("verified with the spec's oracle, run once in each tree: node src/main.ts: identical (exit 0");
    expect(readFileSync(join(p.dir, 'src', 'cache.ts'), 'utf8')).not.toBe(before);
  });

  it('an oracle that sees a difference: exit 1, the first differing line, nothing written', async () => {
    // The oracle prints a source file: any conversion of it changes the output.
    const p = project({ run: 'cat src/cache.ts' });
    const before = readFileSync(join(p.dir, 'src', 'cache.ts'), 'utf8');
    const r = await cli(['convert', '--all', p.dir, '--spec', p.spec, '--write', '--verify']);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('DIFFERENT (output): first differing line');
    expect(r.stderr.trim()).toMatch(/^memdesc: the conversion does not verify \(output differs: first differing line: \d+\); nothing was written$/);
    expect(readFileSync(join(p.dir, 'src', 'cache.ts'), 'utf8')).toBe(before);
    expect(existsNew(p.dir)).toBe(false);
  });

  it('no simulation and no oracle: --verify is refused (exit 2, one line, nothing written)', async () => {
    const p = project(undefined);
    const before = readFileSync(join(p.dir, 'src', 'cache.ts'), 'utf8');
    const r = await cli(['convert', '--all', p.dir, '--spec', p.spec, '--write', '--verify']);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('--verify needs an oracle');
    expect(readFileSync(join(p.dir, 'src', 'cache.ts'), 'utf8')).toBe(before);
  });

  it('an oracle command that cannot start: exit 2, one line, nothing written', async () => {
    const p = project({ run: 'memdesc-no-such-command-xyz' });
    const r = await cli(['convert', '--all', p.dir, '--spec', p.spec, '--write', '--verify']);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('cannot start `memdesc-no-such-command-xyz`');
    expect(existsNew(p.dir)).toBe(false);
  });
});

/** Whether the conversion created its new descriptor file (it would only on a write). */
function existsNew(dir: string): boolean {
  try {
    readFileSync(join(dir, 'src', 'cacheobj.ts'));
    return true;
  } catch {
    return false;
  }
}
