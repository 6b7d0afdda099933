/**
 * `memdesc shrink` on the corpus. Today (no kind separated; before and after stage 1) one word can
 * go: w7 (memcg_data), which no code names (nothing in the corpus charges a page to a cgroup; the
 * free-time check asks the layout for it through page_own_word()); the dry run lists, per struct
 * page word, what still uses it, the kinds that have not left first. On a copy, shrink --write
 * removes that word, struct page becomes 56 bytes (no power of two: STRUCT_PAGE_SHIFT goes,
 * page_to_pfn() divides), the memmap is carved at the new size (`simulate --report metadata`), and
 * the tree verifies against the original across the two layouts.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMain } from '../inProcess.ts';
import { stage1Corpus } from '../stage1.ts';
import { cli, copyTree } from './trees.ts';

const REPO = join(import.meta.dirname, '..', '..');
const CORPUS = join(REPO, 'corpus');
const LAYOUT = 'include/linux/mm_types.ts';

let base: string;

// The CLI runs in this process (test/inProcess.ts): what it prints and its exit code are the
// spawned command's; simulate alone runs as a child (it hands the terminal to the simulation).
const memdesc = runMain;

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'memdesc-shrink-corpus-'));
});
afterAll(() => { if (base) rmSync(base, { recursive: true, force: true }); });

describe('memdesc shrink on the corpus', () => {
  it('today: only w7 (memcg_data, named by no code) can go; per word what still uses the others and the kinds not separated yet; writes nothing', async () => {
    const layout = readFileSync(join(CORPUS, LAYOUT), 'utf8');
    const r = await memdesc(['shrink', '--corpus']);
    expect(r.status, r.stderr.slice(-2000)).toBe(0);
    const out = r.stderr; // a dry run prints the diff on stdout, the report on stderr
    expect(out).toMatch(/^Page \(.*include\/linux\/mm_types\.ts\): 64 bytes -> 56 bytes \(8 -> 7 words of 8\)$/m);
    expect(out).toMatch(/^w7 +gone +memcg_data +0$/m);
    for (let w = 0; w < 7; w++) expect(out).toMatch(new RegExp(`^w${w} +w${w} `, 'm'));
    for (const k of ['folio', 'slab', 'ptdesc', 'vmalloc', 'zpdesc']) expect(out).toMatch(new RegExp(`^kinds not separated yet \\(their fields still live in Page\\): .*\\b${k} \\(\\d+ uses\\)`, 'm'));
    expect(out).toMatch(/^kinds not separated yet \(their fields still live in Page\): .*slab \(\d+ uses\)/m);
    // A kind's own raw access is listed first under its word, with the kind.
    expect(out).toMatch(/^ {2}w5 \(private\): \d+ uses, by kinds not separated: .*slab/m);
    expect(out).toMatch(/^ {4}.*mm\/slub\.ts:\d+:\d+ \w+\(\): (reads|writes) private \[slab\]: page\.private$/m);
    // Generic code too: the flags word read by number in the memdesc helpers (the text lists a word's first uses only).
    const j = JSON.parse((await memdesc(['shrink', '--corpus', '--json'])).stdout) as { words: Array<{ word: number; uses: Array<{ file: string; function: string | null; how: string; text: string }> }> };
    expect(j.words[0]!.uses).toContainEqual(expect.objectContaining({ file: 'include/linux/memdesc.ts', function: 'PageMemdesc', how: 'by-offset', text: 'read32(page.addr + 4)' }));
    expect(readFileSync(join(CORPUS, LAYOUT), 'utf8')).toBe(layout);
  }, 300_000);

  it('the stage-1 tree (convert --all --write on a copy): every kind still overlays struct page through its page_X(), named per word', async () => {
    // The run's shared stage-1 tree (test/stage1.ts), read only: a dry run writes nothing (checked below).
    const tree = await stage1Corpus();
    const layout = readFileSync(join(tree, LAYOUT), 'utf8');
    const r = await memdesc(['shrink', tree, '--json']);
    expect(r.status, r.stderr.slice(-2000)).toBe(0);
    const j = JSON.parse(r.stdout) as { newSize: number; pendingKinds: Record<string, number>; words: Array<{ word: number; uses: Array<{ how: string; kind?: string; function: string | null; file: string }> }> };
    expect(j.newSize).toBe(56); // w7 only: every other word is still some kind's
    expect(Object.keys(j.pendingKinds).sort()).toEqual(['folio', 'ptdesc', 'slab', 'vmalloc', 'zpdesc']);
    const overlays = new Map<string, Set<number>>();
    for (const w of j.words) for (const u of w.uses) if (u.how === 'overlay') overlays.set(`${u.kind} ${u.function}`, new Set([...(overlays.get(`${u.kind} ${u.function}`) ?? []), w.word]));
    expect([...overlays.keys()].sort()).toEqual(['folio page_folio', 'ptdesc page_ptdesc', 'slab page_slab', 'vmalloc page_vmdesc', 'zpdesc page_zpdesc']);
    // The words each kind's field map keeps (slab: lru, mapping, index, private; zpdesc: page_type too).
    expect([...overlays.get('slab page_slab')!].sort()).toEqual([1, 2, 3, 4, 5]);
    expect([...overlays.get('ptdesc page_ptdesc')!].sort()).toEqual([1, 2, 4, 5]);
    expect([...overlays.get('zpdesc page_zpdesc')!].sort()).toEqual([3, 4, 5, 6]);
    expect(readFileSync(join(tree, LAYOUT), 'utf8')).toBe(layout);
  }, 240_000);

  it('a word no code names: removed, struct page 56 bytes, the memmap carved smaller, verified against the original', async () => {
    const tree = copyTree(CORPUS, join(base, 'planted'));

    const r = await memdesc(['shrink', tree, '--write']);
    expect(r.status, r.stderr.slice(-2000)).toBe(0);
    expect(r.stdout).toMatch(/64 bytes -> 56 bytes \(8 -> 7 words of 8\)/);
    expect(r.stdout).toMatch(/^ {2}memcg_data \(w7\): no access left: no reference to Page\.memcg_data outside the class/m);
    expect(r.stdout).toMatch(/wrote 1 file in .*: Page is 56 bytes/);
    const layout = readFileSync(join(tree, LAYOUT), 'utf8');
    expect(layout).toContain('export const STRUCT_PAGE_SIZE = 56;\n');
    expect(layout).not.toMatch(/STRUCT_PAGE_SHIFT|PAGE_MEMCG_OFFSET|get memcg_data|set memcg_data/);
    // Every other offset stays where it was (w7 was the last word).
    expect(layout).toContain('export const PAGE_REFCOUNT_OFFSET = 52;\n');

    const again = await memdesc(['shrink', tree, '--write']);
    expect(again.status).toBe(1); // the kinds are still in struct page: nothing more can go
    expect(readFileSync(join(tree, LAYOUT), 'utf8')).toBe(layout);

    const sim = cli(['simulate', tree, '--workload', 'mixed', '--seed', '1', '--ops', '600', '--report', 'metadata', '--json']);
    expect(sim.status, sim.stderr.slice(-2000)).toBe(0);
    const meta = JSON.parse(sim.stdout) as { struct_page_bytes: number; memmap_bytes: number; ram_bytes: number; percent: number };
    expect(meta.struct_page_bytes).toBe(56);
    expect(meta.memmap_bytes).toBe((meta.ram_bytes / 4096) * 56);
    expect(meta.percent).toBeCloseTo((56 / 4096) * 100, 6);

    // Against the bundled corpus itself (verify only reads it).
    const v = await memdesc(['verify', tree, '--against', CORPUS, '--workloads', 'mixed', '--seeds', '1', '--ops', '600', '--jobs', '1']);
    expect(v.status, (v.stdout + v.stderr).slice(-3000)).toBe(0);
    expect(v.stdout).toMatch(/candidate struct page 56 bytes/);
  }, 300_000);
});
