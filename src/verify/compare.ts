/**
 * Compare two runs of the same workload and seed: first the digests (cheap, from the batch
 * runs), then, for a pair that differs, the full traces: the first diverging event with the
 * events before it, or, when the events agree, the first differing report line.
 *
 * Two runs of different memory layouts (a tree and its stage-2 conversion: another struct page
 * size, descriptors allocated separately) are compared by their layout-blind digests: events and
 * reports with the lines the corpus declares layout-dependent masked. Their struct page arrays
 * differ by design and are not compared.
 */
import type { RunOutcome, TracedRun, SimBug, SeedLayout } from './run.ts';
import type { LayoutDependentLine } from '../simulate/manifest.ts';

export type Side = 'candidate' | 'reference';

/** Events and reports agree, but the runs left different struct page arrays behind. */
export const MEMMAP_DIFFERS = 'struct page array (memmap) differs at the end of the run; events and reports identical';

/** Do two runs have different memory layouts (struct page size, which descriptors are separate)? */
export function layoutsDiffer(a: SeedLayout | undefined, b: SeedLayout | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  return a.struct_page_bytes !== b.struct_page_bytes || [...a.descriptors].sort().join() !== [...b.descriptors].sort().join();
}

/** Are the two finished runs compared by their layout-blind digests (layouts differ, both print one)? */
export function comparedAcrossLayouts(c: RunOutcome, r: RunOutcome): boolean {
  return c.result?.layoutDigest !== undefined && r.result?.layoutDigest !== undefined && layoutsDiffer(c.result.layout, r.result.layout);
}

/** Why a pair of runs is not identical. */
export function outcomeDifference(c: RunOutcome, r: RunOutcome, opts: { memmap?: boolean } = {}): string | null {
  if (c.status === 'ok' || c.status === 'bug') {
    if (r.status !== 'ok' && r.status !== 'bug') return `reference ${describeStatus(r)}`;
    if (comparedAcrossLayouts(c, r)) {
      if (c.result!.layoutDigest === r.result!.layoutDigest) return null;
      if (c.result!.eventCount !== r.result!.eventCount) {
        return `layout-blind digests differ (${c.result!.eventCount} vs ${r.result!.eventCount} events)`;
      }
      return 'layout-blind digests differ';
    }
    if (c.result!.digest === r.result!.digest) {
      const [a, b] = [c.result!.memmap, r.result!.memmap];
      return opts.memmap !== false && a !== undefined && b !== undefined && a !== b ? MEMMAP_DIFFERS : null;
    }
    if (c.result!.eventCount !== r.result!.eventCount) {
      return `digests differ (${c.result!.eventCount} vs ${r.result!.eventCount} events)`;
    }
    return 'digests differ';
  }
  if (r.status === 'ok' || r.status === 'bug') return `candidate ${describeStatus(c)}`;
  // Neither side finished: identical only if both failed the same way.
  if (c.status === r.status && c.status !== 'timeout' && c.status !== 'not-run' && c.detail === r.detail) return null;
  return `candidate ${describeStatus(c)}; reference ${describeStatus(r)}`;
}

export function describeStatus(o: { status: string; detail?: string }): string {
  switch (o.status) {
    case 'crash': return `crashed (${firstLine(o.detail)})`;
    case 'timeout': return 'timed out';
    case 'not-run': return 'not run (an earlier seed timed out)';
    case 'error': return `rejected the run (${firstLine(o.detail)})`;
    case 'bug': return 'hit a debug check';
    default: return o.status;
  }
}

function firstLine(s: string | undefined): string {
  const lines = (s ?? '').split('\n').map((l) => l.trim()).filter(Boolean);
  // A Node stack trace: the "TypeError: ..." line says more than the source excerpt above it.
  return lines.find((l) => /^[A-Za-z]*(Error|Bug)\b.*:/.test(l)) ?? lines[0] ?? '';
}

export interface Divergence {
  /** 'event': the traces differ at `index`; 'report': events agree, a report differs; 'none'. */
  where: 'event' | 'report' | 'none';
  /** 0-based event index (where = 'event'), or line index in the report. */
  index: number;
  /** The report that differs (where = 'report'). */
  report?: string;
  /** Up to `context` lines before the divergence (identical on both sides). */
  before: string[];
  /** The first differing line on each side; undefined = that side's trace ended there. */
  candidate?: string;
  reference?: string;
}

/**
 * The first difference of two traced runs. `mask`: layout-dependent lines to leave out of the
 * report comparison (runs of different layouts): a whole report, or the lines of one that begin
 * with `LINE:` (and the key LINE of its JSON form).
 */
export function firstDivergence(c: TracedRun, r: TracedRun, context = 10, mask: readonly LayoutDependentLine[] = []): Divergence {
  const n = Math.min(c.events.length, r.events.length);
  let i = 0;
  while (i < n && c.events[i] === r.events[i]) i++;
  if (i < n || c.events.length !== r.events.length) {
    return { where: 'event', index: i, before: c.events.slice(Math.max(0, i - context), i), candidate: c.events[i], reference: r.events[i] };
  }
  const names = [...new Set([...Object.keys(r.reports), ...Object.keys(c.reports)])]
    .filter((name) => !mask.some((l) => l.report === name && l.line === undefined));
  for (const name of names) {
    const labels = mask.filter((l) => l.report === name && l.line !== undefined).map((l) => l.line!);
    const a = reportLines(maskReport(c.reports[name], labels));
    const b = reportLines(maskReport(r.reports[name], labels));
    const m = Math.min(a.length, b.length);
    let j = 0;
    while (j < m && a[j] === b[j]) j++;
    if (j < m || a.length !== b.length) {
      return { where: 'report', report: name, index: j, before: a.slice(Math.max(0, j - context), j), candidate: a[j], reference: b[j] };
    }
  }
  return { where: 'none', index: -1, before: [] };
}

/** A report with the values of the `labels` lines (text) or keys (JSON) masked. */
function maskReport(x: unknown, labels: readonly string[]): unknown {
  if (labels.length === 0 || x === undefined || x === null) return x;
  if (typeof x === 'string') {
    return x.split('\n').map((line) => {
      const label = labels.find((l) => line.startsWith(`${l}:`));
      return label === undefined ? line : `${label}: (layout-dependent)`;
    }).join('\n');
  }
  if (typeof x === 'object' && !Array.isArray(x)) {
    const copy: Record<string, unknown> = { ...(x as Record<string, unknown>) };
    for (const l of labels) if (l in copy) copy[l] = '(layout-dependent)';
    return copy;
  }
  return x;
}

function reportLines(x: unknown): string[] {
  if (x === undefined) return [];
  return (typeof x === 'string' ? x : JSON.stringify(x, null, 1)).split('\n');
}

export interface BugNote {
  side: Side;
  workload: string;
  seed: number;
  message: string;
  dump: string;
}

export function bugNotes(workload: string, seed: number, c: { bug: SimBug | null } | undefined, r: { bug: SimBug | null } | undefined): BugNote[] {
  const out: BugNote[] = [];
  if (c?.bug) out.push({ side: 'candidate', workload, seed, ...c.bug });
  if (r?.bug) out.push({ side: 'reference', workload, seed, ...r.bug });
  return out;
}
