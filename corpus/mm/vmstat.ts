/**
 * vmstat reports: /proc/buddyinfo (mm/vmstat.c) and /proc/meminfo (fs/proc/meminfo.c),
 * including what the memmap itself costs.
 */
import { register_report } from '../sim/reports.ts';
import { buddyinfo, contig_page_data, global_zone_page_state, nr_free_pages, pcp_pages } from './page_alloc.ts';
import { ZoneStat } from '../include/linux/mmzone.ts';
import { PAGE_SHIFT } from '../arch/x86/include/asm/page_64_types.ts';
import { machine_info } from '../sim/boot.ts';
import { ram_size } from '../sim/memory.ts';

function kb(pages: number): number {
  return pages << (PAGE_SHIFT - 10);
}

/** One "Name:   value kB" line, the value right-aligned after a 16-column label. */
function show_val_kb(name: string, kbytes: number): string {
  return `${(name + ':').padEnd(16)}${String(kbytes).padStart(8)} kB`;
}

export interface Meminfo {
  MemTotal: number;
  MemFree: number;
  PcpFree: number;
  Memmap: number;
  Reserved: number;
  AnonPages: number;
  Slab: number;
  SReclaimable: number;
  SUnreclaim: number;
  PageTables: number;
  KernelStack: number;
  VmallocUsed: number;
  LargeKmalloc: number;
  Zspages: number;
  SwapCached: number;
}

export function meminfo(): Meminfo {
  const g = global_zone_page_state;
  const sreclaimable = g(ZoneStat.NR_SLAB_RECLAIMABLE);
  const sunreclaim = g(ZoneStat.NR_SLAB_UNRECLAIMABLE);
  return {
    MemTotal: kb(contig_page_data.totalram_pages),
    MemFree: kb(nr_free_pages()),
    PcpFree: kb(pcp_pages()),
    Memmap: machine_info().memmapBytes >> 10,
    Reserved: (ram_size() >> 10) - kb(contig_page_data.totalram_pages),
    AnonPages: kb(g(ZoneStat.NR_ANON_MAPPED)),
    Slab: kb(sreclaimable + sunreclaim),
    SReclaimable: kb(sreclaimable),
    SUnreclaim: kb(sunreclaim),
    PageTables: kb(g(ZoneStat.NR_PAGETABLE)),
    KernelStack: kb(g(ZoneStat.NR_KERNEL_STACK)),
    VmallocUsed: kb(g(ZoneStat.NR_VMALLOC)),
    LargeKmalloc: kb(g(ZoneStat.NR_KMALLOC_LARGE)),
    Zspages: kb(g(ZoneStat.NR_ZSPAGES)),
    SwapCached: kb(g(ZoneStat.NR_SWAPCACHE)),
  };
}

export function meminfo_text(): string {
  return Object.entries(meminfo()).map(([k, v]) => show_val_kb(k, v)).join('\n');
}

register_report({ name: 'buddyinfo', title: '/proc/buddyinfo', text: buddyinfo });
register_report({ name: 'meminfo', title: '/proc/meminfo', text: meminfo_text, json: meminfo });
