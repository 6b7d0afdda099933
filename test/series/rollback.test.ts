/**
 * A failed or interrupted series leaves nothing behind (issue 12, item 1): no branch, no
 * worktree, no scratch repository, no temporary folder, no half-written --out; the next run needs
 * no --force. A branch that existed before is restored (memdesc's own, replaced with --force) or
 * never touched (the user's). Failures are made deterministic by hooks: an error thrown from the
 * progress callbacks, or the CLI's test hook that sends the process a signal after commit N.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtinSpec } from '../../src/model/builtin.ts';
import { loadSpecFile } from '../../src/model/spec-validate.ts';
import { createRepo, inspectRepo } from '../../src/series/git.ts';
import { Rollback, activeRollbacks, makeDirs } from '../../src/series/rollback.ts';
import { buildSeries, type SeriesOptions } from '../../src/series/series.ts';
import { withEnv } from '../env.ts';
import { BLOBWORLD, cli, copyTree } from '../rewrite/helpers.ts';
import { git, leftovers, repoOf, useIsolatedGit } from './helpers.ts';

const spec = loadSpecFile(join(BLOBWORLD, 'spec.json'), builtinSpec());
useIsolatedGit({ name: 'Ada Lovelace', email: 'ada@example.org' });

/** Run with TMPDIR set to a fresh folder, so every temporary folder the run makes can be seen. */
async function inFreshTmp<T>(fn: () => Promise<T>): Promise<{ tmp: string; result: T | Error }> {
  const tmp = mkdtempSync(join(tmpdir(), 'memdesc-tmpdir-'));
  return { tmp, result: await withEnv({ TMPDIR: tmp }, () => fn().catch((e: unknown) => e as Error)) };
}

const series = (o: Partial<SeriesOptions> & { path: string; out: string }) => buildSeries({ spec, kinds: ['net'], ...o });
const boomAt = (n: number) => (done: number): void => { if (done === n) throw new Error(`test failure at ${n}`); };

function expectNothingLeft(repo: string, out: string, tmp: string): void {
  expect(leftovers(repo)).toEqual({ branches: [], worktrees: 1 });
  expect(git(repo, 'status', '--porcelain')).toBe('');
  expect(readdirSync(tmp)).toEqual([]);
  expect(existsSync(out)).toBe(false);
  expect(readdirSync(dirname(out)).filter((f) => f.startsWith('.'))).toEqual([]);
  expect(activeRollbacks()).toBe(0);
}

describe('a failed series leaves nothing behind', () => {
  it('an error after the second commit: no branch, no worktree, no temp folder; the next run needs no --force', async () => {
    const repo = repoOf(BLOBWORLD);
    const out = join(mkdtempSync(join(tmpdir(), 'memdesc-out-')), 'patches');
    const { tmp, result } = await inFreshTmp(() => series({ path: repo, out, onCommit: boomAt(2) }));
    expect(result).toBeInstanceOf(Error);
    expect((result as Error).message).toBe('test failure at 2');
    expectNothingLeft(repo, out, tmp);
    const r = await series({ path: repo, out });
    expect(r.complete).toBe(true);
  });

  it('an error while planning (step 2): the same', async () => {
    const repo = repoOf(BLOBWORLD);
    const out = join(mkdtempSync(join(tmpdir(), 'memdesc-out-')), 'patches');
    const { tmp, result } = await inFreshTmp(() => series({ path: repo, out, onStep: boomAt(2) }));
    expect((result as Error).message).toBe('test failure at 2');
    expectNothingLeft(repo, out, tmp);
  });

  it('--out taken by someone else during the run: refused at the end, their file kept, no branch', async () => {
    const repo = repoOf(BLOBWORLD);
    const out = join(mkdtempSync(join(tmpdir(), 'memdesc-out-')), 'patches');
    const { result } = await inFreshTmp(() => series({
      path: repo, out,
      onCommit: (done, total) => { if (done === total) { mkdirSync(out); writeFileSync(join(out, 'theirs.txt'), 'theirs'); } },
    }));
    expect((result as Error).message).toMatch(/holds files memdesc did not write \(theirs\.txt\)/);
    expect(readdirSync(out)).toEqual(['theirs.txt']);
    expect(leftovers(repo)).toEqual({ branches: [], worktrees: 1 });
  });

  it('a branch memdesc made, replaced with --force, is restored to its tip when the run fails', async () => {
    const repo = repoOf(BLOBWORLD);
    const out = join(mkdtempSync(join(tmpdir(), 'memdesc-out-')), 'patches');
    const r1 = await series({ path: repo, out });
    const tip = git(repo, 'rev-parse', 'memdesc/net');
    const { result } = await inFreshTmp(() => series({ path: repo, out, force: true, onCommit: boomAt(1) }));
    expect(result).toBeInstanceOf(Error);
    expect(git(repo, 'rev-parse', 'memdesc/net')).toBe(tip);
    expect(leftovers(repo)).toEqual({ branches: ['memdesc/net'], worktrees: 1 });
    // The earlier output is untouched, and still replaceable.
    expect(readdirSync(out).filter((f) => f.endsWith('.patch'))).toHaveLength(r1.commits.length + 1);
    const r2 = await series({ path: repo, out, force: true });
    expect(git(repo, 'rev-parse', 'memdesc/net').trim()).toBe(r2.commits.at(-1)!.sha);
  });

  it("the user's own branch of that name is refused even with --force and never touched; so is memdesc's with a commit added", async () => {
    const repo = repoOf(BLOBWORLD);
    const out = join(mkdtempSync(join(tmpdir(), 'memdesc-out-')), 'patches');
    git(repo, 'branch', 'memdesc/net');
    const tip = git(repo, 'rev-parse', 'memdesc/net');
    const e = (await series({ path: repo, out, force: true }).catch((x: unknown) => x)) as Error;
    expect(e.message).toMatch(/branch memdesc\/net already exists in .* and memdesc did not make it/);
    expect(e.message).not.toMatch(/--force/);
    expect(git(repo, 'rev-parse', 'memdesc/net')).toBe(tip);
    expect(existsSync(out)).toBe(false);

    git(repo, 'branch', '-D', 'memdesc/net');
    await series({ path: repo, out });
    const wt = join(mkdtempSync(join(tmpdir(), 'memdesc-wt-')), 'wt');
    git(repo, 'worktree', 'add', '-q', wt, 'memdesc/net');
    writeFileSync(join(wt, 'mine.txt'), 'mine\n');
    git(wt, 'add', 'mine.txt');
    git(wt, 'commit', '-q', '-m', 'my commit on top');
    git(repo, 'worktree', 'remove', wt);
    const mine = git(repo, 'rev-parse', 'memdesc/net');
    const e2 = (await series({ path: repo, out, force: true }).catch((x: unknown) => x)) as Error;
    expect(e2.message).toMatch(/memdesc did not make it \(or commits were added to it since\)/);
    expect(git(repo, 'rev-parse', 'memdesc/net')).toBe(mine);
  });

  it('outside git: the scratch repository is removed when the run fails (in the temp folder, and at scratchAt)', async () => {
    const dir = copyTree(BLOBWORLD);
    const out = join(mkdtempSync(join(tmpdir(), 'memdesc-out-')), 'patches');
    const { tmp, result } = await inFreshTmp(() => series({ path: dir, out, onCommit: boomAt(2) }));
    expect(result).toBeInstanceOf(Error);
    expect(readdirSync(tmp)).toEqual([]);
    const at = join(mkdtempSync(join(tmpdir(), 'memdesc-scratch-')), 'corpus');
    const r = await inFreshTmp(() => series({ path: dir, out, scratchAt: at, onStep: boomAt(1) }));
    expect(r.result).toBeInstanceOf(Error);
    expect(existsSync(at)).toBe(false);
    expect(existsSync(out)).toBe(false);
    expect(existsSync(join(dir, '.git'))).toBe(false);
  });
});

describe('what appears between the checks and the work is not the run\'s to undo', () => {
  const id = { author: { name: 'A', email: 'a@example.org' }, committer: { name: 'A', email: 'a@example.org' }, source: 'config' as const };

  it('a branch made meanwhile (another run) makes this run fail, and its rollback leaves that branch alone', () => {
    const repo = repoOf(BLOBWORLD);
    const plan = inspectRepo(repo, { branch: 'memdesc/net' });
    git(repo, 'branch', 'memdesc/net');
    const tip = git(repo, 'rev-parse', 'memdesc/net');
    const undo = new Rollback();
    expect(() => createRepo(plan, id, true, undo)).toThrow(/already exists/);
    expect(undo.finish(true)).toEqual([]);
    expect(git(repo, 'rev-parse', 'memdesc/net')).toBe(tip);
    expect(leftovers(repo)).toEqual({ branches: ['memdesc/net'], worktrees: 1 });
  });

  it('parent folders a failed run made are removed again, each only while empty', () => {
    const root = mkdtempSync(join(tmpdir(), 'memdesc-dirs-'));
    const undo = new Rollback();
    makeDirs(join(root, 'a', 'b', 'c'), undo);
    expect(undo.finish(true)).toEqual([]);
    expect(readdirSync(root)).toEqual([]);
    const again = new Rollback();
    makeDirs(join(root, 'a', 'b', 'c'), again);
    writeFileSync(join(root, 'a', 'theirs.txt'), 'theirs');
    again.finish(true);
    expect(readdirSync(join(root, 'a'))).toEqual(['theirs.txt']);
  });

  it('a scratch directory made meanwhile is neither filled nor removed', () => {
    const dir = copyTree(BLOBWORLD);
    const at = join(mkdtempSync(join(tmpdir(), 'memdesc-scratch-')), 'corpus');
    const plan = inspectRepo(dir, { branch: 'memdesc/net', scratchAt: at });
    mkdirSync(at);
    writeFileSync(join(at, 'theirs.txt'), 'theirs');
    const undo = new Rollback();
    expect(() => createRepo(plan, id, true, undo)).toThrow(/already exists/);
    undo.finish(true);
    expect(readdirSync(at)).toEqual(['theirs.txt']);
  });
});

describe('an interrupted series leaves nothing behind', () => {
  for (const [hook, signal, code] of [['commit:2:SIGINT', 'SIGINT', 130], ['step:3:SIGTERM', 'SIGTERM', 143], ['commit:1:SIGHUP', 'SIGHUP', 129]] as const) {
    it(`${signal} at ${hook.split(':').slice(0, 2).join(' ')}: exit ${code}, no branch, no worktree, no temp folder`, () => {
      const repo = repoOf(BLOBWORLD);
      const out = join(mkdtempSync(join(tmpdir(), 'memdesc-out-')), 'patches');
      const tmp = mkdtempSync(join(tmpdir(), 'memdesc-tmpdir-'));
      // The child inherits both: its temp folder and the hook that signals it.
      const x = withEnv({ TMPDIR: tmp, MEMDESC_TEST_INTERRUPT: hook }, () => cli(['series', 'net', repo, '--spec', join(repo, 'spec.json'), '--out', out]));
      expect(x.status, x.stderr).toBe(code);
      expect(x.stderr.trim().split('\n').at(-1)).toMatch(new RegExp(`^memdesc: interrupted \\(${signal}\\): the run's branch, worktree`));
      expect(leftovers(repo)).toEqual({ branches: [], worktrees: 1 });
      expect(readdirSync(tmp).filter((f) => f.startsWith('memdesc-'))).toEqual([]);
      expect(existsSync(out)).toBe(false);
    });
  }
});
