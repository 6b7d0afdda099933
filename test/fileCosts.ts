/**
 * `node bin/run-ts.mjs test/fileCosts.ts CPU.jsonl…`: test/fileCosts.json (each test file's CPU
 * seconds, by path) from runs with `MEMDESC_TEST_CPU=CPU.jsonl` (test/cpuUsage.ts; per-test lines skipped). A file
 * measured again takes its new cost (the last line of it); one not in these runs keeps its old
 * cost; one that is gone is dropped. vitest.config.ts orders the run by it.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = join(import.meta.dirname, '..');
const out = join(root, 'test', 'fileCosts.json');
const costs: Record<string, number> = existsSync(out) ? JSON.parse(readFileSync(out, 'utf8')) as Record<string, number> : {};
for (const input of process.argv.slice(2)) {
  for (const line of readFileSync(input, 'utf8').split('\n').filter(Boolean)) {
    const { file, cpu, test } = JSON.parse(line) as { file: string; cpu: number; test?: string };
    if (test !== undefined) continue; // a test's own line (MEMDESC_TEST_CPU_TESTS): the file's is its cost
    costs[relative(root, file).split('\\').join('/')] = Math.round(cpu * 10) / 10;
  }
}
const kept = Object.entries(costs).filter(([f]) => existsSync(join(root, f))).sort(([a], [b]) => (a < b ? -1 : 1));
writeFileSync(out, `${JSON.stringify(Object.fromEntries(kept), null, 2)}\n`);
process.stdout.write(`${out}: ${kept.length} files\n`);
