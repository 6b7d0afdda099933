/**
 * `memdesc start` (what `npm start` runs): the whole pipeline on the bundled corpus.
 *  1. analyze: find and classify every raw struct page access;
 *  2. series: the conversion of every kind as a patch series, each patch type-checked and
 *     verified against the base, in a scratch repository `out/corpus` (base commit + branch
 *     memdesc/all; the bundled corpus is never written), patches and cover letter in `out/series`;
 *  3. track: every commit of that series measured, the cover letter's patches judged at the tip,
 *     and the HTML report `out/report.html`.
 * Prints a summary with timings, the status table at the tip against the base, and where the
 * files are. Exit 1 when a patch does not verify or the series stops short.
 */
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { CheckFailed, UsageError } from '../errors.ts';
import { BUNDLED_CORPUS } from '../paths.ts';
import { builtinSpec } from '../model/builtin.ts';
import type { PlanProgress, TrackReport } from '../model/progress.ts';
import type { Spec } from '../model/spec.ts';
import { parsePositive, parseSeeds, parseWorkloads } from '../verify/options.ts';
import { progressBar } from './progress-bar.ts';
import { writeAtomic } from './write-atomic.ts';

interface StartFlags {
  out?: string;
  seeds?: string;
  tipSeeds?: string;
  workloads?: string;
  jobs?: string;
}

const BRANCH = 'memdesc/all';

function secs(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** The parts of `out` that start owns; they are replaced on every run, nothing else is touched. */
export function startPaths(out: string): { series: string; cover: string; repo: string; html: string } {
  return { series: join(out, 'series'), cover: join(out, 'cover-letter.patch'), repo: join(out, 'corpus'), html: join(out, 'report.html') };
}

function prepareOut(out: string): ReturnType<typeof startPaths> {
  if (existsSync(out) && !statSync(out).isDirectory()) throw new UsageError(`--out ${out}: not a directory`);
  const p = startPaths(out);
  // out/corpus is a repository start made; anything else there is not ours to delete.
  if (existsSync(p.repo) && !(existsSync(join(p.repo, '.git')) && existsSync(join(p.repo, 'sim')))) {
    throw new UsageError(`${p.repo} exists and is not a corpus repository made by memdesc start: move it away or choose another --out`);
  }
  if (existsSync(p.series) && readdirSync(p.series).some((f) => !f.endsWith('.patch'))) {
    throw new UsageError(`${p.series} holds files other than patches: move them away or choose another --out`);
  }
  rmSync(p.repo, { recursive: true, force: true });
  return p;
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
    .description('the whole pipeline on the bundled corpus (npm start): analyze -> verified patch series (all kinds) -> track -> HTML report')
    .option('--out <dir>', 'where the results go: series/, corpus/ (the scratch repository), report.html (default: out)')
    .option('--seeds <seeds>', "each patch's verification: N (seeds 1..N), a..b or a list (default 2)")
    .option('--tip-seeds <seeds>', 'the last patch: every workload with these seeds (default 16)')
    .option('--workloads <list>', "each patch's verification: workloads (default mixed)")
    .option('--jobs <n>', 'parallel simulations (default: available cores)')
    .action(async (flags: StartFlags) => {
      const verify = {
        ...(flags.seeds !== undefined ? { seeds: parseSeeds(flags.seeds) } : {}),
        ...(flags.tipSeeds !== undefined ? { tipSeeds: parseSeeds(flags.tipSeeds) } : {}),
        ...(flags.workloads !== undefined ? { workloads: parseWorkloads(flags.workloads) } : {}),
        ...(flags.jobs !== undefined ? { jobs: parsePositive('jobs', flags.jobs) } : {}),
      };
      const out = resolve(flags.out ?? 'out');
      const show = (p: string): string => relative(process.cwd(), p) || '.';
      const paths = prepareOut(out);
      const spec = builtinSpec();
      const say = (s: string): void => void process.stdout.write(`${s}\n`);
      say(`memdesc start: analyze -> series -> track on ${show(BUNDLED_CORPUS)}`);
      const t0 = performance.now();

      const { analyzePath } = await import('../analyzers/analyze.ts');
      const a = analyzePath(BUNDLED_CORPUS, { spec });
      const t1 = performance.now();
      const kinds = Object.entries(a.summary.byKind)
        .map(([k, row]) => [k, Object.values(row).reduce((n, c) => n + c.remaining + c.converted, 0)] as const)
        .filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ');
      say(`  analyze ${secs(t1 - t0).padStart(8)}  ${a.summary.findings} raw accesses in ${a.summary.files} files (${kinds}); ${a.summary.unknown} unknown, ${a.summary.residue} residue, ${a.summary.wrappers} wrappers`);

      const bar = process.stderr.isTTY ? progressBar(process.stderr) : undefined;
      const { buildSeries } = await import('../series/series.ts');
      let s;
      try {
        s = await buildSeries({
          path: BUNDLED_CORPUS, spec, kinds: [], all: true, out: paths.series, coverLetter: paths.cover, force: true, scratchAt: paths.repo, verify,
          ...(bar ? { onStep: (d: number, n: number, what: string) => bar.update(d, n, `series: ${what}`) } : {}),
        });
      } finally {
        bar?.end();
      }
      const t2 = performance.now();
      const tipV = s.commits.at(-1)?.verification;
      const stepV = s.commits.length > 1 ? s.commits[0]!.verification : undefined;
      const describe = (v: typeof tipV): string => (v === undefined || typeof v === 'string' ? 'not verified' : `${v.workloads.length === 1 ? v.workloads[0] : `${v.workloads.length} workloads`} x ${v.seeds.length} seeds`);
      const bad = s.commits.filter((c) => typeof c.verification !== 'string' && !c.verification.ok);
      say(`  series  ${secs(t2 - t1).padStart(8)}  ${s.commits.length} patches on ${BRANCH}, each type-checked and ${bad.length === 0 ? 'verified identical to the base' : `verified: ${bad.length} DIFFERENT`} ` +
        `(${stepV ? `${describe(stepV)} each, ` : ''}the last ${describe(tipV)}); ${s.problems.length} steps carried by the next, ${s.empty.length} empty; tip ${s.tipEqualsOneShot ? 'equals' : 'DIFFERS from'} convert --all --write`);

      const [{ trackHistory }, { readPlanFile }, { planProgress }, { renderTrackHtml }] = await Promise.all([
        import('../track/track.ts'), import('../track/planImport.ts'), import('../track/planStatus.ts'), import('../track/html.ts'),
      ]);
      const tbar = process.stderr.isTTY ? progressBar(process.stderr) : undefined;
      let tr;
      try {
        tr = await trackHistory({
          spec, repo: paths.repo, range: BRANCH, cacheDir: false,
          ...(tbar ? { onProgress: (d: number, n: number, c: { subject: string }) => tbar.update(d, n, `track: ${c.subject}`) } : {}),
        });
      } finally {
        tbar?.end();
      }
      const report = tr.report;
      const plan = readPlanFile(paths.cover);
      report.plan = planProgress(plan, tr.newestFacts(), spec);
      writeAtomic(paths.html, renderTrackHtml(report), 'the HTML report');
      const t3 = performance.now();
      say(`  track   ${secs(t3 - t2).padStart(8)}  ${report.points.length} commits (base + ${report.points.length - 1}), ${report.cache.analyzedFiles} file analyses, ${report.cache.reusedFiles} reused; plan of ${plan.patches.length} patches read back from the cover letter`);
      say(`  total   ${secs(t3 - t0).padStart(8)}`);
      say('');
      say(`status at the tip of ${BRANCH} (${show(paths.repo)}) against the base:`);
      say('');
      process.stdout.write(renderStartStatus(report, spec, report.plan));
      say('');
      say('files:');
      const files: Array<[string, string]> = [
        [show(paths.cover), "the cover letter: shortlog, diffstat, each patch's verification"],
        [`${show(paths.series)}/`, `${s.commits.length} patches: git am ${show(paths.series)}/*.patch on a git copy of ${show(BUNDLED_CORPUS)} gives the tip`],
        [`${show(paths.repo)}/`, `the scratch repository: the base commit and branch ${BRANCH}`],
        [show(paths.html), 'the progress report (burndown per kind, status, residue, plan)'],
      ];
      const w = Math.max(...files.map(([f]) => f.length));
      for (const [f, what] of files) say(`  ${f.padEnd(w)}  ${what}`);
      if (!s.complete) throw new CheckFailed('the series stops short: a step up to the one-shot result does not type-check or verify');
      if (bad.length > 0) throw new CheckFailed(`${bad[0]!.subject}: does not verify`);
    });
}
