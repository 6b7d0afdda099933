/** Shared helpers for series tests: a git repository around a copy of a tree, applying patches, type-checking a commit. */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadProgram } from '../../src/analyzers/project.ts';
import { typeErrors, formatError } from '../../src/rewrite/check.ts';
import { PACKAGE_ROOT } from '../../src/paths.ts';
import { copyTree, git } from '../rewrite/helpers.ts';
import { afterAll, beforeAll } from 'vitest';

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

/**
 * A git configuration of the test file's own: GIT_CONFIG_GLOBAL points at a temp file holding
 * `identity` (none: no identity at all, as on a fresh CI machine), the system file is off, and
 * GIT_AUTHOR_* / GIT_COMMITTER_* are unset. Child processes (the CLI) inherit it. `restore` puts
 * the environment back.
 */
export function isolateGitConfig(identity?: { name: string; email: string }): { file: string; restore: () => void } {
  const keys = ['GIT_CONFIG_GLOBAL', 'GIT_CONFIG_NOSYSTEM', 'GIT_AUTHOR_NAME', 'GIT_AUTHOR_EMAIL', 'GIT_COMMITTER_NAME', 'GIT_COMMITTER_EMAIL', 'EMAIL'];
  const saved = Object.fromEntries(keys.map((k) => [k, process.env[k]]));
  const file = join(mkdtempSync(join(tmpdir(), 'memdesc-gitconfig-')), 'gitconfig');
  writeFileSync(file, identity ? `[user]\n\tname = ${identity.name}\n\temail = ${identity.email}\n` : '');
  for (const k of keys) delete process.env[k];
  process.env.GIT_CONFIG_GLOBAL = file;
  process.env.GIT_CONFIG_NOSYSTEM = '1';
  return {
    file,
    restore: () => {
      for (const k of keys) {
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
      }
    },
  };
}

/** Every file under `dir` (.git included; links as their target text) -> its content, to prove a tree unchanged. */
export function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string, rel: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isSymbolicLink()) out.set(r, `-> ${readlinkSync(p)}`);
      else if (e.isDirectory()) { out.set(`${r}/`, ''); walk(p, r); }
      else out.set(r, createHash('sha256').update(readFileSync(p)).digest('hex'));
    }
  };
  walk(dir, '');
  return out;
}

/** Branches of `repo` under memdesc/ and its worktrees: what a series may leave behind. */
export function leftovers(repo: string): { branches: string[]; worktrees: number } {
  return {
    branches: git(repo, 'branch', '--list', 'memdesc/*', '--format=%(refname:short)').split('\n').filter(Boolean),
    worktrees: git(repo, 'worktree', 'list', '--porcelain').split('\n').filter((l) => l.startsWith('worktree ')).length,
  };
}

/**
 * Point TMPDIR (read by os.tmpdir() at each call, and inherited by the CLI) at a fresh folder, so
 * everything a test file makes in "the temp folder" (copies, repositories, outputs, the series'
 * own temp folders) is under it; `cleanup` removes it and restores TMPDIR.
 */
export function tempRoot(): { root: string; cleanup: () => void } {
  const saved = process.env.TMPDIR;
  const root = mkdtempSync(join(tmpdir(), 'memdesc-test-'));
  process.env.TMPDIR = root;
  return {
    root,
    cleanup: () => {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/**
 * For the tests of a file or describe(): every temp folder under one root removed afterwards, and
 * git configured only by `identity` (no global or system config). Call it before the describe's
 * own beforeAll: hooks run in the order they are registered.
 */
export function useIsolatedGit(identity: { name: string; email: string }): void {
  let env: ReturnType<typeof isolateGitConfig>;
  let temp: ReturnType<typeof tempRoot>;
  beforeAll(() => { temp = tempRoot(); env = isolateGitConfig(identity); });
  afterAll(() => { env.restore(); temp.cleanup(); });
}
