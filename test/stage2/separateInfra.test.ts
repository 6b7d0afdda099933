/**
 * A kind's typed accessor and its tag come from the code (separateInfra.ts findAccessor(),
 * codeTag()), the kernel's names (`memdesc_<kind>`, `MEMDESC_TYPE_<KIND>`) only as hints: a
 * renamed accessor is found by the constants it checks the word against, which the kind's type
 * tests stand for (`tag === T ? PGTY_x : …`); a function named like an accessor that reads
 * nothing of the word is none; a renamed tag is found the same way. Names are invented.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadProgram } from '../../src/analyzers/project.ts';
import { typeErrors } from '../../src/rewrite/check.ts';
import { builtinSpec } from '../../src/model/builtin.ts';
import type { KindSpec, Spec } from '../../src/model/spec.ts';
import { codeTag, exportIndex, findAccessor, findInfra, groupHeaderBytes } from '../../src/stage2/separateInfra.ts';
import { headerBytes } from '../../src/stage2/separateMultiTag.ts';

const dirs: string[] = [];
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

const MEMDESC = `
export class Page { constructor(readonly addr: number) {} memdesc = 0; flags = 0; }
export const MEMDESC_TYPE_LID = 8;
export const MEMDESC_TYPE_POTTERY = 9;
export const MEMDESC_TYPE_GLASS = 10;
export const PGTY_lid = 0xf1;
export const PGTY_pot = 0xf2;
export const PGTY_jar = 0xf3;
export const PGTY_bowl = 0xf4;
export function memdesc_desc(page: Page, type: number): number { return page.memdesc - type; }
/** The type a page's word stands for: the tree's own map of tags to page types. */
export function page_type_of(page: Page): number {
  const t = page.memdesc & 15;
  return t === MEMDESC_TYPE_LID ? PGTY_lid : t === MEMDESC_TYPE_POTTERY ? PGTY_pot : t === MEMDESC_TYPE_GLASS ? PGTY_jar : page.flags >>> 24;
}
export const PageLid = (p: Page): boolean => page_type_of(p) === PGTY_lid;
export const PagePot = (p: Page): boolean => page_type_of(p) === PGTY_pot;
export const PageJar = (p: Page): boolean => page_type_of(p) === PGTY_jar;
export const PageBowl = (p: Page): boolean => page_type_of(p) === PGTY_bowl;
/* The rest of the stage-2 infrastructure findInfra() requires (bodies do not matter here). */
export const MEMDESC_DESC_HEADER = 8;
export function alloc_pages_memdesc(gfp: number, order: number, md: number): Page | null { return gfp + order + md ? new Page(0) : null; }
export function __free_pages_memdesc(page: Page, order: number): void { void page; void order; }
export function memdesc_cache(type: number): number { return type; }
export function memdesc_cache_create(name: string, size: number): number { return name.length + size; }
export function memdesc_alloc(type: number, gfp: number): number { return type + gfp; }
export function memdesc_free(desc: number): void { void desc; }
export function memdesc_create(desc: number, type: number): number { return desc | type; }
export function memdesc_set_desc_page(desc: number, page: Page | null): void { void desc; void page; }
export function memdesc_desc_page(desc: number): Page | null { return desc ? new Page(desc) : null; }
export function page_count(page: Page): number { return page.addr; }
export function page_address(page: Page): number { return page.addr; }
export function virt_to_page(addr: number): Page { return new Page(addr); }
/* Descriptors of a group of tags handed out together, whose callers use 20 bytes past the start. */
const PLATED: readonly number[] = [MEMDESC_TYPE_POTTERY];
export function plated(type: number): boolean { return PLATED.includes(type); }
export function shared_desc(page: Page): number {
  const t = page.memdesc & 15;
  return plated(t) ? memdesc_desc(page, t) : 0;
}
export function glaze_of(page: Page): number {
  const d = shared_desc(page);
  return d ? page_count(new Page(d + 20)) : 0;
}
/** Hints: the code says nothing of lid's header (this counts), and pot's own code beats this one. */
export const MEMDESC_LID_HEADER = 32;
export const MEMDESC_POT_HEADER = 40;
/** The kernel's name: confirmed by its code. */
export function memdesc_lid(page: Page): number { return memdesc_desc(page, MEMDESC_TYPE_LID); }
/** Renamed: no memdesc_pot, but this one checks the tag PagePot's type stands for. */
export function pottery_of(page: Page): number { return memdesc_desc(page, MEMDESC_TYPE_POTTERY); }
/** Named like bowl's accessor, but it reads nothing of the word. */
export function memdesc_bowl(page: Page): number { return page.addr * 0 + 7; }
`;

function project(): { program: import('@ts-morph/common').ts.Program; root: string } {
  const root = mkdtempSync(join(tmpdir(), 'memdesc-separate-infra-'));
  dirs.push(root);
  writeFileSync(join(root, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, target: 'es2022', module: 'nodenext', allowImportingTsExtensions: true, noEmit: true, skipLibCheck: true }, include: ['**/*.ts'] }));
  mkdirSync(root, { recursive: true });
  writeFileSync(join(root, 'memdesc.ts'), MEMDESC);
  const p = loadProgram(root);
  expect(typeErrors(p.program, p.root).map((e) => `${e.file}: ${e.message}`)).toEqual([]);
  return p;
}

const kindOf = (name: string, test: string): KindSpec => ({
  name, descriptor: null, fields: [], converters: { fromPage: [], toPage: [], fromAddress: [], toAddress: [] },
  pageTypeTests: [{ name: test, pageArg: 0, negates: true }], owners: [], provenance: [],
}) as unknown as KindSpec;

const base = builtinSpec();
const kinds = [kindOf('lid', 'PageLid'), kindOf('pot', 'PagePot'), kindOf('jar', 'PageJar'), kindOf('bowl', 'PageBowl')];
const spec: Spec = { ...base, page: { ...base.page, file: 'memdesc.ts' }, kinds };

describe('the typed accessor and the tag, from the code', () => {
  const { program, root } = project();
  const index = exportIndex(program, root);
  const kind = (n: string) => kinds.find((k) => k.name === n)!;

  it('the kernel\'s name, confirmed by its code: it reads the word and checks its tag', () => {
    expect(findAccessor(program, root, index, spec, kind('lid'))).toMatchObject({ name: 'memdesc_lid', constants: ['MEMDESC_TYPE_LID'] });
  });
  it('a renamed accessor: the one checking the tag the kind\'s type test stands for', () => {
    expect(findAccessor(program, root, index, spec, kind('pot'))).toMatchObject({ name: 'pottery_of', constants: ['MEMDESC_TYPE_POTTERY'] });
    expect(findInfra(index, spec, kind('pot'), { program, root }).accessor).toBe('pottery_of');
  });
  it('named like an accessor but reading nothing of the word: none (and no other accessor is the kind\'s)', () => {
    expect(findAccessor(program, root, index, spec, kind('bowl'))).toBeNull();
    expect(() => findInfra(index, spec, kind('bowl'), { program, root })).toThrow(/bowl has no memdesc type tag/);
  });
  it('no accessor and no MEMDESC_TYPE_JAR: the tag the tree maps to the kind\'s type', () => {
    expect(findAccessor(program, root, index, spec, kind('jar'))).toBeNull();
    expect(codeTag(program, root, index, spec, kind('jar'))).toBe('MEMDESC_TYPE_GLASS');
    expect(findInfra(index, spec, kind('jar'), { program, root })).toMatchObject({ typeTag: 'MEMDESC_TYPE_GLASS', accessor: null });
  });

  it('the header: the group of tags the code hands out together, and the offsets its callers use (rounded to words); the name only when the code says nothing', () => {
    expect(groupHeaderBytes(program, root, index, ['MEMDESC_TYPE_POTTERY'], 8)).toBe(24);
    expect(groupHeaderBytes(program, root, index, ['MEMDESC_TYPE_LID'], 8)).toBeUndefined();
    expect(headerBytes(program, root, index, 'pot', 'pottery_of')).toBe(24);
    expect(headerBytes(program, root, index, 'lid', 'memdesc_lid')).toBe(32);
    expect(headerBytes(program, root, index, 'jar', null)).toBe(8);
  });
});
