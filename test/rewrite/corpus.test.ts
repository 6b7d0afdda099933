/**
 * The corpus: `convert --all --write` on a temp copy leaves no raw access of any kind but the
 * sites it lists, type-checks, a second run changes nothing, and the simulation prints the
 * same digest as the original corpus.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { analyzePath } from '../../src/analyzers/analyze.ts';
import { builtinSpec } from '../../src/model/builtin.ts';
import { BUNDLED_CORPUS } from '../../src/paths.ts';
import { runConvert, type RunResult } from '../../src/rewrite/driver.ts';
import { runCorpusCaptured } from '../../src/simulate/runCorpus.ts';
import { copyTree } from './helpers.ts';

const spec = builtinSpec();

function digest(dir: string, workload: string): string {
  const r = runCorpusCaptured(dir, { workload, seed: '1', ops: '2000' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return /digest: ([0-9a-f]+)/.exec(r.stdout)?.[1] ?? `no digest: ${r.stdout.slice(-200)}`;
}

describe('convert --all on a copy of the corpus', () => {
  let dir: string;
  let r: RunResult;

  beforeAll(() => {
    dir = copyTree(BUNDLED_CORPUS, { runnable: true });
    r = runConvert({ path: dir, spec, kinds: [], all: true, write: true });
  }, 120_000);

  it('creates the descriptor types where the spec places them', () => {
    const created = r.plan.report.created.join('\n');
    expect(created).toContain('Slab in mm/slab.ts');
    expect(created).toContain('Ptdesc in include/linux/mm_types.ts');
    expect(created).toContain('Zpdesc in mm/zpdesc.ts');
    expect(created).toContain('virt_to_ptdesc, ptdesc_address in include/linux/mm.ts');
    expect(readFileSync(join(dir, 'include/linux/mm_types.ts'), 'utf8')).toContain("TABLE_MATCH(PAGE_LRU_OFFSET, PTDESC_PT_LIST_OFFSET, 'lru, pt_list');");
    expect(r.plan.report.functions.some((f) => f.function === 'ptlock_alloc' && f.change === 'page: Page -> ptdesc: Ptdesc')).toBe(true);
  });

  it('leaves raw accesses only where it says why', () => {
    const a = analyzePath(dir, { spec });
    const raw = a.findings.filter((f) => !f.converted);
    const listed = new Set(r.plan.report.skipped.map((s) => `${s.kind} ${s.field}`));
    for (const f of raw) expect(listed.has(`${f.kind} ${f.field}`)).toBe(true);
    // Every kind is fully converted; only the generic (unknown) sites stay raw.
    for (const k of spec.kinds.map((x) => x.name)) expect(raw.filter((f) => f.kind === k)).toEqual([]);
    // __init_single_page() initialises the list head of every page at boot, before it has a kind
    // (the generic readers read a page's own words through the layout: page_own_word()).
    expect(raw.map((f) => f.function).sort()).toEqual(['__init_single_page']);
    // lru stays in struct page: __init_single_page() (generic, above) still initialises every page's list head.
    expect(r.plan.report.retired.members).toContain('Page.private');
    expect(r.plan.report.retired.members).not.toContain('Page.lru');
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
  }, 60_000);

  it('the simulation prints the same digests', () => {
    for (const w of ['mixed', 'slab']) expect(digest(dir, w)).toBe(digest(BUNDLED_CORPUS, w));
  }, 120_000);
});
