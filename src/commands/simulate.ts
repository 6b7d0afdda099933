/**
 * `memdesc simulate [path]`: run the corpus machine on a workload and print its reports and
 * digest. The workloads are the tree's own (its manifest, `--list-workloads`).
 */
import type { Command } from 'commander';
import { BUNDLED_CORPUS } from '../paths.ts';

export function registerSimulate(program: Command): void {
  program
    .command('simulate')
    .description('boot the corpus machine, run a workload from a seed, print reports and the digest')
    // No default in the help text: the bundled corpus' absolute path differs per install.
    .argument('[path]', 'corpus tree (default: the bundled corpus)')
    // No fixed list: a tree declares its workloads in its manifest (the bundled corpus: buddy,
    // slab, mm, hwpoison, zswap, vmalloc, mixed), and its own default.
    .option('-w, --workload <name>', "a workload the tree lists (see --list-workloads; default: the tree's default, mixed on the bundled corpus)")
    .option('-s, --seed <n>', 'PRNG seed', '1')
    .option('--ram <size>', 'RAM size, 16M to 1G (default 64M)')
    .option('--ops <n>', 'number of workload operations (default per workload)')
    .option('--trace', 'print the event trace before the reports')
    .option('--json', 'machine-readable output')
    .option('--report <name>', 'print only this report (e.g. buddyinfo, slabinfo, meminfo, zsmalloc-classes; metadata: struct page + descriptors as bytes and % of RAM)')
    .option('--list-workloads', "print the tree's manifest: workloads with default and verify operation counts, layout-dependent report lines")
    .option('--no-tracepoints', 'leave kernel tracepoints out of the trace')
    .action(async (path: string | undefined, opts) => {
      // The library code loads only when this command runs (dist/: a chunk of its own), not for --help.
      const { runCorpusInherit } = await import('../simulate/runCorpus.ts');
      process.exitCode = await runCorpusInherit(path ?? BUNDLED_CORPUS, opts);
    });
}
