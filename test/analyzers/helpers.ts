/**
 * In-memory projects for analyzer tests: a tiny struct page world (Page, ListHead, list helpers,
 * page-type tests, wrappers, allocators, descriptor classes) plus the snippets under test, all
 * analyzed in one ts-morph project so that a whole rule table costs one program.
 */
import { Project, ts } from 'ts-morph';
import { expect } from 'vitest';
import { analyzeProject } from '../../src/analyzers/analyze.ts';
import { builtinSpec } from '../../src/model/builtin.ts';
import type { AnalysisResult, Access, Finding, Residue } from '../../src/model/findings.ts';
import type { Spec } from '../../src/model/spec.ts';

export const ROOT = '/p';

const MM_TYPES = `
import { ListHead } from './list.ts';
export class Page {
  constructor(readonly addr: number) {}
  static readonly OFFSETOF = { lru: 8 } as const;
  private w = new Float64Array(8);
  get flags(): number { return this.w[0]!; }
  set flags(v: number) { this.w[0] = v; }
  get lru(): ListHead { return new ListHead(this.addr + 8); }
  get compound_head(): number { return this.w[1]!; }
  set compound_head(v: number) { this.w[1] = v; }
  get mapping(): number { return this.w[3]!; }
  set mapping(v: number) { this.w[3] = v; }
  get index(): number { return this.w[4]!; }
  set index(v: number) { this.w[4] = v; }
  get private(): number { return this.w[5]!; }
  set private(v: number) { this.w[5] = v; }
  get page_type(): number { return this.w[6]!; }
  set page_type(v: number) { this.w[6] = v; }
  get _mapcount(): number { return this.w[6]!; }
  set _mapcount(v: number) { this.w[6] = v; }
}
`;

const LIST = `
export class ListHead {
  constructor(readonly addr: number) {}
  next = 0;
  prev = 0;
}
export interface ListOwner<T> { new (addr: number): T; readonly OFFSETOF: { readonly [K in keyof T]?: number } }
export function list_add(e: ListHead, h: ListHead): void { e.next = h.next; h.next = e.addr; }
export function list_del(e: ListHead): void { e.next = 0; }
export function INIT_LIST_HEAD(l: ListHead): void { l.next = l.addr; }
export function list_entry<T, K extends keyof T & string>(ptr: number, type: ListOwner<T>, member: K): T { return new type(ptr - (type.OFFSETOF[member] ?? 0)); }
export function list_first_entry<T, K extends keyof T & string>(h: ListHead, type: ListOwner<T>, member: K): T { return list_entry(h.next, type, member); }
export function list_first_entry_or_null<T, K extends keyof T & string>(h: ListHead, type: ListOwner<T>, member: K): T | null { return h.next === h.addr ? null : list_entry(h.next, type, member); }
export function list_for_each_entry<T, K extends keyof T & string>(h: ListHead, type: ListOwner<T>, member: K): T[] { return [list_entry(h.next, type, member)]; }
`;

const FLAGS = `
import { Page } from './mm_types.ts';
export const PGTY_buddy = 1;
export const PGTY_slab = 2;
export const PGTY_table = 3;
export const PGTY_zsmalloc = 4;
function page_type_is(p: Page, t: number): boolean { return p.flags === t; }
function set_page_type(p: Page, t: number): void { p.flags = t; }
export const PageBuddy = (p: Page) => page_type_is(p, PGTY_buddy);
export const PageSlab = (p: Page) => page_type_is(p, PGTY_slab);
export const PageTable = (p: Page) => page_type_is(p, PGTY_table);
export const PageZsmalloc = (p: Page) => page_type_is(p, PGTY_zsmalloc);
export const __SetPageSlab = (p: Page) => set_page_type(p, PGTY_slab);
export const __SetPageTable = (p: Page) => set_page_type(p, PGTY_table);
export const __ClearPageTable = (p: Page) => set_page_type(p, 0);
export function PageAnon(p: Page): boolean { return (p.flags & 8) !== 0; }
export function PageHead(p: Page): boolean { return (p.flags & 16) !== 0; }
`;

const MM = `
import { Page } from './mm_types.ts';
export function page_private(page: Page): number { return page.private; }
export function set_page_private(page: Page, v: number): void { page.private = v; }
export function pfn_to_page(pfn: number): Page { return new Page(pfn * 64); }
export function virt_to_page(addr: number): Page { return new Page(addr >> 6); }
export function alloc_pages(gfp: number, order: number): Page | null { return gfp + order ? new Page(0) : null; }
export function VM_BUG_ON_PAGE(cond: boolean, page: Page, why?: string): void { if (cond) throw new Error(String(page.addr) + why); }
export function BUG(why: string): never { throw new Error(why); }
export function ensure(cond: boolean, why?: string): void { if (!cond) throw new Error(why); }
export function page_address(page: Page): number { return page.addr << 6; }
export function alloc_slab_page(order: number): Page { return new Page(order); }
export function pte_alloc_one(mm: number): Page { return new Page(mm); }
export function get_first_page(zspage: { first: Page }): Page { return zspage.first; }
`;

const DESC = `
import { Page } from './mm_types.ts';
import { ListHead } from './list.ts';
export class Slab {
  constructor(readonly page: Page) {}
  get slab_list(): ListHead { return this.page.lru; }
  get freelist(): number { return 0; }
  set freelist(v: number) { void v; }
  get slab_cache(): number { return 0; }
}
export function page_slab(page: Page): Slab { return new Slab(page); }
export function slab_page(slab: Slab): Page { return slab.page; }
export interface Ptdesc { pt_list: ListHead; pt_mm: number; ptl: number }
`;

/** A decoy with the same member names, and a different class called Page. */
const DECOY = `
export class Decoy {
  lru = { next: 0, prev: 0, addr: 0 };
  mapping = 0;
  index = 0;
  private = 0;
}
export class Page {
  index = 0;
  private = 0;
  mapping = 0;
  lru = { next: 0, prev: 0, addr: 0 };
}
export interface PageLike { index: number; private: number }
`;

const KERNEL = `
export * from './mm_types.ts';
export * from './list.ts';
export * from './page-flags.ts';
export * from './mm.ts';
export * from './descriptors.ts';
`;

export const BASE_FILES: Record<string, string> = {
  'include/linux/mm_types.ts': MM_TYPES,
  'include/linux/list.ts': LIST,
  'include/linux/page-flags.ts': FLAGS,
  'include/linux/mm.ts': MM,
  'include/linux/descriptors.ts': DESC,
  'include/linux/kernel.ts': KERNEL,
  'lib/decoy.ts': DECOY,
};

const KERNEL_NAMES = ['Page', 'ListHead', 'list_add', 'list_del', 'INIT_LIST_HEAD', 'list_entry', 'list_first_entry',
  'list_first_entry_or_null', 'list_for_each_entry', 'PageBuddy', 'PageSlab', 'PageTable', 'PageZsmalloc', 'PageAnon',
  'PageHead', 'page_private', 'set_page_private', 'pfn_to_page', 'virt_to_page', 'alloc_pages', 'VM_BUG_ON_PAGE', 'BUG',
  'alloc_slab_page', 'pte_alloc_one', 'get_first_page', 'Slab', 'page_slab', 'slab_page', 'type Ptdesc',
  '__SetPageSlab', '__SetPageTable', '__ClearPageTable', 'ensure', 'page_address'];

/** The import line a snippet at `file` gets (everything of the tiny kernel, plus the decoys). */
export function prelude(file: string): string {
  const depth = file.split('/').length - 1;
  const up = depth === 0 ? './' : '../'.repeat(depth);
  return `import { ${KERNEL_NAMES.join(', ')} } from '${up}include/linux/kernel.ts';\n` +
    `import { Decoy, Page as OtherPage, type PageLike } from '${up}lib/decoy.ts';\n`;
}

export function makeProject(files: Record<string, string>, withPrelude: boolean | Set<string> = true): Project {
  const project = new Project({
    useInMemoryFileSystem: true,
    compilerOptions: {
      target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler,
      strict: true, allowImportingTsExtensions: true, noEmit: true, lib: ['lib.es2022.d.ts'],
    },
  });
  for (const [path, text] of Object.entries(BASE_FILES)) project.createSourceFile(`${ROOT}/${path}`, text);
  for (const [path, text] of Object.entries(files)) {
    const pre = withPrelude instanceof Set ? withPrelude.has(path) : withPrelude;
    project.createSourceFile(`${ROOT}/${path}`, pre ? `${prelude(path)}${text}` : text);
  }
  return project;
}

export function analyzeFiles(files: Record<string, string>, spec: Spec = builtinSpec(), withPrelude: boolean | Set<string> = true): AnalysisResult {
  return analyzeProject(makeProject(files, withPrelude), ROOT, { spec });
}

/* ---- RuleTester-style tables ---- */

export interface Expect {
  field: string;
  access: Access;
  kind?: string;
  /** How the kind was decided (guard, provenance, callgraph, owner-hint, unknown). */
  confidence?: string;
  converted?: boolean;
  /** Substring expected in one of the evidence sentences. */
  evidence?: string;
  /** 1-based line in the snippet (not counting the prelude). */
  line?: number;
}

export interface ValidCase {
  name: string;
  code: string;
  /** Where the snippet lives (decides ownership); default cases/<n>.ts. */
  file?: string;
  /** Residue expected (substrings of reasons). */
  residue?: string[];
  /** Leave out the import prelude (the snippet imports what it needs itself). */
  noPrelude?: boolean;
}

export interface InvalidCase extends ValidCase {
  expect: Expect[];
}

export interface RuleTable {
  valid: ValidCase[];
  invalid: InvalidCase[];
}

const PRELUDE_LINES = 2;

export function runTable(table: RuleTable, spec?: Spec): { result: AnalysisResult; byFile: Map<string, { findings: Finding[]; residue: Residue[] }> } {
  const files: Record<string, string> = {};
  const withPrelude = new Set<string>();
  const all = [...table.valid, ...table.invalid];
  all.forEach((c, i) => {
    const file = c.file ?? `cases/c${i}.ts`;
    if (files[file] !== undefined) throw new Error(`duplicate case file ${file}`);
    files[file] = c.noPrelude ? `\n\n${c.code}` : c.code;
    if (!c.noPrelude) withPrelude.add(file);
  });
  const result = analyzeFiles(files, spec, withPrelude);
  const byFile = new Map<string, { findings: Finding[]; residue: Residue[] }>();
  for (const f of result.findings) {
    const e = byFile.get(f.file) ?? { findings: [], residue: [] };
    e.findings.push(f);
    byFile.set(f.file, e);
  }
  for (const r of result.residue) {
    const e = byFile.get(r.file) ?? { findings: [], residue: [] };
    e.residue.push(r);
    byFile.set(r.file, e);
  }
  return { result, byFile };
}

export function caseFile(table: RuleTable, c: ValidCase): string {
  const i = [...table.valid, ...table.invalid].indexOf(c);
  return c.file ?? `cases/c${i}.ts`;
}

function describeFinding(f: Finding): string {
  return `${f.file}:${f.line - PRELUDE_LINES}:${f.column} ${f.kind} [${f.confidence}] ${f.access} ${f.field}${f.converted ? ' (converted)' : ''} — ${f.evidence.join(' | ')}`;
}

export function checkValid(got: { findings: Finding[]; residue: Residue[] } | undefined, c: ValidCase): void {
  const findings = got?.findings ?? [];
  expect(findings.map(describeFinding), `valid case "${c.name}" must not be reported`).toEqual([]);
  checkResidue(got, c);
}

function checkResidue(got: { findings: Finding[]; residue: Residue[] } | undefined, c: ValidCase): void {
  const residue = got?.residue ?? [];
  const want = c.residue ?? [];
  expect(residue.length, `residue of "${c.name}": ${residue.map((r) => r.reason).join(' | ')}`).toBe(want.length);
  want.forEach((w, i) => expect(residue[i]!.reason).toContain(w));
}

export function checkInvalid(got: { findings: Finding[]; residue: Residue[] } | undefined, c: InvalidCase): void {
  const findings = got?.findings ?? [];
  const shown = findings.map(describeFinding);
  expect(findings.length, `"${c.name}" findings:\n${shown.join('\n')}`).toBe(c.expect.length);
  c.expect.forEach((e, i) => {
    const f = findings[i]!;
    const where = `"${c.name}" finding ${i}: ${shown[i]}`;
    expect(f.field, where).toBe(e.field);
    expect(f.access, where).toBe(e.access);
    if (e.kind !== undefined) expect(f.kind, where).toBe(e.kind);
    if (e.confidence !== undefined) expect(f.confidence, where).toBe(e.confidence);
    // Never a kind without saying how, never "unknown" dressed up as a decision.
    expect(f.confidence === 'unknown', where).toBe(f.kind === 'unknown');
    if (e.converted !== undefined) expect(f.converted, where).toBe(e.converted);
    if (e.line !== undefined) expect(f.line - PRELUDE_LINES, where).toBe(e.line);
    if (e.evidence !== undefined) expect(f.evidence.join(' | '), where).toContain(e.evidence);
  });
  checkResidue(got, c);
}
