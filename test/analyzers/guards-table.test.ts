/**
 * Page-type guards in every form a reviewer writes them (issue 13): if / else if / switch,
 * early exits, assertions, && / || / ?: chains, tests kept in locals, negations, guards that
 * protect a whole callee. Each form has a negative twin that must be "unknown" (the test on
 * another variable, the local or the page reassigned, a branch where the test failed), and the
 * code beats the spec's owner lists. Snippets live in unowned files (cases/…) unless a case
 * says otherwise, so nothing but the code can decide them.
 */
import { describe, it } from 'vitest';
import { caseFile, checkInvalid, checkValid, runTable, type RuleTable } from './helpers.ts';

const G = 'guard';
const U = 'unknown';

const table: RuleTable = {
  valid: [
    { name: 'type tests alone are no raw accesses', code: `
export function f(page: Page): number { const isSlab = PageSlab(page); if (isSlab || PageTable(page)) return 1; return 0; }` },
  ],
  invalid: [
    /* ---- if / else if / else ---- */
    { name: 'if', code: `
export function f(page: Page): number { if (PageTable(page)) return page.private; return 0; }`,
    expect: [{ field: 'private', access: 'read', kind: 'ptdesc', confidence: G, evidence: 'guarded by `PageTable(page)`' }] },
    { name: 'if: twin, the test is on another page', code: `
export function f(page: Page, other: Page): number { if (PageTable(other)) return page.private; return 0; }`,
    expect: [{ field: 'private', access: 'read', kind: U, confidence: U, evidence: 'no page-type test guards `page`' }] },
    { name: 'else if', code: `
export function f(page: Page): number { if (PageSlab(page)) return 1; else if (PageTable(page)) return page.private; return 0; }`,
    expect: [{ field: 'private', access: 'read', kind: 'ptdesc', confidence: G, evidence: 'guarded by `PageTable(page)`' }] },
    { name: 'else if: twin, reached only when the test failed', code: `
export function f(page: Page, x: boolean): number { if (PageTable(page)) return 1; else if (x) return page.private; return 0; }`,
    expect: [{ field: 'private', access: 'read', kind: U, confidence: U }] },
    { name: 'else of a negated test', code: `
export function f(page: Page): number { if (!PageZsmalloc(page)) return 0; else return page.private; }`,
    expect: [{ field: 'private', access: 'read', kind: 'zpdesc', confidence: G }] },

    /* ---- switch ---- */
    { name: 'switch (true) cases', code: `
export function f(page: Page): number {
  switch (true) {
    case PageSlab(page): return page.index;
    case PageTable(page): { const v = page.private; return v; }
    default: return 0;
  }
}`,
    expect: [
      { field: 'index', access: 'read', kind: 'slab', confidence: G, evidence: 'in `case PageSlab(page):` of `switch (true)`' },
      { field: 'private', access: 'read', kind: 'ptdesc', confidence: G },
    ] },
    { name: 'switch: twin, a case reached by falling through', code: `
export function f(page: Page): number {
  let n = 0;
  switch (true) {
    case PageSlab(page): n++;
    case PageTable(page): return page.private + n;
  }
  return n;
}`,
    expect: [{ field: 'private', access: 'read', kind: U, confidence: U }] },
    { name: 'switch: twin, two empty cases in a row are one of two kinds', code: `
export function f(page: Page): number {
  switch (true) {
    case PageSlab(page):
    case PageTable(page): return page.private;
  }
  return 0;
}`,
    expect: [{ field: 'private', access: 'read', kind: U, confidence: U, evidence: 'one of slab, ptdesc' }] },
    { name: 'switch: in default every case failed (rules out the owner hint)', file: 'mm/slab.ts', code: `
export function f(page: Page): number {
  switch (true) {
    case PageSlab(page): return 0;
    default: return page.index;
  }
}`,
    expect: [{ field: 'index', access: 'read', kind: U, confidence: U, evidence: 'in mm/slab.ts, owned by slab, but after `case PageSlab(page):` of `switch (true)` did not match' }] },
    { name: 'switch: a run of cases ending in default knows only the cases before it failed', file: 'arch/x86/mm/pgtable.ts', code: `
export function g(page: Page, x: boolean): number {
  switch (true) {
    case x: return 0;
    case PageBuddy(page):
    default: return page.private;
    case PageTable(page): return 1;
  }
}`,
    expect: [{ field: 'private', access: 'read', kind: 'ptdesc', confidence: 'owner-hint' }] },
    { name: 'switch: twin, default only rules kinds out', code: `
export function f(page: Page): number { switch (true) { case PageSlab(page): return 0; default: return page.index; } }`,
    expect: [{ field: 'index', access: 'read', kind: U, confidence: U }] },

    /* ---- tests written in place: what a kind's test computes (PageTable(p) is p.flags === 3 here) ---- */
    { name: 'in place: the computation of a kind\'s test is that test', code: `
const TABLE = 3;
export function f(page: Page): number { if (page.flags === TABLE) return page.private; return 0; }`,
    expect: [{ field: 'private', access: 'read', kind: 'ptdesc', confidence: G, evidence: '(what `PageTable()` tests)' }] },
    { name: 'in place: the other way round, negated, as an early exit', code: `
export function f(page: Page): number { if (3 !== page.flags) return 0; return page.private; }`,
    expect: [{ field: 'private', access: 'read', kind: 'ptdesc', confidence: G, evidence: 'after the early exit on `3 !== page.flags`' }] },
    { name: 'in place: through a helper that returns the page\'s state', code: `
function typeOf(p: Page): number { return p.flags; }
export function f(page: Page): number { return typeOf(page) === 2 ? page.index : 0; }`,
    expect: [{ field: 'index', access: 'read', kind: 'slab', confidence: G, evidence: '(what `PageSlab()` tests)' }] },
    { name: 'in place: twin, a value no kind\'s test compares with', code: `
export function f(page: Page): number { if (page.flags === 7) return page.private; return 0; }`,
    expect: [{ field: 'private', access: 'read', kind: U, confidence: U }] },
    { name: 'in place: twin, the test is on another page', code: `
export function f(page: Page, other: Page): number { if (other.flags === 3) return page.private; return 0; }`,
    expect: [{ field: 'private', access: 'read', kind: U, confidence: U }] },
    { name: 'in place: twin, a word that is not the one the tests read', code: `
export function f(page: Page): number { if (page.index === 3) return page.private; return 0; }`,
    expect: [{ field: 'index', access: 'read', kind: U, confidence: U }, { field: 'private', access: 'read', kind: U, confidence: U }] },
    { name: 'switch on the page\'s state: each case is the test of its value', code: `
export function f(page: Page): number {
  switch (page.flags) {
    case 2: return page.index;
    case 3: { const v = page.private; return v; }
    default: return 0;
  }
}`,
    expect: [
      { field: 'index', access: 'read', kind: 'slab', confidence: G, evidence: 'in `case 2:` of `switch (page.flags)`' },
      { field: 'private', access: 'read', kind: 'ptdesc', confidence: G },
    ] },
    { name: 'switch on the page\'s state: twin, a case reached by falling through', code: `
export function f(page: Page): number {
  let n = 0;
  switch (page.flags) {
    case 2: n++;
    case 3: return page.private + n;
  }
  return n;
}`,
    expect: [{ field: 'private', access: 'read', kind: U, confidence: U }] },
    { name: 'switch on the page\'s state: twin, a value that is not the page\'s', code: `
export function f(page: Page, x: number): number { switch (x) { case 3: return page.private; } return 0; }`,
    expect: [{ field: 'private', access: 'read', kind: U, confidence: U }] },
    { name: 'a function computing a kind\'s test another way is that test', code: `
const isPt = (p: Page): boolean => 3 === p.flags;
export function f(page: Page): number { if (!isPt(page)) return 0; return page.private; }`,
    expect: [{ field: 'private', access: 'read', kind: 'ptdesc', confidence: G, evidence: 'after the early exit on `!isPt(page)`' }] },

    /* ---- early exits ---- */
    { name: 'early return, throw and continue', code: `
export function f(page: Page, pages: Page[]): number {
  let n = 0;
  for (const p of pages) { if (!PageBuddy(p)) continue; n += p.private; }
  if (!PageSlab(page)) throw new Error('not slab');
  return n + page.index;
}`,
    expect: [
      { field: 'private', access: 'read', kind: 'buddy', confidence: G, evidence: 'after the early exit on `!PageBuddy(p)`' },
      { field: 'index', access: 'read', kind: 'slab', confidence: G },
    ] },
    { name: 'early exit: twin, the branch does not leave', code: `
export function f(page: Page): number { let n = 0; if (!PageSlab(page)) n++; return page.index + n; }`,
    expect: [{ field: 'index', access: 'read', kind: U, confidence: U }] },
    { name: 'early exit: twin, the page is reassigned after the guard', code: `
export function f(page: Page): number { if (!PageSlab(page)) return 0; page = pfn_to_page(1); return page.index; }`,
    expect: [{ field: 'index', access: 'read', kind: U, confidence: U }] },
    { name: 'early exit: twin, the page is reassigned in a loop the guard is outside of', code: `
export function f(page: Page, n: number): number {
  let s = 0;
  if (PageSlab(page)) { for (let i = 0; i < n; i++) { s += page.index; page = pfn_to_page(i); } }
  return s;
}`,
    expect: [{ field: 'index', access: 'read', kind: U, confidence: U }] },
    { name: 'loop condition re-tested on every iteration still guards', code: `
export function f(page: Page): void { while (PageBuddy(page)) { page.private = 0; page = pfn_to_page(page.index); } }`,
    expect: [{ field: 'private', access: 'write', kind: 'buddy', confidence: G }, { field: 'index', access: 'read', kind: 'buddy', confidence: G }] },

    /* ---- assertions ---- */
    { name: 'assertion VM_BUG_ON_PAGE(!PageX(p))', code: `
export function f(page: Page): number { VM_BUG_ON_PAGE(!PageBuddy(page), page); return page.private; }`,
    expect: [{ field: 'private', access: 'read', kind: 'buddy', confidence: G, evidence: 'asserted by `VM_BUG_ON_PAGE(!PageBuddy(page), page)`' }] },
    { name: 'assertion: twin, asserting the page is NOT of the kind', code: `
export function f(page: Page): number { VM_BUG_ON_PAGE(PageBuddy(page), page); return page.private; }`,
    expect: [{ field: 'private', access: 'read', kind: U, confidence: U }] },

    /* ---- && / || / ?: chains ---- */
    { name: '&& chain', code: `
export function f(page: Page, x: boolean): boolean { if (x && PageSlab(page) && page.index > 0) return true; return PageTable(page) && page.private > 0; }`,
    expect: [{ field: 'index', access: 'read', kind: 'slab', confidence: G }, { field: 'private', access: 'read', kind: 'ptdesc', confidence: G }] },
    { name: '&& chain: twin, the test is on another page', code: `
export function f(page: Page, other: Page): boolean { return PageSlab(other) && page.index > 0; }`,
    expect: [{ field: 'index', access: 'read', kind: U, confidence: U }] },
    { name: '|| chain: the right side runs only when the left failed; early exit on an ||', code: `
export function f(page: Page, x: boolean): number { if (!PageSlab(page) || page.index === 0) return 0; if (!PageSlab(page) || !x) return 1; return page.mapping; }`,
    expect: [{ field: 'index', access: 'read', kind: 'slab', confidence: G }, { field: 'mapping', access: 'read', kind: 'slab', confidence: G }] },
    { name: '|| chain: twin, only one side tests the page', code: `
export function f(page: Page, x: boolean): number { if (PageSlab(page) || x) return page.index; return 0; }`,
    expect: [{ field: 'index', access: 'read', kind: U, confidence: U }] },
    { name: '?: chain', code: `
export function f(page: Page): number { return PageTable(page) ? page.private : PageZsmalloc(page) ? page.index : 0; }`,
    expect: [{ field: 'private', access: 'read', kind: 'ptdesc', confidence: G }, { field: 'index', access: 'read', kind: 'zpdesc', confidence: G }] },
    { name: '?: chain: twin, the false branch of the test', code: `
export function f(page: Page): number { return PageTable(page) ? 0 : page.private; }`,
    expect: [{ field: 'private', access: 'read', kind: U, confidence: U }] },

    /* ---- tests kept in locals ---- */
    { name: 'a test kept in a local', code: `
export function f(page: Page): number { const isTable = PageTable(page); let n = 1; if (isTable) return page.private + n; return n; }`,
    expect: [{ field: 'private', access: 'read', kind: 'ptdesc', confidence: G, evidence: 'where `isTable` = `PageTable(page)`' }] },
    { name: 'a negated test and a chain kept in locals', code: `
export function f(page: Page, n: number): number { const notSlab = !PageSlab(page); if (notSlab) return 0; const ok = PageSlab(page) && n > 0; return ok ? page.index : page.mapping; }`,
    expect: [{ field: 'index', access: 'read', kind: 'slab', confidence: G }, { field: 'mapping', access: 'read', kind: 'slab', confidence: G }] },
    { name: 'local: twin, the local is reassigned before use', code: `
export function f(page: Page, x: boolean): number { let isTable = PageTable(page); isTable = x; if (isTable) return page.private; return 0; }`,
    expect: [{ field: 'private', access: 'read', kind: U, confidence: U }] },
    { name: 'local: twin, the page is reassigned between the test and its use', code: `
export function f(page: Page): number { const isTable = PageTable(page); page = pfn_to_page(2); if (isTable) return page.private; return 0; }`,
    expect: [{ field: 'private', access: 'read', kind: U, confidence: U }] },

    /* ---- negations ---- */
    { name: 'negations: !!, === false, !== true', code: `
export function f(page: Page): number { if (PageSlab(page) === false) return 0; if (PageSlab(page) !== true) return 1; return !!PageSlab(page) ? page.index : 0; }`,
    expect: [{ field: 'index', access: 'read', kind: 'slab', confidence: G }] },
    { name: 'negations: twin, inside the negated test', code: `
export function f(page: Page): number { if (!PageSlab(page)) return page.index; return 0; }`,
    expect: [{ field: 'index', access: 'read', kind: U, confidence: U }] },

    /* ---- a guard that protects a whole callee ---- */
    { name: 'a callee only ever called under the test', code: `
function pt_private(p: Page): number { return p.private + 1; }
export function f(page: Page): number { if (PageTable(page)) return pt_private(page); return 0; }
export function g(page: Page): number { return PageTable(page) ? pt_private(page) : 0; }`,
    expect: [{ field: 'private', access: 'read', kind: 'ptdesc', confidence: 'callgraph', evidence: 'via the parameter of `pt_private()` (2 callers)' }] },
    { name: 'callee: twin, one caller does not test', code: `
function pt_private2(p: Page): number { return p.private + 1; }
export function f(page: Page): number { if (PageTable(page)) return pt_private2(page); return pt_private2(page); }`,
    expect: [{ field: 'private', access: 'read', kind: U, confidence: U }] },

    /* ---- the code against the owner lists ---- */
    { name: 'a guard beats the owner file, and says so', file: 'mm/slub.ts', code: `
export function f(page: Page): number { if (PageTable(page)) return page.private; return page.index; }`,
    expect: [
      { field: 'private', access: 'read', kind: 'ptdesc', confidence: G, evidence: 'overrides: in mm/slub.ts, owned by slab' },
      // after the if that returns: only "not a page table" is known, the owner hint stands, labelled as such
      { field: 'index', access: 'read', kind: 'slab', confidence: 'owner-hint', evidence: 'in mm/slub.ts, owned by slab' },
    ] },
    { name: 'the owner file alone is a hint (and a one-line function nobody calls is no wrapper: its access is reported)', file: 'mm/zsmalloc.ts', code: `
export function f(page: Page): number { return page.index; }`,
    expect: [{ field: 'index', access: 'read', kind: 'zpdesc', confidence: 'owner-hint' }] },
    { name: 'provenance, and a guard that contradicts it', code: `
export function f(): number { const p = alloc_slab_page(0); const q = alloc_slab_page(1); return p.index + (PageTable(q) ? q.private : 0); }`,
    expect: [
      { field: 'index', access: 'read', kind: 'slab', confidence: 'provenance' },
      { field: 'private', access: 'read', kind: U, confidence: U, evidence: 'conflicting code evidence' },
    ] },
    { name: 'a guard in the callee against what every caller passes: unknown with both sides', code: `
function chk(p: Page): number { if (PageTable(p)) return p.private; return 0; }
export function f(): number { return chk(alloc_slab_page(0)); }`,
    expect: [{ field: 'private', access: 'read', kind: U, confidence: U, evidence: '(ptdesc), but `p` comes from `alloc_slab_page()`' }] },
    { name: 'callers passing two kinds beat the owner hint: unknown with both', file: 'mm/vmalloc.ts', code: `
function vm_helper(p: Page): number { const v = p.private; return v + 1; }
export function f(): number { return vm_helper(alloc_slab_page(0)) + vm_helper(pte_alloc_one(0)); }`,
    expect: [{ field: 'private', access: 'read', kind: U, confidence: U, evidence: 'generic: pages of slab, ptdesc reach `p`: slab from `alloc_slab_page()`' }] },
    { name: 'callers of two kinds narrowed by a guard in the callee', code: `
function two(p: Page): number {
  if (PageSlab(p)) return p.index;
  if (PageTable(p)) return 0;
  return p.private;
}
export function f(): number { return two(alloc_slab_page(0)) + two(pte_alloc_one(0)); }`,
    expect: [
      { field: 'index', access: 'read', kind: 'slab', confidence: G, evidence: 'pages of slab, ptdesc reach `p`' },
      { field: 'private', access: 'read', kind: U, confidence: U },
    ] },
    { name: 'callers of two kinds, an early exit rules one out', code: `
function other(p: Page): number {
  if (PageSlab(p)) return 0;
  const v = p.private;
  return v;
}
export function f(): number { return other(alloc_slab_page(0)) + other(pte_alloc_one(0)); }`,
    expect: [{ field: 'private', access: 'read', kind: 'ptdesc', confidence: 'callgraph', evidence: 'only ptdesc remains' }] },
    { name: 'callers of two kinds, a guard for a third kind: unknown', code: `
function third(p: Page): number { if (PageBuddy(p)) return p.private; return 0; }
export function f(): number { return third(alloc_slab_page(0)) + third(pte_alloc_one(0)); }`,
    expect: [{ field: 'private', access: 'read', kind: U, confidence: U, evidence: 'conflicting code evidence' }] },
  ],
};

describe('guards: every form, each with a negative twin', () => {
  const { byFile } = runTable(table);
  for (const c of table.valid) it(c.name, () => checkValid(byFile.get(caseFile(table, c)), c));
  for (const c of table.invalid) it(c.name, () => checkInvalid(byFile.get(caseFile(table, c)), c));
});
