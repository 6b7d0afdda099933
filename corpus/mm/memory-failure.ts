/**
 * Handling of hardware memory errors (mm/memory-failure.c). memory_failure(pfn) is generic
 * code: it is handed a bare pfn and must work out what the page is before it may look at any
 * union word, so every access below sits under a page-type test. What it does per type:
 * free buddy pages are taken off the free lists; slab, zsmalloc, vmalloc and kernel page
 * tables are reported with their owner and left alone; a user page table and anonymous pages
 * cost the processes that use them their lives.
 */
import { Page } from '../include/linux/mm_types.ts';
import type { MmStruct } from '../include/linux/mm_types.ts';
import { init_mm } from '../include/linux/mm_types.ts';
import {
  PageBuddy, PageSlab, PageTable, PageZsmalloc, PageLargeKmalloc, PageReserved, PageAnon, PageLRU,
  PageSwapCache, TestSetPageHWPoison, PageHWPoison, SetPageHWPoison, PageLocked, SetPageLocked, ClearPageLocked, __PageMovable,
} from '../include/linux/page-flags.ts';
import {
  pfn_valid, pfn_to_page, page_to_pfn, compound_head, page_count, page_private, page_mapped, get_page, put_page,
} from '../include/linux/mm.ts';
import { list_for_each_entry } from '../include/linux/list.ts';
import { take_page_off_buddy, drain_all_pages, buddy_order, alloc_page } from './page_alloc.ts';
import { GFP_HIGHUSER_MOVABLE, __GFP_NOWARN } from '../include/linux/gfp.ts';
import { kmem_cache_from_addr } from '../include/linux/slab.ts';
import { zs_zspage, zs_page_migrate } from './zsmalloc.ts';
import { find_vm_area_of_page } from './vmalloc.ts';
import { pgd_list, pgd_page_get_mm } from '../arch/x86/mm/pgtable.ts';
import { page_mappings, try_to_unmap, TTU_IGNORE_MLOCK, TTU_IGNORE_ACCESS } from './rmap.ts';
import { for_each_process, type Task } from '../kernel/pid.ts';
import { process_exit } from '../kernel/exit.ts';
import { PTRS_PER_PUD, PTRS_PER_PMD, USER_PTRS_PER_PGD } from '../arch/x86/include/asm/pgtable_64_types.ts';
import {
  p4d_none, p4d_pfn, pud_none, pud_large, pud_pfn, pmd_none, pmd_large, pmd_pfn,
} from '../arch/x86/include/asm/pgtable.ts';
import { read64 } from '../sim/memory.ts';
import { __va } from '../include/linux/mm.ts';
import { PAGE_SIZE } from '../arch/x86/include/asm/page_64_types.ts';
import { trace_event } from '../sim/trace.ts';
import { register_report } from '../sim/reports.ts';
import { register_initcall, InitLevel } from '../sim/initcall.ts';
import { formatKernelAddress } from '../sim/errors.ts';

/** enum mf_result */
export type MfResult = 'Ignored' | 'Failed' | 'Delayed' | 'Recovered';

export interface MemoryFailureOutcome {
  pfn: number;
  /** action_page_types[] wording ("free buddy page", "kernel slab page", ...). */
  type: string;
  result: MfResult;
  /** Who owned the page, in words (cache, mm, pool and class, area and caller). */
  owner: string;
  /** Pids killed because of the error. */
  killed: number[];
}

let num_poisoned_pages = 0;
let mf_log: string[] = [];
let outcomes: MemoryFailureOutcome[] = [];

register_initcall(InitLevel.LATE, 'memory_failure_init', () => {
  num_poisoned_pages = 0;
  mf_log = [];
  outcomes = [];
});

function log(line: string): void {
  mf_log.push(line);
  trace_event('memory_failure', line);
}

function hex(pfn: number): string {
  return `0x${pfn.toString(16)}`;
}

/** Log the outcome's line and keep it for the report. */
function record(out: MemoryFailureOutcome, line: string): MemoryFailureOutcome {
  log(line);
  outcomes.push(out);
  return out;
}

function action_result(pfn: number, type: string, result: MfResult, owner: string, killed: number[] = []): MemoryFailureOutcome {
  return record({ pfn, type, result, owner, killed }, `Memory failure: ${hex(pfn)}: recovery action for ${type}: ${result}${owner ? ` (${owner})` : ''}`);
}

/* ---- free pages ---- */

/** Is `page` inside a free buddy block (is_free_buddy_page)? */
function is_free_buddy_page(page: Page): boolean {
  const pfn = page_to_pfn(page);
  for (let order = 0; order <= 10; order++) {
    const head_pfn = pfn & ~((1 << order) - 1);
    if (!pfn_valid(head_pfn)) break;
    const head = pfn_to_page(head_pfn);
    if (PageBuddy(head) && buddy_order(head) >= order) return true;
  }
  return false;
}

/* ---- page tables ---- */

/** The pgd page is on pgd_list: it records its mm in page->index (read by pgd_page_get_mm). */
function pgd_page_owner(page: Page): MmStruct | null {
  for (const pgd of list_for_each_entry(pgd_list, Page, 'lru')) {
    if (page_to_pfn(pgd) === page_to_pfn(page)) return pgd_page_get_mm(pgd);
  }
  return null;
}

/** Does `mm`'s user page-table tree use the table page at `pfn`? */
function mm_uses_table(mm: MmStruct, pfn: number): boolean {
  const pgd = mm.pgd;
  for (let i = 0; i < USER_PTRS_PER_PGD; i++) {
    const pgdval = read64(pgd + i * 8);
    if (p4d_none(pgdval)) continue;
    const pud_pfn_ = p4d_pfn(pgdval);
    if (pud_pfn_ === pfn) return true;
    const pud_table = __va(pud_pfn_ * PAGE_SIZE);
    for (let j = 0; j < PTRS_PER_PUD; j++) {
      const pudval = read64(pud_table + j * 8);
      if (pud_none(pudval) || pud_large(pudval)) continue;
      const pmd_pfn_ = pud_pfn(pudval);
      if (pmd_pfn_ === pfn) return true;
      const pmd_table = __va(pmd_pfn_ * PAGE_SIZE);
      for (let k = 0; k < PTRS_PER_PMD; k++) {
        const pmdval = read64(pmd_table + k * 8);
        if (pmd_none(pmdval) || pmd_large(pmdval)) continue;
        if (pmd_pfn(pmdval) === pfn) return true;
      }
    }
  }
  return false;
}

/**
 * Which mm a page-table page belongs to: a pgd records it; for lower levels, walk every pgd
 * on pgd_list (the x86 list of pgds, threaded through page->lru) and search its tree.
 */
function pgtable_owner(page: Page): MmStruct | null {
  const direct = pgd_page_owner(page);
  if (direct) return direct;
  const pfn = page_to_pfn(page);
  for (const pgd of list_for_each_entry(pgd_list, Page, 'lru')) {
    const mm = pgd_page_get_mm(pgd);
    if (mm_uses_table(mm, pfn)) return mm;
  }
  return null;
}

function tasks_of_mm(mm: MmStruct): Task[] {
  return for_each_process().filter((t) => t.mm === mm);
}

function kill_procs(pfn: number, tasks: Task[]): number[] {
  const killed: number[] = [];
  for (const t of tasks) {
    if (t.exit_state) continue;
    log(`Memory failure: ${hex(pfn)}: Killing ${t.comm}:${t.pid} due to hardware memory corruption`);
    process_exit(t);
    killed.push(t.pid);
  }
  return killed;
}

/* ---- the entry point ---- */

/** Handle an uncorrectable error in the page frame `pfn`. */
export function memory_failure(pfn: number): MemoryFailureOutcome {
  if (!pfn_valid(pfn)) {
    log(`Memory failure: ${hex(pfn)}: memory outside kernel control`);
    return { pfn, type: 'invalid pfn', result: 'Failed', owner: '', killed: [] };
  }
  const p = pfn_to_page(pfn);
  if (TestSetPageHWPoison(p)) {
    log(`Memory failure: ${hex(pfn)}: already hardware poisoned`);
    return { pfn, type: 'already poisoned page', result: 'Ignored', owner: '', killed: [] };
  }
  num_poisoned_pages++;
  const head = compound_head(p);

  if (PageReserved(p)) return action_result(pfn, 'reserved kernel page', 'Ignored', '');

  if (page_count(head) === 0) {
    // Free: maybe on a per-cpu list; shake it into the buddy lists first.
    if (!is_free_buddy_page(p)) drain_all_pages();
    if (is_free_buddy_page(p)) {
      const ok = take_page_off_buddy(p);
      return action_result(pfn, 'free buddy page', ok ? 'Recovered' : 'Failed', '');
    }
    return action_result(pfn, 'unknown page', 'Failed', 'refcount 0 but not free');
  }

  if (PageSlab(head)) {
    const cache = kmem_cache_from_addr(head.mapping);
    return action_result(pfn, 'kernel slab page', 'Ignored', `cache ${cache.name}`);
  }

  if (PageLargeKmalloc(head)) return action_result(pfn, 'kernel high-order page', 'Ignored', 'large kmalloc');

  if (PageTable(p)) {
    const mm = pgtable_owner(p);
    if (!mm) return action_result(pfn, 'page table page', 'Failed', 'owner not found');
    if (mm === init_mm) return action_result(pfn, 'kernel page table page', 'Ignored', 'init_mm');
    const tasks = tasks_of_mm(mm);
    const owner = `mm ${formatKernelAddress(mm.addr)} of ${tasks.map((t) => `${t.comm}:${t.pid}`).join(',') || 'no task'}`;
    const killed = kill_procs(pfn, tasks);
    return action_result(pfn, 'page table page', killed.length ? 'Recovered' : 'Failed', owner, killed);
  }

  if (PageZsmalloc(p)) {
    const zspage = zs_zspage(page_private(p));
    const owner = zspage?.pool ? `pool ${zspage.pool.name} class ${zspage.class}` : 'zspage not found';
    return action_result(pfn, 'zsmalloc page', 'Ignored', owner);
  }

  const vm = find_vm_area_of_page(p);
  if (vm) {
    const area = `area ${formatKernelAddress(vm.addr)}-${formatKernelAddress(vm.addr + vm.size)} caller ${vm.caller}`;
    return action_result(pfn, 'vmalloc page', 'Ignored', area);
  }

  if (PageAnon(head) && PageLRU(head)) {
    const mms = new Set(page_mappings(head).map((m) => m.mm));
    const tasks = for_each_process().filter((t) => t.mm !== null && mms.has(t.mm));
    const type = PageSwapCache(head) ? 'swapcache page' : 'anonymous LRU page';
    const unmapped = try_to_unmap(head, TTU_IGNORE_MLOCK | TTU_IGNORE_ACCESS);
    const owner = tasks.map((t) => `${t.comm}:${t.pid}`).join(',') || 'unmapped';
    const killed = kill_procs(pfn, tasks);
    const gone = unmapped && !page_mapped(head);
    return action_result(pfn, type, gone ? 'Recovered' : 'Failed', owner, killed);
  }

  return action_result(pfn, 'unknown page', 'Ignored', '');
}

/**
 * soft_offline_page(): a page that reports correctable errors is emptied before it fails for
 * good: its contents move to a new page, and the old frame is poisoned and kept off the free
 * lists. A free page is just taken off the free lists. In-use pages move through their
 * movable_operations (zsmalloc here); this port has no migration for LRU or other in-use pages,
 * so those are refused, as the kernel refuses pages it cannot isolate (-EBUSY).
 */
export function soft_offline_page(pfn: number): MemoryFailureOutcome {
  const result = (type: string, r: MfResult, owner: string): MemoryFailureOutcome =>
    record({ pfn, type: `soft offline: ${type}`, result: r, owner, killed: [] }, `soft offline: ${hex(pfn)}: ${type}: ${r}${owner ? ` (${owner})` : ''}`);
  if (!pfn_valid(pfn)) return result('invalid pfn', 'Failed', '');
  const page = pfn_to_page(pfn);
  if (PageHWPoison(page)) return result('already poisoned page', 'Ignored', '');
  if (PageReserved(page)) return result('reserved kernel page', 'Ignored', '');
  if (page_count(compound_head(page)) === 0) {
    if (!take_page_off_buddy(page)) return result('free page', 'Failed', 'not on the free lists');
    SetPageHWPoison(page);
    num_poisoned_pages++;
    return result('free page', 'Recovered', '');
  }
  // Non-LRU movable pages first (the generic test), then the one kind this port can migrate.
  if (!__PageMovable(page) || !PageZsmalloc(page)) return result('page not migratable', 'Failed', 'EBUSY');
  // isolate_movable_page(): a reference of our own, and the page lock.
  get_page(page);
  if (PageLocked(page)) {
    put_page(page);
    return result('zsmalloc page', 'Failed', 'EBUSY: page locked');
  }
  SetPageLocked(page);
  // alloc_migration_target()
  const newpage = alloc_page(GFP_HIGHUSER_MOVABLE | __GFP_NOWARN);
  if (!newpage) {
    ClearPageLocked(page);
    put_page(page);
    return result('zsmalloc page', 'Failed', 'ENOMEM: no target page');
  }
  SetPageLocked(newpage);
  zs_page_migrate(newpage, page);
  ClearPageLocked(newpage);
  put_page(newpage);
  ClearPageLocked(page);
  put_page(page);
  // page_handle_poison(): the emptied frame is freed now; keep it off the free lists.
  if (!take_page_off_buddy(page)) return result('zsmalloc page', 'Failed', 'migrated, but the old frame did not reach the free lists');
  SetPageHWPoison(page);
  num_poisoned_pages++;
  return result('zsmalloc page', 'Recovered', `migrated to ${hex(page_to_pfn(newpage))}`);
}

export function poisoned_pages(): number {
  return num_poisoned_pages;
}

export function memory_failure_outcomes(): readonly MemoryFailureOutcome[] {
  return outcomes;
}

register_report({
  name: 'memory-failure',
  title: 'memory failure (dmesg)',
  text: () => [`HardwareCorrupted: ${num_poisoned_pages * (PAGE_SIZE >> 10)} kB`, ...mf_log].join('\n'),
  json: () => ({ poisoned: num_poisoned_pages, outcomes }),
});

