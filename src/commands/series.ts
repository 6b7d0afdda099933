/**
 * `memdesc series <kind…|--all> [path] --out DIR`: the conversion as a kernel-style patch series:
 * one commit per step on branch memdesc/<kinds> (a separate worktree; the working tree is never
 * touched), every step type-checked and verified, then format-patch files and a cover letter.
 * An interrupt (SIGINT, SIGTERM, SIGHUP) takes back whatever the run had made before exiting.
 */
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { relative } from 'node:path';
import type { Command } from 'commander';
import { CheckFailed, UsageError } from '../errors.ts';
import { addCorpusOption, kindsCommandSpecFile, projectPath, SPEC_OPTION_TEXT } from './projectPath.ts';
import { parseOps, parseSeeds, parseWorkloads } from '../verify/options.ts';

interface SeriesFlags {
  all?: boolean;
  out?: string;
  base?: string;
  spec?: string;
  seeds?: string;
  ops?: string;
  workloads?: string;
  tipSeeds?: string;
  verifyAll?: boolean;
  force?: boolean;
  json?: boolean;
  coverLetter?: string;
  author?: string;
  signoff?: boolean;
  corpus?: boolean;
  stage?: string;
}

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Run `fn` (a series, or start around one) so that an interrupt first undoes what the run made
 * (branch, worktree, scratch repository, temporary folders: the series' Rollback), then exits
 * with 128 + the signal's number, as a shell reports a killed command.
 */
export async function undoOnInterrupt<T>(fn: () => Promise<T>): Promise<T> {
  const { rollbackActive } = await import('../series/rollback.ts');
  const handler = (sig: NodeJS.Signals): void => {
    const left = rollbackActive();
    process.stderr.write(`memdesc: interrupted (${sig}): ${left.length ? `could not undo: ${left.join('; ')}` : "the run's branch, worktree, scratch repository and temporary folders were removed"}\n`);
    process.exit(128 + (constants.signals[sig] ?? 0));
  };
  for (const s of SIGNALS) process.on(s, handler);
  try {
    return await fn();
  } finally {
    for (const s of SIGNALS) process.off(s, handler);
  }
}

/**
 * Tests only: MEMDESC_TEST_INTERRUPT=commit:N:SIGNAL (or step:N:SIGNAL) makes the run send itself
 * SIGNAL after its Nth commit (planned step), then wait for it: an interrupt at a known point,
 * with no timing involved.
 */
export function testInterrupt(): { onStep?: (done: number) => Promise<void>; onCommit?: (done: number) => Promise<void> } {
  const m = /^(commit|step):(\d+):(SIG[A-Z]+)$/.exec(process.env.MEMDESC_TEST_INTERRUPT ?? '');
  if (!m) return {};
  const at = Number(m[2]);
  const fire = (done: number): Promise<void> | undefined => {
    if (done !== at) return undefined;
    process.kill(process.pid, m[3] as NodeJS.Signals);
    // Keep the event loop alive until the handler (or the signal's default action) ends the process.
    return new Promise<void>(() => void setInterval(() => {}, 1 << 30));
  };
  return m[1] === 'commit' ? { onCommit: async (d) => fire(d) } : { onStep: async (d) => fire(d) };
}

export function registerSeries(program: Command): void {
  addCorpusOption(program
    .command('series')
    .description('plan the conversion as ordered steps, commit each (type-checked and verified) on a branch, write format-patch files and a cover letter')
    .argument('[args...]', 'kinds to convert (or --all), then optionally the project: a directory with tsconfig.json (default: the current directory when it holds a tsconfig.json; --corpus: the bundled corpus)'))
    .option('--all', 'every kind of the spec')
    .option('--stage <n>', 'with --all, 2 (default): after the conversion, separate every kind whose audit is clean and shrink the class; 1: stop after the conversion (overlays only). Named kinds default to 1')
    .option('--out <dir>', 'directory for 0000-cover-letter.patch, 0001-….patch, …: new or empty, or an earlier series\' output with --force (see below)')
    .option('--cover-letter <file>', 'write the cover letter here instead of --out, so that `git am DIR/*.patch` takes the patches alone')
    .option('--base <rev>', 'the revision the branch starts from (default HEAD)')
    .option('--spec <file>', SPEC_OPTION_TEXT)
    .option('--seeds <seeds>', "each patch's verification: N (seeds 1..N), a..b or a list (default 2)")
    .option('--ops <n>', "each patch's verification: operations per run (default: a quarter of verify's)")
    .option('--workloads <list>', "each patch's verification: workloads (default: mixed when the tree has it, else all)")
    .option('--tip-seeds <seeds>', 'the last patch: verify with these seeds, every workload (default 16)')
    .option('--verify-all', "run every patch's whole verification plan (default: only the runs that execute a function the patch changed, by coverage recorded on the base; see docs/verify.md)")
    .option('--author <ident>', 'author and committer of every patch, "Name <email>" (default: your git identity, user.name and user.email)')
    .option('--no-signoff', 'leave out the Signed-off-by: trailer (default: every patch is signed off by the committer, as git commit -s does)')
    .option('--force', 'replace the output of an earlier series in --out (and --cover-letter) and the branch an earlier series made; never anything memdesc cannot prove it wrote')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', `
Outputs: --out is a new or empty directory, or the output of an earlier series (its
.memdesc-output.json lists every file with its hash; --force replaces it when nothing was added
or changed). It may be inside the project (then it is not part of the series), never the project,
its git work tree or git directory, nor a directory holding them. A failed or interrupted run
leaves no branch, worktree or scratch repository behind.`)
    .action(async (args: string[], flags: SeriesFlags) => {
      if (!flags.out) throw new UsageError('series needs --out <dir> for the patch files');
      const [{ parsePerson }, { resolveSpec }] = await Promise.all([import('../series/identity.ts'), import('../model/builtin.ts')]);
      const author = flags.author !== undefined ? parsePerson(flags.author) : undefined;
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
      const path = projectPath(given, flags.corpus, 'series');
      if (flags.stage !== undefined && flags.stage !== '1' && flags.stage !== '2') throw new UsageError(`--stage ${flags.stage}: expected 1 or 2`);
      const verify = {
        ...(flags.seeds !== undefined ? { seeds: parseSeeds(flags.seeds) } : {}),
        ...(flags.ops !== undefined ? { ops: parseOps(flags.ops) } : {}),
        ...(flags.workloads !== undefined ? { workloads: parseWorkloads(flags.workloads) } : {}),
        ...(flags.tipSeeds !== undefined ? { tipSeeds: parseSeeds(flags.tipSeeds) } : {}),
        ...(flags.verifyAll ? { all: true } : {}),
      };
      const { buildSeries, verdictText } = await import('../series/series.ts');
      const hook = testInterrupt();
      const r = await undoOnInterrupt(() => buildSeries({
        path, spec, kinds, all: !!flags.all, out: flags.out!, force: !!flags.force, verify, signoff: flags.signoff !== false,
        ...(flags.stage !== undefined ? { stage: flags.stage === '1' ? 1 as const : 2 as const } : {}),
        ...(author ? { author } : {}),
        ...hook,
        ...(flags.base !== undefined ? { base: flags.base } : {}),
        ...(flags.coverLetter !== undefined ? { coverLetter: flags.coverLetter } : {}),
        ...(flags.json ? {} : { onProgress: (l: string) => void process.stderr.write(`${l}\n`) }),
      }));
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({ version: 1, ...r }, null, 2)}\n`);
      } else {
        const { formatPerson } = await import('../series/identity.ts');
        const lines = [`memdesc series: ${r.commits.length} patches on ${r.branch} in ${r.scratch ? `scratch repository ${r.repo}` : r.repo} (base ${r.base.slice(0, 12)}), written to ${relative(process.cwd(), r.out) || '.'}`,
          `  by ${formatPerson(r.identity.author)}${r.signoff ? ', signed off' : ''}`];
        for (const [i, c] of r.commits.entries()) lines.push(`  ${String(i + 1).padStart(3, '0')} ${c.sha.slice(0, 12)} ${c.subject}\n        ${verdictText(c.verification)}`);
        for (const p of r.problems) lines.push(`  note: ${p.step}: ${p.reason}`);
        if (r.empty.length) lines.push(`  ${r.empty.length} planned steps changed nothing (done by an earlier patch)`);
        for (const b of r.stage2?.blocked ?? []) lines.push(`  not separated: ${b.kind} (${b.blockers} audit blocker${b.blockers === 1 ? '' : 's'}; run \`memdesc audit ${b.kind}\`)`);
        for (const p of r.stage2?.problems ?? []) lines.push(`  stage 2: ${p.what}: ${p.reason}`);
        const oneShot = r.stage2 && r.commits.some((c) => c.stage === 2) ? 'one-shot conversion, separation and shrink (convert, separate --all, shrink --write)' : 'one-shot conversion (memdesc convert --write)';
        lines.push(`  tip ${r.tipEqualsOneShot ? 'equals' : 'DIFFERS from'} the ${oneShot}; ${(r.timings.total! / 1000).toFixed(1)} s`);
        process.stdout.write(`${lines.join('\n')}\n`);
      }
      // A stage-2 patch that stopped the series is named, with why (stage2Verify.ts).
      if (!r.complete) throw new CheckFailed(r.stage2?.failed?.message ?? 'the series stops short: a step up to the one-shot result does not type-check or verify');
      const bad = r.commits.find((c) => typeof c.verification !== 'string' && !c.verification.ok);
      if (bad) throw new CheckFailed(`${bad.subject}: does not verify`);
    });
}
