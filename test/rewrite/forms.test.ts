/**
 * Literal before/after pairs for every access form and conversion (OpenRewrite style), each
 * with its no-change counterpart, in one project: the tiny kernel of world.ts plus one file
 * per case. One conversion of the whole project, then a second run that must change nothing.
 */
import { relative } from 'node:path';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadProgram } from '../../src/analyzers/project.ts';
import { builtinSpec } from '../../src/model/builtin.ts';
import { formatError, overlayProgram, typeErrors } from '../../src/rewrite/check.ts';
import { planConversion, type ConvertPlan } from '../../src/rewrite/plan.ts';
import { makeProject } from './world.ts';

interface Case {
  name: string;
  file: string;
  before: string;
  /** undefined: the code must not change (only imports of retired helpers may go). */
  after?: string;
}

const CASES: Case[] = [
  {
    name: 'read and write through a converted parameter', file: 'arch/x86/mm/c01.ts',
    before: `
export function pgd_set(page: Page, mm: number): number {
  const old = page.index;
  page.index = mm;
  return old + page.private;
}
`,
    after: `
export function pgd_set(ptdesc: Ptdesc, mm: number): number {
  const old = ptdesc.pt_mm;
  ptdesc.pt_mm = mm;
  return old + ptdesc.ptl;
}
`,
  },
  {
    name: 'compound assignment, ++ and --', file: 'arch/x86/mm/c02.ts',
    before: `
export function bump(page: Page): void {
  page.private += 2;
  page.index++;
  --page.index;
}
`,
    after: `
export function bump(ptdesc: Ptdesc): void {
  ptdesc.ptl += 2;
  ptdesc.pt_mm++;
  --ptdesc.pt_mm;
}
`,
  },
  {
    name: 'reference: the embedded list handed to a list helper', file: 'arch/x86/mm/c03.ts',
    before: `
export function pgd_list_add(pgd: number, head: ListHead): void {
  const page = virt_to_page(pgd);
  list_add(page.lru, head);
}
`,
    after: `
export function pgd_list_add(pgd: number, head: ListHead): void {
  const ptdesc = virt_to_ptdesc(pgd);
  list_add(ptdesc.pt_list, head);
}
`,
  },
  {
    name: 'destructuring with a rename and a default', file: 'arch/x86/mm/c04.ts',
    before: `
export function owner(page: Page): number {
  const { index, private: lock = 7 } = page;
  return index + lock;
}
`,
    after: `
export function owner(ptdesc: Ptdesc): number {
  const { pt_mm: index, ptl: lock = 7 } = ptdesc;
  return index + lock;
}
`,
  },
  {
    name: 'wrapper calls are inlined', file: 'arch/x86/mm/c05.ts',
    before: `
export function swap_lock(page: Page, lock: number): number {
  const old = page_private(page);
  set_page_private(page, lock);
  return old;
}
`,
    after: `
export function swap_lock(ptdesc: Ptdesc, lock: number): number {
  const old = ptdesc.ptl;
  ptdesc.ptl = lock;
  return old;
}
`,
  },
  {
    name: 'container_of and list walks name the descriptor', file: 'arch/x86/mm/c06.ts',
    before: `
export function first_pgd(head: ListHead): Page {
  return list_entry(head.next, Page, 'lru');
}

export function sum_mm(head: ListHead): number {
  let total = 0;
  for (const page of list_for_each_entry(head, Page, 'lru')) total += page.index;
  return total;
}
`,
    after: `
export function first_pgd(head: ListHead): Ptdesc {
  return list_entry(head.next, Ptdesc, 'pt_list');
}

export function sum_mm(head: ListHead): number {
  let total = 0;
  for (const ptdesc of list_for_each_entry(head, Ptdesc, 'pt_list')) total += ptdesc.pt_mm;
  return total;
}
`,
  },
  {
    name: 'repeated conversions of one page become one local', file: 'arch/x86/mm/c07.ts',
    before: `
export function check(page: Page): number {
  VM_BUG_ON_PAGE(page.index === 0, page, 'no mm');
  // Generic uses keep the page.
  dump(page);
  dump(page);
  return page.private;
}
`,
    after: `
export function check(page: Page): number {
  const ptdesc = page_ptdesc(page);
  VM_BUG_ON_PAGE(ptdesc.pt_mm === 0, page, 'no mm');
  // Generic uses keep the page.
  dump(page);
  dump(page);
  return ptdesc.ptl;
}
`,
  },
  {
    name: 'callers convert at the boundary; returns convert too', file: 'arch/x86/mm/c08.ts',
    before: `
function pgd_mm(page: Page): number {
  return page.index;
}

function pgd_page(pgd: number): Page {
  return virt_to_page(pgd);
}

export function report(pgd: number): number {
  const page = alloc_page(pgd);
  if (!page) return 0;
  dump(page);
  dump(page);
  return pgd_mm(page) + pgd_page(pgd).private;
}
`,
    after: `
function pgd_mm(ptdesc: Ptdesc): number {
  return ptdesc.pt_mm;
}

function pgd_page(pgd: number): Ptdesc {
  return virt_to_ptdesc(pgd);
}

export function report(pgd: number): number {
  const page = alloc_page(pgd);
  if (!page) return 0;
  dump(page);
  dump(page);
  return pgd_mm(page_ptdesc(page)) + pgd_page(pgd).ptl;
}
`,
  },
  {
    name: 'new Page and a literal element access', file: 'arch/x86/mm/c09.ts',
    before: `
export function fresh(addr: number): number {
  const page = new Page(addr);
  page['private'] = 0;
  return page.index;
}
`,
    after: `
export function fresh(addr: number): number {
  const ptdesc = new Ptdesc(addr);
  ptdesc['ptl'] = 0;
  return ptdesc.pt_mm;
}
`,
  },
  {
    name: 'nullable locals and optional chaining', file: 'arch/x86/mm/c10.ts',
    before: `
export function maybe(head: ListHead): number {
  const page: Page | null = list_first_entry_or_null(head, Page, 'lru');
  return page?.index ?? -1;
}
`,
    after: `
export function maybe(head: ListHead): number {
  const ptdesc: Ptdesc | null = list_first_entry_or_null(head, Ptdesc, 'pt_list');
  return ptdesc?.pt_mm ?? -1;
}
`,
  },
  {
    name: 'an identity comparison keeps the page (cast at the access)', file: 'arch/x86/mm/c11.ts',
    before: `
export function same(a: Page, b: Page): number {
  if (a === b) return a.index;
  return 0;
}
`,
    after: `
export function same(a: Page, b: Page): number {
  if (a === b) return page_ptdesc(a).pt_mm;
  return 0;
}
`,
  },
  {
    name: 'comments and formatting are kept', file: 'arch/x86/mm/c12.ts',
    before: `
/** Doc. */
export function commented(page: Page): number {
  // the owner
  const mm = page.index; /* trailing */
  return (
    mm +
    page.private   // lock
  );
}
`,
    after: `
/** Doc. */
export function commented(ptdesc: Ptdesc): number {
  // the owner
  const mm = ptdesc.pt_mm; /* trailing */
  return (
    mm +
    ptdesc.ptl   // lock
  );
}
`,
  },
  {
    name: 'a page-type test keeps the page in generic code', file: 'lib/guarded.ts',
    before: `
export function cache_of(page: Page): number {
  if (PageSlab(page)) return page.mapping;
  return 0;
}
`,
    after: `
export function cache_of(page: Page): number {
  if (PageSlab(page)) return page_slab(page).slab_cache;
  return 0;
}
`,
  },
  {
    name: 'zsmalloc: index becomes next or handle, page_type first_obj_offset', file: 'mm/zsmalloc.ts',
    before: `
export function next_page(page: Page): Page | null {
  const next = page.index;
  return next ? new Page(next) : null;
}

export function huge_handle(page: Page): number {
  let handle = 0;
  handle = page.index;
  VM_BUG_ON_PAGE(handle === 0, page, 'no handle');
  return handle;
}

export function first_obj_offset(page: Page): number {
  return page.page_type & 0xffffff;
}
`,
    after: `
export function next_page(zpdesc: Zpdesc): Page | null {
  const next = zpdesc.next;
  return next ? new Page(next) : null;
}

export function huge_handle(zpdesc: Zpdesc): number {
  let handle = 0;
  handle = zpdesc.handle;
  VM_BUG_ON_PAGE(handle === 0, zpdesc_page(zpdesc), 'no handle');
  return handle;
}

export function first_obj_offset(zpdesc: Zpdesc): number {
  return zpdesc.first_obj_offset & 0xffffff;
}
`,
  },
  {
    name: 'a kind without descriptor (buddy) renames page members in place', file: 'mm/page_alloc.ts',
    before: `
export function add_free(page: Page, head: ListHead, order: number): void {
  list_add(page.lru, head);
  set_page_private(page, order);
}

export function buddy_order(page: Page): number {
  return page_private(page);
}

export function first_free(head: ListHead): Page | null {
  return list_first_entry_or_null(head, Page, 'lru');
}
`,
    after: `
export function add_free(page: Page, head: ListHead, order: number): void {
  list_add(page.buddy_list, head);
  page.order = order;
}

export function buddy_order(page: Page): number {
  return page.order;
}

export function first_free(head: ListHead): Page | null {
  return list_first_entry_or_null(head, Page, 'buddy_list');
}
`,
  },
  {
    name: 'no change: decoy types with the same member names', file: 'arch/x86/mm/c13.ts',
    before: `
export function decoys(d: Decoy, o: OtherPage): number {
  d.index = 1;
  o.index = d.private;
  return o.index;
}
`,
  },
  {
    name: 'no change: a computed key the analyzer cannot decide (residue)', file: 'arch/x86/mm/c14.ts',
    before: `
export function computed(page: Page, k: 'index' | 'private'): number {
  return page[k];
}
`,
  },
  {
    name: 'no change: an access of unknown kind', file: 'lib/generic.ts',
    before: `
export function generic_index(page: Page): number {
  const i = page.index;
  return i + page.mapping;
}
`,
  },
];

/** The text after the last import line (the prelude and added imports are checked separately). */
function body(text: string): string {
  const lines = text.split('\n');
  let last = -1;
  lines.forEach((l, i) => { if (/^import /.test(l)) last = i; });
  return lines.slice(last + 1).join('\n');
}

describe('convert --all: access forms and conversions', () => {
  let dir: string;
  let plan: ConvertPlan;
  let after: Map<string, string>;

  beforeAll(() => {
    dir = makeProject(Object.fromEntries(CASES.map((c) => [c.file, c.before])), { prelude: true });
    const { program, root } = loadProgram(dir);
    plan = planConversion(program, root, { spec: builtinSpec(), kinds: [], all: true });
    after = new Map(plan.changes.map((c) => [relative(root, c.file), c.after]));
  });

  for (const c of CASES) {
    it(c.name, () => {
      const text = after.get(c.file) ?? readFileSync(`${dir}/${c.file}`, 'utf8');
      expect(body(text)).toBe(c.after ?? c.before);
    });
  }

  it('adds the imports the new names need, next to the existing ones', () => {
    // page_private()/set_page_private() were retired: their imports go too; so does virt_to_page,
    // which the conversion made unused. Imports unused before (page_address…) are the user's.
    expect(after.get('arch/x86/mm/c03.ts')).toContain(`import { page_address, alloc_page, VM_BUG_ON_PAGE, dump, virt_to_ptdesc } from '../../../include/linux/mm.ts';`);
    expect(after.get('mm/zsmalloc.ts')).toContain(`import { Zpdesc, zpdesc_page } from './zpdesc.ts';`);
  });

  it('lists what it left untouched, with the reason', () => {
    const generic = plan.report.skipped.filter((s) => s.file === 'lib/generic.ts');
    expect(generic.map((s) => s.field)).toEqual(['index', 'mapping']);
    expect(generic[0]!.reason).toMatch(/^unknown kind: no decisive evidence/);
    const residue = plan.report.skipped.filter((s) => s.file === 'arch/x86/mm/c14.ts');
    expect(residue).toEqual([{ file: 'arch/x86/mm/c14.ts', line: 8, column: 15, kind: 'residue', field: '',
      reason: "computed key `k` on `page` (Page): may be index | private" }]);
  });

  it('type-checks, and a second run changes nothing', () => {
    const { program, root } = loadProgram(dir);
    const next = overlayProgram(program, new Map(plan.changes.map((c) => [c.file, c.after])));
    expect(typeErrors(next, root).map(formatError)).toEqual([]);
    const again = planConversion(next, root, { spec: builtinSpec(), kinds: [], all: true });
    expect(again.changes.map((c) => relative(root, c.file))).toEqual([]);
  });

  it('converts only the kinds asked for', () => {
    const { program, root } = loadProgram(dir);
    const only = planConversion(program, root, { spec: builtinSpec(), kinds: ['zpdesc'] });
    const files = only.changes.map((c) => relative(root, c.file));
    expect(files).toContain('mm/zsmalloc.ts');
    expect(files).toContain('mm/zpdesc.ts');
    expect(files.filter((f) => f.startsWith('arch/') || f === 'mm/page_alloc.ts' || f.startsWith('lib/'))).toEqual([]);
  });
});
