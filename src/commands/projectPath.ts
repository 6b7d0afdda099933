/**
 * Which project a command works on when the user names none: the current directory when it holds
 * a tsconfig.json (the user's own code), the bundled corpus only when asked for by name
 * (`--corpus`). Neither is one clear line and exit 2: a default never guesses a project.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../errors.ts';
import { BUNDLED_CORPUS } from '../paths.ts';

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
