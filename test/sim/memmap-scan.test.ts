/**
 * sim/memory.ts memmap_scan32() lists the pfns whose struct page word at an offset has a bit of
 * a mask set, into one reused buffer: every call must give exactly the pages a word-by-word walk
 * finds, ascending, however many the call before it found (fewer, more, none), also when the
 * memmap's page count is no multiple of the eight pages it tests at a time.
 */
import { describe, expect, it } from 'vitest';
import { boot } from '../../corpus/sim/boot.ts';
import { memmap_scan32, read32, write32, set_vmemmap_backing, memmap_phys, memmap_bytes } from '../../corpus/sim/memory.ts';
import { pfn_to_page, max_pfn } from '../../corpus/include/linux/mm.ts';
import { STRUCT_PAGE_SIZE } from '../../corpus/include/linux/mm_types.ts';
import { Rng } from '../../corpus/sim/random.ts';

const seed = Number(process.env.MEMDESC_TEST_SEED ?? Date.now() % 1_000_000);
console.log(`test/sim/memmap-scan.test.ts seed=${seed} (MEMDESC_TEST_SEED=${seed} repeats it)`);

/** The pfns whose word at `offset` has a bit of `mask`, one page at a time. */
function walk(offset: number, mask: number): number[] {
  const out: number[] = [];
  for (let pfn = 0; pfn < max_pfn(); pfn++) if ((read32(pfn_to_page(pfn).addr + offset) & mask) !== 0) out.push(pfn);
  return out;
}

describe('memmap_scan32', () => {
  it(`equals a page-by-page walk, call after call (seed ${seed})`, () => {
    boot({ ram: 16 * 1024 * 1024 });
    const rng = new Rng(seed);
    const offsets = [0, 4, 8, STRUCT_PAGE_SIZE - 4];
    for (let round = 0; round < 30; round++) {
      // Mark a varying number of pages (none, a few, many) in a spare high bit of some word.
      const offset = offsets[rng.below(offsets.length)]!;
      const bit = 1 << (24 + rng.below(7));
      const marks = round % 5 === 0 ? 0 : rng.chance(0.5) ? rng.below(20) : rng.below(max_pfn());
      const touched: Array<[number, number]> = [];
      for (let k = 0; k < marks; k++) {
        const addr = pfn_to_page(rng.below(max_pfn())).addr + offset;
        touched.push([addr, read32(addr)]);
        write32(addr, (read32(addr) | bit) >>> 0);
      }
      const want = walk(offset, bit);
      expect([...memmap_scan32(STRUCT_PAGE_SIZE, offset, bit)], `seed ${seed} round ${round}`).toEqual(want);
      // A memmap whose page count is no multiple of the scan's groups of eight: the last few
      // pages are scanned one by one.
      const [phys, size] = [memmap_phys(), memmap_bytes()];
      const pages = max_pfn() - 1 - rng.below(7);
      set_vmemmap_backing(phys, pages * STRUCT_PAGE_SIZE);
      const got = [...memmap_scan32(STRUCT_PAGE_SIZE, offset, bit)];
      set_vmemmap_backing(phys, size);
      expect(got, `seed ${seed} round ${round}, ${pages} pages`).toEqual(want.filter((pfn) => pfn < pages));
      // Put the words back (last change first) so that each round starts from the booted memmap.
      for (const [addr, v] of touched.reverse()) write32(addr, v);
    }
  });
});
