/** Output files of the commands (HTML reports): written whole or not at all. */
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { InputError } from '../errors.ts';

/** Temp file + rename: a reader never sees half a file; a failed write leaves no temp file behind. */
export function writeAtomic(file: string, text: string, what: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new InputError(`cannot write ${what} to ${file}: ${(e as Error).message}`);
  }
}
