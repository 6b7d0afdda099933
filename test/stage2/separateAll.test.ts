/**
 * The whole stage-2 chain on the corpus, with no test hook, on the run's shared trees
 * (test/stage2/trees.ts): after `convert --all --write` every kind's audit is clean; `separate
 * --all --write` separates all five in the plan's order (ptdesc, zpdesc, vmalloc, slab, folio),
 * each through its audit gate on the tree before it; a second run on the written tree changes
 * nothing and `status` reads every kind separated from the code; and `verify --against` the
 * stage-1 tree passes on every workload (1 seed; placement preserved: identical, masked by the
 * declared layout-dependent lines; real placement: the content, debug and memdesc checks after
 * every operation). The per-kind files (separateCorpus: ptdesc and zpdesc, separateVmalloc,
 * separateSlab, separateFolio) assert what each kind's separation wrote on the same tree. All
 * workloads x 16 seeds are run by hand (docs/stage2.md).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { runMain } from '../inProcess.ts';
import { stage1Corpus, stage2Corpus, type SharedTree } from './trees.ts';

const KINDS = ['ptdesc', 'zpdesc', 'vmalloc', 'slab', 'folio'];

let stage1: string;
let stage2: SharedTree;

beforeAll(async () => {
  stage1 = await stage1Corpus();
  stage2 = await stage2Corpus();
}, 600_000);

describe('stage 2 on the corpus: every kind', () => {
  it('after convert --all, the audit of every kind is clean (exit 0)', async () => {
    const r = await runMain(['audit', '--all', stage1, '--json']);
    expect(r.status, r.stdout.slice(0, 3000) + r.stderr).toBe(0);
    const audit = JSON.parse(r.stdout) as { summary: { byKind: Record<string, number> } };
    expect(audit.summary.byKind).toEqual(Object.fromEntries(KINDS.map((k) => [k, 0])));
  }, 120_000);

  it('separate --all --write separates every kind in the plan\'s order, each past its audit gate (no test hook)', () => {
    const out = stage2.stdout;
    expect(out).not.toContain('audit blockers skipped');
    expect(out).not.toContain('already separated');
    const headings = out.split('\n').filter((l) => /^\w+: /.test(l) && !l.startsWith('checks: '));
    expect(headings.map((l) => l.split(':')[0])).toEqual(KINDS);
    expect(out).toContain('checks: type-check passed; a second run changes nothing');
    expect(out).toMatch(/^wrote \d+ files in /m);
  });

  it('a second run on the written tree changes nothing, and status reads every kind separated from the code', async () => {
    const again = await runMain(['separate', '--all', stage2.dir]);
    expect(again.status, again.stderr).toBe(0);
    for (const k of KINDS) expect(again.stderr).toContain(`${k}: already separated, nothing to do`);
    expect(again.stderr).toMatch(/^nothing to change$/m);
    expect(again.stdout).toBe(''); // no diff
    const st = await runMain(['status', stage2.dir, '--json']);
    expect(st.status, st.stderr).toBe(0);
    expect((JSON.parse(st.stdout) as { stage2: Record<string, string> }).stage2).toEqual(Object.fromEntries(KINDS.map((k) => [k, 'separated'])));
  }, 240_000);

  it('verify --against the stage-1 tree passes on every workload: identical with placement preserved, and the real placement passes its checks', async () => {
    const r = await runMain(['verify', stage2.dir, '--against', stage1, '--seeds', '1', '--ops', '600', '--json']);
    expect(r.status, r.stdout.slice(-3000) + r.stderr).toBe(0);
    const v = JSON.parse(r.stdout) as {
      ok: boolean; pairs: number; workloads: string[]; mismatches: unknown[];
      layouts?: { maskedPairs?: number; candidate?: { descriptors: string[]; stage2: boolean }; checks?: { placement: string; invariants: boolean; runs: number; ok: boolean } };
    };
    expect(v.ok).toBe(true);
    expect(v.workloads).toEqual(['buddy', 'slab', 'mm', 'hwpoison', 'zswap', 'vmalloc', 'mixed']);
    expect(v.pairs).toBe(7);
    expect(v.mismatches).toEqual([]);
    expect(v.layouts?.maskedPairs).toBe(7);
    // Every kind allocated its descriptor (vmalloc: the misc word) in the runs.
    expect([...v.layouts!.candidate!.descriptors].sort()).toEqual(['folio', 'misc:vmalloc', 'ptdesc', 'slab', 'zpdesc']);
    expect(v.layouts?.checks).toMatchObject({ placement: 'real', invariants: true, runs: 7, ok: true });
  }, 600_000);
});
