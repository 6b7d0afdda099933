/**
 * A user project's series, shared by the test files of one run (test/runTrees.ts: built once by
 * the first caller, waited for by the others, read-only after): the fixture committed in a git
 * repository of its own, then `memdesc series --all --spec spec.json --out DIR` run from it as a
 * user runs it (the CLI's main() in-process, test/inProcess.ts), with what it printed. The lending
 * project's series is what test/cli/user-words.test.ts reads for its words and
 * test/e2e/user-project.test.ts for its patches, oracle verdicts, `git am`, track and status: one
 * series (the expensive part: every patch type-checked and run with the spec's oracle) for both.
 *
 * Layout of the shared folder: `<name>/` the repository (HEAD the base commit, branch `memdesc/all`
 * the series), `series/` the patches and cover letter. Tests copy it (`copyOfProjectSeries`) before
 * anything that writes into the repository (`git worktree add`).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { runMain } from './inProcess.ts';
import { sharedTree, type Built } from './runTrees.ts';

export interface ProjectSeries {
  /** The repository (read-only): HEAD the base, `memdesc/all` the series. */
  repo: string;
  /** The series' patches and cover letter (read-only). */
  out: string;
  /** What `memdesc series --all` printed (stdout: the text report; stderr: its progress lines). */
  series: Built;
}

function gitIn(dir: string, ...args: string[]): void {
  const r = spawnSync('git', args, { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
}

function layout(dir: string, name: string, series: Built): ProjectSeries {
  return { repo: join(dir, name), out: join(dir, 'series'), series };
}

/** The series of the fixture project `name` (at `fixture`), made once per run. */
export async function projectSeries(name: string, fixture: string): Promise<ProjectSeries> {
  const t = await sharedTree(`series-${name}`, async (dir) => {
    const { repo, out } = layout(dir, name, { status: 0, stdout: '', stderr: '' });
    mkdirSync(dir, { recursive: true });
    cpSync(fixture, repo, { recursive: true });
    gitIn(repo, 'init', '-q');
    // The repository's own identity: the same patches whichever test file (and git setting) builds it.
    gitIn(repo, 'config', 'user.name', `${name[0]!.toUpperCase()}${name.slice(1)} Tester`);
    gitIn(repo, 'config', 'user.email', `${name}@example.org`);
    gitIn(repo, 'add', '-A');
    gitIn(repo, 'commit', '-q', '-m', `${name}: first version of the ledger`);
    return runMain(['series', '--all', '--spec', join(repo, 'spec.json'), '--out', out], repo);
  });
  // sharedTree throws when the series failed: the verdict here is exit 0.
  return layout(t.dir, name, { status: t.status, stdout: t.stdout, stderr: t.stderr });
}

/** A writable copy of the shared series of `name` at `dest` (the repository at `dest/<name>`, patches at `dest/series`). */
export async function copyOfProjectSeries(name: string, fixture: string, dest: string): Promise<ProjectSeries> {
  const s = await projectSeries(name, fixture);
  mkdirSync(dirname(dest), { recursive: true });
  cpSync(dirname(s.repo), dest, { recursive: true });
  return layout(dest, name, s.series);
}
