/**
 * The event trace: every event is hashed into the run's digest; it is kept as text only
 * when the run asks for the trace. Kernel tracepoints (mm_page_alloc, kmalloc, ...) are
 * emitted only while tracepoints are enabled, so micro-benchmarks can run without them.
 */
import { createHash, type Hash } from 'node:crypto';

let hash: Hash = createHash('sha256');
/**
 * Text not yet hashed: lines are hashed in chunks of about CHUNK characters, not one update per
 * event (the call into the host cost more than the hashing). The digest of the concatenation is
 * the digest of the pieces, so the bytes hashed, and the digest, are the same.
 */
let pending = '';
const CHUNK = 1 << 16;
let kept: string[] | null = null;
let count = 0;
export let tracepoints_enabled = false;

export function trace_reset(keep: boolean, tracepoints: boolean): void {
  hash = createHash('sha256');
  pending = '';
  kept = keep ? [] : null;
  count = 0;
  tracepoints_enabled = tracepoints;
}

function flush(): void {
  if (pending.length === 0) return;
  hash.update(pending);
  pending = '';
}

export function set_tracepoints(on: boolean): void {
  tracepoints_enabled = on;
}

/** Record one event line: "name: details". */
export function trace_event(name: string, details: string): void {
  const line = `${name}: ${details}`;
  pending += `${line}\n`;
  if (pending.length >= CHUNK) flush();
  count++;
  if (kept) kept.push(line);
}

/** Hash report text into the digest without counting it as an event. */
export function trace_report(text: string): void {
  pending += `${text}\n`;
  if (pending.length >= CHUNK) flush();
}

export function trace_count(): number {
  return count;
}

export function trace_lines(): readonly string[] {
  return kept ?? [];
}

/** An independent copy of the digest so far (to continue it another way: the layout-masked digest). */
export function trace_fork(): Hash {
  flush();
  return hash.copy();
}

export function trace_digest(): string {
  flush();
  return hash.copy().digest('hex');
}
