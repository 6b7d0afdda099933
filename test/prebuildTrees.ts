/**
 * `node bin/run-ts.mjs test/prebuildTrees.ts NAME...`: makes the run's shared trees (test/corpusTrees.ts,
 * test/stage1.ts) one after another, started by the sequencer in vitest.config.ts as soon as the
 * run's files are known. A test file that needs a tree otherwise builds it when it starts, and
 * every other file needing it waits on a worker that does nothing meanwhile; built from the first
 * second beside the workers, the trees are there, or nearly, when those files start. The lock
 * protocol is the same (test/runTrees.ts): whichever comes first builds, the other waits.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { SHARED_TREES } from './corpusTrees.ts';
import { runMain } from './inProcess.ts';
import { makeTreesInProcess, runDir } from './runTrees.ts';

// The commands run here, in this process (runTrees.ts's makeTreesInProcess), with none of the
// caller's MEMDESC_* settings but the run's cache and folder: the same trees a child would make.
for (const k of Object.keys(process.env)) {
  if (k.startsWith('MEMDESC_') && k !== 'MEMDESC_CACHE_DIR' && k !== 'MEMDESC_TEST_RUN_DIR') delete process.env[k];
}
makeTreesInProcess((args) => runMain(args));

for (const name of process.argv.slice(2)) {
  const make = SHARED_TREES[name];
  if (!make) throw new Error(`prebuildTrees: no shared tree '${name}' (known: ${Object.keys(SHARED_TREES).join(', ')})`);
  // A failed build is recorded in the tree's verdict (runTrees.ts), which its tests report.
  await make().catch(() => undefined);
}
// Done: globalSetup's teardown has nothing to stop (and no pid of ours, maybe reused by then, to signal).
rmSync(join(runDir(), 'prebuild.pid'), { force: true });
