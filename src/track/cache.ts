/**
 * Per-file analysis cache of the history walk.
 *
 * A file's findings depend on (1) its own text and path, (2) the declarations it reaches by
 * name in other files (deps.ts: the units its units mention, transitively, each by its shape;
 * a body-only edit of a function reaches only the files that mention it), (3) facts that flow
 * in from files that need not be reached by name — the call sites of the functions whose
 * parameters the classification traced back to their callers, the files storing into a field
 * it reads back (and every store through a local, parameter or call), the declarations that may
 * mark an exported module variable it reads, every file for value use, the bodies its queries
 * looked into (the analyzer reports these per file as names, `file:`, `name:`, `stored:`,
 * `store:`, `marked:` and `body:` dependencies; a caller or a name is compared by the
 * declarations holding the calls or naming it) — (4) the lines of
 * other files its evidence cites, and (5)
 * the spec, the tool and the project's configuration. The key is (1)+(2)+(5); (3) and (4) are
 * only known after an analysis, so an entry records them and is reused only while their
 * signature is unchanged (a verifying trace: every input the analysis read is compared).
 *
 * One entry per (key, signature), as many as the history needs: a key's index lists the
 * dependency sets its entries were made under (a handful), each entry its own file. Entries live
 * in memory for one walk and on disk in the user's cache folder (track.ts passes
 * userCacheDir('track'): $MEMDESC_CACHE_DIR/track, else $XDG_CACHE_HOME/memdesc/track, else
 * ~/.cache/memdesc/track), never in the repository, each with a checksum; anything unreadable,
 * mismatched or malformed is discarded. Keys hold the absolute file names and blob ids, so one
 * folder serves every repository: two clones never share entries, a new history at an old path
 * reuses only what has the same contents. Each write is a temp file renamed into place, so a
 * reader (another track at the same time) sees a whole entry or none; a torn file after a crash
 * fails its checksum; a lost index update only costs a re-analysis. A walk holds its writes and
 * writes each file once when it ends (`deferWrites`, `flush`; also when it fails, and in batches
 * of a few thousand files on the way, so a walk stopped by a signal keeps most of its work): a
 * key's index in its final state, not once per entry added. The folder is trimmed after
 * each walk (`trim`): files of ours unused for 30 days go, then the least recently used ones
 * while it holds more than 256 MiB (a hit refreshes a file's time). A folder that cannot be
 * written only costs time: the walk goes on in memory and `problem` says why, for the CLI to
 * print once.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ts } from '@ts-morph/common';
import { calleeName } from '../analyzers/ast.ts';
import { isProjectFile } from '../analyzers/project.ts';
import { fileStoreCandidates } from '../analyzers/dataflow.ts';
import { ALL_FILES_DEP, BODY_DEP, DECLARED_DEP, FILE_DEP, MARKED_DEP, NAME_DEP, STORE_DEP, STORED_DEP } from '../analyzers/provenance.ts';
import type { Finding, Residue } from '../model/findings.ts';
import type { ProgressPoint } from '../model/progress.ts';
import { topNames, type DepGraph, type FileUnits, type SpecRoots, type UnitCache, type UnitGraph } from './deps.ts';
import type { MarkSummaries } from './marks.ts';
import { sha1, type CommitProgram } from './program.ts';
import type { Shapes } from './shape.ts';

export interface FileEntry {
  v: 2;
  key: string;
  /** Path relative to the project root. */
  file: string;
  /** Functions whose call sites, files and names whose texts the file's classification read (provenance.ts). */
  callers: string[];
  /** Lines of other files the findings cite (`mm/slub.ts:212`), as `REL:LINE`. */
  cites: string[];
  /** Signature of those callers and cited lines when the entry was made. */
  sig: string;
  findings: Finding[];
  residue: Residue[];
}

/**
 * A whole commit's measurement, keyed by its tree (track.ts `pointKey`): a commit whose tree was
 * measured before, with the same tool, spec and project path, costs one read — while everything
 * the build read outside the tree (`probes`) still reads the same.
 */
export interface PointEntry {
  v: 1;
  key: string;
  /** The point without the commit's own id, subject and date (other commits may share the tree). */
  point: Omit<ProgressPoint, 'commit' | 'subject' | 'date'>;
  probes: string[];
  /**
   * The commit's mark summaries (marks.ts), per file and function: a commit measured again (the
   * newest of a warm walk) needs them for its keys, and they are the tree's like the point.
   */
  summaries?: Array<[string, Array<[string, string]>]>;
  /** Its files' entries (key, signature): the newest commit of a walk that needs no program reads them back. */
  entries?: Array<[string, string]>;
}

/** What an entry's validity depends on beyond its key. */
export interface EntryDeps {
  callers: string[];
  cites: string[];
}

const callSitesOf = new WeakMap<ts.SourceFile, Map<string, Set<string>>>();
// Read once: TypeScript's namespace members are getters on a dictionary-mode object (deps.ts T).
const CALL = ts.SyntaxKind.CallExpression;
const forEachChild = ts.forEachChild;

/**
 * Per callee name (as the finder's call index names calls), the top-level declarations of `sf`
 * holding a call of it, by their first name ('' for a statement that declares none). Syntax only,
 * once per parsed file.
 */
function callSites(sf: ts.SourceFile): Map<string, Set<string>> {
  let sites = callSitesOf.get(sf);
  if (sites) return sites;
  const out = new Map<string, Set<string>>();
  for (const st of sf.statements) {
    const holder = topNames(st)[0] ?? '';
    const visit = (n: ts.Node): void => {
      if (n.kind === CALL) {
        const name = calleeName(n as ts.CallExpression);
        if (name !== undefined) {
          const l = out.get(name);
          if (l) l.add(holder);
          else out.set(name, new Set([holder]));
        }
      }
      forEachChild(n, visit);
    };
    visit(st);
  }
  sites = out;
  callSitesOf.set(sf, sites);
  return sites;
}

const storeShapes = new WeakMap<ts.SourceFile, { key: string; shape: string }>();

/**
 * The stores a file holds, by syntax (dataflow.ts store candidates: container and value as
 * written, and the declaration holding each), without positions: once per parsed file.
 */
function storeShape(sf: ts.SourceFile, embedded: { names: ReadonlySet<string>; key: string }): string {
  const hit = storeShapes.get(sf);
  if (hit?.key === embedded.key) return hit.shape;
  const parts: string[] = [];
  for (const { name, c } of fileStoreCandidates(sf, embedded)) {
    let st: ts.Node = c.at;
    while (st.parent && !ts.isSourceFile(st.parent)) st = st.parent;
    const holder = ts.isSourceFile(st.parent) ? topNames(st as ts.Statement)[0] ?? '' : '';
    parts.push(`${name}\0${holder}\0${c.container.getText(sf)}\0${c.value.getText(sf)}\0${c.mustBePage}\0${c.listNode?.getText(sf) ?? ''}`);
  }
  const shape = sha1(parts.join('\n'));
  storeShapes.set(sf, { key: embedded.key, shape });
  return shape;
}

/** dataflow.ts: the bucket of store candidates whose container is named through a local, a parameter or a call. */
const INDIRECT = '\0indirect';

const holdersOf = new WeakMap<ts.SourceFile, { key: string; byWord: Map<string, Set<string>> }>();

/** The top-level declarations of `sf` (by first name, '' for none) holding a store candidate named `word` or an indirect one. */
function storeHolders(sf: ts.SourceFile, embedded: { names: ReadonlySet<string>; key: string }, word: string): Set<string> {
  // Syntax only: once per parsed file and word.
  let memo = holdersOf.get(sf);
  if (memo?.key !== embedded.key) holdersOf.set(sf, memo = { key: embedded.key, byWord: new Map() });
  let out = memo.byWord.get(word);
  if (!out) memo.byWord.set(word, out = storeHoldersOf(sf, embedded, word));
  return out;
}

function storeHoldersOf(sf: ts.SourceFile, embedded: { names: ReadonlySet<string>; key: string }, word: string): Set<string> {
  const out = new Set<string>();
  for (const { name, c } of fileStoreCandidates(sf, embedded)) {
    if (name !== word && name !== INDIRECT) continue;
    let st: ts.Node = c.at;
    while (st.parent && !ts.isSourceFile(st.parent)) st = st.parent;
    out.add(ts.isSourceFile(st.parent) ? topNames(st as ts.Statement)[0] ?? '' : '');
  }
  return out;
}

const wordsOf = new WeakMap<ts.SourceFile, Map<string, boolean>>();
const runsOf = new WeakMap<ts.SourceFile, Set<string>>();
const WORD_CHARS = /^\w+$/;

/** Does `sf`'s text mention `word` (as a whole word, comments included)? Once per file and word. */
export function mentionsWord(sf: ts.SourceFile, word: string): boolean {
  if (WORD_CHARS.test(word)) {
    // `\bWORD\b` for a word of \w characters only: WORD is one of the text's maximal runs of
    // them. The runs are listed once per file (a new file version is asked every word of the
    // commit's dependencies: one scan instead of a regular expression per word).
    let runs = runsOf.get(sf);
    if (!runs) runsOf.set(sf, runs = new Set(sf.text.match(/\w+/g) ?? []));
    return runs.has(word);
  }
  let m = wordsOf.get(sf);
  if (!m) {
    m = new Map();
    wordsOf.set(sf, m);
  }
  let r = m.get(word);
  if (r === undefined) {
    r = new RegExp(`\\b${word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`).test(sf.text);
    m.set(word, r);
  }
  return r;
}

const CITE = /([\w.@$\-/]+\.(?:[cm]?[jt]sx?|json)):(\d+)/g;

const citedOf = new WeakMap<FileUnits, Map<string, string>>();

/**
 * What citation `cite` (0-based `line`) shows of a file with units `u`: every unit of the line (an
 * import or export statement is one unit per name), where it starts and its shape. Once per file
 * version and citation: a walk asks a file's citations again every commit.
 */
function citedLine(u: FileUnits, cite: string, line: number): string {
  let m = citedOf.get(u);
  if (!m) citedOf.set(u, m = new Map());
  let part = m.get(cite);
  if (part === undefined) {
    const at = u.units.filter((x) => x.startLine <= line && line <= x.endLine);
    part = `${cite} ${at.length > 0 ? at.map((unit) => `${unit.startLine} ${unit.hash} ${unit.body ?? ''}`).join(' ') : `outside ${u.file}`}`;
    m.set(cite, part);
  }
  return part;
}

/**
 * Dependency parts carried from one measured commit to the next (CommitKeys.namePart): a part of
 * a name's callers (`f`), of `name:`, `stored:` or `file:` is a function of the files it looked
 * at — each file's parsed version (what it calls and mentions, its stores) and what its units
 * reach (its file hash) — and of the commit's top-level effects or indirect stores. So it holds
 * in the next commit while each file it took a part from is there, in the same order, with the
 * same file hash, the global part is the same, and no file new in that commit would add a part.
 */
export class PartMemo {
  /** The files of the last commit whose keys were made. */
  files: ReadonlySet<ts.SourceFile> = new Set();
  gen = 0;
  readonly parts = new Map<string, { part: string; gen: number; from: Array<{ sf: ts.SourceFile; hash: string }>; global: string }>();
}

const indirectOf = new WeakMap<ts.SourceFile, { key: string; holders: Set<string>; texts: string[] }>();

/**
 * `sf`'s stores whose container is named through a local, a parameter or a call: the top-level
 * declarations holding them and each store's text (CommitKeys.indirectPart). Syntax only: once
 * per parsed file.
 */
function indirectStores(sf: ts.SourceFile, embedded: { names: ReadonlySet<string>; key: string }): { holders: Set<string>; texts: string[] } {
  const hit = indirectOf.get(sf);
  if (hit?.key === embedded.key) return hit;
  const holders = new Set<string>();
  const texts: string[] = [];
  for (const { name, c } of fileStoreCandidates(sf, embedded)) {
    if (name !== INDIRECT) continue;
    let st: ts.Node = c.at;
    while (st.parent && !ts.isSourceFile(st.parent)) st = st.parent;
    holders.add(ts.isSourceFile(st.parent) ? topNames(st as ts.Statement)[0] ?? '' : '');
    texts.push(`${c.container.getText(sf)}\0${c.value.getText(sf)}\0${c.mustBePage}\0${c.listNode?.getText(sf) ?? ''}`);
  }
  const out = { key: embedded.key, holders, texts };
  indirectOf.set(sf, out);
  return out;
}

/** The keys of one commit's files. */
export class CommitKeys {
  /** The files the analyzer reports on (the project's own sources). */
  readonly files: ts.SourceFile[];
  private base: string;
  private graph: UnitGraph;
  /** By list (TrackCache hands out one array per distinct list): a key's lists are asked once per commit each. */
  private callerSigs = new Map<readonly string[], string>();
  private byRel = new Map<string, ts.SourceFile>();

  /**
   * `salt`: the tool's and the spec's hash; `shapes`: whole-file shapes, `units`: declaration
   * units (same spec), `graph`: the walk's unit graph; `rootNames`: what the spec names (reached by every file);
   * `summaries`: the commit's mark summaries (marks.ts), when the pass could run; `embedded`: the
   * spec's embedded fields (dataflow.ts embeddedFields: which calls store a page into a list).
   */
  constructor(private cp: CommitProgram, salt: string, private shapes: Shapes, private units: UnitCache, graph: DepGraph, rootNames: SpecRoots,
    summaries?: MarkSummaries, private embedded: { names: ReadonlySet<string>; key: string } = { names: new Set(), key: '' }, memo?: PartMemo) {
    const { program, root } = cp;
    this.files = program.getSourceFiles().filter((sf) => !sf.isDeclarationFile && isProjectFile(root, sf.fileName));
    if (memo) {
      // Parts made or checked in the commit before may hold here (namePart); the files new since decide.
      this.memo = { m: memo, gen: ++memo.gen, fresh: this.files.filter((sf) => !memo.files.has(sf)), at: new Map(this.files.map((sf, i) => [sf, i])) };
      memo.files = new Set(this.files);
      // A part not asked in the commit before never holds again: let its files' old versions go.
      for (const [n, e] of memo.parts) if (e.gen < memo.gen - 1) memo.parts.delete(n);
    }
    // Lib files and files read from disk (node_modules) are part of every key by their content id;
    // every file of the commit's tree is cut into units.
    const outside: string[] = [];
    const inTree: Array<{ sf: ts.SourceFile; rel: string; id: string; units: ReturnType<UnitCache['of']> }> = [];
    for (const sf of program.getSourceFiles()) {
      const id = cp.ids.get(sf.fileName) ?? '?';
      if (id === 'lib' || id === '?' || id.startsWith('disk:')) {
        outside.push(`${sf.fileName}\0${id}\0${sf.impliedNodeFormat ?? ''}`);
        continue;
      }
      const rel = this.rel(sf);
      this.byRel.set(rel, sf);
      inTree.push({ sf, rel, id, units: units.of(sf) });
    }
    this.graph = graph.commit(inTree, rootNames, summaries);
    this.base = sha1(`${salt}\n${cp.inputs.join('\n')}\n${outside.sort().join('\n')}`);
  }

  private rels = new Map<ts.SourceFile, string>();

  rel(sf: ts.SourceFile): string {
    let r = this.rels.get(sf);
    if (r === undefined) {
      r = relative(this.cp.root, sf.fileName).split('\\').join('/');
      this.rels.set(sf, r);
    }
    return r;
  }

  /** A file's own text (its findings' positions and quotes) and what it reaches by name. */
  key(sf: ts.SourceFile): string {
    return sha1(`${this.base}\n${this.rel(sf)}\n${this.cp.ids.get(sf.fileName) ?? '?'}\n${sf.impliedNodeFormat ?? ''}\n${this.graph.fileHash(sf)}`);
  }

  /** What another file's classification reads of `sf` as a caller or storer: its shape (positions included) and what it reaches. */
  private asCaller(sf: ts.SourceFile): string {
    let p = this.callerParts.get(sf);
    if (p === undefined) {
      // The units' scan gives the whole shape too (one scan per file, not two).
      const shape = this.units.of(sf)?.shape ?? this.shapes.of(sf);
      p = `${this.rel(sf)}\0${shape ? `shape ${shape}` : this.cp.ids.get(sf.fileName) ?? '?'}\0${this.graph.fileHash(sf)}`;
      this.callerParts.set(sf, p);
    }
    return p;
  }

  private callerParts = new Map<ts.SourceFile, string>();

  /** The declarations of `sf` named `holders` ('' : a statement that declares none, the whole file), each with what it reaches. */
  private holderPart(sf: ts.SourceFile, holders: ReadonlySet<string>): string {
    const rel = this.rel(sf);
    const out = [rel];
    for (const h of [...holders].sort()) out.push(h === '' ? this.asCaller(sf) : this.graph.bodyPart(rel, h) ?? this.asCaller(sf));
    return out.join('\0');
  }

  /**
   * The declarations of `sf` whose code mentions `word`, each with what it reaches (a file without
   * units: all of it); `holders`: only those declaring one of these names.
   */
  private mentionPart(sf: ts.SourceFile, word: string, holders?: ReadonlySet<string>): string {
    const p = this.graph.mentionPart(this.rel(sf), word, holders);
    return p === undefined ? this.asCaller(sf) : `${this.rel(sf)}\0${p}`;
  }
  private nameParts = new Map<string, string>();
  private memo: { m: PartMemo; gen: number; fresh: ts.SourceFile[]; at: Map<ts.SourceFile, number> } | undefined;

  /** Whether file `sf` gives dependency `n` a part ('name:', 'stored:', 'file:' or a callee name). */
  private contributes(n: string, sf: ts.SourceFile): boolean {
    if (n.startsWith(NAME_DEP)) return mentionsWord(sf, n.slice(NAME_DEP.length));
    if (n.startsWith(STORED_DEP)) {
      const word = n.slice(STORED_DEP.length);
      return mentionsWord(sf, word) && storeHolders(sf, this.embedded, word).size > 0;
    }
    if (n.startsWith(FILE_DEP)) return n === ALL_FILES_DEP || this.rel(sf) === n.slice(FILE_DEP.length);
    return callSites(sf).has(n);
  }

  /** The global part of dependency `n` beyond its files: top-level effects for 'file:', indirect stores for 'stored:'. */
  private globalPart(n: string): string {
    return n.startsWith(FILE_DEP) ? this.graph.effects : n.startsWith(STORED_DEP) ? this.indirectPart() : '';
  }

  /** `n`'s part from the commit before, when it holds in this one (PartMemo). */
  private memoPart(n: string): string | undefined {
    const mm = this.memo;
    const e = mm?.m.parts.get(n);
    if (!mm || !e || e.gen !== mm.gen - 1) return undefined;
    let last = -1;
    for (const { sf, hash } of e.from) {
      const i = mm.at.get(sf);
      if (i === undefined || i <= last || this.graph.fileHash(sf) !== hash) return undefined;
      last = i;
    }
    if (e.global !== this.globalPart(n)) return undefined;
    if (mm.fresh.some((sf) => this.contributes(n, sf))) return undefined;
    e.gen = mm.gen;
    return e.part;
  }

  /** Keep `n`'s part, made from the parts of files `from`, for the next commit. */
  private remember(n: string, part: string, from: ts.SourceFile[]): void {
    if (!this.memo) return;
    this.memo.m.parts.set(n, { part, gen: this.memo.gen, from: from.map((sf) => ({ sf, hash: this.graph.fileHash(sf) })), global: this.globalPart(n) });
  }

  /**
   * One dependency name's part of a signature, once per commit: 'name:N' / 'file:REL' / 'file:*'
   * (src/analyzers/provenance.ts) are the files mentioning N, one file, every file; a plain name
   * the files calling it.
   */
  private namePart(n: string): string {
    let part = this.nameParts.get(n);
    if (part !== undefined) return part;
    const parts = [`#${n}`];
    if (n.startsWith(BODY_DEP)) {
      // A body the analysis looked into: that declaration now, with what it reaches (deps.ts).
      const i = n.lastIndexOf('#');
      const rel = n.slice(BODY_DEP.length, i);
      const sf = this.byRel.get(rel);
      parts.push(sf ? this.graph.bodyPart(rel, n.slice(i + 1)) ?? `id ${this.cp.ids.get(sf.fileName) ?? '?'}` : 'missing');
      part = sha1(parts.join('\n'));
      this.nameParts.set(n, part);
      return part;
    }
    if (n.startsWith(STORE_DEP)) {
      // A declaration storing into a container the analysis read back: that declaration now, with
      // what it reaches, and every store its file holds (a new one in another declaration of the
      // file joins the container too; one in another file names the container: `name:` deps).
      const i = n.lastIndexOf('#');
      const rel = n.slice(STORE_DEP.length, i);
      const sf = this.byRel.get(rel);
      parts.push(sf ? `${this.graph.bodyPart(rel, n.slice(i + 1)) ?? `id ${this.cp.ids.get(sf.fileName) ?? '?'}`}\0${storeShape(sf, this.embedded)}` : 'missing');
      part = sha1(parts.join('\n'));
      this.nameParts.set(n, part);
      return part;
    }
    if (n.startsWith(DECLARED_DEP)) {
      // The top-level declarations matching a glob, in every file, with what they reach (a file
      // declaring none adds nothing: a new or removed one changes no part; one without units declares no function).
      const glob = n.slice(DECLARED_DEP.length);
      for (const sf of this.files) {
        const p = this.graph.declaredPart(this.rel(sf), glob);
        if (p) parts.push(`${this.rel(sf)}\0${p}`);
      }
      part = sha1(parts.join('\n'));
      this.nameParts.set(n, part);
      return part;
    }
    // A whole file's marks may come from top-level code anywhere (deps.ts Unit.effect).
    if (n.startsWith(FILE_DEP)) parts.push(`effects ${this.graph.effects}`);
    if (n.startsWith(STORED_DEP)) parts.push(`indirect ${this.indirectPart()}`);
    if (n.startsWith(MARKED_DEP)) {
      // Where a mark of a module variable so named could be: the declarations naming it, or an
      // import or export alias of it (`import { current as cur }`), each with what it reaches
      // (a call of a function that marks its parameter reaches its summary).
      const words = this.aliasesOf(n.slice(MARKED_DEP.length));
      for (const sf of this.files) {
        for (const w of words) if (mentionsWord(sf, w)) parts.push(this.mentionPart(sf, w));
      }
      part = sha1(parts.join('\n'));
      this.nameParts.set(n, part);
      return part;
    }
    const held = this.memoPart(n);
    if (held !== undefined) {
      this.nameParts.set(n, held);
      return held;
    }
    const from: ts.SourceFile[] = [];
    if (!n.startsWith(NAME_DEP) && !n.startsWith(STORED_DEP) && !n.startsWith(FILE_DEP)) {
      // What the classification read of a caller: the declarations holding its calls, each with
      // what it reaches (its arguments' provenance is the query's own dependencies; a line it
      // cites is checked by the citation). The files calling it, in file order, from the index.
      for (const sf of this.callIndex().get(n) ?? []) {
        parts.push(this.holderPart(sf, callSites(sf).get(n)!));
        from.push(sf);
      }
      part = sha1(parts.join('\n'));
      this.nameParts.set(n, part);
      this.remember(n, part, from);
      return part;
    }
    for (const sf of this.files) {
      if (n.startsWith(NAME_DEP)) {
        // Where a store or a teaching use could be: the declarations whose code names the word.
        const word = n.slice(NAME_DEP.length);
        if (mentionsWord(sf, word)) {
          parts.push(this.mentionPart(sf, word));
          from.push(sf);
        }
      } else if (n.startsWith(STORED_DEP)) {
        // Where a store into a container so named could be: the declarations naming it that hold a
        // store named so or one through a local, parameter or call (dataflow.ts storesOf); a store
        // outside any declaration: every declaration naming it. A store through a local, parameter
        // or call may name it without the word (`items_of(p).push(b)`): every such store of the
        // project, below.
        const word = n.slice(STORED_DEP.length);
        if (!mentionsWord(sf, word)) continue;
        const holders = storeHolders(sf, this.embedded, word);
        if (holders.size > 0) {
          parts.push(this.mentionPart(sf, word, holders.has('') ? undefined : holders));
          from.push(sf);
        }
      } else if (n === ALL_FILES_DEP || this.rel(sf) === n.slice(FILE_DEP.length)) {
        parts.push(this.asCaller(sf));
        from.push(sf);
      }
    }
    part = sha1(parts.join('\n'));
    this.nameParts.set(n, part);
    this.remember(n, part, from);
    return part;
  }

  private calls: Map<string, ts.SourceFile[]> | undefined;

  /** Per callee name, the files calling it (callSites), in file order: once per commit. */
  private callIndex(): Map<string, ts.SourceFile[]> {
    if (this.calls) return this.calls;
    this.calls = new Map();
    for (const sf of this.files) {
      for (const name of callSites(sf).keys()) {
        const l = this.calls.get(name);
        if (l) l.push(sf);
        else this.calls.set(name, [sf]);
      }
    }
    return this.calls;
  }

  private aliases = new Map<string, string[]>();

  /** `name` and the names import and export statements give it, to a fixed point (by units: syntax only); once per commit and name. */
  aliasesOf(name: string): string[] {
    const hit = this.aliases.get(name);
    if (hit) return hit;
    const words = new Set([name]);
    for (let grew = true; grew;) {
      grew = false;
      for (const sf of this.files) {
        if (![...words].some((w) => mentionsWord(sf, w))) continue;
        const u = this.units.of(sf);
        // A file without units is in every key by its content id; its aliases are followed by text below.
        for (const unit of u?.units ?? []) {
          if (!unit.alias || !unit.mentions.some((m) => words.has(m))) continue;
          for (const d of unit.declares) if (!words.has(d)) {
            words.add(d);
            grew = true;
          }
        }
      }
    }
    const out = [...words].sort();
    this.aliases.set(name, out);
    return out;
  }

  private indirect: string | undefined;

  /**
   * The project's stores whose container is named through a local, a parameter or a call
   * (dataflow.ts INDIRECT), once per commit: each with its declaration's own code (not what it
   * reaches). Any of them may store into a container without naming it, so a container's readers
   * depend on all of them: one added, removed or edited anywhere (a new file's
   * `items_of(p).push(b)`) is a different signature. How an unchanged one resolves (the returns
   * it followed, the callers of a parameter) is in the query's own dependencies
   * (dataflow.ts `indirectReads`).
   */
  private indirectPart(): string {
    if (this.indirect !== undefined) return this.indirect;
    const parts: string[] = [];
    for (const sf of this.files) {
      const { holders, texts } = indirectStores(sf, this.embedded);
      if (holders.size === 0) continue;
      const rel = this.rel(sf);
      const own = holders.has('') ? undefined : this.graph.ownPart(rel, holders);
      parts.push(`${rel}\0${texts.join('\0')}\0${own ?? this.asCaller(sf)}`);
    }
    this.indirect = sha1(parts.join('\n'));
    return this.indirect;
  }

  /** Every file calling one of `names` (by callee name, as the analyzer indexes calls), with what it reaches. */
  callerSig(names: readonly string[]): string {
    if (names.length === 0) return '';
    let sig = this.callerSigs.get(names);
    if (sig !== undefined) return sig;
    sig = sha1([...names].sort().map((n) => this.namePart(n)).join('\n'));
    this.callerSigs.set(names, sig);
    return sig;
  }

  /** Lines of other files that `findings`/`residue` of `own` cite. */
  citesOf(own: string, findings: readonly Finding[], residue: readonly Residue[]): string[] {
    const out = new Set<string>();
    const text = JSON.stringify([findings, residue]);
    for (const m of text.matchAll(CITE)) {
      if (m[1] !== own && this.byRel.has(m[1]!)) out.add(`${m[1]}:${m[2]}`);
    }
    return [...out].sort();
  }

  /**
   * What the cited lines show now: the unit holding each (where it starts, its shape), so the
   * citation still names the same code; a file without units by its content id.
   */
  private citeSig(cites: readonly string[]): string {
    const parts: string[] = [];
    for (const c of cites) {
      const i = c.lastIndexOf(':');
      const sf = this.byRel.get(c.slice(0, i));
      if (!sf) {
        parts.push(`${c} missing`);
        continue;
      }
      const u = this.units.of(sf);
      if (!u) {
        parts.push(`${c} id ${this.cp.ids.get(sf.fileName) ?? '?'}`);
        continue;
      }
      parts.push(citedLine(u, c, Number(c.slice(i + 1)) - 1));
    }
    return parts.join('\n');
  }

  /** What one dependency name reads in this commit (why.ts compares it across commits). */
  depPart(name: string): string {
    return this.namePart(name);
  }

  /** What cited lines show in this commit (why.ts). */
  citePart(cites: readonly string[]): string {
    return this.citeSig(cites);
  }

  /** What file `sf` reaches by name in this commit (part of its key; why.ts). */
  reach(sf: ts.SourceFile): string {
    return this.graph.fileHash(sf);
  }

  /** The signature an entry made under `deps` must have to be reused in this commit. */
  sig(deps: EntryDeps): string {
    return sha1(`${this.callerSig(deps.callers)}\n${this.citeSig(deps.cites)}`);
  }
}

export interface CacheStats {
  /** Commits measured from a point entry (no program built). */
  pointHits: number;
  memoryHits: number;
  diskHits: number;
  misses: number;
  /** Disk entries thrown away as unreadable or inconsistent. */
  discarded: number;
  /** CPU milliseconds of the walk by phase (the bench prints them: where a cold walk's time goes). */
  phaseMs: Record<TrackPhase, number>;
  /** Analysis runs (a commit's missed files may take more than one, for value use). */
  analysisRuns: number;
}

/** The phases of a measured commit (CacheStats.phaseMs). */
export type TrackPhase = 'program' | 'marks' | 'keys' | 'lookups' | 'analysis' | 'point' | 'writes';

/** CPU milliseconds spent since `from` (process.cpuUsage()). */
export function cpuMsSince(from: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1000;
}

function isSite(x: unknown): boolean {
  const s = x as { file?: unknown; line?: unknown; column?: unknown };
  return !!s && typeof s.file === 'string' && typeof s.line === 'number' && typeof s.column === 'number';
}

function strings(x: unknown): x is string[] {
  return Array.isArray(x) && x.every((c) => typeof c === 'string');
}

function validEntry(e: unknown, key: string, sig: string): e is FileEntry {
  const x = e as FileEntry;
  return !!x && x.v === 2 && x.key === key && x.sig === sig && typeof x.file === 'string' && strings(x.callers) && strings(x.cites) &&
    Array.isArray(x.findings) && x.findings.every((f) => isSite(f) && f.file === x.file && typeof f.kind === 'string' &&
      typeof f.field === 'string' && typeof f.converted === 'boolean' && Array.isArray(f.evidence)) &&
    Array.isArray(x.residue) && x.residue.every((r) => isSite(r) && r.file === x.file && typeof r.reason === 'string');
}

function validPoint(e: unknown, key: string): e is PointEntry {
  const x = e as PointEntry;
  const p = x?.point as PointEntry['point'] | undefined;
  return !!x && x.v === 1 && x.key === key && strings(x.probes) && !!p && typeof p.kinds === 'object' && p.kinds !== null &&
    typeof p.unknown === 'number' && typeof p.residue === 'number' && typeof p.files === 'number' && p.gap === undefined &&
    (x.summaries === undefined || (Array.isArray(x.summaries) && x.summaries.every((f) => Array.isArray(f) && typeof f[0] === 'string' &&
      Array.isArray(f[1]) && f[1].every((s) => Array.isArray(s) && typeof s[0] === 'string' && typeof s[1] === 'string')))) &&
    (x.entries === undefined || (Array.isArray(x.entries) && x.entries.every((f) => Array.isArray(f) && typeof f[0] === 'string' && typeof f[1] === 'string')));
}

function validDeps(d: unknown): d is EntryDeps[] {
  return Array.isArray(d) && d.every((x) => !!x && strings((x as EntryDeps).callers) && strings((x as EntryDeps).cites));
}

/** Our file names in the cache folder: a key's index, an entry, a temp file. */
const OURS = /^[0-9a-f]{40}(?:-[0-9a-f]{40})?\.json(?:\.\d+\.[0-9a-f]{8}\.tmp)?$/;
const DAY = 24 * 3600 * 1000;

/** Trimming limits (cache.ts header): age of an unused file, size of the whole folder. */
export const TRIM = { maxAgeMs: 30 * DAY, maxBytes: 256 * 1024 * 1024 };

export class TrackCache {
  /** key -> the dependency sets its entries were made under, and the entries by signature. */
  private mem = new Map<string, { deps: EntryDeps[]; entries: Map<string, FileEntry> }>();
  private points = new Map<string, PointEntry>();
  readonly stats: CacheStats = { pointHits: 0, memoryHits: 0, diskHits: 0, misses: 0, discarded: 0, analysisRuns: 0,
    phaseMs: { program: 0, marks: 0, keys: 0, lookups: 0, analysis: 0, point: 0, writes: 0 } };

  /** Why the disk cache stopped being written (the first failure), if it did. */
  problem: string | undefined;
  private writable: boolean;

  /** Writes held for `flush` (path -> body; a later write of a path replaces the earlier one). */
  private pending = new Map<string, unknown>();
  private madeDirs = new Set<string>();

  /**
   * `dir`: on-disk cache directory, or undefined for memory only. `deferWrites`: hold every write
   * until `flush` (a walk writes each file once, its index in its final state, instead of a file
   * and an index per analyzed file as it goes; the walk flushes even when it fails).
   */
  constructor(private dir?: string, private opts: { deferWrites?: boolean } = {}) {
    this.writable = dir !== undefined;
  }

  /** How many files `deferWrites` holds back. */
  get pendingWrites(): number {
    return this.pending.size;
  }

  /** Write what `deferWrites` held back. */
  flush(): void {
    const pending = [...this.pending];
    this.pending.clear();
    for (const [p, body] of pending) this.writeNow(p, body);
  }

  private pathOf(key: string, sig?: string): string {
    return join(this.dir!, key.slice(0, 2), sig === undefined ? `${key}.json` : `${key}-${sig}.json`);
  }

  /**
   * Dependency lists by content, one array each: every commit asks each key's lists again, and
   * CommitKeys keeps a list's signature by the array (no joining of long lists per lookup).
   */
  private lists = new Map<string, string[]>();

  private shared(deps: EntryDeps): EntryDeps {
    return { callers: this.list(deps.callers), cites: this.list(deps.cites) };
  }

  private list(l: string[]): string[] {
    const k = JSON.stringify(l);
    let hit = this.lists.get(k);
    if (!hit) this.lists.set(k, hit = l);
    return hit;
  }

  private slot(key: string): { deps: EntryDeps[]; entries: Map<string, FileEntry> } {
    let m = this.mem.get(key);
    if (!m) {
      m = { deps: this.dir ? this.readIndex(key).map((d) => this.shared(d)) : [], entries: new Map() };
      this.mem.set(key, m);
    }
    return m;
  }

  /**
   * The entry for `key` made under dependencies that still read the same (`sig` computes their
   * signature in this commit). A key has several entries when the same file was analyzed under
   * different callers or cited lines.
   */
  get(key: string, sig: (deps: EntryDeps) => string): FileEntry | undefined {
    const m = this.slot(key);
    for (const d of m.deps) {
      const s = sig(d);
      const e = m.entries.get(s);
      if (e) {
        this.stats.memoryHits++;
        return e;
      }
      if (!this.dir) continue;
      const disk = this.readEntry(key, s);
      if (disk) {
        m.entries.set(s, disk);
        this.stats.diskHits++;
        return disk;
      }
    }
    this.stats.misses++;
    return undefined;
  }

  /** The entry made under `key` with signature `sig` (a point entry's list), from memory or disk. */
  entry(key: string, sig: string): FileEntry | undefined {
    const m = this.slot(key);
    let e = m.entries.get(sig);
    if (!e && this.dir) {
      e = this.readEntry(key, sig);
      if (e) m.entries.set(sig, e);
    }
    return e;
  }

  /** The point entry of `key`, from memory or disk; its probes are for the caller to check. */
  getPoint(key: string): PointEntry | undefined {
    let e = this.points.get(key);
    if (!e && this.dir) {
      e = this.readChecked(this.pathOf(key), (b) => validPoint(b, key)) as PointEntry | undefined;
      if (e) this.points.set(key, e);
    }
    return e;
  }

  putPoint(entry: PointEntry): void {
    this.points.set(entry.key, entry);
    if (this.dir && this.writable) this.write(this.pathOf(entry.key), entry);
  }

  /** Read a checksummed file; undefined (and the file discarded) when it is not whole or not ours. */
  private readChecked(p: string, valid: (body: unknown) => boolean): unknown {
    // Most asks of a cold walk find no file: asked without a thrown error (its stack) each time.
    if (!existsSync(p)) return undefined;
    let text: string;
    try {
      text = readFileSync(p, 'utf8');
    } catch {
      return undefined;
    }
    try {
      const { sum, body } = JSON.parse(text) as { sum?: unknown; body?: unknown };
      if (sum === sha1(JSON.stringify(body)) && valid(body)) {
        // Used: younger for the trim.
        try {
          const now = new Date();
          utimesSync(p, now, now);
        } catch {
          // a read-only cache is still a cache
        }
        return body;
      }
    } catch {
      // fall through: discard
    }
    this.stats.discarded++;
    try {
      unlinkSync(p);
    } catch {
      // already gone
    }
    return undefined;
  }

  private readIndex(key: string): EntryDeps[] {
    return (this.readChecked(this.pathOf(key), validDeps) as EntryDeps[] | undefined) ?? [];
  }

  private readEntry(key: string, sig: string): FileEntry | undefined {
    return this.readChecked(this.pathOf(key, sig), (b) => validEntry(b, key, sig)) as FileEntry | undefined;
  }

  put(entry: FileEntry): void {
    const m = this.slot(entry.key);
    const deps = this.shared(entry);
    const newDeps = !m.deps.some((d) => d.callers === deps.callers && d.cites === deps.cites);
    if (newDeps) m.deps.unshift(deps);
    m.entries.set(entry.sig, entry);
    if (!this.dir || !this.writable) return;
    this.write(this.pathOf(entry.key, entry.sig), entry);
    if (newDeps) this.write(this.pathOf(entry.key), m.deps);
  }

  private write(p: string, body: unknown): void {
    if (!this.writable) return;
    if (this.opts.deferWrites) this.pending.set(p, body);
    else this.writeNow(p, body);
  }

  private writeNow(p: string, body: unknown): void {
    if (!this.writable) return;
    // Temp file + rename: a reader never sees half a file. The name is unique per writer
    // (pid and random part), so two tracks never write the same temp file.
    const tmp = `${p}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      const d = join(p, '..');
      if (!this.madeDirs.has(d)) {
        mkdirSync(d, { recursive: true });
        this.madeDirs.add(d);
      }
      const json = JSON.stringify(body);
      const text = `{"sum":${JSON.stringify(sha1(json))},"body":${json}}`;
      try {
        writeFileSync(tmp, text);
      } catch (e) {
        // Its folder went meanwhile (another process trimming): made again, once.
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        mkdirSync(d, { recursive: true });
        writeFileSync(tmp, text);
      }
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

  /**
   * Keep the folder bounded: delete our files (index, entries, temp files) unused for
   * `maxAgeMs`, then the least recently used ones while the folder holds more than `maxBytes`.
   * Anything else in the folder is left alone. Returns how many files went.
   */
  trim(limits: { maxAgeMs: number; maxBytes: number } = TRIM, now = Date.now()): number {
    if (!this.dir || !this.writable) return 0;
    const files: Array<{ p: string; t: number; size: number }> = [];
    let subs: string[];
    try {
      subs = readdirSync(this.dir).filter((d) => /^[0-9a-f]{2}$/.test(d));
    } catch {
      return 0;
    }
    for (const d of subs) {
      let names: string[];
      try {
        names = readdirSync(join(this.dir, d));
      } catch {
        continue;
      }
      for (const n of names) {
        if (!OURS.test(n)) continue;
        const p = join(this.dir, d, n);
        try {
          const st = statSync(p);
          if (st.isFile()) files.push({ p, t: st.mtimeMs, size: st.size });
        } catch {
          // gone meanwhile
        }
      }
    }
    files.sort((a, b) => a.t - b.t);
    let total = files.reduce((n, f) => n + f.size, 0);
    let removed = 0;
    for (const f of files) {
      // A temp file may be another track's write in progress: only a day-old one is debris.
      if (f.p.endsWith('.tmp')) {
        if (now - f.t <= DAY) continue;
      } else if (now - f.t <= limits.maxAgeMs && total <= limits.maxBytes) break;
      try {
        unlinkSync(f.p);
        removed++;
        total -= f.size;
      } catch {
        // another track removed it
      }
    }
    return removed;
  }
}
