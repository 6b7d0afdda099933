/** Output files the user names (HTML reports, SARIF): written whole or not at all. */
import { lstatSync, realpathSync, renameSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { InputError } from '../errors.ts';

/**
 * Temp file + rename: a reader never sees half a file; a failed write leaves no temp file behind.
 * An existing file keeps its mode; a symlink stays a link (its target is replaced); a read-only
 * file is refused rather than replaced.
 */
export function writeAtomic(file: string, text: string, what: string): void {
  let target = file;
  let mode: number | undefined;
  try {
    if (lstatSync(file).isSymbolicLink()) target = realpathSync(file);
    const st = statSync(target);
    if (!st.isFile()) throw new InputError(`cannot write ${what} to ${file}: not a regular file`);
    mode = st.mode & 0o7777;
  } catch (e) {
    if (e instanceof InputError) throw e;
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new InputError(`cannot write ${what} to ${file}: ${(e as Error).message}`);
  }
  if (mode !== undefined && (mode & 0o222) === 0) throw new InputError(`cannot write ${what} to ${file}: the file is read-only`);
  const tmp = `${target}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, text, { flag: 'wx' });
    if (mode !== undefined) chmodSync(tmp, mode);
    renameSync(tmp, target);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new InputError(`cannot write ${what} to ${file}: ${(e as Error).message}`);
  }
}
