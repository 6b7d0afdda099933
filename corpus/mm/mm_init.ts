/**
 * Boot-time memory initialisation (mm/mm_init.c): zone layout, the memmap, and handing
 * free memory to the buddy allocator.
 *
 * The machine has one node with ZONE_DMA32 and ZONE_NORMAL. Real x86-64 puts the boundary
 * at 4 GiB; simulated machines are small, so the boundary is scaled to a quarter of RAM
 * (aligned to MAX_ORDER_NR_PAGES) so that both zones exist, as on a real server.
 */
import { Page, STRUCT_PAGE_SIZE } from '../include/linux/mm_types.ts';
import { INIT_LIST_HEAD } from '../include/linux/list.ts';
import {
  type Zone, ZONE_DMA32, ZONE_NORMAL, ZONE_NAMES, MAX_NR_ZONES, NR_PAGE_ORDERS, MIGRATE_TYPES, MIGRATE_MOVABLE,
  MAX_ORDER_NR_PAGES, MAX_PAGE_ORDER, FREE_AREA_SIZE, ZoneStat, zone_free_area, pageblock_order,
} from '../include/linux/mmzone.ts';
import { pfn_to_page, set_page_zone, init_page_count, reset_page_mapcount, max_pfn } from '../include/linux/mm.ts';
import { SetPageReserved } from '../include/linux/page-flags.ts';
import { PAGE_SIZE, PAGE_SHIFT } from '../arch/x86/include/asm/page_64_types.ts';
import { contig_page_data, __free_pages_core, zone_pcp_alloc, zone_pcp_init, build_all_zonelists } from './page_alloc.ts';
import { memblock_is_reserved } from './memblock.ts';
import { static_alloc } from '../sim/kernel_image.ts';
import { phys_bytes, ram_size } from '../sim/memory.ts';

const DMA32_LIMIT = 4 * 1024 * 1024 * 1024;

/** Zone boundaries: [DMA32 start, Normal start, end) in pfns. */
export function zone_boundaries(): [number, number, number] {
  const end = max_pfn();
  const scaled = Math.min(DMA32_LIMIT, ram_size() / 4) >>> PAGE_SHIFT;
  const normal_start = Math.max(MAX_ORDER_NR_PAGES, Math.floor(scaled / MAX_ORDER_NR_PAGES) * MAX_ORDER_NR_PAGES);
  return [0, Math.min(normal_start, end), end];
}

/** Initialise one struct page: zeroed, refcount 1, unmapped, zone linked, reserved; no memdesc word (flags cleared: boot, before any descriptor). @memdesc-aware */
function __init_single_page(page: Page, zone: number): void {
  page.flags = 0;
  set_page_zone(page, zone);
  // Reserved first: a reserved page's one reference is its state where struct page keeps no count.
  SetPageReserved(page);
  init_page_count(page);
  reset_page_mapcount(page);
  INIT_LIST_HEAD(page.lru);
}

function zone_init(zone_idx: number, start_pfn: number, end_pfn: number): Zone {
  const free_area_addr = static_alloc(NR_PAGE_ORDERS * FREE_AREA_SIZE);
  const zone: Zone = {
    zone_idx,
    name: ZONE_NAMES[zone_idx]!,
    zone_start_pfn: start_pfn,
    spanned_pages: end_pfn - start_pfn,
    present_pages: end_pfn - start_pfn,
    managed_pages: 0,
    free_area_addr,
    vm_stat: new Float64Array(ZoneStat.NR_ITEMS),
    watermark_min: 0,
    watermark_low: 0,
    watermark_high: 0,
  };
  for (let order = 0; order < NR_PAGE_ORDERS; order++) {
    const area = zone_free_area(zone, order);
    for (let mt = 0; mt < MIGRATE_TYPES; mt++) INIT_LIST_HEAD(area.free_list(mt));
    area.nr_free = 0;
  }
  zone_pcp_alloc(zone);
  return zone;
}

/** free_area_init(): zones and the memmap (which memblock already carved out). */
export function free_area_init(memmap_phys: number): void {
  const [dma32, normal, end] = zone_boundaries();
  phys_bytes(memmap_phys, end * STRUCT_PAGE_SIZE).fill(0);
  contig_page_data.node_zones = new Array<Zone>(MAX_NR_ZONES);
  contig_page_data.node_zones[ZONE_DMA32] = zone_init(ZONE_DMA32, dma32, normal);
  contig_page_data.node_zones[ZONE_NORMAL] = zone_init(ZONE_NORMAL, normal, end);
  contig_page_data.pageblock_mt = new Uint8Array(Math.ceil(end / (1 << pageblock_order))).fill(MIGRATE_MOVABLE);
  contig_page_data.totalram_pages = 0;
  for (let pfn = 0; pfn < end; pfn++) {
    __init_single_page(pfn_to_page(pfn), pfn < normal ? ZONE_DMA32 : ZONE_NORMAL);
  }
}

/** memblock_free_all(): release every page no one reserved, in the largest aligned blocks. */
export function memblock_free_all(): void {
  const end = max_pfn();
  let pfn = 0;
  while (pfn < end) {
    if (memblock_is_reserved(pfn)) { pfn++; continue; }
    let order = MAX_PAGE_ORDER;
    while (order > 0 && ((pfn & ((1 << order) - 1)) !== 0 || pfn + (1 << order) > end || !range_free(pfn, 1 << order) || crosses_zone(pfn, 1 << order))) order--;
    __free_pages_core(pfn_to_page(pfn), order);
    pfn += 1 << order;
  }
  build_all_zonelists();
  setup_per_zone_wmarks();
  for (const zone of contig_page_data.node_zones) if (zone) zone_pcp_init(zone);
}

function range_free(start: number, nr: number): boolean {
  for (let pfn = start; pfn < start + nr; pfn++) if (memblock_is_reserved(pfn)) return false;
  return true;
}

function crosses_zone(start: number, nr: number): boolean {
  const [, normal] = zone_boundaries();
  return start < normal && start + nr > normal;
}

/** min_free_kbytes = sqrt(lowmem_kbytes * 16), split across zones by size (setup_per_zone_wmarks). */
export function setup_per_zone_wmarks(): void {
  const lowmem_kbytes = contig_page_data.totalram_pages * (PAGE_SIZE / 1024);
  const min_free_kbytes = Math.min(262144, Math.max(128, Math.floor(Math.sqrt(lowmem_kbytes * 16))));
  const pages_min = min_free_kbytes >>> (PAGE_SHIFT - 10);
  for (const zone of contig_page_data.node_zones) {
    if (!zone) continue;
    const tmp = Math.floor((pages_min * zone.managed_pages) / Math.max(1, contig_page_data.totalram_pages));
    const gap = Math.max(tmp >>> 2, Math.floor((zone.managed_pages * 10) / 10000));
    zone.watermark_min = tmp;
    zone.watermark_low = tmp + gap;
    zone.watermark_high = tmp + gap * 2;
  }
}
