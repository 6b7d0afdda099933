/**
 * The output folder of the pipeline (`memdesc start --out DIR`): the four things it replaces on
 * every run, and the check, before any work, that each is absent or provably made by start.
 * DIR's marker (.memdesc-output.json) lists the two loose files; series/ has its own marker; the
 * scratch repository DIR/corpus proves itself (its .git/.memdesc-output.json, nothing added).
 */
import { existsSync, lstatSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors.ts';
import type { Guarded } from '../series/ownedOut.ts';

export interface StartPaths {
  series: string;
  cover: string;
  repo: string;
  html: string;
}

/** The files DIR's own marker lists (series/ and the repository carry their own). */
export const START_FILES = ['cover-letter.patch', 'report.html'];

/** The parts of `out` that start owns; they are replaced on every run, nothing else is touched. */
export function startPaths(out: string): StartPaths {
  return { series: join(out, 'series'), cover: join(out, 'cover-letter.patch'), repo: join(out, 'corpus'), html: join(out, 'report.html') };
}

export function isLink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

/**
 * Check DIR before any work: not the corpus, its git work tree or git directory, nor holding
 * them; each of its outputs absent or provably start's. Then the old scratch repository, proven
 * again, is removed (a series needs a new directory for it).
 */
export async function prepareOut(out: string, guards: Guarded[]): Promise<StartPaths> {
  const { guardedClash, outState, provenFile, readMarker } = await import('../series/ownedOut.ts');
  const { scratchForeign } = await import('../series/git.ts');
  const clash = guardedClash(out, guards);
  if (clash) throw new UsageError(`--out ${out} ${clash}: choose another directory for the results`);
  if (existsSync(out) && !statSync(out).isDirectory()) throw new UsageError(`--out ${out}: not a directory`);
  const refuse = (what: string, why: string): UsageError => new UsageError(`${what} ${why}: memdesc start replaces only what it made; move it away or choose another --out`);
  const m = existsSync(out) ? readMarker(out) : undefined;
  if (m && 'foreign' in m) throw refuse(out, m.foreign);
  if (m && m.purpose !== 'start') throw refuse(out, `holds the output of memdesc ${m.purpose}`);
  const p = startPaths(out);
  const repoWhy = scratchForeign(p.repo);
  if (repoWhy) throw refuse(p.repo, repoWhy);
  const series = outState(p.series, 'series');
  if (series.kind === 'foreign') throw refuse(p.series, series.why);
  for (const f of [p.cover, p.html]) {
    if (existsSync(f) || isLink(f)) {
      if (!provenFile(f, p.series)) throw refuse(f, 'exists and memdesc did not write it (or it was changed since)');
    }
  }
  if (existsSync(p.repo)) rmSync(p.repo, { recursive: true, force: true });
  return p;
}
