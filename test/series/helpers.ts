/** Shared helpers for series tests: a git repository around a copy of a tree, applying patches, type-checking a commit. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadProgram } from '../../src/analyzers/project.ts';
import { typeErrors, formatError } from '../../src/rewrite/check.ts';
import { PACKAGE_ROOT } from '../../src/paths.ts';
import { copyTree, git } from '../rewrite/helpers.ts';

export { git };

/**
 * A copy of `src` as the only content of a fresh repository (one commit). `modules`: the
 * package's node_modules linked in, untracked, as in a checked-out project.
 */
export function repoOf(src: string, opts: { modules?: boolean } = {}): string {
  const dir = copyTree(src);
  git(dir, 'init', '-q');
  if (opts.modules) {
    symlinkSync(join(PACKAGE_ROOT, 'node_modules'), join(dir, 'node_modules'));
    writeFileSync(join(dir, '.git', 'info', 'exclude'), 'node_modules\n');
  }
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'base');
  return dir;
}

/** `git am` the numbered patches (not the cover letter) onto a fresh copy of `base` of `repo`; returns the new repository. */
export function amOnto(repo: string, base: string, patchDir: string): { dir: string; status: number; stderr: string } {
  const dir = join(mkdtempSync(join(tmpdir(), 'memdesc-am-')), 'repo');
  git(repo, 'worktree', 'add', '-q', '--detach', dir, base);
  const patches = readdirSync(patchDir).filter((f) => /^\d{4}-/.test(f) && !f.startsWith('0000-')).sort().map((f) => join(patchDir, f));
  const r = spawnSync('git', ['-C', dir, '-c', 'user.email=t@example.com', '-c', 'user.name=t', 'am', '-q', ...patches], { encoding: 'utf8' });
  return { dir, status: r.status ?? 1, stderr: r.stderr };
}

/** Type errors of the project at `rev` (checked out in a temporary worktree). */
export function typeErrorsAt(repo: string, rev: string, linkModules = false): string[] {
  const dir = join(mkdtempSync(join(tmpdir(), 'memdesc-tc-')), 'repo');
  git(repo, 'worktree', 'add', '-q', '--detach', dir, rev);
  if (linkModules) symlinkSync(join(PACKAGE_ROOT, 'node_modules'), join(dir, 'node_modules'));
  try {
    const { program, root } = loadProgram(dir);
    return typeErrors(program, root).map(formatError);
  } finally {
    git(repo, 'worktree', 'remove', '--force', dir);
  }
}
