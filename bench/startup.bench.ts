/**
 * Start-up of the CLI: wall time of `memdesc --help` (and a sub-command's help) as a child
 * process, the way a user waits for it. Target: 0.25 s. Rows:
 *   - dist/cli.mjs: what the installed package runs (bin/memdesc.mjs imports it);
 *   - bin/memdesc.mjs in the checkout: the same plus its check that dist/ matches src/;
 *   - tsx + src/cli.ts: how the CLI started before it was built (a TypeScript loader at run time).
 * Wall time on a shared 2-core machine includes waiting for a core: medians of several runs.
 *
 * `npm run bench -- startup` runs only this section.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { record, vsTsc } from './anchor.ts';

const ROOT = join(import.meta.dirname, '..');
const RUNS = 11;
const TARGET_MS = 250;
/** Issue 15: `memdesc --help` ÷ one tsc --noEmit of the corpus. */
const TARGET_VS_TSC = 0.07;

function wallMs(args: string[]): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
  return ms;
}

function stats(args: string[]): { median: number; max: number } {
  wallMs(args); // warm the file cache (and build dist/ if it is stale)
  const ms = Array.from({ length: RUNS }, () => wallMs(args)).sort((a, b) => a - b);
  return { median: ms[Math.floor(ms.length / 2)]!, max: ms[ms.length - 1]! };
}

export function startupBenches(): string {
  const rows: Array<[string, string[], boolean]> = [
    ['`node dist/cli.mjs --help` (installed package)', [join(ROOT, 'dist', 'cli.mjs'), '--help'], true],
    ['`node dist/cli.mjs analyze --help`', [join(ROOT, 'dist', 'cli.mjs'), 'analyze', '--help'], true],
    ['`node bin/memdesc.mjs --help` (checkout: + stale-build check)', [join(ROOT, 'bin', 'memdesc.mjs'), '--help'], true],
    ['`tsx src/cli.ts --help` (before: TypeScript loader at run time)', [join(ROOT, 'bin', 'run-ts.mjs'), join(ROOT, 'src', 'cli.ts'), '--help'], false],
  ];
  const lines = ['## startup', '', `| command | wall ms (median of ${RUNS}) | max | target |`, '|---|---:|---:|---|'];
  let missed = false;
  for (const [name, args, targeted] of rows) {
    const s = stats(args);
    const miss = targeted && s.median > TARGET_MS;
    missed ||= miss;
    lines.push(`| ${name} | ${s.median.toFixed(0)} | ${s.max.toFixed(0)} | ${targeted ? `≤ ${TARGET_MS}${miss ? ' MISSED' : ''}` : ''} |`);
    if (args[0] === join(ROOT, 'bin', 'memdesc.mjs') && args[1] === '--help') {
      const v = vsTsc(s.median);
      record({ section: 'startup', figure: '`memdesc --help` (node bin/memdesc.mjs --help, median) ÷ tsc', measured: v.text, target: `≤ ${TARGET_VS_TSC}×`, ok: v.ratio <= TARGET_VS_TSC });
    }
  }
  if (missed) process.exitCode = 1;
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) process.stdout.write(`${startupBenches()}\n`);
