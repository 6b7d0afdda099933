/**
 * Provenance: where a page expression comes from. A page returned by a kind's allocator or
 * converter (alloc_slab_page(), pte_alloc_one(), virt_to_page(pgd), get_first_page(zspage),
 * slab_page(slab)) belongs to that kind; the answer flows through locals (every definition
 * must agree), returns of project functions, and parameters (every caller must agree, using
 * the caller's own provenance or page-type guard). Calls listed as neutral sources (the page
 * allocator) stop the search with no kind.
 */
import { ts } from '@ts-morph/common';
import { tsv } from './tsValues.ts';
import type { ProvenanceSpec } from '../model/spec.ts';
import { specWords, type SpecWords } from '../model/words.ts';
import { assignmentsNamed, calleeName, ELEMENT_CALLBACKS, enclosingFunction, functionName, identifiersNamed, isFunctionLike, shortText, skipOuter, type FunctionLike } from './ast.ts';
import type { AnalysisContext } from './context.ts';
import { BODY_DEP, bodyDep, DataFlow, returnExpressions, type Deps, type Key, type Mark } from './dataflow.ts';
import type { Guards } from './guards.ts';
import { matchAnyPath, matchName } from './glob.ts';
import { calleeMatching, namedCallee } from './namedCalls.ts';

/** One step of an evidence chain, for `analyze --explain`: what, and where a reviewer looks. */
export interface Hop {
  text: string;
  /** "mm/slub.ts:212" */
  at: string;
}

export interface Origin {
  /** "`alloc_slab_page()` at mm/slub.ts:212" */
  origin: string;
  /** Hops from the page expression outward: "the parameter of `setup()` (2 callers)", "the return of `mk()`". */
  via: string[];
  /** The same chain with locations, ending at the origin itself. */
  hops: Hop[];
  /** Decided through a parameter (what callers pass): the call graph, not the function's own code. */
  callgraph: boolean;
}

export interface Prov {
  /** kind -> where its pages come from, one per kind found. */
  kinds: Map<string, Origin>;
  /** Why nothing was found, when that is worth saying ("`alloc_pages()` hands out pages of no kind"). */
  note?: string;
  /**
   * Set when a type mark holds on some paths to the read but not on others: a conflict the
   * classifier reports as `unknown`, both sides in the sentence (`kinds` has what each side gives).
   */
  mixed?: { sentence: string; hops: Hop[] };
}

const NONE: Prov = { kinds: new Map() };
/** null / undefined: an alternative that is no page at all, ignored when alternatives are merged. */
const NULLISH: Prov = { kinds: new Map() };
const MAX_DEPTH = 12;
/**
 * A dependency on a whole file (its text and imports), beside the function names whose callers a
 * result read: `file:mm/zsmalloc.ts`. `memdesc track` re-analyzes a file when one of them changes.
 */
export const FILE_DEP = 'file:';
/**
 * A dependency on a declaration storing into a container, `store:mm/slub.ts#__add_partial`: that
 * declaration now with what it reaches, and the stores its file holds (memdesc track).
 */
export const STORE_DEP = 'store:';
/**
 * A dependency on where a store into a container named so could be: every declaration whose code
 * mentions the name and holds a store (by syntax, dataflow.ts store candidates), `stored:partial`.
 */
export const STORED_DEP = 'stored:';
/** A dependency on every file whose text mentions a name (value use: where a teaching use could be). */
export const NAME_DEP = 'name:';
/** A dependency on every file of the project (value use learns from all decided sites). */
export const ALL_FILES_DEP = 'file:*';

export { flattenDeps, type Deps } from './dataflow.ts';
export { BODY_DEP, DECLARED_DEP, MARKED_DEP } from './dataflow.ts';

interface Source {
  kind: string;
  spec: ProvenanceSpec;
  re?: RegExp;
}

export class Provenance {
  private sources: Source[] = [];
  private neutral: string[];
  private helperNames: string[];
  /** Does a declared name match one of the kinds' allocators or converters (their globs)? */
  private readonly isSourceName: (name: string) => boolean;
  private memo = new Map<ts.Node, Prov>();
  /** How many times a query was cut short (a cycle, the depth limit): results computed without a cut are complete. */
  private cuts = 0;
  private inProgress = new Set<ts.Node>();
  /**
   * Names of functions whose call sites a query consulted (parameter provenance reads every
   * caller): what a result depends on beyond the file's imports. One set per open query,
   * innermost last; memo entries keep theirs so a memo hit still reports them.
   */
  private frames: Array<Deps | undefined> = [new Set()];
  private memoDeps = new Map<ts.Node, Deps | undefined>();

  readonly flow: DataFlow;
  private readonly words: SpecWords;

  /**
   * `readBodies` (memdesc track): also report the bodies a query looks into (BODY_DEP), so that a
   * dependent is redone when one of them changes and only then. `flow`: the program's mark pass
   * made already on the same context (memdesc track: once per commit, track/marks.ts).
   */
  constructor(private ctx: AnalysisContext, private guards: Guards, private calls: Map<string, ts.CallExpression[]>, functions: Map<string, ts.Node[]> = new Map(),
    private readBodies = false, flow?: DataFlow) {
    this.flow = flow ?? new DataFlow(ctx, functions, calls, (fn) => guards.isTestFunction(fn), guards.fieldMarker());
    if (readBodies) this.flow.onRead = (d) => (typeof d === 'string' ? this.dep(d) : this.noteDeps(d));
    // A guard rests on its test's body (typeTests.ts): a change there redoes the file.
    if (readBodies) guards.onBody = (d) => this.dep(d);
    this.words = specWords(ctx.spec);
    for (const k of ctx.spec.kinds) {
      for (const p of k.provenance) this.sources.push({ kind: k.name, spec: p, ...(p.arg ? { re: new RegExp(p.arg.matches) } : {}) });
      for (const c of k.converters.toPage) this.sources.push({ kind: k.name, spec: { call: c } });
    }
    const globs = this.sources.map((x) => x.spec.call);
    this.isSourceName = (n) => globs.some((g) => matchName(g, n));
    this.neutral = ctx.spec.page.neutralSources;
    const helpers = ctx.spec.page.addressHelpers;
    this.helperNames = [helpers?.fromAddress, helpers?.toAddress].filter((x): x is string => !!x);
  }

  /** Run `f` and return, with its value, the names of the functions whose callers it consulted (flattenDeps()). */
  traceCallers<T>(f: () => T): { value: T; callers: Deps } {
    this.frames.push(undefined);
    let callers: Deps;
    let value: T;
    try {
      value = f();
    } finally {
      callers = this.frames.pop() ?? new Set();
      this.noteDeps(callers);
    }
    return { value, callers };
  }

  /** A finished query's dependencies join the open one's, by reference (memoized answers share theirs). */
  private noteDeps(deps: Deps | undefined): void {
    if (!deps || deps.size === 0) return;
    (this.frames[this.frames.length - 1] ??= new Set()).add(deps);
  }

  /** Record one dependency of the innermost open query (its set made on first use: most queries have none). */
  private dep(d: string): void {
    (this.frames[this.frames.length - 1] ??= new Set()).add(d);
  }

  /** Provenance of page expression `e`. */
  of(e: ts.Expression, depth = 0): Prov {
    const x = skipOuter(e);
    const hit = this.memo.get(x);
    if (hit) {
      this.noteDeps(this.memoDeps.get(x));
      return hit;
    }
    if (this.inProgress.has(x) || depth > MAX_DEPTH) {
      this.cuts++;
      return NONE;
    }
    this.inProgress.add(x);
    this.frames.push(undefined);
    let r: Prov;
    let deps: Deps | undefined;
    const cutsBefore = this.cuts;
    try {
      r = this.compute(x, depth);
    } finally {
      this.inProgress.delete(x);
      deps = this.frames.pop();
      this.noteDeps(deps);
    }
    // A result cut short by a cycle or the depth limit is kept only where it was asked for.
    if (depth === 0 || r.kinds.size > 0 || this.cuts === cutsBefore) {
      this.memo.set(x, r);
      this.memoDeps.set(x, deps);
    }
    return r;
  }

  private compute(x: ts.Expression, depth: number): Prov {
    if (!traceable(x)) return NONE;
    const sf = x.getSourceFile();
    if (x.kind === tsv.SyntaxKind.NullKeyword || (tsv.isIdentifier(x) && x.text === 'undefined')) return NULLISH;
    if (tsv.isCallExpression(x)) return this.ofCall(x, sf, depth);
    if (tsv.isConditionalExpression(x)) return merge([this.of(x.whenTrue, depth + 1), this.of(x.whenFalse, depth + 1)]);
    if (tsv.isBinaryExpression(x) && (x.operatorToken.kind === tsv.SyntaxKind.QuestionQuestionToken || x.operatorToken.kind === tsv.SyntaxKind.BarBarToken)) {
      return merge([this.of(x.left, depth + 1), this.of(x.right, depth + 1)]);
    }
    if (tsv.isIdentifier(x)) return this.ofIdentifier(x, depth);
    if (tsv.isNewExpression(x) && x.arguments?.length && this.ctx.isPageClassRef(x.expression)) {
      // `new Page(addr)`: the page at an address is the page the address was taken from.
      const a = x.arguments[0]!;
      return withHop(this.of(a, depth + 1), () => ({ text: `the ${this.words.noun} at address \`${shortText(a, sf, 40)}\``, at: this.ctx.at(sf, x) }));
    }
    if (tsv.isPropertyAccessExpression(x)) {
      // `page.addr`: the address of a page is that page's.
      if (this.ctx.spec.page.addressMembers.includes(x.name.text) && this.isPage(x.expression)) return this.of(x.expression, depth + 1);
      return this.ofContainers(this.flow.keysOf(x), x, depth);
    }
    if (tsv.isElementAccessExpression(x)) {
      const marks = tsv.isIdentifier(skipOuter(x.expression)) ? this.fromMarks(this.flow.elementMarksOf(skipOuter(x.expression) as ts.Identifier), `the elements of \`${shortText(x.expression, sf, 30)}\``) : NONE;
      if (marks.kinds.size > 0) return marks;
      return this.ofContainers(this.flow.keysOf(x.expression), x.expression, depth);
    }
    return NONE;
  }

  /** What any of the containers an expression may denote holds (a parameter: each caller's container). */
  private ofContainers(keys: Key[], shown: ts.Expression, depth: number): Prov {
    if (keys.length === 1) return this.ofContainer(keys[0]!, shown, depth);
    return merge(keys.map((k) => this.ofContainer(k, shown, depth)));
  }

  private isPage(e: ts.Expression): boolean {
    return this.ctx.typeIsPage(this.ctx.checker.getTypeAtLocation(e));
  }

  private containerMemo = new Map<Key, Prov>();
  private containerDeps = new Map<Key, Deps | undefined>();
  private containerBusy = new Set<Key>();

  /** What a container holds: the join of what is stored into it and what the spec's allocators read from it. */
  private ofContainer(k: Key, shown: ts.Expression, depth: number): Prov {
    let r = this.containerMemo.get(k);
    if (r) this.noteDeps(this.containerDeps.get(k));
    else {
      if (this.containerBusy.has(k) || depth > MAX_DEPTH) {
        this.cuts++;
        return NONE;
      }
      this.containerBusy.add(k);
      const cutsBefore = this.cuts;
      this.frames.push(undefined);
      let deps: Deps | undefined;
      // A store added anywhere later names the container: every declaration mentioning its name that holds a store.
      this.dep(`${STORED_DEP}${k.name}`);
      try {
        const parts: Prov[] = [];
        for (const st of this.flow.storesOf(k)) {
          // What the result depends on beyond imports and callers: the declarations that store into the
          // container (a store elsewhere in their file too: memdesc track), else their whole file.
          const holder = bodyDep(this.ctx, st.node);
          this.dep(holder ? `${STORE_DEP}${holder.slice(BODY_DEP.length)}` : `${FILE_DEP}${this.ctx.rel(st.node.getSourceFile())}`);
          parts.push(withHop(this.of(st.value, depth + 1), () => ({ text: `stored by ${st.text}`, at: st.at })));
        }
        for (const seed of this.flow.seedsOf(k)) {
          parts.push({ kinds: new Map([[seed.kind, { origin: seed.text, via: [], hops: [{ text: seed.text, at: seed.at }], callgraph: false }]]) });
        }
        r = merge(parts);
      } finally {
        this.containerBusy.delete(k);
        deps = this.frames.pop();
        this.noteDeps(deps);
      }
      if (r.kinds.size > 0 || depth === 0 || this.cuts === cutsBefore) {
        this.containerMemo.set(k, r);
        this.containerDeps.set(k, deps);
      }
    }
    if (r.kinds.size === 0) return r;
    const sf = shown.getSourceFile();
    const name = `\`${shortText(shown, sf, 40)}\``;
    const decl = k.valueDeclaration ?? k.declarations?.[0];
    const where = decl ? this.ctx.at(decl.getSourceFile(), decl) : this.ctx.at(sf, shown);
    return withVia(r, `what ${name} holds`, { text: `${name} holds what is stored into \`${k.name}\` (declared at ${where})`, at: this.ctx.at(sf, shown) });
  }

  private fromMarks(marks: Mark[], what: string): Prov {
    if (marks.length === 0) return NONE;
    const kinds = new Map<string, Origin>();
    for (const m of marks) {
      if (kinds.has(m.kind)) continue;
      kinds.set(m.kind, { origin: `${m.text} at ${m.at}`, via: [], hops: [{ text: `${what} handled as ${m.kind}: ${m.text}`, at: m.at }], callgraph: false });
    }
    return { kinds };
  }

  private ofCall(call: ts.CallExpression, sf: ts.SourceFile, depth: number): Prov {
    const name = calleeName(call);
    if (name === undefined) return NONE;
    const rel = this.ctx.rel(sf);
    const kinds = new Map<string, Origin>();
    // A kind's allocator or converter by the function the call resolves to (namedCalls.ts): an
    // aliased import or renamed re-export is it, a same-named local or parameter is not.
    const declared = calleeMatching(this.ctx, call, this.isSourceName);
    const label = declared === undefined || declared === name ? `\`${name}()\`` : `\`${name}()\` (\`${declared}()\`)`;
    for (const s of declared === undefined ? [] : this.sources) {
      if (!matchName(s.spec.call, declared!)) continue;
      if (s.spec.files && !matchAnyPath(s.spec.files, rel)) continue;
      if (s.spec.arg) {
        const a = call.arguments[s.spec.arg.index];
        if (!a || !s.re!.test(a.getText(sf))) continue;
      }
      if (!kinds.has(s.kind)) {
        const at = this.ctx.at(sf, call);
        kinds.set(s.kind, { origin: `${label} at ${at}`, via: [], hops: [{ text: `${label} hands out ${s.kind} ${this.words.nouns} (spec: ${s.spec.arg ? `${s.spec.call} with argument ${s.spec.arg.index} matching /${s.spec.arg.matches}/` : `${s.spec.call}`})`, at }], callgraph: false });
      }
    }
    if (kinds.size > 0) return { kinds };
    // The spec's address helpers and neutral sources by the function the call resolves to (namedCalls.ts).
    if (this.helperNames.length > 0 && call.arguments[0] && namedCallee(this.ctx, call, this.helperNames) !== undefined) {
      // The page of an address is the page the address was taken from (and back).
      const a = call.arguments[0];
      const p = withHop(this.of(a, depth + 1), () => ({ text: `\`${name}()\` of \`${shortText(a, sf, 40)}\``, at: this.ctx.at(sf, call) }));
      if (p.kinds.size > 0) return p;
    }
    const load = this.containerLoad(call, sf, depth);
    if (load) return load;
    if (namedCallee(this.ctx, call, this.neutral) !== undefined) return { kinds, note: `\`${name}()\` at ${this.ctx.at(sf, call)} hands out ${this.words.nouns} of no kind` };
    // A project function: what does it return?
    const fn = this.calleeFunction(call);
    if (!fn || !fn.body) return NONE;
    if (this.readBodies) {
      const d = bodyDep(this.ctx, fn);
      if (d) this.dep(d);
    }
    const fnName = functionName(fn) ?? name;
    const tagged = this.taggedReturn(call, fn, fnName, sf);
    if (tagged) return tagged;
    const results: Prov[] = [];
    for (const ret of returnExpressions(fn)) {
      const r = skipOuter(ret);
      // Returning a parameter, or the page or descriptor made of it (a converter: `p && new Rx(p)`,
      // `rx && rx.buf`, `new Slot(h.addr)`): follow the caller's argument, at this call only.
      const j = this.passedParam(r, fn);
      if (j >= 0) {
        const arg = call.arguments[j];
        results.push(arg ? this.of(arg, depth + 1) : NONE);
        continue;
      }
      results.push(this.of(r, depth + 1));
    }
    const m = merge(results);
    if (m.kinds.size === 0) return m;
    return withVia(m, `the return of \`${fnName}()\``, { text: `the return value of \`${fnName}()\``, at: this.ctx.at(fn.getSourceFile(), fn) });
  }

  /**
   * The parameter a returned expression hands back, as itself or converted: `p`, `p && E` (E
   * handing back p), `new C(A)` of the page class or a descriptor class (A handing back p),
   * `p.addr` (an address member), a descriptor's member holding its page (`rx.buf`, typed as the
   * page class). -1: none. A page and its descriptor are one object for provenance.
   */
  private passedParam(e: ts.Expression, fn: FunctionLike, depth = 0): number {
    const x = skipOuter(e);
    if (depth > 4) return -1;
    if (tsv.isIdentifier(x)) {
      const d = this.ctx.symbolOf(x)?.valueDeclaration;
      return d && tsv.isParameter(d) && d.parent === fn ? fn.parameters.indexOf(d) : -1;
    }
    if (tsv.isBinaryExpression(x) && x.operatorToken.kind === tsv.SyntaxKind.AmpersandAmpersandToken) {
      const j = this.passedParam(x.right, fn, depth + 1);
      return j >= 0 && this.passedParam(x.left, fn, depth + 1) === j ? j : -1;
    }
    if (tsv.isNewExpression(x) && x.arguments?.length === 1) {
      const t = this.ctx.checker.getTypeAtLocation(x);
      return this.ctx.typeIsPage(t) || this.ctx.descriptorKind(t) ? this.passedParam(x.arguments[0]!, fn, depth + 1) : -1;
    }
    if (tsv.isPropertyAccessExpression(x)) {
      const of = this.ctx.checker.getTypeAtLocation(x.expression);
      const descriptor = !!this.ctx.descriptorKind(of);
      const address = this.ctx.spec.page.addressMembers.includes(x.name.text) && (descriptor || this.ctx.typeIsPage(of));
      const held = descriptor && this.isPage(x);
      return address || held ? this.passedParam(x.expression, fn, depth + 1) : -1;
    }
    return -1;
  }

  /**
   * A function that writes a parameter into a word of the page it returns, before every return
   * (`take(kind) { const b = …; b.flags = (b.flags & ~MASK) | kind; return b; }`), called with a
   * kind's marker for it (`take(BufKind.Rx)`): it hands out a page of that kind, as a marker
   * written in the caller would make it. The write is a statement of the body itself (not in a
   * branch or loop), every return comes after it and returns that variable, never assigned again.
   */
  private taggedReturn(call: ts.CallExpression, fn: FunctionLike, fnName: string, sf: ts.SourceFile): Prov | undefined {
    const body = fn.body;
    if (!body || !tsv.isBlock(body)) return undefined;
    const rets = returnExpressions(fn).map(skipOuter);
    const v = rets[0];
    if (!v || !tsv.isIdentifier(v)) return undefined;
    const vs = this.ctx.symbolOf(v);
    const vd = vs?.valueDeclaration;
    if (!vs || !vd || !tsv.isVariableDeclaration(vd) || !rets.every((r) => tsv.isIdentifier(r) && this.ctx.symbolOf(r) === vs)) return undefined;
    if (!tsv.isVariableDeclarationList(vd.parent) || !(vd.parent.flags & tsv.NodeFlags.Const)) return undefined;
    const firstReturn = Math.min(...rets.map((r) => r.getStart()));
    for (const st of body.statements) {
      if (st.getStart() > firstReturn) break;
      if (!tsv.isExpressionStatement(st)) continue;
      const e = skipOuter(st.expression);
      if (!tsv.isBinaryExpression(e) || e.operatorToken.kind !== tsv.SyntaxKind.EqualsToken) continue;
      const l = skipOuter(e.left);
      if (!tsv.isPropertyAccessExpression(l) || !tsv.isIdentifier(skipOuter(l.expression)) || this.ctx.symbolOf(skipOuter(l.expression) as ts.Identifier) !== vs) continue;
      if (!this.ctx.spec.page.fields.some((f) => f.name === l.name.text)) continue;
      for (const [j, p] of fn.parameters.entries()) {
        const ps = tsv.isIdentifier(p.name) ? this.ctx.symbolOf(p.name) : undefined;
        const arg = call.arguments[j];
        const kind = ps && arg ? this.flow.markerKindOf(arg) : undefined;
        if (!kind || !mentionsSymbol(this.ctx, e.right, ps!)) continue;
        const at = this.ctx.at(sf, call);
        const text = `\`${fnName}()\` writes its parameter \`${p.name.getText()}\` into \`${shortText(l, fn.getSourceFile(), 30)}\` of the ${this.words.noun} it returns, and is handed ${kind}'s marker \`${shortText(arg, sf, 30)}\``;
        return { kinds: new Map([[kind, { origin: `\`${shortText(call, sf, 50)}\` at ${at}`, via: [], hops: [{ text, at: this.ctx.at(fn.getSourceFile(), st) }], callgraph: false }]]) };
      }
    }
    return undefined;
  }

  /**
   * A page taken out of a container: `list_first_entry(head, Page, 'lru')` (a list head and
   * the page class), `m.get(k)`, `a.pop()`, `a.at(i)`, `a.find(…)`.
   */
  private containerLoad(call: ts.CallExpression, sf: ts.SourceFile, depth: number): Prov | undefined {
    if (call.arguments.some((a) => this.ctx.isPageClassRef(a))) {
      const embedded = this.ctx.spec.page.fields.filter((f) => f.embedded).map((f) => f.name);
      const head = call.arguments.find((a) => !this.ctx.isPageClassRef(a) && !tsv.isStringLiteralLike(a) && embeddedType(this.ctx, a, embedded));
      return head ? this.ofContainers(this.flow.keysOf(head), head, depth) : NONE;
    }
    const callee = skipOuter(call.expression);
    // (A page, or the descriptor converted from one: a page and its descriptor are one object here.)
    if (tsv.isPropertyAccessExpression(callee) && ['get', 'pop', 'shift', 'at', 'find', 'findLast'].includes(callee.name.text) &&
      (this.isPage(call) || !!this.ctx.descriptorKind(this.ctx.checker.getTypeAtLocation(call)))) {
      const ks = this.flow.keysOf(callee.expression);
      if (ks.length > 0) return this.ofContainers(ks, callee.expression, depth);
    }
    void sf;
    return undefined;
  }

  private calleeCache = new Map<ts.CallExpression, FunctionLike | undefined>();
  /** Calls of a name by the function they resolve to (names repeat across files: one resolution per call, not per question). */
  private byCallee = new Map<string, Map<FunctionLike, ts.CallExpression[]>>();

  /** The calls named `name` that resolve to `fn`, in the order the finder met them. */
  private callsTo(name: string, fn: FunctionLike): ts.CallExpression[] {
    let m = this.byCallee.get(name);
    if (!m) {
      m = new Map();
      for (const call of this.calls.get(name) ?? []) {
        const f = this.calleeFunction(call);
        if (!f) continue;
        const l = m.get(f);
        if (l) l.push(call);
        else m.set(f, [call]);
      }
      this.byCallee.set(name, m);
    }
    return m.get(fn) ?? [];
  }

  /** Per name handed to an element method (`xs.map(f)`: f), the files whose text shows it: one text scan per analysis. */
  private callbackFiles?: Map<string, ts.SourceFile[]>;
  private callbackUses = new Map<string, Array<{ id: ts.Identifier; recv: ts.Expression; call: ts.CallExpression }>>();

  /** Element methods handed a function by this name (`xs.map(f)`), found in the syntax of the files whose text shows one. */
  private callbacksNamed(name: string): Array<{ id: ts.Identifier; recv: ts.Expression; call: ts.CallExpression }> {
    if (!this.callbackFiles) {
      const files = new Map<string, ts.SourceFile[]>();
      const spelled = new RegExp(`\\.(?:${[...ELEMENT_CALLBACKS].join('|')})\\(\\s*([A-Za-z_$][\\w$]*)\\s*[,)]`, 'g');
      for (const sf of this.ctx.files) {
        for (const m of sf.text.matchAll(spelled)) {
          const l = files.get(m[1]!) ?? [];
          if (l[l.length - 1] !== sf) l.push(sf);
          files.set(m[1]!, l);
        }
      }
      this.callbackFiles = files;
    }
    let uses = this.callbackUses.get(name);
    if (uses) return uses;
    uses = [];
    for (const sf of this.callbackFiles.get(name) ?? []) {
      for (const id of identifiersNamed(sf, new Set([name]))) {
        const call = id.parent;
        const callee = tsv.isCallExpression(call) && call.arguments[0] === id ? skipOuter(call.expression) : undefined;
        if (callee && tsv.isPropertyAccessExpression(callee) && ELEMENT_CALLBACKS.has(callee.name.text)) uses.push({ id, recv: callee.expression, call: call as ts.CallExpression });
      }
    }
    this.callbackUses.set(name, uses);
    return uses;
  }

  /**
   * `ys.filter(T)` for a type test T of one kind (named or written in place): that kind, and T as
   * written. Every element of the result passed the test.
   */
  filteredKind(e: ts.Expression): { kind: string; test: string } | undefined {
    const x = skipOuter(e);
    if (!tsv.isCallExpression(x) || !x.arguments[0]) return undefined;
    const callee = skipOuter(x.expression);
    if (!tsv.isPropertyAccessExpression(callee) || callee.name.text !== 'filter') return undefined;
    const pred = skipOuter(x.arguments[0]);
    if (!tsv.isIdentifier(pred) && !tsv.isPropertyAccessExpression(pred) && !tsv.isArrowFunction(pred) && !tsv.isFunctionExpression(pred)) return undefined;
    const kinds = this.guards.testKindsOf(pred);
    return kinds.length === 1 ? { kind: kinds[0]!, test: shortText(pred, x.getSourceFile(), 50) } : undefined;
  }

  /** The elements a callback is handed: those of `ys.filter(T)` passed the test T, else what the collection holds. */
  private elementsHanded(recv: ts.Expression, depth: number): Prov {
    return this.ofElements(recv, depth + 1);
  }

  /** The elements of `ys.filter(T)`, T a kind's type test: that kind (a filter by anything else: undefined). */
  private filtered(x: ts.Expression): Prov | undefined {
    const f = this.filteredKind(x);
    if (!f) return undefined;
    const text = `the elements passed the type test \`${f.test}\``;
    return { kinds: new Map([[f.kind, { origin: `a ${f.kind} ${this.words.noun} (${text})`, via: [], hops: [{ text, at: this.ctx.at(x.getSourceFile(), x) }], callgraph: false }]]) };
  }

  private calleeFunction(call: ts.CallExpression): FunctionLike | undefined {
    if (this.calleeCache.has(call)) return this.calleeCache.get(call);
    const fn = this.resolveCallee(call);
    this.calleeCache.set(call, fn);
    return fn;
  }

  private resolveCallee(call: ts.CallExpression): FunctionLike | undefined {
    const callee = skipOuter(call.expression);
    return functionOfSymbol(this.ctx.symbolOf(tsv.isPropertyAccessExpression(callee) ? callee.name : callee));
  }

  private ofIdentifier(id: ts.Identifier, depth: number): Prov {
    const sym = this.ctx.symbolOf(id);
    const decl = sym?.valueDeclaration;
    if (!decl) return NONE;
    // The code handles the variable as a kind (sets, clears or writes its type marker) on every path to the read: that decides.
    const { must, may } = this.flow.marksAt(id);
    const marked = this.fromMarks(must, `\`${id.text}\` is`);
    if (marked.kinds.size > 0) return marked;
    const base = this.unmarked(id, sym!, decl, depth);
    if (may.length === 0) return base;
    return this.someMarked(id, may, base);
  }

  /**
   * A mark on some paths to the read only: the page is the marked kind there and what it was
   * before elsewhere. Both sides agreeing on one kind decide it; otherwise a conflict.
   */
  private someMarked(id: ts.Identifier, may: Mark[], base: Prov): Prov {
    const marked = this.fromMarks(may, `\`${id.text}\` is, on some paths,`);
    const mk = [...marked.kinds.keys()];
    const bk = [...base.kinds.keys()];
    if (mk.length === 1 && bk.length === 1 && mk[0] === bk[0]) return base;
    const kinds = new Map(base.kinds);
    for (const [k, o] of marked.kinds) if (!kinds.has(k)) kinds.set(k, o);
    const sf = id.getSourceFile();
    const marks = may.map((m) => `${m.text} at ${m.at}`).join('; ');
    const other = bk.length > 0 ? `on the others it is ${bk.join(', ')} (${[...base.kinds.values()].map(renderOrigin).join('; ')})` : 'on the others nothing marks it';
    const sentence = `\`${id.text}\` is handled as ${mk.join(', ')} on some paths to ${this.ctx.at(sf, id)} only (${marks}); ${other}`;
    const hops: Hop[] = [
      { text: `\`${id.text}\` is read here; some paths to it pass a mark, others do not`, at: this.ctx.at(sf, id) },
      ...may.map((m) => ({ text: `on some paths: ${m.text}`, at: m.at })),
      ...[...base.kinds.values()].flatMap((o) => o.hops.map((h, i) => (i === 0 ? { ...h, text: `on the other paths: ${h.text}` } : h))),
    ];
    return { kinds, mixed: { sentence, hops } };
  }

  /** What a variable holds by its definitions (locals, parameters, bindings), marks aside. */
  private unmarked(id: ts.Identifier, sym: ts.Symbol, decl: ts.Declaration, depth: number): Prov {
    if (tsv.isVariableDeclaration(decl)) {
      const list = decl.parent;
      if (tsv.isVariableDeclarationList(list) && tsv.isForOfStatement(list.parent)) {
        const it = list.parent.expression;
        const els = this.ofElements(it, depth);
        if (els.kinds.size === 0) return els;
        return withVia(els, `an element of \`${shortText(it, list.getSourceFile(), 40)}\``,
          { text: `\`${id.text}\` is an element of \`${shortText(it, list.getSourceFile(), 40)}\``, at: this.ctx.at(list.getSourceFile(), it) });
      }
      let defs: ts.Expression[] = [];
      if (decl.initializer) defs.push(decl.initializer);
      if (!(list.flags & tsv.NodeFlags.Const)) {
        // A module variable is assigned anywhere in its file: all of it (memdesc track).
        if (this.readBodies && !enclosingFunction(decl)) this.dep(`${FILE_DEP}${this.ctx.rel(decl.getSourceFile())}`);
        defs = reaching(id, [...defs, ...this.assignments(decl, sym)]);
      }
      const dsf = decl.getSourceFile();
      return merge(defs.map((d) => withHop(this.of(d, depth + 1), () => ({ text: `\`${id.text}\` = \`${shortText(d, dsf, 50)}\``, at: this.ctx.at(dsf, d) }))));
    }
    if (tsv.isParameter(decl) && isFunctionLike(decl.parent)) return this.ofParameter(decl, decl.parent, depth);
    if (tsv.isBindingElement(decl)) return this.ofBinding(id, decl, depth);
    return NONE;
  }

  private assignMemo = new Map<ts.VariableDeclaration, ts.Expression[]>();

  /** The assignments to a `let` (one walk of its scope per variable, not per read). */
  private assignments(decl: ts.VariableDeclaration, sym: ts.Symbol): ts.Expression[] {
    let r = this.assignMemo.get(decl);
    if (!r) this.assignMemo.set(decl, r = assignmentsTo(this.ctx, decl, sym));
    return r;
  }

  /** `const [a, b] = [x, y]` / `const [a] = pages` / `const { page } = walk`: the element or field bound. */
  private ofBinding(id: ts.Identifier, el: ts.BindingElement, depth: number): Prov {
    const pattern = el.parent;
    const holder = pattern.parent;
    if (!tsv.isVariableDeclaration(holder) || !holder.initializer || !(holder.parent.flags & tsv.NodeFlags.Const)) return NONE;
    const init = skipOuter(holder.initializer);
    const sf = el.getSourceFile();
    const hop = (): Hop => ({ text: `\`${id.text}\` is bound from \`${shortText(init, sf, 50)}\``, at: this.ctx.at(sf, el) });
    if (tsv.isArrayBindingPattern(pattern)) {
      if (el.dotDotDotToken) return NONE;
      const i = pattern.elements.indexOf(el);
      if (tsv.isArrayLiteralExpression(init)) {
        const v = init.elements[i];
        return v && !tsv.isSpreadElement(v) ? withHop(this.of(v, depth + 1), hop) : NONE;
      }
      return withHop(this.ofContainers(this.flow.keysOf(init), init, depth), hop);
    }
    const name = el.propertyName ?? el.name;
    if (!tsv.isIdentifier(name)) return NONE;
    if (tsv.isObjectLiteralExpression(init)) {
      const p = init.properties.find((q) => q.name && tsv.isIdentifier(q.name) && q.name.text === name.text);
      if (p && tsv.isPropertyAssignment(p)) return withHop(this.of(p.initializer, depth + 1), hop);
      if (p && tsv.isShorthandPropertyAssignment(p)) return withHop(this.of(p.name, depth + 1), hop);
      return NONE;
    }
    const prop = this.ctx.checker.getTypeAtLocation(init).getProperty(name.text);
    return prop ? withHop(this.ofContainer(prop, init, depth), hop) : NONE;
  }

  /** What the elements of a collection are (`pages` in `pages.map(f)`). */
  elementsOf(e: ts.Expression): Prov {
    return this.ofElements(e, 0);
  }

  /** What a function's parameter receives: the join of what every caller passes (the call graph). */
  parameterOf(fn: FunctionLike, index: number): Prov {
    const p = fn.parameters[index];
    return p ? this.ofParameter(p, fn, 0) : NONE;
  }

  /** The pages a `for…of` walks: a list walk (a call), or a collection's elements. */
  private ofElements(it: ts.Expression, depth: number): Prov {
    const x = skipOuter(it);
    const f = this.filtered(x);
    if (f) return f;
    if (tsv.isIdentifier(x) && depth < MAX_DEPTH) {
      // A local const array made by a filter and never changed after (`const dead = xs.filter(T)`).
      const init = unchangedArrayInit(this.ctx, x);
      const r = init && this.filtered(skipOuter(init));
      if (r) return withHop(r, () => ({ text: `\`${x.text}\` is \`${shortText(init!, x.getSourceFile(), 50)}\``, at: this.ctx.at(x.getSourceFile(), init!) }));
    }
    // An array written out: each element (a spread: its elements).
    if (tsv.isArrayLiteralExpression(x)) return merge(x.elements.map((e) => (tsv.isSpreadElement(e) ? this.ofElements(e.expression, depth + 1) : this.of(e, depth + 1))));
    if (tsv.isCallExpression(x) && !tsv.isPropertyAccessExpression(skipOuter(x.expression))) {
      // A list walk hands out pages; a function returning an array hands out what the array holds.
      const r = this.of(x, depth + 1);
      if (r.kinds.size > 0 || this.isPage(x)) return r;
    }
    if (tsv.isIdentifier(x)) {
      const m = this.fromMarks(this.flow.elementMarksOf(x), `the elements of \`${x.text}\` are`);
      if (m.kinds.size > 0) return m;
    }
    return this.ofContainers(this.flow.keysOf(x), x, depth);
  }

  /** Every caller must pass a page of the same kind (by the argument's provenance or a guard at the call). */
  private paramMemo = new Map<ts.ParameterDeclaration, { r: Prov; deps: Deps | undefined }>();

  /** What every caller passes, once per parameter (each read of it asks the same question). */
  private ofParameter(param: ts.ParameterDeclaration, fn: FunctionLike, depth: number): Prov {
    const hit = this.paramMemo.get(param);
    if (hit) {
      this.noteDeps(hit.deps);
      return hit.r;
    }
    const cutsBefore = this.cuts;
    this.frames.push(undefined);
    let r: Prov;
    let deps: Deps | undefined;
    try {
      r = this.callersPass(param, fn, depth);
    } finally {
      deps = this.frames.pop();
      this.noteDeps(deps);
    }
    if (this.cuts === cutsBefore || r.kinds.size > 0) this.paramMemo.set(param, { r, deps });
    return r;
  }

  private callersPass(param: ts.ParameterDeclaration, fn: FunctionLike, depth: number): Prov {
    // A callback written in place over elements (`dead.map((s) => s.x)`): its element parameter is each element.
    const over = elementCallback(fn);
    if (over && fn.parameters.indexOf(param) === 0) {
      const sf = fn.getSourceFile();
      const handed = this.elementsHanded(over.recv, depth);
      if (handed.kinds.size === 0) return { kinds: new Map(), note: `a callback over the elements of \`${shortText(over.recv, sf, 50)}\`, of no known kind` };
      return withHop(handed, () => ({ text: `each element of \`${shortText(over.recv, sf, 50)}\``, at: this.ctx.at(sf, over.call) }));
    }
    const name = functionName(fn);
    if (!name || tsv.isArrowFunction(fn) && !(tsv.isVariableDeclaration(fn.parent))) return NONE;
    const idx = fn.parameters.indexOf(param);
    this.dep(name);
    const results: Prov[] = [];
    /** Kinds a caller rules out at its call (`if (PageTable(page)) return; f(page)`). */
    const excluded = new Map<string, string>();
    let callers = 0;
    for (const call of this.callsTo(name, fn)) {
      callers++;
      const arg = call.arguments[idx];
      if (!arg) continue;
      const csf = call.getSourceFile();
      const passes = (): Hop => ({ text: `called with \`${shortText(arg, csf, 50)}\``, at: this.ctx.at(csf, call) });
      const facts = this.guards.facts(call, arg);
      for (const f of facts) if (!f.positive) for (const k of f.kinds) if (!excluded.has(k)) excluded.set(k, `${this.ctx.at(csf, call)} passes a ${this.words.noun} that is not ${k} (${f.sentence})`);
      const g = facts.find((f) => f.positive && f.kinds.length === 1);
      if (g) {
        results.push({ kinds: new Map([[g.kinds[0]!, { origin: `a ${g.kinds[0]} ${this.words.noun} (${g.sentence})`, via: [], hops: [passes(), { text: g.sentence.replace(/ at [^ ]+$/, ''), at: g.at }], callgraph: true }]]) });
        continue;
      }
      results.push(withHop(this.of(arg, depth + 1), passes));
    }
    // A callback over elements (`held.map(describe)`) passes each element: a caller too. Any file
    // naming the function may hold one (memdesc track: a `name:` dependency).
    this.dep(`${NAME_DEP}${name}`);
    if (idx === 0) {
      for (const u of this.callbacksNamed(name)) {
        if (functionOfSymbol(this.ctx.symbolOf(u.id)) !== fn) continue;
        callers++;
        const usf = u.id.getSourceFile();
        const handed = this.elementsHanded(u.recv, depth);
        // Elements of no known kind: the callback may be handed anything there, so the callers
        // decide nothing (unlike a call without evidence, which a kernel's many callers make common).
        if (handed.kinds.size === 0) return { kinds: new Map(), note: `\`${name}()\` is passed as a callback at ${this.ctx.at(usf, u.call)} over the elements of \`${shortText(u.recv, usf, 50)}\`, of no known kind` };
        results.push(withHop(handed, () => ({ text: `passed as a callback over the elements of \`${shortText(u.recv, usf, 50)}\``, at: this.ctx.at(usf, u.call) })));
      }
    }
    if (callers === 0) return NONE;
    const m = merge(results);
    if (m.kinds.size === 0) return NONE;
    // A caller passing a page known not to be the kind the others pass: no join, the page may be anything.
    const against = [...m.kinds.keys()].filter((k) => excluded.has(k));
    if (against.length > 0) return { kinds: new Map(), note: `the callers of \`${name}()\` disagree: ${against.map((k) => excluded.get(k)).join('; ')}` };
    // Callers passing pages of several kinds are kept as a conflict: the classifier reports the
    // site unknown with each kind and where it comes from, rather than letting an owner hint decide.
    const n = callers === 1 ? '1 caller' : `${callers} callers`;
    const pname = tsv.isIdentifier(param.name) ? `\`${param.name.text}\`` : `parameter ${idx}`;
    const agree = m.kinds.size > 1 ? `its ${n} pass ${this.words.nouns} of ${m.kinds.size} kinds` : callers === 1 ? 'its one caller' : `all ${callers} callers agree (the first shown)`;
    const r = withVia(m, `the parameter of \`${name}()\` (${n})`, { text: `${pname} is a parameter of \`${name}()\`: ${agree}`, at: this.ctx.at(fn.getSourceFile(), param) });
    for (const o of r.kinds.values()) o.callgraph = true;
    return r;
  }
}

/**
 * Whether provenance (and the data flow's containers) can look through expression `e` (outer
 * parentheses and assertions stripped): names, calls, member and element reads, `new`,
 * conditionals, `??` and `||`, null. Anything else (a literal, arithmetic, a comparison, an
 * object literal) is the end of the trail: what makes it up is never read. memdesc track relies
 * on this to tell a function whose returns no caller's analysis reads (deps.ts `bodyPrivate`).
 */
export function traceable(e: ts.Expression): boolean {
  const x = skipOuter(e);
  switch (x.kind) {
    case tsv.SyntaxKind.Identifier:
    case tsv.SyntaxKind.CallExpression:
    case tsv.SyntaxKind.PropertyAccessExpression:
    case tsv.SyntaxKind.ElementAccessExpression:
    case tsv.SyntaxKind.NewExpression:
    case tsv.SyntaxKind.ConditionalExpression:
    case tsv.SyntaxKind.NullKeyword:
      return true;
    case tsv.SyntaxKind.BinaryExpression: {
      const op = (x as ts.BinaryExpression).operatorToken.kind;
      return op === tsv.SyntaxKind.QuestionQuestionToken || op === tsv.SyntaxKind.BarBarToken;
    }
    default:
      return false;
  }
}

/**
 * Combine alternatives (definitions of a local, returns, callers): a kind counts only when every
 * alternative has it; several kinds are a conflict the classifier reports.
 */
function merge(all: Prov[]): Prov {
  const list = all.filter((p) => p !== NULLISH);
  if (list.length === 0) return NONE;
  const kinds = new Map<string, Origin>();
  let missing = false;
  const mixed = list.find((p) => p.mixed)?.mixed;
  for (const p of list) {
    if (p.kinds.size === 0) missing = true;
    for (const [k, s] of p.kinds) if (!kinds.has(k)) kinds.set(k, s);
  }
  if (kinds.size === 0) {
    const note = list.find((p) => p.note)?.note;
    return note ? { kinds, note } : NONE;
  }
  // Several kinds: a real conflict, kept for the classifier to report. Paths with no evidence
  // (a page from the allocator, an address read from memory) add nothing: the join of what is known.
  void missing;
  return mixed ? { kinds, mixed } : { kinds };
}

function withVia(p: Prov, via: string, hop: Hop): Prov {
  if (p.kinds.size === 0) return p;
  const kinds = new Map<string, Origin>();
  for (const [k, o] of p.kinds) kinds.set(k, { ...o, via: [via, ...o.via], hops: [hop, ...o.hops] });
  return p.mixed ? { kinds, mixed: { sentence: p.mixed.sentence, hops: [hop, ...p.mixed.hops] } } : { kinds };
}

/** A hop for the explanation only (the evidence sentence stays short); made only when there is a kind to explain. */
function withHop(p: Prov, hop: Hop | (() => Hop)): Prov {
  if (p.kinds.size === 0) return p;
  const h = typeof hop === 'function' ? hop() : hop;
  const kinds = new Map<string, Origin>();
  for (const [k, o] of p.kinds) kinds.set(k, { ...o, hops: [h, ...o.hops] });
  return { ...p, kinds };
}

/** "`alloc_slab_page()` at mm/slub.ts:212, via the parameter of `setup()` (2 callers)" */
export function renderOrigin(o: Origin): string {
  return o.via.length ? `${o.origin}, via ${o.via.join(', ')}` : o.origin;
}

/**
 * The definitions of a `let` that reach the read `id`: from the last one that runs on every path
 * before it (a statement of a block around the read), those after it, and those later in a loop
 * around the read that the dominating one is outside of. All of them when none dominates.
 */
function reaching(id: ts.Identifier, defs: ts.Expression[]): ts.Expression[] {
  const at = id.getStart();
  const statementOf = (d: ts.Expression): ts.Node | undefined => {
    const p = d.parent;
    if (tsv.isVariableDeclaration(p)) return p.parent.parent;
    if (tsv.isBinaryExpression(p) && tsv.isExpressionStatement(p.parent)) return p.parent;
    return undefined;
  };
  const inside = (n: ts.Node, outer: ts.Node): boolean => n.getStart() >= outer.getStart() && n.getEnd() <= outer.getEnd();
  let dom: ts.Expression | undefined;
  for (const d of defs) {
    const st = statementOf(d);
    if (!st || st.getEnd() > at || !st.parent || !(tsv.isBlock(st.parent) || tsv.isSourceFile(st.parent) || tsv.isCaseClause(st.parent) || tsv.isDefaultClause(st.parent))) continue;
    if (!inside(id, st.parent)) continue;
    if (!dom || d.getStart() > dom.getStart()) dom = d;
  }
  if (!dom) return defs;
  const from = dom.getStart();
  return defs.filter((d) => {
    if (d === dom || (d.getStart() > from && d.getStart() < at)) return true;
    if (d.getStart() < at) return false;
    // Later in a loop around both the read and the definition, with the dominating one outside it.
    for (let l: ts.Node | undefined = d.parent; l && !isFunctionLike(l); l = l.parent) {
      if (tsv.isIterationStatement(l, false) && inside(id, l) && !inside(dom!, l)) return true;
    }
    return false;
  });
}

/** Right-hand sides of `x = ...` for variable `decl` inside its function (or file). */
function assignmentsTo(ctx: AnalysisContext, decl: ts.VariableDeclaration, sym: ts.Symbol): ts.Expression[] {
  const scope: ts.Node = enclosingFunction(decl) ?? decl.getSourceFile();
  const out: ts.Expression[] = [];
  for (const n of assignmentsNamed(scope, (decl.name as ts.Identifier).text)) if (ctx.symbolOf(skipOuter(n.left)) === sym) out.push(n.right);
  return out;
}

/** Per context and embedded field list: the symbols of the embedded page fields' types (asked once, not per argument). */
const embeddedTypeSymbols = new WeakMap<AnalysisContext, { key: string; syms: Set<ts.Symbol> }>();

/** Is `e` a value of an embedded page field's type (a list head)? */
function embeddedType(ctx: AnalysisContext, e: ts.Expression, embedded: string[]): boolean {
  const t = ctx.checker.getTypeAtLocation(e);
  const sym = t.getSymbol();
  if (!sym) return false;
  const key = embedded.join('\0');
  let hit = embeddedTypeSymbols.get(ctx);
  if (!hit || hit.key !== key) {
    const syms = new Set<ts.Symbol>();
    for (const d of ctx.pageDecls) {
      const pageType = ctx.checker.getTypeAtLocation(d);
      for (const f of embedded) {
        const p = pageType.getProperty(f);
        const s = p && ctx.checker.getTypeOfSymbol(p).getSymbol();
        if (s) syms.add(s);
      }
    }
    embeddedTypeSymbols.set(ctx, hit = { key, syms });
  }
  return hit.syms.has(sym);
}

/** Does `e` name the symbol `s` anywhere? */
function mentionsSymbol(ctx: AnalysisContext, e: ts.Node, s: ts.Symbol): boolean {
  if (tsv.isIdentifier(e)) return ctx.symbolOf(e) === s;
  return !!tsv.forEachChild(e, (c) => mentionsSymbol(ctx, c, s) || undefined);
}

/**
 * The project function a symbol declares (a function, or a variable initialized with one); of an
 * overloaded function, its implementation (the declaration with a body).
 */
function functionOfSymbol(sym: ts.Symbol | undefined): FunctionLike | undefined {
  let first: FunctionLike | undefined;
  for (const d of sym?.declarations ?? []) {
    if (d.getSourceFile().isDeclarationFile) continue;
    let fn: FunctionLike | undefined;
    if (isFunctionLike(d)) fn = d;
    else if (tsv.isVariableDeclaration(d) && d.initializer) {
      const init = skipOuter(d.initializer);
      if (isFunctionLike(init)) fn = init;
    }
    if (fn?.body) return fn;
    first ??= fn;
  }
  return first;
}

/** A function written in place as the callback of `recv.map(…)` and its kin: the call and `recv`. */
function elementCallback(fn: FunctionLike): { call: ts.CallExpression; recv: ts.Expression } | undefined {
  if (!tsv.isArrowFunction(fn) && !tsv.isFunctionExpression(fn)) return undefined;
  let n: ts.Node = fn;
  while (n.parent && tsv.isParenthesizedExpression(n.parent)) n = n.parent;
  const call = n.parent;
  if (!call || !tsv.isCallExpression(call) || call.arguments[0] !== n) return undefined;
  const callee = skipOuter(call.expression);
  return tsv.isPropertyAccessExpression(callee) && ELEMENT_CALLBACKS.has(callee.name.text) ? { call, recv: callee.expression } : undefined;
}

/**
 * The initializer of a local `const` array that nothing changes after: no mutating method called on
 * it, no element or length written, never handed to a call (which could change it).
 */
function unchangedArrayInit(ctx: AnalysisContext, id: ts.Identifier): ts.Expression | undefined {
  const sym = ctx.symbolOf(id);
  const d = sym?.valueDeclaration;
  if (!d || !tsv.isVariableDeclaration(d) || !d.initializer || !tsv.isIdentifier(d.name) || !tsv.isVariableDeclarationList(d.parent) || !(d.parent.flags & tsv.NodeFlags.Const)) return undefined;
  const scope = tsv.findAncestor(d.parent, isFunctionLike) ?? d.getSourceFile();
  let changed = false;
  const visit = (n: ts.Node): void => {
    if (changed) return;
    if (tsv.isIdentifier(n) && n !== d.name && n.text === id.text && ctx.symbolOf(n) === sym) {
      const p = n.parent;
      if (tsv.isPropertyAccessExpression(p) && p.expression === n) {
        if (MUTATORS.has(p.name.text) || (tsv.isBinaryExpression(p.parent) && p.parent.left === p)) changed = true;
      } else if (tsv.isElementAccessExpression(p) && p.expression === n) {
        if (tsv.isBinaryExpression(p.parent) && p.parent.left === p) changed = true;
      } else if (tsv.isCallExpression(p) && p.arguments.includes(n)) changed = true;
    }
    tsv.forEachChild(n, visit);
  };
  visit(scope);
  return changed ? undefined : d.initializer;
}

/** Array methods that put elements in (the others only read, reorder or take out). */
const MUTATORS: ReadonlySet<string> = new Set(['push', 'unshift', 'splice', 'fill']);
