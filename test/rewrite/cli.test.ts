/**
 * `memdesc convert` from the command line: dry run prints a diff, --write writes, bad input is
 * refused with one line and exit 2 (unknown kind, invalid spec, a target that does not
 * type-check, a dirty git tree without --force), --only limits the conversion, --verify runs the
 * simulation on both trees first. The commands run in-process (the CLI's main(), test/inProcess.ts:
 * the same output and exit code without a process per command); one bad-usage case spawns
 * bin/memdesc.mjs, for the real process's exit code and stderr.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError, UsageError } from '../../src/errors.ts';
import { builtinSpec } from '../../src/model/builtin.ts';
import { loadSpecFile } from '../../src/model/spec-validate.ts';
import { runConvert } from '../../src/rewrite/driver.ts';
import { blobCorpus } from '../blobCorpus.ts';
import { runMain as cli } from '../inProcess.ts';
import { BLOBWORLD, cli as spawnCli, copyTree, git } from './helpers.ts';

const specOf = (dir: string) => loadSpecFile(join(dir, 'spec.json'), builtinSpec());

describe('memdesc convert (CLI)', () => {
  it('dry run: a unified diff on stdout, the summary and the untouched sites on stderr, nothing written', async () => {
    const dir = copyTree(BLOBWORLD);
    const before = readFileSync(join(dir, 'src/cache.ts'), 'utf8');
    const r = await cli(['convert', 'cache', dir, '--spec', join(dir, 'spec.json')]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^diff --git a\/src\/blob.ts b\/src\/blob.ts\n/);
    expect(r.stdout).toContain('+++ b/src/cacheobj.ts');
    expect(r.stderr).toContain('memdesc convert cache:');
    expect(r.stderr).toContain('(dry run: nothing written)');
    expect(r.stderr).toContain('checks: type-check passed; a second run changes nothing');
    expect(r.stderr).toMatch(/left untouched \(1\):\n {4}src\/generic.ts:8:19: unknown owner: unknown kind/);
    expect(readFileSync(join(dir, 'src/cache.ts'), 'utf8')).toBe(before);
  });

  it('--json carries the report and the diff', async () => {
    const dir = copyTree(BLOBWORLD);
    const r = await cli(['convert', '--all', dir, '--spec', join(dir, 'spec.json'), '--json']);
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout) as { mode: string; files: Array<{ file: string; status: string }>; report: { converted: Record<string, number> }; diff: string };
    expect(j.mode).toBe('dry-run');
    expect(j.files).toContainEqual({ file: 'src/net/netbuf.ts', status: 'created' });
    expect(j.report.converted).toEqual({ cache: 11, net: 4 });
    expect(j.diff).toContain('diff --git a/src/cache.ts b/src/cache.ts');
  });

  it('bad usage and bad input exit 2 with one line', async () => {
    const dir = copyTree(BLOBWORLD);
    const spec = ['--spec', join(dir, 'spec.json')];
    // The real process: its exit code and its one line on stderr, nothing on stdout.
    const unknown = spawnCli(['convert', 'nosuchkind', dir, ...spec]);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toBe("memdesc: unknown kind 'nosuchkind' (known: cache, net)\n");
    expect(unknown.stdout).toBe('');
    expect(await cli(['convert', 'nosuchkind', dir, ...spec])).toEqual(unknown);
    expect((await cli(['convert', dir, ...spec])).stderr).toMatch(/no kind given/);
    expect((await cli(['convert', '--all', dir, ...spec, '--dry-run', '--write'])).status).toBe(2);
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ page: { class: 'Blob' }, kinds: [] }));
    const bad = await cli(['convert', '--all', dir, '--spec', join(dir, 'bad.json')]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^memdesc: invalid spec .*bad.json: page.file: missing required key\n$/);
  });

  it('refuses a spec whose word layout disagrees with the god type', () => {
    const dir = copyTree(BLOBWORLD);
    const j = JSON.parse(readFileSync(join(dir, 'spec.json'), 'utf8'));
    j.page.fields.owner.words = [4];
    j.page.fields.slot.words = [3];
    writeFileSync(join(dir, 'wrong.json'), JSON.stringify(j));
    expect(() => runConvert({ path: dir, spec: loadSpecFile(join(dir, 'wrong.json'), builtinSpec()), kinds: ['cache'] }))
      .toThrow("spec puts Blob field 'owner' at byte 16 (word 4), but Blob.owner uses offset 12: fix the spec's word layout");
  });

  it('refuses a target that does not type-check before conversion', () => {
    const dir = copyTree(BLOBWORLD);
    writeFileSync(join(dir, 'src/oops.ts'), 'export const x: number = "not a number";\n');
    expect(() => runConvert({ path: dir, spec: specOf(dir), kinds: [], all: true })).toThrow(InputError);
    expect(() => runConvert({ path: dir, spec: specOf(dir), kinds: [], all: true })).toThrow(/does not type-check before conversion .*src\/oops.ts:1:14/);
  });

  it('--write refuses a dirty git tree unless --force; a clean tree gets all files', async () => {
    const dir = copyTree(BLOBWORLD);
    git(dir, 'init', '-q');
    git(dir, 'add', '.');
    git(dir, 'commit', '-qm', 'base');
    writeFileSync(join(dir, 'src/generic.ts'), `${readFileSync(join(dir, 'src/generic.ts'), 'utf8')}// local change\n`);
    expect(() => runConvert({ path: dir, spec: specOf(dir), kinds: [], all: true, write: true })).toThrow(UsageError);
    const dirty = await cli(['convert', '--all', dir, '--spec', join(dir, 'spec.json'), '--write']);
    expect(dirty.status).toBe(2);
    expect(dirty.stderr).toMatch(/uncommitted changes .* pass --force\n$/);
    expect(git(dir, 'status', '--porcelain')).toBe(' M src/generic.ts\n');

    git(dir, 'checkout', '-q', '--', '.');
    const ok = await cli(['convert', '--all', dir, '--spec', join(dir, 'spec.json'), '--write']);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain('8 files written');
    expect(git(dir, 'status', '--porcelain').split('\n').filter(Boolean).sort()).toEqual([
      ' M src/blob.ts', ' M src/cache.ts', ' M src/generic.ts', ' M src/helpers.ts', ' M src/main.ts', ' M src/net/buf.ts',
      '?? src/cacheobj.ts', '?? src/net/netbuf.ts',
    ]);
    // Dirty now (the conversion itself): --force writes anyway, and there is nothing left to do.
    const again = await cli(['convert', '--all', dir, '--spec', join(dir, 'spec.json'), '--write', '--force']);
    expect(again.status).toBe(0);
    expect(again.stdout).toContain('(nothing to write)');
  });

  it('--only converts the sites of one function (and what its conversion needs)', () => {
    const dir = copyTree(BLOBWORLD);
    const r = runConvert({ path: dir, spec: specOf(dir), kinds: ['cache'], only: 'cache_move' });
    expect(r.plan.report.converted).toEqual({ cache: 4 });
    expect(r.plan.report.functions.map((f) => f.function)).toEqual(['cache_move']);
    const cache = r.plan.changes.find((c) => c.file.endsWith('src/cache.ts'))!.after;
    expect(cache).toContain('export function cache_move(obj: CacheObj, to: number): number {');
    expect(cache).toContain('return blob_owner(blob);');
    expect(r.plan.report.skipped.filter((s) => s.reason === 'outside --only')).toHaveLength(7);
  });

  it('--verify runs the simulation on both trees before writing; a difference writes nothing and exits 1', async () => {
    // A small corpus-shaped tree (its own sim/main.ts): the gate is the same whatever the simulation runs.
    const ok = blobCorpus();
    const spec = ['--spec', join(ok, 'spec.json')];
    const before = readFileSync(join(ok, 'src/cache.ts'), 'utf8');
    const r = await cli(['convert', 'cache', ok, ...spec, '--write', '--verify', '--workloads', 'mixed', '--seeds', '1']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/checks: type-check passed; a second run changes nothing; verified identical to the original: 1 workloads x 1 seeds, [\d,]+ operations compared/);
    expect(readFileSync(join(ok, 'src/cache.ts'), 'utf8')).not.toBe(before);

    // A simulation that differs from run to run: no conversion can verify against it.
    const bad = blobCorpus({ unstable: true });
    const cache = readFileSync(join(bad, 'src/cache.ts'), 'utf8');
    const x = await cli(['convert', 'cache', bad, ...spec, '--write', '--verify', '--workloads', 'mixed', '--seeds', '1']);
    expect(x.status).toBe(1);
    expect(x.stderr.trim()).toMatch(/^memdesc: the conversion does not verify \(1 of 1 pairs differ\); nothing was written$/);
    expect(x.stdout).toMatch(/mixed seed 1/);
    expect(readFileSync(join(bad, 'src/cache.ts'), 'utf8')).toBe(cache);
    expect((await cli(['convert', 'cache', bad, ...spec, '--seeds', '1'])).stderr.trim()).toBe('memdesc: --seeds only goes with --verify');
  }, 120_000);
});
