/**
 * Function-entry coverage of simulation runs: one workload x seed runs in its own process with
 * NODE_V8_COVERAGE set (V8's precise coverage: every function's call count), and the functions
 * with a non-zero count are mapped onto the bundle's functions (coverageMap.ts). The base's
 * coverage is cached per bundle content and run settings in the user's cache
 * (`userCacheDir('coverage')`), so a series records it once.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { userCacheDir } from '../paths.ts';
import { executedFunctions, type BundleMap, type V8Function } from './coverageMap.ts';
import { DEFAULT_TIMEOUT_MS, type RunOutcome, type SeedResult } from './run.ts';

/** Bumped when function identities or the recording change, so old cache entries are not reused. */
const COVERAGE_FORMAT = 'memdesc-coverage/2';

/** What one pair runs with (the series' step plan, for one workload). */
export interface PairSettings {
  workload: string;
  seed: number;
  ops?: number;
  ram?: string;
  tracepoints?: boolean;
  timeoutMs?: number;
}

export interface CoveredRun {
  outcome: RunOutcome;
  /** Identities of the functions the run entered; undefined when the run left no coverage (killed, crashed early). */
  executed?: Set<string>;
}

function simArgs(p: PairSettings): string[] {
  const a = ['--workload', p.workload, '--seeds', String(p.seed), '--json'];
  if (p.ram !== undefined) a.push('--ram', p.ram);
  if (p.ops !== undefined) a.push('--ops', String(p.ops));
  if (p.tracepoints === false) a.push('--no-tracepoints');
  return a;
}

/** What a crashed process said: the error line and a little of its stack. */
function crashText(stderr: string): string {
  const lines = stderr.trimEnd().split('\n');
  const i = lines.findIndex((l) => /^\w*(Error|Bug|Exception)\b/.test(l.trim()) || /^Uncaught/.test(l));
  return (i >= 0 ? lines.slice(i, i + 8) : lines.slice(-12)).join('\n');
}

/** The bundle's functions in the V8 coverage files of one process. */
function readCoverage(dir: string, bundle: string): V8Function[] | undefined {
  const url = pathToFileURL(bundle).href;
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  } catch {
    return undefined;
  }
  for (const f of files) {
    try {
      const j = JSON.parse(readFileSync(join(dir, f), 'utf8')) as { result?: Array<{ url: string; functions: V8Function[] }> };
      const s = j.result?.find((r) => r.url === url);
      if (s) return s.functions;
    } catch {
      // a file cut short by a killed process: no coverage from it
    }
  }
  return undefined;
}

/** Run one workload x seed of a built tree in its own process, recording which functions it entered. */
export function runCovered(bundle: string, map: BundleMap, p: PairSettings): Promise<CoveredRun> {
  const timeout = p.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const dir = mkdtempSync(join(tmpdir(), 'memdesc-v8cov-'));
  const t0 = performance.now();
  return new Promise<CoveredRun>((resolvePromise, reject) => {
    const child = spawn(process.execPath, [bundle, ...simArgs(p)], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_V8_COVERAGE: dir } });
    let out = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeout);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (c: string) => {
      if (stderr.length < 1 << 20) stderr += c;
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const ms = performance.now() - t0;
      const v8 = timedOut ? undefined : readCoverage(dir, bundle);
      rmSync(dir, { recursive: true, force: true });
      const executed = v8 ? executedFunctions(map, v8) : undefined;
      const done = (outcome: RunOutcome): void => resolvePromise({ outcome, ...(executed ? { executed } : {}) });
      if (timedOut) return done({ seed: p.seed, status: 'timeout', detail: `killed after ${(timeout / 1000).toFixed(1)} s without finishing`, exitCode: null, ms });
      const line = out.split('\n').find((l) => l.startsWith('{'));
      let result: SeedResult | undefined;
      try {
        result = line ? (JSON.parse(line) as SeedResult) : undefined;
      } catch {
        result = undefined;
      }
      if (!result || result.seed !== p.seed) {
        return done({ seed: p.seed, status: code === 2 ? 'error' : 'crash', detail: (code === 2 ? stderr.trimEnd().split('\n').pop() : crashText(stderr)) || `exit code ${code}`, exitCode: code, ms });
      }
      done({ seed: p.seed, status: result.bug ? 'bug' : 'ok', result, ms });
    });
  });
}

/** Recorded coverage of a tree's pairs: `workload:seed` -> executed function identities. */
export type CoverageTable = Map<string, Set<string>>;

export function pairKey(workload: string, seed: number): string {
  return `${workload}:${seed}`;
}

/** The cache file of one bundle under one run setting (ops, RAM, tracepoints per workload). */
function cacheFile(buildKey: string, settings: unknown): string {
  const key = createHash('sha256').update(`${COVERAGE_FORMAT}\0${buildKey}\0${JSON.stringify(settings)}`).digest('hex');
  return join(userCacheDir('coverage'), `${key}.json`);
}

/** The recorded coverage of a build (by its content key) under `settings`, or what of it there is. */
export function loadCoverage(buildKey: string, settings: unknown): CoverageTable {
  try {
    const j = JSON.parse(readFileSync(cacheFile(buildKey, settings), 'utf8')) as { format?: string; pairs?: Record<string, string[]> };
    if (j.format !== COVERAGE_FORMAT || !j.pairs) return new Map();
    return new Map(Object.entries(j.pairs).map(([k, v]) => [k, new Set(v)]));
  } catch {
    return new Map();
  }
}

/** Store coverage (written to a temporary name and renamed; a cache that cannot be written is no error). */
export function saveCoverage(buildKey: string, settings: unknown, table: CoverageTable): void {
  const file = cacheFile(buildKey, settings);
  try {
    mkdirSync(userCacheDir('coverage'), { recursive: true });
    const tmp = `${file}.tmp-${process.pid}`;
    writeFileSync(tmp, JSON.stringify({ format: COVERAGE_FORMAT, pairs: Object.fromEntries([...table].map(([k, v]) => [k, [...v].sort()])) }));
    renameSync(tmp, file);
  } catch {
    // the next series records it again
  }
}
