/**
 * The yardstick of `npm run bench`: a `tsc --noEmit` of the corpus (TypeScript 6, the type-checker
 * every TypeScript project already runs), measured once per bench run, and `tsgo --noEmit`
 * (@typescript/native-preview, the native TypeScript 7 preview) beside it. Every figure of issue
 * 15's targets table is recorded here by the section that measures it, as a ratio to that same
 * run's tsc, and printed at the end as one summary table (figure | measured | target | ok).
 * Ratios, not seconds, are what compare across machines and machine load.
 */
import { join } from 'node:path';
import { median, timed, type Run } from './analyze.bench.ts';

const ROOT = join(import.meta.dirname, '..');
const CORPUS = join(ROOT, 'corpus');
const TSC = join(ROOT, 'node_modules', '.bin', 'tsc');
const TSGO = join(ROOT, 'node_modules', '.bin', 'tsgo');

export interface Anchor {
  tsc: Run;
  tsgo?: Run;
  tsgoVersion?: string;
  reps: number;
}

let cached: Anchor | undefined;

/** tsc and tsgo --noEmit of the corpus, interleaved (both see the same load), median wall of MEMDESC_BENCH_REPS (default 3). */
export function anchor(): Anchor {
  if (cached) return cached;
  const reps = Number(process.env.MEMDESC_BENCH_REPS ?? 3);
  const tscRuns: Run[] = [];
  const tsgoRuns: Run[] = [];
  const version = timed(TSGO, ['--version']);
  const hasTsgo = version.status === 0;
  timed(TSC, ['--noEmit', '-p', CORPUS]); // warm the file cache
  for (let i = 0; i < reps; i++) {
    const t = timed(TSC, ['--noEmit', '-p', CORPUS]);
    if (t.status !== 0) throw new Error(`tsc --noEmit -p corpus: exit ${t.status}\n${t.stdout.slice(0, 2000)}`);
    tscRuns.push(t);
    if (hasTsgo) {
      const g = timed(TSGO, ['--noEmit', '-p', CORPUS]);
      if (g.status !== 0) throw new Error(`tsgo --noEmit -p corpus: exit ${g.status}\n${g.stdout.slice(0, 2000)}`);
      tsgoRuns.push(g);
    }
  }
  cached = {
    tsc: median(tscRuns), reps,
    ...(hasTsgo ? { tsgo: median(tsgoRuns), tsgoVersion: version.stdout.trim().replace(/^Version\s+/, '') } : {}),
  };
  return cached;
}

export interface Figure {
  /** The row of the targets table. */
  figure: string;
  /** What was measured, as text (the ratio first). */
  measured: string;
  target: string;
  ok: boolean;
  /** Which section measured it. */
  section: string;
}

const figures: Figure[] = [];

export function record(f: Figure): void {
  figures.push(f);
}

const sec = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

/** `ms` as a ratio to this run's tsc (wall): "0.42× tsc (1.53 s)". */
export function vsTsc(ms: number): { ratio: number; text: string } {
  const ratio = ms / anchor().tsc.wallMs;
  return { ratio, text: `${ratio.toFixed(2)}× tsc (${sec(ms)})` };
}

/** The anchor section: tsc and tsgo of the corpus. */
export function anchorSection(): string {
  const a = anchor();
  const rows = [
    `| \`tsc --noEmit -p corpus\` (TypeScript 6) | ${sec(a.tsc.wallMs)} | ${sec(a.tsc.cpuMs)} | 1.00× |`,
    a.tsgo ? `| \`tsgo --noEmit -p corpus\` (${a.tsgoVersion}) | ${sec(a.tsgo.wallMs)} | ${sec(a.tsgo.cpuMs)} | ${(a.tsgo.wallMs / a.tsc.wallMs).toFixed(2)}× |`
      : '| `tsgo --noEmit` | not installed (`npm install`: @typescript/native-preview) | | |',
  ];
  return ['## anchor: type-checking the corpus', '',
    `Wall seconds, median of ${a.reps} interleaved runs (CPU user+sys beside). Every figure of the summary is a ratio to this tsc.`, '',
    '| command | wall | CPU | ÷ tsc |', '|---|---:|---:|---:|', ...rows].join('\n');
}

/** The closing table: every figure recorded in this run, the tsgo anchor row, and the figures whose section did not run. */
export function summarySection(): string {
  const a = anchor();
  const lines = ['## summary: issue 15 targets, as ratios to this run\'s `tsc --noEmit` of the corpus', '',
    `tsc --noEmit of the corpus: ${sec(a.tsc.wallMs)} wall (median of ${a.reps}).`, '',
    '| figure | measured | target | ok |', '|---|---|---|---|'];
  if (a.tsgo) lines.push(`| \`tsgo --noEmit\` of the corpus (anchor) | ${vsTsc(a.tsgo.wallMs).text} | (reference: what a user's type-check will soon cost) | |`);
  for (const f of figures) lines.push(`| ${f.figure} | ${f.measured} | ${f.target} | ${f.ok ? 'ok' : 'MISSED'} |`);
  const expected: Array<[string, string]> = [
    ['`npm start`', 'pipeline (MEMDESC_BENCH_START=1)'], ['series per patch', 'pipeline'], ['`memdesc analyze`', 'analyzer'],
    ['`memdesc --help`', 'startup'], ['track', 'track'], ['verify', 'verifier'],
  ];
  for (const [name, section] of expected) {
    if (!figures.some((f) => f.figure.startsWith(name))) lines.push(`| ${name} | not measured in this run (section: ${section}) | | |`);
  }
  return lines.join('\n');
}

/** Any figure missed (npm run bench exits 1 then, as for the speed limits). */
export function anyMissed(): boolean {
  return figures.some((f) => !f.ok);
}
