/**
 * The converter options a series is built from: `scaffold` creates a kind's types with nothing
 * converted, `scope` limits one kind to named functions (callers outside convert at the call)
 * while other kinds convert everywhere; and the step plan puts units callees first.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeDetailed } from '../../src/analyzers/analyze.ts';
import { loadProgram } from '../../src/analyzers/project.ts';
import { builtinSpec } from '../../src/model/builtin.ts';
import { loadSpecFile } from '../../src/model/spec-validate.ts';
import { overlayProgram, typeErrors } from '../../src/rewrite/check.ts';
import { kindPlans } from '../../src/rewrite/kinds.ts';
import { planConversion } from '../../src/rewrite/plan.ts';
import { groupCommits, lastCommittable, seriesSteps, type StepTree } from '../../src/series/steps.ts';
import { planUnits } from '../../src/series/units.ts';
import { BLOBWORLD } from '../rewrite/helpers.ts';

const spec = loadSpecFile(join(BLOBWORLD, 'spec.json'), builtinSpec());
const { program, root } = loadProgram(BLOBWORLD);
const rel = (f: string) => f.slice(root.length + 1);
const typeChecks = (p: ReturnType<typeof planConversion>) => typeErrors(overlayProgram(program, new Map(p.changes.map((c) => [c.file, c.after] as const))), root);

describe('converter options for series', () => {
  it('scaffold with an empty scope creates the descriptor and converts nothing', () => {
    const p = planConversion(program, root, { spec, kinds: ['cache'], scope: { cache: [] }, scaffold: ['cache'], retire: false });
    expect(p.report.created).toEqual(['CacheObj in src/cacheobj.ts', 'blob_cacheobj, cacheobj_blob in src/cacheobj.ts', 'addr_to_cacheobj in src/helpers.ts']);
    expect(p.report.converted).toEqual({});
    expect(p.report.functions).toEqual([]);
    expect(p.changes.map((c) => rel(c.file))).toEqual(['src/cacheobj.ts', 'src/helpers.ts']);
    expect(typeChecks(p)).toEqual([]);
  });

  it('without scaffold, an empty scope changes nothing', () => {
    expect(planConversion(program, root, { spec, kinds: ['cache'], scope: { cache: [] }, retire: false }).changes).toEqual([]);
  });

  it('a scope of one function converts that function; its callers convert at the call', () => {
    const p = planConversion(program, root, { spec, kinds: ['cache'], scope: { cache: ['cache_move'] }, retire: false });
    expect(p.report.functions.map((f) => `${f.function}: ${f.change}`)).toEqual(['cache_move: blob: Blob -> obj: CacheObj']);
    const main = p.changes.find((c) => rel(c.file) === 'src/main.ts')!.after;
    expect(main).toContain('cache_move(blob_cacheobj(b), 3)');
    const cache = p.changes.find((c) => rel(c.file) === 'src/cache.ts')!.after;
    expect(cache).toContain('export function cache_of(blob: Blob): number {');
    expect(p.report.skipped.some((s) => s.reason === 'outside the scope of this step')).toBe(true);
    expect(typeChecks(p)).toEqual([]);
  });

  it('a kind left out of the scope converts everywhere', () => {
    const all = planConversion(program, root, { spec, kinds: ['cache', 'net'], retire: false });
    const scoped = planConversion(program, root, { spec, kinds: ['cache', 'net'], scope: { net: ['netbuf_next_seq'] }, retire: false });
    expect(scoped.report.converted.cache).toBe(all.report.converted.cache);
    expect(scoped.report.converted.net).toBeLessThan(all.report.converted.net!);
  });

  it('plans each kind as scaffold, units callees first, the rest; retire last', () => {
    const one = planConversion(program, root, { spec, kinds: [], all: true });
    const det = analyzeDetailed(program, root, { spec });
    const kinds = kindPlans(spec);
    const units = planUnits(det, kinds, one.report);
    const names = units.get('cache')!.map((u) => u.names.join(','));
    expect(names.indexOf('cache_of')).toBeLessThan(names.indexOf('cache_sum'));
    expect(units.get('cache')!.find((u) => u.names[0] === 'cache_move')!.retyped).toEqual(['cache_move(): blob: Blob -> obj: CacheObj']);
    const steps = seriesSteps(kinds, units, true);
    expect(steps.map((s) => s.role).join(' ')).toMatch(/^scaffold (convert )+rest scaffold (convert )+rest retire$/);
    // Cumulative: the cache kind is unrestricted once the net kind starts.
    const netFirst = steps.find((s) => s.kind === 'net' && s.role === 'convert')!;
    expect(netFirst.kinds).toEqual(['cache', 'net']);
    expect(Object.keys(netFirst.scope)).toEqual(['net']);
  });

  it('never commits a failing step: it is carried by the next one that passes; empty steps are dropped', () => {
    const tree = (empty: boolean): StepTree => ({ empty } as StepTree);
    const trees = [tree(false), tree(false), tree(true), tree(false), tree(false), tree(false)];
    const bad = new Map([[1, 'does not type-check'], [3, 'does not verify'], [5, 'does not verify']]);
    const g = groupCommits(trees, (_t, i) => bad.get(i));
    expect(g.groups.map((x) => x.indices)).toEqual([[0], [1, 3, 4]]);
    expect(g.groups[1]!.carried).toEqual([{ index: 1, reason: 'does not type-check' }, { index: 3, reason: 'does not verify' }]);
    expect(g.empty).toEqual([2]);
    expect(g.leftover).toEqual([{ index: 5, reason: 'does not verify' }]);
  });

  it('the tip (whole verification plan) is the last tree that changes something and type-checks, not an empty last step', () => {
    const tree = (empty: boolean, ok = true): StepTree => ({ empty, typecheck: { ok } } as StepTree);
    // series ptdesc: the last steps (pmd_lockptr, rest ptdesc) change nothing.
    expect(lastCommittable([tree(false), tree(false), tree(true), tree(true)])).toBe(1);
    expect(lastCommittable([tree(false), tree(false, false), tree(true)])).toBe(0);
    expect(lastCommittable([tree(false), tree(false)])).toBe(1);
    expect(lastCommittable([tree(true)])).toBe(-1);
  });
});
