/**
 * start's CPU per phase (cpuTimes(), src/pipeline/start.ts) counts child processes still running:
 * the verifier's workers live until the series ends, and counted at their exit only, their CPU
 * showed up in whichever phase ended them (track, in `npm start`). A child that has spent a known
 * amount of CPU and is still alive must be in the reading.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { cpuTimes } from '../../src/pipeline/start.ts';

// Busy until it has used 300 ms of CPU itself, then says so and waits for its stdin to close.
const BURN = `
const t0 = process.cpuUsage();
while ((process.cpuUsage(t0).user + process.cpuUsage(t0).system) < 300000) {}
process.stdout.write('burnt\\n');
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
`;

describe.runIf(process.platform === 'linux')('cpuTimes', () => {
  it('counts the CPU of a child process that is still running', async () => {
    const before = cpuTimes();
    expect(before.childrenMs).toBeDefined();
    let during = before;
    const child = spawn(process.execPath, ['-e', BURN], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      child.stdout.setEncoding('utf8');
      let out = '';
      while (!out.includes('burnt')) {
        const [chunk] = (await once(child.stdout, 'data')) as [string];
        out += chunk;
      }
      during = cpuTimes();
      // 300 ms used, counted in ticks of 10 ms (and the start-up on top).
      expect(during.childrenMs! - before.childrenMs!).toBeGreaterThanOrEqual(250);
    } finally {
      child.stdin.end();
      await once(child, 'close');
    }
    // Once ended it is its parent's (cutime): not counted twice.
    const after = cpuTimes();
    expect(after.childrenMs! - before.childrenMs!).toBeGreaterThanOrEqual(250);
    expect(after.childrenMs! - during.childrenMs!).toBeLessThan(200);
  });
});
