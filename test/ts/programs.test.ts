/**
 * src/ts/programs.ts: overlay programs reuse parsed files (the base's, or an earlier overlay's
 * where the text is the same) without keeping the earlier overlay alive; lib files are parsed
 * once per process.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, describe, expect, it } from 'vitest';
import { loadProgram } from '../../src/analyzers/project.ts';
import { typeErrors } from '../../src/rewrite/check.ts';
import { overlayProgram } from '../../src/ts/programs.ts';

const tmp = mkdtempSync(join(tmpdir(), 'memdesc-programs-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
writeFileSync(join(tmp, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, noEmit: true, skipLibCheck: true, types: [], lib: ['ES2022'] }, include: ['*.ts'] }));
writeFileSync(join(tmp, 'a.ts'), 'export const a: number = 1;\n');
writeFileSync(join(tmp, 'b.ts'), "import { a } from './a';\nexport const b: number = a;\n");

describe('overlayProgram', () => {
  const { program, root } = loadProgram(tmp);
  const a = join(root, 'a.ts');
  const c = join(root, 'sub', 'c.ts');

  it('reuses the base for files not overlaid, an earlier overlay for the same text, and adds new files (in new folders) as roots', () => {
    const one = overlayProgram(program, new Map([[a, 'export const a: number = 2;\n'], [c, "import { b } from '../b';\nexport const c: string = b;\n"]]));
    expect(one.getSourceFile(join(root, 'b.ts'))).toBe(program.getSourceFile(join(root, 'b.ts')));
    expect(typeErrors(one, root).map((e) => `${e.file}:${e.line}`)).toEqual(['sub/c.ts:2']);
    const two = overlayProgram(program, new Map([[a, 'export const a: number = 2;\n'], [c, 'export const c = 1;\n']]), { parsed: one });
    expect(two.getSourceFile(a)).toBe(one.getSourceFile(a));
    expect(two.getSourceFile(c)).not.toBe(one.getSourceFile(c));
    expect(typeErrors(two, root)).toEqual([]);
  });

  it('shares parsed lib files between programs', () => {
    const lib = (p: typeof program) => p.getSourceFiles().find((f) => p.isSourceFileDefaultLibrary(f));
    expect(lib(program)).toBeDefined();
    expect(lib(loadProgram(tmp).program)).toBe(lib(program));
  });

  it('an overlay does not keep the overlay it took parsed files from alive', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    let prev = overlayProgram(program, new Map([[a, 'export const a: number = 0;\n']]));
    const first = new WeakRef(prev);
    for (let i = 1; i < 4; i++) prev = overlayProgram(program, new Map([[a, `export const a: number = ${i};\n`]]), { parsed: prev });
    // A WeakRef keeps its target until the current job ends.
    await new Promise((r) => setImmediate(r));
    gc();
    expect(first.deref()).toBeUndefined();
    expect(prev.getSourceFile(a)?.text).toContain('= 3');
  });
});
