/**
 * Region checks (src/ts/regions.ts): the incremental checker re-checks only the statements of a
 * file a change can reach, and carries the other statements' diagnostics over, moved. Every
 * step's diagnostics, related information included, must equal a from-scratch check's.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import fc from 'fast-check';
import { ts } from '@ts-morph/common';
import { afterAll, describe, expect, it } from 'vitest';
import { loadProgram } from '../../src/analyzers/project.ts';
import { IncrementalChecker } from '../../src/ts/incremental.ts';

const TSCONFIG = JSON.stringify({
  compilerOptions: {
    target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, allowImportingTsExtensions: true,
    noEmit: true, skipLibCheck: true, types: [], lib: ['ES2022'],
  },
  include: ['**/*'],
});

const tmp = mkdtempSync(join(tmpdir(), 'memdesc-regions-'));
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

/** Every error and warning with its place and its related information, relative to `root`. */
function show(diagnostics: readonly ts.Diagnostic[], root: string): string[] {
  const at = (file: ts.SourceFile | undefined, start: number | undefined): string => {
    if (!file || start === undefined) return '-';
    const { line, character } = file.getLineAndCharacterOfPosition(start);
    return `${relative(root, file.fileName)}:${line + 1}:${character + 1}`;
  };
  return diagnostics.filter((d) => d.category !== ts.DiagnosticCategory.Suggestion && d.category !== ts.DiagnosticCategory.Message).map((d) =>
    `${at(d.file, d.start)} TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}` +
    (d.relatedInformation ?? []).map((r) => ` [${at(r.file, r.start)} ${ts.flattenDiagnosticMessageText(r.messageText, ' ')}]`).join(''))
    // Messages may name a module by its absolute path: each full check has a folder of its own.
    .map((s) => s.replace(/\/[^"\s]*\/t\d+\//g, '/TREE/')).sort();
}

function fullCheck(files: Record<string, string>): string[] {
  const dir = writeTree(files);
  const { program } = loadProgram(dir);
  return show(ts.getPreEmitDiagnostics(program), dir);
}

/** A long file built from slots, each with its variants: bodies, signatures, errors, moves. */
const SLOTS: string[][] = [
  ["import { dep, type Box } from './lib.ts';\n", "import { type Box } from './lib.ts';\n", "import { dep, type Box, extra } from './lib.ts';\n"],
  ['export function first(x: number): number {\n  return x + 1;\n}\n', 'export function first(x: number): number {\n  // longer now\n  return x + 2;\n}\n',
    'export function first(x: string): string {\n  return x;\n}\n', "export function first(x: number): number {\n  return 'a';\n}\n"],
  ['export function second(): number {\n  return first(1) + dep();\n}\n', 'export function second(): number {\n  return first(1) + dep() + 0;\n}\n',
    'export function second(): number {\n  const s: string = first(1);\n  return dep() + s.length;\n}\n'],
  ['export function broken(): string {\n  return 1;\n}\n', "export function broken(): string {\n  return '1';\n}\n", 'export function broken(): string {\n  return true;\n}\n'],
  ['export function infer() {\n  return first(2);\n}\n', 'export function infer() {\n  return String(first(2));\n}\n'],
  ['export const late: number = useLate();\n', 'export const early: number = LATER + 0;\n'],
  ['function useLate(): number {\n  return LATER + 1;\n}\n', '// a comment that moves what follows\nfunction useLate(): number {\n  return LATER + 1;\n}\n'],
  ['const LATER = 3;\n', 'const LATER = 4;\n', 'const LATER: number = 5;\n', "const LATER = 'x';\n", 'const LATER: number = 6;\n'],
  ['export function box(b: Box): number {\n  return b.n;\n}\n', 'export function box(b: Box): number {\n  return b.m;\n}\n'],
  ['', 'function dupe(): void {}\nfunction dupe(): void {}\n', 'export function ov(a: number): number;\nexport function ov(a: string): string;\nexport function ov(a: any): any {\n  return a;\n}\n'],
  ['', 'export function tail(): number {\n  return first(3) + second();\n}\n', 'let tail: number = 1;\ntail = first(4);\n'],
];
const LIB = [
  'export interface Box { n: number }\nexport function dep(): number {\n  return 1;\n}\n',
  "export interface Box { n: number; m?: string }\nexport function dep(): number {\n  return 2;\n}\nexport const extra = 'e';\n",
  "export interface Box { n: string }\nexport function dep(): string {\n  return '1';\n}\n",
];
const USER = [
  "import { infer, second } from './m.ts';\nexport const u: number = infer() + second();\n",
  "import { infer } from './m.ts';\nexport const u: string = infer();\n",
];

/** m.ts from the picks; `swap` moves the 6th slot (late/early) after the 8th (LATER): early then no longer uses LATER before its declaration. */
function mText(picks: number[], swap: boolean): string {
  const parts = SLOTS.map((v, i) => v[picks[i]! % v.length]!);
  if (swap) { const [x] = parts.splice(5, 1); parts.splice(7, 0, x!); }
  return parts.join('');
}

const BASE: Record<string, string> = { 'm.ts': mText(SLOTS.map(() => 0), false), 'lib.ts': LIB[0]!, 'user.ts': USER[0]! };

describe('region checks against a full check', () => {
  const seed = Number(process.env.FC_SEED ?? Math.floor(Math.random() * 2 ** 31));

  it(`statements edited, moved, broken and fixed: every step equals a from-scratch check (seed ${seed}; FC_SEED=N to replay)`, () => {
    const dir = writeTree(BASE);
    const { program } = loadProgram(dir);
    const tree = fc.record({
      picks: fc.tuple(...SLOTS.map((v) => fc.nat({ max: v.length - 1 }))),
      swap: fc.boolean(), lib: fc.nat({ max: LIB.length - 1 }), user: fc.nat({ max: USER.length - 1 }),
    });
    let regions = 0;
    fc.assert(fc.property(fc.array(tree, { minLength: 2, maxLength: 6 }), (trees) => {
      const checker = new IncrementalChecker(program);
      for (const t of trees) {
        const files: Record<string, string> = { 'm.ts': mText(t.picks, t.swap), 'lib.ts': LIB[t.lib]!, 'user.ts': USER[t.user]! };
        const texts = new Map(Object.entries(files).filter(([f, x]) => x !== BASE[f]).map(([f, x]) => [join(dir, f), x] as const));
        const got = show(checker.check(texts).diagnostics, dir);
        expect(got).toEqual(fullCheck(files));
      }
      regions += checker.regionChecks;
    }), { seed, numRuns: 40 });
    // Not a vacuous pass: files were checked in part.
    expect(regions).toBeGreaterThan(0);
  });
});

describe('region checks, one by one', () => {
  it('an error in a statement after an edited one is carried to its new line; the edited statement alone is checked', () => {
    const dir = writeTree(BASE);
    const { program } = loadProgram(dir);
    const checker = new IncrementalChecker(program);
    const m = join(dir, 'm.ts');
    expect(show(checker.check(new Map()).diagnostics, dir)).toEqual(fullCheck(BASE));
    const before = checker.regionChecks;
    // first() grows by a line: broken()'s error (unchanged statement) moves down a line.
    const grown = mText([0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0], false);
    const r = checker.check(new Map([[m, grown]]));
    expect(checker.regionChecks).toBe(before + 1);
    const got = show(r.diagnostics, dir);
    expect(got).toEqual(fullCheck({ ...BASE, 'm.ts': grown }));
    expect(got.some((e) => /^m\.ts:10:3 TS2322/.test(e))).toBe(true);
  });

  it('a block-scoped name moved after its unchanged user, its shape kept: the user is checked again (TS2448 appears)', () => {
    const dir = writeTree(BASE);
    const { program } = loadProgram(dir);
    const checker = new IncrementalChecker(program);
    const m = join(dir, 'm.ts');
    checker.check(new Map());
    // early uses LATER after its declaration: fine.
    const fine = mText([0, 0, 0, 0, 0, 1, 0, 2, 0, 0, 0], true);
    const first = show(checker.check(new Map([[m, fine]])).diagnostics, dir);
    expect(first).toEqual(fullCheck({ ...BASE, 'm.ts': fine }));
    expect(first.some((e) => e.includes('TS2448'))).toBe(false);
    // LATER's statement (new text, same shape) and useLate's move after early, whose text is unchanged.
    const moved = mText([0, 0, 0, 0, 0, 1, 1, 4, 0, 0, 0], false);
    const got = show(checker.check(new Map([[m, moved]])).diagnostics, dir);
    expect(got).toEqual(fullCheck({ ...BASE, 'm.ts': moved }));
    expect(got.some((e) => e.includes('TS2448'))).toBe(true);
  });
});
