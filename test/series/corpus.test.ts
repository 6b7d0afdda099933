/**
 * A series on a copy of the corpus (ptdesc and zpdesc, so the file stays well under a minute):
 * kernel-style subjects in kernel order, every commit verified by the series against the base
 * (mixed x 1 seed, few ops; the tip every workload x 1 seed), `git am` reproduces the branch,
 * the tip is the one-shot conversion. Independently re-checked here: the type-check of the
 * first, a middle and the last commit, and the simulation of a middle commit and the tip.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { builtinSpec } from '../../src/model/builtin.ts';
import { BUNDLED_CORPUS } from '../../src/paths.ts';
import { runConvert } from '../../src/rewrite/driver.ts';
import { buildSeries, type SeriesResult } from '../../src/series/series.ts';
import { verifyTrees } from '../../src/verify/verify.ts';
import { copyTree } from '../rewrite/helpers.ts';
import { amOnto, git, repoOf, typeErrorsAt, useIsolatedGit } from './helpers.ts';

const spec = builtinSpec();
const OPS = 150;

describe('series ptdesc zpdesc on a copy of the corpus', () => {
  let repo: string;
  let out: string;
  let r: SeriesResult;
  useIsolatedGit({ name: 'Corpus Tester', email: 'corpus@example.org' });

  beforeAll(async () => {
    repo = repoOf(BUNDLED_CORPUS, { modules: true });
    out = join(mkdtempSync(join(tmpdir(), 'memdesc-series-out-')), 'patches');
    r = await buildSeries({
      path: repo, spec, kinds: ['ptdesc', 'zpdesc'], out,
      verify: { seeds: [1], ops: OPS, tipSeeds: [1], tipOps: OPS },
    });
  }, 300_000);

  it('creates each descriptor first, converts callees before callers, retires last', () => {
    const s = r.commits.map((c) => c.subject);
    expect(r.branch).toBe('memdesc/ptdesc-zpdesc');
    expect(s[0]).toBe('mm: Create struct ptdesc');
    expect(s).toContain('mm: Convert ptlock_alloc() to use ptdescs');
    expect(s).toContain('x86/mm: Convert pgd_list_add() to use ptdescs');
    const z = s.indexOf('mm/zpdesc: Create struct zpdesc');
    expect(z).toBeGreaterThan(0);
    for (const [i, x] of s.entries()) {
      if (/to use ptdescs$/.test(x)) expect(i).toBeLessThan(z);
      if (/to use zpdescs$/.test(x)) expect(i).toBeGreaterThan(z);
    }
    // obj_allocated() calls get_zspage(); zs_free() calls obj_free().
    const at = (fn: string) => s.indexOf(`mm/zsmalloc: Convert ${fn}() to use zpdescs`);
    expect(at('get_zspage')).toBeGreaterThan(z);
    expect(at('get_zspage')).toBeLessThan(at('obj_allocated'));
    expect(at('obj_free')).toBeGreaterThan(z);
    expect(at('obj_free')).toBeLessThan(at('zs_free'));
    // ptdesc and zpdesc alone leave lru and private to other kinds: nothing to retire.
    expect(s.at(-1)).not.toMatch(/Remove/);
    expect(r.problems).toEqual([]);
    expect(r.complete).toBe(true);
  });

  it('every commit was verified identical against the base; the tip on every workload', () => {
    for (const c of r.commits) {
      expect(typeof c.verification, c.subject).toBe('object');
      const v = c.verification as Exclude<typeof c.verification, string>;
      expect(v.ok, `${c.subject}: ${v.first}`).toBe(true);
    }
    const tip = r.commits.at(-1)!.verification as Extract<SeriesResult['commits'][number]['verification'], { workloads: string[] }>;
    expect(tip.workloads.length).toBeGreaterThan(1);
    expect((r.commits[1]!.verification as typeof tip).workloads).toEqual(['mixed']);
  });

  it('git am of the patches on the base reproduces the branch; the tip is the one-shot conversion', () => {
    const am = amOnto(repo, r.base, out);
    expect(am.stderr).toBe('');
    expect(am.status).toBe(0);
    expect(git(am.dir, 'rev-parse', 'HEAD^{tree}')).toBe(git(repo, 'rev-parse', `${r.branch}^{tree}`));
    expect(r.tipEqualsOneShot).toBe(true);
    const copy = copyTree(BUNDLED_CORPUS, { runnable: true });
    const one = runConvert({ path: copy, spec, kinds: ['ptdesc', 'zpdesc'], write: true });
    for (const f of one.files) expect(git(repo, 'show', `${r.branch}:${f.file}`) === readFileSync(join(copy, f.file), 'utf8'), f.file).toBe(true);
  }, 60_000);

  it('the first, a middle and the last commit type-check (re-checked from git)', () => {
    const mid = r.commits[Math.floor(r.commits.length / 2)]!;
    for (const c of [r.commits[0]!, mid, r.commits.at(-1)!]) expect(typeErrorsAt(repo, c.sha, true), c.subject).toEqual([]);
  }, 60_000);

  it('a middle commit and the tip run identically to the base (re-checked with verifyTrees)', async () => {
    const mid = r.commits[Math.floor(r.commits.length / 2)]!;
    for (const c of [mid, r.commits.at(-1)!]) {
      const v = await verifyTrees(`${c.sha}:`, `${r.base}:`, { relativeTo: repo, seeds: [2], ops: OPS, workloads: ['mixed', 'hwpoison'] });
      expect(v.ok, c.subject).toBe(true);
    }
  }, 60_000);

  it('the cover letter numbers and tabulates every patch', () => {
    const cover = readFileSync(join(out, '0000-cover-letter.patch'), 'utf8');
    expect(cover).toContain(`Subject: [PATCH 00/${r.commits.length}] Separate ptdesc, zpdesc from struct page`);
    expect(cover.match(/^ {2}\d{3} {2}passed \(\d+\) +mixed x 1 +identical/gm)).toHaveLength(r.commits.length - 1);
    expect(cover).toMatch(/mm\/zsmalloc: Convert get_zspage\(\) to use zpdescs/);
    // Coverage chose each patch's runs (on by default) and the table says what ran and why; the tip ran its whole plan.
    expect(cover).toContain('what ran and why');
    const rows = cover.match(/^ {2}\d{3} {2}passed .*$/gm)!;
    for (const row of rows.slice(0, -1)) expect(row).toMatch(/ (all: .+|none: .+|\d+ of \d+ runs: it executes .+\(\))$/);
    expect(rows.at(-1)).toMatch(/all: the tip runs its whole plan$/);
    for (const c of r.commits.slice(0, -1)) expect((c.verification as { selection?: unknown }).selection, c.subject).toBeDefined();
  });
});
