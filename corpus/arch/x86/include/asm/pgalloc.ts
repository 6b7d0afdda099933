/**
 * x86 page-table allocation and population (arch/x86/include/asm/pgalloc.h).
 *
 * PMD and PUD tables are single zeroed pages from the buddy allocator (GFP_PGTABLE_USER, or
 * GFP_PGTABLE_KERNEL for init_mm), typed PGTY_table and counted in NR_PAGETABLE by their
 * constructors. User PMD tables get a split lock like PTE tables; init_mm's do not.
 * Populating writes the next table's physical address with _PAGE_TABLE.
 */
import { Page, init_mm, type MmStruct } from '../../../../include/linux/mm_types.ts';
import {
  page_address, page_to_pfn, virt_to_page, __pa, pgtable_pmd_page_ctor, pgtable_pmd_page_dtor, pgtable_pud_page_ctor,
  pgtable_pud_page_dtor, __pgtable_page_ctor, __pgtable_page_dtor,
} from '../../../../include/linux/mm.ts';
import { alloc_page, __free_page, free_page } from '../../../../mm/page_alloc.ts';
import { GFP_PGTABLE_KERNEL, GFP_PGTABLE_USER } from '../../../../include/linux/gfp.ts';
import { _PAGE_TABLE } from './pgtable_types.ts';
import { PAGE_SIZE } from './page_64_types.ts';
import { set_pmd, set_pud, set_p4d } from './pgtable.ts';
import { vmalloc_translate_flush } from '../../mm/init_64.ts';

/** Point a pmd entry at a kernel PTE table (by address). */
export function pmd_populate_kernel(_mm: MmStruct, pmd: number, pte: number): void {
  set_pmd(pmd, __pa(pte) + _PAGE_TABLE);
}

/** Point a pmd entry at a user PTE table (pgtable_t). */
export function pmd_populate(_mm: MmStruct, pmd: number, pte: Page): void {
  set_pmd(pmd, page_to_pfn(pte) * PAGE_SIZE + _PAGE_TABLE);
}

export function pud_populate(_mm: MmStruct, pud: number, pmd: number): void {
  set_pud(pud, __pa(pmd) + _PAGE_TABLE);
}

export function p4d_populate(_mm: MmStruct, p4d: number, pud: number): void {
  set_p4d(p4d, __pa(pud) + _PAGE_TABLE);
}

/** Folded P4D: there is no separate p4d table to hook into the pgd. */
export function pgd_populate(_mm: MmStruct, _pgd: number, _p4d: number): void {}

function pgtable_gfp(mm: MmStruct): number {
  return mm === init_mm ? GFP_PGTABLE_KERNEL : GFP_PGTABLE_USER;
}

/** A zeroed PMD table (direct-map address), or 0. */
export function pmd_alloc_one(mm: MmStruct, _addr: number): number {
  const page = alloc_page(pgtable_gfp(mm));
  if (!page) return 0;
  if (mm === init_mm) {
    __pgtable_page_ctor(page);
  } else if (!pgtable_pmd_page_ctor(page)) {
    __free_page(page);
    return 0;
  }
  return page_address(page);
}

export function pmd_free(mm: MmStruct, pmd: number): void {
  const page = virt_to_page(pmd);
  if (mm === init_mm) {
    __pgtable_page_dtor(page);
    vmalloc_translate_flush();
  } else {
    pgtable_pmd_page_dtor(page);
  }
  free_page(pmd);
}

/** A zeroed PUD table (direct-map address), or 0. */
export function pud_alloc_one(mm: MmStruct, _addr: number): number {
  const page = alloc_page(pgtable_gfp(mm));
  if (!page) return 0;
  pgtable_pud_page_ctor(page);
  return page_address(page);
}

export function pud_free(mm: MmStruct, pud: number): void {
  pgtable_pud_page_dtor(virt_to_page(pud));
  free_page(pud);
  if (mm === init_mm) vmalloc_translate_flush();
}
