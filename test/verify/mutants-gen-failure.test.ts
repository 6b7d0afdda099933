/**
 * A mutant only on a failure path is equivalent by construction (mutants-gen.ts): an argument of an
 * assertion other than its condition, an argument of a never-returning call, a block that ends
 * in one. Which calls those are comes from the code of what they call (assertions.ts, the
 * checker's `never`), not from their names: an aliased assertion or BUG() is still one; a
 * same-named local that only logs, or returns, is not, and its mutants stay to be run.
 */
import { describe, expect, it } from 'vitest';
import type { ts } from 'ts-morph';
import { analyzeDetailed } from '../../src/analyzers/analyze.ts';
import { builtinSpec } from '../../src/model/builtin.ts';
import { programOf } from '../../src/analyzers/project.ts';
import { generateCandidates, type Mutant } from '../../src/verify/mutants-gen.ts';
import { makeProject, ROOT } from '../analyzers/helpers.ts';

const K = `import { Page, PageSlab } from '../include/linux/kernel.ts';\n`;

const CASES: Record<string, string> = {
  // An assertion under an import alias: its report arguments only matter when it fires.
  'cases/alias_assert.ts': `${K}import { VM_BUG_ON_PAGE as check } from '../include/linux/mm.ts';
export function a1(page: Page): void { if (PageSlab(page)) check(page.index === 1, page, String(page.private)); }`,
  // A wrapper of an assertion (by its code) nobody listed in the spec.
  'cases/wrapped_assert.ts': `${K}import { VM_BUG_ON_PAGE } from '../include/linux/mm.ts';
function must(c: boolean, p: Page, why: string): void { VM_BUG_ON_PAGE(!c, p, why); }
export function a2(page: Page): void { if (PageSlab(page)) must(page.index === 1, page, String(page.private)); }`,
  // BUG() under an alias: never returns, so what it is handed and the block it ends are failure paths.
  'cases/alias_bug.ts': `${K}import { BUG as die } from '../include/linux/mm.ts';
export function b1(page: Page): number { if (PageSlab(page)) { if (page.index > 5) { const why = page.private; die(String(why)); } } return 0; }`,
  // A same-named local assertion that only logs: its arguments are evaluated on every run.
  'cases/local_assert.ts': `${K}const log: string[] = [];
function VM_BUG_ON_PAGE(cond: boolean, page: Page, why: string): void { log.push(String(cond) + page.addr + why); }
export function l1(page: Page): void { if (PageSlab(page)) VM_BUG_ON_PAGE(page.index === 1, page, String(page.private)); }`,
  // A same-named local BUG() that returns: not a failure path.
  'cases/local_bug.ts': `${K}const log: string[] = [];
function BUG(why: string): void { log.push(why); }
function unused(): never { throw new Error('BUG'); }
export function l2(page: Page): number { if (PageSlab(page)) { if (page.index > 5) { const why = page.private; BUG(String(why)); } } return unused === undefined ? 1 : 0; }`,
  // Every function above runs (a mutant in a function nothing calls is equivalent for that reason instead).
  'cases/main.ts': `${K}import { a1 } from './alias_assert.ts';
import { a2 } from './wrapped_assert.ts';
import { b1 } from './alias_bug.ts';
import { l1 } from './local_assert.ts';
import { l2 } from './local_bug.ts';
export function main(page: Page): number { a1(page); a2(page); l1(page); return b1(page) + l2(page); }
main(new Page(0));`,
};

function candidates(): Mutant[] {
  const project = makeProject(CASES, false);
  const program = programOf(project);
  const spec = builtinSpec();
  const det = analyzeDetailed(program, ROOT, { spec });
  const files = new Map<string, ts.SourceFile>();
  for (const sf of program.getSourceFiles()) if (sf.fileName.startsWith(`${ROOT}/`)) files.set(sf.fileName.slice(ROOT.length + 1), sf);
  return generateCandidates({ spec, files, findings: det.result.findings, ctx: det.ctx });
}

/** The wrong-field mutants of the `private` read in `file`, with why they are equivalent (or ''). */
function privateReads(all: Mutant[], file: string): string[] {
  return all.filter((m) => m.operator === 'wrong-field' && m.file === file && / instead of private /.test(m.description)).map((m) => m.equivalent ?? '');
}

describe('mutants on a failure path, by the code of the calls (mutants-gen.ts)', () => {
  const all = candidates();
  const FAIL = /only on a failure path/;

  it('an aliased assertion\'s report argument is a failure path; its condition is not', () => {
    const priv = privateReads(all, 'cases/alias_assert.ts');
    expect(priv.length).toBeGreaterThan(0);
    for (const e of priv) expect(e).toMatch(FAIL);
    const cond = all.filter((m) => m.operator === 'wrong-field' && m.file === 'cases/alias_assert.ts' && / instead of index /.test(m.description));
    expect(cond.length).toBeGreaterThan(0);
    for (const m of cond) expect(m.equivalent ?? '').not.toMatch(FAIL);
  });

  it('a wrapper of an assertion is one (by its code)', () => {
    const priv = privateReads(all, 'cases/wrapped_assert.ts');
    expect(priv.length).toBeGreaterThan(0);
    for (const e of priv) expect(e).toMatch(FAIL);
  });

  it('an aliased never-returning call ends a failure path', () => {
    const priv = privateReads(all, 'cases/alias_bug.ts');
    expect(priv.length).toBeGreaterThan(0);
    for (const e of priv) expect(e).toMatch(FAIL);
  });

  it('a same-named local that logs or returns is no assertion and no BUG(): its mutants are run', () => {
    for (const file of ['cases/local_assert.ts', 'cases/local_bug.ts']) {
      const priv = privateReads(all, file);
      expect(priv.length, file).toBeGreaterThan(0);
      for (const e of priv) expect(e, file).not.toMatch(FAIL);
    }
  });
});
