/**
 * The simulation as a program: `main.ts --workload W --seed S [--ram SIZE] [--ops N]
 * [--trace] [--json] [--report NAME] [--no-tracepoints]`. Prints the reports and, last,
 * the digest. Exit 0 on a clean run, 1 when a kernel debug check fired, 2 on bad arguments.
 *
 * `--seeds a..b` (or a list: `1..4,9`) runs one seed after the other in this process, each on a
 * freshly booted machine, and prints per seed `events[seed=N]: COUNT`, `bug[seed=N]: MESSAGE`
 * when a debug check fired, `memmap[seed=N]: SHA` (sha256 of the whole struct page array as the run
 * left it) and `digest[seed=N]: SHA` (with --json: one JSON object per line). Each seed's lines are
 * written as soon as it finishes; the digests equal single-seed runs'.
 *
 * `--manifest` prints what the corpus declares about itself as JSON (workloads/index.ts): its
 * workloads with their default and verify operation counts, the default workload, the report
 * lines that depend on the memory layout, and how the layout can be run. Tools read it from the
 * tree they run.
 *
 * `--serve` makes the program a worker (memdesc verify's): it says `{"serve":1}`, reads jobs from
 * stdin, one JSON line each (`{"workload":W,"seeds":[...],"ops":N,"ram":"64M","placement":P,"check":B}`), prints each
 * seed's `--seeds --json` line and then `{"done":true}` (bad input: `{"error":MESSAGE}` first),
 * and ends when stdin closes; its compiled code stays warm from one batch to the next.
 *
 * `--placement real|preserve` says where descriptors go (sim/arena.ts; default real), `--check`
 * checks the machine's invariants after every operation (sim/check.ts). With --json every run
 * also gives `layoutDigest` (the digest with the declared layout-dependent lines masked) and
 * `layout` (struct page size, the descriptor kinds allocated separately, the placement).
 */
import { parseArgs } from 'node:util';
// run.ts first: its import order (boot, then the subsystems) fixes the order reports print in.
import { run_simulation, parse_ram, standalone_report, is_standalone_report, report_names, type SimResult } from './run.ts';
import { DEFAULT_WORKLOAD, manifest } from './workloads/index.ts';
import { SimConfigError } from './errors.ts';
import { createHash } from 'node:crypto';
import { machine_info } from './boot.ts';
import { phys_bytes, ram_release } from './memory.ts';
import { parse_placement, type Placement } from './arena.ts';

function fail(message: string): never {
  process.stderr.write(`simulate: ${message}\n`);
  process.exit(2);
}

function parse_int(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) fail(`--${name} must be a non-negative integer, got "${text}"`);
  return Number(text);
}

function print_text(result: SimResult, trace: boolean, only?: string): void {
  const out: string[] = [];
  if (trace && !only) for (const e of result.events) out.push(e);
  if (result.bug) out.push('== BUG ==', result.bug.message, ...(result.bug.dump ? [result.bug.dump] : []));
  for (const r of result.reports) {
    if (only && r.name !== only) continue;
    out.push(`== ${r.title} ==`, r.text);
  }
  if (!only) out.push(`events: ${result.eventCount}`, `digest: ${result.digest}`);
  process.stdout.write(out.join('\n') + '\n');
}

/** "a..b", "a", and comma-separated lists of those, in the order given. */
function parse_seeds(text: string): number[] {
  const seeds: number[] = [];
  for (const part of text.split(',')) {
    const m = /^(\d+)(?:\.\.(\d+))?$/.exec(part.trim());
    if (!m) fail(`--seeds must be a..b or a list of seeds and ranges, got "${text}"`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (!Number.isSafeInteger(a) || !Number.isSafeInteger(b) || b < a) fail(`--seeds range "${part}" is empty or too large`);
    if (seeds.length + (b - a + 1) > 1_000_000) fail(`--seeds "${text}" has too many seeds`);
    for (let s = a; s <= b; s++) seeds.push(s);
  }
  return seeds;
}

interface RunFlags {
  tracepoints: boolean;
  placement: Placement;
  check: boolean;
}

/** One seed's JSON line (`--seeds --json`, and each seed of a `--serve` job). */
function seed_json(result: SimResult, seed: number, memmap: string): string {
  return JSON.stringify({
    workload: result.workload, seed, ram: result.ram, ops: result.ops,
    eventCount: result.eventCount, digest: result.digest, memmap, bug: result.bug ?? null,
    layoutDigest: result.layoutDigest, layout: result.layout,
  }) + '\n';
}

/** sha256 of the struct page array as the last run left it. */
function memmap_digest(): string {
  const { memmapPhys, memmapBytes } = machine_info();
  return createHash('sha256').update(phys_bytes(memmapPhys, memmapBytes)).digest('hex');
}

function run_seeds(workload: string, seeds: number[], ram: number | undefined, ops: number | undefined, json: boolean, flags: RunFlags): void {
  let anyBug = false;
  for (const seed of seeds) {
    const result = run_simulation({ workload, seed, ram, ops, keepTrace: false, ...flags });
    if (result.bug) anyBug = true;
    const memmap = memmap_digest();
    if (json) {
      process.stdout.write(seed_json(result, seed, memmap));
    } else {
      const out = [`events[seed=${seed}]: ${result.eventCount}`];
      if (result.bug) out.push(`bug[seed=${seed}]: ${result.bug.message}`);
      out.push(`memmap[seed=${seed}]: ${memmap}`, `digest[seed=${seed}]: ${result.digest}`);
      process.stdout.write(out.join('\n') + '\n');
    }
  }
  if (anyBug) process.exitCode = 1;
}

/** A `--serve` job: what `--workload W --seeds ... --json` and its flags say, as one JSON line. */
interface ServeJob {
  workload: string;
  seeds: number[];
  ram?: string;
  ops?: number;
  placement?: string;
  check?: boolean;
  tracepoints?: boolean;
}

/**
 * One `--serve` job: the seed lines `--seeds --json` prints, then `{"done":true}`. Bad input
 * (what exits 2 on the command line) is one `{"error":MESSAGE}` line before it, and the worker
 * goes on; anything else (a crash) ends the process as on the command line.
 */
function serve_job(line: string): void {
  try {
    const job = JSON.parse(line) as ServeJob;
    if (typeof job.workload !== 'string' || !Array.isArray(job.seeds) || !job.seeds.every((s) => Number.isSafeInteger(s) && s >= 0)) {
      throw new SimConfigError(`--serve: not a job: ${line.slice(0, 200)}`);
    }
    const ram = job.ram !== undefined ? parse_ram(job.ram) : undefined;
    const flags: RunFlags = { tracepoints: job.tracepoints !== false, placement: parse_placement(job.placement ?? 'real'), check: job.check === true };
    for (const seed of job.seeds) {
      const result = run_simulation({ workload: job.workload, seed, ram, ops: job.ops, keepTrace: false, ...flags });
      process.stdout.write(seed_json(result, seed, memmap_digest()));
    }
  } catch (err) {
    if (!(err instanceof SimConfigError) && !(err instanceof SyntaxError)) throw err;
    process.stdout.write(JSON.stringify({ error: err.message }) + '\n');
  }
  process.stdout.write('{"done":true}\n');
}

/**
 * `--serve`: a worker for memdesc verify. It says so (`{"serve":1}`: a program that does not know
 * the flag cannot be taken for one), then reads jobs from stdin, one JSON line each, and
 * runs them one after the other on freshly booted machines (the same runs, the same lines as
 * `--seeds --json`), so that one process, its compiled code warm, runs many batches; it ends
 * when stdin closes.
 */
function serve(): void {
  process.stdout.write('{"serve":1}\n');
  let buf = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk: string) => {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (line) serve_job(line);
    }
  });
}

/** Run the command line; true while the program goes on after it returns (a `--serve` worker). */
function main(): boolean {
  let args;
  try {
    args = parseArgs({
      options: {
        workload: { type: 'string', default: DEFAULT_WORKLOAD },
        seed: { type: 'string', default: '1' },
        seeds: { type: 'string' },
        ram: { type: 'string' },
        ops: { type: 'string' },
        trace: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        report: { type: 'string' },
        'no-tracepoints': { type: 'boolean', default: false },
        manifest: { type: 'boolean', default: false },
        placement: { type: 'string', default: 'real' },
        check: { type: 'boolean', default: false },
        serve: { type: 'boolean', default: false },
      },
      strict: true,
    }).values;
  } catch (err) {
    fail((err as Error).message);
  }
  if (args.serve) {
    serve();
    return true;
  }
  if (args.manifest) {
    process.stdout.write(JSON.stringify(manifest(), null, 2) + '\n');
    return false;
  }
  try {
    const ram = args.ram !== undefined ? parse_ram(args.ram) : undefined;
    const flags: RunFlags = { tracepoints: !args['no-tracepoints'], placement: parse_placement(args.placement!), check: args.check! };
    if (args.seeds !== undefined && (args.trace || args.report !== undefined)) fail('--seeds cannot be combined with --trace or --report');
    if (args.report !== undefined && !report_names().includes(args.report)) {
      fail(`unknown report "${args.report}" (choose from ${report_names().join(', ')})`);
    }
    if (args.report !== undefined && is_standalone_report(args.report)) {
      const r = standalone_report(args.report, ram);
      process.stdout.write(args.json ? JSON.stringify(r.json ?? r.text, null, 2) + '\n' : `== ${r.title} ==\n${r.text}\n`);
      return false;
    }
    if (args.seeds !== undefined) {
      run_seeds(args.workload!, parse_seeds(args.seeds), ram, parse_int('ops', args.ops), args.json, flags);
      return false;
    }
    const result = run_simulation({
      workload: args.workload!,
      seed: parse_int('seed', args.seed)!,
      ram,
      ops: parse_int('ops', args.ops),
      keepTrace: args.trace,
      ...flags,
    });
    if (args.json) {
      const r = args.report ? result.reports.find((x) => x.name === args.report) : undefined;
      const payload = r
        ? (r.json ?? r.text)
        : {
            workload: result.workload, seed: result.seed, ram: result.ram, ops: result.ops,
            eventCount: result.eventCount, digest: result.digest, bug: result.bug ?? null,
            layoutDigest: result.layoutDigest, layout: result.layout,
            reports: Object.fromEntries(result.reports.map((x) => [x.name, x.json ?? x.text])),
            ...(args.trace ? { events: result.events } : {}),
          };
      process.stdout.write(JSON.stringify(payload, null, 2) + '\n');
    } else {
      print_text(result, args.trace, args.report);
    }
    if (result.bug) process.exitCode = 1;
  } catch (err) {
    if (err instanceof SimConfigError) fail(err.message);
    throw err;
  }
  return false;
}

// A reader that stops early (`--trace | head`) is not an error of the simulation: end quietly,
// as a shell tool killed by SIGPIPE would (128 + 13).
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => {
    if (e.code !== 'EPIPE') throw e;
    process.exit(141);
  });
}
// Done with the machine (a worker is not: it runs jobs until stdin closes): its RAM goes to the
// process' pool, for a next instance of the program in this process (a verifier's reused worker).
if (!main()) ram_release();
