/**
 * `memdesc init` drafts each kind's fields from the code as well as from its files' names: the
 * fields of the sites a first analysis with the draft decides for the kind by its type tests or
 * data flow (a `switch` on the tag, an `if` on a test, in a file named after nothing), and says
 * so in the kind's description. An access nothing decides adds no field, and the tag stays on
 * the object.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { draftSpec } from '../../src/init/draft.ts';

type Json = Record<string, any>;

describe('init: kinds\' fields from the code', () => {
  let dir: string;
  let spec: Json;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'memdesc-init-fields-'));
    mkdirSync(join(dir, 'src'), { recursive: true });
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, allowImportingTsExtensions: true, noEmit: true, types: [], lib: ['ES2022'] }, include: ['src'] }));
    writeFileSync(join(dir, 'src', 'tile.ts'), `export class Tile {
  kind = 0;
  a = 0;
  b = 0;
  c = 0;
  d = 0;
}
export const WALL = 1;
export const DOOR = 2;
export function isWall(t: Tile): boolean { return t.kind === WALL; }
export function isDoor(t: Tile): boolean { return t.kind === DOOR; }
`);
    // Named after the wall kind: its fields are the draft's guess from names.
    writeFileSync(join(dir, 'src', 'walls.ts'), `import { Tile } from './tile.ts';
export function paint(t: Tile): void { t.a = 3; }
`);
    writeFileSync(join(dir, 'src', 'shared.ts'), `import { Tile, WALL, DOOR, isDoor } from './tile.ts';
export function show(t: Tile): number {
  switch (t.kind) {
    case WALL: return t.b;
    case DOOR: return t.c;
    default: return 0;
  }
}
export function open(t: Tile): void { if (isDoor(t)) t.a = 1; }
export function any(t: Tile): number { return t.d; }
`);
    spec = draftSpec({ path: dir, className: 'Tile' }).spec as Json;
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const kind = (name: string): Json => spec.kinds.find((k: Json) => k.name === name);

  it('a kind\'s fields: its files\' by name, and the sites its tests decide', () => {
    expect(Object.keys(kind('wall').fields)).toEqual(['a', 'b']);
    expect(Object.keys(kind('door').fields)).toEqual(['a', 'c']);
    expect(kind('wall').description).toContain('fields where the code decides the kind: b;');
    expect(kind('door').description).toContain('fields where the code decides the kind: a, c;');
  });

  it('an access nothing decides adds no field; the tag stays on the object', () => {
    for (const k of spec.kinds) {
      expect(Object.keys(k.fields ?? {})).not.toContain('d');
      expect(Object.keys(k.fields ?? {})).not.toContain('kind');
    }
    expect(spec.object.fields.kind.track).toBe('never');
  });
});
