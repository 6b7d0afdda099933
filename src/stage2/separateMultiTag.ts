/**
 * `memdesc separate` for kinds with more than one memdesc type tag (a folio is file or anon), and
 * for kinds whose pages are handed out by an allocator of their own rather than marked by a
 * page-type setter (the spec's provenance calls: `alloc_page_vma()` hands out folio pages).
 *
 *  - the kind's tags are the tag constants its typed accessor accepts (`memdesc_folio()` reads
 *    `MEMDESC_TYPE_FILE` and `MEMDESC_TYPE_ANON`), else the one named after the kind;
 *  - an allocation site gets its tag from the code: the functions its page reaches (in the
 *    allocating function, inside the functions it is handed to — two calls deep, following the
 *    parameter — and, when the function returns the page, in its callers, through functions that
 *    return it on) whose names carry one tag's name as a word (`page_add_new_anon_rmap()` is
 *    anon). One tag named: that tag; none, or several: the site is `unknown`, with why;
 *  - the kind's page-type tests that read its descriptor (`PageAnon()` reads the folio's mapping)
 *    ask first whether the page carries one of the kind's words: a page of another kind, or of
 *    none, then answers false instead of reading a descriptor it does not have.
 *
 * Names here are the tree's own (tags, functions); nothing names a kind.
 */
import { dirname, relative } from 'node:path';
import { ts } from '@ts-morph/common';
import { InputError } from '../errors.ts';
import type { KindSpec } from '../model/spec.ts';
import type { ExportIndex } from './separateInfra.ts';

/** The common prefix of the tree's memdesc type tags (`MEMDESC_TYPE_PTDESC`). */
export const TAG_PREFIX = 'MEMDESC_TYPE_';

/** Parent pointers (getText(), getSourceFile()) come with binding: the checker binds every file once. */
function bound(program: ts.Program): void {
  program.getTypeChecker();
}

function inTree(sf: ts.SourceFile, root: string): boolean {
  return sf.fileName.startsWith(`${root}/`) && !sf.isDeclarationFile && !sf.fileName.includes('/node_modules/');
}

function declaredFunction(program: ts.Program, root: string, name: string): ts.FunctionDeclaration | undefined {
  for (const sf of program.getSourceFiles()) {
    if (!inTree(sf, root)) continue;
    for (const st of sf.statements) if (ts.isFunctionDeclaration(st) && st.name?.text === name && st.body) return st;
  }
  return undefined;
}

/**
 * The tags of a kind: the tag constants its typed accessor's body names (in source order),
 * else `MEMDESC_TYPE_<KIND>` when the tree exports it; [] when neither.
 */
export function kindTags(program: ts.Program, root: string, index: ExportIndex, kind: string, accessor: string | null): string[] {
  bound(program);
  const tags: string[] = [];
  const fn = accessor ? declaredFunction(program, root, accessor) : undefined;
  const walk = (n: ts.Node): void => {
    if (ts.isIdentifier(n) && n.text.startsWith(TAG_PREFIX) && index.has(n.text) && !tags.includes(n.text)) tags.push(n.text);
    ts.forEachChild(n, walk);
  };
  if (fn?.body) walk(fn.body);
  if (tags.length > 0) return tags;
  const own = `${TAG_PREFIX}${kind.toUpperCase()}`;
  return index.has(own) ? [own] : [];
}

/** A numeric exported constant of the tree, or undefined. */
export function numericConst(program: ts.Program, root: string, index: ExportIndex, name: string): number | undefined {
  const file = index.get(name);
  const sf = file ? program.getSourceFile(file) : undefined;
  if (!sf || !inTree(sf, root)) return undefined;
  for (const st of sf.statements) {
    if (!ts.isVariableStatement(st)) continue;
    for (const d of st.declarationList.declarations) {
      if (ts.isIdentifier(d.name) && d.name.text === name && d.initializer && ts.isNumericLiteral(d.initializer)) return Number(d.initializer.text);
    }
  }
  return undefined;
}

/**
 * Bytes before a kind's own fields in its descriptor: `MEMDESC_<KIND>_HEADER` when the tree
 * declares one (a folio's descriptor keeps its counts after the back pointer), else the common
 * header `MEMDESC_DESC_HEADER` (the back pointer), else 8.
 */
export function headerBytes(program: ts.Program, root: string, index: ExportIndex, kind: string): number {
  return numericConst(program, root, index, `MEMDESC_${kind.toUpperCase()}_HEADER`)
    ?? numericConst(program, root, index, 'MEMDESC_DESC_HEADER') ?? 8;
}

/* ---------------------------------------------------------------------------------------- */
/* Tags per allocation site                                                                   */
/* ---------------------------------------------------------------------------------------- */

/** The words of an identifier: snake_case and camelCase split, lower case. */
export function nameWords(name: string): string[] {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase().split(/[_$]+/).filter(Boolean);
}

/** The tag's own word: `MEMDESC_TYPE_ANON` -> `anon`. */
export function tagWord(tag: string): string {
  return tag.slice(TAG_PREFIX.length).toLowerCase();
}

function calleeName(call: ts.CallExpression): string | undefined {
  const e = call.expression;
  if (ts.isIdentifier(e)) return e.text;
  if (ts.isPropertyAccessExpression(e)) return e.name.text;
  return undefined;
}

function enclosingFunction(n: ts.Node): ts.FunctionLikeDeclaration | undefined {
  return ts.findAncestor(n.parent, (a) => ts.isFunctionDeclaration(a) || ts.isMethodDeclaration(a) || ts.isArrowFunction(a) || ts.isFunctionExpression(a)) as ts.FunctionLikeDeclaration | undefined;
}

function functionName(f: ts.FunctionLikeDeclaration): string | undefined {
  if (f.name && ts.isIdentifier(f.name)) return f.name.text;
  if (ts.isVariableDeclaration(f.parent) && ts.isIdentifier(f.parent.name)) return f.parent.name.text;
  return undefined;
}

function strip(e: ts.Expression): ts.Expression {
  while (ts.isParenthesizedExpression(e) || ts.isNonNullExpression(e) || ts.isAsExpression(e)) e = e.expression;
  return e;
}

/** One piece of evidence: a call the page reaches, whose name carries a tag's word. */
export interface TagEvidence { tag: string; callee: string; at: string }

export interface TagDecision {
  /** The tag constant, or null: unknown. */
  tag: string | null;
  /** Why, as a reviewer checks it. */
  why: string;
  evidence: TagEvidence[];
}

interface Ctx {
  program: ts.Program;
  root: string;
  tags: string[];
  /** Every call in the tree by callee name (built once). */
  callsByName: Map<string, ts.CallExpression[]>;
}

function indexCalls(program: ts.Program, root: string): Map<string, ts.CallExpression[]> {
  const out = new Map<string, ts.CallExpression[]>();
  for (const sf of program.getSourceFiles()) {
    if (!inTree(sf, root)) continue;
    const walk = (n: ts.Node): void => {
      if (ts.isCallExpression(n)) {
        const name = calleeName(n);
        if (name) {
          const list = out.get(name) ?? [];
          list.push(n);
          out.set(name, list);
        }
      }
      ts.forEachChild(n, walk);
    };
    walk(sf);
  }
  return out;
}

function where(root: string, n: ts.Node): string {
  const sf = n.getSourceFile();
  return `${relative(root, sf.fileName).split('\\').join('/')}:${sf.getLineAndCharacterOfPosition(n.getStart()).line + 1}`;
}

/**
 * The page an allocation call yields, followed in its function: the names it is bound to
 * (`const page = alloc(…)`, `page = alloc(…)`), the calls it is passed to, and whether the
 * function returns it.
 */
function follow(call: ts.CallExpression): { names: Set<string>; passedTo: ts.CallExpression[]; returned: boolean } {
  const f = enclosingFunction(call);
  const names = new Set<string>();
  let returned = false;
  let e: ts.Node = call;
  while (e.parent && (ts.isParenthesizedExpression(e.parent) || ts.isNonNullExpression(e.parent) || ts.isAsExpression(e.parent))) e = e.parent;
  const p = e.parent;
  if (p && ts.isVariableDeclaration(p) && ts.isIdentifier(p.name)) names.add(p.name.text);
  else if (p && ts.isBinaryExpression(p) && p.operatorToken.kind === ts.SyntaxKind.EqualsToken && ts.isIdentifier(p.left)) names.add(p.left.text);
  else if (p && ts.isReturnStatement(p)) returned = true;
  else if (p && ts.isArrowFunction(p) && p.body === e) returned = true;
  const passedTo: ts.CallExpression[] = [];
  if (p && ts.isCallExpression(p) && p.arguments.includes(e as ts.Expression)) passedTo.push(p);
  if (f?.body && names.size > 0) {
    const walk = (n: ts.Node): void => {
      if (n !== f && ts.isFunctionLike(n)) return;
      if (ts.isCallExpression(n) && n.arguments.some((a) => { const s = strip(a); return ts.isIdentifier(s) && names.has(s.text); })) passedTo.push(n);
      if (ts.isReturnStatement(n) && n.expression) {
        const s = strip(n.expression);
        if (ts.isIdentifier(s) && names.has(s.text)) returned = true;
      }
      ts.forEachChild(n, walk);
    };
    walk(f.body);
  }
  return { names, passedTo, returned };
}

/** Does `call` call `f` (by the checker, through imports), not a namesake in another file? */
function calls(ctx: Ctx, call: ts.CallExpression, f: ts.FunctionLikeDeclaration): boolean {
  const checker = ctx.program.getTypeChecker();
  const e = ts.isPropertyAccessExpression(call.expression) ? call.expression.name : call.expression;
  let sym = checker.getSymbolAtLocation(e);
  if (sym && sym.flags & ts.SymbolFlags.Alias) sym = checker.getAliasedSymbol(sym);
  return !!sym?.declarations?.some((d) => d === f || d === f.parent);
}

/**
 * Evidence for the tag of the page `call` yields: calls it reaches whose names carry a tag's
 * word, in its function and, while a function returns it, at that function's callers.
 */
function gather(ctx: Ctx, call: ts.CallExpression, seen: Set<ts.Node>, out: TagEvidence[], silent: string[], depth = 0): void {
  if (seen.has(call) || depth > 6) return;
  seen.add(call);
  const { names, passedTo, returned } = follow(call);
  let found = false;
  for (const c of passedTo) {
    const at = c.arguments.flatMap((a, i) => {
      const s = strip(a);
      return s === call || (ts.isIdentifier(s) && names.has(s.text)) ? [i] : [];
    });
    if (named(ctx, c, at, out, [], 0)) found = true;
  }
  const f = enclosingFunction(call);
  const name = f ? functionName(f) : undefined;
  if (returned && name && f) {
    for (const up of ctx.callsByName.get(name) ?? []) if (calls(ctx, up, f)) gather(ctx, up, seen, out, silent, depth + 1);
  } else if (!found) {
    silent.push(`${name ?? '(anonymous)'}() at ${where(ctx.root, call)}`);
  }
}

/**
 * Does call `c`, handed the page at arguments `at`, name a tag — itself, or inside the function
 * it calls, where that parameter is handed on (two calls deep)? Evidence goes to `out`.
 */
function named(ctx: Ctx, c: ts.CallExpression, at: number[], out: TagEvidence[], via: string[], depth: number): boolean {
  const callee = calleeName(c);
  if (!callee) return false;
  let found = false;
  const words = nameWords(callee);
  for (const tag of ctx.tags) {
    if (words.includes(tagWord(tag))) {
      out.push({ tag, callee: [...via, callee].join('() -> '), at: where(ctx.root, c) });
      found = true;
    }
  }
  if (found || depth >= 2 || at.length === 0) return found;
  const checker = ctx.program.getTypeChecker();
  const e = ts.isPropertyAccessExpression(c.expression) ? c.expression.name : c.expression;
  let sym = checker.getSymbolAtLocation(e);
  if (sym && sym.flags & ts.SymbolFlags.Alias) sym = checker.getAliasedSymbol(sym);
  const decl = sym?.declarations?.find((d): d is ts.FunctionDeclaration => ts.isFunctionDeclaration(d) && !!d.body);
  if (!decl?.body || !inTree(decl.getSourceFile(), ctx.root)) return false;
  const params = new Set(at.flatMap((i) => {
    const p = decl.parameters[i];
    return p && ts.isIdentifier(p.name) ? [p.name.text] : [];
  }));
  const walk = (n: ts.Node): void => {
    if (n !== decl && ts.isFunctionLike(n)) return;
    if (ts.isCallExpression(n)) {
      const inner = n.arguments.flatMap((a, i) => {
        const s = strip(a);
        return ts.isIdentifier(s) && params.has(s.text) ? [i] : [];
      });
      if (inner.length > 0 && named(ctx, n, inner, out, [...via, callee], depth + 1)) found = true;
    }
    ts.forEachChild(n, walk);
  };
  walk(decl.body);
  return found;
}

export class TagDecider {
  private readonly ctx: Ctx;

  constructor(program: ts.Program, root: string, readonly tags: string[]) {
    bound(program);
    this.ctx = { program, root, tags, callsByName: indexCalls(program, root) };
  }

  /** The tag of the pages `call` (an allocation) yields. A kind with one tag needs no evidence. */
  decide(call: ts.CallExpression): TagDecision {
    if (this.tags.length === 1) return { tag: this.tags[0]!, why: 'the kind has one tag', evidence: [] };
    const evidence: TagEvidence[] = [];
    const silent: string[] = [];
    gather(this.ctx, call, new Set(), evidence, silent);
    const named = [...new Set(evidence.map((e) => e.tag))];
    const list = (tag: string) => [...new Set(evidence.filter((e) => e.tag === tag).map((e) => `${e.callee}() at ${e.at}`))].join(', ');
    const noEvidence = silent.length > 0 ? `; no tag's name where the page goes in ${silent.join(', ')}` : '';
    if (named.length === 1) {
      return { tag: named[0]!, why: `${named[0]}: the page reaches ${list(named[0]!)}${noEvidence}`, evidence };
    }
    if (named.length === 0) {
      return {
        tag: null, evidence,
        why: `unknown: no call the page reaches names one of the tags (${this.tags.map(tagWord).join(', ')})${noEvidence}`,
      };
    }
    return { tag: null, evidence, why: `unknown: the page reaches calls of several tags: ${named.map((t) => `${tagWord(t)} (${list(t)})`).join('; ')}` };
  }
}

/* ---------------------------------------------------------------------------------------- */
/* Allocators of the kind (spec provenance calls declared in the tree)                       */
/* ---------------------------------------------------------------------------------------- */

/**
 * Allocation calls inside the kind's own allocators: the spec's provenance calls (those that
 * count everywhere: no argument condition) that the tree declares as functions returning the
 * page a page allocator gave them (`return alloc_page(gfp)`, or a local they return).
 */
export function providerAllocations(program: ts.Program, root: string, kind: KindSpec, allocators: ReadonlySet<string>): Array<{ provider: string; call: ts.CallExpression }> {
  bound(program);
  const out: Array<{ provider: string; call: ts.CallExpression }> = [];
  const converters = new Set([...kind.converters.fromPage, ...kind.converters.toPage, ...kind.converters.fromAddress, ...(kind.converters.toAddress ?? [])]);
  for (const p of kind.provenance) {
    const name = typeof p === 'string' ? p : p.arg ? undefined : p.call;
    if (!name || converters.has(name) || /[*?]/.test(name)) continue;
    const fn = declaredFunction(program, root, name);
    if (!fn?.body) continue;
    const walk = (n: ts.Node): void => {
      if (n !== fn && ts.isFunctionLike(n)) return;
      if (ts.isCallExpression(n) && allocators.has(calleeName(n) ?? '') && follow(n).returned) out.push({ provider: name, call: n });
      ts.forEachChild(n, walk);
    };
    walk(fn.body);
  }
  return out;
}

/* ---------------------------------------------------------------------------------------- */
/* Type tests that read the descriptor                                                        */
/* ---------------------------------------------------------------------------------------- */

/** Expressions safe to evaluate twice: names, property reads and calls of them (no writes). */
function pure(e: ts.Expression): boolean {
  e = strip(e);
  if (ts.isIdentifier(e) || e.kind === ts.SyntaxKind.ThisKeyword) return true;
  if (ts.isPropertyAccessExpression(e)) return pure(e.expression);
  if (ts.isCallExpression(e)) return ts.isIdentifier(e.expression) && e.arguments.every(pure);
  return false;
}

export interface TestGuard {
  sf: ts.SourceFile;
  /** Where the guard goes (the body's first statement). */
  pos: number;
  text: string;
  test: string;
}

/**
 * The kind's page-type tests (functions returning a boolean) that read its descriptor through
 * `fromPage` on a page: each gets `if (!has(page, TAGS…)) return false;` first, since after the
 * separation only a page carrying one of the kind's words has such a descriptor. `has` is the
 * tree's predicate (page, ...types) => boolean. Tests already guarded so are left alone.
 */
export function testGuards(program: ts.Program, root: string, kind: KindSpec, fromPage: string, has: string, tags: string[]): TestGuard[] {
  bound(program);
  const out: TestGuard[] = [];
  const names = new Set(kind.pageTypeTests.map((t) => (typeof t === 'string' ? t : t.name)));
  for (const sf of program.getSourceFiles()) {
    if (!inTree(sf, root)) continue;
    for (const st of sf.statements) {
      if (!ts.isFunctionDeclaration(st) || !st.name || !names.has(st.name.text) || !st.body) continue;
      if (!st.type || st.type.kind !== ts.SyntaxKind.BooleanKeyword) continue;
      if (st.body.getText().includes(`${has}(`)) continue;
      let arg: ts.Expression | undefined;
      const walk = (n: ts.Node): void => {
        if (arg) return;
        if (ts.isCallExpression(n) && calleeName(n) === fromPage && n.arguments.length === 1 && pure(n.arguments[0]!)) arg = n.arguments[0];
        ts.forEachChild(n, walk);
      };
      walk(st.body);
      if (!arg) continue;
      const first = st.body.statements[0];
      const pos = first ? first.getStart() : st.body.getStart() + 1;
      const indent = first ? ' '.repeat(sf.getLineAndCharacterOfPosition(first.getStart()).character) : '  ';
      out.push({
        sf, pos, test: st.name.text,
        text: `// Stage 2: only a page carrying one of ${kind.name}'s words has its descriptor.\n${indent}if (!${has}(${arg.getText()}, ${tags.join(', ')})) return false;\n${indent}`,
      });
    }
  }
  return out;
}

/* ---------------------------------------------------------------------------------------- */

function importPathOf(from: string, to: string): string {
  let rel = relative(dirname(from), to).split('\\').join('/');
  if (!rel.startsWith('.')) rel = `./${rel}`;
  return rel;
}

/**
 * Insertions (after the file's last import) that import `names` from the files declaring them,
 * leaving out names the file imports already. Throws naming one the tree does not export.
 */
export function importInsertions(sf: ts.SourceFile, names: string[], index: ExportIndex): Array<{ pos: number; text: string }> {
  const imported = new Set(sf.statements.flatMap((st) => {
    const nb = ts.isImportDeclaration(st) ? st.importClause?.namedBindings : undefined;
    return nb && ts.isNamedImports(nb) ? nb.elements.map((e) => e.name.text) : [];
  }));
  const byFile = new Map<string, string[]>();
  for (const n of new Set(names)) {
    if (imported.has(n)) continue;
    const file = index.get(n);
    if (!file) throw new InputError(`${n} not found in the tree`);
    if (file === sf.fileName) continue;
    byFile.set(file, [...(byFile.get(file) ?? []), n]);
  }
  const last = [...sf.statements].filter(ts.isImportDeclaration).pop();
  const pos = last ? last.getEnd() : 0;
  return [...byFile].map(([file, list]) => ({
    pos, text: `${last ? '\n' : ''}import { ${list.sort().join(', ')} } from '${importPathOf(sf.fileName, file)}';${last ? '' : '\n'}`,
  }));
}
