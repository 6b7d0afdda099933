/**
 * `memdesc start` (what `npm start` runs): the whole pipeline on a corpus tree (default: the bundled corpus).
 *  1. analyze: find and classify every raw struct page access;
 *  2. series: the conversion of every kind as a patch series, each patch type-checked and
 *     verified against the base, in a scratch repository `out/corpus` (base commit + branch
 *     memdesc/all; the bundled corpus is never written), patches and cover letter in `out/series`;
 *  3. track: every commit of that series measured, the cover letter's patches judged at the tip,
 *     and the HTML report `out/report.html`.
 * Prints a summary with timings, the status table at the tip against the base, and where the
 * files are. Exit 1 when a patch does not verify or the series stops short.
 *
 * DIR's four outputs are replaced only when memdesc can prove start made them (the scratch
 * repository's .git/.memdesc-output.json, series/'s marker, DIR's own marker for the two files);
 * anything else is refused before any work, and nothing else in DIR is touched.
 */
import { existsSync, lstatSync, rmSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { CheckFailed, UsageError } from '../errors.ts';
import type { Guarded } from '../series/ownedOut.ts';
import { BUNDLED_CORPUS } from '../paths.ts';
import { builtinSpec } from '../model/builtin.ts';
import type { PlanProgress, TrackReport } from '../model/progress.ts';
import type { Spec } from '../model/spec.ts';
import { parsePositive, parseSeeds, parseWorkloads } from '../verify/options.ts';
import { progressBar } from './progress-bar.ts';
import { writeAtomic } from './write-atomic.ts';

interface StartFlags {
  out?: string;
  author?: string;
  signoff?: boolean;
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

/** Who the demo series is by on a machine whose git has no identity (and no --author): labelled as such. */
export const DEMO_IDENTITY = { name: 'memdesc demo', email: 'no-identity@memdesc.invalid' };

const START_FILES = ['cover-letter.patch', 'report.html'];

/**
 * Check DIR before any work: not the corpus, its git work tree or git directory, nor holding
 * them; each of its outputs absent or provably start's (see the module comment). Then the old
 * scratch repository, proven again, is removed (a series needs a new directory for it).
 */
export async function prepareOut(out: string, guards: Guarded[]): Promise<ReturnType<typeof startPaths>> {
  const { guardedClash, outState, provenFile, readMarker } = await import('../series/ownedOut.ts');
  const { scratchForeign } = await import('../series/git.ts');
  const clash = guardedClash(out, guards);
  if (clash) throw new UsageError(`--out ${out} ${clash}: choose another directory for the results`);
  if (existsSync(out) && !statSync(out).isDirectory()) throw new UsageError(`--out ${out}: not a directory`);
  const refuse = (what: string, why: string): UsageError => new UsageError(`${what} ${why}: memdesc start replaces only what it made; move it away or choose another --out`);
  const m = existsSync(out) ? readMarker(out) : undefined;
  if (m && 'foreign' in m) throw refuse(out, m.foreign);
  if (m && m.purpose !== 'start') throw refuse(out, `holds the output of memdesc ${m.purpose}`);
  const p = startPaths(out);
  const repoWhy = scratchForeign(p.repo);
  if (repoWhy) throw refuse(p.repo, repoWhy);
  const series = outState(p.series, 'series');
  if (series.kind === 'foreign') throw refuse(p.series, series.why);
  for (const f of [p.cover, p.html]) {
    if (existsSync(f) || isLink(f)) {
      if (!provenFile(f, p.series)) throw refuse(f, 'exists and memdesc did not write it (or it was changed since)');
    }
  }
  if (existsSync(p.repo)) rmSync(p.repo, { recursive: true, force: true });
  return p;
}

function isLink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
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

/** A corpus tree given on the command line: a folder with a tsconfig and the simulation the series verifies with. */
function resolveCorpus(path: string): string {
  const abs = resolve(path);
  if (!existsSync(abs) || !statSync(abs).isDirectory()) throw new UsageError(`${path}: no such folder`);
  if (!existsSync(join(abs, 'tsconfig.json')) || !existsSync(join(abs, 'sim', 'main.ts'))) {
    throw new UsageError(`${path} is not a corpus tree (start needs tsconfig.json and sim/main.ts; for another project use analyze, convert and series)`);
  }
  return abs;
}

export function registerStart(program: Command): void {
  program
    .command('start')
    .description('the whole pipeline on a corpus tree (npm start: the bundled corpus): analyze -> verified patch series (all kinds) -> track -> HTML report')
    .argument('[path]', 'the corpus tree to run on (read, never written; default: the bundled corpus)')
    .option('--out <dir>', 'where the results go: series/, corpus/ (the scratch repository), report.html (default: out)')
    .option('--seeds <seeds>', "each patch's verification: N (seeds 1..N), a..b or a list (default 2)")
    .option('--tip-seeds <seeds>', 'the last patch: every workload with these seeds (default 16)')
    .option('--workloads <list>', "each patch's verification: workloads (default mixed)")
    .option('--jobs <n>', 'parallel simulations (default: available cores)')
    .option('--author <ident>', `author and committer of the demo series, "Name <email>" (default: your git identity; with none configured, "${DEMO_IDENTITY.name} <${DEMO_IDENTITY.email}>" and a note)`)
    .option('--no-signoff', 'leave out the Signed-off-by: trailer of every patch')
    .addHelpText('after', `
DIR's corpus/, series/, cover-letter.patch and report.html are replaced on every run, but only
when memdesc can prove start made them (their .memdesc-output.json markers); anything else
there is refused before any work. Nothing else in DIR is touched.`)
    .action(async (path: string | undefined, flags: StartFlags) => {
      const corpus = path === undefined ? BUNDLED_CORPUS : resolveCorpus(path);
      const verify = {
        ...(flags.seeds !== undefined ? { seeds: parseSeeds(flags.seeds) } : {}),
        ...(flags.tipSeeds !== undefined ? { tipSeeds: parseSeeds(flags.tipSeeds) } : {}),
        ...(flags.workloads !== undefined ? { workloads: parseWorkloads(flags.workloads) } : {}),
        ...(flags.jobs !== undefined ? { jobs: parsePositive('jobs', flags.jobs) } : {}),
      };
      const out = resolve(flags.out ?? 'out');
      const show = (p: string): string => relative(process.cwd(), p) || '.';
      const [{ parsePerson, resolveIdentity, formatPerson }, { projectGuards }] = await Promise.all([import('../series/identity.ts'), import('../series/git.ts')]);
      const author = flags.author !== undefined ? parsePerson(flags.author) : undefined;
      const identity = resolveIdentity(corpus, { ...(author ? { author } : {}), fallback: DEMO_IDENTITY });
      // The corpus is never written: DIR may not be inside it either.
      const paths = await prepareOut(out, projectGuards(corpus).map((g) => (g.path === corpus ? { ...g, whole: true } : g)));
      if (identity.source === 'fallback') {
        process.stderr.write(`memdesc: note: git has no user.name/user.email here, so the demo series is by ${formatPerson(identity.author)} (set yours with git config --global, or pass --author)\n`);
      }
      const spec = builtinSpec();
      const say = (s: string): void => void process.stdout.write(`${s}\n`);
      say(`memdesc start: analyze -> series -> track on ${show(corpus)}`);
      const t0 = performance.now();

      const { analyzePath } = await import('../analyzers/analyze.ts');
      const a = analyzePath(corpus, { spec });
      const t1 = performance.now();
      const kinds = Object.entries(a.summary.byKind)
        .map(([k, row]) => [k, Object.values(row).reduce((n, c) => n + c.remaining + c.converted, 0)] as const)
        .filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ');
      say(`  analyze ${secs(t1 - t0).padStart(8)}  ${a.summary.findings} raw accesses in ${a.summary.files} files (${kinds}); ${a.summary.unknown} unknown, ${a.summary.residue} residue, ${a.summary.wrappers} wrappers`);

      const bar = process.stderr.isTTY ? progressBar(process.stderr) : undefined;
      const { buildSeries } = await import('../series/series.ts');
      const { undoOnInterrupt, testInterrupt } = await import('./series.ts');
      let s;
      try {
        s = await undoOnInterrupt(() => buildSeries({
          path: corpus, spec, kinds: [], all: true, out: paths.series, coverLetter: paths.cover, force: true, scratchAt: paths.repo, verify,
          identity, signoff: flags.signoff !== false,
          ...testInterrupt(),
          ...(bar ? { onStep: (d: number, n: number, what: string) => bar.update(d, n, `series: ${what}`) } : {}),
        }));
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
      const { provenFile, writeMarker } = await import('../series/ownedOut.ts');
      // Checked again: the report is replaced only if it is still the one start wrote.
      if ((existsSync(paths.html) || isLink(paths.html)) && !provenFile(paths.html)) {
        throw new UsageError(`${paths.html} was written by someone else during the run: it is left as it is`);
      }
      writeAtomic(paths.html, renderTrackHtml(report), 'the HTML report');
      writeMarker(out, 'start', START_FILES.filter((f) => existsSync(join(out, f))));
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
        [`${show(paths.series)}/`, `${s.commits.length} patches: git am ${show(paths.series)}/*.patch on a git copy of ${show(corpus)} gives the tip`],
        [`${show(paths.repo)}/`, `the scratch repository: the base commit and branch ${BRANCH}`],
        [show(paths.html), 'the progress report (burndown per kind, status, residue, plan)'],
      ];
      const w = Math.max(...files.map(([f]) => f.length));
      for (const [f, what] of files) say(`  ${f.padEnd(w)}  ${what}`);
      if (!s.complete) throw new CheckFailed('the series stops short: a step up to the one-shot result does not type-check or verify');
      if (bad.length > 0) throw new CheckFailed(`${bad[0]!.subject}: does not verify`);
    });
}
