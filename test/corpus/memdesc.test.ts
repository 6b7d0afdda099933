/**
 * Stage-2 corpus infrastructure (issue 14 item 1): the memdesc word, alloc_pages_memdesc() and
 * its free side, descriptor caches, the struct slab bootstrap, and the debug checks on the word.
 * All of it is dormant: the last block checks that a booted machine uses none of it.
 */
import { describe, it, expect, beforeEach } from 'vitest';
import fc from 'fast-check';
import { boot } from '../../corpus/sim/boot.ts';
import {
  MEMDESC_TYPE_MISC, MEMDESC_TYPE_BUDDY, MEMDESC_TYPE_FILE, MEMDESC_TYPE_ANON, MEMDESC_TYPE_SLAB, MEMDESC_TYPE_PTDESC,
  MEMDESC_TYPE_ZPDESC, MEMDESC_TYPE_MANAGED, MEMDESC_TYPE_MOVABLE, MEMDESC_MISC_VMALLOC, MEMDESC_MISC_GUARD, MEMDESC_DESC_PAGE,
  memdesc_create, memdesc_type, memdesc_ptr, memdesc_misc, memdesc_misc_subtype, memdesc_misc_order,
  memdesc_misc_user_mappable, memdesc_valid, memdesc_type_has_desc, PageMemdesc, set_page_memdesc, page_memdesc,
  memdesc_desc, memdesc_slab, memdesc_ptdesc, memdesc_zpdesc, memdesc_folio, memdesc_misc_page, memdesc_desc_page,
  memdesc_set_desc_page, memdesc_stats, memdesc_check_all,
} from '../../corpus/include/linux/memdesc.ts';
import {
  alloc_pages_memdesc, alloc_page_memdesc, __free_pages_memdesc, __free_page_memdesc, GFP_KERNEL, __GFP_COMP,
} from '../../corpus/include/linux/gfp.ts';
import {
  alloc_pages, __free_pages, nr_free_pages, pcp_pages, drain_all_pages, free_blocks,
} from '../../corpus/mm/page_alloc.ts';
import {
  memdesc_cache_create, memdesc_cache, memdesc_cache_destroy, memdesc_alloc, memdesc_free,
} from '../../corpus/mm/slab_common.ts';
import {
  slab_memdesc_init, slab_desc_cache, SLAB_DESC_SLAB_CACHE, SLAB_DESC_SIZE, slab_inuse, kmem_cache_from_addr,
} from '../../corpus/mm/slub.ts';
import {
  kmem_cache_create, kmem_cache_alloc, kmem_cache_free, kmem_cache_destroy, kmem_cache_shrink, kfree, kmalloc,
  type KmemCache, SLAB_POISON, SLAB_RED_ZONE, SLAB_TYPESAFE_BY_RCU,
} from '../../corpus/include/linux/slab.ts';
import {
  page_to_pfn, pfn_to_page, compound_head, compound_order, page_address, virt_to_page, max_pfn, page_ref_count,
} from '../../corpus/include/linux/mm.ts';
import { PageTail, PageBuddy, PageSlab } from '../../corpus/include/linux/page-flags.ts';
import { Page, PAGE_MEMDESC_OFFSET, STRUCT_PAGE_SIZE } from '../../corpus/include/linux/mm_types.ts';
import { list_add, list_del, ListHead, INIT_LIST_HEAD } from '../../corpus/include/linux/list.ts';
import { PAGE_OFFSET, VMEMMAP_START } from '../../corpus/arch/x86/include/asm/page_64_types.ts';
import { KernelBug, formatKernelAddress } from '../../corpus/sim/errors.ts';
import { read64, read64hex, write64parts } from '../../corpus/sim/memory.ts';
import { static_alloc, KERNEL_LOAD_PHYS, KERNEL_IMAGE_SIZE } from '../../corpus/sim/kernel_image.ts';
import { propertySeed } from '../propertySeed.ts';

const MiB = 1024 * 1024;

function free_total(): number {
  return nr_free_pages() + pcp_pages();
}

function nth(page: Page, i: number): Page {
  return new Page(page.addr + i * STRUCT_PAGE_SIZE);
}

/** The KernelBug `fn` throws (fails the test when it throws none). */
function bugOf(fn: () => unknown): KernelBug {
  try {
    fn();
  } catch (e) {
    if (e instanceof KernelBug) return e;
    throw e;
  }
  throw new Error('expected a KernelBug');
}

/** A descriptor-shaped address (direct map, 16-byte aligned) for encode tests that allocate nothing. */
const DESC = PAGE_OFFSET + 0x800010;

describe('memdesc word: encoding', () => {
  it('round-trips pointer words and misc words (property test)', () => {
    const seed = propertySeed('memdesc encode');
    const pointerTypes = fc.integer({ min: MEMDESC_TYPE_FILE, max: MEMDESC_TYPE_MANAGED });
    // Descriptors anywhere in a 1 GiB direct map but the kernel image, 16-byte aligned.
    const imageStart = KERNEL_LOAD_PHYS / 16;
    const imageEnd = (KERNEL_LOAD_PHYS + KERNEL_IMAGE_SIZE) / 16;
    const desc = fc.oneof(fc.integer({ min: 1, max: imageStart - 1 }), fc.integer({ min: imageEnd, max: (1024 * MiB) / 16 - 1 }))
      .map((i) => PAGE_OFFSET + i * 16);
    fc.assert(
      fc.property(desc, pointerTypes, (d, t) => {
        const md = memdesc_create(d, t);
        return memdesc_type(md) === t && memdesc_ptr(md) === d && memdesc_valid(md) && md < VMEMMAP_START;
      }),
      { seed },
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 127 }), fc.integer({ min: 0, max: 63 }), fc.boolean(), (sub, order, user) => {
        const md = memdesc_misc(sub, order, user);
        return memdesc_type(md) === MEMDESC_TYPE_MISC && memdesc_misc_subtype(md) === sub &&
          memdesc_misc_order(md) === order && memdesc_misc_user_mappable(md) === user && memdesc_ptr(md) === 0 &&
          memdesc_valid(md);
      }),
      { seed },
    );
  });

  it('uses the 2025 tag numbers: misc 0, buddy 1, file 2, anon 3, slab 5, ptdesc 8, zpdesc 12', () => {
    expect([MEMDESC_TYPE_MISC, MEMDESC_TYPE_BUDDY, MEMDESC_TYPE_FILE, MEMDESC_TYPE_ANON, MEMDESC_TYPE_SLAB,
      MEMDESC_TYPE_PTDESC, MEMDESC_TYPE_ZPDESC]).toEqual([0, 1, 2, 3, 5, 8, 12]);
    expect(memdesc_type_has_desc(MEMDESC_TYPE_MISC)).toBe(false);
    expect(memdesc_type_has_desc(MEMDESC_TYPE_BUDDY)).toBe(false);
    expect(memdesc_type_has_desc(14)).toBe(false);
  });

  it('refuses words that cannot be memdescs', () => {
    boot({ ram: 16 * MiB });
    expect(bugOf(() => memdesc_create(DESC + 8, MEMDESC_TYPE_PTDESC)).message).toMatch(/not a 16-byte-aligned kernel address/);
    expect(bugOf(() => memdesc_create(DESC, MEMDESC_TYPE_BUDDY)).message).toMatch(/carries no descriptor/);
    expect(bugOf(() => memdesc_create(DESC, MEMDESC_TYPE_MISC)).message).toMatch(/carries no descriptor/);
    // A vmemmap address is a tail's link, never a descriptor.
    expect(bugOf(() => memdesc_create(VMEMMAP_START + 64, MEMDESC_TYPE_SLAB)).message).toMatch(/not a 16-byte-aligned/);
    expect(memdesc_valid(VMEMMAP_START + 65)).toBe(false); // head struct page | 1
    // Static data (list heads) in the kernel image is no descriptor either.
    expect(memdesc_valid(PAGE_OFFSET + KERNEL_LOAD_PHYS + 0x1000 + MEMDESC_TYPE_PTDESC)).toBe(false);
    expect(memdesc_valid(0)).toBe(false);
    expect(memdesc_valid(DESC + 14)).toBe(false); // unassigned tag
    expect(memdesc_valid(memdesc_misc(MEMDESC_MISC_VMALLOC, 2))).toBe(true);
  });

  it('an odd tag is not a tail: compound_head() and PageTail() see the page itself', () => {
    boot({ ram: 16 * MiB });
    // Odd (movable 7) and even tags; a folio's (file, anon) would keep the counts in DESC, which is no descriptor here.
    for (const t of [MEMDESC_TYPE_MOVABLE, MEMDESC_TYPE_SLAB, MEMDESC_TYPE_PTDESC]) {
      const page = alloc_pages_memdesc(GFP_KERNEL, 1, memdesc_create(DESC, t))!;
      for (const p of [page, nth(page, 1)]) {
        expect(PageTail(p)).toBe(false);
        expect(compound_head(p).addr).toBe(p.addr);
        expect(compound_order(p)).toBe(0);
      }
      __free_pages_memdesc(page, 1);
    }
    // Real compound tails still are tails.
    const comp = alloc_pages(GFP_KERNEL | __GFP_COMP, 2)!;
    expect(PageTail(nth(comp, 3))).toBe(true);
    expect(compound_head(nth(comp, 3)).addr).toBe(comp.addr);
    __free_pages(comp, 2);
  });
});

describe('alloc_pages_memdesc() and its free side', () => {
  let baseline = 0;
  beforeEach(() => {
    boot({ ram: 16 * MiB });
    drain_all_pages();
    baseline = free_total();
  });

  it('puts the word and the mark on every page of the block; refcount as alloc_pages()', () => {
    const md = memdesc_create(DESC, MEMDESC_TYPE_PTDESC);
    const page = alloc_pages_memdesc(GFP_KERNEL, 3, md)!;
    expect(page).not.toBeNull();
    for (let i = 0; i < 8; i++) {
      const p = nth(page, i);
      expect(PageMemdesc(p)).toBe(true);
      expect(p.memdesc).toBe(md);
      expect(page_memdesc(p)).toBe(md);
      expect(PageBuddy(p)).toBe(false);
    }
    expect(page_ref_count(page)).toBe(1);
    expect(free_total()).toBe(baseline - 8);
    const one = alloc_page_memdesc(GFP_KERNEL, memdesc_misc(MEMDESC_MISC_GUARD, 0))!;
    expect(memdesc_misc_page(one, MEMDESC_MISC_GUARD)).toBe(memdesc_misc(MEMDESC_MISC_GUARD, 0));
    __free_page_memdesc(one);
    __free_pages_memdesc(page, 3);
  });

  it('freeing clears the words and leaves the pages as the buddy allocator expects', () => {
    const order = 4;
    // A tag whose descriptor keeps no counts: DESC is no real descriptor to count in.
    const page = alloc_pages_memdesc(GFP_KERNEL, order, memdesc_create(DESC, MEMDESC_TYPE_SLAB))!;
    const pfn = page_to_pfn(page);
    __free_pages_memdesc(page, order);
    drain_all_pages();
    expect(free_total()).toBe(baseline);
    for (let i = 0; i < 1 << order; i++) {
      const p = pfn_to_page(pfn + i);
      expect(PageMemdesc(p)).toBe(false);
      expect(PageTail(p)).toBe(false);
    }
    // The block is back in a free block of the buddy lists (merged with its buddies or not).
    const covering = free_blocks().find(([start, o]) => start <= pfn && pfn + (1 << order) <= start + (1 << o));
    expect(covering).toBeDefined();
    expect(PageBuddy(pfn_to_page(covering![0]))).toBe(true);
    // The block's other pages hold 0 in w1 (the words were cleared; nothing links them), its first
    // page 0 or its free-list link: nothing a tail or a memdesc would be.
    for (let i = 1; i < 1 << order; i++) expect(pfn_to_page(pfn + i).memdesc).toBe(0);
    // And plain allocations get them again without a bad-page report.
    const again = alloc_pages(GFP_KERNEL, covering![1])!;
    expect(again).not.toBeNull();
    __free_pages(again, covering![1]);
  });

  it('a page reference held elsewhere keeps the block (and its words) until the last put', () => {
    // Not a folio's tag: those keep their counts in the descriptor (test/stage2/separateFolio.test.ts).
    const md = memdesc_create(DESC, MEMDESC_TYPE_SLAB);
    const page = alloc_pages_memdesc(GFP_KERNEL, 0, md)!;
    page._refcount = 2;
    __free_pages_memdesc(page, 0);
    expect(PageMemdesc(page)).toBe(true);
    expect(free_total()).toBe(baseline - 1);
    __free_pages_memdesc(page, 0);
    drain_all_pages();
    expect(free_total()).toBe(baseline);
  });

  it('a compound block (__GFP_COMP, a slab\'s) carries the word on its head only; refuses words that are not memdescs', () => {
    const md = memdesc_create(DESC, MEMDESC_TYPE_SLAB);
    const page = alloc_pages_memdesc(GFP_KERNEL | __GFP_COMP, 2, md)!;
    expect(page.memdesc).toBe(md);
    expect(compound_order(page)).toBe(2);
    for (let i = 1; i < 4; i++) {
      expect(PageMemdesc(nth(page, i))).toBe(false);
      expect(compound_head(nth(page, i)).addr).toBe(page.addr); // the tails still link to the head
    }
    __free_pages_memdesc(page, 2);
    drain_all_pages();
    expect(PageMemdesc(page)).toBe(false);
    expect(bugOf(() => alloc_pages_memdesc(GFP_KERNEL, 0, DESC + 1)).message).toMatch(/is not a memdesc/);
    expect(free_total()).toBe(baseline);
  });

  it('a memdesc page freed through __free_pages() is a bad page', () => {
    const page = alloc_pages_memdesc(GFP_KERNEL, 0, memdesc_create(DESC, MEMDESC_TYPE_PTDESC))!;
    const bug = bugOf(() => __free_pages(page, 0));
    expect(bug.message).toMatch(/Bad page state/);
    expect(bug.dump).toMatch(/page dumped because: memdesc page freed without __free_pages_memdesc\(\)/);
    expect(bug.dump.split('\n')[0]).toMatch(/^memdesc ffff888000800018 type:8\(ptdesc\)$/);
  });

  it('a word overwritten while allocated (a stale page->lru) is caught at free, on the page that differs', () => {
    const md = memdesc_create(DESC, MEMDESC_TYPE_PTDESC);
    const page = alloc_pages_memdesc(GFP_KERNEL, 2, md)!;
    const head = new ListHead(static_alloc(16));
    INIT_LIST_HEAD(head);
    const victim = nth(page, 2);
    list_add(victim.lru, head);
    list_del(victim.lru); // leaves LIST_POISON1/2 in w1-w2, as in the RFC's dump
    const bug = bugOf(() => __free_pages_memdesc(page, 2));
    expect(bug.message).toMatch(/__free_pages_memdesc: memdesc changed while allocated/);
    const lines = bug.dump.split('\n');
    expect(lines[0]).toBe('memdesc dead000000000100 type:0(misc) subtype:16 order:0');
    expect(bug.dump).toContain(`pfn:0x${(page_to_pfn(page) + 2).toString(16)}`);
    expect(bug.dump).toMatch(/raw: [0-9a-f]{16} dead000000000100 dead000000000122 0000000000000000/);
    expect(bug.dump).toMatch(/flags: 0x[0-9a-f]+\(memdesc\|zone=\d\)/);
  });
});

describe('descriptor caches', () => {
  beforeEach(() => {
    boot({ ram: 32 * MiB });
  });

  it('make 16-byte-aligned descriptors with a back pointer, counted per kind', () => {
    expect(memdesc_stats()).toEqual([]);
    const s = memdesc_cache_create('ptdesc', 40, MEMDESC_TYPE_PTDESC);
    expect(memdesc_cache(MEMDESC_TYPE_PTDESC)).toBe(s);
    expect(s.size % 16).toBe(0);
    const descs: number[] = [];
    for (let i = 0; i < 300; i++) {
      const d = memdesc_alloc(MEMDESC_TYPE_PTDESC, GFP_KERNEL);
      expect(d % 16).toBe(0);
      expect(memdesc_desc_page(d)).toBeNull();
      descs.push(d);
    }
    expect(new Set(descs).size).toBe(300);
    expect(memdesc_stats()).toEqual([{ kind: 'ptdesc', tag: MEMDESC_TYPE_PTDESC, object_size: s.size, objects: 300, peak_objects: 300 }]);

    // A page table page described by one of them: the word, the back pointer, the round trip.
    const d = descs[7]!;
    const page = alloc_page_memdesc(GFP_KERNEL, memdesc_create(d, MEMDESC_TYPE_PTDESC))!;
    memdesc_set_desc_page(d, page);
    expect(read64(d + MEMDESC_DESC_PAGE)).toBe(page.addr);
    expect(memdesc_ptdesc(page)).toBe(d);
    expect(memdesc_desc(page, MEMDESC_TYPE_PTDESC)).toBe(d);
    expect(memdesc_desc_page(memdesc_ptdesc(page))!.addr).toBe(page.addr);
    __free_page_memdesc(page);

    for (const x of descs.slice(0, 200)) memdesc_free(MEMDESC_TYPE_PTDESC, x);
    expect(memdesc_stats()[0]).toMatchObject({ objects: 100, peak_objects: 300 });
    for (const x of descs.slice(200)) memdesc_free(MEMDESC_TYPE_PTDESC, x);
    expect(memdesc_stats()[0]).toMatchObject({ objects: 0, peak_objects: 300 });
    memdesc_cache_destroy(MEMDESC_TYPE_PTDESC);
    expect(memdesc_stats()).toEqual([]);
  });

  it('allow one cache per type and none for misc or buddy', () => {
    memdesc_cache_create('zpdesc', 64, MEMDESC_TYPE_ZPDESC);
    expect(bugOf(() => memdesc_cache_create('zpdesc2', 64, MEMDESC_TYPE_ZPDESC)).message).toMatch(/already has a cache/);
    expect(bugOf(() => memdesc_cache_create('buddy', 32, MEMDESC_TYPE_BUDDY)).message).toMatch(/carries no descriptor/);
    expect(bugOf(() => memdesc_cache_create('tiny', 4, MEMDESC_TYPE_FILE)).message).toMatch(/no room for the back pointer/);
  });

  it('a fresh boot forgets the caches of the previous machine', () => {
    memdesc_cache_create('ptdesc', 64, MEMDESC_TYPE_PTDESC);
    boot({ ram: 32 * MiB });
    expect(memdesc_stats()).toEqual([]);
    expect(memdesc_cache(MEMDESC_TYPE_PTDESC)).toBeNull();
    expect(slab_desc_cache).toBeNull();
  });
});

describe('debug checks on the word', () => {
  beforeEach(() => {
    boot({ ram: 32 * MiB });
  });

  it('reading a page as another kind fires VM_BUG_ON_PAGE with a dump that prints the word', () => {
    memdesc_cache_create('ptdesc', 64, MEMDESC_TYPE_PTDESC);
    const d = memdesc_alloc(MEMDESC_TYPE_PTDESC, GFP_KERNEL);
    const md = memdesc_create(d, MEMDESC_TYPE_PTDESC);
    const page = alloc_page_memdesc(GFP_KERNEL, md)!;
    memdesc_set_desc_page(d, page);
    const bug = bugOf(() => memdesc_slab(page));
    expect(bug.message.split('\n')[0]).toBe('kernel BUG: memdesc_slab: memdesc type 8 (ptdesc), expected 5 (slab)');
    const lines = bug.dump.split('\n');
    const word = read64hex(page.addr + PAGE_MEMDESC_OFFSET).replace(/^0000/, 'ffff');
    expect(lines[0]).toBe(`memdesc ${word} type:8(ptdesc)`);
    expect(lines[1]).toBe(`page: refcount:1 mapcount:0 pfn:0x${page_to_pfn(page).toString(16)}`); // mapping and index are the descriptor's
    expect(lines.find((l) => l.startsWith('raw: '))!.split(' ')[2]).toBe(word);
    expect(lines.at(-1)).toBe('page dumped because: VM_BUG_ON_PAGE(memdesc_slab: memdesc type 8 (ptdesc), expected 5 (slab))');
    expect(bugOf(() => memdesc_zpdesc(page)).message).toMatch(/expected 12 \(zpdesc\)/);
    expect(bugOf(() => memdesc_folio(page)).message).toMatch(/expected 2 \(file\)/);
    expect(memdesc_ptdesc(page)).toBe(d);
    __free_page_memdesc(page);
  });

  it('a page without a memdesc, and a word clobbered by a list head, are caught too', () => {
    const plain = alloc_pages(GFP_KERNEL, 0)!;
    const bug = bugOf(() => memdesc_ptdesc(plain));
    expect(bug.message).toMatch(/memdesc_ptdesc: page carries no memdesc/);
    expect(bug.dump.split('\n')[0]).toMatch(/^page: /); // no memdesc line on a stage-1 page
    __free_pages(plain, 0);

    // The RFC's crash: page->lru used on a page-table page whose w1 is the memdesc word.
    memdesc_cache_create('ptdesc', 64, MEMDESC_TYPE_PTDESC);
    const d = memdesc_alloc(MEMDESC_TYPE_PTDESC, GFP_KERNEL);
    const page = alloc_page_memdesc(GFP_KERNEL, memdesc_create(d, MEMDESC_TYPE_PTDESC))!;
    memdesc_set_desc_page(d, page);
    const other = alloc_page_memdesc(GFP_KERNEL, memdesc_create(d, MEMDESC_TYPE_PTDESC))!;
    const list = new ListHead(static_alloc(16));
    INIT_LIST_HEAD(list);
    list_add(page.lru, list);
    list_add(other.lru, list);
    // other's w1 is now &page->lru: a vmemmap address ending in 8, which reads as tag 8 (ptdesc)
    // and must still be refused; page's w1 points at the list head in kernel data.
    const clobbered = bugOf(() => memdesc_ptdesc(other));
    expect(clobbered.dump.split('\n')[0]).toMatch(/^memdesc ffffea[0-9a-f]{9}8 type:8\(ptdesc\)$/);
    expect(clobbered.message).toMatch(/memdesc_ptdesc: memdesc ffffea[0-9a-f]+ is not a descriptor address/);
    expect(bugOf(() => memdesc_ptdesc(page)).message).toMatch(/memdesc_ptdesc: (memdesc type \d+|memdesc ffff8880[0-9a-f]+ is not a descriptor address)/);
  });

  it('a stale word that still says ptdesc fails the back-pointer round trip', () => {
    memdesc_cache_create('ptdesc', 64, MEMDESC_TYPE_PTDESC);
    const d = memdesc_alloc(MEMDESC_TYPE_PTDESC, GFP_KERNEL);
    const page = alloc_page_memdesc(GFP_KERNEL, memdesc_create(d, MEMDESC_TYPE_PTDESC))!;
    const other = alloc_page(memdesc_create(memdesc_alloc(MEMDESC_TYPE_PTDESC, GFP_KERNEL), MEMDESC_TYPE_PTDESC));
    memdesc_set_desc_page(d, other);
    expect(bugOf(() => memdesc_ptdesc(page)).message).toMatch(/descriptor's page .* does not carry this memdesc/);
    // Changing page's word by hand to a descriptor of its own passes again.
    set_page_memdesc(page, memdesc_create(d, MEMDESC_TYPE_PTDESC));
    memdesc_set_desc_page(d, page);
    expect(memdesc_ptdesc(page)).toBe(d);
  });

  function alloc_page(md: number): Page {
    return alloc_page_memdesc(GFP_KERNEL, md)!;
  }
});

describe('struct slab allocated separately: the bootstrap', () => {
  beforeEach(() => {
    boot({ ram: 32 * MiB });
  });

  /** Every distinct slab (first page) holding `objs`. */
  function slabsOf(objs: number[]): Page[] {
    const seen = new Map<number, Page>();
    for (const o of objs) {
      const h = compound_head(virt_to_page(o));
      seen.set(h.addr, h);
    }
    return [...seen.values()];
  }

  function checkDescribed(s: KmemCache, slab: Page): number {
    expect(PageSlab(slab)).toBe(true);
    expect(PageMemdesc(slab)).toBe(true);
    const desc = memdesc_slab(slab);
    expect(memdesc_desc_page(desc)!.addr).toBe(slab.addr);
    expect(read64(desc + SLAB_DESC_SLAB_CACHE)).toBe(s.addr);
    return desc;
  }

  it('gives every new slab a struct slab; slabs of struct slabs describe themselves; everything goes back', () => {
    const sd = slab_memdesc_init();
    expect(slab_memdesc_init()).toBe(sd); // idempotent
    expect(sd.object_size).toBe(SLAB_DESC_SIZE);
    const s = kmem_cache_create('memdesc-test', 512, 0, 0);
    const objs: number[] = [];
    // Enough slabs of `s` that their struct slabs fill more than two slabs of the descriptor cache.
    const perDescSlab = sd.objects - 1;
    const perSlab = s.objects;
    for (let i = 0; i < perSlab * (perDescSlab * 2 + 5); i++) objs.push(kmem_cache_alloc(s, GFP_KERNEL));
    expect(objs.every((o) => o !== 0)).toBe(true);

    const slabs = slabsOf(objs);
    const descs = slabs.map((slab) => checkDescribed(s, slab));
    // The struct slabs live in slabs of the descriptor cache, which are described by themselves.
    const descSlabs = slabsOf(descs);
    expect(descSlabs.length).toBeGreaterThanOrEqual(3);
    for (const ds of descSlabs) {
      const self = checkDescribed(sd, ds);
      expect(self).toBe(page_address(ds)); // object 0 of its own slab
      expect(kmem_cache_from_addr(ds.mapping)).toBe(sd);
    }
    const row = memdesc_stats().find((r) => r.kind === 'slab')!;
    expect(row.tag).toBe(MEMDESC_TYPE_SLAB);
    expect(row.objects).toBe(slabs.length + descSlabs.length);
    expect(memdesc_check_all()).toEqual([]);

    // Free every other object: slabs go on the partial list through their struct slab, and the
    // word survives (page->lru would have overwritten it).
    for (let i = 0; i < objs.length; i += 2) kmem_cache_free(s, objs[i]!);
    expect(s.node!.nr_partial).toBeGreaterThan(1);
    for (const slab of slabsOf(objs)) checkDescribed(s, slab);
    expect(memdesc_check_all()).toEqual([]);
    // New allocations come from those partial slabs (taken off the list through their struct slab).
    const slabCount = sd.node!.nr_slabs + s.node!.nr_slabs;
    const again: number[] = [];
    for (let i = 0; i < objs.length / 4; i++) again.push(kmem_cache_alloc(s, GFP_KERNEL));
    expect(sd.node!.nr_slabs + s.node!.nr_slabs).toBe(slabCount);
    expect(new Set(slabsOf(again).map((p) => p.addr)).size).toBeGreaterThan(1);
    for (const slab of slabsOf(again)) checkDescribed(s, slab);
    expect(memdesc_check_all()).toEqual([]);
    for (const o of again) kmem_cache_free(s, o);
    // kfree() finds the cache of an object of a separately described slab, as before.
    for (let i = 1; i < objs.length; i += 2) kfree(objs[i]!);
    kmem_cache_destroy(s);
    kmem_cache_shrink(sd);
    expect(sd.node!.nr_slabs).toBe(0);
    expect(memdesc_stats().find((r) => r.kind === 'slab')!.objects).toBe(0);
    expect(memdesc_stats().find((r) => r.kind === 'slab')!.peak_objects).toBe(slabs.length + descSlabs.length);
    const anyMemdesc = Array.from({ length: max_pfn() }, (_, pfn) => pfn).some((pfn) => PageMemdesc(pfn_to_page(pfn)));
    expect(anyMemdesc).toBe(false);
    expect(memdesc_check_all()).toEqual([]);
  });

  it('random allocations and frees on caches of every layout keep slabs described and leak nothing (property test)', () => {
    const seed = propertySeed('struct slab');
    const op = fc.record({ cache: fc.nat(3), free: fc.boolean(), index: fc.nat(), count: fc.integer({ min: 1, max: 40 }) });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        boot({ ram: 32 * MiB });
        slab_memdesc_init();
        const caches = [
          kmem_cache_create('md-a', 96, 0, 0),
          kmem_cache_create('md-poison', 200, 0, SLAB_POISON),
          kmem_cache_create('md-redzone', 1000, 0, SLAB_RED_ZONE),
          kmem_cache_create('md-rcu', 3000, 0, SLAB_TYPESAFE_BY_RCU),
        ];
        const live: number[][] = caches.map(() => []);
        for (const o of ops) {
          const s = caches[o.cache]!;
          const objs = live[o.cache]!;
          for (let i = 0; i < o.count; i++) {
            if (o.free && objs.length) kmem_cache_free(s, objs.splice((o.index + i) % objs.length, 1)[0]!);
            else if (!o.free) objs.push(kmem_cache_alloc(s, GFP_KERNEL));
          }
          if (memdesc_check_all().length) return false;
        }
        for (const [i, s] of caches.entries()) {
          for (const x of live[i]!) kmem_cache_free(s, x);
          kmem_cache_destroy(s);
        }
        kmem_cache_shrink(slab_desc_cache!);
        return memdesc_check_all().length === 0 && slab_desc_cache!.node!.nr_slabs === 0 &&
          memdesc_stats().find((r) => r.kind === 'slab')!.objects === 0;
      }),
      { seed, numRuns: 25 },
    );
  });

  it('caches that existed before keep struct slab in struct page', () => {
    const p = kmalloc(64, GFP_KERNEL);
    slab_memdesc_init();
    const q = kmalloc(64, GFP_KERNEL);
    expect(PageMemdesc(compound_head(virt_to_page(p)))).toBe(false);
    expect(PageMemdesc(compound_head(virt_to_page(q)))).toBe(false);
    kfree(p);
    kfree(q);
    const s = kmem_cache_create('after', 64, 0, 0);
    const o = kmem_cache_alloc(s, GFP_KERNEL);
    expect(slab_inuse(compound_head(virt_to_page(o)))).toBeGreaterThan(0);
    expect(PageMemdesc(compound_head(virt_to_page(o)))).toBe(true);
    kmem_cache_free(s, o);
    kmem_cache_destroy(s);
  });

  it('refuses to destroy the struct slab cache', () => {
    slab_memdesc_init();
    expect(bugOf(() => memdesc_cache_destroy(MEMDESC_TYPE_SLAB)).message).toMatch(/describes slabs/);
  });
});

describe('memdesc_check_all(): the whole-machine invariants', () => {
  it('is clean with described pages, and names a leak, a missing back pointer and a clobbered word', () => {
    boot({ ram: 16 * MiB });
    expect(memdesc_check_all()).toEqual([]);
    memdesc_cache_create('ptdesc', 64, MEMDESC_TYPE_PTDESC);
    const d = memdesc_alloc(MEMDESC_TYPE_PTDESC, GFP_KERNEL);
    // Allocated, named by no page: a leak.
    expect(memdesc_check_all()).toEqual(['ptdesc: 1 descriptors allocated, 0 named by pages']);
    const page = alloc_pages_memdesc(GFP_KERNEL, 1, memdesc_create(d, MEMDESC_TYPE_PTDESC))!;
    const pfn = page_to_pfn(page);
    expect(memdesc_check_all()).toEqual([
      `pfn 0x${pfn.toString(16)}: ptdesc descriptor ${formatKernelAddress(d)} has no back pointer`,
      `pfn 0x${(pfn + 1).toString(16)}: ptdesc descriptor ${formatKernelAddress(d)} has no back pointer`,
    ]);
    memdesc_set_desc_page(d, page);
    expect(memdesc_check_all()).toEqual([]);
    const misc = alloc_page_memdesc(GFP_KERNEL, memdesc_misc(MEMDESC_MISC_VMALLOC, 0))!;
    expect(memdesc_check_all()).toEqual([]);
    write64parts(nth(page, 1).addr + PAGE_MEMDESC_OFFSET, 0xdead0000, 0x100); // a stale list_del() on the second page
    expect(memdesc_check_all()).toEqual([`pfn 0x${(pfn + 1).toString(16)}: memdesc dead000000000100 is not a valid word`]);
    set_page_memdesc(nth(page, 1), memdesc_create(d, MEMDESC_TYPE_PTDESC));
    __free_pages_memdesc(page, 1);
    __free_page_memdesc(misc);
    memdesc_free(MEMDESC_TYPE_PTDESC, d);
    expect(memdesc_check_all()).toEqual([]);
  });
});

describe('dormant', () => {
  it('a booted machine has no descriptor cache and no page with a memdesc', () => {
    boot({ ram: 16 * MiB });
    expect(memdesc_stats()).toEqual([]);
    expect(slab_desc_cache).toBeNull();
    let marked = 0;
    for (let pfn = 0; pfn < max_pfn(); pfn++) if (PageMemdesc(pfn_to_page(pfn))) marked++;
    expect(marked).toBe(0);
  });
});
