/**
 * Where a series is committed. A project inside a git repository gets a branch made from the
 * base revision in a worktree of its own (the user's working tree is never touched; the
 * worktree goes away afterwards, the branch stays); any other directory gets a scratch
 * repository: a copy whose first commit is the base. Then `git format-patch --cover-letter`.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { InputError, MemdescError, UsageError } from '../errors.ts';

export class GitError extends MemdescError {}

function run(cwd: string, args: string[], input?: string): string {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8', input, maxBuffer: 1 << 28 });
  if (r.error) throw new InputError(`cannot run git: ${r.error.message}`);
  if (r.status !== 0) throw new GitError(`git ${args.filter((a) => !a.startsWith('user.')).join(' ')}: ${(r.stderr || r.stdout).trim().split('\n').pop()}`);
  return r.stdout;
}

function tryRun(cwd: string, args: string[]): string | undefined {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

export interface SeriesRepo {
  /** The repository holding the branch (the user's, or the scratch one). */
  repo: string;
  /** Work tree the commits are made in. */
  worktree: string;
  /** The project inside the work tree. */
  project: string;
  /** The project's path inside the repository ('' for its top). */
  prefix: string;
  branch: string;
  base: string;
  scratch: boolean;
  /** `-c user.*` flags when the repository has no identity of its own. */
  identity: string[];
}

/**
 * node_modules (untracked) of the original's directories up to the repository top, linked into
 * the same places of the copy, so the copy resolves its type packages like the original.
 */
function linkNodeModules(origProject: string, origTop: string, copyTop: string): void {
  for (let d = origProject; ; d = dirname(d)) {
    const nm = join(d, 'node_modules');
    const at = join(copyTop, relative(origTop, d));
    if (existsSync(nm) && existsSync(at) && !existsSync(join(at, 'node_modules'))) symlinkSync(nm, join(at, 'node_modules'), 'dir');
    if (d === origTop || dirname(d) === d) break;
  }
}

/** The nearest node_modules at or above `dir`. */
function nearestNodeModules(dir: string): string | undefined {
  for (let d = dir; ; d = dirname(d)) {
    if (existsSync(join(d, 'node_modules'))) return join(d, 'node_modules');
    if (dirname(d) === d) return undefined;
  }
}

function identityFlags(cwd: string): string[] {
  const email = tryRun(cwd, ['config', 'user.email']);
  const name = tryRun(cwd, ['config', 'user.name']);
  return email && name ? [] : ['-c', `user.email=${email || 'memdesc@localhost'}`, '-c', `user.name=${name || 'memdesc'}`];
}

/**
 * `scratchAt`: always make a scratch repository, at that directory (which must not exist), even
 * for a project inside git: its working-tree content is the base, and the repository stays there.
 */
export function openRepo(path: string, opts: { base?: string; branch: string; force?: boolean; scratchAt?: string }): SeriesRepo {
  const abs = resolve(path);
  const top = opts.scratchAt === undefined ? tryRun(abs, ['rev-parse', '--show-toplevel']) : undefined;
  if (top) {
    const prefix = relative(top, abs).split(sep).join('/');
    const base = tryRun(top, ['rev-parse', '--verify', '--quiet', `${opts.base ?? 'HEAD'}^{commit}`]);
    if (!base) throw new InputError(`--base ${opts.base ?? 'HEAD'}: not a commit in ${top}`);
    if (tryRun(top, ['rev-parse', '--verify', '--quiet', `refs/heads/${opts.branch}`]) !== undefined && !opts.force) {
      throw new UsageError(`branch ${opts.branch} already exists in ${top}: delete it or pass --force to replace it`);
    }
    if (prefix && tryRun(top, ['cat-file', '-e', `${base}:${prefix}`]) === undefined) throw new InputError(`${path} does not exist at ${base.slice(0, 12)}`);
    const worktree = join(mkdtempSync(join(tmpdir(), 'memdesc-series-')), basename(top));
    run(top, ['worktree', 'add', '--quiet', opts.force ? '-B' : '-b', opts.branch, worktree, base]);
    const project = prefix ? join(worktree, ...prefix.split('/')) : worktree;
    linkNodeModules(abs, top, worktree);
    return { repo: top, worktree, project, prefix, branch: opts.branch, base, scratch: false, identity: identityFlags(top) };
  }
  if (opts.base !== undefined && opts.base !== 'HEAD') throw new UsageError(`--base ${opts.base}: ${path} is not in a git repository (its current content is the base)`);
  if (opts.scratchAt !== undefined && existsSync(opts.scratchAt)) throw new UsageError(`${opts.scratchAt} already exists: the scratch repository needs a new directory`);
  const repo = opts.scratchAt !== undefined ? resolve(opts.scratchAt) : join(mkdtempSync(join(tmpdir(), 'memdesc-series-')), basename(abs));
  cpSync(abs, repo, { recursive: true, filter: (p) => !/(^|[/\\])(node_modules|\.git)$/.test(p) });
  const nm = nearestNodeModules(abs);
  if (nm) symlinkSync(nm, join(repo, 'node_modules'), 'dir');
  run(repo, ['init', '--quiet']);
  writeFileSync(join(repo, '.git', 'info', 'exclude'), 'node_modules\n');
  const identity = identityFlags(repo);
  run(repo, ['add', '-A']);
  run(repo, [...identity, 'commit', '--quiet', '--no-verify', '-m', `base: ${basename(abs)} as given to memdesc series`]);
  run(repo, ['checkout', '--quiet', '-b', opts.branch]);
  const base = run(repo, ['rev-parse', 'HEAD']).trim();
  return { repo, worktree: repo, project: repo, prefix: '', branch: opts.branch, base, scratch: true, identity };
}

/** Write project-relative files (null: delete) into the work tree and commit them. */
export function commit(r: SeriesRepo, files: Map<string, string | null>, message: string): string {
  const paths: string[] = [];
  for (const [rel, text] of files) {
    const p = join(r.project, ...rel.split('/'));
    if (text === null) rmSync(p, { force: true });
    else {
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, text);
    }
    paths.push(r.prefix ? `${r.prefix}/${rel}` : rel);
  }
  run(r.worktree, ['add', '-A', '--', ...paths]);
  run(r.worktree, [...r.identity, 'commit', '--quiet', '--no-verify', '-F', '-'], message);
  return run(r.worktree, ['rev-parse', 'HEAD']).trim();
}

/** The base content of a project-relative file (undefined: the file is new). */
export function baseText(r: SeriesRepo, rel: string): string | undefined {
  const p = join(r.project, ...rel.split('/'));
  return existsSync(p) ? readFileSync(p, 'utf8') : undefined;
}

/** Files changed between the base and the branch head, project-relative. */
export function changedFiles(r: SeriesRepo): string[] {
  const out = run(r.repo, ['diff', '--name-only', r.base, `refs/heads/${r.branch}`, '--', r.prefix || '.']);
  return out.split('\n').filter(Boolean).map((f) => (r.prefix ? f.slice(r.prefix.length + 1) : f)).sort();
}

/** `git format-patch --cover-letter` of base..branch into `dir`; returns the file names in order. */
export function formatPatches(r: SeriesRepo, dir: string): string[] {
  run(r.repo, ['format-patch', '--quiet', '--cover-letter', '--no-signature', '-o', dir, `${r.base}..refs/heads/${r.branch}`]);
  return readdirSync(dir).filter((f) => f.endsWith('.patch')).sort();
}

export function removeWorktree(r: SeriesRepo): void {
  if (r.scratch) return;
  tryRun(r.repo, ['worktree', 'remove', '--force', r.worktree]);
  rmSync(dirname(r.worktree), { recursive: true, force: true });
  tryRun(r.repo, ['worktree', 'prune']);
}
