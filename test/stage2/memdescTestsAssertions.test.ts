/**
 * A mark of the memdesc word counts only where a checked reader requires it through an assertion
 * (memdescTests.ts); that assertion is known by its callee's code (callees.ts), not by the spec's
 * name: one the spec does not list or imported under another name is one; a same-named function
 * that only logs is none.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadProgram } from '../../src/analyzers/project.ts';
import { AnalysisContext } from '../../src/analyzers/context.ts';
import { typeErrors } from '../../src/rewrite/check.ts';
import { builtinSpec } from '../../src/model/builtin.ts';
import type { Spec } from '../../src/model/spec.ts';
import { MemdescTests } from '../../src/stage2/memdescTests.ts';

const dirs: string[] = [];
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

/** The page class, its word's writers keeping MARK, and `carries()` testing it; `ASSERT` and `READER` per row. */
const MM = (assertion: string, reader: string): string => `
export class Page {
  constructor(readonly addr: number) {}
  memdesc = 0;
  flags = 0;
}
export const MARK = 1 << 9;
${assertion}
export function set_word(page: Page, md: number): void {
  page.memdesc = md;
  page.flags = page.flags | MARK;
}
export function clear_word(page: Page): void {
  page.memdesc = 0;
  page.flags = page.flags & ~MARK;
}
export function word_of(page: Page): number {
  ${reader}
  return page.memdesc;
}
export function carries(page: Page): boolean {
  return (page.flags & MARK) !== 0;
}
`;

function tests(files: Record<string, string>): string[] {
  const root = mkdtempSync(join(tmpdir(), 'memdesc-memdescassert-'));
  dirs.push(root);
  writeFileSync(join(root, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { strict: true, target: 'es2022', module: 'nodenext', allowImportingTsExtensions: true, noEmit: true, skipLibCheck: true, types: [], lib: ['es2022'] },
    include: ['**/*.ts'],
  }));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(root, name, '..'), { recursive: true });
    writeFileSync(join(root, name), text);
  }
  const { program, root: r } = loadProgram(root);
  expect(typeErrors(program, r).map((e) => `${e.file}: ${e.message}`)).toEqual([]);
  const base = builtinSpec();
  const spec: Spec = { ...base, page: { ...base.page, file: 'mm.ts' } };
  return new MemdescTests(new AnalysisContext(spec, program, r), 'memdesc').tests.map((t) => `${t.name} ${t.sense}`);
}

const SPEC_ASSERT = `export function VM_BUG_ON_PAGE(cond: boolean, page: Page, why = ''): void { if (cond) throw new Error(why + page.addr); }`;

const rows: Array<{ name: string; files: Record<string, string>; expect: string[] }> = [
  { name: 'the spec\'s assertion', files: { 'mm.ts': MM(SPEC_ASSERT, `VM_BUG_ON_PAGE(!carries(page), page, 'no word');`) }, expect: ['carries has'] },
  {
    name: 'the spec\'s assertion imported under another name',
    files: {
      'mm.ts': MM(`import { VM_BUG_ON_PAGE as BUG_ON_PAGE } from './debug.ts';`, `BUG_ON_PAGE(!carries(page), page, 'no word');`),
      'debug.ts': `import type { Page } from './mm.ts';\n${SPEC_ASSERT}\n`,
    },
    expect: ['carries has'],
  },
  {
    name: 'an assertion the spec does not list (`if (!c) throw`: holds)',
    files: { 'mm.ts': MM(`function must(c: boolean): void { if (!c) throw new Error('must'); }`, `must(carries(page));`) },
    expect: ['carries has'],
  },
  {
    name: 'a function named like the spec\'s assertion that only logs is none',
    files: { 'mm.ts': MM(`const seen: string[] = [];\nexport function VM_BUG_ON_PAGE(cond: boolean, page: Page): void { if (cond) seen.push(String(page.addr)); }`, `VM_BUG_ON_PAGE(!carries(page), page);`) },
    expect: [],
  },
];

describe('the checked reader\'s assertion, by its code', () => {
  for (const row of rows) it(row.name, () => expect(tests(row.files)).toEqual(row.expect));
});
