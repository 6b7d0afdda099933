#!/usr/bin/env node
// The memdesc command: runs the built CLI (dist/cli.mjs, plain JavaScript: the command definitions;
// a command's code loads from the chunks beside it when it runs). In a checkout of the sources
// (src/ and scripts/ beside dist/), a build older than the sources is rebuilt first, so
// `node bin/memdesc.mjs` and every test that spawns it run what src/ says.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const builder = join(root, 'scripts', 'build.mjs');
if (existsSync(join(root, 'src', 'cli.ts')) && existsSync(builder)) {
  const { isStale, build } = await import(pathToFileURL(builder).href);
  if (isStale()) {
    try {
      await build();
    } catch (e) {
      process.stderr.write(`memdesc: cannot build the CLI from src/: ${e.message}\n`);
      process.exit(70);
    }
  }
}
const { main, quietOnClosedPipe, applyV8Flags } = await import(pathToFileURL(join(root, 'dist', 'cli.mjs')).href);
// Before a command's code loads: memdesc's V8 flags (src/v8Flags.ts).
applyV8Flags();
quietOnClosedPipe();
process.exitCode = await main(process.argv.slice(2));
