/**
 * runPipeline, the library behind `memdesc start`, on a small corpus-shaped tree (test/blobCorpus.ts:
 * blobworld, a fixture with its own spec, plus a sim/main.ts that runs blobworld's deterministic
 * program and reports a digest of its output per seed), so every patch is really built, run and compared.
 * (The bundled corpus takes minutes; `npm start` is that run.) Checked: the phases in order
 * through the callbacks, the results it returns, the files it leaves, that it never prints, that
 * a second run replaces only its own output, and that bad input is refused before any work.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { UsageError } from '../../src/errors.ts';
import { builtinSpec } from '../../src/model/builtin.ts';
import { loadSpecFile } from '../../src/model/spec-validate.ts';
import { runPipeline, type PipelineOptions, type PipelineResult } from '../../src/pipeline/start.ts';
import { BLOBWORLD, copyTree } from '../rewrite/helpers.ts';
import { blobCorpus } from '../blobCorpus.ts';
import { amOnto, git, isolateGitConfig, snapshot, tempRoot } from '../series/helpers.ts';

const spec = loadSpecFile(join(BLOBWORLD, 'spec.json'), builtinSpec());
const verify = { seeds: [1], tipSeeds: [1, 2] };
let temp: ReturnType<typeof tempRoot>;
let env: ReturnType<typeof isolateGitConfig>;
beforeAll(() => {
  temp = tempRoot();
  env = isolateGitConfig({ name: 'Pipeline Tester', email: 'pipeline@example.org' });
});
afterAll(() => {
  env.restore();
  temp.cleanup();
});

describe('runPipeline on a small corpus tree', () => {
  let corpus: string;
  let out: string;
  let r: PipelineResult;
  const events: string[] = [];
  let printed: string[];

  beforeAll(async () => {
    corpus = blobCorpus();
    out = join(mkdtempSync(join(tmpdir(), 'memdesc-pipeline-')), 'out');
    const write = (chunk: unknown): boolean => { printed.push(String(chunk)); return true; };
    printed = [];
    const so = vi.spyOn(process.stdout, 'write').mockImplementation(write);
    const se = vi.spyOn(process.stderr, 'write').mockImplementation(write);
    try {
      r = await runPipeline({
        corpus, out, spec, verify,
        onStart: (s) => events.push(`start ${s.identity.source} ${s.paths.repo === join(out, 'corpus')}`),
        onPhase: (e) => events.push(e.phase),
        onSeriesCommit: (d, n) => void events.push(`commit ${d}/${n}`),
        onTrackCommit: (d, n) => void events.push(`track ${d}/${n}`),
      });
    } finally {
      so.mockRestore();
      se.mockRestore();
    }
  }, 240_000);

  it('runs analyze, series and track in order, reporting through the callbacks only', () => {
    expect(printed).toEqual([]);
    const n = r.series.commits.length;
    expect(n).toBeGreaterThan(2);
    const commits = Array.from({ length: n }, (_, i) => `commit ${i + 1}/${n}`);
    const tracks = Array.from({ length: n + 1 }, (_, i) => `track ${i + 1}/${n + 1}`);
    expect(events).toEqual([`start config true`, 'analyze', ...commits, 'series', ...tracks, 'track']);
  });

  it('returns the analysis, a complete verified series and its track report', () => {
    expect(r.status).toBe('ok');
    expect(r.failure).toBeUndefined();
    expect(r.analysis.summary.findings).toBeGreaterThan(0);
    expect(r.series.complete).toBe(true);
    expect(r.series.tipEqualsOneShot).toBe(true);
    for (const c of r.series.commits) {
      expect(typeof c.verification, c.subject).not.toBe('string');
      if (typeof c.verification !== 'string') expect(c.verification.ok, c.subject).toBe(true);
    }
    const tip = r.series.commits.at(-1)!.verification;
    expect(typeof tip !== 'string' && !('kind' in tip) && tip.workloads).toEqual(['mixed', 'quiet']);
    expect(typeof tip !== 'string' && !('kind' in tip) && tip.seeds).toEqual([1, 2]);
    expect(r.report.points).toHaveLength(r.series.commits.length + 1);
    expect(r.coverPlan.patches).toHaveLength(r.series.commits.length);
    expect(r.report.plan!.patches.every((p) => p.state === 'done')).toBe(true);
    const tipPoint = r.report.points.at(-1)!;
    for (const k of Object.values(tipPoint.kinds)) expect(k.remaining).toBe(0);
    expect(r.identity.author).toEqual({ name: 'Pipeline Tester', email: 'pipeline@example.org' });
  });

  it('leaves the series, cover letter, scratch repository and report in out; the corpus untouched', () => {
    expect(readdirSync(out).sort()).toEqual(['.memdesc-output.json', 'corpus', 'cover-letter.patch', 'report.html', 'series']);
    expect(readFileSync(r.paths.html, 'utf8')).toMatch(/<html/i);
    expect(git(r.paths.repo, 'rev-list', '--count', r.branch).trim()).toBe(String(r.series.commits.length + 1));
    expect(existsSync(join(corpus, '.git'))).toBe(false);
    // git am of the patches on a git copy of the corpus gives the tip.
    const base = copyTree(corpus);
    git(base, 'init', '-q');
    git(base, 'add', '-A');
    git(base, 'commit', '-q', '-m', 'base');
    const am = amOnto(base, 'HEAD', r.paths.series);
    expect(am.status, am.stderr).toBe(0);
    expect(git(am.dir, 'rev-parse', 'HEAD^{tree}')).toBe(git(r.paths.repo, 'rev-parse', `${r.branch}^{tree}`));
  });

  it('a second run replaces what the first made and nothing else', async () => {
    writeFileSync(join(out, 'my-notes.txt'), 'mine\n');
    const again = await runPipeline({ corpus, out, spec, verify });
    expect(again.status).toBe('ok');
    expect(readFileSync(join(out, 'my-notes.txt'), 'utf8')).toBe('mine\n');
    expect(git(again.paths.repo, 'rev-parse', `${again.branch}^{tree}`)).toBe(git(r.paths.repo, 'rev-parse', `${r.branch}^{tree}`));
  }, 240_000);
});

describe('runPipeline: a series that fails part-way', () => {
  it('runs the series inside guardSeries (the CLI\'s interrupt undo) and leaves no scratch repository, report or marker', async () => {
    const corpus = blobCorpus();
    const out = join(mkdtempSync(join(tmpdir(), 'memdesc-pipeline-')), 'out');
    const guarded: string[] = [];
    await expect(runPipeline({
      corpus, out, spec, verify,
      guardSeries: async (run) => {
        guarded.push('in');
        try {
          return await run();
        } finally {
          guarded.push('out');
        }
      },
      onSeriesCommit: (d) => {
        if (d === 2) throw new Error('stopped at commit 2');
      },
    })).rejects.toThrow(/stopped at commit 2/);
    expect(guarded).toEqual(['in', 'out']);
    expect(existsSync(join(out, 'corpus'))).toBe(false);
    expect(existsSync(join(out, 'report.html'))).toBe(false);
    expect(existsSync(join(out, '.memdesc-output.json'))).toBe(false);
  }, 240_000);
});

describe('runPipeline: bad input is refused before any work', () => {
  const refused = async (opts: PipelineOptions, re: RegExp): Promise<void> => {
    const onStart = vi.fn();
    await expect(runPipeline({ ...opts, onStart })).rejects.toThrow(UsageError);
    await expect(runPipeline({ ...opts, onStart })).rejects.toThrow(re);
    expect(onStart).not.toHaveBeenCalled();
  };

  it('a folder that is no corpus tree', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'memdesc-pipeline-'));
    await refused({ corpus: join(tmp, 'nope'), out: join(tmp, 'o'), spec }, /nope: no such folder/);
    await refused({ corpus: BLOBWORLD, out: join(tmp, 'o'), spec }, /is not a corpus tree/);
    expect(existsSync(join(tmp, 'o'))).toBe(false);
  });

  it('an out holding files start did not write; nothing changes', async () => {
    const corpus = blobCorpus();
    const tmp = mkdtempSync(join(tmpdir(), 'memdesc-pipeline-'));
    mkdirSync(join(tmp, 'series'));
    writeFileSync(join(tmp, 'series', '0001-mine.patch'), 'mine');
    writeFileSync(join(tmp, 'report.html'), 'mine');
    const before = snapshot(tmp);
    await refused({ corpus, out: tmp, spec }, /memdesc start replaces only what it made/);
    expect(snapshot(tmp)).toEqual(before);
  });

  it('an out inside the corpus', async () => {
    const corpus = blobCorpus();
    await refused({ corpus, out: join(corpus, 'out'), spec }, /is inside the project being converted/);
    expect(existsSync(join(corpus, 'out'))).toBe(false);
  });
});
