/**
 * Simulation processes start with the V8 flags simWorker.ts chose (simNodeFlags()), in warm
 * workers and in a process per batch alike, and only flags this node accepts.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { runBatch } from '../../src/verify/run.ts';
import { closeIdleWorkers, simNodeFlags } from '../../src/verify/simWorker.ts';

const dir = mkdtempSync(join(tmpdir(), 'memdesc-simflags-'));

/** A stand-in main.mjs whose every seed line carries its own process.execArgv as the digest. */
const line = (workload: string, seed: number): string =>
  JSON.stringify({ workload, seed, ram: 1, ops: 1, eventCount: 1, digest: JSON.stringify(process.execArgv), bug: null });
const program = (serve: boolean): string => `
const line = ${line.toString().replace(/^\(workload, seed\) =>/, '(workload, seed) =>')};
const argv = process.argv.slice(2);
if (argv.includes('--serve')) {
  if (!${serve}) { process.stderr.write("simulate: Unknown option '--serve'\\n"); process.exit(2); }
  process.stdout.write('{"serve":1}\\n');
  let buf = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (c) => {
    buf += c;
    let nl;
    while ((nl = buf.indexOf('\\n')) >= 0) {
      const job = JSON.parse(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
      for (const s of job.seeds) process.stdout.write(line(job.workload, s) + '\\n');
      process.stdout.write('{"done":true}\\n');
    }
  });
} else {
  const w = argv[argv.indexOf('--workload') + 1];
  const s = Number(argv[argv.indexOf('--seeds') + 1]);
  process.stdout.write(line(w, s) + '\\n');
}
`;

afterAll(async () => {
  await closeIdleWorkers();
  rmSync(dir, { recursive: true, force: true });
});

describe('simulation V8 flags', () => {
  it('are flags this node starts with', () => {
    const r = spawnSync(process.execPath, [...simNodeFlags(), '-e', 'process.stdout.write(JSON.stringify(process.execArgv))'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    // execArgv: the flags, then -e and its script.
    expect((JSON.parse(r.stdout) as string[]).slice(0, -2)).toEqual(simNodeFlags());
  });

  it('start warm workers and processes per batch', async () => {
    const serve = join(dir, 'serve.mjs');
    const plain = join(dir, 'plain.mjs');
    writeFileSync(serve, program(true));
    writeFileSync(plain, program(false));
    for (const bundle of [serve, plain]) {
      const out = await runBatch({ bundle, workload: 'alpha', seeds: [1] });
      expect(out.map((o) => o.status), bundle).toEqual(['ok']);
      expect(JSON.parse(out[0]!.result!.digest), bundle).toEqual(simNodeFlags());
    }
  });
});
