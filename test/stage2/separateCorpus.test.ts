/**
 * ptdesc and zpdesc leave struct page on the corpus, with no test hook, on the run's shared trees
 * (test/stage2/trees.ts; the chain itself, its audit, second run, status and all-workload verify:
 * separateAll.test.ts): after `convert --all --write` the audit of ptdesc is clean (dump_page()
 * prints a memdesc page's word and raw words, never its mapping and index, and the audit sees its
 * `PageMemdesc()` test: without the test it names the read, the negative twin below);
 * `separate --all --write` separates ptdesc first (its page-table allocations and frees through
 * the descriptor-aware helpers) and zpdesc after it (soft offline's migration followed), and
 * `verify --against` the stage-1 tree passes on the workloads that exercise them, 1 seed each:
 * mm (page tables of processes) and hwpoison (page-table pages poisoned; zsmalloc pages
 * soft-offlined, their objects migrated and checked). Placement preserved: digests equal; real
 * placement: the content, debug and memdesc checks after every operation. All 7 x 16 are run by
 * hand (docs/stage2.md).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
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
  base = mkdtempSync(join(tmpdir(), 'memdesc-separate-corpus-'));
  stage1 = await stage1Corpus();
  stage2 = await stage2Corpus();
}, 600_000);
afterAll(() => { if (base) rmSync(base, { recursive: true, force: true }); });

interface VerifyReport {
  ok: boolean; pairs: number; mismatches: unknown[];
  layouts?: { candidate: { descriptors: string[] }; checks?: { ok: boolean; runs: number; placement: string; invariants: boolean } };
}

/** verify of the shared stage-2 tree against the stage-1 tree, 1 seed (the run's cache may hold the runs: separateAll makes them too). */
async function verify(workload: string): Promise<VerifyReport> {
  const r = await runMain(['verify', stage2.dir, '--against', stage1, '--workloads', workload, '--seeds', '1', '--ops', '600', '--json']);
  expect(r.status, r.stdout.slice(0, 3000) + r.stderr).toBe(0);
  return JSON.parse(r.stdout) as VerifyReport;
}

describe('stage 2 on the corpus: ptdesc', () => {
  it('the audit still names a read of a ptdesc word in dump_page() once the PageMemdesc() test is gone', () => {
    // The negative twin: without the test, a printer reading a word by member (lru.next: w1, the
    // memdesc word, pt_list's) reads it on page-table pages. (The corpus's printer reads index
    // through the layout, page_own_word(), a read the audit names too on pages a kind reaches
    // (test/stage2/audit.test.ts plants one); convert retires Page.index once nothing names it.)
    const dir = variant(stage1, join(base, 'dump'), 'include/linux/mmdebug.ts', (text) => {
      const stale = text.replace(/\n\s*if \(PageMemdesc\(page\) \|\| PageMemdesc\(head\)\) return dump_memdesc_page\(page, reason\);/, '')
        .replace("page_own_word(page, 'index')", 'page.lru.next');
      expect(stale).toContain('page.lru.next.toString(16)');
      return stale;
    });
    const audit = auditPath(dir, { spec: builtinSpec(), kinds: ['ptdesc'] });
    expect(audit.blockers).toContainEqual(expect.objectContaining({ file: 'include/linux/mmdebug.ts', function: 'dump_page', field: 'lru', reason: 'memdesc-word-read' }));
  }, 180_000);

  it('separate moves Ptdesc to its own module, and verify against the stage-1 tree passes on mm', async () => {
    const out = kindSection(stage2.stdout, 'ptdesc');
    expect(out).toMatch(/^ptdesc: descriptor of \d+ bytes/);
    expect(out).toMatch(/allocates with its descriptor: arch\/x86\/mm\/pgtable\.ts:\d+ _pgd_alloc\(\)/);
    expect(out).toMatch(/frees with its descriptor: arch\/x86\/mm\/pgtable\.ts:\d+ _pgd_free\(\)/);
    expect(existsSync(join(stage2.dir, 'include/linux/ptdesc_memdesc.ts'))).toBe(true);
    const report = await verify('mm');
    expect(report.ok).toBe(true);
    expect(report.pairs).toBe(1);
    expect(report.mismatches).toEqual([]);
    expect(report.layouts?.candidate.descriptors).toContain('ptdesc');
    expect(report.layouts?.checks).toMatchObject({ ok: true, runs: 1, placement: 'real', invariants: true });
  }, 300_000);
});

describe('stage 2 on the corpus: zpdesc after ptdesc', () => {
  it('separate follows soft offline (the migration target allocated with its descriptor, the old page released with it), and verify passes on hwpoison', async () => {
    const out = kindSection(stage2.stdout, 'zpdesc');
    expect(out).toMatch(/^zpdesc: descriptor of \d+ bytes/);
    expect(out).toMatch(/allocates with its descriptor: mm\/memory-failure\.ts:\d+ soft_offline_page\(\)/);
    expect(out).toMatch(/frees with its descriptor: mm\/zsmalloc\.ts:\d+ zs_page_migrate\(\)/);
    // zpdesc came after ptdesc: separated on the tree ptdesc had left (the plan's order).
    expect(stage2.stdout.indexOf('zpdesc: ')).toBeGreaterThan(stage2.stdout.indexOf('ptdesc: '));
    const report = await verify('hwpoison');
    expect(report.ok).toBe(true);
    expect(report.pairs).toBe(1);
    expect(report.layouts?.candidate.descriptors).toEqual(expect.arrayContaining(['ptdesc', 'zpdesc']));
    expect(report.layouts?.checks).toMatchObject({ ok: true, runs: 1, placement: 'real', invariants: true });
  }, 300_000);
});
