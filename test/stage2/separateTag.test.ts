/**
 * separateTag.ts and separateEmbed.ts on small fixtures: which memdesc word a kind's pages carry
 * comes from its typed accessor's constants (a misc subtype, a type tag, several, none), and a
 * misc kind's one field is embedded in the word, its allocation and free sites found where the
 * code hands a page to the converter. Names in the fixtures are invented (a "note" kind).
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ts } from '@ts-morph/common';
import { loadProgram } from '../../src/analyzers/project.ts';
import { exportIndex } from '../../src/stage2/separateInfra.ts';
import { miscTag } from '../../src/stage2/separateTag.ts';
import { planEmbedded } from '../../src/stage2/separateEmbed.ts';
import { CheckFailed, InputError } from '../../src/errors.ts';
import type { KindSpec, Spec } from '../../src/model/spec.ts';

const dirs: string[] = [];
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

const MEMDESC = `
export class Page { constructor(readonly addr: number) {} memdesc = 0; }
export const MEMDESC_TYPE_MISC = 0;
export const MEMDESC_TYPE_LID = 8;
export const MEMDESC_MISC_NOTE = 3;
export const MEMDESC_MISC_TAPE = 4;
const MEMDESC_MISC_LOCAL = 5;
export function read64(a: number): number { return a; }
export function write64(a: number, v: number): void { void a; void v; }
export function memdesc_misc(subtype: number, order: number): number { return (subtype << 4) | (order << 12); }
export function memdesc_misc_data(md: number): number { return Math.floor(md / 2 ** 18); }
export function memdesc_misc_with_data(md: number, v: number): number { return (md % 2 ** 18) + v * 2 ** 18; }
export function memdesc_misc_desc(page: Page, subtype: number): number { void subtype; return page.addr + 8; }
export function memdesc_misc_desc_page(desc: number): Page { return new Page(desc - 8); }
export function memdesc_desc(page: Page, type: number): number { return page.memdesc - type; }
export function memdesc_note(page: Page): number { return memdesc_misc_desc(page, MEMDESC_MISC_NOTE); }
export function memdesc_lid(page: Page): number { return memdesc_desc(page, MEMDESC_TYPE_LID); }
export function memdesc_mixed(page: Page): number { return memdesc_misc_desc(page, page.addr ? MEMDESC_MISC_NOTE : MEMDESC_MISC_TAPE); }
export function memdesc_local(page: Page): number { return memdesc_misc_desc(page, MEMDESC_MISC_LOCAL); }
export function alloc_page(gfp: number): Page | null { return gfp ? new Page(gfp) : null; }
export function __free_pages(page: Page, order: number): void { void page; void order; }
export function alloc_pages_memdesc(gfp: number, order: number, md: number): Page | null { void md; return order >= 0 ? alloc_page(gfp) : null; }
export function __free_pages_memdesc(page: Page, order: number): void { __free_pages(page, order); }
`;

const NOTE = `
import { Page, read64, write64 } from './memdesc.ts';
const PAGE_PRIVATE_OFFSET = 40;
/* Byte offsets of Note's fields: the Page words they overlay. */
const NOTE_OWNER_OFFSET = 40;
/** Note: overlays Page. */
export class Note {
  constructor(readonly addr: number) {}
  get owner(): number {
    return read64(this.addr + NOTE_OWNER_OFFSET);
  }
  set owner(v: number) {
    write64(this.addr + NOTE_OWNER_OFFSET, v);
  }
}
function NOTE_MATCH(page: number, note: number): void {
  if (page !== note) throw new Error('NOTE_MATCH');
}
NOTE_MATCH(PAGE_PRIVATE_OFFSET, NOTE_OWNER_OFFSET);
export function page_note(page: Page): Note;
export function page_note(page: Page | null): Note | null;
export function page_note(page: Page | null): Note | null {
  return page && new Note(page.addr);
}
export function note_page(note: Note): Page {
  return new Page(note.addr);
}
`;

const USERS = `
import { alloc_page, __free_pages, type Page } from './memdesc.ts';
import { page_note } from './note.ts';
export function make(gfp: number): Page | null {
  const page = alloc_page(gfp);
  if (!page) return null;
  page_note(page).owner = 5;
  return page;
}
export function drop(page: Page, own: boolean): void {
  if (!own) {
    __free_pages(page, 0);
    return;
  }
  page_note(page).owner = 0;
  __free_pages(page, 0);
}
export function other(gfp: number): void {
  const page = alloc_page(gfp);
  if (page) __free_pages(page, 0);
}
`;

function project(files: Record<string, string>): { program: ts.Program; root: string } {
  const root = mkdtempSync(join(tmpdir(), 'memdesc-separate-tag-'));
  dirs.push(root);
  writeFileSync(join(root, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, target: 'es2022', module: 'nodenext', allowImportingTsExtensions: true, noEmit: true, skipLibCheck: true }, include: ['**/*.ts'] }));
  for (const [name, text] of Object.entries({ 'memdesc.ts': MEMDESC, ...files })) {
    mkdirSync(join(root, name, '..'), { recursive: true });
    writeFileSync(join(root, name), text);
  }
  return loadProgram(root);
}

const kind = {
  name: 'note', description: 'notes', descriptor: { class: 'Note', placement: 'note.ts', match: 'NOTE_MATCH' }, fields: [{ field: 'private', to: ['owner'] }],
  converters: { fromPage: ['page_note'], toPage: ['note_page'], fromAddress: [] }, pageTypeTests: [], owners: [], provenance: [],
} as unknown as KindSpec;
const spec = {
  page: { class: 'Page', wordSize: 8, fields: [{ name: 'private', words: [5] }, { name: 'memdesc', words: [1] }] },
  kinds: [kind],
} as unknown as Spec;

describe('miscTag: the word a kind carries, from its typed accessor', () => {
  const { program, root } = project({});
  const index = exportIndex(program, root);

  it('an accessor passing one exported misc subtype: that subtype', () => {
    expect(miscTag(program, index, 'note')).toEqual({ subtype: 'MEMDESC_MISC_NOTE', accessor: 'memdesc_note' });
  });
  it('an accessor checking a type tag (a pointer word): not misc', () => {
    expect(miscTag(program, index, 'lid')).toBeNull();
  });
  it('an accessor naming two subtypes: both, for the caller to refuse', () => {
    expect(miscTag(program, index, 'mixed')).toEqual({ several: ['MEMDESC_MISC_NOTE', 'MEMDESC_MISC_TAPE'] });
  });
  it('no accessor, or one naming a constant the tree does not export: not misc', () => {
    expect(miscTag(program, index, 'cup')).toBeNull();
    expect(miscTag(program, index, 'local')).toBeNull();
  });
});

describe('planEmbedded: a misc kind keeps its field in the word', () => {
  it('rewrites the field into the data bits, moves the converters, and follows the allocation and the free after the converter only', () => {
    const { program, root } = project({ 'note.ts': NOTE, 'users.ts': USERS });
    const index = exportIndex(program, root);
    const plan = planEmbedded({ program, root, spec, kind, index, tag: { subtype: 'MEMDESC_MISC_NOTE', accessor: 'memdesc_note' } });
    expect(plan.embedded).toEqual({ subtype: 'MEMDESC_MISC_NOTE', field: 'owner' });
    const note = plan.texts.get(join(root, 'note.ts'))!;
    expect(note).toContain('const NOTE_OWNER_OFFSET = 0;');
    expect(note).toContain('return memdesc_misc_data(read64(this.addr + NOTE_OWNER_OFFSET));');
    expect(note).toContain('write64(this.addr + NOTE_OWNER_OFFSET, memdesc_misc_with_data(read64(this.addr + NOTE_OWNER_OFFSET), v));');
    expect(note).not.toMatch(/NOTE_MATCH|function page_note/);
    const mod = plan.texts.get(join(root, 'note_memdesc.ts'))!;
    expect(mod).toContain('return page && new Note(memdesc_note(page));');
    expect(mod).toContain('return note && memdesc_misc_desc_page(note.addr);');
    expect(mod).toContain('alloc_pages_memdesc(gfp, order, memdesc_misc(MEMDESC_MISC_NOTE, order))');
    const users = plan.texts.get(join(root, 'users.ts'))!;
    expect(users).toContain('const page = note_alloc_pages(gfp, 0);');
    // The free before the converter (a page that is not the kind's) and other()'s stay.
    expect(users).toMatch(/if \(!own\) \{\n\s*__free_pages\(page, 0\);/);
    expect(users).toContain('note_free_pages(page, 0);');
    expect(users).toMatch(/function other[^]*alloc_page\(gfp\);\n\s*if \(page\) __free_pages\(page, 0\);/);
    expect(plan.sites.allocs).toEqual([expect.stringMatching(/^users\.ts:\d+ make\(\)$/)]);
    expect(plan.sites.frees).toEqual([expect.stringMatching(/^users\.ts:\d+ drop\(\)$/)]);
  });

  it('a page handed straight from the allocator to the converter cannot be followed: CheckFailed', () => {
    const users = USERS.replace('const page = alloc_page(gfp);\n  if (!page) return null;\n  page_note(page).owner = 5;\n  return page;', 'const note = page_note(alloc_page(gfp));\n  if (note) note.owner = 5;\n  return null;');
    const { program, root } = project({ 'note.ts': NOTE, 'users.ts': users });
    expect(() => planEmbedded({ program, root, spec, kind, index: exportIndex(program, root), tag: { subtype: 'MEMDESC_MISC_NOTE', accessor: 'memdesc_note' } }))
      .toThrow(CheckFailed);
  });

  it('two words do not fit the misc word: InputError naming them', () => {
    const two = NOTE.replace('const NOTE_OWNER_OFFSET = 40;', 'const NOTE_OWNER_OFFSET = 40;\nconst NOTE_PEN_OFFSET = 48;')
      .replace('  set owner(v: number) {', '  get pen(): number {\n    return read64(this.addr + NOTE_PEN_OFFSET);\n  }\n  set owner(v: number) {');
    const { program, root } = project({ 'note.ts': two, 'users.ts': USERS });
    expect(() => planEmbedded({ program, root, spec, kind, index: exportIndex(program, root), tag: { subtype: 'MEMDESC_MISC_NOTE', accessor: 'memdesc_note' } }))
      .toThrow(InputError);
    expect(() => planEmbedded({ program, root, spec, kind, index: exportIndex(program, root), tag: { subtype: 'MEMDESC_MISC_NOTE', accessor: 'memdesc_note' } }))
      .toThrow(/Note's fields \(owner, pen\) are 2 words/);
  });
});
