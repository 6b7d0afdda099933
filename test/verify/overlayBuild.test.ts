/**
 * OverlayBuilder: a series' step builds from one kept copy and one incremental esbuild context
 * must be the builds a fresh copy of each step gives: the same content key, the same bundle byte for
 * byte (esbuild's module markers are relative to the tree), files added by a step and gone at the next
 * handled, the base never written, the copy gone after dispose().
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTree, treeFiles, treeKey } from '../../src/verify/build.ts';
import { OverlayBuilder } from '../../src/verify/overlayBuild.ts';
import { overlayTree } from '../../src/verify/revision.ts';

const FILES: Record<string, string> = {
  'sim/main.ts': "import { value } from '../lib/value.ts';\nconsole.log(JSON.stringify({ value: value(2) }));\n",
  'lib/value.ts': 'export function value(n: number): number {\n  return n + 1;\n}\n',
  'tsconfig.json': '{ "compilerOptions": { "target": "ES2022", "module": "ESNext", "moduleResolution": "Bundler", "allowImportingTsExtensions": true, "noEmit": true } }\n',
};

const VARIANTS: Array<Record<string, string>> = [
  { 'lib/value.ts': 'export function value(n: number): number {\n  return n * 3;\n}\n' },
  // A step that adds a file and imports it.
  {
    'lib/value.ts': "import { twice } from './extra.ts';\nexport function value(n: number): number {\n  return twice(n);\n}\n",
    'lib/extra.ts': 'export const twice = (n: number): number => n * 2;\n',
  },
  {},
  // Back to the first variant: the added file must be gone from the copy.
  { 'lib/value.ts': 'export function value(n: number): number {\n  return n * 3;\n}\n' },
];

describe('OverlayBuilder', () => {
  let tmp: string;
  let base: string;
  let cache: string;
  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'memdesc-overlay-build-'));
    base = join(tmp, 'base');
    cache = join(tmp, 'cache');
    for (const [f, text] of Object.entries(FILES)) {
      mkdirSync(join(base, f, '..'), { recursive: true });
      writeFileSync(join(base, f), text);
    }
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('builds every variant as a fresh copy of it builds, in any order, and never writes the base', async () => {
    const before = treeFiles(base).map((f) => [f, readFileSync(join(base, f), 'utf8')]);
    const builder = new OverlayBuilder(base, { cacheDir: join(cache, 'incremental') });
    try {
      for (const v of VARIANTS) {
        const copy = overlayTree({ dir: base, overrides: v, copy: true }, true);
        try {
          const fresh = await buildTree(copy.dir, { cacheDir: join(cache, 'fresh') });
          const b = await builder.build(new Map(Object.entries(v)));
          expect(b.key).toBe(treeKey(copy.dir));
          expect(b.key).toBe(fresh.key);
          // Module markers are relative to the tree, wherever it was built: the two bundles are the same bytes.
          expect(readFileSync(b.file, 'utf8')).toBe(readFileSync(fresh.file, 'utf8'));
          expect(readFileSync(b.file, 'utf8')).toMatch(/^\/\/ lib\/value\.ts$/m);
          expect(existsSync(join(builder.dir, 'lib', 'extra.ts'))).toBe('lib/extra.ts' in v);
        } finally {
          copy.cleanup();
        }
      }
      // The same variant again comes from the cache.
      const again = await builder.build(new Map(Object.entries(VARIANTS[1]!)));
      expect(again.cached).toBe(true);
    } finally {
      builder.dispose();
    }
    expect(existsSync(builder.dir)).toBe(false);
    expect(treeFiles(base).map((f) => [f, readFileSync(join(base, f), 'utf8')])).toEqual(before);
  }, 60_000);

  it('a step that does not build is an InputError, and the next step builds', async () => {
    const builder = new OverlayBuilder(base, { cacheDir: join(cache, 'broken') });
    try {
      await expect(builder.build(new Map([['lib/value.ts', 'export function value(n: number): number {\n  return n +;\n}\n']]))).rejects.toThrow(/build failed: .*value\.ts/);
      const ok = await builder.build(new Map([['lib/value.ts', 'export const value = (n: number): number => n;\n']]));
      expect(readFileSync(ok.file, 'utf8')).toContain('=> n');
    } finally {
      builder.dispose();
    }
  }, 60_000);
});
