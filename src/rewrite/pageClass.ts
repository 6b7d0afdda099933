/**
 * The page class as the scaffold sees it: its accessors (and the offset each reads at,
 * `this.addr + X`), its address member, its container_of table; and how an accessor is
 * copied under a descriptor name with a new offset.
 */
import { ts } from '@ts-morph/common';
import { tsv } from '../analyzers/tsValues.ts';
import type { AnalysisContext } from '../analyzers/context.ts';
import { InputError } from '../errors.ts';
import { pageField } from '../model/page-layout.ts';
import type { EditSet } from './splices.ts';

export interface Accessor {
  get?: ts.GetAccessorDeclaration;
  set?: ts.SetAccessorDeclaration;
  /** `X` in `this.addr + X` inside the getter. */
  offset?: ts.Expression;
}

export class PageClass {
  readonly decl: ts.ClassDeclaration;
  readonly sf: ts.SourceFile;
  readonly addr: string;
  readonly indent: string;

  constructor(private ctx: AnalysisContext) {
    const decl = [...ctx.pageDecls].find((d): d is ts.ClassDeclaration => tsv.isClassDeclaration(d));
    if (!decl) throw new InputError(`convert needs ${ctx.spec.page.class} to be a class (it is declared as a type)`);
    this.decl = decl;
    this.sf = decl.getSourceFile();
    let addr = 'addr';
    for (const m of decl.members) {
      if (tsv.isConstructorDeclaration(m) && m.parameters[0] && tsv.isIdentifier(m.parameters[0].name)) addr = m.parameters[0].name.text;
    }
    this.addr = addr;
    const m0 = decl.members[0];
    this.indent = m0 ? lineIndent(this.sf, m0.getStart(this.sf)) : '  ';
  }

  /**
   * A plain instance field of the class (`next = 0`, a constructor parameter property): no word
   * to overlay, so a descriptor views the object instead. `writable`: not readonly.
   */
  property(name: string): { writable: boolean } | undefined {
    for (const m of this.decl.members) {
      if (tsv.isPropertyDeclaration(m) && m.name && tsv.isIdentifier(m.name) && m.name.text === name && !isStatic(m)) return { writable: !isReadonly(m) };
      if (tsv.isConstructorDeclaration(m)) {
        for (const p of m.parameters) {
          if (tsv.isIdentifier(p.name) && p.name.text === name && (tsv.getModifiers(p)?.length ?? 0) > 0) return { writable: !isReadonly(p) };
        }
      }
    }
    return undefined;
  }

  accessor(name: string): Accessor {
    const out: Accessor = {};
    for (const m of this.decl.members) {
      if (!m.name || !tsv.isIdentifier(m.name) || m.name.text !== name) continue;
      if (tsv.isGetAccessorDeclaration(m)) out.get = m;
      if (tsv.isSetAccessorDeclaration(m)) out.set = m;
    }
    if (out.get?.body) {
      const o = offsetIn(out.get.body, this.addr);
      if (o) out.offset = o;
    }
    return out;
  }

  /** The OFFSETOF table as an editable entry list shared by the passes. */
  table(edits: EditSet) {
    const t = this.offsetTable();
    if (!t) return undefined;
    let e = edits.tables.get(t);
    if (!e) {
      const entries: Array<[string, string]> = [];
      for (const p of t.properties) {
        if (tsv.isPropertyAssignment(p) && tsv.isIdentifier(p.name)) entries.push([p.name.text, p.initializer.getText(this.sf)]);
        else return undefined;
      }
      e = { file: this.sf.fileName, start: t.getStart(this.sf), end: t.end, entries, add: [], drop: new Set<string>() };
      edits.tables.set(t, e);
    }
    return e;
  }

  /**
   * The container_of table (static readonly OFFSETOF = { lru: … }): a static property whose
   * object literal names an embedded field, if the class has one.
   */
  offsetTable(): ts.ObjectLiteralExpression | undefined {
    return this.offsetMember()?.table;
  }

  offsetMember(): { name: string; table: ts.ObjectLiteralExpression } | undefined {
    const embedded = new Set(this.ctx.spec.page.fields.filter((f) => f.embedded).map((f) => f.name));
    for (const m of this.decl.members) {
      if (!tsv.isPropertyDeclaration(m) || !m.name || !tsv.isIdentifier(m.name) || !m.initializer) continue;
      if (!m.modifiers?.some((x) => x.kind === tsv.SyntaxKind.StaticKeyword)) continue;
      let e: ts.Expression = m.initializer;
      while (tsv.isAsExpression(e) || tsv.isParenthesizedExpression(e) || tsv.isSatisfiesExpression(e)) e = e.expression;
      if (tsv.isObjectLiteralExpression(e) && e.properties.some((p) => p.name && tsv.isIdentifier(p.name) && embedded.has(p.name.text))) {
        return { name: m.name.text, table: e };
      }
    }
    return undefined;
  }
}

export function lineIndent(sf: ts.SourceFile, pos: number): string {
  const ls = sf.text.lastIndexOf('\n', pos - 1) + 1;
  return /^[ \t]*/.exec(sf.text.slice(ls, pos))![0];
}

/** Static value of an offset expression (a literal, or a const bound to one), if known. */
export function staticValue(ctx: AnalysisContext, e: ts.Expression, depth = 0): number | undefined {
  if (tsv.isNumericLiteral(e)) return Number(e.text);
  if (tsv.isParenthesizedExpression(e)) return staticValue(ctx, e.expression, depth);
  if (tsv.isBinaryExpression(e) && depth < 5) {
    const a = staticValue(ctx, e.left, depth + 1);
    const b = staticValue(ctx, e.right, depth + 1);
    if (a === undefined || b === undefined) return undefined;
    if (e.operatorToken.kind === tsv.SyntaxKind.PlusToken) return a + b;
    if (e.operatorToken.kind === tsv.SyntaxKind.AsteriskToken) return a * b;
    return undefined;
  }
  if (tsv.isIdentifier(e) && depth < 5) {
    const d = ctx.symbolOf(e)?.valueDeclaration;
    if (d && tsv.isVariableDeclaration(d) && d.initializer && tsv.isVariableDeclarationList(d.parent) && (d.parent.flags & tsv.NodeFlags.Const)) {
      return staticValue(ctx, d.initializer, depth + 1);
    }
  }
  return undefined;
}

/** Byte offset of a page field from the spec: first word, plus the byte of a 32-bit aligned bit range. */
export function specOffset(ctx: AnalysisContext, field: string): number {
  const f = pageField(ctx.spec, field);
  if (!f) throw new InputError(`spec: ${ctx.spec.page.class} field '${field}' has no word layout`);
  const ws = ctx.spec.page.wordSize ?? 8;
  let off = f.words[0]! * ws;
  if (f.bits) {
    const [lo, width] = f.bits.split(':').map(Number) as [number, number];
    if (lo % 32 === 0 && width <= 32) off += lo / 8;
  }
  return off;
}

/** `X` of the first `this.<addr> + X` inside a node. */
export function offsetIn(n: ts.Node, addr: string): ts.Expression | undefined {
  let found: ts.Expression | undefined;
  const visit = (x: ts.Node): void => {
    if (found) return;
    if (tsv.isBinaryExpression(x) && x.operatorToken.kind === tsv.SyntaxKind.PlusToken && tsv.isPropertyAccessExpression(x.left) &&
      x.left.expression.kind === tsv.SyntaxKind.ThisKeyword && x.left.name.text === addr) {
      found = x.right;
      return;
    }
    tsv.forEachChild(x, visit);
  };
  visit(n);
  return found;
}

/** An accessor's text under a new name, with the offset of every `this.addr + X` replaced. */
export function copyAccessor(sf: ts.SourceFile, acc: ts.AccessorDeclaration, name: string, addr: string, newOffset: string | undefined): string {
  const start = acc.name.getStart(sf);
  const edits: Array<[number, number, string]> = [[start, acc.name.getEnd(), name]];
  if (newOffset && acc.body) {
    const visit = (x: ts.Node): void => {
      if (tsv.isBinaryExpression(x) && x.operatorToken.kind === tsv.SyntaxKind.PlusToken && tsv.isPropertyAccessExpression(x.left) &&
        x.left.expression.kind === tsv.SyntaxKind.ThisKeyword && x.left.name.text === addr) {
        edits.push([x.right.getStart(sf), x.right.end, newOffset]);
        return;
      }
      tsv.forEachChild(x, visit);
    };
    visit(acc.body);
  }
  edits.sort((a, b) => a[0] - b[0]);
  let text = '';
  let pos = start;
  for (const [a, b, t] of edits) {
    text += sf.text.slice(pos, a) + t;
    pos = b;
  }
  text += sf.text.slice(pos, acc.end);
  return (tsv.isGetAccessorDeclaration(acc) ? 'get ' : 'set ') + text;
}

/** Greedy word wrap for doc comments. */
export function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const w of text.split(/\s+/)) {
    if (line && line.length + 1 + w.length > width) {
      out.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) out.push(line);
  return out;
}

function isReadonly(n: ts.HasModifiers): boolean {
  return !!tsv.getModifiers(n)?.some((m) => m.kind === tsv.SyntaxKind.ReadonlyKeyword);
}

function isStatic(n: ts.HasModifiers): boolean {
  return !!tsv.getModifiers(n)?.some((m) => m.kind === tsv.SyntaxKind.StaticKeyword);
}
