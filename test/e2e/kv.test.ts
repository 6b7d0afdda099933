/**
 * A new user's project with no spec, tagged the way TypeScript code usually tags its variants
 * (test/fixtures/projects/kv): a string-literal tag tested by `isEntry()` on a `Slot | undefined`,
 * a getter computing the same test, a `switch (s.tag)` dispatch, tag writes that move a slot from
 * one kind to another, a filter by a test reached through a namespace import and callbacks written
 * in place. `init --class Slot`, then the draft as it is:
 *  - the tag is the type tag (track never) and the getter is no field;
 *  - tests written in place decide by what they compute (`s && s.tag === 'entry'`, `case
 *    'tombstone':`, `s.isLive`, `const { tag } = s; tag === 'entry'`), and so does the filter's
 *    callback (`dead.map((s) => s.x)`);
 *  - a tag write makes the slot that kind from the write on (`s.tag = 'entry'; s.x = hash`), and
 *    ends what a test said before it (`s.tag = 'free'` after `isTombstone(s)`: unknown, not a
 *    tombstone's field);
 *  - convert writes no `const` into a case clause, the oracle finds the conversion identical, and
 *    a second run changes nothing.
 * Before: the draft made `isLive` a field and `tag` a kind field; 5 of these 14 sites were decided.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runMain as cli } from '../inProcess.ts';
import { git } from '../series/helpers.ts';
import { newUserRun } from './newUser.ts';

describe('kv: init, then analyze and convert a string-tagged class with the draft as it is', () => {
  const run = newUserRun('kv', 'Slot', 'kv', { name: 'KV Dev', email: 'kv@example.org' });
  const at = (file: string, line: number): Array<[string, string, string]> => run.at(file, line);

  it('the draft: the tag stays on the class, the getter is no field, each kind with the fields its code uses', () => {
    const spec = JSON.parse(readFileSync(join(run.dir, 'memdesc.spec.json'), 'utf8')) as {
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
    // The tag read into a local first: destructured, or assigned; another slot's tag decides nothing.
    expect(at('src/checks.ts', 6)).toEqual([['x', 'entry', 'guard']]);
    expect(at('src/checks.ts', 12)).toEqual([['x', 'tombstone', 'guard']]);
    expect(at('src/checks.ts', 18)).toEqual([['x', 'unknown', 'unknown']]);
  });

  it('a tag write makes the slot that kind from the write on, and ends what a test said before it', () => {
    expect(at('src/store/table.ts', 19)).toEqual([['y', 'unknown', 'unknown']]);
    expect(at('src/store/table.ts', 21)).toEqual([['x', 'entry', 'provenance']]);
    expect(at('src/store/table.ts', 22)).toEqual([['y', 'entry', 'provenance']]);
    expect(at('src/store/table.ts', 37)).toEqual([['x', 'tombstone', 'provenance']]);
    expect(at('src/store/table.ts', 50)).toEqual([['y', 'unknown', 'unknown']]);
    expect(run.analysis.findings.find((f) => f.file === 'src/store/table.ts' && f.line === 21)!.evidence[0]).toContain("`s.tag = 'entry'` makes it what entry's type test checks");
  });

  it('writes a conversion the oracle finds identical, with no const in a case clause, and a second run changes nothing', async () => {
    expect(run.convert.stderr).toBe('');
    expect(run.convert.stdout).toMatch(/checks: type-check passed; a second run changes nothing; verified with the spec's oracle.*identical/);
    expect(run.convert.status).toBe(0);
    const report = readFileSync(join(run.dir, 'src', 'report.ts'), 'utf8');
    expect(report).toContain("    case 'entry':\n      return `entry ${slotToEntry(s).x}:${slotToEntry(s).y}`;");
    expect(readFileSync(join(run.dir, 'src', 'store', 'table.ts'), 'utf8')).toContain("    s.tag = 'free';\n      s.y = this.freeHead;");
    git(run.dir, 'add', '-A');
    git(run.dir, 'commit', '-qm', 'converted');
    const again = await cli(['convert', '--all', '.', '--dry-run'], run.dir);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toBe('');
  });
});

/**
 * The same project with its tests as methods of the class (`isEntry() { return this.tag ===
 * 'entry'; }`), the functions calling them (`isEntry(s)`: `!!s && s.isEntry()`) and the code
 * calling either: the same kinds, the tag found by the methods' bodies, the same sites decided.
 */
/** Replace each `a` of `pairs` once in the file (it must be there). */
function edit(dir: string, f: string, pairs: Array<[string, string]>): void {
  let text = readFileSync(join(dir, f), 'utf8');
  for (const [a, b] of pairs) {
    if (!text.includes(a)) throw new Error(`${f}: no ${a}`);
    text = text.replace(a, b);
  }
  writeFileSync(join(dir, f), text);
}

/** The tests as methods of the class too; the functions call them. */
function withMethods(dir: string): void {
  edit(dir, 'src/store/slot.ts', [
    ["    return this.tag === 'entry';\n  }\n}", "    return this.tag === 'entry';\n  }\n\n  isEntry(): boolean {\n    return this.tag === 'entry';\n  }\n\n  isTombstone(): boolean {\n    return this.tag === 'tombstone';\n  }\n}"],
    ["  return s?.tag === 'entry';", '  return !!s && s.isEntry();'],
    ["  return s.tag === 'tombstone';", '  return s.isTombstone();'],
  ]);
  edit(dir, 'src/store/table.ts', [
    ['if (!isTombstone(s)) continue;', 'if (!s.isTombstone()) continue;'],
    ["if (s && s.tag === 'entry') s.y += by;", 'if (s?.isEntry()) s.y += by;'],
  ]);
}

describe('kv with methods as the tests: the same draft and decisions', () => {
  const run = newUserRun('kv', 'Slot', 'kv methods', { name: 'KV Dev', email: 'kv@example.org' }, withMethods);

  it('the draft: the tag stays on the class, each kind with the fields its code uses', () => {
    const spec = JSON.parse(readFileSync(join(run.dir, 'memdesc.spec.json'), 'utf8')) as {
      object: { fields: Record<string, { track: string }> }; kinds: Array<{ name: string; typeTests?: string[]; fields?: Record<string, string> }>;
    };
    expect(spec.object.fields.tag!.track).toBe('never');
    expect(spec.kinds.map((k) => [k.name, k.typeTests, Object.keys(k.fields ?? {})])).toEqual([['entry', ['isEntry'], ['x', 'y']], ['tombstone', ['isTombstone'], ['x']]]);
  });

  it('decides the method calls as the tests they compute', () => {
    expect(run.at('src/store/table.ts', 42)).toEqual([['y', 'entry', 'guard']]);
    expect(run.at('src/store/table.ts', 49)).toEqual([]);
    expect(run.at('src/store/table.ts', 50)).toEqual([['y', 'unknown', 'unknown']]);
    expect(run.at('src/report.ts', 17)).toEqual([['x', 'entry', 'guard'], ['y', 'entry', 'guard']]);
    expect(run.convert.status, run.convert.stderr).toBe(0);
  });
});

/** Methods alone: no function stands for them; init drafts the methods as the kinds' tests. */
describe('kv with methods alone as the tests', () => {
  const run = newUserRun('kv', 'Slot', 'kv methods only', { name: 'KV Dev', email: 'kv@example.org' }, (dir) => {
    withMethods(dir);
    const slot = readFileSync(join(dir, 'src', 'store', 'slot.ts'), 'utf8');
    writeFileSync(join(dir, 'src', 'store', 'slot.ts'), slot.slice(0, slot.indexOf('export function isEntry')));
    edit(dir, 'src/store/table.ts', [
      ["import { Slot, isEntry, isTombstone } from './slot';", "import { Slot } from './slot';"],
      ['return isEntry(s) ?', 'return s?.isEntry() ?'],
      ['if (!isEntry(s)) return;', 'if (!s?.isEntry()) return;'],
    ]);
    edit(dir, 'src/report.ts', [['t.slots.filter(store.isTombstone)', 't.slots.filter((s) => s.isTombstone())']]);
  });

  it('drafts the methods as the kinds\' tests', () => {
    const spec = JSON.parse(readFileSync(join(run.dir, 'memdesc.spec.json'), 'utf8')) as { kinds: Array<{ name: string; typeTests?: unknown[] }> };
    expect(spec.kinds.map((k) => [k.name, k.typeTests])).toEqual([['entry', ['isEntry']], ['tombstone', ['isTombstone']]]);
  });

  it('a method call guards its object; a filter by one hands out that kind; the conversion is verified', () => {
    expect(run.at('src/store/table.ts', 29)).toEqual([['y', 'entry', 'guard']]);
    expect(run.analysis.findings.find((f) => f.file === 'src/store/table.ts' && f.line === 29)!.evidence[0]).toMatch(/^guarded by `s\?\.isEntry\(\)`/);
    expect(run.at('src/store/table.ts', 50)).toEqual([['y', 'unknown', 'unknown']]);
    expect(run.at('src/report.ts', 11)).toEqual([['x', 'tombstone', 'provenance']]);
    expect(run.convert.stdout).toMatch(/checks: type-check passed; a second run changes nothing; verified with the spec's oracle.*identical/);
  });
});
