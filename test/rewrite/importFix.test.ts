/** Imports settled on a converted file's final text: literal before/after pairs. */
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.ts';
import { fixImports, nameUses } from '../../src/rewrite/importFix.ts';
import { ts } from '@ts-morph/common';

const FILE = '/p/src/desk.ts';
const SLOT = '/p/src/slot.ts';
const LOAN = '/p/src/loanSlot.ts';

function fix(before: string | null, after: string, needed: Record<string, string[]> = {}, preferTypeImports = false): string {
  return fixImports({ fileName: FILE, before, after, preferTypeImports, needed: new Map(Object.entries(needed).map(([m, n]) => [m, new Set(n)])) });
}

describe('fixImports', () => {
  it('removes an import the conversion made unused, keeps one that was unused before', () => {
    const before = `import { Slot, SLOT_BYTES } from './slot.ts';\nimport { idle } from './idle.ts';\nexport const n = (s: Slot) => s.addr;\n`;
    const after = `import { Slot, SLOT_BYTES } from './slot.ts';\nimport { idle } from './idle.ts';\nexport const n = (s: Loan) => s.addr;\n`;
    expect(fix(before, after, { [LOAN]: ['Loan'] })).toBe(
      `import { SLOT_BYTES } from './slot.ts';\nimport { idle } from './idle.ts';\nimport { Loan } from './loanSlot.ts';\nexport const n = (s: Loan) => s.addr;\n`);
  });

  it('reuses an import left empty for the module the new names come from', () => {
    const before = `import type { Slot } from './slot.ts';\nexport const n = (s: Slot) => s.addr;\n`;
    const after = `import type { Slot } from './slot.ts';\nexport const n = (s: Fine) => s.addr;\n`;
    expect(fixImports({ fileName: FILE, before, after, preferTypeImports: true, needed: new Map([[SLOT, new Set(['Fine'])]]) })).toBe(
      `import type { Fine } from './slot.ts';\nexport const n = (s: Fine) => s.addr;\n`);
  });

  it('writes `import type` for a name used only as a type when the project asks for it, a plain import otherwise', () => {
    const before = `import { x } from './x.ts';\nexport const a = x;\n`;
    const after = `import { x } from './x.ts';\nexport const a = x;\nexport function f(l: Loan): number { return slotToLoan(l).bookId; }\n`;
    expect(fix(before, after, { [LOAN]: ['Loan', 'slotToLoan'] }, true)).toBe(
      `import { x } from './x.ts';\nimport { slotToLoan } from './loanSlot.ts';\nimport type { Loan } from './loanSlot.ts';\nexport const a = x;\n` +
      `export function f(l: Loan): number { return slotToLoan(l).bookId; }\n`);
    expect(fix(before, after, { [LOAN]: ['Loan', 'slotToLoan'] }, false)).toBe(
      `import { x } from './x.ts';\nimport { Loan, slotToLoan } from './loanSlot.ts';\nexport const a = x;\n` +
      `export function f(l: Loan): number { return slotToLoan(l).bookId; }\n`);
  });

  it('adds names to an existing import of the same sort', () => {
    const before = `import type { Slot } from './slot.ts';\nimport { slotAt } from './slot.ts';\nexport const f = (s: Slot) => slotAt(s.addr);\n`;
    const after = `import type { Slot } from './slot.ts';\nimport { slotAt } from './slot.ts';\nexport const f = (s: Slot, h: Hold) => slotToHold(slotAt(s.addr) ?? h);\n`;
    expect(fix(before, after, { [SLOT]: ['Hold', 'slotToHold'] }, true)).toBe(
      `import type { Slot, Hold } from './slot.ts';\nimport { slotAt, slotToHold } from './slot.ts';\nexport const f = (s: Slot, h: Hold) => slotToHold(slotAt(s.addr) ?? h);\n`);
  });

  it('turns a type-only import into a value import when a name in it is now used as a value', () => {
    const before = `import type { Shelf, Slot } from './slot.ts';\nexport const f = (s: Shelf): Slot => s;\n`;
    const after = `import type { Shelf, Slot } from './slot.ts';\nexport const f = (s: Shelf): Slot => new Slot(s.addr);\n`;
    expect(fix(before, after)).toBe(`import { type Shelf, Slot } from './slot.ts';\nexport const f = (s: Shelf): Slot => new Slot(s.addr);\n`);
  });

  it('adds nothing the text does not use, and leaves an unchanged file alone', () => {
    const text = `import { Slot } from './slot.ts';\nexport const f = (s: Slot) => s.addr;\n`;
    expect(fix(text, text, { [LOAN]: ['Loan', 'loanToSlot'] })).toBe(text);
  });

  it('a file the conversion creates keeps only the imports it uses', () => {
    const text = `/** made */\nimport { readWord, writeWord } from './memory.ts';\nimport { Slot } from './slot.ts';\n\nexport const r = () => readWord(0);\n`;
    expect(fix(null, text)).toBe(`/** made */\nimport { readWord } from './memory.ts';\n\nexport const r = () => readWord(0);\n`);
  });

  it('refuses a needed name the file already declares from elsewhere (it would bind the wrong thing)', () => {
    const before = `import { Loan } from './books.ts';\nexport const f = (l: Loan) => l;\n`;
    const after = `import { Loan } from './books.ts';\nexport const f = (l: Loan) => slotToLoan(l);\n`;
    expect(() => fix(before, after, { [LOAN]: ['Loan', 'slotToLoan'] })).toThrow(InputError);
  });

  it('counts references, not member names, declaration names or labels', () => {
    const sf = ts.createSourceFile('/x.ts', `const o = { Slot: 1 };\no.Loan;\nfunction Hold(): void {}\nlet v: Fine;\nexport { Slot as Other };\n`, ts.ScriptTarget.Latest, true);
    const u = nameUses(sf);
    expect([...u.keys()].sort()).toEqual(['Fine', 'Slot', 'o']);
    expect(u.get('Fine')).toEqual({ value: false, type: true });
  });
});
