/**
 * Folio's separation on the corpus (issue 14), on the run's shared trees (test/stage2/trees.ts;
 * the chain itself, its audit, second run, status and all-workload verify: separateAll.test.ts):
 * `separate --all --write` (no test hook) decides the tag of folio's one allocation site
 * (`alloc_page_vma()`) from the code (anon: its pages reach the store of PAGE_MAPPING_ANON into
 * the mapping that PageAnon() tests, in `__page_set_anon_rmap()`), writes the descriptor with the
 * folio's counts in its header, `page_folio()` reading the word, `PageAnon()` asking for a folio's
 * word before it reads the descriptor; `verify --against` the stage-1 tree passes on mm x 1 seed
 * (placement preserved: identical; real placement: the content, debug and memdesc checks after
 * every operation), whose real placement allocates folio descriptors. The negative twins: a site
 * whose page reaches no tag's store is unknown (exit 1, nothing written); without the type test's
 * guard, PageAnon() of a page of another kind (kpageflags walks them all) reads a folio that is
 * not there and the simulation fails. 7 workloads x 16 seeds were run by hand (docs/stage2.md,
 * "Folio on the corpus").
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMain } from '../inProcess.ts';
import { cli, kindSection, stage1Corpus, stage2Corpus, variant, type SharedTree } from './trees.ts';

let base: string;
let stage1: string;
let stage2: SharedTree;

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), 'memdesc-separate-folio-'));
  stage1 = await stage1Corpus();
  stage2 = await stage2Corpus();
}, 600_000);
afterAll(() => { if (base) rmSync(base, { recursive: true, force: true }); });

describe('stage 2 on the corpus: folio', () => {
  it('separate: the anon tag decided at alloc_page_vma(), the counts in the descriptor, PageAnon() guarded', () => {
    const out = kindSection(stage2.stdout, 'folio');
    // After the back pointer and the folio's counts (MEMDESC_FOLIO_HEADER = 16).
    expect(out.split('\n')[0]).toBe('folio: descriptor of 56 bytes (lru@16, mapping@32, index@40, private@48)');
    const allocs = out.split('\n').filter((l) => l.includes('allocates with its descriptor: '));
    expect(allocs).toEqual([expect.stringMatching(/^ {2}allocates with its descriptor: mm\/memory\.ts:\d+ alloc_page_vma\(\) \(anon\)$/)]);

    const tree = stage2.dir;
    const mod = readFileSync(join(tree, 'include/linux/folio_memdesc.ts'), 'utf8');
    expect(mod).toContain('return page && new Folio(memdesc_folio(page));');
    expect(mod).toMatch(/export function folio_alloc_pages\(gfp: number, order: number, type: number\): Page \| null/);
    const memory = readFileSync(join(tree, 'mm/memory.ts'), 'utf8');
    expect(memory).toContain('return folio_alloc_pages(gfp, 0, MEMDESC_TYPE_ANON);');
    const flags = readFileSync(join(tree, 'include/linux/page-flags.ts'), 'utf8');
    expect(flags).toMatch(/export function PageAnon\(page: Page\): boolean \{\n\s*\/\/ Stage 2:[^\n]*\n\s*if \(!page_has_desc_type\(compound_head\(page\), MEMDESC_TYPE_ANON, MEMDESC_TYPE_FILE\)\) return false;/);
    expect(readFileSync(join(tree, 'include/linux/mm_types.ts'), 'utf8')).not.toContain('FOLIO_MATCH');
  });

  it('verify --against the stage-1 tree passes on mm (identical with placement preserved; real placement checked), folio descriptors allocated', async () => {
    // The run's verify cache may hold these runs already (separateAll and separateCorpus make them
    // with the same settings on the same trees): a cached run is the finished run of this content.
    const v = await runMain(['verify', stage2.dir, '--against', stage1, '--workloads', 'mm', '--seeds', '1', '--ops', '600', '--json']);
    expect(v.status, v.stdout.slice(0, 3000) + v.stderr).toBe(0);
    const report = JSON.parse(v.stdout) as { ok: boolean; pairs: number; mismatches: unknown[]; layouts?: { candidate: { descriptors: string[] }; checks?: { ok: boolean; runs: number } } };
    expect(report.ok).toBe(true);
    expect(report.pairs).toBe(1);
    expect(report.mismatches).toEqual([]);
    // The real placement allocated folio descriptors.
    expect(report.layouts?.candidate.descriptors).toContain('folio');
    expect(report.layouts?.checks).toMatchObject({ ok: true, runs: 1 });
  }, 300_000);

  it('a site one of whose uses stores no tag\'s bits is unknown: the plan refuses (exit 1), saying why, and writes nothing', async () => {
    // Planted on a copy of the stage-1 tree: a page cache fill through the same allocator.
    const planted = variant(stage1, join(base, 'planted'), 'mm/memory.ts', (before) => `${before}
/** Planted: a file page through the anonymous allocator. */
export function planted_file_fill(vma: VmAreaStruct): void {
  const page = alloc_page_vma(GFP_HIGHUSER_MOVABLE, vma, vma.vm_start);
  if (page) file_add_page(page);
}

function file_add_page(page: Page): void {
  put_page(page);
}
`);
    const f = join(planted, 'mm/memory.ts');
    const r = await runMain(['separate', 'folio', planted]);
    expect(r.status, r.stdout.slice(0, 2000) + r.stderr).toBe(1);
    // The fill stores no anon bits, and the tree has no test for file (no page cache): unknown.
    expect(r.stderr).toMatch(/folio: 1 allocation site of unknown tag \(first: mm\/memory\.ts:\d+ unknown: the page reaches no store that makes a tag's test true \(anon: mapping & PAGE_MAPPING_ANON \(PageAnon\(\) at [^)]*\)\) in planted_file_fill\(\) at mm\/memory\.ts:\d+; elsewhere it reaches anon \([^;]*__page_set_anon_rmap\(\) at mm\/rmap\.ts:\d+[^;]*\); file: the tree has no type test that tells it [^;]*\); nothing was written/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(readFileSync(f, 'utf8')).toContain('planted_file_fill');
  }, 300_000);

  it('without the type test\'s guard, PageAnon() of another kind\'s page reads a folio that is not there', () => {
    const dir = variant(stage2.dir, join(base, 'unguarded'), 'include/linux/page-flags.ts',
      (text) => text.replace(/\n\s*\/\/ Stage 2: only a page carrying[^\n]*\n\s*if \(!page_has_desc_type\([^\n]*\) return false;/, ''));
    // A child process: simulate hands the terminal to the simulation.
    const r = cli(['simulate', dir, '--workload', 'mixed', '--seed', '1']);
    expect(r.status).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/memdesc_file: page carries no memdesc|memdesc_file: memdesc type \d+/);
  }, 300_000);
});
