import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Builds dist/cli.mjs (what spawned CLIs run) and sets a per-run MEMDESC_CACHE_DIR.
    globalSetup: ['test/globalSetup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // vitest leaves one core idle by default; the slow files mostly wait on child processes.
    maxWorkers: 2,
  },
});
