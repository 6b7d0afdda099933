import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * What makes a test file need a process of its own: state that outlives the file in a shared
 * worker. Module mocks (a later file would get the mock, or the real module already loaded);
 * the corpus' own modules (the simulated machine — memmap, allocators — lives in module state);
 * process-wide settings (the environment, the working directory, listeners on the process,
 * globals), even where the file restores them, since a failure halfway may leave them set.
 * Read from the test file's own text; helpers it imports restore what they change (useIsolatedGit).
 */
const NEEDS_ISOLATION: Array<[string, RegExp]> = [
  ['module mocks', /\bvi\.(mock|doMock|unmock|stubGlobal|stubEnv|resetModules)\(/],
  ['the corpus machine', /from '(\.\.\/)+corpus\//],
  ['the environment', /process\.env(\.\w+|\[[^\]]+\])\s*=[^=]|delete process\.env|Object\.assign\(process\.env\b/],
  ['the working directory, the file mode mask', /process\.(chdir|umask)\(/],
  ['process listeners', /process\.(on|once|addListener|prependListener)\(/],
  ['globals', /globalThis\.\w+\s*=[^=]/],
];

const root = import.meta.dirname;
const testFiles = (readdirSync(join(root, 'test'), { recursive: true }) as string[])
  .filter((f) => f.endsWith('.test.ts'))
  .map((f) => `test/${f.split('\\').join('/')}`)
  .sort();

/** Files with a reason to be isolated (NEEDS_ISOLATION); the rest share their worker's process. */
const isolated = testFiles.filter((f) => {
  const text = readFileSync(join(root, f), 'utf8');
  return NEEDS_ISOLATION.some(([, re]) => re.test(text));
});
const shared = testFiles.filter((f) => !isolated.includes(f));

/**
 * The run's shared trees (test/corpusTrees.ts, test/stage1.ts) a test file waits for, by the
 * helpers it calls, in the order the prebuild makes them: ptdesc first (isolated files, which run
 * first, use it), then stage1 and the stage2 made from it.
 */
const TREE_USERS: Array<[string, RegExp]> = [
  ['ptdesc', /\bptdescCorpus\(/],
  ['stage1', /\b(stage1Corpus|copyOfStage1|stage1Conversion|stage2Corpus)\(/],
  ['stage2', /\bstage2Corpus\(/],
];

/**
 * vitest's order, plus: once the run's files are known (after globalSetup made the run folder), the
 * shared trees they need are built in a process of their own (test/prebuildTrees.ts) beside the
 * workers, instead of by the first file that needs one while every other such file's worker
 * waits idle. Not when tests are picked by name (`-t`): a file run for another test may not need
 * its tree. The process is stopped by test/globalSetup.ts's teardown if it is still running.
 */
class PrebuildSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const run = process.env.MEMDESC_TEST_RUN_DIR;
    if (run && !this.ctx.config.testNamePattern) {
      const texts = sorted.map((f) => readFileSync(f.moduleId, 'utf8'));
      const trees = TREE_USERS.filter(([, re]) => texts.some((t) => re.test(t))).map(([name]) => name);
      if (trees.length > 0) {
        const child = spawn(process.execPath, [join(root, 'bin', 'run-ts.mjs'), join(root, 'test', 'prebuildTrees.ts'), ...trees], { cwd: root, stdio: 'ignore', detached: true });
        if (child.pid) writeFileSync(join(run, 'prebuild.pid'), String(child.pid));
        child.unref();
      }
    }
    return sorted;
  }
}

/** What every test file gets, in either project. */
const common = {
  testTimeout: 60_000,
  hookTimeout: 60_000,
  pool: 'forks',
  // Per-file CPU and wall seconds to a file, when asked (test/cpuUsage.ts); nothing otherwise.
  setupFiles: process.env.MEMDESC_TEST_CPU ? ['test/cpuUsage.ts'] : [],
};

export default defineConfig({
  test: {
    // Builds dist/cli.mjs (what spawned CLIs run) and sets a per-run MEMDESC_CACHE_DIR. Here only,
    // not in the projects: a project's own globalSetup runs again, with a cache and run folder of its own.
    globalSetup: ['test/globalSetup.ts'],
    sequence: { sequencer: PrebuildSequencer },
    // vitest leaves one core idle by default; the slow files mostly wait on child processes.
    maxWorkers: 2,
    projects: [
      { test: { ...common, name: 'isolated', include: isolated } },
      // A fresh process per file costs about 0.6 CPU-s (a fork, vitest's worker, TypeScript and
      // src/ loaded again, lib files parsed again); files that leave nothing behind run one after
      // another in a worker that keeps them (what they import, TypeScript's parsed lib files).
      { test: { ...common, name: 'shared', include: shared, isolate: false } },
    ],
  },
});
