/**
 * Child process for the crash tests of the write protocol: takes the tree's lock, settles what an
 * interrupted run left, then writes the files given as JSON (path relative to the root -> text).
 * Usage: write-child.ts ROOT FILES_JSON. MEMDESC_TEST_CRASH_AT kills it at a protocol step.
 */
import { join } from 'node:path';
import { recover, writeAll } from '../../src/rewrite/staging.ts';
import { lockTree } from '../../src/rewrite/treeLock.ts';
import { MemdescError } from '../../src/errors.ts';

const [root, json] = process.argv.slice(2);
const files = new Map(Object.entries(JSON.parse(json!) as Record<string, string>).map(([k, v]) => [join(root!, k), v] as const));
let lock: ReturnType<typeof lockTree> | undefined;
try {
  lock = lockTree(root!);
  const rec = recover(root!);
  for (const r of rec) process.stdout.write(`${r.action} ${r.files}\n`);
  writeAll(root!, files);
  process.stdout.write('written\n');
} catch (e) {
  process.stderr.write(`${(e as Error).message}\n`);
  process.exitCode = e instanceof MemdescError ? 2 : 70;
} finally {
  lock?.release();
}
