/**
 * Build a corpus tree to runnable JavaScript: esbuild bundles `<tree>/sim/main.ts` into one ESM
 * file in a cache directory keyed by the tree's content (every file's path and bytes, the esbuild
 * version and the build options), so an unchanged tree is never built twice. Builds are written
 * to a temporary name and renamed, so concurrent verifiers share the cache safely.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import { InputError } from '../errors.ts';
import { PACKAGE_ROOT } from '../paths.ts';

/** Bumped when the bundle options change, so old cache entries are not reused. */
const BUILD_FORMAT = 'memdesc-verify-build/1';

export interface Build {
  /** Content key (sha256 hex) of the tree. */
  key: string;
  /** The runnable bundle. */
  file: string;
  /** True when the bundle came from the cache. */
  cached: boolean;
  ms: number;
}

/** Where builds go: $MEMDESC_CACHE_DIR, else <package>/.cache/memdesc (else the OS temp dir). */
export function cacheRoot(): string {
  if (process.env.MEMDESC_CACHE_DIR) return resolve(process.env.MEMDESC_CACHE_DIR);
  const pkg = join(PACKAGE_ROOT, '.cache', 'memdesc');
  try {
    mkdirSync(pkg, { recursive: true });
    return pkg;
  } catch {
    return join(tmpdir(), 'memdesc-cache');
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
async function esbuild(): Promise<typeof import('esbuild')> {
  esbuildModule ??= await import('esbuild');
  return esbuildModule;
}

/** The content key of a tree: sha256 over the build format, esbuild's version and every file. */
export async function treeKey(dir: string): Promise<string> {
  const h = createHash('sha256');
  h.update(`${BUILD_FORMAT}\0esbuild ${(await esbuild()).version}\0`);
  for (const f of treeFiles(dir)) {
    h.update(f);
    h.update('\0');
    h.update(createHash('sha256').update(readFileSync(join(dir, f))).digest());
  }
  return h.digest('hex');
}

export interface BuildOptions {
  /** Cache root (default cacheRoot()). */
  cacheDir?: string;
}

/** Bundle `<dir>/sim/main.ts` (cached by content). Throws InputError when the tree does not build. */
export async function buildTree(dir: string, opts: BuildOptions = {}): Promise<Build> {
  const t0 = performance.now();
  const root = resolve(dir);
  const entry = join(root, 'sim', 'main.ts');
  if (!existsSync(entry)) throw new InputError(`${dir}: not a corpus tree (no sim/main.ts)`);
  const key = await treeKey(root);
  const outDir = join(opts.cacheDir ?? cacheRoot(), 'builds', key);
  const file = join(outDir, 'main.mjs');
  if (existsSync(file) && statSync(file).size > 0) return { key, file, cached: true, ms: performance.now() - t0 };
  mkdirSync(outDir, { recursive: true });
  const tmp = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  const { build } = await esbuild();
  try {
    await build({
      entryPoints: [entry],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      outfile: tmp,
      logLevel: 'silent',
      sourcemap: false,
      legalComments: 'none',
      ...(existsSync(join(root, 'tsconfig.json')) ? { tsconfig: join(root, 'tsconfig.json') } : {}),
    });
  } catch (e) {
    rmSync(tmp, { force: true });
    const errors = (e as { errors?: Array<{ text: string; location?: { file: string; line: number } | null }> }).errors;
    const first = errors?.[0];
    const where = first?.location ? `${first.location.file}:${first.location.line}: ` : '';
    throw new InputError(`${dir}: build failed: ${where}${first?.text ?? (e as Error).message.split('\n')[0]}`);
  }
  renameSync(tmp, file);
  return { key, file, cached: false, ms: performance.now() - t0 };
}
