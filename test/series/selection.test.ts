/**
 * Soundness of coverage-selected step verification on the corpus: every workload x seed 1 is the
 * step plan; the base's coverage says which pairs enter which function. A behaviour change
 * planted in a function that one workload alone reaches is caught by the one run selection keeps;
 * a module-level change runs everything; a change the build does not see runs nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLED_CORPUS } from '../../src/paths.ts';
import { SeriesVerifier } from '../../src/series/verifySteps.ts';
import { bodyStart, exitPlant, source } from './corpusPlants.ts';

const WORKLOADS = ['buddy', 'slab', 'mm', 'hwpoison', 'zswap', 'vmalloc', 'mixed'];
const OPS = 150;

describe('coverage-selected step verification (corpus, every workload x seed 1)', () => {
  let v: SeriesVerifier;
  beforeAll(async () => {
    v = new SeriesVerifier(BUNDLED_CORPUS, { workloads: WORKLOADS, seeds: [1], ops: OPS });
    await v.init();
  }, 300_000);
  afterAll(() => v?.cleanup());

  it('a change the build does not see (a comment) runs nothing', async () => {
    const r = await v.verify(new Map([['mm/slub.ts', `${source('mm/slub.ts')}\n// a comment only\n`]]), false);
    expect(r.ok).toBe(true);
    expect(r.pairs).toBe(0);
    expect(r.selection).toEqual({ ran: [], of: WORKLOADS.length, why: 'none: the built simulation is unchanged' });
  }, 300_000);

  it('a behaviour change in a function only one workload reaches is caught by the one run kept', async () => {
    const cov = v.recordedCoverage();
    expect([...cov.keys()].sort()).toEqual(WORKLOADS.map((w) => `${w}:1`).sort());
    // Functions entered by exactly one pair, top-level functions of a corpus file.
    const by = new Map<string, string[]>();
    for (const [pair, ids] of cov) for (const id of ids) by.set(id, [...(by.get(id) ?? []), pair]);
    const candidates = [...by].filter(([id, pairs]) => pairs.length === 1 && /^[\w/]+\.ts::\w+$/.test(id) && !id.startsWith('sim/')).sort(([a], [b]) => a.localeCompare(b));
    console.log(`functions one pair alone enters: ${candidates.length} (e.g. ${candidates.slice(0, 3).map(([id, p]) => `${id} by ${p[0]}`).join(', ')})`);
    const pick = candidates.find(([id]) => {
      const [file, name] = id.split('::') as [string, string];
      return bodyStart(source(file), name) !== undefined;
    });
    expect(pick, 'the corpus has a function only one workload reaches').toBeDefined();
    const [id, [pair]] = pick! as [string, [string]];
    const [file, name] = id.split('::') as [string, string];
    // Observable whatever the function does: the run stops with its own exit code.
    const r = await v.verify(exitPlant(file, name), false);
    expect(r.selection!.ran).toEqual([pair]);
    expect(r.selection!.why).toBe(`1 of ${WORKLOADS.length} runs: it executes ${name}()`);
    expect(r.ok).toBe(false);
    expect(r.mismatches).toBe(1);
    expect(r.first).toContain(`${pair.split(':')[0]} seed 1`);
  }, 300_000);

  it('a module-level change runs every pair', async () => {
    const text = source('mm/slub.ts');
    const r = await v.verify(new Map([['mm/slub.ts', `${text}\n(globalThis as any).memdescPlanted = 1;\n`]]), false);
    expect(r.selection!.why).toBe('all: module-level change in mm/slub.ts');
    expect(r.pairs).toBe(WORKLOADS.length);
    expect(r.ok).toBe(true);
    expect(r.reused).toBeUndefined();
  }, 300_000);

  it('a series repeated on the same steps takes every run from the caches: the same choice, nothing run again', async () => {
    // The tree of the test before, in a new verifier (a new series): same build, same settings.
    const again = new SeriesVerifier(BUNDLED_CORPUS, { workloads: WORKLOADS, seeds: [1], ops: OPS });
    try {
      await again.init();
      const r = await again.verify(new Map([['mm/slub.ts', `${source('mm/slub.ts')}\n(globalThis as any).memdescPlanted = 1;\n`]]), false);
      expect(r.selection!.why).toBe('all: module-level change in mm/slub.ts');
      expect(r.ok).toBe(true);
      expect(r.pairs).toBe(WORKLOADS.length);
      expect(r.reused).toBe(WORKLOADS.length);
    } finally {
      again.cleanup();
    }
  }, 300_000);
});

describe('--verify-all (SeriesVerifyOptions.all)', () => {
  it('runs the whole step plan, chosen by nothing, even when the build is unchanged', async () => {
    const v = new SeriesVerifier(BUNDLED_CORPUS, { workloads: ['buddy'], seeds: [1, 2], ops: OPS, all: true });
    try {
      await v.init();
      const r = await v.verify(new Map([['mm/slub.ts', `${source('mm/slub.ts')}\n// a comment only\n`]]), false);
      expect(r.ok).toBe(true);
      expect(r.pairs).toBe(2);
      expect(r.selection).toBeUndefined();
    } finally {
      v.cleanup();
    }
  }, 300_000);
});
