/**
 * The functions around a class, read with the type checker for `memdesc init`: type tests
 * (take the class, return a boolean, change nothing, and test a type or flags bit of it by their
 * code: evidence.ts), allocators (return the class and make a
 * new instance — `new C(…)`, or an object literal typed as an interface — directly or through
 * another allocator), wrappers (one raw access of their
 * parameter's field) and assertions (by their code: `asserts cond`, `if (cond) throw …`, or a
 * call of a never-returning function; callees.ts). Calls are followed to the function they
 * resolve to (aliases followed), never by name: a same-named function elsewhere is another one.
 */
import { ts } from '@ts-morph/common';
import { RECEIVER } from '../analyzers/typeTests.ts';
import { assertionShape, type AssertionShape } from '../analyzers/assertions.ts';

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
  /** The project functions it calls (their nodes: what the calls resolve to). */
  calls: Set<ts.Node>;
  /**
   * Assigns or increments a property or element, or calls a function with no body init reads
   * whose name says it sets or clears (set*(), clear*(): the name is all there is): no type test.
   */
  mutates: boolean;
  /**
   * A method of the class itself, without parameters: a test of the object it is called on
   * (classParams is [RECEIVER]).
   */
  method?: boolean;
}

export interface WrapperInfo {
  name: string;
  node: ts.SignatureDeclaration;
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

/** The function node a call resolves to (aliases and re-exports followed), among `known`. */
function calleeNode(call: ts.CallExpression, checker: ts.TypeChecker, known: ReadonlySet<ts.Node>): ts.Node | undefined {
  const e = call.expression;
  const id = ts.isPropertyAccessExpression(e) ? e.name : e;
  let sym = checker.getSymbolAtLocation(id);
  if (sym && sym.flags & ts.SymbolFlags.Alias) sym = checker.getAliasedSymbol(sym);
  for (const d of sym?.declarations ?? []) {
    const fn = ts.isVariableDeclaration(d) && d.initializer ? d.initializer : d;
    if (known.has(fn)) return fn;
  }
  return undefined;
}

/** The functions of the project's files, with what init needs to know of each. */
export function scanFunctions(files: ReadonlyArray<{ sf: ts.SourceFile; rel: string }>, cls: ts.Symbol, checker: ts.TypeChecker): FunctionInfo[] {
  const out: FunctionInfo[] = [];
  const named: Array<{ name: string; node: ts.SignatureDeclaration & { body?: ts.Node }; rel: string; method?: boolean }> =
    files.flatMap(({ sf, rel }) => namedFunctions(sf).map((f) => ({ ...f, rel })));
  // The class's own methods without parameters (`isEntry() { return this.tag === 'entry'; }`),
  // unless a function of the same name stands for them.
  const taken = new Set(named.map((f) => f.name));
  for (const d of cls.declarations ?? []) {
    if (!ts.isClassDeclaration(d)) continue;
    const rel = files.find((f) => f.sf === d.getSourceFile())?.rel;
    if (rel === undefined) continue;
    for (const m of d.members) {
      if (!ts.isMethodDeclaration(m) || !m.body || m.parameters.length > 0 || !ts.isIdentifier(m.name) || taken.has(m.name.text)) continue;
      if (m.modifiers?.some((x) => x.kind === ts.SyntaxKind.StaticKeyword)) continue;
      named.push({ name: m.name.text, node: m, rel, method: true });
    }
  }
  const known = new Set<ts.Node>(named.map((f) => f.node));
  {
    for (const { name, node, rel, method } of named) {
      const sig = checker.getSignatureFromDeclaration(node);
      if (!sig || !node.body) continue;
      const classParams = method ? [RECEIVER] : node.parameters.flatMap((p, i) => (isClassType(checker.getTypeAtLocation(p), cls) ? [i] : []));
      const ret = checker.getReturnTypeOfSignature(sig);
      const info: FunctionInfo = {
        name, file: rel, node, body: node.body, classParams,
        returnsClass: isClassType(ret, cls), returnsBoolean: isBooleanType(ret),
        constructs: false, calls: new Set(), mutates: false, ...(method ? { method } : {}),
      };
      const visit = (n: ts.Node): void => {
        if (ts.isNewExpression(n) && checker.getTypeAtLocation(n).getSymbol() === cls) info.constructs = true;
        // An interface's instances are object literals typed as it.
        if (ts.isObjectLiteralExpression(n) && checker.getContextualType(n)?.getSymbol() === cls) info.constructs = true;
        if (ts.isCallExpression(n)) {
          const target = calleeNode(n, checker, known);
          if (target) info.calls.add(target);
          else {
            // A method, a library function, an unresolved call: no body read here, so its name is the hint.
            const callee = ts.isIdentifier(n.expression) ? n.expression.text : ts.isPropertyAccessExpression(n.expression) ? n.expression.name.text : undefined;
            if (callee && MUTATING_CALL.test(callee)) info.mutates = true;
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
 * function nor in the project functions it calls (to a fixpoint); and, when `testsBits` is
 * given, a test of the object's type or flags bits by its code (evidence.ts).
 */
export function typeTests(fns: readonly FunctionInfo[], testsBits?: (f: FunctionInfo) => boolean): FunctionInfo[] {
  const impure = new Set<ts.Node>(fns.filter((f) => f.mutates).map((f) => f.node));
  for (let grew = true; grew;) {
    grew = false;
    for (const f of fns) {
      if (impure.has(f.node)) continue;
      if ([...f.calls].some((c) => impure.has(c))) {
        impure.add(f.node);
        grew = true;
      }
    }
  }
  return fns.filter((f) => (f.method ? f.node.parameters.length === 0 : f.node.parameters.length === 1 && f.classParams.length === 1) &&
    f.returnsBoolean && !f.returnsClass && !impure.has(f.node) && (!testsBits || testsBits(f)));
}

/** Functions that return a new instance: they construct one, or call one that does (to a fixpoint). */
export function allocators(fns: readonly FunctionInfo[]): FunctionInfo[] {
  const alloc = new Set<ts.Node>(fns.filter((f) => f.returnsClass && f.constructs && !f.method).map((f) => f.node));
  for (let grew = true; grew;) {
    grew = false;
    for (const f of fns) {
      if (!f.returnsClass || f.method || alloc.has(f.node)) continue;
      if ([...f.calls].some((c) => alloc.has(c))) {
        alloc.add(f.node);
        grew = true;
      }
    }
  }
  return fns.filter((f) => alloc.has(f.node));
}

/** `p.F` with p parameter `index` of the function (by symbol: a local shadowing p is not it). */
function paramField(e: ts.Expression, params: readonly ts.ParameterDeclaration[], fields: ReadonlySet<string>, checker: ts.TypeChecker): { field: string; arg: number } | undefined {
  let x = e;
  while (ts.isParenthesizedExpression(x)) x = x.expression;
  if (!ts.isPropertyAccessExpression(x) || !ts.isIdentifier(x.expression) || !fields.has(x.name.text)) return undefined;
  const d = checker.getSymbolAtLocation(x.expression)?.valueDeclaration;
  const arg = d && ts.isParameter(d) ? params.indexOf(d) : -1;
  return arg < 0 ? undefined : { field: x.name.text, arg };
}

/** Does `e` read the same field of the same parameter (`p.flags` in `p.flags | m`)? */
function reads(e: ts.Node, target: { field: string; arg: number }, params: readonly ts.ParameterDeclaration[], fields: ReadonlySet<string>, checker: ts.TypeChecker): boolean {
  if (ts.isExpression(e)) {
    const f = paramField(e, params, fields, checker);
    if (f && f.field === target.field && f.arg === target.arg) return true;
  }
  return ts.forEachChild(e, (c) => (reads(c, target, params, fields, checker) ? true : undefined)) ?? false;
}

/** Wrappers: the body is one read `return p.F` (or `=> p.F`) or one write `p.F = v` of a class parameter. */
export function wrappers(fns: readonly FunctionInfo[], fields: ReadonlySet<string>, checker: ts.TypeChecker): WrapperInfo[] {
  const out: WrapperInfo[] = [];
  for (const f of fns) {
    if (f.classParams.length === 0 || f.method) continue;
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
    const read = isReturn ? paramField(expr, params, fields, checker) : undefined;
    if (read && f.classParams.includes(read.arg)) {
      out.push({ name: f.name, node: f.node, field: read.field, access: 'read', objectArg: read.arg });
      continue;
    }
    // A write; read-modify-write (`p.F |= m`, `p.F = p.F + 1`, `p.F++`) is readwrite.
    if (ts.isBinaryExpression(expr) && expr.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && expr.operatorToken.kind <= ts.SyntaxKind.LastAssignment) {
      const w = paramField(expr.left, params, fields, checker);
      if (!w || !f.classParams.includes(w.arg)) continue;
      const rmw = expr.operatorToken.kind !== ts.SyntaxKind.EqualsToken || reads(expr.right, w, params, fields, checker);
      out.push({ name: f.name, node: f.node, field: w.field, access: rmw ? 'readwrite' : 'write', objectArg: w.arg });
    } else if ((ts.isPrefixUnaryExpression(expr) || ts.isPostfixUnaryExpression(expr)) && (expr.operator === ts.SyntaxKind.PlusPlusToken || expr.operator === ts.SyntaxKind.MinusMinusToken)) {
      const w = paramField(expr.operand, params, fields, checker);
      if (w && f.classParams.includes(w.arg)) out.push({ name: f.name, node: f.node, field: w.field, access: 'readwrite', objectArg: w.arg });
    }
  }
  return out;
}

/**
 * Assertions, by their code (callees.ts): `function ensure(c: boolean): asserts c` or a body that
 * starts with `if (!c) throw …` holds its condition afterwards; one that starts with `if (c) throw …`
 * (or a call of a never-returning function, as BUG()) fails if it held; one that hands its
 * condition to an assertion is one too.
 */
export function assertions(fns: readonly FunctionInfo[], checker: ts.TypeChecker): AssertionInfo[] {
  const known = new Set<ts.Node>(fns.map((f) => f.node));
  const byNode = new Map<ts.Node, FunctionInfo>(fns.map((f) => [f.node, f]));
  const memo = new Map<ts.Node, AssertionShape | undefined>();
  const shape = (f: FunctionInfo, depth: number): AssertionShape | undefined => {
    if (memo.has(f.node)) return memo.get(f.node);
    memo.set(f.node, undefined);
    const nested = (call: ts.CallExpression): AssertionShape | undefined => {
      const g = depth < 4 ? byNode.get(calleeNode(call, checker, known) ?? call) : undefined;
      return g && shape(g, depth + 1);
    };
    const s = assertionShape(f.node, checker, nested);
    memo.set(f.node, s);
    return s;
  };
  const out: AssertionInfo[] = [];
  for (const f of fns) {
    const s = shape(f, 0);
    if (s) out.push({ name: f.name, condArg: s.condArg, means: s.means });
  }
  return out;
}
