/**
 * Runs started ahead (SeriesVerifier.runAhead): while a step's batch of a workload runs, the next
 * step's batch may start before its choice. Only the start moves: steps verified back to back
 * (each asked before the one before it settled, as a series asks) make the same choices, with the
 * same verdicts, as the same steps verified one at a time, a failing step in the chain included.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { BUNDLED_CORPUS } from '../../src/paths.ts';
import { SeriesVerifier, type StepVerification } from '../../src/series/verifySteps.ts';
import type { TreeTexts } from '../../src/series/steps.ts';
import { bodyStart, source } from './corpusPlants.ts';

const WORKLOADS = ['buddy', 'slab', 'mixed'];
const OPS = 150;

/** `texts` with a statement planted at the entry of `file`'s function `name` (on top of what texts already hold for the file). */
function plant(texts: TreeTexts, file: string, name: string, stmt: string): TreeTexts {
  const text = texts.get(file) ?? source(file);
  const at = bodyStart(text, name);
  if (at === undefined) throw new Error(`${file} does not declare ${name}() once`);
  return new Map([...texts, [file, `${text.slice(0, at)} ${stmt}${text.slice(at)}`]]);
}

/** What a choice decided and found (not its timings, nor what came from the run cache). */
function decided(r: StepVerification): unknown {
  return { ok: r.ok, pairs: r.pairs, mismatches: r.mismatches, first: r.first, selection: r.selection };
}

describe('runs started ahead of a step\'s choice', () => {
  const verifiers: SeriesVerifier[] = [];
  afterAll(() => verifiers.forEach((v) => v.cleanup()));

  it('give the choices and verdicts of the same steps verified one at a time', async () => {
    const make = async (): Promise<SeriesVerifier> => {
      const v = new SeriesVerifier(BUNDLED_CORPUS, { workloads: WORKLOADS, seeds: [1], ops: OPS });
      verifiers.push(v);
      await v.init();
      return v;
    };
    const ahead = await make();
    // The base's coverage, settled: which corpus functions the mixed workload enters.
    const none = await ahead.verify(new Map([['mm/slub.ts', `${source('mm/slub.ts')}\n// a comment only\n`]]), false);
    expect(none.pairs).toBe(0);
    const cov = ahead.recordedCoverage();
    const files = new Set<string>();
    const picks = [...cov.get('mixed:1')!].sort().flatMap((id) => {
      const [file, name] = id.split('::') as [string, string];
      if (!/^[\w/]+\.ts$/.test(file) || !/^\w+$/.test(name ?? '') || file.startsWith('sim/') || files.has(file)) return [];
      if (bodyStart(source(file), name) === undefined) return [];
      files.add(file);
      return [{ file, name }];
    });
    expect(picks.length, 'four corpus files with a function the mixed workload enters').toBeGreaterThanOrEqual(4);
    const [a, b, c, d] = picks as [typeof picks[0], typeof picks[0], typeof picks[0], typeof picks[0]];
    // A behaviour-preserving edit (a local counter), then one on top, then an exit planted (that
    // step fails: the next is judged against the last build that verified), then another edit.
    const quiet = 'let memdescPlanted = 0; memdescPlanted++;';
    const s1 = plant(new Map(), a.file, a.name, quiet);
    const s2 = plant(s1, b.file, b.name, quiet);
    const s3 = plant(s2, c.file, c.name, '(globalThis as any).process.exit(7);');
    const s4 = plant(s2, d.file, d.name, quiet);
    const steps = [s1, s2, s3, s4];

    // As a series asks: every step before the one before it settled.
    const together = await Promise.all(steps.map((t) => ahead.verify(t, false)));
    expect(ahead.stats.runsAhead, 'some step started its runs before its choice').toBeGreaterThan(0);

    const oneByOne = await make();
    await oneByOne.verify(new Map([['mm/slub.ts', `${source('mm/slub.ts')}\n// a comment only\n`]]), false);
    const alone: StepVerification[] = [];
    for (const t of steps) alone.push(await oneByOne.verify(t, false));
    expect(oneByOne.stats.runsAhead).toBe(0);

    expect(together.map(decided)).toEqual(alone.map(decided));
    // The chain as built: edits verify, the planted exit is caught by the runs that enter it.
    expect(together.map((r) => r.ok)).toEqual([true, true, false, true]);
    expect(together[2]!.first).toContain('mixed seed 1');
  }, 600_000);
});
