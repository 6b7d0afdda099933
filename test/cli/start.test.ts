/**
 * `memdesc start`: the status table it prints from a track report, and the bad inputs it refuses
 * before any work (one line, exit 2, nothing deleted). The pipeline's parts (series with a
 * scratch repository and a separate cover letter, track, plans, the HTML report) have their own
 * tests; a whole run takes minutes and is what `npm start` does.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderStartStatus } from '../../src/commands/start.ts';
import { builtinSpec } from '../../src/model/builtin.ts';
import type { ProgressPoint, TrackReport } from '../../src/model/progress.ts';
import { cli } from '../rewrite/helpers.ts';

const spec = builtinSpec();

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

  it('refuses an --out that is a file, or holds a corpus/ or series/ it did not make; deletes nothing', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'memdesc-start-'));
    writeFileSync(join(tmp, 'file'), 'keep');
    expect(bad(['--out', join(tmp, 'file')])).toMatch(/not a directory/);
    mkdirSync(join(tmp, 'o1', 'corpus'), { recursive: true });
    writeFileSync(join(tmp, 'o1', 'corpus', 'mine.txt'), 'keep');
    expect(bad(['--out', join(tmp, 'o1')])).toMatch(/not a corpus repository made by memdesc start/);
    expect(readFileSync(join(tmp, 'o1', 'corpus', 'mine.txt'), 'utf8')).toBe('keep');
    mkdirSync(join(tmp, 'o2', 'series'), { recursive: true });
    writeFileSync(join(tmp, 'o2', 'series', 'notes.md'), 'keep');
    expect(bad(['--out', join(tmp, 'o2')])).toMatch(/files other than patches/);
    expect(existsSync(join(tmp, 'o2', 'series', 'notes.md'))).toBe(true);
  });

  it('refuses bad verification flags', () => {
    expect(bad(['--seeds', 'x', '--out', join(tmpdir(), 'memdesc-start-none')])).toMatch(/seed/);
    expect(bad(['--jobs', '0', '--out', join(tmpdir(), 'memdesc-start-none')])).toMatch(/jobs/);
  });
});
