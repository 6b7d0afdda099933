/**
 * The CLI's main() run in the test's own process, with what it prints captured: the same code and
 * output as a spawned `memdesc` (bin/memdesc.mjs only loads and calls it), without a process start,
 * a load of the CLI and a parse of TypeScript's lib files per command (lib files are parsed once
 * per process: src/ts/programs.ts). For tests about what commands say, not about the process.
 */
import { createRequire } from 'node:module';
import { main } from '../src/cli.ts';

// esbuild keeps the folder it is first loaded in as its default working folder: load it now, in
// the worker's own, not first inside main() run from a test's temporary folder removed later.
createRequire(import.meta.url)('esbuild');

export interface MainResult { status: number; stdout: string; stderr: string }

type Write = typeof process.stdout.write;

function collector(into: string[]): Write {
  return ((chunk: string | Uint8Array, enc?: unknown, cb?: unknown) => {
    into.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    const done = typeof enc === 'function' ? enc : cb;
    if (typeof done === 'function') (done as () => void)();
    return true;
  }) as Write;
}

/** `memdesc ...args` run from `cwd` (default: the current directory), as a spawned CLI would report it. */
export async function runMain(args: string[], cwd?: string): Promise<MainResult> {
  const out: string[] = [];
  const err: string[] = [];
  const { stdout, stderr } = process;
  const writes = { out: stdout.write, err: stderr.write };
  const here = process.cwd();
  stdout.write = collector(out);
  stderr.write = collector(err);
  try {
    if (cwd !== undefined) process.chdir(cwd);
    process.exitCode = undefined;
    const status = await main(args);
    return { status, stdout: out.join(''), stderr: err.join('') };
  } finally {
    stdout.write = writes.out;
    stderr.write = writes.err;
    process.chdir(here);
    // An exit code a command set must not become the test process's own.
    process.exitCode = undefined;
  }
}
