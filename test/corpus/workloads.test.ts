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

  it('mixed exercises buddy, slab and process memory', () => {
    const r = run_simulation({ workload: 'mixed', seed: 1, ops: 3000, keepTrace: true });
    const kinds = new Set(r.events.map((e) => e.split(':')[0]));
    for (const k of ['buddy', 'slab', 'mm', 'mm_page_alloc', 'kmalloc']) expect(kinds).toContain(k);
    const names = r.reports.map((x) => x.name);
    for (const n of ['buddyinfo', 'slabinfo', 'meminfo']) expect(names).toContain(n);
  });
});
