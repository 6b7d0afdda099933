/**
 * The dirty-tree guard of `--write`: refuse a git work tree with uncommitted changes. Only a
 * tree that git says is no repository, and that has no `.git` above it, is left unchecked; any
 * other git failure (a repository git refuses, e.g. for "dubious ownership", or git missing
 * inside a repository) is a refusal with git's own message.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from '../errors.ts';
import { LOCK_FILE } from './treeLock.ts';
import { STAGE_PREFIX } from './staging.ts';

const NOT_A_REPO = /not a git repository \(or any (?:of the )?parent/;

function git(root: string, args: string[]) {
  return spawnSync('git', ['-C', root, ...args], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C', LANGUAGE: 'C' } });
}

/** The nearest folder at or above `dir` holding a `.git` entry. */
function dotGitAbove(dir: string): string | undefined {
  for (let d = resolve(dir); ; d = dirname(d)) {
    if (existsSync(join(d, '.git'))) return d;
    if (dirname(d) === d) return undefined;
  }
}

function firstLine(s: string | undefined): string {
  return (s ?? '').split('\n').map((l) => l.replace(/^fatal: /, '').trim()).find(Boolean) ?? 'no message';
}

/** Refuse a git work tree with uncommitted changes under `root` (untracked files included). */
export function checkClean(root: string, force: boolean): void {
  if (force) return;
  const top = git(root, ['rev-parse', '--show-toplevel']);
  if (top.error || top.status !== 0) {
    const inRepo = dotGitAbove(root) ?? (process.env.GIT_DIR ? process.env.GIT_DIR : undefined);
    if (top.error) {
      if (!inRepo) return; // no git, no repository: nothing to check against
      throw new UsageError(`${root} is inside a git repository (${inRepo}) but git cannot run (${top.error.message}): refusing to write without checking for uncommitted changes`);
    }
    if (NOT_A_REPO.test(top.stderr) && !inRepo) return;
    throw new UsageError(`git cannot check ${root} for uncommitted changes: ${firstLine(top.stderr)}; refusing to write`);
  }
  const status = git(root, ['status', '--porcelain', '--untracked-files=all', '--', '.', `:(exclude)${LOCK_FILE}`, `:(exclude)${STAGE_PREFIX}*`]);
  if (status.error || status.status !== 0) {
    throw new UsageError(`git cannot check ${root} for uncommitted changes: ${firstLine(status.stderr || status.error?.message)}; refusing to write`);
  }
  const lines = status.stdout.split('\n').filter(Boolean);
  if (lines.length > 0) {
    throw new UsageError(`${root} has uncommitted changes in git (${lines.length} path${lines.length === 1 ? '' : 's'}, e.g. ${lines[0]!.slice(3)}; work tree ${top.stdout.trim()}): commit or stash them first, or pass --force`);
  }
}
