/**
 * One stage-1 corpus per test run: a copy of the bundled corpus converted by the CLI
 * (`memdesc convert --all DIR --write --json`), in a dotted folder (`stage1-5.10.y/corpus`) of the run's
 * own temp folder (MEMDESC_TEST_RUN_DIR, made and removed by test/globalSetup.ts). Several files
 * need that tree and the conversion costs seconds of CPU each time: the first caller in the run
 * builds it, under a lock, and every other caller (in any worker) waits for it. It is read-only:
 * tests take a copy (`copyOfStage1`) and work on that. What the CLI printed about the conversion
 * (its --json report: files, report, checks, diff) is kept beside it (`stage1Conversion`).
 */
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { ConvertReport } from '../src/rewrite/plan.ts';
import { dirname, join } from 'node:path';
import { BUNDLED_CORPUS } from '../src/paths.ts';
import { runDir, sharedTree, treeCli } from './runTrees.ts';

/** The shared stage-1 tree (read-only): `convert --all --write` of a copy of the corpus, built once per run. */
export async function stage1Corpus(): Promise<string> {
  const t = await sharedTree('stage1', async (dir) => {
    cpSync(BUNDLED_CORPUS, dir, { recursive: true });
    const r = await treeCli(['convert', '--all', dir, '--write', '--json']);
    // Its report kept beside the tree (stage1Conversion()), not in the verdict every caller reads.
    if (r.status === 0) writeFileSync(join(runDir(), 'stage1.convert.json'), r.stdout);
    return { ...r, stdout: '' };
  });
  return t.dir;
}

/** A writable copy of the shared stage-1 tree at `dest` (its parent folders made). */
export async function copyOfStage1(dest: string): Promise<string> {
  const src = await stage1Corpus();
  mkdirSync(dirname(dest), { recursive: true });
  cpSync(src, dest, { recursive: true });
  return dest;
}

/** What `convert --all --write --json` printed when it made the shared stage-1 tree (its `--json` output). */
export interface Stage1Conversion {
  mode: 'write';
  written: boolean;
  files: Array<{ file: string; status: 'created' | 'modified' }>;
  report: ConvertReport;
  checks: { typecheck: string; secondRun: string; retireDropped?: string };
  /** The unified diff of the conversion, paths relative to the tree. */
  diff: string;
}

/** The shared stage-1 tree's conversion, as the CLI reported it (read-only, like the tree). */
export async function stage1Conversion(): Promise<Stage1Conversion> {
  await stage1Corpus();
  return JSON.parse(readFileSync(join(runDir(), 'stage1.convert.json'), 'utf8')) as Stage1Conversion;
}
