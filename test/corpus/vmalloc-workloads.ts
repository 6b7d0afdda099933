/**
 * Workloads of the vmalloc tests that also have a speed limit, with the checks they share.
 * The tests run them for correctness; bench/limits.bench.ts times the very same code against
 * the limits (npm test has no timed assertions: a loaded machine must not fail it). Checks use
 * node:assert, not vitest, so the bench can run them outside the test runner.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { boot } from '../../corpus/sim/boot.ts';
import {
  vmalloc, vzalloc, vfree, vmalloc_to_page, vmalloc_to_pfn, find_vm_area, vmalloc_nr_pages, vm_unmap_aliases,
  get_vm_area_size, type VmStruct,
} from '../../corpus/include/linux/vmalloc.ts';
import { vmalloc_debug_check } from '../../corpus/mm/vmalloc.ts';
import { nr_free_pages, pcp_pages, global_zone_page_state } from '../../corpus/mm/page_alloc.ts';
import { page_to_pfn } from '../../corpus/include/linux/mm.ts';
import { Page } from '../../corpus/include/linux/mm_types.ts';
import { ZoneStat } from '../../corpus/include/linux/mmzone.ts';
import { copy_from, copy_to, read8, read64 } from '../../corpus/sim/memory.ts';
import { KernelPageFault } from '../../corpus/sim/errors.ts';

export const PAGE_SIZE = 4096;
export const MiB = 1024 * 1024;

/** A small seeded PRNG (mulberry32): the same sequence on every run. */
export function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Test data: bytes that differ by position and seed. */
export function pattern(len: number, seed: number): Uint8Array {
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) out[i] = (i * 29 + seed * 11 + (i >> 12)) & 0xff;
  return out;
}

export function equal_bytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
}

/** Every page of the machine: free, per-cpu, slab, large kmalloc, page tables and vmalloc. */
export function pages_accounted(): number {
  const g = global_zone_page_state;
  return nr_free_pages() + pcp_pages() + g(ZoneStat.NR_SLAB_RECLAIMABLE) + g(ZoneStat.NR_SLAB_UNRECLAIMABLE) +
    g(ZoneStat.NR_KMALLOC_LARGE) + g(ZoneStat.NR_PAGETABLE) + g(ZoneStat.NR_VMALLOC);
}

export function area_pages(vm: VmStruct): Page[] {
  const out: Page[] = [];
  for (let i = 0; i < vm.nr_pages; i++) out.push(new Page(read64(vm.pages + i * 8)));
  return out;
}

/** Each page of the area: found by the page-table walk, recorded in the pages array, owned by vm. */
export function check_area(addr: number): void {
  const vm = find_vm_area(addr);
  assert.ok(vm, `no vm_struct for ${addr.toString(16)}`);
  assert.equal(vm.addr, addr);
  const pages = area_pages(vm);
  assert.equal(pages.length, get_vm_area_size(vm) / PAGE_SIZE);
  pages.forEach((page, i) => {
    const walked = vmalloc_to_page(addr + i * PAGE_SIZE + 123);
    assert.equal(walked?.addr, page.addr, `page ${i}: the page-table walk finds another page`);
    assert.equal(page.private, vm.ptr, `page ${i}: page.private is not its vm_struct`);
    assert.equal(vmalloc_to_pfn(addr + i * PAGE_SIZE), page_to_pfn(page));
  });
  assert.equal(vmalloc_to_page(addr + get_vm_area_size(vm)), null, 'the guard page is mapped');
}

/**
 * `n` steps of random vmalloc (1 B .. 3 pages) and vfree (45 %) from `seed`'s sequence;
 * returns the areas still allocated.
 */
export function churnAreas(n = 6000, seed = 7): number[] {
  const rnd = mulberry32(seed);
  const live: number[] = [];
  for (let i = 0; i < n; i++) {
    if (live.length && rnd() < 0.45) {
      const k = Math.floor(rnd() * live.length);
      vfree(live[k]!);
      live[k] = live[live.length - 1]!;
      live.pop();
    } else {
      live.push(vmalloc(1 + Math.floor(rnd() * 3 * PAGE_SIZE)));
    }
  }
  return live;
}

/** `n` vmalloc + vfree pairs of 16 KiB. */
export function allocFree16k(n: number): void {
  for (let i = 0; i < n; i++) vfree(vmalloc(16384));
}

/** One step of the vmalloc property: random allocations, frees, writes, reads and purges. */
export type VmallocOp =
  | { kind: 'alloc'; size: number; zero: boolean }
  | { kind: 'big'; pages: number }
  | { kind: 'free'; i: number }
  | { kind: 'write'; i: number; off: number; len: number; seed: number }
  | { kind: 'read'; i: number; off: number; len: number }
  | { kind: 'purge' };

const opArb: fc.Arbitrary<VmallocOp> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('alloc' as const), size: fc.integer({ min: 1, max: 40_000 }), zero: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('big' as const), pages: fc.integer({ min: 500, max: 1200 }) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('free' as const), i: fc.nat() }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('write' as const), i: fc.nat(), off: fc.nat(), len: fc.integer({ min: 1, max: 3 * PAGE_SIZE }), seed: fc.nat(255) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('read' as const), i: fc.nat(), off: fc.nat(), len: fc.integer({ min: 1, max: 3 * PAGE_SIZE }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'purge' as const }) },
);

/** The property's input: 5 to 60 steps, each sequence on a freshly booted machine. */
export const vmallocOpsArb = fc.array(opArb, { minLength: 5, maxLength: 60 });

/** Sequences per property check: the test and the bench use the same number. */
export const VMALLOC_PROPERTY_RUNS = 40;

/**
 * One run of the property: boot, apply `ops` to the machine and to a model of every area's
 * bytes, check data, mappings and accounting after every step and at the end, free everything
 * and check the machine is back where it booted. Throws AssertionError on any difference.
 */
export function runVmallocOps(ops: readonly VmallocOp[]): void {
  boot({ ram: 64 * MiB });
  const booted = vmalloc_debug_check();
  const booted_pages = vmalloc_nr_pages();
  const base = pages_accounted();
  const live: Array<{ addr: number; size: number; data: Uint8Array }> = [];
  for (const op of ops) {
    if (op.kind === 'alloc' || op.kind === 'big') {
      const size = op.kind === 'big' ? op.pages * PAGE_SIZE : op.size;
      const zero = op.kind === 'alloc' && op.zero;
      const addr = zero ? vzalloc(size) : vmalloc(size);
      assert.notEqual(addr, 0, `${zero ? 'vzalloc' : 'vmalloc'}(${size}) failed`);
      // Fill what vmalloc leaves uninitialised, so the model knows every byte.
      const data = zero ? new Uint8Array(size) : pattern(size, live.length);
      if (!zero) copy_to(addr, data);
      else assert.ok(copy_from(addr, size).every((b) => b === 0), `vzalloc(${size}) is not zeroed`);
      live.push({ addr, size, data });
    } else if (op.kind === 'free') {
      if (!live.length) continue;
      const k = op.i % live.length;
      const a = live[k]!;
      vfree(a.addr);
      assert.throws(() => read8(a.addr), KernelPageFault, 'a freed area is still mapped');
      live.splice(k, 1);
    } else if (op.kind === 'write' || op.kind === 'read') {
      if (!live.length) continue;
      const a = live[op.i % live.length]!;
      const off = op.off % a.size;
      const len = Math.min(op.len, a.size - off);
      if (op.kind === 'write') {
        const d = pattern(len, op.seed);
        copy_to(a.addr + off, d);
        a.data.set(d, off);
      } else {
        assert.ok(equal_bytes(copy_from(a.addr + off, len), a.data.subarray(off, off + len)), `bytes ${off}..${off + len} of an area changed`);
      }
    } else {
      vm_unmap_aliases();
    }
    vmalloc_debug_check();
  }
  // No overlaps, every page where the tables say, and the contents intact.
  const sorted = live.map((a) => find_vm_area(a.addr)!).sort((x, y) => x.addr - y.addr);
  for (let i = 1; i < sorted.length; i++) assert.ok(sorted[i - 1]!.addr + sorted[i - 1]!.size <= sorted[i]!.addr, 'two areas overlap');
  for (const a of live) {
    check_area(a.addr);
    assert.ok(equal_bytes(copy_from(a.addr, a.size), a.data), 'an area lost its contents');
  }
  assert.equal(pages_accounted(), base);
  for (const a of live) vfree(a.addr);
  vm_unmap_aliases();
  assert.deepEqual(vmalloc_debug_check(), booted);
  assert.equal(vmalloc_nr_pages(), booted_pages);
  assert.equal(pages_accounted(), base);
}
