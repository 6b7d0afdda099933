/**
 * typeTests.ts takes a function for a copy of a kind's test when its one returned computation has
 * a test's form; it first compares shapes (the form with every name and number a blank, no symbol
 * or type query) and names the parts only of a computation shaped like a test. The pre-filter
 * must never drop a copy: equal forms have equal shapes, and every computation whose form is a
 * test's passes it (on a table of copies and near-copies, and on every function of the corpus).
 */
import { describe, expect, it } from 'vitest';
import { ts } from 'ts-morph';
import { AnalysisContext } from '../../src/analyzers/context.ts';
import { loadProgram, programOf } from '../../src/analyzers/project.ts';
import { returnExpressions } from '../../src/analyzers/dataflow.ts';
import { functionName, isFunctionLike, type FunctionLike } from '../../src/analyzers/ast.ts';
import { TypeTests } from '../../src/analyzers/typeTests.ts';
import { builtinSpec } from '../../src/model/builtin.ts';
import { makeProject, ROOT } from './helpers.ts';

const CODE = `
const ANON = 0x8;
function copy_of_anon(x: Page): boolean { return (x.flags & 0x8) !== 0; }
function copy_by_constant(x: Page): boolean { return (x.flags & ANON) !== 0; }
function other_bit(x: Page): boolean { return (x.flags & 0x10) !== 0; }
function other_shape(x: Page): boolean { return x.flags > 3; }
function two_params(a: Page, b: Page): boolean { return (b.flags & 0x8) !== 0 && a !== b; }
export function f(page: Page): number { return copy_of_anon(page) || copy_by_constant(page) || other_bit(page) || other_shape(page) ? 1 : 0; }
`;

interface Private {
  form(e: ts.Node, fn: FunctionLike): string | undefined;
  seeds(): Map<string, unknown>;
  mayBeSeedForm(e: ts.Node): boolean;
}

/** Every function with one returned expression: its form, whether it is a test's, and whether the pre-filter lets it through. */
function survey(ctx: AnalysisContext): Array<{ name: string; form?: string; seed: boolean; passes: boolean }> {
  const tt = new TypeTests(ctx) as unknown as Private;
  const seeds = tt.seeds();
  const out: Array<{ name: string; form?: string; seed: boolean; passes: boolean }> = [];
  for (const sf of ctx.files) {
    const visit = (n: ts.Node): void => {
      if (isFunctionLike(n) && n.body) {
        const rets = returnExpressions(n);
        if (rets.length === 1) {
          const form = tt.form(rets[0]!, n);
          const name = `${sf.fileName}:${sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1} ${functionName(n) ?? ''}`;
          out.push({ name, ...(form !== undefined ? { form } : {}), seed: form !== undefined && seeds.has(form), passes: tt.mayBeSeedForm(rets[0]!) });
        }
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }
  return out;
}

function expectSound(rows: ReturnType<typeof survey>): void {
  for (const r of rows) if (r.seed) expect(r.passes, r.name).toBe(true);
}

describe('type test copies: the shape pre-filter', () => {
  it('lets every copy of a test through, by literal or by constant, and stops other computations', () => {
    const program = programOf(makeProject({ 'cases/shape.ts': CODE }));
    const ctx = new AnalysisContext(builtinSpec(), program, ROOT);
    const rows = survey(ctx);
    expectSound(rows);
    const at = (fn: string) => rows.find((r) => r.name.includes('cases/shape.ts') && r.name.endsWith(` ${fn}`))!;
    for (const n of ['copy_of_anon', 'copy_by_constant']) expect(at(n), n).toMatchObject({ seed: true, passes: true });
    // Same shape as a test, another bit: named, then no match. Another shape: not named at all.
    expect(at('other_bit')).toMatchObject({ seed: false, passes: true });
    expect(at('other_shape')).toMatchObject({ seed: false, passes: false });
    expect(at('two_params')).toMatchObject({ seed: false, passes: false });
  });

  it('on the corpus: every function whose computation is a test\'s passes', () => {
    const { program, root } = loadProgram(`${import.meta.dirname}/../../corpus`, { jsDocForTypesOnly: true });
    const ctx = new AnalysisContext(builtinSpec(), program, root);
    const rows = survey(ctx);
    expectSound(rows);
    expect(rows.filter((r) => r.seed).length).toBeGreaterThan(0);
    // Most computations are stopped by their shape (no symbol or type query for them).
    expect(rows.filter((r) => !r.passes).length).toBeGreaterThan(rows.length / 2);
  });
});
