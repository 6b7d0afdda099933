/**
 * Poison values (include/linux/poison.h). On x86-64 POISON_POINTER_DELTA is
 * 0xdead000000000000, so the list poisons have high bits a JS number cannot hold
 * exactly: they are written by 32-bit halves.
 */
export const POISON_POINTER_DELTA_HI = 0xdead0000;
/** LIST_POISON1 = 0x100 + delta: list_del() leaves it in entry->next. */
export const LIST_POISON1 = { hi: POISON_POINTER_DELTA_HI, lo: 0x100 } as const;
/** LIST_POISON2 = 0x122 + delta: list_del() leaves it in entry->prev. */
export const LIST_POISON2 = { hi: POISON_POINTER_DELTA_HI, lo: 0x122 } as const;

/** Page poisoning fills freed pages with this byte (mm/page_poison.c). */
export const PAGE_POISON = 0xaa;

/** SLUB debug poisons. */
export const POISON_INUSE = 0x5a;
export const POISON_FREE = 0x6b;
export const POISON_END = 0xa5;
