/**
 * Slab leaves struct page on the corpus, with no test hook, on the run's shared trees
 * (test/stage2/trees.ts; the chain itself, its audit, second run, status and all-workload verify:
 * separateAll.test.ts): after `convert --all --write` the audit of slab is clean (the CPU slab
 * compared by pfn, object_err() printing the first struct page by pfn) and names a planted
 * descriptor address taken for a page's; `separate --all --write` follows slab's allocation
 * through alloc_slab_page() and its free in __free_slab(), and `verify --against` the stage-1
 * tree passes on the slab workload x 1 seed: placement preserved (digests equal), and in real
 * placement, where struct slab's own cache is created with the first slab at boot and describes
 * itself, every check and invariant after every operation. All workloads x 16 seeds are run by
 * hand (docs/stage2.md).
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
  base = mkdtempSync(join(tmpdir(), 'memdesc-separate-slab-'));
  stage1 = await stage1Corpus();
  stage2 = await stage2Corpus();
}, 600_000);
afterAll(() => { if (base) rmSync(base, { recursive: true, force: true }); });

describe('stage 2 on the corpus: slab', () => {
  it('the audit names a struct slab address taken for its page\'s, planted where the CPU slab is recorded', () => {
    const dir = variant(stage1, join(base, 'stale'), 'mm/slub.ts', (t) => t.replace('  s.cpu_slab_pfn = page_to_pfn(page);', '  s.cpu_slab_pfn = page_to_pfn(page);\n  s.cpu_base = slab.addr;'));
    const audit = auditPath(dir, { spec: builtinSpec(), kinds: ['slab'] });
    expect(audit.blockers).toContainEqual(expect.objectContaining({ file: 'mm/slub.ts', function: 'set_cpu_slab', reason: 'shared-address' }));
  }, 180_000);

  it('separate follows the allocation through alloc_slab_page() and the free in __free_slab()', () => {
    const out = kindSection(stage2.stdout, 'slab');
    expect(out).toMatch(/^slab: descriptor of \d+ bytes/);
    // The site is the allocation alloc_slab_page() makes for allocate_slab() (named at the
    // helper or at its caller, as the plan reports it); the rewrite itself is checked below.
    expect(out).toMatch(/^ {2}allocates with its descriptor: mm\/slub\.ts:\d+ (allocate_slab\(\) via )?alloc_slab_page\(\)$/m);
    expect(out).toMatch(/frees with its descriptor: mm\/slub\.ts:\d+ __free_slab\(\)/);
    expect(existsSync(join(stage2.dir, 'mm/slab_memdesc.ts'))).toBe(true);
    const slub = readFileSync(join(stage2.dir, 'mm/slub.ts'), 'utf8');
    // Rewritten inside the helper; the self-described slabs of struct slab's cache keep theirs.
    expect(slub).toMatch(/function alloc_slab_page\([^]*?const page = slab_alloc_pages\(flags, order\);/);
    const desc = /function alloc_slab_desc_page\([^]*?\n\}\n/.exec(slub)?.[0] ?? '';
    expect(desc).toMatch(/const page = alloc_pages(_misc)?\(flags, order\);/);
    expect(desc).not.toContain('slab_alloc_pages');
  });

  it('verify --against the stage-1 tree on the slab workload passes in both placements', async () => {
    // The run's verify cache may hold these runs already (separateAll runs every workload with the
    // same settings on the same trees): a cached run is the finished run of this very content.
    const r = await runMain(['verify', stage2.dir, '--against', stage1, '--workloads', 'slab', '--seeds', '1', '--ops', '600', '--json']);
    expect(r.status, r.stdout.slice(0, 3000) + r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as {
      ok: boolean; pairs: number; mismatches: unknown[];
      layouts?: { candidate: { descriptors: string[] }; checks?: { ok: boolean; runs: number; placement: string; invariants: boolean } };
    };
    expect(report.ok).toBe(true);
    expect(report.pairs).toBe(1);
    expect(report.mismatches).toEqual([]);
    expect(report.layouts?.candidate.descriptors).toContain('slab');
    expect(report.layouts?.checks).toMatchObject({ ok: true, runs: 1, placement: 'real', invariants: true });
  }, 300_000);
});
