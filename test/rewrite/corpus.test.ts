/**
 * The corpus: `convert --all --write` on a temp copy leaves no raw access of any kind but the
 * sites it lists, type-checks, a second run changes nothing, and the simulation prints the
 * same digest as the original corpus. The conversion is the run's shared stage-1 tree
 * (test/stage1.ts: the CLI's `convert --all DIR --write --json` on a copy, with what it reported),
 * re-checked here on a copy of its own.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzePath } from '../../src/analyzers/analyze.ts';
import { builtinSpec } from '../../src/model/builtin.ts';
import { BUNDLED_CORPUS } from '../../src/paths.ts';
import { runConvert } from '../../src/rewrite/driver.ts';
import { runCorpusCaptured } from '../../src/simulate/runCorpus.ts';
import { copyOfStage1, stage1Conversion, type Stage1Conversion } from '../stage1.ts';

const spec = builtinSpec();

function digest(dir: string, workload: string): string {
  const r = runCorpusCaptured(dir, { workload, seed: '1', ops: '2000' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return /digest: ([0-9a-f]+)/.exec(r.stdout)?.[1] ?? `no digest: ${r.stdout.slice(-200)}`;
}

describe('convert --all on a copy of the corpus', () => {
  let tmp: string;
  let dir: string;
  let r: Stage1Conversion;

  beforeAll(async () => {
    r = await stage1Conversion();
    tmp = mkdtempSync(join(tmpdir(), 'memdesc-conv-'));
    dir = await copyOfStage1(join(tmp, 'corpus'));
  }, 300_000);
  afterAll(() => { if (tmp) rmSync(tmp, { recursive: true, force: true }); });

  it('the CLI wrote it, after its own checks', () => {
    expect(r).toMatchObject({ mode: 'write', written: true, checks: { typecheck: 'passed', secondRun: 'no-op' } });
    expect(r.files.length).toBeGreaterThan(0);
  });

  it('creates the descriptor types where the spec places them', () => {
    const created = r.report.created.join('\n');
    expect(created).toContain('Slab in mm/slab.ts');
    expect(created).toContain('Ptdesc in include/linux/mm_types.ts');
    expect(created).toContain('Zpdesc in mm/zpdesc.ts');
    expect(created).toContain('virt_to_ptdesc, ptdesc_address in include/linux/mm.ts');
    expect(readFileSync(join(dir, 'include/linux/mm_types.ts'), 'utf8')).toContain("TABLE_MATCH(PAGE_LRU_OFFSET, PTDESC_PT_LIST_OFFSET, 'lru, pt_list');");
    expect(r.report.functions.some((f) => f.function === 'ptlock_alloc' && f.change === 'page: Page -> ptdesc: Ptdesc')).toBe(true);
  });

  it('leaves raw accesses only where it says why', () => {
    const a = analyzePath(dir, { spec });
    const raw = a.findings.filter((f) => !f.converted);
    const listed = new Set(r.report.skipped.map((s) => `${s.kind} ${s.field}`));
    for (const f of raw) expect(listed.has(`${f.kind} ${f.field}`)).toBe(true);
    // Every kind is fully converted; only the generic (unknown) sites stay raw.
    for (const k of spec.kinds.map((x) => x.name)) expect(raw.filter((f) => f.kind === k)).toEqual([]);
    // __init_single_page() initialises the list head of every page at boot, before it has a kind
    // (the generic readers read a page's own words through the layout: page_own_word()).
    expect(raw.map((f) => f.function).sort()).toEqual(['__init_single_page']);
    // lru stays in struct page: __init_single_page() (generic, above) still initialises every page's list head.
    expect(r.report.retired.members).toContain('Page.private');
    expect(r.report.retired.members).not.toContain('Page.lru');
  });

  it('no page_ptdesc(page) repeated on consecutive lines', () => {
    const lines = r.diff.split('\n');
    const conv = /\b((?:page|virt_to)_(?:slab|ptdesc|zpdesc|vmdesc|folio))\((\w+)\)/g;
    let prev = new Set<string>();
    for (const l of lines) {
      const cur = new Set([...l.matchAll(conv)].map((m) => m[0]));
      if (l.startsWith('+')) for (const c of cur) expect(prev.has(c), `${c} on consecutive lines:\n${l}`).toBe(false);
      prev = l.startsWith('-') ? prev : cur;
    }
  });

  it('a second run is a no-op', () => {
    const again = runConvert({ path: dir, spec, kinds: [], all: true, write: true });
    expect(again.files).toEqual([]);
  }, 300_000);

  it('the simulation prints the same digests', () => {
    for (const w of ['mixed', 'slab']) expect(digest(dir, w)).toBe(digest(BUNDLED_CORPUS, w));
  }, 300_000);
});
