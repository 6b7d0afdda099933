/**
 * IncrementalChecker: a chain of overlays checked incrementally must give exactly the errors a
 * from-scratch check of each tree gives (the tree written to its own folder and loaded anew),
 * while a body-only edit re-checks the edited file alone.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { loadProgram } from '../../src/analyzers/project.ts';
import { formatError, typeErrors, toTypeErrors } from '../../src/rewrite/check.ts';
import { IncrementalChecker } from '../../src/ts/incremental.ts';
import { BUNDLED_CORPUS } from '../../src/paths.ts';

const TSCONFIG = JSON.stringify({
  compilerOptions: {
    target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, allowImportingTsExtensions: true,
    noEmit: true, skipLibCheck: true, types: [], lib: ['ES2022'],
  },
  include: ['**/*'],
});

/** The base project: a.ts is imported by b.ts, whose inferred types c.ts uses; other.ts stands alone. */
const BASE: Record<string, string> = {
  'a.ts': 'export interface Box { n: number }\nexport function make(): Box {\n  return { n: 1 };\n}\nexport const k = 1;\n',
  'b.ts': "import { make } from './a.ts';\nexport function use() {\n  return make().n;\n}\n",
  'c.ts': "import { use } from './b.ts';\nexport const total: number = use() + 1;\n",
  'other.ts': 'export function alone(x: number): number {\n  return x * 2;\n}\n',
};

const tmp = mkdtempSync(join(tmpdir(), 'memdesc-incremental-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let dirs = 0;

function writeTree(files: Record<string, string>): string {
  const dir = join(tmp, `t${dirs++}`);
  for (const [f, t] of Object.entries({ 'tsconfig.json': TSCONFIG, ...files })) {
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    writeFileSync(join(dir, f), t);
  }
  return dir;
}

/** Errors of the tree `base` + `texts` (relative names), checked from scratch in a folder of its own. */
function fullCheck(baseFiles: Record<string, string>, texts: Record<string, string>): string[] {
  const { program, root } = loadProgram(writeTree({ ...baseFiles, ...texts }));
  return typeErrors(program, root).map(formatError).sort();
}

function abs(root: string, texts: Record<string, string>): Map<string, string> {
  return new Map(Object.entries(texts).map(([f, t]) => [join(root, f), t] as const));
}

function rel(root: string, files: string[]): string[] {
  return files.map((f) => f.slice(root.length + 1)).sort();
}

describe('IncrementalChecker on a small project', () => {
  const { program, root } = loadProgram(writeTree(BASE));
  const checker = new IncrementalChecker(program);
  const step = (texts: Record<string, string>) => {
    const r = checker.check(abs(root, texts));
    return { errors: toTypeErrors(r.diagnostics, root).map(formatError).sort(), checked: rel(root, r.checked) };
  };
  const boxString = BASE['a.ts']!.replace('n: number', 'n: string').replace('{ n: 1 }', "{ n: '1' }");

  it('checks the base in full first, then a body-only edit re-checks that file alone', () => {
    expect(step({}).errors).toEqual([]);
    const body = { 'a.ts': BASE['a.ts']!.replace('{ n: 1 }', '{ n: 2 }') };
    const r = step(body);
    expect(r.checked).toEqual(['a.ts']);
    expect(r.errors).toEqual(fullCheck(BASE, body));
  });

  it('an exported type that changes shape re-checks its importers, through an unchanged file whose inferred types change', () => {
    const r = step({ 'a.ts': boxString });
    // b.ts is unchanged and still fine; its inferred `use(): string` breaks c.ts.
    expect(r.errors).toEqual(fullCheck(BASE, { 'a.ts': boxString }));
    expect(r.errors.length).toBeGreaterThan(0);
    expect(r.errors.every((e) => e.startsWith('c.ts:'))).toBe(true);
    expect(r.checked).toEqual(expect.arrayContaining(['a.ts', 'b.ts', 'c.ts']));
    expect(r.checked).not.toContain('other.ts');
  });

  it('a new file with an error, then an export it uses deleted', () => {
    const e = { 'sub/e.ts': "import { k } from '../a.ts';\nexport const s: string = String(k);\nexport const t: string = k;\n" };
    const r1 = step(e);
    expect(r1.errors).toEqual(fullCheck(BASE, e));
    expect(r1.errors.some((x) => x.startsWith('sub/e.ts:3:'))).toBe(true);
    const gone = { ...e, 'a.ts': BASE['a.ts']!.replace('export const k = 1;\n', '') };
    const r2 = step(gone);
    expect(r2.errors).toEqual(fullCheck(BASE, gone));
    expect(r2.errors.some((x) => x.startsWith('sub/e.ts:1:'))).toBe(true);
  });

  it('back to the base: no errors left over from earlier steps', () => {
    expect(step({})).toEqual({ errors: [], checked: expect.any(Array) });
  });
});

describe('IncrementalChecker against a full check, random edit sequences', () => {
  // Variants per file: body-only, shape changes, errors, new imports, removed exports.
  const variants: Record<string, string[]> = {
    'a.ts': [
      BASE['a.ts']!,
      BASE['a.ts']!.replace('{ n: 1 }', '{ n: 3 }'),
      BASE['a.ts']!.replace('n: number', 'n: string').replace('{ n: 1 }', "{ n: '1' }"),
      BASE['a.ts']!.replace('export const k = 1;', 'export const k = "one";'),
      BASE['a.ts']!.replace('export const k = 1;\n', ''),
      BASE['a.ts']!.replace('n: number }', 'n: number; m?: number }'),
    ],
    'b.ts': [
      BASE['b.ts']!,
      BASE['b.ts']!.replace('return make().n;', 'return make().n + 0;'),
      BASE['b.ts']!.replace('return make().n;', 'return String(make().n);'),
      "import { make, k } from './a.ts';\nexport function use(): number {\n  return make().n + k;\n}\nexport { k };\n",
    ],
    'c.ts': [
      BASE['c.ts']!,
      "import { use } from './b.ts';\nexport const total = use();\n",
      "import { use, k } from './b.ts';\nexport const total: number = use() + k;\n",
      // Resolves only while dep.ts exists: its errors change with no edit of its own.
      "import { alone } from './dep.ts';\nexport const total: number = alone;\n",
    ],
    'dep.ts': [
      '',
      "import { total } from './c.ts';\nexport const twice: number = total * 2;\nexport const alone = 1;\n",
      "import { alone as a } from './other.ts';\nexport const alone: string = a(1);\n",
      "export { alone } from './other.ts';\n",
    ],
    // A script (no import or export): its declarations are global.
    'glob.ts': ['', 'var G = 1;\n', 'var G = "one";\n'],
    'other.ts': [BASE['other.ts']!, `${BASE['other.ts']!}export const g: number = G;\n`],
  };
  const files = Object.keys(variants);
  const treeArb = fc.tuple(...files.map((f) => fc.nat({ max: variants[f]!.length - 1 })));
  const seed = Number(process.env.FC_SEED ?? Math.floor(Math.random() * 2 ** 31));

  it(`every step's errors equal a from-scratch check's (seed ${seed}; FC_SEED=N to replay)`, () => {
    const { program, root } = loadProgram(writeTree(BASE));
    fc.assert(fc.property(fc.array(treeArb, { minLength: 1, maxLength: 6 }), (trees) => {
      const checker = new IncrementalChecker(program);
      for (const pick of trees) {
        const texts: Record<string, string> = {};
        for (const [i, f] of files.entries()) {
          const t = variants[f]![pick[i]!]!;
          // '': the file does not exist (dep.ts, glob.ts); the base text is no overlay.
          if (t !== '' && t !== BASE[f]) texts[f] = t;
        }
        const got = toTypeErrors(checker.check(abs(root, texts)).diagnostics, root).map(formatError).sort();
        expect(got).toEqual(fullCheck(BASE, texts));
      }
    }), { seed, numRuns: 20 });
  });
});

/**
 * A project whose files reach each other every way a declaration can: named, default and
 * namespace imports, re-exports by name and by `export *`, an unannotated function whose type
 * comes from its body, class members, an expando property, a type query of a module.
 */
const DECLS: Record<string, string> = {
  'a.ts': 'export interface Box { n: number }\nexport function make(): Box {\n  return { n: 1 };\n}\nexport function inferred() {\n  return make();\n}\n' +
    'export class C {\n  p = 1;\n  m(): number {\n    return this.p;\n  }\n}\nexport default function dflt(): number {\n  return 1;\n}\n',
  'b.ts': "export * from './a.ts';\nexport { make as mk } from './a.ts';\n",
  'c.ts': "import * as A from './a.ts';\nexport const v: number = A.make().n;\n",
  'd.ts': "import { mk, inferred } from './b.ts';\nexport const w: number = mk().n + inferred().n;\n",
  'e.ts': "import dflt from './a.ts';\nexport const z: number = dflt();\n",
  'f.ts': "import { C } from './a.ts';\nexport const q: number = new C().m() + new C().p;\n",
  'g.ts': 'export function h(): number {\n  return 1;\n}\nh.extra = 2;\n',
  'h.ts': "import { h } from './g.ts';\nexport const x: number = h.extra;\nexport type T = typeof import('./a.ts');\nexport const t: T['make'] | undefined = undefined;\n",
  // An import of a name a.ts does not export: its message suggests one a.ts does.
  'i.ts': "import { makes } from './a.ts';\nexport const y = makes;\n",
};

describe('IncrementalChecker against a full check, declarations reached every way', () => {
  const a = DECLS['a.ts']!;
  const variants: Record<string, string[]> = {
    'a.ts': [
      a,
      a.replace('return { n: 1 };', 'return { n: 2 };'),
      a.replace('n: number', 'n: string').replace('{ n: 1 }', "{ n: '1' }"),
      a.replace('return make();', "return { n: 'x' };"),
      a.replace('p = 1;', "p = 'one';"),
      a.replace('m(): number', 'm(): string').replace('return this.p;', 'return String(this.p);'),
      a.replace('dflt(): number {\n  return 1;', "dflt(): string {\n  return '1';"),
      a.replace('export function make', 'export function made'),
      `${a}export const mk = 1;\n`,
    ],
    'b.ts': [DECLS['b.ts']!, "export { make as mk } from './a.ts';\n", "export * from './a.ts';\nexport { inferred as mk } from './a.ts';\n"],
    'g.ts': [DECLS['g.ts']!, DECLS['g.ts']!.replace('h.extra = 2;', "h.extra = 'two';"), DECLS['g.ts']!.replace('return 1;', 'return 3;')],
    'c.ts': [DECLS['c.ts']!, "import * as A from './b.ts';\nexport const v: number = A.mk().n;\n"],
  };
  const files = Object.keys(variants);
  const treeArb = fc.tuple(...files.map((f) => fc.nat({ max: variants[f]!.length - 1 })));
  const seed = Number(process.env.FC_SEED ?? Math.floor(Math.random() * 2 ** 31));

  it(`every step's errors equal a from-scratch check's (seed ${seed}; FC_SEED=N to replay)`, () => {
    const { program, root } = loadProgram(writeTree(DECLS));
    fc.assert(fc.property(fc.array(treeArb, { minLength: 1, maxLength: 6 }), (trees) => {
      const checker = new IncrementalChecker(program);
      for (const pick of trees) {
        const texts: Record<string, string> = {};
        for (const [i, f] of files.entries()) {
          const t = variants[f]![pick[i]!]!;
          if (t !== DECLS[f]) texts[f] = t;
        }
        // Messages may name a module by its absolute path: each full check has a folder of its own.
        const norm = (errors: string[]) => errors.map((e) => e.replace(/\/[^"]*\/t\d+\//g, '/TREE/')).sort();
        const got = toTypeErrors(checker.check(abs(root, texts)).diagnostics, root).map(formatError);
        expect(norm(got)).toEqual(norm(fullCheck(DECLS, texts)));
      }
    }), { seed, numRuns: 25 });
  });

  it('re-checks the importers of what changed, not the other importers of the file', () => {
    const { program, root } = loadProgram(writeTree(DECLS));
    const checker = new IncrementalChecker(program);
    const step = (texts: Record<string, string>) => rel(root, checker.check(abs(root, texts)).checked);
    step({});
    // A body behind a written return type: nobody else can tell.
    expect(step({ 'a.ts': variants['a.ts']![1]! })).toEqual(['a.ts']);
    // A class member: the files that use the class (f.ts), read the module whole (c.ts, h.ts) or re-export it (b.ts, so d.ts through it).
    const member = step({ 'a.ts': variants['a.ts']![4]! });
    expect(member).toEqual(expect.arrayContaining(['a.ts', 'b.ts', 'c.ts', 'f.ts', 'h.ts']));
    expect(member).not.toContain('e.ts');
    expect(member).not.toContain('i.ts');
    expect(member).not.toContain('g.ts');
  });
});

describe('IncrementalChecker on the corpus', () => {
  const { program, root } = loadProgram(BUNDLED_CORPUS);
  const checker = new IncrementalChecker(program);

  it('a body-only edit of a widely imported file re-checks that file alone; a signature change reaches the importers of that function only', () => {
    expect(checker.check(new Map()).diagnostics.filter((d) => d.category === 1)).toEqual([]);
    const file = join(root, 'mm', 'page_alloc.ts');
    const text = readFileSync(file, 'utf8');
    // A statement added at the top of the first function body with a block.
    const body = text.replace(/(\nexport function [^\n]*\{\n)/, '$1  void 0;\n');
    expect(body).not.toBe(text);
    const r1 = checker.check(new Map([[file, body]]));
    expect(rel(root, r1.checked)).toEqual(['mm/page_alloc.ts']);
    expect(toTypeErrors(r1.diagnostics, root)).toEqual([]);
    // free_unref_page()'s first parameter becomes a string: its caller in mm/swap.ts breaks; the
    // files that import other things of page_alloc.ts (zswap.ts: contig_page_data) keep their diagnostics.
    const sig = text.replace(/(\nexport function free_unref_page\()(\w+): [^,)]+/, '$1$2: string');
    expect(sig).not.toBe(text);
    const r2 = checker.check(new Map([[file, sig]]));
    const fresh = typeErrors(loadProgram(writeCorpusCopy({ 'mm/page_alloc.ts': sig })).program, join(tmp, `t${dirs - 1}`)).map(formatError).sort();
    expect(toTypeErrors(r2.diagnostics, root).map(formatError).sort()).toEqual(fresh);
    expect(fresh.some((e) => e.startsWith('mm/swap.ts:'))).toBe(true);
    expect(rel(root, r2.checked)).toEqual(expect.arrayContaining(['mm/page_alloc.ts', 'mm/swap.ts']));
    expect(rel(root, r2.checked)).not.toContain('mm/zswap.ts');
  });
});

/** The corpus with `texts` replaced, in a folder of its own. */
function writeCorpusCopy(texts: Record<string, string>): string {
  const { program, root } = loadProgram(BUNDLED_CORPUS);
  const files: Record<string, string> = {};
  for (const sf of program.getSourceFiles()) if (sf.fileName.startsWith(`${root}/`)) files[sf.fileName.slice(root.length + 1)] = sf.text;
  const dir = join(tmp, `t${dirs++}`);
  for (const [f, t] of Object.entries({ 'tsconfig.json': readFileSync(join(root, 'tsconfig.json'), 'utf8'), ...files, ...texts })) {
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    writeFileSync(join(dir, f), t);
  }
  return dir;
}
