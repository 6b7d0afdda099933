/**
 * Nothing is corpus-specific: a made-up codebase (its own god type `Blob` with 32-bit words,
 * an intrusive `Link` list with an `OFFSETS` table, its own wrappers and address helpers) and
 * two descriptors defined only in its spec convert the same way, keep their behaviour, and
 * their MATCH asserts catch a wrong offset when the module loads.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { analyzePath } from '../../src/analyzers/analyze.ts';
import { builtinSpec } from '../../src/model/builtin.ts';
import { loadSpecFile } from '../../src/model/spec-validate.ts';
import type { Spec } from '../../src/model/spec.ts';
import { runConvert, type RunResult } from '../../src/rewrite/driver.ts';
import { BLOBWORLD, copyTree, runTs } from './helpers.ts';

describe('a made-up codebase with its own god type and two descriptors', () => {
  let dir: string;
  let spec: Spec;
  let r: RunResult;

  beforeAll(() => {
    dir = copyTree(BLOBWORLD, { runnable: true });
    spec = loadSpecFile(join(dir, 'spec.json'), builtinSpec());
    r = runConvert({ path: dir, spec, kinds: [], all: true, write: true });
  });

  it('creates both descriptors where the spec places them, with their converters', () => {
    expect(r.plan.report.created).toEqual([
      'CacheObj in src/cacheobj.ts', 'blob_cacheobj, cacheobj_blob in src/cacheobj.ts', 'addr_to_cacheobj in src/helpers.ts',
      'NetBuf in src/net/netbuf.ts', 'blob_netbuf, netbuf_blob in src/net/netbuf.ts',
    ]);
    const cacheobj = readFileSync(join(dir, 'src/cacheobj.ts'), 'utf8');
    expect(cacheobj).toContain('static readonly OFFSETS = { cache_list: CACHEOBJ_CACHE_LIST_OFFSET } as const;');
    expect(cacheobj).toContain("CACHE_MATCH(BLOB_OWNER, CACHEOBJ_CACHE_OFFSET, 'owner, cache');");
    expect(cacheobj).toContain('return rd(this.base + CACHEOBJ_CACHE_OFFSET);');
    // 4-byte words from the spec: w3 is byte 12.
    expect(cacheobj).toContain('const CACHEOBJ_CACHE_OFFSET = 12;');
  });

  it('converts functions with their callers and retires what became dead', () => {
    expect(r.plan.report.functions.map((f) => `${f.function}: ${f.change}`)).toEqual([
      'cache_of: blob: Blob -> obj: CacheObj', 'cache_move: blob: Blob -> obj: CacheObj', 'cache_first: returns CacheObj',
      'netbuf_next_seq: b: Blob -> b: NetBuf',
    ]);
    expect(r.plan.report.retired).toEqual({ helpers: ['blob_owner()', 'set_blob_owner()'], members: ['Blob.link', 'Blob.slot'] });
    const cache = readFileSync(join(dir, 'src/cache.ts'), 'utf8');
    expect(cache).toContain("for (const obj of link_walk(cache_head, CacheObj, 'cache_list')) total += cache_of(obj);");
    expect(cache).toContain("BLOB_BUG_ON(obj.cache === 0, cacheobj_blob(obj), 'not a cache blob');");
  });

  it('leaves no raw access of either kind; the unknown one stays, listed', () => {
    const a = analyzePath(dir, { spec });
    const raw = a.findings.filter((f) => !f.converted);
    expect(raw.map((f) => `${f.file}:${f.line} ${f.kind} ${f.field}`)).toEqual(['src/generic.ts:10 unknown owner']);
    expect(r.plan.report.skipped.map((s) => `${s.file}:${s.line} ${s.kind}`)).toEqual(['src/generic.ts:8 unknown']);
  });

  it('behaves exactly as before', () => {
    const before = runTs(join(BLOBWORLD, 'src/main.ts'));
    const after = runTs(join(dir, 'src/main.ts'));
    expect(before.status).toBe(0);
    expect(after.stderr).toBe('');
    expect(after.stdout).toBe(before.stdout);
  });

  it('a second run is a no-op', () => {
    const again = runConvert({ path: dir, spec, kinds: [], all: true, write: true });
    expect(again.files).toEqual([]);
    expect(again.written).toBe(false);
  });

  it('the MATCH assert fails at load time when a descriptor field leaves its word', () => {
    const f = join(dir, 'src/cacheobj.ts');
    const good = readFileSync(f, 'utf8');
    writeFileSync(f, good.replace('const CACHEOBJ_CACHE_OFFSET = 12;', 'const CACHEOBJ_CACHE_OFFSET = 16;'));
    try {
      const run = runTs(join(dir, 'src/main.ts'));
      expect(run.status).not.toBe(0);
      expect(run.stderr).toContain('CACHE_MATCH(owner, cache): Blob offset 12 != CacheObj offset 16');
    } finally {
      writeFileSync(f, good);
    }
  });
});
