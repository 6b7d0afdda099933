/**
 * Flow-sensitive type marks (issue 13): a mark (a call that marks its page as a kind, a type
 * setter) counts only at the program points it reaches on every path. A mark in a branch that
 * returns or throws before the site does not count there; a mark on some paths to the site but
 * not others is a conflict (`unknown`, both sides named); assigning the variable again ends it.
 * Each form (early return, if/else, loops, switch, throw, `&&`, reassignment, a callee that marks
 * only on some paths) with its negative twin. Snippets live in unowned files: only the code decides.
 * `mark_*()` functions do more than mark (the page is ptdesc from the call on).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzePath } from '../../src/analyzers/analyze.ts';
import { loadSpecFile } from '../../src/model/spec-validate.ts';
import { PACKAGE_ROOT } from '../../src/paths.ts';
import { caseFile, checkInvalid, runTable, type RuleTable } from './helpers.ts';

const P = 'provenance';
const U = 'unknown';

/** A function that marks its page ptdesc and does more: its callers' page is ptdesc from the call on. */
const mk = (n: string): string => `function ${n}(p: Page): void { __SetPageTable(p); p.index = 0; }`;
const MK = { field: 'index', access: 'write', kind: 'ptdesc', confidence: P } as const;

const table: RuleTable = {
  valid: [],
  invalid: [
    /* ---- early return ---- */
    { name: 'a mark in a branch that returns first does not count after it', code: `
${mk('mk_ret')}
export function f(c: boolean): number { const p = alloc_slab_page(0); if (c) { mk_ret(p); return 0; } return p.private; }`,
    expect: [MK, { field: 'private', access: 'read', kind: 'slab', confidence: P, evidence: '`alloc_slab_page()`' }] },
    { name: 'early return: twin, the mark on every path to the site', code: `
${mk('mk_ret2')}
export function f(c: boolean): number { const p = alloc_slab_page(0); if (c) return 0; mk_ret2(p); return p.private; }`,
    expect: [MK, { field: 'private', access: 'read', kind: 'ptdesc', confidence: P, evidence: '`mk_ret2()` marks its parameter ptdesc' }] },
    { name: 'early return: an unmarked page of no kind stays unknown', code: `
${mk('mk_ret3')}
export function f(c: boolean, p: Page): number { if (c) { mk_ret3(p); return 0; } return p.private; }`,
    expect: [MK, { field: 'private', access: 'read', kind: U, confidence: U }] },

    /* ---- if / else ---- */
    { name: 'a mark on one branch only: a conflict, both sides named', code: `
${mk('mk_if')}
export function f(c: boolean): number { const p = alloc_slab_page(0); if (c) mk_if(p); return p.private; }`,
    expect: [MK, { field: 'private', access: 'read', kind: U, confidence: U, evidence: 'on some paths' }] },
    { name: 'if/else: twin, the mark on both branches', code: `
${mk('mk_if2')}
export function f(c: boolean): number { const p = alloc_slab_page(0); if (c) mk_if2(p); else { p.flags = 0; mk_if2(p); } return p.private; }`,
    expect: [MK, { field: 'private', access: 'read', kind: 'ptdesc', confidence: P }] },
    { name: 'a mark on one branch only, nothing known on the other: unknown', code: `
${mk('mk_if3')}
export function f(c: boolean, p: Page): number { if (c) mk_if3(p); return p.private; }`,
    expect: [MK, { field: 'private', access: 'read', kind: U, confidence: U, evidence: 'nothing marks it' }] },
    { name: 'a mark under && runs on some paths only', code: `
${mk('mk_and')}
export function f(c: boolean): number { const p = alloc_slab_page(0); if (c && (mk_and(p), true)) return 1; return p.private; }`,
    expect: [MK, { field: 'private', access: 'read', kind: U, confidence: U, evidence: 'on some paths' }] },

    /* ---- throw ---- */
    { name: 'a mark in a branch that throws does not count after it', code: `
${mk('mk_throw')}
export function f(c: boolean): number { const p = alloc_slab_page(0); if (c) { mk_throw(p); throw new Error('x'); } return p.private; }`,
    expect: [MK, { field: 'private', access: 'read', kind: 'slab', confidence: P }] },
    { name: 'throw: twin, a throw before the mark', code: `
${mk('mk_throw2')}
export function f(c: boolean): number { const p = alloc_slab_page(0); if (c) throw new Error('x'); mk_throw2(p); return p.private; }`,
    expect: [MK, { field: 'private', access: 'read', kind: 'ptdesc', confidence: P }] },

    /* ---- loops ---- */
    { name: 'a mark inside a loop that may not run: a conflict after it', code: `
${mk('mk_loop')}
export function f(n: number): number { const p = alloc_slab_page(0); for (let i = 0; i < n; i++) mk_loop(p); return p.private; }`,
    expect: [MK, { field: 'private', access: 'read', kind: U, confidence: U, evidence: 'on some paths' }] },
    { name: 'loop: twin, a do…while body runs at least once', code: `
${mk('mk_loop2')}
export function f(n: number): number { const p = alloc_slab_page(0); let i = 0; do { mk_loop2(p); i++; } while (i < n); return p.private; }`,
    expect: [MK, { field: 'private', access: 'read', kind: 'ptdesc', confidence: P }] },
    { name: 'a mark later in a loop reaches an earlier read through the back edge', code: `
${mk('mk_back')}
export function f(n: number): number { const p = alloc_slab_page(0); let s = 0; for (let i = 0; i < n; i++) { s += p.private; mk_back(p); } return s; }`,
    expect: [MK, { field: 'private', access: 'read', kind: U, confidence: U, evidence: 'on some paths' }] },
    { name: 'back edge: twin, a page defined afresh in each iteration', code: `
${mk('mk_back2')}
export function f(n: number): number { let s = 0; for (let i = 0; i < n; i++) { const p = alloc_slab_page(i); s += p.private; mk_back2(p); } return s; }`,
    expect: [MK, { field: 'private', access: 'read', kind: 'slab', confidence: P }] },
    { name: 'a loop left by break before the mark', code: `
${mk('mk_brk')}
export function f(n: number): number { const p = alloc_slab_page(0); while (n > 0) { if (n === 3) break; mk_brk(p); n--; } return p.private; }`,
    expect: [MK, { field: 'private', access: 'read', kind: U, confidence: U, evidence: 'on some paths' }] },

    /* ---- switch ---- */
    { name: 'a mark in one case of a switch: a conflict after the switch', code: `
${mk('mk_sw')}
export function f(n: number): number { const p = alloc_slab_page(0); switch (n) { case 1: mk_sw(p); break; default: break; } return p.private; }`,
    expect: [MK, { field: 'private', access: 'read', kind: U, confidence: U, evidence: 'on some paths' }] },
    { name: 'switch: twin, the case with the mark returns', code: `
${mk('mk_sw2')}
export function f(n: number): number { const p = alloc_slab_page(0); switch (n) { case 1: mk_sw2(p); return 0; default: break; } return p.private; }`,
    expect: [MK, { field: 'private', access: 'read', kind: 'slab', confidence: P }] },
    { name: 'switch: twin, every case marks (fall-through included)', code: `
${mk('mk_sw3')}
export function f(n: number): number { const p = alloc_slab_page(0); switch (n) { case 1: case 2: mk_sw3(p); break; default: mk_sw3(p); } return p.private; }`,
    expect: [MK, { field: 'private', access: 'read', kind: 'ptdesc', confidence: P }] },

    /* ---- reassignment ---- */
    { name: 'assigning the variable again ends its mark', code: `
${mk('mk_re')}
export function f(): number { let p = alloc_slab_page(0); mk_re(p); p = alloc_slab_page(1); return p.private; }`,
    expect: [MK, { field: 'private', access: 'read', kind: 'slab', confidence: P }] },
    { name: 'reassignment: twin, the mark after the assignment', code: `
${mk('mk_re2')}
export function f(): number { let p = alloc_slab_page(0); p = alloc_slab_page(1); mk_re2(p); return p.private; }`,
    expect: [MK, { field: 'private', access: 'read', kind: 'ptdesc', confidence: P }] },

    /* ---- callees that mark on some paths ---- */
    { name: 'a callee that marks only past its own early return marks nothing for its callers', code: `
function maybe_table(p: Page, c: boolean): void { if (c) return; __SetPageTable(p); p.index = 0; }
export function f(c: boolean): number { const p = alloc_slab_page(0); maybe_table(p, c); return p.private; }`,
    expect: [MK, { field: 'private', access: 'read', kind: 'slab', confidence: P }] },
    { name: 'callee: twin, a constructor that can fail marks its page on success (callers test it)', code: `
function try_table(p: Page, c: boolean): boolean { if (c) return false; __SetPageTable(p); p.index = 0; return true; }
export function f(c: boolean): number { const p = alloc_slab_page(0); if (!try_table(p, c)) return 0; return p.private; }`,
    expect: [MK, { field: 'private', access: 'read', kind: 'ptdesc', confidence: P }] },

    /* ---- what a caller passes (`use_arg()` is a wrapper: its call is the finding) ---- */
    { name: 'a page marked on some paths to the call: the callee’s parameter is a conflict', code: `
${mk('mk_arg')}
function use_arg(p: Page): number { return p.private; }
export function f(c: boolean): number { const p = alloc_pages(0, 0)!; if (c) mk_arg(p); return use_arg(p); }`,
    expect: [MK, { field: 'private', access: 'call', kind: U, confidence: U, evidence: 'on some paths' }] },
    { name: 'caller: twin, marked on every path to the call', code: `
${mk('mk_arg2')}
function use_arg2(p: Page): number { return p.private; }
export function f(c: boolean): number { const p = alloc_pages(0, 0)!; if (c) p.flags = 1; mk_arg2(p); return use_arg2(p); }`,
    expect: [MK, { field: 'private', access: 'call', kind: 'ptdesc', confidence: P }] },

    /* ---- a type setter (pure marker) ---- */
    { name: 'a type setter in a branch that returns does not count after it', code: `
export function f(c: boolean): number { const p = alloc_slab_page(0); if (c) { __SetPageTable(p); return 0; } return p.private; }`,
    expect: [{ field: 'private', access: 'read', kind: 'slab', confidence: P }] },
    { name: 'type setter: twin, set on every path before the site', code: `
export function f(c: boolean, p: Page): number { if (c) return 0; __SetPageTable(p); return p.private; }`,
    expect: [{ field: 'private', access: 'read', kind: 'ptdesc', confidence: P }] },
    { name: 'a type setter after the site, on every path on: the page the function handles as that kind', code: `
export function f(p: Page): number { const v = p.private; __SetPageTable(p); return v; }`,
    expect: [{ field: 'private', access: 'read', kind: 'ptdesc', confidence: P }] },
    { name: 'type setter after the site: twin, a path leaves before it', code: `
export function f(c: boolean, p: Page): number { const v = p.private; if (c) return v; __SetPageTable(p); return v; }`,
    expect: [{ field: 'private', access: 'read', kind: U, confidence: U, evidence: 'on some paths' }] },
  ],
};

describe('flow-sensitive marks: a mark counts only where it holds on every path', () => {
  const { byFile } = runTable(table);
  for (const c of table.invalid) it(c.name, () => checkInvalid(byFile.get(caseFile(table, c)), c));
});

describe('the lending fixture (the bug found there)', () => {
  const dir = join(PACKAGE_ROOT, 'test', 'fixtures', 'projects', 'lending');
  const result = analyzePath(dir, { spec: loadSpecFile(join(dir, 'spec.json')) });
  const at = (file: string, line: number) => result.findings.filter((f) => f.file === file && f.line === line);

  it('pay(): `s.a = left` after the branch that releases the slot and returns is no free slot', () => {
    const [f] = at('src/fines.ts', 37);
    expect(f?.kind, f?.evidence.join(' | ')).toBe('fine');
    expect(f?.evidence.join(' ')).not.toContain('releaseSlot');
  });

  it('pay(): the words cleared before releaseSlot() stay the fine’s; inside releaseSlot() the slot is free', () => {
    for (const line of [31, 32, 33]) expect(at('src/fines.ts', line).map((f) => f.kind)).toEqual(['fine']);
    expect(at('src/slots.ts', 45).map((f) => [f.kind, f.confidence])).toEqual([['free', 'provenance']]);
  });

  it('`.map(dueDateOf)` over `slots.filter(isLoan)`: the residue says loan, by the type test', () => {
    const r = result.residue.find((x) => x.file === 'src/report.ts' && x.line === 18);
    expect(r && [r.kind, r.confidence]).toEqual(['loan', 'guard']);
  });
});
