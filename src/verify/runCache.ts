/**
 * Results of simulation runs kept in the user's cache (`userCacheDir('runs')`), by everything
 * that fixes them: the bundle's content key (every file of the tree, esbuild's version and the
 * build options), the workload, the seed, the run's options (operations, RAM, tracepoints,
 * placement, checks) and Node's version. A run is deterministic (the simulation reads no clock,
 * no environment and no file: docs/verify.md), so the reference tree of a verification, which
 * rarely changes (the corpus, HEAD), runs once, and a verification repeated on the same trees
 * runs nothing again. Only finished runs are kept (ok, or a debug check that fired); a crash or a
 * timeout runs again. `MEMDESC_NO_RUN_CACHE=1` turns the cache off (nothing read or written).
 * One file per bundle and setting, holding its seeds; beyond MAX_FILES the least recently used
 * go. A cache that cannot be written is no error: the runs are simply made again next time.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { userCacheDir } from '../paths.ts';
import type { RunOutcome, SeedResult } from './run.ts';

/** Bumped when what a run prints, or how it is keyed, changes. */
const FORMAT = 'memdesc-runs/1';
const MAX_FILES = 1024;

/** What a batch of one workload runs with, besides its seeds. */
export interface RunSetting {
  workload: string;
  ops?: number;
  ram?: string;
  tracepoints?: boolean;
  placement?: string;
  check?: boolean;
  /**
   * Set for runs made as one fixed batch (a series step's seeds, `1,2`): their results are kept
   * apart from runs batched otherwise, so each is reused only in the context it was made in.
   */
  batch?: string;
}

export function runCacheEnabled(): boolean {
  return process.env.MEMDESC_NO_RUN_CACHE !== '1';
}

function fileOf(buildKey: string, s: RunSetting): string {
  const setting = { workload: s.workload, ops: s.ops ?? null, ram: s.ram ?? null, tracepoints: s.tracepoints ?? null, placement: s.placement ?? null, check: !!s.check, ...(s.batch !== undefined ? { batch: s.batch } : {}) };
  const key = createHash('sha256').update(`${FORMAT}\0${buildKey}\0${process.version}\0${JSON.stringify(setting)}`).digest('hex');
  return join(userCacheDir('runs'), `${key}.json`);
}

interface Stored {
  format: string;
  seeds: Record<string, { status: 'ok' | 'bug'; result: SeedResult }>;
}

function read(file: string): Stored | undefined {
  try {
    const j = JSON.parse(readFileSync(file, 'utf8')) as Stored;
    return j.format === FORMAT && j.seeds && typeof j.seeds === 'object' ? j : undefined;
  } catch {
    return undefined;
  }
}

/** The cached outcomes of `seeds` (those there are), marked `cached`, with no time of their own. */
export function cachedOutcomes(buildKey: string, s: RunSetting, seeds: readonly number[]): Map<number, RunOutcome> {
  const out = new Map<number, RunOutcome>();
  if (!runCacheEnabled()) return out;
  const file = fileOf(buildKey, s);
  const j = read(file);
  if (!j) return out;
  for (const seed of seeds) {
    const e = j.seeds[String(seed)];
    if (e && (e.status === 'ok' || e.status === 'bug') && e.result?.seed === seed && typeof e.result.digest === 'string') {
      out.set(seed, { seed, status: e.status, result: e.result, ms: 0, cached: true });
    }
  }
  if (out.size) {
    const now = new Date();
    try {
      utimesSync(file, now, now);
    } catch {
      // read-only cache: pruning sees it as older than it is
    }
  }
  return out;
}

/** Keep the finished outcomes (ok or bug) of a batch. */
export function storeOutcomes(buildKey: string, s: RunSetting, outcomes: readonly RunOutcome[]): void {
  if (!runCacheEnabled()) return;
  const keep = outcomes.filter((o) => (o.status === 'ok' || o.status === 'bug') && o.result && !o.cached);
  if (keep.length === 0) return;
  const dir = userCacheDir('runs');
  const file = fileOf(buildKey, s);
  try {
    mkdirSync(dir, { recursive: true });
    const j = read(file) ?? { format: FORMAT, seeds: {} };
    for (const o of keep) j.seeds[String(o.seed)] = { status: o.status as 'ok' | 'bug', result: o.result! };
    const tmp = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
    writeFileSync(tmp, JSON.stringify(j));
    renameSync(tmp, file);
    prune(dir);
  } catch {
    // the runs are made again next time
  }
}

/** Remove the least recently used files beyond `max` (only a cache's own `<sha256>.json`). */
export function prune(dir: string, max = MAX_FILES): void {
  const names = readdirSync(dir).filter((n) => /^[0-9a-f]{64}\.json$/.test(n));
  if (names.length <= max) return;
  const files = names.flatMap((n) => {
    try {
      return [{ p: join(dir, n), t: statSync(join(dir, n)).mtimeMs }];
    } catch {
      return [];
    }
  });
  files.sort((a, b) => a.t - b.t);
  for (const f of files.slice(0, files.length - max)) rmSync(f.p, { force: true });
}
