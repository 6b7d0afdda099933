/**
 * Start-up of the CLI: wall time of `memdesc --help` (and of other short runs) as a child process,
 * the way a user waits for it. Targets: 0.25 s, and issue 15's `memdesc --help` ≤ 0.07× tsc. Rows:
 *   - node -e '': node's own start-up, the floor under every row;
 *   - dist/cli.mjs: what the installed package runs (bin/memdesc.mjs imports it): the command
 *     definitions only, each command's code in chunks loaded when it runs (scripts/build.mjs);
 *   - bin/memdesc.mjs in the checkout: the same plus its check that dist/ matches src/;
 *   - a command's help, a bad flag (exit 2), `status` and `analyze` on a small project (test/fixtures/projects/
 *     lending): the paths that load a command's chunks, so a faster --help is not paid for there;
 *     analyze's excess over --help is printed as the fixed cost of a process that reads code;
 *   - tsx + src/cli.ts: how the CLI started before it was built (a TypeScript loader at run time).
 * Rows are interleaved run by run (each sees the same load); medians of RUNS. CPU is user+sys of
 * separate runs under /usr/bin/time (steadier than wall on a shared machine).
 *
 * `npm run bench -- startup` runs only this section.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { record, vsTsc } from './anchor.ts';
import { timed } from './analyze.bench.ts';

const ROOT = join(import.meta.dirname, '..');
const RUNS = 11;
const TARGET_MS = 250;
/** Issue 15: `memdesc --help` ÷ one tsc --noEmit of the corpus. */
const TARGET_VS_TSC = 0.07;
const BIN = join(ROOT, 'bin', 'memdesc.mjs');
const LENDING = join(ROOT, 'test', 'fixtures', 'projects', 'lending');

/** `figure`: the row of `memdesc --help`; `fixed`: a run that reads code, whose excess over --help is the fixed cost of such a process. */
interface Row { name: string; args: string[]; status: number; targeted: boolean; figure?: boolean; fixed?: boolean }

function wallMs(row: Row): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, row.args, { cwd: ROOT, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== row.status) throw new Error(`node ${row.args.join(' ')}: exit ${r.status}, expected ${row.status}\n${r.stderr}`);
  return ms;
}

const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export function startupBenches(): string {
  const rows: Row[] = [
    { name: "`node -e ''` (node's own start-up)", args: ['-e', ''], status: 0, targeted: false },
    { name: '`node dist/cli.mjs --help` (installed package)', args: [join(ROOT, 'dist', 'cli.mjs'), '--help'], status: 0, targeted: true },
    { name: '`node bin/memdesc.mjs --help` (checkout: + stale-build check)', args: [BIN, '--help'], status: 0, targeted: true, figure: true },
    { name: '`node bin/memdesc.mjs analyze --help`', args: [BIN, 'analyze', '--help'], status: 0, targeted: true },
    { name: '`node bin/memdesc.mjs analyze --bogus` (bad flag, exit 2)', args: [BIN, 'analyze', '--bogus'], status: 2, targeted: true },
    { name: '`node bin/memdesc.mjs status` on a 9-file project', args: [BIN, 'status', LENDING, '--spec', join(LENDING, 'spec.json')], status: 0, targeted: false },
    { name: '`node bin/memdesc.mjs analyze --json` on a 9-file project', args: [BIN, 'analyze', LENDING, '--spec', join(LENDING, 'spec.json'), '--json'], status: 0, targeted: false, fixed: true },
    { name: '`tsx src/cli.ts --help` (before: TypeScript loader at run time)', args: [join(ROOT, 'bin', 'run-ts.mjs'), join(ROOT, 'src', 'cli.ts'), '--help'], status: 0, targeted: false },
  ];
  for (const row of rows) wallMs(row); // warm the file cache (and build dist/ if it is stale)
  const walls = rows.map(() => [] as number[]);
  const cpus = rows.map(() => [] as number[]);
  for (let i = 0; i < RUNS; i++) {
    rows.forEach((row, j) => {
      walls[j]!.push(wallMs(row));
      cpus[j]!.push(timed(process.execPath, row.args).cpuMs);
    });
  }
  const lines = ['## startup', '', `| command | wall ms (median of ${RUNS}) | max | CPU ms (median) | target |`, '|---|---:|---:|---:|---|'];
  let missed = false;
  rows.forEach((row, j) => {
    const median = med(walls[j]!);
    const max = Math.max(...walls[j]!);
    const miss = row.targeted && median > TARGET_MS;
    missed ||= miss;
    lines.push(`| ${row.name} | ${median.toFixed(0)} | ${max.toFixed(0)} | ${med(cpus[j]!).toFixed(0)} | ${row.targeted ? `≤ ${TARGET_MS}${miss ? ' MISSED' : ''}` : ''} |`);
    if (row.figure) {
      const v = vsTsc(median);
      record({ section: 'startup', figure: '`memdesc --help` (node bin/memdesc.mjs --help, median) ÷ tsc', measured: v.text, target: `≤ ${TARGET_VS_TSC}×`, ok: v.ratio <= TARGET_VS_TSC });
    }
  });
  // Issue 15: what every process that builds a program pays before its own work (TypeScript
  // loaded, the lib files parsed and bound, the command's chunks), on a project small enough that
  // little else is left: the analyze row minus the --help row.
  const help = rows.findIndex((r) => r.figure);
  const fixed = rows.findIndex((r) => r.fixed);
  if (help >= 0 && fixed >= 0) {
    lines.push('', `Fixed cost of a process that reads code (analyze on the 9-file project − \`--help\`, medians): ${(med(walls[fixed]!) - med(walls[help]!)).toFixed(0)} ms wall, ${(med(cpus[fixed]!) - med(cpus[help]!)).toFixed(0)} ms CPU.`);
  }
  if (missed) process.exitCode = 1;
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) process.stdout.write(`${startupBenches()}\n`);
