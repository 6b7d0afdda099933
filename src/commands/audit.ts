/**
 * `memdesc audit <kind…|--all> [path] [--spec FILE] [--json]`: everything that stops a kind from
 * leaving struct page (stage 2). Prints the blockers per kind and reason (or --json); exits 1
 * while any remain (a CI ratchet), 0 when every audited kind is clean, 2 on bad input.
 */
import { existsSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { CheckFailed, InputError, UsageError } from '../errors.ts';
import { resolveSpec } from '../model/builtin.ts';
import { BUNDLED_CORPUS } from '../paths.ts';

interface AuditFlags {
  all?: boolean;
  spec?: string;
  json?: boolean;
}

export function registerAudit(program: Command): void {
  program
    .command('audit')
    .description('list everything that stops a kind\'s descriptor from leaving struct page: raw accesses left, writes and reads of the words the memdesc word occupies, page arithmetic and address round trips; exit 1 while any remain')
    .argument('[args...]', 'kinds (with a descriptor), then optionally the project path: a directory with tsconfig.json, or a tsconfig file (default: the bundled corpus)')
    .option('--all', 'audit every kind that has a descriptor type')
    .option('--spec <file>', 'spec JSON for another codebase or extra kinds ("extends": "builtin"); its page field "memdesc" says which word the memdesc word occupies')
    .option('--json', 'print { blockers: [{ file, line, column, function, kind, field, words, reason, detail }], summary, … } (docs/schemas/audit.schema.json)')
    .action(async (args: string[], flags: AuditFlags) => {
      const spec = resolveSpec(flags.spec);
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
      const target = path ?? BUNDLED_CORPUS;
      if (!existsSync(target)) throw new InputError(`no such path: ${target}`);
      const [{ loadProgram }, { renderAudit }] = await Promise.all([import('../analyzers/project.ts'), import('../stage2/render.ts')]);
      const { program: tsProgram, root } = loadProgram(target);
      const result = auditProgram(tsProgram, root, opts);
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      } else {
        const rel = relative(process.cwd(), root);
        const prefix = rel === '' ? '' : rel.startsWith('..') ? `${root}/` : `${rel}/`;
        process.stdout.write(renderAudit({ ...result, root: rel === '' ? '.' : rel.startsWith('..') ? resolve(root) : rel }, { pathPrefix: prefix }));
      }
      const left = result.kinds.filter((k) => result.summary.byKind[k]);
      if (left.length > 0) {
        throw new CheckFailed(`audit: ${left.map((k) => `${k} has ${result.summary.byKind[k]} blocker${result.summary.byKind[k] === 1 ? '' : 's'}`).join(', ')}`);
      }
    });
}
