/**
 * vmalloc (mm/vmalloc.c, v5.10): virtually contiguous kernel memory built from order-0 pages
 * mapped into init_mm's page tables in the vmalloc range.
 *
 * Kernel virtual address space is handed out by vmap_areas. Busy areas sit in an address-sorted
 * red-black tree and list (vmap_area_root / vmap_area_list); free space is a second tree and list
 * (free_vmap_area_root / free_vmap_area_list) augmented with the largest free block in each
 * subtree, so the lowest-addressed fit is found in O(log n). Freed ranges are unmapped at once
 * but given back to the free tree lazily: they wait on the purge list until lazy_max_pages() of
 * them have piled up (or an allocation fails, or vm_unmap_aliases() is called), then one TLB
 * flush covers them all and they are merged with their free neighbours.
 *
 * Every area has a guard page after it (vm->size includes it, get_vm_area_size() does not).
 * A vm_struct is kmalloc'ed; its pages array is kmalloc'ed when it fits a page and vmalloc'ed
 * otherwise (the nested allocation is bounded: its own array always fits a page).
 *
 * Usage of struct page fields (each backing page of a vmalloc area):
 *   page->private   the owning vm_struct (set when the page is allocated, cleared before it
 *                   is freed)
 *
 * Simplifications: one CPU and one node, so no vmap blocks (vm_map_ram), no per-cpu preload
 * beyond one object, no locking; no huge vmalloc mappings; no KASAN shadow. A vfree() of an
 * address inside an area but not at its start is reported instead of freeing the area.
 */
import { Page, init_mm } from '../include/linux/mm_types.ts';
import { page_to_pfn, pfn_to_page, page_zone } from '../include/linux/mm.ts';
import { ZoneStat, __mod_zone_page_state } from '../include/linux/mmzone.ts';
import {
  GFP_KERNEL, GFP_NOWAIT, __GFP_ZERO, __GFP_NOWARN, __GFP_HIGHMEM, __GFP_DMA32, ___GFP_DMA, __GFP_RECLAIM, __GFP_HIGH, __GFP_IO,
  __GFP_FS, __GFP_RETRY_MAYFAIL, __GFP_NOFAIL, __GFP_NORETRY, __GFP_ATOMIC, format_gfp,
} from '../include/linux/gfp.ts';
import { VM_BUG_ON_PAGE, BUG } from '../include/linux/mmdebug.ts';
import { type KmemCache, kmem_cache_create, kmem_cache_alloc, kmem_cache_free, kmalloc, kzalloc, kfree, SLAB_PANIC } from '../include/linux/slab.ts';
import { alloc_page, __free_pages, contig_page_data } from './page_alloc.ts';
import { PAGE_SIZE, PAGE_SHIFT, VMALLOC_START, VMALLOC_END } from '../arch/x86/include/asm/page_64_types.ts';
import { PUD_SIZE, PMD_SIZE } from '../arch/x86/include/asm/pgtable_64_types.ts';
import {
  type pgprot_t, PAGE_KERNEL, PGTBL_PGD_MODIFIED, PGTBL_P4D_MODIFIED, PGTBL_PUD_MODIFIED, PGTBL_PMD_MODIFIED,
  PGTBL_PTE_MODIFIED, ARCH_PAGE_TABLE_SYNC_MASK,
} from '../arch/x86/include/asm/pgtable_types.ts';
import {
  pgd_offset_k, p4d_offset, pud_offset, pmd_offset, pte_offset_kernel, pgd_addr_end, p4d_addr_end, pud_addr_end,
  pmd_addr_end, pgd_none, pgd_bad, p4d_none, p4d_bad, pud_none, pud_bad, pmd_none, pmd_bad, pud_large, pmd_large,
  pud_pfn, pmd_pfn, pte_none, pte_present, pte_page, mk_pte, set_pte_at, ptep_get_and_clear, pgd_none_or_clear_bad,
  p4d_none_or_clear_bad, pud_none_or_clear_bad, pmd_none_or_clear_bad, flush_tlb_kernel_range,
} from '../arch/x86/include/asm/pgtable.ts';
import { p4d_alloc_track, pud_alloc_track, pmd_alloc_track, pte_alloc_kernel_track, type PgtblModMask, ENOMEM } from './memory.ts';
import { arch_sync_kernel_mappings } from '../arch/x86/mm/init_64.ts';
import { read64, write64 } from '../sim/memory.ts';
import { ObjectRegistry } from '../sim/objects.ts';
import { register_initcall, InitLevel } from '../sim/initcall.ts';
import { register_report } from '../sim/reports.ts';
import { trace_event, tracepoints_enabled } from '../sim/trace.ts';
import { KernelBug, formatKernelAddress } from '../sim/errors.ts';
import {
  VmStruct, VmapArea, VM_ALLOC, VM_IOREMAP, VM_MAP, VM_USERMAP, VM_DMA_COHERENT, VM_UNINITIALIZED, VM_NO_GUARD,
  VM_MAP_PUT_PAGES, IOREMAP_MAX_ORDER, VM_STRUCT_SIZE, VMAP_AREA_SIZE, get_vm_area_size, vm_area_set_page,
} from '../include/linux/vmalloc.ts';

export const NUMA_NO_NODE = -1;

/** GFP_RECLAIM_MASK (mm/internal.h): what nested allocations keep of the caller's gfp. */
const GFP_RECLAIM_MASK = __GFP_RECLAIM | __GFP_HIGH | __GFP_IO | __GFP_FS | __GFP_NOWARN | __GFP_RETRY_MAYFAIL |
  __GFP_NOFAIL | __GFP_NORETRY | __GFP_ATOMIC;

/** The kernel half of the address space the free tree starts with: [1, ULONG_MAX) less the sign bits. */
const KVA_START = 1;
const KVA_END = 2 ** 48 - 1;

/** Lazily freed pages of KVA gathered before one purge: fls(num_online_cpus()) * 32 MiB. */
export function lazy_max_pages(): number {
  return 1 * ((32 * 1024 * 1024) / PAGE_SIZE);
}

/* ---- module state (reset by vmalloc_init at every boot) ---- */

let vmap_area_cachep: KmemCache | null = null;
/** Every live vmap_area and vm_struct, by address. */
const vmap_areas = new ObjectRegistry<VmapArea>('vmap_area');
const vm_structs = new ObjectRegistry<VmStruct>('vm_struct');

class RbRoot {
  rb_node: VmapArea | null = null;
  constructor(readonly augmented: boolean) {}
}

/* Busy areas (vmap_area_root, vmap_area_list) and free space (free_vmap_area_*). */
const vmap_area_root = new RbRoot(false);
const free_vmap_area_root = new RbRoot(true);
/**
 * List heads: sentinel nodes that are never in a tree. Made at init, because this module and
 * include/linux/vmalloc.ts import each other: nothing here may use the header at load time.
 */
let vmap_area_list!: VmapArea;
let free_vmap_area_list!: VmapArea;
/** vmap_purge_list (an llist: LIFO). */
let vmap_purge_list: VmapArea[] = [];
let vmap_lazy_nr = 0;
/** ne_fit_preload_node: one spare vmap_area for splitting a free block in two. */
let ne_fit_preload_node: VmapArea | null = null;
let nr_vmalloc_pages = 0;
let vmap_initialized = false;

function vmalloc_init(): void {
  vmap_areas.clear();
  vm_structs.clear();
  vmap_area_root.rb_node = null;
  free_vmap_area_root.rb_node = null;
  vmap_area_list = new VmapArea(0);
  free_vmap_area_list = new VmapArea(0);
  vmap_purge_list = [];
  vmap_lazy_nr = 0;
  ne_fit_preload_node = null;
  nr_vmalloc_pages = 0;
  vmap_area_cachep = kmem_cache_create('vmap_area', VMAP_AREA_SIZE, 8, SLAB_PANIC);
  vmap_init_free_space();
  vmap_initialized = true;
}

register_initcall(InitLevel.CORE, 'vmalloc_init', vmalloc_init);

/* ---- vmap_area and vm_struct objects ---- */

function va_alloc(gfp: number): VmapArea | null {
  const ptr = kmem_cache_alloc(vmap_area_cachep!, gfp);
  if (!ptr) return null;
  const va = new VmapArea(ptr);
  vmap_areas.register(ptr, va);
  return va;
}

function va_free(va: VmapArea): void {
  vmap_areas.unregister(va.ptr);
  kmem_cache_free(vmap_area_cachep!, va.ptr);
}

function vm_struct_alloc(gfp: number): VmStruct | null {
  const ptr = kzalloc(VM_STRUCT_SIZE, gfp);
  if (!ptr) return null;
  const vm = new VmStruct(ptr);
  vm_structs.register(ptr, vm);
  return vm;
}

function vm_struct_free(vm: VmStruct): void {
  vm_structs.unregister(vm.ptr);
  kfree(vm.ptr);
}

function fmt_ptr(p: number): string {
  return formatKernelAddress(p);
}

function ALIGN(x: number, a: number): number {
  return a === 1 ? x : Math.ceil(x / a) * a;
}

function va_size(va: VmapArea): number {
  return va.va_end - va.va_start;
}

/* ======================================================================================
 * Address-sorted lists and red-black trees of vmap_areas (list.h, lib/rbtree.c and the
 * free tree's augment callbacks). The free tree keeps in every node the largest free block
 * of its subtree (subtree_max_size).
 * ====================================================================================== */

/** Insert `entry` between `prev` and `prev.list_next`. */
function list_add(entry: VmapArea, prev: VmapArea): void {
  const next = prev.list_next;
  entry.list_next = next;
  entry.list_prev = prev;
  next.list_prev = entry;
  prev.list_next = entry;
}

function list_del(entry: VmapArea): void {
  const { list_prev: prev, list_next: next } = entry;
  if (prev.list_next !== entry || next.list_prev !== entry) BUG('vmap_area list corruption');
  prev.list_next = next;
  next.list_prev = prev;
  entry.list_next = entry;
  entry.list_prev = entry;
}

function get_subtree_max_size(node: VmapArea | null): number {
  return node ? node.subtree_max_size : 0;
}

function compute_subtree_max_size(va: VmapArea): number {
  const l = get_subtree_max_size(va.rb_left);
  const r = get_subtree_max_size(va.rb_right);
  const s = va_size(va);
  return s >= l ? (s >= r ? s : r) : (l >= r ? l : r);
}

/** Recompute subtree_max_size from `va` up; stop where nothing changes (the tree is unchanged). */
function augment_tree_propagate_from(va: VmapArea | null): void {
  while (va) {
    const v = compute_subtree_max_size(va);
    if (va.subtree_max_size === v) break;
    va.subtree_max_size = v;
    va = va.rb_parent;
  }
}

/** After a structural change every node on the path to the root must be recomputed. */
function augment_tree_propagate_full(va: VmapArea | null): void {
  for (; va; va = va.rb_parent) va.subtree_max_size = compute_subtree_max_size(va);
}

function rb_change_child(root: RbRoot, old: VmapArea, node: VmapArea | null, parent: VmapArea | null): void {
  if (!parent) root.rb_node = node;
  else if (parent.rb_left === old) parent.rb_left = node;
  else parent.rb_right = node;
}

/** A rotation keeps the subtree: the new top inherits the old top's augmented value. */
function rb_rotate_left(root: RbRoot, x: VmapArea): void {
  const y = x.rb_right!;
  const p = x.rb_parent;
  x.rb_right = y.rb_left;
  if (y.rb_left) y.rb_left.rb_parent = x;
  y.rb_left = x;
  x.rb_parent = y;
  y.rb_parent = p;
  rb_change_child(root, x, y, p);
  if (root.augmented) {
    y.subtree_max_size = x.subtree_max_size;
    x.subtree_max_size = compute_subtree_max_size(x);
  }
}

function rb_rotate_right(root: RbRoot, x: VmapArea): void {
  const y = x.rb_left!;
  const p = x.rb_parent;
  x.rb_left = y.rb_right;
  if (y.rb_right) y.rb_right.rb_parent = x;
  y.rb_right = x;
  x.rb_parent = y;
  y.rb_parent = p;
  rb_change_child(root, x, y, p);
  if (root.augmented) {
    y.subtree_max_size = x.subtree_max_size;
    x.subtree_max_size = compute_subtree_max_size(x);
  }
}

/** Link `node` as the left or right child of `parent` (or as the root), then rebalance. */
function rb_insert(root: RbRoot, node: VmapArea, parent: VmapArea | null, left: boolean): void {
  node.rb_parent = parent;
  node.rb_left = null;
  node.rb_right = null;
  node.rb_red = true;
  node.rb_empty = false;
  if (!parent) root.rb_node = node;
  else if (left) parent.rb_left = node;
  else parent.rb_right = node;
  if (root.augmented) {
    node.subtree_max_size = va_size(node);
    augment_tree_propagate_from(parent);
  }
  let n = node;
  for (;;) {
    let p = n.rb_parent;
    if (!p) {
      n.rb_red = false;
      return;
    }
    if (!p.rb_red) return;
    const g = p.rb_parent!;
    if (p === g.rb_left) {
      const uncle = g.rb_right;
      if (uncle && uncle.rb_red) {
        p.rb_red = false;
        uncle.rb_red = false;
        g.rb_red = true;
        n = g;
        continue;
      }
      if (n === p.rb_right) {
        rb_rotate_left(root, p);
        n = p;
        p = n.rb_parent!;
      }
      p.rb_red = false;
      g.rb_red = true;
      rb_rotate_right(root, g);
      return;
    }
    const uncle = g.rb_left;
    if (uncle && uncle.rb_red) {
      p.rb_red = false;
      uncle.rb_red = false;
      g.rb_red = true;
      n = g;
      continue;
    }
    if (n === p.rb_left) {
      rb_rotate_right(root, p);
      n = p;
      p = n.rb_parent!;
    }
    p.rb_red = false;
    g.rb_red = true;
    rb_rotate_left(root, g);
    return;
  }
}

function rb_erase(root: RbRoot, z: VmapArea): void {
  let x: VmapArea | null;
  let xp: VmapArea | null;
  let removed_red: boolean;
  if (!z.rb_left || !z.rb_right) {
    x = z.rb_left ?? z.rb_right;
    xp = z.rb_parent;
    removed_red = z.rb_red;
    rb_change_child(root, z, x, xp);
    if (x) x.rb_parent = xp;
  } else {
    let y = z.rb_right;
    while (y.rb_left) y = y.rb_left;
    removed_red = y.rb_red;
    x = y.rb_right;
    if (y.rb_parent === z) {
      xp = y;
    } else {
      xp = y.rb_parent!;
      xp.rb_left = x;
      if (x) x.rb_parent = xp;
      y.rb_right = z.rb_right;
      z.rb_right.rb_parent = y;
    }
    rb_change_child(root, z, y, z.rb_parent);
    y.rb_parent = z.rb_parent;
    y.rb_left = z.rb_left;
    z.rb_left.rb_parent = y;
    y.rb_red = z.rb_red;
  }
  z.rb_left = z.rb_right = z.rb_parent = null;
  z.rb_empty = true;
  if (root.augmented) augment_tree_propagate_full(xp);
  if (removed_red) return;
  while (x !== root.rb_node && (!x || !x.rb_red)) {
    const parent = xp!;
    if (x === parent.rb_left) {
      let w = parent.rb_right!;
      if (w.rb_red) {
        w.rb_red = false;
        parent.rb_red = true;
        rb_rotate_left(root, parent);
        w = parent.rb_right!;
      }
      if ((!w.rb_left || !w.rb_left.rb_red) && (!w.rb_right || !w.rb_right.rb_red)) {
        w.rb_red = true;
        x = parent;
        xp = x.rb_parent;
        continue;
      }
      if (!w.rb_right || !w.rb_right.rb_red) {
        w.rb_left!.rb_red = false;
        w.rb_red = true;
        rb_rotate_right(root, w);
        w = parent.rb_right!;
      }
      w.rb_red = parent.rb_red;
      parent.rb_red = false;
      w.rb_right!.rb_red = false;
      rb_rotate_left(root, parent);
    } else {
      let w = parent.rb_left!;
      if (w.rb_red) {
        w.rb_red = false;
        parent.rb_red = true;
        rb_rotate_right(root, parent);
        w = parent.rb_left!;
      }
      if ((!w.rb_left || !w.rb_left.rb_red) && (!w.rb_right || !w.rb_right.rb_red)) {
        w.rb_red = true;
        x = parent;
        xp = x.rb_parent;
        continue;
      }
      if (!w.rb_left || !w.rb_left.rb_red) {
        w.rb_right!.rb_red = false;
        w.rb_red = true;
        rb_rotate_left(root, w);
        w = parent.rb_left!;
      }
      w.rb_red = parent.rb_red;
      parent.rb_red = false;
      w.rb_left!.rb_red = false;
      rb_rotate_right(root, parent);
    }
    x = root.rb_node;
    break;
  }
  if (x) x.rb_red = false;
}

/** Where `va` goes in `root`: its parent and side; an overlap is a bug. */
interface VaLink {
  parent: VmapArea | null;
  left: boolean;
}

function find_va_links(va: VmapArea, root: RbRoot): VaLink {
  let parent: VmapArea | null = null;
  let left = false;
  let n = root.rb_node;
  while (n) {
    parent = n;
    if (va.va_start < n.va_end && va.va_end <= n.va_start) {
      left = true;
      n = n.rb_left;
    } else if (va.va_end > n.va_start && va.va_start >= n.va_end) {
      left = false;
      n = n.rb_right;
    } else {
      BUG(`vmalloc bug: 0x${fmt_ptr(va.va_start)}-0x${fmt_ptr(va.va_end)} overlaps with 0x${fmt_ptr(n.va_start)}-0x${fmt_ptr(n.va_end)}`);
    }
  }
  return { parent, left };
}

/** Link into the tree and into the list next to the parent (address order). */
function link_va(va: VmapArea, root: RbRoot, link: VaLink, head: VmapArea): void {
  const { parent, left } = link;
  if (!parent) list_add(va, head);
  else if (left) list_add(va, parent.list_prev);
  else list_add(va, parent);
  rb_insert(root, va, parent, left);
}

function unlink_va(va: VmapArea, root: RbRoot): void {
  if (va.rb_empty) BUG('unlink_va: vmap_area not in a tree');
  rb_erase(root, va);
  list_del(va);
}

function insert_vmap_area(va: VmapArea, root: RbRoot, head: VmapArea): void {
  link_va(va, root, find_va_links(va, root), head);
}

/** Give a range back to the free tree, merging it with free neighbours; returns the result. */
function merge_or_add_vmap_area(va: VmapArea, root: RbRoot, head: VmapArea): VmapArea {
  const link = find_va_links(va, root);
  let merged = false;
  if (link.parent) {
    // The list entry that would follow va once inserted.
    const next = link.left ? link.parent : link.parent.list_next;
    if (next !== head && next.va_start === va.va_end) {
      next.va_start = va.va_start;
      va_free(va);
      va = next;
      merged = true;
    }
    const prev = next.list_prev;
    if (prev !== head && prev.va_end === va.va_start) {
      // Unlink the merged next area first, then grow the previous one over it.
      if (merged) unlink_va(va, root);
      prev.va_end = va.va_end;
      va_free(va);
      va = prev;
      merged = true;
    }
  }
  if (!merged) link_va(va, root, link, head);
  augment_tree_propagate_from(va);
  return va;
}

/* ======================================================================================
 * The KVA allocator
 * ====================================================================================== */

function is_within_this_va(va: VmapArea, size: number, align: number, vstart: number): boolean {
  const nva_start_addr = va.va_start > vstart ? ALIGN(va.va_start, align) : ALIGN(vstart, align);
  if (nva_start_addr < vstart) return false;
  return nva_start_addr + size <= va.va_end;
}

/** The lowest-addressed free block that can hold `size` bytes aligned to `align` above vstart. */
function find_vmap_lowest_match(size: number, align: number, vstart: number): VmapArea | null {
  // Any block of this length fits whatever its alignment.
  const length = size + align - 1;
  let node = free_vmap_area_root.rb_node;
  while (node) {
    if (get_subtree_max_size(node.rb_left) >= length && vstart < node.va_start) {
      node = node.rb_left!;
      continue;
    }
    if (is_within_this_va(node, size, align, vstart)) return node;
    if (get_subtree_max_size(node.rb_right) >= length) {
      node = node.rb_right!;
      continue;
    }
    // Climb to the first ancestor whose right subtree can satisfy us (vstart cut the descent).
    let up: VmapArea | null = node.rb_parent;
    node = null;
    for (; up; up = up.rb_parent) {
      if (is_within_this_va(up, size, align, vstart)) return up;
      if (get_subtree_max_size(up.rb_right) >= length && vstart <= up.va_start) {
        node = up.rb_right;
        break;
      }
    }
  }
  return null;
}

enum FitType {
  NOTHING_FIT,
  /** The block is used whole. */
  FL_FIT_TYPE,
  /** Taken from the left edge. */
  LE_FIT_TYPE,
  /** Taken from the right edge. */
  RE_FIT_TYPE,
  /** Taken from the middle: the block splits in two. */
  NE_FIT_TYPE,
}

function classify_va_fit_type(va: VmapArea, nva_start_addr: number, size: number): FitType {
  if (nva_start_addr < va.va_start || nva_start_addr + size > va.va_end) return FitType.NOTHING_FIT;
  if (va.va_start === nva_start_addr) {
    return va.va_end === nva_start_addr + size ? FitType.FL_FIT_TYPE : FitType.LE_FIT_TYPE;
  }
  return va.va_end === nva_start_addr + size ? FitType.RE_FIT_TYPE : FitType.NE_FIT_TYPE;
}

function adjust_va_to_fit_type(va: VmapArea, nva_start_addr: number, size: number, type: FitType): number {
  let lva: VmapArea | null = null;
  switch (type) {
    case FitType.FL_FIT_TYPE:
      unlink_va(va, free_vmap_area_root);
      va_free(va);
      return 0;
    case FitType.LE_FIT_TYPE:
      va.va_start += size;
      break;
    case FitType.RE_FIT_TYPE:
      va.va_end = nva_start_addr;
      break;
    case FitType.NE_FIT_TYPE:
      lva = ne_fit_preload_node;
      ne_fit_preload_node = null;
      if (!lva) {
        lva = va_alloc(GFP_NOWAIT);
        if (!lva) return -1;
      }
      // The left remainder becomes a new free block; this one keeps the right remainder.
      lva.va_start = va.va_start;
      lva.va_end = nva_start_addr;
      va.va_start = nva_start_addr + size;
      break;
    default:
      return -1;
  }
  augment_tree_propagate_from(va);
  if (lva) insert_vmap_area(lva, free_vmap_area_root, free_vmap_area_list);
  return 0;
}

/** Carve [addr, addr + size) out of the free tree; returns vend on failure. */
function __alloc_vmap_area(size: number, align: number, vstart: number, vend: number): number {
  const va = find_vmap_lowest_match(size, align, vstart);
  if (!va) return vend;
  const nva_start_addr = va.va_start > vstart ? ALIGN(va.va_start, align) : ALIGN(vstart, align);
  if (nva_start_addr + size > vend) return vend;
  const type = classify_va_fit_type(va, nva_start_addr, size);
  if (type === FitType.NOTHING_FIT) BUG('__alloc_vmap_area: the lowest match does not fit');
  if (adjust_va_to_fit_type(va, nva_start_addr, size, type)) return vend;
  return nva_start_addr;
}

/** Allocate a busy vmap_area of `size` bytes (guard included) in [vstart, vend); null on failure. */
function alloc_vmap_area(size: number, align: number, vstart: number, vend: number, _node: number, gfp_mask: number): VmapArea | null {
  if (!vmap_initialized) BUG('alloc_vmap_area before vmalloc_init');
  if (!size || size % PAGE_SIZE || !(align >= 1 && Number.isInteger(Math.log2(align)))) {
    BUG(`alloc_vmap_area: bad size ${size} or align ${align}`);
  }
  gfp_mask &= GFP_RECLAIM_MASK;
  const va = va_alloc(gfp_mask);
  if (!va) return null;
  let purged = false;
  for (;;) {
    // Preload the spare object for a split while we may still sleep.
    if (!ne_fit_preload_node) ne_fit_preload_node = va_alloc(gfp_mask);
    const addr = __alloc_vmap_area(size, align, vstart, vend);
    if (tracepoints_enabled) {
      trace_event('alloc_vmap_area', `va_start=0x${fmt_ptr(addr)} size=${size} align=${align} vstart=0x${fmt_ptr(vstart)} vend=0x${fmt_ptr(vend)} failed=${addr === vend ? 1 : 0}`);
    }
    if (addr !== vend) {
      va.va_start = addr;
      va.va_end = addr + size;
      va.vm = null;
      insert_vmap_area(va, vmap_area_root, vmap_area_list);
      return va;
    }
    if (purged) break;
    purge_vmap_area_lazy();
    purged = true;
  }
  if (!(gfp_mask & __GFP_NOWARN)) {
    trace_event('pr_warn', `vmap allocation for size ${size} failed: use vmalloc=<size> to increase size`);
  }
  va_free(va);
  return null;
}

/** The busy area containing `addr` (__find_vmap_area). */
function find_vmap_area(addr: number): VmapArea | null {
  let n = vmap_area_root.rb_node;
  while (n) {
    if (addr < n.va_start) n = n.rb_left;
    else if (addr >= n.va_end) n = n.rb_right;
    else return n;
  }
  return null;
}

/* ---- lazy freeing ---- */

function __purge_vmap_area_lazy(start: number, end: number): boolean {
  const valist = vmap_purge_list;
  if (!valist.length) return false;
  vmap_purge_list = [];
  for (const va of valist) {
    if (va.va_start < start) start = va.va_start;
    if (va.va_end > end) end = va.va_end;
  }
  flush_tlb_kernel_range(start, end);
  if (tracepoints_enabled) {
    trace_event('purge_vmap_area_lazy', `start=0x${fmt_ptr(start)} end=0x${fmt_ptr(end)} num_purged=${valist.length}`);
  }
  // llist order: the last one freed comes first.
  for (let i = valist.length - 1; i >= 0; i--) {
    const va = valist[i]!;
    const nr = va_size(va) / PAGE_SIZE;
    merge_or_add_vmap_area(va, free_vmap_area_root, free_vmap_area_list);
    vmap_lazy_nr -= nr;
  }
  return true;
}

function try_purge_vmap_area_lazy(): void {
  __purge_vmap_area_lazy(Number.MAX_SAFE_INTEGER, 0);
}

function purge_vmap_area_lazy(): void {
  __purge_vmap_area_lazy(Number.MAX_SAFE_INTEGER, 0);
}

/** The range is unmapped already: take it off the busy tree and queue it for the free tree. */
function free_vmap_area_noflush(va: VmapArea): void {
  unlink_va(va, vmap_area_root);
  va.vm = null;
  vmap_lazy_nr += va_size(va) / PAGE_SIZE;
  const nr_lazy = vmap_lazy_nr;
  vmap_purge_list.push(va);
  if (tracepoints_enabled) {
    trace_event('free_vmap_area_noflush', `va_start=0x${fmt_ptr(va.va_start)} nr_lazy=${nr_lazy} nr_lazy_max=${lazy_max_pages()}`);
  }
  if (nr_lazy > lazy_max_pages()) try_purge_vmap_area_lazy();
}

function free_unmap_vmap_area(va: VmapArea): void {
  unmap_kernel_range_noflush(va.va_start, va_size(va));
  free_vmap_area_noflush(va);
}

/** Flush every lazily freed area now (one CPU: there are no per-cpu vmap blocks to purge). */
export function vm_unmap_aliases(): void {
  __purge_vmap_area_lazy(Number.MAX_SAFE_INTEGER, 0);
}

/** The whole kernel address space starts out free (no early vm areas on this machine). */
function vmap_init_free_space(): void {
  const free = va_alloc(GFP_KERNEL);
  if (!free) BUG('vmap_init_free_space: out of memory');
  free.va_start = KVA_START;
  free.va_end = KVA_END;
  insert_vmap_area(free, free_vmap_area_root, free_vmap_area_list);
}

/* ======================================================================================
 * Kernel page tables
 * ====================================================================================== */

/** The pgtbl_mod_mask and running page index of one (un)map call; neither call nests. */
const pgtbl_mod_mask: PgtblModMask = { mask: 0 };
const vmap_nr = { n: 0 };

function vmap_pte_range(pmd: number, addr: number, end: number, prot: pgprot_t, pages: number, nr: { n: number }, mask: PgtblModMask): number {
  let pte = pte_alloc_kernel_track(pmd, addr, mask);
  if (!pte) return -ENOMEM;
  do {
    const page = read64(pages + nr.n * 8);
    if (!pte_none(read64(pte))) {
      throw new KernelBug(`WARNING: vmap_pte_range: pte for 0x${fmt_ptr(addr)} is already in use`);
    }
    if (!page) return -ENOMEM;
    set_pte_at(init_mm, addr, pte, mk_pte(new Page(page), prot));
    nr.n++;
    pte += 8;
    addr += PAGE_SIZE;
  } while (addr !== end);
  mask.mask |= PGTBL_PTE_MODIFIED;
  return 0;
}

function vmap_pmd_range(pud: number, addr: number, end: number, prot: pgprot_t, pages: number, nr: { n: number }, mask: PgtblModMask): number {
  let pmd = pmd_alloc_track(init_mm, pud, addr, mask);
  if (!pmd) return -ENOMEM;
  do {
    const next = pmd_addr_end(addr, end);
    if (vmap_pte_range(pmd, addr, next, prot, pages, nr, mask)) return -ENOMEM;
    pmd += 8;
    addr = next;
  } while (addr !== end);
  return 0;
}

function vmap_pud_range(p4d: number, addr: number, end: number, prot: pgprot_t, pages: number, nr: { n: number }, mask: PgtblModMask): number {
  let pud = pud_alloc_track(init_mm, p4d, addr, mask);
  if (!pud) return -ENOMEM;
  do {
    const next = pud_addr_end(addr, end);
    if (vmap_pmd_range(pud, addr, next, prot, pages, nr, mask)) return -ENOMEM;
    pud += 8;
    addr = next;
  } while (addr !== end);
  return 0;
}

function vmap_p4d_range(pgd: number, addr: number, end: number, prot: pgprot_t, pages: number, nr: { n: number }, mask: PgtblModMask): number {
  let p4d = p4d_alloc_track(init_mm, pgd, addr, mask);
  if (!p4d) return -ENOMEM;
  do {
    const next = p4d_addr_end(addr, end);
    if (vmap_pud_range(p4d, addr, next, prot, pages, nr, mask)) return -ENOMEM;
    p4d += 8;
    addr = next;
  } while (addr !== end);
  return 0;
}

/**
 * Map the `pages` array (struct page pointers in memory) at [addr, addr + size) in init_mm,
 * allocating page tables; a new top-level entry is copied into every pgd. 0 or -errno.
 */
function map_kernel_range_noflush(addr: number, size: number, prot: pgprot_t, pages: number): number {
  const start = addr;
  const end = addr + size;
  const mask = pgtbl_mod_mask;
  const nr = vmap_nr;
  mask.mask = 0;
  nr.n = 0;
  let err = 0;
  if (addr >= end) BUG('map_kernel_range_noflush: empty range');
  let pgd = pgd_offset_k(addr);
  do {
    const next = pgd_addr_end(addr, end);
    if (pgd_bad(read64(pgd))) mask.mask |= PGTBL_PGD_MODIFIED;
    err = vmap_p4d_range(pgd, addr, next, prot, pages, nr, mask);
    if (err) break;
    pgd += 8;
    addr = next;
  } while (addr !== end);
  if (mask.mask & ARCH_PAGE_TABLE_SYNC_MASK) arch_sync_kernel_mappings(start, end);
  return err;
}

function map_kernel_range(addr: number, size: number, prot: pgprot_t, pages: number): number {
  return map_kernel_range_noflush(addr, size, prot, pages);
}

function vunmap_pte_range(pmd: number, addr: number, end: number, mask: PgtblModMask): void {
  let pte = pte_offset_kernel(pmd, addr);
  do {
    const ptent = ptep_get_and_clear(init_mm, addr, pte);
    if (!pte_none(ptent) && !pte_present(ptent)) {
      throw new KernelBug(`WARNING: vunmap_pte_range: non-present pte ${ptent.toString(16)} at 0x${fmt_ptr(addr)}`);
    }
    pte += 8;
    addr += PAGE_SIZE;
  } while (addr !== end);
  mask.mask |= PGTBL_PTE_MODIFIED;
}

/* An empty entry is not "bad" (the kernel's pXd_bad() tests for stray flag bits only). */

function vunmap_pmd_range(pud: number, addr: number, end: number, mask: PgtblModMask): void {
  let next: number;
  for (let pmd = pmd_offset(pud, addr); addr !== end; pmd += 8, addr = next) {
    next = pmd_addr_end(addr, end);
    const v = read64(pmd);
    if (!pmd_none(v) && pmd_bad(v)) mask.mask |= PGTBL_PMD_MODIFIED;
    if (pmd_none_or_clear_bad(pmd)) continue;
    vunmap_pte_range(pmd, addr, next, mask);
  }
}

function vunmap_pud_range(p4d: number, addr: number, end: number, mask: PgtblModMask): void {
  let next: number;
  for (let pud = pud_offset(p4d, addr); addr !== end; pud += 8, addr = next) {
    next = pud_addr_end(addr, end);
    const v = read64(pud);
    if (!pud_none(v) && pud_bad(v)) mask.mask |= PGTBL_PUD_MODIFIED;
    if (pud_none_or_clear_bad(pud)) continue;
    vunmap_pmd_range(pud, addr, next, mask);
  }
}

function vunmap_p4d_range(pgd: number, addr: number, end: number, mask: PgtblModMask): void {
  let next: number;
  for (let p4d = p4d_offset(pgd, addr); addr !== end; p4d += 8, addr = next) {
    next = p4d_addr_end(addr, end);
    const v = read64(p4d);
    if (!p4d_none(v) && p4d_bad(v)) mask.mask |= PGTBL_P4D_MODIFIED;
    if (p4d_none_or_clear_bad(p4d)) continue;
    vunmap_pud_range(p4d, addr, next, mask);
  }
}

/** Clear the PTEs of [addr, addr + size); the page tables stay. The TLB flush is the caller's. */
function unmap_kernel_range_noflush(addr: number, size: number): void {
  const start = addr;
  const end = addr + size;
  const mask = pgtbl_mod_mask;
  mask.mask = 0;
  if (addr >= end) BUG('unmap_kernel_range_noflush: empty range');
  let next: number;
  for (let pgd = pgd_offset_k(addr); addr !== end; pgd += 8, addr = next) {
    next = pgd_addr_end(addr, end);
    if (pgd_bad(read64(pgd))) mask.mask |= PGTBL_PGD_MODIFIED;
    if (pgd_none_or_clear_bad(pgd)) continue;
    vunmap_p4d_range(pgd, addr, next, mask);
  }
  if (mask.mask & ARCH_PAGE_TABLE_SYNC_MASK) arch_sync_kernel_mappings(start, end);
}

/** The page mapped at a kernel virtual address, by walking init_mm's page tables; null if none. */
export function vmalloc_to_page(vmalloc_addr: number): Page | null {
  const addr = vmalloc_addr;
  const pgd = pgd_offset_k(addr);
  if (pgd_none(read64(pgd))) return null;
  const p4d = p4d_offset(pgd, addr);
  const p4dv = read64(p4d);
  if (p4d_none(p4dv) || p4d_bad(p4dv)) return null;
  const pud = pud_offset(p4d, addr);
  const pudv = read64(pud);
  if (pud_none(pudv)) return null;
  if (pud_large(pudv)) return pfn_to_page(pud_pfn(pudv) + Math.floor((addr % PUD_SIZE) / PAGE_SIZE));
  if (pud_bad(pudv)) return null;
  const pmd = pmd_offset(pud, addr);
  const pmdv = read64(pmd);
  if (pmd_none(pmdv)) return null;
  if (pmd_large(pmdv)) return pfn_to_page(pmd_pfn(pmdv) + Math.floor((addr % PMD_SIZE) / PAGE_SIZE));
  if (pmd_bad(pmdv)) return null;
  const pte = read64(pte_offset_kernel(pmd, addr));
  return pte_present(pte) ? pte_page(pte) : null;
}

/** The pfn mapped at a kernel virtual address; -1 when nothing is mapped there. */
export function vmalloc_to_pfn(vmalloc_addr: number): number {
  const page = vmalloc_to_page(vmalloc_addr);
  return page ? page_to_pfn(page) : -1;
}

export function is_vmalloc_addr(x: number): boolean {
  return x >= VMALLOC_START && x < VMALLOC_END;
}

/* ======================================================================================
 * vm_structs
 * ====================================================================================== */

function setup_vmalloc_vm(vm: VmStruct, va: VmapArea, flags: number, caller: string): void {
  vm.flags = flags;
  vm.addr = va.va_start;
  vm.size = va_size(va);
  vm.caller = caller;
  va.vm = vm;
}

function get_count_order_long(size: number): number {
  return Math.ceil(Math.log2(size));
}

function __get_vm_area_node(
  size: number, align: number, flags: number, start: number, end: number, node: number, gfp_mask: number, caller: string,
): VmStruct | null {
  size = ALIGN(size, PAGE_SIZE);
  if (!size) return null;
  if (flags & VM_IOREMAP) align = 2 ** Math.min(Math.max(get_count_order_long(size), PAGE_SHIFT), IOREMAP_MAX_ORDER);
  const area = vm_struct_alloc(gfp_mask & GFP_RECLAIM_MASK);
  if (!area) return null;
  if (!(flags & VM_NO_GUARD)) size += PAGE_SIZE;
  const va = alloc_vmap_area(size, align, start, end, node, gfp_mask);
  if (!va) {
    vm_struct_free(area);
    return null;
  }
  setup_vmalloc_vm(area, va, flags, caller);
  return area;
}

/** Reserve an area of kernel virtual space (nothing mapped). */
export function get_vm_area_caller(size: number, flags: number, caller: string): VmStruct | null {
  return __get_vm_area_node(size, 1, flags, VMALLOC_START, VMALLOC_END, NUMA_NO_NODE, GFP_KERNEL, caller);
}

export function get_vm_area(size: number, flags: number): VmStruct | null {
  return get_vm_area_caller(size, flags, 'get_vm_area');
}

/** The vm_struct of the area containing `addr`, or null. */
export function find_vm_area(addr: number): VmStruct | null {
  const va = find_vmap_area(addr);
  return va ? va.vm : null;
}

/** Unmap an area and release its address range; the vm_struct is returned for the caller to free. */
export function remove_vm_area(addr: number): VmStruct | null {
  const va = find_vmap_area(addr);
  if (va && va.vm) {
    const vm = va.vm;
    va.vm = null;
    free_unmap_vmap_area(va);
    return vm;
  }
  return null;
}

/* ======================================================================================
 * vmalloc / vfree
 * ====================================================================================== */

function warn_alloc(gfp_mask: number, msg: string): void {
  if (gfp_mask & __GFP_NOWARN) return;
  trace_event('warn_alloc', `${msg}, mode:0x${gfp_mask.toString(16)}(${format_gfp(gfp_mask)})`);
}

function kvfree(addr: number): void {
  if (is_vmalloc_addr(addr)) vfree(addr);
  else kfree(addr);
}

function __vunmap(addr: number, deallocate_pages: boolean): void {
  if (!addr) return;
  if (addr % PAGE_SIZE) throw new KernelBug(`WARNING: Trying to vfree() bad address (${fmt_ptr(addr)})`);
  const area = find_vm_area(addr);
  if (!area) throw new KernelBug(`WARNING: Trying to vfree() nonexistent vm area (${fmt_ptr(addr)})`);
  if (area.addr !== addr) {
    throw new KernelBug(`WARNING: Trying to vfree() bad address (${fmt_ptr(addr)}) inside the area at ${fmt_ptr(area.addr)}`);
  }
  remove_vm_area(addr);
  if (deallocate_pages) {
    const own = !(area.flags & VM_MAP_PUT_PAGES);
    for (let i = 0; i < area.nr_pages; i++) {
      const ptr = read64(area.pages + i * 8);
      if (!ptr) BUG(`__vunmap: no page ${i} in the area at ${fmt_ptr(addr)}`);
      const page = new Page(ptr);
      if (!own) {
        // vmap()ed with VM_MAP_PUT_PAGES: the caller's pages, handed over with the array.
        __free_pages(page, 0);
        continue;
      }
      VM_BUG_ON_PAGE(page.private !== area.ptr, page, 'vmalloc page not owned by its vm_struct');
      page.private = 0;
      __mod_zone_page_state(page_zone(page), ZoneStat.NR_VMALLOC, -1);
      __free_pages(page, 0);
    }
    if (own) nr_vmalloc_pages -= area.nr_pages;
    if (area.pages) kvfree(area.pages);
  }
  vm_struct_free(area);
}

/** Release memory from vmalloc() (and its address range); vfree(0) does nothing. */
export function vfree(addr: number): void {
  if (!addr) return;
  __vunmap(addr, true);
}

/** Remove a vmap() mapping; the pages are the caller's. */
export function vunmap(addr: number): void {
  if (!addr) return;
  __vunmap(addr, false);
}

/**
 * Map `count` pages (an array of struct page pointers at `pages`) contiguously. With
 * VM_MAP_PUT_PAGES the area takes over the array and the pages: vfree() releases them.
 */
export function vmap(pages: number, count: number, flags: number, prot: pgprot_t = PAGE_KERNEL, caller = 'vmap'): number {
  if (count > contig_page_data.totalram_pages) return 0;
  const size = count * PAGE_SIZE;
  const area = get_vm_area_caller(size, flags, caller);
  if (!area) return 0;
  if (map_kernel_range(area.addr, size, prot, pages) < 0) {
    vunmap(area.addr);
    return 0;
  }
  if (flags & VM_MAP_PUT_PAGES) {
    area.pages = pages;
    area.nr_pages = count;
  }
  return area.addr;
}

/** Allocate the pages array and the pages of `area` and map them; the address or 0. */
function __vmalloc_area_node(area: VmStruct, gfp_mask: number, prot: pgprot_t, node: number): number {
  const nested_gfp = (gfp_mask & GFP_RECLAIM_MASK) | __GFP_ZERO;
  const nr_pages = get_vm_area_size(area) / PAGE_SIZE;
  const array_size = nr_pages * 8;
  const orig_gfp_mask = gfp_mask;
  gfp_mask |= __GFP_NOWARN;
  if (!(gfp_mask & (___GFP_DMA | __GFP_DMA32))) gfp_mask |= __GFP_HIGHMEM;

  // The recursion is bounded: a nested array of more than a page would need 2^18 pages.
  const pages = array_size > PAGE_SIZE
    ? __vmalloc_node(array_size, 1, nested_gfp, node, area.caller)
    : kmalloc(array_size, nested_gfp);
  if (!pages) {
    remove_vm_area(area.addr);
    vm_struct_free(area);
    return 0;
  }
  area.pages = pages;
  area.nr_pages = nr_pages;

  for (let i = 0; i < nr_pages; i++) {
    const page = alloc_page(gfp_mask);
    if (!page) {
      // The pages allocated so far are freed by __vunmap().
      area.nr_pages = i;
      nr_vmalloc_pages += i;
      return vmalloc_area_fail(area, orig_gfp_mask);
    }
    vm_area_set_page(area, i, page);
    page.private = area.ptr;
    __mod_zone_page_state(page_zone(page), ZoneStat.NR_VMALLOC, 1);
  }
  nr_vmalloc_pages += nr_pages;

  if (map_kernel_range(area.addr, get_vm_area_size(area), prot, pages) < 0) return vmalloc_area_fail(area, orig_gfp_mask);
  return area.addr;
}

function vmalloc_area_fail(area: VmStruct, gfp_mask: number): number {
  warn_alloc(gfp_mask, `vmalloc: allocation failure, allocated ${area.nr_pages * PAGE_SIZE} of ${area.size} bytes`);
  __vunmap(area.addr, true);
  return 0;
}

/** Allocate virtually contiguous memory in [start, end) mapped with `prot`; its address or 0. */
export function __vmalloc_node_range(
  size: number, align: number, start: number, end: number, gfp_mask: number, prot: pgprot_t, vm_flags: number,
  node: number, caller: string,
): number {
  const real_size = size;
  size = ALIGN(size, PAGE_SIZE);
  if (size <= 0 || size / PAGE_SIZE > contig_page_data.totalram_pages) {
    warn_alloc(gfp_mask, `vmalloc: allocation failure: ${real_size} bytes`);
    return 0;
  }
  const area = __get_vm_area_node(size, align, VM_ALLOC | VM_UNINITIALIZED | vm_flags, start, end, node, gfp_mask, caller);
  if (!area) {
    warn_alloc(gfp_mask, `vmalloc: allocation failure: ${real_size} bytes`);
    return 0;
  }
  const addr = __vmalloc_area_node(area, gfp_mask, prot, node);
  if (!addr) return 0;
  // The area is fully set up: /proc/vmallocinfo may count its pages.
  area.flags &= ~VM_UNINITIALIZED;
  return addr;
}

export function __vmalloc_node(size: number, align: number, gfp_mask: number, node: number, caller = '__vmalloc_node'): number {
  return __vmalloc_node_range(size, align, VMALLOC_START, VMALLOC_END, gfp_mask, PAGE_KERNEL, 0, node, caller);
}

export function __vmalloc(size: number, gfp_mask: number, caller = '__vmalloc'): number {
  return __vmalloc_node(size, 1, gfp_mask, NUMA_NO_NODE, caller);
}

/** Allocate `size` bytes of virtually contiguous memory; its address or 0. */
export function vmalloc(size: number, caller = 'vmalloc'): number {
  return __vmalloc_node(size, 1, GFP_KERNEL, NUMA_NO_NODE, caller);
}

/** vmalloc() with the memory zeroed. */
export function vzalloc(size: number, caller = 'vzalloc'): number {
  return __vmalloc_node(size, 1, GFP_KERNEL | __GFP_ZERO, NUMA_NO_NODE, caller);
}

/** Pages allocated by vmalloc and not yet freed. */
export function vmalloc_nr_pages(): number {
  return nr_vmalloc_pages;
}

/* ======================================================================================
 * /proc/vmallocinfo
 * ====================================================================================== */

function s_show(va: VmapArea): string {
  const v = va.vm;
  if (!v) return `0x${fmt_ptr(va.va_start)}-0x${fmt_ptr(va.va_end)} ${String(va_size(va)).padStart(7)} vm_map_ram`;
  let line = `0x${fmt_ptr(v.addr)}-0x${fmt_ptr(v.addr + v.size)} ${String(v.size).padStart(7)}`;
  if (v.caller) line += ` ${v.caller}`;
  if (v.nr_pages) line += ` pages=${v.nr_pages}`;
  if (v.phys_addr) line += ` phys=0x${v.phys_addr.toString(16).padStart(16, '0')}`;
  if (v.flags & VM_IOREMAP) line += ' ioremap';
  if (v.flags & VM_ALLOC) line += ' vmalloc';
  if (v.flags & VM_MAP) line += ' vmap';
  if (v.flags & VM_USERMAP) line += ' user';
  if (v.flags & VM_DMA_COHERENT) line += ' dma-coherent';
  if (is_vmalloc_addr(v.pages)) line += ' vpages';
  // show_numa_info(): pages per node, read back from the pages array.
  if (v.nr_pages && !(v.flags & VM_UNINITIALIZED)) line += ` N0=${v.nr_pages}`;
  return line;
}

/** The text of /proc/vmallocinfo: every busy area in address order. */
export function vmallocinfo(): string {
  const lines: string[] = [];
  for (let va = vmap_area_list.list_next; va !== vmap_area_list; va = va.list_next) lines.push(s_show(va));
  return lines.join('\n');
}

register_report({ name: 'vmallocinfo', title: '/proc/vmallocinfo', text: vmallocinfo });

/**
 * The vm_struct a page backs, if any (for memory failure: vmalloc pages carry no page type).
 * Membership is established from vmalloc's own records, the pages arrays of the busy areas;
 * only then is the page's owner word trusted (for the pages vmalloc allocated itself), and a
 * mismatch is a bug.
 */
export function find_vm_area_of_page(page: Page): VmStruct | null {
  for (let va = vmap_area_list.list_next; va !== vmap_area_list; va = va.list_next) {
    const v = va.vm;
    if (!v || !v.pages) continue;
    for (let i = 0; i < v.nr_pages; i++) {
      if (read64(v.pages + i * 8) !== page.addr) continue;
      // vmap()ed pages stay their owner's: only pages vmalloc allocated carry the back pointer.
      if (v.flags & VM_MAP_PUT_PAGES) return v;
      if (page.private !== v.ptr) BUG(`vmalloc page of ${v.caller} does not point back at its vm_struct`);
      return v;
    }
  }
  return null;
}

/* ======================================================================================
 * Self-check for tests: tree and list invariants, and the address space adds up.
 * ====================================================================================== */

export interface VmapStats {
  busy: number;
  free: number;
  lazy: number;
  lazy_pages: number;
}

function check_tree(root: RbRoot, head: VmapArea, what: string): number {
  const inorder: VmapArea[] = [];
  const walk = (n: VmapArea | null, parent: VmapArea | null): number => {
    if (!n) return 1;
    if (n.rb_parent !== parent) BUG(`${what}: bad parent link`);
    if (n.rb_red && parent && parent.rb_red) BUG(`${what}: red node with a red parent`);
    const lh = walk(n.rb_left, n);
    inorder.push(n);
    const rh = walk(n.rb_right, n);
    if (lh !== rh) BUG(`${what}: unequal black heights`);
    if (root.augmented && n.subtree_max_size !== compute_subtree_max_size(n)) BUG(`${what}: stale subtree_max_size`);
    return lh + (n.rb_red ? 0 : 1);
  };
  if (root.rb_node && root.rb_node.rb_red) BUG(`${what}: red root`);
  walk(root.rb_node, null);
  let i = 0;
  for (let va = head.list_next; va !== head; va = va.list_next, i++) {
    if (inorder[i] !== va) BUG(`${what}: list and tree disagree at entry ${i}`);
    if (va.va_start >= va.va_end) BUG(`${what}: empty area`);
    if (i > 0 && inorder[i - 1]!.va_end > va.va_start) BUG(`${what}: areas overlap or are unsorted`);
    if (root.augmented && i > 0 && inorder[i - 1]!.va_end === va.va_start) BUG(`${what}: adjacent free areas not merged`);
  }
  if (i !== inorder.length) BUG(`${what}: list is shorter than the tree`);
  return i;
}

/** Check the busy and free trees; every byte of the KVA space is busy, free or waiting to be purged. */
export function vmalloc_debug_check(): VmapStats {
  const busy = check_tree(vmap_area_root, vmap_area_list, 'vmap_area_root');
  const free = check_tree(free_vmap_area_root, free_vmap_area_list, 'free_vmap_area_root');
  let total = 0;
  let with_vm = 0;
  for (let va = vmap_area_list.list_next; va !== vmap_area_list; va = va.list_next) {
    total += va_size(va);
    if (va.vm) {
      with_vm++;
      if (vm_structs.get(va.vm.ptr) !== va.vm || va.vm.addr !== va.va_start) BUG('vmalloc: busy area and vm_struct disagree');
    }
  }
  if (with_vm !== vm_structs.size) BUG(`vmalloc: ${vm_structs.size} vm_structs but ${with_vm} busy areas use one`);
  for (let va = free_vmap_area_list.list_next; va !== free_vmap_area_list; va = va.list_next) total += va_size(va);
  let lazy_pages = 0;
  for (const va of vmap_purge_list) lazy_pages += va_size(va) / PAGE_SIZE;
  total += lazy_pages * PAGE_SIZE;
  if (total !== KVA_END - KVA_START) BUG(`vmalloc: busy + free + lazy = ${total}, expected ${KVA_END - KVA_START}`);
  if (lazy_pages !== vmap_lazy_nr) BUG(`vmalloc: vmap_lazy_nr ${vmap_lazy_nr} but ${lazy_pages} pages wait for a purge`);
  const objects = busy + free + vmap_purge_list.length + (ne_fit_preload_node ? 1 : 0);
  if (objects !== vmap_areas.size) BUG(`vmalloc: ${vmap_areas.size} vmap_area objects but ${objects} in use`);
  return { busy, free, lazy: vmap_purge_list.length, lazy_pages };
}
