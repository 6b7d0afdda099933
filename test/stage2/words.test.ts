/** Which words the memdesc word occupies and which fields overlap it: from the spec alone. */
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.ts';
import { validateSpec } from '../../src/model/spec-validate.ts';
import { memdescWordFields, memdescWords } from '../../src/stage2/words.ts';

function spec(memdesc?: number[]) {
  return validateSpec({
    name: 't',
    page: {
      class: 'Blob', file: 'src/blob.ts',
      fields: {
        flags: { words: [0], track: 'never' },
        link: { words: [1, 2], embedded: true },
        head: { words: [1], track: 'never' },
        owner: { words: [3] },
        ...(memdesc ? { memdesc: { words: memdesc, track: 'never' } } : {}),
      },
    },
    kinds: [
      { name: 'free', descriptor: null, fields: { link: 'free_list', owner: 'order' } },
      { name: 'cache', descriptor: 'CacheObj', fields: { owner: 'cache' } },
    ],
  }, 'test');
}

describe('memdesc words', () => {
  it('come from the page field named memdesc', () => {
    expect(memdescWords(spec([1]))).toEqual([1]);
    expect(memdescWords(spec([2, 3]))).toEqual([2, 3]);
  });

  it('a spec without one is bad input that says what to add', () => {
    expect(() => memdescWords(spec())).toThrow(InputError);
    expect(() => memdescWords(spec())).toThrow(/no page field 'memdesc'.*"memdesc": \{ "words": \[N\]/);
  });

  it('overlapping fields follow the words, renamed members of descriptor-less kinds included', () => {
    const on1 = memdescWordFields(spec([1]), [1]);
    expect([...on1.keys()].sort()).toEqual(['free_list', 'head', 'link']);
    expect(on1.get('free_list')!.field.name).toBe('link');
    expect(on1.get('link')!.overlap).toEqual([1]);
    const on3 = memdescWordFields(spec([3]), [3]);
    // cache's descriptor field moves with its descriptor; free's renamed member stays on the word.
    expect([...on3.keys()].sort()).toEqual(['order', 'owner']);
    expect(memdescWordFields(spec([0]), [0]).has('memdesc')).toBe(false);
  });
});
