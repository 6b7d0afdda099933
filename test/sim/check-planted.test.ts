/**
 * --check (sim/check.ts) on a real stage-2 machine: a violation planted into a running workload
 * (a word's bits, a back pointer, a descriptor count, a stray or missing mark, a tag) is reported
 * at the same operation, with the same text and dump_page(), whether every check runs the full
 * memdesc_check_all() (what --check did before the typed-array pass) or the typed-array pass
 * first. The run's shared stage-2 tree (every kind separated, test/corpusTrees.ts), driven by a
 * child program bundled from it: each case runs twice, once per way, and both must end alike.
 */
import { describe, expect, it } from 'vitest';
import { useStage2Harness } from './stage2Harness.ts';

const seed = Number(process.env.MEMDESC_TEST_SEED ?? Date.now() % 1_000_000);
console.log(`test/sim/check-planted.test.ts seed=${seed} (MEMDESC_TEST_SEED=${seed} repeats it)`);

/** The child: `node child.mjs SEED` runs every case both ways and prints one JSON line per run. */
const harness = (tree: string): string => `
import { boot } from '${tree}/sim/boot.ts';
import { Rng } from '${tree}/sim/random.ts';
import { WORKLOADS } from '${tree}/sim/workloads/index.ts';
import { check_machine } from '${tree}/sim/check.ts';
import { KernelBug } from '${tree}/sim/errors.ts';
import { memmap_scan32, read32, write32, write64 } from '${tree}/sim/memory.ts';
import { trace_digest } from '${tree}/sim/trace.ts';
import { memdesc_account, memdesc_stats, memdesc_ptr } from '${tree}/include/linux/memdesc.ts';
import { STRUCT_PAGE_SIZE, PAGE_MEMDESC_OFFSET } from '${tree}/include/linux/mm_types.ts';
import { max_pfn, pfn_to_page } from '${tree}/include/linux/mm.ts';

const MARK = 1 << 29;
const FLAGS_HI = 4;

/** One planted violation (or none, when the machine has nothing of the kind): its name. */
function plant(rng, kind) {
  const marked = [...memmap_scan32(STRUCT_PAGE_SIZE, FLAGS_HI, MARK)].filter((p) => p < max_pfn());
  const pointers = marked.filter((p) => memdesc_ptr(pfn_to_page(p).memdesc) !== 0);
  const pick = (list) => list[rng.below(list.length)];
  switch (kind) {
    case 0: {
      if (!marked.length) return 'none';
      const a = pfn_to_page(pick(marked)).addr + PAGE_MEMDESC_OFFSET;
      write32(a, (read32(a) ^ (1 << rng.below(32))) >>> 0);
      return 'word bit';
    }
    case 1: {
      if (!pointers.length) return 'none';
      const p = pfn_to_page(pick(pointers));
      write64(memdesc_ptr(p.memdesc), rng.chance(0.5) ? 0 : p.addr + STRUCT_PAGE_SIZE);
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
      const a = pfn_to_page(rng.below(max_pfn())).addr + FLAGS_HI;
      write32(a, (read32(a) | MARK) >>> 0);
      return 'stray mark';
    }
    case 4: {
      if (!marked.length) return 'none';
      const a = pfn_to_page(pick(marked)).addr + FLAGS_HI;
      write32(a, (read32(a) & ~MARK) >>> 0);
      return 'mark cleared';
    }
    default: {
      if (!pointers.length) return 'none';
      const a = pfn_to_page(pick(pointers)).addr + PAGE_MEMDESC_OFFSET;
      write32(a, ((read32(a) & ~0xf) | rng.below(16)) >>> 0);
      return 'tag';
    }
  }
}

function run(workload, seed, ops, plantAt, kind, full) {
  boot({ ram: 64 * 1024 * 1024, placement: 'real' });
  const rng = new Rng(seed * 7919 + plantAt);
  let planted = 'not reached';
  let last = -1;
  const after_op = (op) => {
    last = op;
    if (op === plantAt) planted = plant(rng, kind);
    check_machine(\`after operation \${op}\`, full);
  };
  let bug = null;
  try {
    workload.run({ rng: new Rng(seed), ops, seed, after_op });
  } catch (err) {
    if (!(err instanceof KernelBug)) throw err;
    bug = { message: err.message.split('\\n')[0], dump: err.dump };
  }
  return { workload: workload.name, seed, plantAt, kind, planted, lastOp: last, bug, digest: trace_digest() };
}

const rng = new Rng(Number(process.argv[2]));
for (const w of WORKLOADS) {
  for (let c = 0; c < 4; c++) {
    const ops = 300;
    const seed = 1 + rng.below(1000);
    const plantAt = rng.below(ops);
    const kind = rng.below(6);
    for (const full of [true, false]) process.stdout.write(JSON.stringify({ full, ...run(w, seed, ops, plantAt, kind, full) }) + '\\n');
  }
}
`;

const runHarness = useStage2Harness<Run>('check-planted', harness);

interface Run {
  full: boolean;
  workload: string;
  seed: number;
  plantAt: number;
  kind: number;
  planted: string;
  lastOp: number;
  bug: { message: string; dump: string } | null;
  digest: string;
}

describe('--check on a stage-2 machine: planted violations', () => {
  it(`are reported at the same operation with the same text, full check or typed-array pass first (seed ${seed})`, () => {
    const runs = runHarness(seed);
    expect(runs.length).toBe(7 * 4 * 2);
    let reported = 0;
    for (let i = 0; i < runs.length; i += 2) {
      const [full, fast] = [runs[i]!, runs[i + 1]!];
      expect(full.full && !fast.full).toBe(true);
      const at = `seed ${seed}: ${full.workload} seed ${full.seed}, ${full.planted} planted after operation ${full.plantAt}`;
      const { full: _a, ...want } = full;
      const { full: _b, ...got } = fast;
      expect(got, at).toEqual(want);
      if (full.bug?.message.startsWith(`memdesc check failed after operation ${full.plantAt}:`)) reported++;
    }
    // The plants do break the machine, and the check sees it at once in most cases.
    expect(reported, `seed ${seed}`).toBeGreaterThanOrEqual(10);
  });
});
