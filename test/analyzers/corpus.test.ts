/**
 * The bundled corpus: a golden check (kind x field counts, the Stage-0 table of docs/contracts.md, no residue),
 * precision / recall per kind against the hand-labelled sites of corpus-labels.ts, and no
 * findings on members of other types that share a struct page (or descriptor) field name.
 */
import { relative } from 'node:path';
import { ts } from 'ts-morph';
import { describe, expect, it } from 'vitest';
import { analyzeDetailed } from '../../src/analyzers/analyze.ts';
import { renderExplain, sitesAt } from '../../src/analyzers/explain.ts';
import { matchAnyPath } from '../../src/analyzers/glob.ts';
import { loadProgram } from '../../src/analyzers/project.ts';
import { builtinSpec } from '../../src/model/builtin.ts';
import type { Finding } from '../../src/model/findings.ts';
import { reverseFieldMap } from '../../src/model/spec.ts';
import { BUNDLED_CORPUS } from '../../src/paths.ts';
import { GOLDEN_CONFIDENCE, GOLDEN_COUNTS, NON_PAGE_OWNERS, SITE_LABELS, STAGE0_FIELDS, CORPUS_ELSEWHERE, WRAPPER_DEFS } from './corpus-labels.ts';

const spec = builtinSpec();
const { program, root } = loadProgram(BUNDLED_CORPUS);
const detailed = analyzeDetailed(program, root, { spec });
const result = detailed.result;

/** kind -> field -> count, zero entries left out. */
function countByKindField(rows: Array<{ kind: string; field: string }>): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const r of rows) {
    const k = (out[r.kind] ??= {});
    k[r.field] = (k[r.field] ?? 0) + 1;
  }
  return out;
}

const labels = Object.entries(SITE_LABELS).flatMap(([file, l]) => l.map(([fn, field, access, kind]) => ({ file, fn, field, access, kind })));

describe('corpus golden: the Stage-0 table (docs/contracts.md)', () => {
  it('gives the golden number of findings per kind x field', () => {
    expect(countByKindField(result.findings)).toEqual(GOLDEN_COUNTS);
    const summary: Record<string, Record<string, number>> = {};
    for (const [kind, fields] of Object.entries(result.summary.byKind)) {
      for (const [field, c] of Object.entries(fields)) if (c.remaining + c.converted > 0) (summary[kind] ??= {})[field] = c.remaining + c.converted;
    }
    expect(summary).toEqual(GOLDEN_COUNTS);
    expect(result.summary.unknown).toBe(Object.values(GOLDEN_COUNTS.unknown!).reduce((a, b) => a + b, 0));
  });

  it('the golden counts are the sum of the site labels', () => {
    expect(countByKindField(labels)).toEqual(GOLDEN_COUNTS);
  });

  it('every classified access uses a field its kind keeps something in', () => {
    const bad = result.findings.filter((f) => f.kind !== 'unknown' && !STAGE0_FIELDS[f.kind]!.includes(f.field));
    expect(bad.map((f) => `${f.file}:${f.line} ${f.kind} ${f.field}`)).toEqual([]);
  });

  it('every kind shows up with every field of its Stage-0 row', () => {
    for (const k of spec.kinds) {
      const fields = new Set(result.findings.filter((f) => f.kind === k.name).map((f) => f.field));
      const elsewhere = CORPUS_ELSEWHERE[k.name] ?? [];
      expect([...fields].sort(), k.name).toEqual(STAGE0_FIELDS[k.name]!.filter((x) => !elsewhere.includes(x)).sort());
    }
  });

  it('no access in code owned by a kind is left unknown, except in generic code, which says so', () => {
    const owned = (file: string) => spec.kinds.some((k) => k.owners.some((o) => !o.functions && matchAnyPath(o.files, file)));
    const unknownOwned = result.findings.filter((f) => f.kind === 'unknown' && owned(f.file));
    // Generic by the spec's list, or by the call graph (pages of several kinds reach it, each listed).
    const bad = unknownOwned.filter((f) => !f.evidence.some((e) => e.includes('is generic code') || /^generic: pages of \w+(, \w+)+ reach/.test(e)));
    expect(bad.map((f) => `${f.file}:${f.line} ${f.field}: ${f.evidence.join('; ')}`)).toEqual([]);
    // The free-time checks read a page's own words through the layout (page_own_word()): no raw access.
    expect(unknownOwned.map((f) => f.function).sort()).toEqual([]);
  });

  it('has no residue (every receiver is typed, every import resolves, every file parses)', () => {
    expect(result.residue).toEqual([]);
  });

  it('finds exactly the wrappers the code defines', () => {
    const got = result.wrappers.map((w) => [w.file, w.name, w.field, w.access]).sort();
    expect(got).toEqual([...WRAPPER_DEFS].map((w) => [...w]).sort());
  });
});

interface Metric { labelled: number; found: number; tp: number; precision: number; recall: number }

/** Precision and recall per kind: a finding is right when its (file, function, field, access, kind) matches a label. */
function metrics(findings: Finding[]): { perKind: Record<string, Metric>; missed: string[]; extra: string[] } {
  const key = (file: string, fn: string, field: string, access: string, kind: string) => `${file} ${fn}: ${field} ${access} ${kind}`;
  const pool = new Map<string, number>();
  for (const l of labels) {
    const k = key(l.file, l.fn, l.field, l.access, l.kind);
    pool.set(k, (pool.get(k) ?? 0) + 1);
  }
  const perKind: Record<string, Metric> = {};
  const m = (kind: string) => (perKind[kind] ??= { labelled: 0, found: 0, tp: 0, precision: 1, recall: 1 });
  for (const l of labels) m(l.kind).labelled++;
  const extra: string[] = [];
  for (const f of findings) {
    const k = key(f.file, f.function ?? '', f.field, f.access, f.kind);
    m(f.kind).found++;
    const n = pool.get(k) ?? 0;
    if (n > 0) {
      pool.set(k, n - 1);
      m(f.kind).tp++;
    } else extra.push(`${k} (${f.file}:${f.line}; ${f.evidence[0]})`);
  }
  const missed = [...pool].flatMap(([k, n]) => Array<string>(n).fill(k));
  for (const x of Object.values(perKind)) {
    x.precision = x.found ? x.tp / x.found : 1;
    x.recall = x.labelled ? x.tp / x.labelled : 1;
  }
  return { perKind, missed, extra };
}

describe('corpus precision / recall on hand-labelled sites', () => {
  const { perKind, missed, extra } = metrics(result.findings);

  it('every labelled site is found with its kind, and nothing else is reported', () => {
    expect({ missed, extra }).toEqual({ missed: [], extra: [] });
  });

  for (const kind of [...spec.kinds.map((k) => k.name), 'unknown']) {
    it(`${kind}: precision 1, recall 1`, () => {
      const x = perKind[kind]!;
      expect(x.labelled).toBeGreaterThan(0);
      expect({ precision: x.precision, recall: x.recall }).toEqual({ precision: 1, recall: 1 });
    });
  }

  it('generic code is classified by its type tests (memory_failure)', () => {
    const mf = result.findings.filter((f) => f.function === 'memory_failure');
    expect(mf.map((f) => [f.kind, f.evidence[0]!.replace(/ at .*/, '')]).sort()).toEqual([
      ['slab', 'guarded by `PageSlab(head)`'],
      ['zpdesc', 'guarded by `PageZsmalloc(p)`'],
    ]);
  });

  it('reports nothing in files without labelled sites', () => {
    const stray = result.findings.filter((f) => !(f.file in SITE_LABELS));
    expect(stray.map((f) => `${f.file}:${f.line} ${f.field} ${f.kind}`)).toEqual([]);
  });
});

describe('corpus: how each kind was decided', () => {
  it('every finding says how it was decided; the summary counts them', () => {
    const counts: Record<string, number> = {};
    for (const f of result.findings) counts[f.confidence] = (counts[f.confidence] ?? 0) + 1;
    expect(counts).toEqual(Object.fromEntries(Object.entries(GOLDEN_CONFIDENCE).filter(([, n]) => n > 0)));
    expect(result.summary.byConfidence).toEqual(GOLDEN_CONFIDENCE);
    for (const f of result.findings) expect(f.confidence === 'unknown', `${f.file}:${f.line}`).toBe(f.kind === 'unknown');
  });

  it('--explain works for every finding: its site alone, a chain of located hops', () => {
    for (const s of detailed.sites) {
      const f = s.finding;
      const got = sitesAt(detailed.sites, { file: f.file, line: f.line, column: f.column }, root, root);
      expect(got, `${f.file}:${f.line}:${f.column}`).toEqual([s]);
      expect(s.chain!.length, `${f.file}:${f.line}`).toBeGreaterThan(0);
      for (const h of s.chain!) expect(h.at, `${f.file}:${f.line}: ${h.text}`).toMatch(/^[^:]+\.ts:\d+$/);
      expect(renderExplain(got)).toContain(`${f.file}:${f.line}:${f.column}: ${f.kind} (confidence: ${f.confidence})`);
    }
  });
});

describe('no findings on non-page receivers', () => {
  // Every member access in the corpus whose name is one the finder looks at (raw fields,
  // descriptor fields) or a lookalike (pages, next, prev), on a type that is not the Page class.
  const checker = program.getTypeChecker();
  const names = new Set<string>(['pages', 'next', 'prev']);
  for (const f of spec.page.fields) names.add(f.name);
  for (const k of spec.kinds) for (const to of reverseFieldMap(k).keys()) names.add(to);
  const ownerName = (d: ts.Declaration): string => {
    let c: ts.Node | undefined = ts.isParameter(d) ? d.parent.parent : d.parent;
    if (c && ts.isTypeLiteralNode(c)) c = c.parent;
    if (c && ts.isObjectLiteralExpression(c)) return '(object literal)';
    const n = c && (c as ts.NamedDeclaration).name;
    return n && ts.isIdentifier(n) ? n.text : `(${c ? ts.SyntaxKind[c.kind] : '?'})`;
  };
  const others: Array<{ site: string; owner: string }> = [];
  for (const sf of program.getSourceFiles()) {
    if (sf.isDeclarationFile || relative(root, sf.fileName).startsWith('..')) continue;
    const visit = (n: ts.Node): void => {
      if (ts.isPropertyAccessExpression(n) && names.has(n.name.text)) {
        const decls = checker.getSymbolAtLocation(n.name)?.declarations ?? [];
        if (decls.length && decls.every((d) => ownerName(d) !== spec.page.class)) {
          const { line, character } = sf.getLineAndCharacterOfPosition(n.name.getStart(sf));
          others.push({ site: `${relative(root, sf.fileName)}:${line + 1}:${character + 1}`, owner: `${ownerName(decls[0]!)}.${n.name.text}` });
        }
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }

  it('the corpus has such members (vm_struct.pages, zsmalloc classes, list heads, …)', () => {
    const owners = new Set(others.map((o) => o.owner));
    expect([...owners]).toEqual(expect.arrayContaining(NON_PAGE_OWNERS));
    expect(others.length).toBeGreaterThan(100);
  });

  it('none of their accesses is a finding or residue', () => {
    const reported = new Set([...result.findings, ...result.residue].map((f) => `${f.file}:${f.line}:${f.column}`));
    expect(others.filter((o) => reported.has(o.site))).toEqual([]);
  });
});
