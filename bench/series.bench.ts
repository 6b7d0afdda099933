/**
 * The planning and type-check parts of `memdesc series --all` on the bundled corpus, without git
 * (the simulation only in the last part): the series' steps are planned (buildTrees, its planning CPU reported), then every non-empty step's tree is
 * type-checked twice over, in the same process: from scratch (a new program and checker per
 * step, what every step cost before incremental checking) and incrementally
 * (src/ts/incremental.ts, each program from the previous one; in a file the change reaches, only
 * the statements it reaches, src/ts/regions.ts). CPU time of this process (the
 * machine is shared; wall time mostly measures waiting for a core). The two must find the same
 * errors at every step, or the bench fails. Last, a step's verification batch on step bundles,
 * in a process of its own and in a covered worker (children's CPU; the same results, or it fails).
 * Run with `npm run bench -- series`.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzeDetailed } from '../src/analyzers/analyze.ts';
import { loadProgram } from '../src/analyzers/project.ts';
import { builtinSpec } from '../src/model/builtin.ts';
import { formatError, toTypeErrors, typeErrors } from '../src/rewrite/check.ts';
import { selectKinds } from '../src/rewrite/kinds.ts';
import { planConversion } from '../src/rewrite/plan.ts';
import { buildTrees, seriesSteps } from '../src/series/steps.ts';
import { planUnits } from '../src/series/units.ts';
import { IncrementalChecker } from '../src/ts/incremental.ts';
import { overlayProgram } from '../src/ts/programs.ts';
import { anchor } from './anchor.ts';
import { runCoveredBatch, runCoveredBatchFresh } from '../src/verify/coverage.ts';
import { mapBundle } from '../src/verify/coverageMap.ts';
import { endCoveredWorkers } from '../src/verify/coverageWorker.ts';
import { OverlayBuilder } from '../src/verify/overlayBuild.ts';
import { childCpuSeconds } from './childCpu.ts';

const CORPUS = join(import.meta.dirname, '..', 'corpus');

/**
 * A series step's batch (`mixed` x 2 seeds at 1,000 operations, the corpus' step plan) with
 * coverage, on step bundles, in a process of its own each and in covered workers
 * (src/verify/coverageWorker.ts): the children's CPU seconds of each way, alternated three
 * times. The outcomes and coverage must be the same, or the bench fails.
 */
async function coveredBatches(trees: Array<{ texts: Map<string, string> }>): Promise<string[]> {
  const cache = mkdtempSync(join(tmpdir(), 'memdesc-bench-covered-'));
  const builder = new OverlayBuilder(CORPUS, { cacheDir: cache });
  try {
    const picks = Array.from({ length: 8 }, (_, i) => trees[Math.floor((i * (trees.length - 1)) / 7)]!);
    const bundles: Array<{ file: string; map: ReturnType<typeof mapBundle> }> = [];
    for (const t of picks) {
      const b = await builder.build(t.texts);
      bundles.push({ file: b.file, map: mapBundle(readFileSync(b.file, 'utf8')) });
    }
    const settings = { workload: 'mixed', seeds: [1, 2], ops: 1000 };
    // First (not measured): each bundle's batch in a covered worker gives what a process of its own gives.
    for (const { file, map } of bundles) {
      const [w, f] = [await runCoveredBatch(file, map, settings), await runCoveredBatchFresh(file, map, settings)];
      if (JSON.stringify(w.outcomes.map((o) => o.result)) !== JSON.stringify(f.outcomes.map((o) => o.result)) ||
        JSON.stringify([...w.executed ?? []].sort()) !== JSON.stringify([...f.executed ?? []].sort())) throw new Error(`${file}: a covered worker's batch differs from a process of its own`);
    }
    await endCoveredWorkers();
    const sums = { fresh: 0, worker: 0 };
    for (let round = 0; round < 3; round++) {
      for (const way of ['fresh', 'worker'] as const) {
        const c0 = childCpuSeconds();
        if (c0 === undefined) return ['Covered workers: not measured (no /proc).'];
        for (const { file, map } of bundles) await (way === 'fresh' ? runCoveredBatchFresh(file, map, settings) : runCoveredBatch(file, map, settings));
        await endCoveredWorkers();
        sums[way] += childCpuSeconds()! - c0;
      }
    }
    const fresh = sums.fresh / 3 / bundles.length;
    const worker = sums.worker / 3 / bundles.length;
    return [`Step batches (mixed x 2 seeds at 1,000 ops, with coverage) on ${bundles.length} step bundles, children's CPU per batch, mean of 3 rounds: ` +
      `a process of its own ${fresh.toFixed(3)} s, a covered worker ${worker.toFixed(3)} s (${(100 * (1 - worker / fresh)).toFixed(0)} % less; the same outcomes and coverage).`];
  } finally {
    builder.dispose();
    rmSync(cache, { recursive: true, force: true });
  }
}

function cpuMs(): number {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
}

export async function seriesBenches(): Promise<string> {
  const spec = builtinSpec();
  const { program, root } = loadProgram(CORPUS);
  const one = planConversion(program, root, { spec, kinds: [], all: true, retire: true });
  const kinds = selectKinds(spec, [], true);
  const units = planUnits(analyzeDetailed(program, root, { spec }), kinds, one.report);
  const retires = one.report.retired.helpers.length + one.report.retired.members.length > 0;
  const steps = seriesSteps(kinds, units, retires);
  const built = await buildTrees(program, root, steps, { spec, oneShot: one });
  // Planning every step (empty ones too) on one analysis of the base (src/rewrite/plan.ts keeps what does not depend on the step).
  const planCpu = built.reduce((s, t) => s + t.planCpuMs, 0);
  const trees = built.filter((t) => !t.empty);
  const inSeries = trees.reduce((s, t) => s + t.typecheck.cpuMs, 0);
  const overlays = trees.map((t) => new Map([...t.texts].map(([f, x]) => [`${root}/${f}`, x] as const)));

  let c = cpuMs();
  const scratch = overlays.map((texts) => typeErrors(overlayProgram(program, texts), root).map(formatError).sort());
  const scratchMs = cpuMs() - c;
  c = cpuMs();
  const checker = new IncrementalChecker(program);
  const files: number[] = [];
  const incremental = overlays.map((texts) => {
    const r = checker.check(texts);
    files.push(r.checked.length);
    return toTypeErrors(r.diagnostics, root).map(formatError).sort();
  });
  const incMs = cpuMs() - c;
  for (const [i, e] of incremental.entries()) {
    if (JSON.stringify(e) !== JSON.stringify(scratch[i])) throw new Error(`step ${i + 1}: incremental errors ${JSON.stringify(e)} differ from a full check's ${JSON.stringify(scratch[i])}`);
  }
  const sorted = files.slice(1).sort((a, b) => a - b);
  const covered = await coveredBatches(trees);
  const n = trees.length;
  const per = (ms: number) => (ms / n / 1000).toFixed(3);
  return ['## series --all on the corpus: planning and type-check per step (no git; CPU s of this process), then step batches (CPU s of the children)', '',
    `Planning: ${(planCpu / 1000).toFixed(1)} CPU s for ${steps.length} steps, ${(planCpu / steps.length / 1000).toFixed(3)} s per step.`, '',
    `${n} non-empty steps of ${steps.length}; the same errors from both at every step (${scratch.filter((e) => e.length > 0).length} trees with errors).`, '',
    '| check | CPU s, all steps | CPU s per step | files re-checked per step (after the first): median / max |',
    '|---|---:|---:|---:|',
    `| from scratch (a new program and checker per step) | ${(scratchMs / 1000).toFixed(1)} | ${per(scratchMs)} | all |`,
    `| incremental (src/ts/incremental.ts; ${checker.regionChecks} files checked in part, src/ts/regions.ts) | ${(incMs / 1000).toFixed(1)} | ${per(incMs)} | ${sorted[Math.floor(sorted.length / 2)] ?? 0} / ${sorted.at(-1) ?? 0} |`,
    `| as buildTrees runs it (incremental, tip from scratch) | ${(inSeries / 1000).toFixed(1)} | ${per(inSeries)} | |`, '',
    // CPU against CPU: on a shared machine wall time mostly measures waiting for a core.
    `Per step, incremental: ${(incMs / n / anchor().tsc.cpuMs).toFixed(3)}× the CPU of one \`tsc --noEmit\` of the corpus (${(anchor().tsc.cpuMs / 1000).toFixed(2)} CPU s, anchor); ` +
    `planning and checking together, as buildTrees runs them: ${((planCpu / steps.length + inSeries / n) / anchor().tsc.cpuMs).toFixed(3)}×.`, '', ...covered].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) process.stdout.write(`${await seriesBenches()}\n`);
