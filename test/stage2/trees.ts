/**
 * The corpus trees the stage-2 tests share, each built once per test run by the CLI, in the run's
 * own temp folder (MEMDESC_TEST_RUN_DIR, made and removed by test/globalSetup.ts), and read-only
 * after that: a test that writes takes a copy (`copyTree`, `variant`).
 *
 * - `stage1Corpus()` (test/stage1.ts): the bundled corpus after `convert --all --write`;
 * - `ptdescCorpus()` and `stage2Corpus()` (test/corpusTrees.ts): the bundled corpus after
 *   `convert ptdesc --write`; the stage-1 tree after `separate --all --write`.
 *
 * Each costs seconds of CPU (an analysis, a rewrite, a type-check): the first caller in the run
 * builds it under a lock (an atomic mkdir), every other caller, in any worker, waits for its
 * verdict. Builds run without the caller's test hooks (no MEMDESC_* but the run's cache), so the
 * tree is the same whichever test asks first.
 */
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { expect } from 'vitest';
import { ptdescCorpus, stage2Corpus } from '../corpusTrees.ts';
import { cli, sharedTree, type Built, type SharedTree } from '../runTrees.ts';
import { stage1Corpus } from '../stage1.ts';

export { ptdescCorpus, stage1Corpus, stage2Corpus };

export { cli, sharedTree, type Built, type SharedTree };

/** A writable copy of `src` at `dest`. */
export function copyTree(src: string, dest: string): string {
  mkdirSync(dirname(dest), { recursive: true });
  cpSync(src, dest, { recursive: true });
  return dest;
}

/** A copy of `src` at `dest` with `file`'s text changed by `edit` (which must change it). */
export function variant(src: string, dest: string, file: string, edit: (text: string) => string): string {
  copyTree(src, dest);
  const path = join(dest, file);
  const text = readFileSync(path, 'utf8');
  const changed = edit(text);
  expect(changed, `the edit of ${file} changed nothing`).not.toBe(text);
  writeFileSync(path, changed);
  return dest;
}

/**
 * The lines a `separate` run printed for one kind: its heading (`kind: ...`) and the indented
 * site lines under it (empty when the kind is not there).
 */
export function kindSection(stdout: string, kind: string): string {
  const lines = stdout.split('\n');
  const at = lines.findIndex((l) => l.startsWith(`${kind}: `));
  if (at < 0) return '';
  let end = at + 1;
  while (end < lines.length && lines[end]!.startsWith('  ')) end++;
  return lines.slice(at, end).join('\n');
}
