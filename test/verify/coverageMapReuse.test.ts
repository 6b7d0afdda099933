/**
 * src/verify/coverageMap.ts maps a series of bundles that differ in a module or two: an unchanged
 * module section is found by its text (the last bundle's section of that module), a changed one
 * parsed again, and a map never depends on which bundles were mapped before it.
 */
import { describe, expect, it } from 'vitest';
import { mapBundle, type BundleMap } from '../../src/verify/coverageMap.ts';
import { bundleChange } from '../../src/verify/coverageSelect.ts';

/** A bundle as esbuild lays one out, under a build folder of its own (a step's scratch copy). */
function bundle(dir: string, a: string, b: string): string {
  return [
    `// ${dir}/corpus/mm/a.ts`, `function f() { return ${a}; }`, 'var A = f();',
    `// ${dir}/corpus/mm/b.ts`, `function g() { return ${b}; }`, 'var B = g();',
    `// ${dir}/corpus/sim/main.ts`, 'console.log(A + B);', '',
  ].join('\n');
}

const shape = (m: BundleMap) => JSON.stringify({ modules: m.modules, functions: m.functions });

describe('mapBundle over a series of bundles', () => {
  it('maps each bundle as a first mapping would, whatever was mapped before, and sees each change', () => {
    // Distinct texts per run: another test's sections cannot answer for these.
    const salt = `${process.pid}${Math.random().toString(36).slice(2)}`;
    const texts = [bundle('s1', `1 + ${salt.length}`, '2'), bundle('s2', `1 + ${salt.length}`, '3'), bundle('s3', `4 + ${salt.length}`, '3'), bundle('s4', `1 + ${salt.length}`, '2')];
    const maps = texts.map(mapBundle);
    // Fresh strings of the same texts map to the same maps.
    for (const [i, t] of texts.entries()) expect(shape(mapBundle(`${t} `.slice(0, -1)))).toBe(shape(maps[i]!));
    // The first and last bundles differ only in their build folder.
    expect(shape(maps[3]!)).toBe(shape(maps[0]!));
    const ids = (i: number, j: number) => { const c = bundleChange(maps[i]!, maps[j]!); return c.kind === 'functions' ? [...c.ids] : c.kind; };
    expect(ids(0, 1)).toEqual(['mm/b.ts::g']);
    expect(ids(1, 2)).toEqual(['mm/a.ts::f']);
    expect(ids(2, 3)).toEqual(['mm/a.ts::f', 'mm/b.ts::g']);
    expect(ids(0, 3)).toBe('none');
  });
});
