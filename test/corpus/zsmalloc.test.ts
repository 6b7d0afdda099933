import { describe, it, expect, beforeEach } from 'vitest';
import fc from 'fast-check';
import { boot } from '../../corpus/sim/boot.ts';
import {
  zs_class_table, zs_create_pool, zs_destroy_pool, zs_malloc, zs_free, zs_map_object, zs_unmap_object,
  zs_get_total_pages, zs_compact, zs_pool_stats, zs_huge_class_size, zs_lookup_class_index, zs_zspage,
  zs_movable_ops, zs_obj_location, zs_class_stats, zs_stats_size_show, calculate_zspage_chain_size,
  get_size_class_index, ZS_SIZE_CLASSES, ZS_MIN_ALLOC_SIZE, ZS_SIZE_CLASS_DELTA, ZS_HANDLE_SIZE, ZSPAGE_MAGIC,
  OBJ_INDEX_BITS, OBJ_ALLOCATED_TAG, type ZsPool,
} from '../../corpus/mm/zsmalloc.ts';
import { nr_free_pages, pcp_pages, drain_all_pages, global_zone_page_state, alloc_page, __free_page } from '../../corpus/mm/page_alloc.ts';
import { page_to_pfn, pfn_to_page, page_address, page_ref_count } from '../../corpus/include/linux/mm.ts';
import { soft_offline_page } from '../../corpus/mm/memory-failure.ts';
import {
  PageZsmalloc, PagePrivate, PageLocked, SetPageLocked, ClearPageLocked, PAGE_MAPPING_MOVABLE, PGTY_zsmalloc,
  __PageMovable, PageHWPoison,
} from '../../corpus/include/linux/page-flags.ts';
import { Page } from '../../corpus/include/linux/mm_types.ts';
import { ZoneStat } from '../../corpus/include/linux/mmzone.ts';
import { GFP_KERNEL } from '../../corpus/include/linux/gfp.ts';
import { copy_from, copy_to, read64, read32 } from '../../corpus/sim/memory.ts';
import { KernelBug } from '../../corpus/sim/errors.ts';
import { find_report } from '../../corpus/sim/reports.ts';
import { zswap_boot_params } from '../../corpus/mm/zswap.ts';
import { propertySeed } from '../propertySeed.ts';

// The pool tests expect no other zsmalloc pool: boot without zswap (zswap.enabled=0).
zswap_boot_params.enabled = false;

const RAM = 64 * 1024 * 1024;
const PAGE_SIZE = 4096;

/* ---- an independent statement of the kernel's class rules, to check the module against ---- */

function chain_size(size: number): number {
  if ((size & (size - 1)) === 0) return 1;
  let best = 1;
  let least = Infinity;
  for (let i = 1; i <= 8; i++) {
    const waste = (i * PAGE_SIZE) % size;
    if (waste < least) { least = waste; best = i; }
  }
  return best;
}

function geometry(index: number): { size: number; pages: number; objs: number } {
  const size = Math.min(32 + 16 * index, 4096);
  const pages = chain_size(size);
  return { size, pages, objs: Math.floor((pages * PAGE_SIZE) / size) };
}

/* ---- object contents ---- */

function pattern(handle: number, len: number, salt: number): Uint8Array {
  const out = new Uint8Array(len);
  let x = (handle % 0x7fffffff) ^ Math.imul(salt + 1, 0x9e3779b1);
  for (let i = 0; i < len; i++) {
    x = Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + i;
    out[i] = x >>> 24;
  }
  return out;
}

function write_obj(pool: ZsPool, handle: number, data: Uint8Array): void {
  const addr = zs_map_object(pool, handle, 'wo');
  copy_to(addr, data);
  zs_unmap_object(pool, handle);
}

function read_obj(pool: ZsPool, handle: number, len: number): Uint8Array {
  const addr = zs_map_object(pool, handle, 'ro');
  const out = copy_from(addr, len);
  zs_unmap_object(pool, handle);
  return out;
}

/** Byte-array equality without vitest's per-element diffing (slow on 4 KiB arrays). */
function expect_bytes(actual: Uint8Array, expected: Uint8Array): void {
  if (!Buffer.from(actual.buffer, actual.byteOffset, actual.length).equals(Buffer.from(expected.buffer, expected.byteOffset, expected.length))) {
    expect(Array.from(actual)).toEqual(Array.from(expected));
  }
}

function free_total(): number {
  return nr_free_pages() + pcp_pages();
}

/** Where an object starts: [page, offset in page], from the class geometry. */
function obj_offset(pool: ZsPool, handle: number, size: number): { page: Page; off: number; class_size: number } {
  const { page, obj_idx } = zs_obj_location(handle);
  const index = zs_lookup_class_index(pool, size + ZS_HANDLE_SIZE);
  const class_size = geometry(index).size;
  return { page, off: (class_size * obj_idx) % PAGE_SIZE, class_size };
}

/** The component pages of the zspage that holds `page`, first to last. */
function zspage_pages(page: Page): Page[] {
  const zspage = zs_zspage(page.private)!;
  const pages: Page[] = [];
  for (let p: Page | null = zspage.first_page; p; p = zspage.huge ? null : (p.index ? new Page(p.index) : null)) {
    pages.push(p);
  }
  return pages;
}

/** Check every zpdesc field of the zspage that holds `page` against the class geometry. */
function check_zspage(page: Page): void {
  const zaddr = page.private;
  const zspage = zs_zspage(zaddr)!;
  expect(zspage).toBeDefined();
  expect(zspage.magic).toBe(ZSPAGE_MAGIC);
  const g = geometry(zspage.class);
  const pages = zspage_pages(page);
  expect(pages).toHaveLength(g.pages);
  expect(zspage.huge).toBe(g.pages === 1 && g.objs === 1);
  const mops = zs_movable_ops();
  pages.forEach((p, k) => {
    expect(p.private).toBe(zaddr);
    expect(PagePrivate(p)).toBe(k === 0);
    expect(PageZsmalloc(p)).toBe(true);
    expect(p.mapping).toBe(mops + PAGE_MAPPING_MOVABLE);
    expect(page_ref_count(p)).toBe(1);
    const first_obj = Math.ceil((k * PAGE_SIZE) / g.size) * g.size - k * PAGE_SIZE;
    expect(p.page_type & 0xffffff).toBe(first_obj);
    if (!zspage.huge) expect(p.index).toBe(k + 1 < pages.length ? pages[k + 1]!.addr : 0);
  });
  if (zspage.huge) {
    const h = pages[0]!.index;
    expect(zspage.inuse === 1 ? h % 2 === 1 && read64(h - 1) === page_to_pfn(pages[0]!) * 2 ** OBJ_INDEX_BITS : h === 0).toBe(true);
  }
}

describe('zsmalloc size classes (no machine)', () => {
  const table = zs_class_table();

  it('has 255 classes of 32 + 16*i bytes', () => {
    expect(ZS_SIZE_CLASSES).toBe(255);
    expect(ZS_MIN_ALLOC_SIZE).toBe(32);
    expect(ZS_SIZE_CLASS_DELTA).toBe(16);
    expect(table).toHaveLength(255);
    table.forEach((c, i) => {
      expect(c.index).toBe(i);
      expect(c.size).toBe(32 + 16 * i);
    });
  });

  it('matches hand-computed kernel values', () => {
    // 32 B: power of 2, one page, 128 objects.
    expect(table[0]).toEqual({ index: 0, size: 32, class_size: 32, pages_per_zspage: 1, objs_per_zspage: 128 });
    // 48 B: 4096 % 48 = 16, 8192 % 48 = 32, 12288 % 48 = 0 -> 3 pages, 256 objects.
    expect(table[1]).toEqual({ index: 1, size: 48, class_size: 48, pages_per_zspage: 3, objs_per_zspage: 256 });
    // 3072 B: 12288 % 3072 = 0 -> 3 pages, 4 objects.
    expect(table[190]).toEqual({ index: 190, size: 3072, class_size: 3072, pages_per_zspage: 3, objs_per_zspage: 4 });
    // 4096 B: power of 2 -> huge: one page, one object.
    expect(table[254]).toEqual({ index: 254, size: 4096, class_size: 4096, pages_per_zspage: 1, objs_per_zspage: 1 });
    // 3264 B: 16384 % 3264 = 64 is the least waste -> 4 pages, 5 objects.
    expect(calculate_zspage_chain_size(3264)).toBe(4);
    expect(calculate_zspage_chain_size(2048)).toBe(1);
    expect(calculate_zspage_chain_size(112)).toBe(7);
  });

  it('agrees with an independent statement of the chain-size rule', () => {
    for (let i = 0; i < 255; i++) {
      const g = geometry(i);
      const used = table[(table[i]!.class_size - 32) / 16]!;
      expect(used.pages_per_zspage).toBe(g.pages);
      expect(used.objs_per_zspage).toBe(g.objs);
      expect(table[i]!.pages_per_zspage).toBe(g.pages);
      expect(table[i]!.objs_per_zspage).toBe(g.objs);
    }
  });

  it('merges every index into the next bigger class with identical pages and objects', () => {
    const distinct = new Map<string, number>();
    for (let i = 0; i < 255; i++) {
      const c = table[i]!;
      expect(c.class_size).toBeGreaterThanOrEqual(c.size);
      const j = (c.class_size - 32) / 16;
      const owner = table[j]!;
      expect(owner.class_size).toBe(owner.size);
      // Every index from i up to the owner shares the owner's geometry and maps to it.
      for (let k = i; k <= j; k++) {
        expect(table[k]!.class_size).toBe(c.class_size);
        expect(geometry(k).pages).toBe(owner.pages_per_zspage);
        expect(geometry(k).objs).toBe(owner.objs_per_zspage);
      }
      // The next bigger index past the owner does not share it (or the merge would go on).
      if (j + 1 < 255) {
        const next = geometry(j + 1);
        expect(next.pages === owner.pages_per_zspage && next.objs === owner.objs_per_zspage).toBe(false);
      }
      if (c.class_size === c.size) {
        const key = `${c.pages_per_zspage}/${c.objs_per_zspage}`;
        // Distinct classes may repeat a geometry only if not neighbours; merging is of neighbours.
        distinct.set(key, (distinct.get(key) ?? 0) + 1);
      }
    }
    // Classes that are distinct never have identical pages and objs as their bigger neighbour.
    const owners = table.filter((c) => c.class_size === c.size);
    for (let k = 0; k + 1 < owners.length; k++) {
      const a = owners[k]!;
      const b = owners[k + 1]!;
      expect(a.pages_per_zspage === b.pages_per_zspage && a.objs_per_zspage === b.objs_per_zspage).toBe(false);
    }
    // Huge sizes all collapse into the 4096 B class.
    for (const c of table) {
      if (c.pages_per_zspage === 1 && c.objs_per_zspage === 1) expect(c.class_size).toBe(4096);
    }
    expect(owners.length).toBe(new Set(table.map((c) => c.class_size)).size);
  });

  it('registers the class table as a standalone report', () => {
    const r = find_report('zsmalloc-classes')!;
    expect(r.standalone).toBe(true);
    expect(r.json!()).toEqual(table);
    const lines = r.text().split('\n');
    expect(lines).toHaveLength(256);
    expect(lines[1]!.trim().split(/\s+/).map(Number)).toEqual([0, 32, 32, 1, 128]);
  });

  it('finds size class indices like get_size_class_index', () => {
    expect(get_size_class_index(1)).toBe(0);
    expect(get_size_class_index(32)).toBe(0);
    expect(get_size_class_index(33)).toBe(1);
    expect(get_size_class_index(48)).toBe(1);
    expect(get_size_class_index(49)).toBe(2);
    expect(get_size_class_index(4096)).toBe(254);
    expect(get_size_class_index(4104)).toBe(254);
  });
});

describe('zsmalloc pool', () => {
  let pool: ZsPool;
  beforeEach(() => {
    boot({ ram: RAM });
    pool = zs_create_pool('test');
  });

  it('sets huge_class_size from the first multi-page, multi-object class from the top', () => {
    const table = zs_class_table();
    let expected = 0;
    for (let i = 254; i >= 0 && !expected; i--) {
      const c = table[i]!;
      if (c.pages_per_zspage !== 1 && c.objs_per_zspage !== 1) expected = c.size - (ZS_HANDLE_SIZE - 1);
    }
    expect(zs_huge_class_size(pool)).toBe(expected);
    expect(expected).toBe(3632 - 7);
  });

  it('maps every handle back to the bytes written, including straddling and huge objects', () => {
    const sizes = [1, 8, 24, 25, 40, 100, 500, 1000, 1500, 2000, 2500, 3000, 3072, 3500, 3624, 3625, 3700, 4000, 4088, 4089, 4096];
    const live: Array<{ h: number; size: number; data: Uint8Array }> = [];
    let straddling = 0;
    let huge = 0;
    for (let round = 0; round < 12; round++) {
      for (const size of sizes) {
        const h = zs_malloc(pool, size, GFP_KERNEL);
        expect(h).not.toBe(0);
        const data = pattern(h, size, round);
        write_obj(pool, h, data);
        live.push({ h, size, data });
        const { page, off, class_size } = obj_offset(pool, h, size);
        const zspage = zs_zspage(page.private)!;
        if (zspage.huge) huge++;
        else if (off + class_size > PAGE_SIZE) straddling++;
      }
    }
    expect(straddling).toBeGreaterThan(10);
    expect(huge).toBeGreaterThan(10);
    for (const o of live) expect_bytes(read_obj(pool, o.h, o.size), o.data);
    // rw maps copy in and out.
    for (const o of live.slice(0, 40)) {
      const addr = zs_map_object(pool, o.h, 'rw');
      const cur = copy_from(addr, o.size);
      expect_bytes(cur, o.data);
      cur.reverse();
      copy_to(addr, cur);
      zs_unmap_object(pool, o.h);
      o.data = cur;
    }
    for (const o of live) expect_bytes(read_obj(pool, o.h, o.size), o.data);
    for (const o of live) zs_free(pool, o.h);
    expect(zs_get_total_pages(pool)).toBe(0);
  });

  it('lays out objects: handle header, free links, obj = pfn << 24 | index', () => {
    const h1 = zs_malloc(pool, 100, GFP_KERNEL);
    const h2 = zs_malloc(pool, 100, GFP_KERNEL);
    const obj = read64(h1);
    const { page, obj_idx } = zs_obj_location(h1);
    expect(obj).toBe(page_to_pfn(page) * 2 ** OBJ_INDEX_BITS + obj_idx);
    expect(obj_idx).toBe(0);
    expect(zs_obj_location(h2).obj_idx).toBe(1);
    // Allocated objects start with handle | OBJ_ALLOCATED_TAG; data follows at +8.
    const base = page_address(page);
    expect(read64(base)).toBe(h1 + OBJ_ALLOCATED_TAG);
    const cls = 112; // 100 + 8 -> class 112
    expect(read64(base + cls)).toBe(h2 + OBJ_ALLOCATED_TAG);
    expect(zs_map_object(pool, h1, 'ro')).toBe(base + ZS_HANDLE_SIZE);
    zs_unmap_object(pool, h1);
    // The next free object holds the following index << OBJ_TAG_BITS.
    expect(read64(base + 2 * cls)).toBe(3 << 1);
    zs_free(pool, h1);
    // The freed object links to the old freelist head (index 2).
    expect(read64(base)).toBe(2 << 1);
    zs_free(pool, h2);
  });

  it('uses exactly the zpdesc struct page fields on component pages', () => {
    const mops = zs_movable_ops();
    expect(mops % 8).toBe(0);
    // 3072 B objects: 3 pages per zspage, 4 objects, most straddling.
    const handles = [1, 2, 3, 4].map(() => zs_malloc(pool, 3000, GFP_KERNEL));
    const first = zs_obj_location(handles[0]!).page;
    const zaddr = first.private;
    const zspage = zs_zspage(zaddr)!;
    expect(zspage.magic).toBe(ZSPAGE_MAGIC);
    expect(zspage.inuse).toBe(4);
    expect(zspage.huge).toBe(false);
    const pages = zspage_pages(first);
    expect(pages).toHaveLength(3);
    expect(global_zone_page_state(ZoneStat.NR_ZSPAGES)).toBe(3);
    const class_size = 3072;
    pages.forEach((p, k) => {
      expect(p.private).toBe(zaddr);
      expect(PagePrivate(p)).toBe(k === 0);
      expect(p.index).toBe(k + 1 < pages.length ? pages[k + 1]!.addr : 0);
      expect(PageZsmalloc(p)).toBe(true);
      expect(p.page_type >>> 24).toBe(PGTY_zsmalloc);
      // First object starting in page k.
      const first_obj = Math.ceil((k * PAGE_SIZE) / class_size) * class_size - k * PAGE_SIZE;
      expect(p.page_type & 0xffffff).toBe(first_obj);
      expect(p.mapping).toBe(mops + PAGE_MAPPING_MOVABLE);
      expect(__PageMovable(p)).toBe(true);
      expect(PageLocked(p)).toBe(false);
      expect(page_ref_count(p)).toBe(1);
      expect(p.memcg_data).toBe(0);
    });
    for (const h of handles) zs_free(pool, h);
    expect(zs_zspage(zaddr)).toBeUndefined();
    expect(global_zone_page_state(ZoneStat.NR_ZSPAGES)).toBe(0);
    // Freed pages carry nothing of zsmalloc's (page_alloc's free checks passed as well).
    for (const p of pages) {
      expect(p.page_type === 0xffffffff || p.page_type >>> 24 === 0xf0).toBe(true);
      expect(PagePrivate(p)).toBe(false);
      expect(p.mapping).toBe(0);
      expect(p.index).toBe(0);
    }
  });

  it('soft offline migrates zsmalloc pages (first, middle, straddled and huge): every handle follows, the old frame is poisoned', () => {
    const sizes = [100, 1000, 2500, 3000, 3624, 4000, 4096];
    const live: Array<{ h: number; size: number; data: Uint8Array }> = [];
    for (let round = 0; round < 6; round++) {
      for (const size of sizes) {
        const h = zs_malloc(pool, size, GFP_KERNEL);
        const data = pattern(h, size, round);
        write_obj(pool, h, data);
        live.push({ h, size, data });
      }
    }
    // Every page of every zspage, once: component pages of multi-page zspages and huge pages.
    const pfns = new Set<number>();
    for (const o of live) {
      const zspage = zs_zspage(zs_obj_location(o.h).page.private)!;
      // page.index chains the component pages (a huge page keeps its handle there instead).
      for (let p: Page | null = zspage.first_page!; p; p = !zspage.huge && p.index ? new Page(p.index) : null) pfns.add(page_to_pfn(p));
    }
    const pages = zs_get_total_pages(pool);
    const free = nr_free_pages();
    let huge = 0;
    for (const pfn of pfns) {
      const old = pfn_to_page(pfn);
      const zspage = zs_zspage(old.private)!;
      if (zspage.huge) huge++;
      const handleWord = old.index;
      const r = soft_offline_page(pfn);
      expect(r.result, r.owner).toBe('Recovered');
      expect(PageHWPoison(old)).toBe(true);
      expect(PageZsmalloc(old)).toBe(false);
      expect(old.mapping).toBe(0);
      const to = pfn_to_page(parseInt(/migrated to 0x([0-9a-f]+)/.exec(r.owner)![1]!, 16));
      expect(PageZsmalloc(to)).toBe(true);
      expect(__PageMovable(to)).toBe(true);
      expect(to.private).toBe(zspage.addr);
      if (zspage.huge) expect(to.index).toBe(handleWord);
    }
    expect(huge).toBeGreaterThan(3);
    // The pool still has as many pages; one frame per migration left the free pages for good.
    expect(zs_get_total_pages(pool)).toBe(pages);
    expect(nr_free_pages()).toBe(free - pfns.size);
    for (const o of live) {
      expect(pfns.has(page_to_pfn(zs_obj_location(o.h).page))).toBe(false);
      expect_bytes(read_obj(pool, o.h, o.size), o.data);
    }
    for (const o of live) zs_free(pool, o.h);
    expect(zs_get_total_pages(pool)).toBe(0);
  });

  it('soft offline refuses pages it cannot migrate and takes free pages off the lists', () => {
    const slabPage = alloc_page(GFP_KERNEL)!;
    const r = soft_offline_page(page_to_pfn(slabPage));
    expect([r.result, r.owner]).toEqual(['Failed', 'EBUSY']);
    expect(PageHWPoison(slabPage)).toBe(false);
    __free_page(slabPage);
    drain_all_pages();
    const f = soft_offline_page(page_to_pfn(slabPage));
    expect(f.result).toBe('Recovered');
    expect(PageHWPoison(slabPage)).toBe(true);
    expect(soft_offline_page(page_to_pfn(slabPage)).result).toBe('Ignored');
  });

  it('keeps the handle of a huge object in page.index', () => {
    const h = zs_malloc(pool, 4000, GFP_KERNEL);
    const { page, obj_idx } = zs_obj_location(h);
    expect(obj_idx).toBe(0);
    const zspage = zs_zspage(page.private)!;
    expect(zspage.huge).toBe(true);
    expect(PagePrivate(page)).toBe(true);
    expect(page.index).toBe(h + OBJ_ALLOCATED_TAG);
    expect(page.page_type).toBe((PGTY_zsmalloc << 24) >>> 0);
    // No header: the data starts at the page.
    expect(zs_map_object(pool, h, 'wo')).toBe(page_address(page));
    zs_unmap_object(pool, h);
    zs_free(pool, h);
    expect(zs_get_total_pages(pool)).toBe(0);
  });

  it('returns every page to the buddy allocator when everything is freed', () => {
    // Warm the slab caches the pool and its handles use, then take the baseline.
    const warm = Array.from({ length: 600 }, (_, i) => zs_malloc(pool, 1 + ((i * 97) % 4096), GFP_KERNEL));
    for (const h of warm) zs_free(pool, h);
    drain_all_pages();
    const baseline = free_total();
    const hs: number[] = [];
    for (let i = 0; i < 600; i++) hs.push(zs_malloc(pool, 1 + ((i * 97) % 4096), GFP_KERNEL));
    expect(free_total()).toBeLessThan(baseline);
    expect(zs_get_total_pages(pool)).toBe(global_zone_page_state(ZoneStat.NR_ZSPAGES));
    for (const h of hs) zs_free(pool, h);
    drain_all_pages();
    expect(zs_get_total_pages(pool)).toBe(0);
    expect(global_zone_page_state(ZoneStat.NR_ZSPAGES)).toBe(0);
    expect(free_total()).toBe(baseline);
  });

  it('gives back the caches and pool memory on zs_destroy_pool', () => {
    const cycle = (p: ZsPool) => {
      const hs = Array.from({ length: 500 }, (_, i) => zs_malloc(p, 1 + ((i * 131) % 4096), GFP_KERNEL));
      for (const h of hs) zs_free(p, h);
      zs_destroy_pool(p);
    };
    cycle(pool);
    cycle(zs_create_pool('warm'));
    drain_all_pages();
    const baseline = free_total();
    cycle(zs_create_pool('again'));
    drain_all_pages();
    expect(free_total()).toBe(baseline);
    expect(find_report('zsmalloc')!.text()).toBe('(no zsmalloc pools)');
  });

  it('defers freeing a zspage whose page is locked, and reuses or frees it later', () => {
    const hs = [1, 2, 3, 4].map(() => zs_malloc(pool, 3000, GFP_KERNEL));
    const first = zs_obj_location(hs[0]!).page;
    const pages = zspage_pages(first);
    SetPageLocked(pages[1]!);
    for (const h of hs) zs_free(pool, h);
    // Still there: trylock_zspage failed, the zspage waits on the 0% list.
    expect(zs_get_total_pages(pool)).toBe(3);
    expect(PageLocked(pages[0]!)).toBe(false);
    check_zspage(first);
    // An allocation of the same class takes it back.
    const h = zs_malloc(pool, 3000, GFP_KERNEL);
    expect(zs_obj_location(h).page.private).toBe(first.private);
    zs_free(pool, h);
    ClearPageLocked(pages[1]!);
    // zs_destroy_pool flushes the deferred free.
    zs_destroy_pool(pool);
    expect(global_zone_page_state(ZoneStat.NR_ZSPAGES)).toBe(0);
    for (const p of pages) expect(PageZsmalloc(p)).toBe(false);
  });

  it('compacts sparse zspages into full ones and keeps every handle valid', () => {
    const live: Array<{ h: number; size: number; data: Uint8Array }> = [];
    for (let i = 0; i < 3000; i++) {
      const size = [100, 700, 1500, 3000][i % 4]!;
      const h = zs_malloc(pool, size, GFP_KERNEL);
      const data = pattern(h, size, i);
      write_obj(pool, h, data);
      live.push({ h, size, data });
    }
    // Free two objects in three.
    const kept = live.filter((_, i) => i % 3 === 0);
    for (const [i, o] of live.entries()) if (i % 3 !== 0) zs_free(pool, o.h);
    const before = zs_get_total_pages(pool);
    const freeable = zs_class_stats(pool).reduce((n, c) => n + c.freeable, 0);
    expect(freeable).toBeGreaterThan(0);
    const freed = zs_compact(pool);
    expect(freed).toBeGreaterThan(0);
    expect(zs_get_total_pages(pool)).toBe(before - freed);
    expect(zs_pool_stats(pool).pages_compacted).toBe(freed);
    expect(zs_class_stats(pool).reduce((n, c) => n + c.freeable, 0)).toBe(0);
    for (const o of kept) expect_bytes(read_obj(pool, o.h, o.size), o.data);
    for (const o of kept) check_zspage(zs_obj_location(o.h).page);
    for (const o of kept) zs_free(pool, o.h);
    expect(zs_get_total_pages(pool)).toBe(0);
  });

  it('refuses to compact a zspage with a mapped object', () => {
    const hs = Array.from({ length: 40 }, () => zs_malloc(pool, 3000, GFP_KERNEL));
    for (let i = 1; i < hs.length; i += 2) zs_free(pool, hs[i]!);
    zs_map_object(pool, hs[0]!, 'ro');
    expect(() => zs_map_object(pool, hs[2]!, 'ro')).toThrow(KernelBug);
    expect(() => zs_compact(pool)).toThrow(KernelBug);
  });

  it('rejects sizes it cannot hold and handles of other pools', () => {
    expect(zs_malloc(pool, 0, GFP_KERNEL)).toBe(0);
    expect(zs_malloc(pool, 4097, GFP_KERNEL)).toBe(0);
    const other = zs_create_pool('other');
    const h = zs_malloc(other, 64, GFP_KERNEL);
    expect(() => zs_free(pool, h)).toThrow(KernelBug);
    zs_free(other, h);
    zs_destroy_pool(other);
  });

  it('prints the debugfs classes table in the kernel layout', () => {
    // 120 + 8 B -> class 6 (128 B): one page, 32 objects; 10 objects = 31% -> the 40% column.
    const hs = Array.from({ length: 10 }, () => zs_malloc(pool, 120, GFP_KERNEL));
    const text = zs_stats_size_show(pool);
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^ class  size +10% +20% .* +99% +100% obj_allocated +obj_used pages_used pages_per_zspage freeable$/);
    const row = lines.find((l) => /^ +6 +128 /.test(l))!;
    expect(row).toBeDefined();
    const cols = row.trim().split(/\s+/).map(Number);
    // class, size, 11 ratio columns, obj_allocated, obj_used, pages_used, pages_per_zspage, freeable
    expect(cols).toHaveLength(18);
    expect(cols.slice(13)).toEqual([32, 10, 1, 1, 0]);
    expect(cols[2 + 3]).toBe(1);
    expect(lines.at(-1)).toMatch(/^ Total/);
    const report = find_report('zsmalloc')!;
    expect(report.text()).toContain('==> /sys/kernel/debug/zsmalloc/test/classes <==');
    for (const h of hs) zs_free(pool, h);
    zs_destroy_pool(pool);
    expect(report.text()).toBe('(no zsmalloc pools)');
  });
});

describe('zsmalloc property: random malloc/free/compact', () => {
  it('keeps data, accounting and struct pages consistent', () => {
    const seed = propertySeed('zsmalloc');
    const op = fc.oneof(
      { weight: 6, arbitrary: fc.record({ kind: fc.constant('malloc' as const), size: fc.integer({ min: 1, max: 4096 }) }) },
      { weight: 4, arbitrary: fc.record({ kind: fc.constant('free' as const), pick: fc.nat() }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('compact' as const) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('burst' as const), size: fc.integer({ min: 1, max: 4096 }), n: fc.integer({ min: 10, max: 120 }) }) },
    );
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 250 }), (ops) => {
        boot({ ram: 32 * 1024 * 1024 });
        const pool = zs_create_pool('prop');
        const live: Array<{ h: number; size: number; data: Uint8Array }> = [];
        let salt = 0;
        const malloc = (size: number) => {
          const h = zs_malloc(pool, size, GFP_KERNEL);
          if (!h) throw new Error('zs_malloc failed');
          const data = pattern(h, size, salt++);
          write_obj(pool, h, data);
          live.push({ h, size, data });
        };
        for (const o of ops) {
          if (o.kind === 'malloc') malloc(o.size);
          else if (o.kind === 'burst') for (let i = 0; i < o.n; i++) malloc(1 + ((o.size + i * 61) % 4096));
          else if (o.kind === 'free') {
            if (!live.length) continue;
            const [victim] = live.splice(o.pick % live.length, 1);
            zs_free(pool, victim!.h);
          } else {
            zs_compact(pool);
            expect(zs_class_stats(pool).every((c) => c.freeable === 0)).toBe(true);
          }
          expect(zs_get_total_pages(pool)).toBe(global_zone_page_state(ZoneStat.NR_ZSPAGES));
        }
        const stats = zs_class_stats(pool);
        expect(stats.reduce((n, c) => n + c.obj_used, 0)).toBe(live.length);
        expect(stats.reduce((n, c) => n + c.pages_used, 0)).toBe(zs_get_total_pages(pool));
        for (const o of live) {
          expect_bytes(read_obj(pool, o.h, o.size), o.data);
          const { page } = zs_obj_location(o.h);
          expect(PageZsmalloc(page)).toBe(true);
          const pages = zspage_pages(page);
          expect(pages.some((p) => p.addr === page.addr)).toBe(true);
          check_zspage(page);
        }
        for (const o of live) zs_free(pool, o.h);
        expect(zs_get_total_pages(pool)).toBe(0);
        expect(global_zone_page_state(ZoneStat.NR_ZSPAGES)).toBe(0);
        zs_destroy_pool(pool);
      }),
      { seed, numRuns: 40 },
    );
  });
});

void read32;
