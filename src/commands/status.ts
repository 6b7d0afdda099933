/**
 * `memdesc status [path] [--spec FILE] [--json] [--plan FILE]`: how far each kind's conversion
 * is in the working tree (raw accesses left, converted, % done), plus unknown and residue; with
 * --plan, each planned patch of a series and whether the tree has it. --json prints the
 * ProgressPoint (commit "WORKTREE"), with a "plan" member when --plan is given.
 */
import { relative } from 'node:path';
import type { Command } from 'commander';
import type { PlanProgress, ProgressPoint } from '../model/progress.ts';
import type { Spec } from '../model/spec.ts';
import { addCorpusOption, projectArgText, projectPath, projectSpecFile, SPEC_OPTION_TEXT } from './projectPath.ts';

interface StatusFlags {
  spec?: string;
  json?: boolean;
  plan?: string;
  corpus?: boolean;
}

export function registerStatus(program: Command): void {
  addCorpusOption(program
    .command('status')
    .description('conversion progress of the working tree per kind; with --plan, which planned patches it has')
    .argument('[path]', projectArgText()))
    .option('--spec <file>', SPEC_OPTION_TEXT)
    .option('--json', 'print the ProgressPoint JSON (commit "WORKTREE"; "plan" added with --plan)')
    .option('--plan <file>', 'a series cover letter (anything plan import reads: a file, folder or archive): show each planned patch as done / not done / not applicable')
    .action(async (path: string | undefined, flags: StatusFlags) => {
      // The library code loads only when this command runs (dist/: a chunk of its own), not for --help.
      const [{ resolveSpec }, { readPlanFileWithNotes }, { planProgress }, { progressPoint }] = await Promise.all([
        import('../model/builtin.ts'), import('../track/planImport.ts'), import('../track/planStatus.ts'), import('../track/progress.ts'),
      ]);
      const target = projectPath(path, flags.corpus, 'status');
      const spec = resolveSpec(projectSpecFile(flags.spec, target));
      // Read the plan before the (slower) analysis so a bad file fails fast.
      const imported = flags.plan ? readPlanFileWithNotes(flags.plan) : undefined;
      for (const note of imported?.notes ?? []) process.stderr.write(`memdesc: --plan: ${note}\n`);
      const plan = imported?.plan;
      const [{ analyzeDetailed }, { loadProgram }] = await Promise.all([import('../analyzers/analyze.ts'), import('../analyzers/project.ts')]);
      const { program: tsProgram, root } = loadProgram(target);
      const detailed = analyzeDetailed(tsProgram, root, { spec });
      const { stage2States } = await import('../track/separated.ts');
      const point = { ...progressPoint(detailed.result, spec, { commit: 'WORKTREE', subject: 'working tree', date: new Date().toISOString() }), stage2: stage2States(tsProgram, root, spec) };
      const progress = plan ? planProgress(plan, detailed, spec) : undefined;
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(progress ? { ...point, plan: progress } : point, null, 2)}\n`);
        return;
      }
      const declared = new Set([...detailed.ctx.descDecls.values()].map((k) => k.name));
      const rel = relative(process.cwd(), root);
      const shown = rel === '' ? '.' : rel.startsWith('..') ? root : rel;
      process.stdout.write(renderStatus(point, spec, declared, shown, progress));
    });
}

function renderStatus(point: ProgressPoint, spec: Spec, declared: ReadonlySet<string>, root: string, plan?: PlanProgress): string {
  const rows: string[][] = [['kind', 'descriptor', 'remaining', 'converted', 'done', 'stage 2']];
  for (const k of spec.kinds) {
    const p = point.kinds[k.name]!;
    const desc = k.descriptor ? `${k.descriptor.class}${declared.has(k.name) ? '' : ' (not declared)'}` : '-';
    // Stage 2 from the code: separated (own storage) or an overlay on the page's words.
    const s2 = point.stage2?.[k.name];
    rows.push([k.name, desc, String(p.remaining), String(p.converted), `${p.percent.toFixed(1)}%`, s2 === 'separated' ? 'separated' : s2 === 'overlay' ? 'overlay' : '-']);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const numeric = [false, false, true, true, true, false];
  const table = rows.map((r) => r.map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd());
  const out = [
    `memdesc status: ${root} (spec ${spec.name}, ${point.files} files)`,
    '',
    ...table,
    '',
    `unknown: ${point.unknown}  residue: ${point.residue}`,
  ];
  if (plan) {
    const count = (s: string) => plan.patches.filter((p) => p.state === s).length;
    out.push('', `plan: ${plan.title} (v${plan.version}): ${count('done')} done, ${count('not done')} not done, ${count('not applicable')} not applicable`);
    const w = String(plan.patches.length).length;
    const sw = Math.max(...plan.patches.map((p) => p.state.length));
    for (const p of plan.patches) out.push(`  ${String(p.number).padStart(w)}  ${p.state.padEnd(sw)}  ${p.subject}`, `  ${' '.repeat(w)}  ${' '.repeat(sw)}  ${p.reason}`);
  }
  return `${out.join('\n')}\n`;
}
