/**
 * The mm and zswap workloads' page contents (sim/workloads/mm.ts page_pattern()) are built a
 * record at a time: every word must be what the pattern's definition gives word by word, for
 * plain, mostly-noise (stamp % 16 == 5) and all-noise (stamp % 64 == 11) stamps alike, since
 * the pages are the oracle's data (compressed by zswap, checked on every read).
 */
import { describe, expect, it } from 'vitest';
import { page_pattern } from '../../corpus/sim/workloads/mm.ts';
import { Rng } from '../../corpus/sim/random.ts';

const seed = Number(process.env.MEMDESC_TEST_SEED ?? Date.now() % 1_000_000);
console.log(`test/sim/page-pattern.test.ts seed=${seed} (MEMDESC_TEST_SEED=${seed} repeats it)`);

const PAGE_SIZE = 4096;

/** The definition, one word at a time. */
function reference(stamp: number): Uint8Array {
  const words = new Uint32Array(PAGE_SIZE / 4);
  const base = Math.imul(stamp, 0x9e3779b1) >>> 0;
  for (let i = 0; i < words.length; i++) {
    words[i] = (i & 15) === 0 ? (base ^ (i >>> 4)) >>> 0 : (base + Math.imul(i & 15, 0x85ebca6b)) >>> 0;
  }
  const noisy = (stamp & 15) === 5 ? (PAGE_SIZE * 7) / 8 : (stamp & 63) === 11 ? PAGE_SIZE : 0;
  let x = (base | 1) >>> 0;
  for (let i = 1; i < noisy / 4; i++) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    if ((i & 15) !== 0) words[i] = x;
  }
  return new Uint8Array(words.buffer);
}

describe('page_pattern', () => {
  it(`equals its word-by-word definition (seed ${seed})`, () => {
    const rng = new Rng(seed);
    const stamps = [0, 1, 5, 11, 21, 75, 0xffffffff, 0x80000000];
    for (let n = 0; n < 400; n++) {
      const s = rng.u32();
      // Every class: plain, mostly noise (s % 16 == 5), all noise (s % 64 == 11).
      stamps.push(s, ((s & ~15) | 5) >>> 0, ((s & ~63) | 11) >>> 0);
    }
    for (const s of stamps) expect(Buffer.compare(page_pattern(s), reference(s)), `stamp ${s}`).toBe(0);
  });
});
