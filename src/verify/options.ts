/** Parsing of verify's flag values (UsageError on bad input). */
import { UsageError } from '../errors.ts';

const MAX_SEEDS = 100_000;

/** "N" = seeds 1..N; "a..b"; or a comma list of seeds and ranges ("1..4,9"). */
export function parseSeeds(text: string): number[] {
  const t = text.trim();
  if (/^\d+$/.test(t)) {
    const n = Number(t);
    if (n < 1 || n > MAX_SEEDS) throw new UsageError(`--seeds ${text}: the number of seeds must be 1 to ${MAX_SEEDS}`);
    return Array.from({ length: n }, (_, i) => i + 1);
  }
  const seeds: number[] = [];
  for (const part of t.split(',')) {
    const m = /^(\d+)(?:\.\.(\d+))?$/.exec(part.trim());
    if (!m) throw new UsageError(`--seeds must be N (seeds 1..N), a..b, or a comma list of those; got '${text}'`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a) throw new UsageError(`--seeds ${part}: empty range (${a} > ${b})`);
    if (seeds.length + b - a + 1 > MAX_SEEDS) throw new UsageError(`--seeds ${text}: more than ${MAX_SEEDS} seeds`);
    for (let s = a; s <= b; s++) if (!seeds.includes(s)) seeds.push(s);
  }
  return seeds;
}

export function parseWorkloads(text: string): string[] {
  const ws = text.split(',').map((s) => s.trim()).filter(Boolean);
  if (ws.length === 0) throw new UsageError(`--workloads: no workload named in '${text}'`);
  for (const w of ws) if (!/^[a-z0-9_-]+$/i.test(w)) throw new UsageError(`--workloads: invalid workload name '${w}'`);
  return ws;
}

/** The corpus's own RAM rule (16M to 1G, a multiple of 4M), checked before anything runs. */
export function checkRam(text: string): string {
  const m = /^(\d+)([KMG]?)(?:i?B)?$/i.exec(text.trim());
  if (!m) throw new UsageError(`--ram: invalid size '${text}' (use e.g. 64M or 1G)`);
  const unit = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[m[2]!.toUpperCase() as '' | 'K' | 'M' | 'G'];
  const bytes = Number(m[1]) * unit;
  if (bytes < 16 * 1024 ** 2 || bytes > 1024 ** 3 || bytes % (4 * 1024 ** 2) !== 0) {
    throw new UsageError(`--ram ${text}: out of range (16M to 1G, a multiple of 4M)`);
  }
  return text.trim();
}

export function parseOps(text: string): number | 'default' {
  if (text === 'default') return 'default';
  if (!/^\d+$/.test(text)) throw new UsageError(`--ops must be a non-negative integer or 'default', got '${text}'`);
  return Number(text);
}

export function parsePositive(name: string, text: string, float = false): number {
  const n = Number(text);
  if (!(float ? /^\d+(\.\d+)?$/ : /^\d+$/).test(text) || !(n > 0)) throw new UsageError(`--${name} must be a positive ${float ? 'number' : 'integer'}, got '${text}'`);
  return n;
}
