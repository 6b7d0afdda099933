/**
 * include/linux/gfp.ts format_gfp() keeps the texts of the masks it formatted: a kept text must be
 * the one %pGg's definition gives, the first time, again, and after the table started over.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../corpus/sim/random.ts';
import * as gfp from '../../corpus/include/linux/gfp.ts';

const seed = Number(process.env.MEMDESC_TEST_SEED ?? Date.now() % 1_000_000);
console.log(`test/corpus/gfp.test.ts seed=${seed} (MEMDESC_TEST_SEED=${seed} repeats it)`);

const COMPOSITES = ['GFP_HIGHUSER_MOVABLE', 'GFP_KERNEL_ACCOUNT', 'GFP_KERNEL', 'GFP_ATOMIC', 'GFP_NOWAIT'] as const;
const BITS = [
  '__GFP_ZERO', '__GFP_COMP', '__GFP_DMA32', '__GFP_NOWARN', '__GFP_ACCOUNT', '__GFP_MOVABLE', '__GFP_RECLAIMABLE',
  '__GFP_HIGH', '__GFP_NORETRY', '__GFP_IO', '__GFP_FS', '__GFP_DIRECT_RECLAIM', '__GFP_KSWAPD_RECLAIM',
  '__GFP_HARDWALL', '__GFP_HIGHMEM',
] as const;

/** %pGg by its definition: the first composite the mask holds whole, then each remaining bit by name, then the rest in hex. */
function reference(mask: number): string {
  const values = gfp as unknown as Record<string, number>;
  let rest = mask;
  const parts: string[] = [];
  const composite = COMPOSITES.find((n) => (rest & values[n]!) === values[n]!);
  if (composite) { parts.push(composite); rest &= ~values[composite]!; }
  for (const n of BITS) if (rest & values[n]!) { parts.push(n); rest &= ~values[n]!; }
  if (rest) parts.push('0x' + rest.toString(16));
  return parts.length ? parts.join('|') : '0';
}

describe('format_gfp', () => {
  it(`gives the definition's text, formatted or kept, across the table's restarts (seed ${seed})`, () => {
    const rng = new Rng(seed);
    const known = [0, gfp.GFP_KERNEL, gfp.GFP_ATOMIC, gfp.GFP_KERNEL | gfp.__GFP_ZERO, gfp.GFP_HIGHUSER_MOVABLE | gfp.__GFP_COMP];
    const masks = [...known];
    // More distinct masks than the table keeps, some again later: kept, dropped and formatted anew.
    for (let i = 0; i < 6000; i++) masks.push(rng.chance(0.3) ? rng.pick(masks) : rng.u32() & 0x3ffffff);
    for (const m of masks) expect(gfp.format_gfp(m), `seed ${seed} mask 0x${m.toString(16)}`).toBe(reference(m));
    for (const m of known) expect(gfp.format_gfp(m)).toBe(reference(m));
  });
});
