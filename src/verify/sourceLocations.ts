/**
 * A user's oracle runs bundled (one file in the build cache), but its code may ask where its own
 * source is: a URL resolved against `import.meta.url`, `import.meta.dirname`, or CommonJS's
 * `__dirname`/`__filename` (also in packages it bundles). Bundled as is, `import.meta.url` is the
 * bundle's and `__dirname` does not exist in an ES module: an oracle reading its fixtures fails
 * the same way in both trees, and verify would call the two runs identical without the program
 * having done its work. This esbuild plugin gives each module the location of its own source:
 * those expressions become the file's path in the tree the bundle runs in, as when it runs
 * unbundled there.
 */
import { readFile } from 'node:fs/promises';
import { dirname, relative, sep } from 'node:path';
import type { Loader, Plugin } from 'esbuild';

const LOADERS: Record<string, Loader> = { ts: 'ts', mts: 'ts', cts: 'ts', tsx: 'tsx', js: 'js', mjs: 'js', cjs: 'js', jsx: 'jsx' };
const SOURCE = /\.([cm]?[jt]sx?)$/;
/** Mentions worth a look: most modules have none and load as esbuild loads them. */
const MENTIONS = /\b__dirname\b|\b__filename\b|\bimport\.meta\.(?:url|dirname|filename)\b/;

/**
 * Where the tree is when the bundle runs: its working folder at start (the oracle runs in its
 * tree), so that one bundle serves every copy of a tree and prints nothing of the cache's paths.
 */
export const TREE_ROOT = '__memdescTreeRoot';
export const SOURCE_LOCATION_BANNER = `import { pathToFileURL as __memdescFileUrl } from 'node:url'; const ${TREE_ROOT} = process.cwd();`;

/** The source (`rel`: its path from the tree's root, `/`-separated) with its own location written in (undefined: nothing to write). */
export function withSourceLocation(text: string, rel: string): string | undefined {
  if (!MENTIONS.test(text)) return undefined;
  const at = (p: string): string => (p === '' ? TREE_ROOT : `(${TREE_ROOT} + ${JSON.stringify(`/${p}`)})`);
  const dir = rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : '';
  let out = text
    .replace(/\bimport\.meta\.url\b/g, `__memdescFileUrl(${at(rel)}).href`)
    .replace(/\bimport\.meta\.dirname\b/g, at(dir))
    .replace(/\bimport\.meta\.filename\b/g, at(rel));
  // CommonJS's module variables, unless the module declares its own (the ES-module idiom
  // `const __dirname = dirname(fileURLToPath(import.meta.url))`; a TypeScript `declare` is no value).
  const decls: string[] = [];
  for (const [name, value] of [['__dirname', dir], ['__filename', rel]] as const) {
    if (new RegExp(`\\b${name}\\b`).test(out) && !new RegExp(`(?<!\\bdeclare\\s+)\\b(?:var|let|const|function)\\s+${name}\\b|[{,]\\s*${name}\\s*[,}=:]`).test(out)) decls.push(`${name} = ${at(value)}`);
  }
  // On the first line, so that every other line keeps its number (stack traces, source maps);
  // after a `#!` line and a 'use strict' directive, which must come first.
  if (decls.length > 0) {
    const head = /^(?:#![^\n]*\n)?(?:\s*(['"])use strict\1;?)?/.exec(out)![0];
    out = `${head}${head && !head.endsWith('\n') ? ' ' : ''}var ${decls.join(', ')}; ${out.slice(head.length)}`;
  }
  return out === text ? undefined : out;
}

/** The plugin, for a bundle of the tree at `root` (its output must carry SOURCE_LOCATION_BANNER). */
export function sourceLocations(root: string): Plugin {
  return {
    name: 'memdesc-source-locations',
    setup(build) {
      build.onLoad({ filter: SOURCE }, async (args) => {
        const ext = SOURCE.exec(args.path)?.[1];
        const loader = ext ? LOADERS[ext] : undefined;
        if (!loader || args.namespace !== 'file') return undefined;
        const text = await readFile(args.path, 'utf8');
        const contents = withSourceLocation(text, relative(root, args.path).split(sep).join('/'));
        return contents === undefined ? undefined : { contents, loader, resolveDir: dirname(args.path) };
      });
    },
  };
}
