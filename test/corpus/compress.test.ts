/**
 * sim/compress.ts: deflate with kept results gives zlib's bytes for every input, the same input
 * again included, and never a kept result for an input that differs from it in one byte.
 */
import { describe, it, expect } from 'vitest';
import { deflateRawSync } from 'node:zlib';
import { deflate_raw } from '../../corpus/sim/compress.ts';

const OPTS = { level: -1, windowBits: 11, memLevel: 8 };

/** A page of mostly repeating words with some noise, from a small PRNG (seed printed on failure). */
function page(seed: number): Uint8Array {
  const w = new Uint32Array(1024);
  let x = seed | 1;
  for (let i = 0; i < w.length; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    w[i] = (i & 7) === 0 ? x : seed;
  }
  return new Uint8Array(w.buffer);
}

describe('deflate_raw', () => {
  it('equals deflateRawSync, for new inputs and inputs seen before', () => {
    const seeds = Array.from({ length: 40 }, (_, i) => 1000 + (i % 25));
    for (const s of seeds) {
      const src = page(s);
      expect(Buffer.compare(deflate_raw(src, OPTS), deflateRawSync(src, OPTS)), `seed ${s}`).toBe(0);
    }
  });

  it('an input one byte away from a kept one gets its own result', () => {
    const src = page(77);
    const kept = Buffer.from(deflate_raw(src, OPTS));
    for (const at of [0, 1, 2049, 4095]) {
      const other = src.slice();
      other[at] ^= 0x5a;
      const got = deflate_raw(other, OPTS);
      expect(Buffer.compare(got, deflateRawSync(other, OPTS)), `byte ${at}`).toBe(0);
      expect(Buffer.compare(got, kept), `byte ${at}`).not.toBe(0);
    }
    // The kept input was copied: changing the caller's buffer later changes nothing kept.
    const again = src.slice();
    src.fill(0);
    expect(Buffer.compare(deflate_raw(again, OPTS), kept)).toBe(0);
  });

  it('other parameters are another result', () => {
    const src = page(5);
    const fast = { ...OPTS, level: 1 };
    expect(Buffer.compare(deflate_raw(src, fast), deflateRawSync(src, fast))).toBe(0);
    expect(Buffer.compare(deflate_raw(src, OPTS), deflateRawSync(src, OPTS))).toBe(0);
  });
});
