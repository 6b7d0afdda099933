/**
 * memdesc command-line front end: parses flags, calls the library, prints, exits.
 * Library modules never print or exit; they return values or throw typed errors.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { MemdescError, UsageError, CheckFailed } from './errors.ts';
import { applyV8Flags } from './v8Flags.ts';
import { registerSimulate } from './commands/simulate.ts';
import { registerStart } from './commands/start.ts';
import { registerAnalyze } from './commands/analyze.ts';
import { registerConvert } from './commands/convert.ts';
import { registerVerify } from './commands/verify.ts';
import { registerSeries } from './commands/series.ts';
import { registerPlan } from './commands/plan.ts';
import { registerStatus } from './commands/status.ts';
import { registerTrack } from './commands/track.ts';
import { registerAudit } from './commands/audit.ts';
import { registerSeparate } from './commands/separate.ts';
import { registerShrink } from './commands/shrink.ts';
import { registerInit } from './commands/init.ts';

// bin/memdesc.mjs sets the flags before a command's code loads.
export { applyV8Flags };

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('memdesc')
    .description('Split a class whose fields mean different things to different users into typed descriptor classes, as a spec describes: analyze, convert, verify, series, track')
    .option('--debug', 'print stack traces on errors')
    .exitOverride()
    .configureOutput({ outputError: () => {} });
  registerSimulate(program);
  registerStart(program);
  registerAnalyze(program);
  registerConvert(program);
  registerVerify(program);
  registerSeries(program);
  registerPlan(program);
  registerStatus(program);
  registerTrack(program);
  registerAudit(program);
  registerSeparate(program);
  registerShrink(program);
  registerInit(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  const debug = argv.includes('--debug');
  try {
    await program.parseAsync(argv, { from: 'user' });
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (err) {
    return reportError(err, debug);
  }
}

const FILE_SYSTEM_ERRORS = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOSPC', 'EDQUOT', 'EMFILE', 'ENFILE', 'ENAMETOOLONG', 'ELOOP', 'EISDIR', 'ENOTDIR', 'EEXIST', 'ENOTEMPTY', 'EXDEV', 'EBUSY']);

function reportError(err: unknown, debug: boolean): number {
  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
    process.stderr.write(`memdesc: ${err.message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ')}\n`); // one line: commander puts its "Did you mean" on a second
    return 2;
  }
  if (err instanceof CheckFailed) {
    process.stderr.write(`memdesc: ${err.message}\n`);
    return 1;
  }
  if (err instanceof MemdescError) {
    process.stderr.write(`memdesc: ${err.message}\n`);
    if (debug) process.stderr.write(`${err.stack}\n`);
    return err instanceof UsageError ? 2 : 2;
  }
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e.code === 'string' && FILE_SYSTEM_ERRORS.has(e.code)) {
    // The machine said no (permissions, a full or read-only disk): the user's to fix, not a bug.
    process.stderr.write(`memdesc: ${e.message}\n`);
    if (debug) process.stderr.write(`${e.stack}\n`);
    return 2;
  }
  process.stderr.write(`memdesc: internal error: ${e?.message ?? String(err)}\n`);
  if (debug) process.stderr.write(`${e?.stack}\n`);
  return 70;
}

/**
 * `memdesc … | head`: when the reader closes the pipe, end quietly as a Unix tool killed by
 * SIGPIPE would (128 + 13), not with an EPIPE stack trace. For the process that runs the CLI only.
 */
export function quietOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') throw e;
      process.exit(141);
    });
  }
}

/**
 * Run when this module is the program itself (`node dist/cli.mjs`, `tsx src/cli.ts`); bin/memdesc.mjs
 * and tests import it and call main(). Compared by real path: argv[1] may be a symlink.
 */
function isMain(): boolean {
  const argv1 = process.argv[1];
  if (argv1 === undefined) return false;
  try {
    return realpathSync(argv1) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) {
  applyV8Flags();
  quietOnClosedPipe();
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
