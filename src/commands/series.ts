/**
 * `memdesc series <kind…|--all> [path] --out DIR`: the conversion as a kernel-style patch series:
 * one commit per step on branch memdesc/<kinds> (a separate worktree; the working tree is never
 * touched), every step type-checked and verified, then format-patch files and a cover letter.
 */
import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import type { Command } from 'commander';
import { CheckFailed, UsageError } from '../errors.ts';
import { BUNDLED_CORPUS } from '../paths.ts';
import { resolveSpec } from '../model/builtin.ts';
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
  force?: boolean;
  json?: boolean;
  coverLetter?: string;
}

export function registerSeries(program: Command): void {
  program
    .command('series')
    .description('plan the conversion as ordered steps, commit each (type-checked and verified) on a branch, write format-patch files and a cover letter')
    .argument('[args...]', 'kinds to convert (or --all), then optionally the project: a directory with tsconfig.json (default: the bundled corpus)')
    .option('--all', 'every kind of the spec')
    .option('--out <dir>', 'directory for 0000-cover-letter.patch, 0001-….patch, … (must be empty or absent)')
    .option('--cover-letter <file>', 'write the cover letter here instead of --out, so that `git am DIR/*.patch` takes the patches alone')
    .option('--base <rev>', 'the revision the branch starts from (default HEAD)')
    .option('--spec <file>', 'spec JSON for another codebase or extra kinds ("extends": "builtin")')
    .option('--seeds <seeds>', "each patch's verification: N (seeds 1..N), a..b or a list (default 2)")
    .option('--ops <n>', "each patch's verification: operations per run (default: a quarter of verify's)")
    .option('--workloads <list>', "each patch's verification: workloads (default: mixed when the tree has it, else all)")
    .option('--tip-seeds <seeds>', 'the last patch: verify with these seeds, every workload (default 16)')
    .option('--force', 'replace a non-empty --out and an existing branch')
    .option('--json', 'print the result as JSON')
    .action(async (args: string[], flags: SeriesFlags) => {
      if (!flags.out) throw new UsageError('series needs --out <dir> for the patch files');
      const spec = resolveSpec(flags.spec);
      const known = new Set(spec.kinds.map((k) => k.name));
      const kinds = [...args];
      let path = BUNDLED_CORPUS;
      const last = kinds[kinds.length - 1];
      if (last !== undefined && !known.has(last) && (existsSync(last) || /[/\\]/.test(last) || last === '.')) {
        path = last;
        kinds.pop();
      }
      const verify = {
        ...(flags.seeds !== undefined ? { seeds: parseSeeds(flags.seeds) } : {}),
        ...(flags.ops !== undefined ? { ops: parseOps(flags.ops) } : {}),
        ...(flags.workloads !== undefined ? { workloads: parseWorkloads(flags.workloads) } : {}),
        ...(flags.tipSeeds !== undefined ? { tipSeeds: parseSeeds(flags.tipSeeds) } : {}),
      };
      const { buildSeries, verdictText } = await import('../series/series.ts');
      const r = await buildSeries({
        path, spec, kinds, all: !!flags.all, out: flags.out, force: !!flags.force, verify,
        ...(flags.base !== undefined ? { base: flags.base } : {}),
        ...(flags.coverLetter !== undefined ? { coverLetter: flags.coverLetter } : {}),
        ...(flags.json ? {} : { onProgress: (l: string) => void process.stderr.write(`${l}\n`) }),
      });
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({ version: 1, ...r }, null, 2)}\n`);
      } else {
        const lines = [`memdesc series: ${r.commits.length} patches on ${r.branch} in ${r.scratch ? `scratch repository ${r.repo}` : r.repo} (base ${r.base.slice(0, 12)}), written to ${relative(process.cwd(), r.out) || '.'}`];
        for (const [i, c] of r.commits.entries()) lines.push(`  ${String(i + 1).padStart(3, '0')} ${c.sha.slice(0, 12)} ${c.subject}\n        ${verdictText(c.verification)}`);
        for (const p of r.problems) lines.push(`  note: ${p.step}: ${p.reason}`);
        if (r.empty.length) lines.push(`  ${r.empty.length} planned steps changed nothing (done by an earlier patch)`);
        lines.push(`  tip ${r.tipEqualsOneShot ? 'equals' : 'DIFFERS from'} the one-shot conversion (memdesc convert --write); ${(r.timings.total! / 1000).toFixed(1)} s`);
        process.stdout.write(`${lines.join('\n')}\n`);
      }
      if (!r.complete) throw new CheckFailed('the series stops short: a step up to the one-shot result does not type-check or verify');
      const bad = r.commits.find((c) => typeof c.verification !== 'string' && !c.verification.ok);
      if (bad) throw new CheckFailed(`${bad.subject}: does not verify`);
    });
}
