/**
 * A TypeScript entry (a test's child program) bundled once with esbuild into one plain ES module
 * that `node FILE` runs: a child started through the TypeScript loader (bin/run-ts.mjs) spends
 * about half a second loading it, a bundled one a tenth of that. For tests that start the same
 * child many times. Only for entries whose imports are node builtins and the project's own
 * modules (everything else is bundled in too, so the file runs from any folder).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { buildSync } from 'esbuild';

export interface BundledEntry {
  /** The bundled module: run it with `node file ...args`. */
  file: string;
  cleanup: () => void;
}

export function bundleEntry(entry: string): BundledEntry {
  const dir = mkdtempSync(join(tmpdir(), 'memdesc-child-'));
  const file = join(dir, 'child.mjs');
  // absWorkingDir: esbuild's default is the folder it was loaded in, in a shared worker maybe a
  // test's temporary folder long removed (every build then fails with 'Could not resolve').
  buildSync({ entryPoints: [entry], outfile: file, bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'error', absWorkingDir: dirname(entry) });
  return { file, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
