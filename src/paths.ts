/** Locations inside the memdesc package (resolved from this file, not the working directory). */
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export const PACKAGE_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const BUNDLED_CORPUS = join(PACKAGE_ROOT, 'corpus');
export const RUN_TS = join(PACKAGE_ROOT, 'bin', 'run-ts.mjs');
