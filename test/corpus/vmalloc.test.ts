import { describe, it, expect, beforeEach } from 'vitest';
import fc from 'fast-check';
import { boot } from '../../corpus/sim/boot.ts';
import {
  vmalloc, vzalloc, vfree, __vmalloc, __vmalloc_node, __vmalloc_node_range, vmalloc_to_page, vmalloc_to_pfn,
  is_vmalloc_addr, find_vm_area, vmalloc_nr_pages, vm_unmap_aliases, vmallocinfo, vmap, vunmap, get_vm_area_size,
  NUMA_NO_NODE, VM_ALLOC, VM_MAP, VMALLOC_START,
} from '../../corpus/include/linux/vmalloc.ts';
import { vmalloc_debug_check, lazy_max_pages } from '../../corpus/mm/vmalloc.ts';
import { global_zone_page_state, alloc_page } from '../../corpus/mm/page_alloc.ts';
import { page_address, virt_to_page } from '../../corpus/include/linux/mm.ts';
import { ZoneStat } from '../../corpus/include/linux/mmzone.ts';
import { GFP_KERNEL, __GFP_ZERO, __GFP_NOWARN } from '../../corpus/include/linux/gfp.ts';
import { kmalloc_array } from '../../corpus/include/linux/slab.ts';
import { PAGE_KERNEL } from '../../corpus/arch/x86/include/asm/pgtable_types.ts';
import { PAGE_OFFSET } from '../../corpus/arch/x86/include/asm/page_64_types.ts';
import { PGDIR_SIZE } from '../../corpus/arch/x86/include/asm/pgtable_64_types.ts';
import { pgd_index } from '../../corpus/arch/x86/include/asm/pgtable.ts';
import { swapper_pg_dir, vmalloc_translate } from '../../corpus/arch/x86/mm/init_64.ts';
import { walk_page_table } from '../../corpus/mm/memory.ts';
import { process_create } from '../../corpus/kernel/fork.ts';
import { process_exit } from '../../corpus/kernel/exit.ts';
import { copy_from, copy_to, read8, read64, write64 } from '../../corpus/sim/memory.ts';
import { KernelBug, KernelPageFault } from '../../corpus/sim/errors.ts';
import { find_report } from '../../corpus/sim/reports.ts';
import {
  allocFree16k, check_area, churnAreas, equal_bytes, MiB, mulberry32, PAGE_SIZE, pages_accounted, pattern, runVmallocOps,
  VMALLOC_PROPERTY_RUNS, vmallocOpsArb,
} from './vmalloc-workloads.ts';
import { propertySeed } from '../propertySeed.ts';

const LINE = /^0x(ffffc9[0-9a-f]{10})-0x(ffff[0-9a-f]{12}) +(\d+) (\S+) pages=(\d+) vmalloc( vpages)? N0=(\d+)$/;

/** Areas some subsystem may have vmalloc'ed at boot; tests count relative to them. */
let boot_stats = { busy: 0, free: 1, lazy: 0, lazy_pages: 0 };
let boot_lines: string[] = [];

function mine(): string[] {
  return vmallocinfo().split('\n').filter((l) => l && !boot_lines.includes(l));
}

describe('vmalloc', () => {
  beforeEach(() => {
    boot({ ram: 64 * MiB });
    boot_stats = vmalloc_debug_check();
    boot_lines = vmallocinfo().split('\n');
  });

  it('hands out page-aligned, non-overlapping areas with a guard page each', () => {
    const sizes = [1, 4096, 5000, 16384, 100_000, 12288, 8191];
    const addrs = sizes.map((s) => vmalloc(s, 'test_alloc'));
    for (const [i, a] of addrs.entries()) {
      expect(is_vmalloc_addr(a)).toBe(true);
      expect(a % PAGE_SIZE).toBe(0);
      const vm = find_vm_area(a)!;
      const usable = Math.ceil(sizes[i]! / PAGE_SIZE) * PAGE_SIZE;
      expect(vm.size).toBe(usable + PAGE_SIZE);
      expect(get_vm_area_size(vm)).toBe(usable);
      expect(vm.nr_pages).toBe(usable / PAGE_SIZE);
      expect(vm.flags & VM_ALLOC).toBe(VM_ALLOC);
      expect(vm.caller).toBe('test_alloc');
      // The guard page is not mapped: touching it oopses.
      expect(() => read8(a + usable)).toThrow(KernelPageFault);
      check_area(a);
    }
    const vms = addrs.map((a) => find_vm_area(a)!).sort((x, y) => x.addr - y.addr);
    for (let i = 1; i < vms.length; i++) expect(vms[i - 1]!.addr + vms[i - 1]!.size).toBeLessThanOrEqual(vms[i]!.addr);
    // Any address inside an area finds it; the guard page belongs to it too.
    expect(find_vm_area(addrs[4]! + 50_000)).toBe(find_vm_area(addrs[4]!));
    expect(vmalloc_debug_check().busy).toBe(boot_stats.busy + sizes.length);
    for (const a of addrs) vfree(a);
    expect(vmalloc_debug_check().busy).toBe(boot_stats.busy);
    for (const a of addrs) expect(() => read8(a)).toThrow(KernelPageFault);
  });

  it('stores data in the backing pages, read back through the direct map', () => {
    const len = 7 * PAGE_SIZE + 100;
    const a = vmalloc(len);
    const data = pattern(len, 3);
    copy_to(a, data);
    expect(equal_bytes(copy_from(a, len), data)).toBe(true);
    for (let off = 0; off < len; off += PAGE_SIZE) {
      const page = vmalloc_to_page(a + off)!;
      const n = Math.min(PAGE_SIZE, len - off);
      expect(equal_bytes(copy_from(page_address(page), n), data.subarray(off, off + n))).toBe(true);
    }
    // Pages are not physically contiguous in general, but the virtual range is.
    write64(a + PAGE_SIZE - 8, 0x1234_5678_9abc);
    expect(read64(a + PAGE_SIZE - 8)).toBe(0x1234_5678_9abc);
    vfree(a);
  });

  it('vzalloc and __GFP_ZERO give zeroed memory', () => {
    const dirty = vmalloc(64 * PAGE_SIZE);
    copy_to(dirty, new Uint8Array(64 * PAGE_SIZE).fill(0x5a));
    vfree(dirty);
    vm_unmap_aliases();
    const z = vzalloc(64 * PAGE_SIZE);
    expect(copy_from(z, 64 * PAGE_SIZE).every((b) => b === 0)).toBe(true);
    const z2 = __vmalloc(3 * PAGE_SIZE, GFP_KERNEL | __GFP_ZERO);
    expect(copy_from(z2, 3 * PAGE_SIZE).every((b) => b === 0)).toBe(true);
    vfree(z);
    vfree(z2);
  });

  it('vmalloc_to_page walks the page tables, also for the direct map', () => {
    const page = alloc_page(GFP_KERNEL)!;
    const va = page_address(page) + 100;
    expect(vmalloc_to_page(va)!.addr).toBe(virt_to_page(va).addr);
    expect(vmalloc_to_page(VMALLOC_START + 1000 * PGDIR_SIZE)).toBeNull();
    expect(vmalloc_to_pfn(VMALLOC_START + 1000 * PGDIR_SIZE)).toBe(-1);
    expect(vmalloc_to_page(PAGE_OFFSET)!.addr).toBe(virt_to_page(PAGE_OFFSET).addr);
  });

  it('frees lazily, reuses freed space after a purge and merges free neighbours', () => {
    const a = vmalloc(16384);
    vfree(a);
    // Lazily freed: unmapped at once, but the range waits for the purge.
    expect(vmalloc_debug_check().lazy).toBe(1);
    expect(() => read8(a)).toThrow(KernelPageFault);
    const b = vmalloc(16384);
    expect(b).not.toBe(a);
    vm_unmap_aliases();
    expect(vmalloc_debug_check().lazy).toBe(0);
    const c = vmalloc(16384);
    expect(c).toBe(a);
    vfree(b);
    vfree(c);
    vm_unmap_aliases();

    // Three neighbours freed and merged: one allocation covering all three lands on the first.
    const keep0 = vmalloc(PAGE_SIZE);
    const x = vmalloc(3 * PAGE_SIZE);
    const y = vmalloc(5 * PAGE_SIZE);
    const z = vmalloc(2 * PAGE_SIZE);
    expect(y).toBe(x + 4 * PAGE_SIZE);
    expect(z).toBe(y + 6 * PAGE_SIZE);
    const keep = vmalloc(PAGE_SIZE);
    const free_before = vmalloc_debug_check().free;
    vfree(y);
    vfree(x);
    vfree(z);
    vm_unmap_aliases();
    expect(vmalloc_debug_check().free).toBe(free_before + 1);
    const w = vmalloc(12 * PAGE_SIZE);
    expect(w).toBe(x);
    vfree(w);
    vfree(keep);
    vfree(keep0);
    vm_unmap_aliases();
    // Everything merged back into the free blocks the machine booted with.
    expect(vmalloc_debug_check()).toEqual(boot_stats);
  });

  it('purges by itself once lazy_max_pages() of address space wait', () => {
    let highest = 0;
    for (let i = 0; i < 5000; i++) {
      const a = vmalloc(16384);
      highest = Math.max(highest, a);
      vfree(a);
      if (i % 500 === 0) expect(vmalloc_debug_check().lazy_pages).toBeLessThanOrEqual(lazy_max_pages());
    }
    // 5000 * 20 KiB = 100 MiB of address space went through; the high-water mark stays near 32 MiB.
    expect(highest - VMALLOC_START).toBeLessThan(2 * lazy_max_pages() * PAGE_SIZE);
    vmalloc_debug_check();
  });

  it('aligns when asked', () => {
    const small = vmalloc(PAGE_SIZE);
    const a = __vmalloc_node(5 * PAGE_SIZE, 64 * 1024, GFP_KERNEL, NUMA_NO_NODE, 'aligned');
    expect(a % (64 * 1024)).toBe(0);
    const b = __vmalloc_node(PAGE_SIZE, 2 * MiB, GFP_KERNEL, NUMA_NO_NODE, 'aligned');
    expect(b % (2 * MiB)).toBe(0);
    // The hole left below the aligned areas is used by the next small allocation.
    const c = vmalloc(PAGE_SIZE);
    expect(c).toBe(small + 2 * PAGE_SIZE);
    for (const p of [small, a, b, c]) vfree(p);
    vm_unmap_aliases();
    vmalloc_debug_check();
  });

  it('a foreign page->private in a vmalloc page is caught at vfree', () => {
    const a = vmalloc(2 * PAGE_SIZE);
    const page = vmalloc_to_page(a + PAGE_SIZE)!;
    page.private = 0x1234;
    expect(() => vfree(a)).toThrow(/vmalloc page not owned by its vm_struct/);
  });

  it('uses a vmalloc\'ed pages array for large areas (nested vmalloc)', () => {
    const nr = 1024;
    const a = vmalloc(nr * PAGE_SIZE, 'big_user');
    const vm = find_vm_area(a)!;
    expect(vm.nr_pages).toBe(nr);
    expect(is_vmalloc_addr(vm.pages)).toBe(true);
    const inner = find_vm_area(vm.pages)!;
    expect(inner.addr).toBe(vm.pages);
    expect(get_vm_area_size(inner)).toBe(nr * 8);
    expect(inner.caller).toBe('big_user');
    check_area(a);
    check_area(vm.pages);
    const data = pattern(nr * PAGE_SIZE, 9);
    copy_to(a, data);
    expect(equal_bytes(copy_from(a, nr * PAGE_SIZE), data)).toBe(true);
    const info = mine();
    expect(info).toHaveLength(2);
    // The area is reserved before its pages array is allocated, so the array sits above it.
    expect(info[0]).toMatch(/ big_user pages=1024 vmalloc vpages N0=1024$/);
    expect(info[1]).toMatch(/ big_user pages=2 vmalloc N0=2$/);
    const base_nr = vmalloc_nr_pages() - nr - 2;
    vfree(a);
    expect(vmalloc_nr_pages()).toBe(base_nr);
    expect(find_vm_area(vm.pages)).toBeNull();
    expect(mine()).toEqual([]);
  });

  it('copies a new top-level entry into every process pgd', () => {
    // A 512 GiB slot of the vmalloc range that nothing uses yet.
    let slot = VMALLOC_START;
    while (read64(swapper_pg_dir + pgd_index(slot) * 8) !== 0) slot += PGDIR_SIZE;
    const before = process_create('before')!;
    const pgd_entry = (pgd: number) => read64(pgd + pgd_index(slot) * 8);
    expect(pgd_entry(before.mm!.pgd)).toBe(0);
    const pt = global_zone_page_state(ZoneStat.NR_PAGETABLE);
    const a = __vmalloc_node_range(4 * PAGE_SIZE, 1, slot, slot + PGDIR_SIZE, GFP_KERNEL, PAGE_KERNEL, 0, NUMA_NO_NODE, 'pgd_test');
    expect(a).toBe(slot);
    // A new PUD, PMD and PTE table for the empty slot.
    expect(global_zone_page_state(ZoneStat.NR_PAGETABLE) - pt).toBe(3);
    const ref = pgd_entry(swapper_pg_dir);
    expect(ref).not.toBe(0);
    expect(pgd_entry(before.mm!.pgd)).toBe(ref);
    const after = process_create('after')!;
    expect(pgd_entry(after.mm!.pgd)).toBe(ref);
    const pt_after = global_zone_page_state(ZoneStat.NR_PAGETABLE);
    // The process's own tables translate the vmalloc address like init_mm's.
    copy_to(a + 10, new Uint8Array([1, 2, 3]));
    expect(walk_page_table(before.mm!, a + 10).phys).toBe(vmalloc_translate(a + 10));
    vfree(a);
    vm_unmap_aliases();
    // Kernel page tables stay: the entry remains in every pgd.
    expect(pgd_entry(before.mm!.pgd)).toBe(ref);
    expect(global_zone_page_state(ZoneStat.NR_PAGETABLE)).toBe(pt_after);
    process_exit(before);
    process_exit(after);
  });

  it('vmap maps caller pages without taking them over', () => {
    const pages = [alloc_page(GFP_KERNEL)!, alloc_page(GFP_KERNEL)!, alloc_page(GFP_KERNEL)!];
    const arr = kmalloc_array(3, 8, GFP_KERNEL);
    pages.forEach((p, i) => { write64(arr + i * 8, p.addr); p.private = 0; });
    const a = vmap(arr, 3, VM_MAP, PAGE_KERNEL, 'vmap_test');
    expect(find_vm_area(a)!.flags & VM_MAP).toBe(VM_MAP);
    pages.forEach((p, i) => {
      expect(vmalloc_to_page(a + i * PAGE_SIZE)!.addr).toBe(p.addr);
      expect(p.private).toBe(0);
    });
    expect(mine()).toEqual([expect.stringMatching(/ vmap_test vmap$/)]);
    vunmap(a);
    expect(vmalloc_to_page(a)).toBeNull();
  });

  it('rejects bad vfree calls; vfree(0) does nothing', () => {
    vfree(0);
    const a = vmalloc(3 * PAGE_SIZE);
    expect(() => vfree(a + 1)).toThrow(KernelBug);
    expect(() => vfree(a + PAGE_SIZE)).toThrow(/bad address/);
    expect(() => vfree(VMALLOC_START + 100 * PGDIR_SIZE)).toThrow(/nonexistent vm area/);
    vfree(a);
    expect(() => vfree(a)).toThrow(/nonexistent vm area/);
    expect(vmalloc(0)).toBe(0);
    expect(vmalloc(128 * MiB)).toBe(0);
    vmalloc_debug_check();
  });

  it('prints /proc/vmallocinfo in the kernel format, sorted by address', () => {
    expect(find_report('vmallocinfo')!.title).toBe('/proc/vmallocinfo');
    const c = vmalloc(3 * PAGE_SIZE, 'zswap_pool_create');
    const a = vmalloc(PAGE_SIZE, 'first');
    vfree(c);
    vm_unmap_aliases();
    const b = vmalloc(PAGE_SIZE, 'second');
    expect(find_report('vmallocinfo')!.text()).toBe(vmallocinfo());
    const lines = mine();
    expect(lines).toHaveLength(2);
    const parsed = lines.map((l) => LINE.exec(l)!);
    expect(parsed.every((m) => m !== null)).toBe(true);
    expect(BigInt('0x' + parsed[0]![1]!) < BigInt('0x' + parsed[1]![1]!)).toBe(true);
    expect(lines[0]).toBe(`0xffff${b.toString(16)}-0xffff${(b + 2 * PAGE_SIZE).toString(16)}    8192 second pages=1 vmalloc N0=1`);
    expect(lines[1]).toBe(`0xffff${a.toString(16)}-0xffff${(a + 2 * PAGE_SIZE).toString(16)}    8192 first pages=1 vmalloc N0=1`);
  });

  it('keeps thousands of areas in order', () => {
    // bench/limits.bench.ts times the same churn (limit 15 s).
    const live = churnAreas(6000, 7);
    const stats = vmalloc_debug_check();
    expect(stats.busy).toBe(boot_stats.busy + live.length);
    for (const a of live) vfree(a);
    vm_unmap_aliases();
    expect(vmalloc_debug_check()).toEqual(boot_stats);
  });

  it('finds the lowest fit for any alignment and range, like a brute-force search', () => {
    const rnd = mulberry32(11);
    const live: Array<{ addr: number; end: number }> = [];
    const base = VMALLOC_START + 4 * PGDIR_SIZE;
    for (const l of vmallocinfo().split('\n').filter(Boolean)) {
      const m = /^0xffff([0-9a-f]+)-0xffff([0-9a-f]+)/.exec(l)!;
      live.push({ addr: parseInt(m[1]!, 16), end: parseInt(m[2]!, 16) });
    }
    for (let i = 0; i < 1500; i++) {
      if (live.length > 3 && rnd() < 0.4) {
        const k = Math.floor(rnd() * live.length);
        if (live[k]!.addr >= base) {
          vfree(live[k]!.addr);
          live.splice(k, 1);
        }
        continue;
      }
      vm_unmap_aliases();
      const pages = 1 + Math.floor(rnd() * 6);
      const align = rnd() < 0.5 ? 1 : 2 ** Math.floor(rnd() * 18) * (rnd() < 0.5 ? 1 : PAGE_SIZE);
      const vstart = base + Math.floor(rnd() * 64) * PAGE_SIZE * 3;
      const vend = vstart + (rnd() < 0.8 ? 2 ** 30 : (pages + 1) * PAGE_SIZE * 4);
      // Brute force: walk the busy ranges in order for the lowest aligned hole in [vstart, vend).
      const size = (pages + 1) * PAGE_SIZE;
      const sorted = [...live].sort((x, y) => x.addr - y.addr);
      let cand = Math.ceil(vstart / align) * align;
      for (const b of sorted) {
        if (b.end <= cand) continue;
        if (b.addr >= cand + size) break;
        cand = Math.ceil(b.end / align) * align;
      }
      const expected = cand + size <= vend ? cand : 0;
      const got = __vmalloc_node_range(pages * PAGE_SIZE, align, vstart, vend, GFP_KERNEL | __GFP_NOWARN, PAGE_KERNEL, 0, NUMA_NO_NODE, 'fit');
      if (align === 1) {
        expect(got).toBe(expected);
      } else if (got) {
        // With alignment the kernel searches blocks of size + align - 1 bytes, so a smaller hole
        // that happens to be aligned may be passed over: never lower than the lowest fit.
        expect(got).toBeGreaterThanOrEqual(expected);
        expect(got % align).toBe(0);
        expect(got >= vstart && got + size <= vend).toBe(true);
      }
      if (got) live.push({ addr: got, end: got + size });
    }
    vmalloc_debug_check();
  });

  it('vmalloc + vfree of 16 KiB, 22 000 times, leaves nothing behind', () => {
    // bench/limits.bench.ts times the same pairs (limit 100 µs a pair).
    const pages = vmalloc_nr_pages();
    const accounted = pages_accounted();
    allocFree16k(22_000);
    vm_unmap_aliases();
    expect(vmalloc_debug_check()).toEqual(boot_stats);
    expect(vmalloc_nr_pages()).toBe(pages);
    expect(pages_accounted()).toBe(accounted);
  });
});

/* ---- property: random vmalloc / vfree / write / read sequences against a model ---- */

describe('vmalloc property', () => {
  it('random vmalloc/vfree/write/read sequences keep data, mappings and accounting', () => {
    const seed = propertySeed('vmalloc');
    // bench/limits.bench.ts times the same runs (limit 20 s).
    fc.assert(fc.property(vmallocOpsArb, (ops) => runVmallocOps(ops)), { seed, numRuns: VMALLOC_PROPERTY_RUNS, endOnFailure: true });
  });
});
