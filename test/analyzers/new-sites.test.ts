/**
 * Issue 13's held-out measurement: the hand-labelled new sites of new-sites.ts, placed in a
 * temporary copy of the corpus (the corpus itself is never written), analyzed with the built-in
 * spec (the new file is in no owner list). Precision and recall per kind are printed as a table;
 * no site may get a wrong kind, and every kind's recall must be ≥ 90%.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeDetailed } from '../../src/analyzers/analyze.ts';
import { loadProgram } from '../../src/analyzers/project.ts';
import { builtinSpec } from '../../src/model/builtin.ts';
import { BUNDLED_CORPUS } from '../../src/paths.ts';
import { NEW_SITE_LABELS, NEW_SITES_FILE, NEW_SITES_SOURCE } from './new-sites.ts';

const dir = mkdtempSync(join(tmpdir(), 'memdesc-newsites-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
cpSync(BUNDLED_CORPUS, dir, { recursive: true });
writeFileSync(join(dir, NEW_SITES_FILE), NEW_SITES_SOURCE);
const { program, root } = loadProgram(dir);
const result = analyzeDetailed(program, root, { spec: builtinSpec() }).result;
const found = result.findings.filter((f) => f.file === NEW_SITES_FILE);

interface Row { labelled: number; found: number; right: number }

describe('new hand-labelled sites (issue 13 held-out set)', () => {
  const pool = new Map<string, string[]>();
  for (const [fn, field, access, kind] of NEW_SITE_LABELS) {
    const k = `${fn} ${field} ${access}`;
    pool.set(k, [...(pool.get(k) ?? []), kind]);
  }
  const rows: Record<string, Row> = {};
  const row = (k: string) => (rows[k] ??= { labelled: 0, found: 0, right: 0 });
  for (const [, , , kind] of NEW_SITE_LABELS) row(kind).labelled++;
  const wrong: string[] = [];
  const extra: string[] = [];
  for (const f of found) {
    const kinds = pool.get(`${f.function ?? ''} ${f.field} ${f.access}`);
    const site = `${f.file}:${f.line} ${f.function} ${f.field} ${f.access}`;
    if (!kinds?.length) {
      extra.push(site);
      continue;
    }
    row(f.kind).found++;
    const i = kinds.indexOf(f.kind);
    if (i >= 0) {
      kinds.splice(i, 1);
      row(f.kind).right++;
    } else wrong.push(`${site}: ${f.kind} [${f.confidence}], labelled ${kinds.shift()} — ${f.evidence[0]}`);
  }
  const table = Object.entries(rows).sort().map(([k, r]) =>
    `${k.padEnd(8)} ${String(r.labelled).padStart(8)} ${String(r.found).padStart(6)} ${String(r.right).padStart(6)} ${(r.found ? r.right / r.found : 1).toFixed(2).padStart(10)} ${(r.labelled ? r.right / r.labelled : 1).toFixed(2).padStart(7)}`);
  console.log([`new sites: ${NEW_SITE_LABELS.length} labelled, ${found.length} found`, 'kind     labelled  found  right  precision  recall', ...table, ...wrong.map((w) => `WRONG ${w}`)].join('\n'));

  it('the set has at least 40 sites, and every one is found once', () => {
    expect(NEW_SITE_LABELS.length).toBeGreaterThanOrEqual(40);
    expect(extra).toEqual([]);
    expect(found.length).toBe(NEW_SITE_LABELS.length);
  });

  it('no site gets a wrong kind', () => {
    // A kind where the label says unknown, or another kind, is wrong; unknown where a kind is labelled is a miss.
    expect(wrong.filter((w) => !/: unknown \[unknown\]/.test(w))).toEqual([]);
  });

  for (const kind of [...builtinSpec().kinds.map((k) => k.name), 'unknown']) {
    it(`${kind}: recall ≥ 90%`, () => {
      const r = rows[kind];
      if (!r) return;
      expect(r.right / r.labelled, `${kind}: ${r.right} of ${r.labelled}`).toBeGreaterThanOrEqual(0.9);
    });
  }
});
