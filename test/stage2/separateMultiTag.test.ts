/**
 * separateMultiTag.ts on small fixtures: a kind's tags from its typed accessor, the tag of each
 * allocation site from the code (or unknown, with why), the kind's own allocators from the
 * spec's provenance calls, its descriptor header from the tree, and the guard its type tests get.
 * Names in the fixtures are invented (a "cup" kind that is hot or iced): nothing kernel-specific.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ts } from '@ts-morph/common';
import { loadProgram } from '../../src/analyzers/project.ts';
import { exportIndex } from '../../src/stage2/separateInfra.ts';
import {
  headerBytes, kindTags, providerAllocations, TagDecider, testGuards,
} from '../../src/stage2/separateMultiTag.ts';
import { constValue, storedBits, tagTests } from '../../src/stage2/tagTests.ts';
import type { KindSpec } from '../../src/model/spec.ts';

const dirs: string[] = [];
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

const MEMDESC = `
export class Page { constructor(readonly addr: number) {} memdesc = 0; temp = 0; }
export const MEMDESC_TYPE_HOT = 2;
export const MEMDESC_TYPE_ICED = 3;
export const MEMDESC_TYPE_LID = 8;
export const MEMDESC_DESC_HEADER = 8;
export function memdesc_desc(page: Page, type: number): number { return page.memdesc - type; }
export function memdesc_cup(page: Page): number {
  const iced = (page.memdesc & 15) === MEMDESC_TYPE_ICED;
  return memdesc_desc(page, iced ? MEMDESC_TYPE_ICED : MEMDESC_TYPE_HOT);
}
export function memdesc_lid(page: Page): number { return memdesc_desc(page, MEMDESC_TYPE_LID); }
export function page_has_desc_type(page: Page, ...types: number[]): boolean { return types.includes(page.memdesc & 15); }
export function alloc_page(gfp: number): Page | null { return gfp ? new Page(gfp) : null; }
`;

function project(files: Record<string, string>): { program: ts.Program; root: string } {
  const root = mkdtempSync(join(tmpdir(), 'memdesc-multitag-'));
  dirs.push(root);
  writeFileSync(join(root, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, target: 'es2022', module: 'nodenext', allowImportingTsExtensions: true, noEmit: true, skipLibCheck: true }, include: ['**/*.ts'] }));
  for (const [name, text] of Object.entries({ 'memdesc.ts': MEMDESC, ...files })) {
    mkdirSync(join(root, name, '..'), { recursive: true });
    writeFileSync(join(root, name), text);
  }
  const { program, root: r } = loadProgram(root);
  return { program, root: r };
}

function kind(over: Partial<KindSpec> = {}): KindSpec {
  return {
    name: 'cup', description: 'cups', descriptor: { class: 'Cup', placement: 'cup.ts' }, fields: {},
    converters: { fromPage: ['page_cup'], toPage: ['cup_page'], fromAddress: [] },
    pageTypeTests: [{ name: 'PageIced', negates: false }], owners: [], provenance: [{ call: 'alloc_cup_page' }],
    ...over,
  } as unknown as KindSpec;
}

/** The allocation call inside function `fn` of `file`. */
function allocIn(program: ts.Program, root: string, file: string, fn: string): ts.CallExpression {
  const sf = program.getSourceFile(join(root, file))!;
  let found: ts.CallExpression | undefined;
  const walk = (n: ts.Node, inside: boolean): void => {
    const here = inside || (ts.isFunctionDeclaration(n) && n.name?.text === fn);
    if (here && ts.isCallExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === 'alloc_page') found = n;
    ts.forEachChild(n, (c) => walk(c, here));
  };
  walk(sf, false);
  return found!;
}

describe('kindTags', () => {
  it('takes the tags the typed accessor names, in source order; else the tag named after the kind; else none', () => {
    const { program, root } = project({});
    const index = exportIndex(program, root);
    expect(kindTags(program, root, index, 'cup', 'memdesc_cup')).toEqual(['MEMDESC_TYPE_ICED', 'MEMDESC_TYPE_HOT']);
    expect(kindTags(program, root, index, 'lid', 'memdesc_lid')).toEqual(['MEMDESC_TYPE_LID']);
    expect(kindTags(program, root, index, 'lid', null)).toEqual(['MEMDESC_TYPE_LID']);
    expect(kindTags(program, root, index, 'saucer', null)).toEqual([]);
  });

  it('reads the descriptor header from the tree: the kind\'s own, else the common one', () => {
    const { program, root } = project({ 'hdr.ts': 'export const MEMDESC_CUP_HEADER = 24;\n' });
    const index = exportIndex(program, root);
    expect(headerBytes(program, root, index, 'cup')).toBe(24);
    expect(headerBytes(program, root, index, 'lid')).toBe(8);
  });

});

/** Cups whose type tests say what each tag means: the tag on a page carrying a word, else the temp word's bits. */
const TESTS = `
import { Page, MEMDESC_TYPE_ICED, MEMDESC_TYPE_HOT } from './memdesc.ts';
export const CUP_ICED = 0x1;
export const CUP_HOT = 0x2;
export const CUP_FLAGS = CUP_ICED | CUP_HOT;
export class Cup {
  constructor(readonly page: Page) {}
  get temp(): number { return this.page.temp; }
  set temp(v: number) { this.page.temp = v; }
}
export function page_cup(page: Page): Cup { return new Cup(page); }
export function PageIced(page: Page): boolean {
  if (page.memdesc !== 0) return (page.memdesc & 15) === MEMDESC_TYPE_ICED;
  return (page.temp & CUP_ICED) !== 0;
}
export function PageHot(page: Page): boolean {
  return page.memdesc !== 0 ? (page.memdesc & 15) === MEMDESC_TYPE_HOT : (page_cup(page).temp & CUP_FLAGS) === CUP_HOT;
}
`;

describe('tagTests: what a tag means, from the tree\'s type tests', () => {
  it('finds the word and bits the other branch tests (nonzero, or equal under a mask); values of constants through | and aliases', () => {
    const { program, root } = project({ 'tests.ts': TESTS });
    const t = tagTests(program, root, ['MEMDESC_TYPE_ICED', 'MEMDESC_TYPE_HOT', 'MEMDESC_TYPE_LID']);
    expect(t.map((x) => [x.tag, x.test, x.word, x.mask, x.equals])).toEqual([
      ['MEMDESC_TYPE_ICED', 'PageIced', 'temp', 1, null],
      ['MEMDESC_TYPE_HOT', 'PageHot', 'temp', 3, 2],
    ]);
    expect(t[0]!.at).toMatch(/^tests\.ts:\d+$/);
    expect(t[1]!.text).toBe('temp & CUP_FLAGS === 2');
  });

  it('a branch naming no tag, or both sides naming it, or a test for absent bits, is no meaning', () => {
    const { program, root } = project({
      'tests.ts': `
import { Page, MEMDESC_TYPE_ICED, MEMDESC_TYPE_HOT } from './memdesc.ts';
export function both(page: Page): boolean {
  return page.memdesc ? page.memdesc === MEMDESC_TYPE_ICED : (page.temp & 1) !== 0 && page.memdesc !== MEMDESC_TYPE_ICED;
}
export function none(page: Page): boolean { if (page.memdesc) return true; return (page.temp & 1) !== 0; }
export function absent(page: Page): boolean { if (page.memdesc) return page.memdesc === MEMDESC_TYPE_HOT; return (page.temp & 2) === 0; }
// The then-branch falls through: what follows is no other branch.
export function negated(page: Page): boolean { if (page.memdesc) return page.memdesc === MEMDESC_TYPE_HOT; return !(page.temp & 2); }
export function falls(page: Page): boolean { let hot = false; if (page.memdesc) hot = page.memdesc === MEMDESC_TYPE_HOT; return hot || (page.temp & 2) !== 0; }
`,
    });
    expect(tagTests(program, root, ['MEMDESC_TYPE_ICED', 'MEMDESC_TYPE_HOT'])).toEqual([]);
  });

  it('a condition naming the tag before the bits counts (a page of another tag is not one); one naming several tags tells none apart', () => {
    const { program, root } = project({
      'tests.ts': `
import { Page, MEMDESC_TYPE_ICED, MEMDESC_TYPE_HOT, page_has_desc_type } from './memdesc.ts';
export function PageIced(page: Page): boolean {
  if (page.memdesc && (page.memdesc & 15) !== MEMDESC_TYPE_ICED) return false;
  return (page.temp & 1) !== 0;
}
export function PageCup(page: Page): boolean {
  if (!page_has_desc_type(page, MEMDESC_TYPE_ICED, MEMDESC_TYPE_HOT)) return false;
  return (page.temp & 2) !== 0;
}
// A condition calling a type test is no test of the tag: the bits under it are something else.
export function reclaim(page: Page, mask: number): number {
  if (PageIced(page) && mask) { if ((page.temp & 8) !== 0) return 1; }
  return 0;
}
`,
    });
    expect(tagTests(program, root, ['MEMDESC_TYPE_ICED', 'MEMDESC_TYPE_HOT']).map((x) => [x.tag, x.test, x.mask])).toEqual([['MEMDESC_TYPE_ICED', 'PageIced', 1]]);
  });

  it('a tag compared inside a helper the branch calls counts; an aliased import of the tag is the tag', () => {
    const { program, root } = project({
      'tests.ts': `
import { Page, MEMDESC_TYPE_ICED as CHILL } from './memdesc.ts';
function is_chilled(page: Page): boolean { return (page.memdesc & 15) === CHILL; }
export function PageChilled(page: Page): boolean {
  if (page.memdesc) return is_chilled(page);
  return (page.temp & 4) !== 0;
}
`,
    });
    expect(tagTests(program, root, ['MEMDESC_TYPE_ICED', 'MEMDESC_TYPE_HOT']).map((x) => [x.tag, x.test, x.mask])).toEqual([['MEMDESC_TYPE_ICED', 'PageChilled', 4]]);
  });

  it('evaluates constants and the bits a stored value carries (constant terms over | and +)', () => {
    const { program } = project({ 'tests.ts': TESTS });
    const checker = program.getTypeChecker();
    // Initializers of the fixture's constants: expressions whose names the checker resolves.
    const sf = program.getSourceFiles().find((f) => f.fileName.endsWith('tests.ts'))!;
    const inits = sf.statements.flatMap((s) => (ts.isVariableStatement(s) ? s.declarationList.declarations.map((d) => d.initializer!) : []));
    const expr = (text: string): ts.Expression => inits.find((e) => e.getText() === text)!;
    expect(constValue(checker, expr('CUP_ICED | CUP_HOT'))).toBe(3);
    expect(constValue(checker, expr('0x2'))).toBe(2);
    const f = ts.createSourceFile('x.ts', 'a.b + 4 | c; a.b; 3 + 5;', ts.ScriptTarget.ES2022, true);
    const [e1, e2, e3] = f.statements.map((s) => (s as ts.ExpressionStatement).expression);
    expect(storedBits(checker, e1!)).toBe(4);
    expect(storedBits(checker, e2!)).toBeUndefined();
    expect(storedBits(checker, e3!)).toBe(8);
  });
});

describe('TagDecider: the tag of each allocation site from stores the code makes', () => {
  const CODE = `
import { Page, alloc_page } from './memdesc.ts';
import { CUP_ICED, CUP_HOT, page_cup } from './tests.ts';
export function serve_iced(page: Page, tray = 0): void { page.temp = tray | CUP_ICED; }
export function brew_hot(page: Page): void {
  const cup = page_cup(page);
  cup.temp = CUP_HOT;
}
export function rinse(page: Page): void { page.temp = 0; }
export function alloc_cup_page(gfp: number): Page | null {
  return alloc_page(gfp);
}
function fresh_cup(gfp: number): Page | null { return alloc_cup_page(gfp); }
export function iced_order(): void {
  const page = fresh_cup(1);
  if (page) serve_iced(page);
}
export function hot_order(): void {
  let page: Page | null = null;
  page = alloc_cup_page(2);
  if (page) { rinse(page); brew_hot(page); }
}
export function mixed_order(): void {
  const page = alloc_page(3);
  if (page) { serve_iced(page); brew_hot(page); }
}
export function plain_order(): void {
  const page = alloc_page(4);
  if (page) rinse(page);
}
export function only_iced(): void {
  const page = alloc_page(5);
  if (page) serve_iced(page);
}
`;
  const tags = ['MEMDESC_TYPE_ICED', 'MEMDESC_TYPE_HOT'];
  const files = { 'tests.ts': TESTS, 'cup.ts': CODE };

  it('one tag whose test a store the page reaches makes true: that tag, with the store as evidence', () => {
    const { program, root } = project(files);
    const d = new TagDecider(program, root, tags).decide(allocIn(program, root, 'cup.ts', 'only_iced'));
    expect(d.tag).toBe('MEMDESC_TYPE_ICED');
    expect(d.why).toMatch(/^MEMDESC_TYPE_ICED: every use of the page reaches a store that makes temp & CUP_ICED \(PageIced\(\) at tests\.ts:\d+\) true: serve_iced\(\) at cup\.ts:4$/);
    expect(d.evidence.map((e) => e.store)).toEqual(['page.temp = tray | CUP_ICED']);
  });

  it('follows the page up through functions returning it: every caller\'s evidence counts', () => {
    const { program, root } = project(files);
    const d = new TagDecider(program, root, tags).decide(allocIn(program, root, 'cup.ts', 'alloc_cup_page'));
    // iced_order() (via fresh_cup()) says iced, hot_order() says hot (through the descriptor): the allocator serves both.
    expect(d.tag).toBeNull();
    expect(d.why).toBe('unknown: the page reaches stores of several tags: iced (serve_iced() at cup.ts:4); hot (brew_hot() at cup.ts:7)');
  });

  it('several tags at one site, or none: unknown, saying why', () => {
    const { program, root } = project(files);
    const decider = new TagDecider(program, root, tags);
    const mixed = decider.decide(allocIn(program, root, 'cup.ts', 'mixed_order'));
    expect(mixed.tag).toBeNull();
    expect(mixed.why).toMatch(/several tags/);
    // rinse() stores the word, but no bits: no test is made true.
    const plain = decider.decide(allocIn(program, root, 'cup.ts', 'plain_order'));
    expect(plain.tag).toBeNull();
    expect(plain.why).toMatch(/^unknown: the page reaches no store that makes a tag's test true \(iced: temp & CUP_ICED \(PageIced\(\) at tests\.ts:\d+\); hot: temp & CUP_FLAGS === 2 \(PageHot\(\) at tests\.ts:\d+\)\) in plain_order\(\) at cup\.ts:\d+$/);
  });

  it('a use that shows no tag makes the site unknown even when another shows one', () => {
    const { program, root } = project({
      ...files,
      'shelf.ts': `
import { Page } from './memdesc.ts';
import { alloc_cup_page, serve_iced, rinse } from './cup.ts';
export function shelved(): Page | null { return alloc_cup_page(7); }
export function to_shelf(): void { const p = shelved(); if (p) rinse(p); }
export function to_table(): void { const p = shelved(); if (p) serve_iced(p); }
`,
    });
    const sf = program.getSourceFile(join(root, 'shelf.ts'))!;
    const call = sf.statements.filter(ts.isFunctionDeclaration).find((f) => f.name?.text === 'shelved')!.body!.statements[0]! as ts.ReturnStatement;
    const d = new TagDecider(program, root, tags).decide(call.expression as ts.CallExpression);
    expect(d.tag).toBeNull();
    expect(d.why).toMatch(/^unknown: the page reaches no store that makes a tag's test true \(.*\) in to_shelf\(\) at shelf\.ts:5; elsewhere it reaches iced \(serve_iced\(\) at cup\.ts:4\)$/);
  });

  it('follows a function up to its own callers only, not a namesake\'s in another file', () => {
    const { program, root } = project({
      ...files,
      'other.ts': `
import { Page } from './memdesc.ts';
import { brew_hot } from './cup.ts';
export function fresh_cup(gfp: number): Page | null { return gfp ? new Page(gfp) : null; }
export function other_order(): void {
  const page = fresh_cup(9);
  if (page) brew_hot(page);
}
`,
    });
    // cup.ts's fresh_cup() is only iced_order()'s: the hot order of other.ts's namesake is not its.
    const d = new TagDecider(program, root, tags).decide(allocIn(program, root, 'cup.ts', 'alloc_cup_page'));
    expect(d.why).toMatch(/serve_iced\(\) at cup\.ts/);
    expect(d.why).not.toMatch(/other\.ts/);
  });

  it('looks into the functions the page is handed to (two calls deep), following the parameter', () => {
    const { program, root } = project({
      ...files,
      'tray.ts': `
import { Page, alloc_page } from './memdesc.ts';
import { CUP_ICED } from './tests.ts';
import { rinse } from './cup.ts';
function chill(c: Page): void { c.temp |= CUP_ICED; }
function garnish(cup: Page, other: Page): void { rinse(other); chill(cup); }
function prepare(p: Page, spare: Page): void { garnish(p, spare); }
function decoy(p: Page, spare: Page): void { spare.temp = CUP_ICED; rinse(p); }
export function tray_order(spare: Page): void {
  const page = alloc_page(6);
  if (page) prepare(page, spare);
}
export function decoy_order(spare: Page): void {
  const page = alloc_page(7);
  if (page) decoy(page, spare);
}
`,
    });
    const decider = new TagDecider(program, root, tags);
    const d = decider.decide(allocIn(program, root, 'tray.ts', 'tray_order'));
    expect(d.tag).toBe('MEMDESC_TYPE_ICED');
    expect(d.why).toMatch(/prepare\(\) -> garnish\(\) -> chill\(\) at tray\.ts:5$/);
    // Another argument's stores are not the page's.
    expect(decider.decide(allocIn(program, root, 'tray.ts', 'decoy_order')).tag).toBeNull();
  });

  it('a function named after a tag counts only for what it stores; a neutral name storing the bits counts', () => {
    const { program, root } = project({
      ...files,
      'names.ts': `
import { Page, alloc_page } from './memdesc.ts';
import { CUP_ICED, CUP_HOT, page_cup } from './tests.ts';
// Named iced, stores the hot bits.
function pour_iced(page: Page): void { page_cup(page).temp = CUP_HOT; }
// Named iced, stores nothing.
function label_iced(page: Page): void { void page; }
// Named after nothing, stores the iced bits (an address plus the flag).
function finish(page: Page, base: number): void { page.temp = base + CUP_ICED; }
// Iced and hot bits at once: iced's test is true, hot's (temp & 3 === 2) is not.
function both_bits(page: Page): void { page.temp = CUP_ICED | CUP_HOT; }
// Named iced, stores a value with no constant bits.
function copy_iced(page: Page, from: number): void { page.temp = from; }
// A neutral setter storing what its caller hands it: the caller's value carries the bits.
function set_temp(page: Page, v: number): void { page.temp = v; }
function f_iced(page: Page, base: number): void { set_temp(page, base | CUP_ICED); }
export function a(): void { const page = alloc_page(1); if (page) pour_iced(page); }
export function b(): void { const page = alloc_page(2); if (page) label_iced(page); }
export function c(): void { const page = alloc_page(3); if (page) finish(page, 4096); }
export function d(): void { const page = alloc_page(4); if (page) both_bits(page); }
export function e(from: number): void { const page = alloc_page(5); if (page) copy_iced(page, from); }
export function f(): void { const page = alloc_page(6); if (page) f_iced(page, 4096); }
export function g(): void { const page = alloc_page(7); if (page) set_temp(page, 4096); }
`,
    });
    const decider = new TagDecider(program, root, tags);
    const at = (fn: string) => decider.decide(allocIn(program, root, 'names.ts', fn));
    expect(at('a').tag).toBe('MEMDESC_TYPE_HOT');
    expect(at('a').why).toMatch(/pour_iced\(\) at names\.ts:5$/);
    expect(at('b').tag).toBeNull();
    expect(at('b').why).toMatch(/in b\(\) at names\.ts:\d+$/);
    expect(at('c').tag).toBe('MEMDESC_TYPE_ICED');
    expect(at('d').tag).toBe('MEMDESC_TYPE_ICED');
    expect(at('e').tag).toBeNull();
    expect(at('f').tag).toBe('MEMDESC_TYPE_ICED');
    expect(at('f').why).toMatch(/f_iced\(\) -> set_temp\(\) at names\.ts:\d+$/);
    expect(at('g').tag).toBeNull();
    expect(at('e').why).toMatch(/^unknown: the page reaches no store that makes a tag's test true .* in e\(\) at names\.ts:\d+$/);
  });

  it('a renamed tag constant: its test found through an import alias; a function named after it counts for nothing', () => {
    const { program, root } = project({
      'tags.ts': 'export const MEMDESC_TYPE_CHILLED = 3;\nexport const MEMDESC_TYPE_WARM = 2;\n',
      'tests2.ts': `
import { Page } from './memdesc.ts';
import { MEMDESC_TYPE_CHILLED as COLD, MEMDESC_TYPE_WARM } from './tags.ts';
export function PageCold(page: Page): boolean {
  if (page.memdesc) { return (page.memdesc & 15) === COLD; } else { return (page.temp & 4) !== 0; }
}
export function PageWarm(page: Page): boolean {
  if (page.memdesc) return (page.memdesc & 15) === MEMDESC_TYPE_WARM;
  return (page.temp & 8) !== 0;
}
`,
      'serve.ts': `
import { Page, alloc_page } from './memdesc.ts';
function serve_iced(page: Page): void { page.temp = 4; }
function serve_chilled(page: Page): void { page.temp = 8; }
export function iced(): void { const page = alloc_page(1); if (page) serve_iced(page); }
export function chilled(): void { const page = alloc_page(2); if (page) serve_chilled(page); }
`,
    });
    const decider = new TagDecider(program, root, ['MEMDESC_TYPE_CHILLED', 'MEMDESC_TYPE_WARM']);
    expect(decider.decide(allocIn(program, root, 'serve.ts', 'iced')).tag).toBe('MEMDESC_TYPE_CHILLED');
    expect(decider.decide(allocIn(program, root, 'serve.ts', 'chilled')).tag).toBe('MEMDESC_TYPE_WARM');
  });

  it('a tag the tree has no test for is never chosen, and the unknown reason says so', () => {
    const { program, root } = project(files);
    const decider = new TagDecider(program, root, ['MEMDESC_TYPE_ICED', 'MEMDESC_TYPE_LID']);
    expect(decider.decide(allocIn(program, root, 'cup.ts', 'only_iced')).tag).toBe('MEMDESC_TYPE_ICED');
    const plain = decider.decide(allocIn(program, root, 'cup.ts', 'plain_order'));
    expect(plain.tag).toBeNull();
    expect(plain.why).toMatch(/; lid: the tree has no type test that tells it \(none compares a page's tag with MEMDESC_TYPE_LID and tests a word's bits otherwise\), so no store can show it$/);
  });

  it('a kind with one tag needs no evidence', () => {
    const { program, root } = project(files);
    const d = new TagDecider(program, root, ['MEMDESC_TYPE_LID']).decide(allocIn(program, root, 'cup.ts', 'plain_order'));
    expect(d.tag).toBe('MEMDESC_TYPE_LID');
  });
});

describe('providerAllocations: the kind\'s own allocators', () => {
  it('finds the allocation a provenance function returns, directly or through a local; not one with an argument condition, nor a converter', () => {
    const { program, root } = project({
      'cup.ts': `
import { Page, alloc_page } from './memdesc.ts';
export function alloc_cup_page(gfp: number): Page | null { return alloc_page(gfp); }
export function alloc_cup_local(gfp: number): Page | null {
  const page = alloc_page(gfp);
  return page;
}
export function alloc_cup_cond(gfp: number): Page | null { return alloc_page(gfp); }
export function keeps_it(gfp: number): void { alloc_page(gfp); }
`,
    });
    const k = kind({
      provenance: [{ call: 'alloc_cup_page' }, { call: 'alloc_cup_local' }, { call: 'alloc_cup_cond', arg: { index: 0, matches: 'x' } }, { call: 'keeps_it' }, { call: 'page_cup' }],
    } as Partial<KindSpec>);
    const found = providerAllocations(program, root, k, new Set(['alloc_page']));
    expect(found.map((f) => f.provider)).toEqual(['alloc_cup_page', 'alloc_cup_local']);
  });
});

describe('testGuards: type tests reading the descriptor ask for the word first', () => {
  it('guards a boolean test that reads the descriptor through fromPage; leaves guarded, non-boolean and descriptor-free tests alone', () => {
    const { program, root } = project({
      'cup.ts': `
import { Page, page_has_desc_type, MEMDESC_TYPE_ICED } from './memdesc.ts';
export class Cup { constructor(readonly addr: number) {} get temp(): number { return this.addr; } }
export function page_cup(page: Page): Cup { return new Cup(page.memdesc); }
function head(page: Page): Page { return page; }
export function PageIced(page: Page): boolean {
  return page_cup(head(page)).temp < 5;
}
export function PageHot(page: Page): boolean {
  if (!page_has_desc_type(page, MEMDESC_TYPE_ICED)) return false;
  return page_cup(page).temp > 50;
}
export function PageCupSize(page: Page): number { return page_cup(page).temp; }
export function PageFull(page: Page): boolean { return page.memdesc > 0; }
`,
    });
    const k = kind({ pageTypeTests: ['PageIced', 'PageHot', 'PageCupSize', 'PageFull'].map((name) => ({ name, negates: false })) } as Partial<KindSpec>);
    const guards = testGuards(program, root, k, 'page_cup', 'page_has_desc_type', ['MEMDESC_TYPE_ICED', 'MEMDESC_TYPE_HOT']);
    expect(guards.map((g) => g.test)).toEqual(['PageIced']);
    expect(guards[0]!.text).toContain('if (!page_has_desc_type(head(page), MEMDESC_TYPE_ICED, MEMDESC_TYPE_HOT)) return false;');
    const sf = guards[0]!.sf;
    expect(sf.text.slice(guards[0]!.pos).startsWith('return page_cup(head(page))')).toBe(true);
  });
});
