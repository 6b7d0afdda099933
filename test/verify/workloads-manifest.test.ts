/**
 * The corpus lists its own workloads (`sim/main.ts --manifest`), and verify plans from the tree's
 * manifest, not from memdesc's tables: a tree whose manifest differs gets its own figures, a
 * tree without one (an older revision) gets the fallback table, an invalid one is bad input.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makePlan, prepareTree, verifyTrees, VERIFY_OPS, type PreparedTree } from '../../src/verify/verify.ts';
import { renderVerifyText } from '../../src/verify/report-text.ts';
import { parseManifest } from '../../src/simulate/manifest.ts';
import { InputError } from '../../src/errors.ts';
import { SeriesVerifier } from '../../src/series/verifySteps.ts';

const CORPUS = join(import.meta.dirname, '..', '..', 'corpus');

let tmp: string;
let cacheDir: string;
const prepared: PreparedTree[] = [];

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'memdesc-manifest-test-'));
  cacheDir = join(tmp, 'cache');
});

afterAll(() => {
  for (const p of prepared) p.cleanup();
  rmSync(tmp, { recursive: true, force: true });
});

/** A copy of the corpus with textual changes in one file (each change must apply). */
function editedCopy(name: string, file: string, edits: Array<[string | RegExp, string]>): string {
  const dir = join(tmp, name);
  cpSync(CORPUS, dir, { recursive: true });
  const path = join(dir, file);
  let text = readFileSync(path, 'utf8');
  for (const [from, to] of edits) {
    const after = text.replace(from, to);
    expect(after, `${file} no longer contains ${String(from)}`).not.toBe(text);
    text = after;
  }
  writeFileSync(path, text);
  return dir;
}

/** A corpus whose manifest declares other verify figures, another default workload and one more layout line. */
let declaring: string | undefined;
function declaringCopy(): string {
  declaring ??= editedCopy('declares', 'sim/workloads/index.ts', [
    [/buddy: \{ verify_ops: \d+,/, 'buddy: { verify_ops: 37,'],
    [/slab: \{ verify_ops: \d+,/, 'slab: { verify_ops: 41,'],
    ["export const DEFAULT_WORKLOAD = 'mixed';", "export const DEFAULT_WORKLOAD = 'slab';"],
    ['export const LAYOUT_DEPENDENT: readonly LayoutDependentLine[] = [', "export const LAYOUT_DEPENDENT: readonly LayoutDependentLine[] = [\n  { report: 'slabinfo', line: 'memdesc_test', why: 'test' },"],
  ]);
  return declaring;
}

async function prepare(dir: string): Promise<PreparedTree> {
  const p = await prepareTree(dir, { cacheDir });
  prepared.push(p);
  return p;
}

describe('the corpus manifest', () => {
  it('lists every workload with its default and verify operation counts, the default workload and the layout-dependent lines', async () => {
    const t = await prepare(CORPUS);
    const m = t.manifest!;
    expect(m).toBeDefined();
    expect(t.workloads).toEqual(m.workloads.map((w) => w.name));
    expect(t.workloads).toEqual(expect.arrayContaining(['buddy', 'slab', 'mm', 'hwpoison', 'zswap', 'vmalloc', 'mixed']));
    expect(m.defaultWorkload).toBe('mixed');
    for (const w of m.workloads) {
      expect(w.defaultOps, w.name).toBeGreaterThan(0);
      expect(w.verifyOps, w.name).toBeGreaterThan(0);
      expect(w.verifyOps, `${w.name}: verify runs a shorter stretch than the default`).toBeLessThanOrEqual(w.defaultOps);
    }
    expect(m.layoutDependent).toEqual(expect.arrayContaining([
      expect.objectContaining({ report: 'metadata' }),
      expect.objectContaining({ report: 'meminfo', line: 'Memmap' }),
    ]));
    // The plan takes the tree's figures.
    const plan = makePlan(t, {});
    for (const w of m.workloads) expect(plan.ops[w.name], w.name).toBe(w.verifyOps);
    expect(plan.opsSource).toBe('manifest');
  });

  it("verify plans from the tree's own manifest: a tree that declares other figures and lines gets them", async () => {
    const dir = declaringCopy();
    const t = await prepare(dir);
    expect(t.manifest!.defaultWorkload).toBe('slab');
    const plan = makePlan(t, { workloads: ['buddy', 'slab'] });
    expect(plan.ops).toEqual({ buddy: 37, slab: 41 });

    const report = await verifyTrees(dir, dir, { workloads: ['buddy', 'slab'], seeds: [1], cacheDir });
    expect(report.ok).toBe(true);
    expect(report.ops).toEqual({ buddy: 37, slab: 41 });
    expect(report.opsSource).toBe('manifest');
    expect(report.layoutDependent[0]).toEqual({ report: 'slabinfo', line: 'memdesc_test', why: 'test' });
    const text = renderVerifyText(report);
    expect(text).toMatch(/ops per run: buddy 37, slab 41\n/);
    expect(text).toMatch(/layout-dependent lines \(declared by the corpus\): slabinfo: memdesc_test; metadata \(whole report\); meminfo: Memmap/);
    // --ops still overrides the manifest.
    expect(makePlan(t, { workloads: ['buddy'], ops: 5 }).ops).toEqual({ buddy: 5 });
    expect(makePlan(t, { workloads: ['buddy'], ops: 'default' }).ops).toEqual({ buddy: undefined });
  });

  it("series checks each patch with the manifest's default workload at a quarter of its verify figure", async () => {
    const dir = declaringCopy();
    const v = new SeriesVerifier(dir, { seeds: [1], cacheDir, jobs: 1 });
    try {
      await v.init();
      const step = await v.verify(new Map(), false);
      expect(step.ok, step.first).toBe(true);
      expect(step.workloads).toEqual(['slab']);
      expect(step.ops).toEqual({ slab: 10 });
    } finally {
      v.cleanup();
    }
  });

  it('a tree without a manifest (main.ts predates --manifest) is planned from the fallback table', async () => {
    const dir = editedCopy('old', 'sim/main.ts', [["        manifest: { type: 'boolean', default: false },\n", '']]);
    const t = await prepare(dir);
    expect(t.manifest).toBeUndefined();
    // Its workloads come from probing the tree, as before.
    expect(t.workloads).toEqual(expect.arrayContaining(['buddy', 'slab', 'mixed']));
    expect(t.multiSeed).toBe(true);
    const plan = makePlan(t, {});
    for (const w of t.workloads) expect(plan.ops[w], w).toBe(VERIFY_OPS[w]);
    expect(plan.opsSource).toBe('fallback');

    const report = await verifyTrees(dir, dir, { workloads: ['buddy'], seeds: [1], ops: 50, cacheDir });
    expect(report.ok).toBe(true);
    expect(report.layoutDependent).toEqual([]);
    expect(renderVerifyText(report)).not.toMatch(/layout-dependent/);
  });

  it('a tree whose manifest is broken is bad input (InputError), not a silent fallback', async () => {
    const dir = editedCopy('broken', 'sim/workloads/index.ts', [[/default_ops: w\.defaultOps,/, "default_ops: 'many',"]]);
    await expect(prepareTree(dir, { cacheDir })).rejects.toThrow(/invalid manifest.*default_ops must be a non-negative integer/);
  });
});

describe('parseManifest', () => {
  const good = {
    manifest_version: 1,
    default_workload: 'a',
    workloads: [{ name: 'a', description: 'x', default_ops: 10, verify_ops: 5, cost_ms_per_op: 0.5 }, { name: 'b', description: '', default_ops: 3, verify_ops: 3 }],
    layout_dependent: [{ report: 'meminfo', line: 'Memmap', why: 'w' }, { report: 'metadata', why: 'm' }],
  };

  it('converts a valid manifest', () => {
    expect(parseManifest(good, 't')).toEqual({
      version: 1,
      defaultWorkload: 'a',
      workloads: [{ name: 'a', description: 'x', defaultOps: 10, verifyOps: 5, costPerOpMs: 0.5 }, { name: 'b', description: '', defaultOps: 3, verifyOps: 3 }],
      layoutDependent: [{ report: 'meminfo', line: 'Memmap', why: 'w' }, { report: 'metadata', why: 'm' }],
    });
  });

  it.each([
    ['not an object', [], /not a JSON object/],
    ['no workloads', { ...good, workloads: [] }, /workloads must be a non-empty array/],
    ['a workload twice', { ...good, workloads: [good.workloads[0], good.workloads[0]] }, /listed twice/],
    ['negative verify ops', { ...good, workloads: [{ ...good.workloads[0], verify_ops: -1 }] }, /verify_ops/],
    ['a default workload it does not list', { ...good, default_workload: 'z' }, /default_workload must name one of the workloads \(a, b\)/],
    ['a layout line without a report', { ...good, layout_dependent: [{ line: 'x' }] }, /layout_dependent\[0\]\.report/],
    ['a zero cost', { ...good, workloads: [{ ...good.workloads[0], cost_ms_per_op: 0 }] }, /cost_ms_per_op/],
  ])('rejects %s', (_what, json, message) => {
    expect(() => parseManifest(json, 't')).toThrow(InputError);
    expect(() => parseManifest(json, 't')).toThrow(message);
  });
});
