/** Shared checks for the page-table / process tests (pgtable, memory, fork). */
import { nr_free_pages, pcp_pages, global_zone_page_state } from '../../corpus/mm/page_alloc.ts';
import { ZoneStat } from '../../corpus/include/linux/mmzone.ts';
import { list_count } from '../../corpus/include/linux/list.ts';
import { pgd_list } from '../../corpus/arch/x86/mm/pgtable.ts';
import { anon_vmas, anon_vma_chains } from '../../corpus/mm/rmap.ts';
import { mm_structs } from '../../corpus/kernel/fork.ts';
import { for_each_process } from '../../corpus/kernel/pid.ts';

/** Pages owned by the allocator plus slab pages (slab keeps empty slabs cached). */
export function pages_accounted(): number {
  return nr_free_pages() + pcp_pages() + global_zone_page_state(ZoneStat.NR_SLAB_RECLAIMABLE) +
    global_zone_page_state(ZoneStat.NR_SLAB_UNRECLAIMABLE) + global_zone_page_state(ZoneStat.NR_KMALLOC_LARGE);
}

export interface MmSnapshot {
  pages: number;
  pagetable: number;
  anon: number;
  pgds: number;
  anon_vmas: number;
  anon_vma_chains: number;
  mms: number;
  tasks: number;
}

export function mm_snapshot(): MmSnapshot {
  return {
    pages: pages_accounted(),
    pagetable: global_zone_page_state(ZoneStat.NR_PAGETABLE),
    anon: global_zone_page_state(ZoneStat.NR_ANON_MAPPED),
    pgds: list_count(pgd_list),
    anon_vmas: anon_vmas.size,
    anon_vma_chains: anon_vma_chains.size,
    mms: mm_structs.size,
    tasks: for_each_process().length,
  };
}

/** Byte-array equality that stays fast for megabytes (vitest's toEqual is element-wise). */
export function expect_bytes(actual: Uint8Array, expected: Uint8Array, what = 'bytes'): void {
  if (actual.length !== expected.length) {
    throw new Error(`${what}: length ${actual.length}, expected ${expected.length}`);
  }
  if (!Buffer.from(actual.buffer, actual.byteOffset, actual.length).equals(
    Buffer.from(expected.buffer, expected.byteOffset, expected.length))) {
    const i = actual.findIndex((v, k) => v !== expected[k]);
    throw new Error(`${what}: differ at offset ${i}: ${actual[i]} !== ${expected[i]}`);
  }
}
