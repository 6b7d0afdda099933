/**
 * A corpus tree's manifest: what the tree declares about its own simulation (`sim/main.ts
 * --manifest`, defined in corpus/sim/workloads/index.ts): its workloads with their default and
 * verify operation counts and cost hints, the default workload, and the report lines that depend
 * on the memory layout. The tool reads it from the tree it runs, never from its own tables; a
 * tree from before the manifest gets `undefined` and the caller falls back.
 */
import { spawn } from 'node:child_process';
import { InputError } from '../errors.ts';

export interface ManifestWorkload {
  name: string;
  description: string;
  defaultOps: number;
  verifyOps: number;
  /** CPU ms per operation, measured by the corpus' authors (a scheduling hint). */
  costPerOpMs?: number;
}

export interface LayoutDependentLine {
  report: string;
  /** The label a text line starts with (`Memmap:`) and the JSON key; absent: the whole report. */
  line?: string;
  why: string;
}

/** How the tree's memory layout can be run (stage 2; absent in trees from before it). */
export interface LayoutSupport {
  structPageBytes: number;
  /** What `main.ts --placement` accepts ('real', 'preserve'). */
  placements: string[];
  /** `main.ts --check` checks the machine's invariants after every operation. */
  check: boolean;
}

export interface TreeManifest {
  version: number;
  defaultWorkload?: string;
  workloads: ManifestWorkload[];
  layoutDependent: LayoutDependentLine[];
  layout?: LayoutSupport;
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isCount = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;

/** Check and convert `main.ts --manifest`'s JSON; throws InputError naming what is wrong. */
export function parseManifest(json: unknown, label: string): TreeManifest {
  const bad = (what: string): never => {
    throw new InputError(`${label}: invalid manifest (sim/main.ts --manifest): ${what}`);
  };
  if (!isObject(json)) return bad('not a JSON object');
  if (!isCount(json.manifest_version) || json.manifest_version < 1) bad('manifest_version must be a positive integer');
  if (!Array.isArray(json.workloads) || json.workloads.length === 0) bad('workloads must be a non-empty array');
  const workloads: ManifestWorkload[] = [];
  for (const [i, w] of (json.workloads as unknown[]).entries()) {
    if (!isObject(w) || typeof w.name !== 'string' || !/^[\w.-]+$/.test(w.name)) bad(`workloads[${i}].name must be a workload name`);
    const o = w as Record<string, unknown>;
    if (workloads.some((x) => x.name === o.name)) bad(`workload '${String(o.name)}' is listed twice`);
    if (!isCount(o.default_ops)) bad(`workloads[${i}].default_ops must be a non-negative integer`);
    if (!isCount(o.verify_ops)) bad(`workloads[${i}].verify_ops must be a non-negative integer`);
    if (o.cost_ms_per_op !== undefined && !(typeof o.cost_ms_per_op === 'number' && o.cost_ms_per_op > 0 && Number.isFinite(o.cost_ms_per_op))) {
      bad(`workloads[${i}].cost_ms_per_op must be a positive number`);
    }
    workloads.push({
      name: o.name as string,
      description: typeof o.description === 'string' ? o.description : '',
      defaultOps: o.default_ops as number,
      verifyOps: o.verify_ops as number,
      ...(o.cost_ms_per_op !== undefined ? { costPerOpMs: o.cost_ms_per_op as number } : {}),
    });
  }
  const names = workloads.map((w) => w.name);
  if (json.default_workload !== undefined && (typeof json.default_workload !== 'string' || !names.includes(json.default_workload))) {
    bad(`default_workload must name one of the workloads (${names.join(', ')})`);
  }
  const layout = json.layout_dependent ?? [];
  if (!Array.isArray(layout)) bad('layout_dependent must be an array');
  const layoutDependent: LayoutDependentLine[] = [];
  for (const [i, l] of (layout as unknown[]).entries()) {
    if (!isObject(l) || typeof l.report !== 'string' || !l.report) bad(`layout_dependent[${i}].report must be a report name`);
    const o = l as Record<string, unknown>;
    if (o.line !== undefined && (typeof o.line !== 'string' || !o.line)) bad(`layout_dependent[${i}].line must be a non-empty string`);
    layoutDependent.push({ report: o.report as string, ...(o.line !== undefined ? { line: o.line as string } : {}), why: typeof o.why === 'string' ? o.why : '' });
  }
  let layoutSupport: LayoutSupport | undefined;
  if (json.layout !== undefined) {
    const l = json.layout;
    if (!isObject(l)) return bad('layout must be an object');
    if (!isCount(l.struct_page_bytes) || l.struct_page_bytes === 0) bad('layout.struct_page_bytes must be a positive integer');
    if (!Array.isArray(l.placements) || !l.placements.every((p) => typeof p === 'string' && /^[\w-]+$/.test(p))) bad('layout.placements must be an array of names');
    layoutSupport = { structPageBytes: l.struct_page_bytes as number, placements: [...(l.placements as string[])], check: l.check === true };
  }
  return {
    version: json.manifest_version as number,
    ...(typeof json.default_workload === 'string' ? { defaultWorkload: json.default_workload } : {}),
    workloads,
    layoutDependent,
    ...(layoutSupport ? { layout: layoutSupport } : {}),
  };
}

/** How a layout-dependent entry reads in a report: `meminfo: Memmap` or `metadata (whole report)`. */
export function describeLayoutLine(l: LayoutDependentLine): string {
  return l.line !== undefined ? `${l.report}: ${l.line}` : `${l.report} (whole report)`;
}

/** What a `--manifest` run gave: exit, signal and output. */
export interface ManifestRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * The manifest a `--manifest` run printed: undefined when the tree predates the manifest (its
 * main.ts rejects the option); InputError when it fails or offers one that is not valid.
 */
export function manifestOf(run: ManifestRun, label: string): TreeManifest | undefined {
  const { code, signal, stdout, stderr } = run;
  if (code === 2 && /unknown option '--manifest'/i.test(stderr)) return undefined;
  if (code !== 0) {
    const why = stderr.trim().split('\n').at(-1) || (signal ? `killed by ${signal}` : `exit code ${code}`);
    throw new InputError(`${label}: sim/main.ts --manifest failed: ${why}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(stdout);
  } catch {
    throw new InputError(`${label}: sim/main.ts --manifest did not print JSON`);
  }
  return parseManifest(json, label);
}

/**
 * Run a built tree with `--manifest`. undefined when the tree predates the manifest (its main.ts
 * rejects the option); InputError when it offers one that is not valid.
 */
export function readManifest(bundle: string, label: string, timeoutMs = 60_000): Promise<TreeManifest | undefined> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [bundle, '--manifest'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (c: string) => (stdout += c));
    child.stderr.on('data', (c: string) => (stderr += c));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      try {
        resolvePromise(manifestOf({ code, signal, stdout, stderr }, label));
      } catch (e) {
        reject(e);
      }
    });
  });
}
