/**
 * Builds of many variants of one base tree (a series' steps: each a set of files changed from
 * the base), made cheaply: one scratch copy of the base is kept and brought to each variant by
 * writing only the files that differ from the variant before, and one esbuild context rebuilds
 * it incrementally (unchanged files are not parsed again). The content key is the one
 * `buildTree` would compute for a copy of the variant (the base's digests are taken once), so a
 * variant already in the build cache is not built at all, and the cache holds the same bundles
 * whichever way they were made. Builds run one at a time, in the order asked.
 */
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { InputError } from '../errors.ts';
import { bundleOptions, cachedBuild, esbuild, fileDigest, keyOf, storeBuild, treeFiles, type Build } from './build.ts';
import { linkModules, scratchDir } from './revision.ts';

const ENTRY = 'sim/main.ts';

export class OverlayBuilder {
  private readonly scratch: string;
  /** The copy the builds read (the base with the current variant's files written into it). */
  readonly dir: string;
  private readonly base = new Map<string, { text: Buffer; digest: Buffer }>();
  /** What the copy holds besides the base: path -> content. */
  private written = new Map<string, string>();
  private ctx?: import('esbuild').BuildContext;
  private queue: Promise<unknown> = Promise.resolve();
  private disposed = false;

  constructor(baseDir: string, private readonly opts: { cacheDir?: string } = {}) {
    const src = resolve(baseDir);
    this.scratch = scratchDir('steps-');
    this.dir = join(this.scratch, 'corpus');
    try {
      // As overlayTree copies a tree: no dot entries, no node_modules (linked instead).
      cpSync(src, this.dir, {
        recursive: true,
        filter: (p) => {
          const rel = relative(src, p);
          if (rel === '') return true;
          const name = rel.split(sep).at(-1)!;
          return !name.startsWith('.') && name !== 'node_modules';
        },
      });
      linkModules(this.dir, src);
      for (const f of treeFiles(this.dir)) {
        const text = readFileSync(join(this.dir, ...f.split('/')));
        this.base.set(f, { text, digest: fileDigest(text) });
      }
    } catch (e) {
      rmSync(this.scratch, { recursive: true, force: true });
      throw e;
    }
  }

  /** The content key of the base with `overrides` (relative path -> content) applied. */
  keyOf(overrides: ReadonlyMap<string, string>): string {
    const files = new Map<string, Buffer>();
    for (const [f, b] of this.base) files.set(f, b.digest);
    for (const [f, text] of overrides) files.set(f, fileDigest(text));
    // treeFiles' order: plain string sort of the relative paths.
    return keyOf([...files.keys()].sort().map((f) => [f, files.get(f)!] as const));
  }

  /** The bundle of the base with `overrides` applied (from the cache when it is there). */
  build(overrides: ReadonlyMap<string, string>): Promise<Build> {
    const next = this.queue.then(() => this.buildNow(overrides));
    this.queue = next.catch(() => {});
    return next;
  }

  private async buildNow(overrides: ReadonlyMap<string, string>): Promise<Build> {
    if (this.disposed) throw new Error('OverlayBuilder used after dispose()');
    const t0 = performance.now();
    for (const f of overrides.keys()) {
      if (f.startsWith('/') || f.split('/').includes('..')) throw new InputError(`override path escapes the tree: ${f}`);
    }
    const key = this.keyOf(overrides);
    const hit = cachedBuild(key, this.opts.cacheDir);
    if (hit) return { key, file: hit, cached: true, ms: performance.now() - t0 };
    this.apply(overrides);
    this.ctx ??= await esbuild().context({ ...bundleOptions(this.dir, join(this.dir, ENTRY), join(this.scratch, 'out', 'main.mjs')), write: false });
    let out: import('esbuild').BuildResult;
    try {
      out = await this.ctx.rebuild();
    } catch (e) {
      const errors = (e as { errors?: Array<{ text: string; location?: { file: string; line: number } | null }> }).errors;
      const first = errors?.[0];
      const where = first?.location ? `${first.location.file}:${first.location.line}: ` : '';
      throw new InputError(`${this.dir}: build failed: ${where}${first?.text ?? (e as Error).message.split('\n')[0]}`);
    }
    const bundle = out.outputFiles?.find((o) => o.path.endsWith('.mjs'));
    if (!bundle) throw new Error('esbuild produced no bundle');
    const file = storeBuild(key, bundle.contents, this.opts.cacheDir);
    return { key, file, cached: false, ms: performance.now() - t0 };
  }

  /** Bring the copy from the variant it holds to `overrides`: only differing files are written. */
  private apply(overrides: ReadonlyMap<string, string>): void {
    for (const f of this.written.keys()) {
      if (overrides.has(f)) continue;
      const p = join(this.dir, ...f.split('/'));
      const base = this.base.get(f);
      if (base) writeFileSync(p, base.text);
      else rmSync(p, { force: true });
    }
    for (const [f, text] of overrides) {
      if (this.written.get(f) === text) continue;
      const p = join(this.dir, ...f.split('/'));
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, text);
    }
    this.written = new Map(overrides);
  }

  /** Stop the esbuild context and remove the copy (idempotent; builds asked for later fail). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    void this.ctx?.dispose().catch(() => {});
    rmSync(this.scratch, { recursive: true, force: true });
  }
}
