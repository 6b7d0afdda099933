/**
 * `memdesc analyze --explain FILE:LINE[:COL]`: the evidence chain of the findings at one place,
 * hop by hop with locations; exit 2 with one line when no finding is there. Chains are checked
 * on small in-memory programs (guard, provenance through callers, owner hint overridden,
 * conflicting code evidence) and end to end on the other-codebase fixture.
 */
import { relative } from 'node:path';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { captureOutput } from '../capture.ts';
import { analyzeDetailed, type SiteDetail } from '../../src/analyzers/analyze.ts';
import { parsePlace, renderExplain, sitesAt } from '../../src/analyzers/explain.ts';
import { programOf } from '../../src/analyzers/project.ts';
import { main } from '../../src/cli.ts';
import { builtinSpec } from '../../src/model/builtin.ts';
import { makeProject, ROOT } from './helpers.ts';

const CODE: Record<string, string> = {
  'cases/guard.ts': `
export function f(page: Page): number { if (!PageTable(page)) return 0; return page.private; }`,
  'cases/callers.ts': `
function helper(p: Page): number { return p.index + 1; }
export function a(): number { const q = alloc_slab_page(2); return helper(q); }
export function b(): number { return helper(alloc_slab_page(3)); }`,
  'mm/vmalloc.ts': `
export function g(page: Page): number { if (PageSlab(page)) return page.index; return 0; }`,
  'cases/conflict.ts': `
export function h(): number { const p = alloc_slab_page(0); if (PageTable(p)) return p.private; return 0; }`,
};

const det = analyzeDetailed(programOf(makeProject(CODE)), ROOT, { spec: builtinSpec() });
const at = (file: string, line: number): SiteDetail[] => sitesAt(det.sites, { file, line: line + 2 }, ROOT, ROOT);

describe('explain: evidence chains', () => {
  it('every finding has a chain, every hop a file:line location', () => {
    expect(det.sites.length).toBeGreaterThan(0);
    for (const s of det.sites) {
      expect(s.chain?.length, s.finding.file).toBeGreaterThan(0);
      for (const h of s.chain!) expect(h.at).toMatch(/^[^:]+\.ts:\d+$/);
    }
  });

  it('a guard: the test and where it is', () => {
    const [s] = at('cases/guard.ts', 2);
    expect(s!.finding.confidence).toBe('guard');
    expect(s!.chain).toEqual([{ text: 'after the early exit on `!PageTable(page)` at cases/guard.ts:4', at: 'cases/guard.ts:4' }]);
  });

  it('through callers: the parameter, the call, the local, the allocator, in that order', () => {
    const [s] = at('cases/callers.ts', 2);
    expect(s!.finding.kind).toBe('slab');
    expect(s!.finding.confidence).toBe('callgraph');
    expect(s!.chain!.map((h) => h.at)).toEqual(['cases/callers.ts:4', 'cases/callers.ts:5', 'cases/callers.ts:5', 'cases/callers.ts:5']);
    expect(s!.chain![0]!.text).toBe('`p` is a parameter of `helper()`: all 2 callers agree (the first shown)');
    expect(s!.chain![1]!.text).toBe('called with `q`');
    expect(s!.chain![2]!.text).toBe('`q` = `alloc_slab_page(2)`');
    expect(s!.chain![3]!.text).toMatch(/^`alloc_slab_page\(\)` hands out slab pages/);
  });

  it('an owner hint the code contradicts is shown as overridden', () => {
    const [s] = at('mm/vmalloc.ts', 2);
    expect(s!.finding.kind).toBe('slab');
    expect(s!.chain!.map((h) => h.text)).toEqual([
      'guarded by `PageSlab(page)` at mm/vmalloc.ts:4',
      'owner hint: in mm/vmalloc.ts, owned by vmalloc (vmalloc): contradicted by the code, which wins',
    ]);
  });

  it('conflicting code evidence: both sides', () => {
    const [s] = at('cases/conflict.ts', 2);
    expect(s!.finding.kind).toBe('unknown');
    expect(s!.finding.confidence).toBe('unknown');
    const text = s!.chain!.map((h) => h.text).join('\n');
    expect(text).toContain('guarded by `PageTable(p)`');
    expect(text).toContain('`alloc_slab_page()` hands out slab pages');
  });

  it('renders one block per site, hops numbered with the path prefix', () => {
    const text = renderExplain(at('cases/callers.ts', 2), 'proj/');
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe('proj/cases/callers.ts:4:45: slab (confidence: callgraph) in helper()');
    expect(lines[2]).toBe('  1. proj/cases/callers.ts:4: `p` is a parameter of `helper()`: all 2 callers agree (the first shown)');
    expect(lines).toHaveLength(2 + 4);
  });

  it('places: FILE:LINE[:COL], paths as printed or relative to the root; nothing there is an InputError', () => {
    expect(parsePlace('a/b.ts:3')).toEqual({ file: 'a/b.ts', line: 3 });
    expect(parsePlace('c:/x.ts:3:7')).toEqual({ file: 'c:/x.ts', line: 3, column: 7 });
    for (const bad of ['a.ts', 'a.ts:0', 'a.ts:x', ':3', 'a.ts:2:0']) expect(() => parsePlace(bad), bad).toThrow(/--explain expects FILE:LINE/);
    expect(sitesAt(det.sites, { file: `${ROOT}/cases/guard.ts`, line: 4 }, ROOT, '/elsewhere')).toHaveLength(1);
    expect(sitesAt(det.sites, { file: 'p/cases/guard.ts', line: 4 }, ROOT, '/')).toHaveLength(1);
    expect(sitesAt(det.sites, { file: 'cases/guard.ts', line: 4, column: 1 + 'export function f(page: Page): number { if (!PageTable(page)) return 0; return page.'.length }, ROOT, ROOT)).toHaveLength(1);
    expect(() => sitesAt(det.sites, { file: 'cases/guard.ts', line: 4, column: 1 }, ROOT, ROOT)).toThrow('no finding at cases/guard.ts:4:1');
    expect(() => sitesAt(det.sites, { file: 'cases/nope.ts', line: 4 }, ROOT, ROOT)).toThrow('no finding at cases/nope.ts:4 (no finding in that file)');
  });
});

const REPO = join(import.meta.dirname, '..', '..');
const OTHER = join(REPO, 'test', 'fixtures', 'analyzer', 'other-codebase');
const OTHER_SPEC = join(OTHER, 'spec.json');

describe('explain: memdesc analyze --explain', () => {
  const io = captureOutput();
  const prefix = `${relative(process.cwd(), OTHER)}/`;

  it('prints the chain of the site, with the path as analyze prints it', async () => {
    expect(await main(['analyze', OTHER, '--spec', OTHER_SPEC, '--explain', `${prefix}src/generic.ts:6`])).toBe(0);
    expect(io.out).toBe([
      `${prefix}src/generic.ts:6:41: cache (confidence: guard) in describe()`,
      '  cache: read of owner on `b` [guard]: guarded by `IsCacheBlob(b)` at src/generic.ts:6',
      `  1. ${prefix}src/generic.ts:6: guarded by \`IsCacheBlob(b)\` at src/generic.ts:6`,
      '',
    ].join('\n'));
    expect(io.err).toBe('');
  });

  it('a path relative to the project works too; a whole line gives every site on it', async () => {
    expect(await main(['analyze', OTHER, '--spec', OTHER_SPEC, '--explain', 'src/blob.ts:21'])).toBe(0);
    expect(io.out).toContain('src/blob.ts:21:45: cache (confidence: provenance)');
  });

  const bad: Array<[string, string[], RegExp]> = [
    ['no finding there', ['--explain', 'src/generic.ts:1'], /^memdesc: no finding at src\/generic\.ts:1\n$/],
    ['not a place', ['--explain', 'src/generic.ts'], /^memdesc: --explain expects FILE:LINE or FILE:LINE:COL/],
    ['with --json', ['--explain', 'src/generic.ts:6', '--json'], /^memdesc: --explain prints one site's evidence; it does not combine with --json\n$/],
  ];
  for (const [name, args, re] of bad) {
    it(`exit 2 with one line: ${name}`, async () => {
      expect(await main(['analyze', OTHER, '--spec', OTHER_SPEC, ...args])).toBe(2);
      expect(io.err).toMatch(re);
      expect(io.err.trimEnd().split('\n')).toHaveLength(1);
      expect(io.out).toBe('');
    });
  }
});
