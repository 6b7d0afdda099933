/**
 * The statements of a file the incremental checker (incremental.ts) checks again, when it need
 * not check the whole file: a series step usually rewrites one function of a long file, and
 * checking the file whole costs ten times checking the function (TypeScript's region check,
 * `getSemanticDiagnostics(file, token, nodes)`, is what editors use for the visible part of a file).
 *
 * The argument is the one incremental.ts makes between files, one level down: a top-level
 * statement's diagnostics depend on its own text, on the shapes of the declarations it names
 * (declShapes.ts) and, for a block-scoped name, on where that name is declared. So the previous
 * check's diagnostics of a statement stand (moved by however far the statement moved) when its
 * text is unchanged, no name in it changed shape (the `dirty` names, propagated across files and
 * declarations to a fixed point already), and every declaration it names keeps its place among
 * the unchanged statements. Every other statement is checked again; the bind and program
 * diagnostics of the file are always taken afresh.
 *
 * What a region check leaves out makes the whole file count: unused-identifier checks
 * (`noUnusedLocals`/`noUnusedParameters`), unused `@ts-expect-error` directives, the export
 * table's checks (`export =`, a name exported by several statements), collisions with names
 * TypeScript reserves below ES2022, renamed bindings in signatures without a body, JavaScript
 * files, and any previous diagnostic this reading cannot place in one statement.
 */
import { ts } from '@ts-morph/common';

export interface RegionPlan {
  /** The statements of the new file to check (in file order). */
  nodes: ts.Statement[];
  /** The previous diagnostics that stand, moved onto the new file. */
  carried: ts.Diagnostic[];
}

/** Identifier texts in a statement (cached per node: a reused file is walked once). */
const namesCache = new WeakMap<ts.Node, Set<string>>();

function namesIn(st: ts.Statement): Set<string> {
  let s = namesCache.get(st);
  if (s) return s;
  s = new Set();
  const out = s;
  const visit = (n: ts.Node): void => {
    if (ts.isIdentifier(n)) out.add(n.text);
    ts.forEachChild(n, visit);
  };
  visit(st);
  namesCache.set(st, s);
  return s;
}

/** Top-level names a statement declares (imports' local names included). */
function declaredBy(st: ts.Statement): string[] {
  if (ts.isImportDeclaration(st)) {
    const c = st.importClause;
    if (!c) return [];
    const out: string[] = [];
    if (c.name) out.push(c.name.text);
    const nb = c.namedBindings;
    if (nb && ts.isNamespaceImport(nb)) out.push(nb.name.text);
    if (nb && ts.isNamedImports(nb)) for (const el of nb.elements) out.push(el.name.text);
    return out;
  }
  if (ts.isVariableStatement(st)) return st.declarationList.declarations.flatMap((d) => bindingNames(d.name));
  if (ts.isImportEqualsDeclaration(st)) return [st.name.text];
  if (ts.isFunctionDeclaration(st) || ts.isClassDeclaration(st) || ts.isInterfaceDeclaration(st) || ts.isTypeAliasDeclaration(st) || ts.isEnumDeclaration(st)) {
    return [st.name?.text ?? 'default'];
  }
  if (ts.isModuleDeclaration(st)) return [st.name.text];
  return [];
}

function bindingNames(n: ts.BindingName): string[] {
  if (ts.isIdentifier(n)) return [n.text];
  return n.elements.flatMap((el) => (ts.isOmittedExpression(el) ? [] : bindingNames(el.name)));
}

/** A statement's text with its leading trivia: equal texts parse to equal statements. */
function fullText(sf: ts.SourceFile, st: ts.Statement): string {
  return sf.text.slice(st.pos, st.end);
}

/**
 * Old statement index for each new statement (-1: changed), longest common subsequence of the
 * statements' texts: matched statements keep their order.
 */
function align(a: ts.SourceFile, b: ts.SourceFile): number[] {
  const at = a.statements.map((s) => fullText(a, s));
  const bt = b.statements.map((s) => fullText(b, s));
  const match = new Array<number>(bt.length).fill(-1);
  let lo = 0;
  while (lo < at.length && lo < bt.length && at[lo] === bt[lo]) { match[lo] = lo; lo++; }
  let ea = at.length;
  let eb = bt.length;
  while (ea > lo && eb > lo && at[ea - 1] === bt[eb - 1]) { ea--; eb--; match[eb] = ea; }
  const n = ea - lo;
  const m = eb - lo;
  if (n === 0 || m === 0) return match;
  // LCS table over the middle (a series step changes a few statements: small).
  const w = m + 1;
  const t = new Uint32Array((n + 1) * w);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      t[i * w + j] = at[lo + i] === bt[lo + j] ? t[(i + 1) * w + j + 1]! + 1 : Math.max(t[(i + 1) * w + j]!, t[i * w + j + 1]!);
    }
  }
  for (let i = 0, j = 0; i < n && j < m;) {
    if (at[lo + i] === bt[lo + j]) { match[lo + j] = lo + i; i++; j++; } else if (t[(i + 1) * w + j]! >= t[i * w + j + 1]!) i++;
    else j++;
  }
  return match;
}

/** The target below which TypeScript records name collisions that only a whole-file check reports. */
function targetOf(options: ts.CompilerOptions): ts.ScriptTarget {
  const f = (ts as unknown as { getEmitScriptTarget?: (o: ts.CompilerOptions) => ts.ScriptTarget }).getEmitScriptTarget;
  return f ? f(options) : options.target ?? ts.ScriptTarget.ES5;
}

const TS_FILE = /\.(?:[cm]?tsx?)$/;

/** A parsed file's comment directives and bind diagnostics (TypeScript's own, internal but stable). */
function internals(sf: ts.SourceFile): { commentDirectives?: readonly unknown[]; bindDiagnostics?: readonly ts.Diagnostic[] } {
  return sf as unknown as { commentDirectives?: readonly unknown[]; bindDiagnostics?: readonly ts.Diagnostic[] };
}

/** Whether region checks can stand for whole-file checks under these options at all. */
export function regionsAllowed(options: ts.CompilerOptions): boolean {
  return !options.noUnusedLocals && !options.noUnusedParameters && targetOf(options) >= ts.ScriptTarget.ES2022;
}

/**
 * Which statements of `now` to check, given the previous check of `before` (the same file in the
 * previous program; the same object when its text did not change) and its diagnostics, and the
 * file's `dirty` names (declarations and imports whose shape changed). Undefined: check it whole.
 * `current(fileName)` is the new program's file of that name (related information pointing into a
 * file that changed cannot be carried).
 */
export function regionPlan(before: ts.SourceFile, now: ts.SourceFile, diagnostics: readonly ts.Diagnostic[], dirty: ReadonlySet<string>,
  current: (fileName: string) => ts.SourceFile | undefined): RegionPlan | undefined {
  if (!TS_FILE.test(now.fileName) || now.isDeclarationFile || !ts.isExternalModule(now)) return undefined;
  if (internals(now).commentDirectives?.length || internals(before).commentDirectives?.length) return undefined;
  if (now.statements.some((s) => ts.isExportAssignment(s) && s.isExportEquals)) return undefined;
  const same = before === now;
  const match = same ? now.statements.map((_, i) => i) : align(before, now);
  const names = new Set(dirty);
  if (!same) {
    // A name declared by a changed statement that moved among the unchanged ones: the statements naming it may now come before it.
    const places = (sf: ts.SourceFile, matched: (i: number) => number | undefined): Map<string, string[]> => {
      const out = new Map<string, string[]>();
      let gap = 0;
      for (const [i, st] of sf.statements.entries()) {
        const m = matched(i);
        if (m !== undefined) gap++;
        for (const n of declaredBy(st)) out.set(n, [...(out.get(n) ?? []), m !== undefined ? `m${m}` : `g${gap}`]);
      }
      return out;
    };
    const oldToNew = new Map<number, number>();
    for (const [j, i] of match.entries()) if (i >= 0) oldToNew.set(i, j);
    const pa = places(before, (i) => oldToNew.get(i));
    const pb = places(now, (j) => (match[j]! >= 0 ? j : undefined));
    for (const n of new Set([...pa.keys(), ...pb.keys()])) if ((pa.get(n) ?? []).join() !== (pb.get(n) ?? []).join()) names.add(n);
  }
  const recheck = new Set<number>();
  for (const [j, st] of now.statements.entries()) {
    if (match[j]! < 0) { recheck.add(j); continue; }
    const ids = namesIn(st);
    for (const n of names) if (ids.has(n)) { recheck.add(j); break; }
  }
  // Old statement -> new index and shift, for the unchanged ones.
  const oldStatements = before.statements;
  const moved = new Map<number, { j: number; shift: number }>();
  for (const [j, i] of match.entries()) if (i >= 0) moved.set(i, { j, shift: now.statements[j]!.pos - oldStatements[i]!.pos });
  const oldIndexOf = (pos: number): number => {
    let lo = 0;
    let hi = oldStatements.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = oldStatements[mid]!;
      if (pos < s.pos) hi = mid - 1;
      else if (pos >= s.end) lo = mid + 1;
      else return mid;
    }
    return -1;
  };
  /** A position of the old file on the new one, through an unchanged statement still carried. */
  const place = (pos: number): number | undefined => {
    const i = oldIndexOf(pos);
    const m = i >= 0 ? moved.get(i) : undefined;
    return m && !recheck.has(m.j) ? pos + m.shift : undefined;
  };
  const binds = new Set<ts.Diagnostic>(internals(before).bindDiagnostics ?? []);
  const carriedOld: Array<{ d: ts.Diagnostic; j: number }> = [];
  for (const d of diagnostics) {
    // Bind diagnostics come afresh with the new file's.
    if (binds.has(d)) continue;
    if (!d.file || d.start === undefined || d.file.fileName !== before.fileName) return undefined;
    const i = oldIndexOf(d.start);
    if (i < 0) return undefined;
    const m = moved.get(i);
    if (m) carriedOld.push({ d, j: m.j });
  }
  // Related information into a statement checked again, or into another file that changed: its statement is checked again too.
  for (let again = true; again;) {
    again = false;
    for (const { d, j } of carriedOld) {
      if (recheck.has(j)) continue;
      for (const r of d.relatedInformation ?? []) {
        const ok = !r.file || (r.file.fileName === before.fileName ? r.start !== undefined && place(r.start) !== undefined : current(r.file.fileName) === r.file);
        if (!ok) { recheck.add(j); again = true; break; }
      }
    }
  }
  if (recheck.size === now.statements.length) return undefined;
  const nodes = [...recheck].sort((a, b) => a - b).map((j) => now.statements[j]!);
  if (!checkable(now, nodes)) return undefined;
  const carried: ts.Diagnostic[] = [];
  for (const { d, j } of carriedOld) {
    if (recheck.has(j)) continue;
    if (same) { carried.push(d); continue; }
    const shift = moved.get(oldIndexOf(d.start!))!.shift;
    carried.push({
      ...d, file: now, start: d.start! + shift,
      ...(d.relatedInformation ? {
        relatedInformation: d.relatedInformation.map((r) => (r.file?.fileName === before.fileName ? { ...r, file: now, start: place(r.start!)! } : r)),
      } : {}),
    });
  }
  return { nodes, carried };
}

/**
 * What a region check of `nodes` reports as a whole-file check would: no name the nodes declare
 * is declared by another statement too (overloads, merged or duplicate declarations: the
 * redeclaration of an exported name is the whole file's check), no local export list, and no
 * renamed binding in a signature without a body (reported by the whole-file check only).
 */
function checkable(sf: ts.SourceFile, nodes: ts.Statement[]): boolean {
  const count = new Map<string, number>();
  for (const st of sf.statements) for (const n of declaredBy(st)) count.set(n, (count.get(n) ?? 0) + 1);
  for (const st of nodes) {
    if (declaredBy(st).some((n) => (count.get(n) ?? 0) > 1)) return false;
    if ((ts.isExportDeclaration(st) && !st.moduleSpecifier) || ts.isExportAssignment(st)) return false;
    let renamed = false;
    const visit = (n: ts.Node): void => {
      if (renamed) return;
      if (ts.isBindingElement(n) && n.propertyName) { renamed = true; return; }
      ts.forEachChild(n, visit);
    };
    visit(st);
    if (renamed) return false;
  }
  return true;
}
