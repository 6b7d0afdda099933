/**
 * `--check`: the machine's invariants after every operation of a workload and at the end of the
 * run, for a tree whose descriptors live outside struct page (stage 2). Today that is
 * memdesc_check_all() (include/linux/memdesc.ts): every page that carries a memdesc word holds a
 * valid one, every pointer word names a live descriptor of its type whose back pointer
 * round-trips, and as many descriptors are allocated per kind as pages name (no leak). A
 * violation is a debug check: it throws KernelBug with the problems and the dump_page() of the
 * first page named, so the run ends as a bug at the operation that broke it.
 *
 * Workloads call `ctx.after_op(op)` once per operation (sim/workloads/types.ts); outside --check
 * it does nothing. A workload that never calls it cannot be checked, and --check says so rather
 * than pass it unchecked.
 */
import { memdesc_check_all } from '../include/linux/memdesc.ts';
import { pfn_to_page, max_pfn } from '../include/linux/mm.ts';
import { dump_page } from '../include/linux/mmdebug.ts';
import { KernelBug, SimConfigError } from './errors.ts';

/** Problems listed in a failing check's dump (the rest are counted). */
const MAX_LISTED = 20;

let calls = 0;
let workload_name = '';

const nothing = (_op: number): void => {};

function after_op(op: number): void {
  calls++;
  check_machine(`after operation ${op}`);
}

/** Start a run: the `after_op` its workload gets (a no-op unless `on`). */
export function check_begin(on: boolean, workload: string): (op: number) => void {
  calls = 0;
  workload_name = workload;
  return on ? after_op : nothing;
}

/** The end of a checked run: the workload must have been checked along the way, then once more. */
export function check_end(ops: number): void {
  if (ops > 0 && calls === 0) {
    throw new SimConfigError(`workload ${workload_name} never calls ctx.after_op(): --check cannot check it after every operation`);
  }
  check_machine('at the end of the run');
}

/** Run every invariant now; KernelBug on the first violation. */
export function check_machine(when: string): void {
  const problems = memdesc_check_all();
  if (problems.length === 0) return;
  const more = problems.length > MAX_LISTED ? [`... and ${problems.length - MAX_LISTED} more`] : [];
  const m = /^pfn 0x([0-9a-f]+):/.exec(problems[0]!);
  const pfn = m ? parseInt(m[1]!, 16) : -1;
  const dump = pfn >= 0 && pfn < max_pfn() ? [dump_page(pfn_to_page(pfn), 'memdesc check')] : [];
  throw new KernelBug(
    `memdesc check failed ${when}: ${problems[0]}${problems.length > 1 ? ` (${problems.length - 1} more)` : ''}`,
    [...problems.slice(0, MAX_LISTED), ...more, ...dump].join('\n'),
  );
}
