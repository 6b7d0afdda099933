/**
 * Memory metadata per workload (issue 14 item 7): what the machine spends on describing its own
 * memory, the memmap of struct pages plus separately allocated descriptors, as a share of RAM, at
 * the end of each workload's run and at its peak, at 64 MiB and 1 GiB. "Before" is the corpus as
 * it is (64-byte struct pages: 1.5625 %); "after" is a stage-2 tree (descriptors separated,
 * struct page shrunk) named by MEMDESC_BENCH_STAGE2_TREE, with the targets (struct page
 * <= 24 bytes, metadata <= 0.7 % of RAM at 1 GiB on the all-in-one workload) in the summary.
 *
 * Every tree is asked for its own workloads (its manifest) and runs each workload's default
 * operation count (MEMDESC_BENCH_METADATA_OPS=verify: the manifest's verify figures; or a number).
 * The figures are sizes, not times: they do not depend on the machine. Run alone with
 * `node bin/run-ts.mjs bench/metadata.bench.ts`.
 */
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { record } from './anchor.ts';
import { buildTree } from '../src/verify/build.ts';
import { readManifest, type TreeManifest } from '../src/simulate/manifest.ts';
import { Pool } from '../src/verify/run.ts';

const CORPUS = join(import.meta.dirname, '..', 'corpus');
const RAMS = ['64M', '1G'] as const;

/** The metadata report's JSON (corpus/sim/metadata.ts). */
interface Metadata {
  ram_bytes: number;
  struct_page_bytes: number;
  memmap_bytes: number;
  descriptor_bytes: Record<string, number>;
  metadata_bytes: number;
  percent: number;
  peak_metadata_bytes: number;
  peak_percent: number;
}

interface Row {
  workload: string;
  ram: string;
  ops: number;
  m?: Metadata;
  error?: string;
}

interface TreeRun {
  label: string;
  dir: string;
  manifest: TreeManifest;
  rows: Row[];
}

function run(bundle: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [bundle, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }));
  });
}

function opsFor(m: TreeManifest, workload: string): number {
  const w = m.workloads.find((x) => x.name === workload)!;
  const env = process.env.MEMDESC_BENCH_METADATA_OPS;
  if (env === 'verify') return w.verifyOps;
  if (env && /^\d+$/.test(env)) return Number(env);
  return w.defaultOps;
}

/** Every workload of the tree at every RAM size: the metadata report of seed 1. */
async function measureTree(label: string, dir: string, pool: Pool): Promise<TreeRun> {
  const { file } = await buildTree(dir);
  const manifest = await readManifest(file, dir);
  if (!manifest) throw new Error(`${dir}: no manifest (sim/main.ts --manifest): a tree from before the metadata report`);
  const jobs: Array<Promise<Row>> = [];
  for (const ram of RAMS) {
    for (const w of manifest.workloads) {
      const ops = opsFor(manifest, w.name);
      jobs.push(pool.run(async () => {
        const r = await run(file, ['--workload', w.name, '--seed', '1', '--ram', ram, '--ops', String(ops), '--report', 'metadata', '--json']);
        // Exit 1 is a debug check that fired: the run is a finding, its figures still stand.
        if (r.code !== 0 && r.code !== 1) return { workload: w.name, ram, ops, error: r.stderr.trim().split('\n').at(-1) ?? `exit ${r.code}` };
        return { workload: w.name, ram, ops, m: JSON.parse(r.stdout) as Metadata };
      }));
    }
  }
  return { label, dir, manifest, rows: await Promise.all(jobs) };
}

const pct = (p: number): string => `${p.toFixed(4)} %`;
const kib = (b: number): string => `${(b / 1024).toLocaleString('en-US', { maximumFractionDigits: 1 })} KiB`;
const ramText = (r: string): string => (r === '1G' ? '1 GiB' : `${Number(r.slice(0, -1))} MiB`);

function descriptorText(m: Metadata): string {
  const kinds = Object.entries(m.descriptor_bytes);
  return kinds.length ? kinds.map(([k, b]) => `${k} ${kib(b)}`).join(', ') : 'none';
}

function table(before: TreeRun, after?: TreeRun): string {
  const head = ['workload', 'RAM', 'ops', 'struct page', 'memmap', 'descriptors', 'metadata', 'peak'];
  const afterHead = after ? ['after: struct page', 'after: memmap', 'after: descriptors', 'after: metadata', 'after: peak', 'saved'] : [];
  const lines = [`| ${[...head, ...afterHead].join(' | ')} |`, `|${[...head, ...afterHead].map((_, i) => (i < 2 ? '---' : '---:')).join('|')}|`];
  for (const row of before.rows) {
    const m = row.m;
    const cells = m
      ? [row.workload, ramText(row.ram), String(row.ops), `${m.struct_page_bytes} B`, kib(m.memmap_bytes), descriptorText(m), `${kib(m.metadata_bytes)} (${pct(m.percent)})`, pct(m.peak_percent)]
      : [row.workload, ramText(row.ram), String(row.ops), `failed: ${row.error}`, '', '', '', ''];
    if (after) {
      const a = after.rows.find((x) => x.workload === row.workload && x.ram === row.ram)?.m;
      cells.push(...(a
        ? [`${a.struct_page_bytes} B`, kib(a.memmap_bytes), descriptorText(a), `${kib(a.metadata_bytes)} (${pct(a.percent)})`, pct(a.peak_percent), m ? `${kib(m.metadata_bytes - a.metadata_bytes)}` : '']
        : ['(not run)', '', '', '', '', '']));
    }
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

/** The stage-2 targets, measured on the stage-2 tree (nothing is recorded without one). */
function recordTargets(after: TreeRun): void {
  const allInOne = after.manifest.defaultWorkload ?? 'mixed';
  const row = after.rows.find((r) => r.workload === allInOne && r.ram === '1G')?.m;
  if (!row) return;
  record({ figure: 'stage 2: struct page size', measured: `${row.struct_page_bytes} bytes`, target: '<= 24 bytes', ok: row.struct_page_bytes <= 24, section: 'metadata' });
  record({ figure: `stage 2: metadata at 1 GiB on ${allInOne} (memmap + descriptors)`, measured: `${pct(row.percent)} of RAM (peak ${pct(row.peak_percent)})`, target: '<= 0.7 % (from 1.5625 %)', ok: row.percent <= 0.7, section: 'metadata' });
}

export async function metadataBenches(): Promise<string> {
  const pool = new Pool(availableParallelism());
  const stage2 = process.env.MEMDESC_BENCH_STAGE2_TREE;
  const [before, after] = await Promise.all([
    measureTree('corpus', CORPUS, pool),
    stage2 ? measureTree('stage 2', resolve(stage2), pool) : Promise.resolve(undefined),
  ]);
  if (after) recordTargets(after);
  const b64 = before.rows.find((r) => r.ram === '64M')?.m;
  const intro = [
    '## memory metadata: struct page memmap + separately allocated descriptors, % of RAM',
    '',
    `Seed 1 of every workload (ops: ${process.env.MEMDESC_BENCH_METADATA_OPS ?? 'each workload\'s default'}), at the end of the run; "peak" adds each descriptor kind's high-water mark (an upper bound).`,
    b64 ? `Before: the corpus (${b64.struct_page_bytes}-byte struct page = ${pct((b64.struct_page_bytes / 4096) * 100)} of RAM for the memmap alone).` : 'Before: the corpus.',
    after ? `After: ${after.dir}.` : 'After: set MEMDESC_BENCH_STAGE2_TREE to a stage-2 tree (descriptors separated, struct page shrunk) for the "after" columns and the targets.',
    '',
  ];
  return [...intro, table(before, after)].join('\n');
}

// Alone: `node bin/run-ts.mjs bench/metadata.bench.ts`.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.stdout.write(`${await metadataBenches()}\n`);
}
