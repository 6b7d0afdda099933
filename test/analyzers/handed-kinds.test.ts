/**
 * Kinds handed in by the code in two more forms (provenance.ts, dataflow.ts): an allocator that
 * writes a marker it is handed into the page it returns (`take(T.Table)`, the marker an enum
 * member a kind's test reads), and a function passed as a callback over elements
 * (`pages.map(f)`: each element is what a caller passes). Each with twins that must stay
 * unknown: the write on some paths only, a value no test reads, another variable returned,
 * elements of no known kind.
 */
import { describe, it } from 'vitest';
import { caseFile, checkInvalid, checkValid, runTable, type RuleTable } from './helpers.ts';

const P = 'provenance';
const U = 'unknown';
const OWN = `import { Page, pte_alloc_one, alloc_pages } from '../include/linux/kernel.ts';
enum T { Other = 1, Table = 3 }
function PageTable(p: Page): boolean { return p.flags === T.Table; }
`;

const table: RuleTable = {
  valid: [],
  invalid: [
    { name: 'an allocator writing the marker it is handed into the page it returns', noPrelude: true, code: `${OWN}
function take(t: T): Page { const p = new Page(64); p.flags = (p.flags & ~0xff) | t; return p; }
export function f(): number { const p = take(T.Table); return p.private; }`,
      expect: [{ field: 'private', access: 'read', kind: 'ptdesc', confidence: P, evidence: '`p` comes from `take(T.Table)`' }] },
    { name: 'an enum member written into the page by the caller is a marker too', noPrelude: true, code: `${OWN}
export function f(p: Page): number { p.flags = T.Table; return p.private; }`,
      expect: [{ field: 'private', access: 'read', kind: 'ptdesc', confidence: P }] },
    { name: 'twin: the allocator writes it on some paths only', noPrelude: true, code: `${OWN}
function take(t: T, fast: boolean): Page { const p = new Page(64); if (fast) p.flags = t; return p; }
export function f(): number { const p = take(T.Table, true); return p.private; }`,
      expect: [{ field: 'private', access: 'read', kind: U, confidence: U }] },
    { name: 'twin: handed a value no kind\'s test reads', noPrelude: true, code: `${OWN}
function take(t: T): Page { const p = new Page(64); p.flags = t; return p; }
export function f(): number { const p = take(T.Other); return p.private; }`,
      expect: [{ field: 'private', access: 'read', kind: U, confidence: U }] },
    { name: 'twin: it returns another page than the one it wrote', noPrelude: true, code: `${OWN}
function take(t: T): Page { const p = new Page(64); const q = new Page(128); p.flags = t; return q; }
export function f(): number { const p = take(T.Table); return p.private; }`,
      expect: [{ field: 'private', access: 'read', kind: U, confidence: U }] },
    { name: 'a function passed as a callback over elements receives them', noPrelude: true, code: `${OWN}
function lock(p: Page): number { const v = p.private; return v + 1; }
export function f(): number[] { return [pte_alloc_one(0), pte_alloc_one(1)].map(lock); }`,
      expect: [{ field: 'private', access: 'read', kind: 'ptdesc', confidence: 'callgraph', evidence: 'via the parameter of `lock()` (1 caller)' }] },
    { name: 'twin: a callback over elements of no known kind decides nothing, even beside a caller that does', noPrelude: true, code: `${OWN}
function lock(p: Page): number { const v = p.private; return v + 1; }
export function f(): number { return lock(pte_alloc_one(0)) + [alloc_pages(0, 0)!].map(lock).length; }`,
      expect: [{ field: 'private', access: 'read', kind: U, confidence: U }] },
  ],
};

describe('kinds handed in: an allocator handed a marker, a callback handed elements', () => {
  const { byFile } = runTable(table);
  for (const c of table.valid) it(c.name, () => checkValid(byFile.get(caseFile(table, c)), c));
  for (const c of table.invalid) it(c.name, () => checkInvalid(byFile.get(caseFile(table, c)), c));
});
