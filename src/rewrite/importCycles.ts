/**
 * Import cycles a conversion would create. Every import the converter adds (a descriptor class,
 * a converter) is an edge of the project's import graph; one that closes a loop the original
 * graph did not have can break module loading (a class or a load-time check used before its
 * module ran). Type-only imports are erased at run time and do not count.
 */
import { ts } from '@ts-morph/common';
import { tsv } from '../analyzers/tsValues.ts';
import { nameUses, type ModuleResolver } from './importFix.ts';
import { resolveSpecifier } from './imports.ts';
import { syntaxOf } from '../ts/sharedParse.ts';

/**
 * Value imports and re-exports of relative modules, as absolute files. With `elide` (no
 * verbatimModuleSyntax) an import whose names the file uses only in types is dropped by the
 * compiler, so it is no edge at run time either.
 */
export function valueImports(sf: ts.SourceFile, elide = false, resolve: ModuleResolver = (s, f) => resolveSpecifier(f, s)): Set<string> {
  const out = new Set<string>();
  const uses = elide ? nameUses(sf) : undefined;
  for (const st of sf.statements) {
    let spec: ts.Expression | undefined;
    if (tsv.isImportDeclaration(st)) {
      const c = st.importClause;
      if (c?.isTypeOnly) continue;
      const nb = c?.namedBindings;
      // `import { type A, type B }` is erased too (a bare `import {}` or `import './x'` is not).
      if (c && !c.name && nb && tsv.isNamedImports(nb) && nb.elements.length > 0 && nb.elements.every((e) => e.isTypeOnly)) continue;
      if (uses && c && !c.name && nb && tsv.isNamedImports(nb) && nb.elements.length > 0 &&
        nb.elements.every((e) => !uses.get(e.name.text)?.value)) continue;
      spec = st.moduleSpecifier;
    } else if (tsv.isExportDeclaration(st) && st.moduleSpecifier && !st.isTypeOnly) spec = st.moduleSpecifier;
    if (!spec || !tsv.isStringLiteral(spec)) continue;
    const to = resolve(spec.text, sf.fileName);
    if (to) out.add(to);
  }
  return out;
}

type Graph = Map<string, Set<string>>;

function reaches(g: Graph, from: string, to: string): string[] | undefined {
  const prev = new Map<string, string>([[from, '']]);
  const queue = [from];
  while (queue.length) {
    const x = queue.shift()!;
    if (x === to) {
      const path = [x];
      for (let p = prev.get(x)!; p; p = prev.get(p)!) path.unshift(p);
      return path;
    }
    for (const y of [...(g.get(x) ?? [])].sort()) if (!prev.has(y)) { prev.set(y, x); queue.push(y); }
  }
  return undefined;
}

export interface NewCycle {
  /** The importing file and the module it now imports. */
  from: string;
  to: string;
  /** The way back from `to` to `from` (files, both ends included). */
  back: string[];
}

/**
 * The import graph of a project's original sources, made once, against which the texts of any
 * number of conversions of it are checked (a series checks one per step): only the files a
 * conversion changed are parsed, and a file's edges are kept until its text changes.
 */
export class ImportGraph {
  private readonly base: Graph = new Map();
  /** Per changed file, the last text seen and its edges. */
  private readonly seen = new Map<string, { text: string; edges: Set<string> }>();

  /** `options`: the converted program's, so that a text its overlays parse is parsed once (src/ts/sharedParse.ts). */
  constructor(before: readonly ts.SourceFile[], private readonly elide = false, private readonly resolve?: ModuleResolver, private readonly options?: ts.CompilerOptions) {
    for (const sf of before) this.base.set(sf.fileName, valueImports(sf, elide, resolve));
  }

  private edgesOf(file: string, text: string): Set<string> {
    const s = this.seen.get(file);
    if (s && s.text === text) return s.edges;
    const edges = valueImports(syntaxOf(this.options, file, text), this.elide, this.resolve);
    this.seen.set(file, { text, edges });
    return edges;
  }

  /** Cycles that the new texts (`after`: file -> text) close and the original sources did not have. */
  newCycles(after: ReadonlyMap<string, string>): NewCycle[] {
    const g0 = this.base;
    const g1: Graph = new Map(g0);
    const added: Array<[string, string]> = [];
    for (const [file, text] of after) {
      const edges = this.edgesOf(file, text);
      g1.set(file, edges);
      for (const to of edges) if (!g0.get(file)?.has(to)) added.push([file, to]);
    }
    const out: NewCycle[] = [];
    for (const [from, to] of added) {
      const back = reaches(g1, to, from);
      if (!back) continue;
      if (reaches(g0, to, from) && reaches(g0, from, to)) continue; // the loop was there already
      out.push({ from, to, back });
    }
    return out;
  }
}

/**
 * Cycles that the new texts (`after`: file -> text) close and `before` (every project file's
 * original source) did not have.
 */
export function newImportCycles(before: readonly ts.SourceFile[], after: ReadonlyMap<string, string>, elide = false,
  resolve?: ModuleResolver): NewCycle[] {
  return new ImportGraph(before, elide, resolve).newCycles(after);
}
