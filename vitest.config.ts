import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

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

/** What every test file gets, in either project. */
const common = {
  testTimeout: 60_000,
  hookTimeout: 60_000,
  pool: 'forks',
} as const;

export default defineConfig({
  test: {
    // Builds dist/cli.mjs (what spawned CLIs run) and sets a per-run MEMDESC_CACHE_DIR. Here only,
    // not in the projects: a project's own globalSetup runs again, with a cache and run folder of its own.
    globalSetup: ['test/globalSetup.ts'],
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
