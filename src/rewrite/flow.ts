/**
 * The page flow graph the function conversion works on. Entities are the places a page value
 * lives under a name the converter may retype: parameters, locals (incl. for-of variables) and
 * function returns whose type is the page class (or it | null | undefined). Edges are value
 * flows between them and to terminals (sources such as virt_to_page(), new Page(), list_entry();
 * sinks such as object properties or page_address()). Uses that the converter cannot retype
 * safely (identity comparisons, library calls, functions used as values, `in`, spreads) block
 * the entity. Built from one program, before any edit.
 */
import { ts } from '@ts-morph/common';
import { tsv } from '../analyzers/tsValues.ts';
import type { DetailedAnalysis, SiteDetail } from '../analyzers/analyze.ts';
import { isFunctionLike, skipOuter, type FunctionLike } from '../analyzers/ast.ts';
import type { AnalysisContext } from '../analyzers/context.ts';
import type { WrapperDef } from '../analyzers/wrappers.ts';
import { classWords, type KindPlan } from './kinds.ts';
import { calleeRoles } from './callees.ts';
import { classifyConsumer, type Consumer } from './consumers.ts';
import {
  calleeCall, containerShape, declSymbol, enclosingFn, fnName, isDeclName, isImportExportName, leaves, pageAnnotation, pageType,
  returnExprs,
} from './syntax.ts';

export interface FieldUse {
  site: SiteDetail;
}

export interface Entity {
  t: 'entity';
  id: number;
  role: 'var' | 'param' | 'return';
  name: string;
  /** VariableDeclaration | ParameterDeclaration | the function (return). */
  decl: ts.Node;
  nameNode?: ts.Identifier;
  /** Declaring function (var/param) or the function itself (return). */
  fn: FunctionLike;
  typeNode?: ts.TypeNode;
  nullable: boolean;
  sf: ts.SourceFile;
  blocked?: string;
  /** Identifier references (var/param), declaration excluded. */
  refs: ts.Identifier[];
  fieldUses: FieldUse[];
  /** Generic page members used on it (page.flags): a descriptor needs toPage() there. */
  memberUses: ts.Expression[];
  /** Destructuring whose source is this entity (all elements tracked fields). */
  destructures: Array<{ sites: SiteDetail[]; source: ts.Expression }>;
  edges: Edge[];
  /** Decided descriptor kind, or null. */
  label?: KindPlan | null;
  /** New name when converted (undefined: keep). */
  rename?: string;
}

export type TerminalWhat = 'address' | 'neutral' | 'ctor' | 'container' | 'toPage' | 'opaque' | 'fromPage' | 'toAddress' | 'opaqueSink';

export interface Terminal {
  t: 'terminal';
  what: TerminalWhat;
  node: ts.Expression;
  kind?: KindPlan;
  /** Container results: one page, maybe null, or an array. */
  shape?: 'single' | 'nullable' | 'array';
  site?: SiteDetail;
}

export type Port = Entity | Terminal;

export interface Edge {
  from: Port;
  to: Port;
  /** The value expression (where a conversion is wrapped). */
  leaf: ts.Expression;
  /** A call of a page-field wrapper: inlined when its parameter is not converted. */
  wrapperCall?: { call: ts.CallExpression; site: SiteDetail; def: WrapperDef };
}

export interface FlowGraph {
  entities: Entity[];
  edges: Edge[];
  /** Sites whose receiver is no entity: rewritten in place. */
  opaqueSites: SiteDetail[];
  /** Value nodes consumed as a field site receiver through an entity: entity per site. */
  siteEntity: Map<SiteDetail, Entity>;
  /** Functions whose entities are blocked because the function is used as a value. */
  functionValues: Set<FunctionLike>;
}

export interface FlowInput {
  ctx: AnalysisContext;
  det: DetailedAnalysis;
  kinds: KindPlan[];
  /** Every site the conversion knows: the analyzer's findings plus accesses inside wrapper bodies. */
  sites: SiteDetail[];
  /** The wrapper-body sites among them (converted only through their function's parameter). */
  bodySites: Set<SiteDetail>;
  /** Converter / helper names by role, for recognising partially converted code. */
  fromPageNames: Map<string, KindPlan>;
  toPageNames: Map<string, KindPlan>;
}

export function buildFlow(inp: FlowInput): FlowGraph {
  const { ctx, det } = inp;
  const checker = ctx.checker;
  const entities: Entity[] = [];
  const bySym = new Map<ts.Symbol, Entity>();
  const returns = new Map<FunctionLike, Entity>();
  const params = new Map<FunctionLike, Array<Entity | undefined>>();
  const fnBySym = new Map<ts.Symbol, FunctionLike>();
  // A method called through a union or optional receiver (`q?.peek()`) resolves to a transient
  // symbol: its declarations still say which method it is.
  const fnByDecl = new Map<ts.Node, FunctionLike>();
  const fnOf = (sym: ts.Symbol): FunctionLike | undefined =>
    fnBySym.get(sym) ?? (sym.declarations?.length === 1 ? fnByDecl.get(sym.declarations[0]!) : undefined);
  const neutral = new Set(ctx.spec.page.neutralSources);
  const helperNames = new Set([ctx.spec.page.addressHelpers?.fromAddress, ctx.spec.page.addressHelpers?.toAddress].filter((x): x is string => !!x));
  const fromAddress = new Set([ctx.spec.page.addressHelpers?.fromAddress].filter((x): x is string => !!x));
  const seedWrappers = new Set(det.wrappers.filter((w) => w.origin === 'spec').map((w) => w.fn));
  const files = ctx.files.filter((sf) => !det.broken.has(sf));
  const pageClassDecls = [...ctx.pageDecls];

  // Classes some project class extends: their methods may be overridden.
  const extended = new Set<ts.Symbol>();
  for (const sf of files) {
    const visit = (n: ts.Node): void => {
      if (tsv.isHeritageClause(n) && n.token === tsv.SyntaxKind.ExtendsKeyword) {
        for (const t of n.types) { const s = ctx.symbolOf(t.expression); if (s) extended.add(s); }
      }
      tsv.forEachChild(n, visit);
    };
    visit(sf);
  }
  const closedMethod = (m: ts.MethodDeclaration): boolean => {
    const c = m.parent;
    if (!tsv.isClassDeclaration(c) || !c.name || c.heritageClauses?.length) return false;
    if (m.modifiers?.some((x) => x.kind === tsv.SyntaxKind.AbstractKeyword || x.kind === tsv.SyntaxKind.OverrideKeyword)) return false;
    if (!tsv.isIdentifier(m.name) || !m.body) return false;
    const s = ctx.symbolOf(c.name);
    return !!s && !extended.has(s);
  };

  const mk = (e: Omit<Entity, 't' | 'id' | 'refs' | 'fieldUses' | 'memberUses' | 'destructures' | 'edges'>): Entity => {
    const ent: Entity = { t: 'entity', id: entities.length, refs: [], fieldUses: [], memberUses: [], destructures: [], edges: [], ...e };
    entities.push(ent);
    return ent;
  };

  const insidePageClass = (n: ts.Node): boolean => {
    for (let p: ts.Node | undefined = n; p; p = p.parent) if (pageClassDecls.includes(p) || ctx.descDecls.has(p)) return true;
    return false;
  };

  // ---- 1. entities: parameters, returns, locals ----
  for (const sf of files) {
    const visit = (n: ts.Node): void => {
      if (isFunctionLike(n) && n.body && !insidePageClass(n)) {
        const name = fnName(n);
        const sym = name ? declSymbol(ctx, n) : undefined;
        if (sym) { fnBySym.set(sym, n); for (const d of sym.declarations ?? []) fnByDecl.set(d, n); }
        // Methods that may implement or override others keep their signatures; a method of a
        // class that extends, implements and is extended by nothing is retyped like a function.
        const excluded = !name || neutral.has(name) || helperNames.has(name) || tsv.isConstructorDeclaration(n) ||
          tsv.isGetAccessorDeclaration(n) || tsv.isSetAccessorDeclaration(n) || (tsv.isMethodDeclaration(n) && !closedMethod(n));
        const ps: Array<Entity | undefined> = [];
        n.parameters.forEach((p) => {
          let ent: Entity | undefined;
          if (tsv.isIdentifier(p.name) && p.type) {
            const a = pageAnnotation(ctx, p.type);
            if (a) {
              ent = mk({ role: 'param', name: p.name.text, decl: p, nameNode: p.name, fn: n, typeNode: p.type, nullable: a.nullable || !!p.questionToken, sf });
              const s = ctx.symbolOf(p.name);
              if (s) bySym.set(s, ent);
              if (excluded) ent.blocked = `parameter of \`${name ?? 'an anonymous function'}()\`, which is not converted`;
              else if (seedWrappers.has(n)) ent.blocked = `parameter of the generic wrapper \`${name}()\``;
              else if (p.dotDotDotToken || p.initializer) ent.blocked = 'rest or defaulted parameter';
              else if (!sym) ent.blocked = 'parameter of an anonymous function';
            }
          }
          ps.push(ent);
        });
        params.set(n, ps);
        if (name && sym && !excluded) {
          let ret: { nullable: boolean } | undefined;
          if (n.type) ret = pageAnnotation(ctx, n.type);
          else {
            const sig = checker.getSignatureFromDeclaration(n);
            if (sig) ret = pageType(ctx, checker.getReturnTypeOfSignature(sig));
          }
          if (ret) {
            const ent = mk({ role: 'return', name, decl: n, fn: n, ...(n.type ? { typeNode: n.type } : {}), nullable: ret.nullable, sf });
            returns.set(n, ent);
          }
        }
      } else if (tsv.isVariableDeclaration(n) && tsv.isIdentifier(n.name) && !insidePageClass(n)) {
        const fn = enclosingFn(n);
        if (fn) {
          let t: { nullable: boolean } | undefined;
          if (n.type) t = pageAnnotation(ctx, n.type);
          else t = pageType(ctx, checker.getTypeAtLocation(n.name));
          if (t) {
            const ent = mk({ role: 'var', name: n.name.text, decl: n, nameNode: n.name, fn, ...(n.type ? { typeNode: n.type } : {}), nullable: t.nullable, sf });
            const s = ctx.symbolOf(n.name);
            if (s) bySym.set(s, ent);
            const list = n.parent;
            if (tsv.isVariableDeclarationList(list) && list.parent && tsv.isVariableStatement(list.parent) &&
              list.parent.modifiers?.some((m) => m.kind === tsv.SyntaxKind.ExportKeyword)) ent.blocked = 'exported';
          }
        }
      }
      tsv.forEachChild(n, visit);
    };
    visit(sf);
  }

  // ---- 2. sites by receiver node ----
  const siteByExpr = new Map<ts.Node, SiteDetail[]>();
  const fieldSitesByReceiver = new Map<ts.Node, SiteDetail[]>();
  for (const s of inp.sites) {
    if (s.finding.converted) continue;
    const l = siteByExpr.get(s.access.expr) ?? [];
    l.push(s);
    siteByExpr.set(s.access.expr, l);
    if (s.access.receiver) {
      const r = skipOuter(s.access.receiver);
      const l2 = fieldSitesByReceiver.get(r) ?? [];
      l2.push(s);
      fieldSitesByReceiver.set(r, l2);
    }
  }
  const wrapperByFn = new Map(det.wrappers.map((w) => [w.fn, w] as const));

  // ---- 3. references: identifiers of entities and of functions with entities ----
  const names = new Set<string>();
  for (const e of entities) names.add(e.name);
  for (const [fn] of params) { const n = fnName(fn); if (n) names.add(n); }
  const callsOf = new Map<FunctionLike, ts.CallExpression[]>();
  const functionValues = new Set<FunctionLike>();
  for (const sf of files) {
    const visit = (n: ts.Node): void => {
      if (tsv.isIdentifier(n) && names.has(n.text) && !isDeclName(n)) {
        const sym = ctx.symbolOf(n);
        if (sym) {
          const ent = bySym.get(sym);
          if (ent && ent.role !== 'return') ent.refs.push(n);
          const fn = fnOf(sym);
          if (fn) {
            const call = calleeCall(n);
            if (call) {
              const l = callsOf.get(fn) ?? [];
              l.push(call);
              callsOf.set(fn, l);
            } else if (!isImportExportName(n)) functionValues.add(fn);
          }
        }
      }
      tsv.forEachChild(n, visit);
    };
    visit(sf);
  }
  for (const fn of functionValues) {
    for (const e of params.get(fn) ?? []) if (e) e.blocked ??= `\`${fnName(fn)}()\` is used as a value`;
    const r = returns.get(fn);
    if (r) r.blocked ??= `\`${fnName(fn)}()\` is used as a value`;
  }

  // ---- 4. edges ----
  const edges: Edge[] = [];
  const edgeKeys = new Map<string, Edge>();
  const addEdge = (from: Port, to: Port, leaf: ts.Expression, extra?: Partial<Edge>): void => {
    const key = `${leaf.pos}:${leaf.end}:${leaf.getSourceFile().fileName}:${to.t === 'entity' ? to.id : `t${to.node.pos}`}:${from.t === 'entity' ? from.id : 't'}`;
    if (edgeKeys.has(key)) return;
    const e: Edge = { from, to, leaf, ...extra };
    edgeKeys.set(key, e);
    edges.push(e);
    if (from.t === 'entity') from.edges.push(e);
    if (to.t === 'entity' && to !== from) to.edges.push(e);
  };

  const cx = {
    ctx, det, inp, params, returns, bySym, fnBySym, siteByExpr, fieldSitesByReceiver, wrapperByFn, neutral, helperNames,
    functionOfCall: (c: ts.CallExpression): FunctionLike | undefined => {
      const callee = skipOuter(c.expression);
      const id = tsv.isPropertyAccessExpression(callee) ? callee.name : callee;
      const sym = ctx.symbolOf(id);
      return sym ? fnOf(sym) : undefined;
    },
  };

  /** A value leaf flowing into sink port `to`. */
  const source = (leaf: ts.Expression, to: Port): void => {
    for (const l of leaves(leaf)) {
      if (l.kind === tsv.SyntaxKind.NullKeyword || (tsv.isIdentifier(l) && l.text === 'undefined')) continue;
      if (tsv.isIdentifier(l)) {
        const sym = ctx.symbolOf(l);
        const ent = sym && bySym.get(sym);
        if (ent && ent.role !== 'return') addEdge(ent, to, l);
        else addEdge(terminal('opaque', l), to, l);
        continue;
      }
      if (tsv.isCallExpression(l)) {
        const cs = (siteByExpr.get(l) ?? []).find((s) => s.access.access === 'reference' && s.access.receiver === l && s.finding.wrapper === undefined);
        if (cs) {
          const kind = inp.kinds.find((k) => k.name === cs.finding.kind);
          addEdge({ t: 'terminal', what: 'container', node: l, shape: containerShape(ctx, l), site: cs, ...(kind ? { kind } : {}) }, to, l);
          continue;
        }
        const fn = cx.functionOfCall(l);
        const r = fn && returns.get(fn);
        if (r) { addEdge(r, to, l); continue; }
        // By the function the call resolves to (callees.ts), not the name it is spelled with.
        const roles = calleeRoles(ctx);
        if (fromAddress.size > 0 && roles.isNamedFunction(l, fromAddress) !== undefined) { addEdge(terminal('address', l), to, l); continue; }
        if (roles.isNamedFunction(l, neutral) !== undefined) { addEdge(terminal('neutral', l), to, l); continue; }
        const tpName = roles.isNamedFunction(l, inp.toPageNames);
        const tp = tpName !== undefined ? inp.toPageNames.get(tpName) : undefined;
        if (tp) { addEdge({ t: 'terminal', what: 'toPage', node: l, kind: tp }, to, l); continue; }
        addEdge(terminal('opaque', l), to, l);
        continue;
      }
      if (tsv.isNewExpression(l) && ctx.isPageClassRef(l.expression)) { addEdge(terminal('ctor', l), to, l); continue; }
      addEdge(terminal('opaque', l), to, l);
    }
  };

  /** Value node `v` (an entity reference or a call returning one) of port `from`: where does it go? */
  const consume = (v: ts.Expression, from: Entity): void => {
    const c: Consumer = classifyConsumer(cx, v);
    switch (c.t) {
      case 'neutral':
      case 'assignTarget':
        return;
      case 'block':
        from.blocked ??= c.reason;
        return;
      case 'sink':
        addEdge(from, c.sink, v);
        return;
      case 'field':
        for (const s of c.sites) {
          from.fieldUses.push({ site: s });
          siteEntity.set(s, from);
        }
        return;
      case 'destructure':
        from.destructures.push({ sites: c.sites, source: c.source });
        for (const s of c.sites) siteEntity.set(s, from);
        return;
      case 'member':
        from.memberUses.push(c.node);
        return;
      case 'wrapperCall': {
        const def = c.def;
        const p = params.get(def.fn as FunctionLike)?.[def.pageArg];
        siteEntity.set(c.site, from);
        addEdge(from, p ?? terminal('opaqueSink', v), v, { wrapperCall: { call: c.call, site: c.site, def } });
        return;
      }
      case 'terminal':
        addEdge(from, { t: 'terminal', what: c.what, node: c.node, ...(c.kind ? { kind: c.kind } : {}) }, v);
        return;
    }
  };

  const siteEntity = new Map<SiteDetail, Entity>();
  for (const e of entities) {
    if (e.role === 'return') {
      for (const call of callsOf.get(e.fn) ?? []) consume(call, e);
      // Returns of the function.
      for (const r of returnExprs(e.fn)) source(r, e);
    } else {
      for (const ref of e.refs) {
        const c = classifyConsumer(cx, ref);
        if (c.t === 'assignTarget') source(c.value, e);
        else consume(ref, e);
      }
      const d = e.decl;
      if (tsv.isVariableDeclaration(d)) {
        if (d.initializer) source(d.initializer, e);
        const fo = d.parent?.parent;
        if (fo && tsv.isForOfStatement(fo) && d.parent === fo.initializer) forOfSource(fo.expression, e);
        else if (fo && tsv.isForInStatement(fo)) e.blocked ??= 'for-in variable';
      }
    }
  }
  // Call arguments into parameter entities.
  const converterNames = new Set([...inp.fromPageNames.keys(), ...inp.toPageNames.keys()]);
  for (const [fn, ps] of params) {
    if (!ps.some((p) => p)) continue;
    const fname = fnName(fn);
    // Address helpers and converters are terminals where they are called, not flows into their parameters.
    if (fname && (helperNames.has(fname) || converterNames.has(fname))) continue;
    for (const call of callsOf.get(fn) ?? []) {
      ps.forEach((p, i) => {
        if (!p) return;
        const arg = call.arguments[i];
        if (arg && !tsv.isSpreadElement(arg)) {
          const ws = (siteByExpr.get(call) ?? []).find((s) => s.finding.wrapper && s.access.receiver === arg);
          if (!ws) source(arg, p);
        }
      });
      if (call.arguments.some((a) => tsv.isSpreadElement(a))) for (const p of ps) if (p) p.blocked ??= 'called with a spread argument';
    }
  }

  function forOfSource(expr: ts.Expression, e: Entity): void {
    const x = skipOuter(expr);
    if (tsv.isCallExpression(x)) {
      const cs = (siteByExpr.get(x) ?? []).find((s) => s.access.access === 'reference' && s.access.receiver === x && !s.finding.wrapper);
      if (cs) {
        const kind = inp.kinds.find((k) => k.name === cs.finding.kind);
        addEdge({ t: 'terminal', what: 'container', node: x, shape: 'array', site: cs, ...(kind ? { kind } : {}) }, e, x);
        return;
      }
    }
    e.blocked ??= `iterates an array of ${classWords(ctx.spec)}`;
  }

  // Sites whose receiver is not an entity.
  const opaqueSites = inp.sites.filter((s) => !s.finding.converted && !siteEntity.has(s) && !inp.bodySites.has(s));
  return { entities, edges, opaqueSites, siteEntity, functionValues };
}

function terminal(what: TerminalWhat, node: ts.Expression): Terminal {
  return { t: 'terminal', what, node };
}

