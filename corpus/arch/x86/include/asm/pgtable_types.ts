/**
 * Page-table entry bits and protections (arch/x86/include/asm/pgtable_types.h).
 *
 * Entries are real 8-byte words in simulated memory. Only the low 12 flag bits and the pfn
 * (bits 12..51) are modelled: NX, protection keys and the other high software bits are not
 * (the machine executes nothing), so every entry value is an exact JS number below 2^53.
 * Low flag bits are tested with 32-bit bitwise operators, which is exact for such values.
 */

export const _PAGE_BIT_PRESENT = 0;
export const _PAGE_BIT_RW = 1;
export const _PAGE_BIT_USER = 2;
export const _PAGE_BIT_PWT = 3;
export const _PAGE_BIT_PCD = 4;
export const _PAGE_BIT_ACCESSED = 5;
export const _PAGE_BIT_DIRTY = 6;
export const _PAGE_BIT_PSE = 7;
export const _PAGE_BIT_PAT = 7;
export const _PAGE_BIT_GLOBAL = 8;
export const _PAGE_BIT_SOFTW1 = 9;
export const _PAGE_BIT_SOFTW2 = 10;
export const _PAGE_BIT_SOFTW3 = 11;
export const _PAGE_BIT_PAT_LARGE = 12;
export const _PAGE_BIT_SPECIAL = _PAGE_BIT_SOFTW1;
export const _PAGE_BIT_CPA_TEST = _PAGE_BIT_SOFTW1;
export const _PAGE_BIT_PROTNONE = _PAGE_BIT_GLOBAL;

export const _PAGE_PRESENT = 1 << _PAGE_BIT_PRESENT;
export const _PAGE_RW = 1 << _PAGE_BIT_RW;
export const _PAGE_USER = 1 << _PAGE_BIT_USER;
export const _PAGE_PWT = 1 << _PAGE_BIT_PWT;
export const _PAGE_PCD = 1 << _PAGE_BIT_PCD;
export const _PAGE_ACCESSED = 1 << _PAGE_BIT_ACCESSED;
export const _PAGE_DIRTY = 1 << _PAGE_BIT_DIRTY;
export const _PAGE_PSE = 1 << _PAGE_BIT_PSE;
export const _PAGE_GLOBAL = 1 << _PAGE_BIT_GLOBAL;
export const _PAGE_SOFTW1 = 1 << _PAGE_BIT_SOFTW1;
export const _PAGE_SPECIAL = 1 << _PAGE_BIT_SPECIAL;
export const _PAGE_PROTNONE = 1 << _PAGE_BIT_PROTNONE;
/** Not modelled (bit 63). */
export const _PAGE_NX = 0;

/** Bits that survive pte_modify() (_PAGE_CHG_MASK minus the pfn). */
export const _PAGE_CHG_MASK_LOW = _PAGE_PCD | _PAGE_PWT | _PAGE_SPECIAL | _PAGE_ACCESSED | _PAGE_DIRTY;

/** Table entries pointing to the next level. */
export const _PAGE_TABLE_NOENC = _PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED | _PAGE_DIRTY; // 0x67
export const _KERNPG_TABLE_NOENC = _PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY; // 0x63
export const _PAGE_TABLE = _PAGE_TABLE_NOENC;
export const _KERNPG_TABLE = _KERNPG_TABLE_NOENC;

/** pgprot_t: just the flag bits. */
export type pgprot_t = number;

export const PAGE_NONE: pgprot_t = _PAGE_PROTNONE | _PAGE_ACCESSED; // 0x120
export const PAGE_SHARED: pgprot_t = _PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED | _PAGE_NX; // 0x27
export const PAGE_SHARED_EXEC: pgprot_t = _PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED;
export const PAGE_COPY: pgprot_t = _PAGE_PRESENT | _PAGE_USER | _PAGE_ACCESSED | _PAGE_NX; // 0x25
export const PAGE_COPY_EXEC: pgprot_t = _PAGE_PRESENT | _PAGE_USER | _PAGE_ACCESSED;
export const PAGE_READONLY: pgprot_t = PAGE_COPY;
export const PAGE_READONLY_EXEC: pgprot_t = PAGE_COPY_EXEC;

export const __PAGE_KERNEL_EXEC = _PAGE_PRESENT | _PAGE_RW | _PAGE_DIRTY | _PAGE_ACCESSED | _PAGE_GLOBAL; // 0x163
export const __PAGE_KERNEL = __PAGE_KERNEL_EXEC | _PAGE_NX;
export const __PAGE_KERNEL_RO = (__PAGE_KERNEL & ~_PAGE_RW & ~_PAGE_DIRTY);
export const __PAGE_KERNEL_LARGE = __PAGE_KERNEL | _PAGE_PSE; // 0x1e3
export const PAGE_KERNEL: pgprot_t = __PAGE_KERNEL;
export const PAGE_KERNEL_RO: pgprot_t = __PAGE_KERNEL_RO;
export const PAGE_KERNEL_EXEC: pgprot_t = __PAGE_KERNEL_EXEC;
export const PAGE_KERNEL_LARGE: pgprot_t = __PAGE_KERNEL_LARGE;

export function pgprot_val(p: pgprot_t): number {
  return p;
}
export function __pgprot(v: number): pgprot_t {
  return v;
}

/** PTE_PFN_MASK: bits 12..51; the flags are everything else (only the low 12 are modelled). */
export const PTE_FLAGS_LOW_MASK = 0xfff;

/** Page-table modification mask bits (include/linux/pgtable.h, pgtbl_mod_mask). */
export const PGTBL_PGD_MODIFIED = 1 << 0;
export const PGTBL_P4D_MODIFIED = 1 << 1;
export const PGTBL_PUD_MODIFIED = 1 << 2;
export const PGTBL_PMD_MODIFIED = 1 << 3;
export const PGTBL_PTE_MODIFIED = 1 << 4;
/** 4-level: vmalloc changes to the top level must be copied into every pgd. */
export const ARCH_PAGE_TABLE_SYNC_MASK = PGTBL_P4D_MODIFIED;
