/**
 * No silent drops (issue 13): a wrapper-shaped function (its body one raw access of its page
 * parameter) that nothing calls or uses as a value is no wrapper, so its access is a finding; once
 * something calls it, the call is the finding; used as a value only (a callback), it stays a
 * wrapper and that use is residue (else converting its last call would leave a body the next run
 * converts). Decided from code anywhere, so an incremental analysis of the defining file alone
 * (memdesc track) agrees with the full one, and the file records the names whose callers it
 * depends on, and, for a candidate nothing calls, every code naming it (`name:`).
 */
import { describe, expect, it } from 'vitest';
import { analyzeDetailed } from '../../src/analyzers/analyze.ts';
import { programOf } from '../../src/analyzers/project.ts';
import { builtinSpec } from '../../src/model/builtin.ts';
import { makeProject, ROOT } from './helpers.ts';

const spec = builtinSpec();
const DEFS = `
export function zs_next(page: Page): number { return page.index; }
export function zs_set_next(page: Page, v: number): void { page.index = v; }
export function dead(page: Page): number { if (PageZsmalloc(page)) { return page.private; } return 0; }`;
const USER = `
import { zs_next } from '../mm/zsmalloc.ts';
export function walk(page: Page): number { return zs_next(page); }`;
const VALUE_USER = `
import { zs_next } from '../mm/zsmalloc.ts';
export function nexts(pages: Page[]): number[] { return pages.map(zs_next); }`;

function run(files: Record<string, string>, only?: string) {
  const det = analyzeDetailed(programOf(makeProject(files)), ROOT, { spec, ...(only ? { onlyFiles: new Set([`${ROOT}/${only}`]) } : {}) });
  // The helpers' tiny kernel (include/) has its own uncalled wrappers: only the snippets count here.
  const rows = det.result.findings.filter((f) => !f.file.startsWith('include/'))
    .map((f) => `${f.file} ${f.function} ${f.access} ${f.field} ${f.kind} ${f.confidence}`);
  return { det, rows };
}

describe('no silent drops', () => {
  it('accesses in uncalled wrapper-shaped functions and uncalled functions are findings', () => {
    const { det, rows } = run({ 'mm/zsmalloc.ts': DEFS });
    expect(rows).toEqual([
      'mm/zsmalloc.ts zs_next read index zpdesc owner-hint',
      'mm/zsmalloc.ts zs_set_next write index zpdesc owner-hint',
      'mm/zsmalloc.ts dead read private zpdesc guard',
    ]);
    expect(det.result.wrappers.filter((w) => !w.file.startsWith('include/'))).toEqual([]);
  });

  it('dead code is searched too: after a return, under if (false), in an unused arrow function', () => {
    const { rows } = run({ 'cases/dead.ts': `
export function f(page: Page): number {
  return 0;
  page.private = 1;
}
export function g(page: Page): number { if (false) { return page.index; } return 0; }
const unused = (page: Page): number => { const x = page.mapping; return x; };` });
    expect(rows).toEqual([
      'cases/dead.ts f write private unknown unknown',
      'cases/dead.ts g read index unknown unknown',
      'cases/dead.ts unused read mapping unknown unknown',
    ]);
  });

  it('a caller anywhere makes it a wrapper: the call is the finding, the body is not', () => {
    const { det, rows } = run({ 'mm/zsmalloc.ts': DEFS, 'cases/user.ts': USER });
    expect(rows).toEqual([
      'cases/user.ts walk call index unknown unknown',
      'mm/zsmalloc.ts zs_set_next write index zpdesc owner-hint',
      'mm/zsmalloc.ts dead read private zpdesc guard',
    ]);
    expect(det.result.wrappers.filter((w) => !w.file.startsWith('include/')).map((w) => [w.name, w.callSites])).toEqual([['zs_next', 1]]);
  });

  it('a use as a value anywhere keeps it a wrapper: the use is residue, the body is no finding', () => {
    const { det, rows } = run({ 'mm/zsmalloc.ts': DEFS, 'cases/values.ts': VALUE_USER });
    expect(rows).toEqual([
      'mm/zsmalloc.ts zs_set_next write index zpdesc owner-hint',
      'mm/zsmalloc.ts dead read private zpdesc guard',
    ]);
    expect(det.result.wrappers.filter((w) => !w.file.startsWith('include/')).map((w) => [w.name, w.callSites])).toEqual([['zs_next', 0]]);
    expect(det.result.residue.filter((r) => r.file === 'cases/values.ts').map((r) => r.reason)).toEqual([
      expect.stringContaining('wrapper `zs_next()` used as a value'),
    ]);
  });

  for (const [other, user] of [['no user', undefined], ['a caller', USER], ['a use as a value', VALUE_USER]] as const) {
    it(`the defining file alone gives the same findings (${other} elsewhere) and depends on the callers of its wrapper candidates, and on the code naming those nothing calls`, () => {
      const files: Record<string, string> = { 'mm/zsmalloc.ts': DEFS, ...(user ? { 'cases/user.ts': user } : {}) };
      const full = run(files).rows.filter((r) => r.startsWith('mm/'));
      const part = run(files, 'mm/zsmalloc.ts');
      expect(part.rows).toEqual(full);
      const deps = [...part.det.callerDeps].filter(([sf]) => !sf.fileName.includes('/include/')).map(([sf, names]) => [sf.fileName.slice(ROOT.length + 1), [...names].sort()]);
      // dead(): its page's provenance is what its callers pass, calls or callbacks over elements
      // (any code naming it may hold one); zs_*: wrappers or not by their callers, and one nothing
      // calls by whether some code uses it as a value.
      const uncalled = user === USER ? ['name:zs_set_next'] : ['name:zs_next', 'name:zs_set_next'];
      expect(deps).toEqual([['mm/zsmalloc.ts', ['dead', 'name:dead', ...uncalled, 'zs_next', 'zs_set_next']]]);
    });
  }
});
