/**
 * `memdesc verify` end to end on real corpus copies: identical trees, a hand-broken tree, a tree
 * that fires a debug check, a tree that hangs, a git revision, and bad input. Runs are kept
 * small (two workloads, two seeds, a few hundred operations) to stay fast. The command runs
 * in-process (the CLI's main(), test/inProcess.ts: the same output and exit code; the simulations
 * are the child processes they always are); the first check and one bad input also spawn
 * bin/memdesc.mjs, for the real process.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withEnv } from '../env.ts';
import { runMain } from '../inProcess.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'memdesc.mjs');
const CORPUS = join(ROOT, 'corpus');

let tmp: string;
let env: NodeJS.ProcessEnv;

interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** `memdesc verify ...` in this process (its own cache folder, as the spawned one gets). */
async function memdesc(...args: string[]): Promise<Result> {
  return withEnv({ MEMDESC_CACHE_DIR: env.MEMDESC_CACHE_DIR }, () => runMain(args));
}

/** A spawned bin/memdesc.mjs. */
function spawned(...args: string[]): Promise<Result> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** A copy of the corpus with one textual change in one file (the change must apply). */
function brokenCopy(name: string, file: string, from: string | RegExp, to: string): string {
  const dir = join(tmp, name);
  cpSync(CORPUS, dir, { recursive: true });
  const path = join(dir, file);
  const before = readFileSync(path, 'utf8');
  const after = before.replace(from, to);
  expect(after, `${file} no longer contains ${String(from)}`).not.toBe(before);
  writeFileSync(path, after);
  return dir;
}

const SMALL = ['--workloads', 'buddy,slab', '--seeds', '2', '--ops', '400'];

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'memdesc-verify-test-'));
  env = { ...process.env, MEMDESC_CACHE_DIR: join(tmp, 'cache') };
});

afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

describe('memdesc verify', () => {
  it('passes on identical trees (exit 0) and says what it compared', async () => {
    const copy = join(tmp, 'same');
    cpSync(CORPUS, copy, { recursive: true });
    // The real process once; the JSON form in-process.
    const text = await spawned('verify', copy, '--against', CORPUS, ...SMALL);
    const json = await memdesc('verify', copy, '--against', CORPUS, ...SMALL, '--json');
    expect(text.stderr).toBe('');
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/identical: all 4 digests match/);
    expect(text.stdout).toMatch(/ops per run: buddy 400, slab 400/);
    expect(json.status).toBe(0);
    const r = JSON.parse(json.stdout);
    expect(r).toMatchObject({ ok: true, pairs: 4, opsCompared: 1600, workloads: ['buddy', 'slab'], seeds: [1, 2], mismatches: [] });
    expect(r.eventsCompared).toBeGreaterThan(1600);
  });

  it('fails on a hand-broken tree and names the first diverging event', async () => {
    // The buddy workload frees blocks with the wrong order in its trace line.
    const dir = brokenCopy('broken', 'sim/workloads/buddy.ts', '`op=${op} free order=${b.order} pfn=', '`op=${op} free order=${b.order + 1} pfn=');
    const r = await memdesc('verify', dir, '--against', CORPUS, ...SMALL, '--context', '3');
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toMatch(/^memdesc: verification failed: 2 of 4 pairs differ$/);
    expect(r.stdout).toMatch(/DIFFERENT: 2 of 4 pairs differ \(buddy seeds 1\.\.2\)/);
    expect(r.stdout).toMatch(/first mismatch: workload buddy seed 1: digests differ/);
    const cand = /candidate (\d+): (buddy: op=\d+ free order=(\d+) pfn=0x[0-9a-f]+)/.exec(r.stdout);
    const ref = /reference (\d+): (buddy: op=\d+ free order=(\d+) pfn=0x[0-9a-f]+)/.exec(r.stdout);
    expect(cand, r.stdout).not.toBeNull();
    expect(ref).not.toBeNull();
    expect(cand![1]).toBe(ref![1]);
    expect(Number(cand![3])).toBe(Number(ref![3]) + 1);
    // Three identical events before it, numbered.
    const n = Number(cand![1]);
    for (const k of [n - 3, n - 2, n - 1]) expect(r.stdout).toMatch(new RegExp(`^    ${k}: `, 'm'));
  });

  it('shows the dump_page text when a debug check fires in one tree', async () => {
    // Break a free-time check's precondition: anonymous pages keep their mapping when freed.
    const dir = brokenCopy('bug', 'mm/page_alloc.ts', "if (page_own_word(page, 'mapping') & PAGE_MAPPING_FLAGS) page_reset_own_word(page, 'mapping');", '');
    const r = await memdesc('verify', dir, '--against', CORPUS, '--workloads', 'mm', '--seeds', '1', '--ops', '400');
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/debug check fired \(candidate, mm seed 1\): BUG: Bad page state/);
    expect(r.stdout).toMatch(/page: refcount:\d+ mapcount:-?\d+ mapping:/);
    expect(r.stdout).toMatch(/raw: /);
    expect(r.stdout).toMatch(/page dumped because: non-NULL mapping/);
    expect(r.stdout).toMatch(/candidate \d+: bug: BUG: Bad page state/);
  });

  it('catches a change that only shows in the struct page array', async () => {
    // zsmalloc leaves page->index set on the pages it gives back: no event, no report changes.
    const dir = brokenCopy('memmap', 'mm/zsmalloc.ts', 'set_page_private(page, 0);\n  page.index = 0;', 'set_page_private(page, 0);\n  page.index = 1;');
    const r = await memdesc('verify', dir, '--against', CORPUS, '--workloads', 'hwpoison', '--seeds', '1', '--ops', '600');
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/first mismatch: workload hwpoison seed 1: struct page array \(memmap\) differs at the end of the run; events and reports identical/);
    const off = await memdesc('verify', dir, '--against', CORPUS, '--workloads', 'hwpoison', '--seeds', '1', '--ops', '600', '--no-memmap');
    expect(off.status).toBe(0);
  });

  it('kills a run that hangs and reports the timeout', async () => {
    // Blocked for good, asleep rather than spinning: the same hang to the verifier, which kills it at --timeout.
    const dir = brokenCopy('hang', 'sim/workloads/buddy.ts', /run\(ctx\) \{/, 'run(ctx) { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);');
    // bench/limits.bench.ts times the same run (limit 30 s); here only what is reported.
    const r = await memdesc('verify', dir, '--against', CORPUS, '--workloads', 'buddy', '--seeds', '1', '--ops', '300', '--timeout', '3');
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/first mismatch: workload buddy seed 1: candidate timed out/);
    expect(r.stdout).toMatch(/candidate timed out:\n\s+killed after 3\.0 s without finishing/);
  });

  it('verifies against a git revision', async () => {
    const repo = join(tmp, 'repo');
    cpSync(CORPUS, join(repo, 'corpus'), { recursive: true });
    const git = (...a: string[]) => spawnSync('git', a, { cwd: repo, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } });
    git('init', '-q');
    git('add', '-A');
    expect(git('commit', '-q', '-m', 'corpus').status).toBe(0);
    const r = await memdesc('verify', join(repo, 'corpus'), '--against', 'HEAD', '--workloads', 'slab', '--seeds', '1', '--ops', '300');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/against HEAD:corpus \([0-9a-f]{12}\)/);
  });

  it.each([
    [['/no/such/dir', '--against', CORPUS], /\/no\/such\/dir: no such directory or git revision/],
    [[CORPUS, '--against', 'no-such-rev-xyz'], /no-such-rev-xyz: no such directory or git revision/],
    [[CORPUS, '--against', CORPUS, '--workloads', 'nope'], /unknown workload 'nope'/],
    [[CORPUS, '--against', CORPUS, '--seeds', '5..2'], /--seeds 5\.\.2: empty range/],
    [[CORPUS, '--against', CORPUS, '--ram', '3x'], /--ram: invalid size '3x'/],
    [[CORPUS], /verify needs --against/],
    [[CORPUS, '--against', CORPUS, '--bogus'], /unknown option '--bogus'/],
  ])('rejects bad input %j with exit 2 and one line', async (args, message) => {
    const r = await memdesc('verify', ...args);
    // One case also as the real process: the same exit code and line.
    if (args[0] === '/no/such/dir') expect(await spawned('verify', ...args)).toEqual(r);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });
});
