/**
 * `npm run bench`: every benchmark of the project, printed as markdown tables. It starts with the
 * anchor (`tsc --noEmit` and `tsgo --noEmit` of the corpus) and ends with the summary of issue
 * 15's targets, each figure a ratio to that tsc (anchor.ts); a missed target makes it exit 1.
 */
import { formatResults, type BenchResult } from './harness.ts';
import { anchorSection, anyMissed, summarySection } from './anchor.ts';
import { corpusBenches } from './corpus.bench.ts';

type Section = () => BenchResult[] | string | Promise<BenchResult[] | string>;

/** A section returns rows for the standard table, or its own markdown (side-by-side tables). */
const sections: Array<[string, Section]> = [
  ['corpus machine', corpusBenches],
  ['startup', (await import('./startup.bench.ts')).startupBenches],
  ['verifier', (await import('./verify.bench.ts')).verifyBenches],
  ['analyzer', (await import('./analyze.bench.ts')).analyzeBenches],
  ['track', (await import('./track.bench.ts')).trackBenches],
  ['converter', (await import('./convert.bench.ts')).convertBenches],
  ['series type-check', (await import('./series.bench.ts')).seriesBenches],
  // memdesc series per patch; `npm start` itself with MEMDESC_BENCH_START=1.
  ['pipeline', (await import('./pipeline.bench.ts')).pipelineBenches],
  // Memory metadata per workload at 64 MiB and 1 GiB; MEMDESC_BENCH_STAGE2_TREE adds "after".
  ['metadata', (await import('./metadata.bench.ts')).metadataBenches],
  // The speed limits npm test used to assert; exits 1 when one is missed.
  ['limits', (await import('./limits.bench.ts')).limitBenches],
];

// `npm run bench -- analyzer` runs only the sections whose title contains one of the words given
// (the anchor and the summary always run: the figures are ratios to this run's tsc).
const only = process.argv.slice(2);
process.stdout.write(`${anchorSection()}\n\n`);
for (const [title, run] of sections) {
  if (only.length && !only.some((w) => title.includes(w))) continue;
  const out = await run();
  process.stdout.write((typeof out === 'string' ? out : formatResults(title, out)) + '\n\n');
}
process.stdout.write(`${summarySection()}\n`);
if (anyMissed()) process.exitCode = 1;
