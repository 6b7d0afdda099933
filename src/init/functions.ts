/**
 * The functions around a class, read with the type checker for `memdesc init`: type tests
 * (take the class, return a boolean, change nothing), allocators (return the class and make a
 * new instance — `new C(…)`, or an object literal typed as an interface — directly or through
 * another allocator), wrappers (one raw access of their
 * parameter's field) and assertions (`asserts cond`, or `if (cond) throw …`).
 */
import { ts } from '@ts-morph/common';

export interface FunctionInfo {
  name: string;
  file: string;
  node: ts.SignatureDeclaration;
  body: ts.Node;
  /** Indexes of parameters typed as the class. */
  classParams: number[];
  returnsClass: boolean;
  returnsBoolean: boolean;
  /** Has `new Class(…)` in its body. */
  constructs: boolean;
  /** Names of functions it calls. */
  calls: Set<string>;
  /** Assigns, increments, or calls a set*()/clear*() function: no type test. */
  mutates: boolean;
}

export interface WrapperInfo {
  name: string;
  field: string;
  access: 'read' | 'write' | 'readwrite';
  objectArg: number;
}

export interface AssertionInfo {
  name: string;
  condArg: number;
  means: 'holds' | 'fails-if';
}

/** Is `t` the class (or the class or null/undefined)? */
function isClassType(t: ts.Type, cls: ts.Symbol): boolean {
  const parts = t.isUnion() ? t.types.filter((x) => !(x.flags & (ts.TypeFlags.Null | ts.TypeFlags.Undefined))) : [t];
  return parts.length > 0 && parts.every((x) => x.getSymbol() === cls);
}

function isBooleanType(t: ts.Type): boolean {
  if (t.flags & ts.TypeFlags.BooleanLike) return true;
  return t.isUnion() && t.types.every((x) => (x.flags & ts.TypeFlags.BooleanLike) !== 0);
}

const MUTATING_CALL = /^_*(test)?(set|clear)/i;

function isStateTarget(e: ts.Expression): boolean {
  let x = e;
  while (ts.isParenthesizedExpression(x)) x = x.expression;
  return ts.isPropertyAccessExpression(x) || ts.isElementAccessExpression(x);
}

/** Every named top-level function of the files: declarations and `const f = (…) => …`. */
function namedFunctions(sf: ts.SourceFile): Array<{ name: string; node: ts.SignatureDeclaration & { body?: ts.Node } }> {
  const out: Array<{ name: string; node: ts.SignatureDeclaration & { body?: ts.Node } }> = [];
  for (const st of sf.statements) {
    if (ts.isFunctionDeclaration(st) && st.name && st.body) out.push({ name: st.name.text, node: st });
    if (ts.isVariableStatement(st)) {
      for (const d of st.declarationList.declarations) {
        if (ts.isIdentifier(d.name) && d.initializer && (ts.isArrowFunction(d.initializer) || ts.isFunctionExpression(d.initializer))) {
          out.push({ name: d.name.text, node: d.initializer });
        }
      }
    }
  }
  return out;
}

/** The functions of the project's files, with what init needs to know of each. */
export function scanFunctions(files: ReadonlyArray<{ sf: ts.SourceFile; rel: string }>, cls: ts.Symbol, checker: ts.TypeChecker): FunctionInfo[] {
  const out: FunctionInfo[] = [];
  for (const { sf, rel } of files) {
    for (const { name, node } of namedFunctions(sf)) {
      const sig = checker.getSignatureFromDeclaration(node);
      if (!sig || !node.body) continue;
      const classParams = node.parameters.flatMap((p, i) => (isClassType(checker.getTypeAtLocation(p), cls) ? [i] : []));
      const ret = checker.getReturnTypeOfSignature(sig);
      const info: FunctionInfo = {
        name, file: rel, node, body: node.body, classParams,
        returnsClass: isClassType(ret, cls), returnsBoolean: isBooleanType(ret),
        constructs: false, calls: new Set(), mutates: false,
      };
      const visit = (n: ts.Node): void => {
        if (ts.isNewExpression(n) && checker.getTypeAtLocation(n).getSymbol() === cls) info.constructs = true;
        // An interface's instances are object literals typed as it.
        if (ts.isObjectLiteralExpression(n) && checker.getContextualType(n)?.getSymbol() === cls) info.constructs = true;
        if (ts.isCallExpression(n)) {
          const callee = ts.isIdentifier(n.expression) ? n.expression.text : ts.isPropertyAccessExpression(n.expression) ? n.expression.name.text : undefined;
          if (callee) {
            info.calls.add(callee);
            if (MUTATING_CALL.test(callee)) info.mutates = true;
          }
        }
        // Changing state: assigning a property or an element (locals are the function's own).
        if (ts.isBinaryExpression(n) && n.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && n.operatorToken.kind <= ts.SyntaxKind.LastAssignment && isStateTarget(n.left)) info.mutates = true;
        if ((ts.isPrefixUnaryExpression(n) || ts.isPostfixUnaryExpression(n)) && (n.operator === ts.SyntaxKind.PlusPlusToken || n.operator === ts.SyntaxKind.MinusMinusToken) && isStateTarget(n.operand)) info.mutates = true;
        ts.forEachChild(n, visit);
      };
      visit(node.body);
      out.push(info);
    }
  }
  return out;
}

/**
 * Type tests: one parameter, of the class; a boolean result; no side effect, neither in the
 * function nor in the project functions it calls (to a fixpoint).
 */
export function typeTests(fns: readonly FunctionInfo[]): FunctionInfo[] {
  const byName = new Map(fns.map((f) => [f.name, f]));
  const impure = new Set(fns.filter((f) => f.mutates).map((f) => f.name));
  for (let grew = true; grew;) {
    grew = false;
    for (const f of fns) {
      if (impure.has(f.name)) continue;
      if ([...f.calls].some((c) => impure.has(c) && byName.has(c))) {
        impure.add(f.name);
        grew = true;
      }
    }
  }
  return fns.filter((f) => f.node.parameters.length === 1 && f.classParams.length === 1 && f.returnsBoolean && !f.returnsClass && !impure.has(f.name));
}

/** Functions that return a new instance: they construct one, or call one that does (to a fixpoint). */
export function allocators(fns: readonly FunctionInfo[]): FunctionInfo[] {
  const alloc = new Set(fns.filter((f) => f.returnsClass && f.constructs).map((f) => f.name));
  for (let grew = true; grew;) {
    grew = false;
    for (const f of fns) {
      if (!f.returnsClass || alloc.has(f.name)) continue;
      if ([...f.calls].some((c) => alloc.has(c))) {
        alloc.add(f.name);
        grew = true;
      }
    }
  }
  return fns.filter((f) => alloc.has(f.name));
}

/** `p.F` with p parameter `index` of the function. */
function paramField(e: ts.Expression, params: readonly ts.ParameterDeclaration[], fields: ReadonlySet<string>): { field: string; arg: number } | undefined {
  let x = e;
  while (ts.isParenthesizedExpression(x)) x = x.expression;
  if (!ts.isPropertyAccessExpression(x) || !ts.isIdentifier(x.expression) || !fields.has(x.name.text)) return undefined;
  const id = x.expression.text;
  const arg = params.findIndex((p) => ts.isIdentifier(p.name) && p.name.text === id);
  return arg < 0 ? undefined : { field: x.name.text, arg };
}

/** Does `e` contain the expression text `target` (`p.flags` in `p.flags | m`)? */
function reads(e: ts.Node, target: string): boolean {
  if (e.getText() === target) return true;
  return ts.forEachChild(e, (c) => (reads(c, target) ? true : undefined)) ?? false;
}

/** Wrappers: the body is one read `return p.F` (or `=> p.F`) or one write `p.F = v` of a class parameter. */
export function wrappers(fns: readonly FunctionInfo[], fields: ReadonlySet<string>): WrapperInfo[] {
  const out: WrapperInfo[] = [];
  for (const f of fns) {
    if (f.classParams.length === 0) continue;
    const params = f.node.parameters;
    let expr: ts.Expression | undefined;
    let isReturn = false;
    if (ts.isBlock(f.body)) {
      if (f.body.statements.length !== 1) continue;
      const st = f.body.statements[0]!;
      if (ts.isReturnStatement(st) && st.expression) { expr = st.expression; isReturn = true; }
      else if (ts.isExpressionStatement(st)) expr = st.expression;
    } else { expr = f.body as ts.Expression; isReturn = true; }
    if (!expr) continue;
    const read = isReturn ? paramField(expr, params, fields) : undefined;
    if (read && f.classParams.includes(read.arg)) {
      out.push({ name: f.name, field: read.field, access: 'read', objectArg: read.arg });
      continue;
    }
    // A write; read-modify-write (`p.F |= m`, `p.F = p.F + 1`, `p.F++`) is readwrite.
    if (ts.isBinaryExpression(expr) && expr.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && expr.operatorToken.kind <= ts.SyntaxKind.LastAssignment) {
      const w = paramField(expr.left, params, fields);
      if (!w || !f.classParams.includes(w.arg)) continue;
      const rmw = expr.operatorToken.kind !== ts.SyntaxKind.EqualsToken || reads(expr.right, expr.left.getText());
      out.push({ name: f.name, field: w.field, access: rmw ? 'readwrite' : 'write', objectArg: w.arg });
    } else if ((ts.isPrefixUnaryExpression(expr) || ts.isPostfixUnaryExpression(expr)) && (expr.operator === ts.SyntaxKind.PlusPlusToken || expr.operator === ts.SyntaxKind.MinusMinusToken)) {
      const w = paramField(expr.operand, params, fields);
      if (w && f.classParams.includes(w.arg)) out.push({ name: f.name, field: w.field, access: 'readwrite', objectArg: w.arg });
    }
  }
  return out;
}

/**
 * Assertions: `function ensure(c: boolean): asserts c` holds its condition afterwards; a body
 * that starts with `if (c) throw …` (or calls something, as BUG()) fails if it held.
 */
export function assertions(fns: readonly FunctionInfo[], checker: ts.TypeChecker): AssertionInfo[] {
  const out: AssertionInfo[] = [];
  for (const f of fns) {
    const params = f.node.parameters;
    const t = f.node.type;
    if (t && ts.isTypePredicateNode(t) && t.assertsModifier && ts.isIdentifier(t.parameterName)) {
      const id = t.parameterName.text;
      const i = params.findIndex((p) => ts.isIdentifier(p.name) && p.name.text === id);
      if (i >= 0) out.push({ name: f.name, condArg: i, means: 'holds' });
      continue;
    }
    if (!ts.isBlock(f.body)) continue;
    const first = f.body.statements[0];
    if (!first || !ts.isIfStatement(first) || first.elseStatement || !ts.isIdentifier(first.expression)) continue;
    const id = first.expression.text;
    const i = params.findIndex((p) => ts.isIdentifier(p.name) && p.name.text === id && isBooleanType(checker.getTypeAtLocation(p)));
    if (i < 0) continue;
    const then = first.thenStatement;
    const stmts = ts.isBlock(then) ? then.statements : [then];
    if (stmts.some((s) => ts.isThrowStatement(s) || (ts.isExpressionStatement(s) && ts.isCallExpression(s.expression)))) {
      out.push({ name: f.name, condArg: i, means: 'fails-if' });
    }
  }
  return out;
}
