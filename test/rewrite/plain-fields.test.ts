/**
 * A class of plain fields (`a = 0`; no getters reading words at an address, nothing to overlay):
 * `convert` makes each kind's descriptor a typed view holding the object (each descriptor field
 * reads and writes the object's field, readonly ones get no setter) and its converters a new view
 * and the viewed object. Before, it stopped with "Box has no getter for field 'a' to overlay".
 * Literal before/after pairs (a wrapper passed as a callback over one kind's elements inlined
 * there), a file no kind decides left as it was, the spec's oracle identical, and a second run
 * that changes nothing. The fixture is test/fixtures/projects/shelf.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.ts';
import { runMain, type MainResult } from '../inProcess.ts';
import { git } from './helpers.ts';

const SHELF = join(PACKAGE_ROOT, 'test', 'fixtures', 'projects', 'shelf');

describe('convert: a class of plain fields gets view descriptors', () => {
  let root: string;
  let dir: string;
  let spec: string;
  let first: MainResult;
  const before = (f: string): string => readFileSync(join(SHELF, 'src', f), 'utf8');
  const after = (f: string): string => readFileSync(join(dir, 'src', f), 'utf8');

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'memdesc-plain-'));
    dir = join(root, 'shelf');
    cpSync(SHELF, dir, { recursive: true });
    spec = join(dir, 'spec.json');
    git(dir, 'init', '-q');
    git(dir, 'add', '-A');
    git(dir, '-c', 'user.name=t', '-c', 'user.email=t@example.org', 'commit', '-qm', 'base');
    first = await runMain(['convert', '--all', dir, '--spec', spec, '--write', '--verify']);
  }, 120_000);
  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it('writes the conversion: type-checked, a second run a no-op, the oracle identical', () => {
    expect(first.stderr).toBe('');
    expect(first.stdout).toMatch(/checks: type-check passed; a second run changes nothing; verified with the spec's oracle.*identical/);
    expect(first.status).toBe(0);
  });

  it('the descriptor is a view of the object, its converters a new view and the object viewed', () => {
    expect(after('box.ts')).toContain(`export class Book {
  constructor(readonly box: Box) {}

  get pages(): Box['a'] {
    return this.box.a;
  }
  set pages(v: Box['a']) {
    this.box.a = v;
  }

  get shelfNo(): Box['b'] {
    return this.box.b;
  }
  set shelfNo(v: Box['b']) {
    this.box.b = v;
  }
}`);
    expect(after('box.ts')).toContain(`export function boxToBook(box: Box | null | undefined): Book | null | undefined {
  return box && new Book(box);
}`);
    expect(after('box.ts')).toContain(`export function bookToBox(book: Book | null | undefined): Box | null | undefined {
  return book && book.box;
}`);
    expect(after('box.ts')).not.toMatch(/_MATCH|OFFSET/);
  });

  it('before/after: guarded reads through a view, a parameter all callers pass as a book retyped', () => {
    expect(before('books.ts')).toContain(`function setShelf(x: Box, n: number): void {
  x.b = n;
}`);
    expect(after('books.ts')).toBe(`import { Box, isBook, Book, boxToBook } from './box.ts';

export function pagesOf(x: Box): number {
  if (!isBook(x)) return 0;
  return boxToBook(x).pages;
}

function setShelf(x: Book, n: number): void {
  x.shelfNo = n;
}

export function shelve(boxes: Box[]): void {
  for (const x of boxes) if (isBook(x)) setShelf(boxToBook(x), x.id % 3);
}
`);
    expect(after('toys.ts')).toBe(before('toys.ts').replace("import { Box, isToy } from './box.ts';", "import { Box, isToy, boxToToy } from './box.ts';")
      .replace('isToy(x) ? x.a : -1', 'isToy(x) ? boxToToy(x).age : -1'));
  });

  it('a wrapper passed as a callback over books is inlined there for books; over any box it stays, and so does the wrapper', () => {
    expect(before('lists.ts')).toContain('  return xs.filter(isBook).map(firstOf).reduce((s, n) => s + n, 0);');
    expect(after('lists.ts')).toContain('  return xs.filter(isBook).map((x) => boxToBook(x).pages).reduce((s, n) => s + n, 0);');
    expect(after('lists.ts')).toContain('  return xs.map(firstOf);');
    expect(after('lists.ts')).toContain('export const firstOf = (x: Box): number => x.a;');
    expect(first.stdout).toMatch(/src\/lists\.ts:13:\d+: residue a: wrapper `firstOf\(\)` used as a value/);
  });

  it('no change: an access no kind decides', () => {
    expect(after('raw.ts')).toBe(before('raw.ts'));
    expect(after('main.ts')).toBe(before('main.ts'));
  });

  it('a second run finds nothing to change', async () => {
    git(dir, 'add', '-A');
    git(dir, '-c', 'user.name=t', '-c', 'user.email=t@example.org', 'commit', '-qm', 'converted');
    const again = await runMain(['convert', '--all', dir, '--spec', spec, '--dry-run']);
    expect(again.status).toBe(0);
    expect(again.stdout).toBe('');
    expect(again.stderr).toMatch(/: 0 sites converted, 0 function signature changes, 0 files \(dry run: nothing written\)/);
  });
});
