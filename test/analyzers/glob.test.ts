import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { matchName, matchPath } from '../../src/analyzers/glob.ts';

describe('globs', () => {
  it('paths', () => {
    expect(matchPath('mm/slub.ts', 'mm/slub.ts')).toBe(true);
    expect(matchPath('mm/slub.ts', 'mm/slub_ts')).toBe(false);
    expect(matchPath('arch/x86/mm/*.ts', 'arch/x86/mm/pgtable.ts')).toBe(true);
    expect(matchPath('arch/x86/mm/*.ts', 'arch/x86/mm/sub/pgtable.ts')).toBe(false);
    expect(matchPath('arch/**/*.ts', 'arch/x86/mm/pgtable.ts')).toBe(true);
    expect(matchPath('**/pgalloc.ts', 'pgalloc.ts')).toBe(true);
    expect(matchPath('./mm/*.ts', 'mm/rmap.ts')).toBe(true);
  });
  it('function names', () => {
    expect(matchName('ptlock_*', 'ptlock_init')).toBe(true);
    expect(matchName('pgtable_*_page_ctor', 'pgtable_pte_page_ctor')).toBe(true);
    expect(matchName('pgtable_*_page_ctor', 'pgtable_pte_page_dtor')).toBe(false);
    expect(matchName('__pte_alloc*', '__pte_alloc')).toBe(true);
    expect(matchName('f$', 'f$')).toBe(true);
  });
  it('picomatch syntax: braces, classes, dot files', () => {
    expect(matchPath('mm/{slub,slab_common}.ts', 'mm/slab_common.ts')).toBe(true);
    expect(matchPath('mm/{slub,slab_common}.ts', 'mm/slab.ts')).toBe(false);
    expect(matchPath('mm/swap[_a-z]*.ts', 'mm/swap_state.ts')).toBe(true);
    expect(matchPath('src/**/*.ts', 'src/.hidden/a.ts')).toBe(true);
    expect(matchPath('src/?.ts', 'src/a.ts')).toBe(true);
    expect(matchPath('src/?.ts', 'src/ab.ts')).toBe(false);
    expect(matchName('{is,has}Door*', 'hasDoorway')).toBe(true);
  });
  it('a glob of word characters alone matches that string alone, as picomatch does (answered without it)', () => {
    const pm = createRequire(import.meta.url)('picomatch') as typeof import('picomatch');
    const strings = ['alloc_slab_page', 'alloc_slab_page/', './alloc_slab_page', 'alloc_slab_pages', 'Alloc_slab_page', 'x', 'x.ts', '_', '__x'];
    for (const g of ['alloc_slab_page', 'x', '_', '__x', 'A1']) {
      const m = pm(g, { dot: true });
      for (const s of strings) {
        expect(matchName(g, s), `${g} ~ ${s}`).toBe(m(s));
        expect(matchPath(g, s), `${g} ~ ${s}`).toBe(m(s));
      }
    }
  });
});
