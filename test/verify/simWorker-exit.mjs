// A caller that waits for its workers at top level (as the CLI's verify does): run one batch in a
// warm worker, end the idle workers, say so. It must exit 0, never 13 (an unsettled top-level await).
import { runBatch } from '../../src/verify/run.ts';
import { closeIdleWorkers } from '../../src/verify/simWorker.ts';
const [bundle] = process.argv.slice(2);
const out = await runBatch({ bundle, workload: 'alpha', seeds: [1] });
await closeIdleWorkers();
process.stdout.write(`${out[0].status} ${out[0].result.memmap}\n`);
