/**
 * The workloads' shortcuts must answer exactly what the slow forms did: Shadow.keyAt(i) is
 * `[...map.keys()][i]` under any mix of sets, deletes, clears and copies, and hex(n) is
 * n.toString(16) (the trace's bytes, hence every digest, rest on both).
 */
import { describe, expect, it } from 'vitest';
import { Shadow } from '../../corpus/sim/workloads/shadow.ts';
import { hex, formatKernelAddress } from '../../corpus/sim/errors.ts';
import { Rng } from '../../corpus/sim/random.ts';

const seed = Number(process.env.MEMDESC_TEST_SEED ?? Date.now() % 1_000_000);
console.log(`test/sim/shadow.test.ts seed=${seed} (MEMDESC_TEST_SEED=${seed} repeats it)`);

describe('Shadow', () => {
  it('keyAt(i) is the i-th key of the Map at every step of a random history', () => {
    const rng = new Rng(seed);
    const shadows: Shadow[] = [new Shadow()];
    for (let step = 0; step < 20_000; step++) {
      const s = rng.pick(shadows);
      const op = rng.weighted([50, 10, 25, 1, 2]);
      const key = rng.below(64) * 4096;
      if (op === 0) s.set(key, rng.u32());
      else if (op === 1) s.delete(key);
      else if (op === 2) {
        const keys = [...s.keys()];
        const i = rng.below(keys.length + 1);
        expect(s.keyAt(i), `step ${step}`).toBe(keys[i]);
      } else if (op === 3) s.clear();
      else if (shadows.length < 8) shadows.push(new Shadow(s));
    }
    for (const s of shadows) {
      const keys = [...s.keys()];
      keys.forEach((k, i) => expect(s.keyAt(i)).toBe(k));
    }
  });

  it('a copy holds the same entries in the same order and lists its own keys', () => {
    const a = new Shadow([[3, 1], [1, 2], [2, 3]]);
    expect(a.keyAt(0)).toBe(3);
    const b = new Shadow(a);
    b.set(9, 9);
    expect([...b.entries()]).toEqual([[3, 1], [1, 2], [2, 3], [9, 9]]);
    expect(b.keyAt(3)).toBe(9);
    expect(a.keyAt(3)).toBeUndefined();
  });
});

describe('hex', () => {
  it('gives the digits toString(16) gives, around every boundary and at random', () => {
    const rng = new Rng(seed);
    const edges = [0, 1, 15, 16, 0xffffff, 0x1000000, 0x1000001, 0xffffffff, 2 ** 32, 2 ** 47, 2 ** 48 - 1, 2 ** 48, 2 ** 53 - 1, -1, -(2 ** 40), 0.5, 2 ** 40 + 0.5, NaN, Infinity];
    const xs = [...edges];
    for (let i = 0; i < 20_000; i++) xs.push(rng.u32() * 65536 + (rng.u32() & 0xffff), rng.u32() * (1 + rng.below(0x1000000)));
    for (const x of xs) expect(hex(x), String(x)).toBe(x.toString(16));
  });

  it('formatKernelAddress prints direct-map and vmemmap addresses sign-extended', () => {
    expect(formatKernelAddress(0x888000001000)).toBe('ffff888000001000');
    expect(formatKernelAddress(0xea0000000040)).toBe('ffffea0000000040');
    expect(formatKernelAddress(0x800000000000)).toBe('ffff800000000000');
    expect(formatKernelAddress(0x1000)).toBe('0000000000001000');
  });
});
