/**
 * vfree() gives every page back with page->private cleared. Watched at the page allocator's door:
 * a mock of corpus/mm/page_alloc.ts records page->private as each page is freed (the page
 * allocator itself does not look at it, and after the free a buddy head holds its order there).
 * A file of its own: a mock of a corpus module needs vitest's module runner for the whole corpus
 * (vitest.config.ts), which runs it several times slower than the other corpus tests run.
 */
import { describe, it, expect, beforeEach, vi } from 'vitest';
import { boot } from '../../corpus/sim/boot.ts';
import { vmalloc, vzalloc, vfree, find_vm_area, vmalloc_nr_pages, vm_unmap_aliases } from '../../corpus/include/linux/vmalloc.ts';
import { vmalloc_debug_check } from '../../corpus/mm/vmalloc.ts';
import { global_zone_page_state } from '../../corpus/mm/page_alloc.ts';
import { Page } from '../../corpus/include/linux/mm_types.ts';
import { ZoneStat } from '../../corpus/include/linux/mmzone.ts';
import { area_pages, MiB, pages_accounted, PAGE_SIZE } from './vmalloc-workloads.ts';

const freed_private = new Map<number, number>();
let recording = false;
vi.mock('../../corpus/mm/page_alloc.ts', async (importOriginal) => {
  const orig = await importOriginal<typeof import('../../corpus/mm/page_alloc.ts')>();
  return {
    ...orig,
    __free_pages: (page: Page, order: number) => {
      if (recording) freed_private.set(page.addr, page.private);
      orig.__free_pages(page, order);
    },
  };
});

describe('vmalloc', () => {
  beforeEach(() => {
    boot({ ram: 64 * MiB });
  });

  it('accounts pages, returns every one on vfree and keeps the kernel page tables', () => {
    vmalloc_debug_check();
    const base = pages_accounted();
    const base_vmalloc = global_zone_page_state(ZoneStat.NR_VMALLOC);
    const base_pt = global_zone_page_state(ZoneStat.NR_PAGETABLE);
    const base_nr = vmalloc_nr_pages();
    const addrs = [vmalloc(10 * PAGE_SIZE), vmalloc(1), vzalloc(300 * PAGE_SIZE)];
    expect(vmalloc_nr_pages() - base_nr).toBe(311);
    expect(global_zone_page_state(ZoneStat.NR_VMALLOC) - base_vmalloc).toBe(311);
    expect(pages_accounted()).toBe(base);
    const pt = global_zone_page_state(ZoneStat.NR_PAGETABLE);
    // Kernel page tables came from the page allocator (counted in NR_PAGETABLE), if any were missing.
    expect(pt).toBeGreaterThanOrEqual(Math.max(base_pt, 3));
    const pages = addrs.flatMap((a) => area_pages(find_vm_area(a)!));
    freed_private.clear();
    recording = true;
    try {
      for (const a of addrs) vfree(a);
    } finally {
      recording = false;
    }
    // Every page went back with page->private cleared.
    for (const p of pages) expect(freed_private.get(p.addr)).toBe(0);
    vm_unmap_aliases();
    expect(vmalloc_nr_pages()).toBe(base_nr);
    expect(global_zone_page_state(ZoneStat.NR_VMALLOC)).toBe(base_vmalloc);
    expect(global_zone_page_state(ZoneStat.NR_PAGETABLE)).toBe(pt);
    expect(pages_accounted()).toBe(base);
  });

});
