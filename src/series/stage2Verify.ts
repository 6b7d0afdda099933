/**
 * The tip of a series with stage-2 patches runs in its real placement too (descriptors from slab,
 * memmap shrunk), checked after every operation (docs/verify.md, part (b) across layouts): the
 * comparison with the base (placement-preserving, the verifier's) cannot see a descriptor that
 * leaks or a memdesc word that points at the wrong descriptor; these checks can.
 */
import { availableParallelism } from 'node:os';
import { Pool } from '../verify/run.ts';
import { makePlan, prepareTree, runLayoutChecks, runMatrices, type LayoutChecks } from '../verify/verify.ts';
import type { TreeTexts } from './steps.ts';
import type { SeriesVerifyOptions } from './verifySteps.ts';

/** Real-placement checks of the base with `texts` applied, under the tip's plan (its workloads, seeds and operations). */
export async function tipLayoutChecks(baseDir: string, texts: TreeTexts, opts: SeriesVerifyOptions = {}): Promise<LayoutChecks> {
  const tree = await prepareTree({ dir: baseDir, overrides: Object.fromEntries(texts), label: 'tip' }, { cacheDir: opts.cacheDir });
  try {
    const plan = makePlan(tree, {
      ...(opts.tipWorkloads ? { workloads: opts.tipWorkloads } : {}),
      ...(opts.tipSeeds ? { seeds: opts.tipSeeds } : {}),
      ...(opts.tipOps !== undefined ? { ops: opts.tipOps } : {}),
    });
    const pool = new Pool(opts.jobs ?? availableParallelism());
    // The placement-preserving runs tell a debug check the tree always hits (judged by the
    // comparison with the base) from one only the real placement hits.
    const [preserved] = await runMatrices([tree], plan, pool);
    return await runLayoutChecks(tree, 'candidate', preserved!, plan, pool);
  } finally {
    tree.cleanup();
  }
}

export function layoutChecksText(c: LayoutChecks): string {
  const what = `real placement${c.invariants ? ' with --check' : ''}, ${c.runs} run${c.runs === 1 ? '' : 's'}`;
  if (c.ok) return `${what}: all passed, ${(c.ms / 1000).toFixed(1)} s`;
  const f = c.failures[0]!;
  return `${what}: ${c.failures.length} FAILED (${f.workload} seed ${f.seed}: ${f.reason})`;
}
