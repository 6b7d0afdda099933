/**
 * sim/memory.ts memmap_watch(): while a watch is on, every write through the module that changes
 * a struct page's bytes lists that memmap entry in memmap_written() (what --check's incremental
 * pass relies on, sim/check.ts), through the vmemmap or the direct map's alias of the memmap,
 * aligned or not, across entries and across the memmap's ends; no entry the write did not reach is
 * listed; a live view of memmap bytes makes the watch unsure (null); no watch (never started,
 * ended, or a new boot) says null. Property test: random writes by every way, each compared with
 * the memmap's bytes before it.
 */
import { describe, expect, it } from 'vitest';
import { boot } from '../../corpus/sim/boot.ts';
import {
  bytes, copy_to, memcpy, memmap_bytes, memmap_phys, memmap_unwatch, memmap_watch, memmap_written, memset,
  phys_bytes, phys_fill, ram_size, ram_words, read32, write8, write32, write64, write64parts,
} from '../../corpus/sim/memory.ts';
import { STRUCT_PAGE_SIZE } from '../../corpus/include/linux/mm_types.ts';
import { PAGE_OFFSET, VMEMMAP_START } from '../../corpus/arch/x86/include/asm/page_64_types.ts';
import { Rng } from '../../corpus/sim/random.ts';

const seed = Number(process.env.MEMDESC_TEST_SEED ?? Date.now() % 1_000_000);
console.log(`test/sim/memmap-watch.test.ts seed=${seed} (MEMDESC_TEST_SEED=${seed} repeats it)`);

const WAYS = ['write8', 'write32', 'write64', 'write64parts', 'memset', 'memcpy', 'copy_to', 'phys_fill'] as const;

/** The memmap's words now (read through the checks' read-only view, which no watch sees). */
function memmap_now(): Uint32Array {
  return ram_words().slice(memmap_phys() / 4, (memmap_phys() + memmap_bytes()) / 4);
}

describe('memmap_watch', () => {
  it(`lists exactly the struct pages each way of writing reaches (seed ${seed})`, () => {
    boot({ ram: 16 * 1024 * 1024 });
    const rng = new Rng(seed);
    const base = memmap_phys();
    const size = memmap_bytes();
    const entries = Math.floor(size / STRUCT_PAGE_SIZE);
    expect(memmap_written()).toBeNull();
    memmap_watch(STRUCT_PAGE_SIZE);
    expect([...memmap_written()!]).toEqual([]);
    const used = new Set<string>();
    for (let round = 0; round < 1200; round++) {
      const way = WAYS[rng.below(WAYS.length)]!;
      // Somewhere in the memmap, just outside either end of it, or elsewhere in RAM.
      const where = rng.below(4);
      const len = way === 'write8' ? 1 : way === 'write32' ? 4 : way === 'write64' || way === 'write64parts' ? 8 : 1 + rng.below(3 * STRUCT_PAGE_SIZE);
      const phys = where === 0 ? base + rng.below(size - len)
        : where === 1 ? base - len - rng.below(16) + rng.below(len + 8)
        : where === 2 ? base + size - rng.below(len + 8) + rng.below(16)
        : 0x100000 + rng.below(ram_size() / 2);
      const aligned = way === 'write32' || way === 'write64' || way === 'write64parts' ? phys - (rng.chance(0.7) ? phys % len : 0) : phys;
      // Through the vmemmap when the whole range is inside the memmap, half the time.
      const inside = aligned >= base && aligned + len <= base + size;
      const addr = inside && rng.chance(0.5) ? VMEMMAP_START + (aligned - base) : PAGE_OFFSET + aligned;
      used.add(`${way}:${addr >= VMEMMAP_START ? 'vmemmap' : 'direct'}`);
      const before = memmap_now();
      const v = rng.below(2 ** 32);
      switch (way) {
        case 'write8': write8(addr, v & 0xff); break;
        case 'write32': write32(addr, v); break;
        case 'write64': write64(addr, v + rng.below(2 ** 21) * 2 ** 32); break;
        case 'write64parts': write64parts(addr, rng.below(2 ** 32), v); break;
        case 'memset': memset(addr, v & 0xff, len); break;
        case 'memcpy': memcpy(addr, PAGE_OFFSET + 0x200000 + rng.below(0x1000), len); break;
        case 'copy_to': copy_to(addr, Uint8Array.from({ length: len }, () => rng.below(256))); break;
        case 'phys_fill': phys_fill(aligned, len, v & 0xff); break;
      }
      const after = memmap_now();
      const reached = new Set<number>();
      for (let i = Math.max(0, aligned - base); i < Math.min(entries * STRUCT_PAGE_SIZE, aligned + len - base); i++) reached.add(Math.floor(i / STRUCT_PAGE_SIZE));
      const changed = new Set<number>();
      for (let i = 0; i < after.length; i++) if (before[i] !== after[i]) changed.add(Math.floor((4 * i) / STRUCT_PAGE_SIZE));
      const listed = [...memmap_written()!].sort((a, b) => a - b);
      const at = `seed ${seed} round ${round}: ${way} of ${len} bytes at ${addr.toString(16)}`;
      expect(listed, at).toEqual([...reached].sort((a, b) => a - b));
      for (const e of changed) if (e < entries) expect(reached.has(e), at).toBe(true);
    }
    // Every way, through the direct map, and the fixed-size ways through the vmemmap too.
    expect(used.size, `seed ${seed}`).toBeGreaterThanOrEqual(WAYS.length * 2);
    // A live view: of other RAM, the watch still tells; of memmap bytes, it cannot.
    bytes(PAGE_OFFSET + 0x100000, 64).fill(1);
    phys_bytes(0x200000, 64).fill(2);
    expect(memmap_written()).not.toBeNull();
    bytes(VMEMMAP_START + STRUCT_PAGE_SIZE * rng.below(entries), 8);
    expect(memmap_written()).toBeNull();
    memmap_watch(STRUCT_PAGE_SIZE);
    phys_bytes(base + size - 4, 8);
    expect(memmap_written()).toBeNull();
    // Started again it tells again; ended, or the machine rebooted, it says nothing.
    memmap_watch(STRUCT_PAGE_SIZE);
    write32(VMEMMAP_START + 4, read32(VMEMMAP_START + 4));
    expect([...memmap_written()!]).toEqual([0]);
    memmap_unwatch();
    expect(memmap_written()).toBeNull();
    memmap_watch(STRUCT_PAGE_SIZE);
    boot({ ram: 16 * 1024 * 1024 });
    expect(memmap_written()).toBeNull();
  });
});
