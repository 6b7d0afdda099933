/** Shared helpers for the zswap and vmscan tests. */
import { follow_pte } from '../../corpus/mm/memory.ts';
import { type MmStruct } from '../../corpus/include/linux/mm_types.ts';
import { pte_present, pte_none, pte_to_swp_entry, type swp_entry_t } from '../../corpus/arch/x86/include/asm/pgtable.ts';
import { read64 } from '../../corpus/sim/memory.ts';
import { swap_slots_in_use } from '../../corpus/mm/swapfile.ts';
import { total_swapcache_pages } from '../../corpus/mm/swap_state.ts';
import { zswap_stats } from '../../corpus/mm/zswap.ts';
import { global_zone_page_state } from '../../corpus/mm/page_alloc.ts';
import { ZoneStat } from '../../corpus/include/linux/mmzone.ts';
import { PAGE_SIZE } from '../../corpus/arch/x86/include/asm/page_64_types.ts';

export const MiB = 1024 * 1024;

/** Compressible, page-specific contents: a period-256 ramp offset by seed and page number. */
export function pattern(len: number, seed: number): Uint8Array {
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) out[i] = (i * 13 + seed * 7 + Math.floor(i / PAGE_SIZE) * 3 + 1) & 0xff;
  return out;
}

/** Incompressible contents from a small xorshift generator. */
export function noise(len: number, seed: number): Uint8Array {
  const out = new Uint8Array(len);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < len; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** The swap entry in the PTE for `addr`, or null when the PTE is present or empty. */
export function swap_pte(mm: MmStruct, addr: number): swp_entry_t | null {
  const ptep = follow_pte(mm, addr);
  if (!ptep) return null;
  const pte = read64(ptep);
  if (pte_none(pte) || pte_present(pte)) return null;
  return pte_to_swp_entry(pte);
}

export interface SwapSnapshot {
  slots: number;
  stored: number;
  swapcache: number;
  nr_swapcache: number;
  pool_bytes: number;
}

export function swap_snapshot(): SwapSnapshot {
  return {
    slots: swap_slots_in_use(),
    stored: zswap_stats.stored_pages,
    swapcache: total_swapcache_pages(),
    nr_swapcache: global_zone_page_state(ZoneStat.NR_SWAPCACHE),
    pool_bytes: zswap_stats.pool_total_size,
  };
}

export const SWAP_EMPTY: SwapSnapshot = { slots: 0, stored: 0, swapcache: 0, nr_swapcache: 0, pool_bytes: 0 };
