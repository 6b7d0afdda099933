/**
 * The word accessors stage 2 embeds a descriptor with are the functions the spec class's own
 * whole-word field accessors call at `this.addr + OFFSET` (wordAccessors.ts), whatever their names:
 * renamed ones and an aliased import are found (by symbol), the pair most whole words use wins
 * over a half-word reader (the corpus' flags); a class of plain fields is told by the overlay
 * being embedded (its accessors of fields on whole words); when neither reads a word so — plain
 * fields, accessors that compute something else — it is an InputError saying what was looked for.
 */
import { describe, expect, it } from 'vitest';
import { Project, ts } from 'ts-morph';
import { programOf } from '../../src/analyzers/project.ts';
import { InputError } from '../../src/errors.ts';
import { builtinSpec } from '../../src/model/builtin.ts';
import { Symbols } from '../../src/stage2/separateSymbols.ts';
import { addressOffset, localNameOf, wordAccessors } from '../../src/stage2/wordAccessors.ts';

const ROOT = '/p';
const FILE = 'include/linux/mm_types.ts';

function program(files: Record<string, string>): ts.Program {
  const project = new Project({
    useInMemoryFileSystem: true,
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler, strict: true, allowImportingTsExtensions: true, noEmit: true, lib: ['lib.es2022.d.ts'] },
  });
  for (const [p, t] of Object.entries(files)) project.createSourceFile(`${ROOT}/${p}`, t);
  return programOf(project);
}

const MEM = `const m = new Float64Array(1024);
export function load_word(a: number): number { return m[a >> 3]!; }
export function store_word(a: number, v: number): void { m[a >> 3] = v; }
export function load_half(a: number): number { return m[a >> 3]! % 4294967296; }
export function store_half(a: number, v: number): void { m[a >> 3] = v; }
`;

/** An overlay of Page: owner on a whole word (private), bits on a part of one (page_type). */
const NOTE = `import { load_word, store_word, load_half, store_half } from '../sim/mem.ts';
const NOTE_OWNER_OFFSET = 40; const NOTE_BITS_OFFSET = 48;
export class Note {
  constructor(readonly addr: number) {}
  get owner(): number { return load_word(this.addr + NOTE_OWNER_OFFSET); }
  set owner(v: number) { store_word(this.addr + NOTE_OWNER_OFFSET, v); }
  get bits(): number { return load_half(this.addr + NOTE_BITS_OFFSET); }
  set bits(v: number) { store_half(this.addr + NOTE_BITS_OFFSET, v); }
}
`;

/** A page class whose whole words go through `rd`/`wr` (as imported) and flags through the half-word pair. */
function page(imports: string, rd: string, wr: string): string {
  return `${imports}
const FLAGS = 0; const MAPPING = 24; const INDEX = 32; const PRIVATE = 40;
export class Page {
  constructor(readonly addr: number) {}
  get flags(): number { return load_half(this.addr + FLAGS); }
  set flags(v: number) { store_half(this.addr + FLAGS, v); }
  get mapping(): number { return ${rd}(this.addr + MAPPING); }
  set mapping(v: number) { ${wr}(this.addr + MAPPING, v); }
  get index(): number { return ${rd}(this.addr + INDEX); }
  set index(v: number) { ${wr}(this.addr + INDEX, v); }
  get private(): number { return ${rd}(this.addr + PRIVATE); }
  set private(v: number) { ${wr}(this.addr + PRIVATE, v); }
}
`;
}

function find(files: Record<string, string>): { names: string; decl: string } {
  const p = program(files);
  const s = new Symbols(p, ROOT);
  const w = wordAccessors(p, ROOT, builtinSpec(), s);
  const declFile = (sym: ts.Symbol) => sym.declarations![0]!.getSourceFile().fileName.slice(ROOT.length + 1);
  return { names: `${w.readName}/${w.writeName}`, decl: `${declFile(w.read)}|${declFile(w.write)}` };
}

describe('word accessors by what the class does with them (wordAccessors.ts)', () => {
  it('accessors named otherwise are found; the whole words outvote the half-word flags', () => {
    const r = find({ 'sim/mem.ts': MEM, [FILE]: page(`import { load_word, store_word, load_half, store_half } from '../../sim/mem.ts';`, 'load_word', 'store_word') });
    expect(r).toEqual({ names: 'load_word/store_word', decl: 'sim/mem.ts|sim/mem.ts' });
  });

  it('an aliased import is the function it imports', () => {
    const r = find({ 'sim/mem.ts': MEM, [FILE]: page(`import { load_word as rd, store_word as wr, load_half, store_half } from '../../sim/mem.ts';`, 'rd', 'wr') });
    expect(r).toEqual({ names: 'load_word/store_word', decl: 'sim/mem.ts|sim/mem.ts' });
  });

  it('the class file reaches them by its own names (localNameOf), and addressOffset reads the offset', () => {
    const p = program({ 'sim/mem.ts': MEM, [FILE]: page(`import { load_word as rd, store_word as wr, load_half, store_half } from '../../sim/mem.ts';`, 'rd', 'wr') });
    const s = new Symbols(p, ROOT);
    const w = wordAccessors(p, ROOT, builtinSpec(), s);
    const sf = p.getSourceFile(`${ROOT}/${FILE}`)!;
    expect(localNameOf(sf, w.read, s)).toBe('rd');
    expect(localNameOf(sf, w.write, s)).toBe('wr');
    const calls: string[] = [];
    const visit = (n: ts.Node): void => {
      if (ts.isCallExpression(n)) calls.push(`${n.expression.getText()}:${addressOffset(n, ['addr']) ?? '-'}`);
      ts.forEachChild(n, visit);
    };
    visit(sf);
    expect(calls).toContain('rd:MAPPING');
    expect(calls.filter((c) => c.endsWith(':-'))).toEqual([]);
  });

  it('a class of plain fields: the overlay being embedded tells them (its accessors of fields on whole words)', () => {
    const p = program({ 'sim/mem.ts': MEM, [FILE]: `export class Page { constructor(readonly addr: number) {} private = 0; }`, 'mm/note.ts': NOTE });
    const s = new Symbols(p, ROOT);
    const cls = p.getSourceFile(`${ROOT}/mm/note.ts`)!.statements.find(ts.isClassDeclaration)!;
    const w = wordAccessors(p, ROOT, builtinSpec(), s, { cls, rawField: new Map([['owner', 'private'], ['bits', 'page_type']]) });
    expect(`${w.readName}/${w.writeName}`).toBe('load_word/store_word');
    // Without the overlay there is nothing to tell them by.
    expect(() => wordAccessors(p, ROOT, builtinSpec(), s)).toThrow(InputError);
    // An overlay whose whole-word fields are not read so (only a bit field is) tells nothing either.
    expect(() => wordAccessors(p, ROOT, builtinSpec(), s, { cls, rawField: new Map([['bits', 'page_type']]) })).toThrow(/nor Note's accessors of fields on whole words/);
  });

  const invalid: Array<{ name: string; files: Record<string, string>; error: RegExp }> = [
    { name: 'plain fields: no word is read at the class\'s address', error: /cannot tell the project's word accessors: neither Page's whole-word field accessors \(.*mapping.*\) read and write a word through a function at this\.addr \+ OFFSET/, files: {
      [FILE]: `export class Page { constructor(readonly addr: number) {} mapping = 0; index = 0; private = 0; }` } },
    { name: 'accessors that read something other than this.addr + OFFSET', error: /neither Page's whole-word field accessors/, files: {
      'sim/mem.ts': MEM,
      [FILE]: `import { load_word, store_word } from '../../sim/mem.ts';
const MAPPING = 24;
export class Page {
  constructor(readonly addr: number) {}
  get mapping(): number { return load_word(MAPPING); }
  set mapping(v: number) { store_word(MAPPING + this.addr * 2, v); }
}` } },
    { name: 'no class of the spec\'s name in its file', error: /no class Page in include\/linux\/mm_types\.ts/, files: { 'other/page.ts': page('', 'x', 'y') } },
  ];
  for (const c of invalid) {
    it(`invalid: ${c.name}`, () => {
      let err: unknown;
      try {
        find(c.files);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(InputError);
      expect((err as Error).message).toMatch(c.error);
    });
  }
});
