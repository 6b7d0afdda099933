/**
 * Residue causes, ranked and grouped: a rule table of snippets on a made-up project (a `Cell`
 * class implementing `Positioned`), each with the cause it must be residue for (or none), then
 * the text report's ranking and collapsing and the CLI's --residue / --json.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzePath } from '../../src/analyzers/analyze.ts';
import { renderResidue, renderText } from '../../src/analyzers/report-text.ts';
import { builtinSpec } from '../../src/model/builtin.ts';
import { residueGroups, type AnalysisResult, type Residue, type ResidueCause } from '../../src/model/findings.ts';
import { loadSpecFile } from '../../src/model/spec-validate.ts';
import { runMain as cli } from '../inProcess.ts';
import Ajv2020Package from 'ajv/dist/2020.js';
import { readFileSync } from 'node:fs';
import { PACKAGE_ROOT } from '../../src/paths.ts';

const CELL = `export interface Base { x: number }
export interface Positioned extends Base { y: number }
export class Cell implements Positioned {
  constructor(readonly at: number) {}
  x = 0;
  y = 0;
  link = 0;
}
export class Decoy { x = 0; y = 0; link = 0; }
export interface Point { x: number; y: number }
export interface Labelled { x: string }
export interface Other { x: number; name: string }
`;

const SPEC = {
  name: 'grid',
  page: { class: 'Cell', file: 'src/cell.ts', fields: { x: { words: [0] }, y: { words: [1] }, link: { words: [2] } } },
  kinds: [{ name: 'wall', descriptor: { class: 'Wall' }, fields: { x: 'left', y: 'top' }, pageTypeTests: [], owners: ['src/walls.ts'] }],
};

interface Case {
  name: string;
  code: string;
  /** Causes of the residue expected, in site order; [] for none. */
  causes: ResidueCause[];
  /** Substring of the first residue's reason. */
  reason?: string;
}

const PRE = `import { Cell, Decoy, type Base, type Positioned, type Point, type Labelled, type Other } from './cell.ts';\n`;

const valid: Case[] = [
  { name: 'through an interface the class implements', code: 'export const f = (p: Positioned): number => p.x + p.y;', causes: ['supertype', 'supertype'], reason: '`p` has type Positioned, which declares `x` itself; Cell implements or extends Positioned: may be a Cell' },
  { name: 'through an interface that interface extends', code: 'export const f = (b: Base): number => b.x;', causes: ['supertype'] },
  { name: 'destructured from a supertype', code: 'export function f(p: Positioned): number { const { y } = p; return y; }', causes: ['supertype'] },
  { name: 'a type parameter bounded by a supertype', code: 'export function f<T extends Positioned>(p: T): number { return p.y; }', causes: ['supertype'] },
  { name: 'a union holding a supertype', code: 'export const f = (p: Positioned | Other): number => p.x;', causes: ['union'], reason: 'may be a Cell' },
  { name: 'a union holding the class', code: 'export const f = (p: Cell | Decoy): number => p.x;', causes: ['union'], reason: 'may or may not be a Cell' },
  { name: 'an interface the class satisfies structurally', code: 'export const f = (p: Point): number => p.x;', causes: ['structural'], reason: 'Cell satisfies Point structurally' },
  { name: 'a type literal the class satisfies', code: 'export const f = (p: { link: number }): number => p.link;', causes: ['structural'] },
  { name: 'receivers typed any are noise', code: 'export const f = (p: any, q: unknown): number => p.x + (q as any).y;', causes: ['any', 'any'] },
  { name: 'an import that does not resolve', code: "import { nothing } from './not-written-yet.ts';\nexport const f = (): number => nothing().x;", causes: ['unresolved-module', 'unresolved-type'] },
  { name: 'a computed key on the class', code: "export const f = (c: Cell, k: 'x' | 'y'): number => c[k];", causes: ['computed-key'] },
];

const invalid: Case[] = [
  { name: 'another class of the same shape is a decoy, not a supertype', code: 'export const f = (d: Decoy): number => d.x + d.link;', causes: [] },
  { name: 'an interface the class cannot satisfy', code: 'export const f = (l: Labelled): string => l.x;', causes: [] },
  { name: 'an object literal', code: 'export const f = (): number => ({ x: 1, y: 2 }).x;', causes: [] },
  { name: 'a field the spec does not track', code: 'export const f = (o: Other): string => o.name;', causes: [] },
  { name: 'the class itself is a finding, not residue', code: 'export const f = (c: Cell): number => c.x;', causes: [] },
];

let dir: string;
let result: AnalysisResult;
const fileOf = (i: number): string => `src/case${i}.ts`;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'memdesc-residue-'));
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', strict: true, noEmit: true, allowImportingTsExtensions: true, types: [], lib: ['ES2022'] }, include: ['src'] }));
  writeFileSync(join(dir, 'src', 'cell.ts'), CELL);
  writeFileSync(join(dir, 'spec.json'), JSON.stringify(SPEC));
  [...valid, ...invalid].forEach((c, i) => writeFileSync(join(dir, fileOf(i)), PRE + c.code + '\n'));
  result = analyzePath(dir, { spec: loadSpecFile(join(dir, 'spec.json'), builtinSpec()) });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('residue causes (rule table)', () => {
  [...valid, ...invalid].forEach((c, i) => {
    it(`${c.causes.length ? 'residue' : 'not residue'}: ${c.name}`, () => {
      const got = result.residue.filter((r) => r.file === fileOf(i));
      expect(got.map((r) => r.cause), got.map((r) => r.reason).join(' | ')).toEqual(c.causes);
      if (c.reason) expect(got[0]!.reason).toContain(c.reason);
      for (const r of got) {
        if (['supertype', 'union', 'structural', 'computed-key'].includes(r.cause!)) expect(r.mayBe).toBe('Cell');
        else expect(r.mayBe).toBeUndefined();
      }
    });
  });

  it('the class accessed as itself is a finding', () => {
    const i = valid.length + invalid.findIndex((c) => c.name.startsWith('the class itself'));
    expect(result.findings.filter((f) => f.file === fileOf(i)).map((f) => f.field)).toEqual(['x']);
  });

  it('the summary counts residue per cause, every cause listed in rank order', () => {
    const by = result.summary.residueByCause;
    expect(Object.keys(by)).toEqual(['supertype', 'union', 'structural', 'computed-key', 'wrapper', 'parse-error', 'any', 'unresolved-type', 'unresolved-module']);
    expect(Object.values(by).reduce((a, b) => a + b, 0)).toBe(result.residue.length);
    expect(by.supertype).toBe(5);
    expect(by.any).toBe(2);
  });
});

describe('residue ranked and grouped', () => {
  const site = (cause: ResidueCause, n: number, extra: Partial<Residue> = {}): Residue =>
    ({ file: `src/f${n}.ts`, line: n, column: 1, reason: `reason ${cause} ${n}`, cause, ...extra });
  const many: Residue[] = [
    ...Array.from({ length: 12 }, (_, i) => site('any', i + 1, { receiverType: i % 3 ? 'any' : 'unknown' })),
    ...Array.from({ length: 5 }, (_, i) => site('unresolved-module', 20 + i, { module: i < 4 ? 'vitest' : 'jest' })),
    site('structural', 30, { receiverType: 'Point', mayBe: 'Cell' }),
    site('supertype', 31, { receiverType: 'Positioned', mayBe: 'Cell' }),
    site('supertype', 32, { receiverType: 'Positioned', mayBe: 'Cell' }),
  ];

  it('groups by cause in rank order, then by receiver type, biggest first', () => {
    expect(residueGroups(many).map((g) => `${g.cause}:${g.key}:${g.count}`)).toEqual([
      'supertype:Positioned:2', 'structural:Point:1', 'any:any:8', 'any:unknown:4', 'unresolved-module:vitest:4', 'unresolved-module:jest:1',
    ]);
  });

  it('ranked: the sites that may be the class first, with their lines; any and unresolved modules as counts', () => {
    const text = renderResidue(many, 'Cell').join('\n');
    expect(text).toMatch(/^residue: 20 sites, 3 that may be a Cell \(supertype 2, structural 1, any 12, unresolved-module 5\)/);
    const at = (s: string): number => text.indexOf(s);
    expect(at('src/f31.ts:31:1: residue: reason supertype 31')).toBeGreaterThan(0);
    expect(at('src/f31.ts')).toBeLessThan(at('src/f30.ts'));
    expect(at('src/f30.ts')).toBeLessThan(at('receivers typed any or unknown (12)'));
    expect(text).toContain('    any x8, unknown x4');
    expect(text).toContain("    'vitest' x4, 'jest' x1");
    expect(text).not.toContain('src/f1.ts');
    expect(text).toContain('--residue all or --json lists every site');
  });

  it('all: every site, grouped alike', () => {
    const text = renderResidue(many, 'Cell', 'p/', 'all').join('\n');
    for (const r of many) expect(text).toContain(`p/${r.file}:${r.line}:1: residue: ${r.reason}`);
    expect(text).toContain("module 'vitest' (4):");
    expect(text).not.toContain('counts only');
  });

  it('renderText names the spec class and keeps the summary line', () => {
    const text = renderText(result, { className: 'Cell' });
    expect(text).toMatch(/\d+ residue;/);
    expect(text).toContain('may be a Cell: through an interface or supertype Cell implements or extends (5):');
  });
});

describe('memdesc analyze --residue', () => {
  // The CLI's main() in this process (test/inProcess.ts): its output and exit codes are a spawned memdesc's.
  it("--residue all lists every site; --json carries cause, receiver type and mayBe; a bad mode is exit 2", async () => {
    const ranked = await cli(['analyze', dir, '--spec', join(dir, 'spec.json')]);
    expect(ranked.status, ranked.stderr).toBe(0);
    expect(ranked.stdout).toContain('receivers typed any or unknown (2):');
    expect(ranked.stdout).not.toMatch(/case8\.ts:\d+:\d+: residue/);
    const all = await cli(['analyze', dir, '--spec', join(dir, 'spec.json'), '--residue', 'all']);
    expect(all.stdout).toMatch(/case8\.ts:\d+:\d+: residue: receiver `p` has type any/);
    const json = JSON.parse((await cli(['analyze', dir, '--spec', join(dir, 'spec.json'), '--json'])).stdout) as AnalysisResult;
    expect(json.residue.find((r) => r.cause === 'supertype')).toMatchObject({ receiverType: 'Positioned', mayBe: 'Cell', field: 'x' });
    expect(json.residue.find((r) => r.cause === 'unresolved-module')).toMatchObject({ module: './not-written-yet.ts' });
    // The published contract holds every cause's fields.
    const ajv = new Ajv2020Package.default({ allErrors: true, strictTypes: true, allowUnionTypes: true, validateFormats: false });
    const validate = ajv.compile(JSON.parse(readFileSync(join(PACKAGE_ROOT, 'docs', 'schemas', 'findings.schema.json'), 'utf8')) as object);
    expect(validate(json) ? [] : validate.errors).toEqual([]);
    const bad = await cli(['analyze', dir, '--spec', join(dir, 'spec.json'), '--residue', 'some']);
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toContain("--residue must be 'ranked' or 'all'");
  });
});
