/**
 * Verifier benchmarks: simulation throughput of a built corpus (operations/s on mixed and on
 * every workload at verify's figures, one process per batch of seeds, start-up included) and the
 * wall time of `memdesc verify` for every workload x 16 seeds on two trees, using all cores.
 * The second tree is the converted corpus when `memdesc convert` exists (MEMDESC_BENCH_CANDIDATE
 * names another), else a copy of the corpus with a comment changed (so both trees are built).
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import type { BenchResult } from './harness.ts';
import { record, vsTsc } from './anchor.ts';
import { VERIFY_OPS } from '../src/verify/verify.ts';
import { scratchDir } from '../src/verify/revision.ts';
import { childCpuSeconds } from './childCpu.ts';

const ROOT = join(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'memdesc.mjs');
const CORPUS = join(ROOT, 'corpus');

function workloadsOf(bundle: string): string[] {
  const r = spawnSync(process.execPath, [bundle, '--workload', '?', '--seed', '0', '--ops', '0'], { encoding: 'utf8' });
  return /choose from ([^)]*)\)/.exec(r.stderr)?.[1]!.split(',').map((s) => s.trim()) ?? [];
}

/** The corpus bundled as verify builds it (esbuild, one ESM file). */
function build(tmp: string): string {
  const file = join(tmp, 'main.mjs');
  buildSync({ entryPoints: [join(CORPUS, 'sim', 'main.ts')], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: file, logLevel: 'silent' });
  return file;
}

/** Operations/s of one workload: `seeds` seeds in one process (boot and start-up included). */
function throughput(bundle: string, workload: string, ops: number, seeds: number): BenchResult {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [bundle, '--workload', workload, '--seeds', `1..${seeds}`, '--ops', String(ops)], { encoding: 'utf8' });
  const ns = Number(process.hrtime.bigint() - t0);
  if (r.status !== 0) throw new Error(`${workload}: exit ${r.status}: ${r.stderr}`);
  const total = ops * seeds;
  return { name: `simulate ${workload} (${ops} ops x ${seeds} seeds in one process; wall time, start-up and boots included)`, nsPerOp: ns / total, opsPerSec: total / (ns / 1e9) };
}

function candidateTree(tmp: string, scratch: string): { dir: string; what: string } {
  if (process.env.MEMDESC_BENCH_CANDIDATE) return { dir: process.env.MEMDESC_BENCH_CANDIDATE, what: 'given candidate' };
  const help = spawnSync(process.execPath, [BIN, 'convert', '--help'], { encoding: 'utf8' });
  if (help.status === 0) {
    // Under the package, so that the copy type-checks against its node_modules.
    const dir = join(scratch, 'converted');
    cpSync(CORPUS, dir, { recursive: true });
    const conv = spawnSync(process.execPath, [BIN, 'convert', '--all', dir, '--write'], { encoding: 'utf8' });
    if (conv.status === 0) return { dir, what: 'converted corpus' };
  }
  const dir = join(tmp, 'copy');
  cpSync(CORPUS, dir, { recursive: true });
  appendFileSync(join(dir, 'sim', 'main.ts'), '\n// bench copy\n');
  return { dir, what: 'corpus copy' };
}

export function verifyBenches(): BenchResult[] {
  const out: BenchResult[] = [];
  const tmp = mkdtempSync(join(tmpdir(), 'memdesc-bench-'));
  const scratch = scratchDir('bench-');
  try {
    const bundle = build(tmp);
    out.push({ ...throughput(bundle, 'mixed', 30000, 2), target: 'ops/s on mixed (default ops)' });
    for (const [w, n] of Object.entries(VERIFY_OPS)) {
      if (workloadsOf(bundle).includes(w)) out.push(throughput(bundle, w, n, 4));
    }
    const cand = candidateTree(tmp, scratch);
    if (!existsSync(join(cand.dir, 'sim', 'main.ts'))) throw new Error(`${cand.dir}: not a corpus tree`);
    // Both trees run every pair: the run cache (src/verify/runCache.ts) is off, as on a first verification.
    const cache = join(tmp, 'cache');
    const verify = (against: string, env: Record<string, string>): { ns: number; stdout: string; cpu?: number } => {
      const cpu0 = childCpuSeconds();
      const t0 = process.hrtime.bigint();
      const r = spawnSync(process.execPath, [BIN, 'verify', cand.dir, '--against', against, '--seeds', '16', '--json'], { encoding: 'utf8', maxBuffer: 1 << 28, env: { ...process.env, MEMDESC_CACHE_DIR: cache, ...env } });
      const ns = Number(process.hrtime.bigint() - t0);
      const cpu1 = childCpuSeconds();
      if (r.status !== 0 && r.status !== 1) throw new Error(`verify: exit ${r.status}: ${r.stderr}`);
      return { ns, stdout: r.stdout, ...(cpu0 !== undefined && cpu1 !== undefined ? { cpu: cpu1 - cpu0 } : {}) };
    };
    const cold = verify(CORPUS, { MEMDESC_NO_RUN_CACHE: '1' });
    const ns = cold.ns;
    const rep = JSON.parse(cold.stdout) as { ok: boolean; pairs: number; opsCompared: number; eventsCompared: number; workloads: string[] };
    const wall = ns / 1e6;
    // CPU seconds too: on a machine shared with other work the wall time says little alone.
    const cpu = cold.cpu !== undefined ? `, ${cold.cpu.toFixed(1)} CPU-s on ${availableParallelism()} cores` : '';
    record({
      section: 'verifier', figure: `verify, every workload × 16 seeds × 2 trees (${cand.what}; every run made, run cache off)`,
      measured: `${(wall / 1000).toFixed(1)} s = ${vsTsc(wall).ratio.toFixed(1)}× tsc${cpu}${rep.ok ? '' : ' (trees DIFFERENT)'}`,
      target: `≤ 30 s`, ok: wall <= 30_000,
    });
    // The everyday case: the reference (the corpus) ran before, the candidate is new. The corpus
    // verified against itself runs it once (identical builds share their runs) and caches it.
    const once = spawnSync(process.execPath, [BIN, 'verify', CORPUS, '--against', CORPUS, '--seeds', '16', '--json'], { encoding: 'utf8', maxBuffer: 1 << 28, env: { ...process.env, MEMDESC_CACHE_DIR: cache } });
    if (once.status !== 0) throw new Error(`verify corpus against itself: exit ${once.status}: ${once.stderr}`);
    const warm = verify(CORPUS, {}).ns / 1e6;
    record({
      section: 'verifier', figure: `verify, every workload × 16 seeds × 2 trees (${cand.what}; the reference's runs cached by an earlier verification)`,
      measured: `${(warm / 1000).toFixed(1)} s = ${vsTsc(warm).ratio.toFixed(1)}× tsc`,
      target: `≤ 30 s`, ok: warm <= 30_000,
    });
    out.push({
      name: `verify ${cand.what} vs corpus: ${rep.workloads.length} workloads x 16 seeds x 2 trees, ${rep.pairs * 2} runs, ${rep.opsCompared.toLocaleString('en-US')} ops and ${rep.eventsCompared.toLocaleString('en-US')} events compared, ${rep.ok ? 'identical' : 'DIFFERENT'}: WALL ${(ns / 1e9).toFixed(1)} s on ${availableParallelism()} cores (per op: wall ns per compared op)`,
      nsPerOp: ns / Math.max(1, rep.opsCompared),
      opsPerSec: rep.opsCompared / (ns / 1e9),
      target: '<= 60 s wall on 2 cores',
    });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  }
  return out;
}
