import { describe, it, expect, beforeEach } from 'vitest';
import { boot } from '../../corpus/sim/boot.ts';
import { process_create, fork_process } from '../../corpus/kernel/fork.ts';
import { process_exit } from '../../corpus/kernel/exit.ts';
import { do_mmap_anon, PROT_READ, PROT_WRITE } from '../../corpus/mm/mmap.ts';
import {
  access_process_vm_write, access_process_vm_read, walk_page_table, follow_pte, follow_page, handle_mm_fault,
  pud_alloc_track, pmd_alloc_track, pte_alloc_kernel_track, count_user_pgtables,
} from '../../corpus/mm/memory.ts';
import { Page, init_mm } from '../../corpus/include/linux/mm_types.ts';
import {
  virt_to_page, page_to_pfn, pfn_to_page, page_address, ptlock_ptr, ptlock_init, pmd_to_page,
} from '../../corpus/include/linux/mm.ts';
import { PageTable, PageSlab, PGTY_table } from '../../corpus/include/linux/page-flags.ts';
import { list_for_each_entry } from '../../corpus/include/linux/list.ts';
import { ZoneStat } from '../../corpus/include/linux/mmzone.ts';
import { global_zone_page_state, alloc_page, __free_page } from '../../corpus/mm/page_alloc.ts';
import { GFP_KERNEL } from '../../corpus/include/linux/gfp.ts';
import { kmem_cache_from_addr } from '../../corpus/include/linux/slab.ts';
import { pgd_list, pgd_page_get_mm } from '../../corpus/arch/x86/mm/pgtable.ts';
import { swapper_pg_dir, sync_global_pgds, vmalloc_translate } from '../../corpus/arch/x86/mm/init_64.ts';
import {
  pgd_offset, pgd_offset_k, p4d_offset, pud_offset, pmd_offset, pgd_index, pud_index, pmd_index,
  pte_index, pfn_pte, pte_pfn, pte_present, pte_none, pte_write, pte_dirty, pte_young, pte_mkwrite, pte_wrprotect,
  pte_mkdirty, pte_mkclean, pte_mkyoung, pte_mkold, mk_pte, swp_entry, swp_type, swp_offset, swp_entry_to_pte,
  pte_to_swp_entry, is_swap_pte, set_pte_at, pte_clear, p4d_pgtable, pud_pgtable, pmd_page_vaddr, flush_tlb_kernel_range,
  pte_modify,
} from '../../corpus/arch/x86/include/asm/pgtable.ts';
import {
  _PAGE_PRESENT, _PAGE_RW, _PAGE_USER, _PAGE_PSE, _PAGE_TABLE, PAGE_KERNEL, PAGE_COPY, PAGE_SHARED, __PAGE_KERNEL_LARGE,
} from '../../corpus/arch/x86/include/asm/pgtable_types.ts';
import { KERNEL_PGD_BOUNDARY, PTRS_PER_PGD } from '../../corpus/arch/x86/include/asm/pgtable_64_types.ts';
import { PAGE_OFFSET, PAGE_SIZE, VMALLOC_START } from '../../corpus/arch/x86/include/asm/page_64_types.ts';
import { read64, write64, ram_size } from '../../corpus/sim/memory.ts';
import { KernelBug, KernelPageFault } from '../../corpus/sim/errors.ts';
import { VM_FAULT_SIGSEGV } from '../../corpus/include/linux/mm_types.ts';
import { mm_snapshot } from './pgtable-helpers.ts';
import { swap_boot_params } from '../../corpus/mm/swapfile.ts';

// These tests count kernel page tables from a bare boot: no swap device (its vmalloc'ed maps).
swap_boot_params.swapon = false;

const MiB = 1024 * 1024;

function tablePage(entry: number): Page {
  return pfn_to_page(Math.floor(entry / PAGE_SIZE));
}

beforeEach(() => {
  boot({ ram: 64 * MiB });
});

describe('pte encoding', () => {
  it('round-trips pfns and flag bits', () => {
    const pte = pfn_pte(0x1234, PAGE_SHARED);
    expect(pte_pfn(pte)).toBe(0x1234);
    expect(pte_present(pte) && pte_write(pte) && !pte_dirty(pte)).toBe(true);
    expect(pte_write(pte_wrprotect(pte))).toBe(false);
    expect(pte_wrprotect(pte_mkwrite(pte_wrprotect(pte)))).toBe(pte_wrprotect(pte));
    expect(pte_dirty(pte_mkdirty(pte)) && !pte_dirty(pte_mkclean(pte_mkdirty(pte)))).toBe(true);
    expect(pte_young(pte_mkyoung(pte_mkold(pte)))).toBe(true);
    expect(pte_pfn(pte_mkdirty(pte_mkyoung(pte)))).toBe(0x1234);
    // pte_modify keeps the pfn, accessed and dirty bits, and takes the new protection.
    const m = pte_modify(pte_mkdirty(pte), PAGE_COPY);
    expect(pte_pfn(m)).toBe(0x1234);
    expect(pte_write(m)).toBe(false);
    expect(pte_dirty(m)).toBe(true);
    expect(pfn_pte(5, PAGE_COPY)).toBe(5 * 4096 + 0x25);
  });

  it('encodes swap entries as non-present, non-none PTEs', () => {
    for (const [type, offset] of [[0, 1], [3, 0x12345], [28, 2 ** 37 - 1]] as const) {
      const entry = swp_entry(type, offset);
      expect(swp_type(entry)).toBe(type);
      expect(swp_offset(entry)).toBe(offset);
      const pte = swp_entry_to_pte(entry);
      expect(pte_present(pte)).toBe(false);
      expect(pte_none(pte)).toBe(false);
      expect(is_swap_pte(pte)).toBe(true);
      expect(pte_to_swp_entry(pte)).toBe(entry);
      expect(Number.isSafeInteger(pte)).toBe(true);
    }
  });

  it('computes table indices like the 4-level x86 layout', () => {
    const addr = 0x7ffff7fff123;
    expect(pgd_index(addr)).toBe(255);
    expect(pud_index(addr)).toBe(511);
    expect(pmd_index(addr)).toBe(0x1bf);
    expect(pte_index(addr)).toBe(0x1ff);
    expect(pgd_index(PAGE_OFFSET)).toBe(KERNEL_PGD_BOUNDARY);
    expect(KERNEL_PGD_BOUNDARY).toBe(0x111);
  });
});

describe('kernel page tables', () => {
  it('map all of RAM at PAGE_OFFSET with 2 MiB pages in swapper_pg_dir', () => {
    expect(init_mm.pgd).toBe(swapper_pg_dir);
    for (const phys of [0, 0x1000, 0x345678, ram_size() - 8]) {
      const vaddr = PAGE_OFFSET + phys;
      const p4d = read64(p4d_offset(pgd_offset_k(vaddr), vaddr));
      expect(p4d & _PAGE_TABLE).toBe(_PAGE_TABLE);
      const pud = read64(pud_offset(p4d_offset(pgd_offset_k(vaddr), vaddr), vaddr));
      expect(pud & _PAGE_PRESENT).toBeTruthy();
      const pmd = read64(pmd_offset(pud_offset(p4d_offset(pgd_offset_k(vaddr), vaddr), vaddr), vaddr));
      expect(pmd & 0xfff).toBe(__PAGE_KERNEL_LARGE & 0xfff);
      expect(pmd & _PAGE_PSE).toBeTruthy();
      expect(pmd - (pmd % (2 * MiB)) + (phys % (2 * MiB))).toBe(phys);
    }
    // The early tables come from memblock: no page type, not counted.
    const p4d = read64(pgd_offset_k(PAGE_OFFSET));
    expect(PageTable(tablePage(p4d))).toBe(false);
    expect(global_zone_page_state(ZoneStat.NR_PAGETABLE)).toBe(0);
  });

  it('translate vmalloc addresses through init_mm, with a cache that follows PTE changes', () => {
    const mod = { mask: 0 };
    const addr = VMALLOC_START + 0x123000;
    const pud = pud_alloc_track(init_mm, p4d_offset(pgd_offset_k(addr), addr), addr, mod);
    const pmd = pmd_alloc_track(init_mm, pud, addr, mod);
    const ptep = pte_alloc_kernel_track(pmd, addr, mod);
    expect(mod.mask).toBe(0b1110);
    // Kernel tables are typed and counted but have no split lock.
    for (const table of [pud, pmd, ptep]) {
      const page = virt_to_page(table);
      expect(PageTable(page)).toBe(true);
      expect(ptlock_ptr(page)).toBe(0);
    }
    expect(global_zone_page_state(ZoneStat.NR_PAGETABLE)).toBe(3);

    const a = alloc_page(GFP_KERNEL)!;
    const b = alloc_page(GFP_KERNEL)!;
    write64(page_address(a), 0xaaaa);
    write64(page_address(b), 0xbbbb);
    set_pte_at(init_mm, addr, ptep, mk_pte(a, PAGE_KERNEL));
    expect(read64(addr)).toBe(0xaaaa);
    expect(vmalloc_translate(addr + 0x10)).toBe(page_to_pfn(a) * PAGE_SIZE + 0x10);
    set_pte_at(init_mm, addr, ptep, mk_pte(b, PAGE_KERNEL));
    expect(read64(addr)).toBe(0xbbbb);
    pte_clear(init_mm, addr, ptep);
    flush_tlb_kernel_range(addr, addr + PAGE_SIZE);
    expect(() => read64(addr)).toThrow(KernelPageFault);
    expect(vmalloc_translate(addr + PAGE_SIZE)).toBe(-1);
    __free_page(a);
    __free_page(b);
  });

  it('sync_global_pgds copies new kernel top-level entries into every pgd', () => {
    const t = process_create()!;
    const addr = VMALLOC_START + 5 * 2 ** 39;
    const mod = { mask: 0 };
    const pud = pud_alloc_track(init_mm, p4d_offset(pgd_offset_k(addr), addr), addr, mod);
    expect(pud).toBeGreaterThan(0);
    expect(read64(pgd_offset(t.mm!, addr))).toBe(0);
    sync_global_pgds(addr, addr);
    expect(read64(pgd_offset(t.mm!, addr))).toBe(read64(pgd_offset_k(addr)));
    // A pgd allocated later clones the kernel half.
    const u = process_create()!;
    for (let i = KERNEL_PGD_BOUNDARY; i < PTRS_PER_PGD; i++) {
      expect(read64(u.mm!.pgd + i * 8)).toBe(read64(swapper_pg_dir + i * 8));
    }
    process_exit(t);
    process_exit(u);
  });
});

describe('user page tables', () => {
  it('every pgd is on pgd_list with page->index = its mm', () => {
    const before = list_for_each_entry(pgd_list, Page, 'lru').length;
    const tasks = [process_create()!, process_create()!];
    tasks.push(fork_process(tasks[0]!)!);
    const pages = list_for_each_entry(pgd_list, Page, 'lru');
    expect(pages.length).toBe(before + 3);
    for (const t of tasks) {
      const page = virt_to_page(t.mm!.pgd);
      expect(pages.some((p) => p.addr === page.addr)).toBe(true);
      expect(page.index).toBe(t.mm!.addr);
      expect(pgd_page_get_mm(page)).toBe(t.mm);
      expect(PageTable(page)).toBe(true);
      expect(page.page_type >>> 24).toBe(PGTY_table);
    }
    for (const t of tasks) process_exit(t);
    expect(list_for_each_entry(pgd_list, Page, 'lru').length).toBe(before);
  });

  it('walks return what was mapped; PTE and PMD tables have a split lock in page->private', () => {
    const t = process_create()!;
    const mm = t.mm!;
    const addr = do_mmap_anon(t, 64 * 1024, PROT_READ | PROT_WRITE);
    expect(addr).toBeGreaterThan(0);
    expect(access_process_vm_write(t, addr + 0x2345, new Uint8Array([1, 2, 3]))).toBe(3);
    const page = follow_page(mm, addr + 0x2000)!;
    expect(page).not.toBeNull();
    const w = walk_page_table(mm, addr + 0x2345);
    expect(w.phys).toBe(page_to_pfn(page) * PAGE_SIZE + 0x345);
    expect(w.pte & (_PAGE_PRESENT | _PAGE_RW | _PAGE_USER)).toBe(_PAGE_PRESENT | _PAGE_RW | _PAGE_USER);
    expect(read64(follow_pte(mm, addr + 0x2345))).toBe(w.pte);
    expect(access_process_vm_read(t, addr + 0x2345, 3)).toEqual(new Uint8Array([1, 2, 3]));

    // pgd -> pud -> pmd -> pte by hand.
    const pgdp = pgd_offset(mm, addr);
    const pud_table = p4d_pgtable(read64(pgdp));
    const pmd_table = pud_pgtable(read64(pud_table + pud_index(addr) * 8));
    const pte_table = pmd_page_vaddr(read64(pmd_table + pmd_index(addr) * 8));
    expect(pte_pfn(read64(pte_table + pte_index(addr + 0x2000) * 8))).toBe(page_to_pfn(page));

    const levels = [mm.pgd, pud_table, pmd_table, pte_table].map((v) => virt_to_page(v));
    for (const p of levels) expect(PageTable(p)).toBe(true);
    // pgd and pud: no lock; pmd and pte: a ptl from the "page->ptl" cache.
    expect(levels[0]!.private).toBe(0);
    expect(levels[1]!.private).toBe(0);
    for (const p of [levels[2]!, levels[3]!]) {
      const ptl = p.private;
      expect(ptl).toBeGreaterThan(PAGE_OFFSET);
      const slab = virt_to_page(ptl);
      expect(PageSlab(slab)).toBe(true);
      expect(kmem_cache_from_addr(slab.mapping).name).toBe('page->ptl');
      expect(read64(ptl) % 2 ** 32).toBe(0); // unlocked
    }
    expect(pmd_to_page(pmd_table + 8).addr).toBe(levels[2]!.addr);
    expect(global_zone_page_state(ZoneStat.NR_PAGETABLE)).toBe(4);
    expect(mm.pgtables_bytes).toBe(3 * 4096);
    expect(count_user_pgtables(mm)).toEqual([1, 1, 1]);
    // Kernel half shared with swapper.
    expect(read64(mm.pgd + KERNEL_PGD_BOUNDARY * 8)).toBe(read64(swapper_pg_dir + KERNEL_PGD_BOUNDARY * 8));
    process_exit(t);
    expect(global_zone_page_state(ZoneStat.NR_PAGETABLE)).toBe(0);
  });

  it('faults outside a VMA or against its protection are SIGSEGV', () => {
    const t = process_create()!;
    const ro = do_mmap_anon(t, 8192, PROT_READ);
    expect(handle_mm_fault(t, ro - PAGE_SIZE, false)).toBe(VM_FAULT_SIGSEGV);
    expect(handle_mm_fault(t, ro, true)).toBe(VM_FAULT_SIGSEGV);
    expect(handle_mm_fault(t, ro, false)).toBe(0);
    expect(access_process_vm_write(t, ro, new Uint8Array(4))).toBe(0);
    expect(access_process_vm_read(t, ro, 4)).toEqual(new Uint8Array(4));
    process_exit(t);
  });

  it('a freed table page with a stale ptl word is caught by ptlock_init', () => {
    const snap = mm_snapshot();
    const t = process_create()!;
    const a = do_mmap_anon(t, 4096, PROT_READ | PROT_WRITE);
    access_process_vm_write(t, a, new Uint8Array([1]));
    const pte_page = virt_to_page(follow_pte(t.mm!, a));
    expect(pte_page.private).not.toBe(0);
    process_exit(t);
    expect(mm_snapshot()).toEqual(snap);
    expect(() => {
      const page = alloc_page(GFP_KERNEL)!;
      page.private = 0xdead000;
      try {
        return ptlock_init(page);
      } finally {
        page.private = 0;
        __free_page(page);
      }
    }).toThrow(KernelBug);
  });
});
