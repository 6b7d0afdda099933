/**
 * `memdesc init` decides which functions are type tests and assertions by their code, and names
 * only name the kinds (evidence.ts, functions.ts, callees.ts): valid and invalid snippets in one
 * small project — a function named like a test that tests no tag bit is no kind, a test whose
 * helper shares its name with a mutating function elsewhere is still one, assertions are found by
 * what they do (`if (!c) throw`, a wrapper of one) and a logging function is none; the draft says
 * what it guessed from names.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureOutput } from '../capture.ts';
import { main } from '../../src/cli.ts';
import { draftSpec } from '../../src/init/draft.ts';
import { validateSpec } from '../../src/model/spec-validate.ts';

type Json = Record<string, any>;

const TILE = `export class Tile {
  kind = 0;
  a = 0;
  b = 0;
}
export const WALL = 1;
export const DOOR = 2;
export const GATE = 4;
export function makeTile(kind: number): Tile { const t = new Tile(); t.kind = kind; return t; }
`;

/** Each case: a function of the project and whether init takes it as a type test (its kind) or an assertion. */
const TESTS: Array<{ name: string; code: string; kind?: string }> = [
  { name: 'a tag compared with a constant', code: `export function isWall(t: Tile): boolean { return t.kind === WALL; }`, kind: 'wall' },
  { name: 'a flag bit masked', code: `export function isGate(t: Tile): boolean { return (t.kind & GATE) !== 0; }`, kind: 'gate' },
  { name: 'a test through a helper (imported from another file)', code: `import { kindIs } from './helpers.ts';\nexport function isDoor(t: Tile): boolean { return kindIs(t, DOOR); }`, kind: 'door' },
  { name: 'named like a test, but a count', code: `export function hasRoots(t: Tile): boolean { return t.a > 0; }` },
  { name: 'named like a test, but a constant', code: `export function isPit(t: Tile): boolean { return t !== undefined; }` },
  { name: 'named like a test, but a word against 0', code: `export function isUsed(t: Tile): boolean { return t.b !== 0; }` },
];

const ASSERTIONS: Array<{ name: string; code: string; expect?: { name: string; condArg?: number; means: string } }> = [
  { name: 'if (!c) throw: holds', code: `export function check(c: boolean): void { if (!c) throw new Error('check'); }`, expect: { name: 'check', means: 'holds' } },
  { name: 'if (c) BUG(): fails-if', code: `export function BUG(): never { throw new Error('bug'); }\nexport function BUG_ON(c: boolean): void { if (c) BUG(); }`, expect: { name: 'BUG_ON', means: 'fails-if' } },
  { name: 'a wrapper handing its condition on', code: `import { BUG_ON } from './a1.ts';\nexport function BUG_ON_TILE(t: Tile, c: boolean): void { BUG_ON(c); }`, expect: { name: 'BUG_ON_TILE', condArg: 1, means: 'fails-if' } },
  { name: 'a function that only logs is no assertion', code: `const log: string[] = [];\nexport function WARN_ON(c: boolean): void { if (c) log.push('warn'); }` },
];

describe('init: type tests and assertions by their code', () => {
  let dir: string;
  let spec: Json;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'memdesc-init-evidence-'));
    mkdirSync(join(dir, 'src'), { recursive: true });
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, allowImportingTsExtensions: true, noEmit: true, types: [], lib: ['ES2022'] }, include: ['src'] }));
    writeFileSync(join(dir, 'src', 'tile.ts'), TILE);
    // kindIs() tests the tag; another file's function of the same name changes the tile: a name
    // would confuse them, the call resolves to the first.
    writeFileSync(join(dir, 'src', 'helpers.ts'), `import { Tile } from './tile.ts';\nexport function kindIs(t: Tile, k: number): boolean { return t.kind === k; }\n`);
    writeFileSync(join(dir, 'src', 'other.ts'), `import { Tile } from './tile.ts';\nexport function kindIs(t: Tile, k: number): boolean { t.kind = k; return true; }\n`);
    const head = `import { Tile, WALL, DOOR, GATE } from './tile.ts';\n`;
    TESTS.forEach((c, i) => writeFileSync(join(dir, 'src', `t${i}.ts`), `${head}${c.code}\n`));
    ASSERTIONS.forEach((c, i) => writeFileSync(join(dir, 'src', `a${i}.ts`), `${head}${c.code}\n`));
    spec = draftSpec({ path: dir, className: 'Tile' }).spec as Json;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const testNames = (): string[] => (spec.kinds as Json[]).flatMap((k) => (k.typeTests as Array<string | Json>).map((t) => (typeof t === 'string' ? t : t.name)));

  for (const c of TESTS) {
    const fn = /function (\w+)\(t: Tile\)/.exec(c.code)![1]!;
    it(`${c.kind ? 'a type test' : 'no type test'}: ${c.name}`, () => {
      if (c.kind) expect((spec.kinds as Json[]).find((k) => k.name === c.kind)?.typeTests).toEqual([fn]);
      else expect(testNames()).not.toContain(fn);
    });
  }

  for (const c of ASSERTIONS) {
    it(`${c.expect ? 'an assertion' : 'no assertion'}: ${c.name}`, () => {
      const found = (spec.object.assertions ?? []) as Json[];
      if (c.expect) expect(found).toContainEqual(c.expect);
      else expect(found.map((a) => a.name)).not.toContain(/function (\w+)/.exec(c.code)![1]);
    });
  }

  it('each kind says what it guessed from names, and what its code showed', () => {
    const wall = (spec.kinds as Json[]).find((k) => k.name === 'wall')!;
    expect(wall.description).toMatch(/isWall\(\) \(by its code: a test of Tile's type or flags bits\)/);
    expect(wall.description).toMatch(/guessed from names: the kind's name \(from the test's name\)/);
    expect(() => validateSpec(spec, 'draft')).not.toThrow();
  });
});

describe('memdesc init (CLI): the summary says what rests on names', () => {
  const io = captureOutput();
  it('prints the kinds found by their code and the guesses', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'memdesc-init-evidence-cli-'));
    try {
      mkdirSync(join(dir, 'src'));
      writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, noEmit: true, types: [], lib: ['ES2022'], target: 'ES2022' }, include: ['src'] }));
      writeFileSync(join(dir, 'src', 'tile.ts'), `${TILE}export function isWall(t: Tile): boolean { return t.kind === WALL; }\nexport function isFake(t: Tile): boolean { return t.a > 1; }\n`);
      expect(await main(['init', dir, '--class', 'Tile', '--out', '-'])).toBe(0);
      expect(io.err).toMatch(/kinds: wall\?/);
      expect(io.err).not.toMatch(/fake/);
      expect(io.err).toMatch(/guessed from names: kind names and which tests each groups, which kind each allocator serves \(none: neutralSources\), owner files/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
