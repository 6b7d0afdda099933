import { mkdtempSync, writeFileSync } from 'node:fs';
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
    expect(layout[1]!.fields.map((f) => f.name)).toEqual(['lru', 'compound_head']);
    expect(layout[6]!.fields.map((f) => f.name)).toEqual(['_mapcount', 'page_type', '_refcount']);
    expect(overlapping(spec, 'lru')).toEqual(['compound_head', 'compound_dtor', 'compound_order', 'compound_mapcount']);
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
  ];
  for (const [name, mutate, msg] of bad) {
    it(name, () => {
      const s = clone(MINIMAL);
      mutate(s);
      expect(() => validateSpec(s, 'my.json')).toThrow(InputError);
      expect(() => validateSpec(s, 'my.json')).toThrow(`invalid spec my.json: ${msg}`);
    });
  }

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
  });
});
