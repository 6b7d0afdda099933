/**
 * Where a page value goes when it is handed to a call (consumers.ts with callees.ts): whether the
 * call is a type test, an assertion, a converter or the address helper is decided by the function
 * the call resolves to, not by the name it is spelled with. Valid and invalid snippets: a renamed
 * or re-exported test or assertion is still one, a wrapper the spec does not list counts, a
 * same-named local or method or a spec-named function whose code tests nothing is none; the
 * spec's name stands in only where the callee resolves to no declaration, and the reason says so.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { ts } from '@ts-morph/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnalysisContext } from '../../src/analyzers/context.ts';
import { loadProgram } from '../../src/analyzers/project.ts';
import { builtinSpec } from '../../src/model/builtin.ts';
import { classifyConsumer, type Consumer, type ConsumerContext } from '../../src/rewrite/consumers.ts';
import type { FlowInput } from '../../src/rewrite/flow.ts';
import type { KindPlan } from '../../src/rewrite/kinds.ts';
import { makeProject } from './world.ts';

const IMPORTS = `import { Page } from '../include/linux/mm_types.ts';
import { VM_BUG_ON_PAGE, page_address } from '../include/linux/mm.ts';
import { PageSlab, PageTable, PageZsmalloc, PageBuddy } from '../include/linux/page-flags.ts';
`;

interface Case {
  name: string;
  /** The case file's text; `/*@*\/` marks the page argument whose consumer is asked. */
  code: string;
  /** Without the usual imports (the case imports what it needs itself). */
  bare?: boolean;
  expect: RegExp | Consumer['t'];
}

const TESTED = /its kind is tested with/;
const NOT_TESTED = /^(?!.*tested with)/;

const CASES: Case[] = [
  // Type tests: found by what they resolve to.
  { name: 'a spec test, called by its name', code: `export function f(page: Page) { return PageSlab(/*@*/page); }`, expect: /its kind is tested with `PageSlab\(\)`$/ },
  {
    name: 'a spec test imported under another name', bare: true,
    code: `import { Page } from '../include/linux/mm_types.ts';
import { PageSlab as isSlabPage } from '../include/linux/page-flags.ts';
export function f(page: Page) { return isSlabPage(/*@*/page); }`,
    expect: /its kind is tested with `isSlabPage\(\)`$/,
  },
  {
    name: 'a spec test through a renamed re-export', bare: true,
    code: `import { Page } from '../include/linux/mm_types.ts';
import { is_pt } from './reexport.ts';
export function f(page: Page) { return is_pt(/*@*/page); }`,
    expect: TESTED,
  },
  {
    name: 'a spec test through a namespace import', bare: true,
    code: `import { Page } from '../include/linux/mm_types.ts';
import * as flags from '../include/linux/page-flags.ts';
export function f(page: Page) { return flags.PageZsmalloc(/*@*/page); }`,
    expect: TESTED,
  },
  {
    name: 'a wrapper of a test the spec does not list',
    code: `const is_table = (p: Page): boolean => PageTable(p);
export function f(page: Page) { return is_table(/*@*/page); }`,
    expect: /tested with `is_table\(\)`/,
  },
  {
    name: 'a copy of a test under another name (same computation)',
    code: `export function is_buddy_page(p: Page): boolean { return p.page_type === 0xf0; }
export function f(page: Page) { return is_buddy_page(/*@*/page); }`,
    expect: TESTED,
  },
  {
    name: 'a spec-named test declared without a body: by its name, and the reason says so', bare: true,
    code: `import { Page } from '../include/linux/mm_types.ts';
declare function PageBuddy(p: Page): boolean;
export function f(page: Page) { return PageBuddy(/*@*/page); }`,
    expect: /tested with `PageBuddy\(\)` \(`PageBuddy\(\)` has no body to read .*by its name alone\)/,
  },
  {
    name: 'a callee that resolves to nothing: by the spec name, and the reason says so',
    code: `export function f(page: Page, mm: any) { return mm.PageSlab(/*@*/page); }`,
    expect: /tested with `PageSlab\(\)` \(`PageSlab` resolves to no declaration: taken as a type test by its name in the spec\)/,
  },
  // Named like a test, but none by the code.
  {
    name: 'a same-named local function that tests nothing',
    code: `export function f(page: Page) {
  function PageSlab(p: Page): boolean { return p.addr > 0; }
  return PageSlab(/*@*/page);
}`,
    expect: NOT_TESTED,
  },
  {
    name: 'a method of another class with a test\'s name',
    code: `class Cache { PageSlab(p: Page): boolean { return p.addr !== 0; } }
export function f(page: Page) { return new Cache().PageSlab(/*@*/page); }`,
    expect: NOT_TESTED,
  },
  {
    name: 'a module function named like a spec test whose code returns a constant', bare: true,
    code: `import { Page } from '../include/linux/mm_types.ts';
function PageTable(p: Page): boolean { return p !== null; }
export function f(page: Page) { return PageTable(/*@*/page); }`,
    expect: NOT_TESTED,
  },
  {
    name: 'a page passed to a test as another argument than the one it tests',
    code: `function both(a: Page, b: Page): boolean { return PageSlab(a) && b.addr > 0; }
export function f(page: Page, other: Page) { return both(other, /*@*/page); }`,
    expect: NOT_TESTED,
  },
  // Assertions: a test inside an assertion's condition does not keep the page generic.
  { name: 'inside the spec\'s assertion', code: `export function f(page: Page) { VM_BUG_ON_PAGE(!PageSlab(/*@*/page), page); }`, expect: NOT_TESTED },
  {
    name: 'inside the spec\'s assertion imported under another name', bare: true,
    code: `import { Page } from '../include/linux/mm_types.ts';
import { VM_BUG_ON_PAGE as BUG_ON_PAGE } from '../include/linux/mm.ts';
import { PageSlab } from '../include/linux/page-flags.ts';
export function f(page: Page) { BUG_ON_PAGE(!PageSlab(/*@*/page), page); }`,
    expect: NOT_TESTED,
  },
  {
    name: 'inside an `asserts` function the spec does not list',
    code: `function ensure(c: boolean, why: string): asserts c { if (!c) throw new Error(why); }
export function f(page: Page) { ensure(PageSlab(/*@*/page), 'slab'); }`,
    expect: NOT_TESTED,
  },
  {
    name: 'inside an assertion by its code (`if (!c) throw`), through a wrapper assertion',
    code: `function check(c: boolean): void { if (!c) { throw new Error('check'); } }
function check_page(c: boolean, p: Page): void { check(c); }
export function f(page: Page) { check_page(PageSlab(/*@*/page), page); }`,
    expect: NOT_TESTED,
  },
  {
    name: 'inside a same-named local "assertion" that only logs: still a run-time test', bare: true,
    code: `import { Page } from '../include/linux/mm_types.ts';
import { PageSlab } from '../include/linux/page-flags.ts';
const log: string[] = [];
function VM_BUG_ON_PAGE(c: boolean, p: Page): void { if (c) log.push(String(p.addr)); }
export function f(page: Page) { VM_BUG_ON_PAGE(!PageSlab(/*@*/page), page); }`,
    expect: TESTED,
  },
  {
    name: 'inside an assertion\'s message argument, not its condition',
    code: `export function f(page: Page) { VM_BUG_ON_PAGE(false, page, PageSlab(/*@*/page) ? 'slab' : 'other'); }`,
    expect: TESTED,
  },
  // Converters and the address helper, by declaration.
  {
    name: 'a converter the plan names', bare: true,
    code: `import { Page } from '../include/linux/mm_types.ts';
import { page_slab } from './conv.ts';
export function f(page: Page) { return page_slab(/*@*/page); }`,
    expect: 'terminal',
  },
  {
    name: 'a converter imported under another name', bare: true,
    code: `import { Page } from '../include/linux/mm_types.ts';
import { page_slab as to_slab } from './conv.ts';
export function f(page: Page) { return to_slab(/*@*/page); }`,
    expect: 'terminal',
  },
  {
    name: 'a same-named local function is no converter',
    code: `export function f(page: Page) {
  const page_slab = (p: Page): number => p.addr;
  return page_slab(/*@*/page);
}`,
    expect: /passed to `page_slab\(\)`/,
  },
  {
    name: 'a method named like the address helper is not it',
    code: `class Mapper { page_address(p: Page): number { return p.addr * 2; } }
export function f(page: Page) { return new Mapper().page_address(/*@*/page); }`,
    expect: /passed to `page_address\(\)`/,
  },
  { name: 'the address helper itself', code: `export function f(page: Page) { return page_address(/*@*/page); }`, expect: 'terminal' },
];

const MARK = '/*@*/';

describe('consumers: a call\'s role comes from the function it resolves to', () => {
  let dir: string;
  let ctx: AnalysisContext;
  const files = new Map<string, ts.SourceFile>();
  beforeAll(() => {
    const extra: Record<string, string> = {
      'cases/reexport.ts': `export { PageTable as is_pt } from '../include/linux/page-flags.ts';\n`,
      'cases/conv.ts': `import { Page } from '../include/linux/mm_types.ts';\nexport function page_slab(p: Page): number { return p.addr; }\n`,
    };
    CASES.forEach((c, i) => { extra[`cases/c${i}.ts`] = (c.bare ? '' : IMPORTS) + c.code + '\n'; });
    dir = makeProject(extra);
    const { program, root } = loadProgram(dir);
    ctx = new AnalysisContext(builtinSpec(), program, root);
    CASES.forEach((_, i) => files.set(String(i), program.getSourceFile(join(root, `cases/c${i}.ts`))!));
    const broken = program.getSemanticDiagnostics().filter((d) => d.file?.fileName.includes('/cases/'));
    expect(broken.map((d) => `${d.file!.fileName}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`)).toEqual([]);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function consumerAt(sf: ts.SourceFile): Consumer {
    const at = sf.text.indexOf(MARK) + MARK.length;
    let found: ts.Expression | undefined;
    const visit = (n: ts.Node): void => {
      if (ts.isIdentifier(n) && n.getStart(sf) === at) found = n;
      ts.forEachChild(n, visit);
    };
    visit(sf);
    if (!found) throw new Error(`no marked argument in ${sf.fileName}`);
    const slab = { name: 'slab' } as KindPlan;
    const cx: ConsumerContext = {
      ctx, det: undefined as never, inp: { fromPageNames: new Map([['page_slab', slab]]) } as unknown as FlowInput,
      params: new Map(), returns: new Map(), bySym: new Map(), siteByExpr: new Map(), wrapperByFn: new Map(),
      functionOfCall: () => undefined,
    };
    return classifyConsumer(cx, found);
  }

  CASES.forEach((c, i) => {
    it(c.name, () => {
      const r = consumerAt(files.get(String(i))!);
      if (typeof c.expect === 'string') expect(r.t).toBe(c.expect);
      else {
        expect(r.t, JSON.stringify(r)).toBe('block');
        expect((r as { reason: string }).reason).toMatch(c.expect);
      }
    });
  });
});
