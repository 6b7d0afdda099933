/**
 * The counts of pages without a descriptor that keeps them (include/linux/mm.ts, docs/stage2.md
 * "The argument for w6"): generic code asks the layout (Page.OWN_COUNTS); a zpdesc's pages count
 * in their descriptor like a folio's; a misc allocation (alloc_pages_misc()) is frozen, its one
 * reference on its first page, given back by __free_pages(); and where struct page keeps no count
 * (the table emptied here as `memdesc shrink` empties it, then restored) the page's state answers
 * and every write the state would not answer the same way is a kernel BUG: a plain alloc_pages()
 * page, get_page() on a frozen page, a page type on a page without a word.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { boot } from '../../corpus/sim/boot.ts';
import {
  MEMDESC_TYPE_ZPDESC, MEMDESC_TYPE_SLAB, MEMDESC_COUNTS_REFCOUNT, MEMDESC_COUNTS_MAPCOUNT, memdesc_create, memdesc_set_desc_page,
  memdesc_misc, MEMDESC_MISC_UNKNOWN, PageMemdesc,
} from '../../corpus/include/linux/memdesc.ts';
import { GFP_KERNEL, __GFP_COMP } from '../../corpus/include/linux/gfp.ts';
import {
  nr_free_pages, pcp_pages, drain_all_pages, alloc_pages, alloc_pages_misc, alloc_pages_memdesc, __free_pages,
} from '../../corpus/mm/page_alloc.ts';
import { memdesc_cache_create, memdesc_alloc } from '../../corpus/mm/slab_common.ts';
import {
  get_page, set_page_mapcount_raw, page_count, page_ref_count, page_mapcount_raw, page_frozen_refcount, pfn_to_page, page_to_pfn,
} from '../../corpus/include/linux/mm.ts';
import { __SetPageTable, page_type_of, SetPageReserved, ClearPageReserved } from '../../corpus/include/linux/page-flags.ts';
import { read32s } from '../../corpus/sim/memory.ts';
import { Page, STRUCT_PAGE_SIZE, page_own_count } from '../../corpus/include/linux/mm_types.ts';
import { KernelBug } from '../../corpus/sim/errors.ts';

const MiB = 1024 * 1024;

function free_total(): number {
  return nr_free_pages() + pcp_pages();
}

function nth(page: Page, i: number): Page {
  return new Page(page.addr + i * STRUCT_PAGE_SIZE);
}

function bugOf(fn: () => unknown): KernelBug {
  try {
    fn();
  } catch (e) {
    if (e instanceof KernelBug) return e;
    throw e;
  }
  throw new Error('expected a KernelBug');
}

/** Page.OWN_COUNTS as shrink leaves it once w6 is gone: no entry. Restored after each test. */
const table = Page.OWN_COUNTS as unknown as Record<string, number>;
const saved = { ...table };
function withoutOwnCounts(): void {
  for (const k of Object.keys(table)) delete table[k];
}
afterEach(() => Object.assign(table, saved));

describe('counts asked of the layout', () => {
  it('a zpdesc page counts in its descriptor; the page keeps a free page\'s own', () => {
    boot({ ram: 16 * MiB });
    memdesc_cache_create('zpdesc', 64, MEMDESC_TYPE_ZPDESC);
    const desc = memdesc_alloc(MEMDESC_TYPE_ZPDESC, GFP_KERNEL);
    const page = alloc_pages_memdesc(GFP_KERNEL, 0, memdesc_create(desc, MEMDESC_TYPE_ZPDESC))!;
    memdesc_set_desc_page(desc, page);
    expect(read32s(desc + MEMDESC_COUNTS_REFCOUNT)).toBe(1);
    expect(read32s(desc + MEMDESC_COUNTS_MAPCOUNT)).toBe(-1);
    expect(page_own_count(page, '_refcount')).toBe(0);
    get_page(page);
    expect(page_count(page)).toBe(2);
    expect(read32s(desc + MEMDESC_COUNTS_REFCOUNT)).toBe(2);
    expect(page_own_count(page, '_refcount')).toBe(0);
  });

  it('a misc allocation holds one reference on its first page, from its state too, and __free_pages() gives it back', () => {
    boot({ ram: 16 * MiB });
    drain_all_pages();
    const before = free_total();
    const page = alloc_pages_misc(GFP_KERNEL, 2)!;
    for (let i = 0; i < 4; i++) {
      expect(PageMemdesc(nth(page, i))).toBe(true);
      expect(page_ref_count(nth(page, i))).toBe(i === 0 ? 1 : 0);
      expect(page_frozen_refcount(nth(page, i))).toBe(i === 0 ? 1 : 0);
      expect(page_mapcount_raw(nth(page, i))).toBe(-1);
    }
    // A compound one: the word on its head only, the tails linked to it (0 from their state).
    const comp = alloc_pages_misc(GFP_KERNEL | __GFP_COMP, 1)!;
    expect([PageMemdesc(comp), PageMemdesc(nth(comp, 1))]).toEqual([true, false]);
    expect([page_frozen_refcount(comp), page_frozen_refcount(nth(comp, 1))]).toEqual([1, 0]);
    __free_pages(comp, 1);
    __free_pages(page, 2);
    for (let i = 0; i < 4; i++) expect(PageMemdesc(nth(page, i))).toBe(false);
    drain_all_pages();
    expect(free_total()).toBe(before);
  });

  it('the state\'s answer: a slab word\'s first page 1 (the page before it carries another word), reserved 1, free 0', () => {
    boot({ ram: 16 * MiB });
    memdesc_cache_create('slab', 48, MEMDESC_TYPE_SLAB);
    const desc = memdesc_alloc(MEMDESC_TYPE_SLAB, GFP_KERNEL);
    const page = alloc_pages_memdesc(GFP_KERNEL, 1, memdesc_create(desc, MEMDESC_TYPE_SLAB))!;
    expect([page_frozen_refcount(page), page_frozen_refcount(nth(page, 1))]).toEqual([1, 0]);
    const free = alloc_pages(GFP_KERNEL, 0)!;
    __free_pages(free, 0);
    drain_all_pages();
    expect(page_frozen_refcount(free)).toBe(0);
    SetPageReserved(free);
    expect(page_frozen_refcount(free)).toBe(1);
    ClearPageReserved(free);
    expect(page_frozen_refcount(pfn_to_page(page_to_pfn(free)))).toBe(0);
  });
});

describe('where struct page keeps no count (Page.OWN_COUNTS emptied, as shrink does)', () => {
  it('a misc allocation and its free run on the state alone; reads answer from it', () => {
    boot({ ram: 16 * MiB });
    drain_all_pages();
    const before = free_total();
    withoutOwnCounts();
    const page = alloc_pages_misc(GFP_KERNEL, 1)!;
    expect(page_own_count(page, '_refcount')).toBeUndefined();
    expect([page_ref_count(page), page_ref_count(nth(page, 1))]).toEqual([1, 0]);
    expect(page_type_of(page)).toBe(0);
    __free_pages(page, 1);
    drain_all_pages();
    expect(free_total()).toBe(before);
    expect(page_ref_count(page)).toBe(0);
  });

  it('a plain alloc_pages() page has nowhere to keep its reference: kernel BUG naming the count', () => {
    boot({ ram: 16 * MiB });
    withoutOwnCounts();
    expect(bugOf(() => alloc_pages(GFP_KERNEL, 0)).message).toMatch(/_refcount 1 on a page whose state says 0/);
  });

  it('get_page() on a frozen page, a page type on a page without a word, a mapcount: kernel BUGs', () => {
    boot({ ram: 16 * MiB });
    withoutOwnCounts();
    const page = alloc_pages_misc(GFP_KERNEL, 0)!;
    expect(bugOf(() => get_page(page)).message).toMatch(/_refcount 2 on a page whose state says 1/);
    __free_pages(page, 0);
    expect(PageMemdesc(page)).toBe(false);
    drain_all_pages();
    const free = pfn_to_page(page_to_pfn(page));
    expect(bugOf(() => __SetPageTable(free)).message).toMatch(/keeps no page_type/);
    expect(bugOf(() => set_page_mapcount_raw(free, 0)).message).toMatch(/_mapcount 0 on a page whose state says -1/);
  });
});
