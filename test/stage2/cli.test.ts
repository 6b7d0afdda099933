/**
 * `memdesc audit` on a small codebase that is not Linux (its own spec, its own page class): the
 * words come from the spec alone, so moving the memdesc word changes which sites block and why;
 * exit 0 when clean, 1 with blockers, 2 with one line on bad input; --json validates against
 * docs/schemas/audit.schema.json; the text groups by kind, then reason.
 */
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv2020Package from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureOutput } from '../capture.ts';
import { main } from '../../src/cli.ts';
import type { AuditResult } from '../../src/stage2/types.ts';

const Ajv2020 = Ajv2020Package.default;
const SCHEMA = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'schemas', 'audit.schema.json'), 'utf8')) as object;
const validate = new Ajv2020({ allErrors: true, strictTypes: true, validateFormats: false }).compile(SCHEMA);

const BLOB = `/** A god type: a view over words of a store, like struct page. */
const store = new Map<number, number>();
const read = (a: number): number => store.get(a) ?? 0;
const write = (a: number, v: number): void => { store.set(a, v); };

export class ListNode {
  constructor(readonly addr: number) {}
  get next(): number { return read(this.addr); }
  set next(v: number) { write(this.addr, v); }
}

export class Blob {
  constructor(readonly addr: number) {}
  get head(): number { return read(this.addr + 8); }
  set head(v: number) { write(this.addr + 8, v); }
  get link(): ListNode { return new ListNode(this.addr + 8); }
  get owner(): number { return read(this.addr + 24); }
  set owner(v: number) { write(this.addr + 24, v); }
}

export class CacheObj {
  constructor(readonly addr: number) {}
  get cache(): number { return read(this.addr + 24); }
  set cache(v: number) { write(this.addr + 24, v); }
}

let next = 0x1000;
export function alloc_cache_blob(): Blob { next += 32; return new Blob(next); }
export function blob_at(i: number): Blob { return new Blob(0x1000 + i * 32); }
export function IsCacheBlob(b: Blob): boolean { return b.owner !== 0; }
export function blob_cacheobj(b: Blob): CacheObj { return new CacheObj(b.addr); }
export function cacheobj_blob(c: CacheObj): Blob { return new Blob(c.addr); }
export function list_push(n: ListNode): void { n.next = 1; }
`;

const CACHE = `import { alloc_cache_blob, blob_cacheobj, type CacheObj } from './blob.ts';

export function cache_new(id: number): CacheObj {
  const c = blob_cacheobj(alloc_cache_blob());
  c.cache = id;
  return c;
}
`;

const STALE = `import { alloc_cache_blob, list_push } from './blob.ts';

export function stale_link(): void {
  const b = alloc_cache_blob();
  list_push(b.link);
}

export function stale_owner(): number {
  const b = alloc_cache_blob();
  return b.owner;
}
`;

function spec(memdescWords: number[]): object {
  return {
    name: 'blob-audit',
    page: {
      class: 'Blob',
      file: 'src/blob.ts',
      fields: {
        head: { words: [1], track: 'never' },
        link: { words: [1, 2], embedded: true },
        owner: { words: [3] },
        memdesc: { words: memdescWords, track: 'never' },
      },
      addressMembers: [],
      neutralSources: ['blob_at'],
    },
    kinds: [
      {
        name: 'cache',
        descriptor: 'CacheObj',
        fields: { owner: 'cache' },
        converters: { fromPage: ['blob_cacheobj'], toPage: ['cacheobj_blob'] },
        pageTypeTests: ['IsCacheBlob'],
        owners: ['src/cache.ts'],
        provenance: ['alloc_cache_blob'],
      },
      { name: 'net', descriptor: null, fields: { link: 'net_list' } },
    ],
  };
}

const TSCONFIG = { compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, allowImportingTsExtensions: true, noEmit: true, skipLibCheck: true, types: [], lib: ['ES2022'] }, include: ['src'] };

let base: string;
let clean: string;
let stale: string;
const specOn = (words: number[]): string => join(base, `spec-w${words.join('-')}.json`);

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'memdesc-audit-cli-'));
  for (const [name, files] of [['clean', { 'blob.ts': BLOB, 'cache.ts': CACHE }], ['stale', { 'blob.ts': BLOB, 'cache.ts': CACHE, 'stale.ts': STALE }]] as const) {
    mkdirSync(join(base, name, 'src'), { recursive: true });
    writeFileSync(join(base, name, 'tsconfig.json'), JSON.stringify(TSCONFIG));
    for (const [f, text] of Object.entries(files)) writeFileSync(join(base, name, 'src', f), text);
  }
  clean = join(base, 'clean');
  stale = join(base, 'stale');
  for (const w of [[1], [3]]) writeFileSync(specOn(w), JSON.stringify(spec(w)));
  writeFileSync(join(base, 'spec-none.json'), JSON.stringify({ ...spec([1]), page: { ...(spec([1]) as { page: { fields: Record<string, unknown> } }).page, fields: { link: { words: [1, 2], embedded: true }, owner: { words: [3] } } } }));
});
afterAll(() => { if (base) rmSync(base, { recursive: true, force: true }); });

const io = captureOutput();

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  io.reset();
  const code = await main(args);
  return { code, out: io.out, err: io.err };
}

function schemaErrors(v: unknown): string[] {
  return validate(v) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`);
}

describe('memdesc audit on another codebase', () => {
  it('exits 0 on a clean tree and prints a JSON that validates', async () => {
    const r = await cli('audit', 'cache', clean, '--spec', specOn([1]), '--json');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const res = JSON.parse(r.out) as AuditResult;
    expect(res).toMatchObject({ kinds: ['cache'], memdescWords: [1], blockers: [], residue: [], summary: { blockers: 0, byKind: { cache: 0 } } });
    expect(schemaErrors(res)).toEqual([]);
    const text = await cli('audit', '--all', clean, '--spec', specOn([1]));
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/no blockers: cache can leave Blob/);
  });

  it('exits 1 while blockers remain; the reasons follow the memdesc word the spec names', async () => {
    const w1 = await cli('audit', 'cache', stale, '--spec', specOn([1]), '--json');
    expect(w1.code).toBe(1);
    expect(w1.err).toBe('memdesc: audit: cache has 2 blockers\n');
    const r1 = JSON.parse(w1.out) as AuditResult;
    expect(schemaErrors(r1)).toEqual([]);
    expect(r1.blockers.map((b) => [b.file, b.line, b.column, b.function, b.field, b.reason])).toEqual([
      ['src/stale.ts', 5, 15, 'stale_link', 'link', 'memdesc-word-write'],
      ['src/stale.ts', 10, 12, 'stale_owner', 'owner', 'raw-access'],
    ]);
    expect(r1.blockers[0]!.words).toEqual([1, 2]);

    // The memdesc word on w3 instead: the owner read now reads it, and the link is an ordinary raw access.
    const w3 = JSON.parse((await cli('audit', 'cache', stale, '--spec', specOn([3]), '--json')).out) as AuditResult;
    expect(w3.memdescWords).toEqual([3]);
    expect(w3.blockers.map((b) => [b.line, b.reason])).toEqual([[5, 'raw-access'], [10, 'memdesc-word-read']]);
    expect(w3.summary.byReason).toEqual({ cache: { 'raw-access': 1, 'memdesc-word-read': 1 } });
  });

  it('the schema rejects drifted output', async () => {
    const r = JSON.parse((await cli('audit', 'cache', stale, '--spec', specOn([1]), '--json')).out) as AuditResult;
    const drift = (edit: (c: Record<string, any>) => void): string[] => {
      const c = structuredClone(r) as unknown as Record<string, any>;
      edit(c);
      return schemaErrors(c);
    };
    expect(drift((c) => { c.extra = 1; })).not.toEqual([]);
    expect(drift((c) => { c.blockers[0].reason = 'maybe'; })).not.toEqual([]);
    expect(drift((c) => { delete c.blockers[0].function; })).not.toEqual([]);
    expect(drift((c) => { c.blockers[0].kind = 'unknown'; })).not.toEqual([]);
    expect(drift((c) => { c.summary.byReason.cache.bogus = 1; })).not.toEqual([]);
  });

  it('groups the text by kind, then reason, each site with function, word and why', async () => {
    const r = await cli('audit', 'cache', stale, '--spec', specOn([1]));
    expect(r.code).toBe(1);
    const lines = r.out.split('\n');
    const at = (re: RegExp): number => lines.findIndex((l) => re.test(l));
    expect(at(/^cache: 2 blockers$/)).toBeGreaterThan(0);
    expect(at(/^ {2}raw-access \(1\):/)).toBeGreaterThan(at(/^cache: 2 blockers$/));
    expect(at(/^ {2}memdesc-word-write \(1\):/)).toBeGreaterThan(at(/^ {2}raw-access \(1\):/));
    expect(r.out).toMatch(/src\/stale\.ts:5:15 stale_link\(\) link \(w1-w2\): hands `b\.link` \(w1-w2\) to code that writes through it, which the memdesc word \(w1\) occupies/);
    expect(r.out).toMatch(/`b` comes from `alloc_cache_blob\(\)`/);
  });

  it('a file that does not parse stops the audit (exit 2): unread is not clean', async () => {
    writeFileSync(join(base, 'clean', 'src', 'broken.ts'), 'export function oops( {\n');
    try {
      const r = await cli('audit', 'cache', clean, '--spec', specOn([1]));
      expect(r.code).toBe(2);
      expect(r.err).toBe('memdesc: src/broken.ts does not parse: the audit cannot tell what it does; fix it first\n');
      expect(r.out).toBe('');
    } finally {
      rmSync(join(base, 'clean', 'src', 'broken.ts'));
    }
  });

  it('bad input: one line on stderr, exit 2', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['audit', 'nosuch', clean, '--spec', specOn([1])], /^memdesc: unknown kind 'nosuch' \(kinds with a descriptor: cache\)\n$/],
      [['audit', 'net', clean, '--spec', specOn([1])], /^memdesc: kind 'net' has no descriptor class/],
      [['audit', 'cache', join(base, 'missing'), '--spec', specOn([1])], /^memdesc: no such path: /],
      [['audit', clean, '--spec', specOn([1])], /^memdesc: name the kinds to audit, or --all\n$/],
      [['audit', 'cache', '--all', clean, '--spec', specOn([1])], /^memdesc: give kinds or --all, not both\n$/],
      [['audit', 'cache', '--corpus', clean, '--spec', specOn([1])], /^memdesc: audit: give the project's path or --corpus, not both/],
      [['audit', 'cache', clean, '--spec', join(base, 'spec-none.json')], /^memdesc: spec .* has no page field 'memdesc'/],
    ];
    for (const [args, re] of cases) {
      const r = await cli(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err, args.join(' ')).toMatch(re);
      expect(r.err.trimEnd().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.out, args.join(' ')).toBe('');
    }
  });
});
