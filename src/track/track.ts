/**
 * `trackHistory`: walk a repository's commits and measure each kind's conversion progress at
 * every one, re-analyzing only files whose cache key changed (see cache.ts). A commit whose
 * files all hit the cache costs a parse of its changed blobs and no type checking. A commit
 * without a usable project (no tsconfig.json, an invalid one, no TypeScript files) is a gap in
 * the report, with the reason, and the walk goes on. The on-disk cache lives in the user's
 * cache folder, never in the repository: the walk leaves the work tree as it found it.
 */
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, posix, relative, resolve, sep } from 'node:path';
import { ts } from '@ts-morph/common';
import { analyzeDetailed, type AnalyzeOptions, type DetailedAnalysis } from '../analyzers/analyze.ts';
import { AnalysisContext, SpecNames } from '../analyzers/context.ts';
import { ALL_FILES_DEP, NAME_DEP } from '../analyzers/provenance.ts';
import { InputError, UsageError } from '../errors.ts';
import { compareSites, summarize, type AnalysisResult, type Finding, type Residue } from '../model/findings.ts';
import type { ProgressPoint, TrackReport } from '../model/progress.ts';
import { resolveSpec } from '../model/builtin.ts';
import { projectSpecFile } from '../model/projectSpec.ts';
import type { Spec } from '../model/spec.ts';
import { PACKAGE_ROOT, TOOL_BUNDLE, userCacheDir } from '../paths.ts';
import { CommitKeys, cpuMsSince, mentionsWord, PartMemo, TrackCache, type CacheStats, type FileEntry, type TrackPhase } from './cache.ts';
import { DepGraph, specNamePredicate, specRootNames, UnitCache } from './deps.ts';
import { markSummaries, type MarkSummaries } from './marks.ts';
import { Probes, ProgramBuilder, ProjectGap, sha1, SOURCE_EXT } from './program.ts';
import { treeFacts, type TreeFacts } from './planStatus.ts';
import { gapPoint, progressPoint } from './progress.ts';
import { stage2States } from './separated.ts';
import { Shapes } from './shape.ts';
import { valueUseNames } from './valueuse.ts';
import { WhyTracker, type Reanalysis } from './why.ts';
import { BlobReader, listCommits, openRepo, type CommitInfo, type Repo } from './walk.ts';

export interface TrackOptions {
  /** Default: the project's memdesc.spec.json in the work tree (where the walk finds the project), else the built-in spec. */
  spec?: Spec;
  /** Any directory inside the repository (default: the current directory). */
  repo?: string;
  /** Revision range for `git log` (default: HEAD's whole first-parent history). */
  range?: string;
  /**
   * Project directory inside each commit (holding tsconfig.json), relative to the top level (or
   * absolute, inside the work tree). Default: the nearest directory holding a tsconfig.json at
   * the newest commit, from `repo` up to the top level (as tsc finds its project).
   */
  path?: string;
  /**
   * On-disk cache directory; false for memory only. Default: userCacheDir('track'). A directory
   * inside the repository (work tree or git directory) is not used: the walk never writes there.
   */
  cacheDir?: string | false;
  /** Called after each commit. */
  onProgress?: (done: number, total: number, commit: CommitInfo) => void;
  /**
   * Called for each measured commit with why each file it re-analyzes was re-analyzed (why.ts;
   * costs a second reading of every entry's dependencies: for profiling a walk, not for results).
   */
  onReanalyze?: (commit: CommitInfo, files: Reanalysis[]) => void;
  /**
   * Whether the caller asks `newestFacts()` (plan status; default true). A newest commit whose
   * tree was measured before is read back from its point entry and its files' entries either way;
   * with it, its program is built too (parsed, no keys, lookups or mark pass), for plan status.
   */
  facts?: boolean;
}

export interface TrackResult {
  report: TrackReport;
  /** The spec the walk used: TrackOptions' own, else the project's. */
  spec: Spec;
  /** The analysis of the newest commit that is not a gap (assembled from the cache). */
  newest: AnalysisResult;
  /** That commit (the newest commit of the range unless it is a gap). */
  newestCommit: CommitInfo;
  /** What plan status needs to know about that commit. */
  newestFacts(): TreeFacts;
  stats: CacheStats;
  /** Why the on-disk cache was not (fully) used, for the CLI to say once; the results are right either way. */
  cacheWarning?: string;
}

let toolHashMemo: string | undefined;

/** Held cache writes (files) that make the walk write them out before its end. */
const FLUSH_EVERY = 2048;

/** The analysis code itself is part of every key: a changed analyzer must not reuse old results. */
function toolHash(): string {
  if (toolHashMemo) return toolHashMemo;
  const parts = [`ts ${ts.version}`];
  if (TOOL_BUNDLE) {
    // The installed package has no src/: the built JavaScript (dist/*.mjs: the entry and the chunks
    // it loads) holds all of the tool, the specs sit beside it.
    const dist = dirname(TOOL_BUNDLE);
    const specs = join(dist, 'specs');
    for (const f of readdirSync(dist).filter((n) => n.endsWith('.mjs')).sort()) {
      if (existsSync(join(dist, f))) parts.push(`bundle ${f} ${sha1(readFileSync(join(dist, f), 'utf8'))}`); // (an earlier build's chunk may be pruned meanwhile)
    }
    for (const f of existsSync(specs) ? readdirSync(specs).sort() : []) parts.push(`specs/${f} ${sha1(readFileSync(join(specs, f), 'utf8'))}`);
    toolHashMemo = sha1(parts.join('\n'));
    return toolHashMemo;
  }
  for (const dir of ['src/analyzers', 'src/model', 'src/model/specs', 'src/ts']) {
    const abs = join(PACKAGE_ROOT, dir);
    for (const f of readdirSync(abs).sort()) {
      if (/\.(?:ts|json)$/.test(f)) parts.push(`${dir}/${f} ${sha1(readFileSync(join(abs, f), 'utf8'))}`);
    }
  }
  for (const f of ['cache.ts', 'deps.ts', 'marks.ts', 'program.ts', 'progress.ts', 'separated.ts', 'shape.ts', 'track.ts']) parts.push(`track/${f} ${sha1(readFileSync(join(PACKAGE_ROOT, 'src/track', f), 'utf8'))}`);
  toolHashMemo = sha1(parts.join('\n'));
  return toolHashMemo;
}

/** `p` with symlinks resolved as far as it exists (the rest appended): where a write would land. */
function landing(p: string): string {
  const rest: string[] = [];
  let cur = resolve(p);
  for (;;) {
    try {
      return join(realpathSync(cur), ...rest);
    } catch {
      const up = dirname(cur);
      if (up === cur) return resolve(p);
      rest.unshift(basename(cur));
      cur = up;
    }
  }
}

function within(p: string, dir: string): boolean {
  return p === dir || p.startsWith(dir.endsWith(sep) ? dir : `${dir}${sep}`);
}

/** The cache directory to use, or why none is: never one inside the repository. */
function cacheDirFor(opts: TrackOptions, repo: Repo): { dir?: string; warning?: string } {
  if (opts.cacheDir === false) return {};
  const dir = resolve(opts.cacheDir ?? userCacheDir('track'));
  const at = landing(dir);
  if ([repo.root, ...repo.gitDirs].some((r) => within(at, landing(r)))) {
    return { warning: `the track cache ${dir} is inside the repository ${repo.root}: not used, this run keeps its results in memory only; set MEMDESC_CACHE_DIR to a folder outside it` };
  }
  return { dir };
}

/** --path as a directory relative to the top level ('' for the top level itself). */
function normalizePath(p: string, repo: Repo): string {
  let q = p.split('\\').join('/');
  if (isAbsolute(q)) {
    const r = relative(landing(repo.root), landing(q));
    if (r.startsWith('..') || isAbsolute(r)) throw new UsageError(`--path must be a directory inside the repository: ${p}`);
    q = r.split(sep).join('/');
  }
  const n = posix.normalize(q).replace(/\/+$/, '');
  if (n === '..' || n.startsWith('../') || n.startsWith('/')) throw new UsageError(`--path must be a directory inside the repository: ${p}`);
  return n === '.' || n === '' ? '' : n;
}

/**
 * The nearest directory from `prefix` up to the top level holding a tsconfig.json: at the newest
 * commit, else at any commit of the range (the newest may be a gap); `prefix` itself when none does.
 */
async function projectDirOf(prefix: string, tipTree: Map<string, string>, commits: CommitInfo[], reader: BlobReader): Promise<string> {
  const chain: string[] = [];
  for (let d = prefix; ; d = posix.dirname(d) === '.' ? '' : posix.dirname(d)) {
    chain.push(d);
    if (d === '') break;
  }
  const atTip = chain.find((d) => tipTree.has(configOf(d)));
  if (atTip !== undefined) return atTip;
  const names = chain.flatMap((d) => commits.map((c) => `${c.commit}:${configOf(d)}`));
  const found = await reader.blobsExist(names);
  const i = found.indexOf(true);
  return i < 0 ? prefix : chain[Math.floor(i / commits.length)]!;
}

function configOf(path: string): string {
  return path ? `${path}/tsconfig.json` : 'tsconfig.json';
}

export async function trackHistory(opts: TrackOptions): Promise<TrackResult> {
  const repo = await openRepo(opts.repo ?? '.');
  const commits = await listCommits(repo, opts.range);
  const reader = new BlobReader(repo.root);
  const where = cacheDirFor(opts, repo);
  // Writes are held for the end of the walk (one write per file), and made even when it fails.
  const cache = new TrackCache(where.dir, { deferWrites: true });
  try {
    return await walk(opts, repo, commits, reader, where, cache);
  } finally {
    reader.close();
    cache.flush();
  }
}

async function walk(given: TrackOptions, repo: Repo, commits: CommitInfo[], reader: BlobReader, where: { dir?: string; warning?: string }, cache: TrackCache): Promise<TrackResult> {
  const tip = commits[commits.length - 1]!;
  const tipTree = await reader.tree(tip.commit);
  const path = given.path !== undefined ? normalizePath(given.path, repo) : await projectDirOf(repo.prefix, tipTree, commits, reader);
  const opts = { ...given, spec: given.spec ?? resolveSpec(projectSpecFile(undefined, join(repo.root, path))) };
  const config = configOf(path);
  // A project in none of the commits is a wrong --path, not a history of gaps: say so before walking.
  if (!tipTree.has(config) && !(await reader.blobsExist(commits.map((c) => `${c.commit}:${config}`))).some(Boolean)) {
    throw new InputError(`no tsconfig.json in ${path || 'the top level'} in any of the ${commits.length} commits (newest ${tip.commit.slice(0, 12)}): track needs a TypeScript project (see --path)`);
  }
  const salt = sha1(`${toolHash()}\n${JSON.stringify(opts.spec)}`);
  const builder = new ProgramBuilder(repo.root, path);
  const mentions = new SpecNames(opts.spec).textFilter;
  const shapes = new Shapes(mentions);
  const units = new UnitCache(mentions, specNamePredicate(opts.spec));
  const rootNames = specRootNames(opts.spec);
  // The finder's store candidates use the same key (dataflow.ts embeddedFields): one walk of a file for both.
  const embeddedNames = opts.spec.page.fields.filter((f) => f.embedded).map((f) => f.name);
  const embedded = { names: new Set(embeddedNames), key: embeddedNames.join('\0') };
  const graph = new DepGraph();
  /** Dependency parts that hold from one measured commit to the next (cache.ts PartMemo). */
  const partMemo = new PartMemo();
  /** Per file, the files analyzed with it last time for value use: analyzed with it from the start next time. */
  const teachersSeen = new Map<string, Set<string>>();
  const points: ProgressPoint[] = [];
  let analyzedFiles = 0;
  let reusedFiles = 0;
  type Measured = { result: AnalysisResult; program?: ts.Program; root?: string; commit: CommitInfo; point: ProgressPoint };
  /** One commit's program, its blobs read first. Throws ProjectGap. */
  const buildOnly = async (c: CommitInfo, tree: Map<string, string>): Promise<ReturnType<ProgramBuilder['build']>> => {
    if (!tree.has(config)) throw new ProjectGap(`no tsconfig.json at ${config}`);
    const need = [...new Set([...tree].filter(([p, id]) => SOURCE_EXT.test(p) && !builder.texts.has(id)).map(([, id]) => id))];
    if (need.length > 0) {
      for (const [id, buf] of await reader.read(need)) builder.texts.set(id, buf.toString('utf8'));
    }
    return builder.build(c.commit, tree);
  };
  /** One commit through the per-file cache: its program built, its missed files analyzed. Throws ProjectGap. */
  const measure = async (c: CommitInfo, tree: Map<string, string>, pointKey: string | undefined, known?: MarkSummaries): Promise<Measured> => {
    const phase = cache.stats.phaseMs;
    let t = process.cpuUsage();
    const lap = (p: TrackPhase): void => {
      phase[p] += cpuMsSince(t);
      t = process.cpuUsage();
    };
    const cp = await buildOnly(c, tree);
    lap('program');
    // What functions mark, by the analyzer's own pass: callers reach that rather than the bodies (marks.ts).
    // A tree measured before brings its summaries (its point entry): no type checker unless a file misses.
    const marks = known ? undefined : markSummaries(cp.program, cp.root, opts.spec, (sf) => relative(cp.root, sf.fileName).split('\\').join('/'));
    lap('marks');
    const summaries = known ?? marks?.summaries;
    const keys = new CommitKeys(cp, salt, shapes, units, graph, rootNames, summaries, embedded, partMemo);
    lap('keys');
    const sig = keys.sig.bind(keys);
    const entries: FileEntry[] = [];
    const hits = new Map<string, FileEntry>();
    const missed = new Map<string, { sf: ts.SourceFile; key: string }>();
    for (const sf of keys.files) {
      const key = keys.key(sf);
      const e = cache.get(key, sig);
      if (e) {
        entries.push(e);
        hits.set(sf.fileName, e);
      } else missed.set(sf.fileName, { sf, key });
    }
    lap('lookups');
    const reasons = why?.explain(keys, cp, [...missed.values()].map((m) => m.sf));
    if (missed.size > 0) entries.push(...analyzeMissed(cp.program, cp.root, opts.spec, missed, hits, keys, cache, teachersSeen, marks?.reuse));
    lap('analysis');
    reusedFiles += entries.length - missed.size;
    analyzedFiles += missed.size;
    if (why && reasons) {
      why.record(keys, cp, entries);
      opts.onReanalyze!(c, reasons);
    }
    const result = assemble(opts.spec, repo.root, entries, keys.files.length);
    // Stage 2 per kind, read from the code like status (never from commit messages).
    const point: ProgressPoint = { ...progressPoint(result, opts.spec, c), stage2: stage2States(cp.program, cp.root, opts.spec) };
    lap('point');
    // Whatever a point holds is set above, before it is cached: a commit read back from its point
    // entry gets exactly this (a field set later would be missing from cached commits).
    if (pointKey && cp.probes) {
      const { commit: _c, subject: _s, date: _d, ...rest } = point;
      cache.putPoint({ v: 1, key: pointKey, point: rest, probes: cp.probes,
        ...(summaries ? { summaries: [...summaries].map(([f, m]): [string, Array<[string, string]>] => [f, [...m]]) } : {}),
        entries: entries.map((e): [string, string] => [e.key, e.sig]) });
    }
    // A long walk stopped by a signal (no `finally`) keeps most of its work: held writes go out in batches.
    if (cache.pendingWrites >= FLUSH_EVERY) cache.flush();
    lap('writes');
    return { result, program: cp.program, root: cp.root, commit: c, point };
  };
  // A commit's tree is all of the repository a measurement reads; the rest is in the probes.
  const treeIds = await reader.treeIds(commits.map((c) => c.commit));
  const pointKeyOf = (i: number): string | undefined => {
    const t = treeIds[i];
    return t && sha1(`point\n${salt}\n${repo.root}\n${path}\n${t}`);
  };
  const probes = new Probes();
  const why = opts.onReanalyze ? new WhyTracker() : undefined;
  let newest: Measured | undefined;
  for (let i = 0; i < commits.length; i++) {
    const c = commits[i]!;
    const pointKey = pointKeyOf(i);
    // The newest commit is measured in full (its findings are the report's residue, its program plan
    // status'), unless its entries are all there (below: read back, its program only parsed).
    const hit = i < commits.length - 1 && pointKey ? cache.getPoint(pointKey) : undefined;
    if (hit && probes.hold(hit.probes)) {
      points.push({ commit: c.commit, subject: c.subject, date: c.date, ...hit.point });
      reusedFiles += hit.point.files;
      cache.stats.pointHits++;
      opts.onProgress?.(i + 1, commits.length, c);
      continue;
    }
    const tree = i === commits.length - 1 ? tipTree : await reader.tree(c.commit);
    // The newest commit measured before: its summaries from its point entry, while its probes hold.
    const before = !hit && pointKey ? cache.getPoint(pointKey) : undefined;
    const held = !!before && probes.hold(before.probes);
    if (held && before.entries) {
      // The newest commit from its point entry and its files' entries, when all are there: no keys,
      // no lookups, no mark pass. Plan status (facts) reads its program, built from the tree alone.
      const got = before.entries.map(([k, s]) => cache.entry(k, s));
      // A program that no longer builds (a gap now) is measured below, which says so.
      const cp = !got.every((e): e is FileEntry => !!e) ? null : opts.facts === false ? undefined : await buildOnly(c, tree).catch((e: unknown) => {
        if (e instanceof ProjectGap) return null;
        throw e;
      });
      if (cp !== null && got.every((e): e is FileEntry => !!e)) {
        const point: ProgressPoint = { commit: c.commit, subject: c.subject, date: c.date, ...before.point };
        newest = { result: assemble(opts.spec, repo.root, got, before.point.files), ...(cp ? { program: cp.program, root: cp.root } : {}), commit: c, point };
        points.push(point);
        reusedFiles += before.point.files;
        cache.stats.pointHits++;
        opts.onProgress?.(i + 1, commits.length, c);
        continue;
      }
    }
    const known = held && before?.summaries ? new Map(before.summaries.map(([f, m]) => [f, new Map(m)])) : undefined;
    try {
      newest = await measure(c, tree, pointKey, known);
      points.push(newest.point);
    } catch (e) {
      if (!(e instanceof ProjectGap)) throw e;
      // Reasons name paths from the top level: the same report wherever the repository is.
      points.push(gapPoint(c, e.message.split(`${repo.root}/`).join('')));
    }
    opts.onProgress?.(i + 1, commits.length, c);
  }
  // The newest commit is a gap and the newest with numbers came from its point entry: measure that one in full.
  let lastGood = points.length - 1;
  while (lastGood >= 0 && points[lastGood]!.gap !== undefined) lastGood--;
  if (lastGood >= 0 && newest?.commit !== commits[lastGood]) {
    const counted = { analyzedFiles, reusedFiles };
    newest = await measure(commits[lastGood]!, await reader.tree(commits[lastGood]!.commit), undefined);
    // Its files were counted once already, as the point entry it was.
    ({ analyzedFiles, reusedFiles } = counted);
  }
  if (!newest) {
    throw new InputError(`nothing to track: none of the ${commits.length} commits has a project to analyze (newest ${tip.commit.slice(0, 12)}: ${points[points.length - 1]!.gap})`);
  }
  const last = newest;
  const report: TrackReport = {
    version: 1,
    repo: opts.repo ?? repo.root,
    path,
    spec: opts.spec.name,
    kinds: opts.spec.kinds.map((k) => k.name),
    points,
    residue: last.result.residue,
    cache: { analyzedFiles, reusedFiles },
  };
  const facts = (): TreeFacts => {
    if (!last.program || !last.root) throw new Error('newestFacts() needs trackHistory({ facts: true }) (the default)');
    // treeFacts() reads the result and the context's files and descriptor declarations: no type queries.
    const ctx = new AnalysisContext(opts.spec, last.program, last.root);
    return treeFacts({ result: last.result, ctx } as Pick<DetailedAnalysis, 'result' | 'ctx'> as DetailedAnalysis);
  };
  const t = process.cpuUsage();
  cache.flush();
  cache.stats.phaseMs.writes += cpuMsSince(t);
  cache.trim();
  const cacheWarning = where.warning ?? cache.problem;
  return { report, spec: opts.spec, newest: last.result, newestCommit: last.commit, newestFacts: facts, stats: cache.stats, ...(cacheWarning ? { cacheWarning } : {}) };
}

/** A site value use learns from: decided by the code (valueuse.ts `isCode`), not converted. */
const teaches = (f: Finding): boolean => !f.converted && (f.confidence === 'guard' || f.confidence === 'provenance' || f.confidence === 'callgraph');

/**
 * Analyze the files the cache missed (`hits`: this commit's entries of the others) and cache their
 * entries with what each depends on beyond its key.
 */
function analyzeMissed(program: ts.Program, root: string, spec: Spec, missed: Map<string, { sf: ts.SourceFile; key: string }>,
  hits: ReadonlyMap<string, FileEntry>, keys: CommitKeys, cache: TrackCache, teachersSeen: Map<string, Set<string>>, reuse?: AnalyzeOptions['reuse']): FileEntry[] {
  const run = (only: ReadonlySet<string>): DetailedAnalysis => {
    cache.stats.analysisRuns++;
    try {
      return analyzeDetailed(program, root, { spec, onlyFiles: only, readBodies: true, ...(reuse ? { reuse } : {}) });
    } catch (e) {
      // The commit's project does not fit the spec (e.g. no page class yet): a gap, not the end of the walk.
      if (e instanceof InputError) throw new ProjectGap(e.message);
      throw e;
    }
  };
  // Value use learns only from the sites analyzed together: add the files that can teach the
  // missed ones (valueuse.ts) — those with a site the code decided, by their entries of this
  // commit — to a fixed point.
  const analyzed = new Map<string, ts.SourceFile>([...missed].map(([f, { sf }]) => [f, sf]));
  // The teachers of the last time, at once: one analysis where it would take two.
  for (const f of missed.keys()) {
    for (const t of teachersSeen.get(f) ?? []) {
      const sf = program.getSourceFile(t);
      if (sf && hits.get(t)?.findings.some(teaches)) analyzed.set(t, sf);
    }
  }
  let d = run(new Set(analyzed.keys()));
  let names: Map<string, Set<string>> | undefined;
  for (;;) {
    names = valueUseNames(d, new Set([...analyzed.values()].map((sf) => keys.rel(sf))));
    // A teacher may name the declaration through an import or export alias (`sock_lookup as lookup`).
    if (names) for (const [f, ns] of names) names.set(f, new Set([...ns].flatMap((n) => keys.aliasesOf(n))));
    if (names?.size === 0) break;
    const all = names && new Set([...names.values()].flatMap((n) => [...n]));
    const extra = keys.files.filter((sf) => !analyzed.has(sf.fileName) && !!hits.get(sf.fileName)?.findings.some(teaches) &&
      (!all || [...all].some((n) => mentionsWord(sf, n))));
    if (extra.length === 0) break;
    for (const sf of extra) analyzed.set(sf.fileName, sf);
    d = run(new Set(analyzed.keys()));
  }
  const others = [...analyzed.keys()].filter((f) => !missed.has(f));
  for (const [f, { sf }] of missed) {
    if (names?.has(keys.rel(sf)) ?? true) teachersSeen.set(f, new Set(others));
    else teachersSeen.delete(f);
  }
  const byFile = new Map<string, { file: string; findings: Finding[]; residue: Residue[] }>();
  for (const sf of analyzed.values()) byFile.set(keys.rel(sf), { file: keys.rel(sf), findings: [], residue: [] });
  for (const f of d.result.findings) byFile.get(f.file)?.findings.push(f);
  for (const r of d.result.residue) byFile.get(r.file)?.residue.push(r);
  // A teacher's cited lines are asked once per learner it teaches: found once.
  const citedBy = new Map<string, string[]>();
  const citesOf = (a: { file: string; findings: Finding[]; residue: Residue[] }): string[] => {
    let l = citedBy.get(a.file);
    if (!l) citedBy.set(a.file, l = keys.citesOf(a.file, a.findings, a.residue));
    return l;
  };
  const out: FileEntry[] = [];
  for (const { sf, key } of missed.values()) {
    const file = keys.rel(sf);
    const callers = new Set(d.callerDeps.get(sf) ?? []);
    const { findings, residue } = byFile.get(file)!;
    const cites = new Set(citesOf(byFile.get(file)!));
    const own = names?.get(file);
    if (!names && findings.some((f) => !f.converted && f.confidence !== 'guard')) callers.add(ALL_FILES_DEP);
    if (names && own) {
      // Not every file: the names its uses meet, and what the files naming them depend on.
      callers.delete(ALL_FILES_DEP);
      const reach = new Set(own);
      const teachers = new Set<ts.SourceFile>();
      for (const queue = [...own]; queue.length > 0;) {
        const n = queue.pop()!;
        for (const t of keys.files) {
          if (teachers.has(t) || !mentionsWord(t, n)) continue;
          teachers.add(t);
          for (const m of names.get(keys.rel(t)) ?? []) if (!reach.has(m)) {
            reach.add(m);
            queue.push(m);
          }
        }
      }
      // A file naming them teaches by its results: what they depend on (a file may start teaching when its callers change).
      for (const n of reach) callers.add(`${NAME_DEP}${n}`);
      for (const t of teachers) {
        if (t === sf) continue;
        const a = byFile.get(keys.rel(t));
        const deps = a ? { callers: d.callerDeps.get(t) ?? [], cites: citesOf(a) } : hits.get(t.fileName);
        for (const c of deps?.callers ?? []) if (c !== ALL_FILES_DEP) callers.add(c);
        for (const c of deps?.cites ?? []) cites.add(c);
      }
    }
    const c = [...callers].sort();
    const l = [...cites].sort();
    const entry: FileEntry = { v: 2, key, file, callers: c, cites: l, sig: keys.sig({ callers: c, cites: l }), findings, residue };
    const t = process.cpuUsage();
    cache.put(entry);
    const w = cpuMsSince(t);
    // Writes are their own phase (taken out of the analysis they happen in).
    cache.stats.phaseMs.writes += w;
    cache.stats.phaseMs.analysis -= w;
    out.push(entry);
  }
  return out;
}

/** One commit's analysis result from its files' entries (what analyzeProgram would return). */
function assemble(spec: Spec, root: string, entries: FileEntry[], files: number): AnalysisResult {
  const findings = entries.flatMap((e) => e.findings).sort(compareSites);
  const residue = entries.flatMap((e) => e.residue).sort(compareSites);
  return { version: 1, root, spec: spec.name, findings, residue, wrappers: [], summary: summarize(spec, findings, residue, [], files) };
}
