/**
 * What one file's analysis depends on in other files, by declaration rather than by file.
 *
 * Every project file is cut into units, one per top-level statement (a function, a class with its
 * members and method bodies, an interface, a variable statement, an import). A unit has:
 *
 * - a hash of its shape (shape.ts: tokens and the text inside expressions, not the comments
 *   between statements), with lines counted from the unit's first line, so that a unit moved
 *   down by an edit above it keeps its hash (where a result cites a line, cache.ts compares the
 *   unit at that line); a file with parse errors or in JavaScript: the statement's exact text;
 * - the names it declares: its top-level names (an import's are its file's own);
 * - the names it mentions: every identifier and identifier-like string inside it.
 *
 * A unit depends on every unit in the project declaring a name it mentions. That is decided by
 * name alone, never by the checker, so it over-approximates. Every type the checker meets in a
 * file comes from a declaration reached through names: aliases, re-exports, namespace imports,
 * a method called on a value of an inferred type, a field read through a type the file never
 * names — each step of such a chain is a unit mentioning the next top-level name (members are
 * reached with the class, interface or variable holding them). What the analyzer
 * reads of another file (the types the checker derives from its declarations, the returns of
 * the functions a page came from, wrapper bodies, functions that mark their parameter, the
 * bodies of the spec's type tests and allocators) is reached through names: a unit's hash
 * covers its body, so a body edit of a function reaches exactly the units that (transitively)
 * mention it. A file's key is the Merkle hash of what its own units reach (strongly connected
 * components hashed together), so an edit anywhere else keeps it.
 *
 * A function declaration whose body no other file's analysis reads (`bodyPrivate`: its return
 * type is written out, it returns nothing provenance can trace, is no wrapper and marks no
 * parameter) is two units: its signature, which other
 * files reach, and its body, which only its own file's key reaches. So is a function whose body
 * the analyzer may read but reports reading (`bodyRecorded`: its returns, followed per query): a
 * caller whose analysis looked into it has a `body:` dependency that cache.ts checks against the
 * body now (`UnitGraph.bodyPart`); any other caller keeps its entry through a body edit.
 *
 * Always part of every key: declarations that name nothing (`export *`, `declare global`,
 * `export =`: what they change in the checker's view is not named) with the units declaring the
 * names they mention, one level deep, files that are not code (JSON: their content id), each
 * file's header (pragmas, references), format and whether it mentions a tracked name, and the
 * units declaring what the spec names: its class with the units it mentions and its supertypes
 * however deep (a receiver typed with one may be the class), and its type tests with the units
 * that may hold the module constants their bodies read (the kinds' marker constants, which type
 * marks in any file are read against: variables and imports, not the types a test names, which a
 * file reaches by name), and the helpers their verdict may read however deep (functions, their
 * bodies and the variables they name, through imports, and the class methods and namespace
 * functions they call, each by its own declaration found by the called name, not its class: whether a spec-named test is
 * one by its code decides the marker constants, a read no query records). Not the descriptor classes:
 * the analyzer reads one only through a type, which comes from declarations reached by name.
 * Top-level code that declares nothing (`SLAB_MATCH(…)` checks, `register_initcall(…, zs_init)`,
 * an `if`: `Unit.effect`) is no part of any other file's key: it reaches another file's analysis
 * through a module variable it marks, which a query reads with a `file:` dependency, so it is
 * part of every `file:` signature instead, one level deep as before (`UnitGraph.effects`: a
 * top-level call of a function that marks a module variable is seen one call deep); calls of
 * its functions and stores anywhere are verified as callers (cache.ts). Callers, stores into fields
 * and value use — facts that flow in from files that do not import this one — are not reached
 * by names; the analyzer reports them per file and cache.ts verifies them after the lookup.
 */
import { createHash } from 'node:crypto';
import { ts } from '@ts-morph/common';
import type { Spec } from '../model/spec.ts';
import { calleeName } from '../analyzers/ast.ts';
import { tsv } from '../analyzers/tsValues.ts';
import { matchName } from '../analyzers/glob.ts';
import { traceable } from '../analyzers/provenance.ts';
import { mayBeWrapper } from '../analyzers/wrappers.ts';
import type { MarkSummaries } from './marks.ts';
import { scanShape } from './shape.ts';

/**
 * The TypeScript functions the unit scan calls per node, from the analyzers' table of plain data
 * properties (analyzers/tsValues.ts: each `ts.isIdentifier(n)` on the namespace is a dictionary
 * lookup and a getter call).
 */
const SK = ts.SyntaxKind;
const NF = ts.NodeFlags;
const T = tsv;

export interface Unit {
  /** Shape hash, lines relative to the unit's first line (a split function: its signature). */
  hash: string;
  /** A function whose body no other file's analysis reads (see `bodyPrivate`): the body's hash. */
  body?: string;
  /** Names the body mentions (reached from the file's own key only). */
  bodyMentions?: string[];
  /** 0-based line of the unit's first token, and of its last. */
  startLine: number;
  endLine: number;
  declares: string[];
  mentions: string[];
  /** Part of every key (declares nothing nameable). */
  always: boolean;
  /**
   * Top-level code that declares nothing (`SLAB_MATCH(…)`, `register_initcall(…)`, an `if`): not
   * part of every key but of every whole-file dependency's signature (see `UnitGraph.effects`).
   */
  effect?: boolean;
  /** An import: its names are the file's own, reached only from the file's other units. */
  local: boolean;
  /** A class or interface: the names its heritage clauses name (`extends`, `implements`). */
  heritage?: string[];
  /** Declares no variable (a function, class, interface, type, enum, namespace): it cannot hold a module constant. */
  noValue?: boolean;
  /** A function declaration, or variables all initialized with functions: a helper a type test's verdict may read. */
  callable?: boolean;
  /** A split function that may mark a parameter (passedTo): the callees it passes one to. */
  passes?: string[];
  /** A function declaration whose parameters nothing can mark (mayMarkParameter is false). */
  marksNothing?: boolean;
  /** An import or export statement: its names may alias a marker constant. */
  alias?: boolean;
  /** Names of the functions and methods declared inside it (not its own top-level name). */
  innerFns?: string[];
  /** Member names it calls (`x.NAME(…)`, `x['NAME'](…)`): the methods a type test's verdict may follow. */
  memberCalls?: string[];
  /** A class declaration: its methods with bodies, each by its own code (what a verdict calling one reads of it). */
  methods?: UnitMethod[];
}

/**
 * A method of a class unit, or a function of a namespace (called as a member too: `Inner.word(w)`),
 * apart from the rest of the unit (DepGraph.commit keys it alone).
 */
export interface UnitMethod {
  /** The names it is called by (a variable statement of a namespace may declare several). */
  names: string[];
  /** Shape hash of the method's own text, lines relative to its first line. */
  hash: string;
  /** Names it mentions (the top-level helpers and constants it may read). */
  mentions: string[];
  /** Member names it calls (`this.word(…)`: further methods). */
  memberCalls: string[];
}

export interface FileUnits {
  /** The file's header, module format and mention flag. */
  file: string;
  /**
   * The whole file's shape with its lines (shape.ts), from the same scan: its header and end, and
   * each statement's first line with the hash of its pieces; undefined without one.
   */
  shape?: string;
  units: Unit[];
}

function sha1(s: string): string {
  return createHash('sha1').update(s).digest('hex');
}

const IDENT = /^[A-Za-z_$][\w$]*$/;

/** Top-level names a statement declares (empty: it declares nothing nameable). */
export function topNames(st: ts.Statement): string[] {
  const out: string[] = [];
  const mods = T.canHaveModifiers(st) ? T.getModifiers(st) ?? [] : [];
  if (mods.some((m) => m.kind === SK.DefaultKeyword)) out.push('default');
  if ((T.isFunctionDeclaration(st) || T.isClassDeclaration(st) || T.isInterfaceDeclaration(st) || T.isTypeAliasDeclaration(st) ||
    T.isEnumDeclaration(st)) && st.name) out.push(st.name.text);
  else if (T.isModuleDeclaration(st) && T.isIdentifier(st.name)) out.push(st.name.text);
  else if (T.isVariableStatement(st)) {
    const bind = (n: ts.BindingName): void => {
      if (T.isIdentifier(n)) out.push(n.text);
      else for (const e of n.elements) if (!T.isOmittedExpression(e)) bind(e.name);
    };
    for (const d of st.declarationList.declarations) bind(d.name);
  } else if (T.isImportDeclaration(st) && st.importClause) {
    const c = st.importClause;
    if (c.name) out.push(c.name.text);
    const b = c.namedBindings;
    if (b && T.isNamespaceImport(b)) out.push(b.name.text);
    else if (b) for (const e of b.elements) out.push(e.name.text);
  } else if (T.isImportEqualsDeclaration(st)) out.push(st.name.text);
  else if (T.isExportDeclaration(st) && st.exportClause && T.isNamedExports(st.exportClause)) {
    for (const e of st.exportClause.elements) out.push(e.name.text);
  } else if (T.isExportDeclaration(st) && st.exportClause && T.isNamespaceExport(st.exportClause)) out.push(st.exportClause.name.text);
  else if (T.isExportAssignment(st) && !st.isExportEquals) out.push('default');
  return out;
}

/**
 * Whether a string may name a top-level declaration: a key (`ns['f']`, a literal type as in
 * `(typeof ns)['f']`) or an import or export name. Any other string (`'lru'` in
 * `list_entry(ptr, Page, 'lru')`, an element of a table of names) names no declaration a unit
 * could reach: a member is reached with its class, interface or variable.
 */
function namesByString(n: ts.StringLiteralLike): boolean {
  let x: ts.Node = n;
  while (x.parent && T.isParenthesizedExpression(x.parent)) x = x.parent;
  const p = x.parent;
  if (!p) return true;
  if (T.isElementAccessExpression(p)) return p.argumentExpression === x;
  return T.isLiteralTypeNode(p) || T.isImportSpecifier(p) || T.isExportSpecifier(p);
}

/**
 * Names mentioned inside `st`: identifiers, and strings that could name a top-level declaration
 * (`namesByString`). A default import reads the other module's `default`.
 */
function mentionsOf(st: ts.Node, out: Set<string>, within?: ts.Node): void {
  const scopes: Array<Set<string>> = [];
  const local = (name: string): boolean => scopes.some((sc) => sc.has(name));
  const visit = (n: ts.Node, inType: boolean): void => {
    const here = !within || (n.pos >= within.pos && n.end <= within.end);
    if (T.isIdentifier(n)) {
      // A parameter or local of an enclosing function or block is no top-level declaration.
      if (here && (inType || !valueReference(n) || !local(n.text))) out.add(n.text);
      return;
    }
    if (here) {
      if (T.isPrivateIdentifier(n)) out.add(n.text);
      else if (T.isStringLiteralLike(n) && IDENT.test(n.text) && namesByString(n)) out.add(n.text);
      else if (T.isImportClause(n) && n.name) out.add('default');
    }
    const scope = scopeNames(n);
    if (scope) scopes.push(scope);
    // Types live apart from values (a parameter `b` does not hide a type `b`); heritage clauses name both.
    const type = inType || T.isTypeNode(n) || T.isHeritageClause(n);
    T.forEachChild(n, (c) => visit(c, type));
    if (scope) scopes.pop();
  };
  visit(st, false);
}

/**
 * An identifier naming a value by lexical scope (a reference, or a declaration's own name):
 * not a member name (`x.f`, `{ f: 1 }`, a method), a module's import or export name, or a label,
 * whose meaning scope does not decide.
 */
function valueReference(n: ts.Identifier): boolean {
  const p = n.parent;
  if (!p) return false;
  if (T.isPropertyAccessExpression(p)) return p.expression === n;
  if (T.isQualifiedName(p)) return false;
  if ((T.isPropertyAssignment(p) || T.isPropertyDeclaration(p) || T.isMethodDeclaration(p) || T.isPropertySignature(p) || T.isMethodSignature(p) ||
    T.isGetAccessorDeclaration(p) || T.isSetAccessorDeclaration(p) || T.isEnumMember(p)) && p.name === n) return false;
  if (T.isBindingElement(p) && p.propertyName === n) return false;
  if (T.isImportSpecifier(p) || T.isExportSpecifier(p) || T.isImportClause(p) || T.isNamespaceImport(p) || T.isNamespaceExport(p) ||
    T.isImportEqualsDeclaration(p) || T.isExportAssignment(p)) return false;
  if (T.isLabeledStatement(p) || T.isBreakOrContinueStatement(p)) return false;
  return T.isExpression(n) || T.isShorthandPropertyAssignment(p) || T.isVariableDeclaration(p) || T.isParameter(p) || T.isBindingElement(p) ||
    ((T.isFunctionDeclaration(p) || T.isFunctionExpression(p) || T.isClassDeclaration(p) || T.isClassExpression(p)) && p.name === n);
}

/** Names of a binding (`a`, `{ a, b: [c] }`). */
function bindingNames(b: ts.BindingName, out: Set<string>): void {
  if (T.isIdentifier(b)) out.add(b.text);
  else for (const e of b.elements) if (!T.isOmittedExpression(e)) bindingNames(e.name, out);
}

/**
 * The value names a node declares for its inside, when it opens a scope (never the file's own
 * top level: those are the units' names): a function's parameters, its `var`s (hoisted) and its
 * own name as an expression; a block's `let`, `const`, functions and classes; a `for`'s and a
 * `catch`'s variables.
 */
function scopeNames(n: ts.Node): Set<string> | undefined {
  if (T.isSourceFile(n)) return undefined;
  if (T.isFunctionLike(n) && 'body' in n) {
    const names = new Set<string>();
    for (const p of n.parameters) bindingNames(p.name, names);
    if ((T.isFunctionExpression(n) || T.isClassExpression(n)) && n.name) names.add(n.name.text);
    const body = (n as ts.FunctionLikeDeclaration).body;
    const vars = (x: ts.Node): void => {
      if (T.isFunctionLike(x) || T.isClassLike(x)) return;
      if (T.isVariableDeclarationList(x) && !(x.flags & NF.BlockScoped)) for (const d of x.declarations) bindingNames(d.name, names);
      T.forEachChild(x, vars);
    };
    if (body) T.forEachChild(body, vars);
    return names;
  }
  const statements = T.isBlock(n) || T.isModuleBlock(n) ? n.statements : T.isCaseClause(n) || T.isDefaultClause(n) ? n.statements : undefined;
  if (statements && !T.isModuleBlock(n)) {
    const names = new Set<string>();
    for (const st of statements) {
      if (T.isVariableStatement(st) && st.declarationList.flags & NF.BlockScoped) for (const d of st.declarationList.declarations) bindingNames(d.name, names);
      else if ((T.isFunctionDeclaration(st) || T.isClassDeclaration(st)) && st.name) names.add(st.name.text);
    }
    return names;
  }
  if ((T.isForStatement(n) || T.isForInStatement(n) || T.isForOfStatement(n)) && n.initializer && T.isVariableDeclarationList(n.initializer)) {
    const names = new Set<string>();
    for (const d of n.initializer.declarations) bindingNames(d.name, names);
    return names;
  }
  if (T.isCatchClause(n) && n.variableDeclaration) {
    const names = new Set<string>();
    bindingNames(n.variableDeclaration.name, names);
    return names;
  }
  if (T.isClassExpression(n) && n.name) return new Set([n.name.text]);
  return undefined;
}

const PRIMITIVE = new Set<ts.SyntaxKind>([
  SK.NumberKeyword, SK.StringKeyword, SK.BooleanKeyword, SK.VoidKeyword,
  SK.BigIntKeyword, SK.UndefinedKeyword, SK.NeverKeyword, SK.SymbolKeyword,
]);

/** A type annotation naming only primitives (`number`, `string | undefined`, a literal): no object can flow through it. */
function primitiveType(t: ts.TypeNode | undefined): boolean {
  if (!t) return false;
  if (PRIMITIVE.has(t.kind)) return true;
  if (T.isLiteralTypeNode(t)) return true;
  if (T.isUnionTypeNode(t)) return t.types.every(primitiveType);
  if (T.isParenthesizedTypeNode(t)) return primitiveType(t.type);
  return false;
}

/**
 * Whether no other file's analysis reads the body of function `st`. The analyzer reads a
 * callee's body for three things only: what it returns (provenance follows every return value
 * it can trace, whatever its type: a `number` may be an address, `virt_to_page(f())`), whether
 * it is a wrapper (a body of one statement or expression), and whether it marks a parameter (a
 * call taking a parameter, or a write into a parameter's member, anywhere in it but nested
 * functions: a mark under a branch is on every path when the other side throws). The checker
 * takes the type from the return type annotation, which must be there.
 * A function with none of these is read by its callers through its signature alone.
 */
function bodyPrivate(st: ts.Statement): st is ts.FunctionDeclaration & { body: ts.Block } {
  if (!T.isFunctionDeclaration(st) || !st.body || st.asteriskToken || !st.type) return false;
  // One statement may be a wrapper of a parameter's field, unless no parameter can hold an object.
  if (st.body.statements.length <= 1 && !st.parameters.every((p) => primitiveType(p.type))) return false;
  // A return value provenance can trace (a name, a call, a member read, …): callers read the body.
  // Returns of nested functions are theirs; provenance reads only the function's own.
  const returns = (n: ts.Node): boolean => {
    if (T.isFunctionLike(n) || T.isClassLike(n)) return false;
    if (T.isReturnStatement(n) && n.expression && traceable(n.expression)) return true;
    return !!T.forEachChild(n, (c) => (returns(c) ? true : undefined));
  };
  if (st.body.statements.some(returns)) return false;
  return !mayMarkParameter(st as ts.FunctionDeclaration & { body: ts.Block });
}

/**
 * Whether function `st` may mark a parameter: a call passing one, or a write into one's member,
 * anywhere in its body but nested functions (whose marks are their own). The analyzer counts a
 * mark that lies on every normal path (dataflow.ts `onEveryPath`), which a branch can be when its
 * other side throws or never returns, so the syntax alone cannot rule one out. Its callers' marks
 * build on such a body, transitively: they reach it by name.
 */
function mayMarkParameter(st: ts.FunctionDeclaration & { body: ts.Block }): boolean {
  const params = new Set<string>();
  for (const p of st.parameters) {
    if (!T.isIdentifier(p.name)) return true;
    // A parameter typed as a primitive holds no page: nothing marks it.
    if (!primitiveType(p.type)) params.add(p.name.text);
  }
  const isParam = (e: ts.Expression): boolean => {
    let x = e;
    while (T.isParenthesizedExpression(x) || T.isAsExpression(x) || T.isNonNullExpression(x) || T.isSatisfiesExpression(x)) x = x.expression;
    return T.isIdentifier(x) && params.has(x.text);
  };
  let marks = false;
  const visit = (n: ts.Node): void => {
    if (marks) return;
    if (n !== st && (T.isFunctionLike(n) || T.isClassLike(n))) return;
    if (T.isCallExpression(n) && n.arguments.some(isParam)) {
      marks = true;
      return;
    }
    if (T.isBinaryExpression(n) && n.operatorToken.kind >= SK.FirstAssignment && n.operatorToken.kind <= SK.LastAssignment) {
      let l = n.left;
      while (T.isParenthesizedExpression(l)) l = l.expression;
      if ((T.isPropertyAccessExpression(l) || T.isElementAccessExpression(l)) && isParam(l.expression)) {
        marks = true;
        return;
      }
    }
    T.forEachChild(n, visit);
  };
  st.body.statements.forEach(visit);
  return marks;
}

/**
 * Whether the body of function `st` is read only where an analysis says it read it: the analyzer
 * reports every body its queries look into (`body:` dependencies, provenance.ts BODY_DEP: returns
 * followed, containers returned, the spec's allocators), and cache.ts checks those against the
 * body now. So its callers reach its signature alone when the checker's view of it does not
 * depend on the body (its return type is written out), it cannot be a wrapper (more than one
 * statement: wrappers.ts `mayBeWrapper`), and no spec rule reads it by name for every file
 * (`isSpecName`: type tests, whose bodies define the marker constants, allocators, seeds). A body
 * that may mark a parameter (mark summaries are computed for the whole program, not read per
 * query) is reached from its signature by an edge, while `mayMarkFixpoint` says it may this
 * commit: its callers' keys change with it then, and only then. A body that becomes one
 * statement makes its unit whole again.
 */
function bodyRecorded(st: ts.Statement, isSpecName: (name: string) => boolean): st is ts.FunctionDeclaration & { body: ts.Block } {
  return T.isFunctionDeclaration(st) && !!st.body && !st.asteriskToken && !!st.type && !!st.name && !isSpecName(st.name.text) && !mayBeWrapper(st);
}

/**
 * What a recorded function that passes a parameter on or writes into one (`mayMarkParameter`)
 * needs for it to mark that parameter: the callees of the calls passing one ('' for a callee
 * with no name). It marks one only when its body names a marker constant (a direct mark: the
 * marker in the call or the write) or passes one to a function that may mark it (the summary's
 * transitive rule): decided per commit (`DepGraph.commit`), where a body that may mark is
 * reached with its signature again.
 */
function passedTo(st: ts.FunctionDeclaration & { body: ts.Block }): string[] {
  const params = new Set<string>();
  for (const p of st.parameters) if (T.isIdentifier(p.name)) params.add(p.name.text);
  const out = new Set<string>();
  const visit = (n: ts.Node): void => {
    // A mark inside a nested function is that function's (a summary is of the function whose parameter it marks).
    if (n !== st && (T.isFunctionLike(n) || T.isClassLike(n))) return;
    if (T.isCallExpression(n) && n.arguments.some((a) => {
      let x = a;
      while (T.isParenthesizedExpression(x) || T.isAsExpression(x) || T.isNonNullExpression(x) || T.isSatisfiesExpression(x) || T.isTypeAssertionExpression(x)) x = x.expression;
      return T.isIdentifier(x) && params.has(x.text);
    })) out.add(calleeName(n) ?? '');
    T.forEachChild(n, visit);
  };
  st.body.statements.forEach(visit);
  return [...out].sort();
}

/**
 * Every identifier-like string of the spec (class, kinds, type tests, allocators as globs, …): a
 * function so named keeps its body with its signature (`bodyRecorded`).
 */
export function specNamePredicate(spec: Spec): (name: string) => boolean {
  const globs = new Set<string>();
  const visit = (x: unknown): void => {
    if (typeof x === 'string') {
      if (/^[\w$*?]+$/.test(x)) globs.add(x);
    } else if (Array.isArray(x)) x.forEach(visit);
    else if (x && typeof x === 'object') Object.values(x).forEach(visit);
  };
  visit(spec);
  const memo = new Map<string, boolean>();
  return (name) => {
    let r = memo.get(name);
    if (r === undefined) {
      r = [...globs].some((g) => matchName(g, name));
      memo.set(name, r);
    }
    return r;
  };
}

/**
 * A statement's share of `fileUnits`, kept by its text (UnitCache): its units, lines relative to
 * its first token's, and the hash of its shape pieces, lines relative to the same.
 */
interface StatementPart {
  units: Unit[];
  shape: string;
  /** The column its text starts at, when a piece lies on that line (else its pieces do not depend on it). */
  col?: number;
}

/**
 * Statement parts by what they are made of: a statement's units and shape pieces are a function
 * of its own text from the end of the statement before (its leading trivia), the column that
 * text starts at when a piece lies on its first line (pieces carry columns) and how the file was
 * parsed (language version and variant, declaration file, module or script: what decides the
 * tree of a statement's text). A file
 * version sharing most statements with the one before (a commit editing one function of
 * `mm/slub.ts`) scans and cuts only the others. Never the first statement: the file's header
 * (pragmas, references) is read while scanning to it.
 */
export type StatementMemo = Map<string, StatementPart>;

/**
 * `sf` cut into units, or undefined when it has no shape (it is then part of every key by its
 * content id). `memo`: statement parts of earlier file versions (read and added to): the result
 * is the same with or without it.
 */
export function fileUnits(sf: ts.SourceFile, mentions: RegExp, isSpecName: (name: string) => boolean = () => true, memo?: StatementMemo): FileUnits | undefined {
  const stmts = sf.statements;
  const starts = stmts.map((st) => sf.getLineAndCharacterOfPosition(st.getStart(sf)).line);
  const parse = `${sf.languageVersion},${sf.languageVariant},${sf.isDeclarationFile},${T.isExternalModule(sf)}`;
  const keys = memo ? stmts.map((st, i) => (i === 0 ? '' : `${parse}\0${sf.text.slice(st.pos, st.end)}`)) : [];
  const posAt = stmts.map((st) => sf.getLineAndCharacterOfPosition(st.pos));
  const known = stmts.map((_st, i) => {
    const k = i === 0 || !memo ? undefined : memo.get(keys[i]!);
    return k && (k.col === undefined || k.col === posAt[i]!.character) ? k : undefined;
  });
  // Pieces are gathered as strings and hashed once per unit (one hash update per token is slow).
  const hashes = stmts.map((): string[] => []);
  // Functions whose body is the file's own: [body start, body end, its pieces].
  const split = stmts.map((st, i) => (!known[i] && (bodyPrivate(st) || bodyRecorded(st, isSpecName)) ? { from: st.body.getStart(sf), to: st.body.getEnd(), h: [] as string[] } : undefined));
  // Methods of classes, each hashed apart too (pieces arrive in text order: a cursor per class).
  const methods = stmts.map((st, i) => (known[i] ? undefined : memberFunctions(sf, st)));
  const cursor = stmts.map(() => 0);
  const file = createHash('sha1');
  file.update(`mentions ${mentions.test(sf.text)}\0${sf.impliedNodeFormat ?? ''}\0`);
  // The whole shape: the header, each statement's first line and the hash of its pieces (lines
  // relative to that one: every piece's line and column are in it), the end.
  const head = [`mentions ${mentions.test(sf.text)}\n`];
  const tail: string[] = [];
  const own = stmts.map((): string[] => []);
  const onFirst = stmts.map(() => false);
  const firstStart = stmts.length > 0 ? stmts[0]!.getStart(sf) : Infinity;
  const ok = scanShape(sf, {
    skip: (top) => !!known[top],
    piece: (top, tag, line, col, text, at) => {
      if (top < 0) {
        (at < firstStart ? head : tail).push(`${tag}${line},${col},${text.length}\0`, text);
        // The header's comments change nothing another file sees but its directives and
        // pragmas (`/// <reference …>`, `// @ts-nocheck`); lines do not matter (units count their own).
        for (const l of text.split('\n')) if (/\/\/\/|@/.test(l)) file.update(`${l.trim()}\n`);
        return;
      }
      const piece = `${tag}${line - starts[top]!},${col},${text.length}\0`;
      own[top]!.push(piece, text);
      if (line === posAt[top]!.line) onFirst[top] = true;
      const b = split[top];
      const h = b && at >= b.from && at < b.to ? b.h : hashes[top]!;
      h.push(piece, text);
      const ms = methods[top];
      if (ms) {
        let i = cursor[top]!;
        while (i < ms.length && ms[i]!.to <= at) i++;
        cursor[top] = i;
        const m = ms[i];
        if (m && at >= m.from) m.h.push(`${tag}${line - m.line},${col},${text.length}\0`, text);
      }
    },
  });
  // A file that does not scan is cut from its exact text (below), every statement anew.
  if (!ok && known.some(Boolean)) return fileUnits(sf, mentions, isSpecName);
  // No shape (parse errors, JavaScript where comments are types): each statement by its exact
  // text, leading comments included, and the whole header.
  const exact = !ok && /\.(?:[cm]?[jt]sx?)$/.test(sf.fileName);
  if (!ok && !exact) return undefined;
  const fileHash = exact ? sha1(`exact\0${sf.text.slice(0, stmts[0]?.getStart(sf) ?? sf.text.length)}`) : file.digest('hex');
  const whole = head;
  const units = stmts.flatMap((st, i): Unit[] => {
    const k = known[i];
    const shape = k?.shape ?? sha1(own[i]!.join(''));
    whole.push(`S${starts[i]!}\0${shape}\n`);
    if (k) return k.units.map((u) => ({ ...u, startLine: u.startLine + starts[i]!, endLine: u.endLine + starts[i]! }));
    const made = statementUnits(sf, st, hashes[i]!, split[i], methods[i], exact, starts[i]!);
    if (memo && i > 0 && ok) {
      memo.set(keys[i]!, { units: made.map((u) => ({ ...u, startLine: 0, endLine: u.endLine - starts[i]! })), shape,
        ...(onFirst[i] ? { col: posAt[i]!.character } : {}) });
    }
    return made;
  });
  if (!ok) return { file: fileHash, units };
  whole.push(...tail);
  return { file: fileHash, units, shape: sha1(whole.join('')) };
}

/** The units of statement `st` of `sf` from its scanned pieces (fileUnits); `start`: the line of its first token. */
function statementUnits(sf: ts.SourceFile, st: ts.Statement, pieces: string[], b: { h: string[] } | undefined,
  methods: MethodPart[] | undefined, exact: boolean, start: number): Unit[] {
  const top = topNames(st);
  const mentioned = new Set<string>();
  let bodyMentions: Set<string> | undefined;
  if (b && !exact) {
    // The signature's names reach other files' units; the body's only from the file's own key.
    bodyMentions = new Set();
    // From the function itself: its parameters are in scope in the body.
    mentionsOf(st, bodyMentions, (st as ts.FunctionDeclaration).body!);
    const sig = new Set<string>();
    for (const c of (st as ts.FunctionDeclaration).getChildren(sf)) if (c !== (st as ts.FunctionDeclaration).body) mentionsOf(c, sig);
    for (const m of sig) mentioned.add(m);
  } else mentionsOf(st, mentioned);
  const local = T.isImportDeclaration(st) || T.isImportEqualsDeclaration(st);
  const unit: Unit = {
    hash: sha1(exact ? `exact\0${st.getFullText(sf)}` : pieces.join('')),
    ...((T.isClassDeclaration(st) || T.isInterfaceDeclaration(st)) && st.heritageClauses
      ? { heritage: st.heritageClauses.flatMap((h) => h.types.map((t) => t.expression.getText(sf).split('.').pop()!)) } : {}),
    ...(bodyMentions ? { body: sha1(b!.h.join('')), bodyMentions: [...bodyMentions] } : {}),
    startLine: start,
    endLine: sf.getLineAndCharacterOfPosition(st.getEnd()).line,
    declares: top,
    mentions: [...mentioned],
    // `declare global`, `export *`, `export =`, a top-level call: nothing names what it changes.
    always: !local && (top.length === 0 || (T.isModuleDeclaration(st) && !T.isIdentifier(st.name))),
    local,
    ...(!local && top.length === 0 && isExecutable(st) ? { effect: true } : {}),
    ...(T.isFunctionDeclaration(st) || T.isClassDeclaration(st) || T.isInterfaceDeclaration(st) || T.isTypeAliasDeclaration(st) ||
      T.isEnumDeclaration(st) || T.isModuleDeclaration(st) ? { noValue: true } : {}),
    ...(isCallable(st) ? { callable: true } : {}),
    ...markFacts(st, !!bodyMentions),
    ...(local || T.isExportDeclaration(st) ? { alias: true } : {}),
    ...memberFacts(st, methods, exact ? sf : undefined),
  };
  return (!exact && specifierUnits(sf, st, unit)) || [unit];
}

/**
 * An import or export of several names, one unit per name: a name reaches what its own specifier
 * names, not every name of the statement (`export { KmemCache, kfree, … } from '../../mm/slub.ts'`
 * would otherwise tie every user of one of them to all the others, bodies included). Each unit's
 * hash is its specifier with what resolves it (the module, type-only flags, attributes); lines
 * stay the statement's. Undefined for a statement of fewer names (it stays one unit).
 */
function specifierUnits(sf: ts.SourceFile, st: ts.Statement, unit: Unit): Unit[] | undefined {
  const parts: Array<{ declares: string; mentions: string[]; text: string }> = [];
  const name = (n: ts.ModuleExportName): string => n.text;
  let head: string;
  if (T.isImportDeclaration(st)) {
    const c = st.importClause;
    const nb = c?.namedBindings;
    if (!c || !nb || !T.isNamedImports(nb)) return undefined;
    if (c.name) parts.push({ declares: c.name.text, mentions: ['default', c.name.text], text: `default as ${c.name.text}` });
    for (const e of nb.elements) {
      const from = e.propertyName ? name(e.propertyName) : e.name.text;
      parts.push({ declares: e.name.text, mentions: [...new Set([from, e.name.text])], text: `${e.isTypeOnly ? 'type ' : ''}${from} as ${e.name.text}` });
    }
    head = `import ${c.isTypeOnly ? 'type ' : ''}`;
  } else if (T.isExportDeclaration(st) && st.exportClause && T.isNamedExports(st.exportClause)) {
    for (const e of st.exportClause.elements) {
      const from = e.propertyName ? name(e.propertyName) : name(e.name);
      parts.push({ declares: name(e.name), mentions: [...new Set([from, name(e.name)].filter((x) => IDENT.test(x)))], text: `${e.isTypeOnly ? 'type ' : ''}${from} as ${name(e.name)}` });
    }
    head = `export ${st.isTypeOnly ? 'type ' : ''}`;
  } else return undefined;
  if (parts.length < 2) return undefined;
  const module = st.moduleSpecifier && T.isStringLiteral(st.moduleSpecifier) ? st.moduleSpecifier.text : '';
  const attributes = st.attributes ? st.attributes.getText(sf) : '';
  return parts.map((p) => ({
    ...unit,
    hash: sha1(`specifier\0${head}\0${module}\0${attributes}\0${p.text}`),
    declares: [p.declares],
    mentions: p.mentions,
  }));
}

/** What DepGraph.commit needs to decide which functions may mark a parameter (Unit.passes, marksNothing, innerFns). */
function markFacts(st: ts.Statement, split: boolean): Pick<Unit, 'passes' | 'marksNothing' | 'innerFns'> {
  const out: Pick<Unit, 'passes' | 'marksNothing' | 'innerFns'> = {};
  const inner = new Set<string>();
  const visit = (n: ts.Node): void => {
    if (n !== st) {
      const name = (T.isFunctionDeclaration(n) || T.isMethodDeclaration(n) || T.isFunctionExpression(n)) && n.name && T.isIdentifier(n.name) ? n.name.text
        : (T.isVariableDeclaration(n) || T.isPropertyAssignment(n) || T.isPropertyDeclaration(n)) && n.initializer && T.isIdentifier(n.name) &&
          (T.isArrowFunction(skipParens(n.initializer)) || T.isFunctionExpression(skipParens(n.initializer))) ? n.name.text : undefined;
      if (name !== undefined) inner.add(name);
      if (T.isShorthandPropertyAssignment(n)) inner.add(n.name.text);
    }
    T.forEachChild(n, visit);
  };
  visit(st);
  if (inner.size > 0) out.innerFns = [...inner].sort();
  if (T.isFunctionDeclaration(st) && st.body) {
    const fn = st as ts.FunctionDeclaration & { body: ts.Block };
    if (!mayMarkParameter(fn)) out.marksNothing = true;
    else if (split) out.passes = passedTo(fn);
  }
  return out;
}

interface MethodPart {
  node: ts.Node;
  names: string[];
  from: number;
  to: number;
  /** 0-based line of its first token. */
  line: number;
  /** Its shape pieces (fileUnits' scan). */
  h: string[];
}

/**
 * What of statement `st` is called as a member (`x.NAME(…)`), in text order: the methods with a
 * body of a class, and the functions of a namespace (declarations, and variables all initialized
 * with functions), classes and namespaces inside it included.
 */
function memberFunctions(sf: ts.SourceFile, st: ts.Statement): MethodPart[] | undefined {
  if (!T.isClassDeclaration(st) && !T.isModuleDeclaration(st)) return undefined;
  const out: MethodPart[] = [];
  const add = (node: ts.Node, names: string[]): void => {
    if (names.length === 0) return;
    const from = node.getStart(sf);
    out.push({ node, names, from, to: node.getEnd(), line: sf.getLineAndCharacterOfPosition(from).line, h: [] });
  };
  const visit = (n: ts.Node): void => {
    if (T.isClassDeclaration(n)) {
      for (const m of n.members) {
        if (!T.isMethodDeclaration(m) || !m.body) continue;
        if (T.isIdentifier(m.name) || T.isPrivateIdentifier(m.name) || T.isStringLiteral(m.name) || T.isNumericLiteral(m.name)) add(m, [m.name.text]);
      }
    } else if (T.isModuleDeclaration(n) && n.body) {
      if (T.isModuleDeclaration(n.body)) visit(n.body);
      else if (T.isModuleBlock(n.body)) {
        for (const x of n.body.statements) {
          if (T.isFunctionDeclaration(x) && x.body && x.name) add(x, [x.name.text]);
          else if (T.isVariableStatement(x) && isCallable(x)) add(x, topNames(x));
          else visit(x);
        }
      }
    }
  };
  visit(st);
  return out.length > 0 ? out : undefined;
}

/** Member names `n` calls anywhere inside it (`x.NAME(…)`, `x?.NAME(…)`, `x['NAME'](…)`). */
function memberCallsOf(n: ts.Node): string[] {
  const out = new Set<string>();
  const visit = (x: ts.Node): void => {
    if (T.isCallExpression(x)) {
      const c = skipParens(x.expression);
      if (T.isPropertyAccessExpression(c)) out.add(c.name.text);
      else if (T.isElementAccessExpression(c) && T.isStringLiteralLike(c.argumentExpression)) out.add(c.argumentExpression.text);
    }
    T.forEachChild(x, visit);
  };
  visit(n);
  return [...out].sort();
}

/**
 * What a type test's verdict may follow through member calls (DepGraph.commit): the member names
 * statement `st` calls, and for a class its methods each by its own code (`exact`: a file with no
 * shape, each method by its exact text).
 */
function memberFacts(st: ts.Statement, methods: MethodPart[] | undefined, exact: ts.SourceFile | undefined): Pick<Unit, 'memberCalls' | 'methods'> {
  const calls = memberCallsOf(st);
  return {
    ...(calls.length > 0 ? { memberCalls: calls } : {}),
    ...(methods ? {
      methods: methods.map((m) => {
        const mentions = new Set<string>();
        mentionsOf(m.node, mentions);
        return {
          names: m.names,
          hash: sha1(exact ? `exact\0${m.node.getText(exact)}` : m.h.join('')),
          mentions: [...mentions],
          memberCalls: memberCallsOf(m.node),
        };
      }),
    } : {}),
  };
}

/** A function declaration, or a variable statement whose every declaration is initialized with a function. */
function isCallable(st: ts.Statement): boolean {
  if (T.isFunctionDeclaration(st)) return true;
  if (!T.isVariableStatement(st)) return false;
  return st.declarationList.declarations.every((d) => {
    const i = d.initializer && skipParens(d.initializer);
    return !!i && (T.isArrowFunction(i) || T.isFunctionExpression(i));
  });
}

function skipParens(e: ts.Expression): ts.Expression {
  while (T.isParenthesizedExpression(e)) e = e.expression;
  return e;
}

/** A statement that only runs code (no declaration, import or export): what it can change is verified, not named. */
function isExecutable(st: ts.Statement): boolean {
  return T.isExpressionStatement(st) || T.isIfStatement(st) || T.isIterationStatement(st, false) || T.isBlock(st) || T.isTryStatement(st) ||
    T.isSwitchStatement(st) || T.isLabeledStatement(st) || T.isThrowStatement(st);
}

/** Units of parsed files, each computed once (a SourceFile object is shared by the commits whose blob it is). */
export class UnitCache {
  private memo = new WeakMap<ts.SourceFile, FileUnits | null>();
  /** Statement parts of the file versions cut so far: a new version is cut where it differs. */
  private statements: StatementMemo = new Map();

  constructor(private mentions: RegExp, private isSpecName: (name: string) => boolean = () => true) {}

  of(sf: ts.SourceFile): FileUnits | undefined {
    let u = this.memo.get(sf);
    if (u === undefined) {
      u = fileUnits(sf, this.mentions, this.isSpecName, this.statements) ?? null;
      this.memo.set(sf, u);
    }
    return u ?? undefined;
  }
}

interface Node {
  /** The unit's own part: its file, its file's part, its hash. */
  own: string;
  mentions: readonly string[];
  heritage?: readonly string[];
  /** Unit.noValue. */
  noValue?: boolean;
  /** Unit.effect. */
  effect?: boolean;
  /** Its unit (the node's own part hashes it: same content, same facts). */
  unit?: Unit;
  /** A split function that may mark a parameter (Unit.passes): its body's node, reached from it while it may mark. */
  body?: Node;
  /** A split function: its body's node (what a type test's verdict reads of a helper, DepGraph.commit). */
  split?: Node;
  /** Whether it may mark a parameter in the current commit (DepGraph.mayMark). */
  marks?: boolean;
  /** What a caller reaches of a split function that passes a parameter on, this commit: its mark summary's node, or (names only) its body. */
  markEdge?: Node;
  /** The unit's file's nodes that are imports, by local name (a side-effect import under ''), this commit. */
  imports: Map<string, Node[]>;
  edges: Node[];
  /** Nodes with an edge to this one (some may be gone from the commit). */
  rev: Set<Node>;
  /** Last commit (generation) the node was part of. */
  alive: number;
  /** Merkle hash of what it reaches, as of the last commit it was computed in. */
  hash: string;
  /** Tarjan's bookkeeping (one commit). */
  index: number;
  low: number;
  onStack: boolean;
}

type FileIn = { sf: ts.SourceFile; rel: string; id: string; units: FileUnits | undefined };

/** One file version's share of the unit graph (DepGraph.filePart). */
interface FilePart {
  units: FileUnits;
  list: Node[];
  /** Its imports by local name (a side-effect import under ''). */
  imports: Map<string, Node[]>;
  /** Its nodes by the top-level names they declare, bodies included. */
  named: Map<string, Node[]>;
  passing: Node[];
  aliases: Node[];
  innerFns: string[];
  methods: Array<[string, { own: string; m: UnitMethod; cls: Node }]>;
  /** Top-level names declared by its units that are not imports. */
  declared: Array<[string, Node]>;
  always: Node[];
}

/**
 * The unit graph of a walk, carried from commit to commit: a unit's node lives as long as its
 * text, and a commit recomputes only what its edits can change — the edges of the units that
 * mention a name whose declarations changed (or are new, or in a file whose imports changed),
 * and the Merkle hashes of the units that reach one of those. Everything else keeps its hash.
 */
export class DepGraph {
  private nodes = new Map<string, Node>();
  private mentioners = new Map<string, Set<Node>>();
  private byName = new Map<string, Node[]>();
  private fileNodes = new Map<string, Node[]>();
  private gen = 0;
  /** What the walk's UnitGraphs keep per file version's nodes (UnitGraph.nodesHash, mentioning). */
  private memo: GraphMemo = { fileHashes: new WeakMap(), mentioning: new WeakMap() };

  private node(own: string, mentions: readonly string[]): Node {
    let n = this.nodes.get(own);
    if (!n) {
      n = { own, mentions, imports: new Map(), edges: [], rev: new Set(), alive: -1, hash: '', index: -1, low: 0, onStack: false };
      this.nodes.set(own, n);
      for (const m of mentions) {
        const l = this.mentioners.get(m);
        if (l) l.add(n);
        else this.mentioners.set(m, new Set([n]));
      }
    }
    return n;
  }

  /** The last file part made per path (a file unchanged since keeps it). */
  private parts = new Map<string, FilePart>();

  /**
   * File `rel`'s nodes and what the commit's tables need of them, for its units `units`: the same
   * object while its units are (a SourceFile is shared by the commits whose blob it is).
   */
  private filePart(rel: string, units: FileUnits): FilePart {
    const hit = this.parts.get(rel);
    if (hit?.units === units) return hit;
    const imports = new Map<string, Node[]>();
    const list: Node[] = [];
    const named = new Map<string, Node[]>();
    const part: FilePart = { units, list, imports, named, passing: [], aliases: [], innerFns: [], methods: [], declared: [], always: [] };
    const name = (d: string, n: Node): void => {
      const l = named.get(d);
      if (l) l.push(n);
      else named.set(d, [n]);
    };
    const sigOf = new Map<Unit, Node>();
    const inner = new Set<string>();
    for (const u of units.units) {
      const n = this.node(`${rel}\0${units.file}\0${u.hash}`, u.mentions);
      sigOf.set(u, n);
      if (u.heritage) n.heritage = u.heritage;
      if (u.noValue) n.noValue = true;
      if (u.effect) n.effect = true;
      n.unit = u;
      if (u.passes) part.passing.push(n);
      if (u.alias) part.aliases.push(n);
      for (const x of u.innerFns ?? []) inner.add(x);
      for (const m of u.methods ?? []) {
        const e = { own: `${rel}\0method\0${u.declares[0] ?? ''}\0${m.hash}`, m, cls: n };
        for (const mn of m.names) part.methods.push([mn, e]);
      }
      list.push(n);
      for (const d of u.declares) name(d, n);
      if (u.local) {
        for (const d of u.declares.length ? u.declares : ['']) {
          const l = imports.get(d);
          if (l) l.push(n);
          else imports.set(d, [n]);
        }
        continue;
      }
      for (const d of u.declares) part.declared.push([d, n]);
      if (u.always) part.always.push(n);
    }
    // Bodies no other file reads: reached from this file's own key alone.
    for (const u of units.units) {
      if (!u.body) continue;
      const n = this.node(`${rel}\0body\0${u.body}`, u.bodyMentions!);
      if (u.passes) sigOf.get(u)!.body = n;
      sigOf.get(u)!.split = n;
      list.push(n);
      for (const d of u.declares) name(d, n);
    }
    part.innerFns = [...inner];
    this.parts.set(rel, part);
    return part;
  }

  /**
   * One commit's view. `roots`: names every file reaches (the spec's, specRootNames). `summaries`:
   * the commit's mark summaries (marks.ts), which a split function that passes a parameter on is
   * reached through; without them, its body while it may mark by names (mayMarkFixpoint).
   */
  commit(files: readonly FileIn[], roots: SpecRoots, summaries?: MarkSummaries): UnitGraph {
    const rootNames = roots.classes;
    const gen = ++this.gen;
    const byName = new Map<string, Node[]>();
    const always: Node[] = [];
    const unshaped: string[] = [];
    const refresh = new Set<Node>();
    const nodesOf = new Map<ts.SourceFile, Node[]>();
    const fileNodes = new Map<string, Node[]>();
    /** Per file, the nodes of each top-level name it declares, bodies included (what a `body:` dependency reads). */
    const namedOf = new Map<string, Map<string, Node[]>>();
    const filesByRel = new Map<string, Node[]>();
    const passing: Array<{ n: Node; rel: string }> = [];
    const aliases: Node[] = [];
    const innerFns = new Set<string>();
    /** Methods by name, each with its own part and its class's node (whose file's imports it reads through). */
    const methodsByName = new Map<string, Array<{ own: string; m: UnitMethod; cls: Node }>>();
    for (const f of files) {
      if (!f.units) {
        unshaped.push(`${f.rel}\0${f.id}`);
        continue;
      }
      // A file's part of the graph depends on its path and units alone: made once per file version.
      const part = this.filePart(f.rel, f.units);
      const { list, imports } = part;
      namedOf.set(f.rel, part.named);
      filesByRel.set(f.rel, list);
      for (const n of part.passing) passing.push({ n, rel: f.rel });
      aliases.push(...part.aliases);
      for (const x of part.innerFns) innerFns.add(x);
      for (const [name, e] of part.methods) {
        const l = methodsByName.get(name);
        if (l) l.push(e);
        else methodsByName.set(name, [e]);
      }
      for (const [d, n] of part.declared) {
        const l = byName.get(d);
        if (l) l.push(n);
        else byName.set(d, [n]);
      }
      always.push(...part.always);
      const before = this.fileNodes.get(f.rel);
      const same = before === list || (!!before && before.length === list.length && before.every((n, i) => n === list[i]));
      for (const n of list) {
        // New to this commit (or back after a gap): its edges are computed afresh.
        if (n.alive !== gen - 1 || !same) refresh.add(n);
        n.alive = gen;
        n.imports = imports;
      }
      nodesOf.set(f.sf, list);
      fileNodes.set(f.rel, list);
    }
    // Names whose declarations changed: the units mentioning them get their edges again.
    for (const [name, l] of byName) {
      const old = this.byName.get(name);
      if (old && old.length === l.length && old.every((n, i) => n === l[i])) continue;
      for (const n of this.mentioners.get(name) ?? []) if (n.alive === gen) refresh.add(n);
    }
    for (const name of this.byName.keys()) {
      if (byName.has(name)) continue;
      for (const n of this.mentioners.get(name) ?? []) if (n.alive === gen) refresh.add(n);
    }
    this.byName = byName;
    this.fileNodes = fileNodes;
    // A function passing a parameter on reaches what it marks (its summary's node), or by names alone
    // its body while the body may mark: decided anew each commit.
    if (summaries) {
      for (const { n, rel } of passing) {
        const name = n.unit!.declares[0] ?? '';
        const h = summaries.get(rel)?.get(name);
        n.markEdge = h === undefined ? undefined : this.node(`${rel}\0summary\0${name}\0${h}`, []);
        if (n.markEdge) {
          if (n.markEdge.alive !== gen - 1) refresh.add(n.markEdge);
          n.markEdge.alive = gen;
        }
      }
    } else {
      mayMarkFixpoint(passing.map((p) => p.n), aliases, innerFns, byName, roots.tests);
      for (const { n } of passing) n.markEdge = n.marks ? n.body : undefined;
    }
    for (const { n } of passing) refresh.add(n);
    const dirty = new Set<Node>();
    for (const n of refresh) {
      const set = new Set<Node>();
      for (const m of n.mentions) for (const x of byName.get(m) ?? []) if (x !== n) set.add(x);
      // The file's own imports: those naming what the unit mentions, and side-effect imports.
      for (const x of n.imports.get('') ?? []) if (x !== n) set.add(x);
      for (const m of n.mentions) for (const x of n.imports.get(m) ?? []) if (x !== n) set.add(x);
      if (n.markEdge) set.add(n.markEdge);
      const changed = n.hash === '' || set.size !== n.edges.length || n.edges.some((x) => !set.has(x));
      if (!changed) continue;
      for (const x of n.edges) x.rev.delete(n);
      n.edges = [...set];
      for (const x of n.edges) x.rev.add(n);
      dirty.add(n);
    }
    // Everything that reaches a changed node changes its hash.
    const stack = [...dirty];
    while (stack.length > 0) {
      const n = stack.pop()!;
      for (const r of n.rev) if (r.alive === gen && !dirty.has(r)) {
        dirty.add(r);
        stack.push(r);
      }
    }
    tarjan(dirty);
    // What every file reaches: one level deep (see the header), not the whole reach of a
    // top-level `register_initcall(…, zs_init)`; the spec's names two levels.
    const shallow = new Set<string>();
    const rootEdges = new Set<Node>();
    for (const m of rootNames) for (const x of byName.get(m) ?? []) rootEdges.add(x);
    for (const x of rootEdges) {
      shallow.add(x.own);
      for (const y of x.edges) shallow.add(y.own);
    }
    // The spec's class's supertypes, however deep (a receiver typed with one of them may be the class).
    const supers = [...rootEdges];
    for (let i = 0; i < supers.length; i++) {
      for (const h of supers[i]!.heritage ?? []) for (const x of byName.get(h) ?? []) if (!rootEdges.has(x)) {
        rootEdges.add(x);
        supers.push(x);
        shallow.add(x.own);
      }
    }
    // A type test with the constants its body may read (findMarkerConsts: module constants, through
    // the imports of its file), and the helpers its verdict may read however deep (typeTests.ts:
    // a word handed to a helper that tests its bits or hands it back, a wrapper of a test): whether
    // it is a test decides the marker constants every file's marks are read against, and no query
    // records that read. Each helper by its own code (bodies included) with the constants it names;
    // not the types it names: those come through types a file reaches by name. A method or a
    // namespace's function it calls (`Words.flags_word(w)`, `this.word(w)`, `Inner.word(w)`:
    // typeTests.ts follows a call by symbol) by its own code, found by the called name, not its class: an edit of another member keeps
    // every key (the class's other methods are read through types, reached by name).
    const verdict = new Set<Node>();
    const helpers: Node[] = [];
    const visit = (x: Node): void => {
      if (verdict.has(x)) return;
      verdict.add(x);
      helpers.push(x);
    };
    const reach = (y: Node): void => {
      if (!y.noValue) shallow.add(y.own);
      // Imports and exports lead to the helper they name.
      if (y.unit?.callable || y.unit?.local || y.unit?.alias) visit(y);
    };
    const methodsSeen = new Set<string>();
    const calls = (names: readonly string[] | undefined): void => {
      for (const name of names ?? []) for (const e of methodsByName.get(name) ?? []) {
        if (methodsSeen.has(e.own)) continue;
        methodsSeen.add(e.own);
        shallow.add(e.own);
        // What the method names: top-level helpers and constants, through its file's imports too.
        for (const m of e.m.mentions) {
          for (const y of byName.get(m) ?? []) if (y !== e.cls) reach(y);
          for (const y of e.cls.imports.get(m) ?? []) reach(y);
        }
        calls(e.m.memberCalls);
      }
    };
    for (const m of roots.tests) for (const x of byName.get(m) ?? []) visit(x);
    while (helpers.length > 0) {
      const x = helpers.pop()!;
      shallow.add(x.own);
      if (x.split) visit(x.split);
      for (const y of x.edges) reach(y);
      calls(x.unit?.memberCalls);
    }
    const effects = new Set<string>();
    for (const n of always) {
      const into = n.effect ? effects : shallow;
      into.add(n.own);
      for (const x of n.edges) into.add(x.own);
    }
    const common = sha1(`${[...rootNames].sort().join(',')}\n${[...roots.tests].sort().join(',')}\n${unshaped.sort().join('\n')}\n--\n${[...shallow].sort().join('\n')}`);
    return new UnitGraph(nodesOf, common, namedOf, filesByRel, sha1([...effects].sort().join('\n')), this.memo);
  }
}

/**
 * Which of the `passing` functions may mark a parameter this commit (Node.marks), to a fixed point:
 * one whose body names a marker constant (a name the type tests mention that a variable or an
 * import declares, and its aliases: a direct mark), or that passes a parameter to a callee that
 * may mark one — a callee with no name, a name some function or method declares inside any unit,
 * a top-level declaration other than a function known to mark nothing, or an alias of such a
 * name. A name nothing in the project declares (a parameter, a library function) marks nothing:
 * the analyzer makes summaries only of the project's own function bodies.
 */
function mayMarkFixpoint(passing: readonly Node[], aliases: readonly Node[], innerFns: ReadonlySet<string>, byName: ReadonlyMap<string, Node[]>, tests: readonly string[]): void {
  const markers = new Set<string>();
  for (const t of tests) for (const x of byName.get(t) ?? []) {
    for (const m of x.mentions) {
      if ((byName.get(m) ?? []).some((y) => !y.noValue) || x.imports.has(m)) markers.add(m);
    }
  }
  const aliasOf = new Map<string, Node[]>();
  for (const a of aliases) for (const d of a.unit?.declares ?? []) {
    const l = aliasOf.get(d);
    if (l) l.push(a);
    else aliasOf.set(d, [a]);
  }
  for (let grew = true; grew;) {
    grew = false;
    for (const a of aliases) {
      if (!a.mentions.some((m) => markers.has(m))) continue;
      for (const m of a.mentions) if (!markers.has(m)) {
        markers.add(m);
        grew = true;
      }
    }
  }
  for (const n of passing) n.marks = n.unit!.bodyMentions!.some((m) => markers.has(m));
  const nameMay = (name: string, seen: Set<string>): boolean => {
    if (name === '' || innerFns.has(name)) return true;
    if (seen.has(name)) return false;
    seen.add(name);
    for (const y of byName.get(name) ?? []) {
      if (y.unit?.passes ? y.marks : !y.unit?.marksNothing) return true;
    }
    for (const a of aliasOf.get(name) ?? []) for (const m of a.mentions) if (m !== name && nameMay(m, seen)) return true;
    return false;
  };
  for (let changed = true; changed;) {
    changed = false;
    for (const n of passing) {
      if (n.marks || !n.unit!.passes!.some((c) => nameMay(c, new Set()))) continue;
      n.marks = true;
      changed = true;
    }
  }
}

/** Tarjan over the dirty nodes (iterative); edges to clean nodes use their kept hash. */
function tarjan(dirty: Set<Node>): void {
  let counter = 0;
  const stack: Node[] = [];
  for (const n of dirty) n.index = -1;
  for (const start of dirty) {
    if (start.index >= 0) continue;
    const work: Array<{ n: Node; i: number }> = [];
    const open = (n: Node): void => {
      n.index = n.low = counter++;
      n.onStack = true;
      stack.push(n);
      work.push({ n, i: 0 });
    };
    open(start);
    while (work.length > 0) {
      const top = work[work.length - 1]!;
      const edges = top.n.edges;
      if (top.i < edges.length) {
        const m = edges[top.i++]!;
        if (!dirty.has(m)) continue;
        if (m.index < 0) open(m);
        else if (m.onStack) top.n.low = Math.min(top.n.low, m.index);
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) parent.n.low = Math.min(parent.n.low, top.n.low);
      if (top.n.low !== top.n.index) continue;
      const scc: Node[] = [];
      for (;;) {
        const x = stack.pop()!;
        x.onStack = false;
        scc.push(x);
        if (x === top.n) break;
      }
      const inScc = new Set(scc);
      const below = new Set<string>();
      for (const x of scc) for (const y of x.edges) if (!inScc.has(y)) below.add(y.hash);
      const h = sha1(`${scc.map((x) => x.own).sort().join('\n')}\n--\n${[...below].sort().join('\n')}`);
      for (const x of scc) x.hash = h;
    }
  }
}

/** Per file version's node list, for the walk: its last file hash with what it was made of (the common part, its nodes' hashes in order), and its nodes mentioning a word. */
interface GraphMemo {
  fileHashes: WeakMap<readonly Node[], { common: string; hashes: string[]; hash: string }>;
  mentioning: WeakMap<readonly Node[], Map<string, Node[]>>;
}

/** One commit's file hashes: the Merkle hash of what a file's units reach, with what every file reaches. */
export class UnitGraph {
  private fileHashes = new Map<ts.SourceFile, string>();

  /**
   * `effects`: the project's top-level code that declares nothing (Unit.effect), with what it
   * names one level deep. Such code reaches other files' analysis only through a module
   * variable it marks (a mark is read with a `file:` dependency on the variable's file: the
   * analyzer's moduleMarks) or through calls, stores and value use, which signatures verify; so
   * it is part of every `file:` dependency's signature (cache.ts) instead of every key. `memo`:
   * what the walk keeps per file version (nodesHash, mentioning).
   */
  constructor(private nodesOf: Map<ts.SourceFile, Node[]>, readonly common: string, private namedOf: Map<string, Map<string, Node[]>>,
    private byRel: Map<string, Node[]>, readonly effects: string, private memo: GraphMemo) {}

  /**
   * The units of file REL (bodies included) whose code mentions `word`, each with what it
   * reaches; undefined for a file without units.
   */
  mentionPart(rel: string, word: string, holders?: ReadonlySet<string>): string | undefined {
    const nodes = holders ? this.holderNodes(rel, holders) : this.byRel.get(rel);
    if (!nodes) return undefined;
    return (holders ? nodes.filter((n) => n.mentions.includes(word)) : this.mentioning(nodes, word)).map((n) => n.hash).sort().join(',');
  }

  /** The nodes of a file version whose code mentions `word`: syntax, so once per file version and word for the walk. */
  private mentioning(nodes: readonly Node[], word: string): Node[] {
    let m = this.memo.mentioning.get(nodes);
    if (!m) this.memo.mentioning.set(nodes, m = new Map());
    let out = m.get(word);
    if (!out) m.set(word, out = nodes.filter((n) => n.mentions.includes(word)));
    return out;
  }

  /** The nodes of file REL declaring one of `holders` (bodies included); undefined for a file without units. */
  private holderNodes(rel: string, holders: ReadonlySet<string>): Node[] | undefined {
    const named = this.namedOf.get(rel);
    if (!named) return undefined;
    return [...new Set([...holders].flatMap((h) => named.get(h) ?? []))];
  }

  /**
   * The declarations of file REL named `holders` (bodies included) by their own code, not what
   * they reach; undefined for a file without units.
   */
  ownPart(rel: string, holders: ReadonlySet<string>): string | undefined {
    const nodes = this.holderNodes(rel, holders);
    return nodes && nodes.map((n) => n.own).sort().join('\n');
  }

  /**
   * What a `body:REL#NAME` dependency reads now: the declarations of NAME in file REL, bodies
   * included, each with what it reaches (a file without units: undefined, it is in every key).
   */
  bodyPart(rel: string, name: string): string | undefined {
    const named = this.namedOf.get(rel);
    if (!named) return undefined;
    const nodes = named.get(name);
    return nodes ? nodes.map((n) => n.hash).sort().join(',') : 'none';
  }

  /**
   * File REL's top-level declarations (not imports or export aliases) whose names match `glob`,
   * each with what it reaches ('' for none, and for a file without units).
   */
  declaredPart(rel: string, glob: string): string {
    const named = this.namedOf.get(rel);
    if (!named) return '';
    const nodes = /[*?]/.test(glob) ? [...named].filter(([name]) => matchName(glob, name)).flatMap(([, l]) => l) : named.get(glob) ?? [];
    // An import or export alias declares no function of its own: the one it names is in its file's part.
    return nodes.filter((n) => !n.unit?.local && !n.unit?.alias).map((n) => n.hash).sort().join(',');
  }

  fileHash(sf: ts.SourceFile): string {
    let h = this.fileHashes.get(sf);
    if (h === undefined) {
      const nodes = this.nodesOf.get(sf);
      h = nodes ? this.nodesHash(nodes) : this.common;
      this.fileHashes.set(sf, h);
    }
    return h;
  }

  /**
   * The hash of a file version's nodes: kept from an earlier commit while the common part and
   * every node's hash are as then (most commits leave most files' reach alone: no sort, no sha1).
   */
  private nodesHash(nodes: readonly Node[]): string {
    const m = this.memo.fileHashes.get(nodes);
    if (m && m.common === this.common && m.hashes.every((h, i) => h === nodes[i]!.hash)) return m.hash;
    const hashes = nodes.map((n) => n.hash);
    const hash = sha1(`${this.common}\n${[...new Set(hashes)].sort().join('\n')}`);
    this.memo.fileHashes.set(nodes, { common: this.common, hashes, hash });
    return hash;
  }
}

/** What every file's analysis reads, whether or not the file names it (specRootNames). */
export interface SpecRoots {
  /** The spec's class: with what it mentions, and its supertypes however deep. */
  classes: string[];
  /** Its kinds' type tests: with the module constants they may read. */
  tests: string[];
}

/**
 * Names the analysis of every file reads, whether or not the file names them: the spec's class
 * (no class, no analysis) and its kinds' type tests (their bodies define the kinds' marker
 * constants, which type marks in any file are read against). Not the descriptor classes: the
 * analyzer reads one only through a type (a receiver of that type, a member symbol declared in
 * it, an access inside its own body), and every type comes from declarations reached by name
 * (the header). A file that reaches no descriptor keeps its entry when one is created or edited.
 */
export function specRootNames(spec: Spec): SpecRoots {
  const tests = new Set<string>();
  for (const k of spec.kinds) for (const t of k.pageTypeTests) tests.add(t.name);
  tests.delete(spec.page.class);
  return { classes: [spec.page.class], tests: [...tests].sort() };
}
