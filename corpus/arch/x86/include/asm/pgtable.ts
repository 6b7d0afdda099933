/**
 * Page-table entry helpers (arch/x86/include/asm/pgtable.h, pgtable_64.h, tlbflush.h, and the
 * generic include/linux/pgtable.h walkers; swap entries from include/linux/swapops.h).
 *
 * pte_t, pmd_t, pud_t, p4d_t and pgd_t are entry values (plain numbers, see pgtable_types.ts);
 * a "pointer" to an entry (pte_t *ptep, pmd_t *pmd, ...) is the kernel virtual address of the
 * 8-byte entry inside its table page. Tables live in the direct map, so entries are read with
 * read64() and the next level is __va(entry & PTE_PFN_MASK).
 *
 * Four levels with P4D folded into the PGD (pgtable-nop4d.h): p4d_offset() returns its pgd
 * argument, pgd_none()/pgd_bad() are always false, and the top-level entry is tested and
 * cleared with the p4d_* helpers.
 */
import {
  _PAGE_PRESENT, _PAGE_RW, _PAGE_USER, _PAGE_ACCESSED, _PAGE_DIRTY, _PAGE_PSE, _PAGE_PROTNONE, _PAGE_SPECIAL,
  _KERNPG_TABLE, _PAGE_CHG_MASK_LOW, type pgprot_t,
} from './pgtable_types.ts';
import { PAGE_SIZE, PAGE_OFFSET } from './page_64_types.ts';
import {
  PGDIR_SIZE, PUD_SIZE, PMD_SIZE, PTRS_PER_PGD,
} from './pgtable_64_types.ts';
import { read64, write64 } from '../../../../sim/memory.ts';
import { Page, MmStruct, init_mm, type VmAreaStruct } from '../../../../include/linux/mm_types.ts';
import { pfn_to_page, page_to_pfn } from '../../../../include/linux/mm.ts';
import { vmalloc_translate_flush } from '../../mm/init_64.ts';

export type pte_t = number;
export type pmd_t = number;
export type pud_t = number;
export type p4d_t = number;
export type pgd_t = number;
/** pgtable_t: the struct page of a PTE table. */
export type pgtable_t = Page;

/* ---- indices and address stepping ---- */

export function pgd_index(addr: number): number {
  return Math.floor(addr / PGDIR_SIZE) % PTRS_PER_PGD;
}
export function pud_index(addr: number): number {
  return (addr / PUD_SIZE) & 511;
}
export function pmd_index(addr: number): number {
  return (addr / PMD_SIZE) & 511;
}
export function pte_index(addr: number): number {
  return (addr / PAGE_SIZE) & 511;
}

function addr_end(addr: number, end: number, size: number): number {
  const boundary = addr - (addr % size) + size;
  return boundary - 1 < end - 1 ? boundary : end;
}
export function pgd_addr_end(addr: number, end: number): number {
  return addr_end(addr, end, PGDIR_SIZE);
}
export function p4d_addr_end(addr: number, end: number): number {
  return end; // folded: one p4d per pgd entry
}
export function pud_addr_end(addr: number, end: number): number {
  return addr_end(addr, end, PUD_SIZE);
}
export function pmd_addr_end(addr: number, end: number): number {
  return addr_end(addr, end, PMD_SIZE);
}

/* ---- flag arithmetic on entry values (exact for values below 2^53) ---- */

export function pte_flags(pte: pte_t): number {
  return pte & 0xfff;
}
function set_flags(v: number, f: number): number {
  return v - (v & f) + f;
}
function clear_flags(v: number, f: number): number {
  return v - (v & f);
}
/** Frame number of an entry: bits 12..51 (nothing above bit 51 is modelled). */
function entry_pfn(v: number): number {
  return Math.floor(v / PAGE_SIZE);
}

/* ---- pte ---- */

export function pte_val(pte: pte_t): number {
  return pte;
}
export function __pte(v: number): pte_t {
  return v;
}
export function pte_none(pte: pte_t): boolean {
  return pte === 0;
}
export function pte_present(pte: pte_t): boolean {
  return (pte & (_PAGE_PRESENT | _PAGE_PROTNONE)) !== 0;
}
export function pte_write(pte: pte_t): boolean {
  return (pte & _PAGE_RW) !== 0;
}
export function pte_dirty(pte: pte_t): boolean {
  return (pte & _PAGE_DIRTY) !== 0;
}
export function pte_young(pte: pte_t): boolean {
  return (pte & _PAGE_ACCESSED) !== 0;
}
export function pte_special(pte: pte_t): boolean {
  return (pte & _PAGE_SPECIAL) !== 0;
}
export function pte_user(pte: pte_t): boolean {
  return (pte & _PAGE_USER) !== 0;
}
export function pte_pfn(pte: pte_t): number {
  return entry_pfn(pte);
}
export function pte_page(pte: pte_t): Page {
  return pfn_to_page(pte_pfn(pte));
}
export function pfn_pte(pfn: number, prot: pgprot_t): pte_t {
  return pfn * PAGE_SIZE + prot;
}
export function mk_pte(page: Page, prot: pgprot_t): pte_t {
  return pfn_pte(page_to_pfn(page), prot);
}
export function pte_mkwrite(pte: pte_t): pte_t {
  return set_flags(pte, _PAGE_RW);
}
export function pte_wrprotect(pte: pte_t): pte_t {
  return clear_flags(pte, _PAGE_RW);
}
export function pte_mkdirty(pte: pte_t): pte_t {
  return set_flags(pte, _PAGE_DIRTY);
}
export function pte_mkclean(pte: pte_t): pte_t {
  return clear_flags(pte, _PAGE_DIRTY);
}
export function pte_mkyoung(pte: pte_t): pte_t {
  return set_flags(pte, _PAGE_ACCESSED);
}
export function pte_mkold(pte: pte_t): pte_t {
  return clear_flags(pte, _PAGE_ACCESSED);
}
export function pte_mkspecial(pte: pte_t): pte_t {
  return set_flags(pte, _PAGE_SPECIAL);
}
/** Change the protection bits, keeping the pfn and _PAGE_CHG_MASK bits. */
export function pte_modify(pte: pte_t, newprot: pgprot_t): pte_t {
  const low = pte & 0xfff;
  return pte - low + (low & _PAGE_CHG_MASK_LOW) + (newprot & ~_PAGE_CHG_MASK_LOW & 0xfff);
}
export function pte_same(a: pte_t, b: pte_t): boolean {
  return a === b;
}

/* ---- pmd / pud / p4d / pgd values ---- */

export function __pmd(v: number): pmd_t {
  return v;
}
export function pmd_val(pmd: pmd_t): number {
  return pmd;
}
export function pmd_none(pmd: pmd_t): boolean {
  return pmd === 0;
}
export function pmd_present(pmd: pmd_t): boolean {
  return (pmd & (_PAGE_PRESENT | _PAGE_PROTNONE | _PAGE_PSE)) !== 0;
}
export function pmd_large(pmd: pmd_t): boolean {
  return (pmd & _PAGE_PSE) !== 0;
}
/** A table entry must be a present kernel table (user bit allowed), not a large page. */
export function pmd_bad(pmd: pmd_t): boolean {
  return ((pmd & 0xfff) & ~_PAGE_USER) !== _KERNPG_TABLE;
}
export function pmd_pfn(pmd: pmd_t): number {
  return entry_pfn(pmd);
}
export function pmd_page(pmd: pmd_t): Page {
  return pfn_to_page(pmd_pfn(pmd));
}
/** pmd_pgtable(): the PTE table page a pmd entry points to. */
export function pmd_pgtable(pmd: pmd_t): pgtable_t {
  return pmd_page(pmd);
}
/** Direct-map address of the PTE table a pmd entry points to. */
export function pmd_page_vaddr(pmd: pmd_t): number {
  return PAGE_OFFSET + pmd_pfn(pmd) * PAGE_SIZE;
}
export function pfn_pmd(pfn: number, prot: pgprot_t): pmd_t {
  return pfn * PAGE_SIZE + prot;
}

export function __pud(v: number): pud_t {
  return v;
}
export function pud_none(pud: pud_t): boolean {
  return pud === 0;
}
export function pud_present(pud: pud_t): boolean {
  return (pud & _PAGE_PRESENT) !== 0;
}
export function pud_large(pud: pud_t): boolean {
  return (pud & _PAGE_PSE) !== 0;
}
export function pud_bad(pud: pud_t): boolean {
  return ((pud & 0xfff) & ~_PAGE_USER) !== _KERNPG_TABLE;
}
export function pud_pfn(pud: pud_t): number {
  return entry_pfn(pud);
}
export function pud_page(pud: pud_t): Page {
  return pfn_to_page(pud_pfn(pud));
}
/** Direct-map address of the PMD table a pud entry points to (pud_pgtable / pud_page_vaddr). */
export function pud_pgtable(pud: pud_t): number {
  return PAGE_OFFSET + pud_pfn(pud) * PAGE_SIZE;
}

export function __p4d(v: number): p4d_t {
  return v;
}
export function p4d_none(p4d: p4d_t): boolean {
  return p4d === 0;
}
export function p4d_present(p4d: p4d_t): boolean {
  return (p4d & _PAGE_PRESENT) !== 0;
}
export function p4d_bad(p4d: p4d_t): boolean {
  return ((p4d & 0xfff) & ~_PAGE_USER) !== _KERNPG_TABLE;
}
export function p4d_pfn(p4d: p4d_t): number {
  return entry_pfn(p4d);
}
export function p4d_page(p4d: p4d_t): Page {
  return pfn_to_page(p4d_pfn(p4d));
}
/** Direct-map address of the PUD table a p4d entry points to (p4d_pgtable / p4d_page_vaddr). */
export function p4d_pgtable(p4d: p4d_t): number {
  return PAGE_OFFSET + p4d_pfn(p4d) * PAGE_SIZE;
}

export function __pgd(v: number): pgd_t {
  return v;
}
/** Folded P4D: the pgd level itself is never none or bad (pgtable-nop4d.h). */
export function pgd_none(_pgd: pgd_t): boolean {
  return false;
}
export function pgd_bad(_pgd: pgd_t): boolean {
  return false;
}
export function pgd_present(_pgd: pgd_t): boolean {
  return true;
}

/* ---- locating entries ---- */

export function pgd_offset_pgd(pgd: number, addr: number): number {
  return pgd + pgd_index(addr) * 8;
}
export function pgd_offset(mm: MmStruct, addr: number): number {
  return pgd_offset_pgd(mm.pgd, addr);
}
export function pgd_offset_k(addr: number): number {
  return pgd_offset(init_mm, addr);
}
export function p4d_offset(pgd: number, _addr: number): number {
  return pgd;
}
export function pud_offset(p4d: number, addr: number): number {
  return p4d_pgtable(read64(p4d)) + pud_index(addr) * 8;
}
export function pmd_offset(pud: number, addr: number): number {
  return pud_pgtable(read64(pud)) + pmd_index(addr) * 8;
}
export function pte_offset_kernel(pmd: number, addr: number): number {
  return pmd_page_vaddr(read64(pmd)) + pte_index(addr) * 8;
}
/** No highmem: PTE tables are always mapped. */
export function pte_offset_map(pmd: number, addr: number): number {
  return pte_offset_kernel(pmd, addr);
}
export function pte_unmap(_ptep: number): void {
  /* nothing to unmap without highmem */
}

/* ---- reading and writing entries ---- */

export function ptep_get(ptep: number): pte_t {
  return read64(ptep);
}
export function set_pte(ptep: number, pte: pte_t): void {
  write64(ptep, pte);
}
export function set_pte_at(_mm: MmStruct, _addr: number, ptep: number, pte: pte_t): void {
  write64(ptep, pte);
}
export function pte_clear(_mm: MmStruct, _addr: number, ptep: number): void {
  write64(ptep, 0);
}
export function ptep_get_and_clear(_mm: MmStruct, _addr: number, ptep: number): pte_t {
  const pte = read64(ptep);
  write64(ptep, 0);
  return pte;
}
export function ptep_get_and_clear_full(mm: MmStruct, addr: number, ptep: number, _full: boolean): pte_t {
  return ptep_get_and_clear(mm, addr, ptep);
}
export function ptep_set_wrprotect(_mm: MmStruct, _addr: number, ptep: number): void {
  const pte = read64(ptep);
  if (pte & _PAGE_RW) write64(ptep, pte - _PAGE_RW);
}

/*
 * Upper-level entries. Changing one may redirect a cached kernel translation, so each write
 * bumps the vmalloc translator's generation (PTE writes are validated on lookup instead).
 */
export function set_pmd(pmd: number, val: pmd_t): void {
  write64(pmd, val);
  vmalloc_translate_flush();
}
export function pmd_clear(pmd: number): void {
  set_pmd(pmd, 0);
}
export function set_pud(pud: number, val: pud_t): void {
  write64(pud, val);
  vmalloc_translate_flush();
}
export function pud_clear(pud: number): void {
  set_pud(pud, 0);
}
export function set_p4d(p4d: number, val: p4d_t): void {
  write64(p4d, val);
  vmalloc_translate_flush();
}
export function p4d_clear(p4d: number): void {
  set_p4d(p4d, 0);
}
/** Folded: the pgd entry is the p4d entry, set through set_p4d(). */
export function set_pgd(pgd: number, val: pgd_t): void {
  set_p4d(pgd, val);
}
export function pgd_clear(_pgd: number): void {
  /* folded: cleared as a p4d */
}

/** pXd_none_or_clear_bad() (include/linux/pgtable.h): a bad entry is reported and cleared. */
export function pmd_none_or_clear_bad(pmd: number): boolean {
  const v = read64(pmd);
  if (v === 0) return true;
  if (pmd_bad(v)) {
    pmd_clear_bad(pmd, v);
    return true;
  }
  return false;
}
export function pud_none_or_clear_bad(pud: number): boolean {
  const v = read64(pud);
  if (v === 0) return true;
  if (pud_bad(v)) {
    bad_entry('pud', pud, v);
    pud_clear(pud);
    return true;
  }
  return false;
}
export function p4d_none_or_clear_bad(p4d: number): boolean {
  const v = read64(p4d);
  if (v === 0) return true;
  if (p4d_bad(v)) {
    bad_entry('p4d', p4d, v);
    p4d_clear(p4d);
    return true;
  }
  return false;
}
export function pgd_none_or_clear_bad(_pgd: number): boolean {
  return false;
}
function pmd_clear_bad(pmd: number, v: number): void {
  bad_entry('pmd', pmd, v);
  pmd_clear(pmd);
}
/** pgd_ERROR() and friends: "file:line: bad pmd (____ptrval____)(value)". */
let bad_entry_hook: (level: string, ptr: number, val: number) => void = () => {};
export function set_bad_entry_hook(fn: (level: string, ptr: number, val: number) => void): void {
  bad_entry_hook = fn;
}
function bad_entry(level: string, ptr: number, val: number): void {
  bad_entry_hook(level, ptr, val);
}

/* ---- TLB (arch/x86/include/asm/tlbflush.h): no TLB is modelled ---- */

export function flush_tlb_page(_vma: VmAreaStruct, _addr: number): void {}
export function flush_tlb_range(_vma: VmAreaStruct, _start: number, _end: number): void {}
export function flush_tlb_mm(_mm: MmStruct): void {}
/** Kernel mappings changed (vunmap): drop cached vmalloc translations. */
export function flush_tlb_kernel_range(_start: number, _end: number): void {
  vmalloc_translate_flush();
}
export function update_mmu_cache(_vma: VmAreaStruct, _addr: number, _ptep: number): void {}

/* ---- swap entries ----
 * The arch encoding (pgtable_64.h) of a non-present PTE holding a swap entry: type in bits
 * 9..13 (SWP_TYPE_FIRST_BIT = _PAGE_BIT_PROTNONE + 1, SWP_TYPE_BITS = 5), offset from bit 14.
 * Present and PROTNONE bits are clear, so pte_none() and pte_present() are both false.
 * Simplification: the offset is stored as is, not inverted (no L1TF mitigation), and
 * offsets are limited to 38 bits so that the entry stays an exact number.
 */
export const SWP_TYPE_FIRST_BIT = 9;
export const SWP_TYPE_BITS = 5;
export const SWP_OFFSET_FIRST_BIT = SWP_TYPE_FIRST_BIT + SWP_TYPE_BITS;
export const SWP_OFFSET_BITS = 38;

/** The arch swap entry (swp_entry_t in arch format): its value is the PTE. */
export function __swp_entry(type: number, offset: number): number {
  return offset * 2 ** SWP_OFFSET_FIRST_BIT + type * 2 ** SWP_TYPE_FIRST_BIT;
}
export function __swp_type(arch: number): number {
  return (arch >>> SWP_TYPE_FIRST_BIT) & ((1 << SWP_TYPE_BITS) - 1);
}
export function __swp_offset(arch: number): number {
  return Math.floor(arch / 2 ** SWP_OFFSET_FIRST_BIT);
}
export function __pte_to_swp_entry(pte: pte_t): number {
  return pte;
}
export function __swp_entry_to_pte(arch: number): pte_t {
  return arch;
}

/*
 * The arch-independent swp_entry_t (include/linux/swapops.h): type above the offset.
 * Simplification: SWP_TYPE_SHIFT is 40 (not BITS_PER_XA_VALUE - MAX_SWAPFILES_SHIFT) so that
 * the value stays exact; page->private of a swap-cache page holds this value.
 */
export type swp_entry_t = number;
export const MAX_SWAPFILES_SHIFT = 5;
export const SWP_TYPE_SHIFT = 40;
export const SWP_OFFSET_MASK = 2 ** SWP_TYPE_SHIFT - 1;
/** Types above MAX_SWAPFILES are non-swap entries (migration, hwpoison). */
export const SWP_MIGRATION_NUM = 2;
export const SWP_HWPOISON_NUM = 1;
export const MAX_SWAPFILES = (1 << MAX_SWAPFILES_SHIFT) - SWP_MIGRATION_NUM - SWP_HWPOISON_NUM;
export const SWP_HWPOISON = MAX_SWAPFILES;
export const SWP_MIGRATION_READ = MAX_SWAPFILES + SWP_HWPOISON_NUM;
export const SWP_MIGRATION_WRITE = SWP_MIGRATION_READ + 1;

export function swp_entry(type: number, offset: number): swp_entry_t {
  return type * 2 ** SWP_TYPE_SHIFT + (offset % 2 ** SWP_TYPE_SHIFT);
}
export function swp_type(entry: swp_entry_t): number {
  return Math.floor(entry / 2 ** SWP_TYPE_SHIFT);
}
export function swp_offset(entry: swp_entry_t): number {
  return entry % 2 ** SWP_TYPE_SHIFT;
}
export function is_swap_pte(pte: pte_t): boolean {
  return !pte_none(pte) && !pte_present(pte);
}
export function pte_to_swp_entry(pte: pte_t): swp_entry_t {
  const arch = __pte_to_swp_entry(pte);
  return swp_entry(__swp_type(arch), __swp_offset(arch));
}
export function swp_entry_to_pte(entry: swp_entry_t): pte_t {
  return __swp_entry_to_pte(__swp_entry(swp_type(entry), swp_offset(entry)));
}
export function non_swap_entry(entry: swp_entry_t): boolean {
  return swp_type(entry) >= MAX_SWAPFILES;
}
export function make_hwpoison_entry(page: Page): swp_entry_t {
  return swp_entry(SWP_HWPOISON, page_to_pfn(page));
}
export function is_hwpoison_entry(entry: swp_entry_t): boolean {
  return swp_type(entry) === SWP_HWPOISON;
}
export function is_migration_entry(entry: swp_entry_t): boolean {
  const t = swp_type(entry);
  return t === SWP_MIGRATION_READ || t === SWP_MIGRATION_WRITE;
}
