/**
 * Speed limits that used to be assertions in `npm test`. A test that fails because the machine
 * is busy says nothing about the code, so the tests keep only what they check (test/corpus/
 * vmalloc.test.ts, test/verify/run.test.ts, test/verify/verify.test.ts) and this section times the
 * same work against the same limits. In-process work is timed in CPU time (harness.ts: robust on
 * a shared machine); work in child processes (a kill after a timeout) in wall time, which is what
 * its limit is about. A missed limit is marked MISSED and makes `npm run bench` exit 1.
 *
 * `npm run bench -- limits` runs only this section.
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { bench } from './harness.ts';
import { boot } from '../corpus/sim/boot.ts';
import { vfree, vm_unmap_aliases } from '../corpus/include/linux/vmalloc.ts';
import { runBatch } from '../src/verify/run.ts';
import {
  allocFree16k, churnAreas, MiB, runVmallocOps, VMALLOC_PROPERTY_RUNS, vmallocOpsArb,
} from '../test/corpus/vmalloc-workloads.ts';

const ROOT = join(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'memdesc.mjs');
const CORPUS = join(ROOT, 'corpus');
const FAKE_MAIN = join(ROOT, 'test', 'verify', 'fake-main.mjs');

export interface LimitResult {
  check: string;
  /** Measured, in nanoseconds. */
  ns: number;
  limitNs: number;
  clock: 'CPU' | 'wall';
  /** The test the limit came from. */
  from: string;
}

function cpuNs<T>(fn: () => T): number {
  const c0 = process.cpuUsage();
  fn();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) * 1000;
}

async function wallNs(fn: () => Promise<unknown>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0);
}

function vmallocLimits(): LimitResult[] {
  const out: LimitResult[] = [];
  const from = 'test/corpus/vmalloc.test.ts';
  boot({ ram: 64 * MiB });
  // The test warmed up with 2000 pairs, then took the mean of 20 000; the harness warms up and
  // takes the median of 7 batches of 20 000.
  const pair = bench('vmalloc + vfree of 16 KiB', 20_000, allocFree16k);
  out.push({ check: 'vmalloc + vfree of 16 KiB, per pair', ns: pair.nsPerOp, limitNs: 100_000, clock: 'CPU', from });

  boot({ ram: 64 * MiB });
  out.push({
    check: '6000 random vmalloc/vfree steps, then free all and purge',
    ns: cpuNs(() => {
      for (const a of churnAreas(6000, 7)) vfree(a);
      vm_unmap_aliases();
    }),
    limitNs: 15e9, clock: 'CPU', from,
  });

  // The property's own runs: the same arbitrary, seed and number of runs as the test (seed fixed
  // here so that two bench runs time the same work).
  const seed = 1;
  out.push({
    check: `vmalloc property: ${VMALLOC_PROPERTY_RUNS} runs (fast-check seed ${seed}), each on a fresh 64 MiB boot`,
    ns: cpuNs(() => fc.assert(fc.property(vmallocOpsArb, (ops) => runVmallocOps(ops)), { seed, numRuns: VMALLOC_PROPERTY_RUNS, endOnFailure: true })),
    limitNs: 20e9, clock: 'CPU', from,
  });
  return out;
}

/** A seed that hangs is killed after its 1 s timeout and the batch is reported. */
async function hangingSeedLimit(): Promise<LimitResult> {
  const before = process.env.FAKE_HANG;
  process.env.FAKE_HANG = '2';
  try {
    let statuses = '';
    const ns = await wallNs(async () => {
      const out = await runBatch({ bundle: FAKE_MAIN, workload: 'alpha', seeds: [1, 2, 3], timeoutMs: 1000 });
      statuses = out.map((o) => o.status).join(',');
    });
    if (statuses !== 'ok,timeout,not-run') throw new Error(`runBatch with a hanging seed: ${statuses}`);
    return { check: 'runBatch: 3 seeds, seed 2 hangs, timeout 1 s: killed and reported', ns, limitNs: 5e9, clock: 'wall', from: 'test/verify/run.test.ts' };
  } finally {
    if (before === undefined) delete process.env.FAKE_HANG;
    else process.env.FAKE_HANG = before;
  }
}

/** `memdesc verify` of a corpus copy whose buddy workload never ends, --timeout 3, cold build cache. */
async function hangingTreeLimit(): Promise<LimitResult> {
  const tmp = mkdtempSync(join(tmpdir(), 'memdesc-bench-limits-'));
  try {
    const dir = join(tmp, 'hang');
    cpSync(CORPUS, dir, { recursive: true });
    const file = join(dir, 'sim', 'workloads', 'buddy.ts');
    const text = readFileSync(file, 'utf8');
    const hung = text.replace(/run\(ctx\) \{/, 'run(ctx) { for (;;) {}');
    if (hung === text) throw new Error('sim/workloads/buddy.ts has no `run(ctx) {` to make hang');
    writeFileSync(file, hung);
    let status: number | null = null;
    let stdout = '';
    const ns = await wallNs(() => new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, 'verify', dir, '--against', CORPUS, '--workloads', 'buddy', '--seeds', '1', '--ops', '300', '--timeout', '3'], {
        env: { ...process.env, MEMDESC_CACHE_DIR: join(tmp, 'cache') }, stdio: ['ignore', 'pipe', 'ignore'],
      });
      child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
      child.on('error', reject);
      child.on('close', (code) => {
        status = code;
        resolve();
      });
    }));
    if (status !== 1 || !/candidate timed out/.test(stdout)) throw new Error(`verify of a hanging tree: exit ${status}\n${stdout}`);
    return { check: 'memdesc verify, candidate hangs, --timeout 3 (builds included)', ns, limitNs: 30e9, clock: 'wall', from: 'test/verify/verify.test.ts' };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function formatNs(ns: number): string {
  if (ns < 1e6) return `${(ns / 1e3).toFixed(1)} µs`;
  if (ns < 1e9) return `${(ns / 1e6).toFixed(1)} ms`;
  return `${(ns / 1e9).toFixed(2)} s`;
}

export function formatLimits(rows: LimitResult[]): string {
  const lines = ['## speed limits (moved out of npm test)', '', '| check | measured | limit | clock | result | from |', '|---|---:|---:|---|---|---|'];
  for (const r of rows) {
    lines.push(`| ${r.check} | ${formatNs(r.ns)} | ${formatNs(r.limitNs)} | ${r.clock} | ${r.ns <= r.limitNs ? 'ok' : 'MISSED'} | ${r.from} |`);
  }
  return lines.join('\n');
}

export async function limitRows(): Promise<LimitResult[]> {
  return [...vmallocLimits(), await hangingSeedLimit(), await hangingTreeLimit()];
}

/** The section for bench/index.ts: the table; exit code 1 when a limit is missed. */
export async function limitBenches(): Promise<string> {
  const rows = await limitRows();
  if (rows.some((r) => r.ns > r.limitNs)) process.exitCode = 1;
  return formatLimits(rows);
}
