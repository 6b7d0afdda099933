/**
 * Which kinds of page can reach a page expression: a "may" question, where the analyzer's
 * provenance answers "must" (every definition, caller and return has to agree). The audit needs
 * the may answer for generic and unknown code: `dump_page(page)` is reached by pages of every
 * kind its callers pass, and a page looked up by pfn (`pfn_to_page()`, a spec neutral source)
 * can be of any kind. Built on the analyzer's own passes: a page-type test at the site decides
 * (guards), then the analyzer's provenance, and only where that finds nothing this walk unions
 * the alternatives (definitions, returns, callers) itself. A test that the page carries no
 * memdesc word (memdescGuard.ts) rules out every kind: a separated kind's pages all carry one.
 */
import { ts } from '@ts-morph/common';
import { tsv } from '../analyzers/tsValues.ts';
import { calleeName, enclosingFunction, functionName, isFunctionLike, shortText, skipOuter, type FunctionLike } from '../analyzers/ast.ts';
import type { AnalysisContext } from '../analyzers/context.ts';
import type { Guards } from '../analyzers/guards.ts';
import { renderOrigin, type Provenance } from '../analyzers/provenance.ts';
import { specWords } from '../model/words.ts';
import { returnExpressions } from '../analyzers/dataflow.ts';
import type { MemdescGuard } from './memdescGuard.ts';
import { calleeRoles } from '../rewrite/callees.ts';

export interface Reach {
  /** Kinds whose pages can get here, each with one sentence saying how. */
  kinds: Map<string, string>;
  /** Set when pages of any kind can get here (a pfn or address lookup): the sentence. */
  any?: string;
}

const EMPTY: Reach = { kinds: new Map() };
const MAX_DEPTH = 8;

function union(all: Reach[]): Reach {
  const kinds = new Map<string, string>();
  let any: string | undefined;
  for (const r of all) {
    for (const [k, s] of r.kinds) if (!kinds.has(k)) kinds.set(k, s);
    any ??= r.any;
  }
  return any ? { kinds, any } : { kinds };
}

function via(r: Reach, how: string): Reach {
  const kinds = new Map<string, string>();
  for (const [k, s] of r.kinds) kinds.set(k, `${s}, via ${how}`);
  return r.any ? { kinds, any: `${r.any}, via ${how}` } : { kinds };
}

export class Reacher {
  private memo = new Map<ts.Node, Reach>();
  private busy = new Set<ts.Node>();
  private descKind = new Map<ts.Node, string>();

  constructor(private ctx: AnalysisContext, private guards: Guards, private prov: Provenance,
    private calls: Map<string, ts.CallExpression[]>, private memdesc?: MemdescGuard) {
    for (const [decl, k] of ctx.descDecls) this.descKind.set(decl, k.name);
  }

  /** The kind of descriptor type `e` has, if any. */
  descriptorKind(e: ts.Expression): string | undefined {
    const t = this.ctx.checker.getTypeAtLocation(e);
    const parts = t.isUnion() ? t.types : [t];
    for (const p of parts) {
      for (const d of p.getSymbol()?.declarations ?? []) {
        const k = this.descKind.get(d);
        if (k) return k;
      }
    }
    return undefined;
  }

  /** Kinds of page that can be `e` at `anchor` (a page-type test there narrows). */
  at(e: ts.Expression, anchor: ts.Node): Reach {
    // A page tested to carry no memdesc word (here, or by every caller) is no separated kind's page.
    if (this.withoutMemdesc(e, anchor, 0)) return EMPTY;
    const excluded = new Set<string>();
    for (const f of this.guards.facts(anchor, e)) {
      if (f.positive && f.kinds.length === 1) return { kinds: new Map([[f.kinds[0]!, f.sentence]]) };
      if (!f.positive) for (const k of f.kinds) excluded.add(k);
    }
    const r = this.of(e, 0);
    if (excluded.size === 0) return r;
    const kinds = new Map([...r.kinds].filter(([k]) => !excluded.has(k)));
    return r.any ? { kinds, any: r.any } : { kinds };
  }

  private noMemdescMemo = new Map<ts.ParameterDeclaration, boolean>();

  /**
   * Does `e` carry no memdesc word at `anchor`: a test there says so, or `e` is a parameter and
   * every caller passes a page a test says so of (check_free_page() tests before it hands the page
   * to page_bad_reason()). A must answer: one caller without the test, or none, and it is no.
   */
  withoutMemdesc(e: ts.Expression, anchor: ts.Node, depth: number): boolean {
    if (!this.memdesc) return false;
    if (this.memdesc.without(anchor, e)) return true;
    const x = skipOuter(e);
    if (!tsv.isIdentifier(x) || depth > MAX_DEPTH) return false;
    const decl = this.ctx.symbolOf(x)?.valueDeclaration;
    if (!decl || !tsv.isParameter(decl) || !isFunctionLike(decl.parent)) return false;
    const hit = this.noMemdescMemo.get(decl);
    if (hit !== undefined) return hit;
    this.noMemdescMemo.set(decl, false); // recursion: not proven
    const fn = decl.parent;
    const name = functionName(fn);
    const idx = fn.parameters.indexOf(decl);
    let callers = 0;
    let all = !!name;
    for (const call of name ? this.calls.get(name) ?? [] : []) {
      if (this.calleeFunction(call) !== fn) continue;
      const arg = call.arguments[idx];
      callers++;
      if (!arg || !this.withoutMemdesc(arg, call, depth + 1)) { all = false; break; }
    }
    const r = all && callers > 0 && !assigned(fn, x);
    this.noMemdescMemo.set(decl, r);
    return r;
  }

  private of(e: ts.Expression, depth: number): Reach {
    const x = skipOuter(e);
    const hit = this.memo.get(x);
    if (hit) return hit;
    if (this.busy.has(x) || depth > MAX_DEPTH) return EMPTY;
    this.busy.add(x);
    let r: Reach;
    try {
      r = this.compute(x, depth);
    } finally {
      this.busy.delete(x);
    }
    this.memo.set(x, r);
    return r;
  }

  private compute(x: ts.Expression, depth: number): Reach {
    const sf = x.getSourceFile();
    if (x.kind === tsv.SyntaxKind.NullKeyword || (tsv.isIdentifier(x) && x.text === 'undefined')) return EMPTY;
    const dk = this.descriptorKind(x);
    if (dk) return { kinds: new Map([[dk, `\`${shortText(x, sf, 40)}\` has the ${dk} descriptor type`]]) };
    // The analyzer's provenance first: one kind, or the kinds its alternatives disagree on.
    const p = this.prov.of(x);
    if (p.kinds.size > 0) {
      const kinds = new Map<string, string>();
      for (const [k, o] of p.kinds) kinds.set(k, `\`${shortText(x, sf, 40)}\` comes from ${renderOrigin(o)}`);
      return { kinds };
    }
    if (tsv.isCallExpression(x)) return this.ofCall(x, depth);
    if (tsv.isConditionalExpression(x)) return union([this.of(x.whenTrue, depth + 1), this.of(x.whenFalse, depth + 1)]);
    if (tsv.isBinaryExpression(x) && (x.operatorToken.kind === tsv.SyntaxKind.QuestionQuestionToken || x.operatorToken.kind === tsv.SyntaxKind.BarBarToken)) {
      return union([this.of(x.left, depth + 1), this.of(x.right, depth + 1)]);
    }
    if (tsv.isIdentifier(x)) return this.ofIdentifier(x, depth);
    return EMPTY;
  }

  private neutral?: Set<string>;

  private ofCall(call: ts.CallExpression, depth: number): Reach {
    const name = calleeName(call);
    if (!name) return EMPTY;
    const sf = call.getSourceFile();
    // A neutral source by the function the call resolves to (an aliased import is one, a same-named local is not).
    if (calleeRoles(this.ctx).isNamedFunction(call, this.neutral ??= new Set(this.ctx.spec.page.neutralSources)) !== undefined) {
      return { kinds: new Map(), any: `\`${name}()\` at ${this.ctx.at(sf, call)} can hand out a ${specWords(this.ctx.spec).noun} of any kind` };
    }
    const fn = this.calleeFunction(call);
    if (!fn || !fn.body) return EMPTY;
    const fnName = functionName(fn) ?? name;
    const out: Reach[] = [];
    for (const ret of returnExpressions(fn)) {
      const r = skipOuter(ret);
      if (tsv.isIdentifier(r)) {
        const d = this.ctx.symbolOf(r)?.valueDeclaration;
        if (d && tsv.isParameter(d) && d.parent === fn) {
          const arg = call.arguments[fn.parameters.indexOf(d)];
          if (arg) out.push(this.of(arg, depth + 1));
          continue;
        }
      }
      out.push(this.of(r, depth + 1));
    }
    return via(union(out), `the return of \`${fnName}()\``);
  }

  private ofIdentifier(id: ts.Identifier, depth: number): Reach {
    const sym = this.ctx.symbolOf(id);
    const decl = sym?.valueDeclaration;
    if (!decl) return EMPTY;
    if (tsv.isParameter(decl) && isFunctionLike(decl.parent)) return this.ofParameter(decl, decl.parent, depth);
    if (!tsv.isVariableDeclaration(decl)) return EMPTY;
    const defs: ts.Expression[] = [];
    if (decl.initializer) defs.push(decl.initializer);
    const scope: ts.Node = enclosingFunction(decl) ?? decl.getSourceFile();
    const visit = (n: ts.Node): void => {
      if (tsv.isBinaryExpression(n) && n.operatorToken.kind === tsv.SyntaxKind.EqualsToken) {
        const l = skipOuter(n.left);
        if (tsv.isIdentifier(l) && l.text === id.text && this.ctx.symbolOf(l) === sym) defs.push(n.right);
      }
      tsv.forEachChild(n, visit);
    };
    visit(scope);
    return union(defs.map((d) => this.of(d, depth + 1)));
  }

  /** Union over every caller's argument (a page-type test at the call decides that caller). */
  private ofParameter(param: ts.ParameterDeclaration, fn: FunctionLike, depth: number): Reach {
    const name = functionName(fn);
    if (!name) return EMPTY;
    const idx = fn.parameters.indexOf(param);
    const out: Reach[] = [];
    let callers = 0;
    for (const call of this.calls.get(name) ?? []) {
      if (this.calleeFunction(call) !== fn) continue;
      const arg = call.arguments[idx];
      if (!arg) continue;
      callers++;
      if (this.memdesc?.without(call, arg)) continue; // this caller passes only pages without a memdesc word
      const g = this.guards.facts(call, arg).find((f) => f.positive && f.kinds.length === 1);
      if (g) {
        out.push({ kinds: new Map([[g.kinds[0]!, `a ${g.kinds[0]} ${specWords(this.ctx.spec).noun} is passed (${g.sentence})`]]) });
        continue;
      }
      out.push(this.of(arg, depth + 1));
    }
    if (callers === 0) return EMPTY;
    return via(union(out), `the parameter of \`${name}()\` (${callers === 1 ? '1 caller' : `${callers} callers`})`);
  }

  private calleeCache = new Map<ts.CallExpression, FunctionLike | undefined>();

  calleeFunction(call: ts.CallExpression): FunctionLike | undefined {
    if (this.calleeCache.has(call)) return this.calleeCache.get(call);
    let found: FunctionLike | undefined;
    const callee = skipOuter(call.expression);
    const sym = this.ctx.symbolOf(tsv.isPropertyAccessExpression(callee) ? callee.name : callee);
    for (const d of sym?.declarations ?? []) {
      if (d.getSourceFile().isDeclarationFile) continue;
      if (isFunctionLike(d) && d.body) { found = d; break; }
      if (tsv.isVariableDeclaration(d) && d.initializer && isFunctionLike(skipOuter(d.initializer))) { found = skipOuter(d.initializer) as FunctionLike; break; }
    }
    this.calleeCache.set(call, found);
    return found;
  }
}


/** Is the parameter `id` names assigned anywhere in `fn`? */
function assigned(fn: FunctionLike, id: ts.Identifier): boolean {
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (tsv.isBinaryExpression(n) && n.operatorToken.kind === tsv.SyntaxKind.EqualsToken && tsv.isIdentifier(skipOuter(n.left)) && (skipOuter(n.left) as ts.Identifier).text === id.text) found = true;
    tsv.forEachChild(n, visit);
  };
  if (fn.body) visit(fn.body);
  return found;
}
