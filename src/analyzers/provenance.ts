/**
 * Provenance: where a page expression comes from. A page returned by a kind's allocator or
 * converter (alloc_slab_page(), pte_alloc_one(), virt_to_page(pgd), get_first_page(zspage),
 * slab_page(slab)) belongs to that kind; the answer flows through locals (every definition
 * must agree), returns of project functions, and parameters (every caller must agree, using
 * the caller's own provenance or page-type guard). Calls listed as neutral sources (the page
 * allocator) stop the search with no kind.
 */
import { ts } from '@ts-morph/common';
import type { ProvenanceSpec } from '../model/spec.ts';
import { calleeName, enclosingFunction, functionName, isFunctionLike, shortText, skipOuter, type FunctionLike } from './ast.ts';
import type { AnalysisContext } from './context.ts';
import type { Guards } from './guards.ts';
import { matchAnyPath, matchName } from './glob.ts';

/** One step of an evidence chain, for `analyze --explain`: what, and where a reviewer looks. */
export interface Hop {
  text: string;
  /** "mm/slub.ts:212" */
  at: string;
}

export interface Origin {
  /** "`alloc_slab_page()` at mm/slub.ts:212" */
  origin: string;
  /** Hops from the page expression outward: "the parameter of `setup()` (2 callers)", "the return of `mk()`". */
  via: string[];
  /** The same chain with locations, ending at the origin itself. */
  hops: Hop[];
  /** Decided through a parameter (what callers pass): the call graph, not the function's own code. */
  callgraph: boolean;
}

export interface Prov {
  /** kind -> where its pages come from, one per kind found. */
  kinds: Map<string, Origin>;
  /** Why nothing was found, when that is worth saying ("`alloc_pages()` hands out pages of no kind"). */
  note?: string;
}

const NONE: Prov = { kinds: new Map() };
/** null / undefined: an alternative that is no page at all, ignored when alternatives are merged. */
const NULLISH: Prov = { kinds: new Map() };
const MAX_DEPTH = 5;

interface Source {
  kind: string;
  spec: ProvenanceSpec;
  re?: RegExp;
}

export class Provenance {
  private sources: Source[] = [];
  private neutral: string[];
  private memo = new Map<ts.Node, Prov>();
  private inProgress = new Set<ts.Node>();
  /**
   * Names of functions whose call sites a query consulted (parameter provenance reads every
   * caller): what a result depends on beyond the file's imports. One set per open query,
   * innermost last; memo entries keep theirs so a memo hit still reports them.
   */
  private frames: Array<Set<string>> = [new Set()];
  private memoDeps = new Map<ts.Node, Set<string>>();

  constructor(private ctx: AnalysisContext, private guards: Guards, private calls: Map<string, ts.CallExpression[]>) {
    for (const k of ctx.spec.kinds) {
      for (const p of k.provenance) this.sources.push({ kind: k.name, spec: p, ...(p.arg ? { re: new RegExp(p.arg.matches) } : {}) });
      for (const c of k.converters.toPage) this.sources.push({ kind: k.name, spec: { call: c } });
    }
    this.neutral = ctx.spec.page.neutralSources;
  }

  /** Run `f` and return, with its value, the names of the functions whose callers it consulted. */
  traceCallers<T>(f: () => T): { value: T; callers: Set<string> } {
    this.frames.push(new Set());
    let callers: Set<string>;
    let value: T;
    try {
      value = f();
    } finally {
      callers = this.frames.pop()!;
      this.noteDeps(callers);
    }
    return { value, callers };
  }

  private noteDeps(deps: Set<string> | undefined): void {
    if (!deps || deps.size === 0) return;
    const top = this.frames[this.frames.length - 1]!;
    for (const d of deps) top.add(d);
  }

  /** Provenance of page expression `e`. */
  of(e: ts.Expression, depth = 0): Prov {
    const x = skipOuter(e);
    const hit = this.memo.get(x);
    if (hit) {
      this.noteDeps(this.memoDeps.get(x));
      return hit;
    }
    if (this.inProgress.has(x) || depth > MAX_DEPTH) return NONE;
    this.inProgress.add(x);
    this.frames.push(new Set());
    let r: Prov;
    let deps: Set<string>;
    try {
      r = this.compute(x, depth);
    } finally {
      this.inProgress.delete(x);
      deps = this.frames.pop()!;
      this.noteDeps(deps);
    }
    if (depth === 0 || r.kinds.size > 0) {
      this.memo.set(x, r);
      this.memoDeps.set(x, deps);
    }
    return r;
  }

  private compute(x: ts.Expression, depth: number): Prov {
    const sf = x.getSourceFile();
    if (x.kind === ts.SyntaxKind.NullKeyword || (ts.isIdentifier(x) && x.text === 'undefined')) return NULLISH;
    if (ts.isCallExpression(x)) return this.ofCall(x, sf, depth);
    if (ts.isConditionalExpression(x)) return merge([this.of(x.whenTrue, depth + 1), this.of(x.whenFalse, depth + 1)]);
    if (ts.isBinaryExpression(x) && (x.operatorToken.kind === ts.SyntaxKind.QuestionQuestionToken || x.operatorToken.kind === ts.SyntaxKind.BarBarToken)) {
      return merge([this.of(x.left, depth + 1), this.of(x.right, depth + 1)]);
    }
    if (ts.isIdentifier(x)) return this.ofIdentifier(x, depth);
    return NONE;
  }

  private ofCall(call: ts.CallExpression, sf: ts.SourceFile, depth: number): Prov {
    const name = calleeName(call);
    if (name === undefined) return NONE;
    const rel = this.ctx.rel(sf);
    const kinds = new Map<string, Origin>();
    for (const s of this.sources) {
      if (!matchName(s.spec.call, name)) continue;
      if (s.spec.files && !matchAnyPath(s.spec.files, rel)) continue;
      if (s.spec.arg) {
        const a = call.arguments[s.spec.arg.index];
        if (!a || !s.re!.test(a.getText(sf))) continue;
      }
      if (!kinds.has(s.kind)) {
        const at = this.ctx.at(sf, call);
        kinds.set(s.kind, { origin: `\`${name}()\` at ${at}`, via: [], hops: [{ text: `\`${name}()\` hands out ${s.kind} pages (spec: ${s.spec.arg ? `${s.spec.call} with argument ${s.spec.arg.index} matching /${s.spec.arg.matches}/` : `${s.spec.call}`})`, at }], callgraph: false });
      }
    }
    if (kinds.size > 0) return { kinds };
    if (this.neutral.includes(name)) return { kinds, note: `\`${name}()\` at ${this.ctx.at(sf, call)} hands out pages of no kind` };
    // A project function: what does it return?
    const fn = this.calleeFunction(call);
    if (!fn || !fn.body) return NONE;
    const fnName = functionName(fn) ?? name;
    const results: Prov[] = [];
    for (const ret of returnExpressions(fn)) {
      const r = skipOuter(ret);
      // Returning a parameter: follow the caller's argument.
      if (ts.isIdentifier(r)) {
        const d = this.ctx.symbolOf(r)?.valueDeclaration;
        if (d && ts.isParameter(d) && d.parent === fn) {
          const arg = call.arguments[fn.parameters.indexOf(d)];
          results.push(arg ? this.of(arg, depth + 1) : NONE);
          continue;
        }
      }
      results.push(this.of(r, depth + 1));
    }
    const m = merge(results);
    return withVia(m, `the return of \`${fnName}()\``, { text: `the return value of \`${fnName}()\``, at: this.ctx.at(fn.getSourceFile(), fn) });
  }

  private calleeCache = new Map<ts.CallExpression, FunctionLike | undefined>();

  private calleeFunction(call: ts.CallExpression): FunctionLike | undefined {
    if (this.calleeCache.has(call)) return this.calleeCache.get(call);
    const fn = this.resolveCallee(call);
    this.calleeCache.set(call, fn);
    return fn;
  }

  private resolveCallee(call: ts.CallExpression): FunctionLike | undefined {
    const callee = skipOuter(call.expression);
    const sym = this.ctx.symbolOf(ts.isPropertyAccessExpression(callee) ? callee.name : callee);
    for (const d of sym?.declarations ?? []) {
      if (d.getSourceFile().isDeclarationFile) continue;
      if (isFunctionLike(d)) return d;
      if (ts.isVariableDeclaration(d) && d.initializer) {
        const init = skipOuter(d.initializer);
        if (isFunctionLike(init)) return init;
      }
    }
    return undefined;
  }

  private ofIdentifier(id: ts.Identifier, depth: number): Prov {
    const sym = this.ctx.symbolOf(id);
    const decl = sym?.valueDeclaration;
    if (!decl) return NONE;
    if (ts.isVariableDeclaration(decl)) {
      const list = decl.parent;
      if (ts.isVariableDeclarationList(list) && ts.isForOfStatement(list.parent)) {
        const it = list.parent.expression;
        return withVia(this.of(it, depth + 1), `an element of \`${shortText(it, list.getSourceFile(), 40)}\``,
          { text: `\`${id.text}\` is an element of \`${shortText(it, list.getSourceFile(), 40)}\``, at: this.ctx.at(list.getSourceFile(), it) });
      }
      const defs: ts.Expression[] = [];
      if (decl.initializer) defs.push(decl.initializer);
      if (!(list.flags & ts.NodeFlags.Const)) defs.push(...assignmentsTo(this.ctx, decl, sym!));
      const dsf = decl.getSourceFile();
      return merge(defs.map((d) => withHop(this.of(d, depth + 1), { text: `\`${id.text}\` = \`${shortText(d, dsf, 50)}\``, at: this.ctx.at(dsf, d) })));
    }
    if (ts.isParameter(decl) && isFunctionLike(decl.parent)) return this.ofParameter(decl, decl.parent, depth);
    return NONE;
  }

  /** Every caller must pass a page of the same kind (by the argument's provenance or a guard at the call). */
  private ofParameter(param: ts.ParameterDeclaration, fn: FunctionLike, depth: number): Prov {
    const name = functionName(fn);
    if (!name || ts.isArrowFunction(fn) && !(ts.isVariableDeclaration(fn.parent))) return NONE;
    const idx = fn.parameters.indexOf(param);
    this.frames[this.frames.length - 1]!.add(name);
    const results: Prov[] = [];
    let callers = 0;
    for (const call of this.calls.get(name) ?? []) {
      if (this.calleeFunction(call) !== fn) continue;
      callers++;
      const arg = call.arguments[idx];
      if (!arg) return NONE;
      const csf = call.getSourceFile();
      const passes: Hop = { text: `called with \`${shortText(arg, csf, 50)}\``, at: this.ctx.at(csf, call) };
      const g = this.guards.facts(call, arg).find((f) => f.positive && f.kinds.length === 1);
      if (g) {
        results.push({ kinds: new Map([[g.kinds[0]!, { origin: `a ${g.kinds[0]} page (${g.sentence})`, via: [], hops: [passes, { text: g.sentence.replace(/ at [^ ]+$/, ''), at: g.at }], callgraph: true }]]) });
        continue;
      }
      results.push(withHop(this.of(arg, depth + 1), passes));
    }
    if (callers === 0) return NONE;
    const m = merge(results);
    if (m.kinds.size === 0) return NONE;
    // Callers passing pages of several kinds are kept as a conflict: the classifier reports the
    // site unknown with each kind and where it comes from, rather than letting an owner hint decide.
    const n = callers === 1 ? '1 caller' : `${callers} callers`;
    const pname = ts.isIdentifier(param.name) ? `\`${param.name.text}\`` : `parameter ${idx}`;
    const agree = m.kinds.size > 1 ? `its ${n} pass pages of ${m.kinds.size} kinds` : callers === 1 ? 'its one caller' : `all ${callers} callers agree (the first shown)`;
    const r = withVia(m, `the parameter of \`${name}()\` (${n})`, { text: `${pname} is a parameter of \`${name}()\`: ${agree}`, at: this.ctx.at(fn.getSourceFile(), param) });
    for (const o of r.kinds.values()) o.callgraph = true;
    return r;
  }
}

/**
 * Combine alternatives (definitions of a local, returns, callers): a kind counts only when every
 * alternative has it; several kinds are a conflict the classifier reports.
 */
function merge(all: Prov[]): Prov {
  const list = all.filter((p) => p !== NULLISH);
  if (list.length === 0) return NONE;
  const kinds = new Map<string, Origin>();
  let missing = false;
  for (const p of list) {
    if (p.kinds.size === 0) missing = true;
    for (const [k, s] of p.kinds) if (!kinds.has(k)) kinds.set(k, s);
  }
  if (kinds.size === 0) {
    const note = list.find((p) => p.note)?.note;
    return note ? { kinds, note } : NONE;
  }
  // Several kinds: a real conflict, kept for the classifier to report. Some paths unknown: no kind.
  if (missing && kinds.size === 1) return NONE;
  return { kinds };
}

function withVia(p: Prov, via: string, hop: Hop): Prov {
  if (p.kinds.size === 0) return p;
  const kinds = new Map<string, Origin>();
  for (const [k, o] of p.kinds) kinds.set(k, { ...o, via: [via, ...o.via], hops: [hop, ...o.hops] });
  return { kinds };
}

/** A hop for the explanation only (the evidence sentence stays short). */
function withHop(p: Prov, hop: Hop): Prov {
  if (p.kinds.size === 0) return p;
  const kinds = new Map<string, Origin>();
  for (const [k, o] of p.kinds) kinds.set(k, { ...o, hops: [hop, ...o.hops] });
  return { ...p, kinds };
}

/** "`alloc_slab_page()` at mm/slub.ts:212, via the parameter of `setup()` (2 callers)" */
export function renderOrigin(o: Origin): string {
  return o.via.length ? `${o.origin}, via ${o.via.join(', ')}` : o.origin;
}

function returnExpressions(fn: FunctionLike): ts.Expression[] {
  const body = fn.body!;
  if (!ts.isBlock(body)) return [body];
  const out: ts.Expression[] = [];
  const visit = (n: ts.Node): void => {
    if (isFunctionLike(n) || ts.isClassLike(n)) return;
    if (ts.isReturnStatement(n) && n.expression) out.push(n.expression);
    ts.forEachChild(n, visit);
  };
  ts.forEachChild(body, visit);
  return out;
}

/** Right-hand sides of `x = ...` for variable `decl` inside its function (or file). */
function assignmentsTo(ctx: AnalysisContext, decl: ts.VariableDeclaration, sym: ts.Symbol): ts.Expression[] {
  const scope: ts.Node = enclosingFunction(decl) ?? decl.getSourceFile();
  const name = (decl.name as ts.Identifier).text;
  const out: ts.Expression[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isBinaryExpression(n) && n.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
      const l = skipOuter(n.left);
      if (ts.isIdentifier(l) && l.text === name && ctx.symbolOf(l) === sym) out.push(n.right);
    }
    ts.forEachChild(n, visit);
  };
  visit(scope);
  return out;
}
