/**
 * The user's own oracle: a shell command (`--run "npm test"`) or a TypeScript entry bundled with
 * esbuild and run with node (`--entry main.ts -- ARGS`), run once in each tree; the exit codes
 * and the output are compared, and the first differing line is reported. The corpus simulation
 * (verify.ts) is the built-in, richer oracle (events, first divergence); this one knows nothing
 * of the program it runs. Library code: returns an OracleReport, throws UsageError/InputError.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError, UsageError } from '../errors.ts';
import { buildTree } from './build.ts';
import { resolveTree, type Tree, type TreeInput } from './revision.ts';

import type { OracleSpec } from '../model/spec.ts';

/** What a spec's "oracle" or verify's --run/--entry names. */
export type { OracleSpec };

/** How outputs are compared: every line, only the lines a regular expression matches, or parsed JSON (stdout). */
export type CompareMode = { kind: 'output' } | { kind: 'lines'; pattern: string; regex: RegExp } | { kind: 'json' };

/** A user's command may run a whole test suite: 10 minutes per side unless told otherwise. */
export const ORACLE_TIMEOUT_MS = 600_000;

export function parseCompare(text: string | undefined, what = '--compare'): CompareMode {
  if (text === undefined) return { kind: 'output' };
  if (text === 'json') return { kind: 'json' };
  if (text === '') throw new UsageError(`${what}: expected 'json' or a regular expression`);
  try {
    return { kind: 'lines', pattern: text, regex: new RegExp(text) };
  } catch (e) {
    throw new UsageError(`${what} ${text}: not a valid regular expression (${(e as Error).message})`);
  }
}

export function describeOracle(o: OracleSpec): string {
  return 'run' in o ? `\`${o.run}\`` : `node ${[o.entry, ...(o.args ?? [])].join(' ')} (bundled with esbuild)`;
}

export function describeCompare(c: CompareMode): string {
  return c.kind === 'output' ? 'exit code and output (stdout+stderr)' : c.kind === 'json' ? 'exit code and stdout as JSON' : `exit code and output lines matching /${c.pattern}/`;
}

export interface OracleRun {
  /** null when killed by a signal or the timeout. */
  exitCode: number | null;
  signal?: string;
  timedOut: boolean;
  /** The compared text (tree paths replaced by `<tree>`). */
  output: string;
  ms: number;
}

export interface RunOracleOptions {
  timeoutMs?: number;
  cacheDir?: string;
  /** stdout alone (--compare json) instead of stdout and stderr interleaved. */
  stdoutOnly?: boolean;
}

/**
 * Run the oracle in a tree once. Output goes to one file both streams share, so lines keep the
 * order the program wrote them in; the tree's own path is replaced by `<tree>` so that two trees
 * printing their paths (stack traces, test reporters) still compare.
 */
export async function runOracle(dir: string, oracle: OracleSpec, opts: RunOracleOptions = {}): Promise<OracleRun> {
  let command: string;
  let args: string[];
  let shell = false;
  if ('run' in oracle) {
    command = oracle.run;
    args = [];
    shell = true;
  } else {
    const build = await buildTree(dir, { entry: oracle.entry, ...(opts.cacheDir ? { cacheDir: opts.cacheDir } : {}) });
    command = process.execPath;
    args = [build.file, ...(oracle.args ?? [])];
  }
  const tmp = mkdtempSync(join(tmpdir(), 'memdesc-oracle-'));
  try {
    const outFile = join(tmp, 'out');
    const out = openSync(outFile, 'w');
    const err = opts.stdoutOnly ? openSync(join(tmp, 'err'), 'w') : out;
    const t0 = performance.now();
    const timeoutMs = opts.timeoutMs ?? ORACLE_TIMEOUT_MS;
    let result: { code: number | null; signal: NodeJS.Signals | null; timedOut: boolean };
    try {
      result = await new Promise((done, fail) => {
        // Its own process group, so a timeout ends the command's children too (npm test -> vitest).
        const child = spawn(command, args, { cwd: dir, shell, stdio: ['ignore', out, err], detached: true });
        let timedOut = false;
        const timer = setTimeout(() => {
          timedOut = true;
          try {
            process.kill(-child.pid!, 'SIGKILL');
          } catch {
            child.kill('SIGKILL');
          }
        }, timeoutMs);
        child.on('error', (e) => {
          clearTimeout(timer);
          fail(new InputError(`cannot start ${describeOracle(oracle)} in ${dir}: ${e.message}`));
        });
        child.on('close', (code, signal) => {
          clearTimeout(timer);
          done({ code, signal, timedOut });
        });
      });
    } finally {
      closeSync(out);
      if (err !== out) closeSync(err);
    }
    const raw = readFileSync(outFile, 'utf8');
    return {
      exitCode: result.timedOut ? null : result.code,
      ...(result.signal && !result.timedOut ? { signal: result.signal } : {}),
      timedOut: result.timedOut,
      output: raw.split(dir).join('<tree>'),
      ms: performance.now() - t0,
    };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

export interface LineDifference {
  /** 1-based line number in each side's compared text (JSON: the canonical pretty-printed form). */
  referenceLine?: number;
  candidateLine?: number;
  /** undefined: that side's output ended. */
  reference?: string;
  candidate?: string;
}

export interface OracleDifference {
  what: 'exit code' | 'timeout' | 'output' | 'json';
  detail: string;
  line?: LineDifference;
}

/** Lines to compare, each with its line number in the output. */
function comparedLines(text: string, mode: CompareMode): Array<{ n: number; text: string }> {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const out = lines.map((t, i) => ({ n: i + 1, text: t.replace(/\r$/, '') }));
  return mode.kind === 'lines' ? out.filter((l) => mode.regex.test(l.text)) : out;
}

/** Key-sorted, pretty-printed JSON: equal values give equal text, and a difference has a line. */
function canonicalJson(text: string): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sort((v as Record<string, unknown>)[k])]));
    return v;
  };
  return `${JSON.stringify(sort(JSON.parse(text)), null, 2)}\n`;
}

function exitText(r: OracleRun, timeoutMs: number): string {
  return r.timedOut ? `timed out after ${timeoutMs / 1000} s` : r.signal ? `killed by ${r.signal}` : `exit ${r.exitCode}`;
}

/** The first difference between two runs, or undefined when they agree. Throws InputError when the reference's output is not JSON under --compare json. */
export function compareRuns(cand: OracleRun, ref: OracleRun, mode: CompareMode, timeoutMs = ORACLE_TIMEOUT_MS): { difference?: OracleDifference; lines: number } {
  let refText = ref.output;
  let candText = cand.output;
  if (mode.kind === 'json') {
    try {
      refText = canonicalJson(ref.output);
    } catch (e) {
      throw new InputError(`--compare json: the reference's stdout is not JSON (${(e as Error).message})`);
    }
  }
  // A run that timed out gave no answer: never "identical", even when both sides time out.
  const exitDiff = cand.timedOut || ref.timedOut || cand.exitCode !== ref.exitCode || cand.signal !== ref.signal;
  let jsonProblem: string | undefined;
  if (mode.kind === 'json') {
    try {
      candText = canonicalJson(cand.output);
    } catch (e) {
      jsonProblem = `the candidate's stdout is not JSON (${(e as Error).message})`;
    }
  }
  const a = comparedLines(refText, mode);
  const b = comparedLines(candText, mode);
  let line: LineDifference | undefined;
  if (!jsonProblem) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      if (a[i]?.text !== b[i]?.text) {
        line = {
          ...(a[i] ? { referenceLine: a[i]!.n, reference: a[i]!.text } : {}),
          ...(b[i] ? { candidateLine: b[i]!.n, candidate: b[i]!.text } : {}),
        };
        break;
      }
    }
  }
  const lines = a.length;
  if (exitDiff) {
    const what = cand.timedOut || ref.timedOut ? 'timeout' : 'exit code';
    return { lines, difference: { what, detail: `reference ${exitText(ref, timeoutMs)}, candidate ${exitText(cand, timeoutMs)}`, ...(line ? { line } : {}) } };
  }
  if (jsonProblem) return { lines, difference: { what: 'json', detail: jsonProblem } };
  if (line) {
    const n = line.candidateLine ?? line.referenceLine!;
    return { lines, difference: { what: 'output', detail: `first differing line: ${n}`, line } };
  }
  return { lines };
}

export interface OracleSide {
  label: string;
  commit?: string;
  exitCode: number | null;
  signal?: string;
  timedOut: boolean;
  /** Lines of output (all of them, before --compare filtering). */
  outputLines: number;
  ms: number;
}

export interface OracleReport {
  ok: boolean;
  oracle: { kind: 'run'; command: string } | { kind: 'entry'; entry: string; args: string[] };
  compare: string;
  /** Each side runs once: a nondeterministic oracle is the user's concern. */
  runsPerSide: 1;
  /** Lines of the reference's output that were compared. */
  linesCompared: number;
  candidate: OracleSide;
  reference: OracleSide;
  difference?: OracleDifference;
  timeoutMs: number;
}

export interface OracleVerifyOptions {
  oracle: OracleSpec;
  compare?: CompareMode;
  timeoutMs?: number;
  cacheDir?: string;
  /** Where a bare git revision is looked up (default: the candidate tree's directory). */
  relativeTo?: string;
}

/** Check an oracle's shape before anything runs (both --run and --entry, an empty command). */
export function checkOracle(o: OracleSpec): void {
  if ('run' in o && 'entry' in o) throw new UsageError('an oracle is either a command (--run) or an entry (--entry), not both');
  if ('run' in o && !o.run.trim()) throw new UsageError('--run: empty command');
  if ('entry' in o && !o.entry.trim()) throw new UsageError('--entry: empty file name');
}

function side(t: Tree, r: OracleRun): OracleSide {
  const n = r.output === '' ? 0 : r.output.replace(/\n$/, '').split('\n').length;
  return { label: t.label, ...(t.commit ? { commit: t.commit } : {}), exitCode: r.exitCode, ...(r.signal ? { signal: r.signal } : {}), timedOut: r.timedOut, outputLines: n, ms: Math.round(r.ms) };
}

/** A shell that cannot find or execute the command exits 127 or 126. */
function cannotStart(r: OracleRun, o: OracleSpec): boolean {
  return 'run' in o && (r.exitCode === 127 || r.exitCode === 126);
}

/** Run the oracle in the reference tree; InputError when the command cannot start there (bad input, not a difference). */
export async function runReference(reference: Tree, oracle: OracleSpec, opts: RunOracleOptions): Promise<OracleRun> {
  const ref = await runOracle(reference.dir, oracle, opts);
  if (cannotStart(ref, oracle)) {
    const why = ref.output.trim().split('\n').at(-1) ?? '';
    throw new InputError(`cannot start ${describeOracle(oracle)} in ${reference.label}: exit ${ref.exitCode}${why ? ` (${why})` : ''}`);
  }
  return ref;
}

/** The compare mode and run options an oracle asks for (flags given to verify win). */
export function oracleSettings(oracle: OracleSpec, opts: { compare?: CompareMode; timeoutMs?: number; cacheDir?: string } = {}): { compare: CompareMode; timeoutMs: number; run: RunOracleOptions } {
  const compare = opts.compare ?? parseCompare(oracle.compare, 'oracle.compare');
  const timeoutMs = opts.timeoutMs ?? (oracle.timeout !== undefined ? oracle.timeout * 1000 : ORACLE_TIMEOUT_MS);
  return { compare, timeoutMs, run: { timeoutMs, stdoutOnly: compare.kind === 'json', ...(opts.cacheDir ? { cacheDir: opts.cacheDir } : {}) } };
}

/** Run the oracle in the reference, then in the candidate (one after the other: a test suite may not share its machine well), and compare. */
export async function runOracleOn(candidate: Tree, reference: Tree, opts: OracleVerifyOptions): Promise<OracleReport> {
  checkOracle(opts.oracle);
  const { compare, timeoutMs, run: runOpts } = oracleSettings(opts.oracle, opts);
  const ref = await runReference(reference, opts.oracle, runOpts);
  const cand = await runOracle(candidate.dir, opts.oracle, runOpts);
  const { difference, lines } = compareRuns(cand, ref, compare, timeoutMs);
  const o = opts.oracle;
  return {
    ok: difference === undefined,
    oracle: 'run' in o ? { kind: 'run', command: o.run } : { kind: 'entry', entry: o.entry, args: o.args ?? [] },
    compare: describeCompare(compare),
    runsPerSide: 1,
    linesCompared: lines,
    candidate: side(candidate, cand),
    reference: side(reference, ref),
    ...(difference ? { difference } : {}),
    timeoutMs,
  };
}

/** verify --run/--entry: resolve both trees (directories, git revisions, overlays), run, compare, clean up. */
export async function verifyWithOracle(candidate: TreeInput, reference: TreeInput, opts: OracleVerifyOptions): Promise<OracleReport> {
  checkOracle(opts.oracle);
  const base = typeof candidate === 'string' ? candidate : candidate.dir;
  // A candidate given as a revision: bare revisions are looked up from the current directory.
  const relativeTo = opts.relativeTo ?? (existsSync(base) ? base : process.cwd());
  const trees: Tree[] = [];
  try {
    const c = resolveTree(candidate, { relativeTo, anyTree: true });
    trees.push(c);
    const r = resolveTree(reference, { relativeTo, anyTree: true });
    trees.push(r);
    return await runOracleOn(c, r, opts);
  } finally {
    for (const t of trees) t.cleanup();
  }
}

export function renderOracleText(r: OracleReport): string {
  const what = r.oracle.kind === 'run' ? `\`${r.oracle.command}\`` : `node ${[r.oracle.entry, ...r.oracle.args].join(' ')}`;
  const lines = [
    `memdesc verify: ${r.candidate.label} against ${r.reference.label}`,
    `  oracle: ${what}, run once in each tree (a nondeterministic oracle is its own concern); compared: ${r.compare}`,
    `  reference: ${sideText(r.reference, r.timeoutMs)}`,
    `  candidate: ${sideText(r.candidate, r.timeoutMs)}`,
  ];
  const d = r.difference;
  if (!d) {
    lines.push(`  identical: ${r.linesCompared} line${r.linesCompared === 1 ? '' : 's'} compared`);
  } else {
    lines.push(`  DIFFERENT (${d.what}): ${d.detail}`);
    if (d.line) {
      lines.push(`    reference${d.line.referenceLine ? ` line ${d.line.referenceLine}` : ''}: ${d.line.reference ?? '(end of output)'}`);
      lines.push(`    candidate${d.line.candidateLine ? ` line ${d.line.candidateLine}` : ''}: ${d.line.candidate ?? '(end of output)'}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function sideText(s: OracleSide, timeoutMs: number): string {
  const end = s.timedOut ? `timed out after ${timeoutMs / 1000} s` : s.signal ? `killed by ${s.signal}` : `exit ${s.exitCode}`;
  return `${end}, ${s.outputLines} line${s.outputLines === 1 ? '' : 's'} of output, ${(s.ms / 1000).toFixed(1)} s`;
}

/** One line for convert and series: what ran and what it found. */
export function oracleVerdict(r: OracleReport): string {
  const what = r.oracle.kind === 'run' ? `\`${r.oracle.command}\`` : `node ${r.oracle.entry}`;
  if (r.ok) return `${what}: identical (exit ${r.reference.exitCode}, ${r.linesCompared} lines)`;
  const d = r.difference!;
  const at = d.line ? `; line ${d.line.candidateLine ?? d.line.referenceLine}: ${JSON.stringify(d.line.reference ?? '(end)')} -> ${JSON.stringify(d.line.candidate ?? '(end)')}` : '';
  return `${what}: DIFFERENT (${d.detail}${at})`;
}
