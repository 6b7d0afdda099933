import { describe, it, expect, beforeEach } from 'vitest';
import { inflateRawSync } from 'node:zlib';
import { boot } from '../../corpus/sim/boot.ts';
import { process_create, fork_process } from '../../corpus/kernel/fork.ts';
import { process_exit } from '../../corpus/kernel/exit.ts';
import { do_mmap_anon, do_munmap, find_vma, PROT_READ, PROT_WRITE } from '../../corpus/mm/mmap.ts';
import { access_process_vm_write, access_process_vm_read, follow_page, follow_pte } from '../../corpus/mm/memory.ts';
import { try_to_unmap, page_mappings, TTU_IGNORE_ACCESS } from '../../corpus/mm/rmap.ts';
import { MM_ANONPAGES, MM_SWAPENTS } from '../../corpus/include/linux/mm_types.ts';
import { page_count, page_mapcount, get_mm_counter, page_to_pfn } from '../../corpus/include/linux/mm.ts';
import {
  PageSwapCache, PageSwapBacked, PageLocked, PageLRU, PageDirty, PAGE_MAPPING_ANON, SetPageLocked,
  ClearPageLocked, PG_swapcache, PG_owner_priv_1, test_bit,
} from '../../corpus/include/linux/page-flags.ts';
import { ZoneStat } from '../../corpus/include/linux/mmzone.ts';
import { global_zone_page_state } from '../../corpus/mm/page_alloc.ts';
import { swp_type, swp_offset, swp_entry_to_pte, pte_write } from '../../corpus/arch/x86/include/asm/pgtable.ts';
import { PAGE_SIZE } from '../../corpus/arch/x86/include/asm/page_64_types.ts';
import { read64, read8, write8 } from '../../corpus/sim/memory.ts';
import { KernelBug } from '../../corpus/sim/errors.ts';
import { trace_digest, trace_lines } from '../../corpus/sim/trace.ts';
import { find_report } from '../../corpus/sim/reports.ts';
import { ZS_MM_RO, ZS_MM_RW } from '../../corpus/include/linux/zsmalloc.ts';
import { zs_map_object, zs_unmap_object, zs_get_total_pages } from '../../corpus/mm/zsmalloc.ts';
import { is_vmalloc_addr, find_vm_area } from '../../corpus/include/linux/vmalloc.ts';
import {
  zswap_stats, zswap_params, zswap_entry_length, zswap_entry_handle, zswap_zpool, zswap_table_addr,
} from '../../corpus/mm/zswap.ts';
import {
  swap_info, swap_map_value, swap_slots_in_use, SWAP_HAS_CACHE, get_nr_swap_pages, total_swap_pages,
} from '../../corpus/mm/swapfile.ts';
import { add_to_swap } from '../../corpus/mm/swap_state.ts';
import { shrink_node_anon, anon_lru_sizes, vm_events } from '../../corpus/mm/vmscan.ts';
import { mm_snapshot, expect_bytes } from './pgtable-helpers.ts';
import { MiB, pattern, noise, swap_pte, swap_snapshot, SWAP_EMPTY } from './swap-helpers.ts';

const RW = PROT_READ | PROT_WRITE;

describe('swap-out to zswap and swap-in', () => {
  beforeEach(() => {
    boot({ ram: 64 * MiB });
  });

  it('boots with a swap device, the zswap pool and vmalloc-ed metadata tables', () => {
    const si = swap_info[0]!;
    expect(si.max).toBeGreaterThan(2 * 10000);
    expect(total_swap_pages).toBe(si.max - 1);
    expect(get_nr_swap_pages()).toBe(total_swap_pages);
    expect(is_vmalloc_addr(si.swap_map)).toBe(true);
    expect(find_vm_area(si.swap_map)!.caller).toBe('__do_sys_swapon');
    const table = zswap_table_addr(0);
    expect(is_vmalloc_addr(table)).toBe(true);
    expect(find_vm_area(table)!.size).toBeGreaterThanOrEqual(si.max * 8);
    expect(zswap_zpool()!.name).toBe('zswap');
    expect(swap_snapshot()).toEqual(SWAP_EMPTY);
    expect(find_report('swaps')!.text()).toMatch(/^Filename\s+Type\s+Size\s+Used\s+Priority\n\/swapfile\s+file\s+\d+\s+0\s+-2/);
  });

  it('reclaim unmaps every PTE into the swap entry, stores the page in zswap and frees it; faults bring it back', () => {
    const snap = mm_snapshot();
    const p = process_create()!;
    const n = 8;
    const a = do_mmap_anon(p, n * PAGE_SIZE, RW);
    const data = pattern(n * PAGE_SIZE, 1);
    access_process_vm_write(p, a, data);
    const pfns = Array.from({ length: n }, (_, i) => page_to_pfn(follow_page(p.mm!, a + i * PAGE_SIZE)!));
    expect(anon_lru_sizes()).toEqual([n, 0]);

    expect(shrink_node_anon(n)).toBe(n);
    expect(anon_lru_sizes()).toEqual([0, 0]);
    expect(global_zone_page_state(ZoneStat.NR_ANON_MAPPED)).toBe(0);
    expect(get_mm_counter(p.mm!, MM_ANONPAGES)).toBe(0);
    expect(get_mm_counter(p.mm!, MM_SWAPENTS)).toBe(n);
    const entries = [];
    for (let i = 0; i < n; i++) {
      const entry = swap_pte(p.mm!, a + i * PAGE_SIZE)!;
      expect(entry).not.toBeNull();
      expect(swp_type(entry)).toBe(0);
      expect(swap_map_value(entry)).toBe(1); // one PTE, no swap cache page
      expect(zswap_entry_length(0, swp_offset(entry))).toBeGreaterThan(0);
      expect(zswap_entry_length(0, swp_offset(entry))).toBeLessThan(PAGE_SIZE / 2);
      entries.push(entry);
    }
    expect(swap_snapshot()).toMatchObject({ slots: n, stored: n, swapcache: 0, nr_swapcache: 0 });
    expect(zswap_stats.pool_total_size).toBe(zs_get_total_pages(zswap_zpool()!) * PAGE_SIZE);
    // No PTE maps a page any more.
    for (let i = 0; i < n; i++) expect(follow_page(p.mm!, a + i * PAGE_SIZE)).toBeNull();
    expect(pfns.length).toBe(n);

    // A read fault: the page comes back from zswap into the swap cache.
    expect_bytes(access_process_vm_read(p, a + 3 * PAGE_SIZE, PAGE_SIZE), data.subarray(3 * PAGE_SIZE, 4 * PAGE_SIZE));
    const page = follow_page(p.mm!, a + 3 * PAGE_SIZE)!;
    const vma = find_vma(p.mm!, a)!;
    expect(PageSwapCache(page)).toBe(true);
    expect(test_bit(PG_owner_priv_1, page)).toBe(true);
    expect(PG_swapcache).toBe(PG_owner_priv_1);
    expect(PageSwapBacked(page)).toBe(true);
    expect(page.private).toBe(entries[3]);
    expect(page.mapping).toBe(vma.anon_vma!.root.addr + PAGE_MAPPING_ANON);
    expect(page.index).toBe(vma.vm_pgoff + 3);
    expect(page_mapcount(page)).toBe(1);
    expect(page_count(page)).toBe(2); // the PTE and the swap cache
    expect(PageLRU(page)).toBe(true);
    expect(PageLocked(page)).toBe(false);
    expect(pte_write(read64(follow_pte(p.mm!, a + 3 * PAGE_SIZE)))).toBe(false);
    expect(swap_map_value(entries[3]!)).toBe(SWAP_HAS_CACHE); // no PTE left, still cached
    expect(zswap_entry_length(0, swp_offset(entries[3]!))).toBeGreaterThan(0); // the copy stays valid
    expect(get_mm_counter(p.mm!, MM_ANONPAGES)).toBe(1);
    expect(get_mm_counter(p.mm!, MM_SWAPENTS)).toBe(n - 1);
    expect(swap_snapshot()).toMatchObject({ slots: n, stored: n, swapcache: 1, nr_swapcache: 1 });

    // Reclaiming the clean swap-cache page again needs no new store.
    const stores = zswap_stats.stored_pages;
    expect(shrink_node_anon(1)).toBe(1);
    expect(zswap_stats.stored_pages).toBe(stores);
    expect(swap_pte(p.mm!, a + 3 * PAGE_SIZE)).toBe(entries[3]);
    expect(swap_snapshot()).toMatchObject({ slots: n, stored: n, swapcache: 0 });

    // A write fault on a swap PTE that nothing else references takes the page out of the
    // swap cache (reuse_swap_page): the slot and the zswap copy are freed at once.
    access_process_vm_write(p, a + 5 * PAGE_SIZE + 1, new Uint8Array([0xab]));
    const wpage = follow_page(p.mm!, a + 5 * PAGE_SIZE)!;
    expect(PageSwapCache(wpage)).toBe(false);
    expect(wpage.private).toBe(0);
    expect(PageDirty(wpage)).toBe(true);
    expect(pte_write(read64(follow_pte(p.mm!, a + 5 * PAGE_SIZE)))).toBe(true);
    expect(swap_map_value(entries[5]!)).toBe(0);
    expect(zswap_entry_length(0, swp_offset(entries[5]!))).toBe(-1);
    expect(swap_snapshot()).toMatchObject({ slots: n - 1, stored: n - 1, swapcache: 0 });

    data[5 * PAGE_SIZE + 1] = 0xab;
    expect_bytes(access_process_vm_read(p, a, n * PAGE_SIZE), data);
    expect(swap_snapshot()).toMatchObject({ slots: n - 1, stored: n - 1, swapcache: n - 1 });
    process_exit(p);
    expect(swap_snapshot()).toEqual(SWAP_EMPTY);
    expect(mm_snapshot()).toEqual(snap);
  });

  it('the reclaim steps one by one: swap cache, unmap through the rmap, rss counters', () => {
    const snap = mm_snapshot();
    const p = process_create()!;
    const a = do_mmap_anon(p, PAGE_SIZE, RW);
    access_process_vm_write(p, a, pattern(PAGE_SIZE, 9));
    const c = fork_process(p)!;
    const page = follow_page(p.mm!, a)!;
    expect(page_mapcount(page)).toBe(2);
    const cache0 = global_zone_page_state(ZoneStat.NR_SWAPCACHE);

    SetPageLocked(page);
    expect(add_to_swap(page)).toBe(true);
    const entry = page.private;
    expect(PageSwapCache(page)).toBe(true);
    expect(PageDirty(page)).toBe(true);
    expect(swap_map_value(entry)).toBe(SWAP_HAS_CACHE);
    expect(page_count(page)).toBe(3);
    expect(global_zone_page_state(ZoneStat.NR_SWAPCACHE)).toBe(cache0 + 1);

    expect(try_to_unmap(page, TTU_IGNORE_ACCESS)).toBe(true);
    expect(page_mappings(page)).toEqual([]);
    expect(page_mapcount(page)).toBe(0);
    expect(page_count(page)).toBe(1); // only the swap cache
    expect(swap_map_value(entry)).toBe(SWAP_HAS_CACHE | 2);
    for (const t of [p, c]) {
      expect(read64(follow_pte(t.mm!, a))).toBe(swp_entry_to_pte(entry));
      expect(get_mm_counter(t.mm!, MM_ANONPAGES)).toBe(0);
      expect(get_mm_counter(t.mm!, MM_SWAPENTS)).toBe(1);
    }
    ClearPageLocked(page);

    // Both faults find the page in the swap cache (no zswap copy was ever made).
    expect(zswap_stats.stored_pages).toBe(0);
    expect_bytes(access_process_vm_read(c, a, PAGE_SIZE), pattern(PAGE_SIZE, 9));
    expect_bytes(access_process_vm_read(p, a, PAGE_SIZE), pattern(PAGE_SIZE, 9));
    expect(follow_page(c.mm!, a)!.addr).toBe(page.addr);
    expect(page_mapcount(page)).toBe(2);
    expect(swap_map_value(entry)).toBe(SWAP_HAS_CACHE);
    process_exit(c);
    process_exit(p);
    expect(swap_snapshot()).toEqual(SWAP_EMPTY);
    expect(mm_snapshot()).toEqual(snap);
  });

  it('several processes, COW-shared pages after fork: swapped out, read and written from parent and child', () => {
    const snap = mm_snapshot();
    const n = 32;
    const p = process_create('parent')!;
    const q = process_create('other')!;
    const a = do_mmap_anon(p, n * PAGE_SIZE, RW);
    const b = do_mmap_anon(q, n * PAGE_SIZE, RW);
    const pdata = pattern(n * PAGE_SIZE, 2);
    const qdata = pattern(n * PAGE_SIZE, 3);
    access_process_vm_write(p, a, pdata);
    access_process_vm_write(q, b, qdata);
    const c = fork_process(p)!;
    const cdata = pdata.slice();
    // The child breaks COW on the even pages before reclaim.
    for (let i = 0; i < n; i += 2) {
      cdata[i * PAGE_SIZE] = 0xc0 + (i & 0xf);
      access_process_vm_write(c, a + i * PAGE_SIZE, cdata.subarray(i * PAGE_SIZE, i * PAGE_SIZE + 1));
    }

    // Everything goes out: the parent's n pages, the child's n/2 copies, the other's n.
    const total = n + n / 2 + n;
    expect(shrink_node_anon(10 * total)).toBe(total);
    expect(global_zone_page_state(ZoneStat.NR_ANON_MAPPED)).toBe(0);
    for (let i = 0; i < n; i++) {
      const pe = swap_pte(p.mm!, a + i * PAGE_SIZE)!;
      const ce = swap_pte(c.mm!, a + i * PAGE_SIZE)!;
      if (i % 2) {
        expect(ce).toBe(pe); // still shared: one slot, two references
        expect(swap_map_value(pe)).toBe(2);
      } else {
        expect(ce).not.toBe(pe);
        expect(swap_map_value(pe)).toBe(1);
      }
    }
    expect(get_mm_counter(c.mm!, MM_SWAPENTS)).toBe(n);
    expect(swap_snapshot()).toMatchObject({ slots: total, stored: total, swapcache: 0 });

    // Parent reads everything; the child writes the odd (shared) pages, then reads all.
    expect_bytes(access_process_vm_read(p, a, n * PAGE_SIZE), pdata, 'parent after swap-in');
    for (let i = 1; i < n; i += 2) {
      cdata[i * PAGE_SIZE + 7] = 0x5a;
      access_process_vm_write(c, a + i * PAGE_SIZE + 7, new Uint8Array([0x5a]));
      const cp = follow_page(c.mm!, a + i * PAGE_SIZE)!;
      expect(cp.addr).not.toBe(follow_page(p.mm!, a + i * PAGE_SIZE)!.addr);
    }
    expect_bytes(access_process_vm_read(c, a, n * PAGE_SIZE), cdata, 'child');
    expect_bytes(access_process_vm_read(p, a, n * PAGE_SIZE), pdata, 'parent after child writes');
    expect_bytes(access_process_vm_read(q, b, n * PAGE_SIZE), qdata, 'other process');

    // A second round out and in, with a partial munmap in between.
    shrink_node_anon(10 * total);
    expect(do_munmap(q, b, (n / 2) * PAGE_SIZE)).toBe(0);
    expect(get_mm_counter(q.mm!, MM_SWAPENTS) + get_mm_counter(q.mm!, MM_ANONPAGES)).toBe(n / 2);
    expect_bytes(access_process_vm_read(q, b + (n / 2) * PAGE_SIZE, (n / 2) * PAGE_SIZE), qdata.subarray((n / 2) * PAGE_SIZE));
    expect_bytes(access_process_vm_read(c, a, n * PAGE_SIZE), cdata, 'child, second round');
    process_exit(p);
    expect_bytes(access_process_vm_read(c, a, n * PAGE_SIZE), cdata, 'child after parent exit');
    process_exit(c);
    process_exit(q);
    expect(swap_snapshot()).toEqual(SWAP_EMPTY);
    expect(mm_snapshot()).toEqual(snap);
  });

  it('exit while swapped out frees every slot, zswap entry and swap cache page', () => {
    const snap = mm_snapshot();
    const p = process_create()!;
    const a = do_mmap_anon(p, 64 * PAGE_SIZE, RW);
    access_process_vm_write(p, a, pattern(64 * PAGE_SIZE, 4));
    const c = fork_process(p)!;
    shrink_node_anon(1000);
    expect(swap_snapshot().stored).toBe(64);
    // Some pages back in the swap cache, mapped in one process only.
    access_process_vm_read(c, a, 16 * PAGE_SIZE);
    expect(swap_snapshot()).toMatchObject({ slots: 64, stored: 64, swapcache: 16 });
    process_exit(p);
    expect(swap_snapshot()).toMatchObject({ slots: 64, stored: 64, swapcache: 16 });
    process_exit(c);
    expect(swap_snapshot()).toEqual(SWAP_EMPTY);
    expect(mm_snapshot()).toEqual(snap);
  });

  it('COW of a swap-cache page by its last mapping leaves an idle swap-cache page that reclaim frees', () => {
    const snap = mm_snapshot();
    const p = process_create()!;
    const a = do_mmap_anon(p, PAGE_SIZE, RW);
    access_process_vm_write(p, a, pattern(PAGE_SIZE, 5));
    shrink_node_anon(1);
    access_process_vm_read(p, a, 1); // swap cache page, swap count 0
    access_process_vm_write(p, a, new Uint8Array([1])); // do_wp_page
    expect(access_process_vm_read(p, a, 2)).toEqual(new Uint8Array([1, pattern(2, 5)[1]!]));
    // 5.10 copies here and leaves the old page in the swap cache, unmapped, until reclaim
    // (memory.ts could free it at once, as "mm: free idle swap cache page after COW" does).
    expect(swap_snapshot().swapcache).toBeLessThanOrEqual(1);
    shrink_node_anon(SWAP_MAX_SCAN);
    expect(swap_snapshot().swapcache).toBe(0);
    process_exit(p);
    expect(swap_snapshot()).toEqual(SWAP_EMPTY);
    expect(mm_snapshot()).toEqual(snap);
  });

  it('same-filled pages are stored as their value, without a zsmalloc object', () => {
    const p = process_create()!;
    const a = do_mmap_anon(p, 4 * PAGE_SIZE, RW);
    const data = new Uint8Array(4 * PAGE_SIZE);
    data.fill(0, 0, PAGE_SIZE);
    data.fill(0xff, PAGE_SIZE, 2 * PAGE_SIZE);
    for (let i = 2 * PAGE_SIZE; i < 3 * PAGE_SIZE; i++) data[i] = i % 8 === 7 ? 0x80 : 0x11; // one 64-bit value
    data.set(pattern(PAGE_SIZE, 6), 3 * PAGE_SIZE);
    access_process_vm_write(p, a, data);
    expect(shrink_node_anon(4)).toBe(4);
    expect(zswap_stats.same_filled_pages).toBe(3);
    expect(zswap_stats.stored_pages).toBe(4);
    for (let i = 0; i < 3; i++) {
      const e = swap_pte(p.mm!, a + i * PAGE_SIZE)!;
      expect(zswap_entry_length(0, swp_offset(e))).toBe(0);
      expect(zswap_entry_handle(0, swp_offset(e))).toBe(0);
    }
    expect_bytes(access_process_vm_read(p, a, 4 * PAGE_SIZE), data);
    process_exit(p);
    expect(swap_snapshot()).toEqual(SWAP_EMPTY);
    expect(zswap_stats.same_filled_pages).toBe(0);
  });

  it('a page that does not compress is rejected and activated, not lost', () => {
    const p = process_create()!;
    const a = do_mmap_anon(p, 2 * PAGE_SIZE, RW);
    const data = new Uint8Array(2 * PAGE_SIZE);
    data.set(noise(PAGE_SIZE, 7));
    data.set(pattern(PAGE_SIZE, 7), PAGE_SIZE);
    access_process_vm_write(p, a, data);
    const hot = follow_page(p.mm!, a)!;
    // memory.reclaim retries: each round ages the page back to inactive and zswap rejects it again.
    expect(shrink_node_anon(2)).toBe(1);
    expect(zswap_stats.reject_compress_poor).toBeGreaterThanOrEqual(1);
    expect(zswap_stats.stored_pages).toBe(1);
    // The rejected page was unmapped into the swap cache and activated: faults find it there.
    expect(vm_events.pgactivate).toBe(zswap_stats.reject_compress_poor);
    expect(PageLRU(hot)).toBe(true);
    expect(PageSwapCache(hot)).toBe(true);
    expect(PageDirty(hot)).toBe(true);
    expect(swap_pte(p.mm!, a)).toBe(hot.private);
    expect_bytes(access_process_vm_read(p, a, 2 * PAGE_SIZE), data);
    expect(follow_page(p.mm!, a)!.addr).toBe(hot.addr);
    expect(find_report('zswap')!.text()).toMatch(/^pool_limit_hit:0\n(.|\n)*reject_compress_poor:[1-9](.|\n)*stored_pages:1\n/);
    process_exit(p);
    expect(swap_snapshot()).toEqual(SWAP_EMPTY);
  });

  it('a full pool rejects stores (pool_limit_hit) and the pages stay in memory', () => {
    zswap_params.max_pool_percent = 0;
    const p = process_create()!;
    const a = do_mmap_anon(p, 8 * PAGE_SIZE, RW);
    access_process_vm_write(p, a, pattern(8 * PAGE_SIZE, 8));
    // The first store finds the pool empty; from then on it is over its (zero) limit.
    expect(shrink_node_anon(8)).toBe(1);
    expect(zswap_stats.pool_limit_hit).toBeGreaterThan(0);
    expect(zswap_stats.reject_reclaim_fail).toBe(zswap_stats.pool_limit_hit);
    expect(zswap_stats.written_back_pages).toBe(0);
    expect_bytes(access_process_vm_read(p, a, 8 * PAGE_SIZE), pattern(8 * PAGE_SIZE, 8));
    process_exit(p);
    expect(swap_snapshot()).toEqual(SWAP_EMPTY);
  });

  it('a corrupted zswap object is caught by the checksum on load, with dump_page', () => {
    const p = process_create()!;
    const a = do_mmap_anon(p, PAGE_SIZE, RW);
    const data = pattern(PAGE_SIZE, 10);
    access_process_vm_write(p, a, data);
    expect(shrink_node_anon(1)).toBe(1);
    const entry = swap_pte(p.mm!, a)!;
    const pool = zswap_zpool()!;
    const handle = zswap_entry_handle(0, swp_offset(entry));
    const len = zswap_entry_length(0, swp_offset(entry));
    const obj = zs_map_object(pool, handle, ZS_MM_RO);
    const stored = Uint8Array.from({ length: len }, (_, i) => read8(obj + i));
    zs_unmap_object(pool, handle);
    // Find a bit whose flip still decompresses to a full page, only with other contents.
    let target = -1;
    for (let k = 0; k < len * 8 && target < 0; k++) {
      const bad = stored.slice();
      bad[k >> 3]! ^= 1 << (k & 7);
      try {
        const out = inflateRawSync(bad);
        if (out.length === PAGE_SIZE && !out.equals(Buffer.from(data))) target = k;
      } catch { /* not decodable: try the next bit */ }
    }
    expect(target).toBeGreaterThanOrEqual(0);
    const w = zs_map_object(pool, handle, ZS_MM_RW);
    write8(w + (target >> 3), read8(w + (target >> 3)) ^ (1 << (target & 7)));
    zs_unmap_object(pool, handle);
    let caught: unknown = null;
    try {
      access_process_vm_read(p, a, PAGE_SIZE);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(KernelBug);
    const bug = caught as KernelBug;
    expect(bug.message).toMatch(/zswap: checksum mismatch/);
    expect(bug.dump).toMatch(/^page: refcount:\d+ mapcount:0 mapping:/);
    expect(bug.dump).toMatch(/page dumped because: zswap_load: checksum mismatch/);
  });
});

describe('memory pressure', () => {
  it('a process touches more anonymous memory than RAM; every byte reads back; exit returns everything', () => {
    boot({ ram: 16 * MiB });
    const snap = mm_snapshot();
    const p = process_create()!;
    const len = 24 * MiB;
    const a = do_mmap_anon(p, len, RW);
    const chunk = 256 * 1024;
    for (let off = 0; off < len; off += chunk) {
      expect(access_process_vm_write(p, a + off, pattern(chunk, off / chunk))).toBe(chunk);
    }
    expect(zswap_stats.stored_pages).toBeGreaterThan((8 * MiB) / PAGE_SIZE);
    for (let off = 0; off < len; off += chunk) {
      expect_bytes(access_process_vm_read(p, a + off, chunk), pattern(chunk, off / chunk), `chunk at ${off}`);
    }
    expect(find_report('vmscan')!.text()).toMatch(/allocstall_normal [1-9]/);
    process_exit(p);
    expect(swap_snapshot()).toEqual(SWAP_EMPTY);
    expect(swap_slots_in_use()).toBe(0);
    expect(mm_snapshot()).toEqual(snap);
  });
});

describe('determinism', () => {
  function run(): { digest: string; lines: readonly string[] } {
    boot({ ram: 16 * MiB, tracepoints: true, keepTrace: true });
    const p = process_create()!;
    const a = do_mmap_anon(p, 20 * MiB, RW);
    for (let off = 0; off < 20 * MiB; off += MiB) access_process_vm_write(p, a + off, pattern(MiB, off / MiB));
    const c = fork_process(p)!;
    access_process_vm_write(c, a + 3 * PAGE_SIZE, new Uint8Array([9]));
    access_process_vm_read(p, a, 2 * MiB);
    process_exit(c);
    process_exit(p);
    return { digest: trace_digest(), lines: trace_lines() };
  }

  it('the same run gives the same trace: stores, reclaims and swap-ins with pfn, offset and length', () => {
    const one = run();
    const two = run();
    expect(two.digest).toBe(one.digest);
    expect(two.lines.length).toBe(one.lines.length);
    expect(one.lines.some((l) => /^zswap_store: pfn=0x[0-9a-f]+ offset=0x[0-9a-f]+ length=\d+$/.test(l))).toBe(true);
    expect(one.lines.some((l) => /^mm_vmscan_reclaim_page: pfn=0x[0-9a-f]+ swap=0x[0-9a-f]+ length=\d+$/.test(l))).toBe(true);
    expect(one.lines.some((l) => /^zswap_load: pfn=0x[0-9a-f]+ offset=0x[0-9a-f]+ length=\d+$/.test(l))).toBe(true);
    expect(one.lines.some((l) => /^mm_swapin: pfn=0x[0-9a-f]+ swap=0x[0-9a-f]+ major=1/.test(l))).toBe(true);
    expect(one.lines.some((l) => l.startsWith('mm_vmscan_direct_reclaim_begin: order=0'))).toBe(true);
  });
});

const SWAP_MAX_SCAN = 64;
