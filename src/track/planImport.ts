/**
 * `memdesc plan import`: read a patch series cover letter into a SeriesPlan.
 *
 * The file is read as bytes and decoded by planDecode.ts: mail message by message by its own MIME
 * headers (charset, transfer encoding, RFC 2047 words, folded headers), anything else as UTF-8 or
 * Windows-1252. The text is then read by what it contains, since a saved page has lost its markup:
 *  - a raw mbox / `git format-patch` file: one message, the whole series, or several versions;
 *  - a patchwork "mbox series" page saved as text: `[v2,00/34] Title`, then "Message" and
 *    "Name Month D, YYYY, h:mm p.m. UTC";
 *  - a web-archive page (lore, marc, LWN, lkml-style thread views): headers as `Subject: …` lines
 *    or as `| Subject: |` table cells, quoted replies;
 *  - a public-inbox thread page: a thread overview (`2024-03-05 10:12 ` [PATCH v5 1/4] subject
 *    Author`, tree art, replies) and messages that start with `* subject` and `@ date Author` or
 *    with `From:`/`Subject:`/`Date:` header lines.
 *
 * Subjects come in two strengths: a message's own subject (a `Subject:` line, a bare `[…0/N] …`
 * line, a thread page's `* […]` line) is exact; a thread-overview entry has its author's name
 * appended and may be abbreviated with a ditto mark, so it is used only where nothing exact is
 * there, with the names of the thread's authors taken off its end.
 *
 * What is extracted:
 *  - title: the cover letter's subject without its `[PATCH vN 00/NN]` prefix;
 *  - version: N of `vN` in the prefix, 1 without one. A file with cover letters of several
 *    versions gives the newest (and a note saying so) or the one asked for;
 *  - author: the display name as written ("Matthew Wilcox (Oracle)"), without the email: archives
 *    mangle addresses ("willy-AT-infradead.org", "[email protected]"), so only the name is stable
 *    across formats. Taken from the cover letter's From:, else patchwork's message line, else the
 *    shortlog's first author; an address without a name is used as is;
 *  - patches: numbered subjects 1..NN of the chosen version. A listing that names every patch
 *    `[PATCH k/NN] subject` by its own subject wins; otherwise the cover letter's shortlog
 *    (`Name (N):` + subjects, possibly wrapped), numbered in its order; otherwise a thread
 *    overview that names every patch. Either way the count must equal NN.
 *
 * Anything else — empty or binary data, a reply, a discussion thread, a lone patch, a count that
 * disagrees with NN, two different series of one version — is an InputError with one sentence.
 */
import { InputError } from '../errors.ts';
import type { SeriesPlan } from '../model/progress.ts';
import { decodeCoverFile, decodeWords } from './planDecode.ts';
import { documentsOf, readPlanDocuments, type PlanDocument } from './planSources.ts';

export interface PlanImportOptions {
  /** The series version to take when the file holds cover letters of several (default: the newest). */
  version?: number;
}

export interface PlanImport {
  plan: SeriesPlan;
  /** What the reader should know about the choice made (e.g. which of several versions was taken). */
  notes: string[];
}

interface Line {
  text: string;
  /** Leading whitespace width of the original line (shortlog continuation lines are deeper). */
  indent: number;
  /** Which decoded segment (mail message, or the page) the line is in. */
  segment: number;
}

/**
 * `[PATCH v2 00/34] Title`, `[RFC,v2,00/34] Title`, `[v2,00/34] Title`, `[PATCH 0/7] Title`,
 * `[PATCH 0/3 v2] Title`; a mailing list's own tags may come first (`[linux-mm] [PATCH 0/3] …`).
 */
const NUMBERED_SUBJECT = /^(?:\[[^\[\]\/]*\]\s*)*\[(?<tags>[^\[\]]*?)[\s,]*(?<k>\d{1,4})\/(?<n>\d{1,4})(?<after>(?:[\s,]+[^\[\]\s,\/]+)*)\s*\]\s*(?<rest>.*)$/;
/**
 * A thread-overview entry: a date, `@` on the entry of the message shown, tree art before the
 * subject or name: `2021-10-05 17:51 \` [PATCH 1/7] …`, `2024-01-08  9:30 |- …`, `@ 2024-… \` Name`.
 */
const THREAD_ENTRY = /^@?\s*\d{4}-\d\d-\d\d[ T]\s*\d{1,2}:\d\d(?::\d\d)?(?:\s*(?:UTC|GMT|[+-]\d{4})\b)?\s*[\s`|\\\-+]*/;
const SHORTLOG_HEAD = /^(?<name>\S.*?)\s+\((?<count>\d+)\):$/;
const DIFFSTAT = /^\S.*\s\|\s+(?:\d+\s*[+\-]*|Bin\b.*)$/;
const DIFFSTAT_TOTAL = /^\d+ files? changed\b/;
const MONTH = '(?:Jan|Feb|Mar|Apr|May|June?|July?|Aug|Sept?|Oct|Nov|Dec)[a-z]*\\.?';
const PATCHWORK_DATE = new RegExp(`\\s+${MONTH}\\s+\\d{1,2},\\s+\\d{4}\\b.*$`);
/** public-inbox marks the entry of the message on screen. */
const THIS_MESSAGE = /\s*\[this message\]$/;

export function importPlan(input: string | Uint8Array, source = 'input', options: PlanImportOptions = {}): SeriesPlan {
  return importPlanWithNotes(input, source, options).plan;
}

/** `input` as text, or as bytes unpacked first when they are compressed or an archive (planSources.ts). */
export function importPlanWithNotes(input: string | Uint8Array, source = 'input', options: PlanImportOptions = {}): PlanImport {
  const docs = typeof input === 'string' ? [{ name: source, bytes: Buffer.from(input, 'utf8'), member: false }] : documentsOf(input, source);
  return importPlanDocuments(docs, source, options);
}

/**
 * The plan in documents read together: one file, or every mail and page of a folder or archive
 * (a binary member is skipped; a binary file on its own is refused).
 */
export function importPlanDocuments(docs: readonly PlanDocument[], source: string, options: PlanImportOptions = {}): PlanImport {
  const fail = (why: string): never => {
    throw new InputError(`${source}: ${why}`);
  };
  const segments: string[] = [];
  for (const d of docs) {
    const s = decodeCoverFile(d.bytes);
    if (s === undefined && !d.member) fail('binary data, expected a patch series cover letter as text');
    if (s) segments.push(...s);
  }
  if (segments.every((s) => s.trim() === '')) {
    if (docs.length === 1 && !docs[0]!.member) fail('empty file, expected a patch series cover letter');
    fail(`${docs.length === 1 ? 'the one file inside is not text' : `none of the ${docs.length} files inside is text`}, expected a patch series cover letter`);
  }

  const lines = toLines(segments);
  const subjects = findSubjects(lines);
  const names = knownNames(lines);
  const covers = coversOf(subjects, names);
  if (covers.length === 0) return fail(notACover(lines, subjects));

  const versions = [...new Set(covers.map((c) => c.version))].sort((a, b) => a - b);
  const version = options.version ?? versions[versions.length - 1]!;
  if (!versions.includes(version)) fail(`no v${version} cover letter; found ${versions.map((v) => `v${v}`).join(', ')}`);
  const atVersion = covers.filter((c) => c.version === version);
  if (atVersion.length > 1) {
    fail(`${atVersion.length} different series at v${version} (${atVersion.map((c) => `"${c.title}"`).join(', ')}); pass a file with only one of them`);
  }
  const cover = atVersion[0]!;
  const notes: string[] = [];
  if (options.version === undefined && covers.length > 1) {
    const sameTitle = covers.every((c) => c.title === cover.title);
    const list = [...covers].sort((a, b) => a.version - b.version).map((c) => (sameTitle ? `v${c.version}` : `v${c.version} "${c.title}"`));
    notes.push(`${source} holds ${covers.length} cover letters (${list.join(', ')}); using v${version} — pass --version N to choose`);
  }

  const { total, title } = cover;
  if (total === 0) fail('the cover letter announces 0 patches (00/00)');
  if (title === '') fail('the cover letter subject has no title after its [PATCH 00/NN] prefix');

  const ofSeries = subjects.filter((s) => s.version === version && s.total === total && s.k >= 1 && s.k <= total && s.rest !== '');
  // Messages' own subjects first, then bare subject lines (a page's patch list, or a body's mention).
  const exact = listing(ofSeries.filter((s) => s.rank === 1), listing(ofSeries.filter((s) => s.rank === 2)));
  const overview = listing(ofSeries.filter((s) => !s.strong && s.usable).map((s) => withoutName(s, names)), exact);
  // The shortlog is read only when it is needed: a bad one does not matter when the patches are listed.
  let shortlogRead = false;
  let shortlog: Shortlog | undefined;
  const getShortlog = (): Shortlog | undefined => {
    if (!shortlogRead) {
      shortlogRead = true;
      shortlog = shortlogOfCover(lines, cover, fail);
    }
    return shortlog;
  };
  let patches: SeriesPlan['patches'];
  if (exact.size === total) {
    patches = numbered(exact);
  } else if (getShortlog() && getShortlog()!.subjects.length === total) {
    patches = getShortlog()!.subjects.map((subject, i) => ({ number: i + 1, subject }));
  } else if (overview.size === total) {
    patches = numbered(overview);
  } else if (getShortlog()) {
    patches = fail(`the cover letter says ${total} patches (00/${total}) but its shortlog lists ${getShortlog()!.subjects.length}`);
  } else if (overview.size > 0) {
    patches = fail(`the cover letter says ${total} patches but only patches ${[...overview.keys()].sort((a, b) => a - b).join(', ')} are listed and there is no shortlog`);
  } else {
    patches = fail(`the cover letter (00/${total}) lists no patches: no shortlog "Name (${total}):" and no [PATCH k/${total}] subjects`);
  }
  let author = authorOfCover(lines, cover);
  if (author === undefined) {
    try {
      author = getShortlog()?.authors[0];
    } catch {
      // A malformed shortlog is no author; the error below says what is missing.
    }
  }
  if (author === undefined) fail('no author found (no From: header and no shortlog)');
  return { plan: { title, version, author: author!, patches }, notes };
}

/** Decoded segments as lines: table cells unwrapped, folded Subject:/From: lines of pages rejoined. */
function toLines(segments: string[]): Line[] {
  const out: Line[] = [];
  segments.forEach((text, segment) => {
    const first = out.length;
    for (const raw of text.split('\n')) {
      let t = raw.replace(/\s+$/, '');
      // Saved pages render header tables as `| From: |` cells.
      const cell = /^\|\s?(.*?)\s?\|$/.exec(t);
      if (cell) t = cell[1]!;
      // Others (lkml.org) as a label cell without a colon, then the value: `Subject<TAB>[PATCH …]`.
      const labelCell = /^(From|Subject|Date|To|Cc)\t\s*(\S.*)$/i.exec(t);
      if (labelCell) t = `${labelCell[1]}: ${labelCell[2]}`;
      const indent = /^\s*/.exec(t)![0].replace(/\t/g, '        ').length;
      const prev = out.length > first ? out[out.length - 1] : undefined;
      // A folded header on a page: whitespace-led continuation right after Subject:/From:.
      if (prev && indent > 0 && t.trim() !== '' && /^(?:Subject|From):\s*\S/i.test(prev.text) && prev.indent === 0) {
        prev.text = `${prev.text} ${t.trim()}`;
        continue;
      }
      out.push({ text: t.trim(), indent, segment });
    }
  });
  // Archives that show raw headers keep their RFC 2047 words (mail headers are decoded already).
  for (const l of out) if (/^(?:Subject|From):.*=\?/i.test(l.text)) l.text = decodeWords(l.text);
  return out;
}

interface Subject {
  line: number;
  /** A message's own subject (exact) rather than a thread-overview entry. */
  strong: boolean;
  /**
   * 2: a message's header (`Subject:`, a thread page's `* subject`); 1: a bare `[…k/N] subject`
   * line (a patchwork or LWN page's title, or a mention in a body); 0: a thread-overview entry.
   */
  rank: 0 | 1 | 2;
  /** An overview entry that can stand for the subject (not abbreviated with a ditto mark). */
  usable: boolean;
  k: number;
  total: number;
  tags: string;
  version: number;
  rest: string;
  /** Overview entries: the author's name taken off the end. */
  author?: string;
}

/** A thread page's message starts with `* subject` and its place in the thread (`@ date …` or dated entries). */
function isThreadStart(lines: Line[], i: number): boolean {
  if (!/^\* \S/.test(lines[i]!.text)) return false;
  const next = lines.slice(i + 1, i + 4).find((l) => l.text !== '');
  return next !== undefined && THREAD_ENTRY.test(next.text);
}

/** A line that ends the message before it on a page: a Subject: header, a thread page's `* subject` or `^ permalink`. */
function isPageBoundary(lines: Line[], i: number): boolean {
  const t = lines[i]!.text;
  return /^Subject:/i.test(t) || /^\^ permalink\b/.test(t) || isThreadStart(lines, i);
}

/** Where the next message starts: a page boundary or the next mail message. */
function isBoundary(lines: Line[], i: number): boolean {
  return isPageBoundary(lines, i) || (i > 0 && lines[i - 1]!.segment !== lines[i]!.segment);
}

/** N of `vN` in the tags (`v2`, `PATCHv2`, `RFCv3`, `V4`), 1 without one. */
function versionOf(tags: string): number {
  return Number(/(?:\b|(?<=PATCH|RFC))v(\d+)\b/i.exec(tags)?.[1] ?? 1);
}

/** Every numbered series subject in the text, quoted lines and replies excluded. */
function findSubjects(lines: Line[]): Subject[] {
  const out: Subject[] = [];
  const add = (line: number, value: string, rank: 0 | 1 | 2): void => {
    const strong = rank > 0;
    const m = NUMBERED_SUBJECT.exec(value)?.groups;
    if (!m) return;
    const ditto = /\s"(?:\s|$)/.test(m.rest!);
    out.push({ line, strong, rank, usable: strong || !ditto, k: Number(m.k), total: Number(m.n), tags: m.tags!, version: versionOf(`${m.tags!} ${m.after!}`), rest: m.rest!.trim() });
  };
  for (let i = 0; i < lines.length; i++) {
    const t = lines[i]!.text;
    if (t.startsWith('>')) continue;
    const header = /^Subject:\s*(.*)$/i.exec(t);
    if (header) {
      // LWN tables put the value in the cell after "| Subject: |".
      add(i, header[1] !== '' ? header[1]! : (lines[i + 1]?.text ?? ''), 2);
    } else if (isThreadStart(lines, i)) {
      add(i, t.slice(2), 2);
    } else if (THREAD_ENTRY.test(t)) {
      add(i, t.replace(THREAD_ENTRY, '').replace(THIS_MESSAGE, ''), 0);
    } else {
      add(i, t, 1);
    }
  }
  return out;
}

/** Display names the text shows for people: From: lines, `@ date Name`, name-only overview entries, shortlog heads. */
function knownNames(lines: Line[]): string[] {
  const names = new Set<string>();
  for (let i = 0; i < lines.length; i++) {
    const t = lines[i]!.text;
    if (t.startsWith('>')) continue;
    const from = fromValue(lines, i);
    if (from !== undefined) {
      const n = nameOf(from);
      if (n) names.add(n);
    } else if (THREAD_ENTRY.test(t)) {
      const rest = t.replace(THREAD_ENTRY, '').replace(THIS_MESSAGE, '');
      if (rest !== '' && !/[\[\]]/.test(rest) && !/^Re:/i.test(rest) && rest.split(/\s+/).length <= 5) names.add(rest);
    } else {
      const head = SHORTLOG_HEAD.exec(t);
      if (head) names.add(head.groups!.name!);
    }
  }
  // Longest first, so "Matthew Wilcox (Oracle)" is taken off before "Matthew Wilcox" could be.
  return [...names].sort((a, b) => b.length - a.length);
}

/** Take a known author's name off the end of an overview entry. */
function withoutName(s: Subject, names: string[]): Subject {
  if (s.strong) return s;
  for (const n of names) {
    if (s.rest.endsWith(` ${n}`)) return { ...s, rest: s.rest.slice(0, -n.length - 1).trim(), author: n };
  }
  return s;
}

interface Cover {
  /** The best rank it appears with. */
  rank: 0 | 1 | 2;
  version: number;
  total: number;
  title: string;
  /** Where it appears: its own messages (strong) first; overview entries only when it has none. */
  at: Subject[];
}

/**
 * The distinct cover letters: the same version, count and title is one (a resend, the overview
 * entry of a cover letter shown on the page). A version known only from overview entries takes
 * them with the authors' names taken off; entries whose titles extend another's by a name the
 * page does not show are the same cover letter.
 */
function coversOf(subjects: Subject[], names: string[]): Cover[] {
  const covers: Cover[] = [];
  const key = (s: Subject): string => `${s.version}/${s.total}/${s.rest.replace(/\s+/g, ' ').toLowerCase()}`;
  const strong = new Map<string, Cover>();
  for (const s of subjects) {
    if (s.k !== 0 || !s.strong) continue;
    const k = key(s);
    const c = strong.get(k);
    if (c) {
      c.at.push(s);
      c.rank = Math.max(c.rank, s.rank) as 1 | 2;
    } else {
      const cover: Cover = { rank: s.rank, version: s.version, total: s.total, title: s.rest, at: [s] };
      strong.set(k, cover);
      covers.push(cover);
    }
  }
  const strongVersions = new Set(covers.map((c) => c.version));
  const weak = new Map<string, Subject[]>();
  for (const raw of subjects) {
    if (raw.k !== 0 || raw.strong || !raw.usable || strongVersions.has(raw.version)) continue;
    const s = withoutName(raw, names);
    const k = `${s.version}/${s.total}`;
    weak.set(k, [...(weak.get(k) ?? []), s]);
  }
  for (const group of weak.values()) {
    const shortest = group.reduce((a, b) => (b.rest.length < a.rest.length ? b : a));
    const same = group.every((s) => s.rest === shortest.rest || s.rest.startsWith(`${shortest.rest} `));
    if (same) {
      covers.push({ rank: 0, version: shortest.version, total: shortest.total, title: shortest.rest, at: [shortest, ...group.filter((s) => s !== shortest)] });
      continue;
    }
    const byTitle = new Map<string, Subject[]>();
    for (const s of group) byTitle.set(s.rest, [...(byTitle.get(s.rest) ?? []), s]);
    for (const [title, at] of byTitle) covers.push({ rank: 0, version: at[0]!.version, total: at[0]!.total, title, at });
  }
  // Cover letters that are messages here outrank subject lines in bodies and overview entries:
  // "applies on top of [PATCH v2 0/5] …" on a line of its own is no second series.
  const top = Math.max(...covers.map((c) => c.rank));
  for (const c of covers) if (c.rank > 0) c.at.sort((a, b) => b.rank - a.rank || a.line - b.line);
  return covers.filter((c) => c.rank === top);
}

/** Why there is no plan: a lone patch, a subject that is no series, or nothing like a subject. */
function notACover(lines: Line[], subjects: Subject[]): string {
  const lone = subjects.find((s) => s.strong) ?? subjects[0];
  if (lone) return `this is patch ${lone.k}/${lone.total} of a series, not its cover letter (0/${lone.total})`;
  for (let i = 0; i < lines.length; i++) {
    const t = lines[i]!.text;
    const value = /^Subject:\s*\S/i.test(t) ? t.replace(/^Subject:\s*/i, '') : isThreadStart(lines, i) ? t.slice(2) : undefined;
    if (value !== undefined) return `"${value}" is not a patch series cover letter (no "[PATCH vN 00/NN] title" subject)`;
  }
  return 'no patch series cover letter subject like "[PATCH vN 00/NN] title" found';
}

/** Patches by number, first subject wins; `base` entries are kept and not overridden. */
function listing(subjects: Subject[], base: Map<number, string> = new Map()): Map<number, string> {
  const found = new Map(base);
  for (const s of subjects) if (!found.has(s.k)) found.set(s.k, s.rest);
  return found;
}

function numbered(m: Map<number, string>): SeriesPlan['patches'] {
  return [...m.entries()].sort((a, b) => a[0] - b[0]).map(([number, subject]) => ({ number, subject }));
}

/** The lines of the message a subject line belongs to, from the subject to the next message. */
function regionEnd(lines: Line[], from: number): number {
  let end = from + 1;
  while (end < lines.length && !isBoundary(lines, end)) end++;
  return end;
}

interface Shortlog {
  authors: string[];
  subjects: string[];
}

/** The shortlog in the cover letter's own message (the first of its copies that has one). */
function shortlogOfCover(lines: Line[], cover: Cover, fail: (why: string) => never): Shortlog | undefined {
  for (const at of cover.at) {
    if (!at.strong) continue;
    const found = shortlogOf(lines, at.line, regionEnd(lines, at.line), fail);
    if (found) return found;
  }
  return undefined;
}

/**
 * The first shortlog in [from, end): groups of `Name (N):` and N subject lines, groups separated
 * by blank lines, ended by a blank line, the diffstat or the signature. Wrapped subjects continue
 * on deeper-indented lines; pages that dropped indentation are rejoined when a group has more
 * lines than its count, by folding lines that do not start like a subject ("mm: …") into the
 * line before.
 */
function shortlogOf(lines: Line[], from: number, end: number, fail: (why: string) => never): Shortlog | undefined {
  let i = from;
  while (i < end && !(SHORTLOG_HEAD.test(lines[i]!.text) && !lines[i]!.text.startsWith('>'))) i++;
  if (i >= end) return undefined;
  const out: Shortlog = { authors: [], subjects: [] };
  while (i < end) {
    const head = SHORTLOG_HEAD.exec(lines[i]!.text);
    if (!head || lines[i]!.text.startsWith('>')) break;
    const name = head.groups!.name!;
    const count = Number(head.groups!.count);
    const group: Line[] = [];
    for (i++; i < end; i++) {
      const l = lines[i]!;
      if (l.text === '' || DIFFSTAT.test(l.text) || DIFFSTAT_TOTAL.test(l.text) || l.text === '--' || /^base-commit:/.test(l.text)) break;
      if (SHORTLOG_HEAD.test(l.text)) break;
      group.push(l);
    }
    const subjects = joinWrapped(group, count);
    if (subjects.length !== count) fail(`shortlog group "${name} (${count}):" lists ${subjects.length} subject${subjects.length === 1 ? '' : 's'}`);
    out.authors.push(name);
    out.subjects.push(...subjects);
    while (i < end && lines[i]!.text === '') i++;
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

/** The value of a From: header on line i (`From: v`, or `From:` with the value in the next cell). */
function fromValue(lines: Line[], i: number): string | undefined {
  const t = lines[i]!.text;
  if (/^From:\s*\S/i.test(t)) return t.replace(/^From:\s*/i, '');
  if (/^From:$/i.test(t) && lines[i + 1]) return lines[i + 1]!.text;
  return undefined;
}

/** A thread page's `@ date Name` line: the author of the message it heads. */
function threadAuthor(text: string): string | undefined {
  if (!/^@\s/.test(text) || !THREAD_ENTRY.test(text)) return undefined;
  const rest = text.replace(THREAD_ENTRY, '').replace(THIS_MESSAGE, '');
  return rest !== '' && !/^\[/.test(rest) ? rest : undefined;
}

/**
 * The cover letter's author: the From: of its own message — the nearest author line between the
 * previous message and the next, in the same mail — else patchwork's message line; for a cover
 * letter known only from the thread overview, the name on its entry.
 */
function authorOfCover(lines: Line[], cover: Cover): string | undefined {
  for (const at of cover.at) {
    if (!at.strong) {
      if (at.author) return at.author;
      continue;
    }
    const found = authorNear(lines, at.line);
    if (found) return found;
  }
  return undefined;
}

function authorNear(lines: Line[], index: number): string | undefined {
  const segment = lines[index]!.segment;
  // Back to the previous message (its Subject: line or end), at most 200 lines: Cc: lists can be long.
  let start = index;
  while (start > 0 && index - start < 200 && lines[start - 1]!.segment === segment && !isPageBoundary(lines, start - 1)) start--;
  const end = regionEnd(lines, index);
  let best: { d: number; value: string } | undefined;
  for (let i = start; i < end; i++) {
    if (lines[i]!.text.startsWith('>')) continue;
    const value = fromValue(lines, i) ?? threadAuthor(lines[i]!.text);
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

/** `"Name (Org)" <a@b>`, `Name <a@b>`, `a@b (Name)`, `Name @ 2024-03-05 10:12 UTC (permalink / raw)`, or a bare address. */
function nameOf(value: string): string | undefined {
  const v = value.replace(/\s+@\s+\d{4}-\d\d-\d\d\b.*$/, '').trim();
  const angle = /^(.*?)\s*<[^>]*>\s*$/.exec(v);
  let name = angle ? angle[1]! : v;
  // `addr (Name)`; pipermail writes the address as `user at example.org`.
  const paren = /^\S+(?:@| at )\S+\s+\((.+)\)$/.exec(v);
  if (paren) name = paren[1]!;
  name = name.replace(/^"(.*)"$/, '$1').replace(/\\(.)/g, '$1').trim();
  return name === '' ? (v === '' ? undefined : v.replace(/^<|>$/g, '')) : name;
}

/** Read and import a cover letter file (InputError when it cannot be read). */
export function readPlanFile(file: string, options: PlanImportOptions = {}): SeriesPlan {
  return readPlanFileWithNotes(file, options).plan;
}

/** readPlanFile with the notes on the choice it made, for callers that show them. */
export function readPlanFileWithNotes(file: string, options: PlanImportOptions = {}): PlanImport {
  return importPlanDocuments(readPlanDocuments(file), file, options);
}
