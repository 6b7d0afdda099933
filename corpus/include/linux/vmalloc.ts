/**
 * vmalloc: virtually contiguous kernel memory (include/linux/vmalloc.h).
 *
 * struct vm_struct and struct vmap_area are slab objects with real addresses (a vm_struct from
 * kmalloc, a vmap_area from the "vmap_area" kmem_cache); the fields are kept in the JS objects
 * below, registered under those addresses by mm/vmalloc.ts. The pages array a vm_struct points
 * to is real memory: an array of struct page pointers.
 *
 * This header only defines; mm/vmalloc.ts imports it, so nothing here may use that module at
 * load time (the re-exports at the end are live bindings).
 */
import { PAGE_SIZE, PAGE_SHIFT, VMALLOC_START, VMALLOC_END } from '../../arch/x86/include/asm/page_64_types.ts';
import type { Page } from './mm_types.ts';
import { write64 } from '../../sim/memory.ts';

export { VMALLOC_START, VMALLOC_END };
export const VMALLOC_TOTAL = VMALLOC_END - VMALLOC_START;

/* vm_struct->flags */
export const VM_IOREMAP = 0x00000001;
export const VM_ALLOC = 0x00000002;
export const VM_MAP = 0x00000004;
export const VM_USERMAP = 0x00000008;
export const VM_DMA_COHERENT = 0x00000010;
/** The area is being set up (pages not yet allocated and mapped). */
export const VM_UNINITIALIZED = 0x00000020;
/** No guard page after the area. */
export const VM_NO_GUARD = 0x00000040;
export const VM_KASAN = 0x00000080;
export const VM_FLUSH_RESET_PERMS = 0x00000100;
/** vmap(): the area owns the pages array and the page references (vfree() releases them). */
export const VM_MAP_PUT_PAGES = 0x00000200;

/** ioremap areas are aligned to their size up to this order. */
export const IOREMAP_MAX_ORDER = 7 + PAGE_SHIFT;

/** sizeof(struct vm_struct) and sizeof(struct vmap_area) on x86-64. */
export const VM_STRUCT_SIZE = 64;
export const VMAP_AREA_SIZE = 64;

/**
 * struct vm_struct: one vmalloc/vmap area. `ptr` is the struct's own (kmalloc) address, the
 * value a C pointer to it would hold; `addr` is the start of the mapped range.
 */
export class VmStruct {
  /** Start of the area (a vmalloc address). */
  addr = 0;
  /** Bytes, including the guard page unless VM_NO_GUARD. */
  size = 0;
  flags = 0;
  /** Address of the struct page * array (kmalloc'ed, or vmalloc'ed when above PAGE_SIZE); 0 if none. */
  pages = 0;
  nr_pages = 0;
  phys_addr = 0;
  /** Who asked for the area (the kernel prints the return address with %pS). */
  caller = '';

  constructor(readonly ptr: number) {}
}

/**
 * struct vmap_area: a range [va_start, va_end) of kernel virtual address space, either busy
 * (linked in the busy tree and list, `vm` set) or free (in the free tree and list, augmented
 * with subtree_max_size), or lazily freed (on the purge list). The kernel keeps subtree_max_size,
 * vm and the purge-list link in one union; here they are separate fields.
 */
export class VmapArea {
  va_start = 0;
  va_end = 0;

  /* struct rb_node rb_node: address-sorted red-black tree (busy or free). */
  rb_left: VmapArea | null = null;
  rb_right: VmapArea | null = null;
  rb_parent: VmapArea | null = null;
  rb_red = false;
  /** Not in any tree (RB_EMPTY_NODE). */
  rb_empty = true;

  /* struct list_head list: address-sorted list (busy or free). */
  list_next: VmapArea = this;
  list_prev: VmapArea = this;

  /** In the free tree: the largest free block size in this subtree. */
  subtree_max_size = 0;
  /** In the busy tree: the vm_struct using this range (null for a bare vmap_area). */
  vm: VmStruct | null = null;

  constructor(readonly ptr: number) {}
}

/** Usable size of an area: without its guard page. */
export function get_vm_area_size(area: VmStruct): number {
  if (!(area.flags & VM_NO_GUARD)) return area.size - PAGE_SIZE;
  return area.size;
}

/**
 * area->pages[i] = page: the array holds struct page pointers, so what is stored is the page's
 * own address, whatever describes the page (once its descriptor lives elsewhere, not that).
 */
export function vm_area_set_page(area: VmStruct, i: number, page: Page): void {
  write64(area.pages + i * 8, page.addr);
}

export {
  vmalloc, vzalloc, vfree, __vmalloc, __vmalloc_node, __vmalloc_node_range, vmap, vunmap, vmalloc_to_page,
  vmalloc_to_pfn, is_vmalloc_addr, find_vm_area, get_vm_area, get_vm_area_caller, remove_vm_area, vmalloc_nr_pages,
  vm_unmap_aliases, vmallocinfo, NUMA_NO_NODE,
} from '../../mm/vmalloc.ts';
