/** The converter's small parts: splices, unified diffs, atomic writes, kind selection. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.ts';
import { builtinSpec } from '../../src/model/builtin.ts';
import { validateSpec } from '../../src/model/spec-validate.ts';
import { unifiedDiff } from '../../src/rewrite/diff.ts';
import { descriptorName, selectKinds } from '../../src/rewrite/kinds.ts';
import { FileEdits, SpliceConflict, closer, opener } from '../../src/rewrite/splices.ts';
import { recover, writeAll } from '../../src/rewrite/staging.ts';

describe('splices', () => {
  it('applies replacements and ordered inserts around one node', () => {
    const text = 'f(page.lru);';
    const e = new FileEdits('x.ts');
    // wrap `page` (2..6) and rename it, rename `lru` (7..10)
    e.insert(2, 'page_ptdesc(', opener(4));
    e.insert(6, ')', closer(4));
    e.replace(7, 10, 'pt_list');
    expect(e.apply(text)).toBe('f(page_ptdesc(page).pt_list);');
  });

  it('nests wraps of one expression outermost first', () => {
    const e = new FileEdits('x.ts');
    e.insert(0, 'inner(', opener(1));
    e.insert(0, 'outer(', opener(2));
    e.insert(1, ')', closer(1));
    e.insert(2, ')', closer(2));
    expect(e.apply('ab')).toBe('outer(inner(a)b)');
  });

  it('rejects overlapping edits', () => {
    const e = new FileEdits('x.ts');
    e.replace(0, 4, 'x');
    e.replace(2, 6, 'y');
    expect(() => e.apply('abcdefgh')).toThrow(SpliceConflict);
  });

  it('overlapping deletions delete their union (two retired members sharing the blank line between them)', () => {
    const text = 'class S {\n  get a() {}\n\n  get b() {}\n  keep() {}\n}\n';
    const a = text.indexOf('  get a');
    const b = text.indexOf('  get b');
    const e = new FileEdits('x.ts');
    e.remove(a, b); // member a with the blank line after it
    e.remove(b - 1, text.indexOf('  keep')); // member b with the newline before it
    e.replace(b + 6, b + 7, 'B'); // an edit inside b is swallowed
    e.insert(text.indexOf('  keep'), '  // kept\n', 0); // an insert at the union's edge is kept
    expect(e.apply(text)).toBe('class S {\n  // kept\n  keep() {}\n}\n');
    // a replacement straddling a deletion's edge is still a conflict
    const f = new FileEdits('x.ts');
    f.remove(0, 4);
    f.replace(2, 6, 'y');
    expect(() => f.apply('abcdefgh')).toThrow(SpliceConflict);
  });

  it('a deletion swallows the edits inside it, keeps the ones at its edges', () => {
    const e = new FileEdits('x.ts');
    e.replace(3, 4, 'X');
    e.remove(2, 6);
    e.insert(6, '!', 0);
    expect(e.apply('0123456789')).toBe('01!6789');
  });

  it('does not leave two blank lines where the file has none', () => {
    const e = new FileEdits('x.ts');
    e.remove(3, 6); // 'b\nc'
    expect(e.apply('a\n\nb\nc\n\nd\n')).toBe('a\n\nd\n');
  });
});

describe('unified diff', () => {
  it('is empty for equal texts', () => {
    expect(unifiedDiff('a.ts', 'x\n', 'x\n')).toBe('');
  });

  it('prints git-style hunks with context', () => {
    const before = ['1', '2', '3', '4', '5', '6', '7', '8', '9'].join('\n') + '\n';
    const after = before.replace('5', 'five');
    expect(unifiedDiff('a.ts', before, after)).toBe(
      'diff --git a/a.ts b/a.ts\n--- a/a.ts\n+++ b/a.ts\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n');
  });

  it('marks new files and applies with git apply', () => {
    const dir = mkdtempSync(join(tmpdir(), 'memdesc-diff-'));
    writeFileSync(join(dir, 'a.ts'), 'one\ntwo\nthree\n');
    const patch = unifiedDiff('a.ts', 'one\ntwo\nthree\n', 'one\n2\nthree\nfour\n') + unifiedDiff('b.ts', null, 'new\n');
    expect(patch).toContain('new file mode 100644\n--- /dev/null\n+++ b/b.ts\n@@ -0,0 +1 @@\n+new\n');
    writeFileSync(join(dir, 'p.diff'), patch);
    const r = spawnSync('git', ['apply', 'p.diff'], { cwd: dir, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(readFileSync(join(dir, 'a.ts'), 'utf8')).toBe('one\n2\nthree\nfour\n');
    expect(readFileSync(join(dir, 'b.ts'), 'utf8')).toBe('new\n');
  });
});

describe('kinds', () => {
  const spec = builtinSpec();

  it('selects kinds in spec order; --all takes every kind', () => {
    expect(selectKinds(spec, ['folio', 'slab'], false).map((k) => k.name)).toEqual(['slab', 'folio']);
    expect(selectKinds(spec, [], true).map((k) => k.name)).toEqual(['buddy', 'slab', 'ptdesc', 'zpdesc', 'vmalloc', 'folio']);
  });

  it('rejects unknown kinds, "unknown", no kind and kinds with --all', () => {
    expect(() => selectKinds(spec, ['slub'], false)).toThrow(UsageError);
    expect(() => selectKinds(spec, ['unknown'], false)).toThrow(/not a kind that can be converted/);
    expect(() => selectKinds(spec, [], false)).toThrow(/no kind given/);
    expect(() => selectKinds(spec, ['slab'], true)).toThrow(/not both/);
  });

  it('names descriptor variables after the page ones', () => {
    expect(descriptorName('page', 'page', 'ptdesc')).toBe('ptdesc');
    expect(descriptorName('first_page', 'page', 'zpdesc')).toBe('first_zpdesc');
    expect(descriptorName('head', 'page', 'slab')).toBe('head');
    expect(descriptorName('pages', 'page', 'slab')).toBe('pages');
  });
});

describe('spec keys for the converter', () => {
  const base = builtinSpec();
  const page = { class: 'Blob', file: 'src/blob.ts', fields: { link: { words: [0, 1], embedded: true }, owner: { words: [2] } } };

  it('accepts placement, match, variable, wordSize, addressHelpers and toAddress', () => {
    const s = validateSpec({
      page: { ...page, wordSize: 4, addressHelpers: { fromAddress: 'addr_to_blob' } },
      kinds: [{ name: 'cache', descriptor: { class: 'CacheObj', placement: 'src/cacheobj.ts', match: 'CACHE_MATCH', variable: 'obj' },
        fields: { owner: 'cache' }, converters: { toAddress: ['cacheobj_addr'] } }],
    }, 'x.json', base);
    expect(s.page.wordSize).toBe(4);
    expect(s.kinds[0]!.descriptor).toEqual({ class: 'CacheObj', placement: 'src/cacheobj.ts', match: 'CACHE_MATCH', variable: 'obj' });
    expect(s.kinds[0]!.converters.toAddress).toEqual(['cacheobj_addr']);
  });

  it('names the bad key', () => {
    const bad = (kind: object, p: object = page) => () => validateSpec({ page: p, kinds: [{ name: 'cache', fields: { owner: 'cache' }, ...kind }] }, 'x.json', base);
    expect(bad({ descriptor: { class: 'C', placement: 'src/*.ts' } })).toThrow('invalid spec x.json: kinds[0].descriptor.placement: expected a relative .ts file path inside the project (no glob, no "..")');
    expect(bad({ descriptor: { class: 'C', match: 'NOT AN IDENT' } })).toThrow('kinds[0].descriptor.match: expected an identifier');
    expect(bad({ descriptor: null }, { ...page, wordSize: 0 })).toThrow('page.wordSize: expected an integer >= 1');
    expect(bad({ descriptor: null }, { ...page, addressHelpers: { toPage: 'x' } })).toThrow('page.addressHelpers.toPage: unknown key');
  });
});
