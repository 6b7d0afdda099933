/**
 * Micro-benchmarks of the corpus machine's core operations. Kernel tracepoints are off
 * (as in a kernel without tracing enabled); page poisoning stays at the simulation's default.
 */
import { bench, type BenchResult } from './harness.ts';
import { boot } from '../corpus/sim/boot.ts';
import { alloc_pages, __free_pages, page_alloc_debug } from '../corpus/mm/page_alloc.ts';
import { GFP_KERNEL } from '../corpus/include/linux/gfp.ts';

export function corpusBenches(): BenchResult[] {
  const results: BenchResult[] = [];
  boot({ ram: 256 * 1024 * 1024, tracepoints: false });
  for (const poison of [true, false]) {
    page_alloc_debug.page_poisoning = poison;
    const suffix = poison ? ' (page poisoning on)' : ' (page poisoning off, kernel default)';
    results.push(bench(`buddy order-0 alloc+free${suffix}`, 200_000, (n) => {
      for (let i = 0; i < n; i++) __free_pages(alloc_pages(GFP_KERNEL, 0)!, 0);
    }, { target: '≤ 500 ns' }));
    results.push(bench(`buddy order-3 alloc+free${suffix}`, 100_000, (n) => {
      for (let i = 0; i < n; i++) __free_pages(alloc_pages(GFP_KERNEL, 3)!, 3);
    }));
  }
  page_alloc_debug.page_poisoning = true;
  return results;
}
