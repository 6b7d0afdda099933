/**
 * Syntax helpers shared by the conversion passes (no edits here; type queries only where the
 * signature says so).
 */
import { ts } from '@ts-morph/common';
import { tsv } from '../analyzers/tsValues.ts';
import { isFunctionLike, skipOuter, type FunctionLike } from '../analyzers/ast.ts';
import type { AnalysisContext } from '../analyzers/context.ts';
import type { WrapperDef } from '../analyzers/wrappers.ts';

/** Is this type annotation the page class, optionally | null | undefined? Returns nullable, or undefined if not. */
export function pageAnnotation(ctx: AnalysisContext, t: ts.TypeNode): { nullable: boolean; refs: ts.TypeReferenceNode[] } | undefined {
  const parts = tsv.isUnionTypeNode(t) ? [...t.types] : [t];
  const refs: ts.TypeReferenceNode[] = [];
  let nullable = false;
  for (const p0 of parts) {
    const p = tsv.isParenthesizedTypeNode(p0) ? p0.type : p0;
    if (p.kind === tsv.SyntaxKind.UndefinedKeyword || (tsv.isLiteralTypeNode(p) && p.literal.kind === tsv.SyntaxKind.NullKeyword)) {
      nullable = true;
      continue;
    }
    if (tsv.isTypeReferenceNode(p) && !p.typeArguments && (ctx.isPageClassRef(p.typeName as unknown as ts.Expression) || pageAlias(ctx, p.typeName))) {
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
  if (sym && sym.flags & tsv.SymbolFlags.Alias) sym = ctx.checker.getAliasedSymbol(sym);
  const d = sym?.declarations?.find(tsv.isTypeAliasDeclaration);
  if (!d || d.typeParameters) return false;
  let t = d.type;
  while (tsv.isParenthesizedTypeNode(t)) t = t.type;
  if (!tsv.isTypeReferenceNode(t) || t.typeArguments) return false;
  return ctx.isPageClassRef(t.typeName as unknown as ts.Expression) || pageAlias(ctx, t.typeName, depth + 1);
}

/** Is this (inferred) type the page class, optionally | null | undefined? */
export function pageType(ctx: AnalysisContext, t: ts.Type): { nullable: boolean } | undefined {
  const parts = t.isUnion() ? t.types : [t];
  let nullable = false;
  let page = 0;
  for (const p of parts) {
    if (p.flags & (tsv.TypeFlags.Null | tsv.TypeFlags.Undefined)) { nullable = true; continue; }
    const sym = p.getSymbol();
    if (sym?.declarations?.some((d) => ctx.pageDecls.has(d)) && !(p.flags & tsv.TypeFlags.TypeParameter)) { page++; continue; }
    return undefined;
  }
  return page === 1 ? { nullable } : undefined;
}

/** Leaves of a value expression: through parentheses, `!` and conditional branches. */
export function leaves(e: ts.Expression): ts.Expression[] {
  const x = tsv.isParenthesizedExpression(e) || tsv.isNonNullExpression(e) ? leaves(e.expression) : undefined;
  if (x) return x;
  if (tsv.isConditionalExpression(e)) return [...leaves(e.whenTrue), ...leaves(e.whenFalse)];
  return [e];
}

export function containerShape(ctx: AnalysisContext, call: ts.CallExpression): 'single' | 'nullable' | 'array' {
  const t = ctx.checker.getTypeAtLocation(call);
  const p = pageType(ctx, t);
  if (p) return p.nullable ? 'nullable' : 'single';
  return 'array';
}

export function fnName(f: FunctionLike): string | undefined {
  if ((tsv.isFunctionDeclaration(f) || tsv.isMethodDeclaration(f)) && f.name && tsv.isIdentifier(f.name)) return f.name.text;
  if (tsv.isArrowFunction(f) || tsv.isFunctionExpression(f)) {
    let p: ts.Node = f.parent;
    while (tsv.isParenthesizedExpression(p) || tsv.isAsExpression(p)) p = p.parent;
    if (tsv.isVariableDeclaration(p) && tsv.isIdentifier(p.name)) return p.name.text;
    if (tsv.isFunctionExpression(f) && f.name) return f.name.text;
  }
  return undefined;
}

export function declSymbol(ctx: AnalysisContext, f: FunctionLike): ts.Symbol | undefined {
  if ((tsv.isFunctionDeclaration(f) || tsv.isMethodDeclaration(f)) && f.name) return ctx.symbolOf(f.name);
  if (tsv.isArrowFunction(f) || tsv.isFunctionExpression(f)) {
    let p: ts.Node = f.parent;
    while (tsv.isParenthesizedExpression(p) || tsv.isAsExpression(p)) p = p.parent;
    if (tsv.isVariableDeclaration(p) && tsv.isIdentifier(p.name)) {
      // Only `const f = (...) => ...`: a `let` may be reassigned.
      const list = p.parent;
      if (tsv.isVariableDeclarationList(list) && (list.flags & tsv.NodeFlags.Const)) return ctx.symbolOf(p.name);
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
  return ((tsv.isVariableDeclaration(p) || tsv.isParameter(p) || tsv.isFunctionDeclaration(p) || tsv.isMethodDeclaration(p) ||
    tsv.isBindingElement(p) || tsv.isClassDeclaration(p) || tsv.isPropertyDeclaration(p) || tsv.isPropertyAssignment(p)) && p.name === n) ||
    (tsv.isPropertyAccessExpression(p) && p.name === n);
}

export function isImportExportName(n: ts.Identifier): boolean {
  const p = n.parent;
  return tsv.isImportSpecifier(p) || tsv.isExportSpecifier(p) || tsv.isImportClause(p) || tsv.isNamespaceImport(p);
}

/** The call whose callee is `n` (f(...) or obj.f(...)). */
export function calleeCall(n: ts.Identifier): ts.CallExpression | undefined {
  let e: ts.Node = n;
  if (tsv.isPropertyAccessExpression(n.parent) && n.parent.name === n) e = n.parent;
  let p = e.parent;
  while (p && (tsv.isParenthesizedExpression(p) || tsv.isNonNullExpression(p)) ) { e = p; p = p.parent; }
  if (p && tsv.isCallExpression(p) && p.expression === e) return p;
  return undefined;
}

export function calleeText(c: ts.CallExpression): string | undefined {
  const e = skipOuter(c.expression);
  if (tsv.isIdentifier(e)) return e.text;
  if (tsv.isPropertyAccessExpression(e)) return e.name.text;
  return undefined;
}

/** Return expressions of `fn` itself (not of nested functions); an arrow's expression body. */
export function returnExprs(fn: FunctionLike): ts.Expression[] {
  if (!fn.body) return [];
  if (!tsv.isBlock(fn.body)) return [fn.body];
  const out: ts.Expression[] = [];
  const visit = (n: ts.Node): void => {
    if (isFunctionLike(n)) return;
    if (tsv.isReturnStatement(n) && n.expression) out.push(n.expression);
    tsv.forEachChild(n, visit);
  };
  tsv.forEachChild(fn.body, visit);
  return out;
}

/** How a wrapper can be inlined: read `return P.f[.x…]`, or write `P.f = Q`. */
export function wrapperShape(def: WrapperDef): { kind: 'read'; suffix: string } | { kind: 'write'; valueArg: number } | undefined {
  const fn = def.fn as FunctionLike;
  const body = fn.body;
  if (!body) return undefined;
  let e: ts.Expression | undefined;
  if (!tsv.isBlock(body)) e = body;
  else if (body.statements.length === 1) {
    const st = body.statements[0]!;
    if (tsv.isReturnStatement(st) && st.expression) e = st.expression;
    else if (tsv.isExpressionStatement(st)) e = st.expression;
  }
  if (!e) return undefined;
  e = skipOuter(e);
  const param = fn.parameters[def.pageArg];
  if (!param || !tsv.isIdentifier(param.name)) return undefined;
  const pname = param.name.text;
  const isField = (x: ts.Expression): boolean => {
    const y = skipOuter(x);
    return tsv.isPropertyAccessExpression(y) && y.name.text === def.field && tsv.isIdentifier(skipOuter(y.expression)) &&
      (skipOuter(y.expression) as ts.Identifier).text === pname;
  };
  if (def.access === 'write' && tsv.isBinaryExpression(e) && e.operatorToken.kind === tsv.SyntaxKind.EqualsToken && isField(e.left)) {
    const v = skipOuter(e.right);
    if (!tsv.isIdentifier(v)) return undefined;
    const j = fn.parameters.findIndex((p) => tsv.isIdentifier(p.name) && p.name.text === v.text);
    if (j < 0 || j <= def.pageArg || fn.parameters.length !== 2) return undefined;
    return { kind: 'write', valueArg: j };
  }
  if (def.access === 'read' || def.access === 'reference') {
    if (fn.parameters.length !== 1) return undefined;
    let x: ts.Expression = e;
    let suffix = '';
    while (!isField(x)) {
      if (!tsv.isPropertyAccessExpression(x)) return undefined;
      suffix = `.${x.name.text}${suffix}`;
      x = skipOuter(x.expression);
    }
    return { kind: 'read', suffix };
  }
  return undefined;
}

