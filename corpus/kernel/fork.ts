/**
 * Creating and destroying address spaces and processes (kernel/fork.c): the mm_struct and
 * vm_area_struct caches, mm_alloc()/mm_init(), dup_mm()/dup_mmap() for fork, mmput() and
 * mmdrop(). process_create() and fork_process() are the entry points of the workloads.
 */
import {
  MmStruct, VmAreaStruct, init_mm, MM_STRUCT_SIZE, VM_AREA_STRUCT_SIZE, NR_MM_COUNTERS, VM_DONTCOPY, VM_LOCKED, VM_ACCOUNT,
} from '../include/linux/mm_types.ts';
import { spin_lock_init, get_mm_rss, mm_pgtables_bytes } from '../include/linux/mm.ts';
import { BUG } from '../include/linux/mmdebug.ts';
import { GFP_KERNEL } from '../include/linux/gfp.ts';
import {
  kmem_cache_create, kmem_cache_alloc, kmem_cache_zalloc, kmem_cache_free, SLAB_PANIC, SLAB_ACCOUNT, SLAB_HWCACHE_ALIGN,
  type KmemCache,
} from '../include/linux/slab.ts';
import { pgd_alloc, pgd_free } from '../arch/x86/mm/pgtable.ts';
import { copy_page_range, ENOMEM } from '../mm/memory.ts';
import { anon_vma_fork } from '../mm/rmap.ts';
import { exit_mmap, arch_pick_mmap_layout, vma_pages } from '../mm/mmap.ts';
import { Task, alloc_pid, attach_pid } from './pid.ts';
import { ObjectRegistry } from '../sim/objects.ts';
import { register_initcall, InitLevel } from '../sim/initcall.ts';
import { KernelBug, formatKernelAddress } from '../sim/errors.ts';
import { trace_event, tracepoints_enabled } from '../sim/trace.ts';

/** ARCH_MIN_MMSTRUCT_ALIGN */
const ARCH_MIN_MMSTRUCT_ALIGN = 0;

let mm_cachep: KmemCache | null = null;
let vm_area_cachep: KmemCache | null = null;

/** Every live mm_struct (and init_mm), by address: pgd_page_get_mm() looks here. */
export const mm_structs = new ObjectRegistry<MmStruct>('mm_struct');

/** proc_caches_init() */
register_initcall(InitLevel.CORE, 'proc_caches_init', () => {
  mm_structs.clear();
  mm_structs.register(init_mm.addr, init_mm);
  mm_cachep = kmem_cache_create('mm_struct', MM_STRUCT_SIZE, ARCH_MIN_MMSTRUCT_ALIGN,
    SLAB_HWCACHE_ALIGN | SLAB_PANIC | SLAB_ACCOUNT);
  vm_area_cachep = kmem_cache_create('vm_area_struct', VM_AREA_STRUCT_SIZE, 0, SLAB_PANIC | SLAB_ACCOUNT);
});

/* ---- VMAs ---- */

export function vm_area_alloc(mm: MmStruct): VmAreaStruct | null {
  const addr = kmem_cache_zalloc(vm_area_cachep!, GFP_KERNEL);
  if (!addr) return null;
  const vma = new VmAreaStruct(mm);
  vma.addr = addr;
  return vma;
}

/** A copy of `orig` (same range, flags and anon_vma; no chains yet). */
export function vm_area_dup(orig: VmAreaStruct): VmAreaStruct | null {
  const addr = kmem_cache_alloc(vm_area_cachep!, GFP_KERNEL);
  if (!addr) return null;
  const vma = new VmAreaStruct(orig.vm_mm);
  vma.addr = addr;
  vma.vm_start = orig.vm_start;
  vma.vm_end = orig.vm_end;
  vma.vm_flags = orig.vm_flags;
  vma.vm_page_prot = orig.vm_page_prot;
  vma.vm_pgoff = orig.vm_pgoff;
  vma.anon_vma = orig.anon_vma;
  return vma;
}

export function vm_area_free(vma: VmAreaStruct): void {
  if (vma.anon_vma_chain.length) BUG('vm_area_free: vma still on anon_vma chains');
  kmem_cache_free(vm_area_cachep!, vma.addr);
  vma.addr = 0;
}

/* ---- mm_struct ---- */

function allocate_mm(): MmStruct | null {
  const addr = kmem_cache_zalloc(mm_cachep!, GFP_KERNEL);
  if (!addr) return null;
  const mm = new MmStruct();
  mm.addr = addr;
  mm_structs.register(addr, mm);
  return mm;
}

function free_mm(mm: MmStruct): void {
  mm_structs.unregister(mm.addr);
  kmem_cache_free(mm_cachep!, mm.addr);
}

function mm_alloc_pgd(mm: MmStruct): number {
  mm.pgd = pgd_alloc(mm);
  return mm.pgd ? 0 : -ENOMEM;
}

function mm_free_pgd(mm: MmStruct): void {
  pgd_free(mm, mm.pgd);
  mm.pgd = 0;
}

/** Initialise a freshly allocated (or copied) mm for task `p`; frees it and returns null on failure. */
function mm_init(mm: MmStruct, p: Task | null): MmStruct | null {
  mm.mmap = null;
  mm.mmap_cache = null;
  mm.map_count = 0;
  mm.mm_users = 1;
  mm.mm_count = 1;
  mm.rss_stat.fill(0);
  mm.pgtables_bytes = 0;
  mm.nr_accounted = 0;
  mm.owner = p;
  spin_lock_init(mm.page_table_lock);
  if (mm_alloc_pgd(mm)) {
    free_mm(mm);
    return null;
  }
  return mm;
}

/** A new, empty address space (mm_alloc). */
export function mm_alloc(): MmStruct | null {
  const mm = allocate_mm();
  if (!mm) return null;
  return mm_init(mm, null);
}

const resident_page_types = ['MM_FILEPAGES', 'MM_ANONPAGES', 'MM_SWAPENTS', 'MM_SHMEMPAGES'];

/** Every counter must be back to zero when an mm is freed. */
function check_mm(mm: MmStruct): void {
  for (let i = 0; i < NR_MM_COUNTERS; i++) {
    const v = mm.rss_stat[i]!;
    if (v) throw new KernelBug(`BUG: Bad rss-counter state mm:${formatKernelAddress(mm.addr)} type:${resident_page_types[i]} val:${v}`);
  }
  if (mm_pgtables_bytes(mm)) {
    throw new KernelBug(`BUG: non-zero pgtables_bytes on freeing mm: ${mm_pgtables_bytes(mm)}`);
  }
}

/** The last reference to the struct is gone: free the pgd and the mm_struct. */
export function __mmdrop(mm: MmStruct): void {
  if (mm === init_mm) BUG('__mmdrop of init_mm');
  mm_free_pgd(mm);
  check_mm(mm);
  free_mm(mm);
}

export function mmdrop(mm: MmStruct): void {
  if (--mm.mm_count === 0) __mmdrop(mm);
}

export function mmget(mm: MmStruct): void {
  mm.mm_users++;
}

/** Drop a user of the address space; the last one tears it down. */
export function mmput(mm: MmStruct): void {
  if (--mm.mm_users === 0) {
    exit_mmap(mm);
    mmdrop(mm);
  }
}

/** Copy every VMA of `oldmm` into `mm`, sharing anonymous pages copy-on-write. 0 or -ENOMEM. */
function dup_mmap(mm: MmStruct, oldmm: MmStruct): number {
  mm.total_vm = oldmm.total_vm;
  mm.nr_accounted = 0;
  let prev: VmAreaStruct | null = null;
  for (let mpnt = oldmm.mmap; mpnt; mpnt = mpnt.vm_next) {
    if (mpnt.vm_flags & VM_DONTCOPY) {
      mm.total_vm -= vma_pages(mpnt);
      continue;
    }
    const tmp = vm_area_dup(mpnt);
    if (!tmp) return -ENOMEM;
    tmp.vm_mm = mm;
    if (anon_vma_fork(tmp, mpnt)) {
      tmp.anon_vma = null;
      vm_area_free(tmp);
      return -ENOMEM;
    }
    tmp.vm_flags &= ~VM_LOCKED;
    // Link at the tail.
    tmp.vm_prev = prev;
    if (prev) prev.vm_next = tmp;
    else mm.mmap = tmp;
    prev = tmp;
    mm.map_count++;
    if (tmp.vm_flags & VM_ACCOUNT) mm.nr_accounted += vma_pages(tmp);
    mm.highest_vm_end = tmp.vm_end;
    const retval = copy_page_range(tmp, mpnt);
    if (retval) return retval;
  }
  return 0;
}

/** A copy of `oldmm` for task `tsk` (fork without CLONE_VM), or null on ENOMEM. */
export function dup_mm(tsk: Task, oldmm: MmStruct): MmStruct | null {
  const mm = allocate_mm();
  if (!mm) return null;
  mm.mmap_base = oldmm.mmap_base;
  mm.task_size = oldmm.task_size;
  mm.hiwater_rss = 0;
  if (!mm_init(mm, tsk)) return null;
  if (dup_mmap(mm, oldmm)) {
    // Tear down whatever was copied (exit_mmap through mmput).
    mm.owner = null;
    mmput(mm);
    return null;
  }
  mm.hiwater_rss = get_mm_rss(mm);
  return mm;
}

/* ---- processes ---- */

/** An init-like process with a fresh, empty address space (as after execve), or null on ENOMEM. */
export function process_create(comm = 'init'): Task | null {
  const mm = mm_alloc();
  if (!mm) return null;
  arch_pick_mmap_layout(mm);
  const pid = alloc_pid();
  if (pid < 0) {
    mmput(mm);
    return null;
  }
  const task = new Task(pid, comm);
  task.mm = mm;
  task.active_mm = mm;
  mm.owner = task;
  attach_pid(task);
  if (tracepoints_enabled) trace_event('task_newtask', `pid=${pid} comm=${comm} mm=${formatKernelAddress(mm.addr)}`);
  return task;
}

/**
 * fork(): a child of `parent` with a copy of its address space; anonymous pages are shared
 * copy-on-write. Returns null when memory ran out (-ENOMEM), leaving no trace of the child.
 */
export function fork_process(parent: Task): Task | null {
  if (!parent.mm) BUG(`fork_process: task ${parent.pid} has no mm`);
  const pid = alloc_pid();
  if (pid < 0) return null;
  const child = new Task(pid, parent.comm);
  const mm = dup_mm(child, parent.mm);
  if (!mm) return null;
  child.mm = mm;
  child.active_mm = mm;
  child.parent = parent;
  attach_pid(child);
  if (tracepoints_enabled) trace_event('task_newtask', `pid=${pid} comm=${child.comm} parent=${parent.pid} mm=${formatKernelAddress(mm.addr)}`);
  return child;
}
