/**
 * Mutant generation on the real corpus (every operator, splices that apply, seeded selection,
 * type-checking, probes), the descriptor-layer operators on a converted-style snippet, and one
 * small end-to-end `verify --mutants`.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ts } from 'ts-morph';
import { loadProgram } from '../../src/analyzers/project.ts';
import { analyzeDetailed } from '../../src/analyzers/analyze.ts';
import { builtinSpec } from '../../src/model/builtin.ts';
import { applySplices, generateCandidates, probeSplices, selectionOrder, type Mutant } from '../../src/verify/mutants-gen.ts';
import { generateDescriptorCandidates } from '../../src/verify/mutants-desc.ts';
import { VariantChecker } from '../../src/verify/typecheck.ts';
import { workloadOrder } from '../../src/verify/mutants.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const CORPUS = join(ROOT, 'corpus');

let candidates: Mutant[];
let texts: Map<string, string>;
let checker: VariantChecker;
let root: string;

beforeAll(() => {
  const loaded = loadProgram(CORPUS);
  root = loaded.root;
  const spec = builtinSpec();
  const { result: analysis, ctx } = analyzeDetailed(loaded.program, root, { spec });
  const files = new Map<string, ts.SourceFile>();
  texts = new Map();
  for (const sf of loaded.program.getSourceFiles()) {
    if (!sf.fileName.startsWith(`${root}/`) || sf.fileName.includes('/node_modules/')) continue;
    const rel = sf.fileName.slice(root.length + 1);
    files.set(rel, sf);
    texts.set(rel, sf.text);
  }
  const nthPageFile = [...texts].find(([, t]) => /export function nth_page\s*\(/.test(t))?.[0];
  candidates = generateCandidates({ spec, files, findings: analysis.findings, ctx, nthPageFile });
  checker = new VariantChecker(loaded.program, root);
});

describe('mutant generation', () => {
  it('generates every original-tree operator with splices that apply', () => {
    const ops = new Set(candidates.map((m) => m.operator));
    expect([...ops].sort()).toEqual(['swap-fields', 'wrong-field', 'wrong-kind', 'wrong-object']);
    for (const m of candidates) {
      const changed = applySplices(texts, m.splices);
      expect(changed, m.description).toBeDefined();
      for (const [f, t] of changed!) expect(t).not.toBe(texts.get(f));
    }
  });

  it('maps a word to the wrong word: page.private -> page.index', () => {
    const m = candidates.find((x) => x.operator === 'wrong-field' && x.kind === 'slab' && / uses index instead of private/.test(x.description))!;
    expect(m).toBeDefined();
    expect(m.description).toMatch(/slab counters \(private\) mapped to the wrong word/);
    const after = applySplices(texts, m.splices)!.get(m.file)!;
    const line = after.split('\n')[m.line - 1]!;
    expect(line).toMatch(/\.index\b|\)\.index/);
  });

  it('selects deterministically for a seed, stratified over operators', () => {
    const a = selectionOrder(candidates.map((m) => ({ ...m })), 7).slice(0, 8);
    const b = selectionOrder(candidates.map((m) => ({ ...m })), 7).slice(0, 8);
    const c = selectionOrder(candidates.map((m) => ({ ...m })), 8).slice(0, 8);
    expect(a.map((m) => m.description)).toEqual(b.map((m) => m.description));
    expect(a.map((m) => m.description)).not.toEqual(c.map((m) => m.description));
    expect(a.slice(0, 4).map((m) => m.operator)).toEqual(['wrong-field', 'swap-fields', 'wrong-kind', 'wrong-object']);
    expect(a[0]!.id).toBe('M001');
  });

  it('type-checks mutants in place and rejects ones that do not', () => {
    const m = candidates.find((x) => x.operator === 'wrong-object')!;
    const ok = applySplices(texts, m.splices)!;
    expect(checker.check(new Map([...ok].map(([f, t]) => [join(root, f), t])))).toBeNull();
    const [file, text] = [...ok][0]!;
    const broken = new Map([[join(root, file), `${text}\nconst __x: number = 'not a number';\n`]]);
    expect(checker.check(broken)).toMatch(/not assignable to type 'number'/);
  });

  it('builds non-intrusive probes for many mutants at once', () => {
    const some = candidates.slice(0, 30).map((m, i) => ({ ...m, id: `P${i}` }));
    const { splices, placed, sites } = probeSplices(some);
    expect(splices.length).toBeGreaterThan(0);
    expect(placed.has('P0')).toBe(true);
    expect(sites[0]!.length).toBeGreaterThan(0);
    const changed = applySplices(texts, splices)!;
    expect(changed).toBeDefined();
    expect([...changed.values()].join('\n')).toMatch(/__memdesc_probe_hits \?\?= .*\)\[0\] = 1, /);
  });

  it('tries the cheapest workloads first (the reference runs\' mean time), ties in plan order', () => {
    const ms: Record<string, number> = { buddy: 30, slab: 10, mm: 30, mixed: 90 };
    expect(workloadOrder(['buddy', 'slab', 'mm', 'mixed'], (w) => ms[w]!)).toEqual(['slab', 'buddy', 'mm', 'mixed']);
    expect(workloadOrder(['zswap', 'hwpoison'], () => Infinity)).toEqual(['zswap', 'hwpoison']);
  });
});

describe('descriptor-layer mutants', () => {
  const SLAB = `import { Page } from './mm_types.ts';
const SLAB_FREELIST_OFFSET = 32;
const SLAB_COUNTERS_OFFSET = 40;
export class Slab {
  constructor(readonly addr: number) {}
  get freelist(): number { return read64(this.addr + SLAB_FREELIST_OFFSET); }
  set freelist(v: number) { write64(this.addr + SLAB_FREELIST_OFFSET, v); }
  get counters(): number { return read64(this.addr + SLAB_COUNTERS_OFFSET); }
  set counters(v: number) { write64(this.addr + SLAB_COUNTERS_OFFSET, v); }
}
export function page_slab(page: Page): Slab { return new Slab(page.addr); }
declare function read64(a: number): number;
declare function write64(a: number, v: number): void;
`;

  it('moves an accessor to another word, swaps two, moves a MATCH-checked constant, and offsets a converter', () => {
    const sf = ts.createSourceFile('mm/slab.ts', SLAB, ts.ScriptTarget.ES2022, true);
    const ms = generateDescriptorCandidates(builtinSpec(), new Map([['mm/slab.ts', sf]]));
    const texts = new Map([['mm/slab.ts', SLAB]]);
    const after = (pred: (m: Mutant) => boolean) => applySplices(texts, ms.find(pred)!.splices)!.get('mm/slab.ts')!;
    expect(after((m) => m.description.includes('Slab.counters getter uses freelist'))).toContain('get counters(): number { return read64(this.addr + SLAB_FREELIST_OFFSET); }');
    expect(after((m) => m.operator === 'desc-swap-words')).toContain('set freelist(v: number) { write64(this.addr + SLAB_COUNTERS_OFFSET, v); }');
    expect(after((m) => m.description.includes('SLAB_COUNTERS_OFFSET = 32'))).toContain('const SLAB_COUNTERS_OFFSET = 32;');
    expect(after((m) => m.operator === 'desc-wrong-object')).toContain('return new Slab(page.addr + 64);');
    expect(new Set(ms.map((m) => m.kind))).toEqual(new Set(['slab']));
  });
});

describe('memdesc verify --mutants', () => {
  it('runs a few mutants end to end and accounts for each', async () => {
    const r = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [join(ROOT, 'bin', 'memdesc.mjs'), 'verify', '--mutants', '--corpus', '--count', '3', '--operators', 'wrong-field,wrong-kind',
        '--workloads', 'buddy,slab,mm', '--seeds', '1', '--ops', '400', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
      child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
      child.on('close', (status) => resolve({ status, stdout, stderr }));
    });
    const rep = JSON.parse(r.stdout);
    expect(rep.run).toBe(3);
    expect(rep.killed.length + rep.survived.length).toBe(3);
    expect(r.status).toBe(rep.survived.length ? 1 : 0);
    for (const k of rep.killed) expect(k.killedBy).toMatchObject({ workload: expect.any(String), seed: 1, reason: expect.any(String) });
    for (const s of rep.survived) expect(s.explanation).toMatch(/never executed|executed/);
    expect(Object.keys(rep.byOperator)).toEqual(['wrong-field', 'wrong-kind']);
  }, 90_000);
});
