/**
 * `memdesc start`: the status table it prints from a track report, and the bad inputs it refuses
 * before any work (one line, exit 2, nothing deleted): DIR's corpus/, series/, cover-letter.patch
 * and report.html are replaced only when memdesc's markers prove start made them. The pipeline's
 * parts (series with a scratch repository and a separate cover letter, track, plans, the HTML
 * report) have their own tests; a whole run takes minutes and is what `npm start` does, so
 * replacing start's own output is tested here on a DIR made the same way from a small project.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderStartStatus } from '../../src/commands/start.ts';
import { prepareOut, startPaths } from '../../src/pipeline/out.ts';
import { builtinSpec } from '../../src/model/builtin.ts';
import type { ProgressPoint, TrackReport } from '../../src/model/progress.ts';
import { loadSpecFile } from '../../src/model/spec-validate.ts';
import { BUNDLED_CORPUS, PACKAGE_ROOT } from '../../src/paths.ts';
import { projectGuards } from '../../src/series/git.ts';
import { writeMarker } from '../../src/series/ownedOut.ts';
import { buildSeries } from '../../src/series/series.ts';
import { BLOBWORLD, cli, copyTree } from '../rewrite/helpers.ts';
import { git, isolateGitConfig, snapshot, tempRoot } from '../series/helpers.ts';

const spec = builtinSpec();
let temp: ReturnType<typeof tempRoot>;
beforeAll(() => { temp = tempRoot(); });
afterAll(() => temp.cleanup());

function point(commit: string, remaining: number, converted: number): ProgressPoint {
  const kinds = Object.fromEntries(spec.kinds.map((k) => [k.name, { remaining, converted, percent: converted + remaining === 0 ? 100 : Math.round((converted / (converted + remaining)) * 1000) / 10 }]));
  return { commit, subject: commit, date: '2026-12-06T00:00:00Z', kinds, unknown: 7, residue: 0, files: 60 };
}

describe('renderStartStatus', () => {
  const report: TrackReport = {
    version: 1, repo: 'out/corpus', path: '', spec: spec.name, kinds: spec.kinds.map((k) => k.name),
    points: [point('base', 10, 0), point('mid', 4, 6), point('tip', 0, 10)], residue: [], cache: { analyzedFiles: 1, reusedFiles: 2 },
  };

  it('one row per kind: descriptor, raw at the base and at the tip, converted, done', () => {
    const text = renderStartStatus(report, spec);
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^kind\s+descriptor\s+raw at base\s+raw at tip\s+converted\s+done$/);
    expect(lines.find((l) => l.startsWith('slab '))).toMatch(/^slab\s+Slab\s+10\s+0\s+10\s+100\.0%$/);
    expect(lines.find((l) => l.startsWith('buddy '))).toMatch(/^buddy\s+-\s+10\s+0\s+10\s+100\.0%$/);
    expect(text).toContain('unknown: 7 at the base, 7 at the tip; residue: 0 at the base, 0 at the tip');
  });

  it('counts the plan and lists what is not done', () => {
    const text = renderStartStatus(report, spec, {
      title: 'Split', version: 1, patches: [
        { number: 1, subject: 'mm: Create struct slab', state: 'done', reason: 'declared' },
        { number: 2, subject: 'mm/slub: Convert f() to use slabs', state: 'not done', reason: 'f() has 1 raw slab access' },
        { number: 3, subject: 'mm: g', state: 'not applicable', reason: 'no' },
      ],
    });
    expect(text).toContain('1 done, 1 not done, 1 not applicable of 3');
    expect(text).toContain('  not done: [2] mm/slub: Convert f() to use slabs — f() has 1 raw slab access');
  });
});

describe('memdesc start: bad input', () => {
  const bad = (args: string[]): string => {
    const x = cli(['start', ...args]);
    expect(x.status, x.stderr).toBe(2);
    expect(x.stderr.trim().split('\n')).toHaveLength(1);
    expect(x.stdout).toBe('');
    return x.stderr;
  };

  it('refuses a path that is missing or not a corpus tree', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'memdesc-start-'));
    expect(bad([join(tmp, 'nope'), '--out', join(tmp, 'o')])).toMatch(/nope: no such folder/);
    expect(bad([BLOBWORLD, '--out', join(tmp, 'o')])).toMatch(/is not a corpus tree \(start needs tsconfig.json and sim\/main.ts/);
    expect(existsSync(join(tmp, 'o'))).toBe(false);
  });

  it('refuses an --out that is a file, or holds a corpus/ or series/ it did not make; deletes nothing', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'memdesc-start-'));
    writeFileSync(join(tmp, 'file'), 'keep');
    expect(bad(['--out', join(tmp, 'file')])).toMatch(/not a directory/);
    mkdirSync(join(tmp, 'o1', 'corpus'), { recursive: true });
    writeFileSync(join(tmp, 'o1', 'corpus', 'mine.txt'), 'keep');
    expect(bad(['--out', join(tmp, 'o1')])).toMatch(/corpus is not a repository made by memdesc/);
    expect(readFileSync(join(tmp, 'o1', 'corpus', 'mine.txt'), 'utf8')).toBe('keep');
    mkdirSync(join(tmp, 'o2', 'series'), { recursive: true });
    writeFileSync(join(tmp, 'o2', 'series', 'notes.md'), 'keep');
    expect(bad(['--out', join(tmp, 'o2')])).toMatch(/series holds files memdesc did not write/);
    expect(existsSync(join(tmp, 'o2', 'series', 'notes.md'))).toBe(true);
  });

  it("a user's repository at DIR/corpus, even one shaped like a corpus (.git and sim/), survives byte-identical with its commits", () => {
    const dir = mkdtempSync(join(tmpdir(), 'memdesc-start-user-'));
    const repo = join(dir, 'corpus');
    mkdirSync(join(repo, 'sim'), { recursive: true });
    writeFileSync(join(repo, 'sim', 'main.ts'), 'export {};\n');
    git(repo, 'init', '-q');
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'my work');
    git(repo, 'checkout', '-q', '-b', 'memdesc/all');
    writeFileSync(join(repo, 'uncommitted.ts'), 'mine\n');
    const head = git(repo, 'rev-parse', 'HEAD');
    const before = snapshot(dir);
    expect(bad(['--out', dir])).toMatch(/corpus is not a repository made by memdesc .*: memdesc start replaces only what it made/);
    expect(snapshot(dir)).toEqual(before);
    expect(git(repo, 'rev-parse', 'HEAD')).toBe(head);
    expect(git(repo, 'log', '--format=%s')).toBe('my work\n');
  });

  it('a series/ of .patch files only, a cover-letter.patch or a report.html that start did not write: refused, kept', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'memdesc-start-'));
    mkdirSync(join(tmp, 'a', 'series'), { recursive: true });
    writeFileSync(join(tmp, 'a', 'series', '0001-my-fix.patch'), 'mine');
    expect(bad(['--out', join(tmp, 'a')])).toMatch(/holds files memdesc did not write \(0001-my-fix\.patch\)/);
    mkdirSync(join(tmp, 'b'));
    writeFileSync(join(tmp, 'b', 'cover-letter.patch'), 'mine');
    expect(bad(['--out', join(tmp, 'b')])).toMatch(/cover-letter\.patch exists and memdesc did not write it/);
    mkdirSync(join(tmp, 'c'));
    writeFileSync(join(tmp, 'c', 'report.html'), 'mine');
    expect(bad(['--out', join(tmp, 'c')])).toMatch(/report\.html exists and memdesc did not write it/);
    for (const f of ['a/series/0001-my-fix.patch', 'b/cover-letter.patch', 'c/report.html']) expect(readFileSync(join(tmp, f), 'utf8')).toBe('mine');
  });

  it('an --out that is the bundled corpus, inside it, or the checkout holding it, is refused', () => {
    expect(bad(['--out', BUNDLED_CORPUS])).toMatch(/is the project being converted/);
    expect(bad(['--out', join(BUNDLED_CORPUS, '..')])).toMatch(/is the top of its git work tree|contains the project being converted/);
    expect(bad(['--out', join(BUNDLED_CORPUS, 'out')])).toMatch(/is inside the project being converted/);
    expect(existsSync(join(BUNDLED_CORPUS, 'out'))).toBe(false);
  });

  it('refuses bad verification flags', () => {
    expect(bad(['--seeds', 'x', '--out', join(tmpdir(), 'memdesc-start-none')])).toMatch(/seed/);
    expect(bad(['--jobs', '0', '--out', join(tmpdir(), 'memdesc-start-none')])).toMatch(/jobs/);
  });
});

describe('memdesc start: replacing its own output', () => {
  const spec = loadSpecFile(join(BLOBWORLD, 'spec.json'), builtinSpec());
  let env: ReturnType<typeof isolateGitConfig>;
  beforeAll(() => { env = isolateGitConfig({ name: 'Start Tester', email: 'start@example.org' }); });
  afterAll(() => env.restore());

  let made: string | undefined;
  /**
   * A DIR as start leaves it (series in a scratch repository DIR/corpus, the report, DIR's marker), from blobworld, with a user file beside:
   * a copy of one made by the first call (the series is the costly part; markers and the scratch repository hold no absolute path).
   */
  async function startLike(): Promise<{ dir: string; p: ReturnType<typeof startPaths> }> {
    if (made === undefined) {
      const first = mkdtempSync(join(tmpdir(), 'memdesc-start-made-'));
      const p = startPaths(first);
      await buildSeries({ path: copyTree(BLOBWORLD), spec, kinds: ['net'], out: p.series, coverLetter: p.cover, scratchAt: p.repo, force: true });
      writeFileSync(p.html, '<html>report</html>\n');
      writeMarker(first, 'start', ['cover-letter.patch', 'report.html']);
      writeFileSync(join(first, 'my-notes.txt'), 'mine\n');
      made = first;
    }
    const dir = mkdtempSync(join(tmpdir(), 'memdesc-start-own-'));
    cpSync(made, dir, { recursive: true });
    const p = startPaths(dir);
    // The copy's index has the original's file stats: refreshed, as in a repository made here (git would refresh it on the first look).
    git(p.repo, 'update-index', '-q', '--refresh');
    return { dir, p };
  }
  const guards = projectGuards(BUNDLED_CORPUS);

  it('takes what start made: the old scratch repository goes, everything else stays for the series to replace', async () => {
    const { dir, p } = await startLike();
    await prepareOut(dir, guards);
    expect(existsSync(p.repo)).toBe(false);
    expect(readdirSync(dir).sort()).toEqual(['.memdesc-output.json', 'cover-letter.patch', 'my-notes.txt', 'report.html', 'series']);
    expect(readFileSync(join(dir, 'my-notes.txt'), 'utf8')).toBe('mine\n');
    // The series can then replace series/ and the cover letter in place, as start does.
    await buildSeries({ path: copyTree(BLOBWORLD), spec, kinds: ['net'], out: p.series, coverLetter: p.cover, scratchAt: p.repo, force: true });
    expect(existsSync(join(p.repo, '.git'))).toBe(true);
  });

  it('refuses when the user worked in DIR/corpus (a file, a commit, a branch) or changed report.html; nothing deleted', async () => {
    const cases: Array<[string, (p: ReturnType<typeof startPaths>) => void, RegExp]> = [
      ['untracked file', (p) => writeFileSync(join(p.repo, 'mine.ts'), 'x'), /has changes memdesc did not make \(mine\.ts\)/],
      ['edited file', (p) => writeFileSync(join(p.repo, 'src', 'main.ts'), 'x'), /has changes memdesc did not make/],
      ['commit', (p) => { writeFileSync(join(p.repo, 'mine.ts'), 'x'); git(p.repo, 'add', 'mine.ts'); git(p.repo, 'commit', '-q', '-m', 'mine'); }, /branches, tags or commits memdesc did not make/],
      ['branch', (p) => git(p.repo, 'branch', 'my-work'), /branches, tags or commits memdesc did not make/],
      ['report', (p) => writeFileSync(p.html, 'edited'), /report\.html exists and memdesc did not write it/],
    ];
    for (const [what, change, re] of cases) {
      const { dir, p } = await startLike();
      change(p);
      const before = snapshot(dir);
      await expect(prepareOut(dir, guards), what).rejects.toThrow(re);
      expect(snapshot(dir), what).toEqual(before);
    }
  });

  it('--help describes --author and --no-signoff', () => {
    const x = cli(['start', '--help']);
    expect(x.stdout).toMatch(/--author <ident>/);
    expect(x.stdout).toMatch(/--no-signoff/);
    expect(x.stdout).toMatch(/only\s+when memdesc can prove start made them/);
  });
});
