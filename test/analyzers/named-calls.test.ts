/**
 * The spec's address helpers (`virt_to_page`, `page_address`) and neutral sources (`pfn_to_page`)
 * are the functions a call resolves to (namedCalls.ts), not the names it is spelled with: under an
 * import alias, a renamed re-export or a namespace they still carry a page through an address or
 * hand out pages of no kind; a same-named local function is another function, whose code is
 * followed like any other.
 */
import { describe, it } from 'vitest';
import { caseFile, checkInvalid, runTable, type RuleTable } from './helpers.ts';

const P = 'provenance';
const U = 'unknown';
const OWN = `import { Page, pte_alloc_one } from '../include/linux/kernel.ts';\n`;

const table: RuleTable = {
  valid: [
    { name: 'a module renaming the helpers on re-export (no findings of its own)', file: 'cases/renamed.ts', noPrelude: true, code: `
export { virt_to_page as pageOfAddr, page_address as addrOfPage, pfn_to_page as frame } from '../include/linux/mm.ts';` },
  ],
  invalid: [
    { name: 'address helpers under import aliases carry the page through its address', noPrelude: true, code: `${OWN}
import { page_address as addrOf, virt_to_page as pageAt } from '../include/linux/mm.ts';
export function f(): number { const t = pte_alloc_one(0); const a = addrOf(t); return pageAt(a).private; }`,
    expect: [{ field: 'private', access: 'read', kind: 'ptdesc', confidence: P, evidence: '`pte_alloc_one()`' }] },
    { name: 'through a renamed re-export and a namespace', noPrelude: true, code: `${OWN}
import * as r from './renamed.ts';
export function f(): number { const t = pte_alloc_one(0); return r.pageOfAddr(r.addrOfPage(t)).private; }`,
    expect: [{ field: 'private', access: 'read', kind: 'ptdesc', confidence: P }] },
    { name: 'a neutral source under a renamed re-export hands out pages of no kind', noPrelude: true, code: `${OWN}
import { frame } from './renamed.ts';
export function f(): number { const p = frame(3); return p.index; }`,
    expect: [{ field: 'index', access: 'read', kind: U, confidence: U, evidence: '`frame()` at cases/c3.ts:6 hands out pages of no kind' }] },
    { name: 'a same-named local is not the address helper: its own code is followed', noPrelude: true, code: `${OWN}
export function f(): number {
  const t = pte_alloc_one(0);
  const virt_to_page = (a: number): Page => new Page(a + 64);
  return virt_to_page(t.addr).private;
}`,
    expect: [{ field: 'private', access: 'read', kind: U, confidence: U }] },
    { name: 'a same-named local is not the neutral source', noPrelude: true, code: `${OWN}
export function f(): number {
  const pfn_to_page = (n: number): Page => pte_alloc_one(n);
  return pfn_to_page(3).private;
}`,
    expect: [{ field: 'private', access: 'read', kind: 'ptdesc', confidence: P }] },
  ],
};

describe('address helpers and neutral sources by symbol (namedCalls.ts)', () => {
  const { byFile } = runTable(table);
  for (const c of table.invalid) it(c.name, () => checkInvalid(byFile.get(caseFile(table, c)), c));
});
