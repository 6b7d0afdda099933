/**
 * The gate every tree-writing command passes before it reads the tree (convert, separate,
 * shrink): take the tree's lock, settle an interrupted earlier write (staging.ts), and refuse a
 * dirty git tree unless forced. Lock first: recovery and the dirty check must not race another
 * writer, and both come before the tree is read, which an interrupted write may have left
 * half-written. On a refusal the lock is released again.
 */
import { resolveTsconfig } from '../analyzers/project.ts';
import { checkClean } from './gitGuard.ts';
import { recover, type Recovery } from './staging.ts';
import { lockTree, type TreeLock } from './treeLock.ts';

export interface WriteGate {
  lock: TreeLock;
  recovered: Recovery[];
}

export function openWriteGate(path: string, force: boolean): WriteGate {
  const { root } = resolveTsconfig(path);
  const lock = lockTree(root);
  try {
    const recovered = recover(root);
    checkClean(root, force);
    return { lock, recovered };
  } catch (e) {
    lock.release();
    throw e;
  }
}
