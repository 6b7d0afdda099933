/**
 * Import bookkeeping: module specifiers in the file's own style, and retired helpers taken out of
 * the imports that name them (as splices). What a converted file imports is settled on its final
 * text by importFix.ts.
 */
import { dirname, relative, resolve } from 'node:path';
import { ts } from '@ts-morph/common';
import { tsv } from '../analyzers/tsValues.ts';
import type { FileEdits } from './splices.ts';

/** The module specifier style of a file's relative imports: '.ts', '.js' or '' (none). */
export function extensionStyle(sf: ts.SourceFile | undefined): '.ts' | '.js' | '' {
  if (!sf) return '.ts';
  for (const st of sf.statements) {
    if (!tsv.isImportDeclaration(st) || !tsv.isStringLiteral(st.moduleSpecifier)) continue;
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

/** Remove `names` (declared in `moduleFile`) from the imports of `sf`; an import left empty goes entirely. */
export function removeImports(sf: ts.SourceFile, edits: FileEdits, names: Set<string>, moduleFile: string): void {
  for (const st of sf.statements) {
    if (!tsv.isImportDeclaration(st) || !tsv.isStringLiteral(st.moduleSpecifier)) continue;
    if (resolveSpecifier(sf.fileName, st.moduleSpecifier.text) !== moduleFile) continue;
    const nb = st.importClause?.namedBindings;
    if (!nb || !tsv.isNamedImports(nb)) continue;
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
