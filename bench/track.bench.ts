/**
 * `memdesc track` on a 100-commit history of the corpus, against one cold analysis.
 *
 * History (built once under .cache/memdesc/bench/track-history, reused while the corpus is the
 * same): the corpus as commit 1, then CONVERT_STEPS commits each converting one more function
 * (`memdesc convert --all DIR --only FUNCTION --write`; about 5 s a step, so not all 99), then
 * small edits to individual corpus files (a comment line in one file per commit, files in
 * turn) up to 100 commits. What the tracker pays for depends on which files a commit touches
 * and what imports them, not on how the edit was made.
 *
 * Measured in child processes (CPU time of the work only, module loading excluded):
 * one cold analysis of the newest commit's checkout; track over the 100 commits with an empty
 * disk cache (cold) and again (warm; every commit is then one read of its point), and warm as
 * `--plan` runs it (the newest commit's program parsed and its plan facts read).
 * Also checks that the tracker's newest point equals the fresh analysis, and the HTML report's
 * size. The cold walk's CPU per measured commit by phase is printed under each table
 * (MEMDESC_BENCH_TRACK_WHY=1 adds why files were re-analyzed, at a cost in CPU). Targets (issue 15): track cold <= 3x one analysis, warm <= 1.2x (naive re-analysis of every
 * commit is ~100x). Each row prints the 1-minute load average when it ended. With MEMDESC_BENCH_SERIES=DIR, the same rows for a real
 * patch series (see seriesRows). Not part of `npm test`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { createHash } from 'node:crypto';
import { BUNDLED_CORPUS, PACKAGE_ROOT, RUN_TS } from '../src/paths.ts';
import { anchor, record } from './anchor.ts';
import { applyV8Flags } from '../src/v8Flags.ts';

const COMMITS = 100;
const CONVERT_STEPS = 20;
const MEMDESC = join(PACKAGE_ROOT, 'bin', 'memdesc.mjs');
const GIT_ENV = { ...process.env, GIT_AUTHOR_NAME: 'bench', GIT_AUTHOR_EMAIL: 'bench@memdesc', GIT_COMMITTER_NAME: 'bench', GIT_COMMITTER_EMAIL: 'bench@memdesc' };

function corpusHash(): string {
  const h = createHash('sha1');
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else h.update(`${relative(BUNDLED_CORPUS, p)}\0`).update(readFileSync(p));
    }
  };
  walk(BUNDLED_CORPUS);
  h.update(`${CONVERT_STEPS}/${COMMITS}`);
  return h.digest('hex').slice(0, 12);
}

function git(repo: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd: repo, encoding: 'utf8', env: GIT_ENV });
}

/** Functions with raw findings in the corpus, in file order: the conversion steps. */
function functionsToConvert(repo: string): string[] {
  const out = execFileSync(process.execPath, [MEMDESC, 'analyze', repo, '--json'], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const r = JSON.parse(out) as { findings: Array<{ function?: string; converted: boolean; kind: string }> };
  return [...new Set(r.findings.filter((f) => f.function && !f.converted && f.kind !== 'unknown').map((f) => f.function!))];
}

function buildHistory(): string {
  const repo = join(PACKAGE_ROOT, '.cache', 'memdesc', 'bench', `track-history-${corpusHash()}`);
  if (existsSync(join(repo, '.done'))) return repo;
  rmSync(repo, { recursive: true, force: true });
  mkdirSync(repo, { recursive: true });
  cpSync(BUNDLED_CORPUS, repo, { recursive: true });
  // The corpus's tsconfig wants @types/node: the package's node_modules, never committed.
  symlinkSync(join(PACKAGE_ROOT, 'node_modules'), join(repo, 'node_modules'));
  writeFileSync(join(repo, '.gitignore'), 'node_modules\n.cache/\n.done\n');
  git(repo, 'init', '-q');
  git(repo, 'add', '-A');
  git(repo, 'commit', '-qm', 'corpus');
  let commits = 1;
  for (const fn of functionsToConvert(repo)) {
    if (commits >= 1 + CONVERT_STEPS) break;
    const r = spawnSync(process.execPath, [MEMDESC, 'convert', '--all', repo, '--only', fn, '--write'], { encoding: 'utf8' });
    if (r.status !== 0 || git(repo, 'status', '--porcelain').trim() === '') continue;
    git(repo, 'add', '-A');
    git(repo, 'commit', '-qm', `mm: Convert ${fn}() to use memory descriptors`);
    commits++;
  }
  const files = execFileSync('git', ['ls-files', '*.ts'], { cwd: repo, encoding: 'utf8' }).split('\n').filter(Boolean).sort();
  for (let i = 0; commits < COMMITS; i++, commits++) {
    const f = files[(i * 7) % files.length]!;
    appendFileSync(join(repo, f), `// bench edit ${i}\n`);
    git(repo, 'commit', '-qam', `${f}: edit ${i}`);
  }
  writeFileSync(join(repo, '.done'), '');
  return repo;
}

interface ChildOut {
  cpuMs: number;
  point?: unknown;
  analyzedFiles?: number;
  reusedFiles?: number;
  /** Commits read whole from the cache (their tree measured before). */
  pointHits?: number;
  htmlBytes?: number;
  commits?: number;
  /** CPU ms per phase of the measured commits (CacheStats.phaseMs), and how many analysis runs. */
  phaseMs?: Record<string, number>;
  analysisRuns?: number;
  /** With MEMDESC_BENCH_TRACK_WHY: files re-analyzed by cause, and the dependencies most often changed. */
  why?: { causes: Record<string, number>; deps: Record<string, number> };
}

/** Child mode: do one measured job and print its figures as JSON. */
async function child(mode: string, repo: string, cacheDir: string): Promise<void> {
  const { resolveSpec } = await import('../src/model/builtin.ts');
  const { progressPoint } = await import('../src/track/progress.ts');
  const spec = resolveSpec(undefined);
  if (mode === 'analyze') {
    const { loadProgram } = await import('../src/analyzers/project.ts');
    const { analyzeProgram } = await import('../src/analyzers/analyze.ts');
    const c0 = process.cpuUsage();
    const { program, root } = loadProgram(repo);
    const r = analyzeProgram(program, root, { spec });
    const c = process.cpuUsage(c0);
    const p = progressPoint(r, spec, { commit: '', subject: '', date: '' });
    process.stdout.write(JSON.stringify({ cpuMs: (c.user + c.system) / 1000, point: { kinds: p.kinds, unknown: p.unknown, residue: p.residue } }));
    return;
  }
  const { trackHistory } = await import('../src/track/track.ts');
  const c0 = process.cpuUsage();
  // As `memdesc track` runs without --plan ('track'), or with it ('plan': the newest commit's plan facts too).
  // MEMDESC_BENCH_TRACK_WHY=1: why each file was re-analyzed, counted (costs CPU: the figures are then not comparable).
  const why = process.env.MEMDESC_BENCH_TRACK_WHY && mode === 'track' ? { causes: {} as Record<string, number>, deps: {} as Record<string, number> } : undefined;
  const { report, stats, newestFacts } = await trackHistory({
    spec, repo, cacheDir, facts: mode === 'plan',
    ...(why ? {
      onReanalyze: (_c: unknown, files: Array<{ why: string; deps?: string[] }>) => {
        for (const f of files) {
          why.causes[f.why] = (why.causes[f.why] ?? 0) + 1;
          for (const d of f.deps ?? []) why.deps[d] = (why.deps[d] ?? 0) + 1;
        }
      },
    } : {}),
  });
  if (mode === 'plan') {
    const f = newestFacts();
    f.pageBytes?.();
  }
  const c = process.cpuUsage(c0);
  const last = report.points[report.points.length - 1]!;
  let htmlBytes: number | undefined;
  if (existsSync(join(PACKAGE_ROOT, 'src/track/html.ts'))) {
    const { renderTrackHtml } = await import('../src/track/html.ts');
    htmlBytes = Buffer.byteLength(renderTrackHtml(report));
  }
  process.stdout.write(JSON.stringify({
    cpuMs: (c.user + c.system) / 1000, point: { kinds: last.kinds, unknown: last.unknown, residue: last.residue },
    analyzedFiles: report.cache.analyzedFiles, reusedFiles: report.cache.reusedFiles, pointHits: stats.pointHits, htmlBytes, commits: report.points.length,
    phaseMs: stats.phaseMs, analysisRuns: stats.analysisRuns,
    ...(why ? { why: { causes: why.causes, deps: Object.fromEntries(Object.entries(why.deps).sort((a, b) => b[1] - a[1]).slice(0, 12)) } } : {}),
  }));
}

/** Where a cold walk's CPU went, per measured commit (commits read from a point entry are not measured). */
function split(o: ChildOut): string {
  if (!o.phaseMs || !o.commits) return '';
  const measured = o.commits - (o.pointHits ?? 0);
  if (measured <= 0) return '';
  const parts = Object.entries(o.phaseMs).map(([k, v]) => `${k} ${(v / measured).toFixed(0)}`);
  const why = o.why
    ? `; re-analyzed by cause: ${Object.entries(o.why.causes).map(([k, v]) => `${k} ${v}`).join(', ')}; changed dependencies most often: ${Object.entries(o.why.deps).map(([k, v]) => `${k} ${v}`).join(', ')}`
    : '';
  return `cold walk, CPU ms per measured commit (${measured}): ${parts.join(', ')}; ${o.analysisRuns ?? '?'} analysis runs for ${o.analyzedFiles ?? '?'} files${why}`;
}

/** The 1-minute load average, as the rows print it: CPU time on a busy machine is not a quiet machine's. */
function load(): string {
  return loadavg()[0]!.toFixed(1);
}

function run(mode: string, repo: string, cacheDir: string): ChildOut {
  const r = spawnSync(process.execPath, [RUN_TS, join(PACKAGE_ROOT, 'bench/track.bench.ts'), '--child', mode, repo, cacheDir], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`track bench child ${mode} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as ChildOut;
}

export function trackBenches(): string {
  const repo = buildHistory();
  // Outside the repository: track does not use a cache folder inside the tree it walks.
  const cacheDir = mkdtempSync(join(tmpdir(), 'memdesc-track-bench-'));
  const analyses = [run('analyze', repo, cacheDir), run('analyze', repo, cacheDir), run('analyze', repo, cacheDir)].sort((a, b) => a.cpuMs - b.cpuMs);
  const cold = analyses[1]!;
  const loads = [load()];
  const tCold = run('track', repo, cacheDir);
  loads.push(load());
  const tWarm = run('track', repo, cacheDir);
  loads.push(load());
  const tPlan = run('plan', repo, cacheDir);
  loads.push(load());
  rmSync(cacheDir, { recursive: true, force: true });
  const same = JSON.stringify(tCold.point) === JSON.stringify(cold.point) && JSON.stringify(tWarm.point) === JSON.stringify(cold.point);
  recordTrack(`${tCold.commits}-commit synthetic history`, cold, tCold, tWarm, tPlan);
  const lines = [
    '## track',
    '',
    `history: ${tCold.commits} commits of the corpus (${CONVERT_STEPS} conversion steps, then one-file edits); CPU time, module loading excluded`,
    '',
    '| run | CPU ms | files analyzed / reused | commits from the cache | vs one analysis | target | load |',
    '|---|---:|---:|---:|---:|---|---:|',
    `| one cold analysis (newest commit, median of 3) | ${cold.cpuMs.toFixed(0)} | | | 1.0× | | ${loads[0]} |`,
    `| track, ${tCold.commits} commits, cold disk cache | ${tCold.cpuMs.toFixed(0)} | ${tCold.analyzedFiles} / ${tCold.reusedFiles} | ${tCold.pointHits ?? ''} | ${(tCold.cpuMs / cold.cpuMs).toFixed(1)}× | ≤ 3× (naive: ${tCold.commits}×) | ${loads[1]} |`,
    `| track, ${tWarm.commits} commits, warm disk cache | ${tWarm.cpuMs.toFixed(0)} | ${tWarm.analyzedFiles} / ${tWarm.reusedFiles} | ${tWarm.pointHits ?? ''} | ${(tWarm.cpuMs / cold.cpuMs).toFixed(1)}× | ≤ 1.2× | ${loads[2]} |`,
    `| track --plan (newest commit's plan facts), warm | ${tPlan.cpuMs.toFixed(0)} | ${tPlan.analyzedFiles} / ${tPlan.reusedFiles} | ${tPlan.pointHits ?? ''} | ${(tPlan.cpuMs / cold.cpuMs).toFixed(1)}× | ≤ 1.2× | ${loads[3]} |`,
    '',
    `newest point equals the fresh analysis: ${same ? 'yes' : 'NO'}`,
    split(tCold),
  ];
  if (tCold.htmlBytes !== undefined) lines.push(`HTML report (renderTrackHtml) for ${tCold.commits} commits: ${tCold.htmlBytes.toLocaleString('en-US')} bytes`);
  const series = process.env.MEMDESC_BENCH_SERIES;
  if (series) lines.push('', ...seriesRows(series));
  return lines.join('\n');
}

/**
 * Optional second history (MEMDESC_BENCH_SERIES=DIR): a real patch series, e.g. the scratch
 * repository of `memdesc series --all` (`out/corpus` after `npm start`), its work tree checked out
 * at HEAD, the tip tracked. Building one takes minutes, so the bench only measures one it is given;
 * the repository is only read (the track cache goes to a temporary directory).
 */
export function seriesRows(repo: string): string[] {
  const cacheDir = mkdtempSync(join(tmpdir(), 'memdesc-track-bench-'));
  try {
    const analyses = [run('analyze', repo, cacheDir), run('analyze', repo, cacheDir), run('analyze', repo, cacheDir)].sort((a, b) => a.cpuMs - b.cpuMs);
    const cold = analyses[1]!;
    const loads = [load()];
    const tCold = run('track', repo, cacheDir);
    loads.push(load());
    const tWarm = run('track', repo, cacheDir);
    loads.push(load());
    const tPlan = run('plan', repo, cacheDir);
    loads.push(load());
    const same = JSON.stringify(tCold.point) === JSON.stringify(cold.point) && JSON.stringify(tWarm.point) === JSON.stringify(cold.point);
    recordTrack(`${tCold.commits}-commit series history`, cold, tCold, tWarm, tPlan);
    return [
      `patch series ${repo}: ${tCold.commits} commits`,
      '',
      '| run | CPU ms | files analyzed / reused | commits from the cache | vs one analysis | load |',
      '|---|---:|---:|---:|---:|---:|',
      `| one cold analysis (HEAD, median of 3) | ${cold.cpuMs.toFixed(0)} | | | 1.0× | ${loads[0]} |`,
      `| track, ${tCold.commits} commits, cold disk cache | ${tCold.cpuMs.toFixed(0)} | ${tCold.analyzedFiles} / ${tCold.reusedFiles} | ${tCold.pointHits ?? ''} | ${(tCold.cpuMs / cold.cpuMs).toFixed(1)}× | ${loads[1]} |`,
      `| track, ${tWarm.commits} commits, warm disk cache | ${tWarm.cpuMs.toFixed(0)} | ${tWarm.analyzedFiles} / ${tWarm.reusedFiles} | ${tWarm.pointHits ?? ''} | ${(tWarm.cpuMs / cold.cpuMs).toFixed(1)}× | ${loads[2]} |`,
      `| track --plan (newest commit's plan facts), warm | ${tPlan.cpuMs.toFixed(0)} | ${tPlan.analyzedFiles} / ${tPlan.reusedFiles} | ${tPlan.pointHits ?? ''} | ${(tPlan.cpuMs / cold.cpuMs).toFixed(1)}× | ${loads[3]} |`,
      '',
      `newest point equals the fresh analysis: ${same ? 'yes' : 'NO'}`,
      split(tCold),
    ];
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
}

/** Issue 15: track cold ÷ one cold analysis ≤ 3×, warm ≤ 1.2×, with --plan too (CPU of the work; and cold ÷ the anchor tsc's CPU). */
function recordTrack(history: string, analysis: ChildOut, cold: ChildOut, warm: ChildOut, plan: ChildOut): void {
  const c = cold.cpuMs / analysis.cpuMs;
  const w = warm.cpuMs / analysis.cpuMs;
  const p = plan.cpuMs / analysis.cpuMs;
  record({
    section: 'track', figure: `track, ${history}, cold ÷ one cold analysis / warm / warm --plan (CPU)`,
    measured: `${c.toFixed(1)}× / ${w.toFixed(1)}× / ${p.toFixed(1)}× (cold ${(cold.cpuMs / 1000).toFixed(1)} s CPU = ${(cold.cpuMs / anchor().tsc.cpuMs).toFixed(1)}× tsc's CPU)`,
    target: '≤ 3× / ≤ 1.2× / ≤ 1.2×', ok: c <= 3 && w <= 1.2 && p <= 1.2,
  });
}

const i = process.argv.indexOf('--child');
if (i >= 0) {
  // The work as the CLI runs it: bin/memdesc.mjs sets memdesc's V8 flags before a command loads.
  applyV8Flags();
  await child(process.argv[i + 1]!, process.argv[i + 2]!, process.argv[i + 3]!);
}
