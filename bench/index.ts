/** `npm run bench`: every benchmark of the project, printed as markdown tables. */
import { formatResults, type BenchResult } from './harness.ts';
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
  // The speed limits npm test used to assert; exits 1 when one is missed.
  ['limits', (await import('./limits.bench.ts')).limitBenches],
];

// `npm run bench -- analyzer` runs only the sections whose title contains one of the words given.
const only = process.argv.slice(2);
for (const [title, run] of sections) {
  if (only.length && !only.some((w) => title.includes(w))) continue;
  const out = await run();
  process.stdout.write((typeof out === 'string' ? out : formatResults(title, out)) + '\n\n');
}
