/**
 * Write a file that must not exist yet, atomically: the text goes to a temporary file beside it,
 * which is then hard-linked to the name. link() fails when the name exists, so a file that
 * appears meanwhile is never replaced, and a reader never sees half a file.
 */
import { existsSync, linkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { InputError } from '../errors.ts';

export function writeNewFile(file: string, text: string): void {
  const exists = `${file} exists: init never overwrites a file (name another with --out, or --out - to print the draft)`;
  if (existsSync(file)) throw new InputError(exists);
  const dir = dirname(file);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new InputError(`cannot write ${file}: no folder ${dir}`);
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, text, { flag: 'wx' });
    linkSync(tmp, file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new InputError(exists);
    throw new InputError(`cannot write ${file}: ${(e as Error).message}`);
  } finally {
    rmSync(tmp, { force: true });
  }
}
