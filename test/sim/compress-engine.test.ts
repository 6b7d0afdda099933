/**
 * sim/compress.ts compresses inputs it has not kept with one zlib stream per parameter set, reset
 * after each use: every result must be deflateRawSync()'s bytes, whatever came before on that
 * stream (any size, compressible or not, results too large for its output buffer, other
 * parameter sets in between).
 */
import { describe, expect, it } from 'vitest';
import { constants, deflateRawSync } from 'node:zlib';
import { deflate_raw, deflate_engine_ready } from '../../corpus/sim/compress.ts';
import { Rng } from '../../corpus/sim/random.ts';

const seed = Number(process.env.MEMDESC_TEST_SEED ?? Date.now() % 1_000_000);
console.log(`test/sim/compress-engine.test.ts seed=${seed} (MEMDESC_TEST_SEED=${seed} repeats it)`);

/** zswap's parameters, and others the stream must keep apart. */
const PARAMS = [
  { level: constants.Z_DEFAULT_COMPRESSION, windowBits: 11, memLevel: 8, strategy: constants.Z_DEFAULT_STRATEGY },
  { level: 1, windowBits: 15, memLevel: 9, strategy: constants.Z_DEFAULT_STRATEGY },
  { level: 9, windowBits: 9, memLevel: 1, strategy: constants.Z_FILTERED },
  { level: 6, windowBits: 12, memLevel: 8, strategy: constants.Z_RLE },
];

/** An input of one of several shapes: page-like records, runs, noise, mixtures; sizes 0..96 KiB. */
function input(rng: Rng, n: number): Uint8Array {
  const size = rng.chance(0.1) ? rng.below(96 * 1024) : rng.chance(0.2) ? rng.below(64) : rng.range(1024, 8192);
  const out = new Uint8Array(size);
  const shape = rng.below(4);
  if (shape === 0) rng.fill(out);
  else if (shape === 1) out.fill(rng.below(256));
  else {
    const words = rng.range(1, 32);
    for (let i = 0; i < size; i++) out[i] = (Math.imul((i % (words * 4)) + n, 0x9e3779b1) >>> 24) & 0xff;
    if (shape === 3) for (let i = rng.below(size + 1); i < size; i++) out[i] = rng.u32() & 0xff;
  }
  return out;
}

describe('deflate_raw through a reused zlib stream', () => {
  it('is used on this node (the probe gives deflateRawSync bytes)', () => {
    for (const p of PARAMS) expect(deflate_engine_ready(p), JSON.stringify(p)).toBe(true);
  });

  it(`equals deflateRawSync for every input, parameter sets interleaved (seed ${seed})`, () => {
    const rng = new Rng(seed);
    for (let n = 0; n < 600; n++) {
      const p = PARAMS[rng.below(PARAMS.length)]!;
      const src = input(rng, n);
      const got = deflate_raw(src, p);
      expect(Buffer.compare(got, deflateRawSync(src, p)), `seed ${seed} input ${n} (${src.length} bytes, ${JSON.stringify(p)})`).toBe(0);
    }
  });

  it('a result larger than the stream buffer comes whole (deflateRawSync), and the stream goes on', () => {
    const rng = new Rng(seed + 1);
    const big = rng.fill(new Uint8Array(200 * 1024));
    const p = PARAMS[0]!;
    expect(Buffer.compare(deflate_raw(big, p), deflateRawSync(big, p))).toBe(0);
    const page = input(rng, 1);
    expect(Buffer.compare(deflate_raw(page, p), deflateRawSync(page, p))).toBe(0);
    expect(deflate_engine_ready(p)).toBe(true);
  });
});
