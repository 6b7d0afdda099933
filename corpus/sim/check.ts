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
 * operation a violation is reported at and the report's text are the full check's.
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
import { ram_words, memmap_phys, memmap_bytes, mapped_bytes } from './memory.ts';
import { KernelBug, SimConfigError } from './errors.ts';

/** Problems listed in a failing check's dump (the rest are counted). */
const MAX_LISTED = 20;

let calls = 0;
let workload_name = '';

const nothing = (_op: number): void => {};

function after_op(op: number): void {
  calls++;
  check_machine(`after operation ${op}`);
}

/** Start a run: the `after_op` its workload gets (a no-op unless `on`). */
export function check_begin(on: boolean, workload: string): (op: number) => void {
  calls = 0;
  workload_name = workload;
  return on ? after_op : nothing;
}

/** The end of a checked run: the workload must have been checked along the way, then once more. */
export function check_end(ops: number): void {
  if (ops > 0 && calls === 0) {
    throw new SimConfigError(`workload ${workload_name} never calls ctx.after_op(): --check cannot check it after every operation`);
  }
  check_machine('at the end of the run');
}

/**
 * Run every invariant now; KernelBug on the first violation. `full`: without the typed-array pass
 * first (what every check did before it; tests compare the two).
 */
export function check_machine(when: string, full = false): void {
  // The typed-array pass proves the common case (nothing wrong) without a Page, a Map or a
  // string per page; anything else, it cannot prove, gets the full check, whose problems (and
  // its faults on a wild pointer) are the report, word for word.
  if (!full && machine_consistent()) return;
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
      if (hi >= SAFE_HI) return false;
      const type = lo & 0xf;
      if (type === 0) {
        if (((lo >>> 4) & 0x7f) === 0) return false;
        continue;
      }
      if (type < FIRST_DESC_TYPE || type > LAST_DESC_TYPE) return false;
      const desc = lo - type + hi * TWO32;
      if (!(desc > PAGE_OFFSET && desc < VMEMMAP_START)) return false;
      const phys = desc - PAGE_OFFSET;
      if (phys >= KERNEL_LOAD_PHYS && phys < KERNEL_LOAD_PHYS + KERNEL_IMAGE_SIZE) return false;
      if (phys + 8 > mapped) return false;
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
