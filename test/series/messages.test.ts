/**
 * Commit subjects and bodies in the spec's words: a user's spec gets its class and descriptor
 * classes as written; the kernel's spec keeps "struct page" and "struct slab". Methods and
 * top-level code are named as what they are, and a retire patch that removes only helpers names
 * them (the issue saw "Every access to has been converted").
 */
import { describe, expect, it } from 'vitest';
import { builtinSpec } from '../../src/model/builtin.ts';
import type { Spec } from '../../src/model/spec.ts';
import { specWords } from '../../src/model/words.ts';
import type { KindPlan } from '../../src/rewrite/kinds.ts';
import { commitMessage, seriesTitle, stepSubject, type MessageContext } from '../../src/series/messages.ts';
import type { StepTree } from '../../src/series/steps.ts';

const RETIRED_NONE = { members: [], helpers: [] };

function context(spec: Spec, kind: { name: string; desc: string | null; description?: string }): MessageContext {
  const k = { name: kind.name, desc: kind.desc, spec: { name: kind.name, ...(kind.description ? { description: kind.description } : {}) }, fields: new Map([['qty', ['count']]]), match: 'STOCK_MATCH', placement: 'src/stockdesc.ts' } as unknown as KindPlan;
  return {
    kinds: new Map([[kind.name, k]]), pageClass: spec.page.class, pageFile: spec.page.file, placement: (x) => x.placement,
    words: specWords(spec), prefix: (files) => `p(${files.join(',')})`,
  };
}

function tree(step: Record<string, unknown>, retired: { members: string[]; helpers: string[] } = RETIRED_NONE): StepTree {
  return { step, report: { retired, created: [], functions: [], skipped: [], kinds: [], converted: {} }, texts: new Map(), changed: [], empty: false } as unknown as StepTree;
}

const unit = (names: string[], files: string[], keepsPage = false) => ({ kind: 'stock', names, files, retyped: [], keepsPage, sites: [] });

describe('series messages', () => {
  const user = { ...builtinSpec(), name: 'warehouse', page: { ...builtinSpec().page, class: 'Shelf', file: 'src/shelf.ts' } } as Spec;
  const m = context(user, { name: 'stock', desc: 'Stock', description: 'shelves holding stock' });

  it("a user's spec: its classes as written, no struct, no memory descriptor", () => {
    expect(stepSubject(tree({ role: 'scaffold', kind: 'stock' }), m, [])).toBe('p(src/stockdesc.ts): Create Stock');
    expect(stepSubject(tree({ role: 'convert', kind: 'stock', unit: unit(['take'], ['src/stock.ts']) }), m, [])).toBe('p(src/stock.ts): Convert take() to use Stock');
    expect(stepSubject(tree({ role: 'convert', kind: 'stock', unit: unit(['describe'], ['src/report.ts'], true) }), m, [])).toBe('p(src/report.ts): Use Stock in describe()');
    expect(stepSubject(tree({ role: 'retire' }, { members: ['Shelf.qty', 'Shelf.owner'], helpers: [] }), m, [])).toBe('p(src/shelf.ts): Remove qty and owner from Shelf');
    expect(seriesTitle(['stock'], m, true)).toBe('Split Shelf into descriptors');
    expect(seriesTitle(['stock'], m, false)).toBe('Separate stock from Shelf');
    const body = commitMessage([tree({ role: 'convert', kind: 'stock', unit: unit(['describe'], ['src/report.ts'], true) })], undefined, m, [], 'ok', []);
    expect(body).toContain('through Stock');
    expect(body).toContain('(type tests, generic helpers)');
    expect(body).not.toMatch(/\bpages?\b|struct|memory descriptor/);
  });

  it('a method is named as a function, its prefix from its file; top-level code as its file, also at the project root', () => {
    // Methods are not top-level functions: the unit's files are where its sites are.
    expect(stepSubject(tree({ role: 'convert', kind: 'stock', unit: unit(['active'], ['src/cell.ts']) }), m, [])).toBe('p(src/cell.ts): Convert active() to use Stock');
    expect(stepSubject(tree({ role: 'convert', kind: 'stock', unit: unit(['main.ts'], ['main.ts']) }), m, [])).toBe('p(main.ts): Convert main.ts to use Stock');
    expect(stepSubject(tree({ role: 'convert', kind: 'stock', unit: unit(['src/main.ts'], ['src/main.ts']) }), m, [])).toBe('p(src/main.ts): Convert src/main.ts to use Stock');
  });

  it('a retire patch that removes helpers only names them, subject and body', () => {
    const t = tree({ role: 'retire' }, { members: [], helpers: ['supplierOf', 'holdOf'] });
    expect(stepSubject(t, m, [])).toBe('p(src/shelf.ts): Remove supplierOf() and holdOf()');
    const msg = commitMessage([t], undefined, m, [], 'ok', []);
    expect(msg).toContain('Every call of supplierOf() and holdOf() was inlined');
    expect(msg).not.toMatch(/access to {2}|access to has/);
  });

  it("the kernel's spec keeps the kernel's words", () => {
    const k = context(builtinSpec(), { name: 'slab', desc: 'Slab' });
    expect(stepSubject(tree({ role: 'scaffold', kind: 'slab' }), k, [])).toBe('p(src/stockdesc.ts): Create struct slab');
    expect(stepSubject(tree({ role: 'convert', kind: 'slab', unit: { ...unit(['new_slab'], ['mm/slub.ts']), kind: 'slab' } }), k, [])).toBe('p(mm/slub.ts): Convert new_slab() to use slabs');
    expect(stepSubject(tree({ role: 'retire' }, { members: ['Page.lru'], helpers: [] }), k, [])).toBe('p(include/linux/mm_types.ts): Remove lru from struct page');
    expect(seriesTitle(['slab'], k, true)).toBe('Split struct page into memory descriptors');
  });
});
