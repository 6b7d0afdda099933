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
});
