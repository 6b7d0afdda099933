/**
 * `memdesc convert --write` keeps the user's work: no write without an explicit path, no write
 * into a repository git cannot read, an interrupted write is settled only when the tree is as it
 * was left (edits made since are never reverted), a failed write is one line and exit 2.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.ts';
import { lockTree } from '../../src/rewrite/treeLock.ts';
import { BLOBWORLD, cli, copyTree, git } from './helpers.ts';

const isRoot = process.getuid?.() === 0;

/** Every file under `dir` except .git (relative path -> text). */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.name === '.git' || e.name === '.memdesc-lock') continue;
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(join(d, e.name), r);
      else out[r] = readFileSync(join(d, e.name), 'utf8');
    }
  };
  walk(dir, '');
  return out;
}

function repoCopy(): string {
  const dir = copyTree(BLOBWORLD);
  git(dir, 'init', '-q');
  git(dir, 'add', '.');
  git(dir, 'commit', '-qm', 'base');
  return dir;
}

function convertWrite(dir: string, env: Record<string, string> = {}, extra: { uid?: number; gid?: number } = {}) {
  const r = spawnSync(process.execPath, [join(PACKAGE_ROOT, 'bin', 'memdesc.mjs'), 'convert', '--all', dir, '--spec', join(dir, 'spec.json'), '--write'], {
    encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000, ...extra,
  });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** The tree a clean, uninterrupted `convert --all --write` produces. */
function reference(): Record<string, string> {
  const dir = copyTree(BLOBWORLD);
  expect(convertWrite(dir).status).toBe(0);
  return snapshot(dir);
}

describe('convert --write keeps the user\'s work', () => {
  it('--write without a path is refused: the bundled corpus is never written by a default', () => {
    const r = cli(['convert', '--all', '--write']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('memdesc: --write needs the project to write as an explicit path (e.g. `memdesc convert --all . --write`)\n');
  });

  it('--only that names no file or function is exit 2', () => {
    const dir = copyTree(BLOBWORLD);
    const before = snapshot(dir);
    const r = cli(['convert', '--all', dir, '--spec', join(dir, 'spec.json'), '--only', 'nope.ts', '--write']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('memdesc: --only nope.ts: no project file (path relative to the project) or function of that name\n');
    expect(snapshot(dir)).toEqual(before);
  });

  it('a repository git cannot read is refused with git\'s message, not taken for "no repository"', () => {
    const dir = copyTree(BLOBWORLD);
    writeFileSync(join(dir, '.git'), 'gitdir: /nonexistent/memdesc-test/.git\n');
    const before = snapshot(dir);
    const r = convertWrite(dir);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^memdesc: git cannot check .* for uncommitted changes: not a git repository: \/nonexistent\/memdesc-test\/\.git; refusing to write\n$/);
    expect(snapshot(dir)).toEqual(before);
  });

  it.skipIf(!isRoot)('a repository of another owner ("dubious ownership") is refused, its uncommitted changes kept', () => {
    const dir = repoCopy();
    writeFileSync(join(dir, 'src/cache.ts'), `${readFileSync(join(dir, 'src/cache.ts'), 'utf8')}// uncommitted work\n`);
    const chownAll = (d: string) => {
      chownSync(d, 12345, 12345);
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) chownAll(join(d, e.name));
        else chownSync(join(d, e.name), 12345, 12345);
      }
    };
    chownAll(dir);
    const before = snapshot(dir);
    const r = convertWrite(dir, { GIT_CONFIG_GLOBAL: '/dev/null' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^memdesc: git cannot check .*: detected dubious ownership in repository at .*; refusing to write\n$/);
    expect(snapshot(dir)).toEqual(before);
  });

  it('a second writer of the same tree is refused with one line while the first runs', () => {
    const dir = copyTree(BLOBWORLD);
    const before = snapshot(dir);
    const first = lockTree(dir); // what a running `convert --write` holds from start to end
    try {
      const r = convertWrite(dir);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`^memdesc: another memdesc is writing ${dir.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} \\(pid ${process.pid} on [^)]*\\): wait for it to finish; if none is running, remove .*\\.memdesc-lock\n$`));
      expect(snapshot(dir)).toEqual(before);
    } finally {
      first.release();
    }
    expect(convertWrite(dir).status).toBe(0);
  });

  it('killed mid-write, then edited: the next --write reports the leftover journal and reverts nothing', () => {
    const dir = repoCopy();
    const original = snapshot(dir);
    expect(convertWrite(dir, { MEMDESC_TEST_CRASH_AT: 'moved:0' }).signal).toBe('SIGKILL');
    const changed = Object.keys(snapshot(dir)).filter((f) => !f.startsWith('.memdesc-stage-') && snapshot(dir)[f] !== original[f]);
    expect(changed).toHaveLength(1);
    writeFileSync(join(dir, changed[0]!), 'export const mine = 1; // the user\'s edit after the crash\n');
    writeFileSync(join(dir, 'notes.ts'), 'export const notes = 1;\n');
    const left = snapshot(dir);
    const r = convertWrite(dir);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^memdesc: an interrupted memdesc write left .*\\.memdesc-stage-\\w+, and the tree has changed since \\(${changed[0]!.replace(/[./]/g, '\\$&')} was edited\\): nothing was touched`));
    expect(snapshot(dir)).toEqual(left);
  });

  it('killed mid-write and left alone: the next --write rolls back, converts, and says so; modes kept', () => {
    const want = reference();
    const dir = repoCopy();
    chmodSync(join(dir, 'src/cache.ts'), 0o755);
    git(dir, 'commit', '-qam', 'mode');
    expect(convertWrite(dir, { MEMDESC_TEST_CRASH_AT: 'aside:2' }).signal).toBe('SIGKILL');
    const r = convertWrite(dir);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^an interrupted write \(\.memdesc-stage-\w+, 8 files\) was rolled back\n/);
    expect(snapshot(dir)).toEqual(want);
    expect(statSync(join(dir, 'src/cache.ts')).mode & 0o777).toBe(0o755);
  });

  it('a write the file system refuses is one line and exit 2, the tree as before', () => {
    const dir = copyTree(BLOBWORLD);
    const before = snapshot(dir);
    let extra = {};
    if (isRoot) {
      extra = { uid: 65534, gid: 65534 }; // root may write anywhere: run as nobody on a tree nobody may not write
      chmodSync(join(dir, '..'), 0o755); // but may read
    }
    else for (const d of [dir, join(dir, 'src'), join(dir, 'src/net')]) chmodSync(d, 0o555);
    const r = convertWrite(dir, { MEMDESC_CACHE_DIR: join(dir, '..', 'cache') }, extra);
    for (const d of [dir, join(dir, 'src'), join(dir, 'src/net')]) chmodSync(d, 0o755);
    expect(r.stderr).not.toContain('internal error');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^memdesc: cannot (lock|write)/);
    expect(r.status).toBe(2);
    expect(snapshot(dir)).toEqual(before);
  });
});
