/**
 * The audit's site scanner takes code as handling the memdesc word ("aware": its writes of the
 * word's words are deliberate) when it reads the word or calls a test of it, and the tests are
 * memdescTests.ts's, found from their code (sites.ts used to take any boolean call the word's
 * checked reader makes first). Valid rows are aware whatever the test is called; invalid rows are
 * not, though the reader calls their function first or it is named like a test.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ts } from '@ts-morph/common';
import { loadProgram } from '../../src/analyzers/project.ts';
import { AnalysisContext } from '../../src/analyzers/context.ts';
import { typeErrors } from '../../src/rewrite/check.ts';
import { builtinSpec } from '../../src/model/builtin.ts';
import type { Spec } from '../../src/model/spec.ts';
import { SiteScanner } from '../../src/stage2/sites.ts';
import { MEMDESC_FIELD, memdescWordFields, memdescWords } from '../../src/stage2/words.ts';

const dirs: string[] = [];
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

/** A page whose memdesc word shares w1 with compound_head; MARK is kept with the word; the checked reader also asserts `poisoned()`. */
const MM = `
export class Page {
  constructor(readonly addr: number) {}
  memdesc = 0;
  compound_head = 0;
  flags = 0;
}
export const MARK = 1 << 9;
export const POISON = 1 << 3;
export function VM_BUG_ON_PAGE(cond: boolean, page: Page, why = ''): void { if (cond) throw new Error(why + page.addr); }
export function set_word(page: Page, md: number): void {
  page.memdesc = md;
  page.flags = page.flags | MARK;
}
export function clear_word(page: Page): void {
  page.memdesc = 0;
  page.flags = page.flags & ~MARK;
}
/** A flag test that says nothing of the word; the checked reader asserts it too. */
export function poisoned(page: Page): boolean {
  return (page.flags & POISON) !== 0;
}
export function word_of(page: Page): number {
  VM_BUG_ON_PAGE(!carries(page), page, 'no word');
  VM_BUG_ON_PAGE(poisoned(page), page, 'poisoned');
  return page.memdesc;
}
export function carries(page: Page): boolean {
  return (page.flags & MARK) !== 0;
}
`;

const rows: Array<{ name: string; fn: string; aware: boolean; text: string }> = [
  { name: 'a test of the word from its code (a mark its writers keep)', fn: 'tidy', aware: true,
    text: 'export function tidy(page: Page): void { if (carries(page)) return; page.compound_head = 0; }' },
  { name: 'a renamed import of the test', fn: 'tidy2', aware: true,
    text: 'import { carries as has_word } from \'./mm.ts\';\nexport function tidy2(page: Page): void { if (has_word(page)) return; page.compound_head = 0; }' },
  { name: 'a wrapper of the test under any name', fn: 'tidy3', aware: true,
    text: 'function occupied(p: Page): boolean { return carries(p); }\nexport function tidy3(page: Page): void { if (!occupied(page)) page.compound_head = 0; }' },
  { name: 'a boolean the checked reader asserts first, but a flag test that says nothing of the word', fn: 'poke', aware: false,
    text: 'export function poke(page: Page): void { if (poisoned(page)) return; page.compound_head = 0; }' },
  { name: 'named like a test of the word, reading nothing of it', fn: 'poke2', aware: false,
    text: 'function PageMemdesc(p: Page): boolean { return p.addr > 0; }\nexport function poke2(page: Page): void { if (PageMemdesc(page)) return; page.compound_head = 0; }' },
];

function project(): { ctx: AnalysisContext; scanner: SiteScanner } {
  const root = mkdtempSync(join(tmpdir(), 'memdesc-sites-'));
  dirs.push(root);
  writeFileSync(join(root, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { strict: true, target: 'es2022', module: 'nodenext', allowImportingTsExtensions: true, noEmit: true, noUnusedLocals: false, skipLibCheck: true },
    include: ['**/*.ts'],
  }));
  mkdirSync(root, { recursive: true });
  writeFileSync(join(root, 'mm.ts'), MM);
  rows.forEach((r, i) => writeFileSync(join(root, `r${i}.ts`), `import { Page, carries, poisoned } from './mm.ts';\nvoid carries; void poisoned;\n${r.text}\n`));
  const { program, root: r } = loadProgram(root);
  expect(typeErrors(program, r).map((e) => `${e.file}: ${e.message}`)).toEqual([]);
  const base = builtinSpec();
  const spec: Spec = { ...base, page: { ...base.page, file: 'mm.ts' } };
  const ctx = new AnalysisContext(spec, program, r);
  const words = memdescWords(spec);
  return { ctx, scanner: new SiteScanner(ctx, memdescWordFields(spec, words), MEMDESC_FIELD, words, new Map(), () => undefined) };
}

/** The `page.compound_head` write in function `fn`. */
function writeIn(ctx: AnalysisContext, fn: string): ts.Node {
  let hit: ts.Node | undefined;
  for (const sf of ctx.files) {
    const walk = (n: ts.Node): void => {
      if (ts.isPropertyAccessExpression(n) && n.name.text === 'compound_head' && ts.findAncestor(n, (a) => ts.isFunctionDeclaration(a) && a.name?.text === fn)) hit = n;
      ts.forEachChild(n, walk);
    };
    walk(sf);
  }
  expect(hit, fn).toBeDefined();
  return hit!;
}

describe('memdesc-aware code: tests of the word from memdescTests.ts', () => {
  const p = (() => { let x: ReturnType<typeof project> | undefined; return () => (x ??= project()); })();
  for (const r of rows) {
    it(`${r.aware ? 'aware' : 'not aware'}: ${r.name}`, () => {
      const { ctx, scanner } = p();
      expect(scanner.aware(writeIn(ctx, r.fn))).toBe(r.aware);
    });
  }
});
