/**
 * LRU list helpers (include/linux/mm_inline.h): pages on the node's LRU are threaded
 * through page->lru; PG_active picks the list.
 */
import { Page } from './mm_types.ts';
import { list_add, list_add_tail, list_del } from './list.ts';
import { PageActive, PageSwapBacked, PageUnevictable } from './page-flags.ts';
import { Lruvec, LRU_ACTIVE_ANON, LRU_INACTIVE_ANON, LRU_ACTIVE_FILE, LRU_INACTIVE_FILE, LRU_UNEVICTABLE,
  ZoneStat, __mod_zone_page_state } from './mmzone.ts';
import { page_zone } from './mm.ts';

/** Which LRU list a page belongs on. */
export function page_lru(page: Page): number {
  if (PageUnevictable(page)) return LRU_UNEVICTABLE;
  const active = PageActive(page);
  if (PageSwapBacked(page)) return active ? LRU_ACTIVE_ANON : LRU_INACTIVE_ANON;
  return active ? LRU_ACTIVE_FILE : LRU_INACTIVE_FILE;
}

function update_lru_size(lruvec: Lruvec, page: Page, lru: number, nr: number): void {
  lruvec.nr_pages[lru] = lruvec.nr_pages[lru]! + nr;
  if (lru === LRU_ACTIVE_ANON) __mod_zone_page_state(page_zone(page), ZoneStat.NR_ZONE_ACTIVE_ANON, nr);
  if (lru === LRU_INACTIVE_ANON) __mod_zone_page_state(page_zone(page), ZoneStat.NR_ZONE_INACTIVE_ANON, nr);
}

export function add_page_to_lru_list(page: Page, lruvec: Lruvec, lru: number): void {
  update_lru_size(lruvec, page, lru, 1);
  list_add(page.lru, lruvec.lists(lru));
}

export function add_page_to_lru_list_tail(page: Page, lruvec: Lruvec, lru: number): void {
  update_lru_size(lruvec, page, lru, 1);
  list_add_tail(page.lru, lruvec.lists(lru));
}

export function del_page_from_lru_list(page: Page, lruvec: Lruvec, lru: number): void {
  list_del(page.lru);
  update_lru_size(lruvec, page, lru, -1);
}
