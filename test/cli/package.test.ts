/**
 * The installable package, as a new user gets it: `npm pack` of the checkout, `npm install` of the
 * tarball into an empty project, then `memdesc` from node_modules/.bin on a copy of the corpus in
 * a folder named `linux-5.10.y`. It must run compiled JavaScript (no TypeScript loader installed),
 * ship what the runtime reads (the corpus, the spec) and nothing of the development tree, and give
 * the checkout's output. Needs npm and the npm registry (or npm's cache) for the dependencies.
 * The installed command is always a process of its own; the checkout's output it is compared with
 * comes from the CLI's main() in-process (test/inProcess.ts), except simulate's, whose machine
 * writes straight to its process's stdout.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLED_CORPUS, PACKAGE_ROOT } from '../../src/paths.ts';
import { runMain } from '../inProcess.ts';

const CHECKOUT_BIN = join(PACKAGE_ROOT, 'bin', 'memdesc.mjs');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
// Commands that commit (series) need an identity; CI may have no global git config.
const ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Package Test', GIT_AUTHOR_EMAIL: 'package@example.com',
  GIT_COMMITTER_NAME: 'Package Test', GIT_COMMITTER_EMAIL: 'package@example.com',
};

let base = '';
let proj = '';
let tarball = '';
let packed: string[] = [];
let installedSnapshot: string[] = [];

function run(cmd: string, args: string[], cwd: string): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, encoding: 'utf8', env: ENV, timeout: 240_000, maxBuffer: 1 << 28 });
}

function must(r: SpawnSyncReturns<string>, what: string): string {
  if (r.status !== 0) throw new Error(`${what}: exit ${r.status}${r.error ? ` (${r.error.message})` : ''}\n${r.stderr}\n${r.stdout.slice(-2000)}`);
  return r.stdout;
}

/** The installed command, as `npx memdesc` runs it (node_modules/.bin/memdesc). */
function installed(args: string[], cwd = proj): SpawnSyncReturns<string> {
  return run(join(proj, 'node_modules', '.bin', 'memdesc'), args, cwd);
}

function checkout(args: string[], cwd = PACKAGE_ROOT): SpawnSyncReturns<string> {
  return run(process.execPath, [CHECKOUT_BIN, ...args], cwd);
}

/** The checkout's CLI run in this process: its stdout, or the error. */
async function checkoutOut(args: string[], what: string): Promise<string> {
  const r = await runMain(args, PACKAGE_ROOT);
  if (r.status !== 0) throw new Error(`${what}: exit ${r.status}\n${r.stderr}`);
  return r.stdout;
}

/** Every file under `dir` with its size and modification time. */
function snapshot(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => !e.isDirectory()).map((e) => {
    const p = join(e.parentPath, e.name);
    const st = statSync(p);
    return `${p.slice(dir.length + 1)} ${st.size} ${st.mtimeMs}`;
  }).sort();
}

function withoutRoot(json: string): unknown {
  const j = JSON.parse(json) as Record<string, unknown>;
  delete j.root;
  return j;
}

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'memdesc-package-'));
  // prepack builds dist/ when the sources changed: the tarball never carries a stale build.
  must(run(NPM, ['pack', '--pack-destination', base, '--json'], PACKAGE_ROOT), 'npm pack');
  const tgz = readdirSync(base).filter((f) => f.endsWith('.tgz'));
  expect(tgz).toHaveLength(1);
  tarball = join(base, tgz[0]!);
  packed = must(run('tar', ['-tzf', tarball], base), 'tar -t').split('\n').filter(Boolean).map((f) => f.replace(/^package\//, ''));
  proj = join(base, 'proj');
  mkdirSync(proj);
  writeFileSync(join(proj, 'package.json'), '{ "name": "proj", "private": true }\n');
  // From npm's cache when it has the dependencies, else from the registry.
  must(run(NPM, ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel', 'error', tarball], proj), 'npm install');
  cpSync(join(proj, 'node_modules', 'memdesc', 'corpus'), join(proj, 'linux-5.10.y'), { recursive: true });
  installedSnapshot = snapshot(join(proj, 'node_modules', 'memdesc'));
}, 240_000);
afterAll(() => { if (base) rmSync(base, { recursive: true, force: true }); });

describe('npm pack -> npm install -> memdesc', () => {
  it('the tarball holds the built CLI, the corpus and the spec, and nothing of the development tree', () => {
    for (const f of ['bin/memdesc.mjs', 'dist/cli.mjs', 'dist/specs/linux.json', 'package.json', 'README.md', 'corpus/tsconfig.json', 'corpus/sim/main.ts', 'corpus/sim/host.d.ts']) {
      expect(packed).toContain(f);
    }
    const corpusFiles = (dir: string, rel = ''): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? corpusFiles(join(dir, e.name), `${rel}${e.name}/`) : [`corpus/${rel}${e.name}`]);
    expect(packed.filter((f) => f.startsWith('corpus/')).sort()).toEqual(corpusFiles(BUNDLED_CORPUS).sort());
    const dev = packed.filter((f) => /^(src|test|bench|scripts|node_modules|out)\//.test(f) || /(^|\/)\.cache\//.test(f) ||
      f === 'bin/run-ts.mjs' || f === 'dist/build-info.json' || /\.tgz$/.test(f));
    expect(dev).toEqual([]);
  });

  it('ships every chunk the built CLI loads and no other (an earlier build\'s chunks are pruned by prepack)', () => {
    const dist = join(proj, 'node_modules', 'memdesc', 'dist');
    const reached = new Set<string>();
    const todo = ['cli.mjs'];
    while (todo.length) {
      const f = todo.pop()!;
      if (reached.has(f)) continue;
      reached.add(f);
      // esbuild's static (`from "./x.mjs"`, `import "./x.mjs"`) and dynamic (`import("./x.mjs")`) imports of chunks.
      for (const m of readFileSync(join(dist, f), 'utf8').matchAll(/\b(?:from|import)\s*\(?\s*"\.\/([^"]+\.mjs)"/g)) todo.push(m[1]!);
    }
    expect(reached.size).toBeGreaterThan(10);
    expect(packed.filter((f) => /^dist\/[^/]+\.mjs$/.test(f)).map((f) => f.slice('dist/'.length)).sort()).toEqual([...reached].sort());
  });

  it('installs no TypeScript loader and only what the CLI runs on', () => {
    expect(existsSync(join(proj, 'node_modules', 'tsx'))).toBe(false);
    expect(existsSync(join(proj, 'node_modules', 'vitest'))).toBe(false);
    const pkg = JSON.parse(readFileSync(join(proj, 'node_modules', 'memdesc', 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(Object.keys(pkg.dependencies)).not.toContain('tsx');
  });

  it('--help of memdesc and of every command is the checkout\'s', async () => {
    const help = installed(['--help']);
    expect(help.stderr).toBe('');
    expect(help.status).toBe(0);
    expect(help.stdout).toBe(await checkoutOut(['--help'], 'checkout --help'));
    // Every command's help: nothing in it may depend on where the package is.
    const commands = [...help.stdout.matchAll(/^ {2}([a-z]+)\b/gm)].map((m) => m[1]!).filter((c) => c !== 'help');
    expect(commands.length).toBeGreaterThan(5);
    for (const c of commands) expect({ c, help: must(installed([c, '--help']), `${c} --help`) }).toEqual({ c, help: await checkoutOut([c, '--help'], `checkout ${c} --help`) });
  }, 180_000);

  it('analyze --json on linux-5.10.y and on the bundled corpus: the checkout\'s findings, no residue', async () => {
    const ref = withoutRoot(await checkoutOut(['analyze', BUNDLED_CORPUS, '--json'], 'checkout analyze'));
    const copy = installed(['analyze', 'linux-5.10.y', '--json']);
    expect(copy.stderr).toBe('');
    const got = withoutRoot(must(copy, 'analyze linux-5.10.y')) as { residue: unknown[]; summary: { findings: number } };
    expect(got.residue).toEqual([]);
    expect(got.summary.findings).toBeGreaterThan(0);
    expect(got).toEqual(ref);
    // --corpus: the package's own corpus, which sits under node_modules.
    expect(withoutRoot(must(installed(['analyze', '--corpus', '--json']), 'analyze (bundled)'))).toEqual(ref);
  }, 180_000);

  it('simulate on linux-5.10.y: the checkout\'s digest, the bundle built outside the package', () => {
    const args = ['--workload', 'mixed', '--seed', '5', '--ops', '400', '--json'];
    const sim = installed(['simulate', 'linux-5.10.y', ...args]);
    expect(sim.stderr).toBe('');
    const digest = (JSON.parse(must(sim, 'simulate')) as { digest: string }).digest;
    expect(digest).toBe((JSON.parse(must(checkout(['simulate', BUNDLED_CORPUS, ...args]), 'checkout simulate')) as { digest: string }).digest);
  }, 180_000);

  it('convert --all --write, then verify against the original and status: every kind done', () => {
    const dir = join(base, 'work', 'linux-5.10.y');
    cpSync(join(proj, 'linux-5.10.y'), dir, { recursive: true });
    must(installed(['convert', '--all', dir, '--write']), 'convert --write');
    const v = JSON.parse(must(installed(['verify', dir, '--against', join(proj, 'linux-5.10.y'), '--workloads', 'buddy,slab', '--seeds', '1', '--json']), 'verify')) as { ok: boolean; pairs: number };
    expect(v).toMatchObject({ ok: true, pairs: 2 });
    const kinds = (JSON.parse(must(installed(['status', dir, '--json']), 'status')) as { kinds: Record<string, { remaining: number }> }).kinds;
    expect(Object.values(kinds).map((k) => k.remaining)).toEqual(Object.keys(kinds).map(() => 0));
  }, 300_000);

  it('no command wrote into the installed package (it may be read-only): caches are in the user cache folder', () => {
    expect(snapshot(join(proj, 'node_modules', 'memdesc'))).toEqual(installedSnapshot);
    expect(readdirSync(join(proj, 'node_modules', 'memdesc')).sort()).toEqual(['README.md', 'bin', 'corpus', 'dist', 'docs', 'package.json']);
  });
});
