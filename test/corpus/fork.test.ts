import { describe, it, expect, beforeEach } from 'vitest';
import fc from 'fast-check';
import { boot } from '../../corpus/sim/boot.ts';
import { process_create, fork_process, mm_structs } from '../../corpus/kernel/fork.ts';
import { process_exit } from '../../corpus/kernel/exit.ts';
import { Task, for_each_process } from '../../corpus/kernel/pid.ts';
import { do_mmap_anon, do_munmap, find_vma, PROT_READ, PROT_WRITE } from '../../corpus/mm/mmap.ts';
import {
  access_process_vm_write, access_process_vm_read, follow_pte, follow_page, count_user_pgtables, zero_pfn,
} from '../../corpus/mm/memory.ts';
import { page_mappings, rmap_walk, anon_vmas, page_anon_vma } from '../../corpus/mm/rmap.ts';
import { MM_ANONPAGES, type MmStruct } from '../../corpus/include/linux/mm_types.ts';
import { page_count, page_mapcount, page_to_pfn, get_mm_counter, pfn_to_page } from '../../corpus/include/linux/mm.ts';
import { PageTable } from '../../corpus/include/linux/page-flags.ts';
import { pte_write, pte_pfn, pte_present } from '../../corpus/arch/x86/include/asm/pgtable.ts';
import { PAGE_SIZE, PAGE_OFFSET } from '../../corpus/arch/x86/include/asm/page_64_types.ts';
import { read64 } from '../../corpus/sim/memory.ts';
import { mm_snapshot, expect_bytes, type MmSnapshot } from './pgtable-helpers.ts';
import { propertySeed } from '../propertySeed.ts';

const MiB = 1024 * 1024;
const RW = PROT_READ | PROT_WRITE;

function pattern(len: number, seed: number): Uint8Array {
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) out[i] = (i * 13 + seed * 7 + 1) & 0xff;
  return out;
}

describe('fork and copy-on-write', () => {
  let snap: MmSnapshot;
  beforeEach(() => {
    boot({ ram: 64 * MiB });
    snap = mm_snapshot();
  });

  it('the child sees the parent data; writes diverge; a sole mapping is reused in place', () => {
    const p = process_create()!;
    const a = do_mmap_anon(p, 4 * PAGE_SIZE, RW);
    access_process_vm_write(p, a, pattern(4 * PAGE_SIZE, 1));
    const page = follow_page(p.mm!, a)!;
    const c = fork_process(p)!;
    expect(c.parent).toBe(p);
    expect_bytes(access_process_vm_read(c, a, 4 * PAGE_SIZE), pattern(4 * PAGE_SIZE, 1));
    // Both PTEs point at the same page, write-protected; one reference and one mapcount each.
    for (const t of [p, c]) {
      const pte = read64(follow_pte(t.mm!, a));
      expect(pte_pfn(pte)).toBe(page_to_pfn(page));
      expect(pte_write(pte)).toBe(false);
    }
    expect(page_mapcount(page)).toBe(2);
    expect(page_count(page)).toBe(2);
    expect(get_mm_counter(c.mm!, MM_ANONPAGES)).toBe(4);

    // The child's write copies the page into its own anon_vma.
    access_process_vm_write(c, a + 10, new Uint8Array([0xee]));
    const cpage = follow_page(c.mm!, a)!;
    expect(cpage.addr).not.toBe(page.addr);
    expect(page_anon_vma(cpage)).toBe(find_vma(c.mm!, a)!.anon_vma);
    expect(page_anon_vma(page)).toBe(find_vma(p.mm!, a)!.anon_vma);
    expect(page_anon_vma(cpage)!.root).toBe(page_anon_vma(page));
    expect(cpage.index).toBe(page.index);
    expect(page_mapcount(page)).toBe(1);
    expect(page_count(page)).toBe(1);
    expect(access_process_vm_read(p, a + 10, 1)[0]).toBe(pattern(4 * PAGE_SIZE, 1)[10]);
    expect(access_process_vm_read(c, a + 10, 1)[0]).toBe(0xee);
    // The parent now holds the only mapping: its write reuses the page.
    access_process_vm_write(p, a + 11, new Uint8Array([0xdd]));
    expect(follow_page(p.mm!, a)!.addr).toBe(page.addr);
    expect(pte_write(read64(follow_pte(p.mm!, a)))).toBe(true);
    expect(access_process_vm_read(c, a + 11, 1)[0]).toBe(pattern(4 * PAGE_SIZE, 1)[11]);
    process_exit(p);
    // The child keeps its COW-shared pages after the parent is gone.
    expect_bytes(access_process_vm_read(c, a + PAGE_SIZE, 3 * PAGE_SIZE), pattern(4 * PAGE_SIZE, 1).subarray(PAGE_SIZE));
    process_exit(c);
    expect(mm_snapshot()).toEqual(snap);
  });

  it('the rmap walk finds every mapping of a shared COW page through page->mapping and page->index', () => {
    const p = process_create()!;
    const a = do_mmap_anon(p, 16 * PAGE_SIZE, RW);
    access_process_vm_write(p, a, pattern(16 * PAGE_SIZE, 2));
    const c1 = fork_process(p)!;
    const c2 = fork_process(p)!;
    const g = fork_process(c1)!;
    // Move the grandchild's view: unmap a page in c2 so it no longer maps page 3.
    do_munmap(c2, a + 3 * PAGE_SIZE, PAGE_SIZE);
    const page = follow_page(p.mm!, a + 3 * PAGE_SIZE)!;
    const mappings = page_mappings(page);
    const mms = new Set(mappings.map((m) => m.mm));
    expect(mms).toEqual(new Set([p.mm, c1.mm, g.mm]));
    for (const m of mappings) {
      expect(m.address).toBe(a + 3 * PAGE_SIZE);
      expect(pte_pfn(read64(m.pte))).toBe(page_to_pfn(page));
    }
    expect(page_mapcount(page)).toBe(3);
    // The walk visits VMAs chained to the page's anon_vma, computing each address from page->index.
    const seen: Array<[MmStruct, number]> = [];
    rmap_walk(page, { rmap_one: (_p, vma, address) => { seen.push([vma.vm_mm, address]); return true; } });
    // c2 no longer maps page 3: its VMAs around the hole are skipped by the address check.
    expect(new Set(seen.map(([mm]) => mm))).toEqual(new Set([p.mm, c1.mm, g.mm]));
    for (const [, address] of seen) expect(address).toBe(a + 3 * PAGE_SIZE);
    for (const t of [g, c1, p, c2]) process_exit(t);
    expect(mm_snapshot()).toEqual(snap);
  });

  it('exit returns every page, every page table and every object', () => {
    const p = process_create()!;
    const a = do_mmap_anon(p, 1 * MiB, RW);
    access_process_vm_write(p, a, pattern(1 * MiB, 3));
    const b = do_mmap_anon(p, 3 * MiB, RW);
    access_process_vm_write(p, b + MiB, pattern(PAGE_SIZE, 4));
    const c = fork_process(p)!;
    access_process_vm_write(c, a + 100 * PAGE_SIZE, pattern(50 * PAGE_SIZE, 5));
    const mid = mm_snapshot();
    expect(mid.pgds).toBe(snap.pgds + 2);
    expect(mid.mms).toBe(snap.mms + 2);
    expect(mid.tasks).toBe(2);
    expect(mid.pagetable).toBeGreaterThanOrEqual(8);
    process_exit(c);
    process_exit(p);
    expect(mm_snapshot()).toEqual(snap);
    expect(for_each_process()).toEqual([]);
    expect(mm_structs.size).toBe(1); // init_mm
    expect(anon_vmas.size).toBe(0);
  });
});

/* ---------------------------------------------------------------------------------------
 * Property: random mmap / write / read / munmap / fork / exit sequences against a model.
 * ------------------------------------------------------------------------------------- */

interface Region { addr: number; len: number; writable: boolean; data: Uint8Array }
interface Proc { task: Task; regions: Region[] }

type Op =
  | { kind: 'create' }
  | { kind: 'mmap'; p: number; pages: number; writable: boolean }
  | { kind: 'write'; p: number; r: number; off: number; len: number; seed: number }
  | { kind: 'read'; p: number; r: number; off: number; len: number }
  | { kind: 'munmap'; p: number; r: number; off: number; pages: number }
  | { kind: 'fork'; p: number }
  | { kind: 'exit'; p: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 1, arbitrary: fc.constant({ kind: 'create' as const }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('mmap' as const), p: fc.nat(), pages: fc.integer({ min: 1, max: 700 }), writable: fc.integer({ min: 0, max: 3 }).map((v) => v > 0) }) },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('write' as const), p: fc.nat(), r: fc.nat(), off: fc.nat(), len: fc.integer({ min: 1, max: 3 * PAGE_SIZE }), seed: fc.nat(255) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('read' as const), p: fc.nat(), r: fc.nat(), off: fc.nat(), len: fc.integer({ min: 1, max: 2 * PAGE_SIZE }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('munmap' as const), p: fc.nat(), r: fc.nat(), off: fc.nat(), pages: fc.integer({ min: 1, max: 300 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('fork' as const), p: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('exit' as const), p: fc.nat() }) },
);

/** Per-process invariants: rss and page-table bytes match the tables; every mapping is found by rmap. */
function check_mm_invariants(proc: Proc): void {
  const mm = proc.task.mm!;
  const [puds, pmds, ptes] = count_user_pgtables(mm);
  expect(mm.pgtables_bytes).toBe((puds + pmds + ptes) * PAGE_SIZE);
  let anon = 0;
  for (let vma = mm.mmap; vma; vma = vma.vm_next) {
    for (let a = vma.vm_start; a < vma.vm_end; a += PAGE_SIZE) {
      const ptep = follow_pte(mm, a);
      if (!ptep) { a = Math.ceil((a + 1) / (2 * MiB)) * 2 * MiB - PAGE_SIZE; continue; }
      const pte = read64(ptep);
      if (!pte_present(pte) || pte_pfn(pte) === zero_pfn()) continue;
      anon++;
      const page = pfn_to_page(pte_pfn(pte));
      expect(page.index).toBe(a / PAGE_SIZE);
      expect(page_mappings(page).some((m) => m.mm === mm && m.address === a)).toBe(true);
    }
  }
  expect(get_mm_counter(mm, MM_ANONPAGES)).toBe(anon);
  expect(PageTable(pfn_to_page((mm.pgd - PAGE_OFFSET) / PAGE_SIZE))).toBe(true);
}

function run_ops(ops: Op[]): void {
  boot({ ram: 32 * MiB });
  const snap = mm_snapshot();
  const procs: Proc[] = [];
  const pick = <T>(xs: T[], i: number): T | undefined => (xs.length ? xs[i % xs.length] : undefined);
  for (const op of ops) {
    switch (op.kind) {
      case 'create': {
        if (procs.length < 6) procs.push({ task: process_create()!, regions: [] });
        break;
      }
      case 'mmap': {
        const proc = pick(procs, op.p);
        if (!proc) break;
        const len = op.pages * PAGE_SIZE;
        const addr = do_mmap_anon(proc.task, len, op.writable ? RW : PROT_READ);
        expect(addr).toBeGreaterThan(0);
        proc.regions.push({ addr, len, writable: op.writable, data: new Uint8Array(len) });
        break;
      }
      case 'write': {
        const proc = pick(procs, op.p);
        const r = proc && pick(proc.regions, op.r);
        if (!proc || !r) break;
        const off = op.off % r.len;
        const len = Math.min(op.len, r.len - off);
        const data = pattern(len, op.seed);
        const n = access_process_vm_write(proc.task, r.addr + off, data);
        if (r.writable) {
          expect(n).toBe(len);
          r.data.set(data, off);
        } else {
          expect(n).toBe(0);
        }
        break;
      }
      case 'read': {
        const proc = pick(procs, op.p);
        const r = proc && pick(proc.regions, op.r);
        if (!proc || !r) break;
        const off = op.off % r.len;
        const len = Math.min(op.len, r.len - off);
        expect_bytes(access_process_vm_read(proc.task, r.addr + off, len), r.data.subarray(off, off + len));
        break;
      }
      case 'munmap': {
        const proc = pick(procs, op.p);
        const i = proc ? op.r % Math.max(1, proc.regions.length) : 0;
        const r = proc?.regions[i];
        if (!proc || !r) break;
        const pages = r.len / PAGE_SIZE;
        const first = op.off % pages;
        const count = Math.min(op.pages, pages - first);
        expect(do_munmap(proc.task, r.addr + first * PAGE_SIZE, count * PAGE_SIZE)).toBe(0);
        const pieces: Region[] = [];
        if (first > 0) pieces.push({ ...r, len: first * PAGE_SIZE, data: r.data.slice(0, first * PAGE_SIZE) });
        const tail = first + count;
        if (tail < pages) {
          pieces.push({ ...r, addr: r.addr + tail * PAGE_SIZE, len: (pages - tail) * PAGE_SIZE, data: r.data.slice(tail * PAGE_SIZE) });
        }
        proc.regions.splice(i, 1, ...pieces);
        break;
      }
      case 'fork': {
        const proc = pick(procs, op.p);
        if (!proc || procs.length >= 6) break;
        const child = fork_process(proc.task)!;
        expect(child).not.toBeNull();
        procs.push({ task: child, regions: proc.regions.map((r) => ({ ...r, data: r.data.slice() })) });
        break;
      }
      case 'exit': {
        if (!procs.length) break;
        const i = op.p % procs.length;
        check_mm_invariants(procs[i]!);
        process_exit(procs[i]!.task);
        procs.splice(i, 1);
        break;
      }
    }
  }
  for (const proc of procs) {
    check_mm_invariants(proc);
    for (const r of proc.regions) expect_bytes(access_process_vm_read(proc.task, r.addr, r.len), r.data);
  }
  for (const proc of procs) process_exit(proc.task);
  expect(mm_snapshot()).toEqual(snap);
}

describe('property: random process workloads', () => {
  it('keep every process view consistent and return every page on exit', () => {
    const seed = propertySeed('fork');
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 5, maxLength: 80 }), (ops) => {
        run_ops([{ kind: 'create' }, ...ops]);
      }),
      { seed, numRuns: 100, endOnFailure: true },
    );
  });
});
