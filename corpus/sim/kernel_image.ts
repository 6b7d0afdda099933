/**
 * The kernel image: text/rodata plus the static data area (.data/.bss) where global
 * variables and list heads live at real direct-map addresses. Loaded at 1 MiB.
 */
import { PAGE_OFFSET, PAGE_SIZE } from '../arch/x86/include/asm/page_64_types.ts';
import { memset } from './memory.ts';
import { BUG } from '../include/linux/mmdebug.ts';

export const KERNEL_LOAD_PHYS = 0x100000;
export const KERNEL_TEXT_SIZE = 0x200000;
export const KERNEL_DATA_SIZE = 0x40000;
export const KERNEL_IMAGE_SIZE = KERNEL_TEXT_SIZE + KERNEL_DATA_SIZE;

let bss_next = 0;
let bss_end = 0;

export function kernel_image_init(): void {
  bss_next = PAGE_OFFSET + KERNEL_LOAD_PHYS + KERNEL_TEXT_SIZE;
  bss_end = bss_next + KERNEL_DATA_SIZE;
  memset(bss_next, 0, KERNEL_DATA_SIZE);
}

/** Reserve a zeroed static variable of `size` bytes; returns its kernel address. */
export function static_alloc(size: number, align = 8): number {
  const addr = Math.ceil(bss_next / align) * align;
  if (addr + size > bss_end) BUG(`static data area exhausted allocating ${size} bytes`);
  bss_next = addr + size;
  return addr;
}

/** A page-aligned static object (swapper_pg_dir and friends). */
export function static_alloc_page(): number {
  return static_alloc(PAGE_SIZE, PAGE_SIZE);
}
