/**
 * GFP flags (include/linux/gfp.h, v5.10 bit values), and the stage-2 allocation interface the
 * header declares: alloc_pages_memdesc() and its free side, defined in mm/page_alloc.ts.
 */
export const ___GFP_DMA = 0x01;
export const ___GFP_HIGHMEM = 0x02;
export const ___GFP_DMA32 = 0x04;
export const ___GFP_MOVABLE = 0x08;
export const ___GFP_RECLAIMABLE = 0x10;
export const ___GFP_HIGH = 0x20;
export const ___GFP_IO = 0x40;
export const ___GFP_FS = 0x80;
export const ___GFP_ZERO = 0x100;
export const ___GFP_ATOMIC = 0x200;
export const ___GFP_DIRECT_RECLAIM = 0x400;
export const ___GFP_KSWAPD_RECLAIM = 0x800;
export const ___GFP_NOWARN = 0x2000;
export const ___GFP_RETRY_MAYFAIL = 0x4000;
export const ___GFP_NOFAIL = 0x8000;
export const ___GFP_NORETRY = 0x10000;
export const ___GFP_COMP = 0x40000;
export const ___GFP_HARDWALL = 0x100000;
export const ___GFP_ACCOUNT = 0x400000;

export const __GFP_DMA32 = ___GFP_DMA32;
export const __GFP_HIGHMEM = ___GFP_HIGHMEM;
export const __GFP_MOVABLE = ___GFP_MOVABLE;
export const __GFP_RECLAIMABLE = ___GFP_RECLAIMABLE;
export const __GFP_HIGH = ___GFP_HIGH;
export const __GFP_IO = ___GFP_IO;
export const __GFP_FS = ___GFP_FS;
export const __GFP_ZERO = ___GFP_ZERO;
export const __GFP_ATOMIC = ___GFP_ATOMIC;
export const __GFP_DIRECT_RECLAIM = ___GFP_DIRECT_RECLAIM;
export const __GFP_KSWAPD_RECLAIM = ___GFP_KSWAPD_RECLAIM;
export const __GFP_RECLAIM = ___GFP_DIRECT_RECLAIM | ___GFP_KSWAPD_RECLAIM;
export const __GFP_NOWARN = ___GFP_NOWARN;
export const __GFP_RETRY_MAYFAIL = ___GFP_RETRY_MAYFAIL;
export const __GFP_NOFAIL = ___GFP_NOFAIL;
export const __GFP_NORETRY = ___GFP_NORETRY;
export const __GFP_COMP = ___GFP_COMP;
export const __GFP_HARDWALL = ___GFP_HARDWALL;
export const __GFP_ACCOUNT = ___GFP_ACCOUNT;

export const GFP_ATOMIC = __GFP_HIGH | __GFP_ATOMIC | __GFP_KSWAPD_RECLAIM;
export const GFP_KERNEL = __GFP_RECLAIM | __GFP_IO | __GFP_FS;
export const GFP_KERNEL_ACCOUNT = GFP_KERNEL | __GFP_ACCOUNT;
export const GFP_NOWAIT = __GFP_KSWAPD_RECLAIM;
export const GFP_NOIO = __GFP_RECLAIM;
export const GFP_USER = __GFP_RECLAIM | __GFP_IO | __GFP_FS | __GFP_HARDWALL;
export const GFP_DMA32 = __GFP_DMA32;
export const GFP_HIGHUSER = GFP_USER | __GFP_HIGHMEM;
export const GFP_HIGHUSER_MOVABLE = GFP_HIGHUSER | __GFP_MOVABLE;
export const GFP_PGTABLE_KERNEL = GFP_KERNEL | __GFP_ZERO;
export const GFP_PGTABLE_USER = GFP_PGTABLE_KERNEL | __GFP_ACCOUNT;

export const GFP_MOVABLE_SHIFT = 3;
export const GFP_MOVABLE_MASK = __GFP_RECLAIMABLE | __GFP_MOVABLE;

/** MIGRATE_UNMOVABLE / MOVABLE / RECLAIMABLE from the mobility bits. */
export function gfp_migratetype(gfp: number): number {
  return (gfp & GFP_MOVABLE_MASK) >>> GFP_MOVABLE_SHIFT;
}

export function gfpflags_allow_blocking(gfp: number): boolean {
  return (gfp & __GFP_DIRECT_RECLAIM) !== 0;
}

const GFP_NAMES: Array<[number, string]> = [
  [GFP_HIGHUSER_MOVABLE, 'GFP_HIGHUSER_MOVABLE'], [GFP_KERNEL_ACCOUNT, 'GFP_KERNEL_ACCOUNT'],
  [GFP_KERNEL, 'GFP_KERNEL'], [GFP_ATOMIC, 'GFP_ATOMIC'], [GFP_NOWAIT, 'GFP_NOWAIT'],
];
const GFP_BITS: Array<[number, string]> = [
  [__GFP_ZERO, '__GFP_ZERO'], [__GFP_COMP, '__GFP_COMP'], [__GFP_DMA32, '__GFP_DMA32'],
  [__GFP_NOWARN, '__GFP_NOWARN'], [__GFP_ACCOUNT, '__GFP_ACCOUNT'], [__GFP_MOVABLE, '__GFP_MOVABLE'],
  [__GFP_RECLAIMABLE, '__GFP_RECLAIMABLE'], [__GFP_HIGH, '__GFP_HIGH'], [__GFP_NORETRY, '__GFP_NORETRY'],
  [__GFP_IO, '__GFP_IO'], [__GFP_FS, '__GFP_FS'], [__GFP_DIRECT_RECLAIM, '__GFP_DIRECT_RECLAIM'],
  [__GFP_KSWAPD_RECLAIM, '__GFP_KSWAPD_RECLAIM'], [__GFP_HARDWALL, '__GFP_HARDWALL'], [__GFP_HIGHMEM, '__GFP_HIGHMEM'],
];

/**
 * Masks formatted so far (a trace names a gfp mask per allocation, and a run uses a few dozen
 * masks): the text is a function of the mask alone. Beyond GFP_TEXTS_KEPT the table starts again.
 */
const gfp_texts = new Map<number, string>();
const GFP_TEXTS_KEPT = 4096;

/** %pGg: the gfp mask as a composite name plus remaining bits. */
export function format_gfp(gfp: number): string {
  let text = gfp_texts.get(gfp);
  if (text === undefined) {
    if (gfp_texts.size >= GFP_TEXTS_KEPT) gfp_texts.clear();
    text = gfp_name(gfp);
    gfp_texts.set(gfp, text);
  }
  return text;
}

function gfp_name(gfp: number): string {
  let rest = gfp;
  const parts: string[] = [];
  for (const [mask, name] of GFP_NAMES) {
    if ((rest & mask) === mask) { parts.push(name); rest &= ~mask; break; }
  }
  for (const [mask, name] of GFP_BITS) {
    if (rest & mask) { parts.push(name); rest &= ~mask; }
  }
  if (rest) parts.push('0x' + rest.toString(16));
  return parts.length ? parts.join('|') : '0';
}

/* Stage 2: every page of the block carries the caller's memdesc word (include/linux/memdesc.ts). */
export {
  alloc_pages_memdesc, alloc_page_memdesc, __free_pages_memdesc, __free_page_memdesc,
} from '../../mm/page_alloc.ts';
