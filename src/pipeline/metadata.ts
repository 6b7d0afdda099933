/**
 * The pipeline's metadata table: what struct page and the descriptors cost at the end of a run of
 * the tree's all-in-one workload (`mixed`), on the base and on the series' tip, at each RAM size.
 * The figures are the simulation's own (`simulate --report metadata --json`), never computed here.
 */
import { spawn } from 'node:child_process';
import { setPriority } from 'node:os';
import { InputError } from '../errors.ts';
import { buildTree } from '../verify/build.ts';
import { simNodeFlags } from '../verify/simWorker.ts';
import { readManifest } from '../simulate/manifest.ts';

/** `simulate --report metadata --json` (at the end of the run, and the peaks). */
export interface MetadataReport {
  ram_bytes: number;
  struct_page_bytes: number;
  memmap_bytes: number;
  descriptor_bytes: Record<string, number>;
  metadata_bytes: number;
  percent: number;
  peak_metadata_bytes?: number;
  peak_percent?: number;
}

export interface MetadataRow {
  ram: string;
  before: MetadataReport;
  after: MetadataReport;
}

export interface MetadataOptions {
  workload?: string;
  /** RAM sizes as simulate takes them (default 64M and 1G, the issue's figures). */
  rams?: string[];
  seed?: number;
  /** Operations of each run (default: the workload's own default, the figures `start` prints); fewer where only the mechanics are tested. */
  ops?: number;
  cacheDir?: string;
  /** Run the simulations at a lower priority (beside work that should go first). */
  background?: boolean;
  /** Called once the run's process has been started (start waits for its base runs to be running). */
  onSpawn?: () => void;
}

function parseReport(text: string, what: string): MetadataReport {
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch {
    throw new InputError(`${what}: simulate --report metadata --json printed no JSON`);
  }
  const r = j as MetadataReport;
  for (const k of ['ram_bytes', 'struct_page_bytes', 'memmap_bytes', 'metadata_bytes', 'percent'] as const) {
    if (typeof r[k] !== 'number') throw new InputError(`${what}: the metadata report has no number ${k}`);
  }
  return r;
}

/** One run of `dir`'s simulation with the metadata report. */
export async function metadataOf(dir: string, ram: string, opts: MetadataOptions = {}): Promise<MetadataReport> {
  const { file } = await buildTree(dir, opts.cacheDir ? { cacheDir: opts.cacheDir } : {});
  const argv = [file, '--workload', opts.workload ?? 'mixed', '--seed', String(opts.seed ?? 1), '--ram', ram, ...(opts.ops !== undefined ? ['--ops', String(opts.ops)] : []), '--report', 'metadata', '--json'];
  const { code, out, err } = await new Promise<{ code: number; out: string; err: string }>((done, fail) => {
    const child = spawn(process.execPath, [...simNodeFlags(), ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
    opts.onSpawn?.();
    // Background work: `npm start` runs these beside the series, whose steps verify one after
    // another; at a lower priority they take what the steps leave of the cores, not the steps' turn.
    if (opts.background && child.pid !== undefined) {
      try {
        setPriority(child.pid, 10);
      } catch {
        // not allowed here: it just runs at the normal priority
      }
    }
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    child.on('error', fail);
    child.on('close', (c, sig) => done({ code: c ?? (sig ? 128 : 1), out, err }));
  });
  if (code !== 0) throw new InputError(`${dir}: simulate --report metadata exited ${code}${err.trim() ? `: ${err.trim().split('\n')[0]}` : ''}`);
  return parseReport(out, dir);
}

/**
 * The workload to measure when the tree offers the metadata report (its manifest declares it), else
 * undefined: a tree from before stage 2, or another project's simulation, has no table.
 */
export async function metadataWorkload(dir: string, opts: MetadataOptions = {}): Promise<string | undefined> {
  const { file } = await buildTree(dir, opts.cacheDir ? { cacheDir: opts.cacheDir } : {});
  const m = await readManifest(file, dir);
  if (!m || !m.layoutDependent.some((l) => l.report === 'metadata')) return undefined;
  const w = opts.workload ?? m.defaultWorkload ?? 'mixed';
  return m.workloads.some((x) => x.name === w) ? w : undefined;
}

/** Base and tip side by side at each RAM size (the runs go in parallel); empty when the base has no metadata report. */
export async function compareMetadata(base: string, tip: string, opts: MetadataOptions = {}): Promise<MetadataRow[]> {
  return startMetadata(base, opts).compare(tip);
}

/**
 * compareMetadata() in two halves: the base's runs start now (the base does not change, so they
 * can run while the tip is being made: `npm start` overlaps them with the series), the tip's when
 * `compare(tip)` is called.
 */
export function startMetadata(base: string, opts: MetadataOptions = {}): { started: Promise<void>; compare(tip: string): Promise<MetadataRow[]> } {
  const rams = opts.rams ?? ['64M', '1G'];
  const workload = metadataWorkload(base, opts);
  let spawned = 0;
  let running: () => void = () => {};
  const allSpawned = new Promise<void>((go) => { running = go; });
  const onSpawn = (): void => {
    opts.onSpawn?.();
    if (++spawned === rams.length) running();
  };
  const before = workload.then((w) => (w === undefined ? undefined : Promise.all(rams.map((ram) => metadataOf(base, ram, { ...opts, workload: w, onSpawn })))));
  // Awaited in compare(); until then a failure must not be an unhandled rejection.
  before.catch(() => {});
  return {
    // Every base run has its process (or there is nothing to run, or it failed): what is left
    // runs in those processes, whatever this thread does meanwhile. Never rejects.
    started: Promise.race([allSpawned, before.then(() => {}, () => {})]),
    async compare(tip: string): Promise<MetadataRow[]> {
      const [w, b] = await Promise.all([workload, before]);
      if (w === undefined || b === undefined) return [];
      const after = await Promise.all(rams.map((ram) => metadataOf(tip, ram, { ...opts, workload: w })));
      return rams.map((ram, i) => ({ ram, before: b[i]!, after: after[i]! }));
    },
  };
}

function mib(bytes: number): string {
  return bytes >= 1 << 20 ? `${(bytes / (1 << 20)).toFixed(2)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;
}

function descriptors(r: MetadataReport): string {
  const total = Object.values(r.descriptor_bytes).reduce((a, b) => a + b, 0);
  return mib(total);
}

/** The table `npm start` prints. */
export function renderMetadata(rows: MetadataRow[], workload = 'mixed'): string {
  const head = ['RAM', 'tree', 'struct page', 'memmap', 'descriptors', 'metadata', '% of RAM'];
  const body: string[][] = [];
  for (const r of rows) {
    for (const [label, m] of [['base', r.before], ['tip', r.after]] as const) {
      body.push([r.ram, label, `${m.struct_page_bytes} B`, mib(m.memmap_bytes), descriptors(m), mib(m.metadata_bytes), `${m.percent.toFixed(3)}%`]);
    }
  }
  const all = [head, ...body];
  const widths = head.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  const fmt = (r: string[]) => r.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  // Largest first, by the last RAM size; each kind's bytes at every RAM size of the table.
  const last = rows.at(-1)?.after.descriptor_bytes ?? {};
  const kinds = [...new Set(rows.flatMap((r) => Object.keys(r.after.descriptor_bytes)))].sort((a, b) => (last[b] ?? 0) - (last[a] ?? 0));
  const perKind = kinds.map((k) => `${k} ${rows.map((r) => mib(r.after.descriptor_bytes[k] ?? 0)).join(' / ')}`);
  return [
    `metadata at the end of a ${workload} run (simulate --report metadata), base vs tip:`,
    fmt(head), ...body.map(fmt),
    ...(kinds.length ? [`descriptors at the tip: ${perKind.join(', ')}${rows.length > 1 ? ` (at ${rows.map((r) => r.ram).join(' / ')})` : ''}`] : []),
  ].join('\n');
}
