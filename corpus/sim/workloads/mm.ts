/**
 * mm: processes come and go. Each maps anonymous regions, writes pages (faults, COW after
 * fork), reads them back, unmaps parts, forks and exits. A shadow copy of what every page
 * should hold is checked on every read, so any corruption of user memory shows.
 */
import type { Workload, WorkloadContext } from './types.ts';
import { process_create, fork_process } from '../../kernel/fork.ts';
import { process_exit } from '../../kernel/exit.ts';
import type { Task } from '../../kernel/pid.ts';
import { do_mmap_anon, do_munmap, PROT_READ, PROT_WRITE } from '../../mm/mmap.ts';
import { access_process_vm_read, access_process_vm_write, follow_page } from '../../mm/memory.ts';
import { page_to_pfn } from '../../include/linux/mm.ts';
import { PAGE_SIZE } from '../../arch/x86/include/asm/page_64_types.ts';
import { trace_event } from '../trace.ts';
import { KernelBug, hex } from '../errors.ts';
import { Shadow } from './shadow.ts';
import { drain_all_pages, nr_free_pages } from '../../mm/page_alloc.ts';

interface Region {
  start: number;
  pages: number;
}

export interface Proc {
  task: Task;
  regions: Region[];
  /** Page address -> stamp of the pattern last written there (absent: never written, reads zero). */
  shadow: Shadow;
}

export interface MmState {
  procs: Proc[];
  maxProcs: number;
  maxRegionPages: number;
  /** Pages a process may have written before the workload stops writing to it. */
  maxTouched: number;
}

/**
 * The page content for a stamp: a 64-byte record derived from the stamp, repeated, with the
 * record number in its first word. Unique per stamp and position, and compressible like real
 * anonymous memory, so zswap keeps it. One stamp in 16 is mostly noise (packed or encrypted
 * data): it compresses to more than zsmalloc's huge-class size, so zswap keeps it in a huge
 * class; one in 64 is all noise and does not compress at all (zswap rejects it).
 */
export function page_pattern(stamp: number): Uint8Array {
  return new Uint8Array(pattern_words(stamp, new Uint32Array(PAGE_SIZE / 4)).buffer);
}

/** page_pattern(stamp) written into `words` (every word of it): the same bytes without a new page. */
function pattern_words(stamp: number, words: Uint32Array): Uint32Array {
  const base = Math.imul(stamp, 0x9e3779b1) >>> 0;
  // Word i is (base ^ i/16) at the start of a 16-word record, else (base + (i % 16) * K): the
  // records differ only in their first word. One record is computed, copied over the page in
  // doubling steps, then each record's first word is set.
  const RECORD = 16;
  for (let k = 1; k < RECORD; k++) words[k] = (base + Math.imul(k, 0x85ebca6b)) >>> 0;
  for (let filled = RECORD; filled < words.length; filled *= 2) words.copyWithin(filled, 0, Math.min(filled, words.length - filled));
  for (let i = 0; i < words.length; i += RECORD) words[i] = (base ^ (i >>> 4)) >>> 0;
  const noisy = (stamp & 15) === 5 ? (PAGE_SIZE * 7) / 8 : (stamp & 63) === 11 ? PAGE_SIZE : 0;
  let x = (base | 1) >>> 0;
  // xorshift32 from the stamp: incompressible, and still unique per stamp and position.
  for (let i = 1; i < noisy / 4; i++) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    if ((i & 15) !== 0) words[i] = x;
  }
  return words;
}

/**
 * One page the workload writes or checks against, reused: writes copy it into user memory and
 * checks only compare with it, so nobody keeps it (a new page per access was most of the
 * workload's garbage).
 */
const scratch = new Uint32Array(PAGE_SIZE / 4);
const scratchBuf = Buffer.from(scratch.buffer);

/** page_pattern(stamp) in the shared scratch page: valid until the next call. */
export function page_pattern_scratch(stamp: number): Buffer {
  pattern_words(stamp, scratch);
  return scratchBuf;
}

/** -1 when `a` and `b` hold the same bytes, else the first offset where they differ (0: lengths differ). */
function same(a: Uint8Array, b: Buffer): number {
  if (a.length !== b.length) return 0;
  if (b.equals(a)) return -1;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

const ZERO_PAGE = Buffer.alloc(PAGE_SIZE);

export function mm_setup(maxProcs = 6, maxRegionPages = 64, maxTouched = 512): MmState {
  return { procs: [], maxProcs, maxRegionPages, maxTouched };
}

function kill(st: MmState, p: Proc, why: string, op: number): void {
  process_exit(p.task);
  st.procs.splice(st.procs.indexOf(p), 1);
  trace_event('mm', `op=${op} ${why} pid=${p.task.pid}`);
}

function random_page(ctx: WorkloadContext, p: Proc): number | null {
  if (p.regions.length === 0) return null;
  const r = ctx.rng.pick(p.regions);
  return r.start + ctx.rng.below(r.pages) * PAGE_SIZE;
}

/** Read a page back and compare it with the shadow. */
export function verify_page(p: Proc, addr: number, what: string): void {
  const got = access_process_vm_read(p.task, addr, PAGE_SIZE);
  const stamp = p.shadow.get(addr);
  const want = stamp === undefined ? ZERO_PAGE : page_pattern_scratch(stamp);
  const off = same(got, want);
  if (off !== -1) {
    throw new KernelBug(`${what}: pid ${p.task.pid} page 0x${hex(addr)} differs at byte ${off}`);
  }
}

export function mm_step(ctx: WorkloadContext, st: MmState, op: number): void {
  const { rng } = ctx;
  if (st.procs.length === 0 || (st.procs.length < st.maxProcs && rng.chance(0.04))) {
    const task = process_create('worker');
    if (!task) { trace_event('mm', `op=${op} process_create failed`); return; }
    st.procs.push({ task, regions: [], shadow: new Shadow() });
    trace_event('mm', `op=${op} create pid=${task.pid}`);
    return;
  }
  const p = rng.pick(st.procs);
  const choice = rng.weighted([8, 40, 30, 3, 6, 3]);
  switch (choice) {
    case 0: { // mmap
      const pages = rng.range(1, st.maxRegionPages);
      const addr = do_mmap_anon(p.task, pages * PAGE_SIZE, PROT_READ | PROT_WRITE);
      if (addr < 0) { trace_event('mm', `op=${op} mmap pid=${p.task.pid} pages=${pages} err=${addr}`); return; }
      p.regions.push({ start: addr, pages });
      trace_event('mm', `op=${op} mmap pid=${p.task.pid} addr=0x${hex(addr)} pages=${pages}`);
      return;
    }
    case 1: { // write a page
      const addr = random_page(ctx, p);
      if (addr === null || (p.shadow.size >= st.maxTouched && !p.shadow.has(addr))) return;
      const stamp = rng.u32();
      const n = access_process_vm_write(p.task, addr, page_pattern_scratch(stamp));
      if (n !== PAGE_SIZE) { kill(st, p, 'oom-kill', op); return; }
      p.shadow.set(addr, stamp);
      const page = follow_page(p.task.mm!, addr);
      trace_event('mm', `op=${op} write pid=${p.task.pid} addr=0x${hex(addr)} pfn=0x${page ? page_to_pfn(page).toString(16) : '-'}`);
      return;
    }
    case 2: { // read a page back
      const addr = random_page(ctx, p);
      if (addr === null) return;
      verify_page(p, addr, 'mm workload');
      trace_event('mm', `op=${op} read pid=${p.task.pid} addr=0x${hex(addr)} ok`);
      return;
    }
    case 3: { // munmap part of a region
      if (p.regions.length === 0) return;
      const i = rng.below(p.regions.length);
      const r = p.regions[i]!;
      const first = rng.below(r.pages);
      const count = rng.range(1, r.pages - first);
      const start = r.start + first * PAGE_SIZE;
      const err = do_munmap(p.task, start, count * PAGE_SIZE);
      if (err !== 0) { trace_event('mm', `op=${op} munmap err=${err}`); return; }
      p.regions.splice(i, 1);
      if (first > 0) p.regions.push({ start: r.start, pages: first });
      if (first + count < r.pages) p.regions.push({ start: start + count * PAGE_SIZE, pages: r.pages - first - count });
      for (let k = 0; k < count; k++) p.shadow.delete(start + k * PAGE_SIZE);
      trace_event('mm', `op=${op} munmap pid=${p.task.pid} addr=0x${hex(start)} pages=${count}`);
      return;
    }
    case 4: { // fork
      if (st.procs.length >= st.maxProcs) return;
      const child = fork_process(p.task);
      if (!child) { trace_event('mm', `op=${op} fork pid=${p.task.pid} failed`); return; }
      st.procs.push({ task: child, regions: p.regions.map((r) => ({ ...r })), shadow: new Shadow(p.shadow) });
      trace_event('mm', `op=${op} fork pid=${p.task.pid} child=${child.pid}`);
      return;
    }
    default: { // exit, after checking a few pages
      for (let k = 0; k < 4; k++) {
        const addr = random_page(ctx, p);
        if (addr !== null) verify_page(p, addr, 'mm workload (exit)');
      }
      kill(st, p, 'exit', op);
    }
  }
}

/** Forget processes that died outside the workload (killed by memory failure or the OOM path). */
export function mm_reap(st: MmState): number[] {
  const dead = st.procs.filter((p) => p.task.exit_state !== 0);
  st.procs = st.procs.filter((p) => p.task.exit_state === 0);
  return dead.map((p) => p.task.pid);
}

export function mm_teardown(st: MmState): void {
  for (const p of [...st.procs]) {
    for (const addr of p.shadow.keys()) verify_page(p, addr, 'mm workload teardown');
    process_exit(p.task);
  }
  st.procs = [];
}

export const mmWorkload: Workload = {
  name: 'mm',
  description: 'processes: anonymous mmap, faults, COW after fork, munmap, exit; contents checked',
  defaultOps: 20000,
  run(ctx) {
    const before = nr_free_pages();
    const st = mm_setup();
    for (let op = 0; op < ctx.ops; op++) {
      mm_step(ctx, st, op);
      ctx.after_op?.(op);
    }
    mm_teardown(st);
    drain_all_pages();
    trace_event('mm', `teardown free=${nr_free_pages()} before=${before}`);
  },
};
