import { describe, it, expect } from 'vitest';
import { run_simulation, workload_names } from '../../corpus/sim/run.ts';

describe('workloads', () => {
  it.each(workload_names())('%s is deterministic per seed and runs clean', (workload) => {
    const a = run_simulation({ workload, seed: 1, ops: 1500 });
    const b = run_simulation({ workload, seed: 1, ops: 1500 });
    const c = run_simulation({ workload, seed: 2, ops: 1500 });
    expect(a.bug).toBeUndefined();
    expect(c.bug).toBeUndefined();
    expect(a.digest).toBe(b.digest);
    expect(a.eventCount).toBe(b.eventCount);
    expect(c.digest).not.toBe(a.digest);
  });

  it('mixed exercises all six kinds and reports on all of them', () => {
    const r = run_simulation({ workload: 'mixed', seed: 1, ops: 8000, keepTrace: true });
    expect(r.bug).toBeUndefined();
    const events = new Set(r.events.map((e) => e.split(':')[0]));
    // buddy, slab, page tables (process faults), zsmalloc (zswap), vmalloc, anonymous folios.
    for (const k of ['buddy', 'slab', 'kmalloc', 'mm', 'mm_page_alloc', 'zswap_store', 'zswap_load', 'vmalloc', 'mm_vmscan_reclaim_page']) {
      expect(events, k).toContain(k);
    }
    const names = r.reports.map((x) => x.name);
    for (const n of ['buddyinfo', 'slabinfo', 'meminfo', 'vmallocinfo', 'zsmalloc', 'zswap', 'memory-failure', 'kpageflags']) {
      expect(names).toContain(n);
    }
  });
});
