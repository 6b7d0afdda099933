/** Shared helpers for converter tests: temp copies of trees, running the CLI and TypeScript programs. */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { PACKAGE_ROOT, RUN_TS } from '../../src/paths.ts';

export const BLOBWORLD = join(PACKAGE_ROOT, 'test', 'fixtures', 'rewrite', 'blobworld');

/** Copy a tree to a temp dir (no node_modules); `runnable` adds what running it as ESM needs. */
export function copyTree(src: string, opts: { runnable?: boolean } = {}): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'memdesc-conv-')), basename(src));
  cpSync(src, dir, { recursive: true, filter: (s) => !s.includes('/node_modules') });
  if (opts.runnable) {
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
    symlinkSync(join(PACKAGE_ROOT, 'node_modules'), join(dir, 'node_modules'));
  }
  return dir;
}

export function cli(args: string[], cwd = PACKAGE_ROOT): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(PACKAGE_ROOT, 'bin', 'memdesc.mjs'), ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status ?? 1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

export function runTs(file: string): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [RUN_TS, file], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status ?? 1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

export function git(dir: string, ...args: string[]): string {
  // `git -C ''` would act on the repository the tests run in.
  if (!dir) throw new Error(`git ${args.join(' ')}: no directory given`);
  const r = spawnSync('git', ['-C', dir, '-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}
