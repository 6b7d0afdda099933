/**
 * The bundled corpus analyzed with an owner-free spec: its kinds name no owner files or
 * functions, there is no generic-function list, and no provenance entry restricted by argument
 * text or by file (kind-specific APIs by name only). What is decided then comes from the code
 * alone. Measured against the hand labels of corpus-labels.ts (issue 13: ≥ 90% of the corpus'
 * raw accesses right, ≤ 2% a wrong kind); the figure is printed.
 */
import { describe, expect, it } from 'vitest';
import { analyzeDetailed } from '../../src/analyzers/analyze.ts';
import { loadProgram } from '../../src/analyzers/project.ts';
import { builtinSpec } from '../../src/model/builtin.ts';
import type { Spec } from '../../src/model/spec.ts';
import { BUNDLED_CORPUS } from '../../src/paths.ts';
import { SITE_LABELS } from './corpus-labels.ts';

/** The built-in spec with every owner list, the generic list and text-pattern provenance removed. */
export function ownerFreeSpec(): Spec {
  const spec: Spec = structuredClone(builtinSpec());
  delete spec.page.generic;
  for (const k of spec.kinds) {
    k.owners = [];
    k.provenance = k.provenance.filter((p) => !p.arg && !p.files);
  }
  return spec;
}

const spec = ownerFreeSpec();
const { program, root } = loadProgram(BUNDLED_CORPUS);
const detailed = analyzeDetailed(program, root, { spec });
const result = detailed.result;
const labels = Object.entries(SITE_LABELS).flatMap(([file, l]) => l.map(([fn, field, access, kind]) => ({ file, fn, field, access, kind })));

interface Outcome { right: number; wrong: string[]; unknown: string[]; extra: string[] }

function score(): Outcome {
  const pool = new Map<string, string[]>();
  for (const l of labels) {
    const k = `${l.file} ${l.fn} ${l.field} ${l.access}`;
    pool.set(k, [...(pool.get(k) ?? []), l.kind]);
  }
  const out: Outcome = { right: 0, wrong: [], unknown: [], extra: [] };
  for (const f of result.findings) {
    const kinds = pool.get(`${f.file} ${f.function ?? ''} ${f.field} ${f.access}`);
    const site = `${f.file}:${f.line} ${f.function ?? ''} ${f.field}`;
    if (!kinds?.length) {
      out.extra.push(site);
      continue;
    }
    const i = kinds.indexOf(f.kind);
    if (i >= 0) {
      kinds.splice(i, 1);
      out.right++;
    } else {
      const want = kinds.shift();
      if (f.kind === 'unknown') out.unknown.push(`${site} (labelled ${want})`);
      else out.wrong.push(`${site}: ${f.kind}, labelled ${want} (${f.evidence[0]})`);
    }
  }
  return out;
}

describe('corpus with an owner-free spec: the code decides', () => {
  const s = score();
  const total = labels.length;
  const pct = (n: number) => `${((100 * n) / total).toFixed(1)}%`;
  const conf: Record<string, number> = {};
  for (const f of result.findings) conf[f.confidence] = (conf[f.confidence] ?? 0) + 1;
  console.log([
    `owner-free spec: ${result.findings.length} findings for ${total} labelled raw accesses`,
    `  right ${s.right} (${pct(s.right)}), wrong ${s.wrong.length} (${pct(s.wrong.length)}), unknown ${s.unknown.length}, not found ${total - s.right - s.wrong.length - s.unknown.length}`,
    `  decided by: ${Object.entries(conf).map(([k, n]) => `${k} ${n}`).join(', ')}`,
    ...s.unknown.map((u) => `  unknown: ${u}`),
  ].join('\n'));

  it('the spec has no owner lists, no generic list, no text patterns', () => {
    expect(spec.kinds.every((k) => k.owners.length === 0 && k.provenance.every((p) => !p.arg && !p.files))).toBe(true);
    expect(spec.page.generic).toBeUndefined();
    expect(result.findings.every((f) => f.confidence !== 'owner-hint')).toBe(true);
  });

  it('≥ 90% of the raw accesses get their labelled kind', () => {
    expect(s.right / total).toBeGreaterThanOrEqual(0.9);
  });

  it('≤ 2% get a wrong kind, each listed', () => {
    expect(s.wrong.length / total, s.wrong.join('\n')).toBeLessThanOrEqual(0.02);
  });

  it('reports no site the labels do not know', () => {
    expect(s.extra).toEqual([]);
  });

  it('every finding says how it was decided, with a chain of located hops (--explain)', () => {
    for (const d of detailed.sites) {
      const f = d.finding;
      expect(f.confidence === 'unknown', `${f.file}:${f.line}`).toBe(f.kind === 'unknown');
      expect(d.chain!.length, `${f.file}:${f.line}`).toBeGreaterThan(0);
      for (const h of d.chain!) expect(h.at, `${f.file}:${f.line}: ${h.text}`).toMatch(/^[^:]+\.ts:\d+$/);
    }
  });
});
