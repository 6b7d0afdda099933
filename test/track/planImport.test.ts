/**
 * importPlan on the five archived posts in test/fixtures/plan (an LWN-style archive page, a
 * patchwork page, an lkml-style thread view, and two posts that are not series), on hand-made
 * public-inbox thread pages, and on mail built here byte by byte: git format-patch cover letters,
 * 8-bit and MIME-encoded messages (charsets, quoted-printable, base64, RFC 2047 words, folded
 * headers), mboxes with several versions of a series, and every malformed input.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.ts';
import { importPlan, importPlanWithNotes, type PlanImportOptions } from '../../src/track/planImport.ts';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'plan');
const fixture = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');

function importError(input: string | Uint8Array, options: PlanImportOptions = {}): string {
  try {
    importPlan(input, 'cover.txt', options);
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    const msg = (e as Error).message;
    expect(msg).not.toContain('\n');
    expect(msg.startsWith('cover.txt: ')).toBe(true);
    return msg;
  }
  throw new Error('importPlan accepted the input');
}

describe('archived cover letters', () => {
  it('archive page with header table cells, unindented shortlog, no blank before the diffstat', () => {
    const p = importPlan(fixture('archive-rfc-ptdesc.txt'));
    expect(p.title).toBe('Separate ptdesc from struct page');
    expect(p.version).toBe(1);
    expect(p.author).toBe('Matthew Wilcox (Oracle)');
    expect(p.patches).toHaveLength(7);
    expect(p.patches[0]).toEqual({ number: 1, subject: 'mm: Use frozen pages for page tables' });
    expect(p.patches[3]).toEqual({ number: 4, subject: 'pgtable: Remove uses of page->lru' });
    expect(p.patches[6]).toEqual({ number: 7, subject: 'mm: Allocate ptdesc from slab' });
  });

  it('patchwork mbox series page (v2, 34 patches, author from the message line)', () => {
    const p = importPlan(fixture('patchwork-v2-ptdesc.txt'));
    expect(p.title).toBe('Split ptdesc from struct page');
    expect(p.version).toBe(2);
    expect(p.author).toBe('Vishal Moola (Oracle)');
    expect(p.patches).toHaveLength(34);
    expect(p.patches.map((x) => x.number)).toEqual(Array.from({ length: 34 }, (_, i) => i + 1));
    expect(p.patches[0]!.subject).toBe('mm: Add PAGE_TYPE_OP folio functions');
    expect(p.patches[6]!.subject).toBe('mm: Convert ptlock_alloc() to use ptdescs');
    expect(p.patches[33]!.subject).toBe('mm: Remove pgtable_{pmd, pte}_page_{ctor, dtor}() wrappers');
  });

  it('thread view with replies and quoted shortlogs; partial patch listing, so the shortlog counts', () => {
    const p = importPlan(fixture('lkml-thread-pt-mm.txt'));
    expect(p.title).toBe('Record the mm_struct in the page table pages');
    expect(p.version).toBe(1);
    expect(p.author).toBe('Matthew Wilcox (Oracle)');
    expect(p.patches).toHaveLength(7);
    expect(p.patches[0]).toEqual({ number: 1, subject: 'mm: Document x86 uses a linked list of pgds' });
    expect(p.patches[6]).toEqual({ number: 7, subject: 'mm: Set pt_mm in PMD constructor' });
  });

  it('a reply in a discussion thread is not a series', () => {
    expect(importError(fixture('lore-reply-zsmalloc.txt'))).toContain('"Re: pageless memory & zsmalloc" is not a patch series cover letter');
  });

  it('a quoted discussion post without headers is not a series', () => {
    expect(importError(fixture('quoted-post.txt'))).toContain('no patch series cover letter subject');
  });

  it('the same page read as bytes gives the same plan as read as text', () => {
    for (const f of ['archive-rfc-ptdesc.txt', 'patchwork-v2-ptdesc.txt', 'lkml-thread-pt-mm.txt']) {
      expect(importPlan(readFileSync(join(FIXTURES, f)))).toEqual(importPlan(fixture(f)));
    }
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

// ---- mail built byte by byte ------------------------------------------------------------

type Bytes = Buffer;
const ascii = (s: string): Bytes => Buffer.from(s, 'latin1');
const utf8 = (s: string): Bytes => Buffer.from(s, 'utf8');
const latin1 = (s: string): Bytes => {
  for (const c of s) if (c.codePointAt(0)! > 0xff) throw new Error(`${c} is not Latin-1`);
  return Buffer.from(s, 'latin1');
};
/** A single-byte charset's encoder, by inverting the platform's decoder for it. */
function singleByte(charset: string): (s: string) => Bytes {
  const decoded = new TextDecoder(charset).decode(Uint8Array.from({ length: 256 }, (_, i) => i));
  const table = new Map([...decoded].map((c, i) => [c, i]));
  return (s) => Buffer.from([...s].map((c) => {
    const b = table.get(c);
    if (b === undefined) throw new Error(`${c} is not in ${charset}`);
    return b;
  }));
}
/** Windows-1252 by hand: Node 20's TextDecoder reads it as Latin-1, so it cannot be inverted. */
const CP1252_EXTRA: Record<string, number> = { '€': 0x80, '‚': 0x82, '„': 0x84, '…': 0x85, '‘': 0x91, '’': 0x92, '“': 0x93, '”': 0x94, '–': 0x96, '—': 0x97, 'Š': 0x8a, 'š': 0x9a, 'Ž': 0x8e, 'ž': 0x9e, 'Œ': 0x8c, 'œ': 0x9c, 'Ÿ': 0x9f };
const cp1252 = (s: string): Bytes => Buffer.from([...s].map((c) => CP1252_EXTRA[c] ?? latin1(c)[0]!));

function qpEncode(bytes: Bytes): string {
  let out = '';
  let line = '';
  for (const b of bytes) {
    if (b === 0x0a) {
      out += `${line}\n`;
      line = '';
      continue;
    }
    const piece = b === 0x3d || b > 0x7e || (b < 0x20 && b !== 0x09) ? `=${b.toString(16).toUpperCase().padStart(2, '0')}` : String.fromCharCode(b);
    if (line.length + piece.length > 75) {
      out += `${line}=\n`;
      line = '';
    }
    line += piece;
  }
  return out + line;
}

interface MailSpec {
  from: string;
  subject: string;
  /** Body bytes as sent (already in the declared charset). */
  body: Bytes;
  /** Content-Type value, e.g. `text/plain; charset=ISO-8859-1`; none when omitted. */
  contentType?: string;
  cte?: '7bit' | '8bit' | 'quoted-printable' | 'base64';
  /** Extra raw header lines. */
  headers?: string[];
  /** Header bytes as sent: raw 8-bit headers are written with this encoder. */
  headerBytes?: (s: string) => Bytes;
}

let sha = 0x1000;
/** One mbox message: separator line, headers, blank line, body encoded by its transfer encoding. */
function mail(m: MailSpec): Bytes {
  const h = [`From ${(sha++).toString(16).padStart(40, '0')} Mon Sep 17 00:00:00 2001`, `From: ${m.from}`, 'Date: Tue, 2 Jan 2024 10:00:00 +0100', `Subject: ${m.subject}`];
  if (m.contentType) h.push('MIME-Version: 1.0', `Content-Type: ${m.contentType}`);
  if (m.cte) h.push(`Content-Transfer-Encoding: ${m.cte}`);
  h.push(...(m.headers ?? []));
  const body = m.cte === 'quoted-printable' ? ascii(qpEncode(m.body))
    : m.cte === 'base64' ? ascii(`${m.body.toString('base64').replace(/.{76}/g, '$&\n')}\n`)
      : m.body;
  return Buffer.concat([(m.headerBytes ?? ascii)(`${h.join('\n')}\n\n`), body, ascii('\n')]);
}

/** A cover letter body: intro, shortlog of `author` with `subjects`, a diffstat, the signature. */
function coverBody(author: string, subjects: string[], intro = 'This series converts a few users.'): string {
  return `${intro}\n\n${author} (${subjects.length}):\n${subjects.map((s) => `  ${s}\n`).join('')}\n` +
    ` mm/zsmalloc.c | 12 ++++++------\n 1 file changed, 6 insertions(+), 6 deletions(-)\n\n-- \n2.43.0\n`;
}

const SUBJECTS = ['mm/zsmalloc: add zpdesc für die Seiten', 'mm/zsmalloc: zs_free() nutzt zpdesc (größer)'];

describe('8-bit and MIME-encoded mail is decoded by each message\'s own charset (issue 12)', () => {
  const names = { joerg: 'Jörg Rödel', dmitri: 'Дмитрий Иванов' };
  const valid: Array<[string, Bytes, { author: string; subjects: string[]; title?: string }]> = [
    ['Latin-1 body, charset=ISO-8859-1, 8bit', mail({
      from: '=?ISO-8859-1?Q?J=F6rg_R=F6del?= <joerg@example.org>', subject: '[PATCH v2 0/2] mm/zsmalloc: zpdesc für alle',
      contentType: 'text/plain; charset=ISO-8859-1', cte: '8bit', body: latin1(coverBody(names.joerg, ['mm/zsmalloc: add zpdesc für die Seiten', 'mm/zsmalloc: convert zs_free() to zpdesc (naïve)'])),
    }), { author: names.joerg, title: 'mm/zsmalloc: zpdesc für alle', subjects: ['mm/zsmalloc: add zpdesc für die Seiten', 'mm/zsmalloc: convert zs_free() to zpdesc (naïve)'] }],
    ['Latin-1 body with no charset declared: not UTF-8, so Windows-1252', mail({
      from: 'Joerg Roedel <joerg@example.org>', subject: '[PATCH v2 0/2] mm/zsmalloc: zpdesc',
      body: latin1(coverBody(names.joerg, ['mm/zsmalloc: add zpdesc für die Seiten', 'mm/zsmalloc: größere Klassen'])),
    }), { author: 'Joerg Roedel', subjects: ['mm/zsmalloc: add zpdesc für die Seiten', 'mm/zsmalloc: größere Klassen'] }],
    ['Windows-1252 punctuation (0x80-0x9F) with no charset: curly quotes and dashes, not C1 controls', mail({
      from: 'A Person <a@example.org>', subject: '[PATCH 0/2] mm: zpdesc',
      body: cp1252(coverBody('A Person', ['mm: don’t touch page->private', 'mm: zs_free() – use zpdesc for “huge” pages'])),
    }), { author: 'A Person', subjects: ['mm: don’t touch page->private', 'mm: zs_free() – use zpdesc for “huge” pages'] }],
    ['charset=windows-1252 declared, € and Š', mail({
      from: '=?windows-1252?Q?Ale=9A_=8Aimek?= <ales@example.org>', subject: '[PATCH 0/2] mm: save 8 € per page', headerBytes: cp1252,
      contentType: 'text/plain; charset="windows-1252"', cte: '8bit', body: cp1252(coverBody('Aleš Šimek', ['mm: save € on struct page', 'mm: …and more'])),
    }), { author: 'Aleš Šimek', title: 'mm: save 8 € per page', subjects: ['mm: save € on struct page', 'mm: …and more'] }],
    ['ISO-8859-15: 0xA4 is €, not ¤', mail({
      from: 'B Person <b@example.org>', subject: '[PATCH 0/2] mm: zpdesc',
      contentType: 'text/plain; charset=iso-8859-15', cte: '8bit', body: singleByte('iso-8859-15')(coverBody('B Person', ['mm: 1 € saved', 'mm: Œuvre'])),
    }), { author: 'B Person', subjects: ['mm: 1 € saved', 'mm: Œuvre'] }],
    ['KOI8-R body and a base64 KOI8-R encoded name', mail({
      from: `=?KOI8-R?B?${singleByte('koi8-r')(names.dmitri).toString('base64')}?= <dmitri@example.org>`, subject: '[PATCH 0/2] mm: zpdesc',
      contentType: 'text/plain; charset=KOI8-R', cte: '8bit', body: singleByte('koi8-r')(coverBody(names.dmitri, ['mm: перевести zs_free() на zpdesc', 'mm: убрать поля из struct page'])),
    }), { author: names.dmitri, subjects: ['mm: перевести zs_free() на zpdesc', 'mm: убрать поля из struct page'] }],
    ['quoted-printable Latin-1 with soft line breaks', mail({
      from: '=?ISO-8859-1?Q?R=F6del=2C_J=F6rg?= <joerg@example.org>', subject: '[PATCH 0/2] mm: zpdesc',
      contentType: 'text/plain; charset=iso-8859-1', cte: 'quoted-printable',
      body: latin1(coverBody(names.joerg, ['mm/zsmalloc: a very long subject line that the mailer wraps with a soft line break über 76 columns', 'mm: zwei'])),
    }), { author: 'Rödel, Jörg', subjects: ['mm/zsmalloc: a very long subject line that the mailer wraps with a soft line break über 76 columns', 'mm: zwei'] }],
    ['base64 UTF-8 body', mail({
      from: '=?UTF-8?B?SsO2cmcgUsO2ZGVs?= <joerg@example.org>', subject: '[PATCH 0/2] mm: zpdesc',
      contentType: 'text/plain; charset=utf-8', cte: 'base64', body: utf8(coverBody(names.joerg, SUBJECTS)),
    }), { author: names.joerg, subjects: SUBJECTS }],
    ['UTF-8 8-bit body with no charset declared', mail({
      from: 'Jörg Rödel <joerg@example.org>', subject: '[PATCH 0/2] mm: zpdesc', headerBytes: utf8,
      body: utf8(coverBody(names.joerg, SUBJECTS)),
    }), { author: names.joerg, subjects: SUBJECTS }],
    ['raw 8-bit Latin-1 headers (no encoded words) read in the message\'s charset', mail({
      from: 'Jörg Rödel <joerg@example.org>', subject: '[PATCH 0/2] mm: Größe', headerBytes: latin1,
      contentType: 'text/plain; charset=ISO-8859-1', cte: '8bit', body: latin1(coverBody(names.joerg, SUBJECTS)),
    }), { author: names.joerg, title: 'mm: Größe', subjects: SUBJECTS }],
    ['an unknown charset label falls back like an undeclared one', mail({
      from: 'C Person <c@example.org>', subject: '[PATCH 0/2] mm: zpdesc',
      contentType: 'text/plain; charset=x-no-such-charset', cte: '8bit', body: latin1(coverBody('C Person', ['mm: für', 'mm: naïve'])),
    }), { author: 'C Person', subjects: ['mm: für', 'mm: naïve'] }],
    ['format=flowed: a soft-wrapped shortlog line is rejoined', mail({
      from: 'D Person <d@example.org>', subject: '[PATCH 0/2] mm: zpdesc',
      contentType: 'text/plain; charset=utf-8; format=flowed', cte: '8bit',
      body: utf8(coverBody('D Person', ['mm: wrapped by the mailer ', 'mm: two']).replace('mailer \n', 'mailer \nx86: still the same subject\n')),
    }), { author: 'D Person', subjects: ['mm: wrapped by the mailer x86: still the same subject', 'mm: two'] }],
    ['multipart/signed: the text/plain part in Latin-1 and base64, the signature skipped', Buffer.concat([
      mail({
        from: 'E Person <e@example.org>', subject: '[PATCH 0/2] mm: zpdesc',
        contentType: 'multipart/signed; micalg=pgp-sha256;\n protocol="application/pgp-signature"; boundary="=-=sig=-="',
        body: Buffer.concat([
          ascii('This is a digitally signed message.\n--=-=sig=-=\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: base64\n\n'),
          ascii(latin1(coverBody('E Person', ['mm: für', 'mm: naïve'])).toString('base64').replace(/.{76}/g, '$&\n')),
          ascii('\n--=-=sig=-=\nContent-Type: application/pgp-signature; name="signature.asc"\n\n-----BEGIN PGP SIGNATURE-----\nF Person (9):\n-----END PGP SIGNATURE-----\n--=-=sig=-=--\n'),
        ]),
      }),
    ]), { author: 'E Person', subjects: ['mm: für', 'mm: naïve'] }],
    ['a UTF-16 file with a byte order mark (a page saved by a Windows editor)', Buffer.concat([
      Buffer.from([0xff, 0xfe]), Buffer.from(`Subject: [PATCH 0/2] mm: zpdesc\nFrom: Jörg Rödel <j@example.org>\n\n${coverBody(names.joerg, SUBJECTS)}`, 'utf16le'),
    ]), { author: names.joerg, subjects: SUBJECTS }],
    ['a saved page (not a mail) in Latin-1', latin1(`linux-mm archive\n\nSubject: [PATCH 0/2] mm: zpdesc\n\n| From: |\n| Jörg Rödel <j-AT-example.org> |\n\n${coverBody(names.joerg, ['mm: für', 'mm: naïve'])}`),
      { author: names.joerg, subjects: ['mm: für', 'mm: naïve'] }],
    ['a page pasted together from a UTF-8 and a Latin-1 source: each line by its own bytes', Buffer.concat([
      utf8('Subject: [PATCH 0/2] mm: zpdesc\nFrom: Łukasz Nowak <l@example.org>\n\n'), latin1(coverBody(names.joerg, ['mm: für', 'mm: naïve'])),
    ]), { author: 'Łukasz Nowak', subjects: ['mm: für', 'mm: naïve'] }],
  ];

  it.each(valid)('%s', (_name, bytes, want) => {
    const p = importPlan(bytes);
    expect(p.author).toBe(want.author);
    if (want.title) expect(p.title).toBe(want.title);
    expect(p.patches.map((x) => x.subject)).toEqual(want.subjects);
    expect(p.patches.map((x) => x.number)).toEqual(want.subjects.map((_, i) => i + 1));
  });

  it('each message of an mbox is decoded by its own charset: a Latin-1 cover letter, UTF-8 and KOI8-R patches', () => {
    const mbox = Buffer.concat([
      mail({ from: '=?ISO-8859-1?Q?J=F6rg_R=F6del?= <j@example.org>', subject: '[PATCH v4 0/3] mm: Größe', contentType: 'text/plain; charset=ISO-8859-1', cte: '8bit', body: latin1('Drei Patches, keine Shortlog.\n') }),
      mail({ from: 'Jörg Rödel <j@example.org>', subject: '[PATCH v4 1/3] mm: über zpdesc', headerBytes: utf8, contentType: 'text/plain; charset=UTF-8', cte: '8bit', body: utf8('Größer.\n---\n') }),
      mail({ from: '=?UTF-8?Q?J=C3=B6rg_R=C3=B6del?= <j@example.org>', subject: '=?UTF-8?Q?[PATCH_v4_2/3]_mm:_na=C3=AFve_?=\n =?UTF-8?Q?zs=5Ffree()?=', contentType: 'text/plain; charset=UTF-8', cte: 'quoted-printable', body: utf8('Naïve.\n') }),
      mail({ from: '=?UTF-8?Q?J=C3=B6rg_R=C3=B6del?= <j@example.org>', subject: '[PATCH v4 3/3] mm: поля', headerBytes: singleByte('koi8-r'), contentType: 'text/plain; charset=koi8-r', cte: '8bit', body: singleByte('koi8-r')('Поля.\n') }),
    ]);
    const p = importPlan(mbox);
    expect(p).toEqual({
      title: 'mm: Größe', version: 4, author: 'Jörg Rödel',
      patches: [{ number: 1, subject: 'mm: über zpdesc' }, { number: 2, subject: 'mm: naïve zs_free()' }, { number: 3, subject: 'mm: поля' }],
    });
  });

  const binary: Array<[string, Uint8Array]> = [
    ['NUL bytes in text', ascii('Subject: [PATCH 0/1] mm: x\n\0\0\0\0 A Person (1):\n  mm: y\n')],
    ['a PNG image', Buffer.from('89504e470d0a1a0a0000000d4948445200000010000000100806000000 1ff3ff61000000097048597300000b1300000b1301009a9c18'.replace(/ /g, ''), 'hex')],
    ['an ELF executable', ascii(`\x7fELF\x02\x01\x01\0\0\0${'\x01\x02\x03'.repeat(50)}`)],
  ];
  it.each(binary)('%s is refused as binary data', (_name, bytes) => {
    expect(importError(bytes)).toMatch(/^cover\.txt: binary data, expected a patch series cover letter as text$/);
  });
});

describe('RFC 2047 encoded words and folded headers', () => {
  const cover = (from: string, subject: string, extra = ''): Bytes => ascii(
    `From 0000 Mon Sep 17 00:00:00 2001\nFrom: ${from}\nSubject: ${subject}\n${extra}\n${coverBody('A Person', ['mm: one', 'mm: two'])}`);
  const b64 = (charset: string, bytes: Bytes): string => `=?${charset}?B?${bytes.toString('base64')}?=`;

  const names: Array<[string, string, string]> = [
    ['Q, ISO-8859-1', '=?ISO-8859-1?Q?J=F6rg?= Mustermann <j@example.org>', 'Jörg Mustermann'],
    ['Q, lower-case charset and encoding', '=?iso-8859-1?q?J=F6rg_M=FCller?= <j@example.org>', 'Jörg Müller'],
    ['B, UTF-8', `${b64('UTF-8', utf8('Łukasz Nowak'))} <l@example.org>`, 'Łukasz Nowak'],
    ['a multi-byte character split across two B words', `${b64('UTF-8', utf8('Ł').subarray(0, 1))} ${b64('UTF-8', Buffer.concat([utf8('Ł').subarray(1), utf8('ukasz')]))} <l@example.org>`, 'Łukasz'],
    ['adjacent words joined without the space between them', '=?UTF-8?Q?Jos=C3=A9?= =?UTF-8?Q?_Tester?= <j@example.org>', 'José Tester'],
    ['an RFC 2231 language tag', '=?ISO-8859-1*de?Q?J=F6rg?= <j@example.org>', 'Jörg'],
    ['a quoted name with a comma', '"=?UTF-8?Q?R=C3=B6del,_J=C3=B6rg?=" <j@example.org>', 'Rödel, Jörg'],
    ['folded: the address on a continuation line', '=?UTF-8?Q?J=C3=B6rg_R=C3=B6del?=\n <j@example.org>', 'Jörg Rödel'],
    ['an address with the name as a comment', 'j@example.org (=?UTF-8?Q?J=C3=B6rg?=)', 'Jörg'],
  ];
  it.each(names)('From: %s', (_name, from, want) => {
    expect(importPlan(cover(from, '[PATCH 0/2] mm: t')).author).toBe(want);
  });

  const subjects: Array<[string, string, string, number]> = [
    ['the whole subject encoded, prefix included', '=?UTF-8?q?=5BPATCH_v2_0/2=5D_mm:_caf=C3=A9?=', 'mm: café', 2],
    ['folded over three lines, encoded words joined', '[PATCH v2 0/2] =?UTF-8?Q?mm:_caf=C3=A9?=\n =?UTF-8?Q?_cr=C3=A8me?=\n\tand more', 'mm: café crème and more', 2],
    ['folded with a tab inside the prefix', '[PATCH v7\n\t0/2] mm: t', 'mm: t', 7],
    ['encoded in Latin-1 with B', `[RFC PATCH v3 0/2] ${b64('ISO-8859-1', latin1('mm: über'))}`, 'mm: über', 3],
    ['PATCHv2 without a space', '[PATCHv2 0/2] mm: t', 'mm: t', 2],
    ['RFCv4', '[RFCv4 0/2] mm: t', 'mm: t', 4],
    ['upper-case V', '[PATCH V5 0/2] mm: t', 'mm: t', 5],
    ['the version after the numbers', '[PATCH 0/2 v6] mm: t', 'mm: t', 6],
    ['a mailing list tag first', '[linux-mm] [PATCH v2 00/02] mm: t', 'mm: t', 2],
    ['a tree and a version', '[PATCH net-next v3 0/2] mm: t', 'mm: t', 3],
    ['a kernel version is no series version', '[PATCH 6.1.y 0/2] mm: t', 'mm: t', 1],
  ];
  it.each(subjects)('Subject: %s', (_name, subject, title, version) => {
    const p = importPlan(cover('A Person <a@example.org>', subject));
    expect(p.title).toBe(title);
    expect(p.version).toBe(version);
  });

  it('a body line that starts with "From " and holds a time does not split the message', () => {
    const body = 'From now on the shrinker runs at 10:30 at the latest.\nLink: https://example.org/1\n\n' + coverBody('A Person', ['mm: one', 'mm: two']);
    const p = importPlan(ascii(`From 0000 Mon Sep 17 00:00:00 2001\nFrom: B Person <b@example.org>\nSubject: [PATCH 0/2] mm: t\n\n${body}`));
    expect(p.author).toBe('B Person');
    expect(p.patches.map((x) => x.subject)).toEqual(['mm: one', 'mm: two']);
  });

  it.each([
    ['public-inbox mboxrd', 'From mboxrd@z Thu Jan  1 00:00:00 1970'],
    ['Thunderbird', 'From - Tue Jan 02 10:00:00 2024'],
    ['a zone before the year', 'From joerg@example.org Tue Jan  2 10:00:00 +0100 2024'],
  ])('mbox separators: %s', (_name, separator) => {
    const msg = (from: string, subject: string, body: string): string => `${separator}\nFrom: ${from}\nSubject: ${subject}\n\n${body}\n`;
    const mbox = msg('A <a@example.org>', 'Re: [PATCH v2 1/2] mm: one', '>From the quoted part:\n> x\n') +
      msg('=?UTF-8?Q?J=C3=B6rg?= <j@example.org>', '[PATCH v2 0/2] mm: t', 'No shortlog.') +
      msg('J <j@example.org>', '[PATCH v2 1/2] mm: one', 'x') + msg('J <j@example.org>', '[PATCH v2 2/2] mm: two', 'x');
    expect(importPlan(mbox)).toEqual({ title: 'mm: t', version: 2, author: 'Jörg', patches: [{ number: 1, subject: 'mm: one' }, { number: 2, subject: 'mm: two' }] });
  });

  it('encoded and folded patch subjects in a whole-series mbox', () => {
    const mbox = Buffer.concat([
      ascii('From 0000 Mon Sep 17 00:00:00 2001\nFrom: A Person <a@example.org>\nSubject: [PATCH 0/2] mm: t\n\nNo shortlog.\n\n'),
      ascii('From 0001 Mon Sep 17 00:00:00 2001\nFrom: A Person <a@example.org>\nSubject: =?UTF-8?Q?[PATCH_1/2]_mm:_caf=C3=A9_?=\n =?UTF-8?Q?cr=C3=A8me?=\n\nx\n'),
      ascii('From 0002 Mon Sep 17 00:00:00 2001\nFrom: A Person <a@example.org>\nSubject: [PATCH 2/2] mm: a subject that is long\n enough to be folded\n\ny\n'),
    ]);
    expect(importPlan(mbox).patches).toEqual([{ number: 1, subject: 'mm: café crème' }, { number: 2, subject: 'mm: a subject that is long enough to be folded' }]);
  });

  it('encoded words on a saved page\'s header lines are decoded too', () => {
    const page = `Subject: [PATCH 0/2] =?UTF-8?Q?mm:_caf=C3=A9?=\nFrom: =?ISO-8859-1?Q?J=F6rg?= <j-AT-example.org>\n\n${coverBody('Jörg', ['mm: one', 'mm: two'])}`;
    expect(importPlan(page)).toMatchObject({ title: 'mm: café', author: 'Jörg' });
  });
});

// ---- several cover letters ---------------------------------------------------------------

interface SeriesSpec {
  version?: number;
  title: string;
  author?: string;
  subjects: string[];
  /** Include the cover letter's shortlog. */
  shortlog?: boolean;
  /** Include one message per patch. */
  patches?: boolean;
  tags?: string;
}

function series(s: SeriesSpec): Bytes {
  const n = s.subjects.length;
  const author = s.author ?? 'A Person';
  const tag = s.tags ?? `PATCH${s.version && s.version > 1 ? ` v${s.version}` : ''}`;
  const out = [mail({
    from: `${author} <a@example.org>`, subject: `[${tag} 0/${n}] ${s.title}`, contentType: 'text/plain; charset=utf-8', cte: '8bit',
    body: utf8(s.shortlog === false ? `${s.title}, in ${n} patches.\n` : coverBody(author, s.subjects)),
  })];
  if (s.patches !== false) {
    s.subjects.forEach((subject, i) => out.push(mail({ from: `${author} <a@example.org>`, subject: `[${tag} ${i + 1}/${n}] ${subject}`, body: ascii('Signed-off-by: A\n---\n') })));
  }
  return Buffer.concat(out);
}

const V2 = { version: 2, title: 'mm: zpdesc for zsmalloc', subjects: ['mm: v2 one', 'mm: v2 two'] };
const V3 = { version: 3, title: 'mm: zpdesc for zsmalloc', author: 'B Person', subjects: ['mm: v3 one', 'mm: v3 two', 'mm: v3 three'] };

describe('an mbox with several cover letters', () => {
  it.each([['v2 then v3', [V2, V3]], ['v3 then v2', [V3, V2]]])('%s: the newest version, with a note; patches of that version only', (_name, order) => {
    const r = importPlanWithNotes(Buffer.concat(order.map(series)), 'series.mbox');
    expect(r.plan).toEqual({ title: 'mm: zpdesc for zsmalloc', version: 3, author: 'B Person', patches: V3.subjects.map((subject, i) => ({ number: i + 1, subject })) });
    expect(r.notes).toEqual(['series.mbox holds 2 cover letters (v2, v3); using v3 — pass --version N to choose']);
  });

  it('--version picks an older one, with its own author and patches, and no note', () => {
    const r = importPlanWithNotes(Buffer.concat([series(V2), series(V3)]), 'series.mbox', { version: 2 });
    expect(r.plan).toEqual({ title: 'mm: zpdesc for zsmalloc', version: 2, author: 'A Person', patches: V2.subjects.map((subject, i) => ({ number: i + 1, subject })) });
    expect(r.notes).toEqual([]);
  });

  it('a version that is not there is an error naming the versions found', () => {
    expect(importError(Buffer.concat([series(V2), series(V3)]), { version: 4 })).toBe('cover.txt: no v4 cover letter; found v2, v3');
    expect(importError(series(V3), { version: 1 })).toBe('cover.txt: no v1 cover letter; found v3');
  });

  it('titles that changed between versions are named in the note', () => {
    const r = importPlanWithNotes(Buffer.concat([series({ ...V2, title: 'mm: zsmalloc descriptors' }), series(V3)]), 'x');
    expect(r.notes).toEqual(['x holds 2 cover letters (v2 "mm: zsmalloc descriptors", v3 "mm: zpdesc for zsmalloc"); using v3 — pass --version N to choose']);
  });

  it('shortlogs only: each version\'s own shortlog, never the other one\'s', () => {
    const v2 = { ...V2, patches: false };
    const v3 = { ...V3, patches: false };
    expect(importPlan(Buffer.concat([series(v2), series(v3)])).patches.map((p) => p.subject)).toEqual(V3.subjects);
    expect(importPlan(Buffer.concat([series(v3), series(v2)]), 'x', { version: 2 }).patches.map((p) => p.subject)).toEqual(V2.subjects);
  });

  it('the author is the From: of the chosen cover letter\'s own message, not a neighbour\'s or the shortlog\'s', () => {
    const mbox = Buffer.concat([series({ ...V2, shortlog: false }), series({ ...V3, shortlog: false })]);
    expect(importPlan(mbox).author).toBe('B Person');
    expect(importPlan(mbox, 'x', { version: 2 }).author).toBe('A Person');
    const renamed = Buffer.concat([series(V2), Buffer.from(series(V3).toString('utf8').replace('B Person (3):', 'C Person (3):'))]);
    expect(importPlan(renamed).author).toBe('B Person');
  });

  it('the chosen version lists no patches: an error, not the other version\'s shortlog or patches', () => {
    const mbox = Buffer.concat([series({ ...V3, shortlog: false, patches: false }), series(V2)]);
    expect(importError(mbox)).toContain('the cover letter (00/3) lists no patches');
  });

  it('two different series of the same version: an error asking for a narrower input', () => {
    const mbox = Buffer.concat([series({ version: 2, title: 'mm: one series', subjects: ['a: x', 'a: y'] }), series({ version: 2, title: 'slab: another series', subjects: ['b: x', 'b: y', 'b: z'] })]);
    expect(importError(mbox)).toBe('cover.txt: 2 different series at v2 ("mm: one series", "slab: another series"); pass a file with only one of them');
    expect(importError(mbox, { version: 2 })).toContain('2 different series at v2');
  });

  it('the same cover letter twice (a resend) is one cover letter', () => {
    const r = importPlanWithNotes(Buffer.concat([series(V3), series({ ...V3, tags: 'PATCH v3 RESEND' })]), 'x');
    expect(r.notes).toEqual([]);
    expect(r.plan.patches.map((p) => p.subject)).toEqual(V3.subjects);
  });

  it.each([
    ['another series this one applies on top of', '[PATCH v2 0/5] mm: some preparatory series'],
    ['the previous version', '[PATCH v2 0/3] mm: zpdesc for zsmalloc'],
    ['a newer version announced', '[PATCH v4 0/3] mm: zpdesc for zsmalloc'],
    ['a patch of another series', '[PATCH v3 2/3] mm: not one of these'],
  ])('a cover letter body that names %s on a line of its own: no second cover letter, no foreign patch', (_name, mention) => {
    const mbox = series({ ...V3, shortlog: false });
    const text = mbox.toString('utf8').replace(`${V3.title}, in 3 patches.\n`, `Applies on top of:\n${mention}\n`);
    expect(text).toContain(mention);
    const r = importPlanWithNotes(Buffer.from(text, 'utf8'), 'x');
    expect(r.notes).toEqual([]);
    expect(r.plan.version).toBe(3);
    expect(r.plan.patches.map((p) => p.subject)).toEqual(V3.subjects);
  });

  it('RFC and v1 without a version tag count as v1', () => {
    const r = importPlanWithNotes(Buffer.concat([series({ title: 'mm: t', tags: 'RFC PATCH', subjects: ['mm: rfc'] }), series({ version: 2, title: 'mm: t', subjects: ['mm: real'] })]), 'x');
    expect(r.plan.version).toBe(2);
    expect(r.notes[0]).toContain('(v1, v2); using v2');
  });
});

// ---- public-inbox thread pages -----------------------------------------------------------

const VMDESC = {
  title: 'mm/vmalloc: track vmalloc pages with struct vmdesc',
  version: 5,
  author: 'Hanna Müller',
  patches: [
    { number: 1, subject: 'mm/vmalloc: add struct vmdesc and its accessors' },
    { number: 2, subject: 'mm/vmalloc: convert vmap_pages_range() to use vmdesc' },
    { number: 3, subject: 'mm/vmalloc: convert vfree() and vunmap() to use vmdesc' },
    { number: 4, subject: 'mm: remove vmalloc members from struct page' },
  ],
};
const SLAB = {
  title: 'slub: keep slab state in struct slab only',
  version: 3,
  author: 'Łukasz Nowak',
  patches: [
    { number: 1, subject: 'slub: add slab_folio() and folio_slab() helpers' },
    { number: 2, subject: 'slub: convert new_slab() to return a struct slab' },
    { number: 3, subject: 'slub: convert the partial lists to use slab->slab_list' },
    { number: 4, subject: 'slub: freelist and inuse live in struct slab' },
    { number: 5, subject: 'mm: remove slab members from struct page' },
  ],
};

describe('public-inbox thread pages saved as text', () => {
  const flat = fixture('lore-thread-v5-flat.txt');
  const headers = fixture('lore-thread-v3-headers.txt');

  it('flat thread view: the cover letter, its 4 patches; replies and the overview\'s names are not patches', () => {
    expect(importPlan(flat)).toEqual(VMDESC);
  });

  it('flat thread view without the reply to the cover letter (the overview lists patch 1/4 first)', () => {
    const noReply = flat.replace(/^.*` \[PATCH v5 0\/4\].*\n/gm, '');
    expect(noReply).not.toContain('` [PATCH v5 0/4]');
    expect(importPlan(noReply)).toEqual(VMDESC);
  });

  it('flat thread view cut after the cover letter: the shortlog, not the overview\'s subjects', () => {
    const cut = flat.slice(0, flat.indexOf('^ permalink'));
    expect(importPlan(cut)).toEqual(VMDESC);
  });

  it('without shortlog and patch messages, the overview alone lists 3 of 4 (one subject is abbreviated)', () => {
    const start = flat.indexOf('Hanna Müller (4):');
    const overviewOnly = flat.slice(0, start) + flat.slice(flat.indexOf('end of thread'));
    expect(importError(overviewOnly)).toContain('only patches 1, 2, 4 are listed');
  });

  it('overview first, then messages with From:/Subject:/Date: headers; a folded subject; quoted replies', () => {
    expect(importPlan(headers)).toEqual(SLAB);
  });

  it('the page of one patch with the thread overview below it: the overview\'s entries without the authors\' names', () => {
    const start = headers.indexOf('From: Łukasz Nowak <lukasz@example.pl>\nTo: linux-mm@kvack.org\nSubject: [PATCH v3 2/5]');
    const overview = headers.slice(headers.indexOf('Thread overview:'), headers.indexOf('\nFrom: '));
    const page = `${headers.slice(start, headers.indexOf('From: Vlastimil'))}\n  reply\tother threads:[~2024-01-10  8:15 UTC|newest]\n\n${overview}`;
    expect(importPlan(page)).toEqual(SLAB);
  });

  it('as bytes and with CRLF line ends', () => {
    expect(importPlan(Buffer.from(flat.replace(/\n/g, '\r\n'), 'utf8'))).toEqual(VMDESC);
    expect(importPlan(Buffer.from(headers, 'utf8'))).toEqual(SLAB);
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
    ['a lone patch in a flat thread view', '* [PATCH v5 2/4] mm: two\n@ 2024-03-05 10:12 A Person\nFrom: A Person @ 2024-03-05 10:12 UTC (permalink / raw)\n\nbody\n', 'patch 2/4 of a series, not its cover letter'],
    ['only a reply in a flat thread view', '* Re: [PATCH v5 0/4] mm: t\n@ 2024-03-05 10:12 B Person\n\n> quoted\n', 'is not a patch series cover letter'],
  ])('%s', (_name, text, want) => {
    expect(importError(text)).toContain(want);
  });
});

describe('any input is a plan or one InputError sentence (property)', () => {
  const seed = Number(process.env.FC_SEED ?? Math.floor(Math.random() * 2 ** 31));
  const word = fc.constantFrom('=?UTF-8?Q?J=C3=B6rg?=', '=?ISO-8859-1?B?Sv5yZw==?=', '=?x-bad?Q?a?=', '=?UTF-8?B?@@@?=', '=?UTF-8?Q?=C3?=', 'mm:', 'slab', '"q"', '(c)', '<a@b>', 'Re:', '*', '>', '|', '@', '2024-03-05 10:12', '`-');
  const subject = fc.tuple(fc.constantFrom('', 'Re: ', '* ', '2024-01-08 10:30 ` ', '> '), fc.constantFrom('PATCH', 'PATCH v2', 'RFC PATCH v3', 'v2,', ''), fc.nat(4), fc.nat(4), fc.array(word, { maxLength: 4 }))
    .map(([lead, tags, k, n, rest]) => `${lead}[${tags} ${k}/${n}] ${rest.join(' ')}`);
  const line = fc.oneof(
    subject.map((s) => `Subject: ${s}`),
    subject,
    fc.array(word, { maxLength: 3 }).map((w) => `From: ${w.join(' ')}`),
    fc.constantFrom('From 0 Mon Sep 17 00:00:00 2001', 'From mboxrd@z Thu Jan  1 00:00:00 1970', ''),
    fc.constantFrom('Content-Type: text/plain; charset=iso-8859-1', 'Content-Type: text/plain; charset=x-nope', 'Content-Type: multipart/mixed; boundary=b', 'Content-Type: text/plain; format=flowed; delsp=yes',
      'Content-Transfer-Encoding: base64', 'Content-Transfer-Encoding: quoted-printable', '--b', '--b--', ' folded =?UTF-8?Q?x?='),
    fc.constantFrom('A Person (2):', 'A Person (1):', '  mm: one', '  mm: two', 'x86: three', ' mm/a.c | 2 +-', '1 file changed, 1 insertion(+)', '-- ', '^ permalink raw reply', '@ 2024-03-05 10:12 A Person'),
    fc.uint8Array({ maxLength: 12 }).map((b) => Buffer.from(b).toString('latin1')),
  );
  const input = fc.tuple(fc.array(line, { maxLength: 40 }), fc.constantFrom('\n', '\r\n'), fc.boolean())
    .map(([lines, eol, asBytes]) => (asBytes ? Buffer.from(lines.join(eol), 'latin1') : lines.join(eol)));

  it(`never throws anything else, and a plan is well formed (seed ${seed}; FC_SEED=N to replay)`, () => {
    fc.assert(fc.property(input, fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }), (text, version) => {
      let r;
      try {
        r = importPlanWithNotes(text, 'in.txt', version === undefined ? {} : { version });
      } catch (e) {
        expect(e).toBeInstanceOf(InputError);
        expect((e as Error).message).toMatch(/^in\.txt: [^\n]+$/);
        return;
      }
      const p = r.plan;
      expect(p.title).not.toBe('');
      expect(p.author).not.toBe('');
      expect(p.patches.map((x) => x.number)).toEqual(p.patches.map((_, i) => i + 1));
      expect(p.patches.length).toBeGreaterThan(0);
      if (version !== undefined) expect(p.version).toBe(version);
      for (const s of [p.title, p.author, ...p.patches.map((x) => x.subject)]) expect(s).not.toMatch(/\n/);
    }), { seed, numRuns: 400 });
  });
});

describe('a series survives any encoding of its messages (property)', () => {
  const seed = Number(process.env.FC_SEED ?? Math.floor(Math.random() * 2 ** 31));
  const WORDS = ['mm:', 'slab:', 'zpdesc', 'für', 'naïve', 'Größe', 'struct', 'page', '(x)', 'convert', 'café', '_under_', 'a=b', '?', '"q"'];
  const text = fc.array(fc.constantFrom(...WORDS), { minLength: 1, maxLength: 6 }).map((w) => w.join(' '));
  const charset = fc.constantFrom('utf-8', 'iso-8859-1', 'windows-1252', 'iso-8859-15', 'none');
  const cte = fc.constantFrom('8bit', 'quoted-printable', 'base64') as fc.Arbitrary<'8bit' | 'quoted-printable' | 'base64'>;
  const headerForm = fc.constantFrom('raw', 'Q', 'B', 'Q-folded');
  const msgForm = fc.record({ charset, cte, subject: headerForm, from: headerForm });
  const seriesArb = fc.record({
    version: fc.integer({ min: 1, max: 9 }),
    title: text,
    author: fc.constantFrom('Jörg Rödel', 'Ana Gómez', 'Plain Name'),
    subjects: fc.array(text, { minLength: 1, maxLength: 6 }),
    shortlog: fc.boolean(),
    patches: fc.boolean(),
    older: fc.boolean(),
    cover: msgForm,
    forms: fc.array(msgForm, { minLength: 6, maxLength: 6 }),
    order: fc.array(fc.nat(), { minLength: 6, maxLength: 6 }),
  }).filter((s) => s.shortlog || s.patches);

  /** RFC 2047 word(s) for a header value in UTF-8. */
  function encodeWords(value: string, form: string): string {
    if (form === 'raw') return value;
    const bytes = utf8(value);
    if (form === 'B') return `=?UTF-8?B?${bytes.toString('base64')}?=`;
    const q = [...bytes].map((b) => (b === 0x20 ? '_' : /[A-Za-z0-9]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `=${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('');
    if (form === 'Q') return `=?UTF-8?Q?${q}?=`;
    // Folded between two encoded words, never inside an =XX escape.
    const cut = q.slice(0, Math.ceil(q.length / 2)).replace(/=[0-9A-F]?$/, '').length;
    return cut > 0 && cut < q.length ? `=?UTF-8?Q?${q.slice(0, cut)}?=\n =?UTF-8?Q?${q.slice(cut)}?=` : `=?UTF-8?Q?${q}?=`;
  }
  function message(from: string, subject: string, body: string, f: { charset: string; cte: '8bit' | 'quoted-printable' | 'base64'; subject: string; from: string }): Bytes {
    const enc = f.charset === 'utf-8' || f.charset === 'none' ? utf8 : f.charset === 'iso-8859-1' ? latin1 : f.charset === 'iso-8859-15' ? singleByte('iso-8859-15') : cp1252;
    const raw = (s: string): boolean => f.charset !== 'none' || !/[^\x00-\x7f]/.test(s);
    // Raw 8-bit headers are written in the message's charset; without one only ASCII is raw.
    const subj = f.subject === 'raw' && raw(subject) ? subject : encodeWords(subject, f.subject === 'raw' ? 'Q' : f.subject);
    const name = f.from === 'raw' && raw(from) ? from : encodeWords(from, f.from === 'raw' ? 'B' : f.from);
    return mail({
      from: `${name} <x@example.org>`, subject: subj, body: enc(body), headerBytes: enc, cte: f.cte,
      ...(f.charset === 'none' ? {} : { contentType: `text/plain; charset=${f.charset}` }),
    });
  }

  it(`v-N of a series in any charset and transfer encoding, words and folds, patches in any order (seed ${seed}; FC_SEED=N to replay)`, () => {
    fc.assert(fc.property(seriesArb, (s) => {
      const n = s.subjects.length;
      const tag = s.version > 1 ? `PATCH v${s.version}` : 'PATCH';
      const msgs: Bytes[] = [message(s.author, `[${tag} 0/${n}] ${s.title}`, s.shortlog ? coverBody(s.author, s.subjects) : `${s.title}.\n`, s.cover)];
      if (s.patches) {
        const order = s.subjects.map((_, i) => i).sort((a, b) => s.order[a]! - s.order[b]! || a - b);
        for (const i of order) msgs.push(message(s.author, `[${tag} ${i + 1}/${n}] ${s.subjects[i]}`, 'Signed-off-by: x\n---\n', s.forms[i]!));
      }
      if (s.older && s.version > 1) msgs.unshift(message('Old Author', `[PATCH v${s.version - 1} 0/1] old title`, 'Old Author (1):\n  old: patch\n', s.cover));
      const r = importPlanWithNotes(Buffer.concat(msgs), 'm');
      // Shortlog lines are subjects as written; words with their spacing survive both ways.
      expect(r.plan).toEqual({ title: s.title, version: s.version, author: s.author, patches: s.subjects.map((subject, i) => ({ number: i + 1, subject })) });
      expect(r.notes).toHaveLength(s.older && s.version > 1 ? 1 : 0);
    }), { seed, numRuns: 300 });
  });
});

describe('public-inbox thread pages of any series (property)', () => {
  const seed = Number(process.env.FC_SEED ?? Math.floor(Math.random() * 2 ** 31));
  const WORDS = ['mm:', 'mm/slub:', 'convert', 'struct', 'page', 'folio', 'to', 'use', 'ptdesc', 'slab->slab_list', '(v2)', 'über', 'remove', '"x"'];
  const text = fc.array(fc.constantFrom(...WORDS), { minLength: 2, maxLength: 7 }).map((w) => w.join(' '));
  const pageArb = fc.record({
    view: fc.constantFrom('flat', 'headers'),
    version: fc.integer({ min: 1, max: 12 }),
    rfc: fc.boolean(),
    title: text,
    author: fc.constantFrom('Matthew Wilcox (Oracle)', 'Hanna Müller', 'Łukasz Nowak', 'Jane Doe'),
    subjects: fc.array(text, { minLength: 1, maxLength: 8 }),
    shortlog: fc.boolean(),
    patches: fc.boolean(),
    replies: fc.array(fc.record({ to: fc.nat(8), who: fc.constantFrom('Vlastimil Babka', 'Andrew Morton', 'David Hildenbrand'), quoteShortlog: fc.boolean() }), { maxLength: 5 }),
  });

  type PageSpec = typeof pageArb extends fc.Arbitrary<infer T> ? T : never;
  function render(p: PageSpec): string {
    const n = p.subjects.length;
    const tag = `${p.rfc ? 'RFC ' : ''}PATCH${p.version > 1 ? ` v${p.version}` : ''}`;
    const subj = (k: number): string => `[${tag} ${k}/${n}] ${k === 0 ? p.title : p.subjects[k - 1]}`;
    const date = (k: number): string => `2024-03-${String(5 + (k % 20)).padStart(2, '0')} ${String(8 + (k % 12)).padStart(2, ' ')}:${String(k % 60).padStart(2, '0')}`;
    const replies = p.replies.map((r) => ({ ...r, to: r.to % (n + 1) }));
    const entries = [`${date(0)} ${subj(0)} ${p.author}`];
    for (let k = 1; k <= n; k++) {
      entries.push(`${date(k)} \` ${subj(k)} ${p.author}`);
      for (const r of replies.filter((x) => x.to === k)) entries.push(`${date(k + 1)}   \` ${r.who}`);
    }
    for (const r of replies.filter((x) => x.to === 0)) entries.push(`${date(1)} \` ${r.who}`);
    const shortlog = `${p.author} (${n}):\n${p.subjects.map((x) => `  ${x}\n`).join('')}\n mm/slub.c | 4 ++--\n 1 file changed, 2 insertions(+), 2 deletions(-)\n`;
    const coverBodyText = `The series does things.\n\n${p.shortlog ? shortlog : ''}\n-- \n2.43.0\n`;
    const quote = (r: { quoteShortlog: boolean }): string => `On Tue, Mar 05, 2024, ${p.author} wrote:\n> Some text.\n${r.quoteShortlog ? `>\n${shortlog.split('\n').map((l) => `> ${l}`).join('\n')}\n` : ''}\nLooks fine.\n`;
    const out: string[] = ['linux-mm.kvack.org archive mirror', ' help / color / mirror / Atom feed'];
    const message = (subject: string, who: string, k: number, body: string, addr: string): void => {
      if (p.view === 'flat') {
        out.push(`* ${subject}`, `@ ${date(k)} ${who}`, ...entries.slice(1, 4).map((e) => `  ${e}`), `  0 siblings, 0 replies; 9+ messages in thread`,
          `From: ${who} @ ${date(k)} UTC (permalink / raw)`, `  To: linux-mm; +Cc: ${p.author}`, '', body, '', '^ permalink raw reply\t[flat|nested] 9+ messages in thread', '');
      } else {
        out.push(`From: ${who} <${addr}@example.org>`, 'To: linux-mm@kvack.org', `Cc: ${p.author} <a@example.org>,`, '\tSomeone Else <s@example.org>', `Subject: ${subject}`,
          `Date: Tue, 5 Mar 2024 10:12:${String(k % 60).padStart(2, '0')} +0100\t[thread overview]`, `Message-ID: <${k}-${addr}@example.org> (raw)`, '', body, '', '');
      }
    };
    if (p.view === 'headers') out.push('', `Thread overview: ${entries.length} messages`, ...entries, '');
    message(subj(0), p.author, 0, coverBodyText, 'author');
    for (let k = 1; k <= n; k++) {
      if (p.patches) message(subj(k), p.author, k, 'Signed-off-by: x\n---\n mm/slub.c | 2 +-', 'author');
      for (const r of replies.filter((x) => x.to === k)) message(`Re: ${subj(k)}`, r.who, k, quote(r), 'reply');
    }
    for (const r of replies.filter((x) => x.to === 0)) message(`Re: ${subj(0)}`, r.who, 0, quote(r), 'reply');
    if (p.view === 'flat') out.push('end of thread, other threads:[~2024-03-07 17:55 UTC | newest]', '', `Thread overview: ${entries.length}+ messages`, '-- links below jump to the message on this page --', ...entries);
    return `${out.join('\n')}\n`;
  }

  it(`the cover letter, its patches (messages, shortlog or overview), its author (seed ${seed}; FC_SEED=N to replay)`, () => {
    fc.assert(fc.property(pageArb, (p) => {
      const page = render(p);
      expect(importPlan(page)).toEqual({ title: p.title, version: p.version, author: p.author, patches: p.subjects.map((subject, i) => ({ number: i + 1, subject })) });
    }), { seed, numRuns: 200 });
  });
});
