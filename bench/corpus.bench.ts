/**
 * Micro-benchmarks of the corpus machine's core operations. Kernel tracepoints are off
 * (as in a kernel without tracing enabled). Page poisoning is measured both ways: the
 * simulation runs with it on; the kernel's hardware figures are without it.
 */
import { bench, type BenchResult } from './harness.ts';
import { boot } from '../corpus/sim/boot.ts';
import { alloc_pages, __free_pages, page_alloc_debug } from '../corpus/mm/page_alloc.ts';
import { GFP_KERNEL } from '../corpus/include/linux/gfp.ts';
import { kmalloc, kfree } from '../corpus/include/linux/slab.ts';
import { process_create, fork_process } from '../corpus/kernel/fork.ts';
import { process_exit } from '../corpus/kernel/exit.ts';
import { do_mmap_anon, do_munmap, PROT_READ, PROT_WRITE } from '../corpus/mm/mmap.ts';
import { handle_mm_fault } from '../corpus/mm/memory.ts';
import { zs_create_pool, zs_malloc, zs_free } from '../corpus/mm/zsmalloc.ts';
import { vmalloc, vfree } from '../corpus/include/linux/vmalloc.ts';
import { memory_failure } from '../corpus/mm/memory-failure.ts';
import { free_blocks } from '../corpus/mm/page_alloc.ts';
import { Rng } from '../corpus/sim/random.ts';
import { shrink_node_anon } from '../corpus/mm/vmscan.ts';
import { access_process_vm_read, access_process_vm_write } from '../corpus/mm/memory.ts';
import { page_pattern } from '../corpus/sim/workloads/mm.ts';

const RAM = 256 * 1024 * 1024;

export function corpusBenches(): BenchResult[] {
  const results: BenchResult[] = [];
  boot({ ram: RAM, tracepoints: false });
  // Production config (the kernel's hardware figures: no DEBUG_VM, no poisoning) first, then
  // the simulation's own config (checks on every pcp transition, page poisoning).
  const configs = [
    { debug_vm: false, poison: false, label: 'production config: checks batched, no poisoning' },
    { debug_vm: true, poison: false, label: 'DEBUG_VM' },
    { debug_vm: true, poison: true, label: 'DEBUG_VM + page poisoning, as simulated' },
  ];
  for (const cfg of configs) {
    page_alloc_debug.debug_vm = cfg.debug_vm;
    page_alloc_debug.page_poisoning = cfg.poison;
    results.push(bench(`buddy order-0 alloc+free [${cfg.label}]`, 200_000, (n) => {
      for (let i = 0; i < n; i++) __free_pages(alloc_pages(GFP_KERNEL, 0)!, 0);
    }, { target: '≤ 500 ns' }));
    results.push(bench(`buddy order-3 alloc+free [${cfg.label}]`, 100_000, (n) => {
      for (let i = 0; i < n; i++) __free_pages(alloc_pages(GFP_KERNEL, 3)!, 3);
    }));
  }
  page_alloc_debug.debug_vm = true;
  page_alloc_debug.page_poisoning = true;
  results.push(bench('kmalloc(64)+kfree', 500_000, (n) => {
    for (let i = 0; i < n; i++) kfree(kmalloc(64, GFP_KERNEL));
  }, { target: '≤ 300 ns' }));

  const task = process_create('bench')!;
  const region = do_mmap_anon(task, 2 * 1024 * 1024, PROT_READ | PROT_WRITE);
  // Keep the region's page tables alive so the loop measures the fault and the unmap.
  handle_mm_fault(task, region + 1024 * 1024, true);
  results.push(bench('page fault + unmap of one anonymous page', 20_000, (n) => {
    for (let i = 0; i < n; i++) {
      handle_mm_fault(task, region, true);
      do_munmap(task, region, 4096);
      do_mmap_anon(task, 4096, PROT_READ | PROT_WRITE);
    }
  }));
  process_exit(task);

  const parent = process_create('parent')!;
  const mib = do_mmap_anon(parent, 1024 * 1024, PROT_READ | PROT_WRITE);
  for (let off = 0; off < 1024 * 1024; off += 4096) handle_mm_fault(parent, mib + off, true);
  results.push(bench('fork+exit of a process with 1 MiB touched', 500, (n) => {
    for (let i = 0; i < n; i++) process_exit(fork_process(parent)!);
  }, { batches: 5 }));
  process_exit(parent);

  const pool = zs_create_pool('bench');
  const rng = new Rng(1);
  const sizes = Array.from({ length: 4096 }, () => rng.range(32, 4096));
  const live: number[] = [];
  for (let i = 0; i < 2000; i++) live.push(zs_malloc(pool, sizes[i % sizes.length]!, GFP_KERNEL));
  let k = 0;
  results.push(bench('zs_malloc+zs_free (random 32–4096 B, 2000 live)', 50_000, (n) => {
    for (let i = 0; i < n; i++, k++) {
      const slot = k % live.length;
      zs_free(pool, live[slot]!);
      live[slot] = zs_malloc(pool, sizes[k % sizes.length]!, GFP_KERNEL);
    }
  }, { target: '≤ 10× kernel (~1.8 µs)' }));

  results.push(bench('vmalloc+vfree of 16 KiB', 20_000, (n) => {
    for (let i = 0; i < n; i++) vfree(vmalloc(16384));
  }, { target: '≤ 10 µs' }));

  // Reclaim into zswap and fault back: a process with 512 written pages, reclaimed and re-read.
  const user = process_create('reclaim')!;
  const area = do_mmap_anon(user, 512 * 4096, PROT_READ | PROT_WRITE);
  for (let i = 0; i < 512; i++) access_process_vm_write(user, area + i * 4096, page_pattern(i));
  results.push(bench('reclaim + refault of one anonymous page (zswap)', 256, (n) => {
    let done = 0;
    while (done < n) {
      const got = shrink_node_anon(Math.min(64, n - done));
      for (let i = 0; i < 512; i++) access_process_vm_read(user, area + i * 4096, 8);
      done += Math.max(got, 1);
    }
  }, { batches: 5 }));
  process_exit(user);

  // memory_failure of one free pfn: each run poisons a different page for good.
  const victims: number[] = [];
  for (const [pfn, order] of free_blocks()) for (let i = 0; i < 1 << order && victims.length < 60_000; i++) victims.push(pfn + i);
  let v = 0;
  results.push(bench('memory_failure of one free pfn', 2_000, (n) => {
    for (let i = 0; i < n; i++) memory_failure(victims[v++]!);
  }, { batches: 5 }));
  return results;
}
