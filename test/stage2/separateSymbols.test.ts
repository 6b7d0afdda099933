/**
 * `memdesc separate` decides from symbols, not names (separateSymbols.ts): a call is the page
 * allocator, a helper or a converter when it resolves to that declaration through the type
 * checker. Snippet tables on a small fixture (an invented "cup" kind): `valid` rows plan, follow
 * what they should and type-check; `invalid` rows are refused with the site named, where a
 * name-based plan would have rewritten code that is not the allocator.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadProgram } from '../../src/analyzers/project.ts';
import { typeErrors } from '../../src/rewrite/check.ts';
import { overlayProgram } from '../../src/ts/programs.ts';
import { planKind, type KindPlan } from '../../src/stage2/separatePlan.ts';
import { exportIndex, findInfra } from '../../src/stage2/separateInfra.ts';
import { builtinSpec } from '../../src/model/builtin.ts';
import type { KindSpec, Spec } from '../../src/model/spec.ts';
import { CheckFailed } from '../../src/errors.ts';
import { auditProgram } from '../../src/stage2/audit.ts';
import { BREW, CUP, MM } from './cupFixture.ts';

const dirs: string[] = [];
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

function project(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'memdesc-sepsymbols-'));
  dirs.push(root);
  writeFileSync(join(root, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { strict: true, target: 'es2022', module: 'nodenext', allowImportingTsExtensions: true, noEmit: true, skipLibCheck: true, noUnusedLocals: false },
    include: ['**/*.ts'],
  }));
  for (const [name, text] of Object.entries({ 'mm.ts': MM, 'cup.ts': CUP, 'brew.ts': BREW, ...files })) {
    mkdirSync(join(root, name, '..'), { recursive: true });
    writeFileSync(join(root, name), text);
  }
  return root;
}

function cupSpec(): { spec: Spec; kind: KindSpec } {
  const spec = builtinSpec();
  const kind = {
    name: 'cup', description: 'cups', descriptor: { class: 'Cup', placement: 'cup.ts' },
    fields: [{ field: 'index', to: ['handle'] }],
    converters: { fromPage: ['page_cup'], toPage: ['cup_page'], fromAddress: [] },
    pageTypeTests: [{ name: 'PageCup', negates: false }], owners: [], provenance: [],
  } as unknown as KindSpec;
  return { spec: { ...spec, kinds: [...spec.kinds, kind] }, kind };
}

/** Plan the cup kind on the fixture with `files` added; the result must type-check. */
function plan(files: Record<string, string>): { plan: KindPlan; text: (file: string) => string | undefined } {
  const dir = project(files);
  const { program, root } = loadProgram(dir);
  expect(typeErrors(program, root).map((e) => e.message)).toEqual([]);
  const { spec, kind } = cupSpec();
  const p = planKind({ program, root, spec, kind, infra: findInfra(exportIndex(program, root), spec, kind) });
  const after = overlayProgram(program, p.texts);
  expect(typeErrors(after, root).map((e) => `${e.file}: ${e.message}`)).toEqual([]);
  return { plan: p, text: (file) => p.texts.get(join(root, file)) };
}

function refusal(files: Record<string, string>): string {
  try {
    plan(files);
  } catch (e) {
    if (e instanceof CheckFailed) return e.message;
    throw e;
  }
  throw new Error('the plan did not refuse');
}

interface Valid {
  name: string;
  files: Record<string, string>;
  check: (r: ReturnType<typeof plan>) => void;
}

const valid: Valid[] = [
  {
    name: 'an aliased import of the allocator is still followed, and the alias goes with its last use',
    files: {
      'tray.ts': `
import { alloc_pages as get_pages, __SetPageCup } from './mm.ts';
import { Cup, page_cup } from './cup.ts';
export function tray_cup(gfp: number): Cup | null {
  const page = get_pages(gfp, 1);
  if (!page) return null;
  __SetPageCup(page);
  return page_cup(page);
}
`,
    },
    check: ({ plan: p, text }) => {
      expect(p.sites.allocs).toContain('tray.ts:5 tray_cup()');
      const tray = text('tray.ts')!;
      expect(tray).toContain('const page = cup_alloc_pages(gfp, 1);');
      expect(tray).not.toContain('get_pages');
    },
  },
  {
    name: 'a renamed re-export of the allocator (through a barrel) is followed',
    files: {
      'barrel.ts': `export { alloc_pages as fresh_pages, __SetPageCup as mark_cup } from './mm.ts';\n`,
      'tray.ts': `
import { fresh_pages, mark_cup } from './barrel.ts';
import { Cup, page_cup } from './cup.ts';
export function tray_cup(gfp: number): Cup | null {
  const page = fresh_pages(gfp, 2);
  if (!page) return null;
  mark_cup(page);
  return page_cup(page);
}
`,
    },
    check: ({ plan: p, text }) => {
      expect(p.sites.allocs).toContain('tray.ts:5 tray_cup()');
      expect(text('tray.ts')).toContain('const page = cup_alloc_pages(gfp, 2);');
    },
  },
  {
    name: 'a call through a namespace import is the allocator too',
    files: {
      'tray.ts': `
import * as mm from './mm.ts';
import { Cup, page_cup } from './cup.ts';
export function tray_cup(gfp: number): Cup | null {
  const page = mm.alloc_pages(gfp, 0);
  if (!page) return null;
  mm.__SetPageCup(page);
  return page_cup(page);
}
`,
    },
    check: ({ plan: p, text }) => {
      expect(p.sites.allocs).toContain('tray.ts:5 tray_cup()');
      expect(text('tray.ts')).toContain('const page = cup_alloc_pages(gfp, 0);');
    },
  },
  {
    name: 'a same-named local function in another file is not taken for the allocator: that file is left alone',
    files: {
      'pool.ts': `
import { Page } from './mm.ts';
const spare: Page[] = [];
function alloc_pages(gfp: number, order: number): Page | null { return gfp + order > 0 ? spare.pop() ?? null : null; }
export function spare_page(gfp: number): Page | null {
  const page = alloc_pages(gfp, 0);
  return page;
}
`,
    },
    check: ({ plan: p, text }) => {
      expect(text('pool.ts')).toBeUndefined();
      expect(p.sites.allocs).toEqual(['brew.ts:6 new_cup()']);
    },
  },
  {
    name: 'a parameter shadowing a free helper\'s name is left alone (it is not the helper)',
    files: {
      'drain.ts': `
import type { Page } from './mm.ts';
export function drain(free_cup_pages: (page: Page, order: number) => void, page: Page): void {
  free_cup_pages(page, 0);
}
`,
    },
    check: ({ plan: p, text }) => {
      expect(text('drain.ts')).toBeUndefined();
      expect(p.sites.frees).toEqual(['brew.ts:19 drop_cup() via free_cup_pages()']);
      expect(text('brew.ts')).toContain('function free_cup_pages(page: Page, order: number): void {\n  cup_free_pages(page, order);');
    },
  },
  {
    name: 'the converters imported under an alias, or re-exported under another name, come from the new module',
    files: {
      'barrel.ts': `export { page_cup as cupOf } from './cup.ts';\n`,
      'peek.ts': `
import { cup_page as pageOfCup, type Cup } from './cup.ts';
import { cupOf } from './barrel.ts';
import type { Page } from './mm.ts';
export function same(cup: Cup, page: Page): boolean { return pageOfCup(cup) === page && cupOf(page).addr === cup.addr; }
`,
    },
    check: ({ text }) => {
      expect(text('barrel.ts')).toBe(`export { page_cup as cupOf } from './cup_memdesc.ts';\n`);
      const peek = text('peek.ts')!;
      expect(peek).toContain(`import { type Cup } from './cup.ts';`);
      expect(peek).toContain(`import { cup_page as pageOfCup } from './cup_memdesc.ts';`);
    },
  },
];

interface Invalid {
  name: string;
  files: Record<string, string>;
  error: RegExp;
}

const invalid: Invalid[] = [
  {
    name: 'a cup constructed from a same-named local "alloc_pages" (a pool, not the allocator): its allocation cannot be followed',
    files: {
      'pool.ts': `
import { Page, __SetPageCup } from './mm.ts';
import { Cup, page_cup } from './cup.ts';
const spare: Page[] = [];
function alloc_pages(gfp: number, order: number): Page | null { return gfp + order > 0 ? spare.pop() ?? null : null; }
export function pool_cup(gfp: number): Cup | null {
  const page = alloc_pages(gfp, 0);
  if (!page) return null;
  __SetPageCup(page);
  return page_cup(page);
}
`,
    },
    error: /pool\.ts:9: pool_cup\(\) constructs `page` with __SetPageCup\(\) but does not allocate it/,
  },
  {
    name: 'a method named like the allocator (`arena.alloc_pages()`) is not the allocator',
    files: {
      'arena.ts': `
import { Page, __SetPageCup } from './mm.ts';
import { Cup, page_cup } from './cup.ts';
class Arena {
  alloc_pages(gfp: number, order: number): Page | null { return new Page(gfp + order); }
}
const arena = new Arena();
export function arena_cup(gfp: number): Cup | null {
  const page = arena.alloc_pages(gfp, 0);
  if (!page) return null;
  __SetPageCup(page);
  return page_cup(page);
}
`,
    },
    error: /arena\.ts:11: arena_cup\(\) constructs `page` with __SetPageCup\(\) but does not allocate it/,
  },
  {
    name: 'an inner variable shadowing the allocated page: the page constructed is not the one allocated',
    files: {
      'shadow.ts': `
import { Page, alloc_pages, __SetPageCup } from './mm.ts';
import { Cup, page_cup } from './cup.ts';
export function shadow_cup(gfp: number, other: Page): Cup | null {
  const page = alloc_pages(gfp, 0);
  if (!page) return null;
  {
    const page = other;
    __SetPageCup(page);
    return page_cup(page);
  }
}
`,
    },
    error: /shadow\.ts:9: shadow_cup\(\) constructs `page` with __SetPageCup\(\) but does not allocate it/,
  },
];

describe('separate decides from symbols: valid', () => {
  for (const row of valid) it(row.name, () => row.check(plan(row.files)));
});

describe('separate decides from symbols: invalid (refused, the site named, nothing planned)', () => {
  for (const row of invalid) it(row.name, () => expect(refusal(row.files)).toMatch(row.error));
});

describe('the audit decides from symbols too: converters by what a call resolves to', () => {
  it('a round trip through aliased converters is named; a same-named local pair elsewhere is no converter', () => {
    const dir = project({
      'trip.ts': `
import { page_cup as cupOf, cup_page as pageOf } from './cup.ts';
import type { Page } from './mm.ts';
export function same(page: Page): boolean { return pageOf(cupOf(page)) === page; }
`,
      'local.ts': `
import { Page } from './mm.ts';
function page_cup(page: Page): { addr: number } { return { addr: page.addr }; }
function cup_page(x: { addr: number }): Page { return new Page(x.addr); }
export function local_same(page: Page): boolean { return cup_page(page_cup(page)).addr === page.addr; }
`,
    });
    const { program, root } = loadProgram(dir);
    expect(typeErrors(program, root).map((e) => e.message)).toEqual([]);
    const { spec: base } = cupSpec();
    // The analysis reads the class where the spec says it is: here, mm.ts.
    const spec = { ...base, page: { ...base.page, file: 'mm.ts' } };
    const audit = auditProgram(program, root, { spec, kinds: ['cup'] });
    const trips = audit.blockers.filter((b) => b.reason === 'round-trip').map((b) => `${b.file}:${b.line} ${b.function}`);
    expect(trips).toEqual(['trip.ts:4 same']);
  });
});
