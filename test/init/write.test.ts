/**
 * writeNewFile(): the draft lands whole or not at all, and only where nothing is: an existing
 * file, or a name taken by a dangling symlink (which existsSync() does not see, so only the
 * atomic link() catches it), is left as it was, with no temporary file behind.
 */
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.ts';
import { writeNewFile } from '../../src/init/write.ts';

const dir = mkdtempSync(join(tmpdir(), 'memdesc-init-write-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('writeNewFile', () => {
  it('writes a new file', () => {
    const f = join(dir, 'a.json');
    writeNewFile(f, '{}\n');
    expect(readFileSync(f, 'utf8')).toBe('{}\n');
    expect(readdirSync(dir)).toEqual(['a.json']);
  });

  it('never replaces an existing file', () => {
    const f = join(dir, 'b.json');
    writeFileSync(f, 'mine\n');
    expect(() => writeNewFile(f, '{}\n')).toThrow(InputError);
    expect(() => writeNewFile(f, '{}\n')).toThrow(/exists: init never overwrites/);
    expect(readFileSync(f, 'utf8')).toBe('mine\n');
  });

  it('never replaces a dangling symlink (the link itself is the name taken)', () => {
    const f = join(dir, 'c.json');
    symlinkSync(join(dir, 'nowhere.json'), f);
    expect(existsSync(f)).toBe(false);
    expect(() => writeNewFile(f, '{}\n')).toThrow(/exists: init never overwrites/);
    expect(lstatSync(f).isSymbolicLink()).toBe(true);
    expect(readlinkSync(f)).toBe(join(dir, 'nowhere.json'));
    expect(existsSync(join(dir, 'nowhere.json'))).toBe(false);
    expect(readdirSync(dir).filter((n) => n.includes('.tmp'))).toEqual([]);
  });

  it('a missing folder is one clear error', () => {
    expect(() => writeNewFile(join(dir, 'no', 'd.json'), '{}\n')).toThrow(/cannot write .*d\.json: no folder/);
  });
});
