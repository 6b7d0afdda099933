/**
 * What a series converts one patch at a time: per kind, the top-level functions whose code the
 * one-shot conversion touches (a site of that kind inside them, or a parameter or return it
 * retypes), grouped where they call each other (a call cycle changes together) and ordered
 * callees before callers, the way kernel series convert leaves first. Sites outside any named
 * function are one unit per file. Everything comes from the analyzer and the converter's report.
 */
import { ts } from '@ts-morph/common';
import type { DetailedAnalysis } from '../analyzers/analyze.ts';
import { enclosingFunctionNames, calleeName, typeReferenceNames } from '../analyzers/ast.ts';
import type { ConvertReport } from '../rewrite/plan.ts';
import type { KindPlan } from '../rewrite/kinds.ts';

export interface Unit {
  kind: string;
  /** Scope entries for the converter: function names, or a project-relative file. */
  names: string[];
  /** Files the unit's functions live in (project-relative), for the subject prefix. */
  files: string[];
  /** Functions the one-shot retypes among `names` ("page: Page -> slab: Slab"). */
  retyped: string[];
  /**
   * Some function of the unit takes or returns the page class and the conversion retypes none
   * of its parameters or its return: only its body moves to the descriptor.
   */
  keepsPage: boolean;
  /** The raw accesses of this kind in the unit, with the analyzer's first piece of evidence. */
  sites: UnitSite[];
}

export interface UnitSite {
  file: string;
  line: number;
  field: string;
  access: string;
  evidence: string;
}

interface FnInfo {
  name: string;
  file: string;
  /** Position in the program, for deterministic order. */
  order: number;
  callees: Set<string>;
  /** Type names its parameters and return type refer to. */
  signatureTypes: Set<string>;
}

/** Top-level functions (declarations and `const f = () => …`) and the names they call. */
function functionTable(det: DetailedAnalysis): Map<string, FnInfo> {
  const ctx = det.ctx;
  const table = new Map<string, FnInfo>();
  let order = 0;
  for (const sf of ctx.files) {
    for (const st of sf.statements) {
      const decls: Array<[string, ts.Node, ts.SignatureDeclarationBase]> = [];
      if (ts.isFunctionDeclaration(st) && st.name && st.body) decls.push([st.name.text, st.body, st]);
      else if (ts.isVariableStatement(st)) {
        for (const d of st.declarationList.declarations) {
          if (ts.isIdentifier(d.name) && d.initializer && (ts.isArrowFunction(d.initializer) || ts.isFunctionExpression(d.initializer))) decls.push([d.name.text, d.initializer, d.initializer]);
        }
      }
      for (const [name, body, sig] of decls) {
        const signatureTypes = new Set<string>();
        for (const p of sig.parameters) typeReferenceNames(p.type, signatureTypes);
        typeReferenceNames(sig.type, signatureTypes);
        const callees = new Set<string>();
        const visit = (n: ts.Node): void => {
          if (ts.isCallExpression(n)) { const c = calleeName(n); if (c) callees.add(c); }
          ts.forEachChild(n, visit);
        };
        visit(body);
        const prev = table.get(name);
        if (prev) {
          for (const c of callees) prev.callees.add(c);
          for (const t of signatureTypes) prev.signatureTypes.add(t);
        } else table.set(name, { name, file: ctx.rel(sf), order: order++, callees, signatureTypes });
      }
    }
  }
  return table;
}

/** Strongly connected components in reverse topological order (callees first), Tarjan. */
function sccs(nodes: string[], edges: (n: string) => string[]): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  let i = 0;
  const strong = (v: string): void => {
    index.set(v, i); low.set(v, i); i++;
    stack.push(v); on.add(v);
    for (const w of edges(v)) {
      if (!index.has(w)) { strong(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); }
      else if (on.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const c: string[] = [];
      let w: string;
      do { w = stack.pop()!; on.delete(w); c.push(w); } while (w !== v);
      out.push(c);
    }
  };
  for (const n of nodes) if (!index.has(n)) strong(n);
  return out;
}

/**
 * The units of each kind, callees first. `report` is the one-shot conversion's report (which
 * functions it retypes, which sites it leaves), `det` the analysis of the base tree.
 */
export function planUnits(det: DetailedAnalysis, kinds: KindPlan[], report: ConvertReport): Map<string, Unit[]> {
  const table = functionTable(det);
  const pageClass = det.ctx.spec.page.class;
  const skipped = new Set(report.skipped.map((s) => `${s.file}:${s.line}:${s.column}`));
  const byDesc = new Map(kinds.filter((k) => k.desc).map((k) => [k.desc!, k.name] as const));
  const selected = new Set(kinds.map((k) => k.name));
  // kind -> function name (or file) -> files
  const touched = new Map<string, Map<string, Set<string>>>();
  const siteList = new Map<string, UnitSite[]>();
  const retyped = new Map<string, Map<string, string[]>>();
  const touch = (kind: string, key: string, file: string): void => {
    let m = touched.get(kind);
    if (!m) touched.set(kind, (m = new Map()));
    let s = m.get(key);
    if (!s) m.set(key, (s = new Set()));
    s.add(file);
  };
  for (const s of det.sites) {
    const f = s.finding;
    if (f.converted || !selected.has(f.kind) || skipped.has(`${f.file}:${f.line}:${f.column}`)) continue;
    const names = enclosingFunctionNames(s.access.expr);
    const top = names.find((n) => table.has(n) && table.get(n)!.file === f.file) ?? names[names.length - 1];
    touch(f.kind, top ?? f.file, f.file);
    const key = `${f.kind}\0${top ?? f.file}`;
    siteList.set(key, [...(siteList.get(key) ?? []), { file: f.file, line: f.line, field: f.field, access: f.access, evidence: f.evidence[0] ?? '' }]);
  }
  for (const fn of report.functions) {
    const desc = /(?:returns |-> \S+: )(\w+)$/.exec(fn.change)?.[1];
    const kind = desc && byDesc.get(desc);
    if (!kind || !selected.has(kind)) continue;
    touch(kind, fn.function, fn.file);
    let m = retyped.get(kind);
    if (!m) retyped.set(kind, (m = new Map()));
    m.set(fn.function, [...(m.get(fn.function) ?? []), `${fn.function}(): ${fn.change}`]);
  }

  const out = new Map<string, Unit[]>();
  for (const k of kinds) {
    const keys = touched.get(k.name);
    if (!keys) continue;
    const fns = [...keys.keys()].filter((n) => table.has(n));
    const files = [...keys.keys()].filter((n) => !table.has(n));
    // Call graph among this kind's functions, through any functions in between.
    const reach = new Map<string, string[]>();
    const members = new Set(fns);
    for (const f of fns) {
      const seen = new Set<string>();
      const hits = new Set<string>();
      const stack = [...table.get(f)!.callees];
      while (stack.length) {
        const c = stack.pop()!;
        if (seen.has(c) || !table.has(c)) continue;
        seen.add(c);
        if (members.has(c)) { if (c !== f) hits.add(c); continue; }
        stack.push(...table.get(c)!.callees);
      }
      reach.set(f, [...hits].sort((a, b) => table.get(a)!.order - table.get(b)!.order));
    }
    const sorted = fns.sort((a, b) => table.get(a)!.order - table.get(b)!.order);
    const units: Unit[] = sccs(sorted, (n) => reach.get(n) ?? []).map((c) => {
      const names = c.sort((a, b) => table.get(a)!.order - table.get(b)!.order);
      return {
        kind: k.name, names,
        files: [...new Set(names.flatMap((n) => [...keys.get(n)!]))].sort(),
        retyped: names.flatMap((n) => retyped.get(k.name)?.get(n) ?? []),
        keepsPage: names.some((n) => table.get(n)!.signatureTypes.has(pageClass) && !retyped.get(k.name)?.has(n)),
        sites: names.flatMap((n) => siteList.get(`${k.name}\0${n}`) ?? []),
      };
    });
    // Top-level code is keyed by its file; a method (not in the table of top-level functions) by
    // its name: its files are where its sites are, never the name itself (a subject prefix "active:").
    for (const f of files.sort()) units.push({ kind: k.name, names: [f], files: [...keys.get(f)!].sort(), retyped: [], keepsPage: false, sites: siteList.get(`${k.name}\0${f}`) ?? [] });
    out.set(k.name, units);
  }
  return out;
}
