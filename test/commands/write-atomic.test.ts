/** Reports the user names (--html, --sarif) are written whole, keep the file's mode and links, and never replace a read-only file. */
import { chmodSync, lstatSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeAtomic } from '../../src/commands/write-atomic.ts';
import { InputError } from '../../src/errors.ts';

const dir = () => mkdtempSync(join(tmpdir(), 'memdesc-wa-'));

describe('writeAtomic', () => {
  it('creates a new file, and replaces an old one keeping its mode', () => {
    const d = dir();
    writeAtomic(join(d, 'new.html'), 'one', 'the report');
    expect(readFileSync(join(d, 'new.html'), 'utf8')).toBe('one');
    writeFileSync(join(d, 'old.html'), 'old');
    chmodSync(join(d, 'old.html'), 0o640);
    writeAtomic(join(d, 'old.html'), 'two', 'the report');
    expect(readFileSync(join(d, 'old.html'), 'utf8')).toBe('two');
    expect(statSync(join(d, 'old.html')).mode & 0o777).toBe(0o640);
    expect(readdirSync(d).sort()).toEqual(['new.html', 'old.html']);
  });

  it('writes through a symlink, which stays a link', () => {
    const d = dir();
    writeFileSync(join(d, 'real.html'), 'old');
    symlinkSync('real.html', join(d, 'link.html'));
    writeAtomic(join(d, 'link.html'), 'new', 'the report');
    expect(lstatSync(join(d, 'link.html')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(d, 'real.html'), 'utf8')).toBe('new');
  });

  it('refuses a read-only file, a folder and a missing folder with one InputError, changing nothing', () => {
    const d = dir();
    writeFileSync(join(d, 'ro.html'), 'keep');
    chmodSync(join(d, 'ro.html'), 0o444);
    expect(() => writeAtomic(join(d, 'ro.html'), 'x', 'the report')).toThrow(/the report to .*ro\.html: the file is read-only/);
    expect(readFileSync(join(d, 'ro.html'), 'utf8')).toBe('keep');
    expect(() => writeAtomic(d, 'x', 'the report')).toThrow(/not a regular file/);
    expect(() => writeAtomic(join(d, 'nope', 'r.html'), 'x', 'the report')).toThrow(InputError);
    expect(readdirSync(d)).toEqual(['ro.html']);
  });
});
