/**
 * x86-64 address-space constants (arch/x86/include/asm/page_64_types.h, pgtable_64_types.h).
 * Addresses are 4-level kernel addresses with the 16 sign-extension bits dropped so that
 * they fit a JS number exactly; dumps print them sign-extended (ffff888...).
 */
export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 1 << PAGE_SHIFT;
export const PAGE_MASK = -PAGE_SIZE;

/** Direct map of all physical memory (page_offset_base). */
export const PAGE_OFFSET = 0x888000000000;
/** vmalloc/ioremap space: 32 TiB (vmalloc_base). */
export const VMALLOC_START = 0xc90000000000;
export const VMALLOC_SIZE_TB = 32;
export const VMALLOC_END = VMALLOC_START + VMALLOC_SIZE_TB * 2 ** 40 - 1;
/** Virtual memory map: the struct page array (vmemmap_base). */
export const VMEMMAP_START = 0xea0000000000;
/** Top of the 47-bit user address space. */
export const TASK_SIZE_MAX = 0x7ffffffff000;

/** The bits dropped from every address; printing adds them back. */
export const SIGN_EXTENSION_HIGH = 0xffff;
