/**
 * sim/errors.ts formatKernelAddress() keeps the last texts it made in a direct-mapped table:
 * every call must give the kernel's %px text of its own address, whatever the table held (the
 * same slot reused by other addresses, fractions, the ends of the range, non-kernel values).
 */
import { describe, expect, it } from 'vitest';
import { formatKernelAddress, hex } from '../../corpus/sim/errors.ts';
import { Rng } from '../../corpus/sim/random.ts';

const seed = Number(process.env.MEMDESC_TEST_SEED ?? Date.now() % 1_000_000);
console.log(`test/sim/format-address.test.ts seed=${seed} (MEMDESC_TEST_SEED=${seed} repeats it)`);

/** The text by definition: sign-extended 64-bit hex, 16 digits. */
function want(addr: number): string {
  if (!Number.isFinite(addr)) return String(addr);
  if (addr >= 0x800000000000 && addr < 0x1000000000000) return 'ffff' + addr.toString(16).padStart(12, '0');
  if (addr < 0) return BigInt.asUintN(64, BigInt(addr)).toString(16).padStart(16, '0');
  return BigInt(Math.trunc(addr)).toString(16).padStart(16, '0');
}

describe('formatKernelAddress', () => {
  it(`gives each address its own text, call after call (seed ${seed})`, () => {
    const rng = new Rng(seed);
    const seen: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      let addr: number;
      const r = rng.below(10);
      if (r < 3 && seen.length) addr = seen[rng.below(seen.length)]!; // again
      else if (r < 5 && seen.length) addr = seen[rng.below(seen.length)]! + 2 ** 32 * (1 + rng.below(4)); // same low bits (and slot), another address
      else if (r < 8) addr = 0x888000000000 + 16 * rng.below(2 ** 26); // direct map
      else if (r === 8) addr = [0x800000000000, 0xffffffffffff, 0x7fffffffffff, 0x1000000000000, 0, -8, 2 ** 53 + 2, NaN, Infinity][rng.below(9)]!;
      else addr = 0xea0000000000 + rng.below(2 ** 30) + rng.below(4) / 4; // vmemmap, sometimes a fraction
      seen.push(addr);
      expect(formatKernelAddress(addr), `seed ${seed} call ${i}: ${addr}`).toBe(want(addr));
    }
  });

  it('hex() is toString(16)', () => {
    for (const n of [0, 1, 0xffffff, 0x1000000, 0x888000000010, 0xffffffffffff, 2 ** 48, 2 ** 53, 1.5, -3]) expect(hex(n)).toBe(n.toString(16));
  });
});
