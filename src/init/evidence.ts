/**
 * Code evidence for `memdesc init`: which functions test a type or flags bit of the class, by
 * what their code computes (typeTests.ts: a word of the class masked by a constant, compared with
 * a constant other than 0, or such a test through the functions it calls), read against a
 * provisional spec made of the class and its fields. A function merely named like a test
 * (isX, PageX) that computes something else is none. Verdicts are cached per function.
 */
import { ts } from '@ts-morph/common';
import type { FunctionLike } from '../analyzers/ast.ts';
import { AnalysisContext } from '../analyzers/context.ts';
import { TypeTests } from '../analyzers/typeTests.ts';
import { validateSpec } from '../model/spec-validate.ts';

export interface DraftField {
  name: string;
  words: number[];
}

/** `(fn, i)`: does `fn` return a test of its parameter `i`'s type or flags bits? */
export type BitTester = (fn: ts.SignatureDeclaration, param: number) => boolean;

export function bitTester(program: ts.Program, root: string, className: string, classFile: string, fields: readonly DraftField[]): BitTester {
  const provisional = validateSpec({
    name: 'init',
    object: { class: className, file: classFile, fields: Object.fromEntries(fields.map((f) => [f.name, { words: f.words }])) },
    kinds: [{ name: 'draft', descriptor: null }],
  }, 'init');
  const tests = new TypeTests(new AnalysisContext(provisional, program, root));
  return (fn, param) => tests.testsState(fn as FunctionLike, param);
}
