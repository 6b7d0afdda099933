/**
 * What another file can see of a source file, declaration by declaration, read from its syntax
 * alone: the incremental checker (incremental.ts) uses it to tell which importers of a changed
 * file can have different diagnostics. A declaration's shape is its text with everything cut that
 * cannot reach its type: the body of a function or method whose return type is written, the
 * initializer of a variable, property or parameter whose type is written, constructor and setter
 * bodies, static blocks. Everything else stays (an unannotated function's body decides its return
 * type). `refs` are the identifiers in what stays: the names the declaration's type may depend on.
 * Anything this reading cannot judge declaration by declaration makes the whole file count:
 * top-level statements that are no declaration (an expando `f.x = 1` changes `f`'s type), a
 * script's global declarations, `declare global`, module augmentations, files that are not
 * TypeScript.
 */
import { ts } from '@ts-morph/common';

export interface DeclShape {
  shape: string;
  refs: Set<string>;
}

export interface ImportBinding {
  spec: ts.StringLiteralLike;
  /** The name imported: `*` for a namespace (or `import x = require()`), `default`. */
  name: string;
}

export interface FileShapes {
  /** Declarations at the top level (exported or not), merged declarations together. */
  decls: Map<string, DeclShape>;
  /** Local name -> what it imports. */
  imports: Map<string, ImportBinding>;
  /** Exported name -> the local name it exports (`export { a as b }`, `export function f`, `export default x`). */
  exports: Map<string, string>;
  /** Exported name -> module and name (`export { a as b } from 'm'`; `export * as ns from 'm'`: name `*`). */
  reexports: Map<string, ImportBinding>;
  /** `export * from 'm'`. */
  stars: ts.StringLiteralLike[];
  /** Modules the file reads whole (`import('m')`, `import x = require('m')` in a type or a call, `export *`). */
  wholeModules: ts.StringLiteralLike[];
  /** Every module specifier in the file (for resolution changes). */
  specifiers: ts.StringLiteralLike[];
  /** The text of top-level statements that declare nothing: a change there counts for the whole file. */
  other: string;
  /** Its declarations can reach files that do not import it (a script, `declare global`, module augmentation), or it is not TypeScript. */
  global: boolean;
  /** Its exports, as one string (a change of any mapping is a change of that name). */
  exportTable: Map<string, string>;
}

const cache = new WeakMap<ts.SourceFile, FileShapes>();
const TS_FILE = /\.(?:[cm]?tsx?)$/;

/** The shapes of a parsed file (cached per SourceFile object: reused files are read once). */
export function fileShapes(sf: ts.SourceFile): FileShapes {
  let s = cache.get(sf);
  if (!s) cache.set(sf, (s = read(sf)));
  return s;
}

function read(sf: ts.SourceFile): FileShapes {
  const out: FileShapes = {
    decls: new Map(), imports: new Map(), exports: new Map(), reexports: new Map(), stars: [], wholeModules: [], specifiers: [],
    other: '', global: !TS_FILE.test(sf.fileName) || !ts.isExternalModule(sf), exportTable: new Map(),
  };
  const others: string[] = [];
  const addDecl = (name: string, node: ts.Node, prefix = ''): void => {
    const { shape, refs } = shapeOf(sf, node);
    const prev = out.decls.get(name);
    if (prev) {
      prev.shape += `\0${prefix}${shape}`;
      for (const r of refs) prev.refs.add(r);
    } else out.decls.set(name, { shape: prefix + shape, refs });
  };
  const exported = (n: ts.Node): boolean => !!(ts.canHaveModifiers(n) && ts.getModifiers(n)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword));
  const isDefault = (n: ts.Node): boolean => !!(ts.canHaveModifiers(n) && ts.getModifiers(n)?.some((m) => m.kind === ts.SyntaxKind.DefaultKeyword));
  for (const st of sf.statements) {
    if (ts.isImportDeclaration(st)) {
      const spec = st.moduleSpecifier;
      if (!ts.isStringLiteralLike(spec)) continue;
      out.specifiers.push(spec);
      const c = st.importClause;
      if (!c) continue;
      if (c.name) out.imports.set(c.name.text, { spec, name: 'default' });
      const nb = c.namedBindings;
      if (nb && ts.isNamespaceImport(nb)) out.imports.set(nb.name.text, { spec, name: '*' });
      if (nb && ts.isNamedImports(nb)) for (const el of nb.elements) out.imports.set(el.name.text, { spec, name: (el.propertyName ?? el.name).text });
    } else if (ts.isImportEqualsDeclaration(st)) {
      const r = st.moduleReference;
      if (ts.isExternalModuleReference(r) && ts.isStringLiteralLike(r.expression)) {
        out.specifiers.push(r.expression);
        out.imports.set(st.name.text, { spec: r.expression, name: '*' });
      } else addDecl(st.name.text, st);
      if (exported(st)) out.exports.set(st.name.text, st.name.text);
    } else if (ts.isExportDeclaration(st)) {
      const spec = st.moduleSpecifier;
      if (spec && ts.isStringLiteralLike(spec)) {
        out.specifiers.push(spec);
        const ec = st.exportClause;
        if (!ec) { out.stars.push(spec); out.wholeModules.push(spec); } else if (ts.isNamespaceExport(ec)) out.reexports.set(ec.name.text, { spec, name: '*' });
        else for (const el of ec.elements) out.reexports.set(el.name.text, { spec, name: (el.propertyName ?? el.name).text });
      } else if (st.exportClause && ts.isNamedExports(st.exportClause)) {
        for (const el of st.exportClause.elements) out.exports.set(el.name.text, (el.propertyName ?? el.name).text);
      }
    } else if (ts.isExportAssignment(st)) {
      const name = st.isExportEquals ? 'export=' : 'default';
      addDecl(name, st);
      out.exports.set(name, name);
    } else if (ts.isVariableStatement(st)) {
      // `const` and `let` give different types (literal types): the keyword is part of each shape.
      const kw = `${st.getText(sf).slice(0, st.declarationList.getStart(sf) - st.getStart(sf))}${ts.tokenToString(declKeyword(st.declarationList)) ?? ''} `;
      for (const d of st.declarationList.declarations) {
        for (const name of bindingNames(d.name)) {
          addDecl(name, d, kw);
          if (exported(st)) out.exports.set(name, name);
        }
      }
    } else if (ts.isFunctionDeclaration(st) || ts.isClassDeclaration(st) || ts.isInterfaceDeclaration(st) || ts.isTypeAliasDeclaration(st) ||
      ts.isEnumDeclaration(st)) {
      const name = st.name?.text ?? 'default';
      addDecl(name, st);
      if (exported(st)) out.exports.set(isDefault(st) ? 'default' : name, name);
    } else if (ts.isModuleDeclaration(st)) {
      // `declare global`, `declare module 'x'`: declarations for files that do not import this one.
      if (!ts.isIdentifier(st.name) || (st.flags & ts.NodeFlags.GlobalAugmentation) !== 0) out.global = true;
      const name = st.name.text;
      addDecl(name, st);
      if (exported(st)) out.exports.set(name, name);
    } else others.push(st.getText(sf));
  }
  out.other = others.join('\0');
  // Modules read whole from anywhere in the file: import types, dynamic imports, require().
  const visit = (n: ts.Node): void => {
    if (ts.isImportTypeNode(n) && ts.isLiteralTypeNode(n.argument) && ts.isStringLiteralLike(n.argument.literal)) {
      out.wholeModules.push(n.argument.literal);
      out.specifiers.push(n.argument.literal);
    } else if (ts.isCallExpression(n) && (n.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(n.expression) && n.expression.text === 'require')) &&
      n.arguments[0] && ts.isStringLiteralLike(n.arguments[0])) {
      out.wholeModules.push(n.arguments[0]);
      out.specifiers.push(n.arguments[0]);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  for (const [e, l] of out.exports) out.exportTable.set(e, `local ${l}`);
  for (const [e, r] of out.reexports) out.exportTable.set(e, `from ${r.spec.text} ${r.name}`);
  out.exportTable.set('\0stars', out.stars.map((s) => s.text).join('\0'));
  return out;
}

function declKeyword(list: ts.VariableDeclarationList): ts.SyntaxKind {
  if (list.flags & ts.NodeFlags.Const) return ts.SyntaxKind.ConstKeyword;
  if (list.flags & ts.NodeFlags.Let) return ts.SyntaxKind.LetKeyword;
  return ts.SyntaxKind.VarKeyword;
}

function bindingNames(n: ts.BindingName): string[] {
  if (ts.isIdentifier(n)) return [n.text];
  const out: string[] = [];
  for (const el of n.elements) if (!ts.isOmittedExpression(el)) out.push(...bindingNames(el.name));
  return out;
}

/** The ranges of `node` that cannot reach its type (see the module comment). */
function cuts(node: ts.Node): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  const visit = (n: ts.Node): void => {
    if (ts.isFunctionLike(n) && 'body' in n && n.body) {
      const f = n as ts.FunctionLikeDeclaration;
      if (f.type || ts.isConstructorDeclaration(n) || ts.isSetAccessorDeclaration(n)) {
        // Parameters (and their initializers) still count; only the body goes.
        for (const p of f.parameters) visit(p);
        if (f.type) visit(f.type);
        out.push([f.body!.pos, f.body!.end]);
        return;
      }
    }
    if (ts.isClassStaticBlockDeclaration(n)) { out.push([n.pos, n.end]); return; }
    if ((ts.isVariableDeclaration(n) || ts.isPropertyDeclaration(n) || ts.isParameter(n)) && n.type && n.initializer) {
      visit(n.name);
      visit(n.type);
      out.push([n.initializer.pos, n.initializer.end]);
      return;
    }
    ts.forEachChild(n, visit);
  };
  visit(node);
  return out.sort((a, b) => a[0] - b[0]);
}

function shapeOf(sf: ts.SourceFile, node: ts.Node): DeclShape {
  const start = node.getStart(sf);
  const cut = cuts(node);
  let shape = '';
  let at = start;
  for (const [s, e] of cut) {
    if (e <= at) continue;
    shape += `${sf.text.slice(at, Math.max(at, s))}{}`;
    at = e;
  }
  shape += sf.text.slice(at, node.end);
  const refs = new Set<string>();
  const inCut = (n: ts.Node): boolean => cut.some(([s, e]) => n.pos >= s && n.end <= e);
  const visit = (n: ts.Node): void => {
    if (inCut(n)) return;
    if (ts.isIdentifier(n)) refs.add(n.text);
    ts.forEachChild(n, visit);
  };
  visit(node);
  return { shape, refs };
}
