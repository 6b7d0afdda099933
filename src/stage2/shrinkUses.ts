/**
 * `memdesc shrink`: who still uses each word of the spec's class. Evidence comes from the type
 * checker and the analysis, never from names:
 *  - member references outside the class whose symbol is one of the class's members (getters,
 *    setters, fields, entries of its container_of table), through any type that resolves to them;
 *  - references of the class file's offset constants outside the class (`page.addr + PAGE_MEMDESC_OFFSET`,
 *    a descriptor's `*_MATCH(PAGE_LRU_OFFSET, …)`);
 *  - offsets written as numbers on an object of the class (`read32(page.addr + 4)`): these cannot
 *    follow a renumbering, so a word read that way may not move;
 *  - overlay descriptors: a kind's page-to-descriptor converter that builds the descriptor on the
 *    object's own address (`new Slab(page.addr)`) still keeps every field the kind maps there;
 *  - the analyzer's residue (accesses it could not follow) of a field on the word.
 * The analyzer's findings give a raw access its kind: a kind with a descriptor that still reads
 * its fields here has not left the class.
 */
import { ts } from '@ts-morph/common';
import { tsv } from '../analyzers/tsValues.ts';
import { enclosingFunctionNames } from '../analyzers/ast.ts';
import type { Spec } from '../model/spec.ts';
import { memberName, staticOffset, type ClassLayout } from './shrinkLayout.ts';

export type UseHow = 'read' | 'write' | 'reference' | 'offset-constant' | 'by-offset' | 'overlay' | 'residue' | 'enumerated';

export interface WordUse {
  file: string;
  line: number;
  column: number;
  function: string | null;
  /** The member, constant or field used. */
  member: string;
  words: number[];
  how: UseHow;
  /** A kind with a descriptor this use keeps in the class (analysis or overlay evidence). */
  kind?: string;
  /** What the code does, as written. */
  text: string;
}

export interface FindingLike { file: string; line: number; column: number; field: string; kind: string }
export interface ResidueLike { file: string; line: number; column: number; field?: string; reason: string }

function within(n: ts.Node, outer: ts.Node): boolean {
  for (let p: ts.Node | undefined = n; p; p = p.parent) if (p === outer) return true;
  return false;
}

function short(n: ts.Node, sf: ts.SourceFile): string {
  const t = n.getText(sf).replace(/\s+/g, ' ');
  return t.length > 70 ? `${t.slice(0, 67)}...` : t;
}

function accessOf(n: ts.Expression): 'read' | 'write' {
  let e: ts.Node = n;
  while (tsv.isParenthesizedExpression(e.parent) || tsv.isNonNullExpression(e.parent)) e = e.parent;
  const p = e.parent;
  if (tsv.isBinaryExpression(p) && p.left === e && p.operatorToken.kind >= tsv.SyntaxKind.FirstAssignment && p.operatorToken.kind <= tsv.SyntaxKind.LastAssignment) return 'write';
  if ((tsv.isPrefixUnaryExpression(p) || tsv.isPostfixUnaryExpression(p)) && (p.operator === tsv.SyntaxKind.PlusPlusToken || p.operator === tsv.SyntaxKind.MinusMinusToken)) return 'write';
  return 'read';
}

export function projectFiles(program: ts.Program, root: string): ts.SourceFile[] {
  return program.getSourceFiles().filter((sf) => sf.fileName.startsWith(`${root}/`) && !sf.isDeclarationFile && !sf.fileName.includes('/node_modules/'));
}

/** Is `t` (or a member of its union) the class? */
function isClassType(t: ts.Type, decl: ts.ClassDeclaration): boolean {
  if (t.isUnion()) return t.types.some((x) => isClassType(x, decl));
  return !!t.getSymbol()?.declarations?.includes(decl);
}

export interface UseOptions {
  spec: Spec;
  findings?: FindingLike[];
  residue?: ResidueLike[];
}

/** Every use of a word of the class outside its declaration. */
export function findUses(program: ts.Program, root: string, layout: ClassLayout, opts: UseOptions): WordUse[] {
  const checker = program.getTypeChecker();
  const { decl } = layout;
  const uses: WordUse[] = [];
  const constDecls = new Map<ts.Node, { name: string; word: number }>();
  for (const c of layout.consts.values()) constDecls.set(c.decl, { name: c.name, word: c.word });
  // Words of a declaration inside the class: a member's, or a container_of entry's (its constants').
  const wordsOfDecl = (d: ts.Declaration): { member: string; words: number[] } | undefined => {
    if (!within(d, decl)) return undefined;
    if (tsv.isClassElement(d) && d.parent === decl) {
      const name = memberName(d);
      const lm = name ? layout.members.get(name) : undefined;
      return lm && lm.words.size > 0 ? { member: name!, words: [...lm.words].sort((a, b) => a - b) } : undefined;
    }
    if (tsv.isPropertyAssignment(d) || tsv.isShorthandPropertyAssignment(d)) {
      const words = new Set<number>();
      const visit = (x: ts.Node): void => {
        if (tsv.isIdentifier(x)) {
          const c = layout.consts.get(x.text);
          if (c) words.add(c.word);
        }
        tsv.forEachChild(x, visit);
      };
      visit(d);
      const name = d.name && tsv.isIdentifier(d.name) ? d.name.text : d.getText();
      return words.size > 0 ? { member: name, words: [...words].sort((a, b) => a - b) } : undefined;
    }
    return undefined;
  };
  const kindOfFinding = new Map<string, FindingLike[]>();
  for (const f of opts.findings ?? []) {
    const k = `${f.file}:${f.line}`;
    kindOfFinding.set(k, [...(kindOfFinding.get(k) ?? []), f]);
  }
  const descKinds = new Set(opts.spec.kinds.filter((k) => k.descriptor).map((k) => k.name));
  for (const sf of projectFiles(program, root)) {
    const rel = sf.fileName.slice(root.length + 1);
    const at = (n: ts.Node) => {
      const { line, character } = sf.getLineAndCharacterOfPosition(n.getStart(sf));
      return { file: rel, line: line + 1, column: character + 1, function: enclosingFunctionNames(n)[0] ?? null };
    };
    const visit = (n: ts.Node): void => {
      // The class's own members are the layout; its constructor runs on every object: its uses count.
      if (n === decl) {
        for (const m of decl.members) if (tsv.isConstructorDeclaration(m) && m.body) visit(m.body);
        return;
      }
      // Members (and container_of entries) by symbol.
      let name: ts.Node | undefined;
      if (tsv.isPropertyAccessExpression(n)) name = n.name;
      else if (tsv.isElementAccessExpression(n) && tsv.isStringLiteralLike(n.argumentExpression)) name = n.argumentExpression;
      let sym: ts.Symbol | undefined;
      if (name) sym = checker.getSymbolAtLocation(name);
      // const { label } = shelf: a read of the member too.
      if (tsv.isBindingElement(n) && tsv.isObjectBindingPattern(n.parent)) {
        const prop = n.propertyName ?? n.name;
        if (tsv.isIdentifier(prop) || tsv.isStringLiteral(prop)) {
          sym = checker.getTypeAtLocation(n.parent).getProperty(prop.text);
          name = prop;
        }
      }
      if (name) {
        for (const d of sym?.declarations ?? []) {
          // A table of the class named as a whole is no use of its own: by a literal key the entry
          // counts (the enclosing access resolves to it), any other way it is enumerated, and code
          // that enumerates a table takes whatever entries the layout has.
          if (isOffsetTable(d, decl)) {
            // Enumerated: pins nothing once every kind is separated (planShrink decides; see there).
            const words = new Set<number>();
            for (const p of (tableLiteral(d as ts.PropertyDeclaration)?.properties ?? [])) for (const w of wordsOfDecl(p as ts.PropertyAssignment)?.words ?? []) words.add(w);
            if (words.size > 0) uses.push({ ...at(n), member: memberName(d as ts.PropertyDeclaration) ?? '(table)', words: [...words].sort((a, b) => a - b), how: 'enumerated', text: short(n.parent ?? n, sf) });
            break;
          }
          const w = wordsOfDecl(d);
          if (!w) continue;
          const site = at(n);
          const field = layout.members.get(w.member)?.field;
          const f = kindOfFinding.get(`${site.file}:${site.line}`)?.find((x) => x.field === (field ?? w.member) && descKinds.has(x.kind));
          const access = tsv.isBindingElement(n) ? 'read' : accessOf(n as ts.Expression);
          const how: UseHow = field && opts.spec.page.fields.find((x) => x.name === field)?.embedded && access === 'read' ? 'reference' : access;
          uses.push({ ...site, member: w.member, words: w.words, how, ...(f ? { kind: f.kind } : {}), text: short(n, sf) });
          break;
        }
      }
      // { ...shelf }: copies every field the object has, so every word is read.
      if (tsv.isSpreadAssignment(n) && isClassType(checker.getTypeAtLocation(n.expression), decl)) {
        uses.push({ ...at(n), member: '...', words: [...layout.wordList], how: 'read', text: short(n, sf) });
      }
      // Offset constants by symbol (imports and re-exports are not uses; a re-export breaks the type-check instead).
      if (tsv.isIdentifier(n) && !tsv.isImportSpecifier(n.parent) && !tsv.isExportSpecifier(n.parent) && !(tsv.isVariableDeclaration(n.parent) && n.parent.name === n)) {
        let sym = checker.getSymbolAtLocation(n);
        if (sym && sym.flags & tsv.SymbolFlags.Alias) sym = checker.getAliasedSymbol(sym);
        const c = sym?.valueDeclaration ? constDecls.get(sym.valueDeclaration) : undefined;
        if (c) {
          const stmt = n.parent && (tsv.isCallExpression(n.parent) || tsv.isBinaryExpression(n.parent)) ? n.parent : n;
          uses.push({ ...at(n), member: c.name, words: [c.word], how: 'offset-constant', text: short(stmt, sf) });
        }
      }
      // A word by a numeric offset on an object of the class: `read32(page.addr + 4)`.
      if (tsv.isBinaryExpression(n) && n.operatorToken.kind === tsv.SyntaxKind.PlusToken && tsv.isPropertyAccessExpression(n.left) &&
        n.left.name.text === layout.addr && n.left.expression.kind !== tsv.SyntaxKind.ThisKeyword && isClassType(checker.getTypeAtLocation(n.left.expression), decl)) {
        const v = staticOffset(n.right, checker);
        const onlyLiterals = !containsConst(n.right, layout);
        if (v !== undefined && onlyLiterals && v >= 0 && v < layout.words * layout.wordSize) {
          const word = Math.floor(v / layout.wordSize);
          uses.push({ ...at(n), member: `+${v}`, words: [word], how: 'by-offset', text: short(n.parent && tsv.isCallExpression(n.parent) ? n.parent : n, sf) });
        }
      }
      tsv.forEachChild(n, visit);
    };
    visit(sf);
  }
  uses.push(...overlayUses(program, root, layout, opts.spec));
  for (const r of opts.residue ?? []) {
    if (!r.field) continue;
    const words = layout.fieldWords.get(r.field);
    if (words) uses.push({ file: r.file, line: r.line, column: r.column, function: null, member: r.field, words, how: 'residue', text: r.reason });
  }
  return uses;
}

/**
 * A static table of the class whose entries are offsets (`static readonly OFFSETOF = { lru:
 * PAGE_LRU_OFFSET } as const`): shrink removes the entries of removed words one by one.
 */
function tableLiteral(d: ts.PropertyDeclaration): ts.ObjectLiteralExpression | undefined {
  let init: ts.Expression | undefined = d.initializer;
  while (init && (tsv.isAsExpression(init) || tsv.isSatisfiesExpression(init) || tsv.isParenthesizedExpression(init))) init = init.expression;
  return init && tsv.isObjectLiteralExpression(init) ? init : undefined;
}

export function isOffsetTable(d: ts.Declaration, decl: ts.ClassDeclaration): boolean {
  if (!tsv.isPropertyDeclaration(d) || d.parent !== decl || !d.initializer) return false;
  if (!d.modifiers?.some((m) => m.kind === tsv.SyntaxKind.StaticKeyword)) return false;
  let init: ts.Expression = d.initializer;
  while (tsv.isAsExpression(init) || tsv.isSatisfiesExpression(init) || tsv.isParenthesizedExpression(init)) init = init.expression;
  return tsv.isObjectLiteralExpression(init) && init.properties.every((p) => tsv.isPropertyAssignment(p) || tsv.isShorthandPropertyAssignment(p));
}

function containsConst(e: ts.Node, layout: ClassLayout): boolean {
  let found = false;
  const visit = (x: ts.Node): void => {
    if (tsv.isIdentifier(x) && layout.consts.has(x.text)) found = true;
    if (!found) tsv.forEachChild(x, visit);
  };
  visit(e);
  return found;
}

/**
 * Kinds whose descriptor still overlays the class: a page-to-descriptor converter of the kind
 * (spec `converters.fromPage`) that builds its descriptor on the object's own address.
 */
function overlayUses(program: ts.Program, root: string, layout: ClassLayout, spec: Spec): WordUse[] {
  const checker = program.getTypeChecker();
  const out: WordUse[] = [];
  const byName = new Map<string, ts.FunctionDeclaration>();
  for (const sf of projectFiles(program, root)) {
    for (const st of sf.statements) if (tsv.isFunctionDeclaration(st) && st.name && st.body && !byName.has(st.name.text)) byName.set(st.name.text, st);
  }
  for (const kind of spec.kinds) {
    if (!kind.descriptor) continue;
    const words = [...new Set(kind.fields.flatMap((e) => layout.fieldWords.get(e.field) ?? []))].sort((a, b) => a - b);
    if (words.length === 0) continue;
    for (const conv of kind.converters.fromPage) {
      const fn = byName.get(conv);
      if (!fn) continue;
      let hit: ts.NewExpression | undefined;
      const visit = (x: ts.Node): void => {
        if (hit) return;
        if (tsv.isNewExpression(x) && tsv.isIdentifier(x.expression) && x.expression.text === kind.descriptor!.class) {
          const a = x.arguments?.[0];
          if (a && tsv.isPropertyAccessExpression(a) && a.name.text === layout.addr && isClassType(checker.getTypeAtLocation(a.expression), layout.decl)) hit = x;
        }
        tsv.forEachChild(x, visit);
      };
      visit(fn.body!);
      if (!hit) continue;
      const sf = fn.getSourceFile();
      const { line, character } = sf.getLineAndCharacterOfPosition(hit.getStart(sf));
      out.push({
        file: sf.fileName.slice(root.length + 1), line: line + 1, column: character + 1, function: conv,
        member: kind.fields.map((e) => e.field).join(', '), words, how: 'overlay', kind: kind.name,
        text: `${short(hit, sf)}: ${kind.descriptor.class} overlays ${layout.className} (not separated)`,
      });
      break;
    }
  }
  return out;
}
