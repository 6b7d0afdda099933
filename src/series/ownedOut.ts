/**
 * Proof that memdesc made an output, so that replacing it can never delete the user's work.
 *
 * Every folder memdesc writes outputs into gets a marker, `.memdesc-output.json`, naming the tool,
 * the purpose and every file memdesc wrote there with its SHA-256. A folder is memdesc's when the
 * marker is there and every other entry is a listed file that still has its recorded content;
 * then (and only then) it may be replaced, and replacing it removes exactly those files. The
 * shape of a folder (".patch files", ".git and sim/") proves nothing. Paths the output must stay
 * clear of (the project, its git work tree and git directory) are checked here too.
 */
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync, realpathSync, renameSync, rmdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';

export const MARKER = '.memdesc-output.json';

export interface OutputMarker {
  tool: 'memdesc';
  version: 1;
  /** What wrote the folder ('series', 'start'): an output of one purpose is never replaced by another. */
  purpose: string;
  /** File name (relative to the folder, forward slashes; `../x` for a companion file beside it) -> SHA-256. */
  files: Record<string, string>;
}

export type OutState =
  | { kind: 'absent' }
  | { kind: 'empty' }
  | { kind: 'owned'; marker: OutputMarker }
  /** Not provably memdesc's: `why` names the first reason, for a one-line refusal. */
  | { kind: 'foreign'; why: string };

export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export function fileHash(p: string): string | undefined {
  try {
    return lstatSync(p).isFile() ? sha256(readFileSync(p)) : undefined;
  } catch {
    return undefined;
  }
}

/** The marker of `dir`: undefined when there is none; `foreign` text when there is one memdesc did not write. */
export function readMarker(dir: string): OutputMarker | undefined | { foreign: string } {
  const p = join(dir, MARKER);
  if (!existsSync(p)) return undefined;
  try {
    const m = JSON.parse(readFileSync(p, 'utf8')) as Partial<OutputMarker>;
    const ok = m && m.tool === 'memdesc' && m.version === 1 && typeof m.purpose === 'string' && m.files && typeof m.files === 'object'
      && Object.values(m.files).every((h) => typeof h === 'string' && /^[0-9a-f]{64}$/.test(h));
    return ok ? (m as OutputMarker) : { foreign: `its ${MARKER} is not one memdesc wrote` };
  } catch {
    return { foreign: `its ${MARKER} is not one memdesc wrote` };
  }
}

/**
 * Write the marker of `dir` listing `files` (relative to `dir`) with their current content
 * hashes, and `known` (name -> hash: companions written elsewhere, e.g. `../cover.patch`).
 */
export function writeMarker(dir: string, purpose: string, files: string[], known: Record<string, string> = {}): OutputMarker {
  const marker: OutputMarker = { tool: 'memdesc', version: 1, purpose, files: {} };
  for (const f of [...files].sort()) {
    const h = fileHash(join(dir, ...f.split('/')));
    if (h !== undefined) marker.files[f] = h;
  }
  Object.assign(marker.files, known);
  writeFileSync(join(dir, MARKER), `${JSON.stringify(marker, null, 2)}\n`);
  return marker;
}

/** Is `name` (relative to the marker's folder) a file the marker lists, with its recorded content? */
export function ownsFile(dir: string, marker: OutputMarker, name: string): boolean {
  const want = marker.files[name];
  return want !== undefined && fileHash(join(dir, ...name.split('/'))) === want;
}

/**
 * What `dir` is, for an output of `purpose` that takes the whole folder: absent, empty, an
 * earlier output of the same purpose with nothing added or changed, or something else.
 */
export function outState(dir: string, purpose: string): OutState {
  let st;
  try {
    st = lstatSync(dir);
  } catch {
    return { kind: 'absent' };
  }
  if (st.isSymbolicLink()) return { kind: 'foreign', why: 'is a symbolic link' };
  if (!st.isDirectory()) return { kind: 'foreign', why: 'is not a directory' };
  const entries = readdirSync(dir).sort();
  if (entries.length === 0) return { kind: 'empty' };
  const m = readMarker(dir);
  if (m === undefined) return { kind: 'foreign', why: `holds files memdesc did not write (${entries[0]})` };
  if ('foreign' in m) return { kind: 'foreign', why: m.foreign };
  if (m.purpose !== purpose) return { kind: 'foreign', why: `holds the output of memdesc ${m.purpose}, not of memdesc ${purpose}` };
  for (const e of entries) {
    if (e === MARKER) continue;
    if (m.files[e] === undefined) return { kind: 'foreign', why: `holds ${e}, which memdesc did not write` };
    if (!ownsFile(dir, m, e)) return { kind: 'foreign', why: `${e} was changed after memdesc wrote it` };
  }
  return { kind: 'owned', marker: m };
}

/**
 * Remove an output folder `outState` found owned: its listed files (each only while it still has
 * the recorded content), the marker, then the folder itself if that left it empty. Returns false
 * when something else appeared meanwhile: that stays, with the folder.
 */
export function removeOwnedDir(dir: string, marker: OutputMarker): boolean {
  for (const name of Object.keys(marker.files)) {
    if (name.includes('/')) continue;
    if (ownsFile(dir, marker, name)) unlinkSync(join(dir, name));
  }
  try {
    unlinkSync(join(dir, MARKER));
    rmdirSync(dir);
    return true;
  } catch {
    return false;
  }
}

/**
 * Put the finished folder `tmp` at `out`, whose state `expected` was found before the work: an
 * absent or empty `out` is taken by rename (which fails rather than replace anything that
 * appeared since); an owned one is checked again, moved aside, replaced, and its own files
 * removed. Throws (the caller removes `tmp`) when `out` is no longer what it was. Returns the
 * folder the old output was moved to when something appeared in it at the last moment (kept
 * there, never deleted), else undefined.
 */
export function replaceOut(tmp: string, out: string, purpose: string, refuse: (why: string) => Error): string | undefined {
  const now = outState(out, purpose);
  if (now.kind === 'foreign') throw refuse(now.why);
  if (now.kind !== 'owned') {
    try {
      renameSync(tmp, out);
    } catch (e) {
      throw refuse(`it changed during the run (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    return undefined;
  }
  let aside = '';
  for (let i = 0; !aside || existsSync(aside); i++) aside = join(dirname(out), `.${basename(out)}.old-${process.pid}-${i}`);
  renameSync(out, aside);
  try {
    renameSync(tmp, out);
  } catch (e) {
    renameSync(aside, out);
    throw e;
  }
  return removeOwnedDir(aside, now.marker) ? undefined : aside;
}

/** `p` with symbolic links resolved as far as it exists (the rest appended), so containment is judged on real paths. */
export function realPath(p: string): string {
  const abs = resolve(p);
  const rest: string[] = [];
  for (let d = abs; ; d = dirname(d)) {
    try {
      return join(realpathSync(d), ...rest.reverse());
    } catch {
      if (dirname(d) === d) return abs;
      rest.push(basename(d));
    }
  }
}

export function isInside(p: string, dir: string): boolean {
  const r = relative(dir, p);
  return r === '' || (!r.startsWith(`..${sep}`) && r !== '..' && !r.startsWith(sep) && !/^[a-zA-Z]:/.test(r));
}

export interface Guarded {
  path: string;
  /** "the project being converted", "the top of its git work tree", … */
  what: string;
  /** Also refuse any path inside it (the git directory). */
  whole?: boolean;
}

/**
 * Why `out` may not hold an output (undefined: it may): it is, or contains, one of `guarded`,
 * or lies inside a guarded path that is `whole`. An output inside the project is fine; its
 * folder still has to be new or provably memdesc's (outState).
 */
export function guardedClash(out: string, guarded: Guarded[]): string | undefined {
  const o = realPath(out);
  const real = guarded.map((g) => [g, realPath(g.path)] as const);
  // "is" before "contains": the work tree top contains the project, but is the top.
  for (const [g, gp] of real) if (o === gp) return `is ${g.what} (${g.path})`;
  for (const [g, gp] of real) {
    if (isInside(gp, o)) return `contains ${g.what} (${g.path})`;
    if (g.whole && isInside(o, gp)) return `is inside ${g.what} (${g.path})`;
  }
  return undefined;
}

/** The nearest existing ancestor of `p` must be a directory (the output's parents are made at the end). */
export function parentProblem(p: string): string | undefined {
  for (let d = dirname(resolve(p)); ; d = dirname(d)) {
    if (existsSync(d)) return statSync(d).isDirectory() ? undefined : `${d} is not a directory`;
    if (dirname(d) === d) return undefined;
  }
}

/**
 * Is `file` one memdesc wrote, unchanged since: listed with its content by the marker of its own
 * folder (start's output folder), or by the marker of `companionOf` (a series output folder
 * whose cover letter was written elsewhere)?
 */
export function provenFile(file: string, companionOf?: string): boolean {
  const f = resolve(file);
  for (const dir of [dirname(f), ...(companionOf !== undefined ? [resolve(companionOf)] : [])]) {
    const m = readMarker(dir);
    if (m && !('foreign' in m) && ownsFile(dir, m, relative(dir, f).split(sep).join('/'))) return true;
  }
  return false;
}
