/**
 * Load a TypeScript project with ts-morph from a directory holding tsconfig.json (or the
 * tsconfig file itself). Library code: throws InputError, never prints.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { createRequire } from 'node:module';
import { ts } from '@ts-morph/common';
import { tsv } from './tsValues.ts';
import type { Project } from 'ts-morph';
import { InputError } from '../errors.ts';
import { diskProgram, type DiskProgramOptions } from '../ts/programs.ts';
import { withReferences } from '../ts/references.ts';

export interface LoadedProject {
  /** Absolute directory of the tsconfig: findings are relative to it. */
  root: string;
  tsconfig: string;
  project: Project;
}

export function resolveTsconfig(path: string): { root: string; tsconfig: string } {
  const abs = resolve(path);
  if (!existsSync(abs)) throw new InputError(`no such file or directory: ${path}`);
  if (statSync(abs).isDirectory()) {
    const tsconfig = join(abs, 'tsconfig.json');
    if (!existsSync(tsconfig)) throw new InputError(`no tsconfig.json in ${path}: analyze needs a TypeScript project`);
    return { root: abs, tsconfig };
  }
  if (!/\.json$/.test(abs)) throw new InputError(`not a directory or tsconfig file: ${path}`);
  return { root: dirname(abs), tsconfig: abs };
}

/**
 * A file of the project at `root`, not of a dependency: inside root and in no node_modules folder
 * below it. The root itself may sit in node_modules (the bundled corpus of an installed memdesc).
 */
export function isProjectFile(root: string, fileName: string): boolean {
  const r = relative(root, fileName);
  return r !== '' && !r.startsWith('..') && !isAbsolute(r) && !r.split(sep).includes('node_modules');
}

/** A file of an installed package (in a node_modules folder) that is not one of the project's own. */
export function isDependencyFile(root: string, fileName: string): boolean {
  return !isProjectFile(root, fileName) && fileName.split(/[\\/]/).includes('node_modules');
}

export function loadProject(path: string): LoadedProject {
  const { root, tsconfig } = resolveTsconfig(path);
  // The same checks as loadProgram (JSON errors, no files): ts-morph would load a broken tsconfig.
  parseTsconfig(tsconfig);
  let project: Project;
  try {
    // ts-morph's Project API is loaded only here: reading passes need only its bundled TypeScript.
    const { Project: ProjectClass } = createRequire(import.meta.url)('ts-morph') as typeof import('ts-morph');
    project = new ProjectClass({ tsConfigFilePath: tsconfig });
  } catch (e) {
    throw new InputError(`cannot load ${tsconfig}: ${(e as Error).message.split('\n')[0]}`);
  }
  return { root, tsconfig, project };
}

/** The compiler program of a ts-morph project (created once). */
export function programOf(project: Project): ts.Program {
  return project.getProgram().compilerObject;
}

export interface LoadedProgram {
  root: string;
  tsconfig: string;
  program: ts.Program;
}

/**
 * Read-only fast path: the same tsconfig, loaded straight into a compiler program with
 * ts-morph's bundled TypeScript (about a quarter faster than building a ts-morph Project,
 * which analyze does not need: it only reads). Passes that edit use loadProject().
 */
export function loadProgram(path: string, opts: DiskProgramOptions = {}): LoadedProgram {
  const { root, tsconfig } = resolveTsconfig(path);
  const cfg = parseTsconfig(tsconfig);
  const program = diskProgram(cfg, opts);
  return { root, tsconfig, program };
}

/** `file:line:col: message` of a diagnostic (TypeScript's own message). */
function describeDiagnostic(d: ts.Diagnostic): string {
  const msg = tsv.flattenDiagnosticMessageText(d.messageText, ' ');
  if (!d.file || d.start === undefined) return msg;
  const { line, character } = tsv.getLineAndCharacterOfPosition(d.file, d.start);
  return `${d.file.fileName}:${line + 1}:${character + 1}: ${msg}`;
}

/**
 * Parse a tsconfig the way tsc does, but refuse what tsc would only warn about or drop: any JSON
 * error in it or in a file it extends (TypeScript's parser recovers and silently loses the
 * options after the error), any other error but "no inputs", and a project with no files.
 * Projects it references are joined in as one (ts/references.ts: a solution tsconfig of
 * `"files": []` and references is a project of its references' files).
 */
export function parseTsconfig(tsconfig: string): ts.ParsedCommandLine {
  const own = parseOneTsconfig(tsconfig);
  const cfg = withReferences(tsconfig, own, (ref) => {
    if (!existsSync(ref)) throw new InputError(`cannot load ${tsconfig}: it references ${relative(dirname(tsconfig), ref) || ref}, which does not exist`);
    return parseOneTsconfig(ref);
  });
  if (cfg.fileNames.length === 0) {
    const refs = own.projectReferences?.length ? ' (nor in the projects it references)' : '';
    throw new InputError(`no TypeScript files in ${tsconfig}${refs}${dottedFolderHint(tsconfig, own)}`);
  }
  return cfg;
}

/** One tsconfig, strictly (see parseTsconfig); its references not followed. */
function parseOneTsconfig(tsconfig: string): ts.ParsedCommandLine {
  let configError: ts.Diagnostic | undefined;
  const host: ts.ParseConfigFileHost = {
    ...tsv.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => { configError = d; },
  };
  const cfg = tsv.getParsedCommandLineOfConfigFile(tsconfig, undefined, host);
  // JSON syntax errors of the tsconfig itself are kept apart from cfg.errors (extended files' are in both).
  const diagnostics = cfg ? [...tsv.getConfigFileParsingDiagnostics(cfg), ...cfg.errors] : [];
  const fatal = configError ?? diagnostics.find((d) => d.category === tsv.DiagnosticCategory.Error && d.code !== NO_INPUTS);
  if (!cfg || fatal) throw new InputError(`cannot load ${tsconfig}: ${fatal ? describeDiagnostic(fatal) : 'unreadable'}`);
  return cfg;
}

/** TypeScript's "No inputs were found in config file". */
const NO_INPUTS = 18003;

/**
 * TypeScript reads an include entry without wildcards as a file name when its last path segment
 * has a dot, even when it is a folder: `"include": ["."]` in `linux-5.10.y` finds nothing.
 * When that is why a tsconfig has no files, say so and give the entry that works.
 */
function dottedFolderHint(tsconfig: string, cfg: ts.ParsedCommandLine): string {
  const root = dirname(tsconfig);
  // Include entries after `extends` (relative to this tsconfig); internal, so raw.include as a fallback.
  const configFile = cfg.options.configFile as (ts.TsConfigSourceFile & { configFileSpecs?: { validatedIncludeSpecs?: readonly string[] } }) | undefined;
  const specs = configFile?.configFileSpecs?.validatedIncludeSpecs ?? (cfg.raw as { include?: unknown } | undefined)?.include;
  if (!Array.isArray(specs)) return '';
  for (const spec of specs) {
    if (typeof spec !== 'string' || /[*?]/.test(spec)) continue;
    const abs = resolve(root, spec.replace(/^\$\{configDir\}/, root));
    const name = basename(abs);
    if (!name.includes('.') || !existsSync(abs) || !statSync(abs).isDirectory()) continue;
    const fix = spec === '.' || spec === './' ? '**/*' : `${spec.replace(/\/+$/, '')}/**/*`;
    // cfg.raw has the extended entries merged in: read this file's own.
    const text = configFile?.text;
    const ownInclude = text === undefined ? undefined : (tsv.parseConfigFileTextToJson(tsconfig, text).config as { include?: unknown } | undefined)?.include;
    const own = text === undefined || (Array.isArray(ownInclude) && ownInclude.includes(spec));
    const from = own ? '' : ' (from a tsconfig it extends, here relative to this one)';
    return `: its include entry "${spec}"${from} names the folder ${name}, which TypeScript reads as a file name because the name has a dot; write "${fix}" instead`;
  }
  return '';
}
