/**
 * `memdesc analyze` at scale, side by side with its peers on the same tree in one run:
 *
 *   - memdesc analyze: the CLI as a child process (`node bin/memdesc.mjs analyze TREE --json
 *     --spec SPEC`), start-up (the built CLI, TypeScript) included, peak RSS from /usr/bin/time -v;
 *   - tsc --noEmit -p TREE (node_modules/.bin/tsc): the type-checker every TypeScript project
 *     already runs, the target analyze must not exceed;
 *   - ast-grep (the npm package's binary): the untyped peer, one run per field with the
 *     patterns `$X.lru`, `$X.mapping`, `$X.index`, `$X.private`.
 *
 * Trees: the bundled corpus, and trees of about 50k, 100k and 200k lines made by replicating
 * the corpus under copyK/ (directory structure preserved, so every relative import stays valid;
 * one tsconfig). The spec for a generated tree is the built-in one with every path glob
 * prefixed by `copy*` (spec data, nothing special-cased in code); each copy must then give
 * exactly the corpus's findings, which the bench checks.
 *
 * False positives: an ast-grep match is one when its `$X` is not a struct page, i.e. it is not
 * among the struct page member accesses the analyzer resolves by type on the corpus (findings
 * plus the accesses inside wrapper bodies; the findings are checked site by site against the hand
 * labels by test/analyzers/corpus.test.ts). A memdesc finding is one when it matches no hand
 * label (test/analyzers/corpus-labels.ts, per copy). Run with `npm run bench -- analyzer`;
 * MEMDESC_BENCH_REPS sets the repetitions. Not part of `npm test`.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { createRequire } from 'node:module';
import { ts } from 'ts-morph';
import { analyzeDetailed } from '../src/analyzers/analyze.ts';
import { loadProgram } from '../src/analyzers/project.ts';
import { builtinSpec, BUILTIN_SPEC_FILE, resolveSpec } from '../src/model/builtin.ts';
import type { AnalysisResult } from '../src/model/findings.ts';
import { SITE_LABELS } from '../test/analyzers/corpus-labels.ts';
import { record, vsTsc } from './anchor.ts';

const ROOT = join(import.meta.dirname, '..');
const CORPUS = join(ROOT, 'corpus');
const BIN = join(ROOT, 'bin', 'memdesc.mjs');
const TSC = join(ROOT, 'node_modules', '.bin', 'tsc');
const FIELDS = ['lru', 'mapping', 'index', 'private'];
const TARGET_LINES = [50_000, 100_000, 200_000];
const GIB = 1024 ** 3;

/* ---------------------------------------------------------------- trees */

export function tsFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) tsFiles(p, out);
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

export function countLines(dir: string): number {
  let n = 0;
  for (const f of tsFiles(dir)) n += readFileSync(f, 'utf8').split('\n').length - 1;
  return n;
}

/** Every path glob of the built-in spec, prefixed with `prefix/` (page file, generic code, owners, provenance files). */
export function prefixedSpec(prefix: string): unknown {
  const j = JSON.parse(readFileSync(BUILTIN_SPEC_FILE, 'utf8')) as {
    name: string;
    page: { file: string; generic?: Array<{ files: string | string[] }> };
    kinds: Array<{ descriptor?: { file?: string } | string | null; owners?: Array<string | { files: string | string[] }>; provenance?: Array<string | { files?: string[] }> }>;
  };
  const p = (g: string) => `${prefix}/${g}`;
  j.name = `${j.name} (replicated under ${prefix}/)`;
  j.page.file = p(j.page.file);
  j.page.generic = j.page.generic?.map((g) => ({ ...g, files: Array.isArray(g.files) ? g.files.map(p) : p(g.files) }));
  for (const k of j.kinds) {
    if (k.descriptor && typeof k.descriptor === 'object' && k.descriptor.file) k.descriptor.file = p(k.descriptor.file);
    k.owners = k.owners?.map((o) => (typeof o === 'string' ? p(o) : { ...o, files: Array.isArray(o.files) ? o.files.map(p) : p(o.files) }));
    k.provenance = k.provenance?.map((s) => (typeof s === 'string' || !s.files ? s : { ...s, files: s.files.map(p) }));
  }
  return j;
}

export interface Tree {
  name: string;
  dir: string;
  lines: number;
  files: number;
  copies: number;
  spec?: string;
}

/** `copies` copies of the corpus under dir/copyK/, one tsconfig, and the matching spec. */
export function generate(base: string, copies: number, corpusLines: number): Tree {
  const dir = join(base, `x${copies}`);
  mkdirSync(dir, { recursive: true });
  for (let k = 0; k < copies; k++) {
    cpSync(CORPUS, join(dir, `copy${k}`), { recursive: true, filter: (src) => statSync(src).isDirectory() || src.endsWith('.ts') });
    rmSync(join(dir, `copy${k}`, 'tsconfig.json'), { force: true });
  }
  const corpusCfg = ts.parseConfigFileTextToJson('tsconfig.json', readFileSync(join(CORPUS, 'tsconfig.json'), 'utf8')).config as {
    compilerOptions: Record<string, unknown>;
  };
  const cfg = {
    compilerOptions: { ...corpusCfg.compilerOptions, typeRoots: [join(ROOT, 'node_modules', '@types')] },
    include: ['.'],
  };
  writeFileSync(join(dir, 'tsconfig.json'), `${JSON.stringify(cfg, null, 2)}\n`);
  const spec = join(base, `spec-x${copies}.json`);
  writeFileSync(spec, `${JSON.stringify(prefixedSpec('copy*'), null, 2)}\n`);
  return { name: `${copies} copies`, dir, lines: corpusLines * copies, files: tsFiles(dir).length, copies, spec };
}

/* ---------------------------------------------------------------- runs */

export interface Run {
  wallMs: number;
  cpuMs: number;
  maxRssKiB: number;
  stdout: string;
  status: number | null;
}

/** Run a command under /usr/bin/time -v (wall, user+sys, peak RSS); fall back to wall time alone. */
export function timed(cmd: string, args: string[], opts: { maxBuffer?: number } = {}): Run {
  const hasTime = existsSync('/usr/bin/time');
  const t0 = process.hrtime.bigint();
  const r = hasTime
    ? spawnSync('/usr/bin/time', ['-v', cmd, ...args], { encoding: 'utf8', maxBuffer: opts.maxBuffer ?? 1 << 30 })
    : spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: opts.maxBuffer ?? 1 << 30 });
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const num = (re: RegExp) => Number(re.exec(r.stderr ?? '')?.[1] ?? NaN);
  const cpuMs = (num(/User time \(seconds\): ([\d.]+)/) + num(/System time \(seconds\): ([\d.]+)/)) * 1000;
  return { wallMs, cpuMs, maxRssKiB: num(/Maximum resident set size \(kbytes\): (\d+)/), stdout: r.stdout ?? '', status: r.status };
}

/** Median by wall time (the lower one of two). */
export function median(all: Run[]): Run {
  const runs = [...all].sort((a, b) => a.wallMs - b.wallMs);
  return runs[Math.floor((runs.length - 1) / 2)]!;
}

function analyzeRun(t: Tree): Run {
  const r = timed(process.execPath, [BIN, 'analyze', t.dir, '--json', ...(t.spec ? ['--spec', t.spec] : [])]);
  if (r.status !== 0) throw new Error(`memdesc analyze ${t.dir}: exit ${r.status}`);
  return r;
}

function tscRun(t: Tree): Run {
  const r = timed(TSC, ['--noEmit', '-p', t.dir]);
  if (r.status !== 0) throw new Error(`tsc --noEmit -p ${t.dir}: exit ${r.status}\n${r.stdout.slice(0, 2000)}`);
  return r;
}

/** The ast-grep binary the npm package ships (the platform package's, if the launcher was not installed). */
function astGrepBinary(): string | undefined {
  const ok = (b: string) => existsSync(b) && spawnSync(b, ['--version'], { encoding: 'utf8' }).status === 0;
  const main = join(ROOT, 'node_modules', '@ast-grep', 'cli', 'ast-grep');
  if (ok(main)) return main;
  const req = createRequire(join(ROOT, 'node_modules', '@ast-grep', 'cli', 'package.json'));
  for (const pkg of [`@ast-grep/cli-${process.platform}-${process.arch}-gnu`, `@ast-grep/cli-${process.platform}-${process.arch}`]) {
    try {
      const b = join(dirname(req.resolve(`${pkg}/package.json`)), 'ast-grep');
      if (ok(b)) return b;
    } catch { /* not installed */ }
  }
  return undefined;
}

interface AstGrepMatch {
  file: string;
  range: { end: { line: number; column: number } };
}

/** One ast-grep run per field over the tree; matches as "relfile:line:col" of the field name. */
function astGrepRun(bin: string, t: Tree): { run: Run; sites: Array<{ site: string; field: string }> } {
  let wallMs = 0;
  let cpuMs = 0;
  let maxRssKiB = 0;
  const sites: Array<{ site: string; field: string }> = [];
  for (const field of FIELDS) {
    const r = timed(bin, ['run', '--pattern', `$X.${field}`, '--lang', 'ts', '--json=compact', '--threads', '0', t.dir]);
    if (r.status !== 0 && r.status !== 1) throw new Error(`ast-grep $X.${field}: exit ${r.status}`);
    wallMs += r.wallMs;
    cpuMs += r.cpuMs;
    maxRssKiB = Math.max(maxRssKiB, r.maxRssKiB);
    for (const m of JSON.parse(r.stdout || '[]') as AstGrepMatch[]) {
      // The match is `$X.field`: the field name ends where the match ends.
      const rel = relative(t.dir, m.file).split('\\').join('/');
      sites.push({ site: `${rel}:${m.range.end.line + 1}:${m.range.end.column + 1 - field.length}`, field });
    }
  }
  return { run: { wallMs, cpuMs, maxRssKiB, stdout: '', status: 0 }, sites };
}

/* ---------------------------------------------------------------- ground truth */

/**
 * Positions ("file:line:col" of the field name) of every struct page member access of the
 * corpus, as resolved by type: the findings (checked site by site against the hand labels in
 * test/analyzers/corpus-labels.ts) plus the accesses inside wrapper bodies (page_private()).
 */
function corpusPageAccesses(): { sites: Set<string>; result: AnalysisResult } {
  const { program, root } = loadProgram(CORPUS);
  const det = analyzeDetailed(program, root, { spec: builtinSpec() });
  const sites = new Set<string>();
  for (const a of det.allAccesses) {
    if (a.converted) continue;
    const p = det.ctx.site(a.sf, a.node);
    sites.add(`${p.file}:${p.line}:${p.column}`);
  }
  return { sites, result: det.result };
}

/** "copy3/mm/slub.ts" -> "mm/slub.ts" */
const stripCopy = (s: string) => s.replace(/^copy\d+\//, '');

/** Findings that match no hand-labelled struct page access (file, function, field, access; kind aside). */
function unlabelled(r: AnalysisResult): number {
  const pool = new Map<string, number>();
  const key = (file: string, fn: string, field: string, access: string) => `${file}|${fn}|${field}|${access}`;
  const copies = new Set(r.findings.map((f) => /^copy\d+\//.exec(f.file)?.[0] ?? ''));
  for (const c of copies) {
    for (const [file, labels] of Object.entries(SITE_LABELS)) {
      for (const [fn, field, access] of labels) {
        const k = key(c + file, fn, field, access);
        pool.set(k, (pool.get(k) ?? 0) + 1);
      }
    }
  }
  let fp = 0;
  for (const f of r.findings) {
    const k = key(f.file, f.function ?? '', f.field, f.access);
    const n = pool.get(k) ?? 0;
    if (n > 0) pool.set(k, n - 1);
    else fp++;
  }
  return fp;
}

/** kind x field x access counts of a result, per copy (the generated trees must repeat the corpus exactly). */
function countsKey(r: AnalysisResult, copies: number): string {
  const m = new Map<string, number>();
  for (const f of r.findings) m.set(`${f.kind}/${f.field}/${f.access}`, (m.get(`${f.kind}/${f.field}/${f.access}`) ?? 0) + 1);
  return [...m].sort().map(([k, v]) => `${k}=${v / copies}`).join(' ');
}

/* ---------------------------------------------------------------- passes */

/**
 * CPU per pass of one analysis in this process (the program loaded, then analyzeDetailed's own
 * laps): where the time goes, beside the whole-process figures. TypeScript is loaded and warm here
 * (this process analyzed the corpus already), so the figures are a little under a fresh process's.
 */
export function passSplit(t: Tree): { load: number; phases: Map<string, number> } {
  const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
  const c0 = cpu();
  const { program, root } = loadProgram(t.dir, { jsDocForTypesOnly: true });
  const load = cpu() - c0;
  const phases = new Map<string, number>();
  analyzeDetailed(program, root, { spec: t.spec ? resolveSpec(t.spec) : builtinSpec(), phases });
  return { load, phases };
}

const PASSES = ['context', 'find', 'wrappers', 'marks', 'classify', 'value use', 'result'];

/* ---------------------------------------------------------------- report */

/** Least squares y = a + b x, with R². */
function linearFit(xy: Array<[number, number]>): { a: number; b: number; r2: number } {
  const n = xy.length;
  const mx = xy.reduce((s, [x]) => s + x, 0) / n;
  const my = xy.reduce((s, [, y]) => s + y, 0) / n;
  const sxx = xy.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  const sxy = xy.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const b = sxx ? sxy / sxx : 0;
  const a = my - b * mx;
  const ssTot = xy.reduce((s, [, y]) => s + (y - my) ** 2, 0);
  const ssRes = xy.reduce((s, [x, y]) => s + (y - a - b * x) ** 2, 0);
  return { a, b, r2: ssTot ? 1 - ssRes / ssTot : 1 };
}

const sec = (ms: number) => (ms / 1000).toFixed(2);
const mib = (kib: number) => (Number.isFinite(kib) ? `${Math.round(kib / 1024)} MiB` : 'n/a');

export function analyzeBenches(): string {
  const reps = Number(process.env.MEMDESC_BENCH_REPS ?? 3);
  const bigReps = Math.min(reps, 2);
  const corpusLines = countLines(CORPUS);
  const base = mkdtempSync(join(tmpdir(), 'memdesc-bench-'));
  const out: string[] = [];
  try {
    const truth = corpusPageAccesses();
    const corpusCounts = countsKey(truth.result, 1);
    const trees: Tree[] = [{ name: 'corpus', dir: CORPUS, lines: corpusLines, files: tsFiles(CORPUS).length, copies: 1 }];
    for (const target of TARGET_LINES) trees.push(generate(base, Math.ceil(target / corpusLines), corpusLines));
    const bin = astGrepBinary();

    const rows: string[] = [];
    const fpRows: string[] = [];
    const points: Array<{ lines: number; wall: number; cpu: number }> = [];
    let rss = NaN;
    for (const t of trees) {
      const n = t.copies === 1 ? reps : bigReps;
      // Interleaved (tsc, analyze, tsc, analyze, …) so that both see the same machine load.
      const tscRuns: Run[] = [];
      const anRuns: Run[] = [];
      for (let i = 0; i < n; i++) {
        tscRuns.push(tscRun(t));
        anRuns.push(analyzeRun(t));
      }
      const tsc = median(tscRuns);
      const an = median(anRuns);
      const result = JSON.parse(an.stdout) as AnalysisResult;
      if (countsKey(result, t.copies) !== corpusCounts || result.residue.length !== 0) {
        throw new Error(`${t.name}: findings are not ${t.copies} x the corpus's (or there is residue): ${countsKey(result, t.copies)}`);
      }
      const ag = bin ? astGrepRun(bin, t) : undefined;
      points.push({ lines: t.lines, wall: an.wallMs, cpu: an.cpuMs });
      // Issue 15's figures: the corpus, and the tree of about 200k lines, each against its own tsc (interleaved).
      if (t.copies === 1 || t === trees.at(-1)) {
        const ratio = an.wallMs / tsc.wallMs;
        const limit = t.copies === 1 ? 0.5 : 0.4;
        record({
          section: 'analyzer', figure: `\`memdesc analyze\` (whole process) ÷ tsc, ${t.copies === 1 ? 'corpus' : `${Math.round(t.lines / 1000)}k-line tree`}`,
          // CPU beside wall: on a shared machine wall time mostly measures waiting for a core.
          measured: `${ratio.toFixed(2)}× its tsc (${sec(an.wallMs)} vs ${sec(tsc.wallMs)}; CPU ${(an.cpuMs / tsc.cpuMs).toFixed(2)}×)${t.copies === 1 ? `; ${vsTsc(an.wallMs).ratio.toFixed(2)}× the anchor` : ''}`,
          target: `≤ ${limit}×`, ok: ratio <= limit,
        });
      }
      rss = an.maxRssKiB;
      rows.push(`| ${t.name} | ${t.lines.toLocaleString('en-US')} | ${t.files} | ${sec(an.wallMs)} (${sec(an.cpuMs)}) | ${sec(tsc.wallMs)} (${sec(tsc.cpuMs)}) | ` +
        `${(an.wallMs / tsc.wallMs).toFixed(2)}× (${(an.cpuMs / tsc.cpuMs).toFixed(2)}×) | ${ag ? `${sec(ag.run.wallMs)} (${sec(ag.run.cpuMs)})` : 'n/a'} | ${mib(an.maxRssKiB)} | ${mib(tsc.maxRssKiB)} | ` +
        `${(an.wallMs / (t.lines / 1000)).toFixed(1)} |`);
      if (ag) {
        const fp = ag.sites.filter((m) => !truth.sites.has(stripCopy(m.site)));
        const byField = FIELDS.map((f) => `${f} ${fp.filter((m) => m.field === f).length}`).join(', ');
        const hit = new Set(ag.sites.map((m) => m.site));
        const missed = result.findings.filter((f) => FIELDS.includes(f.field) && !hit.has(`${f.file}:${f.line}:${f.column}`)).length;
        fpRows.push(`| ${t.name} | ${ag.sites.length} | ${fp.length} (${byField}) | ${missed} | ${result.findings.length} | ${unlabelled(result)} |`);
      }
    }
    const splitRows = [trees[0]!, trees.at(-1)!].map((t) => {
      const { load, phases } = passSplit(t);
      return `| ${t.name} | ${sec(load)} | ${PASSES.map((p) => sec(phases.get(p) ?? 0)).join(' | ')} |`;
    });
    const wallFit = linearFit(points.map((p) => [p.lines / 1000, p.wall]));
    const cpuFit = linearFit(points.map((p) => [p.lines / 1000, p.cpu]));
    const last = trees.at(-1)!;
    out.push('## memdesc analyze vs tsc --noEmit vs ast-grep (same trees, one run)', '',
      `Wall seconds (child processes; median of ${reps} runs on the corpus, ${bigReps} on the generated trees (the faster of two); CPU user+sys in parentheses). ` +
      'analyze = the CLI, `node bin/memdesc.mjs analyze TREE --json` (start-up of the built CLI and TypeScript included); tsc = `node_modules/.bin/tsc --noEmit -p TREE`; ' +
      `ast-grep = ${FIELDS.length} runs of the npm package's binary (\`$X.${FIELDS.join('`, `$X.')}\`), summed. ` +
      'Generated trees: the corpus replicated under copyK/ (imports stay relative), one tsconfig; the spec is the built-in one with its path globs under `copy*/`; ' +
      'each tree is checked to give exactly copies × the corpus findings.', '',
      '| tree | lines | files | analyze s | tsc --noEmit s | analyze / tsc wall (CPU) | ast-grep s | analyze peak RSS | tsc peak RSS | analyze ms / 1k lines (incl. start-up) |',
      '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|', ...rows, '',
      `Linear fit of analyze over the ${points.length} trees: wall ${sec(wallFit.a)} s + ${wallFit.b.toFixed(1)} ms per 1k lines (R² ${wallFit.r2.toFixed(3)}); ` +
      `CPU ${sec(cpuFit.a)} s + ${cpuFit.b.toFixed(1)} ms per 1k lines (R² ${cpuFit.r2.toFixed(3)}). ` +
      'Targets: analyze ≤ 1× tsc --noEmit; linear in tree size; ' +
      `peak RSS ≤ 2 GiB at ${last.lines.toLocaleString('en-US')} lines: ${mib(rss)} (${rss * 1024 <= GIB * 2 ? 'met' : 'NOT met'}).`, '');
    out.push('### where the time goes', '',
      'CPU seconds (user + system, the whole process, GC threads included) of one analysis in the bench\'s own process, pass by pass: ' +
      'parse = loading the program (parse, module resolution); context = the type checker made (bind) and the spec resolved; ' +
      'find = the syntax walk and the receivers\' types; marks = the type-mark pass; classify = guards, provenance, the call graph and containers. ' +
      'TypeScript is warm in this process: a fresh process pays a little more.', '',
      `| tree | parse | ${PASSES.join(' | ')} |`, `|---|${PASSES.map(() => '---:').join('|')}|---:|`, ...splitRows, '');
    if (fpRows.length) {
      out.push('### false positives', '',
        'ast-grep matches that are not struct page receivers (`$X.index` on a SizeClass, …), next to memdesc findings that match no hand-labelled ' +
        'struct page access. "missed": memdesc findings on the four fields searched that no ast-grep match covers (wrapper calls such as ' +
        '`page_private(page)`, container_of-style `list_entry(…, Page, \'lru\')`).', '',
        '| tree | ast-grep matches | ast-grep false positives (by field) | ast-grep missed | memdesc findings | memdesc false positives |',
        '|---|---:|---:|---:|---:|---:|', ...fpRows);
    } else out.push('ast-grep: binary not available (`npm install --save-dev @ast-grep/cli`).');
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
  return out.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) process.stdout.write(`${analyzeBenches()}\n`);
