/**
 * The tests of the memdesc word come from the code, not from names (memdescTests.ts), and the
 * audit's guard on them (memdescGuard.ts) takes only those. Snippet tables on a small fixture:
 * `valid` rows are tests whatever they are called (renamed, wrappers, arrows, a mark the word's
 * writers keep); `invalid` rows are not, however they are called (a name with `memdesc` in it that
 * reads nothing of the word, a tag test, a conjunction, a bit no writer keeps, a same-named local).
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
import { MemdescTests } from '../../src/stage2/memdescTests.ts';
import { MemdescGuard } from '../../src/stage2/memdescGuard.ts';

const dirs: string[] = [];
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

/** A page class with a memdesc word, a flags word whose MARK bit the word's writers keep, and a checked reader. */
const MM = `
export class Page {
  constructor(readonly addr: number) {}
  memdesc = 0;
  flags = 0;
  type = 0;
}
export const MARK = 1 << 9;
export const OTHER = 1 << 3;
export function VM_BUG_ON_PAGE(cond: boolean, page: Page, why = ''): void { if (cond) throw new Error(why + page.addr); }
export function set_word(page: Page, md: number): void {
  page.memdesc = md;
  page.flags = page.flags | MARK;
}
export function clear_word(page: Page): void {
  page.memdesc = 0;
  page.flags = page.flags & ~MARK;
}
export function word_of(page: Page): number {
  VM_BUG_ON_PAGE(!carries(page), page, 'no word');
  return page.memdesc;
}
/** A test by a mark: the writers set and clear MARK with the word, word_of() requires it. */
export function carries(page: Page): boolean {
  return (page.flags & MARK) !== 0;
}
`;

function project(files: Record<string, string>): AnalysisContext {
  const root = mkdtempSync(join(tmpdir(), 'memdesc-memdesctests-'));
  dirs.push(root);
  writeFileSync(join(root, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { strict: true, target: 'es2022', module: 'nodenext', allowImportingTsExtensions: true, noEmit: true, skipLibCheck: true, noUnusedLocals: false },
    include: ['**/*.ts'],
  }));
  for (const [name, text] of Object.entries({ 'mm.ts': MM, ...files })) {
    mkdirSync(join(root, name, '..'), { recursive: true });
    writeFileSync(join(root, name), text);
  }
  const { program, root: r } = loadProgram(root);
  expect(typeErrors(program, r).map((e) => `${e.file}: ${e.message}`)).toEqual([]);
  const base = builtinSpec();
  const spec: Spec = { ...base, page: { ...base.page, file: 'mm.ts' } };
  return new AnalysisContext(spec, program, r);
}

const HEAD = `import { Page, carries, MARK, OTHER } from './mm.ts';\nvoid MARK; void OTHER; void carries;\n`;
/** For a row declaring its own \`carries\`. */
const HEAD_LOCAL = `import { Page } from './mm.ts';\n`;

const valid: Array<{ name: string; text: string; tests: Record<string, 'has' | 'none'> }> = [
  { name: 'a mark the word\'s writers keep and its checked reader requires (named like nothing)', text: '', tests: { carries: 'has' } },
  { name: 'the word against 0, through the spec\'s member, under any name', text: 'export function occupied(p: Page): boolean { return p.memdesc !== 0; }', tests: { occupied: 'has' } },
  { name: 'the word as a truth value, and its absence', text: 'export function w(p: Page): boolean { return !!p.memdesc; }\nexport function bare(p: Page): boolean { return p.memdesc === 0; }', tests: { w: 'has', bare: 'none' } },
  { name: 'a wrapper, an arrow, a negation and a renamed import of a test', text: `
import { carries as c2 } from './mm.ts';
export function again(page: Page): boolean { return c2(page); }
export const arrow = (page: Page): boolean => again(page) === true;
export function lacks(page: Page): boolean { return !arrow(page); }
`, tests: { again: 'has', arrow: 'has', lacks: 'none' } },
  { name: 'a disjunction whose false answer still means no word; a conjunction with a none-test', text: `
export function either(page: Page, x: number): boolean { return carries(page) || x > 3; }
export function bareAnd(page: Page, x: number): boolean { return !carries(page) && x > 3; }
`, tests: { either: 'has', bareAnd: 'none' } },
];

const invalid: Array<{ name: string; text: string; not: string[] }> = [
  { name: 'named like a test of the word, but it reads nothing of it', text: 'export function planted_memdesc_check(p: Page): boolean { return p.addr !== 0; }', not: ['planted_memdesc_check'] },
  { name: 'a test of the word\'s tag: false does not mean no word', text: 'export function memdesc_is_slab(p: Page): boolean { return (p.memdesc & 15) === 5; }', not: ['memdesc_is_slab'] },
  { name: 'a conjunction: false does not mean no word (page_has_desc_type())', text: 'export function memdesc_and(p: Page): boolean { return carries(p) && p.type === 7; }', not: ['memdesc_and'] },
  { name: 'a bit no writer keeps with the word', text: 'export function PageMemdesc(p: Page): boolean { return (p.flags & OTHER) !== 0; }', not: ['PageMemdesc'] },
  { name: 'a same-named local that answers something else', text: 'function carries(p: Page): boolean { return p.type > 0; }\nexport function use(p: Page): boolean { return carries(p); }', not: ['use'] },
  { name: 'two pages, or no page', text: 'export function memdesc_same(a: Page, b: Page): boolean { return a.memdesc !== 0 && b.memdesc !== 0; }\nexport function memdesc_n(n: number): boolean { return n !== 0; }', not: ['memdesc_same', 'memdesc_n'] },
];

/** Every row in a file of its own (`v0.ts`, `i0.ts`, …) of one project: one program for the tables. */
const rowsCtx = (() => {
  let ctx: AnalysisContext | undefined;
  return (): AnalysisContext => {
    if (!ctx) {
      const files: Record<string, string> = {};
      valid.forEach((r, i) => { files[`v${i}.ts`] = `${r.text.includes('function carries') ? HEAD_LOCAL : HEAD}${r.text}\n`; });
      invalid.forEach((r, i) => { files[`i${i}.ts`] = `${r.text.includes('function carries') ? HEAD_LOCAL : HEAD}${r.text}\n`; });
      ctx = project(files);
    }
    return ctx;
  };
})();

/** The tests declared in `file`, by name, with their sense. */
function testsIn(file: string): Map<string, string> {
  return new Map(new MemdescTests(rowsCtx(), 'memdesc').tests.filter((t) => t.at.startsWith(`${file}:`)).map((t) => [t.name, t.sense]));
}

describe('memdesc tests from the code: valid', () => {
  valid.forEach((row, i) => {
    it(row.name, () => {
      const tests = testsIn(row.text === '' ? 'mm.ts' : `v${i}.ts`);
      for (const [name, sense] of Object.entries(row.tests)) expect(tests.get(name), name).toBe(sense);
    });
  });
});

describe('memdesc tests from the code: invalid (not a test, whatever the name)', () => {
  invalid.forEach((row, i) => {
    it(row.name, () => {
      const tests = testsIn(`i${i}.ts`);
      for (const name of row.not) expect(tests.has(name), name).toBe(false);
      // The fixture's own test stays one.
      expect(testsIn('mm.ts').get('carries')).toBe('has');
    });
  });

  it('a bit the writers set but never clear is no mark; a writer that replaces the word and leaves the mark does not undo it', () => {
    const setOnly = project({ 'mm.ts': MM.replace('page.flags = page.flags & ~MARK;', 'page.flags = page.flags & ~OTHER;') });
    expect(new MemdescTests(setOnly, 'memdesc').tests.map((t) => t.name)).toEqual([]);
    const swap = project({ 'swap.ts': `import { Page } from './mm.ts';\nexport function swap_word(page: Page, md: number): void { page.memdesc = md; }\n` });
    expect(new MemdescTests(swap, 'memdesc').tests.map((t) => `${t.name} ${t.sense}`)).toEqual(['carries has']);
  });

  it('without a checked reader requiring it, a bit the writers keep is no mark', () => {
    const ctx = project({ 'mm.ts': MM.replace("VM_BUG_ON_PAGE(!carries(page), page, 'no word');", '') });
    expect(new MemdescTests(ctx, 'memdesc').tests.map((t) => t.name)).toEqual([]);
  });
});

/** The page expression of `page.type` on the line marked `// AT:<marker>` of t.ts. */
function siteOf(ctx: AnalysisContext, marker: string): ts.PropertyAccessExpression {
  const sf = ctx.files.find((f) => f.fileName.endsWith('/t.ts'))!;
  const line = sf.text.split('\n').findIndex((l) => l.includes(`// AT:${marker}`));
  let hit: ts.PropertyAccessExpression | undefined;
  const walk = (n: ts.Node): void => {
    if (ts.isPropertyAccessExpression(n) && n.name.text === 'type' && sf.getLineAndCharacterOfPosition(n.getStart()).line === line) hit = n;
    ts.forEachChild(n, walk);
  };
  walk(sf);
  if (!hit) throw new Error(`no page.type at AT:${marker}`);
  return hit;
}

describe('the audit\'s guard takes the tests from the code', () => {
  const ctx = (() => project({
    'local.ts': `import { Page } from './mm.ts';\n/** A namesake of the fixture's test: no test. */\nexport function carries(p: Page): boolean { return p.type !== 0; }\n`,
    't.ts': `
import { Page, carries } from './mm.ts';
import { carries as namesake } from './local.ts';
import { carries as carriesToo } from './mm.ts';
export function planted_memdesc_check(p: Page): boolean { return p.addr !== 0; }
export function occupied(p: Page): boolean { return p.memdesc !== 0; }
export function a(page: Page): number {
  if (carries(page)) return 0;
  return page.type; // AT:early-exit
}
export function b(page: Page): number {
  if (!occupied(page)) return page.type; // AT:negated
  return 0;
}
export function c(page: Page): number {
  if (planted_memdesc_check(page)) return 0;
  return page.type; // AT:named-only
}
export function d(page: Page): number {
  if (carriesToo(page)) return 0;
  return page.type; // AT:renamed
}
export function e(page: Page): number {
  const carries = namesake;
  if (carries(page)) return 0;
  return page.type; // AT:same-named-local
}
export function f(page: Page): number {
  if (carries(page)) return page.type; // AT:has-word
  return 0;
}
`,
  }))();
  const guard = new MemdescGuard(ctx, 'memdesc');
  const without = (marker: string) => {
    const site = siteOf(ctx, marker);
    return guard.without(site, site.expression);
  };

  it('names the test in force: an early exit, a negation, a renamed import', () => {
    expect(without('early-exit')).toMatch(/after the early exit on `carries\(page\)` at t\.ts:8/);
    expect(without('negated')).toMatch(/guarded by `!occupied\(page\)`/);
    expect(without('renamed')).toMatch(/carriesToo\(page\)/);
  });

  it('a test by its name only, a same-named local and the true branch of a test say nothing', () => {
    expect(without('named-only')).toBeUndefined();
    expect(without('same-named-local')).toBeUndefined();
    expect(without('has-word')).toBeUndefined();
  });
});
