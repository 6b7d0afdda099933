/**
 * Per-file analysis cache of the history walk.
 *
 * A file's findings depend on (1) its own text and path, (2) every file in its import closure
 * (the types it resolves, the wrappers it calls, the callees whose returns provenance follows;
 * global script files are in every closure), (3) the call sites of the functions whose
 * parameters provenance traced back to their callers (the analyzer reports those names per
 * file), with those callers' own closures, and (4) the spec, the tool and the project's
 * configuration. The key is (1)+(2)+(4); (3) is only known after an analysis, so an entry
 * records the names and a signature of their call sites, and is reused only while that
 * signature is unchanged (a verifying trace: every input the analysis read is compared).
 *
 * Entries live in memory for one walk and on disk in the user's cache folder (track.ts passes
 * userCacheDir('track'): $MEMDESC_CACHE_DIR/track, else $XDG_CACHE_HOME/memdesc/track, else
 * ~/.cache/memdesc/track), never in the repository: one JSON file per key (its variants by
 * caller signature) with a checksum; anything unreadable, mismatched or malformed is discarded.
 * Keys hold the absolute file names and blob ids of the whole closure, so one folder serves
 * every repository: two clones never share entries, a new history at an old path reuses only
 * what has the same contents. Each write is a temp file renamed into place, so a reader (another
 * track at the same time) sees a whole entry or none; a torn file after a crash fails its
 * checksum. A folder that cannot be written only costs time: the walk goes on in memory and
 * `problem` says why, for the CLI to print once.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ts } from '@ts-morph/common';
import { calleeName } from '../analyzers/ast.ts';
import { ImportGraph } from '../analyzers/imports.ts';
import { isProjectFile } from '../analyzers/project.ts';
import type { Finding, Residue } from '../model/findings.ts';
import { sha1, type CommitProgram } from './program.ts';
import type { Shapes } from './shape.ts';

export interface FileEntry {
  v: 1;
  key: string;
  /** Path relative to the project root. */
  file: string;
  /** Functions whose call sites the file's classification read. */
  callers: string[];
  /** Signature of those call sites when the entry was made. */
  callerSig: string;
  findings: Finding[];
  residue: Residue[];
}

const calleeNamesOf = new WeakMap<ts.SourceFile, Set<string>>();

/** Callee names of every call in `sf` (syntax only, like the finder's call index). */
function calleeNames(sf: ts.SourceFile): Set<string> {
  let names = calleeNamesOf.get(sf);
  if (names) return names;
  names = new Set();
  const visit = (n: ts.Node): void => {
    if (ts.isCallExpression(n)) {
      const name = calleeName(n);
      if (name !== undefined) names!.add(name);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  calleeNamesOf.set(sf, names);
  return names;
}

/** The keys of one commit's files. */
export class CommitKeys {
  /** The files the analyzer reports on (the project's own sources). */
  readonly files: ts.SourceFile[];
  private base: string;
  private closureHashes = new Map<ts.SourceFile, string>();
  private callerSigs = new Map<string, string>();
  private graph: ImportGraph;
  /** What every closure holds: the global files and everything they import, and its hash. */
  private globals: { files: Set<ts.SourceFile>; hash: string } | undefined;

  /** `salt`: the tool's and the spec's hash; `shapes`: the walk's dependency shapes (same spec). */
  constructor(private cp: CommitProgram, salt: string, private shapes: Shapes) {
    const { program, root } = cp;
    this.files = program.getSourceFiles().filter((sf) => !sf.isDeclarationFile && isProjectFile(root, sf.fileName));
    this.base = sha1(`${salt}\n${cp.inputs.join('\n')}`);
    this.graph = new ImportGraph(program);
  }

  rel(sf: ts.SourceFile): string {
    return relative(this.cp.root, sf.fileName).split('\\').join('/');
  }

  /**
   * What another file's analysis can see of `d` (shape.ts): its shape when it has one, else its
   * content id. The module format (ESM/CJS, from package.json files) changes how a file is checked.
   */
  private part(d: ts.SourceFile): string {
    const id = this.cp.ids.get(d.fileName) ?? '?';
    const shape = id === 'lib' || id.startsWith('disk:') ? undefined : this.shapes.of(d);
    return `${d.fileName}\0${shape ? `shape ${shape}` : id}\0${d.impliedNodeFormat ?? ''}`;
  }

  private globalPart(): { files: Set<ts.SourceFile>; hash: string } {
    if (!this.globals) {
      const files = this.graph.closure([]);
      this.globals = { files, hash: sha1([...files].map((d) => this.part(d)).sort().join('\n')) };
    }
    return this.globals;
  }

  /**
   * Hash of the shapes of `sf`'s import closure (itself and the global files included): all
   * that `sf`'s own text does not already say about its findings.
   */
  closureHash(sf: ts.SourceFile): string {
    let h = this.closureHashes.get(sf);
    if (h === undefined) {
      const g = this.globalPart();
      const parts: string[] = [];
      const seen = new Set<ts.SourceFile>();
      const stack = [sf];
      while (stack.length > 0) {
        const d = stack.pop()!;
        if (seen.has(d) || g.files.has(d)) continue;
        seen.add(d);
        parts.push(this.part(d));
        for (const x of this.graph.direct(d)) if (!seen.has(x)) stack.push(x);
      }
      h = sha1(`${g.hash}\n${parts.sort().join('\n')}`);
      this.closureHashes.set(sf, h);
    }
    return h;
  }

  /** A file's own text (its findings' positions and quotes) and the shapes of what it imports. */
  key(sf: ts.SourceFile): string {
    return sha1(`${this.base}\n${this.rel(sf)}\n${this.cp.ids.get(sf.fileName) ?? '?'}\n${this.closureHash(sf)}`);
  }

  /** Every file calling one of `names` (by callee name, as the analyzer indexes calls), with its closure. */
  callerSig(names: readonly string[]): string {
    if (names.length === 0) return '';
    const memo = names.join('\0');
    let sig = this.callerSigs.get(memo);
    if (sig !== undefined) return sig;
    const parts: string[] = [];
    for (const n of [...names].sort()) {
      parts.push(`#${n}`);
      // 'name:N' / 'file:REL' / 'file:*' (src/analyzers/provenance.ts): the closures of the files
      // mentioning N, of one file, of every file.
      if (n.startsWith('name:')) {
        const re = new RegExp(`\\b${n.slice(5).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`);
        for (const sf of this.files) if (re.test(sf.text)) parts.push(`${this.rel(sf)}\0${this.closureHash(sf)}`);
        continue;
      }
      if (n.startsWith('file:')) {
        for (const sf of this.files) if (n === 'file:*' || this.rel(sf) === n.slice(5)) parts.push(`${this.rel(sf)}\0${this.closureHash(sf)}`);
        continue;
      }
      for (const sf of this.files) if (calleeNames(sf).has(n)) parts.push(`${this.rel(sf)}\0${this.closureHash(sf)}`);
    }
    sig = sha1(parts.join('\n'));
    this.callerSigs.set(memo, sig);
    return sig;
  }
}

export interface CacheStats {
  memoryHits: number;
  diskHits: number;
  misses: number;
  /** Disk entries thrown away as unreadable or inconsistent. */
  discarded: number;
}

function isSite(x: unknown): boolean {
  const s = x as { file?: unknown; line?: unknown; column?: unknown };
  return !!s && typeof s.file === 'string' && typeof s.line === 'number' && typeof s.column === 'number';
}

function validEntry(e: unknown, key: string): e is FileEntry {
  const x = e as FileEntry;
  return !!x && x.v === 1 && x.key === key && typeof x.file === 'string' && typeof x.callerSig === 'string' &&
    Array.isArray(x.callers) && x.callers.every((c) => typeof c === 'string') &&
    Array.isArray(x.findings) && x.findings.every((f) => isSite(f) && f.file === x.file && typeof f.kind === 'string' &&
      typeof f.field === 'string' && typeof f.converted === 'boolean' && Array.isArray(f.evidence)) &&
    Array.isArray(x.residue) && x.residue.every((r) => isSite(r) && r.file === x.file && typeof r.reason === 'string');
}

/** Variants kept per key (the same file under different callers), newest first. */
const MAX_VARIANTS = 8;

export class TrackCache {
  private mem = new Map<string, FileEntry[]>();
  readonly stats: CacheStats = { memoryHits: 0, diskHits: 0, misses: 0, discarded: 0 };

  /** Why the disk cache stopped being written (the first failure), if it did. */
  problem: string | undefined;
  private writable: boolean;

  /** `dir`: on-disk cache directory, or undefined for memory only. */
  constructor(private dir?: string) {
    this.writable = dir !== undefined;
  }

  private pathOf(key: string): string {
    return join(this.dir!, key.slice(0, 2), `${key}.json`);
  }

  /**
   * The entry for `key` whose caller signature still holds (`sig` computes it for an entry's
   * names). A key has several entries when the same file was analyzed under different callers.
   */
  get(key: string, sig: (names: readonly string[]) => string): FileEntry | undefined {
    const pick = (list: FileEntry[] | undefined): FileEntry | undefined => list?.find((e) => e.callerSig === sig(e.callers));
    const m = pick(this.mem.get(key));
    if (m) {
      this.stats.memoryHits++;
      return m;
    }
    if (this.dir) {
      const list = this.readDisk(key);
      const d = pick(list);
      if (d) {
        this.mem.set(key, list);
        this.stats.diskHits++;
        return d;
      }
    }
    this.stats.misses++;
    return undefined;
  }

  private readDisk(key: string): FileEntry[] {
    const p = this.pathOf(key);
    let text: string;
    try {
      text = readFileSync(p, 'utf8');
    } catch {
      return [];
    }
    try {
      const { sum, variants } = JSON.parse(text) as { sum?: unknown; variants?: unknown };
      if (sum === sha1(JSON.stringify(variants)) && Array.isArray(variants) && variants.every((v) => validEntry(v, key))) return variants as FileEntry[];
    } catch {
      // fall through: discard
    }
    this.stats.discarded++;
    try {
      unlinkSync(p);
    } catch {
      // already gone
    }
    return [];
  }

  put(entry: FileEntry): void {
    const old = this.mem.get(entry.key) ?? (this.dir ? this.readDisk(entry.key) : []);
    const variants = [entry, ...old.filter((e) => e.callerSig !== entry.callerSig || e.callers.join() !== entry.callers.join())].slice(0, MAX_VARIANTS);
    this.mem.set(entry.key, variants);
    if (!this.dir || !this.writable) return;
    const p = this.pathOf(entry.key);
    // Temp file + rename: a reader never sees half an entry. The name is unique per writer
    // (pid and random part), so two tracks never write the same temp file.
    const tmp = `${p}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      mkdirSync(join(this.dir, entry.key.slice(0, 2)), { recursive: true });
      const json = JSON.stringify(variants);
      writeFileSync(tmp, `{"sum":${JSON.stringify(sha1(json))},"variants":${json}}`);
      renameSync(tmp, p);
    } catch (e) {
      // A cache that cannot be written only costs time: stop trying, say why once.
      this.writable = false;
      this.problem = `cannot write the track cache in ${this.dir} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): ` +
        'this run keeps its results in memory only; set MEMDESC_CACHE_DIR to a writable folder';
      try {
        unlinkSync(tmp);
      } catch {
        // never created
      }
    }
  }
}
