/**
 * `memdesc shrink` on the corpus before stage 2 (no kind separated; before and after stage 1):
 * nothing can go. Every word but w7 is some kind's or generic code's, and w7 (memcg_data, which
 * no code names: nothing in the corpus charges a page to a cgroup) is pinned by the layout's
 * enumerated own-words table (`own_word_offset()` over Page.OWN_WORDS) while kinds still live in
 * struct page, whose pages carry no memdesc word (777aacd). The dry run lists, per struct page
 * word, what still uses it, the kinds that have not left first, and exits 1 naming them; --write
 * refuses the same way and writes nothing. Removing words, carving the memmap smaller and
 * verifying across the two layouts is test/stage2/shrink24.test.ts, on the separated chain.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMain } from '../inProcess.ts';
import { stage1Corpus } from '../stage1.ts';
import { copyTree } from './trees.ts';

const REPO = join(import.meta.dirname, '..', '..');
const CORPUS = join(REPO, 'corpus');
const LAYOUT = 'include/linux/mm_types.ts';
const KINDS = ['folio', 'ptdesc', 'slab', 'vmalloc', 'zpdesc'];

let base: string;

// The CLI runs in this process (test/inProcess.ts): what it prints and its exit code are the
// spawned command's.
const memdesc = runMain;

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'memdesc-shrink-corpus-'));
});
afterAll(() => { if (base) rmSync(base, { recursive: true, force: true }); });

describe('memdesc shrink on the corpus', () => {
  it('today: nothing can go; per word what still uses it (w7: the own-words table, while kinds are in the class) and the kinds not separated yet; exit 1, writes nothing', async () => {
    const layout = readFileSync(join(CORPUS, LAYOUT), 'utf8');
    const r = await memdesc(['shrink', '--corpus']);
    expect(r.status, r.stderr.slice(-2000)).toBe(1);
    expect(r.stdout).toBe(''); // no diff
    const out = r.stderr;
    expect(out).toMatch(/^Page \(.*include\/linux\/mm_types\.ts\): 64 bytes -> 64 bytes \(8 -> 8 words of 8\)$/m);
    for (let w = 0; w < 8; w++) expect(out).toMatch(new RegExp(`^w${w} +w${w} `, 'm'));
    expect(out).toMatch(/^w7 +w7 +memcg_data +1$/m);
    for (const k of KINDS) expect(out).toMatch(new RegExp(`^kinds not separated yet \\(their fields still live in Page\\): .*\\b${k} \\(\\d+ uses\\)`, 'm'));
    // A kind's own raw access is listed first under its word, with the kind.
    expect(out).toMatch(/^ {2}w5 \(private\): \d+ uses, by kinds not separated: .*slab/m);
    expect(out).toMatch(/^ {4}.*mm\/slub\.ts:\d+:\d+ \w+\(\): (reads|writes) private \[slab\]: page\.private$/m);
    // w7's one use: the generic enumeration of the own-words table, kept while the kinds are in the class.
    expect(out).toMatch(/^ {2}w7 \(memcg_data\): 1 use\n {4}.*include\/linux\/mm_types\.ts:\d+:\d+ own_word_offset\(\): enumerates OWN_WORDS: .*\(kept while .*\bslab\b.* are not separated\)$/m);
    expect(out).toMatch(/^memdesc: shrink: nothing can be removed from Page: every word is in use and .* have not left it yet \(separate first\); .*w7 \(memcg_data: include\/linux\/mm_types\.ts:\d+\)$/m);
    expect(readFileSync(join(CORPUS, LAYOUT), 'utf8')).toBe(layout);
  }, 300_000);

  it('the stage-1 tree (convert --all --write): every kind still overlays struct page through its page_X(), named per word', async () => {
    // The run's shared stage-1 tree (test/stage1.ts), read only: a dry run writes nothing (checked below).
    const tree = await stage1Corpus();
    const layout = readFileSync(join(tree, LAYOUT), 'utf8');
    const r = await memdesc(['shrink', tree, '--json']);
    expect(r.status, r.stderr.slice(-2000)).toBe(1);
    const j = JSON.parse(r.stdout) as { newSize: number; pendingKinds: Record<string, number>; words: Array<{ word: number; uses: Array<{ how: string; kind?: string; function: string | null; file: string; text: string }> }> };
    expect(j.newSize).toBe(64);
    expect(Object.keys(j.pendingKinds).sort()).toEqual(KINDS);
    const overlays = new Map<string, Set<number>>();
    for (const w of j.words) for (const u of w.uses) if (u.how === 'overlay') overlays.set(`${u.kind} ${u.function}`, new Set([...(overlays.get(`${u.kind} ${u.function}`) ?? []), w.word]));
    expect([...overlays.keys()].sort()).toEqual(['folio page_folio', 'ptdesc page_ptdesc', 'slab page_slab', 'vmalloc page_vmdesc', 'zpdesc page_zpdesc']);
    // The words each kind's field map keeps (slab: lru, mapping, index, private; zpdesc: page_type too).
    expect([...overlays.get('slab page_slab')!].sort()).toEqual([1, 2, 3, 4, 5]);
    expect([...overlays.get('ptdesc page_ptdesc')!].sort()).toEqual([1, 2, 4, 5]);
    expect([...overlays.get('zpdesc page_zpdesc')!].sort()).toEqual([3, 4, 5, 6]);
    // w7: only the enumeration; generic code too: the flags word read by number in the memdesc helpers.
    expect(j.words[7]!.uses.map((u) => [u.how, u.function])).toEqual([['enumerated', 'own_word_offset']]);
    expect(j.words[0]!.uses).toContainEqual(expect.objectContaining({ file: 'include/linux/memdesc.ts', function: 'PageMemdesc', how: 'by-offset', text: 'read32(page.addr + 4)' }));
    expect(readFileSync(join(tree, LAYOUT), 'utf8')).toBe(layout);
  }, 240_000);

  it('--write refuses the same way on a copy of the corpus and writes nothing', async () => {
    const tree = copyTree(CORPUS, join(base, 'copy'));
    const layout = readFileSync(join(tree, LAYOUT), 'utf8');
    const r = await memdesc(['shrink', tree, '--write']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^memdesc: shrink: nothing can be removed from Page: every word is in use/m);
    expect(readFileSync(join(tree, LAYOUT), 'utf8')).toBe(layout);
  }, 300_000);
});
