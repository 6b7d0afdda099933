/**
 * A child program over the run's shared stage-2 tree (test/corpusTrees.ts), for tests that drive
 * that machine from outside vitest's process: `source(tree)` is written to a temporary folder and
 * bundled once for the file (test/bundled.ts), both removed after its tests.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { bundleEntry, type BundledEntry } from '../bundled.ts';
import { stage2Corpus } from '../corpusTrees.ts';

/** Registers the file's hooks; the function returned runs `node child.mjs SEED` and parses its JSON lines. */
export function useStage2Harness<T>(name: string, source: (tree: string) => string): (seed: number) => T[] {
  let dir: string | undefined;
  let child: BundledEntry | undefined;
  beforeAll(async () => {
    const tree = (await stage2Corpus()).dir;
    dir = mkdtempSync(join(tmpdir(), `memdesc-${name}-`));
    const entry = join(dir, 'harness.ts');
    writeFileSync(entry, source(tree));
    child = bundleEntry(entry);
  }, 600_000);
  afterAll(() => {
    child?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  return (seed) => {
    const r = spawnSync(process.execPath, [child!.file, String(seed)], { encoding: 'utf8', maxBuffer: 64 << 20 });
    expect(r.status, r.stderr).toBe(0);
    return r.stdout.trim().split('\n').map((l) => JSON.parse(l) as T);
  };
}
