/**
 * Type-checking a chain of overlays of one base program (the trees of a series' steps) without
 * checking every file every time. Each program reuses the previous one's parsed files (a file
 * whose text did not change keeps its SourceFile), and TypeScript's builder (the affected-files
 * logic of `tsc --watch`) says which files need their semantic diagnostics again: the files
 * whose text or module resolution changed, and the files importing a file whose declarations
 * changed shape, transitively while the importers' own shapes change too. The others keep the
 * previous program's diagnostics. A body-only edit re-checks one file.
 *
 * The result is the same set of errors a full check of the program gives (test/ts/incremental.test.ts
 * compares them): config, options, syntactic and global diagnostics are taken afresh every
 * time; only per-file semantic diagnostics are carried over.
 */
import { ts } from '@ts-morph/common';
import { overlayProgram, setVersion } from './programs.ts';

export interface IncrementalResult {
  program: ts.Program;
  /** Every error and warning of the program, as `ts.getPreEmitDiagnostics` would give them. */
  diagnostics: readonly ts.Diagnostic[];
  /** Files whose semantic diagnostics were computed for this program (not carried over). */
  checked: string[];
}

const builderHost: ts.BuilderProgramHost = {};

function versioned(program: ts.Program): ts.Program {
  for (const sf of program.getSourceFiles()) setVersion(sf);
  return program;
}

export class IncrementalChecker {
  private builder: ts.SemanticDiagnosticsBuilderProgram | undefined;

  /** `base`: the program every overlay is relative to (its files are read, never changed). */
  constructor(private readonly base: ts.Program) {}

  /**
   * The diagnostics of `base` with `texts` (absolute file -> content) overlaid. The first call
   * checks every file (the base itself is never checked); later calls re-check only what the
   * change since the previous call can have affected.
   */
  check(texts: Map<string, string>): IncrementalResult {
    let builder: ts.SemanticDiagnosticsBuilderProgram;
    if (this.builder) {
      const program = versioned(overlayProgram(this.base, texts, { parsed: this.builder.getProgram() }));
      builder = ts.createSemanticDiagnosticsBuilderProgram(program, builderHost, this.builder);
    } else {
      // Two programs of the same files (the second reuses the first's): see primed().
      const twin = versioned(overlayProgram(this.base, texts));
      builder = primed(versioned(overlayProgram(this.base, texts, { parsed: twin })), twin);
    }
    const result = collect(builder);
    this.builder = builder;
    return result;
  }
}

/**
 * A builder state for a first program that records every file's declaration shape as it checks
 * it. A builder made without an old state records no shapes, so the next change would compare
 * against nothing and re-check every importer of each file changed for the first time. So the
 * state is made on top of a seed state of `twin` (the same files; TypeScript hands back the old
 * builder for the same program object) whose versions are placeholders: every file is then
 * "changed" once, and checking them all records each file's shape.
 */
function primed(program: ts.Program, twin: ts.Program): ts.SemanticDiagnosticsBuilderProgram {
  const files = twin.getSourceFiles() as Array<ts.SourceFile & { version?: string }>;
  const kept = files.map((sf) => sf.version);
  for (const sf of files) sf.version = '';
  try {
    const seed = ts.createSemanticDiagnosticsBuilderProgram(twin, builderHost);
    for (const [i, sf] of files.entries()) sf.version = kept[i];
    return ts.createSemanticDiagnosticsBuilderProgram(program, builderHost, seed);
  } finally {
    for (const [i, sf] of files.entries()) sf.version = kept[i];
  }
}

/**
 * Drain the builder's affected files (each one's semantic diagnostics computed), then every
 * diagnostic in `ts.getPreEmitDiagnostics`' order: global diagnostics are taken before any file
 * is checked, as a full check takes them.
 */
function collect(builder: ts.SemanticDiagnosticsBuilderProgram): IncrementalResult {
  const program = builder.getProgram();
  const diags: ts.Diagnostic[] = [
    ...builder.getConfigFileParsingDiagnostics(),
    ...builder.getOptionsDiagnostics(),
    ...builder.getSyntacticDiagnostics(),
    ...builder.getGlobalDiagnostics(),
  ];
  const checked: string[] = [];
  for (;;) {
    const next = builder.getSemanticDiagnosticsOfNextAffectedFile();
    if (!next) break;
    const sf = next.affected as ts.SourceFile;
    if (next.affected !== program && !program.isSourceFileDefaultLibrary(sf)) checked.push(sf.fileName);
  }
  diags.push(...builder.getSemanticDiagnostics());
  const o = program.getCompilerOptions();
  // Declaration diagnostics are not tracked per file by this builder: all of them, afresh.
  if (o.declaration || o.composite) diags.push(...program.getDeclarationDiagnostics());
  return { program, diagnostics: ts.sortAndDeduplicateDiagnostics(diags), checked };
}
