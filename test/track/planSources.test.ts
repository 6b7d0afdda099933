/**
 * `plan import` on a series however it is wrapped: gzip (lore's t.mbox.gz, pipermail's .txt.gz),
 * tar and zip archives (nested too), folders (git format-patch output, a maildir), web pages
 * saved as HTML, HTML-only mail, pipermail's text archive; and every wrapping it refuses, with one
 * line. Each wrapping must give exactly the plan of the plain mbox.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { zipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.ts';
import { importPlan, readPlanFile } from '../../src/track/planImport.ts';
import { documentsOf } from '../../src/track/planSources.ts';

const TITLE = 'mm/vmalloc: track vmalloc pages with struct vmdesc';
const PATCHES = ['mm/vmalloc: add struct vmdesc and its accessors', 'mm/vmalloc: convert vfree() to use vmdesc', 'mm: remove vmalloc members from struct page'];
const AUTHOR = 'Hanna Müller';
const PLAN = { title: TITLE, version: 5, author: AUTHOR, patches: PATCHES.map((subject, i) => ({ number: i + 1, subject })) };

/** The cover letter in Latin-1 (labelled so), the patches in UTF-8: each file keeps its own charset. */
function coverMail(separator = true): Buffer {
  const text = `${separator ? 'From 1f2e3d4c Mon Sep 17 00:00:00 2001\n' : ''}From: ${AUTHOR} <hanna@example.org>\n` +
    `Subject: [PATCH v5 0/3] ${TITLE}\nMIME-Version: 1.0\nContent-Type: text/plain; charset=ISO-8859-1\nContent-Transfer-Encoding: 8bit\n\n` +
    `Größere Änderung.\n\n${AUTHOR} (3):\n${PATCHES.map((p) => `  ${p}\n`).join('')}\n 1 file changed, 3 insertions(+)\n\n-- \n2.43.0\n`;
  return Buffer.from(text, 'latin1');
}

function patchMail(k: number, separator = true): Buffer {
  return Buffer.from(`${separator ? 'From 1f2e3d4c Mon Sep 17 00:00:00 2001\n' : ''}From: ${AUTHOR} <hanna@example.org>\n` +
    `Subject: [PATCH v5 ${k}/3] ${PATCHES[k - 1]}\nContent-Type: text/plain; charset=UTF-8\n\nÄnderung ${k}.\n---\n mm/vmalloc.c | 1 +\n`, 'utf8');
}

const MBOX = Buffer.concat([coverMail(), patchMail(1), patchMail(2), patchMail(3)]);

const tmp = mkdtempSync(join(tmpdir(), 'memdesc-plan-sources-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
/** A fresh folder holding `files` (relative path -> bytes). */
function folder(files: Record<string, Uint8Array | string>): string {
  const dir = join(tmp, `d${n++}`);
  for (const [rel, data] of Object.entries(files)) {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), data);
  }
  mkdirSync(dir, { recursive: true });
  return dir;
}

const FORMAT_PATCH = {
  '0000-cover-letter.patch': coverMail(),
  '0001-mm-vmalloc-add-struct-vmdesc.patch': patchMail(1),
  '0002-mm-vmalloc-convert-vfree.patch': patchMail(2),
  '0003-mm-remove-vmalloc-members.patch': patchMail(3),
};

/** A tar archive of `dir`'s contents made by the system's tar (GNU or bsdtar headers, long names). */
function tarOf(dir: string, flags: string[] = []): Buffer {
  const out = join(tmp, `t${n++}.tar`);
  const r = spawnSync('tar', ['-cf', out, ...flags, '-C', dir, '.'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tar: ${r.stderr}`);
  return readFileSync(out);
}
function importError(input: Uint8Array, name = 'in'): string {
  try {
    importPlan(input, name);
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    expect((e as Error).message).not.toContain('\n');
    return (e as Error).message;
  }
  throw new Error('no error');
}

function fileError(path: string): string {
  try {
    readPlanFile(path);
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    expect((e as Error).message).not.toContain('\n');
    return (e as Error).message;
  }
  throw new Error('no error');
}

describe('compressed and archived series read as the mbox they hold', () => {
  it('the plain mbox (the reference)', () => {
    expect(importPlan(MBOX, 'series.mbox')).toEqual(PLAN);
  });

  it('gzip (lore t.mbox.gz), and a gzip of several members', () => {
    expect(importPlan(gzipSync(MBOX), 't.mbox.gz')).toEqual(PLAN);
    expect(importPlan(Buffer.concat([gzipSync(MBOX.subarray(0, 200)), gzipSync(MBOX.subarray(200))]), 't.mbox.gz')).toEqual(PLAN);
  });

  it('a git format-patch folder, one message a file, each in its own charset', () => {
    expect(readPlanFile(folder(FORMAT_PATCH))).toEqual(PLAN);
  });

  it('a maildir: messages without separators in cur/ and new/, a .git folder and a binary file skipped', () => {
    const dir = folder({
      'cur/1709633520.M1P1.host:2,S': coverMail(false),
      'cur/1709633521.M2P1.host:2,S': patchMail(1, false),
      'new/1709633522.M3P1.host': patchMail(2, false),
      'new/1709633523.M4P1.host': patchMail(3, false),
      'tmp/.keep': '',
      '.git/objects/pack/x.pack': Buffer.from([0, 1, 2, 3, 0]),
      'logo.png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]),
    });
    expect(readPlanFile(dir)).toEqual(PLAN);
  });

  it('a symbolic link to a file is read; one to a folder is not followed (no cycles)', () => {
    const dir = folder({ 'real/cover.eml': coverMail(), 'p.mbox': Buffer.concat([patchMail(1), patchMail(2), patchMail(3)]) });
    symlinkSync(join(dir, 'real', 'cover.eml'), join(dir, 'cover-link.eml'));
    symlinkSync(dir, join(dir, 'loop'));
    expect(readPlanFile(dir)).toEqual(PLAN);
  });

  it('tar, tar.gz (.tgz), in ustar, GNU and pax formats (long member names)', () => {
    const long = `${'very-long-folder-name-'.repeat(6)}/0001-${'x'.repeat(120)}.patch`;
    const dir = folder({ ...FORMAT_PATCH, [long]: patchMail(1) });
    for (const format of ['gnu', 'pax', 'ustar']) {
      const tar = format === 'ustar' ? tarOf(folder(FORMAT_PATCH), ['--format=ustar']) : tarOf(dir, [`--format=${format}`]);
      expect(documentsOf(tar, 'series.tar').length).toBeGreaterThanOrEqual(4);
      expect(importPlan(tar, 'series.tar')).toEqual(PLAN);
      expect(importPlan(gzipSync(tar), 'series.tgz')).toEqual(PLAN);
    }
  });

  it('zip, and archives nested inside archives (a zip holding a tar.gz holding the folder)', () => {
    const files = Object.fromEntries(Object.entries(FORMAT_PATCH).map(([k, v]) => [`series/${k}`, new Uint8Array(v)]));
    const zip = zipSync({ ...files, '__MACOSX/series/._0000-cover-letter.patch': new Uint8Array([0, 5, 22, 7, 0, 2]) });
    expect(importPlan(zip, 'series.zip')).toEqual(PLAN);
    const nested = zipSync({ 'thread.tar.gz': gzipSync(tarOf(folder(FORMAT_PATCH))), 'README.txt': new TextEncoder().encode('the series, as sent\n') });
    expect(importPlan(nested, 'mail.zip')).toEqual(PLAN);
  });

  it('members come in natural name order (0002 before 0010)', () => {
    const docs = documentsOf(zipSync({ 'p/0010.patch': new Uint8Array([65]), 'p/0002.patch': new Uint8Array([66]), 'p/0001.patch': new Uint8Array([67]) }), 'x.zip');
    expect(docs.map((d) => d.name)).toEqual(['x.zip/p/0001.patch', 'x.zip/p/0002.patch', 'x.zip/p/0010.patch']);
  });
});

describe('refused wrappings: one line, exit 2, naming what to do', () => {
  const mbox = MBOX;
  const cases: Array<[string, Uint8Array, RegExp]> = [
    ['xz', Buffer.concat([Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), mbox]), /^t\.mbox\.xz: xz data, which memdesc does not unpack; unpack it first \(xz -dk t\.mbox\.xz\)/],
    ['bzip2', Buffer.concat([Buffer.from('BZh91AY&SY'), mbox]), /bzip2 data, .*bunzip2 -k/],
    ['zstd', Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), mbox]), /zstd data, .*zstd -d/],
    ['7z', Buffer.concat([Buffer.from([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]), mbox]), /7z data/],
    ['a damaged gzip', gzipSync(mbox).subarray(0, 60), /^t\.mbox\.xz: damaged gzip data \(/],
    ['a gzip with a bad checksum', Buffer.from('1f8b0800000000000003cb48cdc9c95728cf2fca49e102004d3a8ad30c000000', 'hex'), /damaged gzip data \(incorrect data check\)/],
    ['a damaged zip', zipSync({ 'a.patch': new Uint8Array(mbox) }).subarray(0, 40), /damaged or unsupported zip archive/],
    ['a zip holding only binary files', zipSync({ 'a.bin': new Uint8Array([0, 1, 2]), 'b.bin': new Uint8Array([0, 0]) }), /none of the 2 files inside is text, expected a patch series cover letter$/],
    ['gzip nested seven deep', [1, 2, 3, 4, 5, 6, 7].reduce<Uint8Array>((b) => gzipSync(b), mbox), /archives nested more than 6 deep/],
  ];
  it.each(cases)('%s', (_name, bytes, want) => {
    expect(importError(bytes, 't.mbox.xz')).toMatch(want);
  });

  it('a folder with no files, a folder of patches without their cover letter', () => {
    expect(fileError(folder({ 'a/b/.keep': '' }))).toMatch(/a folder with no files, expected a patch series cover letter or a folder holding one$/);
    const { '0000-cover-letter.patch': _cover, ...patches } = FORMAT_PATCH;
    expect(fileError(folder(patches))).toMatch(/this is patch 1\/3 of a series, not its cover letter \(0\/3\)/);
  });

  it('the CLI: exit 2 and one line, nothing on stdout', () => {
    const bin = join(import.meta.dirname, '..', '..', 'bin', 'memdesc.mjs');
    const bad = join(tmp, 'bad.mbox.zst');
    writeFileSync(bad, Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), mbox]));
    const r = spawnSync(process.execPath, [bin, 'plan', 'import', bad], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    const ok = spawnSync(process.execPath, [bin, 'plan', 'import', folder(FORMAT_PATCH), '--json'], { encoding: 'utf8' });
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout)).toEqual(PLAN);
  });
});

describe('pages saved as HTML, HTML mail, pipermail', () => {
  const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const body = `Größere Änderung.\n\n${AUTHOR} (3):\n${PATCHES.map((p) => `  ${p}\n`).join('')}\n 1 file changed, 3 insertions(+)\n`;

  it('a public-inbox message page saved as HTML: headers in <pre>, entities, links, the thread overview', () => {
    const page = `<!DOCTYPE html>\n<html><head><title>[PATCH v5 0/3] ${esc(TITLE)}</title><style>pre{white-space:pre-wrap}</style></head><body>` +
      `<pre id=b><b>From: Hanna M&#252;ller &lt;hanna@example.org&gt;</b>\nTo: linux-mm@kvack.org\nSubject: <a href="#r">[PATCH v5 0/3] ${esc(TITLE)}</a>\n` +
      `Date: Tue, 5 Mar 2024 10:12:00 +0100\t[<a href="#r">thread overview</a>]\n\n${esc(body)}</pre><hr><pre id=t>` +
      PATCHES.map((p, i) => `2024-03-05 10:12 \` <a href="${i}">[PATCH v5 ${i + 1}/3] ${esc(p)}</a> Hanna M&uuml;ller\n`).join('') + '</pre></body></html>\n';
    expect(importPlan(Buffer.from(page, 'utf8'), 'message.html')).toEqual(PLAN);
  });

  it('an archive page with its headers in a table, in the charset its meta tag declares, after a "saved from" comment', () => {
    const rows = [['From:', `${AUTHOR} <hanna-AT-example.org>`], ['Subject:', `[PATCH v5 0/3] ${TITLE}`], ['Date:', 'Tue, 05 Mar 2024']];
    const page = `<!-- saved from url=(0040)https://lwn.net/ml/linux-mm/20240305/ -->\n<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1252"></head><body>` +
      `<table class="MailHeaders">${rows.map(([k, v]) => `<tr><td>${k}</td><td>${esc(v!)}</td></tr>`).join('')}</table><pre>${esc(body)}</pre>` +
      `<ul>${PATCHES.map((p) => `<li>[PATCH v5 x] ${esc(p)}</li>`).join('')}</ul></body></html>`;
    expect(importPlan(Buffer.from(page, 'latin1'), 'page.htm')).toEqual(PLAN);
  });

  it('a mail whose text is text/html only (base64); a multipart/alternative reads its plain part once', () => {
    const html = Buffer.from(`<html><body><p>Hi,</p><pre>${esc(body)}</pre></body></html>`, 'utf8').toString('base64');
    const only = `From: ${AUTHOR} <hanna@example.org>\nSubject: [PATCH v5 0/3] ${TITLE}\nContent-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: base64\n\n${html}\n`;
    expect(importPlan(Buffer.from(only, 'utf8'), 'cover.eml')).toEqual(PLAN);
    const alt = `From: ${AUTHOR} <hanna@example.org>\nSubject: [PATCH v5 0/3] ${TITLE}\nContent-Type: multipart/alternative; boundary="b1"\n\n--b1\nContent-Type: text/plain; charset=utf-8\n\n${body}\n--b1\n` +
      `Content-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: base64\n\n${html}\n--b1--\n`;
    expect(importPlan(Buffer.from(alt, 'utf8'), 'cover.eml')).toEqual(PLAN);
  });

  it('an lkml.org message page: layout tables, header labels without colons (as HTML and as saved text)', () => {
    const page = `<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01//EN"><html><head><title>LKML: x</title></head><body><table><tr><td class="c"><a href="/">lkml.org</a><br/>[lkml]&nbsp;&nbsp;[2024]</td>` +
      `<td class="c" rowspan="4"><table class="mh"><tr><td class="lp">From</td><td class="rp">Hanna M&uuml;ller &lt;&gt;</td></tr><tr><td class="lp">Subject</td><td class="rp">[PATCH v5 0/3] ${esc(TITLE)}</td></tr>` +
      `<tr><td class="lp">Date</td><td class="rp">Tue, 5 Mar 2024 10:12:00 +0100</td></tr></table><pre itemprop="articleBody">${esc(body).replace(/ü/g, '&uuml;')}</pre></td></tr></table>` +
      '<ul class="threadlist"><li><a href="/lkml/2024/3/5/2">Hanna M&uuml;ller</a></li></ul></body></html>';
    expect(importPlan(Buffer.from(page, 'latin1'), 'lkml.html')).toEqual(PLAN);
    const saved = `lkml.org\n[lkml]   [2024]\nFrom\tHanna Müller <>\t\nSubject\t[PATCH v5 0/3] ${TITLE}\t\nDate\tTue, 5 Mar 2024 10:12:00 +0100\n\n${body}`;
    expect(importPlan(Buffer.from(saved, 'utf8'), 'lkml.txt')).toEqual(PLAN);
  });

  it('a patchwork cover-letter page saved as HTML reads as the same page saved as text', () => {
    const text = readFileSync(join(import.meta.dirname, '..', 'fixtures', 'plan', 'patchwork-v2-ptdesc.txt'), 'utf8');
    const meta = 'Vishal Moola (Oracle) May 1, 2023, 7:27 p.m. UTC\n';
    const page = '<!DOCTYPE html><html lang="en"><head><meta charset="UTF-8"><title>[v2,00/34] Split ptdesc from struct page - Patchwork</title></head><body>' +
      '<nav><a href="/">Patchwork</a></nav><a class="btn" href="/series/742/mbox/">mbox series</a><h1>[v2,00/34] Split ptdesc from struct page</h1>' +
      '<table class="patch-meta"><tr><th>Message ID</th><td>20230501192829.17086-1-vishal.moola@gmail.com (<a href="x">mailing list archive</a>)</td></tr>' +
      '<tr><th>Series</th><td><a href="/series/742/">Split ptdesc from struct page</a> | <a href="#">expand</a></td></tr></table><h2>Message</h2>' +
      `<div class="comment"><div class="meta"><span>Vishal Moola (Oracle)</span> <span>May 1, 2023, 7:27 p.m. UTC</span></div><pre class="content">${esc(text.slice(text.indexOf(meta) + meta.length))}</pre></div></body></html>`;
    const plan = importPlan(Buffer.from(text, 'utf8'), 'page.txt');
    expect(plan.patches).toHaveLength(34);
    expect(importPlan(Buffer.from(page, 'utf8'), 'page.html')).toEqual(plan);
  });

  it('a UTF-16 page saved as HTML', () => {
    const page = `<html><body><pre>From: Hanna M&#xFC;ller &lt;h@example.org&gt;\nSubject: [PATCH v5 0/3] ${esc(TITLE)}\n\n${esc(body).replace(/ü/g, '&#252;')}</pre></body></html>`;
    expect(importPlan(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(page, 'utf16le')]), 'page.html')).toEqual(PLAN);
  });

  it('a pipermail text archive (addresses written "user at host"), plain and as the month\'s .txt.gz', () => {
    const msg = (k: number, text: string): string => `From hanna at example.org  Tue Mar  5 10:12:0${k} 2024\nFrom: hanna at example.org (${AUTHOR})\n` +
      `Date: Tue, 05 Mar 2024 10:12:0${k} +0100\nSubject: [PATCH v5 ${k}/3] ${k === 0 ? TITLE : PATCHES[k - 1]}\nMessage-ID: <${k}-hanna@example.org>\n\n${text}\n`;
    const month = Buffer.from(`${msg(0, body)}${msg(1, 'one\n')}${msg(2, 'two\nFrom here on, a line that starts with From\n')}${msg(3, 'three\n')}`, 'utf8');
    expect(importPlan(month, '2024-March.txt')).toEqual(PLAN);
    expect(importPlan(gzipSync(month), '2024-March.txt.gz')).toEqual(PLAN);
  });
});
