/**
 * `memdesc plan import`: read a patch series cover letter into a SeriesPlan.
 *
 * Three input shapes are accepted, all as plain text and told apart by nothing but what they
 * contain (a saved page has lost its markup, so there is nothing better to detect them by):
 *  - a raw mbox / `git format-patch` file: RFC 822 headers (folded lines, RFC 2047 encoded words,
 *    quoted-printable bodies), possibly the whole series in one mbox;
 *  - a patchwork "mbox series" page saved as text: `[v2,00/34] Title`, then "Message" and
 *    "Name Month D, YYYY, h:mm p.m. UTC";
 *  - a web-archive page (lore, marc, LWN, lkml-style thread views): headers as `Subject: …` lines
 *    or as `| Subject: |` table cells, thread listings of the patches, quoted replies.
 *
 * What is extracted:
 *  - title: the cover letter's subject without its `[PATCH vN 00/NN]` prefix;
 *  - version: N of `vN` in the prefix, 1 without one;
 *  - author: the display name as written ("Matthew Wilcox (Oracle)"), without the email: archives
 *    mangle addresses ("willy-AT-infradead.org", "[email protected]"), so only the name is stable
 *    across formats. Taken from the cover letter's From:, else patchwork's message line, else the
 *    shortlog's first author; an address without a name is used as is;
 *  - patches: numbered subjects 1..NN. A listing that names every patch `[PATCH k/NN] subject`
 *    (an mbox with the whole series, a thread view, patchwork's patch list) wins, because it
 *    carries the numbers and the exact subjects; otherwise the shortlog (`Name (N):` + subjects,
 *    possibly wrapped), numbered in its order. Either way the count must equal NN.
 *
 * Anything else — empty or binary text, a reply, a discussion thread, a lone patch, a count that
 * disagrees with NN — is an InputError with one sentence saying which.
 */
import { readFileSync, statSync } from 'node:fs';
import { InputError } from '../errors.ts';
import type { SeriesPlan } from '../model/progress.ts';

interface Line {
  text: string;
  /** Leading whitespace width of the original line (shortlog continuation lines are deeper). */
  indent: number;
}

/** `[PATCH v2 00/34] Title`, `[RFC,v2,00/34] Title`, `[v2,00/34] Title`, `[PATCH 0/7] Title`. */
const NUMBERED_SUBJECT = /^\[(?<tags>[^\[\]]*?)[\s,]*(?<k>\d{1,4})\/(?<n>\d{1,4})\s*\]\s*(?<rest>.*)$/;
/** Thread overviews put a date and tree art before the subject: `2021-10-05 17:51 \` [PATCH 1/7] …`. */
const THREAD_PREFIX = /^\d{4}-\d\d-\d\d[ T]\d\d:\d\d(?::\d\d)?\s*(?:UTC\s*)?[\s`|\\\-+]*/;
const SHORTLOG_HEAD = /^(?<name>\S.*?)\s+\((?<count>\d+)\):$/;
const DIFFSTAT = /^\S.*\s\|\s+(?:\d+\s*[+\-]*|Bin\b.*)$/;
const DIFFSTAT_TOTAL = /^\d+ files? changed\b/;
const MONTH = '(?:Jan|Feb|Mar|Apr|May|June?|July?|Aug|Sept?|Oct|Nov|Dec)[a-z]*\\.?';
const PATCHWORK_DATE = new RegExp(`\\s+${MONTH}\\s+\\d{1,2},\\s+\\d{4}\\b.*$`);

export function importPlan(text: string, source = 'input'): SeriesPlan {
  const fail = (why: string): never => {
    throw new InputError(`${source}: ${why}`);
  };
  if (text.trim() === '') fail('empty file, expected a patch series cover letter');
  if (looksBinary(text)) fail('binary data, expected a patch series cover letter as text');

  const lines = toLines(decodeBody(text.replace(/\r\n?/g, '\n')));
  const cover = findCover(lines);
  if (!cover) {
    const lone = lines.find((l) => subjectOf(l.text) !== undefined);
    if (lone) {
      const m = NUMBERED_SUBJECT.exec(subjectOf(lone.text)!)!;
      fail(`this is patch ${Number(m.groups!.k)}/${Number(m.groups!.n)} of a series, not its cover letter (0/${Number(m.groups!.n)})`);
    }
    const other = lines.find((l) => /^Subject:\s*\S/i.test(l.text));
    if (other) fail(`"${other.text.replace(/^Subject:\s*/i, '')}" is not a patch series cover letter (no "[PATCH vN 00/NN] title" subject)`);
    fail('no patch series cover letter subject like "[PATCH vN 00/NN] title" found');
  }
  const { index, total, tags, title } = cover!;
  if (total === 0) fail('the cover letter announces 0 patches (00/00)');
  if (title === '') fail('the cover letter subject has no title after its [PATCH 00/NN] prefix');
  const version = Number(/\bv(\d+)\b/i.exec(tags)?.[1] ?? 1);

  const listed = listedPatches(lines, total, tags);
  const shortlog = shortlogOf(lines, index, fail);
  let patches: SeriesPlan['patches'];
  if (listed.size === total) {
    patches = [...listed.entries()].sort((a, b) => a[0] - b[0]).map(([number, subject]) => ({ number, subject }));
  } else if (shortlog) {
    if (shortlog.subjects.length !== total) {
      fail(`the cover letter says ${total} patches (00/${total}) but its shortlog lists ${shortlog.subjects.length}`);
    }
    patches = shortlog.subjects.map((subject, i) => ({ number: i + 1, subject }));
  } else if (listed.size > 0) {
    patches = fail(`the cover letter says ${total} patches but only patches ${[...listed.keys()].sort((a, b) => a - b).join(', ')} are listed and there is no shortlog`);
  } else {
    patches = fail(`the cover letter (00/${total}) lists no patches: no shortlog "Name (${total}):" and no [PATCH k/${total}] subjects`);
  }
  const author = authorOf(lines, index) ?? shortlog?.authors[0] ?? fail('no author found (no From: header and no shortlog)');
  return { title, version, author, patches };
}

function looksBinary(text: string): boolean {
  if (text.includes('\0') || text.includes('\uFFFD')) return true;
  let control = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 32 && c !== 9 && c !== 10 && c !== 13 && c !== 12) control++;
  }
  return control > text.length / 100;
}

/**
 * Saved pages render header tables as `| From: |` cells; mbox headers fold long lines. Both are
 * undone here so that every later step sees one header per line.
 */
function toLines(text: string): Line[] {
  const out: Line[] = [];
  for (const raw of text.split('\n')) {
    let t = raw.replace(/\s+$/, '');
    const cell = /^\|\s?(.*?)\s?\|$/.exec(t);
    if (cell) t = cell[1]!;
    const indent = /^\s*/.exec(t)![0].replace(/\t/g, '        ').length;
    const prev = out[out.length - 1];
    // A folded header: whitespace-led continuation right after Subject:/From:.
    if (prev && indent > 0 && t.trim() !== '' && /^(?:Subject|From):\s*\S/i.test(prev.text) && prev.indent === 0) {
      prev.text = `${prev.text} ${t.trim()}`;
      continue;
    }
    out.push({ text: t.trim(), indent });
  }
  for (const l of out) if (/^(?:Subject|From):/i.test(l.text)) l.text = decodeWords(l.text);
  return out;
}

/** RFC 2047 encoded words (=?UTF-8?q?Vishal_Moola?=, =?utf-8?b?…?=), as git send-email writes them. */
function decodeWords(s: string): string {
  return s.replace(/\?=\s+=\?/g, '?==?').replace(/=\?([\w-]+)\?([qQbB])\?([^?]*)\?=/g, (_all, _cs: string, enc: string, data: string) => {
    const bytes = enc.toLowerCase() === 'b'
      ? Buffer.from(data, 'base64')
      : Buffer.from(data.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1');
    return bytes.toString('utf8');
  });
}

/** A quoted-printable mbox body (soft line breaks "=\n", "=3D") would split shortlog lines. */
function decodeBody(text: string): string {
  if (!/^Content-Transfer-Encoding:\s*quoted-printable\s*$/im.test(text)) return text;
  const bytes = Buffer.from(text.replace(/=\n/g, '').replace(/=([0-9A-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1');
  return bytes.toString('utf8');
}

/**
 * The subject on a line when the line is a series subject (not a reply, not a quote): a
 * `Subject:` header, a bare `[…k/n] …` line (patchwork, LWN) or a thread-overview entry.
 */
function subjectOf(text: string): string | undefined {
  if (text.startsWith('>')) return undefined;
  let s = text.replace(/^Subject:\s*/i, '');
  if (s === text) s = s.replace(THREAD_PREFIX, '');
  return NUMBERED_SUBJECT.test(s) ? s : undefined;
}

function findCover(lines: Line[]): { index: number; total: number; tags: string; title: string } | undefined {
  for (let i = 0; i < lines.length; i++) {
    let s = subjectOf(lines[i]!.text);
    // LWN tables put the value in the cell after "| Subject: |".
    if (s === undefined && /^Subject:$/i.test(lines[i]!.text) && lines[i + 1]) s = subjectOf(lines[i + 1]!.text);
    if (s === undefined) continue;
    const m = NUMBERED_SUBJECT.exec(s)!.groups!;
    if (Number(m.k) !== 0) continue;
    return { index: i, total: Number(m.n), tags: m.tags!, title: m.rest!.trim() };
  }
  return undefined;
}

/** Patches named by their own subject lines (`[PATCH v2 07/34] …`) anywhere in the text; first wins. */
function listedPatches(lines: Line[], total: number, coverTags: string): Map<number, string> {
  const version = /\bv(\d+)\b/i.exec(coverTags)?.[1];
  const found = new Map<number, string>();
  for (const l of lines) {
    const s = subjectOf(l.text);
    if (s === undefined) continue;
    const m = NUMBERED_SUBJECT.exec(s)!.groups!;
    const k = Number(m.k);
    // Another version of the series on the same page (a "v1" link on a v2 page) is not this plan.
    if (Number(m.n) !== total || k < 1 || k > total || /\bv(\d+)\b/i.exec(m.tags!)?.[1] !== version) continue;
    const subject = m.rest!.trim();
    if (!found.has(k) && subject !== '') found.set(k, subject);
  }
  return found;
}

interface Shortlog {
  authors: string[];
  subjects: string[];
}

/**
 * The first shortlog after the cover subject: groups of `Name (N):` and N subject lines, groups
 * separated by blank lines, ended by a blank line, the diffstat or the signature. Wrapped subjects
 * continue on deeper-indented lines; pages that dropped indentation are rejoined when a group has
 * more lines than its count, by folding lines that do not start like a subject ("mm: …") into the
 * line before.
 */
function shortlogOf(lines: Line[], from: number, fail: (why: string) => never): Shortlog | undefined {
  let i = from;
  while (i < lines.length && !(SHORTLOG_HEAD.test(lines[i]!.text) && !lines[i]!.text.startsWith('>'))) i++;
  if (i >= lines.length) return undefined;
  const out: Shortlog = { authors: [], subjects: [] };
  while (i < lines.length) {
    const head = SHORTLOG_HEAD.exec(lines[i]!.text);
    if (!head || lines[i]!.text.startsWith('>')) break;
    const name = head.groups!.name!;
    const count = Number(head.groups!.count);
    const group: Line[] = [];
    for (i++; i < lines.length; i++) {
      const l = lines[i]!;
      if (l.text === '' || DIFFSTAT.test(l.text) || DIFFSTAT_TOTAL.test(l.text) || l.text === '--' || /^base-commit:/.test(l.text)) break;
      if (SHORTLOG_HEAD.test(l.text)) break;
      group.push(l);
    }
    const subjects = joinWrapped(group, count);
    if (subjects.length !== count) fail(`shortlog group "${name} (${count}):" lists ${subjects.length} subject${subjects.length === 1 ? '' : 's'}`);
    out.authors.push(name);
    out.subjects.push(...subjects);
    while (i < lines.length && lines[i]!.text === '') i++;
  }
  return out;
}

function joinWrapped(group: Line[], count: number): string[] {
  const first = group[0]?.indent ?? 0;
  const joined: string[] = [];
  for (const l of group) {
    if (joined.length > 0 && l.indent > first) joined[joined.length - 1] += ` ${l.text}`;
    else joined.push(l.text);
  }
  if (joined.length <= count) return joined;
  const starts = /^[\w.\/{},*+\- ]+: \S/;
  const merged: string[] = [];
  for (const s of joined) {
    if (merged.length > 0 && !starts.test(s)) merged[merged.length - 1] += ` ${s}`;
    else merged.push(s);
  }
  return merged;
}

/** The cover letter's author: the nearest From: to its subject, else patchwork's message line. */
function authorOf(lines: Line[], index: number): string | undefined {
  let best: { d: number; value: string } | undefined;
  for (let i = Math.max(0, index - 15); i < Math.min(lines.length, index + 15); i++) {
    const t = lines[i]!.text;
    let value: string | undefined;
    if (/^From:\s*\S/i.test(t)) value = t.replace(/^From:\s*/i, '');
    else if (/^From:$/i.test(t) && lines[i + 1]) value = lines[i + 1]!.text;
    if (value === undefined) continue;
    const d = Math.abs(i - index);
    if (!best || d < best.d) best = { d, value };
  }
  if (best) return nameOf(best.value);
  for (let i = index; i < Math.min(lines.length, index + 40); i++) {
    if (lines[i]!.text !== 'Message') continue;
    const next = lines.slice(i + 1).find((l) => l.text !== '');
    const name = next?.text.replace(PATCHWORK_DATE, '').trim();
    if (name && name !== next!.text) return name;
  }
  return undefined;
}

/** `"Name (Org)" <a@b>`, `Name <a@b>`, `a@b (Name)`, or a bare address. */
function nameOf(value: string): string | undefined {
  const v = value.trim();
  const angle = /^(.*?)\s*<[^>]*>\s*$/.exec(v);
  let name = angle ? angle[1]! : v;
  const paren = /^\S+@\S+\s+\((.+)\)$/.exec(v);
  if (paren) name = paren[1]!;
  name = name.replace(/^"(.*)"$/, '$1').replace(/\\(.)/g, '$1').trim();
  return name === '' ? (v === '' ? undefined : v.replace(/^<|>$/g, '')) : name;
}

/** Read and import a cover letter file (InputError when it cannot be read). */
export function readPlanFile(file: string): SeriesPlan {
  let text: string;
  try {
    if (statSync(file).isDirectory()) throw new InputError(`${file}: is a directory, expected a cover letter file`);
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof InputError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(code === 'ENOENT' ? `no such file: ${file}` : `cannot read ${file}: ${(e as Error).message}`);
  }
  return importPlan(text, file);
}
