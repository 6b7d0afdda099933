/**
 * `memdesc analyze [path]`: find raw struct page field accesses, classify them by memory
 * descriptor kind, explain why. Prints the table and sites (or --json), writes --sarif FILE,
 * and with --fail-on-remaining K exits 1 while kind K has raw accesses (a CI ratchet).
 */
import { readFileSync } from 'node:fs';
import { writeAtomic } from './write-atomic.ts';
import { join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { CheckFailed, InputError, UsageError } from '../errors.ts';
import { PACKAGE_ROOT } from '../paths.ts';
import { addCorpusOption, defaultProject, projectArgText, projectPath, projectSpecFile, SPEC_OPTION_TEXT } from './projectPath.ts';
import { UNKNOWN_KIND } from '../model/spec.ts';

interface AnalyzeFlags {
  residue?: string;
  kind?: string[];
  field?: string[];
  spec?: string;
  json?: boolean;
  sarif?: string;
  failOnRemaining?: string[];
  sites?: boolean;
  explain?: string;
  corpus?: boolean;
}

function collect(value: string, prev: string[] | undefined): string[] {
  return [...(prev ?? []), ...value.split(',').map((s) => s.trim()).filter(Boolean)];
}

function toolVersion(): string | undefined {
  try {
    return (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

export function registerAnalyze(program: Command): void {
  addCorpusOption(program
    .command('analyze')
    .description("find every raw access to the fields of the spec's class, classify it by the spec's kinds (descriptor classes), and say why")
    .argument('[path]', projectArgText()))
    .option('--kind <kind>', 'only this kind (repeatable, or comma-separated; "unknown" allowed)', collect)
    .option('--field <field>', "only this raw field of the spec's class (repeatable, or comma-separated)", collect)
    .option('--spec <file>', SPEC_OPTION_TEXT)
    .option('--json', 'print the findings JSON instead of the table and sites')
    .option('--sarif <file>', 'also write SARIF 2.1.0 (GitHub code scanning) to FILE')
    .option('--fail-on-remaining <kind>', 'exit 1 while KIND still has raw accesses (repeatable)', collect)
    .option('--no-sites', 'print only the table')
    .option('--residue <mode>', "'ranked' (default): residue by cause, the sites that may be the class first, any-typed receivers and unresolved modules as counts; 'all': every site")
    .option('--explain <file:line[:col]>', 'print the evidence chain of the finding(s) there, hop by hop with locations (FILE as printed, or relative to the project); exit 2 when no finding is there')
    .action(async (path: string | undefined, flags: AnalyzeFlags) => {
      // The analyzer (ts-morph and its TypeScript) loads only when this command runs.
      const [{ analyzeDetailed, analyzeProgram, checkFilters, filterResult }, { loadProgram }, { renderText }, { toSarif }, explain, { resolveSpec }] = await Promise.all([
        import('../analyzers/analyze.ts'), import('../analyzers/project.ts'), import('../analyzers/report-text.ts'), import('../analyzers/report-sarif.ts'),
        import('../analyzers/explain.ts'), import('../model/builtin.ts'),
      ]);
      if (flags.explain !== undefined) {
        const clash = [flags.json && '--json', flags.sarif && '--sarif', flags.failOnRemaining && '--fail-on-remaining'].filter(Boolean);
        if (clash.length) throw new UsageError(`--explain prints one site's evidence; it does not combine with ${clash.join(', ')}`);
      }
      const place = flags.explain !== undefined ? explain.parsePlace(flags.explain) : undefined;
      if (flags.residue !== undefined && flags.residue !== 'ranked' && flags.residue !== 'all') throw new UsageError(`--residue must be 'ranked' or 'all', got '${flags.residue}'`);
      const residueMode = (flags.residue ?? 'ranked') as 'ranked' | 'all';
      const spec = resolveSpec(projectSpecFile(flags.spec, path ?? defaultProject(flags.corpus)));
      const known = [...spec.kinds.map((k) => k.name), UNKNOWN_KIND];
      for (const k of flags.failOnRemaining ?? []) {
        if (!known.includes(k)) throw new UsageError(`unknown kind '${k}' for --fail-on-remaining (known: ${known.join(', ')})`);
      }
      const opts = { spec, ...(flags.kind ? { kinds: flags.kind } : {}), ...(flags.field ? { fields: flags.field } : {}) };
      checkFilters(opts);
      const target = projectPath(path, flags.corpus, 'analyze');
      // The analysis reads no JSDoc node: parse it only as far as types need (as tsc does).
      const { program, root } = loadProgram(target, { jsDocForTypesOnly: true });
      const rel = relative(process.cwd(), root);
      const prefix = rel === '' ? '' : rel.startsWith('..') ? `${root}/` : `${rel}/`;
      if (place) {
        const det = analyzeDetailed(program, root, { spec });
        const kept = new Set(filterResult(det.result, opts).findings);
        const sites = explain.sitesAt(det.sites.filter((s) => kept.has(s.finding)), place, root, process.cwd());
        process.stdout.write(explain.renderExplain(sites, prefix));
        return;
      }
      const full = analyzeProgram(program, root, { spec });
      const result = filterResult(full, opts);
      if (flags.sarif) {
        try {
          writeAtomic(flags.sarif, `${JSON.stringify(toSarif(result, spec, { root, ...versionOpt() }), null, 2)}\n`, 'the SARIF log');
        } catch (e) {
          throw new InputError(`cannot write SARIF to ${flags.sarif}: ${(e as Error).message}`);
        }
      }
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      } else {
        process.stdout.write(renderText({ ...result, root: rel === '' ? '.' : rel.startsWith('..') ? resolve(root) : rel }, { pathPrefix: prefix, sites: flags.sites !== false, residue: residueMode, className: spec.page.class }));
      }
      const broken = (flags.failOnRemaining ?? []).map((k) => [k, full.findings.filter((f) => f.kind === k && !f.converted).length] as const)
        .filter(([, n]) => n > 0);
      if (broken.length > 0) {
        throw new CheckFailed(`ratchet: ${broken.map(([k, n]) => `${k} still has ${n} raw access${n === 1 ? '' : 'es'}`).join(', ')}`);
      }
    });
}

function versionOpt(): { toolVersion?: string } {
  const v = toolVersion();
  return v ? { toolVersion: v } : {};
}
