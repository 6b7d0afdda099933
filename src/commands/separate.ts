/**
 * `memdesc separate <kind…|--all> [path] [--spec FILE] [--dry-run | --write] [--verify]`: stage 2,
 * give kinds whose audit is clean their own descriptor storage (allocated from their cache, the
 * memdesc word in struct page pointing at it). Dry run prints the diff; --write writes all files or
 * none (the contract of `convert --write`); --verify runs the corpus simulation on both trees first.
 */
import { existsSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { Command } from 'commander';
import { CheckFailed, UsageError } from '../errors.ts';
import { verifyOptionsFromFlags } from './verify.ts';
import { addCorpusOption, kindsCommandSpecFile, projectArgText, projectPath, SPEC_OPTION_TEXT } from './projectPath.ts';

interface SeparateFlags {
  all?: boolean;
  dryRun?: boolean;
  write?: boolean;
  force?: boolean;
  spec?: string;
  verify?: boolean;
  seeds?: string;
  workloads?: string;
  jobs?: string;
  json?: boolean;
  corpus?: boolean;
}

export function registerSeparate(program: Command): void {
  addCorpusOption(program
    .command('separate')
    .description("stage 2: give kinds whose audit is clean their own descriptor storage: allocated from their descriptor cache with their pages (alloc_pages_memdesc()), page_X() reading the memdesc word, X_page() the back pointer, the overlay *_MATCH asserts gone (a kind whose typed accessor checks a misc subtype, vmalloc, has no pointer to follow: its one field is embedded in the memdesc word); refuses (exit 1, nothing written) while `memdesc audit` has blockers")
    .argument('[args...]', `kinds to separate (ptdesc first, as the RFC does), or --all; then ${projectArgText('the tree after stage 1 (convert --all --write)')}`))
    .option('--all', 'separate every kind that has a descriptor class, in the plan\'s order (ptdesc, zpdesc, vmalloc, slab, folio, then the spec\'s others)')
    .option('--dry-run', 'print the unified diff, write nothing (the default)')
    .option('--write', 'write into the given tree: all files or none, crash-safe, one writer at a time (refuses a dirty git tree)')
    .option('--force', 'with --write: write even when the git tree has uncommitted changes')
    .option('--spec <file>', SPEC_OPTION_TEXT)
    .option('--verify', 'before writing, run the corpus simulation on the separated tree against the tree as it is (memdesc verify); a difference writes nothing and exits 1')
    .option('--seeds <seeds>', 'with --verify: N (seeds 1..N), a..b or a list (default 16)')
    .option('--workloads <list>', 'with --verify: workloads (default: all)')
    .option('--jobs <n>', 'with --verify: parallel simulations (default: available cores)')
    .option('--json', 'print { kinds: [{ kind, already, sites, layout, size, embedded? }], files, written, diff } as JSON (embedded: { subtype, field } for a kind kept in a misc memdesc word)')
    .action(async (args: string[], flags: SeparateFlags) => {
      // The library code loads only when this command runs (dist/: a chunk of its own), not for --help.
      const { resolveSpec } = await import('../model/builtin.ts');
      if (flags.write && flags.dryRun) throw new UsageError('--dry-run and --write exclude each other');
      if (flags.force && !flags.write) throw new UsageError('--force only makes sense with --write');
      for (const f of ['seeds', 'workloads', 'jobs'] as const) if (flags[f] !== undefined && !flags.verify) throw new UsageError(`--${f} only goes with --verify`);
      const vopts = flags.verify ? verifyOptionsFromFlags({ seeds: flags.seeds, workloads: flags.workloads, jobs: flags.jobs }) : undefined;
      // The project's own spec (memdesc.spec.json) unless --spec names one.
      const spec = resolveSpec(kindsCommandSpecFile(flags.spec, args, flags.corpus));
      const known = new Set(spec.kinds.map((k) => k.name));
      const kinds = args.flatMap((a) => a.split(',')).filter(Boolean);
      let given: string | undefined;
      const last = kinds[kinds.length - 1];
      if (last !== undefined && !known.has(last) && (existsSync(last) || /[/\\]/.test(last) || last === '.')) {
        given = last;
        kinds.pop();
      }
      if (flags.all && kinds.length > 0) throw new UsageError('give kinds or --all, not both');
      if (!flags.all && kinds.length === 0) throw new UsageError('name the kinds to separate, or --all');
      if (flags.write && flags.corpus) throw new UsageError("--write never writes the bundled corpus: copy it and give the copy's path");
      if (flags.write && given === undefined) throw new UsageError('--write needs the tree to write as an explicit path (e.g. `memdesc separate ptdesc . --write`)');
      const path = projectPath(given, flags.corpus, 'separate');
      const { runSeparate, writeSeparation, separateKinds } = await import('../stage2/separate.ts');
      separateKinds(spec, kinds, flags.all);
      const r = runSeparate({ path, spec, kinds, all: !!flags.all, write: !!flags.write, force: !!flags.force, deferWrite: !!flags.verify });
      try {
        let verdict: string | undefined;
        if (vopts && r.texts.size > 0) {
          if (!existsSync(join(r.root, 'sim', 'main.ts'))) throw new UsageError(`--verify needs the corpus simulation (sim/main.ts) in ${relative(process.cwd(), r.root) || '.'}; nothing was written`);
          const { verifyTrees } = await import('../verify/verify.ts');
          const overrides = Object.fromEntries([...r.texts].map(([f, t]) => [relative(r.root, f).split(sep).join('/'), t] as const));
          const v = await verifyTrees({ dir: r.root, overrides, label: 'separated (in memory)' }, r.root, vopts);
          if (!v.ok) {
            const { renderVerifyText } = await import('../verify/report-text.ts');
            process.stdout.write(flags.json ? `${JSON.stringify({ version: 1, root: r.root, verification: v }, null, 2)}\n` : renderVerifyText(v));
            throw new CheckFailed(`the separation does not verify (${v.mismatches.length} of ${v.pairs} pairs differ); nothing was written`);
          }
          verdict = `verified against the tree before: ${v.workloads.length} workloads x ${v.seeds.length} seeds`;
          if (flags.write) writeSeparation(r, !!flags.force);
        }
        if (flags.json) {
          process.stdout.write(`${JSON.stringify({
            version: 1, root: r.root, mode: flags.write ? 'write' : 'dry-run', written: r.written, kinds: r.kinds, files: r.files,
            ...(verdict ? { verify: verdict } : {}), diff: r.diff,
          }, null, 2)}\n`);
          return;
        }
        if (!flags.write) process.stdout.write(r.diff);
        const out = flags.write ? process.stdout : process.stderr;
        const lines: string[] = [];
        for (const x of r.recovered) lines.push(`an interrupted write (${x.stage}) was ${x.action}`);
        if (r.auditSkipped) lines.push(`WARNING: audit blockers skipped (${'MEMDESC_TEST_SKIP_AUDIT'}=1, test-only)`);
        for (const k of r.kinds) {
          if (k.already) {
            lines.push(`${k.kind}: already separated, nothing to do`);
            continue;
          }
          if (k.embedded) lines.push(`${k.kind}: no descriptor to allocate: ${k.embedded.field} embedded in the memdesc word (misc, ${k.embedded.subtype})`);
          else lines.push(`${k.kind}: descriptor of ${k.size} bytes (${k.layout.map((l) => `${l.field}@${l.offset}`).join(', ')})`);
          for (const s of k.sites.allocs) lines.push(`  allocates with its descriptor: ${s}`);
          for (const s of k.sites.frees) lines.push(`  frees with its descriptor: ${s}`);
        }
        lines.push('checks: type-check passed; a second run changes nothing');
        if (verdict) lines.push(verdict);
        const where = relative(process.cwd(), r.root) || '.';
        lines.push(r.written ? `wrote ${r.files.length} file${r.files.length === 1 ? '' : 's'} in ${where}` : r.files.length ? `dry run: ${r.files.length} file${r.files.length === 1 ? '' : 's'} would change (--write to apply)` : 'nothing to change');
        out.write(`${lines.join('\n')}\n`);
      } finally {
        r.lock?.release();
      }
    });
}
