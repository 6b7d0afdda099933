/**
 * Where verify and simulate keep their builds and scratch trees: the user's cache folder
 * ($MEMDESC_CACHE_DIR here), never the package (an installed package may be read-only); builds
 * reused by content and pruned least recently used first, touching nothing the tool did not make;
 * copies of a tree see the node_modules their original sees.
 */
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.ts';
import { buildTree, buildTreeSync, cacheRoot, pruneBuilds } from '../../src/verify/build.ts';
import { overlayTree, scratchDir } from '../../src/verify/revision.ts';

const base = mkdtempSync(join(tmpdir(), 'memdesc-vcache-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));
let n = 0;
let saved: string | undefined;
let cache = '';

beforeEach(() => {
  saved = process.env.MEMDESC_CACHE_DIR;
  cache = join(base, `cache-${n++}`);
  process.env.MEMDESC_CACHE_DIR = cache;
});
afterEach(() => {
  if (saved === undefined) delete process.env.MEMDESC_CACHE_DIR;
  else process.env.MEMDESC_CACHE_DIR = saved;
});

/** A minimal corpus tree: sim/main.ts printing `text`. */
function tree(text: string, extra: Record<string, string> = {}): string {
  const dir = join(base, `tree-${n++}`);
  mkdirSync(join(dir, 'sim'), { recursive: true });
  writeFileSync(join(dir, 'sim', 'main.ts'), `process.stdout.write(${JSON.stringify(text)});\n`);
  for (const [rel, t] of Object.entries(extra)) {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), t);
  }
  return dir;
}

describe('builds', () => {
  it('go to the user cache, are reused by content, and never touch the package', async () => {
    expect(cacheRoot()).toBe(join(cache, 'build'));
    const a = await buildTree(tree('one'));
    expect(a.cached).toBe(false);
    expect(a.file).toBe(join(cache, 'build', a.key, 'main.mjs'));
    // The same content elsewhere: the same build; the sync form shares the cache.
    const b = buildTreeSync(tree('one'));
    expect(b).toMatchObject({ key: a.key, file: a.file, cached: true });
    expect(existsSync(join(PACKAGE_ROOT, '.cache', 'memdesc', 'builds', a.key))).toBe(false);
  });

  it('pruning keeps the most recently used, and only removes what buildTree made', async () => {
    const keys: string[] = [];
    for (const [i, t] of ['a', 'b', 'c', 'd'].entries()) {
      const build = buildTreeSync(tree(t));
      // Distinct, increasing use times without waiting on the clock.
      utimesSync(build.file, 1000 + i, 1000 + i);
      keys.push(build.key);
    }
    const root = join(cache, 'build');
    mkdirSync(join(root, 'notes'));
    writeFileSync(join(root, 'notes', 'main.mjs'), 'mine');
    mkdirSync(join(root, 'f'.repeat(64))); // a build in progress: no main.mjs yet
    // Using "a" again makes it the newest.
    expect((await buildTree(tree('a'))).cached).toBe(true);
    const removed = pruneBuilds(root, 2);
    expect(removed.sort()).toEqual([join(root, keys[1]!), join(root, keys[2]!)].sort());
    expect(readdirSync(root).sort()).toEqual([keys[0]!, keys[3]!, 'f'.repeat(64), 'notes'].sort());
  });

  it('a tree that does not build: one line naming the file', async () => {
    await expect(buildTree(tree('x', { 'sim/main.ts': 'import { nope } from "./missing.ts";\nprocess.stdout.write(nope);\n' }))).rejects.toThrow(/build failed: .*sim\/main\.ts:1: Could not resolve/);
  });
});

describe('scratch trees', () => {
  it('live in the user cache', () => {
    const dir = scratchDir('tree-');
    expect(dir.startsWith(join(cache, 'trees') + '/')).toBe(true);
    rmSync(dir, { recursive: true });
  });

  it('a copy links the node_modules its original resolves (its own, else the nearest above)', () => {
    const project = join(base, `proj-${n++}`);
    mkdirSync(join(project, 'node_modules', 'dep'), { recursive: true });
    const inner = tree('x');
    const nested = join(project, 'corpus');
    mkdirSync(join(nested, 'sim'), { recursive: true });
    writeFileSync(join(nested, 'sim', 'main.ts'), 'export {};\n');
    const copy = overlayTree({ dir: nested, copy: true });
    try {
      expect(lstatSync(join(copy.dir, 'node_modules')).isSymbolicLink()).toBe(true);
      expect(readlinkSync(join(copy.dir, 'node_modules'))).toBe(join(project, 'node_modules'));
    } finally {
      copy.cleanup();
    }
    expect(existsSync(copy.dir)).toBe(false);
    // Nothing to resolve: no link.
    const plain = overlayTree({ dir: inner, copy: true });
    try {
      expect(existsSync(join(plain.dir, 'node_modules'))).toBe(false);
    } finally {
      plain.cleanup();
    }
  });
});
