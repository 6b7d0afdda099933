/**
 * `memdesc convert --all` (dry run: analyze, plan, splice, type-check the result, re-plan to prove
 * a second run is a no-op) next to a cold `memdesc analyze` of the same tree with the same spec,
 * both as child processes (start-up included), interleaved so both see the same machine load.
 * Target: convert ≤ 3× the analyzer's cold run.
 *
 * Trees: the bundled corpus, and the ~200k-line generated tree of analyze.bench.ts (the corpus
 * replicated under copyK/). A spec has one god type, and every copy declares its own Page class,
 * so the big tree is converted one copy at a time: the spec is the built-in one under `copy0/`
 * (page file, owners, placements), run against the whole 200k-line program (every file is
 * loaded, parsed and type-checked; only copy0's accesses are struct page accesses of that spec).
 * Run with `npm run bench -- convert`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { countLines, generate, median, prefixedSpec, timed, tsFiles, type Run, type Tree } from './analyze.bench.ts';

const ROOT = join(import.meta.dirname, '..');
const CORPUS = join(ROOT, 'corpus');
const BIN = join(ROOT, 'bin', 'memdesc.mjs');
const BIG_LINES = 200_000;

/** The built-in spec with every path (globs and placements) under `prefix/`. */
function specUnder(prefix: string, file: string): string {
  const j = prefixedSpec(prefix) as { kinds: Array<{ descriptor?: { placement?: string } | string | null }> };
  for (const k of j.kinds) {
    if (k.descriptor && typeof k.descriptor === 'object' && k.descriptor.placement) k.descriptor.placement = `${prefix}/${k.descriptor.placement}`;
  }
  writeFileSync(file, `${JSON.stringify(j, null, 2)}\n`);
  return file;
}

function run(what: 'analyze' | 'convert', t: Tree): Run {
  const args = what === 'analyze' ? ['analyze', t.dir, '--json'] : ['convert', '--all', t.dir, '--json'];
  const r = timed(process.execPath, [BIN, ...args, ...(t.spec ? ['--spec', t.spec] : [])]);
  if (r.status !== 0) throw new Error(`memdesc ${what} ${t.dir}: exit ${r.status}`);
  return r;
}

const sec = (ms: number) => (ms / 1000).toFixed(2);

export function convertBenches(): string {
  const reps = Number(process.env.MEMDESC_BENCH_REPS ?? 3);
  const corpusLines = countLines(CORPUS);
  const base = mkdtempSync(join(tmpdir(), 'memdesc-bench-convert-'));
  try {
    const big = generate(base, Math.ceil(BIG_LINES / corpusLines), corpusLines);
    big.spec = specUnder('copy0', join(base, 'spec-copy0.json'));
    const trees: Tree[] = [{ name: 'corpus', dir: CORPUS, lines: corpusLines, files: tsFiles(CORPUS).length, copies: 1 }, big];
    const rows: string[] = [];
    for (const t of trees) {
      const n = t.copies === 1 ? reps : Math.min(reps, 2);
      const an: Run[] = [];
      const cv: Run[] = [];
      for (let i = 0; i < n; i++) {
        an.push(run('analyze', t));
        cv.push(run('convert', t));
      }
      const a = median(an);
      const c = median(cv);
      const out = JSON.parse(c.stdout) as { files: unknown[]; report: { converted: Record<string, number> }; timings: Record<string, number> };
      const sites = Object.values(out.report.converted).reduce((s, x) => s + x, 0);
      const tm = out.timings;
      rows.push(`| ${t.name} | ${t.lines.toLocaleString('en-US')} | ${sites} sites, ${out.files.length} files | ${sec(a.wallMs)} (${sec(a.cpuMs)}) | ${sec(c.wallMs)} (${sec(c.cpuMs)}) | ` +
        `${(c.wallMs / a.wallMs).toFixed(2)}× (${(c.cpuMs / a.cpuMs).toFixed(2)}×) | ${['load', 'plan', 'typecheck', 'second-run'].map((k) => sec(tm[k] ?? 0)).join(' / ')} |`);
    }
    return ['## memdesc convert --all vs a cold memdesc analyze (same tree, same spec)', '',
      `Wall seconds of child processes, median of ${reps} on the corpus, ${Math.min(reps, 2)} on the big tree (CPU user+sys in parentheses). ` +
      'convert is a dry run that still does everything but write: analyze, plan, splice, type-check the converted program, re-plan it (second run must be a no-op). ' +
      `The ${big.lines.toLocaleString('en-US')}-line tree is converted one copy (copy0) at a time, the whole program loaded and type-checked. Target: convert ≤ 3× analyze.`, '',
      '| tree | lines | converted | analyze s | convert s | convert / analyze wall (CPU) | convert phases s: load / plan / typecheck / second run |',
      '|---|---:|---:|---:|---:|---:|---:|', ...rows].join('\n');
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) process.stdout.write(`${convertBenches()}\n`);
