/**
 * A member read through a local or parameter (`page.lru`, `head['next']`) decided from the
 * variable's declared type instead of asking the checker for the member's symbol at the site,
 * which types the receiver by control-flow analysis (the finder's costliest query). The answer is
 * the checker's whenever narrowing cannot change it:
 *
 *  - the declared type (spelled, or inferred from the initializer or the context, once per
 *    variable) is one class or interface type, with at most `null` / `undefined` beside it:
 *    assignments and truthiness, equality, `typeof` or discriminant tests then leave that type or
 *    make it `never` (a member read on `never`, `null` or `undefined` does not type-check);
 *  - the variable is a parameter or a local of a function (every reference is in that function),
 *    not a binding pattern;
 *  - nothing in that function can narrow it to another type: no `instanceof` or `in` on it, no call
 *    handing it to a function that may be a type predicate or assertion (only a plain callee whose
 *    declarations the binder finds, none declaring or inferring a predicate, is known not to), and
 *    no method call on it when its type declares a `this is` predicate.
 *
 * Anything else returns undefined and the caller asks the checker. test/analyzers/declared.test.ts
 * compares both answers on every member read of the corpus and on a table of narrowing traps.
 */
import { ts } from '@ts-morph/common';
import { skipOuter } from './ast.ts';
import type { AnalysisContext } from './context.ts';

interface PerContext {
  /** Declaration -> the page class type it spells and whose members it reads plainly, or null. */
  decls: Map<ts.Node, ts.Type | null>;
  /** Function declaration -> whether calling it may narrow an argument (a predicate or assertion). */
  narrowing: Map<ts.Node, boolean>;
  /** Function -> its identifiers by name. */
  names: Map<ts.Node, Map<string, ts.Identifier[]>>;
  /** Type -> whether it or a base type declares a `this is` predicate (`isX(): this is X`). */
  thisPredicates: Map<ts.Type, boolean>;
}

const perContext = new WeakMap<AnalysisContext, PerContext>();

function stateOf(ctx: AnalysisContext): PerContext {
  let s = perContext.get(ctx);
  if (!s) perContext.set(ctx, s = { decls: new Map(), narrowing: new Map(), names: new Map(), thisPredicates: new Map() });
  return s;
}

/**
 * The symbol of member `name` read on `recv` (`recv.name`, `recv['name']`) when the receiver's
 * declaration decides it (see the module comment); undefined when the checker must be asked.
 */
export function declaredMember(ctx: AnalysisContext, recv: ts.Expression, name: string): ts.Symbol | undefined {
  const t = plainType(ctx, recv);
  return t ? ctx.checker.getPropertyOfType(t, name) : undefined;
}

/**
 * The one class or interface type a name `recv` holds wherever it is read, `null` / `undefined`
 * aside (see the module comment), or undefined when the checker must be asked. Memoized per
 * declaration.
 */
export function plainType(ctx: AnalysisContext, recv: ts.Expression): ts.Type | undefined {
  if (recv.kind !== ts.SyntaxKind.Identifier) return undefined;
  const sym = ctx.symbolOf(recv);
  const decl = sym?.valueDeclaration;
  if (!decl || sym.declarations?.length !== 1) return undefined;
  const st = stateOf(ctx);
  let t = st.decls.get(decl);
  if (t === undefined) st.decls.set(decl, t = plainTypeOf(ctx, sym, decl, st) ?? null);
  return t ?? undefined;
}

/** The one class or interface type variable `sym` holds, when every reference to it reads members plainly (module comment). */
function plainTypeOf(ctx: AnalysisContext, sym: ts.Symbol, decl: ts.Declaration, st: PerContext): ts.Type | undefined {
  if (!(ts.isParameter(decl) || ts.isVariableDeclaration(decl)) || !ts.isIdentifier(decl.name)) return undefined;
  let scope: ts.Node | undefined;
  if (ts.isParameter(decl)) scope = decl.parent;
  else {
    for (let p: ts.Node | undefined = decl.parent; p && !scope; p = p.parent) if (ts.isFunctionLike(p)) scope = p;
  }
  if (!scope) return undefined;
  let t = ctx.checker.getTypeOfSymbol(sym);
  if (t.isUnion()) {
    const parts = t.types.filter((p) => !(p.flags & (ts.TypeFlags.Null | ts.TypeFlags.Undefined)));
    if (parts.length !== 1) return undefined;
    t = parts[0]!;
  }
  if (!t.isClassOrInterface() && !(t.flags & ts.TypeFlags.Object && (t as ts.ObjectType).objectFlags & ts.ObjectFlags.Reference)) return undefined;
  return narrowedIn(ctx, scope, decl.name.text, t, st) ? undefined : t;
}

/** Whether some reference named `name` in `scope` sits where narrowing could give it another type. */
function narrowedIn(ctx: AnalysisContext, scope: ts.Node, name: string, t: ts.Type, st: PerContext): boolean {
  return (namesIn(scope, st).get(name) ?? []).some((id) => mayNarrow(ctx, id, t, st));
}

/** The identifiers of a function by name (one walk per function, whatever number of variables it declares). */
function namesIn(scope: ts.Node, st: PerContext): Map<string, ts.Identifier[]> {
  let m = st.names.get(scope);
  if (m) return m;
  const names = new Map<string, ts.Identifier[]>();
  const visit = (n: ts.Node): void => {
    if (n.kind === ts.SyntaxKind.Identifier) {
      const l = names.get((n as ts.Identifier).text);
      if (l) l.push(n as ts.Identifier);
      else names.set((n as ts.Identifier).text, [n as ts.Identifier]);
      return;
    }
    ts.forEachChild(n, visit);
  };
  ts.forEachChild(scope, visit);
  st.names.set(scope, m = names);
  return m;
}

function mayNarrow(ctx: AnalysisContext, id: ts.Identifier, t: ts.Type, st: PerContext): boolean {
  // The reference as an operand: through parentheses, `!`, assertions, the target of an assignment
  // and the last operand of a comma (what narrowing looks through to find its reference).
  let e: ts.Node = id;
  for (let p = e.parent; p; e = p, p = e.parent) {
    if (ts.isParenthesizedExpression(p) || ts.isNonNullExpression(p) || ts.isAsExpression(p) || ts.isTypeAssertionExpression(p) || ts.isSatisfiesExpression(p)) continue;
    if (ts.isBinaryExpression(p)) {
      const op = p.operatorToken.kind;
      if (op === ts.SyntaxKind.CommaToken ? p.right === e : p.left === e && op >= ts.SyntaxKind.FirstAssignment && op <= ts.SyntaxKind.LastAssignment) continue;
    }
    break;
  }
  const p = e.parent;
  if (!p) return false;
  if (ts.isBinaryExpression(p)) {
    const op = p.operatorToken.kind;
    return op === ts.SyntaxKind.InstanceOfKeyword || op === ts.SyntaxKind.InKeyword;
  }
  if (ts.isCallExpression(p)) return p.arguments.includes(e as ts.Expression) && calleeMayNarrow(ctx, p, st);
  if (ts.isPropertyAccessExpression(p) && p.expression === e && p.parent && ts.isCallExpression(p.parent) && p.parent.expression === p) {
    let r = st.thisPredicates.get(t);
    if (r === undefined) st.thisPredicates.set(t, r = hasThisPredicate(ctx, t, 0));
    return r;
  }
  return false;
}

/** Whether the call's callee may be a type predicate or assertion (anything the binder cannot show is not). */
function calleeMayNarrow(ctx: AnalysisContext, call: ts.CallExpression, st: PerContext): boolean {
  const callee = skipOuter(call.expression);
  if (!ts.isIdentifier(callee)) return true;
  const sym = ctx.symbolOf(callee);
  const decls = sym?.declarations;
  if (!decls?.length) return true;
  for (const d of decls) {
    let fn: ts.Node = d;
    if (ts.isVariableDeclaration(d)) {
      if (d.type || !d.initializer) return true;
      fn = skipOuter(d.initializer);
    }
    if (!(ts.isFunctionDeclaration(fn) || ts.isArrowFunction(fn) || ts.isFunctionExpression(fn))) return true;
    let r = st.narrowing.get(fn);
    if (r === undefined) st.narrowing.set(fn, r = functionMayNarrow(ctx, fn));
    if (r) return true;
  }
  return false;
}

function functionMayNarrow(ctx: AnalysisContext, fn: ts.FunctionDeclaration | ts.ArrowFunction | ts.FunctionExpression): boolean {
  if (fn.type) return ts.isTypePredicateNode(fn.type);
  // No return type spelled: TypeScript may infer a predicate from the body, only from a plain
  // function whose one return statement returns a value (or an arrow's expression body).
  if (fn.asteriskToken || fn.modifiers?.some((m) => m.kind === ts.SyntaxKind.AsyncKeyword) || !fn.body) return false;
  if (ts.isBlock(fn.body) && !oneValueReturn(fn.body)) return false;
  const sig = ctx.checker.getSignatureFromDeclaration(fn);
  return !sig || !!ctx.checker.getTypePredicateOfSignature(sig);
}

/**
 * Whether a function body has exactly one return statement and it returns a value (the returns
 * TypeScript's forEachReturnStatement visits: through statements, not into nested functions).
 */
function oneValueReturn(body: ts.Block): boolean {
  let n = 0;
  let plain = false;
  const visit = (st: ts.Node): void => {
    if (n > 1 || plain) return;
    switch (st.kind) {
      case ts.SyntaxKind.ReturnStatement:
        n++;
        if (!(st as ts.ReturnStatement).expression) plain = true;
        return;
      case ts.SyntaxKind.CaseBlock: case ts.SyntaxKind.Block: case ts.SyntaxKind.IfStatement: case ts.SyntaxKind.DoStatement:
      case ts.SyntaxKind.WhileStatement: case ts.SyntaxKind.ForStatement: case ts.SyntaxKind.ForInStatement: case ts.SyntaxKind.ForOfStatement:
      case ts.SyntaxKind.WithStatement: case ts.SyntaxKind.SwitchStatement: case ts.SyntaxKind.CaseClause: case ts.SyntaxKind.DefaultClause:
      case ts.SyntaxKind.LabeledStatement: case ts.SyntaxKind.TryStatement: case ts.SyntaxKind.CatchClause:
        ts.forEachChild(st, visit);
        return;
      default:
        return;
    }
  };
  visit(body);
  return n === 1 && !plain;
}

/** Whether `t` or a type it extends declares a `this is` predicate (a method call on it may narrow it). */
function hasThisPredicate(ctx: AnalysisContext, t: ts.Type, depth: number): boolean {
  if (depth > 8) return true;
  const target = (t as ts.TypeReference).target ?? t;
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (ts.isTypePredicateNode(n) && n.parameterName.kind === ts.SyntaxKind.ThisType) found = true;
    else ts.forEachChild(n, visit);
  };
  for (const d of target.getSymbol()?.declarations ?? []) visit(d);
  if (found) return true;
  if (!target.isClassOrInterface()) return false;
  return ctx.checker.getBaseTypes(target).some((b) => hasThisPredicate(ctx, b, depth + 1));
}
