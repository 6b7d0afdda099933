/**
 * series on a project without the corpus simulation whose spec names its own oracle: every patch
 * is run against the base with it, and the cover letter and each commit message say what ran.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinSpec } from '../../src/model/builtin.ts';
import { loadSpecFile } from '../../src/model/spec-validate.ts';
import { buildSeries, type SeriesResult } from '../../src/series/series.ts';
import { PACKAGE_ROOT } from '../../src/paths.ts';
import { BLOBWORLD, copyTree } from '../rewrite/helpers.ts';
import { git, repoOf, useIsolatedGit } from './helpers.ts';

describe('series verified with the spec oracle', () => {
  let repo: string;
  let out: string;
  let r: SeriesResult;
  let src: string;
  useIsolatedGit({ name: 'Oracle Tester', email: 'oracle@example.org' });
  afterAll(() => {
    for (const d of [dirname(src), dirname(out), dirname(repo)]) rmSync(d, { recursive: true, force: true });
  });

  beforeAll(async () => {
    // blob world with an oracle in its spec: its main program, bundled and run with node.
    src = copyTree(BLOBWORLD);
    const json = JSON.parse(readFileSync(join(src, 'spec.json'), 'utf8'));
    json.oracle = { entry: 'src/main.ts' };
    writeFileSync(join(src, 'spec.json'), JSON.stringify(json, null, 2));
    repo = repoOf(src);
    const spec = loadSpecFile(join(repo, 'spec.json'), builtinSpec());
    out = join(mkdtempSync(join(tmpdir(), 'memdesc-series-oracle-')), 'patches');
    r = await buildSeries({ path: repo, spec, kinds: [], all: true, out });
  }, 120_000);

  it('runs the oracle for every patch, each identical to the base', () => {
    expect(r.commits.length).toBeGreaterThan(2);
    for (const c of r.commits) {
      const v = c.verification;
      expect(typeof v, c.subject).toBe('object');
      if (typeof v === 'string' || !('kind' in v)) throw new Error(`${c.subject}: not verified by the oracle`);
      expect(v.ok, `${c.subject}: ${v.first}`).toBe(true);
      expect(v.oracle).toContain('node src/main.ts');
      expect(v.lines).toBeGreaterThan(5);
    }
  });

  it('the cover letter and every commit message say what ran', () => {
    const cover = readFileSync(r.patches[0]!, 'utf8');
    const prose = cover.replace(/\s+/g, ' ');
    expect(prose).toContain("Every patch type-checks and was run against the base with the project's own oracle (node src/main.ts");
    expect(cover).not.toContain('not verified');
    expect(cover.match(/^ {2}\d{3} .*node src\/main\.ts.*identical/gm)).toHaveLength(r.commits.length);
    for (const c of r.commits) {
      const body = git(repo, 'log', '-1', '--format=%B', c.sha);
      expect(body, c.subject).toMatch(/node src\/main\.ts \(bundled with esbuild\), run once: identical \(exit 0, \d+ lines\)/);
    }
  });

  it('leaves no file of the oracle runs in the repository', () => {
    expect(git(repo, 'status', '--porcelain')).toBe('');
  });
});

describe('series on the warehouse project, verified with its spec oracle', () => {
  let repo: string;
  let out: string;
  let r: SeriesResult;
  useIsolatedGit({ name: 'Warehouse Tester', email: 'wh@example.org' });

  beforeAll(async () => {
    repo = repoOf(join(PACKAGE_ROOT, 'test', 'fixtures', 'oracle', 'warehouse'));
    const spec = loadSpecFile(join(repo, 'spec.json'), builtinSpec());
    out = join(mkdtempSync(join(tmpdir(), 'memdesc-series-wh-')), 'patches');
    r = await buildSeries({ path: repo, spec, kinds: ['stock'], out });
  }, 120_000);

  it('every patch ran the oracle against the base, identical; the letter says so per patch', () => {
    expect(r.commits.length).toBeGreaterThan(1);
    for (const c of r.commits) {
      const v = c.verification;
      if (typeof v === 'string' || !('kind' in v)) throw new Error(`${c.subject}: not verified by the oracle`);
      expect(v.ok, `${c.subject}: ${v.first}`).toBe(true);
      expect(v.lines).toBe(7);
    }
    const cover = readFileSync(r.patches[0]!, 'utf8');
    expect(cover.replace(/\s+/g, ' ')).toContain("was run against the base with the project's own oracle (node src/main.ts");
    expect(cover.match(/^ {2}\d{3} .*node src\/main\.ts.*identical/gm)).toHaveLength(r.commits.length);
    expect(r.tipEqualsOneShot).toBe(true);
  });
});
