import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.ts';
import { builtinSpec, resolveSpec } from '../../src/model/builtin.ts';
import { descriptorLayout, overlapping, pageLayout } from '../../src/model/page-layout.ts';
import { findKind, kindNames, reverseFieldMap, trackedFields } from '../../src/model/spec.ts';
import { loadSpecFile, validateSpec } from '../../src/model/spec-validate.ts';

describe('built-in spec', () => {
  const spec = builtinSpec();

  it('has the six kinds of the Stage-0 table (docs/contracts.md) with their descriptors', () => {
    expect(kindNames(spec)).toEqual(['buddy', 'slab', 'ptdesc', 'zpdesc', 'vmalloc', 'folio']);
    expect(spec.kinds.map((k) => k.descriptor?.class ?? null)).toEqual([null, 'Slab', 'Ptdesc', 'Zpdesc', 'Vmdesc', 'Folio']);
  });

  it('maps raw fields to descriptor fields as in the Stage-0 table', () => {
    const map = (k: string) => Object.fromEntries(findKind(spec, k)!.fields.map((f) => [f.field, f.to.join('/')]));
    expect(map('buddy')).toEqual({ lru: 'buddy_list', private: 'order' });
    expect(map('slab')).toEqual({ lru: 'slab_list', mapping: 'slab_cache', index: 'freelist', private: 'counters' });
    expect(map('ptdesc')).toEqual({ lru: 'pt_list', index: 'pt_mm', private: 'ptl' });
    expect(map('zpdesc')).toEqual({ mapping: 'movable_ops', index: 'next/handle', private: 'zspage', page_type: 'first_obj_offset' });
    expect(map('vmalloc')).toEqual({ private: 'vm' });
    expect(map('folio')).toEqual({ lru: 'lru', mapping: 'mapping', index: 'index', private: 'private' });
    expect(reverseFieldMap(findKind(spec, 'zpdesc')!).get('handle')).toBe('index');
  });

  it('has converters, page-type tests, owners and provenance', () => {
    const slab = findKind(spec, 'slab')!;
    expect(slab.converters).toEqual({ fromPage: ['page_slab'], toPage: ['slab_page'], fromAddress: ['virt_to_slab'] });
    expect(spec.kinds.map((k) => k.pageTypeTests[0]?.name ?? null)).toEqual(['PageBuddy', 'PageSlab', 'PageTable', 'PageZsmalloc', null, 'PageAnon']);
    expect(findKind(spec, 'ptdesc')!.owners.some((o) => o.files.includes('mm/memory.ts') && o.functions?.includes('__pte_alloc*'))).toBe(true);
    expect(slab.provenance.map((p) => p.call)).toContain('alloc_slab_page');
  });

  it('tracks lru, mapping, index, private always and page_type in owner code', () => {
    expect(trackedFields(spec).map((f) => `${f.name}:${f.track}`)).toEqual(['lru:always', 'mapping:always', 'index:always', 'private:always', 'page_type:owners']);
  });

  it('describes the struct page word layout and the union members', () => {
    const layout = pageLayout(spec);
    expect(layout).toHaveLength(8);
    expect(layout[1]!.fields.map((f) => f.name)).toEqual(['lru', 'compound_head', 'memdesc']);
    expect(layout[6]!.fields.map((f) => f.name)).toEqual(['_mapcount', 'page_type', '_refcount']);
    expect(overlapping(spec, 'lru')).toEqual(['compound_head', 'memdesc', 'compound_dtor', 'compound_order', 'compound_mapcount']);
    const zp = descriptorLayout(spec, findKind(spec, 'zpdesc')!);
    expect(zp.find((d) => d.descriptorField === 'first_obj_offset')).toEqual({ descriptorField: 'first_obj_offset', pageField: 'page_type', words: [6], bits: '0:24' });
  });
});

const MINIMAL = {
  page: { class: 'Blob', file: 'src/blob.ts', fields: { link: { words: [0, 1], embedded: true }, owner: { words: [2] } } },
  kinds: [{ name: 'cache', descriptor: 'CacheObj', fields: { owner: 'cache' } }],
};

function clone<T>(x: T): T {
  return JSON.parse(JSON.stringify(x)) as T;
}

describe('spec validation: errors name the bad key', () => {
  const bad: Array<[string, (s: any) => void, string]> = [
    ['unknown top-level key', (s) => { s.kindz = []; }, 'kindz: unknown key'],
    ['missing page.class', (s) => { delete s.page.class; }, 'page.class: missing required key'],
    ['page field words not integers', (s) => { s.page.fields.owner.words = ['w2']; }, 'page.fields.owner.words[0]: expected an integer'],
    ['bad track value', (s) => { s.page.fields.owner.track = 'sometimes'; }, 'page.fields.owner.track'],
    ['kind maps a field the page does not have', (s) => { s.kinds[0].fields = { ownr: 'cache' }; }, 'kinds[0].fields.ownr: "ownr" is not a field of page.fields'],
    ['owner files of the wrong type', (s) => { s.kinds[0].owners = [{ files: 3 }]; }, 'kinds[0].owners[0].files: expected a string or an array of strings'],
    ['unknown key in a kind', (s) => { s.kinds[0].owner = ['x.ts']; }, 'kinds[0].owner: unknown key'],
    ['bad provenance regex', (s) => { s.kinds[0].provenance = [{ call: 'f', arg: { matches: '(' } }]; }, 'kinds[0].provenance[0].arg.matches: not a valid regular expression'],
    ['duplicate kind', (s) => { s.kinds.push(clone(s.kinds[0])); }, 'kinds[1].name: duplicate kind "cache"'],
    ['reserved kind name', (s) => { s.kinds[0].name = 'unknown'; }, 'kinds[0].name: "unknown" is reserved'],
    ['descriptor missing', (s) => { delete s.kinds[0].descriptor; }, 'kinds[0].descriptor: missing required key'],
    ['wrapper on an unknown field', (s) => { s.page.wrappers = [{ name: 'w', field: 'nope' }]; }, 'page.wrappers[0].field'],
    ['bad extends', (s) => { s.extends = 'linux'; }, 'extends: the only supported value is "builtin"'],
    ['no kinds', (s) => { s.kinds = []; }, 'kinds: expected at least one kind'],
    ['generic code without a reason', (s) => { s.page.generic = [{ files: 'a.ts', functions: 'f' }]; }, 'page.generic[0].reason: missing required key'],
    ['generic functions of the wrong type', (s) => { s.page.generic = [{ files: 'a.ts', functions: [1], reason: 'r' }]; }, 'page.generic[0].functions'],
    ['negative word', (s) => { s.page.fields.owner.words = [-1]; }, 'page.fields.owner.words[0]: expected an integer >= 0'],
    ['no words', (s) => { s.page.fields.owner.words = []; }, 'page.fields.owner.words: expected at least one word'],
    ['no fields', (s) => { s.page.fields = {}; }, 'page.fields: expected at least one field'],
    ['bad bits', (s) => { s.page.fields.owner.bits = '0-8'; }, 'page.fields.owner.bits: expected "LOW:WIDTH" bits, e.g. "0:24"'],
    ['descriptor class not an identifier', (s) => { s.kinds[0].descriptor = { class: 'Cache obj' }; }, 'kinds[0].descriptor.class: expected an identifier'],
    ['descriptor of the wrong type', (s) => { s.kinds[0].descriptor = 3; }, 'kinds[0].descriptor: expected null, a class name or { "class", … }'],
    ['placement outside the project', (s) => { s.kinds[0].descriptor = { class: 'C', placement: '../c.ts' }; }, 'kinds[0].descriptor.placement: expected a relative .ts file path inside the project (no glob, no "..")'],
    ['kind name with a space', (s) => { s.kinds[0].name = 'my kind'; }, 'kinds[0].name: expected an identifier-like kind name'],
    ['converters as a string', (s) => { s.kinds[0].converters = { fromObject: 'blob_cache' }; }, 'kinds[0].converters.fromObject: expected an array of strings'],
    ['assertion sense not known', (s) => { s.page.assertions = [{ name: 'ensure', means: 'true' }]; }, 'page.assertions[0].means: expected one of: holds, fails-if'],
    ['both a key and its alias', (s) => { s.object = s.page; }, 'give "object" or its alias "page", not both'],
    ['both typeTests and pageTypeTests', (s) => { s.kinds[0].typeTests = ['IsCache']; s.kinds[0].pageTypeTests = ['IsCache']; }, 'kinds[0]: give "typeTests" or its alias "pageTypeTests", not both'],
    ['both fromObject and fromPage', (s) => { s.kinds[0].converters = { fromObject: ['a'], fromPage: ['b'] }; }, 'kinds[0].converters: give "fromObject" or its alias "fromPage", not both'],
    ['both objectArg and pageArg', (s) => { s.page.wrappers = [{ name: 'w', field: 'owner', objectArg: 0, pageArg: 1 }]; }, 'page.wrappers[0]: give "objectArg" or its alias "pageArg", not both'],
    ['neither object nor page', (s) => { delete s.page; }, 'missing required key "object" (or its alias "page")'],
    ['unknown key names the allowed ones, neutral and alias', (s) => { s.kinds[0].tests = []; }, 'kinds[0].tests: unknown key (expected one of: name, description, descriptor, fields, converters, typeTests, pageTypeTests, owners, provenance)'],
    ['oracle with both run and entry', (s) => { s.oracle = { run: 'npm test', entry: 'main.ts' }; }, 'oracle: expected exactly one of "run" (a command) or "entry" (a file)'],
    ['oracle args with run', (s) => { s.oracle = { run: 'npm test', args: ['x'] }; }, 'oracle: "args" goes with "entry"'],
    ['oracle compare not a regex', (s) => { s.oracle = { run: 'npm test', compare: '(' }; }, 'oracle.compare: expected "json" or a valid regular expression'],
    ['a typo: the unknown key, not the missing one', (s) => { s.kinds[0].fields = { owner: { too: 'cache' } }; }, 'kinds[0].fields.owner.too: unknown key (expected one of: to, bits, note)'],
    ['owner of the wrong type', (s) => { s.kinds[0].owners = [3]; }, 'kinds[0].owners[0]: expected a file glob or { "files", "functions"? }'],
    ['oracle timeout 0', (s) => { s.oracle = { run: 'npm test', timeout: 0 }; }, 'oracle.timeout: expected a positive number of seconds'],
    ['empty subjectPrefix', (s) => { s.subjectPrefix = ''; }, 'subjectPrefix: expected a non-empty string'],
  ];
  for (const [name, mutate, msg] of bad) {
    it(name, () => {
      const s = clone(MINIMAL);
      mutate(s);
      expect(() => validateSpec(s, 'my.json')).toThrow(InputError);
      expect(() => validateSpec(s, 'my.json')).toThrow(`invalid spec my.json: ${msg}`);
      // One line, whatever went wrong.
      expect(() => validateSpec(s, 'my.json')).toThrow(/^[^\n]*$/);
    });
  }

  it('names the key the user wrote: object.fields, not page.fields', () => {
    const s = clone(MINIMAL) as any;
    s.object = s.page;
    delete s.page;
    s.kinds[0].fields = { ownr: 'cache' };
    expect(() => validateSpec(s, 'my.json')).toThrow('invalid spec my.json: kinds[0].fields.ownr: "ownr" is not a field of object.fields');
    s.kinds[0].fields = {};
    s.object.wrappers = [{ name: 'w', field: 'nope' }];
    expect(() => validateSpec(s, 'my.json')).toThrow('invalid spec my.json: object.wrappers[0].field: "nope" is not a field of object.fields');
  });

  it('neutral keys and their page-worded aliases give the same spec', () => {
    const neutral = {
      $schema: 'node_modules/memdesc/docs/schemas/spec.schema.json',
      object: { ...clone(MINIMAL.page), wrappers: [{ name: 'ownerOf', field: 'owner', objectArg: 1 }] },
      kinds: [{ ...clone(MINIMAL.kinds[0]), converters: { fromObject: ['blobCache'], toObject: ['cacheBlob'] }, typeTests: ['isCache', { name: 'isCachey', objectArg: 1, negates: false }] }],
    };
    const aliased = {
      page: { ...clone(MINIMAL.page), wrappers: [{ name: 'ownerOf', field: 'owner', pageArg: 1 }] },
      kinds: [{ ...clone(MINIMAL.kinds[0]), converters: { fromPage: ['blobCache'], toPage: ['cacheBlob'] }, pageTypeTests: ['isCache', { name: 'isCachey', pageArg: 1, negates: false }] }],
    };
    const a = validateSpec(neutral, 'my.json');
    expect(a).toEqual(validateSpec(aliased, 'my.json'));
    expect(a.page.wrappers[0]).toEqual({ name: 'ownerOf', field: 'owner', access: 'read', pageArg: 1 });
    expect(a.kinds[0]!.converters).toEqual({ fromPage: ['blobCache'], toPage: ['cacheBlob'], fromAddress: [] });
    expect(a.kinds[0]!.pageTypeTests).toEqual([{ name: 'isCache', pageArg: 0, negates: true }, { name: 'isCachey', pageArg: 1, negates: false }]);
  });

  it('assertions declare their sense; subjectPrefix is kept and inherited', () => {
    const s = clone(MINIMAL) as any;
    s.page.assertions = ['BUG_ON', { name: 'ensure', means: 'holds' }, { name: 'ASSERT_NOT', condArg: 1, means: 'fails-if' }];
    s.subjectPrefix = 'cache';
    const v = validateSpec(s, 'my.json');
    expect(v.page.assertions).toEqual([{ name: 'BUG_ON', condArg: 0 }, { name: 'ensure', condArg: 0, means: 'holds' }, { name: 'ASSERT_NOT', condArg: 1, means: 'fails-if' }]);
    expect(v.subjectPrefix).toBe('cache');
    expect(validateSpec({ extends: 'builtin', subjectPrefix: 'mm' }, 'x.json', builtinSpec()).subjectPrefix).toBe('mm');
    expect(validateSpec({ extends: 'builtin' }, 'x.json', builtinSpec()).subjectPrefix).toBeUndefined();
  });

  it('extends: an object override is checked against the inherited kinds', () => {
    const s = { extends: 'builtin', object: { fields: { flags: { words: [0] } }, wrappers: [] } };
    expect(() => validateSpec(s, 'x.json', builtinSpec())).toThrow('invalid spec x.json: object.fields: the built-in kind "buddy" maps "lru", which is not a field of object.fields');
    // Inherited wrappers are named, not given a path the user's file does not have.
    expect(() => validateSpec({ extends: 'builtin', object: { fields: { flags: { words: [0] } } } }, 'x.json', builtinSpec())).toThrow('invalid spec x.json: object.fields: the built-in wrapper page_private() uses "private"');
  });

  it('accepts the minimal spec and normalizes shorthands', () => {
    const s = validateSpec(clone(MINIMAL), 'my.json');
    expect(s.page.fields[0]).toEqual({ name: 'link', words: [0, 1], embedded: true, track: 'always' });
    expect(s.kinds[0]!.descriptor).toEqual({ class: 'CacheObj' });
    expect(s.kinds[0]!.fields).toEqual([{ field: 'owner', to: ['cache'] }]);
  });

  it('normalizes generic code entries', () => {
    const s = clone(MINIMAL) as any;
    s.page.generic = [{ files: 'src/dump.ts', functions: 'dump_*', reason: 'it prints any blob' }];
    expect(validateSpec(s, 'my.json').page.generic).toEqual([{ files: ['src/dump.ts'], functions: ['dump_*'], reason: 'it prints any blob' }]);
  });

  it('extends the built-in spec: kinds replace by name or are added', () => {
    const s = validateSpec({ extends: 'builtin', kinds: [{ name: 'vmalloc', descriptor: 'Vm2', owners: ['mm/vmalloc2.ts'] }, { name: 'hugetlb', descriptor: 'Hugetlb', pageTypeTests: ['PageHuge'] }] }, 'x.json', builtinSpec());
    expect(kindNames(s)).toEqual(['buddy', 'slab', 'ptdesc', 'zpdesc', 'folio', 'vmalloc', 'hugetlb']);
    expect(findKind(s, 'vmalloc')!.descriptor!.class).toBe('Vm2');
    expect(s.page.class).toBe('Page');
  });

  it('loadSpecFile: missing file and bad JSON are InputErrors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'memdesc-spec-'));
    expect(() => loadSpecFile(join(dir, 'nope.json'))).toThrow(/spec file not found/);
    writeFileSync(join(dir, 'bad.json'), '{ "page": ');
    expect(() => loadSpecFile(join(dir, 'bad.json'))).toThrow(/invalid spec .*bad.json: not JSON/);
    writeFileSync(join(dir, 'ok.json'), JSON.stringify(MINIMAL));
    expect(resolveSpec(join(dir, 'ok.json')).page.class).toBe('Blob');
    rmSync(dir, { recursive: true, force: true });
  });
});
