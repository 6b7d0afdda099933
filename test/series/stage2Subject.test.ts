/**
 * The subject and body of a stage-2 patch: a kind with a descriptor of its own is allocated from
 * slab; a kind embedded in a misc memdesc word (no pointer, nothing allocated) is embedded.
 */
import { describe, expect, it } from 'vitest';
import { builtinSpec } from '../../src/model/builtin.ts';
import { stage2Body, stage2Subject, type Stage2Step } from '../../src/series/stage2.ts';

const spec = builtinSpec();

describe('the subject of a stage-2 patch', () => {
  const step = (over: Partial<Stage2Step>): Stage2Step => ({ role: 'separate', texts: new Map(), changed: [], typecheck: { files: 0, ms: 0 }, ...over });
  it('a kind with a descriptor of its own is allocated; one embedded in a misc word is embedded, and its body says no descriptor is allocated', () => {
    expect(stage2Subject(step({ kind: 'ptdesc' }), spec, true, 'struct page')).toBe('Allocate ptdesc from slab');
    expect(stage2Subject(step({ kind: 'vmalloc', embedded: 'MEMDESC_MISC_VMALLOC' }), spec, true, 'struct page')).toBe('Embed vmalloc in the memdesc word');
    expect(stage2Subject(step({ kind: 'vmalloc', embedded: 'MEMDESC_MISC_VMALLOC' }), spec, false, 'Page')).toBe('Embed Vmdesc in the memdesc word');
    expect(stage2Body(step({ kind: 'vmalloc', embedded: 'MEMDESC_MISC_VMALLOC' }), spec, 'struct page')).toMatch(/misc memdesc word MEMDESC_MISC_VMALLOC, which has no pointer/);
    expect(stage2Body(step({ kind: 'ptdesc' }), spec, 'struct page')).toMatch(/own storage/);
  });
});
