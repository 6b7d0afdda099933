/**
 * Folio's separation on a copy of the corpus (issue 14), cheap: one converted copy, then
 * `separate folio --write` (no test hook): the tag of its one allocation site (`alloc_page_vma()`)
 * decided from the code (anon: its pages reach the store of PAGE_MAPPING_ANON into the mapping that
 * PageAnon() tests, in `__page_set_anon_rmap()`), the descriptor with
 * the folio's counts in its header, `page_folio()` reading the word, `PageAnon()` asking for a
 * folio's word before it reads the descriptor; a second run changes nothing; `verify --against`
 * the stage-1 copy passes on mm and mixed x 1 seed (placement preserved: identical; real
 * placement: the content, debug and memdesc checks after every operation). The negative twin:
 * without the type test's guard, PageAnon() of a page of another kind (kpageflags walks them
 * all) reads a folio that is not there and the simulation fails. 7 workloads x 16 seeds were run
 * by hand (docs/stage2.md, "Folio on the corpus"). The stage-1 tree is the run's shared one
 * (test/stage1.ts: the CLI's convert --all --write).
 */
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stage1Tree, type Stage1Tree } from './stage1Tree.ts';

let t: Stage1Tree;
let base: string;
let stage1: string;
let tree: string;

function memdesc(args: string[]) {
  return t.memdesc(args);
}

beforeAll(async () => {
  t = await stage1Tree('memdesc-separate-folio-', { git: true });
  ({ base, stage1, tree } = t);
}, 300_000);
afterAll(() => t?.cleanup());

describe('stage 2 on the corpus: folio', () => {
  it('separate folio --write: the anon tag decided at alloc_page_vma(), the counts in the descriptor, PageAnon() guarded; a second run changes nothing', () => {
    const s = memdesc(['separate', 'folio', tree, '--write', '--json']);
    expect(s.status, s.stdout.slice(0, 3000) + s.stderr).toBe(0);
    const out = JSON.parse(s.stdout) as { kinds: Array<{ kind: string; sites: { allocs: string[] }; layout: Array<{ field: string; offset: number }>; size: number }> };
    const folio = out.kinds.find((k) => k.kind === 'folio')!;
    expect(folio.sites.allocs).toEqual([expect.stringMatching(/^mm\/memory\.ts:\d+ alloc_page_vma\(\) \(anon\)$/)]);
    // After the back pointer and the folio's counts (MEMDESC_FOLIO_HEADER = 16).
    expect(folio.layout.map((l) => [l.field, l.offset])).toEqual([['lru', 16], ['mapping', 32], ['index', 40], ['private', 48]]);
    expect(folio.size).toBe(56);

    const mod = readFileSync(join(tree, 'include/linux/folio_memdesc.ts'), 'utf8');
    expect(mod).toContain('return page && new Folio(memdesc_folio(page));');
    expect(mod).toMatch(/export function folio_alloc_pages\(gfp: number, order: number, type: number\): Page \| null/);
    const memory = readFileSync(join(tree, 'mm/memory.ts'), 'utf8');
    expect(memory).toContain('return folio_alloc_pages(gfp, 0, MEMDESC_TYPE_ANON);');
    const flags = readFileSync(join(tree, 'include/linux/page-flags.ts'), 'utf8');
    expect(flags).toMatch(/export function PageAnon\(page: Page\): boolean \{\n\s*\/\/ Stage 2:[^\n]*\n\s*if \(!page_has_desc_type\(compound_head\(page\), MEMDESC_TYPE_ANON, MEMDESC_TYPE_FILE\)\) return false;/);
    expect(readFileSync(join(tree, 'include/linux/mm_types.ts'), 'utf8')).not.toContain('FOLIO_MATCH');

    const again = memdesc(['separate', 'folio', tree]);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout + again.stderr).toMatch(/nothing to change/);
  }, 300_000);

  it('verify --against the stage-1 copy passes on mm and mixed (identical with placement preserved; real placement checked)', () => {
    expect(existsSync(join(tree, 'include/linux/folio_memdesc.ts'))).toBe(true);
    const v = memdesc(['verify', tree, '--against', stage1, '--workloads', 'mm,mixed', '--seeds', '1', '--ops', '400', '--json']);
    expect(v.status, v.stdout.slice(0, 3000) + v.stderr).toBe(0);
    const report = JSON.parse(v.stdout) as { ok: boolean; pairs: number; mismatches: unknown[] };
    expect(report.ok).toBe(true);
    expect(report.pairs).toBe(2);
    expect(report.mismatches).toEqual([]);
    // The real placement allocated folio descriptors (the metadata report names them).
    const m = memdesc(['simulate', tree, '--workload', 'mm', '--seed', '1', '--ops', '400', '--report', 'metadata', '--json']);
    expect(m.status, m.stderr).toBe(0);
    expect(m.stdout).toMatch(/"folio"/);
  }, 600_000);

  it('a site one of whose uses stores no tag\'s bits is unknown: the plan refuses (exit 1), saying why, and writes nothing', () => {
    // Planted on a copy of the stage-1 tree: a page cache fill through the same allocator.
    const planted = join(base, 'planted');
    cpSync(stage1, planted, { recursive: true });
    const f = join(planted, 'mm/memory.ts');
    const before = readFileSync(f, 'utf8');
    writeFileSync(f, `${before}
/** Planted: a file page through the anonymous allocator. */
export function planted_file_fill(vma: VmAreaStruct): void {
  const page = alloc_page_vma(GFP_HIGHUSER_MOVABLE, vma, vma.vm_start);
  if (page) file_add_page(page);
}

function file_add_page(page: Page): void {
  put_page(page);
}
`);
    const r = memdesc(['separate', 'folio', planted]);
    expect(r.status, r.stdout.slice(0, 2000) + r.stderr).toBe(1);
    // The fill stores no anon bits, and the tree has no test for file (no page cache): unknown.
    expect(r.stderr).toMatch(/folio: 1 allocation site of unknown tag \(first: mm\/memory\.ts:\d+ unknown: the page reaches no store that makes a tag's test true \(anon: mapping & PAGE_MAPPING_ANON \(PageAnon\(\) at [^)]*\)\) in planted_file_fill\(\) at mm\/memory\.ts:\d+; elsewhere it reaches anon \([^;]*__page_set_anon_rmap\(\) at mm\/rmap\.ts:\d+[^;]*\); file: the tree has no type test that tells it [^;]*\); nothing was written/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(readFileSync(f, 'utf8')).toContain('planted_file_fill');
  }, 300_000);

  it('without the type test\'s guard, PageAnon() of another kind\'s page reads a folio that is not there', () => {
    const f = join(tree, 'include/linux/page-flags.ts');
    const text = readFileSync(f, 'utf8');
    const stale = text.replace(/\n\s*\/\/ Stage 2: only a page carrying[^\n]*\n\s*if \(!page_has_desc_type\([^\n]*\) return false;/, '');
    expect(stale).not.toBe(text);
    try {
      writeFileSync(f, stale);
      const r = memdesc(['simulate', tree, '--workload', 'mixed', '--seed', '1']);
      expect(r.status).toBe(1);
      expect(r.stdout + r.stderr).toMatch(/memdesc_file: page carries no memdesc|memdesc_file: memdesc type \d+/);
    } finally {
      writeFileSync(f, text);
    }
  }, 300_000);
});
