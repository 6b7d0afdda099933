/**
 * What a type test computes, as one normal form (an atom): which bits of which word of the class it
 * compares, and with what. `isRx(b)`'s `(b.flags & KIND_MASK) === BufKind.Rx`, a test written in
 * place as `kindOf(b) === 1` (kindOf() returning `b.flags & 7`), `case BufKind.Rx:` of
 * `switch (kindOf(b))` and `1 === (b.flags & 7)` are one atom, `flags&7=1`; a bit test in any
 * spelling (`(w & B) !== 0`, `!!(w & B)`, `(w & B) === B`) is `flags&B=B`. Constants count by value
 * (literals, module consts, enum members, a helper's parameter bound to a constant at its call),
 * helpers by their code (a function whose body is one returned expression is read with its
 * parameters bound), never by names. A word against 0 is no test (the docs' rule for type tests).
 * So a condition that computes what a kind's type test computes is that test, wherever and however
 * it is written (guards.ts); anything the form cannot say (two words, a test through a call with
 * statements) is no atom, and the caller falls back to what it did before.
 */
import { ts } from '@ts-morph/common';
import { tsv } from './tsValues.ts';
import { isFunctionLike, skipOuter, type FunctionLike } from './ast.ts';
import { functionOf } from './assertions.ts';
import type { AnalysisContext } from './context.ts';
import { returnExpressions } from './dataflow.ts';

/** A test in normal form, and whether the expression holds when the atom holds (false: it is the atom's negation). */
export interface TestAtom {
  atom: string;
  positive: boolean;
}

/** A value read from the subject's state: `(word & mask) >>> shift`. */
export interface StateValue {
  field: string;
  mask: number;
  shift: number;
}

/** Constants bound to a helper's parameters where it was called (kindIs(b, 2): t = 2). */
type Env = ReadonlyMap<ts.Symbol, number>;

const ALL = 0xffffffff;
/** The subject inside a getter's or method's body: its `this`. */
export const THIS = { name: 'this', flags: 0 } as unknown as ts.Symbol;

/** `s`, `!!s`, `s != null`, `s !== undefined`: the subject is there. */
function isPresence(ctx: AnalysisContext, e: ts.Expression, subj: ts.Symbol): boolean {
  const x = skipOuter(e);
  if (tsv.isPrefixUnaryExpression(x) && x.operator === tsv.SyntaxKind.ExclamationToken) {
    const y = skipOuter(x.operand);
    return tsv.isPrefixUnaryExpression(y) && y.operator === tsv.SyntaxKind.ExclamationToken && isSubject(ctx, y.operand, subj);
  }
  if (tsv.isBinaryExpression(x)) {
    const op = x.operatorToken.kind;
    if (op !== tsv.SyntaxKind.ExclamationEqualsToken && op !== tsv.SyntaxKind.ExclamationEqualsEqualsToken) return false;
    const nothing = (n: ts.Expression): boolean => { const y = skipOuter(n); return y.kind === tsv.SyntaxKind.NullKeyword || (tsv.isIdentifier(y) && y.text === 'undefined'); };
    return (isSubject(ctx, x.left, subj) && nothing(x.right)) || (isSubject(ctx, x.right, subj) && nothing(x.left));
  }
  return isSubject(ctx, x, subj);
}

/** `e` is the subject: its variable or parameter, or `this` inside a getter read for it. */
function isSubject(ctx: AnalysisContext, e: ts.Expression, subj: ts.Symbol): boolean {
  const r = skipOuter(e);
  if (subj === THIS) return r.kind === tsv.SyntaxKind.ThisKeyword;
  return tsv.isIdentifier(r) && ctx.symbolOf(r) === subj;
}
const NO_ENV: Env = new Map();
/** How deep helpers of helpers are read. */
const MAX_DEPTH = 4;

export class TestAtoms {
  private readonly fieldNames: Set<string>;
  /** Per expression and subject: its atom (null: none). Only asked without bound parameters. */
  private readonly memo = new Map<ts.Node, Map<ts.Symbol, { atom: TestAtom | null; read: FunctionLike[] }>>();

  constructor(private readonly ctx: AnalysisContext) {
    this.fieldNames = new Set(ctx.spec.page.fields.map((f) => f.name));
  }

  /**
   * The atom `e` is as a test of `subject` (a variable's or parameter's symbol), and the helper
   * bodies it was read through (for memdesc track); undefined when `e` is no such test.
   */
  testOf(e: ts.Expression, subject: ts.Symbol): { atom: TestAtom; read: FunctionLike[] } | undefined {
    let m = this.memo.get(e);
    if (!m) this.memo.set(e, m = new Map());
    let r = m.get(subject);
    if (!r) {
      const read: FunctionLike[] = [];
      r = { atom: this.test(e, subject, NO_ENV, 0, read) ?? null, read };
      m.set(subject, r);
    }
    return r.atom ? { atom: r.atom, read: r.read } : undefined;
  }

  /**
   * `x.f = c` as the atom it makes hold: the field's whole value set to a constant (`s.tag =
   * 'entry'` makes `tag="entry"` hold for `x`). Undefined for anything else.
   */
  writeAtom(assign: ts.BinaryExpression): TestAtom | undefined {
    const l = skipOuter(assign.left);
    if (!tsv.isPropertyAccessExpression(l) || !this.isField(l)) return undefined;
    const c = this.value(assign.right);
    return c === undefined ? undefined : equals({ field: l.name.text, mask: ALL, shift: 0 }, c);
  }

  /** `switch (s) { case c: … }` as a test of `subject`: `s === c`. */
  caseOf(switchExpr: ts.Expression, caseExpr: ts.Expression, subject: ts.Symbol): { atom: TestAtom; read: FunctionLike[] } | undefined {
    const read: FunctionLike[] = [];
    const s = this.state(switchExpr, subject, NO_ENV, 0, read);
    const c = s && this.value(caseExpr, NO_ENV);
    const atom = s && c !== undefined ? equals(s, c) : undefined;
    return atom ? { atom, read } : undefined;
  }

  private test(e: ts.Expression, subj: ts.Symbol, env: Env, depth: number, read: FunctionLike[]): TestAtom | undefined {
    const x = skipOuter(e);
    if (tsv.isPrefixUnaryExpression(x) && x.operator === tsv.SyntaxKind.ExclamationToken) return flip(this.test(x.operand, subj, env, depth, read));
    if (tsv.isBinaryExpression(x)) {
      const op = x.operatorToken.kind;
      const eq = op === tsv.SyntaxKind.EqualsEqualsEqualsToken || op === tsv.SyntaxKind.EqualsEqualsToken;
      const ne = op === tsv.SyntaxKind.ExclamationEqualsEqualsToken || op === tsv.SyntaxKind.ExclamationEqualsToken;
      if (eq || ne) {
        for (const [side, other] of [[x.left, x.right], [x.right, x.left]] as const) {
          const o = skipOuter(other);
          if (o.kind === tsv.SyntaxKind.TrueKeyword || o.kind === tsv.SyntaxKind.FalseKeyword) {
            const t = this.test(side, subj, env, depth, read);
            return (o.kind === tsv.SyntaxKind.TrueKeyword) === eq ? t : flip(t);
          }
          const c = this.value(o, env);
          if (c === undefined) continue;
          const s = this.state(side, subj, env, depth, read);
          const a = s && equals(s, c);
          if (a) return eq ? a : flip(a);
        }
        return undefined;
      }
      if (op === tsv.SyntaxKind.AmpersandToken) return this.truth(x, subj, env, depth, read);
      // `s && T` / `!!s && T`, T a test of s: T (a null subject is of no kind either way).
      if (op === tsv.SyntaxKind.AmpersandAmpersandToken) {
        if (isPresence(this.ctx, x.left, subj)) return this.test(x.right, subj, env, depth, read);
        if (isPresence(this.ctx, x.right, subj)) return this.test(x.left, subj, env, depth, read);
      }
      return undefined;
    }
    if (tsv.isPropertyAccessExpression(x) && !this.isField(x)) return this.throughGetter(x, subj, depth, read, (r, p) => this.test(r, p, NO_ENV, depth + 1, read));
    // A boolean field is its own test (`b.free`: free=true).
    if (tsv.isPropertyAccessExpression(x) && isBooleanField(this.ctx, x)) {
      const s = this.state(x, subj, env, depth, read);
      return s && equals(s, true);
    }
    if (tsv.isCallExpression(x)) {
      if (x.arguments.length === 1 && isBooleanCast(this.ctx, x)) return this.test(x.arguments[0]!, subj, env, depth, read);
      // A method of the subject computing a test of its `this` (`s.isEntry()`, `s?.isEntry()`).
      const callee = skipOuter(x.expression);
      if (x.arguments.length === 0 && tsv.isPropertyAccessExpression(callee)) return this.throughGetter(callee, subj, depth, read, (r, p) => this.test(r, p, NO_ENV, depth + 1, read));
      return this.throughHelper(x, subj, env, depth, read, (r, p, env2) => this.test(r, p, env2, depth + 1, read));
    }
    if (tsv.isConditionalExpression(x)) {
      const t = skipOuter(x.whenTrue).kind;
      const f = skipOuter(x.whenFalse).kind;
      if (t === tsv.SyntaxKind.TrueKeyword && f === tsv.SyntaxKind.FalseKeyword) return this.test(x.condition, subj, env, depth, read);
      if (t === tsv.SyntaxKind.FalseKeyword && f === tsv.SyntaxKind.TrueKeyword) return flip(this.test(x.condition, subj, env, depth, read));
    }
    return undefined;
  }

  /** The truth value of a state value: some of its bits set (the whole word: no test). */
  private truth(e: ts.Expression, subj: ts.Symbol, env: Env, depth: number, read: FunctionLike[]): TestAtom | undefined {
    const s = this.state(e, subj, env, depth, read);
    if (!s || s.mask === ALL || s.mask === 0) return undefined;
    return single(s.mask) ? { atom: `${s.field}&${s.mask}=${s.mask}`, positive: true } : { atom: `${s.field}&${s.mask}!=0`, positive: true };
  }

  /** A value of the subject's state: a field of the class on it, masked and shifted by constants, through helpers. */
  private state(e: ts.Expression, subj: ts.Symbol, env: Env, depth: number, read: FunctionLike[]): StateValue | undefined {
    const x = skipOuter(e);
    if (tsv.isPropertyAccessExpression(x)) {
      if (!this.isField(x)) return this.throughGetter(x, subj, depth, read, (r, p) => this.state(r, p, NO_ENV, depth + 1, read));
      return isSubject(this.ctx, x.expression, subj) ? { field: x.name.text, mask: ALL, shift: 0 } : undefined;
    }
    if (tsv.isBinaryExpression(x)) {
      const op = x.operatorToken.kind;
      if (op === tsv.SyntaxKind.AmpersandToken) {
        for (const [side, other] of [[x.left, x.right], [x.right, x.left]] as const) {
          const m = this.constant(other, env);
          if (m === undefined) continue;
          const s = this.state(side, subj, env, depth, read);
          if (s) return { ...s, mask: (s.mask & ((m << s.shift) >>> 0)) >>> 0 };
        }
        return undefined;
      }
      if (op === tsv.SyntaxKind.GreaterThanGreaterThanGreaterThanToken || op === tsv.SyntaxKind.GreaterThanGreaterThanToken) {
        const n = this.constant(x.right, env);
        const s = n === undefined || n < 0 || n > 31 ? undefined : this.state(x.left, subj, env, depth, read);
        // `>>` copies the sign bit: the same as `>>>` only while the mask leaves bit 31 out.
        if (!s || (op === tsv.SyntaxKind.GreaterThanGreaterThanToken && s.mask & 0x80000000)) return undefined;
        return s.shift + n! > 31 ? undefined : { ...s, shift: s.shift + n! };
      }
      return undefined;
    }
    if (tsv.isCallExpression(x)) return this.throughHelper(x, subj, env, depth, read, (r, p, env2) => this.state(r, p, env2, depth + 1, read));
    if (tsv.isIdentifier(x)) {
      const d = this.ctx.symbolOf(x)?.valueDeclaration;
      // `const { tag } = s`: the field destructured from the subject.
      if (d && tsv.isBindingElement(d) && tsv.isObjectBindingPattern(d.parent) && !d.dotDotDotToken) {
        const init = constLocalSource(this.ctx, x);
        const key = d.propertyName ?? d.name;
        if (!init || !tsv.isIdentifier(key) || !isSubject(this.ctx, init, subj) || !this.fieldNames.has(key.text)) return undefined;
        const sym = this.ctx.checker.getTypeAtLocation(init).getProperty(key.text);
        return sym?.declarations?.some((dd) => !!dd.parent && this.ctx.pageDecls.has(dd.parent)) ? { field: key.text, mask: ALL, shift: 0 } : undefined;
      }
      const init = constLocalInit(this.ctx, x);
      return init && depth < MAX_DEPTH ? this.state(init, subj, env, depth + 1, read) : undefined;
    }
    return undefined;
  }

  /**
   * A call of a helper whose body is one returned expression, handed the subject: that
   * expression, about the helper's parameter, its other parameters bound to the constants passed.
   */
  private throughHelper<T>(call: ts.CallExpression, subj: ts.Symbol, env: Env, depth: number, read: FunctionLike[], go: (ret: ts.Expression, param: ts.Symbol, env: Env) => T | undefined): T | undefined {
    if (depth >= MAX_DEPTH) return undefined;
    const callee = skipOuter(call.expression);
    const sym = this.ctx.symbolOf(tsv.isPropertyAccessExpression(callee) ? callee.name : callee);
    const fn = sym && (sym.declarations ?? []).map(functionOf).find((f) => !!f?.body);
    if (!fn || !oneExpression(fn)) return undefined;
    const ret = returnExpressions(fn)[0]!;
    let param: ts.Symbol | undefined;
    const bound = new Map<ts.Symbol, number>();
    for (const [i, a] of call.arguments.entries()) {
      const p = fn.parameters[i];
      const ps = p && tsv.isIdentifier(p.name) ? this.ctx.symbolOf(p.name) : undefined;
      if (!ps) return undefined;
      const ax = skipOuter(a);
      if (tsv.isIdentifier(ax) && this.ctx.symbolOf(ax) === subj) {
        if (param) return undefined;
        param = ps;
        continue;
      }
      const c = this.constant(a, env);
      if (c !== undefined) bound.set(ps, c);
    }
    if (!param) return undefined;
    read.push(fn);
    return go(ret, param, bound);
  }

  /**
   * A getter of the subject that is not a field, or a method called without arguments, with one
   * returned expression (`get isLive() { return this.tag === 'entry'; }`, `isEntry() { return
   * this.tag === 'entry'; }`, `get kind() { return this.flags & 7; }`): that expression, about its
   * `this`. `x` is the member read (the getter) or the callee (the method).
   */
  private throughGetter<T>(x: ts.PropertyAccessExpression, subj: ts.Symbol, depth: number, read: FunctionLike[], go: (ret: ts.Expression, self: ts.Symbol) => T | undefined): T | undefined {
    if (depth >= MAX_DEPTH || !isSubject(this.ctx, x.expression, subj)) return undefined;
    const called = tsv.isCallExpression(x.parent) && x.parent.expression === x;
    const getter = this.ctx.symbolOf(x.name)?.declarations?.find((d): d is ts.GetAccessorDeclaration | ts.MethodDeclaration =>
      (called ? tsv.isMethodDeclaration(d) && d.parameters.length === 0 && !!d.body : tsv.isGetAccessorDeclaration(d) && !!d.body));
    if (!getter || !oneExpression(getter)) return undefined;
    read.push(getter);
    return go(returnExpressions(getter)[0]!, THIS);
  }

  /** Is the member a field of the class the spec names (by its declaration)? */
  private isField(x: ts.PropertyAccessExpression): boolean {
    if (!this.fieldNames.has(x.name.text)) return false;
    const sym = this.ctx.symbolOf(x.name);
    return !!sym?.declarations?.some((d) => !!d.parent && this.ctx.pageDecls.has(d.parent));
  }

  /**
   * What a field is compared with: a number (constant()), or a string known statically — a
   * literal, a string enum member or const (a literal type), a module const — the tag of a
   * discriminated union (`s.tag === 'entry'`).
   */
  value(e: ts.Expression, env: Env = NO_ENV): number | string | boolean | undefined {
    const x = skipOuter(e);
    if (tsv.isStringLiteral(x) || tsv.isNoSubstitutionTemplateLiteral(x)) return x.text;
    if (x.kind === tsv.SyntaxKind.TrueKeyword || x.kind === tsv.SyntaxKind.FalseKeyword) return x.kind === tsv.SyntaxKind.TrueKeyword;
    const n = this.constant(x, env);
    if (n !== undefined) return n;
    if (!tsv.isIdentifier(x) && !tsv.isPropertyAccessExpression(x)) return undefined;
    const t = this.ctx.checker.getTypeAtLocation(x);
    return t.isStringLiteral() ? t.value : undefined;
  }

  /** A number known statically: a literal, a parameter bound at the call, a literal type (enum members, consts), a module const. */
  constant(e: ts.Expression, env: Env = NO_ENV): number | undefined {
    const x = skipOuter(e);
    if (tsv.isNumericLiteral(x)) return Number(x.text);
    if (tsv.isPrefixUnaryExpression(x) && x.operator === tsv.SyntaxKind.MinusToken) {
      const v = this.constant(x.operand, env);
      return v === undefined ? undefined : -v;
    }
    if (tsv.isIdentifier(x)) {
      const sym = this.ctx.symbolOf(x);
      if (sym && env.has(sym)) return env.get(sym);
      const d = sym?.valueDeclaration;
      if (d && tsv.isParameter(d)) return undefined;
    }
    if (tsv.isBinaryExpression(x) && x.operatorToken.kind === tsv.SyntaxKind.LessThanLessThanToken) {
      const a = this.constant(x.left, env);
      const b = this.constant(x.right, env);
      return a === undefined || b === undefined ? undefined : (a << b) >>> 0;
    }
    const t = this.ctx.checker.getTypeAtLocation(x);
    if (t.isNumberLiteral()) return t.value;
    if (tsv.isIdentifier(x)) {
      const d = this.ctx.symbolOf(x)?.valueDeclaration;
      if (d && tsv.isVariableDeclaration(d) && d.initializer && tsv.isVariableDeclarationList(d.parent) && d.parent.flags & tsv.NodeFlags.Const &&
        !tsv.findAncestor(d.parent, isFunctionLike)) {
        return this.constant(d.initializer, NO_ENV);
      }
    }
    return undefined;
  }
}

/** A field read typed boolean (`b.free`: a flag that is its own test). */
export function isBooleanField(ctx: AnalysisContext, x: ts.PropertyAccessExpression): boolean {
  const t = ctx.checker.getTypeAtLocation(x);
  return !!(t.flags & tsv.TypeFlags.BooleanLike) || (t.isUnion() && t.types.every((u) => !!(u.flags & tsv.TypeFlags.BooleanLike)));
}

/**
 * Is the call the global `Boolean()` conversion? Asked only when the callee is spelled `Boolean`;
 * resolved by symbol: the standard library's ambient global, not a namesake.
 */
export function isBooleanCast(ctx: AnalysisContext, call: ts.CallExpression): boolean {
  const callee = skipOuter(call.expression);
  if (!tsv.isIdentifier(callee) || callee.text !== 'Boolean') return false;
  const decls = ctx.symbolOf(callee)?.declarations ?? [];
  return decls.length > 0 && decls.every((d) => {
    const sf = d.getSourceFile();
    return sf.isDeclarationFile && !tsv.isExternalModule(sf) && !tsv.findAncestor(d.parent, (n) => tsv.isModuleDeclaration(n) || isFunctionLike(n));
  });
}

/**
 * `state === c` as an atom: a bit's test for one bit, else the masked value (a value outside the
 * mask: no atom); a string compares the whole field (`tag="entry"`).
 */
export function equals(s: StateValue, c: number | string | boolean): TestAtom | undefined {
  if (typeof c === 'string') return s.mask === ALL && s.shift === 0 ? { atom: `${s.field}=${JSON.stringify(c)}`, positive: true } : undefined;
  if (typeof c === 'boolean') return s.mask === ALL && s.shift === 0 ? { atom: `${s.field}=true`, positive: c } : undefined;
  const v = (c << s.shift) >>> 0;
  if ((v & ~s.mask) >>> 0 !== 0 || c < 0) return undefined;
  if (s.mask === ALL && c === 0) return undefined;
  if (single(s.mask)) return { atom: `${s.field}&${s.mask}=${s.mask}`, positive: v !== 0 };
  if (v === 0) return { atom: `${s.field}&${s.mask}!=0`, positive: false };
  return { atom: `${s.field}&${s.mask}=${v}`, positive: true };
}

function flip(a: TestAtom | undefined): TestAtom | undefined {
  return a && { atom: a.atom, positive: !a.positive };
}

function single(mask: number): boolean {
  return mask !== 0 && (mask & (mask - 1)) === 0;
}

/** A function whose body is one returned expression: `(b) => b.flags & M`, `{ return … }`. */
function oneExpression(fn: FunctionLike): boolean {
  const body = fn.body!;
  if (!tsv.isBlock(body)) return true;
  return body.statements.length === 1 && tsv.isReturnStatement(body.statements[0]!) && !!body.statements[0].expression;
}

/** The initializer of a local `const` (inside a function) declared by name, not destructured. */
function constLocalInit(ctx: AnalysisContext, id: ts.Identifier): ts.Expression | undefined {
  const d = ctx.symbolOf(id)?.valueDeclaration;
  return d && tsv.isVariableDeclaration(d) ? constLocalSource(ctx, id) : undefined;
}

/**
 * The initializer a local `const` takes its value from: `const t = s.tag` (t's), `const { tag } =
 * s` (tag's: `s`, the value destructured). Undefined for anything else.
 */
export function constLocalSource(ctx: AnalysisContext, id: ts.Identifier): ts.Expression | undefined {
  let d: ts.Node | undefined = ctx.symbolOf(id)?.valueDeclaration;
  while (d && tsv.isBindingElement(d)) d = d.parent.parent;
  if (!d || !tsv.isVariableDeclaration(d) || !d.initializer || !tsv.isVariableDeclarationList(d.parent) || !(d.parent.flags & tsv.NodeFlags.Const)) return undefined;
  return tsv.findAncestor(d.parent, isFunctionLike) ? d.initializer : undefined;
}
