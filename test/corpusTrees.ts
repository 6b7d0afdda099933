/**
 * The corpus trees derived from the stage-1 tree (test/stage1.ts), shared by every test file of a
 * run like it (test/runTrees.ts: built once by the first caller, read-only after): here, without
 * vitest, so that the run's prebuild (test/prebuildTrees.ts) can make them too.
 *
 * - `ptdescCorpus()`: the bundled corpus after `convert ptdesc --write` (Page.lru still there for
 *   the other kinds: the RFC's state);
 * - `stage2Corpus()`: the stage-1 tree after `separate --all --write` (every kind in the plan's
 *   order, each through its audit gate, no test hook), with what that run printed.
 */
import { cpSync } from 'node:fs';
import { BUNDLED_CORPUS } from '../src/paths.ts';
import { sharedTree, treeCli, type SharedTree } from './runTrees.ts';
import { stage1Corpus } from './stage1.ts';

/** The bundled corpus after `convert ptdesc --write` (shared, read-only). */
export function ptdescCorpus(): Promise<SharedTree> {
  return sharedTree('ptdesc', async (dir) => {
    cpSync(BUNDLED_CORPUS, dir, { recursive: true });
    return treeCli(['convert', 'ptdesc', dir, '--write']);
  });
}

/** The stage-1 tree after `separate --all --write` (shared, read-only), with what it printed. */
export function stage2Corpus(): Promise<SharedTree> {
  return sharedTree('stage2', async (dir) => {
    cpSync(await stage1Corpus(), dir, { recursive: true });
    return treeCli(['separate', '--all', dir, '--write']);
  });
}

/** Every shared tree by name, each with what it is made from first (stage2 needs stage1). */
export const SHARED_TREES: Record<string, () => Promise<unknown>> = {
  ptdesc: ptdescCorpus,
  stage1: stage1Corpus,
  stage2: stage2Corpus,
};
