/**
 * cache.ts mentionsWord: a word of \w characters is looked up among the text's maximal runs of
 * them instead of a `\bWORD\b` regular expression per word; both must agree on any text and word.
 */
import { describe, expect, it } from 'vitest';
import { ts } from '@ts-morph/common';
import { mentionsWord } from '../../src/track/cache.ts';
import { prng } from '../../src/verify/mutants-gen.ts';

const SEED = Number(process.env.MEMDESC_TEST_SEED ?? Math.floor(Math.random() * 2 ** 31));

const byRegExp = (text: string, word: string): boolean => new RegExp(`\\b${word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`).test(text);

describe(`mentionsWord (seed ${SEED})`, () => {
  it('agrees with \\bWORD\\b on random texts and words', () => {
    console.log(`mentions property test: seed ${SEED} (replay with MEMDESC_TEST_SEED=${SEED})`);
    const rand = prng(SEED);
    const alphabet = ['a', 'b', '_', '1', '$', '.', ' ', '\n', '/', '(', 'é', 'ab', 'a_b', 'b1'];
    const pick = (): string => alphabet[Math.floor(rand() * alphabet.length)]!;
    for (let i = 0; i < 300; i++) {
      const text = Array.from({ length: Math.floor(rand() * 40) }, pick).join('');
      const sf = ts.createSourceFile(`/t${i}.ts`, text, ts.ScriptTarget.ES2022);
      for (let j = 0; j < 12; j++) {
        const word = Array.from({ length: 1 + Math.floor(rand() * 4) }, pick).join('').trim();
        expect(mentionsWord(sf, word), `seed ${SEED}: ${JSON.stringify(word)} in ${JSON.stringify(text)}`).toBe(byRegExp(text, word));
      }
    }
  });

  it('finds whole words only, comments included', () => {
    const sf = ts.createSourceFile('/x.ts', 'const slab_counters = 1; // addr\nfoo.$bar;', ts.ScriptTarget.ES2022);
    expect(mentionsWord(sf, 'slab_counters')).toBe(true);
    expect(mentionsWord(sf, 'slab')).toBe(false);
    expect(mentionsWord(sf, 'addr')).toBe(true);
    expect(mentionsWord(sf, 'bar')).toBe(true);
    expect(mentionsWord(sf, 'counters')).toBe(false);
  });
});
