/**
 * A tsconfig with project references, read as one project. The usual layout of a project made
 * with a scaffolder (Vite, Nx, a monorepo's root) is a "solution" tsconfig: `"files": []` and
 * `references` to tsconfig.app.json, tsconfig.node.json, packages/…: `tsc -b` builds each, and
 * `tsc -p` of the root alone finds no file. memdesc analyzes a tree as one program (the call graph
 * crosses files), so the referenced projects' files become roots of that program, read from their
 * sources (not their built .d.ts), under one set of options:
 *
 *  - the tsconfig's own options when it has files of its own, else those of the referenced
 *    project with the most files (the application, usually);
 *  - `lib` and `types` the union over every project that has files, so that no file loses a
 *    global it was written against (a test project's `types: ["node"]`, an app's DOM lib);
 *  - build-only options dropped: each project's outputs, composite/declaration emit and rootDir
 *    belong to `tsc -b`, and memdesc never emits.
 *
 * A reference that does not resolve to a tsconfig is an error (`tsc -b` refuses it too).
 */
import { ts } from '@ts-morph/common';

/** The tsconfig a reference names (a folder means its tsconfig.json). */
function referencedConfig(ref: ts.ProjectReference): string {
  return ts.resolveProjectReferencePath(ref);
}

export interface ReferencedProject {
  tsconfig: string;
  cfg: ts.ParsedCommandLine;
}

/**
 * `cfg` (parsed from `tsconfig`) with every project it references, transitively, joined in:
 * `parse` reads one referenced tsconfig (throwing the caller's error when it cannot). Unchanged
 * when there is no reference.
 */
export function withReferences(tsconfig: string, cfg: ts.ParsedCommandLine, parse: (tsconfig: string) => ts.ParsedCommandLine): ts.ParsedCommandLine {
  if (!cfg.projectReferences?.length) return cfg;
  const projects: ReferencedProject[] = [];
  const seen = new Set<string>([tsconfig]);
  const visit = (c: ts.ParsedCommandLine): void => {
    for (const ref of c.projectReferences ?? []) {
      const file = referencedConfig(ref);
      if (seen.has(file)) continue;
      seen.add(file);
      const parsed = parse(file);
      projects.push({ tsconfig: file, cfg: parsed });
      visit(parsed);
    }
  };
  visit(cfg);
  const withFiles = [{ tsconfig, cfg }, ...projects].filter((p) => p.cfg.fileNames.length > 0);
  if (withFiles.length === 0) return { ...cfg, projectReferences: undefined };
  const base = cfg.fileNames.length > 0 ? cfg : withFiles.reduce((a, b) => (b.cfg.fileNames.length > a.cfg.fileNames.length ? b : a)).cfg;
  const fileNames = [...new Set(withFiles.flatMap((p) => p.cfg.fileNames))];
  const options: ts.CompilerOptions = { ...base.options };
  const union = (key: 'lib' | 'types'): string[] | undefined => {
    // A project without `types` sees every @types package: so does the union.
    if (key === 'types' && withFiles.some((p) => p.cfg.options.types === undefined)) return undefined;
    const all = withFiles.flatMap((p) => p.cfg.options[key] ?? []);
    return all.length > 0 ? [...new Set(all)] : undefined;
  };
  const lib = union('lib');
  const types = union('types');
  if (lib) options.lib = lib;
  else delete options.lib;
  if (types) options.types = types;
  else delete options.types;
  for (const k of ['composite', 'declaration', 'declarationMap', 'emitDeclarationOnly', 'incremental', 'tsBuildInfoFile', 'rootDir', 'outDir', 'declarationDir', 'outFile'] as const) delete options[k];
  options.noEmit = true;
  return { ...cfg, options, fileNames, projectReferences: undefined };
}
