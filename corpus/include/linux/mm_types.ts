/**
 * struct page (include/linux/mm_types.h), v5.10 era: one 64-byte descriptor per page frame,
 * whose five-word union is shared by every subsystem under the generic names lru, mapping,
 * index and private. Page is a view: it holds only the struct's vmemmap address, and every
 * field reads or writes the memmap words. Word offsets live here and nowhere else.
 *
 *   w0     flags (PG_* bits in the low half; zone id in the top bits)
 *   w1-w2  lru (w1 doubles as compound_head, bit 0 set on tail pages)
 *   w3     mapping
 *   w4     index
 *   w5     private
 *   w6     low: _mapcount / page_type; high: _refcount
 *   w7     memcg_data
 *
 * The memdesc word (stage 2, include/linux/memdesc.ts) overlays w1: the word the memdesc plan
 * turns into the pointer to a page's separately allocated descriptor (compound_head, later
 * compound_info, is the one word every page keeps). It holds the descriptor's address | type
 * tag (low 4 bits), on every page of a memdesc allocation. Why w1 and not another word:
 *  - a page read as a descriptor needs one word that all its pages share, and w1 is the word
 *    compound_head() already reads on every page, so tail pages of a memdesc allocation find
 *    their descriptor the way compound tails find their head;
 *  - it is the word page->lru.next writes (the RFC's crash, 000_*): a stale list use is then a
 *    clobbered memdesc the debug checks catch, instead of silent corruption of another word;
 *  - tails stay distinguishable: a tail's w1 is its head's struct page address | 1, a vmemmap
 *    address, while a memdesc word points into the direct map (descriptors are slab objects),
 *    so page_word_is_tail() tells them apart even for odd tags (slab 5, anon 3). A pfn
 *    scanner that reads compound_head() of a memdesc page (002_*'s worry) gets the page
 *    itself, order 0, and steps over it one page at a time.
 * Buddy pages keep their data in struct page (lru, order in private; plan §5.1): a free page's
 * w1 is its free-list link, never a memdesc word. Pages that carry a memdesc word are marked by
 * PAGE_MEMDESC_FLAG in the high half of w0 (beside the zone bits), so generic code (dump_page,
 * the allocator's free checks) can tell a memdesc word from a stage-1 w1.
 */
import { read32, read32s, read64, write32, write64 } from '../../sim/memory.ts';
import { VMEMMAP_START } from '../../arch/x86/include/asm/page_64_types.ts';
import { KernelBug } from '../../sim/errors.ts';
import { ListHead } from './list.ts';

export const STRUCT_PAGE_SIZE = 64;
export const STRUCT_PAGE_SHIFT = 6;

/** Byte offsets of struct page's words. */
export const PAGE_FLAGS_OFFSET = 0;
export const PAGE_LRU_OFFSET = 8;
export const PAGE_COMPOUND_HEAD_OFFSET = 8;
export const PAGE_MAPPING_OFFSET = 24;
export const PAGE_INDEX_OFFSET = 32;
export const PAGE_PRIVATE_OFFSET = 40;
export const PAGE_TYPE_OFFSET = 48;
export const PAGE_REFCOUNT_OFFSET = 52;
export const PAGE_MEMCG_OFFSET = 56;
/** The memdesc word (stage 2): w1, shared with compound_head and lru.next (see the header). */
export const PAGE_MEMDESC_OFFSET = 8;
/** Bit of page->flags (high half, below the zone bits 62-63) set on pages that carry a memdesc word. */
export const PAGE_MEMDESC_FLAG_SHIFT = 61;

/**
 * Is this w1 value a compound tail's link (head struct page | 1)? Heads live in the vmemmap;
 * memdesc words (direct-map descriptor | tag) lie below it, so an odd tag is not a tail.
 */
export function page_word_is_tail(w1: number): boolean {
  return (w1 & 1) !== 0 && w1 > VMEMMAP_START;
}

export class Page {
  constructor(readonly addr: number) {}

  /** offsetof(struct page, member) for the embedded list_heads (container_of). */
  static readonly OFFSETOF = { lru: PAGE_LRU_OFFSET } as const;

  /**
   * The words generic code checks and prints on a page that carries no memdesc word (the free
   * and allocation checks, dump_page()), by name, each 0 from boot (__init_single_page()) until
   * an owner stores something. Generic code goes through page_own_word() and
   * page_reset_own_word() (which only put the boot value back), never the member, so it asks the
   * layout rather than naming a word: once no owner names one any more (every kind that kept
   * data there has its own descriptor), nothing can have stored anything but 0 there, shrink drops
   * the word and its entry, and the checks and the dump skip it (docs/stage2.md, Shrink).
   */
  static readonly OWN_WORDS = {
    mapping: PAGE_MAPPING_OFFSET,
    index: PAGE_INDEX_OFFSET,
    private: PAGE_PRIVATE_OFFSET,
    memcg_data: PAGE_MEMCG_OFFSET,
  } as const;

  /**
   * The counts generic code keeps on a page whose memdesc word gives them no home (no word, or a
   * word whose descriptor has no counts), by name: _refcount, and _mapcount with page_type (the
   * same 32 bits). Generic code asks page_own_count() and page_set_own_count() (include/linux/mm.ts,
   * page-flags.ts, mmdebug.ts), never the members, so it asks the layout rather than naming the
   * word: once no owner names one any more, shrink drops the word with its entries, and the
   * counts of such pages are answered from the page's state (page_frozen_refcount(), mm.ts), every
   * write checked against that answer (docs/stage2.md, Shrink).
   */
  static readonly OWN_COUNTS = {
    _refcount: PAGE_REFCOUNT_OFFSET,
    _mapcount: PAGE_TYPE_OFFSET,
    page_type: PAGE_TYPE_OFFSET,
  } as const;

  /** PG_* bits (the low half of w0); the zone id sits in the high half, see page_zonenum(). */
  get flags(): number {
    return read32(this.addr + PAGE_FLAGS_OFFSET);
  }
  set flags(v: number) {
    write32(this.addr + PAGE_FLAGS_OFFSET, v >>> 0);
  }

  /** The list_head embedded at w1-w2. */
  get lru(): ListHead {
    return new ListHead(this.addr + PAGE_LRU_OFFSET);
  }

  /** Tail pages: head page address | 1 (the same word as lru.next). */
  get compound_head(): number {
    return read64(this.addr + PAGE_COMPOUND_HEAD_OFFSET);
  }
  set compound_head(v: number) {
    write64(this.addr + PAGE_COMPOUND_HEAD_OFFSET, v);
  }

  /**
   * The memdesc word (stage 2): descriptor address | type tag, on every page of a memdesc
   * allocation; meaningful only while PAGE_MEMDESC_FLAG is set (include/linux/memdesc.ts).
   */
  get memdesc(): number {
    return read64(this.addr + PAGE_MEMDESC_OFFSET);
  }
  set memdesc(v: number) {
    write64(this.addr + PAGE_MEMDESC_OFFSET, v);
  }

  /** First tail page only: compound_dtor (byte 0 of w2), compound_order (byte 1 of w2). */
  get compound_dtor(): number {
    return read32(this.addr + 16) & 0xff;
  }
  set compound_dtor(v: number) {
    write32(this.addr + 16, (read32(this.addr + 16) & ~0xff) | (v & 0xff));
  }
  get compound_order(): number {
    return (read32(this.addr + 16) >>> 8) & 0xff;
  }
  set compound_order(v: number) {
    write32(this.addr + 16, (read32(this.addr + 16) & ~0xff00) | ((v & 0xff) << 8));
  }
  /** First tail page only: compound_mapcount (high half of w2). */
  get compound_mapcount(): number {
    return read32s(this.addr + 20);
  }
  set compound_mapcount(v: number) {
    write32(this.addr + 20, v);
  }

  get mapping(): number {
    return read64(this.addr + PAGE_MAPPING_OFFSET);
  }
  set mapping(v: number) {
    write64(this.addr + PAGE_MAPPING_OFFSET, v);
  }

  get index(): number {
    return read64(this.addr + PAGE_INDEX_OFFSET);
  }
  set index(v: number) {
    write64(this.addr + PAGE_INDEX_OFFSET, v);
  }

  get private(): number {
    return read64(this.addr + PAGE_PRIVATE_OFFSET);
  }
  set private(v: number) {
    write64(this.addr + PAGE_PRIVATE_OFFSET, v);
  }

  /** Low half of w6 read as a signed count: -1 when the page is not mapped. */
  get _mapcount(): number {
    return read32s(this.addr + PAGE_TYPE_OFFSET);
  }
  set _mapcount(v: number) {
    write32(this.addr + PAGE_TYPE_OFFSET, v);
  }

  /** Low half of w6 read as a type: PGTY_* in the top byte, owner data in the low 24 bits. */
  get page_type(): number {
    return read32(this.addr + PAGE_TYPE_OFFSET);
  }
  set page_type(v: number) {
    write32(this.addr + PAGE_TYPE_OFFSET, v >>> 0);
  }

  get _refcount(): number {
    return read32s(this.addr + PAGE_REFCOUNT_OFFSET);
  }
  set _refcount(v: number) {
    write32(this.addr + PAGE_REFCOUNT_OFFSET, v);
  }

  get memcg_data(): number {
    return read64(this.addr + PAGE_MEMCG_OFFSET);
  }
  set memcg_data(v: number) {
    write64(this.addr + PAGE_MEMCG_OFFSET, v);
  }
}

/** The offset of an own word (Page.OWN_WORDS) of a page without a memdesc word; undefined when struct page has none. */
function own_word_offset(page: Page, name: string): number | undefined {
  // The memdesc mark (PAGE_MEMDESC_FLAG, memdesc.ts): such a page's fields are its descriptor's.
  if (read32(page.addr + PAGE_FLAGS_OFFSET + 4) & (1 << (PAGE_MEMDESC_FLAG_SHIFT - 32))) {
    throw new KernelBug(`kernel BUG: page_own_word(${name}) of a page that carries a memdesc word`);
  }
  const table: Readonly<Record<string, number>> = Page.OWN_WORDS;
  return Object.hasOwn(table, name) ? table[name] : undefined;
}

/** page->name of a page that carries no memdesc word: the word, or 0 (its boot value) when struct page has none. */
export function page_own_word(page: Page, name: string): number {
  const off = own_word_offset(page, name);
  return off === undefined ? 0 : read64(page.addr + off);
}

/** Put an own word back to its boot value (0); nothing to do when struct page has none. */
export function page_reset_own_word(page: Page, name: string): void {
  const off = own_word_offset(page, name);
  if (off !== undefined) write64(page.addr + off, 0);
}

/**
 * A page's own count by name (Page.OWN_COUNTS: `_refcount`, `_mapcount`, `page_type`), as the
 * 32 bits struct page keeps for it (signed; page_type callers take `>>> 0`); undefined when
 * struct page keeps none (the caller answers from the page's state).
 */
export function page_own_count(page: Page, name: string): number | undefined {
  const table: Readonly<Record<string, number>> = Page.OWN_COUNTS;
  return Object.hasOwn(table, name) ? read32s(page.addr + table[name]!) : undefined;
}

/** Store a page's own count; false when struct page keeps none (nothing stored). */
export function page_set_own_count(page: Page, name: string, v: number): boolean {
  const table: Readonly<Record<string, number>> = Page.OWN_COUNTS;
  if (!Object.hasOwn(table, name)) return false;
  write32(page.addr + table[name]!, v >>> 0);
  return true;
}

/** page[n]: the struct page n entries after this one in the memmap. */
export function nth_page(page: Page, n: number): Page {
  return new Page(page.addr + n * STRUCT_PAGE_SIZE);
}

/* ======================================================================================
 * Address spaces: mm_struct, vm_area_struct, anon_vma (mm_types.h, rmap.h).
 * Owned by the page-table / process code (arch/x86/mm, mm/memory.ts, mm/mmap.ts,
 * mm/rmap.ts, kernel/fork.ts). Each object has a real address in simulated memory
 * (slab-allocated; init_mm is static data); the fields below live on the JS side and are
 * found from that address through the owners' ObjectRegistry.
 * ====================================================================================== */

/** vm_flags (include/linux/mm.h). */
export const VM_NONE = 0x00000000;
export const VM_READ = 0x00000001;
export const VM_WRITE = 0x00000002;
export const VM_EXEC = 0x00000004;
export const VM_SHARED = 0x00000008;
export const VM_MAYREAD = 0x00000010;
export const VM_MAYWRITE = 0x00000020;
export const VM_MAYEXEC = 0x00000040;
export const VM_MAYSHARE = 0x00000080;
export const VM_GROWSDOWN = 0x00000100;
export const VM_PFNMAP = 0x00000400;
export const VM_LOCKED = 0x00002000;
export const VM_DONTCOPY = 0x00020000;
export const VM_ACCOUNT = 0x00100000;
export const VM_NORESERVE = 0x00200000;
export const VM_HUGETLB = 0x00400000;
export const VM_MIXEDMAP = 0x10000000;

/** Per-mm rss counters (enum in mm_types_task.h). */
export const MM_FILEPAGES = 0;
export const MM_ANONPAGES = 1;
export const MM_SWAPENTS = 2;
export const MM_SHMEMPAGES = 3;
export const NR_MM_COUNTERS = 4;

/** Page-fault results (enum vm_fault_reason). */
export const VM_FAULT_OOM = 0x000001;
export const VM_FAULT_SIGBUS = 0x000002;
export const VM_FAULT_MAJOR = 0x000004;
export const VM_FAULT_WRITE = 0x000008;
export const VM_FAULT_HWPOISON = 0x000010;
export const VM_FAULT_HWPOISON_LARGE = 0x000020;
export const VM_FAULT_SIGSEGV = 0x000040;
export const VM_FAULT_NOPAGE = 0x000100;
export const VM_FAULT_LOCKED = 0x000200;
export const VM_FAULT_RETRY = 0x000400;
export const VM_FAULT_FALLBACK = 0x000800;
export const VM_FAULT_DONE_COW = 0x001000;
export const VM_FAULT_ERROR =
  VM_FAULT_OOM | VM_FAULT_SIGBUS | VM_FAULT_SIGSEGV | VM_FAULT_HWPOISON | VM_FAULT_HWPOISON_LARGE | VM_FAULT_FALLBACK;

/** Fault flags (FAULT_FLAG_*). */
export const FAULT_FLAG_WRITE = 0x01;
export const FAULT_FLAG_USER = 0x40;

/** sizeof() of the slab-allocated objects (x86-64, debug spinlocks). */
export const MM_STRUCT_SIZE = 1088;
export const VM_AREA_STRUCT_SIZE = 200;
export const ANON_VMA_SIZE = 88;
export const ANON_VMA_CHAIN_SIZE = 64;
/** Offset of mm->page_table_lock inside struct mm_struct. */
export const MM_PAGE_TABLE_LOCK_OFFSET = 0x60;

/** struct mm_struct: one address space. */
export class MmStruct {
  /** Address of the struct (mm_struct slab object; init_mm is static data). */
  addr = 0;
  /** Kernel virtual address of the top-level page table (a pgd page). */
  pgd = 0;
  /** VMAs sorted by address, linked through vm_next/vm_prev. */
  mmap: VmAreaStruct | null = null;
  /** Last VMA found (vmacache). */
  mmap_cache: VmAreaStruct | null = null;
  map_count = 0;
  /** Users of the address space (threads) and references to the struct. */
  mm_users = 1;
  mm_count = 1;
  readonly rss_stat = new Float64Array(NR_MM_COUNTERS);
  /** Bytes of PTE, PMD and PUD tables (mm_inc_nr_ptes() etc.). */
  pgtables_bytes = 0;
  mmap_base = 0;
  task_size = 0;
  highest_vm_end = 0;
  total_vm = 0;
  hiwater_rss = 0;
  /** Pages of VM_ACCOUNT mappings. */
  nr_accounted = 0;
  /** The owning task (mm->owner), if any. */
  owner: unknown = null;

  /** &mm->page_table_lock: protects the upper levels (PUD and above). */
  get page_table_lock(): number {
    return this.addr + MM_PAGE_TABLE_LOCK_OFFSET;
  }
}

/** struct vm_area_struct: one mapping [vm_start, vm_end) of an mm. */
export class VmAreaStruct {
  /** Address of the struct (vm_area_struct slab object). */
  addr = 0;
  vm_start = 0;
  vm_end = 0;
  vm_next: VmAreaStruct | null = null;
  vm_prev: VmAreaStruct | null = null;
  vm_mm: MmStruct;
  vm_page_prot = 0;
  vm_flags = 0;
  /** Offset in PAGE_SIZE units: for anonymous mappings, vm_start >> PAGE_SHIFT at creation. */
  vm_pgoff = 0;
  /** The anon_vma new anonymous pages of this VMA point to (page->mapping). */
  anon_vma: AnonVma | null = null;
  /** same_vma list: one chain per anon_vma this VMA's pages may belong to. */
  anon_vma_chain: AnonVmaChain[] = [];

  constructor(mm: MmStruct) {
    this.vm_mm = mm;
  }
}

/**
 * struct anon_vma: the object anonymous pages point to through page->mapping (address |
 * PAGE_MAPPING_ANON). Its interval tree (rb_root) holds the chains of every VMA that may map
 * a page of it; the rmap walk goes page->mapping -> anon_vma -> chains -> vma.
 */
export class AnonVma {
  addr = 0;
  /** The root of this anon_vma's fork tree (itself for a first-generation anon_vma). */
  root: AnonVma;
  parent: AnonVma;
  refcount = 1;
  /** Number of child anon_vmas and VMAs pointing at this one (for reuse decisions). */
  degree = 1;
  /** The interval tree of anon_vma_chains, kept in insertion order. */
  readonly rb_root = new Set<AnonVmaChain>();

  constructor() {
    this.root = this;
    this.parent = this;
  }
}

/** struct anon_vma_chain: links one VMA to one anon_vma (both directions). */
export class AnonVmaChain {
  addr = 0;
  constructor(readonly vma: VmAreaStruct, readonly anon_vma: AnonVma) {}
}

/** init_mm (mm/init-mm.c): the kernel's address space; its pgd is swapper_pg_dir. */
export const init_mm = new MmStruct();
