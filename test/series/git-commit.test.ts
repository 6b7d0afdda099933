/**
 * A series commit (src/series/git.ts commit()): files git knows are committed by `git commit --
 * PATHS` alone, a new file is added first. Either way the commit holds exactly the files asked
 * (changed, deleted, new), the rest of the tree as it was, and its message and sign-off as given:
 * the same commit `git add -A -- PATHS` then `git commit` makes.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { commit, type SeriesRepo } from '../../src/series/git.ts';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const who = { name: 'Series Test', email: 'series@test.invalid' };
const git = (cwd: string, ...args: string[]): string => {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: who.name, GIT_AUTHOR_EMAIL: who.email, GIT_COMMITTER_NAME: who.name, GIT_COMMITTER_EMAIL: who.email } });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};

/** A repository whose project is `proj/` (a prefix, as a series in a user's repository has), with three files and one outside it. */
function repo(): SeriesRepo {
  const top = mkdtempSync(join(tmpdir(), 'memdesc-commit-'));
  dirs.push(top);
  git(top, 'init', '--quiet', '-b', 'main');
  mkdirSync(join(top, 'proj', 'mm'), { recursive: true });
  for (const f of ['mm/a.ts', 'mm/b.ts', 'c.ts']) writeFileSync(join(top, 'proj', f), `// ${f}\n`);
  writeFileSync(join(top, 'outside.txt'), 'not the project\n');
  git(top, 'add', '-A');
  git(top, 'commit', '--quiet', '-m', 'base');
  return {
    repo: top, worktree: top, project: join(top, 'proj'), prefix: 'proj', branch: 'main', base: git(top, 'rev-parse', 'HEAD').trim(), scratch: true,
    identity: { author: who, committer: who, source: '--author' }, signoff: true,
  };
}

/** path -> content of a commit's tree. */
function treeOf(r: SeriesRepo, rev: string): Record<string, string> {
  const files = git(r.repo, 'ls-tree', '-r', '--name-only', rev).split('\n').filter(Boolean);
  return Object.fromEntries(files.map((f) => [f, git(r.repo, 'show', `${rev}:${f}`)]));
}

describe('a series commit', () => {
  it('commits changed and deleted files it knows without adding them first, and exactly those', () => {
    const r = repo();
    const before = treeOf(r, 'HEAD');
    const sha = commit(r, new Map([['mm/a.ts', '// a, converted\n'], ['c.ts', null]]), 'mm: convert a\n\nWhy.\n');
    expect(sha).toBe(git(r.repo, 'rev-parse', 'HEAD').trim());
    const { 'proj/c.ts': _gone, ...kept } = before;
    expect(treeOf(r, sha)).toEqual({ ...kept, 'proj/mm/a.ts': '// a, converted\n' });
    expect(git(r.repo, 'log', '-1', '--format=%B', sha)).toBe(`mm: convert a\n\nWhy.\n\nSigned-off-by: ${who.name} <${who.email}>\n\n`);
    expect(git(r.repo, 'status', '--porcelain')).toBe('');
  });

  it('adds a new file first (with the others of the commit), as git add -A does', () => {
    const r = repo();
    const before = treeOf(r, 'HEAD');
    const sha = commit(r, new Map([['mm/desc.ts', '// new\n'], ['mm/b.ts', '// b, converted\n'], ['mm/a.ts', null]]), 'mm: create desc\n');
    const { 'proj/mm/a.ts': _gone, ...kept } = before;
    expect(treeOf(r, sha)).toEqual({ ...kept, 'proj/mm/desc.ts': '// new\n', 'proj/mm/b.ts': '// b, converted\n' });
    expect(git(r.repo, 'diff', '--name-status', `${sha}~1`, sha).trim().split('\n').sort()).toEqual(['A\tproj/mm/desc.ts', 'D\tproj/mm/a.ts', 'M\tproj/mm/b.ts']);
    expect(git(r.repo, 'status', '--porcelain')).toBe('');
  });
});
