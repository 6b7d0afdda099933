/**
 * Imports of a converted file, settled on its final text: the names the conversion needs are
 * added (only those the text really uses), imports the conversion made unused are removed
 * (`noUnusedLocals`), and type-only imports follow the project's style (`import type` for a
 * name used only in type positions when the project asks for it, e.g. `verbatimModuleSyntax`;
 * a type-only import that now needs a value becomes a value import). Syntax only: the final
 * text is parsed, no type queries.
 */
import { relative } from 'node:path';
import { ts } from '@ts-morph/common';
import { tsv } from '../analyzers/tsValues.ts';
import { InputError } from '../errors.ts';
import { extensionStyle, moduleSpecifier, resolveSpecifier } from './imports.ts';
import { FileEdits } from './splices.ts';
import { syntaxOf } from '../ts/sharedParse.ts';

export interface NameUse {
  value: boolean;
  type: boolean;
}

/** nameUses() per parsed file: a series step reads one parse for its imports and its import graph (src/ts/sharedParse.ts). */
const usesOf = new WeakMap<ts.SourceFile, ReadonlyMap<string, NameUse>>();

/** How each name is used outside import declarations: as a value, in type positions, or both (read only: shared per SourceFile). */
export function nameUses(sf: ts.SourceFile): ReadonlyMap<string, NameUse> {
  const known = usesOf.get(sf);
  if (known) return known;
  const out = new Map<string, NameUse>();
  const visit = (n: ts.Node): void => {
    if (tsv.isImportDeclaration(n) || tsv.isImportEqualsDeclaration(n)) return;
    if (tsv.isIdentifier(n) && isReference(n)) {
      const u = out.get(n.text) ?? { value: false, type: false };
      if (inTypePosition(n)) u.type = true;
      else u.value = true;
      out.set(n.text, u);
    }
    tsv.forEachChild(n, visit);
  };
  visit(sf);
  usesOf.set(sf, out);
  return out;
}

/** Is this identifier a reference to a binding (not a member name, a declaration's own name, a label)? */
function isReference(n: ts.Identifier): boolean {
  const p = n.parent;
  if (!p) return false;
  if (tsv.isPropertyAccessExpression(p) && p.name === n) return false;
  if (tsv.isQualifiedName(p) && p.right === n) return false;
  if (isDeclarationOf(p) && (p as ts.NamedDeclaration).name === n) return false;
  if (tsv.isBindingElement(p) && (p.propertyName === n || p.name === n)) return false;
  if (tsv.isLabeledStatement(p) || tsv.isBreakOrContinueStatement(p)) return false;
  // `export { a as b }`: `b` is the exported name, `a` the local one.
  if (tsv.isExportSpecifier(p) && p.propertyName && p.name === n) return false;
  return true;
}

function isDeclarationOf(p: ts.Node): boolean {
  return tsv.isPropertyAssignment(p) || tsv.isPropertyDeclaration(p) || tsv.isMethodDeclaration(p) || tsv.isPropertySignature(p) ||
    tsv.isMethodSignature(p) || tsv.isGetAccessorDeclaration(p) || tsv.isSetAccessorDeclaration(p) || tsv.isEnumMember(p) ||
    tsv.isVariableDeclaration(p) || tsv.isFunctionDeclaration(p) || tsv.isClassDeclaration(p) || tsv.isClassExpression(p) ||
    tsv.isFunctionExpression(p) || tsv.isParameter(p) || tsv.isInterfaceDeclaration(p) || tsv.isTypeAliasDeclaration(p) ||
    tsv.isTypeParameterDeclaration(p) || tsv.isEnumDeclaration(p) || tsv.isModuleDeclaration(p);
}

/** A reference inside a type (annotation, `implements`, type arguments, `typeof x` in a type). */
function inTypePosition(n: ts.Node): boolean {
  for (let p: ts.Node | undefined = n.parent; p && !tsv.isSourceFile(p); p = p.parent) {
    if (tsv.isExpressionWithTypeArguments(p) && tsv.isHeritageClause(p.parent)) {
      return p.parent.token === tsv.SyntaxKind.ImplementsKeyword || tsv.isInterfaceDeclaration(p.parent.parent);
    }
    if (tsv.isTypeNode(p)) return true;
    if (tsv.isExportSpecifier(p)) return p.isTypeOnly || p.parent.parent.isTypeOnly;
    if (tsv.isStatement(p) || tsv.isBlock(p)) return false;
  }
  return false;
}

interface ImportEl {
  decl: ts.ImportDeclaration;
  /** Local name. */
  name: string;
  kind: 'default' | 'namespace' | 'named';
  el?: ts.ImportSpecifier;
  typeOnly: boolean;
}

function importsOf(sf: ts.SourceFile): ImportEl[] {
  const out: ImportEl[] = [];
  for (const st of sf.statements) {
    if (!tsv.isImportDeclaration(st) || !st.importClause) continue;
    const c = st.importClause;
    if (c.name) out.push({ decl: st, name: c.name.text, kind: 'default', typeOnly: c.isTypeOnly });
    const nb = c.namedBindings;
    if (nb && tsv.isNamespaceImport(nb)) out.push({ decl: st, name: nb.name.text, kind: 'namespace', typeOnly: c.isTypeOnly });
    if (nb && tsv.isNamedImports(nb)) {
      for (const el of nb.elements) out.push({ decl: st, name: el.name.text, kind: 'named', el, typeOnly: c.isTypeOnly || el.isTypeOnly });
    }
  }
  return out;
}

export interface FixImportsInput {
  fileName: string;
  /** The file's text before the conversion (null: a file the conversion creates). */
  before: string | null;
  after: string;
  /** Module file -> names the conversion may have made the file use. */
  needed?: Map<string, Set<string>>;
  /** Write `import type` for names used only as types (verbatimModuleSyntax and the like). */
  preferTypeImports: boolean;
  /** Project root, for file names in messages. */
  root?: string;
  /** The quote for a new import's specifier where the file has no strings (the project's). */
  quote?: () => '"' | "'" | undefined;
  /** The file a module specifier names (path aliases, packages); default: relative specifiers only. */
  resolve?: ModuleResolver;
  /**
   * The compiler options of the program being converted: the texts are then parsed once for this
   * and for that program's overlays (src/ts/sharedParse.ts), with the same result.
   */
  options?: ts.CompilerOptions;
}

/** Module specifier (as written in `from`) -> absolute file, or undefined. */
export type ModuleResolver = (spec: string, from: string) => string | undefined;

const relativeOnly: ModuleResolver = (spec, from) => resolveSpecifier(from, spec);

/** The project's own module resolution (tsconfig paths, packages), relative specifiers as written. */
export function programResolver(program: ts.Program): ModuleResolver {
  const options = program.getCompilerOptions();
  const cache = new Map<string, string | undefined>();
  return (spec, from) => {
    if (spec.startsWith('.')) return resolveSpecifier(from, spec);
    const key = `${from}\0${spec}`;
    if (!cache.has(key)) cache.set(key, tsv.resolveModuleName(spec, from, options, tsv.sys).resolvedModule?.resolvedFileName);
    return cache.get(key);
  };
}

/** What fixImports reads of a file's text before the conversion: the names it uses and the names it imports. */
interface BeforeNames {
  used: Set<string>;
  imported: Set<string>;
}

function beforeNames(fileName: string, before: string | null): BeforeNames {
  if (before === null) return { used: new Set(), imported: new Set() };
  const sf = syntaxOf(undefined, fileName, before);
  return { used: new Set(nameUses(sf).keys()), imported: new Set(importsOf(sf).map((i) => i.name)) };
}

/** The final text with its imports settled (see the module comment). */
export function fixImports(inp: FixImportsInput): string {
  return settleImports(inp, beforeNames(inp.fileName, inp.before));
}

/**
 * fixImports() for many conversions of one project (a series plans one per step, each from the
 * same original texts): a file's original text is read once, and a file whose final text and
 * needed names are those of the last call gets the last result without being parsed again.
 */
export class ImportFixer {
  private readonly befores = new Map<string, { text: string | null; names: BeforeNames }>();
  private readonly last = new Map<string, { before: string | null; after: string; key: string; resolve: ModuleResolver | undefined; result: string }>();

  fix(inp: FixImportsInput): string {
    const key = `${inp.preferTypeImports ? 't' : 'v'}\0${inp.root ?? ''}\0${neededKey(inp.needed)}`;
    const l = this.last.get(inp.fileName);
    if (l && l.before === inp.before && l.after === inp.after && l.key === key && l.resolve === inp.resolve) return l.result;
    let b = this.befores.get(inp.fileName);
    if (!b || b.text !== inp.before) this.befores.set(inp.fileName, (b = { text: inp.before, names: beforeNames(inp.fileName, inp.before) }));
    const result = settleImports(inp, b.names);
    this.last.set(inp.fileName, { before: inp.before, after: inp.after, key, resolve: inp.resolve, result });
    return result;
  }
}

function neededKey(needed: Map<string, Set<string>> | undefined): string {
  if (!needed) return '';
  // In the map's order: new import lines are added in that order.
  return JSON.stringify([...needed].map(([m, names]) => [m, [...names].sort()]));
}

function settleImports(inp: FixImportsInput, before: BeforeNames): string {
  const resolve = inp.resolve ?? relativeOnly;
  const sf = syntaxOf(inp.options, inp.fileName, inp.after);
  const uses = nameUses(sf);
  const usedBefore = before.used;
  const importedBefore = before.imported;
  const edits = new FileEdits(inp.fileName);
  const els = importsOf(sf);

  // 1. Imports the conversion made unused (or that it added itself and nothing uses).
  const gone = new Set<ImportEl>();
  const removed = new Set<ts.ImportDeclaration>();
  for (const i of els) {
    if (uses.has(i.name)) continue;
    const ours = inp.before === null || !importedBefore.has(i.name);
    if (ours || usedBefore.has(i.name)) gone.add(i);
  }
  // Names the conversion needs and the file does not declare yet.
  const declared = new Map<string, string | null>(); // name -> module file it comes from (null: declared here)
  for (const i of els) {
    if (gone.has(i)) continue;
    const spec = tsv.isStringLiteral(i.decl.moduleSpecifier) ? i.decl.moduleSpecifier.text : '';
    declared.set(i.name, resolve(spec, inp.fileName) ?? spec);
  }
  for (const st of sf.statements) {
    if ((tsv.isFunctionDeclaration(st) || tsv.isClassDeclaration(st) || tsv.isInterfaceDeclaration(st) || tsv.isTypeAliasDeclaration(st) ||
      tsv.isEnumDeclaration(st)) && st.name) declared.set(st.name.text, null);
    if (tsv.isVariableStatement(st)) for (const d of st.declarationList.declarations) if (tsv.isIdentifier(d.name)) declared.set(d.name.text, null);
  }
  const adds: Array<{ mod: string; names: string[]; typeOnly: boolean }> = [];
  for (const [mod, names] of inp.needed ?? new Map<string, Set<string>>()) {
    if (mod === inp.fileName) continue;
    const values: string[] = [];
    const types: string[] = [];
    for (const n of [...names].sort()) {
      const u = uses.get(n);
      if (!u) continue;
      if (declared.has(n)) {
        const from = declared.get(n);
        if (from === mod) continue;
        const r = (f: string) => (inp.root ? relative(inp.root, f).split('\\').join('/') : f);
        throw new InputError(`${r(inp.fileName)} already declares \`${n}\`${from ? ` (imported from ${r(from)})` : ''}, which the conversion needs from ${r(mod)}: ` +
          'give the descriptor or its converters another name in the spec');
      }
      if (inp.preferTypeImports && u.type && !u.value) types.push(n);
      else values.push(n);
    }
    if (values.length) adds.push({ mod, names: values, typeOnly: false });
    if (types.length) adds.push({ mod, names: types, typeOnly: true });
  }

  // 2. Imports the conversion made unused go; names it needs are added.
  for (const decl of new Set(els.map((i) => i.decl))) {
    const mine = els.filter((i) => i.decl === decl);
    const dead = mine.filter((i) => gone.has(i));
    if (dead.length === 0) {
      typeToValue(sf, edits, decl, mine, uses);
      continue;
    }
    if (dead.length === mine.length) {
      // An import of the module the new names come from is reused in place (Page -> Ptdesc).
      const c = decl.importClause!;
      const same = !c.name && c.namedBindings && tsv.isNamedImports(c.namedBindings) && tsv.isStringLiteral(decl.moduleSpecifier)
        ? adds.find((a) => a.names.length > 0 && a.typeOnly === c.isTypeOnly && resolve((decl.moduleSpecifier as ts.StringLiteral).text, inp.fileName) === a.mod)
        : undefined;
      if (same) {
        edits.replace(c.namedBindings!.getStart(sf), c.namedBindings!.end, `{ ${same.names.join(', ')} }`);
        same.names = [];
        continue;
      }
      removeStatement(sf, edits, decl);
      removed.add(decl);
      continue;
    }
    const nb = decl.importClause!.namedBindings;
    const named = nb && tsv.isNamedImports(nb) ? nb.elements : undefined;
    const deadNamed = new Set(dead.filter((i) => i.kind === 'named').map((i) => i.el!));
    if (named) removeElements(sf, edits, named, deadNamed, mine.some((i) => i.kind !== 'named' && !gone.has(i)));
    const def = dead.find((i) => i.kind === 'default');
    if (def) {
      // `import X, { a } from …` -> `import { a } from …`
      const c = decl.importClause!;
      edits.remove(c.name!.getStart(sf), c.namedBindings!.getStart(sf));
    }
    typeToValue(sf, edits, decl, mine.filter((i) => !gone.has(i)), uses);
  }

  const lastImport = [...sf.statements].reverse().find(tsv.isImportDeclaration);
  for (const a of adds) if (a.names.length) addTo(sf, edits, inp.fileName, a.mod, a.names, a.typeOnly, lastImport, removed, resolve);
  return edits.size === 0 ? inp.after : edits.apply(inp.after, inp.quote);
}

/** Add names to an import of `mod` of the same sort (type-only or not), else in a new line after the last import. */
function addTo(sf: ts.SourceFile, edits: FileEdits, file: string, mod: string, names: string[], typeOnly: boolean,
  last: ts.ImportDeclaration | undefined, removed: Set<ts.ImportDeclaration>, resolve: ModuleResolver): void {
  for (const st of sf.statements) {
    if (!tsv.isImportDeclaration(st) || !tsv.isStringLiteral(st.moduleSpecifier) || removed.has(st)) continue;
    if (resolve(st.moduleSpecifier.text, file) !== mod) continue;
    const c = st.importClause;
    if (!c || !c.namedBindings || !tsv.isNamedImports(c.namedBindings) || c.isTypeOnly !== typeOnly) continue;
    const els = c.namedBindings.elements;
    if (els.length > 0) edits.insert(els[els.length - 1]!.end, `, ${names.join(', ')}`, 0);
    else edits.insert(c.namedBindings.getStart(sf) + 1, ` ${names.join(', ')} `, 0);
    return;
  }
  const spec = moduleSpecifier(file, mod, extensionStyle(sf));
  const line = `import ${typeOnly ? 'type ' : ''}{ ${names.join(', ')} } from '${spec}';\n`;
  if (last) {
    const nl = sf.text.indexOf('\n', last.end);
    edits.insert(nl === -1 ? sf.text.length : nl + 1, nl === -1 ? `\n${line}` : line, 1e9 + (typeOnly ? 1 : 0));
  } else {
    const first = sf.statements[0];
    const pos = first ? sf.text.lastIndexOf('\n', first.getStart(sf) - 1) + 1 : sf.text.length;
    edits.insert(pos, line, -1e9 + (typeOnly ? 1 : 0));
  }
}

/** `import type { A, B }` where B is now used as a value -> `import { type A, B }`. */
function typeToValue(sf: ts.SourceFile, edits: FileEdits, decl: ts.ImportDeclaration, kept: ImportEl[], uses: ReadonlyMap<string, NameUse>): void {
  const c = decl.importClause;
  if (!c || !c.isTypeOnly || !kept.some((i) => uses.get(i.name)?.value)) return;
  const nb = c.namedBindings;
  if (!nb || !tsv.isNamedImports(nb) || c.name) return; // `import type X` / `* as ns`: left to the type-check to report
  const start = c.getStart(sf);
  const m = /^type\s+/.exec(sf.text.slice(start));
  if (!m) return;
  edits.remove(start, start + m[0].length);
  for (const i of kept) if (!uses.get(i.name)?.value) edits.insert(i.el!.getStart(sf), 'type ', 0);
}

function removeStatement(sf: ts.SourceFile, edits: FileEdits, st: ts.Statement): void {
  const lineStart = sf.text.lastIndexOf('\n', st.getStart(sf) - 1) + 1;
  const nl = sf.text.indexOf('\n', st.end);
  edits.remove(lineStart, nl === -1 ? st.end : nl + 1);
}

function removeElements(sf: ts.SourceFile, edits: FileEdits, els: ts.NodeArray<ts.ImportSpecifier>, dead: Set<ts.ImportSpecifier>, keepOthers: boolean): void {
  if (els.every((e) => dead.has(e))) {
    // `import X, { a } from …` with `a` gone -> `import X from …`
    if (keepOthers) {
      const nb = els[0]!.parent;
      const clause = nb.parent;
      edits.remove(clause.name!.end, nb.end);
    }
    return;
  }
  for (let i = 0; i < els.length; i++) {
    if (!dead.has(els[i]!)) continue;
    let j = i;
    while (j + 1 < els.length && dead.has(els[j + 1]!)) j++;
    if (j + 1 < els.length) edits.remove(els[i]!.getStart(sf), els[j + 1]!.getStart(sf));
    else if (i > 0) edits.remove(els[i - 1]!.end, els[j]!.end);
    i = j;
  }
}

/**
 * Does the project ask for `import type` (verbatimModuleSyntax and its predecessors)? Without
 * such an option a class imported for a type annotation stays a plain import, as before.
 */
export function prefersTypeImports(program: ts.Program): boolean {
  const o = program.getCompilerOptions();
  return !!(o.verbatimModuleSyntax || o.preserveValueImports || o.importsNotUsedAsValues === tsv.ImportsNotUsedAsValues.Error);
}
