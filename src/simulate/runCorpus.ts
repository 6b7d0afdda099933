/**
 * Run a corpus tree's simulation as a child process (the tool never imports the corpus).
 * The tree is bundled with esbuild first (src/verify/build.ts, cached by content in the user's
 * cache), so it runs wherever it is: no TypeScript loader, no package.json or node_modules
 * needed beside it.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InputError } from '../errors.ts';
import { buildTree, buildTreeSync } from '../verify/build.ts';

export interface SimulateArgs {
  workload?: string;
  seed?: string;
  ram?: string;
  ops?: string;
  trace?: boolean;
  json?: boolean;
  report?: string;
  tracepoints?: boolean;
}

export function corpusMain(corpusDir: string): string {
  const main = join(resolve(corpusDir), 'sim', 'main.ts');
  if (!existsSync(main)) throw new InputError(`${corpusDir}: not a corpus tree (no sim/main.ts)`);
  return main;
}

export function simulateArgv(args: SimulateArgs): string[] {
  const argv: string[] = [];
  if (args.workload !== undefined) argv.push('--workload', args.workload);
  if (args.seed !== undefined) argv.push('--seed', args.seed);
  if (args.ram !== undefined) argv.push('--ram', args.ram);
  if (args.ops !== undefined) argv.push('--ops', args.ops);
  if (args.report !== undefined) argv.push('--report', args.report);
  if (args.trace) argv.push('--trace');
  if (args.json) argv.push('--json');
  if (args.tracepoints === false) argv.push('--no-tracepoints');
  return argv;
}

/** Run with the child's output on our stdout/stderr; resolves to its exit code. */
export async function runCorpusInherit(corpusDir: string, args: SimulateArgs): Promise<number> {
  corpusMain(corpusDir);
  const { file } = await buildTree(corpusDir);
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [file, ...simulateArgv(args)], { stdio: 'inherit' });
    child.on('error', reject);
    child.on('close', (code, signal) => resolvePromise(code ?? (signal ? 128 : 1)));
  });
}

export interface CapturedRun {
  status: number;
  stdout: string;
  stderr: string;
}

/** Run and capture the output (for callers that parse it). */
export function runCorpusCaptured(corpusDir: string, args: SimulateArgs, timeoutMs = 600_000): CapturedRun {
  corpusMain(corpusDir);
  const { file } = buildTreeSync(corpusDir);
  const r = spawnSync(process.execPath, [file, ...simulateArgv(args)], {
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 1 << 30,
  });
  return { status: r.status ?? 1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}
