/**
 * Field rewrite: turns the decisions into splices. Each classified access becomes a descriptor
 * access (page.private -> slab.counters when `page` became a Slab, page_slab(page).counters when
 * it is still a page), wrapper calls are inlined (set_page_private(page, x) -> page_zpdesc(page).zspage = x),
 * container_of calls name the descriptor (list_entry(p, Page, 'lru') -> list_entry(p, Ptdesc, 'pt_list')),
 * flows between converted and unconverted code get a converter at the boundary, and repeated
 * conversions of one variable in one function become one local.
 */
import { ts } from '@ts-morph/common';
import { tsv } from '../analyzers/tsValues.ts';
import type { SiteDetail } from '../analyzers/analyze.ts';
import { skipOuter, type FunctionLike } from '../analyzers/ast.ts';
import type { AnalysisContext } from '../analyzers/context.ts';
import type { WrapperDef } from '../analyzers/wrappers.ts';
import type { Edge, Entity, FlowGraph, Terminal } from './flow.ts';
import { descriptorName, joinNames, type KindPlan } from './kinds.ts';
import { hoistPlace, identifiersOf, moduleNames, reassigned, type HoistPlace } from './hoist.ts';
import { closer, opener, type EditSet } from './splices.ts';
import { pageAnnotation, pageType, wrapperShape } from './syntax.ts';
import { calleeRoles } from './callees.ts';

export interface KindModules {
  /** Absolute file of the descriptor class and its page converters. */
  classFile: string;
  /** Absolute file of the address converters (next to the page's address helpers), if any. */
  addressFile?: string;
}

interface Wrap {
  expr: ts.Expression;
  /** Converter names, outermost first, with the module each comes from. */
  chain: Array<{ name: string; module: string }>;
  /** A hoistable conversion of an entity reference. */
  group?: { entity: Entity; kind: KindPlan; dir: 'from' | 'to' };
}

export class Rewriter {
  readonly converted = new Set<SiteDetail>();
  readonly skipped = new Map<SiteDetail, string>();
  readonly imports = new Map<string, Map<string, Set<string>>>();
  private wraps: Wrap[] = [];
  private handledContainers = new Set<SiteDetail>();
  /** Names taken per function (renames and hoisted locals). */
  private taken = new Map<ts.Node, Set<string>>();
  /** Final text of renamed identifiers (renames, hoisted locals). */
  private identText = new Map<ts.Node, string>();

  constructor(
    private ctx: AnalysisContext,
    private edits: EditSet,
    private modules: Map<KindPlan, KindModules>,
    private problem: (s: SiteDetail) => string | undefined,
  ) {
  }

  // ---------------------------------------------------------------- primitives

  private need(node: ts.Node, name: string, module: string): void {
    const file = node.getSourceFile().fileName;
    if (file === module) return;
    let m = this.imports.get(file);
    if (!m) this.imports.set(file, (m = new Map()));
    let s = m.get(module);
    if (!s) m.set(module, (s = new Set()));
    s.add(name);
  }

  private ed(n: ts.Node) {
    return this.edits.for(n.getSourceFile().fileName);
  }

  private replaceNode(n: ts.Node, text: string): void {
    this.ed(n).replace(n.getStart(), n.end, text);
  }

  fromPage(k: KindPlan): { name: string; module: string } {
    return { name: k.fromPage, module: this.modules.get(k)!.classFile };
  }

  toPage(k: KindPlan): { name: string; module: string } {
    return { name: k.toPage, module: this.modules.get(k)!.classFile };
  }

  wrap(expr: ts.Expression, chain: Wrap['chain'], group?: Wrap['group']): void {
    this.wraps.push({ expr, chain, ...(group ? { group } : {}) });
  }

  /** page -> descriptor of kind k at `expr` (hoistable when expr is a reference of entity e). */
  wrapFrom(expr: ts.Expression, k: KindPlan, e?: Entity): void {
    this.wrap(expr, [this.fromPage(k)], e && tsv.isIdentifier(skipOuter(expr)) ? { entity: e, kind: k, dir: 'from' } : undefined);
  }

  wrapTo(expr: ts.Expression, k: KindPlan, e?: Entity): void {
    this.wrap(expr, [this.toPage(k)], e && tsv.isIdentifier(skipOuter(expr)) ? { entity: e, kind: k, dir: 'to' } : undefined);
  }

  /** Descriptor field for a site (zpdesc index -> next | handle: the one its statement names). */
  chooseField(site: SiteDetail, k: KindPlan): string | undefined {
    const to = k.fields.get(site.finding.field);
    if (!to || to.length === 0) return undefined;
    if (to.length === 1) return to[0];
    let st: ts.Node = site.access.expr;
    while (st.parent && !tsv.isStatement(st) && !tsv.isVariableDeclaration(st)) st = st.parent;
    const words = identifiersOf(st);
    return to.find((t) => words.has(t)) ?? to[0];
  }

  // ---------------------------------------------------------------- sites

  /** Rename the page field of a site to the descriptor field (the receiver is handled elsewhere). */
  renameField(site: SiteDetail, k: KindPlan): void {
    const d = this.chooseField(site, k)!;
    const a = site.access;
    const n = a.node;
    if (tsv.isIdentifier(n) && tsv.isPropertyAccessExpression(n.parent)) this.replaceNode(n, d);
    else if (tsv.isStringLiteral(n) || tsv.isNoSubstitutionTemplateLiteral(n)) {
      const q = n.getText()[0];
      this.replaceNode(n, `${q}${d}${q}`);
    } else if (tsv.isIdentifier(n) && tsv.isBindingElement(a.expr)) {
      if (a.expr.propertyName) this.replaceNode(a.expr.propertyName, d);
      else this.ed(n).insert(n.getStart(), `${d}: `, 0);
    } else if (tsv.isIdentifier(n) && (tsv.isPropertyAssignment(a.expr) || tsv.isShorthandPropertyAssignment(a.expr))) {
      if (tsv.isPropertyAssignment(a.expr)) this.replaceNode(a.expr.name, d);
      else this.ed(n).insert(n.getStart(), `${d}: `, 0);
    } else {
      this.replaceNode(n, d);
    }
    this.converted.add(site);
  }

  /** A null-descriptor kind (buddy): page.lru -> page.buddy_list, page_private(page) -> page.order. */
  renameInPlace(site: SiteDetail, k: KindPlan, wrapper?: WrapperDef): void {
    if (wrapper) this.inlineWrapper(site, wrapper, k);
    else this.renameField(site, k);
  }

  /** container_of(ptr, Page, 'lru') -> container_of(ptr, Ptdesc, 'pt_list'). */
  convertContainer(site: SiteDetail, k: KindPlan): void {
    const call = site.access.expr as ts.CallExpression;
    const member = site.access.node;
    const i = call.arguments.indexOf(member as ts.Expression);
    const cls = call.arguments[i - 1]!;
    if (k.desc) {
      this.replaceNode(cls, k.desc);
      this.need(cls, k.desc, this.modules.get(k)!.classFile);
    }
    this.renameField(site, k);
    this.handledContainers.add(site);
  }

  containerHandled(site: SiteDetail): boolean {
    return this.handledContainers.has(site);
  }

  /**
   * Inline a wrapper call for kind k: page_private(x) -> x.d, set_page_private(x, v) -> x.d = v.
   * The receiver x is wrapped separately (or is already a descriptor).
   */
  inlineWrapper(site: SiteDetail, def: WrapperDef, k: KindPlan): void {
    const call = site.access.expr as ts.CallExpression;
    const shape = wrapperShape(def);
    const d = this.chooseField(site, k)!;
    const arg = call.arguments[def.pageArg]!;
    const e = this.ed(call);
    const start = call.getStart();
    if (shape!.kind === 'read') {
      e.replace(start, arg.getStart(), '');
      e.replace(arg.end, call.end, `.${d}${shape!.suffix}`);
    } else {
      const val = call.arguments[shape!.valueArg]!;
      e.replace(start, arg.getStart(), '');
      e.replace(arg.end, val.getStart(), `.${d} = `);
      e.replace(val.end, call.end, '');
    }
    this.converted.add(site);
  }

  /** A value use replaced by `text` that converts to kind k (a wrapper inlined as a callback: wrapperValues.ts). */
  replaceValue(node: ts.Node, text: string, k: KindPlan): void {
    this.replaceNode(node, text);
    this.need(node, k.fromPage, this.modules.get(k)!.classFile);
  }

  // ---------------------------------------------------------------- entities

  /** Retype a converted entity: annotation, name, references. */
  retype(e: Entity, k: KindPlan, fnNames: Map<ts.Node, Set<string>>): void {
    if (e.typeNode) {
      const a = pageAnnotation(this.ctx, e.typeNode);
      for (const r of a?.refs ?? []) this.replaceNode(r, k.desc!);
      this.need(e.typeNode, k.desc!, this.modules.get(k)!.classFile);
    }
    if (e.role === 'return' || !e.nameNode) return;
    const want = descriptorName(e.name, k.pageWord, k.variable, k.style);
    if (want === e.name) return;
    const scope = scopeOf(e);
    if (this.scopeNames(scope).has(want) || moduleNames(e.sf).has(want)) return;
    if (this.planned.some((p) => p.name === want && (contains(p.scope, scope) || contains(scope, p.scope)))) return;
    this.planned.push({ scope, name: want });
    this.namesOf(e.fn, fnNames).add(want);
    e.rename = want;
    this.identText.set(e.nameNode, want);
    for (const r of e.refs) {
      const p = r.parent;
      if (tsv.isShorthandPropertyAssignment(p) && p.name === r) continue; // handled as a sink
      this.identText.set(r, want);
    }
  }

  private planned: Array<{ scope: ts.Node; name: string }> = [];

  private pageFile(): string {
    const d = [...this.ctx.pageDecls][0]!;
    return d.getSourceFile().fileName;
  }

  private scopeNames(scope: ts.Node): ReadonlySet<string> {
    return identifiersOf(scope);
  }

  private namesOf(fn: ts.Node, fnNames: Map<ts.Node, Set<string>>): Set<string> {
    let s = this.taken.get(fn);
    if (!s) {
      s = new Set(fnNames.get(fn) ?? identifiersOf(fn));
      this.taken.set(fn, s);
    }
    return s;
  }

  // ---------------------------------------------------------------- edges

  edge(ed: Edge): void {
    const from = ed.from;
    const to = ed.to;
    const la = from.t === 'entity' ? from.label ?? null : null;
    const lb = to.t === 'entity' ? to.label ?? null : null;
    if (ed.wrapperCall) return; // handled with the sites
    if (from.t === 'entity' && to.t === 'entity') return this.boundary(ed.leaf, la, lb, from);
    if (from.t === 'entity') return this.toTerminal(ed.leaf, la, to as Terminal, from);
    return this.fromTerminal(ed.leaf, from as Terminal, lb);
  }

  /** A value of kind la flowing where kind lb is expected. */
  boundary(leaf: ts.Expression, la: KindPlan | null, lb: KindPlan | null, src?: Entity): void {
    if (la === lb) return;
    if (la && lb) this.wrap(leaf, [this.fromPage(lb), this.toPage(la)]);
    else if (la) this.wrapTo(leaf, la, src);
    else this.wrapFrom(leaf, lb!, src);
  }

  private toTerminal(leaf: ts.Expression, la: KindPlan | null, t: Terminal, src: Entity): void {
    if (!la) return;
    switch (t.what) {
      case 'opaqueSink': {
        const p = leaf.parent;
        if (tsv.isShorthandPropertyAssignment(p) && p.name === leaf) {
          const name = src.rename ?? src.name;
          const tp = this.toPage(la);
          this.need(p, tp.name, tp.module);
          this.replaceNode(p, `${leaf.getText()}: ${tp.name}(${name})`);
          return;
        }
        this.wrapTo(leaf, la, src);
        return;
      }
      case 'fromPage': {
        const call = t.node as ts.CallExpression;
        if (t.kind === la) {
          this.unwrapCall(call);
          return;
        }
        this.wrapTo(leaf, la, src);
        return;
      }
      case 'toAddress': {
        const call = t.node as ts.CallExpression;
        const mod = this.modules.get(la)!;
        if (la.toAddress && mod.addressFile) {
          this.replaceNode(call.expression, la.toAddress);
          this.need(call, la.toAddress, mod.addressFile);
          return;
        }
        this.wrapTo(leaf, la, src);
        return;
      }
      default:
        this.wrapTo(leaf, la, src);
    }
  }

  private fromTerminal(leaf: ts.Expression, t: Terminal, lb: KindPlan | null): void {
    switch (t.what) {
      case 'address': {
        if (!lb) return;
        this.addressCall(t.node as ts.CallExpression, lb);
        return;
      }
      case 'ctor': {
        if (!lb) return;
        const n = t.node as ts.NewExpression;
        this.replaceNode(n.expression, lb.desc!);
        this.need(n, lb.desc!, this.modules.get(lb)!.classFile);
        return;
      }
      case 'container': {
        const site = t.site!;
        const ck = t.kind && t.kind.desc && !this.problem(site) ? t.kind : undefined;
        if (ck && this.handledContainers.has(site)) return;
        if (ck) this.convertContainer(site, ck);
        const have = ck ?? null;
        if (have === lb) return;
        if (t.shape === 'array') {
          if (have && !lb) this.appendMap(leaf, this.toPage(have), have.variable);
          return;
        }
        this.boundary(leaf, have, lb);
        return;
      }
      case 'toPage': {
        if (lb && t.kind === lb) this.unwrapCall(t.node as ts.CallExpression);
        else if (lb) this.wrapFrom(leaf, lb);
        return;
      }
      default:
        if (lb) this.wrapFrom(leaf, lb);
    }
  }

  /** virt_to_page(x) used as a kind-k descriptor: virt_to_ptdesc(x), or page_ptdesc(virt_to_page(x)). */
  addressCall(call: ts.CallExpression, k: KindPlan): boolean {
    // The helper by the function the call resolves to (an aliased import is it, a same-named local is not): callees.ts.
    const helper = this.ctx.spec.page.addressHelpers?.fromAddress;
    if (!helper || calleeRoles(this.ctx).isNamedFunction(call, new Set([helper])) === undefined) return false;
    const mod = this.modules.get(k)!;
    if (k.fromAddress && mod.addressFile) {
      this.replaceNode(call.expression, k.fromAddress);
      this.need(call, k.fromAddress, mod.addressFile);
    } else this.wrapFrom(call, k);
    return true;
  }

  /** new Page(x) used as a kind-k descriptor: new Zpdesc(x). */
  ctorCall(n: ts.NewExpression, k: KindPlan): void {
    this.replaceNode(n.expression, k.desc!);
    this.need(n, k.desc!, this.modules.get(k)!.classFile);
  }

  /** list_for_each_entry(…) -> list_for_each_entry(…).map((slab) => slab_page(slab)) */
  appendMap(expr: ts.Expression, conv: { name: string; module: string }, variable: string): void {
    this.need(expr, conv.name, conv.module);
    this.ed(expr).insert(expr.end, `.map((${variable}) => ${conv.name}(${variable}))`, closer(expr.end - expr.getStart()));
  }

  /** conv(x) -> x */
  private unwrapCall(call: ts.CallExpression): void {
    const arg = call.arguments[0]!;
    const e = this.ed(call);
    e.replace(call.getStart(), arg.getStart(), '');
    e.replace(arg.end, call.end, '');
  }

  // ---------------------------------------------------------------- hoisting and emission

  /** Emit every wrap, grouping repeated conversions of one variable into one local. */
  flush(fnNames: Map<ts.Node, Set<string>>): void {
    const groups = new Map<string, Wrap[]>();
    const single: Wrap[] = [];
    for (const w of this.wraps) {
      if (!w.group) { single.push(w); continue; }
      const key = `${w.group.entity.id}:${w.group.kind.name}:${w.group.dir}`;
      const l = groups.get(key) ?? [];
      l.push(w);
      groups.set(key, l);
    }
    for (const [, ws] of groups) {
      const g = ws[0]!.group!;
      const e = g.entity;
      const local = ws.length >= 2 && e.role !== 'return' ? this.hoistName(e, g, fnNames) : undefined;
      const place = local ? hoistPlace(e.sf, e.fn, ws.map((w) => w.expr), e.role === 'var' ? e.decl : undefined) : undefined;
      if (!local || !place || !this.hoistable(e, place)) { single.push(...ws); continue; }
      this.taken.get(e.fn)!.add(local);
      const conv = ws[0]!.chain[0]!;
      const srcName = e.rename ?? e.name;
      this.need(ws[0]!.expr, conv.name, conv.module);
      // Inside a loop the local's type may depend on itself through the loop: spell it out.
      const type = inLoop(place.first, e.fn) ? `: ${g.dir === 'from' ? g.kind.desc : this.ctx.spec.page.class}` : '';
      if (type && g.dir === 'to') this.need(ws[0]!.expr, this.ctx.spec.page.class, this.pageFile());
      if (type && g.dir === 'from') this.need(ws[0]!.expr, g.kind.desc!, this.modules.get(g.kind)!.classFile);
      const decl = `const ${local}${type} = ${conv.name}(${srcName});`;
      const ed = this.edits.for(e.sf.fileName);
      ed.insert(place.pos, place.inline ? `${decl} ` : `${place.indent}${decl}\n`, -1e8);
      for (const w of ws) {
        const id = skipOuter(w.expr);
        this.identText.set(id, local);
        if (w.expr !== id) {
          // page! -> local (the local is not null)
          ed.replace(w.expr.getStart(), id.getStart(), '');
          ed.replace(id.end, w.expr.end, '');
        }
      }
    }
    for (const w of single) this.emitWrap(w);
    this.wraps = [];
    for (const [n, text] of this.identText) this.replaceNode(n, text);
    this.identText.clear();
  }

  /** The variable keeps its value from the local's declaration to the last use, and is not null there. */
  private hoistable(e: Entity, place: HoistPlace): boolean {
    if (reassigned(e.refs, place.first.getStart(), place.last.end)) return false;
    if (!e.nullable) return true;
    const inFirst = e.refs.filter((r) => r.getStart() >= place.first.getStart() && r.end <= place.first.end);
    if (inFirst.length === 0) return false;
    const r0 = inFirst.reduce((a, b) => (a.getStart() <= b.getStart() ? a : b));
    const t = pageType(this.ctx, this.ctx.checker.getTypeAtLocation(r0));
    return !!t && !t.nullable;
  }

  private hoistName(e: Entity, g: NonNullable<Wrap['group']>, fnNames: Map<ts.Node, Set<string>>): string | undefined {
    const names = this.namesOf(e.fn, fnNames);
    const mods = moduleNames(e.sf);
    const cands: string[] = [];
    if (g.dir === 'from') {
      const k = g.kind;
      cands.push(descriptorName(e.name, k.pageWord, k.variable, k.style));
      if (cands[0] === e.name) cands.push(k.variable);
      // A variable already named like the descriptor (`loan: Slot`) must not become `loan_loan`.
      if (e.name === k.variable || e.name.endsWith(k.style === 'camel' ? k.variable.charAt(0).toUpperCase() + k.variable.slice(1) : `_${k.variable}`)) {
        cands.push(joinNames(k.style, k.variable, 'desc'));
      } else cands.push(joinNames(k.style, e.name, k.variable));
      for (let i = 2; i < 10; i++) cands.push(`${k.variable}${i}`);
    } else {
      // A converted, renamed variable: its old name is free again for the page.
      return e.rename ? e.name : undefined;
    }
    return cands.find((c) => c !== e.name && !names.has(c) && !mods.has(c));
  }

  private emitWrap(w: Wrap): void {
    // page! -> page_slab(page!), not page_slab(page)!
    let x: ts.Expression = w.expr;
    while (tsv.isNonNullExpression(x.parent) && x.parent.expression === x) x = x.parent;
    const ed = this.ed(x);
    const s = x.getStart();
    const width = x.end - s;
    let open = '';
    let close = '';
    for (const c of w.chain) {
      this.need(w.expr, c.name, c.module);
      open += `${c.name}(`;
      close += ')';
    }
    ed.insert(s, open, opener(width));
    ed.insert(x.end, close, closer(width));
  }
}

/** The block (or function) a variable's new name must not collide in. */
function scopeOf(e: Entity): ts.Node {
  if (e.role !== 'var') return e.fn;
  const list = e.decl.parent;
  if (!tsv.isVariableDeclarationList(list) || !(list.flags & (tsv.NodeFlags.Let | tsv.NodeFlags.Const))) return e.fn;
  for (let p: ts.Node | undefined = list.parent; p; p = p.parent) {
    if (tsv.isBlock(p) || tsv.isSourceFile(p) || tsv.isForStatement(p) || tsv.isForOfStatement(p) || tsv.isForInStatement(p) || tsv.isCaseBlock(p)) return p;
    if (p === e.fn) return p;
  }
  return e.fn;
}

function contains(a: ts.Node, b: ts.Node): boolean {
  return a.getSourceFile() === b.getSourceFile() && a.pos <= b.pos && b.end <= a.end;
}

function inLoop(n: ts.Node, fn: ts.Node): boolean {
  for (let p: ts.Node | undefined = n.parent; p && p !== fn; p = p.parent) {
    if (tsv.isIterationStatement(p, false)) return true;
  }
  return false;
}
