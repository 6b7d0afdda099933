/**
 * vitest global setup. Tests spawn bin/memdesc.mjs, which runs the built CLI (dist/cli.mjs): build
 * it once here when src/ changed, before any test starts (bin/memdesc.mjs would rebuild a stale
 * build too, but many test processes at once would each do it). And give the whole run its own
 * memdesc cache folder, so tests never read or fill the user's ~/.cache/memdesc.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const root = join(import.meta.dirname, '..');
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs'), '--if-stale'], { encoding: 'utf8' });
  // Not fatal: tests that import src/ still run; a spawned CLI finds dist/ stale and fails with this error.
  if (r.status !== 0) process.stderr.write(`globalSetup: cannot build the CLI (tests that run it will fail): ${r.stderr || r.stdout}\n`);
  const cache = mkdtempSync(join(tmpdir(), 'memdesc-test-cache-'));
  const before = process.env.MEMDESC_CACHE_DIR;
  process.env.MEMDESC_CACHE_DIR = cache;
  return () => {
    if (before === undefined) delete process.env.MEMDESC_CACHE_DIR;
    else process.env.MEMDESC_CACHE_DIR = before;
    rmSync(cache, { recursive: true, force: true });
  };
}
