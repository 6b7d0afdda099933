/**
 * Conversions of TypeScript written as a TypeScript developer writes it: camelCase names,
 * `strict` + `noUnusedLocals` + `noUnusedParameters` + `verbatimModuleSyntax`, `import type`,
 * a type alias of the class in signatures, wrappers (exported, file-local, passed as a value),
 * class methods reading the raw words. Literal before/after pairs, a no-change case, the
 * project's own type-check of the result and a second run that changes nothing.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { ts } from '@ts-morph/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeDetailed } from '../../src/analyzers/analyze.ts';
import { loadProgram } from '../../src/analyzers/project.ts';
import { progressPoint } from '../../src/track/progress.ts';
import { InputError } from '../../src/errors.ts';
import { builtinSpec } from '../../src/model/builtin.ts';
import { loadSpecFile } from '../../src/model/spec-validate.ts';
import type { Spec } from '../../src/model/spec.ts';
import { formatError, overlayProgram, typeErrors } from '../../src/rewrite/check.ts';
import { descriptorName, namingStyle } from '../../src/rewrite/kinds.ts';
import { planConversion, type ConvertPlan } from '../../src/rewrite/plan.ts';

const TSCONFIG = JSON.stringify({
  compilerOptions: {
    target: 'ES2022', module: 'ESNext', moduleResolution: 'Bundler', strict: true, noUnusedLocals: true, noUnusedParameters: true,
    verbatimModuleSyntax: true, allowImportingTsExtensions: true, noEmit: true, skipLibCheck: true, types: [], lib: ['ES2022'],
  },
  include: ['src'],
}, null, 2);

const SPEC = {
  name: 'mini',
  page: {
    class: 'Slot', file: 'src/slot.ts',
    fields: { flags: { words: [0], track: 'never' }, a: { words: [1] }, b: { words: [2] } },
    addressMembers: ['addr'], neutralSources: ['slotAlloc'], wordSize: 4,
  },
  kinds: [
    { name: 'loan', descriptor: { class: 'Loan', placement: 'src/loanDesc.ts' }, fields: { a: 'borrower', b: 'dueOn' }, pageTypeTests: ['isLoan'], owners: ['src/loan/**'] },
    { name: 'hold', descriptor: { class: 'Hold', placement: 'src/holdDesc.ts' }, fields: { a: 'patron', b: 'expiresOn' }, pageTypeTests: ['isHold'], owners: ['src/hold/**'] },
  ],
};

const WORLD: Record<string, string> = {
  'tsconfig.json': TSCONFIG,
  'src/memory.ts': `const words = new Map<number, number>();
export function readWord(addr: number): number {
  return words.get(addr) ?? 0;
}
export function writeWord(addr: number, v: number): void {
  words.set(addr, v);
}
`,
  'src/slot.ts': `import { readWord, writeWord } from './memory.ts';

export class Slot {
  constructor(readonly addr: number) {}

  get flags(): number {
    return readWord(this.addr);
  }
  set flags(v: number) {
    writeWord(this.addr, v);
  }

  get a(): number {
    return readWord(this.addr + 4);
  }
  set a(v: number) {
    writeWord(this.addr + 4, v);
  }

  get b(): number {
    return readWord(this.addr + 8);
  }
  set b(v: number) {
    writeWord(this.addr + 8, v);
  }
}

export type Shelf = Slot;
`,
  'src/slots.ts': `import { Slot } from './slot.ts';

let next = 0x100;
export function slotAlloc(flags: number): Slot {
  const s = new Slot(next);
  next += 12;
  s.flags = flags;
  return s;
}
export const isLoan = (s: Slot): boolean => s.flags === 1;
export const isHold = (s: Slot): boolean => s.flags === 2;
`,
};

interface Case {
  name: string;
  file: string;
  before: string;
  /** undefined: the file must not change. */
  after?: string;
}

const CASES: Case[] = [
  {
    name: 'a type alias of the class does not block retyping; its import goes, the descriptor comes as `import type`',
    file: 'src/loan/alias.ts',
    before: `import type { Shelf } from '../slot.ts';

export function renew(s: Shelf, days: number): number {
  s.b += days;
  return s.b;
}
`,
    after: `import type { Loan } from '../loanDesc.ts';

export function renew(s: Loan, days: number): number {
  s.dueOn += days;
  return s.dueOn;
}
`,
  },
  {
    name: 'a wrapper passed as a value keeps its signature and converts its own read; a file-local wrapper is retyped with its callers',
    file: 'src/loan/wrappers.ts',
    before: `import type { Slot } from '../slot.ts';

export function dueOf(s: Slot): number {
  return s.b;
}

function borrowerOf(s: Slot): number {
  return s.a;
}

export function dueDays(slots: Slot[]): number[] {
  return slots.map(dueOf);
}

export function sameBorrower(x: Slot, y: Slot): boolean {
  return borrowerOf(x) === borrowerOf(y);
}
`,
    after: `import type { Slot } from '../slot.ts';
import { slotToLoan } from '../loanDesc.ts';
import type { Loan } from '../loanDesc.ts';

export function dueOf(s: Slot): number {
  return slotToLoan(s).dueOn;
}

function borrowerOf(s: Loan): number {
  return s.borrower;
}

export function dueDays(slots: Slot[]): number[] {
  return slots.map(dueOf);
}

export function sameBorrower(x: Loan, y: Loan): boolean {
  return borrowerOf(x) === borrowerOf(y);
}
`,
  },
  {
    name: 'class methods reading the raw words convert them in place (their signatures stay)',
    file: 'src/loan/desk.ts',
    before: `import type { Slot } from '../slot.ts';

export class Desk {
  private readonly out: Slot[] = [];

  lend(s: Slot, reader: number): void {
    s.a = reader;
    this.out.push(s);
  }

  overdue(today: number): number {
    return this.out.filter((s) => s.b < today).length;
  }
}
`,
    after: `import type { Slot } from '../slot.ts';
import { slotToLoan } from '../loanDesc.ts';

export class Desk {
  private readonly out: Slot[] = [];

  lend(s: Slot, reader: number): void {
    slotToLoan(s).borrower = reader;
    this.out.push(s);
  }

  overdue(today: number): number {
    return this.out.filter((s) => slotToLoan(s).dueOn < today).length;
  }
}
`,
  },
  {
    name: 'a method of a class nothing extends is retyped like a function; one that implements an interface keeps its signature',
    file: 'src/loan/ledger.ts',
    before: `import type { Slot } from '../slot.ts';

interface Totals {
  total(s: Slot): number;
}

export class Ledger {
  total(s: Slot): number {
    return s.a + s.b;
  }
}

export class Tally implements Totals {
  total(s: Slot): number {
    return s.a + s.b;
  }
}
`,
    after: `import type { Slot } from '../slot.ts';
import { slotToLoan } from '../loanDesc.ts';
import type { Loan } from '../loanDesc.ts';

interface Totals {
  total(s: Slot): number;
}

export class Ledger {
  total(s: Loan): number {
    return s.borrower + s.dueOn;
  }
}

export class Tally implements Totals {
  total(s: Slot): number {
    const loan = slotToLoan(s);
    return loan.borrower + loan.dueOn;
  }
}
`,
  },
  {
    name: 'a variable already named like the descriptor gets a local that does not repeat it (no `loan_loan`)',
    file: 'src/loan/clash.ts',
    before: `import type { Slot } from '../slot.ts';

export function audit(loan: Slot, other: Slot): number {
  if (loan === other) return 0;
  return loan.a + loan.b;
}
`,
    after: `import type { Slot } from '../slot.ts';
import { slotToLoan } from '../loanDesc.ts';

export function audit(loan: Slot, other: Slot): number {
  if (loan === other) return 0;
  const loanDesc = slotToLoan(loan);
  return loanDesc.borrower + loanDesc.dueOn;
}
`,
  },
  {
    name: 'a file-local wrapper whose every call is inlined goes (noUnusedLocals), an exported one stays; no local before a type test',
    file: 'src/both.ts',
    before: `import type { Slot } from './slot.ts';
import { isHold, isLoan } from './slots.ts';

function firstWord(s: Slot): number {
  return s.a;
}

export function firstWordOf(s: Slot): number {
  return s.a;
}

export function show(s: Slot): string {
  if (isLoan(s)) return \`reader \${firstWord(s)} / \${firstWordOf(s)}\`;
  if (isHold(s)) return \`patron \${firstWord(s)} / \${firstWordOf(s)}\`;
  return '';
}
`,
    after: `import type { Slot } from './slot.ts';
import { isHold, isLoan } from './slots.ts';
import { slotToLoan } from './loanDesc.ts';
import { slotToHold } from './holdDesc.ts';

export function firstWordOf(s: Slot): number {
  return s.a;
}

export function show(s: Slot): string {
  if (isLoan(s)) return \`reader \${slotToLoan(s).borrower} / \${slotToLoan(s).borrower}\`;
  if (isHold(s)) return \`patron \${slotToHold(s).patron} / \${slotToHold(s).patron}\`;
  return '';
}
`,
  },
  {
    name: 'no change: generic code that reads words of every kind',
    file: 'src/generic.ts',
    before: `import type { Slot } from './slot.ts';

export function words(s: Slot): number {
  return s.a + s.b;
}
`,
  },
];

function makeProject(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'memdesc-realts-'));
  for (const [f, t] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    writeFileSync(join(dir, f), t);
  }
  return dir;
}

function specIn(dir: string, spec: unknown): Spec {
  writeFileSync(join(dir, 'spec.json'), JSON.stringify(spec, null, 2));
  return loadSpecFile(join(dir, 'spec.json'), builtinSpec());
}

describe('convert --all on camelCase code under strict, noUnusedLocals and verbatimModuleSyntax', () => {
  const dirs: string[] = [];
  let dir: string;
  let spec: Spec;
  let plan: ConvertPlan;
  let after: Map<string, string>;

  beforeAll(() => {
    dir = makeProject({ ...WORLD, ...Object.fromEntries(CASES.map((c) => [c.file, c.before])) });
    dirs.push(dir);
    spec = specIn(dir, SPEC);
    const { program, root } = loadProgram(dir);
    expect(typeErrors(program, root).map(formatError)).toEqual([]);
    plan = planConversion(program, root, { spec, kinds: [], all: true });
    after = new Map(plan.changes.map((c) => [relative(root, c.file), c.after]));
  });
  afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

  for (const c of CASES) {
    it(c.name, () => {
      expect(after.get(c.file) ?? c.before).toBe(c.after ?? c.before);
    });
  }

  it('does not list a wrapper passed as a value as left untouched once its own read is converted', () => {
    expect(plan.report.skipped.filter((s) => s.file === 'src/loan/wrappers.ts')).toEqual([]);
    expect(plan.report.skipped.filter((s) => s.file === 'src/generic.ts').map((s) => s.kind)).toEqual(['unknown', 'unknown']);
  });

  it('names converters, variables and offsets in the project\'s style', () => {
    const desc = after.get('src/loanDesc.ts')!;
    expect(desc).toContain('export function slotToLoan(slot: Slot): Loan;');
    expect(desc).toContain('export function loanToSlot(loan: Loan): Slot;');
    expect(desc).toContain('const LOAN_DUE_ON_OFFSET = 8;');
    expect(desc).not.toMatch(/\bpage\b|struct page/i);
  });

  it('type-checks under the project\'s own options, and a second run changes nothing', () => {
    const { program, root } = loadProgram(dir);
    const next = overlayProgram(program, new Map(plan.changes.map((c) => [c.file, c.after] as const)));
    expect(typeErrors(next, root).map(formatError)).toEqual([]);
    const again = planConversion(next, root, { spec, kinds: [], all: true });
    expect(again.changes.map((c) => relative(root, c.file))).toEqual([]);
  });

  it('a wrapper passed as a value whose own read cannot be converted (callers of two kinds) stays counted: its use as a value is residue', () => {
    const both = CASES.find((c) => c.file === 'src/both.ts')!;
    const d = makeProject({ ...WORLD, 'src/both.ts': `${both.before}\nexport const firsts = (xs: Slot[]): number[] => xs.map(firstWordOf);\n` });
    dirs.push(d);
    const s = specIn(d, SPEC);
    const { program, root } = loadProgram(d);
    const p = planConversion(program, root, { spec: s, kinds: [], all: true });
    const next = overlayProgram(program, new Map(p.changes.map((c) => [c.file, c.after] as const)));
    expect(typeErrors(next, root).map(formatError)).toEqual([]);
    const det = analyzeDetailed(next, root, { spec: s });
    // Its calls converted, it is still a wrapper while code passes it as a value (else a second
    // run would take its body for a plain access): the read is not counted done, it is that use's residue.
    const wrapper = det.result.wrappers.find((w) => w.name === 'firstWordOf');
    expect(wrapper && { file: wrapper.file, field: wrapper.field, callSites: wrapper.callSites }).toEqual({ file: 'src/both.ts', field: 'a', callSites: 0 });
    expect(det.result.residue.filter((r) => r.file === 'src/both.ts').map((r) => r.reason)).toEqual([expect.stringContaining('wrapper `firstWordOf()` used as a value')]);
    expect(progressPoint(det.result, s, { commit: 'WORKTREE', subject: '', date: '' }).residue).toBeGreaterThanOrEqual(1);
  });

  it('never reuses a name the project already has for something else (an unrelated slotToLoan())', () => {
    const d = makeProject({ ...WORLD, 'src/legacy.ts': `export function slotToLoan(id: number): string {\n  return \`loan \${id}\`;\n}\n`,
      'src/loan/desk.ts': CASES.find((c) => c.file === 'src/loan/desk.ts')!.before });
    dirs.push(d);
    const s = specIn(d, SPEC);
    const { program, root } = loadProgram(d);
    const p = planConversion(program, root, { spec: s, kinds: [], all: true });
    const texts = new Map(p.changes.map((c) => [relative(root, c.file), c.after]));
    expect(texts.get('src/loan/desk.ts')).toContain('slotToLoan2(s).borrower = reader;');
    expect(texts.get('src/loanDesc.ts')).toContain('export function slotToLoan2(slot: Slot): Loan;');
    expect(texts.has('src/legacy.ts')).toBe(false);
    const next = overlayProgram(program, new Map(p.changes.map((c) => [c.file, c.after] as const)));
    expect(typeErrors(next, root).map(formatError)).toEqual([]);
    expect(planConversion(next, root, { spec: s, kinds: [], all: true }).changes).toEqual([]);
  });

  it('refuses a placement that would make two modules import each other, before anything is written', () => {
    const d = makeProject({ ...WORLD, 'src/hub.ts': `import { label } from './loan/names.ts';\nexport const hub = label;\n`,
      'src/loan/names.ts': `import type { Slot } from '../slot.ts';\n\nexport function label(loan: Slot): string {\n  return \`\${loan.a} until \${loan.b}\`;\n}\n` });
    dirs.push(d);
    const s = specIn(d, { ...SPEC, kinds: [{ ...SPEC.kinds[0]!, descriptor: { class: 'Loan', placement: 'src/hub.ts' } }, SPEC.kinds[1]] });
    const { program, root } = loadProgram(d);
    expect(() => planConversion(program, root, { spec: s, kinds: ['loan'] })).toThrow(InputError);
    expect(() => planConversion(program, root, { spec: s, kinds: ['loan'] })).toThrow(/src\/loan\/names\.ts import src\/hub\.ts, which imports it back/);
  });
});

describe('a class whose accessors use file-local offset constants', () => {
  it('exports the constants the descriptor\'s layout check needs, and retires the last members without a stray blank line', () => {
    const d = makeProject({
      ...WORLD,
      'src/slot.ts': WORLD['src/slot.ts']!.replace('export class Slot {', 'const A_OFFSET = 4;\nconst B_OFFSET = 8;\n\nexport class Slot {')
        .replace(/this\.addr \+ 4/g, 'this.addr + A_OFFSET').replace(/this\.addr \+ 8/g, 'this.addr + B_OFFSET'),
      'src/loan/names.ts': `import type { Slot } from '../slot.ts';\n\nexport function label(loan: Slot): string {\n  return \`\${loan.a} until \${loan.b}\`;\n}\n`,
    });
    try {
      const s = specIn(d, SPEC);
      const { program, root } = loadProgram(d);
      const p = planConversion(program, root, { spec: s, kinds: [], all: true });
      const slot = p.changes.find((c) => relative(root, c.file) === 'src/slot.ts')!.after;
      expect(slot).toContain('export const A_OFFSET = 4;\nexport const B_OFFSET = 8;\n');
      expect(slot).toContain('    writeWord(this.addr, v);\n  }\n}\n');
      expect(p.changes.find((c) => relative(root, c.file) === 'src/loanDesc.ts')!.after).toContain("LOAN_MATCH(A_OFFSET, LOAN_BORROWER_OFFSET, 'a, borrower');");
      const next = overlayProgram(program, new Map(p.changes.map((c) => [c.file, c.after] as const)));
      expect(typeErrors(next, root).map(formatError)).toEqual([]);
      expect(planConversion(next, root, { spec: s, kinds: [], all: true }).changes).toEqual([]);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});

describe('path aliases (tsconfig paths)', () => {
  it('an import through an alias is the same module: reused, not a clash', () => {
    const opts = JSON.parse(TSCONFIG);
    const d = makeProject({
      ...WORLD, 'tsconfig.json': JSON.stringify({ ...opts, compilerOptions: { ...opts.compilerOptions, paths: { '@/*': ['./src/*'] } } }),
      'src/hold/queue.ts': `import { Slot } from '@/slot.ts';\n\nexport function make(addr: number): Slot {\n  return new Slot(addr);\n}\n\nexport function patron(s: Slot): number {\n  return s.a;\n}\n`,
    });
    try {
      const s = specIn(d, { ...SPEC, kinds: [SPEC.kinds[0], { ...SPEC.kinds[1]!, descriptor: { class: 'Hold', placement: 'src/hold/queue.ts' } }] });
      const { program, root } = loadProgram(d);
      expect(typeErrors(program, root).map(formatError)).toEqual([]);
      const p = planConversion(program, root, { spec: s, kinds: ['hold'] });
      const queue = p.changes.find((c) => relative(root, c.file) === 'src/hold/queue.ts')!.after;
      expect(queue).toMatch(/^import \{ Slot \} from '@\/slot\.ts';\nimport \{ readWord, writeWord \} from '\.\.\/memory\.ts';\n/);
      expect(queue).toContain('export function patron(s: Hold): number {\n  return s.patron;\n}');
      const next = overlayProgram(program, new Map(p.changes.map((c) => [c.file, c.after] as const)));
      expect(typeErrors(next, root).map(formatError)).toEqual([]);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});

describe('erasableSyntaxOnly', () => {
  it('the descriptor class declares its address field instead of a parameter property', () => {
    const opts = JSON.parse(TSCONFIG);
    const d = makeProject({
      ...WORLD, 'tsconfig.json': JSON.stringify({ ...opts, compilerOptions: { ...opts.compilerOptions, erasableSyntaxOnly: true } }),
      'src/slot.ts': WORLD['src/slot.ts']!.replace('  constructor(readonly addr: number) {}', '  readonly addr: number;\n\n  constructor(addr: number) {\n    this.addr = addr;\n  }'),
      'src/loan/names.ts': `import type { Slot } from '../slot.ts';\n\nexport function label(loan: Slot): string {\n  return \`\${loan.a} until \${loan.b}\`;\n}\n`,
    });
    try {
      const s = specIn(d, SPEC);
      const { program, root } = loadProgram(d);
      expect(typeErrors(program, root).map(formatError)).toEqual([]);
      const p = planConversion(program, root, { spec: s, kinds: [], all: true });
      const desc = p.changes.find((c) => relative(root, c.file) === 'src/loanDesc.ts')!.after;
      expect(desc).toContain('export class Loan {\n  readonly addr: number;\n\n  constructor(addr: number) {\n    this.addr = addr;\n  }\n');
      const next = overlayProgram(program, new Map(p.changes.map((c) => [c.file, c.after] as const)));
      expect(typeErrors(next, root).map(formatError)).toEqual([]);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});

describe('import cycles without verbatimModuleSyntax', () => {
  it('an import used only in types is erased by the compiler: no cycle, the conversion goes ahead', () => {
    const plain = JSON.stringify({ ...JSON.parse(TSCONFIG), compilerOptions: { ...JSON.parse(TSCONFIG).compilerOptions, verbatimModuleSyntax: false } });
    const d = makeProject({ ...WORLD, 'tsconfig.json': plain, 'src/hub.ts': `import { label } from './loan/names.ts';\nexport const hub = (s: Slot) => label(s);\nimport type { Slot } from './slot.ts';\n`,
      'src/loan/names.ts': `import type { Slot } from '../slot.ts';\n\nexport function label(loan: Slot): string {\n  return \`\${loan.a} until \${loan.b}\`;\n}\n` });
    try {
      const s = specIn(d, { ...SPEC, kinds: [{ ...SPEC.kinds[0]!, descriptor: { class: 'Loan', placement: 'src/hub.ts' } }, SPEC.kinds[1]] });
      const { program, root } = loadProgram(d);
      const p = planConversion(program, root, { spec: s, kinds: ['loan'] });
      const names = p.changes.find((c) => relative(root, c.file) === 'src/loan/names.ts')!.after;
      expect(names).toContain(`import { Loan } from '../hub.ts';`);
      expect(names).toContain('export function label(loan: Loan): string {');
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});

describe('naming style', () => {
  const parse = (text: string) => [ts.createSourceFile('/x.ts', text, ts.ScriptTarget.Latest, true)];

  it('follows the project\'s own function names; a tie or no names is the kernel\'s snake_case', () => {
    expect(namingStyle(parse('function allocLoanSlot() {}\nconst dueOf = () => 1;\nfunction free_slot() {}'))).toBe('camel');
    expect(namingStyle(parse('function alloc_pages() {}\nfunction page_ref() {}\nclass A { getIt() {} }'))).toBe('snake');
    expect(namingStyle(parse('function main() {}'))).toBe('snake');
  });

  it('renames a variable after the class the same way in both styles', () => {
    expect(descriptorName('first_page', 'page', 'zpdesc')).toBe('first_zpdesc');
    expect(descriptorName('slot', 'slot', 'loan', 'camel')).toBe('loan');
    expect(descriptorName('firstSlot', 'slot', 'loan', 'camel')).toBe('firstLoan');
    expect(descriptorName('slotHead', 'slot', 'loan', 'camel')).toBe('loanHead');
    expect(descriptorName('slotted', 'slot', 'loan', 'camel')).toBe('slotted');
  });
});
