/**
 * The analyzer's fast paths that replace a walk of every node or a type query must lose nothing:
 * identifiersNamed() (one descent per place the text spells a name) against a full walk, on
 * hand-made traps and on every corpus file with seeded random name sets; a page class alias
 * imported in one file is a class reference there and nowhere else (the per-file import names of
 * isPageClassRef's syntactic filter); and every call the checker finds declared to return `never`
 * passes mayNeverReturn()'s name filter (declarations, variables holding the function, aliases).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ts } from '@ts-morph/common';
import { describe, expect, it } from 'vitest';
import { identifiersNamed } from '../../src/analyzers/ast.ts';
import { loadProgram, programOf } from '../../src/analyzers/project.ts';
import { neverReturns } from '../../src/analyzers/reach.ts';
import { BUNDLED_CORPUS } from '../../src/paths.ts';
import { AnalysisContext } from '../../src/analyzers/context.ts';
import { builtinSpec } from '../../src/model/builtin.ts';
import { prng } from '../../src/verify/mutants-gen.ts';
import { makeProject, ROOT } from './helpers.ts';

function walked(sf: ts.SourceFile, names: ReadonlySet<string>, skip?: (n: ts.Node) => boolean): ts.Identifier[] {
  const out: ts.Identifier[] = [];
  const visit = (n: ts.Node): void => {
    if (skip?.(n)) return;
    if (ts.isIdentifier(n) && names.has(n.text)) out.push(n);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

const parse = (text: string): ts.SourceFile => ts.createSourceFile('/x.ts', text, ts.ScriptTarget.ES2022, true);

function corpusFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) corpusFiles(p, out);
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

describe('identifiersNamed', () => {
  it('finds what a walk finds, not names in comments, strings, longer identifiers or JSDoc', () => {
    const sf = parse(`
/** PG_lru in JSDoc, @see PG_lru */
// PG_lru in a comment
const s = 'PG_lru' + \`PG_lru \${PG_lru}\`;
const xPG_lru = PG_lru_x + $PG_lru + PG_lru$;
function f(PG_lru: number) { return obj.PG_lru + obj['PG_lru'] + PG_lru; }
type T = { PG_lru: typeof PG_lru };
const { PG_lru: alias = PG_lru } = o;
label: for (;;) { PG_lru++; break label; }
const $x = 1; use($x, $x.PG_lru);
`);
    for (const names of [['PG_lru'], ['PG_lru', 'PG'], ['$x'], ['PG_lru_x', 'PG_lru$', '$PG_lru'], ['label', 'alias', 'o', 'obj']]) {
      const set = new Set(names);
      expect(identifiersNamed(sf, set).map((n) => n.pos), names.join(',')).toEqual(walked(sf, set).map((n) => n.pos));
    }
    expect(identifiersNamed(sf, new Set(['PG_lru'])).length).toBeGreaterThan(5);
  });

  it('does not enter what `skip` rules out, and reads a file with unicode escapes by walking it', () => {
    const sf = parse('function t(p: number) { return p & PG_lru; }\nfunction u() { return PG_lru; }\n');
    const body = (sf.statements[0] as ts.FunctionDeclaration).body!;
    const names = new Set(['PG_lru']);
    expect(identifiersNamed(sf, names, (n) => n === body).map((n) => n.pos)).toEqual(walked(sf, names, (n) => n === body).map((n) => n.pos));
    expect(identifiersNamed(sf, names, (n) => n === body)).toHaveLength(1);
    const esc = parse('const a = \\u0050G_lru + PG_lru;\n');
    expect(identifiersNamed(esc, names)).toHaveLength(2);
  });

  it('equals a walk on every corpus file for random name sets', () => {
    const seed = Number(process.env.MEMDESC_TEST_SEED ?? Date.now() % 1_000_000);
    const rnd = prng(seed);
    console.log(`identifiersNamed property seed ${seed} (MEMDESC_TEST_SEED=${seed} to repeat)`);
    for (const file of corpusFiles(BUNDLED_CORPUS)) {
      const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
      const all = [...new Set(walked(sf, { has: () => true } as unknown as Set<string>).map((n) => n.text))];
      for (let round = 0; round < 3; round++) {
        const names = new Set<string>();
        const k = 1 + Math.floor(rnd() * 6);
        for (let i = 0; i < k && all.length > 0; i++) names.add(all[Math.floor(rnd() * all.length)]!);
        // Prefixes and names the file never spells as an identifier too.
        if (rnd() < 0.5 && all.length > 0) names.add(all[Math.floor(rnd() * all.length)]!.slice(0, 3));
        const got = identifiersNamed(sf, names).map((n) => n.pos);
        expect(got, `seed ${seed} ${file} {${[...names].join(',')}}`).toEqual(walked(sf, names).map((n) => n.pos));
      }
    }
  });
});

describe('page class references by an alias', () => {
  it('an import alias is a reference in its own file; a global or namespace alias everywhere; an unrelated name nowhere', () => {
    const project = makeProject({
      'mm/a.ts': `import { Page as Pg } from '../include/linux/mm_types.ts';\nimport * as mt from '../include/linux/mm_types.ts';\nexport const a = [Pg, mt.Page];\n`,
      'mm/b.ts': `export const b = [typeof Pg, Page];\n`,
      'mm/c.ts': `import { Pg as Other } from './d.ts';\nexport const c = [Other];\n`,
      'mm/d.ts': `import { Page } from '../include/linux/mm_types.ts';\nexport { Page as Pg };\n`,
    }, false);
    const program = programOf(project);
    const ctx = new AnalysisContext(builtinSpec(), program, ROOT);
    const refs = (file: string): boolean[] => {
      const sf = program.getSourceFile(`${ROOT}/${file}`)!;
      const decl = sf.statements.find(ts.isVariableStatement)!.declarationList.declarations[0]!;
      return (decl.initializer as ts.ArrayLiteralExpression).elements.map((e) => ctx.isPageClassRef(ts.isTypeOfExpression(e) ? e.expression : e));
    };
    expect(refs('mm/a.ts')).toEqual([true, true]);
    // \`Pg\` is no name in b.ts (an alias in a.ts only); \`Page\` is not imported there either.
    expect(refs('mm/b.ts')).toEqual([false, false]);
    expect(refs('mm/c.ts')).toEqual([true]);
  });
});

describe('mayNeverReturn', () => {
  /** Every call of the program: [filter says maybe, the checker's declaration says never]. */
  function verdicts(program: ts.Program, ctx: AnalysisContext, root: string): Array<{ text: string; may: boolean; never: boolean }> {
    const out: Array<{ text: string; may: boolean; never: boolean }> = [];
    for (const sf of program.getSourceFiles()) {
      if (sf.isDeclarationFile || !sf.fileName.startsWith(root)) continue;
      const visit = (n: ts.Node): void => {
        if (ts.isCallExpression(n)) {
          out.push({ text: n.getText(sf), may: ctx.mayNeverReturn(n.expression), never: neverReturns(n, (x) => ctx.symbolOf(x)) });
        }
        ts.forEachChild(n, visit);
      };
      visit(sf);
    }
    return out;
  }

  it('lets through every callee declared to return never, by any name it is called by', () => {
    const project = makeProject({
      'mm/panic.ts': `export function BUG(): never { throw new Error('BUG'); }
export const die = (why: string): never => { throw new Error(why); };
export let halt: (code: number) => never = (c) => { throw new Error(String(c)); };
export const stop = function inner(): never { throw new Error('stop'); };
export default function fatal(): never { throw new Error('fatal'); }
export class Machine { crash(): never { throw new Error('crash'); } }
export { BUG as oops };
export function fine(): number { return 1; }
`,
      'mm/use.ts': `import fail, { BUG as panic, die, halt, stop, Machine, oops, fine } from './panic.ts';
import * as p from './panic.ts';
export function use(m: Machine, cb: () => never, x: number): number {
  if (x === 1) panic();
  if (x === 2) die('x');
  if (x === 3) halt(3);
  if (x === 4) stop();
  if (x === 5) fail();
  if (x === 6) m.crash();
  if (x === 7) oops();
  if (x === 8) p.BUG();
  if (x === 9) cb();
  return fine() + Math.max(x, 0);
}
`,
    }, false);
    const program = programOf(project);
    const ctx = new AnalysisContext(builtinSpec(), program, ROOT);
    const all = verdicts(program, ctx, `${ROOT}/mm/`);
    const never = all.filter((v) => v.never).map((v) => v.text);
    expect(never).toEqual(['panic()', "die('x')", 'halt(3)', 'stop()', 'fail()', 'm.crash()', 'oops()', 'p.BUG()']);
    for (const v of all) if (v.never) expect(v.may, v.text).toBe(true);
    // The filter does its job: a call of a function no never-typed declaration names skips the checker.
    expect(all.find((v) => v.text === 'fine()')!.may).toBe(false);
    expect(all.find((v) => v.text === 'Math.max(x, 0)')!.may).toBe(false);
  });

  it('lets through every never-returning call of the corpus', () => {
    const { program, root } = loadProgram(BUNDLED_CORPUS);
    const ctx = new AnalysisContext(builtinSpec(), program, root);
    const all = verdicts(program, ctx, root);
    const missed = all.filter((v) => v.never && !v.may).map((v) => v.text);
    expect(missed).toEqual([]);
    expect(all.some((v) => v.never)).toBe(true);
  });
});
