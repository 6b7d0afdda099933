/**
 * A user's oracle runs bundled (one file in the build cache), but its code may ask where its own
 * source is: a URL resolved against `import.meta.url`, `import.meta.dirname`, or CommonJS's
 * `__dirname`/`__filename` (also in packages it bundles). Bundled as is, `import.meta.url` is the
 * bundle's and `__dirname` does not exist in an ES module: an oracle reading its fixtures fails
 * the same way in both trees, and verify would call the two runs identical without the program
 * having done its work. This esbuild plugin gives each module the location of its own source:
 * those expressions become the file's path, as when it runs unbundled in its tree.
 */
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Loader, Plugin } from 'esbuild';

const LOADERS: Record<string, Loader> = { ts: 'ts', mts: 'ts', cts: 'ts', tsx: 'tsx', js: 'js', mjs: 'js', cjs: 'js', jsx: 'jsx' };
const SOURCE = /\.([cm]?[jt]sx?)$/;
/** Mentions worth a look: most modules have none and load as esbuild loads them. */
const MENTIONS = /\b__dirname\b|\b__filename\b|\bimport\.meta\.(?:url|dirname|filename)\b/;

/** The source with its own location written in (undefined: nothing to write). */
export function withSourceLocation(text: string, file: string): string | undefined {
  if (!MENTIONS.test(text)) return undefined;
  const lit = (s: string): string => JSON.stringify(s);
  let out = text
    .replace(/\bimport\.meta\.url\b/g, lit(pathToFileURL(file).href))
    .replace(/\bimport\.meta\.dirname\b/g, lit(dirname(file)))
    .replace(/\bimport\.meta\.filename\b/g, lit(file));
  // CommonJS's module variables, unless the module declares its own (the ES-module idiom
  // `const __dirname = dirname(fileURLToPath(import.meta.url))`; a TypeScript `declare` is no value).
  const decls: string[] = [];
  for (const [name, value] of [['__dirname', dirname(file)], ['__filename', file]] as const) {
    if (new RegExp(`\\b${name}\\b`).test(out) && !new RegExp(`(?<!\\bdeclare\\s+)\\b(?:var|let|const|function)\\s+${name}\\b|[{,]\\s*${name}\\s*[,}=:]`).test(out)) decls.push(`${name} = ${lit(value)}`);
  }
  // On the first line, so that every other line keeps its number (stack traces, source maps);
  // after a `#!` line and a 'use strict' directive, which must come first.
  if (decls.length > 0) {
    const head = /^(?:#![^\n]*\n)?(?:\s*(['"])use strict\1;?)?/.exec(out)![0];
    out = `${head}${head && !head.endsWith('\n') ? ' ' : ''}var ${decls.join(', ')}; ${out.slice(head.length)}`;
  }
  return out === text ? undefined : out;
}

export function sourceLocations(): Plugin {
  return {
    name: 'memdesc-source-locations',
    setup(build) {
      build.onLoad({ filter: SOURCE }, async (args) => {
        const ext = SOURCE.exec(args.path)?.[1];
        const loader = ext ? LOADERS[ext] : undefined;
        if (!loader || args.namespace !== 'file') return undefined;
        const text = await readFile(args.path, 'utf8');
        const contents = withSourceLocation(text, args.path);
        return contents === undefined ? undefined : { contents, loader, resolveDir: dirname(args.path) };
      });
    },
  };
}
