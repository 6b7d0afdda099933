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
  headerBytes, kindTags, nameWords, providerAllocations, TagDecider, testGuards,
} from '../../src/stage2/separateMultiTag.ts';
import type { KindSpec } from '../../src/model/spec.ts';

const dirs: string[] = [];
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

const MEMDESC = `
export class Page { constructor(readonly addr: number) {} memdesc = 0; }
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
  writeFileSync(join(root, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, target: 'es2022', module: 'nodenext', allowImportingTsExtensions: true, noEmit: true }, include: ['**/*.ts'] }));
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

  it('splits names into words (snake and camel case)', () => {
    expect(nameWords('page_add_new_anon_rmap')).toEqual(['page', 'add', 'new', 'anon', 'rmap']);
    expect(nameWords('addIcedCupToTray')).toEqual(['add', 'iced', 'cup', 'to', 'tray']);
  });
});

describe('TagDecider: the tag of each allocation site from the code', () => {
  const CODE = `
import { Page, alloc_page } from './memdesc.ts';
export function serve_iced(page: Page): void { void page; }
export function brew_hot(page: Page): void { void page; }
export function rinse(page: Page): void { void page; }
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

  it('one tag named where the page goes: that tag, with the calls as evidence', () => {
    const { program, root } = project({ 'cup.ts': CODE });
    const d = new TagDecider(program, root, tags).decide(allocIn(program, root, 'cup.ts', 'only_iced'));
    expect(d.tag).toBe('MEMDESC_TYPE_ICED');
    expect(d.why).toMatch(/serve_iced\(\) at cup\.ts:\d+/);
  });

  it('follows the page up through functions returning it: every caller\'s evidence counts', () => {
    const { program, root } = project({ 'cup.ts': CODE });
    const d = new TagDecider(program, root, tags).decide(allocIn(program, root, 'cup.ts', 'alloc_cup_page'));
    // iced_order() (via fresh_cup()) says iced, hot_order() says hot: the allocator serves both.
    expect(d.tag).toBeNull();
    expect(d.why).toMatch(/^unknown: the page reaches calls of several tags: iced \(serve_iced\(\) at cup\.ts:\d+\); hot \(brew_hot\(\) at cup\.ts:\d+\)/);
  });

  it('several tags at one site, or none: unknown, saying why', () => {
    const { program, root } = project({ 'cup.ts': CODE });
    const decider = new TagDecider(program, root, tags);
    const mixed = decider.decide(allocIn(program, root, 'cup.ts', 'mixed_order'));
    expect(mixed.tag).toBeNull();
    expect(mixed.why).toMatch(/several tags/);
    const plain = decider.decide(allocIn(program, root, 'cup.ts', 'plain_order'));
    expect(plain.tag).toBeNull();
    expect(plain.why).toMatch(/^unknown: no call the page reaches names one of the tags \(iced, hot\); no tag's name where the page goes in plain_order\(\) at cup\.ts:\d+/);
  });

  it('follows a function up to its own callers only, not a namesake\'s in another file', () => {
    const { program, root } = project({
      'cup.ts': CODE,
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
      'cup.ts': CODE,
      'tray.ts': `
import { Page, alloc_page } from './memdesc.ts';
import { serve_iced, rinse } from './cup.ts';
function garnish(cup: Page, other: Page): void { rinse(other); serve_iced(cup); }
function prepare(p: Page, spare: Page): void { garnish(p, spare); }
function decoy(p: Page, spare: Page): void { serve_iced(spare); rinse(p); }
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
    expect(d.why).toMatch(/prepare\(\) -> garnish\(\) -> serve_iced\(\) at tray\.ts:\d+/);
    // Another argument's calls are not the page's.
    expect(decider.decide(allocIn(program, root, 'tray.ts', 'decoy_order')).tag).toBeNull();
  });

  it('a kind with one tag needs no evidence', () => {
    const { program, root } = project({ 'cup.ts': CODE });
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
