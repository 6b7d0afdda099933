/**
 * The finder's cheap skips (no type query) must lose nothing: a member name that no declaration
 * of the class or a descriptor spells cannot be a finding, but a member declared under a computed
 * name, a mapped type over the class, a descriptor interface and a decoy class of the same member
 * name are each decided as before; an import the program resolved to a module file needs no
 * checker, while one it did not resolve, or resolved to a script, is still residue.
 */
import { Project, ts } from 'ts-morph';
import { describe, expect, it } from 'vitest';
import { analyzeProject } from '../../src/analyzers/analyze.ts';
import { builtinSpec } from '../../src/model/builtin.ts';
import type { AnalysisResult } from '../../src/model/findings.ts';

const ROOT = '/p';

function analyze(pageMembers: string, files: Record<string, string>): AnalysisResult {
  const project = new Project({
    useInMemoryFileSystem: true,
    compilerOptions: {
      target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler,
      strict: true, allowImportingTsExtensions: true, noEmit: true, lib: ['lib.es2022.d.ts'],
    },
  });
  project.createSourceFile(`${ROOT}/include/linux/mm_types.ts`, `
export const ORDER = 'order';
export class ListHead { constructor(readonly addr: number) {} next = 0; }
export class Page {
  constructor(readonly addr: number) {}
  private w = new Float64Array(8);
  get private(): number { return this.w[5]!; }
  set private(v: number) { this.w[5] = v; }
${pageMembers}
}
export interface Ptdesc { pt_list: ListHead; pt_mm: number; ptl: number }
export class Decoy { order = 0; ptl = 0; next = 0; }
`);
  for (const [path, text] of Object.entries(files)) project.createSourceFile(`${ROOT}/${path}`, text);
  return analyzeProject(project, ROOT, { spec: builtinSpec() });
}

const IMPORTS = `import { Page, Decoy, type Ptdesc, ORDER } from '../include/linux/mm_types.ts';\nvoid ORDER;\n`;

describe('finder prefilter: names no declaration spells need no type query, and lose nothing', () => {
  it('a renamed field declared under a plain name is a converted access; a decoy of the same name is not', () => {
    const r = analyze('  get order(): number { return this.w[5]!; }', {
      'mm/a.ts': `${IMPORTS}export function f(page: Page, d: Decoy): number { return page.order + d.order + d.next; }\n`,
    });
    const got = r.findings.filter((f) => f.file === 'mm/a.ts').map((f) => [f.field, f.converted, f.receiver]);
    expect(got).toEqual([['private', true, 'page']]);
  });

  it('a member declared under a computed name (any name may be it) is still found', () => {
    const r = analyze('  get [ORDER](): number { return this.w[5]!; }', {
      'mm/a.ts': `${IMPORTS}export function f(page: Page, d: Decoy): number { return page.order + d.order; }\n`,
    });
    const got = r.findings.filter((f) => f.file === 'mm/a.ts').map((f) => [f.field, f.converted, f.receiver]);
    expect(got).toEqual([['private', true, 'page']]);
  });

  it('a mapped type over the class keeps the member (Partial<Page>)', () => {
    const r = analyze('  get order(): number { return this.w[5]!; }', {
      'mm/a.ts': `${IMPORTS}export function f(page: Partial<Page>): number { return page.order ?? 0; }\n`,
    });
    expect(r.findings.filter((f) => f.file === 'mm/a.ts').map((f) => [f.field, f.converted])).toEqual([['private', true]]);
  });

  it('a descriptor field is a converted access of its kind; the same name on a decoy, and a name the class lacks, are nothing', () => {
    const r = analyze('', {
      'mm/a.ts': `${IMPORTS}export function f(pt: Ptdesc, d: Decoy, page: Page): number { return pt.ptl + d.ptl + d.order + (page as unknown as Decoy).order; }\n`,
    });
    const got = r.findings.filter((f) => f.file === 'mm/a.ts').map((f) => [f.kind, f.field, f.converted, f.receiver]);
    expect(got).toEqual([['ptdesc', 'private', true, 'pt']]);
  });

  it('imports: resolved to a module, nothing; not resolved, or resolved to a script, residue', () => {
    const r = analyze('', {
      'mm/a.ts': `${IMPORTS}import './script.ts';\nimport { nothing } from './missing.ts';\nvoid nothing;\nexport function f(page: Page): number { return page.private; }\n`,
      'mm/script.ts': 'const x = 1;\nvoid x;\n',
    });
    const mods = r.residue.filter((x) => x.cause === 'unresolved-module').map((x) => [x.file, x.module]);
    expect(mods).toEqual([['mm/a.ts', './script.ts'], ['mm/a.ts', './missing.ts']]);
    expect(r.findings.filter((f) => f.file === 'mm/a.ts').map((f) => f.field)).toEqual(['private']);
  });
});
