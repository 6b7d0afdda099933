/**
 * A commit track cannot analyze (no tsconfig.json, a tsconfig with a JSON or option error, one
 * that includes nothing, an `extends` that is missing, a project without the spec's page class)
 * is a gap in the report — with the reason, in the JSON, the table and the HTML burndown — and
 * the walk goes on; the commits around it are measured exactly as a fresh analysis of their
 * checkout. Only a range where no commit can be analyzed, or a bad revision, is an error.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveSpec } from '../../src/model/builtin.ts';
import type { AnalysisResult } from '../../src/model/findings.ts';
import type { ProgressPoint, TrackReport } from '../../src/model/progress.ts';
import { renderTrackHtml } from '../../src/track/html.ts';
import { progressPoint } from '../../src/track/progress.ts';
import { trackHistory } from '../../src/track/track.ts';
import { analyzeEachCommit, BLOBWORLD, blobworldHistory, commitIn, editIn, gitIn, gitNoise, cli } from './history.ts';

const SPEC_FILE = join(BLOBWORLD, 'spec.json');
let dir: string;
let repo: string;
let spec: ReturnType<typeof resolveSpec>;
const shas: string[] = [];
/** Reason pattern per commit; undefined for a commit with numbers. */
const gaps: Array<RegExp | undefined> = [];
const fresh = new Map<string, AnalysisResult>();

const tsconfigPath = (): string => join(repo, 'proj', 'tsconfig.json');

function commit(msg: string, gap?: RegExp): void {
  shas.push(commitIn(repo, msg));
  gaps.push(gap);
}

/** Rewrite proj/tsconfig.json through `f` (from the fixture's own text). */
function tsconfig(f: (text: string) => string): void {
  writeFileSync(tsconfigPath(), f(readFileSync(join(BLOBWORLD, 'tsconfig.json'), 'utf8')));
}

function counts(p: ProgressPoint): unknown {
  return { kinds: p.kinds, unknown: p.unknown, residue: p.residue, files: p.files };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'memdesc-track-gaps-'));
  repo = join(dir, 'repo');
  for (const sha of blobworldHistory(repo)) {
    shas.push(sha);
    gaps.push(undefined);
  }
  rmSync(tsconfigPath());
  commit('drop the tsconfig', /^no tsconfig\.json at proj\/tsconfig\.json$/);
  tsconfig((t) => t.replace('"strict": true,', '"strict": true'));
  commit('tsconfig: a missing comma', /^invalid proj\/tsconfig\.json: .*expected.* \(proj\/tsconfig\.json:7:5\)$/);
  tsconfig((t) => t.replace('"include": ["src"]', '"include": ["nothing-here"]'));
  commit('tsconfig: includes nothing', /^no TypeScript files in proj\/tsconfig\.json$/);
  tsconfig((t) => t.replace('{\n', '{\n  "extends": "./base.json",\n'));
  commit('tsconfig: extends a missing file', /^invalid proj\/tsconfig\.json: .*base\.json/);
  tsconfig((t) => t.replace('"target": "ES2022"', '"target": "ES1999"'));
  commit('tsconfig: an unknown target', /^invalid proj\/tsconfig\.json: .*target/);
  tsconfig((t) => t);
  editIn(repo, 'src/helpers.ts', 'export function blob_owner(blob: { owner: number }): number', 'export function blob_owner(blob: Blob): number');
  commit('back, with blob_owner on blobs');
  gitIn(repo, 'mv', 'proj/src/blob.ts', 'proj/src/blob2.ts');
  commit('blob.ts renamed: the spec finds no page class', /the spec's class Blob is not declared in src\/blob\.ts/);
  spec = resolveSpec(SPEC_FILE);
  const measured = shas.filter((_, i) => !gaps[i]);
  for (const [sha, r] of analyzeEachCommit(repo, join(dir, 'checkout'), measured, spec)) fresh.set(sha, r);
}, 60_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('track: commits without a usable project are gaps', () => {
  it('every commit gets a point; gaps say why and have no numbers; the others equal a fresh analysis', async () => {
    const { report, newest, newestCommit } = await trackHistory({ spec, repo, path: 'proj', cacheDir: false });
    expect(report.points.map((p) => p.commit)).toEqual(shas);
    report.points.forEach((p, i) => {
      const want = gaps[i];
      if (want) {
        expect(p.gap, p.subject).toMatch(want);
        expect(counts(p), p.subject).toEqual({ kinds: {}, unknown: 0, residue: 0, files: 0 });
      } else {
        expect(p.gap, p.subject).toBeUndefined();
        expect(counts(p), p.subject).toEqual(counts(progressPoint(fresh.get(p.commit)!, spec, p)));
      }
    });
    // The newest commit is a gap: the residue and the newest analysis are those of the last measured one.
    const lastMeasured = shas[gaps.lastIndexOf(undefined)]!;
    expect(newestCommit.commit).toBe(lastMeasured);
    expect(newest.findings).toEqual(fresh.get(lastMeasured)!.findings);
    expect(report.residue).toEqual(fresh.get(lastMeasured)!.residue);
  });

  it('the same with the disk cache, cold and warm', async () => {
    const cacheDir = join(dir, 'cache');
    const plain = (await trackHistory({ spec, repo, path: 'proj', cacheDir: false })).report.points;
    expect((await trackHistory({ spec, repo, path: 'proj', cacheDir })).report.points).toEqual(plain);
    const warm = await trackHistory({ spec, repo, path: 'proj', cacheDir });
    expect(warm.report.points).toEqual(plain);
    expect(warm.report.cache.analyzedFiles).toBe(0);
  });

  it('memdesc track: a table row per gap with its reason, "gap" in the JSON, exit 0', async () => {
    const text = await cli('track', repo, '--path', 'proj', '--no-cache', '--spec', SPEC_FILE);
    expect(text.code).toBe(0);
    expect(text.err).toBe('');
    expect(text.out).toContain(`\n${shas[3]!.slice(0, 7)}  drop the tsconfig`);
    expect(text.out).toMatch(new RegExp(`\\n${shas[3]!.slice(0, 7)}  drop the tsconfig +gap: no tsconfig\\.json at proj/tsconfig\\.json\\n`));
    expect(text.out).toMatch(new RegExp(`\\n${shas[2]!.slice(0, 7)}  net: comment +\\d+/\\d+ [\\d.]+% +\\d+/\\d+ [\\d.]+% +\\d+ +\\d+\\n`));
    expect(text.out).toContain('6 commits without numbers (gap: why)');
    const json = await cli('track', repo, '--path', 'proj', '--no-cache', '--json', '--spec', SPEC_FILE);
    const report = JSON.parse(json.out) as TrackReport;
    expect(report.points.map((p) => (p.gap ? 'gap' : 'ok'))).toEqual(gaps.map((g) => (g ? 'gap' : 'ok')));
    expect(report.points[5]!.gap).toMatch(gaps[5]!);
  });

  it('the HTML burndown breaks its lines at gaps and marks each one with its reason', async () => {
    const { report } = await trackHistory({ spec, repo, path: 'proj', cacheDir: false });
    const html = renderTrackHtml(report);
    expect(html.match(/<g class="gap"/g)?.length).toBe(gaps.filter(Boolean).length);
    expect(html).toContain('no tsconfig.json at proj/tsconfig.json');
    for (const kind of spec.kinds.map((k) => k.name)) {
      const d = new RegExp(`<path class="series" data-kind="${kind}" d="([^"]*)"`).exec(html)![1]!;
      // Two measured runs (the first three commits, then one): each starts with its own move.
      expect(d.match(/M/g)?.length).toBe(2);
      expect(d.match(/[ML]/g)?.length).toBe(4);
    }
    // The status table is the newest measured commit's, and says the newest commit is a gap.
    expect(html).toContain(`id="status-gap"`);
    expect(html).toContain(shas[shas.length - 2]!.slice(0, 7));
  });

  it('--plan with the newest commit a gap: the plan is read at the newest commit with numbers', async () => {
    const plan = join(dir, 'cover.patch');
    writeFileSync(plan, 'From 000 Mon Sep 17 00:00:00 2001\nFrom: A Person <a@example.org>\nSubject: [PATCH 0/1] Cache objects\n\nA Person (1):\n  cache: add CacheObj\n\n');
    const r = await cli('track', repo, '--path', 'proj', '--no-cache', '--plan', plan, '--spec', SPEC_FILE);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain(`plan: Cache objects (v1) at ${shas[shas.length - 2]!.slice(0, 7)}, the newest commit with numbers`);
    expect(r.out).toMatch(/\[1\] (done|not done|not applicable) +cache: add CacheObj/);
  });

  it('no commit of the range can be analyzed: exit 2, one line naming the newest reason', async () => {
    const r = await cli('track', repo, '--path', 'proj', '--no-cache', '--range', `${shas[2]}..${shas[7]}`, '--spec', SPEC_FILE);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^memdesc: nothing to track: none of the 5 commits has a project to analyze \(newest [0-9a-f]{12}: invalid proj\/tsconfig\.json: .*\)\n$/);
    expect(r.out).toBe('');
  });

  it('a bad revision stays an exit-2 error', async () => {
    const r = await cli('track', repo, '--path', 'proj', '--no-cache', '--range', 'nope..HEAD', '--spec', SPEC_FILE);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^memdesc: bad range 'nope\.\.HEAD'.*\n$/);
  });

  it('leaves the repository as committed', () => {
    expect(gitNoise(repo)).toBe('');
  });
});
