/**
 * Which page words the memdesc word will occupy, and which page fields overlay them. Comes from
 * the spec alone (the page field named `memdesc` and every field's `words`), so the audit works
 * for any spec.
 */
import { InputError } from '../errors.ts';
import type { PageFieldSpec, Spec } from '../model/spec.ts';

/** The spec's page field that holds the memdesc word. */
export const MEMDESC_FIELD = 'memdesc';

export function memdescWords(spec: Spec): number[] {
  const f = spec.page.fields.find((x) => x.name === MEMDESC_FIELD);
  if (!f) {
    throw new InputError(`spec ${spec.source} has no page field '${MEMDESC_FIELD}': add "${MEMDESC_FIELD}": { "words": [N], "track": "never" } to page.fields to say which word the memdesc word occupies`);
  }
  return [...f.words];
}

export interface WordField {
  field: PageFieldSpec;
  /** The memdesc words it overlaps. */
  overlap: number[];
}

/**
 * Page fields sharing a word with the memdesc word (lru and compound_head when it sits on w1),
 * by member name. Kinds without a descriptor (buddy) rename page fields in place
 * (`buddy_list` for `lru`): those names map to the raw field too.
 */
export function memdescWordFields(spec: Spec, words: readonly number[]): Map<string, WordField> {
  const out = new Map<string, WordField>();
  for (const f of spec.page.fields) {
    if (f.name === MEMDESC_FIELD) continue;
    const overlap = f.words.filter((w) => words.includes(w));
    if (overlap.length > 0) out.set(f.name, { field: f, overlap });
  }
  for (const k of spec.kinds) {
    if (k.descriptor) continue;
    for (const e of k.fields) {
      const raw = out.get(e.field);
      if (!raw) continue;
      for (const to of e.to) if (to !== e.field && !out.has(to)) out.set(to, raw);
    }
  }
  return out;
}
