/** formatJson(): the same value as JSON.stringify, short values on one line. The property test prints its seed. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatJson } from '../../src/init/format.ts';
import { propertySeed } from '../propertySeed.ts';

describe('formatJson', () => {
  it('keeps short values on one line and expands long ones', () => {
    const v = { name: 'w', object: { fields: { qty: { words: [1], track: 'always' } }, neutralSources: Array.from({ length: 12 }, (_, i) => `allocator_number_${i}`) } };
    const text = formatJson(v);
    expect(text).toContain('"qty": { "words": [1], "track": "always" }');
    expect(text).toContain('"neutralSources": [\n      "allocator_number_0",');
    expect(text.endsWith('}\n')).toBe(true);
    expect(Math.max(...text.split('\n').map((l) => l.length))).toBeLessThanOrEqual(100);
  });

  it('parses back to the same value (property)', () => {
    const seed = propertySeed('formatJson');
    fc.assert(fc.property(fc.jsonValue(), (v) => {
      expect(JSON.parse(formatJson(v))).toEqual(JSON.parse(JSON.stringify(v)));
    }), { seed, numRuns: 200 });
  });
});
