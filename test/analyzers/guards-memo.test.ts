/**
 * Guards.facts() answers a (call, argument) pair from its memo when the call graph asks it again
 * (a caller's provenance cut short is recomputed): the same facts, and the same test bodies
 * reported to memdesc track (onBody) as the first answer, so a memo hit never loses a dependency.
 */
import { describe, expect, it } from 'vitest';
import { ts } from 'ts-morph';
import { AnalysisContext } from '../../src/analyzers/context.ts';
import { Guards } from '../../src/analyzers/guards.ts';
import { programOf } from '../../src/analyzers/project.ts';
import { builtinSpec } from '../../src/model/builtin.ts';
import { makeProject, ROOT } from './helpers.ts';

const CODE = `
function is_ptdesc(p: Page): boolean { return PageTable(p); }
export function use(page: Page): number { return page.index; }
export function f(page: Page, other: Page): number {
  if (!is_ptdesc(page)) return 0;
  VM_BUG_ON_PAGE(PageSlab(other), other);
  return use(page) + use(other);
}
`;

describe('Guards.facts memo', () => {
  it('a repeated question gives the same facts and reports the same bodies', () => {
    const program = programOf(makeProject({ 'cases/memo.ts': CODE }));
    const ctx = new AnalysisContext(builtinSpec(), program, ROOT);
    const guards = new Guards(ctx);
    const sf = program.getSourceFile(`${ROOT}/cases/memo.ts`)!;
    const calls: ts.CallExpression[] = [];
    const visit = (n: ts.Node): void => {
      if (ts.isCallExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === 'use') calls.push(n);
      ts.forEachChild(n, visit);
    };
    visit(sf);
    expect(calls).toHaveLength(2);
    for (const call of calls) {
      const arg = call.arguments[0]!;
      const first: string[] = [];
      guards.onBody = (d) => first.push(d);
      const a = guards.facts(call, arg);
      const again: string[] = [];
      guards.onBody = (d) => again.push(d);
      const b = guards.facts(call, arg);
      expect(b).toEqual(a);
      expect(again).toEqual(first);
    }
    // What the memo answered is what the code says: page is a ptdesc after the early exit, other not a slab.
    guards.onBody = undefined;
    const [onPage, onOther] = calls.map((c) => guards.facts(c, c.arguments[0]!));
    expect(onPage!.map((f) => [f.kinds, f.positive])).toEqual([[['ptdesc'], true]]);
    expect(onOther!.map((f) => [f.kinds, f.positive])).toEqual([[['slab'], false]]);
    // The bodies: the wrapper's and the test's it calls (memdesc track keys on them).
    const bodies: string[] = [];
    const fresh = new Guards(ctx);
    fresh.onBody = (d) => bodies.push(d);
    fresh.facts(calls[0]!, calls[0]!.arguments[0]!);
    expect(bodies.some((d) => d.endsWith('#is_ptdesc'))).toBe(true);
  });
});
