/**
 * Compare two runs of the same workload and seed: first the digests (cheap, from the batch
 * runs), then, for a pair that differs, the full traces: the first diverging event with the
 * events before it, or, when the events agree, the first differing report line.
 */
import type { RunOutcome, TracedRun, SimBug } from './run.ts';

export type Side = 'candidate' | 'reference';

/** Events and reports agree, but the runs left different struct page arrays behind. */
export const MEMMAP_DIFFERS = 'struct page array (memmap) differs at the end of the run; events and reports identical';

/** Why a pair of runs is not identical. */
export function outcomeDifference(c: RunOutcome, r: RunOutcome, opts: { memmap?: boolean } = {}): string | null {
  if (c.status === 'ok' || c.status === 'bug') {
    if (r.status !== 'ok' && r.status !== 'bug') return `reference ${describeStatus(r)}`;
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

export function firstDivergence(c: TracedRun, r: TracedRun, context = 10): Divergence {
  const n = Math.min(c.events.length, r.events.length);
  let i = 0;
  while (i < n && c.events[i] === r.events[i]) i++;
  if (i < n || c.events.length !== r.events.length) {
    return { where: 'event', index: i, before: c.events.slice(Math.max(0, i - context), i), candidate: c.events[i], reference: r.events[i] };
  }
  const names = [...new Set([...Object.keys(r.reports), ...Object.keys(c.reports)])];
  for (const name of names) {
    const a = reportLines(c.reports[name]);
    const b = reportLines(r.reports[name]);
    const m = Math.min(a.length, b.length);
    let j = 0;
    while (j < m && a[j] === b[j]) j++;
    if (j < m || a.length !== b.length) {
      return { where: 'report', report: name, index: j, before: a.slice(Math.max(0, j - context), j), candidate: a[j], reference: b[j] };
    }
  }
  return { where: 'none', index: -1, before: [] };
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
