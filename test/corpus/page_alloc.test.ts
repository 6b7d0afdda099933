import { describe, it, expect, beforeEach } from 'vitest';
import fc from 'fast-check';
import { boot } from '../../corpus/sim/boot.ts';
import {
  alloc_pages, __free_pages, nr_free_pages, pcp_pages, drain_all_pages, free_blocks, buddyinfo, contig_page_data,
  buddy_order, take_page_off_buddy, page_alloc_debug,
} from '../../corpus/mm/page_alloc.ts';
import {
  page_to_pfn, pfn_to_page, page_address, compound_head, compound_order, page_zonenum, max_pfn,
} from '../../corpus/include/linux/mm.ts';
import {
  PageBuddy, PageHead, PageTail, PageReserved, PAGE_FREE_ORDER_SHIFT, PAGE_FREE_ORDER_MASK,
} from '../../corpus/include/linux/page-flags.ts';
import { GFP_KERNEL, __GFP_COMP, __GFP_ZERO, __GFP_DMA32, GFP_HIGHUSER_MOVABLE } from '../../corpus/include/linux/gfp.ts';
import { ZONE_DMA32, MAX_PAGE_ORDER } from '../../corpus/include/linux/mmzone.ts';
import { bytes, read64 } from '../../corpus/sim/memory.ts';
import { memblock_reserved_pages } from '../../corpus/mm/memblock.ts';
import { KernelBug } from '../../corpus/sim/errors.ts';
import { Page } from '../../corpus/include/linux/mm_types.ts';
import { propertySeed } from '../propertySeed.ts';

const RAM = 32 * 1024 * 1024;

function free_total(): number {
  return nr_free_pages() + pcp_pages();
}

describe('buddy allocator', () => {
  let baseline = 0;
  beforeEach(() => {
    boot({ ram: RAM });
    baseline = free_total();
  });

  it('accounts for every page at boot: reserved + free + in use = total', () => {
    let reserved = 0;
    let in_use = 0;
    const free = new Set<number>();
    for (const [pfn, order] of free_blocks()) for (let i = 0; i < 1 << order; i++) free.add(pfn + i);
    for (let pfn = 0; pfn < max_pfn(); pfn++) {
      const page = pfn_to_page(pfn);
      if (PageReserved(page)) reserved++;
      else if (!free.has(pfn) && (page._refcount > 0 || PageTail(page))) in_use++;
    }
    expect(reserved).toBe(memblock_reserved_pages());
    expect(reserved + free_total() + in_use).toBe(max_pfn());
    expect(contig_page_data.totalram_pages).toBe(max_pfn() - reserved);
    expect(PageReserved(pfn_to_page(0))).toBe(true);
  });

  it('keeps free blocks on lists through page.lru with the order in the flags word, above the PG_* bits', () => {
    const blocks = free_blocks();
    expect(blocks.length).toBeGreaterThan(0);
    for (const [pfn, order] of blocks) {
      const page = pfn_to_page(pfn);
      expect(PageBuddy(page)).toBe(true);
      expect((page.flags >>> PAGE_FREE_ORDER_SHIFT) & PAGE_FREE_ORDER_MASK).toBe(order);
      expect(page.private).toBe(0);
      expect(buddy_order(page)).toBe(order);
      expect(pfn % (1 << order)).toBe(0);
      expect(page.mapping).toBe(0);
    }
  });

  it('splits on allocation and merges back on free', () => {
    const before = buddyinfo();
    const pages = [alloc_pages(GFP_KERNEL, 0)!, alloc_pages(GFP_KERNEL, 2)!, alloc_pages(GFP_KERNEL, 5)!];
    expect(free_total()).toBe(baseline - 1 - 4 - 32);
    __free_pages(pages[0]!, 0);
    __free_pages(pages[1]!, 2);
    __free_pages(pages[2]!, 5);
    drain_all_pages();
    expect(buddyinfo()).toBe(before);
    expect(free_total()).toBe(baseline);
  });

  it('builds compound pages with __GFP_COMP', () => {
    const page = alloc_pages(GFP_KERNEL | __GFP_COMP, 3)!;
    expect(PageHead(page)).toBe(true);
    expect(compound_order(page)).toBe(3);
    for (let i = 1; i < 8; i++) {
      const tail = pfn_to_page(page_to_pfn(page) + i);
      expect(PageTail(tail)).toBe(true);
      expect(compound_head(tail).addr).toBe(page.addr);
    }
    __free_pages(page, 3);
    for (let i = 1; i < 8; i++) expect(PageTail(pfn_to_page(page_to_pfn(page) + i))).toBe(false);
  });

  it('zeroes with __GFP_ZERO and poisons freed pages', () => {
    const page = alloc_pages(GFP_KERNEL, 0)!;
    bytes(page_address(page), 4096).fill(7);
    __free_pages(page, 0);
    expect(bytes(page_address(page), 16).every((b) => b === 0xaa)).toBe(true);
    const z = alloc_pages(GFP_KERNEL | __GFP_ZERO, 1)!;
    expect(bytes(page_address(z), 8192).every((b) => b === 0)).toBe(true);
  });

  it('honours __GFP_DMA32', () => {
    for (let i = 0; i < 20; i++) expect(page_zonenum(alloc_pages(GFP_KERNEL | __GFP_DMA32, 0)!)).toBe(ZONE_DMA32);
  });

  it('fails cleanly when memory runs out and recovers after frees', () => {
    const got: Page[] = [];
    for (;;) {
      const p = alloc_pages(GFP_KERNEL, MAX_PAGE_ORDER);
      if (!p) break;
      got.push(p);
    }
    expect(got.length).toBeGreaterThan(0);
    for (const p of got) __free_pages(p, MAX_PAGE_ORDER);
    drain_all_pages();
    expect(free_total()).toBe(baseline);
  });

  it('takes a free page off the buddy lists for memory failure', () => {
    const [block_pfn] = free_blocks().find(([, order]) => order >= 4)!;
    const victim = pfn_to_page(block_pfn + 5);
    expect(take_page_off_buddy(victim)).toBe(true);
    expect(free_total()).toBe(baseline - 1);
    expect(free_blocks().some(([pfn, order]) => page_to_pfn(victim) >= pfn && page_to_pfn(victim) < pfn + (1 << order))).toBe(false);
  });
});

describe('debug checks catch union corruption', () => {
  beforeEach(() => boot({ ram: RAM }));

  it('a page freed with a stale mapping is a bad page with a dump', () => {
    const page = alloc_pages(GFP_KERNEL, 0)!;
    page.mapping = 0x888000123000;
    let err: unknown;
    try {
      __free_pages(page, 0);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KernelBug);
    const dump = (err as KernelBug).dump;
    expect(dump).toMatch(/^page: refcount:0 mapcount:0 mapping:ffff888000123000 index:0x0 pfn:0x/);
    expect(dump).toContain('page dumped because: non-NULL mapping');
    expect(dump).toMatch(/raw: [0-9a-f]{16} [0-9a-f]{16} [0-9a-f]{16} ffff888000123000/);
  });

  it('without DEBUG_VM the same check fires when the pcp lists are drained', () => {
    page_alloc_debug.debug_vm = false;
    try {
      const page = alloc_pages(GFP_KERNEL, 0)!;
      page.mapping = 0x888000123000;
      __free_pages(page, 0); // deferred: the page sits on a pcp list unchecked
      expect(() => drain_all_pages()).toThrow(/Bad page state/);
    } finally {
      page_alloc_debug.debug_vm = true;
    }
  });

  it('a buddy order overwritten in the flags word (as if a stale flag update wrote there) stops merging', () => {
    // Two order-4 blocks that are each other's buddy.
    const held: Page[] = [];
    let a: Page | undefined;
    let b: Page | undefined;
    while (!b) {
      const p = alloc_pages(GFP_KERNEL, 4)!;
      const mate = held.find((q) => (page_to_pfn(q) ^ 16) === page_to_pfn(p));
      if (mate) { a = mate; b = p; } else held.push(p);
    }
    for (const p of held) if (p !== a) __free_pages(p, 4);
    drain_all_pages();
    const before = buddyinfo();
    __free_pages(a!, 4);
    // Another user writes into the free block's order bits.
    expect(free_blocks().some(([pfn, order]) => pfn === page_to_pfn(a!) && order === 4)).toBe(true);
    a!.flags = (a!.flags & ~(PAGE_FREE_ORDER_MASK << PAGE_FREE_ORDER_SHIFT)) | (7 << PAGE_FREE_ORDER_SHIFT);
    __free_pages(b!, 4);
    drain_all_pages();
    // The pair no longer merges: the order-5 block that should be there is missing.
    expect(free_blocks().some(([pfn, order]) => pfn === (page_to_pfn(a!) & ~31) && order >= 5)).toBe(false);
    expect(buddyinfo()).not.toBe(before);
  });

  it('a free page whose lru was overwritten is caught by list debugging', () => {
    const a = alloc_pages(GFP_KERNEL, 4)!;
    __free_pages(a, 4);
    a.lru.next = 0x888000456000 + 0;
    expect(() => alloc_pages(GFP_KERNEL, 4)).toThrow(KernelBug);
  });

  it('writes into a freed page are caught by poison checks on the next allocation', () => {
    const page = alloc_pages(GFP_KERNEL, 0)!;
    __free_pages(page, 0);
    bytes(page_address(page) + 100, 1)[0] = 1;
    let caught = false;
    for (let i = 0; i < 64 && !caught; i++) {
      try {
        alloc_pages(GFP_KERNEL, 0);
      } catch (e) {
        caught = e instanceof KernelBug && /memory corruption/.test(e.message);
      }
    }
    expect(caught).toBe(true);
  });
});

describe('buddy allocator properties', () => {
  it('never hands out a pfn twice, accounts every page, leaves no mergeable buddies, and gets everything back', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('alloc' as const), order: fc.nat(MAX_PAGE_ORDER), gfp: fc.constantFrom(GFP_KERNEL, GFP_HIGHUSER_MOVABLE, GFP_KERNEL | __GFP_COMP, GFP_KERNEL | __GFP_DMA32) }),
      fc.record({ kind: fc.constant('free' as const), index: fc.nat() }),
    );
    const seed = propertySeed('page_alloc');
    fc.assert(
      fc.property(fc.array(op, { maxLength: 120 }), (ops) => {
        boot({ ram: 16 * 1024 * 1024 });
        const baseline = free_total();
        // Boot already allocated kernel memory (slab caches, page tables): count it as reserved here.
        const reserved = max_pfn() - baseline;
        const live: Array<{ pfn: number; order: number; page: Page }> = [];
        const owner = new Map<number, number>();
        for (const o of ops) {
          if (o.kind === 'alloc') {
            const page = alloc_pages(o.gfp, o.order);
            if (!page) continue;
            const pfn = page_to_pfn(page);
            for (let i = 0; i < 1 << o.order; i++) {
              if (owner.has(pfn + i)) return false;
              owner.set(pfn + i, pfn);
            }
            live.push({ pfn, order: o.order, page });
          } else if (live.length) {
            const [b] = live.splice(o.index % live.length, 1);
            for (let i = 0; i < 1 << b!.order; i++) owner.delete(b!.pfn + i);
            __free_pages(b!.page, b!.order);
          }
          if (free_total() + owner.size + reserved !== max_pfn()) return false;
        }
        drain_all_pages();
        const blocks = free_blocks();
        const free = new Set(blocks.map(([pfn, order]) => `${pfn}:${order}`));
        for (const [pfn, order] of blocks) {
          if (order < MAX_PAGE_ORDER && free.has(`${pfn ^ (1 << order)}:${order}`)) {
            const same_zone = page_zonenum(pfn_to_page(pfn)) === page_zonenum(pfn_to_page(pfn ^ (1 << order)));
            if (same_zone) return false;
          }
        }
        for (const b of live) __free_pages(b.page, b.order);
        drain_all_pages();
        return free_total() === baseline;
      }),
      { seed, numRuns: 40 },
    );
  });
});

describe('struct page words', () => {
  it('list poisoning leaves LIST_POISON1/2 in a deleted entry', () => {
    boot({ ram: RAM });
    const page = alloc_pages(GFP_KERNEL, 0)!;
    // An allocated page came off a pcp list with list_del: lru is poisoned.
    expect((read64(page.addr + 8) / 2 ** 48) >>> 0).toBe(0xdead);
    expect(page.lru.prev).toBeGreaterThan(2 ** 63);
  });
});
