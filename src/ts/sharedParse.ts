/**
 * One parse of a file's new text for everything a series step does with it. Planning a step
 * reads the syntax of each file it changes (imports settled on the text, the import graph's
 * edges of the final text) and the step's type-check parses the same final text for its overlay
 * program: without sharing, a changed file was parsed up to three times per step.
 *
 * Overlay programs (programs.ts) parse through here, and note, per compiler options object and
 * file, the parse options their program asked for. A syntax reader (src/rewrite) that knows the
 * program's options asks with them: when an overlay of that program already asked for the file,
 * the text is parsed with that program's options and kept until the next overlay asks for that
 * file, which takes it when the text is the same (a step's planning comes before its check; the
 * program holds it from then on, and nothing more is kept here: a kept parse is garbage the
 * collector must carry). Only what cannot change a syntax reader's result is shared:
 * `.ts`/`.mts`/`.cts` files (read as TypeScript either way) at an ES2015 or later target (the
 * scanner's identifier tables are the same as the latest's), parents set; anything else is parsed
 * privately, as before.
 */
import { ts } from '@ts-morph/common';

type Lang = ts.ScriptTarget | ts.CreateSourceFileOptions;

interface Parsed {
  text: string;
  lang: Lang;
  sf: ts.SourceFile;
}

/** Per options object (an overlay chain shares its base's), per file: the parse options asked for and the readers' parses not yet taken. */
const byOptions = new WeakMap<ts.CompilerOptions, { langs: Map<string, Lang>; parsed: Map<string, Parsed[]> }>();
/** Parses kept per file: planning may read an intermediate text (before its imports are settled) beside the final one. */
const KEEP = 2;

/** Counters for the series' timings: readers' parses kept, and the ones an overlay took instead of parsing again. */
export const sharedParseStats = { parsed: 0, shared: 0 };

function entry(options: ts.CompilerOptions): { langs: Map<string, Lang>; parsed: Map<string, Parsed[]> } {
  let e = byOptions.get(options);
  if (!e) byOptions.set(options, (e = { langs: new Map(), parsed: new Map() }));
  return e;
}

function languageVersion(lang: Lang): ts.ScriptTarget {
  return typeof lang === 'object' ? lang.languageVersion : lang;
}

function sameLang(a: Lang, b: Lang): boolean {
  if (typeof a !== 'object' || typeof b !== 'object') return a === b;
  return a.languageVersion === b.languageVersion && a.impliedNodeFormat === b.impliedNodeFormat && a.jsDocParsingMode === b.jsDocParsingMode;
}

const TS_FILE = /\.[mc]?ts$/;

/** Whether a syntax reader parsing as TypeScript at the latest target reads the same tree from a parse with `lang`. */
function shareable(fileName: string, lang: Lang): boolean {
  return TS_FILE.test(fileName) && !fileName.endsWith('.d.ts') && languageVersion(lang) >= ts.ScriptTarget.ES2015;
}

/**
 * The SourceFile of `text` for a program with `options` that asks with `lang` (parents set):
 * one parsed for a syntax reader of the same text, else a new one, kept for the next asker.
 */
export function overlaySourceFile(options: ts.CompilerOptions, fileName: string, text: string, lang: Lang): ts.SourceFile {
  const e = entry(options);
  e.langs.set(fileName, lang);
  // Whatever readers parsed of this file before is theirs or this program's now: not kept.
  const kept = e.parsed.get(fileName);
  e.parsed.delete(fileName);
  const hit = kept?.find((p) => p.text === text && sameLang(p.lang, lang));
  if (hit) {
    sharedParseStats.shared++;
    return hit.sf;
  }
  return ts.createSourceFile(fileName, text, lang, true);
}

function parseKept(parsed: Map<string, Parsed[]>, fileName: string, text: string, lang: Lang): ts.SourceFile {
  const list = parsed.get(fileName) ?? [];
  const hit = list.find((p) => p.text === text && sameLang(p.lang, lang));
  if (hit) return hit.sf;
  sharedParseStats.parsed++;
  const sf = ts.createSourceFile(fileName, text, lang, true);
  parsed.set(fileName, [{ text, lang, sf }, ...list].slice(0, KEEP));
  return sf;
}

/**
 * The syntax of `text` for a reader (parents set, read as TypeScript): shared with the overlays
 * of the program whose options are `options` when one of them parsed that file before, else
 * parsed privately as `ts.createSourceFile(fileName, text, Latest, true, TS)`.
 */
export function syntaxOf(options: ts.CompilerOptions | undefined, fileName: string, text: string): ts.SourceFile {
  const e = options && byOptions.get(options);
  const lang = e?.langs.get(fileName);
  if (e && lang !== undefined && shareable(fileName, lang)) return parseKept(e.parsed, fileName, text, lang);
  return ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
}
