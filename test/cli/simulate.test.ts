import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runMain } from '../inProcess.ts';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'memdesc.mjs');
const CORPUS = join(import.meta.dirname, '..', '..', 'corpus');

function memdesc(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'memdesc-simulate-test-'));
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

/** A copy of the corpus with textual changes in one file (each change must apply). */
function editedCopy(name: string, file: string, edits: Array<[string | RegExp, string]>): string {
  const dir = join(tmp, name);
  cpSync(CORPUS, dir, { recursive: true });
  const path = join(dir, file);
  let text = readFileSync(path, 'utf8');
  for (const [from, to] of edits) {
    const after = text.replace(from, to);
    expect(after, `${file} no longer contains ${String(from)}`).not.toBe(text);
    text = after;
  }
  writeFileSync(path, text);
  return dir;
}

/** sizeof(struct page) as the tree declares it (the report must read it from the tree). */
function structPageSize(corpus: string): number {
  const m = /export const STRUCT_PAGE_SIZE = (\d+);/.exec(readFileSync(join(corpus, 'include', 'linux', 'mm_types.ts'), 'utf8'));
  if (!m) throw new Error('no STRUCT_PAGE_SIZE in mm_types.ts');
  return Number(m[1]);
}

const MIB = 1024 * 1024;

function digest(stdout: string): string {
  const m = /^digest: ([0-9a-f]{64})$/m.exec(stdout);
  if (!m) throw new Error(`no digest in output:\n${stdout}`);
  return m[1]!;
}

describe('memdesc simulate', () => {
  it('a reader that stops early (--trace | head) ends the run quietly: no stack trace, exit 141', async () => {
    // 2000 operations, not mixed's 20000: the trace (~0.8 MB) still far exceeds what the pipe
    // holds and the reader takes (64 KiB each), so the write still meets the closed pipe.
    const child = spawn(process.execPath, [BIN, 'simulate', '--workload', 'mixed', '--seed', '1', '--ops', '2000', '--trace'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => { err += String(d); });
    // Like `head -1`: take the first chunk, then close the pipe.
    await new Promise<void>((resolve) => child.stdout.once('data', () => { child.stdout.destroy(); resolve(); }));
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(err).toBe('');
    expect(code).toBe(141);
  });

  it('is deterministic per seed, prints the digest last, and --json carries the same digest as the text output', () => {
    // Two runs of one seed (text and --json) must agree, a third seed must not: one run fewer than
    // checking determinism and the JSON form apart.
    const a = memdesc('simulate', '--workload', 'buddy', '--seed', '1', '--ops', '1000');
    const json = memdesc('simulate', '--workload', 'buddy', '--seed', '1', '--ops', '1000', '--json');
    const c = memdesc('simulate', '--workload', 'buddy', '--seed', '2', '--ops', '1000');
    expect(a.status).toBe(0);
    expect(json.status).toBe(0);
    expect(a.stdout.trimEnd().split('\n').at(-1)).toMatch(/^digest: /);
    expect(a.stdout).toContain('== /proc/buddyinfo ==');
    expect(a.stdout).toContain('== /proc/meminfo ==');
    expect(JSON.parse(json.stdout).digest).toBe(digest(a.stdout));
    expect(digest(c.stdout)).not.toBe(digest(a.stdout));
  });

  it.each([
    [['--workload', 'nope'], /unknown workload "nope"/],
    [['--workload', 'buddy', '--ram', '3x'], /invalid RAM size "3x"/],
    [['--workload', 'buddy', '--ram', '2G'], /out of range/],
    [['--workload', 'buddy', '--seed', 'abc'], /--seed must be a non-negative integer/],
    [['--bogus'], /unknown option '--bogus'/],
    [['--workload', 'buddy', '--ops', '10', '--report', 'nope'], /unknown report "nope" \(choose from .*\bmetadata\b/],
  ])('rejects %j with one clear line and exit 2', (args, message) => {
    const r = memdesc('simulate', ...args);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });
});

describe('memdesc simulate --report metadata', () => {
  it.each([[64, 'buddy'], [1024, 'slab']])('%i MiB (%s): the memmap of struct pages, as bytes and share of RAM, at the end of the run and at its peak', (mib, workload) => {
    const r = memdesc('simulate', '--workload', workload, '--seed', '2', '--ops', '60', '--ram', `${mib}M`, '--report', 'metadata', '--json');
    expect(r.status, r.stderr).toBe(0);
    const m = JSON.parse(r.stdout);
    const size = structPageSize(CORPUS);
    const ram = mib * MIB;
    const memmap = (ram / 4096) * size;
    const descriptors = Object.values(m.descriptor_bytes as Record<string, number>).reduce((a, b) => a + b, 0);
    const peaks = Object.values(m.peak_descriptor_bytes as Record<string, number>).reduce((a, b) => a + b, 0);
    expect(m).toMatchObject({ ram_bytes: ram, struct_page_bytes: size, memmap_bytes: memmap });
    expect(m.metadata_bytes).toBe(memmap + descriptors);
    expect(m.percent).toBeCloseTo((m.metadata_bytes / ram) * 100, 10);
    expect(m.peak_metadata_bytes).toBe(memmap + peaks);
    expect(m.peak_metadata_bytes).toBeGreaterThanOrEqual(m.metadata_bytes);
    expect(m.peak_percent).toBeCloseTo((m.peak_metadata_bytes / ram) * 100, 10);
    // Before stage 2, 64-byte struct pages and no separate descriptors: 64 / 4096 of RAM.
    if (size === 64 && descriptors === 0) expect(m.percent).toBe(1.5625);
  });

  it('text form: a small table, printed with the run\'s other reports', () => {
    const r = memdesc('simulate', '--workload', 'buddy', '--ops', '40');
    expect(r.status, r.stderr).toBe(0);
    const text = r.stdout.split('== memory metadata (struct page + descriptors) ==\n')[1];
    expect(text, r.stdout).toBeDefined();
    expect(text).toMatch(/^memmap\s+1048576\s+1\.5625 %$/m);
    expect(text).toMatch(/^metadata\s+\d+\s+\d\.\d{4} %$/m);
    expect(text).toMatch(/^struct page: \d+ bytes; 16384 page frames$/m);
  });

  it('descriptor bytes come from the tree\'s memdesc_stats(), per kind; the report stays out of the digest', () => {
    // A tree whose descriptor caches report objects (two ptdesc caches, one zpdesc).
    const rows = [
      { kind: 'ptdesc', tag: 8, object_size: 32, objects: 10, peak_objects: 12 },
      { kind: 'ptdesc', tag: 8, object_size: 32, objects: 1, peak_objects: 1 },
      { kind: 'zpdesc', tag: 12, object_size: 48, objects: 3, peak_objects: 7 },
    ];
    const dir = editedCopy('descriptors', 'sim/metadata.ts', [[/const rows = memdesc_stats\(\)/, `const rows = ([${rows.map((x) => JSON.stringify(x)).join(', ')}] as memdesc_stat[])`]]);
    const args = ['--workload', 'buddy', '--seed', '4', '--ops', '50'];
    const r = memdesc('simulate', dir, ...args, '--report', 'metadata', '--json');
    expect(r.status, r.stderr).toBe(0);
    const m = JSON.parse(r.stdout);
    expect(m.descriptor_bytes).toEqual({ ptdesc: 32 * 11, zpdesc: 48 * 3 });
    expect(m.peak_descriptor_bytes).toEqual({ ptdesc: 32 * 13, zpdesc: 48 * 7 });
    expect(m.metadata_bytes).toBe(m.memmap_bytes + 32 * 11 + 48 * 3);
    expect(m.peak_metadata_bytes).toBe(m.memmap_bytes + 32 * 13 + 48 * 7);
    expect(m.descriptors).toEqual(rows);
    const text = memdesc('simulate', dir, ...args);
    expect(text.stdout).toMatch(/^ {2}ptdesc\s+352\s/m);
    expect(text.stdout).toMatch(/^zpdesc\s+12\s+48\s+3\s+7$/m);
    // The metadata differs from the bundled corpus' by design; the digest does not.
    expect(digest(text.stdout)).toBe(digest(memdesc('simulate', ...args).stdout));
  });

  // The CLI prints the manifest and checks the name itself (no machine runs): its main() in this
  // process (test/inProcess.ts) says what a spawned memdesc says.
  it('--list-workloads prints the tree\'s manifest; --workload is checked against it', async () => {
    const r = await runMain(['simulate', '--list-workloads']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^buddy\s+20000\s+3000\s+page allocator/m);
    expect(r.stdout).toMatch(/^default workload: mixed$/m);
    expect(r.stdout).toMatch(/^layout-dependent report lines: metadata \(whole report\); meminfo: Memmap$/m);
    const j = await runMain(['simulate', '--list-workloads', '--json']);
    expect(JSON.parse(j.stdout).workloads.map((w: { name: string }) => w.name)).toContain('hwpoison');

    const dir = editedCopy('renamed', 'sim/workloads/buddy.ts', [["name: 'buddy',", "name: 'pages',"]]);
    const listed = await runMain(['simulate', dir, '--list-workloads', '--json']);
    expect(JSON.parse(listed.stdout).workloads[0]).toMatchObject({ name: 'pages', default_ops: 20000, verify_ops: 20000 });
    const bad = await runMain(['simulate', dir, '--workload', 'buddy']);
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/unknown workload "buddy" \(.* has pages, slab, /);
  });
});
