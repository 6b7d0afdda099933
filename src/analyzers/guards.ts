/**
 * Dominating page-type tests: `if (PageTable(page)) { ...page.private... }`, `else if`, early
 * exits (`if (!PageSlab(page)) return;`), `switch (true) { case PageSlab(page): … }`,
 * `cond ? a : b`, `a && b`, `a || b`, negations, loop conditions, assertions
 * (`VM_BUG_ON_PAGE(!PageBuddy(page), page)`: calls whose callee's code stops on their condition,
 * assertions.ts — `if (c) throw` fails when it holds, `if (!c) throw` or `asserts c` makes it hold,
 * like `ensure(PageSlab(page))`; the spec's names only for a callee without a body) and tests kept in a local that is never reassigned
 * (`const isTable = PageTable(page); … if (isTable) …`). Tests must be on the same receiver
 * (same symbol for identifiers, same text and root symbol otherwise), and a test no longer holds
 * once the receiver's variable is assigned between the test and the access (or inside a loop
 * around the access that the test is outside of).
 */
import { ts } from '@ts-morph/common';
import { tsv } from './tsValues.ts';
import { compactText, enclosingFunction, isFunctionLike, shortText, skipOuter, type FunctionLike } from './ast.ts';
import type { AnalysisContext } from './context.ts';
import { assertionsOf, type Assertions } from './assertions.ts';
import { constLocalSource } from './testAtoms.ts';
import { RECEIVER, TypeTests, type FieldMarker, type KindTest } from './typeTests.ts';

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
  /** Set when the test is taken by the spec's name alone (it has no body to read): why. */
  byName?: string;
}

/** Records the facts of a condition (an array: alternatives, one of which held) with a sentence. */
type Add = (cond: ts.Expression | ts.Expression[], truth: boolean, how: (c: string) => string, shown?: ts.Node) => void;

/** A fact as cond() finds it: where the test was evaluated when it went through a local. */
interface CondFact extends GuardFact {
  since?: ts.Node;
  local?: { name: string; init: string; at: string };
  /** A test written in place: the kind's test function it computes. */
  computes?: string;
}

export class Guards {
  /** Which calls are type tests, from their code (typeTests.ts). */
  private readonly tests: TypeTests;
  /** Which calls are assertions, from their code (assertions.ts): the condition argument and its sense. */
  private readonly asserts: Assertions;
  /** memdesc track: told the `body:` dependency of every test body a fact rests on. */
  onBody?: (dep: string) => void;
  /** While facts() runs for a caller that asked: why calls named like a test were none. */
  private rejected: string[] | undefined;

  /** `tests`: the tests already established from the code, by symbol (instead of the spec's kinds' tests). */
  constructor(private ctx: AnalysisContext, opts: { tests?: Map<ts.Symbol, KindTest[]> } = {}) {
    this.tests = new TypeTests(ctx, opts.tests);
    this.asserts = assertionsOf(ctx);
  }

  /** Is `fn` a type test by its code (typeTests.ts)? */
  isTestFunction(fn: FunctionLike): boolean {
    return this.tests.isTestFunction(fn);
  }

  /** Writes that make a kind's test hold, for the data flow's marks (TypeTests.fieldMarker()). */
  fieldMarker(): FieldMarker | undefined {
    return this.tests.fieldMarker();
  }

  /** The kinds a function value (`xs.filter(isLoan)`) tests for its argument `pageArg` when it holds (none: no test). */
  testKindsOf(fn: ts.Expression, pageArg = 0): string[] {
    const r = this.tests.ofValue(fn);
    for (const d of r.deps) this.onBody?.(d);
    return r.tests.filter((t) => t.pageArg === pageArg).map((t) => t.kind);
  }

  /**
   * Facts about `receiver` that hold at `anchor`, nearest first. `rejected`: gets why a call the
   * spec names as a type test, on the receiver, is none by its code (for an unknown's reason).
   */
  facts(anchor: ts.Node, receiver: ts.Expression, rejected?: string[]): GuardFact[] {
    if (this.tests.empty) return [];
    // The call graph asks the same (call, argument) again whenever a caller's provenance is
    // recomputed (a result cut short is not memoized): the facts are the same, their bodies too.
    if (!rejected) {
      const hit = this.factMemo.get(anchor)?.get(receiver);
      if (hit) {
        for (const d of hit.bodies) this.onBody?.(d);
        return hit.facts;
      }
    }
    this.rejected = rejected;
    const outer = this.bodies;
    const bodies: string[] = [];
    this.bodies = bodies;
    try {
      const facts = this.collectFacts(anchor, receiver);
      if (!rejected) {
        let m = this.factMemo.get(anchor);
        if (!m) this.factMemo.set(anchor, m = new Map());
        m.set(receiver, { facts, bodies });
      }
      return facts;
    } finally {
      this.rejected = undefined;
      this.bodies = outer;
    }
  }

  /** facts() by anchor and receiver (asked without `rejected`), with the bodies they rest on. */
  private factMemo = new Map<ts.Node, Map<ts.Expression, { facts: GuardFact[]; bodies: string[] }>>();
  /** The `body:` dependencies the open facts() reported, to replay on a memo hit. */
  private bodies: string[] | undefined;

  /** Report a test body a fact rests on (memdesc track), and keep it with the open query's facts. */
  private noteBody(d: string): void {
    this.bodies?.push(d);
    this.onBody?.(d);
  }

  private collectFacts(anchor: ts.Node, receiver: ts.Expression): GuardFact[] {
    const sf = anchor.getSourceFile();
    const out: GuardFact[] = [];
    const add: Add = (cond, truth, how, shown): void => {
      // An array: alternatives (a run of switch cases), one of which held.
      const facts = Array.isArray(cond) ? this.anyOf(cond, receiver, sf) : this.cond(cond, truth, receiver, sf);
      if (facts.length === 0) return;
      const first = Array.isArray(cond) ? cond[0]! : cond;
      const sentence = `${how(`\`${shortText(shown ?? first, sf, 70)}\``)} at ${this.ctx.at(sf, first)}`;
      for (const f of facts) {
        // The test was made on the value the receiver's variable had then (`since`: where it was evaluated).
        if (this.reassigned(receiver, f.since ?? first, anchor) || this.retagged(receiver, f.since ?? first, anchor)) continue;
        const local = f.local ? `, where \`${f.local.name}\` = \`${f.local.init}\` at ${f.local.at}` : '';
        const hint = f.byName ? ` (${f.byName})` : f.computes ? ` (what \`${f.computes}()\` tests)` : '';
        out.push({
          kinds: f.kinds, positive: f.positive, test: f.test, at: f.at, sentence: `${f.kinds.length > 1 ? f.sentence : `${sentence}${local}`}${hint}`,
          ...(f.byName ? { byName: f.byName } : {}),
        });
      }
    };
    let child: ts.Node = anchor;
    for (let p = anchor.parent; p; child = p, p = p.parent) {
      if (tsv.isIfStatement(p)) {
        if (child === p.thenStatement) add(p.expression, true, (c) => `guarded by ${c}`);
        else if (child === p.elseStatement) add(p.expression, false, (c) => `in the else branch of ${c}`);
      } else if (tsv.isConditionalExpression(p)) {
        if (child === p.whenTrue) add(p.condition, true, (c) => `guarded by ${c}`);
        else if (child === p.whenFalse) add(p.condition, false, (c) => `in the false branch of ${c}`);
      } else if (tsv.isBinaryExpression(p) && child === p.right) {
        if (p.operatorToken.kind === tsv.SyntaxKind.AmpersandAmpersandToken) add(p.left, true, (c) => `guarded by ${c} &&`);
        else if (p.operatorToken.kind === tsv.SyntaxKind.BarBarToken) add(p.left, false, (c) => `after ${c} ||`);
      } else if ((tsv.isWhileStatement(p) || tsv.isForStatement(p)) && child === p.statement) {
        const c = tsv.isWhileStatement(p) ? p.expression : p.condition;
        if (c) add(c, true, (t) => `in a loop while ${t}`);
      } else if (tsv.isBlock(p) || tsv.isSourceFile(p) || tsv.isCaseClause(p) || tsv.isDefaultClause(p) || tsv.isModuleBlock(p)) {
        if (tsv.isCaseClause(p) || tsv.isDefaultClause(p)) this.fromSwitchCase(p, add);
        const stmts = p.statements;
        const idx = stmts.indexOf(child as ts.Statement);
        // Only the statements that can say anything about some page (the same for every query in the block).
        const relevant = this.relevantStatements(p);
        for (let j = relevant.length - 1; j >= 0; j--) if (relevant[j]! < idx) this.fromStatement(stmts[relevant[j]!]!, add);
      }
      if (tsv.isFunctionDeclaration(p) || tsv.isMethodDeclaration(p) || tsv.isConstructorDeclaration(p) || tsv.isClassDeclaration(p)) break;
    }
    return out;
  }

  /**
   * `switch (true) { case PageSlab(page): … }`: inside a clause entered only by matching (the
   * clause before it, if any, always leaves the switch), its test holds (several empty clauses
   * in a row: one of their tests) and every other clause's test before it (for default: every
   * clause's test) failed.
   */
  private fromSwitchCase(clause: ts.CaseClause | ts.DefaultClause, add: Add): void {
    const sw = clause.parent.parent;
    // `switch (kindOf(page))`: each case compares the value with its own (cond(): a test written in place).
    const of = skipOuter(sw.expression).kind === tsv.SyntaxKind.TrueKeyword ? '`switch (true)`' : `\`switch (${shortText(sw.expression, sw.getSourceFile(), 40)})\``;
    if (of !== '`switch (true)`' && !this.tests.hasAtoms) return;
    const clauses = sw.caseBlock.clauses;
    let first = clauses.indexOf(clause);
    while (first > 0 && clauses[first - 1]!.statements.length === 0) first--;
    const before = first > 0 ? clauses[first - 1]! : undefined;
    if (before && !this.exits(before.statements[before.statements.length - 1]!)) return;
    const run = clauses.slice(first, clauses.indexOf(clause) + 1);
    const tests = run.map((c) => (tsv.isCaseClause(c) ? c.expression : undefined));
    if (!tests.includes(undefined)) {
      if (tests.length === 1) add(tests[0]!, true, (c) => `in \`case ${c.slice(1, -1)}:\` of ${of}`);
      else add(tests as ts.Expression[], true, () => `in one of the cases ${tests.map((t) => `\`${shortText(t!, t!.getSourceFile(), 40)}\``).join(', ')} of ${of}`);
    }
    // Default alone: no case matched, so every case was tested. Otherwise only those before the run.
    const others = run.length === 1 && tsv.isDefaultClause(clause) ? clauses.filter((c) => c !== clause) : clauses.slice(0, first);
    for (const o of others) if (tsv.isCaseClause(o)) add(o.expression, false, (c) => `after \`case ${c.slice(1, -1)}:\` of ${of} did not match`);
  }

  private fromStatement(s: ts.Statement, add: Add): void {
    if (tsv.isIfStatement(s)) {
      const thenExits = this.exits(s.thenStatement);
      const elseExits = !!s.elseStatement && this.exits(s.elseStatement);
      if (thenExits && !elseExits) add(s.expression, false, (c) => `after the early exit on ${c}`);
      else if (elseExits && !thenExits) add(s.expression, true, (c) => `after the early exit on the else branch of ${c}`);
      return;
    }
    if (tsv.isExpressionStatement(s)) {
      const e = skipOuter(s.expression);
      if (tsv.isCallExpression(e)) {
        const a = this.assertionAt(e);
        // VM_BUG_ON_PAGE(cond) (fails-if): cond is false after it; ensure(cond) (holds): cond is true after it.
        if (a && e.arguments[a.condArg]) add(e.arguments[a.condArg]!, a.means === 'holds', (c) => `asserted by ${c}${a.byName ? ` (${a.byName})` : ''}`, e);
      }
    }
  }

  private relevantCache = new Map<ts.Node, number[]>();

  /**
   * The assertion a call statement is, by its callee's code (assertions.ts: an alias or a wrapper
   * of one is one; a same-named function that only logs is none); the spec's name only where the
   * callee has no body to read (byName). A method call (`list.push(x)`) is resolved only when the
   * spec names it or one of its arguments may hold a type test: the rest cannot assert one.
   */
  private assertionAt(call: ts.CallExpression): { condArg: number; means: 'holds' | 'fails-if'; byName?: string } | undefined {
    if (call.arguments.length === 0) return undefined;
    const callee = skipOuter(call.expression);
    if (!tsv.isIdentifier(callee)) {
      if (!tsv.isPropertyAccessExpression(callee)) return undefined;
      if (!this.asserts.named(callee.name.text) && !call.arguments.some((a) => this.mayFact(a))) return undefined;
    }
    const v = this.asserts.of(call);
    return v.value && (v.byName ? { ...v.value, byName: v.byName } : v.value);
  }

  /**
   * Indices of the statements of a block that fromStatement() may draw a fact from for some
   * receiver: an early exit or an assertion whose condition may hold a type test (mayFact()).
   */
  private relevantStatements(block: ts.Block | ts.SourceFile | ts.CaseOrDefaultClause | ts.ModuleBlock): number[] {
    let r = this.relevantCache.get(block);
    if (r) return r;
    r = [];
    const stmts = block.statements;
    for (let i = 0; i < stmts.length; i++) {
      const s = stmts[i]!;
      if (tsv.isIfStatement(s)) {
        const thenExits = this.exits(s.thenStatement);
        const elseExits = !!s.elseStatement && this.exits(s.elseStatement);
        if (thenExits !== elseExits && this.mayFact(s.expression)) r.push(i);
      } else if (tsv.isExpressionStatement(s)) {
        const e = skipOuter(s.expression);
        if (!tsv.isCallExpression(e)) continue;
        const a = this.assertionAt(e);
        if (a && e.arguments[a.condArg] && this.mayFact(e.arguments[a.condArg]!)) r.push(i);
      }
    }
    this.relevantCache.set(block, r);
    return r;
  }

  /** Can cond() find a fact in `cond` for some receiver (a type test call somewhere it looks)? A superset: false means never. */
  private mayFact(cond: ts.Expression, depth = 0): boolean {
    const e = skipOuter(cond);
    if (tsv.isPrefixUnaryExpression(e) && e.operator === tsv.SyntaxKind.ExclamationToken) return this.mayFact(e.operand, depth);
    if (tsv.isBinaryExpression(e)) {
      const op = e.operatorToken.kind;
      if (op === tsv.SyntaxKind.AmpersandAmpersandToken || op === tsv.SyntaxKind.BarBarToken) return this.mayFact(e.left, depth) || this.mayFact(e.right, depth);
      if ((op === tsv.SyntaxKind.EqualsEqualsEqualsToken || op === tsv.SyntaxKind.ExclamationEqualsEqualsToken) &&
        (e.right.kind === tsv.SyntaxKind.TrueKeyword || e.right.kind === tsv.SyntaxKind.FalseKeyword)) return this.mayFact(e.left, depth);
      // A test written in place (`kindOf(p) === T`, `p.flags & B`): when some kind's test has an atom.
      const inPlace = op === tsv.SyntaxKind.EqualsEqualsEqualsToken || op === tsv.SyntaxKind.ExclamationEqualsEqualsToken ||
        op === tsv.SyntaxKind.EqualsEqualsToken || op === tsv.SyntaxKind.ExclamationEqualsToken || op === tsv.SyntaxKind.AmpersandToken;
      return inPlace && this.tests.hasAtoms;
    }
    if (tsv.isIdentifier(e) && depth < 4) {
      const init = this.stableInit(e);
      return !!init && this.mayFact(init, depth + 1);
    }
    // A getter computing a kind's test (`s.isLive`), read by what it computes (inline()).
    if (tsv.isPropertyAccessExpression(e)) return this.tests.mayTestMember(e.name.text) && this.tests.hasAtoms;
    if (tsv.isCallExpression(e)) {
      // A call named like a test that is none is kept too: its reason may be asked for (the cache is per block).
      const r = this.tests.ofCall(e);
      // Or a helper handed the page, read by what it computes there (inline()).
      return r.tests.length > 0 || !!r.notTest || (e.arguments.length > 0 && this.tests.hasAtoms);
    }
    return false;
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
    if (tsv.isReturnStatement(s) || tsv.isThrowStatement(s) || tsv.isBreakStatement(s) || tsv.isContinueStatement(s)) return true;
    if (tsv.isBlock(s)) return s.statements.length > 0 && this.exits(s.statements[s.statements.length - 1]!);
    if (tsv.isIfStatement(s)) return !!s.elseStatement && this.exits(s.thenStatement) && this.exits(s.elseStatement);
    if (tsv.isExpressionStatement(s)) {
      const e = skipOuter(s.expression);
      if (tsv.isCallExpression(e)) return this.neverReturns(e);
    }
    return false;
  }

  /** A call of a function declared to return `never` (BUG(), bad_page()): by its declaration, no overload resolution. */
  private neverReturns(call: ts.CallExpression): boolean {
    const callee = skipOuter(call.expression);
    if (!this.ctx.mayNeverReturn(callee)) return false;
    const sym = this.ctx.symbolOf(tsv.isPropertyAccessExpression(callee) ? callee.name : callee);
    for (const d of sym?.declarations ?? []) {
      let fn: ts.Node = d;
      if (tsv.isVariableDeclaration(d)) {
        if (d.type && tsv.isFunctionTypeNode(d.type)) fn = d.type;
        else if (d.initializer) fn = skipOuter(d.initializer);
      }
      const type = (fn as ts.SignatureDeclarationBase).type;
      if (type && type.kind === tsv.SyntaxKind.NeverKeyword) return true;
    }
    return false;
  }

  /** Facts established when `cond` evaluates to `truth`. */
  private cond(cond: ts.Expression, truth: boolean, receiver: ts.Expression, sf: ts.SourceFile, depth = 0): CondFact[] {
    const e = skipOuter(cond);
    if (tsv.isPrefixUnaryExpression(e) && e.operator === tsv.SyntaxKind.ExclamationToken) return this.cond(e.operand, !truth, receiver, sf, depth);
    if (tsv.isBinaryExpression(e)) {
      const op = e.operatorToken.kind;
      if (op === tsv.SyntaxKind.AmpersandAmpersandToken && truth) {
        return [...this.cond(e.left, true, receiver, sf, depth), ...this.cond(e.right, true, receiver, sf, depth)];
      }
      if (op === tsv.SyntaxKind.BarBarToken && !truth) {
        return [...this.cond(e.left, false, receiver, sf, depth), ...this.cond(e.right, false, receiver, sf, depth)];
      }
      if (op === tsv.SyntaxKind.BarBarToken && truth) {
        const l = this.cond(e.left, true, receiver, sf, depth).filter((f) => f.positive);
        const r = this.cond(e.right, true, receiver, sf, depth).filter((f) => f.positive);
        if (l.length && r.length) {
          const kinds = [...new Set([...l, ...r].flatMap((f) => f.kinds))];
          const test = compactText(e, sf);
          const byName = [...l, ...r].find((f) => f.byName)?.byName;
          return [{ kinds, positive: true, test, at: this.ctx.at(sf, e), sentence: `guarded by \`${test}\` at ${this.ctx.at(sf, e)}`, ...(byName ? { byName } : {}) }];
        }
        return [];
      }
      if ((op === tsv.SyntaxKind.EqualsEqualsEqualsToken || op === tsv.SyntaxKind.ExclamationEqualsEqualsToken) &&
        (e.right.kind === tsv.SyntaxKind.TrueKeyword || e.right.kind === tsv.SyntaxKind.FalseKeyword)) {
        const t = (e.right.kind === tsv.SyntaxKind.TrueKeyword) === (op === tsv.SyntaxKind.EqualsEqualsEqualsToken);
        return this.cond(e.left, t ? truth : !truth, receiver, sf, depth);
      }
      return this.inline(e, truth, receiver, sf);
    }
    const clause = e.parent;
    if (tsv.isCaseClause(clause) && clause.expression === e && skipOuter(clause.parent.parent.expression).kind !== tsv.SyntaxKind.TrueKeyword) {
      return this.inline(e, truth, receiver, sf, clause.parent.parent.expression);
    }
    if (tsv.isIdentifier(e) && depth < 4) {
      const init = this.stableInit(e);
      if (!init) return [];
      const at = this.ctx.at(sf, init);
      return this.cond(init, truth, receiver, sf, depth + 1).map((f) => ({
        ...f, since: f.since ?? init, local: f.local ?? { name: e.text, init: shortText(init, sf, 50), at },
      }));
    }
    if (tsv.isPropertyAccessExpression(e)) return this.tests.mayTestMember(e.name.text) ? this.inline(e, truth, receiver, sf) : [];
    if (tsv.isCallExpression(e)) {
      const r = this.tests.ofCall(e);
      if (r.tests.length === 0) {
        // Named like a test, but not one by its code: said where the site then lacks evidence.
        if (r.notTest && this.rejected && r.pageArgs?.some((i) => e.arguments[i] && this.sameRef(e.arguments[i]!, receiver))) {
          const why = `\`${compactText(e, sf)}\` at ${this.ctx.at(sf, e)} is no guard: ${r.notTest}`;
          if (!this.rejected.includes(why)) this.rejected.push(why);
        }
        // A helper handed the page and constants (`flag_set(page, PG_table)`): by what it computes there.
        return this.inline(e, truth, receiver, sf);
      }
      const out: CondFact[] = [];
      for (const t of r.tests) {
        if (!truth && !t.negates) continue;
        const callee = skipOuter(e.expression);
        const arg = t.pageArg === RECEIVER ? (tsv.isPropertyAccessExpression(callee) ? callee.expression : undefined) : e.arguments[t.pageArg];
        if (arg && this.sameRef(arg, receiver)) {
          for (const d of r.deps) this.noteBody(d);
          out.push({
            kinds: [t.kind], positive: truth, test: `${truth ? '' : '!'}${compactText(e, sf)}`, at: this.ctx.at(sf, e), sentence: '',
            ...(r.byName ? { byName: r.byName } : {}),
          });
        }
      }
      return out;
    }
    return [];
  }

  /**
   * A test written in place (TypeTests.inline(): `kindOf(b) === BufKind.Rx`, `case BufKind.Rx:` of
   * `switch (kindOf(b))`) computing what a kind's type test computes, on the receiver's variable:
   * that test's fact, and the test it is named after in the evidence.
   */
  private inline(e: ts.Expression, truth: boolean, receiver: ts.Expression, sf: ts.SourceFile, switchExpr?: ts.Expression): CondFact[] {
    const r = skipOuter(receiver);
    if (!tsv.isIdentifier(r) || !this.mentionsThroughLocals(switchExpr ?? e, r.text)) return [];
    const subject = this.ctx.symbolOf(r);
    const t = subject && this.tests.inline(e, subject, switchExpr);
    if (!t) return [];
    for (const d of t.deps) this.noteBody(d);
    const out: CondFact[] = [];
    for (const k of t.tests) {
      const holds = truth === k.same;
      if (!holds && !k.negates) continue;
      const test = switchExpr ? `${compactText(switchExpr, sf)} === ${compactText(e, sf)}` : compactText(e, sf);
      out.push({ kinds: [k.kind], positive: holds, test: `${truth ? '' : '!'}${test}`, at: this.ctx.at(sf, e), sentence: '', computes: k.name });
    }
    return out;
  }

  /**
   * Does `n` name the receiver `name`, itself or through local consts made from it (`const t =
   * s.tag; … t === 'tombstone'`, `const { tag } = s`)? Names first; symbols only for the rest.
   */
  private mentionsThroughLocals(n: ts.Node, name: string, depth = 0): boolean {
    if (mentionsName(n, name)) return true;
    if (depth >= 3) return false;
    let found = false;
    const visit = (x: ts.Node): void => {
      if (found) return;
      if (tsv.isIdentifier(x)) {
        const init = !(tsv.isPropertyAccessExpression(x.parent) && x.parent.name === x) ? constLocalSource(this.ctx, x) : undefined;
        if (init && this.mentionsThroughLocals(init, name, depth + 1)) found = true;
        return;
      }
      tsv.forEachChild(x, visit);
    };
    visit(n);
    return found;
  }

  /** One of `tests` held: the kinds they allow when each allows some (one kind: a plain fact). */
  private anyOf(tests: ts.Expression[], receiver: ts.Expression, sf: ts.SourceFile): CondFact[] {
    const each = tests.map((t) => this.cond(t, true, receiver, sf).filter((f) => f.positive));
    if (each.some((l) => l.length === 0)) return [];
    const kinds = [...new Set(each.flat().flatMap((f) => f.kinds))];
    const test = tests.map((t) => compactText(t, sf)).join(' || ');
    const at = this.ctx.at(sf, tests[0]!);
    const byName = each.flat().find((f) => f.byName)?.byName;
    return [{ kinds, positive: true, test, at, sentence: `in one of the cases \`${test}\` at ${at}`, ...(byName ? { byName } : {}) }];
  }

  /**
   * The initializer of a local that always holds it where it is read: declared with an
   * initializer (not a loop variable) and never assigned again.
   */
  private stableInit(id: ts.Identifier): ts.Expression | undefined {
    const sym = this.ctx.symbolOf(id);
    const decl = sym?.valueDeclaration;
    if (!decl || !tsv.isVariableDeclaration(decl) || !decl.initializer || !tsv.isIdentifier(decl.name)) return undefined;
    const list = decl.parent;
    if (!tsv.isVariableDeclarationList(list) || tsv.isForOfStatement(list.parent) || tsv.isForInStatement(list.parent) || tsv.isForStatement(list.parent)) return undefined;
    if (!(list.flags & tsv.NodeFlags.Const) && this.assignments(sym!, decl).length > 0) return undefined;
    return decl.initializer;
  }

  private assignCache = new Map<ts.Symbol, ts.Node[]>();
  /** Per scope: its assignment-like nodes by the names their targets spell, in walk order (one walk per scope, not per variable). */
  private assignIndex = new Map<ts.Node, Map<string, Array<{ push: ts.Node; target: ts.Node }>>>();

  /** Every assignment to variable `sym` in the function (or file) declaring it: `x = …`, `x += …`, `x++`, destructuring. */
  private assignments(sym: ts.Symbol, decl: ts.Node): ts.Node[] {
    const hit = this.assignCache.get(sym);
    if (hit) return hit;
    const name = sym.name;
    const scope: ts.Node = (tsv.isParameter(decl) ? decl.parent : enclosingFunction(decl)) ?? decl.getSourceFile();
    const out: ts.Node[] = [];
    const target = (n: ts.Node): boolean => {
      const e = tsv.isExpression(n) ? skipOuter(n) : n;
      if (tsv.isIdentifier(e)) return e.text === name && this.ctx.symbolOf(e) === sym;
      if (tsv.isArrayLiteralExpression(e)) return e.elements.some((x) => target(tsv.isSpreadElement(x) ? x.expression : x));
      if (tsv.isObjectLiteralExpression(e)) {
        return e.properties.some((p) => (tsv.isShorthandPropertyAssignment(p) ? target(p.name) : tsv.isPropertyAssignment(p) ? target(p.initializer) : false));
      }
      return false;
    };
    if (name) for (const a of this.assignmentsIn(scope).get(name) ?? []) if (target(a.target)) out.push(a.push);
    this.assignCache.set(sym, out);
    return out;
  }

  /** The assignment-like nodes of `scope` (nested functions included), each under every identifier its target pattern holds. */
  private assignmentsIn(scope: ts.Node): Map<string, Array<{ push: ts.Node; target: ts.Node }>> {
    let index = this.assignIndex.get(scope);
    if (index) return index;
    const idx = new Map<string, Array<{ push: ts.Node; target: ts.Node }>>();
    // The identifiers target() in assignments() may compare: the same descent, by syntax.
    const names = (n: ts.Node, into: Set<string>): void => {
      const e = tsv.isExpression(n) ? skipOuter(n) : n;
      if (tsv.isIdentifier(e)) into.add(e.text);
      else if (tsv.isArrayLiteralExpression(e)) for (const x of e.elements) names(tsv.isSpreadElement(x) ? x.expression : x, into);
      else if (tsv.isObjectLiteralExpression(e)) {
        for (const p of e.properties) {
          if (tsv.isShorthandPropertyAssignment(p)) names(p.name, into);
          else if (tsv.isPropertyAssignment(p)) names(p.initializer, into);
        }
      }
    };
    const add = (push: ts.Node, target: ts.Node): void => {
      const into = new Set<string>();
      names(target, into);
      for (const nm of into) {
        const l = idx.get(nm);
        if (l) l.push({ push, target });
        else idx.set(nm, [{ push, target }]);
      }
    };
    const visit = (n: ts.Node): void => {
      if (tsv.isBinaryExpression(n) && n.operatorToken.kind >= tsv.SyntaxKind.FirstAssignment && n.operatorToken.kind <= tsv.SyntaxKind.LastAssignment) add(n, n.left);
      else if ((tsv.isPrefixUnaryExpression(n) || tsv.isPostfixUnaryExpression(n)) &&
        (n.operator === tsv.SyntaxKind.PlusPlusToken || n.operator === tsv.SyntaxKind.MinusMinusToken)) add(n, n.operand);
      else if ((tsv.isForOfStatement(n) || tsv.isForInStatement(n)) && !tsv.isVariableDeclarationList(n.initializer)) add(n.initializer, n.initializer);
      tsv.forEachChild(n, visit);
    };
    visit(scope);
    this.assignIndex.set(scope, index = idx);
    return index;
  }

  /**
   * Is the variable at the root of `receiver` assigned after `since` (where the test was
   * evaluated) and before `anchor`, or inside a loop around `anchor` that `since` is outside of?
   */
  /**
   * Was the field a kind's test compares whole (`tag` of `s.tag === 'entry'`) written on the
   * receiver's variable between the test and the anchor (`s.tag = 'free'`)? The test spoke of the
   * value the field had then; what the object is now is what the write made it (dataflow.ts: a
   * write that makes another kind's test hold marks it so).
   */
  private retagged(receiver: ts.Expression, since: ts.Node, anchor: ts.Node): boolean {
    const fm = this.tests.fieldMarker();
    const r = skipOuter(receiver);
    if (!fm || !tsv.isIdentifier(r)) return false;
    const fn = enclosingFunction(anchor);
    if (!fn?.body || enclosingFunction(since) !== fn) return false;
    const from = since.getEnd();
    const to = anchor.getStart();
    return this.tagWritesIn(fn, fm.fields).some((w) => w.getStart() >= from && w.getEnd() <= to && this.sameRef((skipOuter(w.left) as ts.PropertyAccessExpression).expression, r));
  }

  private tagWrites = new Map<FunctionLike, ts.BinaryExpression[]>();

  /** The writes of a tag field (`x.tag = …`) in a function's body, found once per function. */
  private tagWritesIn(fn: FunctionLike, fields: ReadonlySet<string>): ts.BinaryExpression[] {
    let out = this.tagWrites.get(fn);
    if (!out) {
      const found: ts.BinaryExpression[] = [];
      const visit = (n: ts.Node): void => {
        if (tsv.isBinaryExpression(n) && n.operatorToken.kind === tsv.SyntaxKind.EqualsToken) {
          const l = skipOuter(n.left);
          if (tsv.isPropertyAccessExpression(l) && fields.has(l.name.text)) found.push(n);
        }
        tsv.forEachChild(n, visit);
      };
      if (fn.body) visit(fn.body);
      this.tagWrites.set(fn, out = found);
    }
    return out;
  }

  private reassigned(receiver: ts.Expression, since: ts.Node, anchor: ts.Node): boolean {
    const root = rootIdent(receiver);
    if (!root) return false;
    const sym = this.ctx.symbolOf(root);
    const decl = sym?.valueDeclaration;
    if (!sym || !decl || !(tsv.isVariableDeclaration(decl) || tsv.isParameter(decl))) return false;
    if (tsv.isVariableDeclaration(decl) && tsv.isVariableDeclarationList(decl.parent) && decl.parent.flags & tsv.NodeFlags.Const) return false;
    const list = this.assignments(sym, decl);
    if (list.length === 0) return false;
    const from = since.getEnd();
    const to = anchor.getStart();
    for (const a of list) {
      if (a.getStart() >= from && a.getEnd() <= to) return true;
      for (let l: ts.Node | undefined = a.parent; l; l = l.parent) {
        if (isFunctionLike(l)) break;
        if (!tsv.isIterationStatement(l, false)) continue;
        const inside = (n: ts.Node) => n.getStart() >= l!.getStart() && n.getEnd() <= l!.getEnd();
        if (inside(anchor) && !inside(since)) return true;
      }
    }
    return false;
  }

  /** Do `a` and `b` denote the same page (same variable, or same expression on the same variable)? */
  sameRef(a: ts.Expression, b: ts.Expression): boolean {
    const x = skipOuter(a);
    const y = skipOuter(b);
    if (tsv.isIdentifier(x) && tsv.isIdentifier(y)) {
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

/** Does an identifier spelled `name` occur in `n` (a cheap test before any symbol is asked)? */
function mentionsName(n: ts.Node, name: string): boolean {
  if (tsv.isIdentifier(n)) return n.text === name;
  return !!tsv.forEachChild(n, (c) => mentionsName(c, name) || undefined);
}

function rootIdent(e: ts.Expression): ts.Identifier | undefined {
  let cur: ts.Node = skipOuter(e);
  for (;;) {
    if (tsv.isIdentifier(cur)) return cur;
    if (tsv.isPropertyAccessExpression(cur) || tsv.isElementAccessExpression(cur)) cur = skipOuter(cur.expression);
    else if (tsv.isCallExpression(cur)) {
      const a = cur.arguments[0];
      if (!a) return undefined;
      cur = skipOuter(a);
    } else return undefined;
  }
}
