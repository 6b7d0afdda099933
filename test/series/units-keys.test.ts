/**
 * A series' units are keyed by declaration (units.ts: `FILE#NAME`), not by the spelled function
 * name: two files' same-named static helpers (common in the kernel) are two units, each scoped to
 * its own file, and a call reaches the helper it resolves to (its own file's, or the one an
 * aliased import names, or what an ops table it calls through holds), never a namesake elsewhere. The scope entries select exactly that
 * function's sites in the converter (plan.ts).
 */
import { describe, expect, it } from 'vitest';
import { analyzeDetailed } from '../../src/analyzers/analyze.ts';
import { programOf } from '../../src/analyzers/project.ts';
import { builtinSpec } from '../../src/model/builtin.ts';
import { selectKinds } from '../../src/rewrite/kinds.ts';
import { planConversion } from '../../src/rewrite/plan.ts';
import { planUnits } from '../../src/series/units.ts';
import { makeProject, ROOT } from '../analyzers/helpers.ts';

const K = `import { Page, PageSlab } from '../include/linux/kernel.ts';\n`;

const FILES: Record<string, string> = {
  // Two files, each with its own static helper `fixup` reading a slab page, and a caller of it.
  'mm/a.ts': `${K}function fixup(page: Page): number { if (PageSlab(page)) return page.index; return 0; }
export function a_user(page: Page): number { return fixup(page) + 1; }
`,
  'mm/b.ts': `${K}function fixup(page: Page): number { if (PageSlab(page)) return page.private; return 0; }
export function b_user(page: Page): number { if (PageSlab(page)) return fixup(page) + page.mapping; return 0; }
`,
  // A caller reaching a.ts's exported helper under an alias: its callee is a.ts's, not b.ts's.
  'mm/c.ts': `${K}import { a_user as au } from './a.ts';
export function c_user(page: Page): number { if (PageSlab(page)) return au(page) + page.index; return 0; }
`,
  // A call through an ops table reaches the function stored in it (declared after its caller here).
  'mm/d.ts': `${K}interface Ops { handle(page: Page): number }
export function d_user(page: Page, ops: Ops): number { if (PageSlab(page)) return ops.handle(page) + page.private; return 0; }
function d_handle(page: Page): number { if (PageSlab(page)) return page.index; return 0; }
export const d_ops: Ops = { handle: d_handle };
`,
};

function units() {
  const program = programOf(makeProject(FILES, false));
  const spec = builtinSpec();
  const det = analyzeDetailed(program, ROOT, { spec });
  const kinds = selectKinds(spec, ['slab'], false);
  const one = planConversion(program, ROOT, { spec, kinds: ['slab'], retire: false, analysis: det });
  return { program, spec, det, us: planUnits(det, kinds, one.report).get('slab') ?? [] };
}

describe('series units by declaration (units.ts)', () => {
  const { program, spec, det, us } = units();
  const mine = us.filter((u) => u.files.some((f) => f.startsWith('mm/')));

  it('same-named helpers of two files are two units, each scoped to its own file', () => {
    const fixups = mine.filter((u) => u.names.includes('fixup'));
    expect(fixups.map((u) => u.scope)).toEqual([['mm/a.ts#fixup'], ['mm/b.ts#fixup']]);
    expect(fixups.map((u) => u.files)).toEqual([['mm/a.ts'], ['mm/b.ts']]);
    expect(fixups.map((u) => u.sites.map((s) => `${s.file} ${s.field}`))).toEqual([['mm/a.ts index'], ['mm/b.ts private']]);
  });

  it('callees first, by the declaration each call resolves to', () => {
    const order = mine.map((u) => u.scope.join(','));
    const at = (k: string) => order.indexOf(k);
    expect(at('mm/b.ts#fixup')).toBeLessThan(at('mm/b.ts#b_user'));
    expect(at('mm/a.ts#fixup')).toBeGreaterThanOrEqual(0);
    // c_user reads a slab page itself; it calls a_user (no site of its own: not a unit) which calls a.ts's fixup.
    expect(at('mm/a.ts#fixup')).toBeLessThan(at('mm/c.ts#c_user'));
    expect(order).not.toContain('mm/a.ts#a_user');
  });

  it('a call through an ops table reaches the function the table holds: callee first', () => {
    const order = mine.map((u) => u.scope.join(','));
    expect(order.indexOf('mm/d.ts#d_handle')).toBeGreaterThanOrEqual(0);
    expect(order.indexOf('mm/d.ts#d_handle')).toBeLessThan(order.indexOf('mm/d.ts#d_user'));
  });

  it('a unit\'s scope converts its own function\'s sites, not the namesake\'s', () => {
    const p = planConversion(program, ROOT, { spec, kinds: ['slab'], scope: { slab: ['mm/b.ts#fixup'] }, retire: false, analysis: det });
    const changed = p.changes.map((c) => c.file.slice(ROOT.length + 1));
    expect(changed).toContain('mm/b.ts');
    expect(changed).not.toContain('mm/a.ts');
  });
});
