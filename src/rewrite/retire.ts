/**
 * Retire ("mm: Remove page table members from struct page"): after this run's rewrites, a page
 * wrapper whose every call was inlined and that nothing else names goes away (with its imports),
 * and a union member of the page class goes away when no access to it is left anywhere —
 * whichever kind used it. What another kind (or generic code, or an unknown site) still
 * needs is never removed.
 */
import { ts } from '@ts-morph/common';
import { tsv } from '../analyzers/tsValues.ts';
import type { DetailedAnalysis, SiteDetail } from '../analyzers/analyze.ts';
import type { AnalysisContext } from '../analyzers/context.ts';
import type { WrapperDef } from '../analyzers/wrappers.ts';
import { removeImports } from './imports.ts';
import { PageClass } from './pageClass.ts';
import { enclosingFn } from './syntax.ts';
import type { EditSet } from './splices.ts';

export interface RetireResult {
  helpers: string[];
  members: string[];
}

/** [start, end) of whole lines holding a declaration and its leading comments. */
export function declarationLines(sf: ts.SourceFile, node: ts.Node, last: ts.Node = node): [number, number] {
  const text = sf.text;
  const comments = tsv.getLeadingCommentRanges(text, node.pos) ?? [];
  let start = node.getStart(sf);
  if (comments.length > 0) start = Math.min(start, comments[0]!.pos);
  const ls = text.lastIndexOf('\n', start - 1) + 1;
  if (!/\S/.test(text.slice(ls, start))) start = ls;
  let end = last.end;
  const nl = text.indexOf('\n', end);
  if (nl !== -1 && !/\S/.test(text.slice(end, nl))) end = nl + 1;
  // Keep one blank line between neighbours, not two, and none before a closing brace.
  if (start > 1 && text[start - 1] === '\n' && text[start - 2] === '\n') {
    if (/^[ \t]*\n/.test(text.slice(end))) end += /^[ \t]*\n/.exec(text.slice(end))![0].length;
    else if (/^[ \t]*\}/.test(text.slice(end))) start -= 1;
  }
  return [start, end];
}

/** `values`: uses of wrappers as values this run replaced (wrapperValues.ts): no longer uses of them. */
export function retire(ctx: AnalysisContext, det: DetailedAnalysis, converted: Set<SiteDetail>, inlined: Set<SiteDetail>, edits: EditSet,
  values: ReadonlySet<ts.Node> = new Set()): RetireResult {
  const res: RetireResult = { helpers: [], members: [] };
  const done = new Set([...converted].map((s) => s.access));
  const gone: Array<{ sf: ts.SourceFile; start: number; end: number }> = [];

  // 1. helpers: wrappers whose every call was inlined here.
  const callsBy = new Map<WrapperDef, SiteDetail[]>();
  for (const s of det.sites) {
    if (!s.finding.wrapper || s.finding.converted) continue;
    const w = det.wrappers.find((d) => d.name === s.finding.wrapper && wrapperMatches(ctx, d, s));
    if (!w) continue;
    const l = callsBy.get(w) ?? [];
    l.push(s);
    callsBy.set(w, l);
  }
  // Candidates: every call inlined here, a top-level declaration, not a discovered export.
  const candidates = new Map<WrapperDef, { decl: ts.Statement; refs: References }>();
  for (const w of det.wrappers) {
    const calls = callsBy.get(w) ?? [];
    if (!calls.every((c) => inlined.has(c))) continue;
    const decl = topLevelStatement(w.fn);
    if (!decl) continue;
    // An exported helper may have users outside the project: it goes only when the spec names
    // it as a raw accessor to retire (the kernel's page_private()), never when merely discovered.
    if (w.origin !== 'spec' && isExported(decl)) continue;
    const refs = otherReferences(ctx, w, decl, values);
    // Something of it was inlined here: a call, or a use as a value.
    if (calls.length === 0 && !refs.valuesReplaced) continue;
    if (!refs.blocked) candidates.set(w, { decl, refs });
  }
  // A call of a helper that is not a site inlined here stays, so the helper stays, unless the
  // call is inside another helper going too (the one-line page_private() inside a wrapper of it):
  // until nothing changes, drop the candidates with a call left outside the others.
  const inlinedCalls = new Set([...inlined].map((s) => s.access.expr));
  for (let changed = true; changed;) {
    changed = false;
    for (const [w, c] of candidates) {
      const stray = c.refs.calls.some((call) => !inlinedCalls.has(call) &&
        ![...candidates.values()].some((o) => o.decl.getSourceFile() === call.getSourceFile() && o.decl.pos <= call.pos && call.end <= o.decl.end));
      if (stray) {
        candidates.delete(w);
        changed = true;
      }
    }
  }
  for (const w of det.wrappers) {
    const c = candidates.get(w);
    if (!c) continue;
    const [start, end] = declarationLines(w.sf, c.decl);
    edits.for(w.sf.fileName).remove(start, end);
    gone.push({ sf: w.sf, start, end });
    for (const sf of c.refs.importers) removeImports(sf, edits.for(sf.fileName), new Set([w.name]), w.sf.fileName);
    res.helpers.push(`${w.name}()`);
  }

  // 2. union members of the page class with no access left.
  const page = new PageClass(ctx);
  const inside = (a: { sf: ts.SourceFile; expr: ts.Node }): boolean =>
    gone.some((g) => g.sf === a.sf && g.start <= a.expr.getStart(a.sf) && a.expr.end <= g.end);
  const fieldsLeft = new Set<string>();
  // What the analyzer could not decide may touch a member: a residue naming a field keeps it;
  // one that cannot name it (a computed key, an unparsable file) keeps them all.
  // A wrapper used as a value whose own access was converted reads no raw field any more.
  // (The value is the wrapper by symbol: an aliased import of it too, never a same-named local.)
  const bodyDone = new Set(det.wrappers.filter((w) => {
    const body = det.wrapperBodies.filter((a) => enclosingFn(a.expr) === w.fn);
    return body.length > 0 && body.every((a) => done.has(a));
  }).map((w) => w.fn));
  for (const r of det.rawResidue) {
    if (r.field && /used as a value/.test(r.reason) && isWrapperValue(ctx, r.node, bodyDone)) continue;
    if (r.field) fieldsLeft.add(r.field);
    else if (!/used as a value/.test(r.reason)) for (const f of ctx.fields.keys()) fieldsLeft.add(f);
  }
  for (const a of det.allAccesses) {
    if (a.converted || done.has(a) || inside(a)) continue;
    fieldsLeft.add(a.field);
  }
  const table = page.table(edits);
  const e = edits.for(page.sf.fileName);
  for (const f of ctx.fields.values()) {
    if (fieldsLeft.has(f.name)) continue;
    const acc = page.accessor(f.name);
    if (!acc.get && !acc.set) continue;
    const ms = [acc.get, acc.set].filter((m): m is ts.AccessorDeclaration => !!m).sort((a, b) => a.pos - b.pos);
    if (ms.length === 2 && !/\S/.test(page.sf.text.slice(ms[0]!.end, ms[1]!.getStart(page.sf)))) {
      const [start, end] = declarationLines(page.sf, ms[0]!, ms[1]!);
      e.remove(start, end);
    } else {
      for (const m of ms) {
        const [start, end] = declarationLines(page.sf, m);
        e.remove(start, end);
      }
    }
    table?.drop.add(f.name);
    res.members.push(`${ctx.spec.page.class}.${f.name}`);
  }
  return res;
}

function wrapperMatches(ctx: AnalysisContext, w: WrapperDef, s: SiteDetail): boolean {
  const call = s.access.expr as ts.CallExpression;
  const callee = call.expression;
  const sym = ctx.symbolOf(tsv.isPropertyAccessExpression(callee) ? callee.name : callee);
  return !!sym?.declarations?.some((d) => d === w.fn || (tsv.isVariableDeclaration(d) && d.initializer === w.fn));
}

function isExported(st: ts.Statement): boolean {
  return !!tsv.getModifiers(st as ts.HasModifiers)?.some((m) => m.kind === tsv.SyntaxKind.ExportKeyword) ||
    // `export { f }` / `export default f` elsewhere in the file
    st.getSourceFile().statements.some((o) => (tsv.isExportDeclaration(o) && !o.moduleSpecifier && !!o.exportClause && tsv.isNamedExports(o.exportClause) &&
      o.exportClause.elements.some((e) => (e.propertyName ?? e.name).text === declName(st))) ||
      (tsv.isExportAssignment(o) && tsv.isIdentifier(o.expression) && o.expression.text === declName(st)));
}

function declName(st: ts.Statement): string | undefined {
  if (tsv.isFunctionDeclaration(st)) return st.name?.text;
  if (tsv.isVariableStatement(st)) { const d = st.declarationList.declarations[0]; return d && tsv.isIdentifier(d.name) ? d.name.text : undefined; }
  return undefined;
}

function topLevelStatement(fn: ts.Node): ts.Statement | undefined {
  if (tsv.isFunctionDeclaration(fn) && tsv.isSourceFile(fn.parent)) return fn;
  let p = fn.parent;
  while (p && !tsv.isVariableStatement(p)) p = p.parent;
  if (p && tsv.isVariableStatement(p) && tsv.isSourceFile(p.parent) && p.declarationList.declarations.length === 1) return p;
  return undefined;
}

/** Does the value `n` (a wrapper used as a value) resolve to one of the functions `fns`? */
function isWrapperValue(ctx: AnalysisContext, n: ts.Node, fns: Set<ts.Node>): boolean {
  const x = tsv.isPropertyAccessExpression(n) ? n.name : n;
  const sym = ctx.symbolOf(x);
  return !!sym?.declarations?.some((d) => fns.has(d) || (tsv.isVariableDeclaration(d) && !!d.initializer && fns.has(d.initializer)));
}

interface References {
  /** Files importing the wrapper by name (an alias too): their import of it goes with it. */
  importers: ts.SourceFile[];
  /** Its calls anywhere (each must be a site inlined here, or inside a helper going too). */
  calls: ts.Node[];
  /** Named otherwise than by a call or a named import (a value, a re-export, a default import): it stays. */
  blocked: boolean;
  /** Some of its uses as a value were replaced by this run. */
  valuesReplaced: boolean;
}

/**
 * The wrapper's references, by symbol (the binder's scopes, the checker for the rest): every
 * identifier spelled like it or like a local alias of it (`import { w as x }`) that resolves to
 * its declaration. A same-named local, parameter or member of something else is not one, nor a
 * string or a comment; an aliased import and its uses are.
 */
function otherReferences(ctx: AnalysisContext, w: WrapperDef, decl: ts.Statement, values: ReadonlySet<ts.Node>): References {
  const out: References = { importers: [], calls: [], blocked: false, valuesReplaced: false };
  const own = declNameNode(decl);
  const target = own && ctx.symbolOf(own);
  // A default export may be imported under any name: its users cannot be found by a name.
  if (!target || isDefaultExport(decl, w.name)) return { ...out, blocked: true };
  const isIt = (n: ts.Identifier): boolean => {
    const sym = ctx.symbolOf(n);
    return !!sym && (sym === target || !!sym.declarations?.some((d) => d === w.fn || d.parent === decl || (d as ts.Node) === decl ||
      (tsv.isVariableDeclaration(d) && d.initializer === w.fn)));
  };
  for (const sf of ctx.files) {
    if (!sf.text.includes(w.name)) continue;
    // The names it may be read under in this file: its own, and the aliases its imports give it.
    const names = new Set([w.name]);
    for (const st of sf.statements) {
      const nb = tsv.isImportDeclaration(st) ? st.importClause?.namedBindings : undefined;
      if (nb && tsv.isNamedImports(nb)) for (const el of nb.elements) if ((el.propertyName ?? el.name).text === w.name) names.add(el.name.text);
    }
    let imported = false;
    const visit = (n: ts.Node): void => {
      if (out.blocked) return;
      if (tsv.isIdentifier(n) && names.has(n.text) && n !== own && isIt(n)) {
        const p = n.parent;
        if (values.has(n)) out.valuesReplaced = true;
        else if (tsv.isImportSpecifier(p)) imported = true;
        else if (tsv.isExportSpecifier(p) || tsv.isImportClause(p) || tsv.isExportAssignment(p)) out.blocked = true;
        else {
          const callee = tsv.isPropertyAccessExpression(p) && p.name === n ? p : n;
          const call = callee.parent;
          if (call && tsv.isCallExpression(call) && call.expression === callee) out.calls.push(call);
          else out.blocked = true;
        }
      }
      tsv.forEachChild(n, visit);
    };
    visit(sf);
    if (imported) out.importers.push(sf);
  }
  return out;
}

function declNameNode(st: ts.Statement): ts.Identifier | undefined {
  if (tsv.isFunctionDeclaration(st)) return st.name;
  if (tsv.isVariableStatement(st)) { const d = st.declarationList.declarations[0]; return d && tsv.isIdentifier(d.name) ? d.name : undefined; }
  return undefined;
}

function isDefaultExport(st: ts.Statement, name: string): boolean {
  return !!tsv.getModifiers(st as ts.HasModifiers)?.some((m) => m.kind === tsv.SyntaxKind.DefaultKeyword) ||
    st.getSourceFile().statements.some((o) => tsv.isExportAssignment(o) && !o.isExportEquals && tsv.isIdentifier(o.expression) && o.expression.text === name);
}
