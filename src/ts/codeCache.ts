/**
 * Load a large CommonJS module (TypeScript: 9 MB of JavaScript) with V8's code cache kept in the
 * user's cache folder, as Node 22's `module.enableCompileCache()` (which `tsc` itself turns on)
 * does; Node 20 has no such switch. A process that finds no usable cache writes one when it exits,
 * holding every function the run compiled, so later runs skip compiling them (about a tenth of an
 * analysis). Any failure — no cache folder, a cache V8 rejects (another Node, another file) —
 * only means compiling as usual: the cache never changes what the module does.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { Script } from 'node:vm';
import { userCacheDir } from '../paths.ts';

type Compile = (this: Module, content: string, filename: string) => unknown;
const proto = Module.prototype as unknown as { _compile: Compile };

/** Cache file of `filename`: keyed by its path, size and time, and the Node/V8 that compiles it. */
function cacheFile(filename: string): string | undefined {
  try {
    const st = statSync(filename);
    const key = createHash('sha256').update(`${filename}\0${st.size}\0${st.mtimeMs}\0${process.version}\0${process.arch}`).digest('hex').slice(0, 24);
    return join(userCacheDir('v8'), `${key}.bin`);
  } catch {
    return undefined;
  }
}

/**
 * `req(id)`, where the files in `heavy` (absolute names, as `require` resolves them) compile with
 * the code cache. Everything else loads as usual.
 */
export function requireWithCodeCache(req: NodeJS.Require, id: string, heavy: ReadonlySet<string>): unknown {
  if (process.env.MEMDESC_NO_CODE_CACHE) return req(id);
  const original = proto._compile;
  proto._compile = function compile(this: Module, content: string, filename: string): unknown {
    if (!heavy.has(filename)) return original.call(this, content, filename);
    const file = cacheFile(filename);
    let cachedData: Buffer | undefined;
    try {
      if (file) cachedData = readFileSync(file);
    } catch { /* none yet */ }
    const script = new Script(Module.wrap(content), { filename, ...(cachedData ? { cachedData } : {}) });
    if (file && (!cachedData || script.cachedDataRejected) && mayWrite(file)) {
      // After the run: the cache then holds the functions this run compiled, not just the top level.
      process.once('exit', () => writeCache(file, script));
    }
    const fn = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: Module, f: string, d: string) => unknown;
    return fn.call(this.exports, this.exports, createRequire(filename), this, filename, dirname(filename));
  };
  try {
    return req(id);
  } finally {
    proto._compile = original;
  }
}

/** The real path of `p`, or of its nearest existing folder with the rest appended. */
function real(p: string): string {
  const abs = resolve(p);
  if (existsSync(abs)) return realpathSync(abs);
  const up = dirname(abs);
  return up === abs ? abs : join(real(up), relative(up, abs));
}

/**
 * Whether this run may leave a cache file: not when it was asked to cache nothing (`--no-cache`),
 * and never inside the user's tree: a cache folder set to a place inside a project or a git work
 * tree (a folder above it holds `tsconfig.json` or `.git`) or inside a path named on the command
 * line gets no file from here.
 */
export function mayWrite(file: string, argv: readonly string[] = process.argv.slice(2), cwd = process.cwd()): boolean {
  if (argv.includes('--no-cache')) return false;
  const at = real(file);
  for (let d = dirname(at); ; d = dirname(d)) {
    if (existsSync(join(d, '.git')) || existsSync(join(d, 'tsconfig.json'))) return false;
    if (dirname(d) === d) break;
  }
  for (const a of argv) {
    if (a.startsWith('-') || !existsSync(resolve(cwd, a))) continue;
    const r = relative(real(resolve(cwd, a)), at);
    if (!r.startsWith('..') && !isAbsolute(r)) return false;
  }
  return true;
}

function writeCache(file: string, script: Script): void {
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(tmp, script.createCachedData());
    // Renamed into place: a concurrent reader sees a whole cache or none.
    renameSync(tmp, file);
  } catch {
    rmSync(tmp, { force: true });
  }
}
