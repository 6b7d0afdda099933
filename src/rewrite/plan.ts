/**
 * One conversion step, all kinds at once: analyze (every type query happens here), decide the
 * function conversions, turn decisions into splices (field rewrite, boundaries, hoisting),
 * scaffold the descriptor types that are used, retire what became dead, add imports, and apply
 * the splices per file. Returns the new texts and a report; writes nothing.
 */
import { ts } from '@ts-morph/common';
import { tsv } from '../analyzers/tsValues.ts';
import { analyzeDetailed, type DetailedAnalysis, type SiteDetail } from '../analyzers/analyze.ts';
import { enclosingFunctionNames, functionName, isFunctionLike, skipOuter } from '../analyzers/ast.ts';
import { relative } from 'node:path';
import { InputError, UsageError } from '../errors.ts';
import { ImportGraph } from './importCycles.ts';
import type { AnalysisContext } from '../analyzers/context.ts';
import { ownersOf } from '../analyzers/owners.ts';
import type { WrapperDef } from '../analyzers/wrappers.ts';
import { compareSites, type Finding } from '../model/findings.ts';
import { UNKNOWN_KIND, type Spec } from '../model/spec.ts';
import { buildFlow, type Entity, type FlowGraph, type FlowInput } from './flow.ts';
import { enclosingFn, fnName, wrapperShape } from './syntax.ts';
import { decide } from './functionConvert.ts';
import { Rewriter, type KindModules } from './fieldRewrite.ts';
import { ImportFixer, prefersTypeImports, programResolver, type ModuleResolver } from './importFix.ts';
import { kindPlans, namingStyle, selectKinds, settleConverterNames, type KindPlan } from './kinds.ts';
import { retire } from './retire.ts';
import { planModules, scaffold } from './scaffold.ts';
import { EditSet, projectQuote, type Quote } from './splices.ts';
import { wrapperValueInlines } from './wrapperValues.ts';

export interface ConvertOptions {
  spec: Spec;
  kinds: string[];
  all?: boolean;
  /** Only sites in this file (project-relative) or function. */
  only?: string;
  /** Remove dead union members and helpers (default true). */
  retire?: boolean;
  /**
   * Per kind, the files (project-relative) or functions (a name, or `FILE#NAME` for one file's
   * function) whose sites may be converted; a kind not named converts everywhere. Lets `memdesc series` convert a kind a few functions at a time.
   */
  scope?: Record<string, string[]>;
  /** Kinds whose descriptor types are created even where nothing uses them yet (a series' first step). */
  scaffold?: string[];
  /**
   * `analyzeDetailed(program, root, { spec })`, made once by a caller that plans many
   * conversions of one program (a series plans every step on its base): planning only reads it.
   */
  analysis?: DetailedAnalysis;
}

export interface SkippedSite {
  file: string;
  line: number;
  column: number;
  kind: string;
  field: string;
  reason: string;
}

export interface ConvertedFunction {
  function: string;
  file: string;
  line: number;
  /** "page: Page -> ptdesc: Ptdesc", "returns Slab". */
  change: string;
}

export interface ConvertReport {
  kinds: string[];
  /** Sites rewritten, per kind. */
  converted: Record<string, number>;
  functions: ConvertedFunction[];
  created: string[];
  retired: { helpers: string[]; members: string[] };
  skipped: SkippedSite[];
}

export interface FileChange {
  /** Absolute path. */
  file: string;
  before: string | null;
  after: string;
}

export interface ConvertPlan {
  root: string;
  changes: FileChange[];
  report: ConvertReport;
}

/**
 * What planning derives from one analysis whatever the options: kept with the analysis, so that
 * many conversions planned on one program (a series plans one per step) derive it once. Each
 * plan only reads it, except the flow graphs, whose decisions are reset before each use.
 */
interface AnalysisMemo {
  all: KindPlan[];
  wrapperOf: Map<SiteDetail, WrapperDef>;
  bodySites: Set<SiteDetail>;
  sites: SiteDetail[];
  fromPageNames: Map<string, KindPlan>;
  toPageNames: Map<string, KindPlan>;
  /** Per set of selected kinds, the flow graph and each entity's `blocked` as built. */
  flows: Map<string, { g: FlowGraph; blocked: Array<string | undefined> }>;
  resolve: ModuleResolver;
  fixer: ImportFixer;
  imports?: ImportGraph;
}

const memos = new WeakMap<DetailedAnalysis, AnalysisMemo>();

function analysisMemo(program: ts.Program, det: DetailedAnalysis, spec: Spec): AnalysisMemo {
  let m = memos.get(det);
  if (m) return m;
  const ctx = det.ctx;
  const all = kindPlans(spec, namingStyle(ctx.files));
  settleConverterNames(ctx, all);
  // Accesses inside wrapper bodies become sites of the kind their callers agree on.
  const bodySites = new Set<SiteDetail>();
  const wrapperOf = new Map<SiteDetail, WrapperDef>();
  for (const s of det.sites) {
    if (!s.finding.wrapper) continue;
    const w = wrapperFor(ctx, det.wrappers, s);
    if (w) wrapperOf.set(s, w);
  }
  for (const w of det.wrappers) {
    if (w.origin === 'spec') continue;
    const body = det.wrapperBodies.filter((a) => enclosingFn(a.expr) === w.fn);
    const callKinds = new Set([...wrapperOf].filter(([, d]) => d === w).map(([s]) => s.finding.kind));
    for (const a of body) {
      const own = callKinds.size === 0 ? det.classify(a) : undefined;
      const kind = callKinds.size === 1 ? [...callKinds][0]! : own ? own.kind : UNKNOWN_KIND;
      const confidence = own ? own.confidence : kind === UNKNOWN_KIND ? 'unknown' : 'callgraph';
      const f: Finding = { ...ctx.site(a.sf, a.node), field: a.field, access: a.access, kind, evidence: [], confidence, converted: false, receiver: a.receiverText };
      bodySites.add({ finding: f, access: a });
    }
  }
  const fromPageNames = new Map<string, KindPlan>();
  const toPageNames = new Map<string, KindPlan>();
  for (const k of all) if (k.desc) { fromPageNames.set(k.fromPage, k); toPageNames.set(k.toPage, k); }
  m = {
    all, wrapperOf, bodySites, sites: [...det.sites.filter((s) => !s.finding.converted), ...bodySites], fromPageNames, toPageNames,
    flows: new Map(), resolve: programResolver(program), fixer: new ImportFixer(),
  };
  memos.set(det, m);
  return m;
}

/** The flow graph for these selected kinds, built once per analysis; the decisions of an earlier plan on it are undone. */
function flowFor(m: AnalysisMemo, inp: FlowInput): FlowGraph {
  const key = inp.kinds.map((k) => k.name).join('\0');
  const f = m.flows.get(key);
  if (!f) {
    const g = buildFlow(inp);
    m.flows.set(key, { g, blocked: g.entities.map((e) => e.blocked) });
    return g;
  }
  for (const [i, e] of f.g.entities.entries()) {
    const b = f.blocked[i];
    if (b === undefined) delete e.blocked;
    else e.blocked = b;
    delete e.label;
    delete e.rename;
  }
  return f.g;
}

export function planConversion(program: ts.Program, root: string, opts: ConvertOptions): ConvertPlan {
  const chosen = new Set(selectKinds(opts.spec, opts.kinds, !!opts.all).map((k) => k.name));
  // A given analysis serves only the program, root and spec it was made of.
  const a = opts.analysis;
  const det = a && a.ctx.program === program && a.ctx.root === root && a.ctx.spec === opts.spec ? a : analyzeDetailed(program, root, { spec: opts.spec });
  const ctx = det.ctx;
  const memo = analysisMemo(program, det, opts.spec);
  const { all, wrapperOf, bodySites, sites, fromPageNames, toPageNames } = memo;
  const kinds = all.filter((k) => chosen.has(k.name));
  if (opts.only !== undefined) checkOnly(ctx.files, ctx.rel.bind(ctx), opts.only);
  const selected = new Set(kinds.map((k) => k.name));
  const byName = new Map(all.map((k) => [k.name, k] as const));

  const g = flowFor(memo, { ctx, det, kinds, sites, bodySites, fromPageNames, toPageNames });

  const inOnly = (file: string, fnNames: string[]): boolean => {
    if (!opts.only) return true;
    const o = opts.only.replace(/^\.\//, '');
    return file === o || fnNames.includes(o);
  };
  const inKindScope = (kind: string, file: string, fnNames: string[]): boolean => {
    const list = opts.scope?.[kind];
    // An entry is a file, a function name, or one file's function (`FILE#NAME`: a series unit's).
    return !list || list.some((o) => file === o.replace(/^\.\//, '') || fnNames.includes(o) || fnNames.some((n) => o === `${file}#${n}`));
  };
  const entityNames = (e: Entity): string[] => [fnName(e.fn) ?? ''].concat(enclosingFunctionNames(e.fn));
  const siteProblem = (s: SiteDetail): string | undefined => {
    if (s.finding.kind === UNKNOWN_KIND) return `unknown kind: ${s.finding.evidence[0] ?? 'no evidence'}`;
    if (!selected.has(s.finding.kind)) return 'kind not selected';
    const k = byName.get(s.finding.kind)!;
    if (!k.fields.get(s.finding.field)?.length) return `${k.name} maps no descriptor field to ${s.finding.field}`;
    if (!inOnly(s.finding.file, enclosingFunctionNames(s.access.expr))) return 'outside --only';
    if (!inKindScope(s.finding.kind, s.finding.file, enclosingFunctionNames(s.access.expr))) return 'outside the scope of this step';
    const a = s.access;
    if (s.finding.wrapper) {
      const w = wrapperOf.get(s);
      const shape = w && wrapperShape(w);
      if (!w || !shape) return `wrapper \`${s.finding.wrapper}()\` cannot be inlined`;
      const call = a.expr as ts.CallExpression;
      const fn = w.fn as ts.FunctionLikeDeclaration;
      if (call.arguments.length !== fn.parameters.length) return `call of \`${w.name}()\` with a different number of arguments`;
      if (shape.kind === 'write' && !tsv.isExpressionStatement(call.parent)) return `the value of \`${w.name}()\` is used`;
      return undefined;
    }
    if (tsv.isElementAccessExpression(a.expr) && !(tsv.isStringLiteral(a.node) || tsv.isNoSubstitutionTemplateLiteral(a.node))) return 'computed key';
    if (tsv.isBindingElement(a.expr) && tsv.isObjectBindingPattern(a.expr.parent) && a.expr.parent.elements.some((e) => e.dotDotDotToken)) {
      return 'destructuring with a rest element';
    }
    return undefined;
  };
  decide(g, {
    kinds, siteProblem,
    inScope: (e, evidence) => (!opts.only || inOnly(ctx.rel(e.sf), entityNames(e))) &&
      [...evidence].every((k) => !selected.has(k) || inKindScope(k, ctx.rel(e.sf), entityNames(e))),
    owned: (e, kind) => ownersOf(ctx, e.sf, e.role === 'return' || e.role === 'param' ? e.fn.body ?? e.fn : e.decl).some((h) => h.kind === kind) &&
      inKindScope(kind, ctx.rel(e.sf), entityNames(e)),
  });

  const modPlan = planModules(ctx, kinds);
  const modules = new Map<KindPlan, KindModules>();
  for (const k of kinds) {
    if (!k.desc) continue;
    modules.set(k, { classFile: modPlan.classFiles.get(k)!, ...(modPlan.addressFile ? { addressFile: modPlan.addressFile } : {}) });
  }
  const edits = new EditSet();
  const rw = new Rewriter(ctx, edits, modules, siteProblem);
  const fnNames = new Map<ts.Node, Set<string>>();
  const report: ConvertReport = { kinds: kinds.map((k) => k.name), converted: {}, functions: [], created: [], retired: { helpers: [], members: [] }, skipped: [] };

  // Entities: retype the converted ones.
  for (const e of g.entities) if (e.label) rw.retype(e, e.label, fnNames);
  for (const e of g.entities) if (e.label && (e.role === 'param' || e.role === 'return')) report.functions.push(describe(ctx, e));
  // Flows.
  for (const ed of g.edges) rw.edge(ed);
  // Sites.
  const inlined = new Set<SiteDetail>();
  const doneDestructure = new Set<ts.Node>();
  for (const s of [...sites].sort((a, b) => compareSites(a.finding, b.finding))) {
    const a = s.access;
    const ent = g.siteEntity.get(s);
    if (s.finding.wrapper && !bodySites.has(s)) {
      // A wrapper whose parameter was converted stays: its callers pass a descriptor.
      const w = wrapperOf.get(s);
      const p = w && paramEntity(g, w);
      if (w && p?.label) {
        rw.boundary((a.expr as ts.CallExpression).arguments[w.pageArg]!, ent?.label ?? null, p.label, ent);
        rw.converted.add(s);
        continue;
      }
    }
    if (siteProblem(s)) continue;
    const k = byName.get(s.finding.kind)!;
    if (bodySites.has(s) && ent?.label === k) {
      rw.renameField(s, k);
      continue;
    }
    // A wrapper whose parameter keeps the class (used as a value, exported, mixed callers)
    // converts its own access in place, so no raw read stays behind it; if the wrapper is
    // retired instead, its deletion swallows this edit.

    if (s.finding.wrapper) {
      const w = wrapperOf.get(s)!;
      const call = a.expr as ts.CallExpression;
      const arg = call.arguments[w.pageArg]!;
      if (!k.desc) { rw.renameInPlace(s, k, w); inlined.add(s); continue; }
      if (ent && ent.label && ent.label !== k) continue;
      rw.inlineWrapper(s, w, k);
      inlined.add(s);
      if (!(ent && ent.label === k)) receiver(rw, ctx, det.sites, arg, k, ent);
      continue;
    }
    if (tsv.isCallExpression(a.expr) && a.access === 'reference' && a.receiver === a.expr) {
      // container_of: with a flow it was converted by its edge; a descriptor-less kind renames in place.
      if (!k.desc) rw.renameField(s, k);
      continue;
    }
    if (!k.desc) { rw.renameField(s, k); continue; }
    const isPattern = tsv.isBindingElement(a.expr) || tsv.isPropertyAssignment(a.expr) || tsv.isShorthandPropertyAssignment(a.expr);
    if (isPattern) {
      const pat = a.expr.parent;
      rw.renameField(s, k);
      if (doneDestructure.has(pat)) continue;
      doneDestructure.add(pat);
      if (ent ? ent.label !== k : a.receiver) receiver(rw, ctx, det.sites, a.receiver!, k, ent);
      continue;
    }
    if (ent) {
      if (ent.label !== k) rw.wrapFrom(a.receiver!, k, ent);
      rw.renameField(s, k);
      continue;
    }
    receiver(rw, ctx, det.sites, a.receiver!, k, undefined);
    rw.renameField(s, k);
  }
  // Containers with no flow and no field on them: convert, and give back a page.
  for (const s of sites) {
    if (siteProblem(s) || rw.converted.has(s)) continue;
    const a = s.access;
    const k = byName.get(s.finding.kind)!;
    if (!(tsv.isCallExpression(a.expr) && a.access === 'reference' && a.receiver === a.expr) || !k.desc) continue;
    rw.convertContainer(s, k);
    const shape = containerShape(ctx, a.expr);
    if (shape === 'array') {
      const tp = rw.toPage(k);
      rw.appendMap(a.expr, tp, k.variable);
    } else rw.wrapTo(a.expr, k);
  }
  // Generic members on converted entities.
  for (const e of g.entities) if (e.label) for (const m of e.memberUses) rw.wrapTo(m, e.label, e);
  // Read wrappers passed as callbacks over elements the code decides: inlined for the kind.
  const valueInlines = wrapperValueInlines(det, new Map(kinds.map((k) => [k.name, k] as const)), (kind, node) => {
    const file = ctx.rel(node.getSourceFile());
    const names = enclosingFunctionNames(node);
    return inOnly(file, names) && inKindScope(kind, file, names);
  });
  for (const v of valueInlines) rw.replaceValue(v.node, v.text, v.kind);
  rw.flush(fnNames);

  // Which kinds were used: scaffold them.
  const used = kinds.filter((k) => [...rw.converted].some((s) => s.finding.kind === k.name) || g.entities.some((e) => e.label === k) ||
    valueInlines.some((v) => v.kind === k) || !!opts.scaffold?.includes(k.name));
  const sc = scaffold(ctx, modPlan, used, edits, rw.imports);
  report.created = sc.created;
  if (opts.retire !== false) report.retired = retire(ctx, det, rw.converted, inlined, edits, new Set(valueInlines.map((v) => v.node)));

  edits.finishTables();

  // Report.
  for (const s of rw.converted) if (!bodySites.has(s)) report.converted[s.finding.kind] = (report.converted[s.finding.kind] ?? 0) + 1;
  for (const v of valueInlines) report.converted[v.kind.name] = (report.converted[v.kind.name] ?? 0) + 1;
  for (const s of det.sites) {
    if (s.finding.converted || rw.converted.has(s)) continue;
    const why = siteProblem(s);
    if (why === 'kind not selected') continue;
    const ent = g.siteEntity.get(s);
    report.skipped.push({ file: s.finding.file, line: s.finding.line, column: s.finding.column, kind: s.finding.kind, field: s.finding.field,
      reason: why ?? (ent?.blocked ? `\`${ent.name}\`: ${ent.blocked}` : 'not converted') });
  }
  // What the analyzer could not decide (computed keys, untyped receivers, unparsable files).
  // A wrapper used as a value whose own read this run converted leaves nothing raw behind it.
  const doneAccesses = new Set([...rw.converted].map((s) => s.access));
  const bodyDone = new Set(det.wrappers.filter((w) => {
    const body = det.wrapperBodies.filter((a) => enclosingFn(a.expr) === w.fn);
    return body.length > 0 && body.every((a) => doneAccesses.has(a));
  }).map((w) => w.name));
  const replaced = new Set<ts.Node>(valueInlines.map((v) => v.node));
  const resolved = new Set(det.rawResidue.filter((r) => /used as a value/.test(r.reason) && (bodyDone.has(r.node.getText()) || replaced.has(r.node)))
    .map((r) => { const s = ctx.site(r.sf, r.node); return `${s.file}:${s.line}:${s.column}`; }));
  for (const r of det.result.residue) {
    if (resolved.has(`${r.file}:${r.line}:${r.column}`)) continue;
    report.skipped.push({ file: r.file, line: r.line, column: r.column, kind: 'residue', field: r.field ?? '', reason: r.reason });
  }
  report.skipped.sort(compareSites);
  report.functions.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line));

  // Imports are settled on each file's final text: what it now uses is imported, what it no
  // longer uses goes (noUnusedLocals), type-only where the project wants it.
  const changes: FileChange[] = [];
  const preferTypeImports = prefersTypeImports(program);
  const { resolve, fixer } = memo;
  // The program's options: each text is parsed once for planning and for the overlay that checks it.
  const options = program.getCompilerOptions();
  // New strings are quoted as the file quotes; in a file without strings, as the project does.
  let projectQuoteMemo: Quote | undefined | null = null;
  const quote = (): Quote | undefined => (projectQuoteMemo === null ? (projectQuoteMemo = projectQuote(program)) : projectQuoteMemo);
  const fixImports = (inp: Parameters<ImportFixer['fix']>[0]): string => fixer.fix({ ...inp, options, quote });
  for (const file of new Set([...edits.files.keys(), ...rw.imports.keys()])) {
    const fe = edits.files.get(file);
    const sf = program.getSourceFile(file);
    if (!sf || sc.newFiles.has(file)) continue;
    const applied = fe && fe.size > 0 ? fe.apply(sf.text, quote) : sf.text;
    if (applied === sf.text && !rw.imports.has(file)) continue;
    const after = fixImports({ fileName: file, before: sf.text, after: applied, needed: rw.imports.get(file), preferTypeImports, root, resolve });
    if (after !== sf.text) changes.push({ file, before: sf.text, after });
  }
  for (const [file, text] of sc.newFiles) {
    changes.push({ file, before: null, after: fixImports({ fileName: file, before: null, after: text, needed: rw.imports.get(file), preferTypeImports, root, resolve }) });
  }
  changes.sort((a, b) => (a.file < b.file ? -1 : 1));
  // An import the conversion adds must not close a loop of modules: it can break loading.
  memo.imports ??= new ImportGraph(ctx.files, !preferTypeImports, resolve, options);
  const cycles = memo.imports.newCycles(new Map(changes.map((c) => [c.file, c.after] as const)));
  if (cycles.length > 0) {
    const c = cycles[0]!;
    const r = (f: string) => relative(root, f).split('\\').join('/');
    throw new InputError(`the conversion would make ${r(c.from)} import ${r(c.to)}, which imports it back (${c.back.map(r).join(' -> ')}): ` +
      'place the descriptor classes and their converters in a module neither imports (descriptor.placement in the spec); nothing was written');
  }
  return { root, changes, report };
}

function wrapperFor(ctx: AnalysisContext, defs: WrapperDef[], s: SiteDetail): WrapperDef | undefined {
  const call = s.access.expr as ts.CallExpression;
  const callee = skipOuter(call.expression);
  const sym = ctx.symbolOf(tsv.isPropertyAccessExpression(callee) ? callee.name : callee);
  return defs.find((d) => sym?.declarations?.some((x) => x === d.fn || (tsv.isVariableDeclaration(x) && x.initializer && skipOuter(x.initializer) === d.fn)));
}

function paramEntity(g: FlowGraph, w: WrapperDef): Entity | undefined {
  return g.entities.find((e) => e.role === 'param' && e.fn === w.fn && (e.decl as ts.ParameterDeclaration).parent.parameters.indexOf(e.decl as ts.ParameterDeclaration) === w.pageArg);
}

/** A page expression that is no entity, used as a kind-k descriptor: convert it in place. */
function receiver(rw: Rewriter, ctx: AnalysisContext, sites: SiteDetail[], r0: ts.Expression, k: KindPlan, ent: Entity | undefined): void {
  if (ent) { rw.wrapFrom(r0, k, ent); return; }
  const r = skipOuter(r0);
  if (tsv.isCallExpression(r)) {
    const cs = sites.find((s) => s.access.expr === r && s.access.receiver === r && s.access.access === 'reference' && !s.finding.wrapper);
    if (cs && cs.finding.kind === k.name) {
      if (!rw.containerHandled(cs)) rw.convertContainer(cs, k);
      return;
    }
    if (rw.addressCall(r, k)) return;
  }
  if (tsv.isNewExpression(r) && ctx.isPageClassRef(r.expression)) {
    rw.ctorCall(r, k);
    return;
  }
  rw.wrapFrom(r0, k);
}

function containerShape(ctx: AnalysisContext, call: ts.CallExpression): 'single' | 'array' {
  const t = ctx.checker.getTypeAtLocation(call);
  return ctx.checker.isArrayType(t) ? 'array' : 'single';
}

function describe(ctx: AnalysisContext, e: Entity): ConvertedFunction {
  const site = ctx.site(e.sf, e.fn);
  const fn = fnName(e.fn) ?? '(anonymous)';
  const was = e.typeNode ? e.typeNode.getText(e.sf) : ctx.spec.page.class;
  const change = e.role === 'return' ? `returns ${e.label!.desc}` : `${e.name}: ${was} -> ${e.rename ?? e.name}: ${e.label!.desc}`;
  return { function: fn, file: site.file, line: site.line, change };
}

/** `--only` must name a project file (project-relative) or a function declared in one: a typo converts nothing silently otherwise. */
export function checkOnly(files: readonly ts.SourceFile[], rel: (sf: ts.SourceFile) => string, only: string): void {
  const o = only.replace(/^\.\//, '');
  if (files.some((sf) => rel(sf) === o)) return;
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (isFunctionLike(n) && functionName(n) === o) { found = true; return; }
    tsv.forEachChild(n, visit);
  };
  for (const sf of files) { visit(sf); if (found) return; }
  throw new UsageError(`--only ${only}: no project file (path relative to the project) or function of that name`);
}
