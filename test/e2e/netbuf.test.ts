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
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runMain as cli } from '../inProcess.ts';
import { git } from '../series/helpers.ts';
import { newUserRun } from './newUser.ts';

describe('netbuf: init, then analyze and convert with the draft as it is', () => {
  const run = newUserRun('netbuf', 'Buf', 'net buffers', { name: 'Net Dev', email: 'net@example.org' });
  const at = (file: string, line: number): Array<[string, string, string]> => run.at(file, line);

  it('the draft names rx, tx and frag, with the fields the code decides for each', () => {
    const spec = JSON.parse(readFileSync(join(run.dir, 'memdesc.spec.json'), 'utf8')) as { kinds: Array<{ name: string; fields?: Record<string, string> }> };
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
    expect(run.analysis.findings.find((f) => f.file === 'src/pool.ts' && f.line === 54)!.evidence[0]).toMatch(/^generic: Buf objects of rx, tx reach `b`/);
  });

  it('writes a conversion the oracle finds identical, and a second run changes nothing', async () => {
    expect(run.convert.stderr).toBe('');
    expect(run.convert.stdout).toMatch(/checks: type-check passed; a second run changes nothing; verified with the spec's oracle.*identical/);
    expect(run.convert.status).toBe(0);
    expect(readFileSync(join(run.dir, 'src', 'stats.ts'), 'utf8')).toContain('.map((b) => bufToRx(b).len)');
    git(run.dir, 'add', '-A');
    git(run.dir, 'commit', '-qm', 'converted');
    const again = await cli(['convert', '--all', '.', '--dry-run'], run.dir);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toBe('');
    const st = await cli(['status', '--json'], run.dir);
    const kinds = (JSON.parse(st.stdout) as { kinds: Record<string, { remaining: number }> }).kinds;
    expect(Object.fromEntries(Object.entries(kinds).map(([k, v]) => [k, v.remaining]))).toEqual({ rx: 0, tx: 0, frag: 0 });
  });
});
