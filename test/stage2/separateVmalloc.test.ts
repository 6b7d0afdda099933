/**
 * vmalloc's stage 2 on the corpus, no test hook, on the run's shared trees (test/stage2/trees.ts;
 * the chain itself, its audit, second run, status and all-workload verify: separateAll.test.ts):
 * after `convert --all --write` the pages array is stored through vm_area_set_page(), which takes
 * the page, so the audit is clean and `separate --all --write` embeds Vmdesc in the page's memdesc
 * word: vmalloc pages are misc words of subtype MEMDESC_MISC_VMALLOC (the 2025 table) whose data
 * bits hold the owning vm_struct, so no descriptor is allocated. `verify --against` the stage-1
 * tree passes on the vmalloc workload x 1 seed (placement preserved, then the real placement's
 * checks, where its pages carry the misc word); all 7 workloads x 16 seeds were run by hand
 * (docs/stage2.md). The negative twins, on copies of the stage-1 tree: the stale store of a
 * descriptor's address as the page's is named by the audit and refused by separate; a Vmdesc of
 * two words does not fit the word (exit 2, nothing written).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinSpec } from '../../src/model/builtin.ts';
import { auditPath } from '../../src/stage2/audit.ts';
import { runMain } from '../inProcess.ts';
import { kindSection, stage1Corpus, stage2Corpus, variant, type SharedTree } from './trees.ts';

let base: string;
let stage1: string;
let stage2: SharedTree;

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), 'memdesc-separate-vmalloc-'));
  stage1 = await stage1Corpus();
  stage2 = await stage2Corpus();
}, 600_000);
afterAll(() => { if (base) rmSync(base, { recursive: true, force: true }); });

describe('stage 2 on the corpus: vmalloc', () => {
  it('the stale store of the descriptor\'s address as the page\'s is a blocker: audit names it, separate refuses', async () => {
    const dir = variant(stage1, join(base, 'stale'), 'mm/vmalloc.ts', (t) => t.replace('vm_area_set_page(area, i, page);', 'write64(pages + i * 8, page_vmdesc(page).addr);'));
    const audit = auditPath(dir, { spec: builtinSpec(), kinds: ['vmalloc'] });
    expect(audit.blockers).toEqual([expect.objectContaining({ file: 'mm/vmalloc.ts', function: '__vmalloc_area_node', reason: 'shared-address' })]);
    const s = await runMain(['separate', 'vmalloc', dir, '--write']);
    expect(s.status).toBe(1);
    expect(s.stderr).toMatch(/vmalloc has 1 audit blocker .*nothing was written/);
    expect(existsSync(join(dir, 'include/linux/vmalloc_memdesc.ts'))).toBe(false);
  }, 180_000);

  it('a Vmdesc of two words does not fit the misc word: exit 2, nothing written', async () => {
    const dir = variant(stage1, join(base, 'two-words'), 'include/linux/vmalloc.ts', (t) => t
      .replace('const VMDESC_VM_OFFSET = 40;', 'const VMDESC_VM_OFFSET = 40;\nconst VMDESC_X_OFFSET = 48;')
      .replace(/(\n  set vm\(v: number\) \{\n[^}]*\}\n)/, '$1  get x(): number {\n    return read64(this.addr + VMDESC_X_OFFSET);\n  }\n'));
    const before = readFileSync(join(dir, 'include/linux/vmalloc.ts'), 'utf8');
    const s = await runMain(['separate', 'vmalloc', dir, '--write']);
    expect(s.status, s.stderr).toBe(2);
    expect(s.stderr).toMatch(/Vmdesc's fields \(vm, x\) are 2 words; a misc memdesc word \(MEMDESC_MISC_VMALLOC\) embeds one pointer/);
    expect(s.stderr.trim().split('\n')).toHaveLength(1);
    expect(readFileSync(join(dir, 'include/linux/vmalloc.ts'), 'utf8')).toBe(before);
    expect(existsSync(join(dir, 'include/linux/vmalloc_memdesc.ts'))).toBe(false);
  }, 180_000);

  it('separate embeds Vmdesc in the misc word; its allocation and free (not vmap()ed pages\') follow', () => {
    const out = kindSection(stage2.stdout, 'vmalloc');
    expect(out).toContain('vmalloc: no descriptor to allocate: vm embedded in the memdesc word (misc, MEMDESC_MISC_VMALLOC)');
    expect(out).toMatch(/allocates with its descriptor: mm\/vmalloc\.ts:\d+ __vmalloc_area_node\(\)/);
    expect(out.match(/frees with its descriptor: /g)).toHaveLength(1);
    expect(out).toMatch(/frees with its descriptor: mm\/vmalloc\.ts:\d+ __vunmap\(\)/);
    const tree = stage2.dir;
    const mod = readFileSync(join(tree, 'include/linux/vmalloc_memdesc.ts'), 'utf8');
    expect(mod).toContain('return page && new Vmdesc(memdesc_vmalloc(page));');
    expect(mod).toContain('alloc_pages_memdesc(gfp, order, memdesc_misc(MEMDESC_MISC_VMALLOC, order))');
    const cls = readFileSync(join(tree, 'include/linux/vmalloc.ts'), 'utf8');
    expect(cls).toContain('const VMDESC_VM_OFFSET = 0;');
    expect(cls).toContain('return memdesc_misc_data(read64(this.addr + VMDESC_VM_OFFSET));');
    expect(cls).not.toContain('VMDESC_MATCH');
    expect(cls).not.toContain('PAGE_PRIVATE_OFFSET');
    // vmap()ed pages handed over with VM_MAP_PUT_PAGES are the caller's: still a plain free.
    const vm = readFileSync(join(tree, 'mm/vmalloc.ts'), 'utf8');
    expect(vm).toMatch(/if \(!own\) \{[^}]*__free_pages\(page, 0\);/);
    expect(vm).toContain('vmalloc_free_pages(page, 0);');
  });

  it('verify --against the stage-1 tree on the vmalloc workload: identical with placement preserved, and the real placement passes its checks', async () => {
    // The run's verify cache may hold these runs already (separateAll runs every workload with the
    // same settings on the same trees): a cached run is the finished run of this very content.
    const r = await runMain(['verify', stage2.dir, '--against', stage1, '--workloads', 'vmalloc', '--seeds', '1', '--ops', '600', '--json']);
    expect(r.status, r.stdout.slice(-3000) + r.stderr).toBe(0);
    const v = JSON.parse(r.stdout) as {
      ok: boolean; pairs: number;
      layouts?: { maskedPairs?: number; candidate?: { descriptors: string[] }; checks?: { placement: string; invariants: boolean; runs: number; ok: boolean } };
    };
    expect(v.ok).toBe(true);
    expect(v.pairs).toBe(1);
    // Its pages carried the misc word in the run (the other kinds' descriptors beside it).
    expect(v.layouts?.candidate?.descriptors).toContain('misc:vmalloc');
    expect(v.layouts?.maskedPairs).toBe(1);
    expect(v.layouts?.checks).toMatchObject({ placement: 'real', invariants: true, runs: 1, ok: true });
  }, 300_000);
});
