/**
 * The warm-up's commits hold exactly the trees the series' commits will (warmTrack.ts): the
 * planned trees written with `git fast-import` give the same tree ids as the same files written
 * and committed in a work tree, through additions, edits, a file brought back to its base text
 * and a new file removed again. Equal trees are what lets track read the real commits back from
 * the warm cache. (That the warm-up leaves no ref in the scratch repository, whose marker lists
 * its refs, is test/pipeline/start.test.ts's second run, which replaces the first's.)
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fastImportStream } from '../../src/pipeline/warmTrack.ts';
import type { SeriesRepo } from '../../src/series/git.ts';

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
