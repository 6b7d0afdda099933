/**
 * Changes planted in the bundled corpus for the selection tests. `exitPlant` stops the simulation
 * process at a function's entry, whatever the function does: any run that enters it exits with
 * code 7, so a test can see which runs ran it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ts } from '@ts-morph/common';
import { BUNDLED_CORPUS } from '../../src/paths.ts';

/** A file of the bundled corpus. */
export function source(file: string): string {
  return readFileSync(join(BUNDLED_CORPUS, file), 'utf8');
}

/** Where a top-level function's body starts (after the `{`), if the file declares it once. */
export function bodyStart(text: string, name: string): number | undefined {
  const sf = ts.createSourceFile('x.ts', text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const decls = sf.statements.filter((s): s is ts.FunctionDeclaration => ts.isFunctionDeclaration(s) && s.name?.text === name && !!s.body);
  return decls.length === 1 ? decls[0]!.body!.getStart(sf) + 1 : undefined;
}

/** The bundled corpus' `file` with an exit planted at `name`'s entry, as a step's overlay. */
export function exitPlant(file: string, name: string): Map<string, string> {
  const text = source(file);
  const at = bodyStart(text, name);
  if (at === undefined) throw new Error(`${file} does not declare ${name}() once`);
  return new Map([[file, `${text.slice(0, at)} (globalThis as any).process.exit(7);${text.slice(at)}`]]);
}
