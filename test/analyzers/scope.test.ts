/**
 * boundSymbol() (scope.ts) answers a name read from the binder's tables instead of the checker:
 * wherever it answers, the answer must be the checker's (getSymbolAtLocation, aliases resolved).
 * Checked on every identifier of the corpus and on a table of scoping traps (shadowing, exported
 * and default-exported declarations, imports of values and of types only, merged declarations,
 * named function and class expressions, parameter initializers, enums, namespaces, catch
 * variables, script files, `arguments`, augmentations).
 */
import { ts } from '@ts-morph/common';
import { describe, expect, it } from 'vitest';
import { loadProgram } from '../../src/analyzers/project.ts';
import { boundSymbol } from '../../src/analyzers/scope.ts';
import { BUNDLED_CORPUS } from '../../src/paths.ts';

function checkerSymbol(checker: ts.TypeChecker, id: ts.Identifier): ts.Symbol | undefined {
  const s = checker.getSymbolAtLocation(id);
  return s && s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
}

/** Every identifier of the program's own files: how many the binder answered, and each disagreement. */
function compare(program: ts.Program, own: (sf: ts.SourceFile) => boolean): { answered: number; total: number; wrong: string[] } {
  const checker = program.getTypeChecker();
  let answered = 0;
  let total = 0;
  const wrong: string[] = [];
  for (const sf of program.getSourceFiles()) {
    if (!own(sf)) continue;
    const visit = (n: ts.Node): void => {
      if (ts.isIdentifier(n)) {
        total++;
        const fast = boundSymbol(n, checker);
        if (fast) {
          answered++;
          const slow = checkerSymbol(checker, n);
          if (fast !== slow) {
            const { line, character } = sf.getLineAndCharacterOfPosition(n.getStart(sf));
            wrong.push(`${sf.fileName}:${line + 1}:${character + 1} ${n.text}: binder ${fast.name}, checker ${slow?.name}`);
          }
        }
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }
  return { answered, total, wrong };
}

/** A program over in-memory files (module files unless said otherwise). */
function memoryProgram(files: Record<string, string>): ts.Program {
  const options: ts.CompilerOptions = { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler, strict: true, noEmit: true, lib: [], noLib: true, allowImportingTsExtensions: true };
  const host = ts.createCompilerHost(options);
  host.fileExists = (f) => f in files;
  host.readFile = (f) => files[f];
  host.getSourceFile = (f, lang) => (f in files ? ts.createSourceFile(f, files[f]!, lang, true) : undefined);
  return ts.createProgram(Object.keys(files), options, host);
}

describe('boundSymbol', () => {
  it('answers as the checker does on every identifier of the corpus, for most name reads', () => {
    const { program, root } = loadProgram(BUNDLED_CORPUS);
    const r = compare(program, (sf) => !sf.isDeclarationFile && sf.fileName.startsWith(root));
    expect(r.wrong).toEqual([]);
    // It must actually take over: most identifiers that are plain reads are decided without the checker.
    expect(r.answered).toBeGreaterThan(r.total / 4);
  });

  it('answers as the checker does, or not at all, on scoping traps', () => {
    const files = {
      '/lib.ts': `
export function f(): number { return 1; }
export default function dflt(): number { return 2; }
export const k = 3;
export interface OnlyType { x: number }
export class C { static s = 1; }
export function merged(): void {}
export namespace merged { export const inner = 1; }
const hidden = 4;
export { hidden as shown };
`,
      '/aug.ts': `
import { C } from './lib.ts';
declare module './lib.ts' { interface C { extra: number } }
export const useC = new C();
`,
      '/use.ts': `
import { f, k, C, merged, shown } from './lib.ts';
import dflt from './lib.ts';
import type { OnlyType } from './lib.ts';
import * as ns from './lib.ts';
export function g(a: number, b = f() + a, c = k): number {
  const f2 = f;
  let v = f() + k + dflt() + shown + ns.k + C.s + merged.inner;
  merged();
  { const k = 10; v += k; }
  for (let i = 0; i < k; i++) v += i;
  for (const x of [v]) v += x;
  try { v++; } catch (e) { v += String(e).length; }
  const fe = function fe(n: number): number { return n > 0 ? fe(n - 1) : arguments.length; };
  const ce = class ce { m(): unknown { return ce; } };
  const arrow = (q: number): number => q + v;
  enum E { A = 1, B = A + 1 }
  const o = { k, v, [k]: 1, z: k };
  const t: OnlyType = { x: E.B };
  label: for (;;) { break label; }
  void fe; void ce; void arrow; void o; void t; void f2;
  return a + b + c + v + g.length;
}
function h(): void { h(); g(1); }
class K { p = f(); m(): number { return this.p + k; } static { void k; } }
export const used = [h, K];
`,
      '/script.ts': `
var globalVar = 1;
function globalFn(): number { return globalVar; }
globalFn();
`,
    };
    const program = memoryProgram(files);
    const r = compare(program, (sf) => sf.fileName in files);
    expect(r.wrong).toEqual([]);
    expect(r.answered).toBeGreaterThan(10);
    // The traps where the binder must stay out: a script file's globals, a named function expression's own name, `arguments`.
    const checker = program.getTypeChecker();
    const idsNamed = (file: string, name: string): ts.Identifier[] => {
      const out: ts.Identifier[] = [];
      const visit = (n: ts.Node): void => {
        if (ts.isIdentifier(n) && n.text === name) out.push(n);
        ts.forEachChild(n, visit);
      };
      visit(program.getSourceFile(file)!);
      return out;
    };
    for (const [file, name] of [['/script.ts', 'globalVar'], ['/script.ts', 'globalFn'], ['/use.ts', 'fe'], ['/use.ts', 'arguments'], ['/use.ts', 'ce']] as const) {
      for (const id of idsNamed(file, name)) {
        const fast = boundSymbol(id, checker);
        if (name === 'fe' || name === 'ce') {
          // Inside its own expression the name is the expression's: left to the checker.
          if (id.parent && (ts.isCallExpression(id.parent) || ts.isReturnStatement(id.parent))) expect(fast, `${name} inside`).toBeUndefined();
        } else expect(fast, `${file} ${name}`).toBeUndefined();
      }
    }
  });
});
