/**
 * planProgress: each rule's done / not done / not applicable on an analyzed in-memory project
 * (so treeFacts and the analyzer's findings are the real ones), plus subject parsing details.
 */
import { describe, expect, it } from 'vitest';
import { analyzeDetailed } from '../../src/analyzers/analyze.ts';
import { programOf } from '../../src/analyzers/project.ts';
import { builtinSpec } from '../../src/model/builtin.ts';
import type { SeriesPlan } from '../../src/model/progress.ts';
import { namedFunctions, planProgress, treeFacts } from '../../src/track/planStatus.ts';
import { makeProject, ROOT } from '../analyzers/helpers.ts';

const spec = builtinSpec();

// Slab (a class) and Ptdesc (an interface) are declared by the helpers' tiny kernel; Zpdesc is not.
const project = makeProject({
  'mm/slub.ts': `
export function new_slab(): Page { const page = alloc_slab_page(0); page.index = 1; return page; }
export function slab_done(slab: Slab): void { slab.freelist = 0; }
export function slab_still_page(page: Page): Page { return page; }
export function slab_wrapped(): number { return page_private(alloc_slab_page(0)); }
`,
  'mm/other.ts': `
export const arrow_fn = (n: number): number => n + 1;
export class Holder { method_fn(): number { return 1; } }
`,
});
const detailed = analyzeDetailed(programOf(project), ROOT, { spec });

function states(...subjects: string[]): Array<[string, string]> {
  const plan: SeriesPlan = { title: 'Convert SLUB to struct slab', version: 1, author: 'A', patches: subjects.map((subject, i) => ({ number: i + 1, subject })) };
  return planProgress(plan, detailed, spec).patches.map((p) => [p.state, p.reason]);
}

describe('treeFacts', () => {
  it('collects declared functions (declarations, arrows, methods) with their signature types, and declared descriptors', () => {
    const facts = treeFacts(detailed);
    for (const f of ['new_slab', 'slab_done', 'arrow_fn', 'method_fn', 'page_private']) expect(facts.functions.has(f), f).toBe(true);
    expect([...facts.functions.get('slab_done')!]).toEqual(['Slab']);
    expect(facts.functions.get('slab_still_page')!.has('Page')).toBe(true);
    expect([...facts.descriptors].sort()).toEqual(['ptdesc', 'slab']);
  });
});

describe('planProgress rules', () => {
  it('function patches: raw accesses left, clean, wrapper call sites, page-typed signature, absent', () => {
    const [raw, clean, typed, wrapper, absent, partly] = states(
      'mm/slub: Convert new_slab() to use struct slab',
      'mm/slub: Convert slab_done() to use struct slab',
      'mm/slub: Convert slab_still_page() to slabs',
      'mm: Convert page_private() to use slab',
      'mm/slub: Convert gone_fn() to use struct slab',
      'mm/slub: Convert {slab_done, gone_fn}() to use slab',
    );
    expect(raw).toEqual(['not done', 'new_slab() has 1 raw slab access']);
    expect(clean).toEqual(['done', 'slab_done() has no raw slab accesses left']);
    expect(typed).toEqual(['not done', 'slab_still_page() still takes or returns Page, not Slab']);
    expect(wrapper![0]).toBe('not done');
    expect(wrapper![1]).toMatch(/^page_private\(\) is a raw private wrapper with 1 slab call site/);
    expect(absent).toEqual(['not applicable', 'gone_fn() is not declared in the tree']);
    expect(partly).toEqual(['done', 'slab_done() has no raw slab accesses left; gone_fn() not in the tree']);
  });

  it('"Use struct X in f()" asks only for the body: a page-typed signature may stay', () => {
    expect(states('mm/slub: Use struct slab in slab_still_page()', 'mm/slub: Use struct slab in new_slab()')).toEqual([
      ['done', 'slab_still_page() has no raw slab accesses left'],
      ['not done', 'new_slab() has 1 raw slab access'],
    ]);
  });

  it('"Add K names to struct page", "Remove F and G from struct page", "Convert the remaining K sites": measured on the page class and the counts', () => {
    const subjects = ['mm: Add buddy names to struct page', 'mm: Remove lru and private from struct page', 'mm/slub: Convert the remaining slab sites to slabs', 'mm: Convert the remaining zpdesc sites to zpdescs'];
    expect(states(...subjects)).toEqual([
      ['not done', 'Page does not declare buddy_list, order'],
      ['not done', 'Page still declares lru, private'],
      ['not done', 'slab still has 2 raw accesses'],
      ['done', 'zpdesc has no raw Page accesses left'],
    ]);
    // The same tree with the buddy names added and lru/private retired.
    const facts = treeFacts(detailed);
    const retired = { ...facts, pageMembers: new Set([...[...facts.pageMembers].filter((m) => m !== 'lru' && m !== 'private'), 'buddy_list', 'order']) };
    const plan: SeriesPlan = { title: 'Split struct page', version: 1, author: 'A', patches: subjects.slice(0, 2).map((subject, i) => ({ number: i + 1, subject })) };
    expect(planProgress(plan, retired, spec).patches.map((p) => [p.state, p.reason])).toEqual([
      ['done', 'Page declares buddy_list, order'],
      ['done', 'Page no longer declares lru, private'],
    ]);
  });

  it('the kind comes from the subject first: the same function has no raw zpdesc accesses, only a Page signature', () => {
    expect(states('mm/slub: Convert new_slab() to use zpdescs')).toEqual([['not done', 'new_slab() still takes or returns Page, not Zpdesc']]);
    expect(states('mm/slub: Convert slab_done() to use zpdescs')).toEqual([['done', 'slab_done() has no raw zpdesc accesses left']]);
  });

  it('stage 2 "Allocate X from slab": done when the kind is separated (read from the code), not done while an overlay', () => {
    const facts = { ...treeFacts(detailed), stage2: { slab: 'overlay', ptdesc: 'separated', zpdesc: 'undeclared' } as const };
    const plan: SeriesPlan = { title: 'Split struct page', version: 1, author: 'A', patches: ['mm: Allocate ptdesc from slab', 'mm: Allocate slab from slab', 'mm: Allocate zpdesc from slab', 'mm: Allocate buddy from slab'].map((subject, i) => ({ number: i + 1, subject })) };
    expect(planProgress(plan, facts, spec).patches.map((p) => [p.state, p.reason])).toEqual([
      ['done', 'ptdesc is separated: its descriptor is reached through the memdesc word'],
      ['not done', 'slab is still an overlay of Page'],
      ['not done', 'zpdesc is not declared beside Page'],
      ['not applicable', 'kind buddy has no descriptor class in the spec'],
    ]);
  });

  it('stage 2 "Embed X in the memdesc word" (a misc kind): done when separated, not done while an overlay', () => {
    const plan = (stage2: Record<string, 'separated' | 'overlay'>) => planProgress(
      { title: 'Split struct page', version: 1, author: 'A', patches: [{ number: 1, subject: 'mm: Embed vmalloc in the memdesc word' }] },
      { ...treeFacts(detailed), stage2 }, spec,
    ).patches.map((p) => [p.state, p.reason]);
    expect(plan({ vmalloc: 'separated' })).toEqual([['done', 'vmalloc is separated: its descriptor is reached through the memdesc word']]);
    expect(plan({ vmalloc: 'overlay' })).toEqual([['not done', 'vmalloc is still an overlay of Page']]);
  });

  it('descriptor creation: declared or not; a kind without a descriptor', () => {
    expect(states('mm: Create struct slab', 'pgtable: Create struct ptdesc', 'mm/zsmalloc: Add struct zpdesc', 'mm: Introduce struct buddy')).toEqual([
      ['done', 'descriptor class Slab is declared in the tree'],
      ['done', 'descriptor class Ptdesc is declared in the tree'],
      ['not done', 'descriptor class Zpdesc is not declared in the tree'],
      ['not applicable', 'kind buddy has no descriptor class in the spec'],
    ]);
  });

  it('members removed from struct page: counts the kind (named in the subject or by the series title)', () => {
    expect(states('mm: Remove zpdesc members from struct page')).toEqual([['done', 'zpdesc has no raw Page accesses left']]);
    expect(states('mm: Remove SLUB members from struct page')).toEqual([['not done', 'slab still has 2 raw accesses']]);
  });

  it('function removal: done once none of them is declared', () => {
    expect(states('mm: Remove {new_slab, gone_fn}() wrappers', 'mm: Remove gone_fn() and old_fn()')).toEqual([
      ['not done', 'new_slab() is still declared in the tree'],
      ['done', 'gone_fn(), old_fn() are no longer declared in the tree'],
    ]);
  });

  it('page->field patches count that field of the kind', () => {
    expect(states('slub: Stop using page->index', 'slub: Remove uses of page->lru')).toEqual([
      ['not done', 'slab still has 1 raw index access'],
      ['done', 'slab has no raw lru accesses left'],
    ]);
  });

  it('anything unrecognised is not applicable with a reason', () => {
    const plan: SeriesPlan = { title: 'Misc', version: 1, author: 'A', patches: [{ number: 1, subject: 'mm: Document x86 uses a linked list of pgds' }] };
    expect(planProgress(plan, detailed, spec).patches[0]).toEqual({
      number: 1, subject: 'mm: Document x86 uses a linked list of pgds', state: 'not applicable',
      reason: 'the subject names no function, descriptor or page field the analysis can measure',
    });
  });
});

describe('namedFunctions', () => {
  it.each([
    ['mm: Convert ptlock_alloc() to use ptdescs', ['ptlock_alloc']],
    ['mm: Remove pgtable_{pmd, pte}_page_{ctor, dtor}() wrappers', ['pgtable_pmd_page_ctor', 'pgtable_pmd_page_dtor', 'pgtable_pte_page_ctor', 'pgtable_pte_page_dtor']],
    ['um: Convert {pmd, pte}_free_tlb() to use ptdescs', ['pmd_free_tlb', 'pte_free_tlb']],
    ['mm: Create ptdesc equivalents for pgtable_{pte,pmd}_page_{ctor,dtor}', []],
    ['x86: Convert various functions to use ptdescs', []],
  ])('%s', (subject, want) => {
    expect(namedFunctions(subject)).toEqual(want);
  });
});
