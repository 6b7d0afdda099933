/**
 * A series on a made-up codebase (its own god type and two descriptors, no simulation): the
 * steps are planned from the spec and the converter alone, every commit type-checks, `git am`
 * of the patches reproduces the branch, the tip is the one-shot conversion, and the user's
 * working tree is left alone. Bad input is one line and exit 2.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { builtinSpec } from '../../src/model/builtin.ts';
import { loadSpecFile } from '../../src/model/spec-validate.ts';
import type { Spec } from '../../src/model/spec.ts';
import { runConvert } from '../../src/rewrite/driver.ts';
import { buildSeries, type SeriesResult } from '../../src/series/series.ts';
import { filePrefix, prefixOf } from '../../src/series/messages.ts';
import { runMain as cli } from '../inProcess.ts';
import { BLOBWORLD, copyTree } from '../rewrite/helpers.ts';
import { amOnto, git, repoOf, typeErrorsAt, useIsolatedGit } from './helpers.ts';

describe('series on blobworld', () => {
  let repo: string;
  let out: string;
  let spec: Spec;
  let r: SeriesResult;
  let headBefore: string;
  const steps: Array<[number, number, string]> = [];
  useIsolatedGit({ name: 'Blob Tester', email: 'blob@example.org' });

  beforeAll(async () => {
    repo = repoOf(BLOBWORLD);
    headBefore = git(repo, 'rev-parse', 'HEAD').trim();
    spec = loadSpecFile(join(repo, 'spec.json'), builtinSpec());
    out = join(mkdtempSync(join(tmpdir(), 'memdesc-series-out-')), 'patches');
    r = await buildSeries({ path: repo, spec, kinds: [], all: true, out, onStep: (done, total, what) => { steps.push([done, total, what]); } });
  }, 60_000);

  it('commits on memdesc/all from HEAD, leaving the working tree, HEAD and the worktree list alone', () => {
    expect(r.branch).toBe('memdesc/all');
    expect(r.scratch).toBe(false);
    expect(r.base).toBe(headBefore);
    expect(git(repo, 'rev-parse', 'HEAD').trim()).toBe(headBefore);
    expect(git(repo, 'status', '--porcelain')).toBe('');
    expect(git(repo, 'worktree', 'list').trim().split('\n')).toHaveLength(1);
    const log = git(repo, 'log', '--format=%s', '--reverse', `${r.base}..memdesc/all`).trim().split('\n');
    expect(log).toEqual(r.commits.map((c) => c.subject));
  });

  it('reports every planned step once, in order', () => {
    expect(steps.map(([d]) => d)).toEqual(steps.map((_, i) => i + 1));
    expect(new Set(steps.map(([, n]) => n))).toEqual(new Set([steps.length]));
    expect(steps[0]![2]).toBe('scaffold cache');
    expect(steps.at(-1)![2]).toBe('retire');
  });

  it('scaffolds each kind first, converts callees before callers, retires last', () => {
    const s = r.commits.map((c) => c.subject);
    expect(s[0]).toBe('blobworld: Create CacheObj');
    expect(s.at(-1)).toBe('blobworld: Remove link and slot from Blob');
    const netStart = s.indexOf('net: Create NetBuf');
    expect(netStart).toBeGreaterThan(0);
    // Every cache patch comes before the net descriptor is created; every net patch after.
    for (const [i, x] of s.entries()) {
      if (/to use CacheObj$/.test(x)) expect(i).toBeLessThan(netStart);
      if (/to use NetBuf$/.test(x)) expect(i).toBeGreaterThan(netStart);
    }
    // cache_sum() calls cache_of(): the callee is converted first.
    expect(s.indexOf('blobworld: Convert cache_of() to use CacheObj')).toBeGreaterThan(0);
    expect(s.indexOf('blobworld: Convert cache_of() to use CacheObj')).toBeLessThan(s.indexOf('blobworld: Convert cache_sum() to use CacheObj'));
    for (const c of r.commits) expect(c.verification).toBe('not verified (no oracle)');
  });

  it('says in each message what changed and why', () => {
    const body = git(repo, 'log', '-1', '--format=%B', r.commits.find((c) => c.subject.includes('cache_move()'))!.sha);
    expect(body).toContain('cache_move(): blob: Blob -> obj: CacheObj');
    expect(body).toContain('Evidence:');
    expect(body).toContain('not verified (no oracle)');
  });

  it('every commit type-checks', () => {
    for (const c of r.commits) expect(typeErrorsAt(repo, c.sha), c.subject).toEqual([]);
  }, 60_000);

  it('git am of the patches on the base reproduces the branch; the tip is the one-shot conversion', () => {
    const am = amOnto(repo, r.base, out);
    expect(am.stderr).toBe('');
    expect(am.status).toBe(0);
    expect(git(am.dir, 'rev-parse', 'HEAD^{tree}')).toBe(git(repo, 'rev-parse', 'memdesc/all^{tree}'));
    expect(r.tipEqualsOneShot).toBe(true);
    // Independently: convert --write on another copy gives the same files.
    const copy = copyTree(BLOBWORLD);
    const one = runConvert({ path: copy, spec, kinds: [], all: true, write: true });
    for (const f of one.files) expect(git(repo, 'show', `memdesc/all:${f.file}`), f.file).toBe(readFileSync(join(copy, f.file), 'utf8'));
    expect(git(repo, 'diff', '--name-only', r.base, 'memdesc/all').trim().split('\n').sort()).toEqual(one.files.map((f) => f.file).sort());
  });

  it('writes a cover letter with the shortlog, the diffstat and a verification row per patch', () => {
    expect(r.patches[0]).toBe(join(out, '0000-cover-letter.patch'));
    expect(r.patches).toHaveLength(r.commits.length + 1);
    const cover = readFileSync(r.patches[0]!, 'utf8');
    expect(cover).toContain(`Subject: [PATCH 00/${r.commits.length}] Split Blob into descriptors`);
    expect(cover).not.toContain('*** ');
    expect(cover).toContain('  blobworld: Convert cache_of() to use CacheObj');
    expect(cover).toMatch(/files changed/);
    expect(cover.match(/^ {2}\d{3} {2}passed/gm)).toHaveLength(r.commits.length);
    // Nothing ran: the letter must not claim otherwise.
    const prose = cover.replace(/\s+/g, ' ');
    expect(prose).not.toContain('was run against the base');
    expect(prose).toContain('none was verified (no oracle');
    expect(cover.match(/not verified \(no oracle\)/g)).toHaveLength(r.commits.length);
  });

  it('a directory outside git gets a scratch repository', async () => {
    const dir = copyTree(BLOBWORLD);
    const o = join(mkdtempSync(join(tmpdir(), 'memdesc-series-out-')), 'p');
    const s = await buildSeries({ path: dir, spec, kinds: ['net'], out: o });
    expect(s.scratch).toBe(true);
    expect(s.branch).toBe('memdesc/net');
    expect(s.commits[0]!.subject).toBe('net: Create NetBuf');
    expect(s.tipEqualsOneShot).toBe(true);
    expect(existsSync(join(dir, '.git'))).toBe(false);
    expect(git(s.repo, 'log', '--format=%s', '-1', s.base).trim()).toMatch(/^base: /);
  }, 30_000);

  it('scratchAt: a project inside git still gets a scratch repository, there, with its working tree as the base', async () => {
    const dir = repoOf(BLOBWORLD);
    writeFileSync(join(dir, 'NOTES'), 'uncommitted\n');
    const at = join(mkdtempSync(join(tmpdir(), 'memdesc-scratch-')), 'repo');
    // --out's parent does not exist yet: it is made.
    const o = join(mkdtempSync(join(tmpdir(), 'memdesc-series-out-')), 'deep', 'p');
    const cover = join(o, '..', 'cover.patch');
    const s = await buildSeries({ path: dir, spec, kinds: ['net'], out: o, scratchAt: at, coverLetter: cover });
    expect(s.scratch).toBe(true);
    expect(s.repo).toBe(at);
    expect(git(at, 'show', `${s.base}:NOTES`)).toBe('uncommitted\n');
    expect(git(dir, 'branch', '--list', 'memdesc/*').trim()).toBe('');
    // The cover letter went elsewhere, so `git am DIR/*.patch` takes every file of DIR.
    expect(s.patches[0]).toBe(resolve(cover));
    expect(readFileSync(cover, 'utf8')).toMatch(/^Subject: \[PATCH 0+\/\d+\] Separate net from Blob$/m);
    const all = readdirSync(o).filter((f) => f.endsWith('.patch')).sort();
    expect(all.map((f) => join(o, f))).toEqual(s.patches.slice(1));
    const fresh = join(at, '..', 'am');
    git(at, 'worktree', 'add', '-q', '--detach', fresh, s.base);
    const am = spawnSync('git', ['-C', fresh, '-c', 'user.email=t@example.com', '-c', 'user.name=t', 'am', '-q', ...all.map((f) => join(o, f))], { encoding: 'utf8' });
    expect(am.stderr).toBe('');
    expect(am.status).toBe(0);
    expect(git(fresh, 'rev-parse', 'HEAD^{tree}')).toBe(git(at, 'rev-parse', `${s.branch}^{tree}`));
    await expect(buildSeries({ path: dir, spec, kinds: ['net'], out: `${o}2`, scratchAt: at })).rejects.toThrow(/already exists/);
  }, 30_000);

  it('refuses bad input with one line and exit 2', async () => {
    // The CLI's main() in this process (test/inProcess.ts): a spawned memdesc's exit code and stderr.
    const bad = async (args: string[]) => {
      const x = await cli(['series', ...args]);
      expect(x.status, x.stderr).toBe(2);
      expect(x.stderr.trim().split('\n')).toHaveLength(1);
      return x.stderr;
    };
    expect(await bad(['frobnicate', repo, '--spec', join(repo, 'spec.json'), '--out', join(tmpdir(), 'memdesc-none')])).toMatch(/unknown kind 'frobnicate'/);
    const full = mkdtempSync(join(tmpdir(), 'memdesc-full-'));
    writeFileSync(join(full, 'x'), 'x');
    expect(await bad(['--all', repo, '--spec', join(repo, 'spec.json'), '--out', full])).toMatch(/holds files memdesc did not write/);
    const notProject = mkdtempSync(join(tmpdir(), 'memdesc-np-'));
    mkdirSync(join(notProject, 'src'));
    expect(await bad(['--all', notProject, '--spec', join(repo, 'spec.json'), '--out', join(notProject, 'out')])).toMatch(/not a TypeScript project/);
    expect(await bad(['--all', repo, '--spec', join(repo, 'spec.json')])).toMatch(/--out/);
    expect(await bad(['--all', repo, '--spec', join(repo, 'spec.json'), '--out', join(full, 'x', 'o')])).toMatch(/is not a directory/);
    // The existing branch is not overwritten without --force.
    expect(await bad(['--all', repo, '--spec', join(repo, 'spec.json'), '--out', join(notProject, 'o2')])).toMatch(/already exists/);
  }, 60_000);

  it('names subsystems the way kernel subjects do', () => {
    expect(filePrefix('mm/zsmalloc.ts')).toBe('mm/zsmalloc');
    expect(filePrefix('mm/memory.ts')).toBe('mm');
    expect(filePrefix('arch/x86/mm/pgtable.ts')).toBe('x86/mm');
    expect(filePrefix('include/linux/mm_types.ts')).toBe('mm');
    expect(filePrefix('kernel/fork.ts')).toBe('fork');
    expect(filePrefix('src/net/buf.ts')).toBe('net/buf');
    expect(prefixOf(['mm/slub.ts', 'mm/slab_common.ts'])).toBe('mm');
  });
});
