/**
 * `memdesc track [repo] [--range A..B] [--path SUBDIR] [--spec FILE] [--json] [--html FILE] [--plan FILE]`:
 * each kind's conversion progress at every commit of a git history (first parent, oldest
 * first), analyzed without checkout and re-analyzing only what changed. Prints a table (or the
 * TrackReport JSON), writes an HTML report, and with --plan each planned patch's state at the
 * newest commit. A progress bar goes to stderr when stderr is a terminal.
 */
import type { Command } from 'commander';
import { resolveSpec } from '../model/builtin.ts';
import type { TrackReport } from '../model/progress.ts';
import { progressBar } from './progress-bar.ts';
import { writeAtomic } from './write-atomic.ts';

interface TrackFlags {
  range?: string;
  path?: string;
  spec?: string;
  json?: boolean;
  html?: string;
  plan?: string;
  cache?: boolean;
}

/** Columns: short sha, subject, then per kind `remaining/converted pct`, unknown, residue. */
export function renderTrackTable(report: TrackReport): string {
  const head = ['commit', 'subject', ...report.kinds, 'unknown', 'residue'];
  const rows = report.points.map((p) => [
    p.commit.slice(0, 7),
    p.subject.length > 40 ? `${p.subject.slice(0, 39)}…` : p.subject,
    ...report.kinds.map((k) => {
      const c = p.kinds[k]!;
      return `${c.remaining}/${c.converted} ${c.percent}%`;
    }),
    String(p.unknown),
    String(p.residue),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]): string => r.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  const out = [
    `memdesc track: ${report.repo}${report.path ? ` (${report.path})` : ''}, spec ${report.spec}, ${report.points.length} commits`,
    '',
    line(head),
    ...rows.map(line),
    'cells: remaining raw accesses/converted accesses, percent done',
    '',
    `files analyzed: ${report.cache.analyzedFiles}, reused from the cache: ${report.cache.reusedFiles}`,
  ];
  if (report.plan) {
    out.push('', `plan: ${report.plan.title} (v${report.plan.version}) at the newest commit`);
    for (const p of report.plan.patches) out.push(`  [${p.number}] ${p.state.padEnd(14)} ${p.subject} — ${p.reason}`);
  }
  return `${out.join('\n')}\n`;
}

export function registerTrack(program: Command): void {
  program
    .command('track')
    .description('conversion progress per kind at every commit of a git history (re-analyzes only what changed)')
    .argument('[repo]', 'a directory inside the git repository (default: the current directory)')
    .option('--range <range>', 'commits to walk, as git log takes them (A..B); default: all of HEAD\'s first-parent history')
    .option('--path <dir>', 'the TypeScript project (holding tsconfig.json) inside each commit (default: the top level)')
    .option('--spec <file>', 'spec JSON for another codebase or extra kinds ("extends": "builtin")')
    .option('--json', 'print the TrackReport JSON instead of the table')
    .option('--html <file>', 'also write a self-contained HTML report to FILE')
    .option('--plan <file>', 'a series cover letter: each planned patch\'s state at the newest commit')
    .option('--no-cache', 'do not read or write the on-disk cache (.cache/memdesc/track)')
    .action(async (repo: string | undefined, flags: TrackFlags) => {
      const spec = resolveSpec(flags.spec);
      const [{ trackHistory }, { readPlanFile }] = await Promise.all([import('../track/track.ts'), import('../track/planImport.ts')]);
      // Read the plan before the walk so a bad file fails fast.
      const plan = flags.plan ? readPlanFile(flags.plan) : undefined;
      const bar = process.stderr.isTTY ? progressBar(process.stderr) : undefined;
      let result;
      try {
        result = await trackHistory({
          spec,
          ...(repo ? { repo } : {}),
          ...(flags.range ? { range: flags.range } : {}),
          ...(flags.path ? { path: flags.path } : {}),
          ...(flags.cache === false ? { cacheDir: false as const } : {}),
          ...(bar ? { onProgress: (done: number, total: number, c: { commit: string; subject: string }) => bar.update(done, total, `${c.commit.slice(0, 7)} ${c.subject}`) } : {}),
        });
      } finally {
        bar?.end();
      }
      const report = result.report;
      if (plan) {
        const { planProgress } = await import('../track/planStatus.ts');
        report.plan = planProgress(plan, result.newestFacts(), spec);
      }
      if (flags.html) {
        const { renderTrackHtml } = await import('../track/html.ts');
        writeAtomic(flags.html, renderTrackHtml(report), 'the HTML report');
      }
      process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : renderTrackTable(report));
    });
}
