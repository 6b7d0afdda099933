/**
 * --check's incremental pass (sim/check.ts consistent(): the record of the last passing check and
 * the struct pages memmap_watch() saw written since) on a real stage-2 machine: a violation
 * planted into a running workload at a random operation, through every way RAM is written (the
 * vmemmap and the direct map's alias of the memmap, write8/32/64/64parts, memset, memcpy, copy_to,
 * phys_fill, a live view), into a back pointer or a descriptor count, is reported at the same
 * operation with the same text and dump_page() as by the full memdesc_check_all() after every
 * operation; runs without a plant end alike too, and an unchecked run watches nothing and ends
 * with the same digest. The run's shared stage-2 tree (test/corpusTrees.ts), driven by a child
 * program bundled from it.
 */
import { describe, expect, it } from 'vitest';
import { useStage2Harness } from './stage2Harness.ts';

const seed = Number(process.env.MEMDESC_TEST_SEED ?? Date.now() % 1_000_000);
console.log(`test/sim/check-incremental.test.ts seed=${seed} (MEMDESC_TEST_SEED=${seed} repeats it)`);

/** The child: `node child.mjs SEED` runs every case each way and prints one JSON line per run. */
const harness = (tree: string): string => `
import { boot } from '${tree}/sim/boot.ts';
import { Rng } from '${tree}/sim/random.ts';
import { WORKLOADS } from '${tree}/sim/workloads/index.ts';
import { check_begin, check_end, check_machine } from '${tree}/sim/check.ts';
import { KernelBug } from '${tree}/sim/errors.ts';
import {
  memmap_scan32, memmap_phys, memmap_written, read32, read64, write8, write32, write64, write64parts,
  memset, memcpy, copy_to, phys_fill, phys_bytes,
} from '${tree}/sim/memory.ts';
import { trace_digest } from '${tree}/sim/trace.ts';
import { memdesc_account, memdesc_stats, memdesc_ptr } from '${tree}/include/linux/memdesc.ts';
import { STRUCT_PAGE_SIZE, PAGE_MEMDESC_OFFSET } from '${tree}/include/linux/mm_types.ts';
import { max_pfn, pfn_to_page } from '${tree}/include/linux/mm.ts';
import { PAGE_OFFSET } from '${tree}/arch/x86/include/asm/page_64_types.ts';

const MARK = 1 << 29;
const FLAGS_HI = 4;
const CASES = 6;
const WAYS = ['write8', 'write32', 'write64', 'write64parts', 'memset', 'memcpy', 'copy_to', 'phys_fill', 'view'];

/** The way the next put32() writes: every way in turn, from where the case starts. */
let nextWay = 0;

/** Write the 32-bit value v at physical address phys through the direct map, the next way. */
function put32(rng, phys, v) {
  const way = WAYS[nextWay++ % WAYS.length];
  const a = PAGE_OFFSET + phys;
  const b = new Uint8Array([v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24]);
  switch (way) {
    case 'write8': for (let i = 0; i < 4; i++) write8(a + i, b[i]); break;
    case 'write32': write32(a, v >>> 0); break;
    case 'write64': {
      // The other half kept; a word beyond 2^53 (a marked flags word) is not a number write64() takes.
      const w = (a & 7) === 0 ? (v >>> 0) + read32(a + 4) * 2 ** 32 : (v >>> 0) * 2 ** 32 + read32(a - 4);
      if (Number.isSafeInteger(w)) write64(a - (a & 7), w);
      else write32(a, v >>> 0);
      break;
    }
    case 'write64parts': if ((a & 7) === 0) write64parts(a, read32(a + 4), v >>> 0); else write64parts(a - 4, v >>> 0, read32(a - 4)); break;
    case 'memset': for (let i = 0; i < 4; i++) memset(a + i, b[i], 1); break;
    case 'memcpy': { const src = PAGE_OFFSET + 0x1000 * (1 + rng.below(8)); const keep = read32(src); write32(src, v >>> 0); memcpy(a, src, 4); write32(src, keep); break; }
    case 'copy_to': copy_to(a, b); break;
    case 'phys_fill': for (let i = 0; i < 4; i++) phys_fill(phys + i, 1, b[i]); break;
    default: phys_bytes(phys, 4).set(b); break;
  }
  return way;
}

/** One planted violation (or none, when the machine has nothing of the kind): its name. */
function plant(rng, kind) {
  const marked = [...memmap_scan32(STRUCT_PAGE_SIZE, FLAGS_HI, MARK)].filter((p) => p < max_pfn());
  const pointers = marked.filter((p) => memdesc_ptr(pfn_to_page(p).memdesc) !== 0);
  const pick = (list) => list[rng.below(list.length)];
  const entry = (pfn) => memmap_phys() + pfn * STRUCT_PAGE_SIZE;
  switch (kind) {
    case 0: {
      if (!marked.length) return 'none';
      const p = entry(pick(marked)) + PAGE_MEMDESC_OFFSET + 4 * rng.below(2);
      return 'word bit by ' + put32(rng, p, (read32(PAGE_OFFSET + p) ^ (1 << rng.below(32))) >>> 0);
    }
    case 1: {
      if (!pointers.length) return 'none';
      const p = pfn_to_page(pick(pointers));
      const to = [0, p.addr + STRUCT_PAGE_SIZE, p.addr - STRUCT_PAGE_SIZE, read64(memdesc_ptr(p.memdesc))][rng.below(4)];
      write64(memdesc_ptr(p.memdesc), to);
      return 'back pointer';
    }
    case 2: {
      const rows = memdesc_stats();
      if (!rows.length) return 'none';
      const row = pick(rows);
      memdesc_account(row.tag, row.objects > 0 && rng.chance(0.5) ? -1 : 1);
      return 'count';
    }
    case 3: {
      const p = entry(rng.below(max_pfn())) + FLAGS_HI;
      return 'stray mark by ' + put32(rng, p, (read32(PAGE_OFFSET + p) | MARK) >>> 0);
    }
    case 4: {
      if (!marked.length) return 'none';
      const p = entry(pick(marked)) + FLAGS_HI;
      return 'mark cleared by ' + put32(rng, p, (read32(PAGE_OFFSET + p) & ~MARK) >>> 0);
    }
    case 5: {
      if (!pointers.length) return 'none';
      const a = pfn_to_page(pick(pointers)).addr + PAGE_MEMDESC_OFFSET;
      write32(a, ((read32(a) & ~0xf) | rng.below(16)) >>> 0);
      return 'tag';
    }
    case 6: {
      // Another page's word copied onto a page (before or after its allocation): shared or moved.
      if (!pointers.length) return 'none';
      const from = pfn_to_page(pick(pointers)).addr + PAGE_MEMDESC_OFFSET;
      const to = entry(rng.below(max_pfn()));
      put32(rng, to + FLAGS_HI, (read32(PAGE_OFFSET + to + FLAGS_HI) | MARK) >>> 0);
      put32(rng, to + PAGE_MEMDESC_OFFSET + 4, read32(from + 4));
      return 'word copied by ' + put32(rng, to + PAGE_MEMDESC_OFFSET, read32(from));
    }
    default: {
      // A write that changes nothing.
      const p = entry(rng.below(max_pfn())) + 4 * rng.below(STRUCT_PAGE_SIZE / 4);
      return 'same value by ' + put32(rng, p, read32(PAGE_OFFSET + p));
    }
  }
}

/** way: 'full' (memdesc_check_all() after every operation), 'incremental' (what --check does), 'off'. */
function run(workload, seed, ops, plantAt, kind, way, firstWay) {
  boot({ ram: 64 * 1024 * 1024, placement: 'real' });
  nextWay = firstWay;
  const rng = new Rng(seed * 7919 + plantAt);
  const checked = check_begin(way === 'incremental', workload.name);
  let planted = 'not reached';
  let last = -1;
  let watched = false;
  const after_op = (op) => {
    last = op;
    if (way === 'off') {
      if (memmap_written() !== null) watched = true;
      return;
    }
    if (op === plantAt) planted = plant(rng, kind);
    if (way === 'full') check_machine(\`after operation \${op}\`, true);
    else checked(op);
  };
  let bug = null;
  try {
    workload.run({ rng: new Rng(seed), ops, seed, after_op });
    if (way === 'incremental') check_end(ops);
    else if (way === 'full') check_machine('at the end of the run', true);
  } catch (err) {
    if (!(err instanceof KernelBug)) throw err;
    bug = { message: err.message.split('\\n')[0], dump: err.dump };
  }
  return { workload: workload.name, seed, plantAt, kind, planted, lastOp: last, bug, watched, digest: trace_digest() };
}

/** Kinds 0, 3, 4, 6 and 7 write the memmap by put32(); 1, 2 and 5 a back pointer, a count, a tag. */
function pick_kind(rng) {
  return rng.chance(0.75) ? [0, 3, 4, 6, 7][rng.below(5)] : [1, 2, 5][rng.below(3)];
}

const rng = new Rng(Number(process.argv[2]));
let firstWay = rng.below(WAYS.length);
for (const w of WORKLOADS) {
  for (let c = 0; c < CASES; c++) {
    const ops = 300;
    const seed = 1 + rng.below(1000);
    // The last case plants nothing (beyond the run): both ways pass, and an unchecked run ends alike.
    const plantAt = c === CASES - 1 ? ops : rng.below(ops);
    const kind = pick_kind(rng);
    const ways = c === CASES - 1 ? ['full', 'incremental', 'off'] : ['full', 'incremental'];
    for (const way of ways) process.stdout.write(JSON.stringify({ way, ...run(w, seed, ops, plantAt, kind, way, firstWay) }) + '\\n');
    firstWay += 3;
  }
}
`;

const runHarness = useStage2Harness<Run>('check-incremental', harness);

interface Run {
  way: 'full' | 'incremental' | 'off';
  workload: string;
  seed: number;
  plantAt: number;
  kind: number;
  planted: string;
  lastOp: number;
  bug: { message: string; dump: string } | null;
  watched: boolean;
  digest: string;
}

describe('--check on a stage-2 machine: the incremental pass', () => {
  it(`reports what the full check reports, at the same operation; unchecked runs are unaffected (seed ${seed})`, () => {
    const runs = runHarness(seed);
    expect(runs.length).toBe(7 * (5 * 2 + 3));
    let reported = 0;
    for (let i = 0; i < runs.length;) {
      const full = runs[i++]!;
      const incremental = runs[i++]!;
      expect([full.way, incremental.way]).toEqual(['full', 'incremental']);
      const at = `seed ${seed}: ${full.workload} seed ${full.seed}, ${full.planted} planted after operation ${full.plantAt}`;
      const { way: _a, ...want } = full;
      const { way: _b, ...got } = incremental;
      expect(got, at).toEqual(want);
      if (full.bug?.message.startsWith(`memdesc check failed after operation ${full.plantAt}:`)) reported++;
      if (runs[i]?.way === 'off') {
        const off = runs[i++]!;
        expect(full.bug, at).toBeNull();
        expect(off.watched, at).toBe(false);
        expect(off.digest, at).toBe(full.digest);
      }
    }
    // The plants do break the machine, and the check sees it at once in most cases.
    expect(reported, `seed ${seed}`).toBeGreaterThanOrEqual(7);
  });
});
