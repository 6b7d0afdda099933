/**
 * Address-space layout (mm/mmap.c): the sorted VMA list, anonymous mmap()/munmap() with VMA
 * merging and splitting, and exit_mmap(). Only private anonymous mappings exist; addresses
 * are chosen top-down below mmap_base with no randomisation, so runs are reproducible.
 */
import {
  MmStruct, type VmAreaStruct, VM_READ, VM_WRITE, VM_EXEC, VM_SHARED, VM_MAYREAD, VM_MAYWRITE, VM_MAYEXEC, VM_ACCOUNT,
  VM_NORESERVE,
} from '../include/linux/mm_types.ts';
import { PAGE_SIZE } from '../arch/x86/include/asm/page_64_types.ts';
import {
  PAGE_COPY, PAGE_COPY_EXEC, PAGE_NONE, PAGE_READONLY, PAGE_READONLY_EXEC, PAGE_SHARED, PAGE_SHARED_EXEC, type pgprot_t,
} from '../arch/x86/include/asm/pgtable_types.ts';
import { TASK_SIZE, FIRST_USER_ADDRESS, USER_PGTABLES_CEILING } from '../arch/x86/include/asm/pgtable_64_types.ts';
import { tlb_gather_mmu, tlb_finish_mmu, unmap_vmas, free_pgtables, ENOMEM, EINVAL } from './memory.ts';
import { anon_vma_clone, unlink_anon_vmas } from './rmap.ts';
import { vm_area_alloc, vm_area_dup, vm_area_free } from '../kernel/fork.ts';
import { BUG } from '../include/linux/mmdebug.ts';
import type { Task } from '../kernel/pid.ts';
import { trace_event, tracepoints_enabled } from '../sim/trace.ts';

export const PROT_NONE = 0x0;
export const PROT_READ = 0x1;
export const PROT_WRITE = 0x2;
export const PROT_EXEC = 0x4;

/** DEFAULT_MAX_MAP_COUNT */
export const sysctl_max_map_count = 65530;
/** CONFIG_DEFAULT_MMAP_MIN_ADDR on x86 */
export const mmap_min_addr = 65536;
/** Bottom-up search start (TASK_UNMAPPED_BASE). */
export const TASK_UNMAPPED_BASE = Math.ceil(TASK_SIZE / 3 / PAGE_SIZE) * PAGE_SIZE;
/** The minimum gap below the stack (arch/x86/mm/mmap.c: SIZE_128M). */
const MIN_GAP = 128 * 1024 * 1024;

/** protection_map[]: __P000..__P111 then __S000..__S111 (indexed by vm_flags & 0xf). */
const protection_map: readonly pgprot_t[] = [
  PAGE_NONE, PAGE_READONLY, PAGE_COPY, PAGE_COPY, PAGE_READONLY_EXEC, PAGE_READONLY_EXEC, PAGE_COPY_EXEC, PAGE_COPY_EXEC,
  PAGE_NONE, PAGE_READONLY, PAGE_SHARED, PAGE_SHARED, PAGE_READONLY_EXEC, PAGE_READONLY_EXEC, PAGE_SHARED_EXEC,
  PAGE_SHARED_EXEC,
];

export function vm_get_page_prot(vm_flags: number): pgprot_t {
  return protection_map[vm_flags & (VM_READ | VM_WRITE | VM_EXEC | VM_SHARED)]!;
}

export function calc_vm_prot_bits(prot: number): number {
  return (prot & PROT_READ ? VM_READ : 0) | (prot & PROT_WRITE ? VM_WRITE : 0) | (prot & PROT_EXEC ? VM_EXEC : 0);
}

export function vma_pages(vma: VmAreaStruct): number {
  return (vma.vm_end - vma.vm_start) / PAGE_SIZE;
}

/** Legacy-free top-down layout: mmap_base sits MIN_GAP below TASK_SIZE (no randomisation). */
export function arch_pick_mmap_layout(mm: MmStruct): void {
  mm.mmap_base = Math.floor((TASK_SIZE - MIN_GAP) / PAGE_SIZE) * PAGE_SIZE;
  mm.task_size = TASK_SIZE;
}

/* ---- the VMA list ---- */

/** The first VMA with vm_end > addr, or null. */
export function find_vma(mm: MmStruct, addr: number): VmAreaStruct | null {
  const cached = mm.mmap_cache;
  if (cached && cached.vm_start <= addr && cached.vm_end > addr) return cached;
  for (let vma = mm.mmap; vma; vma = vma.vm_next) {
    if (vma.vm_end > addr) {
      if (vma.vm_start <= addr) mm.mmap_cache = vma;
      return vma;
    }
  }
  return null;
}

/** find_vma() plus the VMA before the result (the last one when the result is null). */
export function find_vma_prev(mm: MmStruct, addr: number): [VmAreaStruct | null, VmAreaStruct | null] {
  let prev: VmAreaStruct | null = null;
  for (let vma = mm.mmap; vma; vma = vma.vm_next) {
    if (vma.vm_end > addr) return [vma, prev];
    prev = vma;
  }
  return [null, prev];
}

function vmacache_invalidate(mm: MmStruct): void {
  mm.mmap_cache = null;
}

function update_highest_vm_end(mm: MmStruct): void {
  let last: VmAreaStruct | null = mm.mmap;
  while (last && last.vm_next) last = last.vm_next;
  mm.highest_vm_end = last ? last.vm_end : 0;
}

/** Link `vma` after `prev` (or first). */
function __vma_link_list(mm: MmStruct, vma: VmAreaStruct, prev: VmAreaStruct | null): void {
  vma.vm_prev = prev;
  const next = prev ? prev.vm_next : mm.mmap;
  if (prev) prev.vm_next = vma;
  else mm.mmap = vma;
  vma.vm_next = next;
  if (next) next.vm_prev = vma;
}

function __vma_unlink_list(mm: MmStruct, vma: VmAreaStruct): void {
  const prev = vma.vm_prev;
  const next = vma.vm_next;
  if (prev) prev.vm_next = next;
  else mm.mmap = next;
  if (next) next.vm_prev = prev;
  vmacache_invalidate(mm);
}

export function vma_link(mm: MmStruct, vma: VmAreaStruct, prev: VmAreaStruct | null): void {
  __vma_link_list(mm, vma, prev);
  mm.map_count++;
  update_highest_vm_end(mm);
}

/* ---- choosing an address ---- */

/** vm_unmapped_area(): the highest (top-down) or lowest gap of `len` bytes in [low, high). */
function vm_unmapped_area(mm: MmStruct, len: number, low: number, high: number, topdown: boolean): number {
  if (high - low < len) return -ENOMEM;
  if (topdown) {
    let upper = high;
    let vma = mm.mmap;
    while (vma && vma.vm_next) vma = vma.vm_next;
    for (; vma; vma = vma.vm_prev) {
      if (vma.vm_start >= upper) continue;
      if (vma.vm_end <= upper && upper - Math.max(vma.vm_end, low) >= len) return upper - len;
      upper = Math.min(upper, vma.vm_start);
      if (upper - low < len) return -ENOMEM;
    }
    return upper - low >= len ? upper - len : -ENOMEM;
  }
  let lower = low;
  for (let vma = mm.mmap; vma; vma = vma.vm_next) {
    if (vma.vm_end <= lower) continue;
    if (vma.vm_start >= lower && Math.min(vma.vm_start, high) - lower >= len) return lower;
    lower = Math.max(lower, vma.vm_end);
    if (high - lower < len) return -ENOMEM;
  }
  return high - lower >= len ? lower : -ENOMEM;
}

/** arch_get_unmapped_area_topdown(), falling back to a bottom-up search. */
export function get_unmapped_area(mm: MmStruct, len: number): number {
  if (len > TASK_SIZE - mmap_min_addr) return -ENOMEM;
  const low = Math.max(PAGE_SIZE, mmap_min_addr);
  const addr = vm_unmapped_area(mm, len, low, mm.mmap_base, true);
  if (addr >= 0) return addr;
  return vm_unmapped_area(mm, len, TASK_UNMAPPED_BASE, TASK_SIZE, false);
}

/* ---- merging ---- */

/** Two anon_vmas can share a merged VMA if one is missing or they are the same. */
function is_mergeable_anon_vma(a: VmAreaStruct['anon_vma'], b: VmAreaStruct['anon_vma']): boolean {
  return !a || !b || a === b;
}

/** `importer` takes over `victim`'s range; the victim is unlinked and freed (__vma_adjust). */
function vma_absorb_next(mm: MmStruct, importer: VmAreaStruct, victim: VmAreaStruct): boolean {
  if (victim.anon_vma && !importer.anon_vma) {
    importer.anon_vma = victim.anon_vma;
    if (anon_vma_clone(importer, victim)) return false; // anon_vma_clone() reset importer.anon_vma
  }
  importer.vm_end = victim.vm_end;
  __vma_unlink_list(mm, victim);
  mm.map_count--;
  if (victim.anon_vma) unlink_anon_vmas(victim); // anon_vma_merge()
  vm_area_free(victim);
  update_highest_vm_end(mm);
  return true;
}

/**
 * Merge the new region [addr, end) with its neighbours when they have the same flags and
 * contiguous offsets (vma_merge for a new anonymous mapping). Returns the VMA now covering
 * the region, or null.
 */
function vma_merge(mm: MmStruct, prev: VmAreaStruct | null, addr: number, end: number, vm_flags: number,
  pgoff: number): VmAreaStruct | null {
  const next = prev ? prev.vm_next : mm.mmap;
  const pglen = (end - addr) / PAGE_SIZE;
  const can_after = !!prev && prev.vm_end === addr && prev.vm_flags === vm_flags &&
    prev.vm_pgoff + vma_pages(prev) === pgoff;
  const can_before = !!next && next.vm_start === end && next.vm_flags === vm_flags && next.vm_pgoff === pgoff + pglen;
  if (can_after) {
    prev!.vm_end = end;
    if (can_before && is_mergeable_anon_vma(prev!.anon_vma, next!.anon_vma)) {
      if (!vma_absorb_next(mm, prev!, next!)) {
        prev!.vm_end = addr;
        return null;
      }
    }
    update_highest_vm_end(mm);
    return prev;
  }
  if (can_before) {
    next!.vm_start = addr;
    next!.vm_pgoff = pgoff;
    vmacache_invalidate(mm);
    return next;
  }
  return null;
}

/* ---- mmap ---- */

/** Map `len` bytes of [addr, addr+len), which is free (mmap_region). Returns addr or -errno. */
function mmap_region(mm: MmStruct, addr: number, len: number, vm_flags: number, pgoff: number): number {
  if (mm.map_count >= sysctl_max_map_count) return -ENOMEM;
  // Private writable mappings are charged (accountable_mapping); the overcommit check always passes.
  if ((vm_flags & (VM_SHARED | VM_WRITE | VM_NORESERVE)) === VM_WRITE) vm_flags |= VM_ACCOUNT;
  const [, prev] = find_vma_prev(mm, addr);
  let vma = vma_merge(mm, prev, addr, addr + len, vm_flags, pgoff);
  if (!vma) {
    vma = vm_area_alloc(mm);
    if (!vma) return -ENOMEM;
    vma.vm_start = addr;
    vma.vm_end = addr + len;
    vma.vm_flags = vm_flags;
    vma.vm_page_prot = vm_get_page_prot(vm_flags);
    vma.vm_pgoff = pgoff;
    vma_link(mm, vma, prev);
  }
  mm.total_vm += len / PAGE_SIZE;
  if (vm_flags & VM_ACCOUNT) mm.nr_accounted += len / PAGE_SIZE;
  return addr;
}

function mm_of(t: Task | MmStruct): MmStruct {
  if (t instanceof MmStruct) return t;
  if (!t.mm) BUG(`mmap in task ${t.pid} without an mm`);
  return t.mm;
}

/**
 * mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0): returns the user address or a
 * negative errno (-EINVAL, -ENOMEM).
 */
export function do_mmap_anon(task: Task | MmStruct, len: number, prot: number): number {
  const mm = mm_of(task);
  if (!Number.isInteger(len) || len <= 0) return -EINVAL;
  len = Math.ceil(len / PAGE_SIZE) * PAGE_SIZE;
  if (len > TASK_SIZE) return -ENOMEM;
  if (mm.map_count > sysctl_max_map_count) return -ENOMEM;
  const addr = get_unmapped_area(mm, len);
  if (addr < 0) return addr;
  const vm_flags = calc_vm_prot_bits(prot) | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC;
  const ret = mmap_region(mm, addr, len, vm_flags, addr / PAGE_SIZE);
  if (tracepoints_enabled && ret >= 0) trace_event('mmap', `mm=${mm.addr.toString(16)} addr=0x${ret.toString(16)} len=0x${len.toString(16)} prot=${prot}`);
  return ret;
}

/* ---- munmap ---- */

/** Split `vma` at `addr`; the new VMA takes the part below (new_below) or above. 0 or -ENOMEM. */
export function __split_vma(mm: MmStruct, vma: VmAreaStruct, addr: number, new_below: boolean): number {
  const n = vm_area_dup(vma);
  if (!n) return -ENOMEM;
  if (new_below) {
    n.vm_end = addr;
  } else {
    n.vm_start = addr;
    n.vm_pgoff += (addr - vma.vm_start) / PAGE_SIZE;
  }
  if (anon_vma_clone(n, vma)) {
    vm_area_free(n);
    return -ENOMEM;
  }
  if (new_below) {
    vma.vm_pgoff += (addr - vma.vm_start) / PAGE_SIZE;
    vma.vm_start = addr;
    __vma_link_list(mm, n, vma.vm_prev);
  } else {
    vma.vm_end = addr;
    __vma_link_list(mm, n, vma);
  }
  mm.map_count++;
  vmacache_invalidate(mm);
  return 0;
}

/** Take [vma .. the last VMA starting below end] off the list; returns the detached list's tail. */
function detach_vmas_to_be_unmapped(mm: MmStruct, vma: VmAreaStruct, prev: VmAreaStruct | null, end: number): void {
  let tail = vma;
  let cur: VmAreaStruct | null = vma;
  vma.vm_prev = null;
  do {
    mm.map_count--;
    tail = cur!;
    cur = cur!.vm_next;
  } while (cur && cur.vm_start < end);
  if (prev) prev.vm_next = cur;
  else mm.mmap = cur;
  if (cur) cur.vm_prev = prev;
  tail.vm_next = null;
  vmacache_invalidate(mm);
  update_highest_vm_end(mm);
}

function unmap_region(mm: MmStruct, vma: VmAreaStruct, prev: VmAreaStruct | null, start: number, end: number): void {
  const next = prev ? prev.vm_next : mm.mmap;
  const tlb = tlb_gather_mmu(mm, start, end);
  unmap_vmas(tlb, vma, start, end);
  free_pgtables(tlb, vma, prev ? prev.vm_end : FIRST_USER_ADDRESS, next ? next.vm_start : USER_PGTABLES_CEILING);
  tlb_finish_mmu(tlb);
}

function remove_vma_list(mm: MmStruct, vma: VmAreaStruct | null): void {
  while (vma) {
    const pages = vma_pages(vma);
    if (vma.vm_flags & VM_ACCOUNT) mm.nr_accounted -= pages;
    mm.total_vm -= pages;
    const next: VmAreaStruct | null = vma.vm_next;
    vm_area_free(vma);
    vma = next;
  }
}

/** munmap(start, len) on `mm`: 0 or -errno (__do_munmap). */
export function __do_munmap(mm: MmStruct, start: number, len: number): number {
  if (start % PAGE_SIZE || start > TASK_SIZE || len > TASK_SIZE - start) return -EINVAL;
  len = Math.ceil(len / PAGE_SIZE) * PAGE_SIZE;
  const end = start + len;
  if (len === 0) return -EINVAL;

  let [vma, prev] = find_vma_prev(mm, start);
  if (!vma || vma.vm_start >= end) return 0;

  if (start > vma.vm_start) {
    // Splitting in the middle leaves one more VMA.
    if (end < vma.vm_end && mm.map_count >= sysctl_max_map_count) return -ENOMEM;
    const error = __split_vma(mm, vma, start, false);
    if (error) return error;
    prev = vma;
  }
  const last = find_vma(mm, end);
  if (last && end > last.vm_start) {
    const error = __split_vma(mm, last, end, true);
    if (error) return error;
  }
  vma = prev ? prev.vm_next! : mm.mmap!;
  detach_vmas_to_be_unmapped(mm, vma, prev, end);
  unmap_region(mm, vma, prev, start, end);
  remove_vma_list(mm, vma);
  return 0;
}

export function do_munmap(task: Task | MmStruct, addr: number, len: number): number {
  const mm = mm_of(task);
  const ret = __do_munmap(mm, addr, len);
  if (tracepoints_enabled) trace_event('munmap', `mm=${mm.addr.toString(16)} addr=0x${addr.toString(16)} len=0x${len.toString(16)} ret=${ret}`);
  return ret;
}

/** Tear down the whole address space (the last user is gone). */
export function exit_mmap(mm: MmStruct): void {
  const vma = mm.mmap;
  if (!vma) return; // dup_mmap() may have failed before the first VMA
  const tlb = tlb_gather_mmu(mm, 0, Infinity);
  unmap_vmas(tlb, vma, 0, Infinity);
  free_pgtables(tlb, vma, FIRST_USER_ADDRESS, USER_PGTABLES_CEILING);
  tlb_finish_mmu(tlb);
  mm.mmap = null;
  mm.map_count = 0;
  vmacache_invalidate(mm);
  remove_vma_list(mm, vma);
  update_highest_vm_end(mm);
}

