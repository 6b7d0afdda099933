/**
 * sim/workloads/hwpoison.ts pick_pfn() tests each pfn's kpageflags value with masks of its two
 * 32-bit halves: it must pick what the bit-by-bit definition picks (the candidates of the kind,
 * compound pages and poisoned pfns left out, one chosen by the same random draw) on machines in
 * many states, and consume the same draws.
 */
import { describe, expect, it } from 'vitest';
import { boot } from '../../corpus/sim/boot.ts';
import { Rng } from '../../corpus/sim/random.ts';
import { pick_pfn } from '../../corpus/sim/workloads/hwpoison.ts';
import { mm_reap, mm_setup, mm_step } from '../../corpus/sim/workloads/mm.ts';
import { slab_setup, slab_step } from '../../corpus/sim/workloads/slab.ts';
import { memory_failure } from '../../corpus/mm/memory-failure.ts';
import { max_pfn } from '../../corpus/include/linux/mm.ts';
import {
  kpageflags, KPF_SLAB, KPF_PGTABLE, KPF_ANON, KPF_LRU, KPF_ZSMALLOC, KPF_COMPOUND_TAIL, KPF_COMPOUND_HEAD, KPF_HWPOISON,
} from '../../corpus/fs/proc/page.ts';
import { zs_create_pool, zs_malloc } from '../../corpus/mm/zsmalloc.ts';
import { GFP_KERNEL, __GFP_NOWARN } from '../../corpus/include/linux/gfp.ts';

const seed = Number(process.env.MEMDESC_TEST_SEED ?? Date.now() % 1_000_000);
console.log(`test/sim/hwpoison-pick.test.ts seed=${seed} (MEMDESC_TEST_SEED=${seed} repeats it)`);

/** Bit `b` of a kpageflags value, by division (the definition). */
const has = (f: number, b: number): boolean => Math.floor(f / 2 ** b) % 2 === 1;

/** pick_pfn() by its definition: every candidate of the kind, one picked by the next draw. */
function reference(rng: Rng, kind: 'slab' | 'pgtable' | 'zsmalloc' | 'anon'): number | null {
  const flags = kpageflags();
  const candidates: number[] = [];
  for (let pfn = 0; pfn < flags.length; pfn++) {
    const f = flags[pfn]!;
    if (has(f, KPF_HWPOISON) || has(f, KPF_COMPOUND_TAIL) || has(f, KPF_COMPOUND_HEAD)) continue;
    const bits = { slab: [KPF_SLAB], pgtable: [KPF_PGTABLE], zsmalloc: [KPF_ZSMALLOC], anon: [KPF_ANON, KPF_LRU] }[kind];
    if (bits.every((b) => has(f, b))) candidates.push(pfn);
  }
  return candidates.length ? rng.pick(candidates) : null;
}

describe('hwpoison pick_pfn', () => {
  it(`picks what the bit-by-bit definition picks (seed ${seed})`, () => {
    boot({ ram: 16 * 1024 * 1024 });
    const rng = new Rng(seed);
    const ctx = { rng, ops: 300, seed };
    const mm = mm_setup(6, 64, 256);
    const slab = slab_setup();
    const pool = zs_create_pool('pick-test');
    let found = 0;
    for (let op = 0; op < 300; op++) {
      if (rng.chance(0.5)) mm_step(ctx, mm, op);
      else slab_step(ctx, slab, op);
      if (rng.chance(0.3)) zs_malloc(pool, rng.range(32, 3000), GFP_KERNEL | __GFP_NOWARN);
      // A poisoned anonymous page kills its process; the workload reaps it as hwpoison's does.
      if (rng.chance(0.02)) { memory_failure(rng.below(max_pfn())); mm_reap(mm); }
      if (op % 30 !== 29) continue;
      for (const kind of ['slab', 'pgtable', 'zsmalloc', 'anon'] as const) {
        const s = rng.u32();
        const got = pick_pfn(new Rng(s), kind);
        const want = reference(new Rng(s), kind);
        expect(got, `seed ${seed} op ${op} ${kind}`).toBe(want);
        if (want !== null) found++;
      }
    }
    // Candidates of the kinds existed, so the picks compared were real ones.
    expect(found).toBeGreaterThan(20);
  });
});
