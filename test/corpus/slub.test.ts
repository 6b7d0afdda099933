import { describe, it, expect, beforeEach } from 'vitest';
import fc from 'fast-check';
import { boot } from '../../corpus/sim/boot.ts';
import {
  kmalloc, kzalloc, kmalloc_array, kfree, ksize, kmem_cache_create, kmem_cache_alloc, kmem_cache_zalloc,
  kmem_cache_free, kmem_cache_destroy, kmem_cache_shrink, kmem_cache_from_addr, kmalloc_slab, kmalloc_index,
  slabinfo_stats, type KmemCache, SLAB_HWCACHE_ALIGN, SLAB_RECLAIM_ACCOUNT, SLAB_TYPESAFE_BY_RCU, SLAB_POISON,
  SLAB_RED_ZONE, SLAB_PANIC, ZERO_SIZE_PTR,
} from '../../corpus/include/linux/slab.ts';
import {
  kmem_cache, kmem_cache_node, slab_inuse, slab_objects, slab_frozen, get_freepointer, KMEM_CACHE_NODE,
  KMEM_CACHE_NODE_PARTIAL, calculate_order,
} from '../../corpus/mm/slub.ts';
import { all_kmem_caches, kmalloc_cache, slabinfo } from '../../corpus/mm/slab_common.ts';
import { GFP_KERNEL, __GFP_COMP, __GFP_NOWARN } from '../../corpus/include/linux/gfp.ts';
import { virt_to_page, compound_head, compound_order, page_address, page_size } from '../../corpus/include/linux/mm.ts';
import { Page } from '../../corpus/include/linux/mm_types.ts';
import { PageSlab, PageLargeKmalloc, PageHead, PGTY_slab, PAGE_TYPE_NONE } from '../../corpus/include/linux/page-flags.ts';
import { list_for_each_entry, list_is_poisoned } from '../../corpus/include/linux/list.ts';
import { ZoneStat } from '../../corpus/include/linux/mmzone.ts';
import { nr_free_pages, pcp_pages, global_zone_page_state, alloc_pages } from '../../corpus/mm/page_alloc.ts';
import { read64, write64, bytes } from '../../corpus/sim/memory.ts';
import { KernelBug } from '../../corpus/sim/errors.ts';
import { find_report } from '../../corpus/sim/reports.ts';
import { trace_lines } from '../../corpus/sim/trace.ts';
import { propertySeed } from '../propertySeed.ts';

const MiB = 1024 * 1024;

function head(obj: number): Page {
  return compound_head(virt_to_page(obj));
}

function cacheOf(obj: number): KmemCache {
  return kmem_cache_from_addr(head(obj).mapping);
}

function partialSlabs(s: KmemCache): Page[] {
  return list_for_each_entry(s.node!.partial, Page, 'lru');
}

function freeAndCached(): number {
  return nr_free_pages() + pcp_pages();
}

function shrinkAll(): void {
  for (const s of all_kmem_caches()) kmem_cache_shrink(s);
}

describe('SLUB: boot and cache geometry', () => {
  beforeEach(() => {
    boot({ ram: 32 * MiB });
  });

  it('maps kmalloc sizes to the kernel cache table', () => {
    const expected: Array<[number, string]> = [
      [1, 'kmalloc-8'], [8, 'kmalloc-8'], [9, 'kmalloc-16'], [64, 'kmalloc-64'], [65, 'kmalloc-96'], [96, 'kmalloc-96'],
      [97, 'kmalloc-128'], [128, 'kmalloc-128'], [129, 'kmalloc-192'], [192, 'kmalloc-192'], [193, 'kmalloc-256'],
      [4096, 'kmalloc-4k'], [8192, 'kmalloc-8k'],
    ];
    for (const [size, name] of expected) {
      expect(kmalloc_slab(size, GFP_KERNEL)!.name, `size ${size}`).toBe(name);
      const obj = kmalloc(size, GFP_KERNEL);
      expect(cacheOf(obj).name).toBe(name);
      expect(ksize(obj)).toBe(kmalloc_slab(size, GFP_KERNEL)!.size);
      kfree(obj);
    }
    expect(kmalloc_index(65)).toBe(1);
    expect(kmalloc_index(129)).toBe(2);
    expect(kmalloc_index(193)).toBe(8);
    expect(kmalloc_slab(8193, GFP_KERNEL)).toBeNull();
    const big = kmalloc(8193, GFP_KERNEL);
    expect(PageSlab(head(big))).toBe(false);
    expect(PageLargeKmalloc(head(big))).toBe(true);
    kfree(big);
  });

  it('creates the kmalloc caches after the two boot caches, listed newest first', () => {
    const names = all_kmem_caches().map((s) => s.name);
    const tail = names.slice(names.indexOf('kmalloc-8k'));
    expect(tail).toEqual([
      'kmalloc-8k', 'kmalloc-4k', 'kmalloc-2k', 'kmalloc-1k', 'kmalloc-512', 'kmalloc-256', 'kmalloc-192', 'kmalloc-128',
      'kmalloc-96', 'kmalloc-64', 'kmalloc-32', 'kmalloc-16', 'kmalloc-8', 'kmem_cache_node', 'kmem_cache',
    ]);
  });

  it('computes size, offset, order and objects like calculate_sizes()', () => {
    const geo = (s: KmemCache) => [s.size, s.object_size, s.offset, s.order, s.objects, s.align];
    expect(geo(kmalloc_cache(3)!)).toEqual([8, 8, 0, 0, 512, 8]);
    expect(geo(kmalloc_cache(6)!)).toEqual([64, 64, 32, 0, 64, 64]);
    expect(geo(kmalloc_cache(1)!)).toEqual([96, 96, 48, 0, 42, 8]);
    expect(geo(kmalloc_cache(2)!)).toEqual([192, 192, 96, 0, 21, 8]);
    expect(geo(kmalloc_cache(10)!)).toEqual([1024, 1024, 512, 1, 8, 1024]);
    expect(geo(kmalloc_cache(13)!)).toEqual([8192, 8192, 4096, 3, 4, 8192]);
    expect(kmalloc_cache(13)!.allocflags & __GFP_COMP).toBe(__GFP_COMP);
    expect(kmalloc_cache(6)!.allocflags & __GFP_COMP).toBe(0);
    expect(kmem_cache_node!.size).toBe(64);
    expect(kmem_cache!.size).toBe(256);
    expect(kmem_cache!.objects).toBe(16);
    expect(kmalloc_cache(6)!.min_partial).toBe(5);

    const plain = kmem_cache_create('t_plain', 20, 0, 0);
    expect(geo(plain)).toEqual([24, 20, 8, 0, 170, 8]);
    const withCtor = kmem_cache_create('t_ctor', 20, 0, 0, () => {});
    expect([withCtor.size, withCtor.offset]).toEqual([32, 24]);
    const rcu = kmem_cache_create('t_rcu', 64, 0, SLAB_TYPESAFE_BY_RCU);
    expect([rcu.size, rcu.offset]).toEqual([72, 64]);
    const hw = kmem_cache_create('t_hw', 100, 0, SLAB_HWCACHE_ALIGN);
    expect([hw.align, hw.size, hw.offset]).toEqual([64, 128, 48]);
    const small = kmem_cache_create('t_hw_small', 24, 0, SLAB_HWCACHE_ALIGN);
    expect(small.align).toBe(32);
    const task = kmem_cache_create('t_task', 3456, 64, SLAB_HWCACHE_ALIGN);
    expect([task.size, task.order, task.objects]).toEqual([3456, 3, 9]);
    expect(calculate_order(4096)).toBe(3);
    for (const s of [plain, withCtor, rcu, hw, small, task]) kmem_cache_destroy(s);
  });

  it('gives kmem_cache and kmem_cache_node objects real addresses in their own slabs', () => {
    const kc = kmem_cache!;
    // The cache of caches lives in one of its own objects.
    expect(head(kc.addr).mapping).toBe(kc.addr);
    expect(head(kmem_cache_node!.addr).mapping).toBe(kc.addr);
    const s = kmem_cache_create('t_addr', 128, 0, 0);
    expect(PageSlab(head(s.addr))).toBe(true);
    expect(head(s.addr).mapping).toBe(kc.addr);
    expect(kmem_cache_from_addr(s.addr)).toBe(s);
    const n = s.node!;
    expect(head(n.addr).mapping).toBe(kmem_cache_node!.addr);
    expect(read64(s.addr + KMEM_CACHE_NODE)).toBe(n.addr);
    expect(n.partial.addr).toBe(n.addr + KMEM_CACHE_NODE_PARTIAL);
    expect(n.partial.next).toBe(n.partial.addr);
    kmem_cache_destroy(s);
    expect(() => kmem_cache_from_addr(s.addr)).toThrow(KernelBug);
  });

  it('resets all state on every boot', () => {
    const first = slabinfo();
    const s = kmem_cache_create('t_reset', 64, 0, 0);
    kmem_cache_alloc(s, GFP_KERNEL);
    kmalloc(100, GFP_KERNEL);
    boot({ ram: 32 * MiB });
    expect(slabinfo()).toBe(first);
    expect(all_kmem_caches().some((c) => c.name === 't_reset')).toBe(false);
  });
});

describe('SLUB: objects and slab pages', () => {
  beforeEach(() => {
    boot({ ram: 32 * MiB });
  });

  it('hands out objects that never overlap and stay inside their slab', () => {
    const sizes = [8, 16, 24, 64, 96, 100, 128, 192, 256, 500, 1024, 2000, 4096, 8000];
    const objs: Array<[number, number]> = [];
    for (let i = 0; i < 600; i++) {
      const size = sizes[i % sizes.length]!;
      const obj = kmalloc(size, GFP_KERNEL);
      expect(obj).not.toBe(0);
      const page = head(obj);
      expect(PageSlab(page)).toBe(true);
      const s = cacheOf(obj);
      const base = page_address(page);
      expect(obj).toBeGreaterThanOrEqual(base);
      expect(obj + s.size).toBeLessThanOrEqual(base + page_size(page));
      expect((obj - base) % s.size).toBe(0);
      objs.push([obj, s.size]);
    }
    objs.sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < objs.length; i++) expect(objs[i - 1]![0] + objs[i - 1]![1]).toBeLessThanOrEqual(objs[i]![0]);
    for (const [obj] of objs) kfree(obj);
  });

  it('keeps free pointers inside free objects (CPU freelist and slab freelist)', () => {
    const s = kmem_cache_create('t_fp', 64, 0, 0);
    const a = kmem_cache_alloc(s, GFP_KERNEL);
    const b = kmem_cache_alloc(s, GFP_KERNEL);
    const next = s.cpu_freelist;
    kmem_cache_free(s, b);
    expect(read64(b + s.offset)).toBe(next);
    kmem_cache_free(s, a);
    expect(get_freepointer(s, a)).toBe(b);
    expect(s.cpu_freelist).toBe(a);
    // LIFO
    expect(kmem_cache_alloc(s, GFP_KERNEL)).toBe(a);
    expect(kmem_cache_alloc(s, GFP_KERNEL)).toBe(b);

    // Fill the CPU slab so that a's slab becomes full and a new CPU slab is taken.
    const rest: number[] = [];
    do rest.push(kmem_cache_alloc(s, GFP_KERNEL));
    while (head(rest[rest.length - 1]!).addr === head(a).addr);
    const slab = head(a);
    expect(s.cpu_page!.addr).not.toBe(slab.addr);
    expect(slab.index).toBe(0);
    kmem_cache_free(s, a);
    expect(slab.index).toBe(a);
    expect(read64(a + s.offset)).toBe(0);
    kmem_cache_free(s, b);
    expect(slab.index).toBe(b);
    expect(read64(b + s.offset)).toBe(a);
    for (const o of rest) kmem_cache_free(s, o);
    kmem_cache_destroy(s);
  });

  it('uses struct page exactly as the stage-0 table says', () => {
    const s = kmem_cache_create('t_fields', 256, 0, 0);
    const per = s.objects;
    const objs: number[] = [];
    for (let i = 0; i < per + 1; i++) objs.push(kmem_cache_alloc(s, GFP_KERNEL));
    const full = head(objs[0]!);
    const cpu = head(objs[per]!);
    expect(full.addr).not.toBe(cpu.addr);

    // Full slab: on no list, freelist empty, inuse == objects, not frozen.
    expect(PageSlab(full)).toBe(true);
    expect(full.page_type >>> 24).toBe(PGTY_slab);
    expect(full.mapping).toBe(s.addr);
    expect(full.index).toBe(0);
    expect([slab_inuse(full), slab_objects(full), slab_frozen(full)]).toEqual([per, per, 0]);
    expect(full.private).toBe(per + per * 0x10000);
    expect(s.node!.nr_partial).toBe(0);
    expect(list_is_poisoned(full.lru)).toBe(true);

    // CPU slab: frozen, its free objects on the CPU freelist.
    expect(cpu.private).toBe(per + per * 0x10000 + 0x80000000);
    expect(cpu.index).toBe(0);
    expect(s.cpu_page!.addr).toBe(cpu.addr);

    // A free makes the full slab partial: on the node list through page->lru.
    kmem_cache_free(s, objs[3]!);
    expect(s.node!.nr_partial).toBe(1);
    expect(partialSlabs(s).map((p) => p.addr)).toEqual([full.addr]);
    expect(full.lru.prev).toBe(s.node!.partial.addr);
    expect([slab_inuse(full), slab_frozen(full), full.index]).toEqual([per - 1, 0, objs[3]]);

    // Statistics and zone counters.
    const row = slabinfo_stats().find((r) => r.name === 't_fields')!;
    expect(row).toMatchObject({ num_objs: 2 * per, active_objs: 2 * per - 1, num_slabs: 2, objsize: 256, objperslab: per });

    // Destroy frees everything and clears the page words.
    for (const o of objs) if (o !== objs[3]) kmem_cache_free(s, o);
    kmem_cache_destroy(s);
    for (const p of [full, cpu]) {
      expect(PageSlab(p)).toBe(false);
      expect(p.mapping).toBe(0);
      expect(p.page_type).toBe(PAGE_TYPE_NONE);
    }
  });

  it('moves slabs between full, partial and free like SLUB', () => {
    const s = kmem_cache_create('t_partial', 512, 0, 0);
    const per = s.objects;
    const slabs: number[][] = [];
    for (let k = 0; k < 7; k++) {
      const objs: number[] = [];
      for (let i = 0; i < per; i++) objs.push(kmem_cache_alloc(s, GFP_KERNEL));
      slabs.push(objs);
    }
    // Slabs 0..5 are full (slab 6 is the CPU slab); every object of a slab shares its page.
    for (const objs of slabs) expect(new Set(objs.map((o) => head(o).addr)).size).toBe(1);
    const n = s.node!;
    expect(n.nr_partial).toBe(0);
    expect(n.nr_slabs).toBe(7);
    const unrecl = global_zone_page_state(ZoneStat.NR_SLAB_UNRECLAIMABLE);

    for (let k = 0; k < 6; k++) kmem_cache_free(s, slabs[k]!.pop()!);
    expect(n.nr_partial).toBe(6);
    // Tail insertion: in the order the slabs became partial.
    expect(partialSlabs(s).map((p) => p.addr)).toEqual(slabs.slice(0, 6).map((o) => head(o[0]!).addr));

    // Empty slab with nr_partial >= min_partial: discarded.
    const p0 = head(slabs[0]![0]!);
    for (const o of slabs[0]!) kmem_cache_free(s, o);
    expect(PageSlab(p0)).toBe(false);
    expect(n.nr_partial).toBe(5);
    expect(n.nr_slabs).toBe(6);
    expect(global_zone_page_state(ZoneStat.NR_SLAB_UNRECLAIMABLE)).toBe(unrecl - 1);
    const p1 = head(slabs[1]![0]!);
    for (const o of slabs[1]!) kmem_cache_free(s, o);
    expect(PageSlab(p1)).toBe(false);
    expect(n.nr_partial).toBe(4);
    // Below min_partial: the empty slab stays on the partial list.
    const p2 = head(slabs[2]![0]!);
    for (const o of slabs[2]!) kmem_cache_free(s, o);
    expect(PageSlab(p2)).toBe(true);
    expect(slab_inuse(p2)).toBe(0);
    expect(n.nr_partial).toBe(4);

    // Shrink drops empty slabs and deactivates the CPU slab.
    kmem_cache_shrink(s);
    expect(PageSlab(p2)).toBe(false);
    expect(s.cpu_page).toBeNull();
    // Slabs 3, 4 and 5; the former CPU slab had no free object left, so it is full and on no list.
    expect(n.nr_partial).toBe(3);
    expect(partialSlabs(s).map((p) => p.addr)).toEqual(slabs.slice(3, 6).map((o) => head(o[0]!).addr));
    expect(slab_frozen(head(slabs[6]![0]!))).toBe(0);
    for (const objs of slabs.slice(3)) for (const o of objs) kmem_cache_free(s, o);
    kmem_cache_destroy(s);
  });

  it('accounts reclaimable and unreclaimable slab pages', () => {
    const before = [global_zone_page_state(ZoneStat.NR_SLAB_RECLAIMABLE)];
    const r = kmem_cache_create('t_rcl', 1000, 0, SLAB_RECLAIM_ACCOUNT);
    const objs = [kmem_cache_alloc(r, GFP_KERNEL)];
    expect(global_zone_page_state(ZoneStat.NR_SLAB_RECLAIMABLE)).toBe(before[0]! + (1 << r.order));
    kmem_cache_free(r, objs[0]!);
    kmem_cache_destroy(r);
    expect(global_zone_page_state(ZoneStat.NR_SLAB_RECLAIMABLE)).toBe(before[0]!);
    // The zone counter agrees with slabinfo.
    const pages = slabinfo_stats().reduce((n, row) => n + row.num_slabs * row.pagesperslab, 0);
    expect(global_zone_page_state(ZoneStat.NR_SLAB_UNRECLAIMABLE) + global_zone_page_state(ZoneStat.NR_SLAB_RECLAIMABLE)).toBe(pages);
  });

  it('runs the constructor on new slabs and keeps constructed objects intact while free', () => {
    const seen: number[] = [];
    const s = kmem_cache_create('t_ctor2', 48, 0, 0, (obj) => {
      seen.push(obj);
      bytes(obj, 48).fill(0x5c);
    });
    const a = kmem_cache_alloc(s, GFP_KERNEL);
    expect(seen.length).toBe(s.objects);
    expect(bytes(a, 48).every((b) => b === 0x5c)).toBe(true);
    kmem_cache_free(s, a);
    expect(bytes(a, 48).every((b) => b === 0x5c)).toBe(true);
    expect(kmem_cache_alloc(s, GFP_KERNEL)).toBe(a);
    kmem_cache_free(s, a);
    kmem_cache_destroy(s);
  });

  it('zeroes kzalloc and kmem_cache_zalloc objects', () => {
    const a = kmalloc(200, GFP_KERNEL);
    bytes(a, 200).fill(0xff);
    kfree(a);
    const b = kzalloc(200, GFP_KERNEL);
    expect(b).toBe(a);
    expect(bytes(b, 192).every((x) => x === 0)).toBe(true);
    kfree(b);
    const s = kmem_cache_create('t_z', 40, 0, 0);
    const c = kmem_cache_alloc(s, GFP_KERNEL);
    bytes(c, 40).fill(0xee);
    kmem_cache_free(s, c);
    const d = kmem_cache_zalloc(s, GFP_KERNEL);
    expect(bytes(d, 40).every((x) => x === 0)).toBe(true);
    kmem_cache_free(s, d);
    kmem_cache_destroy(s);
  });

  it('handles kmalloc(0), kfree(NULL), ksize and kmalloc_array overflow', () => {
    expect(kmalloc(0, GFP_KERNEL)).toBe(ZERO_SIZE_PTR);
    expect(() => kfree(0)).not.toThrow();
    expect(() => kfree(ZERO_SIZE_PTR)).not.toThrow();
    expect(ksize(0)).toBe(0);
    expect(ksize(ZERO_SIZE_PTR)).toBe(0);
    expect(kmalloc_array(2 ** 40, 2 ** 30, GFP_KERNEL)).toBe(0);
    const arr = kmalloc_array(10, 12, GFP_KERNEL);
    expect(ksize(arr)).toBe(128);
    kfree(arr);
    expect(kmalloc(8 * MiB, GFP_KERNEL | __GFP_NOWARN)).toBe(0);
    expect(kmalloc(-1, GFP_KERNEL | __GFP_NOWARN)).toBe(0);
  });

  it('serves large kmalloc from the page allocator with PGTY_large_kmalloc', () => {
    const before = global_zone_page_state(ZoneStat.NR_KMALLOC_LARGE);
    const free0 = freeAndCached();
    const a = kmalloc(8193, GFP_KERNEL);
    expect(a % 4096).toBe(0);
    const page = virt_to_page(a);
    expect(PageLargeKmalloc(page)).toBe(true);
    expect(PageHead(page)).toBe(true);
    expect(compound_order(page)).toBe(2);
    expect(ksize(a)).toBe(16384);
    expect(head(a + 12000).addr).toBe(page.addr);
    expect(global_zone_page_state(ZoneStat.NR_KMALLOC_LARGE)).toBe(before + 4);
    const z = kzalloc(100000, GFP_KERNEL);
    expect(bytes(z, 100000).every((x) => x === 0)).toBe(true);
    kfree(z);
    kfree(a);
    expect(PageLargeKmalloc(page)).toBe(false);
    expect(global_zone_page_state(ZoneStat.NR_KMALLOC_LARGE)).toBe(before);
    expect(freeAndCached()).toBe(free0);
    const max = kmalloc(4 * MiB, GFP_KERNEL);
    expect(max).not.toBe(0);
    kfree(max);
  });
});

describe('SLUB: memory exhaustion', () => {
  it('falls back to the minimum order, returns 0 when memory runs out, and recovers', () => {
    boot({ ram: 16 * MiB });
    shrinkAll();
    const baseline = freeAndCached();
    const s = kmalloc_cache(12)!; // kmalloc-4k: order 3, fallback order 0
    const objs: number[] = [];
    for (;;) {
      const o = kmalloc(4096, GFP_KERNEL | __GFP_NOWARN);
      if (o === 0) break;
      objs.push(o);
    }
    expect(objs.length).toBeGreaterThan(1000);
    const orders = new Set(objs.map((o) => compound_order(head(o))));
    expect(orders.has(3)).toBe(true);
    expect(orders.has(0)).toBe(true); // fallback slabs: one object each
    for (const o of objs) if (compound_order(head(o)) === 0) expect(slab_objects(head(o))).toBe(1);
    for (const o of objs) kfree(o);
    kmem_cache_shrink(s);
    expect(freeAndCached()).toBe(baseline);
  });
});

describe('SLUB: debug checks', () => {
  beforeEach(() => {
    boot({ ram: 32 * MiB });
  });

  it('detects a double free on the CPU freelist and on a slab freelist', () => {
    const a = kmalloc(64, GFP_KERNEL);
    kfree(a);
    expect(() => kfree(a)).toThrow(/double free or corruption/);

    const s = kmem_cache_create('t_df', 1024, 0, 0);
    const objs: number[] = [];
    for (let i = 0; i < s.objects + 1; i++) objs.push(kmem_cache_alloc(s, GFP_KERNEL));
    kmem_cache_free(s, objs[0]!); // slab 0 is not the CPU slab: slow path
    expect(() => kmem_cache_free(s, objs[0]!)).toThrow(KernelBug);
    expect(() => kmem_cache_free(s, objs[0]!)).toThrow(/double free or corruption/);
  });

  it('catches a free to the wrong cache and a kfree of a non-slab page', () => {
    const s = kmem_cache_create('t_wrong', 64, 0, 0);
    const a = kmalloc(64, GFP_KERNEL);
    expect(() => kmem_cache_free(s, a)).toThrow(/Wrong slab cache. t_wrong but object is from kmalloc-64/);
    expect(() => kfree(a + 8)).toThrow(/Invalid object pointer/);
    kfree(a);
    const plain = alloc_pages(GFP_KERNEL, 0)!;
    expect(() => kfree(page_address(plain))).toThrow(/not a slab object or large kmalloc/);
    expect(() => kmem_cache_free(s, page_address(plain))).toThrow(/Object is not a Slab page/);
  });

  it('BUGs when a cache with live objects is destroyed', () => {
    const s = kmem_cache_create('t_live', 128, 0, 0);
    const objs: number[] = [];
    for (let i = 0; i < s.objects * 2; i++) objs.push(kmem_cache_alloc(s, GFP_KERNEL));
    kmem_cache_free(s, objs[0]!);
    expect(() => kmem_cache_destroy(s)).toThrow(/Objects remaining in t_live on __kmem_cache_shutdown\(\)/);

    // Live objects only in full slabs (on no list) are found through the slab count.
    const t = kmem_cache_create('t_live_full', 128, 0, 0);
    for (let i = 0; i < t.objects; i++) kmem_cache_alloc(t, GFP_KERNEL);
    kmem_cache_alloc(t, GFP_KERNEL);
    expect(() => kmem_cache_destroy(t)).toThrow(/Objects remaining in t_live_full/);
  });

  it('destroys an empty cache completely', () => {
    const s = kmem_cache_create('t_destroy', 700, 0, 0);
    const objs: number[] = [];
    for (let i = 0; i < 50; i++) objs.push(kmem_cache_alloc(s, GFP_KERNEL));
    const pages = [...new Set(objs.map((o) => head(o).addr))].map((a) => new Page(a));
    expect(pages.length).toBeGreaterThan(2);
    for (const o of objs) kmem_cache_free(s, o);
    kmem_cache_destroy(s);
    for (const p of pages) expect(PageSlab(p)).toBe(false);
    expect(all_kmem_caches().includes(s)).toBe(false);
    expect(() => kmem_cache_from_addr(s.addr)).toThrow(/bad kmem_cache pointer/);
  });

  it('catches union corruption: freelist written into page->private', () => {
    const s = kmem_cache_create('t_corrupt', 64, 0, 0);
    const objs: number[] = [];
    for (let i = 0; i < s.objects + 1; i++) objs.push(kmem_cache_alloc(s, GFP_KERNEL));
    const slab = head(objs[0]!);
    kmem_cache_free(s, objs[0]!);
    // A converter that mapped `freelist` onto the wrong word would do this:
    slab.private = slab.index;
    expect(() => kmem_cache_free(s, objs[1]!)).toThrow(/BUG t_corrupt \(Not tainted\)/);
  });

  it('catches union corruption: counters written into page->index', () => {
    const s = kmem_cache_create('t_corrupt2', 64, 0, 0);
    const objs: number[] = [];
    for (let i = 0; i < s.objects + 1; i++) objs.push(kmem_cache_alloc(s, GFP_KERNEL));
    const slab = head(objs[0]!);
    kmem_cache_free(s, objs[0]!);
    slab.index = slab.private;
    expect(() => kmem_cache_free(s, objs[1]!)).toThrow(/Freechain corrupt/);
  });

  it('catches a corrupted slab_cache (page->mapping) and a use-after-free of the free pointer', () => {
    const a = kmalloc(64, GFP_KERNEL);
    const b = kmalloc(64, GFP_KERNEL);
    const page = head(a);
    const mapping = page.mapping;
    page.mapping = 0x1234;
    expect(() => kfree(a)).toThrow(/bad kmem_cache pointer/);
    page.mapping = mapping;
    kfree(a);
    kfree(b);
    // Use after free: overwrite b (the CPU freelist head), including its free pointer.
    bytes(b, 64).fill(0x41);
    expect(() => kmalloc(64, GFP_KERNEL)).toThrow(/BUG kmalloc-64 \(Not tainted\): Freechain corrupt/);
  });

  it('SLAB_POISON catches writes to free objects and double frees', () => {
    const s = kmem_cache_create('t_poison', 100, 0, SLAB_POISON);
    expect(s.offset).toBe(104);
    const a = kmem_cache_alloc(s, GFP_KERNEL);
    expect(s.cpu_page).toBeNull(); // debug caches keep no CPU slab
    expect(bytes(a, 99).every((x) => x === 0x6b)).toBe(true);
    expect(bytes(a + 99, 1)[0]).toBe(0xa5);
    bytes(a, 100).fill(1);
    kmem_cache_free(s, a);
    expect(() => kmem_cache_free(s, a)).toThrow(/Object already free/);
    bytes(a + 10, 1)[0] = 0x42; // write after free
    expect(() => {
      for (let i = 0; i < s.objects; i++) kmem_cache_alloc(s, GFP_KERNEL);
    }).toThrow(/Poison overwritten/);
  });

  it('SLAB_RED_ZONE catches a write past the end of an object', () => {
    const s = kmem_cache_create('t_redzone', 64, 0, SLAB_RED_ZONE);
    expect(s.red_left_pad).toBe(8);
    const objs: number[] = [];
    for (let i = 0; i < 10; i++) objs.push(kmem_cache_alloc(s, GFP_KERNEL));
    for (const o of objs) expect((o - s.red_left_pad - page_address(head(o))) % s.size).toBe(0);
    kmem_cache_free(s, objs[0]!);
    bytes(objs[1]!, 65)[64] = 0; // one byte too far
    expect(() => kmem_cache_free(s, objs[1]!)).toThrow(/Right Redzone overwritten/);
    bytes(objs[2]! - 1, 1)[0] = 0;
    expect(() => kmem_cache_free(s, objs[2]!)).toThrow(/Left Redzone overwritten/);
    for (const o of objs.slice(3)) kmem_cache_free(s, o);
  });

  it('rejects bad kmem_cache_create arguments', () => {
    expect(() => kmem_cache_create('t_bad', 4, 0, 0)).toThrow(/kmem_cache_create\(t_bad\) failed with error -22/);
    expect(() => kmem_cache_create('t_bad2', 4, 0, SLAB_PANIC)).toThrow(/Kernel panic/);
    expect(() => kmem_cache_create('t_bad3', 64, 0, 0x1)).toThrow(KernelBug);
  });
});

describe('SLUB: reports and tracepoints', () => {
  it('prints /proc/slabinfo in the kernel format', () => {
    boot({ ram: 32 * MiB });
    const s = kmem_cache_create('t_slabinfo', 256, 0, 0);
    const objs: number[] = [];
    for (let i = 0; i < 20; i++) objs.push(kmem_cache_alloc(s, GFP_KERNEL));
    const report = find_report('slabinfo')!;
    expect(report.title).toBe('/proc/slabinfo');
    let lines = report.text().split('\n');
    expect(lines[0]).toBe('slabinfo - version: 2.1');
    expect(lines[1]).toBe('# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab> : tunables <limit> <batchcount> <sharedfactor> : slabdata <active_slabs> <num_slabs> <sharedavail>');
    // The CPU slab counts as fully active, as in SLUB.
    expect(lines[2]).toBe('t_slabinfo            32     32    256   16    1 : tunables    0    0    0 : slabdata      2      2      0');
    kmem_cache_shrink(s);
    lines = slabinfo().split('\n');
    expect(lines[2]).toBe('t_slabinfo            20     32    256   16    1 : tunables    0    0    0 : slabdata      2      2      0');
    expect(lines.find((l) => l.startsWith('kmalloc-8k '))).toMatch(/^kmalloc-8k\s+\d+\s+\d+\s+8192\s+4\s+8 : tunables    0    0    0 : slabdata/);
    for (const l of lines.slice(2)) expect(l).toMatch(/^\S.{16} [ \d]{6} [ \d]{6} [ \d]{6} [ \d]{4} [ \d]{4} : tunables    0    0    0 : slabdata [ \d]{6} [ \d]{6}      0$/);
    expect(slabinfo_stats()[0]).toEqual({
      name: 't_slabinfo', active_objs: 20, num_objs: 32, objsize: 256, objperslab: 16, pagesperslab: 1, active_slabs: 2, num_slabs: 2,
    });
  });

  it('emits kmalloc, kfree, kmem_cache_alloc and kmem_cache_free tracepoints', () => {
    boot({ ram: 32 * MiB, tracepoints: true, keepTrace: true });
    const s = kmem_cache_create('t_trace', 40, 0, 0);
    const start = trace_lines().length;
    const a = kmalloc(100, GFP_KERNEL);
    kfree(a);
    const b = kmem_cache_alloc(s, GFP_KERNEL);
    kmem_cache_free(s, b);
    const big = kmalloc(10000, GFP_KERNEL);
    const lines = trace_lines().slice(start).filter((l) => !l.startsWith('mm_page'));
    const hex = (x: number) => 'ffff' + x.toString(16);
    expect(lines).toEqual([
      `kmalloc: ptr=${hex(a)} bytes_req=100 bytes_alloc=128 gfp_flags=GFP_KERNEL`,
      `kfree: ptr=${hex(a)}`,
      `kmem_cache_alloc: ptr=${hex(b)} bytes_req=40 bytes_alloc=40 gfp_flags=GFP_KERNEL`,
      `kmem_cache_free: ptr=${hex(b)}`,
      `kmalloc: ptr=${hex(big)} bytes_req=10000 bytes_alloc=16384 gfp_flags=GFP_KERNEL|__GFP_COMP`,
    ]);
  });
});

describe('SLUB: random kmalloc/kfree sequences', () => {
  const SIZES = [1, 8, 13, 24, 32, 64, 65, 96, 100, 128, 160, 192, 200, 256, 333, 512, 1000, 1024, 2048, 3000, 4096, 5000, 8192, 9000, 20000];

  type Op = { alloc: true; size: number; fill: number } | { alloc: false; pick: number };
  const opArb: fc.Arbitrary<Op> = fc.oneof(
    { weight: 3, arbitrary: fc.record({ alloc: fc.constant(true as const), size: fc.constantFrom(...SIZES), fill: fc.integer({ min: 0, max: 255 }) }) },
    { weight: 2, arbitrary: fc.record({ alloc: fc.constant(false as const), pick: fc.nat() }) },
  );

  it('never overlaps objects, preserves contents, and returns every page', () => {
    const seed = propertySeed('slub');
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 400 }), fc.boolean(), (ops, withCache) => {
        boot({ ram: 16 * MiB });
        shrinkAll();
        const baseline = freeAndCached();
        const activeBefore = new Map(slabinfo_stats().map((r) => [r.name, r.active_objs]));
        const largeBefore = global_zone_page_state(ZoneStat.NR_KMALLOC_LARGE);
        const cache = withCache ? kmem_cache_create('t_prop', 72, 0, SLAB_HWCACHE_ALIGN) : null;
        const live: Array<{ addr: number; size: number; fill: number; fromCache: boolean }> = [];
        const check = (o: (typeof live)[number]) => {
          const mem = bytes(o.addr, o.size);
          for (let i = 0; i < o.size; i++) if (mem[i] !== ((o.fill + i) & 0xff)) return false;
          return true;
        };
        for (const op of ops) {
          if (op.alloc) {
            const fromCache = cache !== null && op.fill % 4 === 0;
            const size = fromCache ? 72 : op.size;
            const addr = fromCache ? kmem_cache_alloc(cache, GFP_KERNEL) : kmalloc(size, GFP_KERNEL);
            expect(addr).not.toBe(0);
            const page = head(addr);
            const end = addr + size;
            expect(end).toBeLessThanOrEqual(page_address(page) + page_size(page));
            expect(ksize(addr)).toBeGreaterThanOrEqual(size);
            for (const o of live) expect(addr >= o.addr + o.size || end <= o.addr).toBe(true);
            const mem = bytes(addr, size);
            for (let i = 0; i < size; i++) mem[i] = (op.fill + i) & 0xff;
            live.push({ addr, size, fill: op.fill, fromCache });
          } else if (live.length > 0) {
            const i = op.pick % live.length;
            const o = live[i]!;
            live.splice(i, 1);
            expect(check(o)).toBe(true);
            if (o.fromCache) kmem_cache_free(cache!, o.addr);
            else kfree(o.addr);
          }
        }
        for (const o of live) {
          expect(check(o)).toBe(true);
          if (o.fromCache) kmem_cache_free(cache!, o.addr);
          else kfree(o.addr);
        }
        if (cache) kmem_cache_destroy(cache);
        shrinkAll();
        for (const row of slabinfo_stats()) {
          if (row.name.startsWith('kmalloc-')) expect(row.active_objs, row.name).toBe(activeBefore.get(row.name));
        }
        expect(global_zone_page_state(ZoneStat.NR_KMALLOC_LARGE)).toBe(largeBefore);
        expect(freeAndCached()).toBe(baseline);
      }),
      { seed, numRuns: 100 },
    );
  });
});
