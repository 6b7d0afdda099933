/**
 * Files as editors on Windows save them: what memdesc writes keeps their format.
 *  - CRLF line ends (a Windows checkout, `core.autocrlf`): what convert writes ends its lines the
 *    same way. Before, every inserted line ended with LF, leaving files of mixed line endings
 *    (src/rewrite/splices.ts `apply`). Literal splice pairs, then the shelf fixture converted as
 *    CRLF: the same text as its LF conversion, every line CRLF, the oracle identical and a second
 *    run a no-op.
 *  - Double-quoted strings: what convert adds is quoted as the file quotes (imports, keys), comments
 *    as written.
 *  - A UTF-8 byte order mark: TypeScript reads the text after it, so convert refused every such
 *    file ("changed since memdesc read it") and series dropped the mark in its first patch. Now the
 *    files keep it (src/rewrite/staging.ts, src/series/git.ts), and `git am` of the series
 *    reproduces a tip equal to the one-shot conversion.
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.ts';
import { FileEdits, lineEnding, quoteStyle, requote } from '../../src/rewrite/splices.ts';
import { runMain, type MainResult } from '../inProcess.ts';
import { keepByteOrderMark } from '../../src/rewrite/staging.ts';
import { git } from './helpers.ts';

describe('splices keep the file\'s line ending', () => {
  const edit = (text: string, f: (e: FileEdits) => void): string => {
    const e = new FileEdits('x.ts');
    f(e);
    return e.apply(text);
  };
  const cases: Array<[string, string, (e: FileEdits) => void, string]> = [
    ['an inserted line in a CRLF file', 'a;\r\nb;\r\n', (e) => e.insert(4, 'const x = 1;\n', 0), 'a;\r\nconst x = 1;\r\nb;\r\n'],
    ['a replacement spanning lines in a CRLF file', 'f(a);\r\n', (e) => e.replace(0, 4, '{\n  g(a);\n}'), '{\r\n  g(a);\r\n};\r\n'],
    ['an LF file: as written', 'a;\nb;\n', (e) => e.insert(3, 'c;\n', 0), 'a;\nc;\nb;\n'],
    ['no change: the text as it was', 'a;\r\nb;\n', () => {}, 'a;\r\nb;\n'],
    ['a removal leaving two blank lines in a CRLF file: one', 'a;\r\n\r\nx;\r\n\r\nb;\r\n', (e) => e.remove(6, 10), 'a;\r\n\r\nb;\r\n'],
  ];
  it.each(cases)('%s', (_name, text, f, want) => {
    expect(edit(text, f)).toBe(want);
  });

  const quotes: Array<[string, string, '"' | "'" | undefined, string]> = [
    ['an import in a double-quoted file', "import { a } from './x';\n", '"', 'import { a } from "./x";\n'],
    ['comments as written', "// Slot's x\nf('a'); /* it's */", '"', '// Slot\'s x\nf("a"); /* it\'s */'],
    ['a string holding a quote or a backslash stays', `f('say "hi"', 'a\\n');`, '"', `f('say "hi"', 'a\\n');`],
    ['a single-quoted file: as written', "f('a');", "'", "f('a');"],
    ['no strings in the file: as written', "f('a');", undefined, "f('a');"],
    ['double quotes into a single-quoted file', 'f("a");', "'", "f('a');"],
  ];
  it.each(quotes)('requote: %s', (_name, fragment, q, want) => {
    expect(requote(fragment, q)).toBe(want);
    expect(requote(want, q)).toBe(want);
  });

  it('quoteStyle: the quote most of the file\'s strings use', () => {
    expect(quoteStyle(`import a from "a"; f("b", 'c'); // 'd' 'e'`)).toBe('"');
    expect(quoteStyle("f('a', 'b', \"c\");")).toBe("'");
    expect(quoteStyle('f(`a`);')).toBeUndefined();
  });

  it('the ending most lines have; LF for a file without line ends', () => {
    expect(lineEnding('a\r\nb\r\nc\n')).toBe('\r\n');
    expect(lineEnding('a\nb\nc\r\n')).toBe('\n');
    expect(lineEnding('a')).toBe('\n');
  });
});

describe('convert --write and series on a CRLF project, and on one whose files open with a byte order mark', () => {
  const SHELF = join(PACKAGE_ROOT, 'test', 'fixtures', 'projects', 'shelf');
  let root: string;
  const runs: Record<'lf' | 'crlf' | 'bom' | 'dq', { dir: string; r: MainResult }> = {} as never;
  const BOM = '\uFEFF';

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'memdesc-crlf-'));
    for (const eol of ['lf', 'crlf', 'bom', 'dq'] as const) {
      const dir = join(root, eol);
      cpSync(SHELF, dir, { recursive: true });
      for (const f of readdirSync(join(dir, 'src'))) {
        const text = readFileSync(join(dir, 'src', f), 'utf8');
        if (eol === 'crlf') writeFileSync(join(dir, 'src', f), text.replace(/\n/g, '\r\n'));
        if (eol === 'bom') writeFileSync(join(dir, 'src', f), `${BOM}${text}`);
        if (eol === 'dq') writeFileSync(join(dir, 'src', f), requote(text, '"'));
      }
      git(dir, 'init', '-q');
      git(dir, 'config', 'core.autocrlf', 'false');
      git(dir, 'add', '-A');
      git(dir, '-c', 'user.name=t', '-c', 'user.email=t@example.org', 'commit', '-qm', 'base');
      runs[eol] = { dir, r: await runMain(['convert', '--all', dir, '--spec', join(dir, 'spec.json'), '--write', '--verify']) };
    }
  }, 120_000);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  /**
   * The variant's conversion ran clean, and each file it changed holds the LF conversion's text
   * as `format` writes it; each file's text is handed to `more`.
   */
  const expectLfConversion = (variant: 'crlf' | 'bom' | 'dq', format: (lf: string) => string, more?: (text: string, f: string) => void): void => {
    const { dir, r } = runs[variant];
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const changed = git(dir, 'diff', '--name-only').trim().split('\n');
    expect(changed.length).toBeGreaterThan(0);
    for (const f of changed) {
      const text = readFileSync(join(dir, f), 'utf8');
      expect(text, f).toBe(format(readFileSync(join(runs.lf.dir, f), 'utf8')));
      more?.(text, f);
    }
  };

  it('writes every line CRLF: the LF conversion\'s text, checked and verified', () => {
    expect(runs.crlf.r.stdout).toMatch(/checks: type-check passed; a second run changes nothing; verified with the spec's oracle.*identical/);
    expectLfConversion('crlf', (lf) => lf.replace(/\n/g, '\r\n'), (text, f) => expect(text.split('\n').slice(0, -1).every((l) => l.endsWith('\r')), f).toBe(true));
  });

  it('keeps each file\'s byte order mark: the LF conversion\'s text after it', () => {
    expectLfConversion('bom', (lf) => `${BOM}${lf}`);
  });

  it('series keeps the mark in every commit: git am of its patches reproduces the tip, equal to the one-shot conversion', async () => {
    const dir = join(root, 'bom-series');
    cpSync(runs.bom.dir, dir, { recursive: true });
    git(dir, 'checkout', '-q', '--', '.');
    const s = await runMain(['series', '--all', '--spec', join(dir, 'spec.json'), '--out', join(root, 'bom-out'), dir]);
    expect(s.status, s.stderr).toBe(0);
    expect(s.stdout).toContain('tip equals the one-shot conversion');
    for (const f of readdirSync(join(dir, 'src'))) expect(git(dir, 'show', `memdesc/all:src/${f}`).startsWith(BOM), f).toBe(true);
    const patches = readdirSync(join(root, 'bom-out')).filter((p) => p.endsWith('.patch') && !p.startsWith('0000-')).sort().map((p) => join(root, 'bom-out', p));
    const am = join(root, 'bom-am');
    git(root, 'clone', '-q', dir, am);
    git(am, 'am', '-q', ...patches);
    expect(git(am, 'rev-parse', 'HEAD^{tree}')).toBe(git(dir, 'rev-parse', 'memdesc/all^{tree}'));
  }, 60_000);

  it('quotes its strings as the file does: the LF conversion with double quotes', () => {
    expectLfConversion('dq', (lf) => requote(lf, '"'));
    expect(git(runs.dq.dir, 'diff')).toMatch(/^\+import .* from "\.\/box\.ts";$/m);
  });

  it('keepByteOrderMark: the mark the old content had, once', () => {
    expect(keepByteOrderMark(Buffer.from(`${BOM}a`), 'b')).toBe(`${BOM}b`);
    expect(keepByteOrderMark(Buffer.from(`${BOM}a`), `${BOM}b`)).toBe(`${BOM}b`);
    expect(keepByteOrderMark(Buffer.from('a'), 'b')).toBe('b');
    expect(keepByteOrderMark(null, 'b')).toBe('b');
  });
});
