import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { boot } from '../../corpus/sim/boot.ts';
import { process_create, fork_process } from '../../corpus/kernel/fork.ts';
import { process_exit } from '../../corpus/kernel/exit.ts';
import { do_mmap_anon, do_munmap, find_vma, PROT_READ, PROT_WRITE, PROT_NONE } from '../../corpus/mm/mmap.ts';
import {
  access_process_vm_write, access_process_vm_read, walk_page_table, follow_pte, follow_page, handle_mm_fault,
  count_user_pgtables, register_swap_ops, zero_pfn, type VmFault,
} from '../../corpus/mm/memory.ts';
import {
  page_referenced, try_to_unmap, page_add_anon_rmap, page_mappings, TTU_IGNORE_ACCESS, anon_vmas,
} from '../../corpus/mm/rmap.ts';
import {
  Page, MM_ANONPAGES, MM_SWAPENTS, VM_FAULT_OOM, VM_FAULT_HWPOISON, VM_FAULT_ERROR, VM_WRITE,
} from '../../corpus/include/linux/mm_types.ts';
import {
  page_to_pfn, get_page, put_page, page_count, page_mapcount, get_mm_counter, inc_mm_counter, dec_mm_counter,
  pte_offset_map_lock, pte_unmap_unlock,
} from '../../corpus/include/linux/mm.ts';
import {
  PageAnon, PageLRU, PageSwapBacked, PageSwapCache, SetPageSwapCache, ClearPageSwapCache, PAGE_MAPPING_ANON,
  SetPageHWPoison, SetPageLocked, ClearPageLocked, PageDirty,
} from '../../corpus/include/linux/page-flags.ts';
import { ZoneStat } from '../../corpus/include/linux/mmzone.ts';
import { global_zone_page_state } from '../../corpus/mm/page_alloc.ts';
import {
  pte_pfn, pte_present, pte_write, pte_young, pte_dirty, swp_entry, pte_to_swp_entry, is_swap_pte, mk_pte, set_pte_at,
  pte_same, type swp_entry_t,
} from '../../corpus/arch/x86/include/asm/pgtable.ts';
import { PAGE_SIZE } from '../../corpus/arch/x86/include/asm/page_64_types.ts';
import { read64 } from '../../corpus/sim/memory.ts';
import { mm_snapshot, expect_bytes } from './pgtable-helpers.ts';
import { swap_info, swapoff } from '../../corpus/mm/swapfile.ts';

const MiB = 1024 * 1024;
const RW = PROT_READ | PROT_WRITE;

function fill(len: number, seed: number): Uint8Array {
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

describe('anonymous faults', () => {
  beforeEach(() => {
    boot({ ram: 64 * MiB });
  });

  it('a new anonymous page: mapping = anon_vma | ANON, index = linear index, mapcount 0, on the LRU', () => {
    const t = process_create()!;
    const addr = do_mmap_anon(t, 16 * PAGE_SIZE, RW);
    const anon0 = global_zone_page_state(ZoneStat.NR_ANON_MAPPED);
    expect(access_process_vm_write(t, addr + 5 * PAGE_SIZE + 7, new Uint8Array([42]))).toBe(1);
    const page = follow_page(t.mm!, addr + 5 * PAGE_SIZE)!;
    const vma = find_vma(t.mm!, addr)!;
    expect(PageAnon(page)).toBe(true);
    expect(page.mapping).toBe(vma.anon_vma!.addr + PAGE_MAPPING_ANON);
    expect(anon_vmas.get(page.mapping - 1)).toBe(vma.anon_vma);
    expect(page.index).toBe(vma.vm_pgoff + 5);
    expect(page.index).toBe((addr + 5 * PAGE_SIZE) / PAGE_SIZE);
    expect(page._mapcount).toBe(0);
    expect(page_count(page)).toBe(1);
    expect(PageLRU(page) && PageSwapBacked(page)).toBe(true);
    expect(global_zone_page_state(ZoneStat.NR_ANON_MAPPED)).toBe(anon0 + 1);
    expect(get_mm_counter(t.mm!, MM_ANONPAGES)).toBe(1);
    // The CPU set the accessed and dirty bits; the rest of the page is zero.
    const pte = read64(follow_pte(t.mm!, addr + 5 * PAGE_SIZE));
    expect(pte_young(pte) && pte_dirty(pte) && pte_write(pte)).toBe(true);
    const back = access_process_vm_read(t, addr + 5 * PAGE_SIZE, PAGE_SIZE);
    expect(back[7]).toBe(42);
    expect(back.reduce((a, b) => a + b, 0)).toBe(42);
    process_exit(t);
    expect(global_zone_page_state(ZoneStat.NR_ANON_MAPPED)).toBe(anon0);
  });

  it('reads of untouched memory map the zero page; the first write replaces it', () => {
    const t = process_create()!;
    const addr = do_mmap_anon(t, 4 * PAGE_SIZE, RW);
    const anon0 = global_zone_page_state(ZoneStat.NR_ANON_MAPPED);
    expect_bytes(access_process_vm_read(t, addr, 3 * PAGE_SIZE), new Uint8Array(3 * PAGE_SIZE));
    const pte = read64(follow_pte(t.mm!, addr));
    expect(pte_pfn(pte)).toBe(zero_pfn());
    expect(pte_write(pte)).toBe(false);
    expect(follow_page(t.mm!, addr)).toBeNull();
    expect(global_zone_page_state(ZoneStat.NR_ANON_MAPPED)).toBe(anon0);
    expect(get_mm_counter(t.mm!, MM_ANONPAGES)).toBe(0);
    access_process_vm_write(t, addr + 1, new Uint8Array([9]));
    const page = follow_page(t.mm!, addr)!;
    expect(page_to_pfn(page)).not.toBe(zero_pfn());
    expect_bytes(access_process_vm_read(t, addr, 3), new Uint8Array([0, 9, 0]));
    expect(get_mm_counter(t.mm!, MM_ANONPAGES)).toBe(1);
    // A fork shares zero-page PTEs without touching any struct page.
    const c = fork_process(t)!;
    expect(pte_pfn(read64(follow_pte(c.mm!, addr + PAGE_SIZE)))).toBe(zero_pfn());
    process_exit(c);
    process_exit(t);
  });

  it('munmap splits VMAs, frees the pages and the page tables no VMA covers any more', () => {
    const snap = mm_snapshot();
    const t = process_create()!;
    const mm = t.mm!;
    const len = 8 * MiB;
    const addr = do_mmap_anon(t, len, RW);
    const base = Math.ceil(addr / (2 * MiB)) * 2 * MiB;
    for (let a = base; a < addr + len; a += 2 * MiB) access_process_vm_write(t, a, new Uint8Array([1]));
    access_process_vm_write(t, base + 2 * MiB + PAGE_SIZE, new Uint8Array([2]));
    const [, , ptes0] = count_user_pgtables(mm);
    expect(get_mm_counter(mm, MM_ANONPAGES)).toBe(ptes0 + 1);
    expect(mm.pgtables_bytes).toBe((2 + ptes0) * 4096);

    // One page in the middle of a table: the table stays.
    expect(do_munmap(t, base + 2 * MiB + PAGE_SIZE, PAGE_SIZE)).toBe(0);
    expect(mm.map_count).toBe(2);
    expect(count_user_pgtables(mm)[2]).toBe(ptes0);
    expect(get_mm_counter(mm, MM_ANONPAGES)).toBe(ptes0);
    // A whole 2 MiB-aligned chunk: its PTE table goes.
    expect(do_munmap(t, base, 2 * MiB)).toBe(0);
    expect(mm.map_count).toBe(3);
    expect(count_user_pgtables(mm)[2]).toBe(ptes0 - 1);
    expect(mm.pgtables_bytes).toBe((2 + ptes0 - 1) * 4096);
    expect(walk_page_table(mm, base).pmd).toBe(0);
    expect_bytes(access_process_vm_read(t, base + 2 * MiB, 1), new Uint8Array([1]));
    expect(handle_mm_fault(t, base, false) & VM_FAULT_ERROR).toBeTruthy();
    // Everything: all tables but the pgd go.
    expect(do_munmap(t, addr, len)).toBe(0);
    expect(mm.map_count).toBe(0);
    expect(mm.mmap).toBeNull();
    expect(count_user_pgtables(mm)).toEqual([0, 0, 0]);
    expect(mm.pgtables_bytes).toBe(0);
    expect(get_mm_counter(mm, MM_ANONPAGES)).toBe(0);
    process_exit(t);
    expect(mm_snapshot()).toEqual(snap);
  });

  it('adjacent anonymous mappings merge; munmap of the middle splits them again', () => {
    const t = process_create()!;
    const mm = t.mm!;
    const a = do_mmap_anon(t, 4 * PAGE_SIZE, RW);
    access_process_vm_write(t, a, fill(4 * PAGE_SIZE, 1));
    const b = do_mmap_anon(t, 4 * PAGE_SIZE, RW);
    expect(b).toBe(a - 4 * PAGE_SIZE);
    expect(mm.map_count).toBe(1);
    access_process_vm_write(t, b, fill(4 * PAGE_SIZE, 2));
    const c = do_mmap_anon(t, 4 * PAGE_SIZE, PROT_READ);
    expect(mm.map_count).toBe(2); // different flags
    expect(do_munmap(t, b + 2 * PAGE_SIZE, 4 * PAGE_SIZE)).toBe(0);
    expect(mm.map_count).toBe(3);
    expect_bytes(access_process_vm_read(t, b, 2 * PAGE_SIZE), fill(4 * PAGE_SIZE, 2).subarray(0, 2 * PAGE_SIZE));
    expect_bytes(access_process_vm_read(t, a + 2 * PAGE_SIZE, 2 * PAGE_SIZE), fill(4 * PAGE_SIZE, 1).subarray(2 * PAGE_SIZE));
    // Refill the hole: prev and next merge back into one VMA with the pages still found by rmap.
    const d = do_mmap_anon(t, 4 * PAGE_SIZE, RW);
    expect(d).toBe(b + 2 * PAGE_SIZE);
    expect(mm.map_count).toBe(2);
    const page = follow_page(mm, a + 3 * PAGE_SIZE)!;
    expect(page_mappings(page).map((m) => m.address)).toEqual([a + 3 * PAGE_SIZE]);
    expect_bytes(access_process_vm_read(t, d, 4 * PAGE_SIZE), new Uint8Array(4 * PAGE_SIZE));
    expect(c).toBeLessThan(b);
    process_exit(t);
  });

  it('PROT_NONE mappings fault with SIGSEGV', () => {
    const t = process_create()!;
    const a = do_mmap_anon(t, PAGE_SIZE, PROT_NONE);
    expect(access_process_vm_read(t, a, 1).length).toBe(0);
    process_exit(t);
  });

  it('page_referenced counts and clears young PTEs', () => {
    const t = process_create()!;
    const a = do_mmap_anon(t, PAGE_SIZE, RW);
    access_process_vm_write(t, a, new Uint8Array([1]));
    const c = fork_process(t)!;
    const page = follow_page(t.mm!, a)!;
    access_process_vm_read(t, a, 1);
    const flags = { vm_flags: 0 };
    expect(page_referenced(page, false, null, flags)).toBe(1); // the child's copy is old after fork
    expect(flags.vm_flags & VM_WRITE).toBeTruthy();
    expect(page_referenced(page, false, null)).toBe(0);
    access_process_vm_read(c, a, 1);
    access_process_vm_read(t, a, 1);
    expect(page_referenced(page, false, null)).toBe(2);
    process_exit(c);
    process_exit(t);
  });
});

describe('memory exhaustion', () => {
  it('faults return VM_FAULT_OOM when memory runs out, and exit gives everything back', () => {
    boot({ ram: 16 * MiB });
    swapoff(swap_info[0]!); // without swap, anonymous memory cannot be reclaimed
    const snap = mm_snapshot();
    const t = process_create()!;
    const len = 32 * MiB;
    const addr = do_mmap_anon(t, len, RW);
    let a = addr;
    const chunk = fill(PAGE_SIZE, 3);
    while (a < addr + len && access_process_vm_write(t, a, chunk) === PAGE_SIZE) a += PAGE_SIZE;
    expect(a).toBeLessThan(addr + len);
    expect(handle_mm_fault(t, a, true)).toBe(VM_FAULT_OOM);
    // Forking a process that fills memory fails cleanly.
    expect(fork_process(t)).toBeNull();
    expect_bytes(access_process_vm_read(t, addr + PAGE_SIZE, PAGE_SIZE), chunk);
    process_exit(t);
    expect(mm_snapshot()).toEqual(snap);
  });
});

/**
 * A minimal swap backend standing in for the swap subsystem: a swap "cache" of pages by
 * entry, and a count of PTE references per entry.
 */
class FakeSwap {
  readonly count = new Map<swp_entry_t, number>();
  readonly cache = new Map<swp_entry_t, Page>();

  add_to_swap(page: Page, entry: swp_entry_t): void {
    SetPageSwapCache(page);
    page.private = entry;
    get_page(page);
    this.cache.set(entry, page);
    this.count.set(entry, 0);
  }

  private drop_cache(entry: swp_entry_t): void {
    const page = this.cache.get(entry);
    if (!page) return;
    this.cache.delete(entry);
    ClearPageSwapCache(page);
    page.private = 0;
    put_page(page);
  }

  install(): void {
    register_swap_ops({
      swap_duplicate: (entry) => {
        this.count.set(entry, (this.count.get(entry) ?? 0) + 1);
        return 0;
      },
      free_swap_and_cache: (entry) => {
        const c = this.count.get(entry);
        if (!c) return false;
        this.count.set(entry, c - 1);
        if (c === 1) {
          this.drop_cache(entry);
          this.count.delete(entry);
        }
        return true;
      },
      free_swap_cache: () => {},
      do_swap_page: (vmf: VmFault) => {
        const mm = vmf.vma.vm_mm;
        const entry = pte_to_swp_entry(vmf.orig_pte);
        const page = this.cache.get(entry)!;
        SetPageLocked(page);
        get_page(page);
        vmf.pte = pte_offset_map_lock(mm, vmf.pmd, vmf.address, vmf);
        if (!pte_same(read64(vmf.pte), vmf.orig_pte)) {
          pte_unmap_unlock(vmf.pte, vmf.ptl);
          ClearPageLocked(page);
          put_page(page);
          return 0;
        }
        inc_mm_counter(mm, MM_ANONPAGES);
        dec_mm_counter(mm, MM_SWAPENTS);
        page_add_anon_rmap(page, vmf.vma, vmf.address, false);
        set_pte_at(mm, vmf.address, vmf.pte, mk_pte(page, vmf.vma.vm_page_prot));
        this.count.set(entry, this.count.get(entry)! - 1); // swap_free()
        pte_unmap_unlock(vmf.pte, vmf.ptl);
        ClearPageLocked(page);
        return 0;
      },
    });
  }
}

describe('swap and hwpoison entries', () => {
  beforeEach(() => {
    boot({ ram: 64 * MiB });
  });
  afterEach(() => {
    register_swap_ops(null);
  });

  it('try_to_unmap turns every mapping into a swap PTE that fork copies and exit releases', () => {
    const swap = new FakeSwap();
    swap.install();
    const snap = mm_snapshot();
    const t = process_create()!;
    const a = do_mmap_anon(t, PAGE_SIZE, RW);
    access_process_vm_write(t, a, fill(PAGE_SIZE, 5));
    const c = fork_process(t)!;
    const page = follow_page(t.mm!, a)!;
    expect(page_mapcount(page)).toBe(2);
    const entry = swp_entry(1, 77);
    swap.add_to_swap(page, entry);
    get_page(page); // reclaim's isolation reference
    expect(try_to_unmap(page, TTU_IGNORE_ACCESS)).toBe(true);
    expect(page_mapcount(page)).toBe(0);
    expect(PageDirty(page)).toBe(true);
    for (const task of [t, c]) {
      const pte = read64(follow_pte(task.mm!, a));
      expect(is_swap_pte(pte)).toBe(true);
      expect(pte_to_swp_entry(pte)).toBe(entry);
      expect(get_mm_counter(task.mm!, MM_SWAPENTS)).toBe(1);
      expect(get_mm_counter(task.mm!, MM_ANONPAGES)).toBe(0);
    }
    expect(swap.count.get(entry)).toBe(2);
    put_page(page);
    // fork copies the swap PTE and takes a reference on the entry.
    const g = fork_process(c)!;
    expect(swap.count.get(entry)).toBe(3);
    // Swap-in maps the swap-cache page again (page_add_anon_rmap keeps its anon_vma and index).
    expect_bytes(access_process_vm_read(g, a, PAGE_SIZE), fill(PAGE_SIZE, 5));
    expect(follow_page(g.mm!, a)!.addr).toBe(page.addr);
    expect(page_mapcount(page)).toBe(1);
    expect(page_mappings(page).map((m) => m.mm)).toEqual([g.mm]);
    process_exit(c);
    process_exit(g);
    process_exit(t);
    expect(swap.count.size).toBe(0);
    expect(PageSwapCache(page)).toBe(false);
    expect(mm_snapshot()).toEqual(snap);
  });

  it('a hwpoisoned page is unmapped to hwpoison entries; touching one is VM_FAULT_HWPOISON', () => {
    const t = process_create()!;
    const a = do_mmap_anon(t, 2 * PAGE_SIZE, RW);
    access_process_vm_write(t, a, new Uint8Array([1]));
    const page = follow_page(t.mm!, a)!;
    get_page(page); // memory_failure() holds the page
    SetPageHWPoison(page);
    expect(try_to_unmap(page, TTU_IGNORE_ACCESS)).toBe(true);
    expect(pte_present(read64(follow_pte(t.mm!, a)))).toBe(false);
    expect(handle_mm_fault(t, a, false)).toBe(VM_FAULT_HWPOISON);
    expect(get_mm_counter(t.mm!, MM_ANONPAGES)).toBe(0);
    const c = fork_process(t)!;
    expect(handle_mm_fault(c, a, true)).toBe(VM_FAULT_HWPOISON);
    process_exit(c);
    process_exit(t);
    expect(page_count(page)).toBe(1);
  });
});
