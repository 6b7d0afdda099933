/**
 * A new user's first run: `init --class Slot` drafts the lending fixture's spec (descriptor fields
 * named as the class's, no owners beyond the kinds' own files), then `convert --all --write` with
 * that draft as it is. It once refused: the conversion inlined the last call of `dueDateOf()`, a
 * spec wrapper also passed as a callback (`slots.filter(isLoan).map(dueDateOf)`), the analysis of
 * the result no longer counted it a wrapper (nothing called it), and a second run converted its
 * body by the owner hint ("not idempotent; nothing was written"). A use as a value keeps a
 * wrapper in the analysis; and since the callback's elements passed loan's type test, the
 * conversion inlines it there for loans (`map((s) => slotToLoan(s).b)`) and retires the wrapper,
 * which nothing uses any more. A second run changes nothing.
 * The commands run through the CLI's main() in this process (test/inProcess.ts).
 */
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.ts';
import { runMain as cli, type MainResult } from '../inProcess.ts';
import { copyTree } from './helpers.ts';

const LENDING = join(PACKAGE_ROOT, 'test', 'fixtures', 'projects', 'lending');

describe('lending with the spec init drafts: convert --all --write, then again', () => {
  let dir = '';
  let spec = '';
  let first: MainResult;
  let loansBefore = '';
  let reportBefore = '';

  beforeAll(async () => {
    dir = copyTree(LENDING);
    rmSync(join(dir, 'spec.json'));
    const init = await cli(['init', dir, '--class', 'Slot']);
    expect(init.status, init.stderr).toBe(0);
    spec = join(dir, 'memdesc.spec.json');
    loansBefore = readFileSync(join(dir, 'src', 'loans.ts'), 'utf8');
    reportBefore = readFileSync(join(dir, 'src', 'report.ts'), 'utf8');
    // --verify: the draft's oracle (src/main.ts) on both trees before anything is written.
    first = await cli(['convert', '--all', dir, '--spec', spec, '--write', '--verify']);
  }, 240_000);
  afterAll(() => rmSync(dirname(dir), { recursive: true, force: true }));

  it('writes the conversion, checked to type-check, to change nothing on a second run and to behave the same', () => {
    const out = first.stdout + first.stderr;
    expect(out).not.toMatch(/not idempotent/);
    expect(out).toMatch(/checks: type-check passed; a second run changes nothing; verified with the spec's oracle.*identical/);
    expect(first.status).toBe(0);
  });

  it('inlines the wrapper passed as a callback over loans for the loan kind, and retires it', () => {
    const wrapper = 'export function dueDateOf(s: Slot): number {\n  return s.b;\n}\n';
    expect(loansBefore).toContain(wrapper);
    expect(readFileSync(join(dir, 'src', 'loans.ts'), 'utf8')).not.toContain('dueDateOf');
    expect(reportBefore).toContain('  return slots.filter(isLoan).map(dueDateOf).sort((x, y) => x - y);\n');
    expect(readFileSync(join(dir, 'src', 'report.ts'), 'utf8')).toContain('  return slots.filter(isLoan).map((s) => slotToLoan(s).b).sort((x, y) => x - y);\n');
    expect(first.stdout).toMatch(/retired: dueDateOf\(\)/);
    expect(first.stdout).not.toMatch(/residue b: wrapper `dueDateOf\(\)` used as a value/);
  });

  it('a second run finds nothing to change and writes nothing', async () => {
    const loans = readFileSync(join(dir, 'src', 'loans.ts'), 'utf8');
    const again = await cli(['convert', '--all', dir, '--spec', spec, '--dry-run']);
    expect(again.status).toBe(0);
    // A dry run's diff is its stdout (none); its report goes to stderr.
    expect(again.stdout).toBe('');
    expect(again.stderr).toMatch(/: 0 sites converted, 0 function signature changes, 0 files \(dry run: nothing written\)/);
    expect(readFileSync(join(dir, 'src', 'loans.ts'), 'utf8')).toBe(loans);
  });
});
