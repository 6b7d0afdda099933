/**
 * Finder: every access to a tracked page field whose receiver is the spec's page class
 * (property access, optional chaining, element access with literal keys, destructuring,
 * container_of-style member-name arguments), every access through a descriptor type
 * (converted), and residue for what cannot be decided. One syntax walk per file; type
 * queries only for candidates, and only in files whose text mentions a tracked name.
 */
import { ts } from '@ts-morph/common';
import { tsv } from './tsValues.ts';
import type { Access, ResidueCause } from '../model/findings.ts';
import type { KindSpec } from '../model/spec.ts';
import { accessKind, calleeName, enclosingFunction, isStringLike, shortText, skipOuter } from './ast.ts';
import type { AnalysisContext } from './context.ts';
import { embeddedFields, hasFileStoreCandidates, setFileStoreCandidates, storesAt, type StoreCandidate } from './dataflow.ts';
import { mayBeWrapper } from './wrappers.ts';

export interface RawAccess {
  sf: ts.SourceFile;
  /** Node whose start is the reported position. */
  node: ts.Node;
  /** The whole access (or call) expression: guards are searched from here outward. */
  expr: ts.Node;
  /** The page expression, when there is one. */
  receiver?: ts.Expression;
  receiverText: string;
  field: string;
  access: Access;
  /** Accesses through a descriptor type. */
  converted?: { kind: KindSpec; descriptorField: string; className: string; implementation?: boolean };
  /** Wrapper call sites. */
  wrapper?: string;
  wrapperAccess?: Exclude<Access, 'call'>;
  /** Enclosing named function (filled in by analyze). */
  function?: string;
}

export interface RawResidue {
  sf: ts.SourceFile;
  node: ts.Node;
  reason: string;
  field?: string;
  /** Absent only on the wrappers pass's residue (a wrapper called without its argument, or used as a value). */
  cause?: ResidueCause;
  receiverType?: string;
  mayBe?: string;
  module?: string;
}

/** The JSON fields of a residue entry beyond its site and reason. */
export function residueDetail(r: RawResidue): { field?: string; cause: ResidueCause; receiverType?: string; mayBe?: string; module?: string } {
  return {
    ...(r.field ? { field: r.field } : {}), cause: r.cause ?? 'wrapper', ...(r.receiverType !== undefined ? { receiverType: r.receiverType } : {}),
    ...(r.mayBe ? { mayBe: r.mayBe } : {}), ...(r.module !== undefined ? { module: r.module } : {}),
  };
}

export interface FindResult {
  accesses: RawAccess[];
  residue: RawResidue[];
  /** Every call in the analyzed files, by callee name text (for wrappers and parameter provenance). */
  calls: Map<string, ts.CallExpression[]>;
  /** Named functions by name (for wrapper seeds). */
  functions: Map<string, ts.Node[]>;
  /** Files with syntax errors: residue, not analyzed. */
  broken: Set<ts.SourceFile>;
}

interface Candidate {
  sf: ts.SourceFile;
  kind: 'member' | 'computed' | 'binding' | 'container';
  node: ts.Node;
  expr: ts.Node;
  receiver?: ts.Expression;
  name: string;
  /** For 'container': the class argument. */
  classArg?: ts.Expression;
}

function typeName(ctx: AnalysisContext, t: ts.Type): string {
  return ctx.checker.typeToString(t);
}

/**
 * A file's calls and named functions by name, and its candidates under one spec: syntax only,
 * so computed once per parsed file (a SourceFile never changes; incremental analysis meets the
 * same ones commit after commit).
 */
interface SyntaxIndex {
  text: string;
  calls: Map<string, ts.CallExpression[]>;
  functions: Map<string, ts.Node[]>;
  candidates?: { spec: AnalysisContext['spec']; all: Candidate[]; wrapperBodies?: Candidate[] };
}
const syntaxIndexes = new WeakMap<ts.SourceFile, SyntaxIndex>();

/**
 * `scope` (incremental analysis): only files in it get type queries (accesses, unresolved
 * imports); calls and functions are still collected everywhere, by syntax. `only`: within the
 * scope, the files whose own accesses are wanted; the rest of the scope is searched only for
 * wrapper definitions (accesses inside functions that could be wrappers).
 */
export function findAccesses(ctx: AnalysisContext, scope?: ReadonlySet<ts.SourceFile>, only?: ReadonlySet<ts.SourceFile>): FindResult {
  const calls = new ByName<ts.CallExpression>();
  const functions = new ByName<ts.Node>();
  const res: FindResult = { accesses: [], residue: [], calls, functions, broken: new Set() };
  const candidates: Candidate[] = [];
  const embedded = embeddedFields(ctx);
  // Resolved file name -> whether it is a module: imports name the same few files again and again.
  const moduleFiles = new Map<string, boolean>();
  for (const sf of ctx.files) {
    const diags = ctx.program.getSyntacticDiagnostics(sf);
    if (diags.length > 0) {
      const d = diags[0]!;
      const node = findNodeAt(sf, d.start ?? 0);
      res.residue.push({ sf, node, cause: 'parse-error', reason: `file does not parse: ${tsv.flattenDiagnosticMessageText(d.messageText, ' ')}; its accesses were not analyzed` });
      res.broken.add(sf);
      continue;
    }
    const inScope = !scope || scope.has(sf);
    const mentions = inScope && ctx.textFilter.test(sf.text);
    let index = syntaxIndexes.get(sf);
    if (index?.text !== sf.text) index = undefined;
    if (!index || (mentions && index.candidates?.spec !== ctx.spec)) {
      const fresh = index ? undefined : { text: sf.text, calls: new Map(), functions: new Map() };
      const found: Candidate[] = [];
      // The data-flow pass's store candidates come from this same walk (one walk of each file for both).
      const stores = hasFileStoreCandidates(sf, embedded.key) ? undefined : { names: embedded.names, list: [] as Array<{ name: string; c: StoreCandidate }> };
      collect(ctx, sf, mentions, found, fresh, stores);
      if (stores) setFileStoreCandidates(sf, embedded.key, stores.list);
      if (fresh) syntaxIndexes.set(sf, index = fresh);
      if (mentions) index!.candidates = { spec: ctx.spec, all: found };
    }
    if (mentions) {
      const c = index!.candidates!;
      if (only && !only.has(sf)) {
        // Only what could be a wrapper's body: every access of a function that might be one (wrappers count them).
        c.wrapperBodies ??= c.all.filter((x) => mayBeWrapper(enclosingFunction(x.expr)));
        candidates.push(...c.wrapperBodies);
      } else candidates.push(...c.all);
    }
    calls.addPart(index!.calls);
    functions.addPart(index!.functions);
    if (inScope) unresolvedImports(ctx, sf, res, moduleFiles);
  }
  for (const c of candidates) resolve(ctx, c, res);
  return res;
}

/** Imports that do not resolve leave their names untyped: say so instead of silently missing accesses. */
function unresolvedImports(ctx: AnalysisContext, sf: ts.SourceFile, res: FindResult, moduleFiles: Map<string, boolean>): void {
  for (const st of sf.statements) {
    if (!(tsv.isImportDeclaration(st) || tsv.isExportDeclaration(st)) || !st.moduleSpecifier || !tsv.isStringLiteral(st.moduleSpecifier)) continue;
    if (!resolvesToModule(ctx, sf, st.moduleSpecifier, moduleFiles) && !ctx.checker.getSymbolAtLocation(st.moduleSpecifier)) {
      res.residue.push({ sf, node: st.moduleSpecifier, cause: 'unresolved-module', module: st.moduleSpecifier.text, reason: `module '${st.moduleSpecifier.text}' cannot be resolved: accesses through what it exports may be missed` });
    }
  }
}

/**
 * The program resolved `spec` to a file of its own that is a module: the checker's answer is then
 * a symbol too (it returns an ambient module of that name first, else that file's symbol), so
 * nothing needs asking it. Anything else (no resolution, a script, an internal API that moved)
 * goes to the checker.
 */
function resolvesToModule(ctx: AnalysisContext, sf: ts.SourceFile, spec: ts.StringLiteral, moduleFiles: Map<string, boolean>): boolean {
  const p = ctx.program as ts.Program & { getResolvedModule?: (f: ts.SourceFile, name: string, mode: ts.ResolutionMode) => { resolvedModule?: { resolvedFileName: string } } | undefined };
  const rm = p.getResolvedModule?.(sf, spec.text, p.getModeForUsageLocation(sf, spec))?.resolvedModule;
  if (!rm) return false;
  let isModule = moduleFiles.get(rm.resolvedFileName);
  if (isModule === undefined) {
    isModule = !!(p.getSourceFile(rm.resolvedFileName) as (ts.SourceFile & { symbol?: ts.Symbol }) | undefined)?.symbol;
    moduleFiles.set(rm.resolvedFileName, isModule);
  }
  return isModule;
}

/**
 * Lists by name over the files' own indexes, joined in file order when a name is first asked
 * (an incremental analysis asks for a few names; joining every file's lists up front cost more
 * than the asking), all at once when iterated or when the names asked one by one have cost what
 * one pass over every index costs (a whole analysis asks ~1,500 names). Names in the order of
 * their first appearance.
 */
class ByName<T> extends Map<string, T[]> {
  private parts: Array<ReadonlyMap<string, readonly T[]>> = [];
  private whole = false;
  private missing = new Set<string>();
  /** Index lookups the names asked one by one made, against the size of one pass over them all. */
  private asked = 0;
  private names = 0;

  addPart(part: ReadonlyMap<string, readonly T[]>): void {
    if (part.size > 0) {
      this.parts.push(part);
      this.names += part.size;
    }
  }

  override get(name: string): T[] | undefined {
    const hit = super.get(name);
    if (hit || this.whole || this.missing.has(name)) return hit;
    this.asked += this.parts.length;
    if (this.asked > this.names) {
      this.all();
      return super.get(name);
    }
    let out: T[] | undefined;
    for (const p of this.parts) {
      const l = p.get(name);
      if (l) (out ??= []).push(...l);
    }
    if (out) super.set(name, out);
    else this.missing.add(name);
    return out;
  }

  override has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  /** Every name joined, the map's order that of first appearance across the files. */
  private all(): void {
    if (this.whole) return;
    // One pass over the parts (asking get() per name walked every part once per name).
    const joined = new Map<string, T[]>();
    const add = (l: readonly T[], name: string): void => {
      const have = joined.get(name);
      if (have) for (let i = 0; i < l.length; i++) have.push(l[i]!);
      else joined.set(name, l.slice());
    };
    for (const p of this.parts) p.forEach(add);
    // A list already handed out stays the one returned (the same contents).
    const handedOut = new Map(super.entries());
    super.clear();
    for (const [name, l] of joined) super.set(name, handedOut.get(name) ?? l);
    this.whole = true;
  }

  override get size(): number {
    this.all();
    return super.size;
  }

  override keys(): MapIterator<string> {
    this.all();
    return super.keys();
  }

  override values(): MapIterator<T[]> {
    this.all();
    return super.values();
  }

  override entries(): MapIterator<[string, T[]]> {
    this.all();
    return super.entries();
  }

  override [Symbol.iterator](): MapIterator<[string, T[]]> {
    this.all();
    return super[Symbol.iterator]();
  }

  override forEach(f: (value: T[], key: string, map: Map<string, T[]>) => void, thisArg?: unknown): void {
    this.all();
    super.forEach(f, thisArg);
  }
}

function findNodeAt(sf: ts.SourceFile, pos: number): ts.Node {
  let found: ts.Node = sf;
  const visit = (n: ts.Node): void => {
    if (n.getStart(sf) <= pos && pos < n.getEnd()) {
      found = n;
      tsv.forEachChild(n, visit);
    }
  };
  tsv.forEachChild(sf, visit);
  return found;
}

function collect(ctx: AnalysisContext, sf: ts.SourceFile, mentions: boolean, out: Candidate[], index: SyntaxIndex | undefined,
  stores?: { names: ReadonlySet<string>; list: Array<{ name: string; c: StoreCandidate }> }): void {
  const names = ctx.memberNames;
  const pageClass = ctx.spec.page.class;
  const visit = (n: ts.Node): void => {
    const k = n.kind;
    // Tokens (identifiers, keywords, literals: most nodes) have no children and nothing recorded here.
    if (k <= LAST_TOKEN) return;
    if (!RECORDED[k]) {
      tsv.forEachChild(n, visit);
      return;
    }
    if (stores) storesAt(n, stores.names, stores.list);
    if (tsv.isCallExpression(n)) {
      const name = index && calleeName(n);
      if (name !== undefined) {
        const l = index!.calls.get(name);
        if (l) l.push(n);
        else index!.calls.set(name, [n]);
      }
      if (mentions) {
        const args = n.arguments;
        for (let i = 0; i + 1 < args.length; i++) {
          const a = skipOuter(args[i]!);
          const b = args[i + 1]!;
          const aName = tsv.isIdentifier(a) ? a.text : tsv.isPropertyAccessExpression(a) ? a.name.text : undefined;
          if (aName === pageClass && isStringLike(b) && (ctx.fields.has(b.text) || ctx.renamedFields.has(b.text))) {
            out.push({ sf, kind: 'container', node: b, expr: n, receiver: n, name: b.text, classArg: a });
          }
        }
      }
    } else if (!index) {
      // Functions already indexed.
    } else if (tsv.isFunctionDeclaration(n) || tsv.isMethodDeclaration(n)) {
      if (n.name && tsv.isIdentifier(n.name)) addFn(index, n.name.text, n);
    } else if (tsv.isVariableDeclaration(n) && tsv.isIdentifier(n.name) && n.initializer) {
      const init = skipOuter(n.initializer);
      if (tsv.isArrowFunction(init) || tsv.isFunctionExpression(init)) addFn(index, n.name.text, init);
    }
    if (mentions) {
      if (tsv.isPropertyAccessExpression(n)) {
        if (names.has(n.name.text)) out.push({ sf, kind: 'member', node: n.name, expr: n, receiver: n.expression, name: n.name.text });
      } else if (tsv.isElementAccessExpression(n)) {
        const arg = skipOuter(n.argumentExpression);
        if (isStringLike(arg)) {
          if (names.has(arg.text)) out.push({ sf, kind: 'member', node: arg, expr: n, receiver: n.expression, name: arg.text });
        } else if (!tsv.isNumericLiteral(arg) && !tsv.isPrefixUnaryExpression(arg) && !tsv.isPostfixUnaryExpression(arg) &&
          !(tsv.isBinaryExpression(arg) && arg.operatorToken.kind !== tsv.SyntaxKind.PlusToken && arg.operatorToken.kind !== tsv.SyntaxKind.QuestionQuestionToken)) {
          out.push({ sf, kind: 'computed', node: arg, expr: n, receiver: n.expression, name: '' });
        }
      } else if (tsv.isObjectBindingPattern(n)) {
        for (const el of n.elements) {
          if (el.dotDotDotToken) continue;
          const key = el.propertyName ?? el.name;
          const text = tsv.isIdentifier(key) || tsv.isStringLiteral(key) ? key.text : undefined;
          if (text !== undefined && names.has(text)) {
            const decl = n.parent;
            const receiver = tsv.isVariableDeclaration(decl) && decl.initializer ? decl.initializer : undefined;
            out.push({ sf, kind: 'binding', node: key, expr: el, ...(receiver ? { receiver } : {}), name: text });
          }
        }
      } else if (tsv.isBinaryExpression(n) && n.operatorToken.kind === tsv.SyntaxKind.EqualsToken && tsv.isObjectLiteralExpression(skipOuter(n.left))) {
        for (const p of (skipOuter(n.left) as ts.ObjectLiteralExpression).properties) {
          if ((tsv.isShorthandPropertyAssignment(p) || tsv.isPropertyAssignment(p)) && tsv.isIdentifier(p.name) && names.has(p.name.text)) {
            out.push({ sf, kind: 'binding', node: p.name, expr: p, receiver: n.right, name: p.name.text });
          }
        }
      }
    }
    tsv.forEachChild(n, visit);
  };
  visit(sf);
}

/** The node kinds collect() (and storesAt()) record anything at, by kind: every other node is only walked through. */
const RECORDED: boolean[] = [];
const LAST_TOKEN = tsv.SyntaxKind.LastToken;
for (const k of [tsv.SyntaxKind.CallExpression, tsv.SyntaxKind.FunctionDeclaration, tsv.SyntaxKind.MethodDeclaration, tsv.SyntaxKind.VariableDeclaration,
  tsv.SyntaxKind.PropertyAccessExpression, tsv.SyntaxKind.ElementAccessExpression, tsv.SyntaxKind.ObjectBindingPattern, tsv.SyntaxKind.BinaryExpression]) RECORDED[k] = true;

function addFn(index: SyntaxIndex, name: string, n: ts.Node): void {
  const l = index.functions.get(name);
  if (l) l.push(n);
  else index.functions.set(name, [n]);
}

function isAnyLike(t: ts.Type): boolean {
  return (t.flags & (tsv.TypeFlags.Any | tsv.TypeFlags.Unknown)) !== 0;
}

function anyReason(ctx: AnalysisContext, t: ts.Type, recv: string): { reason: string; cause: ResidueCause; receiverType: string } {
  const intrinsic = (t as { intrinsicName?: string }).intrinsicName;
  if (intrinsic === 'error') return { reason: `type of \`${recv}\` could not be resolved`, cause: 'unresolved-type', receiverType: typeName(ctx, t) };
  return { reason: `receiver \`${recv}\` has type ${typeName(ctx, t)}`, cause: 'any', receiverType: typeName(ctx, t) };
}

function resolve(ctx: AnalysisContext, c: Candidate, res: FindResult): void {
  const { checker } = ctx;
  const { sf } = c;
  // A name that is no tracked field yields something only when its symbol is declared on the class
  // or a descriptor (see memberOwner): one no such declaration spells needs no type query.
  if ((c.kind === 'member' || c.kind === 'binding') && !ctx.fields.has(c.name) && !ctx.mayBeClassMember(c.name)) return;
  // The receiver's text only for what is reported (most candidates are not the class).
  const recvText = (): string => (c.receiver ? shortText(c.receiver, sf) : shortText(c.expr.parent ?? c.expr, sf));
  if (c.kind === 'container') {
    const renamed = ctx.fields.has(c.name) ? undefined : renamedAccess(ctx, c.name);
    if (renamed && ctx.isPageClassRef(c.classArg!)) {
      res.accesses.push({ sf, node: c.node, expr: c.expr, receiver: c.receiver!, receiverText: shortText(c.expr, sf), field: renamed.field, access: 'reference', converted: renamed.converted });
      return;
    }
    if (!renamed && ctx.isPageClassRef(c.classArg!)) {
      res.accesses.push({ sf, node: c.node, expr: c.expr, receiver: c.receiver!, receiverText: shortText(c.expr, sf), field: c.name, access: 'reference' });
    }
    return;
  }
  if (c.kind === 'computed') {
    // A number or symbol key names no field, whatever the receiver: asked first (a loop index is
    // cheaper to type than the collection it indexes, and most computed keys are one).
    const kt = checker.getTypeAtLocation(c.node);
    if (kt.flags & (tsv.TypeFlags.NumberLike | tsv.TypeFlags.ESSymbolLike) && !kt.isUnion() && !kt.isStringLiteral()) return;
    const rt = checker.getTypeAtLocation(c.receiver!);
    if (!ctx.typeIsPage(rt)) return;
    const lits = (kt.isUnion() ? kt.types : [kt]).filter((t) => t.isStringLiteral()).map((t) => (t as ts.StringLiteralType).value);
    const isLiteralOnly = lits.length > 0 && (kt.isUnion() ? kt.types.length === lits.length : true);
    const tracked = lits.filter((l) => ctx.fields.has(l));
    if (isLiteralOnly && tracked.length === 0) return;
    if (isLiteralOnly && lits.length === 1) {
      const field = ctx.fields.get(tracked[0]!)!;
      res.accesses.push({ sf, node: c.node, expr: c.expr, receiver: c.receiver!, receiverText: recvText(), field: field.name,
        access: accessKind(c.expr as ts.Expression, field.embedded, ctx.spec.page.addressMembers) });
      return;
    }
    if (kt.flags & (tsv.TypeFlags.NumberLike | tsv.TypeFlags.ESSymbolLike)) return;
    res.residue.push({
      sf, node: c.node, cause: 'computed-key', receiverType: typeName(ctx, rt), mayBe: ctx.spec.page.class,
      reason: `computed key \`${shortText(c.node, sf)}\` on \`${recvText()}\` (${ctx.spec.page.class}): ${isLiteralOnly ? `may be ${lits.join(' | ')}` : 'field unknown'}`,
    });
    return;
  }
  let sym: ts.Symbol | undefined;
  if (c.kind === 'binding') {
    const pattern = tsv.isBindingElement(c.expr) ? c.expr.parent : undefined;
    const t = pattern ? checker.getTypeAtLocation(pattern) : checker.getTypeAtLocation(c.receiver!);
    if (isAnyLike(t)) {
      if (ctx.fields.has(c.name) && ctx.fields.get(c.name)!.track === 'always') {
        const intrinsic = (t as { intrinsicName?: string }).intrinsicName;
        res.residue.push({ sf, node: c.node, field: c.name, cause: intrinsic === 'error' ? 'unresolved-type' : 'any', receiverType: typeName(ctx, t), reason: `destructured from a value of type ${typeName(ctx, t)}` });
      }
      return;
    }
    sym = checker.getPropertyOfType(t, c.name);
  } else {
    sym = checker.getSymbolAtLocation(c.node);
  }
  if (!sym) {
    if (c.kind === 'member' && ctx.fields.get(c.name)?.track === 'always') {
      const t = checker.getTypeAtLocation(c.receiver!);
      if (isAnyLike(t)) {
        const why = anyReason(ctx, t, recvText());
        res.residue.push({ sf, node: c.node, field: c.name, cause: why.cause, receiverType: why.receiverType, reason: `${why.reason}: cannot tell whether \`.${c.name}\` is a ${ctx.spec.page.class} field` });
      }
    }
    return;
  }
  const owner = ctx.memberOwner(sym);
  if (!owner) {
    // Declared by another type: one the class implements, extends or satisfies may still hold one.
    if (ctx.fields.has(c.name)) supertypeResidue(ctx, c, recvText, res);
    return;
  }
  if (owner === 'mixed') {
    const t = c.receiver ? checker.getTypeAtLocation(c.receiver) : undefined;
    res.residue.push({
      sf, node: c.node, field: c.name, cause: 'union', ...(t ? { receiverType: typeName(ctx, t) } : {}), mayBe: ctx.spec.page.class,
      reason: `receiver \`${recvText()}\`${t ? ` has type ${typeName(ctx, t)}` : ''}: may or may not be a ${ctx.spec.page.class}`,
    });
    return;
  }
  if ('page' in owner) {
    const field = ctx.fields.get(c.name);
    if (!field) {
      const renamed = renamedAccess(ctx, c.name);
      if (!renamed) return;
      const rawField = ctx.spec.page.fields.find((f) => f.name === renamed.field);
      const access = c.kind === 'binding' ? 'read' : accessKind(c.expr as ts.Expression, rawField?.embedded ?? false, ctx.spec.page.addressMembers);
      res.accesses.push({ sf, node: c.node, expr: c.expr, ...(c.receiver ? { receiver: c.receiver } : {}), receiverText: recvText(), field: renamed.field, access, converted: renamed.converted });
      return;
    }
    const access = c.kind === 'binding' ? (field.embedded ? 'reference' : 'read') : accessKind(c.expr as ts.Expression, field.embedded, ctx.spec.page.addressMembers);
    res.accesses.push({ sf, node: c.node, expr: c.expr, ...(c.receiver ? { receiver: c.receiver } : {}), receiverText: recvText(), field: field.name, access });
    return;
  }
  const raw = (ctx.descFields.get(c.name) ?? []).find(([k]) => k === owner.kind);
  if (!raw) return;
  const rawField = ctx.spec.page.fields.find((f) => f.name === raw[1]);
  const access = c.kind === 'binding' ? 'read' : accessKind(c.expr as ts.Expression, rawField?.embedded ?? false, ctx.spec.page.addressMembers);
  res.accesses.push({
    sf, node: c.node, expr: c.expr, ...(c.receiver ? { receiver: c.receiver } : {}), receiverText: recvText(), field: raw[1], access,
    converted: { kind: owner.kind, descriptorField: c.name, className: owner.kind.descriptor!.class },
  });
}

/** A page-class member that a descriptor-less kind renamed a raw field to (page.buddy_list): converted. */
function renamedAccess(ctx: AnalysisContext, name: string): { field: string; converted: NonNullable<RawAccess['converted']> } | undefined {
  const l = ctx.renamedFields.get(name);
  if (!l || l.length !== 1) return undefined;
  const [kind, raw] = l[0]!;
  return { field: raw, converted: { kind, descriptorField: name, className: ctx.spec.page.class } };
}

/** The class's declared supertypes (what it extends and implements, transitively), per context. */
const supertypeCache = new WeakMap<AnalysisContext, { types: ts.Type[]; nominal: Set<ts.Symbol>; assignable: Map<ts.Type, boolean> }>();

function pageSupertypes(ctx: AnalysisContext): { types: ts.Type[]; nominal: Set<ts.Symbol>; assignable: Map<ts.Type, boolean> } {
  let r = supertypeCache.get(ctx);
  if (r) return r;
  const { checker } = ctx;
  const types: ts.Type[] = [];
  const nominal = new Set<ts.Symbol>();
  const visit = (decl: ts.Node, depth: number): void => {
    if (depth > 8 || !(tsv.isClassDeclaration(decl) || tsv.isInterfaceDeclaration(decl))) return;
    for (const h of decl.heritageClauses ?? []) {
      for (const e of h.types) {
        let sym = checker.getSymbolAtLocation(e.expression);
        if (sym && sym.flags & tsv.SymbolFlags.Alias) sym = checker.getAliasedSymbol(sym);
        if (!sym || nominal.has(sym)) continue;
        nominal.add(sym);
        for (const d of sym.declarations ?? []) visit(d, depth + 1);
      }
    }
  };
  for (const d of ctx.pageDecls) {
    const name = (d as ts.ClassDeclaration | ts.InterfaceDeclaration | ts.TypeAliasDeclaration).name;
    if (name) types.push(checker.getTypeAtLocation(name));
    visit(d, 0);
  }
  r = { types, nominal, assignable: new Map() };
  supertypeCache.set(ctx, r);
  return r;
}

/**
 * A tracked field read through a type other than the class: residue when an object of the class
 * may stand behind it (the type is one the class implements or extends, a union holding one, or
 * a type the class satisfies structurally), never silently skipped. Unrelated types are left alone.
 */
function supertypeResidue(ctx: AnalysisContext, c: Candidate, recvText: () => string, res: FindResult): void {
  const { checker } = ctx;
  const { sf } = c;
  const t = c.kind === 'binding' && tsv.isBindingElement(c.expr) ? checker.getTypeAtLocation(c.expr.parent) : c.receiver ? checker.getTypeAtLocation(c.receiver) : undefined;
  if (!t) return;
  const { types, nominal, assignable } = pageSupertypes(ctx);
  const parts = (t.isUnion() ? t.types : [t]).filter((p) => !(p.flags & (tsv.TypeFlags.Null | tsv.TypeFlags.Undefined | tsv.TypeFlags.Void)));
  let how: 'supertype' | 'structural' | undefined;
  let via: ts.Type | undefined;
  for (let p of parts) {
    if (p.flags & tsv.TypeFlags.TypeParameter) p = checker.getBaseConstraintOfType(p) ?? p;
    if (!checker.getPropertyOfType(p, c.name)) continue;
    const sym = p.getSymbol() ?? p.aliasSymbol;
    if (sym && nominal.has(sym)) {
      how = 'supertype';
      via = p;
      break;
    }
    // Structurally: only a shape (interface, type literal); another class of the same shape is a decoy, not a supertype.
    const shape = !!sym?.declarations?.length && sym.declarations.every((d) => tsv.isInterfaceDeclaration(d) || tsv.isTypeLiteralNode(d) || tsv.isTypeAliasDeclaration(d));
    // One assignability question per receiver type (a shape read in many places is asked once).
    let fits = assignable.get(p);
    if (fits === undefined && shape) assignable.set(p, fits = types.some((pt) => checker.isTypeAssignableTo(pt, p)));
    if (!how && shape && fits) {
      how = 'structural';
      via = p;
    }
  }
  if (!how || !via) return;
  const cls = ctx.spec.page.class;
  const viaName = typeName(ctx, via);
  const cause: ResidueCause = parts.length > 1 ? 'union' : how;
  const relation = how === 'supertype' ? `${cls} implements or extends ${viaName}` : `${cls} satisfies ${viaName} structurally`;
  res.residue.push({
    sf, node: c.node, field: c.name, cause, receiverType: typeName(ctx, t), mayBe: cls,
    reason: `\`${recvText()}\` has type ${typeName(ctx, t)}, which declares \`${c.name}\` itself; ${relation}: may be a ${cls}`,
  });
}
