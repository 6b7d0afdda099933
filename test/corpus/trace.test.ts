/**
 * The run's digest hashes exactly its event lines and then its reports, each line followed by a
 * newline (sim/trace.ts hashes them in chunks, not one update per event: the bytes must not change).
 */
import { describe, it, expect } from 'vitest';
import { createHash } from 'node:crypto';
import { run_simulation } from '../../corpus/sim/run.ts';
import { layout_dependent_report } from '../../corpus/sim/workloads/index.ts';

describe('trace digest', () => {
  it.each(['mixed', 'slab'])('%s: the digest is sha256 of every event line, then every report', (workload) => {
    const r = run_simulation({ workload, seed: 3, ops: 1500, keepTrace: true });
    const text = r.events.join('\n').length;
    // More text than one hashing chunk (64 Ki characters): chunk boundaries are crossed.
    expect(text).toBeGreaterThan(1 << 17);
    const h = createHash('sha256');
    for (const e of r.events) h.update(`${e}\n`);
    for (const rep of r.reports) if (!layout_dependent_report(rep.name)) h.update(`== ${rep.title} ==\n${rep.text}\n`);
    expect(r.digest).toBe(h.digest('hex'));
    expect(r.eventCount).toBe(r.events.length);
  });
});
