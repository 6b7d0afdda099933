/**
 * x86 page-table allocation (arch/x86/mm/pgtable.c): pgd_alloc()/pgd_free(), the global
 * pgd_list, PTE table allocation for user address spaces, and the accessed-bit helpers.
 *
 * Every pgd but swapper_pg_dir is on pgd_list, threaded through page->lru of its page, and
 * records its mm in page->index (pgd_set_mm), so that sync_global_pgds() can copy new
 * kernel top-level entries into every address space.
 */
import { Page, type MmStruct, type VmAreaStruct } from '../../../include/linux/mm_types.ts';
import {
  ListHead, LIST_HEAD_SIZE, INIT_LIST_HEAD, list_add, list_del,
} from '../../../include/linux/list.ts';
import {
  virt_to_page, page_address, spin_lock_init, spin_lock, spin_unlock, SPINLOCK_T_SIZE, pgtable_pgd_page_ctor,
  pgtable_pgd_page_dtor,
} from '../../../include/linux/mm.ts';
import { alloc_pages, __free_pages } from '../../../mm/page_alloc.ts';
import { GFP_PGTABLE_USER } from '../../../include/linux/gfp.ts';
import { __pte_alloc_one, pte_free } from '../../../include/asm-generic/pgalloc.ts';
import { pmd_free, pud_free } from '../include/asm/pgalloc.ts';
import { KERNEL_PGD_BOUNDARY, KERNEL_PGD_PTRS } from '../include/asm/pgtable_64_types.ts';
import { _PAGE_ACCESSED } from '../include/asm/pgtable_types.ts';
import { read64, write64, memcpy } from '../../../sim/memory.ts';
import { static_alloc } from '../../../sim/kernel_image.ts';
import { register_initcall, InitLevel } from '../../../sim/initcall.ts';
import { swapper_pg_dir } from './init_64.ts';
import { mm_structs } from '../../../kernel/fork.ts';
import type { pte_t } from '../include/asm/pgtable.ts';
import type { MmuGather } from '../../../mm/memory.ts';

/** One page of PGD without PTI (PGD_ALLOCATION_ORDER 0). */
export const PGD_ALLOCATION_ORDER = 0;

/** struct list_head pgd_list and spinlock_t pgd_lock, in the kernel's static data. */
export let pgd_list = new ListHead(0);
export let pgd_lock = 0;

register_initcall(InitLevel.SETUP_ARCH, 'pgd_list', () => {
  pgd_list = new ListHead(static_alloc(LIST_HEAD_SIZE));
  INIT_LIST_HEAD(pgd_list);
  pgd_lock = static_alloc(SPINLOCK_T_SIZE);
  spin_lock_init(pgd_lock);
});

/* ---- PTE tables ---- */

/** x86's pte_alloc_one(): a user PTE table (__userpte_alloc_gfp = GFP_PGTABLE_USER). */
export function pte_alloc_one(mm: MmStruct): Page | null {
  return __pte_alloc_one(mm, GFP_PGTABLE_USER);
}

/*
 * Freeing tables during unmap (___pte_free_tlb() & co). The mmu_gather has no concurrent
 * walkers to wait for on one CPU, so the table is released at once.
 */
export function ___pte_free_tlb(tlb: MmuGather, pte: Page): void {
  pte_free(tlb.mm, pte);
}

export function ___pmd_free_tlb(tlb: MmuGather, pmd: number): void {
  pmd_free(tlb.mm, pmd);
}

export function ___pud_free_tlb(tlb: MmuGather, pud: number): void {
  pud_free(tlb.mm, pud);
}

/* ---- the pgd list ---- */

export function pgd_list_add(pgd: number): void {
  const page = virt_to_page(pgd);
  list_add(page.lru, pgd_list);
}

export function pgd_list_del(pgd: number): void {
  const page = virt_to_page(pgd);
  list_del(page.lru);
}

/** Record the owning mm of a pgd in its page (page->index). */
function pgd_set_mm(pgd: number, mm: MmStruct): void {
  virt_to_page(pgd).index = mm.addr;
}

/** The mm a pgd page belongs to. */
export function pgd_page_get_mm(page: Page): MmStruct {
  return mm_structs.get(page.index);
}

/** Copy `count` top-level entries (clone_pgd_range). */
export function clone_pgd_range(dst: number, src: number, count: number): void {
  memcpy(dst, src, count * 8);
}

function pgd_ctor(mm: MmStruct, pgd: number): void {
  // The kernel half (direct map, vmalloc, vmemmap) is shared with swapper_pg_dir.
  clone_pgd_range(pgd + KERNEL_PGD_BOUNDARY * 8, swapper_pg_dir + KERNEL_PGD_BOUNDARY * 8, KERNEL_PGD_PTRS);
  // x86-64 does not share kernel PMDs: track the pgd for sync_global_pgds().
  pgd_set_mm(pgd, mm);
  pgd_list_add(pgd);
}

function pgd_dtor(pgd: number): void {
  spin_lock(pgd_lock);
  pgd_list_del(pgd);
  spin_unlock(pgd_lock);
}

function _pgd_alloc(): number {
  const page = alloc_pages(GFP_PGTABLE_USER, PGD_ALLOCATION_ORDER);
  if (!page) return 0;
  pgtable_pgd_page_ctor(page);
  return page_address(page);
}

function _pgd_free(pgd: number): void {
  const page = virt_to_page(pgd);
  pgtable_pgd_page_dtor(page);
  __free_pages(page, PGD_ALLOCATION_ORDER);
}

/** Allocate and construct the top-level table of `mm`; 0 on failure. */
export function pgd_alloc(mm: MmStruct): number {
  const pgd = _pgd_alloc();
  if (!pgd) return 0;
  mm.pgd = pgd;
  spin_lock(pgd_lock);
  pgd_ctor(mm, pgd);
  spin_unlock(pgd_lock);
  return pgd;
}

export function pgd_free(_mm: MmStruct, pgd: number): void {
  pgd_dtor(pgd);
  _pgd_free(pgd);
}

/* ---- accessed and dirty bits ---- */

/** Set the access/dirty bits of a PTE if they changed; true when it was updated. */
export function ptep_set_access_flags(_vma: VmAreaStruct, _addr: number, ptep: number, entry: pte_t, dirty: boolean): boolean {
  const changed = read64(ptep) !== entry;
  if (changed && dirty) write64(ptep, entry);
  return changed;
}

export function ptep_test_and_clear_young(_vma: VmAreaStruct, _addr: number, ptep: number): boolean {
  const pte = read64(ptep);
  if ((pte & _PAGE_ACCESSED) === 0) return false;
  write64(ptep, pte - _PAGE_ACCESSED);
  return true;
}

/** No TLB flush is needed to clear the accessed bit (x86 tolerates stale young bits). */
export function ptep_clear_flush_young(vma: VmAreaStruct, addr: number, ptep: number): boolean {
  return ptep_test_and_clear_young(vma, addr, ptep);
}
