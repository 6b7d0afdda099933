/**
 * Verification across layouts (issue 14 item 5): a stage-2 tree against its stage-1 original,
 * with no extra flags. Until `memdesc separate` lands, the stage-2 tree is a copy of the corpus
 * whose boot turns on the dormant infrastructure by hand (slab_memdesc_init(): every cache
 * created afterwards gets separately allocated struct slabs from the 'slab' descriptor cache).
 *
 * (a) placement-preserving runs must be identical except the declared layout-dependent lines,
 * and a planted behaviour change must still be caught; (b) the real placement, checked after
 * every operation, must catch a planted stale write to the memdesc word. Runs are small (one or
 * two workloads, one seed, a few hundred operations); the full figures are in docs/verify.md. The
 * CLI runs in-process (the CLI's main(), test/inProcess.ts) but once, spawned, where its exit
 * code says the check failed.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyTrees } from '../../src/verify/verify.ts';
import { firstDivergence, layoutsDiffer, outcomeDifference, MEMMAP_DIFFERS } from '../../src/verify/compare.ts';
import type { RunOutcome, SeedLayout, TracedRun } from '../../src/verify/run.ts';
import { parseManifest } from '../../src/simulate/manifest.ts';
import { InputError } from '../../src/errors.ts';
import { withEnv } from '../env.ts';
import { runMain } from '../inProcess.ts';
import Ajv2020Package from 'ajv/dist/2020.js';

/** Errors of a report against docs/schemas/verify.schema.json (the published contract of --json). */
function schemaErrors(report: unknown): unknown[] {
  const ajv = new Ajv2020Package.default({ allErrors: true, strictTypes: true, allowUnionTypes: true, validateFormats: false });
  const validate = ajv.compile(JSON.parse(readFileSync(join(ROOT, 'docs', 'schemas', 'verify.schema.json'), 'utf8')) as object);
  return validate(JSON.parse(JSON.stringify(report))) ? [] : (validate.errors ?? []);
}

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'memdesc.mjs');
const CORPUS = join(ROOT, 'corpus');

let tmp: string;
let cacheDir: string;

/** Turn on separately allocated struct slabs at boot, after the kmalloc caches. */
const STAGE2_BOOT: Edit = {
  file: 'mm/slub.ts',
  from: '  create_kmalloc_caches(0);\n  slab_state = SlabState.FULL;\n}',
  to: '  create_kmalloc_caches(0);\n  slab_state = SlabState.FULL;\n  slab_memdesc_init();\n}',
};

interface Edit {
  file: string;
  from: string;
  to: string;
}

/** A copy of the corpus with textual edits (each must apply exactly once). */
function copyWith(name: string, ...edits: Edit[]): string {
  const dir = join(tmp, name);
  cpSync(CORPUS, dir, { recursive: true });
  for (const e of edits) {
    const path = join(dir, e.file);
    const before = readFileSync(path, 'utf8');
    expect(before.split(e.from).length - 1, `${e.file} must contain the planted site once`).toBe(1);
    writeFileSync(path, before.replace(e.from, e.to));
  }
  return dir;
}

/** `memdesc ...args` in this process, with the test's cache folder. */
async function memdesc(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return withEnv({ MEMDESC_CACHE_DIR: cacheDir }, () => runMain(args));
}

/** A spawned bin/memdesc.mjs. */
function spawned(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, MEMDESC_CACHE_DIR: cacheDir }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

const SMALL = { workloads: ['slab', 'mixed'], seeds: [1], ops: 600 } as const;

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'memdesc-layouts-'));
  cacheDir = join(tmp, 'cache');
});

afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

describe('verify across layouts', () => {
  it('a stage-2 tree (struct slabs from slab) is identical to the original placement-preserving, and its real placement passes every check', async () => {
    const stage2 = copyWith('stage2', STAGE2_BOOT);
    const r = await verifyTrees(stage2, CORPUS, { ...SMALL, seeds: [...SMALL.seeds], workloads: [...SMALL.workloads], cacheDir });
    expect(r.mismatches).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.layouts?.candidate).toMatchObject({ structPageBytes: 64, descriptors: ['slab'], stage2: true });
    expect(r.layouts?.reference).toMatchObject({ descriptors: [], stage2: false });
    expect(r.layouts?.placement).toBe('preserve');
    // Every pair ran with different layouts, so every pair was compared by the layout-blind digest.
    expect(r.layouts?.maskedPairs).toBe(r.pairs);
    expect(r.layouts?.checks).toMatchObject({ side: 'candidate', placement: 'real', invariants: true, runs: 2, ok: true, failures: [] });
    expect(r.layoutDependent.map((l) => l.line ?? l.report)).toEqual(['metadata', 'Memmap']);
    expect(schemaErrors(r)).toEqual([]);
  });

  it('the CLI needs no flag: it prints the layouts, the declared lines and the checks, exit 0', async () => {
    const stage2 = copyWith('stage2-cli', STAGE2_BOOT);
    const r = await memdesc('verify', stage2, '--against', CORPUS, '--workloads', 'slab', '--seeds', '1', '--ops', '400');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('layout-dependent lines (declared by the corpus): metadata (whole report); meminfo: Memmap');
    expect(r.stdout).toContain('layouts: candidate struct page 64 bytes, descriptors allocated separately: slab; reference struct page 64 bytes, no descriptor allocated separately');
    expect(r.stdout).toMatch(/identical: all 1 digests match \(1 by the layout-blind digest/);
    expect(r.stdout).toMatch(/checked: real placement of the candidate .*invariants checked after every operation\): all 1 runs passed/);
  });

  it('(a) still catches a behaviour change planted in the stage-2 code path (the last partial slab taken instead of the first)', async () => {
    const changed = copyWith('behaviour', STAGE2_BOOT, {
      file: 'mm/slub.ts',
      from: '  return slab_desc_list_page(n.partial.next);',
      to: '  return slab_desc_list_page(n.partial.prev);',
    });
    // The slab workload's own figure: partial lists grow long enough for the order to matter.
    const r = await verifyTrees(changed, CORPUS, { workloads: ['slab'], seeds: [1], ops: 8000, cacheDir });
    expect(r.ok).toBe(false);
    expect(r.mismatches.length).toBeGreaterThan(0);
    expect(r.first?.reason).toMatch(/layout-blind digests differ/);
    // The difference shown is the workload's own, never a declared layout-dependent line.
    expect(r.first?.divergence?.where).toBe('event');
    expect(`${r.first?.divergence?.candidate}`).not.toBe(`${r.first?.divergence?.reference}`);
  });

  it('(b) catches a stale write to the memdesc word that only the real placement executes (struct slab bootstrap pages)', async () => {
    // A stale page->lru initialisation on the pages of the struct slab cache itself (the RFC's
    // crash shape). Those slabs exist only in real placement (in the arena run the descriptor
    // cache has no slabs), so (a) cannot see it; the check after the operation must.
    const stale = copyWith('stale', STAGE2_BOOT, {
      file: 'mm/slub.ts',
      from: '  if (desc !== 0) slab_desc_attach(s, page, desc, first === 1);\n  return page;',
      to: '  if (desc !== 0) slab_desc_attach(s, page, desc, first === 1);\n  if (s === slab_desc_cache) INIT_LIST_HEAD(page.lru);\n  return page;',
    });
    const r = await verifyTrees(stale, CORPUS, { workloads: ['slab'], seeds: [1], ops: 400, cacheDir });
    expect(r.mismatches).toEqual([]);
    expect(r.ok).toBe(false);
    const checks = r.layouts!.checks!;
    expect(checks.ok).toBe(false);
    expect(checks.failures).toHaveLength(1);
    expect(checks.failures[0]!.reason).toMatch(/memdesc check failed after operation \d+: pfn 0x[0-9a-f]+: memdesc [0-9a-f]{16} is not a valid word/);
    // The dump names the clobbered word (a vmemmap address: the list head pointing at itself).
    expect(checks.failures[0]!.bug!.dump).toMatch(/memdesc ffffea[0-9a-f]+ type:\d+/);
    expect(schemaErrors(r)).toEqual([]);

    // The real process: exit 1 when the checks fail.
    const cli = await spawned('verify', stale, '--against', CORPUS, '--workloads', 'slab', '--seeds', '1', '--ops', '400');
    expect(cli.status).toBe(1);
    expect(cli.stdout).toContain('CHECKS FAILED: real placement of the candidate');
    expect(cli.stderr).toMatch(/verification failed: 1 of 1 real-placement runs of the candidate failed their checks/);
  });

  it('a shrunken struct page (56 bytes, by hand: memcg_data dropped) is identical placement-preserving, and its real placement passes every check', async () => {
    // What `memdesc shrink` does by itself (test/stage2/shrinkCorpus.test.ts): w7 (memcg_data) is never set in the
    // corpus, and the free-time check asks the layout for it (Page.OWN_WORDS): without the entry it skips it.
    const shrunk = copyWith('shrunk',
      { file: 'include/linux/mm_types.ts', from: 'export const STRUCT_PAGE_SIZE = 64;', to: 'export const STRUCT_PAGE_SIZE = 56;' },
      { file: 'include/linux/mm_types.ts', from: '    memcg_data: PAGE_MEMCG_OFFSET,\n', to: '' });
    const r = await verifyTrees(shrunk, CORPUS, { workloads: ['mixed'], seeds: [1], ops: 600, cacheDir });
    expect(r.mismatches).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.layouts?.candidate).toMatchObject({ structPageBytes: 56, descriptors: [], stage2: true });
    expect(r.layouts?.maskedPairs).toBe(1);
    expect(r.layouts?.checks).toMatchObject({ side: 'candidate', runs: 1, ok: true });
    // The memmap saving is handed to the allocator only in real placement: compared there, the
    // same tree differs (more free pages), which is why (a) runs placement-preserving.
    const real = await verifyTrees(shrunk, CORPUS, { workloads: ['mixed'], seeds: [1], ops: 600, cacheDir, placement: 'real', layoutChecks: false });
    expect(real.ok).toBe(false);
  });

  it('stage-1 trees verify exactly as before: full digests and memmaps, nothing about layouts, no extra runs', async () => {
    const same = copyWith('stage1');
    const r = await verifyTrees(same, CORPUS, { workloads: ['buddy'], seeds: [1], ops: 300, cacheDir });
    expect(r.ok).toBe(true);
    expect(r.layouts?.maskedPairs).toBe(0);
    expect(r.layouts?.checks).toBeUndefined();
    expect(r.layouts?.candidate.stage2).toBe(false);
    const cli = await memdesc('verify', same, '--against', CORPUS, '--workloads', 'buddy', '--seeds', '1', '--ops', '300');
    expect(cli.status).toBe(0);
    expect(cli.stdout).not.toMatch(/layouts:|placement:|layout-blind|checked:/);
    expect(cli.stdout).toContain('identical: all 1 digests match\n');
  });
});

describe('comparing runs of different layouts', () => {
  const stage1: SeedLayout = { struct_page_bytes: 64, descriptors: [] };
  const stage2: SeedLayout = { struct_page_bytes: 24, descriptors: ['slab', 'ptdesc'] };
  const run = (layout: SeedLayout | undefined, digest: string, layoutDigest: string | undefined, memmap: string): RunOutcome => ({
    seed: 1, status: 'ok', ms: 1,
    result: { workload: 'mixed', seed: 1, ram: 0, ops: 10, eventCount: 5, digest, memmap, bug: null, ...(layoutDigest ? { layoutDigest } : {}), ...(layout ? { layout } : {}) },
  });

  it('layouts differ by struct page size or by the set of separate descriptors, not by their order', () => {
    expect(layoutsDiffer(stage1, stage2)).toBe(true);
    expect(layoutsDiffer(stage2, { ...stage2, descriptors: ['ptdesc', 'slab'] })).toBe(false);
    expect(layoutsDiffer(stage1, { ...stage1, struct_page_bytes: 48 })).toBe(true);
    expect(layoutsDiffer(undefined, stage2)).toBe(false); // an older tree: nothing to mask by
  });

  it('a pair of different layouts is judged by the layout-blind digest alone; a pair of one layout as always', () => {
    expect(outcomeDifference(run(stage2, 'a', 'L', 'm1'), run(stage1, 'b', 'L', 'm2'))).toBeNull();
    expect(outcomeDifference(run(stage2, 'a', 'L1', 'm1'), run(stage1, 'a', 'L2', 'm1'))).toMatch(/layout-blind digests differ/);
    expect(outcomeDifference(run(stage1, 'a', 'L', 'm1'), run(stage1, 'a', 'L', 'm2'))).toBe(MEMMAP_DIFFERS);
    expect(outcomeDifference(run(stage1, 'a', 'L', 'm1'), run(stage1, 'b', 'L', 'm1'))).toMatch(/^digests differ/);
    // Without a layout-blind digest on both sides nothing is masked.
    expect(outcomeDifference(run(stage2, 'a', 'L', 'm1'), run(undefined, 'b', undefined, 'm1'))).toMatch(/^digests differ/);
  });

  it('the report diff skips exactly the declared lines (text lines, JSON keys, whole reports)', () => {
    const traced = (memmap: number, free: number, metadata: string): TracedRun => ({
      status: 'ok', events: ['boot: x', 'kmalloc: ptr=1'], bug: null,
      reports: { meminfo: { MemTotal: 100, Memmap: memmap, MemFree: free }, metadata, buddyinfo: `Node 0, zone Normal ${free}` },
    });
    const mask = [{ report: 'metadata', why: '' }, { report: 'meminfo', line: 'Memmap', why: '' }];
    expect(firstDivergence(traced(1024, 7, 'a'), traced(384, 7, 'b'), 10, mask).where).toBe('none');
    // Unmasked, the same pair differs at the Memmap line.
    expect(firstDivergence(traced(1024, 7, 'a'), traced(384, 7, 'b')).report).toBe('meminfo');
    // Every other line still counts.
    const d = firstDivergence(traced(1024, 7, 'a'), traced(384, 8, 'b'), 10, mask);
    expect(d).toMatchObject({ where: 'report', report: 'meminfo' });
    expect(d.candidate).toMatch(/MemFree/);
    const text = (memmap: number): TracedRun => ({ ...traced(0, 7, 'a'), reports: { meminfo: `MemTotal: 100 kB\nMemmap:  ${memmap} kB\nMemFree: 7 kB` } });
    expect(firstDivergence(text(1024), text(384), 10, mask).where).toBe('none');
  });

  it("the manifest's layout section is read, and a broken one is bad input", () => {
    const base = { manifest_version: 1, workloads: [{ name: 'w', default_ops: 1, verify_ops: 1 }] };
    expect(parseManifest({ ...base, layout: { struct_page_bytes: 64, placements: ['real', 'preserve'], default_placement: 'real', check: true } }, 't').layout)
      .toEqual({ structPageBytes: 64, placements: ['real', 'preserve'], check: true });
    expect(parseManifest(base, 't').layout).toBeUndefined();
    expect(() => parseManifest({ ...base, layout: { struct_page_bytes: 0, placements: [] } }, 't')).toThrow(InputError);
    expect(() => parseManifest({ ...base, layout: { struct_page_bytes: 64, placements: 'preserve' } }, 't')).toThrow(InputError);
    expect(() => parseManifest({ ...base, layout: 'stage 2' }, 't')).toThrow(InputError);
  });
});
