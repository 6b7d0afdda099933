/**
 * One series on a copy of the corpus, both stages: `series ptdesc zpdesc vmalloc --stage 2`.
 * Stage 1: kernel-style subjects in kernel order, every commit verified by the series against the
 * base (mixed x 1 seed, few ops, coverage-selected), its last commit the one-shot conversion.
 * Stage 2 on top: every named kind whose audit is clean on that tip separated ("Allocate X from
 * slab", or "Embed X in the memdesc word"), the others listed in the cover letter with the reason
 * (the audit decides which: kinds left unconverted may still read a page's words), then the shrink when
 * something can go; the tip verified on the page-table, memory-failure and zsmalloc workloads in
 * both placements. `git am` reproduces the branch; the tip is the one-shot conversion followed by
 * separate and shrink; `status` reads the separation from the code. One series build serves every
 * claim (it is the expensive part). Independently re-checked here: the type-check of the first, a
 * middle and the last commit, and the simulation of a middle commit and the tip. The repository is
 * a copy in a dotted folder (`linux-5.10.y`, where TypeScript once read `"include": ["."]` as a
 * file pattern): the series there is test/cli/copies.test.ts's "series in a dotted git copy" too.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.ts';
import { builtinSpec } from '../../src/model/builtin.ts';
import { BUNDLED_CORPUS, PACKAGE_ROOT } from '../../src/paths.ts';
import { runConvert } from '../../src/rewrite/driver.ts';
import { buildSeries, type SeriesResult } from '../../src/series/series.ts';
import { verifyTrees } from '../../src/verify/verify.ts';
import { captureOutput } from '../capture.ts';
import { copyTree } from '../rewrite/helpers.ts';
import { amOnto, git, typeErrorsAt, useIsolatedGit } from './helpers.ts';

/** A git copy of the corpus (one commit) in a folder named like a kernel tree, node_modules linked in, untracked. */
function dottedRepo(): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'memdesc-series-')), 'linux-5.10.y');
  cpSync(BUNDLED_CORPUS, dir, { recursive: true });
  git(dir, 'init', '-q');
  symlinkSync(join(PACKAGE_ROOT, 'node_modules'), join(dir, 'node_modules'));
  writeFileSync(join(dir, '.git', 'info', 'exclude'), 'node_modules\n');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'base');
  return dir;
}

const spec = builtinSpec();
const OPS = 150;
const KINDS = ['ptdesc', 'zpdesc', 'vmalloc'];
type Verified = Extract<SeriesResult['commits'][number]['verification'], { workloads: string[] }>;

describe('series ptdesc zpdesc vmalloc --stage 2 on a copy of the corpus', () => {
  let repo: string;
  let out: string;
  let r: SeriesResult;
  let stage1: SeriesResult['commits'];
  let stage2: SeriesResult['commits'];
  useIsolatedGit({ name: 'Corpus Tester', email: 'corpus@example.org' });

  beforeAll(async () => {
    repo = dottedRepo();
    out = join(mkdtempSync(join(tmpdir(), 'memdesc-series-out-')), 'patches');
    r = await buildSeries({
      path: repo, spec, kinds: KINDS, stage: 2, out,
      // The tip: page tables (mm), memory failure on pages of every kind (hwpoison), zsmalloc (zswap), in both placements.
      verify: { seeds: [1], ops: OPS, tipSeeds: [1], tipOps: OPS, tipWorkloads: ['mm', 'hwpoison', 'zswap'] },
    });
    stage1 = r.commits.filter((c) => c.stage === 1);
    stage2 = r.commits.filter((c) => c.stage === 2);
  }, 1_800_000);

  it('creates each descriptor first, converts callees before callers, in the order of the kinds named', () => {
    const s = stage1.map((c) => c.subject);
    expect(r.branch).toBe('memdesc/ptdesc-zpdesc-vmalloc');
    expect(s[0]).toBe('mm: Create struct ptdesc');
    expect(s).toContain('mm: Convert ptlock_alloc() to use ptdescs');
    expect(s).toContain('x86/mm: Convert pgd_list_add() to use ptdescs');
    const z = s.indexOf('mm/zpdesc: Create struct zpdesc');
    expect(z).toBeGreaterThan(0);
    const v = s.findIndex((x) => /Create struct vm/.test(x));
    expect(v).toBeGreaterThan(z);
    for (const [i, x] of s.entries()) {
      if (/to use ptdescs$/.test(x)) expect(i).toBeLessThan(z);
      if (/to use zpdescs$/.test(x)) expect(i).toBeGreaterThan(z);
      if (/to use zpdescs$/.test(x)) expect(i).toBeLessThan(v);
    }
    // obj_allocated() calls get_zspage(); zs_free() calls obj_free().
    const at = (fn: string) => s.indexOf(`mm/zsmalloc: Convert ${fn}() to use zpdescs`);
    expect(at('get_zspage')).toBeGreaterThan(z);
    expect(at('get_zspage')).toBeLessThan(at('obj_allocated'));
    expect(at('obj_free')).toBeGreaterThan(z);
    expect(at('obj_free')).toBeLessThan(at('zs_free'));
    expect(s.some((x) => /Convert .* to use vmallocs?|Create struct vm/.test(x))).toBe(true);
    // A field leaves struct page only when no kind left out still maps it: these kinds leave lru,
    // mapping, index and private to slab, folio and buddy; a field only they name may go.
    const others = new Set(spec.kinds.filter((k) => !KINDS.includes(k.name)).flatMap((k) => k.fields.map((f) => f.field)));
    const removed = s.map((x) => /^mm: Remove (\w+) from struct page$/.exec(x)?.[1]).filter((x): x is string => !!x);
    for (const f of removed) expect(others.has(f), f).toBe(false);
    expect(removed).not.toContain('lru');
    expect(r.problems).toEqual([]);
    expect(r.complete).toBe(true);
  });

  it('stage 2 follows the conversion: every kind whose audit is clean separated, in the plan order, the shrink last', () => {
    // Stage-2 patches come after every stage-1 patch.
    expect(r.commits.map((c) => c.stage)).toEqual([...stage1.map(() => 1), ...stage2.map(() => 2)]);
    const s = stage2.map((c) => c.subject);
    // Which kinds separate is the audit's call on this tip (kinds left unconverted may still read
    // their pages' words); at least one does, in the plan's order, and the cover letter names the rest.
    const order = ['ptdesc', 'zpdesc', 'vmalloc'];
    expect(r.stage2!.separated.length).toBeGreaterThan(0);
    expect(r.stage2!.separated).toEqual(order.filter((k) => r.stage2!.separated.includes(k)));
    // A kind embedded in a misc memdesc word (vmalloc) is embedded, not allocated (src/series/stage2.ts).
    expect(s.slice(0, r.stage2!.separated.length)).toEqual(r.stage2!.separated.map((k) => expect.stringMatching(new RegExp(`^mm: (?:Allocate ${k} from slab|Embed ${k} in the memdesc word)$`))));
    // The shrink is there exactly when it has something to remove, and names the new size.
    const shrink = s.filter((x) => /Shrink struct page/.test(x));
    expect(shrink).toEqual(r.stage2!.shrunkTo === undefined ? [] : [`mm: Shrink struct page to ${r.stage2!.shrunkTo} bytes`]);
    expect(s).toHaveLength(r.stage2!.separated.length + shrink.length);
    // A kind allocated from slab gets its descriptor module (page_X() and X_page() move there).
    for (const [i, k] of r.stage2!.separated.entries()) {
      if (s[i]!.includes('Allocate')) expect(stage2[i]!.files.some((f) => f.endsWith(`/${k}_memdesc.ts`)), `${s[i]}: ${stage2[i]!.files.join(' ')}`).toBe(true);
    }
  });

  it('every commit was verified identical against the base; the tip also ran clean in its real placement', () => {
    for (const c of r.commits) {
      expect(typeof c.verification, c.subject).toBe('object');
      const v = c.verification as Verified;
      expect(v.ok, `${c.subject}: ${v.first}`).toBe(true);
    }
    expect((r.commits[1]!.verification as Verified).workloads).toEqual(['mixed']);
    const tip = r.commits.at(-1)!;
    expect((tip.verification as Verified).workloads).toEqual(['mm', 'hwpoison', 'zswap']);
    expect(tip.layoutChecks?.ok, JSON.stringify(tip.layoutChecks?.failures)).toBe(true);
    expect(tip.layoutChecks!.runs).toBeGreaterThan(1);
    expect(git(repo, 'log', '-1', '--format=%B', tip.sha)).toMatch(/real placement.*all passed/);
  });

  it('git am of the patches on the base reproduces the branch; stage 1 ends at the one-shot conversion', () => {
    const am = amOnto(repo, r.base, out);
    expect(am.stderr).toBe('');
    expect(am.status).toBe(0);
    expect(git(am.dir, 'rev-parse', 'HEAD^{tree}')).toBe(git(repo, 'rev-parse', `${r.branch}^{tree}`));
    // The tip: convert, then separate and shrink (checked by the series against its own one-shot trees).
    expect(r.tipEqualsOneShot).toBe(true);
    const copy = copyTree(BUNDLED_CORPUS, { runnable: true });
    const one = runConvert({ path: copy, spec, kinds: KINDS, write: true });
    const last1 = stage1.at(-1)!.sha;
    for (const f of one.files) expect(git(repo, 'show', `${last1}:${f.file}`) === readFileSync(join(copy, f.file), 'utf8'), f.file).toBe(true);
  }, 120_000);

  it('the first, a middle and the last commit type-check (re-checked from git)', () => {
    const mid = r.commits[Math.floor(r.commits.length / 2)]!;
    for (const c of [r.commits[0]!, mid, r.commits.at(-1)!]) expect(typeErrorsAt(repo, c.sha, true), c.subject).toEqual([]);
  }, 120_000);

  it('a middle commit and the tip run identically to the base (re-checked with verifyTrees)', async () => {
    const mid = r.commits[Math.floor(r.commits.length / 2)]!;
    for (const c of [mid, r.commits.at(-1)!]) {
      const v = await verifyTrees(`${c.sha}:`, `${r.base}:`, { relativeTo: repo, seeds: [2], ops: OPS, workloads: ['mixed', 'hwpoison'] });
      expect(v.ok, c.subject).toBe(true);
    }
  }, 180_000);

  it('the cover letter numbers and tabulates every patch, and says why each kind left in struct page stays', () => {
    const cover = readFileSync(join(out, '0000-cover-letter.patch'), 'utf8');
    expect(cover).toContain(`Subject: [PATCH 00/${r.commits.length}] Separate ptdesc, zpdesc, vmalloc from struct page`);
    expect(cover.match(/^ {2}\d{3} {2}passed \(\d+\) +mixed x 1 +identical/gm)).toHaveLength(r.commits.length - 1);
    expect(cover).toMatch(/mm\/zsmalloc: Convert get_zspage\(\) to use zpdescs/);
    // Coverage chose each patch's runs (on by default) and the table says what ran and why; the tip ran its whole plan.
    expect(cover).toContain('what ran and why');
    const rows = cover.match(/^ {2}\d{3} {2}passed .*$/gm)!;
    expect(rows).toHaveLength(r.commits.length);
    for (const row of rows.slice(0, -1)) expect(row).toMatch(/ (all: .+|none: .+|\d+ of \d+ runs: it executes .+\(\))$/);
    expect(rows.at(-1)).toMatch(/all: the tip runs its whole plan$/);
    for (const c of stage1) expect((c.verification as { selection?: unknown }).selection, c.subject).toBeDefined();
    expect(cover).toMatch(/stage-2 patch/);
    expect(cover).toMatch(/The tip in its real placement: real placement.*all passed/);
    // A kind not separated is listed: blocked by its audit (with the count and the audit to run), or left out with the reason.
    for (const b of r.stage2!.blocked) expect(cover).toContain(`  ${b.kind}: ${b.blockers} blocker${b.blockers === 1 ? '' : 's'}; run \`memdesc audit ${b.kind}\``);
    for (const p of r.stage2!.problems) expect(cover).toContain(`  ${p.what}: ${p.reason}`);
    for (const k of KINDS.filter((x) => !r.stage2!.separated.includes(x))) {
      expect([...r.stage2!.blocked.map((b) => b.kind), ...r.stage2!.problems.map((p) => p.what.replace(/^separate /, ''))], k).toContain(k);
    }
  });

  describe('status after the series', () => {
    const io = captureOutput();
    const at = async (rev: string, table: boolean): Promise<{ table: string; json: Record<string, unknown> }> => {
      const dir = join(mkdtempSync(join(tmpdir(), 'memdesc-status2-')), 'tree');
      git(repo, 'worktree', 'add', '-q', '--detach', dir, rev);
      try {
        let text = '';
        if (table) {
          expect(await main(['status', dir])).toBe(0);
          text = io.out;
          io.out = '';
        }
        expect(await main(['status', dir, '--json'])).toBe(0);
        const json = JSON.parse(io.out) as Record<string, unknown>;
        io.out = '';
        return { table: text, json };
      } finally {
        git(repo, 'worktree', 'remove', '--force', dir);
        rmSync(dirname(dir), { recursive: true, force: true });
      }
    };

    it('shows the separated kinds separated at the tip (from the code), the others an overlay; every kind an overlay before stage 2', async () => {
      const tip = await at(r.commits.at(-1)!.sha, true);
      for (const k of KINDS) {
        const want = r.stage2!.separated.includes(k) ? 'separated' : 'overlay';
        expect(tip.json.stage2, k).toMatchObject({ [k]: want });
        expect(tip.table).toMatch(new RegExp(`^${k} .* ${want}$`, 'm'));
      }
      const before = await at(stage1.at(-1)!.sha, false);
      expect(before.json.stage2).toMatchObject(Object.fromEntries(KINDS.map((k) => [k, 'overlay'])));
    }, 120_000);
  });
});
