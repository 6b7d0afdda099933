/**
 * A small stage-2 fixture (not the corpus): an invented "cup" kind whose descriptor class is an
 * overlay of Page after stage 1, the page allocator and the stage-2 infrastructure as small as
 * type-checks, and cups made and dropped with the allocator. `mug()` gives a second kind of the
 * same shape. Used by test/stage2/separateSymbols.test.ts and test/series/stage2Failure.test.ts.
 */

/** The page allocator and the stage-2 infrastructure, as small as type-checks. */
export const MM = `
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
  if (page) page.memdesc = md;
  return page;
}
export function __free_pages_memdesc(page: Page, order: number): void { page.memdesc = 0; __free_pages(page, order); }
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

export const CUP = `
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

/** Cups made and dropped with the allocator by its own name: every row keeps these sites. */
export const BREW = `
import { Page, alloc_pages, __free_pages, __SetPageCup, __ClearPageCup } from './mm.ts';
import { Cup, page_cup, cup_page } from './cup.ts';

export function new_cup(gfp: number): Cup | null {
  const page = alloc_pages(gfp, 0);
  if (!page) return null;
  __SetPageCup(page);
  return page_cup(page);
}

function free_cup_pages(page: Page, order: number): void {
  __free_pages(page, order);
}

export function drop_cup(cup: Cup): void {
  const page = cup_page(cup);
  __ClearPageCup(page);
  free_cup_pages(page, 0);
}
`;

/** The same texts for a second kind, "mug" (Mug, page_mug(), new_mug(), MEMDESC_TYPE_MUG). */
export function mug(text: string): string {
  return text.replaceAll('Cup', 'Mug').replaceAll('cup', 'mug').replaceAll('CUP', 'MUG');
}

/** What mm.ts needs for the mug kind as well. */
export const MM_MUG = `
export const MEMDESC_TYPE_MUG = 6;
export function memdesc_mug(page: Page): number { return memdesc_desc(page, MEMDESC_TYPE_MUG); }
export function PageMug(page: Page): boolean { return page.type === 8; }
export function __SetPageMug(page: Page): void { page.type = 8; }
export function __ClearPageMug(page: Page): void { page.type = 0; }
`;
