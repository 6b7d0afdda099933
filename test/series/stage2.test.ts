/**
 * Stage 2 in a series, on a copy of the corpus: `series ptdesc vmalloc --stage 2` converts both
 * (stage 1), then separates ptdesc, whose audit is clean on that tip, and leaves vmalloc, whose
 * audit is not (a descriptor address used as its page's), listed in the cover letter with its
 * blocker count; then shrinks struct page by the word no code names (w7). One series run (mixed x 1 seed per patch, few ops; the tip mm and hwpoison x 1
 * seed, in both placements). `git am` of the patches reproduces the branch; `status` at the tip
 * shows ptdesc separated, read from the code.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { builtinSpec } from '../../src/model/builtin.ts';
import { BUNDLED_CORPUS } from '../../src/paths.ts';
import { buildSeries, type SeriesResult } from '../../src/series/series.ts';
import { stage2Applies } from '../../src/series/stage2.ts';
import { amOnto, git, repoOf, useIsolatedGit } from './helpers.ts';
import { captureOutput } from '../capture.ts';
import { main } from '../../src/cli.ts';

const spec = builtinSpec();
const OPS = 150;

describe('a spec without stage 2', () => {
  it('has no memdesc word: no stage-2 patches, and no error', () => {
    const plain = { ...spec, page: { ...spec.page, fields: spec.page.fields.filter((f) => f.name !== 'memdesc') } };
    expect(stage2Applies(plain)).toMatch(/no page field 'memdesc'/);
    expect(stage2Applies({ ...spec, kinds: spec.kinds.map((k) => ({ ...k, descriptor: null })) })).toMatch(/no kind .* descriptor/);
    expect(stage2Applies(spec)).toBeUndefined();
  });
});

describe('series --stage', () => {
  const io = captureOutput();
  it('takes 1 or 2 only: anything else exits 2 with one line, before any work', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'memdesc-stage-')), 'patches');
    expect(await main(['series', '--all', '--corpus', '--stage', '3', '--out', out])).toBe(2);
    expect(io.err).toMatch(/--stage 3: expected 1 or 2/);
    expect(io.err.trim().split('\n')).toHaveLength(1);
    rmSync(dirname(out), { recursive: true, force: true });
  });
});

describe('series ptdesc vmalloc --stage 2 on a copy of the corpus', () => {
  let repo: string;
  let out: string;
  let r: SeriesResult;
  useIsolatedGit({ name: 'Stage Two', email: 'stage2@example.org' });

  beforeAll(async () => {
    repo = repoOf(BUNDLED_CORPUS, { modules: true });
    out = join(mkdtempSync(join(tmpdir(), 'memdesc-series2-out-')), 'patches');
    r = await buildSeries({
      path: repo, spec, kinds: ['ptdesc', 'vmalloc'], stage: 2, out,
      // The tip: page-table-heavy work (mm) and memory failure on page-table pages (hwpoison), in both placements.
      verify: { seeds: [1], ops: OPS, tipSeeds: [1], tipOps: OPS, tipWorkloads: ['mm', 'hwpoison'] },
    });
  }, 600_000);

  it('separates ptdesc after the conversion, then shrinks struct page (w7, which no code names); vmalloc stays, blocked', () => {
    const s = r.commits.map((c) => c.subject);
    const at = s.findIndex((x) => /^[\w/.-]+: Allocate ptdesc from slab$/.test(x));
    expect(at, s.join('\n')).toBe(s.length - 2);
    expect(s.at(-1)).toMatch(/^[\w/.-]+: Shrink struct page to 56 bytes$/);
    expect(r.commits.map((c) => c.stage)).toEqual([...s.slice(0, -2).map(() => 1), 2, 2]);
    expect(s.some((x) => /Convert .* to use vmallocs?|Create struct vm/.test(x))).toBe(true);
    expect(r.stage2?.separated).toEqual(['ptdesc']);
    expect(r.stage2?.blocked.map((b) => b.kind)).toEqual(['vmalloc']);
    expect(r.stage2?.blocked[0]!.blockers).toBeGreaterThan(0);
    expect(r.complete).toBe(true);
    // The patch moves ptdesc out: its descriptor module is new, page_ptdesc() reads the memdesc word.
    expect(r.commits.at(-2)!.files).toContain('include/linux/ptdesc_memdesc.ts');
  });

  it('the stage-2 patch verified identical against the base and ran clean in its real placement', () => {
    const tip = r.commits.at(-1)!;
    const v = tip.verification as Exclude<typeof tip.verification, string>;
    expect(typeof v).toBe('object');
    expect(v.ok, v.first).toBe(true);
    expect(tip.layoutChecks?.ok, JSON.stringify(tip.layoutChecks?.failures)).toBe(true);
    expect(tip.layoutChecks!.runs).toBeGreaterThan(1);
    const msg = git(repo, 'log', '-1', '--format=%B', tip.sha);
    expect(msg).toMatch(/real placement.*all passed/);
  });

  it('git am of the patches on the base reproduces the branch', () => {
    const am = amOnto(repo, r.base, out);
    expect(am.stderr).toBe('');
    expect(am.status).toBe(0);
    expect(git(am.dir, 'rev-parse', 'HEAD^{tree}')).toBe(git(repo, 'rev-parse', `${r.branch}^{tree}`));
    expect(r.tipEqualsOneShot).toBe(true);
  }, 60_000);

  it('the cover letter lists the blocked kind with its count and the audit to run', () => {
    const cover = readFileSync(join(out, '0000-cover-letter.patch'), 'utf8');
    const b = r.stage2!.blocked[0]!;
    expect(cover).toContain(`  vmalloc: ${b.blockers} blocker${b.blockers === 1 ? '' : 's'}; run \`memdesc audit vmalloc\``);
    expect(cover).toMatch(/stage-2 patch/);
    expect(cover).toMatch(/The tip in its real placement: real placement.*all passed/);
  });

  describe('status after the series', () => {
    const io = captureOutput();
    const at = async (rev: string): Promise<{ table: string; json: Record<string, unknown> }> => {
      const dir = join(mkdtempSync(join(tmpdir(), 'memdesc-status2-')), 'tree');
      git(repo, 'worktree', 'add', '-q', '--detach', dir, rev);
      try {
        expect(await main(['status', dir])).toBe(0);
        const table = io.out;
        io.out = '';
        expect(await main(['status', dir, '--json'])).toBe(0);
        const json = JSON.parse(io.out) as Record<string, unknown>;
        io.out = '';
        return { table, json };
      } finally {
        git(repo, 'worktree', 'remove', '--force', dir);
        rmSync(dirname(dir), { recursive: true, force: true });
      }
    };

    it('shows ptdesc separated at the tip (from the code), an overlay one patch before, vmalloc an overlay', async () => {
      const tip = await at(r.commits.at(-1)!.sha);
      expect(tip.json.stage2).toMatchObject({ ptdesc: 'separated', vmalloc: 'overlay' });
      expect(tip.table).toMatch(/^ptdesc .* separated$/m);
      expect(tip.table).toMatch(/^vmalloc .* overlay$/m);
      const before = await at(r.commits.at(-2)!.sha);
      expect(before.json.stage2).toMatchObject({ ptdesc: 'overlay', vmalloc: 'overlay' });
    }, 120_000);
  });
});
