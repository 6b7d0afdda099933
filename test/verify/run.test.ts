import { describe, it, expect, afterEach } from 'vitest';
import { join } from 'node:path';
import { runBatch, probeTree, Pool } from '../../src/verify/run.ts';

const FAKE = join(import.meta.dirname, 'fake-main.mjs');

describe('runBatch', () => {
  afterEach(() => {
    delete process.env.FAKE_CRASH;
    delete process.env.FAKE_HANG;
  });

  it('runs several seeds in one process, one outcome per seed', async () => {
    const out = await runBatch({ bundle: FAKE, workload: 'alpha', seeds: [1, 2, 3] });
    expect(out.map((o) => [o.seed, o.status, o.result?.digest])).toEqual([[1, 'ok', 'd1'], [2, 'ok', 'd2'], [3, 'ok', 'd3']]);
  });

  it('reports a crash for its seed and goes on with the rest in a new process', async () => {
    process.env.FAKE_CRASH = '2';
    const out = await runBatch({ bundle: FAKE, workload: 'alpha', seeds: [1, 2, 3] });
    expect(out.map((o) => o.status)).toEqual(['ok', 'crash', 'ok']);
    expect(out[1]!.detail).toMatch(/TypeError: fake crash at seed 2/);
  });

  it('kills a hanging seed after the timeout and reports it', async () => {
    process.env.FAKE_HANG = '2';
    // How soon the kill comes is bench/limits.bench.ts's business (limit 5 s); here only what is
    // reported. 3 s leaves seed 1 room to finish on a loaded machine before its timer runs out.
    const out = await runBatch({ bundle: FAKE, workload: 'alpha', seeds: [1, 2, 3], timeoutMs: 3000 });
    expect(out.map((o) => o.status)).toEqual(['ok', 'timeout', 'not-run']);
    expect(out[1]!.detail).toMatch(/killed after 3\.0 s/);
  });

  it('probes the workloads of a tree', async () => {
    expect(await probeTree(FAKE)).toEqual({ workloads: ['alpha', 'beta'], multiSeed: true });
  });

  it('keeps at most N tasks running', async () => {
    const pool = new Pool(2);
    let active = 0;
    let peak = 0;
    await Promise.all(Array.from({ length: 6 }, () => pool.run(async () => {
      peak = Math.max(peak, ++active);
      await new Promise((r) => setTimeout(r, 10));
      active--;
    })));
    expect(peak).toBe(2);
  });
});
