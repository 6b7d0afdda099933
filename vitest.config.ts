import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Plugin } from 'vite';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { V8_FLAGS } from './src/v8Flags.ts';
import { compileNative, nativeModulesPlugin } from './test/nativeModules.ts';

/**
 * What makes a test file need a process of its own: state that outlives the file in a shared
 * worker. Module mocks (a later file would get the mock, or the real module already loaded);
 * the corpus' own modules (the simulated machine — memmap, allocators — lives in module state);
 * process-wide settings (the environment, the working directory, listeners on the process,
 * globals), even where the file restores them, since a failure halfway may leave them set.
 * Read from the test file's own text; helpers it imports restore what they change (useIsolatedGit,
 * test/env.ts's withEnv).
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
 * Isolated files that mock a module (vi.mock, vi.doMock): the corpus and src/ must then load through
 * vitest's module runner, which alone hands the mock to the modules importing the mocked one (a
 * native src/ module importing a mocked package would get the real one). Every other file runs the
 * corpus and src/ as native modules (test/nativeModules.ts).
 */
const MOCKS = /\bvi\.(mock|doMock)\(/;
const mocking = isolated.filter((f) => MOCKS.test(readFileSync(join(root, f), 'utf8')));
const nativeIsolated = isolated.filter((f) => !mocking.includes(f));

/**
 * The plugin and settings that give a project the native modules, or none: MEMDESC_TEST_RUNNER=1
 * keeps every module on vitest's runner, as before (to compare, or to debug with its source maps);
 * so does watch mode (`vitest` without `run`, not in CI), where the runner follows each edit and
 * these modules, compiled once at start, would not; and so does a failure to compile them (one
 * line on stderr: the tests still run, only slower).
 */
async function nativeModules(): Promise<{ plugins: Plugin[]; server: object }> {
  const watching = !process.argv.slice(2).some((a) => a === 'run' || a === '--run') && !process.env.CI;
  if (process.env.MEMDESC_TEST_RUNNER === '1' || watching) return { plugins: [], server: {} };
  const folders = new Map<string, string>();
  try {
    for (const d of ['corpus', 'src']) folders.set(join(root, d), await compileNative(join(root, d), join(root, 'node_modules', '.cache', 'memdesc-test')));
  } catch (e) {
    process.stderr.write(`vitest.config.ts: corpus and src/ stay on vitest's module runner: cannot compile them: ${(e as Error).message.split('\n')[0]}\n`);
    return { plugins: [], server: {} };
  }
  return { plugins: [nativeModulesPlugin(folders)], server: { deps: { external: [...folders.values()] } } };
}
const native = await nativeModules();

/**
 * The run's shared trees (test/corpusTrees.ts, test/stage1.ts) a test file waits for, by the
 * helpers it calls, in the order the prebuild makes them: ptdesc first, then stage1 and the stage2
 * made from it. Today only files of the shared project wait for one (runOrder() would put an
 * isolated file that did last of its project).
 */
const TREE_USERS: Array<[string, RegExp]> = [
  ['ptdesc', /\bptdescCorpus\(/],
  ['stage1', /\b(stage1Corpus|copyOfStage1|stage1Conversion|stage2Corpus)\(/],
  ['stage2', /\bstage2Corpus\(/],
];

/**
 * Each test file's cost in CPU seconds (its worker and the processes it started), as last
 * measured: `MEMDESC_TEST_CPU=FILE npx vitest run`, then `node bin/run-ts.mjs test/fileCosts.ts FILE`
 * (test/cpuUsage.ts). Only the order of the run depends on it, never a result.
 */
const costsFile = join(root, 'test', 'fileCosts.json');
const COSTS: Record<string, number> = existsSync(costsFile) ? JSON.parse(readFileSync(costsFile, 'utf8')) as Record<string, number> : {};

/**
 * The run's order. The isolated project's files first, then the shared ones (vitest stops a
 * shared worker when the next file is not for it: a file of the other project in between would cost
 * a new worker). Within each, the costliest first, so that what is left for the end is small and
 * the two workers finish together; a file with no recorded cost (new) counts as a middling one
 * (UNKNOWN_COST), ahead of the many small files. vitest's own order does this only with the
 * durations it cached in node_modules, which CI's fresh install does not have (it then goes by
 * file size, which says little: workloads.test.ts is small and long). An isolated file that waits for a shared
 * tree goes last of its project: the first files start beside the tree's prebuild, which has then
 * had their time to make it, instead of two workers waiting idle for it.
 */
const UNKNOWN_COST = 3;
function runOrder(files: TestSpecification[], waits: (f: TestSpecification) => boolean): TestSpecification[] {
  const key = (f: TestSpecification): [number, number, number] => {
    const cost = COSTS[relativeTo(f.moduleId)];
    const isolated = f.project.name !== 'shared';
    return [isolated ? 0 : 1, isolated && waits(f) ? 1 : 0, cost ?? UNKNOWN_COST];
  };
  const size = (f: TestSpecification): number => statSync(f.moduleId).size;
  const keys = new Map(files.map((f) => [f, key(f)] as const));
  return [...files].sort((a, b) => {
    const [ka, kb] = [keys.get(a)!, keys.get(b)!];
    return ka[0] - kb[0] || ka[1] - kb[1] || (ka[2] === kb[2] ? size(b) - size(a) : kb[2] - ka[2]);
  });
}

/** `test/x.test.ts` for a test file's absolute path. */
function relativeTo(file: string): string {
  return file.slice(root.length + 1).split('\\').join('/');
}

/**
 * The order above (runOrder), plus: once the run's files are known (after globalSetup made the
 * run folder), the shared trees they need are built in a process of their own (test/prebuildTrees.ts) beside the
 * workers, instead of by the first file that needs one while every other such file's worker
 * waits idle. Not when tests are picked by name (`-t`): a file run for another test may not need
 * its tree. The process is stopped by test/globalSetup.ts's teardown if it is still running.
 */
class PrebuildSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const texts = new Map(files.map((f) => [f, readFileSync(f.moduleId, 'utf8')] as const));
    const sorted = runOrder(await super.sort(files), (f) => TREE_USERS.some(([, re]) => re.test(texts.get(f)!)));
    const run = process.env.MEMDESC_TEST_RUN_DIR;
    if (run && !this.ctx.config.testNamePattern) {
      const trees = TREE_USERS.filter(([, re]) => [...texts.values()].some((t) => re.test(t))).map(([name]) => name);
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
  // memdesc's V8 flags (src/v8Flags.ts): its TypeScript passes run in the test processes too, and
  // with V8's default TurboFan compiles their briefly run code on threads that take the other core
  // (two test files: 85 -> 74 CPU-s).
  execArgv: [...V8_FLAGS],
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
      { plugins: native.plugins, test: { ...common, name: 'isolated', include: nativeIsolated, server: native.server } },
      // (An empty include would be vitest's default pattern: every test file again.)
      ...(mocking.length ? [{ test: { ...common, name: 'isolated-runner', include: mocking } }] : []),
      // A fresh process per file costs about 0.6 CPU-s (a fork, vitest's worker, TypeScript and
      // src/ loaded again, lib files parsed again); files that leave nothing behind run one after
      // another in a worker that keeps them (what they import, TypeScript's parsed lib files).
      { plugins: native.plugins, test: { ...common, name: 'shared', include: shared, isolate: false, server: native.server } },
    ],
  },
});
