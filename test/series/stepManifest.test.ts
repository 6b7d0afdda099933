/**
 * A series step's manifest without a process per step: derived from the newest known run's (the
 * base's, then the last step that ran it) when the step's change cannot reach the `--manifest`
 * run (by that run's coverage), read by running the step's bundle otherwise. Soundness: a derived manifest is always the one the step's own run
 * prints, and a change the run enters is always run (planted exits show it: the run fails).
 */
import { ts } from '@ts-morph/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLED_CORPUS } from '../../src/paths.ts';
import { readManifest } from '../../src/simulate/manifest.ts';
import { SeriesVerifier } from '../../src/series/verifySteps.ts';
import { prng as rng } from '../../src/verify/mutants-gen.ts';
import { bodyStart, exitPlant, source } from './corpusPlants.ts';

describe('series step manifests (corpus)', () => {
  let v: SeriesVerifier;
  let entered: Set<string>;
  beforeAll(async () => {
    v = new SeriesVerifier(BUNDLED_CORPUS, { workloads: ['buddy'], seeds: [1], ops: 50, tipWorkloads: ['buddy'], tipSeeds: [1], tipOps: 50, jobs: 1 });
    await v.init();
    entered = (await v.manifestCoverage())!;
  }, 300_000);
  afterAll(() => v?.cleanup());

  it('the base\'s --manifest run has coverage, and it enters the manifest function', () => {
    expect(entered).toBeDefined();
    expect(entered.has('sim/workloads/index.ts::manifest')).toBe(true);
  });

  it('a derived manifest is the one the step prints, and a function the run enters is always run (random picks)', async () => {
    const seed = Number(process.env.MEMDESC_TEST_SEED ?? Date.now() % 1_000_000);
    console.log(`step manifest picks: seed ${seed} (MEMDESC_TEST_SEED=${seed} replays it)`);
    const next = rng(seed);
    const plantable = (id: string): boolean => {
      if (!/^[\w/]+\.ts::\w+$/.test(id)) return false;
      const [file, name] = id.split('::') as [string, string];
      return bodyStart(source(file), name) !== undefined;
    };
    const inRun = [...entered].filter(plantable).sort();
    // Functions of the kernel's own files that --manifest does not enter.
    const outside = ['mm/page_alloc.ts', 'mm/slub.ts', 'mm/rmap.ts'].flatMap((file) => {
      const sf = ts.createSourceFile(file, source(file), ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
      return sf.statements.flatMap((st) => (ts.isFunctionDeclaration(st) && st.name && st.body ? [`${file}::${st.name.text}`] : []));
    }).filter((id) => !entered.has(id) && plantable(id)).sort();
    expect(inRun.length).toBeGreaterThan(0);
    expect(outside.length).toBeGreaterThan(0);
    const pick = (xs: string[]): string => xs[Math.floor(next() * xs.length)]!;
    for (const id of [pick(inRun), pick(inRun), pick(outside)]) {
      const [file, name] = id.split('::') as [string, string];
      const before = { ...v.stats };
      const step = exitPlant(file, name);
      if (entered.has(id)) {
        // The run enters it: never derived, so the planted exit fails the step's manifest run.
        await expect(v.prepareStep(step), id).rejects.toThrow(/--manifest failed/);
        expect(v.stats.manifestsDerived, id).toBe(before.manifestsDerived);
      } else {
        const t = await v.prepareStep(step);
        expect(v.stats.manifestsDerived, id).toBe(before.manifestsDerived + 1);
        expect(t.manifest, id).toEqual(await readManifest(t.build.file, 'step'));
      }
    }
  }, 600_000);
  it('a step derives from the newest step whose run is known (a series: a layout change first, then body changes)', async () => {
    const layout: [string, string] = ['mm/slub.ts', `${source('mm/slub.ts')}\n(globalThis as any).memdescPlanted = 1;\n`];
    const before = { ...v.stats };
    const a = await v.prepareStep(new Map([layout]));
    // Module-level code runs in every run: the step's own run, which then becomes the known one.
    expect(v.stats.manifestsRun).toBe(before.manifestsRun + 1);
    expect(a.manifest).toEqual(await readManifest(a.build.file, 'step'));
    const file = 'mm/page_alloc.ts';
    const name = ['__free_pages', 'free_one_page', 'move_to_free_list'].find((n) => !entered.has(`${file}::${n}`) && bodyStart(source(file), n) !== undefined)!;
    expect(name).toBeDefined();
    const b = await v.prepareStep(new Map([layout, ...exitPlant(file, name)]));
    expect(v.stats.manifestsDerived).toBe(before.manifestsDerived + 1);
    expect(b.manifest).toEqual(await readManifest(b.build.file, 'step'));
  }, 300_000);

  it('a change to what --manifest prints is run, and the step gets the new manifest', async () => {
    const file = 'sim/workloads/index.ts';
    const text = source(file);
    const from = 'description: w.description,';
    expect(text).toContain(from);
    const before = { ...v.stats };
    const t = await v.prepareStep(new Map([[file, text.replace(from, "description: `${w.description} (planted)`,")]]));
    expect(v.stats.manifestsRun).toBe(before.manifestsRun + 1);
    expect(t.manifest!.workloads.every((w) => w.description.endsWith(' (planted)'))).toBe(true);
  }, 300_000);

});
