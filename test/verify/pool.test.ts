/**
 * Pool.close(): work queued ahead of need (a series' base runs of the tip's plan) does not start
 * once the series is cleaned up; what runs goes on to its end.
 */
import { describe, expect, it } from 'vitest';
import { Pool } from '../../src/verify/run.ts';

describe('Pool.close', () => {
  it('fails the tasks still waiting for a slot, lets the running one finish, and refuses new ones', async () => {
    const pool = new Pool(1);
    let release!: () => void;
    const started: string[] = [];
    const running = pool.run(async () => {
      started.push('a');
      await new Promise<void>((r) => (release = r));
      return 'a done';
    });
    const waiting = pool.run(async () => {
      started.push('b');
      return 'b done';
    });
    waiting.catch(() => {});
    await new Promise((r) => setImmediate(r));
    pool.close();
    await expect(waiting).rejects.toThrow('pool closed');
    release();
    await expect(running).resolves.toBe('a done');
    await expect(pool.run(async () => 'c')).rejects.toThrow('pool closed');
    expect(started).toEqual(['a']);
  });
});
