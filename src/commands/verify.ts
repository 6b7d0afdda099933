/**
 * `memdesc verify [path] --against <dir|git-rev>`: run every workload x seed on both trees and
 * compare digests; on a mismatch, the first diverging event and any debug-check dump.
 * `--run CMD` / `--entry FILE [-- ARGS]`: the project's own oracle instead (src/verify/oracle.ts).
 * `memdesc verify --mutants [path]`: the verifier's self-check on generated wrong conversions.
 */
import type { Command } from 'commander';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { OracleSpec } from '../model/spec.ts';
import { CheckFailed, UsageError } from '../errors.ts';
import { addCorpusOption, defaultProject, PROJECT_SPEC, projectPath, projectSpecFile } from './projectPath.ts';
import { checkRam, parseOps, parsePositive, parseSeeds, parseWorkloads } from '../verify/options.ts';
import type { VerifyOptions } from '../verify/verify.ts';

interface VerifyFlags {
  against?: string;
  corpus?: boolean;
  workloads?: string;
  seeds?: string;
  ram?: string;
  ops?: string;
  timeout?: string;
  jobs?: string;
  context?: string;
  json?: boolean;
  mutants?: boolean;
  count?: string;
  mutantSeed?: string;
  operators?: string;
  tracepoints?: boolean;
  memmap?: boolean;
  run?: string;
  entry?: string;
  compare?: string;
  spec?: string;
}

export function verifyOptionsFromFlags(flags: VerifyFlags): VerifyOptions {
  return {
    ...(flags.workloads !== undefined ? { workloads: parseWorkloads(flags.workloads) } : {}),
    ...(flags.seeds !== undefined ? { seeds: parseSeeds(flags.seeds) } : {}),
    ...(flags.ram !== undefined ? { ram: checkRam(flags.ram) } : {}),
    ...(flags.ops !== undefined ? { ops: parseOps(flags.ops) } : {}),
    ...(flags.timeout !== undefined ? { timeoutMs: parsePositive('timeout', flags.timeout, true) * 1000 } : {}),
    ...(flags.jobs !== undefined ? { jobs: parsePositive('jobs', flags.jobs) } : {}),
    ...(flags.context !== undefined ? { context: parsePositive('context', flags.context) } : {}),
    ...(flags.tracepoints === false ? { tracepoints: false } : {}),
    ...(flags.memmap === false ? { memmap: false } : {}),
  };
}

export function registerVerify(program: Command): void {
  addCorpusOption(program
    .command('verify')
    .description("prove a conversion changed nothing: run every workload x seed of the corpus simulation on both trees and compare (a stage-2 tree: placement-preserving with the declared layout-dependent lines masked, and its real placement checked after every operation), or (--run/--entry) the project's own oracle once in each tree")
    .argument('[path]', 'tree to check: a directory or a git revision (default: the current directory when it holds a tsconfig.json; --corpus: the bundled corpus)')
    .argument('[args...]', 'with --entry, after --: arguments for the entry program'))
    .option('--against <tree>', 'the reference tree: a directory, or a git revision (REV or REV:PATH)')
    .option('--run <command>', "the user's oracle: run this shell command (e.g. 'npm test') once in each tree and compare exit codes and output")
    .option('--entry <file>', "the user's oracle: bundle this TypeScript entry (tree-relative) with esbuild, run it with node in each tree (arguments after --) and compare")
    .option('--compare <regex|json>', 'with --run/--entry: compare only the output lines matching REGEX, or stdout parsed as JSON (default: every line of stdout+stderr)')
    .option('--workloads <list>', 'corpus simulation: comma-separated workloads (default: every workload of the reference)')
    .option('--seeds <seeds>', 'corpus simulation: N (seeds 1..N), a..b, or a comma list (default 16)')
    .option('--ram <size>', 'corpus simulation: RAM size for every run, 16M to 1G (default 64M)')
    .option('--ops <n>', "corpus simulation: operations per run (default: the verify figures in the reference tree's manifest, or docs/verify.md's for a tree without one; 'default': the workloads' own)")
    .option('--timeout <seconds>', 'kill a run whose seed takes longer (default 60; with --run/--entry: a side that takes longer, default 600)')
    .option('--jobs <n>', 'parallel simulations (default: available cores)')
    .option('--context <n>', 'events shown before the first divergence (default 10)')
    .option('--no-tracepoints', "corpus simulation: leave the corpus' tracepoints out of the compared traces")
    .option('--no-memmap', "corpus simulation: do not compare the memory map the runs leave behind (for conversions that move data out of the spec's class); with --mutants under a project's oracle: do not compare the objects of the spec's classes at exit")
    .option('--json', 'machine-readable report')
    .option('--mutants', "self-check: generate wrong conversions of [path] and report which the verifier kills")
    .option('--count <n>', 'with --mutants: number of mutants (default 64)')
    .option('--mutant-seed <n>', 'with --mutants: selection seed (default 1)')
    .option('--operators <list>', 'with --mutants: only these operators, comma-separated (their names and what each does: docs/verify.md)')
    .option('--spec <file>', "the project's spec (default: the tree's memdesc.spec.json, else the built-in Linux spec): without --run/--entry, its \"oracle\" is the one run in both trees (a spec without one: the corpus simulation); with --mutants, it also names the classes whose objects are compared")
    .action(async (first: string | undefined, rest: string[], flags: VerifyFlags, cmd: Command) => {
      const { path, args } = splitOperands(first, rest, cmd);
      if (flags.mutants) return verifyMutants(path, args, flags);
      if (flags.run !== undefined || flags.entry !== undefined) return verifyOracle(path, args, flags);
      const declared = await declaredOracle(path, flags);
      if (declared) return verifyOracle(path, args, flags, declared);
      if (flags.compare !== undefined) throw new UsageError('--compare only goes with an oracle (--run, --entry, or a spec with "oracle")');
      if (args.length > 0) throw new UsageError(`unexpected arguments: ${args.join(' ')} (program arguments go with --entry, after --)`);
      const opts = verifyOptionsFromFlags(flags);
      for (const f of ['count', 'mutantSeed', 'operators'] as const) {
        if (flags[f] !== undefined) throw new UsageError(`--${f === 'mutantSeed' ? 'mutant-seed' : f} only goes with --mutants`);
      }
      if (flags.against === undefined) throw new UsageError('verify needs --against <dir|git-rev> (the reference tree)');
      const { verifyTrees } = await import('../verify/verify.ts');
      const { renderVerifyText } = await import('../verify/report-text.ts');
      const report = await verifyTrees(projectPath(path, flags.corpus, 'verify'), flags.against, opts);
      process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : renderVerifyText(report));
      if (!report.ok) {
        const checks = report.layouts?.checks;
        const failed = [
          ...(report.mismatches.length ? [`${report.mismatches.length} of ${report.pairs} pairs differ`] : []),
          ...(checks && !checks.ok ? [`${checks.failures.length} of ${checks.runs} real-placement runs of the ${checks.side} failed their checks`] : []),
        ];
        throw new CheckFailed(`verification failed: ${failed.join('; ')}`);
      }
    });
}

/**
 * The path and the entry's arguments: everything after `--` is the program's (commander puts
 * operands from both sides of `--` in one list, so the raw arguments tell where it was).
 */
function splitOperands(first: string | undefined, rest: string[], cmd: Command): { path?: string; args: string[] } {
  const operands = first === undefined ? [] : [first, ...rest];
  const raw = ((cmd.parent ?? cmd) as unknown as { rawArgs?: string[] }).rawArgs ?? [];
  const dash = raw.indexOf('--');
  const after = dash >= 0 ? raw.length - dash - 1 : 0;
  const before = operands.slice(0, operands.length - after);
  if (before.length > 1) throw new UsageError(`verify takes one tree to check, got: ${before.join(' ')} (program arguments go after --)`);
  return { ...(before[0] !== undefined ? { path: before[0] } : {}), args: operands.slice(operands.length - after) };
}

/**
 * verify --mutants: wrong conversions of the tree, judged by the simulation (the corpus) or by the
 * project's oracle (--run/--entry, else the --spec's "oracle").
 */
async function verifyMutants(path: string | undefined, args: string[], flags: VerifyFlags): Promise<void> {
  if (flags.against !== undefined) throw new UsageError('--mutants takes no --against: mutants are checked against the tree they come from');
  if (flags.run !== undefined && flags.entry !== undefined) throw new UsageError('--run and --entry exclude each other: the oracle is a command or an entry');
  if (args.length > 0 && flags.entry === undefined) throw new UsageError(`unexpected arguments: ${args.join(' ')} (program arguments go with --entry, after --)`);
  const { resolveSpec } = await import('../model/builtin.ts');
  const spec = resolveSpec(projectSpecFile(flags.spec, path ?? defaultProject(flags.corpus)));
  const { checkOracle, parseCompare } = await import('../verify/oracle.ts');
  const oracle = flags.run !== undefined ? { run: flags.run } : flags.entry !== undefined ? { entry: flags.entry, args } : spec.oracle;
  if (oracle) {
    checkOracle(oracle);
    for (const f of ['workloads', 'seeds', 'ram', 'ops', 'context'] as const) {
      if (flags[f] !== undefined) throw new UsageError(`--${f} is for the corpus simulation, not for mutants judged by an oracle`);
    }
    if (flags.tracepoints === false) throw new UsageError('--no-tracepoints is for the corpus simulation, not for mutants judged by an oracle');
  } else if (flags.compare !== undefined) {
    throw new UsageError('--compare only goes with an oracle (--run, --entry, or a spec with "oracle")');
  }
  const opts = verifyOptionsFromFlags(oracle ? { ...flags, timeout: undefined } : flags);
  const { runMutants } = await import('../verify/mutants.ts');
  const { renderMutantsText } = await import('../verify/mutants-report.ts');
  // A project's mutants: the current directory by default; the simulation's: the bundled corpus.
  const tree = projectPath(path, flags.corpus, 'verify --mutants');
  const report = await runMutants(tree, {
    ...opts,
    spec,
    ...(oracle ? { oracle, compare: parseCompare(flags.compare ?? oracle.compare, flags.compare !== undefined ? '--compare' : 'oracle.compare') } : {}),
    ...(oracle && flags.timeout !== undefined ? { timeoutMs: parsePositive('timeout', flags.timeout, true) * 1000 } : {}),
    ...(flags.count !== undefined ? { count: parsePositive('count', flags.count) } : {}),
    ...(flags.mutantSeed !== undefined ? { selectionSeed: parsePositive('mutant-seed', flags.mutantSeed) } : {}),
    ...(flags.operators !== undefined ? { operators: flags.operators.split(',').map((s) => s.trim()).filter(Boolean) } : {}),
    onProgress: flags.json ? undefined : (line: string) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : renderMutantsText(report));
  if (report.survived.length > 0) throw new CheckFailed(`${report.survived.length} of ${report.run} mutants survived`);
}

/**
 * The oracle the project's spec declares (--spec, else the tree's memdesc.spec.json): what
 * convert --verify and series run, so verify runs it too when not given --run/--entry. A tree given
 * as a git revision takes the current directory's spec. None: the corpus simulation, as before.
 */
async function declaredOracle(path: string | undefined, flags: VerifyFlags): Promise<OracleSpec | undefined> {
  const home = flags.corpus ? defaultProject(true) : path !== undefined && isDirectory(path) ? path : '.';
  const file = projectSpecFile(flags.spec, home);
  if (file === undefined) return undefined;
  const { resolveSpec } = await import('../model/builtin.ts');
  const spec = resolveSpec(file);
  if (!spec.oracle && flags.spec !== undefined && !flags.corpus && !isCorpusTree(path ?? '.')) {
    throw new UsageError(`${flags.spec} declares no "oracle" and ${path ?? '.'} is not a corpus tree (no sim/main.ts): give the spec an "oracle", or use --run/--entry`);
  }
  return spec.oracle;
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** A directory holding the corpus simulation (or a revision, which the simulation's own checks judge). */
function isCorpusTree(p: string): boolean {
  return !isDirectory(p) || existsSync(join(p, 'sim', 'main.ts'));
}

/**
 * verify --run/--entry, or the spec's declared oracle: the user's oracle in both trees (the corpus
 * options do not apply). --compare and --timeout override the declared oracle's own.
 */
async function verifyOracle(path: string | undefined, args: string[], flags: VerifyFlags, declared?: OracleSpec): Promise<void> {
  if (flags.run !== undefined && flags.entry !== undefined) throw new UsageError('--run and --entry exclude each other: the oracle is a command or an entry');
  const which = declared ? `the oracle ${flags.spec ?? PROJECT_SPEC} declares` : '--run/--entry';
  for (const f of ['count', 'mutantSeed', 'operators'] as const) {
    if (flags[f] !== undefined) throw new UsageError(`--${f === 'mutantSeed' ? 'mutant-seed' : f} only goes with --mutants`);
  }
  for (const f of ['workloads', 'seeds', 'ram', 'ops', 'jobs', 'context'] as const) {
    if (flags[f] !== undefined) throw new UsageError(`--${f} is for the corpus simulation, not for ${which}`);
  }
  if (flags.tracepoints === false || flags.memmap === false) throw new UsageError(`--no-tracepoints/--no-memmap are for the corpus simulation, not for ${which}`);
  if (args.length > 0 && flags.entry === undefined) {
    throw new UsageError(declared ? 'arguments after -- go with --entry (the spec\'s oracle takes its own "args")' : 'arguments after -- go with --entry (put them in the --run command instead)');
  }
  if (flags.against === undefined) throw new UsageError('verify needs --against <dir|git-rev> (the reference tree)');
  const { checkOracle, parseCompare, renderOracleText, verifyWithOracle } = await import('../verify/oracle.ts');
  const oracle: OracleSpec = declared ?? (flags.run !== undefined ? { run: flags.run } : { entry: flags.entry!, args });
  checkOracle(oracle);
  const compare = parseCompare(flags.compare ?? declared?.compare, flags.compare !== undefined ? '--compare' : 'oracle.compare');
  const timeoutMs = flags.timeout !== undefined ? parsePositive('timeout', flags.timeout, true) * 1000 : declared?.timeout !== undefined ? declared.timeout * 1000 : undefined;
  // Any command runs anywhere: the current directory needs no tsconfig.json here.
  const report = await verifyWithOracle(flags.corpus ? projectPath(path, true, 'verify') : path ?? '.', flags.against, { oracle, compare, ...(timeoutMs ? { timeoutMs } : {}) });
  process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : renderOracleText(report));
  if (!report.ok) throw new CheckFailed(`verification failed: ${report.difference!.what} differs (${report.difference!.detail})`);
}
