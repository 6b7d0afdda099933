/**
 * `memdesc start` (what `npm start` runs): the main job on the bundled corpus. Until the
 * analyze -> convert -> verify pipeline exists it runs the mixed workload and prints its reports.
 */
import type { Command } from 'commander';
import { BUNDLED_CORPUS } from '../paths.ts';
import { runCorpusInherit } from '../simulate/runCorpus.ts';

export function registerStart(program: Command): void {
  program
    .command('start')
    .description('the main job on the bundled corpus (npm start)')
    .option('-s, --seed <n>', 'PRNG seed', '1')
    .action(async (opts) => {
      process.exitCode = await runCorpusInherit(BUNDLED_CORPUS, { workload: 'mixed', seed: opts.seed });
    });
}
