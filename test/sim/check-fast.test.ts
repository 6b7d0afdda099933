/**
 * sim/check.ts: --check's typed-array pass (machine_consistent()) may only say "nothing wrong"
 * when the full check (memdesc_check_all()) finds nothing and does not fault, and should say it
 * whenever that is so; on anything else check_machine() reports what the full check finds, word
 * for word. Property test on the bundled corpus: machines with descriptors of several kinds and
 * misc pages made by hand (the corpus itself allocates none), then one or two random violations
 * planted (words' bits, stray or missing marks, back pointers to nowhere, to other pages, off a
 * struct page's boundary, into the kernel image or beyond RAM, leaked or double-counted
 * descriptors, shared descriptors), each state compared and then undone; the same inside a
 * --check run, where the pass is incremental (the last passing check's record and the struct
 * pages written since: each plant checked from a record, then undone and checked clean).
 */
import { describe, expect, it } from 'vitest';
import { boot } from '../../corpus/sim/boot.ts';
import { read32, write32, write64 } from '../../corpus/sim/memory.ts';
import { Rng } from '../../corpus/sim/random.ts';
import { check_begin, check_machine, machine_consistent } from '../../corpus/sim/check.ts';
import { KernelBug } from '../../corpus/sim/errors.ts';
import { KERNEL_LOAD_PHYS } from '../../corpus/sim/kernel_image.ts';
import {
  memdesc_check_all, memdesc_register_cache, memdesc_account, memdesc_create, memdesc_misc, set_page_memdesc,
  memdesc_stats, MEMDESC_TYPE_FILE, MEMDESC_TYPE_ANON, MEMDESC_TYPE_SLAB, MEMDESC_TYPE_PTDESC, MEMDESC_TYPE_ZPDESC,
} from '../../corpus/include/linux/memdesc.ts';
import { max_pfn, page_address, pfn_to_page } from '../../corpus/include/linux/mm.ts';
import { STRUCT_PAGE_SIZE, PAGE_MEMDESC_OFFSET, type Page } from '../../corpus/include/linux/mm_types.ts';
import { alloc_pages } from '../../corpus/mm/page_alloc.ts';
import { GFP_KERNEL } from '../../corpus/include/linux/gfp.ts';
import { PAGE_OFFSET, VMALLOC_START, VMEMMAP_START } from '../../corpus/arch/x86/include/asm/page_64_types.ts';

const seed = Number(process.env.MEMDESC_TEST_SEED ?? Date.now() % 1_000_000);
console.log(`test/sim/check-fast.test.ts seed=${seed} (MEMDESC_TEST_SEED=${seed} repeats it)`);

const TAGS = [MEMDESC_TYPE_FILE, MEMDESC_TYPE_ANON, MEMDESC_TYPE_SLAB, MEMDESC_TYPE_PTDESC, MEMDESC_TYPE_ZPDESC];
const FLAGS_HI = 4;

/** Pages carrying one word: a descriptor's (`desc`, `tag`), or a misc word (both 0). */
interface Allocation { head: Page; order: number; desc: number; tag: number }

/** A machine with `n` descriptor allocations of the tags above and some misc pages, consistent. */
function machine(rng: Rng, n: number): Allocation[] {
  boot({ ram: 16 * 1024 * 1024 });
  TAGS.forEach((tag, i) => memdesc_register_cache(tag, `desc${tag}`, PAGE_OFFSET + 0x10000 * (i + 1), 32));
  // Descriptors live in pages of their own (16-byte slots), as slab objects would.
  const pool = page_address(alloc_pages(GFP_KERNEL, 2)!);
  const out: Allocation[] = [];
  for (let i = 0; i < n; i++) {
    const order = rng.below(4);
    const head = alloc_pages(GFP_KERNEL, order)!;
    if (rng.chance(0.25)) {
      for (let k = 0; k < 1 << order; k++) set_page_memdesc(pfn_to_page(pfnOf(head) + k), memdesc_misc(1 + rng.below(8), order));
      out.push({ head, order, desc: 0, tag: 0 });
      continue;
    }
    const tag = TAGS[rng.below(TAGS.length)]!;
    const desc = pool + 16 * 2 * i;
    write64(desc, head.addr);
    for (let k = 0; k < 1 << order; k++) set_page_memdesc(pfn_to_page(pfnOf(head) + k), memdesc_create(desc, tag));
    memdesc_account(tag, 1);
    out.push({ head, order, desc, tag });
  }
  return out;
}

function pfnOf(page: Page): number {
  return (page.addr - VMEMMAP_START) / STRUCT_PAGE_SIZE;
}

/** Words changed by a plant, to be put back: [address, old 32-bit value]. */
type Undo = Array<[number, number]>;

function set32(undo: Undo, addr: number, v: number): void {
  undo.push([addr, read32(addr)]);
  write32(addr, v >>> 0);
}

function set64(undo: Undo, addr: number, v: number): void {
  set32(undo, addr, v % 2 ** 32);
  set32(undo, addr + 4, Math.floor(v / 2 ** 32));
}

/** Plant one random violation (or a change that breaks nothing); returns its name. */
function plant(rng: Rng, allocs: Allocation[], undo: Undo, accounts: Array<[number, number]>): string {
  const any = allocs[rng.below(allocs.length)]!;
  const described = allocs.filter((x) => x.desc !== 0);
  const a = described[rng.below(described.length)]!;
  const page = pfn_to_page(pfnOf(a.head) + rng.below(1 << a.order));
  const md = page.addr + PAGE_MEMDESC_OFFSET;
  const flags = page.addr + FLAGS_HI;
  const setWords = (x: Allocation, word: number): void => {
    for (let k = 0; k < 1 << x.order; k++) set64(undo, pfn_to_page(pfnOf(x.head) + k).addr + PAGE_MEMDESC_OFFSET, word);
  };
  switch (rng.below(19)) {
    case 0: set32(undo, md, read32(md) ^ (1 << rng.below(32))); return 'word low bit';
    case 1: set32(undo, md + 4, [0x1fffff, 0x200000, 0xffffffff, read32(md + 4) + 1][rng.below(4)]!); return 'word high half';
    case 2: {
      const p = pfn_to_page(rng.below(max_pfn()));
      set32(undo, p.addr + FLAGS_HI, read32(p.addr + FLAGS_HI) | (1 << 29));
      return 'stray mark';
    }
    case 3: set32(undo, flags, read32(flags) & ~(1 << 29)); return 'mark cleared';
    case 4: {
      const to = [0, a.head.addr + STRUCT_PAGE_SIZE, a.head.addr - STRUCT_PAGE_SIZE, a.head.addr + 4, a.head.addr - 8,
        PAGE_OFFSET + 0x5000, VMEMMAP_START + max_pfn() * STRUCT_PAGE_SIZE, VMEMMAP_START + 2 ** 30, 2 ** 52 + 8][rng.below(9)]!;
      set64(undo, a.desc, to);
      return `back pointer -> ${to.toString(16)}`;
    }
    case 5: {
      const delta = rng.chance(0.5) || memdesc_stats().find((r) => r.tag === a.tag)!.objects === 0 ? 1 : -1;
      memdesc_account(a.tag, delta);
      accounts.push([a.tag, -delta]);
      return `count ${delta}`;
    }
    case 6: {
      const desc = [PAGE_OFFSET + KERNEL_LOAD_PHYS + 0x100, PAGE_OFFSET + 16 * 2 ** 20 + 0x40, PAGE_OFFSET + 64 * 2 ** 20, VMALLOC_START + 0x40, VMEMMAP_START + 0x40][rng.below(5)]!;
      set64(undo, md, desc + a.tag);
      return `descriptor at ${desc.toString(16)}`;
    }
    case 7: set32(undo, md, (read32(md) & ~0xf) | [1, 14, 15, 0][rng.below(4)]!); return 'tag';
    case 8: {
      // Every page of an allocation moves to another descriptor slot, back pointer filled: a leak.
      const desc = a.desc + 16;
      set64(undo, desc, a.head.addr);
      setWords(a, desc + a.tag);
      return 'moved descriptor';
    }
    case 9: {
      // Another allocation's pages name this one's descriptor (before or after it in the memmap).
      setWords(any, a.desc + a.tag);
      return 'shared descriptor';
    }
    case 10: {
      // The head's mark and word on a tail only: tails then point back at an unmarked page.
      set32(undo, a.head.addr + FLAGS_HI, read32(a.head.addr + FLAGS_HI) & ~(1 << 29));
      return 'head unmarked';
    }
    case 11: set64(undo, md, memdesc_misc(1 + rng.below(8), a.order)); return 'misc word';
    case 12: set32(undo, md, read32(md) & ~0x7f0 & ~0xf); return 'misc without subtype';
    case 13: {
      // Any page's word, its high half beyond a safe integer (a misc word's too).
      const w = pfn_to_page(pfnOf(any.head) + rng.below(1 << any.order)).addr + PAGE_MEMDESC_OFFSET;
      set32(undo, w + 4, read32(w + 4) | (1 << (21 + rng.below(11))));
      return 'unsafe word';
    }
    case 14: {
      // A misc allocation's pages take this descriptor's word and its back pointer names their
      // first page: no descriptor leaks, only the back pointer's direction (or none) is wrong.
      const misc = allocs.filter((x) => x.desc === 0);
      if (misc.length === 0) return 'nothing';
      const b = misc[rng.below(misc.length)]!;
      setWords(b, a.desc + a.tag);
      set64(undo, a.desc, b.head.addr);
      return `back pointer to another allocation ${b.head.addr > a.head.addr ? 'after' : 'before'} it`;
    }
    case 15: {
      // The first page unmarked, its word left, and the count one less: only the mark is wrong.
      set32(undo, a.head.addr + FLAGS_HI, read32(a.head.addr + FLAGS_HI) & ~(1 << 29));
      if (a.order === 0) {
        memdesc_account(a.tag, -1);
        accounts.push([a.tag, 1]);
      }
      return 'head unmarked, count adjusted';
    }
    case 16: {
      // The descriptor moved into the kernel image (static data), back pointer and all.
      const desc = PAGE_OFFSET + KERNEL_LOAD_PHYS + 0x1000 + 16 * rng.below(64);
      set64(undo, desc, a.head.addr);
      setWords(a, desc + a.tag);
      return 'descriptor in the kernel image';
    }
    case 17: {
      // The back pointer names a tail of the allocation, or a struct page just off a boundary.
      const to = a.head.addr + STRUCT_PAGE_SIZE * rng.below(1 << a.order) + (rng.chance(0.5) ? 0 : 8 * (1 + rng.below(STRUCT_PAGE_SIZE / 8 - 1)));
      set64(undo, a.desc, to);
      return 'back pointer into the allocation';
    }
    default: return 'nothing';
  }
}

/** What the full check says: its problems, or the fault it ran into. */
function full(): { problems: string[] } | { fault: string } {
  try {
    return { problems: memdesc_check_all() };
  } catch (err) {
    if (!(err instanceof KernelBug)) throw err;
    return { fault: err.message };
  }
}

/**
 * Plant, compare check_machine() with the full check, undo, round after round. `inRun`: inside a
 * --check run (check_begin(true)), where the pass is incremental: every round's check then starts
 * from the record of the check after the last undo, which must pass.
 */
function compareRounds(seed: number, inRun: boolean): void {
  const rng = new Rng(seed);
  let consistent = 0;
  let violations = 0;
  for (let m = 0; m < 6; m++) {
    const allocs = machine(rng, 12 + rng.below(40));
    if (!allocs.some((x) => x.desc !== 0)) continue;
    expect(machine_consistent(), `seed ${seed}: a machine made consistent`).toBe(true);
    check_begin(inRun, 'hand-made');
    if (inRun) check_machine('before the first round');
    for (let round = 0; round < 200; round++) {
      const undo: Undo = [];
      const accounts: Array<[number, number]> = [];
      const what = [plant(rng, allocs, undo, accounts)];
      if (rng.chance(0.3)) what.push(plant(rng, allocs, undo, accounts));
      const at = `seed ${seed} machine ${m} round ${round}: ${what.join(', ')}`;
      const want = full();
      const clean = 'problems' in want && want.problems.length === 0;
      expect(machine_consistent(), at).toBe(clean);
      let thrown: KernelBug | undefined;
      try {
        check_machine(`after operation ${round}`);
      } catch (err) {
        if (!(err instanceof KernelBug)) throw err;
        thrown = err;
      }
      if (clean) {
        consistent++;
        expect(thrown, at).toBeUndefined();
      } else {
        violations++;
        const message = 'fault' in want
          ? want.fault
          : `memdesc check failed after operation ${round}: ${want.problems[0]}${want.problems.length > 1 ? ` (${want.problems.length - 1} more)` : ''}`;
        expect(thrown?.message.split('\n')[0], at).toBe(message.split('\n')[0]);
      }
      for (const [addr, v] of undo.reverse()) write32(addr, v);
      for (const [tag, delta] of accounts) memdesc_account(tag, delta);
      if (inRun) check_machine(`after undoing round ${round}`);
    }
    expect(machine_consistent(), `seed ${seed} machine ${m}: every plant undone`).toBe(true);
    check_begin(false, 'hand-made');
  }
  // Both sides of the property were exercised.
  expect(consistent).toBeGreaterThan(20);
  expect(violations).toBeGreaterThan(200);
}

describe('--check: the typed-array pass against the full check', () => {
  it(`says "consistent" exactly when memdesc_check_all() finds nothing, and check_machine() reports the full check (seed ${seed})`, () => {
    compareRounds(seed, false);
  });
  it(`incremental within a --check run, reports what the full check reports, plant after plant (seed ${seed})`, () => {
    compareRounds(seed, true);
  });
});
