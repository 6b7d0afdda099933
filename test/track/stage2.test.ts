/**
 * Stage 2 in `memdesc track`: per commit, which kinds are separated, read from the code like
 * `status` (src/track/separated.ts: the kind's page -> descriptor converter reads the memdesc
 * word), never from commit messages. A small history of another codebase: no project yet (a
 * gap), the converter as an overlay, separated, a comment-only commit, and back to an overlay;
 * one commit's message claims a separation its code does not make. Text, --json (validated
 * against docs/schemas/track.schema.json) and --html.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv2020Package from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrackReport } from '../../src/model/progress.ts';
import { withEnv } from '../env.ts';
import { cli } from './history.ts';

const Ajv2020 = Ajv2020Package.default;
const REPO = join(import.meta.dirname, '..', '..');
const OTHER = join(REPO, 'test', 'fixtures', 'analyzer', 'other-codebase');
const SPEC = join(OTHER, 'spec.json');
const env = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' };

const OVERLAY = `import { Blob, CacheObj } from './blob.ts';

/** The cache's descriptor of a blob: an overlay of its words. */
export function blob_cacheobj(b: Blob): CacheObj {
  return new CacheObj(b);
}
`;
const SEPARATED = `import { Blob, CacheObj } from './blob.ts';
import { memdesc_cache } from './memdesc.ts';

/** The cache's descriptor of a blob: from its memdesc word. */
export function blob_cacheobj(b: Blob): CacheObj {
  return new CacheObj(memdesc_cache(b));
}
`;
const MEMDESC = `import { Blob } from './blob.ts';

/** The descriptor a blob's memdesc word names (here: the blob itself stands in for it). */
export function memdesc_cache(b: Blob): Blob {
  return b;
}
`;

let tmp: string;
let repo: string;
let shas: string[];

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'memdesc-track-stage2-'));
  repo = join(tmp, 'repo');
  const proj = join(repo, 'proj');
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, encoding: 'utf8', env });
  const commit = (msg: string) => {
    git('add', '-A');
    git('commit', '-qm', msg);
    return git('rev-parse', 'HEAD').trim();
  };
  cpSync(OTHER, proj, { recursive: true });
  rmSync(join(proj, 'tsconfig.json'));
  rmSync(join(proj, 'spec.json'));
  writeFileSync(join(proj, 'src', 'convert.ts'), OVERLAY);
  writeFileSync(join(proj, 'src', 'memdesc.ts'), MEMDESC);
  git('init', '-q');
  shas = [commit('sources without a project')];
  cpSync(join(OTHER, 'tsconfig.json'), join(proj, 'tsconfig.json'));
  shas.push(commit('base: the cache descriptor overlays the blob'));
  // The message claims what the code does not do: track must not believe it.
  writeFileSync(join(proj, 'src', 'generic.ts'), `${readFileSync(join(proj, 'src', 'generic.ts'), 'utf8')}\n// a comment\n`);
  shas.push(commit('cache: Allocate cache from slab'));
  writeFileSync(join(proj, 'src', 'convert.ts'), SEPARATED);
  shas.push(commit('cache: read the descriptor from the memdesc word'));
  writeFileSync(join(proj, 'src', 'generic.ts'), `${readFileSync(join(proj, 'src', 'generic.ts'), 'utf8')}// another\n`);
  shas.push(commit('generic: a comment'));
  writeFileSync(join(proj, 'src', 'convert.ts'), OVERLAY);
  shas.push(commit('Revert the separation'));
});
afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const EXPECTED = [undefined, 'overlay', 'overlay', 'separated', 'separated', 'overlay'];

describe('track: stage 2 per commit', () => {
  it('--json: each measured point has stage2 per kind with a descriptor, from the code; a gap has none; the report validates', async () => {
    const r = await cli('track', repo, '--path', 'proj', '--spec', SPEC, '--json', '--no-cache');
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(r.out) as TrackReport;
    expect(report.points.map((p) => p.commit)).toEqual(shas);
    expect(report.points.map((p) => p.stage2?.cache)).toEqual(EXPECTED);
    // Only kinds with a descriptor have a stage 2 (net has none).
    expect(report.points[3]!.stage2).toEqual({ cache: 'separated' });
    expect(report.points[0]!.gap).toBeDefined();
    const ajv = new Ajv2020({ allErrors: true, strictTypes: true, allowUnionTypes: true, validateFormats: false });
    ajv.addKeyword('errorMessage');
    const schemas = join(REPO, 'docs', 'schemas');
    for (const f of readdirSync(schemas).filter((n) => n.endsWith('.schema.json'))) ajv.addSchema(JSON.parse(readFileSync(join(schemas, f), 'utf8')) as object);
    const validate = ajv.getSchema('track.schema.json')!;
    expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
    // A gap carrying a stage 2, or a state that is not one of the three, does not validate.
    const bad = structuredClone(report);
    bad.points[0]!.stage2 = { cache: 'overlay' };
    expect(validate(bad)).toBe(false);
    const bad2 = structuredClone(report);
    (bad2.points[1]!.stage2 as Record<string, string>).cache = 'half';
    expect(validate(bad2)).toBe(false);
  }, 120_000);

  it('text: a stage 2 column with the kinds separated at each commit; the cached second run says the same', async () => {
    const cacheDir = join(tmp, 'cache');
    for (const run of ['cold', 'warm']) {
      const r = await withEnv({ MEMDESC_CACHE_DIR: cacheDir }, () => cli('track', repo, '--path', 'proj', '--spec', SPEC));
      expect(r.code, `${run}: ${r.err}`).toBe(0);
      const lines = r.out.split('\n');
      const head = lines.find((l) => l.startsWith('commit'))!;
      expect(head, run).toMatch(/residue\s+stage 2$/);
      const rowOf = (sha: string) => lines.find((l) => l.startsWith(sha.slice(0, 7)))!;
      expect(rowOf(shas[1]!), run).toMatch(/\s-$/);
      expect(rowOf(shas[2]!), run).toMatch(/\s-$/);
      expect(rowOf(shas[3]!), run).toMatch(/\scache$/);
      expect(rowOf(shas[4]!), run).toMatch(/\scache$/);
      expect(rowOf(shas[5]!), run).toMatch(/\s-$/);
      expect(rowOf(shas[0]!), run).toMatch(/gap: /);
      expect(r.out, run).toContain('stage 2: the kinds allocated separately (read from the code)');
    }
  }, 120_000);

  it('--html: a Stage 2 table with a row where the separated kinds change, and the commit tooltips', async () => {
    const html = join(tmp, 'report.html');
    const r = await cli('track', repo, '--path', 'proj', '--spec', SPEC, '--html', html, '--no-cache');
    expect(r.code, r.err).toBe(0);
    const text = readFileSync(html, 'utf8');
    const table = /<table id="stage2">[^]*?<\/table>/.exec(text)?.[0] ?? '';
    const rows = [...table.matchAll(/<tr data-commit="([0-9a-f]+)">[^]*?<td class="separated">([^<]*)<\/td><td>([^<]*)<\/td><\/tr>/g)].map((m) => [m[1], m[2], m[3]]);
    expect(rows).toEqual([[shas[1], '-', ''], [shas[3], 'cache', '+cache'], [shas[5], '-', '-cache']]);
    expect(text).toContain('stage 2: cache separated');
  }, 120_000);

  it('a history in which nothing is separated shows no stage 2 column or table', async () => {
    const r = await cli('track', repo, '--path', 'proj', '--spec', SPEC, '--range', `${shas[0]}..${shas[2]}`, '--no-cache');
    expect(r.code, r.err).toBe(0);
    expect(r.out).not.toContain('stage 2');
    const html = join(tmp, 'plain.html');
    expect((await cli('track', repo, '--path', 'proj', '--spec', SPEC, '--range', `${shas[0]}..${shas[2]}`, '--html', html, '--no-cache')).code).toBe(0);
    expect(readFileSync(html, 'utf8')).not.toContain('id="stage2"');
  }, 120_000);
});
