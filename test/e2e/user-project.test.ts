/**
 * A user's own project through the whole pipeline, as a user runs it from the project's
 * directory: the lending fixture (a Slot class whose words mean loans, holds, fines and free
 * slots; strict tsconfig with noUnusedLocals, noUnusedParameters and verbatimModuleSyntax; the
 * spec names its oracle). analyze -> convert --write (type-checks under the project's own compiler
 * options, with TypeScript's own tsc) -> verify with --entry and with --run -> series, every patch
 * verified with the spec's oracle -> `git am` of the patches reproduces the tip -> track of the
 * series -> status at the tip with the series' own cover letter as the plan. The series is the
 * run's shared one of the lending project (test/projectSeries.ts: the same command from a git
 * repository of the fixture, run once per run; test/cli/user-words.test.ts judges its words), its
 * text report read here. The commands run
 * in-process from the project's directory (the CLI's main() with its own working directory,
 * test/inProcess.ts: the same output and exit codes, no process per command; the installed
 * command as a process of its own is test/cli/package.test.ts's).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnalysisResult } from '../../src/model/findings.ts';
import type { ProgressPoint, TrackReport } from '../../src/model/progress.ts';
import { PACKAGE_ROOT, RUN_TS } from '../../src/paths.ts';
import { runMain as cli } from '../inProcess.ts';
import { copyOfProjectSeries } from '../projectSeries.ts';
import { amOnto, git, useIsolatedGit } from '../series/helpers.ts';

const LENDING = join(PACKAGE_ROOT, 'test', 'fixtures', 'projects', 'lending');
const TSC = join(PACKAGE_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

function ok(r: { status: number; stdout: string; stderr: string }, what: string): string {
  expect(r.status, `${what}: ${r.stderr}${r.stdout.slice(0, 2000)}`).toBe(0);
  return r.stdout;
}

/** Unconverted findings per kind: what status must call remaining (a raw access is never counted done). */
function rawByKind(a: AnalysisResult): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of a.findings) if (!f.converted) out[f.kind] = (out[f.kind] ?? 0) + 1;
  return out;
}

describe('the lending project end to end', () => {
  useIsolatedGit({ name: 'Lending Tester', email: 'lending@example.org' });
  let root: string;
  let repo: string;
  let spec: string;
  let before: AnalysisResult;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'memdesc-e2e-'));
    repo = join(root, 'lending');
    cpSync(LENDING, repo, { recursive: true });
    spec = join(repo, 'spec.json');
    git(repo, 'init', '-q');
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'lending: the ledger, the desk and its report');
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('analyze: every kind has raw accesses, the wrapper passed as a value is not lost', async () => {
    before = JSON.parse(ok(await cli(['analyze', '--spec', spec, '--json'], repo), 'analyze')) as AnalysisResult;
    const raw = rawByKind(before);
    for (const k of ['loan', 'hold', 'fine', 'free']) expect(raw[k], k).toBeGreaterThan(0);
    // `.map(dueDateOf)` in src/report.ts: a finding or residue there, never nothing.
    const report = [...before.findings, ...before.residue].filter((x) => x.file === 'src/report.ts');
    expect(report.length).toBeGreaterThan(0);
  });

  it('convert --all --write: tsc is clean under the project\'s own options, the oracle agrees, nothing raw counted done', async () => {
    const copy = join(root, 'converted');
    cpSync(repo, copy, { recursive: true });
    ok(await cli(['convert', '--all', '.', '--spec', spec, '--write'], copy), 'convert --write');
    const tsc = spawnSync(process.execPath, [TSC, '--noEmit', '-p', join(copy, 'tsconfig.json')], { encoding: 'utf8' });
    expect(tsc.status, tsc.stdout).toBe(0);
    // The user's oracle both ways: an entry bundled by memdesc, and any command.
    ok(await cli(['verify', copy, '--against', repo, '--entry', 'src/main.ts']), 'verify --entry');
    const run = `${JSON.stringify(process.execPath)} ${JSON.stringify(RUN_TS)} src/main.ts`;
    ok(await cli(['verify', copy, '--against', repo, '--run', run]), 'verify --run');
    // The oracle is no rubber stamp: a behaviour change in the converted copy is caught.
    const main = join(copy, 'src', 'main.ts');
    writeFileSync(main, `${readFileSync(main, 'utf8')}\nconsole.log('one more line');\n`);
    const bad = await cli(['verify', copy, '--against', repo, '--entry', 'src/main.ts']);
    expect(bad.status).toBe(1);
    expect(bad.stdout).toMatch(/one more line/);
    // Whatever raw access is left is counted as remaining, kind by kind.
    const after = JSON.parse(ok(await cli(['analyze', copy, '--spec', spec, '--json']), 'analyze converted')) as AnalysisResult;
    const status = JSON.parse(ok(await cli(['status', copy, '--spec', spec, '--json']), 'status converted')) as ProgressPoint;
    const left = rawByKind(after);
    for (const [k, p] of Object.entries(status.kinds)) expect(p.remaining, k).toBe(left[k] ?? 0);
    expect(after.findings.filter((f) => f.converted).length).toBeGreaterThan(0);
  }, 120_000);

  it('series: every patch type-checks and is verified with the spec\'s oracle; git am reproduces the tip; track and status --plan agree', async () => {
    // The run's one series of the lending project (test/projectSeries.ts: `series --all --spec spec.json
    // --out DIR` run from a git repository of the fixture, as here; test/cli/user-words.test.ts judges its
    // words), copied: git am adds a worktree to the copy's repository.
    const shared = await copyOfProjectSeries('lending', LENDING, join(root, 'shared'));
    const { out } = shared;
    const text = shared.series.stdout;
    // Exit 0: the series is complete and every patch verified (the command fails otherwise: src/commands/series.ts).
    expect(shared.series.status, shared.series.stderr).toBe(0);
    const head = /^memdesc series: (\d+) patches on (\S+) in .* \(base ([0-9a-f]{12})\)/.exec(text);
    expect(head, text).not.toBeNull();
    const r = { branch: head![2]!, commits: [...text.matchAll(/^ {2}(\d{3}) ([0-9a-f]{12}) (.*)\n {8}(.*)$/gm)].map((m) => ({ sha: m[2]!, subject: m[3]!, verdict: m[4]! })) };
    expect(text).toMatch(/^ {2}tip equals the one-shot conversion/m);
    expect(r.commits).toHaveLength(Number(head![1]));
    expect(r.commits.length).toBeGreaterThan(4);
    for (const c of r.commits) {
      // Each patch's verdict: the spec's oracle, run once in each tree, identical.
      expect(c.verdict, c.subject).toMatch(/src\/main\.ts.*, run once: identical \(exit \d+/);
      // The project's own subject prefix, from its history.
      expect(c.subject).toMatch(/^lending: /);
    }
    const { repo: seriesRepo } = shared;
    const seriesSpec = join(seriesRepo, 'spec.json');
    // The series leaves HEAD at its base (the branch is built in a worktree of its own).
    const base = git(seriesRepo, 'rev-parse', 'HEAD').trim();
    expect(base.startsWith(head![3]!)).toBe(true);
    const cover = readFileSync(join(out, '0000-cover-letter.patch'), 'utf8');
    expect(cover.replace(/\s+/g, ' ')).toMatch(/Every patch type-checks and was run against the base with the project's own oracle/);

    const am = amOnto(seriesRepo, base, out);
    expect(am.status, am.stderr).toBe(0);
    expect(git(am.dir, 'rev-parse', 'HEAD^{tree}')).toBe(git(seriesRepo, 'rev-parse', `${r.branch}^{tree}`));

    const track = JSON.parse(ok(await cli(['track', '--spec', seriesSpec, '--range', `${base}..${r.branch}`, '--json', '--no-cache'], seriesRepo), 'track')) as TrackReport;
    expect(track.points).toHaveLength(r.commits.length);
    const tip = track.points.at(-1)!;
    const first = before.summary.findings;
    const remaining = (p: ProgressPoint): number => Object.values(p.kinds).reduce((n, k) => n + k.remaining, 0);
    expect(remaining(tip)).toBeLessThan(first);
    // Raw accesses only go down along the series.
    for (let i = 1; i < track.points.length; i++) expect(remaining(track.points[i]!)).toBeLessThanOrEqual(remaining(track.points[i - 1]!));

    // At the tip (the tree git am made), the series' own cover letter as a plan: every patch done.
    const status = JSON.parse(ok(await cli(['status', '--spec', seriesSpec, '--plan', join(out, '0000-cover-letter.patch'), '--json'], am.dir), 'status --plan')) as ProgressPoint & { plan: { patches: Array<{ subject: string; state: string; reason: string }> } };
    const notDone = status.plan.patches.filter((p) => p.state !== 'done');
    expect(notDone, notDone.map((p) => `${p.subject}: ${p.state}: ${p.reason}`).join('\n')).toEqual([]);
    for (const [k, p] of Object.entries(status.kinds)) expect(p.remaining, k).toBe(tip.kinds[k]!.remaining);
  }, 180_000);
});
