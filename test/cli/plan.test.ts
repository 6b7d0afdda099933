/**
 * `memdesc plan import` and `memdesc status` end to end through the CLI's main(): the seeds in
 * text and JSON, status on the bundled corpus against analyze's own summary, --plan, and the
 * one-line errors with exit 2.
 */
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { analyzePath } from '../../src/analyzers/analyze.ts';
import { main } from '../../src/cli.ts';
import { builtinSpec } from '../../src/model/builtin.ts';
import type { AnalysisResult } from '../../src/model/findings.ts';
import type { ProgressPoint } from '../../src/model/progress.ts';
import { BUNDLED_CORPUS } from '../../src/paths.ts';
import { progressPoint } from '../../src/track/progress.ts';

const SEEDS = join(import.meta.dirname, '..', '..', '..', 'shared', 'seeds');
const seed = (prefix: string): string => join(SEEDS, readdirSync(SEEDS).find((n) => n.startsWith(prefix))!);
const TMP = mkdtempSync(join(tmpdir(), 'memdesc-plan-'));

let out = '';
let err = '';
beforeEach(() => {
  out = '';
  err = '';
  process.exitCode = undefined;
  vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => { out += String(s); return true; });
  vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => { err += String(s); return true; });
});
afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

function expectOneLineError(code: number, want: string): void {
  expect(code).toBe(2);
  expect(out).toBe('');
  expect(err.split('\n').filter(Boolean)).toHaveLength(1);
  expect(err).toMatch(/^memdesc: /);
  expect(err).toContain(want);
}

describe('memdesc plan import', () => {
  it.each([['000_', 7, 1], ['001_', 34, 2], ['004_', 7, 1]])('%s --json has exactly the documented keys', async (prefix, count, version) => {
    expect(await main(['plan', 'import', seed(prefix), '--json'])).toBe(0);
    const j = JSON.parse(out) as Record<string, unknown>;
    expect(Object.keys(j)).toEqual(['title', 'version', 'author', 'patches']);
    expect(j.version).toBe(version);
    const patches = j.patches as Array<Record<string, unknown>>;
    expect(patches).toHaveLength(count);
    for (const p of patches) expect(Object.keys(p)).toEqual(['number', 'subject']);
  });

  it('text: title, version, author and numbered subjects', async () => {
    expect(await main(['plan', 'import', seed('001_')])).toBe(0);
    expect(out).toContain('title:   Split ptdesc from struct page\nversion: 2\nauthor:  Vishal Moola (Oracle)\npatches: 34\n');
    expect(out).toContain('\n 1/34 mm: Add PAGE_TYPE_OP folio functions\n');
    expect(out).toContain('\n34/34 mm: Remove pgtable_{pmd, pte}_page_{ctor, dtor}() wrappers\n');
  });

  it.each([
    ['a missing file', () => join(TMP, 'nope.txt'), 'no such file'],
    ['a directory', () => TMP, 'is a directory'],
    ['an empty file', () => { const f = join(TMP, 'empty.txt'); writeFileSync(f, ''); return f; }, 'empty file'],
    ['a discussion post (seed 002)', () => seed('002_'), 'is not a patch series cover letter'],
    ['a quoted post (seed 003)', () => seed('003_'), 'no patch series cover letter subject'],
  ])('%s: exit 2, one line', async (_name, file, want) => {
    expectOneLineError(await main(['plan', 'import', file()]), want);
  });

  it('no FILE is a usage error', async () => {
    expectOneLineError(await main(['plan', 'import']), "missing required argument 'file'");
  });
});

describe('memdesc status', () => {
  let analysis: AnalysisResult;
  beforeAll(() => {
    analysis = analyzePath(BUNDLED_CORPUS, { spec: builtinSpec() });
  });

  it('--json is the working tree ProgressPoint, with counts equal to analyze\'s summary', async () => {
    expect(await main(['status', '--json'])).toBe(0);
    const point = JSON.parse(out) as ProgressPoint;
    expect(point.commit).toBe('WORKTREE');
    expect(Number.isNaN(Date.parse(point.date))).toBe(false);
    expect(Object.keys(point.kinds)).toEqual(builtinSpec().kinds.map((k) => k.name));
    const s = analysis.summary;
    expect(point.unknown).toBe(s.unknown);
    expect(point.residue).toBe(s.residue);
    expect(point.files).toBe(s.files);
    for (const [kind, p] of Object.entries(point.kinds)) {
      const cells = Object.values(s.byKind[kind]!);
      expect(p.remaining, kind).toBe(cells.reduce((n, c) => n + c.remaining, 0));
      expect(p.converted, kind).toBe(cells.reduce((n, c) => n + c.converted, 0));
    }
    const total = Object.values(point.kinds).reduce((n, p) => n + p.remaining + p.converted, 0);
    expect(total + point.unknown).toBe(s.findings);
    expect(point).toEqual({ ...progressPoint(analysis, builtinSpec(), { commit: 'WORKTREE', subject: 'working tree', date: point.date }) });
  });

  it('text: one row per kind with descriptor, remaining, converted and % done, then unknown and residue', async () => {
    expect(await main(['status'])).toBe(0);
    const ptdesc = Object.values(analysis.summary.byKind.ptdesc!).reduce((n, c) => n + c.remaining, 0);
    expect(out).toMatch(/^kind\s+descriptor\s+remaining\s+converted\s+done$/m);
    expect(out).toMatch(new RegExp(`^ptdesc\\s+Ptdesc \\(not declared\\)\\s+${ptdesc}\\s+0\\s+0\\.0%$`, 'm'));
    expect(out).toMatch(/^buddy\s+-\s+\d+\s+\d+\s+\d+\.\d%$/m);
    expect(out).toContain(`unknown: ${analysis.summary.unknown}  residue: ${analysis.summary.residue}`);
  });

  it('--plan adds every planned patch with its state (text and JSON)', async () => {
    expect(await main(['status', '--plan', seed('001_'), '--json'])).toBe(0);
    const j = JSON.parse(out) as ProgressPoint & { plan: { title: string; patches: Array<{ number: number; state: string; reason: string }> } };
    expect(j.plan.title).toBe('Split ptdesc from struct page');
    expect(j.plan.patches).toHaveLength(34);
    const byNumber = new Map(j.plan.patches.map((p) => [p.number, p]));
    // The corpus is unconverted: ptlock_alloc() still touches page->ptl, struct ptdesc does not exist yet.
    expect(byNumber.get(7)!.state).toBe('not done');
    expect(byNumber.get(4)!.state).toBe('not done');
    expect(byNumber.get(22)!.state).toBe('not applicable');
    for (const p of j.plan.patches) expect(p.reason.length).toBeGreaterThan(0);
    out = '';
    expect(await main(['status', '--plan', seed('000_')])).toBe(0);
    expect(out).toMatch(/plan: Separate ptdesc from struct page \(v1\): \d+ done, \d+ not done, \d+ not applicable/);
    expect(out).toMatch(/^\s+4\s+not done\s+pgtable: Remove uses of page->lru$/m);
  });

  it.each([
    ['an unknown path', ['status', join(TMP, 'no-such-dir')], 'no such file or directory'],
    ['a bad spec', ['status', '--spec', join(TMP, 'no-spec.json')], 'no-spec.json'],
    ['a bad plan file', ['status', '--plan', seed('002_')], 'is not a patch series cover letter'],
    ['a missing plan file', ['status', '--plan', join(TMP, 'missing.txt')], 'no such file'],
  ])('%s: exit 2, one line', async (_name, args, want) => {
    expectOneLineError(await main(args), want);
  });
});
