/**
 * The write protocol of `convert --write` (src/rewrite/staging.ts, treeLock.ts): all files or
 * none; modes kept; read-only files and symlinks out of the tree refused; a run killed at every
 * step of the protocol is settled by the next run only when the tree is exactly as it was left;
 * one writer per tree.
 */
import { spawnSync } from 'node:child_process';
import {
  chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError, UsageError } from '../../src/errors.ts';
import { recover, writeAll } from '../../src/rewrite/staging.ts';
import { LOCK_FILE, lockTree } from '../../src/rewrite/treeLock.ts';
import { bundleEntry, type BundledEntry } from '../bundled.ts';

// The crash tests start the child about twenty times: bundled once, it starts in a fraction of
// the time the TypeScript loader takes (the code it runs is the same src/ modules).
let child: BundledEntry;
const made: string[] = [];
beforeAll(() => { child = bundleEntry(join(import.meta.dirname, 'write-child.ts')); });
afterAll(() => {
  child?.cleanup();
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'memdesc-w-'));
  made.push(dir);
  for (const [f, t] of Object.entries(files)) {
    mkdirSync(join(dir, f, '..'), { recursive: true });
    writeFileSync(join(dir, f), t);
  }
  return dir;
}

/** Every file under `dir` (relative path -> text), stage folders included. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(d, e.name);
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (r === LOCK_FILE) continue; // held or left by a killed writer: not part of the tree's content
      if (e.isDirectory()) walk(p, r);
      else out[r] = e.isSymbolicLink() ? `-> ${readlinkSync(p)}` : readFileSync(p, 'utf8');
    }
  };
  walk(dir, '');
  return out;
}

function runChild(root: string, files: Record<string, string>, crashAt?: string) {
  const env = { ...process.env };
  if (crashAt) env.MEMDESC_TEST_CRASH_AT = crashAt;
  else delete env.MEMDESC_TEST_CRASH_AT;
  const r = spawnSync(process.execPath, [child.file, root, JSON.stringify(files)], { encoding: 'utf8', env, timeout: 60_000 });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

const ORIGINAL = { 'a.ts': 'old a\n', 'sub/c.ts': 'old c\n', 'keep.ts': 'untouched\n' };
const NEW = { 'a.ts': 'new a\n', 'b/new.ts': 'created b\n', 'sub/c.ts': 'new c\n' };
const CONVERTED = { 'a.ts': 'new a\n', 'b/new.ts': 'created b\n', 'keep.ts': 'untouched\n', 'sub/c.ts': 'new c\n' };
const POINTS = ['staged', 'journaled', 'aside:0', 'moved:0', 'aside:1', 'moved:1', 'aside:2', 'moved:2', 'committed'];

describe('writeAll', () => {
  it('writes every file, creating folders, and leaves no stage behind', () => {
    const dir = tree({ 'a.ts': 'old' });
    writeAll(dir, new Map([[join(dir, 'a.ts'), 'new'], [join(dir, 'sub/b.ts'), 'created']]));
    expect(snapshot(dir)).toEqual({ 'a.ts': 'new', 'sub/b.ts': 'created' });
  });

  it('writes nothing when one file cannot be written', () => {
    const dir = tree({ 'a.ts': 'old', blocker: 'a file where a folder should be' });
    expect(() => writeAll(dir, new Map([[join(dir, 'a.ts'), 'new'], [join(dir, 'blocker/c.ts'), 'x']]))).toThrow(InputError);
    expect(snapshot(dir)).toEqual({ 'a.ts': 'old', blocker: 'a file where a folder should be' });
  });

  it('keeps each file\'s mode', () => {
    const dir = tree({ 'run.ts': '#!/usr/bin/env node\n', 'secret.ts': 's', 'plain.ts': 'p' });
    chmodSync(join(dir, 'run.ts'), 0o755);
    chmodSync(join(dir, 'secret.ts'), 0o600);
    writeAll(dir, new Map([[join(dir, 'run.ts'), '#!/usr/bin/env node\n// new\n'], [join(dir, 'secret.ts'), 's2'], [join(dir, 'plain.ts'), 'p2']]));
    expect(statSync(join(dir, 'run.ts')).mode & 0o777).toBe(0o755);
    expect(statSync(join(dir, 'secret.ts')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'plain.ts')).mode & 0o777).toBe(0o644);
    expect(readFileSync(join(dir, 'secret.ts'), 'utf8')).toBe('s2');
  });

  it('refuses a read-only file up front and writes nothing', () => {
    const dir = tree({ 'a.ts': 'old a', 'ro.ts': 'read-only' });
    chmodSync(join(dir, 'ro.ts'), 0o444);
    expect(() => writeAll(dir, new Map([[join(dir, 'a.ts'), 'new'], [join(dir, 'ro.ts'), 'new']]))).toThrow(/ro\.ts is read-only/);
    expect(snapshot(dir)).toEqual({ 'a.ts': 'old a', 'ro.ts': 'read-only' });
    expect(statSync(join(dir, 'ro.ts')).mode & 0o777).toBe(0o444);
  });

  it('writes through a symlink to a file inside the tree and keeps the link', () => {
    const dir = tree({ 'real/a.ts': 'old' });
    symlinkSync('real/a.ts', join(dir, 'link.ts'));
    writeAll(dir, new Map([[join(dir, 'link.ts'), 'new']]));
    expect(lstatSync(join(dir, 'link.ts')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(dir, 'real/a.ts'), 'utf8')).toBe('new');
  });

  it('refuses a symlink that leads out of the tree, and two names of one file', () => {
    const outside = tree({ 'x.ts': 'not yours' });
    const dir = tree({ 'a.ts': 'old' });
    symlinkSync(join(outside, 'x.ts'), join(dir, 'out.ts'));
    expect(() => writeAll(dir, new Map([[join(dir, 'a.ts'), 'new'], [join(dir, 'out.ts'), 'new']]))).toThrow(/outside the project/);
    expect(readFileSync(join(outside, 'x.ts'), 'utf8')).toBe('not yours');
    expect(readFileSync(join(dir, 'a.ts'), 'utf8')).toBe('old');
    symlinkSync('a.ts', join(dir, 'alias.ts'));
    expect(() => writeAll(dir, new Map([[join(dir, 'a.ts'), '1'], [join(dir, 'alias.ts'), '2']]))).toThrow(/same file/);
    expect(readFileSync(join(dir, 'a.ts'), 'utf8')).toBe('old');
  });

  it('refuses a file that changed since the caller read it', () => {
    const dir = tree({ 'a.ts': 'edited by someone else' });
    expect(() => writeAll(dir, new Map([[join(dir, 'a.ts'), 'new']]), new Map([[join(dir, 'a.ts'), 'what memdesc read']]))).toThrow(/changed since memdesc read it/);
    expect(() => writeAll(dir, new Map([[join(dir, 'a.ts'), 'new']]), new Map([[join(dir, 'a.ts'), null]]))).toThrow(UsageError);
    expect(snapshot(dir)).toEqual({ 'a.ts': 'edited by someone else' });
  });

  it('refuses to write outside the root', () => {
    const dir = tree({ 'a.ts': 'a' });
    expect(() => writeAll(join(dir, 'sub'), new Map([[join(dir, 'a.ts'), 'x']]))).toThrow();
    expect(snapshot(dir)).toEqual({ 'a.ts': 'a' });
  });
});

describe('a write killed at each step of the protocol', () => {
  it.each(POINTS)('killed at %s: the next run settles it and writes; the tree is whole', (point) => {
    const dir = tree(ORIGINAL);
    const killed = runChild(dir, NEW, point);
    expect(killed.signal).toBe('SIGKILL');
    const again = runChild(dir, NEW);
    expect(again.stderr).toBe('');
    expect(again.status).toBe(0);
    expect(snapshot(dir)).toEqual(CONVERTED);
    const action = again.stdout.split('\n')[0];
    if (point === 'staged') expect(action).toBe('removed unused stage 0');
    else if (point === 'moved:2' || point === 'committed') expect(action).toBe('finished 3'); // every file already new
    else expect(action).toBe('rolled back 3');
  });

  it.each(POINTS.slice(1))('killed at %s, then a file it wrote is edited: the next run touches nothing and says why', (point) => {
    const dir = tree(ORIGINAL);
    expect(runChild(dir, NEW, point).signal).toBe('SIGKILL');
    // The user edits both a file the run had already replaced (or not) and keeps working.
    writeFileSync(join(dir, 'a.ts'), 'the user\'s edit\n');
    const left = snapshot(dir);
    const again = runChild(dir, NEW);
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(/an interrupted memdesc write left .*\.memdesc-stage-\w+, and the tree has changed since \(a\.ts was edited\): nothing was touched/);
    expect(again.stderr.trim().split('\n')).toHaveLength(1);
    expect(snapshot(dir)).toEqual(left);
  });

  it('killed after moving a new file in: deleting that file afterwards is an edit too', () => {
    const dir = tree(ORIGINAL);
    expect(runChild(dir, NEW, 'moved:1').signal).toBe('SIGKILL');
    const created = join(dir, 'b/new.ts');
    expect(readFileSync(created, 'utf8')).toBe('created b\n');
    writeFileSync(created, 'now the user\'s own file\n');
    const left = snapshot(dir);
    expect(runChild(dir, NEW).status).toBe(2);
    expect(snapshot(dir)).toEqual(left);
  });

  it('edits to files outside the journal do not stop the recovery, and survive it', () => {
    const dir = tree(ORIGINAL);
    expect(runChild(dir, NEW, 'aside:1').signal).toBe('SIGKILL');
    writeFileSync(join(dir, 'keep.ts'), 'the user\'s edit\n');
    writeFileSync(join(dir, 'mine.ts'), 'a new file of the user\n');
    const again = runChild(dir, NEW);
    expect(again.status).toBe(0);
    expect(snapshot(dir)).toEqual({ ...CONVERTED, 'keep.ts': 'the user\'s edit\n', 'mine.ts': 'a new file of the user\n' });
  });

  it('a stage folder memdesc did not mark is left alone', () => {
    const dir = tree({ 'a.ts': 'a', '.memdesc-stage-other/notes.txt': 'not ours' });
    expect(recover(dir)).toEqual([]);
    expect(snapshot(dir)).toEqual({ 'a.ts': 'a', '.memdesc-stage-other/notes.txt': 'not ours' });
  });

  it('a journal this version cannot read is reported, not acted on', () => {
    const dir = tree({ 'a.ts': 'a', '.memdesc-stage-x/journal.json': '{"entries":[{"target":"/etc/passwd"}]}' });
    expect(() => recover(dir)).toThrow(/cannot read/);
    expect(snapshot(dir)).toEqual({ 'a.ts': 'a', '.memdesc-stage-x/journal.json': '{"entries":[{"target":"/etc/passwd"}]}' });
  });
});

describe('one writer per tree', () => {
  it('a second writer is refused with one line while the first holds the lock', () => {
    const dir = tree(ORIGINAL);
    const lock = lockTree(dir);
    try {
      const r = runChild(dir, NEW);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`^another memdesc is writing .* \\(pid ${process.pid} on .*\\): wait for it to finish`));
      expect(snapshot(dir)).toEqual(ORIGINAL);
      expect(existsSync(join(dir, LOCK_FILE))).toBe(true);
    } finally {
      lock.release();
    }
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    expect(() => lockTree(dir).release()).not.toThrow();
  });

  it('a lock left by a killed writer is taken over', () => {
    const dir = tree(ORIGINAL);
    expect(runChild(dir, NEW, 'aside:0').signal).toBe('SIGKILL');
    expect(existsSync(join(dir, LOCK_FILE))).toBe(true);
    const again = runChild(dir, NEW);
    expect(again.status).toBe(0);
    expect(snapshot(dir)).toEqual(CONVERTED);
  });
});
