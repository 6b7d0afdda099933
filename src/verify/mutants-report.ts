/** Render a MutantsReport as text (the command prints it). */
import type { MutantsReport } from './mutants.ts';
import { formatSeeds } from './run.ts';
import { secs } from './report-text.ts';

export function renderMutantsText(r: MutantsReport): string {
  const out: string[] = [];
  out.push(`mutants: ${r.tree} (spec ${r.spec}); ${r.candidates} candidates`);
  if (r.converted) {
    out.push(r.converted.ok && r.converted.identical
      ? '  converted tree (memdesc convert --all): verifies identical to the original; desc-* mutants run on it'
      : `  converted tree: ${r.converted.error ?? 'not available'}; desc-* mutants not run`);
  }
  const plan = r.plan;
  if (plan) out.push(`  plan: ${plan.workloads.join(', ')} x seeds ${formatSeeds(plan.seeds)}; ops ${plan.workloads.map((w) => `${w} ${plan.ops[w] ?? 'default'}`).join(', ')}`);
  if (r.oracle) {
    out.push(`  oracle: ${r.oracle.description}, run once per mutant (the original: twice, to show it repeats itself, ${secs(r.oracle.referenceMs)}); compared: ${r.oracle.compare}; a mutant is killed when its run differs`);
    for (const st of r.oracle.state) {
      out.push(st.compared
        ? `  ${st.tree} tree: the ${st.objects} objects of the spec's classes at exit are compared too (same output, different objects: killed by state)`
        : `  ${st.tree} tree: objects at exit not compared: ${st.why}`);
    }
  }
  out.push(`  time: ${secs(r.timings.wallMs)} (analyze ${secs(r.timings.analyzeMs)}, original ${secs(r.timings.referenceMs)}, mutants ${secs(r.timings.mutantsMs)}; ${r.jobs} in parallel)`);
  out.push('', '| operator | run | killed | survived | skipped (type errors) |', '|---|---:|---:|---:|---:|');
  for (const [op, c] of Object.entries(r.byOperator)) out.push(`| ${op} | ${c.run} | ${c.killed} | ${c.run - c.killed} | ${c.skipped} |`);
  out.push(`| total | ${r.run} | ${r.killed.length} | ${r.survived.length} | ${r.skipped.length} |`);
  out.push('', `killed ${r.killed.length} of ${r.run} (${(r.score * 100).toFixed(1)}%; ${(r.coveredScore * 100).toFixed(1)}% of the ${r.run - r.neverExecuted} whose code ran); ${r.survived.length} survived (${r.neverExecuted} never executed); ${r.skipped.length} skipped (do not type-check or build); ${r.equivalent.length} equivalent by construction; ${r.duplicates} duplicates dropped`);
  for (const e of r.equivalent) out.push(`  equivalent ${e.id} ${e.operator} ${e.file}:${e.line}: ${e.error}`);
  const how = new Map<string, number>();
  for (const k of r.killed) {
    const why = k.killedBy!.reason;
    const w = k.killedBy!.bug ? 'debug check' : /crash/.test(why) ? 'crash' : /timed out|^timeout/.test(why) ? 'timeout'
      : r.oracle ? (/^exit code/.test(why) ? 'exit code' : /^state/.test(why) ? 'state only (objects at exit)' : 'output') : 'digest';
    how.set(w, (how.get(w) ?? 0) + 1);
  }
  if (how.size) out.push(`  killed by: ${[...how].map(([k, n]) => `${k} ${n}`).join(', ')}`);
  if (r.survived.length) {
    out.push('', r.oracle ? "survivors (the oracle's output did not tell them from the original):" : 'survivors (no workload x seed told them from the original):');
    for (const s of r.survived) {
      out.push(`  ${s.id} ${s.operator} ${s.file}:${s.line}: ${s.description}`);
      if (s.explanation) out.push(`       why: ${s.explanation}`);
    }
  }
  return out.join('\n') + '\n';
}
