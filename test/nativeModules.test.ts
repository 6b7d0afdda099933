/**
 * The project's TypeScript as native modules for the tests (test/nativeModules.ts): one module per
 * file, imports kept and pointed at the compiled files, packages and builtins as they are,
 * import.meta naming the source file, state shared by every importer, a folder per contents reused
 * as it is, and only folders of its own, unused for a day, removed.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { compileNative, nativeModulesPlugin } from './nativeModules.ts';

const work = mkdtempSync(join(tmpdir(), 'memdesc-corpus-native-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function tree(name: string, counterStart: number): string {
  const dir = join(work, name);
  mkdirSync(join(dir, 'sim'), { recursive: true });
  writeFileSync(join(dir, 'sim', 'state.ts'), `export let counter: number = ${counterStart};\nexport function bump(): number { return ++counter; }\nexport interface Shape { n: number }\n`);
  writeFileSync(join(dir, 'main.ts'), [
    "import { bump, counter, type Shape } from './sim/state.ts';",
    "import { join } from 'node:path';",
    'export function twice(): Shape { bump(); bump(); return { n: counter }; }',
    'export const where = { url: import.meta.url, dirname: import.meta.dirname, filename: import.meta.filename, joined: join(import.meta.dirname, "x") };',
    'export const text = "import.meta.url stays in a string";',
  ].join('\n'));
  writeFileSync(join(dir, 'host.d.ts'), 'declare const x: number;\n');
  return dir;
}

describe('compileNative', () => {
  it('compiles each file to a module of its own whose imports name the compiled files', async () => {
    const corpus = tree('a', 10);
    const out = await compileNative(corpus, join(work, 'cache'));
    expect(readdirSync(out, { recursive: true }).map(String).sort()).toEqual(['main.mjs', 'sim', 'sim/state.mjs']);
    expect(out).toMatch(/[/\\]a-[0-9a-f]{16}$/);
    const main = readFileSync(join(out, 'main.mjs'), 'utf8');
    expect(main).toMatch(/from ["']\.\/sim\/state\.mjs["']/);
    expect(main).toMatch(/from ["']node:path["']/);
    expect(main).not.toContain('let counter');
    // One module instance behind both names: a live binding, as through the runner.
    const m = await import(pathToFileURL(join(out, 'main.mjs')).href) as { twice(): { n: number }; where: Record<string, string>; text: string };
    // import.meta names the source file, not the compiled one; a string that spells it is left alone.
    const src = join(corpus, 'main.ts');
    expect(m.where).toEqual({ url: pathToFileURL(src).href, dirname: corpus, filename: src, joined: join(corpus, 'x') });
    expect(m.text).toBe('import.meta.url stays in a string');
    const s = await import(pathToFileURL(join(out, 'sim', 'state.mjs')).href) as { counter: number };
    expect(m.twice()).toEqual({ n: 12 });
    expect(s.counter).toBe(12);
  });

  it('reuses the folder of the same contents; new contents get a new folder', async () => {
    const corpus = tree('b', 1);
    const cache = join(work, 'cache-b');
    const first = await compileNative(corpus, cache);
    writeFileSync(join(first, 'marker'), 'kept');
    expect(await compileNative(corpus, cache)).toBe(first);
    expect(existsSync(join(first, 'marker'))).toBe(true);
    writeFileSync(join(corpus, 'main.ts'), 'export const changed = 1;\n');
    const second = await compileNative(corpus, cache);
    expect(second).not.toBe(first);
    expect(readFileSync(join(second, 'main.mjs'), 'utf8')).toContain('changed');
  });

  it('removes only its own folders unused for a day, never the current one or anything else', async () => {
    const corpus = tree('c', 1);
    const cache = join(work, 'cache-c');
    mkdirSync(cache, { recursive: true });
    const old = join(cache, 'c-0123456789abcdef');
    const recent = join(cache, 'c-fedcba9876543210');
    const otherFolder = join(cache, 'src-0123456789abcdef');
    const foreign = join(cache, 'notes');
    for (const d of [old, recent, otherFolder, foreign]) mkdirSync(d);
    const dayAgo = (Date.now() - 25 * 3600_000) / 1000;
    utimesSync(old, dayAgo, dayAgo);
    utimesSync(foreign, dayAgo, dayAgo);
    utimesSync(otherFolder, dayAgo, dayAgo);
    const out = await compileNative(corpus, cache);
    expect(existsSync(out)).toBe(true);
    expect(existsSync(old)).toBe(false);
    expect(existsSync(recent)).toBe(true);
    expect(existsSync(foreign)).toBe(true);
    // Another source folder's compiled versions are that folder's business.
    expect(existsSync(otherFolder)).toBe(true);
  });
});

describe('nativeModulesPlugin', () => {
  const plugin = nativeModulesPlugin(new Map([[join(work, 'p', 'corpus'), '/compiled'], [join(work, 'p', 'src'), '/compiled-src']]));
  const resolveId = plugin.resolveId as (source: string, importer?: string) => { id: string; external: boolean } | null;

  it.each([
    ['../corpus/mm/page_alloc.ts', join(work, 'p', 'test', 'x.test.ts'), '/compiled/mm/page_alloc.mjs'],
    ['../../corpus/sim/run.ts', join(work, 'p', 'test', 'corpus', 'y.test.ts'), '/compiled/sim/run.mjs'],
    ['../src/cli.ts', join(work, 'p', 'test', 'x.test.ts'), '/compiled-src/cli.mjs'],
    ['../../src/ts/programs.ts', join(work, 'p', 'test', 'ts', 'helpers.ts'), '/compiled-src/ts/programs.mjs'],
  ])('resolves %s from a test to the compiled module, external', (source, importer, id) => {
    expect(resolveId(source, importer)).toEqual({ id, external: true });
  });

  it.each([
    ['./helpers.ts', join(work, 'p', 'test', 'x.test.ts')],
    ['../corpus/host.d.ts', join(work, 'p', 'test', 'x.test.ts')],
    ['vitest', join(work, 'p', 'test', 'x.test.ts')],
    ['../bench/harness.ts', join(work, 'p', 'test', 'x.test.ts')],
    ['../corpus-old/x.ts', join(work, 'p', 'test', 'x.test.ts')],
    ['../corpus/mm/page_alloc.ts', undefined],
  ])('leaves %s (from %s) to vitest', (source, importer) => {
    expect(resolveId(source, importer)).toBeNull();
  });
});
