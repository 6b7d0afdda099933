/**
 * /proc/kpageflags (fs/proc/page.c): the stable flags of every pfn, computed by generic code
 * that may only look at a page through its type tests and its flags word (w0, which stays in
 * struct page), as the kernel's stable_page_flags().
 */
import { Page } from '../../include/linux/mm_types.ts';
import { register_report } from '../../sim/reports.ts';
import {
  PageAnon, PageBuddy, PageSlab, PageTable, PageZsmalloc, PageTail, PageLargeKmalloc, PageOffline, page_has_type,
  PG_head, PG_hwpoison, PG_lru, PG_active, PG_referenced, PG_uptodate, PG_dirty, PG_locked, PG_unevictable,
  PG_swapcache, PG_swapbacked, PG_reserved, PG_private,
} from '../../include/linux/page-flags.ts';
import { pfn_to_page, pfn_valid, max_pfn, compound_head, page_mapped } from '../../include/linux/mm.ts';

export const KPF_LOCKED = 0;
export const KPF_ERROR = 1;
export const KPF_REFERENCED = 2;
export const KPF_UPTODATE = 3;
export const KPF_DIRTY = 4;
export const KPF_LRU = 5;
export const KPF_ACTIVE = 6;
export const KPF_SLAB = 7;
export const KPF_WRITEBACK = 8;
export const KPF_RECLAIM = 9;
export const KPF_BUDDY = 10;
export const KPF_MMAP = 11;
export const KPF_ANON = 12;
export const KPF_SWAPCACHE = 13;
export const KPF_SWAPBACKED = 14;
export const KPF_COMPOUND_HEAD = 15;
export const KPF_COMPOUND_TAIL = 16;
export const KPF_HUGE = 17;
export const KPF_UNEVICTABLE = 18;
export const KPF_HWPOISON = 19;
export const KPF_NOPAGE = 20;
export const KPF_KSM = 21;
export const KPF_THP = 22;
export const KPF_OFFLINE = 23;
export const KPF_ZERO_PAGE = 24;
export const KPF_IDLE = 25;
export const KPF_PGTABLE = 26;
/** Kernel-internal bits (KPF_RESERVED and friends start at 32; shown with kpageflags -r). */
export const KPF_RESERVED = 32;
export const KPF_PRIVATE = 34;
/** Our own extension: zsmalloc pages (a page type the stable ABI has no bit for). */
export const KPF_ZSMALLOC = 40;

const KPF_NAMES: Record<number, string> = {
  [KPF_LOCKED]: 'locked', [KPF_REFERENCED]: 'referenced', [KPF_UPTODATE]: 'uptodate', [KPF_DIRTY]: 'dirty',
  [KPF_LRU]: 'lru', [KPF_ACTIVE]: 'active', [KPF_SLAB]: 'slab', [KPF_BUDDY]: 'buddy', [KPF_MMAP]: 'mmap',
  [KPF_ANON]: 'anonymous', [KPF_SWAPCACHE]: 'swapcache', [KPF_SWAPBACKED]: 'swapbacked',
  [KPF_COMPOUND_HEAD]: 'compound_head', [KPF_COMPOUND_TAIL]: 'compound_tail', [KPF_UNEVICTABLE]: 'unevictable',
  [KPF_HWPOISON]: 'hwpoison', [KPF_NOPAGE]: 'nopage', [KPF_OFFLINE]: 'offline', [KPF_PGTABLE]: 'pgtable',
  [KPF_RESERVED]: 'reserved', [KPF_PRIVATE]: 'private', [KPF_ZSMALLOC]: 'zsmalloc',
};

function bit(cond: boolean, nr: number): number {
  return cond ? 2 ** nr : 0;
}

/** Bit `pg` of the flags word `k` as KPF bit `kpf` (kpf_copy_bit()). */
function kpf_copy_bit(k: number, kpf: number, pg: number): number {
  return (k >>> pg) & 1 ? 2 ** kpf : 0;
}

/** stable_page_flags(): what a pfn is, from its struct page alone. */
export function stable_page_flags(page: Page | null): number {
  if (!page) return 2 ** KPF_NOPAGE;
  let u = 0;
  const head = compound_head(page);
  // Typed pages keep other data in the mapcount word: test the type before the mapcount.
  if (page_has_type(head)) {
    u += bit(PageBuddy(page), KPF_BUDDY);
    u += bit(PageSlab(head), KPF_SLAB);
    u += bit(PageTable(page), KPF_PGTABLE);
    u += bit(PageZsmalloc(page), KPF_ZSMALLOC);
    u += bit(PageOffline(page), KPF_OFFLINE);
    u += bit(PageLargeKmalloc(head), KPF_SLAB);
  } else {
    u += bit(page_mapped(page), KPF_MMAP);
    if (PageAnon(head)) u += 2 ** KPF_ANON;
  }
  u += bit(PageTail(page), KPF_COMPOUND_TAIL);
  // The PG_* bits the tests above do not need, copied from one read of the page's flags word as
  // the kernel does (k = page->flags; kpf_copy_bit()): the PageX() tests of these bits read this
  // page's word, so the values are theirs, without a read and a call per bit for every pfn.
  const k = page.flags;
  u += kpf_copy_bit(k, KPF_COMPOUND_HEAD, PG_head);
  u += kpf_copy_bit(k, KPF_LOCKED, PG_locked);
  u += kpf_copy_bit(k, KPF_REFERENCED, PG_referenced);
  u += kpf_copy_bit(k, KPF_UPTODATE, PG_uptodate);
  u += kpf_copy_bit(k, KPF_DIRTY, PG_dirty);
  u += kpf_copy_bit(k, KPF_LRU, PG_lru);
  u += kpf_copy_bit(k, KPF_ACTIVE, PG_active);
  u += kpf_copy_bit(k, KPF_UNEVICTABLE, PG_unevictable);
  // PageSwapCache(): PG_swapcache counts only on a swap-backed page (it aliases PG_owner_priv_1).
  if (k & (1 << PG_swapbacked)) u += kpf_copy_bit(k, KPF_SWAPCACHE, PG_swapcache);
  u += kpf_copy_bit(k, KPF_SWAPBACKED, PG_swapbacked);
  u += kpf_copy_bit(k, KPF_HWPOISON, PG_hwpoison);
  u += kpf_copy_bit(k, KPF_RESERVED, PG_reserved);
  u += kpf_copy_bit(k, KPF_PRIVATE, PG_private);
  return u;
}

export function kpageflags_names(flags: number): string {
  const names: string[] = [];
  for (const [nr, name] of Object.entries(KPF_NAMES)) {
    if (Math.floor(flags / 2 ** Number(nr)) % 2 === 1) names.push(name);
  }
  return names.join(',');
}

/** The flags of every pfn (the /proc/kpageflags file read whole). */
export function kpageflags(): Float64Array {
  const end = max_pfn();
  const out = new Float64Array(end);
  for (let pfn = 0; pfn < end; pfn++) out[pfn] = stable_page_flags(pfn_valid(pfn) ? pfn_to_page(pfn) : null);
  return out;
}

/** page-types -r style summary: how many pfns carry each distinct flag set, most common first. */
export function kpageflags_summary(): string {
  const counts = new Map<number, number>();
  for (const f of kpageflags()) counts.set(f, (counts.get(f) ?? 0) + 1);
  const rows = [...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  const lines = ['             flags      page-count       MB  symbolic-flags'];
  for (const [flags, n] of rows) {
    lines.push(`0x${flags.toString(16).padStart(16, '0')}${String(n).padStart(16)}${String(Math.floor((n * 4) / 1024)).padStart(9)}  ${kpageflags_names(flags) || '(none)'}`);
  }
  return lines.join('\n');
}


register_report({ name: 'kpageflags', title: '/proc/kpageflags (page-types summary)', text: kpageflags_summary });
