/**
 * Process exit (kernel/exit.c): the task drops its address space (exit_mm -> mmput, which
 * unmaps everything and frees the page tables when it was the last user) and is released.
 */
import { BUG } from '../include/linux/mmdebug.ts';
import { mmput } from './fork.ts';
import { Task, EXIT_DEAD, detach_pid, find_task_by_vpid } from './pid.ts';
import { trace_event, tracepoints_enabled } from '../sim/trace.ts';

/** Give up the task's mm (exit_mm). */
export function exit_mm(task: Task): void {
  const mm = task.mm;
  if (!mm) return;
  task.mm = null;
  task.active_mm = null;
  if (mm.owner === task) mm.owner = null;
  mmput(mm);
}

/** do_exit() + release_task(): the task and, if it was the last user, its memory are gone. */
export function process_exit(task: Task): void {
  if (task.exit_state) BUG(`process_exit: task ${task.pid} already exited`);
  if (find_task_by_vpid(task.pid) !== task) BUG(`process_exit: task ${task.pid} is not alive`);
  if (tracepoints_enabled) trace_event('sched_process_exit', `pid=${task.pid} comm=${task.comm}`);
  exit_mm(task);
  // Orphans are reparented to no one (there is no init to reap them).
  for (const child of task.children) child.parent = null;
  task.children.length = 0;
  task.exit_state = EXIT_DEAD;
  detach_pid(task);
}
