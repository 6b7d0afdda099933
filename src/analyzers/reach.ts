/**
 * Paths through one function body, for facts that hold from a program point on (a type mark:
 * `releaseSlot(s)` makes `s` free from the call on). A small forward data-flow over the AST:
 * the state is a set of small numbers (what may hold on some path), joined at merges; early
 * exits (`return`, `throw`, `break`, `continue`, never-returning calls), `if`/`else`, `switch`,
 * loops (to a fixed point), `try`, and short-circuit expressions (`&&`, `||`, `??`, `?:`, `?.`)
 * are followed. Nested functions do not run where they are written: their bodies are skipped
 * (a probe inside one sees the state where the function is created).
 */
import { ts } from '@ts-morph/common';
import { tsv } from './tsValues.ts';
import { isFunctionLike } from './ast.ts';

export type State = ReadonlySet<number>;

export interface FlowHooks {
  /** Before `n` is evaluated: observe, or replace the state. */
  before?(n: ts.Node, s: State): State | void;
  /** After `n` is evaluated: observe, or replace the state. */
  after?(n: ts.Node, s: State): State | void;
  /** A call that never returns (`BUG()`): the path ends there. */
  noReturn?(call: ts.CallExpression): boolean;
  /** A `return` that is no exit for the question asked (a failure return): its path ends there. */
  notExit?(ret: ts.ReturnStatement): boolean;
}

interface Target {
  node: ts.Node;
  label?: string;
  loop: boolean;
  breaks: Set<number> | null;
  continues: Set<number> | null;
}

const MAX_LOOP_ROUNDS = 6;
const LAST_TOKEN = tsv.SyntaxKind.LastToken;

function union(a: State | null, b: State | null): State | null {
  if (!a) return b;
  if (!b) return a;
  if (a === b) return a;
  let grows = false;
  for (const x of b) if (!a.has(x)) { grows = true; break; }
  if (!grows) return a;
  const s = new Set(a);
  for (const x of b) s.add(x);
  return s;
}

function same(a: State | null, b: State | null): boolean {
  if (a === b) return true;
  if (!a || !b || a.size !== b.size) return false;
  for (const x of a) if (!b.has(x)) return false;
  return true;
}

/**
 * Run the flow over `root` (a function-like node or a source file) from state `entry`; returns
 * the join of the states at its normal exits (`return`, falling off the end). Paths ending in
 * `throw` or a never-returning call are not exits.
 */
export function runFlow(root: ts.Node, entry: State, hooks: FlowHooks): State {
  const targets: Target[] = [];
  let exit: State | null = null;
  /** States seen inside the innermost `try` blocks (any point may throw into the catch). */
  const tries: Array<Set<number>> = [];

  const seen = (s: State | null): void => {
    if (!s) return;
    for (const t of tries) for (const x of s) t.add(x);
  };

  const jump = (label: string | undefined, isContinue: boolean, s: State): void => {
    for (let i = targets.length - 1; i >= 0; i--) {
      const t = targets[i]!;
      // A labelled jump goes to its label; `continue` to the innermost loop; `break` to the innermost loop or switch.
      if (label !== undefined ? t.label === label : isContinue ? t.loop : t.loop || !t.label) {
        if (isContinue) t.continues = union(t.continues, s) as Set<number> | null;
        else t.breaks = union(t.breaks, s) as Set<number> | null;
        return;
      }
    }
  };

  const walk = (n: ts.Node, s: State | null): State | null => {
    if (!s) return null;
    if (hooks.before) s = hooks.before(n, s) ?? s;
    // A token (identifier, keyword, literal) has no children and no flow of its own: only the hooks see it.
    if (n.kind <= LAST_TOKEN) {
      seen(s);
      return after(n, s);
    }
    if (n !== root && isFunctionLike(n) || tsv.isClassLike(n) && n !== root) return after(n, s);
    const out = step(n, s);
    seen(out);
    return out && after(n, out);
  };

  const after = (n: ts.Node, s: State): State => (hooks.after ? hooks.after(n, s) ?? s : s);

  const children = (n: ts.Node, s: State | null): State | null => {
    let cur = s;
    tsv.forEachChild(n, (c) => {
      cur = walk(c, cur);
    });
    return cur;
  };

  const loop = (node: ts.Node, label: string | undefined, s: State, body: (inS: State) => { out: State | null; back: State | null }): State | null => {
    const t: Target = { node, ...(label !== undefined ? { label } : {}), loop: true, breaks: null, continues: null };
    targets.push(t);
    let head: State = s;
    let out: State | null = null;
    for (let round = 0; round < MAX_LOOP_ROUNDS; round++) {
      t.breaks = null;
      t.continues = null;
      const r = body(head);
      out = union(r.out, t.breaks);
      const next = union(head, union(r.back, t.continues));
      if (same(next, head)) break;
      head = next!;
    }
    targets.pop();
    return out;
  };

  const labelOf = (n: ts.Node): string | undefined => (tsv.isLabeledStatement(n.parent) ? n.parent.label.text : undefined);

  const step = (n: ts.Node, s: State): State | null => {
    if (tsv.isReturnStatement(n)) {
      const r = n.expression ? walk(n.expression, s) : s;
      if (!hooks.notExit?.(n)) exit = union(exit, r);
      return null;
    }
    if (tsv.isThrowStatement(n)) {
      walk(n.expression, s);
      return null;
    }
    if (tsv.isBreakStatement(n) || tsv.isContinueStatement(n)) {
      jump(n.label?.text, tsv.isContinueStatement(n), s);
      return null;
    }
    if (tsv.isIfStatement(n)) {
      const c = walk(n.expression, s);
      const t = walk(n.thenStatement, c);
      const e = n.elseStatement ? walk(n.elseStatement, c) : c;
      return union(t, e);
    }
    if (tsv.isConditionalExpression(n)) {
      const c = walk(n.condition, s);
      return union(walk(n.whenTrue, c), walk(n.whenFalse, c));
    }
    if (tsv.isBinaryExpression(n)) {
      const k = n.operatorToken.kind;
      if (k === tsv.SyntaxKind.AmpersandAmpersandToken || k === tsv.SyntaxKind.BarBarToken || k === tsv.SyntaxKind.QuestionQuestionToken ||
        k === tsv.SyntaxKind.AmpersandAmpersandEqualsToken || k === tsv.SyntaxKind.BarBarEqualsToken || k === tsv.SyntaxKind.QuestionQuestionEqualsToken) {
        const l = walk(n.left, s);
        return union(l, walk(n.right, l));
      }
      return children(n, s);
    }
    if (tsv.isCallExpression(n) && n.flags & tsv.NodeFlags.OptionalChain) {
      // `a?.f(x)` (or `a?.b.f(x)`): the arguments may not be evaluated.
      const e = walk(n.expression, s);
      let rest: State | null = e;
      for (const a of n.arguments) rest = walk(a, rest);
      return union(e, rest);
    }
    if ((tsv.isPropertyAccessExpression(n) || tsv.isElementAccessExpression(n)) && n.questionDotToken) {
      // `a?.f(x)`: what follows `?.` may not run.
      const e = walk(n.expression, s);
      const rest = tsv.isElementAccessExpression(n) ? walk(n.argumentExpression, e) : e;
      return union(e, rest);
    }
    if (tsv.isExpressionStatement(n)) {
      const r = walk(n.expression, s);
      const e = n.expression;
      if (tsv.isCallExpression(e) && hooks.noReturn?.(e)) return null;
      return r;
    }
    if (tsv.isWhileStatement(n)) {
      return loop(n, labelOf(n), s, (h) => {
        const c = walk(n.expression, h);
        // `while (true)` is left only by break, return or throw.
        return { out: isTrue(n.expression) ? null : c, back: walk(n.statement, c) };
      });
    }
    if (tsv.isDoStatement(n)) {
      return loop(n, labelOf(n), s, (h) => {
        const b = walk(n.statement, h);
        const c = walk(n.expression, b);
        return { out: isTrue(n.expression) ? null : c, back: c };
      });
    }
    if (tsv.isForStatement(n)) {
      const init = n.initializer ? walk(n.initializer, s) : s;
      if (!init) return null;
      return loop(n, labelOf(n), init, (h) => {
        const c = n.condition ? walk(n.condition, h) : h;
        const b = walk(n.statement, c);
        const t = targets[targets.length - 1]!;
        // `continue` goes to the incrementor.
        const inc = n.incrementor ? walk(n.incrementor, union(b, t.continues)) : union(b, t.continues);
        t.continues = null;
        return { out: n.condition && !isTrue(n.condition) ? c : null, back: inc };
      });
    }
    if (tsv.isForOfStatement(n) || tsv.isForInStatement(n)) {
      const e = walk(n.expression, s);
      if (!e) return null;
      return loop(n, labelOf(n), e, (h) => {
        const v = walk(n.initializer, h);
        return { out: h, back: walk(n.statement, v) };
      });
    }
    if (tsv.isSwitchStatement(n)) {
      const d = walk(n.expression, s);
      if (!d) return null;
      const t: Target = { node: n, loop: false, breaks: null, continues: null };
      targets.push(t);
      let fall: State | null = null;
      let hasDefault = false;
      let tested: State | null = d;
      for (const c of n.caseBlock.clauses) {
        if (tsv.isDefaultClause(c)) hasDefault = true;
        else tested = union(tested, walk(c.expression, tested));
        let cur = union(fall, tested);
        for (const st of c.statements) cur = walk(st, cur);
        fall = cur;
      }
      targets.pop();
      return union(union(t.breaks, fall), hasDefault ? null : tested);
    }
    if (tsv.isLabeledStatement(n)) {
      if (tsv.isIterationStatement(n.statement, false)) return walk(n.statement, s);
      const t: Target = { node: n, label: n.label.text, loop: false, breaks: null, continues: null };
      targets.push(t);
      const r = walk(n.statement, s);
      targets.pop();
      return union(r, t.breaks);
    }
    if (tsv.isTryStatement(n)) {
      const mark = new Set<number>(s);
      tries.push(mark);
      const t = walk(n.tryBlock, s);
      tries.pop();
      let c: State | null = null;
      if (n.catchClause) c = walk(n.catchClause.block, union(mark, t));
      const joined = n.catchClause ? union(t, c) : t;
      if (n.finallyBlock) {
        const f = walk(n.finallyBlock, joined ?? mark);
        return joined ? f : null;
      }
      return joined;
    }
    return children(n, s);
  };

  const body = isFunctionLike(root) ? root.body : root;
  if (!body) return new Set();
  if (isFunctionLike(root) && !tsv.isBlock(body)) {
    // `(x) => expr`: the expression is the return value.
    const r = walk(body, entry);
    exit = union(exit, r);
  } else {
    const r = tsv.isSourceFile(body) ? children(body, entry) : walk(body, entry);
    exit = union(exit, r);
  }
  return exit ?? new Set();
}

function isTrue(e: ts.Expression): boolean {
  let x = e;
  while (tsv.isParenthesizedExpression(x)) x = x.expression;
  return x.kind === tsv.SyntaxKind.TrueKeyword;
}

/** A call of a function declared to return `never` (`BUG()`): by its declaration. */
export function neverReturns(call: ts.CallExpression, symbolOf: (n: ts.Node) => ts.Symbol | undefined): boolean {
  const callee = call.expression;
  const sym = symbolOf(tsv.isPropertyAccessExpression(callee) ? callee.name : callee);
  for (const d of sym?.declarations ?? []) {
    let fn: ts.Node = d;
    if (tsv.isVariableDeclaration(d)) {
      if (d.type && tsv.isFunctionTypeNode(d.type)) fn = d.type;
      else if (d.initializer) fn = d.initializer;
    }
    const type = (fn as ts.SignatureDeclarationBase).type;
    if (type && type.kind === tsv.SyntaxKind.NeverKeyword) return true;
  }
  return false;
}
