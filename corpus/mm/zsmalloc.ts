/**
 * zsmalloc memory allocator (mm/zsmalloc.c, v5.10-6.x with the page-type era storage).
 *
 * zsmalloc stores compressed pages for zram and zswap. It never asks for higher-order pages:
 * it chains order-0 pages into a "zspage" of 1..ZS_MAX_PAGES_PER_ZSPAGE pages and carves
 * the chain into equal objects of one size class, so an object may straddle two pages.
 *
 * Usage of struct page fields (every component page of a zspage):
 *   page->private    the zspage the page belongs to
 *   page->index      the next component page (0 for the last one); for a huge zspage (one
 *                    page, one object) it holds the object's handle | OBJ_ALLOCATED_TAG
 *   page->page_type  PGTY_zsmalloc in the top byte; the low 24 bits hold the offset of the
 *                    first object that starts in this page
 *   page->mapping    &zsmalloc_mops | PAGE_MAPPING_MOVABLE (__SetPageMovable)
 * Usage of struct page flags:
 *   PG_private       identifies the first component page
 *   PG_locked        taken while a zspage is set movable or freed
 *
 * The zspage itself is a small struct from the pool's "zspage" kmem_cache (a real address that
 * page->private points to); its fields live in a JS object registered under that address,
 * and it links into its size class's fullness lists through a JS list node (the kernel's
 * zspage->list; these lists thread zspages, never struct pages). Handles are 8-byte slots from the "zs_handle"
 * cache holding obj = (pfn << OBJ_INDEX_BITS) | obj_idx; obj_idx counts objects from the
 * start of the zspage, pfn names the page the object starts in.
 *
 * Lock order in the kernel: page_lock -> pool->lock -> zspage->lock. The simulation has one
 * CPU and no preemption: pool->lock is not modelled, the zspage migrate lock is a reader
 * count that catches compaction of a mapped object, and page locks are the PG_locked bit.
 */
import { Page } from '../include/linux/mm_types.ts';
import { page_private, set_page_private, page_to_pfn, pfn_to_page, page_address, page_zone, get_page, put_page } from '../include/linux/mm.ts';
import { PAGE_SIZE, PAGE_SHIFT } from '../arch/x86/include/asm/page_64_types.ts';
import { alloc_page, __free_page } from './page_alloc.ts';
import {
  PagePrivate, SetPagePrivate, ClearPagePrivate, PageLocked, SetPageLocked, ClearPageLocked, PageZsmalloc,
  __SetPageZsmalloc, __ClearPageZsmalloc, PAGE_MAPPING_MOVABLE,
} from '../include/linux/page-flags.ts';
import { ZoneStat, __mod_zone_page_state } from '../include/linux/mmzone.ts';
import { __GFP_HIGHMEM, __GFP_MOVABLE, GFP_KERNEL } from '../include/linux/gfp.ts';
import { VM_BUG_ON_PAGE, VM_BUG_ON, BUG } from '../include/linux/mmdebug.ts';
import {
  type KmemCache, kmem_cache_create, kmem_cache_alloc, kmem_cache_zalloc, kmem_cache_free, kmem_cache_destroy,
  kmalloc, kzalloc, kfree,
} from '../include/linux/slab.ts';
import { read32, read64, write8, write32, write64, write64parts, memcpy } from '../sim/memory.ts';
import { static_alloc } from '../sim/kernel_image.ts';
import { ObjectRegistry } from '../sim/objects.ts';
import { register_initcall, InitLevel } from '../sim/initcall.ts';
import { register_report } from '../sim/reports.ts';
import { trace_event } from '../sim/trace.ts';
import type { zs_mapmode, ZsPoolStats } from '../include/linux/zsmalloc.ts';

export const ZSPAGE_MAGIC = 0x58;

/** Object alignment: a power of 2 >= sizeof(struct link_free), so a link never spans pages. */
export const ZS_ALIGN = 8;
export const ZS_HANDLE_SIZE = 8;

/* Object location (<PFN>, <obj_idx>) encoded in one unsigned long. */
const MAX_POSSIBLE_PHYSMEM_BITS = 52;
const BITS_PER_LONG = 64;
const _PFN_BITS = MAX_POSSIBLE_PHYSMEM_BITS - PAGE_SHIFT;

/** Allocated objects carry the handle with this tag in their first word. */
export const OBJ_ALLOCATED_TAG = 1;
export const OBJ_TAG_BITS = 1;
const OBJ_TAG_MASK = OBJ_ALLOCATED_TAG;

export const OBJ_INDEX_BITS = BITS_PER_LONG - _PFN_BITS;
export const OBJ_INDEX_MASK = (1 << OBJ_INDEX_BITS) - 1;
/** 1 << OBJ_INDEX_BITS as a multiplier: pfn << 24 exceeds 32 bits (but not 2^53). */
const OBJ_PFN_UNIT = 2 ** OBJ_INDEX_BITS;

export const HUGE_BITS = 1;
export const FULLNESS_BITS = 4;
export const CLASS_BITS = 8;
export const MAGIC_VAL_BITS = 8;

/** CONFIG_ZSMALLOC_CHAIN_SIZE (default 8, range 4..16). */
export const CONFIG_ZSMALLOC_CHAIN_SIZE = 8;
export const ZS_MAX_PAGES_PER_ZSPAGE = CONFIG_ZSMALLOC_CHAIN_SIZE;

export const ZS_MIN_ALLOC_SIZE = Math.max(32, (ZS_MAX_PAGES_PER_ZSPAGE << PAGE_SHIFT) >>> OBJ_INDEX_BITS);
/** Each chunk includes room for the handle. */
export const ZS_MAX_ALLOC_SIZE = PAGE_SIZE;

/** 255 size classes on 4K pages; sizes are multiples of ZS_ALIGN so link_free never spans pages. */
export const ZS_SIZE_CLASS_DELTA = PAGE_SIZE >> CLASS_BITS;
export const ZS_SIZE_CLASSES = Math.ceil((ZS_MAX_ALLOC_SIZE - ZS_MIN_ALLOC_SIZE) / ZS_SIZE_CLASS_DELTA) + 1;

/**
 * Fullness groups: zspages are grouped by the ratio of in-use objects. INUSE_RATIO_10 is
 * "more than 0% and at most 10%"; groups 1..10 cover the 10% steps, 10 being 90..99%.
 */
export const ZS_INUSE_RATIO_0 = 0;
export const ZS_INUSE_RATIO_10 = 1;
export const ZS_INUSE_RATIO_99 = 10;
export const ZS_INUSE_RATIO_100 = 11;
export const NR_FULLNESS_GROUPS = 12;

/** Class statistics: one count per fullness group, then these two. */
export const ZS_OBJS_ALLOCATED = NR_FULLNESS_GROUPS;
export const ZS_OBJS_INUSE = NR_FULLNESS_GROUPS + 1;
export const NR_CLASS_STAT_TYPES = NR_FULLNESS_GROUPS + 2;

/** page_type keeps PGTY_zsmalloc in the top byte; the low 24 bits are the first object offset. */
export const FIRST_OBJ_PAGE_TYPE_MASK = 0xffffff;

/*
 * struct size_class (kzalloc'ed):
 *   fullness_list[NR_FULLNESS_GROUPS]  list heads, at offset 0 (kept on the JS side)
 *   int size, objs_per_zspage, pages_per_zspage; unsigned int index
 *   struct zs_size_stat stats           (kept on the JS side)
 */
const SIZE_CLASS_SIZE_OFFSET = NR_FULLNESS_GROUPS * 16;
const SIZEOF_SIZE_CLASS = SIZE_CLASS_SIZE_OFFSET + 16 + NR_CLASS_STAT_TYPES * 8;

/*
 * struct zspage (kmem_cache "zspage"):
 *   { huge:1, fullness:4, class:9, magic:8 }  offset 0
 *   unsigned int inuse                        offset 4
 *   unsigned int freeobj                      offset 8
 *   struct page *first_page                   offset 16
 *   struct list_head list (fullness list)     offset 24
 *   struct zs_pool *pool                      offset 40
 *   rwlock_t lock                             offset 48
 * The fields live in the registered JS object.
 */
const SIZEOF_ZSPAGE = 56;

/**
 * A list_head on the JS side (circular, doubly linked). The fullness lists change on almost
 * every allocation and free, so they are kept out of simulated memory.
 */
export class ZsListHead {
  next: ZsListHead = this;
  prev: ZsListHead = this;
  constructor(readonly zspage: Zspage | null) {}
}

function zs_list_add(entry: ZsListHead, head: ZsListHead): void {
  const next = head.next;
  if (next.prev !== head || entry.next !== entry) BUG('zs_list_add corruption');
  entry.next = next;
  entry.prev = head;
  next.prev = entry;
  head.next = entry;
}

function zs_list_del_init(entry: ZsListHead): void {
  const { next, prev } = entry;
  if (prev.next !== entry || next.prev !== entry) BUG('zs_list_del corruption');
  prev.next = next;
  next.prev = prev;
  entry.next = entry;
  entry.prev = entry;
}

function zs_list_empty(head: ZsListHead): boolean {
  return head.next === head;
}

/*
 * struct zs_pool (kzalloc'ed):
 *   const char *name                          offset 0
 *   struct size_class *size_class[255]        offset 8
 *   handle_cachep, zspage_cachep, pages_allocated, stats, lock, compaction_in_progress
 */
const ZS_POOL_SIZE_CLASS_OFFSET = 8;
const SIZEOF_ZS_POOL = ZS_POOL_SIZE_CLASS_OFFSET + ZS_SIZE_CLASSES * 8 + 6 * 8;

/** struct movable_operations { isolate_page, migrate_page, putback_page }. */
const SIZEOF_MOVABLE_OPERATIONS = 3 * 8;

export class SizeClass {
  /** The fullness lists of zspages. */
  readonly fullness_list: ZsListHead[] = [];
  /** struct zs_size_stat: objs[NR_CLASS_STAT_TYPES]. */
  readonly stats: number[] = new Array<number>(NR_CLASS_STAT_TYPES).fill(0);

  constructor(
    readonly addr: number,
    /** Size of the objects stored in this class, a multiple of ZS_ALIGN. */
    readonly size: number,
    readonly objs_per_zspage: number,
    /** Number of PAGE_SIZE pages chained into one zspage. */
    readonly pages_per_zspage: number,
    readonly index: number,
  ) {
    for (let fg = 0; fg < NR_FULLNESS_GROUPS; fg++) {
      this.fullness_list.push(new ZsListHead(null));
    }
  }
}

export class Zspage {
  huge = false;
  fullness = 0;
  class = 0;
  magic = 0;
  inuse = 0;
  freeobj = 0;
  first_page: Page | null = null;
  pool: ZsPool | null = null;
  /** rwlock_t lock: readers are mappers (zs_map_object), the writer is compaction. */
  lock_readers = 0;
  lock_writer = false;
  /** The fullness list link. */
  readonly list: ZsListHead = new ZsListHead(this);

  constructor(readonly addr: number) {}
}

export class ZsPool {
  readonly size_class: SizeClass[] = new Array<SizeClass>(ZS_SIZE_CLASSES);
  handle_cachep: KmemCache | null = null;
  zspage_cachep: KmemCache | null = null;
  /** Pages of all zspages in the pool (atomic_long_t pages_allocated). */
  pages_allocated = 0;
  readonly stats: ZsPoolStats = { pages_compacted: 0 };
  compaction_in_progress = false;
  /** Some zspage could not be freed at once (a page was locked): async_free_zspage is due. */
  free_work_pending = false;
  name_addr = 0;

  constructor(readonly addr: number, readonly name: string) {}
}

/* ---- module state (reset by zs_init at every boot) ---- */

const zs_pools = new ObjectRegistry<ZsPool>('zs_pool');
const zspages = new ObjectRegistry<Zspage>('zspage');
/** Size of the first huge class minus (ZS_HANDLE_SIZE - 1); set by the first pool. */
let huge_class_size = 0;
/** static const struct movable_operations zsmalloc_mops: its address tags page->mapping. */
let zsmalloc_mops = 0;

/** struct mapping_area: the per-cpu copy buffer for objects that span two pages. */
interface MappingArea {
  vm_buf: number;
  vm_addr: number;
  vm_mm: zs_mapmode;
  /** The handle mapped on this cpu (the kernel's local_lock); 0 when none. */
  mapped: number;
}
const zs_map_area: MappingArea = { vm_buf: 0, vm_addr: 0, vm_mm: 'rw', mapped: 0 };

/* ---- caches ---- */

function create_cache(pool: ZsPool): number {
  pool.handle_cachep = kmem_cache_create('zs_handle', ZS_HANDLE_SIZE, 0, 0);
  if (!pool.handle_cachep) return 1;
  pool.zspage_cachep = kmem_cache_create('zspage', SIZEOF_ZSPAGE, 0, 0);
  if (!pool.zspage_cachep) {
    kmem_cache_destroy(pool.handle_cachep);
    pool.handle_cachep = null;
    return 1;
  }
  return 0;
}

function destroy_cache(pool: ZsPool): void {
  if (pool.handle_cachep) kmem_cache_destroy(pool.handle_cachep);
  if (pool.zspage_cachep) kmem_cache_destroy(pool.zspage_cachep);
  pool.handle_cachep = null;
  pool.zspage_cachep = null;
}

function cache_alloc_handle(pool: ZsPool, gfp: number): number {
  return kmem_cache_alloc(pool.handle_cachep!, gfp & ~(__GFP_HIGHMEM | __GFP_MOVABLE));
}

function cache_free_handle(pool: ZsPool, handle: number): void {
  kmem_cache_free(pool.handle_cachep!, handle);
}

function cache_alloc_zspage(pool: ZsPool, gfp: number): Zspage | null {
  const addr = kmem_cache_zalloc(pool.zspage_cachep!, gfp & ~(__GFP_HIGHMEM | __GFP_MOVABLE));
  if (!addr) return null;
  const zspage = new Zspage(addr);
  zspages.register(addr, zspage);
  return zspage;
}

function cache_free_zspage(pool: ZsPool, zspage: Zspage): void {
  zspage.magic = 0;
  zspages.unregister(zspage.addr);
  kmem_cache_free(pool.zspage_cachep!, zspage.addr);
}

/** The handle slot holds the object's location; compaction rewrites it. */
function record_obj(handle: number, obj: number): void {
  write64(handle, obj);
}

/* ---- zspage and component page helpers ---- */

function is_first_page(page: Page): boolean {
  return PagePrivate(page);
}

function get_zspage_inuse(zspage: Zspage): number {
  return zspage.inuse;
}

function mod_zspage_inuse(zspage: Zspage, val: number): void {
  zspage.inuse += val;
}

function get_first_page(zspage: Zspage): Page {
  const first_page = zspage.first_page!;
  VM_BUG_ON_PAGE(!is_first_page(first_page), first_page, '!is_first_page(first_page)');
  return first_page;
}

function get_first_obj_offset(page: Page): number {
  return page.page_type & FIRST_OBJ_PAGE_TYPE_MASK;
}

function set_first_obj_offset(page: Page, offset: number): void {
  VM_BUG_ON_PAGE(!PageZsmalloc(page), page, 'set_first_obj_offset on a non-zsmalloc page');
  page.page_type = ((page.page_type & ~FIRST_OBJ_PAGE_TYPE_MASK) | (offset & FIRST_OBJ_PAGE_TYPE_MASK)) >>> 0;
}

function get_freeobj(zspage: Zspage): number {
  return zspage.freeobj;
}

function set_freeobj(zspage: Zspage, obj: number): void {
  zspage.freeobj = obj >>> 0;
}

function zspage_class(pool: ZsPool, zspage: Zspage): SizeClass {
  return pool.size_class[zspage.class]!;
}

/** Index of the size class whose chunks are big enough for `size` bytes. */
export function get_size_class_index(size: number): number {
  let idx = 0;
  if (size > ZS_MIN_ALLOC_SIZE) idx = Math.ceil((size - ZS_MIN_ALLOC_SIZE) / ZS_SIZE_CLASS_DELTA);
  return Math.min(ZS_SIZE_CLASSES - 1, idx);
}

function class_stat_inc(cls: SizeClass, type: number, cnt: number): void {
  cls.stats[type] = cls.stats[type]! + cnt;
}

function class_stat_dec(cls: SizeClass, type: number, cnt: number): void {
  cls.stats[type] = cls.stats[type]! - cnt;
}

function zs_stat_get(cls: SizeClass, type: number): number {
  return cls.stats[type]!;
}

/** The fullness group for the zspage's ratio of in-use objects. */
function get_fullness_group(cls: SizeClass, zspage: Zspage): number {
  const inuse = get_zspage_inuse(zspage);
  const objs_per_zspage = cls.objs_per_zspage;
  if (inuse === 0) return ZS_INUSE_RATIO_0;
  if (inuse === objs_per_zspage) return ZS_INUSE_RATIO_100;
  // One object out of 127 rounds to a 0% ratio but belongs in INUSE_RATIO_10.
  const ratio = Math.floor((100 * inuse) / objs_per_zspage);
  return Math.floor(ratio / 10) + 1;
}

function insert_zspage(cls: SizeClass, zspage: Zspage, fullness: number): void {
  class_stat_inc(cls, fullness, 1);
  zs_list_add(zspage.list, cls.fullness_list[fullness]!);
  zspage.fullness = fullness;
}

function remove_zspage(cls: SizeClass, zspage: Zspage): void {
  const fullness = zspage.fullness;
  VM_BUG_ON(zs_list_empty(cls.fullness_list[fullness]!), 'remove_zspage: fullness list is empty');
  zs_list_del_init(zspage.list);
  class_stat_dec(cls, fullness, 1);
}

/** Move the zspage to the list of its new fullness group, if it changed. */
function fix_fullness_group(cls: SizeClass, zspage: Zspage): number {
  const newfg = get_fullness_group(cls, zspage);
  if (newfg === zspage.fullness) return newfg;
  remove_zspage(cls, zspage);
  insert_zspage(cls, zspage, newfg);
  return newfg;
}

/** list_first_entry_or_null(head, struct zspage, list) */
function list_first_zspage_or_null(head: ZsListHead): Zspage | null {
  return head.next.zspage;
}

function get_zspage(page: Page): Zspage {
  const zspage = zspages.find(page_private(page));
  if (zspage === undefined || zspage.magic !== ZSPAGE_MAGIC) {
    VM_BUG_ON_PAGE(true, page, 'zspage->magic != ZSPAGE_MAGIC');
  }
  return zspage!;
}

/** The next component page of `zspage` after `page` (none for a huge zspage). */
function zspage_next_page(zspage: Zspage, page: Page): Page | null {
  if (zspage.huge) return null;
  const next = page.index;
  return next ? new Page(next) : null;
}

function get_next_page(page: Page): Page | null {
  return zspage_next_page(get_zspage(page), page);
}

function obj_to_page(obj: number): Page {
  return pfn_to_page(Math.floor(obj / OBJ_PFN_UNIT));
}

/** obj & OBJ_INDEX_MASK (exact: bitwise ops see the low 32 bits of a value below 2^53). */
function obj_to_idx(obj: number): number {
  return obj & OBJ_INDEX_MASK;
}

function location_to_obj(page: Page, obj_idx: number): number {
  return page_to_pfn(page) * OBJ_PFN_UNIT + (obj_idx & OBJ_INDEX_MASK);
}

function handle_to_obj(handle: number): number {
  return read64(handle);
}

/** link->next >> OBJ_TAG_BITS, truncated to the unsigned int freeobj is. */
function link_next_idx(link: number): number {
  return ((read32(link) >>> OBJ_TAG_BITS) | ((read32(link + 4) & 1) << 31)) >>> 0;
}

/** The handle of the object at `obj` if it is allocated, else 0. */
function obj_allocated(page: Page, obj: number): number {
  const zspage = get_zspage(page);
  let handle: number;
  if (zspage.huge) {
    VM_BUG_ON_PAGE(!is_first_page(page), page, 'huge object outside the first page');
    handle = page.index;
  } else {
    if (!(read32(obj) & OBJ_ALLOCATED_TAG)) return 0;
    handle = read64(obj);
  }
  if (!(handle & OBJ_ALLOCATED_TAG)) return 0;
  // Clear the tag bits before returning the handle.
  return handle - (handle & OBJ_TAG_MASK);
}

/* Page locks (PG_locked): the simulation never waits, so a trylock either succeeds or fails. */
function trylock_page(page: Page): boolean {
  if (PageLocked(page)) return false;
  SetPageLocked(page);
  return true;
}

function unlock_page(page: Page): void {
  VM_BUG_ON_PAGE(!PageLocked(page), page, 'unlock_page of an unlocked page');
  ClearPageLocked(page);
}

function inc_zone_page_state(page: Page, item: ZoneStat): void {
  __mod_zone_page_state(page_zone(page), item, 1);
}

function dec_zone_page_state(page: Page, item: ZoneStat): void {
  __mod_zone_page_state(page_zone(page), item, -1);
}

/** Mark a page as one with movable_ops: page->mapping = mops | PAGE_MAPPING_MOVABLE. */
function __SetPageMovable(page: Page, mops: number): void {
  VM_BUG_ON_PAGE(!PageLocked(page), page, '__SetPageMovable on an unlocked page');
  VM_BUG_ON_PAGE((mops & PAGE_MAPPING_MOVABLE) !== 0, page, 'movable_operations not aligned');
  page.mapping = mops + PAGE_MAPPING_MOVABLE;
}

/** Undo everything zsmalloc put in the page before it goes back to the allocator. */
function reset_page(page: Page): void {
  page.mapping = 0; // __ClearPageMovable
  ClearPagePrivate(page);
  set_page_private(page, 0);
  page.index = 0;
  __ClearPageZsmalloc(page);
}

function trylock_zspage(zspage: Zspage): boolean {
  let cursor: Page | null;
  let fail: Page | null = null;
  for (cursor = get_first_page(zspage); cursor !== null; cursor = zspage_next_page(zspage, cursor)) {
    if (!trylock_page(cursor)) {
      fail = cursor;
      break;
    }
  }
  if (fail === null) return true;
  for (cursor = get_first_page(zspage); cursor !== null && cursor.addr !== fail.addr; cursor = zspage_next_page(zspage, cursor)) {
    unlock_page(cursor);
  }
  return false;
}

/** Free the pages of an empty zspage (all of them locked) and the zspage itself. */
function __free_zspage(pool: ZsPool, cls: SizeClass, zspage: Zspage): void {
  VM_BUG_ON(get_zspage_inuse(zspage) !== 0, '__free_zspage: zspage in use');
  VM_BUG_ON(zspage.fullness !== ZS_INUSE_RATIO_0, '__free_zspage: zspage not empty');

  let page: Page | null = get_first_page(zspage);
  do {
    VM_BUG_ON_PAGE(!PageLocked(page), page, '__free_zspage: page not locked');
    VM_BUG_ON_PAGE(page.private !== zspage.addr, page, '__free_zspage: page of another zspage');
    const next: Page | null = zspage_next_page(zspage, page);
    reset_page(page);
    unlock_page(page);
    dec_zone_page_state(page, ZoneStat.NR_ZSPAGES);
    __free_page(page);
    page = next;
  } while (page !== null);

  cache_free_zspage(pool, zspage);

  class_stat_dec(cls, ZS_OBJS_ALLOCATED, cls.objs_per_zspage);
  pool.pages_allocated -= cls.pages_per_zspage;
}

function free_zspage(pool: ZsPool, cls: SizeClass, zspage: Zspage): void {
  VM_BUG_ON(get_zspage_inuse(zspage) !== 0, 'free_zspage: zspage in use');
  VM_BUG_ON(zs_list_empty(zspage.list), 'free_zspage: zspage on no list');

  // zs_free cannot sleep, so it only trylocks the pages; a busy zspage is freed later.
  if (!trylock_zspage(zspage)) {
    kick_deferred_free(pool);
    return;
  }
  remove_zspage(cls, zspage);
  __free_zspage(pool, cls, zspage);
}

/**
 * Write the free list through a new zspage: every object starting in a page links to the
 * next index; the last link of the last page ends the list (-1UL << OBJ_TAG_BITS).
 */
function init_zspage(cls: SizeClass, zspage: Zspage): void {
  let freeobj = 1;
  let off = 0;
  let page: Page | null = get_first_page(zspage);

  while (page) {
    set_first_obj_offset(page, off);

    const vaddr = page_address(page);
    let link = vaddr + off;
    while ((off += cls.size) < PAGE_SIZE) {
      write64(link, freeobj++ << OBJ_TAG_BITS);
      link += cls.size;
    }

    // The last (full or partial) object on this page links to the first one on the next page.
    const next_page = zspage_next_page(zspage, page);
    if (next_page) {
      write64(link, freeobj++ << OBJ_TAG_BITS);
    } else {
      // Clear the tag bit of the last link too: it is not an allocated object.
      write64parts(link, 0xffffffff, 0xfffffffe);
    }
    page = next_page;
    off %= PAGE_SIZE;
  }

  set_freeobj(zspage, 0);
}

/**
 * Link the component pages: page->private points to the zspage, page->index to the next
 * page; PG_private marks the first page.
 */
function create_page_chain(cls: SizeClass, zspage: Zspage, pages: Page[]): void {
  let prev_page: Page | null = null;
  const nr_pages = cls.pages_per_zspage;

  for (let i = 0; i < nr_pages; i++) {
    const page = pages[i]!;
    set_page_private(page, zspage.addr);
    page.index = 0;
    if (i === 0) {
      zspage.first_page = page;
      SetPagePrivate(page);
      if (cls.objs_per_zspage === 1 && cls.pages_per_zspage === 1) zspage.huge = true;
    } else {
      prev_page!.index = page.addr;
    }
    prev_page = page;
  }
}

function alloc_zspage(pool: ZsPool, cls: SizeClass, gfp: number): Zspage | null {
  const zspage = cache_alloc_zspage(pool, gfp);
  if (!zspage) return null;

  zspage.magic = ZSPAGE_MAGIC;
  migrate_lock_init(zspage);

  const pages: Page[] = [];
  for (let i = 0; i < cls.pages_per_zspage; i++) {
    const page = alloc_page(gfp);
    if (!page) {
      while (--i >= 0) {
        dec_zone_page_state(pages[i]!, ZoneStat.NR_ZSPAGES);
        __ClearPageZsmalloc(pages[i]!);
        __free_page(pages[i]!);
      }
      cache_free_zspage(pool, zspage);
      return null;
    }
    __SetPageZsmalloc(page);
    inc_zone_page_state(page, ZoneStat.NR_ZSPAGES);
    pages.push(page);
  }

  create_page_chain(cls, zspage, pages);
  init_zspage(cls, zspage);
  zspage.pool = pool;
  zspage.class = cls.index;
  return zspage;
}

/** The fullest zspage that still has a free object. */
function find_get_zspage(cls: SizeClass): Zspage | null {
  for (let i = ZS_INUSE_RATIO_99; i >= ZS_INUSE_RATIO_0; i--) {
    // The per-group zspage count mirrors the list: skip empty lists without reading them.
    if (!zs_stat_get(cls, i)) continue;
    const zspage = list_first_zspage_or_null(cls.fullness_list[i]!);
    if (zspage) return zspage;
  }
  return null;
}

/* ---- mapping objects ---- */

function zs_cpu_prepare(area: MappingArea): number {
  if (area.vm_buf) return 0;
  area.vm_buf = kmalloc(ZS_MAX_ALLOC_SIZE, GFP_KERNEL);
  return area.vm_buf ? 0 : -12; // -ENOMEM
}

/** Copy an object spanning two pages into the per-cpu buffer (not for write-only maps). */
function __zs_map_object(area: MappingArea, pages: [Page, Page], off: number, size: number): number {
  const buf = area.vm_buf;
  if (area.vm_mm === 'wo') return buf;
  const size0 = PAGE_SIZE - off;
  const size1 = size - size0;
  memcpy(buf, page_address(pages[0]) + off, size0);
  memcpy(buf + size0, page_address(pages[1]), size1);
  return buf;
}

/** Copy the per-cpu buffer back over the object, handle header excluded (not for read-only). */
function __zs_unmap_object(area: MappingArea, pages: [Page, Page], off: number, size: number): void {
  if (area.vm_mm === 'ro') return;
  const buf = area.vm_buf + ZS_HANDLE_SIZE;
  size -= ZS_HANDLE_SIZE;
  off += ZS_HANDLE_SIZE;
  const size0 = PAGE_SIZE - off;
  const size1 = size - size0;
  memcpy(page_address(pages[0]) + off, buf, size0);
  memcpy(page_address(pages[1]), buf + size0, size1);
}

function can_merge(prev: SizeClass, pages_per_zspage: number, objs_per_zspage: number): boolean {
  return prev.pages_per_zspage === pages_per_zspage && prev.objs_per_zspage === objs_per_zspage;
}

function zspage_full(cls: SizeClass, zspage: Zspage): boolean {
  return get_zspage_inuse(zspage) === cls.objs_per_zspage;
}

function zspage_empty(zspage: Zspage): boolean {
  return get_zspage_inuse(zspage) === 0;
}

/** The index of the size class that holds objects of `size` bytes. */
export function zs_lookup_class_index(pool: ZsPool, size: number): number {
  return pool.size_class[get_size_class_index(size)]!.index;
}

export function zs_get_total_pages(pool: ZsPool): number {
  return pool.pages_allocated;
}

/**
 * The address of an allocated object's data. Objects inside one page are returned in place
 * (kmap_atomic is the direct map); objects spanning two pages are copied into the per-cpu
 * buffer. Only one object can be mapped per cpu at a time; unmap with zs_unmap_object().
 */
export function zs_map_object(pool: ZsPool, handle: number, mm: zs_mapmode): number {
  const area = zs_map_area;
  if (area.mapped) BUG('zs_map_object: an object is already mapped on this cpu');

  const obj = handle_to_obj(handle);
  const page = obj_to_page(obj);
  const obj_idx = obj_to_idx(obj);
  const zspage = get_zspage(page);

  // Compaction cannot move objects of this zspage until zs_unmap_object.
  migrate_read_lock(zspage);

  const cls = zspage_class(pool, zspage);
  const off = (cls.size * obj_idx) & (PAGE_SIZE - 1);

  area.vm_mm = mm;
  area.mapped = handle;
  let ret: number;
  if (off + cls.size <= PAGE_SIZE) {
    // The object lies entirely within one page.
    area.vm_addr = page_address(page);
    ret = area.vm_addr + off;
  } else {
    const next = get_next_page(page);
    if (!next) BUG('zs_map_object: object spans past the last page');
    ret = __zs_map_object(area, [page, next], off, cls.size);
  }
  if (!zspage.huge) ret += ZS_HANDLE_SIZE;
  return ret;
}

export function zs_unmap_object(pool: ZsPool, handle: number): void {
  const area = zs_map_area;
  if (area.mapped !== handle) BUG('zs_unmap_object: handle is not the mapped object');

  const obj = handle_to_obj(handle);
  const page = obj_to_page(obj);
  const obj_idx = obj_to_idx(obj);
  const zspage = get_zspage(page);
  const cls = zspage_class(pool, zspage);
  const off = (cls.size * obj_idx) & (PAGE_SIZE - 1);

  if (off + cls.size <= PAGE_SIZE) {
    area.vm_addr = 0; // kunmap_atomic
  } else {
    const next = get_next_page(page);
    if (!next) BUG('zs_unmap_object: object spans past the last page');
    __zs_unmap_object(area, [page, next], off, cls.size);
  }
  area.mapped = 0;

  migrate_read_unlock(zspage);
}

/**
 * Objects of this many bytes or more go to a huge class (one object in one page).
 * The handle header is subtracted because zs_malloc() adds it before the class lookup.
 */
export function zs_huge_class_size(_pool: ZsPool | null = null): number {
  return huge_class_size;
}

/** Take the zspage's first free object for `handle`; returns its obj (location). */
function obj_malloc(pool: ZsPool, zspage: Zspage, handle: number): number {
  const cls = pool.size_class[zspage.class]!;
  const tagged = handle + OBJ_ALLOCATED_TAG;
  const obj = get_freeobj(zspage);

  const offset = obj * cls.size;
  const nr_page = offset >>> PAGE_SHIFT;
  const m_offset = offset & (PAGE_SIZE - 1);
  let m_page = get_first_page(zspage);
  for (let i = 0; i < nr_page; i++) m_page = zspage_next_page(zspage, m_page)!;

  const link = page_address(m_page) + m_offset;
  set_freeobj(zspage, link_next_idx(link));
  if (!zspage.huge) {
    // Record the handle in the header of the allocated chunk.
    write64(link, tagged);
  } else {
    // A huge object fills its page: the handle goes to page->index.
    zspage.first_page!.index = tagged;
  }
  mod_zspage_inuse(zspage, 1);

  return location_to_obj(m_page, obj);
}

/**
 * Allocate an object of `size` bytes (1..ZS_MAX_ALLOC_SIZE) from the pool. Returns the
 * handle, or 0 on failure (the kernel returns an ERR_PTR value since 6.3).
 */
export function zs_malloc(pool: ZsPool, size: number, gfp: number): number {
  if (!size || size > ZS_MAX_ALLOC_SIZE) return 0;

  const handle = cache_alloc_handle(pool, gfp);
  if (!handle) return 0;

  // Extra space in the chunk keeps the handle.
  size += ZS_HANDLE_SIZE;
  const cls = pool.size_class[get_size_class_index(size)]!;

  let zspage = find_get_zspage(cls);
  if (zspage) {
    const obj = obj_malloc(pool, zspage, handle);
    fix_fullness_group(cls, zspage);
    record_obj(handle, obj);
    class_stat_inc(cls, ZS_OBJS_INUSE, 1);
    return handle;
  }

  zspage = alloc_zspage(pool, cls, gfp);
  if (!zspage) {
    cache_free_handle(pool, handle);
    return 0;
  }

  const obj = obj_malloc(pool, zspage, handle);
  const newfg = get_fullness_group(cls, zspage);
  insert_zspage(cls, zspage, newfg);
  record_obj(handle, obj);
  pool.pages_allocated += cls.pages_per_zspage;
  class_stat_inc(cls, ZS_OBJS_ALLOCATED, cls.objs_per_zspage);
  class_stat_inc(cls, ZS_OBJS_INUSE, 1);

  // The zspage is completely set up: its pages can be marked movable.
  SetZsPageMovable(pool, zspage);
  return handle;
}

/** Put the object back on its zspage's free list. */
function obj_free(class_size: number, obj: number): void {
  const f_page = obj_to_page(obj);
  const f_objidx = obj_to_idx(obj);
  const f_offset = (class_size * f_objidx) & (PAGE_SIZE - 1);
  const zspage = get_zspage(f_page);

  const link = page_address(f_page) + f_offset;
  if (!zspage.huge) write64(link, (get_freeobj(zspage) << OBJ_TAG_BITS) >>> 0);
  else f_page.index = 0;
  set_freeobj(zspage, f_objidx);
  mod_zspage_inuse(zspage, -1);
}

export function zs_free(pool: ZsPool, handle: number): void {
  if (!handle) return;

  const obj = handle_to_obj(handle);
  const f_page = obj_to_page(obj);
  const zspage = get_zspage(f_page);
  const cls = zspage_class(pool, zspage);

  // CONFIG_DEBUG_VM-style check: the object must be allocated, to this handle, in this pool.
  const tag = zspage.huge ? f_page.index : read64(page_address(f_page) + ((cls.size * obj_to_idx(obj)) & (PAGE_SIZE - 1)));
  if (zspage.pool !== pool || tag !== handle + OBJ_ALLOCATED_TAG) {
    VM_BUG_ON_PAGE(true, f_page, 'zs_free: handle does not own an allocated object of this pool');
  }

  class_stat_dec(cls, ZS_OBJS_INUSE, 1);
  obj_free(cls.size, obj);

  const fullness = fix_fullness_group(cls, zspage);
  if (fullness === ZS_INUSE_RATIO_0) free_zspage(pool, cls, zspage);

  cache_free_handle(pool, handle);
}

/* ---- compaction ---- */

/** Copy a whole class->size object from `src` to `dst`; either may span two pages. */
function zs_object_copy(cls: SizeClass, dst: number, src: number): void {
  let s_page = obj_to_page(src);
  let d_page = obj_to_page(dst);
  let s_off = (cls.size * obj_to_idx(src)) & (PAGE_SIZE - 1);
  let d_off = (cls.size * obj_to_idx(dst)) & (PAGE_SIZE - 1);
  let s_size = cls.size;
  let d_size = cls.size;
  let written = 0;

  if (s_off + cls.size > PAGE_SIZE) s_size = PAGE_SIZE - s_off;
  if (d_off + cls.size > PAGE_SIZE) d_size = PAGE_SIZE - d_off;

  let s_addr = page_address(s_page);
  let d_addr = page_address(d_page);

  for (;;) {
    const size = Math.min(s_size, d_size);
    memcpy(d_addr + d_off, s_addr + s_off, size);
    written += size;
    if (written === cls.size) break;

    s_off += size;
    s_size -= size;
    d_off += size;
    d_size -= size;

    if (s_off >= PAGE_SIZE) {
      s_page = get_next_page(s_page)!;
      s_addr = page_address(s_page);
      s_size = cls.size - written;
      s_off = 0;
    }
    if (d_off >= PAGE_SIZE) {
      d_page = get_next_page(d_page)!;
      d_addr = page_address(d_page);
      d_size = cls.size - written;
      d_off = 0;
    }
  }
}

/**
 * The handle of the first allocated object starting in `page` at or after page-local index
 * cursor.idx (which is advanced to it), or 0.
 */
function find_alloced_obj(cls: SizeClass, page: Page, cursor: { idx: number }): number {
  let index = cursor.idx;
  let handle = 0;
  const addr = page_address(page);
  let offset = get_first_obj_offset(page) + cls.size * index;

  while (offset < PAGE_SIZE) {
    handle = obj_allocated(page, addr + offset);
    if (handle) break;
    offset += cls.size;
    index++;
  }
  cursor.idx = index;
  return handle;
}

/** Move objects from src_zspage into dst_zspage until dst is full or src is empty. */
function migrate_zspage(pool: ZsPool, src_zspage: Zspage, dst_zspage: Zspage): void {
  const cursor = { idx: 0 };
  let s_page: Page | null = get_first_page(src_zspage);
  const cls = pool.size_class[src_zspage.class]!;

  for (;;) {
    const handle = find_alloced_obj(cls, s_page!, cursor);
    if (!handle) {
      s_page = get_next_page(s_page!);
      if (!s_page) break;
      cursor.idx = 0;
      continue;
    }

    const used_obj = handle_to_obj(handle);
    const free_obj = obj_malloc(pool, dst_zspage, handle);
    zs_object_copy(cls, free_obj, used_obj);
    cursor.idx++;
    record_obj(handle, free_obj);
    obj_free(cls.size, used_obj);

    // Stop when there is no more room, or nothing more to move.
    if (zspage_full(cls, dst_zspage)) break;
    if (zspage_empty(src_zspage)) break;
  }
}

/** The emptiest in-use zspage, taken off its list. */
function isolate_src_zspage(cls: SizeClass): Zspage | null {
  for (let fg = ZS_INUSE_RATIO_10; fg <= ZS_INUSE_RATIO_99; fg++) {
    const zspage = list_first_zspage_or_null(cls.fullness_list[fg]!);
    if (zspage) {
      remove_zspage(cls, zspage);
      return zspage;
    }
  }
  return null;
}

/** The fullest non-full zspage, taken off its list. */
function isolate_dst_zspage(cls: SizeClass): Zspage | null {
  for (let fg = ZS_INUSE_RATIO_99; fg >= ZS_INUSE_RATIO_10; fg--) {
    const zspage = list_first_zspage_or_null(cls.fullness_list[fg]!);
    if (zspage) {
      remove_zspage(cls, zspage);
      return zspage;
    }
  }
  return null;
}

/** Put the zspage back on the list of its fullness group; returns the group. */
function putback_zspage(cls: SizeClass, zspage: Zspage): number {
  const fullness = get_fullness_group(cls, zspage);
  insert_zspage(cls, zspage, fullness);
  return fullness;
}

/** Lock every page of a zspage (async free). Nothing else runs, so a held lock is a bug. */
function lock_zspage(zspage: Zspage): void {
  migrate_read_lock(zspage);
  for (let page: Page | null = get_first_page(zspage); page; page = get_next_page(page)) {
    VM_BUG_ON_PAGE(!trylock_page(page), page, 'lock_zspage: page lock held with no other cpu to drop it');
  }
  migrate_read_unlock(zspage);
}

function migrate_lock_init(zspage: Zspage): void {
  zspage.lock_readers = 0;
  zspage.lock_writer = false;
}

function migrate_read_lock(zspage: Zspage): void {
  if (zspage.lock_writer) BUG('migrate_read_lock: zspage is being migrated');
  zspage.lock_readers++;
}

function migrate_read_unlock(zspage: Zspage): void {
  VM_BUG_ON(zspage.lock_readers <= 0, 'migrate_read_unlock: not read-locked');
  zspage.lock_readers--;
}

function migrate_write_lock(zspage: Zspage): void {
  // One cpu: a mapped object would never be unmapped while compaction spins.
  if (zspage.lock_readers || zspage.lock_writer) BUG('migrate_write_lock: an object of the zspage is mapped');
  zspage.lock_writer = true;
}

function migrate_write_unlock(zspage: Zspage): void {
  zspage.lock_writer = false;
}

/** Free the empty zspages whose pages were locked when they emptied (pool->free_work). */
function async_free_zspage(pool: ZsPool): void {
  pool.free_work_pending = false;
  const free_pages: Zspage[] = [];
  for (let i = 0; i < ZS_SIZE_CLASSES; i++) {
    const cls = pool.size_class[i];
    if (!cls || cls.index !== i) continue;
    for (let z = list_first_zspage_or_null(cls.fullness_list[ZS_INUSE_RATIO_0]!); z;
      z = list_first_zspage_or_null(cls.fullness_list[ZS_INUSE_RATIO_0]!)) {
      remove_zspage(cls, z);
      free_pages.push(z);
    }
  }
  for (const zspage of free_pages) {
    lock_zspage(zspage);
    __free_zspage(pool, zspage_class(pool, zspage), zspage);
  }
}

function kick_deferred_free(pool: ZsPool): void {
  pool.free_work_pending = true;
}

function zs_flush_migration(pool: ZsPool): void {
  if (pool.free_work_pending) async_free_zspage(pool);
}

/* ---- page migration (movable_operations->migrate_page) ---- */

/** Put `newpage` in `oldpage`'s place in the chain of `zspage` (replace_sub_page). */
function replace_sub_page(cls: SizeClass, zspage: Zspage, newpage: Page, oldpage: Page): void {
  const pages: Page[] = [];
  let page: Page | null = get_first_page(zspage);
  do {
    // The same frame: compared by pfn, which stays true whatever describes the page.
    pages.push(page_to_pfn(page) === page_to_pfn(oldpage) ? newpage : page);
  } while ((page = get_next_page(page)) !== null);
  create_page_chain(cls, zspage, pages);
  set_first_obj_offset(newpage, get_first_obj_offset(oldpage));
  // A huge zspage keeps its only object's handle in the page: create_page_chain() cleared it.
  if (zspage.huge) newpage.index = oldpage.index;
  __SetPageMovable(newpage, zsmalloc_mops);
}

/**
 * zs_page_migrate(): move the objects of `page` into `newpage` (both locked by the caller, who
 * holds a reference to each): copy the page, point every handle of an object that starts in it
 * at the new page, put the new page in the chain, and drop zsmalloc's reference to the old one.
 */
export function zs_page_migrate(newpage: Page, page: Page): boolean {
  VM_BUG_ON_PAGE(!PageLocked(page), page, 'zs_page_migrate: page not locked');
  VM_BUG_ON_PAGE(!PageLocked(newpage), newpage, 'zs_page_migrate: newpage not locked');
  // Committed: the new page is a zsmalloc page from here on.
  __SetPageZsmalloc(newpage);
  const zspage = get_zspage(page);
  const pool = zspage.pool!;
  const cls = zspage_class(pool, zspage);
  // No object of the zspage may be mapped while it moves.
  migrate_write_lock(zspage);
  const offset = get_first_obj_offset(page);
  const s_addr = page_address(page);
  memcpy(page_address(newpage), s_addr, PAGE_SIZE);
  for (let addr = s_addr + offset; addr < s_addr + PAGE_SIZE; addr += cls.size) {
    const handle = obj_allocated(page, addr);
    if (handle) record_obj(handle, location_to_obj(newpage, obj_to_idx(handle_to_obj(handle))));
  }
  replace_sub_page(cls, zspage, newpage, page);
  migrate_write_unlock(zspage);

  get_page(newpage);
  if (page_zone(newpage) !== page_zone(page)) {
    dec_zone_page_state(page, ZoneStat.NR_ZSPAGES);
    inc_zone_page_state(newpage, ZoneStat.NR_ZSPAGES);
  }
  reset_page(page);
  put_page(page);
  trace_event('zsmalloc', `migrate pool=${pool.name} class=${cls.index} pfn=0x${page_to_pfn(page).toString(16)} -> 0x${page_to_pfn(newpage).toString(16)}`);
  return true;
}

function SetZsPageMovable(_pool: ZsPool, zspage: Zspage): void {
  let page: Page | null = get_first_page(zspage);
  do {
    VM_BUG_ON_PAGE(!trylock_page(page), page, 'SetZsPageMovable: new page already locked');
    __SetPageMovable(page, zsmalloc_mops);
    unlock_page(page);
  } while ((page = zspage_next_page(zspage, page)) !== null);
}

/** How many pages compaction could free, from the count of unused allocated objects. */
function zs_can_compact(cls: SizeClass): number {
  const obj_allocated = zs_stat_get(cls, ZS_OBJS_ALLOCATED);
  const obj_used = zs_stat_get(cls, ZS_OBJS_INUSE);
  if (obj_allocated <= obj_used) return 0;
  const obj_wasted = Math.floor((obj_allocated - obj_used) / cls.objs_per_zspage);
  return obj_wasted * cls.pages_per_zspage;
}

function __zs_compact(pool: ZsPool, cls: SizeClass): number {
  let src_zspage: Zspage | null = null;
  let dst_zspage: Zspage | null = null;
  let pages_freed = 0;

  while (zs_can_compact(cls)) {
    if (!dst_zspage) {
      dst_zspage = isolate_dst_zspage(cls);
      if (!dst_zspage) break;
    }

    src_zspage = isolate_src_zspage(cls);
    if (!src_zspage) break;

    migrate_write_lock(src_zspage);
    migrate_zspage(pool, src_zspage, dst_zspage);
    migrate_write_unlock(src_zspage);

    const fg = putback_zspage(cls, src_zspage);
    if (fg === ZS_INUSE_RATIO_0) {
      free_zspage(pool, cls, src_zspage);
      pages_freed += cls.pages_per_zspage;
    }
    src_zspage = null;

    if (get_fullness_group(cls, dst_zspage) === ZS_INUSE_RATIO_100) {
      putback_zspage(cls, dst_zspage);
      dst_zspage = null;
    }
  }

  if (src_zspage) putback_zspage(cls, src_zspage);
  if (dst_zspage) putback_zspage(cls, dst_zspage);
  return pages_freed;
}

/** Migrate objects out of sparse zspages into dense ones; returns the pages freed. */
export function zs_compact(pool: ZsPool): number {
  if (pool.compaction_in_progress) return 0;
  pool.compaction_in_progress = true;

  let pages_freed = 0;
  for (let i = ZS_SIZE_CLASSES - 1; i >= 0; i--) {
    const cls = pool.size_class[i]!;
    if (cls.index !== i) continue;
    pages_freed += __zs_compact(pool, cls);
  }
  pool.stats.pages_compacted += pages_freed;
  pool.compaction_in_progress = false;
  return pages_freed;
}

export function zs_pool_stats(pool: ZsPool): ZsPoolStats {
  return { ...pool.stats };
}

/* ---- size classes and pools ---- */

/**
 * How many pages to chain into a zspage of `class_size` objects: the chain length up to
 * ZS_MAX_PAGES_PER_ZSPAGE that wastes the fewest bytes at the end (the first one on a tie);
 * a power-of-2 size never wastes anything in one page.
 */
export function calculate_zspage_chain_size(class_size: number): number {
  let min_waste = Number.MAX_SAFE_INTEGER;
  let chain_size = 1;

  if ((class_size & (class_size - 1)) === 0) return chain_size;

  for (let i = 1; i <= ZS_MAX_PAGES_PER_ZSPAGE; i++) {
    const waste = (i * PAGE_SIZE) % class_size;
    if (waste < min_waste) {
      min_waste = waste;
      chain_size = i;
    }
  }
  return chain_size;
}

function class_geometry(i: number): { size: number; pages_per_zspage: number; objs_per_zspage: number } {
  let size = ZS_MIN_ALLOC_SIZE + i * ZS_SIZE_CLASS_DELTA;
  if (size > ZS_MAX_ALLOC_SIZE) size = ZS_MAX_ALLOC_SIZE;
  const pages_per_zspage = calculate_zspage_chain_size(size);
  const objs_per_zspage = Math.floor((pages_per_zspage * PAGE_SIZE) / size);
  return { size, pages_per_zspage, objs_per_zspage };
}

function set_huge_class_size(size: number, pages_per_zspage: number, objs_per_zspage: number): void {
  // Iterating from the biggest class down, the first class that is not a one-page class
  // bounds the huge classes; zs_malloc() adds the handle size before the lookup.
  if (pages_per_zspage !== 1 && objs_per_zspage !== 1 && !huge_class_size) {
    huge_class_size = size - (ZS_HANDLE_SIZE - 1);
  }
}

export interface ZsClassInfo {
  /** Size class index 0..ZS_SIZE_CLASSES-1. */
  index: number;
  /** ZS_MIN_ALLOC_SIZE + index * ZS_SIZE_CLASS_DELTA. */
  size: number;
  /** Size of the class this index uses after merging (>= size). */
  class_size: number;
  pages_per_zspage: number;
  objs_per_zspage: number;
}

/**
 * The size-class table zs_create_pool() builds, without a pool or a machine: for every
 * index, the class it uses after neighbouring classes with the same pages_per_zspage and
 * objs_per_zspage have been merged into the bigger one.
 */
export function zs_class_table(): ZsClassInfo[] {
  const table = new Array<ZsClassInfo>(ZS_SIZE_CLASSES);
  let prev: ZsClassInfo | null = null;
  for (let i = ZS_SIZE_CLASSES - 1; i >= 0; i--) {
    const { size, pages_per_zspage, objs_per_zspage } = class_geometry(i);
    if (prev && prev.pages_per_zspage === pages_per_zspage && prev.objs_per_zspage === objs_per_zspage) {
      table[i] = { index: i, size, class_size: prev.class_size, pages_per_zspage, objs_per_zspage };
      continue;
    }
    prev = { index: i, size, class_size: size, pages_per_zspage, objs_per_zspage };
    table[i] = prev;
  }
  return table;
}

function kstrdup(s: string, gfp: number): number {
  const bytes = Buffer.from(s, 'utf8');
  const addr = kmalloc(bytes.length + 1, gfp);
  if (!addr) return 0;
  for (let i = 0; i < bytes.length; i++) write8(addr + i, bytes[i]!);
  write8(addr + bytes.length, 0);
  return addr;
}

/**
 * Create a pool: the struct zs_pool, its handle and zspage caches and its size classes.
 * The kernel returns NULL when memory runs out; this simulation's callers create pools at
 * setup time, so failure is a BUG here.
 */
export function zs_create_pool(name: string): ZsPool {
  const addr = kzalloc(SIZEOF_ZS_POOL, GFP_KERNEL);
  if (!addr) BUG(`zs_create_pool(${name}): out of memory`);
  const pool = new ZsPool(addr, name);
  zs_pools.register(addr, pool);

  pool.name_addr = kstrdup(name, GFP_KERNEL);
  write64(addr, pool.name_addr);
  if (!pool.name_addr || create_cache(pool)) {
    zs_destroy_pool(pool);
    BUG(`zs_create_pool(${name}): out of memory`);
  }

  // Iterate from the biggest class down: a class merges into the bigger one before it.
  let prev_class: SizeClass | null = null;
  for (let i = ZS_SIZE_CLASSES - 1; i >= 0; i--) {
    const { size, pages_per_zspage, objs_per_zspage } = class_geometry(i);
    set_huge_class_size(size, pages_per_zspage, objs_per_zspage);

    // Sizes whose classes would behave identically share one size_class.
    if (prev_class && can_merge(prev_class, pages_per_zspage, objs_per_zspage)) {
      pool.size_class[i] = prev_class;
      write64(addr + ZS_POOL_SIZE_CLASS_OFFSET + i * 8, prev_class.addr);
      continue;
    }

    const caddr = kzalloc(SIZEOF_SIZE_CLASS, GFP_KERNEL);
    if (!caddr) {
      zs_destroy_pool(pool);
      BUG(`zs_create_pool(${name}): out of memory`);
    }
    const cls = new SizeClass(caddr, size, objs_per_zspage, pages_per_zspage, i);
    write32(caddr + SIZE_CLASS_SIZE_OFFSET, size);
    write32(caddr + SIZE_CLASS_SIZE_OFFSET + 4, objs_per_zspage);
    write32(caddr + SIZE_CLASS_SIZE_OFFSET + 8, pages_per_zspage);
    write32(caddr + SIZE_CLASS_SIZE_OFFSET + 12, i);
    pool.size_class[i] = cls;
    write64(addr + ZS_POOL_SIZE_CLASS_OFFSET + i * 8, caddr);
    prev_class = cls;
  }
  return pool;
}

export function zs_destroy_pool(pool: ZsPool): void {
  zs_flush_migration(pool);

  for (let i = 0; i < ZS_SIZE_CLASSES; i++) {
    const cls = pool.size_class[i];
    if (!cls || cls.index !== i) continue;
    for (let fg = ZS_INUSE_RATIO_0; fg < NR_FULLNESS_GROUPS; fg++) {
      if (zs_list_empty(cls.fullness_list[fg]!)) continue;
      trace_event('zsmalloc', `Class-${cls.size} fullness group ${fg} is not empty`);
    }
    kfree(cls.addr);
  }

  destroy_cache(pool);
  if (pool.name_addr) kfree(pool.name_addr);
  zs_pools.unregister(pool.addr);
  kfree(pool.addr);
}

/* ---- debugfs: /sys/kernel/debug/zsmalloc/<pool>/classes ---- */

export interface ZsClassStats {
  class: number;
  size: number;
  /** Zspages per fullness group ZS_INUSE_RATIO_10 .. ZS_INUSE_RATIO_100. */
  inuse: number[];
  obj_allocated: number;
  obj_used: number;
  pages_used: number;
  pages_per_zspage: number;
  freeable: number;
}

function class_stats(cls: SizeClass): ZsClassStats {
  const inuse: number[] = [];
  for (let fg = ZS_INUSE_RATIO_10; fg < NR_FULLNESS_GROUPS; fg++) inuse.push(zs_stat_get(cls, fg));
  const obj_allocated = zs_stat_get(cls, ZS_OBJS_ALLOCATED);
  return {
    class: cls.index,
    size: cls.size,
    inuse,
    obj_allocated,
    obj_used: zs_stat_get(cls, ZS_OBJS_INUSE),
    pages_used: Math.floor(obj_allocated / cls.objs_per_zspage) * cls.pages_per_zspage,
    pages_per_zspage: cls.pages_per_zspage,
    freeable: zs_can_compact(cls),
  };
}

/** Per-class statistics of every distinct class of the pool (class->index == i). */
export function zs_class_stats(pool: ZsPool): ZsClassStats[] {
  const out: ZsClassStats[] = [];
  for (let i = 0; i < ZS_SIZE_CLASSES; i++) {
    const cls = pool.size_class[i]!;
    if (cls.index !== i) continue;
    out.push(class_stats(cls));
  }
  return out;
}

const u = (n: number, w: number) => String(n).padStart(w);
const s = (t: string, w: number) => t.padStart(w);

/**
 * The "classes" file in the kernel's column layout. The kernel prints every distinct class;
 * to keep reports short this prints only the classes that have zspages (obj_allocated > 0),
 * while the Total line still sums all of them.
 */
export function zs_stats_size_show(pool: ZsPool): string {
  const lines: string[] = [];
  const ratios = ['10%', '20%', '30%', '40%', '50%', '60%', '70%', '80%', '90%', '99%', '100%'];
  lines.push(
    ` ${s('class', 5)} ${s('size', 5)} ${ratios.map((r) => s(r, 9)).join(' ')} ${s('obj_allocated', 13)} ` +
      `${s('obj_used', 10)} ${s('pages_used', 10)} ${s('pages_per_zspage', 16)} ${s('freeable', 8)}`,
  );
  const inuse_totals = new Array<number>(NR_FULLNESS_GROUPS - 1).fill(0);
  let total_objs = 0;
  let total_used_objs = 0;
  let total_pages = 0;
  let total_freeable = 0;
  for (const st of zs_class_stats(pool)) {
    st.inuse.forEach((n, k) => { inuse_totals[k] = inuse_totals[k]! + n; });
    total_objs += st.obj_allocated;
    total_used_objs += st.obj_used;
    total_pages += st.pages_used;
    total_freeable += st.freeable;
    if (st.obj_allocated === 0) continue;
    lines.push(
      ` ${u(st.class, 5)} ${u(st.size, 5)} ${st.inuse.map((n) => u(n, 9) + ' ').join('')}` +
        `${u(st.obj_allocated, 13)} ${u(st.obj_used, 10)} ${u(st.pages_used, 10)} ${u(st.pages_per_zspage, 16)} ${u(st.freeable, 8)}`,
    );
  }
  lines.push('');
  lines.push(
    ` ${s('Total', 5)} ${s('', 5)} ${inuse_totals.map((n) => u(n, 9) + ' ').join('')}` +
      `${u(total_objs, 13)} ${u(total_used_objs, 10)} ${u(total_pages, 10)} ${s('', 16)} ${u(total_freeable, 8)}`,
  );
  return lines.join('\n');
}

/** Live pools in creation order. */
export function zs_pools_list(): ZsPool[] {
  return [...zs_pools.values()];
}

function zsmalloc_report_text(): string {
  const pools = zs_pools_list();
  if (pools.length === 0) return '(no zsmalloc pools)';
  return pools.map((p) => `==> /sys/kernel/debug/zsmalloc/${p.name}/classes <==\n${zs_stats_size_show(p)}`).join('\n\n');
}

function zsmalloc_report_json(): unknown {
  return zs_pools_list().map((p) => ({
    name: p.name,
    pages_allocated: p.pages_allocated,
    pages_compacted: p.stats.pages_compacted,
    classes: zs_class_stats(p).filter((c) => c.obj_allocated > 0),
  }));
}

function zs_class_table_text(): string {
  const lines = [`${s('index', 5)} ${s('size', 5)} ${s('class_size', 10)} ${s('pages_per_zspage', 16)} ${s('objs_per_zspage', 15)}`];
  for (const c of zs_class_table()) {
    lines.push(`${u(c.index, 5)} ${u(c.size, 5)} ${u(c.class_size, 10)} ${u(c.pages_per_zspage, 16)} ${u(c.objs_per_zspage, 15)}`);
  }
  return lines.join('\n');
}

/** The zspage registered at `addr` (tests and debugging). */
export function zs_zspage(addr: number): Readonly<Zspage> | undefined {
  return zspages.find(addr);
}

/** Address of the static zsmalloc movable_operations (the tag in page->mapping). */
export function zs_movable_ops(): number {
  return zsmalloc_mops;
}

/** Page and zspage-relative index of a handle's object (tests and debugging). */
export function zs_obj_location(handle: number): { page: Page; obj_idx: number } {
  const obj = handle_to_obj(handle);
  return { page: obj_to_page(obj), obj_idx: obj_to_idx(obj) };
}

/* ---- init ---- */

function zs_init(): void {
  zs_pools.clear();
  zspages.clear();
  huge_class_size = 0;
  zsmalloc_mops = static_alloc(SIZEOF_MOVABLE_OPERATIONS);
  zs_map_area.vm_buf = 0;
  zs_map_area.vm_addr = 0;
  zs_map_area.vm_mm = 'rw';
  zs_map_area.mapped = 0;
  if (zs_cpu_prepare(zs_map_area)) BUG('zsmalloc: no memory for the per-cpu mapping area');
}

register_initcall(InitLevel.SUBSYS, 'zsmalloc', zs_init);

register_report({
  name: 'zsmalloc',
  title: '/sys/kernel/debug/zsmalloc/<pool>/classes',
  text: zsmalloc_report_text,
  json: zsmalloc_report_json,
});

register_report({
  name: 'zsmalloc-classes',
  title: 'zsmalloc size classes',
  text: zs_class_table_text,
  json: zs_class_table,
  standalone: true,
});

