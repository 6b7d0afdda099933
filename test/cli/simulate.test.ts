import { describe, it, expect } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'memdesc.mjs');

function memdesc(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function digest(stdout: string): string {
  const m = /^digest: ([0-9a-f]{64})$/m.exec(stdout);
  if (!m) throw new Error(`no digest in output:\n${stdout}`);
  return m[1]!;
}

describe('memdesc simulate', () => {
  it('a reader that stops early (--trace | head) ends the run quietly: no stack trace, exit 141', async () => {
    const child = spawn(process.execPath, [BIN, 'simulate', '--workload', 'mixed', '--seed', '1', '--trace'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => { err += String(d); });
    // Like `head -1`: take the first chunk, then close the pipe.
    await new Promise<void>((resolve) => child.stdout.once('data', () => { child.stdout.destroy(); resolve(); }));
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(err).toBe('');
    expect(code).toBe(141);
  });

  it('is deterministic per seed and prints the digest last', () => {
    const a = memdesc('simulate', '--workload', 'buddy', '--seed', '1', '--ops', '3000');
    const b = memdesc('simulate', '--workload', 'buddy', '--seed', '1', '--ops', '3000');
    const c = memdesc('simulate', '--workload', 'buddy', '--seed', '2', '--ops', '3000');
    expect(a.status).toBe(0);
    expect(a.stdout.trimEnd().split('\n').at(-1)).toMatch(/^digest: /);
    expect(a.stdout).toContain('== /proc/buddyinfo ==');
    expect(a.stdout).toContain('== /proc/meminfo ==');
    expect(digest(a.stdout)).toBe(digest(b.stdout));
    expect(digest(c.stdout)).not.toBe(digest(a.stdout));
  });

  it('--json carries the same digest as the text output', () => {
    const text = memdesc('simulate', '--workload', 'buddy', '--seed', '3', '--ops', '500');
    const json = memdesc('simulate', '--workload', 'buddy', '--seed', '3', '--ops', '500', '--json');
    expect(JSON.parse(json.stdout).digest).toBe(digest(text.stdout));
  });

  it.each([
    [['--workload', 'nope'], /unknown workload "nope"/],
    [['--workload', 'buddy', '--ram', '3x'], /invalid RAM size "3x"/],
    [['--workload', 'buddy', '--ram', '2G'], /out of range/],
    [['--workload', 'buddy', '--seed', 'abc'], /--seed must be a non-negative integer/],
    [['--bogus'], /unknown option '--bogus'/],
  ])('rejects %j with one clear line and exit 2', (args, message) => {
    const r = memdesc('simulate', ...args);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });
});
