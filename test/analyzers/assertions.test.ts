/**
 * An assertion guards what follows because of what its callee's code does (assertions.ts), not
 * because of its name: `if (c) <exit>` fails when its condition holds, `if (!c) <exit>` and
 * `asserts c` make it hold, and a function handing its condition to one of these is one. Valid
 * rows: the call is an assertion under an import alias, a namespace, a wrapper's name, or as an
 * `asserts` function the spec does not list. Invalid rows: a same-named function that only logs, a
 * same-named local, a bodiless function the spec does not name are none, and the site says
 * `unknown`; a bodiless one the spec names is taken by its name, and the evidence says so.
 */
import { describe, it } from 'vitest';
import { caseFile, checkInvalid, runTable, type RuleTable } from './helpers.ts';

const G = 'guard';
const U = 'unknown';
const OWN = `import { Page, PageBuddy, PageSlab, PageTable } from '../include/linux/kernel.ts';\n`;

const table: RuleTable = {
  valid: [],
  invalid: [
    { name: 'the spec\'s assertion under an import alias', noPrelude: true, code: `${OWN}
import { VM_BUG_ON_PAGE as CHECK_PAGE } from '../include/linux/mm.ts';
export function f(page: Page): number { CHECK_PAGE(!PageBuddy(page), page); return page.private; }`,
    expect: [{ field: 'private', access: 'read', kind: 'buddy', confidence: G, evidence: 'asserted by `CHECK_PAGE(!PageBuddy(page), page)`' }] },
    { name: 'through a namespace import', noPrelude: true, code: `${OWN}
import * as dbg from '../include/linux/mm.ts';
export function f(page: Page): number { dbg.VM_BUG_ON_PAGE(!PageTable(page), page); return page.private; }`,
    expect: [{ field: 'private', access: 'read', kind: 'ptdesc', confidence: G }] },
    { name: 'a wrapper handing its condition on, under a name of its own (and its twin: the kind ruled out)', code: `
function page_must_not(c: boolean, p: Page): void { VM_BUG_ON_PAGE(c, p); }
export function f(page: Page): number { page_must_not(!PageSlab(page), page); return page.index; }
export function g(page: Page): number { page_must_not(PageSlab(page), page); return page.index; }`,
    expect: [{ field: 'index', access: 'read', kind: 'slab', confidence: G }, { field: 'index', access: 'read', kind: U, confidence: U }] },
    { name: 'an `asserts` function the spec does not list: the condition holds after it', code: `
function must(c: boolean, why: string): asserts c { if (!c) throw new Error(why); }
export function f(page: Page): number { must(PageTable(page), 'table'); return page.private; }`,
    expect: [{ field: 'private', access: 'read', kind: 'ptdesc', confidence: G, evidence: 'asserted by `must(PageTable(page), \'table\')`' }] },
    { name: 'the sense comes from the code: `if (!c) throw` holds, under any name', code: `
function expect_page(c: boolean): void { if (!c) throw new Error('page'); }
export function f(page: Page): number { expect_page(PageBuddy(page)); return page.private; }
export function g(page: Page): number { expect_page(!PageBuddy(page)); return page.private; }`,
    expect: [{ field: 'private', access: 'read', kind: 'buddy', confidence: G }, { field: 'private', access: 'read', kind: U, confidence: U }] },
    { name: 'a function named like the spec\'s assertion that only logs is none', noPrelude: true, code: `${OWN}
const log: number[] = [];
function VM_BUG_ON_PAGE(c: boolean, p: Page): void { if (c) log.push(p.addr); }
export function f(page: Page): number { VM_BUG_ON_PAGE(!PageBuddy(page), page); return page.private; }`,
    expect: [{ field: 'private', access: 'read', kind: U, confidence: U }] },
    { name: 'a same-named local that asserts nothing is not the spec\'s assertion', noPrelude: true, code: `${OWN}
export function f(page: Page): number {
  const VM_BUG_ON = (c: boolean): boolean => c;
  VM_BUG_ON(!PageSlab(page));
  return page.index;
}`,
    expect: [{ field: 'index', access: 'read', kind: U, confidence: U }] },
    { name: 'no body to read, named by the spec: taken by its name, and the evidence says so', noPrelude: true, code: `${OWN}
declare function VM_BUG_ON(c: boolean): void;
export function f(page: Page): number { VM_BUG_ON(!PageSlab(page)); return page.index; }`,
    expect: [{ field: 'index', access: 'read', kind: 'slab', confidence: G, evidence: 'has no body to read' }] },
    { name: 'no body to read and a name the spec does not know: no assertion', noPrelude: true, code: `${OWN}
declare function CHECK_IT(c: boolean): void;
export function f(page: Page): number { CHECK_IT(!PageSlab(page)); return page.index; }`,
    expect: [{ field: 'index', access: 'read', kind: U, confidence: U }] },
  ],
};

describe('assertions from the code (assertions.ts)', () => {
  const { byFile } = runTable(table);
  for (const c of table.invalid) it(`${c.expect[0]!.confidence === G ? 'an assertion' : 'no assertion'}: ${c.name}`, () => checkInvalid(byFile.get(caseFile(table, c)), c));
});
