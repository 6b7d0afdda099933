/**
 * TrackOptions.onReanalyze: why each re-analyzed file was re-analyzed (track/why.ts), for profiling
 * a walk. On blobworld's small history: the base analyzes every file as new, an edit of
 * blob_owner()'s signature re-analyzes helpers.ts for its text and its users for what they read
 * of it, a comment-only edit re-analyzes the edited file alone; the reasons add up to the files
 * analyzed, and asking for them changes no result.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveSpec } from '../../src/model/builtin.ts';
import { trackHistory } from '../../src/track/track.ts';
import type { Reanalysis } from '../../src/track/why.ts';
import { BLOBWORLD, blobworldHistory } from './history.ts';

let dir: string;
let repo: string;
let shas: string[];
const spec = resolveSpec(join(BLOBWORLD, 'spec.json'));

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'memdesc-track-why-'));
  repo = join(dir, 'repo');
  shas = blobworldHistory(repo);
}, 60_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('track: why a file is re-analyzed', () => {
  it('new, then the edited file for its text and its users for what they read of it, then a comment edit alone', async () => {
    const seen: Array<{ commit: string; files: Reanalysis[] }> = [];
    const r = await trackHistory({ spec, repo, path: 'proj', cacheDir: false, onReanalyze: (c, files) => seen.push({ commit: c.commit, files }) });
    expect(seen.map((s) => s.commit)).toEqual(shas);
    const [base, sig, comment] = seen.map((s) => s.files);
    expect(base!.length).toBe(r.report.points[0]!.files);
    expect(base!.every((f) => f.why === 'new')).toBe(true);
    expect(sig).toContainEqual({ file: 'src/helpers.ts', why: 'text' });
    expect(sig!.length).toBeGreaterThan(1);
    for (const f of sig!.filter((x) => x.file !== 'src/helpers.ts')) {
      expect(['reach', 'signature'], f.file).toContain(f.why);
      if (f.why === 'signature') expect(f.deps!.length, f.file).toBeGreaterThan(0);
    }
    expect(comment).toEqual([{ file: 'src/net/buf.ts', why: 'text' }]);
    // Every analyzed file has its reason.
    expect(seen.reduce((n, s) => n + s.files.length, 0)).toBe(r.report.cache.analyzedFiles);
    const plain = await trackHistory({ spec, repo, path: 'proj', cacheDir: false });
    expect(r.report.points).toEqual(plain.report.points);
    expect(r.newest).toEqual(plain.newest);
  });
});
