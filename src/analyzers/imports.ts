/**
 * What a file's types can depend on, by syntax and module resolution only (no type checker):
 * the files it imports (resolved the way the program resolved them), its triple-slash
 * references, and the program's global files (scripts, `declare global`, ambient modules),
 * whose declarations every file sees. Used to limit incremental analysis and to key caches.
 */
import { dirname, resolve } from 'node:path';
import { ts } from '@ts-morph/common';
import { tsv } from './tsValues.ts';

/** Internal TypeScript properties, set on every program source file (stable for years). */
interface SourceFileInternals {
  imports?: readonly ts.StringLiteralLike[];
  moduleAugmentations?: readonly unknown[];
  ambientModuleNames?: readonly string[];
}

/** Program methods missing from the public typings of some TypeScript versions. */
interface ProgramInternals {
  getResolvedModuleFromModuleSpecifier?(spec: ts.StringLiteralLike, sf: ts.SourceFile): { resolvedModule?: { resolvedFileName: string } } | undefined;
  getResolvedTypeReferenceDirectiveFromTypeReferenceDirective?(ref: ts.FileReference, sf: ts.SourceFile):
    { resolvedTypeReferenceDirective?: { resolvedFileName?: string } } | undefined;
}

/** Files whose declarations are visible without an import. */
export function globalFiles(program: ts.Program): ts.SourceFile[] {
  return program.getSourceFiles().filter((sf) => {
    const x = sf as unknown as SourceFileInternals;
    return !tsv.isExternalModule(sf) || (x.moduleAugmentations?.length ?? 0) > 0 || (x.ambientModuleNames?.length ?? 0) > 0;
  });
}

/** Module specifiers of `sf` (imports, exports, import(), require()). */
function specifiers(sf: ts.SourceFile): readonly ts.StringLiteralLike[] {
  const internal = (sf as unknown as SourceFileInternals).imports;
  if (internal) return internal;
  const out: ts.StringLiteralLike[] = [];
  for (const st of sf.statements) {
    if ((tsv.isImportDeclaration(st) || tsv.isExportDeclaration(st)) && st.moduleSpecifier && tsv.isStringLiteral(st.moduleSpecifier)) out.push(st.moduleSpecifier);
  }
  return out;
}

/** Files `sf` depends on directly. */
export function directImports(program: ts.Program, sf: ts.SourceFile): ts.SourceFile[] {
  const p = program as unknown as ProgramInternals;
  // Without the program's own resolution answers, depending on everything is the safe answer.
  if (!p.getResolvedModuleFromModuleSpecifier || !p.getResolvedTypeReferenceDirectiveFromTypeReferenceDirective) return [...program.getSourceFiles()];
  const out: ts.SourceFile[] = [];
  for (const spec of specifiers(sf)) {
    const r = p.getResolvedModuleFromModuleSpecifier(spec, sf)?.resolvedModule;
    const target = r && program.getSourceFile(r.resolvedFileName);
    if (target) out.push(target);
  }
  for (const ref of sf.referencedFiles) {
    const target = program.getSourceFile(resolve(dirname(sf.fileName), ref.fileName));
    if (target) out.push(target);
  }
  for (const ref of sf.typeReferenceDirectives) {
    const r = p.getResolvedTypeReferenceDirectiveFromTypeReferenceDirective(ref, sf)?.resolvedTypeReferenceDirective;
    const target = r?.resolvedFileName ? program.getSourceFile(r.resolvedFileName) : undefined;
    if (target) out.push(target);
  }
  return out;
}

/** The program's import graph, each file's direct imports computed once. */
export class ImportGraph {
  private directs = new Map<ts.SourceFile, ts.SourceFile[]>();
  private globals: ts.SourceFile[] | undefined;

  constructor(private program: ts.Program) {}

  direct(sf: ts.SourceFile): ts.SourceFile[] {
    let d = this.directs.get(sf);
    if (!d) {
      d = directImports(this.program, sf);
      this.directs.set(sf, d);
    }
    return d;
  }

  /** `files`, everything they import transitively, and the program's global files. */
  closure(files: Iterable<ts.SourceFile>): Set<ts.SourceFile> {
    this.globals ??= globalFiles(this.program);
    const seen = new Set<ts.SourceFile>();
    const stack = [...files, ...this.globals];
    while (stack.length > 0) {
      const sf = stack.pop()!;
      if (seen.has(sf)) continue;
      seen.add(sf);
      for (const d of this.direct(sf)) if (!seen.has(d)) stack.push(d);
    }
    return seen;
  }
}

/** `files`, everything they import transitively, and the program's global files. */
export function importClosure(program: ts.Program, files: Iterable<ts.SourceFile>): Set<ts.SourceFile> {
  return new ImportGraph(program).closure(files);
}
