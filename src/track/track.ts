/**
 * `trackHistory`: walk a repository's commits and measure each kind's conversion progress at
 * every one, re-analyzing only files whose cache key changed (see cache.ts). A commit whose
 * files all hit the cache costs a parse of its changed blobs and no type checking.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { ts } from '@ts-morph/common';
import { analyzeDetailed, type DetailedAnalysis } from '../analyzers/analyze.ts';
import { AnalysisContext, SpecNames } from '../analyzers/context.ts';
import { InputError, UsageError } from '../errors.ts';
import { compareSites, summarize, type AnalysisResult, type Finding, type Residue } from '../model/findings.ts';
import type { ProgressPoint, TrackReport } from '../model/progress.ts';
import type { Spec } from '../model/spec.ts';
import { PACKAGE_ROOT } from '../paths.ts';
import { CommitKeys, TrackCache, type CacheStats, type FileEntry } from './cache.ts';
import { ProgramBuilder, sha1, SOURCE_EXT } from './program.ts';
import { treeFacts, type TreeFacts } from './planStatus.ts';
import { progressPoint } from './progress.ts';
import { Shapes } from './shape.ts';
import { BlobReader, listCommits, openRepo, type CommitInfo } from './walk.ts';

export interface TrackOptions {
  spec: Spec;
  /** Any directory inside the repository (default: the current directory). */
  repo?: string;
  /** Revision range for `git log` (default: HEAD's whole first-parent history). */
  range?: string;
  /** Project directory inside each commit (holding tsconfig.json); default the top level. */
  path?: string;
  /** On-disk cache directory; false for memory only. Default: <repo>/.cache/memdesc/track. */
  cacheDir?: string | false;
  /** Called after each commit. */
  onProgress?: (done: number, total: number, commit: CommitInfo) => void;
}

export interface TrackResult {
  report: TrackReport;
  /** The newest commit's analysis (assembled from the cache). */
  newest: AnalysisResult;
  /** What plan status needs to know about the newest commit. */
  newestFacts(): TreeFacts;
  stats: CacheStats;
}

let toolHashMemo: string | undefined;

/** The analysis code itself is part of every key: a changed analyzer must not reuse old results. */
function toolHash(): string {
  if (toolHashMemo) return toolHashMemo;
  const parts = [`ts ${ts.version}`];
  for (const dir of ['src/analyzers', 'src/model', 'src/model/specs']) {
    const abs = join(PACKAGE_ROOT, dir);
    for (const f of readdirSync(abs).sort()) {
      if (/\.(?:ts|json)$/.test(f)) parts.push(`${dir}/${f} ${sha1(readFileSync(join(abs, f), 'utf8'))}`);
    }
  }
  for (const f of ['cache.ts', 'program.ts', 'shape.ts', 'track.ts']) parts.push(`track/${f} ${sha1(readFileSync(join(PACKAGE_ROOT, 'src/track', f), 'utf8'))}`);
  toolHashMemo = sha1(parts.join('\n'));
  return toolHashMemo;
}

function normalizePath(p: string | undefined): string {
  if (!p) return '';
  const n = posix.normalize(p.split('\\').join('/')).replace(/^\.\/?/, '').replace(/\/$/, '');
  if (n.startsWith('..') || n.startsWith('/')) throw new UsageError(`--path must be a directory inside the repository: ${p}`);
  return n === '.' ? '' : n;
}

export async function trackHistory(opts: TrackOptions): Promise<TrackResult> {
  const repo = await openRepo(opts.repo ?? '.');
  const path = normalizePath(opts.path);
  const commits = await listCommits(repo, opts.range);
  const reader = new BlobReader(repo.root);
  let tipTree: Map<string, string>;
  try {
    tipTree = await reader.tree(commits[commits.length - 1]!.commit);
  } catch (e) {
    reader.close();
    throw e;
  }
  if (!tipTree.has(path ? `${path}/tsconfig.json` : 'tsconfig.json')) {
    reader.close();
    throw new InputError(`no tsconfig.json in ${path || 'the top level'} at ${commits[commits.length - 1]!.commit.slice(0, 12)}: track needs a TypeScript project (see --path)`);
  }
  const cache = new TrackCache(opts.cacheDir === false ? undefined : opts.cacheDir ?? join(repo.root, '.cache', 'memdesc', 'track'));
  const salt = sha1(`${toolHash()}\n${JSON.stringify(opts.spec)}`);
  const builder = new ProgramBuilder(repo.root, path);
  const shapes = new Shapes(new SpecNames(opts.spec).textFilter);
  const points: ProgressPoint[] = [];
  let analyzedFiles = 0;
  let reusedFiles = 0;
  let newest: AnalysisResult | undefined;
  let newestProgram: { program: ts.Program; root: string } | undefined;
  try {
    for (let i = 0; i < commits.length; i++) {
      const c = commits[i]!;
      const tree = i === commits.length - 1 ? tipTree : await reader.tree(c.commit);
      const need = [...new Set([...tree].filter(([p, id]) => SOURCE_EXT.test(p) && !builder.texts.has(id)).map(([, id]) => id))];
      if (need.length > 0) {
        for (const [id, buf] of await reader.read(need)) builder.texts.set(id, buf.toString('utf8'));
      }
      const cp = builder.build(c.commit, tree);
      const keys = new CommitKeys(cp, salt, shapes);
      const sig = (names: readonly string[]): string => keys.callerSig(names);
      const entries: FileEntry[] = [];
      const missed = new Map<string, { sf: ts.SourceFile; key: string }>();
      for (const sf of keys.files) {
        const key = keys.key(sf);
        const e = cache.get(key, sig);
        if (e) entries.push(e);
        else missed.set(sf.fileName, { sf, key });
      }
      reusedFiles += entries.length;
      analyzedFiles += missed.size;
      if (missed.size > 0) entries.push(...analyzeMissed(cp.program, cp.root, opts.spec, missed, keys, cache, c));
      const result = assemble(opts.spec, repo.root, entries, keys.files.length);
      points.push(progressPoint(result, opts.spec, c));
      if (i === commits.length - 1) {
        newest = result;
        newestProgram = cp;
      }
      opts.onProgress?.(i + 1, commits.length, c);
    }
  } finally {
    reader.close();
  }
  const report: TrackReport = {
    version: 1,
    repo: opts.repo ?? repo.root,
    path,
    spec: opts.spec.name,
    kinds: opts.spec.kinds.map((k) => k.name),
    points,
    residue: newest!.residue,
    cache: { analyzedFiles, reusedFiles },
  };
  const facts = (): TreeFacts => {
    // treeFacts() reads the result and the context's files and descriptor declarations: no type queries.
    const ctx = new AnalysisContext(opts.spec, newestProgram!.program, newestProgram!.root);
    return treeFacts({ result: newest!, ctx } as Pick<DetailedAnalysis, 'result' | 'ctx'> as DetailedAnalysis);
  };
  return { report, newest: newest!, newestFacts: facts, stats: cache.stats };
}

function analyzeMissed(program: ts.Program, root: string, spec: Spec, missed: Map<string, { sf: ts.SourceFile; key: string }>,
  keys: CommitKeys, cache: TrackCache, c: CommitInfo): FileEntry[] {
  let d;
  try {
    d = analyzeDetailed(program, root, { spec, onlyFiles: new Set(missed.keys()) });
  } catch (e) {
    if (e instanceof InputError) throw new InputError(`commit ${c.commit.slice(0, 12)}: ${e.message}`);
    throw e;
  }
  const byFile = new Map<string, { findings: Finding[]; residue: Residue[] }>();
  for (const { sf } of missed.values()) byFile.set(keys.rel(sf), { findings: [], residue: [] });
  for (const f of d.result.findings) byFile.get(f.file)?.findings.push(f);
  for (const r of d.result.residue) byFile.get(r.file)?.residue.push(r);
  const out: FileEntry[] = [];
  for (const { sf, key } of missed.values()) {
    const file = keys.rel(sf);
    const callers = [...(d.callerDeps.get(sf) ?? [])].sort();
    const entry: FileEntry = { v: 1, key, file, callers, callerSig: keys.callerSig(callers), ...byFile.get(file)! };
    cache.put(entry);
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
