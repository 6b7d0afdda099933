#!/usr/bin/env node
/**
 * Build the CLI: esbuild bundles src/cli.ts into dist/cli.mjs (dependencies stay external, loaded
 * from node_modules), so the installed package runs plain JavaScript, no TypeScript loader.
 *
 * - TypeScript (@ts-morph/common, about 9 MB of JavaScript) is loaded on first use, not at
 *   start-up: `memdesc --help` and commands that never parse code start in a tenth of the time.
 * - Files the sources read beside themselves (`new URL('./specs/linux.json', import.meta.url)`)
 *   are copied to the same place beside the bundle.
 * - dist/build-info.json records a hash of every input, so a checkout's bin/memdesc.mjs can tell
 *   a stale build from a fresh one (`isStale()`) and rebuild before it runs.
 * Every output is written to a temporary name and renamed: concurrent builds never leave a torn file.
 *
 * Usage: node scripts/build.mjs [--if-stale]
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync, copyFileSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const DIST = join(ROOT, 'dist');
export const ENTRY = join(ROOT, 'src', 'cli.ts');
export const BUNDLE = join(DIST, 'cli.mjs');
const INFO = join(DIST, 'build-info.json');
/** Files that shape every build besides the bundle's own inputs. */
const ALWAYS = ['scripts/build.mjs', 'package.json'];

/**
 * Modules made lazy, with the names the sources import from them. A name not listed here fails
 * the build ("No matching export"), which is the place to add it.
 */
const LAZY = {
  // TypeScript (its typescript.js beside the package's main) compiles with V8's code cache: src/ts/codeCache.ts.
  '@ts-morph/common': { objects: ['ts'], functions: ['getLibFiles'], codeCache: ['typescript.js'] },
};

function sha256(text) {
  return createHash('sha256').update(text).digest('hex');
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
function assetsOf(inputs) {
  const out = new Map();
  const re = /new URL\(\s*(['"])(\.\/[^'"]+)\1\s*,\s*import\.meta\.url\s*\)/g;
  for (const input of inputs) {
    for (const m of readFileSync(join(ROOT, input), 'utf8').matchAll(re)) {
      const from = resolve(ROOT, dirname(input), m[2]);
      const to = resolve(DIST, m[2]);
      if (!to.startsWith(DIST + sep)) throw new Error(`${input}: ${m[2]} is outside the bundle's folder`);
      if (out.has(to) && out.get(to) !== from) throw new Error(`${input}: ${m[2]} is also another file's ${relative(ROOT, out.get(to))}`);
      if (!existsSync(from)) throw new Error(`${input}: reads ${m[2]}, which does not exist`);
      out.set(to, from);
    }
  }
  return out;
}

function writeAtomic(file, data) {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** The recorded inputs of the last build and their hashes, or undefined. */
function readInfo() {
  try {
    return JSON.parse(readFileSync(INFO, 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * Does dist/ not match the sources? True when anything is missing or any input's content
 * changed (a new file can only matter through an input that imports it, which then changed).
 */
export function isStale() {
  const info = readInfo();
  if (!info || !existsSync(BUNDLE)) return true;
  for (const [file, hash] of Object.entries(info.inputs ?? {})) {
    const abs = join(ROOT, file);
    if (!existsSync(abs) || sha256(readFileSync(abs)) !== hash) return true;
  }
  for (const file of info.outputs ?? []) if (!existsSync(join(ROOT, file))) return true;
  return false;
}

/** Bundle the CLI into dist/. Returns what it wrote (paths relative to the package). */
export async function build() {
  const esbuild = createRequire(import.meta.url)('esbuild');
  const tmp = `${BUNDLE}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  mkdirSync(DIST, { recursive: true });
  let result;
  try {
    result = await esbuild.build({
      entryPoints: [ENTRY],
      outfile: tmp,
      bundle: true,
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
      banner: { js: '// Built by scripts/build.mjs from src/ (do not edit): npm run build' },
    });
  } catch (e) {
    rmSync(tmp, { force: true });
    const first = e.errors?.[0];
    const where = first?.location ? `${first.location.file}:${first.location.line}:${first.location.column + 1}: ` : '';
    throw new Error(`build failed: ${where}${first?.text ?? e.message}`);
  }
  const inputs = Object.keys(result.metafile.inputs).filter((f) => !f.includes(':') && !f.startsWith('node_modules/')).sort();
  const assets = assetsOf(inputs);
  for (const [to, from] of assets) writeAtomic(to, readFileSync(from));
  renameSync(tmp, BUNDLE);
  const outputs = [BUNDLE, ...assets.keys()].map((f) => relative(ROOT, f).split(sep).join('/')).sort();
  const hashes = {};
  for (const f of [...new Set([...inputs, ...ALWAYS, ...[...assets.values()].map((f) => relative(ROOT, f).split(sep).join('/'))])].sort()) {
    hashes[f] = sha256(readFileSync(join(ROOT, f)));
  }
  writeAtomic(INFO, `${JSON.stringify({ esbuild: esbuild.version, inputs: hashes, outputs }, null, 2)}\n`);
  return outputs;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  try {
    if (process.argv.includes('--if-stale') && !isStale()) process.exit(0);
    const outputs = await build();
    process.stdout.write(`built ${outputs.join(', ')}\n`);
  } catch (e) {
    process.stderr.write(`scripts/build.mjs: ${e.message}\n`);
    process.exit(1);
  }
}
