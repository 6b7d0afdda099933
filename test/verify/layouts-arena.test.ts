/**
 * The placement-preserving mode in process (corpus/sim/arena.ts): on a machine where struct
 * slabs are allocated separately, descriptor memory moves no other allocation (the same pages,
 * objects, events and reports as a stage-1 machine doing the same work), while the descriptors
 * themselves are real (counted, 16-byte aligned, checked by memdesc_check_all()). And a stage-1
 * machine in that mode is the real one: the arena never opens. Plus --check's refusal of a
 * workload it cannot check.
 */
import { describe, it, expect } from 'vitest';
import { boot, machine_info, STAGE1_STRUCT_PAGE_SIZE } from '../../corpus/sim/boot.ts';
import { memdesc_stats, memdesc_check_all, memdesc_slab } from '../../corpus/include/linux/memdesc.ts';
import { nr_free_pages } from '../../corpus/mm/page_alloc.ts';
import { slab_memdesc_init } from '../../corpus/mm/slub.ts';
import { slabinfo } from '../../corpus/mm/slab_common.ts';
import { kmem_cache_create, kmem_cache_alloc, kmem_cache_free, kmalloc, kfree } from '../../corpus/include/linux/slab.ts';
import { GFP_KERNEL } from '../../corpus/include/linux/gfp.ts';
import { virt_to_page, max_pfn } from '../../corpus/include/linux/mm.ts';
import { STRUCT_PAGE_SIZE } from '../../corpus/include/linux/mm_types.ts';
import { PAGE_OFFSET } from '../../corpus/arch/x86/include/asm/page_64_types.ts';
import { read64 } from '../../corpus/sim/memory.ts';
import { KernelPageFault, SimConfigError } from '../../corpus/sim/errors.ts';
import { trace_lines } from '../../corpus/sim/trace.ts';
import { meminfo_text } from '../../corpus/mm/vmstat.ts';
import { check_begin, check_end } from '../../corpus/sim/check.ts';
import { run_simulation } from '../../corpus/sim/run.ts';
import { Rng } from '../../corpus/sim/random.ts';

const MiB = 1024 * 1024;
const RAM = 32 * MiB;

interface Observed {
  objects: number[];
  free: number;
  slabinfo: string;
  meminfo: string;
  events: readonly string[];
}

/**
 * A fixed piece of work on a fresh machine: a cache created after boot, objects allocated and
 * freed in a seeded order, kmalloc too. `separate`: struct slabs from the descriptor cache.
 */
function work(placement: 'real' | 'preserve', separate: boolean, seed: number): Observed {
  boot({ ram: RAM, placement, keepTrace: true, tracepoints: true });
  if (separate) slab_memdesc_init();
  const rng = new Rng(seed);
  const s = kmem_cache_create('arena-test', 8 + 8 * rng.below(60), 0, 0);
  const live: number[] = [];
  const objects: number[] = [];
  for (let i = 0; i < 3000; i++) {
    if (live.length === 0 || rng.chance(0.6)) {
      const o = rng.chance(0.5) ? kmem_cache_alloc(s, GFP_KERNEL) : kmalloc(16 << rng.below(7), GFP_KERNEL);
      live.push(o);
      objects.push(o);
    } else {
      const o = live.splice(rng.below(live.length), 1)[0]!;
      if (virt_to_page(o).mapping === s.addr) kmem_cache_free(s, o);
      else kfree(o);
    }
  }
  if (separate) expect(memdesc_check_all()).toEqual([]);
  return { objects, free: nr_free_pages(), slabinfo: slabinfo(), meminfo: meminfo_text(), events: [...trace_lines()] };
}

describe('placement-preserving runs (the metadata arena)', () => {
  it('separately allocated struct slabs move no page, object, event or report line (3 seeds, printed)', () => {
    for (const seed of [1, 2, 3]) {
      console.log(`arena equality seed: ${seed}`);
      const stage1 = work('real', false, seed);
      const stage2 = work('preserve', true, seed);
      expect(stage2.objects).toEqual(stage1.objects);
      expect(stage2.free).toBe(stage1.free);
      expect(stage2.slabinfo).toBe(stage1.slabinfo);
      expect(stage2.meminfo).toBe(stage1.meminfo);
      expect(stage2.events).toEqual(stage1.events);
      // The same work in real placement does move things: the descriptors take slab pages.
      const real = work('real', true, seed);
      expect(real.slabinfo).not.toBe(stage1.slabinfo);
      expect(real.free).toBeLessThan(stage1.free);
    }
  });

  it('arena descriptors are real descriptors: above RAM, 16-byte aligned, counted at the slab cache object size, checked', () => {
    const real = (): number => {
      boot({ ram: RAM, placement: 'real' });
      slab_memdesc_init();
      return memdesc_stats().find((r) => r.kind === 'slab')!.object_size;
    };
    const realSize = real();
    boot({ ram: RAM, placement: 'preserve' });
    slab_memdesc_init();
    const s = kmem_cache_create('arena-desc', 256, 0, 0);
    const objs = Array.from({ length: 200 }, () => kmem_cache_alloc(s, GFP_KERNEL));
    const slabs = [...new Set(objs.map((o) => virt_to_page(o).addr))];
    const row = memdesc_stats().find((r) => r.kind === 'slab')!;
    expect(row.object_size).toBe(realSize);
    expect(row.objects).toBe(slabs.length);
    for (const o of objs.slice(0, 20)) {
      const desc = memdesc_slab(virt_to_page(o));
      expect(desc - PAGE_OFFSET).toBeGreaterThanOrEqual(RAM);
      expect(desc % 16).toBe(0);
      expect(read64(desc)).toBe(virt_to_page(o).addr); // back pointer
    }
    expect(memdesc_check_all()).toEqual([]);
    for (const o of objs) kmem_cache_free(s, o);
    expect(memdesc_check_all()).toEqual([]);
    // The descriptor cache itself is not a slab cache of this machine.
    expect(slabinfo()).not.toMatch(/^slab /m);
  });

  it('a stage-1 machine in placement-preserving mode is the real one: the arena never opens, the memmap is carved as before', () => {
    boot({ ram: RAM, placement: 'preserve' });
    expect(machine_info().memmapCarvedBytes).toBe(max_pfn() * Math.max(STRUCT_PAGE_SIZE, STAGE1_STRUCT_PAGE_SIZE));
    expect(machine_info().memmapBytes).toBe(max_pfn() * STRUCT_PAGE_SIZE);
    // Just above RAM: a fault, exactly as on a real-placement machine.
    expect(() => read64(PAGE_OFFSET + RAM)).toThrow(KernelPageFault);
    boot({ ram: RAM, placement: 'real' });
    expect(() => read64(PAGE_OFFSET + RAM)).toThrow(KernelPageFault);
    const a = run_simulation({ workload: 'buddy', seed: 3, ram: RAM, ops: 300, placement: 'real' });
    const b = run_simulation({ workload: 'buddy', seed: 3, ram: RAM, ops: 300, placement: 'preserve' });
    expect(b.digest).toBe(a.digest);
    expect(b.layout).toEqual({ struct_page_bytes: STRUCT_PAGE_SIZE, descriptors: [], placement: 'preserve' });
  });

  it('--check refuses a workload that never reports its operations, and checks one that does', () => {
    check_begin(true, 'silent');
    expect(() => check_end(10)).toThrow(SimConfigError);
    const r = run_simulation({ workload: 'slab', seed: 1, ram: RAM, ops: 200, check: true });
    expect(r.bug).toBeUndefined();
  });
});
