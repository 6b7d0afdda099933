/**
 * findAccesses' calls and functions by name: lists over the files' own indexes, joined on demand
 * (one name asked) or all at once (the map iterated). Either way a name's list holds its entries
 * in file order, the names come in the order of their first appearance, and a list handed out
 * before the map was iterated is the one the map then holds.
 */
import { describe, expect, it } from 'vitest';
import { ts } from 'ts-morph';
import { AnalysisContext } from '../../src/analyzers/context.ts';
import { findAccesses } from '../../src/analyzers/finder.ts';
import { programOf } from '../../src/analyzers/project.ts';
import { builtinSpec } from '../../src/model/builtin.ts';
import { makeProject, ROOT } from './helpers.ts';

const FILES = {
  'cases/a.ts': 'export function f(): number { return g() + h(); }\nexport function g(): number { return 1; }\n',
  'cases/b.ts': 'import { f, g } from "./a.ts";\nexport function h(): number { return f() + g(); }\nexport const k = (): number => h() + f();\n',
  'cases/c.ts': 'import { g, h } from "./b.ts";\nexport function f2(): number { return g() + h(); }\n',
};

/** Every call in the files, by callee name, walked file by file in pre-order (what the index must equal). */
function naive(program: ts.Program): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const sf of program.getSourceFiles()) {
    if (sf.isDeclarationFile || !sf.fileName.includes('/cases/')) continue;
    const visit = (n: ts.Node): void => {
      if (ts.isCallExpression(n) && ts.isIdentifier(n.expression)) {
        const l = out.get(n.expression.text) ?? [];
        l.push(`${sf.fileName}:${n.getStart(sf)}`);
        out.set(n.expression.text, l);
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }
  return out;
}

describe('findAccesses: calls and functions by name', () => {
  it('asked by name, then iterated: the same lists, in file order, names by first appearance', () => {
    const program = programOf(makeProject(FILES, false));
    const ctx = new AnalysisContext(builtinSpec(), program, ROOT);
    const found = findAccesses(ctx);
    const where = (c: ts.CallExpression) => `${c.getSourceFile().fileName}:${c.getStart(c.getSourceFile())}`;
    const want = naive(program);
    // One name asked before the map is iterated: its list is kept.
    const early = found.calls.get('h')!;
    expect(early.map(where)).toEqual(want.get('h'));
    const casesOnly = [...found.calls].map(([name, l]) => [name, l.map(where).filter((w) => w.includes('/cases/'))] as const).filter(([, l]) => l.length > 0);
    expect(casesOnly.map(([n]) => n)).toEqual([...want.keys()]);
    for (const [name, l] of casesOnly) expect(l, name).toEqual(want.get(name));
    expect(found.calls.get('h')).toBe(early);
    // Functions: by their names, in file order.
    const fns = [...found.functions].filter(([, l]) => l.some((n) => n.getSourceFile().fileName.includes('/cases/'))).map(([n]) => n);
    expect(fns).toEqual(['f', 'g', 'h', 'k', 'f2']);
  });

  it('asked name by name past the cost of one pass (then joined whole): the same lists', () => {
    const program = programOf(makeProject(FILES, false));
    const ctx = new AnalysisContext(builtinSpec(), program, ROOT);
    const where = (c: ts.CallExpression) => `${c.getSourceFile().fileName}:${c.getStart(c.getSourceFile())}`;
    const all = [...findAccesses(ctx).calls].map(([n, l]) => [n, l.map(where)] as const);
    const found = findAccesses(ctx);
    // Every name, then names no file calls, one by one: the join happens somewhere along the way.
    for (const [name, l] of all) expect(found.calls.get(name)?.map(where), name).toEqual(l);
    for (const name of ['nobody', 'calls', 'these']) expect(found.calls.get(name)).toBeUndefined();
    expect([...found.calls.keys()]).toEqual(all.map(([n]) => n));
  });
});
