/**
 * What `memdesc plan import` (and `--plan` of status and track) reads, unpacked into documents:
 * a mail, an mbox, a saved page. A series reaches a developer in many wrappings — lore's
 * `t.mbox.gz`, a pipermail month as `.txt.gz`, a folder of `git format-patch` or `b4 am` output,
 * a maildir, a tarball or zip of any of these — so the input is unwrapped by what its bytes are
 * (magic numbers, not file names): gzip, tar and zip to any nesting up to MAX_DEPTH, folders
 * recursively. Compressions Node cannot decode (xz, bzip2, zstd, 7z, rar) are refused with the
 * command that unpacks them.
 *
 * Inside a folder or archive, hidden entries (`.git/`, macOS `__MACOSX/` forks) are skipped and
 * the rest come in natural name order (0001-… before 0010-…; a maildir's names are times), each
 * a document of its own so that each keeps its own charset.
 */
import { lstatSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { InputError } from '../errors.ts';

export interface PlanDocument {
  /** Where it came from: the path given, then `/`-joined entry names inside folders and archives. */
  name: string;
  bytes: Uint8Array;
  /** Inside a folder or archive: one of many, so a binary one is skipped rather than refused. */
  member: boolean;
}

/** Folders and archives inside archives, at most this deep (a nesting bomb stops here). */
const MAX_DEPTH = 6;
/** Bytes unpacked in all, at most: a cover letter thread is kilobytes; a zip bomb is not read. */
const MAX_BYTES = 512 * 1024 * 1024;

type Container = 'gzip' | 'tar' | 'zip';

const requireModule = createRequire(import.meta.url);

/** Compressions and archives recognised but not unpacked: the command that does it. */
const FOREIGN: Array<{ magic: number[]; what: string; unpack: string }> = [
  { magic: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], what: 'xz', unpack: 'xz -dk FILE' },
  { magic: [0x42, 0x5a, 0x68], what: 'bzip2', unpack: 'bunzip2 -k FILE' },
  { magic: [0x28, 0xb5, 0x2f, 0xfd], what: 'zstd', unpack: 'zstd -d FILE' },
  { magic: [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], what: '7z', unpack: '7z x FILE' },
  { magic: [0x52, 0x61, 0x72, 0x21, 0x1a, 0x07], what: 'rar', unpack: 'unrar x FILE' },
  { magic: [0x5d, 0x00, 0x00], what: 'lzma', unpack: 'unlzma -k FILE' },
];

function startsWith(b: Uint8Array, magic: number[], at = 0): boolean {
  if (b.length < at + magic.length) return false;
  for (let i = 0; i < magic.length; i++) if (b[at + i] !== magic[i]) return false;
  return true;
}

/** The container the bytes are, by their magic number (tar: "ustar" at 257 and a valid checksum). */
function containerOf(b: Uint8Array): Container | undefined {
  if (startsWith(b, [0x1f, 0x8b])) return 'gzip';
  if (startsWith(b, [0x50, 0x4b, 0x03, 0x04]) || startsWith(b, [0x50, 0x4b, 0x05, 0x06])) return 'zip';
  if (startsWith(b, [0x75, 0x73, 0x74, 0x61, 0x72], 257) && tarChecksumOk(b)) return 'tar';
  return undefined;
}

/** POSIX tar: the header's bytes summed with the checksum field read as spaces. */
function tarChecksumOk(b: Uint8Array): boolean {
  if (b.length < 512) return false;
  const field = Buffer.from(b.subarray(148, 156)).toString('latin1').replace(/[\0 ]+$/, '').trim();
  if (!/^[0-7]+$/.test(field)) return false;
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : b[i]!;
  return sum === parseInt(field, 8);
}

class Budget {
  used = 0;
  take(n: number, name: string): void {
    this.used += n;
    if (this.used > MAX_BYTES) throw new InputError(`${name}: unpacks to more than ${MAX_BYTES / 1024 / 1024} MiB; expected a patch series cover letter or its thread`);
  }
}

/** The documents in `bytes` (named `name`): itself, or what its containers hold. */
export function documentsOf(bytes: Uint8Array, name: string): PlanDocument[] {
  return unpack(bytes, name, false, 0, new Budget());
}

function unpack(bytes: Uint8Array, name: string, member: boolean, depth: number, budget: Budget): PlanDocument[] {
  const kind = containerOf(bytes);
  if (!kind) {
    const foreign = FOREIGN.find((f) => startsWith(bytes, f.magic));
    if (foreign && !(foreign.what === 'lzma' && !/\.lzma$/i.test(name))) {
      if (member) return [];
      throw new InputError(`${name}: ${foreign.what} data, which memdesc does not unpack; unpack it first (${foreign.unpack.replace('FILE', name)}) and import what it holds`);
    }
    return [{ name, bytes, member }];
  }
  if (depth >= MAX_DEPTH) throw new InputError(`${name}: archives nested more than ${MAX_DEPTH} deep`);
  if (kind === 'gzip') {
    let out: Buffer;
    try {
      out = gunzipSync(bytes, { maxOutputLength: MAX_BYTES - budget.used + 1 });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ERR_BUFFER_TOO_LARGE' || /Cannot create a Buffer larger/.test((e as Error).message)) budget.take(MAX_BYTES + 1, name);
      throw new InputError(`${name}: damaged gzip data (${(e as Error).message})`);
    }
    budget.take(out.length, name);
    return unpack(out, name.replace(/\.(?:t?gz|z)$/i, (m) => (m.toLowerCase() === '.tgz' ? '.tar' : '')), member, depth + 1, budget);
  }
  const entries = kind === 'tar' ? tarEntries(bytes, name, budget) : zipEntries(bytes, name, budget);
  return membersOf(entries.map((e) => ({ path: e.path, load: () => e.bytes })), name, depth, budget);
}

interface Entry {
  /** Relative path inside the container, `/`-separated. */
  path: string;
  load: () => Uint8Array;
}

/** Hidden files and folders, and the resource forks macOS puts in zips. */
function skipped(path: string): boolean {
  return path.split('/').some((seg) => seg.startsWith('.') || seg === '__MACOSX');
}

const NATURAL = new Intl.Collator('en', { numeric: true });

function membersOf(entries: Entry[], container: string, depth: number, budget: Budget): PlanDocument[] {
  const out: PlanDocument[] = [];
  const kept = entries.filter((e) => e.path !== '' && !skipped(e.path));
  kept.sort((a, b) => NATURAL.compare(a.path, b.path));
  for (const e of kept) out.push(...unpack(e.load(), `${container}/${e.path}`, true, depth + 1, budget));
  return out;
}

function tarEntries(bytes: Uint8Array, name: string, budget: Budget): Array<{ path: string; bytes: Uint8Array }> {
  // Loaded on first use, as the other decoders: no start-up cost for commands that never unpack.
  const { parseTar } = requireModule('nanotar') as typeof import('nanotar');
  let files: ReturnType<typeof parseTar>;
  try {
    // A copy with a buffer of its own: the parser reads the whole ArrayBuffer behind a view.
    files = parseTar(new Uint8Array(bytes));
  } catch (e) {
    throw new InputError(`${name}: damaged tar archive (${(e as Error).message})`);
  }
  const out: Array<{ path: string; bytes: Uint8Array }> = [];
  for (const f of files) {
    if (f.type !== 'file' && f.type !== 'contiguousFile') continue;
    budget.take(f.size, name);
    out.push({ path: f.name.replace(/^\.?\/+/, ''), bytes: ('data' in f ? f.data : undefined) ?? new Uint8Array() });
  }
  return out;
}

function zipEntries(bytes: Uint8Array, name: string, budget: Budget): Array<{ path: string; bytes: Uint8Array }> {
  const { unzipSync } = requireModule('fflate') as typeof import('fflate');
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes, {
      filter: (f) => {
        if (f.name.endsWith('/')) return false;
        budget.take(f.originalSize, name);
        return true;
      },
    });
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`${name}: damaged or unsupported zip archive (${(e as Error).message})`);
  }
  return Object.entries(files).map(([path, data]) => ({ path: path.replace(/^\.?\/+/, ''), bytes: data }));
}

/**
 * The documents at `path`: a file's (unpacked as above), or every file's under a folder,
 * recursively (symbolic links to files followed, to folders not: no cycles).
 */
export function readPlanDocuments(path: string): PlanDocument[] {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch (e) {
    throw readError(e, path);
  }
  const budget = new Budget();
  if (!isDir) return unpack(readBytes(path), path, false, 0, budget);
  const entries: Entry[] = [];
  const walk = (dir: string, rel: string): void => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch (e) {
      throw readError(e, dir);
    }
    for (const n of names) {
      const abs = join(dir, n);
      const r = rel === '' ? n : `${rel}/${n}`;
      if (skipped(r)) continue;
      const st = lstatSync(abs);
      if (st.isDirectory()) walk(abs, r);
      else if (st.isFile() || (st.isSymbolicLink() && isFile(abs))) entries.push({ path: r, load: () => readBytes(abs) });
    }
  };
  walk(path, '');
  const docs = membersOf(entries, path.replace(/\/+$/, ''), 0, budget);
  if (docs.length === 0) throw new InputError(`${path}: a folder with no files, expected a patch series cover letter or a folder holding one`);
  return docs;
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

function readBytes(file: string): Uint8Array {
  try {
    return readFileSync(file);
  } catch (e) {
    throw readError(e, file);
  }
}

function readError(e: unknown, file: string): InputError {
  const code = (e as NodeJS.ErrnoException).code;
  return new InputError(code === 'ENOENT' ? `no such file: ${file}` : `cannot read ${file}: ${(e as Error).message}`);
}
