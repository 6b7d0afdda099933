/**
 * Slab leaves struct page on a copy of the corpus, with no test hook: after `convert --all
 * --write`, `audit slab` is clean (the CPU slab compared by pfn, object_err() printing the first
 * struct page by pfn) and names a planted descriptor address taken for a page's; `separate slab
 * --write` follows slab's allocation through alloc_slab_page() and its free in __free_slab(),
 * a second run changes nothing, and `verify --against` the stage-1 copy passes: placement
 * preserved (digests equal), and in real placement, where struct slab's own cache is created
 * with the first slab at boot and describes itself, every check and invariant after every
 * operation. Then ptdesc and zpdesc on top. One converted copy, slab and mixed x 1 seed; all
 * workloads x 16 seeds are run by hand (docs/stage2.md).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stage1Tree, type Stage1Tree } from './stage1Tree.ts';

let t: Stage1Tree;
let stage1: string;
let tree: string;

function memdesc(args: string[]) {
  return t.memdesc(args);
}

function git(cwd: string, args: string[]) {
  t.git(cwd, args);
}

interface VerifyReport {
  ok: boolean;
  pairs: number;
  mismatches: unknown[];
  layouts?: { candidate: { descriptors: string[] }; checks?: { ok: boolean; runs: number; placement: string; invariants: boolean } };
}

function verify(workloads: string): VerifyReport {
  const v = memdesc(['verify', tree, '--against', stage1, '--workloads', workloads, '--seeds', '1', '--ops', '600', '--json']);
  expect(v.status, v.stdout.slice(0, 3000) + v.stderr).toBe(0);
  return JSON.parse(v.stdout) as VerifyReport;
}

beforeAll(async () => {
  t = await stage1Tree('memdesc-separate-slab-', { git: true });
  ({ stage1, tree } = t);
}, 300_000);
afterAll(() => t?.cleanup());

describe('stage 2 on the corpus: slab', () => {
  it('after convert --all, audit slab is clean (exit 0)', () => {
    const r = memdesc(['audit', 'slab', tree, '--json']);
    expect(r.status, r.stdout.slice(0, 3000) + r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { summary: { byKind: Record<string, number> } }).summary.byKind).toEqual({ slab: 0 });
  }, 120_000);

  it('the audit names a struct slab address taken for its page\'s, planted where the CPU slab is recorded', () => {
    const f = join(tree, 'mm/slub.ts');
    const text = readFileSync(f, 'utf8');
    const stale = text.replace('  s.cpu_slab_pfn = page_to_pfn(page);', '  s.cpu_slab_pfn = page_to_pfn(page);\n  s.cpu_base = slab.addr;');
    expect(stale).not.toBe(text);
    try {
      writeFileSync(f, stale);
      const r = memdesc(['audit', 'slab', tree, '--json']);
      expect(r.status).toBe(1);
      const audit = JSON.parse(r.stdout) as { blockers: Array<{ file: string; function: string | null; reason: string }> };
      expect(audit.blockers).toContainEqual(expect.objectContaining({ file: 'mm/slub.ts', function: 'set_cpu_slab', reason: 'shared-address' }));
    } finally {
      writeFileSync(f, text);
    }
  }, 120_000);

  it('separate slab --write follows the allocation through alloc_slab_page(); a second run changes nothing; verify passes in both placements', () => {
    const s = memdesc(['separate', 'slab', tree, '--write']);
    expect(s.status, s.stdout + s.stderr).toBe(0);
    expect(s.stdout).not.toContain('audit blockers skipped');
    expect(s.stdout).toMatch(/allocates with its descriptor: mm\/slub\.ts:\d+ allocate_slab\(\) via alloc_slab_page\(\)/);
    expect(s.stdout).toMatch(/frees with its descriptor: mm\/slub\.ts:\d+ __free_slab\(\)/);
    expect(existsSync(join(tree, 'mm/slab_memdesc.ts'))).toBe(true);
    const slub = readFileSync(join(tree, 'mm/slub.ts'), 'utf8');
    // Rewritten inside the helper; the self-described slabs of struct slab's cache keep theirs.
    expect(slub).toMatch(/function alloc_slab_page\([^]*?const page = slab_alloc_pages\(flags, order\);/);
    expect(slub).toMatch(/function alloc_slab_desc_page\([^]*?const page = alloc_pages\(flags, order\);/);
    git(tree, ['add', '-A']);
    git(tree, ['commit', '-q', '-m', 'slab separated']);
    const again = memdesc(['separate', 'slab', tree, '--write']);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toContain('slab: already separated');

    const report = verify('slab,mixed');
    expect(report.ok).toBe(true);
    expect(report.pairs).toBe(2);
    expect(report.mismatches).toEqual([]);
    expect(report.layouts?.candidate.descriptors).toContain('slab');
    expect(report.layouts?.checks).toMatchObject({ ok: true, runs: 2, placement: 'real', invariants: true });
  }, 600_000);

  it('ptdesc and zpdesc separate on top of it, and the three verify together', () => {
    const s = memdesc(['separate', 'ptdesc', 'zpdesc', 'slab', tree, '--write']);
    expect(s.status, s.stdout + s.stderr).toBe(0);
    expect(s.stdout).toContain('slab: already separated');
    const st = memdesc(['status', tree, '--json']);
    expect(st.status, st.stderr).toBe(0);
    expect((JSON.parse(st.stdout) as { stage2: Record<string, string> }).stage2).toMatchObject({ slab: 'separated', ptdesc: 'separated', zpdesc: 'separated' });
    const report = verify('mixed');
    expect(report.ok).toBe(true);
    expect(report.layouts?.candidate.descriptors).toEqual(expect.arrayContaining(['slab', 'ptdesc']));
  }, 600_000);
});
