/**
 * One writer per project tree. The lock is a file `.memdesc-lock` in the project root, created
 * exclusively (O_EXCL), naming the holder's pid and host. A lock whose holder is gone (same host,
 * pid not running: the holder was killed) is taken over; any other is a refusal.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { InputError, UsageError } from '../errors.ts';

export const LOCK_FILE = '.memdesc-lock';

interface LockInfo {
  tool: 'memdesc';
  pid: number;
  host: string;
  since: string;
}

export interface TreeLock {
  file: string;
  release(): void;
}

/** Whether process `pid` still runs on this host (EPERM: it does, owned by someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readLock(file: string): LockInfo | undefined {
  try {
    const info = JSON.parse(readFileSync(file, 'utf8')) as LockInfo;
    return info.tool === 'memdesc' && Number.isInteger(info.pid) && typeof info.host === 'string' ? info : undefined;
  } catch {
    return undefined;
  }
}

/** Take the write lock of `root` or throw a UsageError naming the holder. */
export function lockTree(root: string): TreeLock {
  const file = join(root, LOCK_FILE);
  const me: LockInfo = { tool: 'memdesc', pid: process.pid, host: hostname(), since: new Date().toISOString() };
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o644);
      try { writeSync(fd, `${JSON.stringify(me)}\n`); } finally { closeSync(fd); }
      break;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') throw new InputError(`cannot lock ${root} for writing: ${(e as Error).message}`);
      const holder = readLock(file);
      if (attempt === 0 && holder && holder.host === me.host && !processAlive(holder.pid)) {
        unlinkSync(file); // its holder was killed: the lock is stale
        continue;
      }
      const who = holder ? `pid ${holder.pid} on ${holder.host} since ${holder.since}` : 'an unreadable lock file';
      throw new UsageError(`another memdesc is writing ${root} (${who}): wait for it to finish; if none is running, remove ${file}`);
    }
  }
  let held = true;
  const release = (): void => {
    if (!held) return;
    held = false;
    process.off('exit', release);
    if (readLock(file)?.pid === me.pid) {
      try { unlinkSync(file); } catch { /* already gone */ }
    }
  };
  process.on('exit', release);
  return { file, release };
}
