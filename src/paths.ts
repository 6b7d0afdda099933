/** Locations inside the memdesc package (resolved from this file, not the working directory). */
import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';
import { homedir } from 'node:os';

export const PACKAGE_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const BUNDLED_CORPUS = join(PACKAGE_ROOT, 'corpus');
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
