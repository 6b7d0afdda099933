/**
 * `memdesc plan import FILE [--json] [--version N]`: read a series cover letter (git format-patch
 * / mbox, a patchwork page, a web-archive or public-inbox thread page saved as text or HTML; in a
 * folder or gzip/tar/zip archive: planSources.ts) and print the
 * planned patches. Notes on choices made (which of several versions was taken) go to stderr.
 */
import type { Command } from 'commander';
import type { SeriesPlan } from '../model/progress.ts';
import { parsePositive } from '../verify/options.ts';

export function registerPlan(program: Command): void {
  const plan = program.command('plan').description('import a patch series plan from its cover letter');
  plan
    .command('import')
    .description('read a series cover letter (mbox in any charset, or a patchwork, web-archive or public-inbox thread saved from the browser as text or HTML)')
    .argument('<file>', 'the cover letter: a file, or a folder or gzip/tar/zip archive holding it with the rest of its thread')
    .option('--json', 'print { title, version, author, patches: [{ number, subject }] }')
    .option('--version <n>', 'when the file holds cover letters of several versions of the series, use version N (default: the newest, with a note on stderr)')
    .action(async (file: string, flags: { json?: boolean; version?: string }) => {
      const version = flags.version === undefined ? undefined : parsePositive('version', flags.version);
      // The mail and page decoders load only when this command runs (dist/: a chunk of their own), not for --help.
      const { readPlanFileWithNotes } = await import('../track/planImport.ts');
      const { plan: p, notes } = readPlanFileWithNotes(file, version === undefined ? {} : { version });
      for (const note of notes) process.stderr.write(`memdesc: plan import: ${note}\n`);
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
