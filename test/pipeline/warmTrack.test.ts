/**
 * The warm-up's commits hold exactly the trees the series' commits will (warmTrack.ts): the
 * planned trees written with `git fast-import` give the same tree ids as the same files written
 * and committed in a work tree, through additions, edits, a file brought back to its base text
 * and a new file removed again. Equal trees are what lets track read the real commits back from
 * the warm cache. (That the warm-up leaves no ref in the scratch repository, whose marker lists
 * its refs, is test/pipeline/start.test.ts's second run, which replaces the first's.)
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fastImportStream } from '../../src/pipeline/warmTrack.ts';
import type { SeriesRepo } from '../../src/series/git.ts';
import { BUNDLED_CORPUS } from '../../src/paths.ts';

const env = { ...process.env, GIT_AUTHOR_NAME: 'T', GIT_AUTHOR_EMAIL: 't@example.org', GIT_COMMITTER_NAME: 'T', GIT_COMMITTER_EMAIL: 't@example.org', GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };
const git = (cwd: string, args: string[], input?: string): string => {
  const r = spawnSync('git', args, { cwd, env, encoding: 'utf8', ...(input !== undefined ? { input } : {}) });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
};
const root = mkdtempSync(join(tmpdir(), 'memdesc-warm-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function write(dir: string, files: Record<string, string>): void {
  for (const [f, t] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    writeFileSync(join(dir, f), t);
  }
}

describe('fastImportStream', () => {
  for (const prefix of ['', 'proj']) {
    it(`gives the trees a work tree's commits give${prefix ? ' (project in a subfolder)' : ''}`, () => {
      const dir = join(root, `r${prefix || 'top'}`);
      mkdirSync(dir, { recursive: true });
      git(dir, ['init', '-q']);
      const project = prefix ? join(dir, prefix) : dir;
      const baseFiles = { 'a.ts': 'export const a = 1;\n', 'mm/b.ts': 'export const b = 2;\n', 'tsconfig.json': '{}\n' };
      write(project, baseFiles);
      git(dir, ['add', '-A']);
      git(dir, ['commit', '-q', '-m', 'base']);
      const base = git(dir, ['rev-parse', 'HEAD']);
      // Each tree: every file that differs from the base.
      const trees = [
        new Map([['a.ts', 'export const a = 10;\n']]),
        new Map([['a.ts', 'export const a = 10;\n'], ['mm/new.ts', 'export const n = 3;\n']]),
        new Map([['mm/new.ts', 'export const n = 4;\n'], ['mm/b.ts', 'export const b = 20;\n']]),
        new Map([['mm/b.ts', 'export const b = 20;\n'], ['x/y/deep.ts', '// ü\n']]),
      ];
      const repo = { repo: dir, worktree: dir, project, prefix, branch: 'memdesc/x', base, scratch: true } as unknown as SeriesRepo;
      git(dir, ['fast-import', '--quiet'], fastImportStream(repo, trees, 'refs/test/planned'));
      const imported = git(dir, ['log', '--format=%T', '--reverse', 'refs/test/planned']).split('\n');
      // The same trees, committed the way the series does (files written, git add -A).
      let prev = new Map<string, string>();
      const committed = [git(dir, ['rev-parse', 'HEAD^{tree}'])];
      for (const t of trees) {
        for (const f of prev.keys()) {
          if (!t.has(f)) {
            const b = (baseFiles as Record<string, string>)[f];
            if (b === undefined) rmSync(join(project, f));
            else writeFileSync(join(project, f), b);
          }
        }
        write(project, Object.fromEntries(t));
        git(dir, ['add', '-A']);
        git(dir, ['commit', '-q', '-m', 'step']);
        committed.push(git(dir, ['rev-parse', 'HEAD^{tree}']));
        prev = t;
      }
      expect(imported).toEqual(committed);
    });
  }
});

describe('warmTrack', () => {
  // The built-in spec (what `start` tracks with): the walk goes to a child process running this
  // build's `memdesc track`, whose cache the real track of the committed series then reads back.
  it('fills the cache the real track reads every commit back from, walked in a child process (built-in spec) and here (inProcess)', async () => {
    const { builtinSpec } = await import('../../src/model/builtin.ts');
    const { trackHistory } = await import('../../src/track/track.ts');
    const { warmTrack, ownCli } = await import('../../src/pipeline/warmTrack.ts');
    // A checkout running src/: the child is src/cli.ts through tsx (the same code, so the same cache keys).
    expect(ownCli()?.at(-1)).toMatch(/src[\\/]cli\.ts$/);
    // The built-in spec's project: a copy of the corpus, and two planned trees on it.
    const dir = join(root, 'child');
    cpSync(BUNDLED_CORPUS, dir, { recursive: true });
    git(dir, ['init', '-q']);
    git(dir, ['add', '-A']);
    git(dir, ['commit', '-q', '-m', 'base']);
    const base = git(dir, ['rev-parse', 'HEAD']);
    const edited = `${readFileSync(join(dir, 'mm', 'vmalloc.ts'), 'utf8')}\n// planned\n`;
    const trees = [
      new Map([['mm/vmalloc.ts', edited]]),
      new Map([['mm/vmalloc.ts', edited], ['mm/planned.ts', 'export const planned = 1;\n']]),
    ];
    const repo = { repo: dir, worktree: dir, project: dir, prefix: '', branch: 'memdesc/x', base, scratch: true } as unknown as SeriesRepo;
    const spec = builtinSpec();
    // Warmed up while the work tree still holds the base (as the series does, before its commits).
    const warm = [false, true].map((inProcess) => warmTrack(spec, repo, trees, { inProcess }));
    try {
      for (const w of warm) {
        await w.done;
        expect(w.failure()).toBeUndefined();
      }
      // The series' commits: the same trees, written and committed.
      for (const t of trees) {
        write(dir, Object.fromEntries(t));
        git(dir, ['add', '-A']);
        git(dir, ['commit', '-q', '-m', 'step']);
      }
      const cold = await trackHistory({ spec, repo: dir, range: 'HEAD', cacheDir: false });
      expect(cold.report.cache.analyzedFiles).toBeGreaterThan(0);
      for (const w of warm) {
        expect(await w.plannedTip).toBe(git(dir, ['rev-parse', 'HEAD^{tree}']));
        const r = await trackHistory({ spec, repo: dir, range: 'HEAD', cacheDir: w.cacheDir });
        expect(r.report.cache.analyzedFiles).toBe(0);
        expect(r.report.points).toEqual(cold.report.points);
      }
    } finally {
      for (const w of warm) w.dispose();
    }
  }, 120_000);
});
