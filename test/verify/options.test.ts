import { describe, it, expect } from 'vitest';
import { parseSeeds, parseWorkloads, checkRam, parseOps, parsePositive } from '../../src/verify/options.ts';
import { formatSeeds } from '../../src/verify/run.ts';
import { UsageError } from '../../src/errors.ts';

describe('verify options', () => {
  it.each([
    ['16', Array.from({ length: 16 }, (_, i) => i + 1)],
    ['3..5', [3, 4, 5]],
    ['1..3,9', [1, 2, 3, 9]],
    ['7', [1, 2, 3, 4, 5, 6, 7]],
    ['0..1', [0, 1]],
  ])('parses --seeds %s', (text, seeds) => {
    expect(parseSeeds(text)).toEqual(seeds);
  });

  it.each(['5..2', 'a..b', '0', '1..', '-3', '1,,2', ''])('rejects --seeds %j', (text) => {
    expect(() => parseSeeds(text)).toThrow(UsageError);
  });

  it('formats seeds back as ranges', () => {
    expect(formatSeeds([1, 2, 3, 4, 9, 11, 12])).toBe('1..4,9,11..12');
    expect(formatSeeds([5])).toBe('5');
  });

  it('checks workloads, ram, ops and positive numbers', () => {
    expect(parseWorkloads('buddy, slab')).toEqual(['buddy', 'slab']);
    expect(() => parseWorkloads(',')).toThrow(UsageError);
    expect(() => parseWorkloads('a b')).toThrow(UsageError);
    expect(checkRam('64M')).toBe('64M');
    expect(() => checkRam('3x')).toThrow(/invalid size/);
    expect(() => checkRam('2G')).toThrow(/out of range/);
    expect(parseOps('default')).toBe('default');
    expect(parseOps('500')).toBe(500);
    expect(() => parseOps('-1')).toThrow(UsageError);
    expect(parsePositive('timeout', '2.5', true)).toBe(2.5);
    expect(() => parsePositive('jobs', '0')).toThrow(UsageError);
  });
});
