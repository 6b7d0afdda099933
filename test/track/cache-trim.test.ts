/**
 * The track cache keeps one entry per (key, signature), as many as a history needs, and is bounded
 * by trimming: files of ours unused for the age limit go, then the least recently used while the
 * folder is over its size; anything else in the folder is never touched.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TrackCache, type FileEntry } from '../../src/track/cache.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'memdesc-cache-trim-'));
  dirs.push(d);
  return d;
}

const hex = (n: number, c: string): string => `${c.repeat(39)}${n}`;

function entry(key: string, sig: string, callers: string[]): FileEntry {
  return { v: 2, key, file: 'a.ts', callers, cites: [], sig, findings: [], residue: [] };
}

function allFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name).sort();
}

describe('TrackCache', () => {
  it('keeps every variant of a key (no limit), each found by its own signature', () => {
    const dir = tempDir();
    const c = new TrackCache(dir);
    const key = hex(0, 'a');
    for (let i = 0; i < 12; i++) c.put(entry(key, hex(i % 10, String.fromCharCode(98 + Math.floor(i / 10))), [`f${i}`]));
    const fresh = new TrackCache(dir);
    for (let i = 0; i < 12; i++) {
      const want = hex(i % 10, String.fromCharCode(98 + Math.floor(i / 10)));
      const got = fresh.get(key, (d) => (d.callers[0] === `f${i}` ? want : 'no'));
      expect(got?.callers, `variant ${i}`).toEqual([`f${i}`]);
    }
    expect(fresh.stats.diskHits).toBe(12);
  });

  it('trims by age, then by size (least recently used first), and leaves files not its own', () => {
    const dir = tempDir();
    const c = new TrackCache(dir);
    const now = Date.now();
    const keys = [0, 1, 2, 3].map((i) => hex(i, 'c'));
    keys.forEach((k, i) => c.put(entry(k, hex(i, 'd'), [])));
    const foreign = join(dir, 'cc', 'notes.txt');
    mkdirSync(join(dir, 'cc'), { recursive: true });
    writeFileSync(foreign, 'mine');
    // Key 0 is 40 days old, key 1 two days, keys 2 and 3 fresh.
    const age = (k: string, days: number): void => {
      for (const f of readdirSync(join(dir, k.slice(0, 2)))) {
        if (!f.startsWith(k)) continue;
        const t = new Date(now - days * 86400_000);
        utimesSync(join(dir, k.slice(0, 2), f), t, t);
      }
    };
    age(keys[0]!, 40);
    age(keys[1]!, 2);
    age(keys[2]!, 1);
    const before = allFiles(dir).length;
    expect(c.trim({ maxAgeMs: 30 * 86400_000, maxBytes: 1 << 30 }, now)).toBe(2);
    expect(allFiles(dir).some((f) => f.startsWith(keys[0]!))).toBe(false);
    expect(allFiles(dir).length).toBe(before - 2);
    // Over the size limit: the oldest go first until it fits.
    const total = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile() && e.name !== 'notes.txt')
      .reduce((n, e) => n + statSync(join(e.parentPath, e.name)).size, 0);
    const removed = c.trim({ maxAgeMs: 30 * 86400_000, maxBytes: total - 1 }, now);
    expect(removed).toBeGreaterThan(0);
    const left = allFiles(dir);
    // One byte over: one file of the oldest key goes, the newest keys stay whole.
    expect(removed).toBe(1);
    expect(left.filter((f) => f.startsWith(keys[1]!)).length).toBe(1);
    expect(left.filter((f) => f.startsWith(keys[2]!)).length).toBe(2);
    expect(left.filter((f) => f.startsWith(keys[3]!)).length).toBe(2);
    expect(existsSync(foreign)).toBe(true);
  });

  it('a hit makes an entry young again', () => {
    const dir = tempDir();
    const c = new TrackCache(dir);
    const key = hex(5, 'e');
    c.put(entry(key, hex(5, 'f'), []));
    const old = new Date(Date.now() - 40 * 86400_000);
    for (const f of readdirSync(join(dir, 'ee'))) utimesSync(join(dir, 'ee', f), old, old);
    expect(new TrackCache(dir).get(key, () => hex(5, 'f'))).toBeDefined();
    expect(c.trim()).toBe(0);
  });
});
