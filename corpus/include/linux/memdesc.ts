/**
 * Memory descriptors (include/linux/memdesc.h; the memdesc plan, stage 2): the memdesc word of
 * struct page, its type tags, encoding and decoding, the typed accessors with their debug
 * checks, the descriptors' common header (the back pointer), and the table of per-kind
 * descriptor caches with their counters (memdesc_stats()).
 *
 * The word (w1, PAGE_MEMDESC_OFFSET, see mm_types.ts for why that word) holds a pointer to a
 * 16-byte-aligned descriptor from the kind's slab cache with the type in the low 4 bits, the
 * 2025 revision of Wilcox's table. Type 0 (misc) carries no pointer: a subtype in bits 4-10,
 * bit 11 user-mappable, the order in bits 12-17. Type 1 (buddy) is never stored: buddy pages
 * keep their data in struct page (plan §5.1), so a free page's w1 is its free-list link.
 * Pages that carry a word have PAGE_MEMDESC_FLAG set in page->flags; alloc_pages_memdesc()
 * (mm/page_alloc.ts) sets both on every page of the allocation, __free_pages_memdesc() clears
 * them.
 *
 * Every descriptor starts with one word, its back pointer: the struct page of the first page
 * it describes (0 until the owner fills it with memdesc_set_desc_page()). The kind's own fields
 * follow at MEMDESC_DESC_HEADER.
 *
 * Dormant: the descriptor caches are created on demand (memdesc_cache_create() in
 * mm/slab_common.ts), never at boot, and no existing workload allocates one.
 */
import { Page, PAGE_MEMDESC_OFFSET, PAGE_MEMDESC_FLAG_SHIFT, STRUCT_PAGE_SIZE, page_own_count, page_set_own_count } from './mm_types.ts';
import { VM_BUG_ON_PAGE, BUG } from './mmdebug.ts';
import { read32, read64, read64hex, write32, write64, memmap_scan32 } from '../../sim/memory.ts';
import { static_alloc, KERNEL_LOAD_PHYS, KERNEL_IMAGE_SIZE } from '../../sim/kernel_image.ts';
import { formatKernelAddress } from '../../sim/errors.ts';
import { PAGE_OFFSET, VMEMMAP_START } from '../../arch/x86/include/asm/page_64_types.ts';
import { max_pfn, pfn_to_page } from './mm.ts';
import { note_descriptor_cache } from '../../sim/arena.ts';

/* ---- type tags (the 2025 revision of the Memdescs table) ---- */

export const MEMDESC_TYPE_MISC = 0;
export const MEMDESC_TYPE_BUDDY = 1;
export const MEMDESC_TYPE_FILE = 2;
export const MEMDESC_TYPE_ANON = 3;
export const MEMDESC_TYPE_KSM = 4;
export const MEMDESC_TYPE_SLAB = 5;
export const MEMDESC_TYPE_BUMP = 6;
export const MEMDESC_TYPE_MOVABLE = 7;
export const MEMDESC_TYPE_PTDESC = 8;
export const MEMDESC_TYPE_HWPOISON = 9;
export const MEMDESC_TYPE_PERCPU = 10;
export const MEMDESC_TYPE_ACCTMEM = 11;
export const MEMDESC_TYPE_ZPDESC = 12;
export const MEMDESC_TYPE_MANAGED = 13;
export const NR_MEMDESC_TYPES = 16;

export const MEMDESC_TYPE_MASK = 0xf;
/** Descriptors are 16-byte aligned so that the low 4 bits are free for the tag. */
export const MEMDESC_ALIGN = 16;

const MEMDESC_TYPE_NAMES: readonly string[] = [
  'misc', 'buddy', 'file', 'anon', 'ksm', 'slab', 'bump', 'movable', 'ptdesc', 'hwpoison', 'percpu', 'acctmem',
  'zpdesc', 'managed', 'type14', 'type15',
];

export function memdesc_type_name(type: number): string {
  return MEMDESC_TYPE_NAMES[type & MEMDESC_TYPE_MASK]!;
}

/** Tags whose word is a pointer to a descriptor (2..13); misc and buddy carry none, 14-15 are unassigned. */
export function memdesc_type_has_desc(type: number): boolean {
  return Number.isInteger(type) && type >= MEMDESC_TYPE_FILE && type <= MEMDESC_TYPE_MANAGED;
}

/* ---- misc words (type 0): no descriptor, the data is in the word ---- */

export const MEMDESC_MISC_ZERO = 1;
export const MEMDESC_MISC_UNKNOWN = 2;
export const MEMDESC_MISC_VMALLOC = 3;
export const MEMDESC_MISC_GUARD = 4;
export const MEMDESC_MISC_OFFLINE = 5;
export const MEMDESC_MISC_KMALLOC_LARGE = 6;
export const MEMDESC_MISC_EXACT = 7;
export const MEMDESC_MISC_BRD = 8;
const MEMDESC_MISC_NAMES: readonly string[] = ['', 'zero', 'unknown', 'vmalloc', 'guard', 'offline', 'kmalloc_large', 'exact', 'brd'];
/** Misc subtypes whose word embeds their kind's data (fields that left struct page for the word). */
const MEMDESC_MISC_EMBEDS: readonly number[] = [MEMDESC_MISC_VMALLOC];
const MISC_SUBTYPE_SHIFT = 4;
const MISC_SUBTYPE_MASK = 0x7f;
const MISC_USER_BIT = 1 << 11;
const MISC_ORDER_SHIFT = 12;
const MISC_ORDER_MASK = 0x3f;

/** A misc memdesc word: subtype (1..127), order (0..63), may it be mapped to userspace. */
export function memdesc_misc(subtype: number, order: number, user_mappable = false): number {
  if (!Number.isInteger(subtype) || subtype < 1 || subtype > MISC_SUBTYPE_MASK) BUG(`memdesc_misc: bad subtype ${subtype}`);
  if (!Number.isInteger(order) || order < 0 || order > MISC_ORDER_MASK) BUG(`memdesc_misc: bad order ${order}`);
  return (subtype << MISC_SUBTYPE_SHIFT) | (user_mappable ? MISC_USER_BIT : 0) | (order << MISC_ORDER_SHIFT);
}

export function memdesc_misc_subtype(md: number): number {
  return (md >>> MISC_SUBTYPE_SHIFT) & MISC_SUBTYPE_MASK;
}

export function memdesc_misc_order(md: number): number {
  return (md >>> MISC_ORDER_SHIFT) & MISC_ORDER_MASK;
}

export function memdesc_misc_user_mappable(md: number): boolean {
  return (md & MISC_USER_BIT) !== 0;
}

/**
 * Bits 18-63 of a misc word: the subtype's own data, for the types that "embed all data in the
 * word" (the plan). What fits is one kernel pointer, kept as its offset in the direct map (46
 * bits: the 4-level direct map is 64 TiB), or 0: vmalloc's owner link (memdesc_vmalloc()).
 */
const MISC_DATA_SHIFT = 18;
const MISC_DATA_BITS = 46;

/** The pointer a misc word embeds (0 for none). */
export function memdesc_misc_data(md: number): number {
  const off = Math.floor(md / 2 ** MISC_DATA_SHIFT);
  return off === 0 ? 0 : PAGE_OFFSET + off;
}

/** `md` with `ptr` (a direct-map address, or 0) embedded in its data bits; its header kept. */
export function memdesc_misc_with_data(md: number, ptr: number): number {
  if (memdesc_type(md) !== MEMDESC_TYPE_MISC) BUG(`memdesc_misc_with_data: type ${memdesc_type(md)} is not misc`);
  const off = ptr === 0 ? 0 : ptr - PAGE_OFFSET;
  if (!Number.isSafeInteger(off) || off < 0 || (ptr !== 0 && off === 0) || off >= 2 ** MISC_DATA_BITS) {
    BUG(`memdesc_misc_with_data: ${formatKernelAddress(ptr)} is not a direct-map address`);
  }
  return (md % 2 ** MISC_DATA_SHIFT) + off * 2 ** MISC_DATA_SHIFT;
}

/* ---- pointer words ---- */

/**
 * Where descriptors can be: slab objects, in the direct map (never the vmemmap, a tail's
 * link; never the kernel image, where static list heads are: a page->lru link to one is no
 * descriptor).
 */
function desc_addr_plausible(desc: number): boolean {
  if (!(desc > PAGE_OFFSET && desc < VMEMMAP_START && desc % MEMDESC_ALIGN === 0)) return false;
  const phys = desc - PAGE_OFFSET;
  return !(phys >= KERNEL_LOAD_PHYS && phys < KERNEL_LOAD_PHYS + KERNEL_IMAGE_SIZE);
}

/** memdesc_create(): the word for descriptor `desc` of `type`. */
export function memdesc_create(desc: number, type: number): number {
  if (!memdesc_type_has_desc(type)) BUG(`memdesc_create: type ${type} carries no descriptor`);
  if (!Number.isSafeInteger(desc) || !desc_addr_plausible(desc)) {
    BUG(`memdesc_create: descriptor ${formatKernelAddress(desc)} is not a 16-byte-aligned kernel address`);
  }
  return desc + type;
}

/** The type tag of a word (exact: the low 32 bits of an exact integer keep its low nibble). */
export function memdesc_type(md: number): number {
  return md & MEMDESC_TYPE_MASK;
}

/** The descriptor a pointer word points to (0 for misc words). */
export function memdesc_ptr(md: number): number {
  return memdesc_type_has_desc(memdesc_type(md)) ? md - memdesc_type(md) : 0;
}

/** Is `md` a word alloc_pages_memdesc() may store: a descriptor pointer of a pointer type, or a misc word? */
export function memdesc_valid(md: number): boolean {
  if (!Number.isSafeInteger(md) || md < 0) return false;
  const type = memdesc_type(md);
  if (type === MEMDESC_TYPE_MISC) return memdesc_misc_subtype(md) !== 0;
  return memdesc_type_has_desc(type) && desc_addr_plausible(md - type);
}

/* ---- the page side: PAGE_MEMDESC_FLAG and the word ---- */

const MEMDESC_FLAG_HI = 1 << (PAGE_MEMDESC_FLAG_SHIFT - 32);

/** Does the page carry a memdesc word (allocated by alloc_pages_memdesc())? */
export function PageMemdesc(page: Page): boolean {
  return (read32(page.addr + 4) & MEMDESC_FLAG_HI) !== 0;
}

/** Store the word on one page and mark it (alloc_pages_memdesc() does this for every page). */
export function set_page_memdesc(page: Page, md: number): void {
  // A misc word embeds its kind's data instead of pointing at a descriptor: no cache records
  // the kind, so the run's layout notes it here (its pages' words replace their own fields).
  // Subtypes that only describe (unknown: a driver's alloc_pages(), kmalloc_large) replace no field.
  if (memdesc_type(md) === MEMDESC_TYPE_MISC && MEMDESC_MISC_EMBEDS.includes(memdesc_misc_subtype(md))) {
    note_descriptor_cache(`misc:${MEMDESC_MISC_NAMES[memdesc_misc_subtype(md)] ?? memdesc_misc_subtype(md)}`);
  }
  page.memdesc = md;
  write32(page.addr + 4, (read32(page.addr + 4) | MEMDESC_FLAG_HI) >>> 0);
}

/** Clear the word and the mark: w1 is 0 again, what a page inside a free block holds. */
export function clear_page_memdesc(page: Page): void {
  page.memdesc = 0;
  write32(page.addr + 4, (read32(page.addr + 4) & ~MEMDESC_FLAG_HI) >>> 0);
}

/** page->memdesc, checked: the page must carry one. */
export function page_memdesc(page: Page): number {
  VM_BUG_ON_PAGE(!PageMemdesc(page), page, 'page_memdesc: page carries no memdesc');
  return page.memdesc;
}

/**
 * Does a page that carries a word have movable_ops (__PageMovable())? Its mapping, where stage 1
 * keeps the movable bits, is in its descriptor: the types whose pages move through movable_ops
 * say it (zsmalloc's zpdesc, the movable type).
 */
export function memdesc_movable_ops(page: Page): boolean {
  const type = memdesc_type(read32(page.addr + PAGE_MEMDESC_OFFSET));
  return type === MEMDESC_TYPE_ZPDESC || type === MEMDESC_TYPE_MOVABLE;
}

/* ---- descriptors: the common header (back pointer) ---- */

/** Offset of the back pointer (struct page of the first page described) in every descriptor. */
export const MEMDESC_DESC_PAGE = 0;
/** The kind's own fields start here. */
export const MEMDESC_DESC_HEADER = 8;

/** The first page a descriptor describes, or null while its owner has not filled it. */
export function memdesc_desc_page(desc: number): Page | null {
  const addr = read64(desc + MEMDESC_DESC_PAGE);
  return addr === 0 ? null : new Page(addr);
}

/**
 * Set the back pointer. A descriptor that keeps its pages' counts (memdesc_type_counted()),
 * named by its first page's word, starts unmapped (mapcount -1); its refcount is the allocation's
 * reference, which alloc_pages_memdesc() stored there already (the word comes before the count,
 * prep_new_page()). A page that got its word after its allocation hands its own count over (a
 * struct page that keeps none cannot have been allocated that way: the allocation's count would
 * have had nowhere to go). From here on the counts are the descriptor's, and the page's own stay
 * as a free page has them (0 and -1), which is what the free-time checks see once the word is gone.
 */
export function memdesc_set_desc_page(desc: number, page: Page | null): void {
  write64(desc + MEMDESC_DESC_PAGE, page === null ? 0 : page.addr);
  if (page === null || !PageMemdesc(page) || memdesc_ptr(page.memdesc) !== desc) return;
  if (!memdesc_type_counted(memdesc_type(read32(page.addr + PAGE_MEMDESC_OFFSET)))) return;
  const own = page_own_count(page, '_refcount');
  if (own) {
    write32(desc + MEMDESC_COUNTS_REFCOUNT, own);
    page_set_own_count(page, '_refcount', 0);
  }
  write32(desc + MEMDESC_COUNTS_MAPCOUNT, -1);
}

/* ---- typed accessors and their debug checks ---- */

/**
 * The descriptor of `page` read as a `type` descriptor. A page that carries no memdesc, a word
 * of another type (a clobbered word: page->lru over it, the RFC's crash), a pointer that cannot
 * be a descriptor, or a descriptor whose back pointer names a page with another word fires
 * VM_BUG_ON_PAGE with a dump that shows the word.
 */
export function memdesc_desc(page: Page, type: number): number {
  // Every typed access of a separated descriptor comes here: each check's message (names and
  // formatted addresses) is built only when the check fires (desc_bug()), not on every call.
  if (!PageMemdesc(page)) desc_bug(page, type, 'page carries no memdesc');
  const md = page.memdesc;
  // The tag from the low half: exact even when the word is a clobbered poison value.
  const found = memdesc_type(read32(page.addr + PAGE_MEMDESC_OFFSET));
  if (found !== type) {
    desc_bug(page, type, `memdesc type ${found} (${memdesc_type_name(found)}), expected ${type} (${memdesc_type_name(type)})`);
  }
  const desc = md - found;
  if (!Number.isSafeInteger(md) || !desc_addr_plausible(desc)) {
    desc_bug(page, type, `memdesc ${formatKernelAddress(desc)} is not a descriptor address`);
  }
  const first = memdesc_desc_page(desc);
  if (first !== null && (first.addr > page.addr || first.memdesc !== md)) {
    desc_bug(page, type, `descriptor's page ${formatKernelAddress(first.addr)} does not carry this memdesc`);
  }
  return desc;
}

/** memdesc_desc()'s VM_BUG_ON_PAGE(), its message prefixed with the accessor's name. */
function desc_bug(page: Page, type: number, why: string): void {
  VM_BUG_ON_PAGE(true, page, `memdesc_${memdesc_type_name(type)}: ${why}`);
}

/* ---- descriptors that keep their pages' counts (the 2025 Memdescs/Path) ---- */

/**
 * A descriptor of a counted type starts with its pages' counts after the back pointer: _refcount
 * (32 bits) and _mapcount (32 bits, -1 when unmapped); the kind's own fields follow at its
 * MEMDESC_<KIND>_HEADER (`memdesc separate` lays them out from there). A page that carries such a
 * word has no counts of its own: page_ref_count(), get_page(), put_page(), page_mapcount() … read
 * the descriptor's (include/linux/mm.ts). The folio's (file, anon) and zsmalloc's (its pages are
 * isolated for migration with a reference of their own, soft_offline_page()), as the kernel's
 * FOLIO_MATCH and ZPDESC_MATCH(_refcount) keep them. Slab and page-table pages keep none: their
 * allocation's one reference is all they ever have (frozen, page_frozen_refcount() in mm.ts).
 */
export const MEMDESC_COUNTS_REFCOUNT = 8;
export const MEMDESC_COUNTS_MAPCOUNT = 12;
export const MEMDESC_FOLIO_REFCOUNT = MEMDESC_COUNTS_REFCOUNT;
export const MEMDESC_FOLIO_MAPCOUNT = MEMDESC_COUNTS_MAPCOUNT;
export const MEMDESC_FOLIO_HEADER = 16;
export const MEMDESC_ZPDESC_HEADER = 16;

const MEMDESC_COUNTED_TYPES: readonly number[] = [MEMDESC_TYPE_FILE, MEMDESC_TYPE_ANON, MEMDESC_TYPE_ZPDESC];

/** Do descriptors of `type` keep their pages' counts (MEMDESC_COUNTS_*)? */
export function memdesc_type_counted(type: number): boolean {
  return MEMDESC_COUNTED_TYPES.includes(type);
}

/**
 * Does `page` carry a word of one of `types`? Never fires: any page may be asked (a kind's type
 * test asks it first once the kind is separated: `memdesc separate`). Not named after the word:
 * its false answer does not mean the page carries none.
 */
export function page_has_desc_type(page: Page, ...types: number[]): boolean {
  return PageMemdesc(page) && types.includes(memdesc_type(read32(page.addr + PAGE_MEMDESC_OFFSET)));
}

/**
 * The descriptor whose counts `page` uses, or 0 for a page that has no such descriptor (no word,
 * a misc word, or a descriptor of a type without counts). Checked like the typed accessors.
 */
export function memdesc_counts(page: Page): number {
  if (!PageMemdesc(page)) return 0;
  const type = memdesc_type(read32(page.addr + PAGE_MEMDESC_OFFSET));
  return memdesc_type_counted(type) ? memdesc_desc(page, type) : 0;
}

/** A folio's descriptor: file or anon. */
export function memdesc_folio(page: Page): number {
  const anon = PageMemdesc(page) && memdesc_type(read32(page.addr + PAGE_MEMDESC_OFFSET)) === MEMDESC_TYPE_ANON;
  const type = anon ? MEMDESC_TYPE_ANON : MEMDESC_TYPE_FILE;
  return memdesc_desc(page, type);
}

export function memdesc_slab(page: Page): number {
  return memdesc_desc(page, MEMDESC_TYPE_SLAB);
}

export function memdesc_ptdesc(page: Page): number {
  return memdesc_desc(page, MEMDESC_TYPE_PTDESC);
}

export function memdesc_zpdesc(page: Page): number {
  return memdesc_desc(page, MEMDESC_TYPE_ZPDESC);
}

/** A misc page of `subtype` (no descriptor): checks the tag and subtype, returns the word. */
export function memdesc_misc_page(page: Page, subtype: number): number {
  VM_BUG_ON_PAGE(!PageMemdesc(page), page, 'memdesc_misc: page carries no memdesc');
  const low = read32(page.addr + PAGE_MEMDESC_OFFSET);
  const type = memdesc_type(low);
  VM_BUG_ON_PAGE(type !== MEMDESC_TYPE_MISC || memdesc_misc_subtype(low) !== subtype, page,
    `memdesc_misc: memdesc type ${type} (${memdesc_type_name(type)}) subtype ${memdesc_misc_subtype(low)}, expected misc subtype ${subtype}`);
  return page.memdesc;
}

/**
 * The descriptor of a misc page of `subtype` whose data is embedded in the word: the word
 * itself (its address), checked like memdesc_misc_page().
 */
export function memdesc_misc_desc(page: Page, subtype: number): number {
  memdesc_misc_page(page, subtype);
  return page.addr + PAGE_MEMDESC_OFFSET;
}

/** The page whose word is the embedded descriptor at `desc` (memdesc_misc_desc()'s inverse). */
export function memdesc_misc_desc_page(desc: number): Page {
  return new Page(desc - PAGE_MEMDESC_OFFSET);
}

/** A vmalloc page: misc subtype vmalloc, its owner (the vm_struct) embedded in the word. */
export function memdesc_vmalloc(page: Page): number {
  return memdesc_misc_desc(page, MEMDESC_MISC_VMALLOC);
}

/**
 * The memdesc line dump_page() prints for a page that carries a word (the seed's format),
 * from the word's hex text: a clobbered word may be a poison value beyond 2^53, whose low bits
 * only the text keeps exactly.
 */
export function memdesc_dump_line(raw: string): string {
  const low = parseInt(raw.slice(-5), 16);
  const type = memdesc_type(low);
  if (type === MEMDESC_TYPE_MISC) {
    return `memdesc ${raw} type:0(misc) subtype:${memdesc_misc_subtype(low)} order:${memdesc_misc_order(low)}`;
  }
  return `memdesc ${raw} type:${type}(${memdesc_type_name(type)})`;
}

/**
 * Whole-machine consistency of the words and the descriptors (what a --check run asserts
 * after every operation): every page that carries a word holds a valid one; a pointer word
 * names a descriptor whose back pointer is filled and names a page at or before this one that
 * carries the same word; and every descriptor memdesc_stats() counts is named by some page (no
 * leak). Returns the problems found, one line each ([] when consistent).
 */
export function memdesc_check_all(): string[] {
  const problems: string[] = [];
  const used = new Map<number, Set<number>>();
  // Only the pages marked PAGE_MEMDESC_FLAG, found by a typed-array scan of the memmap: a
  // --check run calls this after every operation.
  for (const pfn of memmap_scan32(STRUCT_PAGE_SIZE, 4, MEMDESC_FLAG_HI)) {
    if (pfn >= max_pfn()) break;
    const page = pfn_to_page(pfn);
    // A pfn's text only for a problem: --check runs this over every marked page after every operation.
    const md = page.memdesc;
    if (!memdesc_valid(md)) {
      problems.push(`pfn 0x${pfn.toString(16)}: memdesc ${read64hex(page.addr + PAGE_MEMDESC_OFFSET)} is not a valid word`);
      continue;
    }
    const type = memdesc_type(md);
    if (type === MEMDESC_TYPE_MISC) continue;
    const desc = memdesc_ptr(md);
    const first = memdesc_desc_page(desc);
    if (first === null) {
      problems.push(`pfn 0x${pfn.toString(16)}: ${memdesc_type_name(type)} descriptor ${formatKernelAddress(desc)} has no back pointer`);
    } else if (first.addr > page.addr || !PageMemdesc(first) || first.memdesc !== md) {
      problems.push(`pfn 0x${pfn.toString(16)}: ${memdesc_type_name(type)} descriptor ${formatKernelAddress(desc)} points back at a page without this memdesc`);
    }
    if (!used.has(type)) used.set(type, new Set());
    used.get(type)!.add(desc);
  }
  for (const row of memdesc_stats()) {
    const named = used.get(row.tag)?.size ?? 0;
    if (row.objects !== named) {
      problems.push(`${row.kind}: ${row.objects} descriptors allocated, ${named} named by pages`);
    }
  }
  return problems;
}

/* ------------------------------------------------------------------------------------------
 * The descriptor caches' table: one entry per tag (struct memdesc_cache_info, static data)
 * ---------------------------------------------------------------------------------------- */

const INFO_CACHE = 0; // struct kmem_cache *
const INFO_OBJECT_SIZE = 8; // unsigned int
const INFO_OBJECTS = 16; // unsigned long: descriptors allocated now
const INFO_PEAK = 24; // unsigned long: the most at any time
const INFO_SIZE = 32;

/** memdesc_caches[NR_MEMDESC_TYPES]: reserved in the kernel's data on first use, so that a machine that never creates one keeps its layout. */
let memdesc_caches = 0;
/** The kinds' names (the kmem_cache names; like KmemCache.name, kept on the JS side). */
let memdesc_kind_names: string[] = [];

/** Reset at kmem_cache_init(): no descriptor cache exists on a new machine. */
export function memdesc_caches_init(): void {
  memdesc_caches = 0;
  memdesc_kind_names = [];
}

function info(tag: number): number {
  if (!memdesc_type_has_desc(tag)) BUG(`memdesc cache: type ${tag} carries no descriptor`);
  if (memdesc_caches === 0) memdesc_caches = static_alloc(NR_MEMDESC_TYPES * INFO_SIZE, 64);
  return memdesc_caches + tag * INFO_SIZE;
}

/** Record the cache serving `tag` (mm/slab_common.ts, memdesc_cache_create()). */
export function memdesc_register_cache(tag: number, name: string, cache_addr: number, object_size: number): void {
  const e = info(tag);
  if (read64(e + INFO_CACHE) !== 0) BUG(`memdesc_cache_create(${name}): type ${tag} (${memdesc_type_name(tag)}) already has a cache`);
  write64(e + INFO_CACHE, cache_addr);
  write32(e + INFO_OBJECT_SIZE, object_size);
  write64(e + INFO_OBJECTS, 0);
  write64(e + INFO_PEAK, 0);
  memdesc_kind_names[tag] = name;
}

export function memdesc_unregister_cache(tag: number): void {
  const e = info(tag);
  write64(e + INFO_CACHE, 0);
  delete memdesc_kind_names[tag];
}

/** The struct kmem_cache address serving `tag`, or 0. */
export function memdesc_cache_addr(tag: number): number {
  if (memdesc_caches === 0 || !memdesc_type_has_desc(tag)) return 0;
  return read64(info(tag) + INFO_CACHE);
}

/** Count a descriptor of `tag` allocated (+1) or freed (-1). */
export function memdesc_account(tag: number, delta: number): void {
  const e = info(tag);
  const objects = read64(e + INFO_OBJECTS) + delta;
  if (objects < 0) BUG(`memdesc: more ${memdesc_type_name(tag)} descriptors freed than allocated`);
  write64(e + INFO_OBJECTS, objects);
  if (objects > read64(e + INFO_PEAK)) write64(e + INFO_PEAK, objects);
}

/** One row of memdesc_stats(): a descriptor kind's cache and how many descriptors it holds. */
export interface memdesc_stat {
  kind: string;
  tag: number;
  object_size: number;
  objects: number;
  peak_objects: number;
}

/** Counters of every descriptor cache that exists, by tag ([] while none was created). */
export function memdesc_stats(): memdesc_stat[] {
  const rows: memdesc_stat[] = [];
  if (memdesc_caches === 0) return rows;
  for (let tag = 0; tag < NR_MEMDESC_TYPES; tag++) {
    if (!memdesc_type_has_desc(tag)) continue;
    const e = memdesc_caches + tag * INFO_SIZE;
    if (read64(e + INFO_CACHE) === 0) continue;
    rows.push({
      kind: memdesc_kind_names[tag]!,
      tag,
      object_size: read32(e + INFO_OBJECT_SIZE),
      objects: read64(e + INFO_OBJECTS),
      peak_objects: read64(e + INFO_PEAK),
    });
  }
  return rows;
}
