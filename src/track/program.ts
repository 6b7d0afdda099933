/**
 * A commit's TypeScript program without a checkout: the compiler reads the commit's tree from
 * memory (blob texts fetched once per blob id). Parsed source files are kept per (file, blob)
 * and the previous program is handed to the next as `oldProgram`, so consecutive commits share
 * everything that did not change. Paths under node_modules (never in git) and outside the
 * repository come from disk, as they would for a checkout in place; those reads are recorded
 * so cache keys can include them.
 */
import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { posix, relative } from 'node:path';
import { ts } from '@ts-morph/common';
import { InputError } from '../errors.ts';
import { compilerHost, LIB_DIR, libText } from '../ts/programs.ts';
import { withReferences } from '../ts/references.ts';

/**
 * Why a commit has no project to analyze (no tsconfig.json, an invalid one, no TypeScript files):
 * the walk records a gap for that commit and goes on. The message names paths relative to the
 * top level of the repository.
 */
export class ProjectGap extends InputError {}

export function sha1(s: string): string {
  return createHash('sha1').update(s).digest('hex');
}

/** Extensions whose blobs the compiler may ask for. */
export const SOURCE_EXT = /\.(?:[cm]?tsx?|[cm]?jsx?|json)$/;

export interface CommitProgram {
  program: ts.Program;
  /** Absolute project directory (where the tsconfig is). */
  root: string;
  /** Stable id of each program file's content: git blob id, `disk:size:mtime`, or `lib`. */
  ids: Map<string, string>;
  /** What else the program was built from (config files, disk probes): part of every key. */
  inputs: string[];
  /**
   * Everything outside the commit's tree the build read (probes as `[op, path, value]` JSON):
   * with the tree, all a commit's results depend on. A cached commit is believed while each
   * probe still reads the same (`Probes.hold`). Absent when they cannot all be known.
   */
  probes?: string[];
}

interface TreeIndex {
  files: Map<string, string>;
  dirs: Map<string, { files: string[]; dirs: string[] }>;
}

function indexTree(tree: Map<string, string>): TreeIndex {
  const dirs = new Map<string, { files: string[]; dirs: string[] }>();
  const dir = (d: string): { files: string[]; dirs: string[] } => {
    let e = dirs.get(d);
    if (!e) {
      e = { files: [], dirs: [] };
      dirs.set(d, e);
      if (d !== '') dir(posix.dirname(d) === '.' ? '' : posix.dirname(d)).dirs.push(posix.basename(d));
    }
    return e;
  };
  dir('');
  for (const p of tree.keys()) {
    const d = posix.dirname(p);
    dir(d === '.' ? '' : d).files.push(posix.basename(p));
  }
  return { files: tree, dirs };
}

/**
 * TypeScript reads an include entry without wildcards as a file name when its last path
 * component has a dot: `"include": ["."]` in a folder named `linux-5.10.y` includes nothing.
 * When that is why a project has no files, say so and how to write the entry instead.
 */
function dottedIncludeHint(raw: unknown, projectAbs: string, isDir: (d: string) => boolean): string {
  const include = (raw as { include?: unknown } | undefined)?.include;
  if (!Array.isArray(include)) return '';
  for (const entry of include) {
    if (typeof entry !== 'string' || /[*?]/.test(entry)) continue;
    const abs = posix.resolve(projectAbs, entry);
    const name = posix.basename(abs);
    if (name.includes('.') && isDir(abs)) {
      const better = posix.join(entry, '**/*').replace(/^\.\//, '');
      return `: TypeScript reads the include entry "${entry}" as a file name because the folder name "${name}" has a dot; write "${better}" instead`;
    }
  }
  return '';
}

type ProbeOp = 'exists' | 'dir' | 'read' | 'list' | 'stat' | 'realpath';

function listDir(d: string): { files: string[]; directories: string[] } {
  try {
    const list = readdirSync(d, { withFileTypes: true });
    return { files: list.filter((x) => x.isFile()).map((x) => x.name), directories: list.filter((x) => x.isDirectory()).map((x) => x.name) };
  } catch {
    return { files: [], directories: [] };
  }
}

function diskIdOf(f: string): string | undefined {
  try {
    const st = statSync(f);
    return `disk:${st.size}:${st.mtimeMs}`;
  } catch {
    return undefined;
  }
}

interface Resolution {
  failedLookupLocations?: readonly string[];
  affectingLocations?: readonly string[];
}

/**
 * The failed and affecting lookup locations of every module and type reference resolution of
 * the program (what a new or changed file there would change). TypeScript keeps them on the
 * resolutions (its watch mode reads them); no public API lists them.
 */
function resolutionLookups(program: ts.Program): Array<{ failed: readonly string[]; affecting: readonly string[] }> | undefined {
  const p = program as unknown as {
    forEachResolvedModule?(cb: (r: Resolution) => void): void;
    forEachResolvedTypeReferenceDirective?(cb: (r: Resolution) => void): void;
    getAutomaticTypeDirectiveResolutions?(): { forEach(cb: (r: Resolution) => void): void };
  };
  // Without them nothing proves a cached commit would resolve the same: no probes, no commit cache.
  if (!p.forEachResolvedModule || !p.forEachResolvedTypeReferenceDirective) return undefined;
  const out: Array<{ failed: readonly string[]; affecting: readonly string[] }> = [];
  const add = (r: Resolution): void => {
    out.push({ failed: r.failedLookupLocations ?? [], affecting: r.affectingLocations ?? [] });
  };
  p.forEachResolvedModule(add);
  p.forEachResolvedTypeReferenceDirective(add);
  p.getAutomaticTypeDirectiveResolutions?.().forEach(add);
  return out;
}

/**
 * Re-checks probes (CommitProgram.probes) against the disk now, each once per walk: what is on
 * disk is read as one snapshot, as the builder does.
 */
export class Probes {
  private memo = new Map<string, boolean>();

  /** Whether every probe still reads as recorded. */
  hold(probes: readonly string[]): boolean {
    return probes.every((p) => {
      let ok = this.memo.get(p);
      if (ok === undefined) {
        ok = this.check(p);
        this.memo.set(p, ok);
      }
      return ok;
    });
  }

  private check(p: string): boolean {
    let op: ProbeOp;
    let path: string;
    let value: string;
    try {
      [op, path, value] = JSON.parse(p) as [ProbeOp, string, string];
    } catch {
      return false;
    }
    switch (op) {
      case 'exists': return String(ts.sys.fileExists(path)) === value;
      case 'dir': return String(ts.sys.directoryExists(path)) === value;
      case 'read': {
        const t = ts.sys.readFile(path);
        return (t === undefined ? '-' : sha1(t)) === value;
      }
      case 'list': return JSON.stringify(listDir(path)) === value;
      case 'stat': return (diskIdOf(path) ?? '-') === value;
      case 'realpath': return (ts.sys.realpath?.(path) ?? path) === value;
      default: return false;
    }
  }
}

export class ProgramBuilder {
  /** Blob id -> text. */
  readonly texts = new Map<string, string>();
  private sourceFiles = new Map<string, ts.SourceFile>();
  private oldProgram: ts.Program | undefined;
  private optionsKey: string | undefined;
  private diskIds = new Map<string, string | undefined>();

  /** `repoRoot`: absolute work-tree root; `projectDir`: the project's directory inside the tree ('' for the root). */
  constructor(private repoRoot: string, private projectDir: string) {}

  private rel(abs: string): string | undefined {
    if (abs === this.repoRoot) return '';
    if (!abs.startsWith(`${this.repoRoot}/`)) return undefined;
    const r = abs.slice(this.repoRoot.length + 1);
    // node_modules is never committed: read it from disk like a checkout in place would.
    return r.split('/').includes('node_modules') ? undefined : r;
  }

  build(commit: string, tree: Map<string, string>): CommitProgram {
    const idx = indexTree(tree);
    // Only what the config parse reads is recorded: it runs in full for every commit, while
    // module resolution is partly reused from the previous program. Resolution outcomes are in
    // the import closures (which file each import reached), package.json files below.
    const inputs = new Set<string>();
    let parsing = true;
    const note = (s: string): void => {
      if (parsing) inputs.add(s);
    };
    for (const [p, id] of tree) if (p === 'package.json' || p.endsWith('/package.json')) inputs.add(`package ${p} ${id}`);
    const ids = new Map<string, string>();
    // Outside the tree, every read of the build (not only the config's): what a cached commit re-checks.
    const probes = new Set<string>();
    const probe = (op: ProbeOp, path: string, value: string): void => {
      probes.add(JSON.stringify([op, path, value]));
    };
    const textOf = (rel: string): string | undefined => {
      const id = idx.files.get(rel);
      return id === undefined ? undefined : this.texts.get(id);
    };
    const fileExists = (f: string): boolean => {
      if (libText(f) !== undefined) return true;
      const r = this.rel(f);
      if (r !== undefined) {
        return idx.files.has(r);
      }
      const ok = ts.sys.fileExists(f);
      note(`exists ${f} ${ok}`);
      probe('exists', f, String(ok));
      return ok;
    };
    const directoryExists = (d: string): boolean => {
      if (d === LIB_DIR) return true;
      const r = this.rel(d);
      if (r !== undefined) return idx.dirs.has(r);
      const ok = ts.sys.directoryExists(d);
      note(`dir ${d} ${ok}`);
      probe('dir', d, String(ok));
      return ok;
    };
    const readFile = (f: string): string | undefined => {
      const lib = libText(f);
      if (lib !== undefined) return lib;
      const r = this.rel(f);
      if (r !== undefined) {
        const t = textOf(r);
        if (t !== undefined) note(`read ${r} ${idx.files.get(r)}`);
        return t;
      }
      const t = ts.sys.readFile(f);
      note(`read ${f} ${t === undefined ? '-' : sha1(t)}`);
      probe('read', f, t === undefined ? '-' : sha1(t));
      return t;
    };
    const entries = (d: string): { files: string[]; directories: string[] } => {
      const r = this.rel(d.replace(/\/$/, ''));
      if (r !== undefined) {
        const e = idx.dirs.get(r);
        return { files: e?.files ?? [], directories: e?.dirs ?? [] };
      }
      const out = listDir(d);
      note(`list ${d} ${out.files.join(',')}|${out.directories.join(',')}`);
      probe('list', d, JSON.stringify(out));
      return out;
    };
    const matchFiles = (ts as unknown as {
      matchFiles(path: string, ext: readonly string[] | undefined, excl: readonly string[] | undefined, incl: readonly string[] | undefined,
        caseSensitive: boolean, cwd: string, depth: number | undefined, entries: (p: string) => { files: string[]; directories: string[] },
        realpath: (p: string) => string): string[];
    }).matchFiles;

    const projectAbs = this.projectDir ? `${this.repoRoot}/${this.projectDir}` : this.repoRoot;
    const tsconfig = `${projectAbs}/tsconfig.json`;
    // Paths in gap reasons are relative to the top level: the same in every report, wherever it is run.
    const shown = (f: string): string => this.rel(f) ?? relative(this.repoRoot, f);
    if (!fileExists(tsconfig)) throw new ProjectGap(`no tsconfig.json at ${shown(tsconfig)}`);
    let configError: ts.Diagnostic | undefined;
    const parseHost: ts.ParseConfigFileHost = {
      useCaseSensitiveFileNames: true,
      getCurrentDirectory: () => projectAbs,
      fileExists,
      readFile,
      readDirectory: (root, ext, excl, incl, depth) => matchFiles(root, ext, excl, incl, true, projectAbs, depth, entries, (p) => p),
      onUnRecoverableConfigFileDiagnostic: (d) => { configError = d; },
    };
    const parseOne = (file: string): ts.ParsedCommandLine => {
      if (!fileExists(file)) throw new ProjectGap(`invalid ${shown(tsconfig)}: it references ${shown(file)}, which does not exist`);
      configError = undefined;
      const parsed = ts.getParsedCommandLineOfConfigFile(file, undefined, parseHost);
      // TypeScript recovers from JSON syntax errors silently (dropping what follows): any of them
      // in the tsconfig or a file it extends makes the project unusable, at its line.
      const configFiles = [file, ...((parsed?.options.configFile as ts.TsConfigSourceFile | undefined)?.extendedSourceFiles ?? [])];
      const jsonError = configFiles.map((f) => {
        const text = readFile(f);
        return text === undefined ? undefined : ts.parseConfigFileTextToJson(f, text).error;
      }).find((d) => d !== undefined);
      const fatal = configError ?? jsonError ?? parsed?.errors.find((d) => d.category === ts.DiagnosticCategory.Error && d.code !== 18003);
      if (!parsed || fatal) {
        const msg = fatal ? ts.flattenDiagnosticMessageText(fatal.messageText, ' ') : 'unreadable';
        let at = '';
        if (fatal?.file && fatal.start !== undefined) {
          const { line, character } = fatal.file.getLineAndCharacterOfPosition(fatal.start);
          at = ` (${shown(fatal.file.fileName)}:${line + 1}:${character + 1})`;
        }
        throw new ProjectGap(`invalid ${shown(file)}: ${msg}${at}`);
      }
      return parsed;
    };
    const own = parseOne(tsconfig);
    // A solution tsconfig's referenced projects are one project with it (ts/references.ts).
    const cfg = withReferences(tsconfig, own, parseOne);
    parsing = false;
    if (cfg.fileNames.length === 0) {
      const refs = own.projectReferences?.length ? ' (nor in the projects it references)' : '';
      throw new ProjectGap(`no TypeScript files in ${shown(tsconfig)}${refs}${dottedIncludeHint(own.raw, projectAbs, directoryExists)}`);
    }
    const optionsKey = JSON.stringify(cfg.options);
    if (optionsKey !== this.optionsKey) {
      // Parsed (and bound) files are only reusable under the same options.
      this.sourceFiles.clear();
      this.oldProgram = undefined;
      this.optionsKey = optionsKey;
    }

    // Lib files never come here: the host hands out its shared parsed copies (ids: below).
    const getSourceFile = (fileName: string, lang: ts.ScriptTarget | ts.CreateSourceFileOptions): ts.SourceFile | undefined => {
      const fmt = typeof lang === 'object' ? `${lang.languageVersion}/${lang.impliedNodeFormat ?? ''}` : String(lang);
      let id: string;
      let text: () => string | undefined;
      const r = this.rel(fileName);
      if (r !== undefined) {
        const blob = idx.files.get(r);
        if (blob === undefined) return undefined;
        id = blob;
        text = () => this.texts.get(blob);
      } else {
        const d = this.diskId(fileName);
        probe('stat', fileName, d ?? '-');
        if (d === undefined) return undefined;
        id = d;
        text = () => ts.sys.readFile(fileName);
      }
      ids.set(fileName, id);
      const key = `${fileName}\0${id}\0${fmt}`;
      let sf = this.sourceFiles.get(key);
      if (!sf) {
        const t = text();
        if (t === undefined) return undefined;
        sf = ts.createSourceFile(fileName, t, lang, true);
        this.sourceFiles.set(key, sf);
      }
      return sf;
    };
    const host = compilerHost(cfg.options, {
      cwd: projectAbs,
      caseSensitive: true,
      files: {
        fileExists,
        readFile,
        directoryExists,
        getDirectories: (d) => entries(d).directories,
        realpath: (p) => {
          if (this.rel(p) !== undefined) return p;
          const r = ts.sys.realpath?.(p) ?? p;
          probe('realpath', p, r);
          return r;
        },
      },
      sourceFile: getSourceFile,
    });
    const program = ts.createProgram({ rootNames: cfg.fileNames, options: cfg.options, host, ...(this.oldProgram ? { oldProgram: this.oldProgram } : {}) });
    this.oldProgram = program;
    // Files reused from oldProgram were not asked for again: give them their ids too.
    for (const sf of program.getSourceFiles()) {
      if (ids.has(sf.fileName)) continue;
      const r = this.rel(sf.fileName);
      ids.set(sf.fileName, libText(sf.fileName) !== undefined ? 'lib' : r !== undefined ? idx.files.get(r) ?? '?' : this.diskId(sf.fileName) ?? 'disk:?');
      if (r === undefined && libText(sf.fileName) === undefined) probe('stat', sf.fileName, this.diskId(sf.fileName) ?? '-');
    }
    // Module resolutions reused from oldProgram made no probes this time: their lookups outside the tree.
    const outside = (f: string): boolean => this.rel(f) === undefined && libText(f) === undefined;
    const lookups = resolutionLookups(program);
    for (const r of lookups ?? []) {
      for (const f of r.failed) if (outside(f)) probe('exists', f, String(ts.sys.fileExists(f)));
      for (const f of r.affecting) {
        if (!outside(f)) continue;
        const t = ts.sys.readFile(f);
        probe('read', f, t === undefined ? '-' : sha1(t));
      }
    }
    this.prune(ids);
    return { program, root: projectAbs, ids, inputs: [...inputs].sort(), ...(lookups ? { probes: [...probes].sort() } : {}) };
  }

  /**
   * `disk:size:mtime` of a file outside the tree (node_modules, files above the repository), or
   * undefined when there is none. Taken once per walk: what is on disk is read as one snapshot.
   */
  private diskId(f: string): string | undefined {
    if (this.diskIds.has(f)) return this.diskIds.get(f);
    const id = diskIdOf(f);
    this.diskIds.set(f, id);
    return id;
  }

  /** Forget parsed files no longer in the program once the map grows (memory stays bounded). */
  private prune(ids: Map<string, string>): void {
    if (this.sourceFiles.size < 4 * ids.size + 64) return;
    for (const key of this.sourceFiles.keys()) {
      const [fileName, id] = key.split('\0');
      if (ids.get(fileName!) !== id) this.sourceFiles.delete(key);
    }
  }
}
