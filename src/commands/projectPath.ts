/**
 * Which project a command works on when the user names none: the current directory when it holds
 * a tsconfig.json (the user's own code), the bundled corpus only when asked for by name
 * (`--corpus`). Neither is one clear line and exit 2: a default never guesses a project.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../errors.ts';
import { BUNDLED_CORPUS } from '../paths.ts';

import { PROJECT_SPEC, projectSpecFile } from '../model/projectSpec.ts';

export { PROJECT_SPEC, projectSpecFile } from '../model/projectSpec.ts';

/** The help text of `--spec FILE`, alike on every command that reads a project's spec. */
export const SPEC_OPTION_TEXT = `the spec: the class, its fields, kinds and descriptor classes (default: the project's ${PROJECT_SPEC}, as memdesc init drafts it, else the built-in Linux spec; "extends": "builtin" adds to that one)`;

/** The `--corpus` option, worded alike on every command that takes a project. */
export function addCorpusOption(cmd: Command): Command {
  return cmd.option('--corpus', "work on memdesc's bundled corpus (its TypeScript port of a part of the Linux kernel) instead of a path");
}

/** The help text of a `[path]` argument: what it is and what is used without it. */
export function projectArgText(what = 'the TypeScript project: a directory with tsconfig.json, or a tsconfig file'): string {
  return `${what} (default: the current directory when it holds a tsconfig.json; --corpus: the bundled corpus)`;
}

/**
 * The project path: the one given, the bundled corpus with `--corpus`, else the current
 * directory when it holds a tsconfig.json. `command` names the command in the error.
 */
export function projectPath(path: string | undefined, corpus: boolean | undefined, command: string, cwd = process.cwd()): string {
  if (corpus && path !== undefined) throw new UsageError(`${command}: give the project's path or --corpus, not both (got ${path} and --corpus)`);
  if (corpus) return BUNDLED_CORPUS;
  if (path !== undefined) return path;
  if (existsSync(join(cwd, 'tsconfig.json'))) return cwd;
  throw new UsageError(`${command}: no project given and ${cwd} has no tsconfig.json: give the project's path (a directory with tsconfig.json), or --corpus for the bundled corpus`);
}

/**
 * Whether a trailing operand of convert/series names a project rather than a kind, before the
 * spec (and so its kinds) is known: `.`, a path with a separator, a directory holding a
 * tsconfig.json, or a file (a tsconfig). A bare word naming some other folder may be a kind.
 */
export function namesProject(arg: string | undefined): arg is string {
  if (arg === undefined) return false;
  if (arg === '.' || /[/\\]/.test(arg) || existsSync(join(arg, 'tsconfig.json'))) return true;
  try {
    return statSync(arg).isFile();
  } catch {
    return false;
  }
}

/** The project a command would default to, without failing: for finding its spec before the path is settled. */
export function defaultProject(corpus: boolean | undefined, cwd = process.cwd()): string | undefined {
  if (corpus) return BUNDLED_CORPUS;
  return existsSync(join(cwd, 'tsconfig.json')) ? cwd : undefined;
}

/**
 * The spec file of a `<kind…> [path]` command, read before its kinds are known: --spec, else the
 * memdesc.spec.json of its last operand when that names a project (namesProject()), else of the
 * default project (the current directory with a tsconfig.json; --corpus: the bundled corpus).
 */
export function kindsCommandSpecFile(spec: string | undefined, operands: readonly string[], corpus: boolean | undefined): string | undefined {
  const tail = operands[operands.length - 1];
  return projectSpecFile(spec, namesProject(tail) ? tail : defaultProject(corpus));
}
