/**
 * Stage 2 in the corpus (dormant until `memdesc separate folio`): a page carrying a folio's
 * memdesc word (file or anon) has its refcount and mapcount in the folio's descriptor. The
 * allocation's back-pointer call moves the counts there; get_page()/put_page()/page_ref_*()/
 * page_mapcount() and rmap's updates use them; the page's own w6 stays a free page's (0, -1);
 * the last put_page() gives the word and the descriptor back before the page is freed; a poisoned
 * frame keeps both. Pages without such a word (every page before stage 2) keep their own counts.
 */
import { describe, expect, it } from 'vitest';
import { boot } from '../../corpus/sim/boot.ts';
import {
  MEMDESC_TYPE_ANON, MEMDESC_TYPE_FILE, MEMDESC_TYPE_SLAB, MEMDESC_FOLIO_REFCOUNT, MEMDESC_FOLIO_MAPCOUNT,
  memdesc_create, memdesc_set_desc_page, memdesc_stats, memdesc_check_all, PageMemdesc, page_has_desc_type,
} from '../../corpus/include/linux/memdesc.ts';
import { alloc_pages_memdesc, GFP_KERNEL } from '../../corpus/include/linux/gfp.ts';
import { nr_free_pages, pcp_pages, drain_all_pages, alloc_pages, __free_pages } from '../../corpus/mm/page_alloc.ts';
import { memdesc_cache_create, memdesc_alloc, memdesc_free } from '../../corpus/mm/slab_common.ts';
import {
  get_page, put_page, page_count, page_ref_count, set_page_count, page_mapcount, page_mapped,
  page_mapcount_raw, set_page_mapcount_raw,
} from '../../corpus/include/linux/mm.ts';
import { SetPageHWPoison } from '../../corpus/include/linux/page-flags.ts';
import { read32s } from '../../corpus/sim/memory.ts';
import type { Page } from '../../corpus/include/linux/mm_types.ts';

const MiB = 1024 * 1024;

function free_total(): number {
  return nr_free_pages() + pcp_pages();
}

/** The descriptor cache of `type`, with a slab already (so that free page counts compare). */
function warm(type: number): void {
  if (memdesc_stats().some((r) => r.tag === type)) return;
  memdesc_cache_create('folio', 56, type);
  memdesc_free(type, memdesc_alloc(type, GFP_KERNEL));
}

/** A folio page as `memdesc separate folio` allocates one: descriptor, word, back pointer. */
function folio(type: number): { page: Page; desc: number } {
  warm(type);
  const desc = memdesc_alloc(type, GFP_KERNEL);
  const page = alloc_pages_memdesc(GFP_KERNEL, 0, memdesc_create(desc, type))!;
  memdesc_set_desc_page(desc, page);
  return { page, desc };
}

describe('a folio page\'s counts are its folio\'s', () => {
  it('the back pointer moves the counts into the descriptor; every accessor uses them; the page keeps a free page\'s', () => {
    boot({ ram: 16 * MiB });
    const { page, desc } = folio(MEMDESC_TYPE_ANON);
    expect(read32s(desc + MEMDESC_FOLIO_REFCOUNT)).toBe(1);
    expect(read32s(desc + MEMDESC_FOLIO_MAPCOUNT)).toBe(-1);
    expect(page._refcount).toBe(0);
    expect(page._mapcount).toBe(-1);
    get_page(page);
    expect(page_count(page)).toBe(2);
    expect(page_ref_count(page)).toBe(2);
    expect(read32s(desc + MEMDESC_FOLIO_REFCOUNT)).toBe(2);
    set_page_mapcount_raw(page, 0);
    expect(page_mapcount(page)).toBe(1);
    expect(page_mapped(page)).toBe(true);
    expect(page_mapcount_raw(page)).toBe(0);
    expect(read32s(desc + MEMDESC_FOLIO_MAPCOUNT)).toBe(0);
    // The page's own w6 never moved.
    expect(page._refcount).toBe(0);
    expect(page._mapcount).toBe(-1);
    set_page_mapcount_raw(page, -1);
    expect(memdesc_check_all()).toEqual([]);
  });

  it('the last put_page() gives the word and the descriptor back, then the page', () => {
    boot({ ram: 16 * MiB });
    warm(MEMDESC_TYPE_FILE);
    const before = free_total();
    const { page } = folio(MEMDESC_TYPE_FILE);
    const row = () => memdesc_stats().find((r) => r.tag === MEMDESC_TYPE_FILE)!;
    expect(row().objects).toBe(1);
    get_page(page);
    put_page(page);
    expect(PageMemdesc(page)).toBe(true);
    put_page(page);
    expect(PageMemdesc(page)).toBe(false);
    expect(row().objects).toBe(0);
    drain_all_pages();
    expect(free_total()).toBe(before);
    expect(memdesc_check_all()).toEqual([]);
  });

  it('a poisoned frame keeps its word and its descriptor (it never goes back)', () => {
    boot({ ram: 16 * MiB });
    warm(MEMDESC_TYPE_ANON);
    const before = free_total();
    const { page } = folio(MEMDESC_TYPE_ANON);
    SetPageHWPoison(page);
    put_page(page);
    expect(page_has_desc_type(page, MEMDESC_TYPE_ANON)).toBe(true);
    expect(memdesc_stats().find((r) => r.tag === MEMDESC_TYPE_ANON)!.objects).toBe(1);
    drain_all_pages();
    expect(free_total()).toBe(before - 1);
    expect(memdesc_check_all()).toEqual([]);
  });

  it('pages without a folio\'s word keep their own counts (a slab word; no word at all)', () => {
    boot({ ram: 16 * MiB });
    memdesc_cache_create('slab', 48, MEMDESC_TYPE_SLAB);
    const desc = memdesc_alloc(MEMDESC_TYPE_SLAB, GFP_KERNEL);
    const page = alloc_pages_memdesc(GFP_KERNEL, 0, memdesc_create(desc, MEMDESC_TYPE_SLAB))!;
    memdesc_set_desc_page(desc, page);
    expect(page._refcount).toBe(1);
    set_page_count(page, 3);
    expect(page._refcount).toBe(3);
    expect(page_has_desc_type(page, MEMDESC_TYPE_ANON, MEMDESC_TYPE_FILE)).toBe(false);
    set_page_count(page, 1);
    const plain = alloc_pages(GFP_KERNEL, 0)!;
    get_page(plain);
    expect(plain._refcount).toBe(2);
    expect(page_count(plain)).toBe(2);
    put_page(plain);
    __free_pages(plain, 0);
  });
});
