/**
 * Processes and their ids (kernel/pid.c, the parts of include/linux/sched.h the mm needs):
 * a task has a pid, a parent and an address space; the pid table finds it.
 */
import type { MmStruct } from '../include/linux/mm_types.ts';
import { register_initcall, InitLevel } from '../sim/initcall.ts';

/** struct task_struct, reduced to what memory management uses. */
export class Task {
  /** The address space (NULL for kernel threads and after exit_mm()). */
  mm: MmStruct | null = null;
  active_mm: MmStruct | null = null;
  parent: Task | null = null;
  readonly children: Task[] = [];
  /** EXIT_ZOMBIE / EXIT_DEAD once do_exit() ran. */
  exit_state = 0;
  constructor(readonly pid: number, readonly comm: string) {}
}

export const EXIT_DEAD = 0x10;
export const EXIT_ZOMBIE = 0x20;
export const PID_MAX_DEFAULT = 0x8000;

const pid_table = new Map<number, Task>();
let last_pid = 0;

register_initcall(InitLevel.CORE, 'pidmap_init', () => {
  pid_table.clear();
  last_pid = 0;
});

/** The next free pid (alloc_pid: cyclic from 1, wrapping at pid_max). */
export function alloc_pid(): number {
  for (let i = 0; i < PID_MAX_DEFAULT; i++) {
    last_pid = last_pid >= PID_MAX_DEFAULT - 1 ? 1 : last_pid + 1;
    if (!pid_table.has(last_pid)) return last_pid;
  }
  return -11; // -EAGAIN
}

export function attach_pid(task: Task): void {
  pid_table.set(task.pid, task);
  if (task.parent) task.parent.children.push(task);
}

export function detach_pid(task: Task): void {
  pid_table.delete(task.pid);
  const parent = task.parent;
  if (parent) {
    const i = parent.children.indexOf(task);
    if (i >= 0) parent.children.splice(i, 1);
  }
}

export function find_task_by_vpid(pid: number): Task | undefined {
  return pid_table.get(pid);
}

/** Every live task, in pid-allocation order (for_each_process). */
export function for_each_process(): Task[] {
  return [...pid_table.values()];
}

export function nr_processes(): number {
  return pid_table.size;
}
