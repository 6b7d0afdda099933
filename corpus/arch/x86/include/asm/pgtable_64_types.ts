/**
 * x86-64 4-level paging geometry (arch/x86/include/asm/pgtable_64_types.h).
 * P4D is folded into the PGD (no LA57): p4d_offset() returns the pgd entry itself.
 * Addresses have their 16 sign-extension bits dropped, so every mask here is computed with
 * arithmetic rather than 32-bit bitwise operators (addresses reach 2^48).
 */
import { PAGE_SHIFT, PAGE_SIZE, PAGE_OFFSET, TASK_SIZE_MAX } from './page_64_types.ts';

export const PGDIR_SHIFT = 39;
export const PTRS_PER_PGD = 512;
export const P4D_SHIFT = 39;
export const PTRS_PER_P4D = 1;
export const PUD_SHIFT = 30;
export const PTRS_PER_PUD = 512;
export const PMD_SHIFT = 21;
export const PTRS_PER_PMD = 512;
export const PTRS_PER_PTE = 512;

export const PMD_SIZE = 2 ** PMD_SHIFT;
export const PUD_SIZE = 2 ** PUD_SHIFT;
export const P4D_SIZE = 2 ** P4D_SHIFT;
export const PGDIR_SIZE = 2 ** PGDIR_SHIFT;

/** x & *_MASK for addresses up to 2^48 (the C masks are ~(SIZE - 1)). */
export function pmd_align_down(addr: number): number {
  return addr - (addr % PMD_SIZE);
}
export function pud_align_down(addr: number): number {
  return addr - (addr % PUD_SIZE);
}
export function pgdir_align_down(addr: number): number {
  return addr - (addr % PGDIR_SIZE);
}

/** Size in bytes of one table of each level (one page). */
export const PTE_TABLE_SIZE = PTRS_PER_PTE * 8;

/** First PGD slot of the kernel half: pgd_index(PAGE_OFFSET) as in the kernel. */
export const KERNEL_PGD_BOUNDARY = Math.floor(PAGE_OFFSET / PGDIR_SIZE) % PTRS_PER_PGD;
export const KERNEL_PGD_PTRS = PTRS_PER_PGD - KERNEL_PGD_BOUNDARY;
/** The kernel half starts at the middle of the PGD (PGD_KERNEL_START). */
export const PGD_KERNEL_START = PAGE_SIZE / 2 / 8;
export const USER_PTRS_PER_PGD = PGD_KERNEL_START;

/** User address space: TASK_SIZE (47 bits minus the guard page). */
export const TASK_SIZE = TASK_SIZE_MAX;
export const FIRST_USER_ADDRESS = 0;
/** 0 means "top of the address space" in free_pgtables(). */
export const USER_PGTABLES_CEILING = 0;

export { PAGE_SHIFT, PAGE_SIZE };
