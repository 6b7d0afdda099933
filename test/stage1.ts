/**
 * One stage-1 corpus per test run: a copy of the bundled corpus converted by the CLI
 * (`memdesc convert --all DIR --write --json`), in a dotted folder (`stage1-5.10.y/corpus`) of the run's
 * own temp folder (MEMDESC_TEST_RUN_DIR, made and removed by test/globalSetup.ts). Several files
 * need that tree and the conversion costs seconds of CPU each time: the first caller in the run
 * builds it, under a lock, and every other caller (in any worker) waits for it. It is read-only:
 * tests take a copy (`copyOfStage1`) and work on that. What the CLI printed about the conversion
 * (its --json report: files, report, checks, diff) is kept beside it (`stage1Conversion`).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { ConvertReport } from '../src/rewrite/plan.ts';
import { dirname, join } from 'node:path';
import { BUNDLED_CORPUS, PACKAGE_ROOT } from '../src/paths.ts';

/** Where the shared tree lives below the run folder: its parent's name has a dot, as a user's `linux-5.10.y` would. */
export const STAGE1_REL = join('stage1-5.10.y', 'corpus');

interface Built { status: number; stderr: string }

function runDir(): string {
  const dir = process.env.MEMDESC_TEST_RUN_DIR;
  if (!dir) throw new Error('MEMDESC_TEST_RUN_DIR is not set: run the tests through vitest (test/globalSetup.ts sets it)');
  return dir;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function verdict(done: string, dir: string): string {
  const b = JSON.parse(readFileSync(done, 'utf8')) as Built;
  if (b.status !== 0) throw new Error(`the shared stage-1 corpus could not be made: convert --all --write exit ${b.status}\n${b.stderr}`);
  return dir;
}

/** The shared stage-1 tree (read-only): built by the first caller of the run, waited for by the rest. */
export async function stage1Corpus(): Promise<string> {
  const run = runDir();
  const dir = join(run, STAGE1_REL);
  const lock = join(run, 'stage1.lock');
  const done = join(run, 'stage1.done');
  if (existsSync(done)) return verdict(done, dir);
  try {
    mkdirSync(lock); // atomic: exactly one caller of the run wins
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    // Another worker builds it. Waiting is not timed: the test's own timeout bounds it.
    for (;;) {
      if (existsSync(done)) return verdict(done, dir);
      const owner = Number(readFileSync(join(lock, 'pid'), { encoding: 'utf8', flag: 'a+' }) || 0);
      if (owner && !alive(owner) && !existsSync(done)) throw new Error(`the worker building the shared stage-1 corpus (pid ${owner}) died`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  writeFileSync(join(lock, 'pid'), String(process.pid));
  mkdirSync(dirname(dir), { recursive: true });
  cpSync(BUNDLED_CORPUS, dir, { recursive: true });
  // The same tree whichever test asks first: no test hook of the caller's (MEMDESC_*) reaches the conversion.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MEMDESC_') || k === 'MEMDESC_CACHE_DIR'));
  const r = spawnSync(process.execPath, [join(PACKAGE_ROOT, 'bin', 'memdesc.mjs'), 'convert', '--all', dir, '--write', '--json'], { encoding: 'utf8', env, maxBuffer: 256 << 20 });
  const built: Built = { status: r.status ?? 1, stderr: r.stderr ?? String(r.error ?? '') };
  if (built.status === 0) writeFileSync(join(run, 'stage1.convert.json'), r.stdout);
  // Written whole, then renamed into place: a waiter never reads half a verdict.
  writeFileSync(`${done}.tmp`, JSON.stringify(built));
  renameSync(`${done}.tmp`, done);
  return verdict(done, dir);
}

/** A writable copy of the shared stage-1 tree at `dest` (its parent folders made). */
export async function copyOfStage1(dest: string): Promise<string> {
  const src = await stage1Corpus();
  mkdirSync(dirname(dest), { recursive: true });
  cpSync(src, dest, { recursive: true });
  return dest;
}

/** What `convert --all --write --json` printed when it made the shared stage-1 tree (its `--json` output). */
export interface Stage1Conversion {
  mode: 'write';
  written: boolean;
  files: Array<{ file: string; status: 'created' | 'modified' }>;
  report: ConvertReport;
  checks: { typecheck: string; secondRun: string; retireDropped?: string };
  /** The unified diff of the conversion, paths relative to the tree. */
  diff: string;
}

/** The shared stage-1 tree's conversion, as the CLI reported it (read-only, like the tree). */
export async function stage1Conversion(): Promise<Stage1Conversion> {
  await stage1Corpus();
  return JSON.parse(readFileSync(join(runDir(), 'stage1.convert.json'), 'utf8')) as Stage1Conversion;
}
