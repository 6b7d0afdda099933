/**
 * fs/proc/page.ts stable_page_flags() copies the PG_* bits from one read of the page's flags word
 * (kpf_copy_bit()): every pfn's value must be the one the PageX() tests give, bit by bit, on a
 * machine in many states (a mixed run: anonymous, swap-cache, LRU, slab, zsmalloc, compound,
 * reserved and poisoned pages).
 */
import { describe, expect, it } from 'vitest';
import { boot } from '../../corpus/sim/boot.ts';
import { Rng } from '../../corpus/sim/random.ts';
import { mixedWorkload } from '../../corpus/sim/workloads/mixed.ts';
import { max_pfn, pfn_to_page, pfn_valid, compound_head, page_mapped } from '../../corpus/include/linux/mm.ts';
import type { Page } from '../../corpus/include/linux/mm_types.ts';
import {
  PageAnon, PageBuddy, PageSlab, PageTable, PageZsmalloc, PageHead, PageTail, PageHWPoison, PageLRU, PageActive,
  PageReferenced, PageUptodate, PageDirty, PageLocked, PageUnevictable, PageSwapCache, PageSwapBacked, PageReserved,
  PagePrivate, PageLargeKmalloc, PageOffline, page_has_type,
} from '../../corpus/include/linux/page-flags.ts';
import {
  kpageflags, stable_page_flags, KPF_BUDDY, KPF_SLAB, KPF_PGTABLE, KPF_ZSMALLOC, KPF_OFFLINE, KPF_MMAP, KPF_ANON,
  KPF_COMPOUND_HEAD, KPF_COMPOUND_TAIL, KPF_LOCKED, KPF_REFERENCED, KPF_UPTODATE, KPF_DIRTY, KPF_LRU, KPF_ACTIVE,
  KPF_UNEVICTABLE, KPF_SWAPCACHE, KPF_SWAPBACKED, KPF_HWPOISON, KPF_RESERVED, KPF_PRIVATE, KPF_NOPAGE,
} from '../../corpus/fs/proc/page.ts';

const seed = Number(process.env.MEMDESC_TEST_SEED ?? Date.now() % 1_000_000);
console.log(`test/corpus/kpageflags.test.ts seed=${seed} (MEMDESC_TEST_SEED=${seed} repeats it)`);

const bit = (cond: boolean, nr: number): number => (cond ? 2 ** nr : 0);

/** stable_page_flags() by its definition: every bit from its PageX() test. */
function reference(page: Page | null): number {
  if (!page) return 2 ** KPF_NOPAGE;
  let u = 0;
  const head = compound_head(page);
  if (page_has_type(head)) {
    u += bit(PageBuddy(page), KPF_BUDDY);
    u += bit(PageSlab(head), KPF_SLAB);
    u += bit(PageTable(page), KPF_PGTABLE);
    u += bit(PageZsmalloc(page), KPF_ZSMALLOC);
    u += bit(PageOffline(page), KPF_OFFLINE);
    u += bit(PageLargeKmalloc(head), KPF_SLAB);
  } else {
    u += bit(page_mapped(page), KPF_MMAP);
    u += bit(PageAnon(head), KPF_ANON);
  }
  const tests: [(p: Page) => boolean, number][] = [
    [PageHead, KPF_COMPOUND_HEAD], [PageTail, KPF_COMPOUND_TAIL], [PageLocked, KPF_LOCKED],
    [PageReferenced, KPF_REFERENCED], [PageUptodate, KPF_UPTODATE], [PageDirty, KPF_DIRTY], [PageLRU, KPF_LRU],
    [PageActive, KPF_ACTIVE], [PageUnevictable, KPF_UNEVICTABLE], [PageSwapCache, KPF_SWAPCACHE],
    [PageSwapBacked, KPF_SWAPBACKED], [PageHWPoison, KPF_HWPOISON], [PageReserved, KPF_RESERVED], [PagePrivate, KPF_PRIVATE],
  ];
  for (const [test, nr] of tests) u += bit(test(page), nr);
  return u;
}

describe('kpageflags', () => {
  it(`gives every pfn the value of its PageX() tests through a mixed run (seed ${seed})`, () => {
    boot({ ram: 64 * 1024 * 1024 });
    const seen = new Set<number>();
    let compared = 0;
    const compare = (): void => {
      const flags = kpageflags();
      expect(flags.length).toBe(max_pfn());
      for (let pfn = 0; pfn < flags.length; pfn++) {
        const want = reference(pfn_valid(pfn) ? pfn_to_page(pfn) : null);
        if (flags[pfn] !== want) expect(flags[pfn], `seed ${seed} pfn ${pfn}`).toBe(want);
        seen.add(want);
        compared++;
      }
    };
    compare();
    mixedWorkload.run({ rng: new Rng(seed), ops: 1200, seed, after_op: (op) => { if (op % 150 === 149) compare(); } });
    // Flag words no run makes (PG_swapcache without PG_swapbacked, every combination): planted on
    // random pages for one comparison each, then put back.
    const rng = new Rng(seed ^ 0x5bd1e995);
    for (let i = 0; i < 2000; i++) {
      const page = pfn_to_page(rng.below(max_pfn()));
      const was = page.flags;
      page.flags = (was & ~0x3fffff) | (rng.u32() & 0x3fffff);
      const want = reference(page);
      expect(stable_page_flags(page), `seed ${seed} planted flags 0x${page.flags.toString(16)}`).toBe(want);
      seen.add(want);
      page.flags = was;
    }
    expect(compared).toBeGreaterThan(8 * 16384);
    // The states the copied bits describe were there to compare.
    const any = (nr: number): boolean => [...seen].some((f) => Math.floor(f / 2 ** nr) % 2 === 1);
    for (const nr of [KPF_LRU, KPF_SWAPBACKED, KPF_SWAPCACHE, KPF_HWPOISON, KPF_DIRTY, KPF_UPTODATE, KPF_COMPOUND_HEAD, KPF_COMPOUND_TAIL, KPF_RESERVED, KPF_ACTIVE]) {
      expect(any(nr), `seed ${seed}: no pfn with bit ${nr}`).toBe(true);
    }
  });
});
