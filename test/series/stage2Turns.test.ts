/**
 * Stage 2's planning gives the event loop a turn between its passes (src/series/stage2.ts): a
 * series plans it while the verifier's workers run the base's batches, and each worker waits for
 * this thread to read its results and hand it the next one. Planned here on the shared stage-1
 * tree (a copy of it, as planStage2 makes when it is given no converted program).
 */
import { describe, expect, it } from 'vitest';
import { builtinSpec } from '../../src/model/builtin.ts';
import { planStage2 } from '../../src/series/stage2.ts';
import { stage1Corpus } from '../stage1.ts';

describe('stage 2 planning', () => {
  it('lets the event loop run between its passes, and still plans every kind and the shrink', async () => {
    const dir = await stage1Corpus();
    let turns = 0;
    let planning = true;
    const tick = (): void => {
      turns++;
      if (planning) setImmediate(tick);
    };
    setImmediate(tick);
    const plan = await planStage2(dir, builtinSpec(), new Map());
    planning = false;
    expect(plan.steps.map((s) => s.kind ?? s.role)).toEqual(['ptdesc', 'zpdesc', 'vmalloc', 'slab', 'folio', 'shrink']);
    expect(plan.blocked).toEqual([]);
    // A turn before each kind's plan, audit and check, and before the shrink's plan and check.
    expect(turns).toBeGreaterThanOrEqual(5 * 3 + 2);
  }, 600_000);
});
