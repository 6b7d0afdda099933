/**
 * Where the corpus keeps what generic code needs of a page, so that struct page can shrink
 * (docs/stage2.md, "What struct page needs to reach 24 bytes"):
 *  - a free block's order and PageBuddy() in the flags word, above the PG_* bits, on buddy and
 *    per-cpu lists alike; nothing of it left once the block is allocated;
 *  - page types from the memdesc tag on a page that carries a word (the first page of the
 *    allocation), from page_type otherwise; __SetPage*() on such a page only checks the tag;
 *  - a page's own words (Page.OWN_WORDS) read and reset by name through the layout, only on pages
 *    without a memdesc word, and 0 for a word the layout does not have.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { boot } from '../../corpus/sim/boot.ts';
import {
  alloc_pages, alloc_pages_memdesc, __free_pages, __free_pages_memdesc, free_blocks, drain_all_pages, pcp_pages,
} from '../../corpus/mm/page_alloc.ts';
import {
  PageBuddy, PageTable, PageSlab, PageZsmalloc, PageLargeKmalloc, __SetPageTable, __ClearPageTable, page_type_of,
  page_has_type, page_free_order, PGTY_buddy, PGTY_table, PGTY_large_kmalloc, PAGE_TYPE_NONE, NR_PAGEFLAGS,
} from '../../corpus/include/linux/page-flags.ts';
import {
  memdesc_create, memdesc_misc, memdesc_set_desc_page, MEMDESC_TYPE_PTDESC, MEMDESC_MISC_KMALLOC_LARGE,
} from '../../corpus/include/linux/memdesc.ts';
import { Page, STRUCT_PAGE_SIZE, page_own_word, page_reset_own_word } from '../../corpus/include/linux/mm_types.ts';
import { pfn_to_page } from '../../corpus/include/linux/mm.ts';
import { GFP_KERNEL } from '../../corpus/include/linux/gfp.ts';
import { PAGE_OFFSET } from '../../corpus/arch/x86/include/asm/page_64_types.ts';
import { KernelBug } from '../../corpus/sim/errors.ts';

const DESC = PAGE_OFFSET + 0x800010;
const nth = (page: Page, i: number): Page => new Page(page.addr + i * STRUCT_PAGE_SIZE);
const spare = (page: Page): number => page.flags >>> NR_PAGEFLAGS;

describe('buddy data in the flags word', () => {
  beforeEach(() => { boot({ ram: 16 * 1024 * 1024 }); });

  it('every free block: PageBuddy() and its order above the PG_* bits, page_type and private untouched', () => {
    for (const [pfn, order] of free_blocks()) {
      const page = pfn_to_page(pfn);
      expect(PageBuddy(page)).toBe(true);
      expect(page_free_order(page)).toBe(order);
      expect(page.page_type).toBe(PAGE_TYPE_NONE);
      expect(page.private).toBe(0);
      expect(page_type_of(page)).toBe(PGTY_buddy);
      expect(page_has_type(page)).toBe(true);
    }
  });

  it('a block on a per-cpu list keeps its order there too; allocated, nothing of the allocator is left', () => {
    drain_all_pages();
    const page = alloc_pages(GFP_KERNEL, 2)!;
    expect(spare(page)).toBe(0);
    __free_pages(page, 2); // to the per-cpu list (order 2 <= PAGE_ALLOC_COSTLY_ORDER)
    expect(pcp_pages()).toBe(4);
    expect(PageBuddy(page)).toBe(false);
    expect(page_free_order(page)).toBe(2);
    const again = alloc_pages(GFP_KERNEL, 2)!;
    expect(again.addr).toBe(page.addr);
    expect(spare(again)).toBe(0);
    expect(page_type_of(again)).toBe(0);
    __free_pages(again, 2);
  });
});

describe('page types of a page that carries a memdesc word', () => {
  beforeEach(() => { boot({ ram: 16 * 1024 * 1024 }); });

  it('come from the tag, on the first page only; set and clear leave page_type alone', () => {
    const md = memdesc_create(DESC, MEMDESC_TYPE_PTDESC);
    const page = alloc_pages_memdesc(GFP_KERNEL, 1, md)!;
    memdesc_set_desc_page(DESC, page);
    expect(PageTable(page)).toBe(true);
    expect(PageTable(nth(page, 1))).toBe(false);
    expect(PageSlab(page) || PageZsmalloc(page) || PageBuddy(page)).toBe(false);
    expect(page_type_of(page)).toBe(PGTY_table);
    __SetPageTable(page);
    expect(page.page_type).toBe(PAGE_TYPE_NONE);
    __ClearPageTable(page);
    expect(PageTable(page)).toBe(true); // still the tag's
    memdesc_set_desc_page(DESC, null);
    __free_pages_memdesc(page, 1);
  });

  it('a misc word names its subtype; a tag of another type makes __SetPage*() fail', () => {
    const page = alloc_pages_memdesc(GFP_KERNEL, 0, memdesc_misc(MEMDESC_MISC_KMALLOC_LARGE, 0))!;
    expect(PageLargeKmalloc(page)).toBe(true);
    expect(page_type_of(page)).toBe(PGTY_large_kmalloc);
    expect(() => __SetPageTable(page)).toThrow(/__SetPageTable: memdesc type is not Table/);
    __free_pages_memdesc(page, 0);
  });

  it('a page without a word keeps its type in page_type, as before', () => {
    const page = alloc_pages(GFP_KERNEL, 0)!;
    __SetPageTable(page);
    expect(page.page_type >>> 24).toBe(PGTY_table);
    expect(PageTable(page)).toBe(true);
    __ClearPageTable(page);
    expect(page.page_type).toBe(PAGE_TYPE_NONE);
    __free_pages(page, 0);
  });
});

describe("a page's own words, through the layout", () => {
  beforeEach(() => { boot({ ram: 16 * 1024 * 1024 }); });

  it('read and reset by name; a name the layout has no word for reads 0 and resets nothing', () => {
    const page = alloc_pages(GFP_KERNEL, 0)!;
    page.index = 0x1234;
    expect(page_own_word(page, 'index')).toBe(0x1234);
    page_reset_own_word(page, 'index');
    expect(page.index).toBe(0);
    expect(page_own_word(page, 'no_such_word')).toBe(0);
    page_reset_own_word(page, 'no_such_word');
    expect(Object.keys(Page.OWN_WORDS).sort()).toEqual(['index', 'mapping', 'memcg_data', 'private']);
    __free_pages(page, 0);
  });

  it('a page that carries a memdesc word has none: asking is a kernel BUG', () => {
    const page = alloc_pages_memdesc(GFP_KERNEL, 0, memdesc_misc(MEMDESC_MISC_KMALLOC_LARGE, 0))!;
    expect(() => page_own_word(page, 'mapping')).toThrow(KernelBug);
    expect(() => page_reset_own_word(page, 'private')).toThrow(/page_own_word\(private\) of a page that carries a memdesc word/);
    __free_pages_memdesc(page, 0);
  });
});
