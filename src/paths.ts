/**
 * Locations inside the memdesc package, resolved from this module, not the working directory.
 * This module is src/paths.ts in a checkout and part of dist/*.mjs (the entry cli.mjs or one of
 * its chunks, all in dist/ itself) in the built package: both sit one folder below the package root.
 */
import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';
import { homedir } from 'node:os';

const SELF = fileURLToPath(import.meta.url);
export const PACKAGE_ROOT = join(dirname(SELF), '..');
export const BUNDLED_CORPUS = join(PACKAGE_ROOT, 'corpus');
/** The file of the built CLI this code runs from (dist/cli.mjs or a chunk beside it), or undefined when it runs from src/*.ts. */
export const TOOL_BUNDLE: string | undefined = /\.[cm]?ts$/.test(SELF) ? undefined : SELF;
/** Runs a TypeScript file through tsx: for tests and benchmarks in a checkout only (tsx is a devDependency). */
export const RUN_TS = join(PACKAGE_ROOT, 'bin', 'run-ts.mjs');

/**
 * The user's cache folder for memdesc, never inside a project tree or the installed package
 * (which may be read-only): $MEMDESC_CACHE_DIR, else $XDG_CACHE_HOME/memdesc, else ~/.cache/memdesc.
 * Sub-folders per purpose (`track`, `build`, `trees`). Read at call time so tests can move it.
 */
export function userCacheDir(...sub: string[]): string {
  const env = process.env;
  const base = env.MEMDESC_CACHE_DIR ? resolve(env.MEMDESC_CACHE_DIR)
    : env.XDG_CACHE_HOME ? join(resolve(env.XDG_CACHE_HOME), 'memdesc')
    : join(homedir(), '.cache', 'memdesc');
  return join(base, ...sub);
}
