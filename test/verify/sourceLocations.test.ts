/**
 * A user's oracle asks where its own source is (src/verify/sourceLocations.ts): bundled into the
 * build cache, `import.meta.url` was the bundle's and `__dirname` did not exist, so an oracle
 * reading its fixtures failed the same way in both trees and verify called them identical. Now
 * each module is told its own location in the tree the bundle runs in (one bundle serves every copy
 * of a tree: a crash's stack trace names the same bundle in both runs). Literal before/after pairs of the source transform (and a
 * second pass that changes nothing), then verify on a project whose oracle reads its data next to
 * its sources: a changed data file is a difference (before: both runs failed alike, "identical").
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withSourceLocation } from '../../src/verify/sourceLocations.ts';
import { withEnv } from '../env.ts';
import { runMain, type MainResult } from '../inProcess.ts';

describe('withSourceLocation: each module told its own location, in the tree the bundle runs in', () => {
  const F = 'src/main.ts';
  const R = '__memdescTreeRoot';
  const cases: Array<[string, string, string | undefined]> = [
    ['import.meta.url, dirname, filename', "const u = new URL('./d.txt', import.meta.url); f(import.meta.dirname, import.meta.filename);",
      `const u = new URL('./d.txt', __memdescFileUrl((${R} + "/src/main.ts")).href); f((${R} + "/src"), (${R} + "/src/main.ts"));`],
    ['__dirname and __filename, declared on the first line', "import x from 'y';\nread(__dirname + __filename);",
      `var __dirname = (${R} + "/src"), __filename = (${R} + "/src/main.ts"); import x from 'y';\nread(__dirname + __filename);`],
    ['a TypeScript declare is no value', 'declare const __dirname: string;\nread(__dirname);',
      `var __dirname = (${R} + "/src"); declare const __dirname: string;\nread(__dirname);`],
    ['a module declaring its own __dirname keeps it', 'const __dirname = dirname(fileURLToPath(import.meta.url));\nread(__dirname);',
      `const __dirname = dirname(fileURLToPath(__memdescFileUrl((${R} + "/src/main.ts")).href));\nread(__dirname);`],
    ['after a #! line, on the next line', '#!/usr/bin/env node\nread(__dirname);', `#!/usr/bin/env node\nvar __dirname = (${R} + "/src"); read(__dirname);`],
    ["after 'use strict'", "'use strict';\nread(__filename);", `'use strict'; var __filename = (${R} + "/src/main.ts"); \nread(__filename);`],
    ['a module at the root: its folder is the root', 'read(__dirname);', `var __dirname = ${R}; read(__dirname);`],
    ['no change: a module that does not ask', "import { a } from './a.ts';\nexport const b = a + 1;", undefined],
  ];
  it.each(cases)('%s', (_name, before, after) => {
    expect(withSourceLocation(before, _name.includes('at the root') ? 'main.ts' : F)).toBe(after);
    // A second pass has nothing left to write.
    if (after !== undefined) expect(withSourceLocation(after, F)).toBeUndefined();
  });
});

describe('verify --entry: an oracle reading its data next to its sources', () => {
  let root: string;
  const tree = (name: string, prices: string): string => {
    const d = join(root, name);
    mkdirSync(join(d, 'src', 'data'), { recursive: true });
    writeFileSync(join(d, 'tsconfig.json'), JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, allowImportingTsExtensions: true, types: [] }, include: ['src'] }));
    writeFileSync(join(d, 'src', 'main.ts'), [
      "import { readFileSync } from 'node:fs';",
      "import { join } from 'node:path';",
      'declare const __dirname: string;',
      "const prices = readFileSync(new URL('./data/prices.txt', import.meta.url), 'utf8').trim();",
      "const units = readFileSync(join(__dirname, 'data', 'units.txt'), 'utf8').trim();",
      'console.log(`prices ${prices} units ${units}`);',
      '',
    ].join('\n'));
    writeFileSync(join(d, 'src', 'data', 'prices.txt'), `${prices}\n`);
    writeFileSync(join(d, 'src', 'data', 'units.txt'), 'kg\n');
    return d;
  };
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'memdesc-srcloc-'));
    tree('base', 'apple 40');
    cpSync(join(root, 'base'), join(root, 'same'), { recursive: true });
    tree('changed', 'apple 41');
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  // Builds go to a cache of the test's own.
  const verify = (name: string): Promise<MainResult> =>
    withEnv({ MEMDESC_CACHE_DIR: join(root, 'cache') }, () => runMain(['verify', join(root, name), '--against', join(root, 'base'), '--entry', 'src/main.ts']));

  it('the same data: identical, and the oracle really ran (its output holds the data)', async () => {
    const r = await verify('same');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('reference: exit 0, 1 line of output');
  });

  it('both runs failing alike stay identical: one bundle for copies of one tree', async () => {
    for (const name of ['broken-a', 'broken-b']) {
      tree(name, 'apple 40');
      rmSync(join(root, name, 'src', 'data', 'units.txt'));
    }
    const r = await withEnv({ MEMDESC_CACHE_DIR: join(root, 'cache') }, () =>
      runMain(['verify', join(root, 'broken-b'), '--against', join(root, 'broken-a'), '--entry', 'src/main.ts']));
    expect(r.stdout).toMatch(/reference: exit 1,/);
    expect(r.status).toBe(0);
  });

  it('changed data: a difference, naming the line', async () => {
    const r = await verify('changed');
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('prices apple 41 units kg');
  });
});
