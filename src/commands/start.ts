/**
 * `memdesc start` (what `npm start` runs): flags, the identity note, progress bars and printing
 * around runPipeline (src/pipeline/start.ts), which does the work: analyze -> verified series of
 * every kind (then stage 2) in a scratch repository -> track -> HTML report -> metadata. Prints a
 * summary with timings, the status table at the tip against the base, stage 2's kinds, the
 * metadata table, and where the files are. Exit 1 when a patch does not
 * verify or the series stops short.
 */
import { relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { CheckFailed } from '../errors.ts';
import type { PlanProgress, TrackReport } from '../model/progress.ts';
import type { Spec } from '../model/spec.ts';
import { BRANCH, DEMO_IDENTITY } from '../pipeline/names.ts';
import { parsePositive, parseSeeds, parseWorkloads } from '../verify/options.ts';
import { progressBar } from './progress-bar.ts';

// Where they lived before the pipeline moved into the library; tests and callers import them from here too.
export { DEMO_IDENTITY } from '../pipeline/names.ts';
export { prepareOut, startPaths } from '../pipeline/out.ts';

interface StartFlags {
  out?: string;
  author?: string;
  signoff?: boolean;
  seeds?: string;
  tipSeeds?: string;
  workloads?: string;
  jobs?: string;
  verifyAll?: boolean;
}

function secs(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Per kind: descriptor, raw accesses at the base and at the tip, converted at the tip, % done. */
export function renderStartStatus(report: TrackReport, spec: Spec, plan?: PlanProgress): string {
  const base = report.points[0]!;
  const tip = report.points[report.points.length - 1]!;
  const rows: string[][] = [['kind', 'descriptor', 'raw at base', 'raw at tip', 'converted', 'done']];
  for (const k of spec.kinds) {
    const b = base.kinds[k.name]!;
    const t = tip.kinds[k.name]!;
    rows.push([k.name, k.descriptor?.class ?? '-', String(b.remaining), String(t.remaining), String(t.converted), `${t.percent.toFixed(1)}%`]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const table = rows.map((r) => r.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd());
  const lines = [...table, '', `unknown: ${base.unknown} at the base, ${tip.unknown} at the tip; residue: ${base.residue} at the base, ${tip.residue} at the tip`];
  if (plan) {
    const count = (s: string): number => plan.patches.filter((p) => p.state === s).length;
    lines.push(`the series' own cover letter as a plan, at the tip: ${count('done')} done, ${count('not done')} not done, ${count('not applicable')} not applicable of ${plan.patches.length}`);
    for (const p of plan.patches.filter((x) => x.state === 'not done')) lines.push(`  not done: [${p.number}] ${p.subject} — ${p.reason}`);
  }
  return `${lines.join('\n')}\n`;
}

export function registerStart(program: Command): void {
  program
    .command('start')
    .description('the whole pipeline on a corpus tree (npm start: the bundled corpus): analyze -> verified patch series (all kinds, then stage 2: separate the kinds whose audit is clean, shrink) -> track -> HTML report -> metadata table (base vs tip)')
    .argument('[path]', 'the corpus tree to run on (read, never written; default: the bundled corpus)')
    .option('--out <dir>', 'where the results go: series/, corpus/ (the scratch repository), report.html (default: out)')
    .option('--seeds <seeds>', "each patch's verification: N (seeds 1..N), a..b or a list (default 2)")
    .option('--tip-seeds <seeds>', 'the last patch: every workload with these seeds (default 16)')
    .option('--workloads <list>', "each patch's verification: workloads (default mixed)")
    .option('--jobs <n>', 'parallel simulations (default: available cores)')
    .option('--verify-all', "run every patch's whole verification plan (default: only the runs that execute a function the patch changed, by coverage recorded on the base)")
    .option('--author <ident>', `author and committer of the demo series, "Name <email>" (default: your git identity; with none configured, "${DEMO_IDENTITY.name} <${DEMO_IDENTITY.email}>" and a note)`)
    .option('--no-signoff', 'leave out the Signed-off-by: trailer of every patch')
    .addHelpText('after', `
DIR's corpus/, series/, cover-letter.patch and report.html are replaced on every run, but only
when memdesc can prove start made them (their .memdesc-output.json markers); anything else
there is refused before any work. Nothing else in DIR is touched.`)
    .action(async (path: string | undefined, flags: StartFlags) => {
      // The pipeline loads only when this command runs (dist/: chunks of its own), not for --help.
      const [{ parsePerson, formatPerson }, { runPipeline, resolveCorpus }, { undoOnInterrupt, testInterrupt }] = await Promise.all([
        import('../series/identity.ts'), import('../pipeline/start.ts'), import('./series.ts'),
      ]);
      const corpus = path === undefined ? undefined : resolveCorpus(path);
      const verify = {
        ...(flags.seeds !== undefined ? { seeds: parseSeeds(flags.seeds) } : {}),
        ...(flags.tipSeeds !== undefined ? { tipSeeds: parseSeeds(flags.tipSeeds) } : {}),
        ...(flags.workloads !== undefined ? { workloads: parseWorkloads(flags.workloads) } : {}),
        ...(flags.jobs !== undefined ? { jobs: parsePositive('jobs', flags.jobs) } : {}),
        ...(flags.verifyAll ? { all: true } : {}),
      };
      const show = (p: string): string => relative(process.cwd(), p) || '.';
      const author = flags.author !== undefined ? parsePerson(flags.author) : undefined;
      const say = (s: string): void => void process.stdout.write(`${s}\n`);
      let bar: ReturnType<typeof progressBar> | undefined;
      let tbar: ReturnType<typeof progressBar> | undefined;
      const hooks = testInterrupt();
      let r;
      try {
        r = await runPipeline({
          ...(corpus !== undefined ? { corpus } : {}),
          out: resolve(flags.out ?? 'out'), verify, signoff: flags.signoff !== false,
          ...(author ? { author } : {}),
          onStart: ({ corpus: c, identity }) => {
            if (identity.source === 'fallback') {
              process.stderr.write(`memdesc: note: git has no user.name/user.email here, so the demo series is by ${formatPerson(identity.author)} (set yours with git config --global, or pass --author)\n`);
            }
            say(`memdesc start: analyze -> series -> track on ${show(c)}`);
          },
          onPhase: (e) => {
            if (e.phase === 'analyze') {
              const a = e.analysis;
              const kinds = Object.entries(a.summary.byKind)
                .map(([k, row]) => [k, Object.values(row).reduce((n, c) => n + c.remaining + c.converted, 0)] as const)
                .filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ');
              say(`  analyze ${secs(e.ms).padStart(8)}  ${a.summary.findings} raw accesses in ${a.summary.files} files (${kinds}); ${a.summary.unknown} unknown, ${a.summary.residue} residue, ${a.summary.wrappers} wrappers`);
              bar = process.stderr.isTTY ? progressBar(process.stderr) : undefined;
            } else if (e.phase === 'series') {
              bar?.end();
              bar = undefined;
              const s = e.series;
              const tipV = s.commits.at(-1)?.verification;
              const stepV = s.commits.length > 1 ? s.commits[0]!.verification : undefined;
              const describe = (v: typeof tipV): string => (v === undefined || typeof v === 'string' ? 'not verified' : 'kind' in v ? v.oracle : `${v.workloads.length === 1 ? v.workloads[0] : `${v.workloads.length} workloads`} x ${v.seeds.length} seeds`);
              const bad = s.commits.filter((c) => typeof c.verification !== 'string' && !c.verification.ok);
              say(`  series  ${secs(e.ms).padStart(8)}  ${s.commits.length} patches on ${BRANCH}, each type-checked and ${bad.length === 0 ? 'verified identical to the base' : `verified: ${bad.length} DIFFERENT`} ` +
                `(${stepV ? `${describe(stepV)} each, ` : ''}the last ${describe(tipV)}); ${s.problems.length} steps carried by the next, ${s.empty.length} empty; tip ${s.tipEqualsOneShot ? 'equals' : 'DIFFERS from'} convert --all --write${s.commits.some((c) => c.stage === 2) ? ' then separate and shrink' : ''}`);
              // Coverage selection: how many of the planned runs the patches before the tip needed.
              const sel = s.commits.map((c) => (typeof c.verification === 'string' || 'kind' in c.verification ? undefined : c.verification.selection)).filter((x) => x !== undefined);
              if (sel.length) say(`                    coverage chose ${sel.reduce((n, x) => n + x.ran.length, 0)} of ${sel.reduce((n, x) => n + x.of, 0)} planned runs for the ${sel.length} patches before the tip (--verify-all runs them all)`);
              tbar = process.stderr.isTTY ? progressBar(process.stderr) : undefined;
            } else if (e.phase === 'track') {
              tbar?.end();
              tbar = undefined;
            }
          },
          // The progress bar's step callback wins over the test hook's, as it always did on a terminal.
          ...(hooks.onStep ? { onSeriesStep: hooks.onStep } : {}),
          ...(hooks.onCommit ? { onSeriesCommit: hooks.onCommit } : {}),
          ...(process.stderr.isTTY ? { onSeriesStep: (d: number, n: number, what: string) => bar?.update(d, n, `series: ${what}`) } : {}),
          onTrackCommit: (d, n, c) => tbar?.update(d, n, `track: ${c.subject}`),
          guardSeries: undoOnInterrupt,
        });
      } finally {
        bar?.end();
        tbar?.end();
      }
      const { paths, series: s, report, coverPlan: plan, timings } = r;
      say(`  track   ${secs(timings.trackMs).padStart(8)}  ${report.points.length} commits (base + ${report.points.length - 1}), ${report.cache.analyzedFiles} file analyses, ${report.cache.reusedFiles} reused; plan of ${plan.patches.length} patches read back from the cover letter`);
      if (r.metadata.length) say(`  metadata ${secs(timings.metadataMs).padStart(7)}  mixed at ${r.metadata.map((m) => m.ram).join(' and ')}, base and tip`);
      say(`  total   ${secs(timings.totalMs).padStart(8)}`);
      // CPU beside wall: the run is bound by its cores (the simulations are child processes).
      const cpu = (c: { selfMs: number; childrenMs?: number }): string => `${secs(c.selfMs)} memdesc${c.childrenMs !== undefined ? ` + ${secs(c.childrenMs)} child processes` : ''}`;
      say(`  cpu       series ${cpu(r.cpu.series)}; track ${cpu(r.cpu.track)}; metadata ${cpu(r.cpu.metadata)}; total ${cpu(r.cpu.total)}`);
      const s2 = s.stage2;
      if (s2 && !s2.none) {
        say('');
        say(`stage 2: ${s2.separated.length ? `separated ${s2.separated.join(', ')}` : 'no kind separated'}${s2.shrunkTo !== undefined ? `; struct page shrunk to ${s2.shrunkTo} bytes` : ''}` +
          `${s2.blocked.length ? `; not separated (audit blockers): ${s2.blocked.map((b) => `${b.kind} ${b.blockers}`).join(', ')} (memdesc audit KIND lists them)` : ''}`);
        for (const p of s2.problems) say(`  ${p.what}: ${p.reason}`);
      }
      if (r.metadata.length) {
        const { renderMetadata } = await import('../pipeline/metadata.ts');
        say('');
        process.stdout.write(`${renderMetadata(r.metadata)}\n`);
      }
      say('');
      say(`status at the tip of ${BRANCH} (${show(paths.repo)}) against the base:`);
      say('');
      process.stdout.write(renderStartStatus(report, r.spec, report.plan));
      say('');
      say('files:');
      const files: Array<[string, string]> = [
        [show(paths.cover), "the cover letter: shortlog, diffstat, each patch's verification"],
        [`${show(paths.series)}/`, `${s.commits.length} patches: git am ${show(paths.series)}/*.patch on a git copy of ${show(r.corpus)} gives the tip`],
        [`${show(paths.repo)}/`, `the scratch repository: the base commit and branch ${BRANCH}`],
        [show(paths.html), 'the progress report (burndown per kind, status, residue, plan)'],
      ];
      const w = Math.max(...files.map(([f]) => f.length));
      for (const [f, what] of files) say(`  ${f.padEnd(w)}  ${what}`);
      if (r.failure) throw new CheckFailed(r.failure);
    });
}
