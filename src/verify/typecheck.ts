/**
 * Type-check a variant of a loaded program in which a few files have new text: the base with the
 * new texts overlaid (src/ts/programs.ts: every unchanged SourceFile reused), diagnostics for the
 * changed files only (a splice inside function bodies cannot break the files that import them).
 */
import { ts } from '@ts-morph/common';
import { overlayProgram } from '../ts/programs.ts';

export class VariantChecker {
  private readonly base: ts.Program;

  constructor(base: ts.Program, _root: string) {
    this.base = base;
  }

  /** First error in the changed files (absolute path -> text), or null when they type-check. */
  check(changed: Map<string, string>): string | null {
    const program = overlayProgram(this.base, changed);
    for (const file of changed.keys()) {
      const sf = program.getSourceFile(file);
      if (!sf) return `${file}: not part of the program`;
      const d = [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)].find((x) => x.category === ts.DiagnosticCategory.Error);
      if (d) {
        const pos = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined;
        return `${pos ? `line ${pos.line + 1}: ` : ''}${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`;
      }
    }
    return null;
  }
}
