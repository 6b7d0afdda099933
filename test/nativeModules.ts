/**
 * The project's own TypeScript (the corpus, memdesc's src/) as Node runs it natively, for the tests.
 *
 * Why: vitest's module runner gives every module an exports object made with Object.create(null)
 * (a dictionary, never a fast object) and a getter per export, and rewrites each call into another
 * module as a lookup on it. The corpus is a machine of small functions calling across modules
 * (read64, page flags, list helpers) millions of times per run, and memdesc's passes call helpers
 * of other modules per syntax node: under the runner the corpus runs 2-3x slower than as plain
 * modules (the seven workloads x 3 runs of test/corpus/workloads.test.ts: 18.5 s in a vitest
 * process, 8.1 s as the native modules made here).
 *
 * How: each file of a folder is compiled by esbuild on its own (types stripped, nothing bundled:
 * its imports stay imports, `./x.ts` becoming `./x.mjs`; `import.meta.url`, `.dirname` and
 * `.filename` still name the source file, so paths found from them are the checkout's) into a
 * folder keyed by the sources' contents, and the plugin resolves a test's import of such a file to
 * its compiled module, which vitest leaves to Node (external). Every module is the same module as
 * before, evaluated in the same order, once per test process: what a test sees is what it saw
 * through the runner. A module that a test mocks (vi.mock) needs the runner, which alone can replace
 * one module for the others: vitest.config.ts gives those test files a project without the plugin.
 */
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Plugin } from 'vite';

/** How files are compiled here: part of each folder's key, so a change to compileNative() compiles anew. */
const COMPILE_VERSION = 2;
/** Folders of earlier versions are removed when older than this (another run may still use a recent one). */
const STALE_MS = 24 * 3600_000;

/** The folder's .ts files (not .d.ts), relative to it, sorted. */
function sourceFiles(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[])
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => f.split(sep).join('/'))
    .sort();
}

/**
 * Compile every .ts file of `dir` (one module each) into `cacheRoot/NAME-HASH` (NAME: the folder's
 * name), unless a folder for the same contents is there already; returns the folder. Written whole
 * under a temporary name, then renamed into place: a concurrent run sees a complete folder or none.
 * `cacheRoot` should lie under the project's node_modules, so that the compiled modules find the
 * project's packages as the sources do.
 */
export async function compileNative(dir: string, cacheRoot: string): Promise<string> {
  const files = sourceFiles(dir);
  const h = createHash('sha256').update(`${COMPILE_VERSION}\0`);
  for (const f of files) h.update(f).update('\0').update(readFileSync(join(dir, f))).update('\0');
  const name = basename(dir);
  const out = join(cacheRoot, `${name}-${h.digest('hex').slice(0, 16)}`);
  if (existsSync(out)) return out;
  mkdirSync(cacheRoot, { recursive: true });
  const tmp = `${out}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  // One build per file: `define` (what import.meta says) is per build.
  await Promise.all(files.map((f) => {
    const src = join(dir, f);
    return build({
      entryPoints: [src], outfile: join(tmp, f.replace(/\.ts$/, '.mjs')),
      // bundle only so that the plugin may rewrite the imports: each one stays external.
      bundle: true, format: 'esm', platform: 'node', target: 'node20', logLevel: 'error',
      define: {
        'import.meta.url': JSON.stringify(pathToFileURL(src).href),
        'import.meta.dirname': JSON.stringify(dirname(src)),
        'import.meta.filename': JSON.stringify(src),
      },
      plugins: [{
        name: 'one-module-per-file',
        setup(b) {
          b.onResolve({ filter: /.*/ }, (a) => {
            if (a.kind === 'entry-point') return undefined;
            // Packages and node: builtins as they are; a relative import to its compiled sibling.
            return { path: /^\.\.?\//.test(a.path) ? a.path.replace(/\.ts$/, '.mjs') : a.path, external: true };
          });
        },
      }],
    });
  }));
  try {
    renameSync(tmp, out);
  } catch (e) {
    // Another run put the same folder in place first.
    rmSync(tmp, { recursive: true, force: true });
    if (!existsSync(out)) throw e;
  }
  pruneStale(cacheRoot, name, out);
  return out;
}

/** Folders this module made for other versions of the folder NAME, unused for a day. */
function pruneStale(cacheRoot: string, name: string, keep: string): void {
  const mine = new RegExp(`^${name.replace(/[^\w-]/g, '\\$&')}-[0-9a-f]{16}(\\.tmp-\\d+)?$`);
  for (const entry of readdirSync(cacheRoot)) {
    const dir = join(cacheRoot, entry);
    if (dir === keep || !mine.test(entry)) continue;
    try {
      if (Date.now() - statSync(dir).mtimeMs > STALE_MS) rmSync(dir, { recursive: true, force: true });
    } catch {
      // Gone already.
    }
  }
}

/**
 * The vite plugin: an import of a .ts file of one of the `folders` (source folder -> its compiled
 * folder) from a test or a test helper resolves to its compiled module, external (the compiled
 * modules import each other natively).
 */
export function nativeModulesPlugin(folders: ReadonlyMap<string, string>): Plugin {
  return {
    name: 'memdesc-native-modules',
    enforce: 'pre',
    resolveId(source, importer) {
      if (!importer || !source.startsWith('.') || !source.endsWith('.ts') || source.endsWith('.d.ts')) return null;
      const abs = resolve(dirname(importer), source);
      for (const [from, to] of folders) {
        const rel = relative(from, abs);
        if (rel !== '' && !rel.startsWith('..') && !isAbsolute(rel)) return { id: join(to, rel.replace(/\.ts$/, '.mjs')), external: true };
      }
      return null;
    },
  };
}
