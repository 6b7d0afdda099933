/**
 * `memdesc audit <kind…|--all> [path] [--corpus] [--spec FILE] [--json]`: everything that stops a
 * kind's descriptor from leaving the spec's class (struct page; stage 2). Prints the blockers per
 * kind and reason (or --json); exits 1 while any remain (a CI ratchet), 0 when every audited kind
 * is clean, 2 on bad input.
 */
import { existsSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { CheckFailed, InputError, UsageError } from '../errors.ts';
import { addCorpusOption, kindsCommandSpecFile, projectArgText, projectPath, SPEC_OPTION_TEXT } from './projectPath.ts';

interface AuditFlags {
  all?: boolean;
  corpus?: boolean;
  spec?: string;
  json?: boolean;
}

export function registerAudit(program: Command): void {
  addCorpusOption(program
    .command('audit')
    .description("list everything that stops a kind's descriptor from leaving the spec's class (stage 2: separately allocated descriptors): raw accesses left, writes and reads of the words the memdesc word will occupy, pointer arithmetic and address round trips; exit 1 while any remain")
    .argument('[args...]', `kinds that have a descriptor class, then optionally ${projectArgText()}`))
    .option('--all', 'audit every kind that has a descriptor class')
    .option('--spec <file>', `${SPEC_OPTION_TEXT}; its field "memdesc" of the class says which words the memdesc word occupies`)
    .option('--json', 'print { kinds, memdescWords, blockers: [{ file, line, column, function, kind, field, words, reason, detail }], summary, memdescAware } (docs/schemas/audit.schema.json)')
    .action(async (args: string[], flags: AuditFlags) => {
      // The library code loads only when this command runs (dist/: a chunk of its own), not for --help.
      const [{ resolveSpec }, { specWords }] = await Promise.all([import('../model/builtin.ts'), import('../model/words.ts')]);
      // The project's own spec (memdesc.spec.json) unless --spec names one.
      const spec = resolveSpec(kindsCommandSpecFile(flags.spec, args, flags.corpus));
      const names = new Set(spec.kinds.map((k) => k.name));
      // Kinds first, then at most one path (the last word, when it is no kind and looks like a path).
      let kinds = [...args];
      let path: string | undefined;
      const last = kinds[kinds.length - 1];
      if (last !== undefined && (flags.all || (!names.has(last) && (existsSync(last) || /[/.\\]/.test(last))))) {
        path = last;
        kinds = kinds.slice(0, -1);
      }
      kinds = kinds.flatMap((k) => k.split(',')).filter(Boolean);
      if (flags.all && kinds.length) throw new UsageError('give kinds or --all, not both');
      if (!flags.all && kinds.length === 0) throw new UsageError('name the kinds to audit, or --all');
      const { auditProgram, checkAuditOptions } = await import('../stage2/audit.ts');
      const opts = { spec, kinds };
      checkAuditOptions(opts);
      const target = projectPath(path, flags.corpus, 'audit');
      if (!existsSync(target)) throw new InputError(`no such path: ${target}`);
      const [{ loadProgram }, { renderAudit }] = await Promise.all([import('../analyzers/project.ts'), import('../stage2/render.ts')]);
      const { program: tsProgram, root } = loadProgram(target);
      const result = auditProgram(tsProgram, root, opts);
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      } else {
        const rel = relative(process.cwd(), root);
        const prefix = rel === '' ? '' : rel.startsWith('..') ? `${root}/` : `${rel}/`;
        process.stdout.write(renderAudit({ ...result, root: rel === '' ? '.' : rel.startsWith('..') ? resolve(root) : rel }, { pathPrefix: prefix, className: specWords(spec).object }));
      }
      const left = result.kinds.filter((k) => result.summary.byKind[k]);
      if (left.length > 0) {
        throw new CheckFailed(`audit: ${left.map((k) => `${k} has ${result.summary.byKind[k]} blocker${result.summary.byKind[k] === 1 ? '' : 's'}`).join(', ')}`);
      }
    });
}
