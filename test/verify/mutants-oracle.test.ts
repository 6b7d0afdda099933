/**
 * `verify --mutants --spec` on projects that are not the corpus: the wrong conversions are judged
 * by the project's own oracle (the spec's "oracle", or --entry/--run). On the warehouse and the
 * lending fixtures the oracle must kill at least 90% of them; bad input is exit 2 with one line.
 * The commands run in-process (the CLI's main(), test/inProcess.ts); the oracle runs are the
 * child processes they are.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.ts';
import { copyTree } from '../rewrite/helpers.ts';
import { runMain as cli } from '../inProcess.ts';
import Ajv2020Package from 'ajv/dist/2020.js';

const WAREHOUSE = join(PACKAGE_ROOT, 'test', 'fixtures', 'oracle', 'warehouse');
const LENDING = join(PACKAGE_ROOT, 'test', 'fixtures', 'projects', 'lending');

const made: string[] = [];
function copy(src: string): string {
  const dir = copyTree(src);
  made.push(dirname(dir));
  return dir;
}
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

interface Report {
  run: number;
  score: number;
  coveredScore: number;
  neverExecuted: number;
  candidates: number;
  killed: Array<{ id: string; operator: string; killedBy: { reason: string; line?: unknown; workload?: string } }>;
  survived: Array<{ id: string; explanation: string; reachedPairs: number | null }>;
  byOperator: Record<string, { run: number; killed: number }>;
  oracle?: { description: string };
  jobs: number;
  plan?: unknown;
  converted?: { ok: boolean; identical?: boolean; error?: string };
}

/** Validation errors against docs/schemas/verify.schema.json (the published contract). */
function schemaErrors(data: unknown): unknown[] {
  const ajv = new Ajv2020Package.default({ allErrors: true, strictTypes: true, allowUnionTypes: true, validateFormats: false });
  const validate = ajv.compile(JSON.parse(readFileSync(join(PACKAGE_ROOT, 'docs', 'schemas', 'verify.schema.json'), 'utf8')) as object);
  return validate(data) ? [] : validate.errors ?? [];
}

async function mutants(dir: string, ...extra: string[]): Promise<{ status: number; report: Report; stderr: string }> {
  const r = await cli(['verify', '--mutants', dir, '--spec', join(dir, 'spec.json'), '--json', ...extra]);
  let report: Report;
  try {
    report = JSON.parse(r.stdout) as Report;
  } catch {
    throw new Error(`no JSON report (exit ${r.status}): ${r.stderr}`);
  }
  return { status: r.status, report, stderr: r.stderr };
}

function oneLineError(r: { status: number; stdout: string; stderr: string }): string {
  expect(r.status).toBe(2);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  return lines[0]!;
}

describe('verify --mutants with the spec oracle', () => {
  it('warehouse: every mutant judged by the oracle, at least 90% killed, survivors explained, the tree untouched', async () => {
    const dir = copy(WAREHOUSE);
    const before = readFileSync(join(dir, 'src', 'stock.ts'), 'utf8');
    const { status, report } = await mutants(dir);
    expect(report.oracle?.description).toContain('src/main.ts');
    expect(report.plan).toBeUndefined();
    expect(report.run).toBeGreaterThanOrEqual(20);
    console.log(`warehouse mutants: killed ${report.killed.length} of ${report.run} (${(report.score * 100).toFixed(1)}%)`);
    expect(report.score).toBeGreaterThanOrEqual(0.9);
    expect(status).toBe(report.survived.length ? 1 : 0);
    // The converter's output verifies under the oracle, so its descriptor layer is mutated too.
    expect(report.converted).toMatchObject({ ok: true, identical: true });
    expect(report.byOperator['desc-wrong-word']!.run).toBeGreaterThan(0);
    for (const k of report.killed) expect(k.killedBy.reason).toMatch(/^(exit code|output|timeout|json|state): /);
    for (const k of report.killed) expect(k.killedBy.workload).toBeUndefined();
    for (const s of report.survived) expect(s.explanation).toMatch(/never executed|executed in the oracle's run|whether its code ran is unknown/);
    expect(readFileSync(join(dir, 'src', 'stock.ts'), 'utf8')).toBe(before);
    expect(schemaErrors(report)).toEqual([]);
  }, 120_000);

  it.skipIf(!existsSync(join(LENDING, 'spec.json')))('lending: at least 90% killed (and of the mutants whose code the oracle runs); the rest are explained', async () => {
    const dir = copy(LENDING);
    // 32 of the default 64, in the seeded selection order (every operator takes its turns): the
    // score is a sample's either way; the full 64 are `memdesc verify --mutants` without --count.
    const { report } = await mutants(dir, '--count', '32');
    console.log(`lending mutants: killed ${report.killed.length} of ${report.run} (${(report.score * 100).toFixed(1)}%; ${(report.coveredScore * 100).toFixed(1)}% of the ${report.run - report.neverExecuted} whose code ran)`);
    expect(report.run).toBe(32);
    expect(Object.values(report.byOperator).filter((o) => o.run > 0).length).toBeGreaterThanOrEqual(5);
    expect(report.score).toBeGreaterThanOrEqual(0.9);
    expect(report.coveredScore).toBeGreaterThanOrEqual(0.9);
    expect(report.survived.filter((s) => s.reachedPairs === 0)).toHaveLength(report.neverExecuted);
    for (const s of report.survived) expect(s.explanation.length).toBeGreaterThan(20);
  }, 180_000);

  it("the objects of the spec's classes at exit: a wrong store no output shows is killed by them, and survives --no-memmap", async () => {
    // An oracle that prints nothing of the shelves: only their state at exit can tell the mutants apart.
    const dir = copy(WAREHOUSE);
    writeFileSync(join(dir, 'src', 'main.ts'), `declare const console: { log(s: string): void };
import { allocStockShelf } from './stock.ts';
import { allocHoldShelf } from './hold.ts';
allocStockShelf(7, 20);
allocHoldShelf(1001, 5);
console.log('done');
`);
    const on = (await mutants(dir, '--operators', 'wrong-field', '--count', '100')).report;
    const ran = (r: Report): Array<{ id: string }> => [...r.killed, ...r.survived].filter((m) => !r.survived.some((s) => s.id === m.id && s.reachedPairs === 0));
    expect(ran(on).length).toBeGreaterThanOrEqual(4);
    // Every mutant whose code ran is killed, by state alone (the output is one constant line).
    expect(on.survived.filter((s) => s.reachedPairs !== 0)).toEqual([]);
    for (const k of on.killed) expect(k.killedBy.reason).toMatch(/^state: the same output, but the Shelf\/Stock\/Hold objects left at exit differ/);
    const off = (await mutants(dir, '--operators', 'wrong-field', '--count', '100', '--no-memmap')).report;
    expect(off.run).toBe(on.run);
    expect(off.killed).toHaveLength(0);
    for (const s of off.survived.filter((x) => x.reachedPairs !== 0)) expect(s.explanation).toMatch(/executed in the oracle's run and its output did not change/);
  }, 120_000);

  it('--run: a command judges the mutants (one at a time by default)', async () => {
    const dir = copy(WAREHOUSE);
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
    const { report } = await mutants(dir, '--run', `node ${join(PACKAGE_ROOT, 'bin', 'run-ts.mjs')} src/main.ts`, '--operators', 'wrong-field', '--count', '3');
    expect(report.oracle?.description).toContain('run-ts.mjs src/main.ts');
    expect(report.run).toBe(3);
    expect(report.killed).toHaveLength(3);
    expect(report.jobs).toBe(1);
  }, 120_000);

  it("wrong-object builds the neighbouring object with the class's own constructor; the earlier name is accepted", async () => {
    const dir = copy(WAREHOUSE);
    const { report } = await mutants(dir, '--operators', 'wrong-page', '--count', '3');
    expect(Object.keys(report.byOperator)).toEqual(['wrong-object']);
    expect(report.run).toBe(3);
    for (const k of report.killed) expect(k.killedBy.reason).not.toBe('');
    const all = [...report.killed, ...report.survived] as unknown as Array<{ description: string }>;
    for (const m of all) expect(m.description).toMatch(/on the neighbouring Shelf: (\w+) -> new Shelf\(\(\1\)\.base \+ 12\)/);
  }, 120_000);

  it('--entry judges the mutants of a spec without an oracle; the text report says what ran', async () => {
    const dir = copy(WAREHOUSE);
    const spec = JSON.parse(readFileSync(join(dir, 'spec.json'), 'utf8'));
    delete spec.oracle;
    writeFileSync(join(dir, 'spec.json'), JSON.stringify(spec));
    const r = await cli(['verify', '--mutants', dir, '--spec', join(dir, 'spec.json'), '--entry', 'src/main.ts', '--operators', 'wrong-field', '--count', '4']);
    expect(r.stdout).toContain('oracle: node src/main.ts (bundled with esbuild), run once per mutant');
    expect(r.stdout).toMatch(/killed \d of 4 \(/);
    expect(r.stdout).not.toMatch(/struct page|workload/);
    expect([0, 1]).toContain(r.status);
  }, 120_000);
});

describe('verify --mutants: bad input is exit 2, one line', () => {
  it('a --spec that does not exist', async () => {
    const line = oneLineError(await cli(['verify', '--mutants', WAREHOUSE, '--spec', join(tmpdir(), 'memdesc-no-such-spec.json')]));
    expect(line).toMatch(/memdesc-no-such-spec\.json/);
  });

  it('a --spec that is not JSON', async () => {
    const d = mkdtempSync(join(tmpdir(), 'memdesc-mut-'));
    made.push(d);
    writeFileSync(join(d, 'spec.json'), '{ "name": ');
    oneLineError(await cli(['verify', '--mutants', WAREHOUSE, '--spec', join(d, 'spec.json')]));
  });

  it('a project that is not the corpus and has no oracle', async () => {
    const dir = copy(WAREHOUSE);
    const spec = JSON.parse(readFileSync(join(dir, 'spec.json'), 'utf8'));
    delete spec.oracle;
    writeFileSync(join(dir, 'spec.json'), JSON.stringify(spec));
    expect(oneLineError(await cli(['verify', '--mutants', dir, '--spec', join(dir, 'spec.json')]))).toMatch(/no oracle/);
  });

  it('simulation flags with an oracle, and both --run and --entry', async () => {
    expect(oneLineError(await cli(['verify', '--mutants', WAREHOUSE, '--spec', join(WAREHOUSE, 'spec.json'), '--seeds', '3']))).toMatch(/--seeds is for the corpus simulation/);
    expect(oneLineError(await cli(['verify', '--mutants', WAREHOUSE, '--run', 'true', '--entry', 'src/main.ts']))).toMatch(/exclude each other/);
  });

  it('an oracle that fails on the original', async () => {
    const line = oneLineError(await cli(['verify', '--mutants', WAREHOUSE, '--spec', join(WAREHOUSE, 'spec.json'), '--run', 'node -e "process.exit(3)"']));
    expect(line).toMatch(/fails on the original \(exit 3\); fix it before the self-check/);
  });

  it('an oracle that does not repeat itself on the original', async () => {
    const dir = copy(WAREHOUSE);
    const main = join(dir, 'src', 'main.ts');
    writeFileSync(main, `${readFileSync(main, 'utf8')}console.log(String(Math.random()));\n`);
    expect(oneLineError(await cli(['verify', '--mutants', dir, '--spec', join(dir, 'spec.json'), '--count', '2']))).toMatch(/does not repeat itself/);
  }, 60_000);
});
