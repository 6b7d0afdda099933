/**
 * Where a series is committed. A project inside a git repository gets a branch made from the
 * base revision in a worktree of its own (the user's working tree is never touched; the
 * worktree goes away afterwards, the branch stays); any other directory gets a scratch
 * repository: a copy whose first commit is the base. Then `git format-patch --cover-letter`.
 *
 * Checks (`inspectRepo`) come before anything is made (`createRepo`); everything made is
 * registered with the run's Rollback, so a failed or interrupted run leaves no branch, worktree
 * or scratch repository. A branch is replaced only when memdesc can prove it made it: the tip
 * it recorded (`branch.<name>.memdesc-series`) is still the tip.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { InputError, MemdescError, UsageError } from '../errors.ts';
import { keepByteOrderMark } from '../rewrite/staging.ts';
import { identityEnv, type SeriesIdentity } from './identity.ts';
import { isInside, MARKER, realPath, type Guarded } from './ownedOut.ts';
import { makeDirs, type Rollback } from './rollback.ts';

export class GitError extends MemdescError {}

function run(cwd: string, args: string[], input?: string, env?: Record<string, string>): string {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8', input, maxBuffer: 1 << 28, ...(env ? { env: { ...process.env, ...env } } : {}) });
  if (r.error) throw new InputError(`cannot run git: ${r.error.message}`);
  if (r.status !== 0) throw new GitError(`git ${args.join(' ')}: ${(r.stderr || r.stdout).trim().split('\n').pop()}`);
  return r.stdout;
}

function tryRun(cwd: string, args: string[]): string | undefined {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8', maxBuffer: 1 << 28 });
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
  /** Author and committer of every commit. */
  identity: SeriesIdentity;
  /** `Signed-off-by:` the committer on every commit of the series (not the scratch base). */
  signoff: boolean;
}

/** What inspectRepo found: everything createRepo needs, nothing made yet. */
export interface RepoPlan {
  /** The project directory. */
  project: string;
  branch: string;
  /** The git work tree holding the project (also when a scratch repository is made from it). */
  top?: string;
  /** Its git directories (per worktree, and the common one). */
  gitDirs: string[];
  /** Commit into the user's repository (else a scratch repository). */
  inGit: boolean;
  prefix: string;
  base?: string;
  /** The branch exists: its tip, and whether memdesc made it (then --force replaces it; a failed run restores it). */
  existing?: { tip: string; owned: boolean };
  /** Set by checkBranch: the tip to restore if the run fails. */
  previousTip?: string;
  force?: boolean;
  scratchAt?: string;
}

/** The config key recording the tip memdesc left on a branch it made. */
const ownerKey = (branch: string): string => `branch.${branch}.memdesc-series`;

/**
 * Check everything about the repository before any work: base, project at the base, the branch
 * (absent; or made by memdesc, and then only with `force`), the scratch directory (new).
 */
export function inspectRepo(path: string, opts: { base?: string; branch: string; force?: boolean; scratchAt?: string }): RepoPlan {
  const abs = resolve(path);
  const { top, gitDirs } = gitLocation(abs);
  const plan: RepoPlan = { project: abs, branch: opts.branch, ...(top ? { top } : {}), gitDirs, inGit: !!top && opts.scratchAt === undefined, prefix: '' };
  if (plan.inGit) {
    const t = top!;
    plan.prefix = relative(t, abs).split(sep).join('/');
    const base = tryRun(t, ['rev-parse', '--verify', '--quiet', `${opts.base ?? 'HEAD'}^{commit}`]);
    if (!base) throw new InputError(`--base ${opts.base ?? 'HEAD'}: not a commit in ${t}`);
    plan.base = base;
    const tip = tryRun(t, ['rev-parse', '--verify', '--quiet', `refs/heads/${opts.branch}`]);
    if (tip) plan.existing = { tip, owned: tryRun(t, ['config', '--get', ownerKey(opts.branch)]) === tip };
    plan.force = !!opts.force;
    if (plan.prefix && tryRun(t, ['cat-file', '-e', `${base}:${plan.prefix}`]) === undefined) throw new InputError(`${path} does not exist at ${base.slice(0, 12)}`);
    return plan;
  }
  if (opts.base !== undefined && opts.base !== 'HEAD') throw new UsageError(`--base ${opts.base}: ${path} is not in a git repository (its current content is the base)`);
  if (opts.scratchAt !== undefined) {
    if (existsSync(opts.scratchAt)) throw new UsageError(`${opts.scratchAt} already exists: the scratch repository needs a new directory`);
    plan.scratchAt = resolve(opts.scratchAt);
  }
  return plan;
}

/**
 * An existing branch: refused unless memdesc made it (the tip it recorded is still the tip), and
 * then only with --force; the user's own branch is never touched, whatever the flags.
 */
export function checkBranch(plan: RepoPlan): void {
  const e = plan.existing;
  if (!e) return;
  const where = `branch ${plan.branch} already exists in ${plan.top}`;
  if (!e.owned) throw new UsageError(`${where} and memdesc did not make it (or commits were added to it since): rename it (git branch -m ${plan.branch} NEW-NAME) to keep it, then run again`);
  if (!plan.force) throw new UsageError(`${where} (made by an earlier memdesc series): pass --force to replace it`);
  plan.previousTip = e.tip;
}

/** The git work tree and git directories holding `dir` (none outside git). */
function gitLocation(dir: string): { top?: string; gitDirs: string[] } {
  const top = tryRun(dir, ['rev-parse', '--show-toplevel']) || undefined;
  if (!top) return { gitDirs: [] };
  const dirs = [tryRun(dir, ['rev-parse', '--absolute-git-dir']), tryRun(dir, ['rev-parse', '--path-format=absolute', '--git-common-dir'])];
  return { top, gitDirs: [...new Set(dirs.filter((d): d is string => !!d))] };
}

/** The guarded paths of the project at `path` (for a caller that checks its outputs before calling buildSeries). */
export function projectGuards(path: string): Guarded[] {
  return guardedPaths({ project: resolve(path), branch: '', inGit: false, prefix: '', ...gitLocation(resolve(path)) });
}

/** The paths an output may not be or contain (or, for the git directories, lie inside). */
export function guardedPaths(plan: RepoPlan): Guarded[] {
  const g: Guarded[] = [{ path: plan.project, what: 'the project being converted' }];
  if (plan.top) g.push({ path: plan.top, what: 'the top of its git work tree' });
  for (const d of plan.gitDirs) g.push({ path: d, what: 'its git directory', whole: true });
  return g;
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

/**
 * Make the branch (in a worktree of the user's repository) or the scratch repository, each
 * registered with `undo`. `excluded`: paths inside the project a scratch copy leaves out (the
 * outputs); folders holding a memdesc output marker are left out too.
 */
export function createRepo(plan: RepoPlan, id: SeriesIdentity, signoff: boolean, undo: Rollback, excluded: string[] = []): SeriesRepo {
  if (plan.inGit) {
    checkBranch(plan);
    const top = plan.top!;
    const tmp = mkdtempSync(join(tmpdir(), 'memdesc-series-'));
    undo.always(`temporary folder ${tmp}`, () => rmSync(tmp, { recursive: true, force: true }));
    const b = plan.branch;
    const worktree = join(tmp, basename(top));
    try {
      // -b fails if the branch appeared since the checks: then it is not ours to undo.
      run(top, ['worktree', 'add', '--quiet', plan.previousTip ? '-B' : '-b', b, worktree, plan.base!]);
    } catch (e) {
      tryRun(top, ['worktree', 'prune']);
      throw e;
    }
    // Registered in this order so that the worktree goes first (a checked-out branch cannot be deleted).
    undo.onFailure(`branch ${b}`, () => {
      const now = tryRun(top, ['rev-parse', '--verify', '--quiet', `refs/heads/${b}`]);
      if (plan.previousTip) {
        if (now !== plan.previousTip) run(top, ['update-ref', `refs/heads/${b}`, plan.previousTip]);
      } else if (now) run(top, ['branch', '--quiet', '-D', b]);
    });
    undo.always(`worktree ${worktree}`, () => {
      tryRun(top, ['worktree', 'remove', '--force', worktree]);
      rmSync(worktree, { recursive: true, force: true });
      tryRun(top, ['worktree', 'prune']);
    });
    const project = plan.prefix ? join(worktree, ...plan.prefix.split('/')) : worktree;
    linkNodeModules(plan.project, top, worktree);
    return { repo: top, worktree, project, prefix: plan.prefix, branch: b, base: plan.base!, scratch: false, identity: id, signoff };
  }
  const abs = plan.project;
  let repo: string;
  if (plan.scratchAt !== undefined) {
    repo = plan.scratchAt;
    makeDirs(dirname(repo), undo);
    try {
      // Made here, not by the copy: a directory that appeared since the checks is not ours to fill or remove.
      mkdirSync(repo);
    } catch {
      throw new UsageError(`${repo} already exists: the scratch repository needs a new directory`);
    }
    undo.onFailure(`scratch repository ${repo}`, () => rmSync(repo, { recursive: true, force: true }));
  } else {
    const tmp = mkdtempSync(join(tmpdir(), 'memdesc-series-'));
    undo.onFailure(`scratch repository ${tmp}`, () => rmSync(tmp, { recursive: true, force: true }));
    repo = join(tmp, basename(abs));
  }
  // Outputs inside the project are not part of it, wherever the path to them goes through links.
  const realAbs = realPath(abs);
  const skip = new Set(excluded.map(realPath).filter((e) => isInside(e, realAbs) && e !== realAbs).map((e) => join(abs, relative(realAbs, e))));
  cpSync(abs, repo, {
    recursive: true,
    filter: (p) => !/(^|[/\\])(node_modules|\.git)$/.test(p) && !skip.has(resolve(p)) && !(p !== abs && isDir(p) && existsSync(join(p, MARKER))),
  });
  const nm = nearestNodeModules(abs);
  if (nm) symlinkSync(nm, join(repo, 'node_modules'), 'dir');
  run(repo, ['init', '--quiet']);
  writeFileSync(join(repo, '.git', 'info', 'exclude'), 'node_modules\n');
  run(repo, ['add', '-A']);
  run(repo, ['commit', '--quiet', '--no-verify', '-m', `base: ${basename(abs)} as given to memdesc series`], undefined, identityEnv(id));
  run(repo, ['checkout', '--quiet', '-b', plan.branch]);
  const base = run(repo, ['rev-parse', 'HEAD']).trim();
  return { repo, worktree: repo, project: repo, prefix: '', branch: plan.branch, base, scratch: true, identity: id, signoff };
}

function isDir(p: string): boolean {
  try {
    return lstatSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Write project-relative files (null: delete) into the work tree and commit them. */
export function commit(r: SeriesRepo, files: Map<string, string | null>, message: string): string {
  const paths: string[] = [];
  // The work tree is clean between commits: a file it does not have yet is one git does not know.
  let created = false;
  for (const [rel, text] of files) {
    const p = join(r.project, ...rel.split('/'));
    if (text === null) rmSync(p, { force: true });
    else {
      const exists = existsSync(p);
      if (!exists) created = true;
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, exists ? keepByteOrderMark(readFileSync(p), text) : text);
    }
    paths.push(r.prefix ? `${r.prefix}/${rel}` : rel);
  }
  // Files git knows (changed or deleted) the commit takes itself, `git commit -- PATHS` (their
  // work-tree contents, nothing else): one git process fewer per commit, each a fork of this large
  // process that holds the thread the verifier's runs wait on. A new file must be added first.
  if (created) run(r.worktree, ['add', '-A', '--', ...paths]);
  run(r.worktree, ['commit', '--quiet', '--no-verify', ...(r.signoff ? ['--signoff'] : []), '-F', '-', ...(created ? [] : ['--', ...paths])], message, identityEnv(r.identity));
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

const SCRATCH_PURPOSE = 'series scratch repository';

interface ScratchMarker {
  tool: 'memdesc';
  version: 1;
  purpose: string;
  head: string;
  refs: string[];
  reflog: number;
}

function scratchFacts(dir: string): { head: string; refs: string[]; reflog: number } | undefined {
  const head = tryRun(dir, ['symbolic-ref', '--quiet', 'HEAD']);
  const refs = tryRun(dir, ['for-each-ref', '--format=%(refname) %(objectname)']);
  const reflog = tryRun(dir, ['reflog', 'show', '--format=%H', 'HEAD']);
  if (head === undefined || refs === undefined || reflog === undefined) return undefined;
  return { head, refs: refs.split('\n').filter(Boolean).sort(), reflog: reflog.split('\n').filter(Boolean).length };
}

/**
 * Record that the series is done and the branch memdesc's: in the user's repository, the tip in
 * the branch's config (it goes with the branch when the user deletes or renames it); in a scratch
 * repository, its refs and HEAD in `.git/.memdesc-output.json`, so a later run can prove the
 * whole repository is still exactly what memdesc left.
 */
export function markOwned(r: SeriesRepo): void {
  if (!r.scratch) {
    run(r.repo, ['config', ownerKey(r.branch), run(r.repo, ['rev-parse', `refs/heads/${r.branch}`]).trim()]);
    return;
  }
  const facts = scratchFacts(r.repo);
  if (!facts) throw new GitError(`cannot read the refs of ${r.repo}`);
  const m: ScratchMarker = { tool: 'memdesc', version: 1, purpose: SCRATCH_PURPOSE, ...facts };
  writeFileSync(join(r.repo, '.git', MARKER), `${JSON.stringify(m, null, 2)}\n`);
}

/**
 * Why `dir` is not a scratch repository exactly as a memdesc series left it (undefined: it is,
 * and may be replaced): marker, refs, HEAD and its reflog as recorded, one worktree, and nothing
 * uncommitted, untracked or ignored but the node_modules link memdesc made.
 */
export function scratchForeign(dir: string): string | undefined {
  let st;
  try {
    st = lstatSync(dir);
  } catch {
    return undefined;
  }
  if (!st.isDirectory()) return st.isSymbolicLink() ? 'is a symbolic link' : 'is not a directory';
  const gitDir = join(dir, '.git');
  if (!isDir(gitDir) || !existsSync(join(gitDir, MARKER))) return 'is not a repository made by memdesc (no .git/.memdesc-output.json)';
  let m: Partial<ScratchMarker>;
  try {
    m = JSON.parse(readFileSync(join(gitDir, MARKER), 'utf8')) as Partial<ScratchMarker>;
  } catch {
    return `its .git/${MARKER} is not one memdesc wrote`;
  }
  if (m.tool !== 'memdesc' || m.version !== 1 || m.purpose !== SCRATCH_PURPOSE || !Array.isArray(m.refs)) return `its .git/${MARKER} is not one memdesc wrote`;
  const topNow = tryRun(dir, ['rev-parse', '--show-toplevel']);
  if (!topNow || realPath(topNow) !== realPath(dir)) return 'is not the top of its own git repository';
  const facts = scratchFacts(dir);
  if (!facts) return 'its refs cannot be read';
  if (facts.refs.join('\n') !== m.refs.join('\n') || facts.head !== m.head || facts.reflog !== m.reflog) return 'has branches, tags or commits memdesc did not make';
  const worktrees = (tryRun(dir, ['worktree', 'list', '--porcelain']) ?? '').split('\n').filter((l) => l.startsWith('worktree '));
  if (worktrees.length !== 1) return 'has other worktrees';
  const status = tryRun(dir, ['status', '--porcelain', '--untracked-files=all', '--ignored']);
  if (status === undefined) return 'its status cannot be read';
  for (const line of status.split('\n').filter(Boolean)) {
    const ownLink = line === '!! node_modules' && lstatSync(join(dir, 'node_modules')).isSymbolicLink();
    if (!ownLink) return `has changes memdesc did not make (${line.slice(3)})`;
  }
  return undefined;
}
