/**
 * Fixture projects on disk: another codebase with its own god type and spec (nothing about the
 * corpus is hard-wired), and a project with a file that does not parse.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzePath } from '../../src/analyzers/analyze.ts';
import { builtinSpec, resolveSpec } from '../../src/model/builtin.ts';

const FIX = join(import.meta.dirname, '..', 'fixtures', 'analyzer');

const site = (f: { file: string; line: number; kind: string; access: string; field: string; converted: boolean }) =>
  `${f.file}:${f.line} ${f.kind} ${f.access} ${f.field}${f.converted ? ' converted' : ''}`;

describe('another codebase with its own spec', () => {
  const spec = resolveSpec(join(FIX, 'other-codebase', 'spec.json'));
  const r = analyzePath(join(FIX, 'other-codebase'), { spec });

  it('finds and classifies every access of the god type, and nothing on decoys', () => {
    expect(r.findings.map(site)).toEqual([
      'src/blob.ts:21 cache reference link converted',
      'src/blob.ts:22 cache read owner converted',
      'src/blob.ts:23 cache write owner converted',
      'src/cache.ts:12 cache write owner',
      'src/cache.ts:13 cache reference link',
      'src/cache.ts:17 cache read owner converted',
      'src/cache.ts:17 cache read link converted',
      'src/generic.ts:6 cache read owner',
      'src/generic.ts:7 unknown read owner',
      'src/generic.ts:12 net write slot',
      'src/generic.ts:13 net call slot',
      'src/generic.ts:27 unknown read slot',
      'src/net/buf.ts:10 net call slot',
    ]);
    expect(r.residue).toEqual([]);
  });

  it('discovers the wrapper and explains each decision', () => {
    expect(r.wrappers.map((w) => `${w.name} ${w.field} ${w.access} ${w.origin} ${w.callSites}`)).toEqual(['blob_slot slot read discovered 2']);
    const byLine = (file: string, line: number) => r.findings.find((f) => f.file === file && f.line === line)!;
    expect(byLine('src/generic.ts', 6).evidence[0]).toBe('guarded by `IsCacheBlob(b)` at src/generic.ts:6');
    expect(byLine('src/generic.ts', 12).evidence[0]).toBe('`nb` comes from `alloc_netbuf()` at src/generic.ts:11');
    expect(byLine('src/net/buf.ts', 10).evidence[0]).toBe('owner hint (no code evidence): in src/net/buf.ts, owned by net');
    expect(byLine('src/cache.ts', 17).evidence[0]).toBe('`obj` has descriptor type `CacheObj`');
  });

  it('summarizes kind x field', () => {
    expect(r.summary.byKind.cache).toEqual({
      link: { converted: 2, remaining: 1 }, owner: { converted: 3, remaining: 2 }, slot: { converted: 0, remaining: 0 },
    });
    expect(r.summary.byKind.net!.slot).toEqual({ converted: 0, remaining: 3 });
    expect(r.summary.byKind.unknown!.owner).toEqual({ converted: 0, remaining: 1 });
    // b in bs.map((b) => b.slot) is typed through lib.es5's Array: the default library is loaded.
    expect(r.summary.byKind.unknown!.slot).toEqual({ converted: 0, remaining: 1 });
  });

  it('the built-in spec refuses a project without its page class', () => {
    expect(() => analyzePath(join(FIX, 'other-codebase'), { spec: builtinSpec() })).toThrow(/the spec's class Page is not declared in include\/linux\/mm_types\.ts .*: for a project of your own, give its spec with --spec FILE/);
  });
});

describe('a file that does not parse', () => {
  const r = analyzePath(join(FIX, 'broken'), { spec: builtinSpec() });
  it('is residue, and the rest is still analyzed', () => {
    expect(r.residue).toHaveLength(1);
    expect(r.residue[0]).toMatchObject({ file: 'mm/bad.ts', line: 4 });
    expect(r.residue[0]!.reason).toMatch(/^file does not parse: Expression expected/);
    expect(r.findings.map(site)).toEqual(['mm/page_alloc.ts:4 buddy write private', 'mm/page_alloc.ts:5 buddy write mapping']);
  });
});
