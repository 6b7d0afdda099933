/**
 * Data-flow facts the provenance pass follows beyond locals, returns and parameters, all found in
 * the code (symbols, types, declarations), never in names of variables or files:
 *
 * - Type marks. A kind's page-type test (the spec's `PageSlab`) is code: the constants its body
 *   reads (`PGTY_slab`, `PG_lru`, `PAGE_MAPPING_ANON`) are that kind's markers. A call that
 *   hands a page and a marker to a non-test function (`__set_page_type(p, PGTY_slab)`), or a
 *   write of a marker into a page's word (`page.mapping = av | PAGE_MAPPING_ANON`), handles the
 *   page as that kind. A function that does so unconditionally to its parameter marks what its
 *   callers pass (`__SetPageSlab(page)`, `set_buddy_order(page, order)`), transitively.
 * - Containers, field-sensitive. A page stored into a container (a list head linked with the
 *   page's list node, an array's `push`/index, a `Map.set`, a `Set.add`, an object field) is
 *   what a page loaded back from that container is. A container is named by the declaration
 *   that owns it: the struct field or method a list head comes from (`FreeArea.free_list`,
 *   `KmemCacheNode.partial`), a module variable (`pgd_list`), a function returning it, a local.
 *   The kinds of a container are the join of what is stored into it, plus the spec's
 *   kind-specific allocators that are defined in the project and return what they load from it.
 */
import { ts } from '@ts-morph/common';
import { tsv } from './tsValues.ts';
import { assignmentsNamed, enclosingFunction, functionName, identifiersNamed, isFunctionLike, shortText, skipOuter, type FunctionLike } from './ast.ts';
import type { AnalysisContext } from './context.ts';
import type { FieldMarker } from './typeTests.ts';
import { matchName } from './glob.ts';
import { neverReturns, runFlow, type State } from './reach.ts';

/** One place where the code handles a variable's page as a kind. */
export interface Mark {
  kind: string;
  /** "`__SetPageSlab(page)` at mm/slub.ts:586" */
  text: string;
  at: string;
  /** The call or statement that marks. */
  node: ts.Node;
  /**
   * Set for a call of a function that does more than mark its page (`set_buddy_order()`,
   * `free_one_page()`): the page is that kind from the call on, not before it (it may be
   * another kind until then). A pure marker (`__ClearPageSlab(page)`) speaks for the whole function.
   */
  from?: number;
  /** What the mark's verdict rests on beyond its own line (the kind's test bodies, for a field write). */
  deps?: readonly string[];
}

interface Summary {
  kind: string;
  text: string;
  at: string;
  /** The function does nothing but mark its page (one statement). */
  pure: boolean;
}

/** The container a value is stored in or loaded from: a declaration's symbol. */
export type Key = ts.Symbol;

export interface Store {
  value: ts.Expression;
  /** The storing call or assignment. */
  node: ts.Node;
  /** "`list_add(page.lru, n.partial)`" */
  text: string;
  at: string;
}

const MAX_ROUNDS = 8;
/**
 * A dependency on the code of a top-level declaration (memdesc track): `body:mm/slub.ts#alloc_slab_page`.
 * A query that looks inside a function's body (its returns, what it does to its parameters) names
 * the declaration holding it, so a dependent is redone exactly when a body it read changes.
 */
export const BODY_DEP = 'body:';
/**
 * A query's dependencies (memdesc track): names (provenance.ts FILE_DEP, NAME_DEP, BODY_DEP,
 * function names) and the finished sets of the queries it asked, shared by reference (never
 * changed once their query is done).
 */
export type Deps = Set<string | Deps>;

/** Add the names in `deps` to `out`; `seen`: sets already added (shared ones are walked once). */
export function flattenDeps(deps: Deps, out: Set<string>, seen: Set<Deps> = new Set()): void {
  if (seen.has(deps)) return;
  seen.add(deps);
  for (const d of deps) {
    if (typeof d === 'string') out.add(d);
    else flattenDeps(d, out, seen);
  }
}

/** provenance.ts FILE_DEP (a whole file), declared here where both passes see it. */
const FILE_READ = 'file:';
/**
 * A dependency on every declaration that may mark a module variable of that name (memdesc track):
 * `marked:current`. A mark may come from any file (another file's function writing the
 * marker into it), which its readers need not reach by name.
 */
export const MARKED_DEP = 'marked:';
/**
 * A dependency on every top-level declaration whose name matches a glob (memdesc track):
 * `declared:alloc_slab_page`. The spec's allocators are found by name in the whole program, so
 * one declared in a file no reader reaches (the first of its name) seeds containers too.
 */
export const DECLARED_DEP = 'declared:';

/** The BODY_DEP of the top-level declaration holding `n` (undefined in a declaration file or a statement that declares no name). */
export function bodyDep(ctx: AnalysisContext, n: ts.Node): string | undefined {
  let st: ts.Node = n;
  while (st.parent && !tsv.isSourceFile(st.parent)) st = st.parent;
  const sf = st.parent;
  if (!sf || !tsv.isSourceFile(sf) || sf.isDeclarationFile) return undefined;
  let name: string | undefined;
  if ((tsv.isFunctionDeclaration(st) || tsv.isClassDeclaration(st)) && st.name) name = st.name.text;
  else if (tsv.isVariableStatement(st)) {
    const d = st.declarationList.declarations[0];
    if (d && tsv.isIdentifier(d.name)) name = d.name.text;
  }
  return name === undefined ? undefined : `${BODY_DEP}${ctx.rel(sf)}#${name}`;
}
/** Whether module-level `decl` (named `name`) is exported: by a modifier, or by an export statement naming it (syntax only). */
function exported(decl: ts.Declaration, name: string): boolean {
  if (tsv.getCombinedModifierFlags(decl) & tsv.ModifierFlags.Export) return true;
  return decl.getSourceFile().statements.some((st) => (tsv.isExportDeclaration(st) && !st.moduleSpecifier && (!st.exportClause ||
    (tsv.isNamedExports(st.exportClause) && st.exportClause.elements.some((e) => (e.propertyName ?? e.name).text === name)))) ||
    (tsv.isExportAssignment(st) && tsv.isIdentifier(skipOuter(st.expression)) && (skipOuter(st.expression) as ts.Identifier).text === name));
}

/** A mark found where it is made (a marker's use, a field write), before the marks it implies. */
interface DirectMark {
  fn: FunctionLike | undefined;
  node: ts.Node;
  target: ts.Expression;
  kind: string;
  text: string;
  from?: number;
  deps?: readonly string[];
}

/** The candidate bucket of containers named through a local, a parameter or a call. */
const INDIRECT = '\0indirect';

export class DataFlow {
  private markerConsts = new Map<ts.Symbol, string>();
  private testBodies = new Set<ts.Node>();
  /** Variable symbol -> marks on it (in the function or file declaring it). */
  private marks = new Map<ts.Symbol, Mark[]>();
  /** Array/collection symbol -> marks on its elements (`__ClearPageZsmalloc(pages[i])`). */
  private elementMarks = new Map<ts.Symbol, Mark[]>();
  /** Function -> parameter index -> the kind it marks unconditionally. */
  private summaries = new Map<FunctionLike, Map<number, Summary | null>>();
  /** Function -> parameter index -> the summary a conflict overturned (null in `summaries` now). */
  private overturned = new Map<FunctionLike, Map<number, Summary>>();
  private storesByKey?: Map<Key, Store[]>;
  private keyMemo = new Map<ts.Node, Key[]>();
  private keyBusy = new Set<ts.Node>();
  /**
   * memdesc track: where the bodies and callers a query reads are reported (Provenance's
   * dependencies); memoized answers keep theirs and report them again on every hit.
   */
  onRead?: (d: string | Deps) => void;
  private readFrames: Deps[] = [];
  private keyReads = new Map<ts.Node, Deps>();

  /** `isTest`: whether a function the spec names as a type test is one by its code (typeTests.ts); a namesake's constants mark nothing. */
  /**
   * `fieldMarker`: writes that make a kind's test hold (`s.tag = 'entry'`, TypeTests.fieldMarker()),
   * marks from the write on.
   */
  constructor(private ctx: AnalysisContext, private functions: Map<string, ts.Node[]>, private calls: Map<string, ts.CallExpression[]>,
    private isTest: (fn: FunctionLike) => boolean = () => true, private fieldMarker?: FieldMarker) {
    this.findMarkerConsts();
    if (this.markerConsts.size > 0 || fieldMarker) this.findMarks();
  }

  /**
   * memdesc track: per function that marks a parameter, what its callers' marks are made of — per
   * parameter index, the summary (kind, text, pure) or null after a conflict, with the summary
   * the conflict overturned. A body edit that keeps this keeps every caller's marks.
   */
  paramSummaries(): Map<FunctionLike, string> {
    const out = new Map<FunctionLike, string>();
    for (const [fn, m] of this.summaries) {
      const parts = [...m].sort((a, b) => a[0] - b[0]).map(([i, s]) => {
        const was = this.overturned.get(fn)?.get(i);
        return JSON.stringify([i, s && [s.kind, s.text, s.pure], was && [was.kind, was.text, was.pure]]);
      });
      if (parts.length > 0) out.set(fn, parts.join('\n'));
    }
    return out;
  }

  /* ---------------------------------------------------------------- type marks */

  private findMarkerConsts(): void {
    const shared = new Set<ts.Symbol>();
    for (const k of this.ctx.spec.kinds) {
      for (const t of k.pageTypeTests) {
        for (const n of this.functions.get(t.name) ?? []) {
          const fn = isFunctionLike(n) ? n : undefined;
          if (!fn?.body || fn.getSourceFile().isDeclarationFile || !this.isTest(fn)) continue;
          this.testBodies.add(fn);
          const visit = (x: ts.Node): void => {
            if (tsv.isIdentifier(x)) {
              // A module constant, or a member of an enum (`BufKind.Rx`: the member, not the enum).
              const member = tsv.isPropertyAccessExpression(x.parent) && x.parent.name === x;
              const sym = this.ctx.symbolOf(x);
              if (sym && (member ? !!(sym.flags & tsv.SymbolFlags.EnumMember) : isModuleConstant(sym))) {
                const prev = this.markerConsts.get(sym);
                if (prev !== undefined && prev !== k.name) shared.add(sym);
                this.markerConsts.set(sym, k.name);
              }
            }
            tsv.forEachChild(x, visit);
          };
          visit(fn.body);
        }
      }
    }
    for (const s of shared) this.markerConsts.delete(s);
  }

  private findMarks(): void {
    const names = new Set([...this.markerConsts.keys()].map((s) => s.name));
    const re = names.size > 0 ? new RegExp(`\\b(?:${[...names].join('|')})\\b`) : undefined;
    const direct: DirectMark[] = [];
    const inTest = (n: ts.Node): boolean => this.testBodies.has(n);
    for (const sf of this.ctx.files) {
      if (!re?.test(sf.text)) continue;
      for (const id of identifiersNamed(sf, names, inTest)) this.markerUse(id, sf, direct);
    }
    if (this.fieldMarker) this.findFieldMarks(this.fieldMarker, direct);
    // Level 1: the marker itself.
    for (const d of direct) this.addMark(d.target, d.kind, d.node, d.text, d.fn, d.from, d.deps);
    // Transitive: calls of functions that mark their parameter unconditionally, to a fixed point.
    // Each (call, parameter) is marked once, whatever the round.
    const done = new Map<ts.CallExpression, Set<number>>();
    for (let round = 0, changed = true; round < MAX_ROUNDS && changed; round++) {
      changed = false;
      for (const [f, sum] of [...this.summaries]) {
        const name = functionName(f);
        if (!name) continue;
        for (const call of this.callsTo(name, f)) {
          for (const [i, s] of sum) {
            const arg = call.arguments[i];
            if (!s || !arg) continue;
            let seen = done.get(call);
            if (!seen) done.set(call, seen = new Set());
            if (seen.has(i)) continue;
            seen.add(i);
            const sf = call.getSourceFile();
            if (this.addMark(arg, s.kind, call, `\`${shortText(call, sf, 50)}\`, and \`${name}()\` ${s.text}`, enclosingFunction(call), s.pure ? undefined : call.getEnd())) changed = true;
          }
        }
      }
    }
  }

  /**
   * Writes of a value that makes a kind's test hold (`s.tag = 'entry'`): the object is that kind
   * from the write on (before it, it may be another: a slot being taken from the free list).
   */
  private findFieldMarks(fm: FieldMarker, out: DirectMark[]): void {
    const re = new RegExp(`\\.(?:${[...fm.fields].join('|')})\\s*=(?!=)`);
    for (const sf of this.ctx.files) {
      if (!re.test(sf.text)) continue;
      const visit = (n: ts.Node): void => {
        if (tsv.isBinaryExpression(n) && n.operatorToken.kind === tsv.SyntaxKind.EqualsToken) {
          const l = skipOuter(n.left);
          if (tsv.isPropertyAccessExpression(l) && fm.fields.has(l.name.text)) {
            const kind = fm.kindOf(n);
            if (kind && this.isPage(l.expression)) {
              out.push({ fn: enclosingFunction(n), node: n, target: l.expression, kind, from: n.getEnd(), deps: fm.deps,
                text: `\`${shortText(n, sf, 60)}\` makes it what ${kind}'s type test checks` });
            }
          }
        }
        tsv.forEachChild(n, visit);
      };
      visit(sf);
    }
  }

  /** A use of a marker constant: a call marking its page arguments, or a write of the marker into a page word. */
  private markerUse(id: ts.Identifier, sf: ts.SourceFile, out: DirectMark[]): void {
    const sym = this.ctx.symbolOf(id);
    const kind = sym && this.markerConsts.get(sym);
    if (!kind) return;
    if (tsv.isVariableDeclaration(id.parent) && id.parent.name === id) return;
    // An enum member is used as `E.M`: the access is the value.
    let arg: ts.Node = tsv.isPropertyAccessExpression(id.parent) && id.parent.name === id ? id.parent : id;
    while (arg.parent && (tsv.isParenthesizedExpression(arg.parent) || tsv.isBinaryExpression(arg.parent) && arg.parent.operatorToken.kind !== tsv.SyntaxKind.EqualsToken)) arg = arg.parent;
    const p = arg.parent;
    const fn = enclosingFunction(id);
    if (p && tsv.isCallExpression(p) && p.arguments.includes(arg as ts.Expression)) {
      // A test (boolean result) tells nothing by itself; guards read tests.
      const t = this.ctx.checker.getTypeAtLocation(p);
      if (t.flags & tsv.TypeFlags.BooleanLike) return;
      for (const a of p.arguments) {
        if (a === arg || !this.isPage(a)) continue;
        out.push({ fn, node: p, target: a, kind, text: `\`${shortText(p, sf, 60)}\` sets or clears ${kind}'s marker \`${id.text}\`` });
      }
      return;
    }
    if (p && tsv.isBinaryExpression(p) && p.operatorToken.kind === tsv.SyntaxKind.EqualsToken && p.right === arg) {
      const l = skipOuter(p.left);
      if ((tsv.isPropertyAccessExpression(l) || tsv.isElementAccessExpression(l)) && this.isPage(l.expression)) {
        out.push({ fn, node: p, target: l.expression, kind, text: `\`${shortText(p, sf, 60)}\` writes ${kind}'s marker \`${id.text}\`` });
      }
    }
  }

  private isPage(e: ts.Expression): boolean {
    return this.ctx.typeIsPage(this.ctx.checker.getTypeAtLocation(e));
  }

  /** The kind whose marker `e` is (a module constant or enum member a kind's type test reads), if any. */
  markerKindOf(e: ts.Expression): string | undefined {
    const x = skipOuter(e);
    const id = tsv.isPropertyAccessExpression(x) ? x.name : x;
    if (!tsv.isIdentifier(id)) return undefined;
    const sym = this.ctx.symbolOf(id);
    return sym && this.markerConsts.get(sym);
  }

  /** Record a mark on `target` (a variable, or an element of an array variable); maybe a summary of `fn`. */
  private addMark(target: ts.Expression, kind: string, node: ts.Node, text: string, fn: FunctionLike | undefined, from?: number, deps?: readonly string[]): boolean {
    const t = skipOuter(target);
    const sf = node.getSourceFile();
    const mark: Mark = { kind, text, at: this.ctx.at(sf, node), node, ...(from !== undefined ? { from } : {}), ...(deps?.length ? { deps } : {}) };
    if (tsv.isElementAccessExpression(t) && tsv.isIdentifier(skipOuter(t.expression))) {
      const s = this.ctx.symbolOf(skipOuter(t.expression));
      if (!s) return false;
      const l = this.elementMarks.get(s) ?? [];
      if (l.some((m) => m.node === node)) return false;
      l.push(mark);
      this.elementMarks.set(s, l);
      return true;
    }
    if (!tsv.isIdentifier(t)) return false;
    const s = this.ctx.symbolOf(t);
    if (!s) return false;
    const l = this.marks.get(s) ?? [];
    if (l.some((m) => m.node === node)) return false;
    l.push(mark);
    this.marks.set(s, l);
    // A parameter marked unconditionally: the function marks what its callers pass.
    const decl = s.valueDeclaration;
    if (fn && decl && tsv.isParameter(decl) && decl.parent === fn && this.onEveryPath(node, fn)) {
      const i = fn.parameters.indexOf(decl);
      const m = this.summaries.get(fn) ?? new Map<number, Summary | null>();
      const prev = m.get(i);
      if (prev === undefined) m.set(i, { kind, text: `marks its parameter ${kind} at ${mark.at}`, at: mark.at, pure: isPure(fn) });
      else if (prev && prev.kind !== kind) {
        m.set(i, null);
        // Callers marked before the conflict keep that mark: the summary it was is part of what they read (paramSummaries).
        (this.overturned.get(fn) ?? this.overturned.set(fn, new Map()).get(fn)!).set(i, prev);
      }
      this.summaries.set(fn, m);
    }
    return true;
  }

  private calleeMemo = new Map<ts.CallExpression, FunctionLike | undefined>();
  /** Calls of a name by the function they resolve to: one resolution per call, not per question. */
  private byCallee = new Map<string, Map<FunctionLike, ts.CallExpression[]>>();

  /** The calls named `name` that resolve to `fn`, in the order the finder met them. */
  private callsTo(name: string, fn: FunctionLike): ts.CallExpression[] {
    let m = this.byCallee.get(name);
    if (!m) {
      m = new Map();
      for (const call of this.calls.get(name) ?? []) {
        const f = this.callee(call);
        if (!f) continue;
        const l = m.get(f);
        if (l) l.push(call);
        else m.set(f, [call]);
      }
      this.byCallee.set(name, m);
    }
    return m.get(fn) ?? [];
  }

  private callee(call: ts.CallExpression): FunctionLike | undefined {
    if (this.calleeMemo.has(call)) return this.calleeMemo.get(call);
    const f = this.resolveCallee(call);
    this.calleeMemo.set(call, f);
    return f;
  }

  private resolveCallee(call: ts.CallExpression): FunctionLike | undefined {
    const callee = skipOuter(call.expression);
    const sym = this.ctx.symbolOf(tsv.isPropertyAccessExpression(callee) ? callee.name : callee);
    for (const d of sym?.declarations ?? []) {
      if (isFunctionLike(d)) return d;
      if (tsv.isVariableDeclaration(d) && d.initializer) {
        const init = skipOuter(d.initializer);
        if (isFunctionLike(init)) return init;
      }
    }
    return undefined;
  }

  /** Marks on the elements of an array variable (`__ClearPageZsmalloc(pages[i])`): they speak for the collection. */
  elementMarksOf(id: ts.Identifier): Mark[] {
    const s = this.ctx.symbolOf(id);
    if (s) this.moduleMarks(s);
    return (s && this.elementMarks.get(s)) || [];
  }

  /**
   * memdesc track: a module variable is marked anywhere in its file, so its marks read all of it,
   * and in any other file naming it (MARKED_DEP). (What a function does to its parameters is no
   * query's own read: memdesc track keeps such bodies with their callers, deps.ts `mayMarkParameter`.)
   */
  private moduleMarks(s: ts.Symbol): void {
    if (!this.onRead) return;
    const decl = s.valueDeclaration ?? s.declarations?.[0];
    if (!decl || enclosingFunction(decl)) return;
    const sf = decl.getSourceFile();
    if (sf.isDeclarationFile) return;
    this.read(`${FILE_READ}${this.ctx.rel(sf)}`);
    // Only an exported variable can be marked from another file.
    if (exported(decl, s.name)) this.read(`${MARKED_DEP}${s.name}`);
  }

  /**
   * The marks that hold where `id` is read, by the paths through its function: `must`, the
   * last mark on every path to the read (the value was not assigned since); `may`, marks on
   * some paths to it but not on others (a conflict: the other paths' value is unmarked). A
   * mark after a call that does more than mark (`releaseSlot(s)`) holds from the call on; a
   * pure marker or a marker write (`__ClearPageSlab(page)`, `s.flags = FLAG_FREE`) also speaks
   * for the value before it when every path from the read to a normal exit passes it.
   */
  marksAt(id: ts.Identifier): { must: Mark[]; may: Mark[] } {
    const r = this.marksAtUnreported(id);
    for (const m of [...r.must, ...r.may]) for (const d of m.deps ?? []) this.onRead?.(d);
    return r;
  }

  private marksAtUnreported(id: ts.Identifier): { must: Mark[]; may: Mark[] } {
    const s = this.ctx.symbolOf(id);
    if (s) this.moduleMarks(s);
    const all = (s && this.marks.get(s)) || [];
    if (!s || all.length === 0) return { must: [], may: [] };
    const root = scopeOf(s);
    const probe = root && probeIn(id, root);
    const byPosition = (): Mark[] => {
      const at = id.getStart();
      return all.filter((m) => m.from === undefined || at >= m.from && id.getSourceFile() === m.node.getSourceFile());
    };
    // A read outside the variable's own function body (a closure elsewhere): by position, as written.
    if (!root || !probe) return { must: byPosition(), may: [] };
    const r = this.pathMarks(id, s, all, root, probe);
    // A page handed to a call (what a caller passes, for the call graph) that no mark reaches
    // on any path still sees the marks before it by position: not yet flow-sensitive there
    // (docs/classification.md, Not yet). A mark on every path, or on some only, counts as at any read.
    if (r.must.length === 0 && r.may.length === 0 && isCallArgument(id)) return { must: byPosition(), may: [] };
    return r;
  }

  private pathMarks(id: ts.Identifier, s: ts.Symbol, all: Mark[], root: ts.Node, probe: ts.Node): { must: Mark[]; may: Mark[] } {
    const inRoot = all.filter((m) => probeIn(m.node, root) === m.node);
    // A marker write or pure marker applied to this very read (`page.mapping = av | PAGE_MAPPING_ANON`).
    const own = inRoot.filter((m) => m.from === undefined && m.node.pos <= id.pos && id.end <= m.node.end);
    if (own.length > 0) return { must: own, may: [] };
    const fwd = this.forward(s, root, inRoot).get(probe);
    if (!fwd || fwd.size === 0) return { must: [], may: [] };
    const marks = [...fwd].filter((i) => i > 0).map((i) => inRoot[i - 1]!);
    if (!fwd.has(0)) return { must: marks, may: [] };
    // Unmarked on some path to the read: a pure marker or marker write after it still speaks for it.
    const whole = inRoot.filter((m) => m.from === undefined && !marks.includes(m));
    if (whole.length > 0) {
      const after = this.ahead(s, root, probe, whole);
      if (after.hits.length > 0 && !after.escapes && marks.length === 0) return { must: after.hits, may: [] };
      if (after.hits.length > 0) return { must: [], may: [...marks, ...after.hits] };
    }
    return { must: [], may: marks };
  }

  private flowMemo = new Map<ts.Symbol, Map<ts.Node, State>>();

  /** The state at every read of `sym` in `root`: 0 = unmarked since defined, i = the last mark was `marks[i - 1]`. */
  private forward(sym: ts.Symbol, root: ts.Node, marks: Mark[]): Map<ts.Node, State> {
    let m = this.flowMemo.get(sym);
    if (m) return m;
    m = new Map<ts.Node, State>();
    const at = m;
    const gen = new Map<ts.Node, number>();
    marks.forEach((mk, i) => gen.set(mk.node, i + 1));
    const unmarked: State = new Set([0]);
    runFlow(root, unmarked, {
      before: (n, st) => {
        if (tsv.isIdentifier(n) && n.text === sym.name && this.ctx.symbolOf(n) === sym || n !== root && isFunctionLike(n)) {
          const prev = at.get(n);
          at.set(n, prev ? new Set([...prev, ...st]) : st);
        }
      },
      after: (n, st) => {
        const g = gen.get(n);
        if (g !== undefined) return new Set([g]);
        if (this.defines(n, sym)) return unmarked;
        return st;
      },
      noReturn: (c) => this.ctx.mayNeverReturn(c.expression) && neverReturns(c, (x) => this.ctx.symbolOf(x)),
    });
    this.flowMemo.set(sym, m);
    return m;
  }

  /** From `probe` on: the `marks` some path reaches before the value is assigned again, and whether a path ends without one. */
  private ahead(sym: ts.Symbol, root: ts.Node, probe: ts.Node, marks: Mark[]): { hits: Mark[]; escapes: boolean } {
    const hits = new Set<Mark>();
    const byNode = new Map(marks.map((mk) => [mk.node, mk] as const));
    const live: State = new Set([1]);
    const dead: State = new Set([0]);
    const exit = runFlow(root, dead, {
      before: (n, st) => {
        if (n === probe) return live;
        const mk = byNode.get(n);
        if (mk && st.has(1)) hits.add(mk);
        return undefined;
      },
      after: (n, st) => {
        if (byNode.has(n) && st.has(1)) return dead;
        if (this.defines(n, sym)) return dead;
        return st;
      },
      noReturn: (c) => this.ctx.mayNeverReturn(c.expression) && neverReturns(c, (x) => this.ctx.symbolOf(x)),
    });
    return { hits: [...hits], escapes: exit.has(1) };
  }

  /** Does `n` give variable `sym` a new value (`x = …`, `x += …`, `x++`, its declaration)? */
  private defines(n: ts.Node, sym: ts.Symbol): boolean {
    if (tsv.isVariableDeclaration(n)) return tsv.isIdentifier(n.name) && n.name.text === sym.name && this.ctx.symbolOf(n.name) === sym;
    let target: ts.Node | undefined;
    if (tsv.isBinaryExpression(n) && n.operatorToken.kind >= tsv.SyntaxKind.FirstAssignment && n.operatorToken.kind <= tsv.SyntaxKind.LastAssignment) target = n.left;
    else if ((tsv.isPrefixUnaryExpression(n) || tsv.isPostfixUnaryExpression(n)) && (n.operator === tsv.SyntaxKind.PlusPlusToken || n.operator === tsv.SyntaxKind.MinusMinusToken)) target = n.operand;
    if (!target) return false;
    const t = skipOuter(target as ts.Expression);
    return tsv.isIdentifier(t) && t.text === sym.name && this.ctx.symbolOf(t) === sym;
  }

  /**
   * Is `node` passed on every path from `fn`'s entry to a normal exit (a return, the end)? A
   * return of `false`, `null`, `undefined` or `0` is a failure exit, like a throw: a constructor
   * that can fail (`if (!ptlock_init(page)) return false; __SetPageTable(page); return true;`)
   * marks its page on success, which its callers test.
   */
  private onEveryPath(node: ts.Node, fn: FunctionLike): boolean {
    if (!fn.body || probeIn(node, fn) !== node) return false;
    const exit = runFlow(fn, new Set([0]), {
      after: (n, st) => (n === node ? new Set([1]) : st),
      noReturn: (c) => this.ctx.mayNeverReturn(c.expression) && neverReturns(c, (x) => this.ctx.symbolOf(x)),
      notExit: (r) => !!r.expression && isFailureValue(r.expression),
    });
    return exit.size > 0 && !exit.has(0);
  }

  /* ---------------------------------------------------------------- containers */

  /**
   * The containers `e` may denote (a list head, an array, a map or set, a struct field), named by
   * their declarations: a parameter denotes what its callers pass, a local what it is set to.
   */
  keysOf(e: ts.Expression): Key[] {
    const x = skipOuter(e);
    const hit = this.keyMemo.get(x);
    if (hit !== undefined) {
      this.replay(this.keyReads.get(x));
      return hit;
    }
    if (this.keyBusy.has(x)) return [];
    this.keyBusy.add(x);
    let k: Key[];
    const reads = this.collect(() => {
      try {
        k = this.computeKeys(x);
      } finally {
        this.keyBusy.delete(x);
      }
    });
    this.keyMemo.set(x, k!);
    if (reads.size > 0) this.keyReads.set(x, reads);
    return k!;
  }

  /** Report one dependency (BODY_DEP, or a function name whose callers were read) to the open query. */
  private read(d: string | undefined): void {
    if (d === undefined) return;
    const top = this.readFrames[this.readFrames.length - 1];
    if (top) top.add(d);
    else this.onRead?.(d);
  }

  /** A finished query's reads join the open one's, by reference. */
  private replay(reads: Deps | undefined): void {
    if (!reads || reads.size === 0) return;
    const top = this.readFrames[this.readFrames.length - 1];
    if (top) top.add(reads);
    else this.onRead?.(reads);
  }

  /** Run `f`, returning what it read (also reported to the enclosing query). */
  private collect(f: () => void): Deps {
    const reads: Deps = new Set();
    this.readFrames.push(reads);
    try {
      f();
    } finally {
      this.readFrames.pop();
      this.replay(reads);
    }
    return reads;
  }

  /** Keys of every alternative, or none when one of them has none. */
  private allKeys(alts: ts.Expression[]): Key[] | undefined {
    const out = new Set<Key>();
    for (const v of alts) {
      const ks = this.keysOf(v);
      if (ks.length === 0) return undefined;
      for (const k of ks) out.add(k);
    }
    return out.size > 0 ? [...out] : undefined;
  }

  private computeKeys(x: ts.Expression): Key[] {
    if (tsv.isIdentifier(x)) {
      const s = this.ctx.symbolOf(x);
      const d = s?.valueDeclaration;
      if (!s || !d) return [];
      this.readBinding(x, d);
      if (tsv.isVariableDeclaration(d) && tsv.isIdentifier(d.name) && d.initializer && !isLoopVariable(d)) {
        // A module variable is assigned anywhere in its file: all of it. A module constant is its
        // declaration, which the code naming it (a store through a local: its own code) need not reach.
        if (!enclosingFunction(d)) this.read(d.parent.flags & tsv.NodeFlags.Const ? bodyDep(this.ctx, d) : `${FILE_READ}${this.ctx.rel(d.getSourceFile())}`);
        // A local naming another container (`const list = pcp_list(pcp, i)`) is that container.
        return this.allKeys([d.initializer, ...this.assignedValues(d, s)]) ?? [s];
      }
      if (tsv.isParameter(d) && isFunctionLike(d.parent)) {
        // A parameter is whatever container its callers pass.
        const fn = d.parent;
        const name = functionName(fn);
        const i = fn.parameters.indexOf(d);
        const args: ts.Expression[] = [];
        // What its callers pass: every file calling it.
        this.read(name);
        for (const c of name ? this.callsTo(name, fn) : []) {
          const a = c.arguments[i];
          if (a) args.push(a);
        }
        return (args.length > 0 && this.allKeys(args)) || [s];
      }
      return [s];
    }
    if (tsv.isPropertyAccessExpression(x)) {
      const s = this.ctx.symbolOf(x.name);
      if (!s || this.isPageMember(s)) return [];
      return [s];
    }
    if (tsv.isElementAccessExpression(x)) return this.keysOf(x.expression);
    if (tsv.isCallExpression(x)) {
      const callee = skipOuter(x.expression);
      if (tsv.isPropertyAccessExpression(callee)) {
        // A method of a project struct (`area.free_list(mt)`) names the container it returns.
        const s = this.ctx.symbolOf(callee.name);
        if (s && (s.declarations ?? []).some((d) => !d.getSourceFile().isDeclarationFile)) return [s];
        return [];
      }
      // Which function a name calls is read from its declarations (an alias of one calls none),
      // outside the declaration holding the call too.
      if (tsv.isIdentifier(callee)) {
        const cs = this.ctx.symbolOf(callee);
        this.readBinding(callee, cs?.declarations?.[0]);
        const here = bodyDep(this.ctx, x);
        for (const d of cs?.declarations ?? []) {
          const dep = bodyDep(this.ctx, d);
          if (dep !== here) this.read(dep);
        }
      }
      const fn = this.callee(x);
      if (!fn?.body || fn.getSourceFile().isDeclarationFile) return [];
      this.read(bodyDep(this.ctx, fn));
      const s = this.ctx.symbolOf(tsv.isIdentifier(callee) ? callee : x);
      return this.allKeys(returnExpressions(fn)) ?? (s ? [s] : []);
    }
    return [];
  }

  /**
   * memdesc track: a name declared in another file is bound by its own file's import of it (a unit
   * with what it reaches), which the code naming it need not hold (a store through a local is
   * checked by its own code only).
   */
  private readBinding(id: ts.Identifier, decl: ts.Node | undefined): void {
    const sf = id.getSourceFile();
    if (decl && decl.getSourceFile() !== sf && !sf.isDeclarationFile) this.read(`${BODY_DEP}${this.ctx.rel(sf)}#${id.text}`);
  }

  private isPageMember(s: ts.Symbol): boolean {
    return (s.declarations ?? []).some((d) => {
      let c: ts.Node | undefined = d.parent;
      if (c && tsv.isTypeLiteralNode(c)) c = c.parent;
      return !!c && this.ctx.pageDecls.has(c);
    });
  }

  private assignedMemo = new Map<ts.VariableDeclaration, ts.Expression[]>();

  private assignedValues(decl: ts.VariableDeclaration, sym: ts.Symbol): ts.Expression[] {
    let r = this.assignedMemo.get(decl);
    if (!r) this.assignedMemo.set(decl, r = this.findAssignedValues(decl, sym));
    return r;
  }

  private findAssignedValues(decl: ts.VariableDeclaration, sym: ts.Symbol): ts.Expression[] {
    if (decl.parent && tsv.isVariableDeclarationList(decl.parent) && decl.parent.flags & tsv.NodeFlags.Const) return [];
    const scope: ts.Node = enclosingFunction(decl) ?? decl.getSourceFile();
    const out: ts.Expression[] = [];
    for (const n of assignmentsNamed(scope, sym.name)) if (this.ctx.symbolOf(skipOuter(n.left)) === sym) out.push(n.right);
    return out;
  }

  /** What is stored into container `k` anywhere in the project. */
  storesOf(k: Key): Store[] {
    if (!this.candidates) this.indexStores();
    // Any indirect candidate may name `k` once a body it reads changes: every store depends on what resolving them read.
    if (!this.indirect) {
      // Containers named through a local, a parameter or a call: resolved once.
      const indirect = new Map<Key, StoreCandidate[]>();
      this.indirect = indirect;
      this.indirectReads = this.collect(() => {
        for (const c of this.candidates!.get(INDIRECT) ?? []) {
          for (const key of this.keysOf(c.container)) {
            const l = indirect.get(key) ?? [];
            l.push(c);
            indirect.set(key, l);
          }
        }
      });
    } else this.replay(this.indirectReads);
    let hit = this.storeMemo.get(k);
    if (hit) {
      this.replay(this.storeReads.get(k));
      return hit;
    }
    const found: Store[] = [];
    const reads = this.collect(() => {
      // Candidates are found by syntax, by the container's name; the symbol decides.
      const named = this.candidates!.get(k.name) ?? [];
      for (const [i, c] of [...named, ...this.indirect!.get(k) ?? []].entries()) {
        if (!this.keysOf(c.container).includes(k)) continue;
        if (c.mustBePage && !this.isPage(c.value) ||
          c.listNode && this.ctx.checker.getTypeAtLocation(c.container) !== this.ctx.checker.getTypeAtLocation(c.listNode)) {
          // Refused by a type, which may come from another file: memdesc track checks a store named
          // without the container's name by its own code only, so its declaration is read here.
          if (i >= named.length) this.read(bodyDep(this.ctx, c.at) ?? `${FILE_READ}${this.ctx.rel(c.at.getSourceFile())}`);
          continue;
        }
        const sf = c.at.getSourceFile();
        found.push({ value: c.value, node: c.at, text: `\`${shortText(c.at, sf, 60)}\``, at: this.ctx.at(sf, c.at) });
      }
    });
    this.storeMemo.set(k, found);
    if (reads.size > 0) this.storeReads.set(k, reads);
    return found;
  }

  private indirectReads?: Deps;
  private storeReads = new Map<Key, Deps>();

  private candidates?: Map<string, StoreCandidate[]>;
  private storeMemo = new Map<Key, Store[]>();
  private indirect?: Map<Key, StoreCandidate[]>;

  /** Every place that may store a value into a named container, by the container's last name (syntax only). */
  private indexStores(): void {
    const m = new Map<string, StoreCandidate[]>();
    this.candidates = m;
    const embedded = embeddedFields(this.ctx);
    for (const sf of this.ctx.files) {
      for (const { name, c } of fileStoreCandidates(sf, embedded)) {
        const l = m.get(name);
        if (l) l.push(c);
        else m.set(name, [c]);
      }
    }
  }

  private seedMap?: Map<Key, Array<{ kind: string; text: string; at: string }>>;

  /**
   * Containers the spec's kind-specific allocators read their pages from: `get_first_page()`
   * returns `zspage.first_page`, so `Zspage.first_page` holds zsmalloc pages.
   */
  seedsOf(k: Key): Array<{ kind: string; text: string; at: string }> {
    if (!this.seedMap) {
      const m = new Map<Key, Array<{ kind: string; text: string; at: string }>>();
      // The allocators' bodies decide every container's seeds: each query depends on all of them.
      this.seedReads = this.collect(() => {
        for (const kind of this.ctx.spec.kinds) {
          for (const p of kind.provenance) {
            if (p.arg || p.files) continue;
            this.read(`${DECLARED_DEP}${p.call}`);
            for (const [name, fns] of this.functions) {
              if (!matchName(p.call, name)) continue;
              for (const n of fns) {
                if (!isFunctionLike(n) || !n.body) continue;
                this.read(bodyDep(this.ctx, n));
                for (let r of returnExpressions(n)) {
                  r = skipOuter(r);
                  if (tsv.isIdentifier(r)) {
                    const d = this.ctx.symbolOf(r)?.valueDeclaration;
                    if (d && tsv.isVariableDeclaration(d) && d.initializer && d.parent.flags & tsv.NodeFlags.Const) r = skipOuter(d.initializer);
                  }
                  const c = tsv.isPropertyAccessExpression(r) ? r : tsv.isElementAccessExpression(r) ? r.expression : undefined;
                  const key = c && this.keysOf(c)[0];
                  if (!key) continue;
                  const sf = n.getSourceFile();
                  const l = m.get(key) ?? [];
                  l.push({ kind: kind.name, text: `\`${name}()\` (a ${kind.name} allocator in the spec) returns what \`${shortText(c, sf, 40)}\` holds`, at: this.ctx.at(sf, r) });
                  m.set(key, l);
                }
              }
            }
          }
        }
      });
      this.seedMap = m;
    } else this.replay(this.seedReads);
    return this.seedMap.get(k) ?? [];
  }

  private seedReads?: Deps;
}

/** A place that may store `value` into `container` (syntax only; the container's symbol decides later). */
export interface StoreCandidate {
  container: ts.Expression;
  value: ts.Expression;
  at: ts.Node;
  mustBePage: boolean;
  listNode?: ts.Expression;
}

/** The spec's embedded page fields (list nodes), as a key the per-file store index is valid for. */
export function embeddedFields(ctx: AnalysisContext): { names: ReadonlySet<string>; key: string } {
  const names = ctx.spec.page.fields.filter((f) => f.embedded).map((f) => f.name);
  return { names: new Set(names), key: names.join('\0') };
}

/**
 * Store candidates per parsed file (a SourceFile never changes), in the order of a pre-order walk;
 * filled by the finder's syntax walk (storesAt() on every node) or, for a file it did not walk, here.
 */
const storeIndex = new WeakMap<ts.SourceFile, { key: string; list: Array<{ name: string; c: StoreCandidate }> }>();

export function fileStoreCandidates(sf: ts.SourceFile, embedded: { names: ReadonlySet<string>; key: string }): ReadonlyArray<{ name: string; c: StoreCandidate }> {
  const hit = storeIndex.get(sf);
  if (hit && hit.key === embedded.key) return hit.list;
  const list: Array<{ name: string; c: StoreCandidate }> = [];
  const visit = (n: ts.Node): void => {
    storesAt(n, embedded.names, list);
    tsv.forEachChild(n, visit);
  };
  visit(sf);
  storeIndex.set(sf, { key: embedded.key, list });
  return list;
}

export function hasFileStoreCandidates(sf: ts.SourceFile, key: string): boolean {
  return storeIndex.get(sf)?.key === key;
}

/** Record a walk's store candidates for `sf` (the finder's walk: one walk of the file for both). */
export function setFileStoreCandidates(sf: ts.SourceFile, key: string, list: Array<{ name: string; c: StoreCandidate }>): void {
  storeIndex.set(sf, { key, list });
}

/** The store candidates at node `n` itself (not its children), appended to `out` by container name. */
export function storesAt(n: ts.Node, embedded: ReadonlySet<string>, out: Array<{ name: string; c: StoreCandidate }>): void {
  // Called on every node of every file: no closure made per node.
  if (tsv.isCallExpression(n)) {
    const callee = skipOuter(n.expression);
    const method = tsv.isPropertyAccessExpression(callee) ? callee.name.text : undefined;
    if ((method === 'push' || method === 'unshift' || method === 'add') && tsv.isPropertyAccessExpression(callee)) {
      for (const a of n.arguments) addStore(out, callee.expression, a, n, true);
    } else if (method === 'set' && tsv.isPropertyAccessExpression(callee) && n.arguments.length === 2) {
      addStore(out, callee.expression, n.arguments[1]!, n, true);
    } else if (n.arguments.length >= 2) {
      // A page's list node linked with a list head of the same type: `list_add(page.lru, head)`.
      const node = n.arguments.find((a) => {
        const x = skipOuter(a);
        return tsv.isPropertyAccessExpression(x) && embedded.has(x.name.text);
      });
      if (node) {
        const page = (skipOuter(node) as ts.PropertyAccessExpression).expression;
        for (const h of n.arguments) if (h !== node) addStore(out, h, page, n, true, node);
      }
    }
  } else if (tsv.isBinaryExpression(n) && n.operatorToken.kind === tsv.SyntaxKind.EqualsToken) {
    const l = skipOuter(n.left);
    if (tsv.isElementAccessExpression(l)) addStore(out, l.expression, n.right, n, true);
    else if (tsv.isPropertyAccessExpression(l)) addStore(out, l, n.right, n, false);
  } else if (tsv.isVariableDeclaration(n) && tsv.isIdentifier(n.name) && n.initializer && tsv.isArrayLiteralExpression(skipOuter(n.initializer))) {
    for (const el of (skipOuter(n.initializer) as ts.ArrayLiteralExpression).elements) if (!tsv.isSpreadElement(el)) addStore(out, n.name, el, n, true);
  }
}

function addStore(out: Array<{ name: string; c: StoreCandidate }>, container: ts.Expression, value: ts.Expression, at: ts.Node, mustBePage: boolean, listNode?: ts.Expression): void {
  const x = skipOuter(container);
  const name = tsv.isIdentifier(x) || tsv.isCallExpression(x) ? INDIRECT : lastName(container);
  if (name === undefined) return;
  out.push({ name, c: { container, value, at, mustBePage, ...(listNode ? { listNode } : {}) } });
}

/** The name a container expression ends in, which its symbol will have: `n.partial` -> partial, `pcp_list(…)` -> pcp_list, `area.free_list(mt)` -> free_list. */
function lastName(e: ts.Expression): string | undefined {
  const x = skipOuter(e);
  if (tsv.isIdentifier(x)) return x.text;
  if (tsv.isPropertyAccessExpression(x)) return x.name.text;
  if (tsv.isElementAccessExpression(x)) return lastName(x.expression);
  if (tsv.isCallExpression(x)) return undefined;
  return undefined;
}

function isModuleConstant(s: ts.Symbol): boolean {
  const d = s.valueDeclaration;
  if (!d || !tsv.isVariableDeclaration(d) || !d.initializer) return false;
  const list = d.parent;
  if (!tsv.isVariableDeclarationList(list) || !(list.flags & tsv.NodeFlags.Const)) return false;
  if (!tsv.isVariableStatement(list.parent) || !tsv.isSourceFile(list.parent.parent)) return false;
  const init = skipOuter(d.initializer);
  return !isFunctionLike(init) && !tsv.isObjectLiteralExpression(init) && !tsv.isArrayLiteralExpression(init);
}

/** A function whose body is one statement or an expression: it does nothing but that. */
function isPure(fn: FunctionLike): boolean {
  const b = fn.body;
  return !!b && (!tsv.isBlock(b) || b.statements.length === 1);
}

function isLoopVariable(d: ts.VariableDeclaration): boolean {
  const list = d.parent;
  return tsv.isVariableDeclarationList(list) && (tsv.isForOfStatement(list.parent) || tsv.isForInStatement(list.parent));
}

function isCallArgument(id: ts.Identifier): boolean {
  let n: ts.Node = id;
  while (n.parent && (tsv.isParenthesizedExpression(n.parent) || tsv.isNonNullExpression(n.parent) || tsv.isAsExpression(n.parent))) n = n.parent;
  const p = n.parent;
  return !!p && (tsv.isCallExpression(p) || tsv.isNewExpression(p)) && !!p.arguments?.includes(n as ts.Expression);
}

function isFailureValue(e: ts.Expression): boolean {
  const x = skipOuter(e);
  return x.kind === tsv.SyntaxKind.FalseKeyword || x.kind === tsv.SyntaxKind.NullKeyword || tsv.isIdentifier(x) && x.text === 'undefined' ||
    tsv.isNumericLiteral(x) && x.text === '0';
}

/** The function (or file) a variable lives in: where the paths to its reads start. */
function scopeOf(s: ts.Symbol): ts.Node | undefined {
  const d = s.valueDeclaration;
  if (!d) return undefined;
  if (tsv.isParameter(d)) return isFunctionLike(d.parent) ? d.parent : undefined;
  if (!tsv.isVariableDeclaration(d)) return undefined;
  return enclosingFunction(d) ?? d.getSourceFile();
}

/**
 * Where `n` is evaluated in `root`'s own flow: `n` itself, or the outermost function nested in
 * `root` that holds it (it runs later; its creation is what the flow sees). Undefined outside `root`.
 */
function probeIn(n: ts.Node, root: ts.Node): ts.Node | undefined {
  let probe: ts.Node = n;
  for (let p: ts.Node | undefined = n; p; p = p.parent) {
    if (p === root) return probe;
    if (isFunctionLike(p) || tsv.isClassLike(p)) probe = p;
  }
  return undefined;
}

/** Per function (a parsed node never changes): provenance asks once per call site of it. */
const returnMemo = new WeakMap<FunctionLike, readonly ts.Expression[]>();

export function returnExpressions(fn: FunctionLike): ts.Expression[] {
  let r = returnMemo.get(fn);
  if (!r) returnMemo.set(fn, r = findReturns(fn));
  return [...r];
}

function findReturns(fn: FunctionLike): ts.Expression[] {
  const body = fn.body!;
  if (!tsv.isBlock(body)) return [body];
  const out: ts.Expression[] = [];
  const visit = (n: ts.Node): void => {
    if (isFunctionLike(n) || tsv.isClassLike(n)) return;
    if (tsv.isReturnStatement(n) && n.expression) out.push(n.expression);
    tsv.forEachChild(n, visit);
  };
  tsv.forEachChild(body, visit);
  return out;
}
