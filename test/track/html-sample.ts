/**
 * A sample TrackReport for the HTML report tests: five kinds over ten commits (one kind
 * regressing once, one finishing), hostile subjects, residue and a plan with every state.
 */
import type { KindProgress, ProgressPoint, TrackReport } from '../../src/model/progress.ts';
import { percentDone } from '../../src/track/progress.ts';

export const SAMPLE_KINDS = ['folio', 'slab', 'ptdesc', 'zpdesc', 'netmem'];

/** remaining[kind][commit]; converted grows by what remaining lost, from a per-kind base. */
const REMAINING: Record<string, number[]> = {
  folio: [120, 118, 111, 104, 104, 97, 90, 86, 80, 71],
  slab: [64, 60, 52, 52, 40, 33, 33, 21, 12, 9],
  ptdesc: [30, 30, 30, 28, 31, 26, 20, 15, 9, 4],
  zpdesc: [18, 15, 12, 9, 6, 3, 0, 0, 0, 0],
  netmem: [7, 7, 7, 7, 7, 7, 7, 7, 7, 7],
};
const BASE_CONVERTED: Record<string, number> = { folio: 40, slab: 5, ptdesc: 0, zpdesc: 2, netmem: 0 };

const SUBJECTS = [
  'mm: add struct folio',
  'slab: use struct slab in <kmem_cache_free> & friends',
  'mm/ptdesc: "convert" pte_alloc_one()',
  "zsmalloc: don't touch page->index",
  'mm: folio_mapping() replaces page->mapping',
  'Revert "mm/ptdesc: drop pt_frag_refcount"',
  'zsmalloc: finish zpdesc <conversion>',
  'slab: kmalloc_large() & co use folios',
  'mm/ptdesc: pagetable_{alloc,free} <\'quoted\'>',
  'mm: folio_index() & folio->index everywhere',
];

export function sampleReport(commits = 10): TrackReport {
  const points: ProgressPoint[] = [];
  for (let i = 0; i < commits; i++) {
    const kinds: Record<string, KindProgress> = {};
    for (const k of SAMPLE_KINDS) {
      const series = REMAINING[k]!;
      const remaining = series[i % series.length]!;
      const converted = BASE_CONVERTED[k]! + series[0]! - remaining;
      kinds[k] = { remaining, converted, percent: percentDone(converted, remaining) };
    }
    points.push({
      commit: `${(0xa1b2c3d + i * 0x111111).toString(16).padStart(7, '0')}${'0'.repeat(33)}`,
      subject: SUBJECTS[i % SUBJECTS.length]!,
      date: `2024-03-${String(i + 1).padStart(2, '0')}T12:00:00+01:00`,
      kinds,
      unknown: 5 - Math.min(i, 3),
      residue: 3,
      files: 40 + i,
    });
  }
  return {
    version: 1,
    repo: '/src/linux-ts',
    path: 'mm',
    spec: 'linux',
    kinds: [...SAMPLE_KINDS],
    points,
    residue: [
      { file: 'zsmalloc.ts', line: 812, column: 9, reason: 'receiver is any-typed: `(obj as any).page`', field: 'private' },
      { file: 'page_alloc.ts', line: 1204, column: 17, reason: 'file does not parse <unterminated template> & more', field: 'lru' },
      { file: 'drivers/odd name#1.ts', line: 3, column: 1, reason: 'dynamic property access page[f]' },
    ],
    cache: { analyzedFiles: 57, reusedFiles: 343 },
    plan: {
      title: 'Split ptdesc from struct page <v3> & friends',
      version: 3,
      patches: [
        { number: 1, subject: 'mm: add struct ptdesc', state: 'done', reason: 'ptdesc type exists' },
        { number: 2, subject: 'mm: convert pte_alloc_one() to ptdesc', state: 'done', reason: '0 raw accesses left in pte_alloc_one' },
        { number: 3, subject: 'mm: convert pmd_alloc & pud_alloc', state: 'not done', reason: '4 raw accesses of page->lru remain' },
        { number: 4, subject: 's390: convert gmap to ptdesc', state: 'not applicable', reason: 'no s390 code in the corpus' },
        { number: 5, subject: 'mm: remove page->pt_frag_refcount', state: 'not done', reason: 'field still read in 2 sites' },
      ],
    },
  };
}

/** `report` with the points at `at` turned into gaps (commits without numbers), as track makes them. */
export function withGaps(report: TrackReport, at: number[], reason = 'no tsconfig.json at mm/tsconfig.json'): TrackReport {
  for (const i of at) {
    const p = report.points[i]!;
    report.points[i] = { commit: p.commit, subject: p.subject, date: p.date, kinds: {}, unknown: 0, residue: 0, files: 0, gap: `${reason} <${i}>` };
  }
  return report;
}
