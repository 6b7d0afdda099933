/**
 * `memdesc separate`: plan one kind's move out of struct page, as text edits on a program.
 *
 *  - the descriptor class's field offsets become its own layout after the memdesc header (the
 *    back pointer); the overlay assertion (`*_MATCH`) goes;
 *  - the kind's page/descriptor converters move into a module of their own beside the class
 *    (`<kind>_memdesc.ts`): `page_X()` reads the memdesc word through the typed accessor and its
 *    debug check, `X_page()` follows the back pointer. A module of their own because the class's
 *    file is a leaf every module imports: importing the memdesc code there would close a cycle
 *    that runs that code before the class's file has loaded;
 *  - the kind's allocation and free sites: a page allocation whose page reaches the kind's
 *    constructor (a function that sets the kind's page type on its parameter, directly or through
 *    another constructor) in the same function, and the free of the page the kind's destructor
 *    was given, go through `alloc_pages_memdesc()` / `__free_pages_memdesc()` with the
 *    descriptor from its cache (created on first use).
 */
import { dirname, relative } from 'node:path';
import { ts } from '@ts-morph/common';
import { tsv } from '../analyzers/tsValues.ts';
import { CheckFailed, InputError } from '../errors.ts';
import type { KindSpec, Spec } from '../model/spec.ts';
import { reverseFieldMap } from '../model/spec.ts';
import type { Infra } from './separateInfra.ts';
import { Symbols } from './separateSymbols.ts';
import { headerBytes as descHeaderBytes, kindTags, TagDecider, providerAllocations, testGuards, tagWord, importInsertions } from './separateMultiTag.ts';
import { inFileStyle, projectQuote } from '../rewrite/splices.ts';

export interface KindPlan {
  kind: string;
  /** Absolute path -> new text (created files included). */
  texts: Map<string, string>;
  /** Already separated: nothing to do. */
  already: boolean;
  sites: { allocs: string[]; frees: string[] };
  layout: Array<{ field: string; offset: number; bytes: number; was: string }>;
  size: number;
}

interface Edit { start: number; end: number; text: string }

export class Edits {
  readonly byFile = new Map<string, Edit[]>();
  add(sf: ts.SourceFile, start: number, end: number, text: string): void {
    const list = this.byFile.get(sf.fileName) ?? [];
    list.push({ start, end, text });
    this.byFile.set(sf.fileName, list);
  }
  apply(program: ts.Program): Map<string, string> {
    const out = new Map<string, string>();
    let quote: '"' | "'" | undefined | null = null;
    const fallback = (): '"' | "'" | undefined => (quote === null ? (quote = projectQuote(program)) : quote);
    for (const [file, list] of this.byFile) {
      let text = program.getSourceFile(file)!.text;
      // New code written as the file writes its own (line ends, quotes).
      const own = inFileStyle(text, fallback);
      for (const e of [...list].sort((a, b) => b.start - a.start)) text = text.slice(0, e.start) + own(e.text) + text.slice(e.end);
      out.set(file, text);
    }
    return out;
  }
}

/** Per program: the folders that hold one of its files (a module a step created is on no disk). */
const programDirs = new WeakMap<ts.Program, Set<string>>();

/**
 * Where `specifier`, imported in `from`, resolves: the program's own files first (a module the
 * conversion or an earlier stage-2 step created may exist only in the program), then the disk.
 */
export function resolveImport(program: ts.Program, specifier: string, from: string): string | undefined {
  let dirs = programDirs.get(program);
  if (!dirs) {
    dirs = new Set();
    for (const sf of program.getSourceFiles()) for (let d = dirname(sf.fileName); !dirs.has(d) && d !== dirname(d); d = dirname(d)) dirs.add(d);
    programDirs.set(program, dirs);
  }
  const known = dirs;
  const host: ts.ModuleResolutionHost = {
    fileExists: (f) => !!program.getSourceFile(f) || tsv.sys.fileExists(f),
    readFile: (f) => program.getSourceFile(f)?.text ?? tsv.sys.readFile(f),
    directoryExists: (d) => known.has(d) || tsv.sys.directoryExists(d),
    realpath: (f) => (program.getSourceFile(f) ? f : tsv.sys.realpath ? tsv.sys.realpath(f) : f),
    getCurrentDirectory: () => tsv.sys.getCurrentDirectory(),
  };
  return tsv.resolveModuleName(specifier, from, program.getCompilerOptions(), host).resolvedModule?.resolvedFileName;
}

/**
 * The kernel's page allocator and free calls, by name: the names are the API the built-in spec
 * stands for (hints of last resort). A call is one of them when its callee resolves to the tree's
 * declaration of that name (Symbols.named()), never by how it is spelled at the call.
 */
export const PAGE_ALLOCS: Record<string, 'page' | 'address'> = {
  alloc_pages: 'page', alloc_page: 'page', __alloc_pages: 'page', __get_free_pages: 'address', __get_free_page: 'address',
};
/**
 * put_page() drops a reference like __free_page(): a destructed page released with it (zsmalloc's
 * migration hands the old page back so) goes through X_free_pages() too, which frees the
 * descriptor with the last reference, whoever drops it.
 */
export const PAGE_FREES: Record<string, 'page' | 'address'> = { __free_pages: 'page', __free_page: 'page', free_pages: 'address', free_page: 'address', put_page: 'page' };
/** The calls whose second argument is the order (the others are order 0). */
export const WITH_ORDER = new Set(['alloc_pages', '__alloc_pages', '__get_free_pages', '__free_pages', 'free_pages']);

/** The callee as written (`f` of `f()` and `x.f()`): for messages only, never to decide what a call is (Symbols.callee()). */
export function calleeName(call: ts.CallExpression): string | undefined {
  const e = call.expression;
  if (tsv.isIdentifier(e)) return e.text;
  if (tsv.isPropertyAccessExpression(e)) return e.name.text;
  return undefined;
}

/** Remove some elements of a list (import specifiers) with their commas, leaving the rest as written. */
export function removeElements<T extends ts.Node>(sf: ts.SourceFile, all: ts.NodeArray<T>, drop: Set<T>, edits: Edits): void {
  const lastKept = [...all].reverse().find((x) => !drop.has(x));
  if (!lastKept) return;
  const tail = all.indexOf(lastKept) + 1;
  // Before the last kept one: each dropped element up to the next element.
  all.forEach((e, i) => {
    if (i < tail && drop.has(e)) edits.add(sf, e.getStart(), all[i + 1]!.getStart(), '');
  });
  // After it: one cut from its end to the end of the last element.
  if (tail < all.length) edits.add(sf, lastKept.getEnd(), all[all.length - 1]!.getEnd(), '');
}

/**
 * Drop the imports only the rewritten calls used: `replaced` counts, per file, how many uses of
 * each imported binding (the import's own symbol, Symbols.local()) the rewrite took away; a
 * binding no other reference in the file resolves to goes.
 */
export function dropRewrittenImports(replaced: Map<ts.SourceFile, Map<ts.Symbol, number>>, edits: Edits, s: Symbols): void {
  for (const [sf, taken] of replaced) {
    // References per symbol in the file (declarations' own names aside).
    const refs = new Map<ts.Symbol, number>();
    const walk = (n: ts.Node): void => {
      if (tsv.isIdentifier(n) && !tsv.isImportSpecifier(n.parent) && !tsv.isImportClause(n.parent)) {
        const sym = s.checker.getSymbolAtLocation(n);
        if (sym && taken.has(sym)) refs.set(sym, (refs.get(sym) ?? 0) + 1);
      }
      tsv.forEachChild(n, walk);
    };
    walk(sf);
    for (const st of sf.statements) {
      const named = tsv.isImportDeclaration(st) ? st.importClause?.namedBindings : undefined;
      if (!named || !tsv.isNamedImports(named)) continue;
      const unused = new Set(named.elements.filter((e) => {
        const sym = s.checker.getSymbolAtLocation(e.name);
        return !!sym && taken.has(sym) && (refs.get(sym) ?? 0) === taken.get(sym);
      }));
      if (unused.size === 0) continue;
      if (unused.size === named.elements.length && !(st as ts.ImportDeclaration).importClause!.name) edits.add(sf, st.getFullStart(), st.getEnd(), '');
      else removeElements(sf, named.elements, unused, edits);
    }
  }
}

/** Import `names` from the kind's module (`modFile`) after each file's last import. */
export function addModuleImports(files: Map<ts.SourceFile, Set<string>>, modFile: string, edits: Edits): void {
  for (const [sf, names] of files) {
    const last = [...sf.statements].filter(tsv.isImportDeclaration).pop();
    const pos = last ? last.getEnd() : 0;
    edits.add(sf, pos, pos, `${last ? '\n' : ''}import { ${[...names].sort().join(', ')} } from '${importPath(sf.fileName, modFile)}';${last ? '' : '\n'}`);
  }
}

/**
 * Take the converters (`names`: their overload signatures and implementation) out of the class's
 * file. `render` gives each implementation its new doc comment and body; the signature is kept.
 * Returns the moved text, one entry per converter, in source order. The spec names the
 * converters: in the class's own file that name is what declares them.
 */
export function moveConverters(classSf: ts.SourceFile, names: Set<string>, edits: Edits,
  render: (name: string, param: string) => { doc: string; body: string }): string[] {
  const overloads = new Map<string, string[]>();
  for (const st of classSf.statements) {
    if (!tsv.isFunctionDeclaration(st) || !st.name || !names.has(st.name.text)) continue;
    edits.add(classSf, st.getFullStart(), st.getEnd(), '');
    const list = overloads.get(st.name.text) ?? [];
    overloads.set(st.name.text, list);
    if (!st.body) {
      list.push(st.getText());
      continue;
    }
    const { doc, body } = render(st.name.text, st.parameters[0]!.name.getText());
    list.unshift(doc);
    list.push(`${st.getText().slice(0, st.body.getStart() - st.getStart())}${body}`);
  }
  return [...overloads.values()].map((l) => l.join('\n'));
}

/**
 * Imports and re-exports of the converters (by symbol: under any alias, through a barrel that
 * re-exports them under another name) from the class's file take them from the kind's module.
 */
export function retargetConverterImports(program: ts.Program, root: string, classSf: ts.SourceFile, modFile: string, convs: Set<ts.Symbol>, s: Symbols, edits: Edits): void {
  for (const sf of program.getSourceFiles()) {
    if (!sf.fileName.startsWith(`${root}/`) || sf.isDeclarationFile || sf === classSf) continue;
    for (const st of sf.statements) {
      const isImport = tsv.isImportDeclaration(st);
      if (!(isImport || tsv.isExportDeclaration(st)) || !st.moduleSpecifier || !tsv.isStringLiteral(st.moduleSpecifier)) continue;
      const target = resolveImport(program, st.moduleSpecifier.text, sf.fileName);
      if (target !== classSf.fileName) continue;
      const named = isImport ? st.importClause?.namedBindings : st.exportClause;
      if (!named || !(tsv.isNamedImports(named) || tsv.isNamedExports(named))) continue;
      const elements = named.elements as ts.NodeArray<ts.ImportSpecifier | ts.ExportSpecifier>;
      const take = elements.filter((e) => {
        const sym = s.at(e.name);
        return !!sym && convs.has(sym);
      });
      if (take.length === 0) continue;
      const add = `${isImport ? 'import' : 'export'} { ${take.map((e) => e.getText()).join(', ')} } from '${importPath(sf.fileName, modFile)}';`;
      const alone = take.length === elements.length && !(isImport && st.importClause!.name);
      if (alone) edits.add(sf, st.getStart(), st.getEnd(), add);
      else {
        removeElements(sf, elements, new Set(take), edits);
        edits.add(sf, st.getEnd(), st.getEnd(), `\n${add}`);
      }
    }
  }
}

/** Does `n` hold an identifier that resolves to one of `syms`? */
export function refersTo(n: ts.Node, syms: Set<ts.Symbol>, s: Symbols): boolean {
  let hit = false;
  const walk = (x: ts.Node): void => {
    if (hit) return;
    if (tsv.isIdentifier(x)) {
      const sym = s.at(x);
      if (sym && syms.has(sym)) hit = true;
    }
    tsv.forEachChild(x, walk);
  };
  walk(n);
  return hit;
}

export function importPath(from: string, to: string): string {
  let rel = relative(dirname(from), to).split('\\').join('/');
  if (!rel.startsWith('.')) rel = `./${rel}`;
  return rel;
}

export function functionsOf(sf: ts.SourceFile): ts.FunctionLikeDeclaration[] {
  const out: ts.FunctionLikeDeclaration[] = [];
  const walk = (n: ts.Node): void => {
    if ((tsv.isFunctionDeclaration(n) || tsv.isMethodDeclaration(n) || tsv.isArrowFunction(n) || tsv.isFunctionExpression(n)) && n.body) out.push(n);
    tsv.forEachChild(n, walk);
  };
  walk(sf);
  return out;
}

/** A function's name, for messages. */
export function fnName(f: ts.FunctionLikeDeclaration): string | undefined {
  if (f.name && tsv.isIdentifier(f.name)) return f.name.text;
  if (tsv.isVariableDeclaration(f.parent) && tsv.isIdentifier(f.parent.name)) return f.parent.name.text;
  return undefined;
}

// A program's nodes never change (a changed file is a new SourceFile): what a walk of a function
// found is kept with the function, for the fixed-point passes that ask again every round and kind.
const callsMemo = new WeakMap<ts.FunctionLikeDeclaration, ts.CallExpression[]>();
const returnsMemo = new WeakMap<ts.FunctionLikeDeclaration, ts.ReturnStatement[]>();

/** Calls directly in `f` (not in nested functions). */
export function callsIn(f: ts.FunctionLikeDeclaration): readonly ts.CallExpression[] {
  const known = callsMemo.get(f);
  if (known) return known;
  const out: ts.CallExpression[] = [];
  const walk = (n: ts.Node): void => {
    if (n !== f && tsv.isFunctionLike(n)) return;
    if (tsv.isCallExpression(n)) out.push(n);
    tsv.forEachChild(n, walk);
  };
  if (f.body) walk(f.body);
  callsMemo.set(f, out);
  return out;
}

/**
 * The views of one allocation (address, page and descriptor converters) by symbol, and the
 * symbol table they were resolved with.
 */
export interface Views {
  s: Symbols;
  set: Set<ts.Symbol>;
}

/** A call to one of the views with one argument (`virt_to_page(pte)`, `page_ptdesc(page)`). */
function isView(e: ts.Expression, views: Views): e is ts.CallExpression {
  if (!tsv.isCallExpression(e) || e.arguments.length !== 1) return false;
  const sym = views.s.callee(e);
  return !!sym && views.set.has(sym);
}

function strip(e: ts.Expression): ts.Expression {
  while (tsv.isParenthesizedExpression(e) || tsv.isNonNullExpression(e) || tsv.isAsExpression(e)) e = e.expression;
  return e;
}

/**
 * What an expression names, across the address/page/descriptor views of one allocation:
 * `virt_to_page(pte)`, `page_ptdesc(page)` and a `const page = virt_to_page(pgd)` name what
 * their argument names. A variable is named by its symbol (a shadowing one in an inner scope is
 * another), anything else by its text.
 */
export function keyOf(e: ts.Expression, f: ts.FunctionLikeDeclaration, views: Views, depth = 0): string {
  e = strip(e);
  if (depth > 8) return e.getText();
  if (isView(e, views)) return keyOf(e.arguments[0]!, f, views, depth + 1);
  if (tsv.isIdentifier(e)) {
    const sym = views.s.checker.getSymbolAtLocation(e);
    const d = sym?.valueDeclaration;
    if (d && tsv.isVariableDeclaration(d) && d.initializer && tsv.getCombinedNodeFlags(d) & tsv.NodeFlags.Const
      && tsv.findAncestor(d, (a) => a === f) && isView(strip(d.initializer), views)) return keyOf(d.initializer, f, views, depth + 1);
    return sym ? views.s.keyOfSymbol(sym) : e.text;
  }
  return e.getText();
}

/** The keys of a function's parameters ('' for a destructured one). */
function paramKeys(f: ts.FunctionLikeDeclaration, s: Symbols): string[] {
  return f.parameters.map((p) => (tsv.isIdentifier(p.name) ? s.keyOfIdentifier(p.name) : ''));
}

/** Functions by their symbol, with the index of their page parameter. */
type FnMap = Map<ts.Symbol, number>;

/**
 * Functions that pass one of their parameters (through the views) to `seeds`, transitively: the
 * kind's constructors or destructors, each with the index of its page parameter.
 */
function closure(fns: ts.FunctionLikeDeclaration[], seeds: FnMap, views: Views): FnMap {
  const { s } = views;
  const found: FnMap = new Map(seeds);
  for (let changed = true; changed;) {
    changed = false;
    for (const f of fns) {
      const sym = s.of(f);
      if (!sym || found.has(sym)) continue;
      const params = paramKeys(f, s);
      for (const c of callsIn(f)) {
        const arg = pageArg(c, found, s);
        const i = arg ? params.indexOf(keyOf(arg, f, views)) : -1;
        if (i >= 0) {
          found.set(sym, i);
          changed = true;
          break;
        }
      }
    }
  }
  return found;
}

/** The variable a call's value is stored in, through the views: `const page = f()`, `page = f()`, `slab = page_slab(f())`. */
function storedIn(c: ts.CallExpression, views: Views): string | undefined {
  let n: ts.Node = c;
  for (;;) {
    const p = n.parent;
    if (p && (tsv.isParenthesizedExpression(p) || tsv.isNonNullExpression(p) || tsv.isAsExpression(p))) { n = p; continue; }
    if (p && tsv.isCallExpression(p) && p.arguments.length === 1 && p.arguments[0] === n && isView(p, views)) { n = p; continue; }
    break;
  }
  const p = n.parent;
  if (p && tsv.isVariableDeclaration(p) && p.initializer === n && tsv.isIdentifier(p.name)) return views.s.keyOfIdentifier(p.name);
  if (p && tsv.isBinaryExpression(p) && p.operatorToken.kind === tsv.SyntaxKind.EqualsToken && p.right === n && tsv.isIdentifier(p.left)) return views.s.keyOfIdentifier(p.left);
  return undefined;
}

/** An expression without parentheses, `!`, `as` and the views around it. */
function unview(e: ts.Expression, views: Views): ts.Expression {
  for (;;) {
    e = strip(e);
    if (isView(e, views)) e = e.arguments[0]!;
    else return e;
  }
}

function isNullish(e: ts.Expression): boolean {
  return e.kind === tsv.SyntaxKind.NullKeyword || (tsv.isIdentifier(e) && e.text === 'undefined');
}

/** Return statements directly in `f` (not in nested functions). */
function returnsIn(f: ts.FunctionLikeDeclaration): readonly ts.ReturnStatement[] {
  const known = returnsMemo.get(f);
  if (known) return known;
  const out: ts.ReturnStatement[] = [];
  const walk = (n: ts.Node): void => {
    if (n !== f && tsv.isFunctionLike(n)) return;
    if (tsv.isReturnStatement(n)) out.push(n);
    tsv.forEachChild(n, walk);
  };
  if (f.body) walk(f.body);
  returnsMemo.set(f, out);
  return out;
}

/** Every value `f` stores in the local `id` names (declaration initializers and assignments), by its symbol. */
function valuesOf(f: ts.FunctionLikeDeclaration, id: ts.Identifier, s: Symbols): ts.Expression[] {
  const target = s.checker.getSymbolAtLocation(id);
  if (!target) return [];
  const out: ts.Expression[] = [];
  const walk = (n: ts.Node): void => {
    if (n !== f && tsv.isFunctionLike(n)) return;
    if (tsv.isVariableDeclaration(n) && tsv.isIdentifier(n.name) && n.initializer && s.checker.getSymbolAtLocation(n.name) === target) out.push(n.initializer);
    if (tsv.isBinaryExpression(n) && n.operatorToken.kind === tsv.SyntaxKind.EqualsToken && tsv.isIdentifier(n.left) && s.checker.getSymbolAtLocation(n.left) === target) out.push(n.right);
    tsv.forEachChild(n, walk);
  };
  if (f.body) walk(f.body);
  return out;
}

/**
 * Functions that write the page's memdesc member (`memdesc`: the spec's page field, a member of
 * its class: `members`) of one of their parameters, directly (`page.memdesc = md`) or by passing
 * it on to one that does: code that gives a page its memdesc word by hand (set_page_memdesc()).
 * A page such code describes already has its word; the separation leaves its allocation alone.
 */
function memdescSetters(fns: ts.FunctionLikeDeclaration[], members: Set<ts.Node>, views: Views): FnMap {
  const { s } = views;
  const seeds: FnMap = new Map();
  if (members.size === 0) return seeds;
  for (const f of fns) {
    const sym = s.of(f);
    if (!sym) continue;
    const params = paramKeys(f, s);
    const walk = (n: ts.Node): void => {
      if (seeds.has(sym) || (n !== f && tsv.isFunctionLike(n))) return;
      if (tsv.isBinaryExpression(n) && n.operatorToken.kind === tsv.SyntaxKind.EqualsToken && tsv.isPropertyAccessExpression(n.left)) {
        const m = s.at(n.left.name);
        const i = m?.declarations?.some((d) => members.has(d)) ? params.indexOf(keyOf(n.left.expression, f, views)) : -1;
        if (i >= 0) seeds.set(sym, i);
      }
      tsv.forEachChild(n, walk);
    };
    if (f.body) walk(f.body);
  }
  return closure(fns, seeds, views);
}

/** A function that returns fresh pages (an allocator at its call sites), or frees a page parameter. */
interface PageHelper {
  fn: ts.FunctionLikeDeclaration;
  shape: 'page' | 'address';
  /** The page parameter (free helpers). */
  index: number;
  /** The allocator's or free's own calls in it, and the helpers it calls for them. */
  prims: ts.CallExpression[];
  inner: ts.CallExpression[];
}

/** The page allocator's and free's calls, by symbol (PAGE_ALLOCS, PAGE_FREES). */
interface Prims {
  /** The kernel name a call resolves to (its shape and order argument), or undefined. */
  alloc(c: ts.CallExpression): string | undefined;
  free(c: ts.CallExpression): string | undefined;
  /** The allocators' and frees' own symbols. */
  allocSyms: Set<ts.Symbol>;
  freeSyms: Set<ts.Symbol>;
}

function primsOf(s: Symbols): Prims {
  return {
    alloc: (c) => s.nameIn(c, Object.keys(PAGE_ALLOCS)),
    free: (c) => s.nameIn(c, Object.keys(PAGE_FREES)),
    allocSyms: s.namedAll(Object.keys(PAGE_ALLOCS)),
    freeSyms: s.namedAll(Object.keys(PAGE_FREES)),
  };
}

/**
 * Allocation helpers, from the data flow: a function whose every return is null or pages fresh
 * from an allocator (`alloc_pages()`, …) or from another such helper — `alloc_slab_page()`
 * returning what `alloc_pages()` gave it — is an allocator wherever it is called; the allocation
 * inside it is what the separation rewrites. Returns of pages the function gives a memdesc word
 * itself are allowed (they already have one) and stay as they are; `described` are the
 * functions all of whose fresh pages are such.
 */
function allocHelpers(fns: ts.FunctionLikeDeclaration[], views: Views, setters: FnMap, prims: Prims): { helpers: Map<ts.Symbol, PageHelper>; described: Set<ts.Symbol> } {
  const { s } = views;
  const helpers = new Map<ts.Symbol, PageHelper>();
  const described = new Set<ts.Symbol>();
  for (let changed = true; changed;) {
    changed = false;
    for (const f of fns) {
      const sym = s.of(f);
      if (!sym || prims.allocSyms.has(sym) || helpers.has(sym) || described.has(sym)) continue;
      const returns = returnsIn(f);
      if (returns.length === 0) continue;
      const own: ts.CallExpression[] = [];
      const inner: ts.CallExpression[] = [];
      let self = 0;
      let ok = true;
      const setterKeys = new Set(callsIn(f).flatMap((c) => {
        const arg = pageArg(c, setters, s);
        return arg ? [keyOf(arg, f, views)] : [];
      }));
      for (const r of returns) {
        if (!r.expression) continue;
        const e = unview(r.expression, views);
        if (isNullish(e)) continue;
        const values = tsv.isIdentifier(e) ? valuesOf(f, e, s) : [e];
        if (values.length === 0) { ok = false; break; }
        const mine = tsv.isIdentifier(e) && setterKeys.has(s.keyOfIdentifier(e));
        for (const v0 of values) {
          const v = unview(v0, views);
          if (isNullish(v)) continue;
          const callee = tsv.isCallExpression(v) ? s.callee(v) : undefined;
          const prim = tsv.isCallExpression(v) ? prims.alloc(v) : undefined;
          if (callee && described.has(callee)) self++;
          else if (prim && mine) self++;
          else if (prim) own.push(v as ts.CallExpression);
          else if (callee && helpers.has(callee) && !mine) inner.push(v as ts.CallExpression);
          else { ok = false; break; }
        }
        if (!ok) break;
      }
      if (!ok) continue;
      if (own.length + inner.length === 0) {
        if (self > 0) { described.add(sym); changed = true; }
        continue;
      }
      const shapes = new Set([...own.map((c) => PAGE_ALLOCS[prims.alloc(c)!]!), ...inner.map((c) => helpers.get(s.callee(c)!)!.shape)]);
      if (shapes.size !== 1) continue;
      helpers.set(sym, { fn: f, shape: [...shapes][0]!, index: -1, prims: own, inner });
      changed = true;
    }
  }
  return { helpers, described };
}

/**
 * Free helpers: a function that gives one of its page parameters back with a free
 * (`__free_pages()`, …) or through another free helper (`free_slab_page(page, order)`), and
 * does not clear its memdesc word by hand, is a free wherever it is called.
 */
function freeHelpers(fns: ts.FunctionLikeDeclaration[], views: Views, setters: FnMap, dtors: FnMap, prims: Prims): Map<ts.Symbol, PageHelper> {
  const { s } = views;
  const helpers = new Map<ts.Symbol, PageHelper>();
  for (let changed = true; changed;) {
    changed = false;
    for (const f of fns) {
      const sym = s.of(f);
      if (!sym || prims.freeSyms.has(sym) || dtors.has(sym) || helpers.has(sym)) continue;
      const params = paramKeys(f, s);
      const calls = callsIn(f);
      for (const [index, param] of params.entries()) {
        if (!param) continue;
        const own = calls.filter((c) => prims.free(c) && c.arguments[0] && keyOf(c.arguments[0], f, views) === param);
        const inner = calls.filter((c) => {
          const callee = s.callee(c);
          const h = callee && helpers.get(callee);
          const arg = h ? c.arguments[h.index] : undefined;
          return arg !== undefined && keyOf(arg, f, views) === param;
        });
        const byHand = calls.some((c) => {
          const arg = pageArg(c, setters, s);
          return arg !== undefined && keyOf(arg, f, views) === param;
        });
        if (own.length + inner.length === 0 || byHand) continue;
        const shapes = new Set([...own.map((c) => PAGE_FREES[prims.free(c)!]!), ...inner.map((c) => helpers.get(s.callee(c)!)!.shape)]);
        if (shapes.size !== 1) continue;
        helpers.set(sym, { fn: f, shape: [...shapes][0]!, index, prims: own, inner });
        changed = true;
        break;
      }
    }
  }
  return helpers;
}

/** The allocator or free calls a helper's use rewrites: its own, and those of the helpers it calls, with every helper involved. */
function helperPrims(sym: ts.Symbol, helpers: Map<ts.Symbol, PageHelper>, s: Symbols, seen = new Set<ts.Symbol>()): { prims: ts.CallExpression[]; used: ts.Symbol[]; inner: ts.CallExpression[] } {
  const h = helpers.get(sym)!;
  if (seen.has(sym)) return { prims: [], used: [], inner: [] };
  seen.add(sym);
  const out = { prims: [...h.prims], used: [sym], inner: [...h.inner] };
  for (const c of h.inner) {
    const sub = helperPrims(s.callee(c)!, helpers, s, seen);
    out.prims.push(...sub.prims);
    out.used.push(...sub.used);
    out.inner.push(...sub.inner);
  }
  return out;
}

/** The page argument of a call to a constructor or destructor in `map` (by the callee's symbol), if it is one. */
function pageArg(c: ts.CallExpression, map: FnMap, s: Symbols): ts.Expression | undefined {
  const callee = s.callee(c);
  const at = callee ? map.get(callee) : undefined;
  return at === undefined ? undefined : c.arguments[at];
}

export interface PlanInput {
  program: ts.Program;
  root: string;
  spec: Spec;
  kind: KindSpec;
  infra: Infra;
}

export function moduleFileOf(placement: string, kind: string): string {
  return `${dirname(placement)}/${kind}_memdesc.ts`;
}

/**
 * The descriptor class the spec names (its name is the spec's: a hint of last resort): the tree's
 * top-level class of that name, an exported one first — a same-named local class elsewhere is not it.
 */
export function descriptorClass(program: ts.Program, root: string, cls: string): ts.ClassDeclaration | undefined {
  const found: ts.ClassDeclaration[] = [];
  for (const sf of program.getSourceFiles()) {
    if (!sf.fileName.startsWith(`${root}/`) || sf.isDeclarationFile) continue;
    for (const st of sf.statements) if (tsv.isClassDeclaration(st) && st.name?.text === cls) found.push(st);
  }
  const exported = (c: ts.ClassDeclaration) => !!tsv.getModifiers(c)?.some((m) => m.kind === tsv.SyntaxKind.ExportKeyword);
  return found.find(exported) ?? found[0];
}

/**
 * The declarations of member `member` of the tree's classes named `cls` (the spec's page class
 * and field): a property access is that member when its symbol is declared there.
 */
export function memberDecls(program: ts.Program, root: string, cls: string, member: string): Set<ts.Node> {
  const out = new Set<ts.Node>();
  for (const sf of program.getSourceFiles()) {
    if (!sf.fileName.startsWith(`${root}/`) || sf.isDeclarationFile) continue;
    for (const st of sf.statements) {
      if (!tsv.isClassDeclaration(st) || st.name?.text !== cls) continue;
      for (const m of st.members) if (m.name && tsv.isIdentifier(m.name) && m.name.text === member) out.add(m);
    }
  }
  return out;
}

export function planKind({ program, root, spec, kind, infra }: PlanInput): KindPlan {
  const desc = kind.descriptor!;
  const cls = desc.class;
  const s = new Symbols(program, root);
  const classDecl = descriptorClass(program, root, cls);
  const classSf = classDecl?.getSourceFile();
  if (!classDecl || !classSf) throw new InputError(`${kind.name}: no class ${cls} in the tree (run \`memdesc convert ${kind.name} --write\` first)`);
  const modFile = moduleFileOf(classSf.fileName, kind.name);
  const fromPage = kind.converters.fromPage[0];
  const toPage = kind.converters.toPage[0];
  if (!fromPage || !toPage) throw new InputError(`${kind.name}: the spec names no page/descriptor converters`);
  const empty = { kind: kind.name, texts: new Map<string, string>(), sites: { allocs: [], frees: [] }, layout: [], size: 0 };
  const modSf = program.getSourceFile(modFile);
  if (modSf && modSf.statements.some((s) => tsv.isFunctionDeclaration(s) && s.name?.text === fromPage)) return { ...empty, already: true };
  if (modSf) throw new InputError(`${relative(root, modFile)} exists and is not ${kind.name}'s separated converters: refusing to overwrite it`);

  const edits = new Edits();
  const headerBytes = descHeaderBytes(program, root, infra.where, kind.name, infra.accessor, spec.page.wordSize ?? 8);
  const wordSize = spec.page.wordSize ?? 8;

  // ---- the layout: the class's offset constants, packed after the header in their old order ----
  const rev = reverseFieldMap(kind);
  const offsetConsts = new Map<string, ts.VariableDeclaration>();
  const fieldOfConst = new Map<string, string[]>();
  const walk = (n: ts.Node): void => {
    if (tsv.isBinaryExpression(n) && n.operatorToken.kind === tsv.SyntaxKind.PlusToken && tsv.isIdentifier(n.right)
      && tsv.isPropertyAccessExpression(n.left) && n.left.expression.kind === tsv.SyntaxKind.ThisKeyword && n.left.name.text === 'addr') {
      const member = tsv.findAncestor(n, (a) => tsv.isGetAccessor(a) || tsv.isSetAccessor(a) || tsv.isMethodDeclaration(a)) as ts.AccessorDeclaration | undefined;
      const field = member && tsv.isIdentifier(member.name) ? member.name.text : undefined;
      const decl = classSf.statements.flatMap((s) => (tsv.isVariableStatement(s) ? [...s.declarationList.declarations] : []))
        .find((d) => tsv.isIdentifier(d.name) && d.name.text === (n.right as ts.Identifier).text);
      if (decl && decl.initializer && tsv.isNumericLiteral(decl.initializer) && field) {
        offsetConsts.set((n.right as ts.Identifier).text, decl);
        const list = fieldOfConst.get((n.right as ts.Identifier).text) ?? [];
        if (!list.includes(field)) list.push(field);
        fieldOfConst.set((n.right as ts.Identifier).text, list);
      }
    }
    tsv.forEachChild(n, walk);
  };
  walk(classDecl);
  const pageFields = new Map(spec.page.fields.map((f) => [f.name, f] as const));
  const consts = [...offsetConsts.entries()].sort((a, b) => Number((a[1].initializer as ts.NumericLiteral).text) - Number((b[1].initializer as ts.NumericLiteral).text));
  let at = headerBytes;
  const layout: KindPlan['layout'] = [];
  const newOffset = new Map<number, number>();
  for (const [name, decl] of consts) {
    const old = Number((decl.initializer as ts.NumericLiteral).text);
    const fields = fieldOfConst.get(name)!;
    const words = Math.max(1, ...fields.map((f) => pageFields.get(rev.get(f) ?? '')?.words.length ?? 1));
    if (!newOffset.has(old)) {
      newOffset.set(old, at);
      at += words * wordSize;
    }
    const off = newOffset.get(old)!;
    for (const f of fields) layout.push({ field: f, offset: off, bytes: words * wordSize, was: rev.get(f) ?? '?' });
    edits.add(classSf, decl.initializer!.getStart(), decl.initializer!.getEnd(), String(off));
  }
  const size = at;
  // The comment over the constants said they were Page words.
  const firstConst = consts.map(([, d]) => d.parent.parent).sort((a, b) => a.pos - b.pos)[0];
  if (firstConst) {
    const full = firstConst.getFullText();
    const lead = full.slice(0, firstConst.getStart() - firstConst.getFullStart());
    const m = /\/\*[^]*?\*\//.exec(lead);
    if (m && /overlay|Page word/i.test(m[0])) {
      const s = firstConst.getFullStart() + m.index;
      edits.add(classSf, s, s + m[0].length, `/* Byte offsets of ${cls}'s fields in its own descriptor, after the memdesc header (the back pointer). */`);
    }
  }
  // The class's doc comment: its storage and layout now.
  const jsdoc = tsv.getJSDocCommentsAndTags(classDecl).find(tsv.isJSDoc);
  const layoutLines = layout.map((l) => ` *   ${String(l.offset).padEnd(4)} ${l.field.padEnd(18)} (was ${spec.page.class}.${l.was})`).join('\n');
  const docText = `/**\n * ${cls}: the memory descriptor of ${kind.description ?? kind.name}, allocated separately from its\n * descriptor cache (stage 2): the memdesc word of each of its pages points here, and the\n * header's back pointer names its first page. ${size} bytes:\n *   0    (back pointer)\n${headerBytes > 8 ? ` *   8    (the kind's header, ${headerBytes - 8} bytes: MEMDESC_${kind.name.toUpperCase()}_HEADER)\n` : ''}${layoutLines}\n */`;
  if (jsdoc) edits.add(classSf, jsdoc.getStart(), jsdoc.getEnd(), docText);
  else edits.add(classSf, classDecl.getStart(), classDecl.getStart(), `${docText}\n`);

  // ---- the overlay assertion goes ----
  // The spec names the assertion; its calls are the calls that resolve to it.
  const matchName = desc.match ?? `${cls.toUpperCase()}_MATCH`;
  const matchSyms = new Set(classSf.statements.flatMap((st) => (tsv.isFunctionDeclaration(st) && st.name?.text === matchName ? [s.of(st)!] : [])));
  for (const st of classSf.statements) {
    const isMatchFn = tsv.isFunctionDeclaration(st) && st.name?.text === matchName;
    const callee = tsv.isExpressionStatement(st) && tsv.isCallExpression(st.expression) ? s.callee(st.expression) : undefined;
    const isMatchCall = !!callee && matchSyms.has(callee);
    if (isMatchFn || isMatchCall) edits.add(classSf, st.getFullStart(), st.getEnd(), '');
  }

  // ---- converters move to their module, reading the memdesc word and the back pointer ----
  const convNames = new Set([fromPage, toPage]);
  const moved = moveConverters(classSf, convNames, edits, (name, p) => name === fromPage
    ? {
      doc: `/** ${fromPage}(): the ${cls} of \`${p}\`, from its memdesc word (checked: a page without a ${kind.name} word fires VM_BUG_ON_PAGE; null stays null). */`,
      body: `{\n  return ${p} && new ${cls}(${infra.accessor ? `${infra.accessor}(${p})` : `memdesc_desc(${p}, ${infra.typeTag})`});\n}`,
    }
    : {
      doc: `/** ${toPage}(): the first page of \`${p}\`, its descriptor's back pointer (null stays null). */`,
      body: `{\n  return ${p} && memdesc_desc_page(${p}.addr)!;\n}`,
    });
  if (!moved.some((m) => m.includes(`function ${fromPage}(`))) throw new InputError(`${kind.name}: ${fromPage}() is not declared beside ${cls} in ${relative(root, classSf.fileName)}`);

  // Importers of the converters (under any alias, or through a re-export) take them from the new module.
  const convDecls = classSf.statements.filter((st): st is ts.FunctionDeclaration => tsv.isFunctionDeclaration(st) && !!st.name && convNames.has(st.name.text));
  const convSyms = new Set(convDecls.map((d) => s.of(d)!));
  retargetConverterImports(program, root, classSf, modFile, convSyms, s, edits);
  // Users of the converters inside the class's file itself would need the import there: refuse
  // rather than close the cycle the module exists to avoid.
  const selfUse = classSf.statements.some((st) => !convDecls.includes(st as ts.FunctionDeclaration) && refersTo(st, convSyms, s));
  if (selfUse) throw new InputError(`${relative(root, classSf.fileName)} calls ${[...convNames].join('/')} itself: move that code first`);

  // ---- allocation and free sites ----
  const test = kind.pageTypeTests[0];
  const testName = typeof test === 'string' ? test : (test as { name?: string } | undefined)?.name;
  if (!testName || !testName.startsWith('Page')) throw new InputError(`${kind.name}: the spec names no page-type test (PageX) to find its constructor by`);
  const typeName = testName.slice('Page'.length);
  const toAddr = spec.page.addressHelpers?.toAddress ?? 'page_address';
  const fromAddr = spec.page.addressHelpers?.fromAddress ?? 'virt_to_page';
  // The views, setters and allocators are the spec's and the kernel's names; each stands for the
  // declaration it names (Symbols.named()), and calls count by the symbol they resolve to.
  const views: Views = { s, set: s.namedAll([fromAddr, toAddr, ...kind.converters.fromPage, ...kind.converters.toPage, ...kind.converters.fromAddress, ...(kind.converters.toAddress ?? [])]) };
  const prims = primsOf(s);
  const seedsOf = (names: string[]): FnMap => new Map([...s.namedAll(names)].map((x) => [x, 0] as const));
  const allFns = program.getSourceFiles().filter((x) => x.fileName.startsWith(`${root}/`) && !x.isDeclarationFile).flatMap(functionsOf);
  const ctors = closure(allFns, seedsOf([`__SetPage${typeName}`, `SetPage${typeName}`]), views);
  const dtorSeeds = seedsOf([`__ClearPage${typeName}`, `ClearPage${typeName}`]);
  const dtors = closure(allFns, dtorSeeds, views);
  // Allocations and frees through helpers, and pages given their memdesc word by hand.
  const memdescMembers = spec.page.fields.some((f) => f.name === 'memdesc') ? memberDecls(program, root, spec.page.class, 'memdesc') : new Set<ts.Node>();
  const setters = memdescSetters(allFns, memdescMembers, views);
  const { helpers: allocVia } = allocHelpers(allFns, views, setters, prims);
  const freeVia = freeHelpers(allFns, views, setters, dtors, prims);
  // Destructors that free the page themselves (pte_free()): a call to one is the free.
  const freeing = new Set<ts.Symbol>();
  for (let changed = true; changed;) {
    changed = false;
    for (const f of allFns) {
      const sym = s.of(f);
      const at = sym === undefined ? undefined : dtors.get(sym);
      if (!sym || at === undefined || freeing.has(sym)) continue;
      const p = f.parameters[at];
      if (!p || !tsv.isIdentifier(p.name)) continue;
      const mine = s.keyOfIdentifier(p.name);
      if (callsIn(f).some((c) => {
        const callee = s.callee(c);
        const via = callee && freeVia.get(callee);
        const arg = prims.free(c) ? c.arguments[0] : via ? c.arguments[via.index] : callee && freeing.has(callee) ? pageArg(c, dtors, s) : undefined;
        return arg !== undefined && keyOf(arg, f, views) === mine;
      })) {
        freeing.add(sym);
        changed = true;
      }
    }
  }
  const need = new Set<string>();
  const allocs: string[] = [];
  const frees: string[] = [];
  const unfollowed: string[] = [];
  const sitesFiles = new Map<ts.SourceFile, Set<string>>();
  const replaced = new Map<ts.SourceFile, Map<ts.Symbol, number>>();
  const count = (sf: ts.SourceFile, c: ts.CallExpression) => {
    const local = s.local(c);
    if (!local) return;
    const m = replaced.get(sf) ?? new Map<ts.Symbol, number>();
    replaced.set(sf, m);
    m.set(local, (m.get(local) ?? 0) + 1);
  };
  const where = (sf: ts.SourceFile, n: ts.Node) => `${relative(root, sf.fileName)}:${sf.getLineAndCharacterOfPosition(n.getStart()).line + 1}`;
  const fn = (k: string) => `${kind.name}_${k}`;
  // A kind with several tags (a folio: file or anon) gets its tag per allocation site from the
  // code, or the site is unknown and the plan refuses (separateMultiTag.ts).
  const tags = kindTags(program, root, infra.where, kind.name, infra.accessor);
  // No accessor naming one: the tag the code ties to the kind (separateInfra.ts codeTag()).
  if (tags.length === 0 && infra.where.has(infra.typeTag)) tags.push(infra.typeTag);
  if (tags.length === 0) throw new InputError(`${kind.name} has no memdesc type tag (${infra.typeTag} not found, and ${infra.accessor ?? 'no typed accessor'}() names none)`);
  const multi = tags.length > 1;
  const decider = multi ? new TagDecider(program, root, tags) : undefined;
  const siteTag = new Map<ts.CallExpression, string>();
  const unknownTags: string[] = [];
  const tagOf = (c: ts.CallExpression): string => {
    const d = decider!.decide(c);
    if (d.tag === null) unknownTags.push(`${where(c.getSourceFile(), c)} ${d.why}`);
    siteTag.set(c, d.tag ?? tags[0]!);
    return d.tag ?? tags[0]!;
  };
  // Rewrite one allocator or free call (at the site, or inside a helper the site calls), once.
  const rewritten = new Set<ts.CallExpression>();
  const rewrite = (c: ts.CallExpression, alloc: boolean): void => {
    if (rewritten.has(c)) return;
    rewritten.add(c);
    const sf = c.getSourceFile();
    // The kernel name the call resolves to (its shape and whether it takes an order).
    const callee = (alloc ? prims.alloc(c) : prims.free(c))!;
    const shape = alloc ? PAGE_ALLOCS[callee]! : PAGE_FREES[callee]!;
    const order = WITH_ORDER.has(callee) ? c.arguments[1]!.getText() : '0';
    const helper = alloc ? (shape === 'page' ? fn('alloc_pages') : fn('get_free_pages')) : (shape === 'page' ? fn('free_pages') : fn('free_pages_addr'));
    need.add(helper);
    if (shape === 'address') need.add(alloc ? fn('alloc_pages') : fn('free_pages'));
    edits.add(sf, c.getStart(), c.getEnd(), `${helper}(${c.arguments[0]!.getText()}, ${order}${alloc && multi ? `, ${tagOf(c)}` : ''})`);
    count(sf, c);
    if (!sitesFiles.has(sf)) sitesFiles.set(sf, new Set());
    sitesFiles.get(sf)!.add(helper);
  };
  // Helper calls the sites account for, and the helpers whose insides were rewritten for them.
  const siteCalls = new Set<ts.CallExpression>();
  const innerCalls = new Set<ts.CallExpression>();
  const usedHelpers = new Map<ts.Symbol, { verb: 'allocates' | 'frees'; name: string }>();
  const useHelper = (c: ts.CallExpression, helpers: Map<ts.Symbol, PageHelper>, verb: 'allocates' | 'frees'): void => {
    siteCalls.add(c);
    const { prims: calls, used, inner } = helperPrims(s.callee(c)!, helpers, s);
    for (const p of calls) rewrite(p, verb === 'allocates');
    for (const u of used) usedHelpers.set(u, { verb, name: fnName(helpers.get(u)!.fn) ?? u.name });
    for (const i of inner) innerCalls.add(i);
  };
  for (const sf of program.getSourceFiles()) {
    if (!sf.fileName.startsWith(`${root}/`) || sf.isDeclarationFile || sf.fileName === modFile) continue;
    for (const f of functionsOf(sf)) {
      const name = fnName(f);
      const self = s.of(f);
      const calls = callsIn(f);
      const keysOf = (map: FnMap) => new Set(calls.flatMap((c) => {
        const arg = pageArg(c, map, s);
        return arg ? [keyOf(arg, f, views)] : [];
      }));
      const ctorKeys = keysOf(ctors);
      const dtorKeys = keysOf(dtors);
      if (ctorKeys.size === 0 && dtorKeys.size === 0) continue;
      // A page this function allocates itself and gives its memdesc word by hand already has one
      // (a helper doing so is not an allocator, allocHelpers()).
      const byHand = keysOf(setters);
      const ownDtorKeys = keysOf(dtorSeeds);
      const allocKeys = new Set<string>();
      for (const c of calls) {
        const callee = s.callee(c);
        const via = callee && allocVia.get(callee);
        if (!prims.alloc(c) && !via) continue;
        const k = storedIn(c, views);
        if (k === undefined || !ctorKeys.has(k) || (!via && byHand.has(k))) continue;
        allocKeys.add(k);
        if (via) useHelper(c, allocVia, 'allocates');
        else rewrite(c, true);
        allocs.push(`${where(sf, c)} ${name ?? '(anonymous)'}()${via ? ` via ${fnName(via.fn)}()` : ''}`);
      }
      const freedKeys = new Set<string>();
      for (const c of calls) {
        const callee = s.callee(c);
        const via = callee && freeVia.get(callee);
        const arg = prims.free(c) ? c.arguments[0] : via ? c.arguments[via.index] : undefined;
        if (!arg) continue;
        const k = keyOf(arg, f, views);
        if (!dtorKeys.has(k) && !allocKeys.has(k)) continue;
        // Through a helper only a page this function destructs itself (`__ClearPageSlab(page)`):
        // a page it merely hands to a destructor on some path (kfree()'s to slab_free()) may be
        // another kind's where the helper frees it.
        if (via && !allocKeys.has(k) && !ownDtorKeys.has(k)) continue;
        freedKeys.add(k);
        if (via) useHelper(c, freeVia, 'frees');
        else rewrite(c, false);
        frees.push(`${where(sf, c)} ${name ?? '(anonymous)'}()${via ? ` via ${fnName(via.fn)}()` : ''}`);
      }
      // A page constructed here that was not allocated here, or destructed here and not freed
      // here (outside the constructors and destructors themselves, which pass their parameter
      // on): its allocation or free is somewhere this plan cannot follow. Refuse rather than
      // leave a page of the kind without its memdesc word.
      const own = (k: string) => paramKeys(f, s).includes(k);
      for (const c of calls) {
        const callee = s.callee(c);
        for (const [map, done, verb, how] of [[ctors, allocKeys, 'constructs', PAGE_ALLOCS], [dtors, freedKeys, 'destructs', PAGE_FREES]] as const) {
          const arg = pageArg(c, map, s);
          if (!arg) continue;
          const k = keyOf(arg, f, views);
          if ((self && map.has(self) && own(k)) || done.has(k) || byHand.has(k) || (map === dtors && callee && freeing.has(callee))) continue;
          unfollowed.push(`${where(sf, c)}: ${name ?? '(anonymous)'}() ${verb} \`${arg.getText()}\` with ${calleeName(c)}() but does not ${verb === 'constructs' ? 'allocate' : 'free'} it with one of ${Object.keys(how).join(', ')} (or a helper returning, or freeing, what one of them gives)`);
        }
      }
    }
  }
  // A helper whose inside was rewritten serves every caller it has: each must be a site of the
  // kind (or another such helper), else pages of other kinds would get this kind's descriptor.
  // A reference is an identifier that resolves to the helper (under any alias); a parameter or a
  // local of the same name is something else.
  for (const [helperSym, { verb, name: helper }] of usedHelpers) {
    for (const sf of program.getSourceFiles()) {
      if (!sf.fileName.startsWith(`${root}/`) || sf.isDeclarationFile) continue;
      const walk = (n: ts.Node): void => {
        if (tsv.isIdentifier(n) && !tsv.isImportSpecifier(n.parent) && !tsv.isExportSpecifier(n.parent) && s.at(n) === helperSym
          && !((tsv.isFunctionDeclaration(n.parent) || tsv.isVariableDeclaration(n.parent)) && n.parent.name === n)) {
          const call = tsv.isCallExpression(n.parent) && n.parent.expression === n ? n.parent : undefined;
          if (!call || (!siteCalls.has(call) && !innerCalls.has(call))) {
            const at = tsv.findAncestor(n, (a) => tsv.isFunctionLike(a) && !!(a as ts.FunctionLikeDeclaration).body) as ts.FunctionLikeDeclaration | undefined;
            unfollowed.push(`${where(sf, n)}: ${at ? `${fnName(at) ?? '(anonymous)'}()` : 'top level'} ${call ? 'calls' : 'uses'} ${helper}(), which ${verb} ${kind.name}'s pages, ${call ? `for pages that are not ${kind.name}'s` : 'as a value'}`);
          }
        }
        tsv.forEachChild(n, walk);
      };
      walk(sf);
    }
  }
  if (unfollowed.length > 0) {
    throw new CheckFailed(`${kind.name}: ${unfollowed.length} site${unfollowed.length === 1 ? '' : 's'} the separation cannot follow (first: ${unfollowed[0]}); nothing was written`);
  }
  // A kind no page-type setter constructs (a folio) has allocators of its own: page allocations
  // the code shows to become its pages (its tags' stores), the spec's provenance calls as hints.
  for (const { provider, call } of providerAllocations(program, root, kind, new Set(Object.keys(PAGE_ALLOCS)), decider)) {
    // The provider's call counts only when it resolves to the page allocator itself.
    if (rewritten.has(call) || !prims.alloc(call)) continue;
    rewrite(call, true);
    const tag = siteTag.get(call);
    allocs.push(`${where(call.getSourceFile(), call)} ${provider}()${tag && multi ? ` (${tagWord(tag)})` : ''}`);
  }
  if (unknownTags.length > 0) {
    throw new CheckFailed(`${kind.name}: ${unknownTags.length} allocation site${unknownTags.length === 1 ? '' : 's'} of unknown tag (first: ${unknownTags[0]}); nothing was written`);
  }
  if (allocs.length === 0) throw new InputError(`${kind.name}: no allocation site found (a page allocation, directly or through a helper returning it, whose page reaches __SetPage${typeName}() in the same function)`);
  // Allocator imports that only the rewritten calls used go.
  dropRewrittenImports(replaced, edits, s);
  addModuleImports(sitesFiles, modFile, edits);
  // The tags the rewritten allocations name.
  const tagFiles = new Map<ts.SourceFile, string[]>();
  for (const [c, tag] of siteTag) tagFiles.set(c.getSourceFile(), [...(tagFiles.get(c.getSourceFile()) ?? []), tag]);
  for (const [sf, list] of tagFiles) for (const i of importInsertions(sf, list, infra.where)) edits.add(sf, i.pos, i.pos, i.text);

  // ---- the new module ----
  const w = infra.where;
  const imports = new Map<string, Set<string>>();
  const use = (name: string) => {
    const file = name === cls ? classSf.fileName : name === spec.page.class ? (w.get(name) ?? classSf.fileName) : w.get(name);
    if (!file) throw new InputError(`${kind.name}: ${name} not found in the tree`);
    if (!imports.has(file)) imports.set(file, new Set());
    imports.get(file)!.add(name);
  };
  // Several tags: the allocation takes the site's tag; one: the tag is the kind's.
  const T = multi ? 'type' : tags[0]!;
  const tagUse = multi ? [] : [T];
  const sizeName = `${cls.toUpperCase()}_DESC_SIZE`;
  const parts: string[] = [];
  use(cls); use(spec.page.class);
  if (infra.accessor) use(infra.accessor); else { use('memdesc_desc'); use(T); }
  use('memdesc_desc_page');
  parts.push(`/** ${cls}'s descriptor: the memdesc header (back pointer) and its fields. */\nexport const ${sizeName} = ${size};`);
  parts.push(...moved);
  const P = spec.page.class;
  if (need.has(fn('alloc_pages'))) {
    for (const n of ['memdesc_cache', 'memdesc_cache_create', 'memdesc_alloc', 'memdesc_free', 'memdesc_create', 'memdesc_set_desc_page', 'alloc_pages_memdesc', ...tagUse]) use(n);
    parts.push(`/**
 * ${fn('alloc_pages')}(): 2^order pages for a ${cls}, with their descriptor: the descriptor comes from
 * the ${kind.name} cache (created on first use), every page gets the memdesc word naming it, and
 * the descriptor's back pointer names the first page. null when either allocation fails.
 */
export function ${fn('alloc_pages')}(gfp: number, order: number${multi ? ', type: number' : ''}): ${P} | null {
  if (memdesc_cache(${T}) === null) memdesc_cache_create('${kind.name}', ${sizeName}, ${T});
  const desc = memdesc_alloc(${T}, gfp);
  if (!desc) return null;
  const page = alloc_pages_memdesc(gfp, order, memdesc_create(desc, ${T}));
  if (!page) {
    memdesc_free(${T}, desc);
    return null;
  }
  memdesc_set_desc_page(desc, page);
  return page;
}`);
  }
  if (need.has(fn('get_free_pages'))) {
    use(toAddr);
    parts.push(`/** ${fn('get_free_pages')}(): ${fn('alloc_pages')}() as a direct-map address, or 0. */
export function ${fn('get_free_pages')}(gfp: number, order: number${multi ? ', type: number' : ''}): number {
  const page = ${fn('alloc_pages')}(gfp, order${multi ? ', type' : ''});
  return page ? ${toAddr}(page) : 0;
}`);
  }
  if (need.has(fn('free_pages'))) {
    for (const n of ['memdesc_free', '__free_pages_memdesc', 'page_count', ...tagUse, ...(multi ? ['memdesc_type'] : [])]) use(n);
    if (infra.accessor) use(infra.accessor); else use('memdesc_desc');
    const acc = infra.accessor ? `${infra.accessor}(page)` : `memdesc_desc(page, ${T})`;
    parts.push(`/**
 * ${fn('free_pages')}(): drop a reference to pages from ${fn('alloc_pages')}(); with the last one the
 * pages go back (their memdesc words checked and cleared) and so does the descriptor.
 */
export function ${fn('free_pages')}(page: ${P}, order: number): void {
  const desc = ${acc};${multi ? '\n  const type = memdesc_type(page.memdesc);' : ''}
  const last = page_count(page) === 1;
  __free_pages_memdesc(page, order);
  if (last) memdesc_free(${T}, desc);
}`);
  }
  if (need.has(fn('free_pages_addr'))) {
    use(fromAddr);
    parts.push(`/** ${fn('free_pages_addr')}(): ${fn('free_pages')}() by direct-map address. */
export function ${fn('free_pages_addr')}(addr: number, order: number): void {
  ${fn('free_pages')}(${fromAddr}(addr), order);
}`);
  }
  const importLines = [...imports.entries()].map(([file, names]) => {
    const typeOnly = file === classSf.fileName && [...names].every((n) => n === cls || n === P) ? '' : '';
    return `import ${typeOnly}{ ${[...names].sort().join(', ')} } from '${importPath(modFile, file)}';`;
  });
  const header = `/**
 * ${cls}'s own storage (stage 2, written by \`memdesc separate ${kind.name}\`): ${fromPage}() reads the
 * memdesc word of a page through its checked accessor, ${toPage}() follows the descriptor's back
 * pointer, and the pages of a ${cls} are allocated and freed together with their descriptor
 * (alloc_pages_memdesc() and __free_pages_memdesc()).
 */`;
  const moduleText = `${header}\n${importLines.join('\n')}\n\n${parts.join('\n\n')}\n`;
  // The kind's type tests that read its descriptor ask first whether the page carries one of its
  // words (PageAnon() on a slab page must not read a folio that is not there).
  const has = 'page_has_desc_type';
  for (const g of testGuards(program, root, kind, fromPage, has, tags)) {
    const hasFile = w.get(has);
    if (!hasFile) throw new InputError(`${kind.name}: ${g.test}() reads ${cls} and needs ${has}() to ask a page for its word first: not found in the tree`);
    edits.add(g.sf, g.pos, g.pos, g.text);
    for (const i of importInsertions(g.sf, [has, ...tags], w)) edits.add(g.sf, i.pos, i.pos, i.text);
  }
  const texts = edits.apply(program);
  texts.set(modFile, moduleText);
  return { kind: kind.name, texts, already: false, sites: { allocs, frees }, layout, size };
}
