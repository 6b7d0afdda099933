/**
 * Boot the simulated machine (start_kernel / mm_core_init order): RAM, memblock reservations
 * (the first page, the kernel image, the memmap), zones and the memmap, the buddy allocator,
 * then the subsystems built on it. Every boot starts from a clean machine.
 */
import { ram_init, ram_settle, fill_watch_begin, fill_watch_end, set_vmemmap_backing, DEFAULT_RAM, type PhysRanges } from './memory.ts';
import { memblock_init, memblock_reserve, memblock_phys_alloc } from '../mm/memblock.ts';
import { kernel_image_init, KERNEL_LOAD_PHYS, KERNEL_IMAGE_SIZE } from './kernel_image.ts';
import { free_area_init, memblock_free_all } from '../mm/mm_init.ts';
import { lruvec_init } from '../mm/swap.ts';
import { STRUCT_PAGE_SIZE } from '../include/linux/mm_types.ts';
import { PAGE_SIZE } from '../arch/x86/include/asm/page_64_types.ts';
import { trace_reset } from './trace.ts';
import { set_direct_reclaim } from '../mm/page_alloc.ts';
import { InitLevel, run_initcalls } from './initcall.ts';
import { arena_bytes, arena_init, type Placement } from './arena.ts';
import './subsystems.ts';

/**
 * sizeof(struct page) before stage 2. A placement-preserving run carves the memmap at this size
 * even when struct page has shrunk, and leaves the saving unused, so that every page the buddy
 * allocator manages is the one it manages on the stage-1 tree (sim/arena.ts).
 */
export const STAGE1_STRUCT_PAGE_SIZE = 64;

export interface BootConfig {
  /** RAM in bytes (default 64 MiB). */
  ram?: number;
  /** Keep the event trace as text (otherwise only its digest). */
  keepTrace?: boolean;
  /** Emit kernel tracepoints (mm_page_alloc, kmalloc, ...). */
  tracepoints?: boolean;
  /** Where descriptors go: 'real' (slab caches, the default) or 'preserve' (sim/arena.ts). */
  placement?: Placement;
}

export interface MachineInfo {
  ram: number;
  /** The struct page array: pages x sizeof(struct page). */
  memmapBytes: number;
  memmapPhys: number;
  /** What boot reserved for it (more than memmapBytes in a placement-preserving run of a shrunken struct page). */
  memmapCarvedBytes: number;
  placement: Placement;
}

let machine: MachineInfo | null = null;

/**
 * What the last boot of this process overwrote whole while it freed RAM to the buddy allocator
 * (free_pages_prepare() poisons every page it frees: memblock_free_all() fills nearly all of RAM),
 * and for which machine. The next boot of the same machine leaves those bytes uncleared at power-on
 * (a memset of nearly all RAM saved per seed): nothing reads a page before memblock hands it out,
 * and a boot that no longer overwrites one of them gets it cleared right after
 * memblock_free_all() (ram_settle()), so that every byte boot did not write reads zero as on a
 * fresh machine, and the run is the same bytes as in a fresh process.
 */
let freedAtBoot: { key: string; ranges: PhysRanges } | null = null;

export function boot(config: BootConfig = {}): MachineInfo {
  const ram = config.ram ?? DEFAULT_RAM;
  const placement = config.placement ?? 'real';
  trace_reset(config.keepTrace ?? false, config.tracepoints ?? false);
  const arenaBytes = arena_bytes(placement, ram);
  const key = `${ram}/${arenaBytes}/${placement}`;
  ram_init(ram, arenaBytes, freedAtBoot?.key === key ? freedAtBoot.ranges : []);
  freedAtBoot = null;
  arena_init(placement, ram);
  set_direct_reclaim(null);
  memblock_init();
  memblock_reserve(0, PAGE_SIZE, 'real mode / BIOS');
  memblock_reserve(KERNEL_LOAD_PHYS, KERNEL_IMAGE_SIZE, 'kernel image');
  kernel_image_init();
  run_initcalls(InitLevel.SETUP_ARCH);
  const nr_pages = ram / PAGE_SIZE;
  const memmapBytes = nr_pages * STRUCT_PAGE_SIZE;
  const memmapCarvedBytes = placement === 'preserve' ? nr_pages * Math.max(STRUCT_PAGE_SIZE, STAGE1_STRUCT_PAGE_SIZE) : memmapBytes;
  const memmapPhys = memblock_phys_alloc(memmapCarvedBytes, PAGE_SIZE, 'memmap');
  set_vmemmap_backing(memmapPhys, memmapBytes);
  free_area_init(memmapPhys);
  lruvec_init();
  fill_watch_begin();
  try {
    memblock_free_all();
  } finally {
    const filled = fill_watch_end();
    ram_settle(filled);
    freedAtBoot = { key, ranges: filled };
  }
  run_initcalls(InitLevel.MM_CORE);
  run_initcalls(InitLevel.CORE);
  run_initcalls(InitLevel.SUBSYS);
  run_initcalls(InitLevel.LATE);
  machine = { ram, memmapBytes, memmapPhys, memmapCarvedBytes, placement };
  return machine;
}

export function machine_info(): MachineInfo {
  if (!machine) throw new Error('machine not booted');
  return machine;
}
