/** Which project and which spec a command takes when the user names neither (src/commands/projectPath.ts). */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultProject, namesProject, PROJECT_SPEC, projectPath, projectSpecFile } from '../../src/commands/projectPath.ts';
import { UsageError } from '../../src/errors.ts';
import { BUNDLED_CORPUS } from '../../src/paths.ts';

describe('projectPath', () => {
  let root: string;
  let project: string;
  let bare: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'memdesc-projectpath-'));
    project = join(root, 'shop');
    bare = join(root, 'notes');
    mkdirSync(join(project, 'kind'), { recursive: true });
    mkdirSync(bare);
    writeFileSync(join(project, 'tsconfig.json'), '{}\n');
    writeFileSync(join(project, PROJECT_SPEC), '{}\n');
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('the path given, else --corpus, else the current directory with a tsconfig.json', () => {
    expect(projectPath('x', false, 'analyze', bare)).toBe('x');
    expect(projectPath(undefined, true, 'analyze', bare)).toBe(BUNDLED_CORPUS);
    expect(projectPath(undefined, false, 'analyze', project)).toBe(project);
    expect(defaultProject(false, project)).toBe(project);
    expect(defaultProject(false, bare)).toBeUndefined();
    expect(defaultProject(true, bare)).toBe(BUNDLED_CORPUS);
  });

  it('neither, or both: a usage error naming the command and the way out', () => {
    expect(() => projectPath(undefined, false, 'status', bare)).toThrow(UsageError);
    expect(() => projectPath(undefined, false, 'status', bare)).toThrow(new RegExp(`^status: no project given and ${bare} has no tsconfig\\.json: .*--corpus`));
    expect(() => projectPath('x', true, 'series', project)).toThrow(/^series: give the project's path or --corpus, not both/);
  });

  it("the project's own spec unless --spec names one; a directory, its tsconfig or nothing", () => {
    expect(projectSpecFile('mine.json', project)).toBe('mine.json');
    expect(projectSpecFile(undefined, project)).toBe(join(project, PROJECT_SPEC));
    expect(projectSpecFile(undefined, join(project, 'tsconfig.json'))).toBe(join(project, PROJECT_SPEC));
    expect(projectSpecFile(undefined, bare)).toBeUndefined();
    expect(projectSpecFile(undefined, join(root, 'missing'))).toBeUndefined();
    expect(projectSpecFile(undefined, undefined)).toBeUndefined();
  });

  it('a trailing operand names a project when it is ., a path, a folder with a tsconfig.json or a file', () => {
    expect(namesProject('.')).toBe(true);
    expect(namesProject(join(root, 'missing'))).toBe(true);
    expect(namesProject(project)).toBe(true);
    expect(namesProject(join(project, 'tsconfig.json'))).toBe(true);
    expect(namesProject(undefined)).toBe(false);
    expect(namesProject('no-such-kind-or-folder')).toBe(false);
  });
});
