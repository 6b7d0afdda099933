/**
 * Type-checking a chain of overlays of one base program (the trees of a series' steps) without
 * checking every file every time. Each program reuses the previous one's parsed files (a file
 * whose text did not change keeps its SourceFile), and only the files whose diagnostics can have
 * changed are checked again: the files whose text changed, and the files that import a
 * declaration whose shape changed (declShapes.ts), where a declaration's shape also changes when
 * one it names changed, across files and re-exports, to a fixed point. An unannotated function
 * whose callee's type changed changes shape; a function whose return type is written does not,
 * whatever its body does, so its importers keep their diagnostics. This is TypeScript's
 * affected-files logic (`tsc --watch`'s builder) keyed by declaration instead of by file: an edit
 * of a widely imported file re-checks only the files that use what changed.
 *
 * Whatever the shapes cannot judge checks more: a changed file that is a script, declares
 * globals or augments a module, or is not TypeScript, re-checks everything; files added or
 * removed re-check every file whose imports now resolve elsewhere; files with global
 * declarations are checked every time. Config, options, syntactic and global diagnostics are
 * taken afresh every time; only per-file semantic diagnostics are carried over. The result is the
 * set of errors a full check of the program gives (test/ts/incremental.test.ts compares them,
 * and bench/series.bench.ts at every step of the corpus' series).
 */
import { ts } from '@ts-morph/common';
import { fileShapes, type FileShapes } from './declShapes.ts';
import { overlayProgram } from './programs.ts';
import { regionPlan, regionsAllowed, type RegionPlan } from './regions.ts';

export interface IncrementalResult {
  program: ts.Program;
  /** Every error and warning of the program, as `ts.getPreEmitDiagnostics` would give them. */
  diagnostics: readonly ts.Diagnostic[];
  /** Files whose semantic diagnostics were computed for this program (not carried over). */
  checked: string[];
}

interface Checked {
  program: ts.Program;
  /** Per file name: its semantic diagnostics, and the SourceFile they are of. */
  semantic: Map<string, { sf: ts.SourceFile; diagnostics: readonly ts.Diagnostic[] }>;
}

type ResolveFn = (spec: ts.StringLiteralLike, sf: ts.SourceFile) => string | undefined;

export class IncrementalChecker {
  private prev: Checked | undefined;
  /** Files checked in part (some statements, regions.ts) instead of whole, over every check so far. */
  regionChecks = 0;

  /**
   * `base`: the program every overlay is relative to (its files are read, never changed).
   * `baseChecked`: base was checked in full already (its diagnostics are cached in it): the first
   * check then re-checks only what differs from it too, instead of every file.
   */
  constructor(private readonly base: ts.Program, baseChecked = false) {
    if (baseChecked) {
      this.prev = { program: base, semantic: new Map(base.getSourceFiles().map((sf) => [sf.fileName, { sf, diagnostics: base.getSemanticDiagnostics(sf) }] as const)) };
    }
  }

  /**
   * The diagnostics of `base` with `texts` (absolute file -> content) overlaid. The first call
   * checks every file (the base itself is never checked); later calls re-check only what the
   * change since the previous call can have affected.
   */
  check(texts: Map<string, string>): IncrementalResult {
    const prev = this.prev;
    const program = overlayProgram(this.base, texts, prev ? { parsed: prev.program, structure: prev.program } : {});
    const files = program.getSourceFiles().filter((sf) => !program.isSourceFileDefaultLibrary(sf));
    const affected = prev ? affectedFiles(prev, program, files) : undefined;
    const diags: ts.Diagnostic[] = [
      ...program.getConfigFileParsingDiagnostics(),
      ...program.getOptionsDiagnostics(),
      ...program.getSyntacticDiagnostics(),
      // Before any file is checked, as a full check takes them.
      ...program.getGlobalDiagnostics(),
    ];
    const semantic: Checked['semantic'] = new Map();
    const checked: string[] = [];
    const regions = affected && prev && regionsAllowed(program.getCompilerOptions());
    for (const sf of program.getSourceFiles()) {
      const old = prev?.semantic.get(sf.fileName);
      let d: readonly ts.Diagnostic[];
      if (old && old.sf === sf && affected && !affected.files.has(sf.fileName)) d = old.diagnostics;
      else {
        // A file the change reaches in a few statements: those alone (regions.ts), the rest carried.
        const plan = regions && old && !affected.whole.has(sf.fileName)
          ? regionPlan(old.sf, sf, old.diagnostics, affected.dirty.get(sf.fileName) ?? new Set(), (f) => program.getSourceFile(f))
          : undefined;
        d = plan ? regionDiagnostics(program, sf, plan) : program.getSemanticDiagnostics(sf);
        if (plan) this.regionChecks++;
        if (!program.isSourceFileDefaultLibrary(sf)) checked.push(sf.fileName);
      }
      semantic.set(sf.fileName, { sf, diagnostics: d });
      diags.push(...d);
    }
    const o = program.getCompilerOptions();
    // Declaration diagnostics are not tracked per file: all of them, afresh.
    if (o.declaration || o.composite) diags.push(...program.getDeclarationDiagnostics());
    this.prev = { program, semantic };
    return { program, diagnostics: ts.sortAndDeduplicateDiagnostics(diags), checked };
  }
}

/** The program's resolution of a module specifier (TypeScript's own, internal but stable), or undefined. */
function resolver(program: ts.Program): ResolveFn | undefined {
  const p = program as ts.Program & { getResolvedModuleFromModuleSpecifier?: (s: ts.StringLiteralLike, sf: ts.SourceFile) => { resolvedModule?: { resolvedFileName: string } } | undefined };
  if (typeof p.getResolvedModuleFromModuleSpecifier !== 'function') return undefined;
  const f = p.getResolvedModuleFromModuleSpecifier.bind(p);
  return (spec, sf) => f(spec, sf)?.resolvedModule?.resolvedFileName;
}

/** What a change since the previous program reaches. */
interface Affected {
  /** Files whose diagnostics may differ. */
  files: Set<string>;
  /** Of those, the ones to check whole (the others may be checked in part: their dirty names say where). */
  whole: Set<string>;
  /** Per file: its top-level names (declarations and imports) whose shape changed. */
  dirty: Map<string, Set<string>>;
}

/**
 * The diagnostics of `sf` from a region check: the new statements' diagnostics with the file's
 * bind and program diagnostics, the carried ones a fresh one does not stand for, and the global
 * diagnostics the check produced (a whole-file check reports those with the file).
 */
function regionDiagnostics(program: ts.Program, sf: ts.SourceFile, plan: RegionPlan): ts.Diagnostic[] {
  const globals = new Set(program.getGlobalDiagnostics());
  const fresh = (program.getSemanticDiagnostics as (sf: ts.SourceFile, token: undefined, nodes: readonly ts.Node[]) => readonly ts.Diagnostic[])(sf, undefined, plan.nodes);
  const key = (d: ts.Diagnostic): string => `${d.start}\0${d.length}\0${d.code}\0${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  const seen = new Set(fresh.map(key));
  const added = program.getGlobalDiagnostics().filter((d) => !globals.has(d));
  return [...added, ...plan.carried.filter((d) => !seen.has(key(d))), ...fresh];
}

/**
 * The files of `program` whose diagnostics may differ from the previous program's: undefined
 * when every file must be checked.
 */
function affectedFiles(prev: Checked, program: ts.Program, files: ts.SourceFile[]): Affected | undefined {
  const resolve = resolver(program);
  const oldResolve = resolver(prev.program);
  if (!resolve || !oldResolve) return undefined;
  const oldFiles = new Map(prev.program.getSourceFiles().filter((sf) => !prev.program.isSourceFileDefaultLibrary(sf)).map((sf) => [sf.fileName, sf] as const));
  const byName = new Map(files.map((sf) => [sf.fileName, sf] as const));
  const changed = files.filter((sf) => oldFiles.get(sf.fileName) !== sf);
  const removed = [...oldFiles.keys()].filter((f) => !byName.has(f));
  if (changed.length === 0 && removed.length === 0) return { files: new Set(), whole: new Set(), dirty: new Map() };
  for (const sf of changed) {
    const old = oldFiles.get(sf.fileName);
    if (fileShapes(sf).global || (old && fileShapes(old).global)) return undefined;
  }
  for (const f of removed) if (fileShapes(oldFiles.get(f)!).global) return undefined;
  const out = new Set(changed.map((sf) => sf.fileName));
  // Checked whole: files added, global ones, those whose imports resolve elsewhere, read whole or re-exported (see below).
  const wholeCheck = new Set<string>();
  // Global declarations can meet anything: checked every time (a declaration file under skipLibCheck is never checked).
  const skipDts = !!program.getCompilerOptions().skipLibCheck;
  for (const sf of files) {
    if (fileShapes(sf).global && !(skipDts && sf.isDeclarationFile)) { out.add(sf.fileName); wholeCheck.add(sf.fileName); }
  }

  // Resolution: memoized per specifier node (a reused file keeps its nodes).
  const resolved = new Map<ts.StringLiteralLike, string | undefined>();
  const target = (spec: ts.StringLiteralLike, sf: ts.SourceFile): string | undefined => {
    if (!resolved.has(spec)) resolved.set(spec, resolve(spec, sf));
    return resolved.get(spec);
  };
  // Files added or removed: an unchanged file whose imports now resolve elsewhere is affected.
  const added = changed.filter((sf) => !oldFiles.has(sf.fileName));
  const dirtyLocal = new Map<string, Set<string>>();
  const mark = (file: string, name: string): boolean => {
    let s = dirtyLocal.get(file);
    if (!s) dirtyLocal.set(file, (s = new Set()));
    if (s.has(name)) return false;
    s.add(name);
    return true;
  };
  if (added.length > 0 || removed.length > 0) {
    for (const sf of files) {
      if (out.has(sf.fileName)) continue;
      const sh = fileShapes(sf);
      if (sh.specifiers.some((s) => target(s, sf) !== oldResolve(s, sf))) { out.add(sf.fileName); wholeCheck.add(sf.fileName); }
    }
  }

  // What changed in each changed file: names whose shape or import changed; exports whose mapping changed; the whole file.
  const whole = new Set<string>();
  const dirtyExports = new Map<string, Set<string>>();
  for (const sf of changed) {
    const old = oldFiles.get(sf.fileName);
    if (!old) { whole.add(sf.fileName); wholeCheck.add(sf.fileName); continue; }
    const a = fileShapes(old);
    const b = fileShapes(sf);
    if (a.other !== b.other || a.exportTable.get('\0stars') !== b.exportTable.get('\0stars')) { whole.add(sf.fileName); wholeCheck.add(sf.fileName); continue; }
    // An export that changed is the file's own export checks' business.
    if ([...new Set([...a.exportTable.keys(), ...b.exportTable.keys()])].some((n) => a.exportTable.get(n) !== b.exportTable.get(n))) wholeCheck.add(sf.fileName);
    for (const n of new Set([...a.decls.keys(), ...b.decls.keys()])) if (a.decls.get(n)?.shape !== b.decls.get(n)?.shape) mark(sf.fileName, n);
    for (const n of new Set([...a.imports.keys(), ...b.imports.keys()])) {
      const x = a.imports.get(n);
      const y = b.imports.get(n);
      if (!x || !y || x.name !== y.name || x.spec.text !== y.spec.text || oldResolve(x.spec, old) !== target(y.spec, sf)) mark(sf.fileName, n);
    }
    const ex = new Set<string>();
    for (const n of new Set([...a.exportTable.keys(), ...b.exportTable.keys()])) if (a.exportTable.get(n) !== b.exportTable.get(n)) ex.add(n);
    if (ex.size) dirtyExports.set(sf.fileName, ex);
  }

  // Propagation to a fixed point: a declaration naming a changed name changes; an import of a changed export changes.
  const shapes = (f: string): FileShapes | undefined => {
    const sf = byName.get(f);
    return sf ? fileShapes(sf) : undefined;
  };
  const exportDirty = (m: string, e: string, seen: Set<string>): boolean => {
    if (whole.has(m) || dirtyExports.get(m)?.has(e)) return true;
    const sh = shapes(m);
    if (!sh) return false;
    const key = `${m}\0${e}`;
    if (seen.has(key)) return false;
    seen.add(key);
    const local = sh.exports.get(e);
    if (local !== undefined) return !!dirtyLocal.get(m)?.has(local);
    const re = sh.reexports.get(e);
    const sf = byName.get(m)!;
    if (re) {
      const t = target(re.spec, sf);
      return !!t && (re.name === '*' ? moduleDirty(t, seen) : exportDirty(t, re.name, seen));
    }
    if (sh.stars.some((s) => { const t = target(s, sf); return !!t && exportDirty(t, e, seen); })) return true;
    // A name the module does not export: the importer's error (and its "did you mean") follows the export list.
    return !exportsName(m, e, new Set()) && (dirtyExports.get(m)?.size ?? 0) > 0;
  };
  const exportsName = (m: string, e: string, seen: Set<string>): boolean => {
    const sh = shapes(m);
    if (!sh || seen.has(m)) return false;
    seen.add(m);
    if (sh.exports.has(e) || sh.reexports.has(e)) return true;
    const sf = byName.get(m)!;
    return sh.stars.some((s) => { const t = target(s, sf); return !!t && exportsName(t, e, seen); });
  };
  const moduleDirty = (m: string, seen: Set<string>): boolean => {
    if (whole.has(m) || (dirtyExports.get(m)?.size ?? 0) > 0) return true;
    const sh = shapes(m);
    if (!sh) return false;
    const key = `${m}\0*`;
    if (seen.has(key)) return false;
    seen.add(key);
    for (const e of [...sh.exports.keys(), ...sh.reexports.keys()]) if (exportDirty(m, e, seen)) return true;
    const sf = byName.get(m)!;
    return sh.stars.some((s) => { const t = target(s, sf); return !!t && moduleDirty(t, seen); });
  };
  const bindingDirty = (b: { spec: ts.StringLiteralLike; name: string }, sf: ts.SourceFile): boolean => {
    const t = target(b.spec, sf);
    return !!t && (b.name === '*' ? moduleDirty(t, new Set()) : exportDirty(t, b.name, new Set()));
  };
  for (const f of whole) { const sh = shapes(f); if (sh) for (const n of [...sh.decls.keys(), ...sh.imports.keys()]) mark(f, n); }
  if (dirtyLocal.size > 0 || whole.size > 0 || dirtyExports.size > 0) {
    for (let again = true; again;) {
      again = false;
      for (const sf of files) {
        const sh = fileShapes(sf);
        for (const [n, b] of sh.imports) if (!dirtyLocal.get(sf.fileName)?.has(n) && bindingDirty(b, sf)) again = mark(sf.fileName, n) || again;
        const dirty = dirtyLocal.get(sf.fileName);
        if (!dirty) continue;
        for (const [n, d] of sh.decls) {
          if (dirty.has(n)) continue;
          for (const r of d.refs) if (dirty.has(r)) { again = mark(sf.fileName, n) || again; break; }
        }
      }
    }
  }
  for (const sf of files) {
    if (out.has(sf.fileName)) continue;
    const sh = fileShapes(sf);
    const dirty = dirtyLocal.get(sf.fileName);
    // What it imports (its statements naming those are checked again), re-exports by name (an export that went is an error there) or reads whole.
    const byImport = !!dirty && [...sh.imports.keys()].some((n) => dirty.has(n));
    const byModule = [...sh.reexports.values()].some((b) => bindingDirty(b, sf)) ||
      sh.wholeModules.some((s) => { const t = target(s, sf); return !!t && moduleDirty(t, new Set()); });
    if (byImport || byModule) out.add(sf.fileName);
    if (byModule) wholeCheck.add(sf.fileName);
  }
  for (const f of whole) wholeCheck.add(f);
  return { files: out, whole: wholeCheck, dirty: dirtyLocal };
}
