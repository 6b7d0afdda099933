/**
 * The audit's reach (reach.ts): a page from one of the spec's neutral sources (virt_to_page(),
 * pfn_to_page(): a page of any kind) is known by the function the call resolves to (callees.ts),
 * not by the name it is spelled with: an aliased import is the source, a local namesake is not.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { ts } from '@ts-morph/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeDetailed } from '../../src/analyzers/analyze.ts';
import { Guards } from '../../src/analyzers/guards.ts';
import { loadProgram } from '../../src/analyzers/project.ts';
import { Provenance } from '../../src/analyzers/provenance.ts';
import { builtinSpec } from '../../src/model/builtin.ts';
import { Reacher } from '../../src/stage2/reach.ts';
import { makeProject } from '../rewrite/world.ts';

const CODE = `import { Page } from '../include/linux/mm_types.ts';
import { virt_to_page as lookup } from '../include/linux/mm.ts';

export function aliased(addr: number): number {
  const page = lookup(addr);
  return page.index;
}

export function local(addr: number): number {
  const virt_to_page = (a: number): Page => new Page(a + 64);
  const page = virt_to_page(addr);
  return page.index;
}
`;

describe('reach: neutral sources by the function a call resolves to', () => {
  let dir: string;
  let reach: (fn: string) => string | undefined;
  beforeAll(() => {
    dir = makeProject({ 'lib/r.ts': CODE });
    const { program, root } = loadProgram(dir);
    const det = analyzeDetailed(program, root, { spec: builtinSpec() });
    const guards = new Guards(det.ctx);
    const reacher = new Reacher(det.ctx, guards, new Provenance(det.ctx, guards, det.calls), det.calls);
    const sf = program.getSourceFile(join(root, 'lib/r.ts'))!;
    reach = (fn) => {
      let hit: ts.PropertyAccessExpression | undefined;
      const walk = (n: ts.Node): void => {
        if (ts.isFunctionDeclaration(n) && n.name?.text !== fn) return;
        if (ts.isPropertyAccessExpression(n) && n.name.text === 'index') hit = n;
        ts.forEachChild(n, walk);
      };
      walk(sf);
      return reacher.at(hit!.expression, hit!).any;
    };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the neutral source imported under another name hands out a page of any kind', () => {
    expect(reach('aliased')).toMatch(/`lookup\(\)` at lib\/r\.ts:5 can hand out a page of any kind/);
  });

  it('a local function named like a neutral source is not one', () => {
    expect(reach('local')).toBeUndefined();
  });
});
