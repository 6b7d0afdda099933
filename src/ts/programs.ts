/**
 * Every TypeScript program memdesc builds comes from here, through one compiler host: disk
 * programs from a parsed tsconfig, overlay programs (a base program with some files' texts
 * replaced or added, every other parsed file reused), and programs over another file source
 * (track: a commit's tree in memory). The default library is ts-morph's bundled lib files, parsed
 * once per process and shared by every program.
 */
import { createHash } from 'node:crypto';
import { getLibFiles, ts } from '@ts-morph/common';
import { overlaySourceFile } from './sharedParse.ts';

/** Where the lib .d.ts files appear to live: ts-morph ships them in memory, not on disk. */
export const LIB_DIR = '/__memdesc__/typescript/lib';
let libTexts: Map<string, string> | undefined;

/** The text of a bundled lib file, or undefined when `fileName` is not one. */
export function libText(fileName: string): string | undefined {
  if (!fileName.startsWith(`${LIB_DIR}/`)) return undefined;
  libTexts ??= new Map(getLibFiles().map((f) => [f.fileName, f.text]));
  return libTexts.get(fileName.slice(LIB_DIR.length + 1));
}

/** Where a host reads what is not a lib file (default: the disk). */
export interface FileSource {
  fileExists(fileName: string): boolean;
  readFile(fileName: string): string | undefined;
  directoryExists?(dir: string): boolean;
  getDirectories?(dir: string): string[];
  realpath?(path: string): string;
}

export interface HostOptions {
  /** Files come from here instead of the disk (lib files always from the bundle). */
  files?: FileSource;
  /** Current directory (default: the process's). */
  cwd?: string;
  /** File names are case-sensitive whatever the platform (track: paths of a git tree). */
  caseSensitive?: boolean;
  /**
   * A parsed file for `fileName`, or undefined to parse it from `files`: lets a caller reuse
   * parsed files (overlays, track's per-blob cache). Not asked for lib files.
   */
  sourceFile?: (fileName: string, lang: ts.ScriptTarget | ts.CreateSourceFileOptions) => ts.SourceFile | undefined;
}

/**
 * Parsed lib files, per file and the options that shape a parse and bind (TypeScript's own
 * document-registry key): the same lib text is never parsed twice in a process.
 */
const libFiles = new Map<string, ts.SourceFile>();

function parseKey(lang: ts.ScriptTarget | ts.CreateSourceFileOptions): string {
  return typeof lang === 'object' ? `${lang.languageVersion}/${lang.impliedNodeFormat ?? ''}/${lang.jsDocParsingMode ?? ''}/${lang.setExternalModuleIndicator ? 'x' : ''}` : String(lang);
}

function optionsKey(options: ts.CompilerOptions): string {
  // Internal but stable list (affectsSourceFile/affectsBindDiagnostics); all options when absent.
  const affecting = (ts as unknown as { sourceFileAffectingCompilerOptions?: Array<{ name: string }> }).sourceFileAffectingCompilerOptions;
  const names = affecting ? affecting.map((o) => o.name) : Object.keys(options).sort();
  return JSON.stringify(names.map((n) => options[n] ?? null));
}

/**
 * How a lib file is parsed, whatever the program asks: as tsc parses it (TypeScript's
 * ParseForTypeErrors: a JSDoc comment only where a type error needs it). memdesc reads no JSDoc
 * of a lib declaration and the type errors are the same by TypeScript's design, so a program that
 * parses its own files' JSDoc (every pass that edits) shares one parsed and bound copy of the lib
 * files with analyze's programs in a process that builds both (start, series: one lib parse and
 * bind fewer, about 0.1 s).
 */
function libLang(lang: ts.ScriptTarget | ts.CreateSourceFileOptions): ts.CreateSourceFileOptions {
  const types = ts.JSDocParsingMode.ParseForTypeErrors;
  return typeof lang === 'object' ? { ...lang, jsDocParsingMode: types } : { languageVersion: lang, jsDocParsingMode: types };
}

function libSourceFile(fileName: string, text: string, asked: ts.ScriptTarget | ts.CreateSourceFileOptions, options: ts.CompilerOptions): ts.SourceFile {
  const lang = libLang(asked);
  const key = `${fileName}\0${parseKey(lang)}\0${optionsKey(options)}`;
  let sf = libFiles.get(key);
  if (!sf) {
    sf = ts.createSourceFile(fileName, text, lang);
    libFiles.set(key, sf);
  }
  return sf;
}

/** The one compiler host: lib files from the bundle, everything else from `files` (default: disk). */
export function compilerHost(options: ts.CompilerOptions, h: HostOptions = {}): ts.CompilerHost {
  const host = ts.createCompilerHost(options);
  const files = h.files;
  const diskGetSourceFile = host.getSourceFile;
  if (h.cwd !== undefined) {
    const cwd = h.cwd;
    host.getCurrentDirectory = () => cwd;
  }
  if (h.caseSensitive) {
    host.useCaseSensitiveFileNames = () => true;
    host.getCanonicalFileName = (f) => f;
  }
  // memdesc never emits: a program that tried would write nothing.
  host.writeFile = () => {};
  host.getDefaultLibLocation = () => LIB_DIR;
  host.getDefaultLibFileName = (o) => `${LIB_DIR}/${ts.getDefaultLibFileName(o)}`;
  if (files) {
    host.fileExists = (f) => libText(f) !== undefined || files.fileExists(f);
    host.readFile = (f) => libText(f) ?? files.readFile(f);
    if (files.directoryExists) host.directoryExists = (d) => d === LIB_DIR || files.directoryExists!(d);
    if (files.getDirectories) host.getDirectories = (d) => files.getDirectories!(d);
    if (files.realpath) host.realpath = (p) => (libText(p) !== undefined ? p : files.realpath!(p));
  } else {
    const { fileExists, readFile } = host;
    host.fileExists = (f) => libText(f) !== undefined || fileExists.call(host, f);
    host.readFile = (f) => libText(f) ?? readFile.call(host, f);
  }
  host.getSourceFile = (fileName, lang, onError, create) => {
    const lib = libText(fileName);
    if (lib !== undefined) return libSourceFile(fileName, lib, lang, options);
    // The disk host's parser reads through host.readFile, so `files` applies there too.
    return h.sourceFile?.(fileName, lang) ?? diskGetSourceFile.call(host, fileName, lang, onError, create);
  };
  return host;
}

/** The version TypeScript's builder compares to see what changed: a hash of the text. */
export function setVersion(sf: ts.SourceFile): ts.SourceFile {
  const f = sf as ts.SourceFile & { version?: string };
  f.version ??= createHash('sha1').update(sf.text).digest('hex');
  return sf;
}

export interface DiskProgramOptions {
  /**
   * Parse JSDoc only where type errors need it, as `tsc` does (TypeScript's ParseForTypeErrors):
   * the same types for a cheaper parse, for passes that read no JSDoc node (analyze). Default:
   * every JSDoc comment parsed (passes that edit read and rewrite them).
   */
  jsDocForTypesOnly?: boolean;
}

/** A program of the files a parsed tsconfig names, read from disk. */
export function diskProgram(cfg: ts.ParsedCommandLine, opts: DiskProgramOptions = {}): ts.Program {
  const host = compilerHost(cfg.options);
  if (opts.jsDocForTypesOnly) host.jsDocParsingMode = ts.JSDocParsingMode.ParseForTypeErrors;
  return ts.createProgram({ rootNames: cfg.fileNames, options: cfg.options, host });
}

const SOURCE = /\.(m|c)?tsx?$/;

/** Whether a parsed file fits a parse request (same target and module format). */
function sameParse(sf: ts.SourceFile, lang: ts.ScriptTarget | ts.CreateSourceFileOptions): boolean {
  return typeof lang === 'object'
    ? sf.languageVersion === lang.languageVersion && sf.impliedNodeFormat === lang.impliedNodeFormat
    : sf.languageVersion === lang;
}

export interface OverlayOptions {
  /**
   * Parsed files to reuse where the text is the same (default: `base`'s): the previous overlay
   * in a chain, so that a file whose text did not change since is not parsed again. Program
   * structure is reused from `base`.
   */
  parsed?: ts.Program;
  /**
   * The program whose structure (root files, module resolutions) TypeScript may reuse (default:
   * `base`): the previous overlay in a chain, whose root files (the new files of the overlays
   * included) and imports are mostly the current one's, so that TypeScript does not walk and
   * resolve every file again (the base's roots lack the files the overlays add).
   */
  structure?: ts.Program;
}

/**
 * The program of `base` with `texts` (absolute file -> content; new files included) overlaid.
 * Every file not in `texts` is base's own SourceFile; a text equal to the one `parsed` has for
 * that file keeps parsed's SourceFile.
 */
export function overlayProgram(base: ts.Program, texts: Map<string, string>, opts: OverlayOptions = {}): ts.Program {
  const options = base.getCompilerOptions();
  // Taken now: the host lives as long as the program, and must not keep `parsed` (a chain of
  // overlays would keep every program before it alive).
  const reuse = new Map<string, ts.SourceFile>();
  for (const [f, t] of texts) {
    const prev = (opts.parsed ?? base).getSourceFile(f);
    if (prev && prev.text === t) reuse.set(f, prev);
  }
  const host = compilerHost(options, {
    files: {
      fileExists: (f) => texts.has(f) || !!base.getSourceFile(f) || ts.sys.fileExists(f),
      readFile: (f) => texts.get(f) ?? base.getSourceFile(f)?.text ?? ts.sys.readFile(f),
      // A new file may be the first in its folder: module resolution asks for the folder.
      directoryExists: (d) => ts.sys.directoryExists(d) || [...texts.keys()].some((f) => f.startsWith(`${d}/`)),
      getDirectories: (d) => ts.sys.getDirectories(d),
      ...(ts.sys.realpath ? { realpath: ts.sys.realpath } : {}),
    },
    sourceFile: (f, lang) => {
      const t = texts.get(f);
      if (t === undefined) return base.getSourceFile(f);
      const r = reuse.get(f);
      // A text a planner of this step read already is not parsed again (sharedParse.ts).
      return r && sameParse(r, lang) ? r : overlaySourceFile(options, f, t, lang);
    },
  });
  const roots = [...base.getRootFileNames()];
  const known = new Set(roots);
  for (const f of texts.keys()) if (!known.has(f) && SOURCE.test(f)) roots.push(f);
  return ts.createProgram({ rootNames: roots, options, host, oldProgram: opts.structure ?? base });
}
