#!/usr/bin/env node
/**
 * Build the CLI: esbuild bundles src/cli.ts into dist/cli.mjs (dependencies stay external, loaded
 * from node_modules), so the installed package runs plain JavaScript, no TypeScript loader.
 *
 * - Code splitting: dist/cli.mjs holds what every run needs (the command definitions: flags, help
 *   texts); each command's library code is in chunks beside it (dist/NAME-HASH.mjs) that load
 *   when its action runs (the `await import()`s in src/commands/*), so `memdesc --help` loads a
 *   small file. dist/build-info.json records the entry's static closure (`startup`).
 * - TypeScript (@ts-morph/common, about 9 MB of JavaScript) is loaded on first use, not at
 *   start-up: `memdesc --help` and commands that never parse code start in a tenth of the time.
 * - Files the sources read beside themselves (`new URL('./specs/linux.json', import.meta.url)`)
 *   are copied to the same place beside the bundle (every chunk sits in dist/ itself, so the URL
 *   means the same in whichever chunk the code lands).
 * - dist/build-info.json records a hash of every input, so a checkout's bin/memdesc.mjs can tell
 *   a stale build from a fresh one (`isStale()`) and rebuild before it runs.
 * Every output is written to a temporary name and renamed, chunks first and dist/cli.mjs last:
 * concurrent builds never leave a torn file, and a process never starts on a build whose chunks
 * are not all there. Chunks an earlier build made (they start with BANNER) are deleted once no
 * build has made them for GRACE_MS, so a process still running an earlier build can load them.
 *
 * Usage: node scripts/build.mjs [--if-stale] [--prune]
 *   --prune: also delete every earlier build's chunk now, without the grace (prepack: the tarball
 *   ships dist/*.mjs, which must be exactly this build).
 */
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const DIST = join(ROOT, 'dist');
export const ENTRY = join(ROOT, 'src', 'cli.ts');
export const BUNDLE = join(DIST, 'cli.mjs');
/** First line of every JavaScript file the build writes: how a later build knows a chunk is its own. */
export const BANNER = '// Built by scripts/build.mjs from src/ (do not edit): npm run build';
/**
 * How long a chunk no build makes any more is kept: a process started on an earlier build may
 * still import it (a long `memdesc start` loads its report code minutes after it began).
 */
export const GRACE_MS = 60 * 60 * 1000;
/** Files that shape every build besides the bundle's own inputs. */
const ALWAYS = ['scripts/build.mjs', 'package.json'];

/**
 * Modules made lazy, with the names the sources import from them. A name not listed here fails
 * the build ("No matching export"), which is the place to add it.
 */
const LAZY = {
  // TypeScript (its typescript.js beside the package's main) and the package's main itself (3 MB, the lib
  // files' texts) compile with V8's code cache: src/ts/codeCache.ts.
  '@ts-morph/common': { objects: ['ts'], functions: ['getLibFiles'], codeCache: ['typescript.js', 'ts-morph-common.js'] },
};

// node:crypto loads only when something is hashed: a fresh build is told by stat() alone (isStale).
const require = createRequire(import.meta.url);

function sha256(text) {
  return require('node:crypto').createHash('sha256').update(text).digest('hex');
}

/** What stat() says of a file: [size, mtimeMs], or undefined when it is not there. */
function statOf(file) {
  const st = statSync(file, { throwIfNoEntry: false });
  return st && [st.size, st.mtimeMs];
}

/**
 * A facade whose exports load the real module on first use. An object export is a live
 * binding (`export let`) that starts as a proxy and is replaced by the real object on its first
 * property access, so after that every use in the bundle reads the real object directly.
 */
function lazyFacade(name, { objects, functions, codeCache }) {
  const lines = [
    "import { createRequire } from 'node:module';",
    'let real;',
  ];
  if (codeCache) {
    lines.push(
      "import { dirname, join } from 'node:path';",
      "import { requireWithCodeCache } from './src/ts/codeCache.ts';",
      'const req = createRequire(import.meta.url);',
      `const heavy = () => new Set(${JSON.stringify(codeCache)}.map((f) => join(dirname(req.resolve(${JSON.stringify(name)})), f)));`,
      `const load = () => (real ??= requireWithCodeCache(req, ${JSON.stringify(name)}, heavy()));`,
    );
  } else lines.push(`const load = () => (real ??= createRequire(import.meta.url)(${JSON.stringify(name)}));`);
  for (const o of objects) {
    lines.push(
      `export let ${o} = new Proxy({}, {`,
      `  get(_t, p) { ${o} = load().${o}; return ${o}[p]; },`,
      `  has(_t, p) { return p in load().${o}; },`,
      `  ownKeys() { return Reflect.ownKeys(load().${o}); },`,
      `  getOwnPropertyDescriptor(_t, p) { const d = Reflect.getOwnPropertyDescriptor(load().${o}, p); return d && { ...d, configurable: true }; },`,
      '});',
    );
  }
  for (const f of functions) lines.push(`export function ${f}(...args) { return load().${f}(...args); }`);
  return lines.join('\n');
}

const lazyPlugin = {
  name: 'memdesc-lazy',
  setup(b) {
    const filter = new RegExp(`^(${Object.keys(LAZY).map((m) => m.replace(/[/.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})$`);
    b.onResolve({ filter }, (args) => ({ path: args.path, namespace: 'memdesc-lazy' }));
    b.onLoad({ filter: /.*/, namespace: 'memdesc-lazy' }, (args) => ({ contents: lazyFacade(args.path, LAZY[args.path]), loader: 'js', resolveDir: ROOT }));
  },
};

/** `new URL('./x', import.meta.url)` in an input: the file it reads, and where it must be beside the bundle. */
function assetsOf(inputs, dist) {
  const out = new Map();
  const re = /new URL\(\s*(['"])(\.\/[^'"]+)\1\s*,\s*import\.meta\.url\s*\)/g;
  for (const input of inputs) {
    for (const m of readFileSync(join(ROOT, input), 'utf8').matchAll(re)) {
      const from = resolve(ROOT, dirname(input), m[2]);
      const to = resolve(dist, m[2]);
      if (!to.startsWith(dist + sep)) throw new Error(`${input}: ${m[2]} is outside the bundle's folder`);
      if (out.has(to) && out.get(to) !== from) throw new Error(`${input}: ${m[2]} is also another file's ${relative(ROOT, out.get(to))}`);
      if (!existsSync(from)) throw new Error(`${input}: reads ${m[2]}, which does not exist`);
      out.set(to, from);
    }
  }
  return out;
}

/** Write through a temporary name and rename; returns the identity of the file written (fileId). */
function writeAtomic(file, data) {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  try {
    writeFileSync(tmp, data);
    const id = fileId(tmp); // a rename keeps inode and time
    renameSync(tmp, file);
    return id;
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** inode, size and time in ns: which write a file is (another build's rename puts another inode there). */
function fileId(file) {
  const st = statSync(file, { bigint: true, throwIfNoEntry: false });
  return st && `${st.ino}:${st.size}:${st.mtimeNs}`;
}

/**
 * Write `data` to `file` unless it already holds exactly that; either way its time is now, which
 * is when a build last made it (the grace of a chunk no build makes any more counts from there).
 */
function writeOutput(file, data) {
  let same = false;
  try {
    same = readFileSync(file).equals(data);
  } catch { /* not there yet */ }
  if (!same) return writeAtomic(file, data);
  const now = new Date();
  try {
    utimesSync(file, now, now);
  } catch (e) {
    if (e.code !== 'ENOENT') throw e;
    writeAtomic(file, data); // another build pruned it in between
  }
}

/** The recorded inputs of the last build and their hashes, or undefined. */
function readInfo(dist) {
  try {
    return JSON.parse(readFileSync(join(dist, 'build-info.json'), 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * Does `dist` not match the sources? True when anything is missing or any input's content
 * changed (a new file can only matter through an input that imports it, which then changed).
 * An input whose size and time are those recorded when it was hashed is not read again (every
 * run of bin/memdesc.mjs in a checkout asks); any other is hashed, so a touched file is no change.
 */
export function isStale(dist = DIST) {
  const info = readInfo(dist);
  // The entry must be the one this build-info's build wrote: two builds of different sources at
  // once may leave one's entry under the other's record.
  if (!info || !info.entry || fileId(join(dist, 'cli.mjs')) !== info.entry) return true;
  for (const [file, hash] of Object.entries(info.inputs ?? {})) {
    const abs = join(ROOT, file);
    const now = statOf(abs);
    if (!now) return true;
    const then = info.stats?.[file];
    if (then && then[0] === now[0] && then[1] === now[1]) continue;
    if (sha256(readFileSync(abs)) !== hash) return true;
  }
  // Output names are relative to dist/ (a build-info of the one-file build named dist/cli.mjs: stale).
  for (const file of info.outputs ?? []) if (!existsSync(join(dist, file))) return true;
  return false;
}

/**
 * The files that can be inputs (src/ and ALWAYS): hash and stat() of each, taken before esbuild
 * reads them (the stat first: a file changed after it is hashed again by isStale()).
 */
function hashSources() {
  const files = [...ALWAYS];
  for (const e of readdirSync(join(ROOT, 'src'), { recursive: true, withFileTypes: true })) {
    if (e.isFile()) files.push(relative(ROOT, join(e.parentPath ?? e.path, e.name)).split(sep).join('/'));
  }
  const seen = new Map();
  for (const f of files) {
    const stat = statOf(join(ROOT, f));
    seen.set(f, { stat, hash: sha256(readFileSync(join(ROOT, f))) });
  }
  return seen;
}

/** Output files of `metafile` reached from the entry by static imports: what `memdesc --help` loads. */
function startupClosure(metafile, dist) {
  const entry = Object.keys(metafile.outputs).find((o) => metafile.outputs[o].entryPoint === relative(ROOT, ENTRY).split(sep).join('/'));
  const seen = new Set();
  const todo = [entry];
  while (todo.length) {
    const o = todo.pop();
    if (seen.has(o)) continue;
    seen.add(o);
    for (const i of metafile.outputs[o].imports) if (i.kind === 'import-statement' && !i.external) todo.push(i.path);
  }
  const rel = (o) => relative(dist, resolve(ROOT, o)).split(sep).join('/');
  return {
    outputs: [...seen].map(rel).sort(),
    bytes: [...seen].reduce((n, o) => n + metafile.outputs[o].bytes, 0),
    inputs: [...new Set([...seen].flatMap((o) => Object.keys(metafile.outputs[o].inputs)))].sort(),
    packages: [...new Set([...seen].flatMap((o) => metafile.outputs[o].imports.filter((i) => i.external).map((i) => i.path)))].sort(),
  };
}

/**
 * Delete the chunks in `dist` that this build did not make: files starting with BANNER (so an
 * earlier build wrote them; anything else is left alone) that no build has made for GRACE_MS,
 * or, with `all`, at once. Returns their names.
 */
function prune(dist, keep, all) {
  const gone = [];
  const now = Date.now();
  for (const name of readdirSync(dist)) {
    if (!name.endsWith('.mjs') || keep.has(name)) continue;
    const file = join(dist, name);
    try {
      const st = statSync(file);
      if (!st.isFile() || (!all && now - st.mtimeMs < GRACE_MS)) continue;
      if (!readFileSync(file, 'utf8').startsWith(`${BANNER}\n`)) continue;
      rmSync(file, { force: true });
      gone.push(name);
    } catch { /* another build removed it first */ }
  }
  return gone.sort();
}

/**
 * Bundle the CLI into `dist` (default: the package's dist/). Returns what it wrote and what it
 * deleted (paths relative to `dist`), and the entry's static closure.
 */
export async function build({ dist = DIST, pruneAll = false } = {}) {
  const esbuild = require('esbuild');
  const before = hashSources();
  let result;
  try {
    result = await esbuild.build({
      entryPoints: { cli: ENTRY },
      outdir: dist,
      write: false,
      bundle: true,
      splitting: true,
      entryNames: '[name]',
      chunkNames: '[name]-[hash]',
      outExtension: { '.js': '.mjs' },
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      plugins: [lazyPlugin],
      metafile: true,
      // metafile inputs are relative to this folder: the checkout, whatever the caller's cwd
      absWorkingDir: ROOT,
      logLevel: 'silent',
      legalComments: 'none',
      banner: { js: BANNER },
    });
  } catch (e) {
    const first = e.errors?.[0];
    const where = first?.location ? `${first.location.file}:${first.location.line}:${first.location.column + 1}: ` : '';
    throw new Error(`build failed: ${where}${first?.text ?? e.message}`);
  }
  const inputs = Object.keys(result.metafile.inputs).filter((f) => !f.includes(':') && !f.startsWith('node_modules/')).sort();
  const assets = assetsOf(inputs, dist);
  const entry = join(dist, 'cli.mjs');
  const js = result.outputFiles.filter((f) => f.path.endsWith('.mjs'));
  if (!js.some((f) => f.path === entry)) throw new Error(`build failed: esbuild wrote no ${entry}`);
  mkdirSync(dist, { recursive: true });
  for (const [to, from] of assets) writeOutput(to, readFileSync(from));
  // The entry last: whoever starts it finds every chunk it imports.
  for (const f of js) if (f.path !== entry) writeOutput(f.path, Buffer.from(f.contents));
  const entryId = writeAtomic(entry, Buffer.from(js.find((f) => f.path === entry).contents));
  const rel = (f) => relative(dist, f).split(sep).join('/');
  const outputs = [...js.map((f) => f.path), ...assets.keys()].map(rel).sort();
  // Hashes of what esbuild read: taken before it read them, so a file edited during the build
  // leaves the build stale (rebuilt on the next run), never fresh with the old content.
  const hashes = {};
  const stats = {};
  for (const f of [...new Set([...inputs, ...ALWAYS, ...[...assets.values()].map((f) => relative(ROOT, f).split(sep).join('/'))])].sort()) {
    const b = before.get(f);
    hashes[f] = b?.hash ?? sha256(readFileSync(join(ROOT, f)));
    if (b?.stat) stats[f] = b.stat;
  }
  const startup = startupClosure(result.metafile, dist);
  writeAtomic(join(dist, 'build-info.json'), `${JSON.stringify({ esbuild: esbuild.version, entry: entryId, inputs: hashes, stats, outputs, startup }, null, 2)}\n`);
  const pruned = prune(dist, new Set(outputs), pruneAll);
  return { outputs, pruned, startup };
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const chunks = (n) => `${n} chunk${n === 1 ? '' : 's'}`;
  try {
    const pruneAll = process.argv.includes('--prune');
    if (process.argv.includes('--if-stale') && !isStale()) {
      // Fresh: with --prune, only the earlier builds' chunks go.
      if (pruneAll) {
        const { outputs } = readInfo(DIST);
        const pruned = prune(DIST, new Set(outputs), true);
        if (pruned.length) process.stdout.write(`removed ${chunks(pruned.length)} of earlier builds\n`);
      }
      process.exit(0);
    }
    const { outputs, pruned } = await build({ pruneAll });
    process.stdout.write(`built dist/: ${outputs.length} files (${outputs.filter((f) => f.endsWith('.mjs')).length} JavaScript)${pruned.length ? `; removed ${chunks(pruned.length)} of earlier builds` : ''}\n`);
  } catch (e) {
    process.stderr.write(`scripts/build.mjs: ${e.message}\n`);
    process.exit(1);
  }
}
