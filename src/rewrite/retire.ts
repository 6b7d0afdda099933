/**
 * Retire ("mm: Remove page table members from struct page"): after this run's rewrites, a page
 * wrapper whose every call was inlined and that nothing else names goes away (with its imports),
 * and a union member of the page class goes away when no access to it is left anywhere —
 * whichever kind used it. What another kind (or generic code, or an unknown site) still
 * needs is never removed.
 */
import { ts } from '@ts-morph/common';
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
  const comments = ts.getLeadingCommentRanges(text, node.pos) ?? [];
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

export function retire(ctx: AnalysisContext, det: DetailedAnalysis, converted: Set<SiteDetail>, inlined: Set<SiteDetail>, edits: EditSet): RetireResult {
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
  const valueUses = new Set(det.rawResidue.filter((r) => /used as a value/.test(r.reason)).map((r) => r.node.getText()));
  for (const w of det.wrappers) {
    const calls = callsBy.get(w) ?? [];
    if (calls.length === 0 || !calls.every((c) => inlined.has(c)) || valueUses.has(w.name)) continue;
    const decl = topLevelStatement(w.fn);
    if (!decl) continue;
    // An exported helper may have users outside the project: it goes only when the spec names
    // it as a raw accessor to retire (the kernel's page_private()), never when merely discovered.
    if (w.origin !== 'spec' && isExported(decl)) continue;
    const refs = otherReferences(ctx, w, decl);
    if (refs.blocked) continue;
    const [start, end] = declarationLines(w.sf, decl);
    edits.for(w.sf.fileName).remove(start, end);
    gone.push({ sf: w.sf, start, end });
    for (const sf of refs.importers) removeImports(sf, edits.for(sf.fileName), new Set([w.name]), w.sf.fileName);
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
  const bodyDone = new Set(det.wrappers.filter((w) => {
    const body = det.wrapperBodies.filter((a) => enclosingFn(a.expr) === w.fn);
    return body.length > 0 && body.every((a) => done.has(a));
  }).map((w) => w.name));
  for (const r of det.rawResidue) {
    if (r.field && /used as a value/.test(r.reason) && bodyDone.has(r.node.getText())) continue;
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
  const sym = ctx.symbolOf(ts.isPropertyAccessExpression(callee) ? callee.name : callee);
  return !!sym?.declarations?.some((d) => d === w.fn || (ts.isVariableDeclaration(d) && d.initializer === w.fn));
}

function isExported(st: ts.Statement): boolean {
  return !!ts.getModifiers(st as ts.HasModifiers)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword) ||
    // `export { f }` / `export default f` elsewhere in the file
    st.getSourceFile().statements.some((o) => (ts.isExportDeclaration(o) && !o.moduleSpecifier && !!o.exportClause && ts.isNamedExports(o.exportClause) &&
      o.exportClause.elements.some((e) => (e.propertyName ?? e.name).text === declName(st))) ||
      (ts.isExportAssignment(o) && ts.isIdentifier(o.expression) && o.expression.text === declName(st)));
}

function declName(st: ts.Statement): string | undefined {
  if (ts.isFunctionDeclaration(st)) return st.name?.text;
  if (ts.isVariableStatement(st)) { const d = st.declarationList.declarations[0]; return d && ts.isIdentifier(d.name) ? d.name.text : undefined; }
  return undefined;
}

function topLevelStatement(fn: ts.Node): ts.Statement | undefined {
  if (ts.isFunctionDeclaration(fn) && ts.isSourceFile(fn.parent)) return fn;
  let p = fn.parent;
  while (p && !ts.isVariableStatement(p)) p = p.parent;
  if (p && ts.isVariableStatement(p) && ts.isSourceFile(p.parent) && p.declarationList.declarations.length === 1) return p;
  return undefined;
}

/** Files importing the wrapper; blocked when it is re-exported or named other than by calls and imports. */
function otherReferences(ctx: AnalysisContext, w: WrapperDef, decl: ts.Node): { importers: ts.SourceFile[]; blocked: boolean } {
  const importers: ts.SourceFile[] = [];
  let blocked = false;
  for (const sf of ctx.files) {
    if (!sf.text.includes(w.name)) continue;
    const visit = (n: ts.Node): void => {
      if (blocked) return;
      if (ts.isIdentifier(n) && n.text === w.name) {
        const p = n.parent;
        if (ts.isImportSpecifier(p)) {
          const sym = ctx.symbolOf(n);
          if (sym?.declarations?.some((d) => d === w.fn || d.parent === decl || (ts.isVariableDeclaration(d) && d.initializer === w.fn) || d === decl)) importers.push(sf);
        } else if (ts.isExportSpecifier(p)) blocked = true;
        else if (!(p === decl || (ts.isFunctionDeclaration(p) && p.name === n) || (ts.isVariableDeclaration(p) && p.name === n))) {
          const c = p;
          const isCall = ts.isCallExpression(c) && c.expression === n;
          if (!isCall && !(ts.isPropertyAccessExpression(p) && p.name === n)) blocked = true;
        }
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }
  return { importers, blocked };
}
