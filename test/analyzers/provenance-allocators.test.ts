/**
 * A kind's allocators and converters (the spec's `provenance` and `converters.toPage`, globs of
 * declared names) are found by the function a call resolves to (provenance.ts via namedCalls.ts),
 * not by the name the call is spelled with: an import alias, a renamed re-export or a namespace
 * member is the allocator, and the evidence names both; a parameter or a function-local of the
 * same name is another function, and the site says `unknown` (nothing else tells its kind).
 */
import { describe, it } from 'vitest';
import { caseFile, checkInvalid, checkValid, runTable, type RuleTable } from './helpers.ts';

const P = 'provenance';
const U = 'unknown';
const OWN = `import { Page } from '../include/linux/kernel.ts';\n`;

const table: RuleTable = {
  valid: [
    { name: 'a renamed re-export of an allocator holds no access itself', noPrelude: true, file: 'cases/reexp.ts', code: `
export { pte_alloc_one as get_table, alloc_slab_page } from '../include/linux/mm.ts';` },
  ],
  invalid: [
    { name: 'an allocator under an import alias', noPrelude: true, code: `${OWN}
import { alloc_slab_page as asp } from '../include/linux/mm.ts';
export function f(): number { const p = asp(1); return p.index; }`,
    expect: [{ field: 'index', access: 'read', kind: 'slab', confidence: P, evidence: '`p` comes from `asp()` (`alloc_slab_page()`) at' }] },
    { name: 'an allocator through a renamed re-export', noPrelude: true, code: `${OWN}
import { get_table } from './reexp.ts';
export function f(): number { const p = get_table(3); return p.private; }`,
    expect: [{ field: 'private', access: 'read', kind: 'ptdesc', confidence: P, evidence: '`get_table()` (`pte_alloc_one()`)' }] },
    { name: 'an allocator as a namespace member (control: spelled like it too)', noPrelude: true, code: `${OWN}
import * as mm from '../include/linux/mm.ts';
export function f(): number { return mm.alloc_slab_page(0).index; }`,
    expect: [{ field: 'index', access: 'read', kind: 'slab', confidence: P, evidence: 'comes from `alloc_slab_page()` at' }] },
    { name: 'a parameter named like an allocator is not it', noPrelude: true, code: `${OWN}
export function f(alloc_slab_page: (n: number) => Page): number { return alloc_slab_page(1).index; }`,
    expect: [{ field: 'index', access: 'read', kind: U, confidence: U }] },
    { name: 'a function-local namesake of an allocator is not it', noPrelude: true, code: `${OWN}
export function f(): number {
  const alloc_slab_page = (n: number): Page => new Page(n * 64);
  return alloc_slab_page(2).index;
}`,
    expect: [{ field: 'index', access: 'read', kind: U, confidence: U }] },
  ],
};

describe('allocators by the function a call resolves to (provenance.ts)', () => {
  const { byFile } = runTable(table);
  for (const c of table.valid) it(`valid: ${c.name}`, () => checkValid(byFile.get(caseFile(table, c)), c));
  for (const c of table.invalid) it(`invalid: ${c.name}`, () => checkInvalid(byFile.get(caseFile(table, c)), c));
});
