/**
 * Dominating page-type tests: `if (PageTable(page)) { ...page.private... }`, early exits
 * (`if (!PageSlab(page)) return;`), `cond ? a : b`, `a && b`, loop conditions and assertions
 * (`VM_BUG_ON_PAGE(!PageBuddy(page), page)`). Tests must be on the same receiver (same symbol
 * for identifiers, same text and root symbol otherwise).
 */
import { ts } from '@ts-morph/common';
import { calleeName, compactText, shortText, skipOuter } from './ast.ts';
import type { AnalysisContext } from './context.ts';

export interface GuardFact {
  /** Kinds the test allows: one for a plain test, several for `A || B`. */
  kinds: string[];
  positive: boolean;
  /** Source of the test as written, e.g. "!PageBuddy(page)". */
  test: string;
  /** "mm/page_alloc.ts:88" */
  at: string;
  /** What a reviewer should look at: "after the early exit on `!PageSlab(page)` at mm/slub.ts:88". */
  sentence: string;
}

export class Guards {
  private tests = new Map<string, Array<{ kind: string; pageArg: number; negates: boolean }>>();
  private assertions = new Map<string, number>();

  constructor(private ctx: AnalysisContext) {
    for (const k of ctx.spec.kinds) {
      for (const t of k.pageTypeTests) {
        const l = this.tests.get(t.name) ?? [];
        l.push({ kind: k.name, pageArg: t.pageArg, negates: t.negates });
        this.tests.set(t.name, l);
      }
    }
    for (const a of ctx.spec.page.assertions) this.assertions.set(a.name, a.condArg);
  }

  /** Facts about `receiver` that hold at `anchor`, nearest first. */
  facts(anchor: ts.Node, receiver: ts.Expression): GuardFact[] {
    if (this.tests.size === 0) return [];
    const sf = anchor.getSourceFile();
    const out: GuardFact[] = [];
    const add = (cond: ts.Expression, truth: boolean, how: (c: string) => string, shown: ts.Node = cond): void => {
      const facts = this.cond(cond, truth, receiver, sf);
      if (facts.length === 0) return;
      const sentence = `${how(`\`${shortText(shown, sf, 70)}\``)} at ${this.ctx.at(sf, cond)}`;
      for (const f of facts) out.push({ ...f, sentence: f.kinds.length > 1 ? f.sentence : sentence });
    };
    let child: ts.Node = anchor;
    for (let p = anchor.parent; p; child = p, p = p.parent) {
      if (ts.isIfStatement(p)) {
        if (child === p.thenStatement) add(p.expression, true, (c) => `guarded by ${c}`);
        else if (child === p.elseStatement) add(p.expression, false, (c) => `in the else branch of ${c}`);
      } else if (ts.isConditionalExpression(p)) {
        if (child === p.whenTrue) add(p.condition, true, (c) => `guarded by ${c}`);
        else if (child === p.whenFalse) add(p.condition, false, (c) => `in the false branch of ${c}`);
      } else if (ts.isBinaryExpression(p) && child === p.right) {
        if (p.operatorToken.kind === ts.SyntaxKind.AmpersandAmpersandToken) add(p.left, true, (c) => `guarded by ${c} &&`);
        else if (p.operatorToken.kind === ts.SyntaxKind.BarBarToken) add(p.left, false, (c) => `after ${c} ||`);
      } else if ((ts.isWhileStatement(p) || ts.isForStatement(p)) && child === p.statement) {
        const c = ts.isWhileStatement(p) ? p.expression : p.condition;
        if (c) add(c, true, (t) => `in a loop while ${t}`);
      } else if (ts.isBlock(p) || ts.isSourceFile(p) || ts.isCaseClause(p) || ts.isDefaultClause(p) || ts.isModuleBlock(p)) {
        const stmts = p.statements;
        const idx = stmts.indexOf(child as ts.Statement);
        for (let i = idx - 1; i >= 0; i--) this.fromStatement(stmts[i]!, add);
      }
      if (ts.isFunctionDeclaration(p) || ts.isMethodDeclaration(p) || ts.isConstructorDeclaration(p) || ts.isClassDeclaration(p)) break;
    }
    return out;
  }

  private fromStatement(s: ts.Statement, add: (cond: ts.Expression, truth: boolean, how: (c: string) => string, shown?: ts.Node) => void): void {
    if (ts.isIfStatement(s)) {
      const thenExits = this.exits(s.thenStatement);
      const elseExits = !!s.elseStatement && this.exits(s.elseStatement);
      if (thenExits && !elseExits) add(s.expression, false, (c) => `after the early exit on ${c}`);
      else if (elseExits && !thenExits) add(s.expression, true, (c) => `after the early exit on the else branch of ${c}`);
      return;
    }
    if (ts.isExpressionStatement(s)) {
      const e = skipOuter(s.expression);
      if (ts.isCallExpression(e)) {
        const name = calleeName(e);
        const arg = name !== undefined ? this.assertions.get(name) : undefined;
        if (arg !== undefined && e.arguments[arg]) add(e.arguments[arg]!, false, (c) => `asserted by ${c}`, e);
      }
    }
  }

  private exitCache = new Map<ts.Statement, boolean>();

  /** Does statement `s` always leave the enclosing block (return, throw, break, continue, a never-returning call)? */
  private exits(s: ts.Statement): boolean {
    let r = this.exitCache.get(s);
    if (r === undefined) {
      r = this.computeExits(s);
      this.exitCache.set(s, r);
    }
    return r;
  }

  private computeExits(s: ts.Statement): boolean {
    if (ts.isReturnStatement(s) || ts.isThrowStatement(s) || ts.isBreakStatement(s) || ts.isContinueStatement(s)) return true;
    if (ts.isBlock(s)) return s.statements.length > 0 && this.exits(s.statements[s.statements.length - 1]!);
    if (ts.isIfStatement(s)) return !!s.elseStatement && this.exits(s.thenStatement) && this.exits(s.elseStatement);
    if (ts.isExpressionStatement(s)) {
      const e = skipOuter(s.expression);
      if (ts.isCallExpression(e)) return this.neverReturns(e);
    }
    return false;
  }

  /** A call of a function declared to return `never` (BUG(), bad_page()): by its declaration, no overload resolution. */
  private neverReturns(call: ts.CallExpression): boolean {
    const callee = skipOuter(call.expression);
    const sym = this.ctx.symbolOf(ts.isPropertyAccessExpression(callee) ? callee.name : callee);
    for (const d of sym?.declarations ?? []) {
      let fn: ts.Node = d;
      if (ts.isVariableDeclaration(d)) {
        if (d.type && ts.isFunctionTypeNode(d.type)) fn = d.type;
        else if (d.initializer) fn = skipOuter(d.initializer);
      }
      const type = (fn as ts.SignatureDeclarationBase).type;
      if (type && type.kind === ts.SyntaxKind.NeverKeyword) return true;
    }
    return false;
  }

  /** Facts established when `cond` evaluates to `truth`. */
  private cond(cond: ts.Expression, truth: boolean, receiver: ts.Expression, sf: ts.SourceFile): GuardFact[] {
    const e = skipOuter(cond);
    if (ts.isPrefixUnaryExpression(e) && e.operator === ts.SyntaxKind.ExclamationToken) return this.cond(e.operand, !truth, receiver, sf);
    if (ts.isBinaryExpression(e)) {
      const op = e.operatorToken.kind;
      if (op === ts.SyntaxKind.AmpersandAmpersandToken && truth) {
        return [...this.cond(e.left, true, receiver, sf), ...this.cond(e.right, true, receiver, sf)];
      }
      if (op === ts.SyntaxKind.BarBarToken && !truth) {
        return [...this.cond(e.left, false, receiver, sf), ...this.cond(e.right, false, receiver, sf)];
      }
      if (op === ts.SyntaxKind.BarBarToken && truth) {
        const l = this.cond(e.left, true, receiver, sf).filter((f) => f.positive);
        const r = this.cond(e.right, true, receiver, sf).filter((f) => f.positive);
        if (l.length && r.length) {
          const kinds = [...new Set([...l, ...r].flatMap((f) => f.kinds))];
          const test = compactText(e, sf);
          return [{ kinds, positive: true, test, at: this.ctx.at(sf, e), sentence: `guarded by \`${test}\` at ${this.ctx.at(sf, e)}` }];
        }
        return [];
      }
      if ((op === ts.SyntaxKind.EqualsEqualsEqualsToken || op === ts.SyntaxKind.ExclamationEqualsEqualsToken) &&
        (e.right.kind === ts.SyntaxKind.TrueKeyword || e.right.kind === ts.SyntaxKind.FalseKeyword)) {
        const t = (e.right.kind === ts.SyntaxKind.TrueKeyword) === (op === ts.SyntaxKind.EqualsEqualsEqualsToken);
        return this.cond(e.left, t ? truth : !truth, receiver, sf);
      }
      return [];
    }
    if (ts.isCallExpression(e)) {
      const name = calleeName(e);
      const tests = name !== undefined ? this.tests.get(name) : undefined;
      if (!tests) return [];
      const out: GuardFact[] = [];
      for (const t of tests) {
        if (!truth && !t.negates) continue;
        const arg = e.arguments[t.pageArg];
        if (arg && this.sameRef(arg, receiver)) {
          out.push({ kinds: [t.kind], positive: truth, test: `${truth ? '' : '!'}${compactText(e, sf)}`, at: this.ctx.at(sf, e), sentence: '' });
        }
      }
      return out;
    }
    return [];
  }

  /** Do `a` and `b` denote the same page (same variable, or same expression on the same variable)? */
  sameRef(a: ts.Expression, b: ts.Expression): boolean {
    const x = skipOuter(a);
    const y = skipOuter(b);
    if (ts.isIdentifier(x) && ts.isIdentifier(y)) {
      if (x.text !== y.text) return false;
      const sx = this.ctx.symbolOf(x);
      return !!sx && sx === this.ctx.symbolOf(y);
    }
    const sfx = x.getSourceFile();
    if (compactText(x, sfx) !== compactText(y, y.getSourceFile())) return false;
    const rx = rootIdent(x);
    const ry = rootIdent(y);
    if (!rx || !ry) return true;
    return this.ctx.symbolOf(rx) === this.ctx.symbolOf(ry);
  }
}

function rootIdent(e: ts.Expression): ts.Identifier | undefined {
  let cur: ts.Node = skipOuter(e);
  for (;;) {
    if (ts.isIdentifier(cur)) return cur;
    if (ts.isPropertyAccessExpression(cur) || ts.isElementAccessExpression(cur)) cur = skipOuter(cur.expression);
    else if (ts.isCallExpression(cur)) {
      const a = cur.arguments[0];
      if (!a) return undefined;
      cur = skipOuter(a);
    } else return undefined;
  }
}
