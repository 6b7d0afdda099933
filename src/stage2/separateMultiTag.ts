/**
 * `memdesc separate` for kinds with more than one memdesc type tag (a folio is file or anon), and
 * for kinds whose pages are handed out by an allocator of their own rather than marked by a
 * page-type setter (the spec's provenance calls: `alloc_page_vma()` hands out folio pages).
 *
 *  - the kind's tags are the tag constants its typed accessor accepts (`memdesc_folio()` reads
 *    `MEMDESC_TYPE_FILE` and `MEMDESC_TYPE_ANON`), else the one named after the kind;
 *  - an allocation site gets its tag from the code, never from names: a tag means what the
 *    tree's type test reads besides the tag (tagTests.ts: `PageAnon()` is false for a page whose
 *    tag is not `MEMDESC_TYPE_ANON`, else tests `mapping & PAGE_MAPPING_ANON`), and the site's
 *    page (in the allocating function and locals computed from it, inside the functions it is
 *    handed to — three bodies deep, following the parameter — and, when a function returns the
 *    page, at its callers) must reach on every use a store that makes one tag's test true
 *    (`folio.mapping = anon_vma.addr + PAGE_MAPPING_ANON`). All uses one tag: that tag; a use
 *    with no such store, or several tags: the site is `unknown`, with the stores (file:line),
 *    the silent uses and the tags the tree has no test for;
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
import { declared, inTree, makesTrue, storedBits, strip, tagTests, where, type TagTest } from './tagTests.ts';

/** The common prefix of the tree's memdesc type tags (`MEMDESC_TYPE_PTDESC`). */
export const TAG_PREFIX = 'MEMDESC_TYPE_';

/** Parent pointers (getText(), getSourceFile()) come with binding: the checker binds every file once. */
function bound(program: ts.Program): void {
  program.getTypeChecker();
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

/** The tag's own word, for messages: `MEMDESC_TYPE_ANON` -> `anon`. */
export function tagWord(tag: string): string {
  return tag.startsWith(TAG_PREFIX) ? tag.slice(TAG_PREFIX.length).toLowerCase() : tag;
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

/**
 * The page an allocation call yields, followed in its function: the names it is bound to
 * (`const page = alloc(…)`, `page = alloc(…)`), the call it is handed to directly, and whether
 * the function returns it.
 */
function follow(call: ts.CallExpression): { names: Set<string>; direct: ts.CallExpression | undefined; returned: boolean } {
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
  const direct = p && ts.isCallExpression(p) && p.arguments.includes(e as ts.Expression) ? p : undefined;
  if (f?.body && names.size > 0) {
    const walk = (n: ts.Node): void => {
      if (n !== f && ts.isFunctionLike(n)) return;
      if (ts.isReturnStatement(n) && n.expression) {
        const s = strip(n.expression);
        if (ts.isIdentifier(s) && names.has(s.text)) returned = true;
      }
      ts.forEachChild(n, walk);
    };
    walk(f.body);
  }
  return { names, direct, returned };
}

/** Is `e` the page or computed from it: a name holding it, or a call handed one (`page_folio(page)`)? */
function fromPage(e: ts.Expression, names: ReadonlySet<string>): boolean {
  e = strip(e);
  if (ts.isIdentifier(e)) return names.has(e.text);
  if (ts.isCallExpression(e)) return e.arguments.some((a) => fromPage(a, names));
  return false;
}

/** The names in `body` holding the page: `start`, and locals computed from it (`const folio = page_folio(page)`). */
function holders(body: ts.Node, start: ReadonlySet<string>): Set<string> {
  const names = new Set(start);
  for (let changed = true; changed;) {
    changed = false;
    const walk = (n: ts.Node): void => {
      if (n !== body && ts.isFunctionLike(n)) return;
      let bound: [string, ts.Expression] | undefined;
      if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.initializer) bound = [n.name.text, n.initializer];
      else if (ts.isBinaryExpression(n) && n.operatorToken.kind === ts.SyntaxKind.EqualsToken && ts.isIdentifier(n.left)) bound = [n.left.text, n.right];
      if (bound && !names.has(bound[0]) && fromPage(bound[1], names)) {
        names.add(bound[0]);
        changed = true;
      }
      ts.forEachChild(n, walk);
    };
    walk(body);
  }
  return names;
}

/** The calls in `body` (not in functions nested there), each with the argument positions holding the page. */
function handOffs(body: ts.Node, names: ReadonlySet<string>): Array<{ call: ts.CallExpression; at: number[] }> {
  const out: Array<{ call: ts.CallExpression; at: number[] }> = [];
  const walk = (n: ts.Node): void => {
    if (n !== body && ts.isFunctionLike(n)) return;
    if (ts.isCallExpression(n)) {
      const at = n.arguments.flatMap((a, i) => (fromPage(a, names) ? [i] : []));
      if (at.length > 0) out.push({ call: n, at });
    }
    ts.forEachChild(n, walk);
  };
  walk(body);
  return out;
}

/** Stores in `body` to a word of the page (or of what is computed from it) that make a tag's test true. */
function storesIn(ctx: Ctx, body: ts.Node, names: ReadonlySet<string>, path: string[], out: TagEvidence[], args?: ReadonlyMap<string, ts.Expression>): boolean {
  let found = false;
  const walk = (n: ts.Node): void => {
    if (n !== body && ts.isFunctionLike(n)) return;
    if (ts.isBinaryExpression(n) && (n.operatorToken.kind === ts.SyntaxKind.EqualsToken || n.operatorToken.kind === ts.SyntaxKind.BarEqualsToken)) {
      const lhs = strip(n.left);
      if (ts.isPropertyAccessExpression(lhs) && fromPage(lhs.expression, names)) {
        const bits = storedBits(ctx.checker, n.right, args);
        for (const t of ctx.tests) {
          if (t.word !== lhs.name.text || !makesTrue(t, bits)) continue;
          out.push({ tag: t.tag, callee: path.join('() -> '), at: where(ctx.root, n), store: n.getText() });
          found = true;
        }
      }
    }
    ts.forEachChild(n, walk);
  };
  walk(body);
  return found;
}

/** The function a call calls (by the checker, through imports), when the tree declares it with a body. */
function calledFunction(ctx: Ctx, c: ts.CallExpression): ts.FunctionLikeDeclaration | undefined {
  const d = declared(ctx.checker, ts.isPropertyAccessExpression(c.expression) ? c.expression.name : c.expression)?.valueDeclaration;
  let fn: ts.Node | undefined = d;
  if (d && ts.isVariableDeclaration(d) && d.initializer) fn = strip(d.initializer);
  if (!fn || !(ts.isFunctionDeclaration(fn) || ts.isMethodDeclaration(fn) || ts.isArrowFunction(fn) || ts.isFunctionExpression(fn))) return undefined;
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
    return p && ts.isIdentifier(p.name) ? [p.name.text] : [];
  }));
  if (params.size === 0) return false;
  const here = [...path, calleeName(c) ?? functionName(decl) ?? '(anonymous)'];
  const names = holders(decl.body, params);
  // The callee's parameters as its caller's arguments (one level: the caller's own are not bound).
  const args = new Map(decl.parameters.flatMap((p, i) => (ts.isIdentifier(p.name) && c.arguments[i] ? [[p.name.text, c.arguments[i]!] as const] : [])));
  let found = storesIn(ctx, decl.body, names, here, out, args);
  if (depth >= 2) return found;
  for (const h of handOffs(decl.body, names)) if (handedTo(ctx, h.call, h.at, here, out, depth + 1)) found = true;
  return found;
}

/** Does `call` call `f` (by the checker, through imports), not a namesake in another file? */
function calls(ctx: Ctx, call: ts.CallExpression, f: ts.FunctionLikeDeclaration): boolean {
  const e = ts.isPropertyAccessExpression(call.expression) ? call.expression.name : call.expression;
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
  const { names, direct, returned } = follow(call);
  const f = enclosingFunction(call);
  const name = f ? functionName(f) : undefined;
  const evidence = [...inherited];
  if (direct) handedTo(ctx, direct, direct.arguments.flatMap((a, i) => (strip(a) === call ? [i] : [])), [], evidence, 0);
  if (f?.body && names.size > 0) {
    const held = holders(f.body, names);
    storesIn(ctx, f.body, held, [name ?? '(anonymous)'], evidence);
    for (const h of handOffs(f.body, held)) handedTo(ctx, h.call, h.at, [], evidence, 0);
  }
  const ups = returned && name && f ? (ctx.callsByName.get(name) ?? []).filter((up) => calls(ctx, up, f)) : [];
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
