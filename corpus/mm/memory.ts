/**
 * Page tables of user address spaces and the anonymous page fault (mm/memory.c): the
 * __*_alloc() slow paths, split page-table locks, do_anonymous_page() / do_wp_page() (COW),
 * zap_page_range and free_pgtables() for unmap and exit, copy_page_range() for fork, and
 * access to user memory through the page tables (the simulated CPU).
 *
 * Simplifications: one CPU, so the mmu_gather frees page-table pages at once and releases
 * the gathered pages after each PTE table is unlocked; no THP, no file mappings.
 */
import {
  Page, MmStruct, init_mm, type VmAreaStruct, MM_ANONPAGES, MM_SWAPENTS, VM_SHARED, VM_MAYWRITE, VM_WRITE, VM_READ,
  VM_EXEC, VM_HUGETLB, VM_PFNMAP, VM_MIXEDMAP, VM_FAULT_OOM, VM_FAULT_SIGBUS, VM_FAULT_SIGSEGV, VM_FAULT_WRITE,
  VM_FAULT_HWPOISON, VM_FAULT_ERROR, FAULT_FLAG_WRITE, FAULT_FLAG_USER,
} from '../include/linux/mm_types.ts';
import {
  page_to_pfn, pfn_to_page, __pa, virt_to_page, get_page, put_page, page_count, page_mapcount, page_mapped, max_pfn,
  spin_lock, spin_unlock, spin_lock_init, SPINLOCK_T_SIZE, pmd_lock, pud_lock, pte_lockptr, pte_offset_map_lock,
  pte_unmap_unlock, pte_alloc, p4d_alloc, pud_alloc, pmd_alloc, mm_inc_nr_ptes, mm_dec_nr_ptes, mm_inc_nr_pmds,
  mm_dec_nr_pmds, mm_inc_nr_puds, mm_dec_nr_puds, add_mm_counter, inc_mm_counter, mm_counter, ptlock_ptr,
} from '../include/linux/mm.ts';
import { PageAnon, PageSwapCache, SetPageUptodate } from '../include/linux/page-flags.ts';
import { dump_page, BUG } from '../include/linux/mmdebug.ts';
import { GFP_KERNEL, GFP_HIGHUSER_MOVABLE, __GFP_ZERO } from '../include/linux/gfp.ts';
import { alloc_page } from './page_alloc.ts';
import { lru_cache_add } from './swap.ts';
import { kmem_cache_create, kmem_cache_alloc, kmem_cache_free, SLAB_PANIC, type KmemCache } from '../include/linux/slab.ts';
import { PAGE_SIZE, PAGE_OFFSET } from '../arch/x86/include/asm/page_64_types.ts';
import {
  PMD_SIZE, PUD_SIZE, PGDIR_SIZE, pmd_align_down, pud_align_down, pgdir_align_down, PTRS_PER_PTE, PTRS_PER_PMD,
  PTRS_PER_PUD,
} from '../arch/x86/include/asm/pgtable_64_types.ts';
import {
  type pte_t, type swp_entry_t, pgd_offset, p4d_offset, pud_offset, pmd_offset, pte_offset_map, pte_offset_kernel,
  pgd_addr_end, p4d_addr_end, pud_addr_end, pmd_addr_end, pgd_none_or_clear_bad, p4d_none_or_clear_bad,
  pud_none_or_clear_bad, pmd_none_or_clear_bad, p4d_present, pud_present, pmd_none, p4d_none, pud_none, p4d_bad,
  pud_bad, pmd_bad, pmd_pgtable, pmd_clear, pud_clear, p4d_clear, pte_none, pte_present, pte_write, pte_dirty,
  pte_special, pte_pfn, pte_same, pte_mkwrite, pte_mkdirty, pte_mkyoung, pte_mkold, pte_mkclean, pte_mkspecial,
  pte_wrprotect, mk_pte, pfn_pte, set_pte_at, ptep_get_and_clear_full, ptep_set_wrprotect, pte_to_swp_entry,
  non_swap_entry, is_hwpoison_entry, is_migration_entry, update_mmu_cache, flush_tlb_page, pte_clear,
} from '../arch/x86/include/asm/pgtable.ts';
import { _PAGE_PRESENT, _PAGE_RW, _PAGE_USER, _PAGE_ACCESSED, _PAGE_DIRTY } from '../arch/x86/include/asm/pgtable_types.ts';
import {
  pmd_populate, pmd_populate_kernel, pud_populate, p4d_populate, pmd_alloc_one, pmd_free, pud_alloc_one, pud_free,
} from '../arch/x86/include/asm/pgalloc.ts';
import { pte_alloc_one_kernel, pte_free_kernel, pte_free } from '../include/asm-generic/pgalloc.ts';
import {
  pte_alloc_one, ptep_set_access_flags, ___pte_free_tlb, ___pmd_free_tlb, ___pud_free_tlb,
} from '../arch/x86/mm/pgtable.ts';
import { empty_zero_page } from '../arch/x86/mm/init_64.ts';
import { read64, write64, phys_bytes } from '../sim/memory.ts';
import { register_initcall, InitLevel } from '../sim/initcall.ts';
import { KernelBug, formatKernelAddress } from '../sim/errors.ts';
import { anon_vma_prepare, page_add_new_anon_rmap, page_remove_rmap, page_dup_rmap, unlink_anon_vmas } from './rmap.ts';
import { find_vma } from './mmap.ts';
import type { Task } from '../kernel/pid.ts';

/* ======================================================================================
 * Split page-table locks (ALLOC_SPLIT_PTLOCKS): a spinlock_t per PTE/PMD table from the
 * "page->ptl" cache, pointed to by page->ptl (page->private).
 * ====================================================================================== */

let page_ptl_cachep: KmemCache | null = null;

export function ptlock_cache_init(): void {
  page_ptl_cachep = kmem_cache_create('page->ptl', SPINLOCK_T_SIZE, 0, SLAB_PANIC);
}

export function ptlock_alloc(page: Page): boolean {
  const ptl = kmem_cache_alloc(page_ptl_cachep!, GFP_KERNEL);
  if (!ptl) return false;
  page.private = ptl;
  return true;
}

export function ptlock_free(page: Page): void {
  kmem_cache_free(page_ptl_cachep!, page.private);
}

register_initcall(InitLevel.CORE, 'pgtable_init', () => {
  ptlock_cache_init();
});

/* ======================================================================================
 * The zero page and "normal" pages
 * ====================================================================================== */

export function zero_pfn(): number {
  return __pa(empty_zero_page) / PAGE_SIZE;
}
export function my_zero_pfn(_addr: number): number {
  return zero_pfn();
}
export function is_zero_pfn(pfn: number): boolean {
  return pfn === zero_pfn();
}

function print_bad_pte(vma: VmAreaStruct, addr: number, pte: pte_t, page: Page | null): never {
  throw new KernelBug(
    `BUG: Bad page map: addr:${formatKernelAddress(addr)} pte:${pte.toString(16).padStart(16, '0')} vm_flags:${vma.vm_flags.toString(16)}`,
    page ? dump_page(page, 'bad pte') : '',
  );
}

/** The struct page behind a present PTE, or null for special mappings (the zero page). */
export function vm_normal_page(vma: VmAreaStruct, addr: number, pte: pte_t): Page | null {
  const pfn = pte_pfn(pte);
  if (pte_special(pte)) {
    if (vma.vm_flags & (VM_PFNMAP | VM_MIXEDMAP)) return null;
    if (is_zero_pfn(pfn)) return null;
    print_bad_pte(vma, addr, pte, null);
  }
  if (pfn >= max_pfn()) print_bad_pte(vma, addr, pte, null);
  return pfn_to_page(pfn);
}

/* ======================================================================================
 * Allocating page tables
 * ====================================================================================== */

export const ENOMEM = 12;
export const EINVAL = 22;
export const EFAULT = 14;

/** Allocate the PTE table for `pmd`; 0 or -ENOMEM. */
export function __pte_alloc(mm: MmStruct, pmd: number): number {
  let pgtable: Page | null = pte_alloc_one(mm);
  if (!pgtable) return -ENOMEM;
  const ptl = pmd_lock(mm, pmd);
  if (pmd_none(read64(pmd))) {
    mm_inc_nr_ptes(mm);
    pmd_populate(mm, pmd, pgtable);
    pgtable = null;
  }
  spin_unlock(ptl);
  if (pgtable) pte_free(mm, pgtable);
  return 0;
}

/** Allocate a kernel PTE table for `pmd` in init_mm; 0 or -ENOMEM. */
export function __pte_alloc_kernel(pmd: number): number {
  let pte = pte_alloc_one_kernel(init_mm);
  if (!pte) return -ENOMEM;
  spin_lock(init_mm.page_table_lock);
  if (pmd_none(read64(pmd))) {
    pmd_populate_kernel(init_mm, pmd, pte);
    pte = 0;
  }
  spin_unlock(init_mm.page_table_lock);
  if (pte) pte_free_kernel(init_mm, pte);
  return 0;
}

/** Allocate the PUD table for `p4d`; 0 or -ENOMEM. */
export function __pud_alloc(mm: MmStruct, p4d: number, address: number): number {
  const pud = pud_alloc_one(mm, address);
  if (!pud) return -ENOMEM;
  spin_lock(mm.page_table_lock);
  if (!p4d_present(read64(p4d))) {
    mm_inc_nr_puds(mm);
    p4d_populate(mm, p4d, pud);
  } else {
    pud_free(mm, pud);
  }
  spin_unlock(mm.page_table_lock);
  return 0;
}

/** Allocate the PMD table for `pud`; 0 or -ENOMEM. */
export function __pmd_alloc(mm: MmStruct, pud: number, address: number): number {
  const pmd = pmd_alloc_one(mm, address);
  if (!pmd) return -ENOMEM;
  const ptl = pud_lock(mm, pud);
  if (!pud_present(read64(pud))) {
    mm_inc_nr_pmds(mm);
    pud_populate(mm, pud, pmd);
  } else {
    pmd_free(mm, pmd);
  }
  spin_unlock(ptl);
  return 0;
}

/* The *_alloc_track() variants for kernel mappings (mm/pgalloc-track.h): they record in
 * mask.mask which levels were populated, so vmalloc can call arch_sync_kernel_mappings(). */

export interface PgtblModMask {
  mask: number;
}

export function p4d_alloc_track(mm: MmStruct, pgd: number, address: number, _mod: PgtblModMask): number {
  return p4d_alloc(mm, pgd, address);
}

export function pud_alloc_track(mm: MmStruct, p4d: number, address: number, mod: PgtblModMask): number {
  if (p4d_none(read64(p4d))) {
    if (__pud_alloc(mm, p4d, address)) return 0;
    mod.mask |= 1 << 1; // PGTBL_P4D_MODIFIED
  }
  return pud_offset(p4d, address);
}

export function pmd_alloc_track(mm: MmStruct, pud: number, address: number, mod: PgtblModMask): number {
  if (pud_none(read64(pud))) {
    if (__pmd_alloc(mm, pud, address)) return 0;
    mod.mask |= 1 << 2; // PGTBL_PUD_MODIFIED
  }
  return pmd_offset(pud, address);
}

export function pte_alloc_kernel_track(pmd: number, address: number, mod: PgtblModMask): number {
  if (pmd_none(read64(pmd))) {
    if (__pte_alloc_kernel(pmd)) return 0;
    mod.mask |= 1 << 3; // PGTBL_PMD_MODIFIED
  }
  return pte_offset_kernel(pmd, address);
}

/* ======================================================================================
 * Walking without allocating
 * ====================================================================================== */

/** The PTE pointer for `address` (not locked), or 0 when an upper level is missing. */
export function follow_pte(mm: MmStruct, address: number): number {
  const p4d = p4d_offset(pgd_offset(mm, address), address);
  const p4dv = read64(p4d);
  if (p4d_none(p4dv) || p4d_bad(p4dv)) return 0;
  const pud = pud_offset(p4d, address);
  const pudv = read64(pud);
  if (pud_none(pudv) || pud_bad(pudv)) return 0;
  const pmd = pmd_offset(pud, address);
  const pmdv = read64(pmd);
  if (pmd_none(pmdv) || pmd_bad(pmdv)) return 0;
  return pte_offset_map(pmd, address);
}

/** The entries met translating `address`, level by level (0 where the walk stops). */
export interface PageTableWalk {
  pgd: number;
  pud: number;
  pmd: number;
  pte: number;
  /** Physical address `address` translates to, or -1. */
  phys: number;
}

export function walk_page_table(mm: MmStruct, address: number): PageTableWalk {
  const out: PageTableWalk = { pgd: 0, pud: 0, pmd: 0, pte: 0, phys: -1 };
  const p4d = p4d_offset(pgd_offset(mm, address), address);
  out.pgd = read64(p4d);
  if (p4d_none(out.pgd) || p4d_bad(out.pgd)) return out;
  const pud = pud_offset(p4d, address);
  out.pud = read64(pud);
  if (pud_none(out.pud) || pud_bad(out.pud)) return out;
  const pmd = pmd_offset(pud, address);
  out.pmd = read64(pmd);
  if (pmd_none(out.pmd) || pmd_bad(out.pmd)) return out;
  out.pte = read64(pte_offset_map(pmd, address));
  if (out.pte & _PAGE_PRESENT) out.phys = pte_pfn(out.pte) * PAGE_SIZE + (address % PAGE_SIZE);
  return out;
}

/** The normal page mapped at `address` in `mm` (follow_page without FOLL_GET), or null. */
export function follow_page(mm: MmStruct, address: number): Page | null {
  const ptep = follow_pte(mm, address);
  if (!ptep) return null;
  const pte = read64(ptep);
  if (!pte_present(pte)) return null;
  const pfn = pte_pfn(pte);
  if (pte_special(pte) || pfn >= max_pfn()) return null;
  return pfn_to_page(pfn);
}

/* ======================================================================================
 * Page faults
 * ====================================================================================== */

/** struct vm_fault */
export class VmFault {
  pmd = 0;
  /** Pointer to the PTE (0 when there is no PTE table yet or the entry is none). */
  pte = 0;
  orig_pte: pte_t = 0;
  ptl = 0;
  page: Page | null = null;
  constructor(readonly vma: VmAreaStruct, readonly address: number, readonly flags: number) {}
}

/*
 * Swap-backed anonymous memory (mm/swap_state.c, mm/swapfile.c, do_swap_page()) is provided
 * by the swap subsystem, which registers these operations at boot. Without it there are no
 * swap entries and a swap PTE is a bug.
 */
export interface SwapOps {
  /** Fault in the page of a swap PTE (vmf.orig_pte); the ptl is not held. Returns VM_FAULT_*. */
  do_swap_page(vmf: VmFault): number;
  /** Take a reference on a swap entry for a copied PTE (fork) or an unmapped page; 0 or -errno. */
  swap_duplicate(entry: swp_entry_t): number;
  /** Drop a PTE's reference on a swap entry (zap); false if the entry was bad. */
  free_swap_and_cache(entry: swp_entry_t): boolean;
  /** An unmapped page is being released: drop its swap cache if nothing else maps it. */
  free_swap_cache(page: Page): void;
}

let swap_ops: SwapOps | null = null;

export function register_swap_ops(ops: SwapOps | null): void {
  swap_ops = ops;
}

export function get_swap_ops(): SwapOps | null {
  return swap_ops;
}

function no_swap(what: string): never {
  BUG(`${what}: swap entry without a swap subsystem`);
}

export function alloc_page_vma(gfp: number, _vma: VmAreaStruct, _addr: number): Page | null {
  return alloc_page(gfp);
}

function alloc_zeroed_user_highpage_movable(vma: VmAreaStruct, addr: number): Page | null {
  return alloc_page_vma(GFP_HIGHUSER_MOVABLE | __GFP_ZERO, vma, addr);
}

function copy_user_highpage(to: Page, from: Page): void {
  const src = phys_bytes(page_to_pfn(from) * PAGE_SIZE, PAGE_SIZE);
  phys_bytes(page_to_pfn(to) * PAGE_SIZE, PAGE_SIZE).set(src);
}

function maybe_mkwrite(pte: pte_t, vma: VmAreaStruct): pte_t {
  return vma.vm_flags & VM_WRITE ? pte_mkwrite(pte) : pte;
}

export function vma_is_anonymous(_vma: VmAreaStruct): boolean {
  return true; // no file mappings: vma->vm_ops is always NULL
}

export function is_cow_mapping(flags: number): boolean {
  return (flags & (VM_SHARED | VM_MAYWRITE)) === VM_MAYWRITE;
}

/** First touch of an anonymous page: the zero page for reads, a new zeroed page for writes. */
function do_anonymous_page(vmf: VmFault): number {
  const vma = vmf.vma;
  const mm = vma.vm_mm;
  if (vma.vm_flags & VM_SHARED) return VM_FAULT_SIGBUS;
  if (pte_alloc(mm, vmf.pmd)) return VM_FAULT_OOM;

  if (!(vmf.flags & FAULT_FLAG_WRITE)) {
    const entry = pte_mkspecial(pfn_pte(my_zero_pfn(vmf.address), vma.vm_page_prot));
    vmf.pte = pte_offset_map_lock(mm, vmf.pmd, vmf.address, vmf);
    if (pte_none(read64(vmf.pte))) {
      set_pte_at(mm, vmf.address, vmf.pte, entry);
      update_mmu_cache(vma, vmf.address, vmf.pte);
    }
    pte_unmap_unlock(vmf.pte, vmf.ptl);
    return 0;
  }

  if (anon_vma_prepare(vma)) return VM_FAULT_OOM;
  const page = alloc_zeroed_user_highpage_movable(vma, vmf.address);
  if (!page) return VM_FAULT_OOM;
  SetPageUptodate(page);
  let entry = mk_pte(page, vma.vm_page_prot);
  if (vma.vm_flags & VM_WRITE) entry = pte_mkwrite(pte_mkdirty(entry));

  vmf.pte = pte_offset_map_lock(mm, vmf.pmd, vmf.address, vmf);
  if (!pte_none(read64(vmf.pte))) {
    // Someone (reclaim during our allocation cannot, but a racing fault could) got here first.
    pte_unmap_unlock(vmf.pte, vmf.ptl);
    put_page(page);
    return 0;
  }
  inc_mm_counter(mm, MM_ANONPAGES);
  page_add_new_anon_rmap(page, vma, vmf.address, false);
  lru_cache_add(page);
  set_pte_at(mm, vmf.address, vmf.pte, entry);
  update_mmu_cache(vma, vmf.address, vmf.pte);
  pte_unmap_unlock(vmf.pte, vmf.ptl);
  return 0;
}

/** Make the PTE writable in place: the faulting mm holds the only reference (ptl held). */
function wp_page_reuse(vmf: VmFault): void {
  const vma = vmf.vma;
  let entry = pte_mkyoung(vmf.orig_pte);
  entry = maybe_mkwrite(pte_mkdirty(entry), vma);
  if (ptep_set_access_flags(vma, vmf.address, vmf.pte, entry, true)) update_mmu_cache(vma, vmf.address, vmf.pte);
  pte_unmap_unlock(vmf.pte, vmf.ptl);
}

/** Break COW: copy the page (or allocate a zeroed one for the zero page) and map the copy. */
function wp_page_copy(vmf: VmFault): number {
  const vma = vmf.vma;
  const mm = vma.vm_mm;
  const old_page = vmf.page;

  if (anon_vma_prepare(vma)) {
    if (old_page) put_page(old_page);
    return VM_FAULT_OOM;
  }
  let new_page: Page | null;
  if (is_zero_pfn(pte_pfn(vmf.orig_pte))) {
    new_page = alloc_zeroed_user_highpage_movable(vma, vmf.address);
  } else {
    new_page = alloc_page_vma(GFP_HIGHUSER_MOVABLE, vma, vmf.address);
    if (new_page) copy_user_highpage(new_page, old_page!);
  }
  if (!new_page) {
    if (old_page) put_page(old_page);
    return VM_FAULT_OOM;
  }
  SetPageUptodate(new_page);

  let page_copied = false;
  vmf.pte = pte_offset_map_lock(mm, vmf.pmd, vmf.address, vmf);
  if (pte_same(read64(vmf.pte), vmf.orig_pte)) {
    if (old_page) {
      if (!PageAnon(old_page)) BUG('wp_page_copy: file pages are not modelled');
    } else {
      inc_mm_counter(mm, MM_ANONPAGES);
    }
    let entry = mk_pte(new_page, vma.vm_page_prot);
    entry = maybe_mkwrite(pte_mkdirty(entry), vma);
    ptep_get_and_clear_full(mm, vmf.address, vmf.pte, false); // ptep_clear_flush_notify
    flush_tlb_page(vma, vmf.address);
    page_add_new_anon_rmap(new_page, vma, vmf.address, false);
    lru_cache_add(new_page);
    set_pte_at(mm, vmf.address, vmf.pte, entry);
    update_mmu_cache(vma, vmf.address, vmf.pte);
    if (old_page) page_remove_rmap(old_page, false);
    // Drop the mapping's reference on the old page below, instead of the unused copy.
    new_page = old_page;
    page_copied = true;
  }
  if (new_page) put_page(new_page);
  pte_unmap_unlock(vmf.pte, vmf.ptl);
  if (old_page) {
    // The copy took over: an idle swap-cache page need not wait for reclaim (v5.12).
    if (page_copied) swap_ops?.free_swap_cache(old_page);
    put_page(old_page);
  }
  return page_copied ? VM_FAULT_WRITE : 0;
}

/** Write to a present, write-protected PTE (ptl held on entry, released on return). */
function do_wp_page(vmf: VmFault): number {
  const vma = vmf.vma;
  vmf.page = vm_normal_page(vma, vmf.address, vmf.orig_pte);
  if (!vmf.page) {
    pte_unmap_unlock(vmf.pte, vmf.ptl);
    return wp_page_copy(vmf);
  }
  const page = vmf.page;
  if (PageAnon(page)) {
    // The only mapping and the only reference: write in place.
    if (page_count(page) === 1 && page_mapcount(page) === 1) {
      wp_page_reuse(vmf);
      return VM_FAULT_WRITE;
    }
  }
  get_page(page);
  pte_unmap_unlock(vmf.pte, vmf.ptl);
  return wp_page_copy(vmf);
}

/** Fault on a non-present, non-none PTE: swap, hwpoison or migration entries. */
function do_swap_page(vmf: VmFault): number {
  const entry = pte_to_swp_entry(vmf.orig_pte);
  if (non_swap_entry(entry)) {
    if (is_hwpoison_entry(entry)) return VM_FAULT_HWPOISON;
    if (is_migration_entry(entry)) BUG('do_swap_page: migration entries are not modelled');
    print_bad_pte(vmf.vma, vmf.address, vmf.orig_pte, null);
  }
  if (!swap_ops) no_swap('do_swap_page');
  return swap_ops.do_swap_page(vmf);
}

function handle_pte_fault(vmf: VmFault): number {
  const mm = vmf.vma.vm_mm;
  if (pmd_none(read64(vmf.pmd))) {
    vmf.pte = 0;
  } else {
    vmf.pte = pte_offset_map(vmf.pmd, vmf.address);
    vmf.orig_pte = read64(vmf.pte);
    if (pte_none(vmf.orig_pte)) vmf.pte = 0;
  }
  if (!vmf.pte) return do_anonymous_page(vmf);
  if (!pte_present(vmf.orig_pte)) return do_swap_page(vmf);

  vmf.ptl = pte_lockptr(mm, vmf.pmd);
  spin_lock(vmf.ptl);
  let entry = vmf.orig_pte;
  if (!pte_same(read64(vmf.pte), entry)) {
    spin_unlock(vmf.ptl);
    return 0;
  }
  if (vmf.flags & FAULT_FLAG_WRITE) {
    if (!pte_write(entry)) return do_wp_page(vmf);
    entry = pte_mkdirty(entry);
  }
  entry = pte_mkyoung(entry);
  if (ptep_set_access_flags(vmf.vma, vmf.address, vmf.pte, entry, (vmf.flags & FAULT_FLAG_WRITE) !== 0)) {
    update_mmu_cache(vmf.vma, vmf.address, vmf.pte);
  }
  spin_unlock(vmf.ptl);
  return 0;
}

/** Allocate the upper levels for `address` and handle the fault at the PTE level. */
export function __handle_mm_fault(vma: VmAreaStruct, address: number, flags: number): number {
  const mm = vma.vm_mm;
  const vmf = new VmFault(vma, address - (address % PAGE_SIZE), flags);
  const pgd = pgd_offset(mm, address);
  const p4d = p4d_alloc(mm, pgd, address);
  if (!p4d) return VM_FAULT_OOM;
  const pud = pud_alloc(mm, p4d, address);
  if (!pud) return VM_FAULT_OOM;
  const pmd = pmd_alloc(mm, pud, address);
  if (!pmd) return VM_FAULT_OOM;
  vmf.pmd = pmd;
  return handle_pte_fault(vmf);
}

function mm_of(t: Task | MmStruct): MmStruct {
  if (t instanceof MmStruct) return t;
  if (!t.mm) BUG(`page fault in task ${t.pid} without an mm`);
  return t.mm;
}

/**
 * A user page fault at `address` (do_user_addr_fault + handle_mm_fault): find the VMA, check
 * the access, and fault the page in. Returns 0 or VM_FAULT_* bits (VM_FAULT_ERROR on failure:
 * VM_FAULT_SIGSEGV for a bad address or access, VM_FAULT_OOM when memory ran out).
 */
export function handle_mm_fault(task_or_mm: Task | MmStruct, address: number, write: boolean): number {
  const mm = mm_of(task_or_mm);
  const vma = find_vma(mm, address);
  if (!vma || vma.vm_start > address) return VM_FAULT_SIGSEGV;
  if (write ? !(vma.vm_flags & VM_WRITE) : !(vma.vm_flags & (VM_READ | VM_EXEC | VM_WRITE))) return VM_FAULT_SIGSEGV;
  return __handle_mm_fault(vma, address, FAULT_FLAG_USER | (write ? FAULT_FLAG_WRITE : 0));
}

/* ======================================================================================
 * User memory access: the simulated CPU's loads and stores through the page tables
 * ====================================================================================== */

/**
 * Physical address of user `address` for a load or store, faulting as needed and setting the
 * accessed (and dirty) bits as the MMU does. Returns the physical address, or -(VM_FAULT_*)
 * when the fault failed.
 */
export function user_access(mm: MmStruct, address: number, write: boolean): number {
  const need = _PAGE_PRESENT | _PAGE_USER | (write ? _PAGE_RW : 0);
  for (let tries = 0; tries < 8; tries++) {
    const ptep = follow_pte(mm, address);
    if (ptep) {
      const pte = read64(ptep);
      if ((pte & need) === need) {
        const bits = _PAGE_ACCESSED | (write ? _PAGE_DIRTY : 0);
        if ((pte & bits) !== bits) write64(ptep, pte - (pte & bits) + bits);
        return pte_pfn(pte) * PAGE_SIZE + (address % PAGE_SIZE);
      }
    }
    const ret = handle_mm_fault(mm, address, write);
    if (ret & VM_FAULT_ERROR) return -ret;
  }
  BUG(`user_access: fault at ${address.toString(16)} does not resolve`);
}

/** Store `data` at user `address`; returns the number of bytes written (short on a fault error). */
export function access_process_vm_write(task: Task | MmStruct, address: number, data: Uint8Array): number {
  const mm = mm_of(task);
  let done = 0;
  while (done < data.length) {
    const addr = address + done;
    const n = Math.min(data.length - done, PAGE_SIZE - (addr % PAGE_SIZE));
    const phys = user_access(mm, addr, true);
    if (phys < 0) break;
    phys_bytes(phys, n).set(data.subarray(done, done + n));
    done += n;
  }
  return done;
}

/** Load `len` bytes from user `address`; the result is short if a fault failed. */
export function access_process_vm_read(task: Task | MmStruct, address: number, len: number): Uint8Array {
  const mm = mm_of(task);
  const out = new Uint8Array(len);
  let done = 0;
  while (done < len) {
    const addr = address + done;
    const n = Math.min(len - done, PAGE_SIZE - (addr % PAGE_SIZE));
    const phys = user_access(mm, addr, false);
    if (phys < 0) return out.subarray(0, done);
    out.set(phys_bytes(phys, n), done);
    done += n;
  }
  return out;
}

/* ======================================================================================
 * Unmapping: zap_page_range and free_pgtables
 * ====================================================================================== */

/** struct mmu_gather */
export interface MmuGather {
  mm: MmStruct;
  start: number;
  end: number;
  fullmm: boolean;
  /** Pages whose last PTE reference was removed, released at the next flush. */
  pages: Page[];
}

export function tlb_gather_mmu(mm: MmStruct, start: number, end: number): MmuGather {
  return { mm, start, end, fullmm: start === 0 && end === Infinity, pages: [] };
}

/** Release the gathered pages (free_pages_and_swap_cache). */
export function tlb_flush_mmu(tlb: MmuGather): void {
  const pages = tlb.pages;
  if (pages.length === 0) return;
  tlb.pages = [];
  for (const page of pages) {
    if (PageSwapCache(page) && !page_mapped(page)) swap_ops?.free_swap_cache(page);
    put_page(page);
  }
}

export function tlb_finish_mmu(tlb: MmuGather): void {
  tlb_flush_mmu(tlb);
}

function zap_pte_range(tlb: MmuGather, vma: VmAreaStruct, pmd: number, addr: number, end: number): number {
  const mm = tlb.mm;
  let anon = 0;
  let swapents = 0;
  const lock = { ptl: 0 };
  const start_pte = pte_offset_map_lock(mm, pmd, addr, lock);
  let pte = start_pte;
  do {
    const ptent = read64(pte);
    if (pte_none(ptent)) continue;
    if (pte_present(ptent)) {
      const page = vm_normal_page(vma, addr, ptent);
      ptep_get_and_clear_full(mm, addr, pte, tlb.fullmm);
      if (!page) continue;
      if (mm_counter(page) === MM_ANONPAGES) anon--;
      page_remove_rmap(page, false);
      if (page_mapcount(page) < 0) print_bad_pte(vma, addr, ptent, page);
      tlb.pages.push(page);
      continue;
    }
    const entry = pte_to_swp_entry(ptent);
    if (!non_swap_entry(entry)) {
      swapents--;
      if (!swap_ops) no_swap('zap_pte_range');
      if (!swap_ops.free_swap_and_cache(entry)) print_bad_pte(vma, addr, ptent, null);
    } else if (is_migration_entry(entry)) {
      BUG('zap_pte_range: migration entries are not modelled');
    }
    pte_clear(mm, addr, pte);
  } while ((pte += 8), (addr += PAGE_SIZE), addr !== end);
  add_mm_counter(mm, MM_ANONPAGES, anon);
  add_mm_counter(mm, MM_SWAPENTS, swapents);
  pte_unmap_unlock(start_pte, lock.ptl);
  tlb_flush_mmu(tlb);
  return addr;
}

function zap_pmd_range(tlb: MmuGather, vma: VmAreaStruct, pud: number, addr: number, end: number): number {
  let pmd = pmd_offset(pud, addr);
  let next: number;
  do {
    next = pmd_addr_end(addr, end);
    if (pmd_none_or_clear_bad(pmd)) continue;
    next = zap_pte_range(tlb, vma, pmd, addr, next);
  } while ((pmd += 8), (addr = next), addr !== end);
  return addr;
}

function zap_pud_range(tlb: MmuGather, vma: VmAreaStruct, p4d: number, addr: number, end: number): number {
  let pud = pud_offset(p4d, addr);
  let next: number;
  do {
    next = pud_addr_end(addr, end);
    if (pud_none_or_clear_bad(pud)) continue;
    next = zap_pmd_range(tlb, vma, pud, addr, next);
  } while ((pud += 8), (addr = next), addr !== end);
  return addr;
}

function zap_p4d_range(tlb: MmuGather, vma: VmAreaStruct, pgd: number, addr: number, end: number): number {
  let p4d = p4d_offset(pgd, addr);
  let next: number;
  do {
    next = p4d_addr_end(addr, end);
    if (p4d_none_or_clear_bad(p4d)) continue;
    next = zap_pud_range(tlb, vma, p4d, addr, next);
  } while ((p4d += 8), (addr = next), addr !== end);
  return addr;
}

export function unmap_page_range(tlb: MmuGather, vma: VmAreaStruct, addr: number, end: number): void {
  let pgd = pgd_offset(vma.vm_mm, addr);
  let next: number;
  do {
    next = pgd_addr_end(addr, end);
    if (pgd_none_or_clear_bad(pgd)) continue;
    next = zap_p4d_range(tlb, vma, pgd, addr, next);
  } while ((pgd += 8), (addr = next), addr !== end);
}

function unmap_single_vma(tlb: MmuGather, vma: VmAreaStruct, start_addr: number, end_addr: number): void {
  const start = Math.max(vma.vm_start, start_addr);
  if (start >= vma.vm_end) return;
  const end = Math.min(vma.vm_end, end_addr);
  if (end <= vma.vm_start) return;
  if (start !== end) unmap_page_range(tlb, vma, start, end);
}

/** Remove the PTEs of [start_addr, end_addr) in `vma` and the VMAs after it (unmap_vmas). */
export function unmap_vmas(tlb: MmuGather, vma: VmAreaStruct | null, start_addr: number, end_addr: number): void {
  for (; vma && vma.vm_start < end_addr; vma = vma.vm_next) unmap_single_vma(tlb, vma, start_addr, end_addr);
}

/** Zap the PTEs of [address, address + size) in `vma` (zap_page_range). */
export function zap_page_range(vma: VmAreaStruct, address: number, size: number): void {
  const tlb = tlb_gather_mmu(vma.vm_mm, address, address + size);
  unmap_vmas(tlb, vma, address, address + size);
  tlb_finish_mmu(tlb);
}

/* free_pgtables(): free the page-table pages no longer covered by any VMA. `ceiling` 0 means
 * the top of the address space, as USER_PGTABLES_CEILING does in the kernel's unsigned math. */

function below_ceiling(end: number, ceiling: number): boolean {
  return ceiling === 0 || end - 1 <= ceiling - 1;
}

function free_pte_range(tlb: MmuGather, pmd: number, _addr: number): void {
  const token = pmd_pgtable(read64(pmd));
  pmd_clear(pmd);
  ___pte_free_tlb(tlb, token);
  mm_dec_nr_ptes(tlb.mm);
}

function free_pmd_range(tlb: MmuGather, pud: number, addr: number, end: number, floor: number, ceiling: number): void {
  let start = addr;
  let pmd = pmd_offset(pud, addr);
  let next: number;
  do {
    next = pmd_addr_end(addr, end);
    if (pmd_none_or_clear_bad(pmd)) continue;
    free_pte_range(tlb, pmd, addr);
  } while ((pmd += 8), (addr = next), addr !== end);

  start = pud_align_down(start);
  if (start < floor) return;
  if (ceiling) {
    ceiling = pud_align_down(ceiling);
    if (!ceiling) return;
  }
  if (!below_ceiling(end, ceiling)) return;
  const table = pmd_offset(pud, start);
  pud_clear(pud);
  ___pmd_free_tlb(tlb, table - (table % PAGE_SIZE));
  mm_dec_nr_pmds(tlb.mm);
}

function free_pud_range(tlb: MmuGather, p4d: number, addr: number, end: number, floor: number, ceiling: number): void {
  let start = addr;
  let pud = pud_offset(p4d, addr);
  let next: number;
  do {
    next = pud_addr_end(addr, end);
    if (pud_none_or_clear_bad(pud)) continue;
    free_pmd_range(tlb, pud, addr, next, floor, ceiling);
  } while ((pud += 8), (addr = next), addr !== end);

  start = pgdir_align_down(start); // P4D_MASK == PGDIR_MASK with 4 levels
  if (start < floor) return;
  if (ceiling) {
    ceiling = pgdir_align_down(ceiling);
    if (!ceiling) return;
  }
  if (!below_ceiling(end, ceiling)) return;
  const table = pud_offset(p4d, start);
  p4d_clear(p4d);
  ___pud_free_tlb(tlb, table - (table % PAGE_SIZE));
  mm_dec_nr_puds(tlb.mm);
}

function free_p4d_range(tlb: MmuGather, pgd: number, addr: number, end: number, floor: number, ceiling: number): void {
  let p4d = p4d_offset(pgd, addr);
  let next: number;
  do {
    next = p4d_addr_end(addr, end);
    if (p4d_none_or_clear_bad(p4d)) continue;
    free_pud_range(tlb, p4d, addr, next, floor, ceiling);
  } while ((p4d += 8), (addr = next), addr !== end);
  // Folded: there is no p4d table to free.
}

/** Free the page tables covering [addr, end), within [floor, ceiling). */
export function free_pgd_range(tlb: MmuGather, addr: number, end: number, floor: number, ceiling: number): void {
  addr = pmd_align_down(addr);
  if (addr < floor) addr += PMD_SIZE;
  if (ceiling) {
    ceiling = pmd_align_down(ceiling);
    if (!ceiling) return;
  }
  if (!below_ceiling(end, ceiling)) end -= PMD_SIZE;
  if (addr > end - 1) return;
  let pgd = pgd_offset(tlb.mm, addr);
  let next: number;
  do {
    next = pgd_addr_end(addr, end);
    if (pgd_none_or_clear_bad(pgd)) continue;
    free_p4d_range(tlb, pgd, addr, next, floor, ceiling);
  } while ((pgd += 8), (addr = next), addr !== end);
}

/** Unlink the VMAs from their anon_vmas and free the page tables under them. */
export function free_pgtables(tlb: MmuGather, vma: VmAreaStruct | null, floor: number, ceiling: number): void {
  while (vma) {
    let next = vma.vm_next;
    const addr = vma.vm_start;
    unlink_anon_vmas(vma);
    // Batch neighbouring VMAs whose tables are shared anyway.
    while (next && next.vm_start <= vma.vm_end + PMD_SIZE) {
      vma = next;
      next = vma.vm_next;
      unlink_anon_vmas(vma);
    }
    free_pgd_range(tlb, addr, vma.vm_end, floor, next ? next.vm_start : ceiling);
    vma = next;
  }
}


/* ======================================================================================
 * fork: copy_page_range
 * ====================================================================================== */

function copy_nonpresent_pte(dst_mm: MmStruct, dst_pte: number, src_pte: number, addr: number, rss: Float64Array): number {
  const pte = read64(src_pte);
  const entry = pte_to_swp_entry(pte);
  if (!non_swap_entry(entry)) {
    if (!swap_ops) no_swap('copy_nonpresent_pte');
    if (swap_ops.swap_duplicate(entry) < 0) return -ENOMEM;
    rss[MM_SWAPENTS]!++;
  } else if (is_migration_entry(entry)) {
    BUG('copy_nonpresent_pte: migration entries are not modelled');
  }
  set_pte_at(dst_mm, addr, dst_pte, pte);
  return 0;
}

function copy_present_pte(dst_vma: VmAreaStruct, src_vma: VmAreaStruct, dst_pte: number, src_pte: number, addr: number,
  rss: Float64Array): void {
  const src_mm = src_vma.vm_mm;
  const vm_flags = src_vma.vm_flags;
  let pte = read64(src_pte);
  const page = vm_normal_page(src_vma, addr, pte);
  if (page) {
    get_page(page);
    page_dup_rmap(page, false);
    rss[mm_counter(page)]!++;
  }
  // A private writable mapping: write-protect both copies so the first write breaks COW.
  if (is_cow_mapping(vm_flags) && pte_write(pte)) {
    ptep_set_wrprotect(src_mm, addr, src_pte);
    pte = pte_wrprotect(pte);
  }
  if (vm_flags & VM_SHARED) pte = pte_mkclean(pte);
  pte = pte_mkold(pte);
  set_pte_at(dst_vma.vm_mm, addr, dst_pte, pte);
}

function copy_pte_range(dst_vma: VmAreaStruct, src_vma: VmAreaStruct, dst_pmd: number, src_pmd: number, addr: number,
  end: number): number {
  const dst_mm = dst_vma.vm_mm;
  const src_mm = src_vma.vm_mm;
  const rss = new Float64Array(4);
  const dst_lock = { ptl: 0 };
  const dst_start = pte_alloc(dst_mm, dst_pmd) ? 0 : pte_offset_map_lock(dst_mm, dst_pmd, addr, dst_lock);
  if (!dst_start) return -ENOMEM;
  let dst_pte = dst_start;
  let src_pte = pte_offset_map(src_pmd, addr);
  const src_ptl = pte_lockptr(src_mm, src_pmd);
  spin_lock(src_ptl);
  let ret = 0;
  do {
    const v = read64(src_pte);
    if (pte_none(v)) continue;
    if (!pte_present(v)) {
      ret = copy_nonpresent_pte(dst_mm, dst_pte, src_pte, addr, rss);
      if (ret) break;
      continue;
    }
    copy_present_pte(dst_vma, src_vma, dst_pte, src_pte, addr, rss);
  } while ((dst_pte += 8), (src_pte += 8), (addr += PAGE_SIZE), addr !== end);
  spin_unlock(src_ptl);
  pte_unmap_unlock(dst_start, dst_lock.ptl);
  for (let i = 0; i < 4; i++) if (rss[i]) add_mm_counter(dst_mm, i, rss[i]!);
  return ret;
}

function copy_pmd_range(dst_vma: VmAreaStruct, src_vma: VmAreaStruct, dst_pud: number, src_pud: number, addr: number,
  end: number): number {
  let dst_pmd = pmd_alloc(dst_vma.vm_mm, dst_pud, addr);
  if (!dst_pmd) return -ENOMEM;
  let src_pmd = pmd_offset(src_pud, addr);
  let next: number;
  do {
    next = pmd_addr_end(addr, end);
    if (pmd_none_or_clear_bad(src_pmd)) continue;
    if (copy_pte_range(dst_vma, src_vma, dst_pmd, src_pmd, addr, next)) return -ENOMEM;
  } while ((dst_pmd += 8), (src_pmd += 8), (addr = next), addr !== end);
  return 0;
}

function copy_pud_range(dst_vma: VmAreaStruct, src_vma: VmAreaStruct, dst_p4d: number, src_p4d: number, addr: number,
  end: number): number {
  let dst_pud = pud_alloc(dst_vma.vm_mm, dst_p4d, addr);
  if (!dst_pud) return -ENOMEM;
  let src_pud = pud_offset(src_p4d, addr);
  let next: number;
  do {
    next = pud_addr_end(addr, end);
    if (pud_none_or_clear_bad(src_pud)) continue;
    if (copy_pmd_range(dst_vma, src_vma, dst_pud, src_pud, addr, next)) return -ENOMEM;
  } while ((dst_pud += 8), (src_pud += 8), (addr = next), addr !== end);
  return 0;
}

function copy_p4d_range(dst_vma: VmAreaStruct, src_vma: VmAreaStruct, dst_pgd: number, src_pgd: number, addr: number,
  end: number): number {
  let dst_p4d = p4d_alloc(dst_vma.vm_mm, dst_pgd, addr);
  if (!dst_p4d) return -ENOMEM;
  let src_p4d = p4d_offset(src_pgd, addr);
  let next: number;
  do {
    next = p4d_addr_end(addr, end);
    if (p4d_none_or_clear_bad(src_p4d)) continue;
    if (copy_pud_range(dst_vma, src_vma, dst_p4d, src_p4d, addr, next)) return -ENOMEM;
  } while ((dst_p4d += 8), (src_p4d += 8), (addr = next), addr !== end);
  return 0;
}

/** Copy the page tables of `src_vma` into the child's `dst_vma` at fork; 0 or -ENOMEM. */
export function copy_page_range(dst_vma: VmAreaStruct, src_vma: VmAreaStruct): number {
  let addr = src_vma.vm_start;
  const end = src_vma.vm_end;
  // Nothing to copy until something was faulted in (no anon_vma yet): the child faults lazily.
  if (!(src_vma.vm_flags & (VM_HUGETLB | VM_PFNMAP | VM_MIXEDMAP)) && !src_vma.anon_vma) return 0;
  let dst_pgd = pgd_offset(dst_vma.vm_mm, addr);
  let src_pgd = pgd_offset(src_vma.vm_mm, addr);
  let next: number;
  do {
    next = pgd_addr_end(addr, end);
    if (pgd_none_or_clear_bad(src_pgd)) continue;
    if (copy_p4d_range(dst_vma, src_vma, dst_pgd, src_pgd, addr, next)) return -ENOMEM;
  } while ((dst_pgd += 8), (src_pgd += 8), (addr = next), addr !== end);
  return 0;
}

/* ======================================================================================
 * Debug: page-table invariants of an address space
 * ====================================================================================== */

/** Count the page-table pages of `mm` below the kernel half: [pud, pmd, pte] tables. */
export function count_user_pgtables(mm: MmStruct): [number, number, number] {
  let puds = 0;
  let pmds = 0;
  let ptes = 0;
  for (let i = 0; i < 256; i++) {
    const p4d = read64(mm.pgd + i * 8);
    if (p4d_none(p4d)) continue;
    puds++;
    const pud_table = PAGE_OFFSET + Math.floor(p4d / PAGE_SIZE) * PAGE_SIZE;
    for (let j = 0; j < PTRS_PER_PUD; j++) {
      const pud = read64(pud_table + j * 8);
      if (pud_none(pud)) continue;
      pmds++;
      const pmd_table = PAGE_OFFSET + Math.floor(pud / PAGE_SIZE) * PAGE_SIZE;
      for (let k = 0; k < PTRS_PER_PMD; k++) {
        const pmd = read64(pmd_table + k * 8);
        if (!pmd_none(pmd)) {
          ptes++;
          // A user PTE table always carries its split lock.
          const page = pfn_to_page(Math.floor(pmd / PAGE_SIZE));
          if (!ptlock_ptr(page)) BUG('user PTE table without a split lock');
        }
      }
    }
  }
  return [puds, pmds, ptes];
}
