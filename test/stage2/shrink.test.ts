/**
 * `memdesc shrink` on a small made-up project with its own spec: a god class (Slot, four words)
 * whose kind `cache` overlays two of them. Before its planted separation, nothing can go (exit 1,
 * naming what uses each word); after it, the two words go, the rest is packed (literal before and
 * after of the layout file), the size and its shift follow, imports of removed constants go, and a
 * second run is a no-op. Bad input is one line and exit 2; a word read by number outside the layout
 * that would move is refused; --write-spec writes the spec's new field table, only when asked.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv2020Package from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureOutput } from '../capture.ts';
import { main } from '../../src/cli.ts';

const Ajv2020 = Ajv2020Package.default;
const SCHEMA = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'schemas', 'shrink.schema.json'), 'utf8')) as object;
const validate = new Ajv2020({ allErrors: true, strictTypes: true, validateFormats: false }).compile(SCHEMA);
const schemaErrors = (v: unknown): string[] => (validate(v) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`));

const MEM = `/** A word-addressed store: what the objects' fields read and write. */
const store = new Map<number, number>();
export const read = (a: number): number => store.get(a) ?? 0;
export const write = (a: number, v: number): void => { store.set(a, v); };
`;

const SLOT = `import { read, write } from './mem.ts';

/** sizeof(Slot), and log2 of it. */
export const SLOT_SIZE = 32;
export const SLOT_SHIFT = 5;

/** Byte offsets of Slot's words. */
export const SLOT_FLAGS_OFFSET = 0;
/** The owner's id (w1). */
export const SLOT_OWNER_OFFSET = 8;
export const SLOT_LINK_OFFSET = 16;
export const SLOT_COUNT_OFFSET = 24;

/** A god type: one per slot, every subsystem's fields overlaid on its four words. */
export class Slot {
  constructor(readonly addr: number) {}

  static readonly OFFSETOF = { owner: SLOT_OWNER_OFFSET, link: SLOT_LINK_OFFSET } as const;

  get flags(): number { return read(this.addr + SLOT_FLAGS_OFFSET); }
  set flags(v: number) { write(this.addr + SLOT_FLAGS_OFFSET, v); }

  /** The owner's id. */
  get owner(): number { return read(this.addr + SLOT_OWNER_OFFSET); }
  set owner(v: number) { write(this.addr + SLOT_OWNER_OFFSET, v); }

  get link(): number { return read(this.addr + SLOT_LINK_OFFSET); }
  set link(v: number) { write(this.addr + SLOT_LINK_OFFSET, v); }

  /** The memdesc word: the descriptor's address. */
  get memdesc(): number { return read(this.addr + SLOT_LINK_OFFSET); }

  /** High half of the link word. */
  get tag(): number { return read(this.addr + 20); }

  get count(): number { return read(this.addr + SLOT_COUNT_OFFSET); }
  set count(v: number) { write(this.addr + SLOT_COUNT_OFFSET, v); }
}

export function slot_at(i: number): Slot {
  return new Slot(0x1000 + i * SLOT_SIZE);
}

export function slot_index(s: Slot): number {
  return (s.addr - 0x1000) >> SLOT_SHIFT;
}
`;

/** What shrink must make of SLOT once `cache` has left it (owner w1 and count w3 unused). */
const SLOT_SHRUNK = `import { read, write } from './mem.ts';

/** sizeof(Slot), and log2 of it. */
export const SLOT_SIZE = 16;
export const SLOT_SHIFT = 4;

/** Byte offsets of Slot's words. */
export const SLOT_FLAGS_OFFSET = 0;
export const SLOT_LINK_OFFSET = 8;

/** A god type: one per slot, every subsystem's fields overlaid on its four words. */
export class Slot {
  constructor(readonly addr: number) {}

  static readonly OFFSETOF = { link: SLOT_LINK_OFFSET } as const;

  get flags(): number { return read(this.addr + SLOT_FLAGS_OFFSET); }
  set flags(v: number) { write(this.addr + SLOT_FLAGS_OFFSET, v); }

  get link(): number { return read(this.addr + SLOT_LINK_OFFSET); }
  set link(v: number) { write(this.addr + SLOT_LINK_OFFSET, v); }

  /** The memdesc word: the descriptor's address. */
  get memdesc(): number { return read(this.addr + SLOT_LINK_OFFSET); }

  /** High half of the link word. */
  get tag(): number { return read(this.addr + 12); }
}

export function slot_at(i: number): Slot {
  return new Slot(0x1000 + i * SLOT_SIZE);
}

export function slot_index(s: Slot): number {
  return (s.addr - 0x1000) >> SLOT_SHIFT;
}
`;

const CACHE_OVERLAY = `import { read, write } from './mem.ts';
import { Slot, slot_at, SLOT_OWNER_OFFSET, SLOT_COUNT_OFFSET } from './slot.ts';

/** The cache's descriptor: an overlay on its slot's words. */
export class CacheObj {
  constructor(readonly addr: number) {}
  get cache(): number { return read(this.addr + 8); }
  set cache(v: number) { write(this.addr + 8, v); }
  get objects(): number { return read(this.addr + 24); }
  set objects(v: number) { write(this.addr + 24, v); }
}

function CACHE_MATCH(a: number, b: number): void {
  if (a !== b) throw new Error('CACHE_MATCH');
}
CACHE_MATCH(SLOT_OWNER_OFFSET, 8);
CACHE_MATCH(SLOT_COUNT_OFFSET, 24);

export function slot_cacheobj(s: Slot): CacheObj {
  return new CacheObj(s.addr);
}

export function cacheobj_slot(c: CacheObj): Slot {
  return new Slot(c.addr);
}

export function cache_new(i: number, id: number): CacheObj {
  const s = slot_at(i);
  s.owner = id;
  s.count = 0;
  return slot_cacheobj(s);
}
`;

const CACHE_SEPARATED = `import { read, write } from './mem.ts';
import { Slot, slot_at } from './slot.ts';

/** The cache's descriptor, allocated on its own: the back pointer, then its fields. */
export class CacheObj {
  constructor(readonly addr: number) {}
  get cache(): number { return read(this.addr + 8); }
  set cache(v: number) { write(this.addr + 8, v); }
  get objects(): number { return read(this.addr + 16); }
  set objects(v: number) { write(this.addr + 16, v); }
}

let nextDesc = 0x90000;

export function slot_cacheobj(s: Slot): CacheObj {
  return new CacheObj(s.memdesc);
}

export function cacheobj_slot(c: CacheObj): Slot {
  return new Slot(read(c.addr));
}

export function cache_new(i: number, id: number): CacheObj {
  const s = slot_at(i);
  const c = new CacheObj((nextDesc += 32));
  write(c.addr, s.addr);
  s.link = c.addr;
  c.cache = id;
  c.objects = 0;
  return c;
}
`;

const MAIN = `import { read } from './mem.ts';
import { slot_at, slot_index, type Slot } from './slot.ts';
import { cache_new } from './cache.ts';

/** Generic code: reads every slot's flags (by number too) and its link. */
export function dump(s: Slot): string {
  return \`slot \${slot_index(s)} flags \${s.flags} \${read(s.addr + 0)} link \${s.link} tag \${s.tag}\`;
}

const c = cache_new(3, 7);
c.objects = 2;
slot_at(3).flags = 1;
console.log(dump(slot_at(3)), c.cache, c.objects);
`;

/** Imports removed offsets without using them: the import must go with them. */
const UNUSED = `import { SLOT_COUNT_OFFSET, SLOT_FLAGS_OFFSET } from './slot.ts';
import { SLOT_OWNER_OFFSET } from './slot.ts';

export const first = SLOT_FLAGS_OFFSET;
`;

const SPEC = {
  "name": "slot-shrink",
  "page": {
    "class": "Slot",
    "file": "src/slot.ts",
    "fields": {
      "flags": {
        "words": [
          0
        ],
        "track": "never"
      },
      "owner": {
        "words": [
          1
        ]
      },
      "link": {
        "words": [
          2
        ],
        "track": "never"
      },
      "memdesc": {
        "words": [
          2
        ],
        "track": "never"
      },
      "tag": {
        "words": [
          2
        ],
        "bits": "32:32",
        "track": "never"
      },
      "count": {
        "words": [
          3
        ]
      }
    },
    "addressMembers": [],
    "neutralSources": [
      "slot_at"
    ]
  },
  "kinds": [
    {
      "name": "cache",
      "descriptor": "CacheObj",
      "fields": {
        "owner": "cache",
        "count": "objects"
      },
      "converters": {
        "fromPage": [
          "slot_cacheobj"
        ],
        "toPage": [
          "cacheobj_slot"
        ]
      },
      "pageTypeTests": [],
      "owners": [
        "src/cache.ts"
      ],
      "provenance": [
        "slot_at"
      ]
    }
  ]
};

const TSCONFIG = { compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, allowImportingTsExtensions: true, noEmit: true, skipLibCheck: true, types: [], lib: ['ES2022', 'DOM'] }, include: ['src'] };

let base: string;

function project(name: string, files: Record<string, string>, spec: object | null = SPEC): string {
  const dir = join(base, name);
  mkdirSync(join(dir, 'src'), { recursive: true });
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(TSCONFIG));
  for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, 'src', f), text);
  if (spec) writeFileSync(join(dir, 'memdesc.spec.json'), `${JSON.stringify(spec, null, 2)}\n`);
  return dir;
}

const overlaid = { 'mem.ts': MEM, 'slot.ts': SLOT, 'cache.ts': CACHE_OVERLAY, 'main.ts': MAIN };
const separated = { 'mem.ts': MEM, 'slot.ts': SLOT, 'cache.ts': CACHE_SEPARATED, 'main.ts': MAIN, 'unused.ts': UNUSED };

function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name), `${rel}${e.name}/`);
      else out[`${rel}${e.name}`] = readFileSync(join(d, e.name), 'utf8');
    }
  };
  walk(dir, '');
  return out;
}

beforeAll(() => { base = mkdtempSync(join(tmpdir(), 'memdesc-shrink-')); });
afterAll(() => { if (base) rmSync(base, { recursive: true, force: true }); });

const io = captureOutput();

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  io.reset();
  const code = await main(args);
  return { code, out: io.out, err: io.err };
}

describe('memdesc shrink on a made-up project', () => {
  it('refuses while the kind still overlays its words, naming what uses each one, and writes nothing', async () => {
    const dir = project('overlaid', overlaid);
    const before = snapshot(dir);
    const r = await cli('shrink', dir, '--write');
    expect(r.code).toBe(1);
    const last = r.err.trim().split('\n').at(-1)!;
    expect(last).toMatch(/nothing can be removed from Slot: every word is in use and cache has not left it yet/);
    expect(last).toContain('w1 (owner: src/cache.ts:29 cache)');
    expect(last).toContain('w3 (count: src/cache.ts:30 cache)');
    // The report: the overlay converter, the raw write and the MATCH on the offset constant, per word.
    expect(r.out).toMatch(/w1 \(owner\): 3 uses, by kinds not separated: cache/);
    expect(r.out).toMatch(/src\/cache\.ts:20:10 slot_cacheobj\(\): overlay descriptor owner, count \[cache\]: new CacheObj\(s\.addr\)/);
    expect(r.out).toMatch(/src\/cache\.ts:16:13: uses the offset SLOT_OWNER_OFFSET: CACHE_MATCH\(SLOT_OWNER_OFFSET, 8\)/);
    expect(r.out).toMatch(/src\/cache\.ts:30:3 cache_new\(\): writes count \[cache\]: s\.count/);
    const json = await cli('shrink', dir, '--json');
    expect(json.code).toBe(1);
    expect(schemaErrors(JSON.parse(json.out))).toEqual([]);
    expect(snapshot(dir)).toEqual(before);
  });

  it('dry run: the new layout, what went and why, what moved, the diff; nothing written', async () => {
    const dir = project('dry', separated);
    const before = snapshot(dir);
    const r = await cli('shrink', dir, '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as Record<string, unknown> & { words: Array<{ word: number; to: number | null; fields: string[] }> };
    expect(schemaErrors(j)).toEqual([]);
    expect(j).toMatchObject({ className: 'Slot', layoutFile: 'src/slot.ts', oldSize: 32, newSize: 16, sizeConstant: 'SLOT_SIZE', written: false });
    expect(j.words.map((w) => [w.word, w.to, w.fields.join()])).toEqual([[0, 0, 'flags'], [1, null, 'owner'], [2, 1, 'link,memdesc,tag'], [3, null, 'count']]);
    expect(j.removed).toEqual([
      { field: 'owner', words: [1], reason: expect.stringMatching(/^no access left: no reference to Slot\.owner outside the class/) },
      { field: 'count', words: [3], reason: expect.stringMatching(/^no access left: no reference to Slot\.count outside the class/) },
    ]);
    expect(j.moved).toEqual([{ field: 'link', from: [2], to: [1] }, { field: 'memdesc', from: [2], to: [1] }, { field: 'tag', from: [2], to: [1] }]);
    expect(j.pendingKinds).toEqual({});
    expect(j.specFields).toEqual({
      flags: { words: [0], track: 'never' }, link: { words: [1], track: 'never' }, memdesc: { words: [1], track: 'never' },
      tag: { words: [1], bits: '32:32', track: 'never' },
    });
    expect(j.files).toEqual([{ file: 'src/slot.ts', status: 'modified' }, { file: 'src/unused.ts', status: 'modified' }]);
    expect(snapshot(dir)).toEqual(before);
    const text = await cli('shrink', dir);
    expect(text.code).toBe(0);
    expect(text.out).toContain('-export const SLOT_SIZE = 32;\n-export const SLOT_SHIFT = 5;\n+export const SLOT_SIZE = 16;\n+export const SLOT_SHIFT = 4;');
    expect(text.err).toContain('Slot (');
    expect(text.err).toMatch(/32 bytes -> 16 bytes \(4 -> 2 words of 8\)/);
    expect(text.err).toMatch(/owner \(w1\): no access left/);
    expect(text.err).toContain('link: w2 -> w1');
    expect(text.err).toContain('"tag": { "words": [1], "bits": "32:32", "track": "never" }');
    expect(text.err).toContain('dry run: 2 files would change (--write to apply)');
  });

  it('--write: the layout file exactly as expected, imports of removed offsets gone; the spec untouched; a second run is a no-op', async () => {
    const dir = project('write', separated);
    const spec = readFileSync(join(dir, 'memdesc.spec.json'), 'utf8');
    const r = await cli('shrink', dir, '--write');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('checks: type-check passed; a second run removes nothing more');
    expect(r.out).toMatch(/wrote 2 files in .*: Slot is 16 bytes/);
    expect(r.out).toContain('--write-spec writes them into the spec file');
    expect(readFileSync(join(dir, 'src', 'slot.ts'), 'utf8')).toBe(SLOT_SHRUNK);
    expect(readFileSync(join(dir, 'src', 'unused.ts'), 'utf8')).toBe("import { SLOT_FLAGS_OFFSET } from './slot.ts';\n\nexport const first = SLOT_FLAGS_OFFSET;\n");
    expect(readFileSync(join(dir, 'memdesc.spec.json'), 'utf8')).toBe(spec);
    expect(readdirSync(dir).sort()).toEqual(['memdesc.spec.json', 'src', 'tsconfig.json']);
    const after = snapshot(dir);
    const again = await cli('shrink', dir, '--write');
    expect(again.code, again.err).toBe(0);
    expect(again.out).toContain('nothing to remove: every word of Slot is in use (16 bytes)');
    expect(snapshot(dir)).toEqual(after);
  });

  it('--write-spec writes the new field table (and drops the kind\'s map of removed fields) only when asked', async () => {
    const dir = project('spec', separated);
    const r = await cli('shrink', dir, '--write', '--write-spec');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/wrote the new field table into .*memdesc\.spec\.json/);
    const spec = JSON.parse(readFileSync(join(dir, 'memdesc.spec.json'), 'utf8')) as { page: { fields: Record<string, { words: number[] }> }; kinds: Array<{ fields: object }> };
    expect(Object.fromEntries(Object.entries(spec.page.fields).map(([k, v]) => [k, v.words]))).toEqual({ flags: [0], link: [1], memdesc: [1], tag: [1] });
    expect(spec.kinds[0]!.fields).toEqual({});
    // The spec it wrote is valid and agrees with the code: a further run has nothing to say about it.
    const again = await cli('shrink', dir, '--json');
    expect(again.code, again.err).toBe(0);
    expect(JSON.parse(again.out)).toMatchObject({ oldSize: 16, newSize: 16, specMismatch: [] });
  });

  it('reports a spec left stale by an earlier shrink instead of trusting it', async () => {
    const dir = project('stale', separated, null);
    writeFileSync(join(base, 'stale-spec.json'), JSON.stringify(SPEC));
    expect((await cli('shrink', dir, '--write', '--spec', join(base, 'stale-spec.json'))).code).toBe(0);
    const r = await cli('shrink', dir, '--spec', join(base, 'stale-spec.json'), '--json');
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out).specMismatch).toContain('link: the spec says w2, Slot.link reads w1');
  });

  it('refuses to move a word that code outside the layout reads by number; nothing written', async () => {
    const dir = project('bynumber', { ...separated, 'peek.ts': "import { read } from './mem.ts';\nimport type { Slot } from './slot.ts';\n\nexport function peek_link(s: Slot): number {\n  return read(s.addr + 16);\n}\n" });
    const before = snapshot(dir);
    const r = await cli('shrink', dir, '--write');
    expect(r.code).toBe(1);
    expect(r.err.trim()).toMatch(/^memdesc: src\/peek\.ts:5:15: `read\(s\.addr \+ 16\)` reads w2 of Slot by a number, outside the layout; the word would move to w1/);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(snapshot(dir)).toEqual(before);
  });

  it('refuses a dirty git tree on --write, like convert', async () => {
    const dir = project('git', separated);
    const env = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.invalid', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.invalid', GIT_CONFIG_GLOBAL: '/dev/null' };
    execFileSync('git', ['init', '-q'], { cwd: dir, env });
    execFileSync('git', ['add', '.'], { cwd: dir, env });
    execFileSync('git', ['commit', '-qm', 'base'], { cwd: dir, env });
    writeFileSync(join(dir, 'src', 'main.ts'), `${MAIN}// edited\n`);
    const before = snapshot(join(dir, 'src'));
    const r = await cli('shrink', dir, '--write');
    expect(r.code).toBe(2);
    expect(r.err.trim()).toMatch(/has uncommitted changes in git/);
    expect(snapshot(join(dir, 'src'))).toEqual(before);
  });

  it('a class of plain fields (no offsets, no size constant): unused fields go, the spec table follows; a second run is a no-op', async () => {
    const shelf = `/** A god type of plain fields: every department's data on every shelf. */
export class Shelf {
  qty = 0;
  /** Set by the stock department. */
  stockId = 0;
  label = '';
  /** Set by the loan department. */
  loanDue = 0;

  constructor(readonly id: number) {
    this.qty = 1;
  }
}

export const MAX_SHELVES = 32;
`;
    // label is only read by destructuring: still a use.
    const main = "import { Shelf } from './shelf.ts';\n\nconst s = new Shelf(1);\nconst { label } = s;\nconsole.log(s.qty, label);\n";
    const spec = {
      name: 'shelf',
      object: {
        class: 'Shelf', file: 'src/shelf.ts',
        fields: { qty: { words: [0], track: 'never' }, stockId: { words: [1] }, label: { words: [2], track: 'never' }, loanDue: { words: [3] } },
      },
      kinds: [{ name: 'stock', descriptor: 'Stock', fields: { stockId: 'id' } }, { name: 'loan', descriptor: 'Loan', fields: { loanDue: 'due' } }],
    };
    // A spread copies every field: while one exists, nothing can go.
    const spread = project('plain-spread', { 'shelf.ts': shelf, 'main.ts': main, 'copy.ts': "import { Shelf } from './shelf.ts';\n\nexport const copy = { ...new Shelf(2) };\n" }, spec);
    const kept = await cli('shrink', spread, '--write');
    expect(kept.code, kept.err).toBe(0);
    expect(kept.out).toContain('nothing to remove: every word of Shelf is in use (32 bytes)');
    expect(readFileSync(join(spread, 'src', 'shelf.ts'), 'utf8')).toBe(shelf);

    const dir = project('plain', { 'shelf.ts': shelf, 'main.ts': main }, spec);
    const r = await cli('shrink', dir, '--write');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/Shelf \(.*\): 32 bytes -> 16 bytes/);
    expect(r.out).toContain('label: w2 -> w1');
    expect(r.out).toContain('"label": { "words": [1], "track": "never" }');
    // MAX_SHELVES is 32 like the class, but nothing steps from one Shelf to the next with it: no size constant, untouched.
    expect(readFileSync(join(dir, 'src', 'shelf.ts'), 'utf8')).toBe(shelf.replace("  /** Set by the stock department. */\n  stockId = 0;\n", '').replace("  /** Set by the loan department. */\n  loanDue = 0;\n", ''));
    const after = snapshot(dir);
    const again = await cli('shrink', dir, '--write');
    expect(again.code, again.err).toBe(0);
    expect(again.out).toContain('nothing to remove: every word of Shelf is in use');
    expect(again.out).toContain('stockId: the spec lists it, Shelf has no such member');
    expect(snapshot(dir)).toEqual(after);
  });

  it('keeps comments that are not the removed declaration\'s own: a file header before a removed first statement stays', async () => {
    const header = '// SPDX-License-Identifier: GPL-2.0\n// Slot layout: the hand-written header stays.\n';
    const slot = `${header}export const SLOT_OWNER_OFFSET = 8;\n${SLOT.replace('/** The owner\'s id (w1). */\nexport const SLOT_OWNER_OFFSET = 8;\n', '')}`;
    const dir = project('header', { ...separated, 'slot.ts': slot });
    const r = await cli('shrink', dir, '--write');
    expect(r.code, r.err).toBe(0);
    const after = readFileSync(join(dir, 'src', 'slot.ts'), 'utf8');
    expect(after.startsWith(`${header}import { read, write } from './mem.ts';\n`)).toBe(true);
    expect(after).not.toContain('SLOT_OWNER_OFFSET');
  });

  it('one writer at a time: a tree another memdesc holds is refused, nothing written', async () => {
    const dir = project('locked', separated);
    writeFileSync(join(dir, '.memdesc-lock'), `${JSON.stringify({ tool: 'memdesc', pid: process.pid, host: hostname(), since: new Date().toISOString() })}\n`);
    const before = snapshot(dir);
    const r = await cli('shrink', dir, '--write');
    expect(r.code).toBe(2);
    expect(r.err.trim()).toMatch(/another memdesc is writing/);
    expect(snapshot(dir)).toEqual(before);
  });

  it('bad input: one line on stderr, exit 2, nothing written', async () => {
    const dir = project('bad', separated);
    const before = snapshot(dir);
    const cases: Array<[string[], RegExp]> = [
      [['shrink', join(base, 'no-such-dir')], /no-such-dir/],
      [['shrink', dir, '--dry-run', '--write'], /--dry-run and --write exclude each other/],
      [['shrink', '--write', '--corpus'], /never writes the bundled corpus/],
      [['shrink', dir, '--force'], /--force only makes sense with --write/],
      [['shrink', dir, '--spec', join(base, 'missing-spec.json')], /missing-spec\.json/],
    ];
    writeFileSync(join(base, 'other-class.json'), JSON.stringify({ ...SPEC, page: { ...SPEC.page, class: 'Nope' } }));
    cases.push([['shrink', dir, '--spec', join(base, 'other-class.json')], /no class Nope in src\/slot\.ts/]);
    for (const [args, msg] of cases) {
      const r = await cli(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.err).toMatch(msg);
    }
    const noSpecFile = project('nospec', separated, null);
    const r = await cli('shrink', noSpecFile, '--write-spec');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--write-spec needs the spec's own file/);
    expect(snapshot(dir)).toEqual(before);
  });
});
