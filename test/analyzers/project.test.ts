/**
 * Loading a user's tsconfig (loadProgram for reading passes, loadProject for editing ones):
 * TypeScript's dotted-folder quirk (`"include": ["."]` in `linux-5.10.y` is read as a file name)
 * is named in the error with the fix, and a tsconfig (or a file it extends) with any JSON error
 * is refused naming file:line:col, never loaded with the options after the error dropped.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadProgram, loadProject } from '../../src/analyzers/project.ts';
import { main } from '../../src/cli.ts';
import { InputError } from '../../src/errors.ts';
import { BUNDLED_CORPUS } from '../../src/paths.ts';

const base = mkdtempSync(join(tmpdir(), 'memdesc-project-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

let n = 0;
/** A project folder `name` (under a fresh temp folder) with these files. */
function project(name: string, files: Record<string, string>): string {
  const dir = join(base, String(n++), name);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
  return dir;
}

const SRC = 'export function f(a: number): number { return a + 1; }\n';
const loaders = [['loadProgram', loadProgram], ['loadProject', loadProject]] as const;

function errorOf(fn: () => unknown): InputError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return e as InputError;
  }
  throw new Error('expected an InputError, got none');
}

describe.each(loaders)('%s: the dotted-folder quirk', (_name, load) => {
  it('"include": ["."] in linux-5.10.y: names the entry, the folder and the fix', () => {
    const dir = project('linux-5.10.y', { 'tsconfig.json': '{ "include": ["."] }\n', 'a.ts': SRC });
    const e = errorOf(() => load(dir));
    expect(e.message).toContain(`no TypeScript files in ${join(dir, 'tsconfig.json')}`);
    expect(e.message).toContain('include entry "."');
    expect(e.message).toContain('linux-5.10.y');
    expect(e.message).toContain('"**/*"');
    expect(e.message.split('\n')).toHaveLength(1);
  });

  it('a sub-folder entry with a dot ("src.v2"): the fix keeps the folder', () => {
    const dir = project('proj', { 'tsconfig.json': '{ "include": ["src.v2"] }\n', 'src.v2/a.ts': SRC });
    const e = errorOf(() => load(dir));
    expect(e.message).toContain('include entry "src.v2"');
    expect(e.message).toContain('"src.v2/**/*"');
  });

  it('an entry from an extended tsconfig says so', () => {
    const dir = project('my.proj', { 'configs/base.json': '{ "include": [".."] }\n', 'tsconfig.json': '{ "extends": "./configs/base.json" }\n', 'a.ts': SRC });
    const e = errorOf(() => load(dir));
    expect(e.message).toContain('include entry "configs/.." (from a tsconfig it extends, here relative to this one) names the folder my.proj');
    expect(e.message).toContain('"configs/../**/*"');
  });

  it('no files for another reason: no hint about dots', () => {
    const dir = project('my.proj', { 'tsconfig.json': '{ "include": ["src"] }\n', 'a.ts': SRC });
    const e = errorOf(() => load(dir));
    expect(e.message).toBe(`no TypeScript files in ${join(dir, 'tsconfig.json')}`);
  });

  it('the corpus tsconfig works in a dotted folder', () => {
    const dir = project('linux-5.10.y', {});
    cpSync(BUNDLED_CORPUS, dir, { recursive: true });
    const loaded = load(dir);
    const files = 'program' in loaded ? loaded.program.getRootFileNames() : loaded.project.getSourceFiles().map((s) => s.getFilePath());
    expect(files).toContain(join(dir, 'sim', 'main.ts'));
  });
});

describe.each(loaders)('%s: JSON errors in the tsconfig', (_name, load) => {
  it('a missing comma: file:line:col and TypeScript\'s message', () => {
    const dir = project('proj', {
      'tsconfig.json': '{\n  "compilerOptions": {\n    "strict": true\n    "noImplicitAny": false\n  }\n}\n',
      'a.ts': SRC,
    });
    const e = errorOf(() => load(dir));
    expect(e.message).toBe(`cannot load ${join(dir, 'tsconfig.json')}: ${join(dir, 'tsconfig.json')}:4:5: ',' expected.`);
  });

  it('an error in a file it extends names that file', () => {
    const dir = project('proj', {
      'configs/base.json': '{\n  "compilerOptions": { "strict": true,, }\n}\n',
      'tsconfig.json': '{ "extends": "./configs/base.json", "include": ["*.ts"] }\n',
      'a.ts': SRC,
    });
    const e = errorOf(() => load(dir));
    expect(e.message).toMatch(new RegExp(`^cannot load ${join(dir, 'tsconfig.json')}: ${join(dir, 'configs', 'base.json')}:2:\\d+: `));
    expect(e.message).toContain('Property assignment expected');
  });

  it('an unterminated file', () => {
    const dir = project('proj', { 'tsconfig.json': '{ "compilerOptions": { "strict": true }', 'a.ts': SRC });
    expect(errorOf(() => load(dir)).message).toMatch(/tsconfig\.json:1:\d+: '}' expected\.$/);
  });

  it('comments and a valid file load', () => {
    const dir = project('proj', { 'tsconfig.json': '// options\n{ "compilerOptions": { /* on */ "strict": true } }\n', 'a.ts': SRC });
    expect(load(dir).root).toBe(dir);
  });
});

describe('the CLI: one line, exit 2, nothing written', () => {
  let err = '';
  beforeEach(() => {
    err = '';
    process.exitCode = undefined;
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => { err += String(s); return true; });
  });
  afterEach(() => {
    vi.restoreAllMocks();
    process.exitCode = undefined;
  });

  it.each([
    ['analyze', (d: string) => ['analyze', d]],
    ['status', (d: string) => ['status', d]],
    ['convert --write', (d: string) => ['convert', '--all', d, '--write']],
  ])('%s on a tsconfig with a JSON error', async (_what, args) => {
    const tsconfig = '{\n  "compilerOptions": {\n    "strict": true\n    "noEmit": true\n  }\n}\n';
    const dir = project('proj', { 'tsconfig.json': tsconfig, 'a.ts': SRC });
    expect(await main(args(dir))).toBe(2);
    expect(err).toBe(`memdesc: cannot load ${join(dir, 'tsconfig.json')}: ${join(dir, 'tsconfig.json')}:4:5: ',' expected.\n`);
    expect(readFileSync(join(dir, 'a.ts'), 'utf8')).toBe(SRC);
  });
});
