/**
 * The stage-2 chain of `series --all`, the parts test/series/corpus.test.ts (three kinds, one
 * series run) does not prove: the cover letter lists every kind separated (an embedded one as
 * such) and the shrink with its sizes; the series' own plan judges "Shrink struct page to N bytes"
 * from the code (the class's size as its layout says), so a series ending in a shrink reads all
 * done. The whole chain on a copy of the corpus (every kind, then the shrink, `git am`, the metadata
 * table) is too long for the test suite: it is measured by hand (docs/stage2.md, "In a series and
 * in `npm start`").
 */
import { describe, expect, it } from 'vitest';
import { analyzeDetailed } from '../../src/analyzers/analyze.ts';
import { loadProgram } from '../../src/analyzers/project.ts';
import { builtinSpec } from '../../src/model/builtin.ts';
import type { SeriesPlan } from '../../src/model/progress.ts';
import { BUNDLED_CORPUS } from '../../src/paths.ts';
import { renderMetadata, type MetadataRow } from '../../src/pipeline/metadata.ts';
import { blockedLines, stage2Done, type Stage2Step } from '../../src/series/stage2.ts';
import { planProgress, treeFacts, type TreeFacts } from '../../src/track/planStatus.ts';

const spec = builtinSpec();

const step = (over: Partial<Stage2Step>): Stage2Step => ({ role: 'separate', texts: new Map(), changed: [], typecheck: { files: 0, ms: 0 }, ...over });

describe('the cover letter on stage 2', () => {
  it('lists the kinds separated in order (an embedded one with its misc word) and the shrink, then the blocked kinds', () => {
    const steps = [
      step({ kind: 'ptdesc' }), step({ kind: 'vmalloc', embedded: 'MEMDESC_MISC_VMALLOC' }), step({ kind: 'slab' }),
      step({ role: 'shrink', shrink: { oldSize: 64, newSize: 24, removed: ['lru', 'mapping'] } }),
    ];
    const done = stage2Done(steps);
    expect(done).toEqual({ separated: ['ptdesc', 'vmalloc', 'slab'], embedded: { vmalloc: 'MEMDESC_MISC_VMALLOC' }, shrink: { oldSize: 64, newSize: 24 } });
    expect(blockedLines({ steps, blocked: [{ kind: 'folio', blockers: 2 }], problems: [] }, done)).toEqual([
      "Kinds separated (one patch each, in the plan's order):",
      '  ptdesc',
      '  vmalloc: embedded in the memdesc word (MEMDESC_MISC_VMALLOC)',
      '  slab',
      'The last patch shrinks struct page from 64 to 24 bytes.',
      '',
      'Kinds not separated (their audit is not clean on the tree before them):',
      '  folio: 2 blockers; run `memdesc audit folio`',
    ]);
  });

  it('says only what was committed: a stage 2 that stopped after its first patch lists that kind alone, with no shrink', () => {
    const steps = [step({ kind: 'ptdesc' }), step({ kind: 'zpdesc' }), step({ role: 'shrink', shrink: { oldSize: 64, newSize: 56, removed: ['x'] } })];
    // series.ts passes the steps it committed: here the first.
    expect(blockedLines({ steps, blocked: [], problems: [{ what: 'separate folio', reason: 'does not type-check' }] }, stage2Done(steps.slice(0, 1)), 'Shelf')).toEqual([
      "Kinds separated (one patch each, in the plan's order):",
      '  ptdesc',
      '',
      'Stage-2 steps left out:',
      '  separate folio: does not type-check',
    ]);
    // Nothing committed and nothing blocked: nothing said.
    expect(blockedLines({ steps, blocked: [], problems: [] }, stage2Done([]))).toEqual([]);
  });
});

describe('plan status of "Shrink struct page to N bytes"', () => {
  const plan = (...subjects: string[]): SeriesPlan => ({ title: 'Split struct page', version: 1, author: 'A', patches: subjects.map((subject, i) => ({ number: i + 1, subject })) });
  const judge = (facts: TreeFacts, ...subjects: string[]) => planProgress(plan(...subjects), facts, spec).patches.map((p) => [p.state, p.reason]);

  it('reads the size from the code: the corpus base is 64 bytes (STRUCT_PAGE_SIZE), so a shrink to 24 is not done and one to 64 is', () => {
    const { program, root } = loadProgram(BUNDLED_CORPUS);
    const facts = treeFacts(analyzeDetailed(program, root, { spec }));
    expect(facts.pageBytes?.()).toBe(64);
    expect(judge(facts, 'mm: Shrink struct page to 24 bytes', 'mm: Shrink struct page to 64 bytes')).toEqual([
      ['not done', 'Page is still 64 bytes in the code'],
      ['done', 'Page is 64 bytes in the code'],
    ]);
  }, 120_000);

  it('a later, deeper shrink keeps an earlier one done; a class whose size the code does not fix is not applicable', () => {
    const base: TreeFacts = { result: { findings: [], wrappers: [] } as unknown as TreeFacts['result'], functions: new Map(), descriptors: new Set(), pageMembers: new Set() };
    expect(judge({ ...base, pageBytes: () => 16 }, 'mm: Shrink struct page to 24 bytes', 'mm: Shrink struct page to 16 bytes', 'mm: Shrink struct page to 8 bytes')).toEqual([
      ['done', 'Page is 16 bytes in the code'],
      ['done', 'Page is 16 bytes in the code'],
      ['not done', 'Page is still 16 bytes in the code'],
    ]);
    expect(judge({ ...base, pageBytes: () => undefined }, 'mm: Shrink struct page to 24 bytes')).toEqual([['not applicable', 'the code of Page does not fix its size']]);
    // Another spec's class, in its own words ("Shrink Shelf to 16 bytes").
    const shelf = { ...spec, page: { ...spec.page, class: 'Shelf', file: 'src/shelf.ts' } };
    expect(planProgress(plan('shop: Shrink Shelf to 16 bytes'), { ...base, pageBytes: () => 16 }, shelf).patches[0]).toMatchObject({ state: 'done' });
  });
});

describe('plan status of stage-1 patches after the shrink', () => {
  const base: TreeFacts = { result: { findings: [], wrappers: [] } as unknown as TreeFacts['result'], functions: new Map(), descriptors: new Set(), pageMembers: new Set() };
  const judge = (members: string[], subject: string) => planProgress({ title: 'Split struct page', version: 1, author: 'A', patches: [{ number: 1, subject }] },
    { ...base, pageMembers: new Set(members) }, spec).patches.map((p) => [p.state, p.reason])[0];

  it('"Add buddy names": a name the shrink removed with its field is done; a name missing beside its field is not', () => {
    // The tip of a series ending in a shrink: private (buddy's order) left struct page, lru stayed.
    expect(judge(['flags', 'lru', 'buddy_list', 'memdesc'], 'mm: Add buddy names to struct page')).toEqual(['done', 'Page declares buddy_list; order left with private (no longer declared)']);
    expect(judge(['flags', 'memdesc'], 'mm: Add buddy names to struct page')).toEqual(['done', 'buddy_list, order left with lru, private (no longer declared)']);
    // Before the patch: the fields are there, the names are not.
    expect(judge(['flags', 'lru', 'private'], 'mm: Add buddy names to struct page')).toEqual(['not done', 'Page does not declare buddy_list, order']);
    expect(judge(['flags', 'lru', 'buddy_list', 'private', 'order'], 'mm: Add buddy names to struct page')).toEqual(['done', 'Page declares buddy_list, order']);
  });
});

describe("npm start's metadata table", () => {
  const report = (struct: number, memmap: number, descriptors: Record<string, number>, ram: number) => {
    const metadata = memmap + Object.values(descriptors).reduce((a, b) => a + b, 0);
    return { ram_bytes: ram, struct_page_bytes: struct, memmap_bytes: memmap, descriptor_bytes: descriptors, metadata_bytes: metadata, percent: (100 * metadata) / ram };
  };
  it('gives base and tip at each RAM size, and each kind\'s descriptors at every size, largest first', () => {
    const rows: MetadataRow[] = [
      { ram: '64M', before: report(64, 1 << 20, {}, 64 << 20), after: report(32, 1 << 19, { ptdesc: 9 << 10, folio: 204 << 10 }, 64 << 20) },
      { ram: '1G', before: report(64, 16 << 20, {}, 1 << 30), after: report(32, 8 << 20, { ptdesc: 66 << 10, folio: 217 << 10 }, 1 << 30) },
    ];
    const text = renderMetadata(rows).split('\n');
    expect(text[0]).toBe('metadata at the end of a mixed run (simulate --report metadata), base vs tip:');
    expect(text.slice(2, 6).map((l) => l.split(/\s+/).slice(0, 4).join(' '))).toEqual(['64M base 64 B', '64M tip 32 B', '1G base 64 B', '1G tip 32 B']);
    expect(text[2]).toMatch(/ 1\.563%$/);
    expect(text.at(-1)).toBe('descriptors at the tip: folio 204.0 KiB / 217.0 KiB, ptdesc 9.0 KiB / 66.0 KiB (at 64M / 1G)');
  });
});
