/**
 * `memdesc init` finds a type test that hands a word of the object to a helper (typeTests.ts
 * follows the word into the helper's parameter): the helper tests the word's bits, or hands back
 * bits of it that the test compares. A function named like a test whose helper compares the word
 * with 0, answers a constant or computes something else of it is no test, whatever its name.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { draftSpec } from '../../src/init/draft.ts';

type Json = Record<string, any>;

const TILE = `export class Tile {
  kind = 0;
  a = 0;
  b = 0;
}
export const DOOR = 2;
export const GATE = 4;
export function makeTile(kind: number): Tile { const t = new Tile(); t.kind = kind; return t; }
`;

/** Helpers of words, in their own module (imported under aliases by some rows). */
const WORDS = `export function word_has_door(w: number): boolean { return (w & 2) !== 0; }
export function kind_bits(w: number): number { return w & 7; }
export function word_set(w: number): boolean { return w !== 0; }
export function word_always(w: number): boolean { return w === w || true; }
export function scaled(w: number): number { return w * 3; }
`;

const CASES: Array<{ name: string; code: string; kind?: string }> = [
  { name: 'the word handed to a helper testing its bits', code: `export function isDoor(t: Tile): boolean { return word_has_door(t.kind); }`, kind: 'door' },
  { name: 'bits handed back by a helper (under an import alias), compared', code: `import { kind_bits as kb } from './words.ts';\nexport function isGate(t: Tile): boolean { const k = kb(t.kind); return k === GATE; }`, kind: 'gate' },
  { name: 'a helper comparing the word with 0', code: `export function isUsed(t: Tile): boolean { return word_set(t.b); }` },
  { name: 'a helper answering a constant', code: `export function isOpen(t: Tile): boolean { return word_always(t.kind); }` },
  { name: 'a helper computing something else of the word', code: `export function isTriple(t: Tile): boolean { return scaled(t.kind) === 6; }` },
];

describe('init: type tests through a helper handed a word of the object', () => {
  let dir: string;
  let spec: Json;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'memdesc-init-words-'));
    mkdirSync(join(dir, 'src'), { recursive: true });
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, allowImportingTsExtensions: true, noEmit: true, types: [], lib: ['ES2022'] }, include: ['src'] }));
    writeFileSync(join(dir, 'src', 'tile.ts'), TILE);
    writeFileSync(join(dir, 'src', 'words.ts'), WORDS);
    const head = `import { Tile, DOOR, GATE } from './tile.ts';\nimport { word_has_door, word_set, word_always, scaled } from './words.ts';\n`;
    CASES.forEach((c, i) => writeFileSync(join(dir, 'src', `t${i}.ts`), `${head}${c.code}\nvoid DOOR; void word_has_door; void word_set; void word_always; void scaled;\n`));
    spec = draftSpec({ path: dir, className: 'Tile' }).spec as Json;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const testNames = (): string[] => (spec.kinds as Json[]).flatMap((k) => (k.typeTests as Array<string | Json>).map((t) => (typeof t === 'string' ? t : t.name)));

  for (const c of CASES) {
    const fn = /function (\w+)\(t: Tile\)/.exec(c.code)![1]!;
    it(`${c.kind ? 'a type test' : 'no type test'}: ${c.name}`, () => {
      if (c.kind) expect((spec.kinds as Json[]).find((k) => k.name === c.kind)?.typeTests).toEqual([fn]);
      else expect(testNames()).not.toContain(fn);
    });
  }
});
