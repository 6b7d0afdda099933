/**
 * Stale uses planted in a stage-1 (converted) copy of the corpus, each marked `// PLANT:<name>`
 * (audit must name it) or `// TWIN:<name>` (a negative twin: must not block ptdesc). `list` is
 * the page member overlaying w1-w2: `lru` while any kind still uses it, `buddy_list` once
 * `convert --all` has retired `lru`. And the RFC's stale use in the corpus's own _pgd_free()
 * (rfc.test.ts audits it, separate.test.ts is refused by it, crash.test.ts runs it).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const PLANTED_FILE = 'mm/audit_planted.ts';

/** The RFC's crash (000_*) in the corpus itself: the pgd's page put on a list through page->lru and taken off. */
export const PGD_FREE_FILE = 'arch/x86/mm/pgtable.ts';
export const PGD_FREE_STALE = ['  list_add(page.lru, pgd_list); // stale: the pgd page on a list through page->lru', '  list_del(page.lru);'];

/**
 * Plant PGD_FREE_STALE in `tree`'s _pgd_free() (Page.lru still there: after `convert ptdesc`),
 * right after it looks the pgd's page up; returns the 1-based line of its list_add().
 */
export function plantPgdFreeStale(tree: string): number {
  const path = join(tree, PGD_FREE_FILE);
  const lines = readFileSync(path, 'utf8').split('\n');
  const fn = lines.findIndex((l) => l.startsWith('function _pgd_free('));
  const at = lines.findIndex((l, i) => i > fn && l.includes('= virt_to_page(pgd)'));
  if (fn < 0 || at < 0) throw new Error(`${PGD_FREE_FILE}: _pgd_free() and its virt_to_page(pgd) not found`);
  lines.splice(at + 1, 0, ...PGD_FREE_STALE);
  writeFileSync(path, lines.join('\n'));
  return at + 2;
}

export function planted(list: 'lru' | 'buddy_list'): string {
  return PLANTED_LRU.replaceAll('.lru', `.${list}`);
}

const PLANTED_LRU = `/** Stale struct page uses planted by test/stage2 (never run, only audited). */
import {
  Page, Ptdesc, nth_page, STRUCT_PAGE_SIZE, PAGE_MEMDESC_OFFSET, PAGE_INDEX_OFFSET, page_ptdesc, ptdesc_page, page_own_word, page_reset_own_word,
} from '../include/linux/mm_types.ts';
import { ListHead, list_add, list_del } from '../include/linux/list.ts';
import { virt_to_page, pfn_to_page, page_to_pfn } from '../include/linux/mm.ts';
import { PageBuddy } from '../include/linux/page-flags.ts';
import { read64, write64 } from '../sim/memory.ts';
import { PageMemdesc } from '../include/linux/memdesc.ts';

/** The RFC's bug: a page-table page threaded on a list through page->lru after the ptdesc conversion. */
export function planted_stale_pgd_list(pgd: number, head: ListHead): void {
  const page = virt_to_page(pgd);
  list_add(page.lru, head); // PLANT:rfc
}

/** A direct write of a field overlapping the memdesc word, on a page-table page. */
export function planted_pt_compound(pgd: number): void {
  const page = virt_to_page(pgd);
  page.compound_head = 0; // PLANT:write
}

/** A page-table page's own words through the class's offset table (Page.OWN_WORDS), by key. */
export function planted_pt_own_words(pgd: number): number {
  const page = virt_to_page(pgd);
  page_reset_own_word(page, 'private'); // PLANT:own-reset
  return page_own_word(page, 'mapping'); // TWIN:own-other-word
}

/** Words written and read by their offset in struct page. */
export function planted_by_offset(pgd: number): number {
  const page = virt_to_page(pgd);
  write64(page.addr + 8, 0); // PLANT:offset-write
  write64(page.addr + 24, 0); // TWIN:offset-other-word
  const w = read64(page.addr + 16); // PLANT:offset-read
  return w + read64(page.addr + PAGE_MEMDESC_OFFSET); // TWIN:offset-named
}

/** Twin: the same list use on a buddy page is buddy's business, not ptdesc's. */
export function planted_buddy_lru(page: Page, head: ListHead): void {
  if (!PageBuddy(page)) return;
  list_del(page.lru); // TWIN:buddy-lru
  list_add(page.lru, head);
}

/** A small helper reading the word: its call sites are the sites. */
function planted_head(page: Page): Page {
  const w = page.compound_head;
  return w & 1 ? new Page(w - 1) : page;
}

/**
 * Twin helper: it tells a memdesc word from a compound link itself.
 * @memdesc-aware
 */
function planted_safe_head(page: Page): Page {
  const w = page.compound_head;
  return w & 1 && w > 0x100000 ? new Page(w - 1) : page;
}

/** Sets the memdesc word up (an allocator would): naming the word is not handling it. */
function planted_set_memdesc(page: Page): Page {
  return page;
}

/** A test of the memdesc word: it asks the tree's own test (its name alone would prove nothing). */
function planted_memdesc_valid(page: Page): boolean {
  return PageMemdesc(page);
}

/** Named like a test of the memdesc word, but it reads nothing of it: the code wins over the name. */
function planted_memdesc_check(page: Page): boolean {
  return page.addr !== 0;
}

export function planted_named_test_reader(pgd: number): number {
  const page = virt_to_page(pgd);
  if (!planted_memdesc_check(page)) return 0;
  return page.compound_head; // PLANT:named-test
}

export function planted_setup_then_list(pgd: number, head: ListHead): void {
  const page = planted_set_memdesc(virt_to_page(pgd));
  list_add(page.lru, head); // PLANT:setup
}

/** Twin: a reader that tests the memdesc word first handles it. */
export function planted_tested_reader(pgd: number): number {
  const page = virt_to_page(pgd);
  if (!planted_memdesc_valid(page)) return 0;
  return page.compound_head; // TWIN:tested
}

/** A dump_page-style printer of any page's words. */
function planted_dump(page: Page): string {
  const lines: string[] = [];
  if (page.addr === 0) return '';
  lines.push(\`page:\${page.addr}\`);
  lines.push(\`lru.next:\${page.lru.next}\`); // PLANT:dump
  lines.push(\`index:\${page_own_word(page, 'index')}\`); // PLANT:dump-index
  lines.push(\`w4:\${read64(page.addr + PAGE_INDEX_OFFSET)}\`); // PLANT:dump-offset
  lines.push(\`private:\${page_own_word(page, 'private')}\`); // PLANT:dump-private
  return lines.join(' ');
}

/** A pfn walker following compound heads (002_*'s worry). */
export function planted_pfn_walker(start: number, end: number): string {
  let out = '';
  for (let pfn = start; pfn < end; pfn++) {
    const page = pfn_to_page(pfn);
    if (planted_head(page).addr !== page.addr) continue; // PLANT:walker
    if (planted_safe_head(page).addr !== page.addr) continue; // TWIN:aware
    if (PageBuddy(page) && page.lru.next !== 0) continue; // TWIN:buddy-read
    out += planted_dump(page);
  }
  return out;
}

/** Page-pointer arithmetic on a page-table page. */
export function planted_pt_arith(pgd: number): number {
  const page = virt_to_page(pgd);
  const a = nth_page(page, 1); // PLANT:nth
  const b = new Page(page.addr + STRUCT_PAGE_SIZE); // PLANT:plus
  const c = pfn_to_page(page_to_pfn(page) + 1); // PLANT:pfn
  return a.addr + b.addr + c.addr; // TWIN:sum
}

/** Twin: the same arithmetic on a buddy page. */
export function planted_buddy_arith(page: Page): Page | null {
  if (!PageBuddy(page)) return null;
  return nth_page(page, 1); // TWIN:buddy-arith
}

/** Round trips that assume the descriptor and its page share an address. */
export function planted_round_trip(pgd: number): boolean {
  const page = virt_to_page(pgd);
  const same = ptdesc_page(page_ptdesc(page)).addr === page.addr; // PLANT:roundtrip
  const shared = page_ptdesc(page).addr === page.addr; // PLANT:compare
  return same && shared;
}

/** Twin: two descriptors compared with each other stay comparable once separate. */
export function planted_two_descs(a: number, b: number): boolean {
  return page_ptdesc(virt_to_page(a)).addr === page_ptdesc(virt_to_page(b)).addr; // TWIN:two-descs
}

/** Twin: a descriptor linked to another by its address, read back only as a descriptor (zpdesc->next). */
export function planted_desc_link(a: number, b: number): Ptdesc | null {
  page_ptdesc(virt_to_page(a)).pt_mm = page_ptdesc(virt_to_page(b)).addr; // TWIN:link
  const m = page_ptdesc(virt_to_page(a)).pt_mm;
  return m ? new Ptdesc(m) : null;
}

/** The same link read back as a page: the descriptor's address taken for its page's. */
export function planted_desc_link_page(a: number, b: number): Page {
  page_ptdesc(virt_to_page(a)).ptl = page_ptdesc(virt_to_page(b)).addr; // PLANT:link
  return new Page(page_ptdesc(virt_to_page(a)).ptl);
}

/** Twin: a stage-1 printer behind a test that the page carries no memdesc word (dump_page()). */
export function planted_stage1_dump(pgd: number): string {
  const page = virt_to_page(pgd);
  if (planted_memdesc_valid(page)) return '';
  return \`index:\${page_own_word(page, 'index')}\`; // TWIN:no-memdesc
}

/** Twin: a reader whose every caller passes a page tested to carry no memdesc word. */
function planted_stage1_inner(page: Page): number {
  return page_own_word(page, 'index') + read64(page.addr + PAGE_INDEX_OFFSET); // TWIN:callers-no-memdesc
}

export function planted_stage1_outer(pgd: number): number {
  const page = virt_to_page(pgd);
  if (planted_memdesc_valid(page)) return 0;
  return planted_stage1_inner(page);
}
`;

/** 1-based line of the marker, and the 1-based column of `token` on that line. */
export function markerAt(text: string, marker: string, token: string): { line: number; column: number } {
  const lines = text.split('\n');
  const i = lines.findIndex((l) => l.includes(`// ${marker}`));
  if (i < 0) throw new Error(`no marker ${marker}`);
  const col = lines[i]!.indexOf(token);
  if (col < 0) throw new Error(`no ${token} on the line of ${marker}`);
  return { line: i + 1, column: col + 1 };
}
