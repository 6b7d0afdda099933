/**
 * The type-check of a conversion: the errors of a program (the project's with the new texts
 * overlaid, see src/ts/programs.ts), one line each.
 */
import { relative } from 'node:path';
import { ts } from '@ts-morph/common';
import { tsv } from '../analyzers/tsValues.ts';

// Programs are built in src/ts/programs.ts; re-exported for the converter's callers.
export { overlayProgram } from '../ts/programs.ts';

export interface TypeError {
  file: string;
  line: number;
  column: number;
  message: string;
}

/** Errors of a program (syntactic, global, semantic), relative to `root`, project files only. */
export function typeErrors(program: ts.Program, root: string): TypeError[] {
  return toTypeErrors(tsv.getPreEmitDiagnostics(program), root);
}

/** The errors among `diagnostics`, relative to `root`. */
export function toTypeErrors(diagnostics: readonly ts.Diagnostic[], root: string): TypeError[] {
  const out: TypeError[] = [];
  for (const d of diagnostics) {
    if (d.category !== tsv.DiagnosticCategory.Error) continue;
    const msg = tsv.flattenDiagnosticMessageText(d.messageText, ' ');
    if (d.file && d.start !== undefined) {
      const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
      out.push({ file: relative(root, d.file.fileName).split('\\').join('/'), line: line + 1, column: character + 1, message: msg });
    } else out.push({ file: '', line: 0, column: 0, message: msg });
  }
  return out;
}

export function formatError(e: TypeError): string {
  return e.file ? `${e.file}:${e.line}:${e.column}: ${e.message}` : e.message;
}
