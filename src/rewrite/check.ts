/**
 * The type-check of a conversion: the project's program with the new texts overlaid (unchanged
 * files are reused from the original program), and its errors, one line each.
 */
import { relative } from 'node:path';
import { ts } from '@ts-morph/common';
import { compilerHost } from '../analyzers/project.ts';

/** The program of `base` with `texts` (absolute file -> content; new files included) overlaid. */
export function overlayProgram(base: ts.Program, texts: Map<string, string>): ts.Program {
  const options = base.getCompilerOptions();
  const host = compilerHost(options);
  const { readFile, fileExists, getSourceFile } = host;
  host.readFile = (f) => texts.get(f) ?? readFile.call(host, f);
  host.fileExists = (f) => texts.has(f) || fileExists.call(host, f);
  host.getSourceFile = (f, lang, onError, create) => {
    const t = texts.get(f);
    if (t !== undefined) return ts.createSourceFile(f, t, lang, true);
    return base.getSourceFile(f) ?? getSourceFile.call(host, f, lang, onError, create);
  };
  const roots = [...base.getRootFileNames()];
  for (const f of texts.keys()) if (!roots.includes(f) && /\.(m|c)?tsx?$/.test(f)) roots.push(f);
  return ts.createProgram({ rootNames: roots, options, host, oldProgram: base });
}

export interface TypeError {
  file: string;
  line: number;
  column: number;
  message: string;
}

/** Errors of a program (syntactic, global, semantic), relative to `root`, project files only. */
export function typeErrors(program: ts.Program, root: string): TypeError[] {
  const out: TypeError[] = [];
  for (const d of ts.getPreEmitDiagnostics(program)) {
    if (d.category !== ts.DiagnosticCategory.Error) continue;
    const msg = ts.flattenDiagnosticMessageText(d.messageText, ' ');
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
