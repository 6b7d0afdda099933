/**
 * Run one simulation: boot, run a workload from a seed, collect the reports, digest it all.
 * Same configuration, same bytes.
 */
import { boot } from './boot.ts';
import { Rng } from './random.ts';
import { WORKLOADS, find_workload, layout_dependent_report, layout_masked_text } from './workloads/index.ts';
import { all_reports, find_report } from './reports.ts';
// Registered after every subsystem's report (boot imports them), so it prints last.
import './metadata.ts';
import { trace_event, trace_report, trace_digest, trace_count, trace_lines, trace_fork } from './trace.ts';
import { descriptor_kinds_seen, type Placement } from './arena.ts';
import { check_begin, check_end } from './check.ts';
import { STRUCT_PAGE_SIZE } from '../include/linux/mm_types.ts';
import { SimConfigError, KernelBug } from './errors.ts';
import { DEFAULT_RAM, MAX_RAM, MIN_RAM } from './memory.ts';

export interface SimOptions {
  workload: string;
  seed: number;
  ram?: number;
  ops?: number;
  keepTrace?: boolean;
  /** Kernel tracepoints (mm_page_alloc, kmalloc, ...) in the trace; on by default. */
  tracepoints?: boolean;
  /** Where descriptors go (sim/arena.ts): 'real' (default) or 'preserve'. */
  placement?: Placement;
  /** Check the machine's invariants after every operation and at the end (sim/check.ts). */
  check?: boolean;
}

/** What the run's memory layout was: how big struct page is, which descriptors were separate. */
export interface SimLayout {
  struct_page_bytes: number;
  /** Descriptor kinds whose cache existed during the run ([] on a stage-1 machine). */
  descriptors: string[];
  placement: Placement;
}

export interface SimReport {
  name: string;
  title: string;
  text: string;
  json?: unknown;
}

export interface SimResult {
  workload: string;
  seed: number;
  ram: number;
  ops: number;
  events: readonly string[];
  eventCount: number;
  reports: SimReport[];
  digest: string;
  /**
   * The digest with the layout-dependent lines the manifest declares masked (events, then the
   * reports with those lines' values replaced): what a tree and its stage-2 conversion share.
   */
  layoutDigest: string;
  layout: SimLayout;
  /** Set when a debug check fired: the bug and its dump_page() text. */
  bug?: { message: string; dump: string };
}

export function workload_names(): string[] {
  return WORKLOADS.map((w) => w.name);
}

/** Parse "64M", "1G", "65536K" or a byte count. */
export function parse_ram(text: string): number {
  const m = /^(\d+)([KMG]?)(?:i?B)?$/i.exec(text.trim());
  if (!m) throw new SimConfigError(`invalid RAM size "${text}" (use e.g. 64M or 1G)`);
  const unit = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[m[2]!.toUpperCase() as '' | 'K' | 'M' | 'G'];
  const bytes = Number(m[1]) * unit;
  if (bytes < MIN_RAM || bytes > MAX_RAM || bytes % (4 * 1024 * 1024) !== 0) {
    throw new SimConfigError(`RAM size ${text} out of range (16M to 1G, a multiple of 4M)`);
  }
  return bytes;
}

export function run_simulation(opts: SimOptions): SimResult {
  const workload = find_workload(opts.workload);
  if (!workload) {
    throw new SimConfigError(`unknown workload "${opts.workload}" (choose from ${workload_names().join(', ')})`);
  }
  if (!Number.isSafeInteger(opts.seed) || opts.seed < 0) throw new SimConfigError(`invalid seed "${opts.seed}"`);
  const ops = opts.ops ?? workload.defaultOps;
  if (!Number.isSafeInteger(ops) || ops < 0) throw new SimConfigError(`invalid operation count "${opts.ops}"`);
  const ram = opts.ram ?? DEFAULT_RAM;
  const placement = opts.placement ?? 'real';
  boot({ ram, keepTrace: opts.keepTrace ?? false, tracepoints: opts.tracepoints ?? true, placement });
  trace_event('boot', `workload=${workload.name} seed=${opts.seed} ram=${ram} ops=${ops}`);
  let bug: SimResult['bug'];
  const after_op = check_begin(opts.check ?? false, workload.name);
  try {
    workload.run({ rng: new Rng(opts.seed), ops, seed: opts.seed, after_op });
    if (opts.check) check_end(ops);
  } catch (err) {
    if (!(err instanceof KernelBug)) throw err;
    bug = { message: err.message.split('\n')[0]!, dump: err.dump };
    trace_event('bug', bug.message);
  }
  // The events' digest so far, continued with the reports as the layout-blind digest sees them.
  const masked = trace_fork();
  const reports: SimReport[] = [];
  for (const r of all_reports()) {
    if (r.standalone) continue;
    let text: string;
    try {
      text = r.text();
    } catch (err) {
      if (!(err instanceof KernelBug)) throw err;
      text = `(report failed: ${err.message.split('\n')[0]})`;
    }
    // A report that measures the layout itself stays out of the digest: the digest proves
    // behaviour, and a stage-2 tree differs there by design (the manifest declares it).
    if (!layout_dependent_report(r.name)) {
      trace_report(`== ${r.title} ==\n${text}`);
      masked.update(`== ${r.title} ==\n${layout_masked_text(r.name, text)}\n`);
    }
    reports.push({ name: r.name, title: r.title, text, json: r.json ? safe(r.json) : undefined });
  }
  return {
    workload: workload.name,
    seed: opts.seed,
    ram,
    ops,
    events: trace_lines(),
    eventCount: trace_count(),
    reports,
    digest: trace_digest(),
    layoutDigest: masked.digest('hex'),
    layout: { struct_page_bytes: STRUCT_PAGE_SIZE, descriptors: [...descriptor_kinds_seen()], placement },
    bug,
  };
}

function safe(fn: () => unknown): unknown {
  try {
    return fn();
  } catch {
    return undefined;
  }
}

/** A report that needs no workload (e.g. the zsmalloc class table). */
export function standalone_report(name: string, ram = DEFAULT_RAM): SimReport {
  const r = find_report(name);
  if (!r) throw new SimConfigError(`unknown report "${name}" (choose from ${report_names().join(', ')})`);
  boot({ ram });
  return { name: r.name, title: r.title, text: r.text(), json: r.json ? r.json() : undefined };
}

export function report_names(): string[] {
  return all_reports().map((r) => r.name);
}

export function is_standalone_report(name: string): boolean {
  return find_report(name)?.standalone === true;
}
