/**
 * `memdesc track [repo] [--range A..B] [--path SUBDIR] [--spec FILE] [--json] [--html FILE] [--plan FILE] [--no-cache]`:
 * each kind's conversion progress at every commit of a git history (first parent, oldest
 * first), analyzed without checkout and re-analyzing only what changed; a commit without a
 * usable project is a gap with its reason, and the repository is never written to (the cache
 * is in the user's cache folder; a cache that cannot be used is one warning). Prints a table (or the
 * TrackReport JSON), writes an HTML report, and with --plan each planned patch's state at the
 * newest commit. A progress bar goes to stderr when stderr is a terminal.
 */
import type { Command } from 'commander';
import { PROJECT_SPEC } from '../model/projectSpec.ts';
import type { ProgressPoint, TrackReport } from '../model/progress.ts';
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

/** The kinds separated at a point (stage 2, read from the code), in spec order. */
export function separatedKinds(p: ProgressPoint): string[] {
  return Object.entries(p.stage2 ?? {}).filter(([, s]) => s === 'separated').map(([k]) => k);
}

/**
 * Columns: short sha, subject, then per kind `remaining/converted pct`, unknown, residue, and,
 * once any commit has a kind separated, `stage 2`: the kinds separated there. A gap (a commit
 * without numbers) has its reason in place of the counts.
 */
export function renderTrackTable(report: TrackReport): string {
  const stage2 = report.points.some((p) => separatedKinds(p).length > 0);
  const head = ['commit', 'subject', ...report.kinds, 'unknown', 'residue', ...(stage2 ? ['stage 2'] : [])];
  const short = (p: ProgressPoint): string[] => [p.commit.slice(0, 7), p.subject.length > 40 ? `${p.subject.slice(0, 39)}…` : p.subject];
  const rows = report.points.filter((p) => p.gap === undefined).map((p) => [
    ...short(p),
    ...report.kinds.map((k) => {
      const c = p.kinds[k];
      return c ? `${c.remaining}/${c.converted} ${c.percent}%` : '-';
    }),
    String(p.unknown),
    String(p.residue),
    ...(stage2 ? [separatedKinds(p).join(',') || '-'] : []),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]): string => r.map((c, i) => (i < 2 || (stage2 && i === r.length - 1) ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  const gapLine = (p: ProgressPoint): string => `${short(p).map((c, i) => c.padEnd(widths[i]!)).join('  ')}  gap: ${p.gap}`;
  const gaps = report.points.filter((p) => p.gap !== undefined).length;
  const newest = [...report.points].reverse().find((p) => p.gap === undefined);
  const out = [
    `memdesc track: ${report.repo}${report.path ? ` (${report.path})` : ''}, spec ${report.spec}, ${report.points.length} commits`,
    '',
    line(head),
    ...report.points.map((p) => (p.gap === undefined ? line(rows.shift()!) : gapLine(p))),
    `cells: remaining raw accesses/converted accesses, percent done${stage2 ? '; stage 2: the kinds allocated separately (read from the code)' : ''}${gaps ? `; ${gaps} commit${gaps === 1 ? '' : 's'} without numbers (gap: why)` : ''}`,
    '',
    `files analyzed: ${report.cache.analyzedFiles}, reused from the cache: ${report.cache.reusedFiles}`,
  ];
  if (report.plan) {
    const at = newest && newest !== report.points[report.points.length - 1] ? `at ${newest.commit.slice(0, 7)}, the newest commit with numbers` : 'at the newest commit';
    out.push('', `plan: ${report.plan.title} (v${report.plan.version}) ${at}`);
    for (const p of report.plan.patches) out.push(`  [${p.number}] ${p.state.padEnd(14)} ${p.subject} — ${p.reason}`);
  }
  return `${out.join('\n')}\n`;
}

export function registerTrack(program: Command): void {
  program
    .command('track')
    .description('conversion progress per kind at every commit of a git history, and the kinds separated there (stage 2, read from the code); re-analyzes only what changed')
    .argument('[repo]', 'a directory inside the git repository (default: the current directory)')
    .option('--range <range>', 'commits to walk, as git log takes them (A..B); default: all of HEAD\'s first-parent history')
    .option('--path <dir>', 'the TypeScript project (holding tsconfig.json) inside each commit, from the top level (default: the nearest directory with a tsconfig.json from [repo] up)')
    .option('--spec <file>', `spec JSON for another codebase or extra kinds ("extends": "builtin"); default: the project's ${PROJECT_SPEC} in the work tree, else the built-in Linux spec`)
    .option('--json', 'print the TrackReport JSON instead of the table')
    .option('--html <file>', 'also write a self-contained HTML report to FILE')
    .option('--plan <file>', 'a series cover letter (anything plan import reads: a file, folder or archive): each planned patch\'s state at the newest commit')
    .option('--no-cache', 'do not read or write the on-disk cache (in $MEMDESC_CACHE_DIR/track, else $XDG_CACHE_HOME/memdesc/track, else ~/.cache/memdesc/track; never in the repository)')
    .action(async (repo: string | undefined, flags: TrackFlags) => {
      // The library code loads only when this command runs (dist/: a chunk of its own), not for --help.
      const { resolveSpec } = await import('../model/builtin.ts');
      // Without --spec, the walk takes the project's memdesc.spec.json once it has found the project.
      const spec = flags.spec !== undefined ? resolveSpec(flags.spec) : undefined;
      const [{ trackHistory }, { readPlanFileWithNotes }] = await Promise.all([import('../track/track.ts'), import('../track/planImport.ts')]);
      // Read the plan before the walk so a bad file fails fast.
      const imported = flags.plan ? readPlanFileWithNotes(flags.plan) : undefined;
      for (const note of imported?.notes ?? []) process.stderr.write(`memdesc: --plan: ${note}\n`);
      const plan = imported?.plan;
      const bar = process.stderr.isTTY ? progressBar(process.stderr) : undefined;
      let result;
      try {
        result = await trackHistory({
          ...(spec ? { spec } : {}),
          ...(repo ? { repo } : {}),
          ...(flags.range ? { range: flags.range } : {}),
          ...(flags.path ? { path: flags.path } : {}),
          ...(flags.cache === false ? { cacheDir: false as const } : {}),
          // Plan status reads the newest commit's program; without --plan a measured tree is read back.
          facts: !!plan,
          ...(bar ? { onProgress: (done: number, total: number, c: { commit: string; subject: string }) => bar.update(done, total, `${c.commit.slice(0, 7)} ${c.subject}`) } : {}),
        });
      } finally {
        bar?.end();
      }
      // The results are right either way; the user only learns why a second run is not faster.
      if (result.cacheWarning) process.stderr.write(`memdesc: warning: ${result.cacheWarning}\n`);
      const report = result.report;
      if (plan) {
        const { planProgress } = await import('../track/planStatus.ts');
        report.plan = planProgress(plan, result.newestFacts(), result.spec);
      }
      if (flags.html) {
        const [{ renderTrackHtml }, { specWords }] = await Promise.all([import('../track/html.ts'), import('../model/words.ts')]);
        writeAtomic(flags.html, renderTrackHtml(report, { object: specWords(result.spec).object }), 'the HTML report');
      }
      process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : renderTrackTable(report));
    });
}
