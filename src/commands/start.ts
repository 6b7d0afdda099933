/**
 * `memdesc start` (what `npm start` runs): the main job on the bundled corpus. analyze finds and
 * classifies every raw struct page access; convert plans the conversion of every kind (in memory:
 * the bundled corpus is never written); verify runs every workload x seed on a scratch copy with
 * the conversion applied and on the original, and compares. Prints a summary with timings; exit 1
 * when the converted corpus does not verify.
 */
import { relative, sep } from 'node:path';
import type { Command } from 'commander';
import { CheckFailed } from '../errors.ts';
import { BUNDLED_CORPUS } from '../paths.ts';
import { builtinSpec } from '../model/builtin.ts';
import { verifyOptionsFromFlags } from './verify.ts';

function secs(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

export function registerStart(program: Command): void {
  program
    .command('start')
    .description('the main job on the bundled corpus: analyze -> convert (all kinds, scratch copy) -> verify (npm start)')
    .option('--seeds <seeds>', 'verify: N (seeds 1..N), a..b, or a list (default 16)')
    .option('--workloads <list>', 'verify: comma-separated workloads (default: all)')
    .option('--jobs <n>', 'verify: parallel simulations (default: available cores)')
    .action(async (flags: { seeds?: string; workloads?: string; jobs?: string }) => {
      const vopts = verifyOptionsFromFlags(flags);
      const spec = builtinSpec();
      const out = (s: string): void => void process.stdout.write(`${s}\n`);
      out(`memdesc start: analyze -> convert -> verify on ${relative(process.cwd(), BUNDLED_CORPUS) || '.'}`);
      const t0 = performance.now();

      const { analyzePath } = await import('../analyzers/analyze.ts');
      const a = analyzePath(BUNDLED_CORPUS, { spec });
      const t1 = performance.now();
      const kinds = Object.entries(a.summary.byKind)
        .map(([k, row]) => [k, Object.values(row).reduce((n, c) => n + c.remaining + c.converted, 0)] as const)
        .filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ');
      out(`  analyze  ${secs(t1 - t0).padStart(7)}  ${a.summary.findings} raw accesses in ${a.summary.files} files (${kinds}); ${a.summary.unknown} unknown, ${a.summary.residue} residue, ${a.summary.wrappers} wrappers`);

      const { runConvert } = await import('../rewrite/driver.ts');
      const c = runConvert({ spec, kinds: [], all: true, path: BUNDLED_CORPUS, retire: true });
      const t2 = performance.now();
      const overrides = Object.fromEntries(c.plan.changes.filter((x) => x.after !== null)
        .map((x) => [relative(c.root, x.file).split(sep).join('/'), x.after as string]));
      const sites = Object.values(c.plan.report.converted).reduce((n, k) => n + k, 0);
      out(`  convert  ${secs(t2 - t1).padStart(7)}  ${sites} sites (${Object.entries(c.plan.report.converted).map(([k, n]) => `${k} ${n}`).join(', ')}), ` +
        `${c.plan.report.functions.length} function signatures, ${c.files.filter((f) => f.status === 'created').length} files created, ${c.files.length} changed; type-checks, second run is a no-op; ${c.plan.report.skipped.length} sites left`);

      const { verifyTrees } = await import('../verify/verify.ts');
      const v = await verifyTrees({ dir: BUNDLED_CORPUS, overrides, label: 'converted corpus (scratch copy)' }, BUNDLED_CORPUS, vopts);
      const t3 = performance.now();
      const verdict = v.ok ? 'identical' : `DIFFERENT in ${v.mismatches.length} of ${v.pairs} pairs (first: ${v.first!.workload} seed ${v.first!.seed}: ${v.first!.reason})`;
      out(`  verify   ${secs(t3 - t2).padStart(7)}  ${verdict}: ${v.workloads.length} workloads x ${v.seeds.length} seeds x 2 trees, ` +
        `${v.opsCompared.toLocaleString('en-US')} operations and ${v.eventsCompared.toLocaleString('en-US')} events compared (${v.jobs} in parallel)`);
      out(`  total    ${secs(t3 - t0).padStart(7)}`);
      if (!v.ok) {
        const { renderVerifyText } = await import('../verify/report-text.ts');
        out('');
        process.stdout.write(renderVerifyText(v));
        throw new CheckFailed('the converted corpus does not verify');
      }
    });
}
