/**
 * `memdesc separate` for kinds with more than one memdesc type tag (a folio is file or anon), and
 * for kinds whose pages are handed out by an allocator of their own rather than marked by a
 * page-type setter (`alloc_page_vma()` hands out folio pages: found by what its pages become,
 * the spec's provenance calls only as hints; providerAllocations()).
 *
 *  - the kind's tags are the constants its typed accessor hands to `memdesc_desc()` (data flow:
 *    `memdesc_folio()`'s `anon ? MEMDESC_TYPE_ANON : MEMDESC_TYPE_FILE`), else the one named
 *    after the kind;
 *  - an allocation site gets its tag from the code, never from names: a tag means what the
 *    tree's type test reads besides the tag (tagTests.ts: `PageAnon()` is false for a page whose
 *    tag is not `MEMDESC_TYPE_ANON`, else tests `mapping & PAGE_MAPPING_ANON`), and the site's
 *    page (by the symbols of the variables holding it: in the allocating function and locals
 *    computed from it, inside the functions it is
 *    handed to — three bodies deep, following the parameter — and, when a function returns the
 *    page, at its callers) must reach on every use a store that makes one tag's test true
 *    (`folio.mapping = anon_vma.addr + PAGE_MAPPING_ANON`). All uses one tag: that tag; a use
 *    with no such store, or several tags: the site is `unknown`, with the stores (file:line),
 *    the silent uses and the tags the tree has no test for;
 *  - the kind's page-type tests that read its descriptor (`PageAnon()` reads the folio's mapping)
 *    ask first whether the page carries one of the kind's words: a page of another kind, or of
 *    none, then answers false instead of reading a descriptor it does not have.
 *
 * Calls count by the symbol they resolve to, variables by their symbol. Names remain only as the
 * spec's and the kernel API's hints for the declarations they stand for (`memdesc_desc`, the
 * typed accessor, the provenance calls, the type tests, `MEMDESC_TYPE_<KIND>` and
 * `MEMDESC_<KIND>_HEADER` when the code says nothing); nothing names a kind.
 */
import { dirname, relative } from 'node:path';
import { ts } from '@ts-morph/common';
import { tsv } from '../analyzers/tsValues.ts';
import { InputError } from '../errors.ts';
import type { KindSpec } from '../model/spec.ts';
import { groupHeaderBytes, type ExportIndex } from './separateInfra.ts';
import { constValue, declared, inTree, makesTrue, storedBits, strip, tagTests, where, type TagTest } from './tagTests.ts';
import { Symbols } from './separateSymbols.ts';

/** The common prefix of the tree's memdesc type tags (`MEMDESC_TYPE_PTDESC`). */
export const TAG_PREFIX = 'MEMDESC_TYPE_';

/** Parent pointers (getText(), getSourceFile()) come with binding: the checker binds every file once. */
function bound(program: ts.Program): void {
  program.getTypeChecker();
}

/**
 * The tree's module-level functions of a name (declared, or a const holding an arrow or function
 * expression; exported or not): what a name of the spec or the kernel's API stands for, a hint of
 * last resort. A function nested in another, a parameter or a method of that name is not one;
 * from the declaration on, calls count by the symbol they resolve to.
 */
function topLevel(program: ts.Program, root: string, name: string): ts.FunctionLikeDeclaration[] {
  const out: ts.FunctionLikeDeclaration[] = [];
  for (const sf of program.getSourceFiles()) {
    if (!inTree(sf, root)) continue;
    for (const st of sf.statements) {
      if (tsv.isFunctionDeclaration(st) && st.name?.text === name && st.body) out.push(st);
      if (tsv.isVariableStatement(st)) {
        for (const d of st.declarationList.declarations) {
          const init = d.initializer && strip(d.initializer);
          if (tsv.isIdentifier(d.name) && d.name.text === name && init && (tsv.isArrowFunction(init) || tsv.isFunctionExpression(init))) out.push(init);
        }
      }
    }
  }
  return out;
}

/** The symbols of topLevel()'s functions (a function declared with overloads is one symbol). */
function topLevelSymbols(program: ts.Program, root: string, s: Symbols, names: Iterable<string>): Set<ts.Symbol> {
  const out = new Set<ts.Symbol>();
  for (const n of names) for (const f of topLevel(program, root, n)) { const sym = s.of(f); if (sym) out.add(sym); }
  return out;
}

/**
 * The tags of a kind, from the data flow of its typed accessor: the exported constants that reach
 * the type argument of its `memdesc_desc(page, type)` calls (directly, through a conditional or a
 * local), in source order — `memdesc_folio()`'s `anon ? MEMDESC_TYPE_ANON : MEMDESC_TYPE_FILE`.
 * The accessor and `memdesc_desc` are the kernel's names for the declarations they stand for
 * (topLevel()); calls count by what they resolve to. When the accessor hands no constant to
 * it: the tag named after the kind (`MEMDESC_TYPE_<KIND>`, a hint of last resort) when the tree
 * exports it; [] when neither.
 */
export function kindTags(program: ts.Program, root: string, index: ExportIndex, kind: string, accessor: string | null): string[] {
  bound(program);
  const s = new Symbols(program, root);
  const checker = s.checker;
  const tags: string[] = [];
  const values = (e: ts.Expression, fn: ts.Node, depth: number): void => {
    e = strip(e);
    if (depth > 4) return;
    if (tsv.isConditionalExpression(e)) {
      values(e.whenTrue, fn, depth + 1);
      values(e.whenFalse, fn, depth + 1);
      return;
    }
    if (!tsv.isIdentifier(e)) return;
    const sym = declared(checker, e);
    const d = sym?.valueDeclaration;
    if (!sym || !d || !tsv.isVariableDeclaration(d)) return;
    // A local of the accessor: what it is given (its initializer and assignments, by symbol).
    if (d.getSourceFile() === fn.getSourceFile() && d.pos >= fn.pos && d.end <= fn.end) {
      if (d.initializer) values(d.initializer, fn, depth + 1);
      const walk = (n: ts.Node): void => {
        if (tsv.isBinaryExpression(n) && n.operatorToken.kind === tsv.SyntaxKind.EqualsToken && tsv.isIdentifier(n.left) && checker.getSymbolAtLocation(n.left) === sym) values(n.right, fn, depth + 1);
        tsv.forEachChild(n, walk);
      };
      walk(fn);
      return;
    }
    // A constant the tree exports: a tag.
    if (index.get(sym.name) === d.getSourceFile().fileName && constValue(checker, e) !== undefined && !tags.includes(sym.name)) tags.push(sym.name);
  };
  const desc = topLevelSymbols(program, root, s, ['memdesc_desc']);
  for (const fn of accessor ? topLevel(program, root, accessor) : []) {
    for (const c of callsOf(program, root, s, desc, fn.body!)) if (c.arguments[1]) values(c.arguments[1], fn, 0);
  }
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
    if (!tsv.isVariableStatement(st)) continue;
    for (const d of st.declarationList.declarations) {
      if (tsv.isIdentifier(d.name) && d.name.text === name && d.initializer && tsv.isNumericLiteral(d.initializer)) return Number(d.initializer.text);
    }
  }
  return undefined;
}

/**
 * Bytes before a kind's own fields in its descriptor, from the code first: the header of the
 * group of tags the tree hands out together when one of the kind's tags is in it (a folio's and a
 * zpdesc's descriptors keep their pages' counts after the back pointer: separateInfra.ts
 * groupHeaderBytes()); else `MEMDESC_<KIND>_HEADER`, a hint, when the tree declares one; else the
 * common header `MEMDESC_DESC_HEADER` (the back pointer), else 8.
 */
export function headerBytes(program: ts.Program, root: string, index: ExportIndex, kind: string, accessor: string | null = `memdesc_${kind}`, wordSize = 8): number {
  const common = numericConst(program, root, index, 'MEMDESC_DESC_HEADER') ?? 8;
  const group = groupHeaderBytes(program, root, index, kindTags(program, root, index, kind, accessor), wordSize);
  if (group !== undefined) return Math.max(group, common);
  return numericConst(program, root, index, `MEMDESC_${kind.toUpperCase()}_HEADER`) ?? common;
}

/* ---------------------------------------------------------------------------------------- */
/* Tags per allocation site                                                                   */
/* ---------------------------------------------------------------------------------------- */

/** The tag's own word, for messages: `MEMDESC_TYPE_ANON` -> `anon`. */
export function tagWord(tag: string): string {
  return tag.startsWith(TAG_PREFIX) ? tag.slice(TAG_PREFIX.length).toLowerCase() : tag;
}

function calleeName(call: ts.CallExpression): string | undefined {
  const e = call.expression;
  if (tsv.isIdentifier(e)) return e.text;
  if (tsv.isPropertyAccessExpression(e)) return e.name.text;
  return undefined;
}

function enclosingFunction(n: ts.Node): ts.FunctionLikeDeclaration | undefined {
  return tsv.findAncestor(n.parent, (a) => tsv.isFunctionDeclaration(a) || tsv.isMethodDeclaration(a) || tsv.isArrowFunction(a) || tsv.isFunctionExpression(a)) as ts.FunctionLikeDeclaration | undefined;
}

function functionName(f: ts.FunctionLikeDeclaration): string | undefined {
  if (f.name && tsv.isIdentifier(f.name)) return f.name.text;
  if (tsv.isVariableDeclaration(f.parent) && tsv.isIdentifier(f.parent.name)) return f.parent.name.text;
  return undefined;
}

/** One piece of evidence: a store the page reaches that makes one of the tag's tests true. */
export interface TagEvidence {
  tag: string;
  /** The functions the page went through to the store: `a() -> b()`. */
  callee: string;
  /** Where the store is. */
  at: string;
  /** The store as written. */
  store: string;
}

export interface TagDecision {
  /** The tag constant, or null: unknown. */
  tag: string | null;
  /** Why, as a reviewer checks it. */
  why: string;
  evidence: TagEvidence[];
}

interface Ctx {
  program: ts.Program;
  checker: ts.TypeChecker;
  root: string;
  tags: string[];
  /** What each tag means (tagTests.ts). */
  tests: TagTest[];
  /** Every call in the tree by callee name (built once). */
  callsByName: Map<string, ts.CallExpression[]>;
  /** Name -> the names imports and re-exports give it elsewhere (`import { f as g }`): its callers may spell it so. */
  aliases: Map<string, Set<string>>;
}

function indexAliases(program: ts.Program, root: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const sf of program.getSourceFiles()) {
    if (!inTree(sf, root)) continue;
    for (const st of sf.statements) {
      const clause = tsv.isImportDeclaration(st) ? st.importClause?.namedBindings : tsv.isExportDeclaration(st) ? st.exportClause : undefined;
      if (!clause || !(tsv.isNamedImports(clause) || tsv.isNamedExports(clause))) continue;
      for (const el of clause.elements) {
        if (!el.propertyName || el.propertyName.text === el.name.text) continue;
        const set = out.get(el.propertyName.text) ?? new Set<string>();
        set.add(el.name.text);
        out.set(el.propertyName.text, set);
      }
    }
  }
  return out;
}

/** The names a function may be called by: its own and, transitively, its aliases. */
function spellings(ctx: Ctx, name: string): string[] {
  const out = [name];
  for (let i = 0; i < out.length; i++) for (const a of ctx.aliases.get(out[i]!) ?? []) if (!out.includes(a)) out.push(a);
  return out;
}

function indexCalls(program: ts.Program, root: string): Map<string, ts.CallExpression[]> {
  const out = new Map<string, ts.CallExpression[]>();
  for (const sf of program.getSourceFiles()) {
    if (!inTree(sf, root)) continue;
    const walk = (n: ts.Node): void => {
      if (tsv.isCallExpression(n)) {
        const name = calleeName(n);
        if (name) {
          const list = out.get(name) ?? [];
          list.push(n);
          out.set(name, list);
        }
      }
      tsv.forEachChild(n, walk);
    };
    walk(sf);
  }
  return out;
}

/**
 * The variables holding the page, by symbol: a shadowing declaration of the same name in an inner
 * scope is another variable, and what it holds is not the page.
 */
type Held = ReadonlySet<ts.Symbol>;

function symOf(checker: ts.TypeChecker, id: ts.Identifier): ts.Symbol | undefined {
  return checker.getSymbolAtLocation(id);
}

/**
 * The page an allocation call yields, followed in its function: the variables it is bound to
 * (`const page = alloc(…)`, `page = alloc(…)`), the call it is handed to directly, and whether
 * the function returns it.
 */
function follow(checker: ts.TypeChecker, call: ts.CallExpression): { names: Set<ts.Symbol>; direct: ts.CallExpression | undefined; returned: boolean } {
  const f = enclosingFunction(call);
  const names = new Set<ts.Symbol>();
  const hold = (id: ts.Identifier): void => { const x = symOf(checker, id); if (x) names.add(x); };
  let returned = false;
  let e: ts.Node = call;
  while (e.parent && (tsv.isParenthesizedExpression(e.parent) || tsv.isNonNullExpression(e.parent) || tsv.isAsExpression(e.parent))) e = e.parent;
  const p = e.parent;
  if (p && tsv.isVariableDeclaration(p) && tsv.isIdentifier(p.name)) hold(p.name);
  else if (p && tsv.isBinaryExpression(p) && p.operatorToken.kind === tsv.SyntaxKind.EqualsToken && tsv.isIdentifier(p.left)) hold(p.left);
  else if (p && tsv.isReturnStatement(p)) returned = true;
  else if (p && tsv.isArrowFunction(p) && p.body === e) returned = true;
  const direct = p && tsv.isCallExpression(p) && p.arguments.includes(e as ts.Expression) ? p : undefined;
  if (f?.body && names.size > 0) {
    const walk = (n: ts.Node): void => {
      if (n !== f && tsv.isFunctionLike(n)) return;
      if (tsv.isReturnStatement(n) && n.expression) {
        const s = strip(n.expression);
        if (tsv.isIdentifier(s) && names.has(symOf(checker, s)!)) returned = true;
      }
      tsv.forEachChild(n, walk);
    };
    walk(f.body);
  }
  return { names, direct, returned };
}

/** Is `e` the page or computed from it: a variable holding it, or a call handed one (`page_folio(page)`)? */
function fromPage(checker: ts.TypeChecker, e: ts.Expression, names: Held): boolean {
  e = strip(e);
  if (tsv.isIdentifier(e)) { const x = symOf(checker, e); return !!x && names.has(x); }
  if (tsv.isCallExpression(e)) return e.arguments.some((a) => fromPage(checker, a, names));
  return false;
}

/** The variables in `body` holding the page: `start`, and locals computed from it (`const folio = page_folio(page)`). */
function holders(checker: ts.TypeChecker, body: ts.Node, start: Held): Set<ts.Symbol> {
  const names = new Set(start);
  for (let changed = true; changed;) {
    changed = false;
    const walk = (n: ts.Node): void => {
      if (n !== body && tsv.isFunctionLike(n)) return;
      let bound: [ts.Symbol | undefined, ts.Expression] | undefined;
      if (tsv.isVariableDeclaration(n) && tsv.isIdentifier(n.name) && n.initializer) bound = [symOf(checker, n.name), n.initializer];
      else if (tsv.isBinaryExpression(n) && n.operatorToken.kind === tsv.SyntaxKind.EqualsToken && tsv.isIdentifier(n.left)) bound = [symOf(checker, n.left), n.right];
      if (bound?.[0] && !names.has(bound[0]) && fromPage(checker, bound[1], names)) {
        names.add(bound[0]);
        changed = true;
      }
      tsv.forEachChild(n, walk);
    };
    walk(body);
  }
  return names;
}

/** The calls in `body` (not in functions nested there), each with the argument positions holding the page. */
function handOffs(checker: ts.TypeChecker, body: ts.Node, names: Held): Array<{ call: ts.CallExpression; at: number[] }> {
  const out: Array<{ call: ts.CallExpression; at: number[] }> = [];
  const walk = (n: ts.Node): void => {
    if (n !== body && tsv.isFunctionLike(n)) return;
    if (tsv.isCallExpression(n)) {
      const at = n.arguments.flatMap((a, i) => (fromPage(checker, a, names) ? [i] : []));
      if (at.length > 0) out.push({ call: n, at });
    }
    tsv.forEachChild(n, walk);
  };
  walk(body);
  return out;
}

/** Stores in `body` to a word of the page (or of what is computed from it) that make a tag's test true. */
function storesIn(ctx: Ctx, body: ts.Node, names: Held, path: string[], out: TagEvidence[], args?: ReadonlyMap<string, ts.Expression>): boolean {
  let found = false;
  const walk = (n: ts.Node): void => {
    if (n !== body && tsv.isFunctionLike(n)) return;
    if (tsv.isBinaryExpression(n) && (n.operatorToken.kind === tsv.SyntaxKind.EqualsToken || n.operatorToken.kind === tsv.SyntaxKind.BarEqualsToken)) {
      const lhs = strip(n.left);
      if (tsv.isPropertyAccessExpression(lhs) && fromPage(ctx.checker, lhs.expression, names)) {
        const bits = storedBits(ctx.checker, n.right, args);
        for (const t of ctx.tests) {
          if (t.word !== lhs.name.text || !makesTrue(t, bits)) continue;
          out.push({ tag: t.tag, callee: path.join('() -> '), at: where(ctx.root, n), store: n.getText() });
          found = true;
        }
      }
    }
    tsv.forEachChild(n, walk);
  };
  walk(body);
  return found;
}

/** The function a call calls (by the checker, through imports), when the tree declares it with a body. */
function calledFunction(ctx: Ctx, c: ts.CallExpression): ts.FunctionLikeDeclaration | undefined {
  const d = declared(ctx.checker, tsv.isPropertyAccessExpression(c.expression) ? c.expression.name : c.expression)?.valueDeclaration;
  let fn: ts.Node | undefined = d;
  if (d && tsv.isVariableDeclaration(d) && d.initializer) fn = strip(d.initializer);
  if (!fn || !(tsv.isFunctionDeclaration(fn) || tsv.isMethodDeclaration(fn) || tsv.isArrowFunction(fn) || tsv.isFunctionExpression(fn))) return undefined;
  return fn.body && inTree(fn.getSourceFile(), ctx.root) ? fn : undefined;
}

/**
 * Stores that make a tag's test true inside the function call `c` calls, on the parameters
 * handed the page (arguments `at`), and in the functions it hands them on to (two calls deep).
 */
function handedTo(ctx: Ctx, c: ts.CallExpression, at: number[], path: string[], out: TagEvidence[], depth: number): boolean {
  const decl = calledFunction(ctx, c);
  if (!decl?.body) return false;
  const params = new Set(at.flatMap((i) => {
    const p = decl.parameters[i];
    const x = p && tsv.isIdentifier(p.name) ? symOf(ctx.checker, p.name) : undefined;
    return x ? [x] : [];
  }));
  if (params.size === 0) return false;
  const here = [...path, calleeName(c) ?? functionName(decl) ?? '(anonymous)'];
  const names = holders(ctx.checker, decl.body, params);
  // The callee's parameters as its caller's arguments (one level: the caller's own are not bound).
  const args = new Map(decl.parameters.flatMap((p, i) => (tsv.isIdentifier(p.name) && c.arguments[i] ? [[p.name.text, c.arguments[i]!] as const] : [])));
  let found = storesIn(ctx, decl.body, names, here, out, args);
  if (depth >= 2) return found;
  for (const h of handOffs(ctx.checker, decl.body, names)) if (handedTo(ctx, h.call, h.at, here, out, depth + 1)) found = true;
  return found;
}

/** Does `call` call `f` (by the checker, through imports), not a namesake in another file? */
function calls(ctx: Ctx, call: ts.CallExpression, f: ts.FunctionLikeDeclaration): boolean {
  const e = tsv.isPropertyAccessExpression(call.expression) ? call.expression.name : call.expression;
  return !!declared(ctx.checker, e)?.declarations?.some((d) => d === f || d === f.parent);
}

/** Where a page ends up (a function that keeps it rather than returning it), with the stores found on its way. */
interface Use { fn: string; at: string; evidence: TagEvidence[] }

/**
 * The uses of the page `call` yields: in its function, and, while a function returns it, at that
 * function's callers; each with the stores found on the way (those of the functions returning
 * it count for every caller).
 */
function gather(ctx: Ctx, call: ts.CallExpression, seen: Set<ts.Node>, inherited: TagEvidence[], uses: Use[], depth = 0): void {
  if (seen.has(call) || depth > 6) return;
  seen.add(call);
  const { names, direct, returned } = follow(ctx.checker, call);
  const f = enclosingFunction(call);
  const name = f ? functionName(f) : undefined;
  const evidence = [...inherited];
  if (direct) handedTo(ctx, direct, direct.arguments.flatMap((a, i) => (strip(a) === call ? [i] : [])), [], evidence, 0);
  if (f?.body && names.size > 0) {
    const held = holders(ctx.checker, f.body, names);
    storesIn(ctx, f.body, held, [name ?? '(anonymous)'], evidence);
    for (const h of handOffs(ctx.checker, f.body, held)) handedTo(ctx, h.call, h.at, [], evidence, 0);
  }
  // Its callers under any alias, each by the symbol its callee resolves to.
  const ups = returned && name && f ? spellings(ctx, name).flatMap((n) => ctx.callsByName.get(n) ?? []).filter((up) => calls(ctx, up, f)) : [];
  for (const up of ups) gather(ctx, up, seen, evidence, uses, depth + 1);
  if (ups.length === 0) uses.push({ fn: name ?? '(anonymous)', at: where(ctx.root, call), evidence });
}

/**
 * Decides the tag of each allocation site of a kind with several tags: the site's page must reach,
 * on every use, a store that makes one tag's test true (tagTests.ts), and the same tag on all.
 */
export class TagDecider {
  private readonly ctx: Ctx;

  constructor(program: ts.Program, root: string, readonly tags: string[]) {
    bound(program);
    this.ctx = {
      program, checker: program.getTypeChecker(), root, tags,
      tests: tags.length > 1 ? tagTests(program, root, tags) : [],
      callsByName: tags.length > 1 ? indexCalls(program, root) : new Map(),
      aliases: tags.length > 1 ? indexAliases(program, root) : new Map(),
    };
  }

  /** The tag of the pages `call` (an allocation) yields. A kind with one tag needs no evidence. */
  decide(call: ts.CallExpression): TagDecision {
    if (this.tags.length === 1) return { tag: this.tags[0]!, why: 'the kind has one tag', evidence: [] };
    const uses: Use[] = [];
    gather(this.ctx, call, new Set(), [], uses);
    const seen = new Set<string>();
    const evidence = uses.flatMap((u) => u.evidence).filter((e) => {
      const key = `${e.tag} ${e.callee} ${e.at}`;
      return !seen.has(key) && !!seen.add(key);
    });
    const named = this.tags.filter((t) => evidence.some((e) => e.tag === t));
    const list = (tag: string) => [...new Set(evidence.filter((e) => e.tag === tag).map((e) => `${e.callee}() at ${e.at}`))].join(', ');
    const meaning = (tag: string) => this.ctx.tests.filter((t) => t.tag === tag).map((t) => `${t.text} (${t.test}() at ${t.at})`).join(' or ');
    const untested = this.tags.filter((t) => !this.ctx.tests.some((x) => x.tag === t));
    const noTest = untested.map((t) => `; ${tagWord(t)}: the tree has no type test that tells it (none compares a page's tag with ${t} and tests a word's bits otherwise), so no store can show it`).join('');
    const silent = uses.filter((u) => u.evidence.length === 0);
    if (named.length > 1) {
      return { tag: null, evidence, why: `unknown: the page reaches stores of several tags: ${named.map((t) => `${tagWord(t)} (${list(t)})`).join('; ')}` };
    }
    if (named.length === 1 && silent.length === 0) {
      const t = named[0]!;
      return { tag: t, evidence, why: `${t}: every use of the page reaches a store that makes ${meaning(t)} true: ${list(t)}` };
    }
    const tests = this.tags.filter((t) => !untested.includes(t)).map((t) => `${tagWord(t)}: ${meaning(t)}`).join('; ');
    const elsewhere = named.length === 1 ? `; elsewhere it reaches ${tagWord(named[0]!)} (${list(named[0]!)})` : '';
    return {
      tag: null, evidence,
      why: `unknown: the page reaches no store that makes a tag's test true (${tests || 'no tag has a test'}) in ${silent.map((u) => `${u.fn}() at ${u.at}`).join(', ')}${elsewhere}${noTest}`,
    };
  }
}

/* ---------------------------------------------------------------------------------------- */
/* Allocators of the kind: from the code, the spec's provenance calls as hints                */
/* ---------------------------------------------------------------------------------------- */

/** Does the function `call` is in give back the page `call` yields: returned as is, or through a local (by symbol) it returns? */
function returnedBy(checker: ts.TypeChecker, call: ts.CallExpression): boolean {
  const f = enclosingFunction(call);
  if (!f?.body) return false;
  let e: ts.Node = call;
  while (e.parent && (tsv.isParenthesizedExpression(e.parent) || tsv.isNonNullExpression(e.parent) || tsv.isAsExpression(e.parent))) e = e.parent;
  const p = e.parent;
  if (p && (tsv.isReturnStatement(p) || (tsv.isArrowFunction(p) && p.body === e))) return true;
  let holder: ts.Symbol | undefined;
  if (p && tsv.isVariableDeclaration(p) && p.initializer === e && tsv.isIdentifier(p.name)) holder = checker.getSymbolAtLocation(p.name);
  else if (p && tsv.isBinaryExpression(p) && p.operatorToken.kind === tsv.SyntaxKind.EqualsToken && p.right === e && tsv.isIdentifier(p.left)) holder = checker.getSymbolAtLocation(p.left);
  if (!holder) return false;
  let found = false;
  const walk = (n: ts.Node): void => {
    if (found || (n !== f && tsv.isFunctionLike(n))) return;
    if (tsv.isReturnStatement(n) && n.expression) {
      const r = strip(n.expression);
      if (tsv.isIdentifier(r) && checker.getSymbolAtLocation(r) === holder) found = true;
    }
    tsv.forEachChild(n, walk);
  };
  walk(f.body);
  return found;
}

/** Calls in the tree (or in `within`) whose callee resolves to one of `syms`, in source order. */
function callsOf(program: ts.Program, root: string, s: Symbols, syms: ReadonlySet<ts.Symbol>, within?: ts.Node): ts.CallExpression[] {
  const out: ts.CallExpression[] = [];
  if (syms.size === 0) return out;
  // Only callees spelled like one of them, or like an alias an import or re-export gives one,
  // go to the checker: the spelling is a filter, the symbol decides.
  const names = new Set([...syms].map((x) => x.name));
  for (let before = 0; before !== names.size;) {
    before = names.size;
    for (const sf of program.getSourceFiles()) {
      if (!inTree(sf, root)) continue;
      for (const st of sf.statements) {
        const clause = tsv.isImportDeclaration(st) ? st.importClause?.namedBindings : tsv.isExportDeclaration(st) ? st.exportClause : undefined;
        if (clause && (tsv.isNamedImports(clause) || tsv.isNamedExports(clause))) {
          for (const el of clause.elements) if (names.has((el.propertyName ?? el.name).text)) names.add(el.name.text);
        }
      }
    }
  }
  const walk = (n: ts.Node): void => {
    if (tsv.isCallExpression(n) && names.has(calleeName(n) ?? '')) {
      const sym = s.callee(n);
      if (sym && syms.has(sym)) out.push(n);
    }
    tsv.forEachChild(n, walk);
  };
  if (within) walk(within);
  else for (const sf of program.getSourceFiles()) if (inTree(sf, root)) walk(sf);
  return out;
}

/**
 * The kind's own allocation calls, each with the function it is in (`provider`, for the report):
 *
 *  - from the code: every call of the page allocator (by the symbol it resolves to) whose page
 *    the code shows to become the kind's — with several tags (a folio: file or anon), each of its
 *    uses reaches a store that makes one of the kind's tags' tests true (TagDecider; `decider`).
 *    The function it is in may be called anything: a renamed allocator is still found (the page
 *    allocator's own insides never are: they serve every kind);
 *  - from the spec's provenance calls (those that count everywhere: no argument condition), as
 *    hints of last resort: the tree's module-level function of that name (topLevel()), when it
 *    returns what a page allocator call in it gave (`return alloc_page(gfp)`, or a local it
 *    returns, by symbol). Such a site whose tag the code does not show is still returned: the
 *    plan then refuses it as of unknown tag, naming it (the code contradicts the hint).
 *
 * A same-named local function, a method or a shadowing parameter is never the allocator: calls
 * count by what they resolve to.
 */
export function providerAllocations(program: ts.Program, root: string, kind: KindSpec, allocators: ReadonlySet<string>, decider?: TagDecider): Array<{ provider: string; call: ts.CallExpression }> {
  bound(program);
  const s = new Symbols(program, root);
  const allocSyms = s.namedAll(allocators);
  const out: Array<{ provider: string; call: ts.CallExpression }> = [];
  const taken = new Set<ts.CallExpression>();
  const add = (provider: string, call: ts.CallExpression): void => {
    if (taken.has(call)) return;
    taken.add(call);
    out.push({ provider, call });
  };
  const converters = new Set([...kind.converters.fromPage, ...kind.converters.toPage, ...kind.converters.fromAddress, ...(kind.converters.toAddress ?? [])]);
  for (const p of kind.provenance) {
    const name = typeof p === 'string' ? p : p.arg ? undefined : p.call;
    if (!name || converters.has(name) || /[*?]/.test(name)) continue;
    for (const fn of topLevel(program, root, name)) {
      for (const c of callsOf(program, root, s, allocSyms, fn.body!)) {
        if (enclosingFunction(c) === fn && returnedBy(s.checker, c)) add(name, c);
      }
    }
  }
  if (decider && decider.tags.length > 1) {
    for (const c of callsOf(program, root, s, allocSyms)) {
      const f = enclosingFunction(c);
      const self = f && s.of(f);
      // The page allocator's own insides (alloc_page() calling alloc_pages()) are no site of any
      // kind, whoever its callers are today.
      if (taken.has(c) || (self && allocSyms.has(self)) || decider.decide(c).tag === null) continue;
      add((f && functionName(f)) ?? '(anonymous)', c);
    }
  }
  return out;
}

/* ---------------------------------------------------------------------------------------- */
/* Type tests that read the descriptor                                                        */
/* ---------------------------------------------------------------------------------------- */

/** Expressions safe to evaluate twice: names, property reads and calls of them (no writes). */
function pure(e: ts.Expression): boolean {
  e = strip(e);
  if (tsv.isIdentifier(e) || e.kind === tsv.SyntaxKind.ThisKeyword) return true;
  if (tsv.isPropertyAccessExpression(e)) return pure(e.expression);
  if (tsv.isCallExpression(e)) return tsv.isIdentifier(e.expression) && e.arguments.every(pure);
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
  const s = new Symbols(program, root);
  const out: TestGuard[] = [];
  // The spec names the tests, the kernel the converter and the predicate: each stands for its
  // declaration (topLevel(), Symbols.named()), and calls count by what they resolve to.
  const tests = topLevelSymbols(program, root, s, kind.pageTypeTests.map((t) => (typeof t === 'string' ? t : t.name)));
  // The converter and the predicate are API other files import: their exported declarations.
  const convs = s.named(fromPage);
  const hasSyms = s.named(has);
  for (const sf of program.getSourceFiles()) {
    if (!inTree(sf, root)) continue;
    for (const st of sf.statements) {
      if (!tsv.isFunctionDeclaration(st) || !st.name || !st.body) continue;
      const sym = s.at(st.name);
      if (!sym || !tests.has(sym)) continue;
      if (!st.type || st.type.kind !== tsv.SyntaxKind.BooleanKeyword) continue;
      if (callsOf(program, root, s, hasSyms, st.body).length > 0) continue;
      let arg: ts.Expression | undefined;
      const walk = (n: ts.Node): void => {
        if (arg) return;
        if (tsv.isCallExpression(n) && n.arguments.length === 1 && pure(n.arguments[0]!) && convs.has(s.callee(n)!)) arg = n.arguments[0];
        tsv.forEachChild(n, walk);
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
    const nb = tsv.isImportDeclaration(st) ? st.importClause?.namedBindings : undefined;
    return nb && tsv.isNamedImports(nb) ? nb.elements.map((e) => e.name.text) : [];
  }));
  const byFile = new Map<string, string[]>();
  for (const n of new Set(names)) {
    if (imported.has(n)) continue;
    const file = index.get(n);
    if (!file) throw new InputError(`${n} not found in the tree`);
    if (file === sf.fileName) continue;
    byFile.set(file, [...(byFile.get(file) ?? []), n]);
  }
  const last = [...sf.statements].filter(tsv.isImportDeclaration).pop();
  const pos = last ? last.getEnd() : 0;
  return [...byFile].map(([file, list]) => ({
    pos, text: `${last ? '\n' : ''}import { ${list.sort().join(', ')} } from '${importPathOf(sf.fileName, file)}';${last ? '' : '\n'}`,
  }));
}
