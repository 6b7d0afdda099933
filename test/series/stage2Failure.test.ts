/**
 * A stage-2 patch that fails its check stops the series cleanly (stage2Verify.ts checkStage2()),
 * as a failing stage-1 step does: the series keeps the verified prefix, the patch that failed is
 * recorded with why and the ones built on it are not tried, and the last patch kept — or the
 * stage-1 tip — is checked again as the series' tip (the whole plan, and the real placement with
 * stage-2 patches) before anything is committed. The verifier is a test double whose verdicts
 * are planted per tree, so each failure is forced at a known step with no timing involved. Then
 * a whole `memdesc series` on a planted tree (two small kinds, not the corpus) whose second
 * stage-2 patch changes what the project's oracle prints.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { double, steps } from './stage2Double.ts';
import { checkStage2, stage2StopText } from '../../src/series/stage2Verify.ts';
import { main } from '../../src/cli.ts';
import { captureOutput } from '../capture.ts';
import { BREW, CUP, MM, MM_MUG, mug } from '../stage2/cupFixture.ts';
import { git, leftovers, useIsolatedGit } from './helpers.ts';

describe('a failed stage-2 patch stops the series cleanly', () => {
  it('all verify: every step kept, the last checked as the tip in its real placement; nothing re-checked', async () => {
    const d = double({});
    const r = await checkStage2(steps, d);
    expect(r.kept.map((k) => k.step.name)).toEqual(['ptdesc', 'zpdesc', 'slab', 'shrink']);
    expect(r.failed).toEqual([]);
    expect(r.skipped).toEqual([]);
    expect(r.stage1IsTip).toBe(false);
    expect(d.calls).toEqual(['verify ptdesc step', 'verify zpdesc step', 'verify slab step', 'verify shrink tip', 'layout shrink']);
    expect(r.kept[3]!.layoutChecks?.ok).toBe(true);
    expect(r.kept.some((k) => k.retipped)).toBe(false);
  });

  it('a middle patch does not verify: the prefix is kept, the rest not tried, and the new tip gets the whole plan and the real placement', async () => {
    const d = double({ stepFails: ['zpdesc'] });
    const r = await checkStage2(steps, d);
    expect(r.kept.map((k) => k.step.name)).toEqual(['ptdesc']);
    expect(r.failed).toEqual([{ index: 1, reason: 'zpdesc differs' }]);
    expect(r.skipped).toEqual([2, 3]);
    expect(d.calls).toEqual(['verify ptdesc step', 'verify zpdesc step', 'verify ptdesc tip', 'layout ptdesc']);
    // The kept tip carries the tip's verdicts, not its step plan's.
    expect(r.kept[0]).toMatchObject({ verification: 'ptdesc tip identical', retipped: true, layoutChecks: { ok: true, label: 'ptdesc' } });
    expect(r.stage1IsTip).toBe(false);
  });

  it('the last patch fails in its real placement: the one before it becomes the tip', async () => {
    const d = double({ layoutFails: ['shrink'] });
    const r = await checkStage2(steps, d);
    expect(r.kept.map((k) => k.step.name)).toEqual(['ptdesc', 'zpdesc', 'slab']);
    expect(r.failed).toHaveLength(1);
    expect(r.failed[0]!.index).toBe(3);
    expect(r.failed[0]!.reason).toMatch(/real placement with --check, 1 run: 1 FAILED \(mixed seed 1: shrink leaks a descriptor\)/);
    expect(d.calls.slice(-2)).toEqual(['verify slab tip', 'layout slab']);
    expect(r.kept[2]!.retipped).toBe(true);
  });

  it('a kept patch that fails as the tip goes too, down the prefix; both failures are recorded', async () => {
    const d = double({ stepFails: ['slab'], tipFails: ['zpdesc'] });
    const r = await checkStage2(steps, d);
    expect(r.kept.map((k) => k.step.name)).toEqual(['ptdesc']);
    expect(r.failed).toEqual([{ index: 2, reason: 'slab differs' }, { index: 1, reason: "as the series' tip: zpdesc differs" }]);
    expect(r.skipped).toEqual([3]);
    expect(d.calls.slice(3)).toEqual(['verify zpdesc tip', 'verify ptdesc tip', 'layout ptdesc']);
  });

  it('the first patch fails: nothing of stage 2 is kept and the stage-1 tip is the series\' tip (for the caller to verify as such)', async () => {
    const d = double({ stepFails: ['ptdesc'] });
    const r = await checkStage2(steps, d);
    expect(r.kept).toEqual([]);
    expect(r.stage1IsTip).toBe(true);
    expect(r.skipped).toEqual([1, 2, 3]);
    expect(d.calls).toEqual(['verify ptdesc step']);
  });

  it('no stage-2 patch planned: nothing to check, and the stage-1 tip was already verified as the tip', async () => {
    const d = double({});
    const r = await checkStage2([], d);
    expect(r).toEqual({ kept: [], failed: [], skipped: [], stage1IsTip: false });
    expect(d.calls).toEqual([]);
  });

  it('the exit message names the patch that failed, why, and where the branch ends', () => {
    expect(stage2StopText('mm: Allocate zpdesc from slab', 'mixed x 2 seeds: DIFFERENT in 1 of 2', 1))
      .toBe('the series stops short: stage-2 patch "mm: Allocate zpdesc from slab" does not verify (mixed x 2 seeds: DIFFERENT in 1 of 2); the branch ends after 1 stage-2 patch, checked as the tip');
    expect(stage2StopText('mm: Allocate ptdesc from slab', 'x', 0)).toMatch(/the branch ends at the stage-1 tip, checked as the tip$/);
  });
});

/** The oracle prints what a separated mug changes (its descriptor cache exists): the mug patch cannot verify. */
const MAIN = `
import { new_cup, drop_cup } from './brew.ts';
import { new_mug, drop_mug } from './mugs.ts';
import { memdesc_cache, MEMDESC_TYPE_MUG } from './mm.ts';
const cup = new_cup(3);
const mug = new_mug(4);
if (cup && mug) {
  cup.handle = 7;
  mug.handle = 9;
  console.log(\`cup handle \${cup.handle}, mug handle \${mug.handle}\`);
  console.log(\`mug cache: \${memdesc_cache(MEMDESC_TYPE_MUG) !== null}\`);
  drop_cup(cup);
  drop_mug(mug);
}
`;

const kindSpec = (name: string, cls: string) => ({
  name, description: `${name}s`, descriptor: { class: cls, placement: `${name}.ts` },
  fields: { index: 'handle' }, converters: { fromPage: [`page_${name}`], toPage: [`${name}_page`] },
  pageTypeTests: [{ name: `Page${cls}`, negates: false }],
});

describe('series: the second stage-2 patch of a planted tree does not verify', () => {
  useIsolatedGit({ name: 'Ada Lovelace', email: 'ada@example.org' });
  const io = captureOutput();

  it('exits 1 naming the patch and why; the branch keeps the verified prefix, checked as the tip; nothing of the failed patch remains', async () => {
    const base = mkdtempSync(join(tmpdir(), 'memdesc-stage2fail-'));
    try {
      const proj = join(base, 'proj');
      mkdirSync(proj);
      const files: Record<string, string> = {
        'mm.ts': MM + MM_MUG, 'cup.ts': CUP, 'brew.ts': BREW, 'mug.ts': mug(CUP), 'mugs.ts': mug(BREW), 'main.ts': MAIN,
        'tsconfig.json': JSON.stringify({ compilerOptions: { strict: true, target: 'es2022', module: 'nodenext', allowImportingTsExtensions: true, noEmit: true, skipLibCheck: true }, include: ['**/*.ts'] }),
      };
      for (const [f, text] of Object.entries(files)) writeFileSync(join(proj, f), text);
      const spec = join(base, 'spec.json');
      writeFileSync(spec, JSON.stringify({ extends: 'builtin', object: { file: 'mm.ts' }, kinds: [kindSpec('cup', 'Cup'), kindSpec('mug', 'Mug')], oracle: { entry: 'main.ts' } }));
      git(proj, 'init', '-q');
      git(proj, 'add', '-A');
      git(proj, 'commit', '-q', '-m', 'base');
      const baseRev = git(proj, 'rev-parse', 'HEAD').trim();
      const out = join(base, 'out');

      const code = await main(['series', 'cup', 'mug', proj, '--out', out, '--stage', '2', '--spec', spec]);
      expect(code).toBe(1);
      const mugPatch = 'proj: Allocate Mug separately from Page';
      const stop = io.err.trim().split('\n').pop()!;
      expect(stop).toMatch(new RegExp(`^memdesc: the series stops short: stage-2 patch "${mugPatch}" does not verify \\(node main\\.ts .*DIFFERENT .*"mug cache: false" -> "mug cache: true".*\\); the branch ends after 1 stage-2 patch, checked as the tip$`));
      expect(io.out).toContain(`stage 2: ${mugPatch}: never committed: does not verify`);

      // The branch: the base and the cup patch alone, verified again as the tip.
      const branch = 'memdesc/cup-mug';
      expect(git(proj, 'log', '--format=%s', `${baseRev}..${branch}`).trim().split('\n')).toEqual(['proj: Allocate Cup separately from Page']);
      expect(git(proj, 'log', '-1', '--format=%B', branch)).toContain(`checked again as the series' tip (${mugPatch} did not verify)`);
      const tree = git(proj, 'ls-tree', '--name-only', branch).trim().split('\n');
      expect(tree).toContain('cup_memdesc.ts');
      expect(tree).not.toContain('mug_memdesc.ts');
      expect(git(proj, 'show', `${branch}:mug.ts`)).toBe(files['mug.ts']);
      // Nothing half-written: the work tree untouched, no worktree left, only the kept patch written.
      expect(git(proj, 'status', '--porcelain')).toBe('');
      expect(leftovers(proj).worktrees).toBe(1);
      expect(readdirSync(out).filter((f) => f.endsWith('.patch')).sort()).toEqual(['0000-cover-letter.patch', '0001-proj-Allocate-Cup-separately-from-Page.patch']);
      // The plan (the cover letter) records the failure.
      const cover = readFileSync(join(out, '0000-cover-letter.patch'), 'utf8');
      expect(cover).toContain("Kinds separated (one patch each, in the plan's order):\n  cup\n");
      expect(cover).toMatch(new RegExp(`Stage-2 steps left out:\\n  ${mugPatch}: never committed: does not verify \\(node main\\.ts`));
      expect(existsSync(join(proj, 'mug_memdesc.ts'))).toBe(false);
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });
});
