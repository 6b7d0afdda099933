/**
 * Where a page value goes: the syntactic context of an entity reference (or of a call returning
 * one) decides whether the value feeds another entity, a field access, a wrapper, a terminal, or
 * a use the converter cannot retype (the entity is then blocked, with the reason).
 */
import { ts } from '@ts-morph/common';
import { tsv } from '../analyzers/tsValues.ts';
import type { DetailedAnalysis, SiteDetail } from '../analyzers/analyze.ts';
import { isFunctionLike, skipOuter, type FunctionLike } from '../analyzers/ast.ts';
import type { AnalysisContext } from '../analyzers/context.ts';
import type { WrapperDef } from '../analyzers/wrappers.ts';
import type { Entity, FlowInput, TerminalWhat } from './flow.ts';
import { calleeRoles, type CalleeRoles } from './callees.ts';
import { classWord, type KindPlan } from './kinds.ts';

export type Consumer =
  | { t: 'neutral' }
  | { t: 'assignTarget'; value: ts.Expression }
  | { t: 'block'; reason: string }
  | { t: 'sink'; sink: Entity }
  | { t: 'field'; sites: SiteDetail[] }
  | { t: 'destructure'; sites: SiteDetail[]; source: ts.Expression }
  | { t: 'member'; node: ts.Expression }
  | { t: 'wrapperCall'; call: ts.CallExpression; site: SiteDetail; def: WrapperDef }
  | { t: 'terminal'; what: TerminalWhat; node: ts.Expression; kind?: KindPlan };

export interface ConsumerContext {
  ctx: AnalysisContext;
  det: DetailedAnalysis;
  inp: FlowInput;
  params: Map<FunctionLike, Array<Entity | undefined>>;
  returns: Map<FunctionLike, Entity>;
  bySym: Map<ts.Symbol, Entity>;
  siteByExpr: Map<ts.Node, SiteDetail[]>;
  wrapperByFn: Map<ts.Node, WrapperDef>;
  functionOfCall(c: ts.CallExpression): FunctionLike | undefined;
}

/** Climb from a value through parentheses, `!` and conditional branches; `direct` is false after a conditional. */
export function valueRoot(v: ts.Expression): { root: ts.Expression; direct: boolean } {
  let n: ts.Expression = v;
  let direct = true;
  for (;;) {
    const p = n.parent;
    if (p && (tsv.isParenthesizedExpression(p) || tsv.isNonNullExpression(p))) { n = p; continue; }
    if (p && tsv.isConditionalExpression(p) && (p.whenTrue === n || p.whenFalse === n)) { n = p; direct = false; continue; }
    return { root: n, direct };
  }
}

function isNullish(e: ts.Expression): boolean {
  const x = skipOuter(e);
  return x.kind === tsv.SyntaxKind.NullKeyword || (tsv.isIdentifier(x) && x.text === 'undefined');
}

function addressMember(ctx: AnalysisContext): string {
  for (const d of ctx.pageDecls) {
    if (!tsv.isClassDeclaration(d)) continue;
    for (const m of d.members) {
      if (tsv.isConstructorDeclaration(m)) {
        const p = m.parameters[0];
        if (p && tsv.isIdentifier(p.name) && p.modifiers?.some((x) => x.kind === tsv.SyntaxKind.ReadonlyKeyword || x.kind === tsv.SyntaxKind.PublicKeyword)) return p.name.text;
      }
    }
  }
  return 'addr';
}

const addrCache = new WeakMap<AnalysisContext, string>();
export function pageAddressMember(ctx: AnalysisContext): string {
  let a = addrCache.get(ctx);
  if (a === undefined) {
    a = addressMember(ctx);
    addrCache.set(ctx, a);
  }
  return a;
}

export function classifyConsumer(cx: ConsumerContext, v: ts.Expression): Consumer {
  const { ctx } = cx;
  const { root, direct } = valueRoot(v);
  const p = root.parent;
  if (!p) return { t: 'block', reason: 'no context' };

  // page.f / page['f']
  if ((tsv.isPropertyAccessExpression(p) || tsv.isElementAccessExpression(p)) && p.expression === root) {
    const sites = (cx.siteByExpr.get(p) ?? []).filter((s) => !s.finding.wrapper);
    if (sites.length > 0) return direct ? { t: 'field', sites } : { t: 'block', reason: `a field of a conditional ${classWord(ctx.spec)} expression` };
    if (tsv.isPropertyAccessExpression(p)) {
      const name = p.name.text;
      if (name === pageAddressMember(ctx)) return { t: 'neutral' };
      const call = p.parent;
      if (call && tsv.isCallExpression(call) && call.expression === p) return { t: 'block', reason: `method \`${name}()\` called on it` };
      return direct ? { t: 'member', node: root } : { t: 'block', reason: `a member of a conditional ${classWord(ctx.spec)} expression` };
    }
    return { t: 'block', reason: 'indexed with a computed key' };
  }

  // Argument of a call.
  if (tsv.isCallExpression(p) && p.arguments.includes(root as ts.Expression)) {
    const i = p.arguments.indexOf(root as ts.Expression);
    const ws = (cx.siteByExpr.get(p) ?? []).find((s) => s.finding.wrapper && s.access.receiver === root);
    if (ws) {
      const def = wrapperOfCall(cx, p);
      if (def && direct) return { t: 'wrapperCall', call: p, site: ws, def };
      return { t: 'block', reason: `argument of wrapper \`${ws.finding.wrapper}()\`` };
    }
    const name = calleeName(p);
    // Roles by the function the call resolves to (callees.ts), not by the name it is spelled with.
    const roles = calleeRoles(ctx);
    const test = roles.typeTestOf(p, i);
    if (test.value && !insideAssertion(roles, p)) {
      // if (PageSlab(page)) …: the kind is decided at run time, so here it is still a page.
      return { t: 'block', reason: `its kind is tested with \`${name ?? 'a type test'}()\`${test.byName ? ` (${test.byName})` : ''}` };
    }
    const from = roles.isNamedFunction(p, cx.inp.fromPageNames);
    if (from !== undefined) return { t: 'terminal', what: 'fromPage', node: p, kind: cx.inp.fromPageNames.get(from)! };
    const toAddress = ctx.spec.page.addressHelpers?.toAddress;
    if (toAddress && i === 0 && roles.isNamedFunction(p, new Set([toAddress])) !== undefined) return { t: 'terminal', what: 'toAddress', node: p };
    const fn = cx.functionOfCall(p);
    if (fn) {
      const ps = cx.params.get(fn);
      const ent = ps?.[i];
      if (ent) return { t: 'sink', sink: ent };
      const param = fn.parameters[Math.min(i, fn.parameters.length - 1)];
      return { t: 'block', reason: `passed to \`${name ?? 'a function'}()\` as ${param?.type ? `\`${param.type.getText()}\`` : 'an untyped parameter'}` };
    }
    return { t: 'block', reason: `passed to \`${name ?? 'a function'}()\`, which is not project code` };
  }
  if (tsv.isCallExpression(p) && p.expression === root) return { t: 'block', reason: 'called' };
  if (tsv.isNewExpression(p)) return { t: 'block', reason: 'passed to a constructor' };

  // const x = page / const { f } = page
  if (tsv.isVariableDeclaration(p) && p.initializer === root) {
    if (tsv.isIdentifier(p.name)) {
      const sym = ctx.symbolOf(p.name);
      const ent = sym && cx.bySym.get(sym);
      if (ent) return { t: 'sink', sink: ent };
      return { t: 'block', reason: `stored in \`${p.name.text}\`, which is not converted` };
    }
    if (tsv.isObjectBindingPattern(p.name)) return destructure(cx, p.name.elements.length, root, direct);
    return { t: 'block', reason: 'array destructuring' };
  }

  if (tsv.isBinaryExpression(p)) {
    const op = p.operatorToken.kind;
    if (op === tsv.SyntaxKind.EqualsToken) {
      if (p.left === root) return { t: 'assignTarget', value: p.right };
      const left = skipOuter(p.left);
      if (tsv.isIdentifier(left)) {
        const sym = ctx.symbolOf(left);
        const ent = sym && cx.bySym.get(sym);
        if (ent) return { t: 'sink', sink: ent };
        return { t: 'block', reason: `assigned to \`${left.text}\`, which is not converted` };
      }
      if (tsv.isPropertyAccessExpression(left) || tsv.isElementAccessExpression(left)) return { t: 'terminal', what: 'opaqueSink', node: root };
      if (tsv.isObjectLiteralExpression(left)) return destructure(cx, left.properties.length, root, direct);
      return { t: 'block', reason: 'destructuring assignment' };
    }
    if (op === tsv.SyntaxKind.EqualsEqualsEqualsToken || op === tsv.SyntaxKind.ExclamationEqualsEqualsToken ||
      op === tsv.SyntaxKind.EqualsEqualsToken || op === tsv.SyntaxKind.ExclamationEqualsToken) {
      const other = p.left === root ? p.right : p.left;
      if (isNullish(other)) return { t: 'neutral' };
      return { t: 'block', reason: 'compared by identity' };
    }
    if (op === tsv.SyntaxKind.AmpersandAmpersandToken && p.left === root) return { t: 'neutral' };
    return { t: 'block', reason: `operand of \`${p.operatorToken.getText()}\`` };
  }
  if (tsv.isPrefixUnaryExpression(p) && p.operator === tsv.SyntaxKind.ExclamationToken) return { t: 'neutral' };
  if ((tsv.isIfStatement(p) || tsv.isWhileStatement(p) || tsv.isDoStatement(p)) && p.expression === root) return { t: 'neutral' };
  if (tsv.isForStatement(p) && p.condition === root) return { t: 'neutral' };
  if (tsv.isConditionalExpression(p) && p.condition === root) return { t: 'neutral' };
  if (tsv.isExpressionStatement(p)) return { t: 'neutral' };

  if (tsv.isReturnStatement(p) || (tsv.isArrowFunction(p) && p.body === root)) {
    const fn = tsv.isArrowFunction(p) ? p : enclosingFunction(p);
    const r = fn && cx.returns.get(fn);
    if (r) return { t: 'sink', sink: r };
    return { t: 'block', reason: 'returned from a function that is not converted' };
  }
  if (tsv.isShorthandPropertyAssignment(p) || (tsv.isPropertyAssignment(p) && p.initializer === root) || tsv.isArrayLiteralExpression(p)) {
    return { t: 'terminal', what: 'opaqueSink', node: root };
  }
  return { t: 'block', reason: `used in ${ts.SyntaxKind[p.kind]}` };
}

/** `const { a, b } = page`: every element must be a tracked field site on this receiver. */
function destructure(cx: ConsumerContext, count: number, root: ts.Expression, direct: boolean): Consumer {
  const sites = [...cx.siteByExpr.values()].flat().filter((s) => s.access.receiver && skipOuter(s.access.receiver) === skipOuter(root) &&
    (tsv.isBindingElement(s.access.expr) || tsv.isPropertyAssignment(s.access.expr) || tsv.isShorthandPropertyAssignment(s.access.expr)));
  if (!direct) return { t: 'block', reason: 'destructured from a conditional expression' };
  if (sites.length !== count) return { t: 'block', reason: `destructuring mixes tracked and other ${classWord(cx.ctx.spec)} fields` };
  return { t: 'destructure', sites, source: root };
}

function wrapperOfCall(cx: ConsumerContext, call: ts.CallExpression): WrapperDef | undefined {
  const callee = skipOuter(call.expression);
  const sym = cx.ctx.symbolOf(tsv.isPropertyAccessExpression(callee) ? callee.name : callee);
  for (const d of sym?.declarations ?? []) {
    const w = cx.wrapperByFn.get(d) ?? (tsv.isVariableDeclaration(d) && d.initializer ? cx.wrapperByFn.get(skipOuter(d.initializer)) : undefined);
    if (w) return w;
  }
  return undefined;
}

function calleeName(c: ts.CallExpression): string | undefined {
  const e = skipOuter(c.expression);
  if (tsv.isIdentifier(e)) return e.text;
  if (tsv.isPropertyAccessExpression(e)) return e.name.text;
  return undefined;
}

function enclosingFunction(n: ts.Node): FunctionLike | undefined {
  for (let p = n.parent; p; p = p.parent) if (isFunctionLike(p)) return p;
  return undefined;
}

/** Is `n` inside the condition of an assertion (VM_BUG_ON_PAGE(!PageZsmalloc(page), …)), the assertion known by its code? */
function insideAssertion(roles: CalleeRoles, n: ts.Node): boolean {
  let child: ts.Node = n;
  for (let p: ts.Node | undefined = n.parent; p && !isFunctionLike(p) && !tsv.isStatement(p); child = p, p = p.parent) {
    if (tsv.isCallExpression(p) && p.arguments.includes(child as ts.Expression)) {
      const a = roles.assertionOf(p).value;
      if (a && p.arguments[a.condArg] === child) return true;
    }
  }
  return false;
}
