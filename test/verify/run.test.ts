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

  it('gives a freed slot to the next waiting task of the same affinity', async () => {
    const pool = new Pool(2);
    const order: string[] = [];
    const gates = new Map<string, () => void>();
    const task = (name: string) => () => new Promise<void>((done) => {
      order.push(name);
      gates.set(name, done);
    });
    const tick = () => new Promise((r) => setImmediate(r));
    const all = [pool.run(task('a1'), 'A'), pool.run(task('b1'), 'B'), pool.run(task('a2'), 'A'), pool.run(task('b2'), 'B'), pool.run(task('x'))];
    await tick();
    expect(order).toEqual(['a1', 'b1']);
    // b1 ends first: b2 starts before a2, which waited longer, and a2 follows a1.
    gates.get('b1')!();
    await tick();
    expect(order).toEqual(['a1', 'b1', 'b2']);
    gates.get('a1')!();
    await tick();
    expect(order).toEqual(['a1', 'b1', 'b2', 'a2']);
    // No task of its affinity left: submission order.
    gates.get('b2')!();
    await tick();
    expect(order.at(-1)).toBe('x');
    gates.get('a2')!();
    gates.get('x')!();
    await Promise.all(all);
  });
});
