/**
 * vmalloc: kernel users of virtually contiguous memory. Module loading, hash tables, BPF
 * programs and tty buffers vmalloc() and vzalloc() areas of 1..64 pages (now and then a few
 * hundred, whose pages array is itself vmalloc'ed); a driver vmap()s pages it allocated and
 * hands them to the area (VM_MAP_PUT_PAGES). Every page carries stamps that are checked through
 * the vmalloc mapping and through the direct map of the page vmalloc_to_page() finds; lookups
 * go from a backing page back to its area, the way memory failure does; lazily freed ranges are
 * purged and the vmap_area trees checked now and then. Everything is freed at the end.
 */
import type { Workload, WorkloadContext } from './types.ts';
import { vmalloc, vzalloc, vfree, vmap, vmalloc_to_page, find_vm_area, vm_unmap_aliases, vmalloc_nr_pages, VM_MAP_PUT_PAGES, VM_MAP } from '../../include/linux/vmalloc.ts';
import { find_vm_area_of_page, vmalloc_debug_check } from '../../mm/vmalloc.ts';
import { alloc_pages_misc, __free_pages, nr_free_pages, drain_all_pages } from '../../mm/page_alloc.ts';
import { page_address } from '../../include/linux/mm.ts';
import { kmalloc, kfree } from '../../include/linux/slab.ts';
import { GFP_KERNEL, __GFP_NOWARN } from '../../include/linux/gfp.ts';
import { read32, write32, read64, write64, bytes, translate, phys_read32 } from '../memory.ts';
import { Page } from '../../include/linux/mm_types.ts';
import { trace_event } from '../trace.ts';
import { KernelBug, formatKernelAddress } from '../errors.ts';
import { PAGE_SIZE } from '../../arch/x86/include/asm/page_64_types.ts';

/** vzalloc's pages compared with this natively (a callback per byte cost more than the allocation). */
const ZERO_PAGE = Buffer.alloc(PAGE_SIZE);

/** Callers named after real vmalloc users. */
const CALLERS = ['load_module', 'alloc_large_system_hash', 'bpf_prog_alloc', 'n_tty_open', 'xt_alloc_table_info', 'kvmalloc_node'];

interface Area {
  addr: number;
  pages: number;
  stamp: number;
  caller: string;
  how: 'vmalloc' | 'vzalloc' | 'vmap';
}

/** The stamp of page `p` at word `w` (0: the first word, 1: a word further in). */
function stamp_of(a: Area, p: number, w: number): number {
  return (a.stamp + Math.imul(p * 2 + w + 1, 0x9e3779b1)) >>> 0;
}

/** A second stamped word per page, away from the start (catches a page mapped at an offset). */
function inner_offset(a: Area, p: number): number {
  return (((a.stamp >>> 7) + p * 37) % (PAGE_SIZE / 4 - 1) + 1) * 4;
}

function stamp(a: Area): void {
  for (let p = 0; p < a.pages; p++) {
    const base = a.addr + p * PAGE_SIZE;
    write32(base, stamp_of(a, p, 0));
    write32(base + inner_offset(a, p), stamp_of(a, p, 1));
  }
}

/** Check the stamps through the vmalloc mapping and through the direct map of the backing page. */
function check(a: Area, what: string): void {
  for (let p = 0; p < a.pages; p++) {
    const base = a.addr + p * PAGE_SIZE;
    const page = vmalloc_to_page(base);
    if (!page) throw new KernelBug(`${what}: ${a.caller} area ${formatKernelAddress(a.addr)} page ${p} is not mapped`);
    const direct = page_address(page);
    // The page as the vmalloc mapping translates it, once for both words: read32(base + off)
    // translates to the same page plus off (only reads come between, the page table is as it was).
    const mapped = translate(base);
    for (let w = 0; w < 2; w++) {
      const off = w === 0 ? 0 : inner_offset(a, p);
      const want = stamp_of(a, p, w);
      if (phys_read32(mapped + off) !== want || read32(direct + off) !== want) {
        throw new KernelBug(`${what}: ${a.caller} area ${formatKernelAddress(a.addr)} page ${p} corrupted at offset ${off}`);
      }
    }
  }
}

function area_pages(ctx: WorkloadContext): number {
  // Mostly small; sometimes a few hundred pages, whose pages array exceeds a page.
  return ctx.rng.chance(0.03) ? ctx.rng.range(520, 700) : ctx.rng.range(1, 64);
}

function do_alloc(ctx: WorkloadContext, live: Area[], op: number): void {
  const { rng } = ctx;
  const pages = area_pages(ctx);
  const caller = rng.pick(CALLERS);
  const zero = rng.chance(0.3);
  const addr = zero ? vzalloc(pages * PAGE_SIZE, caller) : vmalloc(pages * PAGE_SIZE, caller);
  const how = zero ? 'vzalloc' : 'vmalloc';
  if (!addr) {
    trace_event('vmalloc', `op=${op} ${how} ${caller} pages=${pages} failed`);
    return;
  }
  if (zero) {
    // vzalloc: the first and last page read back as zeroes before anyone writes.
    for (const p of [0, pages - 1]) {
      if (!ZERO_PAGE.equals(bytes(addr + p * PAGE_SIZE, PAGE_SIZE))) {
        throw new KernelBug(`vzalloc ${caller} ${formatKernelAddress(addr)} page ${p} not zeroed`);
      }
    }
  }
  const a: Area = { addr, pages, stamp: rng.u32(), caller, how };
  stamp(a);
  live.push(a);
  trace_event('vmalloc', `op=${op} ${how} ${caller} ${formatKernelAddress(addr)} pages=${pages}`);
}

/** A driver maps pages it allocated and gives them to the area: vfree() releases them. */
function do_vmap(ctx: WorkloadContext, live: Area[], op: number): void {
  const { rng } = ctx;
  const count = rng.range(1, 16);
  const array = kmalloc(count * 8, GFP_KERNEL | __GFP_NOWARN);
  if (!array) {
    trace_event('vmalloc', `op=${op} vmap count=${count} failed (array)`);
    return;
  }
  let got = 0;
  for (; got < count; got++) {
    const page = alloc_pages_misc(GFP_KERNEL | __GFP_NOWARN, 0);
    if (!page) break;
    write64(array + got * 8, page.addr);
  }
  const addr = got === count ? vmap(array, count, VM_MAP | VM_MAP_PUT_PAGES, undefined, 'dma_buf_vmap') : 0;
  if (!addr) {
    for (let i = 0; i < got; i++) {
      __free_pages(new Page(read64(array + i * 8)), 0);
    }
    kfree(array);
    trace_event('vmalloc', `op=${op} vmap count=${count} failed`);
    return;
  }
  const a: Area = { addr, pages: count, stamp: rng.u32(), caller: 'dma_buf_vmap', how: 'vmap' };
  stamp(a);
  live.push(a);
  trace_event('vmalloc', `op=${op} vmap ${formatKernelAddress(addr)} pages=${count}`);
}

function do_free(ctx: WorkloadContext, live: Area[], op: number): void {
  const i = ctx.rng.below(live.length);
  const a = live[i]!;
  check(a, 'vmalloc workload');
  vfree(a.addr);
  live[i] = live[live.length - 1]!;
  live.pop();
  trace_event('vmalloc', `op=${op} vfree ${a.how} ${formatKernelAddress(a.addr)}`);
}

/** From a backing page back to its area, as memory failure finds it. */
function do_lookup(ctx: WorkloadContext, live: Area[], op: number): void {
  const a = ctx.rng.pick(live);
  const p = ctx.rng.below(a.pages);
  const page = vmalloc_to_page(a.addr + p * PAGE_SIZE);
  const vm = page ? find_vm_area_of_page(page) : null;
  const expected = find_vm_area(a.addr);
  if (!vm || vm !== expected) {
    throw new KernelBug(`vmalloc workload: page ${p} of ${a.caller} area ${formatKernelAddress(a.addr)} does not lead back to its area`);
  }
  trace_event('vmalloc', `op=${op} lookup ${formatKernelAddress(a.addr)}+${p} -> ${vm.caller} pages=${vm.nr_pages}`);
}

export const vmallocWorkload: Workload = {
  name: 'vmalloc',
  description: 'vmalloc/vzalloc/vmap users: stamped pages checked through both mappings, page -> area lookups, lazy purges',
  defaultOps: 6000,
  run(ctx) {
    const live: Area[] = [];
    const { rng } = ctx;
    // Boot-time users (zswap's tree table) keep their areas.
    const boot_pages = vmalloc_nr_pages();
    for (let op = 0; op < ctx.ops; op++) {
      const r = rng.u32() / 4294967296;
      // Up to 40 live areas; allocations and frees balance around that.
      const grow = live.length === 0 || (live.length < 40 && rng.chance(0.5));
      if (r < 0.6) {
        if (grow) {
          if (rng.chance(0.15)) do_vmap(ctx, live, op);
          else do_alloc(ctx, live, op);
        } else do_free(ctx, live, op);
      } else if (r < 0.99) {
        if (live.length) do_lookup(ctx, live, op);
        else do_alloc(ctx, live, op);
      } else {
        vm_unmap_aliases();
        const s = vmalloc_debug_check();
        trace_event('vmalloc', `op=${op} purge busy=${s.busy} free=${s.free} lazy=${s.lazy}`);
      }
      ctx.after_op?.(op);
    }
    while (live.length) do_free(ctx, live, ctx.ops);
    vm_unmap_aliases();
    const s = vmalloc_debug_check();
    if (vmalloc_nr_pages() !== boot_pages) {
      throw new KernelBug(`vmalloc workload: ${vmalloc_nr_pages() - boot_pages} vmalloc pages left after freeing every area`);
    }
    drain_all_pages();
    trace_event('vmalloc', `teardown busy=${s.busy} free=${s.free} lazy=${s.lazy} nr_free=${nr_free_pages()}`);
  },
};
