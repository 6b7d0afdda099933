/**
 * The metadata report: what the machine spends on describing its own memory. The memmap (one
 * struct page per page frame, as boot carved it) plus every separately allocated memory
 * descriptor (include/linux/memdesc.ts), as bytes and as a share of RAM. 64-byte struct pages
 * alone are 64/4096 = 1.5625 % of RAM; the memdesc plan's goal is 8 to 16 bytes plus one
 * descriptor per allocation.
 *
 * The report is declared layout-dependent in the manifest (workloads/index.ts), so it stays out
 * of the run's digest: a tree and its stage-2 conversion differ here by design.
 */
import { register_report } from './reports.ts';
import { machine_info } from './boot.ts';
import { ram_size } from './memory.ts';
import { STRUCT_PAGE_SIZE } from '../include/linux/mm_types.ts';
import { PAGE_SIZE } from '../arch/x86/include/asm/page_64_types.ts';
import { memdesc_stats, type memdesc_stat } from '../include/linux/memdesc.ts';

export interface MetadataReport {
  ram_bytes: number;
  /** sizeof(struct page) in this tree. */
  struct_page_bytes: number;
  /** What the memmap occupies: pages x struct page, as boot carved it. */
  memmap_bytes: number;
  /** Live descriptors per kind at the end of the run (object size x objects). */
  descriptor_bytes: Record<string, number>;
  /** memmap + descriptors. */
  metadata_bytes: number;
  /** metadata_bytes as a percentage of RAM. */
  percent: number;
  /** Each kind's high-water mark (object size x peak objects). */
  peak_descriptor_bytes: Record<string, number>;
  /** memmap + the kinds' high-water marks: an upper bound, the kinds may peak at different times. */
  peak_metadata_bytes: number;
  peak_percent: number;
  /** The descriptor caches as memdesc_stats() lists them. */
  descriptors: memdesc_stat[];
}

function sum_by_kind(rows: readonly memdesc_stat[], count: (r: memdesc_stat) => number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of rows) out[r.kind] = (out[r.kind] ?? 0) + r.object_size * count(r);
  return out;
}

function total(bytes: Record<string, number>): number {
  return Object.values(bytes).reduce((a, b) => a + b, 0);
}

export function metadata(): MetadataReport {
  const ram = ram_size();
  const memmap = machine_info().memmapBytes;
  const rows = memdesc_stats().map((r) => ({ ...r }));
  const live = sum_by_kind(rows, (r) => r.objects);
  const peak = sum_by_kind(rows, (r) => r.peak_objects);
  const metadata_bytes = memmap + total(live);
  const peak_metadata_bytes = memmap + total(peak);
  return {
    ram_bytes: ram,
    struct_page_bytes: STRUCT_PAGE_SIZE,
    memmap_bytes: memmap,
    descriptor_bytes: live,
    metadata_bytes,
    percent: (metadata_bytes / ram) * 100,
    peak_descriptor_bytes: peak,
    peak_metadata_bytes,
    peak_percent: (peak_metadata_bytes / ram) * 100,
    descriptors: rows,
  };
}

function pct(p: number): string {
  return `${p.toFixed(4)} %`;
}

function row(cells: readonly (string | number)[], widths: readonly number[]): string {
  return cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]!) : String(c).padStart(widths[i]!))).join('  ').trimEnd();
}

export function metadata_text(): string {
  const m = metadata();
  const w = [14, 12, 10];
  const out = [
    row(['', 'bytes', 'of RAM'], w),
    row(['RAM', m.ram_bytes, ''], w),
    row([`memmap`, m.memmap_bytes, pct((m.memmap_bytes / m.ram_bytes) * 100)], w),
  ];
  for (const [kind, bytes] of Object.entries(m.descriptor_bytes)) out.push(row([`  ${kind}`, bytes, pct((bytes / m.ram_bytes) * 100)], w));
  out.push(row(['metadata', m.metadata_bytes, pct(m.percent)], w));
  out.push(row(['peak metadata', m.peak_metadata_bytes, pct(m.peak_percent)], w));
  out.push(`struct page: ${m.struct_page_bytes} bytes; ${m.ram_bytes / PAGE_SIZE} page frames`);
  if (m.descriptors.length === 0) {
    out.push('descriptors: none allocated separately (every descriptor overlays struct page)');
  } else {
    const dw = [10, 4, 6, 9, 13];
    out.push(row(['descriptor', 'tag', 'size', 'objects', 'peak objects'], dw));
    for (const d of m.descriptors) out.push(row([d.kind, d.tag, d.object_size, d.objects, d.peak_objects], dw));
  }
  return out.join('\n');
}

register_report({ name: 'metadata', title: 'memory metadata (struct page + descriptors)', text: metadata_text, json: metadata });
