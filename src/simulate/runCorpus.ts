/**
 * Run a corpus tree's simulation as a child process (the tool never imports the corpus).
 * The tree is bundled with esbuild first (src/verify/build.ts, cached by content in the user's
 * cache), so it runs wherever it is: no TypeScript loader, no package.json or node_modules
 * needed beside it.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InputError, UsageError } from '../errors.ts';
import { buildTree, buildTreeSync } from '../verify/build.ts';
import { simNodeFlags } from '../verify/simWorker.ts';
import { describeLayoutLine, readManifest, type TreeManifest } from './manifest.ts';

export interface SimulateArgs {
  workload?: string;
  seed?: string;
  ram?: string;
  ops?: string;
  trace?: boolean;
  json?: boolean;
  report?: string;
  tracepoints?: boolean;
}

export function corpusMain(corpusDir: string): string {
  const main = join(resolve(corpusDir), 'sim', 'main.ts');
  if (!existsSync(main)) throw new InputError(`${corpusDir}: not a corpus tree (no sim/main.ts)`);
  return main;
}

export function simulateArgv(args: SimulateArgs): string[] {
  const argv: string[] = [];
  if (args.workload !== undefined) argv.push('--workload', args.workload);
  if (args.seed !== undefined) argv.push('--seed', args.seed);
  if (args.ram !== undefined) argv.push('--ram', args.ram);
  if (args.ops !== undefined) argv.push('--ops', args.ops);
  if (args.report !== undefined) argv.push('--report', args.report);
  if (args.trace) argv.push('--trace');
  if (args.json) argv.push('--json');
  if (args.tracepoints === false) argv.push('--no-tracepoints');
  return argv;
}

/**
 * The workload must be one the tree lists in its manifest (a tree without a manifest checks its
 * own arguments, as it always did).
 */
export function checkWorkload(manifest: TreeManifest | undefined, workload: string | undefined, label: string): void {
  if (!manifest || workload === undefined) return;
  const names = manifest.workloads.map((w) => w.name);
  if (!names.includes(workload)) throw new UsageError(`unknown workload "${workload}" (${label} has ${names.join(', ')})`);
}

/** The tree's manifest as a table (or its JSON), for `simulate --list-workloads`. */
export function renderManifest(m: TreeManifest, json: boolean): string {
  if (json) {
    return JSON.stringify({
      manifest_version: m.version,
      ...(m.defaultWorkload ? { default_workload: m.defaultWorkload } : {}),
      workloads: m.workloads.map((w) => ({ name: w.name, description: w.description, default_ops: w.defaultOps, verify_ops: w.verifyOps, ...(w.costPerOpMs !== undefined ? { cost_ms_per_op: w.costPerOpMs } : {}) })),
      layout_dependent: m.layoutDependent,
    }, null, 2) + '\n';
  }
  const width = Math.max(8, ...m.workloads.map((w) => w.name.length));
  const out = [`${'workload'.padEnd(width)}  default ops  verify ops  description`];
  for (const w of m.workloads) {
    out.push(`${w.name.padEnd(width)}  ${String(w.defaultOps).padStart(11)}  ${String(w.verifyOps).padStart(10)}  ${w.description}`);
  }
  if (m.defaultWorkload) out.push(`default workload: ${m.defaultWorkload}`);
  out.push(`layout-dependent report lines: ${m.layoutDependent.length ? m.layoutDependent.map(describeLayoutLine).join('; ') : 'none'}`);
  return out.join('\n') + '\n';
}

/** Run with the child's output on our stdout/stderr; resolves to its exit code. */
export async function runCorpusInherit(corpusDir: string, args: SimulateArgs & { listWorkloads?: boolean }): Promise<number> {
  corpusMain(corpusDir);
  const { file } = await buildTree(corpusDir);
  if (args.listWorkloads || args.workload !== undefined) {
    const manifest = await readManifest(file, corpusDir);
    if (args.listWorkloads) {
      if (!manifest) throw new InputError(`${corpusDir}: the tree has no manifest (its sim/main.ts predates --manifest)`);
      process.stdout.write(renderManifest(manifest, args.json === true));
      return 0;
    }
    checkWorkload(manifest, args.workload, corpusDir);
  }
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [...simNodeFlags(), file, ...simulateArgv(args)], { stdio: 'inherit' });
    child.on('error', reject);
    child.on('close', (code, signal) => resolvePromise(code ?? (signal ? 128 : 1)));
  });
}

export interface CapturedRun {
  status: number;
  stdout: string;
  stderr: string;
}

/** Run and capture the output (for callers that parse it). */
export function runCorpusCaptured(corpusDir: string, args: SimulateArgs, timeoutMs = 600_000): CapturedRun {
  corpusMain(corpusDir);
  const { file } = buildTreeSync(corpusDir);
  const r = spawnSync(process.execPath, [...simNodeFlags(), file, ...simulateArgv(args)], {
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 1 << 30,
  });
  return { status: r.status ?? 1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}
