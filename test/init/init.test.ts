/**
 * `memdesc init`: the draft of a spec, compared with specs written by hand (the warehouse and
 * lending fixtures', the built-in one for the corpus), on small projects made here for the cases the
 * two do not have (plain fields, `asserts` functions, a package.json entry, grouped type tests),
 * and the CLI's file handling: a new file only, never an overwrite.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv2020Package from 'ajv/dist/2020.js';
import ajvErrorsPackage from 'ajv-errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureOutput } from '../capture.ts';
import { analyzePath } from '../../src/analyzers/analyze.ts';
import { main } from '../../src/cli.ts';
import { draftSpec, stemOf } from '../../src/init/draft.ts';
import { loadSpecFile, validateSpec } from '../../src/model/spec-validate.ts';

const REPO = join(import.meta.dirname, '..', '..');
const WAREHOUSE = join(REPO, 'test', 'fixtures', 'oracle', 'warehouse');
const CORPUS = join(REPO, 'corpus');

const ajv = new Ajv2020Package.default({ allErrors: true, allowUnionTypes: true, validateFormats: false });
ajvErrorsPackage.default(ajv);
const schemaValid = ajv.compile(JSON.parse(readFileSync(join(REPO, 'docs', 'schemas', 'spec.schema.json'), 'utf8')) as object);

type Json = Record<string, any>;

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'memdesc-init-'));
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

describe('draft of the warehouse project (Shelf)', () => {
  const hand = JSON.parse(readFileSync(join(WAREHOUSE, 'spec.json'), 'utf8')) as Json;
  const draft = draftSpec({ path: WAREHOUSE, className: 'Shelf' });
  const spec = draft.spec as Json;

  it('validates against the schema and the validator', () => {
    expect(schemaValid(spec), JSON.stringify(schemaValid.errors)).toBe(true);
    expect(() => validateSpec(spec, 'draft')).not.toThrow();
  });

  it('finds the class, its fields, their words and the word size of the hand-written spec', () => {
    expect(spec.object.class).toBe(hand.page.class);
    expect(spec.object.file).toBe(hand.page.file);
    const words = (o: Json) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, (v as Json).words]));
    expect(words(spec.object.fields)).toEqual(words(hand.page.fields));
    expect(spec.object.wordSize).toBe(hand.page.wordSize);
    // flags is what the type tests read: the type tag, layout only.
    expect(spec.object.fields.flags.track).toBe('never');
    expect(spec.object.fields.qty.track).toBe('always');
    expect(spec.object.addressMembers).toEqual(hand.page.addressMembers);
    expect(spec.object.neutralSources).toEqual(hand.page.neutralSources);
  });

  it('finds its kinds: type tests, allocators, owner files, fields', () => {
    const pick = (k: Json) => ({ name: k.name, tests: k.typeTests ?? k.pageTypeTests, owners: k.owners, provenance: k.provenance, fields: Object.keys(k.fields).sort() });
    expect(spec.kinds.map(pick)).toEqual(hand.kinds.map(pick));
    expect(spec.kinds.map((k: Json) => k.descriptor)).toEqual(hand.kinds.map((k: Json) => k.descriptor.class));
  });

  it('finds the wrapper and the oracle', () => {
    expect(spec.object.wrappers).toEqual([{ name: 'supplierOf', field: 'owner', access: 'read' }]);
    expect(spec.oracle).toEqual(hand.oracle);
  });

  it('analyze with the draft reports the sites and kinds the hand-written spec gives', () => {
    const file = join(tmp, 'warehouse.spec.json');
    writeFileSync(file, JSON.stringify(spec));
    const sites = (r: ReturnType<typeof analyzePath>) => r.findings.map((f) => `${f.file}:${f.line}:${f.column} ${f.field} ${f.access} ${f.kind}`);
    const withDraft = analyzePath(WAREHOUSE, { spec: loadSpecFile(file) });
    const withHand = analyzePath(WAREHOUSE, { spec: loadSpecFile(join(WAREHOUSE, 'spec.json')) });
    expect(withDraft.findings.length).toBeGreaterThan(0);
    expect(sites(withDraft)).toEqual(sites(withHand));
  });
});

describe('draft of the lending project (Slot), against its hand-written spec', () => {
  const dir = join(REPO, 'test', 'fixtures', 'projects', 'lending');
  const hand = JSON.parse(readFileSync(join(dir, 'spec.json'), 'utf8')) as Json;
  // Either key of each pair may be used by the hand-written spec.
  hand.page ??= hand.object;
  for (const k of hand.kinds) k.typeTests ??= k.pageTypeTests;
  const spec = draftSpec({ path: dir, className: 'Slot' }).spec as Json;

  it('the same fields, words, word size, kinds, type tests and allocators', () => {
    const words = (o: Json) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, (v as Json).words]));
    expect(words(spec.object.fields)).toEqual(words(hand.page.fields));
    expect(spec.object.wordSize).toBe(hand.page.wordSize);
    expect(spec.object.fields.flags.track).toBe('never');
    const pick = (k: Json) => ({ name: k.name, tests: k.typeTests, provenance: k.provenance ?? [] });
    expect(spec.kinds.map(pick)).toEqual(hand.kinds.map(pick));
    // Each kind's own file, and the fields it uses there (the hand-written map names them all).
    for (const k of spec.kinds.filter((x: Json) => x.owners)) {
      const h = hand.kinds.find((x: Json) => x.name === k.name);
      expect(h.owners, k.name).toContain(k.owners[0]);
      expect(Object.keys(h.fields), k.name).toEqual(expect.arrayContaining(Object.keys(k.fields)));
    }
    expect(spec.oracle).toEqual(hand.oracle);
    expect(() => validateSpec(spec, 'draft')).not.toThrow();
  });
});

describe('draft of the corpus (Page), against the built-in spec', () => {
  const builtin = JSON.parse(readFileSync(join(REPO, 'src', 'model', 'specs', 'linux.json'), 'utf8')) as Json;
  let spec: Json;
  beforeAll(() => {
    spec = draftSpec({ path: CORPUS, className: 'Page' }).spec as Json;
  }, 120_000);

  it('validates', () => {
    expect(schemaValid(spec), JSON.stringify(schemaValid.errors)).toBe(true);
  });

  it('lays out the tracked fields on the words of struct page', () => {
    for (const f of ['lru', 'mapping', 'index', 'private', 'flags', 'page_type', 'compound_head', 'compound_dtor', 'compound_order', '_refcount', 'memcg_data']) {
      expect(spec.object.fields[f]?.words, f).toEqual(builtin.page.fields[f].words);
    }
    expect(spec.object.fields.lru.embedded).toBe(true);
    expect(spec.object.fields.compound_dtor.bits).toBe('0:8');
    expect(spec.object.fields.compound_order.bits).toBe('8:8');
    // Fields sharing a word without masks: up to the next field's start.
    for (const f of ['_mapcount', 'page_type', '_refcount', 'compound_mapcount']) expect(spec.object.fields[f].bits, f).toBe(builtin.page.fields[f].bits);
    expect(spec.object.wordSize).toBe(8);
    for (const f of ['lru', 'mapping', 'index', 'private']) expect(spec.object.fields[f].track, f).toBe('always');
    // The page-type tests read flags and page_type: the type tags.
    expect(spec.object.fields.flags.track).toBe('never');
    expect(spec.object.fields.page_type.track).toBe('never');
  });

  it('proposes the kinds of the page-type tests, with their tests', () => {
    const tests = new Map(spec.kinds.map((k: Json) => [k.name, k.typeTests]));
    expect(tests.get('buddy')).toContain('PageBuddy');
    expect(tests.get('slab')).toContain('PageSlab');
    expect(tests.get('table')).toContain('PageTable');
    expect(tests.get('zsmalloc')).toContain('PageZsmalloc');
    expect(tests.get('anon')).toContain('PageAnon');
    const zs = spec.kinds.find((k: Json) => k.name === 'zsmalloc');
    expect(zs.owners).toContain('mm/zsmalloc.ts');
    expect(Object.keys(zs.fields)).toEqual(expect.arrayContaining(['mapping', 'index', 'private']));
    // Side-effecting boolean functions are no type tests.
    const all = spec.kinds.flatMap((k: Json) => k.typeTests.map((t: string | Json) => (typeof t === 'string' ? t : t.name)));
    expect(all).not.toContain('TestSetPageHWPoison');
    // Tests that hand a word of the page to a helper, by the helper's code (typeTests.ts).
    expect(all).toEqual(expect.arrayContaining(['PageTail', '__PageMovable', 'memdesc_movable_ops']));
  });

  it('finds the wrappers, assertions and allocators the built-in spec names', () => {
    const wrappers = spec.object.wrappers.map((w: Json) => `${w.name}:${w.field}:${w.access}`);
    expect(wrappers).toEqual(expect.arrayContaining(['page_private:private:read', 'set_page_private:private:write']));
    expect(spec.object.assertions).toEqual(expect.arrayContaining([{ name: 'VM_BUG_ON_PAGE', means: 'fails-if' }]));
    expect(spec.object.neutralSources).toEqual(expect.arrayContaining(['pfn_to_page', 'virt_to_page', 'nth_page']));
    expect(spec.object.addressMembers).toEqual(['addr']);
  });
});

/** A small project in another domain, for what the fixtures do not have. */
function makeGarden(dir: string): void {
  mkdirSync(join(dir, 'src'), { recursive: true });
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, allowImportingTsExtensions: true, noEmit: true, types: [], lib: ['ES2022'] }, include: ['src'] }));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'garden', main: 'src/cli.ts' }));
  writeFileSync(join(dir, 'src', 'plot.ts'), `export class Plot {
  kind = 0;
  crop = '';
  depth = 0;
  static count = 0;
}
export function newPlot(kind: number): Plot { const p = new Plot(); p.kind = kind; return p; }
export function isBed(p: Plot): boolean { return p.kind === 1; }
export function isBedPlot(p: Plot): boolean { return p.kind === 1 && p.depth > 0; }
export const isPond = (p: Plot) => p.kind === 2;
export function claimPlot(p: Plot): boolean { p.kind = 9; return true; }
export function ensure(cond: boolean, why: string): asserts cond { if (!cond) throw new Error(why); }
export function cropOf(p: Plot): string { return p.crop; }
export function deepen(p: Plot) { p.depth += 1; }
`);
  writeFileSync(join(dir, 'src', 'bed.ts'), `import { newPlot, type Plot } from './plot.ts';
export function newBed(crop: string): Plot { const p = newPlot(1); p.crop = crop; p.depth = 2; return p; }
export function harvest(p: Plot): string { const c = p.crop; p.crop = ''; return c; }
`);
  writeFileSync(join(dir, 'src', 'cli.ts'), `import { newBed, harvest } from './bed.ts';
import { ensure, isBed } from './plot.ts';
const b = newBed('kale');
ensure(isBed(b), 'a bed');
export const out = harvest(b);
`);
}

describe('draft of a project with plain fields', () => {
  let dir: string;
  let spec: Json;
  beforeAll(() => {
    dir = join(tmp, 'garden');
    makeGarden(dir);
    spec = draftSpec({ path: dir, className: 'Plot', schemaRef: 'x/spec.schema.json' }).spec as Json;
  });

  it('gives plain fields a word each, in declaration order (no word size), static members none', () => {
    expect(spec.$schema).toBe('x/spec.schema.json');
    expect(Object.fromEntries(Object.entries(spec.object.fields).map(([k, v]) => [k, (v as Json).words]))).toEqual({ kind: [0], crop: [1], depth: [2] });
    expect(spec.object.wordSize).toBeUndefined();
    expect(spec.object.fields.kind.track).toBe('never');
  });

  it('groups type tests by stem; a boolean function that changes state is none', () => {
    const bed = spec.kinds.find((k: Json) => k.name === 'bed');
    expect(bed.typeTests).toEqual(['isBed', 'isBedPlot']);
    expect(bed.provenance).toEqual(['newBed']);
    expect(bed.owners).toEqual(['src/bed.ts']);
    expect(bed.fields).toEqual({ crop: 'crop', depth: 'depth' });
    expect(spec.kinds.map((k: Json) => k.name)).toEqual(['bed', 'pond']);
    expect(spec.kinds[1].description).toMatch(/a type test alone/);
  });

  it('finds asserts-assertions, wrappers (readwrite for +=), allocators and the package.json entry', () => {
    expect(spec.object.assertions).toEqual([{ name: 'ensure', means: 'holds' }]);
    expect(spec.object.wrappers).toEqual([{ name: 'cropOf', field: 'crop', access: 'read' }, { name: 'deepen', field: 'depth', access: 'readwrite' }]);
    expect(spec.object.neutralSources).toEqual(['newPlot']);
    expect(spec.oracle).toEqual({ entry: 'src/cli.ts' });
    expect(() => validateSpec(spec, 'draft')).not.toThrow();
  });

  it('stems: class name and is/has prefixes removed', () => {
    expect(stemOf('IsStockShelf', 'Shelf')).toBe('Stock');
    expect(stemOf('PageSlab', 'Page')).toBe('Slab');
    expect(stemOf('page_is_buddy', 'Page')).toBe('buddy');
    expect(stemOf('isDoor', 'Cell')).toBe('Door');
    expect(stemOf('hasRoots', 'Plot')).toBe('Roots');
  });
});

describe('draft for word-index and computed offsets', () => {
  it('`this.base + 2 * WORD` and `mem[this.i + 1]` give words', () => {
    const dir = join(tmp, 'offsets');
    mkdirSync(join(dir, 'src'), { recursive: true });
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, noEmit: true, types: [], lib: ['ES2022'], target: 'ES2022' }, include: ['src'] }));
    writeFileSync(join(dir, 'src', 'cell.ts'), `const mem: number[] = [];
const WORD = 8;
export class Cell {
  constructor(readonly at: number) {}
  get a(): number { return mem[this.at + 1]!; }
  set a(v: number) { mem[this.at + 1] = v; }
  get b(): number { return mem[this.at + 2]!; }
  get tag(): number { return mem[this.at]!; }
}
export class Pair {
  constructor(readonly b: number) {}
  get p(): number { return mem[this.b]!; }
  get q(): number { return mem[this.b + 3]!; }
}
export class Rec {
  constructor(readonly base: number) {}
  get x(): number { return mem[this.base + 0 * WORD]!; }
  get y(): number { return mem[this.base + 1 * WORD]!; }
  get z(): number { return mem[this.base + (WORD << 1)]!; }
}
`);
    const cell = draftSpec({ path: dir, className: 'Cell' }).spec as Json;
    expect(Object.fromEntries(Object.entries(cell.object.fields).map(([k, v]) => [k, (v as Json).words]))).toEqual({ a: [1], b: [2], tag: [0] });
    expect(cell.object.wordSize).toBe(1);
    // The base alone as the index is offset 0: words of 3 units.
    const pair = draftSpec({ path: dir, className: 'Pair' }).spec as Json;
    expect(Object.fromEntries(Object.entries(pair.object.fields).map(([k, v]) => [k, (v as Json).words]))).toEqual({ p: [0], q: [1] });
    expect(pair.object.wordSize).toBe(3);
    const rec = draftSpec({ path: dir, className: 'Rec' }).spec as Json;
    expect(Object.fromEntries(Object.entries(rec.object.fields).map(([k, v]) => [k, (v as Json).words]))).toEqual({ x: [0], y: [1], z: [2] });
    expect(rec.object.wordSize).toBe(8);
    expect(rec.object.addressMembers).toEqual(['base']);
  });
});

describe('draft for an interface', () => {
  it('plain fields, type tests, object-literal allocators', () => {
    const dir = join(tmp, 'maze');
    mkdirSync(join(dir, 'src'), { recursive: true });
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, noEmit: true, types: [], lib: ['ES2022'], target: 'ES2022' }, include: ['src'] }));
    writeFileSync(join(dir, 'src', 'tile.ts'), `export interface Tile { kind: number; a: number; b: number }
export function isWall(t: Tile): boolean { return t.kind === 1; }
export function isDoor(t: Tile): boolean { return t.kind === 2; }
export function makeWall(height: number): Tile { return { kind: 1, a: height, b: 0 }; }
export function makeDoor(key: number): Tile { const t: Tile = { kind: 2, a: key, b: 0 }; return t; }
`);
    writeFileSync(join(dir, 'src', 'door.ts'), `import { type Tile } from './tile.ts';
export function unlock(t: Tile, key: number): boolean { if (t.a !== key) return false; t.b = 1; return true; }
`);
    const spec = draftSpec({ path: dir, className: 'Tile' }).spec as Json;
    expect(Object.fromEntries(Object.entries(spec.object.fields).map(([k, v]) => [k, (v as Json).words]))).toEqual({ kind: [0], a: [1], b: [2] });
    expect(spec.object.fields.kind.track).toBe('never');
    const door = spec.kinds.find((k: Json) => k.name === 'door');
    expect(door).toMatchObject({ descriptor: 'Door', typeTests: ['isDoor'], provenance: ['makeDoor'], owners: ['src/door.ts'], fields: { a: 'a', b: 'b' } });
    expect(spec.kinds.find((k: Json) => k.name === 'wall')).toMatchObject({ provenance: ['makeWall'] });
    expect(() => validateSpec(spec, 'draft')).not.toThrow();
  });
});

describe('memdesc init (CLI)', () => {
  const io = captureOutput();
  async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    io.reset();
    const code = await main(args);
    return { code, stdout: io.out, stderr: io.err };
  }
  let dir: string;
  beforeAll(() => {
    dir = join(tmp, 'cli-warehouse');
    cpSync(WAREHOUSE, dir, { recursive: true });
    rmSync(join(dir, 'spec.json'));
  });

  it('writes memdesc.spec.json in the project, then refuses to overwrite it', async () => {
    const r = await cli('init', dir, '--class', 'Shelf');
    expect(r.code, r.stderr).toBe(0);
    const file = join(dir, 'memdesc.spec.json');
    const text = readFileSync(file, 'utf8');
    const json = JSON.parse(text) as Json;
    expect(json.object.class).toBe('Shelf');
    // The schema path works from the draft's folder.
    expect(existsSync(join(dir, json.$schema))).toBe(true);
    expect(r.stderr).toMatch(/class Shelf \(src\/shelf\.ts\): 3 fields over 3 words of 4 bytes/);
    expect(r.stderr).toMatch(/kinds: stock, hold/);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp'))).toEqual([]);
    // The draft is a spec analyze takes.
    const a = await cli('analyze', dir, '--spec', file, '--json');
    expect(a.code, a.stderr).toBe(0);
    const again = await cli('init', dir, '--class', 'Shelf');
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/^memdesc: .*memdesc\.spec\.json exists: init never overwrites a file/);
    expect(again.stderr.trim().split('\n')).toHaveLength(1);
    expect(readFileSync(file, 'utf8')).toBe(text);
  });

  it('--out names the file; an existing one is left alone', async () => {
    const out = join(tmp, 'mine.json');
    writeFileSync(out, 'my own notes\n');
    const r = await cli('init', dir, '--class', 'Shelf', '--out', out);
    expect(r.code).toBe(2);
    expect(readFileSync(out, 'utf8')).toBe('my own notes\n');
    const fresh = join(tmp, 'fresh.json');
    expect((await cli('init', dir, '--class', 'Shelf', '--out', fresh)).code).toBe(0);
    expect(JSON.parse(readFileSync(fresh, 'utf8')).kinds).toHaveLength(2);
  });

  it('--out - prints the draft', async () => {
    const r = await cli('init', dir, '--class', 'Shelf', '--out', '-');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).object.class).toBe('Shelf');
  });

  it('without --class: exit 2, naming the classes laid out over words', async () => {
    const r = await cli('init', dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('memdesc: init needs --class NAME: the class to draft a spec for; classes here laid out over words: Shelf (src/shelf.ts, 3 fields)\n');
  });

  it('bad input: one line, exit 2, nothing written', async () => {
    const before = readdirSync(dir).sort();
    for (const args of [['init', dir], ['init', dir, '--class', 'Nope', '--out', join(tmp, 'n.json')], ['init', join(tmp, 'no-such-dir'), '--class', 'Shelf', '--out', join(tmp, 'n.json')]]) {
      const r = await cli(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
    }
    expect(existsSync(join(tmp, 'n.json'))).toBe(false);
    expect(readdirSync(dir).sort()).toEqual(before);
  });
});
