/**
 * Resolve a tree argument: an existing directory is a corpus tree as it is; anything else is a
 * git revision (`REV` or `REV:PATH`) whose corpus is materialised with `git archive` into a
 * temporary directory. Without `:PATH` the path is the candidate tree's place in its repository
 * (so `verify --against HEAD` compares the working corpus with the committed one).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { InputError } from '../errors.ts';
import { userCacheDir } from '../paths.ts';

export interface Tree {
  /** How the tree is named in reports ("corpus", "HEAD:corpus (1a2b3c4)"). */
  label: string;
  /** Directory holding sim/main.ts. */
  dir: string;
  /** Set for trees read from git. */
  commit?: string;
  /** Removes what resolving created (temporary directories); idempotent. */
  cleanup(): void;
}

/** An in-memory variant of a directory: files replaced (or added) by path relative to it. */
export interface OverlayInput {
  dir: string;
  label?: string;
  /** Relative path (forward slashes) -> new content. */
  overrides?: Record<string, string>;
  /** Relative paths to leave out of the copy. */
  deletes?: string[];
  /** Copy even without changes (a snapshot of a tree others may be editing). */
  copy?: boolean;
}

export type TreeInput = string | OverlayInput;

/**
 * A new temporary folder for a tree, in the user's cache (`userCacheDir('trees')`), never under
 * the package (an installed package may be read-only); else the OS temp dir. Trees used to live
 * under the package so that a copy still found the package's node_modules (@types/node) when it
 * was type-checked: the bundled corpus now declares what it uses of Node itself, and a copy of
 * any other tree gets the node_modules its original sees (linkModules).
 */
export function scratchDir(prefix: string): string {
  const base = userCacheDir('trees');
  try {
    mkdirSync(base, { recursive: true });
    return mkdtempSync(join(base, prefix));
  } catch {
    return mkdtempSync(join(tmpdir(), `memdesc-${prefix}`));
  }
}

/** The node_modules folder that module resolution from `dir` finds first, if any. */
export function nearestNodeModules(dir: string): string | undefined {
  for (let d = resolve(dir); ; d = dirname(d)) {
    const nm = join(d, 'node_modules');
    if (isDirectory(nm)) return nm;
    if (dirname(d) === d) return undefined;
  }
}

/**
 * Give a copy of a tree the packages its original resolves (its own node_modules, which copies
 * leave out, or the nearest one above it): a symlink, so the copy type-checks and bundles alike.
 */
export function linkModules(copy: string, original: string): void {
  const nm = nearestNodeModules(original);
  if (nm && !existsSync(join(copy, 'node_modules'))) symlinkSync(nm, join(copy, 'node_modules'), 'dir');
}

function git(cwd: string, args: string[], input?: Buffer): { status: number; stdout: Buffer; stderr: string } {
  const r = spawnSync('git', args, { cwd, input, maxBuffer: 1 << 30 });
  if (r.error) throw new InputError(`cannot run git: ${r.error.message}`);
  return { status: r.status ?? 1, stdout: r.stdout, stderr: r.stderr.toString() };
}

function isCorpusDir(dir: string): boolean {
  return existsSync(join(dir, 'sim', 'main.ts'));
}

/** The git work tree that contains `dir`, or undefined. */
export function gitToplevel(dir: string): string | undefined {
  if (!existsSync(dir)) return undefined;
  const r = spawnSync('git', ['rev-parse', '--show-toplevel'], { cwd: dir, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

export interface ResolveOptions {
  /** The directory whose repository and relative path a bare revision refers to. */
  relativeTo: string;
  /** Any directory will do (a user's oracle runs in it), not only a corpus tree. */
  anyTree?: boolean;
}

export function resolveTree(input: TreeInput, opts: ResolveOptions): Tree {
  if (typeof input !== 'string') return overlayTree(input, opts.anyTree);
  const abs = resolve(input);
  if (existsSync(abs)) {
    if (!statSync(abs).isDirectory()) throw new InputError(`${input}: not a directory or a git revision`);
    if (!opts.anyTree && !isCorpusDir(abs)) throw new InputError(`${input}: not a corpus tree (no sim/main.ts)`);
    return { label: input, dir: abs, cleanup() {} };
  }
  return revisionTree(input, opts.relativeTo, opts.anyTree);
}

/** Materialise `REV` or `REV:PATH` from the repository around `relativeTo`. */
export function revisionTree(spec: string, relativeTo: string, anyTree = false): Tree {
  const base = resolve(relativeTo);
  const top = gitToplevel(isDirectory(base) ? base : dirname(base));
  if (!top) throw new InputError(`${spec}: no such directory, and ${relativeTo} is not in a git repository`);
  const colon = spec.indexOf(':');
  const rev = colon >= 0 ? spec.slice(0, colon) : spec;
  let path = colon >= 0 ? spec.slice(colon + 1) : relative(top, base).split(sep).join('/');
  path = path.replace(/^\/+|\/+$/g, '');
  if (rev === '' || rev.startsWith('-')) throw new InputError(`${spec}: not a directory or a git revision`);
  const r = git(top, ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`]);
  if (r.status !== 0) throw new InputError(`${spec}: no such directory or git revision`);
  const commit = r.stdout.toString().trim();
  const tmp = scratchDir('rev-');
  const cleanup = (): void => rmSync(tmp, { recursive: true, force: true });
  try {
    const archive = git(top, ['archive', '--format=tar', commit, ...(path ? [path] : [])]);
    if (archive.status !== 0) {
      throw new InputError(`${spec}: ${path || '.'} does not exist at ${commit.slice(0, 12)}`);
    }
    const tar = spawnSync('tar', ['-x', '-f', '-', '-C', tmp], { input: archive.stdout });
    if (tar.status !== 0) throw new InputError(`${spec}: cannot extract the archive: ${tar.stderr.toString().trim()}`);
    const dir = path ? join(tmp, ...path.split('/')) : tmp;
    if (!anyTree && !isCorpusDir(dir)) throw new InputError(`${spec}: ${path || '.'} at ${commit.slice(0, 12)} is not a corpus tree (no sim/main.ts)`);
    // git archive has no untracked node_modules: link the ones the working tree's copy sees.
    linkModules(dir, path ? join(top, ...path.split('/')) : top);
    return { label: `${rev}:${path || '.'} (${commit.slice(0, 12)})`, dir, commit, cleanup };
  } catch (e) {
    cleanup();
    throw e;
  }
}

function isDirectory(p: string): boolean {
  return existsSync(p) && statSync(p).isDirectory();
}

/** Copy a directory to a temp dir and apply the overrides (a converted or mutated corpus). */
export function overlayTree(input: OverlayInput, anyTree = false): Tree {
  const src = resolve(input.dir);
  if (!existsSync(src)) throw new InputError(`${input.dir}: no such directory`);
  if (!anyTree && !isCorpusDir(src)) throw new InputError(`${input.dir}: not a corpus tree (no sim/main.ts)`);
  const overrides = input.overrides ?? {};
  const deletes = input.deletes ?? [];
  if (Object.keys(overrides).length === 0 && deletes.length === 0 && !input.copy) {
    return { label: input.label ?? input.dir, dir: src, cleanup() {} };
  }
  const tmp = scratchDir('tree-');
  const cleanup = (): void => rmSync(tmp, { recursive: true, force: true });
  try {
    const dir = join(tmp, 'corpus');
    cpSync(src, dir, {
      recursive: true,
      filter: (p) => {
        const rel = relative(src, p).split(sep).join('/');
        if (rel === '') return true;
        const name = rel.split('/').at(-1)!;
        return !name.startsWith('.') && name !== 'node_modules' && !deletes.includes(rel);
      },
    });
    for (const [rel, text] of Object.entries(overrides)) {
      if (rel.startsWith('/') || rel.split('/').includes('..')) throw new InputError(`override path escapes the tree: ${rel}`);
      const p = join(dir, ...rel.split('/'));
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, text);
    }
    linkModules(dir, src);
    return { label: input.label ?? `${input.dir} (+${Object.keys(overrides).length} changed files)`, dir, cleanup };
  } catch (e) {
    cleanup();
    throw e;
  }
}
