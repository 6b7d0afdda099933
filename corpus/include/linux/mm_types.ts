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
 */
import { read32, read32s, read64, write32, write64 } from '../../sim/memory.ts';
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

export class Page {
  constructor(readonly addr: number) {}

  /** offsetof(struct page, member) for the embedded list_heads (container_of). */
  static readonly OFFSETOF = { lru: PAGE_LRU_OFFSET } as const;

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

/** page[n]: the struct page n entries after this one in the memmap. */
export function nth_page(page: Page, n: number): Page {
  return new Page(page.addr + n * STRUCT_PAGE_SIZE);
}
