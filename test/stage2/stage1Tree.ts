/**
 * The fixture the stage-2 corpus tests share: a temp folder holding a copy of the run's stage-1
 * corpus (`stage1`, the reference) and a second copy to separate (`tree`, optionally a git
 * repository with one commit), an environment with its own cache and git identity and without the
 * test-only audit bypass, and the CLI and git run in it.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SKIP_AUDIT_ENV } from '../../src/stage2/separate.ts';
import { copyOfStage1 } from '../stage1.ts';

const REPO = join(import.meta.dirname, '..', '..');

export interface Stage1Tree {
  base: string;
  stage1: string;
  tree: string;
  env: NodeJS.ProcessEnv;
  memdesc(args: string[]): SpawnSyncReturns<string>;
  git(cwd: string, args: string[]): void;
  cleanup(): void;
}

export async function stage1Tree(prefix: string, opts: { git?: boolean } = {}): Promise<Stage1Tree> {
  const base = mkdtempSync(join(tmpdir(), prefix));
  const stage1 = join(base, 'stage1');
  const tree = join(base, 'tree');
  const env: NodeJS.ProcessEnv = {
    ...process.env, MEMDESC_CACHE_DIR: join(base, '.cache'),
    GIT_AUTHOR_NAME: 'T', GIT_AUTHOR_EMAIL: 't@example.invalid', GIT_COMMITTER_NAME: 'T', GIT_COMMITTER_EMAIL: 't@example.invalid',
    GIT_CONFIG_GLOBAL: join(base, 'gitconfig'),
  };
  delete env[SKIP_AUDIT_ENV];
  writeFileSync(join(base, 'gitconfig'), '');
  const memdesc = (args: string[]) =>
    spawnSync(process.execPath, [join(REPO, 'bin', 'memdesc.mjs'), ...args], { encoding: 'utf8', env, maxBuffer: 64 << 20 });
  const git = (cwd: string, args: string[]) => {
    const r = spawnSync('git', args, { cwd, encoding: 'utf8', env });
    if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  };
  await copyOfStage1(stage1);
  cpSync(stage1, tree, { recursive: true });
  if (opts.git) {
    git(tree, ['init', '-q']);
    git(tree, ['add', '-A']);
    git(tree, ['commit', '-q', '-m', 'stage 1']);
  }
  return { base, stage1, tree, env, memdesc, git, cleanup: () => rmSync(base, { recursive: true, force: true }) };
}
