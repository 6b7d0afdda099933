/**
 * Which calls are a kind's type test, from the code (the guide: a kind comes from type tests, data
 * flow and the call graph; a name in the spec is a hint of last resort, and when it contradicts
 * the code, the code wins). A call is resolved to the function it calls (by symbol: import aliases,
 * re-exports and namespaces followed; a same-named local is another function), and that function
 * is a test of a kind when its code makes it one:
 *
 *  - the spec names it for the kind (`PageSlab` for slab: the hint saying which kind) and its body
 *    returns a boolean computed from its page's type or flags bits (testsState()): a bit of a
 *    word of the class masked by a constant (`(page.flags & (1 << PG_buddy)) !== 0`), a word (or
 *    its bits) against a constant other than 0 (`page_type_of(page) === PGTY_slab`), or such a
 *    test of the page's through another function (`test_bit(PG_lru, page)`, `page_type_is(p,
 *    PGTY_table)`), or a word of that state handed to a helper whose code tests its bits
 *    (`page_word_is_tail(page.compound_head)`) or hands it back, or bits of it, for the caller to
 *    test (`memdesc_type(read32(page.addr + 8)) === T`) — the word followed into the helper's
 *    parameter by symbol, per function and parameter —, in any combination (`!`, `&&`, `||`,
 *    early `return false`, a truth value taken by `!!c`, `Boolean(c)`, `c !== 0` or `c ? true : false`);
 *    a field of the class typed boolean is such a state by itself (`return b.free`, `!b.free`);
 *  - a function whose body returns a kind's test of its parameter (a wrapper:
 *    `is_table = (p) => PageTable(p)`, `folio_test_slab(f) => PageSlab(folio_page(f))`), or the
 *    very computation of one (`page_type_is(p, PGTY_slab)` under another name).
 *
 * A function the spec names but whose code tests no type or flags bit (it returns a constant, a
 * word against 0, an unrelated value) is no test: the guard sites record why (notTest) and the
 * kind must come from other evidence. A function the spec names that has no body to read
 * (declared only) is taken by its name, and its facts say so (byName). Verdicts are cached per
 * function.
 */
import { ts } from '@ts-morph/common';
import { tsv } from './tsValues.ts';
import { isFunctionLike, outerOf as outer, skipOuter, type FunctionLike } from './ast.ts';
import { functionOf } from './assertions.ts';
import type { AnalysisContext } from './context.ts';
import { bodyDep, returnExpressions } from './dataflow.ts';
import { isBooleanCast, isBooleanField, TestAtoms, THIS } from './testAtoms.ts';

export interface KindTest {
  kind: string;
  /** Index of the page argument. */
  pageArg: number;
  /** Whether a false answer rules the kind out. */
  negates: boolean;
}

export interface ResolvedTest {
  tests: KindTest[];
  /** The verdict rests on the spec's name alone (no body to read): the sentence saying so. */
  byName?: string;
  /** Named like a kind's test in the spec, but its code is none: why. */
  notTest?: string;
  /** With notTest: the page arguments the spec gives it. */
  pageArgs?: number[];
  /** `body:` dependencies of the verdict (the bodies read), for memdesc track. */
  deps: string[];
}

const NONE: ResolvedTest = { tests: [], deps: [] };

/** A seed test's atom: which kind, and whether the test holds when the atom does. */
interface SeedAtom extends KindTest {
  positive: boolean;
  /** The test function's name, for the guard's sentence. */
  name: string;
}

/** A condition written in place that computes kinds' tests (TypeTests.inline()). */
export interface InlineTest {
  /** `same`: the condition holds exactly when the kind's test does (else when it fails); `name`: that test's function. */
  tests: Array<KindTest & { same: boolean; name: string }>;
  deps: string[];
}

/**
 * What a verdict is about: a parameter holding the page (its fields, words at its address and what
 * functions read of it are its state), or one holding a word of the page's state already
 * (`page_word_is_tail(w1)`, `memdesc_type(md)`: the parameter itself is the state).
 */
/** KindTest.pageArg of a method's test: the object it is called on. */
export const RECEIVER = -1;

/** A method of the spec's class, without parameters (a test of the object it is called on). */
function isPageMethod(ctx: AnalysisContext, fn: FunctionLike): boolean {
  return tsv.isMethodDeclaration(fn) && fn.parameters.length === 0 && !!fn.parent && ctx.pageDecls.has(fn.parent);
}

interface Subject {
  sym: ts.Symbol;
  word: boolean;
}
/** How deep tests built from tests (wrappers of wrappers, helpers of helpers) are followed. */
const MAX_DEPTH = 6;
const NO_NODES: readonly ts.Node[] = [];
/** Symbols whose type is a function or class, never a number literal (nothing else merged in). */
const CALLABLE = tsv.SymbolFlags.Function | tsv.SymbolFlags.Class | tsv.SymbolFlags.Method;

/** Writes of a field that make a kind's type test hold (TypeTests.fieldMarker()). */
export interface FieldMarker {
  /** The fields such a write names (a text filter for the files to look in). */
  fields: ReadonlySet<string>;
  /** The kind the write makes its object, if exactly one. */
  kindOf(assign: ts.BinaryExpression): string | undefined;
  /** The seed bodies and helpers the verdicts rest on (memdesc track). */
  deps: readonly string[];
}

export class TypeTests {
  /** Declared name -> the spec's tests of that name (the hint tying a function to a kind). */
  private readonly named = new Map<string, KindTest[]>();
  private readonly bySymbol = new Map<ts.Symbol, ResolvedTest>();
  private readonly inProgress = new Set<ts.Symbol>();
  private readonly stateTests = new Map<FunctionLike, Map<number, boolean>>();
  private readonly stateReads = new Map<FunctionLike, Map<number, boolean>>();
  /** Per function and parameter: does it return a test of the bits of the word it is given? */
  private readonly wordTests = new Map<FunctionLike, Map<number, boolean>>();
  /** Per function and parameter: does it return that word again, or bits of it (`md & MASK`)? */
  private readonly wordPasses = new Map<FunctionLike, Map<number, boolean>>();
  private seedForms?: Map<string, KindTest[]>;
  /** The spec's tests (with bodies) by their atom (testAtoms.ts); an atom two kinds' tests share is left out. */
  private seedAtoms = new Map<string, SeedAtom[]>();
  /** `body:` dependencies of the atom table: every seed's body and the helpers its atom was read through. */
  private seedAtomDeps = new Set<string>();
  private readonly atoms: TestAtoms;
  /** shape() of each computation seeds() took a form of. */
  private seedShapes = new Set<string>();
  /** Open verdicts' sets of the functions whose bodies they read; per function, what its own verdicts read. */
  private readonly frames: Array<Set<FunctionLike>> = [];
  private readonly consulted = new Map<FunctionLike, Set<FunctionLike>>();
  private readonly fieldNames: Set<string>;

  /**
   * `given`: tests already established from the code by the caller (by symbol), used as they are
   * (the memdesc word's tests, memdescTests.ts); the spec's names are not consulted then.
   */
  constructor(private readonly ctx: AnalysisContext, private readonly given?: Map<ts.Symbol, KindTest[]>) {
    if (!given) {
      for (const k of ctx.spec.kinds) {
        for (const t of k.pageTypeTests) {
          const l = this.named.get(t.name) ?? [];
          l.push({ kind: k.name, pageArg: t.pageArg, negates: t.negates });
          this.named.set(t.name, l);
        }
      }
    }
    this.fieldNames = new Set(ctx.spec.page.fields.map((f) => f.name));
    this.atoms = new TestAtoms(ctx);
  }

  /** Whether there is anything to find (no spec tests and none given: no guard anywhere). */
  get empty(): boolean {
    return this.given ? this.given.size === 0 : this.named.size === 0;
  }

  /** The tests `call` makes, by the function it resolves to. */
  ofCall(call: ts.CallExpression): ResolvedTest {
    const callee = skipOuter(call.expression);
    const sym = this.ctx.symbolOf(tsv.isPropertyAccessExpression(callee) ? callee.name : callee);
    return sym ? this.ofSymbol(sym) : NONE;
  }

  /** The tests a function value (`xs.filter(isLoan)`, `xs.filter((b) => kindOf(b) === RX)`) makes. */
  ofValue(e: ts.Expression): ResolvedTest {
    const x = skipOuter(e);
    if ((tsv.isArrowFunction(x) || tsv.isFunctionExpression(x)) && !x.name) return this.ofAnonymous(x);
    const sym = this.ctx.symbolOf(tsv.isPropertyAccessExpression(x) ? x.name : x);
    return sym ? this.ofSymbol(sym) : NONE;
  }

  private readonly anonymous = new Map<FunctionLike, ResolvedTest>();

  /** A function written in place, with no name the spec could give: a test by its code alone (computeUnnamed()). */
  private ofAnonymous(fn: FunctionLike): ResolvedTest {
    let r = this.anonymous.get(fn);
    if (!r) {
      const read = new Set<FunctionLike>();
      this.frames.push(read);
      try {
        r = this.computeUnnamed(fn, 0);
      } finally {
        this.frames.pop();
      }
      const deps = new Set(r.deps);
      for (const f of read) { const d = bodyDep(this.ctx, f); if (d) deps.add(d); }
      r = { ...r, deps: [...deps] };
      this.anonymous.set(fn, r);
    }
    return r;
  }

  /** Is the function (a declaration, or a variable's function initializer) a type test of some kind? */
  isTestFunction(fn: FunctionLike): boolean {
    const id = tsv.isFunctionDeclaration(fn) || tsv.isFunctionExpression(fn) ? fn.name
      : tsv.isVariableDeclaration(outer(fn).parent) ? (outer(fn).parent as ts.VariableDeclaration).name : undefined;
    const sym = id && tsv.isIdentifier(id) ? this.ctx.symbolOf(id) : undefined;
    return !!sym && this.ofSymbol(sym).tests.length > 0;
  }

  ofSymbol(sym: ts.Symbol, depth = 0): ResolvedTest {
    if (this.given) return this.given.has(sym) ? { tests: this.given.get(sym)!, deps: [] } : NONE;
    const hit = this.bySymbol.get(sym);
    if (hit) return hit;
    if (this.inProgress.has(sym) || depth > MAX_DEPTH) return NONE;
    this.inProgress.add(sym);
    let r: ResolvedTest;
    const read = new Set<FunctionLike>();
    this.frames.push(read);
    try {
      r = this.compute(sym, depth);
    } finally {
      this.inProgress.delete(sym);
      this.frames.pop();
    }
    // Every body the verdict read (helpers: test_bit(), page_type_of()) is a dependency of it.
    for (const f of read) this.frames[this.frames.length - 1]?.add(f);
    const deps = new Set(r.deps);
    for (const f of read) { const d = bodyDep(this.ctx, f); if (d) deps.add(d); }
    r = { ...r, deps: [...deps] };
    this.bySymbol.set(sym, r);
    return r;
  }

  /** Record that the open verdict read `fn`'s body (and what `fn`'s verdicts read). */
  private note(fn: FunctionLike): void {
    const top = this.frames[this.frames.length - 1];
    if (!top) return;
    top.add(fn);
    for (const g of this.consulted.get(fn) ?? []) top.add(g);
  }

  /** Run a verdict about `fn`, keeping what it read with `fn`. */
  private reading<T>(fn: FunctionLike, f: () => T): T {
    const read = new Set<FunctionLike>();
    this.frames.push(read);
    try {
      return f();
    } finally {
      this.frames.pop();
      const all = this.consulted.get(fn);
      if (all) for (const g of read) all.add(g);
      else this.consulted.set(fn, read);
      this.note(fn);
    }
  }

  private compute(sym: ts.Symbol, depth: number): ResolvedTest {
    const decls = sym.declarations ?? [];
    const fns = decls.map(functionOf).filter((f): f is FunctionLike => !!f);
    const fn = fns.find((f) => !!f.body);
    const seeds = this.named.get(sym.name);
    if (!fn) {
      // No body to read (declared only, or made by a call): the spec's name is all there is.
      // Only a module-level declaration stands for the spec's name: a parameter or a local of
      // that name is something else (a same-named local is not the guard).
      const d = decls.find((x) => tsv.isFunctionDeclaration(x) || (tsv.isVariableDeclaration(x) && !enclosingFn(x)));
      if (!seeds || !d) return NONE;
      const at = this.ctx.at(d.getSourceFile(), d);
      return { tests: seeds, deps: [], byName: `\`${sym.name}()\` has no body to read (declared at ${at}): taken as ${kindsText(seeds)}'s type test by its name alone` };
    }
    const dep = bodyDep(this.ctx, fn);
    const deps = dep ? [dep] : [];
    if (seeds) {
      // A method of the class without parameters (`s.isEntry()`): a test of its object.
      if (isPageMethod(this.ctx, fn) && this.testsReceiver(fn, depth)) return { tests: seeds.map((t) => ({ ...t, pageArg: RECEIVER })), deps };
      const ok = seeds.filter((t) => this.testsState(fn, t.pageArg, depth));
      if (ok.length > 0) return { tests: ok, deps };
      const ret = returnExpressions(fn)[0];
      const shown = ret ? `returns \`${ret.getText().replace(/\s+/g, ' ').slice(0, 60)}\`` : 'returns nothing';
      return {
        tests: [], deps, pageArgs: [...new Set(seeds.map((t) => t.pageArg))],
        notTest: `\`${sym.name}()\` is named like ${kindsText(seeds)}'s type test, but its code tests no type or flags bit of its ${this.noun()} (it ${shown} at ${this.ctx.at(fn.getSourceFile(), fn)})`,
      };
    }
    const r = this.computeUnnamed(fn, depth);
    return r.tests.length > 0 ? { ...r, deps: [...deps, ...r.deps] } : NONE;
  }

  /** A function the spec does not name: a wrapper of a kind's test, or a copy of one's computation. */
  private computeUnnamed(fn: FunctionLike, depth: number): ResolvedTest {
    // A wrapper: its one returned expression is a kind's test of one of its parameters.
    const rets = returnExpressions(fn);
    if (rets.length !== 1 || !this.returnsBoolean(fn)) return NONE;
    const wrapped = this.wrapperOf(fn, rets[0]!, depth);
    if (wrapped) return wrapped;
    // A copy of a kind's test under another name: the same computation of the same parameter.
    const form = this.mayBeSeedForm(rets[0]!) ? this.form(rets[0]!, fn) : undefined;
    const same = form !== undefined ? this.seeds().get(form) : undefined;
    if (same && fn.parameters.length > 0 && this.testsState(fn, same[0]!.pageArg, depth)) return { tests: same, deps: [] };
    // The same test computed another way (`kindOf(p) === RX` for `(p.flags & 7) === RX`): by its atom.
    for (const [i, p] of fn.parameters.entries()) {
      const param = tsv.isIdentifier(p.name) ? this.ctx.symbolOf(p.name) : undefined;
      const r = param && this.inline(rets[0]!, param);
      const tests = r?.tests.filter((t) => t.same) ?? [];
      if (r && tests.length > 0) return { tests: tests.map((t) => ({ kind: t.kind, pageArg: i, negates: t.negates })), deps: r.deps };
    }
    return NONE;
  }

  private noun(): string {
    return this.ctx.spec.page.class;
  }

  private returnsBoolean(fn: FunctionLike): boolean {
    const sig = this.ctx.checker.getSignatureFromDeclaration(fn);
    return !!sig && !!(this.ctx.checker.getReturnTypeOfSignature(sig).flags & tsv.TypeFlags.BooleanLike);
  }

  /** `return T(p)` or `return T(conv(p))` (`=== true` too) for a kind's test T: T's tests, of parameter p. */
  private wrapperOf(fn: FunctionLike, ret: ts.Expression, depth: number): ResolvedTest | undefined {
    const e = this.truthOf(ret);
    if (!tsv.isCallExpression(e)) return undefined;
    const callee = skipOuter(e.expression);
    const sym = this.ctx.symbolOf(tsv.isPropertyAccessExpression(callee) ? callee.name : callee);
    if (!sym) return undefined;
    const inner = this.ofSymbol(sym, depth + 1);
    if (inner.tests.length === 0) return undefined;
    const tests: KindTest[] = [];
    for (const t of inner.tests) {
      const arg = e.arguments[t.pageArg];
      const p = arg ? this.paramOf(arg, fn) : -1;
      if (p >= 0) tests.push({ ...t, pageArg: p });
    }
    if (tests.length === 0) return undefined;
    return { tests, deps: inner.deps, ...(inner.byName ? { byName: inner.byName } : {}) };
  }

  /** The expression whose truth value `e` is: through `x === true`, `!!x`, `Boolean(x)`, `x ? true : false`. */
  private truthOf(e: ts.Expression): ts.Expression {
    for (let x = skipOuter(e); ;) {
      let next: ts.Expression | undefined;
      if (tsv.isBinaryExpression(x) && x.operatorToken.kind === tsv.SyntaxKind.EqualsEqualsEqualsToken && x.right.kind === tsv.SyntaxKind.TrueKeyword) next = x.left;
      else if (tsv.isPrefixUnaryExpression(x) && x.operator === tsv.SyntaxKind.ExclamationToken) {
        const inner = skipOuter(x.operand);
        if (tsv.isPrefixUnaryExpression(inner) && inner.operator === tsv.SyntaxKind.ExclamationToken) next = inner.operand;
      } else if (tsv.isCallExpression(x) && x.arguments.length === 1 && isBooleanCast(this.ctx, x)) next = x.arguments[0];
      else if (tsv.isConditionalExpression(x) && skipOuter(x.whenTrue).kind === tsv.SyntaxKind.TrueKeyword && skipOuter(x.whenFalse).kind === tsv.SyntaxKind.FalseKeyword) next = x.condition;
      if (!next) return x;
      x = skipOuter(next);
    }
  }

  /** The parameter index `e` is (or a page derived from it by a call returning a page: `folio_page(f)`), else -1. */
  private paramOf(e: ts.Expression, fn: FunctionLike, depth = 0): number {
    const x = skipOuter(e);
    if (tsv.isIdentifier(x)) {
      const d = this.ctx.symbolOf(x)?.valueDeclaration;
      return d && tsv.isParameter(d) && d.parent === fn ? fn.parameters.indexOf(d) : -1;
    }
    if (tsv.isCallExpression(x) && depth < 3 && x.arguments.length === 1 && this.ctx.typeIsPage(this.ctx.checker.getTypeAtLocation(x))) {
      return this.paramOf(x.arguments[0]!, fn, depth + 1);
    }
    return -1;
  }

  /** The spec's tests (with bodies) by the form of their single returned expression. */
  private seeds(): Map<string, KindTest[]> {
    if (this.seedForms) return this.seedForms;
    const out = new Map<string, KindTest[]>();
    this.seedForms = out;
    if (this.named.size === 0) return out;
    // A file declares a test only if its text spells the name: the others' statements are not walked.
    const spelled = new RegExp([...this.named.keys()].map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'));
    for (const sf of this.ctx.files) {
      if (!spelled.test(sf.text)) continue;
      for (const st of sf.statements) {
        // The class's own methods too (`isEntry() { return this.tag === 'entry'; }`).
        const methods = this.ctx.pageDecls.has(st) && tsv.isClassDeclaration(st) ? st.members.filter((m) => tsv.isMethodDeclaration(m)) : NO_NODES;
        const decls: readonly ts.Node[] = tsv.isFunctionDeclaration(st) ? [st] : tsv.isVariableStatement(st) ? st.declarationList.declarations : methods;
        for (const d of decls) {
          const name = (d as ts.FunctionDeclaration | ts.VariableDeclaration).name;
          const tests = name && tsv.isIdentifier(name) ? this.named.get(name.text) : undefined;
          const fn = tests && functionOf(d);
          if (!fn?.body) continue;
          const rets = returnExpressions(fn);
          const sym = this.ctx.symbolOf(name as ts.Identifier);
          if (rets.length === 1 && sym) this.addSeedAtoms(fn, rets[0]!, this.ofSymbol(sym).tests, sym.name);
          const form = rets.length === 1 ? this.form(rets[0]!, fn) : undefined;
          if (form === undefined) continue;
          this.seedShapes.add(shape(rets[0]!));
          if (!sym || this.ofSymbol(sym).tests.length === 0) continue;
          // Two kinds' tests with one computation say nothing about either.
          out.set(form, out.has(form) ? [] : this.ofSymbol(sym).tests);
        }
      }
    }
    for (const [k, v] of out) if (v.length === 0) out.delete(k);
    // Two kinds' tests computing one atom in one sense say nothing about either; in opposite senses
    // (`isFree(b)`: `b.free`, `isUsed(b)`: `!b.free`) each holds where the other fails.
    for (const [k, v] of this.seedAtoms) {
      const kept = v.filter((t) => new Set(v.filter((u) => u.positive === t.positive).map((u) => u.kind)).size === 1);
      if (kept.length === 0) this.seedAtoms.delete(k);
      else this.seedAtoms.set(k, kept);
    }
    return out;
  }

  /** A seed's atom per test it makes (its page parameter), its body and helpers the table's dependencies. */
  private addSeedAtoms(fn: FunctionLike, ret: ts.Expression, tests: KindTest[], name: string): void {
    for (const t of tests) {
      const p = fn.parameters[t.pageArg];
      const param = t.pageArg === RECEIVER ? THIS : p && tsv.isIdentifier(p.name) ? this.ctx.symbolOf(p.name) : undefined;
      const a = param && this.atoms.testOf(ret, param);
      if (!a) continue;
      for (const f of [fn, ...a.read]) { const d = bodyDep(this.ctx, f); if (d) this.seedAtomDeps.add(d); }
      const l = this.seedAtoms.get(a.atom.atom) ?? [];
      l.push({ ...t, positive: a.atom.positive, name });
      this.seedAtoms.set(a.atom.atom, l);
    }
  }

  /**
   * Writes that make a kind's test hold (`s.tag = 'entry'` where isEntry() is `s.tag === 'entry'`):
   * the fields such a write can name, and the kind a write makes its object (one kind only, by a
   * test that holds when the write's atom does), with the seed bodies the verdict rests on.
   */
  fieldMarker(): FieldMarker | undefined {
    if (this.fieldMarkerMemo !== null) return this.fieldMarkerMemo;
    this.fieldMarkerMemo = this.computeFieldMarker();
    return this.fieldMarkerMemo;
  }

  private fieldMarkerMemo: FieldMarker | undefined | null = null;

  private computeFieldMarker(): FieldMarker | undefined {
    this.seeds();
    const fields = new Set<string>();
    for (const a of this.seedAtoms.keys()) {
      const m = /^([^&=]+)(?:&4294967295)?=/.exec(a);
      if (m && !a.includes('!=')) fields.add(m[1]!);
    }
    if (fields.size === 0) return undefined;
    return {
      fields,
      deps: [...this.seedAtomDeps],
      kindOf: (assign) => {
        const a = this.atoms.writeAtom(assign);
        const kinds = new Set((a && this.seedAtoms.get(a.atom) || []).filter((t) => t.positive === a!.positive).map((t) => t.kind));
        return kinds.size === 1 ? [...kinds][0] : undefined;
      },
    };
  }

  private testMembers?: ReadonlySet<string>;

  /**
   * Could the member read `name` be a test written in place (`s.isLive`, `s.free`)? Only a getter
   * of the class that is no field (one returned expression) or a boolean field can: by name, from
   * the class's declarations, so that a condition reading any other member costs no query.
   */
  mayTestMember(name: string): boolean {
    if (!this.testMembers) {
      const out = new Set<string>();
      for (const d of this.ctx.pageDecls) {
        if (!tsv.isClassDeclaration(d)) continue;
        for (const m of d.members) {
          if (!m.name || !tsv.isIdentifier(m.name)) continue;
          if (tsv.isGetAccessorDeclaration(m) && !this.fieldNames.has(m.name.text)) out.add(m.name.text);
          if ((tsv.isPropertyDeclaration(m) || tsv.isGetAccessorDeclaration(m)) && this.fieldNames.has(m.name.text) &&
            this.ctx.checker.getTypeAtLocation(m).flags & tsv.TypeFlags.BooleanLike) out.add(m.name.text);
        }
      }
      this.testMembers = out;
    }
    return this.testMembers.has(name);
  }

  /** Are there kinds' tests a condition written in place could compute? */
  get hasAtoms(): boolean {
    this.seeds();
    return this.seedAtoms.size > 0;
  }

  /**
   * A condition written in place that computes a kind's type test of `subject` (testAtoms.ts):
   * `kindOf(b) === BufKind.Rx` where isRx(b) is `(b.flags & KIND_MASK) === BufKind.Rx`; with
   * `switchExpr`, the case `e` of `switch (switchExpr)`. Each test says whether the condition's
   * truth is the test's (`same`). `deps`: every seed body and helper the verdict rests on (a seed
   * edited may make or unmake the match), also when nothing matched but the condition is a test.
   */
  inline(e: ts.Expression, subject: ts.Symbol, switchExpr?: ts.Expression): InlineTest | undefined {
    if (!this.hasAtoms) return undefined;
    const a = switchExpr ? this.atoms.caseOf(switchExpr, e, subject) : this.atoms.testOf(e, subject);
    if (!a) return undefined;
    const deps = new Set(this.seedAtomDeps);
    for (const f of a.read) { const d = bodyDep(this.ctx, f); if (d) deps.add(d); }
    // One test per kind and sense (a kind's test may be declared in several files).
    const tests = new Map<string, InlineTest['tests'][number]>();
    for (const t of this.seedAtoms.get(a.atom.atom) ?? []) {
      const same = t.positive === a.atom.positive;
      const key = `${t.kind}\0${same}\0${t.negates}`;
      if (!tests.has(key)) tests.set(key, { kind: t.kind, pageArg: 0, negates: t.negates, same, name: t.name });
    }
    return { tests: [...tests.values()], deps: [...deps] };
  }

  /**
   * Can `e`'s form be a seed's? Equal forms have equal shapes (a form with each name and number a
   * blank), and a shape needs no symbol or type query: most boolean functions fail here.
   */
  private mayBeSeedForm(e: ts.Node): boolean {
    this.seeds();
    return this.seedShapes.has(shape(e));
  }

  private symbolIds = new Map<ts.Symbol, number>();

  /** A computation's form: parameters by position, constants by value, other names by symbol. */
  private form(e: ts.Node, fn: FunctionLike): string | undefined {
    const parts: string[] = [];
    let ok = true;
    const walk = (n: ts.Node): void => {
      if (!ok) return;
      if (tsv.isIdentifier(n)) {
        const sym = this.ctx.symbolOf(n);
        const d = sym?.valueDeclaration;
        if (d && tsv.isParameter(d) && d.parent === fn) { parts.push(`$${fn.parameters.indexOf(d)}`); return; }
        // A function or class is no number: no type query for the callees a computation names.
        const v = sym && sym.flags & CALLABLE && !(sym.flags & ~CALLABLE) ? undefined : this.constant(n);
        if (v !== undefined) { parts.push(`#${v}`); return; }
        if (!sym) { ok = false; return; }
        let id = this.symbolIds.get(sym);
        if (id === undefined) this.symbolIds.set(sym, id = this.symbolIds.size);
        parts.push(`@${id}`);
        return;
      }
      if (tsv.isParenthesizedExpression(n)) { walk(n.expression); return; }
      if (tsv.isNumericLiteral(n)) { parts.push(`#${Number(n.text)}`); return; }
      parts.push(`(${n.kind}${tsv.isStringLiteral(n) ? JSON.stringify(n.text) : ''}${tsv.isToken(n) ? `:${n.kind}` : ''}`);
      tsv.forEachChild(n, walk);
      parts.push(')');
    };
    walk(e);
    return ok ? parts.join('') : undefined;
  }

  /** A number known statically (testAtoms.ts: literals, literal types, module consts, shifts of them). */
  private constant(e: ts.Expression): number | undefined {
    return this.atoms.constant(e);
  }

  /**
   * Does `fn` return a boolean computed from the type or flags bits of its parameter `pageArg`?
   * Every returned expression is such a test or a boolean literal, and one at least is a test.
   */
  testsState(fn: FunctionLike, pageArg: number, depth = 0): boolean {
    if (pageArg === RECEIVER) return this.testsReceiver(fn, depth);
    return this.perParameter(this.stateTests, fn, pageArg, (param) => this.computeTestsState(fn, param && { sym: param, word: false }, depth));
  }

  /**
   * Does `fn` return a test of the bits of the state word it is given as parameter `i`
   * (`page_word_is_tail(w1)`: `(w1 & 1) !== 0`)? The same rules as testsState(), the parameter
   * itself being the state: a word against 0 or a constant answer is no test.
   */
  private testsWord(fn: FunctionLike, i: number, depth: number): boolean {
    return this.perParameter(this.wordTests, fn, i, (param) => this.computeTestsState(fn, param && { sym: param, word: true }, depth));
  }

  /**
   * Does `fn` hand back the state word it is given as parameter `i`, or bits of it (`memdesc_type(md)`:
   * `md & MEMDESC_TYPE_MASK`)? Then its result is the page's state where the argument was.
   */
  private passesWord(fn: FunctionLike, i: number, depth: number): boolean {
    return this.perParameter(this.wordPasses, fn, i, (param) => {
      if (!param || !fn.body || depth > MAX_DEPTH) return false;
      const s: Subject = { sym: param, word: true };
      const rets = returnExpressions(fn);
      return rets.length > 0 && rets.every((e) => this.isState(e, s, fn, depth) || this.isBits(e, s, fn, depth));
    });
  }

  /**
   * A verdict about `fn`'s parameter `i`, computed once (false while it is being computed, so a
   * recursion answers no) and read under `reading(fn)`; a cached verdict still notes `fn` as read.
   */
  private perParameter(table: Map<FunctionLike, Map<number, boolean>>, fn: FunctionLike, i: number, compute: (param: ts.Symbol | undefined) => boolean): boolean {
    let m = table.get(fn);
    if (!m) table.set(fn, m = new Map());
    const hit = m.get(i);
    if (hit !== undefined) {
      this.note(fn);
      return hit;
    }
    m.set(i, false);
    const p = fn.parameters[i];
    const param = p && tsv.isIdentifier(p.name) ? this.ctx.symbolOf(p.name) : undefined;
    const r = this.reading(fn, () => compute(param));
    m.set(i, r);
    return r;
  }

  private receiverTests = new Map<FunctionLike, boolean>();

  /** Does method `m` return a boolean computed from its `this`'s type or flags bits? */
  private testsReceiver(m: FunctionLike, depth: number): boolean {
    let r = this.receiverTests.get(m);
    if (r === undefined) {
      this.receiverTests.set(m, false);
      r = this.reading(m, () => this.computeTestsState(m, { sym: THIS, word: false }, depth));
      this.receiverTests.set(m, r);
    } else this.note(m);
    return r;
  }

  private computeTestsState(fn: FunctionLike, param: Subject | undefined, depth: number): boolean {
    let r = false;
    if (param && fn.body && depth <= MAX_DEPTH) {
      const rets = returnExpressions(fn);
      let some = false;
      r = rets.length > 0 && rets.every((e) => {
        const x = skipOuter(e);
        if (x.kind === tsv.SyntaxKind.TrueKeyword || x.kind === tsv.SyntaxKind.FalseKeyword) return true;
        const t = this.isTest(x, param, fn, depth);
        some ||= t;
        return t;
      }) && some;
    }
    return r;
  }

  /** Is `e` a test of `param`'s type or flags bits? */
  private isTest(e: ts.Expression, param: Subject, fn: FunctionLike, depth: number): boolean {
    const x = skipOuter(e);
    if (tsv.isPrefixUnaryExpression(x) && x.operator === tsv.SyntaxKind.ExclamationToken) return this.isTest(x.operand, param, fn, depth);
    if (tsv.isBinaryExpression(x)) {
      const op = x.operatorToken.kind;
      if (op === tsv.SyntaxKind.AmpersandAmpersandToken || op === tsv.SyntaxKind.BarBarToken) {
        return this.isTest(x.left, param, fn, depth) || this.isTest(x.right, param, fn, depth);
      }
      if (op === tsv.SyntaxKind.AmpersandToken) return this.isBits(x, param, fn, depth);
      if (op === tsv.SyntaxKind.EqualsEqualsEqualsToken || op === tsv.SyntaxKind.ExclamationEqualsEqualsToken ||
        op === tsv.SyntaxKind.EqualsEqualsToken || op === tsv.SyntaxKind.ExclamationEqualsToken) {
        for (const [side, other] of [[x.left, x.right], [x.right, x.left]] as const) {
          const o = skipOuter(other);
          if (o.kind === tsv.SyntaxKind.TrueKeyword || o.kind === tsv.SyntaxKind.FalseKeyword) return this.isTest(side, param, fn, depth);
          if (this.mentions(o, param)) continue;
          // Bits of the word against anything; the word itself against a value other than 0.
          if (this.isBits(side, param, fn, depth)) return true;
          const zero = this.constant(o) === 0 || o.kind === tsv.SyntaxKind.NullKeyword || (tsv.isIdentifier(o) && o.text === 'undefined');
          if (!zero && this.isState(side, param, fn, depth)) return true;
        }
      }
      return false;
    }
    // A boolean field of the page (`b.free`): its value is what it tells.
    if (tsv.isPropertyAccessExpression(x)) return this.isField(x) && this.derived(x.expression, param) && isBooleanField(this.ctx, x);
    // `c ? true : false` (or the other way round) is c's truth value.
    if (tsv.isConditionalExpression(x)) {
      const t = skipOuter(x.whenTrue).kind;
      const f = skipOuter(x.whenFalse).kind;
      const bools = (t === tsv.SyntaxKind.TrueKeyword && f === tsv.SyntaxKind.FalseKeyword) || (t === tsv.SyntaxKind.FalseKeyword && f === tsv.SyntaxKind.TrueKeyword);
      return bools && this.isTest(x.condition, param, fn, depth);
    }
    if (tsv.isCallExpression(x)) {
      // `Boolean(c)`: the global conversion (by symbol: a local named Boolean is another function) is c's truth value.
      if (x.arguments.length === 1 && isBooleanCast(this.ctx, x)) return this.isTest(x.arguments[0]!, param, fn, depth);
      // Another function's test of the page handed to it (test_bit(PG_lru, page), a kind's test),
      // or of a word of its state handed to it (page_word_is_tail(page.compound_head)).
      const callee = skipOuter(x.expression);
      const sym = this.ctx.symbolOf(tsv.isPropertyAccessExpression(callee) ? callee.name : callee);
      // A method of the page computing a test of its `this` (`s.isEntry()`).
      if (tsv.isPropertyAccessExpression(callee) && x.arguments.length === 0 && this.derived(callee.expression, param)) {
        const m = sym?.declarations?.find((d): d is ts.MethodDeclaration => tsv.isMethodDeclaration(d) && !!d.body && d.parameters.length === 0);
        if (m && this.testsReceiver(m, depth + 1)) return true;
      }
      const g = sym && (sym.declarations ?? []).map(functionOf).find((f) => !!f?.body);
      const named = sym && this.named.has(sym.name) ? this.ofSymbol(sym, depth + 1) : undefined;
      return x.arguments.some((a, i) => this.derived(a, param)
        ? (g && this.testsState(g, i, depth + 1)) || !!named?.tests.some((t) => t.pageArg === i)
        : !!g && this.isWord(a, param, fn, depth) && this.testsWord(g, i, depth + 1));
    }
    return false;
  }

  /** A word of the page's state, or bits of one (what a helper may be handed to test or to pass on). */
  private isWord(e: ts.Expression, param: Subject, fn: FunctionLike, depth: number): boolean {
    return this.isState(e, param, fn, depth) || this.isBits(e, param, fn, depth);
  }

  /** `S & M` (or `S >>> n`, `S >> n` of such) for a state value S of the page and M independent of it. */
  private isBits(e: ts.Expression, param: Subject, fn: FunctionLike, depth: number): boolean {
    const x = skipOuter(e);
    if (!tsv.isBinaryExpression(x)) return false;
    const op = x.operatorToken.kind;
    if (op !== tsv.SyntaxKind.AmpersandToken && op !== tsv.SyntaxKind.GreaterThanGreaterThanGreaterThanToken && op !== tsv.SyntaxKind.GreaterThanGreaterThanToken) return false;
    const pairs = op === tsv.SyntaxKind.AmpersandToken ? [[x.left, x.right], [x.right, x.left]] as const : [[x.left, x.right]] as const;
    for (const [s, m] of pairs) {
      if (this.mentions(m, param)) continue;
      if (this.isState(s, param, fn, depth) || this.isBits(s, param, fn, depth)) return true;
    }
    return false;
  }

  /**
   * A value read from the page's state: a field of the class on it (`page.flags`,
   * `compound_head(page).mapping`), a word read at its address (`read32(page.addr + 4)`), what a
   * function reading the page's state returns for it (`page_type_of(page)`), what a function
   * handed such a word returns of it (`memdesc_type(read32(…))`); `x >>> n` of one; for a word
   * parameter, the word itself.
   */
  private isState(e: ts.Expression, param: Subject, fn: FunctionLike, depth: number): boolean {
    const x = skipOuter(e);
    if (tsv.isPropertyAccessExpression(x)) return this.isField(x) && this.derived(x.expression, param);
    if (tsv.isBinaryExpression(x) && (x.operatorToken.kind === tsv.SyntaxKind.GreaterThanGreaterThanGreaterThanToken || x.operatorToken.kind === tsv.SyntaxKind.GreaterThanGreaterThanToken)) {
      return !this.mentions(x.right, param) && this.isState(x.left, param, fn, depth);
    }
    if (tsv.isIdentifier(x)) {
      if (param.word && this.ctx.symbolOf(x) === param.sym) return true;
      const init = this.constInit(x);
      return !!init && depth <= MAX_DEPTH && this.isState(init, param, fn, depth + 1);
    }
    if (tsv.isCallExpression(x)) {
      const callee = skipOuter(x.expression);
      const sym = this.ctx.symbolOf(tsv.isPropertyAccessExpression(callee) ? callee.name : callee);
      const g = sym && (sym.declarations ?? []).map(functionOf).find((f) => !!f?.body);
      return x.arguments.some((a, i) => this.derived(a, param)
        ? !!g && this.readsState(g, i, depth + 1)
        : this.addressOf(a, param) || (!!g && depth <= MAX_DEPTH && this.isWord(a, param, fn, depth + 1) && this.passesWord(g, i, depth + 1)));
    }
    return false;
  }

  /** Is the member a field of the class the spec names (by its declaration)? */
  private isField(x: ts.PropertyAccessExpression): boolean {
    if (!this.fieldNames.has(x.name.text)) return false;
    const sym = this.ctx.symbolOf(x.name);
    return !!sym?.declarations?.some((d) => !!d.parent && this.ctx.pageDecls.has(d.parent));
  }

  /** An address computed from the page's own (`page.addr + 4`): a word read by offset when handed to a call. */
  private addressOf(e: ts.Expression, param: Subject): boolean {
    const x = skipOuter(e);
    if (tsv.isBinaryExpression(x) && x.operatorToken.kind === tsv.SyntaxKind.PlusToken) return this.addressOf(x.left, param) || this.addressOf(x.right, param);
    return tsv.isPropertyAccessExpression(x) && !this.isField(x) && this.derived(x.expression, param) && !!(this.ctx.checker.getTypeAtLocation(x).flags & tsv.TypeFlags.NumberLike);
  }

  /** Does `fn` read the state of its parameter `i` anywhere in its body? */
  private readsState(fn: FunctionLike, i: number, depth: number): boolean {
    return this.perParameter(this.stateReads, fn, i, (sym) => {
      let found = false;
      if (sym && fn.body && depth <= MAX_DEPTH) {
        const param: Subject = { sym, word: false };
        const visit = (n: ts.Node): void => {
          if (found) return;
          if (tsv.isExpression(n) && (tsv.isPropertyAccessExpression(n) || tsv.isCallExpression(n)) && this.isState(n, param, fn, depth)) { found = true; return; }
          tsv.forEachChild(n, visit);
        };
        visit(fn.body);
      }
      return found;
    });
  }

  /**
   * Is `e` the page `param`, or a page derived from it (a call returning a page given it, a const
   * holding one)? A word parameter is no page: nothing is derived from it.
   */
  private derived(e: ts.Expression, param: Subject, depth = 0): boolean {
    if (param.word) return false;
    const x = skipOuter(e);
    if (x.kind === tsv.SyntaxKind.ThisKeyword) return param.sym === THIS;
    if (tsv.isIdentifier(x)) {
      const sym = this.ctx.symbolOf(x);
      if (sym === param.sym) return true;
      const init = depth < 4 ? this.constInit(x) : undefined;
      return !!init && this.derived(init, param, depth + 1);
    }
    if (tsv.isCallExpression(x) && depth < 4) {
      return x.arguments.some((a) => this.derived(a, param, depth + 1)) && this.ctx.typeIsPage(this.ctx.checker.getTypeAtLocation(x));
    }
    return false;
  }

  /** Does `e` mention the page or the word (the parameter, or a local derived from it)? */
  private mentions(e: ts.Node, param: Subject, depth = 0): boolean {
    let hit = false;
    const walk = (n: ts.Node): void => {
      if (hit) return;
      if (tsv.isIdentifier(n)) {
        const sym = this.ctx.symbolOf(n);
        if (sym === param.sym) hit = true;
        else if (depth < 4) {
          const init = this.constInit(n);
          if (init && this.mentions(init, param, depth + 1)) hit = true;
        }
        return;
      }
      tsv.forEachChild(n, walk);
    };
    walk(e);
    return hit;
  }

  /** The initializer of a local `const` (inside a function). */
  private constInit(id: ts.Identifier): ts.Expression | undefined {
    const d = this.ctx.symbolOf(id)?.valueDeclaration;
    if (!d || !tsv.isVariableDeclaration(d) || !d.initializer || !tsv.isVariableDeclarationList(d.parent) || !(d.parent.flags & tsv.NodeFlags.Const)) return undefined;
    return enclosingFn(d) ? d.initializer : undefined;
  }
}

/**
 * form() with every name and number one blank: the same walk, its atoms (`$i`, `#v`, `@id`) all `_`.
 * A form's atoms and brackets read back one way, so equal forms have equal shapes.
 */
function shape(e: ts.Node): string {
  const parts: string[] = [];
  const walk = (n: ts.Node): void => {
    if (tsv.isIdentifier(n) || tsv.isNumericLiteral(n)) { parts.push('_'); return; }
    if (tsv.isParenthesizedExpression(n)) { walk(n.expression); return; }
    parts.push(`(${n.kind}${tsv.isStringLiteral(n) ? JSON.stringify(n.text) : ''}${tsv.isToken(n) ? `:${n.kind}` : ''}`);
    tsv.forEachChild(n, walk);
    parts.push(')');
  };
  walk(e);
  return parts.join('');
}

function enclosingFn(n: ts.Node): ts.Node | undefined {
  return tsv.findAncestor(n.parent, isFunctionLike);
}


function kindsText(tests: KindTest[]): string {
  return [...new Set(tests.map((t) => t.kind))].join(' and ');
}
