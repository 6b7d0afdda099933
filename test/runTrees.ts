/**
 * A tree shared by every test file of one run: built once, by the first caller, in the run's
 * folder (MEMDESC_TEST_RUN_DIR, set by test/globalSetup.ts), and waited for by the others. Read-only
 * to tests; they copy it to change it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PACKAGE_ROOT } from '../src/paths.ts';
import { processAlive } from '../src/rewrite/treeLock.ts';

/** What a shared build's command said. */
export interface Built { status: number; stdout: string; stderr: string }

/** A shared tree: its folder (read-only) and what the command that made it printed. */
export interface SharedTree extends Built { dir: string }

export function runDir(): string {
  const dir = process.env.MEMDESC_TEST_RUN_DIR;
  if (!dir) throw new Error('MEMDESC_TEST_RUN_DIR is not set: run the tests through vitest (test/globalSetup.ts sets it)');
  return dir;
}

/** `memdesc ...args` as a child process, without the caller's test hooks (MEMDESC_*: the same tree whoever asks first). */
export function cli(args: string[]): Built {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MEMDESC_') || k === 'MEMDESC_CACHE_DIR'));
  const r = spawnSync(process.execPath, [join(PACKAGE_ROOT, 'bin', 'memdesc.mjs'), ...args], { encoding: 'utf8', env, maxBuffer: 256 << 20 });
  return { status: r.status ?? 1, stdout: r.stdout ?? '', stderr: r.stderr ?? String(r.error ?? '') };
}

let inProcess: ((args: string[]) => Promise<Built>) | undefined;

/**
 * Run the commands that make shared trees in this process (the CLI's main()), not as children:
 * for test/prebuildTrees.ts only, a process of its own with no test hooks set, which makes the
 * trees one after another — one TypeScript load and one warm-up of the analysis for all of them,
 * where each child process paid both. A test worker keeps the child (its hooks stay out of the tree).
 */
export function makeTreesInProcess(run: (args: string[]) => Promise<Built>): void {
  inProcess = run;
}

/** The command that makes a shared tree: in this process when the prebuild asked for it, else `cli()`. */
export function treeCli(args: string[]): Promise<Built> {
  return inProcess ? inProcess(args) : Promise.resolve(cli(args));
}

function verdict(name: string, done: string, dir: string): SharedTree {
  const b = JSON.parse(readFileSync(done, 'utf8')) as Built;
  if (b.status !== 0) throw new Error(`the shared ${name} tree could not be made: exit ${b.status}\n${b.stderr}`);
  return { dir, ...b };
}

/**
 * The tree `name` of this run (`<name>-5.10.y/corpus` in the run folder: a dotted parent, as a
 * user's `linux-5.10.y`), made by `make(dir)` in the first caller and waited for by the rest.
 */
export async function sharedTree(name: string, make: (dir: string) => Promise<Built>): Promise<SharedTree> {
  const run = runDir();
  const dir = join(run, `${name}-5.10.y`, 'corpus');
  const lock = join(run, `${name}.lock`);
  const done = join(run, `${name}.done`);
  if (existsSync(done)) return verdict(name, done, dir);
  try {
    mkdirSync(lock); // atomic: exactly one caller of the run wins
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    // Another worker builds it. Waiting is not timed: the test's own hook timeout bounds it.
    for (;;) {
      if (existsSync(done)) return verdict(name, done, dir);
      const owner = Number(readFileSync(join(lock, 'pid'), { encoding: 'utf8', flag: 'a+' }) || 0);
      if (owner && !processAlive(owner) && !existsSync(done)) throw new Error(`the worker building the shared ${name} tree (pid ${owner}) died`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  writeFileSync(join(lock, 'pid'), String(process.pid));
  let built: Built;
  try {
    mkdirSync(dirname(dir), { recursive: true });
    built = await make(dir);
  } catch (e) {
    built = { status: 1, stdout: '', stderr: String((e as Error).stack ?? e) };
  }
  // Written whole, then renamed into place: a waiter never reads half a verdict.
  writeFileSync(`${done}.tmp`, JSON.stringify(built));
  renameSync(`${done}.tmp`, done);
  return verdict(name, done, dir);
}
