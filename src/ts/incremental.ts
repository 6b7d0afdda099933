/**
 * Type-checking a chain of overlays of one base program (the trees of a series' steps) without
 * checking every file every time. Each program is built from the previous one (`oldProgram`:
 * unchanged files keep their SourceFile), and TypeScript's builder (the affected-files logic of
 * `tsc --watch`) says which files need their semantic diagnostics again: the files whose text
 * changed, and the files importing a file whose declarations changed shape, transitively while
 * shapes keep changing (a file whose exported types are all that changed for its importers).
 * The others keep the previous program's diagnostics. A body-only edit re-checks one file.
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
   * checks every file once; later calls re-check only what the change since the previous call
   * can have affected.
   */
  check(texts: Map<string, string>): IncrementalResult {
    const previous = this.builder ?? this.start();
    const program = versioned(overlayProgram(this.base, texts, { oldProgram: previous.getProgram() }));
    const builder = ts.createSemanticDiagnosticsBuilderProgram(program, builderHost, previous);
    const result = collect(builder);
    this.builder = builder;
    return result;
  }

  /** The full check of the base (the state every later check is relative to). */
  baseline(): IncrementalResult {
    return collect(this.start());
  }

  /**
   * The base's builder state, with every file's declaration shape recorded. A builder made
   * without an old state compares shapes against nothing on the first change (and re-checks
   * every importer of every file changed for the first time); so the state is made twice: once
   * with placeholder versions, then with the real ones, which makes every file "changed" once,
   * and checking them records each file's shape as it goes.
   */
  private start(): ts.SemanticDiagnosticsBuilderProgram {
    if (this.builder) return this.builder;
    const program = this.base;
    const files = program.getSourceFiles() as Array<ts.SourceFile & { version?: string }>;
    const kept = files.map((sf) => sf.version);
    for (const sf of files) sf.version = '';
    const seed = ts.createSemanticDiagnosticsBuilderProgram(program, builderHost);
    for (const [i, sf] of files.entries()) sf.version = kept[i];
    versioned(program);
    this.builder = ts.createSemanticDiagnosticsBuilderProgram(program, builderHost, seed);
    collect(this.builder);
    return this.builder;
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
    if (next.affected !== program) checked.push((next.affected as ts.SourceFile).fileName);
  }
  diags.push(...builder.getSemanticDiagnostics());
  const o = program.getCompilerOptions();
  // Declaration diagnostics are not tracked per file by this builder: all of them, afresh.
  if (o.declaration || o.composite) diags.push(...program.getDeclarationDiagnostics());
  return { program, diagnostics: ts.sortAndDeduplicateDiagnostics(diags), checked };
}
