/**
 * Syntax helpers shared by the conversion passes (no edits here; type queries only where the
 * signature says so).
 */
import { ts } from '@ts-morph/common';
import { isFunctionLike, skipOuter, type FunctionLike } from '../analyzers/ast.ts';
import type { AnalysisContext } from '../analyzers/context.ts';
import type { WrapperDef } from '../analyzers/wrappers.ts';

/** Is this type annotation the page class, optionally | null | undefined? Returns nullable, or undefined if not. */
export function pageAnnotation(ctx: AnalysisContext, t: ts.TypeNode): { nullable: boolean; refs: ts.TypeReferenceNode[] } | undefined {
  const parts = ts.isUnionTypeNode(t) ? [...t.types] : [t];
  const refs: ts.TypeReferenceNode[] = [];
  let nullable = false;
  for (const p0 of parts) {
    const p = ts.isParenthesizedTypeNode(p0) ? p0.type : p0;
    if (p.kind === ts.SyntaxKind.UndefinedKeyword || (ts.isLiteralTypeNode(p) && p.literal.kind === ts.SyntaxKind.NullKeyword)) {
      nullable = true;
      continue;
    }
    if (ts.isTypeReferenceNode(p) && !p.typeArguments && (ctx.isPageClassRef(p.typeName as unknown as ts.Expression) || pageAlias(ctx, p.typeName))) {
      refs.push(p);
      continue;
    }
    return undefined;
  }
  return refs.length === 1 ? { nullable, refs } : undefined;
}

/**
 * A type alias that is exactly the page class (`type Shelf = Slot`, through imports and other such
 * aliases): as good as the class in a signature. An alias that adds `| null` or type arguments
 * is not, since replacing it by the descriptor would change more than the class.
 */
export function pageAlias(ctx: AnalysisContext, name: ts.EntityName, depth = 0): boolean {
  if (depth > 8) return false;
  let sym = ctx.checker.getSymbolAtLocation(name);
  if (sym && sym.flags & ts.SymbolFlags.Alias) sym = ctx.checker.getAliasedSymbol(sym);
  const d = sym?.declarations?.find(ts.isTypeAliasDeclaration);
  if (!d || d.typeParameters) return false;
  let t = d.type;
  while (ts.isParenthesizedTypeNode(t)) t = t.type;
  if (!ts.isTypeReferenceNode(t) || t.typeArguments) return false;
  return ctx.isPageClassRef(t.typeName as unknown as ts.Expression) || pageAlias(ctx, t.typeName, depth + 1);
}

/** Is this (inferred) type the page class, optionally | null | undefined? */
export function pageType(ctx: AnalysisContext, t: ts.Type): { nullable: boolean } | undefined {
  const parts = t.isUnion() ? t.types : [t];
  let nullable = false;
  let page = 0;
  for (const p of parts) {
    if (p.flags & (ts.TypeFlags.Null | ts.TypeFlags.Undefined)) { nullable = true; continue; }
    const sym = p.getSymbol();
    if (sym?.declarations?.some((d) => ctx.pageDecls.has(d)) && !(p.flags & ts.TypeFlags.TypeParameter)) { page++; continue; }
    return undefined;
  }
  return page === 1 ? { nullable } : undefined;
}

/** Leaves of a value expression: through parentheses, `!` and conditional branches. */
export function leaves(e: ts.Expression): ts.Expression[] {
  const x = ts.isParenthesizedExpression(e) || ts.isNonNullExpression(e) ? leaves(e.expression) : undefined;
  if (x) return x;
  if (ts.isConditionalExpression(e)) return [...leaves(e.whenTrue), ...leaves(e.whenFalse)];
  return [e];
}

export function containerShape(ctx: AnalysisContext, call: ts.CallExpression): 'single' | 'nullable' | 'array' {
  const t = ctx.checker.getTypeAtLocation(call);
  const p = pageType(ctx, t);
  if (p) return p.nullable ? 'nullable' : 'single';
  return 'array';
}

export function fnName(f: FunctionLike): string | undefined {
  if ((ts.isFunctionDeclaration(f) || ts.isMethodDeclaration(f)) && f.name && ts.isIdentifier(f.name)) return f.name.text;
  if (ts.isArrowFunction(f) || ts.isFunctionExpression(f)) {
    let p: ts.Node = f.parent;
    while (ts.isParenthesizedExpression(p) || ts.isAsExpression(p)) p = p.parent;
    if (ts.isVariableDeclaration(p) && ts.isIdentifier(p.name)) return p.name.text;
    if (ts.isFunctionExpression(f) && f.name) return f.name.text;
  }
  return undefined;
}

export function declSymbol(ctx: AnalysisContext, f: FunctionLike): ts.Symbol | undefined {
  if ((ts.isFunctionDeclaration(f) || ts.isMethodDeclaration(f)) && f.name) return ctx.symbolOf(f.name);
  if (ts.isArrowFunction(f) || ts.isFunctionExpression(f)) {
    let p: ts.Node = f.parent;
    while (ts.isParenthesizedExpression(p) || ts.isAsExpression(p)) p = p.parent;
    if (ts.isVariableDeclaration(p) && ts.isIdentifier(p.name)) {
      // Only `const f = (...) => ...`: a `let` may be reassigned.
      const list = p.parent;
      if (ts.isVariableDeclarationList(list) && (list.flags & ts.NodeFlags.Const)) return ctx.symbolOf(p.name);
    }
  }
  return undefined;
}

export function enclosingFn(n: ts.Node): FunctionLike | undefined {
  for (let p = n.parent; p; p = p.parent) if (isFunctionLike(p)) return p;
  return undefined;
}

export function isDeclName(n: ts.Identifier): boolean {
  const p = n.parent;
  return ((ts.isVariableDeclaration(p) || ts.isParameter(p) || ts.isFunctionDeclaration(p) || ts.isMethodDeclaration(p) ||
    ts.isBindingElement(p) || ts.isClassDeclaration(p) || ts.isPropertyDeclaration(p) || ts.isPropertyAssignment(p)) && p.name === n) ||
    (ts.isPropertyAccessExpression(p) && p.name === n);
}

export function isImportExportName(n: ts.Identifier): boolean {
  const p = n.parent;
  return ts.isImportSpecifier(p) || ts.isExportSpecifier(p) || ts.isImportClause(p) || ts.isNamespaceImport(p);
}

/** The call whose callee is `n` (f(...) or obj.f(...)). */
export function calleeCall(n: ts.Identifier): ts.CallExpression | undefined {
  let e: ts.Node = n;
  if (ts.isPropertyAccessExpression(n.parent) && n.parent.name === n) e = n.parent;
  let p = e.parent;
  while (p && (ts.isParenthesizedExpression(p) || ts.isNonNullExpression(p)) ) { e = p; p = p.parent; }
  if (p && ts.isCallExpression(p) && p.expression === e) return p;
  return undefined;
}

export function calleeText(c: ts.CallExpression): string | undefined {
  const e = skipOuter(c.expression);
  if (ts.isIdentifier(e)) return e.text;
  if (ts.isPropertyAccessExpression(e)) return e.name.text;
  return undefined;
}

/** Return expressions of `fn` itself (not of nested functions); an arrow's expression body. */
export function returnExprs(fn: FunctionLike): ts.Expression[] {
  if (!fn.body) return [];
  if (!ts.isBlock(fn.body)) return [fn.body];
  const out: ts.Expression[] = [];
  const visit = (n: ts.Node): void => {
    if (isFunctionLike(n)) return;
    if (ts.isReturnStatement(n) && n.expression) out.push(n.expression);
    ts.forEachChild(n, visit);
  };
  ts.forEachChild(fn.body, visit);
  return out;
}

/** How a wrapper can be inlined: read `return P.f[.x…]`, or write `P.f = Q`. */
export function wrapperShape(def: WrapperDef): { kind: 'read'; suffix: string } | { kind: 'write'; valueArg: number } | undefined {
  const fn = def.fn as FunctionLike;
  const body = fn.body;
  if (!body) return undefined;
  let e: ts.Expression | undefined;
  if (!ts.isBlock(body)) e = body;
  else if (body.statements.length === 1) {
    const st = body.statements[0]!;
    if (ts.isReturnStatement(st) && st.expression) e = st.expression;
    else if (ts.isExpressionStatement(st)) e = st.expression;
  }
  if (!e) return undefined;
  e = skipOuter(e);
  const param = fn.parameters[def.pageArg];
  if (!param || !ts.isIdentifier(param.name)) return undefined;
  const pname = param.name.text;
  const isField = (x: ts.Expression): boolean => {
    const y = skipOuter(x);
    return ts.isPropertyAccessExpression(y) && y.name.text === def.field && ts.isIdentifier(skipOuter(y.expression)) &&
      (skipOuter(y.expression) as ts.Identifier).text === pname;
  };
  if (def.access === 'write' && ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.EqualsToken && isField(e.left)) {
    const v = skipOuter(e.right);
    if (!ts.isIdentifier(v)) return undefined;
    const j = fn.parameters.findIndex((p) => ts.isIdentifier(p.name) && p.name.text === v.text);
    if (j < 0 || j <= def.pageArg || fn.parameters.length !== 2) return undefined;
    return { kind: 'write', valueArg: j };
  }
  if (def.access === 'read' || def.access === 'reference') {
    if (fn.parameters.length !== 1) return undefined;
    let x: ts.Expression = e;
    let suffix = '';
    while (!isField(x)) {
      if (!ts.isPropertyAccessExpression(x)) return undefined;
      suffix = `.${x.name.text}${suffix}`;
      x = skipOuter(x.expression);
    }
    return { kind: 'read', suffix };
  }
  return undefined;
}

