/**
 * importPlan on the three seed cover letters (LWN-style archive, patchwork, lkml-style thread
 * view), the two seed posts that are not series, a git format-patch cover letter and a
 * whole-series mbox built here, and every malformed input.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.ts';
import { importPlan } from '../../src/track/planImport.ts';

const SEEDS = join(import.meta.dirname, '..', '..', '..', 'shared', 'seeds');
const seed = (prefix: string): string => {
  const f = readdirSync(SEEDS).find((n) => n.startsWith(prefix));
  if (!f) throw new Error(`seed ${prefix} missing`);
  return readFileSync(join(SEEDS, f), 'utf8');
};

function importError(text: string): string {
  try {
    importPlan(text, 'cover.txt');
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    const msg = (e as Error).message;
    expect(msg).not.toContain('\n');
    expect(msg.startsWith('cover.txt: ')).toBe(true);
    return msg;
  }
  throw new Error('importPlan accepted the input');
}

describe('seed cover letters', () => {
  it('000: archive page with header table cells, unindented shortlog, no blank before the diffstat', () => {
    const p = importPlan(seed('000_'));
    expect(p.title).toBe('Separate ptdesc from struct page');
    expect(p.version).toBe(1);
    expect(p.author).toBe('Matthew Wilcox (Oracle)');
    expect(p.patches).toHaveLength(7);
    expect(p.patches[0]).toEqual({ number: 1, subject: 'mm: Use frozen pages for page tables' });
    expect(p.patches[3]).toEqual({ number: 4, subject: 'pgtable: Remove uses of page->lru' });
    expect(p.patches[6]).toEqual({ number: 7, subject: 'mm: Allocate ptdesc from slab' });
  });

  it('001: patchwork mbox series page (v2, 34 patches, author from the message line)', () => {
    const p = importPlan(seed('001_'));
    expect(p.title).toBe('Split ptdesc from struct page');
    expect(p.version).toBe(2);
    expect(p.author).toBe('Vishal Moola (Oracle)');
    expect(p.patches).toHaveLength(34);
    expect(p.patches.map((x) => x.number)).toEqual(Array.from({ length: 34 }, (_, i) => i + 1));
    expect(p.patches[0]!.subject).toBe('mm: Add PAGE_TYPE_OP folio functions');
    expect(p.patches[6]!.subject).toBe('mm: Convert ptlock_alloc() to use ptdescs');
    expect(p.patches[33]!.subject).toBe('mm: Remove pgtable_{pmd, pte}_page_{ctor, dtor}() wrappers');
  });

  it('004: thread view with replies and quoted shortlogs; partial patch listing, so the shortlog counts', () => {
    const p = importPlan(seed('004_'));
    expect(p.title).toBe('Record the mm_struct in the page table pages');
    expect(p.version).toBe(1);
    expect(p.author).toBe('Matthew Wilcox (Oracle)');
    expect(p.patches).toHaveLength(7);
    expect(p.patches[0]).toEqual({ number: 1, subject: 'mm: Document x86 uses a linked list of pgds' });
    expect(p.patches[6]).toEqual({ number: 7, subject: 'mm: Set pt_mm in PMD constructor' });
  });

  it('002: a reply in a discussion thread is not a series', () => {
    expect(importError(seed('002_'))).toContain('"Re: pageless memory & zsmalloc" is not a patch series cover letter');
  });

  it('003: a quoted discussion post without headers is not a series', () => {
    expect(importError(seed('003_'))).toContain('no patch series cover letter subject');
  });
});

const FORMAT_PATCH = `From 1f2e3d4c5b6a79881f2e3d4c5b6a79881f2e3d4c Mon Sep 17 00:00:00 2001
From: =?UTF-8?q?Jos=C3=A9_Tester?= <jose@example.org>
Date: Tue, 2 Jan 2024 10:00:00 +0000
Subject: [PATCH mm-unstable v3 00/04] mm/zsmalloc: convert to zpdesc and
 slab pages to struct slab
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: 8bit

Intro text.

José Tester (3):
  mm/zsmalloc: convert obj_malloc() and obj_free() to use zpdesc for
    their first page
  mm/zsmalloc: convert zs_free() to use zpdesc
  mm/zsmalloc: Remove zsmalloc members from struct page

Other Person (1):
  slab: Convert new_slab() to struct slab

 mm/zsmalloc.c | 120 +++++++++++-----------
 mm/slub.c     |  10 +-
 2 files changed, 70 insertions(+), 60 deletions(-)

base-commit: 6a8b55ed4056ea5559ebe4f6a4b247f627870d4c
--
2.43.0
`;

describe('raw git format-patch / mbox', () => {
  it('folded subject, encoded author, two shortlog groups, wrapped subject', () => {
    const p = importPlan(FORMAT_PATCH);
    expect(p.title).toBe('mm/zsmalloc: convert to zpdesc and slab pages to struct slab');
    expect(p.version).toBe(3);
    expect(p.author).toBe('José Tester');
    expect(p.patches).toEqual([
      { number: 1, subject: 'mm/zsmalloc: convert obj_malloc() and obj_free() to use zpdesc for their first page' },
      { number: 2, subject: 'mm/zsmalloc: convert zs_free() to use zpdesc' },
      { number: 3, subject: 'mm/zsmalloc: Remove zsmalloc members from struct page' },
      { number: 4, subject: 'slab: Convert new_slab() to struct slab' },
    ]);
  });

  it('CRLF line ends are read the same', () => {
    expect(importPlan(FORMAT_PATCH.replace(/\n/g, '\r\n'))).toEqual(importPlan(FORMAT_PATCH));
  });

  it('quoted-printable body with a soft line break inside the shortlog', () => {
    const qp = FORMAT_PATCH.replace('Content-Transfer-Encoding: 8bit', 'Content-Transfer-Encoding: quoted-printable')
      .replace('José Tester (3):', 'Jos=C3=A9 Tester (3):')
      .replace('  mm/zsmalloc: convert zs_free() to use zpdesc', '  mm/zsmalloc: convert zs_free() to u=\nse zpdesc');
    const p = importPlan(qp);
    expect(p.patches[1]!.subject).toBe('mm/zsmalloc: convert zs_free() to use zpdesc');
    expect(p.patches).toHaveLength(4);
  });

  it('a whole-series mbox: numbered Subject: headers win over the shortlog, in patch order', () => {
    const patch = (k: number, subject: string): string =>
      `From 00${k} Mon Sep 17 00:00:00 2001\nFrom: A Person <a@example.org>\nSubject: [PATCH 0${k}/02] ${subject}\n\nbody ${k}\n---\n`;
    const mbox = `From 000 Mon Sep 17 00:00:00 2001\nFrom: A Person <a@example.org>\nSubject: [PATCH 00/02] Two things\n\nNo shortlog here.\n\n` +
      patch(2, 'mm: second thing') + patch(1, 'mm: first thing');
    const p = importPlan(mbox);
    expect(p.author).toBe('A Person');
    expect(p.patches).toEqual([{ number: 1, subject: 'mm: first thing' }, { number: 2, subject: 'mm: second thing' }]);
  });

  it('a shortlog whose wrapped lines lost their indentation is rejoined by its count', () => {
    const flat = FORMAT_PATCH.replace('\n    their first page', '\ntheir first page').replace(/^ {2}/gm, '');
    const p = importPlan(flat);
    expect(p.patches[0]!.subject).toBe('mm/zsmalloc: convert obj_malloc() and obj_free() to use zpdesc for their first page');
    expect(p.patches).toHaveLength(4);
  });

  it('an address-only From: is used as the author', () => {
    expect(importPlan(FORMAT_PATCH.replace(/^From: .*$/m, 'From: jose@example.org')).author).toBe('jose@example.org');
  });
});

describe('malformed input is one InputError sentence', () => {
  it.each([
    ['empty', '', 'empty file'],
    ['whitespace', ' \n\n\t\n', 'empty file'],
    ['binary', `\x7fELF\x02\x01\x01\0\0\0${'\x01\x02\x03'.repeat(50)}`, 'binary data'],
    ['not a cover letter', 'hello world\nthis is a text file\n', 'no patch series cover letter subject'],
    ['a lone patch', 'From: A <a@b.c>\nSubject: [PATCH v2 3/7] mm: something\n\nbody\n', 'patch 3/7 of a series, not its cover letter'],
    ['a reply to the cover letter', 'From: B <b@c.d>\nSubject: Re: [PATCH 0/7] Something\n\n> quoted\n', 'is not a patch series cover letter'],
    ['shortlog shorter than 00/NN', FORMAT_PATCH.replace('00/04', '00/05'), 'says 5 patches (00/5) but its shortlog lists 4'],
    ['group count disagrees', FORMAT_PATCH.replace('José Tester (3):', 'José Tester (2):'), 'shortlog group "José Tester (2):" lists 3 subjects'],
    ['no patch list at all', 'From: A <a@b.c>\nSubject: [PATCH 0/3] Three things\n\nJust words.\n', 'lists no patches'],
    ['only some patches listed', 'Subject: [PATCH 0/3] T\nFrom: A <a@b.c>\n\nSubject: [PATCH 1/3] mm: one\nSubject: [PATCH 3/3] mm: three\n', 'only patches 1, 3 are listed'],
    ['no title', 'From: A <a@b.c>\nSubject: [PATCH 0/1]\n', 'has no title'],
    ['zero patches', 'From: A <a@b.c>\nSubject: [PATCH 0/0] Nothing\n', '0 patches'],
  ])('%s', (_name, text, want) => {
    expect(importError(text)).toContain(want);
  });
});
