/**
 * src/ts/sharedParse.ts: a text a planner reads with the program's options is parsed once for the
 * planner and the overlay that type-checks it; what a reader finds in a shared parse is what a
 * private parse gives; files a shared parse could read differently are parsed privately.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ts } from '@ts-morph/common';
import { afterAll, describe, expect, it } from 'vitest';
import { loadProgram } from '../../src/analyzers/project.ts';
import { typeErrors } from '../../src/rewrite/check.ts';
import { nameUses } from '../../src/rewrite/importFix.ts';
import { valueImports } from '../../src/rewrite/importCycles.ts';
import { overlayProgram } from '../../src/ts/programs.ts';
import { syntaxOf } from '../../src/ts/sharedParse.ts';

const tmp = mkdtempSync(join(tmpdir(), 'memdesc-sharedparse-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function project(name: string, target: string): { program: ts.Program; root: string } {
  const dir = join(tmp, name);
  const files: Record<string, string> = {
    'tsconfig.json': JSON.stringify({ compilerOptions: { strict: true, noEmit: true, skipLibCheck: true, types: [], lib: ['ES2022'], target, jsx: 'preserve' }, include: ['*.ts', '*.tsx'] }),
    'a.ts': 'export const a: number = 1;\nexport type A = { a: number };\n',
    'b.ts': "import { a, type A } from './a';\nexport const b: number = a;\nexport const x: A = { a: b };\n",
    'v.tsx': 'export const v = 1;\n',
  };
  mkdirSync(dir, { recursive: true });
  for (const [f, t] of Object.entries(files)) writeFileSync(join(dir, f), t);
  return loadProgram(dir);
}

const usesOf = (sf: ts.SourceFile) => JSON.stringify([...nameUses(sf)].sort());

describe('syntaxOf', () => {
  it('parses a text once for a planner and the overlay that checks it, after an overlay of the program asked for the file', () => {
    const { program, root } = project('es2022', 'ES2022');
    const b = join(root, 'b.ts');
    const options = program.getCompilerOptions();
    // No overlay asked for b.ts yet: a private parse, each time.
    const t1 = "import { a } from './a';\nexport const b: number = a + 1;\n";
    expect(syntaxOf(options, b, t1)).not.toBe(syntaxOf(options, b, t1));
    const one = overlayProgram(program, new Map([[b, t1]]));
    expect(typeErrors(one, root)).toEqual([]);
    // Now the planner's parse of a new text is the one the next overlay takes.
    const t2 = "import { a } from './a';\nexport const b: number = a + 2;\n";
    const read = syntaxOf(options, b, t2);
    expect(syntaxOf(options, b, t2)).toBe(read);
    const two = overlayProgram(program, new Map([[b, t2]]), { parsed: one, structure: one });
    expect(two.getSourceFile(b)).toBe(read);
    expect(typeErrors(two, root)).toEqual([]);
    // A wrong text shared is still checked as a text of its own.
    const t3 = "import { a } from './a';\nexport const b: string = a;\n";
    syntaxOf(options, b, t3);
    const three = overlayProgram(program, new Map([[b, t3]]), { parsed: two, structure: two });
    expect(typeErrors(three, root).map((e) => `${e.file}:${e.line}`)).toEqual(['b.ts:2']);
    // Another program's options share nothing with these.
    expect(syntaxOf({ ...options }, b, t2)).not.toBe(read);
  });

  it('a shared parse reads as a private one: the names used, type-only uses, the import edges', () => {
    const { program, root } = project('reads', 'ES2022');
    const b = join(root, 'b.ts');
    const options = program.getCompilerOptions();
    overlayProgram(program, new Map([[b, 'export const b = 1;\n']]));
    const text = "import { a, type A } from './a';\nimport { c } from './c';\nexport const b: number = a;\nexport const x: A = { a: b };\nlet y: typeof c;\n";
    const shared = syntaxOf(options, b, text);
    const own = ts.createSourceFile(b, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
    expect(shared).not.toBe(own);
    expect(usesOf(shared)).toBe(usesOf(own));
    expect([...valueImports(shared, true)]).toEqual([...valueImports(own, true)]);
  });

  it('parses privately what a shared parse could read otherwise: a .tsx file, a target before ES2015', () => {
    const { program, root } = project('tsx', 'ES2022');
    const v = join(root, 'v.tsx');
    overlayProgram(program, new Map([[v, 'export const v = 2;\n']]));
    const t = 'export const v = 3;\n';
    expect(syntaxOf(program.getCompilerOptions(), v, t)).not.toBe(syntaxOf(program.getCompilerOptions(), v, t));
    const old = project('es5', 'ES5');
    const b = join(old.root, 'b.ts');
    overlayProgram(old.program, new Map([[b, 'export const b = 1;\n']]));
    expect(syntaxOf(old.program.getCompilerOptions(), b, t)).not.toBe(syntaxOf(old.program.getCompilerOptions(), b, t));
  });
});
