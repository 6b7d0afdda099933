/** `npm run bench`: every benchmark of the project, printed as markdown tables. */
import { formatResults } from './harness.ts';
import { corpusBenches } from './corpus.bench.ts';

const sections: Array<[string, () => ReturnType<typeof corpusBenches>]> = [
  ['corpus machine', corpusBenches],
];

for (const [title, run] of sections) {
  process.stdout.write(formatResults(title, run()) + '\n\n');
}
