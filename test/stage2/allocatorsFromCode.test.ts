/**
 * separateMultiTag.ts decides from the code, not names: a kind's own allocation sites are page
 * allocator calls (by the symbol they resolve to) whose page the code shows to become the kind's
 * (stores that make its tags' tests true), whatever the function around them is called; the
 * spec's provenance calls are hints whose returned allocation is followed by symbol. Its tags flow
 * into memdesc_desc()'s type; its type tests are guarded by what their calls resolve to. Snippet
 * tables on an invented "cup" kind (hot or iced): `valid` rows are found, `invalid` rows are not.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ts } from '@ts-morph/common';
import { loadProgram } from '../../src/analyzers/project.ts';
import { typeErrors } from '../../src/rewrite/check.ts';
import { exportIndex } from '../../src/stage2/separateInfra.ts';
import { kindTags, providerAllocations, TagDecider, testGuards } from '../../src/stage2/separateMultiTag.ts';
import type { KindSpec } from '../../src/model/spec.ts';

const dirs: string[] = [];
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

const MEMDESC = `
export class Page { constructor(readonly addr: number) {} memdesc = 0; temp = 0; }
export const MEMDESC_TYPE_HOT = 2;
export const MEMDESC_TYPE_ICED = 3;
export const MEMDESC_TYPE_LID = 8;
export function memdesc_desc(page: Page, type: number): number { return page.memdesc - type; }
export function memdesc_cup(page: Page): number {
  const iced = (page.memdesc & 15) === MEMDESC_TYPE_ICED;
  return memdesc_desc(page, iced ? MEMDESC_TYPE_ICED : MEMDESC_TYPE_HOT);
}
export function page_has_desc_type(page: Page, ...types: number[]): boolean { return types.includes(page.memdesc & 15); }
export function alloc_pages(gfp: number, order: number): Page | null { return gfp ? new Page(gfp + order) : null; }
export function alloc_page(gfp: number): Page | null { return alloc_pages(gfp, 0); }
`;

/** What each tag means: the tag on a page carrying a word, else the temp word's bits. */
const TESTS = `
import { Page, MEMDESC_TYPE_ICED, MEMDESC_TYPE_HOT } from './memdesc.ts';
export const CUP_ICED = 0x1;
export const CUP_HOT = 0x2;
export function PageIced(page: Page): boolean {
  if (page.memdesc !== 0) return (page.memdesc & 15) === MEMDESC_TYPE_ICED;
  return (page.temp & CUP_ICED) !== 0;
}
export function PageHot(page: Page): boolean {
  if (page.memdesc !== 0) return (page.memdesc & 15) === MEMDESC_TYPE_HOT;
  return (page.temp & CUP_HOT) !== 0;
}
export function serve_iced(page: Page): void { page.temp = CUP_ICED; }
export function brew_hot(page: Page): void { page.temp = CUP_HOT; }
export function rinse(page: Page): void { page.temp = 0; }
`;

const HEAD = `import { Page, alloc_page } from './memdesc.ts';\nimport { serve_iced, brew_hot, rinse } from './tests.ts';\nvoid serve_iced; void brew_hot; void rinse; void alloc_page;\n`;

function project(files: Record<string, string>): { program: ts.Program; root: string } {
  const root = mkdtempSync(join(tmpdir(), 'memdesc-allocators-'));
  dirs.push(root);
  writeFileSync(join(root, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, target: 'es2022', module: 'nodenext', allowImportingTsExtensions: true, noEmit: true, skipLibCheck: true }, include: ['**/*.ts'] }));
  for (const [name, text] of Object.entries({ 'memdesc.ts': MEMDESC, 'tests.ts': TESTS, ...files })) {
    mkdirSync(join(root, name, '..'), { recursive: true });
    writeFileSync(join(root, name), text);
  }
  const { program, root: r } = loadProgram(root);
  expect(typeErrors(program, r).map((e) => `${e.file}: ${e.message}`)).toEqual([]);
  return { program, root: r };
}

function kind(provenance: string[]): KindSpec {
  return {
    name: 'cup', description: 'cups', descriptor: { class: 'Cup', placement: 'cup.ts' }, fields: [],
    converters: { fromPage: ['page_cup'], toPage: ['cup_page'], fromAddress: [] },
    pageTypeTests: [{ name: 'PageIced', pageArg: 0, negates: false }], owners: [], provenance: provenance.map((call) => ({ call })),
  } as unknown as KindSpec;
}

const TAGS = ['MEMDESC_TYPE_ICED', 'MEMDESC_TYPE_HOT'];
const ALLOCATORS = new Set(['alloc_page', 'alloc_pages']);

/** The sites found in `row.ts`, as `function:line` with the tag the code shows. */
function sites(text: string, provenance: string[] = [], extra: Record<string, string> = {}): string[] {
  const { program, root } = project({ 'row.ts': `${HEAD}${text}\n`, ...extra });
  const decider = new TagDecider(program, root, TAGS);
  return providerAllocations(program, root, kind(provenance), ALLOCATORS, decider).map(({ provider, call }) => {
    const sf = call.getSourceFile();
    return `${relative(root, sf.fileName)}:${sf.getLineAndCharacterOfPosition(call.getStart()).line + 1} ${provider}() ${decider.decide(call).tag ?? 'unknown'}`;
  });
}

const valid: Array<{ name: string; text: string; provenance?: string[]; sites: RegExp[] }> = [
  {
    name: 'a renamed allocator (the spec still names the old one): found from the stores its pages reach',
    provenance: ['alloc_cup_page'],
    text: `export function pour_iced(gfp: number): Page | null { return alloc_page(gfp); }
export function order(): void { const p = pour_iced(1); if (p) serve_iced(p); }`,
    sites: [/^row\.ts:4 pour_iced\(\) MEMDESC_TYPE_ICED$/],
  },
  {
    name: 'the page allocator under an import alias, in an arrow',
    text: `import { alloc_page as grab } from './memdesc.ts';
export const pour = (gfp: number): Page | null => grab(gfp);
export function order(): void { const p = pour(2); if (p) brew_hot(p); }`,
    sites: [/^row\.ts:5 pour\(\) MEMDESC_TYPE_HOT$/],
  },
  {
    name: 'a direct allocation whose page is served: the function it is in, whatever its name',
    text: 'export function whatever(): void { const page = alloc_page(5); if (page) serve_iced(page); }',
    sites: [/^row\.ts:4 whatever\(\) MEMDESC_TYPE_ICED$/],
  },
  {
    name: 'the spec\'s provenance call, a hint: its returned allocation (through a local, by symbol) is a site even when its tag is unknown (the plan refuses it, naming it)',
    provenance: ['alloc_cup_page'],
    text: `export function alloc_cup_page(gfp: number): Page | null {
  const page = alloc_page(gfp);
  return page;
}
export function order(): void { const p = alloc_cup_page(1); if (p) rinse(p); }`,
    sites: [/^row\.ts:5 alloc_cup_page\(\) unknown$/],
  },
];

const invalid: Array<{ name: string; text: string; provenance?: string[] }> = [
  {
    name: 'a same-named local is not the allocator, even in a function the spec names',
    provenance: ['pour_local'],
    text: `function alloc_pages(gfp: number, order: number): Page | null { return new Page(gfp + order); }
export function pour_local(gfp: number): Page | null { return alloc_pages(gfp, 0); }
export function order(): void { const p = pour_local(1); if (p) serve_iced(p); }`,
  },
  {
    name: 'a method named like the allocator is not it',
    text: `class Shelf { alloc_page(gfp: number): Page { return new Page(gfp); } }
export function order(): void { const p = new Shelf().alloc_page(1); serve_iced(p); }`,
  },
  {
    name: 'an allocation whose uses show several tags, or none, is not the kind\'s',
    text: `export function mixed(): void { const p = alloc_page(3); if (p) { serve_iced(p); brew_hot(p); } }
export function plain(): void { const p = alloc_page(4); if (p) rinse(p); }`,
  },
  {
    name: 'a use that shows no tag beside one that does: not the kind\'s',
    text: `export function shelved(): Page | null { return alloc_page(7); }
export function to_shelf(): void { const p = shelved(); if (p) rinse(p); }
export function to_table(): void { const p = shelved(); if (p) serve_iced(p); }`,
  },
  {
    name: 'a shadowing local of the same name is another page: what it is served is not the allocation\'s',
    text: `export function shadow(): void {
  const page = alloc_page(5);
  if (page) {
    { const page = new Page(9); serve_iced(page); }
    rinse(page);
  }
}`,
  },
  {
    name: 'a spec name that is only a nested function is no hint; one that keeps its page is no allocator',
    provenance: ['alloc_cup_page', 'keeps_it'],
    text: `export function outer(): void {
  function alloc_cup_page(gfp: number): Page | null { return alloc_page(gfp); }
  const p = alloc_cup_page(1);
  if (p) rinse(p);
}
export function keeps_it(gfp: number): void { const p = alloc_page(gfp); if (p) rinse(p); }`,
  },
];

describe('the kind\'s own allocation sites from the code: valid', () => {
  for (const row of valid) {
    it(row.name, () => {
      const found = sites(row.text, row.provenance);
      expect(found).toHaveLength(row.sites.length);
      row.sites.forEach((re, i) => expect(found[i]).toMatch(re));
    });
  }
});

describe('the kind\'s own allocation sites from the code: invalid (not found)', () => {
  for (const row of invalid) it(row.name, () => expect(sites(row.text, row.provenance)).toEqual([]));

  it('a caller that spells the allocator by an import alias counts: its use shows no tag, so the site is not the kind\'s', () => {
    const text = `export function pour(gfp: number): Page | null { return alloc_page(gfp); }
export function table(): void { const p = pour(1); if (p) serve_iced(p); }`;
    const shelf = `import { pour as fill } from './row.ts';\nimport { rinse } from './tests.ts';\nexport function shelf(): void { const p = fill(2); if (p) rinse(p); }\n`;
    expect(sites(text)).toEqual(['row.ts:4 pour() MEMDESC_TYPE_ICED']);
    expect(sites(text, [], { 'shelf.ts': shelf })).toEqual([]);
  });

  it('the page allocator\'s own insides are no site, even when its only callers serve one tag', () => {
    // alloc_page() calls alloc_pages(); its one caller serves iced cups: the site is the caller's call.
    expect(sites('export function order(): void { const p = alloc_page(1); if (p) serve_iced(p); }')).toEqual(['row.ts:4 order() MEMDESC_TYPE_ICED']);
  });
});

describe('the kind\'s tags flow into memdesc_desc()', () => {
  it('through a conditional, a local and its assignments, an import alias; a tag only compared is not the kind\'s', () => {
    const { program, root } = project({
      'acc.ts': `
import { Page, memdesc_desc, MEMDESC_TYPE_ICED as COLD, MEMDESC_TYPE_HOT, MEMDESC_TYPE_LID } from './memdesc.ts';
export function memdesc_mug(page: Page, hot: boolean): number {
  let t = COLD;
  if (hot) t = MEMDESC_TYPE_HOT;
  return memdesc_desc(page, t);
}
export function memdesc_jar(page: Page): number {
  if ((page.memdesc & 15) === MEMDESC_TYPE_LID) throw new Error('a lid');
  return memdesc_desc(page, MEMDESC_TYPE_HOT);
}
export function memdesc_tray(page: Page): number { return page.memdesc; }
`,
    });
    const index = exportIndex(program, root);
    expect(kindTags(program, root, index, 'cup', 'memdesc_cup')).toEqual(['MEMDESC_TYPE_ICED', 'MEMDESC_TYPE_HOT']);
    expect(kindTags(program, root, index, 'mug', 'memdesc_mug')).toEqual(['MEMDESC_TYPE_ICED', 'MEMDESC_TYPE_HOT']);
    expect(kindTags(program, root, index, 'jar', 'memdesc_jar')).toEqual(['MEMDESC_TYPE_HOT']);
    // No constant reaches memdesc_desc(): the tag named after the kind, when the tree has one.
    expect(kindTags(program, root, index, 'lid', 'memdesc_tray')).toEqual(['MEMDESC_TYPE_LID']);
    expect(kindTags(program, root, index, 'tray', 'memdesc_tray')).toEqual([]);
  });
});

describe('type tests are guarded by what their calls resolve to', () => {
  it('the converter under an alias counts; a same-named local converter, or a has-predicate namesake, does not', () => {
    const { program, root } = project({
      'cup.ts': `
import { Page } from './memdesc.ts';
export class Cup { constructor(readonly addr: number) {} get temp(): number { return this.addr; } }
export function page_cup(page: Page): Cup { return new Cup(page.memdesc); }
`,
      'warm.ts': `
import { Page } from './memdesc.ts';
import { page_cup as cupOf } from './cup.ts';
export function PageWarm(page: Page): boolean { return cupOf(page).temp > 30; }
`,
      'cold.ts': `
import { Page } from './memdesc.ts';
function page_cup(page: Page): { temp: number } { return { temp: page.temp }; }
export function PageCold(page: Page): boolean { return page_cup(page).temp < 5; }
`,
      'tepid.ts': `
import { Page } from './memdesc.ts';
import { page_cup } from './cup.ts';
function page_has_desc_type(page: Page, ...types: number[]): boolean { return types.length > 0 && page.temp > 0; }
export function PageTepid(page: Page): boolean {
  if (!page_has_desc_type(page, 3)) return false;
  return page_cup(page).temp === 20;
}
`,
    });
    const k = { ...kind([]), pageTypeTests: ['PageWarm', 'PageCold', 'PageTepid'].map((name) => ({ name, pageArg: 0, negates: false })) } as KindSpec;
    const guards = testGuards(program, root, k, 'page_cup', 'page_has_desc_type', TAGS);
    expect(guards.map((g) => g.test).sort()).toEqual(['PageTepid', 'PageWarm']);
    expect(guards.find((g) => g.test === 'PageWarm')!.text).toContain('if (!page_has_desc_type(page, MEMDESC_TYPE_ICED, MEMDESC_TYPE_HOT)) return false;');
  });
});
