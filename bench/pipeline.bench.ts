/**
 * The pipeline's figures, as child processes with a cold cache (a fresh MEMDESC_CACHE_DIR, as on
 * a fresh clone), wall time, against this run's `tsc --noEmit` of the corpus (anchor.ts):
 *
 *   - series per patch: `memdesc series KINDS COPY --out OUT` on a copy of the corpus (a scratch
 *     repository; KINDS from MEMDESC_BENCH_SERIES_KINDS, default ptdesc: about 15 patches), wall
 *     time ÷ patches. Every patch is type-checked and verified as in `npm start` (mixed × 2
 *     seeds); the tip runs every workload × 1 seed instead of 16, so that one short series does
 *     not weigh the tip's full run (the verify figure) over a dozen patches instead of 114.
 *   - `npm start` (opt-in: MEMDESC_BENCH_START=1, it takes minutes): `node bin/memdesc.mjs start
 *     --out TMP` (what `npm start` runs), the whole process ÷ tsc; its own series line gives the
 *     series per patch of the full run (the tip's full run included), recorded as a second row;
 *     and track (cold and warm, against one cold analysis) on the series history it made, the
 *     issue's track figure (track.bench.ts measures its own 100-commit history in any case).
 *
 * `npm run bench -- pipeline` runs only this section (and the anchor and summary).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { anchor, record, vsTsc } from './anchor.ts';
import { seriesRows } from './track.bench.ts';

const ROOT = join(import.meta.dirname, '..');
const CORPUS = join(ROOT, 'corpus');
const BIN = join(ROOT, 'bin', 'memdesc.mjs');
const AUTHOR = 'memdesc bench <bench@memdesc.invalid>';
const PER_PATCH_TARGET_S = 0.35;
const START_TARGET = 20;

interface Child {
  wallMs: number;
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], cwd: string, cacheDir: string): Child {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', maxBuffer: 1 << 28, env: { ...process.env, MEMDESC_CACHE_DIR: cacheDir } });
  return { wallMs: Number(process.hrtime.bigint() - t0) / 1e6, status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

const sec = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

function perPatchTarget(): string {
  return `≤ ${PER_PATCH_TARGET_S} s/patch (${(PER_PATCH_TARGET_S * 1000 / anchor().tsc.wallMs).toFixed(3)}× tsc here)`;
}

/** A short series on a copy of the corpus: wall ÷ patches. */
function shortSeries(tmp: string): string[] {
  const kinds = (process.env.MEMDESC_BENCH_SERIES_KINDS ?? 'ptdesc').split(/[\s,]+/).filter(Boolean);
  const copy = join(tmp, 'corpus');
  cpSync(CORPUS, copy, { recursive: true });
  const r = run(['series', ...kinds, copy, '--out', join(tmp, 'series'), '--tip-seeds', '1', '--author', AUTHOR, '--json'], tmp, join(tmp, 'cache'));
  if (r.status !== 0) throw new Error(`memdesc series ${kinds.join(' ')}: exit ${r.status}\n${r.stderr.slice(-2000)}`);
  const s = JSON.parse(r.stdout) as { commits: Array<{ verification: { ok: boolean } | string }>; timings: Record<string, number>; complete: boolean };
  const n = s.commits.length;
  const per = r.wallMs / n;
  const bad = s.commits.filter((c) => typeof c.verification === 'string' || !c.verification.ok).length;
  record({
    section: 'pipeline', figure: `series per patch (short series: ${kinds.join(' ')}, ${n} patches, tip every workload × 1 seed)`,
    measured: `${(per / 1000).toFixed(2)} s/patch = ${vsTsc(per).ratio.toFixed(3)}× tsc`, target: perPatchTarget(), ok: per / 1000 <= PER_PATCH_TARGET_S,
  });
  const t = s.timings;
  return [`| \`memdesc series ${kinds.join(' ')}\` on a corpus copy, --tip-seeds 1 | ${n} | ${sec(r.wallMs)} | ${(per / 1000).toFixed(2)} s | ${vsTsc(r.wallMs).text} | ` +
    `plan ${sec(t.plan ?? 0)}, steps ${sec(t.steps ?? 0)}, verify ${sec(t.verify ?? 0)}, commit ${sec(t.commit ?? 0)}; ${s.complete ? 'complete' : 'INCOMPLETE'}${bad ? `, ${bad} not verified identical` : ''} |`];
}

/** The whole `npm start` (opt-in). */
function wholeStart(tmp: string): string[] {
  const r = run(['start', '--out', join(tmp, 'out'), '--author', AUTHOR], tmp, join(tmp, 'cache'));
  if (r.status !== 0) throw new Error(`memdesc start: exit ${r.status}\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`);
  const m = /^ {2}series\s+([\d.]+) s\s+(\d+) patches/m.exec(r.stdout);
  const v = vsTsc(r.wallMs);
  record({ section: 'pipeline', figure: '`npm start`, cold cache, ÷ one `tsc --noEmit` of the corpus', measured: `${v.ratio.toFixed(1)}× tsc (${sec(r.wallMs)})`, target: `≤ ${START_TARGET}×`, ok: v.ratio <= START_TARGET });
  // Start's own CPU line (memdesc and its child processes per phase): the run is bound by its cores.
  const cpu = /^ {2}cpu\s+(.*)$/m.exec(r.stdout)?.[1];
  const rows = [`| \`npm start\` (node bin/memdesc.mjs start, cold cache) | ${m ? m[2] : '?'} | ${sec(r.wallMs)} | | ${v.ratio.toFixed(1)}× tsc | ${[...r.stdout.matchAll(/^ {2}(analyze|series|track|total)\s+([\d.]+ s)/gm)].map((x) => `${x[1]} ${x[2]}`).join(', ')}${cpu ? `; CPU: ${cpu}` : ''} |`];
  if (m) {
    const per = (Number(m[1]) * 1000) / Number(m[2]);
    record({
      section: 'pipeline', figure: `series per patch (npm start's series: ${m[2]} patches, the tip's full run included)`,
      measured: `${(per / 1000).toFixed(2)} s/patch = ${vsTsc(per).ratio.toFixed(3)}× tsc`, target: perPatchTarget(), ok: per / 1000 <= PER_PATCH_TARGET_S,
    });
  }
  startLog = r.stdout;
  // The issue's track figure is on this history: the series start just made (base + every patch).
  trackLog = seriesRows(join(tmp, 'out', 'corpus'));
  return rows;
}

/** What the measured `memdesc start` printed (its summary and status table), shown under the table. */
let startLog: string | undefined;
/** track (cold, warm) on that series' history, as the track section measures its own. */
let trackLog: string[] | undefined;

export function pipelineBenches(): string {
  anchor();
  const tmp = mkdtempSync(join(tmpdir(), 'memdesc-bench-pipeline-'));
  try {
    const rows = shortSeries(join(mkdtempSync(join(tmp, 's-'))));
    const start = process.env.MEMDESC_BENCH_START === '1';
    if (start) rows.push(...wholeStart(mkdtempSync(join(tmp, 'start-'))));
    return ['## pipeline: series and npm start', '',
      'Child processes with a cold cache (fresh MEMDESC_CACHE_DIR), wall time, against this run\'s tsc (anchor). ' +
      'A short series spreads its fixed costs (planning the one-shot conversion, building and running the base) over its own few patches, not 114: ' +
      'its per-patch figure is an upper bound of the full series\'. ' +
      (start ? '' : '`npm start` itself is opt-in: MEMDESC_BENCH_START=1 (minutes). '), '',
      '| run | patches | wall | per patch | ÷ tsc | phases |', '|---|---:|---:|---:|---:|---|', ...rows,
      ...(trackLog ? ['', '### track on the series `npm start` made', '', ...trackLog] : []),
      ...(startLog ? ['', 'What that `memdesc start` printed:', '', '```', startLog.trimEnd(), '```'] : [])].join('\n');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) process.stdout.write(`${pipelineBenches()}\n`);
