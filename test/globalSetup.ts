/**
 * vitest global setup. Tests spawn bin/memdesc.mjs, which runs the built CLI (dist/cli.mjs): build
 * it once here when src/ changed, before any test starts (bin/memdesc.mjs would rebuild a stale
 * build too, but many test processes at once would each do it). And give the whole run its own
 * memdesc cache folder, so tests never read or fill the user's ~/.cache/memdesc, and a temp folder
 * for fixtures several files share (MEMDESC_TEST_RUN_DIR: test/stage1.ts builds its converted
 * corpus there once per run, on first use, or the sequencer's prebuild first: vitest.config.ts).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const root = join(import.meta.dirname, '..');
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs'), '--if-stale'], { encoding: 'utf8' });
  // Not fatal: tests that import src/ still run; a spawned CLI finds dist/ stale and fails with this error.
  if (r.status !== 0) process.stderr.write(`globalSetup: cannot build the CLI (tests that run it will fail): ${r.stderr || r.stdout}\n`);
  const cache = mkdtempSync(join(tmpdir(), 'memdesc-test-cache-'));
  const run = mkdtempSync(join(tmpdir(), 'memdesc-test-run-'));
  const before = { MEMDESC_CACHE_DIR: process.env.MEMDESC_CACHE_DIR, MEMDESC_TEST_RUN_DIR: process.env.MEMDESC_TEST_RUN_DIR };
  process.env.MEMDESC_CACHE_DIR = cache;
  process.env.MEMDESC_TEST_RUN_DIR = run;
  return () => {
    stopPrebuild(run);
    for (const [k, v] of Object.entries(before)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    rmSync(cache, { recursive: true, force: true });
    rmSync(run, { recursive: true, force: true });
  };
}

/**
 * The shared trees' prebuild (vitest.config.ts's sequencer), if it still runs (a run stopped early,
 * or of files that never waited for its last tree): its process group, by the pid it recorded,
 * before its folder goes.
 */
function stopPrebuild(run: string): void {
  let pid = 0;
  try {
    pid = Number(readFileSync(join(run, 'prebuild.pid'), 'utf8'));
  } catch {
    return; // none was started
  }
  try {
    if (pid > 0) process.kill(-pid, 'SIGTERM');
  } catch {
    // Already finished.
  }
}
