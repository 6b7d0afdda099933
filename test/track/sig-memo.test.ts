/**
 * A walk asks each cached entry's dependency lists again at every commit: TrackCache hands out one
 * array per distinct list, CommitKeys keeps a list's signature by that array, and what a cited
 * line shows is kept per file version (cache.ts citedLine); a file version's hash is kept while
 * what it reaches hashes the same, its units naming a word are found once (deps.ts nodesHash,
 * mentioning). Through those memos, commit after commit,
 * signatures and file hashes equal those computed afresh (new program, units, graph and lists),
 * and change where an edit changes what they read: a caller's body, the lines a citation points
 * at, a declaration an unchanged file imports, the spec's class every file reaches.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SpecNames } from '../../src/analyzers/context.ts';
import { resolveSpec } from '../../src/model/builtin.ts';
import { CommitKeys, PartMemo, TrackCache, type EntryDeps, type FileEntry } from '../../src/track/cache.ts';
import { DepGraph, specNamePredicate, specRootNames, UnitCache } from '../../src/track/deps.ts';
import { markSummaries } from '../../src/track/marks.ts';
import { ProgramBuilder, sha1 } from '../../src/track/program.ts';
import { Shapes } from '../../src/track/shape.ts';
import { BLOBWORLD } from './history.ts';

const spec = resolveSpec(join(BLOBWORLD, 'spec.json'));
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** The blobworld fixture as a tree under proj/ (path -> text). */
function fixture(): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of readdirSync(BLOBWORLD, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const p = join(e.parentPath, e.name);
    out.set(`proj/${relative(BLOBWORLD, p)}`, readFileSync(p, 'utf8'));
  }
  return out;
}

/** What a walk keeps from commit to commit (track.ts), over a repository root with nothing on disk. */
function walker(root: string): (files: Map<string, string>) => CommitKeys {
  const builder = new ProgramBuilder(root, 'proj');
  const mentions = new SpecNames(spec).textFilter;
  const shapes = new Shapes(mentions);
  const units = new UnitCache(mentions, specNamePredicate(spec));
  const graph = new DepGraph();
  const memo = new PartMemo();
  return (files) => {
    const tree = new Map<string, string>();
    for (const [p, text] of files) {
      const id = sha1(text);
      builder.texts.set(id, text);
      tree.set(p, id);
    }
    const cp = builder.build(sha1([...tree].join('\n')), tree);
    const marks = markSummaries(cp.program, cp.root, spec, (sf) => relative(cp.root, sf.fileName));
    return new CommitKeys(cp, 'salt', shapes, units, graph, specRootNames(spec), marks?.summaries, undefined, memo);
  };
}

const copy = (d: EntryDeps): EntryDeps => ({ callers: [...d.callers], cites: [...d.cites] });

describe('track: signatures and file hashes through the walk\'s memos', () => {
  it('equal a fresh computation at each commit, and change with a caller\'s or a cited file\'s edit', () => {
    const root = mkdtempSync(join(tmpdir(), 'memdesc-sig-memo-'));
    dirs.push(root);
    const deps: EntryDeps = {
      callers: ['blob_owner', 'file:src/main.ts', 'name:owner', 'set_blob_owner'],
      // blob_owner()'s body, and an import line (a unit per name).
      cites: ['src/helpers.ts:24', 'src/cache.ts:4'],
    };
    const files = fixture();
    const edit = (p: string, from: string, to: string): void => {
      const text = files.get(p)!;
      expect(text).toContain(from);
      files.set(p, text.replace(from, to));
    };
    const walk = walker(root);
    const sigs: string[] = [];
    const cited: string[] = [];
    const reach: Array<Map<string, string>> = [];
    const named: string[] = [];
    const step = (): void => {
      const keys = walk(files);
      const fresh = walker(root)(files);
      const got = keys.sig(deps);
      // Asked again (the memos' hits), and with copies of the lists (their misses).
      expect(keys.sig(deps)).toBe(got);
      expect(keys.sig(copy(deps))).toBe(got);
      expect(got).toBe(fresh.sig(copy(deps)));
      expect(keys.citePart(deps.cites)).toBe(fresh.citePart([...deps.cites]));
      // Where the word is mentioned (deps.ts mentioning: per file version and word).
      named.push(keys.depPart('name:blob_owner'));
      expect(named.at(-1)).toBe(fresh.depPart('name:blob_owner'));
      sigs.push(got);
      cited.push(keys.citePart(deps.cites));
      const freshFiles = new Map(fresh.files.map((sf) => [sf.fileName, sf]));
      expect(keys.files.length).toBe(freshFiles.size);
      reach.push(new Map(keys.files.map((sf) => {
        const r = keys.reach(sf);
        expect(r, keys.rel(sf)).toBe(fresh.reach(freshFiles.get(sf.fileName)!));
        return [keys.rel(sf), r];
      })));
    };
    step();
    // A caller of blob_owner() changes its body: the callers' part changes, the citations hold.
    edit('proj/src/cache.ts', 'export function cache_of(blob: Blob): number {\n  return blob_owner(blob);', 'export function cache_of(blob: Blob): number {\n  return blob_owner(blob) + 0;');
    step();
    expect(sigs[1]).not.toBe(sigs[0]);
    expect(cited[1]).toBe(cited[0]);
    // Two lines more at the top of helpers.ts: line 24 is another unit's now.
    edit('proj/src/helpers.ts', "import { Blob, BLOB_SIZE } from './blob.ts';", "import { Blob, BLOB_SIZE } from './blob.ts';\n\nexport const SPARE = 0;");
    step();
    expect(cited[2]).not.toBe(cited[1]);
    expect(sigs[2]).not.toBe(sigs[1]);
    // A commit that changes nothing: every memo hits, the same signature.
    step();
    expect(sigs[3]).toBe(sigs[2]);
    expect(reach[3]).toEqual(reach[2]);
    // blob_owner()'s signature: cache.ts, unchanged, imports it; main.ts does not.
    edit('proj/src/helpers.ts', 'export function blob_owner(blob: Blob): number {', 'export function blob_owner(blob: Blob): number | undefined {');
    step();
    expect(reach[4]!.get('src/cache.ts')).not.toBe(reach[3]!.get('src/cache.ts'));
    expect(reach[4]!.get('src/main.ts')).toBe(reach[3]!.get('src/main.ts'));
    expect(named[4]).not.toBe(named[3]);
    expect(named[3]).toBe(named[2]);
    // The spec's class: every file reaches it.
    edit('proj/src/blob.ts', 'export class Blob {', 'export class Blob {\n  static readonly KIND = 1;');
    step();
    expect(reach[5]!.get('src/main.ts')).not.toBe(reach[4]!.get('src/main.ts'));
  });
});

describe('TrackCache: dependency lists', () => {
  const entry = (key: string, sig: string, callers: string[], cites: string[]): FileEntry =>
    ({ v: 2, key, file: 'a.ts', callers, cites, sig, findings: [], residue: [] });
  const hex = (c: string): string => c.repeat(40);

  it('hands out one array per distinct list, from memory and from disk, and one dependency set per key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'memdesc-sig-lists-'));
    dirs.push(dir);
    const c = new TrackCache(dir);
    c.put(entry(hex('a'), hex('1'), ['f', 'name:g'], ['x.ts:1']));
    c.put(entry(hex('b'), hex('2'), ['f', 'name:g'], ['y.ts:2']));
    // The same lists again under key a (another signature): still one set.
    c.put(entry(hex('a'), hex('3'), ['f', 'name:g'], ['x.ts:1']));
    c.put(entry(hex('a'), hex('4'), ['f'], ['x.ts:1']));
    for (const cache of [c, new TrackCache(dir)]) {
      const seen: EntryDeps[] = [];
      cache.get(hex('a'), (d) => (seen.push(d), 'none'));
      cache.get(hex('b'), (d) => (seen.push(d), 'none'));
      expect(seen.map((d) => d.callers)).toEqual([['f'], ['f', 'name:g'], ['f', 'name:g']]);
      expect(seen[2]!.callers).toBe(seen[1]!.callers);
      expect(seen[1]!.cites).toBe(seen[0]!.cites);
      expect(seen[2]!.cites).toEqual(['y.ts:2']);
    }
  });
});
