/**
 * A stage-2 patch that fails its check stops the series cleanly (stage2Verify.ts checkStage2()),
 * as a failing stage-1 step does: the series keeps the verified prefix, the patch that failed is
 * recorded with why and the ones built on it are not tried, and the last patch kept — or the
 * stage-1 tip — is checked again as the series' tip (the whole plan, and the real placement with
 * stage-2 patches) before anything is committed. The verifier is a test double whose verdicts
 * are planted per tree, so each failure is forced at a known step with no timing involved.
 */
import { describe, expect, it } from 'vitest';
import type { LayoutChecks } from '../../src/verify/verify.ts';
import { checkStage2, stage2StopText, type Verdict } from '../../src/series/stage2Verify.ts';

interface Step { name: string; texts: Map<string, string> }
const step = (name: string): Step => ({ name, texts: new Map([['mm/x.ts', name]]) });
const steps = ['ptdesc', 'zpdesc', 'slab', 'shrink'].map(step);

/** What the double was asked, in order: `verify <tree> step|tip`, `layout <tree>`. */
function double(plan: { stepFails?: string[]; tipFails?: string[]; layoutFails?: string[] }) {
  const calls: string[] = [];
  const verify = async (texts: Map<string, string>, tip: boolean): Promise<Verdict<string>> => {
    const name = texts.get('mm/x.ts')!;
    calls.push(`verify ${name} ${tip ? 'tip' : 'step'}`);
    const bad = (tip ? plan.tipFails : plan.stepFails)?.includes(name);
    return { value: `${name} ${tip ? 'tip' : 'step'} ${bad ? 'DIFFERENT' : 'identical'}`, ...(bad ? { bad: `${name} differs` } : {}) };
  };
  const layout = async (texts: Map<string, string>): Promise<LayoutChecks> => {
    const name = texts.get('mm/x.ts')!;
    calls.push(`layout ${name}`);
    const bad = plan.layoutFails?.includes(name);
    return {
      side: 'candidate', label: name, placement: 'real', invariants: true, runs: 1, ms: 0, ok: !bad,
      failures: bad ? [{ workload: 'mixed', seed: 1, reason: `${name} leaks a descriptor` } as unknown as LayoutChecks['failures'][number]] : [],
    };
  };
  return { calls, verify, layout };
}

describe('a failed stage-2 patch stops the series cleanly', () => {
  it('all verify: every step kept, the last checked as the tip in its real placement; nothing re-checked', async () => {
    const d = double({});
    const r = await checkStage2(steps, d);
    expect(r.kept.map((k) => k.step.name)).toEqual(['ptdesc', 'zpdesc', 'slab', 'shrink']);
    expect(r.failed).toEqual([]);
    expect(r.skipped).toEqual([]);
    expect(r.stage1IsTip).toBe(false);
    expect(d.calls).toEqual(['verify ptdesc step', 'verify zpdesc step', 'verify slab step', 'verify shrink tip', 'layout shrink']);
    expect(r.kept[3]!.layoutChecks?.ok).toBe(true);
    expect(r.kept.some((k) => k.retipped)).toBe(false);
  });

  it('a middle patch does not verify: the prefix is kept, the rest not tried, and the new tip gets the whole plan and the real placement', async () => {
    const d = double({ stepFails: ['zpdesc'] });
    const r = await checkStage2(steps, d);
    expect(r.kept.map((k) => k.step.name)).toEqual(['ptdesc']);
    expect(r.failed).toEqual([{ index: 1, reason: 'zpdesc differs' }]);
    expect(r.skipped).toEqual([2, 3]);
    expect(d.calls).toEqual(['verify ptdesc step', 'verify zpdesc step', 'verify ptdesc tip', 'layout ptdesc']);
    // The kept tip carries the tip's verdicts, not its step plan's.
    expect(r.kept[0]).toMatchObject({ verification: 'ptdesc tip identical', retipped: true, layoutChecks: { ok: true, label: 'ptdesc' } });
    expect(r.stage1IsTip).toBe(false);
  });

  it('the last patch fails in its real placement: the one before it becomes the tip', async () => {
    const d = double({ layoutFails: ['shrink'] });
    const r = await checkStage2(steps, d);
    expect(r.kept.map((k) => k.step.name)).toEqual(['ptdesc', 'zpdesc', 'slab']);
    expect(r.failed).toHaveLength(1);
    expect(r.failed[0]!.index).toBe(3);
    expect(r.failed[0]!.reason).toMatch(/real placement with --check, 1 run: 1 FAILED \(mixed seed 1: shrink leaks a descriptor\)/);
    expect(d.calls.slice(-2)).toEqual(['verify slab tip', 'layout slab']);
    expect(r.kept[2]!.retipped).toBe(true);
  });

  it('a kept patch that fails as the tip goes too, down the prefix; both failures are recorded', async () => {
    const d = double({ stepFails: ['slab'], tipFails: ['zpdesc'] });
    const r = await checkStage2(steps, d);
    expect(r.kept.map((k) => k.step.name)).toEqual(['ptdesc']);
    expect(r.failed).toEqual([{ index: 2, reason: 'slab differs' }, { index: 1, reason: "as the series' tip: zpdesc differs" }]);
    expect(r.skipped).toEqual([3]);
    expect(d.calls.slice(3)).toEqual(['verify zpdesc tip', 'verify ptdesc tip', 'layout ptdesc']);
  });

  it('the first patch fails: nothing of stage 2 is kept and the stage-1 tip is the series\' tip (for the caller to verify as such)', async () => {
    const d = double({ stepFails: ['ptdesc'] });
    const r = await checkStage2(steps, d);
    expect(r.kept).toEqual([]);
    expect(r.stage1IsTip).toBe(true);
    expect(r.skipped).toEqual([1, 2, 3]);
    expect(d.calls).toEqual(['verify ptdesc step']);
  });

  it('no stage-2 patch planned: nothing to check, and the stage-1 tip was already verified as the tip', async () => {
    const d = double({});
    const r = await checkStage2([], d);
    expect(r).toEqual({ kept: [], failed: [], skipped: [], stage1IsTip: false });
    expect(d.calls).toEqual([]);
  });

  it('the exit message names the patch that failed, why, and where the branch ends', () => {
    expect(stage2StopText('mm: Allocate zpdesc from slab', 'mixed x 2 seeds: DIFFERENT in 1 of 2', 1))
      .toBe('the series stops short: stage-2 patch "mm: Allocate zpdesc from slab" does not verify (mixed x 2 seeds: DIFFERENT in 1 of 2); the branch ends after 1 stage-2 patch, checked as the tip');
    expect(stage2StopText('mm: Allocate ptdesc from slab', 'x', 0)).toMatch(/the branch ends at the stage-1 tip, checked as the tip$/);
  });
});
