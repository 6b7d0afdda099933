/**
 * Build a corpus tree to runnable JavaScript: esbuild bundles `<tree>/sim/main.ts` into one ESM
 * file in a cache directory keyed by the tree's content (every file's path and bytes, the esbuild
 * version and the build options), so an unchanged tree is never built twice. Builds are written
 * to a temporary name and renamed, so concurrent verifiers share the cache safely.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { InputError } from '../errors.ts';
import { userCacheDir } from '../paths.ts';
import { SOURCE_LOCATION_BANNER, sourceLocations } from './sourceLocations.ts';

/** Bumped when the bundle options change, so old cache entries are not reused. */
const BUILD_FORMAT = 'memdesc-verify-build/1';

/**
 * Builds kept in a cache folder (a series makes one per step, about 350 KB each): beyond this,
 * the least recently used are removed.
 */
export const MAX_BUILDS = 256;
const KEY_NAME = /^[0-9a-f]{64}$/;

export interface Build {
  /** Content key (sha256 hex) of the tree. */
  key: string;
  /** The runnable bundle. */
  file: string;
  /** True when the bundle came from the cache. */
  cached: boolean;
  ms: number;
}

/**
 * Where builds go: the user's cache (`userCacheDir('build')`), never the package, which may be
 * installed read-only; the OS temp dir when that cannot be created.
 */
export function cacheRoot(): string {
  const dir = userCacheDir('build');
  try {
    mkdirSync(dir, { recursive: true });
    return dir;
  } catch {
    return join(tmpdir(), `memdesc-cache-${process.getuid?.() ?? 'user'}`, 'build');
  }
}

/** Files of a tree that can affect the build: everything but dot entries and node_modules. */
export function treeFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.name.startsWith('.') || e.name === 'node_modules') continue;
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.push(relative(dir, p).split(sep).join('/'));
    }
  };
  walk(dir);
  return out.sort();
}

let esbuildModule: typeof import('esbuild') | undefined;
/** esbuild, loaded on first use (it is not needed to start the CLI). */
export function esbuild(): typeof import('esbuild') {
  if (!esbuildModule) {
    esbuildModule = createRequire(import.meta.url)('esbuild') as typeof import('esbuild');
    // Its service process starts in the folder esbuild was loaded in; start it now, while that folder surely exists.
    try {
      void esbuildModule.initialize({});
    } catch {
      // Already started by another user of the module: it runs.
    }
  }
  return esbuildModule;
}

/** sha256 digest of a file's bytes, as the content key takes it. */
export function fileDigest(bytes: string | Uint8Array): Buffer {
  return createHash('sha256').update(bytes).digest();
}

/** The content key from a tree's files (relative paths in treeFiles' order) and their digests. */
export function keyOf(files: Iterable<readonly [string, Buffer]>): string {
  const h = createHash('sha256');
  h.update(`${BUILD_FORMAT}\0esbuild ${esbuild().version}\0`);
  for (const [f, digest] of files) {
    h.update(f);
    h.update('\0');
    h.update(digest);
  }
  return h.digest('hex');
}

/** The content key of a tree: sha256 over the build format, esbuild's version and every file. */
export function treeKey(dir: string): string {
  return keyOf(treeFiles(dir).map((f) => [f, fileDigest(readFileSync(join(dir, f)))] as const));
}

export interface BuildOptions {
  /** Folder for the builds, one sub-folder per content key (default cacheRoot()). */
  cacheDir?: string;
  /**
   * The entry to bundle, relative to the tree (default `sim/main.ts`, the corpus simulation);
   * another entry is a user's oracle program (`verify --entry`).
   */
  entry?: string;
}

const CORPUS_ENTRY = 'sim/main.ts';

interface Planned {
  root: string;
  key: string;
  file: string;
  tmp: string;
  options: import('esbuild').BuildOptions;
}

/** Key, place and esbuild options of a build, or the cached build when there is one. */
function plan(dir: string, opts: BuildOptions, t0: number): Planned | Build {
  const root = resolve(dir);
  const rel = opts.entry ?? CORPUS_ENTRY;
  const entry = resolve(root, rel);
  if (!existsSync(entry) || !statSync(entry).isFile()) {
    throw new InputError(opts.entry === undefined ? `${dir}: not a corpus tree (no sim/main.ts)` : `${dir}: no entry file ${rel}`);
  }
  const treeHash = treeKey(root);
  // Another entry of the same tree is another build: its path joins the key.
  const key = opts.entry === undefined ? treeHash : createHash('sha256').update(`${treeHash}\0entry ${relative(root, entry).split(sep).join('/')}\0sources located`).digest('hex');
  const outDir = join(opts.cacheDir ?? cacheRoot(), key);
  const file = join(outDir, 'main.mjs');
  if (existsSync(file) && statSync(file).size > 0) {
    touch(file);
    return { key, file, cached: true, ms: performance.now() - t0 };
  }
  mkdirSync(outDir, { recursive: true });
  const tmp = tmpName(file);
  return { root, key, file, tmp, options: bundleOptions(root, entry, tmp, opts.entry !== undefined) };
}

function tmpName(file: string): string {
  return `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
}

/** esbuild's options for a tree's entry (`userEntry`: a user's oracle program, not the corpus simulation). */
export function bundleOptions(root: string, entry: string, outfile: string, userEntry = false): import('esbuild').BuildOptions {
  return {
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    // esbuild's default working folder is the process's at the time esbuild was loaded, which may since have been
    // deleted (a library caller that changed folders): every path would then fail to resolve. The tree is the anchor.
    absWorkingDir: resolve(root),
    logLevel: 'silent',
    sourcemap: false,
    legalComments: 'none',
    ...(existsSync(join(root, 'tsconfig.json')) ? { tsconfig: join(root, 'tsconfig.json') } : {}),
    // A user's program may bundle CommonJS packages that require() Node's modules.
    // …and ask where its own source is (import.meta.url, __dirname): each module is told its own.
    ...(userEntry ? {
      banner: { js: `import { createRequire as __memdescRequire } from 'node:module'; const require = __memdescRequire(import.meta.url); ${SOURCE_LOCATION_BANNER}` },
      plugins: [sourceLocations(root)],
    } : {}),
  };
}

/** The cached build of a content key, if there is one (marked as just used). */
export function cachedBuild(key: string, cacheDir?: string): string | undefined {
  const file = join(cacheDir ?? cacheRoot(), key, 'main.mjs');
  if (!existsSync(file) || statSync(file).size === 0) return undefined;
  touch(file);
  return file;
}

/** Put a bundle made elsewhere (an incremental build) into the cache under its content key. */
export function storeBuild(key: string, contents: Uint8Array, cacheDir?: string): string {
  const file = join(cacheDir ?? cacheRoot(), key, 'main.mjs');
  mkdirSync(dirname(file), { recursive: true });
  const tmp = tmpName(file);
  writeFileSync(tmp, contents);
  renameSync(tmp, file);
  pruneBuilds(dirname(dirname(file)));
  return file;
}

/** Mark a build as just used (its mtime orders pruning); a read-only cache is fine. */
function touch(file: string): void {
  const now = new Date();
  try {
    utimesSync(file, now, now);
  } catch {
    // not ours to change: pruning then sees it as older than it is
  }
}

/**
 * Keep the newest `keep` builds of a cache folder, removing the least recently used. Only what
 * buildTree makes is considered: folders named by a content key holding main.mjs (the folder may
 * be one the user chose with $MEMDESC_CACHE_DIR, with other things in it).
 */
export function pruneBuilds(cacheDir: string, keep = MAX_BUILDS): string[] {
  let names: string[];
  try {
    names = readdirSync(cacheDir).filter((n) => KEY_NAME.test(n));
  } catch {
    return [];
  }
  if (names.length <= keep) return [];
  const entries: Array<{ dir: string; used: number }> = [];
  for (const n of names) {
    try {
      entries.push({ dir: join(cacheDir, n), used: statSync(join(cacheDir, n, 'main.mjs')).mtimeMs });
    } catch {
      // a build in progress (no main.mjs yet) or not one of ours: leave it
    }
  }
  entries.sort((a, b) => a.used - b.used);
  const removed: string[] = [];
  for (const e of entries.slice(0, Math.max(0, entries.length - keep))) {
    try {
      rmSync(e.dir, { recursive: true, force: true });
      removed.push(e.dir);
    } catch {
      // another process may be pruning too
    }
  }
  return removed;
}

function failed(dir: string, p: Planned, e: unknown): InputError {
  rmSync(p.tmp, { force: true });
  const errors = (e as { errors?: Array<{ text: string; location?: { file: string; line: number } | null }> }).errors;
  const first = errors?.[0];
  const where = first?.location ? `${first.location.file}:${first.location.line}: ` : '';
  return new InputError(`${dir}: build failed: ${where}${first?.text ?? (e as Error).message.split('\n')[0]}`);
}

/** Bundle `<dir>/sim/main.ts` (or `opts.entry`; cached by content). Throws InputError when the tree does not build. */
export async function buildTree(dir: string, opts: BuildOptions = {}): Promise<Build> {
  const t0 = performance.now();
  const p = plan(dir, opts, t0);
  if (!('tmp' in p)) return p;
  try {
    await esbuild().build(p.options);
  } catch (e) {
    throw failed(dir, p, e);
  }
  renameSync(p.tmp, p.file);
  pruneBuilds(dirname(dirname(p.file)));
  return { key: p.key, file: p.file, cached: false, ms: performance.now() - t0 };
}

/** buildTree for synchronous callers (the same cache). */
export function buildTreeSync(dir: string, opts: BuildOptions = {}): Build {
  const t0 = performance.now();
  const p = plan(dir, opts, t0);
  if (!('tmp' in p)) return p;
  try {
    esbuild().buildSync(p.options);
  } catch (e) {
    throw failed(dir, p, e);
  }
  renameSync(p.tmp, p.file);
  pruneBuilds(dirname(dirname(p.file)));
  return { key: p.key, file: p.file, cached: false, ms: performance.now() - t0 };
}
