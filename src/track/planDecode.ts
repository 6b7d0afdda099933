/**
 * The bytes of a cover-letter file as text, for `memdesc plan import`.
 *
 * A mail — one message, or an mbox holding a whole series or several versions of it — is decoded
 * message by message by its own MIME headers: Content-Transfer-Encoding (8bit, quoted-printable,
 * base64), Content-Type charset (and format=flowed), multipart bodies part by part, RFC 2047
 * encoded words and folded lines in headers; a text/html part only where no text/plain alternative
 * says the same (as its text, planHtml.ts). A web page saved as HTML is read as its text. Anything
 * else (a web page saved as text) and any
 * message or part without a usable charset is read as UTF-8 when it is valid UTF-8, else as
 * Windows-1252, the charset 8-bit mail without a label nearly always is.
 *
 * Charsets go through libmime (iconv-lite) rather than TextDecoder: Node 20's TextDecoder reads
 * windows-1252 as Latin-1 (nodejs/node#60888), turning ’ “ ” – € into C1 control characters.
 * libmime is loaded on first use so that CLI start-up does not pay for its charset tables.
 *
 * Each message comes back as its own segment: headers unfolded and decoded, one per line, a blank
 * line, then the decoded body. A page is one segment, as it was.
 */
import { Buffer, isUtf8 } from 'node:buffer';
import { createRequire } from 'node:module';
import { htmlCharset, htmlText, isHtmlPage } from './planHtml.ts';

type Libmime = typeof import('libmime').default;
type Charsets = typeof import('libmime/lib/charset.js');

let loaded: { mime: Libmime; charsets: Charsets } | undefined;
function libmime(): { mime: Libmime; charsets: Charsets } {
  if (!loaded) {
    const require = createRequire(import.meta.url);
    loaded = { mime: require('libmime') as Libmime, charsets: require('libmime/lib/charset.js') as Charsets };
  }
  return loaded;
}

/** Text segments of the file, or undefined when it is binary (NUL bytes, control characters). */
export function decodeCoverFile(bytes: Uint8Array): string[] | undefined {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bom = byteOrder(buf);
  if (bom) {
    // A page saved by an editor in UTF-16: no mail comes this way, so it is read as a page.
    const text = new TextDecoder(bom).decode(buf);
    if (looksBinary(text)) return undefined;
    return [normalizeEnds(isHtmlPage(text) ? htmlText(text) : text)];
  }
  if (looksBinary(buf)) return undefined;
  const body = buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? buf.subarray(3) : buf;
  // A page saved as a web page (the browser's default) rather than as text: its text, as a page.
  if (isHtmlPage(body)) return [normalizeEnds(htmlText(decodeText(body, htmlCharset(body))))];
  // One char per byte, so that lines can be cut and re-encoded without touching the bytes.
  const raw = normalizeEnds(body.toString('latin1'));
  return splitMail(raw).map((part) => (part.mail ? renderMessage(part.text, part.mbox) : decodeUnlabelled(Buffer.from(part.text, 'latin1'))));
}

/** RFC 2047 encoded words in a header value (adjacent words joined, each in its charset). */
export function decodeWords(value: string): string {
  return libmime().mime.decodeWords(value);
}

function byteOrder(b: Buffer): 'utf-16le' | 'utf-16be' | undefined {
  if (b[0] === 0xff && b[1] === 0xfe) return 'utf-16le';
  if (b[0] === 0xfe && b[1] === 0xff) return 'utf-16be';
  return undefined;
}

/** NUL anywhere, or more than 1% control characters other than tab, line ends and form feed. */
function looksBinary(data: Uint8Array | string): boolean {
  let control = 0;
  for (let i = 0; i < data.length; i++) {
    const c = typeof data === 'string' ? data.charCodeAt(i) : data[i]!;
    if (c === 0) return true;
    if (c < 32 && c !== 9 && c !== 10 && c !== 13 && c !== 12) control++;
  }
  return control > data.length / 100;
}

function normalizeEnds(s: string): string {
  return s.replace(/\r\n?/g, '\n');
}

/**
 * `From <sender> <asctime date>`, the line that starts each message of an mbox: `From 1f2e… Mon
 * Sep 17 00:00:00 2001` (git format-patch), `From mboxrd@z Thu Jan  1 00:00:00 1970` (public-inbox),
 * `From - Tue Jan 02 10:00:00 2024`, a zone before or after the year; pipermail's text archives
 * write the sender's address as `user at example.org`.
 */
const MBOX_SEPARATOR = /^From (?:\S+ at \S+|\S+)\s+(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)\s+(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\s+\d{1,2}\s+\d{1,2}:\d\d(?::\d\d)?\s+(?:[A-Z]{2,5}\s+|[+-]\d{4}\s+)?\d{4}(?:\s+[+-]\d{4})?\s*$/;
/** An RFC 5322 header field: printable ASCII name, a colon. */
const HEADER_LINE = /^[!-9;-~]+:/;
const CONTINUATION = /^[ \t]/;

interface Part {
  text: string;
  /** A mail message (headers then body) rather than page text. */
  mail: boolean;
  /** Cut from an mbox, whose bodies escape "From " lines as ">From ". */
  mbox: boolean;
}

/**
 * Cut the file into mail messages at mbox separators; text before the first message is page
 * text, unless it is itself a message (a single mail saved without a separator).
 */
function splitMail(raw: string): Part[] {
  const lines = raw.split('\n');
  const starts: number[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (MBOX_SEPARATOR.test(lines[i]!) && HEADER_LINE.test(lines[i + 1] ?? '')) starts.push(i);
  }
  const parts: Part[] = [];
  const head = lines.slice(0, starts[0] ?? lines.length).join('\n');
  if (head.trim() !== '') parts.push({ text: head, mail: startsWithHeaders(head), mbox: false });
  starts.forEach((s, k) => parts.push({ text: lines.slice(s + 1, starts[k + 1] ?? lines.length).join('\n'), mail: true, mbox: true }));
  return parts;
}

/** The text opens (after blank lines) with a block of header fields ended by a blank line or the end. */
function startsWithHeaders(text: string): boolean {
  const lines = text.replace(/^\n+/, '').split('\n');
  if (!HEADER_LINE.test(lines[0]!)) return false;
  for (const l of lines) {
    if (l === '') return true;
    if (!HEADER_LINE.test(l) && !CONTINUATION.test(l)) return false;
  }
  return true;
}

interface Header {
  name: string;
  /** Unfolded, still as bytes (one char per byte). */
  raw: string;
}

function splitHeaders(text: string): { headers: Header[]; body: string } {
  const lines = text.replace(/^\n+/, '').split('\n');
  const headers: Header[] = [];
  let i = 0;
  for (; i < lines.length && lines[i] !== ''; i++) {
    const l = lines[i]!;
    const last = headers[headers.length - 1];
    if (CONTINUATION.test(l) && last) {
      // Folding whitespace becomes one space, as git mailinfo reads it; encoded words drop it.
      last.raw += ` ${l.trim()}`;
      continue;
    }
    const colon = l.indexOf(':');
    if (colon <= 0 || !HEADER_LINE.test(l)) break;
    headers.push({ name: l.slice(0, colon), raw: l.slice(colon + 1).trim() });
  }
  return { headers, body: lines.slice(i + 1).join('\n') };
}

function header(headers: Header[], name: string): string | undefined {
  return headers.find((h) => h.name.toLowerCase() === name)?.raw;
}

function renderMessage(text: string, mbox: boolean): string {
  const { headers, body } = splitHeaders(text);
  const charset = contentType(headers).params.charset;
  const shown = headers.map((h) => {
    // 8-bit bytes in a header are in the message's charset (or unlabelled); encoded words after.
    const value = /[\x80-\xff]/.test(h.raw) ? decodeText(Buffer.from(h.raw, 'latin1'), charset) : h.raw;
    return `${h.name}: ${/^content-/i.test(h.name) ? value : decodeWords(value)}`;
  });
  const unescaped = mbox ? body.replace(/^>(>*From )/gm, '$1') : body;
  return `${shown.join('\n')}\n\n${decodeEntity(headers, unescaped)}`;
}

function contentType(headers: Header[]): { value: string; params: Record<string, string> } {
  const v = header(headers, 'content-type');
  if (!v) return { value: 'text/plain', params: {} };
  const parsed = libmime().mime.parseHeaderValue(v, { stripComments: true });
  return { value: parsed.value.toLowerCase(), params: parsed.params };
}

/** A body by its headers: multipart part by part, text by transfer encoding and charset; others dropped. */
function decodeEntity(headers: Header[], body: string, depth = 0): string {
  const type = contentType(headers);
  if (type.value.startsWith('multipart/') && type.params.boundary && depth < 8) {
    let parts = multipartBodies(body, type.params.boundary).map((p) => splitHeaders(p));
    // Alternatives say one thing twice: the plain text when there is one, else what there is.
    if (type.value === 'multipart/alternative' && parts.some((p) => contentType(p.headers).value === 'text/plain')) {
      parts = parts.filter((p) => contentType(p.headers).value !== 'text/html');
    }
    return parts.map((p) => decodeEntity(p.headers, p.body, depth + 1)).filter((s) => s !== '').join('\n');
  }
  if (type.value === 'message/rfc822' && depth < 8) return renderMessage(body, false);
  if (!type.value.startsWith('text/')) return '';
  const cte = (header(headers, 'content-transfer-encoding') ?? '').trim().toLowerCase();
  const bytes = cte === 'base64' ? Buffer.from(body.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64')
    : cte === 'quoted-printable' ? quotedPrintable(body)
      : Buffer.from(body, 'latin1');
  const decoded = decodeText(bytes, type.params.charset);
  if (type.value === 'text/html') return normalizeEnds(htmlText(decoded));
  return type.params.format?.toLowerCase() === 'flowed'
    ? libmime().mime.decodeFlowed(decoded, type.params.delsp?.toLowerCase() === 'yes')
    : decoded.replace(/\r\n?/g, '\n');
}

function multipartBodies(body: string, boundary: string): string[] {
  const parts: string[] = [];
  let current: string[] | undefined;
  for (const l of body.split('\n')) {
    const t = l.trimEnd();
    if (t === `--${boundary}` || t === `--${boundary}--`) {
      if (current) parts.push(current.join('\n'));
      // The preamble before the first boundary and the epilogue after the closing one are no part.
      if (t === `--${boundary}--`) return parts;
      current = [];
      continue;
    }
    current?.push(l);
  }
  if (current) parts.push(current.join('\n'));
  return parts;
}

/** RFC 2045 6.7: soft line breaks ("=" at the end of a line) and =XX octets; other bytes as they are. */
function quotedPrintable(body: string): Buffer {
  const joined = body.replace(/[ \t]*=\n/g, '');
  const out: number[] = [];
  for (let i = 0; i < joined.length; i++) {
    const c = joined.charCodeAt(i);
    if (c === 0x3d && /^[0-9A-Fa-f]{2}$/.test(joined.slice(i + 1, i + 3))) {
      out.push(parseInt(joined.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      out.push(c & 0xff);
    }
  }
  return Buffer.from(out);
}

/**
 * Labels that promise nothing about 8-bit bytes: none, ASCII, Latin-1 (which WHATWG reads as
 * Windows-1252 too) and UTF-8 (git format-patch labels a cover letter UTF-8 whatever the editor
 * saved it in).
 */
const UNLABELLED = /^(?:(?:us-)?ascii|utf-?8|iso[-_]?8859-1|latin-?1|l1|windows-1252|cp1252|ansi_x3\.4-1968|7bit|8bit)$/i;

/** Bytes in a declared charset; unlabelled or unknown ones as UTF-8 when valid, else Windows-1252. */
function decodeText(bytes: Buffer, charset: string | undefined): string {
  const label = charset?.trim().replace(/^["']|["']$/g, '');
  if (!label || UNLABELLED.test(label)) return decodeUnlabelled(bytes);
  if (!libmime().mime.createDecodeStream(label).supported) return decodeUnlabelled(bytes);
  return libmime().charsets.decode(bytes, label);
}

/**
 * UTF-8 when valid, else Windows-1252 — line by line, so that a file pasted together from a UTF-8
 * and a Latin-1 source reads right in both parts.
 */
function decodeUnlabelled(bytes: Buffer): string {
  if (isUtf8(bytes)) return normalizeEnds(bytes.toString('utf8'));
  const lines: string[] = [];
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i < bytes.length && bytes[i] !== 0x0a) continue;
    const line = bytes.subarray(start, i);
    lines.push(isUtf8(line) ? line.toString('utf8') : libmime().charsets.decode(line, 'windows-1252'));
    start = i + 1;
  }
  return normalizeEnds(lines.join('\n'));
}
