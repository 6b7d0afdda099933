/**
 * checkStage2() with `ahead` (what the series passes): the planned tip's whole plan and real
 * placement start before the steps ahead of it are judged, and the result is the one the plain
 * in-order check gives in every case — all verify, a step fails (the tip's early verdicts are
 * dropped), the tip fails in its real placement, a kept step fails as the new tip. The verifier is
 * a test double with planted verdicts, as in stage2Failure.test.ts; no timing is involved.
 */
import { describe, expect, it } from 'vitest';
import { double, steps, type Planted, type Step } from './stage2Double.ts';
import { checkStage2 } from '../../src/series/stage2Verify.ts';

const plain = (r: Awaited<ReturnType<typeof checkStage2<Step, string>>>) => ({
  kept: r.kept.map((k) => ({ name: k.step.name, verification: k.verification, layout: k.layoutChecks?.ok, retipped: !!k.retipped })),
  failed: r.failed, skipped: r.skipped, stage1IsTip: r.stage1IsTip,
});

const cases: Array<[string, Planted]> = [
  ['all verify', {}],
  ['a middle step fails', { stepFails: ['zpdesc'] }],
  ['the first step fails', { stepFails: ['ptdesc'] }],
  ['the tip fails in its real placement', { layoutFails: ['shrink'] }],
  ['the tip fails its whole plan', { tipFails: ['shrink'] }],
  ['a kept step fails as the new tip', { stepFails: ['slab'], tipFails: ['zpdesc'] }],
];

describe('checkStage2 ahead', () => {
  for (const [what, plan] of cases) {
    it(`${what}: the same result as the in-order check`, async () => {
      const inOrder = double(plan);
      const ahead = double(plan);
      const a = await checkStage2(steps, inOrder);
      const b = await checkStage2(steps, { verify: ahead.verify, layout: ahead.layout, ahead: true });
      expect(plain(b)).toEqual(plain(a));
      // The planned tip's checks were asked for first, before any step was judged.
      expect(ahead.calls.slice(0, 2)).toEqual(['verify shrink tip', 'layout shrink']);
      // Nothing was asked twice: a check started ahead is the one judged.
      expect(new Set(ahead.calls).size).toBe(ahead.calls.length);
    });
  }

  it('without ahead, nothing is asked before it is judged', async () => {
    const d = double({ stepFails: ['ptdesc'] });
    await checkStage2(steps, { verify: d.verify, layout: d.layout });
    expect(d.calls).toEqual(['verify ptdesc step']);
  });
});
