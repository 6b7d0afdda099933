/**
 * The word layout of a class, read with the type checker for `memdesc init`: each instance
 * field or accessor and the machine word(s) it lives in.
 *
 * - An accessor that reads or writes `this.<base> + OFFSET` (OFFSET a number or a constant of a
 *   number literal type) lives at that byte offset; a mask after the read (`& 0xff`,
 *   `>>> 8 & 0xff`) narrows it to bits of the word, and so does another field starting later in
 *   the same word (a field at byte 48 with one at byte 52 holds bits 0:32 of word 6). A getter returning `new T(this.base + OFFSET)`
 *   is an embedded struct spanning T's own words.
 * - Plain fields (no address arithmetic) are each their own word, in declaration order.
 */
import { ts } from '@ts-morph/common';

export interface DraftField {
  name: string;
  words: number[];
  bits?: string;
  embedded?: boolean;
  /** Where its accessor or declaration is, for reports. */
  node: ts.Node;
}

export interface ClassLayout {
  fields: DraftField[];
  /** Bytes per word, when offsets were found. */
  wordSize?: number;
  /** Constructor parameter properties holding the object's address (`readonly addr`). */
  addressMembers: string[];
  /** Fields found at an address offset (the rest are plain fields). */
  located: number;
}

/**
 * A numeric value of an expression: a literal, anything the checker types as a number literal
 * (a `const` of one), or arithmetic on those (`2 * WORD`, `WORD << 1`).
 */
function numberOf(e: ts.Expression, checker: ts.TypeChecker): number | undefined {
  const inner = skipParens(e);
  if (ts.isNumericLiteral(inner)) return Number(inner.text);
  const t = checker.getTypeAtLocation(inner);
  if (t.isNumberLiteral()) return t.value;
  if (ts.isBinaryExpression(inner)) {
    const a = numberOf(inner.left, checker);
    const b = a === undefined ? undefined : numberOf(inner.right, checker);
    if (a === undefined || b === undefined) return undefined;
    switch (inner.operatorToken.kind) {
      case ts.SyntaxKind.PlusToken: return a + b;
      case ts.SyntaxKind.MinusToken: return a - b;
      case ts.SyntaxKind.AsteriskToken: return a * b;
      case ts.SyntaxKind.LessThanLessThanToken: return a << b;
      case ts.SyntaxKind.BarToken: return a | b;
      default: return undefined;
    }
  }
  return undefined;
}

function skipParens(e: ts.Expression): ts.Expression {
  while (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isNonNullExpression(e)) e = e.expression;
  return e;
}

/** `this.<base>` for one of the address members. */
function isBaseRead(e: ts.Expression, bases: ReadonlySet<string>): boolean {
  const x = skipParens(e);
  return ts.isPropertyAccessExpression(x) && x.expression.kind === ts.SyntaxKind.ThisKeyword && bases.has(x.name.text);
}

/** The byte offset of `this.base + N` / `this.base` in `e`, if `e` is one. */
function offsetOf(e: ts.Expression, bases: ReadonlySet<string>, checker: ts.TypeChecker): number | undefined {
  const x = skipParens(e);
  if (isBaseRead(x, bases)) return 0;
  if (ts.isBinaryExpression(x) && x.operatorToken.kind === ts.SyntaxKind.PlusToken) {
    if (isBaseRead(x.left, bases)) return numberOf(x.right, checker);
    if (isBaseRead(x.right, bases)) return numberOf(x.left, checker);
  }
  return undefined;
}

interface Access {
  offset: number;
  /** The node of the address expression. */
  at: ts.Expression;
}

/** The first address expression in a body (depth first, source order). */
function firstAccess(body: ts.Node, bases: ReadonlySet<string>, checker: ts.TypeChecker): Access | undefined {
  let found: Access | undefined;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (ts.isExpression(n)) {
      const off = offsetOf(n, bases, checker);
      if (off !== undefined && !isBaseRead(n, bases)) {
        found = { offset: off, at: n };
        return;
      }
      // `rd(this.base)`, `new ListHead(this.base)`, `mem[this.base]`: the base itself is the address.
      const p = n.parent;
      const handed = ((ts.isCallExpression(p) || ts.isNewExpression(p)) && ((p.arguments ?? []) as readonly ts.Node[]).includes(n)) ||
        (ts.isElementAccessExpression(p) && p.argumentExpression === n);
      if (off === 0 && handed) {
        found = { offset: 0, at: n };
        return;
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(body);
  return found;
}

function log2(n: number): number | undefined {
  const b = Math.log2(n + 1);
  return Number.isInteger(b) && b > 0 ? b : undefined;
}

/** Bits of a masked read: `read(addr) & M` or `(read(addr) >>> S) & M`, M = 2^w - 1. */
function maskOf(at: ts.Expression, checker: ts.TypeChecker): { shift: number; width: number } | undefined {
  // Walk up from the address to the call reading it, then the operators around that call.
  let n: ts.Node = at;
  while (n.parent && !ts.isCallExpression(n)) n = n.parent;
  let shift = 0;
  let cur: ts.Node = n;
  while (cur.parent && ts.isParenthesizedExpression(cur.parent)) cur = cur.parent;
  let p = cur.parent;
  if (p && ts.isBinaryExpression(p) && p.left === cur && (p.operatorToken.kind === ts.SyntaxKind.GreaterThanGreaterThanGreaterThanToken || p.operatorToken.kind === ts.SyntaxKind.GreaterThanGreaterThanToken)) {
    const s = numberOf(p.right, checker);
    if (s === undefined) return undefined;
    shift = s;
    cur = p;
    while (cur.parent && ts.isParenthesizedExpression(cur.parent)) cur = cur.parent;
    p = cur.parent;
  }
  if (p && ts.isBinaryExpression(p) && p.operatorToken.kind === ts.SyntaxKind.AmpersandToken) {
    const m = numberOf(p.left === cur ? p.right : p.left, checker);
    const width = m === undefined ? undefined : log2(m);
    if (width !== undefined) return { shift, width };
  }
  return undefined;
}

function addressParams(decl: ts.ClassDeclaration): string[] {
  const ctor = decl.members.find(ts.isConstructorDeclaration);
  if (!ctor) return [];
  return ctor.parameters
    .filter((p) => ts.isIdentifier(p.name) && (ts.getCombinedModifierFlags(p) & (ts.ModifierFlags.ParameterPropertyModifier)) !== 0)
    .map((p) => (p.name as ts.Identifier).text);
}

function isStatic(m: ts.ClassElement): boolean {
  return (ts.getCombinedModifierFlags(m as unknown as ts.Declaration) & ts.ModifierFlags.Static) !== 0;
}

/** Byte size of a class laid out over an address (its highest accessor offset + a word). */
function classSpan(decl: ts.ClassDeclaration, checker: ts.TypeChecker, wordSize: number): number | undefined {
  const bases = new Set(addressParams(decl));
  if (bases.size === 0) return undefined;
  let max = -1;
  for (const m of decl.members) {
    if (isStatic(m) || !(ts.isGetAccessorDeclaration(m) || ts.isSetAccessorDeclaration(m)) || !m.body) continue;
    const a = firstAccess(m.body, bases, checker);
    if (a) max = Math.max(max, a.offset);
  }
  return max < 0 ? undefined : max + wordSize;
}

/** The most common gap between consecutive distinct offsets (ties: the larger): the word size. */
function wordSizeOf(offsets: number[]): number | undefined {
  const sorted = [...new Set(offsets)].sort((a, b) => a - b);
  const gaps = new Map<number, number>();
  for (let i = 1; i < sorted.length; i++) {
    const g = sorted[i]! - sorted[i - 1]!;
    gaps.set(g, (gaps.get(g) ?? 0) + 1);
  }
  let best: [number, number] | undefined;
  for (const [g, c] of gaps) if (!best || c > best[1] || (c === best[1] && g > best[0])) best = [g, c];
  return best?.[0];
}

/** The class's layout: fields with their words (see the module comment). An interface has plain fields only. */
/**
 * A getter computed from the object's fields (`get isLive() { return this.tag === 'entry'; }`): no
 * setter, and every member of `this` it reads is a field the class declares. It stores nothing, so
 * it is no field and has no word; what it computes is read through it (a type test by its code).
 */
function derivedGetter(decl: ts.ClassDeclaration | ts.InterfaceDeclaration, m: ts.AccessorDeclaration): boolean {
  if (!ts.isGetAccessorDeclaration(m) || !ts.isClassDeclaration(decl)) return false;
  const name = (m.name as ts.Identifier).text;
  const members = decl.members;
  if (members.some((o) => ts.isSetAccessorDeclaration(o) && o.name && ts.isIdentifier(o.name) && o.name.text === name)) return false;
  const fields = new Set(members.filter((o) => ts.isPropertyDeclaration(o) && ts.isIdentifier(o.name) && !isStatic(o)).map((o) => (o.name as ts.Identifier).text));
  for (const p of decl.members.find(ts.isConstructorDeclaration)?.parameters ?? []) {
    if (ts.isIdentifier(p.name) && ts.getModifiers(p)?.some((x) => x.kind === ts.SyntaxKind.PublicKeyword || x.kind === ts.SyntaxKind.ReadonlyKeyword || x.kind === ts.SyntaxKind.ProtectedKeyword || x.kind === ts.SyntaxKind.PrivateKeyword)) fields.add(p.name.text);
  }
  let reads = 0;
  let other = false;
  const visit = (n: ts.Node): void => {
    if (ts.isPropertyAccessExpression(n) && n.expression.kind === ts.SyntaxKind.ThisKeyword) {
      if (ts.isIdentifier(n.name) && fields.has(n.name.text)) reads++;
      else other = true;
    }
    ts.forEachChild(n, visit);
  };
  visit(m.body!);
  return reads > 0 && !other;
}

export function classLayout(decl: ts.ClassDeclaration | ts.InterfaceDeclaration, checker: ts.TypeChecker): ClassLayout {
  const addressMembers = ts.isClassDeclaration(decl) ? addressParams(decl) : [];
  const bases = new Set(addressMembers);
  interface Raw { name: string; node: ts.Node; access?: Access; embedded?: ts.ClassDeclaration; plain: boolean }
  const raws = new Map<string, Raw>();
  for (const m of decl.members as ReadonlyArray<ts.ClassElement | ts.TypeElement>) {
    if (isStatic(m as ts.ClassElement) || !m.name || !(ts.isIdentifier(m.name) || ts.isPrivateIdentifier(m.name))) continue;
    const name = m.name.text;
    if (ts.isPrivateIdentifier(m.name) || bases.has(name)) continue;
    if (ts.isPropertyDeclaration(m) || ts.isPropertySignature(m)) {
      if (!raws.has(name)) raws.set(name, { name, node: m, plain: true });
    } else if ((ts.isGetAccessorDeclaration(m) || ts.isSetAccessorDeclaration(m)) && m.body) {
      const access = firstAccess(m.body, bases, checker);
      if (!access && derivedGetter(decl, m)) continue;
      const prev = raws.get(name);
      // The getter decides (masks and embedded structs are read there); a setter fills in.
      if (prev && (prev.access || !access) && !ts.isGetAccessorDeclaration(m)) continue;
      let embedded: ts.ClassDeclaration | undefined;
      if (access && ts.isGetAccessorDeclaration(m)) {
        let n: ts.Node = access.at;
        while (n.parent && ts.isParenthesizedExpression(n.parent)) n = n.parent;
        const p = n.parent;
        if (p && ts.isNewExpression(p) && p.arguments?.[0] === n) {
          const sym = checker.getSymbolAtLocation(p.expression);
          const target = sym && (sym.flags & ts.SymbolFlags.Alias) ? checker.getAliasedSymbol(sym) : sym;
          embedded = target?.declarations?.find(ts.isClassDeclaration);
        }
      }
      raws.set(name, { name, node: m, ...(access ? { access } : {}), ...(embedded ? { embedded } : {}), plain: !access });
    }
  }
  const located = [...raws.values()].filter((r) => r.access);
  const wordSize = located.length > 0 ? wordSizeOf(located.map((r) => r.access!.offset)) ?? 8 : undefined;
  const fields: DraftField[] = [];
  let plainWord = 0;
  for (const r of raws.values()) {
    if (!r.access || wordSize === undefined) {
      fields.push({ name: r.name, words: [plainWord++], node: r.node });
      continue;
    }
    const first = Math.floor(r.access.offset / wordSize);
    if (r.embedded) {
      const span = classSpan(r.embedded, checker, wordSize) ?? wordSize;
      const count = Math.max(1, Math.ceil(span / wordSize));
      fields.push({ name: r.name, words: Array.from({ length: count }, (_, i) => first + i), embedded: true, node: r.node });
      continue;
    }
    const f: DraftField = { name: r.name, words: [first], node: r.node };
    const inWord = (r.access.offset % wordSize) * 8;
    const mask = ts.isGetAccessorDeclaration(r.node) ? maskOf(r.access.at, checker) : undefined;
    if (mask) f.bits = `${inWord + mask.shift}:${mask.width}`;
    else {
      // Unmasked: up to the next field that starts later in the same word, else the word's end.
      const later = located.filter((o) => !o.embedded && Math.floor(o.access!.offset / wordSize) === first)
        .map((o) => (o.access!.offset % wordSize) * 8).filter((b) => b > inWord);
      const end = later.length > 0 ? Math.min(...later) : wordSize * 8;
      if (inWord !== 0 || end !== wordSize * 8) f.bits = `${inWord}:${end - inWord}`;
    }
    fields.push(f);
  }
  return { fields, ...(wordSize !== undefined ? { wordSize } : {}), addressMembers, located: located.length };
}
