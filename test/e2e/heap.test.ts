/**
 * A new user's project whose kind is a boolean flag (test/fixtures/projects/heap): `isFree(b)` is
 * `b.free`, `isUsed(b)` is `!b.free`, and flipping the flag moves a block from one kind to the
 * other. Before, init found no type test (a flag read alone was "a word against 0": it drafted
 * `isFree` as a wrapper and a placeholder kind), and the two tests, one the other's negation, were
 * taken for two kinds computing the same thing, which decides neither. Now a boolean field is its
 * own test, two tests in opposite senses each hold where the other fails, and a flag written
 * (`b.free = false`) makes the block the other kind from the write on, ending the test before it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { newUserRun } from './newUser.ts';

describe('heap: a boolean flag as the kind', () => {
  const run = newUserRun('heap', 'Block', 'heap', { name: 'Heap Dev', email: 'heap@example.org' });

  it('the draft: isFree and isUsed are the kinds\' tests, the flag stays on the class', () => {
    const spec = JSON.parse(readFileSync(join(run.dir, 'memdesc.spec.json'), 'utf8')) as {
      object: { fields: Record<string, { track: string }>; wrappers?: unknown[] }; kinds: Array<{ name: string; typeTests?: string[] }>;
    };
    expect(spec.object.fields.free!.track).toBe('never');
    expect(spec.object.wrappers).toBeUndefined();
    expect(spec.kinds.map((k) => [k.name, k.typeTests])).toEqual([['free', ['isFree']], ['used', ['isUsed']]]);
  });

  it('decides each site by the flag: tested, written, or the filter\'s test', () => {
    expect(run.at('src/heap.ts', 20)).toEqual([['link', 'free', 'guard']]);
    expect(run.at('src/heap.ts', 22)).toEqual([['link', 'used', 'provenance']]);
    expect(run.at('src/heap.ts', 29)).toEqual([['link', 'free', 'provenance']]);
    expect(run.at('src/heap.ts', 35)).toEqual([['link', 'used', 'provenance']]);
  });

  it('converts: each kind\'s accessor where the flag says, the oracle identical', () => {
    expect(run.convert.stderr).toBe('');
    expect(run.convert.status).toBe(0);
    expect(run.convert.stdout).toMatch(/checks: type-check passed; a second run changes nothing; verified with the spec's oracle.*identical/);
    const heap = readFileSync(join(run.dir, 'src', 'heap.ts'), 'utf8');
    expect(heap).toContain('    this.head = blockToFree(b).link;\n    b.free = false;\n    blockToUsed(b).link = owner;');
    expect(heap).toContain('      b.free = true;\n      blockToFree(b).link = this.head;');
  });
});
