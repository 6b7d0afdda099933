/**
 * Generic page-table page allocation (include/asm-generic/pgalloc.h).
 *
 * A PTE table is one page: pgtable_t is its struct page. User tables get the split lock
 * (pgtable_pte_page_ctor); kernel (init_mm) tables are typed and counted but have no lock.
 */
import { Page } from '../linux/mm_types.ts';
import {
  virt_to_page, pgtable_pte_page_ctor, pgtable_pte_page_dtor, __pgtable_page_ctor, __pgtable_page_dtor,
} from '../linux/mm.ts';
import { alloc_page, __free_page, __get_free_pages, free_page } from '../../mm/page_alloc.ts';
import { GFP_PGTABLE_KERNEL } from '../linux/gfp.ts';
import type { MmStruct } from '../linux/mm_types.ts';
import { vmalloc_translate_flush } from '../../arch/x86/mm/init_64.ts';

/** A zeroed kernel PTE table (direct-map address), or 0. */
export function __pte_alloc_one_kernel(_mm: MmStruct): number {
  const pte = __get_free_pages(GFP_PGTABLE_KERNEL, 0);
  if (!pte) return 0;
  __pgtable_page_ctor(virt_to_page(pte));
  return pte;
}

export function pte_alloc_one_kernel(mm: MmStruct): number {
  return __pte_alloc_one_kernel(mm);
}

export function pte_free_kernel(_mm: MmStruct, pte: number): void {
  __pgtable_page_dtor(virt_to_page(pte));
  free_page(pte);
  vmalloc_translate_flush();
}

/** A zeroed user PTE table with its split lock, or null. */
export function __pte_alloc_one(_mm: MmStruct, gfp: number): Page | null {
  const pte = alloc_page(gfp);
  if (!pte) return null;
  if (!pgtable_pte_page_ctor(pte)) {
    __free_page(pte);
    return null;
  }
  return pte;
}

export function pte_free(_mm: MmStruct, pte_page: Page): void {
  pgtable_pte_page_dtor(pte_page);
  __free_page(pte_page);
}
