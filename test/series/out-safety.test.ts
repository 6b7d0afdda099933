/**
 * `series --out` never deletes what memdesc did not write (issue 12, item 1): the project, its
 * git work tree and git directory are never an output; a folder is replaced only when its
 * marker proves it is an earlier series' output with nothing added or changed, and `--force`
 * never widens that. Each refusal is one line, exit 2, before any work, with nothing changed.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.ts';
import { builtinSpec } from '../../src/model/builtin.ts';
import { loadSpecFile } from '../../src/model/spec-validate.ts';
import { MARKER } from '../../src/series/ownedOut.ts';
import { buildSeries, type SeriesOptions } from '../../src/series/series.ts';
import { runMain as cli } from '../inProcess.ts';
import { BLOBWORLD, copyTree } from '../rewrite/helpers.ts';
import { git, leftovers, repoOf, snapshot, useIsolatedGit } from './helpers.ts';

const spec = loadSpecFile(join(BLOBWORLD, 'spec.json'), builtinSpec());
useIsolatedGit({ name: 'Ada Lovelace', email: 'ada@example.org' });

const series = (o: Partial<SeriesOptions> & { path: string; out: string }) => buildSeries({ spec, kinds: ['net'], ...o });
const failure = async (o: Partial<SeriesOptions> & { path: string; out: string }): Promise<Error> => {
  const e = await series(o).then(() => undefined, (x: unknown) => x as Error);
  expect(e, 'the series should have been refused').toBeInstanceOf(UsageError);
  return e!;
};

/** A repository whose project is a subfolder (so the project, the work tree top and .git differ). */
function nestedRepo(): { top: string; proj: string } {
  const top = join(mkdtempSync(join(tmpdir(), 'memdesc-nested-')), 'top');
  const proj = join(top, 'proj');
  cpSync(BLOBWORLD, proj, { recursive: true });
  git(top, 'init', '-q');
  git(top, 'add', '-A');
  git(top, 'commit', '-q', '-m', 'base');
  writeFileSync(join(top, 'WIP.txt'), 'uncommitted\n');
  return { top, proj };
}

describe('series --out: only what memdesc wrote is ever replaced', () => {
  it('a scratch repository and outputs beside the project inside its git work tree (npm start in a checkout: out/corpus) are allowed', async () => {
    const { top, proj } = nestedRepo();
    const at = join(top, 'out', 'corpus');
    const s = await series({ path: proj, out: join(top, 'out', 'series'), coverLetter: join(top, 'out', 'cover.patch'), scratchAt: at });
    expect(s.scratch).toBe(true);
    expect(s.repo).toBe(at);
    expect(readFileSync(join(top, 'WIP.txt'), 'utf8')).toBe('uncommitted\n');
    expect(git(top, 'branch', '--list', 'memdesc/*').trim()).toBe('');
    // Inside the project the copy would hold itself: still refused.
    expect((await failure({ path: proj, out: join(top, 'o2'), scratchAt: join(proj, 'scratch') })).message).toMatch(/is inside the project being converted/);
  }, 60_000);

  it('--out . inside a git copy of the project (with --force): exit 2, one line, the repository untouched, no branch', async () => {
    const repo = repoOf(BLOBWORLD);
    writeFileSync(join(repo, 'WIP.txt'), 'uncommitted work\n');
    writeFileSync(join(repo, 'src', 'main.ts'), `${readFileSync(join(repo, 'src', 'main.ts'), 'utf8')}// an edit not committed yet\n`);
    const head = git(repo, 'rev-parse', 'HEAD');
    const before = snapshot(repo);
    const x = await cli(['series', 'net', '.', '--spec', 'spec.json', '--out', '.', '--force'], repo);
    expect(x.status, x.stderr).toBe(2);
    expect(x.stderr.trim().split('\n')).toHaveLength(1);
    expect(x.stderr).toMatch(/--out .* is the project being converted/);
    expect(x.stderr).not.toMatch(/--force/);
    expect(snapshot(repo)).toEqual(before);
    expect(git(repo, 'rev-parse', 'HEAD')).toBe(head);
    expect(leftovers(repo)).toEqual({ branches: [], worktrees: 1 });
  });

  it('--out the project, its git work tree top, .git, a folder inside .git, a parent, or a link to the project: refused, nothing changed', async () => {
    const { top, proj } = nestedRepo();
    const link = join(dirname(top), 'link-to-proj');
    symlinkSync(proj, link);
    const cases: Array<[string, RegExp]> = [
      [proj, /is the project being converted/],
      [join(proj, 'src', '..'), /is the project being converted/],
      [link, /is the project being converted/],
      [top, /is the top of its git work tree/],
      [join(top, '.git'), /is its git directory/],
      [join(top, '.git', 'patches'), /is inside its git directory/],
      [dirname(top), /contains the project being converted/],
    ];
    for (const [out, re] of cases) {
      const before = snapshot(dirname(top));
      const e = await failure({ path: proj, out, force: true });
      expect(e.message, out).toMatch(re);
      expect(e.message).not.toMatch(/--force/);
      expect(snapshot(dirname(top)), out).toEqual(before);
      expect(leftovers(top)).toEqual({ branches: [], worktrees: 1 });
    }
  });

  it('a non-empty folder memdesc did not write is refused with and without --force (even one of .patch files only); the message never advises --force', async () => {
    const repo = repoOf(BLOBWORLD);
    const out = mkdtempSync(join(tmpdir(), 'memdesc-user-out-'));
    writeFileSync(join(out, '0001-my-own-fix.patch'), 'mine\n');
    for (const force of [false, true]) {
      const before = snapshot(out);
      const e = await failure({ path: repo, out, force });
      expect(e.message).toMatch(/holds files memdesc did not write \(0001-my-own-fix\.patch\)/);
      expect(e.message).not.toMatch(/--force/);
      expect(snapshot(out)).toEqual(before);
      expect(leftovers(repo)).toEqual({ branches: [], worktrees: 1 });
    }
    const x = await cli(['series', 'net', repo, '--spec', join(repo, 'spec.json'), '--out', out, '--force']);
    expect(x.status, x.stderr).toBe(2);
    expect(x.stderr.trim().split('\n')).toHaveLength(1);
    expect(x.stderr).not.toMatch(/--force/);
    expect(readFileSync(join(out, '0001-my-own-fix.patch'), 'utf8')).toBe('mine\n');
  });

  it('an empty folder is used; an earlier output is replaced with --force, and only with --force', async () => {
    const repo = repoOf(BLOBWORLD);
    const parent = mkdtempSync(join(tmpdir(), 'memdesc-out-'));
    const out = join(parent, 'patches');
    mkdirSync(out);
    const r1 = await series({ path: repo, out });
    const names = readdirSync(out).filter((f) => f.endsWith('.patch')).sort();
    const marker = JSON.parse(readFileSync(join(out, MARKER), 'utf8')) as { tool: string; purpose: string; files: Record<string, string> };
    expect(marker.tool).toBe('memdesc');
    expect(marker.purpose).toBe('series');
    expect(Object.keys(marker.files).sort()).toEqual(names);
    expect(names).toHaveLength(r1.commits.length + 1);
    // The branch memdesc made is recorded as its own, so --force may replace it.
    expect(git(repo, 'config', '--get', 'branch.memdesc/net.memdesc-series').trim()).toBe(git(repo, 'rev-parse', 'memdesc/net').trim());

    const e = await failure({ path: repo, out });
    expect(e.message).toMatch(/earlier memdesc series\): pass --force to replace it|earlier memdesc series: pass --force/);
    const r2 = await series({ path: repo, out, force: true });
    expect(readdirSync(out).sort()).toEqual([...names, MARKER].sort());
    expect(r2.commits.map((c) => c.subject)).toEqual(r1.commits.map((c) => c.subject));
    expect(git(repo, 'rev-parse', 'memdesc/net').trim()).toBe(r2.commits.at(-1)!.sha);
    // Nothing left beside it: no temp folder, no folder moved aside.
    expect(readdirSync(parent)).toEqual(['patches']);
    expect(leftovers(repo)).toEqual({ branches: ['memdesc/net'], worktrees: 1 });
  });

  it('an earlier output with a file added, a patch edited or a forged marker is refused even with --force; nothing changed', async () => {
    const repo = repoOf(BLOBWORLD);
    const out = join(mkdtempSync(join(tmpdir(), 'memdesc-out-')), 'patches');
    await series({ path: repo, out });
    const tip = git(repo, 'rev-parse', 'memdesc/net');
    const first = readdirSync(out).filter((f) => f.startsWith('0001-'))[0]!;

    writeFileSync(join(out, 'review-notes.txt'), 'my notes\n');
    let before = snapshot(out);
    expect((await failure({ path: repo, out, force: true })).message).toMatch(/holds review-notes\.txt, which memdesc did not write/);
    expect(snapshot(out)).toEqual(before);
    expect(git(repo, 'rev-parse', 'memdesc/net')).toBe(tip);

    rmSync(join(out, 'review-notes.txt'));
    writeFileSync(join(out, first), `${readFileSync(join(out, first), 'utf8')}my edit\n`);
    before = snapshot(out);
    const e = await failure({ path: repo, out, force: true });
    expect(e.message).toMatch(new RegExp(`${first.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} was changed after memdesc wrote it`));
    expect(e.message).not.toMatch(/--force/);
    expect(snapshot(out)).toEqual(before);

    const forged = mkdtempSync(join(tmpdir(), 'memdesc-forged-'));
    writeFileSync(join(forged, MARKER), '{"tool": "someone else"}');
    writeFileSync(join(forged, 'data.bin'), 'x');
    before = snapshot(forged);
    expect((await failure({ path: repo, out: forged, force: true })).message).toMatch(/is not one memdesc wrote/);
    expect(snapshot(forged)).toEqual(before);
    expect(git(repo, 'rev-parse', 'memdesc/net')).toBe(tip);
  });

  it('an --out inside the project is fine when new: in git it is only an untracked folder; outside git it is not part of the base', async () => {
    const repo = repoOf(BLOBWORLD);
    await series({ path: repo, out: join(repo, 'outgoing') });
    expect(git(repo, 'status', '--porcelain')).toBe('?? outgoing/\n');
    await series({ path: repo, out: join(repo, 'outgoing'), force: true });
    expect(git(repo, 'status', '--porcelain')).toBe('?? outgoing/\n');

    const dir = copyTree(BLOBWORLD);
    const out = join(dir, 'outgoing');
    const cover = join(dir, 'cover.patch');
    await series({ path: dir, out, coverLetter: cover });
    const s = await series({ path: dir, out, coverLetter: cover, force: true });
    const base = git(s.repo, 'ls-tree', '-r', '--name-only', s.base).split('\n').filter(Boolean);
    expect(base.filter((f) => f.startsWith('outgoing') || f === 'cover.patch' || f.includes(MARKER))).toEqual([]);
    expect(base).toContain('src/main.ts');
  });

  it('--cover-letter: a file memdesc did not write is refused even with --force; its own earlier one is replaced with --force', async () => {
    const repo = repoOf(BLOBWORLD);
    const dir = mkdtempSync(join(tmpdir(), 'memdesc-cover-'));
    const mine = join(dir, 'cover.patch');
    writeFileSync(mine, 'my own cover letter\n');
    const e = await failure({ path: repo, out: join(dir, 'p'), coverLetter: mine, force: true });
    expect(e.message).toMatch(/memdesc did not write it/);
    expect(readFileSync(mine, 'utf8')).toBe('my own cover letter\n');
    expect(existsSync(join(dir, 'p'))).toBe(false);

    const cover = join(dir, 'cover2.patch');
    await series({ path: repo, out: join(dir, 'q'), coverLetter: cover });
    const first = readFileSync(cover, 'utf8');
    expect((await failure({ path: repo, out: join(dir, 'q'), coverLetter: cover })).message).toMatch(/pass --force/);
    await series({ path: repo, out: join(dir, 'q'), coverLetter: cover, force: true });
    expect(readFileSync(cover, 'utf8')).toMatch(/^Subject: \[PATCH 0+\/\d+\]/m);
    expect(first).toMatch(/Separate net from Blob/);
    expect((await failure({ path: repo, out: join(dir, 'r'), coverLetter: join(dir, 'r', 'c.patch'), force: true })).message).toMatch(/inside --out/);
  });

  it('an --out that is a symbolic link or a file is refused', async () => {
    const repo = repoOf(BLOBWORLD);
    const dir = mkdtempSync(join(tmpdir(), 'memdesc-link-'));
    mkdirSync(join(dir, 'real'));
    symlinkSync(join(dir, 'real'), join(dir, 'link'));
    expect((await failure({ path: repo, out: join(dir, 'link') })).message).toMatch(/is a symbolic link/);
    writeFileSync(join(dir, 'file'), 'keep');
    expect((await failure({ path: repo, out: join(dir, 'file'), force: true })).message).toMatch(/is not a directory/);
    expect(readFileSync(join(dir, 'file'), 'utf8')).toBe('keep');
  });
});
