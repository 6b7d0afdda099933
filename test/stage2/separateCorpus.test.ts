/**
 * The stage-2 chain on a copy of the corpus, with no test hook: `convert --all --write`, then
 * `audit ptdesc` is clean (dump_page() prints a memdesc page's word and raw words, never its
 * mapping and index, and the audit sees its `PageMemdesc()` test), `separate ptdesc --write`
 * passes the gate, and `verify --against` the stage-1 copy proves the separated tree unchanged
 * (placement preserved: digests equal; real placement: the content, debug and memdesc checks
 * after every operation) on the workloads that exercise the kind, one seed each; then zpdesc on
 * top of it (soft offline's migration followed). All 7 x 16 are run by hand (docs/stage2.md).
 * The stage-1 tree is the run's shared one (test/stage1.ts: the CLI's convert --all --write).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stage1Tree, type Stage1Tree } from './stage1Tree.ts';

let t: Stage1Tree;
let stage1: string;
let tree: string;
let env: NodeJS.ProcessEnv;

function memdesc(args: string[]) {
  return t.memdesc(args);
}

function git(cwd: string, args: string[]) {
  t.git(cwd, args);
}

beforeAll(async () => {
  t = await stage1Tree('memdesc-separate-corpus-', { git: true });
  ({ stage1, tree, env } = t);
}, 300_000);
afterAll(() => t?.cleanup());

describe('stage 2 on the corpus: ptdesc', () => {
  it('after convert --all, audit ptdesc is clean (exit 0)', () => {
    const r = memdesc(['audit', 'ptdesc', tree, '--json']);
    expect(r.status, r.stdout.slice(0, 3000) + r.stderr).toBe(0);
    const audit = JSON.parse(r.stdout) as { summary: { byKind: Record<string, number> } };
    expect(audit.summary.byKind).toEqual({ ptdesc: 0 });
  }, 120_000);

  it('the audit still names a read of a ptdesc word in dump_page() once the PageMemdesc() test is gone', () => {
    // The negative twin: without the test, a printer reading a word by member (lru.next: w1, the
    // memdesc word, pt_list's) reads it on page-table pages. (The corpus's printer reads index
    // through the layout, page_own_word(), a read the audit names too on pages a kind reaches
    // (test/stage2/audit.test.ts plants one); convert retires Page.index once nothing names it.)
    const f = join(tree, 'include/linux/mmdebug.ts');
    const r0 = spawnSync('git', ['show', 'HEAD:include/linux/mmdebug.ts'], { cwd: tree, encoding: 'utf8', env });
    const text = r0.stdout;
    const stale = text.replace(/\n\s*if \(PageMemdesc\(page\) \|\| PageMemdesc\(head\)\) return dump_memdesc_page\(page, reason\);/, '')
      .replace("page_own_word(page, 'index')", 'page.lru.next');
    expect(stale).not.toBe(text);
    expect(stale).toContain('page.lru.next.toString(16)');
    try {
      writeFileSync(f, stale);
      const r = memdesc(['audit', 'ptdesc', tree, '--json']);
      expect(r.status).toBe(1);
      const audit = JSON.parse(r.stdout) as { blockers: Array<{ file: string; function: string | null; field: string | null; reason: string }> };
      expect(audit.blockers).toContainEqual(expect.objectContaining({ file: 'include/linux/mmdebug.ts', function: 'dump_page', field: 'lru', reason: 'memdesc-word-read' }));
    } finally {
      writeFileSync(f, text);
    }
  }, 120_000);

  it('separate ptdesc --write passes the gate without the test hook, and verify --against the stage-1 copy passes', () => {
    const s = memdesc(['separate', 'ptdesc', tree, '--write']);
    expect(s.status, s.stdout + s.stderr).toBe(0);
    expect(s.stdout).not.toContain('audit blockers skipped');
    expect(existsSync(join(tree, 'include/linux/ptdesc_memdesc.ts'))).toBe(true);
    const v = memdesc(['verify', tree, '--against', stage1, '--workloads', 'mm,hwpoison,mixed', '--seeds', '1', '--ops', '400', '--json']);
    expect(v.status, v.stdout.slice(0, 3000) + v.stderr).toBe(0);
    const report = JSON.parse(v.stdout) as { ok: boolean; pairs: number; mismatches: unknown[] };
    expect(report.ok).toBe(true);
    expect(report.pairs).toBe(3);
    expect(report.mismatches).toEqual([]);
  }, 600_000);
});

describe('stage 2 on the corpus: zpdesc after ptdesc', () => {
  it('audit zpdesc is clean; separate zpdesc --write follows soft offline (the migration target allocated with its descriptor, the old page released with it) and verifies', () => {
    const a = memdesc(['audit', 'zpdesc', tree]);
    expect(a.status, a.stdout.slice(0, 3000) + a.stderr).toBe(0);
    git(tree, ['add', '-A']);
    git(tree, ['commit', '-q', '-m', 'ptdesc separated']);
    const s = memdesc(['separate', 'zpdesc', tree, '--write']);
    expect(s.status, s.stdout + s.stderr).toBe(0);
    expect(s.stdout).toMatch(/allocates with its descriptor: mm\/memory-failure\.ts:\d+ soft_offline_page\(\)/);
    expect(s.stdout).toMatch(/frees with its descriptor: mm\/zsmalloc\.ts:\d+ zs_page_migrate\(\)/);
    // hwpoison soft-offlines zsmalloc pages (their objects migrated and checked); zswap fills zsmalloc.
    const v = memdesc(['verify', tree, '--against', stage1, '--workloads', 'hwpoison,zswap', '--seeds', '1', '--ops', '400', '--json']);
    expect(v.status, v.stdout.slice(0, 3000) + v.stderr).toBe(0);
    const report = JSON.parse(v.stdout) as { ok: boolean; pairs: number; mismatches: unknown[] };
    expect(report.ok).toBe(true);
    expect(report.pairs).toBe(2);
  }, 600_000);
});
