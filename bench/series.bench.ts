/**
 * The type-check part of `memdesc series --all` on the bundled corpus, without git or the
 * simulation: the one-shot plan, the series' steps, then buildTrees() (plan + type-check of every
 * step's tree). Prints the type-check time per step (CPU of this process, which does nothing else
 * meanwhile, and wall) and the files re-checked per step, next to the planning time.
 * Run with `npm run bench -- series`.
 */
import { join } from 'node:path';
import { analyzeDetailed } from '../src/analyzers/analyze.ts';
import { loadProgram } from '../src/analyzers/project.ts';
import { builtinSpec } from '../src/model/builtin.ts';
import { selectKinds } from '../src/rewrite/kinds.ts';
import { planConversion } from '../src/rewrite/plan.ts';
import { buildTrees, seriesSteps, type StepTree } from '../src/series/steps.ts';
import { planUnits } from '../src/series/units.ts';

const CORPUS = join(import.meta.dirname, '..', 'corpus');

export async function seriesBenches(): Promise<string> {
  const spec = builtinSpec();
  const { program, root } = loadProgram(CORPUS);
  const one = planConversion(program, root, { spec, kinds: [], all: true, retire: true });
  const kinds = selectKinds(spec, [], true);
  const units = planUnits(analyzeDetailed(program, root, { spec }), kinds, one.report);
  const retires = one.report.retired.helpers.length + one.report.retired.members.length > 0;
  const steps = seriesSteps(kinds, units, retires);
  // CPU time of the type-check alone: sampled around it inside onTree's view of each step.
  let cpu = 0;
  let mark = process.cpuUsage();
  const trees: StepTree[] = await buildTrees(program, root, steps, {
    spec, oneShot: one,
    onTree: () => {
      const c = process.cpuUsage(mark);
      cpu += (c.user + c.system) / 1000;
      mark = process.cpuUsage();
    },
  });
  const real = trees.filter((t) => !t.empty);
  const tc = real.reduce((s, t) => s + t.typecheck.ms, 0);
  const plan = trees.reduce((s, t) => s + t.planMs, 0);
  const tcCpu = real.reduce((s, t) => s + t.typecheck.cpuMs, 0);
  const files = real.map((t) => t.typecheck.files).sort((a, b) => a - b);
  const med = files[Math.floor(files.length / 2)] ?? 0;
  const failed = real.filter((t) => !t.typecheck.ok).length;
  return ['## series --all on the corpus: type-check per step (no git, no simulation)', '',
    '| steps (non-empty) | type-check wall s, total / per step | type-check CPU s, total / per step | plan wall s, per step | CPU s per step (plan + check) | files re-checked per step: median / max | trees not type-checking |',
    '|---:|---:|---:|---:|---:|---:|---:|',
    `| ${trees.length} (${real.length}) | ${(tc / 1000).toFixed(1)} / ${(tc / real.length / 1000).toFixed(3)} | ${(tcCpu / 1000).toFixed(1)} / ${(tcCpu / real.length / 1000).toFixed(3)} | ${(plan / trees.length / 1000).toFixed(3)} | ` +
    `${(cpu / trees.length / 1000).toFixed(3)} | ${med} / ${files.at(-1) ?? 0} | ${failed} |`].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) process.stdout.write(`${await seriesBenches()}\n`);
