/**
 * Track, measured ahead of the series' commits. Once every tree of the series is planned, the
 * series waits minutes for its simulation runs (child processes) while this process has nothing
 * to do; track, run after the commits, then has the cores to itself and a half of them idle. So
 * the trees the branch will hold if every step verifies are written as commits of their own
 * (`git fast-import` into the scratch repository: the same trees, no ref left behind: the commits
 * are only reachable by their ids) and tracked then, into an on-disk track cache that the real
 * track of the branch uses afterwards: a commit whose tree was measured is read back as one entry.
 * What the guess got wrong (a step that did not verify, so a commit holds other trees) is simply
 * measured by the real track; nothing here decides a result. The walk runs in a child process
 * (`memdesc track` of the same build, the cache folder its own) when the spec is the built-in one
 * the command reads by itself: each commit's analysis holds the thread that runs it for a fraction
 * of a second, and here that would be the thread the series' steps need between their runs, one
 * after another, to choose and start the next; in a process of its own it only takes a core.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Spec } from '../model/spec.ts';
import type { SeriesRepo } from '../series/git.ts';
import type { TreeTexts } from '../series/steps.ts';
import { PACKAGE_ROOT, RUN_TS, TOOL_BUNDLE, userCacheDir } from '../paths.ts';

export interface WarmTrack {
  /** The on-disk track cache the warm-up fills (pass it to the real track). */
  cacheDir: string;
  /** Settles when the warm-up is over, whatever became of it (it never rejects). */
  done: Promise<void>;
  /** Why the warm-up stopped short, if it did (for a note; the results are right either way). */
  failure(): string | undefined;
  /** The tree id of the last planned tree once imported (undefined: the import failed). */
  plannedTip: Promise<string | undefined>;
  /** Stop a walk still going (the series failed: nothing will read it); `done` settles. */
  stop(): void;
  /** Remove the cache (after the real track). */
  dispose(): void;
}

/**
 * The command line of memdesc's own CLI as this code runs: the built entry beside this bundle,
 * else (a checkout running src/) src/cli.ts through tsx; undefined when neither is there. A track
 * cache is keyed by the tool's code, so the child must be the same build as this process.
 */
export function ownCli(): string[] | undefined {
  if (TOOL_BUNDLE) {
    const entry = join(dirname(TOOL_BUNDLE), 'cli.mjs');
    return existsSync(entry) ? [entry] : undefined;
  }
  const src = join(PACKAGE_ROOT, 'src', 'cli.ts');
  return existsSync(src) && existsSync(RUN_TS) ? [RUN_TS, src] : undefined;
}

/** `memdesc track REPO --range TIP` in a child process whose cache folder is `cacheRoot` (its track cache: cacheRoot/track). */
function trackChild(cli: string[], repo: string, tip: string, cacheRoot: string, started: (c: ChildProcess) => void): Promise<void> {
  return new Promise<void>((done, fail) => {
    const child = spawn(process.execPath, [...cli, 'track', repo, '--range', tip], {
      cwd: repo, env: { ...process.env, MEMDESC_CACHE_DIR: cacheRoot }, stdio: ['ignore', 'ignore', 'pipe'],
    });
    started(child);
    let err = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (c: string) => { if (err.length < 1 << 16) err += c; });
    child.on('error', fail);
    child.on('close', (code, signal) => {
      if (code === 0) done();
      else fail(new Error(`memdesc track ${signal ? `stopped by ${signal}` : `exited ${code}`}${err.trim() ? `: ${err.trim().split('\n').at(-1)}` : ''}`));
    });
  });
}

/** A git fast-import stream: the planned trees as commits on top of the base, each the one before plus its changes. */
export function fastImportStream(repo: SeriesRepo, trees: TreeTexts[], ref: string): string {
  const baseText = new Map<string, string | null>();
  const base = (rel: string): string | null => {
    if (!baseText.has(rel)) {
      const p = join(repo.project, ...rel.split('/'));
      baseText.set(rel, existsSync(p) ? readFileSync(p, 'utf8') : null);
    }
    return baseText.get(rel)!;
  };
  const out: string[] = [];
  let prev: TreeTexts = new Map();
  for (const [i, tree] of trees.entries()) {
    const msg = `memdesc start: planned tree ${i + 1}\n`;
    out.push(`commit ${ref}`, `mark :${i + 1}`, 'committer memdesc <warm@memdesc.invalid> 0 +0000', `data ${Buffer.byteLength(msg)}`, msg.slice(0, -1));
    if (i === 0) out.push(`from ${repo.base}`);
    for (const f of [...new Set([...prev.keys(), ...tree.keys()])].sort()) {
      const want = tree.get(f) ?? base(f);
      const had = prev.get(f) ?? base(f);
      if (want === had) continue;
      const path = repo.prefix ? `${repo.prefix}/${f}` : f;
      if (want === null) out.push(`D ${path}`);
      else out.push(`M 100644 inline ${path}`, `data ${Buffer.byteLength(want)}`, want);
    }
    out.push('');
    prev = tree;
  }
  return `${out.join('\n')}\n`;
}

/** Imports this process has started (each names its own ref). */
let imports = 0;

/** Write the trees into the repository as commits (no ref kept); resolves to the last one's id. */
async function importTrees(repo: SeriesRepo, trees: TreeTexts[], scratch: string): Promise<string> {
  // A ref of no namespace git or memdesc reads (not a branch); deleted as soon as the import ends.
  // Its own per import: two imports into one repository at once (two warm-ups of one process)
  // would otherwise both update one ref, and the second fast-import fails on its lock.
  const ref = `refs/memdesc-start/planned-${process.pid}-${++imports}`;
  const marks = join(scratch, 'marks');
  const stream = fastImportStream(repo, trees, ref);
  const code = await new Promise<number>((done, fail) => {
    const child = spawn('git', ['fast-import', '--quiet', `--export-marks=${marks}`], { cwd: repo.repo, stdio: ['pipe', 'ignore', 'ignore'] });
    child.on('error', fail);
    child.on('close', (c) => done(c ?? 1));
    child.stdin.on('error', () => {});
    child.stdin.end(stream);
  });
  spawnSync('git', ['update-ref', '-d', ref], { cwd: repo.repo, stdio: 'ignore' });
  if (code !== 0) throw new Error(`git fast-import exited ${code}`);
  const tip = readFileSync(marks, 'utf8').split('\n').map((l) => l.split(' ')).find(([m]) => m === `:${trees.length}`)?.[1];
  if (!tip) throw new Error('git fast-import left no mark for the last tree');
  return tip;
}

/** The tree id of a commit (undefined when git cannot tell). */
export function treeOf(repo: string, rev: string): string | undefined {
  const r = spawnSync('git', ['rev-parse', '--verify', '--quiet', `${rev}^{tree}`], { cwd: repo, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** Start measuring the planned trees (the first of them as the base's child) into a fresh track cache. */
export function warmTrack(spec: Spec, repo: SeriesRepo, trees: TreeTexts[], opts: { inProcess?: boolean } = {}): WarmTrack {
  mkdirSync(userCacheDir(), { recursive: true });
  const cacheDir = mkdtempSync(join(userCacheDir(), 'start-track-'));
  let why: string | undefined;
  let child: ChildProcess | undefined;
  let stopped = false;
  const imported = trees.length === 0 ? Promise.resolve(undefined) : importTrees(repo, trees, cacheDir);
  const done = (async () => {
    const tip = await imported;
    if (tip === undefined || stopped) return;
    const [{ builtinSpec }, { trackHistory }] = await Promise.all([import('../model/builtin.ts'), import('../track/track.ts')]);
    // The command reads the built-in spec by itself; another spec is walked here.
    const cli = !opts.inProcess && spec === builtinSpec() ? ownCli() : undefined;
    if (cli) await trackChild(cli, repo.repo, tip, cacheDir, (c) => { child = c; if (stopped) c.kill(); });
    else await trackHistory({ spec, repo: repo.repo, range: tip, cacheDir: join(cacheDir, 'track') });
  })().catch((e: unknown) => { why = (e as Error)?.message ?? String(e); });
  const plannedTip = imported.then((tip) => (tip === undefined ? undefined : treeOf(repo.repo, tip)), () => undefined);
  return {
    cacheDir: join(cacheDir, 'track'),
    done,
    failure: () => why,
    plannedTip,
    stop: () => {
      stopped = true;
      child?.kill();
    },
    dispose: () => rmSync(cacheDir, { recursive: true, force: true }),
  };
}
