/**
 * Warm workers (src/verify/simWorker.ts, `main.mjs --serve`): batches of one bundle share a
 * process, a crash or a hang costs only its seed as with a process per batch, a program without
 * --serve gets a process per batch, and the corpus' runs in a worker, many workloads one after
 * the other in one process, give exactly the lines a fresh process per batch gives.
 */
import { describe, it, expect, afterEach, beforeAll } from 'vitest';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { pathToFileURL } from 'node:url';
import { runBatch, type RunOutcome } from '../../src/verify/run.ts';
import { closeIdleWorkers } from '../../src/verify/simWorker.ts';
import { buildTree } from '../../src/verify/build.ts';
import { BUNDLED_CORPUS } from '../../src/paths.ts';

const SERVE = join(import.meta.dirname, 'fake-serve.mjs');
const RUN_TS = join(import.meta.dirname, '..', '..', 'bin', 'run-ts.mjs');
const PLAIN = join(import.meta.dirname, 'fake-main.mjs');

/** The process that ran each seed (fake-serve.mjs puts its pid in `memmap`). */
const pids = (out: RunOutcome[]): string[] => out.map((o) => o.result?.memmap ?? '-');

describe('warm simulation workers', () => {
  afterEach(async () => {
    delete process.env.FAKE_CRASH;
    delete process.env.FAKE_HANG;
    await closeIdleWorkers();
  });

  it('runs batch after batch of one bundle in one process', async () => {
    const a = await runBatch({ bundle: SERVE, workload: 'alpha', seeds: [1, 2] });
    const b = await runBatch({ bundle: SERVE, workload: 'beta', seeds: [3], ops: 7 });
    expect(a.map((o) => [o.seed, o.status, o.result?.digest])).toEqual([[1, 'ok', 'd1'], [2, 'ok', 'd2']]);
    expect(b.map((o) => [o.seed, o.status, o.result?.workload, o.result?.ops])).toEqual([[3, 'ok', 'beta', 7]]);
    expect(new Set([...pids(a), ...pids(b)]).size).toBe(1);
    expect(pids(a)[0]).not.toBe(String(process.pid));
    // Closing waits for the worker to be gone.
    await closeIdleWorkers();
    expect(() => process.kill(Number(pids(a)[0]), 0)).toThrow(/ESRCH/);
  });

  it('a caller awaiting closeIdleWorkers() at top level waits for them and exits 0', () => {
    const r = spawnSync(process.execPath, [RUN_TS, join(import.meta.dirname, 'simWorker-exit.mjs'), SERVE], { encoding: 'utf8', timeout: 60_000 });
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    const [status, pid] = r.stdout.trim().split(' ');
    expect(status).toBe('ok');
    expect(() => process.kill(Number(pid), 0)).toThrow(/ESRCH/);
  });

  it('a crash costs its seed: the rest goes on in a new worker', async () => {
    // Workers take the environment when they start: set it before the first one.
    process.env.FAKE_CRASH = '2';
    const out = await runBatch({ bundle: SERVE, workload: 'alpha', seeds: [1, 2, 3] });
    expect(out.map((o) => o.status)).toEqual(['ok', 'crash', 'ok']);
    expect(out[1]!.detail).toMatch(/TypeError: fake crash at seed 2/);
    expect(pids(out)[2]).not.toBe(pids(out)[0]);
    // The new worker stays for the next batch.
    expect(pids(await runBatch({ bundle: SERVE, workload: 'alpha', seeds: [4] }))).toEqual([pids(out)[2]]);
  });

  it('a hang is killed at the timeout; the seeds after it are not run', async () => {
    process.env.FAKE_HANG = '2';
    const out = await runBatch({ bundle: SERVE, workload: 'alpha', seeds: [1, 2, 3], timeoutMs: 3000 });
    expect(out.map((o) => o.status)).toEqual(['ok', 'timeout', 'not-run']);
    expect(out[1]!.detail).toMatch(/killed after 3\.0 s/);
  });

  it('bad input is an error for every seed, and the worker stays', async () => {
    const out = await runBatch({ bundle: SERVE, workload: 'bad', seeds: [1, 2] });
    expect(out.map((o) => [o.status, o.exitCode])).toEqual([['error', 2], ['error', 2]]);
    expect(out[0]!.detail).toBe('simulate: unknown workload "bad"');
    const next = await runBatch({ bundle: SERVE, workload: 'alpha', seeds: [1] });
    expect(next[0]!.status).toBe('ok');
  });

  it('a program without --serve gets a process per batch', async () => {
    // fake-main.mjs ignores the flag and prints a seed line first: it is not taken for a worker.
    const out = await runBatch({ bundle: PLAIN, workload: 'alpha', seeds: [1, 2] });
    expect(out.map((o) => [o.seed, o.status, o.result?.digest])).toEqual([[1, 'ok', 'd1'], [2, 'ok', 'd2']]);
  });

  it('a program that rejects --serve (an older main.ts) gets a process per batch', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'memdesc-oldmain-'));
    try {
      const old = join(dir, 'main.mjs');
      // As an older main.ts's strict option parsing: exit 2 on the unknown flag, else fake-main.
      writeFileSync(old, `if (process.argv.includes('--serve')) { process.stderr.write("simulate: Unknown option '--serve'\\n"); process.exit(2); }\nawait import(${JSON.stringify(pathToFileURL(PLAIN).href)});\n`);
      const out = await runBatch({ bundle: old, workload: 'alpha', seeds: [1, 2] });
      expect(out.map((o) => [o.seed, o.status, o.result?.digest])).toEqual([[1, 'ok', 'd1'], [2, 'ok', 'd2']]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('the corpus', () => {
    let bundle = '';
    beforeAll(async () => {
      bundle = (await buildTree(BUNDLED_CORPUS)).file;
    });

    it('gives the same lines in one warm worker, workloads interleaved, as in a fresh process per batch', async () => {
      const workloads = ['zswap', 'buddy', 'mixed', 'slab', 'hwpoison', 'vmalloc', 'mm'];
      const setting = { ops: 300, placement: 'preserve' };
      const warm: RunOutcome[] = [];
      // Two rounds through every workload: each later batch runs in a process that ran all the others.
      for (const seeds of [[1], [2, 3]]) {
        for (const workload of workloads) warm.push(...await runBatch({ bundle, workload, seeds, ...setting }));
      }
      // The reference: each workload's seeds in one fresh process of their own (a process per
      // batch, as before warm workers; seeds 2 and 3 share one there too), in warm's order.
      const fresh = new Map<string, RunOutcome[]>();
      for (const workload of workloads) fresh.set(workload, await runBatch({ bundle, workload, seeds: [1, 2, 3], fresh: true, ...setting }));
      const reference = [0, 1].flatMap((round) => workloads.flatMap((w) => (round === 0 ? fresh.get(w)!.slice(0, 1) : fresh.get(w)!.slice(1))));
      expect(warm.every((o) => o.status === 'ok')).toBe(true);
      expect(warm.map((o) => [o.seed, o.result])).toEqual(reference.map((o) => [o.seed, o.result]));
    }, 300_000);
  });
});
