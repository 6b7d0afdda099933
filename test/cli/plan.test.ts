/**
 * `memdesc plan import` and `memdesc status` end to end through the CLI's main(): the archived
 * cover letters in test/fixtures/plan in text and JSON, 8-bit mail, several versions in one mbox
 * (the note on stderr, --version), a public-inbox thread page, status on the bundled corpus
 * against analyze's own summary, --plan, and the one-line errors with exit 2.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureOutput } from '../capture.ts';
import { analyzePath } from '../../src/analyzers/analyze.ts';
import { main } from '../../src/cli.ts';
import { builtinSpec } from '../../src/model/builtin.ts';
import type { AnalysisResult } from '../../src/model/findings.ts';
import type { ProgressPoint } from '../../src/model/progress.ts';
import { BUNDLED_CORPUS } from '../../src/paths.ts';
import { progressPoint } from '../../src/track/progress.ts';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'plan');
const ARCHIVE = join(FIXTURES, 'archive-rfc-ptdesc.txt');
const PATCHWORK = join(FIXTURES, 'patchwork-v2-ptdesc.txt');
const LKML = join(FIXTURES, 'lkml-thread-pt-mm.txt');
const REPLY = join(FIXTURES, 'lore-reply-zsmalloc.txt');
const QUOTED = join(FIXTURES, 'quoted-post.txt');
const TMP = mkdtempSync(join(tmpdir(), 'memdesc-plan-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

/** A file in TMP with these bytes. */
function file(name: string, bytes: string | Buffer): string {
  const f = join(TMP, name);
  writeFileSync(f, bytes);
  return f;
}

/** A git format-patch cover letter in Latin-1 (8-bit, ISO-8859-1) with an RFC 2047 encoded author. */
const LATIN1_COVER = Buffer.from(`From 0123456789abcdef0123456789abcdef01234567 Mon Sep 17 00:00:00 2001
From: =?ISO-8859-1?Q?J=F6rg_R=F6del?= <joerg@example.org>
Date: Tue, 2 Jan 2024 10:00:00 +0100
Subject: [PATCH v2 0/2] mm/zsmalloc: zpdesc f=?ISO-8859-1?Q?=FC?=r alle
MIME-Version: 1.0
Content-Type: text/plain; charset=ISO-8859-1
Content-Transfer-Encoding: 8bit

Größere Änderungen folgen.

Jörg Rödel (2):
  mm/zsmalloc: add zpdesc für die Seiten
  mm/zsmalloc: convert zs_free() (naïve)

 mm/zsmalloc.c | 12 ++++++------
 1 file changed, 6 insertions(+), 6 deletions(-)
`, 'latin1');

/** An mbox with the v2 and the v3 cover letters of one series, each with its own patches. */
function twoVersions(): Buffer {
  const msg = (subject: string, body: string): string =>
    `From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\nFrom: A Person <a@example.org>\nSubject: ${subject}\n\n${body}\n`;
  return Buffer.from([
    msg('[PATCH v2 0/2] mm: zpdesc', 'v2.'), msg('[PATCH v2 1/2] mm: v2 one', 'x'), msg('[PATCH v2 2/2] mm: v2 two', 'x'),
    msg('[PATCH v3 0/3] mm: zpdesc', 'v3.'), msg('[PATCH v3 1/3] mm: v3 one', 'x'), msg('[PATCH v3 2/3] mm: v3 two', 'x'), msg('[PATCH v3 3/3] mm: v3 three', 'x'),
  ].join(''), 'utf8');
}

const io = captureOutput();

function expectOneLineError(code: number, want: string): void {
  expect(code).toBe(2);
  expect(io.out).toBe('');
  expect(io.err.split('\n').filter(Boolean)).toHaveLength(1);
  expect(io.err).toMatch(/^memdesc: /);
  expect(io.err).toContain(want);
}

describe('memdesc plan import', () => {
  it.each([[ARCHIVE, 7, 1], [PATCHWORK, 34, 2], [LKML, 7, 1]])('%s --json has exactly the documented keys', async (path, count, version) => {
    expect(await main(['plan', 'import', path, '--json'])).toBe(0);
    const j = JSON.parse(io.out) as Record<string, unknown>;
    expect(Object.keys(j)).toEqual(['title', 'version', 'author', 'patches']);
    expect(j.version).toBe(version);
    const patches = j.patches as Array<Record<string, unknown>>;
    expect(patches).toHaveLength(count);
    for (const p of patches) expect(Object.keys(p)).toEqual(['number', 'subject']);
  });

  it('text: title, version, author and numbered subjects', async () => {
    expect(await main(['plan', 'import', PATCHWORK])).toBe(0);
    expect(io.out).toContain('title:   Split ptdesc from struct page\nversion: 2\nauthor:  Vishal Moola (Oracle)\npatches: 34\n');
    expect(io.out).toContain('\n 1/34 mm: Add PAGE_TYPE_OP folio functions\n');
    expect(io.out).toContain('\n34/34 mm: Remove pgtable_{pmd, pte}_page_{ctor, dtor}() wrappers\n');
  });

  it.each([
    ['a missing file', () => join(TMP, 'nope.txt'), 'no such file'],
    ['an empty directory', () => { const d = join(TMP, 'empty-dir'); mkdirSync(d, { recursive: true }); return d; }, 'a folder with no files'],
    ['an empty file', () => { const f = join(TMP, 'empty.txt'); writeFileSync(f, ''); return f; }, 'empty file'],
    ['a discussion post', () => REPLY, 'is not a patch series cover letter'],
    ['a quoted post', () => QUOTED, 'no patch series cover letter subject'],
    ['an image', () => file('cover.png', Buffer.from('89504e470d0a1a0a0000000d49484452000000100000001008060000001ff3ff61', 'hex')), 'binary data, expected a patch series cover letter as text'],
    ['a version the mbox does not have', () => file('v9.mbox', twoVersions()), 'no v9 cover letter; found v2, v3', ['--version', '9']],
    ['two different series of one version', () => file('two.mbox', Buffer.concat([LATIN1_COVER, Buffer.from(LATIN1_COVER.toString('latin1').replace('zpdesc f', 'slab f'), 'latin1')])), '2 different series at v2'],
  ])('%s: exit 2, one line', async (_name, path, want, extra: string[] = []) => {
    expectOneLineError(await main(['plan', 'import', path(), ...extra]), want);
  });

  it.each([['x'], ['0'], ['-1'], ['2.5']])('--version %s is a usage error', async (v) => {
    expectOneLineError(await main(['plan', 'import', file('v.mbox', twoVersions()), '--version', v]), '--version must be a positive integer');
  });

  it('no FILE is a usage error', async () => {
    expectOneLineError(await main(['plan', 'import']), "missing required argument 'file'");
  });

  it('a Latin-1 8-bit cover letter (issue 12): decoded by its charset', async () => {
    expect(await main(['plan', 'import', file('latin1.patch', LATIN1_COVER)])).toBe(0);
    expect(io.out).toBe('title:   mm/zsmalloc: zpdesc für alle\nversion: 2\nauthor:  Jörg Rödel\npatches: 2\n\n' +
      '1/2 mm/zsmalloc: add zpdesc für die Seiten\n2/2 mm/zsmalloc: convert zs_free() (naïve)\n');
    expect(io.err).toBe('');
  });

  it('v2 and v3 in one mbox: v3, and a note on stderr naming both and --version', async () => {
    const mbox = file('v2v3.mbox', twoVersions());
    expect(await main(['plan', 'import', mbox, '--json'])).toBe(0);
    const j = JSON.parse(io.out) as { version: number; patches: Array<{ subject: string }> };
    expect(j.version).toBe(3);
    expect(j.patches.map((p) => p.subject)).toEqual(['mm: v3 one', 'mm: v3 two', 'mm: v3 three']);
    expect(io.err).toBe(`memdesc: plan import: ${mbox} holds 2 cover letters (v2, v3); using v3 — pass --version N to choose\n`);
  });

  it('--version 2 takes v2 and its patches, without a note', async () => {
    expect(await main(['plan', 'import', file('v2v3.mbox', twoVersions()), '--version', '2'])).toBe(0);
    expect(io.out).toContain('version: 2\n');
    expect(io.out).toContain('\n1/2 mm: v2 one\n2/2 mm: v2 two\n');
    expect(io.out).not.toContain('v3');
    expect(io.err).toBe('');
  });

  it('a public-inbox thread page saved as text', async () => {
    expect(await main(['plan', 'import', join(FIXTURES, 'lore-thread-v5-flat.txt')])).toBe(0);
    expect(io.out).toBe('title:   mm/vmalloc: track vmalloc pages with struct vmdesc\nversion: 5\nauthor:  Hanna Müller\npatches: 4\n\n' +
      '1/4 mm/vmalloc: add struct vmdesc and its accessors\n2/4 mm/vmalloc: convert vmap_pages_range() to use vmdesc\n' +
      '3/4 mm/vmalloc: convert vfree() and vunmap() to use vmdesc\n4/4 mm: remove vmalloc members from struct page\n');
  });

  it('--help describes --version', async () => {
    expect(await main(['plan', 'import', '--help'])).toBe(0);
    expect(io.out).toMatch(/--version <n>\s+.*version/);
    expect(io.out).toContain('newest');
  });
});

describe('memdesc status', () => {
  let analysis: AnalysisResult;
  beforeAll(() => {
    analysis = analyzePath(BUNDLED_CORPUS, { spec: builtinSpec() });
  });

  it('--json is the working tree ProgressPoint, with counts equal to analyze\'s summary', async () => {
    expect(await main(['status', '--corpus', '--json'])).toBe(0);
    const point = JSON.parse(io.out) as ProgressPoint;
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
    // Stage 2 of the bundled corpus: no kind has a descriptor class yet, so every kind is undeclared.
    const stage2 = Object.fromEntries(builtinSpec().kinds.filter((k) => k.descriptor).map((k) => [k.name, 'undeclared']));
    expect(point).toEqual({ ...progressPoint(analysis, builtinSpec(), { commit: 'WORKTREE', subject: 'working tree', date: point.date }), stage2 });
  });

  it('text: one row per kind with descriptor, remaining, converted and % done, then unknown and residue', async () => {
    expect(await main(['status', '--corpus'])).toBe(0);
    const ptdesc = Object.values(analysis.summary.byKind.ptdesc!).reduce((n, c) => n + c.remaining, 0);
    expect(io.out).toMatch(/^kind\s+descriptor\s+remaining\s+converted\s+done\s+stage 2$/m);
    expect(io.out).toMatch(new RegExp(`^ptdesc\\s+Ptdesc \\(not declared\\)\\s+${ptdesc}\\s+0\\s+0\\.0%\\s+\\S+$`, 'm'));
    expect(io.out).toMatch(/^buddy\s+-\s+\d+\s+\d+\s+\d+\.\d%(\s+-)?$/m);
    expect(io.out).toContain(`unknown: ${analysis.summary.unknown}  residue: ${analysis.summary.residue}`);
  });

  it('--plan adds every planned patch with its state (text and JSON)', async () => {
    expect(await main(['status', '--corpus', '--plan', PATCHWORK, '--json'])).toBe(0);
    const j = JSON.parse(io.out) as ProgressPoint & { plan: { title: string; patches: Array<{ number: number; state: string; reason: string }> } };
    expect(j.plan.title).toBe('Split ptdesc from struct page');
    expect(j.plan.patches).toHaveLength(34);
    const byNumber = new Map(j.plan.patches.map((p) => [p.number, p]));
    // The corpus is unconverted: ptlock_alloc() still touches page->ptl, struct ptdesc does not exist yet.
    expect(byNumber.get(7)!.state).toBe('not done');
    expect(byNumber.get(4)!.state).toBe('not done');
    expect(byNumber.get(22)!.state).toBe('not applicable');
    for (const p of j.plan.patches) expect(p.reason.length).toBeGreaterThan(0);
    io.reset();
    expect(await main(['status', '--corpus', '--plan', ARCHIVE])).toBe(0);
    expect(io.out).toMatch(/plan: Separate ptdesc from struct page \(v1\): \d+ done, \d+ not done, \d+ not applicable/);
    expect(io.out).toMatch(/^\s+4\s+not done\s+pgtable: Remove uses of page->lru$/m);
  });

  it('--plan reads an 8-bit mbox through the same decoder as plan import', async () => {
    expect(await main(['status', '--corpus', '--plan', file('latin1-status.patch', LATIN1_COVER), '--json'])).toBe(0);
    const j = JSON.parse(io.out) as { plan: { title: string; patches: Array<{ subject: string }> } };
    expect(j.plan.title).toBe('mm/zsmalloc: zpdesc für alle');
    expect(j.plan.patches.map((p) => p.subject)).toEqual(['mm/zsmalloc: add zpdesc für die Seiten', 'mm/zsmalloc: convert zs_free() (naïve)']);
  });

  it.each([
    ['an unknown path', ['status', join(TMP, 'no-such-dir')], 'no such file or directory'],
    ['a bad spec', ['status', '--corpus', '--spec', join(TMP, 'no-spec.json')], 'no-spec.json'],
    ['a bad plan file', ['status', '--corpus', '--plan', REPLY], 'is not a patch series cover letter'],
    ['a missing plan file', ['status', '--corpus', '--plan', join(TMP, 'missing.txt')], 'no such file'],
  ])('%s: exit 2, one line', async (_name, args, want) => {
    expectOneLineError(await main(args), want);
  });
});
