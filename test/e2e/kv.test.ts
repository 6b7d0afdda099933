/**
 * A new user's project with no spec, tagged the way TypeScript code usually tags its variants
 * (test/fixtures/projects/kv): a string-literal tag tested by `isEntry()` on a `Slot | undefined`,
 * a getter computing the same test, a `switch (s.tag)` dispatch, tag writes that move a slot from
 * one kind to another, a filter by a test reached through a namespace import and callbacks written
 * in place. `init --class Slot`, then the draft as it is:
 *  - the tag is the type tag (track never) and the getter is no field;
 *  - tests written in place decide by what they compute (`s && s.tag === 'entry'`, `case
 *    'tombstone':`, `s.isLive`), and so does the filter's callback (`dead.map((s) => s.x)`);
 *  - a tag write makes the slot that kind from the write on (`s.tag = 'entry'; s.x = hash`), and
 *    ends what a test said before it (`s.tag = 'free'` after `isTombstone(s)`: unknown, not a
 *    tombstone's field);
 *  - convert writes no `const` into a case clause, the oracle finds the conversion identical, and
 *    a second run changes nothing.
 * Before: the draft made `isLive` a field and `tag` a kind field; 5 of these 14 sites were decided.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnalysisResult } from '../../src/model/findings.ts';
import { PACKAGE_ROOT } from '../../src/paths.ts';
import { runMain as cli, type MainResult } from '../inProcess.ts';
import { git, useIsolatedGit } from '../series/helpers.ts';

const KV = join(PACKAGE_ROOT, 'test', 'fixtures', 'projects', 'kv');

describe('kv: init, then analyze and convert a string-tagged class with the draft as it is', () => {
  let root: string;
  let dir: string;
  let analysis: AnalysisResult;
  let first: MainResult;
  useIsolatedGit({ name: 'KV Dev', email: 'kv@example.org' });

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'memdesc-kv-'));
    dir = join(root, 'kv');
    cpSync(KV, dir, { recursive: true });
    rmSync(join(dir, 'README.md'));
    git(dir, 'init', '-q');
    expect((await cli(['init', '--class', 'Slot'], dir)).status).toBe(0);
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

  it('the draft: the tag stays on the class, the getter is no field, each kind with the fields its code uses', () => {
    const spec = JSON.parse(readFileSync(join(dir, 'memdesc.spec.json'), 'utf8')) as {
      object: { fields: Record<string, { track: string }> }; kinds: Array<{ name: string; fields?: Record<string, string> }>;
    };
    expect(Object.fromEntries(Object.entries(spec.object.fields).map(([k, v]) => [k, v.track]))).toEqual({ tag: 'never', x: 'always', y: 'always' });
    expect(spec.kinds.map((k) => [k.name, Object.keys(k.fields ?? {})])).toEqual([['entry', ['x', 'y']], ['tombstone', ['x']]]);
  });

  it('decides tests written in place, the getter, the switch and the filter\'s callback by what they compute', () => {
    expect(at('src/store/table.ts', 42)).toEqual([['y', 'entry', 'guard']]);
    expect(at('src/report.ts', 5)).toEqual([['y', 'entry', 'guard']]);
    expect(at('src/report.ts', 11)).toEqual([['x', 'tombstone', 'provenance']]);
    expect(at('src/report.ts', 17)).toEqual([['x', 'entry', 'guard'], ['y', 'entry', 'guard']]);
    expect(at('src/report.ts', 19)).toEqual([['x', 'tombstone', 'guard']]);
    expect(at('src/report.ts', 21)).toEqual([['y', 'unknown', 'unknown']]);
  });

  it('a tag write makes the slot that kind from the write on, and ends what a test said before it', () => {
    expect(at('src/store/table.ts', 19)).toEqual([['y', 'unknown', 'unknown']]);
    expect(at('src/store/table.ts', 21)).toEqual([['x', 'entry', 'provenance']]);
    expect(at('src/store/table.ts', 22)).toEqual([['y', 'entry', 'provenance']]);
    expect(at('src/store/table.ts', 37)).toEqual([['x', 'tombstone', 'provenance']]);
    expect(at('src/store/table.ts', 50)).toEqual([['y', 'unknown', 'unknown']]);
    expect(analysis.findings.find((f) => f.file === 'src/store/table.ts' && f.line === 21)!.evidence[0]).toContain("`s.tag = 'entry'` makes it what entry's type test checks");
  });

  it('writes a conversion the oracle finds identical, with no const in a case clause, and a second run changes nothing', async () => {
    expect(first.stderr).toBe('');
    expect(first.stdout).toMatch(/checks: type-check passed; a second run changes nothing; verified with the spec's oracle.*identical/);
    expect(first.status).toBe(0);
    const report = readFileSync(join(dir, 'src', 'report.ts'), 'utf8');
    expect(report).toContain("    case 'entry':\n      return `entry ${slotToEntry(s).x}:${slotToEntry(s).y}`;");
    expect(readFileSync(join(dir, 'src', 'store', 'table.ts'), 'utf8')).toContain("    s.tag = 'free';\n      s.y = this.freeHead;");
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'converted');
    const again = await cli(['convert', '--all', '.', '--dry-run'], dir);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toBe('');
  });
});
