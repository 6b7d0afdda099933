/**
 * Writing a conversion: all files or none, and safe against a kill or a power cut at any moment.
 *
 * The protocol, each step durable (fsynced) before the next:
 *  1. stage: a folder `.memdesc-stage-XXXXXX` in the project root (same filesystem, so renames are
 *     atomic) holding an owner marker and the new texts, each with its target's mode and owner;
 *  2. journal: every target with a hash of its current bytes (or "absent") and of its new bytes;
 *  3. commit: per target, the original is moved aside into the stage, the staged file moved in;
 *  4. done: the target folders are fsynced, then the journal and the stage are removed.
 * Before step 1 every target is checked: inside the project (symlinks are followed to a target
 * inside the project, else refused), a regular writable file or absent, and unchanged since the
 * caller read it. A run killed before step 2 changed nothing in the tree. After step 2 the next
 * run acts only when every target is in a state this protocol produces — checked by hashes: all
 * new means finish; a mix of old, moved aside and new means roll back. Anything else (a file
 * edited since) is reported and nothing is touched.
 */
import { createHash } from 'node:crypto';
import {
  closeSync, fchmodSync, fchownSync, fsyncSync, lstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync,
  realpathSync, renameSync, rmdirSync, rmSync, statSync, unlinkSync, writeSync, accessSync, constants, existsSync,
} from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, sep } from 'node:path';
import { InputError, UsageError } from '../errors.ts';

export const STAGE_PREFIX = '.memdesc-stage-';
const OWNER_FILE = 'memdesc-stage';
const JOURNAL = 'journal.json';

interface JournalEntry {
  /** Target, relative to the project root (symlinks already resolved). */
  target: string;
  /** Staged new text and moved-aside original, relative to the stage folder. */
  staged: string;
  backup: string;
  /** sha256 of the original bytes; null when the target did not exist. */
  oldHash: string | null;
  newHash: string;
}

interface Journal {
  v: 2;
  tool: 'memdesc';
  entries: JournalEntry[];
  /** Folders the commit creates for new files (relative to the root), outermost first. */
  createdDirs: string[];
}

/** What the next run did with a stage an interrupted run left. */
export interface Recovery {
  stage: string;
  action: 'finished' | 'rolled back' | 'removed unused stage';
  files: number;
}

function sha256(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Hash of a regular file's bytes; null when absent; 'not a file' for anything else. */
function hashOf(p: string): string | null {
  let st;
  try {
    st = lstatSync(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  if (!st.isFile()) return 'not a file';
  return sha256(readFileSync(p));
}

function fsyncPath(p: string): void {
  const fd = openSync(p, 'r');
  try { fsyncSync(fd); } finally { closeSync(fd); }
}

/** Write a new file durably with the given mode (and owner, when running as root). */
function writeDurable(p: string, data: string | Buffer, mode: number, owner?: { uid: number; gid: number }): void {
  const fd = openSync(p, 'wx', mode);
  try {
    fchmodSync(fd, mode); // the umask must not change a kept mode
    if (owner && process.getuid?.() === 0) {
      try { fchownSync(fd, owner.uid, owner.gid); } catch { /* a filesystem without owners */ }
    }
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Test hook: `MEMDESC_TEST_CRASH_AT=<point>` kills the process at that point of the protocol (tests only). */
function crashPoint(point: string): void {
  if (process.env.MEMDESC_TEST_CRASH_AT === point) process.kill(process.pid, 'SIGKILL');
}

function errnoMessage(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return err.code ? `${err.code}: ${err.message.replace(/^\w+: /, '').replace(/, \w+ '.*'$/, '')}` : err.message;
}

/** Does a file's content open with the UTF-8 byte order mark? */
export function hasByteOrderMark(bytes: Uint8Array | null | undefined): boolean {
  return !!bytes && bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
}

/**
 * The text to write over a file whose content was `old`: with the byte order mark the file had
 * (TypeScript reads the text after it, so what memdesc computed lacks it; the user's file keeps it).
 */
export function keepByteOrderMark(old: Uint8Array | null | undefined, text: string): string {
  return hasByteOrderMark(old) && !text.startsWith('\uFEFF') ? `\uFEFF${text}` : text;
}

function isInside(root: string, p: string): boolean {
  const r = relative(root, p);
  return r === '' || (!r.startsWith(`..${sep}`) && r !== '..' && !isAbsolute(r));
}

interface Target {
  /** The real path written (symlinks resolved). */
  real: string;
  rel: string;
  text: string;
  oldHash: string | null;
  mode: number;
  owner?: { uid: number; gid: number };
  /** Folders to create, outermost first (absent targets only). */
  missingDirs: string[];
}

/**
 * Check every target before anything is written: one clear refusal instead of a half-done write.
 * `expected` (target -> text the caller planned from, null for absent) catches a file changed since.
 */
function prepareTargets(root: string, realRoot: string, files: Map<string, string>, expected?: Map<string, string | null>): Target[] {
  const out: Target[] = [];
  const seen = new Map<string, string>();
  const show = (p: string) => relative(root, p).split(sep).join('/') || '.';
  for (const [target, text] of files) {
    if (!isInside(root, target)) throw new UsageError(`${target} is outside the project ${root}: memdesc writes only inside it`);
    let real = target;
    let st: import('node:fs').Stats | undefined;
    try {
      st = lstatSync(target);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new InputError(`cannot write ${show(target)}: ${errnoMessage(e)}; nothing was written`);
    }
    const missingDirs: string[] = [];
    if (st?.isSymbolicLink()) {
      try {
        real = realpathSync(target);
      } catch {
        throw new UsageError(`${show(target)} is a dangling symlink: memdesc does not replace symlinks; nothing was written`);
      }
      if (!isInside(realRoot, real)) {
        throw new UsageError(`${show(target)} is a symlink to ${real}, outside the project: memdesc does not write through it; nothing was written`);
      }
      st = lstatSync(real);
    } else if (st) {
      real = join(realpathSync(dirname(target)), basename(target));
      if (!isInside(realRoot, real)) throw new UsageError(`${show(target)} lies in a folder linked from outside the project (${real}); nothing was written`);
    } else {
      // A new file: its nearest existing folder must be a real folder inside the project.
      let d = dirname(target);
      const chain: string[] = [];
      while (!existsSync(d)) { chain.unshift(d); d = dirname(d); }
      const realD = realpathSync(d);
      if (!statSync(realD).isDirectory()) throw new InputError(`cannot create ${show(target)}: ${show(d)} is not a folder; nothing was written`);
      if (!isInside(realRoot, realD)) throw new UsageError(`${show(target)} would be created through ${show(d)}, a link outside the project; nothing was written`);
      for (const c of chain) missingDirs.push(join(realD, relative(d, c)));
      real = join(realD, relative(d, target));
    }
    if (st && !st.isFile()) throw new InputError(`cannot write ${show(target)}: not a regular file; nothing was written`);
    const mode = st ? st.mode & 0o7777 : 0o644;
    if (st && (mode & 0o222) === 0) throw new UsageError(`${show(target)} is read-only: memdesc does not replace read-only files (make it writable first); nothing was written`);
    try {
      accessSync(missingDirs.length ? dirname(missingDirs[0]!) : dirname(real), constants.W_OK);
    } catch (e) {
      throw new InputError(`cannot write ${show(target)}: ${errnoMessage(e)}; nothing was written`);
    }
    const other = seen.get(real);
    if (other !== undefined) throw new UsageError(`${show(target)} and ${other} are the same file (${real}); nothing was written`);
    seen.set(real, show(target));
    const oldBytes = st ? readFileSync(real) : null;
    const oldHash = oldBytes ? sha256(oldBytes) : null;
    // A UTF-8 byte order mark (editors on Windows write one) is not part of the text TypeScript
    // reads, so the caller planned from the text after it; the file keeps its mark.
    const bom = hasByteOrderMark(oldBytes);
    const want = expected?.get(target);
    const same = (w: string): boolean => oldHash === sha256(w) || (bom && sha256(oldBytes!.subarray(3)) === sha256(w.replace(/^\uFEFF/, '')));
    if (want !== undefined && (want === null ? oldHash !== null : !same(want))) {
      throw new UsageError(`${show(target)} changed since memdesc read it (another writer, or an edit): run the command again; nothing was written`);
    }
    out.push({
      real, rel: relative(realRoot, real).split(sep).join('/'), text: keepByteOrderMark(oldBytes, text), oldHash, mode,
      ...(st ? { owner: { uid: st.uid, gid: st.gid } } : {}), missingDirs,
    });
  }
  return out;
}

/**
 * Write `files` (absolute path -> text) under `root`: all or none. `expected` holds the text each
 * target had when the caller read it (null: absent); a target that differs now is refused.
 * File system failures become one InputError line, the tree as it was.
 */
export function writeAll(root: string, files: Map<string, string>, expected?: Map<string, string | null>): void {
  const realRoot = realpathSync(root);
  const targets = prepareTargets(root, realRoot, files, expected);
  let stage: string;
  try {
    stage = mkdtempSync(join(realRoot, STAGE_PREFIX));
  } catch (e) {
    throw new InputError(`cannot write into ${root}: ${errnoMessage(e)}; nothing was written`);
  }
  const journal: Journal = { v: 2, tool: 'memdesc', entries: [], createdDirs: [] };
  try {
    writeDurable(join(stage, OWNER_FILE), `memdesc stage of pid ${process.pid}\n`, 0o644);
    mkdirSync(join(stage, 'new'));
    mkdirSync(join(stage, 'old'));
    const dirs = new Set<string>();
    targets.forEach((t, i) => {
      const staged = `new/${i}`;
      const bytes = Buffer.from(t.text);
      writeDurable(join(stage, staged), bytes, t.mode, t.owner);
      journal.entries.push({ target: t.rel, staged, backup: `old/${i}`, oldHash: t.oldHash, newHash: sha256(bytes) });
      for (const d of t.missingDirs) dirs.add(relative(realRoot, d).split(sep).join('/'));
    });
    journal.createdDirs = [...dirs].sort((a, b) => a.length - b.length);
    fsyncPath(join(stage, 'new'));
    crashPoint('staged');
    writeDurable(join(stage, `${JOURNAL}.tmp`), JSON.stringify(journal), 0o644);
    renameSync(join(stage, `${JOURNAL}.tmp`), join(stage, JOURNAL));
    fsyncPath(stage);
  } catch (e) {
    rmSync(stage, { recursive: true, force: true });
    throw new InputError(`cannot stage the new files in ${root}: ${errnoMessage(e)}; nothing was written`);
  }
  crashPoint('journaled');
  // Commit. Signals wait until the (synchronous) loop is over: the tree is never left half-written by one.
  const pending: NodeJS.Signals[] = [];
  const onSignal = (s: NodeJS.Signals) => pending.push(s);
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, onSignal);
  try {
    for (const d of journal.createdDirs) mkdirSync(join(realRoot, d), { recursive: true });
    journal.entries.forEach((e, i) => {
      const target = join(realRoot, e.target);
      if (e.oldHash !== null) renameSync(target, join(stage, e.backup));
      crashPoint(`aside:${i}`);
      renameSync(join(stage, e.staged), target);
      crashPoint(`moved:${i}`);
    });
    for (const d of new Set(journal.entries.map((e) => dirname(join(realRoot, e.target))))) fsyncPath(d);
    crashPoint('committed');
  } catch (err) {
    try {
      settle(realRoot, stage, journal, 'rollback');
    } catch (again) {
      throw new InputError(`cannot write ${root}: ${errnoMessage(err)}; rolling back failed too (${errnoMessage(again)}): the originals are in ${stage}/old`);
    }
    throw new InputError(`cannot write ${root}: ${errnoMessage(err)}; nothing was written`);
  } finally {
    for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(s, onSignal);
  }
  unlinkSync(join(stage, JOURNAL));
  fsyncPath(stage);
  rmSync(stage, { recursive: true, force: true });
  if (pending.length > 0) process.kill(process.pid, pending[0]!);
}

type EntryState = 'pending' | 'aside' | 'done';

/** Where one journal entry stands, or why it is in no state the protocol produces. */
function entryState(realRoot: string, stage: string, e: JournalEntry): EntryState | string {
  const cur = hashOf(join(realRoot, e.target));
  const staged = hashOf(join(stage, e.staged));
  const backup = hashOf(join(stage, e.backup));
  if (staged === e.newHash && backup === null && cur === e.oldHash) return 'pending';
  if (e.oldHash !== null && staged === e.newHash && backup === e.oldHash && cur === null) return 'aside';
  if (staged === null && cur === e.newHash && backup === (e.oldHash === null ? null : e.oldHash)) return 'done';
  if (cur !== e.oldHash && cur !== e.newHash) return cur === null ? `${e.target} was deleted` : `${e.target} was edited`;
  return `${e.target}: its staged or saved copy in the stage was changed`;
}

/** Finish or roll back a journal whose entries are all in protocol states. */
function settle(realRoot: string, stage: string, j: Journal, how: 'rollback' | 'finish'): void {
  if (how === 'rollback') {
    const states = j.entries.map((e) => entryState(realRoot, stage, e));
    const bad = states.find((s) => s !== 'pending' && s !== 'aside' && s !== 'done');
    // Never remove a stage that may hold the only copy of an original.
    if (bad !== undefined) throw new Error(`unexpected state (${bad})`);
    for (const [i, e] of [...j.entries.entries()].reverse()) {
      const s = states[i];
      const target = join(realRoot, e.target);
      if (s === 'aside' || (s === 'done' && e.oldHash !== null)) renameSync(join(stage, e.backup), target);
      else if (s === 'done') unlinkSync(target);
    }
    for (const d of [...j.createdDirs].reverse()) {
      try { rmdirSync(join(realRoot, d)); } catch { /* not empty: something else lives there now */ }
    }
    for (const d of new Set(j.entries.map((e) => dirname(join(realRoot, e.target))))) if (existsSync(d)) fsyncPath(d);
  }
  rmSync(join(stage, JOURNAL), { force: true });
  rmSync(stage, { recursive: true, force: true });
}

function readJournal(file: string): Journal | undefined {
  try {
    const j = JSON.parse(readFileSync(file, 'utf8')) as Journal;
    if (j.v !== 2 || j.tool !== 'memdesc' || !Array.isArray(j.entries) || !Array.isArray(j.createdDirs)) return undefined;
    const safe = (p: unknown) => typeof p === 'string' && p !== '' && !isAbsolute(p) && !p.split('/').includes('..');
    if (!j.entries.every((e) => safe(e.target) && safe(e.staged) && safe(e.backup)) || !j.createdDirs.every(safe)) return undefined;
    return j;
  } catch {
    return undefined;
  }
}

/**
 * Settle what interrupted runs left in `root`: a stage without a journal (the tree was never
 * touched) is removed; a journal is finished or rolled back only when the tree is exactly as the
 * interrupted run left it. Otherwise throws, having touched nothing.
 */
export function recover(root: string): Recovery[] {
  if (!existsSync(root)) return [];
  const realRoot = realpathSync(root);
  const done: Recovery[] = [];
  for (const d of readdirSync(realRoot).filter((n) => n.startsWith(STAGE_PREFIX)).sort()) {
    const stage = join(realRoot, d);
    if (!lstatSync(stage).isDirectory()) continue;
    const jf = join(stage, JOURNAL);
    if (!existsSync(jf)) {
      // Killed before its journal: only staged copies inside, nothing in the tree was touched.
      if (existsSync(join(stage, OWNER_FILE))) {
        rmSync(stage, { recursive: true, force: true });
        done.push({ stage: d, action: 'removed unused stage', files: 0 });
      } else if (readdirSync(stage).length === 0) {
        rmdirSync(stage);
      }
      continue;
    }
    const j = readJournal(jf);
    if (!j) throw new InputError(`${stage} holds a journal this memdesc cannot read: an interrupted write may have left the tree half-converted; check the files against ${d}/old and remove ${d} yourself`);
    const states = j.entries.map((e) => entryState(realRoot, stage, e));
    const bad = states.filter((s) => s !== 'pending' && s !== 'aside' && s !== 'done');
    if (bad.length > 0) {
      throw new UsageError(`an interrupted memdesc write left ${stage}, and the tree has changed since (${bad.join('; ')}): nothing was touched; the originals of the files it had replaced are in ${d}/old — restore what you need, then remove ${d}`);
    }
    const how = states.every((s) => s === 'done') ? 'finish' : 'rollback';
    settle(realRoot, stage, j, how);
    done.push({ stage: d, action: how === 'finish' ? 'finished' : 'rolled back', files: j.entries.length });
  }
  return done;
}
