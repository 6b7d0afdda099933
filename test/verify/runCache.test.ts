/**
 * The run cache (src/verify/runCache.ts) as runMatrices uses it: a bundle's finished runs are not
 * made again with the same settings; another bundle, other settings, a crash, a run that must
 * show its stderr, or MEMDESC_NO_RUN_CACHE=1 run again. The fake simulation logs every seed it
 * really runs.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Pool } from '../../src/verify/run.ts';
import { runMatrices, type Plan, type PreparedTree } from '../../src/verify/verify.ts';

const SIM = `import { appendFileSync } from 'node:fs';
const argv = process.argv.slice(2);
const arg = (n) => { const i = argv.indexOf('--' + n); return i >= 0 ? argv[i + 1] : undefined; };
const seeds = [];
for (const part of arg('seeds').split(',')) { const [a, b] = part.split('..').map(Number); for (let s = a; s <= (b ?? a); s++) seeds.push(s); }
for (const seed of seeds) {
  appendFileSync(process.env.RUN_LOG, arg('workload') + ':' + seed + ':' + arg('ops') + '\\n');
  if (String(seed) === process.env.FAKE_CRASH) throw new TypeError('fake crash at seed ' + seed);
  process.stdout.write(JSON.stringify({ workload: arg('workload'), seed, ram: 1, ops: Number(arg('ops')), eventCount: seed, digest: 'd' + seed + arg('ops'), bug: null }) + '\\n');
}
`;

describe('run cache', () => {
  let tmp: string;
  let log: string;
  const saved = { ...process.env };
  const tree = (key: string): PreparedTree => ({ label: key, dir: tmp, build: { key, file: join(tmp, 'main.mjs'), cached: true, ms: 0 }, workloads: ['w'], multiSeed: true, cleanup() {} });
  const plan = (seeds: number[], ops = 5): Plan => ({ workloads: ['w'], seeds, ops: { w: ops }, timeoutMs: 30_000 });
  const runs = (): string[] => readFileSync(log, 'utf8').split('\n').filter(Boolean);
  const clear = (): void => writeFileSync(log, '');

  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'memdesc-run-cache-'));
    log = join(tmp, 'runs.log');
    writeFileSync(join(tmp, 'main.mjs'), SIM);
    process.env.MEMDESC_CACHE_DIR = join(tmp, 'cache');
    process.env.RUN_LOG = log;
  });
  afterEach(() => {
    delete process.env.FAKE_CRASH;
    delete process.env.MEMDESC_NO_RUN_CACHE;
  });
  afterAll(() => {
    process.env = saved;
    rmSync(tmp, { recursive: true, force: true });
  });

  it('runs a bundle\'s seeds once per setting; the cached outcomes are the runs\' own', async () => {
    const pool = new Pool(2);
    clear();
    const [first] = await runMatrices([tree('a'.repeat(64))], plan([1, 2, 3]), pool);
    expect(runs().sort()).toEqual(['w:1:5', 'w:2:5', 'w:3:5']);
    clear();
    const [again] = await runMatrices([tree('a'.repeat(64))], plan([1, 2, 3, 4]), pool);
    expect(runs()).toEqual(['w:4:5']);
    for (const s of [1, 2, 3]) {
      expect(again!.get('w')!.get(s)).toMatchObject({ status: 'ok', cached: true, result: first!.get('w')!.get(s)!.result });
    }
    expect(again!.get('w')!.get(4)).toMatchObject({ status: 'ok', result: { digest: 'd45' } });
    expect(again!.get('w')!.get(4)!.cached).toBeUndefined();
    // Another bundle, or other operations: run again.
    clear();
    await runMatrices([tree('b'.repeat(64))], plan([1]), pool);
    await runMatrices([tree('a'.repeat(64))], plan([1], 6), pool);
    expect(runs()).toEqual(['w:1:5', 'w:1:6']);
  }, 60_000);

  it('two trees with the same build run each batch once between them', async () => {
    process.env.MEMDESC_NO_RUN_CACHE = '1';
    clear();
    const [a, b] = await runMatrices([tree('e'.repeat(64)), tree('e'.repeat(64))], plan([1, 2]), new Pool(2));
    expect(runs().sort()).toEqual(['w:1:5', 'w:2:5']);
    expect(b!.get('w')!.get(2)!.result).toEqual(a!.get('w')!.get(2)!.result);
  }, 60_000);

  it('a crash is never cached; stderr wanted or MEMDESC_NO_RUN_CACHE=1: every seed runs', async () => {
    const pool = new Pool(2);
    const t = tree('c'.repeat(64));
    process.env.FAKE_CRASH = '2';
    clear();
    const [m] = await runMatrices([t], plan([1, 2]), pool);
    expect(m!.get('w')!.get(2)!.status).toBe('crash');
    delete process.env.FAKE_CRASH;
    clear();
    await runMatrices([t], plan([1, 2]), pool);
    expect(runs()).toEqual(['w:2:5']);
    clear();
    await runMatrices([t], plan([1, 2]), pool, undefined, { keepStderr: true });
    expect(runs()).toEqual(['w:1:5', 'w:2:5']);
    process.env.MEMDESC_NO_RUN_CACHE = '1';
    clear();
    await runMatrices([tree('d'.repeat(64))], plan([1]), pool);
    await runMatrices([tree('d'.repeat(64))], plan([1]), pool);
    expect(runs()).toEqual(['w:1:5', 'w:1:5']);
  }, 60_000);
});
