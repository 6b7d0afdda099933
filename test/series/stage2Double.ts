/**
 * A test double of stage 2's verifier (stage2Verify.ts checkStage2()): verdicts planted per tree,
 * and a record of what it was asked, in order (`verify <tree> step|tip`, `layout <tree>`). Each
 * tree is one file whose text is the step's name, so a failure is forced at a known step with no
 * timing involved.
 */
import type { LayoutChecks } from '../../src/verify/verify.ts';
import type { Verdict } from '../../src/series/stage2Verify.ts';

export interface Step { name: string; texts: Map<string, string> }
export const step = (name: string): Step => ({ name, texts: new Map([['mm/x.ts', name]]) });
export const steps = ['ptdesc', 'zpdesc', 'slab', 'shrink'].map(step);

export interface Planted { stepFails?: string[]; tipFails?: string[]; layoutFails?: string[] }

export function double(plan: Planted) {
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
