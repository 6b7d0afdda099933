/**
 * buddy: the page allocator on its own. Random orders (mostly small, as in real kernels),
 * all gfp flavours (zeroed, compound, DMA32, movable), page contents filled with a per-block
 * pattern and checked on free, frees in random order, and a full drain at the end.
 */
import type { Workload, WorkloadContext } from './types.ts';
import { alloc_pages_misc, __free_pages, nr_free_pages, drain_all_pages, buddyinfo } from '../../mm/page_alloc.ts';
import { page_to_pfn, page_address, page_zonenum } from '../../include/linux/mm.ts';
import { GFP_KERNEL, GFP_HIGHUSER_MOVABLE, __GFP_ZERO, __GFP_COMP, __GFP_DMA32, GFP_ATOMIC, __GFP_NOWARN } from '../../include/linux/gfp.ts';
import { ZONE_NAMES } from '../../include/linux/mmzone.ts';
import { Page } from '../../include/linux/mm_types.ts';
import { bytes, phys_equals } from '../memory.ts';
import { trace_event } from '../trace.ts';
import { KernelBug } from '../errors.ts';
import { PAGE_SIZE } from '../../arch/x86/include/asm/page_64_types.ts';

interface Block {
  page: Page;
  order: number;
  stamp: number;
}

const ORDER_WEIGHTS = [40, 15, 10, 10, 4, 3, 2, 2, 1, 1, 1];
const GFP_CHOICES = [GFP_KERNEL, GFP_HIGHUSER_MOVABLE, GFP_KERNEL | __GFP_ZERO, GFP_KERNEL | __GFP_COMP, GFP_KERNEL | __GFP_DMA32, GFP_ATOMIC];

const ZERO_PAGE_BYTES = new Uint8Array(PAGE_SIZE);

/** Every byte of the block zero? Compared a page at a time natively (a per-byte callback costs ms at order 10). */
function block_zeroed(page: Page, order: number): boolean {
  const phys = page_to_pfn(page) * PAGE_SIZE;
  for (let i = 0; i < 1 << order; i++) if (!phys_equals(phys + i * PAGE_SIZE, PAGE_SIZE, ZERO_PAGE_BYTES)) return false;
  return true;
}

/** Write a recognisable pattern into the first and last word of each page of the block. */
function stamp_block(b: Block): void {
  const mem = bytes(page_address(b.page), PAGE_SIZE << b.order);
  const view = new DataView(mem.buffer, mem.byteOffset, mem.byteLength);
  for (let i = 0; i < 1 << b.order; i++) {
    view.setUint32(i * PAGE_SIZE, b.stamp + i, true);
    view.setUint32(i * PAGE_SIZE + PAGE_SIZE - 4, ~(b.stamp + i) >>> 0, true);
  }
}

function check_block(b: Block): void {
  const mem = bytes(page_address(b.page), PAGE_SIZE << b.order);
  const view = new DataView(mem.buffer, mem.byteOffset, mem.byteLength);
  for (let i = 0; i < 1 << b.order; i++) {
    if (view.getUint32(i * PAGE_SIZE, true) !== ((b.stamp + i) >>> 0) ||
        view.getUint32(i * PAGE_SIZE + PAGE_SIZE - 4, true) !== (~(b.stamp + i) >>> 0)) {
      throw new KernelBug(`buddy workload: contents of pfn 0x${(page_to_pfn(b.page) + i).toString(16)} changed while allocated`);
    }
  }
}

export function buddy_step(ctx: WorkloadContext, live: Block[], op: number): void {
  const { rng } = ctx;
  if (live.length === 0 || rng.chance(0.55)) {
    const order = rng.weighted(ORDER_WEIGHTS);
    const gfp = rng.pick(GFP_CHOICES) | __GFP_NOWARN;
    // A driver's pages: the misc word "unknown" (the memdesc plan's plain allocation).
    const page = alloc_pages_misc(gfp, order);
    if (!page) {
      trace_event('buddy', `op=${op} alloc order=${order} failed`);
      return;
    }
    if (gfp & __GFP_ZERO) {
      if (!block_zeroed(page, order)) throw new KernelBug(`buddy workload: __GFP_ZERO page pfn 0x${page_to_pfn(page).toString(16)} not zeroed`);
    }
    const b: Block = { page, order, stamp: rng.u32() };
    stamp_block(b);
    live.push(b);
    trace_event('buddy', `op=${op} alloc order=${order} pfn=0x${page_to_pfn(page).toString(16)} zone=${ZONE_NAMES[page_zonenum(page)]}`);
  } else {
    const i = rng.below(live.length);
    const b = live[i]!;
    live[i] = live[live.length - 1]!;
    live.pop();
    check_block(b);
    __free_pages(b.page, b.order);
    trace_event('buddy', `op=${op} free order=${b.order} pfn=0x${page_to_pfn(b.page).toString(16)}`);
  }
}

export const buddyWorkload: Workload = {
  name: 'buddy',
  description: 'page allocator: random orders and gfp flags, contents checked, everything freed',
  defaultOps: 20000,
  run(ctx) {
    const before = nr_free_pages();
    const live: Block[] = [];
    for (let op = 0; op < ctx.ops; op++) {
      buddy_step(ctx, live, op);
      if (op % 1000 === 999) trace_event('buddyinfo', buddyinfo().replace(/\s+/g, ' '));
      ctx.after_op?.(op);
    }
    for (const b of live) {
      check_block(b);
      __free_pages(b.page, b.order);
    }
    drain_all_pages();
    trace_event('buddy', `drained free=${nr_free_pages()} before=${before}`);
  },
};
