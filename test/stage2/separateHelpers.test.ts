/**
 * `memdesc separate` follows a kind's allocations and frees through helpers (separatePlan.ts),
 * on a small fixture (an invented "cup" kind, not the corpus): a function returning the pages an
 * allocator gave it is an allocator at its call sites, a function freeing its page parameter is a
 * free, the allocation or free inside it is what gets rewritten; pages the code gives their
 * memdesc word by hand are left alone; a helper that also serves pages of no kind, or is used as
 * a value, is refused with the site named and nothing planned.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadProgram } from '../../src/analyzers/project.ts';
import { typeErrors } from '../../src/rewrite/check.ts';
import { planKind, type KindPlan } from '../../src/stage2/separatePlan.ts';
import { exportIndex, findInfra } from '../../src/stage2/separateInfra.ts';
import { builtinSpec } from '../../src/model/builtin.ts';
import type { KindSpec, Spec } from '../../src/model/spec.ts';
import { CheckFailed } from '../../src/errors.ts';

const dirs: string[] = [];
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

/** The page allocator and the stage-2 infrastructure, as small as type-checks. */
const MM = `
export class Page {
  constructor(readonly addr: number) {}
  memdesc = 0;
  type = 0;
  count = 1;
}
export const MEMDESC_DESC_HEADER = 8;
export const MEMDESC_TYPE_CUP = 5;
const mem = new Map<number, number>();
export function read64(a: number): number { return mem.get(a) ?? 0; }
export function write64(a: number, v: number): void { mem.set(a, v); }
export function alloc_pages(gfp: number, order: number): Page | null { return gfp ? new Page(gfp * 4096 + order) : null; }
export function __free_pages(page: Page, order: number): void { void page; void order; }
export function alloc_pages_memdesc(gfp: number, order: number, md: number): Page | null {
  const page = alloc_pages(gfp, order);
  if (page) set_page_memdesc(page, md);
  return page;
}
export function __free_pages_memdesc(page: Page, order: number): void { page.memdesc = 0; __free_pages(page, order); }
export function set_page_memdesc(page: Page, md: number): void { page.memdesc = md; }
export function page_count(page: Page): number { return page.count; }
export function page_address(page: Page): number { return page.addr * 64; }
export function virt_to_page(addr: number): Page { return new Page(addr / 64); }
export function memdesc_create(desc: number, type: number): number { return desc + type; }
export function memdesc_desc(page: Page, type: number): number { return page.memdesc - type; }
export function memdesc_cup(page: Page): number { return memdesc_desc(page, MEMDESC_TYPE_CUP); }
export function memdesc_desc_page(desc: number): Page | null { const a = read64(desc); return a ? new Page(a) : null; }
export function memdesc_set_desc_page(desc: number, page: Page | null): void { write64(desc, page ? page.addr : 0); }
let caches = 0;
export function memdesc_cache(type: number): number | null { return caches & (1 << type) ? type : null; }
export function memdesc_cache_create(name: string, size: number, type: number): number { void name; void size; caches |= 1 << type; return type; }
let next = 0x1000;
export function memdesc_alloc(type: number, gfp: number): number { void type; void gfp; next += 64; return next; }
export function memdesc_free(type: number, desc: number): void { void type; void desc; }
export function PageCup(page: Page): boolean { return page.type === 7; }
export function __SetPageCup(page: Page): void { page.type = 7; }
export function __ClearPageCup(page: Page): void { page.type = 0; }
`;

/** The kind's descriptor class (an overlay after stage 1) and its converters. */
const CUP = `
import { Page, read64, write64 } from './mm.ts';
const CUP_HANDLE_OFFSET = 40;
/** Cup: overlays Page. */
export class Cup {
  constructor(readonly addr: number) {}
  get handle(): number { return read64(this.addr + CUP_HANDLE_OFFSET); }
  set handle(v: number) { write64(this.addr + CUP_HANDLE_OFFSET, v); }
}
export function page_cup(page: Page): Cup;
export function page_cup(page: Page | null): Cup | null;
export function page_cup(page: Page | null): Cup | null { return page && new Cup(page.addr); }
export function cup_page(cup: Cup): Page;
export function cup_page(cup: Cup | null): Page | null;
export function cup_page(cup: Cup | null): Page | null { return cup && new Page(cup.addr); }
`;

/** Cups allocated and freed through helpers, one of them self-described. */
const BREW = `
import { Page, alloc_pages, __free_pages, __SetPageCup, __ClearPageCup, set_page_memdesc, memdesc_create, page_address, MEMDESC_TYPE_CUP } from './mm.ts';
import { Cup, page_cup, cup_page } from './cup.ts';

let held = 0;
function account(page: Page): void { held += page.addr; }

/** A tray's cup describes itself: its word is set here, by hand. */
function alloc_tray_page(gfp: number): Page | null {
  const page = alloc_pages(gfp, 0);
  if (!page) return null;
  set_page_memdesc(page, memdesc_create(page_address(page), MEMDESC_TYPE_CUP));
  return page;
}

/** Fresh pages for a cup: what alloc_pages() gave, or a tray's. */
function alloc_cup_pages(gfp: number, order: number): Page | null {
  if (gfp === 9) return alloc_tray_page(gfp);
  const page = alloc_pages(gfp, order);
  if (page) account(page);
  return page;
}

function grab(gfp: number): Page | null {
  return alloc_cup_pages(gfp, 0);
}

export function new_cup(gfp: number): Cup | null {
  let page = grab(gfp);
  if (!page) page = alloc_cup_pages(gfp, 1);
  if (!page) return null;
  __SetPageCup(page);
  const cup = page_cup(page);
  cup.handle = 1;
  return cup;
}

function free_cup_pages(page: Page, order: number): void {
  held -= page.addr;
  __free_pages(page, order);
}

export function drop_cup(cup: Cup): void {
  const page = cup_page(cup);
  __ClearPageCup(page);
  free_cup_pages(page, 0);
}
`;

/** The 1-based line of `text` in BREW. */
function lineOf(text: string): number {
  return BREW.slice(0, BREW.indexOf(text)).split('\n').length;
}

function project(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'memdesc-sephelpers-'));
  dirs.push(root);
  writeFileSync(join(root, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { strict: true, target: 'es2022', module: 'nodenext', allowImportingTsExtensions: true, noEmit: true, skipLibCheck: true, noUnusedLocals: false },
    include: ['**/*.ts'],
  }));
  for (const [name, text] of Object.entries({ 'mm.ts': MM, 'cup.ts': CUP, 'brew.ts': BREW, ...files })) {
    mkdirSync(join(root, name, '..'), { recursive: true });
    writeFileSync(join(root, name), text);
  }
  return root;
}

function cupSpec(): { spec: Spec; kind: KindSpec } {
  const spec = builtinSpec();
  const kind = {
    name: 'cup', description: 'cups', descriptor: { class: 'Cup', placement: 'cup.ts' },
    fields: [{ field: 'index', to: ['handle'] }],
    converters: { fromPage: ['page_cup'], toPage: ['cup_page'], fromAddress: [] },
    pageTypeTests: [{ name: 'PageCup', negates: false }], owners: [], provenance: [],
  } as unknown as KindSpec;
  return { spec: { ...spec, kinds: [...spec.kinds, kind] }, kind };
}

function plan(files: Record<string, string> = {}): { plan: KindPlan; root: string } {
  const dir = project(files);
  const { program, root } = loadProgram(dir);
  expect(typeErrors(program, root).map((e) => e.message)).toEqual([]);
  const { spec, kind } = cupSpec();
  return { plan: planKind({ program, root, spec, kind, infra: findInfra(exportIndex(program, root), spec, kind) }), root };
}

/** The plan of the unchanged fixture: made once, read by the tests that plant nothing (a plan is pure). */
let unchanged: { plan: KindPlan; root: string } | undefined;
function basePlan(): { plan: KindPlan; root: string } {
  return (unchanged ??= plan());
}

function refusal(files: Record<string, string>): string {
  try {
    plan(files);
  } catch (e) {
    if (e instanceof CheckFailed) return e.message;
    throw e;
  }
  throw new Error('the plan did not refuse');
}

describe('separate: allocations and frees through helpers', () => {
  it('an allocator helper (and one calling it) is an allocation at its call sites: the allocation inside is rewritten', () => {
    const { plan: p, root } = basePlan();
    expect(p.sites.allocs).toEqual([`brew.ts:${lineOf('let page = grab(gfp);')} new_cup() via grab()`, `brew.ts:${lineOf('if (!page) page = alloc_cup_pages(gfp, 1);')} new_cup() via alloc_cup_pages()`]);
    const brew = p.texts.get(join(root, 'brew.ts'))!;
    expect(brew).toContain('  const page = cup_alloc_pages(gfp, order);\n  if (page) account(page);');
    // The self-described pages already carry their word: their allocation stays as written.
    expect(brew).toContain('function alloc_tray_page(gfp: number): Page | null {\n  const page = alloc_pages(gfp, 0);');
    expect(brew.match(/cup_alloc_pages\(/g)).toHaveLength(1);
    expect(p.texts.get(join(root, 'cup_memdesc.ts'))).toContain('export function cup_alloc_pages(gfp: number, order: number): Page | null {');
  });

  it('a free helper is a free where the caller destructs the page: the free inside it is rewritten', () => {
    const { plan: p, root } = basePlan();
    expect(p.sites.frees).toEqual([`brew.ts:${lineOf('free_cup_pages(page, 0);')} drop_cup() via free_cup_pages()`]);
    const brew = p.texts.get(join(root, 'brew.ts'))!;
    expect(brew).toContain('  held -= page.addr;\n  cup_free_pages(page, order);');
    expect(p.texts.get(join(root, 'cup_memdesc.ts'))).toContain('export function cup_free_pages(page: Page, order: number): void {');
  });

  it('refuses a helper that also allocates pages of no kind, naming the caller', () => {
    const msg = refusal({ 'other.ts': `
import { Page } from './mm.ts';
import { any_pages } from './brew.ts';
export function plain(): Page | null { return any_pages(1); }
`, 'brew.ts': `${BREW}\nexport function any_pages(gfp: number): Page | null { return grab(gfp); }\n` });
    expect(msg).toMatch(/^cup: \d+ sites? the separation cannot follow \(first: brew\.ts:\d+: any_pages\(\) calls grab\(\), which allocates cup's pages, for pages that are not cup's\); nothing was written$/);
  });

  it('refuses a helper used as a value (its callers cannot be told)', () => {
    const msg = refusal({ 'brew.ts': `${BREW}\nexport const allocators = [grab];\n` });
    expect(msg).toMatch(/brew\.ts:\d+: top level uses grab\(\), which allocates cup's pages, as a value/);
  });

  it('a function returning pages that are not fresh is no allocator: the construction cannot be followed', () => {
    const msg = refusal({ 'brew.ts': `${BREW}
const spare: Page[] = [];
function spare_page(): Page | null { return spare.pop() ?? null; }
export function reuse_cup(): void {
  const page = spare_page();
  if (page) __SetPageCup(page);
}
` });
    expect(msg).toMatch(/reuse_cup\(\) constructs `page` with __SetPageCup\(\) but does not allocate it/);
  });

  it('a free helper given a page the caller only hands to a destructor on another path is not taken as the kind\'s free', () => {
    // put_cup() destructs through drop_page() on one path and frees any other page with
    // free_cup_pages(): that helper frees pages of no kind there, and is refused, never rewritten.
    const msg = refusal({ 'brew.ts': `${BREW}
function drop_page(page: Page): void { __ClearPageCup(page); __free_pages(page, 0); }
export function put_cup(page: Page, cup: boolean): void {
  if (cup) drop_page(page);
  else free_cup_pages(page, 0);
}
` });
    expect(msg).toMatch(/put_cup\(\) calls free_cup_pages\(\), which frees cup's pages, for pages that are not cup's/);
  });
});
