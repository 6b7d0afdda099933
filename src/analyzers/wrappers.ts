/**
 * Wrapper discovery: functions whose whole body is one raw field access of their page
 * parameter (page_private(), set_page_private(), any such function the code defines), plus
 * the spec's seeds. The raw access inside a wrapper is its definition, not a finding; its call
 * sites are reported instead (access "call"). A function that nothing calls is no wrapper: its
 * access is a finding like any other (otherwise it would be reported nowhere).
 */
import { ts } from '@ts-morph/common';
import { tsv } from './tsValues.ts';
import type { Access, WrapperInfo } from '../model/findings.ts';
import { enclosingFunction, functionName, identifiersNamed, isFunctionLike, outerOf, shortText, skipOuter, type FunctionLike } from './ast.ts';
import type { AnalysisContext } from './context.ts';
import { specWords } from '../model/words.ts';
import type { FindResult, RawAccess, RawResidue } from './finder.ts';
import { NAME_DEP } from './provenance.ts';

export interface WrapperDef {
  fn: ts.Node;
  sf: ts.SourceFile;
  name: string;
  field: string;
  access: Exclude<Access, 'call'>;
  pageArg: number;
  origin: 'discovered' | 'spec';
}

/** The single expression a function body consists of, if it is that simple. */
function soleExpression(fn: FunctionLike): ts.Expression | undefined {
  const body = fn.body;
  if (!body) return undefined;
  if (!tsv.isBlock(body)) return skipOuter(body);
  if (body.statements.length !== 1) return undefined;
  const st = body.statements[0]!;
  if (tsv.isReturnStatement(st) && st.expression) return skipOuter(st.expression);
  if (tsv.isExpressionStatement(st)) return skipOuter(st.expression);
  return undefined;
}

function isAssignment(e: ts.Expression): e is ts.BinaryExpression {
  return tsv.isBinaryExpression(e) && e.operatorToken.kind >= tsv.SyntaxKind.FirstAssignment && e.operatorToken.kind <= tsv.SyntaxKind.LastAssignment;
}

/** Could `fn` be a wrapper (named, its body one expression)? What wrapperShape() needs of the function alone. */
export function mayBeWrapper(fn: FunctionLike | undefined): boolean {
  return !!fn && functionName(fn) !== undefined && soleExpression(fn) !== undefined;
}

/** Is access `a` the whole body of its function, on a parameter? Returns that parameter's index. */
function wrapperShape(ctx: AnalysisContext, a: RawAccess): { fn: FunctionLike; name: string; pageArg: number } | undefined {
  if (!a.receiver || a.converted || a.access === 'call') return undefined;
  if (!tsv.isPropertyAccessExpression(a.expr) && !tsv.isElementAccessExpression(a.expr)) return undefined;
  const recv = skipOuter(a.receiver);
  if (!tsv.isIdentifier(recv)) return undefined;
  const fn = enclosingFunction(a.expr);
  if (!fn) return undefined;
  const name = functionName(fn);
  if (!name) return undefined;
  const e = soleExpression(fn);
  if (!e) return undefined;
  const target = outerOf(a.expr);
  const ok = e === target || e === a.expr ||
    (isAssignment(e) && skipOuter(e.left) === a.expr) ||
    ((tsv.isPrefixUnaryExpression(e) || tsv.isPostfixUnaryExpression(e)) && skipOuter(e.operand) === a.expr) ||
    // embedded sub-member: return page.lru.next
    ((tsv.isPropertyAccessExpression(e) || tsv.isElementAccessExpression(e)) && skipOuter(e.expression) === a.expr) ||
    (isAssignment(e) && (tsv.isPropertyAccessExpression(skipOuter(e.left)) || tsv.isElementAccessExpression(skipOuter(e.left))) &&
      skipOuter((skipOuter(e.left) as ts.PropertyAccessExpression).expression) === a.expr);
  if (!ok) return undefined;
  const sym = ctx.symbolOf(recv);
  const decl = sym?.valueDeclaration;
  if (!decl || !tsv.isParameter(decl) || decl.parent !== fn) return undefined;
  return { fn, name, pageArg: fn.parameters.indexOf(decl) };
}

export interface WrapperResult {
  wrappers: WrapperDef[];
  /** Raw accesses minus wrapper bodies, plus wrapper call sites. */
  accesses: RawAccess[];
  residue: RawResidue[];
  info: WrapperInfo[];
  /**
   * Per file: names of the wrapper candidates it defines. Whether each is a wrapper depends on
   * calls anywhere in the project (memdesc track re-analyzes the file when those change).
   */
  callerDeps: Map<ts.SourceFile, Set<string>>;
}

/** `only` (incremental analysis): report call sites and value uses only in these files. */
export function discoverWrappers(ctx: AnalysisContext, found: FindResult, only?: ReadonlySet<ts.SourceFile>): WrapperResult {
  const byFn = new Map<ts.Node, RawAccess[]>();
  for (const a of found.accesses) {
    if (a.converted) continue;
    const fn = enclosingFunction(a.expr);
    if (!fn) continue;
    const l = byFn.get(fn) ?? [];
    l.push(a);
    byFn.set(fn, l);
  }
  const wrappers = new Map<ts.Node, WrapperDef>();
  const inside = new Set<RawAccess>();
  for (const [fn, list] of byFn) {
    if (list.length !== 1) continue;
    const a = list[0]!;
    const shape = wrapperShape(ctx, a);
    if (!shape || shape.fn !== fn) continue;
    wrappers.set(fn, { fn, sf: a.sf, name: shape.name, field: a.field, access: a.access as WrapperDef['access'], pageArg: shape.pageArg, origin: 'discovered' });
    inside.add(a);
  }
  for (const seed of ctx.spec.page.wrappers) {
    for (const fn of found.functions.get(seed.name) ?? []) {
      const existing = wrappers.get(fn);
      if (existing) {
        existing.origin = 'spec';
        continue;
      }
      const sf = fn.getSourceFile();
      if (!ctx.files.includes(sf) || !isFunctionLike(fn)) continue;
      // A seed is a wrapper only when its page parameter really is the page class.
      const param = fn.parameters[seed.pageArg];
      if (!param || !ctx.typeIsPage(ctx.checker.getTypeAtLocation(param))) continue;
      wrappers.set(fn, { fn, sf, name: seed.name, field: seed.field, access: seed.access, pageArg: seed.pageArg, origin: 'spec' });
      for (const a of byFn.get(fn) ?? []) if (a.field === seed.field) inside.add(a);
    }
  }
  const callerDeps = new Map<ts.SourceFile, Set<string>>();
  for (const w of wrappers.values()) {
    const l = callerDeps.get(w.sf) ?? new Set<string>();
    l.add(w.name);
    callerDeps.set(w.sf, l);
  }
  dropUnused(ctx, found, wrappers, inside, callerDeps);
  const accesses = found.accesses.filter((a) => !inside.has(a));
  const residue: RawResidue[] = [];
  const calls = new Map<WrapperDef, number>();
  const byName = new Map<string, WrapperDef[]>();
  for (const w of wrappers.values()) {
    const l = byName.get(w.name) ?? [];
    l.push(w);
    byName.set(w.name, l);
    calls.set(w, 0);
  }
  const wrapperOf = (callee: ts.Expression): WrapperDef | undefined => {
    const sym = ctx.symbolOf(tsv.isPropertyAccessExpression(callee) ? callee.name : callee);
    for (const d of sym?.declarations ?? []) {
      const w = wrappers.get(d) ?? (tsv.isVariableDeclaration(d) && d.initializer ? wrappers.get(skipOuter(d.initializer)) : undefined);
      if (w) return w;
    }
    return undefined;
  };
  for (const [name] of byName) {
    for (const call of found.calls.get(name) ?? []) {
      const sf = call.getSourceFile();
      if (found.broken.has(sf) || (only && !only.has(sf))) continue;
      const w = wrapperOf(skipOuter(call.expression));
      if (!w) continue;
      const arg = call.arguments[w.pageArg];
      if (!arg) {
        residue.push({ sf, node: call, field: w.field, reason: `call of wrapper \`${w.name}()\` without its ${specWords(ctx.spec).noun} argument` });
        continue;
      }
      calls.set(w, calls.get(w)! + 1);
      const callee = skipOuter(call.expression);
      accesses.push({
        sf, node: tsv.isPropertyAccessExpression(callee) ? callee.name : callee, expr: call, receiver: arg,
        receiverText: shortText(arg, sf), field: w.field, access: 'call', wrapper: w.name, wrapperAccess: w.access,
      });
    }
  }
  if (wrappers.size > 0) residue.push(...wrapperValueUses(ctx, found, byName, wrapperOf, only));
  const info: WrapperInfo[] = [...wrappers.values()].map((w) => {
    const nameNode = (w.fn as ts.FunctionDeclaration).name ?? w.fn;
    const s = ctx.site(w.sf, nameNode);
    return { name: w.name, ...s, field: w.field, access: w.access, pageArg: w.pageArg, origin: w.origin, callSites: calls.get(w)! };
  });
  return { wrappers: [...wrappers.values()], accesses, residue, info, callerDeps };
}

/**
 * Wrappers neither called nor used as a value anywhere in the project (every file, whatever `only`
 * says, so that an incremental analysis decides alike) are no wrappers: their body accesses go back
 * to the findings. A use as a value keeps a wrapper (that use is residue: what it reaches cannot be
 * traced); otherwise a conversion that replaces a wrapper's last call would leave a body the next
 * run converts by other evidence, and the conversion would not be idempotent. memdesc track
 * re-analyzes a file when the calls of its candidates' names change (`callerDeps`), and for a
 * candidate no call keeps, when any code naming it does (`name:`): only a use as a value keeps it then.
 */
function dropUnused(ctx: AnalysisContext, found: FindResult, wrappers: Map<ts.Node, WrapperDef>, inside: Set<RawAccess>,
  callerDeps: Map<ts.SourceFile, Set<string>>): void {
  const unused = new Map<ts.Node, WrapperDef>(wrappers);
  const resolve = (n: ts.Expression): WrapperDef | undefined => {
    const sym = ctx.symbolOf(tsv.isPropertyAccessExpression(n) ? n.name : n);
    for (const d of sym?.declarations ?? []) {
      const w = unused.get(d) ?? (tsv.isVariableDeclaration(d) && d.initializer ? unused.get(skipOuter(d.initializer)) : undefined);
      if (w) return w;
    }
    return undefined;
  };
  const names = new Set([...unused.values()].map((w) => w.name));
  for (const name of names) {
    for (const call of found.calls.get(name) ?? []) {
      if (found.broken.has(call.getSourceFile())) continue;
      const w = resolve(skipOuter(call.expression));
      if (w) unused.delete(w.fn);
    }
  }
  if (unused.size === 0) return;
  for (const w of unused.values()) callerDeps.get(w.sf)?.add(`${NAME_DEP}${w.name}`);
  for (const { n } of valueUses(ctx, found, new Set([...unused.values()].map((w) => w.name)))) {
    const w = resolve(n);
    if (w) unused.delete(w.fn);
    if (unused.size === 0) break;
  }
  for (const w of unused.values()) {
    wrappers.delete(w.fn);
    for (const a of inside) if (enclosingFunction(a.expr) === w.fn) inside.delete(a);
  }
}

/** Wrappers used as values (passed as callbacks): their accesses cannot be attributed to a receiver. */
function wrapperValueUses(ctx: AnalysisContext, found: FindResult, byName: Map<string, WrapperDef[]>,
  wrapperOf: (e: ts.Expression) => WrapperDef | undefined, only?: ReadonlySet<ts.SourceFile>): RawResidue[] {
  const out: RawResidue[] = [];
  for (const { sf, n } of valueUses(ctx, found, new Set(byName.keys()), only)) {
    const w = wrapperOf(n);
    if (w) out.push({ sf, node: n, field: w.field, reason: `wrapper \`${w.name}()\` used as a value: the ${specWords(ctx.spec).nouns} it reaches cannot be traced` });
  }
  return out;
}

/** Identifiers spelled as one of `names` and used as a value (isValueUse), in the files that parse (of `only`, if given). */
function* valueUses(ctx: AnalysisContext, found: FindResult, names: ReadonlySet<string>, only?: ReadonlySet<ts.SourceFile>): Generator<{ sf: ts.SourceFile; n: ts.Identifier }> {
  if (names.size === 0) return;
  const spelled = new RegExp(`\\b(?:${[...names].map((n) => n.replace(/[$]/g, '\\$')).join('|')})\\b`);
  for (const sf of ctx.files) {
    if (found.broken.has(sf) || (only && !only.has(sf)) || !spelled.test(sf.text)) continue;
    for (const n of identifiersNamed(sf, names)) if (isValueUse(n)) yield { sf, n };
  }
}

/** An identifier used as a value other than as a callee (and not a declaration, import or member name). */
function isValueUse(n: ts.Identifier): boolean {
  const p = n.parent;
  if (tsv.isCallExpression(p) && skipOuter(p.expression) === n) return false;
  if ((tsv.isFunctionDeclaration(p) || tsv.isVariableDeclaration(p) || tsv.isMethodDeclaration(p) || tsv.isParameter(p) ||
    tsv.isPropertyAssignment(p) || tsv.isPropertyDeclaration(p) || tsv.isBindingElement(p)) && p.name === n) return false;
  if (tsv.isImportSpecifier(p) || tsv.isExportSpecifier(p) || tsv.isImportClause(p) || tsv.isNamespaceImport(p)) return false;
  if (tsv.isPropertyAccessExpression(p) && p.name === n) return false;
  if (tsv.isTypeQueryNode(p) || tsv.isTypeReferenceNode(p) || tsv.isQualifiedName(p)) return false;
  return true;
}
