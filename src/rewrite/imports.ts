/**
 * Import bookkeeping as splices: names a file now needs (descriptor classes, converters) are
 * added to an existing import of the same module or in a new import line after the last one;
 * retired helpers are taken out of the imports that name them.
 */
import { dirname, relative, resolve } from 'node:path';
import { ts } from '@ts-morph/common';
import type { FileEdits } from './splices.ts';

/** The module specifier style of a file's relative imports: '.ts', '.js' or '' (none). */
export function extensionStyle(sf: ts.SourceFile | undefined): '.ts' | '.js' | '' {
  if (!sf) return '.ts';
  for (const st of sf.statements) {
    if (!ts.isImportDeclaration(st) || !ts.isStringLiteral(st.moduleSpecifier)) continue;
    const m = st.moduleSpecifier.text;
    if (!m.startsWith('.')) continue;
    if (m.endsWith('.ts')) return '.ts';
    if (m.endsWith('.js')) return '.js';
    return '';
  }
  return '.ts';
}

export function moduleSpecifier(fromFile: string, toFile: string, style: '.ts' | '.js' | ''): string {
  let rel = relative(dirname(fromFile), toFile).split('\\').join('/');
  if (!rel.startsWith('.')) rel = `./${rel}`;
  const base = rel.replace(/\.(m|c)?tsx?$/, '');
  return style === '' ? base : `${base}${style}`;
}

/** The absolute file an import specifier in `fromFile` points to (relative specifiers only). */
export function resolveSpecifier(fromFile: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const abs = resolve(dirname(fromFile), spec);
  return abs.replace(/\.(m|c)?js$/, '.ts').replace(/(\.(m|c)?tsx?)?$/, (m) => (m ? m : '.ts'));
}

/** Add `names` (imported from `moduleFile`) to `sf`. */
export function addImports(sf: ts.SourceFile, edits: FileEdits, moduleFile: string, names: string[]): void {
  if (names.length === 0) return;
  let last: ts.ImportDeclaration | undefined;
  for (const st of sf.statements) {
    if (!ts.isImportDeclaration(st)) continue;
    last = st;
    if (!ts.isStringLiteral(st.moduleSpecifier)) continue;
    if (resolveSpecifier(sf.fileName, st.moduleSpecifier.text) !== moduleFile) continue;
    const clause = st.importClause;
    if (!clause || clause.isTypeOnly || !clause.namedBindings || !ts.isNamedImports(clause.namedBindings)) continue;
    const have = new Set(clause.namedBindings.elements.map((e) => e.name.text));
    const add = names.filter((n) => !have.has(n));
    if (add.length === 0) return;
    const els = clause.namedBindings.elements;
    if (els.length > 0) edits.insert(els[els.length - 1]!.end, `, ${add.join(', ')}`, 0);
    else edits.insert(clause.namedBindings.getStart(sf) + 1, ` ${add.join(', ')} `, 0);
    return;
  }
  const spec = moduleSpecifier(sf.fileName, moduleFile, extensionStyle(sf));
  const line = `import { ${names.join(', ')} } from '${spec}';\n`;
  if (last) {
    const end = last.end;
    const nl = sf.text.indexOf('\n', end);
    edits.insert(nl === -1 ? sf.text.length : nl + 1, line, 1e9);
  } else {
    edits.insert(firstStatementLine(sf), line, -1e9);
  }
}

/** Where a first import goes: after a leading file comment, else at the top. */
function firstStatementLine(sf: ts.SourceFile): number {
  const first = sf.statements[0];
  if (!first) return sf.text.length;
  const start = first.getStart(sf);
  return sf.text.lastIndexOf('\n', start - 1) + 1;
}

/** Remove `names` (declared in `moduleFile`) from the imports of `sf`; an import left empty goes entirely. */
export function removeImports(sf: ts.SourceFile, edits: FileEdits, names: Set<string>, moduleFile: string): void {
  for (const st of sf.statements) {
    if (!ts.isImportDeclaration(st) || !ts.isStringLiteral(st.moduleSpecifier)) continue;
    if (resolveSpecifier(sf.fileName, st.moduleSpecifier.text) !== moduleFile) continue;
    const nb = st.importClause?.namedBindings;
    if (!nb || !ts.isNamedImports(nb)) continue;
    const els = nb.elements;
    const gone = els.map((e) => names.has((e.propertyName ?? e.name).text));
    if (!gone.some(Boolean)) continue;
    if (gone.every(Boolean) && !st.importClause!.name) {
      const lineStart = sf.text.lastIndexOf('\n', st.getStart(sf) - 1) + 1;
      const nl = sf.text.indexOf('\n', st.end);
      edits.remove(lineStart, nl === -1 ? st.end : nl + 1);
      continue;
    }
    for (let i = 0; i < els.length; i++) {
      if (!gone[i]) continue;
      let j = i;
      while (j + 1 < els.length && gone[j + 1]) j++;
      if (j + 1 < els.length) edits.remove(els[i]!.getStart(sf), els[j + 1]!.getStart(sf));
      else if (i > 0) edits.remove(els[i - 1]!.end, els[j]!.end);
      i = j;
    }
  }
}
