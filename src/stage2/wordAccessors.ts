/**
 * The project's word accessors, by what they are rather than what they are called: the functions
 * the spec class's own field accessors call to read and write one of its whole words at its
 * address (`get mapping() { return read64(this.addr + PAGE_MAPPING_OFFSET); }`, `set mapping(v)
 * { write64(this.addr + PAGE_MAPPING_OFFSET, v); }`). A whole word is a field of the spec that
 * spans one word with no bit range; the pair (reader, writer) most of those fields use is the
 * word accessor pair (the corpus' flags, read as its low half, is outvoted). Resolved by symbol:
 * a descriptor class reading a word through an aliased import of the reader reads a word, a
 * same-named local does not. A class whose fields are plain is read through the overlay being
 * embedded instead (its accessors of fields the spec maps onto whole words); a project where
 * neither reads a word this way gets an InputError saying what was looked for.
 */
import { ts } from '@ts-morph/common';
import { tsv } from '../analyzers/tsValues.ts';
import { InputError } from '../errors.ts';
import { matchPath } from '../analyzers/glob.ts';
import type { Spec } from '../model/spec.ts';
import type { Symbols } from './separateSymbols.ts';

export interface WordAccessors {
  /** The reader: `(address) => word`. */
  read: ts.Symbol;
  /** The writer: `(address, word) => void`. */
  write: ts.Symbol;
  /** Their declared names (messages). */
  readName: string;
  writeName: string;
}

function strip(e: ts.Expression): ts.Expression {
  while (tsv.isParenthesizedExpression(e) || tsv.isNonNullExpression(e) || tsv.isAsExpression(e) || tsv.isSatisfiesExpression(e)) e = e.expression;
  return e;
}

/**
 * `F(this.A + C)` or `F(this.A + C, v)` with A one of the spec's address members (any member when
 * the spec names none) and C a name: C's name, else undefined. (`this.addr + 0`, a literal offset, is no named offset and not the form.)
 */
export function addressOffset(call: ts.CallExpression, addressMembers: readonly string[]): string | undefined {
  const a = call.arguments[0] && strip(call.arguments[0]);
  if (!a || !tsv.isBinaryExpression(a) || a.operatorToken.kind !== tsv.SyntaxKind.PlusToken || !tsv.isIdentifier(a.right)) return undefined;
  const l = strip(a.left);
  // A spec naming no address member: any member of the object's own is its address.
  return tsv.isPropertyAccessExpression(l) && l.expression.kind === tsv.SyntaxKind.ThisKeyword && (addressMembers.length === 0 || addressMembers.includes(l.name.text)) ? a.right.text : undefined;
}

/** The one call of an accessor's body: `return F(...)` or `F(...);`. */
function soleCall(acc: ts.AccessorDeclaration): ts.CallExpression | undefined {
  const st = acc.body?.statements;
  if (!st || st.length !== 1) return undefined;
  const s = st[0]!;
  const e = tsv.isReturnStatement(s) ? s.expression : tsv.isExpressionStatement(s) ? s.expression : undefined;
  const x = e && strip(e);
  return x && tsv.isCallExpression(x) ? x : undefined;
}

/**
 * The word accessors of the spec's class in `program`: the pair its whole-word field accessors
 * use. When the class has none (its fields plain, or reached otherwise), the pair the overlay
 * class being embedded uses for its fields the spec maps onto whole words of the class (`get
 * owner() { return read64(this.addr + NOTE_OWNER_OFFSET); }` for owner <- private). InputError
 * when neither reads and writes a word so.
 */
export function wordAccessors(program: ts.Program, root: string, spec: Spec, s: Symbols,
  overlay?: { cls: ts.ClassDeclaration; rawField: ReadonlyMap<string, string> }): WordAccessors {
  const whole = new Set(spec.page.fields.filter((f) => !f.embedded && !f.bits && f.words.length === 1).map((f) => f.name));
  const members = spec.page.addressMembers ?? [];
  const classes: ts.ClassDeclaration[] = [];
  for (const sf of program.getSourceFiles()) {
    if (sf.isDeclarationFile || !sf.fileName.startsWith(`${root}/`) || (spec.page.file && !matchPath(spec.page.file, sf.fileName.slice(root.length + 1)))) continue;
    for (const st of sf.statements) if (tsv.isClassDeclaration(st) && st.name?.text === spec.page.class) classes.push(st);
  }
  let ranked = rank(classes, (m) => whole.has(m), members, s);
  const tried = [`${spec.page.class}'s whole-word field accessors (${[...whole].join(', ') || 'none in the spec'})`];
  if (ranked.length === 0 && overlay) {
    ranked = rank([overlay.cls], (m) => whole.has(overlay.rawField.get(m) ?? ''), members, s);
    tried.push(`${overlay.cls.name?.text ?? 'the descriptor'}'s accessors of fields on whole words`);
  }
  const best = ranked[0];
  if (!best) {
    const why = classes.length === 0 && !overlay ? `no class ${spec.page.class}${spec.page.file ? ` in ${spec.page.file}` : ''}`
      : `neither ${tried.join(' nor ')} read and write a word through a function at this.${members[0] ?? 'ADDR'} + OFFSET (a getter \`return F(this.${members[0] ?? 'ADDR'} + OFFSET)\`, a setter \`G(this.${members[0] ?? 'ADDR'} + OFFSET, v)\`)`;
    throw new InputError(`cannot tell the project's word accessors: ${why}`);
  }
  if (ranked[1] && ranked[1].n === best.n) {
    throw new InputError(`cannot tell the project's word accessors: ${spec.page.class}'s whole-word fields use ${best.read.name}/${best.write.name} and ${ranked[1].read.name}/${ranked[1].write.name} as often`);
  }
  return { read: best.read, write: best.write, readName: best.read.name, writeName: best.write.name };
}

/** The (reader, writer) pairs the classes' getter/setter pairs of whole-word members use, most used first. */
function rank(classes: ts.ClassDeclaration[], isWhole: (member: string) => boolean, members: readonly string[], s: Symbols): Array<{ read: ts.Symbol; write: ts.Symbol; n: number }> {
  const votes = new Map<string, { read: ts.Symbol; write: ts.Symbol; n: number }>();
  for (const st of classes) {
    const byField = new Map<string, { read?: ts.Symbol; write?: ts.Symbol; off?: string }>();
    for (const m of st.members) {
      if (!(tsv.isGetAccessor(m) || tsv.isSetAccessor(m)) || !tsv.isIdentifier(m.name) || !isWhole(m.name.text)) continue;
      const call = soleCall(m);
      const off = call && addressOffset(call, members);
      const callee = call && off !== undefined ? s.callee(call) : undefined;
      if (!callee) continue;
      const e = byField.get(m.name.text) ?? {};
      // The getter and the setter of one field address one word.
      if (e.off !== undefined && e.off !== off) continue;
      // A reader takes the address alone and is returned; a writer takes the address and the value.
      if (tsv.isGetAccessor(m) && call!.arguments.length === 1) e.read = callee;
      else if (tsv.isSetAccessor(m) && call!.arguments.length === 2) e.write = callee;
      else continue;
      e.off = off;
      byField.set(m.name.text, e);
    }
    for (const e of byField.values()) {
      if (!e.read || !e.write) continue;
      const key = `${s.keyOfSymbol(e.read)}|${s.keyOfSymbol(e.write)}`;
      const v = votes.get(key) ?? { read: e.read, write: e.write, n: 0 };
      v.n++;
      votes.set(key, v);
    }
  }
  return [...votes.values()].sort((a, b) => b.n - a.n);
}

/** The name `sf` reaches `sym` by (its own declaration, or an import of it under any alias), if any. */
export function localNameOf(sf: ts.SourceFile, sym: ts.Symbol, s: Symbols): string | undefined {
  for (const st of sf.statements) {
    if (tsv.isImportDeclaration(st)) {
      const nb = st.importClause?.namedBindings;
      if (nb && tsv.isNamedImports(nb)) for (const el of nb.elements) if (s.at(el.name) === sym) return el.name.text;
    } else if (tsv.isFunctionDeclaration(st) && st.name && s.at(st.name) === sym) return st.name.text;
    else if (tsv.isVariableStatement(st)) {
      for (const d of st.declarationList.declarations) if (tsv.isIdentifier(d.name) && s.at(d.name) === sym) return d.name.text;
    }
  }
  return undefined;
}
