/**
 * Load a TypeScript project with ts-morph from a directory holding tsconfig.json (or the
 * tsconfig file itself). Library code: throws InputError, never prints.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { getLibFiles, ts } from '@ts-morph/common';
import type { Project } from 'ts-morph';
import { InputError } from '../errors.ts';

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

export function loadProject(path: string): LoadedProject {
  const { root, tsconfig } = resolveTsconfig(path);
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
export function loadProgram(path: string): LoadedProgram {
  const { root, tsconfig } = resolveTsconfig(path);
  let configError: ts.Diagnostic | undefined;
  const host: ts.ParseConfigFileHost = {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => { configError = d; },
  };
  const cfg = ts.getParsedCommandLineOfConfigFile(tsconfig, undefined, host);
  const fatal = configError ?? cfg?.errors.find((d) => d.category === ts.DiagnosticCategory.Error && d.code !== 18003);
  if (!cfg || fatal) {
    const msg = fatal ? ts.flattenDiagnosticMessageText(fatal.messageText, ' ') : 'unreadable';
    throw new InputError(`cannot load ${tsconfig}: ${msg}`);
  }
  if (cfg.fileNames.length === 0) throw new InputError(`no TypeScript files in ${tsconfig}`);
  const program = ts.createProgram({ rootNames: cfg.fileNames, options: cfg.options, host: compilerHost(cfg.options) });
  return { root, tsconfig, program };
}

/** Where the lib .d.ts files appear to live: ts-morph ships them in memory, not on disk. */
const LIB_DIR = '/__memdesc__/typescript/lib';
let libTexts: Map<string, string> | undefined;

function libText(fileName: string): string | undefined {
  if (!fileName.startsWith(`${LIB_DIR}/`)) return undefined;
  libTexts ??= new Map(getLibFiles().map((f) => [f.fileName, f.text]));
  return libTexts.get(fileName.slice(LIB_DIR.length + 1));
}

/** A disk compiler host whose default library comes from ts-morph's bundled lib files. */
export function compilerHost(options: ts.CompilerOptions): ts.CompilerHost {
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.getDefaultLibLocation = () => LIB_DIR;
  host.getDefaultLibFileName = (o) => `${LIB_DIR}/${ts.getDefaultLibFileName(o)}`;
  host.fileExists = (f) => libText(f) !== undefined || fileExists.call(host, f);
  host.readFile = (f) => libText(f) ?? readFile.call(host, f);
  host.getSourceFile = (fileName, lang, onError, create) => {
    const text = libText(fileName);
    if (text !== undefined) return ts.createSourceFile(fileName, text, lang);
    return getSourceFile.call(host, fileName, lang, onError, create);
  };
  return host;
}
