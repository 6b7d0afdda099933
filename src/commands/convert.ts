/**
 * `memdesc convert <kind…|--all> [path]`: rewrite raw accesses to the spec's class to its
 * descriptor classes' accessors, convert whole functions, create descriptor types, retire dead union
 * members. Dry run (default) prints a unified diff; --write writes all files or none. Every run
 * checks that the result type-checks and that a second run changes nothing; --verify also runs
 * the simulation on both trees before anything is written.
 */
import { existsSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { Command } from 'commander';
import { CheckFailed, UsageError } from '../errors.ts';
import { verifyOptionsFromFlags } from './verify.ts';
import { addCorpusOption, kindsCommandSpecFile, projectPath, SPEC_OPTION_TEXT } from './projectPath.ts';
import type { RunResult } from '../rewrite/driver.ts';
import type { Spec } from '../model/spec.ts';

interface ConvertFlags {
  all?: boolean;
  dryRun?: boolean;
  write?: boolean;
  force?: boolean;
  spec?: string;
  only?: string;
  json?: boolean;
  retire?: boolean;
  verify?: boolean;
  seeds?: string;
  workloads?: string;
  jobs?: string;
  corpus?: boolean;
}

export function registerConvert(program: Command): void {
  addCorpusOption(program
    .command('convert')
    .description("rewrite raw accesses to the spec's class into accessors of its descriptor classes (dry run prints a diff; --write applies it)")
    .argument('[args...]', 'kinds to convert (or --all), then the project: a directory with tsconfig.json or a tsconfig file (default for a dry run: the current directory when it holds a tsconfig.json; --write needs it given)'))
    .option('--all', 'convert every kind of the spec')
    .option('--dry-run', 'print the unified diff, write nothing (the default)')
    .option('--write', 'write the conversion into the given project: all files or none, crash-safe, one writer at a time (refuses a dirty git tree)')
    .option('--force', 'with --write: write even when the git tree has uncommitted changes')
    .option('--spec <file>', SPEC_OPTION_TEXT)
    .option('--only <file|function>', 'convert only the sites in this file (project-relative) or function')
    .option('--no-retire', 'keep union members and helpers that become unused')
    .option('--json', 'print the result as JSON (diff included)')
    .option('--verify', "before writing, check the converted tree against the original: with the spec's \"oracle\" (its command or entry, run once in each tree) or else the corpus simulation (memdesc verify); a difference writes nothing and exits 1")
    .option('--seeds <seeds>', 'with --verify: N (seeds 1..N), a..b or a list (default 16)')
    .option('--workloads <list>', 'with --verify: workloads (default: all)')
    .option('--jobs <n>', 'with --verify: parallel simulations (default: available cores)')
    .action(async (args: string[], flags: ConvertFlags) => {
      // The library code loads only when this command runs (dist/: a chunk of its own), not for --help.
      const { resolveSpec } = await import('../model/builtin.ts');
      if (flags.write && flags.dryRun) throw new UsageError('--dry-run and --write exclude each other');
      if (flags.force && !flags.write) throw new UsageError('--force only makes sense with --write');
      for (const f of ['seeds', 'workloads', 'jobs'] as const) if (flags[f] !== undefined && !flags.verify) throw new UsageError(`--${f} only goes with --verify`);
      const vopts = flags.verify ? verifyOptionsFromFlags({ seeds: flags.seeds, workloads: flags.workloads, jobs: flags.jobs }) : undefined;
      // The project's own spec (memdesc.spec.json) unless --spec names one: the last operand when it names a path.
      const spec = resolveSpec(kindsCommandSpecFile(flags.spec, args, flags.corpus));
      const known = new Set(spec.kinds.map((k) => k.name));
      const kinds = [...args];
      let given: string | undefined;
      const last = kinds[kinds.length - 1];
      if (last !== undefined && !known.has(last) && (existsSync(last) || /[/\\]/.test(last) || last === '.')) {
        given = last;
        kinds.pop();
      }
      // A default must never decide what gets rewritten, and the bundled corpus is never rewritten.
      if (flags.write && flags.corpus) throw new UsageError("--write never writes the bundled corpus: copy it and give the copy's path");
      if (flags.write && given === undefined) throw new UsageError('--write needs the project to write as an explicit path (e.g. `memdesc convert --all . --write`)');
      const path = projectPath(given, flags.corpus, 'convert');
      const { runConvert } = await import('../rewrite/driver.ts');
      const r = runConvert({
        spec, kinds, all: !!flags.all, path, write: !!flags.write, force: !!flags.force, deferWrite: !!flags.verify,
        ...(flags.only ? { only: flags.only } : {}), retire: flags.retire !== false,
      });
      try {
        await finishConvert(r, flags, vopts, spec);
      } finally {
        r.lock?.release();
      }
    });
}

async function finishConvert(r: RunResult, flags: ConvertFlags, vopts: ReturnType<typeof verifyOptionsFromFlags> | undefined, spec: Spec): Promise<void> {
  const rep = r.plan.report;
  let verdict: string | undefined;
  if (vopts && spec.oracle) {
    // The project's own oracle: its command or entry, run in the original and the converted copy.
    for (const f of ['seeds', 'workloads', 'jobs'] as const) if (flags[f] !== undefined) throw new UsageError(`--${f} is for the corpus simulation; this spec names its own oracle`);
    const { renderOracleText, runOracleOn, oracleVerdict } = await import('../verify/oracle.ts');
    const { overlayTree } = await import('../verify/revision.ts');
    const overrides = Object.fromEntries(r.plan.changes.map((c) => [relative(r.root, c.file).split(sep).join('/'), c.after] as const));
    const cand = overlayTree({ dir: r.root, overrides, label: 'converted (in memory)', copy: true }, true);
    let v;
    try {
      v = await runOracleOn(cand, { label: 'original', dir: r.root, cleanup() {} }, { oracle: spec.oracle });
    } finally {
      cand.cleanup();
    }
    if (!v.ok) {
      process.stdout.write(flags.json ? `${JSON.stringify({ version: 1, root: r.root, verification: v }, null, 2)}\n` : renderOracleText(v));
      throw new CheckFailed(`the conversion does not verify (${v.difference!.what} differs: ${v.difference!.detail}); nothing was written`);
    }
    verdict = `verified with the spec's oracle, run once in each tree: ${oracleVerdict(v)}`;
    if (flags.write) {
      const { writeConversion } = await import('../rewrite/driver.ts');
      writeConversion(r, !!flags.force);
    }
  } else if (vopts) {
    if (!existsSync(join(r.root, 'sim', 'main.ts'))) {
      throw new UsageError(`--verify needs an oracle: ${relative(process.cwd(), r.root) || '.'} has no corpus simulation (sim/main.ts) and the spec names no "oracle" (see docs/verify.md); nothing was written`);
    }
    const { verifyTrees } = await import('../verify/verify.ts');
    const overrides = Object.fromEntries(r.plan.changes.map((c) => [relative(r.root, c.file).split(sep).join('/'), c.after] as const));
    const v = await verifyTrees({ dir: r.root, overrides, label: 'converted (in memory)' }, r.root, vopts);
    if (!v.ok) {
      const { renderVerifyText } = await import('../verify/report-text.ts');
      process.stdout.write(flags.json ? `${JSON.stringify({ version: 1, root: r.root, verification: v }, null, 2)}\n` : renderVerifyText(v));
      throw new CheckFailed(`the conversion does not verify (${v.mismatches.length} of ${v.pairs} pairs differ); nothing was written`);
    }
    verdict = `verified identical to the original: ${v.workloads.length} workloads x ${v.seeds.length} seeds, ${v.opsCompared.toLocaleString('en-US')} operations compared`;
    if (flags.write) {
      const { writeConversion } = await import('../rewrite/driver.ts');
      writeConversion(r, !!flags.force);
    }
  }
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({
      version: 1, root: r.root, mode: flags.write ? 'write' : 'dry-run', written: r.written, files: r.files,
      report: rep, checks: { ...r.checks, ...(verdict ? { verify: verdict } : {}) }, diff: r.diff, timings: r.timings,
    }, null, 2)}\n`);
    return;
  }
  const out = flags.write ? process.stdout : process.stderr;
  if (!flags.write) process.stdout.write(r.diff);
  const where = relative(process.cwd(), r.root) || '.';
  const total = Object.values(rep.converted).reduce((a, b) => a + b, 0);
  const lines: string[] = [];
  for (const x of r.recovered) {
    lines.push(x.action === 'removed unused stage' ? `removed ${x.stage}, left by an interrupted write before it touched any file`
      : `an interrupted write (${x.stage}, ${x.files} file${x.files === 1 ? '' : 's'}) was ${x.action === 'finished' ? 'complete: finished it' : 'rolled back'}`);
  }
  lines.push(`memdesc convert ${rep.kinds.join(' ')}: ${where}: ${total} site${total === 1 ? '' : 's'} converted` +
    (total ? ` (${Object.entries(rep.converted).map(([k, n]) => `${k} ${n}`).join(', ')})` : '') +
    `, ${rep.functions.length} function signature change${rep.functions.length === 1 ? '' : 's'}, ${r.files.length} file${r.files.length === 1 ? '' : 's'}` +
    (flags.write ? (r.written ? ' written' : ' (nothing to write)') : ' (dry run: nothing written)'));
  for (const c of rep.created) lines.push(`  created: ${c}`);
  for (const f of rep.functions) lines.push(`  converted: ${f.function}() ${f.change} (${f.file}:${f.line})`);
  if (rep.retired.helpers.length || rep.retired.members.length) lines.push(`  retired: ${[...rep.retired.helpers, ...rep.retired.members].join(', ')}`);
  if (r.checks.retireDropped) lines.push(`  note: ${r.checks.retireDropped}`);
  lines.push(`  checks: type-check passed; a second run changes nothing${verdict ? `; ${verdict}` : ''}`);
  if (rep.skipped.length) {
    lines.push(`  left untouched (${rep.skipped.length}):`);
    for (const s of rep.skipped) lines.push(`    ${s.file}:${s.line}:${s.column}: ${s.kind} ${s.field}: ${s.reason}`);
  }
  out.write(`${lines.join('\n')}\n`);
}
