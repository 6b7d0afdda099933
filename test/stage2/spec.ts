/** The spec the stage-2 tests audit with. */
import { builtinSpec } from '../../src/model/builtin.ts';
import type { Spec } from '../../src/model/spec.ts';

/** The built-in spec; the memdesc word on w1 (the corpus' choice) if the spec does not say yet. */
export function memdescSpec(): Spec {
  const spec = builtinSpec();
  if (spec.page.fields.some((f) => f.name === 'memdesc')) return spec;
  const copy = structuredClone(spec);
  copy.page.fields.push({ name: 'memdesc', words: [1], embedded: false, track: 'never' });
  return copy;
}
