/**
 * Boot-time memory ranges (mm/memblock.c): everything in RAM is either memory or reserved.
 * Early allocations (the memmap, the static data area) are carved top-down before the buddy
 * allocator exists; memblock_free_all() then releases every unreserved page to it.
 */
import { PAGE_SIZE } from '../arch/x86/include/asm/page_64_types.ts';
import { ram_size } from '../sim/memory.ts';
import { BUG } from '../include/linux/mmdebug.ts';

export interface MemblockRegion {
  base: number;
  size: number;
  name: string;
}

export const memblock = {
  reserved: [] as MemblockRegion[],
  /** Top-down allocation cursor. */
  current_limit: 0,
};

export function memblock_init(): void {
  memblock.reserved = [];
  memblock.current_limit = ram_size();
}

export function memblock_reserve(base: number, size: number, name: string): void {
  memblock.reserved.push({ base, size, name });
  memblock.reserved.sort((a, b) => a.base - b.base);
}

/** Allocate `size` bytes of physical memory, top-down, aligned; returns the physical address. */
export function memblock_phys_alloc(size: number, align: number, name: string): number {
  const base = Math.floor((memblock.current_limit - size) / align) * align;
  for (const r of memblock.reserved) {
    if (base < r.base + r.size && r.base < base + size) BUG(`memblock_phys_alloc(${name}): overlaps ${r.name}`);
  }
  memblock.current_limit = base;
  memblock_reserve(base, size, name);
  return base;
}

export function memblock_is_reserved(pfn: number): boolean {
  const addr = pfn * PAGE_SIZE;
  for (const r of memblock.reserved) {
    if (addr >= r.base && addr < r.base + r.size) return true;
  }
  return false;
}

export function memblock_reserved_pages(): number {
  let pages = 0;
  for (const r of memblock.reserved) pages += Math.ceil(r.size / PAGE_SIZE);
  return pages;
}
