/**
 * A project laid out the way scaffolders lay it out (Vite, Nx): a "solution" tsconfig.json of
 * `"files": []` and references to tsconfig.app.json (src/) and tsconfig.tools.json (tools/, which
 * imports src/ across the reference). memdesc once found "no TypeScript files" there. Now the
 * referenced projects are one program (src/ts/references.ts): analyze finds the tools' access too,
 * convert converts it and a second run changes nothing, track reads the history, and a reference
 * to a tsconfig that is not there is one line and exit 2.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ts } from '@ts-morph/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnalysisResult } from '../../src/model/findings.ts';
import type { TrackReport } from '../../src/model/progress.ts';
import { PACKAGE_ROOT } from '../../src/paths.ts';
import { withReferences } from '../../src/ts/references.ts';
import { runMain as cli } from '../inProcess.ts';
import { git, useIsolatedGit } from '../series/helpers.ts';

const SHELF = join(PACKAGE_ROOT, 'test', 'fixtures', 'projects', 'shelf');
const OPTIONS = { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, allowImportingTsExtensions: true, types: [], lib: ['ES2022'] };

function layout(dir: string): void {
  cpSync(SHELF, dir, { recursive: true });
  rmSync(join(dir, 'README.md'));
  mkdirSync(join(dir, 'tools'));
  const json = (f: string, v: unknown): void => writeFileSync(join(dir, f), `${JSON.stringify(v, null, 2)}\n`);
  json('tsconfig.json', { files: [], references: [{ path: './tsconfig.app.json' }, { path: './tsconfig.tools.json' }] });
  json('tsconfig.app.json', { compilerOptions: { ...OPTIONS, composite: true, emitDeclarationOnly: true, outDir: 'build/app' }, include: ['src'] });
  json('tsconfig.tools.json', {
    compilerOptions: { ...OPTIONS, composite: true, emitDeclarationOnly: true, outDir: 'build/tools', lib: ['ES2023'] },
    include: ['tools'], references: [{ path: './tsconfig.app.json' }],
  });
  writeFileSync(join(dir, 'tools', 'report.ts'), "import { Box, isBook } from '../src/box.ts';\n\nexport function shelfOf(x: Box): number {\n  return isBook(x) ? x.b : -1;\n}\n", { flag: 'w' });
}

describe('a solution tsconfig: its referenced projects are analyzed and converted as one', () => {
  let root: string;
  let dir: string;
  useIsolatedGit({ name: 'Shelf Dev', email: 'shelf@example.org' });

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'memdesc-solution-'));
    dir = join(root, 'shelf app');
    layout(dir);
    git(dir, 'init', '-q');
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'base');
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('analyze finds the accesses of both projects, the tools\' one decided by its test', async () => {
    const r = await cli(['analyze', '.', '--spec', 'spec.json', '--json'], dir);
    expect(r.status, r.stderr).toBe(0);
    const a = JSON.parse(r.stdout) as AnalysisResult;
    const tools = a.findings.filter((f) => f.file === 'tools/report.ts').map((f) => [f.line, f.field, f.kind, f.confidence]);
    expect(tools).toEqual([[4, 'b', 'book', 'guard']]);
    expect(a.findings.some((f) => f.file === 'src/books.ts')).toBe(true);
  });

  it('convert --write converts both projects; a second run changes nothing; track reads both commits', async () => {
    const w = await cli(['convert', '--all', '.', '--spec', 'spec.json', '--write'], dir);
    expect(w.status, w.stderr).toBe(0);
    expect(readFileSync(join(dir, 'tools', 'report.ts'), 'utf8')).not.toMatch(/x\.b\b/);
    const again = await cli(['convert', '--all', '.', '--spec', 'spec.json'], dir);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toBe('');
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'convert');
    const t = await cli(['track', '.', '--spec', 'spec.json', '--json', '--no-cache'], dir);
    expect(t.status, t.stderr).toBe(0);
    const report = JSON.parse(t.stdout) as TrackReport;
    expect(report.points).toHaveLength(2);
    for (const p of report.points) expect(p.gap).toBeUndefined();
    expect(report.points[0]!.files).toBe(7);
    expect(report.points[1]!.kinds.book!.remaining).toBe(0);
    expect(report.points[1]!.kinds.book!.converted).toBeGreaterThan(report.points[0]!.kinds.book!.converted);
  });

  it('a reference to a tsconfig that is not there: one line, exit 2', async () => {
    const bad = join(root, 'bad');
    cpSync(dir, bad, { recursive: true });
    rmSync(join(bad, 'tsconfig.tools.json'));
    const r = await cli(['analyze', '.', '--spec', 'spec.json'], bad);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/it references tsconfig\.tools\.json, which does not exist/);
  });
});

describe('withReferences: one set of options for the joined projects', () => {
  const parsed = (fileNames: string[], options: ts.CompilerOptions, refs: string[] = []): ts.ParsedCommandLine =>
    ({ fileNames, options, errors: [], projectReferences: refs.map((path) => ({ path })) });

  it('the biggest project\'s options, lib and types joined, build options dropped; cycles end', () => {
    const configs: Record<string, ts.ParsedCommandLine> = {
      '/p/a.json': parsed(['/p/src/x.ts', '/p/src/y.ts'], { strict: true, lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'], types: [], composite: true, outDir: '/p/out', rootDir: '/p/src' }, ['/p/b.json']),
      '/p/b.json': parsed(['/p/tools/t.ts', '/p/src/x.ts'], { strict: false, lib: ['lib.es2023.d.ts'], types: ['node'], declaration: true }, ['/p/a.json']),
    };
    const root = parsed([], { strict: false }, ['/p/a.json', '/p/b.json']);
    const cfg = withReferences('/p/tsconfig.json', root, (f) => configs[f]!);
    expect(cfg.fileNames).toEqual(['/p/src/x.ts', '/p/src/y.ts', '/p/tools/t.ts']);
    expect(cfg.options).toEqual({ strict: true, lib: ['lib.es2022.d.ts', 'lib.dom.d.ts', 'lib.es2023.d.ts'], types: ['node'], noEmit: true });
    expect(cfg.projectReferences).toBeUndefined();
  });

  it('own files keep own options; a project without types sees every @types package; no references: unchanged', () => {
    const own = parsed(['/q/m.ts'], { strict: true, types: ['a'] }, ['/q/b.json']);
    const cfg = withReferences('/q/tsconfig.json', own, () => parsed(['/q/b/n.ts'], { strict: false }));
    expect(cfg.options).toEqual({ strict: true, noEmit: true });
    expect(cfg.fileNames).toEqual(['/q/m.ts', '/q/b/n.ts']);
    const plain = parsed(['/r/m.ts'], { strict: true });
    expect(withReferences('/r/tsconfig.json', { ...plain, projectReferences: undefined }, () => { throw new Error('not asked'); })).toEqual({ ...plain, projectReferences: undefined });
  });
});
