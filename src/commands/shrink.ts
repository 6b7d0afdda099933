/**
 * `memdesc shrink [path] [--spec FILE] [--dry-run | --write [--force]] [--write-spec] [--json]`: stage 2's
 * last step. Remove from the spec's class every word no code uses any more and pack the rest
 * (src/stage2/shrink.ts). Dry run prints the new layout and the diff; --write writes all files or
 * none (the contract of `convert --write`). Exit 1 when nothing can be removed while kinds have not
 * left the class yet (naming what uses each word), 0 when the class is already packed.
 */
import { relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { CheckFailed, UsageError } from '../errors.ts';
import { addCorpusOption, projectArgText, projectPath, projectSpecFile, SPEC_OPTION_TEXT } from './projectPath.ts';

interface ShrinkFlags {
  dryRun?: boolean;
  write?: boolean;
  force?: boolean;
  spec?: string;
  writeSpec?: boolean;
  json?: boolean;
  corpus?: boolean;
}

export function registerShrink(program: Command): void {
  addCorpusOption(program
    .command('shrink')
    .description("stage 2, last step: remove from the spec's class every word no code uses any more (evidence: the type checker's references, the offset constants, overlay descriptors, the analysis), pack the rest (offsets renumbered where the layout is declared, the size constant updated, so the memmap is carved smaller), and report old and new layout; exit 1 when nothing can be removed while kinds still live in the class, naming what uses each word")
    .argument('[path]', projectArgText('the tree (after `separate`)')))
    .option('--dry-run', 'print the new layout and the diff, write nothing (the default)')
    .option('--write', 'write into the given tree: all files or none, crash-safe, one writer at a time (refuses a dirty git tree)')
    .option('--force', 'with --write: write even when the git tree has uncommitted changes')
    .option('--spec <file>', SPEC_OPTION_TEXT)
    .option('--write-spec', "also write the class's fields with their new words into the spec file (never the built-in spec); without it the new field table is only printed")
    .option('--json', 'print { className, layoutFile, oldSize, newSize, words: [{ word, fields, to, uses }], removed, moved, pendingKinds, specFields, files, written, diff } as JSON')
    .action(async (path: string | undefined, flags: ShrinkFlags) => {
      // The library code loads only when this command runs (dist/: a chunk of its own), not for --help.
      const { resolveSpec } = await import('../model/builtin.ts');
      if (flags.write && flags.dryRun) throw new UsageError('--dry-run and --write exclude each other');
      if (flags.force && !flags.write) throw new UsageError('--force only makes sense with --write');
      if (flags.write && flags.corpus) throw new UsageError("--write never writes the bundled corpus: copy it and give the copy's path");
      if (flags.write && path === undefined) throw new UsageError('--write needs the tree to write as an explicit path (e.g. `memdesc shrink . --write`)');
      const target = projectPath(path, flags.corpus, 'shrink');
      const specFile = projectSpecFile(flags.spec, target);
      if (flags.writeSpec && !specFile) throw new UsageError("--write-spec needs the spec's own file (--spec FILE, or the project's memdesc.spec.json): the built-in spec is not written");
      const spec = resolveSpec(specFile);
      const [{ runShrink }, { renderShrink }] = await Promise.all([import('../stage2/shrink.ts'), import('../stage2/shrinkRender.ts')]);
      const r = runShrink({ path: target, spec, write: !!flags.write, force: !!flags.force, ...(specFile ? { specFile } : {}), writeSpec: !!flags.writeSpec });
      const nothing = r.newSize === r.oldSize;
      const pending = Object.keys(r.pendingKinds);
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({ version: 1, ...r, root: r.root, mode: flags.write ? 'write' : 'dry-run' }, null, 2)}\n`);
      } else {
        const rel = relative(process.cwd(), r.root);
        const prefix = rel === '' ? '' : rel.startsWith('..') ? `${resolve(r.root)}/` : `${rel}/`;
        const out = flags.write ? process.stdout : process.stderr;
        if (!flags.write && r.diff) process.stdout.write(r.diff);
        const lines = [renderShrink(r, { pathPrefix: prefix }).trimEnd()];
        for (const x of r.recovered) lines.push(`an interrupted write (${x.stage}) was ${x.action}`);
        if (!nothing) lines.push('checks: type-check passed; a second run removes nothing more');
        if (r.specWritten) lines.push(`wrote the new field table into ${r.specWritten}`);
        const where = rel || '.';
        if (nothing && !(pending.length > 0)) lines.push(`nothing to remove: every word of ${r.className} is in use (${r.oldSize} bytes)`);
        else if (!nothing) lines.push(r.written ? `wrote ${r.files.length} file${r.files.length === 1 ? '' : 's'} in ${where}: ${r.className} is ${r.newSize} bytes` : `dry run: ${r.files.length} file${r.files.length === 1 ? '' : 's'} would change (--write to apply)`);
        out.write(`${lines.join('\n')}\n`);
      }
      if (nothing && pending.length > 0) {
        const words = r.words.map((w) => {
          const first = w.uses.find((u) => u.kind) ?? w.uses[0];
          return first ? `w${w.word} (${w.fields.join('/') || '-'}: ${first.file}:${first.line}${first.kind ? ` ${first.kind}` : ''})` : `w${w.word}`;
        });
        throw new CheckFailed(`shrink: nothing can be removed from ${r.className}: every word is in use and ${pending.join(', ')} ${pending.length === 1 ? 'has' : 'have'} not left it yet (separate first); ${words.join(', ')}`);
      }
    });
}
