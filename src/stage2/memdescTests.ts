/**
 * The tree's tests of the memdesc word — "does this page carry a word?" — found from the code,
 * never from a function's name (the guide: a name is a hint of last resort; when it contradicts
 * the code, the code wins). A test is a boolean function of one page whose single returned
 * expression is, by its own code:
 *
 *  - a test of the word itself, read through the class's member the spec names (by declaration):
 *    `page.memdesc !== 0`, `!!page.memdesc` (false: the word is 0, the page carries none), or
 *    `page.memdesc === 0` (true: it carries none);
 *  - a test of a mark the word's writers keep with it: `(read32(page.addr + 4) & FLAG) !== 0`
 *    where the functions storing the word on their page set FLAG at that place (`… | FLAG`) and
 *    clear it (`… & ~FLAG`, the same expression), and the word's checked readers assert the
 *    test before they read the word (`VM_BUG_ON_PAGE(!PageMemdesc(page), …); return page.memdesc`):
 *    the mark's sense comes from what the readers require, not from the bit;
 *  - another test, or a combination the answer follows from: `F(page)`, `!F(page)`,
 *    `F(page) || X` (false still means no word), `N(page) && X` for a test N true on pages with
 *    none. `F(page) && X` is no test: its false answer does not say the page carries no word
 *    (`page_has_desc_type(page, T)`).
 *
 * Each test has a sense: `has` (its false answer means the page carries no word) or `none` (its
 * true answer does). A function that reads nothing of the word, whatever it is called, is none.
 */
import { ts } from '@ts-morph/common';
import { tsv } from '../analyzers/tsValues.ts';
import type { AnalysisContext } from '../analyzers/context.ts';
import { isFunctionLike, skipOuter, type FunctionLike } from '../analyzers/ast.ts';
import { constValue } from './tagTests.ts';
import { calleeRoles } from '../rewrite/callees.ts';

export interface MemdescTest {
  /** The function's symbol: calls count when they resolve to it. */
  symbol: ts.Symbol;
  name: string;
  /** The index of its page parameter. */
  pageArg: number;
  /** `has`: false means the page carries no word; `none`: true means it carries none. */
  sense: 'has' | 'none';
  /** The code that makes it one, for a reviewer: "reads `page.memdesc !== 0`" … */
  why: string;
  /** Where it is declared (file:line). */
  at: string;
}

/** What an expression's answer says about the word: no word when it is false, or when it is true. */
interface Says { ifFalse: boolean; ifTrue: boolean }
const NOTHING: Says = { ifFalse: false, ifTrue: false };

/** At most this many rounds of tests built from tests (wrappers of wrappers). */
const ROUNDS = 6;

interface Candidate {
  fn: FunctionLike;
  symbol: ts.Symbol;
  name: string;
  param: ts.Symbol;
  pageArg: number;
  /** The single expression it returns. */
  ret: ts.Expression;
}

/** The single expression a function returns: an arrow's body, or a block's only statement `return e`. */
function returned(fn: FunctionLike): ts.Expression | undefined {
  if (!fn.body) return undefined;
  if (!tsv.isBlock(fn.body)) return fn.body;
  const [only, ...rest] = fn.body.statements;
  return only && rest.length === 0 && tsv.isReturnStatement(only) && only.expression ? only.expression : undefined;
}

function nameOf(fn: FunctionLike): ts.Identifier | undefined {
  if ((tsv.isFunctionDeclaration(fn) || tsv.isFunctionExpression(fn)) && fn.name) return fn.name;
  if ((tsv.isArrowFunction(fn) || tsv.isFunctionExpression(fn)) && tsv.isVariableDeclaration(fn.parent) && tsv.isIdentifier(fn.parent.name)) return fn.parent.name;
  return undefined;
}

const memo = new WeakMap<AnalysisContext, Map<string, MemdescTests>>();

/** The tests of one program's memdesc word (one scan per analysis context and field, shared by the audit's passes). */
export function memdescTestsOf(ctx: AnalysisContext, field: string): MemdescTests {
  let byField = memo.get(ctx);
  if (!byField) memo.set(ctx, byField = new Map());
  let t = byField.get(field);
  if (!t) byField.set(field, t = new MemdescTests(ctx, field));
  return t;
}

export class MemdescTests {
  private readonly byName = new Map<string, MemdescTest[]>();
  readonly tests: MemdescTest[] = [];
  private readonly candidates: Candidate[] = [];
  private readonly known = new Map<ts.Symbol, MemdescTest>();

  constructor(private readonly ctx: AnalysisContext, private readonly field: string) {
    this.collect();
    if (this.candidates.length === 0) return;
    const marks = this.marks();
    for (let round = 0; round < ROUNDS; round++) {
      let changed = false;
      for (const c of this.candidates) {
        if (this.known.has(c.symbol)) continue;
        const says = this.says(c.ret, c.param, marks);
        if (!says.ifFalse && !says.ifTrue) continue;
        const t: MemdescTest = {
          symbol: c.symbol, name: c.name, pageArg: c.pageArg, sense: says.ifFalse ? 'has' : 'none',
          why: `returns \`${c.ret.getText().replace(/\s+/g, ' ')}\``, at: this.ctx.at(c.fn.getSourceFile(), c.fn),
        };
        this.known.set(c.symbol, t);
        this.tests.push(t);
        changed = true;
      }
      if (!changed) break;
    }
    this.tests.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const t of this.tests) this.byName.set(t.name, [...(this.byName.get(t.name) ?? []), t]);
  }

  /** The test a call calls (by the symbol its callee resolves to), if it is one. */
  testOf(call: ts.CallExpression): MemdescTest | undefined {
    const sym = this.calleeSymbol(call);
    return sym ? this.known.get(sym) : undefined;
  }

  /** Is `sym` (a callee's symbol, aliases resolved) a test of the word? */
  isTest(sym: ts.Symbol): boolean {
    return this.known.has(sym);
  }

  /** Tests of that name (for tools that match by name: check the call with testOf()). */
  named(name: string): MemdescTest[] {
    return this.byName.get(name) ?? [];
  }

  private calleeSymbol(call: ts.CallExpression): ts.Symbol | undefined {
    const e = skipOuter(call.expression);
    return this.ctx.symbolOf(tsv.isPropertyAccessExpression(e) ? e.name : e);
  }

  /** Named boolean functions of exactly one page, returning a single expression. */
  private collect(): void {
    const { ctx } = this;
    for (const sf of ctx.files) {
      const visit = (n: ts.Node): void => {
        if (isFunctionLike(n) && n.body) {
          const id = nameOf(n);
          const ret = returned(n);
          const symbol = id && ctx.symbolOf(id);
          if (id && ret && symbol) {
            const sig = ctx.checker.getSignatureFromDeclaration(n);
            const pages = n.parameters.map((p, i) => [p, i] as const).filter(([p]) => ctx.typeIsPage(ctx.checker.getTypeAtLocation(p)));
            const param = pages.length === 1 && tsv.isIdentifier(pages[0]![0].name) ? ctx.symbolOf(pages[0]![0].name) : undefined;
            if (sig && ctx.checker.getReturnTypeOfSignature(sig).flags & tsv.TypeFlags.BooleanLike && param) {
              this.candidates.push({ fn: n, symbol, name: id.text, param, pageArg: pages[0]![1], ret });
            }
          }
        }
        tsv.forEachChild(n, visit);
      };
      visit(sf);
    }
  }

  /** Is `e` the identifier of `param`? */
  private isParam(e: ts.Expression, param: ts.Symbol): boolean {
    const x = skipOuter(e);
    return tsv.isIdentifier(x) && this.ctx.symbolOf(x) === param;
  }

  /** Is `e` a read of the word through the class's member (by declaration) on `param`? */
  private isWord(e: ts.Expression, param: ts.Symbol): boolean {
    const x = skipOuter(e);
    if (!tsv.isPropertyAccessExpression(x) || x.name.text !== this.field || !this.isParam(x.expression, param)) return false;
    return !!this.ctx.symbolOf(x.name)?.declarations?.some((d) => !!d.parent && this.ctx.pageDecls.has(d.parent));
  }

  /** What `e`'s answer says about `param`'s word, from the word, the marks and the tests known so far. */
  private says(e: ts.Expression, param: ts.Symbol, marks: Map<string, Set<number>>): Says {
    const x = skipOuter(e);
    if (tsv.isPrefixUnaryExpression(x) && x.operator === tsv.SyntaxKind.ExclamationToken) {
      const inner = this.says(x.operand, param, marks);
      return { ifFalse: inner.ifTrue, ifTrue: inner.ifFalse };
    }
    // The word as a truth value: 0 is no word.
    if (this.isWord(x, param)) return { ifFalse: true, ifTrue: false };
    if (tsv.isBinaryExpression(x)) {
      const op = x.operatorToken.kind;
      if (op === tsv.SyntaxKind.BarBarToken || op === tsv.SyntaxKind.AmpersandAmpersandToken) {
        const a = this.says(x.left, param, marks);
        const b = this.says(x.right, param, marks);
        return op === tsv.SyntaxKind.BarBarToken
          ? { ifFalse: a.ifFalse || b.ifFalse, ifTrue: a.ifTrue && b.ifTrue }
          : { ifFalse: a.ifFalse && b.ifFalse, ifTrue: a.ifTrue || b.ifTrue };
      }
      const eq = op === tsv.SyntaxKind.EqualsEqualsEqualsToken || op === tsv.SyntaxKind.EqualsEqualsToken;
      const ne = op === tsv.SyntaxKind.ExclamationEqualsEqualsToken || op === tsv.SyntaxKind.ExclamationEqualsToken;
      for (const [side, other] of [[x.left, x.right], [x.right, x.left]] as const) {
        const o = skipOuter(other);
        // `t === true`, `t !== false`: t; the other way round: !t.
        if ((eq || ne) && (o.kind === tsv.SyntaxKind.TrueKeyword || o.kind === tsv.SyntaxKind.FalseKeyword)) {
          const inner = this.says(side, param, marks);
          return (o.kind === tsv.SyntaxKind.TrueKeyword) === eq ? inner : { ifFalse: inner.ifTrue, ifTrue: inner.ifFalse };
        }
        // The word (or a mark) against 0.
        if ((eq || ne) && constValue(this.ctx.checker, o) === 0 && (this.isWord(side, param) || this.isMark(side, param, marks))) {
          return ne ? { ifFalse: true, ifTrue: false } : { ifFalse: false, ifTrue: true };
        }
      }
      if (op === tsv.SyntaxKind.GreaterThanToken && constValue(this.ctx.checker, x.right) === 0 && (this.isWord(x.left, param) || this.isMark(x.left, param, marks))) {
        return { ifFalse: true, ifTrue: false };
      }
      return NOTHING;
    }
    if (tsv.isCallExpression(x)) {
      const t = this.testOf(x);
      const arg = t ? x.arguments[t.pageArg] : undefined;
      if (!t || !arg || !this.isParam(arg, param)) return NOTHING;
      return t.sense === 'has' ? { ifFalse: true, ifTrue: false } : { ifFalse: false, ifTrue: true };
    }
    return this.isMark(x, param, marks) ? { ifFalse: true, ifTrue: false } : NOTHING;
  }

  /** `LOC & MASK` where the word's writers keep MASK at LOC with the word and its readers require it (marks()). */
  private isMark(e: ts.Expression, param: ts.Symbol, marks: Map<string, Set<number>>): boolean {
    const x = skipOuter(e);
    if (!tsv.isBinaryExpression(x) || x.operatorToken.kind !== tsv.SyntaxKind.AmpersandToken) return false;
    for (const [loc, m] of [[x.left, x.right], [x.right, x.left]] as const) {
      const mask = constValue(this.ctx.checker, m);
      if (mask !== undefined && mask !== 0 && marks.get(this.normal(loc, param))?.has(mask)) return true;
    }
    return false;
  }

  /** An expression's text with the page parameter written `$` and no blanks: `read32($.addr+4)`. */
  private normal(e: ts.Node, param: ts.Symbol): string {
    const sf = e.getSourceFile();
    const start = e.getStart(sf);
    let text = e.getText(sf);
    const cuts: Array<[number, number]> = [];
    const walk = (n: ts.Node): void => {
      if (tsv.isIdentifier(n) && this.ctx.symbolOf(n) === param) cuts.push([n.getStart(sf) - start, n.getEnd() - start]);
      tsv.forEachChild(n, walk);
    };
    walk(e);
    for (const [a, b] of cuts.reverse()) text = `${text.slice(0, a)}$${text.slice(b)}`;
    return text.replace(/\s+/g, '');
  }

  /**
   * The marks of the word: places (normalized, `read32($.addr+4)`) and bits that the functions
   * storing the word on their page parameter set (`LOC | MASK`) and clear (`LOC & ~MASK`),
   * and that a checked reader of the word requires first: an assertion (the spec's, or a throw
   * or never-returning call under `if`) failing when a candidate test of that mark is false,
   * before the reader reads the word. Without writers and a reader, there are none.
   */
  private marks(): Map<string, Set<number>> {
    const { ctx } = this;
    const writers: Array<{ fn: FunctionLike; param: ts.Symbol }> = [];
    const readers: Array<{ fn: FunctionLike; param: ts.Symbol; read: ts.Node }> = [];
    for (const sf of ctx.files) {
      const visit = (n: ts.Node): void => {
        if (tsv.isPropertyAccessExpression(n) && n.name.text === this.field) {
          const fn = tsv.findAncestor(n.parent, isFunctionLike) as FunctionLike | undefined;
          const recv = skipOuter(n.expression);
          const param = fn && tsv.isIdentifier(recv) ? ctx.symbolOf(recv) : undefined;
          const decl = param?.valueDeclaration;
          if (fn && param && decl && tsv.isParameter(decl) && decl.parent === fn && this.isWord(n, param)) {
            const p = n.parent;
            const write = tsv.isBinaryExpression(p) && p.left === n && p.operatorToken.kind === tsv.SyntaxKind.EqualsToken;
            if (write) { if (!writers.some((w) => w.fn === fn)) writers.push({ fn, param }); }
            else if (!readers.some((r) => r.fn === fn)) readers.push({ fn, param, read: n });
          }
        }
        tsv.forEachChild(n, visit);
      };
      visit(sf);
    }
    if (writers.length === 0 || readers.length === 0) return new Map();
    // What the writers keep beside the word: a bit some writer sets (`LOC | MASK`) and some
    // writer clears (`LOC & ~MASK`) at the same place, LOC -> masks.
    const sets = new Map<string, Set<number>>();
    const clears = new Map<string, Set<number>>();
    for (const w of writers) {
      const visit = (n: ts.Node): void => {
        if (tsv.isBinaryExpression(n)) {
          const op = n.operatorToken.kind;
          const rhs = skipOuter(n.right);
          let into: Map<string, Set<number>> | undefined;
          let mask: number | undefined;
          if (op === tsv.SyntaxKind.BarToken) { into = sets; mask = constValue(ctx.checker, rhs); }
          else if (op === tsv.SyntaxKind.AmpersandToken && tsv.isPrefixUnaryExpression(rhs) && rhs.operator === tsv.SyntaxKind.TildeToken) { into = clears; mask = constValue(ctx.checker, rhs.operand); }
          if (into && mask !== undefined && mask !== 0) {
            const loc = this.normal(skipOuter(n.left), w.param);
            if (loc.includes('$')) into.set(loc, new Set([...(into.get(loc) ?? []), mask]));
          }
        }
        tsv.forEachChild(n, visit);
      };
      if (w.fn.body) visit(w.fn.body);
    }
    const kept = new Map([...sets].flatMap(([loc, masks]) => {
      const both = new Set([...masks].filter((m) => clears.get(loc)?.has(m)));
      return both.size > 0 ? [[loc, both] as const] : [];
    }));
    if (kept.size === 0) return new Map();
    // Kept by the writers and required by a reader: the reader asserts a candidate test of it
    // (`!F(page)` fails) before its read. Only such marks count.
    const out = new Map<string, Set<number>>();
    for (const r of readers) {
      const body = r.fn.body;
      if (!body || !tsv.isBlock(body)) continue;
      for (const st of body.statements) {
        if (st.getEnd() > r.read.getStart()) break;
        for (const call of this.required(st)) {
          const sym = this.calleeSymbol(call);
          const c = sym && this.candidates.find((x) => x.symbol === sym);
          const arg = c ? call.arguments[c.pageArg] : undefined;
          if (!c || !arg || !this.isParam(arg, r.param)) continue;
          // The candidate's own bit tests of what the writers keep; a mark when, read as one, the
          // candidate's false answer means no word (the reader requires it true to read the word).
          const mine = new Map<string, Set<number>>();
          const walk = (n: ts.Node): void => {
            if (tsv.isBinaryExpression(n) && n.operatorToken.kind === tsv.SyntaxKind.AmpersandToken) {
              for (const [loc, m] of [[n.left, n.right], [n.right, n.left]] as const) {
                const mask = constValue(ctx.checker, m);
                const key = this.normal(skipOuter(loc), c.param);
                if (mask !== undefined && kept.get(key)?.has(mask)) mine.set(key, new Set([...(mine.get(key) ?? []), mask]));
              }
            }
            tsv.forEachChild(n, walk);
          };
          walk(c.ret);
          if (mine.size === 0 || !this.says(c.ret, c.param, mine).ifFalse) continue;
          for (const [key, masks] of mine) out.set(key, new Set([...(out.get(key) ?? []), ...masks]));
        }
      }
    }
    return out;
  }

  /**
   * Calls a statement requires to be true after it: the spec's assertions (`VM_BUG_ON_PAGE(!F(p))`
   * fails when F is false; `"means": "holds"`: `ensure(F(p))`), and `if (!F(p)) throw …` or a
   * call that never returns.
   */
  private required(st: ts.Statement): ts.CallExpression[] {
    const out: ts.CallExpression[] = [];
    // Calls that are true whenever `e` is (`F(p) && G(p)`: both), or false whenever `e` is.
    const whenTrue = (e: ts.Expression): void => {
      const x = skipOuter(e);
      if (tsv.isCallExpression(x)) out.push(x);
      else if (tsv.isPrefixUnaryExpression(x) && x.operator === tsv.SyntaxKind.ExclamationToken) whenFalse(x.operand);
      else if (tsv.isBinaryExpression(x) && x.operatorToken.kind === tsv.SyntaxKind.AmpersandAmpersandToken) { whenTrue(x.left); whenTrue(x.right); }
    };
    const whenFalse = (e: ts.Expression): void => {
      const x = skipOuter(e);
      if (tsv.isPrefixUnaryExpression(x) && x.operator === tsv.SyntaxKind.ExclamationToken) whenTrue(x.operand);
      else if (tsv.isBinaryExpression(x) && x.operatorToken.kind === tsv.SyntaxKind.BarBarToken) { whenFalse(x.left); whenFalse(x.right); }
    };
    if (tsv.isExpressionStatement(st) && tsv.isCallExpression(skipOuter(st.expression))) {
      const call = skipOuter(st.expression) as ts.CallExpression;
      // An assertion by its callee's code (callees.ts), the spec's name only where nothing resolves.
      const a = calleeRoles(this.ctx).assertionOf(call).value;
      const cond = a ? call.arguments[a.condArg] : undefined;
      if (a && cond) (a.means === 'holds' ? whenTrue : whenFalse)(cond);
    } else if (tsv.isIfStatement(st) && !st.elseStatement && this.fails(st.thenStatement)) {
      whenFalse(st.expression);
    }
    return out;
  }

  /** Does a statement always fail: a throw, or a call of a function declared to return `never`? */
  private fails(st: ts.Statement): boolean {
    if (tsv.isBlock(st)) return st.statements.length > 0 && this.fails(st.statements[st.statements.length - 1]!);
    if (tsv.isThrowStatement(st)) return true;
    if (!tsv.isExpressionStatement(st) || !tsv.isCallExpression(skipOuter(st.expression))) return false;
    const sym = this.calleeSymbol(skipOuter(st.expression) as ts.CallExpression);
    return !!sym?.declarations?.some((d) => (tsv.isFunctionDeclaration(d) || tsv.isArrowFunction(d)) && d.type?.kind === tsv.SyntaxKind.NeverKeyword);
  }
}
