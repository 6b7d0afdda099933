/**
 * What a series converts one patch at a time: per kind, the top-level functions whose code the
 * one-shot conversion touches (a site of that kind inside them, or a parameter or return it
 * retypes), grouped where they call each other (a call cycle changes together) and ordered
 * callees before callers, the way kernel series convert leaves first. Sites outside any named
 * function are one unit per file. Everything comes from the analyzer and the converter's report.
 */
import { ts } from '@ts-morph/common';
import type { DetailedAnalysis } from '../analyzers/analyze.ts';
import { enclosingFunctionNames, skipOuter, typeReferenceNames } from '../analyzers/ast.ts';
import type { ConvertReport } from '../rewrite/plan.ts';
import type { KindPlan } from '../rewrite/kinds.ts';

export interface Unit {
  kind: string;
  /** What the unit converts, as messages name it: function names, or a project-relative file. */
  names: string[];
  /**
   * Scope entries for the converter, one per name: `FILE#NAME` for a function (its declaration:
   * same-named static helpers of two files are two units), or a project-relative file.
   */
  scope: string[];
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
  /** Keys of the top-level functions it calls (by the declaration each call resolves to). */
  callees: Set<string>;
  /** Type names its parameters and return type refer to. */
  signatureTypes: Set<string>;
}

/** A function's key: its file and name (`mm/slub.ts#setup`), one per declaration. */
export function functionKey(file: string, name: string): string {
  return `${file}#${name}`;
}

/** The name part of a function key (the key itself for a file). */
function nameOfKey(key: string): string {
  const i = key.lastIndexOf('#');
  return i < 0 ? key : key.slice(i + 1);
}

/**
 * Top-level functions (declarations and `const f = () => …`) by declaration (file + name), and
 * the ones each calls: a call's callee resolved by symbol (import aliases, re-exports and
 * namespaces followed), so a call of a file's own static helper is that helper, never a
 * same-named one elsewhere; a call through an ops table reaches the functions stored in it.
 */
function functionTable(det: DetailedAnalysis): Map<string, FnInfo> {
  const ctx = det.ctx;
  const table = new Map<string, FnInfo>();
  const keyOf = new Map<ts.Node, string>();
  const bodies: Array<[string, ts.Node]> = [];
  let order = 0;
  for (const sf of ctx.files) {
    const file = ctx.rel(sf);
    for (const st of sf.statements) {
      const decls: Array<[string, ts.Node, ts.Node, ts.SignatureDeclarationBase]> = [];
      if (ts.isFunctionDeclaration(st) && st.name && st.body) decls.push([st.name.text, st, st.body, st]);
      else if (ts.isVariableStatement(st)) {
        for (const d of st.declarationList.declarations) {
          if (ts.isIdentifier(d.name) && d.initializer && (ts.isArrowFunction(d.initializer) || ts.isFunctionExpression(d.initializer))) decls.push([d.name.text, d, d.initializer, d.initializer]);
        }
      }
      for (const [name, decl, body, sig] of decls) {
        const key = functionKey(file, name);
        keyOf.set(decl, key);
        const signatureTypes = new Set<string>();
        for (const p of sig.parameters) typeReferenceNames(p.type, signatureTypes);
        typeReferenceNames(sig.type, signatureTypes);
        const prev = table.get(key);
        // Overloads and a redeclared name in one file are one function.
        if (prev) for (const t of signatureTypes) prev.signatureTypes.add(t);
        else table.set(key, { name, file, order: order++, callees: new Set(), signatureTypes });
        bodies.push([key, body]);
      }
    }
  }
  const declared = new Set([...table.values()].map((f) => f.name));
  const ops = opsMembers(ctx, keyOf);
  for (const [key, body] of bodies) {
    const callees = table.get(key)!.callees;
    const visit = (n: ts.Node): void => {
      if (ts.isCallExpression(n)) {
        const c = calleeKey(ctx, n, keyOf, declared);
        if (c) callees.add(c);
        else for (const k of opsCallees(ctx, n, ops)) callees.add(k);
      }
      ts.forEachChild(n, visit);
    };
    visit(body);
  }
  return table;
}

interface OpsMembers {
  /** Member declaration (an ops type's, or an object literal's own) -> the functions stored as it. */
  byDecl: Map<ts.Node, Set<string>>;
  /** Their names: only a member call spelled so is resolved. */
  names: Set<string>;
}

/**
 * The kernel's ops tables: object literals holding top-level functions (`{ do_swap_page,
 * swap_duplicate: sd }`), each member tied to the declaration it implements in the literal's
 * declared type (`SwapOps.do_swap_page`) and to the literal's own, so that a call through the
 * table (`swap_ops.do_swap_page(vmf)`) reaches the functions stored there.
 */
function opsMembers(ctx: DetailedAnalysis['ctx'], keyOf: Map<ts.Node, string>): OpsMembers {
  const out: OpsMembers = { byDecl: new Map(), names: new Set() };
  const checker = ctx.checker;
  const add = (decl: ts.Node, key: string, name: string): void => {
    let set = out.byDecl.get(decl);
    if (!set) out.byDecl.set(decl, set = new Set());
    set.add(key);
    out.names.add(name);
  };
  for (const sf of ctx.files) {
    const visit = (n: ts.Node): void => {
      if (ts.isObjectLiteralExpression(n)) {
        for (const p of n.properties) {
          if (!p.name || !ts.isIdentifier(p.name)) continue;
          const value = ts.isShorthandPropertyAssignment(p) ? checker.getShorthandAssignmentValueSymbol(p)
            : ts.isPropertyAssignment(p) && ts.isIdentifier(skipOuter(p.initializer)) ? ctx.symbolOf(skipOuter(p.initializer)) : undefined;
          const key = value?.declarations?.map((d) => keyOf.get(d)).find((k) => !!k);
          if (!key) continue;
          add(p, key, p.name.text);
          const type = checker.getContextualType(n);
          const member = type && checker.getPropertyOfType(type, p.name.text);
          for (const d of member?.declarations ?? []) if (d !== p) add(d, key, p.name.text);
        }
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }
  return out;
}

/** The functions a member call through an ops table may reach (none for any other call). */
function opsCallees(ctx: DetailedAnalysis['ctx'], call: ts.CallExpression, ops: OpsMembers): Set<string> {
  const callee = skipOuter(call.expression);
  if (!ts.isPropertyAccessExpression(callee) || !ops.names.has(callee.name.text)) return new Set();
  const out = new Set<string>();
  for (const d of ctx.symbolOf(callee.name)?.declarations ?? []) for (const k of ops.byDecl.get(d) ?? []) out.add(k);
  return out;
}

/**
 * The key of the top-level function a call resolves to, else undefined. A plain name is resolved
 * by the binder's scopes (context.ts symbolOf); a member call only through a namespace import
 * whose member is spelled like a top-level function (any other `x.f()` is a method).
 */
function calleeKey(ctx: DetailedAnalysis['ctx'], call: ts.CallExpression, keyOf: Map<ts.Node, string>, declared: Set<string>): string | undefined {
  const callee = skipOuter(call.expression);
  let id: ts.Node | undefined;
  if (ts.isIdentifier(callee)) id = callee;
  else if (ts.isPropertyAccessExpression(callee) && declared.has(callee.name.text)) {
    const obj = skipOuter(callee.expression);
    const target = ts.isIdentifier(obj) ? ctx.symbolOf(obj) : undefined;
    if (target && target.flags & ts.SymbolFlags.ValueModule) id = callee.name;
  }
  const sym = id && ctx.symbolOf(id);
  for (const d of sym?.declarations ?? []) {
    const k = keyOf.get(d);
    if (k) return k;
  }
  return undefined;
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
  // kind -> key (a function's FILE#NAME, or a file for top-level code) -> files
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
    // The top-level function of its own file holding the site, else its outermost function, else its file.
    const top = names.map((n) => functionKey(f.file, n)).find((k) => table.has(k)) ?? (names.length > 0 ? functionKey(f.file, names[names.length - 1]!) : f.file);
    touch(f.kind, top, f.file);
    const key = `${f.kind}\0${top}`;
    siteList.set(key, [...(siteList.get(key) ?? []), { file: f.file, line: f.line, field: f.field, access: f.access, evidence: f.evidence[0] ?? '' }]);
  }
  for (const fn of report.functions) {
    const desc = /(?:returns |-> \S+: )(\w+)$/.exec(fn.change)?.[1];
    const kind = desc && byDesc.get(desc);
    if (!kind || !selected.has(kind)) continue;
    const key = functionKey(fn.file, fn.function);
    touch(kind, key, fn.file);
    let m = retyped.get(kind);
    if (!m) retyped.set(kind, (m = new Map()));
    m.set(key, [...(m.get(key) ?? []), `${fn.function}(): ${fn.change}`]);
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
      const scope = c.sort((a, b) => table.get(a)!.order - table.get(b)!.order);
      return {
        kind: k.name, names: scope.map((n) => table.get(n)!.name), scope,
        files: [...new Set(scope.flatMap((n) => [...keys.get(n)!]))].sort(),
        retyped: scope.flatMap((n) => retyped.get(k.name)?.get(n) ?? []),
        keepsPage: scope.some((n) => table.get(n)!.signatureTypes.has(pageClass) && !retyped.get(k.name)?.has(n)),
        sites: scope.flatMap((n) => siteList.get(`${k.name}\0${n}`) ?? []),
      };
    });
    // Top-level code is keyed by its file; a method or nested function (not in the table of
    // top-level functions) by its file and name: its files are where its sites are, never the
    // name itself (a subject prefix "active:").
    for (const f of files.sort()) {
      units.push({ kind: k.name, names: [nameOfKey(f)], scope: [f], files: [...keys.get(f)!].sort(), retyped: [], keepsPage: false, sites: siteList.get(`${k.name}\0${f}`) ?? [] });
    }
    out.set(k.name, units);
  }
  return out;
}
