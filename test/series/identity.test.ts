/**
 * Who a series is by (issue 12, item 8): author and committer from the user's git identity
 * (the repository's config, else the global one, GIT_* environment first, as git takes them) or
 * `--author`; `Signed-off-by:` on every patch unless `--no-signoff`; no identity is one line and
 * exit 2 before any work. `memdesc start`'s demo falls back to a labelled identity instead.
 * Every test sets its own git configuration (this machine has one, CI may have none). The
 * command runs through the CLI's main() in this process (test/inProcess.ts: the same output and
 * exit codes as a spawned memdesc, which reads the same environment and git configuration).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_IDENTITY } from '../../src/commands/start.ts';
import { builtinSpec } from '../../src/model/builtin.ts';
import { loadSpecFile } from '../../src/model/spec-validate.ts';
import { parsePerson, resolveIdentity } from '../../src/series/identity.ts';
import { buildSeries } from '../../src/series/series.ts';
import { withEnv } from '../env.ts';
import { runMain as cli } from '../inProcess.ts';
import { BLOBWORLD, copyTree } from '../rewrite/helpers.ts';
import { git, isolateGitConfig, leftovers, repoOf, tempRoot } from './helpers.ts';

const spec = loadSpecFile(join(BLOBWORLD, 'spec.json'), builtinSpec());
const ADA = { name: 'Ada Lovelace', email: 'ada@example.org' };
let env: ReturnType<typeof isolateGitConfig> | undefined;
afterEach(() => { env?.restore(); env = undefined; });
let temp: ReturnType<typeof tempRoot>;
beforeAll(() => { temp = tempRoot(); });
afterAll(() => temp.cleanup());

/** Per commit of base..branch: "author|committer|sign-offs". */
function who(repo: string, base: string, branch: string): string[] {
  return git(repo, 'log', '--reverse', '--format=%an <%ae>|%cn <%ce>|%(trailers:key=Signed-off-by,valueonly,separator=%x2C)', `${base}..${branch}`).trim().split('\n');
}

function patchFiles(out: string): string[] {
  return readdirSync(out).filter((f) => /^\d{4}-/.test(f) && !f.startsWith('0000-')).map((f) => readFileSync(join(out, f), 'utf8'));
}

describe('series identity', () => {
  it("author and committer are the user's git identity; every patch is signed off by it", async () => {
    env = isolateGitConfig(ADA);
    const repo = repoOf(BLOBWORLD);
    const out = join(mkdtempSync(join(tmpdir(), 'memdesc-id-')), 'p');
    const r = await buildSeries({ path: repo, spec, kinds: ['net'], out });
    expect(r.identity).toEqual({ author: ADA, committer: ADA, source: 'config' });
    expect(r.signoff).toBe(true);
    const ada = 'Ada Lovelace <ada@example.org>';
    expect(who(repo, r.base, r.branch)).toEqual(r.commits.map(() => `${ada}|${ada}|${ada}`));
    const patches = patchFiles(out);
    expect(patches).toHaveLength(r.commits.length);
    for (const p of patches) {
      expect(p).toMatch(/^From: Ada Lovelace <ada@example\.org>$/m);
      expect(p.match(/^Signed-off-by: .*$/gm)).toEqual([`Signed-off-by: ${ada}`]);
    }
    expect(readFileSync(join(out, '0000-cover-letter.patch'), 'utf8')).toMatch(/^From: Ada Lovelace <ada@example\.org>$/m);
  });

  it("the repository's own config wins over the global one; GIT_AUTHOR_* in the environment over both, as in git", async () => {
    env = isolateGitConfig(ADA);
    const repo = repoOf(BLOBWORLD);
    git(repo, 'config', 'user.name', 'Local Dev');
    git(repo, 'config', 'user.email', 'local@example.org');
    const r = await buildSeries({ path: repo, spec, kinds: ['net'], out: join(mkdtempSync(join(tmpdir(), 'memdesc-id-')), 'p') });
    expect(r.identity.author).toEqual({ name: 'Local Dev', email: 'local@example.org' });
    expect(who(repo, r.base, r.branch)[0]).toBe('Local Dev <local@example.org>|Local Dev <local@example.org>|Local Dev <local@example.org>');
    expect(withEnv({ GIT_AUTHOR_NAME: 'Env Author', GIT_AUTHOR_EMAIL: 'env@example.org' }, () => resolveIdentity(repo))).toEqual({ author: { name: 'Env Author', email: 'env@example.org' }, committer: { name: 'Local Dev', email: 'local@example.org' }, source: 'config' });
  });

  it('--author sets author, committer and sign-off; --no-signoff leaves the trailer out (CLI)', async () => {
    env = isolateGitConfig(ADA);
    const repo = repoOf(BLOBWORLD);
    const grace = 'Grace Hopper <grace@example.org>';
    const out1 = join(mkdtempSync(join(tmpdir(), 'memdesc-id-')), 'p');
    const x = await cli(['series', 'net', repo, '--spec', join(repo, 'spec.json'), '--out', out1, '--author', grace]);
    expect(x.status, x.stderr).toBe(0);
    expect(x.stdout).toContain(`by ${grace}, signed off`);
    const base = git(repo, 'merge-base', 'HEAD', 'memdesc/net').trim();
    for (const w of who(repo, base, 'memdesc/net')) expect(w).toBe(`${grace}|${grace}|${grace}`);
    for (const p of patchFiles(out1)) expect(p).toContain(`\nSigned-off-by: ${grace}\n`);

    const out2 = join(mkdtempSync(join(tmpdir(), 'memdesc-id-')), 'p');
    // With --json: the command's report is the library's, as JSON (the only CLI run of `series --json`).
    const y = await cli(['series', 'net', repo, '--spec', join(repo, 'spec.json'), '--out', out2, '--author', grace, '--no-signoff', '--force', '--json']);
    expect(y.status, y.stderr).toBe(0);
    const report = JSON.parse(y.stdout) as { branch: string; complete: boolean; tipEqualsOneShot: boolean; commits: Array<{ subject: string }> };
    expect(report).toMatchObject({ branch: 'memdesc/net', complete: true, tipEqualsOneShot: true });
    expect(report.commits.map((c) => c.subject)).toEqual(patchFiles(out2).map((p) => /^Subject: \[PATCH[^\]]*\] (.*)$/m.exec(p)![1]));
    for (const w of who(repo, base, 'memdesc/net')) expect(w).toBe(`${grace}|${grace}|`);
    for (const p of patchFiles(out2)) {
      expect(p).toMatch(/^From: Grace Hopper <grace@example\.org>$/m);
      expect(p).not.toMatch(/Signed-off-by/);
    }
  });

  it('outside git, the scratch repository (its base commit too) takes the global identity', async () => {
    env = isolateGitConfig(ADA);
    const dir = copyTree(BLOBWORLD);
    const r = await buildSeries({ path: dir, spec, kinds: ['net'], out: join(mkdtempSync(join(tmpdir(), 'memdesc-id-')), 'p') });
    expect(r.scratch).toBe(true);
    expect(git(r.repo, 'log', '--format=%an <%ae>|%cn <%ce>', '-1', r.base).trim()).toBe('Ada Lovelace <ada@example.org>|Ada Lovelace <ada@example.org>');
    expect(who(r.repo, r.base, r.branch).every((w) => w.endsWith('|Ada Lovelace <ada@example.org>'))).toBe(true);
  });

  it("no identity configured and no --author: one line, exit 2, before any work; git's guess from the host name does not count", async () => {
    env = isolateGitConfig();
    const repo = repoOf(BLOBWORLD);
    const out = join(mkdtempSync(join(tmpdir(), 'memdesc-id-')), 'p');
    const x = await cli(['series', 'net', repo, '--spec', join(repo, 'spec.json'), '--out', out]);
    expect(x.status, x.stderr).toBe(2);
    expect(x.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^memdesc: git has no identity for the patches .* or pass --author "Name <email>"$/)]);
    expect(x.stdout).toBe('');
    expect(leftovers(repo)).toEqual({ branches: [], worktrees: 1 });
    expect(existsSync(out)).toBe(false);
    // Outside git too (the global config is what is missing).
    const dir = copyTree(BLOBWORLD);
    const y = await cli(['series', 'net', dir, '--spec', join(dir, 'spec.json'), '--out', out]);
    expect(y.status, y.stderr).toBe(2);
    expect(existsSync(join(dir, '.git'))).toBe(false);
  });

  it('a bad --author is one line and exit 2', async () => {
    env = isolateGitConfig(ADA);
    const repo = repoOf(BLOBWORLD);
    for (const bad of ['Grace Hopper', '<grace@example.org>', 'Grace <>', 'Grace <a b@c>']) {
      const x = await cli(['series', 'net', repo, '--spec', join(repo, 'spec.json'), '--out', join(tmpdir(), 'memdesc-none'), '--author', bad]);
      expect(x.status, bad).toBe(2);
      expect(x.stderr.trim().split('\n')).toHaveLength(1);
      expect(x.stderr).toMatch(/--author .*: expected "Name <email>"/);
    }
    expect(parsePerson(' Grace Hopper  <grace@example.org> ')).toEqual({ name: 'Grace Hopper', email: 'grace@example.org' });
  });

  it("start's demo: the user's identity when configured, else the labelled fallback", () => {
    const dir = mkdtempSync(join(tmpdir(), 'memdesc-id-'));
    env = isolateGitConfig();
    expect(resolveIdentity(dir, { fallback: DEMO_IDENTITY })).toEqual({ author: DEMO_IDENTITY, committer: DEMO_IDENTITY, source: 'fallback' });
    expect(DEMO_IDENTITY.email).toMatch(/\.invalid$/);
    env.restore();
    env = isolateGitConfig(ADA);
    expect(resolveIdentity(dir, { fallback: DEMO_IDENTITY }).author).toEqual(ADA);
  });

  it('series --help describes --author and --no-signoff', async () => {
    const x = await cli(['series', '--help']);
    expect(x.stdout).toMatch(/--author <ident>/);
    expect(x.stdout).toMatch(/--no-signoff/);
    expect(x.stdout).toMatch(/never anything memdesc\s+cannot prove it wrote/);
  });
});
