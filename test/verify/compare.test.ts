import { describe, it, expect } from 'vitest';
import { firstDivergence, outcomeDifference, MEMMAP_DIFFERS } from '../../src/verify/compare.ts';
import type { RunOutcome, TracedRun } from '../../src/verify/run.ts';

function traced(events: string[], reports: Record<string, string> = {}): TracedRun {
  return { status: 'ok', events, reports, bug: null };
}

function outcome(digest: string, over: Partial<RunOutcome> = {}): RunOutcome {
  return { seed: 1, status: 'ok', ms: 1, result: { workload: 'w', seed: 1, ram: 0, ops: 10, eventCount: 3, digest, bug: null }, ...over };
}

describe('firstDivergence', () => {
  it('finds the first differing event with the events before it', () => {
    const a = traced(['boot: x', 'e1', 'e2', 'e3 a', 'e4']);
    const b = traced(['boot: x', 'e1', 'e2', 'e3 b', 'e4']);
    const d = firstDivergence(a, b, 2);
    expect(d).toMatchObject({ where: 'event', index: 3, before: ['e1', 'e2'], candidate: 'e3 a', reference: 'e3 b' });
  });

  it('reports a trace that ends early', () => {
    const d = firstDivergence(traced(['a', 'b']), traced(['a', 'b', 'c']));
    expect(d).toMatchObject({ where: 'event', index: 2, candidate: undefined, reference: 'c' });
  });

  it('falls back to the reports when the events agree', () => {
    const d = firstDivergence(traced(['a'], { meminfo: 'x 1\ny 2' }), traced(['a'], { meminfo: 'x 1\ny 3' }));
    expect(d).toMatchObject({ where: 'report', report: 'meminfo', index: 1, before: ['x 1'], candidate: 'y 2', reference: 'y 3' });
  });

  it('says none for identical runs', () => {
    expect(firstDivergence(traced(['a'], { r: 'x' }), traced(['a'], { r: 'x' })).where).toBe('none');
  });
});

describe('outcomeDifference', () => {
  it('compares digests and event counts', () => {
    expect(outcomeDifference(outcome('a'), outcome('a'))).toBeNull();
    expect(outcomeDifference(outcome('a'), outcome('b'))).toBe('digests differ');
  });

  it('compares the struct page arrays when the digests agree', () => {
    const withMemmap = (m: string) => { const o = outcome('a'); o.result!.memmap = m; return o; };
    expect(outcomeDifference(withMemmap('x'), withMemmap('x'))).toBeNull();
    expect(outcomeDifference(withMemmap('x'), withMemmap('y'))).toBe(MEMMAP_DIFFERS);
    expect(outcomeDifference(withMemmap('x'), outcome('a'))).toBeNull();
  });

  it('treats a crash, a timeout or a missing run as a difference', () => {
    expect(outcomeDifference({ seed: 1, status: 'crash', detail: 'TypeError: x', ms: 1 }, outcome('a'))).toMatch(/candidate crashed \(TypeError: x\)/);
    expect(outcomeDifference(outcome('a'), { seed: 1, status: 'timeout', ms: 1 })).toMatch(/reference timed out/);
    const t = { seed: 1, status: 'timeout' as const, ms: 1 };
    expect(outcomeDifference(t, t)).not.toBeNull();
  });
});
