/**
 * `memdesc init [path] --class NAME [--out FILE]`: draft a spec for a class of the project (its
 * fields and words, candidate kinds from type tests and allocators, wrappers, the oracle), to be
 * edited by the user. Written to a new file only (default memdesc.spec.json in the project);
 * `--out -` prints it.
 */
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../errors.ts';
import { PACKAGE_ROOT } from '../paths.ts';

interface InitFlags {
  class?: string;
  out?: string;
}

/** How the draft names the schema: relative to the draft's folder, so the project can move. */
function schemaRef(outDir: string): string {
  const schema = join(PACKAGE_ROOT, 'docs', 'schemas', 'spec.schema.json');
  const rel = relative(outDir, schema).split(sep).join('/');
  return rel.startsWith('.') ? rel : `./${rel}`;
}

export function registerInit(program: Command): void {
  program
    .command('init')
    .description('draft a spec for a class of your project: its fields and words, candidate kinds (type tests, allocators), wrappers, oracle')
    .argument('[path]', 'TypeScript project: a directory with tsconfig.json, or a tsconfig file (default: the current directory)')
    .option('--class <name>', 'the class whose words are reused under generic names (required)')
    .option('--out <file>', 'where to write the draft, a file that does not exist yet (default: memdesc.spec.json in the project; - prints it)')
    .action(async (path: string | undefined, flags: InitFlags) => {
      const [{ draftSpec, candidateClasses }, { writeNewFile }, { resolveTsconfig }, { formatJson }] = await Promise.all([
        import('../init/draft.ts'), import('../init/write.ts'), import('../analyzers/project.ts'), import('../init/format.ts'),
      ]);
      if (!flags.class) {
        // Name the classes that look like the target: their fields sit at address offsets.
        const found = candidateClasses(path ?? '.').slice(0, 5);
        const hint = found.length > 0 ? `; classes here laid out over words: ${found.map((c) => `${c.name} (${c.file}, ${c.fields} fields)`).join(', ')}` : '';
        throw new UsageError(`init needs --class NAME: the class to draft a spec for${hint}`);
      }
      const { root } = resolveTsconfig(path ?? '.');
      const toStdout = flags.out === '-';
      const out = toStdout ? undefined : resolve(flags.out ?? join(root, 'memdesc.spec.json'));
      if (out) {
        // Refuse before the (slower) analysis.
        const { existsSync } = await import('node:fs');
        if (existsSync(out)) throw new UsageError(`${flags.out ?? out} exists: init never overwrites a file (name another with --out, or --out - to print the draft)`);
      }
      const draft = draftSpec({ path: path ?? '.', className: flags.class, schemaRef: schemaRef(out ? dirname(out) : root) });
      const text = formatJson(draft.spec);
      const f = draft.found;
      const kinds = f.kinds.map((k) => (k.corroborated ? k.name : `${k.name}?`));
      const summary = [
        `memdesc init: class ${flags.class} (${f.classFile}): ${f.fields} fields over ${f.words} words${f.wordSize ? ` of ${f.wordSize} bytes` : ''}`,
        `  kinds: ${kinds.length > 0 ? kinds.join(', ') : 'none found (a placeholder kind1)'}${kinds.some((k) => k.endsWith('?')) ? ' (?: a type test alone)' : ''}`,
        `  wrappers: ${f.wrappers}, assertions: ${f.assertions}, oracle: ${f.oracle ?? 'none found'}`,
        // Type tests, wrappers and assertions come from the code; these rest on names only.
        ...(f.kinds.length > 0 ? ['  guessed from names: kind names and which tests each groups, which kind each allocator serves (none: neutralSources), owner files (each kind\'s description says which)'] : []),
      ];
      if (toStdout) {
        process.stdout.write(text);
        process.stderr.write(`${summary.join('\n')}\n`);
        return;
      }
      writeNewFile(out!, text);
      const shown = relative(process.cwd(), out!) || out!;
      process.stderr.write(`${summary.join('\n')}\n`);
      process.stdout.write(`wrote ${shown}: edit it (kind names, descriptor field names), then: memdesc analyze ${path ?? '.'} --spec ${shown}\n`);
    });
}
