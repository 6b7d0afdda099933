/**
 * Covered batches in reused processes (src/verify/coverageWorker.ts): each batch must see its
 * bundle's module state fresh, as a process of its own does, and give the same outcomes and the
 * same coverage; what a reused process cannot give as a fresh one (work left pending, globals
 * changed, the process exited) runs fresh or retires the worker.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCoveredBatch, runCoveredBatchFresh, runCoveredCommand, runCoveredCommandFresh, type CoveredBatch } from '../../src/verify/coverage.ts';
import { mapBundle } from '../../src/verify/coverageMap.ts';
import { closeCoveredWorkers, coveredWorkerStats, MAX_BATCHES } from '../../src/verify/coverageWorker.ts';

/**
 * A bundle with module state: `count` and `seen` grow with every seed the module instance runs.
 * Each seed line says how many seeds this instance ran (fresh state: 1 for the first seed), the
 * global `marker` it found, and the process it ran in. `extra`: top-level code after the seeds.
 */
function bundle(extra = '', tag = 'a'): string {
  return [
    '// x/mm/state.ts',
    'let count = 0;',
    'const seen = [];',
    'function bump(seed) { count++; seen.push(seed); return count; }',
    'function unused() { return "never"; }',
    '// x/sim/main.ts',
    'const argv = process.argv;',
    // --seeds as formatSeeds writes it: "1..3,5".
    'const seeds = argv[argv.indexOf("--seeds") + 1].split(",").flatMap((p) => { const [a, b = a] = p.split("..").map(Number); return Array.from({ length: b - a + 1 }, (_, i) => a + i); });',
    'for (const seed of seeds) {',
    `  const d = bump(seed) + ":" + seen.join("+") + ":" + String(globalThis.marker) + ":${tag}";`,
    '  process.stdout.write(JSON.stringify({ workload: "w", seed, ram: process.pid, ops: 0, eventCount: count, digest: d, bug: null }) + "\\n");',
    '}',
    extra,
    '',
  ].join('\n');
}

const summary = (b: CoveredBatch) => b.outcomes.map((o) => [o.seed, o.status, o.result?.digest]);
const pid = (b: CoveredBatch) => b.outcomes[0]!.result!.ram;

describe('covered workers', () => {
  const dir = mkdtempSync(join(tmpdir(), 'memdesc-covworker-'));
  afterAll(() => {
    closeCoveredWorkers();
    rmSync(dir, { recursive: true, force: true });
  });
  const write = (name: string, text: string): { file: string; map: ReturnType<typeof mapBundle> } => {
    const file = join(dir, name);
    writeFileSync(file, text);
    return { file, map: mapBundle(text) };
  };

  it('a reused process gives each batch a fresh module instance: the outcomes and coverage of a process of its own', async () => {
    closeCoveredWorkers();
    const a = write('a.mjs', bundle('', 'a'));
    const b = write('b.mjs', bundle('', 'b'));
    const settings = { workload: 'w', seeds: [1, 2] };
    const pending = coveredWorkerStats.pending;
    const fresh = await runCoveredBatchFresh(a.file, a.map, settings);
    const first = await runCoveredBatch(a.file, a.map, settings);
    const other = await runCoveredBatch(b.file, b.map, settings);
    // The same bundle again, in the same process: its state starts from nothing again.
    const again = await runCoveredBatch(a.file, a.map, settings);
    expect(pid(again)).toBe(pid(first));
    expect(pid(other)).toBe(pid(first));
    expect(pid(fresh)).not.toBe(pid(first));
    // None of them went back to a process of its own.
    expect(coveredWorkerStats.pending).toBe(pending);
    expect(summary(fresh)).toEqual([[1, 'ok', '1:1:undefined:a'], [2, 'ok', '2:1+2:undefined:a']]);
    expect(summary(first)).toEqual(summary(fresh));
    expect(summary(again)).toEqual(summary(fresh));
    expect(summary(other)).toEqual([[1, 'ok', '1:1:undefined:b'], [2, 'ok', '2:1+2:undefined:b']]);
    expect(fresh.executed!.has('mm/state.ts::bump')).toBe(true);
    expect(fresh.executed!.has('mm/state.ts::unused')).toBe(false);
    for (const r of [first, again]) expect([...r.executed!].sort()).toEqual([...fresh.executed!].sort());
    expect([...other.executed!].sort()).toEqual([...fresh.executed!].sort());
  });

  it('a batch that changes a global retires its process: the next batch does not see it', async () => {
    closeCoveredWorkers();
    const leak = write('leak.mjs', bundle('globalThis.marker = "left";', 'leak'));
    const a = write('a2.mjs', bundle('', 'a'));
    const settings = { workload: 'w', seeds: [1] };
    const l = await runCoveredBatch(leak.file, leak.map, settings);
    const next = await runCoveredBatch(a.file, a.map, settings);
    expect(summary(l)).toEqual([[1, 'ok', '1:1:undefined:leak']]);
    expect(summary(next)).toEqual([[1, 'ok', '1:1:undefined:a']]);
    expect(pid(next)).not.toBe(pid(l));
  });

  it('a batch that leaves work pending runs in a process of its own, which finishes it', async () => {
    closeCoveredWorkers();
    // The last seed's line comes from a timer: a process of its own prints it before it ends;
    // a worker that took the import's end for the batch's would report the seed as not finished.
    const text = bundle('', 'late').replace('for (const seed of seeds) {', 'const last = seeds.pop();\nsetTimeout(() => process.stdout.write(JSON.stringify({ workload: "w", seed: last, ram: process.pid, ops: 0, eventCount: 0, digest: "late", bug: null }) + "\\n"), 20);\nfor (const seed of seeds) {');
    const late = write('late.mjs', text);
    const pending = coveredWorkerStats.pending;
    const r = await runCoveredBatch(late.file, late.map, { workload: 'w', seeds: [1, 2] });
    const fresh = await runCoveredBatchFresh(late.file, late.map, { workload: 'w', seeds: [1, 2] });
    expect(summary(r)).toEqual([[1, 'ok', '1:1:undefined:late'], [2, 'ok', 'late']]);
    expect(summary(r)).toEqual(summary(fresh));
    expect(coveredWorkerStats.pending).toBe(pending + 1);
  });

  it('a bundle that exits, or throws while it loads, ends its process as it would end its own; the next batch gets a new one', async () => {
    closeCoveredWorkers();
    const exits = write('exits.mjs', bundle('process.exit(0);', 'exits'));
    const e = await runCoveredBatch(exits.file, exits.map, { workload: 'w', seeds: [1] });
    expect(summary(e)).toEqual([[1, 'ok', '1:1:undefined:exits']]);
    // Its coverage is written at exit, as the fresh process's hook does.
    expect(e.executed!.has('mm/state.ts::bump')).toBe(true);
    expect(e.executed!.has('mm/state.ts::unused')).toBe(false);
    const throws = write('throws.mjs', bundle('', 'throws').replace('for (const seed of seeds) {', 'for (const seed of seeds) {\n  if (seed === 3) throw new Error("planted at seed 3");'));
    const t = await runCoveredBatch(throws.file, throws.map, { workload: 'w', seeds: [1, 2] });
    expect(t.outcomes.map((o) => o.status)).toEqual(['ok', 'ok']);
    const t3 = await runCoveredBatch(throws.file, throws.map, { workload: 'w', seeds: [1, 2, 3] });
    expect(t3.outcomes.map((o) => o.status)).toEqual(['ok', 'ok', 'crash']);
    expect(t3.outcomes[2]!.detail).toContain('planted at seed 3');
    const a = write('a3.mjs', bundle('', 'a'));
    const next = await runCoveredBatch(a.file, a.map, { workload: 'w', seeds: [1] });
    expect(summary(next)).toEqual([[1, 'ok', '1:1:undefined:a']]);
    expect(pid(next)).not.toBe(pid(t3));
  });

  it(`a process runs at most ${MAX_BATCHES} batches`, async () => {
    closeCoveredWorkers();
    const a = write('a4.mjs', bundle('', 'a'));
    const pids: number[] = [];
    for (let i = 0; i <= MAX_BATCHES; i++) {
      const r = await runCoveredBatch(a.file, a.map, { workload: 'w', seeds: [1] });
      expect(summary(r)).toEqual([[1, 'ok', '1:1:undefined:a']]);
      pids.push(pid(r));
    }
    expect(new Set(pids.slice(0, MAX_BATCHES)).size).toBe(1);
    expect(pids[MAX_BATCHES]).not.toBe(pids[0]);
  });

  it('a command (--manifest) in a reused process gives the output, exit and coverage of a process of its own', async () => {
    closeCoveredWorkers();
    const text = [
      '// x/mm/m.ts',
      'let asked = 0;',
      'function manifest() { asked++; return { workloads: [{ name: "w", asked }] }; }',
      'function never() { return 0; }',
      '// x/sim/main.ts',
      'if (process.argv.includes("--manifest")) process.stdout.write(JSON.stringify(manifest(), null, 2) + "\\n");',
      'else { process.stderr.write("simulate: unknown option \'--bad\'\\n"); process.exit(2); }',
      '',
    ].join('\n');
    const m = write('manifest.mjs', text);
    for (let i = 0; i < 2; i++) {
      const [w, f] = [await runCoveredCommand(m.file, m.map, ['--manifest']), await runCoveredCommandFresh(m.file, m.map, ['--manifest'])];
      expect(w.code).toBe(0);
      expect(w.stdout).toBe(f.stdout);
      expect(JSON.parse(w.stdout)).toEqual({ workloads: [{ name: 'w', asked: 1 }] });
      expect([...w.executed!].sort()).toEqual([...f.executed!].sort());
      expect(w.executed!.has('mm/m.ts::manifest')).toBe(true);
    }
    const [w, f] = [await runCoveredCommand(m.file, m.map, ['--bad']), await runCoveredCommandFresh(m.file, m.map, ['--bad'])];
    expect([w.code, w.stdout, w.stderr]).toEqual([f.code, f.stdout, f.stderr]);
    expect(w.code).toBe(2);
  });
});
