/**
 * The path engine under flow-sensitive marks (src/analyzers/reach.ts), on its own: `gen1()` /
 * `gen2()` make the state {1} / {2} after they run, `kill()` makes it {0}; the test reads the
 * state where `probe` is evaluated (the join over every path reaching it) and at the normal exits.
 */
import { ts } from '@ts-morph/common';
import { describe, expect, it } from 'vitest';
import { runFlow, type State } from '../../src/analyzers/reach.ts';

function run(body: string): { probe: number[]; exit: number[] } {
  const sf = ts.createSourceFile('x.ts', `function f(c: boolean, n: number) {\n${body}\n}`, ts.ScriptTarget.ES2022, true);
  const fn = sf.statements[0] as ts.FunctionDeclaration;
  let probe: Set<number> | undefined;
  const exit = runFlow(fn, new Set([0]), {
    before: (n, s) => {
      if (ts.isIdentifier(n) && n.text === 'probe') probe = new Set([...(probe ?? []), ...s]);
    },
    after: (n, s): State | void => {
      if (!ts.isCallExpression(n) || !ts.isIdentifier(n.expression)) return;
      const name = n.expression.text;
      if (name === 'gen1') return new Set([1]);
      if (name === 'gen2') return new Set([2]);
      if (name === 'kill') return new Set([0]);
    },
    noReturn: (c) => ts.isIdentifier(c.expression) && c.expression.text === 'BUG',
    notExit: (r) => !!r.expression && r.expression.kind === ts.SyntaxKind.FalseKeyword,
  });
  const sort = (s: Iterable<number>) => [...s].sort((a, b) => a - b);
  return { probe: sort(probe ?? []), exit: sort(exit) };
}

describe('reach: states along the paths of one function', () => {
  const cases: Array<[string, string, number[], number[]?]> = [
    ['straight line', 'gen1(); probe;', [1]],
    ['a branch that returns first', 'if (c) { gen1(); return; } probe;', [0], [0, 1]],
    ['a branch that throws first', 'if (c) { gen1(); throw 1; } probe;', [0], [0]],
    ['a never-returning call ends the path', 'if (c) { gen1(); BUG(); } probe;', [0]],
    ['one branch of two', 'if (c) gen1(); probe;', [0, 1]],
    ['both branches', 'if (c) gen1(); else gen2(); probe;', [1, 2]],
    ['&& runs its right side on some paths', 'c && gen1(); probe;', [0, 1]],
    ['?: picks one side', 'c ? gen1() : gen2(); probe;', [1, 2]],
    ['a?.f(gen()) may skip the call', 'const o = c ? null : { f(x: unknown) { return x; } }; o?.f(gen1()); probe;', [0, 1]],
    ['a while loop may not run', 'while (n-- > 0) gen1(); probe;', [0, 1]],
    ['a do…while runs once at least', 'do { gen1(); } while (n-- > 0); probe;', [1]],
    ['the back edge reaches the top of the loop', 'for (let i = 0; i < n; i++) { probe; gen1(); }', [0, 1]],
    ['a kill in the loop before the read', 'for (let i = 0; i < n; i++) { kill(); probe; gen1(); }', [0]],
    ['continue skips the rest of the body', 'for (let i = 0; i < n; i++) { if (c) continue; gen1(); } probe;', [0, 1]],
    ['break leaves before the mark', 'while (true) { if (c) break; gen1(); } probe;', [0, 1]],
    ['a loop left only after the mark', 'while (true) { gen1(); if (c) break; } probe;', [1]],
    ['labelled break out of two loops (the inner loop may have marked before)', 'outer: for (;;) { for (;;) { if (c) break outer; gen1(); } } probe;', [0, 1]],
    ['labelled break before any mark', 'outer: for (;;) { if (c) break outer; for (;;) { gen1(); } } probe;', [0]],
    ['switch: one case marks', 'switch (n) { case 1: gen1(); break; default: break; } probe;', [0, 1]],
    ['switch: fall-through into the marking case', 'switch (n) { case 1: case 2: gen1(); break; default: gen1(); } probe;', [1]],
    ['switch without default may match nothing', 'switch (n) { case 1: gen1(); break; } probe;', [0, 1]],
    ['a catch block may start anywhere in the try', 'try { gen1(); gen2(); } catch { probe; }', [0, 1, 2]],
    ['after try/finally', 'try { gen1(); } finally { } probe;', [1]],
    ['a nested function does not run where it is written', 'const g = () => gen1(); probe; g();', [0]],
    ['a failure return is no exit', 'if (c) return false; gen1(); return true;', [], [1]],
  ];
  for (const [name, body, probe, exit] of cases) {
    it(name, () => {
      const r = run(body);
      expect(r.probe, body).toEqual(probe);
      if (exit) expect(r.exit, body).toEqual(exit);
    });
  }
});
