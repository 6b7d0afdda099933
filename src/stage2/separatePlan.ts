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
import { CheckFailed, InputError } from '../errors.ts';
import type { KindSpec, Spec } from '../model/spec.ts';
import { reverseFieldMap } from '../model/spec.ts';
import type { Infra } from './separateInfra.ts';
import { headerBytes as descHeaderBytes, kindTags, TagDecider, providerAllocations, testGuards, tagWord, importInsertions } from './separateMultiTag.ts';

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
    for (const [file, list] of this.byFile) {
      let text = program.getSourceFile(file)!.text;
      for (const e of [...list].sort((a, b) => b.start - a.start)) text = text.slice(0, e.start) + e.text + text.slice(e.end);
      out.set(file, text);
    }
    return out;
  }
}

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

export function calleeName(call: ts.CallExpression): string | undefined {
  const e = call.expression;
  if (ts.isIdentifier(e)) return e.text;
  if (ts.isPropertyAccessExpression(e)) return e.name.text;
  return undefined;
}

/** Remove some elements of a list (import specifiers) with their commas, leaving the rest as written. */
export function removeElements(sf: ts.SourceFile, all: ts.NodeArray<ts.ImportSpecifier>, drop: Set<ts.ImportSpecifier>, edits: Edits): void {
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
 * each imported name the rewrite took away; a name with no use left goes.
 */
export function dropRewrittenImports(replaced: Map<ts.SourceFile, Map<string, number>>, edits: Edits): void {
  for (const [sf, names] of replaced) {
    for (const st of sf.statements) {
      const named = ts.isImportDeclaration(st) ? st.importClause?.namedBindings : undefined;
      if (!named || !ts.isNamedImports(named)) continue;
      const unused = new Set(named.elements.filter((e) => {
        const n = e.name.text;
        const uses = (sf.text.match(new RegExp(`(?<![\\w$.])${n.replace(/\$/g, '\\$')}(?![\\w$])`, 'g')) ?? []).length - 1;
        return names.has(n) && uses === names.get(n);
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
    const last = [...sf.statements].filter(ts.isImportDeclaration).pop();
    const pos = last ? last.getEnd() : 0;
    edits.add(sf, pos, pos, `${last ? '\n' : ''}import { ${[...names].sort().join(', ')} } from '${importPath(sf.fileName, modFile)}';${last ? '' : '\n'}`);
  }
}

/**
 * Take the converters (`names`: their overload signatures and implementation) out of the class's
 * file. `render` gives each implementation its new doc comment and body; the signature is kept.
 * Returns the moved text, one entry per converter, in source order.
 */
export function moveConverters(classSf: ts.SourceFile, names: Set<string>, edits: Edits,
  render: (name: string, param: string) => { doc: string; body: string }): string[] {
  const overloads = new Map<string, string[]>();
  for (const st of classSf.statements) {
    if (!ts.isFunctionDeclaration(st) || !st.name || !names.has(st.name.text)) continue;
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

export function importPath(from: string, to: string): string {
  let rel = relative(dirname(from), to).split('\\').join('/');
  if (!rel.startsWith('.')) rel = `./${rel}`;
  return rel;
}

export function functionsOf(sf: ts.SourceFile): ts.FunctionLikeDeclaration[] {
  const out: ts.FunctionLikeDeclaration[] = [];
  const walk = (n: ts.Node): void => {
    if ((ts.isFunctionDeclaration(n) || ts.isMethodDeclaration(n) || ts.isArrowFunction(n) || ts.isFunctionExpression(n)) && n.body) out.push(n);
    ts.forEachChild(n, walk);
  };
  walk(sf);
  return out;
}

export function fnName(f: ts.FunctionLikeDeclaration): string | undefined {
  if (f.name && ts.isIdentifier(f.name)) return f.name.text;
  if (ts.isVariableDeclaration(f.parent) && ts.isIdentifier(f.parent.name)) return f.parent.name.text;
  return undefined;
}

/** Calls directly in `f` (not in nested functions). */
export function callsIn(f: ts.FunctionLikeDeclaration): ts.CallExpression[] {
  const out: ts.CallExpression[] = [];
  const walk = (n: ts.Node): void => {
    if (n !== f && ts.isFunctionLike(n)) return;
    if (ts.isCallExpression(n)) out.push(n);
    ts.forEachChild(n, walk);
  };
  if (f.body) walk(f.body);
  return out;
}

/**
 * What an expression names, across the address/page/descriptor views of one allocation:
 * `virt_to_page(pte)`, `page_ptdesc(page)` and a `const page = virt_to_page(pgd)` name what
 * their argument names.
 */
export function keyOf(e: ts.Expression, f: ts.FunctionLikeDeclaration, views: Set<string>, depth = 0): string {
  while (ts.isParenthesizedExpression(e) || ts.isNonNullExpression(e) || ts.isAsExpression(e)) e = e.expression;
  if (depth > 8) return e.getText();
  if (ts.isCallExpression(e) && e.arguments.length === 1 && views.has(calleeName(e) ?? '')) return keyOf(e.arguments[0]!, f, views, depth + 1);
  if (ts.isIdentifier(e)) {
    let init: ts.Expression | undefined;
    const find = (n: ts.Node): void => {
      if (init) return;
      if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.name.text === e.text && n.initializer
        && ts.getCombinedNodeFlags(n.parent) & ts.NodeFlags.Const) init = n.initializer;
      ts.forEachChild(n, find);
    };
    if (f.body) find(f.body);
    if (init && ts.isCallExpression(init) && views.has(calleeName(init) ?? '')) return keyOf(init, f, views, depth + 1);
    return e.text;
  }
  return e.getText();
}

/**
 * Functions that pass one of their parameters (through the views) to `seeds`, transitively: the
 * kind's constructors or destructors, each with the index of its page parameter.
 */
function closure(program: ts.Program, root: string, seeds: string[] | Map<string, number>, views: Set<string>): Map<string, number> {
  const names = new Map<string, number>(Array.isArray(seeds) ? seeds.map((n) => [n, 0]) : seeds);
  const fns = program.getSourceFiles().filter((sf) => sf.fileName.startsWith(`${root}/`) && !sf.isDeclarationFile).flatMap(functionsOf);
  for (let changed = true; changed;) {
    changed = false;
    for (const f of fns) {
      const name = fnName(f);
      if (!name || names.has(name)) continue;
      const params = f.parameters.map((p) => (ts.isIdentifier(p.name) ? p.name.text : ''));
      for (const c of callsIn(f)) {
        const at = names.get(calleeName(c) ?? '');
        const arg = at === undefined ? undefined : c.arguments[at];
        const i = arg ? params.indexOf(keyOf(arg, f, views)) : -1;
        if (i >= 0) {
          names.set(name, i);
          changed = true;
          break;
        }
      }
    }
  }
  return names;
}

/** The variable a call's value is stored in, through the views: `const page = f()`, `page = f()`, `slab = page_slab(f())`. */
function storedIn(c: ts.CallExpression, views: Set<string>): string | undefined {
  let n: ts.Node = c;
  for (;;) {
    const p = n.parent;
    if (p && (ts.isParenthesizedExpression(p) || ts.isNonNullExpression(p) || ts.isAsExpression(p))) { n = p; continue; }
    if (p && ts.isCallExpression(p) && p.arguments.length === 1 && p.arguments[0] === n && views.has(calleeName(p) ?? '')) { n = p; continue; }
    break;
  }
  const p = n.parent;
  if (p && ts.isVariableDeclaration(p) && p.initializer === n && ts.isIdentifier(p.name)) return p.name.text;
  if (p && ts.isBinaryExpression(p) && p.operatorToken.kind === ts.SyntaxKind.EqualsToken && p.right === n && ts.isIdentifier(p.left)) return p.left.text;
  return undefined;
}

/** An expression without parentheses, `!`, `as` and the views around it. */
function unview(e: ts.Expression, views: Set<string>): ts.Expression {
  for (;;) {
    if (ts.isParenthesizedExpression(e) || ts.isNonNullExpression(e) || ts.isAsExpression(e)) e = e.expression;
    else if (ts.isCallExpression(e) && e.arguments.length === 1 && views.has(calleeName(e) ?? '')) e = e.arguments[0]!;
    else return e;
  }
}

function isNullish(e: ts.Expression): boolean {
  return e.kind === ts.SyntaxKind.NullKeyword || (ts.isIdentifier(e) && e.text === 'undefined');
}

/** Return statements directly in `f` (not in nested functions). */
function returnsIn(f: ts.FunctionLikeDeclaration): ts.ReturnStatement[] {
  const out: ts.ReturnStatement[] = [];
  const walk = (n: ts.Node): void => {
    if (n !== f && ts.isFunctionLike(n)) return;
    if (ts.isReturnStatement(n)) out.push(n);
    ts.forEachChild(n, walk);
  };
  if (f.body) walk(f.body);
  return out;
}

/** Every value `f` stores in its local `name` (declaration initializers and assignments). */
function valuesOf(f: ts.FunctionLikeDeclaration, name: string): ts.Expression[] {
  const out: ts.Expression[] = [];
  const walk = (n: ts.Node): void => {
    if (n !== f && ts.isFunctionLike(n)) return;
    if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.name.text === name && n.initializer) out.push(n.initializer);
    if (ts.isBinaryExpression(n) && n.operatorToken.kind === ts.SyntaxKind.EqualsToken && ts.isIdentifier(n.left) && n.left.text === name) out.push(n.right);
    ts.forEachChild(n, walk);
  };
  if (f.body) walk(f.body);
  return out;
}

/**
 * Functions that write the page's memdesc field (the spec's `memdesc` page field) of one of their
 * parameters, directly (`page.memdesc = md`) or by passing it on to one that does: code that
 * gives a page its memdesc word by hand (set_page_memdesc()). A page such code describes already
 * has its word; the separation leaves its allocation alone.
 */
function memdescSetters(program: ts.Program, root: string, fns: ts.FunctionLikeDeclaration[], field: string | undefined, views: Set<string>): Map<string, number> {
  const seeds = new Map<string, number>();
  if (!field) return seeds;
  for (const f of fns) {
    const name = fnName(f);
    if (!name) continue;
    const params = f.parameters.map((p) => (ts.isIdentifier(p.name) ? p.name.text : ''));
    const walk = (n: ts.Node): void => {
      if (seeds.has(name) || (n !== f && ts.isFunctionLike(n))) return;
      if (ts.isBinaryExpression(n) && n.operatorToken.kind === ts.SyntaxKind.EqualsToken && ts.isPropertyAccessExpression(n.left) && n.left.name.text === field) {
        const i = params.indexOf(keyOf(n.left.expression, f, views));
        if (i >= 0) seeds.set(name, i);
      }
      ts.forEachChild(n, walk);
    };
    if (f.body) walk(f.body);
  }
  return closure(program, root, seeds, views);
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

/**
 * Allocation helpers, from the data flow: a function whose every return is null or pages fresh
 * from an allocator (`alloc_pages()`, …) or from another such helper — `alloc_slab_page()`
 * returning what `alloc_pages()` gave it — is an allocator wherever it is called; the allocation
 * inside it is what the separation rewrites. Returns of pages the function gives a memdesc word
 * itself are allowed (they already have one) and stay as they are; `described` are the
 * functions all of whose fresh pages are such.
 */
function allocHelpers(fns: ts.FunctionLikeDeclaration[], views: Set<string>, setters: Map<string, number>): { helpers: Map<string, PageHelper>; described: Set<string> } {
  const helpers = new Map<string, PageHelper>();
  const described = new Set<string>();
  for (let changed = true; changed;) {
    changed = false;
    for (const f of fns) {
      const name = fnName(f);
      if (!name || PAGE_ALLOCS[name] || helpers.has(name) || described.has(name)) continue;
      const returns = returnsIn(f);
      if (returns.length === 0) continue;
      const prims: ts.CallExpression[] = [];
      const inner: ts.CallExpression[] = [];
      let self = 0;
      let ok = true;
      const setterKeys = new Set(callsIn(f).flatMap((c) => {
        const arg = pageArg(c, setters);
        return arg ? [keyOf(arg, f, views)] : [];
      }));
      for (const r of returns) {
        if (!r.expression) continue;
        const e = unview(r.expression, views);
        if (isNullish(e)) continue;
        const values = ts.isIdentifier(e) ? valuesOf(f, e.text) : [e];
        if (values.length === 0) { ok = false; break; }
        const mine = ts.isIdentifier(e) && setterKeys.has(e.text);
        for (const v0 of values) {
          const v = unview(v0, views);
          if (isNullish(v)) continue;
          const callee = ts.isCallExpression(v) ? calleeName(v) ?? '' : '';
          if (described.has(callee)) self++;
          else if (PAGE_ALLOCS[callee] && mine) self++;
          else if (PAGE_ALLOCS[callee]) prims.push(v as ts.CallExpression);
          else if (helpers.has(callee) && !mine) inner.push(v as ts.CallExpression);
          else { ok = false; break; }
        }
        if (!ok) break;
      }
      if (!ok) continue;
      if (prims.length + inner.length === 0) {
        if (self > 0) { described.add(name); changed = true; }
        continue;
      }
      const shapes = new Set([...prims.map((c) => PAGE_ALLOCS[calleeName(c)!]!), ...inner.map((c) => helpers.get(calleeName(c)!)!.shape)]);
      if (shapes.size !== 1) continue;
      helpers.set(name, { fn: f, shape: [...shapes][0]!, index: -1, prims, inner });
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
function freeHelpers(fns: ts.FunctionLikeDeclaration[], views: Set<string>, setters: Map<string, number>, dtors: Map<string, number>): Map<string, PageHelper> {
  const helpers = new Map<string, PageHelper>();
  for (let changed = true; changed;) {
    changed = false;
    for (const f of fns) {
      const name = fnName(f);
      if (!name || PAGE_FREES[name] || dtors.has(name) || helpers.has(name)) continue;
      const params = f.parameters.map((p) => (ts.isIdentifier(p.name) ? p.name.text : ''));
      const calls = callsIn(f);
      for (const [index, param] of params.entries()) {
        if (!param) continue;
        const prims = calls.filter((c) => PAGE_FREES[calleeName(c) ?? ''] && c.arguments[0] && keyOf(c.arguments[0], f, views) === param);
        const inner = calls.filter((c) => {
          const h = helpers.get(calleeName(c) ?? '');
          const arg = h ? c.arguments[h.index] : undefined;
          return arg !== undefined && keyOf(arg, f, views) === param;
        });
        const byHand = calls.some((c) => {
          const arg = pageArg(c, setters);
          return arg !== undefined && keyOf(arg, f, views) === param;
        });
        if (prims.length + inner.length === 0 || byHand) continue;
        const shapes = new Set([...prims.map((c) => PAGE_FREES[calleeName(c)!]!), ...inner.map((c) => helpers.get(calleeName(c)!)!.shape)]);
        if (shapes.size !== 1) continue;
        helpers.set(name, { fn: f, shape: [...shapes][0]!, index, prims, inner });
        changed = true;
        break;
      }
    }
  }
  return helpers;
}

/** The allocator or free calls a helper's use rewrites: its own, and those of the helpers it calls, with every helper involved. */
function helperPrims(name: string, helpers: Map<string, PageHelper>, seen = new Set<string>()): { prims: ts.CallExpression[]; used: string[]; inner: ts.CallExpression[] } {
  const h = helpers.get(name)!;
  if (seen.has(name)) return { prims: [], used: [], inner: [] };
  seen.add(name);
  const out = { prims: [...h.prims], used: [name], inner: [...h.inner] };
  for (const c of h.inner) {
    const sub = helperPrims(calleeName(c)!, helpers, seen);
    out.prims.push(...sub.prims);
    out.used.push(...sub.used);
    out.inner.push(...sub.inner);
  }
  return out;
}

/** The page argument of a call to a constructor or destructor in `map`, if it is one. */
function pageArg(c: ts.CallExpression, map: Map<string, number>): ts.Expression | undefined {
  const at = map.get(calleeName(c) ?? '');
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

export function planKind({ program, root, spec, kind, infra }: PlanInput): KindPlan {
  const desc = kind.descriptor!;
  const cls = desc.class;
  const classSf = program.getSourceFiles().find((sf) => sf.fileName.startsWith(`${root}/`)
    && sf.statements.some((s) => ts.isClassDeclaration(s) && s.name?.text === cls));
  if (!classSf) throw new InputError(`${kind.name}: no class ${cls} in the tree (run \`memdesc convert ${kind.name} --write\` first)`);
  const modFile = moduleFileOf(classSf.fileName, kind.name);
  const fromPage = kind.converters.fromPage[0];
  const toPage = kind.converters.toPage[0];
  if (!fromPage || !toPage) throw new InputError(`${kind.name}: the spec names no page/descriptor converters`);
  const empty = { kind: kind.name, texts: new Map<string, string>(), sites: { allocs: [], frees: [] }, layout: [], size: 0 };
  const modSf = program.getSourceFile(modFile);
  if (modSf && modSf.statements.some((s) => ts.isFunctionDeclaration(s) && s.name?.text === fromPage)) return { ...empty, already: true };
  if (modSf) throw new InputError(`${relative(root, modFile)} exists and is not ${kind.name}'s separated converters: refusing to overwrite it`);

  const edits = new Edits();
  const classDecl = classSf.statements.find((s): s is ts.ClassDeclaration => ts.isClassDeclaration(s) && s.name?.text === cls)!;
  const headerBytes = descHeaderBytes(program, root, infra.where, kind.name);
  const wordSize = spec.page.wordSize ?? 8;

  // ---- the layout: the class's offset constants, packed after the header in their old order ----
  const rev = reverseFieldMap(kind);
  const offsetConsts = new Map<string, ts.VariableDeclaration>();
  const fieldOfConst = new Map<string, string[]>();
  const walk = (n: ts.Node): void => {
    if (ts.isBinaryExpression(n) && n.operatorToken.kind === ts.SyntaxKind.PlusToken && ts.isIdentifier(n.right)
      && ts.isPropertyAccessExpression(n.left) && n.left.expression.kind === ts.SyntaxKind.ThisKeyword && n.left.name.text === 'addr') {
      const member = ts.findAncestor(n, (a) => ts.isGetAccessor(a) || ts.isSetAccessor(a) || ts.isMethodDeclaration(a)) as ts.AccessorDeclaration | undefined;
      const field = member && ts.isIdentifier(member.name) ? member.name.text : undefined;
      const decl = classSf.statements.flatMap((s) => (ts.isVariableStatement(s) ? [...s.declarationList.declarations] : []))
        .find((d) => ts.isIdentifier(d.name) && d.name.text === (n.right as ts.Identifier).text);
      if (decl && decl.initializer && ts.isNumericLiteral(decl.initializer) && field) {
        offsetConsts.set((n.right as ts.Identifier).text, decl);
        const list = fieldOfConst.get((n.right as ts.Identifier).text) ?? [];
        if (!list.includes(field)) list.push(field);
        fieldOfConst.set((n.right as ts.Identifier).text, list);
      }
    }
    ts.forEachChild(n, walk);
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
  const jsdoc = ts.getJSDocCommentsAndTags(classDecl).find(ts.isJSDoc);
  const layoutLines = layout.map((l) => ` *   ${String(l.offset).padEnd(4)} ${l.field.padEnd(18)} (was ${spec.page.class}.${l.was})`).join('\n');
  const docText = `/**\n * ${cls}: the memory descriptor of ${kind.description ?? kind.name}, allocated separately from its\n * descriptor cache (stage 2): the memdesc word of each of its pages points here, and the\n * header's back pointer names its first page. ${size} bytes:\n *   0    (back pointer)\n${headerBytes > 8 ? ` *   8    (the kind's header, ${headerBytes - 8} bytes: MEMDESC_${kind.name.toUpperCase()}_HEADER)\n` : ''}${layoutLines}\n */`;
  if (jsdoc) edits.add(classSf, jsdoc.getStart(), jsdoc.getEnd(), docText);
  else edits.add(classSf, classDecl.getStart(), classDecl.getStart(), `${docText}\n`);

  // ---- the overlay assertion goes ----
  const matchName = desc.match ?? `${cls.toUpperCase()}_MATCH`;
  for (const st of classSf.statements) {
    const isMatchFn = ts.isFunctionDeclaration(st) && st.name?.text === matchName;
    const isMatchCall = ts.isExpressionStatement(st) && ts.isCallExpression(st.expression) && calleeName(st.expression) === matchName;
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

  // Importers of the converters take them from the new module.
  for (const sf of program.getSourceFiles()) {
    if (!sf.fileName.startsWith(`${root}/`) || sf.isDeclarationFile || sf === classSf) continue;
    for (const st of sf.statements) {
      if (!ts.isImportDeclaration(st) || !ts.isStringLiteral(st.moduleSpecifier)) continue;
      const target = ts.resolveModuleName(st.moduleSpecifier.text, sf.fileName, program.getCompilerOptions(), ts.sys).resolvedModule?.resolvedFileName;
      if (target !== classSf.fileName) continue;
      const named = st.importClause?.namedBindings;
      if (!named || !ts.isNamedImports(named)) continue;
      const take = named.elements.filter((e) => convNames.has((e.propertyName ?? e.name).text));
      if (take.length === 0) continue;
      const add = `import { ${take.map((e) => e.getText()).join(', ')} } from '${importPath(sf.fileName, modFile)}';`;
      if (take.length === named.elements.length && !st.importClause!.name) edits.add(sf, st.getStart(), st.getEnd(), add);
      else {
        removeElements(sf, named.elements, new Set(take), edits);
        edits.add(sf, st.getEnd(), st.getEnd(), `\n${add}`);
      }
    }
  }
  // Users of the converters inside the class's file itself would need the import there: refuse
  // rather than close the cycle the module exists to avoid.
  const selfUse = classSf.statements.some((s) => !(ts.isFunctionDeclaration(s) && s.name && convNames.has(s.name.text))
    && new RegExp(`\\b(${[...convNames].join('|')})\\(`).test(s.getText()));
  if (selfUse) throw new InputError(`${relative(root, classSf.fileName)} calls ${[...convNames].join('/')} itself: move that code first`);

  // ---- allocation and free sites ----
  const test = kind.pageTypeTests[0];
  const testName = typeof test === 'string' ? test : (test as { name?: string } | undefined)?.name;
  if (!testName || !testName.startsWith('Page')) throw new InputError(`${kind.name}: the spec names no page-type test (PageX) to find its constructor by`);
  const typeName = testName.slice('Page'.length);
  const toAddr = spec.page.addressHelpers?.toAddress ?? 'page_address';
  const fromAddr = spec.page.addressHelpers?.fromAddress ?? 'virt_to_page';
  const views = new Set([fromAddr, toAddr, ...kind.converters.fromPage, ...kind.converters.toPage, ...kind.converters.fromAddress, ...(kind.converters.toAddress ?? [])]);
  const ctors = closure(program, root, [`__SetPage${typeName}`, `SetPage${typeName}`], views);
  const dtorSeeds = new Map([`__ClearPage${typeName}`, `ClearPage${typeName}`].map((n) => [n, 0]));
  const dtors = closure(program, root, [...dtorSeeds.keys()], views);
  const allFns = program.getSourceFiles().filter((x) => x.fileName.startsWith(`${root}/`) && !x.isDeclarationFile).flatMap(functionsOf);
  // Allocations and frees through helpers, and pages given their memdesc word by hand.
  const memdescField = spec.page.fields.some((f) => f.name === 'memdesc') ? 'memdesc' : undefined;
  const setters = memdescSetters(program, root, allFns, memdescField, views);
  const { helpers: allocVia } = allocHelpers(allFns, views, setters);
  const freeVia = freeHelpers(allFns, views, setters, dtors);
  // Destructors that free the page themselves (pte_free()): a call to one is the free.
  const freeing = new Set<string>();
  for (let changed = true; changed;) {
    changed = false;
    for (const f of allFns) {
      const name = fnName(f);
      const at = name === undefined ? undefined : dtors.get(name);
      if (!name || at === undefined || freeing.has(name)) continue;
      const p = f.parameters[at];
      if (!p || !ts.isIdentifier(p.name)) continue;
      const mine = p.name.text;
      if (callsIn(f).some((c) => {
        const callee = calleeName(c) ?? '';
        const via = freeVia.get(callee);
        const arg = PAGE_FREES[callee] ? c.arguments[0] : via ? c.arguments[via.index] : freeing.has(callee) ? pageArg(c, dtors) : undefined;
        return arg !== undefined && keyOf(arg, f, views) === mine;
      })) {
        freeing.add(name);
        changed = true;
      }
    }
  }
  const need = new Set<string>();
  const allocs: string[] = [];
  const frees: string[] = [];
  const unfollowed: string[] = [];
  const sitesFiles = new Map<ts.SourceFile, Set<string>>();
  const replaced = new Map<ts.SourceFile, Map<string, number>>();
  const count = (sf: ts.SourceFile, callee: string) => {
    const m = replaced.get(sf) ?? new Map<string, number>();
    replaced.set(sf, m);
    m.set(callee, (m.get(callee) ?? 0) + 1);
  };
  const where = (sf: ts.SourceFile, n: ts.Node) => `${relative(root, sf.fileName)}:${sf.getLineAndCharacterOfPosition(n.getStart()).line + 1}`;
  const fn = (k: string) => `${kind.name}_${k}`;
  // A kind with several tags (a folio: file or anon) gets its tag per allocation site from the
  // code, or the site is unknown and the plan refuses (separateMultiTag.ts).
  const tags = kindTags(program, root, infra.where, kind.name, infra.accessor);
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
    const callee = calleeName(c)!;
    const shape = alloc ? PAGE_ALLOCS[callee]! : PAGE_FREES[callee]!;
    const order = WITH_ORDER.has(callee) ? c.arguments[1]!.getText() : '0';
    const helper = alloc ? (shape === 'page' ? fn('alloc_pages') : fn('get_free_pages')) : (shape === 'page' ? fn('free_pages') : fn('free_pages_addr'));
    need.add(helper);
    if (shape === 'address') need.add(alloc ? fn('alloc_pages') : fn('free_pages'));
    edits.add(sf, c.getStart(), c.getEnd(), `${helper}(${c.arguments[0]!.getText()}, ${order}${alloc && multi ? `, ${tagOf(c)}` : ''})`);
    count(sf, callee);
    if (!sitesFiles.has(sf)) sitesFiles.set(sf, new Set());
    sitesFiles.get(sf)!.add(helper);
  };
  // Helper calls the sites account for, and the helpers whose insides were rewritten for them.
  const siteCalls = new Set<ts.CallExpression>();
  const innerCalls = new Set<ts.CallExpression>();
  const usedHelpers = new Map<string, 'allocates' | 'frees'>();
  const useHelper = (c: ts.CallExpression, helpers: Map<string, PageHelper>, verb: 'allocates' | 'frees'): void => {
    siteCalls.add(c);
    const { prims, used, inner } = helperPrims(calleeName(c)!, helpers);
    for (const p of prims) rewrite(p, verb === 'allocates');
    for (const u of used) usedHelpers.set(u, verb);
    for (const i of inner) innerCalls.add(i);
  };
  for (const sf of program.getSourceFiles()) {
    if (!sf.fileName.startsWith(`${root}/`) || sf.isDeclarationFile || sf.fileName === modFile) continue;
    for (const f of functionsOf(sf)) {
      const name = fnName(f);
      const calls = callsIn(f);
      const keysOf = (map: Map<string, number>) => new Set(calls.flatMap((c) => {
        const arg = pageArg(c, map);
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
        const callee = calleeName(c) ?? '';
        const via = allocVia.get(callee);
        if (!PAGE_ALLOCS[callee] && !via) continue;
        const k = storedIn(c, views);
        if (k === undefined || !ctorKeys.has(k) || (!via && byHand.has(k))) continue;
        allocKeys.add(k);
        if (via) useHelper(c, allocVia, 'allocates');
        else rewrite(c, true);
        allocs.push(`${where(sf, c)} ${name ?? '(anonymous)'}()${via ? ` via ${callee}()` : ''}`);
      }
      const freedKeys = new Set<string>();
      for (const c of calls) {
        const callee = calleeName(c) ?? '';
        const via = freeVia.get(callee);
        const arg = PAGE_FREES[callee] ? c.arguments[0] : via ? c.arguments[via.index] : undefined;
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
        frees.push(`${where(sf, c)} ${name ?? '(anonymous)'}()${via ? ` via ${callee}()` : ''}`);
      }
      // A page constructed here that was not allocated here, or destructed here and not freed
      // here (outside the constructors and destructors themselves, which pass their parameter
      // on): its allocation or free is somewhere this plan cannot follow. Refuse rather than
      // leave a page of the kind without its memdesc word.
      const own = (k: string) => f.parameters.some((p) => ts.isIdentifier(p.name) && p.name.text === k);
      for (const c of calls) {
        const callee = calleeName(c) ?? '';
        for (const [map, done, verb, how] of [[ctors, allocKeys, 'constructs', PAGE_ALLOCS], [dtors, freedKeys, 'destructs', PAGE_FREES]] as const) {
          const arg = pageArg(c, map);
          if (!arg) continue;
          const k = keyOf(arg, f, views);
          if ((name && map.has(name) && own(k)) || done.has(k) || byHand.has(k) || (map === dtors && freeing.has(callee))) continue;
          unfollowed.push(`${where(sf, c)}: ${name ?? '(anonymous)'}() ${verb} \`${arg.getText()}\` with ${callee}() but does not ${verb === 'constructs' ? 'allocate' : 'free'} it with one of ${Object.keys(how).join(', ')} (or a helper returning, or freeing, what one of them gives)`);
        }
      }
    }
  }
  // A helper whose inside was rewritten serves every caller it has: each must be a site of the
  // kind (or another such helper), else pages of other kinds would get this kind's descriptor.
  for (const [helper, verb] of usedHelpers) {
    for (const sf of program.getSourceFiles()) {
      if (!sf.fileName.startsWith(`${root}/`) || sf.isDeclarationFile) continue;
      const walk = (n: ts.Node): void => {
        if (ts.isIdentifier(n) && n.text === helper && !ts.isImportSpecifier(n.parent) && !ts.isExportSpecifier(n.parent)
          && !((ts.isFunctionDeclaration(n.parent) || ts.isVariableDeclaration(n.parent)) && n.parent.name === n)) {
          const call = ts.isCallExpression(n.parent) && n.parent.expression === n ? n.parent : undefined;
          if (!call || (!siteCalls.has(call) && !innerCalls.has(call))) {
            const at = ts.findAncestor(n, (a) => ts.isFunctionLike(a) && !!(a as ts.FunctionLikeDeclaration).body) as ts.FunctionLikeDeclaration | undefined;
            unfollowed.push(`${where(sf, n)}: ${at ? `${fnName(at) ?? '(anonymous)'}()` : 'top level'} ${call ? 'calls' : 'uses'} ${helper}(), which ${verb} ${kind.name}'s pages, ${call ? `for pages that are not ${kind.name}'s` : 'as a value'}`);
          }
        }
        ts.forEachChild(n, walk);
      };
      walk(sf);
    }
  }
  if (unfollowed.length > 0) {
    throw new CheckFailed(`${kind.name}: ${unfollowed.length} site${unfollowed.length === 1 ? '' : 's'} the separation cannot follow (first: ${unfollowed[0]}); nothing was written`);
  }
  // A kind no page-type setter constructs (a folio) has allocators of its own: the spec's
  // provenance calls the tree declares, returning what a page allocator gave them.
  for (const { provider, call } of providerAllocations(program, root, kind, new Set(Object.keys(PAGE_ALLOCS)))) {
    if (rewritten.has(call)) continue;
    rewrite(call, true);
    const tag = siteTag.get(call);
    allocs.push(`${where(call.getSourceFile(), call)} ${provider}()${tag && multi ? ` (${tagWord(tag)})` : ''}`);
  }
  if (unknownTags.length > 0) {
    throw new CheckFailed(`${kind.name}: ${unknownTags.length} allocation site${unknownTags.length === 1 ? '' : 's'} of unknown tag (first: ${unknownTags[0]}); nothing was written`);
  }
  if (allocs.length === 0) throw new InputError(`${kind.name}: no allocation site found (a page allocation, directly or through a helper returning it, whose page reaches __SetPage${typeName}() in the same function)`);
  // Allocator imports that only the rewritten calls used go.
  dropRewrittenImports(replaced, edits);
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
