/**
 * The built CLI compiles both large files of @ts-morph/common with V8's code cache
 * (scripts/build.mjs's LAZY list, src/ts/codeCache.ts): TypeScript itself and the package's main
 * (the lib files' texts). A command that reads code leaves one cache file for each in the user's
 * cache folder; the next run uses them as they are and prints the same.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.ts';

const tmp = mkdtempSync(join(tmpdir(), 'memdesc-cli-codecache-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const project = join(PACKAGE_ROOT, 'test', 'fixtures', 'projects', 'lending');
const cache = join(tmp, 'cache');

function analyze(env: Record<string, string> = {}): string {
  const r = spawnSync(process.execPath, [join(PACKAGE_ROOT, 'bin', 'memdesc.mjs'), 'analyze', project, '--spec', join(project, 'spec.json'), '--json'], {
    cwd: tmp, encoding: 'utf8', env: { ...process.env, MEMDESC_CACHE_DIR: cache, ...env },
  });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout;
}

const cacheFiles = (): string[] => (existsSync(join(cache, 'v8')) ? readdirSync(join(cache, 'v8')).sort() : []);

describe('the CLI\'s code cache', () => {
  it('holds typescript.js and ts-morph-common.js, is used unchanged by the next run, and is off with MEMDESC_NO_CODE_CACHE', () => {
    const off = analyze({ MEMDESC_NO_CODE_CACHE: '1' });
    expect(cacheFiles()).toEqual([]);
    expect(analyze()).toBe(off);
    const files = cacheFiles();
    expect(files).toHaveLength(2);
    const times = files.map((f) => statSync(join(cache, 'v8', f)).mtimeMs);
    expect(analyze()).toBe(off);
    expect(cacheFiles()).toEqual(files);
    expect(files.map((f) => statSync(join(cache, 'v8', f)).mtimeMs)).toEqual(times);
  });
});
