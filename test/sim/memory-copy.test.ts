/**
 * sim/memory.ts copies a linear range (direct map) as one piece and a vmalloc range page by
 * page: both must move the bytes a byte-by-byte copy moves, overlapping memcpy included (as if
 * the source were read first), and fault on the same addresses.
 */
import { describe, expect, it } from 'vitest';
import { boot } from '../../corpus/sim/boot.ts';
import { memcpy, memset, copy_to, copy_from, read8 } from '../../corpus/sim/memory.ts';
import { vmalloc, vfree } from '../../corpus/include/linux/vmalloc.ts';
import { PAGE_OFFSET, PAGE_SIZE } from '../../corpus/arch/x86/include/asm/page_64_types.ts';
import { KernelPageFault } from '../../corpus/sim/errors.ts';
import { Rng } from '../../corpus/sim/random.ts';

const seed = Number(process.env.MEMDESC_TEST_SEED ?? Date.now() % 1_000_000);
console.log(`test/sim/memory-copy.test.ts seed=${seed} (MEMDESC_TEST_SEED=${seed} repeats it)`);

const RAM = 16 * 1024 * 1024;

describe('memory copies', () => {
  it('memcpy, memset, copy_to and copy_from equal a byte-by-byte model on direct-map and vmalloc ranges', () => {
    boot({ ram: RAM });
    const rng = new Rng(seed);
    // A direct-map window in the middle of RAM and a vmalloc area: each a model array beside it.
    const SPAN = 6 * PAGE_SIZE;
    const direct = PAGE_OFFSET + RAM / 2;
    const vm = vmalloc(SPAN, 'memory-copy test')!;
    expect(vm).toBeGreaterThan(0);
    const ranges = [direct, vm];
    const model = ranges.map((base) => {
      const m = new Uint8Array(SPAN);
      for (let i = 0; i < SPAN; i++) m[i] = read8(base + i);
      return m;
    });
    for (let step = 0; step < 400; step++) {
      const a = rng.below(2);
      const b = rng.below(2);
      const len = rng.below(2 * PAGE_SIZE);
      const x = rng.below(SPAN - len + 1);
      const y = rng.below(SPAN - len + 1);
      const op = rng.below(4);
      if (op === 0) {
        memcpy(ranges[b]! + y, ranges[a]! + x, len);
        model[b]!.set(model[a]!.slice(x, x + len), y);
      } else if (op === 1) {
        const c = rng.below(256);
        memset(ranges[a]! + x, c, len);
        model[a]!.fill(c, x, x + len);
      } else if (op === 2) {
        const data = rng.fill(new Uint8Array(len));
        copy_to(ranges[a]! + x, data);
        model[a]!.set(data, x);
      } else {
        const got = copy_from(ranges[a]! + x, len);
        expect(got.length).toBe(len);
        expect(Buffer.from(got).equals(model[a]!.subarray(x, x + len)), `step ${step}`).toBe(true);
        // A copy, not a view: writing it leaves memory alone.
        if (len > 0) got[0] = got[0]! ^ 0xff;
      }
      if (step % 50 === 49) {
        for (let r = 0; r < 2; r++) for (let i = 0; i < SPAN; i++) if (read8(ranges[r]! + i) !== model[r]![i]) expect.fail(`step ${step}: range ${r} byte ${i}`);
      }
    }
    vfree(vm);
  });

  it('a range running past the end of the direct map faults, as before, and writes nothing', () => {
    boot({ ram: RAM });
    const last = PAGE_OFFSET + RAM - 8;
    memset(last, 0x5a, 8);
    expect(() => memset(last, 0, 16)).toThrow(KernelPageFault);
    expect(() => copy_to(last, new Uint8Array(16))).toThrow(KernelPageFault);
    expect(() => copy_from(last, 16)).toThrow(KernelPageFault);
    expect(() => memcpy(PAGE_OFFSET, last, 16)).toThrow(KernelPageFault);
    expect([...copy_from(last, 8)]).toEqual(new Array(8).fill(0x5a));
  });
});
