/**
 * Writing a conversion: all files or none. New texts are staged in a directory inside the
 * project (same filesystem, so renames are atomic), a journal records every target, then the
 * originals are moved aside and the staged files moved in. A failure rolls everything back;
 * signals arriving meanwhile wait until the tree is whole again; a journal left by a killed
 * run is rolled back by the next one. Also: the git cleanliness check.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { UsageError } from '../errors.ts';

const STAGE_PREFIX = '.memdesc-stage-';

interface JournalEntry {
  target: string;
  staged: string;
  backup: string;
  existed: boolean;
}

interface Journal {
  entries: JournalEntry[];
}

/** Refuse a git work tree with uncommitted changes under `root` (untracked files included). */
export function checkClean(root: string, force: boolean): void {
  if (force) return;
  let top: string;
  try {
    top = execFileSync('git', ['-C', root, 'rev-parse', '--show-toplevel'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return; // not a git work tree: nothing to protect
  }
  const status = execFileSync('git', ['-C', root, 'status', '--porcelain', '--untracked-files=all', '--', '.'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const lines = status.split('\n').filter(Boolean);
  if (lines.length > 0) {
    throw new UsageError(`${root} has uncommitted changes in git (${lines.length} path${lines.length === 1 ? '' : 's'}, e.g. ${lines[0]!.slice(3)}; work tree ${top}): commit or stash them first, or pass --force`);
  }
}

/** Roll back what a killed run left behind. Returns the number of journals recovered. */
export function recover(root: string): number {
  let n = 0;
  for (const d of existsSync(root) ? readdirSync(root) : []) {
    if (!d.startsWith(STAGE_PREFIX)) continue;
    const dir = join(root, d);
    const jf = join(dir, 'journal.json');
    if (existsSync(jf)) {
      const j = JSON.parse(readFileSync(jf, 'utf8')) as Journal;
      rollback(j);
      n++;
    }
    rmSync(dir, { recursive: true, force: true });
  }
  return n;
}

function rollback(j: Journal): void {
  for (const e of [...j.entries].reverse()) {
    if (existsSync(e.backup)) {
      renameSync(e.backup, e.target);
    } else if (!e.existed && existsSync(e.target) && !existsSync(e.staged)) {
      unlinkSync(e.target);
    }
  }
}

/** Write `files` (absolute path -> text) under `root` atomically: all or none. */
export function writeAll(root: string, files: Map<string, string>): void {
  const dir = mkdtempSync(join(root, STAGE_PREFIX));
  const journal: Journal = { entries: [] };
  let i = 0;
  try {
    mkdirSync(join(dir, 'new'));
    mkdirSync(join(dir, 'old'));
    for (const [target, text] of files) {
      const staged = join(dir, 'new', String(i));
      writeFileSync(staged, text);
      journal.entries.push({ target, staged, backup: join(dir, 'old', String(i)), existed: existsSync(target) });
      i++;
    }
    writeFileSync(join(dir, 'journal.json'), JSON.stringify(journal));
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  // Commit. Signals are handled after the (synchronous) loop: the tree is never half-written.
  const pending: NodeJS.Signals[] = [];
  const onSignal = (s: NodeJS.Signals) => pending.push(s);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  try {
    for (const e of journal.entries) {
      if (e.existed) renameSync(e.target, e.backup);
      else mkdirSync(dirname(e.target), { recursive: true });
      renameSync(e.staged, e.target);
    }
  } catch (err) {
    rollback(journal);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
  }
  rmSync(dir, { recursive: true, force: true });
  if (pending.length > 0) process.kill(process.pid, pending[0]!);
}
