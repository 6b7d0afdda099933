/**
 * verify --run / --entry: the user's own oracle on a made-up inventory project (no corpus). Both
 * trees run once; exit codes and output are compared, and a behaviour change is reported with
 * its first differing line. Bad input is one line on stderr and exit 2. The commands run through
 * the CLI's main() in this process; the oracles are the child processes they are.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.ts';
import { compareRuns, parseCompare, type OracleRun } from '../../src/verify/oracle.ts';
import { useEnv } from '../env.ts';
import { runMain } from '../inProcess.ts';
import { git } from '../rewrite/helpers.ts';

/** `memdesc ...args` through the CLI's main() in this process (test/inProcess.ts: a spawned one's output and exit code), from `cwd`. */
const cli = runMain;

const INVENTORY = join(PACKAGE_ROOT, 'test', 'fixtures', 'oracle', 'inventory');

describe('verify with the user oracle', () => {
  let root: string;
  let base: string;
  let same: string;
  let changed: string;
  useEnv({ GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.org', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.org' });

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'memdesc-oracle-test-'));
    base = join(root, 'base');
    same = join(root, 'same');
    changed = join(root, 'changed');
    for (const d of [base, same, changed]) cpSync(INVENTORY, d, { recursive: true });
    // A refactor that keeps behaviour, and one that changes the stock value and a price.
    const stock = join(same, 'src', 'stock.ts');
    writeFileSync(stock, readFileSync(stock, 'utf8').replace('return items.reduce((sum, i) => sum + i.price * i.qty, 0);', 'let sum = 0;\n  for (const i of items) sum += i.qty * i.price;\n  return sum;'));
    const stock2 = join(changed, 'src', 'stock.ts');
    writeFileSync(stock2, readFileSync(stock2, 'utf8').replace('if (!it || it.qty < n) return false;', 'if (!it || it.qty < n - 1) return false;'));
    writeFileSync(join(changed, 'prices.json'), '{ "apple": 40, "pear": 56, "plum": 25 }\n');
    // Specs that declare an oracle (the entry, its arguments, what to compare) and one that does not.
    writeFileSync(join(root, 'oracle.spec.json'), JSON.stringify({ extends: 'builtin', oracle: { entry: 'main.ts', args: ['3'], compare: '^day 1:' } }));
    writeFileSync(join(root, 'no-oracle.spec.json'), JSON.stringify({ extends: 'builtin' }));
    git(base, 'init', '-q');
    git(base, 'add', '.');
    git(base, 'commit', '-q', '-m', 'base');
  });
  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it('--run: a behaviour-preserving tree is identical (exit 0) and says each side ran once', async () => {
    const r = await cli(['verify', same, '--against', base, '--run', 'node tally.mjs']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('run once in each tree');
    expect(r.stdout).toContain('identical: 4 lines compared');
  });

  it('--run: a changed tree exits 1 naming the first differing line', async () => {
    const r = await cli(['verify', changed, '--against', base, '--run', 'node tally.mjs']);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('first differing line: 2');
    expect(r.stdout).toContain('reference line 2: pear 55');
    expect(r.stdout).toContain('candidate line 2: pear 56');
  });

  it('--run: a git revision is a reference tree (the working tree against HEAD)', async () => {
    const file = join(base, 'prices.json');
    const before = readFileSync(file, 'utf8');
    writeFileSync(file, '{ "apple": 40, "pear": 55, "plum": 0 }\n');
    try {
      const r = await cli(['verify', base, '--against', 'HEAD', '--run', 'node tally.mjs', '--json']);
      expect(r.status).toBe(1);
      const rep = JSON.parse(r.stdout);
      expect(rep.ok).toBe(false);
      expect(rep.difference.what).toBe('exit code');
      expect(rep.reference.exitCode).toBe(0);
      expect(rep.candidate.exitCode).toBe(1);
      expect(rep.difference.line).toEqual({ referenceLine: 3, reference: 'plum 25', candidateLine: 3, candidate: 'plum 0' });
    } finally {
      writeFileSync(file, before);
    }
  });

  it('--entry: bundles and runs the entry with its arguments in both trees', async () => {
    const ok = await cli(['verify', same, '--against', base, '--entry', 'main.ts', '--', '3']);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain('identical: 10 lines compared');
    const bad = await cli(['verify', changed, '--against', base, '--entry', 'main.ts', '--', '3']);
    expect(bad.status).toBe(1);
    // Day 1 still sells 3 apples; "sell 5 pear" of 4 now succeeds.
    expect(bad.stdout).toContain('reference line 2: day 1: sell 5 pear: false');
    expect(bad.stdout).toContain('candidate line 2: day 1: sell 5 pear: true');
  });

  it('--compare REGEX compares only the matching lines; --compare json compares parsed stdout', async () => {
    // Only the apple and plum prices: the pear price and the total differ, the exit code does not.
    const some = await cli(['verify', changed, '--against', base, '--run', 'node tally.mjs', '--compare', '^(apple|plum) ']);
    expect(some.status).toBe(0);
    expect(some.stdout).toContain('identical: 2 lines compared');
    const total = await cli(['verify', changed, '--against', base, '--run', 'node tally.mjs', '--compare', '^total']);
    expect(total.status).toBe(1);
    expect(total.stdout).toContain('reference line 4: total 120');
    const json = await cli(['verify', changed, '--against', base, '--entry', 'main.ts', '--compare', 'json', '--json', '--', '--json']);
    expect(json.status).toBe(1);
    const rep = JSON.parse(json.stdout);
    // The oversold pear leaves a negative quantity: exit 3, and the JSON's first difference.
    expect(rep.difference.what).toBe('exit code');
    expect(rep.difference.line.reference).toContain('"qty": 4');
    expect(rep.difference.line.candidate).toContain('"qty": -1');
    const sameJson = await cli(['verify', same, '--against', base, '--entry', 'main.ts', '--compare', 'json', '--', '--json']);
    expect(sameJson.status).toBe(0);
  });

  it('compareRuns: JSON is compared by value (key order and spacing do not matter), lines by number', async () => {
    const run = (output: string, exitCode = 0): OracleRun => ({ exitCode, timedOut: false, output, ms: 0 });
    expect(compareRuns(run('{"a":1,"b":[2,3]}'), run('{ "b": [2, 3], "a": 1 }'), parseCompare('json')).difference).toBeUndefined();
    const d = compareRuns(run('{"a":1,"b":[2,4]}'), run('{"a":1,"b":[2,3]}'), parseCompare('json')).difference!;
    expect(d.what).toBe('output');
    expect(d.line).toMatchObject({ reference: '    3', candidate: '    4' });
    const e = compareRuns(run('x\ny\n'), run('x\n'), parseCompare(undefined)).difference!;
    expect(e.line).toEqual({ candidateLine: 2, candidate: 'y' });
    expect(compareRuns(run('a\n', 2), run('a\n'), parseCompare(undefined)).difference!.what).toBe('exit code');
  });

  it('--timeout: a side that runs too long is killed and never counts as identical', async () => {
    const r = await cli(['verify', same, '--against', base, '--run', 'node -e "setTimeout(() => {}, 120000)"', '--timeout', '1', '--json']);
    expect(r.status).toBe(1);
    const rep = JSON.parse(r.stdout);
    expect(rep.difference.what).toBe('timeout');
    expect(rep.reference.timedOut).toBe(true);
    expect(rep.difference.detail).toBe('reference timed out after 1 s, candidate timed out after 1 s');
  });

  it('a git revision as the candidate: bare revisions are looked up from the working directory', async () => {
    const r = await cli(['verify', 'HEAD', '--against', 'HEAD', '--run', 'node tally.mjs'], base);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it("no --run/--entry: the oracle the project's spec declares, given with --spec or found in the tree, with its arguments and comparison", async () => {
    const spec = join(root, 'oracle.spec.json');
    const ok = await cli(['verify', same, '--against', base, '--spec', spec]);
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain('oracle: node main.ts 3, run once in each tree');
    expect(ok.stdout).toContain('compared: exit code and output lines matching /^day 1:/');
    expect(ok.stdout).toContain('identical: 3 lines compared');
    const own = join(changed, 'memdesc.spec.json');
    writeFileSync(own, readFileSync(spec));
    try {
      // Three days oversell the pear in the changed tree (exit 3); --compare replaces the spec's lines.
      const bad = await cli(['verify', changed, '--against', base, '--compare', '^day 2:', '--json']);
      expect(bad.status).toBe(1);
      const rep = JSON.parse(bad.stdout);
      expect(rep.oracle).toEqual({ kind: 'entry', entry: 'main.ts', args: ['3'] });
      expect(rep.compare).toContain('/^day 2:/');
      expect(rep.difference.what).toBe('exit code');
    } finally {
      rmSync(own);
    }
  });

  it('bad input: one line on stderr, exit 2', async () => {
    const cases: string[][] = [
      ['verify', same, '--against', base, '--entry', 'nope.ts'],
      ['verify', same, '--against', base, '--run', 'node tally.mjs', '--entry', 'main.ts'],
      ['verify', same, '--against', base, '--run', 'memdesc-no-such-command-xyz'],
      ['verify', same, '--against', base, '--run', 'node tally.mjs', '--compare', '(['],
      ['verify', same, '--against', base, '--run', 'node tally.mjs', '--seeds', '2'],
      ['verify', same, '--against', base, '--compare', 'json'],
      ['verify', same, '--run', 'node tally.mjs'],
      ['verify', same, '--against', join(root, 'missing'), '--run', 'node tally.mjs'],
      // A spec without an oracle, on a tree without the corpus simulation; a missing spec; the
      // simulation's options with a spec's oracle.
      ['verify', same, '--against', base, '--spec', join(root, 'no-oracle.spec.json')],
      ['verify', same, '--against', base, '--spec', join(root, 'missing.spec.json')],
      ['verify', same, '--against', base, '--spec', join(root, 'oracle.spec.json'), '--seeds', '2'],
      ['verify', same, '--against', base, '--spec', join(root, 'oracle.spec.json'), '--', 'x'],
    ];
    for (const c of cases) {
      const r = await cli(c);
      expect(r.status, c.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n'), c.join(' ')).toHaveLength(1);
      expect(r.stdout, c.join(' ')).toBe('');
    }
  });
});
