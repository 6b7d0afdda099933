/**
 * Physical RAM and kernel virtual address translation.
 *
 * RAM is one ArrayBuffer. Words are stored as exact little-endian 64-bit values; the number
 * API (read64/write64) is exact for values below 2^53, which covers every kernel pointer
 * (48-bit, sign extension dropped) and every counter. Values with high bits set (LIST_POISON,
 * zone bits in page->flags, all-ones sentinels) are read and written by 32-bit halves.
 */
import {
  PAGE_OFFSET, PAGE_SIZE, VMALLOC_START, VMALLOC_END, VMEMMAP_START,
} from '../arch/x86/include/asm/page_64_types.ts';
import { KernelPageFault, SimConfigError } from './errors.ts';

const TWO32 = 4294967296;
export const MIN_RAM = 16 * 1024 * 1024;
export const MAX_RAM = 1024 * 1024 * 1024;
export const DEFAULT_RAM = 64 * 1024 * 1024;

let ram = new ArrayBuffer(0);
let u8 = new Uint8Array(ram);
let u32 = new Uint32Array(ram);
let i32 = new Int32Array(ram);
let ramBuf = Buffer.from(ram);
let ramSize = 0;
/** RAM, plus the metadata arena once a placement-preserving run opens it (sim/arena.ts). */
let mappedSize = 0;
let memmapPhys = 0;
let memmapSize = 0;
/**
 * The writers' inline linear maps (write32()/write64()): the direct map below directWriteEnd and
 * the vmemmap below memmapWriteSize. They equal mappedSize and memmapSize except while the memmap
 * is watched (memmap_watch()), when they stop short of the memmap, so that every write that can
 * reach a struct page takes the out-of-line path that notes it: the inline path is the same code
 * watched or not, and costs an unwatched run nothing.
 */
let directWriteEnd = 0;
let memmapWriteSize = 0;
/** Set by the kernel page-table code: walks init_mm for a vmalloc address, returns phys or -1. */
let vmallocTranslate: (addr: number) => number = () => -1;

/**
 * Ranges [start, end) of physical memory, as a flat sorted list of start, end pairs: what a boot
 * left stale at power-on (ram_init()'s `skip`), what phys_fill() wrote while a watch was open.
 */
export type PhysRanges = readonly number[];

/** What ram_init() left as the last run had it, to be overwritten before anything reads it (ram_settle()). */
let stale: PhysRanges = [];
/** phys_fill()'s ranges while a watch is open (fill_watch_begin()), else null. */
let watch: number[] | null = null;

/**
 * Power on a machine with `bytes` of RAM, and room for a metadata arena of `arenaBytes` above it
 * (a placement-preserving run, sim/arena.ts; mapped only once arena_map() opens it).
 *
 * Power-on RAM is zero. Another boot of the same size in this process reuses the buffer and
 * clears it, except the ranges in `skip` (sorted, disjoint, start/end pairs): ranges the caller
 * knows boot overwrites whole before it reads them (the pages boot frees are poisoned whole,
 * sim/boot.ts), which then hold the last run's bytes until ram_settle() is told what boot
 * overwrote and clears what it did not. A fresh buffer is zero already and leaves nothing stale.
 */
export function ram_init(bytes: number, arenaBytes = 0, skip: PhysRanges = []): void {
  if (!Number.isInteger(bytes) || bytes < MIN_RAM || bytes > MAX_RAM || bytes % (4 * 1024 * 1024) !== 0) {
    throw new SimConfigError(`RAM size must be a multiple of 4 MiB between 16 MiB and 1 GiB, got ${bytes} bytes`);
  }
  stale = [];
  if (bytes + arenaBytes === ram.byteLength) {
    // Another boot in the same process (a batch of seeds): power-on RAM is zero either way, and
    // clearing pages already mapped costs a memset, where a fresh buffer costs a host page
    // fault per 4 KiB on first touch (most of a boot's time at 64 MiB). Only what the last run
    // could reach is cleared: an arena it never opened was never touched.
    const end = Math.max(mappedSize, ramSize);
    let at = 0;
    const kept: number[] = [];
    for (let i = 0; i + 1 < skip.length; i += 2) {
      const a = Math.max(skip[i]!, at);
      const b = Math.min(skip[i + 1]!, end);
      if (b <= a) continue;
      u8.fill(0, at, a);
      kept.push(a, b);
      at = b;
    }
    u8.fill(0, at, end);
    stale = kept;
  } else {
    set_buffer(pooled_buffer(bytes + arenaBytes) ?? new ArrayBuffer(bytes + arenaBytes));
  }
  ramSize = bytes;
  mappedSize = bytes;
  memmapPhys = 0;
  memmapSize = 0;
  vmallocTranslate = () => -1;
  memmap_unwatch();
}

/**
 * Boot overwrote `filled` (fill_watch_end()): clear what ram_init() left stale outside it, so
 * that every byte nobody wrote since power-on reads zero, as on a fresh buffer.
 */
export function ram_settle(filled: PhysRanges): void {
  let j = 0;
  for (let i = 0; i + 1 < stale.length; i += 2) {
    let at = stale[i]!;
    const end = stale[i + 1]!;
    while (at < end) {
      while (j + 1 < filled.length && filled[j + 1]! <= at) j += 2;
      if (j + 1 >= filled.length || filled[j]! >= end) {
        u8.fill(0, at, end);
        break;
      }
      if (filled[j]! > at) u8.fill(0, at, filled[j]!);
      at = filled[j + 1]!;
    }
  }
  stale = [];
}

/** Start recording the ranges phys_fill() writes. */
export function fill_watch_begin(): void {
  watch = [];
}

/** Stop recording: the ranges phys_fill() wrote since fill_watch_begin(), sorted and merged. */
export function fill_watch_end(): PhysRanges {
  const w = watch ?? [];
  watch = null;
  const pairs: [number, number][] = [];
  for (let i = 0; i + 1 < w.length; i += 2) pairs.push([w[i]!, w[i + 1]!]);
  pairs.sort((a, b) => a[0] - b[0]);
  const out: number[] = [];
  for (const [a, b] of pairs) {
    if (out.length > 0 && a <= out[out.length - 1]!) out[out.length - 1] = Math.max(out[out.length - 1]!, b);
    else out.push(a, b);
  }
  return out;
}

/**
 * RAM handed back by a finished run (ram_release()), for the next machine this process powers
 * on, whichever module instance of whichever tree boots it: a verifier's reused process imports
 * a new instance of the program per batch (a fresh module state, as a fresh process has), and a
 * fresh 64 MiB buffer costs a host page fault per 4 KiB on first touch, where reusing one costs a
 * memset. One slot, process-wide (a registered symbol: no global name is added).
 */
const RAM_POOL = Symbol.for('memdesc.sim.ram');

interface RamPool {
  buffer: ArrayBuffer | null;
}

function ram_pool(): RamPool {
  const g = globalThis as unknown as Record<symbol, RamPool | undefined>;
  return (g[RAM_POOL] ??= { buffer: null });
}

/** The pooled buffer if it has `bytes`, cleared and taken out of the pool; else null. */
function pooled_buffer(bytes: number): ArrayBuffer | null {
  const pool = ram_pool();
  const buf = pool.buffer;
  if (!buf || buf.byteLength !== bytes) return null;
  pool.buffer = null;
  // Another tree may have left it: nothing of its last boot is known here, all of it is cleared.
  new Uint8Array(buf).fill(0);
  return buf;
}

/**
 * The run is over and nothing will read this machine again: its RAM goes to the pool for the next
 * power-on in this process (ram_init()), and this machine has none left (an access faults as
 * before boot). The program calls it when it is done (sim/main.ts).
 */
export function ram_release(): void {
  if (ram.byteLength === 0) return;
  ram_pool().buffer = ram;
  set_buffer(new ArrayBuffer(0));
  ramSize = 0;
  mappedSize = 0;
  memmapPhys = 0;
  memmapSize = 0;
  stale = [];
  memmap_unwatch();
}

function set_buffer(buf: ArrayBuffer): void {
  ram = buf;
  u8 = new Uint8Array(ram);
  u32 = new Uint32Array(ram);
  i32 = new Int32Array(ram);
  ramBuf = Buffer.from(ram);
}

export function ram_size(): number {
  return ramSize;
}

/**
 * Map `bytes` of physical memory right above RAM, in the direct map, for the metadata arena of a
 * placement-preserving run (sim/arena.ts): memory the kernel does not manage (no struct pages,
 * not in memblock or the buddy allocator), as RAM hidden with mem= would be. Until it is opened
 * an address there faults exactly as on a machine without it. Its room was made at power-on
 * (ram_init()), so opening it moves nothing. Returns its physical base.
 */
export function arena_map(): number {
  mappedSize = ram.byteLength;
  write_bounds();
  return ramSize;
}

/** Bytes of the metadata arena mapped above RAM (0 while none is open). */
export function arena_size(): number {
  return mappedSize - ramSize;
}

/** Back the vmemmap range with physical memory carved out at boot. */
export function set_vmemmap_backing(phys: number, size: number): void {
  memmapPhys = phys;
  memmapSize = size;
  memmap_unwatch();
}

export function set_vmalloc_translator(fn: (addr: number) => number): void {
  vmallocTranslate = fn;
}

/** Translate a kernel virtual address to a physical offset, or oops. */
export function translate(addr: number): number {
  const d = addr - PAGE_OFFSET;
  if (d >= 0 && d < mappedSize) return d;
  const m = addr - VMEMMAP_START;
  if (m >= 0 && m < memmapSize) return memmapPhys + m;
  if (addr >= VMALLOC_START && addr <= VMALLOC_END) {
    const p = vmallocTranslate(addr);
    if (p >= 0) return p;
    throw new KernelPageFault(addr, 'not-present vmalloc page');
  }
  throw new KernelPageFault(addr, addr === 0 ? 'NULL pointer dereference' : 'no mapping');
}

/** Translate and check that [addr, addr+len) does not cross a page of a non-linear mapping. */
function span(addr: number, len: number): number {
  const p = translate(addr);
  if (addr >= VMALLOC_START && addr <= VMALLOC_END && ((addr & (PAGE_SIZE - 1)) + len) > PAGE_SIZE) {
    throw new KernelPageFault(addr, `access of ${len} bytes crosses a vmalloc page`);
  }
  return p;
}

export function read8(addr: number): number {
  return u8[translate(addr)]!;
}
export function write8(addr: number, v: number): void {
  u8[write_translate(addr, 1)] = v;
}
export function read32(addr: number): number {
  // translate()'s linear maps inline: one call less per access, which counts while the code
  // still runs cold (a fresh instance of the program per batch); other addresses take translate().
  let p = addr - PAGE_OFFSET;
  if (!(p >= 0 && p < mappedSize)) {
    p = addr - VMEMMAP_START;
    p = p >= 0 && p < memmapSize ? memmapPhys + p : translate(addr);
  }
  if ((p & 3) === 0) return u32[p >>> 2]!;
  return (u8[p]! | (u8[p + 1]! << 8) | (u8[p + 2]! << 16) | (u8[p + 3]! << 24)) >>> 0;
}
export function read32s(addr: number): number {
  let p = addr - PAGE_OFFSET;
  if (!(p >= 0 && p < mappedSize)) {
    p = addr - VMEMMAP_START;
    p = p >= 0 && p < memmapSize ? memmapPhys + p : translate(addr);
  }
  if ((p & 3) === 0) return i32[p >>> 2]!;
  return u8[p]! | (u8[p + 1]! << 8) | (u8[p + 2]! << 16) | (u8[p + 3]! << 24);
}
export function write32(addr: number, v: number): void {
  let p = addr - PAGE_OFFSET;
  if (!(p >= 0 && p < directWriteEnd)) {
    p = addr - VMEMMAP_START;
    p = p >= 0 && p < memmapWriteSize ? memmapPhys + p : write_translate(addr, 4);
  }
  if ((p & 3) === 0) {
    u32[p >>> 2] = v;
    return;
  }
  // Unaligned: the inline direct map ends 8 bytes short of a watched memmap (write_bounds()), and
  // a write reaching it came through write_translate() above, noted there.
  u8[p] = v; u8[p + 1] = v >>> 8; u8[p + 2] = v >>> 16; u8[p + 3] = v >>> 24;
}

export function read64(addr: number): number {
  let p = addr - PAGE_OFFSET;
  if (!(p >= 0 && p < mappedSize)) {
    p = addr - VMEMMAP_START;
    p = p >= 0 && p < memmapSize ? memmapPhys + p : translate(addr);
  }
  if ((p & 7) === 0) {
    const i = p >>> 2;
    return u32[i]! + u32[i + 1]! * TWO32;
  }
  return readUnaligned64(span(addr, 8));
}
function readUnaligned64(p: number): number {
  let lo = 0;
  let hi = 0;
  for (let k = 3; k >= 0; k--) lo = lo * 256 + u8[p + k]!;
  for (let k = 7; k >= 4; k--) hi = hi * 256 + u8[p + k]!;
  return lo + hi * TWO32;
}

export function write64(addr: number, v: number): void {
  let p = addr - PAGE_OFFSET;
  if (!(p >= 0 && p < directWriteEnd)) {
    p = addr - VMEMMAP_START;
    p = p >= 0 && p < memmapWriteSize ? memmapPhys + p : write_translate(addr, 8);
  }
  let lo: number;
  let hi: number;
  if (v >= 0 && v < TWO32) {
    lo = v;
    hi = 0;
  } else {
    hi = Math.floor(v / TWO32);
    lo = v - hi * TWO32;
  }
  if ((p & 7) === 0) {
    const i = p >>> 2;
    u32[i] = lo;
    u32[i + 1] = hi;
    return;
  }
  // Unaligned: a watched memmap's bytes came through write_translate() above, noted there.
  const q = span(addr, 8);
  for (let k = 0; k < 4; k++) u8[q + k] = lo >>> (8 * k);
  for (let k = 0; k < 4; k++) u8[q + 4 + k] = hi >>> (8 * k);
}

/** High and low 32-bit halves of a 64-bit word, for values that do not fit 2^53. */
export function read64hi(addr: number): number {
  return read32(addr + 4);
}
export function write64parts(addr: number, hi: number, lo: number): void {
  const p = write_translate(addr, 8);
  if ((p & 7) === 0) {
    u32[p >>> 2] = lo >>> 0;
    u32[(p >>> 2) + 1] = hi >>> 0;
    return;
  }
  write32(addr, lo >>> 0);
  write32(addr + 4, hi >>> 0);
}
/** The word as a 16-digit hex string (exact for every bit pattern). */
export function read64hex(addr: number): string {
  return read32(addr + 4).toString(16).padStart(8, '0') + read32(addr).toString(16).padStart(8, '0');
}

/** Bytes [addr, addr+len) as a live view; the range must be physically contiguous. */
export function bytes(addr: number, len: number): Uint8Array {
  const p = translate(addr);
  if (len > 0) {
    const last = translate(addr + len - 1);
    if (last !== p + len - 1) throw new KernelPageFault(addr, `range of ${len} bytes is not physically contiguous`);
  }
  if (watchStride !== 0) memmap_view(p, len);
  return u8.subarray(p, p + len);
}

/*
 * The copies below take a range in the linear maps (the direct map, the vmemmap) as one piece,
 * checked at both ends as forEachChunk() checks it, and only walk a vmalloc range page by page:
 * no closure and no view per call on the common path (zsmalloc and zswap copy on every store
 * and load).
 */

/** Is [addr, addr+len) one physically contiguous piece (not a vmalloc range)? Its start then, else -1. */
function linear_span(addr: number, len: number): number {
  if (len <= 0 || (addr >= VMALLOC_START && addr <= VMALLOC_END)) return -1;
  const p = translate(addr);
  translate(addr + len - 1);
  return p;
}

export function memset(addr: number, c: number, len: number): void {
  const p = linear_span(addr, len);
  if (p >= 0) {
    if (watchStride !== 0) memmap_note(p, len);
    u8.fill(c, p, p + len);
  } else {
    forEachChunk(addr, len, (q, n) => { if (watchStride !== 0) memmap_note(q, n); u8.fill(c, q, q + n); });
  }
}

export function memcpy(dst: number, src: number, len: number): void {
  const s = linear_span(src, len);
  if (s >= 0) {
    const d = linear_span(dst, len);
    // copyWithin copies overlapping ranges as if the source were read first, as the copy below does.
    if (d >= 0) {
      if (watchStride !== 0) memmap_note(d, len);
      u8.copyWithin(d, s, s + len);
      return;
    }
  }
  const tmp = new Uint8Array(len);
  let off = 0;
  forEachChunk(src, len, (p, n) => { tmp.set(u8.subarray(p, p + n), off); off += n; });
  off = 0;
  forEachChunk(dst, len, (p, n) => {
    if (watchStride !== 0) memmap_note(p, n);
    u8.set(tmp.subarray(off, off + n), p);
    off += n;
  });
}

export function copy_to(dst: number, data: Uint8Array): void {
  const p = linear_span(dst, data.length);
  if (p >= 0) {
    if (watchStride !== 0) memmap_note(p, data.length);
    u8.set(data, p);
    return;
  }
  let off = 0;
  forEachChunk(dst, data.length, (q, n) => {
    if (watchStride !== 0) memmap_note(q, n);
    u8.set(data.subarray(off, off + n), q);
    off += n;
  });
}

export function copy_from(src: number, len: number): Uint8Array {
  const p = linear_span(src, len);
  if (p >= 0) return u8.slice(p, p + len);
  const out = new Uint8Array(len);
  let off = 0;
  forEachChunk(src, len, (q, n) => { out.set(u8.subarray(q, q + n), off); off += n; });
  return out;
}

/** Visit the physically contiguous pieces of a virtual range (page by page outside the linear maps). */
function forEachChunk(addr: number, len: number, fn: (phys: number, n: number) => void): void {
  let a = addr;
  let left = len;
  while (left > 0) {
    const p = translate(a);
    const linear = !(a >= VMALLOC_START && a <= VMALLOC_END);
    const n = linear ? left : Math.min(left, PAGE_SIZE - (a & (PAGE_SIZE - 1)));
    if (linear) {
      translate(a + n - 1);
    }
    fn(p, n);
    a += n;
    left -= n;
  }
}

/** Where memmap_scan32() lists its pfns: one buffer, grown to the memmap's page count. */
let scanPfns = new Uint32Array(0);

/**
 * The memmap entries (struct pages of `stride` bytes) whose 32-bit word at byte `offset` has any
 * bit of `mask` set, by index (pfn), ascending: a whole-memmap filter at typed-array speed, for
 * checks that visit only the pages carrying some mark (memdesc_check_all() after every
 * operation). The result is a view of one buffer that the next call overwrites: read it before
 * scanning again (a --check run scans after every operation; a new array each time, grown a
 * push at a time, was a large share of its garbage).
 */
export function memmap_scan32(stride: number, offset: number, mask: number): Uint32Array {
  const step = stride >>> 2;
  const n = Math.floor(memmapSize / stride);
  if (scanPfns.length < n) scanPfns = new Uint32Array(n);
  const out = scanPfns;
  let found = 0;
  let i = 0;
  let w = (memmapPhys + offset) >>> 2;
  // Eight pages at a time, their words or'ed: most groups hold no marked page and cost one test
  // (measured on stage-2 machines: about half the time of a test per page).
  const whole = n - (n % 8);
  for (; i < whole; i += 8, w += 8 * step) {
    if (((u32[w]! | u32[w + step]! | u32[w + 2 * step]! | u32[w + 3 * step]! |
          u32[w + 4 * step]! | u32[w + 5 * step]! | u32[w + 6 * step]! | u32[w + 7 * step]!) & mask) === 0) continue;
    for (let k = 0, x = w; k < 8; k++, x += step) if ((u32[x]! & mask) !== 0) out[found++] = i + k;
  }
  for (; i < n; i++, w += step) {
    if ((u32[w]! & mask) !== 0) out[found++] = i;
  }
  return out.subarray(0, found);
}

/**
 * The machine's memory as 32-bit words, for whole-memmap checks at typed-array speed
 * (sim/check.ts), which only read it: a write through it would be unseen by memmap_watch().
 * The view belongs to the machine booted now: ask again after a boot.
 */
export function ram_words(): Uint32Array {
  return u32;
}

/** Where the memmap is: its physical base and size in bytes (0 before the vmemmap is backed). */
export function memmap_phys(): number {
  return memmapPhys;
}
export function memmap_bytes(): number {
  return memmapSize;
}

/** Bytes of the direct map that translate() maps: RAM, plus the metadata arena once it is open. */
export function mapped_bytes(): number {
  return mappedSize;
}

/** The 32-bit word at physical address `phys` (what read32() reads once it has translated). */
export function phys_read32(phys: number): number {
  if ((phys & 3) === 0) return u32[phys >>> 2]!;
  return (u8[phys]! | (u8[phys + 1]! << 8) | (u8[phys + 2]! << 16) | (u8[phys + 3]! << 24)) >>> 0;
}

/** Physical bytes, for whole-page operations on the direct map (fast path). */
export function phys_bytes(phys: number, len: number): Uint8Array {
  if (watchStride !== 0) memmap_view(phys, len);
  return u8.subarray(phys, phys + len);
}

/** Fill physical memory (whole-page operations: zeroing, poisoning). */
export function phys_fill(phys: number, len: number, c: number): void {
  if (watchStride !== 0) memmap_note(phys, len);
  u8.fill(c, phys, phys + len);
  if (watch !== null && len > 0) {
    // Boot frees RAM in ascending blocks: contiguous fills extend the last range.
    const n = watch.length;
    if (n > 0 && watch[n - 1] === phys) watch[n - 1] = phys + len;
    else watch.push(phys, phys + len);
  }
}

/** Does physical memory [phys, phys+len) equal `pattern` (len <= pattern.length)? */
export function phys_equals(phys: number, len: number, pattern: Uint8Array): boolean {
  return ramBuf.compare(pattern, 0, len, phys, phys + len) === 0;
}

/*
 * memmap_watch(): which struct pages were written since the last look, for --check (sim/check.ts
 * re-checks only those). RAM is written only through this module (u8, u32, i32 and ramBuf never
 * leave it except as the views below), and while a watch is on every way it writes notes the
 * physical range first:
 *  - write32()/write64(): their inline linear maps stop 8 bytes short of the memmap
 *    (write_bounds()), so every write that can reach it, aligned or not, takes write_translate();
 *    write8() and write64parts() translate through it;
 *  - memset(), memcpy()'s destination, copy_to(), phys_fill(): the range they write;
 *  - bytes() and phys_bytes() hand out live views: one over memmap bytes makes the watch unsure
 *    (what is written through it later is unseen) and memmap_written() then says so;
 *  - ram_words() is for checks, which only read;
 *  - power-on, reboot and release (ram_init(), ram_release()) and a new memmap
 *    (set_vmemmap_backing()) end the watch: what they write is a new machine.
 */
/** Struct page size while a watch is on, else 0. */
let watchStride = 0;
let watchEntries = 0;
let watchUnsure = false;
/** The entries written (watchList[0..watchCount)), each once: watchSeen[i] is 1 exactly for those. */
let watchSeen = new Uint8Array(0);
let watchList = new Uint32Array(0);
let watchCount = 0;

/** Start (again) a watch of the memmap's entries of `stride` bytes: none written yet. */
export function memmap_watch(stride: number): void {
  forget_written();
  watchStride = stride;
  watchEntries = Math.floor(memmapSize / stride);
  watchUnsure = false;
  if (watchSeen.length < watchEntries) {
    watchSeen = new Uint8Array(watchEntries);
    watchList = new Uint32Array(watchEntries);
  }
  write_bounds();
}

export function memmap_unwatch(): void {
  forget_written();
  watchStride = 0;
  write_bounds();
}

/**
 * The memmap entries (pfns) written since the watch began or the last call, each once, in the
 * order first written; null when the watch cannot tell (none is on, or a live view of memmap
 * bytes was handed out). Forgets them: the next call lists only later writes. The result is a
 * view that the next write overwrites: read it before writing RAM.
 */
export function memmap_written(): Uint32Array | null {
  if (watchStride === 0 || watchUnsure) return null;
  const out = watchList.subarray(0, watchCount);
  forget_written();
  return out;
}

function forget_written(): void {
  for (let i = 0; i < watchCount; i++) watchSeen[watchList[i]!] = 0;
  watchCount = 0;
}

function write_bounds(): void {
  directWriteEnd = watchStride === 0 ? mappedSize : Math.max(0, Math.min(mappedSize, memmapPhys - 7));
  memmapWriteSize = watchStride === 0 ? memmapSize : 0;
}

/** translate() for a write of `len` bytes at `addr`: noted while a watch is on. */
function write_translate(addr: number, len: number): number {
  // The vmemmap first: a watched run's struct page writes all come here (translate() tests the
  // direct map first, and its call cost a checked run more than the note itself).
  const m = addr - VMEMMAP_START;
  if (m >= 0 && m < memmapSize) {
    if (watchStride !== 0) memmap_note(memmapPhys + m, len);
    return memmapPhys + m;
  }
  const p = translate(addr);
  if (watchStride !== 0) memmap_note(p, len);
  return p;
}

/** Physical bytes [p, p+len) are about to be written. */
function memmap_note(p: number, len: number): void {
  const a = p - memmapPhys;
  if (len <= 0 || a + len <= 0 || a >= watchEntries * watchStride) return;
  const last = Math.min(Math.floor((a + len - 1) / watchStride), watchEntries - 1);
  for (let i = a <= 0 ? 0 : Math.floor(a / watchStride); i <= last; i++) {
    if (watchSeen[i] === 0) {
      watchSeen[i] = 1;
      watchList[watchCount++] = i;
    }
  }
}

/** A live view of physical bytes [p, p+len) is handed out. */
function memmap_view(p: number, len: number): void {
  const a = p - memmapPhys;
  if (len > 0 && a + len > 0 && a < watchEntries * watchStride) watchUnsure = true;
}
