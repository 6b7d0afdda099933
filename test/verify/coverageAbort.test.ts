/**
 * A covered batch given an AbortSignal (a series step's run started ahead of its choice, then not
 * wanted): aborted while it runs, its process is killed and the batch rejects with an AbortError,
 * giving no outcomes and no coverage (so nothing of it is cached); aborted before, nothing starts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCoveredBatch } from '../../src/verify/coverage.ts';
import { mapBundle } from '../../src/verify/coverageMap.ts';

describe('runCoveredBatch with an AbortSignal', () => {
  const dir = mkdtempSync(join(tmpdir(), 'memdesc-covabort-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  // Seed 1 finishes, then the process waits (for longer than any test) before seed 2.
  const text = [
    '// x/sim/main.ts',
    'function first() { return 1; }',
    'process.stdout.write(JSON.stringify({ workload: "w", seed: 1, ram: 0, ops: 0, eventCount: first(), digest: "d1", bug: null }) + "\\n");',
    'setTimeout(() => {}, 3_600_000);',
    '',
  ].join('\n');
  const file = join(dir, 'slow.mjs');
  writeFileSync(file, text);
  const map = mapBundle(text);

  it('aborted while running: the process is killed and the batch rejects, with nothing of it kept', async () => {
    const abort = new AbortController();
    const run = runCoveredBatch(file, map, { workload: 'w', seeds: [1, 2] }, abort.signal);
    abort.abort();
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('aborted before it starts: it rejects at once, no process', async () => {
    const abort = new AbortController();
    abort.abort();
    await expect(runCoveredBatch(join(dir, 'does-not-exist.mjs'), map, { workload: 'w', seeds: [1] }, abort.signal)).rejects.toMatchObject({ name: 'AbortError' });
  });
});
