/**
 * Whole commits from the cache: a commit whose tree was measured before (by this walk or an
 * earlier one, with the same tool, spec and path) is one read of its point — unless something
 * the build read outside the tree (a types package under node_modules, which git never holds)
 * reads differently now; then it is measured again. The newest commit is always measured in
 * full. Every report equals a walk without any disk cache.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveSpec } from '../../src/model/builtin.ts';
import type { TrackReport } from '../../src/model/progress.ts';
import { trackHistory } from '../../src/track/track.ts';
import { BLOBWORLD, blobworldHistory, commitIn, editIn, gitNoise } from './history.ts';

let dir: string;
let repo: string;
const spec = resolveSpec(join(BLOBWORLD, 'spec.json'));
const shas: string[] = [];
let plain: TrackReport;

const typesFile = (): string => join(repo, 'proj/node_modules/@types/ext/index.d.ts');
const measured = (r: TrackReport): unknown => r.points.map(({ commit, kinds, unknown, residue, files, gap }) => ({ commit, kinds, unknown, residue, files, gap }));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'memdesc-track-points-'));
  repo = join(dir, 'repo');
  shas.push(...blobworldHistory(repo));
  // From the 4th commit on, the project reads a types package from disk (never committed).
  writeFileSync(join(repo, '.gitignore'), 'node_modules\n');
  mkdirSync(join(typesFile(), '..'), { recursive: true });
  writeFileSync(typesFile(), 'declare const EXT_VERSION: number;\n');
  const tsconfig = join(repo, 'proj/tsconfig.json');
  writeFileSync(tsconfig, readFileSync(tsconfig, 'utf8').replace('"types": []', '"types": ["ext"]'));
  shas.push(commitIn(repo, 'tsconfig: the ext types'));
  editIn(repo, 'src/cache.ts', 'export function cache_sum(): number {', 'export function cache_sum(): number {\n  void EXT_VERSION;');
  shas.push(commitIn(repo, 'cache: read EXT_VERSION'));
  // Back to the tree of the 4th commit.
  editIn(repo, 'src/cache.ts', 'export function cache_sum(): number {\n  void EXT_VERSION;', 'export function cache_sum(): number {');
  shas.push(commitIn(repo, 'Revert "cache: read EXT_VERSION"'));
  editIn(repo, 'src/net/buf.ts', '/** Network buffers', '/** Network buffers (again)');
  shas.push(commitIn(repo, 'net: another comment'));
  plain = (await trackHistory({ spec, repo, path: 'proj', cacheDir: false })).report;
}, 60_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** What the plan rules read of a commit (lazy getters called: functions are never equal). */
const factsData = (f: object): object => Object.fromEntries(Object.entries(f).map(([k, v]) => [k, typeof v === 'function' ? (v as () => unknown)() : v]));

describe('track: whole commits from the cache', () => {
  it('the history is what the test means', () => {
    expect(plain.points.map((p) => p.commit)).toEqual(shas);
    expect(plain.points.every((p) => p.gap === undefined)).toBe(true);
  });

  it('a commit whose tree was measured earlier in the walk is reused in the first walk', async () => {
    const cold = await trackHistory({ spec, repo, path: 'proj', cacheDir: join(dir, 'cache-cold') });
    // The revert has the 4th commit's tree.
    expect(cold.stats.pointHits).toBe(1);
    expect(measured(cold.report)).toEqual(measured(plain));
  });

  it('a second walk reads every commit from its point (the newest with its program parsed for plan status); a changed file outside the tree is seen', async () => {
    const cacheDir = join(dir, 'cache');
    const first = await trackHistory({ spec, repo, path: 'proj', cacheDir });
    const second = await trackHistory({ spec, repo, path: 'proj', cacheDir });
    expect(second.stats.pointHits).toBe(shas.length);
    expect(second.report.cache.analyzedFiles).toBe(0);
    expect(measured(second.report)).toEqual(measured(first.report));
    expect(measured(second.report)).toEqual(measured(plain));
    expect(second.newest).toEqual(first.newest);
    // What the plan rules read of the newest commit is the same read back as measured.
    expect(factsData(second.newestFacts())).toEqual(factsData(first.newestFacts()));
    // The types package changes on disk: the commits that read it are measured again.
    writeFileSync(typesFile(), 'declare const EXT_VERSION: number;\ndeclare const EXT_NAME: string;\n');
    const third = await trackHistory({ spec, repo, path: 'proj', cacheDir });
    // The three commits before the types package, and the revert (its tree measured again at the 4th commit).
    expect(third.stats.pointHits).toBe(4);
    const plainNow = (await trackHistory({ spec, repo, path: 'proj', cacheDir: false })).report;
    expect(measured(third.report)).toEqual(measured(plainNow));
    expect(gitNoise(repo)).toBe('!! proj/node_modules/@types/ext/index.d.ts\n');
  });

  it('the newest commit a gap: the newest with numbers is measured in full, not only read back', async () => {
    const cacheDir = join(dir, 'cache-gap');
    await trackHistory({ spec, repo, path: 'proj', cacheDir });
    rmSync(join(repo, 'proj/tsconfig.json'));
    shas.push(commitIn(repo, 'drop the tsconfig'));
    const r = await trackHistory({ spec, repo, path: 'proj', cacheDir });
    expect(r.report.points[r.report.points.length - 1]!.gap).toMatch(/no tsconfig/);
    expect(r.newestCommit.commit).toBe(shas[shas.length - 2]);
    const before = await trackHistory({ spec, repo, path: 'proj', range: shas[shas.length - 2], cacheDir: false });
    expect(r.newest).toEqual(before.newest);
    expect(factsData(r.newestFacts())).toEqual(factsData(before.newestFacts()));
  });
});
