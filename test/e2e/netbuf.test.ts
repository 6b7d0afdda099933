/**
 * A new user's project with no spec, written the way TypeScript code usually is
 * (test/fixtures/projects/netbuf): a class of plain fields, an enum tag read through `kindOf()`, a
 * `switch (kindOf(b))` dispatch, an allocator tagging what it hands out (`take(BufKind.Rx)`), a
 * queue, accessors passed as callbacks. `init --class Buf`, then the draft as it is: the analysis
 * decides the dispatch's cases and the allocations from the code, and finds `release()` generic;
 * `convert --all --write --verify` writes a conversion the spec's oracle finds identical (views of
 * the plain class); a second run changes nothing (it once converted `release()` for tx: the
 * converters the first run made were opaque to the next analysis, which lost `release()`'s rx
 * caller); `status` counts
 * every kind done. The commands run in-process from the project's directory (test/inProcess.ts).
 */
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnalysisResult } from '../../src/model/findings.ts';
import { PACKAGE_ROOT } from '../../src/paths.ts';
import { runMain as cli, type MainResult } from '../inProcess.ts';
import { git, useIsolatedGit } from '../series/helpers.ts';

const NETBUF = join(PACKAGE_ROOT, 'test', 'fixtures', 'projects', 'netbuf');

describe('netbuf: init, then analyze and convert with the draft as it is', () => {
  let root: string;
  let dir: string;
  let analysis: AnalysisResult;
  let first: MainResult;
  useIsolatedGit({ name: 'Net Dev', email: 'net@example.org' });

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'memdesc-netbuf-'));
    dir = join(root, 'net buffers');
    cpSync(NETBUF, dir, { recursive: true });
    rmSync(join(dir, 'README.md'));
    git(dir, 'init', '-q');
    expect((await cli(['init', '--class', 'Buf'], dir)).status).toBe(0);
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'base and drafted spec');
    const a = await cli(['analyze', '--json'], dir);
    expect(a.status, a.stderr).toBe(0);
    analysis = JSON.parse(a.stdout) as AnalysisResult;
    first = await cli(['convert', '--all', '.', '--write', '--verify'], dir);
  }, 120_000);
  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
  });

  const at = (file: string, line: number): Array<[string, string, string]> =>
    analysis.findings.filter((f) => f.file === file && f.line === line).map((f) => [f.field, f.kind, f.confidence]);

  it('the draft names rx, tx and frag, with the fields the code decides for each', () => {
    const spec = JSON.parse(readFileSync(join(dir, 'memdesc.spec.json'), 'utf8')) as { kinds: Array<{ name: string; fields?: Record<string, string> }> };
    expect(spec.kinds.map((k) => [k.name, Object.keys(k.fields ?? {})])).toEqual([
      ['rx', ['next', 'head', 'len']], ['tx', ['next', 'head', 'len', 'owner']], ['frag', ['len', 'owner']],
    ]);
  });

  it('decides the switch\'s cases and the allocations by code, and finds release() generic', () => {
    expect(at('src/stats.ts', 7)).toEqual([['head', 'rx', 'guard'], ['len', 'rx', 'guard']]);
    expect(at('src/stats.ts', 9)).toEqual([['owner', 'tx', 'guard'], ['len', 'tx', 'guard']]);
    expect(at('src/pool.ts', 32)).toEqual([['head', 'rx', 'provenance']]);
    expect(at('src/pool.ts', 39)).toEqual([['owner', 'tx', 'provenance']]);
    expect(at('src/pool.ts', 54)).toEqual([['head', 'unknown', 'unknown']]);
    expect(analysis.findings.find((f) => f.file === 'src/pool.ts' && f.line === 54)!.evidence[0]).toMatch(/^generic: Buf objects of rx, tx reach `b`/);
  });

  it('writes a conversion the oracle finds identical, and a second run changes nothing', async () => {
    expect(first.stderr).toBe('');
    expect(first.stdout).toMatch(/checks: type-check passed; a second run changes nothing; verified with the spec's oracle.*identical/);
    expect(first.status).toBe(0);
    expect(readFileSync(join(dir, 'src', 'stats.ts'), 'utf8')).toContain('.map((b) => bufToRx(b).len)');
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'converted');
    const again = await cli(['convert', '--all', '.', '--dry-run'], dir);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toBe('');
    const st = await cli(['status', '--json'], dir);
    const kinds = (JSON.parse(st.stdout) as { kinds: Record<string, { remaining: number }> }).kinds;
    expect(Object.fromEntries(Object.entries(kinds).map(([k, v]) => [k, v.remaining]))).toEqual({ rx: 0, tx: 0, frag: 0 });
  });
});
