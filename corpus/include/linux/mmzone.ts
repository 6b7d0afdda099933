/**
 * Zones, free areas and vmstat counters (include/linux/mmzone.h).
 * free_area lists live in simulated memory (a zone's free_area block in the static data area);
 * the rest of struct zone is a JS object, as the design allows.
 */
import { ListHead, LIST_HEAD_SIZE } from './list.ts';
import { read64, write64 } from '../../sim/memory.ts';

export const MAX_PAGE_ORDER = 10;
export const NR_PAGE_ORDERS = MAX_PAGE_ORDER + 1;
export const MAX_ORDER_NR_PAGES = 1 << MAX_PAGE_ORDER;
export const PAGE_ALLOC_COSTLY_ORDER = 3;
export const pageblock_order = 9;
export const pageblock_nr_pages = 1 << pageblock_order;

export const MIGRATE_UNMOVABLE = 0;
export const MIGRATE_MOVABLE = 1;
export const MIGRATE_RECLAIMABLE = 2;
export const MIGRATE_HIGHATOMIC = 3;
export const MIGRATE_PCPTYPES = 3;
export const MIGRATE_TYPES = 4;
export const MIGRATETYPE_NAMES = ['Unmovable', 'Movable', 'Reclaimable', 'HighAtomic'] as const;

export const ZONE_DMA = 0;
export const ZONE_DMA32 = 1;
export const ZONE_NORMAL = 2;
export const MAX_NR_ZONES = 3;
export const ZONE_NAMES = ['DMA', 'DMA32', 'Normal'] as const;

/** Per-zone and per-node counters (enum zone_stat_item / node_stat_item). */
export enum ZoneStat {
  NR_FREE_PAGES,
  NR_ZONE_ACTIVE_ANON,
  NR_ZONE_INACTIVE_ANON,
  NR_MLOCK,
  NR_PAGETABLE,
  NR_KERNEL_STACK,
  NR_ZSPAGES,
  NR_SLAB_RECLAIMABLE,
  NR_SLAB_UNRECLAIMABLE,
  NR_ANON_MAPPED,
  NR_VMALLOC,
  NR_KMALLOC_LARGE,
  NR_SWAPCACHE,
  NR_ITEMS,
}

/** Bytes of one free_area: MIGRATE_TYPES list heads then nr_free. */
export const FREE_AREA_SIZE = MIGRATE_TYPES * LIST_HEAD_SIZE + 8;

export class FreeArea {
  constructor(readonly addr: number) {}
  free_list(migratetype: number): ListHead {
    return new ListHead(this.addr + migratetype * LIST_HEAD_SIZE);
  }
  get nr_free(): number {
    return read64(this.addr + MIGRATE_TYPES * LIST_HEAD_SIZE);
  }
  set nr_free(v: number) {
    write64(this.addr + MIGRATE_TYPES * LIST_HEAD_SIZE, v);
  }
}

export interface Zone {
  readonly zone_idx: number;
  readonly name: string;
  readonly zone_start_pfn: number;
  readonly spanned_pages: number;
  present_pages: number;
  managed_pages: number;
  /** Address of free_area[0]; free_area[o] follows at o * FREE_AREA_SIZE. */
  readonly free_area_addr: number;
  readonly vm_stat: Float64Array;
  watermark_min: number;
  watermark_low: number;
  watermark_high: number;
  /** The zone's per-cpu pageset (struct per_cpu_pages), set up by page_alloc. */
  pcp?: unknown;
}

export function zone_free_area(zone: Zone, order: number): FreeArea {
  return new FreeArea(zone.free_area_addr + order * FREE_AREA_SIZE);
}

export function zone_end_pfn(zone: Zone): number {
  return zone.zone_start_pfn + zone.spanned_pages;
}

export function zone_page_state(zone: Zone, item: ZoneStat): number {
  return zone.vm_stat[item]!;
}

export function __mod_zone_page_state(zone: Zone, item: ZoneStat, delta: number): void {
  zone.vm_stat[item] = zone.vm_stat[item]! + delta;
}

/* LRU lists (enum lru_list) of the node's lruvec, their heads in simulated memory. */
export const LRU_INACTIVE_ANON = 0;
export const LRU_ACTIVE_ANON = 1;
export const LRU_INACTIVE_FILE = 2;
export const LRU_ACTIVE_FILE = 3;
export const LRU_UNEVICTABLE = 4;
export const NR_LRU_LISTS = 5;
export const LRU_NAMES = ['inactive_anon', 'active_anon', 'inactive_file', 'active_file', 'unevictable'] as const;

export class Lruvec {
  constructor(readonly addr: number) {}
  lists(lru: number): ListHead {
    return new ListHead(this.addr + lru * LIST_HEAD_SIZE);
  }
  /** Pages per list, kept alongside (lruvec->lru_zone_size). */
  readonly nr_pages = new Float64Array(NR_LRU_LISTS);
}

export const LRUVEC_SIZE = NR_LRU_LISTS * LIST_HEAD_SIZE;
