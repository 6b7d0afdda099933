/**
 * Type-check a variant of a loaded program in which a few files have new text: a new program
 * reusing every unchanged SourceFile of the base (oldProgram), diagnostics for the changed files
 * only (a splice inside function bodies cannot break the files that import them).
 */
import { dirname } from 'node:path';
import { ts } from '@ts-morph/common';

export class VariantChecker {
  private readonly base: ts.Program;
  private readonly options: ts.CompilerOptions;
  private readonly root: string;

  constructor(base: ts.Program, root: string) {
    this.base = base;
    this.options = base.getCompilerOptions();
    this.root = root;
  }

  /** First error in the changed files (absolute path -> text), or null when they type-check. */
  check(changed: Map<string, string>): string | null {
    const sfs = new Map<string, ts.SourceFile>();
    for (const [file, text] of changed) sfs.set(file, ts.createSourceFile(file, text, this.options.target ?? ts.ScriptTarget.ES2022, true));
    const libDir = this.libDir();
    const host: ts.CompilerHost = {
      getSourceFile: (f) => sfs.get(f) ?? this.base.getSourceFile(f),
      getDefaultLibFileName: (o) => `${libDir}/${ts.getDefaultLibFileName(o)}`,
      getDefaultLibLocation: () => libDir,
      writeFile: () => {},
      getCurrentDirectory: () => this.root,
      getCanonicalFileName: (f) => f,
      useCaseSensitiveFileNames: () => true,
      getNewLine: () => '\n',
      fileExists: (f) => sfs.has(f) || !!this.base.getSourceFile(f) || ts.sys.fileExists(f),
      readFile: (f) => changed.get(f) ?? this.base.getSourceFile(f)?.text ?? ts.sys.readFile(f),
    };
    const program = ts.createProgram({ rootNames: this.base.getRootFileNames(), options: this.options, host, oldProgram: this.base });
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

  private libDir(): string {
    const lib = this.base.getSourceFiles().find((f) => /\/lib\.[^/]*\.d\.ts$/.test(f.fileName) && this.base.isSourceFileDefaultLibrary(f));
    return lib ? lib.fileName.slice(0, lib.fileName.lastIndexOf('/')) : dirname(ts.getDefaultLibFilePath(this.options));
  }
}
