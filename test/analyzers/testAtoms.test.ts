/**
 * A test written in place is a kind's test when it computes the same thing (testAtoms.ts): the
 * same bits of the same word against the same value, however it is spelled — a bit's truth value
 * in any form, shifts and masks in either order, constants by value, a helper read with the
 * constants it is handed. Each form has a twin that computes something else and stays unknown.
 * Here the kinds' tests are bit tests: ptdesc's is bit 0x40, slab's bit 4 read by a shift,
 * buddy's a 4-bit type field at bit 8 equal to 3.
 */
import { describe, it } from 'vitest';
import { caseFile, checkInvalid, checkValid, runTable, type RuleTable } from './helpers.ts';

const G = 'guard';
const U = 'unknown';
const OWN = `import { Page } from '../include/linux/kernel.ts';
function PageTable(p: Page): boolean { return (p.flags & 0x40) !== 0; }
function PageSlab(p: Page): boolean { return ((p.flags >>> 4) & 1) !== 0; }
function PageBuddy(p: Page): boolean { return (p.flags & 0xf00) === 0x300; }
`;
const read = (cond: string): string => `${OWN}export function f(page: Page): number { return ${cond} ? page.private : 0; }`;

const table: RuleTable = {
  valid: [],
  invalid: [
    { name: 'a bit\'s truth value: !!(w & M)', noPrelude: true, code: read('!!(page.flags & 0x40)'),
      expect: [{ field: 'private', access: 'read', kind: 'ptdesc', confidence: G, evidence: '(what `PageTable()` tests)' }] },
    { name: 'a bit against itself: (w & M) === M', noPrelude: true, code: read('(page.flags & 0x40) === 0x40'),
      expect: [{ field: 'private', access: 'read', kind: 'ptdesc', confidence: G }] },
    { name: 'a bit as a condition, the mask spelled as a shift', noPrelude: true, code: read('page.flags & (1 << 6)'),
      expect: [{ field: 'private', access: 'read', kind: 'ptdesc', confidence: G }] },
    { name: 'shift then mask equals mask then compare: slab\'s bit 4', noPrelude: true, code: read('(page.flags & 0x10) !== 0'),
      expect: [{ field: 'private', access: 'read', kind: 'slab', confidence: G, evidence: '(what `PageSlab()` tests)' }] },
    { name: 'a type field read shifted: ((w >>> 8) & 0xf) === 3', noPrelude: true, code: read('((page.flags >>> 8) & 0xf) === 3'),
      expect: [{ field: 'private', access: 'read', kind: 'buddy', confidence: G }] },
    { name: 'a helper read with the constant it is handed', noPrelude: true, code: `${OWN}
function bitSet(p: Page, b: number): boolean { return (p.flags & (1 << b)) !== 0; }
export function f(page: Page): number { if (!bitSet(page, 6)) return 0; return page.private; }`,
      expect: [{ field: 'private', access: 'read', kind: 'ptdesc', confidence: G, evidence: 'after the early exit on `!bitSet(page, 6)`' }] },
    { name: 'twin: two bits are not one', noPrelude: true, code: read('(page.flags & 0x60) !== 0'),
      expect: [{ field: 'private', access: 'read', kind: U, confidence: U }] },
    { name: 'twin: the bit clear', noPrelude: true, code: read('(page.flags & 0x40) === 0'),
      expect: [{ field: 'private', access: 'read', kind: U, confidence: U }] },
    { name: 'twin: an or is no test', noPrelude: true, code: read('(page.flags | 0x40) !== 0'),
      expect: [{ field: 'private', access: 'read', kind: U, confidence: U }] },
    { name: 'twin: another value of the type field', noPrelude: true, code: read('((page.flags >>> 8) & 0xf) === 4'),
      expect: [{ field: 'private', access: 'read', kind: U, confidence: U }] },
    { name: 'twin: a helper handed another bit', noPrelude: true, code: `${OWN}
function bitSet(p: Page, b: number): boolean { return (p.flags & (1 << b)) !== 0; }
export function f(page: Page): number { if (!bitSet(page, 5)) return 0; return page.private; }`,
      expect: [{ field: 'private', access: 'read', kind: U, confidence: U }] },
    { name: 'twin: a value the code computes, not a constant', noPrelude: true, code: `${OWN}
export function f(page: Page, m: number): number { return (page.flags & m) !== 0 ? page.private : 0; }`,
      expect: [{ field: 'private', access: 'read', kind: U, confidence: U }] },
  ],
};

describe('tests written in place, by what they compute (testAtoms.ts)', () => {
  const { byFile } = runTable(table);
  for (const c of table.valid) it(c.name, () => checkValid(byFile.get(caseFile(table, c)), c));
  for (const c of table.invalid) it(c.name, () => checkInvalid(byFile.get(caseFile(table, c)), c));
});
