/**
 * The workload registry (name -> workload) and the corpus' manifest: what it declares about its
 * own workloads and reports, for tools that run it (`main.ts --manifest` prints it as JSON).
 */
import type { Workload } from './types.ts';
import { buddyWorkload } from './buddy.ts';
import { slabWorkload } from './slab.ts';
import { mmWorkload } from './mm.ts';
import { mixedWorkload } from './mixed.ts';
import { hwpoisonWorkload } from './hwpoison.ts';
import { zswapWorkload } from './zswap.ts';
import { vmallocWorkload } from './vmalloc.ts';
import { PLACEMENTS, type Placement } from '../arena.ts';
import { STRUCT_PAGE_SIZE } from '../../include/linux/mm_types.ts';

export const WORKLOADS: readonly Workload[] = [buddyWorkload, slabWorkload, mmWorkload, hwpoisonWorkload, zswapWorkload, vmallocWorkload, mixedWorkload];

export function find_workload(name: string): Workload | undefined {
  return WORKLOADS.find((w) => w.name === name);
}

/** The workload that runs every subsystem at once: the default run and the quick check. */
export const DEFAULT_WORKLOAD = 'mixed';

/**
 * Operations per run when a tool verifies this tree (every workload x 16 seeds x 2 trees, which
 * must fit about a minute on two cores): a shorter stretch than the default, the seeds supply the
 * variety. Each figure still reaches all of its workload's paths (`memdesc verify --mutants`
 * checks that): buddy every order up to MAX_ORDER and every gfp flavour; slab caches through
 * shrink and destroy; mm fork/COW/munmap/exit; hwpoison about 25 injections per seed over every
 * page kind; zswap reclaim, compression, swap-in and swap-slot release; mixed all of them plus
 * vmalloc users and zsmalloc compaction. `cost_ms_per_op` is a measured hint (CPU ms per
 * operation on a 2-core machine) so that a runner can start the longest batches first.
 */
const VERIFY_PLAN: Readonly<Record<string, { verify_ops: number; cost_ms_per_op: number }>> = {
  buddy: { verify_ops: 3000, cost_ms_per_op: 0.12 },
  slab: { verify_ops: 8000, cost_ms_per_op: 0.03 },
  mm: { verify_ops: 5000, cost_ms_per_op: 0.07 },
  hwpoison: { verify_ops: 1200, cost_ms_per_op: 0.35 },
  zswap: { verify_ops: 1500, cost_ms_per_op: 0.5 },
  vmalloc: { verify_ops: 2000, cost_ms_per_op: 0.12 },
  mixed: { verify_ops: 4000, cost_ms_per_op: 0.2 },
};

/**
 * A report line whose value depends on the memory layout itself (the size of struct page, where
 * descriptors live), not on what the workload did: it legitimately differs between a tree and
 * its stage-2 conversion. `line` is the label a text line starts with (`Memmap:`) and the key of
 * the report's JSON form; without it, the whole report.
 */
export interface LayoutDependentLine {
  report: string;
  line?: string;
  why: string;
}

/**
 * Today's list. Only what measures the layout: the metadata report (it exists to show the
 * saving) and meminfo's `Memmap` (pages x sizeof(struct page)). The rest of meminfo stays off the
 * list: MemTotal, MemFree and Reserved change only if the memmap's saving is handed to the
 * allocator, and a placement-preserving run keeps those equal by design; slabinfo, buddyinfo and
 * the other reports describe the workload's own allocations.
 */
export const LAYOUT_DEPENDENT: readonly LayoutDependentLine[] = [
  { report: 'metadata', why: 'measures struct page, the memmap and the descriptor caches: the layout itself' },
  { report: 'meminfo', line: 'Memmap', why: 'the memmap is pages x sizeof(struct page): it shrinks with struct page' },
];

export interface WorkloadManifestEntry {
  name: string;
  description: string;
  default_ops: number;
  verify_ops: number;
  cost_ms_per_op?: number;
}

/**
 * How this tree's memory layout can be run (stage 2): sizeof(struct page), the placements
 * `main.ts --placement` accepts (sim/arena.ts: 'real', the kernel's, is the default;
 * 'preserve' keeps descriptor memory and the memmap saving from moving any other allocation),
 * and whether `--check` checks the machine's invariants after every operation (sim/check.ts).
 * Every seed's result says which descriptors the run allocated separately (`layout`).
 */
export interface LayoutManifest {
  struct_page_bytes: number;
  placements: Placement[];
  default_placement: Placement;
  check: boolean;
}

export interface Manifest {
  /** Bumped when a field changes meaning; tools ignore fields they do not know. */
  manifest_version: 1;
  default_workload: string;
  workloads: WorkloadManifestEntry[];
  layout_dependent: LayoutDependentLine[];
  layout: LayoutManifest;
}

export function manifest(): Manifest {
  return {
    manifest_version: 1,
    default_workload: DEFAULT_WORKLOAD,
    workloads: WORKLOADS.map((w) => {
      const plan = VERIFY_PLAN[w.name];
      // A workload added without a verify figure runs its default: slower, never less thorough.
      return {
        name: w.name,
        description: w.description,
        default_ops: w.defaultOps,
        verify_ops: plan?.verify_ops ?? w.defaultOps,
        ...(plan ? { cost_ms_per_op: plan.cost_ms_per_op } : {}),
      };
    }),
    layout_dependent: LAYOUT_DEPENDENT.map((l) => ({ ...l })),
    layout: { struct_page_bytes: STRUCT_PAGE_SIZE, placements: [...PLACEMENTS], default_placement: 'real', check: true },
  };
}

/** The value a masked layout-dependent line shows in the layout-blind digest (run.ts). */
export const LAYOUT_MASK = '(layout-dependent)';

/**
 * `text` of `report` with the value of every declared layout-dependent line replaced by
 * LAYOUT_MASK (`Memmap:   1024 kB` -> `Memmap: (layout-dependent)`); other lines as they are.
 */
export function layout_masked_text(report: string, text: string): string {
  const labels = LAYOUT_DEPENDENT.filter((l) => l.report === report && l.line !== undefined).map((l) => `${l.line}:`);
  if (labels.length === 0) return text;
  return text.split('\n').map((line) => {
    const label = labels.find((l) => line.startsWith(l));
    return label === undefined ? line : `${label} ${LAYOUT_MASK}`;
  }).join('\n');
}

/** True when `report` as a whole is declared layout-dependent (then it is kept out of the digest). */
export function layout_dependent_report(report: string): boolean {
  return LAYOUT_DEPENDENT.some((l) => l.report === report && l.line === undefined);
}
