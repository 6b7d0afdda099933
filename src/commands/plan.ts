/**
 * `memdesc plan import FILE [--json]`: read a series cover letter (git format-patch / mbox,
 * a patchwork page or a web-archive page saved as text) and print the planned patches.
 */
import type { Command } from 'commander';
import type { SeriesPlan } from '../model/progress.ts';
import { readPlanFile } from '../track/planImport.ts';

export function registerPlan(program: Command): void {
  const plan = program.command('plan').description('import a patch series plan from its cover letter');
  plan
    .command('import')
    .description('read a series cover letter (mbox, patchwork page or web-archive page saved as text)')
    .argument('<file>', 'the cover letter')
    .option('--json', 'print { title, version, author, patches: [{ number, subject }] }')
    .action((file: string, flags: { json?: boolean }) => {
      const p = readPlanFile(file);
      process.stdout.write(flags.json ? `${JSON.stringify(toJson(p), null, 2)}\n` : renderPlan(p));
    });
}

/** Exactly the documented keys, in order, whatever else a SeriesPlan may grow. */
function toJson(p: SeriesPlan): SeriesPlan {
  return { title: p.title, version: p.version, author: p.author, patches: p.patches.map((x) => ({ number: x.number, subject: x.subject })) };
}

function renderPlan(p: SeriesPlan): string {
  const width = String(p.patches.length).length;
  const lines = [
    `title:   ${p.title}`,
    `version: ${p.version}`,
    `author:  ${p.author}`,
    `patches: ${p.patches.length}`,
    '',
    ...p.patches.map((x) => `${String(x.number).padStart(width)}/${p.patches.length} ${x.subject}`),
  ];
  return `${lines.join('\n')}\n`;
}
