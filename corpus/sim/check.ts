/**
 * `--check`: the machine's invariants after every operation of a workload and at the end of the
 * run, for a tree whose descriptors live outside struct page (stage 2). Today that is
 * memdesc_check_all() (include/linux/memdesc.ts): every page that carries a memdesc word holds a
 * valid one, every pointer word names a live descriptor of its type whose back pointer
 * round-trips, and as many descriptors are allocated per kind as pages name (no leak). A
 * violation is a debug check: it throws KernelBug with the problems and the dump_page() of the
 * first page named, so the run ends as a bug at the operation that broke it.
 *
 * The check runs as a typed-array pass first (machine_consistent()), which can only say "nothing
 * wrong"; whenever it cannot, memdesc_check_all() runs and its problems are the report, so the
 * operation a violation is reported at and the report's text are the full check's. In a --check
 * run the pass itself is incremental (consistent(), at the end of this file): it proves what the
 * whole pass proves from the last passing check's record and the struct pages written since
 * (sim/memory.ts memmap_watch()), and leaves anything else to the whole pass.
 *
 * Workloads call `ctx.after_op(op)` once per operation (sim/workloads/types.ts); outside --check
 * it does nothing. A workload that never calls it cannot be checked, and --check says so rather
 * than pass it unchecked.
 */
import { memdesc_check_all, memdesc_stats, NR_MEMDESC_TYPES } from '../include/linux/memdesc.ts';
import { pfn_to_page, max_pfn } from '../include/linux/mm.ts';
import { STRUCT_PAGE_SIZE, PAGE_MEMDESC_OFFSET, PAGE_MEMDESC_FLAG_SHIFT } from '../include/linux/mm_types.ts';
import { dump_page } from '../include/linux/mmdebug.ts';
import { PAGE_OFFSET, VMEMMAP_START } from '../arch/x86/include/asm/page_64_types.ts';
import { KERNEL_LOAD_PHYS, KERNEL_IMAGE_SIZE } from './kernel_image.ts';
import {
  ram_words, memmap_phys, memmap_bytes, mapped_bytes, memmap_scan32, memmap_watch, memmap_unwatch, memmap_written,
} from './memory.ts';
import { KernelBug, SimConfigError } from './errors.ts';

/** Problems listed in a failing check's dump (the rest are counted). */
const MAX_LISTED = 20;

let calls = 0;
let workload_name = '';
/** A --check run: the checks follow the machine by the struct pages written (consistent()). */
let watching = false;

const nothing = (_op: number): void => {};

function after_op(op: number): void {
  calls++;
  check_machine(`after operation ${op}`);
}

/** Start a run: the `after_op` its workload gets (a no-op unless `on`). */
export function check_begin(on: boolean, workload: string): (op: number) => void {
  calls = 0;
  workload_name = workload;
  watching = on;
  synced = false;
  memmap_unwatch();
  return on ? after_op : nothing;
}

/** The end of a checked run: the workload must have been checked along the way, then once more. */
export function check_end(ops: number): void {
  if (ops > 0 && calls === 0) {
    throw new SimConfigError(`workload ${workload_name} never calls ctx.after_op(): --check cannot check it after every operation`);
  }
  try {
    check_machine('at the end of the run');
  } finally {
    watching = false;
    synced = false;
    memmap_unwatch();
  }
}

/**
 * Run every invariant now; KernelBug on the first violation. `full`: without the typed-array pass
 * first (what every check did before it; tests compare the two).
 */
export function check_machine(when: string, full = false): void {
  // The typed-array pass (incremental in a --check run) proves the common case (nothing wrong)
  // without a Page, a Map or a string per page; anything else, it cannot prove, gets the full
  // check, whose problems (and its faults on a wild pointer) are the report, word for word.
  if (!full && consistent()) return;
  const problems = memdesc_check_all();
  if (problems.length === 0) return;
  const more = problems.length > MAX_LISTED ? [`... and ${problems.length - MAX_LISTED} more`] : [];
  const m = /^pfn 0x([0-9a-f]+):/.exec(problems[0]!);
  const pfn = m ? parseInt(m[1]!, 16) : -1;
  const dump = pfn >= 0 && pfn < max_pfn() ? [dump_page(pfn_to_page(pfn), 'memdesc check')] : [];
  throw new KernelBug(
    `memdesc check failed ${when}: ${problems[0]}${problems.length > 1 ? ` (${problems.length - 1} more)` : ''}`,
    [...problems.slice(0, MAX_LISTED), ...more, ...dump].join('\n'),
  );
}

const TWO32 = 2 ** 32;
/** PageMemdesc() reads the high half of page->flags: the 32-bit word at byte 4 of struct page. */
const FLAGS_HI = 4;
const MEMDESC_FLAG_HI = 1 << (PAGE_MEMDESC_FLAG_SHIFT - 32);
/** Pointer words' tags: memdesc_type_has_desc() (file .. managed). */
const FIRST_DESC_TYPE = 2;
const LAST_DESC_TYPE = 13;
/** Safe integers' high halves are below 2^21 (2^53 = 2^21 * 2^32). */
const SAFE_HI = 2 ** 21;
/** Descriptors named by pages, per tag: counted anew by every pass. */
const named = new Int32Array(NR_MEMDESC_TYPES);

const BAD = 0;
const MISC = 1;
const POINTER = 2;

/**
 * What memdesc_check_all() makes of a marked page's word on its own: BAD when this pass cannot
 * prove it valid; MISC, a misc word with a subtype; POINTER, a descriptor tag and a plausible
 * address (direct map below the vmemmap, not the kernel image, here also inside RAM or the open
 * arena (`mapped` bytes), where read64() reads it as is).
 */
function word_kind(lo: number, hi: number, mapped: number): number {
  if (hi >= SAFE_HI) return BAD;
  const type = lo & 0xf;
  if (type === 0) return ((lo >>> 4) & 0x7f) === 0 ? BAD : MISC;
  if (type < FIRST_DESC_TYPE || type > LAST_DESC_TYPE) return BAD;
  const desc = lo - type + hi * TWO32;
  if (!(desc > PAGE_OFFSET && desc < VMEMMAP_START)) return BAD;
  const phys = desc - PAGE_OFFSET;
  if (phys >= KERNEL_LOAD_PHYS && phys < KERNEL_LOAD_PHYS + KERNEL_IMAGE_SIZE) return BAD;
  return phys + 8 > mapped ? BAD : POINTER;
}

/**
 * Does memdesc_check_all() find nothing now? True only when it would return [] (and not fault);
 * false whenever this pass cannot prove that, also for states that turn out fine: the caller then
 * runs the full check. One pass over the memmap's words, no object per page. Per page that
 * carries a word (as memdesc_check_all() visits them: marked, pfn below max_pfn and inside the
 * memmap), the word must be a safe integer; a misc word must have a subtype; a pointer word a
 * descriptor tag and a plausible address (direct map below the vmemmap, not the kernel image,
 * here also inside RAM or the open arena, where read64() reads it as is); its back pointer must
 * be the struct page (ascending, on a boundary) of a page at or before this one that is marked
 * and holds the same word. Descriptors named by pages are counted once each, at the page their
 * back pointer names: with every back pointer checked so, each descriptor named has exactly
 * one such page (its back pointer's, which holds its word), so the count equals the distinct
 * descriptors memdesc_check_all() collects, compared with memdesc_stats() the same way.
 */
export function machine_consistent(): boolean {
  const size = STRUCT_PAGE_SIZE;
  // A layout whose words this pass does not read aligned: the full check decides.
  if (size % 8 !== 0 || PAGE_MEMDESC_OFFSET % 8 !== 0 || PAGE_MEMDESC_OFFSET + 8 > size) return false;
  const base = memmap_phys();
  if (base % 8 !== 0) return false;
  const u32 = ram_words();
  const mapped = mapped_bytes();
  const limit = max_pfn();
  const step = size >>> 2;
  const mdWord = PAGE_MEMDESC_OFFSET >>> 2;
  const first0 = base >>> 2;
  named.fill(0);
  // The last pointer word proven (-1: none): the next pages of an allocation hold the same word,
  // and a word proven once is proven for every later page (its back pointer names a page before
  // them all), and counted already.
  let provenLo = -1;
  let provenHi = -1;
  // The marked pages, by a tight scan of every page's flags word (most pages carry no word), each
  // checked where it is found. Eight pages at a time, their words or'ed: a group without a marked
  // page costs one test (memory.ts memmap_scan32() scans alike; a list of pfns first, then a walk
  // over it, wrote and read every marked pfn once more).
  const n = Math.min(limit, Math.floor(memmap_bytes() / size));
  const flagsHi = FLAGS_HI >>> 2;
  const whole = n - (n % 8);
  let pfn = 0;
  while (pfn < n) {
    const w0 = first0 + pfn * step + flagsHi;
    if (pfn < whole) {
      if (((u32[w0]! | u32[w0 + step]! | u32[w0 + 2 * step]! | u32[w0 + 3 * step]! |
            u32[w0 + 4 * step]! | u32[w0 + 5 * step]! | u32[w0 + 6 * step]! | u32[w0 + 7 * step]!) & MEMDESC_FLAG_HI) === 0) {
        pfn += 8;
        continue;
      }
    }
    const groupEnd = pfn < whole ? pfn + 8 : pfn + 1;
    for (; pfn < groupEnd; pfn++) {
      const w = first0 + pfn * step;
      if ((u32[w + flagsHi]! & MEMDESC_FLAG_HI) === 0) continue;
      const lo = u32[w + mdWord]!;
      const hi = u32[w + mdWord + 1]!;
      if (lo === provenLo && hi === provenHi) continue;
      const kind = word_kind(lo, hi, mapped);
      if (kind === BAD) return false;
      if (kind === MISC) continue;
      const type = lo & 0xf;
      const phys = lo - type + hi * TWO32 - PAGE_OFFSET;
      const firstAddr = u32[phys >>> 2]! + u32[(phys >>> 2) + 1]! * TWO32;
      const pageAddr = VMEMMAP_START + pfn * size;
      if (firstAddr === pageAddr) {
        // The page is its descriptor's first (marked: the scan found it; its word is its own).
        named[type]!++;
      } else {
        if (firstAddr === 0 || firstAddr > pageAddr) return false;
        const off = firstAddr - VMEMMAP_START;
        if (off < 0 || off % size !== 0) return false;
        const fw = first0 + (off / size) * step;
        if ((u32[fw + 1]! & MEMDESC_FLAG_HI) === 0) return false;
        if (u32[fw + mdWord] !== lo || u32[fw + mdWord + 1] !== hi) return false;
      }
      provenLo = lo;
      provenHi = hi;
    }
  }
  for (const row of memdesc_stats()) {
    if (row.objects !== named[row.tag]) return false;
  }
  return true;
}

/*
 * The incremental pass of a --check run. A passing check records what it proved: each memmap
 * entry's kind (no word, misc, pointer) and, per pointer word, its group: the pages carrying that
 * word (one descriptor of one kind), their count, the first of them (the page its back pointer
 * names) and where the back pointer lives. memmap_watch() (sim/memory.ts) notes every struct page
 * written since, so the next check takes those pages out of the record and puts them back as they
 * are now (their words checked as the pass checks them), then reads every group's back pointer
 * (descriptors are slab memory, written by paths no watch of the memmap sees) and compares the
 * groups per kind with memdesc_stats(). That proves what machine_consistent() proves: with every
 * back pointer naming the first page of its word's pages, every page's own check holds, and the
 * groups are the distinct descriptors per kind. Anything it does not prove (a group's back pointer
 * moved, a page before its group's first, a new layout, a watch that cannot tell, any doubtful
 * word) sends the check to the whole pass, which records afresh when it passes: the verdict is
 * always the whole pass's.
 */

/** The record below is the machine as of the last check, which passed. */
let synced = false;
/** The layout it was made for: memmap entries checked, its base, the direct map's mapped bytes. */
let recPages = -1;
let recBase = -1;
let recMapped = -1;
/** Per memmap entry: no word (0), MISC or POINTER; a POINTER page's group. */
let pageKind = new Uint8Array(0);
let pageGroup = new Int32Array(0);
/** Groups by their word (lo + hi * 2^32, exact: hi < SAFE_HI), and per group, in arrays. */
const groupOf = new Map<number, number>();
let groupCount = new Int32Array(0);
let groupFirst = new Int32Array(0);
let groupWord = new Float64Array(0);
/** Where the back pointer is (its 32-bit index in RAM) and what it must hold (its halves). */
let groupAt = new Int32Array(0);
let groupLo = new Uint32Array(0);
let groupHi = new Uint32Array(0);
/** Made by this check: its first page is the least of its pages put back, found as they come. */
let groupNew = new Uint8Array(0);
let groupFree: number[] = [];
let groupTop = 0;
/** Groups kept from the last check whose first page was written since (take_out()). */
const firstWritten: number[] = [];
/** Groups per tag: the descriptors named by pages. */
const groupsPerTag = new Int32Array(NR_MEMDESC_TYPES);

/** machine_consistent(), from the record and the pages written since, when a --check run has one. */
function consistent(): boolean {
  if (!watching) return machine_consistent();
  if (synced && consistent_since()) return true;
  synced = false;
  memmap_watch(STRUCT_PAGE_SIZE);
  if (!machine_consistent()) return false;
  record();
  synced = true;
  return true;
}

function layout(): [pages: number, base: number, mapped: number] {
  return [Math.min(max_pfn(), Math.floor(memmap_bytes() / STRUCT_PAGE_SIZE)), memmap_phys(), mapped_bytes()];
}

/** The record of a machine machine_consistent() has just passed. */
function record(): void {
  const [pages, base, mapped] = layout();
  recPages = pages;
  recBase = base;
  recMapped = mapped;
  if (pageKind.length < pages) {
    pageKind = new Uint8Array(pages);
    pageGroup = new Int32Array(pages);
    groupCount = new Int32Array(pages);
    groupFirst = new Int32Array(pages);
    groupWord = new Float64Array(pages);
    groupAt = new Int32Array(pages);
    groupLo = new Uint32Array(pages);
    groupHi = new Uint32Array(pages);
    groupNew = new Uint8Array(pages);
  }
  pageKind.fill(0, 0, pages);
  groupOf.clear();
  groupFree = [];
  groupTop = 0;
  groupsPerTag.fill(0);
  for (const pfn of memmap_scan32(STRUCT_PAGE_SIZE, FLAGS_HI, MEMDESC_FLAG_HI)) {
    if (pfn >= pages) break;
    put_back(pfn);
  }
  for (let g = 0; g < groupTop; g++) if (groupNew[g] === 1) settle(g);
}

/** A new group's pages are all in: its first is known, and so what its back pointer must hold. */
function settle(g: number): void {
  const addr = VMEMMAP_START + groupFirst[g]! * STRUCT_PAGE_SIZE;
  groupLo[g] = addr % TWO32;
  groupHi[g] = Math.floor(addr / TWO32);
  groupNew[g] = 0;
}

/** Take a written page out of the record. */
function take_out(pfn: number): void {
  if (pageKind[pfn] === POINTER) {
    const g = pageGroup[pfn]!;
    if (groupFirst[g] === pfn) firstWritten.push(g);
    if (--groupCount[g] === 0) {
      groupOf.delete(groupWord[g]!);
      groupsPerTag[groupWord[g]! % 16]!--;
      groupFree.push(g);
    }
  }
  pageKind[pfn] = 0;
}

/** Put a page into the record as it is now; false when the pass would not prove its word. */
function put_back(pfn: number): boolean {
  const u32 = ram_words();
  const w = (recBase >>> 2) + pfn * (STRUCT_PAGE_SIZE >>> 2);
  if ((u32[w + (FLAGS_HI >>> 2)]! & MEMDESC_FLAG_HI) === 0) return true;
  const lo = u32[w + (PAGE_MEMDESC_OFFSET >>> 2)]!;
  const hi = u32[w + (PAGE_MEMDESC_OFFSET >>> 2) + 1]!;
  const kind = word_kind(lo, hi, recMapped);
  if (kind === BAD) return false;
  pageKind[pfn] = kind;
  if (kind === MISC) return true;
  const word = lo + hi * TWO32;
  let g = groupOf.get(word);
  if (g === undefined) {
    g = groupFree.length > 0 ? groupFree.pop()! : groupTop++;
    groupOf.set(word, g);
    groupCount[g] = 0;
    groupFirst[g] = pfn;
    groupAt[g] = (word - (lo & 0xf) - PAGE_OFFSET) / 4;
    groupWord[g] = word;
    groupNew[g] = 1;
    groupsPerTag[lo & 0xf]!++;
  } else if (groupNew[g] === 1) {
    if (pfn < groupFirst[g]!) groupFirst[g] = pfn;
  } else if (pfn < groupFirst[g]!) {
    return false;
  }
  groupCount[g]!++;
  pageGroup[pfn] = g;
  return true;
}

/** Is the machine still consistent, by the record and the pages written since it was made? */
function consistent_since(): boolean {
  const written = memmap_written();
  if (written === null) return false;
  const [pages, base, mapped] = layout();
  if (pages !== recPages || base !== recBase || mapped !== recMapped) return false;
  firstWritten.length = 0;
  for (const pfn of written) if (pfn < pages) take_out(pfn);
  for (const pfn of written) if (pfn < pages && !put_back(pfn)) return false;
  // A group kept from the last check keeps its first page while that page holds its word: it
  // did unless written since (a group made anew in its place finds its first below).
  for (const g of firstWritten) {
    if (groupCount[g] === 0 || groupNew[g] === 1) continue;
    const first = groupFirst[g]!;
    if (pageKind[first] !== POINTER || pageGroup[first] !== g) return false;
  }
  const u32 = ram_words();
  for (let g = 0; g < groupTop; g++) {
    if (groupCount[g] === 0) continue;
    if (groupNew[g] === 1) settle(g);
    const p = groupAt[g]!;
    if (u32[p] !== groupLo[g] || u32[p + 1] !== groupHi[g]) return false;
  }
  for (const row of memdesc_stats()) {
    if (row.objects !== groupsPerTag[row.tag]) return false;
  }
  return true;
}
