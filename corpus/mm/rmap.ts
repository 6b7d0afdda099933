/**
 * Reverse mapping of anonymous pages (mm/rmap.c).
 *
 * An anonymous page points to an anon_vma through page->mapping (address | PAGE_MAPPING_ANON)
 * and records its linear page index in page->index. Each VMA that may map pages of an
 * anon_vma is linked to it by an anon_vma_chain; at fork the child's VMA is chained to every
 * anon_vma of the parent's VMA plus a new one of its own. To find the PTEs mapping a page,
 * the walk goes page->mapping -> anon_vma -> chains -> vma, computes the address from
 * page->index and vma->vm_pgoff, and checks the PTE there.
 *
 * anon_vma and anon_vma_chain objects come from their slab caches; their JS-side fields are
 * registered under the object addresses.
 */
import {
  Page, AnonVma, AnonVmaChain, type MmStruct, type VmAreaStruct, MM_ANONPAGES, MM_SWAPENTS, VM_LOCKED,
  ANON_VMA_SIZE, ANON_VMA_CHAIN_SIZE,
} from '../include/linux/mm_types.ts';
import {
  page_mapcount, page_mapped, put_page, page_mapcount_raw, set_page_mapcount_raw, spin_lock, spin_unlock, pte_lockptr,
  inc_zone_page_state, dec_zone_page_state, dec_mm_counter, inc_mm_counter, mm_counter,
} from '../include/linux/mm.ts';
import {
  PageAnon, PAGE_MAPPING_ANON, PAGE_MAPPING_FLAGS, PageSwapBacked, PageSwapCache, SetPageSwapBacked, PageLocked,
  PageHWPoison, PageDirty, SetPageDirty,
} from '../include/linux/page-flags.ts';
import { ZoneStat } from '../include/linux/mmzone.ts';
import { VM_BUG_ON_PAGE, BUG } from '../include/linux/mmdebug.ts';
import { GFP_KERNEL } from '../include/linux/gfp.ts';
import {
  kmem_cache_create, kmem_cache_alloc, kmem_cache_free, SLAB_PANIC, SLAB_ACCOUNT, SLAB_TYPESAFE_BY_RCU,
  type KmemCache,
} from '../include/linux/slab.ts';
import { PAGE_SIZE } from '../arch/x86/include/asm/page_64_types.ts';
import {
  pgd_offset, p4d_offset, pud_offset, pmd_offset, pte_offset_map, p4d_none, p4d_bad, pud_none, pud_bad, pmd_none,
  pmd_bad, pte_present, pte_pfn, pte_dirty, ptep_get_and_clear, set_pte_at, swp_entry_to_pte, make_hwpoison_entry,
  flush_tlb_page,
} from '../arch/x86/include/asm/pgtable.ts';
import { ptep_clear_flush_young } from '../arch/x86/mm/pgtable.ts';
import { read64 } from '../sim/memory.ts';
import { ObjectRegistry } from '../sim/objects.ts';
import { register_initcall, InitLevel } from '../sim/initcall.ts';
import { page_to_pfn } from '../include/linux/mm.ts';
import { get_swap_ops } from './memory.ts';

/* ---- caches and the object registry ---- */

let anon_vma_cachep: KmemCache | null = null;
let anon_vma_chain_cachep: KmemCache | null = null;

/** Every live anon_vma, by address. */
export const anon_vmas = new ObjectRegistry<AnonVma>('anon_vma');
/** Every live anon_vma_chain, by address. */
export const anon_vma_chains = new ObjectRegistry<AnonVmaChain>('anon_vma_chain');

export function anon_vma_init(): void {
  anon_vmas.clear();
  anon_vma_chains.clear();
  anon_vma_cachep = kmem_cache_create('anon_vma', ANON_VMA_SIZE, 0, SLAB_TYPESAFE_BY_RCU | SLAB_PANIC | SLAB_ACCOUNT);
  anon_vma_chain_cachep = kmem_cache_create('anon_vma_chain', ANON_VMA_CHAIN_SIZE, 0, SLAB_PANIC | SLAB_ACCOUNT);
}

register_initcall(InitLevel.CORE, 'anon_vma_init', anon_vma_init);

function anon_vma_alloc(): AnonVma | null {
  const addr = kmem_cache_alloc(anon_vma_cachep!, GFP_KERNEL);
  if (!addr) return null;
  const anon_vma = new AnonVma();
  anon_vma.addr = addr;
  anon_vma.refcount = 1;
  anon_vma.degree = 1; // reference for the first vma
  anon_vmas.register(addr, anon_vma);
  return anon_vma;
}

function anon_vma_free(anon_vma: AnonVma): void {
  if (anon_vma.rb_root.size) BUG('anon_vma_free: anon_vma still has chains');
  anon_vmas.unregister(anon_vma.addr);
  kmem_cache_free(anon_vma_cachep!, anon_vma.addr);
}

function anon_vma_chain_alloc(gfp: number): number {
  return kmem_cache_alloc(anon_vma_chain_cachep!, gfp);
}

function anon_vma_chain_free(avc: AnonVmaChain): void {
  anon_vma_chains.unregister(avc.addr);
  kmem_cache_free(anon_vma_chain_cachep!, avc.addr);
}

export function get_anon_vma(anon_vma: AnonVma): void {
  anon_vma.refcount++;
}

function __put_anon_vma(anon_vma: AnonVma): void {
  const root = anon_vma.root;
  anon_vma_free(anon_vma);
  if (root !== anon_vma && --root.refcount === 0) anon_vma_free(root);
}

export function put_anon_vma(anon_vma: AnonVma): void {
  if (--anon_vma.refcount === 0) __put_anon_vma(anon_vma);
}

function anon_vma_chain_link(vma: VmAreaStruct, avc_addr: number, anon_vma: AnonVma): void {
  const avc = new AnonVmaChain(vma, anon_vma);
  avc.addr = avc_addr;
  anon_vma_chains.register(avc_addr, avc);
  vma.anon_vma_chain.push(avc);
  anon_vma.rb_root.add(avc);
}

/* ---- attaching anon_vmas to VMAs ---- */

/** Give `vma` an anon_vma before its first anonymous page is mapped; 0 or -ENOMEM. */
export function __anon_vma_prepare(vma: VmAreaStruct): number {
  const avc = anon_vma_chain_alloc(GFP_KERNEL);
  if (!avc) return -12;
  const anon_vma = anon_vma_alloc();
  if (!anon_vma) {
    kmem_cache_free(anon_vma_chain_cachep!, avc);
    return -12;
  }
  if (!vma.anon_vma) {
    vma.anon_vma = anon_vma;
    anon_vma_chain_link(vma, avc, anon_vma);
    anon_vma.degree++; // vma reference or self-parent link for a new root
  } else {
    put_anon_vma(anon_vma);
    kmem_cache_free(anon_vma_chain_cachep!, avc);
  }
  return 0;
}

export function anon_vma_prepare(vma: VmAreaStruct): number {
  if (vma.anon_vma) return 0;
  return __anon_vma_prepare(vma);
}

/** Chain `dst` to every anon_vma of `src` (split, merge import, fork); 0 or -ENOMEM. */
export function anon_vma_clone(dst: VmAreaStruct, src: VmAreaStruct): number {
  // Oldest first (vma->anon_vma_chain arrays are kept oldest first; the kernel's list is
  // newest first and walked in reverse).
  for (const pavc of [...src.anon_vma_chain]) {
    const avc = anon_vma_chain_alloc(GFP_KERNEL);
    if (!avc) {
      dst.anon_vma = null;
      unlink_anon_vmas(dst);
      return -12;
    }
    const anon_vma = pavc.anon_vma;
    anon_vma_chain_link(dst, avc, anon_vma);
    // At fork, reuse an anon_vma that no VMA and at most one child use any more.
    if (!dst.anon_vma && src.anon_vma && anon_vma !== src.anon_vma && anon_vma.degree < 2) dst.anon_vma = anon_vma;
  }
  if (dst.anon_vma) dst.anon_vma.degree++;
  return 0;
}

/** At fork: chain the child's VMA to the parent's anon_vmas and give it its own; 0 or -ENOMEM. */
export function anon_vma_fork(vma: VmAreaStruct, pvma: VmAreaStruct): number {
  if (!pvma.anon_vma) return 0;
  vma.anon_vma = null;
  if (anon_vma_clone(vma, pvma)) return -12;
  if (vma.anon_vma) return 0;
  const anon_vma = anon_vma_alloc();
  if (!anon_vma) {
    unlink_anon_vmas(vma);
    return -12;
  }
  const avc = anon_vma_chain_alloc(GFP_KERNEL);
  if (!avc) {
    put_anon_vma(anon_vma);
    unlink_anon_vmas(vma);
    return -12;
  }
  anon_vma.root = pvma.anon_vma.root;
  anon_vma.parent = pvma.anon_vma;
  get_anon_vma(anon_vma.root);
  vma.anon_vma = anon_vma;
  anon_vma_chain_link(vma, avc, anon_vma);
  anon_vma.parent.degree++;
  return 0;
}

/** Detach `vma` from all its anon_vmas, freeing those left without chains. */
export function unlink_anon_vmas(vma: VmAreaStruct): void {
  const empty: AnonVmaChain[] = [];
  // Newest first, like a walk of the kernel's same_vma list.
  for (let i = vma.anon_vma_chain.length - 1; i >= 0; i--) {
    const avc = vma.anon_vma_chain[i]!;
    const anon_vma = avc.anon_vma;
    anon_vma.rb_root.delete(avc);
    if (anon_vma.rb_root.size === 0) {
      anon_vma.parent.degree--;
      empty.push(avc);
      continue;
    }
    anon_vma_chain_free(avc);
  }
  if (vma.anon_vma) vma.anon_vma.degree--;
  vma.anon_vma_chain = [];
  for (const avc of empty) {
    put_anon_vma(avc.anon_vma);
    anon_vma_chain_free(avc);
  }
}

/* ---- setting up page->mapping / page->index ---- */

/** Linear page index of `address` in `vma` (linear_page_index). */
export function linear_page_index(vma: VmAreaStruct, address: number): number {
  return (address - vma.vm_start) / PAGE_SIZE + vma.vm_pgoff;
}

/** The anon_vma of an anonymous page (page_anon_vma), or null. */
export function page_anon_vma(page: Page): AnonVma | null {
  const mapping = page.mapping;
  if ((mapping & PAGE_MAPPING_FLAGS) !== PAGE_MAPPING_ANON) return null;
  return anon_vmas.get(mapping - PAGE_MAPPING_ANON);
}

function __page_set_anon_rmap(page: Page, vma: VmAreaStruct, address: number, exclusive: boolean): void {
  let anon_vma = vma.anon_vma;
  if (!anon_vma) BUG('__page_set_anon_rmap: vma without anon_vma');
  if (PageAnon(page)) return;
  // A page not exclusive to this vma must use the oldest possible anon_vma.
  if (!exclusive) anon_vma = anon_vma.root;
  page.mapping = anon_vma.addr + PAGE_MAPPING_ANON;
  page.index = linear_page_index(vma, address);
}

function __page_check_anon_rmap(page: Page, vma: VmAreaStruct, address: number): void {
  const anon_vma = page_anon_vma(page);
  if (!anon_vma || anon_vma.root !== vma.anon_vma?.root) VM_BUG_ON_PAGE(true, page, 'page_add_anon_rmap: foreign anon_vma');
  VM_BUG_ON_PAGE(page.index !== linear_page_index(vma, address), page, 'page_add_anon_rmap: index mismatch');
}

/** Map a newly allocated anonymous page: first mapping, this vma's anon_vma. */
export function page_add_new_anon_rmap(page: Page, vma: VmAreaStruct, address: number, _compound: boolean): void {
  if (address < vma.vm_start || address >= vma.vm_end) BUG('page_add_new_anon_rmap: address outside vma');
  SetPageSwapBacked(page);
  set_page_mapcount_raw(page, 0);
  inc_zone_page_state(page, ZoneStat.NR_ANON_MAPPED);
  __page_set_anon_rmap(page, vma, address, true);
}

/** Map an existing anonymous page (swap-in); the page must be locked. */
export function page_add_anon_rmap(page: Page, vma: VmAreaStruct, address: number, _compound: boolean): void {
  const first = page_mapcount_raw(page) + 1 === 0;
  set_page_mapcount_raw(page, page_mapcount_raw(page) + 1);
  if (first) inc_zone_page_state(page, ZoneStat.NR_ANON_MAPPED);
  VM_BUG_ON_PAGE(!PageLocked(page), page, 'page_add_anon_rmap: page not locked');
  if (first) __page_set_anon_rmap(page, vma, address, false);
  else __page_check_anon_rmap(page, vma, address);
}

/** One more PTE maps the page (fork). */
export function page_dup_rmap(page: Page, _compound: boolean): void {
  set_page_mapcount_raw(page, page_mapcount_raw(page) + 1);
}

/** One PTE less maps the page; page->mapping stays until the page is freed. */
export function page_remove_rmap(page: Page, _compound: boolean): void {
  if (!PageAnon(page)) BUG('page_remove_rmap: file pages are not modelled');
  const v = page_mapcount_raw(page) - 1;
  set_page_mapcount_raw(page, v);
  if (v >= 0) return;
  VM_BUG_ON_PAGE(v < -1, page, 'page_remove_rmap: mapcount underflow');
  dec_zone_page_state(page, ZoneStat.NR_ANON_MAPPED);
}

/** Make `vma`'s anon_vma the page's (the page is exclusively mapped there). */
export function page_move_anon_rmap(page: Page, vma: VmAreaStruct): void {
  const anon_vma = vma.anon_vma;
  if (!anon_vma) BUG('page_move_anon_rmap: vma without anon_vma');
  page.mapping = anon_vma.addr + PAGE_MAPPING_ANON;
}

/* ---- the rmap walk ---- */

/** The user address of `page` in `vma` (vma_address), or -1 if outside it. */
export function vma_address(page: Page, vma: VmAreaStruct): number {
  const address = vma.vm_start + (page.index - vma.vm_pgoff) * PAGE_SIZE;
  return address >= vma.vm_start && address < vma.vm_end ? address : -1;
}

/** page_address_in_vma(): -EFAULT when the page cannot be in `vma`. */
export function page_address_in_vma(page: Page, vma: VmAreaStruct): number {
  const anon_vma = page_anon_vma(page);
  if (!anon_vma || !vma.anon_vma || anon_vma.root !== vma.anon_vma.root) return -14;
  const address = vma_address(page, vma);
  return address < 0 ? -14 : address;
}

/** The chains of `anon_vma` whose VMA covers page offsets [start, last] (interval tree query). */
export function anon_vma_interval_tree_foreach(anon_vma: AnonVma, start: number, last: number): AnonVmaChain[] {
  const out: AnonVmaChain[] = [];
  for (const avc of anon_vma.rb_root) {
    const vma = avc.vma;
    const first = vma.vm_pgoff;
    const end = first + (vma.vm_end - vma.vm_start) / PAGE_SIZE - 1;
    if (first <= last && start <= end) out.push(avc);
  }
  return out;
}

/** struct page_vma_mapped_walk for an order-0 page. */
export interface PageVmaMappedWalk {
  page: Page;
  vma: VmAreaStruct;
  address: number;
  pmd: number;
  /** Pointer to the mapping PTE while the walk is positioned on it (ptl held), else 0. */
  pte: number;
  ptl: number;
}

export function page_vma_mapped_walk_done(pvmw: PageVmaMappedWalk): void {
  if (pvmw.ptl) spin_unlock(pvmw.ptl);
  pvmw.pte = 0;
  pvmw.ptl = 0;
}

/**
 * Position the walk on the PTE mapping pvmw.page at pvmw.address, taking its lock; returns
 * false when there is none. Called again, it releases the lock and returns false.
 */
export function page_vma_mapped_walk(pvmw: PageVmaMappedWalk): boolean {
  if (pvmw.pte) {
    page_vma_mapped_walk_done(pvmw);
    return false;
  }
  const mm = pvmw.vma.vm_mm;
  const p4d = p4d_offset(pgd_offset(mm, pvmw.address), pvmw.address);
  if (p4d_none(read64(p4d)) || p4d_bad(read64(p4d))) return false;
  const pud = pud_offset(p4d, pvmw.address);
  if (pud_none(read64(pud)) || pud_bad(read64(pud))) return false;
  const pmd = pmd_offset(pud, pvmw.address);
  if (pmd_none(read64(pmd)) || pmd_bad(read64(pmd))) return false;
  const pte = pte_offset_map(pmd, pvmw.address);
  const v = read64(pte);
  if (!pte_present(v) || pte_pfn(v) !== page_to_pfn(pvmw.page)) return false;
  pvmw.pmd = pmd;
  pvmw.ptl = pte_lockptr(mm, pmd);
  spin_lock(pvmw.ptl);
  pvmw.pte = pte;
  return true;
}

/** struct rmap_walk_control */
export interface RmapWalkControl {
  /** Called for each VMA that may map the page; return false to stop the walk. */
  rmap_one(page: Page, vma: VmAreaStruct, address: number): boolean;
  /** Stop early when this returns true. */
  done?(page: Page): boolean;
  invalid_vma?(vma: VmAreaStruct): boolean;
}

/** Visit every VMA that may map the anonymous `page` (rmap_walk_anon). */
export function rmap_walk(page: Page, rwc: RmapWalkControl): void {
  const anon_vma = page_anon_vma(page);
  if (!anon_vma) return;
  const pgoff = page.index;
  for (const avc of anon_vma_interval_tree_foreach(anon_vma, pgoff, pgoff)) {
    const vma = avc.vma;
    const address = vma_address(page, vma);
    if (address < 0) continue;
    if (rwc.invalid_vma?.(vma)) continue;
    if (!rwc.rmap_one(page, vma, address)) break;
    if (rwc.done?.(page)) break;
  }
}

/** Every (mm, address) whose PTE maps `page`, for tests and reports. */
export function page_mappings(page: Page): Array<{ mm: MmStruct; address: number; pte: number }> {
  const out: Array<{ mm: MmStruct; address: number; pte: number }> = [];
  if (!page_mapped(page)) return out;
  rmap_walk(page, {
    rmap_one(p, vma, address) {
      const pvmw: PageVmaMappedWalk = { page: p, vma, address, pmd: 0, pte: 0, ptl: 0 };
      while (page_vma_mapped_walk(pvmw)) out.push({ mm: vma.vm_mm, address, pte: pvmw.pte });
      return true;
    },
  });
  return out;
}

/**
 * How many mappings of `page` were referenced (young) since the last check, clearing the
 * accessed bits. vm_flags, if given, receives the union of the referencing VMAs' flags.
 */
export function page_referenced(page: Page, _is_locked: boolean, _memcg: unknown, vm_flags?: { vm_flags: number }): number {
  if (vm_flags) vm_flags.vm_flags = 0;
  let mapcount = page_mapcount(page);
  if (!mapcount) return 0;
  if (!page.mapping) return 0;
  let referenced = 0;
  rmap_walk(page, {
    rmap_one(p, vma, address) {
      const pvmw: PageVmaMappedWalk = { page: p, vma, address, pmd: 0, pte: 0, ptl: 0 };
      while (page_vma_mapped_walk(pvmw)) {
        if (vma.vm_flags & VM_LOCKED) {
          page_vma_mapped_walk_done(pvmw);
          if (vm_flags) vm_flags.vm_flags |= VM_LOCKED;
          referenced++;
          mapcount = 0;
          return false;
        }
        if (ptep_clear_flush_young(vma, address, pvmw.pte)) {
          referenced++;
          if (vm_flags) vm_flags.vm_flags |= vma.vm_flags;
        }
        mapcount--;
      }
      return mapcount > 0;
    },
  });
  return referenced;
}

/* try_to_unmap() flags (enum ttu_flags). */
export const TTU_MIGRATION = 0x1;
export const TTU_MUNLOCK = 0x2;
export const TTU_SPLIT_HUGE_PMD = 0x4;
export const TTU_IGNORE_MLOCK = 0x8;
export const TTU_IGNORE_ACCESS = 0x10;
export const TTU_IGNORE_HWPOISON = 0x20;
export const TTU_BATCH_FLUSH = 0x40;

function try_to_unmap_one(page: Page, vma: VmAreaStruct, address: number, flags: number): boolean {
  const mm = vma.vm_mm;
  let ret = true;
  if ((flags & TTU_MUNLOCK) && !(vma.vm_flags & VM_LOCKED)) return true;
  const pvmw: PageVmaMappedWalk = { page, vma, address, pmd: 0, pte: 0, ptl: 0 };
  while (page_vma_mapped_walk(pvmw)) {
    if (!(flags & TTU_IGNORE_MLOCK) && (vma.vm_flags & VM_LOCKED)) {
      ret = false;
      page_vma_mapped_walk_done(pvmw);
      break;
    }
    if (!(flags & TTU_IGNORE_ACCESS) && ptep_clear_flush_young(vma, address, pvmw.pte)) {
      ret = false;
      page_vma_mapped_walk_done(pvmw);
      break;
    }
    let pteval = ptep_get_and_clear(mm, address, pvmw.pte);
    flush_tlb_page(vma, address);
    if (pte_dirty(pteval) && !PageDirty(page)) SetPageDirty(page);

    if (PageHWPoison(page) && !(flags & TTU_IGNORE_HWPOISON)) {
      pteval = swp_entry_to_pte(make_hwpoison_entry(page));
      dec_mm_counter(mm, mm_counter(page));
      set_pte_at(mm, address, pvmw.pte, pteval);
    } else if (PageAnon(page)) {
      const entry = page.private;
      if (PageSwapBacked(page) !== PageSwapCache(page)) {
        // Not in the swap cache yet: reclaim must add it first.
        ret = false;
        set_pte_at(mm, address, pvmw.pte, pteval);
        page_vma_mapped_walk_done(pvmw);
        break;
      }
      if (!PageSwapBacked(page)) {
        BUG('try_to_unmap_one: lazy-free anonymous pages are not modelled');
      }
      if (swap_duplicate_for_unmap(entry) < 0) {
        set_pte_at(mm, address, pvmw.pte, pteval);
        ret = false;
        page_vma_mapped_walk_done(pvmw);
        break;
      }
      dec_mm_counter(mm, MM_ANONPAGES);
      inc_mm_counter(mm, MM_SWAPENTS);
      set_pte_at(mm, address, pvmw.pte, swp_entry_to_pte(entry));
    } else {
      BUG('try_to_unmap_one: file pages are not modelled');
    }
    page_remove_rmap(page, false);
    put_page(page);
  }
  return ret;
}

/**
 * Unmap `page` from every PTE that maps it (reclaim, memory failure). Anonymous pages must
 * be in the swap cache (page->private holds the swap entry) unless they are hwpoisoned; each
 * PTE becomes a swap (or hwpoison) entry. Returns true when no mapping is left.
 */
export function try_to_unmap(page: Page, flags: number): boolean {
  rmap_walk(page, {
    rmap_one: (p, vma, address) => try_to_unmap_one(p, vma, address, flags),
    done: (p) => !page_mapped(p),
  });
  return !page_mapped(page);
}

function swap_duplicate_for_unmap(entry: number): number {
  const ops = get_swap_ops();
  if (!ops) BUG('try_to_unmap_one: swap-cache page without a swap subsystem');
  return ops.swap_duplicate(entry);
}
