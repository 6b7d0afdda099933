/**
 * A new user's first run on a fixture project without a spec, as the e2e tests replay it: the
 * project copied into a fresh folder (`folder`, a name with a space allowed; `prepare` may edit it) and made a git
 * repository, `init --class CLASS`, the draft committed as it is, `analyze --json`, then `convert
 * --all . --write --verify`. The commands run in-process from the project's folder.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import type { AnalysisResult } from '../../src/model/findings.ts';
import { PACKAGE_ROOT } from '../../src/paths.ts';
import { runMain as cli, type MainResult } from '../inProcess.ts';
import { git, useIsolatedGit } from '../series/helpers.ts';

export interface NewUserRun {
  /** The project's folder. */
  dir: string;
  /** `analyze --json` with the draft as it is. */
  analysis: AnalysisResult;
  /** `convert --all . --write --verify`. */
  convert: MainResult;
  /** The findings at one line: [field, kind, confidence]. */
  at(file: string, line: number): Array<[string, string, string]>;
}

/** Set up the run once for the enclosing describe(); its fields are filled before the first test. */
export function newUserRun(fixture: string, className: string, folder: string, who: { name: string; email: string },
  prepare?: (dir: string) => void): NewUserRun {
  const run = {} as NewUserRun;
  let root: string;
  useIsolatedGit(who);
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), `memdesc-${fixture}-`));
    run.dir = join(root, folder);
    cpSync(join(PACKAGE_ROOT, 'test', 'fixtures', 'projects', fixture), run.dir, { recursive: true });
    rmSync(join(run.dir, 'README.md'));
    prepare?.(run.dir);
    git(run.dir, 'init', '-q');
    expect((await cli(['init', '--class', className], run.dir)).status).toBe(0);
    git(run.dir, 'add', '-A');
    git(run.dir, 'commit', '-qm', 'base and drafted spec');
    const a = await cli(['analyze', '--json'], run.dir);
    expect(a.status, a.stderr).toBe(0);
    run.analysis = JSON.parse(a.stdout) as AnalysisResult;
    run.convert = await cli(['convert', '--all', '.', '--write', '--verify'], run.dir);
  }, 120_000);
  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
  });
  run.at = (file, line) => run.analysis.findings.filter((f) => f.file === file && f.line === line).map((f) => [f.field, f.kind, f.confidence]);
  return run;
}
