/**
 * The 24-byte struct page: the words generic code reads on pages without a memdesc word (free-time
 * checks, dump_page(), the allocator's reset of private; and the counts: _refcount, _mapcount,
 * page_type) are asked of the layout (`Page.OWN_WORDS`, `Page.OWN_COUNTS`, enumerated by
 * page_own_word() and page_own_count()), so once the kinds that store data there have left,
 * nothing pins them and shrink removes them with their table entries.
 *
 * 1. A made-up project: a table of the class enumerated by a generic reader pins nothing; a
 *    literal-key use of one entry pins that entry's word; the result type-checks either way.
 * 2. The corpus (one copy of the run's shared stage-2 tree, test/stage2/trees.ts: the stage-1 tree
 *    after separate --all --write, every kind), then shrink (in-process: the claims are about
 *    what it finds and writes): a planted plain alloc_pages() user that reads its page's `_refcount` itself keeps w6
 *    (struct page 32 bytes, that line named); without it nothing uses w3-w7, struct page is 24
 *    bytes ({flags, memdesc | next, prev | compound}, docs/stage2.md), `simulate --report
 *    metadata` measures the memmap at 24 bytes a page, and the tree verifies against the bundled
 *    corpus (mixed x 1 seed, both placements: the counts the state answers are checked on every
 *    write in the real placement).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureOutput } from '../capture.ts';
import { copyTree, stage2Corpus } from './trees.ts';
import { main } from '../../src/cli.ts';
import { runMain } from '../inProcess.ts';

const REPO = join(import.meta.dirname, '..', '..');

let base: string;

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'memdesc-shrink24-'));
});
afterAll(() => { if (base) rmSync(base, { recursive: true, force: true }); });

const MEM = `const store = new Map<number, number>();
export const read = (a: number): number => store.get(a) ?? 0;
export const write = (a: number, v: number): void => { store.set(a, v); };
`;

const CELL = `import { read, write } from './mem.ts';

export const CELL_SIZE = 32;

export const CELL_FLAGS_OFFSET = 0;
export const CELL_LINK_OFFSET = 8;
export const CELL_OWNER_OFFSET = 16;
export const CELL_NOTE_OFFSET = 24;

export class Cell {
  constructor(readonly addr: number) {}

  /** Words generic code checks on a cell, by name: it asks the layout. */
  static readonly OWN = {
    owner: CELL_OWNER_OFFSET,
    note: CELL_NOTE_OFFSET,
  } as const;

  get flags(): number { return read(this.addr + CELL_FLAGS_OFFSET); }
  set flags(v: number) { write(this.addr + CELL_FLAGS_OFFSET, v); }
  get link(): number { return read(this.addr + CELL_LINK_OFFSET); }
  set link(v: number) { write(this.addr + CELL_LINK_OFFSET, v); }
  get owner(): number { return read(this.addr + CELL_OWNER_OFFSET); }
  set owner(v: number) { write(this.addr + CELL_OWNER_OFFSET, v); }
  get note(): number { return read(this.addr + CELL_NOTE_OFFSET); }
  set note(v: number) { write(this.addr + CELL_NOTE_OFFSET, v); }
}

/** A cell's own word by name: 0 when the layout has none. */
export function cell_own(c: Cell, name: string): number {
  const table: Readonly<Record<string, number>> = Cell.OWN;
  return Object.hasOwn(table, name) ? read(c.addr + table[name]!) : 0;
}

export function cell_at(i: number): Cell {
  return new Cell(0x1000 + i * CELL_SIZE);
}

export function cell_next(c: Cell): Cell {
  return new Cell(c.addr + CELL_SIZE);
}
`;

const CHECK = `import { cell_at, cell_own } from './cell.ts';

/** Generic code: a cell is free when nothing of its own is set. */
export function check(i: number): string | null {
  const c = cell_at(i);
  if (cell_own(c, 'owner') !== 0) return 'owned';
  if (cell_own(c, 'note') !== 0) return 'noted';
  return c.flags ? \`link \${c.link}\` : null;
}
`;

/** One entry named by its key: that word is used. */
const PIN = `import { Cell } from './cell.ts';

export const noteAt = Cell.OWN.note;
`;

const SPEC = {
  name: 'cell-shrink',
  page: {
    class: 'Cell',
    file: 'src/cell.ts',
    fields: {
      flags: { words: [0], track: 'never' },
      link: { words: [1], track: 'never' },
      owner: { words: [2] },
      note: { words: [3] },
    },
    addressMembers: [],
    neutralSources: ['cell_at'],
  },
  kinds: [{ name: 'box', descriptor: null }],
};

const TSCONFIG = { compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, allowImportingTsExtensions: true, noEmit: true, skipLibCheck: true, types: [], lib: ['ES2022'] }, include: ['src'] };

function project(name: string, files: Record<string, string>): string {
  const dir = join(base, name);
  mkdirSync(join(dir, 'src'), { recursive: true });
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(TSCONFIG));
  writeFileSync(join(dir, 'memdesc.spec.json'), `${JSON.stringify(SPEC, null, 2)}\n`);
  for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, 'src', f), text);
  return dir;
}

const io = captureOutput();

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  io.reset();
  const code = await main(args);
  return { code, out: io.out, err: io.err };
}

describe('a table of the class that generic code enumerates', () => {
  it('pins none of its words: they go with their entries, and the enumerating reader still type-checks', async () => {
    const dir = project('enumerated', { 'mem.ts': MEM, 'cell.ts': CELL, 'check.ts': CHECK });
    const r = await cli('shrink', dir, '--write');
    expect(r.code, r.err).toBe(0);
    const cell = readFileSync(join(dir, 'src', 'cell.ts'), 'utf8');
    expect(cell).toContain('export const CELL_SIZE = 16;');
    expect(cell).not.toMatch(/CELL_OWNER_OFFSET|CELL_NOTE_OFFSET|get owner|get note/);
    expect(cell).toContain('static readonly OWN = {} as const;');
    // The reader is untouched: without entries it answers 0 for both names.
    expect(readFileSync(join(dir, 'src', 'check.ts'), 'utf8')).toBe(CHECK);
    const again = await cli('shrink', dir, '--json');
    expect(again.code).toBe(0);
    expect(JSON.parse(again.out)).toMatchObject({ oldSize: 16, newSize: 16, files: [] });
  });

  it('an entry named by its key pins its word (it moves, renumbered), the others still go', async () => {
    const dir = project('pinned', { 'mem.ts': MEM, 'cell.ts': CELL, 'check.ts': CHECK, 'pin.ts': PIN });
    const r = await cli('shrink', dir, '--json');
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out) as { newSize: number; removed: Array<{ field: string }>; words: Array<{ word: number; to: number | null; uses: Array<{ file: string; member: string }> }> };
    expect(j.newSize).toBe(24);
    expect(j.removed.map((x) => x.field)).toEqual(['owner']);
    expect(j.words.find((w) => w.word === 3)).toMatchObject({ to: 2, uses: [{ file: 'src/pin.ts', member: 'note' }] });
    // No use of the whole table anywhere: cell_own()'s enumeration is none.
    expect(j.words.flatMap((w) => w.uses).filter((u) => u.member === 'OWN')).toEqual([]);
    const w = await cli('shrink', dir, '--write');
    expect(w.code, w.err).toBe(0);
    const cell = readFileSync(join(dir, 'src', 'cell.ts'), 'utf8');
    expect(cell).toContain('export const CELL_NOTE_OFFSET = 16;');
    expect(cell).toMatch(/static readonly OWN = \{\s*note: CELL_NOTE_OFFSET,\s*\} as const;/);
  });
});

/** A kind whose descriptor still overlays the cell's link word: its cells carry no memdesc word. */
const BOX = `import { read } from './mem.ts';
import { Cell } from './cell.ts';

export class Box {
  constructor(readonly addr: number) {}
  get next(): number { return read(this.addr + 8); }
}

export function cell_box(c: Cell): Box {
  return new Box(c.addr);
}

export function box_cell(b: Box): Cell {
  return new Cell(b.addr);
}
`;

describe('a table of the class that generic code enumerates, while a kind is still in the class', () => {
  it('pins its words: the reader answers from a cell\'s state, and the pending kind\'s cells have live data there', async () => {
    const dir = project('pending', { 'mem.ts': MEM, 'cell.ts': CELL, 'check.ts': CHECK, 'box.ts': BOX });
    const spec = JSON.parse(readFileSync(join(dir, 'memdesc.spec.json'), 'utf8')) as { kinds: unknown[] };
    spec.kinds = [{ name: 'box', descriptor: 'Box', fields: { link: 'next' }, converters: { fromPage: ['cell_box'], toPage: ['box_cell'] }, pageTypeTests: [], owners: ['src/box.ts'], provenance: ['cell_at'] }];
    writeFileSync(join(dir, 'memdesc.spec.json'), `${JSON.stringify(spec, null, 2)}\n`);
    const r = await cli('shrink', dir, '--json');
    // Nothing can go: exit 1, naming the enumeration that keeps owner and note.
    expect(r.code, r.err).toBe(1);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toContain('box has not left it yet');
    expect(r.err).toMatch(/w2 \(owner: src\/cell\.ts:\d+\), w3 \(note: src\/cell\.ts:\d+\)/);
    // The text report says why, at the line.
    const text = await cli('shrink', dir);
    expect(text.code).toBe(1);
    expect(`${text.out}${text.err}`).toMatch(/src\/cell\.ts:\d+:\d+ cell_own\(\): enumerates OWN: .*kept while box is not separated/);
    // Twin: the same tree without the pending kind: the table pins nothing (the first case above).
    rmSync(join(dir, 'src', 'box.ts'));
    spec.kinds = [{ name: 'box', descriptor: null }];
    writeFileSync(join(dir, 'memdesc.spec.json'), `${JSON.stringify(spec, null, 2)}\n`);
    const free = await cli('shrink', dir, '--json');
    expect(free.code, free.err).toBe(0);
    expect((JSON.parse(free.out) as ShrinkJson).removed.map((x) => x.field)).toEqual(['owner', 'note']);
  });
});

/** A spawned CLI (simulate hands its machine the process's stdout), with the run's cache (builds are keyed by content). */
function memdesc(args: string[]) {
  return spawnSync(process.execPath, [join(REPO, 'bin', 'memdesc.mjs'), ...args], { encoding: 'utf8' });
}

interface ShrinkJson {
  newSize: number;
  pendingKinds: Record<string, number>;
  removed: Array<{ field: string; words: number[] }>;
  words: Array<{ word: number; to: number | null; fields: string[]; uses: Array<{ file: string; line: number; function: string | null; how: string; kind?: string; text: string }> }>;
}

/** A plain alloc_pages() user that reads its page's refcount itself, not through the layout. */
const PLANTED = `import { alloc_pages, __free_pages } from './page_alloc.ts';
import { GFP_KERNEL } from '../include/linux/gfp.ts';

export function planted_refcount(): number {
  const page = alloc_pages(GFP_KERNEL, 0);
  if (!page) return 0;
  const n = page._refcount;
  __free_pages(page, 0);
  return n;
}
`;

describe('the corpus: convert --all, separate --all, shrink', () => {
  it('every kind separated: a planted raw _refcount read keeps w6; without it struct page is 24 bytes, measured and verified against the bundled corpus', async () => {
    // The run's shared stage-2 tree (the stage-1 tree after separate --all --write; it throws
    // unless that run exited 0), copied.
    const tree = copyTree((await stage2Corpus()).dir, join(base, 'tree'));

    // The counter-example: one plain allocation's user names the member, so w6 stays, that line named.
    const planted = join(tree, 'mm', 'planted_refcount.ts');
    writeFileSync(planted, PLANTED);
    const p = await cli('shrink', tree, '--json');
    expect(p.code, p.err.slice(-2000)).toBe(0);
    const pj = JSON.parse(p.out) as ShrinkJson;
    expect(pj.newSize).toBe(32);
    expect(pj.words.find((x) => x.word === 6)).toMatchObject({
      to: 3, uses: [{ file: 'mm/planted_refcount.ts', line: 7, function: 'planted_refcount', how: 'read', text: 'page._refcount' }],
    });
    rmSync(planted);

    const r = await cli('shrink', tree, '--write', '--json');
    expect(r.code, r.err.slice(-2000)).toBe(0);
    const j = JSON.parse(r.out) as ShrinkJson;
    expect(j.pendingKinds).toEqual({});
    // The generic readers (dump_page(), the free-time checks, __PageMovable(), prep_new_page(),
    // the counts' accessors) read them through the layout: no use is left on them.
    for (const word of [3, 4, 5, 6, 7]) expect(j.words.find((x) => x.word === word)!.uses, `w${word}`).toEqual([]);
    expect(j.removed.map((x) => x.field).sort()).toEqual(['_mapcount', '_refcount', 'index', 'mapping', 'memcg_data', 'page_type', 'private']);
    expect(j.words.map((w) => [w.word, w.to])).toEqual([[0, 0], [1, 1], [2, 2], [3, null], [4, null], [5, null], [6, null], [7, null]]);
    expect(j.newSize).toBe(24);

    const layout = readFileSync(join(tree, 'include/linux/mm_types.ts'), 'utf8');
    expect(layout).toContain('export const STRUCT_PAGE_SIZE = 24;');
    expect(layout).toContain('static readonly OWN_WORDS = {} as const;');
    expect(layout).toContain('static readonly OWN_COUNTS = {} as const;');
    // 1000 operations, not mixed's 20000: the memmap's size does not depend on them, and mixed
    // seed 1 has live descriptors of all four caches well before (zpdesc's first at about 290);
    // the verify below runs the workload at its verify length.
    const sim = memdesc(['simulate', tree, '--workload', 'mixed', '--seed', '1', '--ram', '64M', '--ops', '1000', '--report', 'metadata', '--json']);
    expect(sim.status, sim.stderr.slice(-2000)).toBe(0);
    const meta = JSON.parse(sim.stdout) as { struct_page_bytes: number; memmap_bytes: number; ram_bytes: number; descriptor_bytes: Record<string, number> };
    expect(meta.struct_page_bytes).toBe(24);
    expect(meta.memmap_bytes).toBe((meta.ram_bytes / 4096) * 24);
    expect(Object.keys(meta.descriptor_bytes).sort()).toEqual(expect.arrayContaining(['folio', 'ptdesc', 'slab', 'zpdesc']));

    // In this process (the CLI's main(), test/inProcess.ts), with the run's cache like a child's.
    const v = await runMain(['verify', tree, '--against', join(REPO, 'corpus'), '--workloads', 'mixed', '--seeds', '1', '--jobs', '1']);
    expect(v.status, (v.stdout + v.stderr).slice(-3000)).toBe(0);
    expect(v.stdout).toContain('candidate struct page 24 bytes');
  }, 900_000);
});
