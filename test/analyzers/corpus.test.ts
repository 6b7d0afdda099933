/**
 * The bundled corpus: a golden check against DESIGN.md's Stage-0 table, and precision / recall
 * against the hand-labelled sites of corpus-labels.ts.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzePath } from '../../src/analyzers/analyze.ts';
import { matchAnyPath } from '../../src/analyzers/glob.ts';
import { builtinSpec } from '../../src/model/builtin.ts';
import { BUNDLED_CORPUS } from '../../src/paths.ts';
import { FILE_LABELS, SITE_LABELS, STAGE0_FIELDS } from './corpus-labels.ts';

const spec = builtinSpec();
const result = analyzePath(BUNDLED_CORPUS, { spec });

describe('corpus golden: DESIGN.md Stage-0 table', () => {
  it('every classified access uses a field its kind keeps something in', () => {
    const bad = result.findings.filter((f) => f.kind !== 'unknown' && !STAGE0_FIELDS[f.kind]!.includes(f.field));
    expect(bad.map((f) => `${f.file}:${f.line} ${f.kind} ${f.field}`)).toEqual([]);
  });

  it('every kind whose code exists shows up with the fields of the table', () => {
    for (const k of spec.kinds) {
      const ownerFiles = k.owners.filter((o) => !o.functions).flatMap((o) => o.files);
      const present = ownerFiles.some((g) => !g.includes('*') && existsSync(join(BUNDLED_CORPUS, g)));
      if (!present || k.name === 'folio' || k.name === 'vmalloc') continue;
      const fields = new Set(result.findings.filter((f) => f.kind === k.name).map((f) => f.field));
      for (const f of STAGE0_FIELDS[k.name]!) expect(fields.has(f), `${k.name} uses ${f}`).toBe(true);
    }
  });

  it('no access in code owned by a kind is left unknown', () => {
    const owned = (file: string) => spec.kinds.some((k) => k.owners.some((o) => !o.functions && matchAnyPath(o.files, file)));
    const bad = result.findings.filter((f) => f.kind === 'unknown' && owned(f.file));
    expect(bad.map((f) => `${f.file}:${f.line} ${f.field}: ${f.evidence.join('; ')}`)).toEqual([]);
  });

  it('has no residue (every receiver is typed, every file parses)', () => {
    // While the corpus is being written, a header may import a file that does not exist yet;
    // that (and the untyped names it leaves) is tolerated. TODO: make this strict when complete.
    const inFlux = /cannot be resolved|could not be resolved/;
    expect(result.residue.filter((r) => !inFlux.test(r.reason))).toEqual([]);
  });

  it('finds the page_private() wrappers the code defines', () => {
    expect(result.wrappers.map((w) => w.name)).toEqual(expect.arrayContaining(['page_private', 'set_page_private']));
  });
});

describe('corpus precision / recall on hand-labelled sites', () => {
  const key = (fn: string, field: string, access: string, kind: string) => `${fn}: ${field} ${access} ${kind}`;
  for (const [file, labels] of Object.entries(SITE_LABELS)) {
    it(file, () => {
      const want = labels.map(([fn, field, access, kind]) => key(fn, field, access, kind)).sort();
      const got = result.findings.filter((f) => f.file === file).map((f) => key(f.function ?? '', f.field, f.access, f.kind)).sort();
      // Multiset intersection: a function with two identical accesses is labelled twice.
      const pool = [...want];
      let tp = 0;
      for (const g of got) {
        const i = pool.indexOf(g);
        if (i >= 0) { pool.splice(i, 1); tp++; }
      }
      const precision = got.length ? tp / got.length : 1;
      const recall = want.length ? tp / want.length : 1;
      const extra = [...got];
      for (const w of want) { const i = extra.indexOf(w); if (i >= 0) extra.splice(i, 1); }
      expect({ precision, recall, missed: pool, extra }).toEqual({ precision: 1, recall: 1, missed: [], extra: [] });
    });
  }
  for (const [file, kind] of Object.entries(FILE_LABELS)) {
    it(`${file}: every access is ${kind}`, () => {
      const got = result.findings.filter((f) => f.file === file);
      expect(got.length).toBeGreaterThan(0);
      expect(got.filter((f) => f.kind !== kind).map((f) => `${f.line} ${f.kind}: ${f.evidence.join('; ')}`)).toEqual([]);
    });
  }
});
