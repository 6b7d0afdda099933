/** Render a VerifyReport as text (the command prints it). */
import type { VerifyReport } from './verify.ts';
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

export function renderVerifyText(r: VerifyReport, opts: { maxBugs?: number } = {}): string {
  const out: string[] = [];
  out.push(`verify: ${r.candidate.label} against ${r.reference.label}`);
  const ops = r.workloads.map((w) => `${w} ${r.ops[w] ?? '?'}`).join(', ');
  out.push(`  workloads: ${r.workloads.join(', ')}; seeds ${formatSeeds(r.seeds)}${r.ram ? `; ram ${r.ram}` : ''}`);
  out.push(`  ops per run: ${ops}${r.opsSource === 'fallback' ? " (memdesc's table: the reference has no manifest)" : ''}`);
  if (r.layoutDependent?.length) {
    out.push(`  layout-dependent lines (declared by the corpus): ${r.layoutDependent.map(describeLayoutLine).join('; ')}`);
  }
  out.push(`  ${r.pairs} pairs (${r.pairs * 2} runs, ${r.jobs} in parallel); ${num(r.opsCompared)} operations and ${num(r.eventsCompared)} events compared`);
  out.push(`  time: ${secs(r.timings.wallMs)} (build ${secs(r.timings.buildMs)}, runs ${secs(r.timings.runMs)}, diff ${secs(r.timings.diffMs)})`);
  if (r.ok) {
    out.push(`identical: all ${r.pairs} digests match`);
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
  const bugs = r.bugs.slice(0, opts.maxBugs ?? 2);
  for (const b of bugs) {
    out.push('', `debug check fired (${b.side}, ${b.workload} seed ${b.seed}): ${b.message}`);
    if (b.dump) out.push(indent(b.dump.trimEnd()));
  }
  if (r.bugs.length > bugs.length) out.push(`(${r.bugs.length - bugs.length} more debug-check failures not shown; --json has them)`);
  return out.join('\n') + '\n';
}
