/**
 * A type test whose verdict rests on class methods: `IsNetBlob` tests the word the static method
 * `Words.flags_word()` hands back, which hands back what `this.word()` returns. Whether `IsNetBlob`
 * is a test decides the marker constants (dataflow.ts findMarkerConsts) every file's marks are
 * read against, so every key holds the methods a type test's verdict may call, however deep, each
 * by its own declaration (deps.ts DepGraph.commit) — not the whole class: an edit of another
 * method of `Words` keeps the other files' entries. Likewise a function called as a member: through
 * a namespace import (`nsw.ns_word(w)`) and a namespace's own function (`Inner.word(w)`). Every commit — `word()` made no test and back,
 * `flags_word()` likewise, an unrelated method edited — gives a fresh analysis's answer, walked in
 * one run and commit by commit on one cache.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveSpec } from '../../src/model/builtin.ts';
import type { AnalysisResult } from '../../src/model/findings.ts';
import { analyzeEachCommit, BLOBWORLD, blobworldWriter, commitIn, gitIn, NETMARK, netmarkKind, routeNetTest, trackEachCommit } from './history.ts';

let dir: string;
let repo: string;
const spec = resolveSpec(join(BLOBWORLD, 'spec.json'));
const steps: Array<{ sha: string; what: string }> = [];
const fresh = new Map<string, AnalysisResult>();

const words = (flagsWord: string, word: string, other: string): string => `import { raw_of } from './raw.ts';

/** Word helpers, as methods. */
export class Words {
  static flags_word(w: number): number {
    return ${flagsWord};
  }

  static word(w: number): number {
    return ${word};
  }

  static unrelated(n: number): number {
    return ${other};
  }
}
`;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'memdesc-track-methodtest-'));
  repo = join(dir, 'repo');
  const w = blobworldWriter(repo);
  const step = (what: string): void => {
    steps.push({ sha: commitIn(repo, what), what });
  };
  const helpers = join(repo, 'proj/src/helpers.ts');
  routeNetTest(repo, "import { Words } from './words.ts';", (f) => `Words.flags_word(${f})`);
  const raw = (ret: string): void => w('raw.ts', `export function raw_of(w: number): number {\n  return ${ret};\n}\n`);
  raw('w');
  w('words.ts', words('this.word(w)', 'raw_of(w)', 'n + 1'));
  w('netmark.ts', NETMARK);
  gitIn(repo, 'init', '-q');
  step('base: IsNetBlob tests the word Words.flags_word() hands back through this.word() and raw_of()');
  w('words.ts', words('this.word(w)', '7', 'n + 1'));
  step('words: word() hands back a constant (IsNetBlob is no test)');
  w('words.ts', words('this.word(w)', 'raw_of(w)', 'n + 1'));
  step('words: word() the word again');
  w('words.ts', words('3', 'raw_of(w)', 'n + 1'));
  step('words: flags_word() hands back a constant');
  w('words.ts', words('this.word(w)', 'raw_of(w)', 'n + 1'));
  step('words: flags_word() the word again');
  w('words.ts', words('this.word(w)', 'raw_of(w)', 'n + 2'));
  step('words: an unrelated method edited');
  raw('5');
  step('raw: raw_of(), which word() calls, hands back a constant');
  raw('w');
  step('raw: the word again');
  // Functions reached as members too: through a namespace import, then a namespace's own function.
  const nsWord = (ret: string): void => w('nsword.ts', `import { Inner } from './inner.ts';\n\nexport function ns_word(w: number): number {\n  return ${ret};\n}\n`);
  const inner = (ret: string): void => w('inner.ts', `export namespace Inner {\n  export function word(w: number): number {\n    return ${ret};\n  }\n}\n`);
  nsWord('w');
  inner('w');
  writeFileSync(helpers, `import * as nsw from './nsword.ts';\n${readFileSync(helpers, 'utf8')
    .replace('(Words.flags_word(b.flags) & FLAG_NET)', '(nsw.ns_word(b.flags) & FLAG_NET)')}`);
  step('helpers: IsNetBlob tests the word nsw.ns_word() hands back (a namespace import)');
  nsWord('0');
  step('nsword: ns_word() hands back a constant');
  nsWord('Inner.word(w)');
  step('nsword: ns_word() hands back what Inner.word() does (a namespace\'s function)');
  inner('4');
  step('inner: Inner.word() hands back a constant');
  inner('w');
  step('inner: the word again');
  for (const [sha, r] of analyzeEachCommit(repo, join(dir, 'checkout'), steps.map((s) => s.sha), spec)) fresh.set(sha, r);
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('track: a type test whose verdict rests on class methods and functions called as members', () => {
  it('the fresh analysis reads the mark only while IsNetBlob is a test', () => {
    const kinds = steps.map((s) => netmarkKind(fresh.get(s.sha)!));
    expect(kinds).toEqual(['net', kinds[1], 'net', kinds[3], 'net', 'net', kinds[6], 'net', 'net', kinds[9], 'net', kinds[11], 'net']);
    for (const i of [1, 3, 6, 9, 11]) expect(kinds[i], steps[i]!.what).not.toBe('net');
  });

  it('every commit equals a fresh analysis, in one walk and commit by commit; an unrelated method keeps the entries', async () => {
    const analyzed = await trackEachCommit(spec, repo, steps, fresh, join(dir, 'cache'));
    // The verdict flips: every file's marks are read again. The unrelated method: only the files
    // that reach the class by name (words.ts; helpers.ts, whose IsNetBlob names it; generic.ts,
    // which calls IsNetBlob), not every file (the keys hold the methods the verdict calls, not the class).
    expect(analyzed[1], steps[1]!.what).toBeGreaterThan(3);
    expect(analyzed[5], `${steps[5]!.what}: ${analyzed.join(',')}`).toBeLessThanOrEqual(3);
  });
});
