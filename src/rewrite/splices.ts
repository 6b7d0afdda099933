/**
 * Text splices: every conversion is a set of (start, end, text) edits on the original text of
 * a file, computed after all type queries and applied once per file. Zero-width inserts at the
 * same position are ordered by `order` (openers of wider nodes first, closers after).
 * Deletions swallow the edits inside them (retiring a function drops the rewrites of its body).
 */

import type { ts } from '@ts-morph/common';
import { tsv } from '../analyzers/tsValues.ts';

export interface Splice {
  start: number;
  end: number;
  text: string;
  /** Tie-break for inserts at one position: lower first. */
  order: number;
  /** A deletion that swallows edits strictly inside it. */
  swallow?: boolean;
}

export class SpliceConflict extends Error {}

/** Order values for inserts around a node of width w at its start (opener) and end (closer). */
export const opener = (width: number): number => -width;
export const closer = (width: number): number => -1e9 + width;

export class FileEdits {
  private list: Splice[] = [];
  private seq = 0;

  constructor(readonly file: string) {}

  get size(): number {
    return this.list.length;
  }

  replace(start: number, end: number, text: string): void {
    this.list.push({ start, end, text, order: this.seq++ });
  }

  insert(pos: number, text: string, order: number): void {
    this.list.push({ start: pos, end: pos, text, order });
  }

  remove(start: number, end: number): void {
    this.list.push({ start, end, text: '', order: this.seq++, swallow: true });
  }

  /** Is [start, end) inside a swallowing deletion? */
  deleted(start: number, end: number): boolean {
    return this.list.some((s) => s.swallow && s.start <= start && end <= s.end && s.end > s.start);
  }

  splices(): Splice[] {
    // Deletions that overlap delete their union: two retired members whose ranges share
    // the blank line between them are one intent, not a conflict.
    const dels: Splice[] = [];
    for (const d of this.list.filter((s) => s.swallow).sort((a, b) => a.start - b.start)) {
      const last = dels[dels.length - 1];
      if (last && d.start < last.end && d.end > d.start) {
        dels[dels.length - 1] = { ...last, end: Math.max(last.end, d.end) };
      } else {
        dels.push(d);
      }
    }
    const inside = (s: Splice, d: Splice): boolean => d !== s && d.start <= s.start && s.end <= d.end &&
      !(s.start === s.end && (s.start === d.start || s.start === d.end));
    const kept = [...dels, ...this.list.filter((s) => !s.swallow && !dels.some((d) => inside(s, d)))];
    const out = [...kept].sort((a, b) => a.start - b.start || (a.start === a.end ? 0 : 1) - (b.start === b.end ? 0 : 1) || a.order - b.order);
    // Identical duplicate edits (the same rename reached twice) collapse; other overlaps are bugs.
    const dedup: Splice[] = [];
    for (const s of out) {
      const prev = dedup[dedup.length - 1];
      if (prev && prev.start === s.start && prev.end === s.end && prev.text === s.text && s.end > s.start) continue;
      dedup.push(s);
    }
    for (let i = 1; i < dedup.length; i++) {
      const a = dedup[i - 1]!;
      const b = dedup[i]!;
      if (b.start < a.end) throw new SpliceConflict(`overlapping edits in ${this.file} at ${a.start}-${a.end} and ${b.start}-${b.end}`);
    }
    return dedup;
  }

  /** `fallbackQuote`: the quote for new strings when the file has none (the project's). */
  apply(text: string, fallbackQuote?: () => Quote | undefined): string {
    const own = inFileStyle(text, fallbackQuote);
    let out = '';
    let pos = 0;
    for (const s of this.splices()) {
      out += text.slice(pos, s.start) + own(s.text);
      pos = Math.max(pos, s.end);
    }
    out += text.slice(pos);
    // Removals and insertions can leave two blank lines where the file's style has one.
    if (!/\n[ \t\r]*\n[ \t\r]*\n/.test(text)) out = out.replace(/\n[ \t\r]*\n([ \t\r]*\n)+/g, `\n${lineEnding(text)}`);
    // …and a blank line before a closing brace (two retired members at the end of a class).
    if (!/\n[ \t\r]*\n[ \t]*\}/.test(text)) out = out.replace(/\n[ \t\r]*\n([ \t]*\})/g, '\n$1');
    return out;
  }
}

/** Per-file edit sets, keyed by absolute file name. */
export class EditSet {
  readonly files = new Map<string, FileEdits>();
  /**
   * Object-literal tables several passes edit (the page class's OFFSETOF): entries to add and
   * to drop, written as one replacement by finishTables().
   */
  readonly tables = new Map<unknown, { file: string; start: number; end: number; entries: Array<[string, string]>; add: Array<[string, string]>; drop: Set<string> }>();

  finishTables(): void {
    for (const t of this.tables.values()) {
      const kept = [...t.entries.filter(([k]) => !t.drop.has(k)), ...t.add.filter(([k]) => !t.drop.has(k))];
      this.for(t.file).replace(t.start, t.end, kept.length ? `{ ${kept.map(([k, v]) => `${k}: ${v}`).join(', ')} }` : '{}');
    }
    this.tables.clear();
  }

  for(file: string): FileEdits {
    let f = this.files.get(file);
    if (!f) {
      f = new FileEdits(file);
      this.files.set(file, f);
    }
    return f;
  }

  get empty(): boolean {
    return [...this.files.values()].every((f) => f.size === 0);
  }
}

/** The file's line ending: CRLF when most of its lines end so, else LF. */
export function lineEnding(text: string): '\n' | '\r\n' {
  let crlf = 0;
  let lf = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) {
    if (i > 0 && text.charCodeAt(i - 1) === 13) crlf++;
    else lf++;
  }
  return crlf > lf ? '\r\n' : '\n';
}

export type Quote = '"' | "'";

/**
 * New code as the file writes its own: lines ending as most of its lines do (a CRLF file stays
 * CRLF), strings quoted as most of its strings are (else as `fallbackQuote` says).
 */
export function inFileStyle(text: string, fallbackQuote?: () => Quote | undefined): (fragment: string) => string {
  const eol = lineEnding(text);
  let quote: Quote | undefined | null = null;
  return (t) => {
    if (quote === null) quote = quoteStyle(text) ?? fallbackQuote?.();
    return requote(eol === '\n' ? t : t.replace(/\r?\n/g, eol), quote);
  };
}

/** The quote most string literals of a program's own files use (declaration files and packages aside). */
export function projectQuote(program: ts.Program): Quote | undefined {
  let single = 0;
  let double = 0;
  for (const sf of program.getSourceFiles()) {
    if (sf.isDeclarationFile || /[\\/]node_modules[\\/]/.test(sf.fileName)) continue;
    forEachStringToken(sf.text, (tok) => {
      if (tok[0] === "'") single++;
      else double++;
    });
  }
  return double > single ? '"' : single > double ? "'" : undefined;
}

/** Count string literals by their quote: the one most of the file's strings use (undefined: none). */
export function quoteStyle(text: string): Quote | undefined {
  let single = 0;
  let double = 0;
  forEachStringToken(text, (tok) => {
    if (tok[0] === "'") single++;
    else if (tok[0] === '"') double++;
  });
  return double > single ? '"' : single > double ? "'" : undefined;
}

/**
 * `fragment` (new code) with its string literals in quote `q` where that changes nothing but the
 * quote (no quote or backslash inside); comments, template literals and other text as they are.
 */
export function requote(fragment: string, q: Quote | undefined): string {
  if (!q || !fragment.includes(q === '"' ? "'" : '"')) return fragment;
  let out = '';
  let last = 0;
  forEachStringToken(fragment, (tok, pos) => {
    if (tok[0] === q || /["'\\]/.test(tok.slice(1, -1))) return;
    out += `${fragment.slice(last, pos)}${q}${tok.slice(1, -1)}${q}`;
    last = pos + tok.length;
  });
  return out + fragment.slice(last);
}

/** Each complete string literal token of `text` (TypeScript's scanner: comments and templates skipped). */
function forEachStringToken(text: string, f: (token: string, pos: number) => void): void {
  const scanner = tsv.createScanner(tsv.ScriptTarget.Latest, false, tsv.LanguageVariant.Standard, text);
  for (let k = scanner.scan(); k !== tsv.SyntaxKind.EndOfFileToken; k = scanner.scan()) {
    if (k !== tsv.SyntaxKind.StringLiteral || scanner.isUnterminated()) continue;
    f(scanner.getTokenText(), scanner.getTokenStart());
  }
}
