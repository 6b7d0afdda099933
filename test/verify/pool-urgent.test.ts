/**
 * Pool.run(…, urgent): a series' step runs form a chain (each step's choice waits for the runs of
 * the step before), so a freed slot goes to them before work nothing waits for (the tip's runs),
 * even before a batch of the same bundle as the task that freed it.
 */
import { describe, expect, it } from 'vitest';
import { Pool } from '../../src/verify/run.ts';

/** A task that records its start and ends when released. */
function gate(pool: Pool, name: string, started: string[], affinity?: string, urgent = false) {
  let release!: () => void;
  const done = pool.run(async () => {
    started.push(name);
    await new Promise<void>((r) => (release = r));
  }, affinity, urgent);
  return { done, release: () => release() };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('Pool urgent tasks', () => {
  it('go before the waiting tasks that are not, in their own order, and before a batch of the freeing bundle', async () => {
    const pool = new Pool(1);
    const started: string[] = [];
    const first = gate(pool, 'tip-1', started, 'tip');
    const waiting = [gate(pool, 'tip-2', started, 'tip'), gate(pool, 'other', started), gate(pool, 'step-1', started, undefined, true), gate(pool, 'step-2', started, undefined, true)];
    await tick();
    expect(started).toEqual(['tip-1']);
    // tip-1 frees its slot: tip-2 (same bundle) waits behind the urgent step runs.
    first.release();
    await first.done;
    await tick();
    expect(started).toEqual(['tip-1', 'step-1']);
    for (const w of [waiting[2]!, waiting[3]!, waiting[0]!]) {
      w.release();
      await w.done;
      await tick();
    }
    expect(started).toEqual(['tip-1', 'step-1', 'step-2', 'tip-2', 'other']);
    waiting[1]!.release();
    await Promise.all(waiting.map((w) => w.done));
  });
});
