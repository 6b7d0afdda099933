/** Render a VerifyReport as text (the command prints it). */
import type { LayoutSummary, TreeLayout, VerifyReport } from './verify.ts';
import { formatSeeds } from './run.ts';
import { describeLayoutLine } from '../simulate/manifest.ts';

export function secs(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function num(n: number): string {
  return n.toLocaleString('en-US');
}

function indent(text: string, pad = '    '): string {
  return text.split('\n').map((l) => pad + l).join('\n');
}

/** Is there anything about layouts to say: a stage-2 tree, or pairs compared across layouts? */
function crossLayout(l: LayoutSummary | undefined): boolean {
  return l !== undefined && (l.candidate.stage2 || l.reference.stage2 || l.maskedPairs > 0);
}

function describeLayout(t: TreeLayout): string {
  const size = t.structPageBytes !== undefined ? `struct page ${t.structPageBytes} bytes` : 'layout not reported';
  return `${size}, ${t.descriptors.length ? `descriptors allocated separately: ${t.descriptors.join(', ')}` : 'no descriptor allocated separately'}`;
}

function layoutLines(l: LayoutSummary): string[] {
  const out = [`  layouts: candidate ${describeLayout(l.candidate)}; reference ${describeLayout(l.reference)}`];
  if (l.placement === 'preserve') {
    out.push('  placement: preserving (descriptors from a metadata arena outside the buddy allocator, the memmap carved at its stage-1 size), so no other allocation moves');
  } else if (l.placement) {
    out.push(`  placement: ${l.placement}`);
  }
  return out;
}

export function renderVerifyText(r: VerifyReport, opts: { maxBugs?: number } = {}): string {
  const out: string[] = [];
  out.push(`verify: ${r.candidate.label} against ${r.reference.label}`);
  const ops = r.workloads.map((w) => `${w} ${r.ops[w] ?? '?'}`).join(', ');
  out.push(`  workloads: ${r.workloads.join(', ')}; seeds ${formatSeeds(r.seeds)}${r.ram ? `; ram ${r.ram}` : ''}`);
  out.push(`  ops per run: ${ops}${r.opsSource === 'fallback' ? " (memdesc's table: the reference has no manifest)" : ''}`);
  if (r.layoutDependent?.length) {
    out.push(`  layout-dependent lines (declared by the corpus): ${r.layoutDependent.map(describeLayoutLine).join('; ')}`);
  }
  const across = crossLayout(r.layouts);
  if (across) out.push(...layoutLines(r.layouts!));
  out.push(`  ${r.pairs} pairs (${r.pairs * 2} runs, ${r.jobs} in parallel); ${num(r.opsCompared)} operations and ${num(r.eventsCompared)} events compared`);
  const checksTime = r.timings.checksMs !== undefined ? `, real-placement checks ${secs(r.timings.checksMs)}` : '';
  out.push(`  time: ${secs(r.timings.wallMs)} (build ${secs(r.timings.buildMs)}, runs ${secs(r.timings.runMs)}, diff ${secs(r.timings.diffMs)}${checksTime})`);
  const masked = r.layouts?.maskedPairs ? ` (${r.layouts.maskedPairs} by the layout-blind digest: events and reports, the declared layout-dependent lines masked)` : '';
  if (r.mismatches.length === 0) {
    out.push(`identical: all ${r.pairs} digests match${masked}`);
  } else {
    const byW = new Map<string, number[]>();
    for (const m of r.mismatches) byW.set(m.workload, [...(byW.get(m.workload) ?? []), m.seed]);
    out.push(`DIFFERENT: ${r.mismatches.length} of ${r.pairs} pairs differ (${[...byW].map(([w, s]) => `${w} seeds ${formatSeeds(s)}`).join('; ')})`);
    const f = r.first!;
    out.push('', `first mismatch: workload ${f.workload} seed ${f.seed}: ${f.reason}`);
    const d = f.divergence;
    if (d && d.where === 'event') {
      out.push(`first diverging event: #${d.index + 1}${d.before.length ? ` (after ${d.before.length} identical events shown)` : ''}`);
      d.before.forEach((l, i) => out.push(`    ${d.index - d.before.length + i + 1}: ${l}`));
      out.push(`  candidate ${d.index + 1}: ${d.candidate ?? '(trace ends)'}`);
      out.push(`  reference ${d.index + 1}: ${d.reference ?? '(trace ends)'}`);
    } else if (d && d.where === 'none') {
      out.push('events and reports identical on a re-run with the trace: the difference is in memory only (see the reason above)');
    } else if (d && d.where === 'report') {
      out.push(`events identical; report '${d.report}' differs at line ${d.index + 1}`);
      for (const l of d.before) out.push(`    ${l}`);
      out.push(`  candidate: ${d.candidate ?? '(report ends)'}`);
      out.push(`  reference: ${d.reference ?? '(report ends)'}`);
    }
    for (const side of ['candidate', 'reference'] as const) {
      const s = f[side];
      if ((s.status === 'crash' || s.status === 'timeout' || s.status === 'error' || s.status === 'not-run') && s.detail) {
        out.push(`${side} ${s.status === 'crash' ? 'crashed' : s.status === 'timeout' ? 'timed out' : s.status}:`, indent(s.detail));
      }
    }
  }
  const checks = r.layouts?.checks;
  if (checks) {
    const what = `real placement of the ${checks.side} (stage 2: descriptors from slab${checks.invariants ? ', invariants checked after every operation' : ''})`;
    if (checks.ok) {
      out.push(`checked: ${what}: all ${checks.runs} runs passed their content checks, the debug checks${checks.invariants ? ' and the invariants' : ''}`);
    } else {
      const f = checks.failures;
      out.push('', `CHECKS FAILED: ${what}: ${f.length} of ${checks.runs} runs failed (${f.slice(0, 4).map((x) => `${x.workload} seed ${x.seed}`).join('; ')}${f.length > 4 ? '; …' : ''})`);
      out.push(`first failure: workload ${f[0]!.workload} seed ${f[0]!.seed}: ${f[0]!.reason}`);
      if (f[0]!.bug?.dump) out.push(indent(f[0]!.bug.dump.trimEnd()));
    }
  }
  const bugs = r.bugs.slice(0, opts.maxBugs ?? 2);
  for (const b of bugs) {
    out.push('', `debug check fired (${b.side}, ${b.workload} seed ${b.seed}): ${b.message}`);
    if (b.dump) out.push(indent(b.dump.trimEnd()));
  }
  if (r.bugs.length > bugs.length) out.push(`(${r.bugs.length - bugs.length} more debug-check failures not shown; --json has them)`);
  return out.join('\n') + '\n';
}
