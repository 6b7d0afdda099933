/**
 * Which calls are assertions, by the code of the function they resolve to (the guide: a spec's
 * list of names is a hint of last resort). The callee is resolved by symbol (import aliases,
 * renamed re-exports and namespaces followed; a same-named local is another function), and it is
 * an assertion when its code stops on its condition:
 *
 *  - `asserts cond` in its signature: the condition holds after the call;
 *  - its first statement is `if (cond) <exit>` (the BUG_ON sense: fails-if) or `if (!cond) <exit>`
 *    (holds), the exit a throw or a call of a never-returning function, `cond` a boolean parameter;
 *  - its first statement hands the condition to another assertion (`BUG_ON(c) { VM_BUG_ON(c) }`).
 *
 * A function that only logs, or reads its condition for anything else, is none. The spec's name
 * (and its sense) is used only where the call resolves to no declaration (an unresolved module,
 * an `any` callee) or to a module-level one without a body to read; the verdict then says so
 * (`byName`). Verdicts are cached per function (symbol) and per analysis context: guards.ts, the
 * rewriter's consumers (callees.ts), stage 2's memdesc tests and init share this one reading.
 */
import { ts } from '@ts-morph/common';
import { tsv } from './tsValues.ts';
import { isFunctionLike, skipOuter, type FunctionLike } from './ast.ts';
import type { AnalysisContext } from './context.ts';

export interface AssertionShape {
  /** Index of the condition argument. */
  condArg: number;
  /** holds: the condition is true after the call; fails-if: the call stops when it holds. */
  means: 'holds' | 'fails-if';
}

export interface CalleeVerdict<T> {
  value: T;
  /** Set when the verdict rests on the spec's name alone: why (no declaration, or no body to read). */
  byName?: string;
}

/** How deep assertions built from assertions (`BUG_ON(c) { VM_BUG_ON(c) }`) are followed. */
const MAX_DEPTH = 4;

/** The identifier a call's callee resolves through (`f`, `ns.f`, `obj.m`). */
export function calleeId(call: ts.CallExpression): ts.Node {
  const callee = skipOuter(call.expression);
  return tsv.isPropertyAccessExpression(callee) ? callee.name : callee;
}

/** The name the call is spelled with (messages; the fallback where nothing resolves). */
export function spelledName(call: ts.CallExpression): string | undefined {
  const id = calleeId(call);
  return tsv.isIdentifier(id) ? id.text : undefined;
}

/** The function a declaration declares: itself, or a variable's function initializer. */
export function functionOf(d: ts.Node): FunctionLike | undefined {
  if (isFunctionLike(d)) return d;
  if (tsv.isVariableDeclaration(d) && d.initializer) {
    const init = skipOuter(d.initializer);
    if (isFunctionLike(init)) return init;
  }
  return undefined;
}

/** A declaration at a module's top level (a function or a variable), not a local, parameter or member. */
export function isModuleLevel(d: ts.Node): boolean {
  if (tsv.isFunctionDeclaration(d)) return !tsv.findAncestor(d.parent, isFunctionLike);
  if (tsv.isVariableDeclaration(d)) return !tsv.findAncestor(d.parent, (n) => isFunctionLike(n) || tsv.isClassLike(n));
  return false;
}

/** Does every path through `s` leave abruptly (throw, or a call of a function returning `never`)? */
function exitsAbruptly(s: ts.Statement, checker: ts.TypeChecker): boolean {
  if (tsv.isThrowStatement(s)) return true;
  if (tsv.isBlock(s)) return s.statements.some((x) => exitsAbruptly(x, checker));
  if (tsv.isExpressionStatement(s) && tsv.isCallExpression(skipOuter(s.expression))) {
    return !!(checker.getTypeAtLocation(s.expression).flags & tsv.TypeFlags.Never);
  }
  if (tsv.isIfStatement(s)) return !!s.elseStatement && exitsAbruptly(s.thenStatement, checker) && exitsAbruptly(s.elseStatement, checker);
  return false;
}

/** The boolean parameter `e` is (`cond`), and whether it was negated (`!cond`). */
function paramTest(e: ts.Expression, fn: FunctionLike, checker: ts.TypeChecker): { index: number; negated: boolean } | undefined {
  let x = skipOuter(e);
  let negated = false;
  while (tsv.isPrefixUnaryExpression(x) && x.operator === tsv.SyntaxKind.ExclamationToken) {
    negated = !negated;
    x = skipOuter(x.operand);
  }
  if (!tsv.isIdentifier(x)) return undefined;
  const d = checker.getSymbolAtLocation(x)?.valueDeclaration;
  if (!d || !tsv.isParameter(d) || d.parent !== fn) return undefined;
  return { index: fn.parameters.indexOf(d), negated };
}

function isBoolean(t: ts.Type): boolean {
  if (t.flags & tsv.TypeFlags.BooleanLike) return true;
  return t.isUnion() && t.types.every((x) => (x.flags & tsv.TypeFlags.BooleanLike) !== 0);
}

/**
 * The assertion a function is by its code: `asserts cond` in its signature (holds); a body whose
 * first statement is `if (cond) <exit>` (fails-if) or `if (!cond) <exit>` (holds), the exit a
 * throw or a call of a never-returning function; or whose first statement hands the condition to
 * another assertion (`nested` answers for a call).
 */
export function assertionShape(fn: ts.SignatureDeclaration, checker: ts.TypeChecker,
  nested?: (call: ts.CallExpression) => AssertionShape | undefined): AssertionShape | undefined {
  const t = fn.type;
  if (t && tsv.isTypePredicateNode(t) && t.assertsModifier && !t.type && tsv.isIdentifier(t.parameterName)) {
    const id = t.parameterName.text;
    const i = fn.parameters.findIndex((p) => tsv.isIdentifier(p.name) && p.name.text === id);
    if (i >= 0) return { condArg: i, means: 'holds' };
  }
  if (!isFunctionLike(fn)) return undefined;
  const body = fn.body;
  if (!body || !tsv.isBlock(body)) return undefined;
  const first = body.statements[0];
  if (!first) return undefined;
  if (tsv.isIfStatement(first) && !first.elseStatement && exitsAbruptly(first.thenStatement, checker)) {
    const p = paramTest(first.expression, fn, checker);
    if (p && p.index >= 0 && isBoolean(checker.getTypeAtLocation(fn.parameters[p.index]!))) {
      return { condArg: p.index, means: p.negated ? 'holds' : 'fails-if' };
    }
  }
  if (nested && tsv.isExpressionStatement(first) && tsv.isCallExpression(skipOuter(first.expression))) {
    const call = skipOuter(first.expression) as ts.CallExpression;
    const inner = nested(call);
    const arg = inner && call.arguments[inner.condArg];
    const p = arg && paramTest(arg, fn, checker);
    if (inner && p && p.index >= 0) {
      const holds = (inner.means === 'holds') !== p.negated;
      return { condArg: p.index, means: holds ? 'holds' : 'fails-if' };
    }
  }
  return undefined;
}

export class Assertions {
  private readonly names: Map<string, AssertionShape>;
  private readonly bySymbol = new Map<ts.Symbol, CalleeVerdict<AssertionShape | undefined>>();
  private readonly inProgress = new Set<ts.Symbol>();

  constructor(private readonly ctx: AnalysisContext) {
    this.names = new Map(ctx.spec.page.assertions.map((a) => [a.name, { condArg: a.condArg, means: a.means === 'holds' ? 'holds' : 'fails-if' }]));
  }

  /** Does the spec name an assertion `name` (a hint: a caller may look at such calls first)? */
  named(name: string): boolean {
    return this.names.has(name);
  }

  /** The assertion the call is (its condition argument and sense), by its callee's code. */
  of(call: ts.CallExpression, depth = 0): CalleeVerdict<AssertionShape | undefined> {
    const resolved = this.ctx.symbolOf(calleeId(call));
    const sym = resolved?.declarations?.length ? resolved : undefined;
    if (!sym) {
      const name = spelledName(call);
      const a = name !== undefined ? this.names.get(name) : undefined;
      return a ? { value: a, byName: `\`${name}\` resolves to no declaration: taken as an assertion by its name in the spec` } : { value: undefined };
    }
    const hit = this.bySymbol.get(sym);
    if (hit) return hit;
    if (this.inProgress.has(sym) || depth > MAX_DEPTH) return { value: undefined };
    this.inProgress.add(sym);
    let v: CalleeVerdict<AssertionShape | undefined>;
    try {
      v = this.compute(sym, depth);
    } finally {
      this.inProgress.delete(sym);
    }
    this.bySymbol.set(sym, v);
    return v;
  }

  private compute(sym: ts.Symbol, depth: number): CalleeVerdict<AssertionShape | undefined> {
    const decls = sym.declarations ?? [];
    const fns = decls.map(functionOf).filter((f): f is FunctionLike => !!f);
    const fn = fns.find((f) => !!f.body);
    const checker = this.ctx.checker;
    if (fn) return { value: assertionShape(fn, checker, (c) => this.of(c, depth + 1).value) };
    // No body to read: its signature (`asserts cond`), else the spec's name for a module-level declaration.
    for (const f of fns) {
      const s = assertionShape(f, checker);
      if (s) return { value: s };
    }
    const named = this.names.get(sym.name);
    const d = decls.find(isModuleLevel);
    if (!named || !d) return { value: undefined };
    return { value: named, byName: `\`${sym.name}()\` has no body to read (declared at ${this.ctx.at(d.getSourceFile(), d)}): taken as an assertion by its name in the spec` };
  }
}

const cache = new WeakMap<AnalysisContext, Assertions>();

/** The assertions of this analysis, one cache per context. */
export function assertionsOf(ctx: AnalysisContext): Assertions {
  let r = cache.get(ctx);
  if (!r) cache.set(ctx, (r = new Assertions(ctx)));
  return r;
}
