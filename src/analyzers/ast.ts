/** Small syntax helpers over the raw TypeScript AST (no type queries here). */
import { ts } from '@ts-morph/common';
import { tsv } from './tsValues.ts';
import type { Access } from '../model/findings.ts';

/** Strip parentheses, `!`, `as T`, `<T>x` and `satisfies T`. */
export function skipOuter(e: ts.Expression): ts.Expression {
  for (;;) {
    if (tsv.isParenthesizedExpression(e) || tsv.isNonNullExpression(e) || tsv.isAsExpression(e) ||
      tsv.isTypeAssertionExpression(e) || tsv.isSatisfiesExpression(e)) e = e.expression;
    else return e;
  }
}

/** The outermost expression wrapping `e` only in parentheses / `!` / assertions. */
export function outerOf(e: ts.Node): ts.Node {
  let n = e;
  for (;;) {
    const p = n.parent;
    if (p && (tsv.isParenthesizedExpression(p) || tsv.isNonNullExpression(p) || tsv.isAsExpression(p) ||
      tsv.isTypeAssertionExpression(p) || tsv.isSatisfiesExpression(p)) && p.expression === n) n = p;
    else return n;
  }
}

function isCompoundAssignment(k: ts.SyntaxKind): boolean {
  return k >= tsv.SyntaxKind.FirstCompoundAssignment && k <= tsv.SyntaxKind.LastCompoundAssignment;
}

/** Is `n` (an outermost expression) a target inside a destructuring assignment pattern? */
function inDestructuringTarget(n: ts.Node): boolean {
  let cur: ts.Node = n;
  let p = cur.parent;
  while (p) {
    if (tsv.isPropertyAssignment(p) && p.initializer === cur) { cur = p.parent; p = cur.parent; continue; }
    if (tsv.isShorthandPropertyAssignment(p) || tsv.isSpreadAssignment(p) || tsv.isSpreadElement(p)) { cur = p.parent; p = cur.parent; continue; }
    if ((tsv.isArrayLiteralExpression(cur) || tsv.isObjectLiteralExpression(cur)) && cur !== n) {
      if (tsv.isBinaryExpression(p) && p.left === cur && p.operatorToken.kind === tsv.SyntaxKind.EqualsToken) return true;
      if ((tsv.isForOfStatement(p) || tsv.isForInStatement(p)) && p.initializer === cur) return true;
      if (tsv.isArrayLiteralExpression(p)) { cur = p; p = cur.parent; continue; }
      if (tsv.isParenthesizedExpression(p)) { cur = p; p = cur.parent; continue; }
      return false;
    }
    if (tsv.isArrayLiteralExpression(p)) { cur = p; p = cur.parent; continue; }
    return false;
  }
  return false;
}

/**
 * How the member access `e` (page.f / page['f']) uses the field.
 * `embedded` fields (a list_head) are referenced when handed around; their sub-members
 * are read or written; `addressMembers` of an embedded field (lru.addr) are references too.
 */
export function accessKind(e: ts.Expression, embedded: boolean, addressMembers: readonly string[]): Exclude<Access, 'call'> {
  const n = outerOf(e);
  const p = n.parent;
  if (!p) return 'read';
  if (tsv.isBinaryExpression(p) && p.left === n) {
    if (p.operatorToken.kind === tsv.SyntaxKind.EqualsToken) return 'write';
    if (isCompoundAssignment(p.operatorToken.kind)) return 'readwrite';
  }
  if ((tsv.isPrefixUnaryExpression(p) || tsv.isPostfixUnaryExpression(p)) &&
    (p.operator === tsv.SyntaxKind.PlusPlusToken || p.operator === tsv.SyntaxKind.MinusMinusToken)) return 'readwrite';
  if (tsv.isDeleteExpression(p)) return 'write';
  if ((tsv.isForOfStatement(p) || tsv.isForInStatement(p)) && p.initializer === n) return 'write';
  if (inDestructuringTarget(n)) return 'write';
  if (embedded) {
    if (tsv.isPropertyAccessExpression(p) && p.expression === n) {
      if (addressMembers.includes(p.name.text)) return 'reference';
      return accessKind(p, false, addressMembers);
    }
    if (tsv.isElementAccessExpression(p) && p.expression === n) return accessKind(p, false, addressMembers);
    return 'reference';
  }
  return 'read';
}

export type FunctionLike = ts.FunctionDeclaration | ts.FunctionExpression | ts.ArrowFunction | ts.MethodDeclaration |
  ts.GetAccessorDeclaration | ts.SetAccessorDeclaration | ts.ConstructorDeclaration;

export function isFunctionLike(n: ts.Node): n is FunctionLike {
  return tsv.isFunctionDeclaration(n) || tsv.isFunctionExpression(n) || tsv.isArrowFunction(n) || tsv.isMethodDeclaration(n) ||
    tsv.isGetAccessorDeclaration(n) || tsv.isSetAccessorDeclaration(n) || tsv.isConstructorDeclaration(n);
}

export function enclosingFunction(n: ts.Node): FunctionLike | undefined {
  for (let p = n.parent; p; p = p.parent) if (isFunctionLike(p)) return p;
  return undefined;
}

/** The name a function is known by: its own, or the variable / property it is assigned to. */
export function functionName(f: FunctionLike): string | undefined {
  if ((tsv.isFunctionDeclaration(f) || tsv.isFunctionExpression(f) || tsv.isMethodDeclaration(f) ||
    tsv.isGetAccessorDeclaration(f) || tsv.isSetAccessorDeclaration(f)) && f.name && (tsv.isIdentifier(f.name) || tsv.isPrivateIdentifier(f.name))) {
    return f.name.text;
  }
  if (tsv.isConstructorDeclaration(f)) return 'constructor';
  const p = outerOf(f).parent;
  if (p && tsv.isVariableDeclaration(p) && tsv.isIdentifier(p.name)) return p.name.text;
  if (p && tsv.isPropertyAssignment(p) && (tsv.isIdentifier(p.name) || tsv.isStringLiteral(p.name))) return p.name.text;
  if (p && tsv.isPropertyDeclaration(p) && tsv.isIdentifier(p.name)) return p.name.text;
  return undefined;
}

/** Innermost-first names of the named functions around `n`. */
export function enclosingFunctionNames(n: ts.Node): string[] {
  const out: string[] = [];
  for (let p = n.parent; p; p = p.parent) {
    if (isFunctionLike(p)) {
      const name = functionName(p);
      if (name) out.push(name);
    }
  }
  return out;
}

/** The callee's name text: f(...) -> f, ns.f(...) -> f. */
export function calleeName(c: ts.CallExpression): string | undefined {
  const e = skipOuter(c.expression);
  if (tsv.isIdentifier(e)) return e.text;
  if (tsv.isPropertyAccessExpression(e)) return e.name.text;
  return undefined;
}

export function isStringLike(e: ts.Node): e is ts.StringLiteral | ts.NoSubstitutionTemplateLiteral {
  return tsv.isStringLiteral(e) || tsv.isNoSubstitutionTemplateLiteral(e);
}

/** Source text with whitespace collapsed (for comparing receiver expressions and messages). */
export function compactText(n: ts.Node, sf: ts.SourceFile): string {
  return n.getText(sf).replace(/\s+/g, ' ');
}

export function shortText(n: ts.Node, sf: ts.SourceFile, max = 60): string {
  const t = compactText(n, sf);
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

/** Names of the types a type node refers to (`Page`, `Slab | null`, `Map<K, Ptdesc>`: each reference's last name), added to `out`. */
export function typeReferenceNames(t: ts.Node | undefined, out: Set<string>): void {
  if (!t) return;
  if (tsv.isTypeReferenceNode(t)) out.add(tsv.isIdentifier(t.typeName) ? t.typeName.text : t.typeName.right.text);
  tsv.forEachChild(t, (c) => typeReferenceNames(c, out));
}

/**
 * The identifiers of `sf` whose text is in `names`, in source order (what a full walk meets, in
 * its order), found from the places the file's text spells a name: one descent from the root per
 * occurrence instead of a walk of every node. A subtree for which `skip` holds is not entered. A
 * file spelling an identifier with a unicode escape (whose text differs from its spelling) is
 * walked whole.
 */
export function identifiersNamed(sf: ts.SourceFile, names: ReadonlySet<string>, skip?: (n: ts.Node) => boolean): ts.Identifier[] {
  if (names.size === 0) return [];
  return tokensSpelled(sf, [...names], (n): n is ts.Identifier => tsv.isIdentifier(n) && names.has(n.text), skip);
}

/**
 * The tokens of `sf` for which `is` holds, in source order, found where the text spells one of
 * `words` (each such token is spelled by one of them): a descent from the root per occurrence;
 * a file with a unicode escape is walked whole (an escaped token is spelled otherwise).
 */
export function tokensSpelled<T extends ts.Node>(sf: ts.SourceFile, words: readonly string[], is: (n: ts.Node) => n is T, skip?: (n: ts.Node) => boolean): T[] {
  const out: T[] = [];
  const text = sf.text;
  if (text.includes('\\u')) {
    const visit = (n: ts.Node): void => {
      if (skip?.(n)) return;
      if (is(n)) out.push(n);
      tsv.forEachChild(n, visit);
    };
    visit(sf);
    return out;
  }
  const re = new RegExp(words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g');
  let found: ts.Node | undefined;
  let at = 0;
  // The child whose range (leading trivia included) holds `at`: children's ranges do not overlap.
  const holds = (c: ts.Node): boolean | undefined => {
    if (c.pos > at || at >= c.end) return undefined;
    found = c;
    return true;
  };
  for (let m = re.exec(text); m; m = re.exec(text)) {
    at = m.index;
    let n: ts.Node = sf;
    for (;;) {
      if (skip?.(n)) break;
      if (n.kind <= tsv.SyntaxKind.LastToken) {
        // A word spelled inside a longer name, a comment or a string is no such token.
        if (n.getStart(sf) === at && is(n)) out.push(n);
        break;
      }
      found = undefined;
      tsv.forEachChild(n, holds);
      if (!found) break;
      n = found;
    }
  }
  return out;
}

/** Per scope (a parsed node never changes): its `x = …` assignments by the name `x` spells. */
const plainAssignments = new WeakMap<ts.Node, Map<string, ts.BinaryExpression[]>>();

/**
 * The `name = …` assignments inside `scope` (nested functions included), in walk order: the
 * candidates the data-flow and provenance passes then check by symbol. One walk per scope for
 * every variable and pass asking (a module's `let` otherwise walked its whole file per question).
 */
export function assignmentsNamed(scope: ts.Node, name: string): readonly ts.BinaryExpression[] {
  let index = plainAssignments.get(scope);
  if (!index) {
    const idx = new Map<string, ts.BinaryExpression[]>();
    const visit = (n: ts.Node): void => {
      if (tsv.isBinaryExpression(n) && n.operatorToken.kind === tsv.SyntaxKind.EqualsToken) {
        const l = skipOuter(n.left);
        if (tsv.isIdentifier(l)) {
          const list = idx.get(l.text);
          if (list) list.push(n);
          else idx.set(l.text, [n]);
        }
      }
      tsv.forEachChild(n, visit);
    };
    visit(scope);
    plainAssignments.set(scope, index = idx);
  }
  return index.get(name) ?? [];
}

/** Array methods that hand each element to the function they are given (`xs.map(f)`: f receives the elements). */
export const ELEMENT_CALLBACKS: ReadonlySet<string> = new Set(['map', 'forEach', 'filter', 'some', 'every', 'find', 'findIndex', 'findLast', 'findLastIndex', 'flatMap']);
