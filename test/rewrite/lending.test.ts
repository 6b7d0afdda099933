/**
 * The lending fixture end to end: `convert --all --write` on a copy, then the project's own
 * `tsc --noEmit` (strict, noUnusedLocals, noUnusedParameters, verbatimModuleSyntax), its oracle
 * (`verify --entry src/main.ts` against the original), a second run that changes nothing, and
 * every raw read left in the code accounted for — checked against the TypeScript language
 * service's own references, not the analyzer's — so none is counted done. The commands run
 * through the CLI's main() in this process (test/inProcess.ts: a spawned memdesc's output and exit
 * codes); tsc and the oracle runs are the child processes they are.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { Project, SyntaxKind } from 'ts-morph';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeDetailed } from '../../src/analyzers/analyze.ts';
import { loadProgram } from '../../src/analyzers/project.ts';
import { builtinSpec } from '../../src/model/builtin.ts';
import { loadSpecFile } from '../../src/model/spec-validate.ts';
import { PACKAGE_ROOT } from '../../src/paths.ts';
import { runMain as cli, type MainResult } from '../inProcess.ts';
import { copyTree } from './helpers.ts';

const LENDING = join(PACKAGE_ROOT, 'test', 'fixtures', 'projects', 'lending');

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('lending: convert --all --write, then its own type-check and oracle', () => {
  let dir: string;
  let convert: MainResult;

  beforeAll(async () => {
    dir = copyTree(LENDING);
    // --verify runs the spec's oracle (src/main.ts) on both trees before anything is written.
    convert = await cli(['convert', '--all', dir, '--spec', join(dir, 'spec.json'), '--write', '--verify']);
  });
  afterAll(() => rmSync(dirname(dir), { recursive: true, force: true }));

  it('writes the conversion', () => {
    const out = convert.stdout + convert.stderr;
    expect(out).toMatch(/checks: type-check passed; a second run changes nothing; verified with the spec's oracle.*identical/);
    expect(convert.status).toBe(0);
    expect(out).toMatch(/created: Loan in src\/loanSlot\.ts/);
  });

  it('type-checks with tsc under the project\'s own tsconfig', () => {
    const r = spawnSync(process.execPath, [join(PACKAGE_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit', '-p', join(dir, 'tsconfig.json')], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('behaves the same: the project\'s oracle prints the same report', async () => {
    const r = await cli(['verify', dir, '--against', LENDING, '--entry', 'src/main.ts']);
    expect(r.stdout).toMatch(/identical: \d+ lines compared/);
    expect(r.status).toBe(0);
  });

  it('a second run changes nothing', async () => {
    const r = await cli(['convert', '--all', dir, '--spec', join(dir, 'spec.json')]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
  });

  it('uses the project\'s names: camelCase converters, the spec\'s words, no kernel words', () => {
    const loan = readFileSync(join(dir, 'src/loanSlot.ts'), 'utf8');
    expect(loan).toContain('export function slotToLoan(slot: Slot): Loan;');
    expect(readFileSync(join(dir, 'src/slots.ts'), 'utf8')).toContain('export function slotToFreeSlot(slot: Slot): FreeSlot;');
    for (const f of tsFiles(join(dir, 'src'))) expect(readFileSync(f, 'utf8'), f).not.toMatch(/\bpages?\b|struct page|\bmm\b/i);
    // Exported helpers stay (callers outside the project may use them), retyped or converted inside.
    expect(readFileSync(join(dir, 'src/loans.ts'), 'utf8')).toMatch(/export function bookOnLoan\(s: Loan\): number \{\n {2}return s\.bookId;/);
    expect(readFileSync(join(dir, 'src/loans.ts'), 'utf8')).toMatch(/export function dueDateOf\(s: Slot\): number \{\n {2}return slotToLoan\(s\)\.dueOn;/);
  });

  it('counts every raw read left in the code as not done (checked against the language service\'s references)', async () => {
    const spec = loadSpecFile(join(dir, 'spec.json'), builtinSpec());
    const { program, root } = loadProgram(dir);
    const det = analyzeDetailed(program, root, { spec });
    const at = (file: string, line: number, column: number) => `${file}:${line}:${column}`;
    const open = new Set(det.result.findings.filter((f) => !f.converted).map((f) => at(f.file, f.line, f.column)));
    const done = new Set(det.result.findings.filter((f) => f.converted).map((f) => at(f.file, f.line, f.column)));
    const residue = new Set(det.result.residue.map((r) => at(r.file, r.line, r.column)));
    // Reads inside a wrapper's body are counted at its calls, while it has any.
    const calledWrappers = new Set(det.result.findings.filter((f) => f.wrapper && !f.converted).map((f) => f.wrapper!));

    const project = new Project({ tsConfigFilePath: join(dir, 'tsconfig.json') });
    const slot = project.getSourceFileOrThrow(join(dir, 'src/slot.ts')).getClassOrThrow('Slot');
    const raw: string[] = [];
    for (const field of spec.page.fields.filter((f) => f.track !== 'never')) {
      for (const acc of slot.getMembers().filter((m) => (m.isKind(SyntaxKind.GetAccessor) || m.isKind(SyntaxKind.SetAccessor)) && m.getName() === field.name)) {
        const refs = acc.isKind(SyntaxKind.GetAccessor) ? acc.findReferencesAsNodes() : acc.asKindOrThrow(SyntaxKind.SetAccessor).findReferencesAsNodes();
        for (const ref of refs) {
          if (ref.getSourceFile().getFilePath() === slot.getSourceFile().getFilePath() && ref.getFirstAncestorByKind(SyntaxKind.ClassDeclaration) === slot) continue;
          const sf = ref.getSourceFile();
          const { line, column } = sf.getLineAndColumnAtPos(ref.getStart());
          const site = at(relative(root, sf.getFilePath()), line, column);
          const fn = ref.getFirstAncestor((a) => a.isKind(SyntaxKind.FunctionDeclaration) || a.isKind(SyntaxKind.ArrowFunction))?.getSymbol()?.getName();
          raw.push(site);
          expect(done.has(site), `${site} is a raw read counted as converted`).toBe(false);
          expect(open.has(site) || residue.has(site) || (!!fn && calledWrappers.has(fn)), `${site}: a raw read of ${field.name} nobody counts`).toBe(true);
        }
      }
    }
    expect(new Set(raw).size).toBeGreaterThan(0);
    const status = await cli(['status', dir, '--spec', join(dir, 'spec.json'), '--json']);
    expect(status.status).toBe(0);
    const point = JSON.parse(status.stdout) as { kinds: Record<string, { remaining: number; percent: number }>; unknown: number };
    const left = Object.values(point.kinds).reduce((n, k) => n + k.remaining, 0) + point.unknown;
    expect(left).toBeGreaterThanOrEqual(new Set(raw).size - residue.size);
    // The CI ratchet agrees with status, kind by kind: it passes only where nothing raw is left.
    for (const [kind, p] of Object.entries(point.kinds)) {
      const r = await cli(['analyze', dir, '--spec', join(dir, 'spec.json'), '--fail-on-remaining', kind, '--no-sites']);
      expect(r.status, `${kind}: ${r.stderr}`).toBe(p.remaining > 0 ? 1 : 0);
      expect(p.percent === 100).toBe(p.remaining === 0);
    }
  });
});
