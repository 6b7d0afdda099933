/**
 * A small script the verifier hands to node (the coverage hook, the covered workers' loader),
 * written once under a name made from its content: into the coverage cache, else the temp
 * folder. Written to a temporary name and renamed, so a process racing another never runs half
 * a file; one with the same name and other content (never, short of a hash collision) is replaced.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { userCacheDir } from '../paths.ts';

export function contentNamedScript(prefix: string, text: string): string {
  const name = `${prefix}-${createHash('sha256').update(text).digest('hex').slice(0, 16)}.mjs`;
  for (const dir of [userCacheDir('coverage'), tmpdir()]) {
    const file = join(dir, name);
    try {
      if (existsSync(file) && readFileSync(file, 'utf8') === text) return file;
      mkdirSync(dir, { recursive: true });
      const tmp = `${file}.tmp-${process.pid}`;
      writeFileSync(tmp, text);
      renameSync(tmp, file);
      return file;
    } catch {
      // try the next place
    }
  }
  throw new Error(`cannot write ${prefix}.mjs anywhere`);
}
