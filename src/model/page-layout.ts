/**
 * The god type's word layout (struct page: w0..w7 and the union members overlaying each word),
 * derived from a spec's page fields. The converter uses it to find which descriptor field
 * overlays which page word (TABLE_MATCH/SLAB_MATCH) and which union members become dead.
 */
import type { KindSpec, PageFieldSpec, Spec } from './spec.ts';

export interface LayoutWord {
  word: number;
  /** Fields overlaying this word, in spec order (a union when more than one). */
  fields: PageFieldSpec[];
}

export function pageLayout(spec: Spec): LayoutWord[] {
  const max = Math.max(...spec.page.fields.flatMap((f) => f.words));
  const words: LayoutWord[] = [];
  for (let w = 0; w <= max; w++) words.push({ word: w, fields: spec.page.fields.filter((f) => f.words.includes(w)) });
  return words;
}

export function pageField(spec: Spec, name: string): PageFieldSpec | undefined {
  return spec.page.fields.find((f) => f.name === name);
}

/** Union members that share a word with `name` (lru and compound_head share w1). */
export function overlapping(spec: Spec, name: string): string[] {
  const f = pageField(spec, name);
  if (!f) return [];
  return spec.page.fields.filter((o) => o.name !== name && o.words.some((w) => f.words.includes(w))).map((o) => o.name);
}

export interface DescriptorWord {
  descriptorField: string;
  pageField: string;
  words: number[];
  bits?: string;
}

/** A kind's descriptor layout: each descriptor field and the page words it overlays. */
export function descriptorLayout(spec: Spec, kind: KindSpec): DescriptorWord[] {
  const out: DescriptorWord[] = [];
  for (const e of kind.fields) {
    const f = pageField(spec, e.field);
    if (!f) continue;
    const bits = e.bits ?? f.bits;
    for (const to of e.to) out.push({ descriptorField: to, pageField: e.field, words: f.words, ...(bits ? { bits } : {}) });
  }
  return out;
}
