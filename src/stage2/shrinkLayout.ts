/**
 * `memdesc shrink`: the spec's class as its code lays it out. The truth is the code, not the spec:
 * every accessor's `this.<addr> + OFFSET` (a literal, or a const of the class's file) says which
 * word it reads, and the size constant (STRUCT_PAGE_SIZE) says how many words there are. The spec
 * gives the span of multi-word fields (lru: two words) and is checked against the code, so a spec
 * left stale by an earlier shrink is reported, not trusted.
 */
import { ts } from '@ts-morph/common';
import { tsv } from '../analyzers/tsValues.ts';
import { matchPath } from '../analyzers/glob.ts';
import { InputError } from '../errors.ts';
import type { Spec } from '../model/spec.ts';

/** An offset constant of the class's file: `export const PAGE_MAPPING_OFFSET = 24;`. */
export interface OffsetConst {
  name: string;
  decl: ts.VariableDeclaration;
  /** Its statement (removed with the word). */
  statement: ts.VariableStatement;
  value: number;
  word: number;
}

/** A `this.<addr> + X` inside a class member. */
export interface OffsetUse {
  /** The X expression. */
  expr: ts.Expression;
  value: number;
  word: number;
}

export interface LayoutMember {
  name: string;
  /** Every declaration of the member (a getter and its setter, a property). */
  decls: ts.ClassElement[];
  /** Its `this.addr + X` offsets. */
  offsets: OffsetUse[];
  /** Words it touches: its offsets' words, the words of the offset consts and other members it uses (transitively). */
  words: Set<number>;
  /** The spec field of that name, if any. */
  field?: string;
}

export interface SizeConst {
  name: string;
  decl: ts.VariableDeclaration;
  value: number;
}

export interface ClassLayout {
  sf: ts.SourceFile;
  decl: ts.ClassDeclaration;
  className: string;
  /** The address member (`addr`). */
  addr: string;
  wordSize: number;
  /** Words the class has now (size constant / word size; without one, its last word + 1). */
  words: number;
  /** The words, in order: 0..words-1, or for a class of plain fields without a size, the words its fields occupy. */
  wordList: number[];
  /** sizeof as a constant (STRUCT_PAGE_SIZE), when the code has one (a class of plain fields has none). */
  size?: SizeConst;
  /** sizeof as a shift (STRUCT_PAGE_SHIFT), when the file has one. */
  shift?: SizeConst;
  consts: Map<string, OffsetConst>;
  members: Map<string, LayoutMember>;
  /** Field -> words, as the code places them (start from its accessor, span from the spec). */
  fieldWords: Map<string, number[]>;
  /** Where the spec and the code disagree, one line each. */
  specMismatch: string[];
}

function isExported(st: ts.Statement): boolean {
  return tsv.canHaveModifiers(st) && !!tsv.getModifiers(st)?.some((m) => m.kind === tsv.SyntaxKind.ExportKeyword);
}

function literalValue(e: ts.Expression | undefined): number | undefined {
  if (!e) return undefined;
  while (tsv.isParenthesizedExpression(e) || tsv.isAsExpression(e) || tsv.isSatisfiesExpression(e)) e = e.expression;
  return tsv.isNumericLiteral(e) ? Number(e.text) : undefined;
}

/** Static value of an offset expression: literals, consts of `consts`, + and *. */
export function staticOffset(e: ts.Expression, checker: ts.TypeChecker, depth = 0): number | undefined {
  if (tsv.isNumericLiteral(e)) return Number(e.text);
  if (tsv.isParenthesizedExpression(e)) return staticOffset(e.expression, checker, depth);
  if (tsv.isBinaryExpression(e) && depth < 6) {
    const a = staticOffset(e.left, checker, depth + 1);
    const b = staticOffset(e.right, checker, depth + 1);
    if (a === undefined || b === undefined) return undefined;
    if (e.operatorToken.kind === tsv.SyntaxKind.PlusToken) return a + b;
    if (e.operatorToken.kind === tsv.SyntaxKind.AsteriskToken) return a * b;
    return undefined;
  }
  if (tsv.isIdentifier(e) && depth < 6) {
    let sym = checker.getSymbolAtLocation(e);
    if (sym && sym.flags & tsv.SymbolFlags.Alias) sym = checker.getAliasedSymbol(sym);
    const d = sym?.valueDeclaration;
    if (d && tsv.isVariableDeclaration(d) && d.initializer && tsv.isVariableDeclarationList(d.parent) && (d.parent.flags & tsv.NodeFlags.Const)) {
      return staticOffset(d.initializer, checker, depth + 1);
    }
  }
  return undefined;
}

/** The `this.<addr> + X` expressions under `n` (X as written). */
export function thisOffsets(n: ts.Node, addr: string): ts.Expression[] {
  const out: ts.Expression[] = [];
  const visit = (x: ts.Node): void => {
    if (tsv.isBinaryExpression(x) && x.operatorToken.kind === tsv.SyntaxKind.PlusToken && tsv.isPropertyAccessExpression(x.left) &&
      x.left.expression.kind === tsv.SyntaxKind.ThisKeyword && x.left.name.text === addr) {
      out.push(x.right);
    }
    tsv.forEachChild(x, visit);
  };
  visit(n);
  return out;
}

export function memberName(m: ts.ClassElement): string | undefined {
  return m.name && (tsv.isIdentifier(m.name) || tsv.isStringLiteral(m.name) || tsv.isPrivateIdentifier(m.name)) ? m.name.text : undefined;
}

/** The spec's class declaration in the program (the spec's file glob, else anywhere in the project). */
export function findClass(program: ts.Program, root: string, spec: Spec): ts.ClassDeclaration {
  const found: ts.ClassDeclaration[] = [];
  const inProject = program.getSourceFiles().filter((sf) => sf.fileName.startsWith(`${root}/`) && !sf.isDeclarationFile && !sf.fileName.includes('/node_modules/'));
  const rel = (sf: ts.SourceFile) => sf.fileName.slice(root.length + 1);
  for (const sf of inProject) {
    if (!matchPath(spec.page.file, rel(sf))) continue;
    for (const st of sf.statements) if (tsv.isClassDeclaration(st) && st.name?.text === spec.page.class) found.push(st);
  }
  if (found.length === 0) {
    throw new InputError(`no class ${spec.page.class} in ${spec.page.file} (the spec's page.file): shrink needs the class whose words it packs`);
  }
  if (found.length > 1) {
    throw new InputError(`${found.length} classes named ${spec.page.class} match ${spec.page.file}: shrink needs the one that declares the layout; narrow the spec's page.file`);
  }
  return found[0]!;
}

/** Read the layout of the spec's class from its code. */
export function readLayout(program: ts.Program, root: string, spec: Spec): ClassLayout {
  const checker = program.getTypeChecker();
  const decl = findClass(program, root, spec);
  const sf = decl.getSourceFile();
  const className = decl.name!.text;
  const wordSize = spec.page.wordSize ?? 8;
  let addr = spec.page.addressMembers[0] ?? 'addr';
  for (const m of decl.members) {
    if (tsv.isConstructorDeclaration(m) && m.parameters[0] && tsv.isIdentifier(m.parameters[0].name)) addr = m.parameters[0].name.text;
  }
  const members = new Map<string, LayoutMember>();
  for (const m of decl.members) {
    const name = memberName(m);
    if (!name || tsv.isConstructorDeclaration(m)) continue;
    let lm = members.get(name);
    if (!lm) members.set(name, (lm = { name, decls: [], offsets: [], words: new Set() }));
    lm.decls.push(m);
  }
  const rel = sf.fileName.slice(root.length + 1);
  // Offset consts: consts of the class's file used as (part of) an accessor's offset.
  const consts = new Map<string, OffsetConst>();
  const constOf = (id: ts.Identifier): ts.VariableDeclaration | undefined => {
    const d = checker.getSymbolAtLocation(id)?.valueDeclaration;
    return d && tsv.isVariableDeclaration(d) && d.getSourceFile() === sf && tsv.isVariableStatement(d.parent.parent) ? d : undefined;
  };
  const noteConsts = (e: ts.Node): void => {
    if (tsv.isIdentifier(e)) {
      const d = constOf(e);
      if (d && tsv.isIdentifier(d.name) && !consts.has(d.name.text)) {
        const value = literalValue(d.initializer) ?? staticOffset(d.initializer!, checker);
        if (value === undefined) throw new InputError(`${rel}: ${d.name.text} is an offset of ${className} whose value the code does not fix (not a constant expression)`);
        consts.set(d.name.text, { name: d.name.text, decl: d, statement: d.parent.parent as ts.VariableStatement, value, word: Math.floor(value / wordSize) });
      }
    }
    tsv.forEachChild(e, noteConsts);
  };
  for (const lm of members.values()) {
    for (const d of lm.decls) {
      for (const x of thisOffsets(d, addr)) {
        const value = staticOffset(x, checker);
        if (value === undefined) continue; // this.addr + i * SIZE: not a word of this object
        noteConsts(x);
        lm.offsets.push({ expr: x, value, word: Math.floor(value / wordSize) });
      }
    }
  }
  // container_of tables (static OFFSETOF = { lru: PAGE_LRU_OFFSET }): their consts are offsets too.
  for (const lm of members.values()) {
    for (const d of lm.decls) if (tsv.isPropertyDeclaration(d) && d.initializer && !lm.offsets.length) noteConsts(d.initializer);
  }
  // Size and shift: consts of the file whose literal value is sizeof (a word count the code and the spec agree on).
  const specMax = Math.max(-1, ...spec.page.fields.flatMap((f) => f.words));
  let codeMax = Math.max(-1, ...[...members.values()].flatMap((m) => m.offsets.map((o) => o.word)), ...[...consts.values()].map((c) => c.word));
  const fileConsts: SizeConst[] = [];
  for (const st of sf.statements) {
    if (!tsv.isVariableStatement(st) || !(st.declarationList.flags & tsv.NodeFlags.Const)) continue;
    for (const d of st.declarationList.declarations) {
      const v = literalValue(d.initializer);
      if (tsv.isIdentifier(d.name) && v !== undefined && !consts.has(d.name.text)) fileConsts.push({ name: d.name.text, decl: d, value: v });
    }
  }
  const minSize = (Math.max(specMax, codeMax) + 1) * wordSize;
  if (codeMax < 0) codeMax = specMax; // plain fields: the spec's words are the layout
  let sizes = fileConsts.filter((c) => c.value >= (codeMax + 1) * wordSize && c.value <= Math.max(minSize, (codeMax + 1) * wordSize) && c.value % wordSize === 0 && isExported(c.decl.parent.parent as ts.Statement));
  // The one the code steps from one object to the next with, `new Page(p.addr + SIZE)` (ANON_VMA_CHAIN_SIZE is 64 too).
  {
    const stepping = new Set<string>();
    const visit = (x: ts.Node): void => {
      if (tsv.isNewExpression(x) && tsv.isIdentifier(x.expression) && x.expression.text === className) {
        const inner = (y: ts.Node): void => {
          if (tsv.isIdentifier(y)) stepping.add(y.text);
          tsv.forEachChild(y, inner);
        };
        for (const a of x.arguments ?? []) inner(a);
      }
      tsv.forEachChild(x, visit);
    };
    for (const other of program.getSourceFiles()) if (other.fileName.startsWith(`${root}/`) && !other.isDeclarationFile) visit(other);
    sizes = sizes.filter((c) => stepping.has(c.name));
  }
  if (sizes.length > 1) {
    throw new InputError(`${rel}: cannot tell which constant is sizeof(${className}): ${sizes.map((s) => s.name).join(', ')} all could be; shrink updates it with the layout`);
  }
  const size = sizes[0];
  const shift = size ? fileConsts.find((c) => c !== size && /shift/i.test(c.name) && 2 ** c.value === size.value) : undefined;
  // Member words, then the words of the members each one uses (this.lru inside a helper getter).
  for (const lm of members.values()) {
    for (const o of lm.offsets) lm.words.add(o.word);
    for (const d of lm.decls) {
      const visit = (x: ts.Node): void => {
        if (tsv.isIdentifier(x)) {
          const c = consts.get(x.text);
          if (c && constOf(x) === c.decl) lm.words.add(c.word);
        }
        tsv.forEachChild(x, visit);
      };
      visit(d);
    }
  }
  for (let round = 0; round < 5; round++) {
    for (const lm of members.values()) {
      for (const d of lm.decls) {
        const visit = (x: ts.Node): void => {
          if (tsv.isPropertyAccessExpression(x) && x.expression.kind === tsv.SyntaxKind.ThisKeyword) {
            for (const w of members.get(x.name.text)?.words ?? []) lm.words.add(w);
          }
          tsv.forEachChild(x, visit);
        };
        visit(d);
      }
    }
  }
  const fieldWords = new Map<string, number[]>();
  const specMismatch: string[] = [];
  for (const f of spec.page.fields) {
    const lm = members.get(f.name);
    const start = lm?.offsets[0]?.word;
    if (lm) lm.field = f.name;
    // A plain field the class no longer declares is no word of it (a spec left stale by an earlier shrink).
    if (!size && !lm) {
      specMismatch.push(`${f.name}: the spec lists it, ${className} has no such member`);
      continue;
    }
    if (start === undefined) {
      fieldWords.set(f.name, [...f.words]);
      continue;
    }
    const words = f.words.map((_, i) => start + i);
    fieldWords.set(f.name, words);
    if (words.join() !== f.words.join()) specMismatch.push(`${f.name}: the spec says w${f.words.join('-w')}, ${className}.${f.name} reads w${words.join('-w')}`);
  }
  for (const lm of members.values()) {
    const fw = lm.field ? fieldWords.get(lm.field) : undefined;
    if (fw) for (const w of fw) lm.words.add(w);
  }
  const occupied = new Set<number>([...fieldWords.values()].flat());
  for (const lm of members.values()) for (const w of lm.words) occupied.add(w);
  const wordList = size ? Array.from({ length: size.value / wordSize }, (_, i) => i) : [...occupied].sort((a, b) => a - b);
  return {
    sf, decl, className, addr, wordSize, words: wordList.length, wordList, ...(size ? { size } : {}), ...(shift ? { shift } : {}),
    consts, members, fieldWords, specMismatch,
  };
}
