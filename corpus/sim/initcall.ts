/**
 * Initcalls: subsystems register their boot-time init at import time, by level, the way the
 * kernel's *_initcall() macros do; boot() runs them in level order. Every init must reset its
 * module's state, because tests boot many machines in one process.
 */
export enum InitLevel {
  /** setup_arch(): memblock is up, the buddy allocator is not (kernel page tables). */
  SETUP_ARCH = 0,
  /** mm_core_init() after the buddy allocator: the slab allocator. */
  MM_CORE = 1,
  /** Core caches on top of slab: page-table locks, mm_struct, anon_vma, vmalloc. */
  CORE = 2,
  /** Subsystems: zsmalloc, zswap, reclaim. */
  SUBSYS = 3,
  LATE = 4,
}

interface Initcall {
  level: InitLevel;
  name: string;
  fn: () => void;
}

const initcalls: Initcall[] = [];

export function register_initcall(level: InitLevel, name: string, fn: () => void): void {
  if (initcalls.some((c) => c.name === name)) return;
  initcalls.push({ level, name, fn });
}

export function run_initcalls(level: InitLevel): void {
  for (const call of initcalls) if (call.level === level) call.fn();
}
