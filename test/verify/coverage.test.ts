import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCovered, runCoveredBatch } from '../../src/verify/coverage.ts';
import { mapBundle } from '../../src/verify/coverageMap.ts';
import { bundleChange, reached } from '../../src/verify/coverageSelect.ts';

/** A bundle as esbuild lays one out: a `// path` marker before each module's top-level code. */
function bundle(parts: { a?: string; inner?: string; field?: string; extra?: string; top?: string } = {}): string {
  return [
    '// build/corpus/mm/a.ts',
    `var COUNT = ${parts.top ?? '1'};`,
    'function outer(x) {',
    `  const inner = (y) => ${parts.inner ?? 'y + 1'};`,
    '  return inner(x) * 2;',
    '}',
    'var Box = class {',
    `  size = ${parts.field ?? '4'};`,
    '  get value() { return this.size * COUNT; }',
    `  grow(n) { return ${parts.a ?? 'n + this.size'}; }`,
    '};',
    'const idle = function () { return "never called"; };',
    ...(parts.extra ? ['// build/corpus/mm/b.ts', parts.extra] : []),
    '// build/corpus/sim/main.ts',
    'const box = new Box();',
    'const t = `',
    '// not/a/module.ts',
    '`;',
    'console.log(JSON.stringify({ workload: "w", seed: 1, ram: 0, ops: 0, eventCount: outer(2) + box.value + box.grow(1), digest: "d" + t.length, bug: null }));',
    '',
  ].join('\n');
}

describe('mapBundle', () => {
  it('names modules relative to the tree and functions by where they are', () => {
    const m = mapBundle(bundle());
    expect(m.modules.map((x) => x.path)).toEqual(['mm/a.ts', 'sim/main.ts']);
    expect(m.functions.map((f) => f.id)).toEqual([
      'mm/a.ts::outer', 'mm/a.ts::outer/inner', 'mm/a.ts::Box/get value', 'mm/a.ts::Box/grow', 'mm/a.ts::idle',
    ]);
    expect(m.byId.get('mm/a.ts::outer/inner')!.display).toBe('outer > inner()');
  });

  it('a change inside a nested function changes only that function', () => {
    const c = bundleChange(mapBundle(bundle()), mapBundle(bundle({ inner: 'y + 2' })));
    expect(c.kind).toBe('functions');
    expect(c.kind === 'functions' && [...c.ids]).toEqual(['mm/a.ts::outer/inner']);
  });

  it('a method body is a function; a class field, top-level code or a new module is everything', () => {
    const base = mapBundle(bundle());
    const m = bundleChange(base, mapBundle(bundle({ a: 'n - this.size' })));
    expect(m.kind === 'functions' && [...m.ids]).toEqual(['mm/a.ts::Box/grow']);
    expect(bundleChange(base, mapBundle(bundle({ field: '8' })))).toEqual({ kind: 'all', why: 'module-level change in mm/a.ts' });
    expect(bundleChange(base, mapBundle(bundle({ top: '2' })))).toEqual({ kind: 'all', why: 'module-level change in mm/a.ts' });
    expect(bundleChange(base, mapBundle(bundle({ extra: 'var B = 1;' })))).toMatchObject({ kind: 'all', why: expect.stringContaining('module mm/b.ts added') });
  });

  it('a top-level function declared in one build only changes itself (no module-level code), and the code that names it', () => {
    const base = mapBundle(bundle());
    // esbuild drops a function nobody calls any more: its declaration ran nothing.
    const spare = (t: string): string => t.replace('function outer(x) {', 'function spare(x) { return x; }\nfunction outer(x) {');
    const dropped = bundleChange(mapBundle(spare(bundle())), base);
    expect(dropped.kind === 'functions' && [...dropped.ids]).toEqual(['mm/a.ts::spare']);
    // Code that still names it would now miss it: that code counts as changed.
    const named = spare(bundle()).replace('"never called"', 'spare("never called")');
    const gone = bundleChange(mapBundle(named), mapBundle(named.replace('function spare(x) { return x; }\n', '')));
    expect(gone.kind === 'functions' && [...gone.ids]).toEqual(['mm/a.ts::spare', 'mm/a.ts::idle']);
    // Top-level code that names it is module-level.
    const atTop = named.replace('var COUNT = 1;', 'var COUNT = spare(1);');
    expect(bundleChange(mapBundle(atTop), mapBundle(atTop.replace('function spare(x) { return x; }\n', '')))).toMatchObject({ kind: 'all', why: expect.stringContaining('module-level change in mm/a.ts') });
  });

  it('builds of the tree in other folders (longer marker paths) give the same functions at their own offsets', () => {
    const here = bundle();
    const there = here.replaceAll('// build/corpus/', '// ../../cache/trees/series-x1y2z3/corpus/');
    const [a, b] = [mapBundle(here), mapBundle(there)];
    expect(bundleChange(a, b)).toEqual({ kind: 'none' });
    for (const f of b.functions) {
      const g = a.byId.get(f.id)!;
      expect(there.slice(f.start, f.end)).toBe(here.slice(g.start, g.end));
    }
  });

  it('the same build is no change; a changed file the bundle cannot hold is everything', () => {
    const base = mapBundle(bundle());
    expect(bundleChange(base, mapBundle(bundle()))).toEqual({ kind: 'none' });
    expect(bundleChange(base, mapBundle(bundle()), ['sim/data.txt'])).toMatchObject({ kind: 'all', why: expect.stringContaining('sim/data.txt') });
    expect(bundleChange(base, mapBundle(bundle()), ['mm/a.ts'])).toEqual({ kind: 'none' });
  });
});

describe('runCovered', () => {
  const dir = mkdtempSync(join(tmpdir(), 'memdesc-coverage-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('records exactly the functions a run entered, by V8 coverage', async () => {
    const text = bundle();
    const file = join(dir, 'main.mjs');
    writeFileSync(file, text);
    const map = mapBundle(text);
    const r = await runCovered(file, map, { workload: 'w', seed: 1 });
    expect(r.outcome.status).toBe('ok');
    expect([...r.executed!].sort()).toEqual(['mm/a.ts::Box/get value', 'mm/a.ts::Box/grow', 'mm/a.ts::outer', 'mm/a.ts::outer/inner']);
    // A change to the function nobody calls reaches no run; one to a called method does.
    const idle = bundleChange(map, mapBundle(text.replace('never called', 'not called')));
    expect(idle.kind === 'functions' && reached(idle, r.executed!)).toEqual([]);
    const grow = bundleChange(map, mapBundle(bundle({ a: 'n * 3' })));
    expect(grow.kind === 'functions' && reached(grow, r.executed!)).toEqual(['mm/a.ts::Box/grow']);
  });

  it('a run that crashes is a crash, with whatever coverage it left', async () => {
    const file = join(dir, 'crash.mjs');
    writeFileSync(file, '// x/sim/main.ts\nfunction boom() { throw new Error("planted"); }\nboom();\n');
    const r = await runCovered(file, mapBundle('// x/sim/main.ts\nfunction boom() { throw new Error("planted"); }\nboom();\n'), { workload: 'w', seed: 1 });
    expect(r.outcome.status).toBe('crash');
    expect(r.outcome.detail).toContain('planted');
  });

  it('a batch of seeds runs in one process, in order: each seed\'s outcome, the coverage of all of them; a seed that crashes ends the batch', async () => {
    // Seed 2 alone calls second(); seed 3 throws; seed 4 is never reached.
    const text = [
      '// x/sim/main.ts',
      'function first() { return 1; }',
      'function second() { return 2; }',
      'function never() { return 0; }',
      'const argv = process.argv;',
      'const seeds = argv[argv.indexOf("--seeds") + 1].split("..").map(Number);',
      'for (let seed = seeds[0]; seed <= seeds[1]; seed++) {',
      '  if (seed === 3) throw new Error("planted at 3");',
      '  const d = seed === 2 ? second() : first();',
      '  process.stdout.write(JSON.stringify({ workload: "w", seed, ram: 0, ops: 0, eventCount: d, digest: "d" + d, bug: null }) + "\\n");',
      '}',
      '',
    ].join('\n');
    const file = join(dir, 'batch.mjs');
    writeFileSync(file, text);
    const map = mapBundle(text);
    const ok = await runCoveredBatch(file, map, { workload: 'w', seeds: [1, 2] });
    expect(ok.outcomes.map((o) => [o.seed, o.status, o.result?.digest])).toEqual([[1, 'ok', 'd1'], [2, 'ok', 'd2']]);
    expect([...ok.executed!].sort()).toEqual(['sim/main.ts::first', 'sim/main.ts::second']);
    const bad = await runCoveredBatch(file, map, { workload: 'w', seeds: [1, 2, 3, 4] });
    expect(bad.outcomes.map((o) => o.status)).toEqual(['ok', 'ok', 'crash', 'not-run']);
    expect(bad.outcomes[2]!.detail).toContain('planted at 3');
    expect(bad.outcomes[3]!.detail).toBe('not run: seed 3 of this batch did not finish');
  });
});
