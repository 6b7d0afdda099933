/**
 * The corpus trees the stage-2 tests share, each built once per test run by the CLI, in the run's
 * own temp folder (MEMDESC_TEST_RUN_DIR, made and removed by test/globalSetup.ts), and read-only
 * after that: a test that writes takes a copy (`copyTree`, `variant`).
 *
 * - `stage1Corpus()` (test/stage1.ts): the bundled corpus after `convert --all --write`;
 * - `ptdescCorpus()`: the bundled corpus after `convert ptdesc --write` (Page.lru still there for
 *   the other kinds: the RFC's state);
 * - `stage2Corpus()`: the stage-1 tree after `separate --all --write` (every kind in the plan's
 *   order, each through its audit gate, no test hook), with what that run printed.
 *
 * Each costs seconds of CPU (an analysis, a rewrite, a type-check): the first caller in the run
 * builds it under a lock (an atomic mkdir), every other caller, in any worker, waits for its
 * verdict. Builds run without the caller's test hooks (no MEMDESC_* but the run's cache), so the
 * tree is the same whichever test asks first.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { expect } from 'vitest';
import { BUNDLED_CORPUS, PACKAGE_ROOT } from '../../src/paths.ts';
import { stage1Corpus } from '../stage1.ts';

export { stage1Corpus };

/** What a shared build's CLI run said. */
export interface Built { status: number; stdout: string; stderr: string }

/** A shared tree: its folder (read-only) and what the command that made it printed. */
export interface SharedTree extends Built { dir: string }

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

/** `memdesc ...args` as a child process, without the caller's test hooks. */
export function cli(args: string[]): Built {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MEMDESC_') || k === 'MEMDESC_CACHE_DIR'));
  const r = spawnSync(process.execPath, [join(PACKAGE_ROOT, 'bin', 'memdesc.mjs'), ...args], { encoding: 'utf8', env, maxBuffer: 64 << 20 });
  return { status: r.status ?? 1, stdout: r.stdout ?? '', stderr: r.stderr ?? String(r.error ?? '') };
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
      if (owner && !alive(owner) && !existsSync(done)) throw new Error(`the worker building the shared ${name} tree (pid ${owner}) died`);
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

/** The bundled corpus after `convert ptdesc --write` (shared, read-only). */
export function ptdescCorpus(): Promise<SharedTree> {
  return sharedTree('ptdesc', async (dir) => {
    cpSync(BUNDLED_CORPUS, dir, { recursive: true });
    return cli(['convert', 'ptdesc', dir, '--write']);
  });
}

/** The stage-1 tree after `separate --all --write` (shared, read-only), with what it printed. */
export function stage2Corpus(): Promise<SharedTree> {
  return sharedTree('stage2', async (dir) => {
    cpSync(await stage1Corpus(), dir, { recursive: true });
    return cli(['separate', '--all', dir, '--write']);
  });
}

/** A writable copy of `src` at `dest`. */
export function copyTree(src: string, dest: string): string {
  mkdirSync(dirname(dest), { recursive: true });
  cpSync(src, dest, { recursive: true });
  return dest;
}

/** A copy of `src` at `dest` with `file`'s text changed by `edit` (which must change it). */
export function variant(src: string, dest: string, file: string, edit: (text: string) => string): string {
  copyTree(src, dest);
  const path = join(dest, file);
  const text = readFileSync(path, 'utf8');
  const changed = edit(text);
  expect(changed, `the edit of ${file} changed nothing`).not.toBe(text);
  writeFileSync(path, changed);
  return dest;
}

/**
 * The lines a `separate` run printed for one kind: its heading (`kind: ...`) and the indented
 * site lines under it (empty when the kind is not there).
 */
export function kindSection(stdout: string, kind: string): string {
  const lines = stdout.split('\n');
  const at = lines.findIndex((l) => l.startsWith(`${kind}: `));
  if (at < 0) return '';
  let end = at + 1;
  while (end < lines.length && lines[end]!.startsWith('  ')) end++;
  return lines.slice(at, end).join('\n');
}
