// A library caller may load esbuild while its working folder is one it deletes later (a test's temporary folder,
// a tool that changes folders). esbuild remembers that folder as its default; builds must not depend on it.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildSync } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'memdesc-build-cwd-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('buildTree', () => {
  it('builds after the folder esbuild was first loaded in is gone', async () => {
    const tree = join(dir, 'tree');
    mkdirSync(join(tree, 'sim'), { recursive: true });
    writeFileSync(join(tree, 'sim', 'lib.ts'), 'export const answer: number = 42;\n');
    writeFileSync(join(tree, 'sim', 'main.ts'), "import { answer } from './lib.ts';\nconsole.log(answer);\n");
    const gone = join(dir, 'gone');
    mkdirSync(gone);
    // A fresh process that has not loaded esbuild yet (tsx would load it): build.ts bundled, esbuild left outside.
    const lib = join(dir, 'lib');
    mkdirSync(lib);
    symlinkSync(join(import.meta.dirname, '../../node_modules'), join(lib, 'node_modules'));
    buildSync({ entryPoints: [join(import.meta.dirname, '../../src/verify/build.ts')], bundle: true, platform: 'node', format: 'esm', packages: 'external', outfile: join(lib, 'build.mjs'), absWorkingDir: lib, logLevel: 'silent' });
    const script = `
const { esbuild, buildTreeSync, buildTree } = await import(${JSON.stringify(join(lib, 'build.mjs'))});
const home = process.cwd();
process.chdir(${JSON.stringify(gone)});
esbuild();
process.chdir(home);
(await import('node:fs')).rmSync(${JSON.stringify(gone)}, { recursive: true });
const a = buildTreeSync(${JSON.stringify(tree)}, { cacheDir: ${JSON.stringify(join(dir, 'cache-a'))} });
const b = await buildTree(${JSON.stringify(tree)}, { cacheDir: ${JSON.stringify(join(dir, 'cache-b'))} });
const out = (await import('node:child_process')).execFileSync(process.execPath, [b.file]).toString();
console.log(JSON.stringify({ a: a.cached, b: b.cached, out }));`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { cwd: dir });
    expect(JSON.parse(stdout.trim().split('\n').pop()!)).toEqual({ a: false, b: false, out: '42\n' });
  }, 60_000);
});
