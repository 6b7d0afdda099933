/**
 * planConversion() keeps what it derives from an analysis alone (kinds, wrapper-body sites, the
 * flow graph per set of kinds, the original import graph, each file's original imports) for the
 * next plan on that analysis, as a series plans every step on one. Plans made that way, in any
 * order and repeated, must equal plans made each on an analysis of its own.
 */
import { describe, expect, it } from 'vitest';
import { analyzeDetailed } from '../../src/analyzers/analyze.ts';
import { loadProgram } from '../../src/analyzers/project.ts';
import { builtinSpec } from '../../src/model/builtin.ts';
import { BUNDLED_CORPUS } from '../../src/paths.ts';
import { selectKinds } from '../../src/rewrite/kinds.ts';
import { planConversion, type ConvertPlan } from '../../src/rewrite/plan.ts';
import { seriesSteps } from '../../src/series/steps.ts';
import { planUnits } from '../../src/series/units.ts';

const spec = builtinSpec();

function summary(p: ConvertPlan): unknown {
  return { changes: p.changes.map((c) => [c.file, c.before, c.after]), report: p.report };
}

describe('plans sharing one analysis', () => {
  it('equal plans made on an analysis of their own, in any order, repeated', () => {
    const { program, root } = loadProgram(BUNDLED_CORPUS);
    const one = planConversion(program, root, { spec, kinds: [], all: true, retire: true });
    const shared = analyzeDetailed(program, root, { spec });
    const kinds = selectKinds(spec, [], true);
    const steps = seriesSteps(kinds, planUnits(shared, kinds, one.report), false);
    expect(steps.length).toBeGreaterThan(20);
    // The kind with the most steps: a narrow scope, a wider one, everything ('rest'), in an order
    // where a plan's decisions (entities blocked outside its scope, renamed) would leak into the next.
    const counts = new Map<string, number>();
    for (const st of steps) if (st.role === 'convert') counts.set(st.kind!, (counts.get(st.kind!) ?? 0) + 1);
    const kind = [...counts].sort((a, b) => b[1] - a[1])[0]![0];
    const convert = steps.map((st, i) => [st, i] as const).filter(([st]) => st.kind === kind && st.role === 'convert').map(([, i]) => i);
    const rest = steps.findIndex((st) => st.kind === kind && st.role === 'rest');
    const first = convert[0]!;
    const mid = convert[Math.floor(convert.length / 2)]!;
    const picks = [first, rest, mid, first, rest, steps.length - 1];
    const opts = (i: number) => ({ spec, kinds: steps[i]!.kinds, scope: steps[i]!.scope, scaffold: steps[i]!.scaffold, retire: false });
    const got = picks.map((i) => summary(planConversion(program, root, { ...opts(i), analysis: shared })));
    const fresh = new Map<number, unknown>();
    for (const i of new Set(picks)) fresh.set(i, summary(planConversion(program, root, { ...opts(i), analysis: analyzeDetailed(program, root, { spec }) })));
    for (const [n, i] of picks.entries()) expect(got[n], `step ${i} (${steps[i]!.role} ${steps[i]!.kind ?? ''})`).toEqual(fresh.get(i));
    // The one-shot conversion planned on the shared analysis too: still the same.
    expect(summary(planConversion(program, root, { spec, kinds: [], all: true, retire: true, analysis: shared }))).toEqual(summary(one));
  }, 600_000);
});
