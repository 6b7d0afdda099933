/**
 * analyze: load -> find -> wrappers -> classify -> result. All type queries happen here,
 * before any report is produced.
 */
import type { Project } from 'ts-morph';
import { UsageError } from '../errors.ts';
import { compareSites, summarize, type AnalysisResult, type Finding, type Residue } from '../model/findings.ts';
import { ts } from '@ts-morph/common';
import { tsv } from './tsValues.ts';
import { reverseFieldMap, UNKNOWN_KIND, type Spec } from '../model/spec.ts';
import { enclosingFunctionNames } from './ast.ts';
import { Classifier, wrapperValueKind, type Classification } from './classifier.ts';
import { AnalysisContext } from './context.ts';
import { findAccesses, residueDetail, type RawAccess, type RawResidue } from './finder.ts';
import { Guards } from './guards.ts';
import { importClosure } from './imports.ts';
import { kindsMapping, ownersOf } from './owners.ts';
import { loadProgram, programOf } from './project.ts';
import type { DataFlow } from './dataflow.ts';
import { ALL_FILES_DEP, flattenDeps, Provenance, type Deps, type Hop } from './provenance.ts';
import { ValueUses } from './valueuse.ts';
import { discoverWrappers, type WrapperDef } from './wrappers.ts';

export interface AnalyzeOptions {
  spec: Spec;
  /** Only findings of these kinds ("unknown" allowed). */
  kinds?: string[];
  /** Only findings on these raw fields. */
  fields?: string[];
  /** Root shown in the result (defaults to the project root). */
  displayRoot?: string;
  /**
   * Incremental analysis (memdesc track): findings and residue only in these files (absolute
   * file names). Type queries stay within them, the files they import, and what provenance
   * follows from them; the result equals the full analysis restricted to these files.
   */
  onlyFiles?: ReadonlySet<string>;
  /**
   * memdesc track: `callerDeps` also name the function bodies each file's classification looked
   * into (`body:REL#NAME`, provenance.ts BODY_DEP), not only the callers it read.
   */
  readBodies?: boolean;
  /**
   * memdesc track: this program's context and mark pass, made once per commit (track/marks.ts)
   * and shared by its analyses (their memoized answers replay what they read).
   */
  reuse?: { ctx: AnalysisContext; flow: DataFlow };
  /**
   * npm run bench: filled with the process's CPU milliseconds (user + system) spent in each pass
   * (context, find, wrappers, marks, classify, value use, result), in that order.
   */
  phases?: Map<string, number>;
}

/** CPU laps of the passes into `phases` (nothing measured when absent). */
function lapper(phases: Map<string, number> | undefined): (pass: string) => void {
  if (!phases) return () => {};
  let last = process.cpuUsage();
  return (pass) => {
    const d = process.cpuUsage(last);
    last = process.cpuUsage();
    phases.set(pass, (phases.get(pass) ?? 0) + (d.user + d.system) / 1000);
  };
}

/** Check --kind / --field values against the spec before any work (UsageError). */
export function checkFilters(opts: AnalyzeOptions): void {
  const known = [...opts.spec.kinds.map((k) => k.name), UNKNOWN_KIND];
  for (const k of opts.kinds ?? []) {
    if (!known.includes(k)) throw new UsageError(`unknown kind '${k}' (known: ${known.join(', ')})`);
  }
  const fields = opts.spec.page.fields.filter((f) => f.track !== 'never').map((f) => f.name);
  for (const f of opts.fields ?? []) {
    if (!fields.includes(f)) throw new UsageError(`unknown field '${f}' (tracked: ${fields.join(', ')})`);
  }
}

/** Analyze the TypeScript project at `path` (a directory with tsconfig.json, or the tsconfig). */
export function analyzePath(path: string, opts: AnalyzeOptions): AnalysisResult {
  checkFilters(opts);
  // The analysis reads no JSDoc node: parse JSDoc only as far as types need (as tsc does).
  const { program, root } = loadProgram(path, { jsDocForTypesOnly: true });
  return analyzeProgram(program, root, opts);
}

/** Analyze a ts-morph project (e.g. one a conversion pass is about to edit). */
export function analyzeProject(project: Project, root: string, opts: AnalyzeOptions): AnalysisResult {
  return analyzeProgram(programOf(project), root, opts);
}

export function analyzeProgram(program: ts.Program, root: string, opts: AnalyzeOptions): AnalysisResult {
  return filterResult(analyzeDetailed(program, root, opts).result, opts);
}

/** One finding together with the syntax it came from (for passes that edit, e.g. the converter). */
export interface SiteDetail {
  finding: Finding;
  access: RawAccess;
  /** The evidence hop by hop, with locations (`analyze --explain`; absent on sites other passes make). */
  chain?: Hop[];
}

/**
 * Everything analyzeProgram() knows, unfiltered: the result plus the AST behind each finding,
 * the wrappers (with their definitions), the raw accesses inside wrapper bodies (which are
 * definitions, not findings) and a classifier for them. Additive API for the converter.
 */
export interface DetailedAnalysis {
  result: AnalysisResult;
  ctx: AnalysisContext;
  sites: SiteDetail[];
  wrappers: WrapperDef[];
  /** Raw accesses inside wrapper bodies. */
  wrapperBodies: RawAccess[];
  /** Every raw access the finder saw (findings, wrapper bodies, accesses outside owner code). */
  allAccesses: RawAccess[];
  /** Unfiltered residue with its nodes. */
  rawResidue: RawResidue[];
  /** Every call in the analyzed files by callee name. */
  calls: Map<string, ts.CallExpression[]>;
  /** Files with syntax errors. */
  broken: Set<ts.SourceFile>;
  /**
   * Per file: names of the functions whose call sites were read to classify its findings
   * (parameter provenance). With its imports, all a file's result depends on (memdesc track).
   */
  callerDeps: Map<ts.SourceFile, Set<string>>;
  classify(a: RawAccess): Classification;
}

export function analyzeDetailed(program: ts.Program, root: string, opts: AnalyzeOptions): DetailedAnalysis {
  checkFilters(opts);
  const lap = lapper(opts.phases);
  const ctx = opts.reuse?.ctx ?? new AnalysisContext(opts.spec, program, root);
  lap('context');
  const only = opts.onlyFiles ? new Set(ctx.files.filter((sf) => opts.onlyFiles!.has(sf.fileName))) : undefined;
  // Wrappers the selected files call are defined in what they import: find accesses there too.
  const found = findAccesses(ctx, only && importClosure(program, only), only);
  lap('find');
  const wr = discoverWrappers(ctx, found, only);
  lap('wrappers');
  const guards = new Guards(ctx);
  const prov = new Provenance(ctx, guards, found.calls, found.functions, !!opts.readBodies, opts.reuse?.flow);
  const classifier = new Classifier(ctx, guards, prov);
  lap('marks');

  const findings: Finding[] = [];
  const sites: SiteDetail[] = [];
  const callerDeps = new Map<ts.SourceFile, Set<string>>();
  for (const [sf, names] of wr.callerDeps) if (!only || only.has(sf)) callerDeps.set(sf, new Set(names));
  const classified: Array<{ a: RawAccess; c: Classification }> = [];
  // Dependency sets are shared between queries: each walked once per file.
  const seenDeps = new Map<ts.SourceFile, Set<Deps>>();
  for (const a of wr.accesses) {
    if (only && !only.has(a.sf)) continue;
    const names = enclosingFunctionNames(a.expr);
    if (names[0]) a.function = names[0];
    const field = ctx.fields.get(a.field);
    if (!a.converted) markDescriptorImplementation(ctx, a);
    const { value: c, callers } = prov.traceCallers(() => classifier.classify(a));
    if (field?.track === 'owners' && !a.converted) {
      // Tracked only where a kind that maps this field owns the code, or the code decides the
      // access is such a kind's (page_type's low bits: zsmalloc's, wherever the code says so).
      const mapping = kindsMapping(opts.spec.kinds, a.field);
      const byCode = mapping.has(c.kind) && c.confidence !== 'owner-hint' && c.confidence !== 'unknown';
      if (!byCode && !ownersOf(ctx, a.sf, a.expr).some((h) => mapping.has(h.kind))) continue;
    }
    if (callers.size > 0) {
      const deps = callerDeps.get(a.sf) ?? new Set<string>();
      let seen = seenDeps.get(a.sf);
      if (!seen) seenDeps.set(a.sf, seen = new Set());
      flattenDeps(callers, deps, seen);
      callerDeps.set(a.sf, deps);
    }
    classified.push({ a, c });
  }
  // Value use: sites the code left open take the kind their value's uses agree on elsewhere.
  // Value use learns from every decided site: what it decides depends on every file (memdesc track).
  lap('classify');
  for (const a of new ValueUses(ctx).apply(classified)) {
    const deps = callerDeps.get(a.sf) ?? new Set<string>();
    deps.add(ALL_FILES_DEP);
    callerDeps.set(a.sf, deps);
  }
  lap('value use');
  for (const { a, c } of classified) {
    const s = ctx.site(a.sf, a.node);
    const finding: Finding = {
      ...s, field: a.field, access: a.access, kind: c.kind, evidence: c.evidence, confidence: c.confidence, converted: !!a.converted,
      receiver: a.receiverText,
      ...(a.function ? { function: a.function } : {}),
      ...(a.wrapper ? { wrapper: a.wrapper, wrapperAccess: a.wrapperAccess! } : {}),
      ...(a.converted ? { descriptorField: a.converted.descriptorField } : {}),
    };
    findings.push(finding);
    sites.push({ finding, access: a, chain: c.chain });
  }
  const rawResidue = [...found.residue, ...wr.residue].filter((r) => !only || only.has(r.sf));
  const residue: Residue[] = rawResidue.map((r: RawResidue) => ({
    ...ctx.site(r.sf, r.node), reason: r.reason, ...residueDetail(r), ...wrapperValueKind(classifier, r, wr.wrappers),
  }));
  findings.sort(compareSites);
  residue.sort(compareSites);
  sites.sort((x, y) => compareSites(x.finding, y.finding));
  const wrappers = wr.info.sort(compareSites);
  const result: AnalysisResult = {
    version: 1,
    root: opts.displayRoot ?? root,
    spec: opts.spec.name,
    findings,
    residue,
    wrappers,
    summary: summarize(opts.spec, findings, residue, wrappers, ctx.files.length),
  };
  lap('result');
  const kept = new Set(wr.accesses);
  const wrapperBodies = found.accesses.filter((a) => !kept.has(a) && !a.converted);
  return {
    result, ctx, sites, wrappers: wr.wrappers, wrapperBodies, allAccesses: found.accesses, rawResidue, calls: found.calls, broken: found.broken, callerDeps,
    classify: (a) => classifier.classify(a),
  };
}

/**
 * A raw access inside the descriptor class itself (its accessors overlaying page words) is the
 * kind's converted layer, not a remaining raw access.
 */
function markDescriptorImplementation(ctx: AnalysisContext, a: RawAccess): void {
  for (let p = a.expr.parent; p; p = p.parent) {
    if (!tsv.isClassDeclaration(p)) continue;
    const kind = ctx.descDecls.get(p);
    if (!kind) return;
    let member: string | undefined;
    for (let q: ts.Node | undefined = a.expr.parent; q && q !== p; q = q.parent) {
      if (tsv.isClassElement(q) && q.name && tsv.isIdentifier(q.name)) member = q.name.text;
    }
    const rev = reverseFieldMap(kind);
    const descriptorField = member && rev.get(member) === a.field ? member : a.field;
    a.converted = { kind, descriptorField, className: p.name?.text ?? kind.descriptor!.class, implementation: true };
    return;
  }
}

/** Apply --kind / --field to a result (the summary is recomputed over what is kept). */
export function filterResult(r: AnalysisResult, opts: AnalyzeOptions): AnalysisResult {
  if (!opts.kinds?.length && !opts.fields?.length) return r;
  let findings = r.findings;
  let residue = r.residue;
  if (opts.kinds?.length) findings = findings.filter((f) => opts.kinds!.includes(f.kind));
  if (opts.fields?.length) {
    findings = findings.filter((f) => opts.fields!.includes(f.field));
    residue = residue.filter((x) => !x.field || opts.fields!.includes(x.field));
  }
  const summary = summarize(opts.spec, findings, residue, r.wrappers, r.summary.files);
  if (opts.kinds?.length) {
    for (const k of Object.keys(summary.byKind)) if (!opts.kinds.includes(k)) delete summary.byKind[k];
  }
  return { ...r, findings, residue, summary };
}
