/**
 * Kernel page tables (arch/x86/mm/init_64.c): swapper_pg_dir, the direct mapping of all RAM
 * built at setup_arch() time from memblock, sync_global_pgds(), and the translation of
 * vmalloc addresses for the simulated MMU.
 *
 * The direct map uses 2 MiB pages (PSE pmds); its PUD and PMD tables come from memblock, as
 * alloc_low_pages() does before the buddy allocator exists, so they are reserved memory with
 * no page type. Tables added later for vmalloc come from the buddy allocator through
 * pud_alloc(&init_mm, ...) and friends (typed PGTY_table, no split lock).
 */
import { init_mm, MM_STRUCT_SIZE } from '../../../include/linux/mm_types.ts';
import { __va, __pa, spin_lock_init, spin_lock, spin_unlock, page_address } from '../../../include/linux/mm.ts';
import { list_for_each_entry } from '../../../include/linux/list.ts';
import { Page } from '../../../include/linux/mm_types.ts';
import { BUG } from '../../../include/linux/mmdebug.ts';
import { PAGE_SIZE, PAGE_OFFSET } from '../include/asm/page_64_types.ts';
import { PGDIR_SIZE, PUD_SIZE, PMD_SIZE, PTRS_PER_PUD, PTRS_PER_PMD } from '../include/asm/pgtable_64_types.ts';
import { _PAGE_TABLE, _PAGE_PRESENT, _PAGE_PSE, __PAGE_KERNEL_LARGE } from '../include/asm/pgtable_types.ts';
import {
  pgd_offset_k, pgd_index, pud_index, pmd_index, pte_index, p4d_offset, p4d_none, p4d_pgtable, pud_pgtable, pmd_page_vaddr,
  set_p4d, pfn_pmd,
} from '../include/asm/pgtable.ts';
import { read64, write64, ram_size, set_vmalloc_translator, phys_fill } from '../../../sim/memory.ts';
import { static_alloc, static_alloc_page } from '../../../sim/kernel_image.ts';
import { memblock_phys_alloc } from '../../../mm/memblock.ts';
import { register_initcall, InitLevel } from '../../../sim/initcall.ts';
import { pgd_list, pgd_lock, pgd_page_get_mm } from './pgtable.ts';

/** The kernel's top-level page table (init_top_pgt), in the kernel image's data. */
export let swapper_pg_dir = 0;
/** The shared zero page (empty_zero_page), mapped read-only for reads of untouched memory. */
export let empty_zero_page = 0;

register_initcall(InitLevel.SETUP_ARCH, 'init_memory_mapping', () => {
  swapper_pg_dir = static_alloc_page();
  empty_zero_page = static_alloc_page();
  init_mm_setup();
  vmalloc_translate_reset();
  init_memory_mapping(0, ram_size());
  set_vmalloc_translator(vmalloc_translate);
});

/** init_mm's static initialiser (mm/init-mm.c). */
function init_mm_setup(): void {
  init_mm.addr = static_alloc(MM_STRUCT_SIZE, 64);
  init_mm.pgd = swapper_pg_dir;
  init_mm.mmap = null;
  init_mm.mmap_cache = null;
  init_mm.map_count = 0;
  init_mm.mm_users = 2;
  init_mm.mm_count = 1;
  init_mm.rss_stat.fill(0);
  init_mm.pgtables_bytes = 0;
  init_mm.total_vm = 0;
  spin_lock_init(init_mm.page_table_lock);
}

/** A zeroed page for an early page table, from memblock (alloc_low_pages). */
function alloc_low_page(): number {
  const phys = memblock_phys_alloc(PAGE_SIZE, PAGE_SIZE, 'pgtable');
  phys_fill(phys, PAGE_SIZE, 0);
  return __va(phys);
}

function phys_pmd_init(pmd_page: number, paddr: number, paddr_end: number): void {
  for (let i = pmd_index(__va(paddr)); i < PTRS_PER_PMD && paddr < paddr_end; i++, paddr += PMD_SIZE) {
    write64(pmd_page + i * 8, pfn_pmd(paddr / PAGE_SIZE, __PAGE_KERNEL_LARGE));
  }
}

function phys_pud_init(pud_page: number, paddr: number, paddr_end: number): void {
  for (let i = pud_index(__va(paddr)); i < PTRS_PER_PUD && paddr < paddr_end; i++) {
    const next = Math.min(paddr - (paddr % PUD_SIZE) + PUD_SIZE, paddr_end);
    const pud = pud_page + i * 8;
    let pmd_page = read64(pud) === 0 ? 0 : pud_pgtable(read64(pud));
    if (!pmd_page) {
      pmd_page = alloc_low_page();
      write64(pud, __pa(pmd_page) + _PAGE_TABLE);
    }
    phys_pmd_init(pmd_page, paddr, next);
    paddr = next;
  }
}

/** Map [paddr_start, paddr_end) at PAGE_OFFSET (kernel_physical_mapping_init). */
export function init_memory_mapping(paddr_start: number, paddr_end: number): void {
  let paddr = paddr_start;
  while (paddr < paddr_end) {
    const vaddr = __va(paddr);
    const next = Math.min(paddr - (vaddr % PGDIR_SIZE) + PGDIR_SIZE, paddr_end);
    const p4d = p4d_offset(pgd_offset_k(vaddr), vaddr);
    let pud_page = p4d_none(read64(p4d)) ? 0 : p4d_pgtable(read64(p4d));
    if (!pud_page) {
      pud_page = alloc_low_page();
      write64(p4d, __pa(pud_page) + _PAGE_TABLE);
    }
    phys_pud_init(pud_page, paddr, next);
    paddr = next;
  }
}

/**
 * Copy kernel top-level entries for [start, end] from swapper_pg_dir into every pgd on
 * pgd_list (sync_global_pgds_l4). An entry that exists and points elsewhere is a bug.
 */
export function sync_global_pgds(start: number, end: number): void {
  for (let addr = start - (start % PGDIR_SIZE); addr <= end; addr += PGDIR_SIZE) {
    const p4d_ref = p4d_offset(pgd_offset_k(addr), addr);
    const ref = read64(p4d_ref);
    if (p4d_none(ref)) continue;
    spin_lock(pgd_lock);
    for (const page of list_for_each_entry(pgd_list, Page, 'lru')) {
      const pgd = page_address(page) + pgd_index(addr) * 8;
      const p4d = p4d_offset(pgd, addr);
      // The owner's page_table_lock (the kernel takes it for Xen's benefit).
      const pgt_lock = pgd_page_get_mm(page).page_table_lock;
      spin_lock(pgt_lock);
      const cur = read64(p4d);
      if (p4d_none(cur)) set_p4d(p4d, ref);
      else if (p4d_pgtable(cur) !== p4d_pgtable(ref)) BUG(`sync_global_pgds: pgd entry for ${addr.toString(16)} differs from the reference`);
      spin_unlock(pgt_lock);
    }
    spin_unlock(pgd_lock);
  }
}

/** Called by vmalloc/ioremap after changing top-level kernel entries. */
export function arch_sync_kernel_mappings(start: number, end: number): void {
  sync_global_pgds(start, end);
}

/* ---- translating vmalloc addresses for the simulated MMU ----
 * A walk of init_mm's tables, with a small direct-mapped cache of PTE-level translations.
 * A cached entry remembers its pte pointer and value and is used only while the PTE still
 * holds that value; changes to upper levels and freed kernel tables bump a generation
 * number that invalidates the whole cache.
 */
const TCACHE_SIZE = 256;
const tcache_va = new Float64Array(TCACHE_SIZE).fill(-1);
const tcache_ptep = new Float64Array(TCACHE_SIZE);
const tcache_pte = new Float64Array(TCACHE_SIZE);
const tcache_gen = new Float64Array(TCACHE_SIZE);
let tcache_generation = 1;

function vmalloc_translate_reset(): void {
  tcache_va.fill(-1);
  tcache_generation++;
}

/** Invalidate every cached kernel translation (upper-level change, table freed, TLB flush). */
export function vmalloc_translate_flush(): void {
  tcache_generation++;
}

/** Physical address backing kernel virtual `addr` in init_mm's tables, or -1. */
export function vmalloc_translate(addr: number): number {
  const off = addr % PAGE_SIZE;
  const va = addr - off;
  const slot = (va / PAGE_SIZE) & (TCACHE_SIZE - 1);
  if (tcache_va[slot] === va && tcache_gen[slot] === tcache_generation) {
    const ptep = tcache_ptep[slot]!;
    const pte = tcache_pte[slot]!;
    if (read64(ptep) === pte) return pte - (pte % PAGE_SIZE) + off;
  }
  const p4d = read64(p4d_offset(swapper_pg_dir + pgd_index(addr) * 8, addr));
  if (!(p4d & _PAGE_PRESENT)) return -1;
  const pud = read64(p4d_pgtable(p4d) + pud_index(addr) * 8);
  if (!(pud & _PAGE_PRESENT)) return -1;
  if (pud & _PAGE_PSE) return pud - (pud % PUD_SIZE) + (addr % PUD_SIZE);
  const pmd = read64(pud_pgtable(pud) + pmd_index(addr) * 8);
  if (!(pmd & _PAGE_PRESENT)) return -1;
  if (pmd & _PAGE_PSE) return pmd - (pmd % PMD_SIZE) + (addr % PMD_SIZE);
  const ptep = pmd_page_vaddr(pmd) + pte_index(addr) * 8;
  const pte = read64(ptep);
  if (!(pte & _PAGE_PRESENT)) return -1;
  tcache_va[slot] = va;
  tcache_ptep[slot] = ptep;
  tcache_pte[slot] = pte;
  tcache_gen[slot] = tcache_generation;
  return pte - (pte % PAGE_SIZE) + off;
}

