/**
 * Debug checks (include/linux/mmdebug.h, mm/debug.c). dump_page() prints the kernel's
 * format; VM_BUG_ON_PAGE() throws a KernelBug carrying that dump. A page that carries a
 * memdesc word (stage 2, memdesc.ts) gets a first line `memdesc <word> type:N(name)`, the way
 * the RFC's debugging dump showed a clobbered word, and `memdesc` among its flags; other
 * pages' dumps are unchanged.
 */
import { Page, STRUCT_PAGE_SIZE, PAGE_MEMDESC_OFFSET, page_own_word, page_own_count } from './mm_types.ts';
import { read64hex } from '../../sim/memory.ts';
import { KernelBug, formatKernelAddress } from '../../sim/errors.ts';
import {
  PAGEFLAG_NAMES, PG_head, page_type_of, page_type_name, PAGE_MAPPING_ANON, PAGE_MAPPING_MOVABLE,
} from './page-flags.ts';
import {
  page_to_pfn, page_zonenum, compound_head, compound_order, page_ref_count, page_mapcount_raw, page_frozen_refcount,
} from './mm.ts';
import { PageMemdesc, memdesc_dump_line } from './memdesc.ts';

function flagNames(page: Page): string {
  const names: string[] = [];
  const f = page.flags;
  for (let bit = 0; bit < PAGEFLAG_NAMES.length; bit++) {
    if (f & (1 << bit)) names.push(PAGEFLAG_NAMES[bit]!);
  }
  if (PageMemdesc(page)) names.push('memdesc');
  names.push(`zone=${page_zonenum(page)}`);
  return names.join('|');
}

/** A raw word as the kernel prints it: kernel addresses (bit 47 set, top bits dropped) sign-extended. */
function raw_word(hex: string): string {
  return hex.startsWith('0000') && parseInt(hex[4]!, 16) >= 8 ? 'ffff' + hex.slice(4) : hex;
}

/** The `raw:` lines: every word struct page has (STRUCT_PAGE_SIZE, whatever the layout), four a line. */
function raw_lines(page: Page): string[] {
  const words: string[] = [];
  for (let off = 0; off < STRUCT_PAGE_SIZE; off += 8) words.push(raw_word(read64hex(page.addr + off)));
  const lines: string[] = [];
  for (let i = 0; i < words.length; i += 4) lines.push(`raw: ${words.slice(i, i + 4).join(' ')}`);
  return lines;
}

/**
 * dump_page() of a page that carries a memdesc word (stage 2): the word, then what struct page
 * itself still holds. Its mapping and index words belong to no one once the page's fields live in
 * its descriptor, so they are not printed as if they did; the raw lines show every word.
 */
function dump_memdesc_page(page: Page, reason: string): string {
  const lines = [memdesc_dump_line(raw_word(read64hex(page.addr + PAGE_MEMDESC_OFFSET)))];
  const type = page_type_of(page);
  // What struct page itself holds: the page's own refcount (a free page's when its descriptor
  // keeps the counts), read without the checks a clobbered word would fire; its own mapcount is
  // never written while it carries a word (the counts' writers ask PageMemdesc() first): unmapped.
  const refcount = page_own_count(page, '_refcount') ?? page_frozen_refcount(page);
  lines.push(`page: refcount:${refcount} mapcount:0 pfn:0x${page_to_pfn(page).toString(16)}`);
  lines.push(`flags: 0x${read64hex(page.addr).replace(/^0+(?=.)/, '')}(${flagNames(page)})`);
  if (type) lines.push(`page_type: 0x${type.toString(16)}(${page_type_name(type << 24)})`);
  lines.push(...raw_lines(page));
  lines.push(`page dumped because: ${reason}`);
  return lines.join('\n');
}

/** The text dump_page() prints for `page`, ending with the reason. */
export function dump_page(page: Page, reason: string): string {
  const head = compound_head(page);
  // Every page of a memdesc allocation carries the word (a tail too): its fields are the descriptor's.
  if (PageMemdesc(page) || PageMemdesc(head)) return dump_memdesc_page(page, reason);
  const lines: string[] = [];
  const type = page_type_of(head);
  const mapcount = type ? 0 : page_mapcount_raw(page) + 1;
  const mapping = page_own_word(head, 'mapping');
  lines.push(
    `page: refcount:${page_ref_count(head)} mapcount:${mapcount} mapping:${formatKernelAddress(mapping)} ` +
      `index:0x${page_own_word(page, 'index').toString(16)} pfn:0x${page_to_pfn(page).toString(16)}`,
  );
  if (head.addr !== page.addr || (page.flags & (1 << PG_head))) {
    lines.push(`head: ${formatKernelAddress(head.addr)} order:${compound_order(head)} compound_mapcount:${new Page(head.addr + STRUCT_PAGE_SIZE).compound_mapcount + 1}`);
  }
  const prefix = (mapping & PAGE_MAPPING_ANON) ? 'anon ' : (mapping & PAGE_MAPPING_MOVABLE) ? 'movable ' : '';
  lines.push(`${prefix}flags: 0x${read64hex(page.addr).replace(/^0+(?=.)/, '')}(${flagNames(page)})`);
  if (type) lines.push(`page_type: 0x${type.toString(16)}(${page_type_name(type << 24)})`);
  lines.push(...raw_lines(page));
  lines.push(`page dumped because: ${reason}`);
  return lines.join('\n');
}

export function VM_BUG_ON_PAGE(cond: boolean, page: Page, why = 'VM_BUG_ON_PAGE'): void {
  if (cond) {
    throw new KernelBug(`kernel BUG: ${why}`, dump_page(page, `VM_BUG_ON_PAGE(${why})`));
  }
}

export function VM_BUG_ON(cond: boolean, why = 'VM_BUG_ON'): void {
  if (cond) throw new KernelBug(`kernel BUG: ${why}`);
}

export function BUG(why: string): never {
  throw new KernelBug(`kernel BUG: ${why}`);
}
