/**
 * Where a page value comes from (flow.ts's sources): the address helper, the spec's neutral
 * sources and the converters are known by the function a call resolves to (callees.ts), not by
 * the name it is spelled with. An aliased import of the helper converts like the helper; a local
 * function that merely shares its name is not rewritten into the module's helper.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadProgram } from '../../src/analyzers/project.ts';
import { builtinSpec } from '../../src/model/builtin.ts';
import { formatError, overlayProgram, typeErrors } from '../../src/rewrite/check.ts';
import { planConversion, type ConvertPlan } from '../../src/rewrite/plan.ts';
import { makeProject } from './world.ts';

const FILE = 'mm/slub.ts';
const CODE = `import { Page } from '../include/linux/mm_types.ts';
import { virt_to_page as to_page } from '../include/linux/mm.ts';

export function cache_of_alias(addr: number): number {
  const page = to_page(addr);
  return page.mapping;
}

export function cache_of_local(addr: number): number {
  const virt_to_page = (a: number): Page => new Page(a + 64);
  const page = virt_to_page(addr);
  return page.mapping;
}

export function through_local(page: Page): number {
  const page_slab = (p: Page): number => p.mapping;
  return page_slab(page);
}
`;

describe('flow sources by the function a call resolves to', () => {
  let dir: string;
  let after: string;
  let plan: ConvertPlan;
  beforeAll(() => {
    dir = makeProject({ [FILE]: CODE });
    const { program, root } = loadProgram(dir);
    plan = planConversion(program, root, { spec: builtinSpec(), kinds: ['slab'] });
    const change = plan.changes.find((c) => relative(root, c.file) === FILE);
    after = change?.after ?? readFileSync(join(dir, FILE), 'utf8');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const body = (fn: string): string => after.slice(after.indexOf(`function ${fn}`), after.indexOf('\n}\n', after.indexOf(`function ${fn}`)));

  it('the address helper imported under another name is the helper: its page becomes the descriptor\'s address converter', () => {
    expect(body('cache_of_alias')).toMatch(/virt_to_slab\(addr\)/);
  });

  it('a local function named like the address helper is not rewritten into the module\'s helper', () => {
    expect(body('cache_of_local')).not.toMatch(/virt_to_slab/);
    expect(body('cache_of_local')).toMatch(/virt_to_page\(addr\)/);
  });

  it('a local function named like a converter is a function like any other: the page flows into it', () => {
    expect(body('through_local')).toMatch(/const page_slab = \(\w+: Slab\): number => \w+\.slab_cache;/);
    expect(body('through_local')).toMatch(/return page_slab\(slab\);/);
  });

  it('the result type-checks', () => {
    const { program, root } = loadProgram(dir);
    const next = overlayProgram(program, new Map(plan.changes.map((c) => [c.file, c.after])));
    expect(typeErrors(next, root).map(formatError)).toEqual([]);
  });
});
