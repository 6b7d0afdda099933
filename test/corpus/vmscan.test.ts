import { node_lruvec } from '../../corpus/mm/swap.ts';
import { describe, it, expect, beforeEach } from 'vitest';
import { boot } from '../../corpus/sim/boot.ts';
import { process_create } from '../../corpus/kernel/fork.ts';
import { process_exit } from '../../corpus/kernel/exit.ts';
import { do_mmap_anon, PROT_READ, PROT_WRITE } from '../../corpus/mm/mmap.ts';
import {
  access_process_vm_write, access_process_vm_read, follow_page, follow_pte, handle_mm_fault,
} from '../../corpus/mm/memory.ts';
import { Page, VM_FAULT_OOM } from '../../corpus/include/linux/mm_types.ts';
import { PageActive, PageReferenced, PageLRU, PageWorkingset } from '../../corpus/include/linux/page-flags.ts';
import { list_for_each_entry } from '../../corpus/include/linux/list.ts';
import { LRU_INACTIVE_ANON, LRU_ACTIVE_ANON } from '../../corpus/include/linux/mmzone.ts';
import { pte_young } from '../../corpus/arch/x86/include/asm/pgtable.ts';
import { PAGE_SIZE } from '../../corpus/arch/x86/include/asm/page_64_types.ts';
import { read64 } from '../../corpus/sim/memory.ts';
import { trace_lines } from '../../corpus/sim/trace.ts';
import { find_report } from '../../corpus/sim/reports.ts';
import {
  ScanControl, shrink_inactive_list, shrink_active_list, anon_lru_sizes, vm_events, wakeup_kswapd,
  kswapd_needed, pgdat_balanced, try_to_free_pages, shrink_node_anon,
} from '../../corpus/mm/vmscan.ts';
import { swap_info, swapoff, get_nr_swap_pages } from '../../corpus/mm/swapfile.ts';
import { zswap_stats } from '../../corpus/mm/zswap.ts';
import { GFP_KERNEL } from '../../corpus/include/linux/gfp.ts';
import { mm_snapshot, expect_bytes } from './pgtable-helpers.ts';
import { MiB, pattern, swap_snapshot, SWAP_EMPTY } from './swap-helpers.ts';

const RW = PROT_READ | PROT_WRITE;

function lru_pages(lru: number): number[] {
  return list_for_each_entry(node_lruvec().lists(lru), Page, 'lru').map((p) => p.addr);
}

describe('LRU aging', () => {
  beforeEach(() => {
    boot({ ram: 64 * MiB });
  });

  it('new pages start inactive; a referenced page gets a second round, a re-referenced one is activated', () => {
    const p = process_create()!;
    const n = 16;
    const a = do_mmap_anon(p, n * PAGE_SIZE, RW);
    access_process_vm_write(p, a, pattern(n * PAGE_SIZE, 1));
    const pages = Array.from({ length: n }, (_, i) => follow_page(p.mm!, a + i * PAGE_SIZE)!);
    // Faulted pages are added at the head of the inactive list: the oldest is at the tail.
    expect(lru_pages(LRU_INACTIVE_ANON)).toEqual(pages.map((pg) => pg.addr).reverse());
    for (const pg of pages) {
      expect(PageLRU(pg)).toBe(true);
      expect(PageActive(pg)).toBe(false);
    }
    const young = (i: number) => pte_young(read64(follow_pte(p.mm!, a + i * PAGE_SIZE)));
    expect(young(0)).toBe(true);

    // Round 1: every page has a young PTE -> PG_referenced, young bit cleared, kept inactive.
    const sc = new ScanControl();
    const lruvec = node_lruvec();
    expect(shrink_inactive_list(n, lruvec, sc, LRU_INACTIVE_ANON)).toBe(0);
    for (let i = 0; i < n; i++) {
      expect(PageReferenced(pages[i]!)).toBe(true);
      expect(young(i)).toBe(false);
    }
    expect(anon_lru_sizes()).toEqual([n, 0]);

    // Touch the first half again: they are activated; the cold half is reclaimed.
    for (let i = 0; i < n / 2; i++) access_process_vm_read(p, a + i * PAGE_SIZE, 1);
    expect(shrink_inactive_list(n, lruvec, sc, LRU_INACTIVE_ANON)).toBe(n / 2);
    expect(anon_lru_sizes()).toEqual([0, n / 2]);
    for (let i = 0; i < n / 2; i++) expect(PageActive(pages[i]!)).toBe(true);
    expect(vm_events.pgactivate).toBe(n / 2);
    expect(zswap_stats.stored_pages).toBe(n / 2);

    // Aging the active list moves every anonymous page back to the inactive list.
    access_process_vm_read(p, a, 1);
    shrink_active_list(n, lruvec, sc, LRU_ACTIVE_ANON);
    expect(anon_lru_sizes()).toEqual([n / 2, 0]);
    for (let i = 0; i < n / 2; i++) {
      expect(PageActive(pages[i]!)).toBe(false);
      expect(PageWorkingset(pages[i]!)).toBe(true);
      expect(young(i)).toBe(false);
    }
    expect(vm_events.pgdeactivate).toBe(n / 2);
    expect_bytes(access_process_vm_read(p, a, n * PAGE_SIZE), pattern(n * PAGE_SIZE, 1));
    process_exit(p);
    expect(swap_snapshot()).toEqual(SWAP_EMPTY);
    expect(anon_lru_sizes()).toEqual([0, 0]);
  });

  it('try_to_free_pages reclaims SWAP_CLUSTER_MAX pages and reports them in /proc/vmstat', () => {
    const p = process_create()!;
    const a = do_mmap_anon(p, 256 * PAGE_SIZE, RW);
    access_process_vm_write(p, a, pattern(256 * PAGE_SIZE, 2));
    // Young pages need a round to age, so a pass may overshoot its target, as in the kernel.
    const got = try_to_free_pages(0, GFP_KERNEL);
    expect(got).toBeGreaterThanOrEqual(32);
    expect(got).toBeLessThan(128);
    expect(vm_events.pgsteal_direct).toBe(got);
    expect(vm_events.allocstall_normal).toBe(1);
    expect(anon_lru_sizes()).toEqual([256 - got, 0]);
    expect(find_report('vmscan')!.text()).toMatch(new RegExp(`^nr_inactive_anon ${256 - got}\nnr_active_anon 0\n`));
    expect(find_report('vmscan')!.text()).toContain(`pgsteal_direct ${got}`);
    expect_bytes(access_process_vm_read(p, a, 256 * PAGE_SIZE), pattern(256 * PAGE_SIZE, 2));
    process_exit(p);
    expect(swap_snapshot()).toEqual(SWAP_EMPTY);
  });
});

describe('reclaim triggers', () => {
  it('the allocator enters direct reclaim below the min watermark', () => {
    boot({ ram: 16 * MiB, tracepoints: true, keepTrace: true });
    const snap = mm_snapshot();
    const p = process_create()!;
    const len = 20 * MiB;
    const a = do_mmap_anon(p, len, RW);
    for (let off = 0; off < len; off += MiB) expect(access_process_vm_write(p, a + off, pattern(MiB, off / MiB))).toBe(MiB);
    expect(vm_events.allocstall_normal).toBeGreaterThan(0);
    expect(vm_events.pgsteal_direct).toBeGreaterThan(0);
    expect(vm_events.pgsteal_kswapd).toBe(0);
    const lines = trace_lines();
    expect(lines.some((l) => /^mm_vmscan_direct_reclaim_begin: order=0 gfp_flags=GFP_HIGHUSER_MOVABLE/.test(l))).toBe(true);
    expect(lines.some((l) => /^mm_vmscan_direct_reclaim_end: nr_reclaimed=[1-9]/.test(l))).toBe(true);
    expect(lines.some((l) => /^mm_vmscan_lru_shrink_inactive: nid=0 nr_scanned=\d+ nr_reclaimed=\d+/.test(l))).toBe(true);
    process_exit(p);
    expect(swap_snapshot()).toEqual(SWAP_EMPTY);
    expect(mm_snapshot()).toEqual(snap);
  });

  it('wakeup_kswapd balances the node up to the high watermark', () => {
    boot({ ram: 16 * MiB });
    const p = process_create()!;
    const len = 16 * MiB;
    const a = do_mmap_anon(p, len, RW);
    expect(pgdat_balanced()).toBe(true);
    expect(wakeup_kswapd()).toBe(0); // balanced: nothing to do
    let off = 0;
    while (!kswapd_needed()) {
      expect(off).toBeLessThan(len);
      access_process_vm_write(p, a + off, pattern(PAGE_SIZE, off / PAGE_SIZE));
      off += PAGE_SIZE;
    }
    expect(pgdat_balanced()).toBe(false);
    const reclaimed = wakeup_kswapd();
    expect(reclaimed).toBeGreaterThan(0);
    expect(vm_events.pgsteal_kswapd).toBe(reclaimed);
    expect(vm_events.pageoutrun).toBeGreaterThanOrEqual(1);
    expect(pgdat_balanced()).toBe(true);
    for (let o = 0; o < off; o += PAGE_SIZE) {
      expect_bytes(access_process_vm_read(p, a + o, PAGE_SIZE), pattern(PAGE_SIZE, o / PAGE_SIZE));
    }
    process_exit(p);
    expect(swap_snapshot()).toEqual(SWAP_EMPTY);
  });

  it('without swap, anonymous memory cannot be reclaimed and faults run out of memory', () => {
    boot({ ram: 16 * MiB });
    swapoff(swap_info[0]!);
    expect(get_nr_swap_pages()).toBe(0);
    const snap = mm_snapshot();
    const p = process_create()!;
    const len = 24 * MiB;
    const a = do_mmap_anon(p, len, RW);
    const chunk = pattern(PAGE_SIZE, 3);
    let off = 0;
    while (off < len && access_process_vm_write(p, a + off, chunk) === PAGE_SIZE) off += PAGE_SIZE;
    expect(off).toBeLessThan(len);
    expect(handle_mm_fault(p, a + off, true)).toBe(VM_FAULT_OOM);
    expect(shrink_node_anon(32)).toBe(0);
    expect(vm_events.pgsteal_direct).toBe(0);
    process_exit(p);
    expect(mm_snapshot()).toEqual(snap);
  });
});
