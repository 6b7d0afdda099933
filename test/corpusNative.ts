/**
 * The corpus as Node runs it natively, for the test files that run the simulated machine in their
 * own process (vitest.config.ts's `isolated` project).
 *
 * Why: vitest's module runner gives every module an exports object made with Object.create(null)
 * (a dictionary, never a fast object) and a getter per export, and rewrites each call into another
 * module as a lookup on it. The corpus is a machine of small functions calling across modules
 * (read64, page flags, list helpers) millions of times per run, so under the runner it runs 2-3x
 * slower than as plain modules: the seven workloads x 3 runs of test/corpus/workloads.test.ts took
 * 18.5 s in a vitest process, 8.1 s as the native modules made here.
 *
 * How: each corpus file is compiled by esbuild on its own (types stripped, nothing bundled: its
 * imports stay imports, `./x.ts` becoming `./x.mjs`) into a folder keyed by the corpus' contents,
 * and the plugin resolves a test's import of a corpus file to that file's compiled module, which
 * vitest leaves to Node (external). Every module is the same module as before, evaluated in the
 * same order, once per test process: what a test sees is what it saw through the runner. A test
 * file that mocks a corpus module (vi.mock) needs the runner, which alone can replace one module
 * for the others: vitest.config.ts gives those files a project without the plugin.
 */
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { Plugin } from 'vite';

/** Folders of earlier corpus versions are removed when older than this (another run may still use a recent one). */
const STALE_MS = 24 * 3600_000;

/** The corpus' .ts files (not .d.ts), relative to it, sorted. */
function corpusFiles(corpus: string): string[] {
  return (readdirSync(corpus, { recursive: true }) as string[])
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => f.split(sep).join('/'))
    .sort();
}

/**
 * Compile `corpus` (every .ts file, one module each) into `cacheRoot/corpus-HASH`, unless a folder
 * for the same contents is there already; returns the folder. Written whole under a temporary name,
 * then renamed into place: a concurrent run sees a complete folder or none.
 */
export async function compileCorpus(corpus: string, cacheRoot: string): Promise<string> {
  const files = corpusFiles(corpus);
  const h = createHash('sha256');
  for (const f of files) h.update(f).update('\0').update(readFileSync(join(corpus, f))).update('\0');
  const out = join(cacheRoot, `corpus-${h.digest('hex').slice(0, 16)}`);
  if (existsSync(out)) return out;
  mkdirSync(cacheRoot, { recursive: true });
  const tmp = `${out}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  await build({
    entryPoints: files.map((f) => join(corpus, f)), outdir: tmp, outbase: corpus, outExtension: { '.js': '.mjs' },
    // bundle only so that a plugin may rewrite the imports: each one stays external (one module per file).
    bundle: true, format: 'esm', platform: 'node', target: 'node20', logLevel: 'error',
    plugins: [{
      name: 'one-module-per-file',
      setup(b) {
        b.onResolve({ filter: /^\.\.?\// }, (a) => (a.kind === 'entry-point' ? undefined : { path: a.path.replace(/\.ts$/, '.mjs'), external: true }));
      },
    }],
  });
  try {
    renameSync(tmp, out);
  } catch (e) {
    // Another run put the same folder in place first.
    rmSync(tmp, { recursive: true, force: true });
    if (!existsSync(out)) throw e;
  }
  pruneStale(cacheRoot, out);
  return out;
}

/** Folders this module made for other corpus versions, unused for a day. */
function pruneStale(cacheRoot: string, keep: string): void {
  for (const name of readdirSync(cacheRoot)) {
    const dir = join(cacheRoot, name);
    if (dir === keep || !/^corpus-[0-9a-f]{16}(\.tmp-\d+)?$/.test(name)) continue;
    try {
      if (Date.now() - statSync(dir).mtimeMs > STALE_MS) rmSync(dir, { recursive: true, force: true });
    } catch {
      // Gone already.
    }
  }
}

/**
 * The vite plugin: an import of a corpus .ts file from a test (or a test helper) resolves to its
 * compiled module in `compiled`, external (the compiled modules import each other natively).
 */
export function corpusNativePlugin(corpus: string, compiled: string): Plugin {
  return {
    name: 'memdesc-corpus-native',
    enforce: 'pre',
    resolveId(source, importer) {
      if (!importer || !source.startsWith('.') || !source.endsWith('.ts')) return null;
      const rel = relative(corpus, resolve(dirname(importer), source));
      if (rel.startsWith('..') || rel.endsWith('.d.ts')) return null;
      return { id: join(compiled, rel.replace(/\.ts$/, '.mjs')), external: true };
    },
  };
}
