/**
 * The user's words: every command run on a project that is not the kernel's (the warehouse and
 * the lending fixtures) speaks of the spec's class, fields, kinds and descriptor classes, never
 * of the kernel's "page", "struct page" or "mm" — unless the spec itself uses the word. Covers
 * analyze (text, JSON, SARIF), convert (dry run, --write on a copy), verify with the spec's
 * oracle, series (patches and cover letter), track (table and HTML), status, plan import and
 * the --help of every command a user's project meets. The commands run in-process (the CLI's
 * main(), test/inProcess.ts): the same output as a spawned memdesc, without a process per command.
 * The series of each project is the run's shared one (test/projectSeries.ts: the same command, run
 * once per run; test/e2e/user-project.test.ts reads the lending one too), its output judged here.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.ts';
import { runMain as cli } from '../inProcess.ts';
import { copyOfProjectSeries } from '../projectSeries.ts';
import { useIsolatedGit } from '../series/helpers.ts';

const PROJECTS = [
  { name: 'warehouse', dir: join(PACKAGE_ROOT, 'test', 'fixtures', 'oracle', 'warehouse') },
  { name: 'lending', dir: join(PACKAGE_ROOT, 'test', 'fixtures', 'projects', 'lending') },
];

/** The kernel's words, as words: "page", "pages", "page-type", "struct page", "mm" (not "memmap", "comment"). */
const KERNEL_WORDS: Array<[string, RegExp]> = [
  ['struct page', /\bstruct\s+page\b/i],
  ['page', /\bpages?\b/i],
  ['mm', /\bmm\b/i],
];

/** Every string a spec's JSON holds: its names and descriptions, not its keys (a key is memdesc's word, not the user's). */
function specValues(json: unknown): string[] {
  if (typeof json === 'string') return [json];
  if (Array.isArray(json)) return json.flatMap(specValues);
  if (json && typeof json === 'object') return Object.values(json).flatMap(specValues);
  return [];
}

/** The kernel words a spec does not use itself: those must not appear in what memdesc says about it. */
function forbiddenFor(specText: string): Array<[string, RegExp]> {
  const said = specValues(JSON.parse(specText)).join('\n');
  return KERNEL_WORDS.filter(([, re]) => !re.test(said));
}

/** Lines of `text` holding a forbidden word, labelled, for a failure message that shows them. */
function kernelLines(label: string, text: string, forbidden: Array<[string, RegExp]>): string[] {
  const out: string[] = [];
  for (const [i, line] of text.split('\n').entries()) {
    for (const [word, re] of forbidden) if (re.test(line)) out.push(`${label}:${i + 1}: "${word}" in: ${line.trim().slice(0, 160)}`);
  }
  return out;
}

/** The commands a user's project meets (the corpus' own demo, machine and stage-2 tools aside). */
const USER_COMMANDS = ['init', 'analyze', 'convert', 'verify', 'series', 'status', 'track', 'plan', 'plan import'];

/** `memdesc --help` without the rows of commands not in `names` (a row: its name line and the deeper-indented lines after it). */
function topHelpFor(help: string, names: string[]): string {
  const out: string[] = [];
  let keep = true;
  let inCommands = false;
  for (const line of help.split('\n')) {
    if (/^Commands:/.test(line)) inCommands = true;
    const row = inCommands ? /^ {2}(\S+)/.exec(line) : null;
    if (row) keep = names.includes(row[1]!) || row[1] === 'help';
    else if (!/^ {3,}/.test(line)) keep = true;
    if (keep) out.push(line);
  }
  return out.join('\n');
}

function gitIn(dir: string, ...args: string[]): string {
  const r = spawnSync('git', args, { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

describe('the checker finds the kernel words it is for', () => {
  it('flags page, pages, page-type, struct page and mm as words, and nothing inside other words', () => {
    const all = KERNEL_WORDS;
    expect(kernelLines('t', 'a struct  page here', all).length).toBeGreaterThan(0);
    expect(kernelLines('t', 'pages of stock', all)).toHaveLength(1);
    expect(kernelLines('t', 'no page-type test', all)).toHaveLength(1);
    expect(kernelLines('t', 'mm: Create struct slab', all)).toHaveLength(1);
    expect(kernelLines('t', 'memmap, comment, Pager, pagination, summmary, homepage', all)).toEqual([]);
    // A spec that says "page" itself may hear it back.
    expect(forbiddenFor('{ "page": { "class": "Page" } }').map(([w]) => w)).toEqual(['struct page', 'mm']);
    // Its keys are memdesc's words ("page", "pageTypeTests"), not the user's.
    expect(forbiddenFor('{ "page": { "class": "Shelf" }, "kinds": [{ "pageTypeTests": ["isFull"] }] }').map(([w]) => w)).toEqual(['struct page', 'page', 'mm']);
    // The top-level help keeps the rows of the commands asked for, continuation lines included.
    const top = 'Usage: memdesc\n\nSplit a class\n\nCommands:\n  simulate [path]    the mm\n                     pages\n  analyze [path]     find\n                     more\n  help [command]     help\n';
    expect(topHelpFor(top, ['analyze'])).toBe('Usage: memdesc\n\nSplit a class\n\nCommands:\n  analyze [path]     find\n                     more\n  help [command]     help\n');
  });
});

for (const project of PROJECTS) {
  describe(`${project.name}: no kernel words in any output`, () => {
    useIsolatedGit({ name: 'Words Tester', email: 'words@example.org' });
    let root: string;
    let repo: string;
    let spec: string;
    let forbidden: Array<[string, RegExp]>;
    const outputs = new Map<string, string>();
    const say = (label: string, r: { status: number; stdout: string; stderr: string }, want = 0): void => {
      expect(r.status, `${label}: ${r.stderr}`).toBe(want);
      outputs.set(label, `${r.stdout}\n${r.stderr}`);
    };

    beforeAll(() => {
      root = mkdtempSync(join(tmpdir(), 'memdesc-words-'));
      repo = join(root, project.name);
      cpSync(project.dir, repo, { recursive: true });
      spec = join(repo, 'spec.json');
      forbidden = forbiddenFor(readFileSync(spec, 'utf8'));
      gitIn(repo, 'init', '-q');
      gitIn(repo, 'add', '-A');
      gitIn(repo, 'commit', '-q', '-m', `${project.name}: first version of the ledger`);
    }, 60_000);
    afterAll(() => rmSync(root, { recursive: true, force: true }));

    it('init: the draft spec of the class', async () => {
      const json = JSON.parse(readFileSync(spec, 'utf8')) as { object?: { class: string }; page?: { class: string } };
      say('init --out -', await cli(['init', '--class', (json.object ?? json.page)!.class, '--out', '-'], repo));
    });

    it('analyze: text, JSON and SARIF (run from the project: its directory is the default)', async () => {
      say('analyze', await cli(['analyze', '--spec', spec], repo));
      const analyzed = await cli(['analyze', '--spec', spec, '--json'], repo);
      say('analyze --json', analyzed);
      // --explain: the evidence chains, hop by hop.
      const found = (JSON.parse(analyzed.stdout) as { findings: Array<{ file: string; line: number }> }).findings;
      const lines = [...new Set(found.map((f) => `${f.file}:${f.line}`))];
      // Six lines spread over the project (each is a run of its own).
      for (const at of lines.filter((_, i) => i % Math.ceil(lines.length / 6) === 0)) say(`analyze --explain ${at}`, await cli(['analyze', '--spec', spec, '--explain', at], repo));
      const sarif = join(root, 'a.sarif');
      say('analyze --sarif', await cli(['analyze', '--spec', spec, '--sarif', sarif, '--no-sites'], repo));
      outputs.set('SARIF log', readFileSync(sarif, 'utf8'));
      const rules = (JSON.parse(readFileSync(sarif, 'utf8')) as { runs: Array<{ tool: { driver: { rules: Array<{ name: string }> } } }> }).runs[0]!.tool.driver.rules;
      // Rule names carry the spec's class too ("RawStockShelfAccess").
      const json = JSON.parse(readFileSync(spec, 'utf8')) as { object?: { class: string }; page?: { class: string } };
      const cls = (json.object ?? json.page)!.class;
      for (const r of rules.slice(0, -1)) expect(r.name).toContain(cls);
    }, 120_000);

    it('convert: the dry run, and --write on a copy with its result verified by the spec oracle', async () => {
      say('convert --all (dry run)', await cli(['convert', '--all', '--spec', spec], repo));
      const copy = join(root, 'converted');
      cpSync(repo, copy, { recursive: true });
      say('convert --all --write', await cli(['convert', '--all', '.', '--spec', spec, '--write'], copy));
      // The oracle the spec names, run in both trees.
      const entry = (JSON.parse(readFileSync(spec, 'utf8')) as { oracle: { entry: string } }).oracle.entry;
      say('verify --entry', await cli(['verify', copy, '--against', repo, '--entry', entry]));
      say('status (converted)', await cli(['status', copy, '--spec', spec]));
    }, 180_000);

    it('series, then track, status --plan and plan import of its cover letter', async () => {
      // The run's one series of this project (test/projectSeries.ts: `series --all --spec spec.json --out DIR`
      // run from its repository in-process, what it printed kept), copied: track and status read the copy.
      const shared = await copyOfProjectSeries(project.name, project.dir, join(root, 'shared'));
      say('series', shared.series);
      const { out } = shared;
      const seriesRepo = shared.repo;
      for (const f of readdirSync(out).filter((x) => x.endsWith('.patch'))) {
        // The messages, not the code the patches carry (the project's own text is not ours to judge).
        const text = readFileSync(join(out, f), 'utf8');
        outputs.set(`series ${f} (message)`, text.split(/^diff --git /m)[0]!);
      }
      const cover = join(out, '0000-cover-letter.patch');
      const html = join(root, 'report.html');
      const seriesSpec = join(seriesRepo, 'spec.json');
      say('track', await cli(['track', '--spec', seriesSpec, '--range', `HEAD..memdesc/all`, '--html', html, '--plan', cover], seriesRepo));
      outputs.set('track --html', readFileSync(html, 'utf8'));
      say('status --plan', await cli(['status', '--spec', seriesSpec, '--plan', cover], seriesRepo));
      say('plan import', await cli(['plan', 'import', cover]));
      // Subjects take the project's own prefix (its history), never the kernel's.
      const subjects = readdirSync(out).filter((x) => /^\d{4}-/.test(x) && !x.startsWith('0000')).map((f) => /^Subject: \[PATCH [^\]]*\] (.*)$/m.exec(readFileSync(join(out, f), 'utf8'))![1]!);
      expect(subjects.length).toBeGreaterThan(0);
      for (const s of subjects) expect(s).toMatch(new RegExp(`^${project.name}: `));
    }, 240_000);

    it('--help of every command a project meets', async () => {
      for (const c of USER_COMMANDS.map((x) => x.split(' '))) say(`memdesc ${c.join(' ')} --help`, await cli([...c, '--help'], repo));
      // memdesc --help: its description and the rows of those commands (the corpus' own commands,
      // simulate, start and stage 2's, describe the corpus and may use its words).
      const top = await cli(['--help'], repo);
      say('memdesc --help', { ...top, stdout: topHelpFor(top.stdout, USER_COMMANDS) });
    });

    it('nothing said mentions page, struct page or mm', () => {
      expect(outputs.size).toBeGreaterThan(15);
      const bad = [...outputs].flatMap(([label, text]) => kernelLines(label, text, forbidden));
      expect(bad, bad.join('\n')).toEqual([]);
    });
  });
}
