/**
 * Tiny benchmark harness: warm up, then time batches and report the median ns/op and ops/s.
 * Figures are for comparison on a shared, noisy machine: quote ratios and medians.
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
    const t0 = process.hrtime.bigint();
    fn(opsPerBatch);
    const t1 = process.hrtime.bigint();
    samples.push(Number(t1 - t0) / opsPerBatch);
  }
  samples.sort((a, b) => a - b);
  const ns = samples[Math.floor(samples.length / 2)]!;
  return { name, nsPerOp: ns, opsPerSec: 1e9 / ns, target: opts.target };
}

export function formatResults(title: string, results: BenchResult[]): string {
  const lines = [`## ${title}`, '', '| benchmark | ns/op (median) | ops/s | target |', '|---|---:|---:|---|'];
  for (const r of results) {
    lines.push(`| ${r.name} | ${r.nsPerOp.toFixed(0)} | ${Math.round(r.opsPerSec).toLocaleString('en-US')} | ${r.target ?? ''} |`);
  }
  return lines.join('\n');
}
