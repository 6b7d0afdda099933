/**
 * Tiny benchmark harness: warm up, then time batches and report the median ns/op and ops/s.
 * Time is this process's CPU time (user + system), not wall time: on a shared 2-core machine
 * wall time mostly measures how long the process waited for a core. Quote ratios and medians.
 */
export interface BenchResult {
  name: string;
  nsPerOp: number;
  opsPerSec: number;
  target?: string;
}

export function bench(name: string, opsPerBatch: number, fn: (n: number) => void, opts: { batches?: number; target?: string } = {}): BenchResult {
  const batches = opts.batches ?? 7;
  fn(Math.max(1, Math.floor(opsPerBatch / 4)));
  const samples: number[] = [];
  for (let b = 0; b < batches; b++) {
    const c0 = process.cpuUsage();
    fn(opsPerBatch);
    const c = process.cpuUsage(c0);
    samples.push(((c.user + c.system) * 1000) / opsPerBatch);
  }
  samples.sort((a, b) => a - b);
  const ns = samples[Math.floor(samples.length / 2)]!;
  return { name, nsPerOp: ns, opsPerSec: 1e9 / ns, target: opts.target };
}

export function formatResults(title: string, results: BenchResult[]): string {
  const lines = [`## ${title}`, '', '| benchmark | CPU ns/op (median) | ops/s | target |', '|---|---:|---:|---|'];
  for (const r of results) {
    lines.push(`| ${r.name} | ${r.nsPerOp.toFixed(0)} | ${Math.round(r.opsPerSec).toLocaleString('en-US')} | ${r.target ?? ''} |`);
  }
  return lines.join('\n');
}
